//! The I/O seam: every file operation of the txn log, and its clock.
//!
//! Two implementations: [`crate::FsStorage`] (std::fs and libc, O_DIRECT as
//! an option) and [`crate::SimDisk`] (in memory, with crashes that lose
//! un-synced writes, torn writes, bit flips and I/O errors). Code above
//! this trait cannot tell them apart, so every recovery and crash scenario
//! runs against the simulated disk with the same code the server runs.

use std::io;
use std::path::Path;

/// File operations and the clock, as the txn log needs them. Clones share
/// the same files (the log thread hands one to its spare-segment helper).
///
/// Paths are absolute or relative to the process; the log passes its
/// dataLogDir joined with segment names. Every method that changes a file
/// or a directory is durable only once the matching sync returned:
/// [`Storage::fdatasync`] for a file's bytes, [`Storage::sync_dir`] for the
/// names in a directory (create, rename, remove).
pub trait Storage: Clone + Send + 'static {
    /// An open file.
    type File: Send + 'static;

    /// Creates `path`, which must not exist, open for writing and reading.
    fn create_new(&self, path: &Path) -> io::Result<Self::File>;
    /// Opens an existing file for writing (appending records) and reading.
    fn open_write(&self, path: &Path) -> io::Result<Self::File>;
    /// Opens an existing file for reading only (recovery, replay, dump).
    fn open_read(&self, path: &Path) -> io::Result<Self::File>;
    /// The file's length in bytes.
    fn file_len(&self, file: &Self::File) -> io::Result<u64>;
    /// Fills `buf` from `offset`; an error if the file ends first.
    fn read_exact_at(&self, file: &Self::File, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// Writes all of `bytes` at `offset`. With O_DIRECT the offset, the
    /// length and the buffer's address are multiples of
    /// [`Storage::write_alignment_bytes`].
    fn pwrite(&self, file: &Self::File, offset: u64, bytes: &[u8]) -> io::Result<()>;
    /// Makes the file's written bytes durable (fdatasync: the size and the
    /// blocks, not the times).
    fn fdatasync(&self, file: &Self::File) -> io::Result<()>;
    /// One group-commit batch: write `bytes` at `offset`, then fdatasync
    /// when `sync` (forceSync=no passes false). One call, so a backend can
    /// submit both at once (io_uring: a write linked to an fdatasync).
    fn append_and_sync(
        &self,
        file: &Self::File,
        offset: u64,
        bytes: &[u8],
        sync: bool,
    ) -> io::Result<()> {
        self.pwrite(file, offset, bytes)?;
        if sync {
            self.fdatasync(file)?;
        }
        Ok(())
    }
    /// Sets the file's length (cuts or extends with zeros).
    fn truncate(&self, file: &Self::File, len: u64) -> io::Result<()>;
    /// Renames `from` to `to` (replacing `to`), within one directory.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file.
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Names of the entries of `dir`, in no particular order.
    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// Creates `dir` and its parents when missing.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Makes the directory's entries durable (fsync of the directory).
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// The alignment O_DIRECT needs for writes (offset, length, address),
    /// or 1 for buffered I/O.
    fn write_alignment_bytes(&self) -> usize;
    /// A monotonic clock in microseconds: real time for [`crate::FsStorage`],
    /// simulated time (advanced by simulated latencies) for
    /// [`crate::SimDisk`].
    fn now_us(&self) -> u64;
}
