//! The real run's files, parsed (segments with their record boundaries,
//! snapshots with their zxids), crashed copies of them in a scratch dir,
//! and recovery run on a copy exactly as the server runs it at start
//! (`ringkeeper_server::durable::recover`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ringkeeper_datatree::{DataTree, TreeOptions};
use ringkeeper_server::durable::{recover, RecoverySummary};
use ringkeeper_server::{parse_zoo_cfg, run::zk_config, ServerConfig};
use ringkeeper_snapshot::format::{parse_snapshot_name, SnapshotName};
use ringkeeper_snapshot::SnapshotReader;
use ringkeeper_txnlog::format::record_frame_bytes;
use ringkeeper_txnlog::segment_name::parse_segment_file_name;
use ringkeeper_txnlog::{segment_records, RecoveredLog};
use ringkeeper_zk::ZkServer;

use super::workload::RUN_CFG;

/// The clock recovery is given (sessions' fresh expiry only).
const NOW_MS: u64 = 1_700_000_000_000;

/// One valid record of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub offset: usize,
    pub end: usize,
    pub zxid: i64,
}

/// A segment file as the server left it.
#[derive(Debug, Clone)]
pub struct Segment {
    pub name: String,
    pub bytes: Vec<u8>,
    pub records: Vec<Record>,
}

/// A snapshot file as the server left it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub name: String,
    /// The zxid replay starts after.
    pub zxid: i64,
    /// The zxid the fuzzy walk ended at: the log reached it before the
    /// file existed, so a crash state holds the file only at or after it.
    pub digest_zxid: i64,
    pub bytes: Vec<u8>,
}

/// The run's segments and snapshots, parsed (other files, as the spare
/// segment, are not cut points).
pub struct RunFiles {
    /// By first zxid.
    pub segments: Vec<Segment>,
    /// Oldest first.
    pub snapshots: Vec<Snapshot>,
}

impl RunFiles {
    pub fn parse(files: &BTreeMap<String, Vec<u8>>) -> RunFiles {
        let mut segments = Vec::new();
        let mut snapshots = Vec::new();
        for (name, bytes) in files {
            if let Some(first_zxid) = parse_segment_file_name(name) {
                let records: Vec<Record> = segment_records(bytes)
                    .map(|(record, payload)| Record {
                        offset: record.offset as usize,
                        end: record.offset as usize + record_frame_bytes(payload.len()),
                        zxid: record.zxid,
                    })
                    .collect();
                assert_eq!(records.first().map(|r| r.zxid), Some(first_zxid), "{name}");
                segments.push((
                    first_zxid,
                    Segment {
                        name: name.clone(),
                        bytes: bytes.clone(),
                        records,
                    },
                ));
            } else if let Some(SnapshotName::Snapshot(zxid)) = parse_snapshot_name(name) {
                let reader = SnapshotReader::open(bytes)
                    .unwrap_or_else(|e| panic!("the run's {name} is valid: {e}"));
                assert_eq!(reader.header().zxid, zxid);
                snapshots.push(Snapshot {
                    name: name.clone(),
                    zxid,
                    digest_zxid: reader.footer().digest_zxid,
                    bytes: bytes.clone(),
                });
            }
        }
        segments.sort_by_key(|(first_zxid, _)| *first_zxid);
        snapshots.sort_by_key(|s| s.zxid);
        RunFiles {
            segments: segments.into_iter().map(|(_, s)| s).collect(),
            snapshots,
        }
    }

    /// Every record's zxid, in log order.
    pub fn zxids(&self) -> impl Iterator<Item = i64> + '_ {
        self.segments
            .iter()
            .flat_map(|s| s.records.iter().map(|r| r.zxid))
    }

    /// The last zxid of the segments before `segment` (0: none).
    pub fn last_zxid_before(&self, segment: usize) -> i64 {
        self.segments[..segment]
            .iter()
            .rev()
            .find_map(|s| s.records.last())
            .map_or(0, |r| r.zxid)
    }

    /// Records with a zxid in `(after, through]`.
    pub fn records_between(&self, after: i64, through: i64) -> u64 {
        self.zxids().filter(|&z| z > after && z <= through).count() as u64
    }

    /// The tree's digest after replaying exactly the records up to each
    /// zxid, from an empty tree (0 -> the empty tree's).
    pub fn reference_digests(&self) -> BTreeMap<i64, u64> {
        let config = recovery_config(Path::new("/unused"));
        let options = TreeOptions {
            extended_types_enabled: config.extended_types_enabled,
            ..TreeOptions::default()
        };
        let tree = DataTree::with_options(options);
        let mut zk = ZkServer::restore(zk_config(&config), tree, &[], 0, NOW_MS)
            .expect("an empty state restores");
        let mut digests = BTreeMap::from([(0, zk.digest())]);
        for segment in &self.segments {
            for (record, payload) in segment_records(&segment.bytes) {
                zk.replay(payload, NOW_MS)
                    .unwrap_or_else(|e| panic!("zxid {:#x} replays: {e:?}", record.zxid));
                digests.insert(record.zxid, zk.digest());
            }
        }
        digests
    }
}

/// The bytes after a cut, as a crash leaves them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// The preallocated zeros (the file keeps its length).
    Zeros,
    /// Random bytes (from this seed) up to the file's end.
    Garbage(u64),
}

/// `bytes[..cut]`, then `fill` up to the original length.
pub fn crashed_bytes(bytes: &[u8], cut: usize, fill: Fill) -> Vec<u8> {
    let mut out = bytes[..cut].to_vec();
    match fill {
        Fill::Zeros => out.resize(bytes.len(), 0),
        Fill::Garbage(seed) => {
            let mut state = seed | 1;
            while out.len() < bytes.len() {
                // xorshift64: enough to make bytes no writer would.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let take = (bytes.len() - out.len()).min(8);
                out.extend_from_slice(&state.to_le_bytes()[..take]);
            }
        }
    }
    out
}

/// A directory for crashed copies, on tmpfs when there is one (recovery
/// fdatasyncs each cut), removed on drop.
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn new(label: &str) -> Scratch {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("rk-crashlog-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.path(name), bytes).expect("scratch write");
    }

    pub fn remove(&self, name: &str) {
        match std::fs::remove_file(self.path(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("remove {name}: {e}"),
        }
    }

    /// Every file of the dir, by name.
    pub fn files(&self) -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(&self.dir)
            .expect("scratch lists")
            .map(|e| {
                let e = e.expect("scratch entry");
                let name = e.file_name().into_string().expect("UTF-8 name");
                let bytes = std::fs::read(e.path()).expect("scratch read");
                (name, bytes)
            })
            .collect()
    }

    /// Makes the dir hold exactly `files`.
    pub fn set_files<'a>(&self, files: impl IntoIterator<Item = (&'a str, &'a [u8])>) {
        let _ = std::fs::remove_dir_all(&self.dir);
        std::fs::create_dir_all(&self.dir).expect("scratch dir");
        for (name, bytes) in files {
            self.write(name, bytes);
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The run's zoo.cfg settings, with `dir` as dataDir and dataLogDir.
pub fn recovery_config(dir: &Path) -> ServerConfig {
    let mut text = format!(
        "dataDir={}\nclientPort=2181\nextendedTypesEnabled=true\n",
        dir.display()
    );
    for (key, value) in RUN_CFG {
        text.push_str(&format!("{key}={value}\n"));
    }
    parse_zoo_cfg(&text).expect("the run's zoo.cfg parses").0
}

/// What the server's start-up recovery built.
pub struct Recovered {
    pub zk: ZkServer,
    pub log: RecoveredLog,
    pub summary: RecoverySummary,
}

/// Runs the server's start-up recovery on `dir`.
pub fn recover_dir(dir: &Path) -> Result<Recovered, String> {
    let config = recovery_config(dir);
    let (zk, log, summary) = recover(&config, zk_config(&config), NOW_MS)?;
    Ok(Recovered { zk, log, summary })
}
