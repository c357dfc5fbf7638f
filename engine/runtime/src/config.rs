//! What an engine is asked to be: address, cores, backend and every limit.

use std::io;
use std::net::SocketAddr;

/// Environment variable that overrides [`BackendChoice::Auto`]: `io_uring` or `epoll`.
pub const IO_BACKEND_ENV: &str = "RINGKEEPER_IO_BACKEND";
/// Core threads at most: a [`crate::ConnId`] carries the core index in 12 bits.
pub const CORES_MAX: usize = 1 << 12;
/// Upper bound for `connections_per_core_max`: a [`crate::ConnId`] carries the slot in 20 bits.
pub const CONNECTIONS_PER_CORE_LIMIT: usize = 1 << 20;
/// Provided receive buffers per core at most (the kernel's buffer-ring limit).
pub const RECV_BUFFER_COUNT_MAX: usize = 1 << 15;
/// One provided receive buffer at most (a buffer-ring entry's length is a u32; we keep it sane).
pub const RECV_BUFFER_BYTES_MAX: usize = 1 << 24;
/// A mailbox holds at most this many messages.
pub const MAILBOX_CAPACITY_MAX: usize = 1 << 24;

/// Which I/O backend the caller wants.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    /// io_uring when the kernel allows it, else epoll with one warning line on stderr naming
    /// the cause. [`IO_BACKEND_ENV`] overrides it.
    Auto,
    IoUring,
    Epoll,
}

/// Which I/O backend an engine runs on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BackendKind {
    IoUring,
    Epoll,
}

/// Configuration of an [`crate::Engine`]; [`EngineConfig::new`] gives sane defaults.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub listen: SocketAddr,
    /// Core threads; 0 = `std::thread::available_parallelism`.
    pub cores: usize,
    pub backend: BackendChoice,
    pub listen_backlog: u32,
    /// Cadence of `Service::on_tick`.
    pub tick_interval_ms: u64,
    /// Open connections one core may own; an accepted connection beyond it is closed at once
    /// and counted in [`crate::EngineStats::connections_rejected`].
    pub connections_per_core_max: usize,
    /// Queued-but-unsent bytes per connection; beyond it `Io::send` returns
    /// `Err(SendError::SendBufferFull)`.
    pub send_buffer_bytes_max: usize,
    /// Messages one core's mailbox holds; beyond it `MailSender::try_send` fails.
    pub mailbox_capacity: usize,
    /// Size of one provided receive buffer (io_uring) or of the read buffer (epoll).
    pub recv_buffer_bytes: usize,
    /// Provided receive buffers per core (a power of two; io_uring only).
    pub recv_buffer_count: usize,
    /// After `Io::close`, queued bytes get this long to reach a peer; a peer that does not
    /// read by then is reset and the close reported as `CloseReason::FlushTimedOut`.
    pub close_flush_timeout_ms: u64,
}

impl EngineConfig {
    pub fn new(listen: SocketAddr) -> Self {
        EngineConfig {
            listen,
            cores: 0,
            backend: BackendChoice::Auto,
            listen_backlog: 1024,
            tick_interval_ms: 10,
            connections_per_core_max: 10_000,
            send_buffer_bytes_max: 4 << 20,
            mailbox_capacity: 4096,
            recv_buffer_bytes: 8192,
            recv_buffer_count: 1024,
            close_flush_timeout_ms: 5_000,
        }
    }

    /// Checks every limit; the error names the field.
    pub(crate) fn validate(&self) -> io::Result<()> {
        let invalid = |message: String| Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        if self.cores > CORES_MAX {
            return invalid(format!(
                "cores = {} is over CORES_MAX ({CORES_MAX})",
                self.cores
            ));
        }
        if self.tick_interval_ms == 0 {
            return invalid("tick_interval_ms must be at least 1".into());
        }
        if self.connections_per_core_max == 0
            || self.connections_per_core_max > CONNECTIONS_PER_CORE_LIMIT
        {
            return invalid(format!(
                "connections_per_core_max = {} must be in 1..={CONNECTIONS_PER_CORE_LIMIT}",
                self.connections_per_core_max
            ));
        }
        if self.send_buffer_bytes_max == 0 {
            return invalid("send_buffer_bytes_max must be at least 1".into());
        }
        if self.mailbox_capacity == 0 || self.mailbox_capacity > MAILBOX_CAPACITY_MAX {
            return invalid(format!(
                "mailbox_capacity = {} must be in 1..={MAILBOX_CAPACITY_MAX}",
                self.mailbox_capacity
            ));
        }
        if self.recv_buffer_bytes == 0 || self.recv_buffer_bytes > RECV_BUFFER_BYTES_MAX {
            return invalid(format!(
                "recv_buffer_bytes = {} must be in 1..={RECV_BUFFER_BYTES_MAX}",
                self.recv_buffer_bytes
            ));
        }
        if !self.recv_buffer_count.is_power_of_two()
            || self.recv_buffer_count > RECV_BUFFER_COUNT_MAX
        {
            return invalid(format!(
                "recv_buffer_count = {} must be a power of two, at most {RECV_BUFFER_COUNT_MAX}",
                self.recv_buffer_count
            ));
        }
        if self.listen_backlog == 0 || self.listen_backlog > i32::MAX as u32 {
            return invalid(format!(
                "listen_backlog = {} is out of range",
                self.listen_backlog
            ));
        }
        Ok(())
    }

    /// The number of core threads this configuration starts: `cores`, or the available
    /// parallelism when it is 0.
    pub fn resolved_cores(&self) -> usize {
        if self.cores > 0 {
            return self.cores;
        }
        std::thread::available_parallelism()
            .map(|count| count.get())
            .unwrap_or(1)
            .min(CORES_MAX)
    }
}

/// Applies the [`IO_BACKEND_ENV`] override (given as `env_value`) to `choice`: only `Auto` is
/// overridden; an unknown value is an error naming it.
pub(crate) fn apply_backend_override(
    choice: BackendChoice,
    env_value: Option<&str>,
) -> io::Result<BackendChoice> {
    if choice != BackendChoice::Auto {
        return Ok(choice);
    }
    match env_value.map(str::trim) {
        None | Some("") => Ok(BackendChoice::Auto),
        Some("io_uring") | Some("iouring") | Some("uring") => Ok(BackendChoice::IoUring),
        Some("epoll") => Ok(BackendChoice::Epoll),
        Some(other) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{IO_BACKEND_ENV}={other:?}: expected io_uring or epoll"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_override_applies_to_auto_only() {
        let auto = BackendChoice::Auto;
        assert_eq!(apply_backend_override(auto, None).unwrap(), auto);
        assert_eq!(
            apply_backend_override(auto, Some("epoll")).unwrap(),
            BackendChoice::Epoll
        );
        assert_eq!(
            apply_backend_override(auto, Some("io_uring")).unwrap(),
            BackendChoice::IoUring
        );
        assert_eq!(
            apply_backend_override(BackendChoice::IoUring, Some("epoll")).unwrap(),
            BackendChoice::IoUring
        );
        let error = apply_backend_override(auto, Some("kqueue")).unwrap_err();
        assert!(error.to_string().contains("kqueue"), "{error}");
    }

    #[test]
    fn limits_are_checked_and_named() {
        let mut config = EngineConfig::new("127.0.0.1:0".parse().unwrap());
        config.validate().unwrap();
        config.recv_buffer_count = 1000;
        let error = config.validate().unwrap_err();
        assert!(error.to_string().contains("recv_buffer_count"), "{error}");
        config.recv_buffer_count = 64;
        config.mailbox_capacity = 0;
        let error = config.validate().unwrap_err();
        assert!(error.to_string().contains("mailbox_capacity"), "{error}");
    }
}
