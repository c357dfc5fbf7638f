//! Engine-wide counters, written by the cores with relaxed atomics.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub(crate) struct Counters {
    accepted: AtomicU64,
    rejected: AtomicU64,
    closed: AtomicU64,
}

impl Counters {
    pub(crate) fn count_accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_closed(&self) {
        self.closed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> EngineStats {
        EngineStats {
            connections_accepted: self.accepted.load(Ordering::Relaxed),
            connections_rejected: self.rejected.load(Ordering::Relaxed),
            connections_closed: self.closed.load(Ordering::Relaxed),
        }
    }
}

/// Counters since the engine started, all cores.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Connections handed to `Service::on_accept`.
    pub connections_accepted: u64,
    /// Connections closed at once because their core already had `connections_per_core_max`.
    pub connections_rejected: u64,
    /// Accepted connections that have ended (any reason, including refusal by `on_accept`).
    pub connections_closed: u64,
}
