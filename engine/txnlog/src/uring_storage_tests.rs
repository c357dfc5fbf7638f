//! The io_uring storage on real files: the bytes each batch writes, across
//! segment rolls, buffered and with O_DIRECT; forceSync=no; errors; a
//! short write.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::*;
use crate::{
    for_each_record, list_segments, probe_direct_io, recover, AlignedBuf, LogConfig, LogWriter,
    DIRECT_IO_ALIGNMENT_BYTES,
};

const Z: i64 = 1 << 32;

fn payload(zxid: i64, len: usize) -> Vec<u8> {
    (0..len).map(|i| (zxid as usize * 31 + i) as u8).collect()
}

/// A temp dir on a disk file system (not tmpfs), or `None` with the reason
/// printed when O_DIRECT is asked for and this file system refuses it.
fn disk_dir(direct: bool) -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    if direct {
        if let Err(error) = probe_direct_io(dir.path()) {
            println!(
                "skipped: {} does not take O_DIRECT: {error}",
                dir.path().display()
            );
            return None;
        }
    }
    Some(dir)
}

fn uring(direct: bool) -> UringStorage {
    let fs = if direct {
        FsStorage::direct()
    } else {
        FsStorage::buffered()
    };
    UringStorage::new(fs).expect("io_uring is available to the tests")
}

/// 600 records of 300..1,100 bytes through the log writer on 16 KiB
/// segments: every record reads back, in order, from several segments.
fn records_read_back_across_segment_rolls(storage: UringStorage, dir: &Path) {
    let recovered = recover(&storage, dir).unwrap();
    let config = LogConfig::default().with_prealloc_size_kib(16);
    let mut writer = LogWriter::open(storage.clone(), &recovered, config).unwrap();
    let records: Vec<(i64, Vec<u8>)> = (1..=600)
        .map(|n| (Z + n, payload(Z + n, 300 + (n as usize * 37) % 800)))
        .collect();
    for (zxid, payload) in &records {
        writer.append(*zxid, payload).unwrap();
        if zxid % 7 == 0 {
            writer.step().unwrap();
        }
    }
    assert_eq!(writer.flush().unwrap(), Some(Z + 600));
    drop(writer);

    let segments = list_segments(&FsStorage::buffered(), dir).unwrap();
    assert!(segments.len() >= 10, "rolled: {segments:?}");
    let reader = FsStorage::buffered();
    let recovered = recover(&reader, dir).unwrap();
    assert_eq!(recovered.last_zxid, Some(Z + 600));
    let mut read = Vec::new();
    for_each_record(&reader, dir, None, |zxid, bytes| {
        read.push((zxid, bytes.to_vec()));
        Ok::<(), String>(())
    })
    .unwrap();
    assert_eq!(read, records);
}

#[test]
fn buffered_batches_read_back_exactly_across_segment_rolls() {
    let dir = disk_dir(false).unwrap();
    records_read_back_across_segment_rolls(uring(false), dir.path());
}

#[test]
fn o_direct_batches_read_back_exactly_across_segment_rolls() {
    let Some(dir) = disk_dir(true) else { return };
    let storage = uring(true);
    assert!(storage.is_direct());
    assert_eq!(storage.write_alignment_bytes(), DIRECT_IO_ALIGNMENT_BYTES);
    records_read_back_across_segment_rolls(storage, dir.path());
}

/// One append_and_sync writes exactly its bytes at its offset: the bytes
/// before and after are untouched.
fn one_batch_writes_exactly_its_bytes(storage: &UringStorage, dir: &Path) {
    let block = DIRECT_IO_ALIGNMENT_BYTES;
    let path = dir.join("batch");
    let file = storage.create_new(&path).unwrap();
    let mut zeros = AlignedBuf::with_capacity(4 * block);
    zeros.extend_zeros(4 * block);
    storage.pwrite(&file, 0, zeros.as_slice()).unwrap();
    let mut batch = AlignedBuf::with_capacity(2 * block);
    batch.extend_from_slice(&payload(7, 2 * block));
    storage
        .append_and_sync(&file, block as u64, batch.as_slice(), true)
        .unwrap();
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!(on_disk.len(), 4 * block);
    assert!(on_disk[..block].iter().all(|&b| b == 0));
    assert_eq!(&on_disk[block..3 * block], batch.as_slice());
    assert!(on_disk[3 * block..].iter().all(|&b| b == 0));
}

#[test]
fn a_buffered_batch_writes_exactly_its_bytes_at_its_offset() {
    let dir = disk_dir(false).unwrap();
    one_batch_writes_exactly_its_bytes(&uring(false), dir.path());
}

#[test]
fn an_o_direct_batch_writes_exactly_its_bytes_at_its_offset() {
    let Some(dir) = disk_dir(true) else { return };
    one_batch_writes_exactly_its_bytes(&uring(true), dir.path());
}

#[test]
fn an_unaligned_o_direct_batch_is_refused_before_the_kernel_sees_it() {
    let Some(dir) = disk_dir(true) else { return };
    let storage = uring(true);
    let file = storage.create_new(&dir.path().join("unaligned")).unwrap();
    let error = storage
        .append_and_sync(&file, 100, b"not aligned", true)
        .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("aligned"), "{error}");
}

/// /dev/null takes writes but refuses fdatasync (EINVAL): forceSync=no
/// succeeds there only because no fdatasync is submitted, and with sync
/// the fdatasync's error comes back.
#[test]
fn force_sync_off_writes_without_submitting_the_fdatasync() {
    let storage = uring(false);
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .unwrap();
    storage
        .append_and_sync(&null, 0, b"written, not synced", false)
        .expect("no fdatasync was submitted");
    let error = storage
        .append_and_sync(&null, 0, b"written, then synced", true)
        .expect_err("the linked fdatasync ran and failed");
    assert_eq!(error.raw_os_error(), Some(libc::EINVAL), "{error}");

    // On a real file the unsynced bytes are there to read.
    let dir = disk_dir(false).unwrap();
    let file = storage.create_new(&dir.path().join("nosync")).unwrap();
    storage
        .append_and_sync(&file, 0, b"no fsync", false)
        .unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("nosync")).unwrap(),
        b"no fsync"
    );
}

#[test]
fn a_write_to_a_read_only_file_comes_back_as_an_error() {
    let dir = disk_dir(false).unwrap();
    let path = dir.path().join("read-only");
    std::fs::write(&path, b"before").unwrap();
    let storage = uring(false);
    let file = storage.open_read(&path).unwrap();
    let error = storage
        .append_and_sync(&file, 0, b"after", true)
        .unwrap_err();
    assert_eq!(error.raw_os_error(), Some(libc::EBADF), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), b"before");
    // The ring stays usable for the next file.
    let writable = storage.create_new(&dir.path().join("next")).unwrap();
    storage.append_and_sync(&writable, 0, b"ok", true).unwrap();
}

/// The environment variable that makes the short-write test run its child
/// half (with a file size limit that only that process has).
const SHORT_WRITE_CHILD_ENV: &str = "RINGKEEPER_TXNLOG_SHORT_WRITE_CHILD";
const SHORT_WRITE_LIMIT_BYTES: u64 = 5000;

/// With RLIMIT_FSIZE at 5,000 bytes, an 8 KiB batch's write stops short at
/// 5,000 and breaks the link (the fdatasync is cancelled); the storage
/// writes the rest from 5,000, which the limit refuses with EFBIG, and that
/// error is returned. The limit is set in a child process (this test binary
/// again, running only this test) so that no other test feels it.
#[test]
fn a_short_write_is_continued_from_where_it_stopped_and_its_error_returned() {
    let name = "uring_storage::tests::a_short_write_is_continued_from_where_it_stopped_and_its_error_returned";
    if std::env::var_os(SHORT_WRITE_CHILD_ENV).is_none() {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .env(SHORT_WRITE_CHILD_ENV, "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "child failed:\n{text}");
        assert!(text.contains("1 passed"), "the child ran the test:\n{text}");
        return;
    }
    let dir = disk_dir(false).unwrap();
    let path = dir.path().join("limited");
    let storage = uring(false);
    let file = storage.create_new(&path).unwrap();
    let limit = libc::rlimit {
        rlim_cur: SHORT_WRITE_LIMIT_BYTES,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: plain libc calls with valid arguments, in a process that runs
    // this one test; SIGXFSZ ignored so EFBIG is returned, not a kill.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
    }
    let batch = payload(3, 8192);
    let error = storage
        .append_and_sync(&file, 0, &batch, true)
        .expect_err("the rest after the short write is refused");
    assert_eq!(error.raw_os_error(), Some(libc::EFBIG), "{error}");
    let mut on_disk = vec![0u8; SHORT_WRITE_LIMIT_BYTES as usize];
    File::open(&path)
        .unwrap()
        .read_exact_at(&mut on_disk, 0)
        .unwrap();
    assert_eq!(on_disk, batch[..SHORT_WRITE_LIMIT_BYTES as usize]);
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        SHORT_WRITE_LIMIT_BYTES
    );
}
