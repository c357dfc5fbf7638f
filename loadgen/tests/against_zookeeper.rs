//! loadgen against a real Apache ZooKeeper 3.8: every op kind, every
//! session connected and closed cleanly, as seen by loadgen and by the
//! server itself; and clear errors, never hangs, when there is no usable
//! server.

mod common;

use common::ZooKeeper;
use serde_json::Value;
use std::net::TcpListener;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn loadgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .output()
        .expect("cannot run loadgen")
}

fn json_of(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "loadgen failed: {stderr}\n{stdout}"
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not one JSON line ({e}): {stdout}"))
}

/// Waits until the server has dropped the sessions' connections (it
/// closes them asynchronously after closeSession).
fn wait_for_no_sessions(zookeeper: &ZooKeeper) {
    let started = Instant::now();
    while zookeeper.monitor("zk_num_alive_connections") > 1 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "connections linger: {}",
            zookeeper.four_letter("cons")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn every_op_kind_runs_against_apache_zookeeper_and_every_session_closes() {
    let zookeeper = ZooKeeper::start();
    let nodes_before = zookeeper.monitor("zk_znode_count");
    let output = loadgen(&[
        "--servers",
        &zookeeper.address(),
        "--clients",
        "200",
        "--mix",
        "get=40,set=15,exists=10,children=5,create=10,ephemeral=8,delete=8,multi=4",
        "--outstanding",
        "2",
        "--keys",
        "500",
        "--duration",
        "3",
        "--warmup",
        "1",
        "--json",
    ]);
    let report = json_of(&output);
    assert_eq!(report["sessions_connected"], 200);
    assert_eq!(report["sessions_closed_cleanly"], 200);
    assert_eq!(report["error_total"], 0, "errors: {}", report["errors"]);
    assert_eq!(report["disconnects"], 0);
    assert!(
        report["ops"].as_u64().unwrap() > 1000,
        "too few ops: {}",
        report["ops"]
    );
    for kind in [
        "get",
        "set",
        "exists",
        "children",
        "create",
        "ephemeral",
        "delete",
        "multi",
    ] {
        let count = report["latency_us"][kind]["count"].as_u64().unwrap_or(0);
        assert!(
            count > 0,
            "no {kind} ops measured: {}",
            report["latency_us"]
        );
    }
    let all = &report["latency_us"]["all"];
    assert!(all["p50"].as_f64().unwrap() <= all["p99"].as_f64().unwrap());
    assert!(all["p99"].as_f64().unwrap() <= all["max"].as_f64().unwrap());

    // The server's view: no session left, so no ephemeral left, and the
    // persistent sequential nodes were deleted in the drain phase.
    wait_for_no_sessions(&zookeeper);
    assert_eq!(zookeeper.monitor("zk_ephemerals_count"), 0);
    // Added: /loadgen, 500 keys, /loadgen/dir and its 16 children, /loadgen/s.
    let nodes_after = zookeeper.monitor("zk_znode_count");
    assert_eq!(
        nodes_after - nodes_before,
        1 + 500 + 17 + 1,
        "{}",
        zookeeper.four_letter("dump")
    );
}

#[test]
fn ten_thousand_sessions_connect_run_and_close_cleanly() {
    let zookeeper = ZooKeeper::start();
    let output = loadgen(&[
        "--servers",
        &zookeeper.address(),
        "--clients",
        "10000",
        "--write-ratio",
        "0.1",
        "--duration",
        "4",
        "--warmup",
        "1",
        "--json",
    ]);
    let report = json_of(&output);
    assert_eq!(report["sessions_connected"], 10_000);
    assert_eq!(report["sessions_closed_cleanly"], 10_000);
    assert_eq!(report["error_total"], 0, "errors: {}", report["errors"]);
    assert!(report["latency_us"]["set"]["count"].as_u64().unwrap() > 0);
    assert!(report["connect_ms"]["p99"].as_f64().unwrap() > 0.0);
    assert!(report["cpu_us_per_op"].as_f64().unwrap() > 0.0);
    wait_for_no_sessions(&zookeeper);
}

#[test]
fn open_loop_runs_at_the_requested_rate() {
    let zookeeper = ZooKeeper::start();
    let report = json_of(&loadgen(&[
        "--servers",
        &zookeeper.address(),
        "--clients",
        "50",
        "--rate",
        "2000",
        "--duration",
        "3",
        "--warmup",
        "1",
        "--json",
    ]));
    let ops = report["ops"].as_f64().unwrap();
    // 2,000 ops/s for 3 s: the schedule fixes the count, whatever the
    // server's speed, as long as it keeps up (a 5% allowance for edges).
    assert!((5_700.0..=6_300.0).contains(&ops), "ops = {ops}");
    assert_eq!(report["open_loop_backlog_dropped"], 0);
    // The per-second series covers warmup and measured seconds, each at
    // about the scheduled rate, its percentiles in order.
    let seconds = report["seconds"].as_array().expect("a per-second series");
    assert!((3..=6).contains(&seconds.len()), "{seconds:?}");
    let mut rates = Vec::new();
    for second in seconds {
        let field = |name: &str| {
            second[name]
                .as_f64()
                .unwrap_or_else(|| panic!("{name}: {second}"))
        };
        assert!(field("p50_ms") <= field("p99_ms") && field("p99_ms") <= field("p999_ms"));
        assert!(field("p999_ms") <= field("max_ms") * 1.001, "{second}");
        rates.push(field("ops_per_s"));
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    assert!((1_500.0..=2_500.0).contains(&median), "{rates:?}");
}

#[test]
fn sessions_over_the_servers_connection_limit_fail_clearly_and_exit_3() {
    // ZooKeeper closes connections beyond maxClientCnxns per address right
    // after accepting them, so some of 10 sessions can never be established.
    // Its per-address count lags its accept thread, so connects are paced
    // for the count to keep up.
    let zookeeper = ZooKeeper::start_with("maxClientCnxns=5\n");
    let output = loadgen(&[
        "--servers",
        &zookeeper.address(),
        "--clients",
        "10",
        "--keys",
        "10",
        "--duration",
        "1",
        "--warmup",
        "0",
        "--connect-rate",
        "50",
        "--json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    // About 5 get in: ZooKeeper's own accounting decides the exact number
    // (loadgen's setup session may still hold a slot for a moment).
    let connected = report["sessions_connected"].as_u64().unwrap();
    assert!((1..10).contains(&connected), "connected {connected}");
    assert_eq!(report["sessions_failed"].as_u64().unwrap(), 10 - connected);
    assert_eq!(
        report["sessions_closed_cleanly"].as_u64().unwrap(),
        connected
    );
    let reasons = report["failure_reasons"].to_string();
    assert!(
        reasons.contains("closed the connection during the handshake"),
        "{reasons}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{connected} of 10 sessions connected")),
        "{stderr}"
    );
}

#[test]
fn unreachable_server_is_a_clear_error_not_a_hang() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let output = loadgen(&["--servers", &format!("127.0.0.1:{port}"), "--clients", "10"]);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot reach server 127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.contains("refused"), "{stderr}");
}

#[test]
fn refused_handshake_is_a_clear_error_not_a_hang() {
    // A listener that accepts and hangs up at once, like a server over
    // its connection limit.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    let started = Instant::now();
    let output = loadgen(&["--servers", &address.to_string(), "--clients", "10"]);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("during the handshake"), "{stderr}");
}

#[test]
fn no_servers_loads_the_embedded_ringkeeper() {
    let dir = std::env::temp_dir().join(format!("loadgen-embedded-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args([
            "--clients",
            "20",
            "--duration",
            "1",
            "--warmup",
            "0",
            "--json",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("embedded ringkeeper"), "{stderr}");
    assert!(dir.join("ringkeeper-data").is_dir(), "data dir created");
    let report: serde_json::Value =
        serde_json::from_slice(output.stdout.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert_eq!(report["sessions_connected"], 20, "{report}");
    assert!(report["ops"].as_u64().unwrap_or(0) > 0, "{report}");
    std::fs::remove_dir_all(&dir).unwrap();
}
