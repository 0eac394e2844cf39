//! Citizen-card login as a service (DOMAIN.md §5, AUTH-01..09): the login module on chain
//! (the council's registry of facilities) and the login service, an OpenID Connect provider
//! that any facility's existing web application can use with an off-the-shelf client, which
//! asks the citizen's wallet over OpenID4VP for only what the facility may see.

pub mod authorize;
pub mod provider;
pub mod tokens;

use dojang_ledger::Router;
use dojang_login::Login;
use dojang_service::Service;

pub use provider::{LoginError, Progress, Provider, TokenError, TokenForm, TokenResponse};

pub static SERVICE: LoginService = LoginService;

pub struct LoginService;

impl Service for LoginService {
    fn name(&self) -> &'static str {
        dojang_login::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Login)
    }
}
