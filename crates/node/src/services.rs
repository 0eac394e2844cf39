//! The services this binary carries: the one list to change when a service is added. Each
//! entry brings its on-chain module (registered in every node's router, in this order) and,
//! where it has one, its commands, demos and benchmarks (added to the command line).
//! Module order does not matter: the router keeps modules by name and hooks run in name
//! order.

use clap::ArgMatches;
use dojang_anchor::Anchor;
use dojang_ledger::Router;
use dojang_service::{CommandSet, ModuleOnly, Run, Service};

static ANCHOR: ModuleOnly<Anchor> = ModuleOnly::new();

pub static SERVICES: &[&dyn Service] = &[
    &dojang_governance_service::SERVICE,
    &ANCHOR,
    &dojang_identity_service::SERVICE,
    &dojang_eligibility_service::SERVICE,
    &dojang_collections_service::SERVICE,
    &dojang_labour_service::SERVICE,
    &dojang_voting_service::SERVICE,
    &dojang_cars_service::SERVICE,
    &dojang_mileage_service::SERVICE,
    &dojang_payments_service::SERVICE,
    &dojang_login_service::SERVICE,
];

/// The modules every node of a chain runs.
pub fn modules() -> Router {
    SERVICES.iter().fold(Router::new(), |router, service| service.register(router))
}

/// Adds every service's commands to the binary's command line, its demos under `demo` and its
/// benchmarks under `bench`.
pub fn command_line(mut cli: clap::Command) -> clap::Command {
    for service in SERVICES {
        if let Some(set) = service.commands() {
            cli = set.augment(cli);
        }
        if let Some(set) = service.demos() {
            cli = cli.mut_subcommand("demo", |demo| set.augment(demo));
        }
        if let Some(set) = service.benches() {
            cli = cli.mut_subcommand("bench", |bench| set.augment(bench));
        }
    }
    cli
}

/// The service command chosen on the command line, ready to run; `None` when the command is
/// the node's own.
pub fn chosen(matches: &ArgMatches) -> Result<Option<Run>, clap::Error> {
    let Some((name, sub)) = matches.subcommand() else { return Ok(None) };
    let inner = sub.subcommand_name();
    for service in SERVICES {
        let (set, within): (Option<&dyn CommandSet>, _) = match name {
            "demo" => (service.demos(), sub),
            "bench" => (service.benches(), sub),
            _ => (service.commands(), matches),
        };
        let wanted = if matches!(name, "demo" | "bench") { inner } else { Some(name) };
        if let (Some(set), Some(wanted)) = (set, wanted) {
            if set.has(wanted) {
                return set.run(within).map(Some);
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every service's module is in the router, under the service's name, no two services
    /// share a name, and governance is the chain's authority.
    #[test]
    fn every_listed_service_registers_its_module_once() {
        let router = modules();
        let mut names: Vec<&str> = router.modules().map(|m| m.name()).collect();
        names.sort();
        let mut listed: Vec<&str> = SERVICES.iter().map(|s| s.name()).collect();
        listed.sort();
        listed.dedup();
        assert_eq!(listed.len(), SERVICES.len(), "duplicate service names");
        assert_eq!(names, listed);
        assert_eq!(
            names,
            [
                "anchor",
                "cars",
                "collections",
                "eligibility",
                "governance",
                "identity",
                "labour",
                "login",
                "mileage",
                "payments",
                "voting"
            ]
        );
        assert_eq!(router.authority_module(), Some("governance"), "roles and the council come from governance");
    }
}
