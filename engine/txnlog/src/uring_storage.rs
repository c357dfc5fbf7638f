//! The io_uring [`Storage`]: each group-commit batch is one submission of
//! an IORING_OP_WRITE linked (IOSQE_IO_LINK) to an IORING_OP_FSYNC with
//! IORING_FSYNC_DATASYNC, so the write and the fdatasync cost one
//! `io_uring_enter` and the kernel starts the sync the moment the write
//! completes. Every other operation is [`FsStorage`]'s.
//!
//! ```text
//! append_and_sync(file, offset, bytes, sync)
//!   SQE 1: WRITE  fd offset bytes   [IO_LINK when sync]
//!   SQE 2: FSYNC  fd DATASYNC       (only when sync)
//!   io_uring_enter(submit 2, wait 2)
//!   CQE 1 = len      CQE 2 = 0              -> Ok
//!   CQE 1 = n < len  CQE 2 = -ECANCELED     -> the link broke: submit the rest (and the
//!                                              fdatasync) again from offset + n
//!   CQE 1 < 0  or  CQE 2 < 0 (not after a short write)  -> Err: the caller stops the log
//! ```
//!
//! The ring is small and owned by the storage; clones share it behind a
//! mutex (the log thread is its only user: the spare-segment helper's
//! writes go through [`FsStorage`]). The call returns only once the kernel
//! has completed every operation it was handed, so it never keeps the
//! caller's buffer past the call.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use io_uring::{opcode, squeue, types, IoUring};

use crate::fs_storage::FsStorage;
use crate::storage::Storage;

/// Submission queue entries of the log's ring: a batch needs two.
pub const LOG_RING_ENTRIES: u32 = 4;
/// Most bytes one IORING_OP_WRITE carries (its length is 32 bits); a larger
/// batch is written in pieces of this size, aligned for O_DIRECT.
pub const URING_WRITE_BYTES_MAX: usize = 1 << 30;
/// How long to wait before asking the kernel again when waiting for our
/// completions failed with an error other than EINTR (the kernel still
/// holds the buffer, so the call cannot return yet).
const WAIT_RETRY_PAUSE: Duration = Duration::from_millis(1);

const WRITE_USER_DATA: u64 = 1;
const SYNC_USER_DATA: u64 = 2;

/// The txn log's files through [`FsStorage`], with each batch's write and
/// fdatasync submitted together on an io_uring.
#[derive(Clone)]
pub struct UringStorage {
    fs: FsStorage,
    /// `None` once a submission failed in a way that left entries in the
    /// submission queue: the ring is dropped so they can never run.
    ring: Arc<Mutex<Option<IoUring>>>,
}

impl std::fmt::Debug for UringStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UringStorage")
            .field("fs", &self.fs)
            .field("ring_entries", &LOG_RING_ENTRIES)
            .finish()
    }
}

/// What the kernel answered for one write (and its linked fdatasync).
struct ChainResult {
    write: i32,
    sync: Option<i32>,
}

/// Why a chain could not run to its completions.
enum ChainError {
    /// The ring cannot be used again (entries were left unsubmitted).
    RingLost(io::Error),
    /// An error from the kernel before anything was handed to it.
    Submit(io::Error),
}

impl UringStorage {
    /// A storage on `fs` (buffered or O_DIRECT) with its own ring. Fails
    /// when this kernel or its seccomp policy refuses io_uring, or lacks
    /// the write or fsync opcode; the error names the cause.
    pub fn new(fs: FsStorage) -> io::Result<UringStorage> {
        let ring = IoUring::builder()
            .build(LOG_RING_ENTRIES)
            .map_err(|error| io::Error::new(error.kind(), format!("io_uring_setup: {error}")))?;
        let mut probe = io_uring::Probe::new();
        ring.submitter()
            .register_probe(&mut probe)
            .map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("io_uring cannot list its opcodes (Linux 5.6+ needed): {error}"),
                )
            })?;
        for (code, name) in [
            (opcode::Write::CODE, "IORING_OP_WRITE"),
            (opcode::Fsync::CODE, "IORING_OP_FSYNC"),
        ] {
            if !probe.is_supported(code) {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("io_uring without {name}"),
                ));
            }
        }
        Ok(UringStorage {
            fs,
            ring: Arc::new(Mutex::new(Some(ring))),
        })
    }

    pub fn is_direct(&self) -> bool {
        self.fs.is_direct()
    }
}

/// How much of `rest` one write takes: all of it up to
/// [`URING_WRITE_BYTES_MAX`] (kept a multiple of `alignment`).
fn piece_bytes(rest: usize, alignment: usize) -> usize {
    if rest <= URING_WRITE_BYTES_MAX {
        return rest;
    }
    let alignment = alignment.max(1);
    URING_WRITE_BYTES_MAX - URING_WRITE_BYTES_MAX % alignment
}

/// The bytes a write CQE reports, or its error. Zero bytes of a non-empty
/// write would repeat forever: that is an error too.
fn written_bytes(result: i32, asked: usize) -> io::Result<usize> {
    if result < 0 {
        return Err(io::Error::from_raw_os_error(-result));
    }
    let done = result as usize;
    if done == 0 && asked > 0 {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "io_uring write wrote no bytes",
        ));
    }
    Ok(done.min(asked))
}

fn is_transient(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::EINTR | libc::EAGAIN | libc::EBUSY)
    )
}

/// Submits one write (linked to an fdatasync when `sync`) and waits for
/// every completion of what the kernel took.
fn submit_chain(
    ring: &mut IoUring,
    file: &File,
    offset: u64,
    bytes: &[u8],
    sync: bool,
) -> Result<ChainResult, ChainError> {
    let fd = types::Fd(file.as_raw_fd());
    // piece_bytes keeps every write within URING_WRITE_BYTES_MAX < u32::MAX.
    let length = bytes.len() as u32;
    let mut write = opcode::Write::new(fd, bytes.as_ptr(), length)
        .offset(offset)
        .build()
        .user_data(WRITE_USER_DATA);
    if sync {
        write = write.flags(squeue::Flags::IO_LINK);
    }
    let fdatasync = opcode::Fsync::new(fd)
        .flags(types::FsyncFlags::DATASYNC)
        .build()
        .user_data(SYNC_USER_DATA);
    let entries: &[squeue::Entry] = if sync { &[write, fdatasync] } else { &[write] };
    // SAFETY: the write reads `bytes`, which outlive this function; it
    // returns only once every entry the kernel took has completed, and
    // entries it did not take are dropped with the ring (RingLost), so
    // no operation can touch `bytes` after the call. The queue is empty
    // here (every earlier chain was reaped), so it has room for two.
    unsafe { ring.submission().push_multiple(entries) }.map_err(|_| {
        ChainError::RingLost(io::Error::other("the io_uring submission queue is full"))
    })?;
    let expected = entries.len();
    let mut result = ChainResult {
        write: 0,
        sync: None,
    };
    let mut reaped = 0usize;
    while reaped < expected {
        let entered = ring.submit_and_wait(expected - reaped);
        for cqe in ring.completion() {
            match cqe.user_data() {
                WRITE_USER_DATA => result.write = cqe.result(),
                SYNC_USER_DATA => result.sync = Some(cqe.result()),
                // Nothing else is ever submitted on this ring.
                _ => continue,
            }
            reaped += 1;
        }
        let Err(error) = entered else { continue };
        if reaped == expected || is_transient(&error) {
            continue;
        }
        let unsubmitted = ring.submission().len();
        let in_flight = expected - unsubmitted - reaped;
        if in_flight > 0 {
            // The kernel holds the buffer: ask again until it is done.
            std::thread::sleep(WAIT_RETRY_PAUSE);
        } else if unsubmitted > 0 {
            // Entries the kernel never took still point at the buffer.
            return Err(ChainError::RingLost(error));
        } else {
            return Err(ChainError::Submit(error));
        }
    }
    Ok(result)
}

impl Storage for UringStorage {
    type File = File;

    fn create_new(&self, path: &Path) -> io::Result<File> {
        self.fs.create_new(path)
    }

    fn open_write(&self, path: &Path) -> io::Result<File> {
        self.fs.open_write(path)
    }

    fn open_read(&self, path: &Path) -> io::Result<File> {
        self.fs.open_read(path)
    }

    fn file_len(&self, file: &File) -> io::Result<u64> {
        self.fs.file_len(file)
    }

    fn read_exact_at(&self, file: &File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.fs.read_exact_at(file, offset, buf)
    }

    fn pwrite(&self, file: &File, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.fs.pwrite(file, offset, bytes)
    }

    fn fdatasync(&self, file: &File) -> io::Result<()> {
        self.fs.fdatasync(file)
    }

    /// One write linked to one fdatasync, in one submission (see the
    /// module documentation for short writes and errors).
    fn append_and_sync(
        &self,
        file: &File,
        offset: u64,
        bytes: &[u8],
        sync: bool,
    ) -> io::Result<()> {
        self.fs.check_write_alignment(offset, bytes)?;
        if bytes.is_empty() {
            return if sync {
                self.fs.fdatasync(file)
            } else {
                Ok(())
            };
        }
        let mut guard = self
            .ring
            .lock()
            .map_err(|_| io::Error::other("the io_uring of the txn log was poisoned"))?;
        let Some(ring) = guard.as_mut() else {
            return Err(io::Error::other(
                "the io_uring of the txn log failed earlier",
            ));
        };
        let mut written = 0usize;
        loop {
            let rest = &bytes[written..];
            let piece = piece_bytes(rest.len(), self.fs.write_alignment_bytes());
            // The fdatasync goes with the piece that ends the bytes.
            let sync_now = sync && piece == rest.len();
            let outcome = match submit_chain(
                ring,
                file,
                offset + written as u64,
                &rest[..piece],
                sync_now,
            ) {
                Ok(outcome) => outcome,
                Err(ChainError::Submit(error)) => return Err(error),
                Err(ChainError::RingLost(error)) => {
                    *guard = None;
                    return Err(error);
                }
            };
            let done = written_bytes(outcome.write, piece)?;
            written += done;
            match outcome.sync {
                // The link broke on a short write: the rest goes again,
                // with the fdatasync linked to it.
                Some(result) if done < piece && result == -libc::ECANCELED => {}
                Some(result) if result < 0 => return Err(io::Error::from_raw_os_error(-result)),
                Some(_) | None => {}
            }
            // The last piece's fdatasync, when asked for, succeeded above.
            if written == bytes.len() {
                return Ok(());
            }
        }
    }

    fn truncate(&self, file: &File, len: u64) -> io::Result<()> {
        self.fs.truncate(file, len)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.fs.rename(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        self.fs.remove(path)
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        self.fs.list_dir(dir)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.fs.create_dir_all(dir)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.fs.sync_dir(dir)
    }

    fn write_alignment_bytes(&self) -> usize {
        self.fs.write_alignment_bytes()
    }

    fn now_us(&self) -> u64 {
        self.fs.now_us()
    }
}

#[cfg(test)]
#[path = "uring_storage_tests.rs"]
mod tests;
