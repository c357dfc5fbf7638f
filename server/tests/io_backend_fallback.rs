//! The I/O backend is chosen automatically: where io_uring is blocked (here
//! by a seccomp filter, as container runtimes install one), ringkeeper
//! warns, naming the cause, and serves clients over epoll.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ringkeeper_testkit::ringkeeper_binary;

/// `io_uring_setup` on x86_64 and aarch64 (the same number on both).
const NR_IO_URING_SETUP: u32 = 425;

/// Installs a seccomp filter that fails `io_uring_setup` with EPERM and
/// allows everything else. Runs in the child between fork and exec.
fn deny_io_uring_setup() -> std::io::Result<()> {
    const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
    const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
    let ld_nr = libc::sock_filter {
        code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
        jt: 0,
        jf: 0,
        k: 0, // offsetof(struct seccomp_data, nr)
    };
    let jeq = libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt: 0,
        jf: 1,
        k: NR_IO_URING_SETUP,
    };
    let deny = libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k: SECCOMP_RET_ERRNO | libc::EPERM as u32,
    };
    let allow = libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k: SECCOMP_RET_ALLOW,
    };
    let mut filter = [ld_nr, jeq, deny, allow];
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY: plain prctl calls with a valid, live BPF program.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &program as *const libc::sock_fprog,
        ) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

fn four_letter(port: u16, word: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(word.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn io_uring_blocked_by_seccomp_falls_back_to_epoll_with_a_warning() {
    let dir = std::env::temp_dir().join(format!("rk-fallback-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = dir.join("zoo.cfg");
    std::fs::write(
        &cfg,
        format!(
            "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             4lw.commands.whitelist=*\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    let log = dir.join("ringkeeper.log");
    let mut command = Command::new(ringkeeper_binary());
    command
        .arg(&cfg)
        .env_remove("RINGKEEPER_IO_BACKEND")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    // SAFETY: the hook only calls async-signal-safe prctl.
    unsafe { command.pre_exec(deny_io_uring_setup) };
    let mut child = command.spawn().expect("ringkeeper starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut answer = None;
    while Instant::now() < deadline {
        answer = four_letter(port, "ruok");
        if answer.as_deref() == Some("imok") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // A real session works over the fallback backend too.
    let session = ringkeeper_testkit::Client::connect_new(([127, 0, 0, 1], port).into());
    // SAFETY: plain kill of our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(answer.as_deref(), Some("imok"), "server log:\n{text}");
    assert!(session.is_ok(), "session over epoll: {session:?}\n{text}");
    assert!(
        text.contains("io_uring unavailable") && text.contains("using epoll"),
        "the warning names the fallback:\n{text}"
    );
    assert!(
        text.contains("Operation not permitted")
            || text.contains("EPERM")
            || text.contains("os error 1"),
        "the warning names the cause:\n{text}"
    );
    assert!(text.contains("Epoll backend"), "{text}");
    assert!(
        status.success(),
        "clean exit on SIGTERM: {status:?}\n{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
