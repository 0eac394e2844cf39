//! Typed queries: what a client may ask a module, and the shape of the answer.

use serde::{Deserialize, Serialize};

/// A module's read-only query and the type of its answer. Each module crate declares its
/// queries this way and builds its answers from the same types, so a client (the SDK's
/// `Client::ask`) reads typed values instead of picking through JSON, and a change to an
/// answer's shape fails to compile on both sides rather than at run time.
pub trait ModuleQuery {
    /// The module's routing name.
    const MODULE: &'static str;
    /// What the query answers.
    type Answer: serde::de::DeserializeOwned;
    /// The query's path below the module, e.g. `proposal/7`.
    fn path(&self) -> String;
    /// Its parameters (`as_of`, `limit`, ...), as name and value.
    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// A query for one state record whose key the client can compute itself, so the record can be
/// read with a proof without trusting the node to say where it lives (the SDK's
/// `Client::ask_verified`).
pub trait RecordQuery: ModuleQuery {
    /// The record's type, as stored.
    type Record: serde::de::DeserializeOwned;
    /// Its full state key, e.g. `identity/orgs/did:web:seoul.go.kr`.
    fn state_key(&self) -> String;
}

/// The answer of a query for one state record: the record and its full state key, so a client
/// can read it again with a Merkle proof (`/v1/state?key=<key>`, the SDK's `read_verified`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyedRecord<T> {
    pub key: String,
    pub record: T,
}

/// Declares a query for one record whose state key the client computes itself: the struct,
/// its [`ModuleQuery`] (answering a [`KeyedRecord`]) and its [`RecordQuery`]. Expanded in a
/// module's `views.rs`, where `NAME` is the module's name:
/// `record_query!(/// doc
/// VehicleQuery { vin: String } => Vehicle, format!("vehicle/{vin}"), state::vehicle_key(vin));`
#[macro_export]
macro_rules! record_query {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty),* } => $record:ty, $path:expr, $key:expr) => {
        $(#[$doc])*
        pub struct $name { $(pub $field: $ty),* }

        impl $crate::ModuleQuery for $name {
            const MODULE: &'static str = NAME;
            type Answer = $crate::KeyedRecord<$record>;
            fn path(&self) -> String {
                let $name { $($field),* } = self;
                $path
            }
        }

        impl $crate::RecordQuery for $name {
            type Record = $record;
            fn state_key(&self) -> String {
                let $name { $($field),* } = self;
                format!("{NAME}/{}", $key)
            }
        }
    };
}
