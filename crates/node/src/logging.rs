//! Logging setup. A single validator has no peers, and the engine logs an error for every
//! gossip publish that finds no peer (tens of thousands a minute); those lines are dropped when
//! the validator set has one member, and only those.

use tracing::Level;
use tracing_subscriber::filter::{EnvFilter, FilterFn};
use tracing_subscriber::prelude::*;

const NETWORK_TARGET: &str = "arc_malachitebft_network";

pub fn init(filter: &str, json: bool, single_validator: bool) {
    let env = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(filter));
    let no_peer_flood = FilterFn::new(move |meta| {
        !(single_validator && *meta.level() == Level::ERROR && meta.target().starts_with(NETWORK_TARGET))
    });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(ansi);
    let registry = tracing_subscriber::registry().with(env).with(no_peer_flood);
    if json {
        let _ = registry.with(fmt.json()).try_init();
    } else {
        let _ = registry.with(fmt).try_init();
    }
}
