//! Verifiable credentials for paperless eligibility checks (docs/credentials.md): SD-JWT VCs
//! (RFC 9901 and the SD-JWT VC draft) signed with ES256, holder key binding, token status
//! lists, the DCQL queries of OpenID4VP, and the wallet's encrypted store.
//!
//! The crate is pure: it never reads the chain or the network. What the chain says (issuer
//! keys with their validity, accreditations, status list anchors, policies) comes in through
//! [`trust::TrustView`], which the node fills from proof-checked state.

pub mod dcql;
pub mod issue;
pub mod issued;
pub mod jose;
pub mod links;
pub mod nonce;
pub mod present;
pub mod sdjwt;
pub mod status;
pub mod transaction;
pub mod trust;
pub mod verify;

pub use dcql::{CredentialQuery, DcqlQuery};
pub use issue::{issue, issue_batch, CredentialSpec, IssuerKey, StatusRef};
pub use issued::{check_issued, Issued};
pub use present::{present, present_with, Challenge};
pub use status::{Status, StatusList};
pub use trust::{Accreditation, CredentialType, KeyValidity, Policy, Standing, StatusAnchor, TrustError, TrustView};
pub use verify::{Request, Verified, Verifier, VerifyError};
