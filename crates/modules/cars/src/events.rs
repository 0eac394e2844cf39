//! What the cars module tells the world: accreditations, each record with its flags, sales
//! and their windows, contradictions of a notice. No event names a person.

use dojang_types::{Address, Date, ModuleEvent};
use serde::{Deserialize, Serialize};

use crate::msg::Party;
use crate::state::{Fact, Flag, WindowKind};
use crate::NAME;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarsEvent {
    Accredited {
        account: Address,
        party: Party,
    },
    Suspended {
        account: Address,
    },
    Reinstated {
        account: Address,
    },
    /// A record joined the vehicle's history; `flags` says what is wrong with it, if anything.
    Attested {
        vin: String,
        seq: u32,
        kind: String,
        by: Address,
        flags: Vec<Flag>,
    },
    /// The council voided a record: it stays in the history, marked.
    Voided {
        vin: String,
        seq: u32,
        height: u64,
    },
    MandateGiven {
        vin: String,
        dealer: Address,
        until: Date,
    },
    MandateRevoked {
        vin: String,
        dealer: Address,
    },
    Sold {
        vin: String,
        sale: u32,
        dealer: Address,
        odometer_accident_until: Date,
        flood_until: Date,
        flags: Vec<Flag>,
    },
    /// CAR-06: a record contradicts a sale's notice while the window for that fact is open:
    /// the buyer may rescind, with the evidence package as proof.
    NoticeContradicted {
        vin: String,
        sale: u32,
        seq: u32,
        fact: Fact,
    },
    WindowClosed {
        vin: String,
        sale: u32,
        window: WindowKind,
    },
}

impl ModuleEvent for CarsEvent {
    const MODULE: &'static str = NAME;
}
