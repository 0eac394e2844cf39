//! A citizen's wallet for the command line (`dojang wallet`): keys and credentials encrypted
//! at rest, receiving over OpenID4VCI, and presenting only what the policy a request cites
//! allows, with a history of what was disclosed to whom.

pub mod login;
pub mod present;
pub mod receive;
pub mod request;
pub mod store;

pub use login::{check_login_request, fetch_and_check_login, record_login, request_uri_of, LoginRequest};
pub use present::{answer, check_request, PresentationRequest};
pub use receive::{accept, receive, Refusal};
pub use request::{check_signed_request, fetch_and_check, RequestError, VerifiedRequest};
pub use store::{Contents, StoredCredential};

#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    #[error("wrong passphrase (or the wallet file was altered)")]
    WrongPassphrase,
    #[error("the wallet file is damaged: {0}")]
    Corrupt(String),
    #[error("cannot read or write {0}: {1}")]
    Io(String, String),
    #[error("the credential offer is not usable: {0}")]
    Offer(String),
    #[error("the issuer answered with an error: {0}")]
    Issuer(String),
    #[error("refused: {0}")]
    Refused(String),
    #[error("no unused credential for {0}; receive new copies from the issuer")]
    NoCredential(String),
    #[error("the credential was refused: {0}")]
    Credential(#[from] Refusal),
    #[error("the presentation request was refused: {0}")]
    Request(#[from] RequestError),
}
