//! Single keys: defaults, values, corrections, refusals and warnings.

use super::*;

pub(super) const BASE: &str = "dataDir=/var/lib/zookeeper\nclientPort=2181\n";

pub(super) fn parse_ok(text: &str) -> (ServerConfig, Vec<ConfigWarning>) {
    parse_zoo_cfg(text).unwrap_or_else(|e| panic!("{text:?} was refused: {e}"))
}

pub(super) fn parse_err(text: &str) -> ConfigError {
    match parse_zoo_cfg(text) {
        Ok(_) => panic!("{text:?} was accepted"),
        Err(e) => e,
    }
}

/// `BASE` plus `extra`; `extra` starts on line 3.
pub(super) fn with_base(extra: &str) -> String {
    format!("{BASE}{extra}")
}

fn kinds(warnings: &[ConfigWarning]) -> Vec<(usize, &str, &ConfigWarningKind)> {
    warnings
        .iter()
        .map(|w| (w.line, w.key.as_str(), &w.kind))
        .collect()
}

#[test]
fn minimal_config_gets_zookeeper_defaults() {
    let (config, warnings) = parse_ok(BASE);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.tick_time_ms, 3000);
    assert_eq!(config.data_dir, PathBuf::from("/var/lib/zookeeper"));
    assert_eq!(config.data_log_dir, config.data_dir);
    assert_eq!(config.client_port, Some(2181));
    assert_eq!(config.client_port_address, None);
    assert_eq!(config.max_client_cnxns, 60);
    assert_eq!(config.min_session_timeout_ms, 6000);
    assert_eq!(config.max_session_timeout_ms, 60000);
    assert_eq!(config.init_limit_ticks, 0);
    assert_eq!(config.sync_limit_ticks, 0);
    assert!(config.standalone_enabled);
    assert_eq!(config.autopurge_snap_retain_count, 3);
    assert_eq!(config.autopurge_purge_interval_hours, 0);
    assert!(config.servers.is_empty());
    assert_eq!(
        config.four_letter_word_whitelist,
        FourLetterWordWhitelist::default()
    );
    assert_eq!(config.jute_max_buffer_bytes, 0xfffff);
    assert!(!config.extended_types_enabled);
    assert_eq!(config.global_outstanding_limit, 1000);
    assert!(config.force_sync);
    assert_eq!(config.fsync_warning_threshold_ms, 1000);
    assert_eq!(config.pre_alloc_size_kb, 65536);
    assert_eq!(config.snap_count, 100_000);
    assert_eq!(config.super_digest, None);
    assert!(!config.is_distributed());
}

#[test]
fn session_timeouts_default_to_2_and_20_ticks() {
    let (config, _) = parse_ok(&with_base("tickTime=2000\n"));
    assert_eq!(config.min_session_timeout_ms, 4000);
    assert_eq!(config.max_session_timeout_ms, 40000);
}

#[test]
fn explicit_session_timeouts_win_and_minus_one_means_default() {
    let (config, _) = parse_ok(&with_base(
        "tickTime=2000\nminSessionTimeout=100\nmaxSessionTimeout=-1\n",
    ));
    assert_eq!(config.min_session_timeout_ms, 100);
    assert_eq!(config.max_session_timeout_ms, 40000);
    let (config, _) = parse_ok(&with_base("minSessionTimeout=50000\n"));
    assert_eq!(config.min_session_timeout_ms, 50000);
    assert_eq!(config.max_session_timeout_ms, 60000);
}

#[test]
fn min_session_timeout_above_max_is_an_error_naming_the_set_key() {
    let e = parse_err(&with_base("maxSessionTimeout=1000\n"));
    assert_eq!(
        e.to_string(),
        "zoo.cfg line 3: maxSessionTimeout: \"1000\" is smaller than minSessionTimeout \
         (6000 ms = 2 x tickTime)"
    );
    let e = parse_err(&with_base("tickTime=100\nminSessionTimeout=5000\n"));
    assert_eq!((e.key(), e.line()), (Some("minSessionTimeout"), Some(4)));
    assert!(e.to_string().contains("2000 ms = 20 x tickTime"), "{e}");
    let e = parse_err(&with_base("minSessionTimeout=9\nmaxSessionTimeout=8\n"));
    assert_eq!((e.key(), e.line()), (Some("minSessionTimeout"), Some(3)));
}

#[test]
fn negative_session_timeout_other_than_minus_one_is_an_error() {
    let e = parse_err(&with_base("minSessionTimeout=-7\n"));
    assert_eq!((e.key(), e.line()), (Some("minSessionTimeout"), Some(3)));
}

#[test]
fn non_numeric_tick_time_error_names_file_line_key_and_value() {
    let e = parse_err(&with_base("tickTime=abc\n"));
    assert_eq!(
        e.to_string(),
        "zoo.cfg line 3: tickTime: \"abc\" is not a whole number"
    );
}

#[test]
fn each_bad_value_error_names_its_key_and_line() {
    let cases: &[(&str, &str, &str)] = &[
        ("tickTime=0x10", "tickTime", "not a whole number"),
        ("tickTime=0", "tickTime", "greater than 0"),
        ("tickTime=-5", "tickTime", "greater than 0"),
        ("tickTime=99999999999", "tickTime", "32-bit"),
        ("tickTime=", "tickTime", "not a whole number"),
        ("clientPort=70000", "clientPort", "0-65535"),
        ("clientPort=-1", "clientPort", "0-65535"),
        ("clientPort=21 81", "clientPort", "not a whole number"),
        (
            "clientPortAddress=zk.example.com",
            "clientPortAddress",
            "IP address",
        ),
        ("clientPortAddress=", "clientPortAddress", "IP address"),
        ("dataDir=", "dataDir", "empty"),
        ("dataLogDir=", "dataLogDir", "empty"),
        (
            "maxClientCnxns=many",
            "maxClientCnxns",
            "not a whole number",
        ),
        ("initLimit=-1", "initLimit", "negative"),
        ("syncLimit=x", "syncLimit", "not a whole number"),
        ("electionAlg=1", "electionAlg", "only 3"),
        (
            "standaloneEnabled=yes",
            "standaloneEnabled",
            "true or false",
        ),
        (
            "autopurge.snapRetainCount=three",
            "autopurge.snapRetainCount",
            "whole number",
        ),
        (
            "autopurge.purgeInterval=1h",
            "autopurge.purgeInterval",
            "whole number",
        ),
        ("minSessionTimeout=1.5", "minSessionTimeout", "whole number"),
        ("group.1=1:2:3", "group.1", "hierarchical"),
        ("weight.1=1", "weight.1", "hierarchical"),
        (
            "dynamicConfigFile=/etc/zk/zoo.cfg.dynamic",
            "dynamicConfigFile",
            "server.N",
        ),
        ("sslQuorum=true", "sslQuorum", "protect"),
        (
            "quorum.auth.enableSasl=TRUE",
            "quorum.auth.enableSasl",
            "protect",
        ),
    ];
    for (line, key, fragment) in cases {
        let text = format!("# a comment\n{BASE}{line}\n");
        let e = parse_err(&text);
        assert_eq!(e.key(), Some(*key), "{line}: {e}");
        assert_eq!(e.line(), Some(4), "{line}: {e}");
        let shown = e.to_string();
        assert!(
            shown.starts_with(&format!("zoo.cfg line 4: {key}: ")),
            "{shown}"
        );
        assert!(shown.contains(fragment), "{line}: {shown}");
    }
}

#[test]
fn missing_data_dir_is_an_error() {
    let e = parse_err("clientPort=2181\n");
    assert_eq!(e.to_string(), "zoo.cfg: dataDir is not set");
    assert_eq!(e.key(), Some("dataDir"));
}

#[test]
fn missing_client_port_is_an_error_when_no_server_line_gives_one() {
    let e = parse_err("dataDir=/d\n");
    assert_eq!(
        e.to_string(),
        "zoo.cfg: clientPort is not set and no server.N line gives a client port"
    );
}

#[test]
fn client_port_address_without_client_port_is_an_error() {
    let e = parse_err("dataDir=/d\nclientPortAddress=127.0.0.1\nserver.1=h:1:2;2181\n");
    assert_eq!((e.key(), e.line()), (Some("clientPortAddress"), Some(2)));
}

#[test]
fn client_port_address_takes_ipv4_and_ipv6_with_or_without_brackets() {
    for (text, ip) in [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("0.0.0.0", "0.0.0.0"),
    ] {
        let (config, _) = parse_ok(&with_base(&format!("clientPortAddress={text}\n")));
        assert_eq!(config.client_port_address, Some(ip.parse().unwrap()));
    }
}

#[test]
fn data_log_dir_defaults_to_data_dir_and_can_be_set() {
    let (config, _) = parse_ok(&with_base("dataLogDir=/fast/txnlog\n"));
    assert_eq!(config.data_log_dir, PathBuf::from("/fast/txnlog"));
    assert_eq!(config.data_dir, PathBuf::from("/var/lib/zookeeper"));
}

#[test]
fn relative_data_dir_is_warned_unless_it_starts_with_dot_slash() {
    let (config, warnings) = parse_ok("clientPort=1\ndataDir=data\n");
    assert_eq!(config.data_dir, PathBuf::from("data"));
    assert_eq!(warnings.len(), 1);
    assert_eq!((warnings[0].line, warnings[0].key.as_str()), (2, "dataDir"));
    let (_, warnings) = parse_ok("clientPort=1\ndataDir=./data\n");
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn snap_retain_count_below_three_is_raised_with_a_warning() {
    let (config, warnings) = parse_ok(&with_base("autopurge.snapRetainCount=1\n"));
    assert_eq!(config.autopurge_snap_retain_count, 3);
    assert_eq!(
        warnings[0].to_string(),
        "zoo.cfg line 3: autopurge.snapRetainCount: \"1\" is below the minimum of 3; using 3"
    );
    let (config, warnings) = parse_ok(&with_base("autopurge.snapRetainCount=10\n"));
    assert_eq!(config.autopurge_snap_retain_count, 10);
    assert!(warnings.is_empty());
}

#[test]
fn negative_purge_interval_and_max_client_cnxns_become_zero_with_warnings() {
    let (config, warnings) = parse_ok(&with_base(
        "autopurge.purgeInterval=-3\nmaxClientCnxns=-4\n",
    ));
    assert_eq!(config.autopurge_purge_interval_hours, 0);
    assert_eq!(config.max_client_cnxns, 0);
    assert_eq!(
        kinds(&warnings)
            .iter()
            .map(|(line, key, _)| (*line, *key))
            .collect::<Vec<_>>(),
        vec![(3, "autopurge.purgeInterval"), (4, "maxClientCnxns")]
    );
}

#[test]
fn unknown_keys_are_warned_with_their_line_and_kept_in_raw() {
    let (config, warnings) = parse_ok(&with_base("fooBar=1\n\nbaz qux\n"));
    assert_eq!(warnings.len(), 2);
    assert_eq!(
        warnings[0].to_string(),
        "zoo.cfg line 3: fooBar: unknown key, ignored"
    );
    assert_eq!((warnings[1].line, warnings[1].key.as_str()), (5, "baz"));
    assert_eq!(
        config.raw.get("baz"),
        Some(&RawSetting {
            value: "qux".into(),
            line: 5
        })
    );
}

#[test]
fn zookeeper_prefixed_and_miscased_keys_are_unknown_with_a_hint() {
    let (config, warnings) = parse_ok(&with_base(
        "zookeeper.extendedTypesEnabled=true\nticktime=10\n",
    ));
    assert!(!config.extended_types_enabled);
    assert_eq!(config.tick_time_ms, 3000);
    let shown: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert!(shown[0].contains("write extendedTypesEnabled"), "{shown:?}");
    assert!(shown[1].contains("did you mean tickTime?"), "{shown:?}");
}

#[test]
fn unsupported_zookeeper_keys_are_warned_and_ignored() {
    let (_, warnings) = parse_ok(&with_base(
        "admin.enableServer=false\nmetricsProvider.httpPort=7000\nsslQuorum=false\n",
    ));
    let lines: Vec<_> = kinds(&warnings);
    assert_eq!(
        lines,
        vec![
            (3, "admin.enableServer", &ConfigWarningKind::Unsupported),
            (
                4,
                "metricsProvider.httpPort",
                &ConfigWarningKind::Unsupported
            ),
            (5, "sslQuorum", &ConfigWarningKind::Unsupported),
        ]
    );
}

#[test]
fn a_later_line_overrides_an_earlier_one_with_a_warning() {
    let (config, warnings) = parse_ok(&with_base("tickTime=abc\ntickTime=1000\n"));
    assert_eq!(config.tick_time_ms, 1000);
    assert_eq!(config.raw["tickTime"].line, 4);
    assert_eq!(
        warnings[0].to_string(),
        "zoo.cfg line 3: tickTime: set again on line 4, which wins"
    );
    let (config, _) = parse_ok(&with_base("clientPort=3000\n"));
    assert_eq!(config.client_port, Some(3000));
}

#[test]
fn colon_and_blank_separators_comments_and_whitespace_are_read_like_java() {
    let text = "# comment\n  ! another\n\n   dataDir : /d  \nclientPort 2181\n\
                tickTime\t=\t1000   \nmaxClientCnxns=\\\n    15\n";
    let (config, warnings) = parse_ok(text);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.data_dir, PathBuf::from("/d"));
    assert_eq!(config.client_port, Some(2181));
    assert_eq!(config.tick_time_ms, 1000);
    assert_eq!(config.max_client_cnxns, 15);
    assert_eq!(config.raw["maxClientCnxns"].line, 7);
}

#[test]
fn crlf_files_read_like_lf_files() {
    let (config, _) = parse_ok("dataDir=/d\r\nclientPort=2181\r\ntickTime=1000\r\n");
    assert_eq!(config.tick_time_ms, 1000);
    assert_eq!(config.data_dir, PathBuf::from("/d"));
}

#[test]
fn malformed_unicode_escape_is_a_syntax_error_with_its_line() {
    let e = parse_err("dataDir=/d\nclientPort=\\u21x1\n");
    assert!(matches!(e, ConfigError::Syntax { line: 2, .. }), "{e:?}");
    assert!(e.to_string().starts_with("zoo.cfg line 2: "), "{e}");
}

#[test]
fn four_letter_word_whitelist_defaults_to_srvr_and_star_means_all() {
    let (config, _) = parse_ok(&with_base("4lw.commands.whitelist=*\n"));
    assert_eq!(
        config.four_letter_word_whitelist,
        FourLetterWordWhitelist::All
    );
    let (config, warnings) = parse_ok(&with_base("4lw.commands.whitelist=ruok, stat, nope\n"));
    let whitelist = &config.four_letter_word_whitelist;
    assert!(whitelist.is_enabled("ruok") && whitelist.is_enabled("srvr"));
    assert!(!whitelist.is_enabled("mntr"));
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].to_string().contains("\"nope\""), "{warnings:?}");
}

#[test]
fn jute_maxbuffer_is_applied_with_a_warning_that_zookeeper_ignores_it() {
    let (config, warnings) = parse_ok(&with_base("jute.maxbuffer=4194304\n"));
    assert_eq!(config.jute_max_buffer_bytes, 4 * 1024 * 1024);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].to_string().contains("ignores jute.maxbuffer"));
    let (config, _) = parse_ok(&with_base("jute.maxbuffer=0\n"));
    assert_eq!(config.jute_max_buffer_bytes, 0xfffff);
}

#[test]
fn property_numbers_read_like_integer_decode_and_fall_back_with_a_warning() {
    let (config, warnings) = parse_ok(&with_base(
        "globalOutstandingLimit=0x10\nfsync.warningthresholdms=010\n",
    ));
    assert_eq!(config.global_outstanding_limit, 16);
    assert_eq!(config.fsync_warning_threshold_ms, 8);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].to_string().contains("octal"));

    let (config, warnings) = parse_ok(&with_base(
        "globalOutstandingLimit=lots\nfsync.warningthresholdms=-5\n",
    ));
    assert_eq!(config.global_outstanding_limit, 1000);
    assert_eq!(config.fsync_warning_threshold_ms, 1000);
    assert_eq!(
        warnings[0].to_string(),
        "zoo.cfg line 3: globalOutstandingLimit: \"lots\" is not a number; using 1000"
    );
    assert_eq!(warnings[1].line, 4);
}

#[test]
fn snap_count_below_two_is_raised_to_two() {
    let (config, warnings) = parse_ok(&with_base("snapCount=1\n"));
    assert_eq!(config.snap_count, 2);
    assert_eq!(warnings.len(), 1);
    let (config, warnings) = parse_ok(&with_base("snapCount=5000\n"));
    assert_eq!(config.snap_count, 5000);
    assert!(warnings.is_empty());
}

#[test]
fn force_sync_is_off_only_for_exactly_no() {
    for (value, expected, warned) in [
        ("no", false, false),
        ("yes", true, false),
        ("No", true, true),
        ("false", true, true),
    ] {
        let (config, warnings) = parse_ok(&with_base(&format!("forceSync={value}\n")));
        assert_eq!(config.force_sync, expected, "{value}");
        assert_eq!(!warnings.is_empty(), warned, "{value}: {warnings:?}");
    }
}

#[test]
fn extended_types_enabled_is_true_only_for_true_in_any_case() {
    for (value, expected, warned) in [
        ("true", true, false),
        ("TRUE", true, false),
        ("false", false, false),
        ("yes", false, true),
    ] {
        let (config, warnings) = parse_ok(&with_base(&format!("extendedTypesEnabled={value}\n")));
        assert_eq!(config.extended_types_enabled, expected, "{value}");
        assert_eq!(!warnings.is_empty(), warned, "{value}: {warnings:?}");
    }
}

#[test]
fn pre_alloc_size_is_decimal_kib() {
    let (config, warnings) = parse_ok(&with_base("preAllocSize=1024\n"));
    assert_eq!(config.pre_alloc_size_kb, 1024);
    assert!(warnings.is_empty());
    let (config, warnings) = parse_ok(&with_base("preAllocSize=0x10\n"));
    assert_eq!(config.pre_alloc_size_kb, 65536);
    assert_eq!(warnings.len(), 1);
}

#[test]
fn super_digest_is_kept_verbatim() {
    let (config, warnings) = parse_ok(&with_base(
        "DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n",
    ));
    assert_eq!(
        config.super_digest.as_deref(),
        Some("super:D/InIHSb7yEEbrWz8b9l71RjZJU=")
    );
    assert!(warnings.is_empty());
    let (config, warnings) = parse_ok(&with_base("DigestAuthenticationProvider.superDigest=x\n"));
    assert_eq!(config.super_digest.as_deref(), Some("x"));
    assert_eq!(warnings.len(), 1);
}

#[test]
fn warnings_come_in_line_order() {
    let (_, warnings) = parse_ok(&with_base("b=1\na=2\nsnapCount=1\na=3\n"));
    let lines: Vec<usize> = warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6]);
    assert!(matches!(
        warnings[1].kind,
        ConfigWarningKind::Overridden { by_line: 6 }
    ));
}

#[test]
fn load_zoo_cfg_names_the_path_in_errors() {
    let dir = std::env::temp_dir().join(format!("ringkeeper-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.cfg");
    std::fs::write(&path, "dataDir=/d\nclientPort=x\n").unwrap();
    let e = load_zoo_cfg(&path).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{} line 2: clientPort: \"x\" is not a whole number",
            path.display()
        )
    );
    let missing = dir.join("absent.cfg");
    let e = load_zoo_cfg(&missing).unwrap_err();
    assert!(matches!(e, ConfigError::Read { .. }), "{e:?}");
    assert!(e.to_string().contains("absent.cfg"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn load_zoo_cfg_reads_latin1_and_drops_a_byte_order_mark() {
    let dir = std::env::temp_dir().join(format!("ringkeeper-latin1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let latin1 = dir.join("latin1.cfg");
    std::fs::write(&latin1, b"dataDir=/caf\xe9\nclientPort=2181\n").unwrap();
    let (config, _) = load_zoo_cfg(&latin1).unwrap();
    assert_eq!(config.data_dir, PathBuf::from("/caf\u{e9}"));
    let bom = dir.join("bom.cfg");
    std::fs::write(&bom, b"\xef\xbb\xbfdataDir=/d\nclientPort=2181\n").unwrap();
    let (config, warnings) = load_zoo_cfg(&bom).unwrap();
    assert_eq!(config.data_dir, PathBuf::from("/d"));
    assert!(warnings.is_empty(), "{warnings:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn server_jvmflags_properties_become_zoo_cfg_keys() {
    let props = super::jvm_flag_properties(
        "-Xmx1g -Djute.maxbuffer=4096 -Dzookeeper.extendedTypesEnabled=true -Dfoo=bar -Dzookeeper.x",
    );
    assert_eq!(
        props,
        vec![
            ("jute.maxbuffer".to_string(), "4096".to_string()),
            ("extendedTypesEnabled".to_string(), "true".to_string()),
        ]
    );
    let dir = std::env::temp_dir().join(format!("rk-jvmflags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("zoo.cfg");
    std::fs::write(&path, "dataDir=/tmp/x\nclientPort=2181\njute.maxbuffer=100").unwrap();
    let (config, _) = super::load_zoo_cfg_with_jvm_flags(&path, "-Djute.maxbuffer=4096").unwrap();
    assert_eq!(
        config.jute_max_buffer_bytes, 4096,
        "the flag wins over the file"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn container_manager_properties_come_from_server_jvmflags_without_a_warning() {
    // The bug: -Dznode.container.checkIntervalMs in SERVER_JVMFLAGS was
    // dropped, so containers and TTL nodes waited the 60 s default.
    let props = super::jvm_flag_properties(
        "-Dznode.container.checkIntervalMs=1000 -Dznode.container.maxPerMinute=5 \
         -Dznode.container.maxNeverUsedIntervalMs=30000",
    );
    assert_eq!(props.len(), 3, "{props:?}");
    let dir = std::env::temp_dir().join(format!("rk-container-flags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("zoo.cfg");
    std::fs::write(&path, "dataDir=/tmp/x\nclientPort=2181\n").unwrap();
    let (config, warnings) = super::load_zoo_cfg_with_jvm_flags(
        &path,
        "-Dznode.container.checkIntervalMs=1000 -Dznode.container.maxPerMinute=5 \
         -Dznode.container.maxNeverUsedIntervalMs=30000 -Djute.maxbuffer=4096",
    )
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(config.container_check_interval_ms, 1000);
    assert_eq!(config.container_max_per_minute, 5);
    assert_eq!(config.container_max_never_used_interval_ms, 30_000);
    assert_eq!(config.jute_max_buffer_bytes, 4096);
    assert!(
        warnings.is_empty(),
        "system properties are where ZooKeeper reads them: {warnings:?}"
    );
}

#[test]
fn container_manager_defaults_are_zookeepers() {
    let (config, warnings) = parse_ok(&with_base(""));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.container_check_interval_ms, 60_000);
    assert_eq!(config.container_max_per_minute, 10_000);
    assert_eq!(config.container_max_never_used_interval_ms, 0);
}

#[test]
fn container_manager_properties_in_zoo_cfg_apply_with_a_warning_that_zookeeper_ignores_them() {
    let (config, warnings) = parse_ok(&with_base(
        "znode.container.checkIntervalMs=250\nznode.container.maxPerMinute=0\n",
    ));
    assert_eq!(config.container_check_interval_ms, 250);
    assert_eq!(
        config.container_max_per_minute, 10_000,
        "below 1 keeps the default"
    );
    let text: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        text.iter()
            .any(|w| w.contains("ignores znode.container.checkIntervalMs in zoo.cfg")),
        "{text:?}"
    );
    assert!(text.iter().any(|w| w.contains("maxPerMinute")), "{text:?}");
}

#[test]
fn container_check_interval_of_zero_is_refused_like_zookeepers_timer() {
    let error = parse_err(&with_base("znode.container.checkIntervalMs=0\n"));
    assert!(
        error.to_string().contains("must be greater than 0"),
        "{error}"
    );
}
