//! A service's commands as clap subcommands, added to the binary's command line at start-up
//! and run when one of them is chosen.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use clap::{ArgMatches, Subcommand};

/// A running command.
pub type Run = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

/// A set of subcommands: how to add them to a command and how to run the one chosen.
pub trait CommandSet: Sync {
    /// Adds the subcommands to `cmd`.
    fn augment(&self, cmd: clap::Command) -> clap::Command;
    /// Whether `name` is one of them.
    fn has(&self, name: &str) -> bool;
    /// Runs the one chosen in `matches` (the matches of the command they were added to).
    fn run(&self, matches: &ArgMatches) -> Result<Run, clap::Error>;
}

/// A clap `Subcommand` enum and the function that runs it.
pub struct Subcommands<C> {
    run: fn(C) -> Run,
    of: PhantomData<fn() -> C>,
}

impl<C> Subcommands<C> {
    pub const fn new(run: fn(C) -> Run) -> Self {
        Subcommands { run, of: PhantomData }
    }
}

impl<C: Subcommand> CommandSet for Subcommands<C> {
    fn augment(&self, cmd: clap::Command) -> clap::Command {
        C::augment_subcommands(cmd)
    }

    fn has(&self, name: &str) -> bool {
        C::has_subcommand(name)
    }

    fn run(&self, matches: &ArgMatches) -> Result<Run, clap::Error> {
        Ok((self.run)(C::from_arg_matches(matches)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Subcommand, Debug, PartialEq)]
    enum Greet {
        /// Says hello.
        Hello {
            #[arg(long)]
            name: String,
        },
    }

    fn run(g: Greet) -> Run {
        Box::pin(async move {
            match g {
                Greet::Hello { name } if name == "seoul" => Ok(()),
                Greet::Hello { name } => anyhow::bail!("unexpected name {name}"),
            }
        })
    }

    #[tokio::test]
    async fn added_subcommands_parse_and_run_the_chosen_one() {
        let set = Subcommands::new(run);
        let cmd = set.augment(clap::Command::new("dojang"));
        assert!(set.has("hello") && !set.has("bye"));
        let m = cmd.clone().try_get_matches_from(["dojang", "hello", "--name", "seoul"]).unwrap();
        set.run(&m).unwrap().await.unwrap();
        let m = cmd.clone().try_get_matches_from(["dojang", "hello", "--name", "busan"]).unwrap();
        assert!(set.run(&m).unwrap().await.is_err());
        assert!(cmd.try_get_matches_from(["dojang", "hello"]).is_err(), "a required argument is enforced");
    }
}
