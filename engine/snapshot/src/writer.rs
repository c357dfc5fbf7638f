//! Writing a snapshot file: the whole durability order in one function.

use std::io;
use std::path::{Path, PathBuf};

use crate::encoder::SnapshotEncoder;
use crate::error::{SnapshotWriteError, WriteStep};
use crate::format::{snapshot_file_name, temp_file_name, HEADER_BYTES};
use crate::fs::{SnapshotFs, SnapshotWrite};
use crate::source::{Fill, SnapshotSource};

/// A snapshot that is in place and durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenSnapshot {
    pub path: PathBuf,
    /// The zxid it covers (its name): replay starts after it.
    pub zxid: i64,
    pub file_bytes: u64,
    pub node_count: u64,
    pub fuzzy: bool,
}

/// Write a snapshot of `source` into `dir`, in this order:
///
/// 1. create `snapshot.<zxid>.tmp` (replacing a stale one);
/// 2. write a zeroed header, then the nodes step by step (the source
///    records a bounded part, then that part is written: a fuzzy source
///    holds the server's lock only while recording), then the ACL lists,
///    sessions and footer; every [`WRITEBACK_CHUNK_BYTES_DEFAULT`] bytes
///    the write-back of the new bytes starts and that of the chunk before
///    is waited for ([`SnapshotWrite::write_back`]: pacing, not
///    durability);
/// 3. write the real header at offset 0;
/// 4. fsync the file;
/// 5. rename it to `snapshot.<zxid>`;
/// 6. fsync the directory.
///
/// Only after step 6 is the snapshot durable under its name; it is never
/// visible under its name before its bytes are durable (step 4 before 5),
/// so a crash at any point leaves either no `snapshot.<zxid>` or a whole
/// one. A crash before step 6 may leave the temp file, which loading
/// ignores and purging removes.
///
/// Any error stops the sequence and is returned. An error at an fsync is
/// fatal to the caller: do not retry it (the kernel may have dropped the
/// pages it failed to write and would report the retry as a success).
pub fn write_snapshot<S: SnapshotFs>(
    fs: &S,
    dir: &Path,
    source: &mut dyn SnapshotSource,
) -> Result<WrittenSnapshot, SnapshotWriteError> {
    write_snapshot_paced(fs, dir, source, WRITEBACK_CHUNK_BYTES_DEFAULT)
}

/// Bytes of a snapshot written between two write-back steps by default.
/// At ~1.6 GB/s (this project's test VM) a chunk takes ~2.5 ms to write
/// back, which bounds how long a txn log fdatasync waits behind it;
/// docs/storage.md has the measurement.
pub const WRITEBACK_CHUNK_BYTES_DEFAULT: u64 = 4 << 20;
/// The smallest chunk a caller may ask for (smaller ones only add
/// syscalls); 0 turns pacing off.
pub const WRITEBACK_CHUNK_BYTES_MIN: u64 = 64 << 10;

/// [`write_snapshot`] with write-back steps every `writeback_chunk_bytes`
/// (0: none; the final fsync writes the whole file back).
pub fn write_snapshot_paced<S: SnapshotFs>(
    fs: &S,
    dir: &Path,
    source: &mut dyn SnapshotSource,
    writeback_chunk_bytes: u64,
) -> Result<WrittenSnapshot, SnapshotWriteError> {
    let zxid = source.begin();
    let temp_path = dir.join(temp_file_name(zxid));
    let final_path = dir.join(snapshot_file_name(zxid));
    let io_error = |step: WriteStep, path: &Path| {
        let path = path.to_path_buf();
        move |error| SnapshotWriteError::Io { step, path, error }
    };

    let mut file = fs
        .create_truncate(&temp_path)
        .map_err(io_error(WriteStep::CreateTemp, &temp_path))?;
    file.write_all(&[0u8; HEADER_BYTES])
        .map_err(io_error(WriteStep::WriteBody, &temp_path))?;
    let mut pacing = WriteBackPacing::new(writeback_chunk_bytes, HEADER_BYTES as u64);
    let mut encoder = SnapshotEncoder::new();
    let end = loop {
        let fill = source.fill(&mut encoder)?;
        encoder
            .flush(|bytes| pacing.append(&mut file, bytes))
            .map_err(io_error(WriteStep::WriteBody, &temp_path))?;
        if let Fill::Done(end) = fill {
            break end;
        }
    };
    let finished = encoder.finish(zxid, &end)?;
    encoder
        .flush(|bytes| pacing.append(&mut file, bytes))
        .map_err(io_error(WriteStep::WriteBody, &temp_path))?;
    file.write_all_at(0, &finished.header)
        .map_err(io_error(WriteStep::WriteHeader, &temp_path))?;
    file.sync_all()
        .map_err(io_error(WriteStep::SyncFile, &temp_path))?;
    drop(file);
    fs.rename(&temp_path, &final_path)
        .map_err(io_error(WriteStep::Rename, &final_path))?;
    fs.sync_dir(dir)
        .map_err(io_error(WriteStep::SyncDir, dir))?;
    Ok(WrittenSnapshot {
        path: final_path,
        zxid,
        file_bytes: finished.file_bytes,
        node_count: finished.node_count,
        fuzzy: finished.fuzzy,
    })
}

/// Where the write-back of a file being appended stands: every byte below
/// `waited_to` has been written back, those up to `started_to` are on
/// their way, the rest may be dirty in the page cache. So at most two
/// chunks plus one append are ever dirty or in flight.
#[derive(Debug)]
struct WriteBackPacing {
    chunk_bytes: u64,
    appended: u64,
    started_to: u64,
    waited_to: u64,
}

impl WriteBackPacing {
    fn new(chunk_bytes: u64, appended: u64) -> Self {
        WriteBackPacing {
            chunk_bytes,
            appended,
            started_to: 0,
            waited_to: 0,
        }
    }

    /// Append `bytes`; once a chunk has piled up, start its write-back and
    /// then wait for the one before it (the device stays busy meanwhile).
    fn append<W: SnapshotWrite>(&mut self, file: &mut W, bytes: &[u8]) -> io::Result<()> {
        file.write_all(bytes)?;
        self.appended += bytes.len() as u64;
        if self.chunk_bytes == 0 || self.appended - self.started_to < self.chunk_bytes {
            return Ok(());
        }
        file.write_back(self.started_to, self.appended - self.started_to, false)?;
        if self.waited_to < self.started_to {
            file.write_back(self.waited_to, self.started_to - self.waited_to, true)?;
            self.waited_to = self.started_to;
        }
        self.started_to = self.appended;
        Ok(())
    }
}
