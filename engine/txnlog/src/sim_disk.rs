//! A simulated disk for tests: files and directories in memory, with the
//! faults a real disk can show.
//!
//! The model is the pessimistic reading of POSIX: a file's bytes are
//! durable only up to its last completed fdatasync; a directory's names
//! (create, rename, remove) only up to its last sync_dir. A crash
//! ([`SimDisk::crash`]) returns the disk as a reboot would find it, either
//! losing everything un-synced ([`CrashMode::LoseUnsynced`]) or keeping
//! every write issued so far ([`CrashMode::KeepWritten`]); with
//! [`SimDisk::crash_after_written_bytes`] the write in progress is torn at
//! any byte. Bit flips, write errors and fsync errors are injected by name.
//! The clock is simulated: an fdatasync advances it by a set latency.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::storage::Storage;

/// What survives a simulated crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashMode {
    /// Only what was synced: file bytes up to each file's last fdatasync,
    /// directory names up to each directory's last sync_dir.
    LoseUnsynced,
    /// Every write and name change issued before the crash (a torn write
    /// keeps the prefix that was written).
    KeepWritten,
}

/// A handle to a simulated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimFile {
    inode: u64,
    writable: bool,
}

/// A simulated disk; clones share it.
#[derive(Debug, Clone, Default)]
pub struct SimDisk {
    state: Arc<Mutex<SimState>>,
}

#[derive(Debug, Default)]
struct SimState {
    crashed: bool,
    clock_us: u64,
    fdatasync_latency_us: u64,
    inodes: HashMap<u64, Inode>,
    next_inode: u64,
    dirs: BTreeMap<PathBuf, Dir>,
    written_bytes: u64,
    fdatasync_count: u64,
    crash_after_written_bytes: Option<u64>,
    /// Fail the fdatasync after this many more succeed.
    fail_fdatasync_after: Option<(u64, io::ErrorKind)>,
    fail_pwrite_after: Option<(u64, io::ErrorKind)>,
    fail_sync_dir_after: Option<(u64, io::ErrorKind)>,
    /// Enforced on pwrite like O_DIRECT (offset and length); 0 or 1: none.
    write_alignment_bytes: usize,
}

#[derive(Debug, Default, Clone)]
struct Inode {
    data: Vec<u8>,
    synced: Vec<u8>,
}

#[derive(Debug, Default, Clone)]
struct Dir {
    entries: BTreeMap<String, u64>,
    synced: BTreeMap<String, u64>,
}

fn crashed_error() -> io::Error {
    io::Error::other("simulated disk has crashed")
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file", path.display()),
    )
}

fn split(path: &Path) -> io::Result<(PathBuf, String)> {
    let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    Ok((parent, name.to_string()))
}

/// Counts one more operation against an armed "fail after N" fault.
fn trips(fault: &mut Option<(u64, io::ErrorKind)>) -> Option<io::Error> {
    let (remaining, kind) = fault.as_mut()?;
    if *remaining == 0 {
        let kind = *kind;
        *fault = None;
        return Some(io::Error::new(kind, "simulated I/O error"));
    }
    *remaining -= 1;
    None
}

impl SimDisk {
    pub fn new() -> SimDisk {
        SimDisk::default()
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        // A panic while holding the lock is a test failure already; the
        // state is still readable for the report.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn live(&self) -> io::Result<MutexGuard<'_, SimState>> {
        let state = self.lock();
        if state.crashed {
            return Err(crashed_error());
        }
        Ok(state)
    }

    /// Makes pwrite refuse unaligned offsets and lengths, as O_DIRECT does,
    /// and reports the alignment to the log.
    pub fn set_write_alignment_bytes(&self, alignment: usize) {
        self.lock().write_alignment_bytes = alignment;
    }

    /// Each fdatasync advances the simulated clock by this much.
    pub fn set_fdatasync_latency_us(&self, latency_us: u64) {
        self.lock().fdatasync_latency_us = latency_us;
    }

    pub fn advance_clock_us(&self, us: u64) {
        self.lock().clock_us += us;
    }

    /// The write that makes the bytes written so far exceed `bytes` is torn
    /// there (its prefix lands), and the disk crashes: every later
    /// operation fails until [`SimDisk::crash`] reboots it.
    pub fn crash_after_written_bytes(&self, bytes: u64) {
        self.lock().crash_after_written_bytes = Some(bytes);
    }

    /// The fdatasync after `successes` more successful ones fails with `kind`.
    pub fn fail_fdatasync_after(&self, successes: u64, kind: io::ErrorKind) {
        self.lock().fail_fdatasync_after = Some((successes, kind));
    }

    /// The pwrite after `successes` more successful ones fails with `kind`,
    /// writing nothing.
    pub fn fail_pwrite_after(&self, successes: u64, kind: io::ErrorKind) {
        self.lock().fail_pwrite_after = Some((successes, kind));
    }

    /// The sync_dir after `successes` more successful ones fails with `kind`.
    pub fn fail_sync_dir_after(&self, successes: u64, kind: io::ErrorKind) {
        self.lock().fail_sync_dir_after = Some((successes, kind));
    }

    /// Bytes handed to pwrite so far.
    pub fn written_bytes(&self) -> u64 {
        self.lock().written_bytes
    }

    /// Completed fdatasync calls so far.
    pub fn fdatasync_count(&self) -> u64 {
        self.lock().fdatasync_count
    }

    pub fn has_crashed(&self) -> bool {
        self.lock().crashed
    }

    /// The disk a reboot finds after a crash now, in `mode`. This disk
    /// stays crashed (its handles and clones fail every operation); the
    /// returned one has no faults armed and keeps the clock.
    pub fn crash(&self, mode: CrashMode) -> SimDisk {
        let mut state = self.lock();
        state.crashed = true;
        let mut dirs = state.dirs.clone();
        let mut inodes = state.inodes.clone();
        if mode == CrashMode::LoseUnsynced {
            for dir in dirs.values_mut() {
                dir.entries = dir.synced.clone();
            }
            for inode in inodes.values_mut() {
                inode.data = inode.synced.clone();
            }
        }
        for dir in dirs.values_mut() {
            dir.synced = dir.entries.clone();
        }
        for inode in inodes.values_mut() {
            inode.synced = inode.data.clone();
        }
        SimDisk {
            state: Arc::new(Mutex::new(SimState {
                clock_us: state.clock_us,
                inodes,
                next_inode: state.next_inode,
                dirs,
                write_alignment_bytes: state.write_alignment_bytes,
                ..SimState::default()
            })),
        }
    }

    /// The bytes of `path` as a read sees them now.
    pub fn file_bytes(&self, path: &Path) -> Option<Vec<u8>> {
        let state = self.lock();
        let inode = state.lookup(path).ok()?;
        Some(state.inodes[&inode].data.clone())
    }

    /// Puts `bytes` at `path` as if written and synced long ago (creating
    /// the directory and the file as needed): how a test sets up a state.
    pub fn install_file(&self, path: &Path, bytes: &[u8]) {
        let mut state = self.lock();
        let (parent, name) = split(path).expect("install_file needs a file path");
        let inode = match state.lookup(path) {
            Ok(inode) => inode,
            Err(_) => {
                let inode = state.new_inode();
                let dir = state.dirs.entry(parent).or_default();
                dir.entries.insert(name.clone(), inode);
                dir.synced.insert(name, inode);
                inode
            }
        };
        let file = state.inodes.entry(inode).or_default();
        file.data = bytes.to_vec();
        file.synced = bytes.to_vec();
    }

    /// Flips one bit of `path`, in its written and its synced bytes: media
    /// damage.
    pub fn flip_bit(&self, path: &Path, offset: usize, bit: u8) {
        let mut state = self.lock();
        let inode = state.lookup(path).expect("flip_bit on an existing file");
        let file = state.inodes.get_mut(&inode).expect("a named inode exists");
        for bytes in [&mut file.data, &mut file.synced] {
            if let Some(byte) = bytes.get_mut(offset) {
                *byte ^= 1 << (bit % 8);
            }
        }
    }
}

impl SimState {
    fn new_inode(&mut self) -> u64 {
        self.next_inode += 1;
        self.inodes.insert(self.next_inode, Inode::default());
        self.next_inode
    }

    fn lookup(&self, path: &Path) -> io::Result<u64> {
        let (parent, name) = split(path)?;
        self.dirs
            .get(&parent)
            .and_then(|dir| dir.entries.get(&name))
            .copied()
            .ok_or_else(|| not_found(path))
    }

    fn dir_mut(&mut self, dir: &Path) -> io::Result<&mut Dir> {
        self.dirs.get_mut(dir).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: no such directory", dir.display()),
            )
        })
    }

    fn inode(&mut self, file: &SimFile) -> io::Result<&mut Inode> {
        self.inodes
            .get_mut(&file.inode)
            .ok_or_else(|| io::Error::other("simulated file handle is stale"))
    }
}

impl Storage for SimDisk {
    type File = SimFile;

    fn create_new(&self, path: &Path) -> io::Result<SimFile> {
        let mut state = self.live()?;
        if state.lookup(path).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists", path.display()),
            ));
        }
        let (parent, name) = split(path)?;
        state.dir_mut(&parent)?;
        let inode = state.new_inode();
        state.dir_mut(&parent)?.entries.insert(name, inode);
        Ok(SimFile {
            inode,
            writable: true,
        })
    }

    fn open_write(&self, path: &Path) -> io::Result<SimFile> {
        let inode = self.live()?.lookup(path)?;
        Ok(SimFile {
            inode,
            writable: true,
        })
    }

    fn open_read(&self, path: &Path) -> io::Result<SimFile> {
        let inode = self.live()?.lookup(path)?;
        Ok(SimFile {
            inode,
            writable: false,
        })
    }

    fn file_len(&self, file: &SimFile) -> io::Result<u64> {
        Ok(self.live()?.inode(file)?.data.len() as u64)
    }

    fn read_exact_at(&self, file: &SimFile, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut state = self.live()?;
        let data = &state.inode(file)?.data;
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let source = start
            .checked_add(buf.len())
            .and_then(|end| data.get(start..end))
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "read past end of file"))?;
        buf.copy_from_slice(source);
        Ok(())
    }

    fn pwrite(&self, file: &SimFile, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.live()?;
        if !file.writable {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "file is open read-only",
            ));
        }
        let align = state.write_alignment_bytes.max(1);
        if offset % align as u64 != 0 || bytes.len() % align != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "write of {} bytes at {offset} is not {align}-byte aligned",
                    bytes.len()
                ),
            ));
        }
        if let Some(error) = trips(&mut state.fail_pwrite_after) {
            return Err(error);
        }
        let mut landed = bytes;
        let mut crash = false;
        if let Some(limit) = state.crash_after_written_bytes {
            let room = limit.saturating_sub(state.written_bytes);
            if (bytes.len() as u64) > room {
                landed = &bytes[..room as usize];
                crash = true;
            }
        }
        state.written_bytes += landed.len() as u64;
        let start = offset as usize;
        let data = &mut state.inode(file)?.data;
        if data.len() < start + landed.len() {
            data.resize(start + landed.len(), 0);
        }
        data[start..start + landed.len()].copy_from_slice(landed);
        if crash {
            state.crashed = true;
            return Err(crashed_error());
        }
        Ok(())
    }

    fn fdatasync(&self, file: &SimFile) -> io::Result<()> {
        let mut state = self.live()?;
        if let Some(error) = trips(&mut state.fail_fdatasync_after) {
            return Err(error);
        }
        state.clock_us += state.fdatasync_latency_us;
        state.fdatasync_count += 1;
        let inode = state.inode(file)?;
        inode.synced = inode.data.clone();
        Ok(())
    }

    fn truncate(&self, file: &SimFile, len: u64) -> io::Result<()> {
        let mut state = self.live()?;
        state.inode(file)?.data.resize(len as usize, 0);
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut state = self.live()?;
        let inode = state.lookup(from)?;
        let (from_dir, from_name) = split(from)?;
        let (to_dir, to_name) = split(to)?;
        if from_dir != to_dir {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "rename across directories",
            ));
        }
        let dir = state.dir_mut(&from_dir)?;
        dir.entries.remove(&from_name);
        dir.entries.insert(to_name, inode);
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut state = self.live()?;
        state.lookup(path)?;
        let (parent, name) = split(path)?;
        state.dir_mut(&parent)?.entries.remove(&name);
        Ok(())
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut state = self.live()?;
        Ok(state.dir_mut(dir)?.entries.keys().cloned().collect())
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        // Directories themselves are durable at once: the log's directory
        // exists before the log starts.
        let mut state = self.live()?;
        state.dirs.entry(dir.to_path_buf()).or_default();
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut state = self.live()?;
        if let Some(error) = trips(&mut state.fail_sync_dir_after) {
            return Err(error);
        }
        let dir = state.dir_mut(dir)?;
        dir.synced = dir.entries.clone();
        Ok(())
    }

    fn write_alignment_bytes(&self) -> usize {
        self.lock().write_alignment_bytes.max(1)
    }

    fn now_us(&self) -> u64 {
        self.lock().clock_us
    }
}
