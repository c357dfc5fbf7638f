//! What reading `zoo.cfg` can refuse ([`ConfigError`]) and what it accepts
//! but the server should log ([`ConfigWarning`]). Both name the file, the
//! line and the key, and errors quote the offending value.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why a `zoo.cfg` cannot be used; the server must not start.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be read.
    Read { path: PathBuf, source: io::Error },
    /// A line that Java's properties reader refuses too (a malformed
    /// `\uXXXX` escape).
    Syntax {
        file: String,
        line: usize,
        message: String,
    },
    /// A key's value is unusable where ZooKeeper would refuse it as well
    /// (or, where ZooKeeper would crash or misbehave, where we refuse it).
    BadValue {
        file: String,
        line: usize,
        key: String,
        value: String,
        reason: String,
    },
    /// A required key is absent.
    Missing {
        file: String,
        key: &'static str,
        reason: String,
    },
}

impl ConfigError {
    /// The line the error is about, when it is about one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Syntax { line, .. } | ConfigError::BadValue { line, .. } => Some(*line),
            ConfigError::Read { .. } | ConfigError::Missing { .. } => None,
        }
    }

    /// The key the error is about, when it is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::BadValue { key, .. } => Some(key),
            ConfigError::Missing { key, .. } => Some(key),
            ConfigError::Read { .. } | ConfigError::Syntax { .. } => None,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            ConfigError::Syntax {
                file,
                line,
                message,
            } => write!(f, "{file} line {line}: {message}"),
            ConfigError::BadValue {
                file,
                line,
                key,
                value,
                reason,
            } => write!(f, "{file} line {line}: {key}: {value:?} {reason}"),
            ConfigError::Missing { file, key, reason } => {
                write!(f, "{file}: {key} is not set{reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Something in `zoo.cfg` the server accepts but should log at WARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    pub file: String,
    pub line: usize,
    pub key: String,
    pub kind: ConfigWarningKind,
}

/// What a [`ConfigWarning`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigWarningKind {
    /// Neither a ZooKeeper setting nor one of ringkeeper's; ignored.
    /// (ZooKeeper would set it as the Java system property
    /// `zookeeper.<key>`, which nothing reads.) The hint suggests the key
    /// that was probably meant.
    UnknownKey { hint: Option<String> },
    /// A ZooKeeper setting that ringkeeper does not implement; ignored.
    Unsupported,
    /// The key appears again on a later line, which wins.
    Overridden { by_line: usize },
    /// The value is out of range or unreadable and `used` is used in its
    /// place, the same correction ZooKeeper makes.
    ValueReplaced {
        value: String,
        used: String,
        reason: String,
    },
    /// The setting is used as read, but deserves an operator's attention.
    Advice { message: String },
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: {}: ", self.file, self.line, self.key)?;
        match &self.kind {
            ConfigWarningKind::UnknownKey { hint: None } => write!(f, "unknown key, ignored"),
            ConfigWarningKind::UnknownKey { hint: Some(hint) } => {
                write!(f, "unknown key, ignored ({hint})")
            }
            ConfigWarningKind::Unsupported => {
                write!(f, "ZooKeeper setting not supported by ringkeeper, ignored")
            }
            ConfigWarningKind::Overridden { by_line } => {
                write!(f, "set again on line {by_line}, which wins")
            }
            ConfigWarningKind::ValueReplaced {
                value,
                used,
                reason,
            } => write!(f, "{value:?} {reason}; using {used}"),
            ConfigWarningKind::Advice { message } => write!(f, "{message}"),
        }
    }
}
