//! `zoo.cfg`, read as Apache ZooKeeper 3.8 reads it: Java properties syntax
//! (see `properties.rs`), keys and values trimmed, a later line overriding
//! an earlier one, ZooKeeper's defaults, its corrections and its refusals.
//!
//! ZooKeeper has two kinds of setting in `zoo.cfg`: keys `QuorumPeerConfig`
//! reads itself (bad values stop the server), and everything else, which
//! it sets as the Java system property `zookeeper.<key>` for whichever class
//! reads that property (bad values there fall back to the default without
//! a word). ringkeeper keeps the split: the first kind gives a
//! [`ConfigError`], the second a [`ConfigWarning`] and the default. Because
//! of that prefixing, `zookeeper.snapCount=10` in `zoo.cfg` does nothing in
//! ZooKeeper; ringkeeper warns that the key is unknown and says which was
//! meant.
//!
//! | key | field | default | kind, notes |
//! |---|---|---|---|
//! | `tickTime` | `tick_time_ms` | 3000 | config; must be > 0 |
//! | `dataDir` | `data_dir` | required | config |
//! | `dataLogDir` | `data_log_dir` | `dataDir` | config |
//! | `clientPort` | `client_port` | from `server.N` | config; required unless a `server.N` line gives a client port |
//! | `clientPortAddress` | `client_port_address` | all addresses | config; an IP address, needs `clientPort` |
//! | `maxClientCnxns` | `max_client_cnxns` | 60 | config; per client IP, 0 = unlimited (negative: 0, warned) |
//! | `minSessionTimeout` | `min_session_timeout_ms` | 2 x tickTime | config; -1 = default |
//! | `maxSessionTimeout` | `max_session_timeout_ms` | 20 x tickTime | config; -1 = default; min <= max |
//! | `initLimit` | `init_limit_ticks` | 0 (unset) | config; required when distributed |
//! | `syncLimit` | `sync_limit_ticks` | 0 (unset) | config; required when distributed |
//! | `electionAlg` | (checked only) | 3 | config; only 3 exists |
//! | `standaloneEnabled` | `standalone_enabled` | true | config; `true`/`false` |
//! | `autopurge.snapRetainCount` | `autopurge_snap_retain_count` | 3 | config; below 3: 3, warned |
//! | `autopurge.purgeInterval` | `autopurge_purge_interval_hours` | 0 (off) | config; negative: 0, warned |
//! | `server.N` | `servers` | none | config; `host:quorumPort:electionPort[:participant\|observer][;[clientHost:]clientPort]` |
//! | `4lw.commands.whitelist` | `four_letter_word_whitelist` | `srvr` | property; comma list, `*` = all, `srvr` always on |
//! | `jute.maxbuffer` | `jute_max_buffer_bytes` | 0xfffff | **ignored by ZooKeeper in zoo.cfg** (it reads `-Djute.maxbuffer`); honoured here, warned |
//! | `extendedTypesEnabled` | `extended_types_enabled` | false | property; enables TTL nodes |
//! | `globalOutstandingLimit` | `global_outstanding_limit` | 1000 | property |
//! | `forceSync` | `force_sync` | yes | property; only exactly `no` turns fsync off |
//! | `fsync.warningthresholdms` | `fsync_warning_threshold_ms` | 1000 | property |
//! | `preAllocSize` | `pre_alloc_size_kb` | 65536 | property; decimal KiB, 0 = no preallocation |
//! | `snapCount` | `snap_count` | 100000 | property; below 2: 2, warned |
//! | `DigestAuthenticationProvider.superDigest` | `super_digest` | none | property; `user:base64(sha1)` |
//! | `znode.container.checkIntervalMs` | `container_check_interval_ms` | 60000 | **Java system property only** (`-D`, not zoo.cfg); honoured in zoo.cfg too, warned; must be > 0 (ZooKeeper's timer refuses 0) |
//! | `znode.container.maxPerMinute` | `container_max_per_minute` | 10000 | Java system property only, as above; below 1: the default, warned |
//! | `znode.container.maxNeverUsedIntervalMs` | `container_max_never_used_interval_ms` | 0 (keep) | Java system property only, as above |
//! | `ringkeeper.txnLog.ioEngine` | `txn_log_io_engine` | `auto` | **ringkeeper only**; `auto` (io_uring if the kernel allows, else `sync`, warned), `io_uring` (refuse to start without it), `sync`; else an error |
//! | `ringkeeper.txnLog.directIO` | `txn_log_direct_io` | `no` | ringkeeper only; `yes`/`no`, else an error; `yes` on a dataLogDir that refuses O_DIRECT stops the server |
//! | `ringkeeper.groupCommit.batchMaxBytes` | `group_commit_batch_max_bytes` | `BATCH_BYTES_MAX_DEFAULT` (1 MiB) | ringkeeper only; decimal bytes, 1 ..= `BATCH_BYTES_MAX_LIMIT` (64 MiB), else an error |
//! | `ringkeeper.groupCommit.waitMaxUs` | `group_commit_wait_max_us` | `BATCH_WAIT_MAX_US_DEFAULT` (0) | ringkeeper only; decimal µs a batch may wait for more records, 0 ..= `BATCH_WAIT_MAX_US_LIMIT` (1 s), else an error |
//! | `ringkeeper.snapshot.writebackChunkBytes` | `snapshot_writeback_chunk_bytes` | `WRITEBACK_CHUNK_BYTES_DEFAULT` (4 MiB) | ringkeeper only; decimal bytes of a snapshot written between write-back steps: 0 (off) or `WRITEBACK_CHUNK_BYTES_MIN` (64 KiB) ..= `SNAPSHOT_WRITEBACK_CHUNK_BYTES_LIMIT` (1 GiB), else an error |
//!
//! The `ringkeeper.*` keys are ringkeeper's own (`log_keys.rs`): ZooKeeper
//! would warn about them and go on; ringkeeper refuses a bad value.
//!
//! "property" numbers other than `preAllocSize` are read like Java's
//! `Integer.decode` (so `0x10` is 16 and `010` is 8); unreadable or
//! negative ones keep the default, warned.
//! ZooKeeper keys ringkeeper does not implement are warned and ignored,
//! except those whose silent absence would change who joins the ensemble or
//! weaken its protection (`dynamicConfigFile`, `group.*`/`weight.*`,
//! several addresses per server, and `sslQuorum` or `quorum.auth.*Sasl` set
//! to true): those are errors.
//!
//! Checks that need the server's own id (the `myid` file) are left to the
//! server: that its `server.N` entry's client address agrees with
//! `clientPort`/`clientPortAddress`, and that the id is at most 254 when
//! `extendedTypesEnabled` is on.

mod ensemble;
mod error;
mod four_letter_words;
mod log_keys;
mod properties;
mod settings;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_ensemble;
#[cfg(test)]
mod tests_log_keys;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

pub use ensemble::{LearnerType, ServerEntry};
pub use error::{ConfigError, ConfigWarning, ConfigWarningKind};
pub use four_letter_words::{FourLetterWordWhitelist, ALWAYS_ENABLED_WORD, FOUR_LETTER_WORDS};
pub use log_keys::{
    TxnLogIoEngine, GROUP_COMMIT_BATCH_MAX_BYTES_KEY, GROUP_COMMIT_WAIT_MAX_US_KEY,
    SNAPSHOT_WRITEBACK_CHUNK_BYTES_KEY, SNAPSHOT_WRITEBACK_CHUNK_BYTES_LIMIT,
    TXN_LOG_DIRECT_IO_KEY, TXN_LOG_IO_ENGINE_KEY,
};

/// ZooKeeper's `tickTime` when `zoo.cfg` has none.
pub const DEFAULT_TICK_TIME_MS: u32 = 3000;
/// Connections one client IP may hold.
pub const DEFAULT_MAX_CLIENT_CNXNS: u32 = 60;
/// `minSessionTimeout` is this many ticks unless set.
pub const MIN_SESSION_TIMEOUT_TICKS: u32 = 2;
/// `maxSessionTimeout` is this many ticks unless set.
pub const MAX_SESSION_TIMEOUT_TICKS: u32 = 20;
/// The default and the least `autopurge.snapRetainCount`.
pub const MIN_SNAP_RETAIN_COUNT: u32 = 3;
/// jute's default largest packet, 1 MiB less one byte.
pub const DEFAULT_JUTE_MAX_BUFFER_BYTES: u32 = 0xfffff;
pub const DEFAULT_GLOBAL_OUTSTANDING_LIMIT: u32 = 1000;
pub const DEFAULT_PRE_ALLOC_SIZE_KB: u64 = 65536;
pub const DEFAULT_SNAP_COUNT: u32 = 100_000;
/// ZooKeeper raises a smaller `snapCount` to this.
pub const MIN_SNAP_COUNT: u32 = 2;
pub const DEFAULT_FSYNC_WARNING_THRESHOLD_MS: u64 = 1000;
/// How often ZooKeeper's container manager looks for empty containers and
/// expired TTL nodes unless `-Dznode.container.checkIntervalMs` says otherwise.
pub const DEFAULT_CONTAINER_CHECK_INTERVAL_MS: u64 = 60_000;
/// Containers and TTL nodes deleted per minute at most, by default.
pub const DEFAULT_CONTAINER_MAX_PER_MINUTE: u32 = 10_000;
/// Java system properties (not `zookeeper.`-prefixed) that ZooKeeper reads
/// and ringkeeper takes from `SERVER_JVMFLAGS` under their own names.
pub const SYSTEM_PROPERTY_KEYS: [&str; 4] = [
    "jute.maxbuffer",
    "znode.container.checkIntervalMs",
    "znode.container.maxPerMinute",
    "znode.container.maxNeverUsedIntervalMs",
];

/// One key as read from the file: its (trimmed) value and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSetting {
    pub value: String,
    pub line: usize,
}

/// A checked `zoo.cfg`. See the module documentation for each key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub tick_time_ms: u32,
    pub data_dir: PathBuf,
    pub data_log_dir: PathBuf,
    /// `clientPort`. `None` only when `server.N` lines give client ports:
    /// see [`ServerConfig::client_port_for`].
    pub client_port: Option<u16>,
    /// `clientPortAddress`; `None` listens on every address.
    pub client_port_address: Option<IpAddr>,
    /// Connections allowed per client IP; 0 = unlimited.
    pub max_client_cnxns: u32,
    pub min_session_timeout_ms: u32,
    pub max_session_timeout_ms: u32,
    /// Ticks a follower may take to connect and sync to the leader; 0 = unset.
    pub init_limit_ticks: u32,
    /// Ticks a follower may lag behind the leader; 0 = unset.
    pub sync_limit_ticks: u32,
    pub standalone_enabled: bool,
    pub autopurge_snap_retain_count: u32,
    /// 0 = automatic purging off.
    pub autopurge_purge_interval_hours: u32,
    /// The ensemble, ordered by server id.
    pub servers: Vec<ServerEntry>,
    pub four_letter_word_whitelist: FourLetterWordWhitelist,
    pub jute_max_buffer_bytes: u32,
    /// TTL nodes (and ZooKeeper's other extended ephemeral types).
    pub extended_types_enabled: bool,
    pub global_outstanding_limit: u32,
    /// Whether the transaction log is fsynced before a write is acknowledged.
    pub force_sync: bool,
    pub fsync_warning_threshold_ms: u64,
    /// Transaction log files grow by this many KiB at a time; 0 = no padding.
    pub pre_alloc_size_kb: u64,
    /// Transactions between snapshots (ZooKeeper randomises around half of it).
    pub snap_count: u32,
    /// `user:base64(sha1(user:password))` of the super user.
    pub super_digest: Option<String>,
    /// How often empty containers and expired TTL nodes are looked for.
    pub container_check_interval_ms: u64,
    /// Containers and TTL nodes deleted per minute at most.
    pub container_max_per_minute: u32,
    /// A container that never had a child is deleted after this long; 0 = never.
    pub container_max_never_used_interval_ms: u64,
    /// How the txn log writes and syncs a batch.
    pub txn_log_io_engine: TxnLogIoEngine,
    /// O_DIRECT for the txn log's segments.
    pub txn_log_direct_io: bool,
    /// Most record bytes in one group-commit batch.
    pub group_commit_batch_max_bytes: usize,
    /// How long a batch may wait for more records, in µs (0: write at once).
    pub group_commit_wait_max_us: u64,
    /// Bytes of a background snapshot written between two write-back
    /// steps (0: no pacing).
    pub snapshot_writeback_chunk_bytes: u64,
    /// Every key read, with its effective (last) value and line.
    pub raw: BTreeMap<String, RawSetting>,
}

impl ServerConfig {
    /// ZooKeeper's `isDistributed`: run as an ensemble member rather than
    /// standalone. True with two or more participants, or with one when
    /// `standaloneEnabled=false`.
    pub fn is_distributed(&self) -> bool {
        let participants = self
            .servers
            .iter()
            .filter(|s| s.learner_type == LearnerType::Participant)
            .count();
        participants > 1 || (!self.standalone_enabled && participants > 0)
    }

    /// The `server.N` entry with this id.
    pub fn server(&self, id: u64) -> Option<&ServerEntry> {
        self.servers.iter().find(|s| s.id == id)
    }

    /// The client port server `server_id` (its `myid`) listens on: its
    /// `server.N` entry's client port if it gives one, as in ZooKeeper,
    /// else `clientPort`.
    pub fn client_port_for(&self, server_id: u64) -> Option<u16> {
        self.server(server_id)
            .and_then(|s| s.client_port)
            .or(self.client_port)
    }
}

/// Reads `zoo.cfg` text; errors and warnings call the file `zoo.cfg`.
pub fn parse_zoo_cfg(text: &str) -> Result<(ServerConfig, Vec<ConfigWarning>), ConfigError> {
    parse_named(text, "zoo.cfg")
}

/// Reads the `zoo.cfg` at `path`; errors and warnings name that path.
///
/// Java reads the file as ISO-8859-1. Here valid UTF-8 is read as UTF-8
/// (a leading byte order mark is dropped) and anything else as ISO-8859-1,
/// so every file ZooKeeper can read can be read.
pub fn load_zoo_cfg(path: &Path) -> Result<(ServerConfig, Vec<ConfigWarning>), ConfigError> {
    let text = read_zoo_cfg_text(path)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    parse_named(text, &path.display().to_string())
}

/// The file's text: UTF-8 when valid, else ISO-8859-1 as Java reads it.
fn read_zoo_cfg_text(path: &Path) -> Result<String, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(not_utf8) => not_utf8
            .into_bytes()
            .iter()
            .map(|&b| char::from(b))
            .collect(),
    })
}

/// Reads the `zoo.cfg` at `path`, then the Java system properties that
/// ZooKeeper's start scripts pass in `SERVER_JVMFLAGS` (`-Dkey=value`):
/// `zookeeper.K` is read as zoo.cfg key `K` and the [`SYSTEM_PROPERTY_KEYS`]
/// (`jute.maxbuffer`, `znode.container.*`) as themselves, later than the
/// file, so they win as they do in ZooKeeper. Lines past the file's end in
/// messages are those properties, in order.
pub fn load_zoo_cfg_with_jvm_flags(
    path: &Path,
    server_jvmflags: &str,
) -> Result<(ServerConfig, Vec<ConfigWarning>), ConfigError> {
    let properties = jvm_flag_properties(server_jvmflags);
    if properties.is_empty() {
        return load_zoo_cfg(path);
    }
    let mut text = read_zoo_cfg_text(path)?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let file_lines = text.matches('\n').count();
    for (key, value) in properties {
        text.push_str(&format!("{key}={value}\n"));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let file = format!("{} + SERVER_JVMFLAGS", path.display());
    parse_lines(text, &file, file_lines)
}

/// The `-Dkey=value` flags of a JVM command line that are ZooKeeper
/// settings, as zoo.cfg keys.
pub fn jvm_flag_properties(flags: &str) -> Vec<(String, String)> {
    flags
        .split_whitespace()
        .filter_map(|flag| flag.strip_prefix("-D"))
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(key, value)| {
            let key = match key.strip_prefix("zookeeper.") {
                Some(k) => k,
                None if SYSTEM_PROPERTY_KEYS.contains(&key) => key,
                None => return None,
            };
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

/// One effective `key=value`, borrowed from [`ServerConfig::raw`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Setting<'a> {
    pub key: &'a str,
    pub value: &'a str,
    pub line: usize,
}

/// The settings read so far; `settings.rs` fills it, `finish` checks it.
#[derive(Debug)]
pub(crate) struct Draft<'a> {
    pub tick_time_ms: Option<u32>,
    pub data_dir: Option<PathBuf>,
    pub data_log_dir: Option<PathBuf>,
    pub client_port: Option<u16>,
    pub client_port_address: Option<(IpAddr, Setting<'a>)>,
    pub max_client_cnxns: u32,
    /// `None` when unset or -1.
    pub min_session_timeout_ms: Option<(u32, Setting<'a>)>,
    pub max_session_timeout_ms: Option<(u32, Setting<'a>)>,
    pub init_limit: Option<(u32, Setting<'a>)>,
    pub sync_limit: Option<(u32, Setting<'a>)>,
    pub standalone_enabled: Option<(bool, Setting<'a>)>,
    pub autopurge_snap_retain_count: u32,
    pub autopurge_purge_interval_hours: u32,
    pub servers: Vec<(ServerEntry, Setting<'a>)>,
    pub four_letter_word_whitelist: FourLetterWordWhitelist,
    pub jute_max_buffer_bytes: u32,
    pub extended_types_enabled: bool,
    pub global_outstanding_limit: u32,
    pub force_sync: bool,
    pub fsync_warning_threshold_ms: u64,
    pub pre_alloc_size_kb: u64,
    pub snap_count: u32,
    pub super_digest: Option<String>,
    pub container_check_interval_ms: u64,
    pub container_max_per_minute: u32,
    pub container_max_never_used_interval_ms: u64,
    pub txn_log_io_engine: TxnLogIoEngine,
    pub txn_log_direct_io: bool,
    pub group_commit_batch_max_bytes: usize,
    pub group_commit_wait_max_us: u64,
    pub snapshot_writeback_chunk_bytes: u64,
}

impl Default for Draft<'_> {
    fn default() -> Self {
        Draft {
            tick_time_ms: None,
            data_dir: None,
            data_log_dir: None,
            client_port: None,
            client_port_address: None,
            max_client_cnxns: DEFAULT_MAX_CLIENT_CNXNS,
            min_session_timeout_ms: None,
            max_session_timeout_ms: None,
            init_limit: None,
            sync_limit: None,
            standalone_enabled: None,
            autopurge_snap_retain_count: MIN_SNAP_RETAIN_COUNT,
            autopurge_purge_interval_hours: 0,
            servers: Vec::new(),
            four_letter_word_whitelist: FourLetterWordWhitelist::default(),
            jute_max_buffer_bytes: DEFAULT_JUTE_MAX_BUFFER_BYTES,
            extended_types_enabled: false,
            global_outstanding_limit: DEFAULT_GLOBAL_OUTSTANDING_LIMIT,
            force_sync: true,
            fsync_warning_threshold_ms: DEFAULT_FSYNC_WARNING_THRESHOLD_MS,
            pre_alloc_size_kb: DEFAULT_PRE_ALLOC_SIZE_KB,
            snap_count: DEFAULT_SNAP_COUNT,
            super_digest: None,
            container_check_interval_ms: DEFAULT_CONTAINER_CHECK_INTERVAL_MS,
            container_max_per_minute: DEFAULT_CONTAINER_MAX_PER_MINUTE,
            container_max_never_used_interval_ms: 0,
            txn_log_io_engine: TxnLogIoEngine::default(),
            txn_log_direct_io: false,
            group_commit_batch_max_bytes: ringkeeper_txnlog::BATCH_BYTES_MAX_DEFAULT,
            group_commit_wait_max_us: ringkeeper_txnlog::BATCH_WAIT_MAX_US_DEFAULT,
            snapshot_writeback_chunk_bytes: ringkeeper_snapshot::WRITEBACK_CHUNK_BYTES_DEFAULT,
        }
    }
}

/// Builds errors and collects warnings for one file.
#[derive(Debug)]
pub(crate) struct Parser {
    file: String,
    /// Lines that came from the file itself; later ones are `SERVER_JVMFLAGS`.
    file_lines: usize,
    warnings: Vec<ConfigWarning>,
}

impl Parser {
    pub(crate) fn warn(&mut self, line: usize, key: &str, kind: ConfigWarningKind) {
        self.warnings.push(ConfigWarning {
            file: self.file.clone(),
            line,
            key: key.to_owned(),
            kind,
        });
    }

    pub(crate) fn advise(&mut self, setting: Setting<'_>, message: impl Into<String>) {
        let message = message.into();
        self.warn(
            setting.line,
            setting.key,
            ConfigWarningKind::Advice { message },
        );
    }

    pub(crate) fn bad_value(&self, setting: Setting<'_>, reason: impl Into<String>) -> ConfigError {
        ConfigError::BadValue {
            file: self.file.clone(),
            line: setting.line,
            key: setting.key.to_owned(),
            value: setting.value.to_owned(),
            reason: reason.into(),
        }
    }

    /// Whether a setting was written in the file rather than passed as a
    /// Java system property in `SERVER_JVMFLAGS`.
    pub(crate) fn is_in_file(&self, setting: Setting<'_>) -> bool {
        setting.line <= self.file_lines
    }

    pub(crate) fn missing(&self, key: &'static str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Missing {
            file: self.file.clone(),
            key,
            reason: reason.into(),
        }
    }
}

fn parse_named(text: &str, file: &str) -> Result<(ServerConfig, Vec<ConfigWarning>), ConfigError> {
    parse_lines(text, file, usize::MAX)
}

/// Parses `text`, of which the first `file_lines` lines are the file's own.
fn parse_lines(
    text: &str,
    file: &str,
    file_lines: usize,
) -> Result<(ServerConfig, Vec<ConfigWarning>), ConfigError> {
    let properties = properties::read_properties(text).map_err(|e| ConfigError::Syntax {
        file: file.to_owned(),
        line: e.line,
        message: e.message,
    })?;
    let mut parser = Parser {
        file: file.to_owned(),
        file_lines,
        warnings: Vec::new(),
    };
    let mut raw: BTreeMap<String, RawSetting> = BTreeMap::new();
    for property in properties {
        let setting = RawSetting {
            value: property.value,
            line: property.line,
        };
        if let Some(earlier) = raw.insert(property.key.clone(), setting) {
            let by_line = property.line;
            parser.warn(
                earlier.line,
                &property.key,
                ConfigWarningKind::Overridden { by_line },
            );
        }
    }
    let mut in_file_order: Vec<Setting<'_>> = raw
        .iter()
        .map(|(key, setting)| Setting {
            key,
            value: &setting.value,
            line: setting.line,
        })
        .collect();
    in_file_order.sort_by_key(|s| s.line);

    let mut draft = Draft::default();
    for setting in in_file_order {
        parser.apply(&mut draft, setting)?;
    }
    let config = parser.finish(draft)?;
    let config = ServerConfig { raw, ..config };
    let mut warnings = parser.warnings;
    warnings.sort_by_key(|w| w.line);
    Ok((config, warnings))
}

impl Parser {
    /// Defaults, then the checks that involve several keys.
    fn finish(&mut self, draft: Draft<'_>) -> Result<ServerConfig, ConfigError> {
        let tick_time_ms = draft.tick_time_ms.unwrap_or(DEFAULT_TICK_TIME_MS);
        let data_dir = draft.data_dir.ok_or_else(|| self.missing("dataDir", ""))?;
        let data_log_dir = draft.data_log_dir.unwrap_or_else(|| data_dir.clone());
        if let (Some((_, setting)), None) = (draft.client_port_address, draft.client_port) {
            return Err(self.bad_value(setting, "is set but clientPort is not"));
        }
        let (min_session_timeout_ms, max_session_timeout_ms) = self.session_timeouts(
            tick_time_ms,
            draft.min_session_timeout_ms,
            draft.max_session_timeout_ms,
        )?;
        let standalone_enabled = draft.standalone_enabled.is_none_or(|(b, _)| b);
        let mut servers = draft.servers;
        servers.sort_by_key(|(s, _)| (s.id, s.line));
        self.check_ensemble(
            &servers,
            draft.standalone_enabled,
            draft.init_limit,
            draft.sync_limit,
        )?;
        if draft.client_port.is_none() {
            if servers.iter().all(|(s, _)| s.client_port.is_none()) {
                let reason = " and no server.N line gives a client port";
                return Err(self.missing("clientPort", reason));
            }
            for (_, setting) in servers.iter().filter(|(s, _)| s.client_port.is_none()) {
                let message = "gives no client port and clientPort is not set: this server \
                               will not serve clients";
                self.advise(*setting, message);
            }
        }
        let servers = servers.into_iter().map(|(entry, _)| entry).collect();
        Ok(ServerConfig {
            tick_time_ms,
            data_dir,
            data_log_dir,
            client_port: draft.client_port,
            client_port_address: draft.client_port_address.map(|(ip, _)| ip),
            max_client_cnxns: draft.max_client_cnxns,
            min_session_timeout_ms,
            max_session_timeout_ms,
            init_limit_ticks: draft.init_limit.map_or(0, |(n, _)| n),
            sync_limit_ticks: draft.sync_limit.map_or(0, |(n, _)| n),
            standalone_enabled,
            autopurge_snap_retain_count: draft.autopurge_snap_retain_count,
            autopurge_purge_interval_hours: draft.autopurge_purge_interval_hours,
            servers,
            four_letter_word_whitelist: draft.four_letter_word_whitelist,
            jute_max_buffer_bytes: draft.jute_max_buffer_bytes,
            extended_types_enabled: draft.extended_types_enabled,
            global_outstanding_limit: draft.global_outstanding_limit,
            force_sync: draft.force_sync,
            fsync_warning_threshold_ms: draft.fsync_warning_threshold_ms,
            pre_alloc_size_kb: draft.pre_alloc_size_kb,
            snap_count: draft.snap_count,
            super_digest: draft.super_digest,
            container_check_interval_ms: draft.container_check_interval_ms,
            container_max_per_minute: draft.container_max_per_minute,
            container_max_never_used_interval_ms: draft.container_max_never_used_interval_ms,
            txn_log_io_engine: draft.txn_log_io_engine,
            txn_log_direct_io: draft.txn_log_direct_io,
            group_commit_batch_max_bytes: draft.group_commit_batch_max_bytes,
            group_commit_wait_max_us: draft.group_commit_wait_max_us,
            snapshot_writeback_chunk_bytes: draft.snapshot_writeback_chunk_bytes,
            raw: BTreeMap::new(),
        })
    }

    /// Unset bounds derive from `tickTime`; then min must not exceed max.
    fn session_timeouts(
        &self,
        tick_time_ms: u32,
        min: Option<(u32, Setting<'_>)>,
        max: Option<(u32, Setting<'_>)>,
    ) -> Result<(u32, u32), ConfigError> {
        let derived_min = tick_time_ms.saturating_mul(MIN_SESSION_TIMEOUT_TICKS);
        let derived_max = tick_time_ms.saturating_mul(MAX_SESSION_TIMEOUT_TICKS);
        let min_ms = min.map_or(derived_min, |(ms, _)| ms);
        let max_ms = max.map_or(derived_max, |(ms, _)| ms);
        if min_ms <= max_ms {
            return Ok((min_ms, max_ms));
        }
        Err(match (min, max) {
            (Some((_, setting)), Some(_)) => self.bad_value(
                setting,
                format!("is larger than maxSessionTimeout ({max_ms} ms)"),
            ),
            (Some((_, setting)), None) => self.bad_value(
                setting,
                format!(
                    "is larger than maxSessionTimeout ({max_ms} ms = \
                     {MAX_SESSION_TIMEOUT_TICKS} x tickTime)"
                ),
            ),
            (None, Some((_, setting))) => self.bad_value(
                setting,
                format!(
                    "is smaller than minSessionTimeout ({min_ms} ms = \
                     {MIN_SESSION_TIMEOUT_TICKS} x tickTime)"
                ),
            ),
            (None, None) => unreachable!("derived bounds are ordered"),
        })
    }
}
