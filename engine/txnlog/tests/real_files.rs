//! The log on a real file system (a temporary directory, real fdatasync):
//! buffered and O_DIRECT writes, zero-filled segments, the log thread.

mod common;

use std::os::unix::fs::MetadataExt;
use std::sync::mpsc;

use common::{payload, replay_all};
use ringkeeper_txnlog::{
    dump_log, dump_log_with, list_segments, recover, FsStorage, LogConfig, LogEvent, LogThread,
    LogWriter, SimDisk, Storage, TailCase,
};

const Z: i64 = 1 << 32;

fn config() -> LogConfig {
    LogConfig::default().with_prealloc_size_kib(256)
}

#[test]
fn records_written_with_fdatasync_recover_from_real_files() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FsStorage::buffered();
    let recovered = recover(&storage, dir.path()).unwrap();
    let mut writer = LogWriter::open(storage.clone(), &recovered, config()).unwrap();
    let records: Vec<(i64, Vec<u8>)> = (Z + 1..=Z + 3000)
        .map(|zxid| (zxid, payload(zxid, 120)))
        .collect();
    for (zxid, payload) in &records {
        writer.append(*zxid, payload).unwrap();
        if zxid % 50 == 0 {
            writer.step().unwrap();
        }
    }
    assert_eq!(writer.flush().unwrap(), Some(Z + 3000));
    drop(writer);

    let segments = list_segments(&storage, dir.path()).unwrap();
    assert!(
        segments.len() >= 2,
        "3000 x 136 bytes fill more than one 256 KiB segment"
    );
    let recovered = recover(&storage, dir.path()).unwrap();
    // Every segment ends in padding; a prepared spare, if any, is removed.
    assert!(recovered
        .report
        .cases()
        .iter()
        .all(|case| matches!(case, TailCase::ZeroPadding | TailCase::LeftoverTempFile)));
    assert_eq!(recovered.last_zxid, Some(Z + 3000));
    assert_eq!(replay_all(&storage, dir.path()), records);
}

#[test]
fn segments_are_zero_filled_to_prealloc_size_not_sparse() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FsStorage::buffered();
    let recovered = recover(&storage, dir.path()).unwrap();
    let mut writer = LogWriter::open(storage, &recovered, config()).unwrap();
    writer.append(Z + 1, b"one record").unwrap();
    writer.flush().unwrap();
    let path = dir.path().join("log.100000001");
    let metadata = std::fs::metadata(&path).unwrap();
    assert_eq!(metadata.len(), 256 * 1024);
    // st_blocks counts 512-byte units actually allocated: a sparse file
    // would have far fewer than its length.
    assert!(
        metadata.blocks() * 512 >= metadata.len(),
        "{} blocks",
        metadata.blocks()
    );
    assert!(!dir.path().join("log.100000001.tmp").exists());
}

#[test]
fn o_direct_writes_are_aligned_and_recover() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FsStorage::direct();
    assert_eq!(storage.write_alignment_bytes(), 4096);
    let recovered = recover(&storage, dir.path()).unwrap();
    let mut writer = LogWriter::open(storage.clone(), &recovered, config()).unwrap();
    let records: Vec<(i64, Vec<u8>)> = (Z + 1..=Z + 400)
        .map(|zxid| (zxid, payload(zxid, 700)))
        .collect();
    for (zxid, payload) in &records[..200] {
        writer.append(*zxid, payload).unwrap();
        writer.step().unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    // Reopen with O_DIRECT after recovery: the tail block is read back and
    // rewritten with the next batch.
    let recovered = recover(&storage, dir.path()).unwrap();
    let mut writer = LogWriter::open(storage.clone(), &recovered, config()).unwrap();
    for (zxid, payload) in &records[200..] {
        writer.append(*zxid, payload).unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    let buffered = FsStorage::buffered();
    recover(&buffered, dir.path()).unwrap();
    assert_eq!(replay_all(&buffered, dir.path()), records);
}

#[test]
fn a_torn_tail_is_cut_and_the_log_continues_with_o_direct() {
    let dir = tempfile::tempdir().unwrap();
    let buffered = FsStorage::buffered();
    let recovered = recover(&buffered, dir.path()).unwrap();
    let mut writer = LogWriter::open(buffered.clone(), &recovered, config()).unwrap();
    let records: Vec<(i64, Vec<u8>)> = (Z + 1..=Z + 30)
        .map(|zxid| (zxid, payload(zxid, 333)))
        .collect();
    for (zxid, payload) in &records[..20] {
        writer.append(*zxid, payload).unwrap();
    }
    writer.flush().unwrap();
    let end = writer.machine().current_segment().unwrap().1;
    drop(writer);
    // A torn record: its header and the first bytes of its payload landed.
    let path = dir.path().join("log.100000001");
    let mut torn = Vec::new();
    ringkeeper_txnlog::format::encode_record(Z + 21, &records[20].1, &mut torn);
    std::os::unix::fs::FileExt::write_all_at(
        &std::fs::OpenOptions::new().write(true).open(&path).unwrap(),
        &torn[..100],
        end,
    )
    .unwrap();

    let direct = FsStorage::direct();
    let recovered = recover(&direct, dir.path()).unwrap();
    assert_eq!(
        recovered.report.cases(),
        vec![TailCase::ChecksumFailureInLastRecord]
    );
    assert_eq!(recovered.tail.as_ref().unwrap().end_offset, end);
    let mut writer = LogWriter::open(direct, &recovered, config()).unwrap();
    for (zxid, payload) in &records[20..] {
        writer.append(*zxid, payload).unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    let recovered = recover(&buffered, dir.path()).unwrap();
    assert_eq!(recovered.report.cases(), vec![TailCase::ZeroPadding]);
    assert_eq!(replay_all(&buffered, dir.path()), records);
}

#[test]
fn the_log_thread_groups_appends_and_reports_durable_zxids_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FsStorage::buffered();
    let recovered = recover(&storage, dir.path()).unwrap();
    let (events, received) = mpsc::channel();
    let mut log = LogThread::spawn(storage.clone(), &recovered, config(), move |event| {
        let _ = events.send(event);
    })
    .unwrap();
    // 6000 x 96 bytes roll over two 256 KiB segments: the rolls use spares
    // the helper thread prepared.
    let count = 6000;
    for zxid in Z + 1..=Z + count {
        log.append(zxid, payload(zxid, 80)).unwrap();
    }
    assert_eq!(log.flush().unwrap(), Some(Z + count));
    assert_eq!(log.shutdown().unwrap(), Some(Z + count));
    let durable: Vec<i64> = received
        .try_iter()
        .filter_map(|event| match event {
            LogEvent::Durable { through_zxid } => Some(through_zxid),
            LogEvent::SlowSync(_) => None,
            LogEvent::Fatal(error) => panic!("{error}"),
        })
        .collect();
    assert!(
        durable.windows(2).all(|pair| pair[0] < pair[1]),
        "durable zxids only grow"
    );
    assert_eq!(durable.last(), Some(&(Z + count)));
    assert!(
        (durable.len() as i64) < count,
        "appends made while a sync was in flight shared a batch ({} batches for {count} records)",
        durable.len()
    );
    assert!(list_segments(&storage, dir.path()).unwrap().len() >= 3);
    recover(&storage, dir.path()).unwrap();
    assert_eq!(replay_all(&storage, dir.path()).len(), count as usize);
}

#[test]
fn the_log_thread_reports_a_fatal_fsync_error_and_refuses_appends_after_it() {
    let disk = SimDisk::new();
    let recovered = recover(&disk, &common::log_dir()).unwrap();
    let (events, received) = mpsc::channel();
    let mut log = LogThread::spawn(disk.clone(), &recovered, config(), move |event| {
        let _ = events.send(event);
    })
    .unwrap();
    log.append(Z + 1, b"durable".to_vec()).unwrap();
    log.flush().unwrap();
    disk.fail_fdatasync_after(0, std::io::ErrorKind::Other);
    log.append(Z + 2, b"its fsync fails".to_vec()).unwrap();
    let error = log.flush().unwrap_err();
    let reported: Vec<LogEvent> = received.try_iter().collect();
    assert!(reported.contains(&LogEvent::Durable {
        through_zxid: Z + 1
    }));
    assert!(
        reported.contains(&LogEvent::Fatal(error.clone())),
        "{reported:?}"
    );
    assert!(!reported.contains(&LogEvent::Durable {
        through_zxid: Z + 2
    }));
    assert!(log.append(Z + 3, b"refused".to_vec()).is_err());
    assert!(log.shutdown().is_err());
}

#[test]
fn dump_log_lists_every_record_of_a_real_segment() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FsStorage::buffered();
    let recovered = recover(&storage, dir.path()).unwrap();
    let mut writer = LogWriter::open(storage, &recovered, config()).unwrap();
    for zxid in Z + 1..=Z + 3 {
        writer
            .append(zxid, format!("txn {zxid:x}").as_bytes())
            .unwrap();
    }
    writer.flush().unwrap();
    let path = dir.path().join("log.100000001");
    let listing = dump_log(&path).unwrap();
    assert!(listing.contains("first zxid 0x100000001"), "{listing}");
    for (offset, zxid) in [
        (32, "0x100000001"),
        (32 + 29, "0x100000002"),
        (32 + 58, "0x100000003"),
    ] {
        let line = listing
            .lines()
            .find(|line| line.trim_start().starts_with(&format!("{offset} ")))
            .unwrap_or_else(|| panic!("no line for offset {offset} in\n{listing}"));
        assert!(
            line.contains(zxid) && line.contains(" 13 ") && line.ends_with("ok"),
            "{line}"
        );
    }
    assert!(
        listing.contains("end: 3 records; zero padding from offset 119 to 262144"),
        "{listing}"
    );
    let decoded = dump_log_with(&path, &|payload| {
        String::from_utf8_lossy(payload).into_owned()
    })
    .unwrap();
    assert!(decoded.contains("txn 100000002"), "{decoded}");
}
