//! Why a watch could not be added.

use std::fmt;

/// Why [`crate::WatchManager::add`] refused a watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchError {
    /// The server already holds `watches_max` watches (counted as
    /// [`crate::WatchManager::watch_count`] counts them).
    WatchLimitReached { watches_max: usize },
    /// The path is not absolute (it must start with `/`); the request
    /// processor validates paths before they get here, so this is a bug.
    InvalidPath { path: String },
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchError::WatchLimitReached { watches_max } => {
                write!(
                    f,
                    "watch limit reached: the server holds {watches_max} watches (watches_max)"
                )
            }
            WatchError::InvalidPath { path } => {
                write!(f, "watch path {path:?} is not absolute")
            }
        }
    }
}

impl std::error::Error for WatchError {}
