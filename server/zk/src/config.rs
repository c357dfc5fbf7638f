//! What the state machine is told at start (from zoo.cfg and system
//! properties), with ZooKeeper's defaults and our named limits.

/// Default watches across all connections before addWatch/getData(watch)
/// answers with an error (ZooKeeper has none; we need a bound).
pub const WATCHES_MAX_DEFAULT: usize = 10_000_000;
/// Default sessions held at once; a connect beyond it is dropped.
pub const SESSIONS_MAX_DEFAULT: usize = 100_000;
/// ZooKeeper's `znode.container.checkIntervalMs` default.
pub const CONTAINER_CHECK_INTERVAL_MS_DEFAULT: u64 = 60_000;
/// ZooKeeper's `znode.container.maxPerMinute` default.
pub const CONTAINER_DELETES_PER_MINUTE_DEFAULT: u32 = 10_000;
/// Ops one multi may carry; more answer BadArguments for every op.
pub const MULTI_OPS_MAX: usize = 10_000;

/// A [`ZkConfig`] the state machine cannot run with, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkConfigError {
    pub reason: String,
}

impl std::fmt::Display for ZkConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid server configuration: {}", self.reason)
    }
}

impl std::error::Error for ZkConfigError {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkConfig {
    pub tick_time_ms: u32,
    /// 0 means ZooKeeper's default, 2 ticks.
    pub min_session_timeout_ms: u32,
    /// 0 means ZooKeeper's default, 20 ticks.
    pub max_session_timeout_ms: u32,
    /// myid (standalone ZooKeeper uses 1): the top byte of session ids,
    /// so at most `ringkeeper_session::SERVER_ID_MAX` (254).
    pub server_id: u64,
    /// `zookeeper.extendedTypesEnabled`: TTL nodes allowed.
    pub extended_types_enabled: bool,
    /// `zookeeper.DigestAuthenticationProvider.superDigest`: "super:<base64 sha1>".
    pub super_digest: Option<String>,
    pub watches_max: usize,
    pub sessions_max: usize,
    pub container_check_interval_ms: u64,
    /// `znode.container.maxPerMinute`: containers and TTL nodes deleted per
    /// minute at most (each check deletes at most interval/60s * this).
    pub container_deletes_per_minute: u32,
    /// `znode.container.maxNeverUsedIntervalMs`: 0 keeps never-used
    /// containers forever (ZooKeeper's default).
    pub container_max_never_used_interval_ms: u64,
    /// Keys session passwords; fixed per server so they can be recomputed.
    pub session_secret: u64,
}

impl Default for ZkConfig {
    fn default() -> Self {
        ZkConfig {
            tick_time_ms: 2_000,
            min_session_timeout_ms: 0,
            max_session_timeout_ms: 0,
            server_id: 0,
            extended_types_enabled: false,
            super_digest: None,
            watches_max: WATCHES_MAX_DEFAULT,
            sessions_max: SESSIONS_MAX_DEFAULT,
            container_check_interval_ms: CONTAINER_CHECK_INTERVAL_MS_DEFAULT,
            container_deletes_per_minute: CONTAINER_DELETES_PER_MINUTE_DEFAULT,
            container_max_never_used_interval_ms: 0,
            session_secret: 0x5a5a_1234_9876_abcd,
        }
    }
}

impl ZkConfig {
    /// minSessionTimeout in force: configured, else 2 ticks.
    pub fn min_session_timeout_ms(&self) -> u32 {
        match self.min_session_timeout_ms {
            0 => self.tick_time_ms.saturating_mul(2),
            ms => ms,
        }
    }

    /// maxSessionTimeout in force: configured, else 20 ticks.
    pub fn max_session_timeout_ms(&self) -> u32 {
        match self.max_session_timeout_ms {
            0 => self.tick_time_ms.saturating_mul(20),
            ms => ms,
        }
    }

    /// Containers and TTL nodes one check may delete.
    pub fn container_deletes_per_check_max(&self) -> usize {
        let per_check = u64::from(self.container_deletes_per_minute)
            .saturating_mul(self.container_check_interval_ms.max(1))
            / 60_000;
        usize::try_from(per_check.max(1)).unwrap_or(usize::MAX)
    }
}
