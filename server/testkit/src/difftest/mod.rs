//! The differential tester: random operation sequences from a seed, run
//! on two servers at once, every answer compared. Sessions also drop
//! their connection and resume it, handing their watches back with
//! setWatches or setWatches2 (never an auth failure: that closes the
//! connection by the server's choice, which the runner already covers).
//!
//! Each seed gets its own root (`/dt<seed>`) and its own sessions (3 by
//! default) on both servers; the same session slot sends the same op to
//! both. Compared per step: the reply's error code and body (Stat modulo
//! czxid/mzxid/pzxid, mapped through a zxid translation learned as the
//! run goes, ephemeralOwner through the session correspondence, and
//! ctime/mtime not at all; sequential names exactly; child and ephemeral
//! lists sorted), how many events the acting session had before its
//! reply, and each session's watch events (type, state, path, order).
//! See [`translation`] for what may differ between correct servers.
//!
//! Both servers see the ops one at a time, so nothing but the server's
//! own behaviour decides an answer: TTLs are long, and container
//! clean-up is turned off (`znode.container.checkIntervalMs`).
//!
//! Environment:
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `RK_DIFF_SERVERS` | the two server kinds, `zk` or `ringkeeper` | [`DIFF_SERVERS_DEFAULT`] |
//! | `RK_DIFF_SEED` | run exactly this one seed (replay) | |
//! | `RK_DIFF_SEEDS` | run seeds 1..=count | [`SEEDS_DEFAULT`] |
//! | `RK_DIFF_STEPS` | generated steps per seed | [`STEPS_DEFAULT`] |
//! | `RK_DIFF_HISTORY` | ops shown before a difference | [`HISTORY_SHOWN_DEFAULT`] |
//! | `RK_DIFF_TRACE` | `1`: print every step, A's answer and events, to stderr | off |

pub mod answer;
pub mod generator;
mod generator_sessions;
pub mod op;
pub mod quota_plan;
pub mod rng;
pub mod runner;
pub mod scenarios;
pub mod side;
pub mod translation;
pub mod watched;

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use crate::server::{parse_server_kinds, ServerKind, ServerOptions, TestServer};

/// The two servers compared unless `RK_DIFF_SERVERS` says otherwise:
/// Apache ZooKeeper against ringkeeper. The ringkeeper binary comes from
/// the same `cargo test --workspace` build (ringkeeper-server's tests
/// build it); alone, build it first (see [`crate::ringkeeper_binary`]).
pub const DIFF_SERVERS_DEFAULT: &str = "zk,ringkeeper";
pub const SEEDS_DEFAULT: u64 = 20;
pub const STEPS_DEFAULT: u32 = 200;
pub const SESSIONS_DEFAULT: usize = 3;
/// Ops shown before the failing one in a report.
pub const HISTORY_SHOWN_DEFAULT: usize = 12;
/// Limits on the run's size, so a typo cannot start a run of days.
pub const SEEDS_MAX: u64 = 100_000;
pub const STEPS_MAX: u32 = 100_000;
pub const SESSIONS_MAX: usize = 16;
/// Wall-clock budget of one run; past it the run fails and says so.
pub const RUN_TIME_MAX_DEFAULT: Duration = Duration::from_secs(20 * 60);
/// The seed (and so the root, `/dt<seed>`) of [`scenarios::SCENARIOS`]'
/// first scenario; the next ones follow. Far above any generated seed.
pub const SCENARIO_SEED_BASE: u64 = 1_000_000_000;
/// ZooKeeper's container (and TTL) reaper interval during a run: a day,
/// so it never runs (it acts on time, which must not decide an answer).
pub const CONTAINER_CHECK_INTERVAL_MS: u64 = 86_400_000;

#[derive(Debug, Clone)]
pub struct DiffConfig {
    /// Server A and server B.
    pub kinds: [ServerKind; 2],
    pub seeds: Vec<u64>,
    pub steps: u32,
    pub sessions: usize,
    pub run_time_max: Duration,
    /// Ops shown before the failing one in a report.
    pub history_shown: usize,
    /// Print every step with server A's answer and events (stderr).
    pub trace: bool,
}

impl DiffConfig {
    /// Reads `RK_DIFF_SERVERS`, `RK_DIFF_SEED`, `RK_DIFF_SEEDS`, `RK_DIFF_STEPS`.
    pub fn from_env() -> Result<DiffConfig, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let servers = var("RK_DIFF_SERVERS").unwrap_or_else(|| DIFF_SERVERS_DEFAULT.into());
        let seed = var("RK_DIFF_SEED");
        let seeds = var("RK_DIFF_SEEDS");
        let steps = var("RK_DIFF_STEPS");
        let mut config = DiffConfig::from_settings(
            &servers,
            seed.as_deref(),
            seeds.as_deref(),
            steps.as_deref(),
        )?;
        if let Some(text) = var("RK_DIFF_HISTORY") {
            config.history_shown = text
                .trim()
                .parse()
                .map_err(|_| format!("RK_DIFF_HISTORY={text:?} is not a non-negative integer"))?;
        }
        config.trace = var("RK_DIFF_TRACE").is_some_and(|text| text.trim() == "1");
        Ok(config)
    }

    /// The same, from the variables' values (`None` = unset).
    pub fn from_settings(
        servers: &str,
        seed: Option<&str>,
        seeds: Option<&str>,
        steps: Option<&str>,
    ) -> Result<DiffConfig, String> {
        let kinds = parse_server_kinds(servers, "RK_DIFF_SERVERS")?;
        let kinds: [ServerKind; 2] = kinds.try_into().map_err(|kinds: Vec<ServerKind>| {
            format!(
                "RK_DIFF_SERVERS names {} servers ({servers:?}); it needs exactly two, e.g. zk,ringkeeper",
                kinds.len()
            )
        })?;
        let number = |name: &str, text: &str| {
            text.trim()
                .parse::<u64>()
                .map_err(|_| format!("{name}={text:?} is not a non-negative integer"))
        };
        let seeds = match (seed, seeds) {
            (Some(seed), _) => vec![number("RK_DIFF_SEED", seed)?],
            (None, Some(count)) => {
                let count = number("RK_DIFF_SEEDS", count)?;
                if count == 0 || count > SEEDS_MAX {
                    return Err(format!("RK_DIFF_SEEDS={count} is outside 1..={SEEDS_MAX}"));
                }
                (1..=count).collect()
            }
            (None, None) => (1..=SEEDS_DEFAULT).collect(),
        };
        let steps = match steps {
            Some(text) => {
                let steps = number("RK_DIFF_STEPS", text)?;
                if steps > u64::from(STEPS_MAX) {
                    return Err(format!("RK_DIFF_STEPS={steps} is over {STEPS_MAX}"));
                }
                steps as u32
            }
            None => STEPS_DEFAULT,
        };
        Ok(DiffConfig {
            kinds,
            seeds,
            steps,
            sessions: SESSIONS_DEFAULT,
            run_time_max: RUN_TIME_MAX_DEFAULT,
            history_shown: HISTORY_SHOWN_DEFAULT,
            trace: false,
        })
    }

    /// How the compared servers are started.
    pub fn server_options() -> ServerOptions {
        ServerOptions {
            system_properties: vec![(
                "znode.container.checkIntervalMs".into(),
                CONTAINER_CHECK_INTERVAL_MS.to_string(),
            )],
            ..ServerOptions::default()
        }
    }
}

/// Answers of one op kind on server A (equal to B's, or the run stopped).
#[derive(Debug, Default, Clone)]
pub struct OpTally {
    pub ok: u64,
    /// Count per error code.
    pub errors: BTreeMap<i32, u64>,
}

/// What a run compared.
#[derive(Debug, Default, Clone)]
pub struct DiffReport {
    pub seeds_run: u64,
    pub steps_per_seed: u32,
    pub per_op: BTreeMap<&'static str, OpTally>,
    pub events_compared: u64,
}

impl DiffReport {
    pub fn ops_compared(&self) -> u64 {
        self.per_op
            .values()
            .map(|t| t.ok + t.errors.values().sum::<u64>())
            .sum()
    }
}

impl fmt::Display for DiffReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "difftest: {} seeds x {} steps, {} ops and {} watch events compared, 0 differences",
            self.seeds_run,
            self.steps_per_seed,
            self.ops_compared(),
            self.events_compared
        )?;
        for (name, tally) in &self.per_op {
            writeln!(
                f,
                "  {name:<22} ok {:>5}  {}",
                tally.ok,
                runner::error_counts_text(&tally.errors)
            )?;
        }
        Ok(())
    }
}

/// Why a run stopped.
#[derive(Debug)]
pub enum DiffFailure {
    /// The servers answered differently.
    Mismatch {
        seed: u64,
        steps: u32,
        step: String,
        op: String,
        servers: String,
        detail: String,
        /// The ops before, with server A's error codes.
        history: Vec<String>,
    },
    /// The run could not go on (a server failed to start, both connections
    /// broke, the time budget ran out): no verdict on the servers.
    Harness {
        seed: u64,
        step: String,
        op: String,
        detail: String,
        log_tails: String,
    },
}

impl fmt::Display for DiffFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiffFailure::Mismatch {
                seed,
                steps,
                step,
                op,
                servers,
                detail,
                history,
            } => {
                writeln!(f, "difftest: the servers disagree")?;
                if *seed >= SCENARIO_SEED_BASE {
                    writeln!(
                        f,
                        "  seed {seed}, {step}   (a fixed scenario: run it again)"
                    )?;
                } else {
                    writeln!(
                        f,
                        "  seed {seed}, {step}   (replay: RK_DIFF_SEED={seed} RK_DIFF_STEPS={steps})"
                    )?;
                }
                writeln!(f, "  servers: {servers}")?;
                writeln!(f, "  op: {op}")?;
                writeln!(f, "  difference: {detail}")?;
                writeln!(f, "  ops before it (A's answers):")?;
                for line in history {
                    writeln!(f, "    {line}")?;
                }
                Ok(())
            }
            DiffFailure::Harness {
                seed,
                step,
                op,
                detail,
                log_tails,
            } => {
                writeln!(
                    f,
                    "difftest: harness failure (no verdict) at seed {seed}, {step}"
                )?;
                if !op.is_empty() {
                    writeln!(f, "  op: {op}")?;
                }
                writeln!(f, "  {detail}")?;
                if !log_tails.is_empty() {
                    writeln!(f, "{log_tails}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for DiffFailure {}

/// Starts the two servers the config names and runs every seed on them.
pub fn run(config: &DiffConfig) -> Result<DiffReport, Box<DiffFailure>> {
    let [server_a, server_b] = start_servers(config)?;
    run_on(config, [&server_a, &server_b])
}

/// Starts the two servers the config names and runs every fixed scenario
/// ([`scenarios::SCENARIOS`]) on them.
pub fn run_scenarios(config: &DiffConfig) -> Result<DiffReport, Box<DiffFailure>> {
    let [server_a, server_b] = start_servers(config)?;
    run_scenarios_on(config, [&server_a, &server_b])
}

/// Server A and server B, as the config names them.
fn start_servers(config: &DiffConfig) -> Result<[TestServer; 2], Box<DiffFailure>> {
    let options = DiffConfig::server_options();
    let start = |kind: ServerKind| {
        TestServer::start(kind, &options).map_err(|error| {
            Box::new(DiffFailure::Harness {
                seed: config.seeds.first().copied().unwrap_or(0),
                step: "starting the servers".into(),
                op: String::new(),
                detail: format!("{kind}: {error}"),
                log_tails: String::new(),
            })
        })
    };
    Ok([start(config.kinds[0])?, start(config.kinds[1])?])
}

/// Runs every fixed scenario ([`scenarios::SCENARIOS`]) on two running
/// servers; `config` gives the session count and the report's settings.
pub fn run_scenarios_on(
    config: &DiffConfig,
    servers: [&TestServer; 2],
) -> Result<DiffReport, Box<DiffFailure>> {
    let started = Instant::now();
    let mut report = DiffReport::default();
    for (seed, scenario) in (SCENARIO_SEED_BASE..).zip(&scenarios::SCENARIOS) {
        runner::run_scenario(config, scenario, seed, servers, started, &mut report)?;
    }
    Ok(report)
}

/// Runs every seed of `config` on two running servers.
pub fn run_on(
    config: &DiffConfig,
    servers: [&TestServer; 2],
) -> Result<DiffReport, Box<DiffFailure>> {
    let started = Instant::now();
    let mut report = DiffReport {
        steps_per_seed: config.steps,
        ..DiffReport::default()
    };
    for &seed in &config.seeds {
        runner::run_seed(config, seed, servers, started, &mut report)?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_name_exactly_two_servers_and_bounded_sizes() {
        let config = DiffConfig::from_settings("zk,zk", None, None, None).unwrap();
        assert_eq!(config.kinds, [ServerKind::ApacheZk; 2]);
        assert_eq!(config.seeds.len() as u64, SEEDS_DEFAULT);
        assert_eq!(config.steps, STEPS_DEFAULT);
        let replay = DiffConfig::from_settings("zk,zk", Some("77"), Some("5"), Some("10")).unwrap();
        assert_eq!((replay.seeds, replay.steps), (vec![77], 10));
        let sized = DiffConfig::from_settings("zk,zk", None, Some("3"), None).unwrap();
        assert_eq!(sized.seeds, [1, 2, 3]);
        assert!(DiffConfig::from_settings("zk", None, None, None).is_err());
        assert!(DiffConfig::from_settings("zk,zk,zk", None, None, None).is_err());
        assert!(DiffConfig::from_settings("zk,zk", None, Some("0"), None).is_err());
        assert!(DiffConfig::from_settings("zk,zk", None, None, Some("x")).is_err());
        assert!(DiffConfig::from_settings("zk,zk", None, None, Some("1000000")).is_err());
    }
}
