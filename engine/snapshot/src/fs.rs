//! The I/O seam: every file operation snapshots make, with the real file
//! system ([`RealFs`]) and a simulated one with faults
//! ([`crate::SimFs`]) behind one trait, so the durability sequence and
//! every crash scenario run the same code the server runs.
//!
//! Assumptions about the disk (the pessimistic reading of POSIX, as in
//! docs/storage.md): a file's bytes are durable only once `sync_all`
//! returned; a name (create, rename, remove) only once `sync_dir` of its
//! directory returned; a write that was in flight at a crash may be torn
//! anywhere; a rename is atomic (after a crash the name holds the old file
//! or the new one, never a mix).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::ops::Deref;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// A file being written.
pub trait SnapshotWrite {
    /// Append `bytes` at the end of what was written.
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Overwrite `bytes` at `offset` (inside what was written).
    fn write_all_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()>;
    /// fsync: the file's bytes and length are durable once this returns.
    fn sync_all(&mut self) -> io::Result<()>;
    /// Start writing `len` bytes from `offset` back to the device; with
    /// `wait`, first wait for any write-back of them under way and then
    /// for this one to end (Linux `sync_file_range`). Not durability: only
    /// [`SnapshotWrite::sync_all`] makes bytes durable. Paced write-back
    /// keeps a large snapshot from sitting in the page cache until the
    /// final fsync flushes it in one burst, queued ahead of the txn log's
    /// fdatasyncs on the same device.
    fn write_back(&mut self, offset: u64, len: u64, wait: bool) -> io::Result<()>;
}

/// File operations as snapshots need them.
pub trait SnapshotFs {
    type File: SnapshotWrite;
    /// A read-only view of a whole file (a memory map for [`RealFs`]).
    type Bytes: Deref<Target = [u8]>;

    /// Create `path` empty, replacing any file there (a stale temp file).
    fn create_truncate(&self, path: &Path) -> io::Result<Self::File>;
    /// Rename `from` to `to` (replacing `to`) within one directory.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// fsync of the directory: its names are durable once this returns.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Names of the entries of `dir`, in no particular order.
    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// The whole file, for reading.
    fn read_map(&self, path: &Path) -> io::Result<Self::Bytes>;
    /// Remove a file.
    fn remove(&self, path: &Path) -> io::Result<()>;
}

/// The real file system: std::fs, with memory maps for reading. Directory
/// listing and directory fsync are the txn log's ([`ringkeeper_txnlog::list_dir_names`],
/// [`ringkeeper_txnlog::fsync_dir`]), so both crates make names durable
/// the same way.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealFs;

/// A mapped file (an empty file cannot be mapped, so it has no map).
#[derive(Debug)]
pub enum FileBytes {
    Mapped(memmap2::Mmap),
    Empty,
}

impl Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(map) => map,
            FileBytes::Empty => &[],
        }
    }
}

/// Map `path` read-only (for [`crate::dump_snapshot`] and the loader).
pub fn map_file(path: &Path) -> io::Result<FileBytes> {
    let file = File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok(FileBytes::Empty);
    }
    // SAFETY: the map is read-only and private to this process. A snapshot
    // is never written again once renamed into place, and ringkeeper owns
    // its dataDir; another process truncating the file under us would
    // raise SIGBUS, which is the stated assumption (docs/storage.md).
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file)? };
    // Advice only; loading reads front to back.
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(FileBytes::Mapped(map))
}

impl SnapshotWrite for File {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        Write::write_all(self, bytes)
    }

    fn write_all_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        FileExt::write_all_at(self, bytes, offset)
    }

    fn sync_all(&mut self) -> io::Result<()> {
        File::sync_all(self)
    }

    fn write_back(&mut self, offset: u64, len: u64, wait: bool) -> io::Result<()> {
        let flags = if wait {
            libc::SYNC_FILE_RANGE_WAIT_BEFORE
                | libc::SYNC_FILE_RANGE_WRITE
                | libc::SYNC_FILE_RANGE_WAIT_AFTER
        } else {
            libc::SYNC_FILE_RANGE_WRITE
        };
        let out_of_range = || io::Error::new(io::ErrorKind::InvalidInput, "range beyond i64");
        let offset = i64::try_from(offset).map_err(|_| out_of_range())?;
        let len = i64::try_from(len).map_err(|_| out_of_range())?;
        // SAFETY: a plain syscall on a descriptor `self` owns and keeps open
        // for the call; it reads no memory of ours.
        let rc = unsafe { libc::sync_file_range(self.as_raw_fd(), offset, len, flags) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

impl SnapshotFs for RealFs {
    type File = File;
    type Bytes = FileBytes;

    fn create_truncate(&self, path: &Path) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        ringkeeper_txnlog::fsync_dir(dir)
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        ringkeeper_txnlog::list_dir_names(dir)
    }

    fn read_map(&self, path: &Path) -> io::Result<FileBytes> {
        map_file(path)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }
}
