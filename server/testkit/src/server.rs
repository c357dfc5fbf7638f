//! Starts a ZooKeeper-protocol server as a child process on 127.0.0.1 for
//! tests: Apache ZooKeeper 3.8 (Debian's package, run as
//! `tuning/zkharness.py` does) or the `ringkeeper` binary, both from a
//! zoo.cfg we write into a fresh temp dir.
//!
//! Life of a [`TestServer`]:
//!
//! ```text
//! start:   temp dir -> free port (bind 127.0.0.1:0) -> zoo.cfg -> spawn
//!          -> poll `ruok` until `imok` from a socket our child owns
//!             (child exited with "Address already in use": new port, again)
//! restart: stop (SIGTERM, bounded wait, SIGKILL) -> spawn, same dir and port
//! drop:    stop, then remove the temp dir
//! ```
//!
//! Every child is spawned from one long-lived thread with
//! `PR_SET_PDEATHSIG = SIGKILL`, so a test process that dies (or a server
//! kept in a `static`, whose destructor never runs) leaves no server behind.

use std::fmt;
use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

const HOST: Ipv4Addr = Ipv4Addr::LOCALHOST;
const ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";
/// zookeeper.jar's manifest Class-Path brings every runtime jar the server
/// needs except an slf4j binding; without one ZooKeeper logs nothing.
const ZOOKEEPER_LOG_JARS: [&str; 2] = [
    "/usr/share/java/slf4j-log4j12.jar",
    "/usr/share/java/log4j-1.2.jar",
];
const ZOOKEEPER_MAIN_CLASS: &str = "org.apache.zookeeper.server.quorum.QuorumPeerMain";
/// Attempts at a fresh port when the one we picked was taken before the
/// server bound it.
const PORT_ATTEMPTS_MAX: u32 = 5;
/// What ZooKeeper answers a four-letter word with before it serves.
const NOT_SERVING: &str = "not currently serving";
const READY_POLL_INTERVAL: Duration = Duration::from_millis(100);
const FOUR_LETTER_TIMEOUT: Duration = Duration::from_secs(2);
/// A four-letter word answer larger than this is cut (mntr/cons/dump are
/// a few KiB on a test server).
const FOUR_LETTER_ANSWER_BYTES_MAX: u64 = 4 << 20;
/// How much of the end of each log file `log_tail` reads.
const LOG_TAIL_BYTES_MAX: u64 = 64 * 1024;

/// Which server a test talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerKind {
    /// Apache ZooKeeper 3.8 from `/usr/share/java/zookeeper.jar`.
    ApacheZk,
    /// Our `ringkeeper` binary (see [`ringkeeper_binary`]).
    Ringkeeper,
}

impl ServerKind {
    /// The name used in `RK_TEST_SERVERS` and `RK_DIFF_SERVERS`.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::ApacheZk => "zk",
            ServerKind::Ringkeeper => "ringkeeper",
        }
    }

    /// Parses one name of a server list (`zk`, `zookeeper`, `ringkeeper`, `rk`).
    pub fn parse(name: &str) -> Option<ServerKind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "zk" | "zookeeper" | "apache" | "apachezk" => Some(ServerKind::ApacheZk),
            "ringkeeper" | "rk" => Some(ServerKind::Ringkeeper),
            _ => None,
        }
    }

    /// Whether this kind can be started here; `Err` says why not and how to fix it.
    pub fn check_available(self) -> Result<(), String> {
        match self {
            ServerKind::ApacheZk => {
                if !Path::new(ZOOKEEPER_JAR).exists() {
                    return Err(format!(
                        "Apache ZooKeeper is not installed ({ZOOKEEPER_JAR} is missing): \
                         apt-get install -y zookeeper"
                    ));
                }
                find_java().map(|_| ())
            }
            ServerKind::Ringkeeper => {
                let binary = ringkeeper_binary();
                if binary.is_file() {
                    Ok(())
                } else {
                    Err(format!(
                        "the ringkeeper binary is missing ({}): build it with \
                         `cargo build -p ringkeeper-server --bin ringkeeper` (same profile and \
                         target dir as the tests) or point RINGKEEPER_BIN at it",
                        binary.display()
                    ))
                }
            }
        }
    }
}

impl fmt::Display for ServerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The default of `RK_TEST_SERVERS`.
pub const TEST_SERVERS_DEFAULT: &str = "zk,ringkeeper";

/// Which kinds a test run covers: env `RK_TEST_SERVERS="zk,ringkeeper"`
/// (default [`TEST_SERVERS_DEFAULT`]). A kind that is requested but not
/// available here panics with the reason: a test run never skips a server
/// silently.
pub fn kinds_under_test() -> Vec<ServerKind> {
    let spec = std::env::var("RK_TEST_SERVERS").unwrap_or_else(|_| TEST_SERVERS_DEFAULT.into());
    match parse_server_kinds(&spec, "RK_TEST_SERVERS") {
        Ok(kinds) => kinds,
        Err(message) => panic!("{message}"),
    }
}

/// Parses a comma-separated list of server kinds (repeats kept, so
/// `zk,zk` names two Apache ZooKeepers) and checks each is available.
/// `origin` names where the list came from, for the error.
pub fn parse_server_kinds(spec: &str, origin: &str) -> Result<Vec<ServerKind>, String> {
    let mut kinds = Vec::new();
    for name in spec.split(',').filter(|name| !name.trim().is_empty()) {
        let kind = ServerKind::parse(name).ok_or_else(|| {
            format!("{origin}: unknown server kind {name:?} (expected zk or ringkeeper)")
        })?;
        kind.check_available()
            .map_err(|why| format!("{origin} asks for {kind}, which is unavailable: {why}"))?;
        kinds.push(kind);
    }
    if kinds.is_empty() {
        return Err(format!("{origin}: no server kind given in {spec:?}"));
    }
    Ok(kinds)
}

/// The ringkeeper binary: env `RINGKEEPER_BIN`, else `ringkeeper` in the
/// `release` or `debug` dir of the target dir the running test executable
/// was built into (the newer of the two when both exist).
pub fn ringkeeper_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("RINGKEEPER_BIN") {
        return PathBuf::from(path);
    }
    // A test executable lives in <target>/<profile>/deps/<name>-<hash>:
    // the binary built with it, in the same profile, comes first.
    let profile_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()));
    if let Some(own) = profile_dir.as_ref().map(|dir| dir.join("ringkeeper")) {
        if own.is_file() {
            return own;
        }
    }
    let target_dir = profile_dir
        .and_then(|dir| Some(dir.parent()?.to_path_buf()))
        .unwrap_or_else(|| PathBuf::from("target"));
    let candidates =
        ["release", "debug"].map(|profile| target_dir.join(profile).join("ringkeeper"));
    let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    candidates
        .iter()
        .filter(|path| path.is_file())
        .max_by_key(|path| modified(path))
        .unwrap_or(&candidates[0])
        .clone()
}

/// How to configure and run a test server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// More zoo.cfg lines, written after ours (a later key wins in both servers).
    pub extra_cfg: Vec<(String, String)>,
    /// zoo.cfg `forceSync`: fsync the txn log before acknowledging. Off by
    /// default: tests want speed, durability tests turn it on.
    pub force_sync: bool,
    pub tick_time_ms: u32,
    /// Extra environment of the server process (e.g. `RINGKEEPER_IO_BACKEND`).
    pub env: Vec<(String, String)>,
    /// Java system properties (`-Dkey=value`) for Apache ZooKeeper, for
    /// settings zoo.cfg cannot carry (`znode.container.checkIntervalMs`).
    /// ringkeeper gets them the way ZooKeeper's scripts pass them, as
    /// `SERVER_JVMFLAGS="-Dkey=value ..."` in its environment.
    pub system_properties: Vec<(String, String)>,
    /// JVM heap (-Xmx) of Apache ZooKeeper, in MiB.
    pub zk_heap_mb: u32,
    /// How long `start` and `restart` wait for `ruok` to answer `imok`.
    pub ready_timeout_ms: u64,
    /// How long `stop` waits after SIGTERM before SIGKILL.
    pub stop_grace_ms: u64,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            extra_cfg: Vec::new(),
            force_sync: false,
            tick_time_ms: 2000,
            env: Vec::new(),
            system_properties: Vec::new(),
            zk_heap_mb: 512,
            ready_timeout_ms: 30_000,
            stop_grace_ms: 10_000,
        }
    }
}

/// A server process on 127.0.0.1 with its own temp dir (config, data, logs).
/// Dropping it stops the process and removes the dir.
pub struct TestServer {
    kind: ServerKind,
    options: ServerOptions,
    dir: TempDir,
    port: u16,
    child: Option<Child>,
}

impl fmt::Debug for TestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestServer")
            .field("kind", &self.kind)
            .field("addr", &self.addr())
            .field("dir", &self.dir.path)
            .field("pid", &self.pid())
            .finish()
    }
}

impl TestServer {
    /// Starts a server of `kind` on a free port of 127.0.0.1 and returns
    /// once it answers `ruok` with `imok`.
    pub fn start(kind: ServerKind, options: &ServerOptions) -> io::Result<TestServer> {
        kind.check_available().map_err(io::Error::other)?;
        let dir = TempDir::new(kind.name())?;
        fs::create_dir_all(dir.path.join("data"))?;
        let mut server = TestServer {
            kind,
            options: options.clone(),
            dir,
            port: 0,
            child: None,
        };
        let mut attempt = 1;
        loop {
            server.port = free_port()?;
            server.write_config()?;
            match server.spawn_and_wait_ready() {
                Ok(()) => return Ok(server),
                Err(error)
                    if error.kind() == io::ErrorKind::AddrInUse && attempt < PORT_ATTEMPTS_MAX =>
                {
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((HOST, self.port))
    }

    /// `127.0.0.1:<port>`, as ZooKeeper clients take it.
    pub fn connect_string(&self) -> String {
        self.addr().to_string()
    }

    /// The temp dir holding zoo.cfg, `data/` and the logs.
    pub fn dir(&self) -> &Path {
        &self.dir.path
    }

    /// zoo.cfg `dataDir`.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path.join("data")
    }

    /// The server's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Sends a four-letter word (`ruok`, `srvr`, `mntr`, `conf`, ...) and
    /// returns the whole answer.
    pub fn four_letter(&self, word: &str) -> io::Result<String> {
        four_letter(self.addr(), word)
    }

    /// Stops the server (SIGTERM, then SIGKILL after `stop_grace_ms`) and
    /// removes its dir.
    pub fn stop(mut self) {
        self.stop_process();
    }

    /// SIGKILL, no grace: a crash. The dir stays for [`TestServer::restart`].
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server if it runs, then starts it again on the same dir
    /// and port, and waits until it is ready.
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop_process();
        self.spawn_and_wait_ready()
    }

    /// The last `lines` lines of the server's log and of its stdout/stderr.
    pub fn log_tail(&self, lines: usize) -> String {
        let mut parts = Vec::new();
        for name in ["zookeeper.log", "stdout.log"] {
            let path = self.dir.path.join(name);
            if let Ok(text) = read_tail(&path, LOG_TAIL_BYTES_MAX) {
                let all: Vec<&str> = text.lines().collect();
                let start = all.len().saturating_sub(lines);
                parts.push(format!(
                    "--- tail of {} ---\n{}",
                    path.display(),
                    all[start..].join("\n")
                ));
            }
        }
        if parts.is_empty() {
            "(no log)".into()
        } else {
            parts.join("\n")
        }
    }

    fn write_config(&self) -> io::Result<()> {
        let options = &self.options;
        let mut cfg = String::new();
        let mut line = |key: &str, value: &str| {
            cfg.push_str(key);
            cfg.push('=');
            cfg.push_str(value);
            cfg.push('\n');
        };
        line("tickTime", &options.tick_time_ms.to_string());
        line("dataDir", &self.data_dir().to_string_lossy());
        line("clientPort", &self.port.to_string());
        line("clientPortAddress", &HOST.to_string());
        line("4lw.commands.whitelist", "*");
        line("extendedTypesEnabled", "true");
        line("maxClientCnxns", "0");
        line("forceSync", if options.force_sync { "yes" } else { "no" });
        line("admin.enableServer", "false");
        for (key, value) in &options.extra_cfg {
            line(key, value);
        }
        fs::write(self.dir.path.join("zoo.cfg"), cfg)?;
        if self.kind == ServerKind::ApacheZk {
            let log = self.dir.path.join("zookeeper.log");
            let log4j = format!(
                "log4j.rootLogger=INFO, FILE\n\
                 log4j.appender.FILE=org.apache.log4j.FileAppender\n\
                 log4j.appender.FILE.File={}\n\
                 log4j.appender.FILE.layout=org.apache.log4j.PatternLayout\n\
                 log4j.appender.FILE.layout.ConversionPattern=%d{{ISO8601}} %-5p [%t:%C{{1}}@%L] - %m%n\n",
                log.display()
            );
            fs::write(self.dir.path.join("log4j.properties"), log4j)?;
        }
        Ok(())
    }

    fn command(&self) -> io::Result<Command> {
        let dir = &self.dir.path;
        let cfg = dir.join("zoo.cfg");
        let options = &self.options;
        let mut command = match self.kind {
            ServerKind::ApacheZk => {
                let mut command = Command::new(find_java().map_err(io::Error::other)?);
                let mut classpath = vec![dir.to_string_lossy().into_owned(), ZOOKEEPER_JAR.into()];
                classpath.extend(
                    ZOOKEEPER_LOG_JARS
                        .iter()
                        .filter(|jar| Path::new(jar).exists())
                        .map(|jar| jar.to_string()),
                );
                command
                    .arg(format!("-Xmx{}m", options.zk_heap_mb))
                    .arg("-Djava.net.preferIPv4Stack=true")
                    .arg(format!("-Dzookeeper.log.dir={}", dir.display()))
                    .arg(format!(
                        "-Dlog4j.configuration=file:{}",
                        dir.join("log4j.properties").display()
                    ))
                    .arg("-Dzookeeper.admin.enableServer=false")
                    .arg("-Dzookeeper.4lw.commands.whitelist=*")
                    .arg(format!(
                        "-Dzookeeper.forceSync={}",
                        if options.force_sync { "yes" } else { "no" }
                    ));
                for (key, value) in &options.system_properties {
                    command.arg(format!("-D{key}={value}"));
                }
                command
                    .arg("-cp")
                    .arg(classpath.join(":"))
                    .arg(ZOOKEEPER_MAIN_CLASS)
                    .arg(&cfg);
                command
            }
            ServerKind::Ringkeeper => {
                let mut command = Command::new(ringkeeper_binary());
                command.arg(&cfg);
                if !options.system_properties.is_empty() {
                    let flags: Vec<String> = options
                        .system_properties
                        .iter()
                        .map(|(key, value)| format!("-D{key}={value}"))
                        .collect();
                    command.env("SERVER_JVMFLAGS", flags.join(" "));
                }
                command
            }
        };
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("stdout.log"))?;
        command
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .envs(options.env.iter().map(|(k, v)| (k, v)));
        Ok(command)
    }

    /// Spawns the server on `self.port` and waits until it is ready. An
    /// `AddrInUse` error means the port was taken before the server bound it.
    fn spawn_and_wait_ready(&mut self) -> io::Result<()> {
        let child = spawn_child(self.command()?)?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_millis(self.options.ready_timeout_ms);
        let result = self.wait_ready(deadline);
        if result.is_err() {
            self.stop_process();
        }
        result
    }

    fn wait_ready(&mut self, deadline: Instant) -> io::Result<()> {
        loop {
            let Some(child) = self.child.as_mut() else {
                return Err(io::Error::other("server process is not running"));
            };
            let pid = child.id();
            if let Some(status) = child.try_wait()? {
                self.child = None;
                let tail = self.log_tail(40);
                let kind = if tail.contains("Address already in use") {
                    io::ErrorKind::AddrInUse
                } else {
                    io::ErrorKind::Other
                };
                return Err(io::Error::new(
                    kind,
                    format!(
                        "{} on {} exited with {status} before it was ready\n{tail}",
                        self.kind,
                        self.addr()
                    ),
                ));
            }
            // ZooKeeper answers `ruok` as soon as its port is open, before
            // it serves sessions; `srvr` says when it does not serve yet.
            let answer = self.four_letter("ruok").unwrap_or_default();
            if answer == "imok"
                && process_listens_on(pid, self.port) != Some(false)
                && !self
                    .four_letter("srvr")
                    .unwrap_or_default()
                    .contains(NOT_SERVING)
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "{} on {} did not answer ruok with imok within {} ms (last answer {answer:?})\n{}",
                        self.kind,
                        self.addr(),
                        self.options.ready_timeout_ms,
                        self.log_tail(40)
                    ),
                ));
            }
            thread::sleep(READY_POLL_INTERVAL);
        }
    }

    fn stop_process(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(None) = child.try_wait() {
            // The pid is our child's and it has not been reaped, so it names no other process.
            let pid = child.id() as libc::pid_t;
            // SAFETY: kill(2) with a valid signal number has no memory effects.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_millis(self.options.stop_grace_ms);
            while Instant::now() < deadline {
                if !matches!(child.try_wait(), Ok(None)) {
                    break;
                }
                thread::sleep(Duration::from_millis(20));
            }
        }
        if let Ok(None) = child.try_wait() {
            let _ = child.kill();
        }
        let _ = child.wait();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop_process();
    }
}

/// Sends a four-letter word to `addr` and reads the answer until the
/// server closes the connection.
pub fn four_letter(addr: SocketAddr, word: &str) -> io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, FOUR_LETTER_TIMEOUT)?;
    stream.set_read_timeout(Some(FOUR_LETTER_TIMEOUT))?;
    stream.set_write_timeout(Some(FOUR_LETTER_TIMEOUT))?;
    stream.write_all(word.as_bytes())?;
    let mut answer = Vec::new();
    stream
        .take(FOUR_LETTER_ANSWER_BYTES_MAX)
        .read_to_end(&mut answer)?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

fn find_java() -> Result<PathBuf, String> {
    if let Some(home) = std::env::var_os("JAVA_HOME") {
        let java = Path::new(&home).join("bin/java");
        if java.is_file() {
            return Ok(java);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("java"))
        .find(|java| java.is_file())
        .ok_or_else(|| "java is not installed: apt-get install -y zookeeper (pulls a JRE)".into())
}

/// A port that was free a moment ago: the kernel picks it for a bind to
/// port 0. Another process may take it before the server binds it; the
/// caller retries on `AddrInUse`.
fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind((HOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Whether process `pid` holds the socket listening on `port` (read from
/// /proc). `None` when /proc cannot tell (not Linux, or no permission).
fn process_listens_on(pid: u32, port: u16) -> Option<bool> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = fs::read_to_string(table) else {
            continue;
        };
        for row in text.lines().skip(1) {
            let fields: Vec<&str> = row.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            let local_port = local
                .rsplit(':')
                .next()
                .and_then(|hex| u16::from_str_radix(hex, 16).ok());
            // State 0A is TCP_LISTEN.
            if local_port == Some(port) && *state == "0A" {
                inodes.push(format!("socket:[{inode}]"));
            }
        }
    }
    if inodes.is_empty() {
        return None;
    }
    let fds = fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    let owned = fds.flatten().any(|fd| {
        fs::read_link(fd.path())
            .map(|target| {
                inodes
                    .iter()
                    .any(|inode| target.as_os_str() == inode.as_str())
            })
            .unwrap_or(false)
    });
    Some(owned)
}

fn read_tail(path: &Path, bytes_max: u64) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(bytes_max)))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

type SpawnJob = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `command` from the process-wide spawner thread with
/// `PR_SET_PDEATHSIG = SIGKILL`. The death signal fires when the *thread*
/// that forked the child ends, so spawning from each test's own thread
/// would kill a server shared between tests when the first test ends; the
/// spawner thread lives as long as the process.
fn spawn_child(command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnJob>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (jobs, job_queue) = mpsc::channel::<SpawnJob>();
        thread::Builder::new()
            .name("testkit-spawner".into())
            .spawn(move || {
                for (mut command, reply) in job_queue {
                    // SAFETY: the closure runs between fork and exec and
                    // only calls prctl(2), which is async-signal-safe.
                    unsafe {
                        command.pre_exec(|| {
                            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                                return Err(io::Error::last_os_error());
                            }
                            Ok(())
                        });
                    }
                    let _ = reply.send(command.spawn());
                }
            })
            .map(|_| ())
            .unwrap_or_else(|error| panic!("cannot start the testkit spawner thread: {error}"));
        Mutex::new(jobs)
    });
    let (reply, answer) = mpsc::channel();
    spawner
        .lock()
        .map_err(|_| io::Error::other("testkit spawner lock poisoned"))?
        .send((command, reply))
        .map_err(|_| io::Error::other("testkit spawner thread is gone"))?;
    answer
        .recv()
        .map_err(|_| io::Error::other("testkit spawner thread is gone"))?
}

/// A directory under `std::env::temp_dir()`, removed with everything in it on drop.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new(label: &str) -> io::Result<TempDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        const NAME_ATTEMPTS_MAX: u32 = 100;
        let base = std::env::temp_dir();
        for _ in 0..NAME_ATTEMPTS_MAX {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("rk-testkit-{label}-{}-{n}", std::process::id()));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(error),
            }
        }
        Err(io::Error::other(format!(
            "no free temp dir name under {} after {NAME_ATTEMPTS_MAX} tries",
            base.display()
        )))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}
