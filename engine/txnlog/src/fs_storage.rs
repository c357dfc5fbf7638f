//! The real [`Storage`]: std::fs with positional I/O, fdatasync through
//! `File::sync_data`, directory fsync, and O_DIRECT for the write handles
//! when asked for.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::time::Instant;

use crate::storage::Storage;

/// The alignment O_DIRECT writes use: a 4 KiB page, a multiple of every
/// logical block size Linux file systems report.
pub const DIRECT_IO_ALIGNMENT_BYTES: usize = 4096;

/// The names of `dir`'s entries on the real file system, in no particular
/// order. Names that are not UTF-8 are left out: neither segments nor
/// snapshots are named so. (The snapshot crate lists its dataDir with it.)
pub fn list_dir_names(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        if let Ok(name) = entry?.file_name().into_string() {
            names.push(name);
        }
    }
    Ok(names)
}

/// fsync of a directory on the real file system: the names created,
/// renamed or removed in it are durable once this returns. (The snapshot
/// crate makes its renames durable with it.)
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The file [`probe_direct_io`] creates and removes in the directory it checks.
pub const DIRECT_IO_PROBE_FILE_NAME: &str = "ringkeeper-direct-io-probe.tmp";

/// Whether the file system of `dir` takes O_DIRECT writes: creates
/// [`DIRECT_IO_PROBE_FILE_NAME`] with O_DIRECT (tmpfs refuses that with
/// EINVAL), writes one aligned block to it, and removes it. The error is
/// the kernel's, for the caller to report with the directory.
pub fn probe_direct_io(dir: &Path) -> io::Result<()> {
    let path = dir.join(DIRECT_IO_PROBE_FILE_NAME);
    // A leftover of a crashed probe.
    let _ = std::fs::remove_file(&path);
    let written = FsStorage::direct().create_new(&path).and_then(|file| {
        let mut block = crate::AlignedBuf::with_capacity(DIRECT_IO_ALIGNMENT_BYTES);
        block.extend_zeros(DIRECT_IO_ALIGNMENT_BYTES);
        file.write_all_at(block.as_slice(), 0)
    });
    let removed = std::fs::remove_file(&path);
    written?;
    removed
}

/// Files on a real file system.
#[derive(Debug, Clone)]
pub struct FsStorage {
    direct: bool,
    clock_base: Instant,
}

impl FsStorage {
    /// Buffered I/O through the page cache.
    pub fn buffered() -> FsStorage {
        FsStorage {
            direct: false,
            clock_base: Instant::now(),
        }
    }

    /// O_DIRECT for the files the log writes (reads stay buffered): writes
    /// skip the page cache, so fdatasync has only the device cache to
    /// flush. Needs a file system that supports O_DIRECT (not tmpfs).
    pub fn direct() -> FsStorage {
        FsStorage {
            direct: true,
            clock_base: Instant::now(),
        }
    }

    pub fn is_direct(&self) -> bool {
        self.direct
    }

    /// With O_DIRECT, refuses a write whose offset, length or buffer
    /// address is not a multiple of [`DIRECT_IO_ALIGNMENT_BYTES`] (the
    /// kernel would answer EINVAL, naming nothing).
    pub(crate) fn check_write_alignment(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let align = DIRECT_IO_ALIGNMENT_BYTES;
        let aligned = offset % align as u64 == 0
            && bytes.len() % align == 0
            && (bytes.as_ptr() as usize) % align == 0;
        if !self.direct || aligned {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "O_DIRECT write of {} bytes at offset {offset} is not {align}-byte aligned",
                bytes.len()
            ),
        ))
    }

    fn write_options(&self) -> OpenOptions {
        let mut options = OpenOptions::new();
        options.read(true).write(true);
        if self.direct {
            options.custom_flags(libc::O_DIRECT);
        }
        options
    }
}

impl Storage for FsStorage {
    type File = File;

    fn create_new(&self, path: &Path) -> io::Result<File> {
        self.write_options().create_new(true).open(path)
    }

    fn open_write(&self, path: &Path) -> io::Result<File> {
        self.write_options().open(path)
    }

    fn open_read(&self, path: &Path) -> io::Result<File> {
        File::open(path)
    }

    fn file_len(&self, file: &File) -> io::Result<u64> {
        Ok(file.metadata()?.len())
    }

    fn read_exact_at(&self, file: &File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        file.read_exact_at(buf, offset)
    }

    fn pwrite(&self, file: &File, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.check_write_alignment(offset, bytes)?;
        file.write_all_at(bytes, offset)
    }

    fn fdatasync(&self, file: &File) -> io::Result<()> {
        file.sync_data()
    }

    fn truncate(&self, file: &File, len: u64) -> io::Result<()> {
        file.set_len(len)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        list_dir_names(dir)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        fsync_dir(dir)
    }

    fn write_alignment_bytes(&self) -> usize {
        if self.direct {
            DIRECT_IO_ALIGNMENT_BYTES
        } else {
            1
        }
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.clock_base.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}
