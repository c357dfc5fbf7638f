//! The differential tester against two servers (RK_DIFF_SERVERS, Apache
//! ZooKeeper and ringkeeper by default): equal servers must never be
//! reported different, and a real difference must be.

use ringkeeper_testkit::difftest::{self, DiffConfig, DiffFailure};
use ringkeeper_testkit::{open_acl, Client, ServerKind, TestServer};

#[test]
fn two_servers_answer_every_seeded_op_sequence_alike() {
    let config = DiffConfig::from_env().unwrap_or_else(|error| panic!("{error}"));
    match difftest::run(&config) {
        Ok(report) => {
            eprintln!("{report}");
            assert_eq!(report.seeds_run, config.seeds.len() as u64);
            assert!(report.ops_compared() >= config.seeds.len() as u64 * u64::from(config.steps));
        }
        Err(failure) => panic!("{failure}"),
    }
}

#[test]
fn a_node_only_one_server_has_is_reported_with_seed_step_and_both_answers() {
    let options = DiffConfig::server_options();
    let server_a = TestServer::start(ServerKind::ApacheZk, &options).unwrap();
    let server_b = TestServer::start(ServerKind::ApacheZk, &options).unwrap();
    // Server B already holds seed 3's root: the setup step must differ.
    let mut client = Client::connect_new(server_b.addr()).unwrap();
    client
        .create(
            "/dt3",
            b"",
            &open_acl(),
            ringkeeper_jute::CreateMode::Persistent,
        )
        .unwrap();
    client.close().unwrap();
    let config = DiffConfig::from_settings("zk,zk", Some("3"), None, Some("20")).unwrap();
    let failure = difftest::run_on(&config, [&server_a, &server_b]).unwrap_err();
    let text = failure.to_string();
    assert!(
        matches!(*failure, DiffFailure::Mismatch { seed: 3, .. }),
        "{text}"
    );
    assert!(text.contains("RK_DIFF_SEED=3"), "{text}");
    assert!(text.contains("setup"), "{text}");
    assert!(text.contains("OK vs NODEEXISTS"), "{text}");
}

#[test]
fn events_that_arrive_after_the_barrier_are_collected_within_the_grace() {
    use ringkeeper_testkit::difftest::side::Side;
    use std::time::Duration;
    let server = TestServer::start(ServerKind::ApacheZk, &DiffConfig::server_options()).unwrap();
    let mut side = Side::open(&server, 2).unwrap();
    side.sessions[1]
        .as_mut()
        .unwrap()
        .exists("/late", true)
        .unwrap();
    let mut events = side.barrier().unwrap();
    assert_eq!(events, [vec![], vec![]]);
    // A change the barrier did not wait for: its event arrives on its own.
    let mut writer = Client::connect_new(server.addr()).unwrap();
    writer
        .create(
            "/late",
            b"",
            &open_acl(),
            ringkeeper_jute::CreateMode::Persistent,
        )
        .unwrap();
    side.collect_late_events(&mut events, Duration::from_secs(2))
        .unwrap();
    assert!(events[0].is_empty());
    assert_eq!(events[1].len(), 1);
    assert_eq!(events[1][0].path, "/late");
}

#[test]
fn a_reconnect_hands_back_its_watches_and_gets_the_events_it_missed() {
    use ringkeeper_testkit::difftest::op::{Op, RelativeZxid, SetWatchesSpec};
    use ringkeeper_testkit::difftest::side::Side;
    let server = TestServer::start(ServerKind::ApacheZk, &DiffConfig::server_options()).unwrap();
    let mut side = Side::open(&server, 2).unwrap();
    let writer = side.sessions[1].as_mut().unwrap();
    for path in ["/rc", "/rc/kept"] {
        writer
            .create(
                path,
                b"",
                &open_acl(),
                ringkeeper_jute::CreateMode::Persistent,
            )
            .unwrap();
    }
    side.barrier().unwrap();
    side.execute(&Op::Disconnect { session: 0 }, true).unwrap();
    assert!(side.sessions[0].is_none());
    // Changes the disconnected session misses.
    let writer = side.sessions[1].as_mut().unwrap();
    writer.set_data("/rc", b"new", -1).unwrap();
    let spec = SetWatchesSpec {
        version2: true,
        relative: RelativeZxid::LastSeen,
        data: vec!["/rc".into(), "/rc/kept".into()],
        exist: vec!["/rc/missing".into()],
        child: vec![],
        persistent: vec![],
        persistent_recursive: vec!["/rc".into()],
    };
    let reconnect = Op::Reconnect {
        session: 0,
        set_watches: Some(spec),
    };
    let outcome = side.execute(&reconnect, true).unwrap();
    assert_eq!(outcome.answer.err, 0);
    assert_eq!(outcome.events_before_reply, 1, "NodeDataChanged /rc");
    let events = side.barrier().unwrap();
    assert_eq!(events[0].len(), 1);
    assert_eq!(
        (events[0][0].event_type, events[0][0].path.as_str()),
        (3, "/rc")
    );
    // The other watches were set again: the recursive one sees a create.
    let writer = side.sessions[1].as_mut().unwrap();
    writer
        .create(
            "/rc/new",
            b"",
            &open_acl(),
            ringkeeper_jute::CreateMode::Persistent,
        )
        .unwrap();
    let events = side.barrier().unwrap();
    assert_eq!(events[0].len(), 1, "{:?}", events[0]);
    assert_eq!(events[0][0].path, "/rc/new");
}

/// The fixed scenarios (null data next to empty data, paths that are not
/// UTF-8 in every op) answer alike on both servers (RK_DIFF_SERVERS).
#[test]
fn the_fixed_scenarios_answer_alike_on_both_servers() {
    let config = DiffConfig::from_env().unwrap_or_else(|error| panic!("{error}"));
    match difftest::run_scenarios(&config) {
        Ok(report) => {
            eprintln!("{report}");
            assert_eq!(
                report.seeds_run,
                difftest::scenarios::SCENARIOS.len() as u64
            );
            assert!(report.per_op.contains_key("sync"));
        }
        Err(failure) => panic!("{failure}"),
    }
}
