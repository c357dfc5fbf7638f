//! A simulated file system for crash tests: files and names in memory,
//! with what a reboot keeps decided by the disk assumptions of
//! [`crate::fs`].
//!
//! - A file's bytes are durable up to its last `sync_all`; writes after
//!   it are, at a crash, each kept, lost or torn (a prefix kept), as a
//!   [`CrashMode`] says, independently of each other (disks reorder).
//! - Names (create, rename, remove) are durable up to the last `sync_dir`
//!   of their directory; at a crash a prefix of the later name changes
//!   survives (file systems journal them in order).
//! - [`SimFs::crash_at_op`] makes the n-th mutating operation (counted
//!   from 0) tear (a write keeps part of its bytes) and fail, and every
//!   later one fail: the process died there. [`SimFs::reboot`] applies the
//!   crash and lets operations run again.
//! - [`SimFs::fail_next_sync`], [`SimFs::flip_bit`] and
//!   [`SimFs::truncate_file`] inject an fsync error and media damage.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::fs::{SnapshotFs, SnapshotWrite};

/// What a crash keeps of the writes made since a file's last fsync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashMode {
    /// Nothing un-synced survives, file bytes or names.
    LoseUnsynced,
    /// Everything issued before the crash survives (a torn write keeps
    /// the part that was written).
    KeepWritten,
    /// Each un-synced write is kept, lost or torn, and a prefix of the
    /// un-synced name changes survives, all chosen from the seed.
    Random(u64),
}

/// A simulated file system; clones share it.
#[derive(Debug, Clone, Default)]
pub struct SimFs {
    state: Arc<Mutex<SimState>>,
}

#[derive(Debug, Default)]
struct SimState {
    inodes: Vec<Inode>,
    /// Names as the running process sees them.
    names: BTreeMap<PathBuf, usize>,
    /// Names as a reboot finds them (before un-synced changes).
    durable_names: BTreeMap<PathBuf, usize>,
    /// Name changes since the last sync_dir of their directory, in order.
    unsynced_names: Vec<NameChange>,
    ops: u64,
    crash_at_op: Option<u64>,
    crashed: bool,
    fail_next_sync: bool,
    /// Every write-back asked for: (offset, len, wait), in order.
    write_backs: Vec<(u64, u64, bool)>,
}

#[derive(Debug, Default, Clone)]
struct Inode {
    /// What reads see.
    data: Vec<u8>,
    /// What the last fsync made durable.
    durable: Vec<u8>,
    /// Writes since the last fsync, in order.
    unsynced: Vec<(u64, Vec<u8>)>,
}

#[derive(Debug, Clone)]
enum NameChange {
    Link(PathBuf, usize),
    Rename(PathBuf, PathBuf),
    Unlink(PathBuf),
}

impl NameChange {
    fn dir(&self) -> Option<&Path> {
        match self {
            NameChange::Link(path, _) | NameChange::Rename(path, _) | NameChange::Unlink(path) => {
                path.parent()
            }
        }
    }

    fn apply(&self, names: &mut BTreeMap<PathBuf, usize>) {
        match self {
            NameChange::Link(path, inode) => {
                names.insert(path.clone(), *inode);
            }
            NameChange::Rename(from, to) => {
                if let Some(inode) = names.remove(from) {
                    names.insert(to.clone(), inode);
                }
            }
            NameChange::Unlink(path) => {
                names.remove(path);
            }
        }
    }
}

/// splitmix64: a small deterministic generator for crash choices.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            0
        } else {
            self.next() % bound
        }
    }
}

fn crashed_error() -> io::Error {
    io::Error::other("simulated crash: the process is down")
}

/// Write `bytes` at `offset`, extending the file with zeros if needed;
/// nothing at all for no bytes (a lost write does not extend a file).
fn write_at(data: &mut Vec<u8>, offset: u64, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let start = offset as usize;
    let end = start + bytes.len();
    if data.len() < end {
        data.resize(end, 0);
    }
    data[start..end].copy_from_slice(bytes);
}

impl SimState {
    /// Count one mutating operation; Err when the process is (now) down.
    /// `Ok(false)`: this is the crashing op (it may tear, then fails).
    fn begin_op(&mut self) -> io::Result<bool> {
        if self.crashed {
            return Err(crashed_error());
        }
        let op = self.ops;
        self.ops += 1;
        if self.crash_at_op == Some(op) {
            self.crashed = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn write(&mut self, inode: usize, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let proceed = self.begin_op()?;
        // The crashing write is torn: a prefix (maybe empty) was issued.
        let issued = if proceed {
            bytes
        } else {
            let mut rng = Rng(self.ops ^ bytes.len() as u64);
            &bytes[..rng.below(bytes.len() as u64 + 1) as usize]
        };
        let node = &mut self.inodes[inode];
        write_at(&mut node.data, offset, issued);
        node.unsynced.push((offset, issued.to_vec()));
        if proceed {
            Ok(())
        } else {
            Err(crashed_error())
        }
    }
}

impl SimFs {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        // A test that panicked while holding the lock already failed.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every [`SnapshotWrite::write_back`] asked of any file so far, in
    /// order: (offset, len, wait).
    pub fn write_backs(&self) -> Vec<(u64, u64, bool)> {
        self.lock().write_backs.clone()
    }

    /// Mutating operations done so far (the crashing one included).
    pub fn ops_done(&self) -> u64 {
        self.lock().ops
    }

    /// Operation number `op` (counted from 0 since the file system was
    /// made) tears and fails, and so does everything after it until
    /// [`SimFs::reboot`].
    pub fn crash_at_op(&self, op: u64) {
        self.lock().crash_at_op = Some(op);
    }

    /// The next `sync_all` fails with EIO and makes nothing durable.
    pub fn fail_next_sync(&self) {
        self.lock().fail_next_sync = true;
    }

    /// The machine restarts: keep what `mode` says of the un-synced state,
    /// and let operations run again.
    pub fn reboot(&self, mode: CrashMode) {
        let mut state = self.lock();
        let mut rng = Rng(match mode {
            CrashMode::Random(seed) => seed,
            _ => 0,
        });
        // How much of an un-synced change of `len` units survives.
        let mut kept = |len: usize, all_or_nothing_first: bool| match mode {
            CrashMode::LoseUnsynced => 0,
            CrashMode::KeepWritten => len,
            CrashMode::Random(_) if all_or_nothing_first => match rng.below(3) {
                0 => 0,
                1 => len,
                _ => rng.below(len as u64 + 1) as usize,
            },
            CrashMode::Random(_) => rng.below(len as u64 + 1) as usize,
        };
        let survivors = kept(state.unsynced_names.len(), false);
        let mut names = state.durable_names.clone();
        for change in &state.unsynced_names[..survivors] {
            change.apply(&mut names);
        }
        for inode in &mut state.inodes {
            let mut data = inode.durable.clone();
            for (offset, bytes) in &inode.unsynced {
                let landed = kept(bytes.len(), true);
                write_at(&mut data, *offset, &bytes[..landed]);
            }
            inode.durable = data.clone();
            inode.data = data;
            inode.unsynced.clear();
        }
        state.durable_names = names.clone();
        state.names = names;
        state.unsynced_names.clear();
        state.crashed = false;
        state.crash_at_op = None;
        state.fail_next_sync = false;
    }

    /// A file's current bytes.
    pub fn file_bytes(&self, path: &Path) -> Option<Vec<u8>> {
        let state = self.lock();
        let inode = *state.names.get(path)?;
        Some(state.inodes[inode].data.clone())
    }

    /// Put a durable file at `path` (test setup: a copy, garbage).
    pub fn put_durable(&self, path: &Path, bytes: &[u8]) {
        let mut state = self.lock();
        let inode = state.inodes.len();
        state.inodes.push(Inode {
            data: bytes.to_vec(),
            durable: bytes.to_vec(),
            unsynced: Vec::new(),
        });
        state.names.insert(path.to_path_buf(), inode);
        state.durable_names.insert(path.to_path_buf(), inode);
    }

    /// Media damage: flip one bit of a file, durably. False if no file.
    pub fn flip_bit(&self, path: &Path, bit: u64) -> bool {
        self.damage(path, |data| {
            if let Some(byte) = data.get_mut((bit / 8) as usize) {
                *byte ^= 1 << (bit % 8);
            }
        })
    }

    /// Media damage: cut a file to `len` bytes, durably.
    pub fn truncate_file(&self, path: &Path, len: u64) -> bool {
        self.damage(path, |data| data.truncate(len as usize))
    }

    fn damage(&self, path: &Path, change: impl Fn(&mut Vec<u8>)) -> bool {
        let mut state = self.lock();
        let Some(&inode) = state.names.get(path) else {
            return false;
        };
        let node = &mut state.inodes[inode];
        change(&mut node.data);
        change(&mut node.durable);
        true
    }
}

/// An open simulated file.
#[derive(Debug)]
pub struct SimFile {
    fs: SimFs,
    inode: usize,
}

impl SnapshotWrite for SimFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.fs.lock();
        let end = state.inodes[self.inode].data.len() as u64;
        state.write(self.inode, end, bytes)
    }

    fn write_all_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.fs.lock().write(self.inode, offset, bytes)
    }

    fn sync_all(&mut self) -> io::Result<()> {
        let mut state = self.fs.lock();
        if !state.begin_op()? {
            return Err(crashed_error());
        }
        if std::mem::take(&mut state.fail_next_sync) {
            return Err(io::Error::from_raw_os_error(5)); // EIO
        }
        let node = &mut state.inodes[self.inode];
        node.durable = node.data.clone();
        node.unsynced.clear();
        Ok(())
    }

    /// Recorded, and a point where the process can crash; it makes nothing
    /// durable (the pessimistic reading: only an fsync does).
    fn write_back(&mut self, offset: u64, len: u64, wait: bool) -> io::Result<()> {
        let mut state = self.fs.lock();
        if !state.begin_op()? {
            return Err(crashed_error());
        }
        state.write_backs.push((offset, len, wait));
        Ok(())
    }
}

impl SnapshotFs for SimFs {
    type File = SimFile;
    type Bytes = Vec<u8>;

    fn create_truncate(&self, path: &Path) -> io::Result<SimFile> {
        let mut state = self.lock();
        if !state.begin_op()? {
            return Err(crashed_error());
        }
        let inode = state.inodes.len();
        state.inodes.push(Inode::default());
        let change = NameChange::Link(path.to_path_buf(), inode);
        change.apply(&mut state.names);
        state.unsynced_names.push(change);
        Ok(SimFile {
            fs: self.clone(),
            inode,
        })
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut state = self.lock();
        if !state.begin_op()? {
            return Err(crashed_error());
        }
        if !state.names.contains_key(from) {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        let change = NameChange::Rename(from.to_path_buf(), to.to_path_buf());
        change.apply(&mut state.names);
        state.unsynced_names.push(change);
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut state = self.lock();
        if !state.begin_op()? {
            return Err(crashed_error());
        }
        let changes = std::mem::take(&mut state.unsynced_names);
        let mut durable = std::mem::take(&mut state.durable_names);
        for change in changes {
            if change.dir() == Some(dir) {
                change.apply(&mut durable);
            } else {
                state.unsynced_names.push(change);
            }
        }
        state.durable_names = durable;
        Ok(())
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let state = self.lock();
        if state.crashed {
            return Err(crashed_error());
        }
        Ok(state
            .names
            .keys()
            .filter(|path| path.parent() == Some(dir))
            .filter_map(|path| path.file_name()?.to_str().map(str::to_string))
            .collect())
    }

    fn read_map(&self, path: &Path) -> io::Result<Vec<u8>> {
        let state = self.lock();
        if state.crashed {
            return Err(crashed_error());
        }
        let inode = *state
            .names
            .get(path)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        Ok(state.inodes[inode].data.clone())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut state = self.lock();
        if !state.begin_op()? {
            return Err(crashed_error());
        }
        if !state.names.contains_key(path) {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        let change = NameChange::Unlink(path.to_path_buf());
        change.apply(&mut state.names);
        state.unsynced_names.push(change);
        Ok(())
    }
}
