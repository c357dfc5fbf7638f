//! One `key=value` at a time: which keys exist, how each value is read,
//! and where ZooKeeper refuses, corrects or ignores a value.

use std::net::IpAddr;
use std::path::PathBuf;

use ringkeeper_txnlog::{BATCH_BYTES_MAX_LIMIT, BATCH_WAIT_MAX_US_LIMIT};

use super::four_letter_words::FourLetterWordWhitelist;
use super::log_keys::{
    GROUP_COMMIT_BATCH_MAX_BYTES_KEY, GROUP_COMMIT_WAIT_MAX_US_KEY,
    SNAPSHOT_WRITEBACK_CHUNK_BYTES_KEY, STORAGE_KEYS, TXN_LOG_DIRECT_IO_KEY, TXN_LOG_IO_ENGINE_KEY,
};
use super::{
    ConfigError, ConfigWarningKind, Draft, Parser, Setting, DEFAULT_CONTAINER_CHECK_INTERVAL_MS,
    DEFAULT_CONTAINER_MAX_PER_MINUTE, DEFAULT_FSYNC_WARNING_THRESHOLD_MS,
    DEFAULT_GLOBAL_OUTSTANDING_LIMIT, DEFAULT_JUTE_MAX_BUFFER_BYTES, DEFAULT_PRE_ALLOC_SIZE_KB,
    DEFAULT_SNAP_COUNT, MIN_SNAP_COUNT, MIN_SNAP_RETAIN_COUNT,
};

/// Keys this crate reads (besides `server.N`).
pub(crate) const SUPPORTED_KEYS: &[&str] = &[
    "tickTime",
    "dataDir",
    "dataLogDir",
    "clientPort",
    "clientPortAddress",
    "maxClientCnxns",
    "minSessionTimeout",
    "maxSessionTimeout",
    "initLimit",
    "syncLimit",
    "electionAlg",
    "standaloneEnabled",
    "autopurge.snapRetainCount",
    "autopurge.purgeInterval",
    "4lw.commands.whitelist",
    "jute.maxbuffer",
    "extendedTypesEnabled",
    "globalOutstandingLimit",
    "forceSync",
    "fsync.warningthresholdms",
    "preAllocSize",
    "snapCount",
    "DigestAuthenticationProvider.superDigest",
    "znode.container.checkIntervalMs",
    "znode.container.maxPerMinute",
    "znode.container.maxNeverUsedIntervalMs",
];

/// ZooKeeper 3.8 settings that ringkeeper does not implement: first keys
/// `QuorumPeerConfig` reads, then common `zookeeper.<key>` properties.
pub(crate) const UNSUPPORTED_KEYS: &[&str] = &[
    "localSessionsEnabled",
    "localSessionsUpgradingEnabled",
    "secureClientPort",
    "secureClientPortAddress",
    "observerMasterPort",
    "clientPortListenBacklog",
    "connectToLearnerMasterLimit",
    "quorumListenOnAllIPs",
    "peerType",
    "syncEnabled",
    "reconfigEnabled",
    "portUnification",
    "sslQuorumReloadCertFiles",
    "quorum.auth.learner.saslLoginContext",
    "quorum.auth.server.saslLoginContext",
    "quorum.auth.kerberos.servicePrincipal",
    "quorum.cnxn.threads.size",
    "jvm.pause.info-threshold.ms",
    "jvm.pause.warn-threshold.ms",
    "jvm.pause.sleep.time.ms",
    "jvm.pause.monitor",
    "multiAddress.enabled",
    "multiAddress.reachabilityCheckTimeoutMs",
    "multiAddress.reachabilityCheckEnabled",
    "oraclePath",
    "admin.enableServer",
    "admin.serverAddress",
    "admin.serverPort",
    "admin.idleTimeout",
    "admin.commandURL",
    "skipACL",
    "maxCnxns",
    "snapSizeLimitInKb",
    "txnLogSizeLimitInKb",
    "commitLogCount",
    "serverCnxnFactory",
    "digest.enabled",
    "audit.enable",
    "sessionRequireClientSASLAuth",
    "enforce.auth.enabled",
    "enforce.auth.schemes",
    "maxBatchSize",
    "flushDelay",
    "closeSessionTxn.enabled",
];

/// Prefixes of unsupported ZooKeeper settings.
const UNSUPPORTED_PREFIXES: &[&str] = &["metricsProvider.", "authProvider.", "ssl."];

/// Quorum protection ringkeeper lacks: refused when turned on, since
/// ignoring them would run the ensemble unprotected.
const REFUSED_WHEN_TRUE: &[&str] = &[
    "sslQuorum",
    "quorum.auth.enableSasl",
    "quorum.auth.serverRequireSasl",
    "quorum.auth.learnerRequireSasl",
];

/// Keys ZooKeeper knows (ringkeeper's own `ringkeeper.*` keys are not).
fn is_zookeeper_key(key: &str) -> bool {
    SUPPORTED_KEYS.contains(&key)
        || UNSUPPORTED_KEYS.contains(&key)
        || REFUSED_WHEN_TRUE.contains(&key)
        || UNSUPPORTED_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// How an unrecognised key probably went wrong.
fn unknown_key_hint(key: &str) -> Option<String> {
    if let Some(rest) = key.strip_prefix("zookeeper.") {
        if is_zookeeper_key(rest) {
            return Some(format!(
                "ZooKeeper prefixes zoo.cfg keys with \"zookeeper.\" itself, so this \
                 would be zookeeper.{key}; write {rest}"
            ));
        }
    }
    let all = SUPPORTED_KEYS
        .iter()
        .chain(UNSUPPORTED_KEYS)
        .chain(REFUSED_WHEN_TRUE)
        .chain(&STORAGE_KEYS);
    all.into_iter()
        .find(|known| known.eq_ignore_ascii_case(key))
        .map(|known| format!("keys are case-sensitive: did you mean {known}?"))
}

/// A number as Java's `Integer.parseInt`/`Long.parseLong` read it.
fn parse_decimal(value: &str) -> Option<i64> {
    value.parse::<i64>().ok()
}

/// `yes` or `no`, exactly, as `forceSync` is written.
pub(super) fn parse_yes_no(value: &str) -> Option<bool> {
    match value {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// A number as Java's `Integer.decode`/`Long.decode` read it (what
/// `Integer.getInteger` uses): sign, then `0x`, `0X` or `#` for hex, a
/// leading `0` for octal, else decimal. Also says whether it was octal.
fn parse_java_decode(value: &str) -> Option<(i64, bool)> {
    let (negative, rest) = match value.as_bytes().first() {
        Some(b'-') => (true, &value[1..]),
        Some(b'+') => (false, &value[1..]),
        _ => (false, value),
    };
    let (radix, digits) = if let Some(hex) = rest
        .strip_prefix("0x")
        .or_else(|| rest.strip_prefix("0X"))
        .or_else(|| rest.strip_prefix('#'))
    {
        (16, hex)
    } else if rest.len() > 1 && rest.starts_with('0') {
        (8, &rest[1..])
    } else {
        (10, rest)
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let magnitude = i64::from_str_radix(digits, radix).ok()?;
    Some((if negative { -magnitude } else { magnitude }, radix == 8))
}

impl Parser {
    /// Reads one effective setting into `draft`.
    pub(crate) fn apply<'a>(
        &mut self,
        draft: &mut Draft<'a>,
        s: Setting<'a>,
    ) -> Result<(), ConfigError> {
        match s.key {
            "tickTime" => {
                let ms = self.int(s)?;
                if ms <= 0 {
                    return Err(self.bad_value(s, "must be greater than 0"));
                }
                draft.tick_time_ms = Some(ms as u32);
            }
            "dataDir" => draft.data_dir = Some(self.path(s)?),
            "dataLogDir" => draft.data_log_dir = Some(self.path(s)?),
            "clientPort" => draft.client_port = Some(self.port(s)?),
            "clientPortAddress" => draft.client_port_address = Some((self.ip(s)?, s)),
            "maxClientCnxns" => {
                draft.max_client_cnxns = self.at_least_zero(s, "ZooKeeper then limits nothing")?;
            }
            "minSessionTimeout" => draft.min_session_timeout_ms = self.session_timeout(s)?,
            "maxSessionTimeout" => draft.max_session_timeout_ms = self.session_timeout(s)?,
            "initLimit" => draft.init_limit = Some((self.non_negative(s)?, s)),
            "syncLimit" => draft.sync_limit = Some((self.non_negative(s)?, s)),
            "electionAlg" => {
                if self.int(s)? != 3 {
                    return Err(
                        self.bad_value(s, "is not supported: only 3 (fast leader election)")
                    );
                }
            }
            "standaloneEnabled" => draft.standalone_enabled = Some((self.strict_bool(s)?, s)),
            "autopurge.snapRetainCount" => {
                let count = self.int(s)?;
                draft.autopurge_snap_retain_count = if count < MIN_SNAP_RETAIN_COUNT as i32 {
                    let reason = format!("is below the minimum of {MIN_SNAP_RETAIN_COUNT}");
                    self.replaced(s, MIN_SNAP_RETAIN_COUNT, reason);
                    MIN_SNAP_RETAIN_COUNT
                } else {
                    count as u32
                };
            }
            "autopurge.purgeInterval" => {
                draft.autopurge_purge_interval_hours =
                    self.at_least_zero(s, "ZooKeeper then does not purge")?;
            }
            "4lw.commands.whitelist" => {
                let (whitelist, unknown) = FourLetterWordWhitelist::parse(s.value);
                for word in unknown {
                    self.advise(
                        s,
                        format!("{word:?} is not a four letter word ZooKeeper knows"),
                    );
                }
                draft.four_letter_word_whitelist = whitelist;
            }
            "jute.maxbuffer" => {
                self.system_property_in_file(s);
                let bytes = self.property_number(
                    s,
                    DEFAULT_JUTE_MAX_BUFFER_BYTES.into(),
                    1,
                    i32::MAX.into(),
                );
                draft.jute_max_buffer_bytes = bytes as u32;
            }
            "znode.container.checkIntervalMs" => {
                self.system_property_in_file(s);
                let ms = self.property_number(
                    s,
                    DEFAULT_CONTAINER_CHECK_INTERVAL_MS as i64,
                    i64::from(i32::MIN),
                    i32::MAX.into(),
                );
                if ms <= 0 {
                    return Err(self.bad_value(
                        s,
                        "must be greater than 0 (ZooKeeper's container manager cannot start)",
                    ));
                }
                draft.container_check_interval_ms = ms as u64;
            }
            "znode.container.maxPerMinute" => {
                self.system_property_in_file(s);
                let default = DEFAULT_CONTAINER_MAX_PER_MINUTE.into();
                draft.container_max_per_minute =
                    self.property_number(s, default, 1, i32::MAX.into()) as u32;
            }
            "znode.container.maxNeverUsedIntervalMs" => {
                self.system_property_in_file(s);
                draft.container_max_never_used_interval_ms =
                    self.property_number(s, 0, 0, i64::MAX) as u64;
            }
            "extendedTypesEnabled" => draft.extended_types_enabled = self.property_bool(s),
            "globalOutstandingLimit" => {
                let default = DEFAULT_GLOBAL_OUTSTANDING_LIMIT.into();
                draft.global_outstanding_limit =
                    self.property_number(s, default, 0, i32::MAX.into()) as u32;
            }
            "forceSync" => draft.force_sync = self.force_sync(s),
            "fsync.warningthresholdms" => {
                let default = DEFAULT_FSYNC_WARNING_THRESHOLD_MS as i64;
                draft.fsync_warning_threshold_ms =
                    self.property_number(s, default, 0, i64::MAX) as u64;
            }
            "preAllocSize" => draft.pre_alloc_size_kb = self.pre_alloc_size_kb(s),
            TXN_LOG_IO_ENGINE_KEY => draft.txn_log_io_engine = self.txn_log_io_engine(s)?,
            TXN_LOG_DIRECT_IO_KEY => draft.txn_log_direct_io = self.yes_no(s)?,
            GROUP_COMMIT_BATCH_MAX_BYTES_KEY => {
                let bounds = (1, BATCH_BYTES_MAX_LIMIT as u64, "BATCH_BYTES_MAX_LIMIT");
                draft.group_commit_batch_max_bytes =
                    self.bounded_decimal(s, "bytes", bounds)? as usize;
            }
            GROUP_COMMIT_WAIT_MAX_US_KEY => {
                let bounds = (0, BATCH_WAIT_MAX_US_LIMIT, "BATCH_WAIT_MAX_US_LIMIT");
                draft.group_commit_wait_max_us = self.bounded_decimal(s, "µs", bounds)?;
            }
            SNAPSHOT_WRITEBACK_CHUNK_BYTES_KEY => {
                draft.snapshot_writeback_chunk_bytes = self.snapshot_writeback_chunk_bytes(s)?;
            }
            "snapCount" => draft.snap_count = self.snap_count(s),
            "DigestAuthenticationProvider.superDigest" => {
                if !s.value.is_empty() && !s.value.contains(':') {
                    self.advise(s, "has no ':' so it can never match a digest login");
                }
                draft.super_digest = (!s.value.is_empty()).then(|| s.value.to_owned());
            }
            key if key.starts_with("server.") => draft.servers.push((self.server_entry(s)?, s)),
            key if key.starts_with("group") || key.starts_with("weight") => {
                return Err(self.bad_value(
                    s,
                    "is not supported: ringkeeper has no hierarchical quorums",
                ));
            }
            "dynamicConfigFile" => {
                return Err(self.bad_value(
                    s,
                    "is not supported: list the ensemble as server.N lines in zoo.cfg",
                ));
            }
            key if REFUSED_WHEN_TRUE.contains(&key) => {
                if s.value.eq_ignore_ascii_case("true") {
                    return Err(self.bad_value(
                        s,
                        "is not supported: ringkeeper cannot protect quorum traffic",
                    ));
                }
                self.warn(s.line, key, ConfigWarningKind::Unsupported);
            }
            key if is_zookeeper_key(key) => self.warn(s.line, key, ConfigWarningKind::Unsupported),
            key => {
                let hint = unknown_key_hint(key);
                self.warn(s.line, key, ConfigWarningKind::UnknownKey { hint });
            }
        }
        Ok(())
    }

    /// ZooKeeper reads `jute.maxbuffer` and `znode.container.*` only as Java
    /// system properties (`-D`): in zoo.cfg they would become
    /// `zookeeper.<key>`, which nothing reads. ringkeeper applies them from
    /// either place but says so when they come from the file.
    fn system_property_in_file(&mut self, s: Setting<'_>) {
        if self.is_in_file(s) {
            let message = format!(
                "ZooKeeper 3.8 ignores {key} in zoo.cfg (it reads only -D{key}); \
                 ringkeeper applies it",
                key = s.key
            );
            self.advise(s, message);
        }
    }

    /// A 32-bit integer, as `Integer.parseInt` reads it.
    pub(crate) fn int(&self, s: Setting<'_>) -> Result<i32, ConfigError> {
        let n = parse_decimal(s.value).ok_or_else(|| self.bad_value(s, "is not a whole number"))?;
        i32::try_from(n).map_err(|_| self.bad_value(s, "is outside ZooKeeper's 32-bit range"))
    }

    fn non_negative(&self, s: Setting<'_>) -> Result<u32, ConfigError> {
        u32::try_from(self.int(s)?).map_err(|_| self.bad_value(s, "must not be negative"))
    }

    /// ZooKeeper treats negative values like 0: read them as 0, warned.
    fn at_least_zero(&mut self, s: Setting<'_>, effect: &str) -> Result<u32, ConfigError> {
        let n = self.int(s)?;
        Ok(u32::try_from(n).unwrap_or_else(|_| {
            self.replaced(s, 0, format!("is negative ({effect})"));
            0
        }))
    }

    pub(crate) fn port(&self, s: Setting<'_>) -> Result<u16, ConfigError> {
        let n = self.int(s)?;
        u16::try_from(n).map_err(|_| self.bad_value(s, "is not a port number (0-65535)"))
    }

    fn path(&mut self, s: Setting<'_>) -> Result<PathBuf, ConfigError> {
        if s.value.is_empty() {
            return Err(self.bad_value(s, "is empty"));
        }
        let path = PathBuf::from(s.value);
        if !path.is_absolute() && !s.value.starts_with("./") {
            self.advise(s, "is relative; start it with ./ to show it is meant");
        }
        Ok(path)
    }

    fn ip(&self, s: Setting<'_>) -> Result<IpAddr, ConfigError> {
        let bare = s
            .value
            .strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'))
            .unwrap_or(s.value);
        bare.parse().map_err(|_| {
            self.bad_value(
                s,
                "is not an IP address (ringkeeper does not resolve host names here)",
            )
        })
    }

    /// `-1` (or unset) derives the bound from `tickTime`.
    fn session_timeout<'a>(
        &self,
        s: Setting<'a>,
    ) -> Result<Option<(u32, Setting<'a>)>, ConfigError> {
        match self.int(s)? {
            -1 => Ok(None),
            ms if ms < 0 => {
                Err(self.bad_value(s, "must be -1 (derive it from tickTime) or at least 0"))
            }
            ms => Ok(Some((ms as u32, s))),
        }
    }

    /// `QuorumPeerConfig`'s booleans: `true` or `false`, any case.
    fn strict_bool(&self, s: Setting<'_>) -> Result<bool, ConfigError> {
        match s.value {
            v if v.eq_ignore_ascii_case("true") => Ok(true),
            v if v.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(self.bad_value(s, "is not true or false")),
        }
    }

    /// `Boolean.getBoolean`: `true` in any case is true, anything else false.
    fn property_bool(&mut self, s: Setting<'_>) -> bool {
        if s.value.eq_ignore_ascii_case("true") {
            return true;
        }
        if !s.value.eq_ignore_ascii_case("false") {
            self.replaced(s, false, "is not true or false");
        }
        false
    }

    /// `FileTxnLog`: only exactly `no` turns fsync off.
    fn force_sync(&mut self, s: Setting<'_>) -> bool {
        parse_yes_no(s.value).unwrap_or_else(|| {
            self.replaced(
                s,
                "yes",
                "is not yes or no (ZooKeeper stops fsyncing only for exactly \"no\")",
            );
            true
        })
    }

    /// A `zookeeper.<key>` number read with `Integer.getInteger` or
    /// `Long.getLong`: outside `min..=max` or unreadable, the default.
    fn property_number(&mut self, s: Setting<'_>, default: i64, min: i64, max: i64) -> i64 {
        match parse_java_decode(s.value) {
            Some((n, octal)) if (min..=max).contains(&n) => {
                if octal {
                    self.advise(
                        s,
                        format!("is read as the octal number {n}, as ZooKeeper does"),
                    );
                }
                n
            }
            Some((n, _)) if n < min => {
                let reason = if min == 0 {
                    "is negative".to_owned()
                } else {
                    format!("is below {min}")
                };
                self.replaced(s, default, reason);
                default
            }
            Some(_) => {
                self.replaced(s, default, format!("is above {max}"));
                default
            }
            None => {
                self.replaced(s, default, "is not a number");
                default
            }
        }
    }

    /// `ZooKeeperServer.getSnapCount`: below 2 is raised to 2.
    fn snap_count(&mut self, s: Setting<'_>) -> u32 {
        match parse_java_decode(s.value) {
            Some((n, _)) if n < i64::from(MIN_SNAP_COUNT) => {
                self.replaced(
                    s,
                    MIN_SNAP_COUNT,
                    format!("is below the minimum of {MIN_SNAP_COUNT}"),
                );
                MIN_SNAP_COUNT
            }
            _ => self.property_number(s, DEFAULT_SNAP_COUNT.into(), 0, i32::MAX.into()) as u32,
        }
    }

    /// `FilePadding`: decimal KiB (`Long.parseLong`); unreadable keeps the default.
    fn pre_alloc_size_kb(&mut self, s: Setting<'_>) -> u64 {
        let default = DEFAULT_PRE_ALLOC_SIZE_KB;
        match parse_decimal(s.value) {
            Some(kb) if (0..=i64::MAX / 1024).contains(&kb) => kb as u64,
            Some(kb) if kb < 0 => {
                self.replaced(s, default, "is negative");
                default
            }
            Some(_) => {
                self.replaced(s, default, "is too large");
                default
            }
            None => {
                self.replaced(s, default, "is not a whole number of KiB");
                default
            }
        }
    }

    fn replaced(&mut self, s: Setting<'_>, used: impl ToString, reason: impl Into<String>) {
        let kind = ConfigWarningKind::ValueReplaced {
            value: s.value.to_owned(),
            used: used.to_string(),
            reason: reason.into(),
        };
        self.warn(s.line, s.key, kind);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_decode_reads_hex_octal_and_signs_like_integer_decode() {
        assert_eq!(parse_java_decode("100"), Some((100, false)));
        assert_eq!(parse_java_decode("+7"), Some((7, false)));
        assert_eq!(parse_java_decode("-0x10"), Some((-16, false)));
        assert_eq!(parse_java_decode("#ff"), Some((255, false)));
        assert_eq!(parse_java_decode("0X1F"), Some((31, false)));
        assert_eq!(parse_java_decode("010"), Some((8, true)));
        assert_eq!(parse_java_decode("0"), Some((0, false)));
        assert_eq!(parse_java_decode("08"), None);
        assert_eq!(parse_java_decode("0x-5"), None);
        assert_eq!(parse_java_decode("--5"), None);
        assert_eq!(parse_java_decode(""), None);
        assert_eq!(parse_java_decode("1k"), None);
    }

    #[test]
    fn decimal_reads_like_parse_int() {
        assert_eq!(parse_decimal("+2181"), Some(2181));
        assert_eq!(parse_decimal("-0"), Some(0));
        assert_eq!(parse_decimal("0x10"), None);
        assert_eq!(parse_decimal(" 1"), None);
    }

    #[test]
    fn hints_point_at_the_meant_key() {
        let prefixed = unknown_key_hint("zookeeper.snapCount").unwrap();
        assert!(prefixed.contains("write snapCount"), "{prefixed}");
        let cased = unknown_key_hint("ticktime").unwrap();
        assert!(cased.contains("tickTime"), "{cased}");
        assert_eq!(unknown_key_hint("noSuchThing"), None);
    }
}
