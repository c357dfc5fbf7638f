//! The group-commit state machine on its own: records in, actions out,
//! results in, durable zxids out. No disk at all: the test is the driver.

use ringkeeper_txnlog::format::{SegmentHeader, RECORD_PAYLOAD_BYTES_MAX};
use ringkeeper_txnlog::{
    Action, AlignedBuf, AppendError, FatalError, GroupCommit, IoOp, LogConfig, LogTail,
};

const Z: i64 = 1 << 32;

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 64 * 1024,
        ..LogConfig::default()
    }
}

/// Takes the next action, which must be a write; returns (offset, bytes,
/// sync, through zxid) and the buffer to hand back.
fn expect_write(machine: &mut GroupCommit, now_us: u64) -> (u64, Vec<u8>, bool, i64, AlignedBuf) {
    match machine.next_action(now_us) {
        Some(Action::Write {
            offset,
            bytes,
            sync,
            through_zxid,
            ..
        }) => (offset, bytes.as_slice().to_vec(), sync, through_zxid, bytes),
        other => panic!("expected a write, got {other:?}"),
    }
}

/// A machine whose first segment is created.
fn started(config: LogConfig, alignment: usize) -> GroupCommit {
    let mut machine = GroupCommit::new(config, alignment, None);
    machine.append(Z + 1, b"first", 0).unwrap();
    match machine.next_action(0) {
        Some(Action::CreateSegment {
            first_zxid,
            size_bytes,
        }) => {
            assert_eq!(first_zxid, Z + 1);
            assert_eq!(size_bytes % alignment as u64, 0);
        }
        other => panic!("expected a new segment, got {other:?}"),
    }
    machine.on_segment_created(Ok(())).unwrap();
    machine
}

fn io_failure(op: IoOp) -> FatalError {
    FatalError::new(
        op,
        "/data/log/log.100000001".into(),
        Some(32),
        &std::io::Error::other("EIO"),
    )
}

#[test]
fn records_appended_while_a_sync_is_in_flight_go_together_in_the_next_batch() {
    let mut machine = started(config(), 1);
    let (offset, _, sync, through, buffer) = expect_write(&mut machine, 0);
    assert_eq!((offset, sync, through), (32, true, Z + 1));
    for zxid in Z + 2..=Z + 5 {
        machine.append(zxid, b"while syncing", 10).unwrap();
    }
    assert!(
        machine.next_action(20).is_none(),
        "one action in flight at a time"
    );
    let done = machine.on_write_done(buffer, Ok(()), 100).unwrap();
    assert_eq!(done.durable_through_zxid, Z + 1);
    let (offset, bytes, _, through, buffer) = expect_write(&mut machine, 100);
    assert_eq!(offset, 32 + 16 + 5);
    assert_eq!(through, Z + 5);
    assert_eq!(bytes.len(), 4 * (16 + 13));
    let done = machine.on_write_done(buffer, Ok(()), 200).unwrap();
    assert_eq!((done.durable_through_zxid, done.records), (Z + 5, 4));
    assert!(machine.is_idle());
}

#[test]
fn a_batch_stops_at_batch_bytes_max_and_the_rest_goes_next() {
    let mut machine = started(
        LogConfig {
            batch_bytes_max: 100,
            ..config()
        },
        1,
    );
    for zxid in Z + 2..=Z + 10 {
        machine.append(zxid, &[7u8; 24], 0).unwrap();
    }
    let (_, bytes, _, through, buffer) = expect_write(&mut machine, 0);
    // "first" (a 21-byte frame) and one 40-byte frame fit in 100; two do not.
    assert_eq!((bytes.len(), through), (21 + 40, Z + 2));
    machine.on_write_done(buffer, Ok(()), 1).unwrap();
    let (_, bytes, _, through, _) = expect_write(&mut machine, 1);
    assert_eq!((bytes.len(), through), (80, Z + 4));
}

#[test]
fn a_record_larger_than_batch_bytes_max_goes_alone() {
    let mut machine = started(
        LogConfig {
            batch_bytes_max: 64,
            ..config()
        },
        1,
    );
    let (_, _, _, _, buffer) = expect_write(&mut machine, 0);
    machine.on_write_done(buffer, Ok(()), 1).unwrap();
    machine.append(Z + 2, &[1u8; 1000], 1).unwrap();
    machine.append(Z + 3, b"small", 1).unwrap();
    let (_, bytes, _, through, _) = expect_write(&mut machine, 1);
    assert_eq!((bytes.len(), through), (1016, Z + 2));
}

#[test]
fn batch_wait_max_holds_a_batch_until_it_is_due() {
    let mut machine = started(
        LogConfig {
            batch_wait_max_us: 500,
            ..config()
        },
        1,
    );
    assert!(machine.next_action(100).is_none(), "waits for more records");
    assert_eq!(machine.next_deadline_us(), Some(500));
    machine.append(Z + 2, b"joins the batch", 200).unwrap();
    let (_, _, _, through, _) = expect_write(&mut machine, 500);
    assert_eq!(through, Z + 2);
}

#[test]
fn a_flush_request_makes_a_waiting_batch_due_now() {
    let mut machine = started(
        LogConfig {
            batch_wait_max_us: 1_000_000,
            ..config()
        },
        1,
    );
    assert!(machine.next_action(0).is_none());
    machine.request_flush();
    assert!(machine.next_action(0).is_some());
}

#[test]
fn force_sync_off_writes_without_fdatasync() {
    let mut machine = started(
        LogConfig {
            force_sync: false,
            ..config()
        },
        1,
    );
    let (_, _, sync, _, buffer) = expect_write(&mut machine, 0);
    assert!(!sync);
    let done = machine.on_write_done(buffer, Ok(()), 5_000_000).unwrap();
    assert_eq!(done.slow_sync, None, "no fsync, no fsync warning");
}

#[test]
fn a_slow_fsync_warns_in_zookeepers_words() {
    let mut machine = started(config(), 1);
    let (_, _, _, _, buffer) = expect_write(&mut machine, 1_000);
    let done = machine.on_write_done(buffer, Ok(()), 1_501_000).unwrap();
    let slow = done
        .slow_sync
        .expect("1500 ms is over the 1000 ms threshold");
    assert_eq!(slow.elapsed_ms, 1500);
    assert_eq!(
        slow.message("txnlog-sync"),
        "fsync-ing the write ahead log in txnlog-sync took 1500ms which will adversely effect \
         operation latency.File size is 65536 bytes. See the ZooKeeper troubleshooting guide"
    );
}

#[test]
fn a_write_error_is_fatal_and_every_later_append_is_refused() {
    let mut machine = started(config(), 1);
    machine.append(Z + 2, b"queued", 0).unwrap();
    let (_, _, _, _, buffer) = expect_write(&mut machine, 0);
    let error = machine
        .on_write_done(buffer, Err(io_failure(IoOp::AppendAndSync)), 1)
        .unwrap_err();
    assert_eq!(error.op, IoOp::AppendAndSync);
    assert_eq!(machine.last_durable_zxid(), None, "nothing became durable");
    assert!(machine.next_action(2).is_none(), "never retried");
    assert_eq!(
        machine.append(Z + 3, b"after", 3),
        Err(AppendError::Fatal(error.clone()))
    );
    assert_eq!(machine.fatal(), Some(&error));
}

#[test]
fn a_failed_segment_creation_is_fatal() {
    let mut machine = GroupCommit::new(config(), 1, None);
    machine.append(Z + 1, b"first", 0).unwrap();
    assert!(matches!(
        machine.next_action(0),
        Some(Action::CreateSegment { .. })
    ));
    machine
        .on_segment_created(Err(io_failure(IoOp::SyncDir)))
        .unwrap_err();
    assert!(matches!(
        machine.append(Z + 2, b"x", 1),
        Err(AppendError::Fatal(_))
    ));
}

#[test]
fn appends_that_break_the_format_rules_are_refused() {
    let mut machine = started(config(), 1);
    assert_eq!(
        machine.append(Z + 3, b"gap", 0),
        Err(AppendError::ZxidOutOfOrder {
            last_zxid: Z + 1,
            zxid: Z + 3
        })
    );
    assert_eq!(
        machine.append(Z + 1, b"again", 0),
        Err(AppendError::ZxidOutOfOrder {
            last_zxid: Z + 1,
            zxid: Z + 1
        })
    );
    assert_eq!(
        machine.append(Z + 2, b"", 0),
        Err(AppendError::EmptyPayload { zxid: Z + 2 })
    );
    let huge = vec![0u8; RECORD_PAYLOAD_BYTES_MAX + 1];
    assert!(matches!(
        machine.append(Z + 2, &huge, 0),
        Err(AppendError::PayloadTooLarge { .. })
    ));
    machine
        .append(2 * Z + 1, b"a new epoch starts a new counter", 0)
        .unwrap();
}

#[test]
fn appends_past_pending_bytes_max_are_refused_until_written() {
    let mut machine = started(
        LogConfig {
            pending_bytes_max: 100,
            ..config()
        },
        1,
    );
    machine.append(Z + 2, &[0u8; 40], 0).unwrap();
    assert!(matches!(
        machine.append(Z + 3, &[0u8; 40], 0),
        Err(AppendError::PendingFull { max: 100, .. })
    ));
    let (_, _, _, _, buffer) = expect_write(&mut machine, 0);
    machine.on_write_done(buffer, Ok(()), 1).unwrap();
    machine.append(Z + 3, &[0u8; 40], 1).unwrap();
}

#[test]
fn a_record_that_does_not_fit_the_segment_starts_a_new_one() {
    let tail = LogTail {
        segment_first_zxid: Z + 1,
        end_offset: 4096 - 30,
        segment_bytes: 4096,
        last_zxid: Z + 9,
        tail_block: Vec::new(),
    };
    let mut machine = GroupCommit::new(config(), 1, Some(tail));
    machine.append(Z + 10, b"0123456789", 0).unwrap();
    machine.append(Z + 11, b"does not fit", 0).unwrap();
    let (offset, bytes, _, through, buffer) = expect_write(&mut machine, 0);
    assert_eq!((offset, bytes.len(), through), (4096 - 30, 16 + 10, Z + 10));
    machine.on_write_done(buffer, Ok(()), 1).unwrap();
    match machine.next_action(1) {
        Some(Action::CreateSegment {
            first_zxid,
            size_bytes,
        }) => {
            assert_eq!((first_zxid, size_bytes), (Z + 11, 64 * 1024));
        }
        other => panic!("expected a new segment, got {other:?}"),
    }
    machine.on_segment_created(Ok(())).unwrap();
    let (offset, _, _, through, _) = expect_write(&mut machine, 1);
    assert_eq!((offset, through), (32, Z + 11));
}

#[test]
fn aligned_writes_rewrite_the_block_they_start_in() {
    let mut machine = started(config(), 4096);
    let header = SegmentHeader { first_zxid: Z + 1 }.encode();
    let (offset, first, _, _, buffer) = expect_write(&mut machine, 0);
    assert_eq!((offset, first.len()), (0, 4096));
    assert_eq!(first[..32], header, "the header is rewritten unchanged");
    machine.on_write_done(buffer, Ok(()), 1).unwrap();
    machine.append(Z + 2, b"second", 1).unwrap();
    let (offset, second, _, _, _) = expect_write(&mut machine, 1);
    assert_eq!((offset, second.len()), (0, 4096));
    assert_eq!(
        second[..53],
        first[..53],
        "acknowledged bytes are rewritten as they were"
    );
    assert_eq!(second[53..53 + 22], {
        let mut frame = Vec::new();
        ringkeeper_txnlog::format::encode_record(Z + 2, b"second", &mut frame);
        frame
    });
    assert!(second[75..].iter().all(|&byte| byte == 0));
}

#[test]
fn a_half_full_segment_asks_for_a_spare_and_the_next_roll_activates_it() {
    let mut machine = started(
        LogConfig {
            segment_bytes: 4096,
            ..config()
        },
        1,
    );
    assert_eq!(machine.next_prepare(), None, "the segment is nearly empty");
    let (_, _, _, _, buffer) = expect_write(&mut machine, 0);
    machine.on_write_done(buffer, Ok(()), 1).unwrap();
    machine.append(Z + 2, &[1u8; 2100], 1).unwrap();
    let (_, _, _, _, buffer) = expect_write(&mut machine, 1);
    machine.on_write_done(buffer, Ok(()), 2).unwrap();
    assert_eq!(
        machine.next_prepare(),
        Some(4096),
        "half full: prepare a spare"
    );
    assert_eq!(machine.next_prepare(), None, "one spare at a time");
    machine.on_segment_prepared(Ok(())).unwrap();
    machine.append(Z + 3, &[2u8; 2100], 2).unwrap();
    match machine.next_action(2) {
        Some(Action::ActivateSegment {
            first_zxid,
            size_bytes,
        }) => {
            assert_eq!((first_zxid, size_bytes), (Z + 3, 4096));
        }
        other => panic!("expected the spare to be activated, got {other:?}"),
    }
    machine.on_segment_created(Ok(())).unwrap();
    let (offset, _, _, through, _) = expect_write(&mut machine, 2);
    assert_eq!((offset, through), (32, Z + 3));
}

#[test]
fn a_roll_creates_a_segment_when_the_spare_is_not_ready_or_too_small() {
    let mut machine = started(
        LogConfig {
            segment_bytes: 4096,
            ..config()
        },
        1,
    );
    let (_, _, _, _, buffer) = expect_write(&mut machine, 0);
    machine.on_write_done(buffer, Ok(()), 1).unwrap();
    machine.append(Z + 2, &[1u8; 2100], 1).unwrap();
    let (_, _, _, _, buffer) = expect_write(&mut machine, 1);
    machine.on_write_done(buffer, Ok(()), 2).unwrap();
    assert_eq!(machine.next_prepare(), Some(4096));
    // Still being prepared: the roll does not wait for it.
    machine.append(Z + 3, &[2u8; 2100], 2).unwrap();
    assert!(matches!(
        machine.next_action(2),
        Some(Action::CreateSegment { .. })
    ));
    machine.on_segment_created(Ok(())).unwrap();
    let (_, _, _, _, buffer) = expect_write(&mut machine, 2);
    machine.on_write_done(buffer, Ok(()), 3).unwrap();
    machine.on_segment_prepared(Ok(())).unwrap();
    // Ready, but a record larger than the spare needs its own segment.
    machine.append(Z + 4, &[3u8; 5000], 3).unwrap();
    match machine.next_action(3) {
        Some(Action::CreateSegment { size_bytes, .. }) => assert_eq!(size_bytes, 32 + 16 + 5000),
        other => panic!("expected a new, larger segment, got {other:?}"),
    }
}

#[test]
fn a_failed_spare_preparation_is_fatal() {
    let mut machine = started(
        LogConfig {
            segment_bytes: 4096,
            ..config()
        },
        1,
    );
    machine.append(Z + 2, &[1u8; 2100], 0).unwrap();
    let (_, _, _, _, buffer) = expect_write(&mut machine, 0);
    machine.on_write_done(buffer, Ok(()), 1).unwrap();
    assert!(machine.next_prepare().is_some());
    machine
        .on_segment_prepared(Err(io_failure(IoOp::CreateSegment)))
        .unwrap_err();
    assert!(matches!(
        machine.append(Z + 3, b"x", 2),
        Err(AppendError::Fatal(_))
    ));
}
