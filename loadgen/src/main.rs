//! loadgen: the benchmark instrument. Drives any ZooKeeper-compatible
//! server with many real sessions (handshake, pings, clean close) from a
//! few io_uring worker threads, and reports throughput, HDR latency per
//! op, errors by ZooKeeper code, session events and its own CPU per op.

mod ack_log;
mod config;
mod plot;
mod report;
mod session;
mod setup;
mod stats;
mod worker;
mod workload;

use clap::Parser;
use config::{Cli, ConfigError, LoadConfig};
use report::{RunFacts, Second};
use stats::{new_histogram, Interval, Stats};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use worker::{Shared, Worker, SESSIONS_PER_WORKER_MAX};

/// File descriptors loadgen needs besides one per session.
const FDS_SPARE: u64 = 64;

fn main() -> ExitCode {
    let config = match LoadConfig::from_cli(Cli::parse()) {
        Ok(config) => config,
        Err(ConfigError::Invalid(message)) => {
            eprintln!("loadgen: {message}");
            return ExitCode::from(2);
        }
    };
    // Before the embedded server starts, so its rings register every
    // socket as a fixed file under the raised limit too.
    if let Err(message) = check_limits(&config) {
        eprintln!("loadgen: {message}");
        return ExitCode::from(1);
    }
    let embedded = if config.embedded {
        match start_embedded_server() {
            Ok(server) => Some(server),
            Err(message) => {
                eprintln!("loadgen: {message}");
                return ExitCode::from(1);
            }
        }
    } else {
        None
    };
    let code = match run(config) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("loadgen: {message}");
            ExitCode::from(1)
        }
    };
    if let Some(server) = embedded {
        server.shutdown();
    }
    code
}

/// No `--servers`: start ringkeeper's embedded default server in this
/// process (127.0.0.1:2181, data under ./ringkeeper-data).
fn start_embedded_server() -> Result<ringkeeper_server::run::RunningServer, String> {
    let config = ringkeeper_server::run::embedded_default_config();
    let server = ringkeeper_server::run::start(config, &Default::default()).map_err(|e| {
        format!(
            "no --servers given, and the embedded ringkeeper server cannot start: {e} \
             (is another server running there? pass --servers host:port to load it instead)"
        )
    })?;
    eprintln!(
        "loadgen: no --servers given: loading an embedded ringkeeper on {} ({:?} backend, dataDir {})",
        server.local_addr(),
        server.backend(),
        server.config().data_dir.display()
    );
    Ok(server)
}

fn run(config: LoadConfig) -> Result<ExitCode, String> {
    // SAFETY: SIG_IGN for SIGPIPE is a process-wide disposition, safe to
    // set from any thread (the embedded server's may already run); sends
    // use MSG_NOSIGNAL too.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };

    // Before setup, so a path that cannot be written fails at once.
    let ack_log = match &config.ack_log {
        Some(path) => Some(ack_log::AckLogFile::create(path)?),
        None => None,
    };
    let layout = setup::Layout::new(&config.root, config.keys);
    let value = vec![b'x'; config.value_size];
    setup::prepare(
        &config.servers,
        &config.root,
        &layout,
        &value,
        config.session_timeout_ms,
    )?;

    let shared = Arc::new(Shared {
        epoch: Instant::now(),
        key_prefix: layout.key_prefix,
        keys: layout.keys,
        dir_path: layout.dir_path,
        sequence_prefix: layout.sequence_prefix,
        value,
        sessions_ready: Default::default(),
        workers_connected: Default::default(),
        load_start_ns: Default::default(),
        abort: Default::default(),
        ack_log,
        config,
    });
    let config = &shared.config;
    let (interval_sender, intervals) = mpsc::channel::<Interval>();
    let connect_gap_ns = (1e9 / config.connect_rate_per_s * f64::from(config.threads)) as u64;
    let mut workers = Vec::new();
    for worker_index in 0..config.threads {
        let session_servers: Vec<usize> = (worker_index..config.clients)
            .step_by(config.threads as usize)
            .map(|global| global as usize % config.servers.len())
            .collect();
        let (shared, intervals) = (shared.clone(), interval_sender.clone());
        let handle = std::thread::Builder::new()
            .name(format!("loadgen-{worker_index}"))
            .spawn(move || {
                Worker::new(
                    shared,
                    worker_index,
                    session_servers,
                    connect_gap_ns,
                    intervals,
                )?
                .run()
            })
            .map_err(|error| format!("cannot start a worker thread: {error}"))?;
        workers.push(handle);
    }
    drop(interval_sender);

    let facts = supervise(&shared, intervals, &workers);
    let mut stats = Stats::default();
    let mut worker_error = None;
    for handle in workers {
        match handle.join() {
            Ok(Ok(worker_stats)) => stats.merge(&worker_stats),
            Ok(Err(error)) => worker_error = Some(format!("a worker stopped: {error}")),
            Err(_) => worker_error = Some("a worker thread panicked".to_owned()),
        }
    }
    // Every worker has appended its lines by now (a panicking one too).
    if let Some(log) = &shared.ack_log {
        eprintln!(
            "loadgen: ack log {}: {} acknowledged writes",
            log.path().display(),
            log.lines()
        );
    }
    if let Some(error) = worker_error {
        return Err(error);
    }
    let facts = facts.map_err(|message| {
        let reasons: Vec<String> = stats
            .failure_reasons
            .iter()
            .map(|(reason, count)| format!("{count} x {reason}"))
            .collect();
        if reasons.is_empty() {
            message
        } else {
            format!("{message}: {}", reasons.join("; "))
        }
    })?;
    finish(config, &stats, &facts)
}

fn check_limits(config: &LoadConfig) -> Result<(), String> {
    let needed = u64::from(config.clients) + FDS_SPARE;
    let limit = ringkeeper_engine::raise_open_files_limit().unwrap_or(0);
    if limit < needed {
        return Err(format!(
            "--clients {} needs {needed} open files but the limit is {limit}; raise it with `ulimit -n {needed}`",
            config.clients
        ));
    }
    let per_worker = config.clients.div_ceil(config.threads);
    if per_worker > SESSIONS_PER_WORKER_MAX {
        return Err(format!(
            "{per_worker} sessions per thread is over the {SESSIONS_PER_WORKER_MAX} one io_uring serves; use --threads {}",
            config.clients.div_ceil(SESSIONS_PER_WORKER_MAX)
        ));
    }
    Ok(())
}

fn unix_now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

/// loadgen's CPU time so far (all threads, user + system), seconds.
fn process_cpu_s() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The main thread: starts the load once every session is settled, shows
/// progress, samples CPU at the measured window's edges, and collects the
/// per-second intervals.
fn supervise(
    shared: &Shared,
    intervals: mpsc::Receiver<Interval>,
    workers: &[std::thread::JoinHandle<std::io::Result<Stats>>],
) -> Result<RunFacts, String> {
    let config = &shared.config;
    let threads = config.threads;
    let terminal = std::io::stderr().is_terminal();
    let mut progress = Progress::new(terminal);
    let mut load_start_ns = 0u64;
    let (mut measure_start_ns, mut measure_end_ns) = (u64::MAX, u64::MAX);
    let (mut cpu_start_s, mut cpu_end_s) = (None, None);
    let mut buckets: BTreeMap<u64, Bucket> = BTreeMap::new();
    loop {
        let now_ns = shared.now_ns();
        if load_start_ns == 0 && shared.workers_connected.load(Ordering::Acquire) == threads {
            if shared.sessions_ready.load(Ordering::Acquire) == 0 {
                // The workers close down; their stats say why sessions failed.
                shared.abort.store(true, Ordering::Release);
                progress.clear();
                return Err("no session could be established".into());
            }
            load_start_ns = now_ns + 5_000_000;
            measure_start_ns = load_start_ns + config.warmup.as_nanos() as u64;
            measure_end_ns = measure_start_ns + config.duration.as_nanos() as u64;
            shared.load_start_ns.store(load_start_ns, Ordering::Release);
        }
        if cpu_start_s.is_none() && now_ns >= measure_start_ns {
            cpu_start_s = Some((process_cpu_s(), now_ns, unix_now_s()));
        }
        if cpu_end_s.is_none() && now_ns >= measure_end_ns {
            cpu_end_s = Some((process_cpu_s(), now_ns, unix_now_s()));
        }
        while let Ok(interval) = intervals.try_recv() {
            // Intervals end a hair after each whole second: round, so the
            // first second is second 1.
            let second =
                (interval.end_ns.saturating_sub(load_start_ns) + 500_000_000) / 1_000_000_000;
            let bucket = buckets.entry(second).or_insert_with(|| Bucket {
                ops: 0,
                span_ns: 0,
                workers: 0,
                latency_ns: new_histogram(),
            });
            bucket.ops += interval.ops;
            bucket.span_ns = bucket
                .span_ns
                .max(interval.end_ns.saturating_sub(interval.start_ns));
            bucket.workers += 1;
            bucket
                .latency_ns
                .add(&interval.latency_ns)
                .expect("histograms share bounds");
        }
        if workers.iter().all(|w| w.is_finished()) {
            break;
        }
        progress.show(shared, now_ns, load_start_ns, measure_end_ns, &buckets);
        // Wake for the window edges precisely, else every 100 ms.
        let next_edge = [measure_start_ns, measure_end_ns]
            .into_iter()
            .filter(|&t| t > now_ns)
            .min();
        let sleep_ns = next_edge.map_or(100_000_000, |t| (t - now_ns).min(100_000_000));
        std::thread::sleep(Duration::from_nanos(sleep_ns.max(100_000)));
    }
    progress.clear();
    let (cpu_start, start_ns, start_unix_s) =
        cpu_start_s.ok_or("the run ended before measuring started")?;
    let (cpu_end, end_ns, end_unix_s) =
        cpu_end_s.unwrap_or((process_cpu_s(), shared.now_ns(), unix_now_s()));
    let seconds = buckets
        .into_iter()
        .map(|(second, bucket)| Second {
            at_s: second as f64,
            ops_per_s: bucket.ops_per_s(),
            p50_ms: bucket.latency_ns.value_at_percentile(50.0) as f64 / 1e6,
            p99_ms: bucket.latency_ns.value_at_percentile(99.0) as f64 / 1e6,
            p999_ms: bucket.latency_ns.value_at_percentile(99.9) as f64 / 1e6,
            max_ms: bucket.latency_ns.max() as f64 / 1e6,
        })
        .collect();
    Ok(RunFacts {
        measured_s: (end_ns.saturating_sub(start_ns)) as f64 / 1e9,
        cpu_s: cpu_end - cpu_start,
        measure_start_unix_s: start_unix_s,
        measure_end_unix_s: end_unix_s,
        seconds,
    })
}

fn finish(config: &LoadConfig, stats: &Stats, facts: &RunFacts) -> Result<ExitCode, String> {
    let text = report::text(config, stats, facts);
    // A reader that stops early (`| head`) must not cost the plot or the
    // exit status: write errors on stdout and stderr are ignored.
    if config.json {
        let _ = std::io::stderr().write_all(text.as_bytes());
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            report::json_line(config, stats, facts)
        );
    } else {
        let _ = std::io::stdout().write_all(text.as_bytes());
    }
    if let Some(path) = &config.plot {
        let title = format!(
            "loadgen: {} sessions, {} on {}, {}",
            config.clients,
            config.mix.describe(),
            config.servers_text,
            match config.rate_ops_per_s {
                Some(rate) => format!("open loop {rate} ops/s"),
                None => format!("closed loop, {} outstanding", config.outstanding),
            }
        );
        let svg = plot::svg(
            &title,
            &facts.seconds,
            &stats.all_latency_ns(),
            config.warmup.as_secs_f64(),
        );
        std::fs::write(path, svg)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    }
    let clients = u64::from(config.clients);
    if stats.sessions_connected < clients
        || stats.sessions_closed_cleanly < stats.sessions_connected
    {
        eprintln!(
            "loadgen: {} of {} sessions connected and {} closed cleanly",
            stats.sessions_connected, clients, stats.sessions_closed_cleanly
        );
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

/// The load's intervals from every worker that ended in the same second
/// since load start (warmup included).
struct Bucket {
    ops: u64,
    /// The longest of the intervals, so a short last one is not read as a
    /// full second.
    span_ns: u64,
    workers: u32,
    latency_ns: hdrhistogram::Histogram<u64>,
}

impl Bucket {
    fn ops_per_s(&self) -> f64 {
        self.ops as f64 * 1e9 / self.span_ns.max(1) as f64
    }
}

/// The live progress line on a terminal; silent when stderr is piped.
struct Progress {
    terminal: bool,
    last_shown_ns: u64,
}

impl Progress {
    fn new(terminal: bool) -> Progress {
        Progress {
            terminal,
            last_shown_ns: 0,
        }
    }

    fn show(
        &mut self,
        shared: &Shared,
        now_ns: u64,
        load_start_ns: u64,
        measure_end_ns: u64,
        buckets: &BTreeMap<u64, Bucket>,
    ) {
        if !self.terminal || now_ns < self.last_shown_ns + 500_000_000 {
            return;
        }
        self.last_shown_ns = now_ns;
        let ready = shared.sessions_ready.load(Ordering::Relaxed);
        let clients = shared.config.clients;
        let line = if load_start_ns == 0 {
            format!("connecting  {ready}/{clients} sessions")
        } else {
            let elapsed_s = now_ns.saturating_sub(load_start_ns) as f64 / 1e9;
            let total_s = measure_end_ns.saturating_sub(load_start_ns) as f64 / 1e9;
            // The newest second that every worker has reported.
            let (ops, p99_ms) = buckets
                .values()
                .rev()
                .find(|bucket| bucket.workers >= shared.config.threads)
                .map(|bucket| {
                    let p99_ms = bucket.latency_ns.value_at_percentile(99.0) as f64 / 1e6;
                    (bucket.ops_per_s() as u64, p99_ms)
                })
                .unwrap_or((0, 0.0));
            let warm = if elapsed_s < shared.config.warmup.as_secs_f64() {
                " (warmup)"
            } else {
                ""
            };
            format!(
                "[{elapsed_s:6.1}s / {total_s:.0}s] {ops:>9} ops/s  p99 {p99_ms:8.3} ms  sessions {ready}/{clients}{warm}"
            )
        };
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[2K{line}");
        let _ = stderr.flush();
    }

    fn clear(&mut self) {
        if self.terminal {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}
