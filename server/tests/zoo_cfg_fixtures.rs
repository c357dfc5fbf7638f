//! Whole `zoo.cfg` files from `tests/data/`, and Debian's installed one.
//! Each fixture was also fed to ZooKeeper 3.8's own `QuorumPeerConfig`,
//! which accepted it with the values asserted here (except
//! `jute.maxbuffer`, which ZooKeeper ignores in zoo.cfg).

use std::path::{Path, PathBuf};

use ringkeeper_server::config::{
    load_zoo_cfg, ConfigWarning, ConfigWarningKind, FourLetterWordWhitelist, LearnerType,
    ServerConfig, ServerEntry,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn load(name: &str) -> (ServerConfig, Vec<ConfigWarning>) {
    let path = fixture(name);
    load_zoo_cfg(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn assert_debian_defaults(config: &ServerConfig, warnings: &[ConfigWarning]) {
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.tick_time_ms, 2000);
    assert_eq!(config.init_limit_ticks, 10);
    assert_eq!(config.sync_limit_ticks, 5);
    assert_eq!(config.data_dir, PathBuf::from("/tmp/zookeeper"));
    assert_eq!(config.data_log_dir, PathBuf::from("/tmp/zookeeper"));
    assert_eq!(config.client_port, Some(2181));
    assert_eq!(config.max_client_cnxns, 60);
    assert_eq!(config.min_session_timeout_ms, 4000);
    assert_eq!(config.max_session_timeout_ms, 40000);
    assert_eq!(config.autopurge_snap_retain_count, 3);
    assert_eq!(config.autopurge_purge_interval_hours, 0);
    assert!(config.servers.is_empty());
    assert!(!config.is_distributed());
    assert_eq!(
        config.four_letter_word_whitelist,
        FourLetterWordWhitelist::default()
    );
}

#[test]
fn debian_default_zoo_cfg_fixture_reads_with_zookeeper_defaults() {
    let (config, warnings) = load("debian-zoo.cfg");
    assert_debian_defaults(&config, &warnings);
    // Only the five uncommented keys are read; the commented ones are not.
    let keys: Vec<&str> = config.raw.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "clientPort",
            "dataDir",
            "initLimit",
            "syncLimit",
            "tickTime"
        ]
    );
}

#[test]
fn installed_debian_zoo_cfg_reads_without_errors() {
    let path = Path::new("/etc/zookeeper/conf/zoo.cfg");
    if !path.exists() {
        println!(
            "skipped: {} is absent (Debian's zookeeper package is not installed)",
            path.display()
        );
        return;
    }
    let (config, warnings) = load_zoo_cfg(path).unwrap_or_else(|e| panic!("{e}"));
    assert!(config.tick_time_ms > 0);
    assert!(config.client_port.is_some() || !config.servers.is_empty());
    assert!(config.min_session_timeout_ms <= config.max_session_timeout_ms);
    // As shipped it matches our copy; an edited one may differ but must
    // still read.
    let shipped = std::fs::read(fixture("debian-zoo.cfg")).unwrap();
    if std::fs::read(path).unwrap() == shipped {
        assert_debian_defaults(&config, &warnings);
    }
}

#[test]
fn three_server_ensemble_reads_every_member() {
    let (config, warnings) = load("ensemble-3.cfg");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(config.is_distributed());
    assert_eq!((config.init_limit_ticks, config.sync_limit_ticks), (5, 2));
    let members: Vec<(u64, &str, u16, u16)> = config
        .servers
        .iter()
        .map(|s| (s.id, s.host.as_str(), s.quorum_port, s.election_port))
        .collect();
    assert_eq!(
        members,
        vec![
            (1, "zoo1.example.com", 2888, 3888),
            (2, "zoo2.example.com", 2888, 3888),
            (3, "zoo3.example.com", 2888, 3888),
        ]
    );
    for id in 1..=3 {
        assert_eq!(config.client_port_for(id), Some(2181));
    }
}

#[test]
fn ensemble_with_client_ports_on_server_lines_needs_no_client_port() {
    let (config, warnings) = load("ensemble-client-ports.cfg");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.client_port, None);
    assert!(config.is_distributed());
    assert_eq!(
        config.server(3),
        Some(&ServerEntry {
            id: 3,
            host: "2001:db8::3".into(),
            quorum_port: 2888,
            election_port: 3888,
            learner_type: LearnerType::Participant,
            client_host: Some("::".into()),
            client_port: Some(2181),
            line: 9,
        })
    );
    assert_eq!(
        config.server(2).and_then(|s| s.client_host.as_deref()),
        Some("0.0.0.0")
    );
    assert_eq!(
        config.server(4).map(|s| s.learner_type),
        Some(LearnerType::Observer)
    );
    assert!((1..=4).all(|id| config.client_port_for(id) == Some(2181)));
}

#[test]
fn every_key_fixture_sets_every_field_away_from_its_default() {
    let (config, warnings) = load("every-key.cfg");
    assert_eq!(config.tick_time_ms, 1500);
    assert_eq!(config.data_dir, PathBuf::from("/var/lib/ringkeeper/data"));
    assert_eq!(
        config.data_log_dir,
        PathBuf::from("/var/lib/ringkeeper/txnlog")
    );
    assert_eq!(config.client_port, Some(2281));
    assert_eq!(config.client_port_address, Some([127, 0, 0, 1].into()));
    assert_eq!(config.max_client_cnxns, 120);
    assert_eq!(config.min_session_timeout_ms, 4000);
    assert_eq!(config.max_session_timeout_ms, 90000);
    assert_eq!(config.init_limit_ticks, 12);
    assert_eq!(config.sync_limit_ticks, 6);
    assert!(!config.standalone_enabled);
    assert_eq!(config.autopurge_snap_retain_count, 7);
    assert_eq!(config.autopurge_purge_interval_hours, 24);
    let whitelist = &config.four_letter_word_whitelist;
    assert!(["ruok", "stat", "mntr", "srvr"]
        .iter()
        .all(|w| whitelist.is_enabled(w)));
    assert!(!whitelist.is_enabled("conf"));
    assert_eq!(config.jute_max_buffer_bytes, 4_194_304);
    assert!(config.extended_types_enabled);
    assert_eq!(config.global_outstanding_limit, 2000);
    assert!(!config.force_sync);
    assert_eq!(config.fsync_warning_threshold_ms, 250);
    assert_eq!(config.pre_alloc_size_kb, 16384);
    assert_eq!(config.snap_count, 50000);
    assert_eq!(
        config.super_digest.as_deref(),
        Some("super:D/InIHSb7yEEbrWz8b9l71RjZJU=")
    );
    assert_eq!(config.servers.len(), 4);
    assert!(config.is_distributed());
    // Every line but the comment is a key, and every key is read.
    let text = std::fs::read_to_string(fixture("every-key.cfg")).unwrap();
    let lines = text.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(config.raw.len(), lines);
    // The only warning: ZooKeeper itself would ignore jute.maxbuffer here.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].key, "jute.maxbuffer");
}

#[test]
fn syntax_fixture_reads_separators_comments_continuations_and_overrides() {
    let (config, warnings) = load("syntax.cfg");
    assert_eq!(config.data_dir, PathBuf::from("/var/lib/zookeeper"));
    assert_eq!(config.client_port, Some(2181));
    assert_eq!(config.tick_time_ms, 2500);
    assert_eq!(config.min_session_timeout_ms, 5000);
    assert_eq!(config.max_client_cnxns, 25);
    assert_eq!(config.raw["maxClientCnxns"].line, 8);
    assert_eq!(config.snap_count, 100_000);
    let seen: Vec<(usize, &str, &str)> = warnings
        .iter()
        .map(|w| {
            let kind = match &w.kind {
                ConfigWarningKind::Overridden { .. } => "overridden",
                ConfigWarningKind::ValueReplaced { .. } => "replaced",
                ConfigWarningKind::UnknownKey { .. } => "unknown",
                ConfigWarningKind::Unsupported => "unsupported",
                ConfigWarningKind::Advice { .. } => "advice",
            };
            (w.line, w.key.as_str(), kind)
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (7, "tickTime", "overridden"),
            (11, "snapCount", "replaced"),
            (12, "zookeeper.snapCount", "unknown"),
            (13, "mysteryKey", "unknown"),
        ]
    );
    let shown = warnings[0].to_string();
    assert!(
        shown.ends_with("syntax.cfg line 7: tickTime: set again on line 10, which wins"),
        "{shown}"
    );
}
