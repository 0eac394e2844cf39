//! Private data collections, off the ledger (docs/modules/collections.md). The ledger holds a
//! collection's definition and a salted commitment per record; this crate keeps the payload and
//! its salt on the nodes of member organisations only:
//!
//! - [`PrivateStore`]: one file per record beside the ledger's store, written atomically and
//!   deleted outright on purge (no database page keeps a copy of a purged payload).
//! - [`request`]: requests signed by an account key, so a node hands a payload only to an
//!   account the ledger names as a member of its collection; [`reply`]: answers sealed to a
//!   one-time key of the requester, so a replayed request yields nothing readable.
//! - [`PrivateClient`]: the member's side of those requests.
//! - [`Vault`]: what a node does with both: takes a member's payload and answers the
//!   commitment to record; serves payloads to members; fetches what it misses from the other
//!   nodes (only members answer); deletes what the ledger purged.

pub mod client;
pub mod reply;
pub mod request;
mod store;
mod vault;

pub use client::PrivateClient;
pub use store::{PrivateStore, StoreError};
pub use vault::{Held, Stored, Vault, VaultError, MAX_PAYLOAD_BYTES};
