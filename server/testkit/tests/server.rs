//! The launcher against Apache ZooKeeper: start, four-letter words,
//! restart on the same port and data, stop without leftovers, ready only
//! once ZooKeeper serves.

use ringkeeper_testkit::{ServerKind, ServerOptions, TestServer};
use std::path::Path;

fn pid_alive(pid: u32) -> bool {
    // A zombie (reaped later) counts as gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            let state = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .next();
            !matches!(state, Some("Z") | Some("X"))
        })
        .unwrap_or(false)
}

#[test]
fn apache_zk_starts_answers_four_letter_words_and_stops_without_leftovers() {
    let server = TestServer::start(ServerKind::ApacheZk, &ServerOptions::default()).unwrap();
    assert_eq!(server.kind(), ServerKind::ApacheZk);
    assert_eq!(server.addr().ip().to_string(), "127.0.0.1");
    assert_eq!(
        server.connect_string(),
        format!("127.0.0.1:{}", server.addr().port())
    );
    assert_eq!(server.four_letter("ruok").unwrap(), "imok");
    let srvr = server.four_letter("srvr").unwrap();
    assert!(srvr.contains("Mode: standalone"), "srvr said: {srvr}");
    // conf answers only once ZooKeeper serves: start waited for that.
    let conf = server.four_letter("conf").unwrap();
    assert!(
        conf.contains(&server.data_dir().display().to_string()),
        "conf names another data dir: {conf}"
    );
    let pid = server.pid().unwrap();
    let dir = server.dir().to_path_buf();
    assert!(pid_alive(pid));
    server.stop();
    assert!(!pid_alive(pid), "server process {pid} survived stop");
    assert!(
        !Path::new(&dir).exists(),
        "temp dir {} survived stop",
        dir.display()
    );
}

#[test]
fn apache_zk_restarts_on_the_same_port_with_its_data() {
    let options = ServerOptions {
        force_sync: true,
        ..ServerOptions::default()
    };
    let mut server = TestServer::start(ServerKind::ApacheZk, &options).unwrap();
    let addr = server.addr();
    let first_pid = server.pid().unwrap();
    let data_dir = server.data_dir();
    server.restart().unwrap();
    assert_eq!(server.addr(), addr);
    assert_ne!(server.pid().unwrap(), first_pid);
    assert!(!pid_alive(first_pid));
    assert_eq!(server.four_letter("ruok").unwrap(), "imok");
    // ZooKeeper wrote its txn log dir into the same data dir on first start.
    assert!(data_dir.join("version-2").is_dir());
    server.kill();
    assert!(server.pid().is_none());
    server.restart().unwrap();
    assert_eq!(server.four_letter("ruok").unwrap(), "imok");
}

#[test]
fn servers_started_in_parallel_get_distinct_ports() {
    let handles: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(|| {
                TestServer::start(ServerKind::ApacheZk, &ServerOptions::default())
            })
        })
        .collect();
    let servers: Vec<TestServer> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    assert_ne!(servers[0].addr(), servers[1].addr());
    for server in &servers {
        let conf = server.four_letter("conf").unwrap();
        let data_dir = server.data_dir().display().to_string();
        assert!(conf.contains(&data_dir), "{data_dir} not in conf: {conf:?}");
    }
}

#[test]
fn server_kinds_parse_from_a_list_and_unknown_names_are_errors() {
    let kinds = ringkeeper_testkit::parse_server_kinds("zk, zk", "TEST").unwrap();
    assert_eq!(kinds, vec![ServerKind::ApacheZk, ServerKind::ApacheZk]);
    let error = ringkeeper_testkit::parse_server_kinds("zk,etcd", "TEST").unwrap_err();
    assert!(error.contains("etcd"), "{error}");
    assert!(ringkeeper_testkit::parse_server_kinds("", "TEST").is_err());
}

#[test]
fn a_missing_ringkeeper_binary_is_a_clear_error_not_a_skip() {
    // Only this test of this binary asks for ringkeeper, so pointing
    // RINGKEEPER_BIN elsewhere cannot disturb another test.
    std::env::set_var("RINGKEEPER_BIN", "/nonexistent/ringkeeper");
    assert_eq!(
        ringkeeper_testkit::ringkeeper_binary(),
        Path::new("/nonexistent/ringkeeper")
    );
    let error = TestServer::start(ServerKind::Ringkeeper, &ServerOptions::default()).unwrap_err();
    assert!(
        error.to_string().contains("ringkeeper binary is missing"),
        "{error}"
    );
    let error =
        ringkeeper_testkit::parse_server_kinds("zk,ringkeeper", "RK_TEST_SERVERS").unwrap_err();
    assert!(
        error.contains("RK_TEST_SERVERS asks for ringkeeper"),
        "{error}"
    );
}
