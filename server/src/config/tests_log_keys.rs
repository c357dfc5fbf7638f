//! ringkeeper's own txn-log keys: defaults, every accepted value, and a
//! refusal naming file, line and key for each bad one.

use super::tests::{parse_err, parse_ok, with_base, BASE};
use super::*;

#[test]
fn without_the_keys_the_log_uses_auto_buffered_and_the_txnlog_defaults() {
    let (config, warnings) = parse_ok(BASE);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.txn_log_io_engine, TxnLogIoEngine::Auto);
    assert!(!config.txn_log_direct_io);
    assert_eq!(
        config.group_commit_batch_max_bytes,
        ringkeeper_txnlog::BATCH_BYTES_MAX_DEFAULT
    );
    assert_eq!(
        config.group_commit_wait_max_us,
        ringkeeper_txnlog::BATCH_WAIT_MAX_US_DEFAULT
    );
}

#[test]
fn every_io_engine_and_direct_io_value_is_read_without_a_warning() {
    for (value, engine) in [
        ("auto", TxnLogIoEngine::Auto),
        ("io_uring", TxnLogIoEngine::IoUring),
        ("sync", TxnLogIoEngine::Sync),
    ] {
        for (direct_value, direct) in [("yes", true), ("no", false)] {
            let text = with_base(&format!(
                "ringkeeper.txnLog.ioEngine={value}\nringkeeper.txnLog.directIO={direct_value}\n"
            ));
            let (config, warnings) = parse_ok(&text);
            assert!(warnings.is_empty(), "{text}: {warnings:?}");
            assert_eq!(config.txn_log_io_engine, engine, "{text}");
            assert_eq!(config.txn_log_direct_io, direct, "{text}");
        }
    }
}

#[test]
fn batch_size_and_wait_are_read_up_to_their_named_limits() {
    let (config, warnings) = parse_ok(&with_base(
        "ringkeeper.groupCommit.batchMaxBytes=65536\nringkeeper.groupCommit.waitMaxUs=250\n",
    ));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.group_commit_batch_max_bytes, 65536);
    assert_eq!(config.group_commit_wait_max_us, 250);
    let (config, _) = parse_ok(&with_base(&format!(
        "ringkeeper.groupCommit.batchMaxBytes={}\nringkeeper.groupCommit.waitMaxUs={}\n",
        ringkeeper_txnlog::BATCH_BYTES_MAX_LIMIT,
        ringkeeper_txnlog::BATCH_WAIT_MAX_US_LIMIT
    )));
    assert_eq!(
        config.group_commit_batch_max_bytes,
        ringkeeper_txnlog::BATCH_BYTES_MAX_LIMIT
    );
    assert_eq!(
        config.group_commit_wait_max_us,
        ringkeeper_txnlog::BATCH_WAIT_MAX_US_LIMIT
    );
    let (config, _) = parse_ok(&with_base(
        "ringkeeper.groupCommit.batchMaxBytes=1\nringkeeper.groupCommit.waitMaxUs=0\n",
    ));
    assert_eq!(config.group_commit_batch_max_bytes, 1);
    assert_eq!(config.group_commit_wait_max_us, 0);
}

#[test]
fn snapshot_write_back_pacing_is_on_by_default_and_takes_0_or_a_bounded_chunk() {
    let (config, _) = parse_ok(BASE);
    assert_eq!(
        config.snapshot_writeback_chunk_bytes,
        ringkeeper_snapshot::WRITEBACK_CHUNK_BYTES_DEFAULT
    );
    for bytes in [
        0,
        ringkeeper_snapshot::WRITEBACK_CHUNK_BYTES_MIN,
        1 << 20,
        SNAPSHOT_WRITEBACK_CHUNK_BYTES_LIMIT,
    ] {
        let text = with_base(&format!(
            "ringkeeper.snapshot.writebackChunkBytes={bytes}\n"
        ));
        let (config, warnings) = parse_ok(&text);
        assert!(warnings.is_empty(), "{text}: {warnings:?}");
        assert_eq!(config.snapshot_writeback_chunk_bytes, bytes, "{text}");
    }
}

#[test]
fn a_bad_value_of_each_key_is_refused_naming_file_line_and_key() {
    let over_bytes = ringkeeper_txnlog::BATCH_BYTES_MAX_LIMIT + 1;
    let over_us = ringkeeper_txnlog::BATCH_WAIT_MAX_US_LIMIT + 1;
    let over_chunk = SNAPSHOT_WRITEBACK_CHUNK_BYTES_LIMIT + 1;
    let cases: Vec<(String, &str, &str)> = vec![
        (
            "ringkeeper.txnLog.ioEngine=uring".into(),
            "ioEngine",
            "auto, io_uring or sync",
        ),
        (
            "ringkeeper.txnLog.ioEngine=IO_URING".into(),
            "ioEngine",
            "auto, io_uring or sync",
        ),
        (
            "ringkeeper.txnLog.ioEngine=".into(),
            "ioEngine",
            "auto, io_uring or sync",
        ),
        (
            "ringkeeper.txnLog.directIO=true".into(),
            "directIO",
            "yes or no",
        ),
        (
            "ringkeeper.txnLog.directIO=YES".into(),
            "directIO",
            "yes or no",
        ),
        (
            "ringkeeper.groupCommit.batchMaxBytes=0".into(),
            "batchMaxBytes",
            "below 1 bytes",
        ),
        (
            "ringkeeper.groupCommit.batchMaxBytes=1M".into(),
            "batchMaxBytes",
            "whole number",
        ),
        (
            "ringkeeper.groupCommit.batchMaxBytes=-5".into(),
            "batchMaxBytes",
            "whole number",
        ),
        (
            "ringkeeper.groupCommit.batchMaxBytes=+5".into(),
            "batchMaxBytes",
            "whole number",
        ),
        (
            format!("ringkeeper.groupCommit.batchMaxBytes={over_bytes}"),
            "batchMaxBytes",
            "BATCH_BYTES_MAX_LIMIT",
        ),
        (
            "ringkeeper.groupCommit.waitMaxUs=0x10".into(),
            "waitMaxUs",
            "whole number",
        ),
        (
            "ringkeeper.groupCommit.waitMaxUs=1.5".into(),
            "waitMaxUs",
            "whole number",
        ),
        (
            format!("ringkeeper.groupCommit.waitMaxUs={over_us}"),
            "waitMaxUs",
            "BATCH_WAIT_MAX_US_LIMIT",
        ),
        (
            "ringkeeper.snapshot.writebackChunkBytes=4096".into(),
            "writebackChunkBytes",
            "WRITEBACK_CHUNK_BYTES_MIN",
        ),
        (
            format!("ringkeeper.snapshot.writebackChunkBytes={over_chunk}"),
            "writebackChunkBytes",
            "SNAPSHOT_WRITEBACK_CHUNK_BYTES_LIMIT",
        ),
        (
            "ringkeeper.snapshot.writebackChunkBytes=4MiB".into(),
            "writebackChunkBytes",
            "whole number",
        ),
    ];
    for (line, key_end, reason) in cases {
        let error = parse_err(&with_base(&format!("{line}\n")));
        let message = error.to_string();
        assert_eq!(error.line(), Some(3), "{line}: {message}");
        assert!(
            error.key().is_some_and(|key| key.ends_with(key_end)),
            "{line}: {message}"
        );
        assert!(
            message.starts_with("zoo.cfg line 3: ringkeeper."),
            "{message}"
        );
        assert!(message.contains(reason), "{line}: {message}");
    }
}

#[test]
fn a_miscased_key_is_warned_with_the_meant_key() {
    let (config, warnings) = parse_ok(&with_base("ringkeeper.txnlog.ioengine=sync\n"));
    assert_eq!(config.txn_log_io_engine, TxnLogIoEngine::Auto);
    let hint = warnings
        .iter()
        .find_map(|w| match &w.kind {
            ConfigWarningKind::UnknownKey { hint } => hint.clone(),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no hint: {warnings:?}"));
    assert!(hint.contains("ringkeeper.txnLog.ioEngine"), "{hint}");
}
