//! Runs a real Apache ZooKeeper 3.8 (Debian's `zookeeper` package) for a
//! test: its own temp dataDir, a free port on 127.0.0.1, killed on drop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Open files for the server: 10,000 client connections plus its own.
const SERVER_OPEN_FILES: u64 = 20_000;

pub struct ZooKeeper {
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl ZooKeeper {
    pub fn start() -> ZooKeeper {
        ZooKeeper::start_with("maxClientCnxns=0\n")
    }

    /// Starts a server with extra zoo.cfg lines (later keys override).
    pub fn start_with(extra_config: &str) -> ZooKeeper {
        assert!(
            std::path::Path::new(ZOOKEEPER_JAR).exists(),
            "Apache ZooKeeper is not installed ({ZOOKEEPER_JAR} missing): run `apt-get install -y zookeeper` or .ci/run"
        );
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("ringkeeper-zk-{}-{port}", std::process::id()));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let config = format!(
            "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             4lw.commands.whitelist=*\nadmin.enableServer=false\nforceSync=no\n{extra_config}",
            dir.join("data").display()
        );
        std::fs::write(dir.join("zoo.cfg"), config).unwrap();
        let log = std::fs::File::create(dir.join("zookeeper.log")).unwrap();
        let mut command = Command::new("java");
        command
            .args([
                "-Xmx1g",
                "-cp",
                &format!("/etc/zookeeper/conf:{ZOOKEEPER_JAR}"),
            ])
            .arg(format!("-Dzookeeper.log.dir={}", dir.display()))
            .arg("-Dzookeeper.root.logger=WARN,CONSOLE")
            .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
            .arg(dir.join("zoo.cfg"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        // SAFETY: only async-signal-safe setrlimit between fork and exec.
        unsafe {
            command.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: SERVER_OPEN_FILES,
                    rlim_max: SERVER_OPEN_FILES,
                };
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
                Ok(())
            });
        }
        let child = command.spawn().expect("cannot start java");
        let zookeeper = ZooKeeper { port, child, dir };
        let started = Instant::now();
        while !zookeeper.four_letter("srvr").contains("Mode: standalone") {
            assert!(
                started.elapsed() < READY_TIMEOUT,
                "ZooKeeper did not become ready; its log:\n{}",
                std::fs::read_to_string(zookeeper.dir.join("zookeeper.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        zookeeper
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Sends a four-letter word; "" when the server is not answering.
    pub fn four_letter(&self, word: &str) -> String {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return String::new();
        };
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
        let mut answer = String::new();
        if stream.write_all(word.as_bytes()).is_ok() {
            let _ = stream.read_to_string(&mut answer);
        }
        answer
    }

    /// A numeric line of `mntr`, e.g. `zk_ephemerals_count`.
    pub fn monitor(&self, key: &str) -> i64 {
        let answer = self.four_letter("mntr");
        answer
            .lines()
            .find_map(|line| line.strip_prefix(key)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("mntr has no {key}:\n{answer}"))
    }
}

impl Drop for ZooKeeper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
