//! Runs seeds on two servers step by step and stops at the first difference.
//!
//! ```text
//! per seed:  open N sessions on A and on B (slot i <-> slot i)
//!            create <root>                               (compared)
//!            repeat steps: op = generator.next_op()
//!                          A.execute(op); B.execute(op)
//!                          barrier: ping every connected session on A and on B
//!                          compare reply, events-before-reply, each slot's events
//!            reconnect the slots still disconnected      (compared)
//!            close every session                         (compared)
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use ringkeeper_jute::{CreateMode, ErrorCode, MultiOp, OpCode};

use super::answer::{Answer, Token};
use super::generator::OpGenerator;
use super::op::Op;
use super::scenarios::Scenario;
use super::side::{Outcome, Side};
use super::translation::Translation;
use super::{DiffConfig, DiffFailure, DiffReport};
use crate::client::{open_acl, ClientError, WatchEvent};
use crate::server::TestServer;

/// How long events that arrived after the ping barrier are awaited when
/// the two servers' event counts differ.
const EVENT_GRACE: Duration = Duration::from_millis(250);
/// Lines of each server's log in a harness-failure report.
const LOG_TAIL_LINES: usize = 30;

/// Which step of a seed: the root's create, a generated step, a step of
/// a fixed scenario, or a final close.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    Setup,
    Generated(u32),
    Scenario(&'static str, u32),
    Teardown(usize),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Setup => f.write_str("setup (create the seed's root)"),
            Step::Generated(step) => write!(f, "step {step}"),
            Step::Scenario(name, step) => write!(f, "scenario {name:?}, step {step}"),
            Step::Teardown(slot) => write!(f, "teardown (close session {slot})"),
        }
    }
}

struct SeedRun<'c, 's> {
    config: &'c DiffConfig,
    seed: u64,
    /// The seed's root node, `/dt<seed>`.
    root: String,
    a: Side<'s>,
    b: Side<'s>,
    translation: Translation,
    history: VecDeque<String>,
    started: Instant,
}

pub fn run_seed(
    config: &DiffConfig,
    seed: u64,
    servers: [&TestServer; 2],
    started: Instant,
    report: &mut DiffReport,
) -> Result<(), Box<DiffFailure>> {
    let mut run = SeedRun::open(config, seed, servers, started, report)?;
    let mut generator = OpGenerator::new(seed, &run.root, config.sessions);
    for step in 0..config.steps {
        if run.started.elapsed() > config.run_time_max {
            return Err(Box::new(DiffFailure::Harness {
                seed,
                step: Step::Generated(step).to_string(),
                op: String::new(),
                detail: format!(
                    "the run's time budget of {} s is spent (RK_DIFF_SEEDS/RK_DIFF_STEPS too large?)",
                    config.run_time_max.as_secs()
                ),
                log_tails: String::new(),
            }));
        }
        let op = generator.next_op();
        let outcome_a = run.step(Step::Generated(step), &op, true, report)?;
        teach(&mut generator, &op, &outcome_a);
    }
    for (extra, op) in (config.steps..).zip(generator.finish()) {
        run.step(Step::Generated(extra), &op, true, report)?;
    }
    run.teardown(report)
}

/// Runs a fixed op sequence on two servers as one seed's steps: its own
/// root (`/dt<seed>`) and sessions, every step compared as a generated
/// one is.
pub fn run_scenario(
    config: &DiffConfig,
    scenario: &Scenario,
    seed: u64,
    servers: [&TestServer; 2],
    started: Instant,
    report: &mut DiffReport,
) -> Result<(), Box<DiffFailure>> {
    let mut run = SeedRun::open(config, seed, servers, started, report)?;
    let ops = (scenario.ops)(&run.root);
    for (index, op) in (0..).zip(&ops) {
        run.step(Step::Scenario(scenario.name, index), op, true, report)?;
    }
    run.teardown(report)
}

/// Tells the generator which nodes server A's answer shows created or deleted.
fn teach(generator: &mut OpGenerator, op: &Op, outcome: &Outcome) {
    let answer = &outcome.answer;
    let field = |label: &str| {
        answer.fields.iter().find_map(|(l, token)| match token {
            Token::Text(text) if l == label => Some(text.clone()),
            _ => None,
        })
    };
    let ephemeral = |flags: i32| CreateMode::from_i32(flags).is_some_and(CreateMode::is_ephemeral);
    if answer.err != 0 {
        return;
    }
    if let Op::Pipeline { ops, .. } = op {
        for (index, inner) in ops.iter().enumerate() {
            teach(generator, inner, &pipeline_part(outcome, index));
        }
        return;
    }
    match op {
        Op::Create { session, flags, .. } => {
            if let Some(path) = field("path") {
                generator.learn_created(&path, ephemeral(*flags).then_some(*session));
            }
        }
        Op::Delete { path, .. } => generator.learn_deleted(path),
        Op::CloseSession { session } => generator.learn_session_closed(*session),
        Op::Multi { session, ops } => {
            let failed = answer
                .fields
                .iter()
                .any(|(label, _)| label.ends_with(".error"));
            if failed {
                return;
            }
            for (index, multi_op) in ops.iter().enumerate() {
                match multi_op {
                    MultiOp::Delete(request) => generator.learn_deleted(&request.path),
                    MultiOp::Create(request)
                    | MultiOp::Create2(request)
                    | MultiOp::CreateContainer(request) => {
                        let created = field(&format!("[{index}].create"))
                            .or_else(|| field(&format!("[{index}].create2")));
                        if let Some(path) = created {
                            let owner = ephemeral(request.flags).then_some(*session);
                            generator.learn_created(&path, owner);
                        }
                    }
                    MultiOp::CreateTtl(_) => {
                        if let Some(path) = field(&format!("[{index}].create2")) {
                            generator.learn_created(&path, None);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// The answer to op `index` of a pipeline, from the fields its outcome
/// lists under `[index].`.
fn pipeline_part(outcome: &Outcome, index: usize) -> Outcome {
    let prefix = format!("[{index}].");
    let mut part = Answer {
        err: 0,
        zxid: 0,
        fields: Vec::new(),
    };
    for (label, token) in &outcome.answer.fields {
        let Some(name) = label.strip_prefix(&prefix) else {
            continue;
        };
        match (name, token) {
            ("err", Token::Text(text)) => {
                part.err = ErrorCode::ALL
                    .iter()
                    .find(|code| code.zk_name() == text)
                    .map_or(-1, |code| code.as_i32());
            }
            ("zxid" | "eventsBefore", _) => {}
            _ => part.fields.push((name.to_string(), token.clone())),
        }
    }
    Outcome {
        answer: part,
        events_before_reply: 0,
        new_session_id: None,
        closed_session_events: Vec::new(),
    }
}

fn log_tails(servers: [&TestServer; 2]) -> String {
    servers
        .iter()
        .zip(["A", "B"])
        .map(|(server, name)| {
            format!(
                "--- server {name} ({}) ---\n{}",
                server.kind(),
                server.log_tail(LOG_TAIL_LINES)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn events_text(events: &[WatchEvent]) -> String {
    let texts: Vec<String> = events.iter().map(ToString::to_string).collect();
    format!("[{}]", texts.join(", "))
}

impl<'c, 's> SeedRun<'c, 's> {
    /// Opens the seed's sessions on both servers and creates its root
    /// (compared, as the first step).
    fn open(
        config: &'c DiffConfig,
        seed: u64,
        servers: [&'s TestServer; 2],
        started: Instant,
        report: &mut DiffReport,
    ) -> Result<Self, Box<DiffFailure>> {
        let harness = |server: &TestServer, error: ClientError| {
            Box::new(DiffFailure::Harness {
                seed,
                step: "opening sessions".into(),
                op: String::new(),
                detail: format!("{} on {}: {error}", server.kind(), server.addr()),
                log_tails: log_tails(servers),
            })
        };
        let a = Side::open(servers[0], config.sessions).map_err(|e| harness(servers[0], e))?;
        let b = Side::open(servers[1], config.sessions).map_err(|e| harness(servers[1], e))?;
        let mut run = SeedRun {
            config,
            seed,
            root: format!("/dt{seed}"),
            a,
            b,
            translation: Translation::new(),
            history: VecDeque::new(),
            started,
        };
        run.learn_sessions();
        let setup = Op::Create {
            session: 0,
            op_code: OpCode::Create,
            path: run.root.clone(),
            data: Vec::new().into(),
            acl: open_acl(),
            flags: CreateMode::Persistent.as_i32(),
            ttl_ms: 0,
        };
        run.step(Step::Setup, &setup, true, report)?;
        Ok(run)
    }

    /// Closes every session (compared) and counts the seed as run.
    fn teardown(mut self, report: &mut DiffReport) -> Result<(), Box<DiffFailure>> {
        for slot in 0..self.config.sessions {
            let close = Op::CloseSession { session: slot };
            self.step(Step::Teardown(slot), &close, false, report)?;
        }
        report.seeds_run += 1;
        Ok(())
    }

    fn learn_sessions(&mut self) {
        for (a, b) in self.a.session_ids().into_iter().zip(self.b.session_ids()) {
            self.translation.learn_session(a, b);
        }
    }

    fn servers(&self) -> [&TestServer; 2] {
        [self.a.server, self.b.server]
    }

    /// Executes `op` on both servers and compares everything; returns A's outcome.
    fn step(
        &mut self,
        step: Step,
        op: &Op,
        reopen: bool,
        report: &mut DiffReport,
    ) -> Result<Outcome, Box<DiffFailure>> {
        let outcome_a = self.a.execute(op, reopen);
        let outcome_b = self.b.execute(op, reopen);
        let (outcome_a, outcome_b) = match (outcome_a, outcome_b) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                let describe = |result: &Result<Outcome, ClientError>| match result {
                    Ok(outcome) => format!("answered {}", outcome.answer),
                    Err(error) => format!("failed: {error}"),
                };
                let detail = format!("A {}\n  B {}", describe(&a), describe(&b));
                return Err(self.failure(step, op, detail, a.is_err() && b.is_err()));
            }
        };
        if let (Some(session_a), Some(session_b)) =
            (outcome_a.new_session_id, outcome_b.new_session_id)
        {
            self.translation.learn_session(session_a, session_b);
        }
        let events_a = self.a.barrier();
        let events_b = self.b.barrier();
        let (mut events_a, mut events_b) = match (events_a, events_b) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                let detail = format!(
                    "the ping barrier after the op failed: A {:?}, B {:?}",
                    a.err().map(|e| e.to_string()),
                    b.err().map(|e| e.to_string())
                );
                return Err(self.failure(step, op, detail, true));
            }
        };
        let counts = |events: &[Vec<WatchEvent>]| events.iter().map(Vec::len).collect::<Vec<_>>();
        if counts(&events_a) != counts(&events_b) {
            // Apache ZooKeeper queues a step's events ahead of the ping
            // reply; a server that delivers them a moment later is not
            // wrong for that. Give late events a short grace before judging.
            let late_a = self.a.collect_late_events(&mut events_a, EVENT_GRACE);
            let late_b = self.b.collect_late_events(&mut events_b, EVENT_GRACE);
            if let Some(error) = late_a.err().or(late_b.err()) {
                let detail = format!("reading late events failed: {error}");
                return Err(self.failure(step, op, detail, true));
            }
        }
        let slot = op.session();
        let mut closed_a = outcome_a.closed_session_events.clone();
        let mut closed_b = outcome_b.closed_session_events.clone();
        if matches!(op, Op::CloseSession { .. }) {
            // ZooKeeper deletes a closing session's ephemerals in hash-set
            // order, so the events they trigger have no defined order.
            let key = |e: &WatchEvent| (e.event_type, e.path.clone());
            for events in events_a.iter_mut().chain(events_b.iter_mut()) {
                events.sort_by_key(key);
            }
            closed_a.sort_by_key(key);
            closed_b.sort_by_key(key);
        }

        let compared = self
            .translation
            .compare_answers(&outcome_a.answer, &outcome_b.answer)
            .map_err(|why| format!("reply: {why}"))
            .and_then(|()| {
                if outcome_a.events_before_reply == outcome_b.events_before_reply {
                    Ok(())
                } else {
                    Err(format!(
                        "events before the reply to session {slot}: {} vs {}",
                        outcome_a.events_before_reply, outcome_b.events_before_reply
                    ))
                }
            })
            .and_then(|()| {
                self.translation
                    .compare_events(&closed_a, &closed_b)
                    .map_err(|why| format!("events of the closed session {slot}: {why}"))
            })
            .and_then(|()| {
                for (index, (a, b)) in events_a.iter().zip(&events_b).enumerate() {
                    self.translation
                        .compare_events(a, b)
                        .map_err(|why| format!("events of session {index}: {why}"))?;
                }
                Ok(())
            });
        if let Err(why) = compared {
            let mut detail = format!(
                "{why}\n  A answered {}\n  B answered {}",
                outcome_a.answer, outcome_b.answer
            );
            for (index, (a, b)) in events_a.iter().zip(&events_b).enumerate() {
                detail.push_str(&format!(
                    "\n  session {index} events: A {} / B {}",
                    events_text(a),
                    events_text(b)
                ));
            }
            return Err(self.failure(step, op, detail, false));
        }

        if self.config.trace {
            eprintln!("seed {} {step}: {op} -> {}", self.seed, outcome_a.answer);
            for (index, events) in events_a.iter().enumerate() {
                if !events.is_empty() {
                    eprintln!("    session {index} events: {}", events_text(events));
                }
            }
        }
        let tally = report.per_op.entry(op.name()).or_default();
        match outcome_error(&outcome_a) {
            0 => tally.ok += 1,
            err => *tally.errors.entry(err).or_insert(0) += 1,
        }
        report.events_compared += events_a.iter().map(Vec::len).sum::<usize>() as u64;
        report.events_compared += closed_a.len() as u64;
        self.history
            .push_back(format!("{step}: {op} -> {}", error_summary(&outcome_a)));
        if self.history.len() > self.config.history_shown {
            self.history.pop_front();
        }
        Ok(outcome_a)
    }

    fn failure(&self, step: Step, op: &Op, detail: String, both_failed: bool) -> Box<DiffFailure> {
        let history: Vec<String> = self.history.iter().cloned().collect();
        let servers = self.servers();
        if both_failed {
            Box::new(DiffFailure::Harness {
                seed: self.seed,
                step: step.to_string(),
                op: op.to_string(),
                detail: format!("{detail}\n  recent ops:\n    {}", history.join("\n    ")),
                log_tails: log_tails(servers),
            })
        } else {
            Box::new(DiffFailure::Mismatch {
                seed: self.seed,
                steps: self.config.steps,
                step: step.to_string(),
                op: op.to_string(),
                servers: format!(
                    "A = {} on {}, B = {} on {}",
                    servers[0].kind(),
                    servers[0].addr(),
                    servers[1].kind(),
                    servers[1].addr()
                ),
                detail,
                history,
            })
        }
    }
}

/// The answer's error code; for a multi whose header says OK, the code
/// of the op that failed it (the others say OK or RUNTIMEINCONSISTENCY);
/// for a pipeline, the first code of its replies (or their multis) that
/// is not OK.
fn outcome_error(outcome: &Outcome) -> i32 {
    let answer = &outcome.answer;
    if answer.err != 0 {
        return answer.err;
    }
    answer
        .fields
        .iter()
        .filter(|(label, _)| label.ends_with(".error") || label.ends_with("].err"))
        .filter_map(|(_, token)| match token {
            Token::Text(name) => ErrorCode::ALL.iter().find(|code| code.zk_name() == name),
            _ => None,
        })
        .map(|code| code.as_i32())
        .find(|&err| err != 0 && err != ErrorCode::RuntimeInconsistency.as_i32())
        .unwrap_or(0)
}

fn error_summary(outcome: &Outcome) -> String {
    ringkeeper_jute::error_name(outcome_error(outcome)).into_owned()
}

/// Counts by error name, for the report.
pub fn error_counts_text(errors: &BTreeMap<i32, u64>) -> String {
    errors
        .iter()
        .map(|(err, count)| format!("{} {count}", ringkeeper_jute::error_name(*err)))
        .collect::<Vec<_>>()
        .join(", ")
}
