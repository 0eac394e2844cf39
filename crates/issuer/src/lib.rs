//! An agency's credential issuer (docs/credentials.md): OpenID4VCI 1.0 with the pre-authorized code
//! flow, SD-JWT VCs signed with the organisation's on-chain key, issued from the agency's own
//! records (a data file here; a real agency points it at its system), and a token status list
//! whose every version is anchored on chain before it is served.

pub mod anchor;
pub mod book;
pub mod client;
pub mod http;
pub mod records;
pub mod service;

pub use anchor::{Anchoring, ChainAnchoring};
pub use book::Book;
pub use client::{OfferClient, OfferError};
pub use http::router;
pub use records::Records;
pub use service::{Issuer, NewOffer, Settings};
