//! The interop harness's own pieces, without a ZooKeeper: the fault proxy's line states and
//! control commands, and bounded program runs.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use ringkeeper_interop::{FaultProxy, LineState, ProgramRun};

const IO_TIMEOUT: Duration = Duration::from_secs(5);
const SILENCE: Duration = Duration::from_millis(300);

/// An upstream that echoes every byte back, one thread per connection (ends with the test).
fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind echo server");
    let addr = listener.local_addr().expect("echo server address");
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut reader = stream.try_clone().expect("clone echo stream");
                let mut writer = stream;
                let _ = std::io::copy(&mut reader, &mut writer);
            });
        }
    });
    addr
}

fn client(proxy: &FaultProxy) -> TcpStream {
    let stream =
        TcpStream::connect_timeout(&proxy.addr(), IO_TIMEOUT).expect("connect to the proxy");
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("read timeout");
    stream
}

fn echo_round_trip(stream: &mut TcpStream, payload: &[u8]) -> Vec<u8> {
    stream.write_all(payload).expect("write through the proxy");
    let mut back = vec![0u8; payload.len()];
    stream.read_exact(&mut back).expect("read the echo back");
    back
}

/// What a read sees within `SILENCE`: bytes, end of stream, or nothing.
fn read_outcome(stream: &mut TcpStream) -> &'static str {
    stream
        .set_read_timeout(Some(SILENCE))
        .expect("short read timeout");
    let mut byte = [0u8; 1];
    let outcome = match stream.read(&mut byte) {
        Ok(0) => "closed",
        Ok(_) => "bytes",
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            "silent"
        }
        Err(error) if error.kind() == ErrorKind::ConnectionReset => "closed",
        Err(error) => panic!("unexpected read error {error}"),
    };
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("read timeout");
    outcome
}

fn control(proxy: &FaultProxy, command: &str) -> String {
    let mut line =
        TcpStream::connect_timeout(&proxy.control_addr(), IO_TIMEOUT).expect("connect to control");
    line.set_read_timeout(Some(IO_TIMEOUT))
        .expect("read timeout");
    line.write_all(format!("{command}\n").as_bytes())
        .expect("send the command");
    let mut answer = String::new();
    BufReader::new(line)
        .read_line(&mut answer)
        .expect("read the answer");
    answer.trim().to_string()
}

#[test]
fn proxy_forwards_while_open_and_counts_links() {
    let proxy = FaultProxy::start(echo_server()).expect("start proxy");
    let mut stream = client(&proxy);
    assert_eq!(echo_round_trip(&mut stream, b"ruok"), b"ruok".to_vec());
    let mut second = client(&proxy);
    assert_eq!(echo_round_trip(&mut second, b"again"), b"again".to_vec());
    assert_eq!(proxy.links_accepted(), 2);
    assert_eq!(proxy.line_state(), LineState::Open);
}

#[test]
fn partition_silences_links_without_closing_them_and_heal_closes_them() {
    let proxy = FaultProxy::start(echo_server()).expect("start proxy");
    let mut stream = client(&proxy);
    assert_eq!(echo_round_trip(&mut stream, b"before"), b"before".to_vec());
    proxy.partition();
    stream
        .write_all(b"lost")
        .expect("writes still succeed during a partition");
    assert_eq!(
        read_outcome(&mut stream),
        "silent",
        "a partitioned link neither answers nor closes"
    );
    let mut during = client(&proxy);
    during
        .write_all(b"held")
        .expect("a new link is accepted during a partition");
    assert_eq!(
        read_outcome(&mut during),
        "silent",
        "a link opened during a partition is held silent"
    );

    proxy.heal();
    assert_eq!(
        read_outcome(&mut stream),
        "closed",
        "heal closes the link that lost bytes"
    );
    assert_eq!(
        read_outcome(&mut during),
        "closed",
        "heal closes the held link"
    );
    let mut after = client(&proxy);
    assert_eq!(echo_round_trip(&mut after, b"after"), b"after".to_vec());
}

#[test]
fn drop_closes_links_at_once_and_holds_new_ones_until_heal() {
    let proxy = FaultProxy::start(echo_server()).expect("start proxy");
    let mut stream = client(&proxy);
    assert_eq!(echo_round_trip(&mut stream, b"x"), b"x".to_vec());
    proxy.drop_links();
    assert_eq!(read_outcome(&mut stream), "closed");
    let mut during = client(&proxy);
    during
        .write_all(b"held")
        .expect("a new link is accepted while dropped");
    assert_eq!(read_outcome(&mut during), "silent");
    proxy.heal();
    let mut after = client(&proxy);
    assert_eq!(echo_round_trip(&mut after, b"back"), b"back".to_vec());
}

#[test]
fn control_line_steers_the_proxy_and_rejects_unknown_commands() {
    let proxy = FaultProxy::start(echo_server()).expect("start proxy");
    assert_eq!(control(&proxy, "partition"), "ok");
    assert_eq!(proxy.line_state(), LineState::Partitioned);
    assert_eq!(control(&proxy, "heal"), "ok");
    assert_eq!(proxy.line_state(), LineState::Open);
    assert_eq!(control(&proxy, "drop"), "ok");
    assert_eq!(proxy.line_state(), LineState::Partitioned);
    let answer = control(&proxy, "explode");
    assert!(
        answer.starts_with("error: unknown command"),
        "answer to a bad command: {answer}"
    );
    assert_eq!(
        proxy.line_state(),
        LineState::Partitioned,
        "a bad command changes nothing"
    );
}

#[test]
fn program_run_keeps_exit_status_and_both_streams() {
    let mut command = Command::new("sh");
    command.args(["-c", "echo out; echo err >&2; exit 3"]);
    let run = ProgramRun::run(&mut command, IO_TIMEOUT).expect("run sh");
    assert!(!run.succeeded());
    assert_eq!(run.status.and_then(|status| status.code()), Some(3));
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        ("out\n", "err\n")
    );
    assert!(
        run.report().contains("exit status: 3"),
        "report: {}",
        run.report()
    );
}

#[test]
fn program_run_kills_the_whole_group_at_its_deadline() {
    let mut command = Command::new("sh");
    // The child sleep holds stdout open: the run returns only once the group is gone.
    command.args(["-c", "sleep 30 & sleep 30; echo never"]);
    let started = Instant::now();
    let run = ProgramRun::run(&mut command, Duration::from_millis(500)).expect("run sh");
    assert!(run.status.is_none(), "a killed run has no exit status");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(!run.stdout.contains("never"));
    assert!(
        run.report().contains("killed after its 500ms timeout"),
        "report: {}",
        run.report()
    );
}
