//! Logging setup. ERROR is for what an operator must act on, and the consensus engine's network
//! logs ERROR for things that are normal while a network starts: a peer that is not up yet (a
//! failed dial) and a gossip publish that finds no subscribed peer. A lone validator has no
//! peers at all and would log tens of thousands of those a minute. Those lines are taken out of
//! the log; while they keep coming, one WARN line per interval says how many there were and
//! what the last one said (a lone validator, for which no peers is the normal state, gets none).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::prelude::*;

/// The engine's networking crates (gossip and peer discovery).
const NETWORK_TARGETS: [&str; 2] = ["arc_malachitebft_network", "arc_malachitebft_discovery"];
/// At most one summary line per this interval.
const SUMMARY_INTERVAL: Duration = Duration::from_secs(30);

pub fn init(filter: &str, json: bool, single_validator: bool) {
    let env = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(filter));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(ansi);
    let noise = PeerNoise::new(!single_validator);
    let registry = tracing_subscriber::registry().with(env).with(Recent.with_filter(QuietPeers));
    let installed = if json {
        registry.with(fmt.json().with_filter(noise.clone())).try_init()
    } else {
        registry.with(fmt.with_filter(noise.clone())).try_init()
    };
    if installed.is_ok() && !single_validator {
        // Summaries are logged from their own thread: an event logged from inside the
        // subscriber would be dropped by tracing's re-entrancy guard.
        std::thread::spawn(move || loop {
            std::thread::sleep(SUMMARY_INTERVAL);
            noise.summarise();
        });
    }
}

/// How many recent WARN and ERROR lines the operator page shows.
const RECENT_LINES: usize = 50;

#[derive(Default)]
struct RecentLog {
    lines: Mutex<std::collections::VecDeque<dojang_api::LogLine>>,
    warnings: AtomicU64,
    errors: AtomicU64,
}

static RECENT: std::sync::OnceLock<RecentLog> = std::sync::OnceLock::new();

/// The latest WARN and ERROR lines (newest last) and how many of each were logged since start.
pub fn recent() -> (Vec<dojang_api::LogLine>, u64, u64) {
    let log = RECENT.get_or_init(RecentLog::default);
    let lines = log.lines.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect();
    (lines, log.warnings.load(Ordering::Relaxed), log.errors.load(Ordering::Relaxed))
}

/// Keeps WARN and ERROR lines for the operator page and the `dojang_log_*_total` metrics.
struct Recent;

/// The message and the other fields of an event, as `message k=v k=v`.
#[derive(Default)]
struct Fields(String, Vec<String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_string();
        } else {
            self.1.push(format!("{}={value}", field.name()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        } else {
            self.1.push(format!("{}={value:?}", field.name()));
        }
    }
}

impl<S: Subscriber> tracing_subscriber::Layer<S> for Recent {
    fn on_event(&self, event: &Event<'_>, _cx: Context<'_, S>) {
        let level = *event.metadata().level();
        if level > Level::WARN {
            return;
        }
        let log = RECENT.get_or_init(RecentLog::default);
        let counter = if level == Level::ERROR { &log.errors } else { &log.warnings };
        counter.fetch_add(1, Ordering::Relaxed);
        let mut fields = Fields::default();
        event.record(&mut fields);
        let message = std::iter::once(fields.0).chain(fields.1).collect::<Vec<_>>().join(" ");
        let line = dojang_api::LogLine {
            time_ms: dojang_types::wall_clock_ms(),
            level: level.to_string(),
            target: event.metadata().target().to_string(),
            message,
        };
        let mut lines = log.lines.lock().unwrap_or_else(|p| p.into_inner());
        if lines.len() == RECENT_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }
}

/// Leaves out the engine network's "peer unreachable" ERRORs (as [`PeerNoise`] does for the
/// log, without counting them twice).
struct QuietPeers;

impl<S: Subscriber> Filter<S> for QuietPeers {
    fn enabled(&self, _meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        unreachable_peer(event).is_none()
    }
}

/// The message of `event` if it is one of the engine network's "peer unreachable" ERRORs.
fn unreachable_peer(event: &Event<'_>) -> Option<String> {
    let meta = event.metadata();
    if *meta.level() != Level::ERROR || !NETWORK_TARGETS.iter().any(|t| meta.target().starts_with(t)) {
        return None;
    }
    let mut message = Message::default();
    event.record(&mut message);
    is_unreachable_peer(&message.0).then_some(message.0)
}

/// The messages of the engine network's ERRORs that mean "a peer is not there (yet)".
fn is_unreachable_peer(message: &str) -> bool {
    ["dialing peer", "Failed to dial", "NoPeersSubscribedToTopic", "InsufficientPeers"]
        .iter()
        .any(|m| message.contains(m))
}

#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// Keeps the engine network's "peer unreachable" ERRORs out of the log and counts them; any
/// other network ERROR is written as it is, because it may need an operator.
#[derive(Clone)]
struct PeerNoise(Arc<Counts>);

struct Counts {
    count: bool,
    unreachable: AtomicU64,
    last: Mutex<String>,
}

impl PeerNoise {
    fn new(count: bool) -> Self {
        PeerNoise(Arc::new(Counts { count, unreachable: AtomicU64::new(0), last: Mutex::new(String::new()) }))
    }

    /// Logs one WARN line for the unreachable-peer errors since the last call, if any.
    fn summarise(&self) {
        let events = self.0.unreachable.swap(0, Ordering::Relaxed);
        if events == 0 {
            return;
        }
        let last = std::mem::take(&mut *self.0.last.lock().unwrap_or_else(|p| p.into_inner()));
        tracing::warn!(
            target: "dojang::network",
            events,
            last = %last,
            "some consensus peers are not reachable (yet); normal while a network starts, check them if it lasts"
        );
    }
}

impl<S: Subscriber> Filter<S> for PeerNoise {
    fn enabled(&self, _meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        let Some(message) = unreachable_peer(event) else { return true };
        if self.0.count {
            self.0.unreachable.fetch_add(1, Ordering::Relaxed);
            *self.0.last.lock().unwrap_or_else(|p| p.into_inner()) = message;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn run(summarise: bool, emit: impl FnOnce()) -> String {
        let out = Captured::default();
        let writer = out.clone();
        let fmt = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(move || writer.clone());
        let noise = PeerNoise::new(summarise);
        let subscriber = tracing_subscriber::registry().with(fmt.with_filter(noise.clone()));
        tracing::subscriber::with_default(subscriber, || {
            emit();
            noise.summarise();
            noise.summarise();
        });
        let bytes = out.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn unreachable_peers_become_one_warning_not_a_flood_of_errors() {
        let log = run(true, || {
            for i in 0..500 {
                tracing::error!(target: "arc_malachitebft_network", "Error dialing peer: attempt {i}");
                tracing::error!(target: "arc_malachitebft_network", "Error publishing message: NoPeersSubscribedToTopic");
                tracing::error!(target: "arc_malachitebft_discovery::handlers::dial", "Failed to dial peer None after 5 trials");
            }
            tracing::info!(target: "dojang::run", "node started");
        });
        assert!(!log.contains("ERROR"), "{log}");
        assert_eq!(log.matches("WARN").count(), 1, "{log}");
        assert!(log.contains("some consensus peers are not reachable") && log.contains("events=1500"), "{log}");
        assert!(log.contains("node started"));
    }

    #[test]
    fn a_lone_validator_logs_none_of_it_and_other_network_errors_stay_errors() {
        let log = run(false, || {
            tracing::error!(target: "arc_malachitebft_network", "Error dialing peer: x");
            tracing::error!(target: "arc_malachitebft_network", "Failed to listen on /ip4/127.0.0.1/tcp/1: address in use");
        });
        assert!(!log.contains("dialing"), "{log}");
        assert_eq!(log.matches("ERROR").count(), 1, "{log}");
        assert!(log.contains("address in use"), "{log}");
        assert!(!log.contains("WARN"), "a lone validator gets no summary: {log}");
    }

    #[test]
    fn warnings_and_errors_are_kept_for_the_operator_without_the_peer_noise() {
        let (_, warnings_before, errors_before) = recent();
        let subscriber = tracing_subscriber::registry().with(Recent.with_filter(QuietPeers));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("not kept");
            tracing::warn!(target: "dojang::test", peer = "node-2", "disk is slow marker-7f3a");
            tracing::error!(target: "dojang::test", "store failed marker-7f3a");
            tracing::error!(target: "arc_malachitebft_network", "Error dialing peer: marker-7f3a");
        });
        let (lines, warnings, errors) = recent();
        let ours: Vec<_> = lines.iter().filter(|l| l.message.contains("marker-7f3a")).collect();
        assert_eq!(ours.len(), 2, "{ours:?}");
        assert_eq!(ours[0].level, "WARN");
        assert_eq!(ours[0].target, "dojang::test");
        assert!(ours[0].message.contains("peer=node-2"), "{:?}", ours[0]);
        assert_eq!(ours[1].level, "ERROR");
        assert!(warnings > warnings_before && errors > errors_before);
        assert!(!lines.iter().any(|l| l.message.contains("dialing peer: marker-7f3a")), "peer noise is left out");
    }
}
