//! `server.N` lines and the ensemble checks.

use super::tests::{parse_err, parse_ok};
use super::*;

const QUORUM_BASE: &str = "dataDir=/d\nclientPort=2181\ninitLimit=10\nsyncLimit=5\n";

/// `QUORUM_BASE` plus `servers`, which start on line 5.
fn quorum(servers: &str) -> String {
    format!("{QUORUM_BASE}{servers}")
}

fn entry(line: &str) -> ServerEntry {
    let text = format!("dataDir=/d\nclientPort=2181\n{line}\n");
    let (config, _) = parse_ok(&text);
    config.servers.into_iter().next().expect("one server")
}

#[test]
fn server_line_reads_host_ports_and_defaults_to_participant() {
    assert_eq!(
        entry("server.1=zk1.example.com:2888:3888"),
        ServerEntry {
            id: 1,
            host: "zk1.example.com".into(),
            quorum_port: 2888,
            election_port: 3888,
            learner_type: LearnerType::Participant,
            client_host: None,
            client_port: None,
            line: 3,
        }
    );
}

#[test]
fn server_line_reads_learner_type_in_any_case() {
    let (config, _) = parse_ok(&quorum(
        "server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nserver.7=h:1:2:Observer\n",
    ));
    let observer = config.server(7).expect("server 7");
    assert_eq!(observer.learner_type, LearnerType::Observer);
    let participant = entry("server.7=h:1:2:PARTICIPANT");
    assert_eq!(participant.learner_type, LearnerType::Participant);
}

#[test]
fn server_line_reads_client_port_with_or_without_client_host() {
    let port_only = entry("server.1=h:2888:3888;2181");
    assert_eq!(
        (port_only.client_host, port_only.client_port),
        (None, Some(2181))
    );
    let with_host = entry("server.1=h:2888:3888:participant;0.0.0.0:2182");
    assert_eq!(with_host.client_host.as_deref(), Some("0.0.0.0"));
    assert_eq!(with_host.client_port, Some(2182));
    let trailing = entry("server.1=h:2888:3888;");
    assert_eq!(trailing.client_port, None);
}

#[test]
fn server_line_reads_bracketed_ipv6_hosts() {
    let v6 = entry("server.1=[2001:db8::1]:2888:3888;[::1]:2181");
    assert_eq!(v6.host, "2001:db8::1");
    assert_eq!((v6.quorum_port, v6.election_port), (2888, 3888));
    assert_eq!(v6.client_host.as_deref(), Some("::1"));
    assert_eq!(v6.client_port, Some(2181));
}

#[test]
fn each_bad_server_line_error_names_its_key_and_line() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "server.1=127.0.0.1:2888",
            "server.1",
            "does not have the form",
        ),
        ("server.1=127.0.0.1", "server.1", "does not have the form"),
        (
            "server.1=h:2888:3888:participant:x",
            "server.1",
            "does not have the form",
        ),
        (
            "server.1=h:2888:3888;2181;x",
            "server.1",
            "does not have the form",
        ),
        ("server.1=h:abc:3888", "server.1", "quorum port \"abc\""),
        ("server.1=h:2888:70000", "server.1", "election port 70000"),
        ("server.1=h:-1:3888", "server.1", "quorum port -1"),
        (
            "server.1=h:2888:3888;abc",
            "server.1",
            "client port \"abc\"",
        ),
        (
            "server.1=h:2888:3888;70000",
            "server.1",
            "client port 70000",
        ),
        ("server.1=h:2888:3888:leader", "server.1", "\"leader\""),
        (
            "server.1=h1:2888:3888|h1b:2889:3889",
            "server.1",
            "several addresses",
        ),
        (
            "server.1= h : 2888 : 3888",
            "server.1",
            "quorum port \" 2888 \"",
        ),
        ("server.1=:2888:3888", "server.1", "empty host"),
        ("server.x=h:2888:3888", "server.x", "\"x\""),
        ("server.-1=h:2888:3888", "server.-1", "negative"),
    ];
    for (line, key, fragment) in cases {
        let e = parse_err(&quorum(line));
        assert_eq!((e.key(), e.line()), (Some(*key), Some(5)), "{line}: {e}");
        let shown = e.to_string();
        assert!(
            shown.starts_with(&format!("zoo.cfg line 5: {key}: ")),
            "{shown}"
        );
        assert!(shown.contains(fragment), "{line}: {shown}");
    }
}

#[test]
fn a_server_id_named_twice_is_an_error_at_the_later_line() {
    let e = parse_err(&quorum("server.1=a:1:2\nserver.2=b:1:2\nserver.01=c:1:2\n"));
    assert_eq!((e.key(), e.line()), (Some("server.01"), Some(7)));
    assert!(
        e.to_string().contains("names server 1 again (line 5)"),
        "{e}"
    );
}

#[test]
fn servers_are_ordered_by_id_and_found_by_id() {
    let (config, warnings) = parse_ok(&quorum(
        "server.3=c:2888:3888\nserver.1=a:2888:3888\nserver.2=b:2888:3888\n",
    ));
    assert!(warnings.is_empty(), "{warnings:?}");
    let ids: Vec<u64> = config.servers.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    assert_eq!(config.server(3).map(|s| s.host.as_str()), Some("c"));
    assert_eq!(config.server(3).map(|s| s.line), Some(5));
    assert!(config.is_distributed());
}

#[test]
fn one_server_with_standalone_enabled_runs_standalone_with_a_warning() {
    let (config, warnings) = parse_ok("dataDir=/d\nclientPort=2181\nserver.1=a:2888:3888\n");
    assert!(!config.is_distributed());
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        (warnings[0].line, warnings[0].key.as_str()),
        (3, "server.1")
    );
    assert!(warnings[0].to_string().contains("running standalone"));
}

#[test]
fn one_server_with_standalone_disabled_is_distributed_and_needs_limits() {
    let text = "dataDir=/d\nclientPort=2181\nstandaloneEnabled=false\nserver.1=a:2888:3888\n";
    let e = parse_err(text);
    assert_eq!(
        e.to_string(),
        "zoo.cfg: initLimit is not set (an ensemble needs it)"
    );
    let (config, warnings) = parse_ok(&format!("{text}initLimit=5\nsyncLimit=2\n"));
    assert!(config.is_distributed());
    assert!(!config.standalone_enabled);
    assert_eq!((config.init_limit_ticks, config.sync_limit_ticks), (5, 2));
    assert!(warnings[0]
        .to_string()
        .contains("tolerate no server failure"));
}

#[test]
fn standalone_disabled_without_participants_is_an_error_at_its_line() {
    let e = parse_err("dataDir=/d\nclientPort=2181\nstandaloneEnabled=false\n");
    assert_eq!((e.key(), e.line()), (Some("standaloneEnabled"), Some(3)));
}

#[test]
fn observers_need_participants_to_observe() {
    let e = parse_err("dataDir=/d\nclientPort=2181\nserver.1=a:1:2:observer\n");
    assert_eq!((e.key(), e.line()), (Some("server.1"), Some(3)));
    let e = parse_err("dataDir=/d\nclientPort=2181\nserver.1=a:1:2\nserver.2=b:1:2:observer\n");
    assert_eq!((e.key(), e.line()), (Some("server.2"), Some(4)));
    let (config, _) = parse_ok(&quorum(
        "server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nserver.4=d:1:2:observer\n",
    ));
    assert!(config.is_distributed());
    assert_eq!(config.servers[3].learner_type, LearnerType::Observer);
}

#[test]
fn two_or_an_even_number_of_participants_are_warned() {
    let (_, warnings) = parse_ok(&quorum("server.1=a:1:2\nserver.2=b:1:2\n"));
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].to_string().contains("at least 3"));
    let (_, warnings) = parse_ok(&quorum(
        "server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nserver.4=d:1:2\n",
    ));
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].to_string().contains("odd number"));
}

#[test]
fn an_ensemble_needs_init_limit_and_sync_limit_above_zero() {
    let servers = "server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\n";
    let e = parse_err(&format!("dataDir=/d\nclientPort=1\ninitLimit=5\n{servers}"));
    assert_eq!(
        e.to_string(),
        "zoo.cfg: syncLimit is not set (an ensemble needs it)"
    );
    let e = parse_err(&format!(
        "dataDir=/d\nclientPort=1\ninitLimit=0\nsyncLimit=2\n{servers}"
    ));
    assert_eq!((e.key(), e.line()), (Some("initLimit"), Some(3)));
}

#[test]
fn client_port_may_come_from_server_lines_alone() {
    let (config, warnings) = parse_ok(
        "dataDir=/d\ninitLimit=5\nsyncLimit=2\nserver.1=a:1:2;2181\nserver.2=b:1:2;2182\n\
         server.3=c:1:2\n",
    );
    assert_eq!(config.client_port, None);
    assert_eq!(config.client_port_for(1), Some(2181));
    assert_eq!(config.client_port_for(2), Some(2182));
    assert_eq!(config.client_port_for(3), None);
    let about_3: Vec<_> = warnings.iter().filter(|w| w.key == "server.3").collect();
    assert_eq!(about_3.len(), 1, "{warnings:?}");
    assert!(about_3[0].to_string().contains("will not serve clients"));
}

#[test]
fn a_server_line_client_port_wins_over_client_port() {
    let (config, _) = parse_ok(&quorum(
        "server.1=a:1:2;3181\nserver.2=b:1:2\nserver.3=c:1:2\n",
    ));
    assert_eq!(config.client_port_for(1), Some(3181));
    assert_eq!(config.client_port_for(2), Some(2181));
    assert_eq!(config.client_port_for(9), Some(2181));
}
