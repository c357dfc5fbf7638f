//! Kill -9 under load (issue 4): the `ringkeeper` binary, fsyncing
//! (forceSync=yes), is SIGKILLed 20 times at a random moment 0.3-1.5 s into
//! a loadgen write load (sequential creates, setData, multi) and restarted;
//! after each restart every write loadgen recorded as acknowledged in its
//! `--ack-log` is checked with the raw test client:
//!
//! - every acknowledged persistent create exists (ephemerals are not
//!   checked: their sessions may expire once the server is back);
//! - every key's version is at least the highest acknowledged setData
//!   version (a set's or a multi's);
//! - the server's last zxid (the zxid of a read's reply) is at least every
//!   acknowledged zxid;
//! - no sequential name was acknowledged twice, across all cycles, and each
//!   cycle's sequential numbers (and a create right after the restart) are
//!   above every number acknowledged before, per parent.
//!
//! The loadgen binary comes from the same target dir and profile as this
//! test: a workspace test run (CI) builds it, since loadgen has tests of
//! its own; a run of this crate alone builds it if it is missing
//! (`LOADGEN_BIN` points at another). It lives here, not in loadgen/tests,
//! so that CI's rerun of server/tests on the epoll backend covers it.
//!
//! The seed is printed; `RK_KILL_SEED=<seed>` replays the same kill times
//! and loadgen seeds.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use ringkeeper_jute::CreateMode;
use ringkeeper_testkit::difftest::rng::Rng;
use ringkeeper_testkit::{open_acl, Client, ServerKind, ServerOptions, TestServer};

const CYCLES: u32 = 20;
const CLIENTS: u32 = 50;
/// The kill lands this long after the load starts, uniformly.
const KILL_AFTER_MS_MIN: u64 = 300;
const KILL_AFTER_MS_MAX: u64 = 1500;
/// Open loop, so each cycle's writes (and /loadgen/s's children list,
/// read in one reply) stay bounded: at most ~1,400 creates per cycle.
const LOAD_OPS_PER_S: u32 = 3000;
const MIX: &str = "create=30,ephemeral=5,set=40,multi=15,get=10";
const KEYS: u32 = 200;
/// loadgen's load lasts this long unless every session gave up first; it
/// must outlast the latest kill.
const LOAD_DURATION_S: &str = "2";
const LOAD_SESSION_TIMEOUT_MS: &str = "4000";
/// A load that would outlast the test, to see loadgen end on its own once
/// its server is gone: its sessions give up after their reconnects fail.
const LONG_LOAD_DURATION_S: &str = "60";
const LOADGEN_GIVE_UP_MAX: Duration = Duration::from_secs(15);
const ROOT: &str = "/loadgen";
/// loadgen's exit status when sessions ended without closing (the server
/// went away): see loadgen's `--ack-log` help.
const LOADGEN_EXIT_SESSIONS_LOST: i32 = 3;
const LOAD_START_TIMEOUT: Duration = Duration::from_secs(20);
const LOADGEN_EXIT_TIMEOUT: Duration = Duration::from_secs(30);
const SERVER_READY_TIMEOUT_MS: u64 = 20_000;
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// Violations shown in a failure message.
const VIOLATIONS_SHOWN_MAX: usize = 10;
/// statfs f_type of tmpfs.
const TMPFS_MAGIC: i64 = 0x0102_1994;

#[test]
fn acknowledged_writes_survive_twenty_sigkills_under_a_loadgen_write_load() {
    let started = Instant::now();
    let seed = std::env::var("RK_KILL_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(seed_from_clock);
    eprintln!("kill_under_load: seed {seed} (replay with RK_KILL_SEED={seed})");
    keep_data_off_tmpfs();
    let loadgen = loadgen_binary();
    let mut server = TestServer::start(
        ServerKind::Ringkeeper,
        &ServerOptions {
            force_sync: true,
            ready_timeout_ms: SERVER_READY_TIMEOUT_MS,
            ..ServerOptions::default()
        },
    )
    .expect("ringkeeper starts");
    let logs = server.dir().join("ack-logs");
    fs::create_dir_all(&logs).unwrap();
    let mut rng = Rng::new(seed);
    let mut history = History::default();
    for cycle in 0..CYCLES {
        let kill_after = Duration::from_millis(
            KILL_AFTER_MS_MIN + rng.below(KILL_AFTER_MS_MAX - KILL_AFTER_MS_MIN + 1),
        );
        let context = format!("cycle {cycle} of seed {seed} (kill {kill_after:?} into the load)");
        let ack_log = logs.join(format!("cycle-{cycle}.log"));
        let cycle_started = Instant::now();
        let mut run = LoadRun::start(&loadgen, &server, &ack_log, rng.next_u64(), LOAD_DURATION_S);
        run.wait_for_load_start(&server, &context);
        let load_started = Instant::now();
        std::thread::sleep(kill_after);
        server.kill();
        let killed = Instant::now();
        let status = run.wait_for_exit(&context);
        let loadgen_ended = Instant::now();
        assert_eq!(
            status.code(),
            Some(LOADGEN_EXIT_SESSIONS_LOST),
            "{context}: loadgen should end with its sessions lost; {}",
            run.output()
        );
        let acks = parse_ack_log(&ack_log, &context);
        assert!(
            !acks.is_empty(),
            "{context}: no write was acknowledged before the kill; {}",
            run.output()
        );
        // MIX has no delete: a delete is loadgen's cleanup after its load,
        // so the kill came too late to test anything (and a cleanup delete
        // in flight at the kill would look like a lost create).
        assert!(
            acks.iter().all(|ack| ack.op != "delete"),
            "{context}: harness timing: the load ended before the kill; raise LOAD_DURATION_S"
        );
        let ack_count = acks.len();
        server
            .restart()
            .unwrap_or_else(|e| panic!("{context}: restart after SIGKILL: {e}"));
        let restarted = Instant::now();
        let violations = history.check_cycle(&server, acks);
        eprintln!(
            "kill_under_load: cycle {cycle}: {ack_count} acks; load started after {:.2} s, \
             killed {:.2} s in, loadgen ended {:.2} s later, restart {:.2} s, checks {:.2} s",
            (load_started - cycle_started).as_secs_f64(),
            (killed - load_started).as_secs_f64(),
            (loadgen_ended - killed).as_secs_f64(),
            (restarted - loadgen_ended).as_secs_f64(),
            restarted.elapsed().as_secs_f64()
        );
        if !violations.is_empty() {
            let mut message = format!(
                "{context}: {} violation(s) after the restart (ack log {}):\n",
                violations.len(),
                ack_log.display()
            );
            for violation in violations.iter().take(VIOLATIONS_SHOWN_MAX) {
                let _ = writeln!(message, "  {violation}");
            }
            // Leave the evidence: the server's dir is removed on drop.
            std::mem::forget(server);
            panic!("{message}");
        }
    }
    eprintln!(
        "kill_under_load: {CYCLES} kills, {} acknowledged writes checked ({} sequential names), {:.1} s",
        history.acks_checked,
        history.sequential_names.len(),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn loadgen_ends_soon_after_its_only_server_dies_with_its_ack_log_complete() {
    keep_data_off_tmpfs();
    let loadgen = loadgen_binary();
    let mut server = TestServer::start(ServerKind::Ringkeeper, &ServerOptions::default())
        .expect("ringkeeper starts");
    let dir = server.dir().join("ack-logs");
    fs::create_dir_all(&dir).unwrap();
    let ack_log = dir.join("long-run.log");
    let context = "a 60 s load whose server dies";
    let mut run = LoadRun::start(&loadgen, &server, &ack_log, 1, LONG_LOAD_DURATION_S);
    run.wait_for_load_start(&server, context);
    std::thread::sleep(Duration::from_millis(KILL_AFTER_MS_MIN));
    server.kill();
    let killed = Instant::now();
    let status = run.wait_for_exit(context);
    let after_kill = killed.elapsed();
    assert!(
        after_kill < LOADGEN_GIVE_UP_MAX,
        "loadgen took {after_kill:?} to end after its server died; {}",
        run.output()
    );
    assert_eq!(
        status.code(),
        Some(LOADGEN_EXIT_SESSIONS_LOST),
        "{}",
        run.output()
    );
    let logged = parse_ack_log(&ack_log, context).len();
    let stderr = run.output();
    assert!(logged > 0, "nothing acknowledged; {stderr}");
    assert!(
        stderr.contains(&format!("{logged} acknowledged writes")),
        "loadgen's count matches the file's {logged} lines; {stderr}"
    );
    assert!(stderr.contains("0 closed cleanly"), "{stderr}");
}

/// One acknowledged write: a line of loadgen's ack log
/// (`op TAB path TAB zxid TAB version TAB data`, see loadgen/src/ack_log.rs).
#[derive(Debug, Clone)]
struct Ack {
    line: String,
    op: String,
    path: String,
    zxid: i64,
    version: Option<i32>,
}

fn parse_ack_log(path: &Path, context: &str) -> Vec<Ack> {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{context}: cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let bad = || panic!("{context}: malformed ack log line {line:?}");
            let [op, path, zxid, version, _data] = fields[..] else {
                bad()
            };
            Ack {
                line: line.to_owned(),
                op: op.to_owned(),
                path: path.to_owned(),
                zxid: zxid.parse().unwrap_or_else(|_| bad()),
                version: match version {
                    "-" => None,
                    number => Some(number.parse().unwrap_or_else(|_| bad())),
                },
            }
        })
        .collect()
}

/// What earlier cycles acknowledged, checked again after every restart.
#[derive(Default)]
struct History {
    /// Acknowledged persistent creates, all cycles.
    persistent: BTreeMap<String, Ack>,
    /// Highest acknowledged data version per path.
    versions: BTreeMap<String, Ack>,
    /// Every sequential name acknowledged (ephemerals too).
    sequential_names: HashSet<String>,
    /// Highest sequence number acknowledged per parent.
    sequence_max: BTreeMap<String, i64>,
    zxid_max: Option<Ack>,
    acks_checked: u64,
}

impl History {
    /// Adds one cycle's acknowledged writes, then checks the restarted
    /// server against everything acknowledged so far. Returns what is wrong.
    fn check_cycle(&mut self, server: &TestServer, acks: Vec<Ack>) -> Vec<String> {
        let mut violations = Vec::new();
        let mut cycle_sequence_min: BTreeMap<String, (i64, String)> = BTreeMap::new();
        for ack in acks {
            self.acks_checked += 1;
            if self.zxid_max.as_ref().is_none_or(|max| ack.zxid > max.zxid) {
                self.zxid_max = Some(ack.clone());
            }
            match ack.op.as_str() {
                "create" | "ephemeral" => {
                    let (parent, number) = sequence_of(&ack.path);
                    if !self.sequential_names.insert(ack.path.clone()) {
                        violations
                            .push(format!("sequential name acknowledged twice: {}", ack.line));
                    }
                    let min = cycle_sequence_min
                        .entry(parent.to_owned())
                        .or_insert((i64::MAX, String::new()));
                    if number < min.0 {
                        *min = (number, ack.line.clone());
                    }
                    if ack.op == "create" {
                        self.persistent.insert(ack.path.clone(), ack);
                    }
                }
                "set" | "multi" => {
                    let Some(version) = ack.version else {
                        continue; // a multi without a setData
                    };
                    let higher = self
                        .versions
                        .get(&ack.path)
                        .is_none_or(|known| known.version < Some(version));
                    if higher {
                        self.versions.insert(ack.path.clone(), ack);
                    }
                }
                "delete" => {
                    // loadgen's mix here has no deletes, and its cleanup
                    // deletes run only while the server is up; a node an
                    // acknowledged delete removed is not expected.
                    self.persistent.remove(&ack.path);
                }
                other => violations.push(format!("unknown op {other:?} in {}", ack.line)),
            }
        }
        // This cycle's sequence numbers come after every earlier cycle's.
        for (parent, (number, line)) in &cycle_sequence_min {
            if let Some(&before) = self.sequence_max.get(parent) {
                if *number <= before {
                    violations.push(format!(
                        "sequence {number} under {parent} is not above {before}, acknowledged before a restart: {line}"
                    ));
                }
            }
        }
        self.raise_sequence_max();
        violations.extend(self.check_server(server));
        violations
    }

    fn check_server(&mut self, server: &TestServer) -> Vec<String> {
        let mut violations = Vec::new();
        let mut client = Client::connect_new(server.addr()).expect("connect after the restart");
        // A read's reply carries the server's last processed zxid.
        client
            .exists(ROOT, false)
            .expect("exists after the restart");
        if let Some(max) = &self.zxid_max {
            if client.last_zxid_seen() < max.zxid {
                violations.push(format!(
                    "the server's last zxid {} is below an acknowledged one: {}",
                    client.last_zxid_seen(),
                    max.line
                ));
            }
        }
        let parents: HashSet<&str> = self.persistent.keys().map(|p| sequence_of(p).0).collect();
        let mut present = HashSet::new();
        for parent in parents {
            for child in client.get_children(parent, false).expect("getChildren") {
                present.insert(format!("{parent}/{child}"));
            }
        }
        for (path, ack) in &self.persistent {
            if !present.contains(path) {
                violations.push(format!("acknowledged create lost: {}", ack.line));
            }
        }
        for (path, ack) in &self.versions {
            match client.exists(path, false).expect("exists") {
                Some(stat) if Some(stat.version) >= ack.version => {}
                Some(stat) => violations.push(format!(
                    "{path} has version {} below an acknowledged setData: {}",
                    stat.version, ack.line
                )),
                None => violations.push(format!("{path} is gone: {}", ack.line)),
            }
        }
        // A new sequential node after the restart takes a higher number.
        let mut probes = Vec::new();
        for (parent, &max) in &self.sequence_max {
            let created = client
                .create(
                    &format!("{parent}/n-"),
                    b"",
                    &open_acl(),
                    CreateMode::PersistentSequential,
                )
                .expect("sequential create after the restart");
            let (_, number) = sequence_of(&created);
            if number <= max {
                violations.push(format!(
                    "the first sequential create after the restart got {created}, not above {max}"
                ));
            }
            if !self.sequential_names.insert(created.clone()) {
                violations.push(format!("{created} was acknowledged before"));
            }
            // Acknowledged too: later restarts must keep it.
            let probe = Ack {
                line: format!("create\t{created}\t(the test's own, after a restart)"),
                op: "create".into(),
                path: created.clone(),
                zxid: client.last_zxid_seen(),
                version: None,
            };
            probes.push(probe);
        }
        for probe in probes {
            self.persistent.insert(probe.path.clone(), probe);
        }
        self.raise_sequence_max();
        violations
    }

    /// Brings each parent's highest sequence number up to every name
    /// acknowledged so far.
    fn raise_sequence_max(&mut self) {
        for name in &self.sequential_names {
            let (parent, number) = sequence_of(name);
            let max = self.sequence_max.entry(parent.to_owned()).or_insert(number);
            *max = (*max).max(number);
        }
    }
}

/// The parent and sequence number of a sequential node's path.
fn sequence_of(path: &str) -> (&str, i64) {
    let (parent, name) = path.rsplit_once('/').expect("an absolute path");
    let digits = name.get(name.len().saturating_sub(10)..).unwrap_or("");
    let number = digits
        .parse()
        .unwrap_or_else(|_| panic!("{path} has no 10-digit sequence suffix"));
    (parent, number)
}

/// One loadgen process loading the server.
struct LoadRun {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl LoadRun {
    /// Starts loadgen on `server` for `duration_s`; its output goes next
    /// to `ack_log`.
    fn start(
        loadgen: &Path,
        server: &TestServer,
        ack_log: &Path,
        seed: u64,
        duration_s: &str,
    ) -> LoadRun {
        let stdout = ack_log.with_extension("stdout");
        let stderr = ack_log.with_extension("stderr");
        let child = Command::new(loadgen)
            .args(["--servers", &server.connect_string()])
            .args(["--clients", &CLIENTS.to_string()])
            .args(["--mix", MIX])
            .args(["--rate", &LOAD_OPS_PER_S.to_string()])
            .args(["--keys", &KEYS.to_string()])
            .args(["--root", ROOT])
            .args(["--duration", duration_s, "--warmup", "0"])
            .args(["--session-timeout", LOAD_SESSION_TIMEOUT_MS])
            .args(["--seed", &seed.to_string()])
            .arg("--ack-log")
            .arg(ack_log)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&stdout).unwrap())
            .stderr(fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", loadgen.display()));
        LoadRun {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits until the server holds every loadgen session: the load
    /// starts right after.
    fn wait_for_load_start(&mut self, server: &TestServer, context: &str) {
        let deadline = Instant::now() + LOAD_START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{context}: loadgen ended ({status}) before its load started; {}",
                    self.output()
                );
            }
            let connections = server
                .four_letter("mntr")
                .ok()
                .and_then(|text| monitor_value(&text, "zk_num_alive_connections"));
            if connections.is_some_and(|count| count >= u64::from(CLIENTS)) {
                return;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "{context}: loadgen's {CLIENTS} sessions were not all connected within {LOAD_START_TIMEOUT:?}; {}",
                    self.output()
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    fn wait_for_exit(&mut self, context: &str) -> ExitStatus {
        let deadline = Instant::now() + LOADGEN_EXIT_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for loadgen") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{context}: loadgen did not end within {LOADGEN_EXIT_TIMEOUT:?} of the server's death; {}",
                    self.output()
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    fn output(&self) -> String {
        let read = |path: &Path| fs::read_to_string(path).unwrap_or_default();
        format!(
            "loadgen stderr:\n{}\nloadgen stdout:\n{}",
            read(&self.stderr),
            read(&self.stdout)
        )
    }
}

impl Drop for LoadRun {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A `key\tvalue` line of `mntr`, as a number.
fn monitor_value(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('\t'))
        .and_then(|value| value.trim().parse().ok())
}

/// The loadgen binary: `LOADGEN_BIN`, else `loadgen` next to the ringkeeper
/// binary this test runs (same target dir and profile), built with cargo
/// when it is missing. A stale one is not rebuilt: a workspace test run
/// rebuilds it before any test starts.
fn loadgen_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("LOADGEN_BIN") {
        return PathBuf::from(path);
    }
    // A test executable lives in <target>/<profile>/deps/.
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from <target>/<profile>/deps");
    let binary = profile_dir.join("loadgen");
    if binary.is_file() {
        return binary;
    }
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") => "dev",
        Some(name) => name,
        None => panic!("no profile in {}", profile_dir.display()),
    };
    let target_dir = profile_dir.parent().expect("a target dir");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!(
        "kill_under_load: building loadgen ({profile} profile) into {}",
        target_dir.display()
    );
    let status = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "build",
            "-p",
            "loadgen",
            "--bin",
            "loadgen",
            "--profile",
            profile,
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .status()
        .expect("cannot run cargo to build loadgen");
    assert!(
        status.success() && binary.is_file(),
        "building loadgen failed ({status}); build it with `cargo build -p loadgen` \
         (same profile and target dir as this test) or point LOADGEN_BIN at it"
    );
    binary
}

/// Durability is argued for data on a disk: when the temp dir is a tmpfs
/// (fsync a no-op), the servers' dirs go under cargo's per-target temp dir.
/// Each test calls this first, so the other waits in `Once` while the
/// environment changes.
fn keep_data_off_tmpfs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if is_tmpfs(&std::env::temp_dir()) {
            let on_disk = env!("CARGO_TARGET_TMPDIR");
            eprintln!("kill_under_load: the temp dir is a tmpfs; server data goes under {on_disk}");
            std::env::set_var("TMPDIR", on_disk);
        }
    });
}

fn is_tmpfs(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: statfs(2) writes into the zeroed struct we own.
    let mut stats: libc::statfs = unsafe { std::mem::zeroed() };
    let status = unsafe { libc::statfs(c_path.as_ptr(), &mut stats) };
    status == 0 && stats.f_type as i64 == TMPFS_MAGIC
}

fn seed_from_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |elapsed| elapsed.as_nanos() as u64)
}
