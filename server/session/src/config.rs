//! What the session tracker is told at start.

use crate::SessionError;

/// The largest server id: the id is the top byte of every session id it
/// creates, and 0xff in that byte marks a TTL node's ephemeral owner in
/// ZooKeeper's extended ephemeral types (`EphemeralType.MAX_EXTENDED_SERVER_ID`).
pub const SERVER_ID_MAX: u64 = 0xfe;

/// Default for [`SessionConfig::sessions_max`].
pub const SESSIONS_MAX_DEFAULT: usize = 1_000_000;

/// ZooKeeper's default minSessionTimeout, in ticks.
pub const MIN_SESSION_TIMEOUT_TICKS: u32 = 2;

/// ZooKeeper's default maxSessionTimeout, in ticks.
pub const MAX_SESSION_TIMEOUT_TICKS: u32 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// tickTime: the width of an expiry bucket.
    pub tick_time_ms: u32,
    /// minSessionTimeout, resolved (2 x tickTime when zoo.cfg says -1).
    pub min_session_timeout_ms: u32,
    /// maxSessionTimeout, resolved (20 x tickTime when zoo.cfg says -1).
    pub max_session_timeout_ms: u32,
    /// This server's id (myid), at most [`SERVER_ID_MAX`].
    pub server_id: u64,
    /// The key of session passwords. It must be the same on every server
    /// of an ensemble, as ZooKeeper's `superSecret` is, since a client takes
    /// its session and password to whichever server it reconnects to.
    pub secret: u64,
    /// The most sessions [`crate::SessionTracker::create_session`] admits.
    pub sessions_max: usize,
}

impl SessionConfig {
    /// ZooKeeper's defaults for a tick: timeouts between 2 and 20 ticks.
    pub fn new(tick_time_ms: u32, server_id: u64, secret: u64) -> Self {
        SessionConfig {
            tick_time_ms,
            min_session_timeout_ms: tick_time_ms.saturating_mul(MIN_SESSION_TIMEOUT_TICKS),
            max_session_timeout_ms: tick_time_ms.saturating_mul(MAX_SESSION_TIMEOUT_TICKS),
            server_id,
            secret,
            sessions_max: SESSIONS_MAX_DEFAULT,
        }
    }

    /// Checks what [`crate::SessionTracker::new`] relies on.
    pub fn validate(&self) -> Result<(), SessionError> {
        let invalid = |reason: String| Err(SessionError::InvalidConfig { reason });
        if self.tick_time_ms == 0 {
            return invalid("tick_time_ms must be greater than 0".into());
        }
        if self.min_session_timeout_ms > self.max_session_timeout_ms {
            return invalid(format!(
                "min_session_timeout_ms {} is larger than max_session_timeout_ms {}",
                self.min_session_timeout_ms, self.max_session_timeout_ms
            ));
        }
        if self.server_id > SERVER_ID_MAX {
            return invalid(format!(
                "server id {} is larger than {SERVER_ID_MAX}: it must fit the top byte of a session id",
                self.server_id
            ));
        }
        if self.sessions_max == 0 {
            return invalid("sessions_max must be greater than 0".into());
        }
        Ok(())
    }
}
