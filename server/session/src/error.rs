//! Errors of the session tracker.

use std::fmt;

use ringkeeper_jute::ErrorCode;

/// Why a session could not be created, or the tracker not configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionError {
    /// The server already tracks `sessions_max` sessions.
    SessionLimitReached { sessions_max: usize },
    /// A [`crate::SessionConfig`] that cannot work, and why.
    InvalidConfig { reason: String },
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::SessionLimitReached { sessions_max } => {
                write!(f, "session limit reached: the server tracks {sessions_max} sessions (sessions_max)")
            }
            SessionError::InvalidConfig { reason } => write!(f, "invalid session config: {reason}"),
        }
    }
}

impl std::error::Error for SessionError {}

/// Why a request may not run on a session (ZooKeeper's `checkSession`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCheckError {
    /// No such session.
    Unknown,
    /// The session is closing or expired.
    Expired,
    /// Another connection owns the session now.
    Moved,
}

impl SessionCheckError {
    /// The code the client gets.
    pub fn error_code(self) -> ErrorCode {
        match self {
            SessionCheckError::Unknown => ErrorCode::UnknownSession,
            SessionCheckError::Expired => ErrorCode::SessionExpired,
            SessionCheckError::Moved => ErrorCode::SessionMoved,
        }
    }
}

impl fmt::Display for SessionCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.error_code().zk_name())
    }
}

impl std::error::Error for SessionCheckError {}
