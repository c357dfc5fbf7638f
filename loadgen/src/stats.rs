//! What a worker measured: HDR latency histograms per op kind, errors by
//! ZooKeeper code, and session events. Workers fill their own; the main
//! thread merges them.

use crate::workload::OpKind;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;

/// Largest latency a histogram records, ns (longer ones are clamped).
pub const LATENCY_MAX_NS: u64 = 600_000_000_000;

pub fn new_histogram() -> Histogram<u64> {
    // 3 significant digits from 1 ns to 10 minutes: about 200 KiB each.
    Histogram::new_with_bounds(1, LATENCY_MAX_NS, 3).expect("constant histogram bounds are valid")
}

#[derive(Debug, Clone)]
pub struct Stats {
    /// Latency of measured ops, ns, by `OpKind::index()`.
    pub latency_ns: Vec<Histogram<u64>>,
    /// Failed measured ops and session troubles, by ZooKeeper error name
    /// (or a loadgen name such as `MALFORMED_REPLY`).
    pub errors: BTreeMap<String, u64>,
    /// TCP connect to ConnectResponse, ns.
    pub connect_ns: Histogram<u64>,
    pub sessions_connected: u64,
    pub sessions_failed: u64,
    pub sessions_closed_cleanly: u64,
    pub disconnects: u64,
    pub reconnects: u64,
    pub session_expiries: u64,
    pub notifications: u64,
    /// Open-loop ops that could not be queued because the backlog was full.
    pub backlog_dropped: u64,
    /// Why sessions failed, with counts.
    pub failure_reasons: BTreeMap<String, u64>,
    /// io_uring loop turns and completions reaped in them (diagnostics of
    /// loadgen's own efficiency).
    pub ring_turns: u64,
    pub ring_completions: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            latency_ns: (0..OpKind::COUNT).map(|_| new_histogram()).collect(),
            errors: BTreeMap::new(),
            connect_ns: new_histogram(),
            sessions_connected: 0,
            sessions_failed: 0,
            sessions_closed_cleanly: 0,
            disconnects: 0,
            reconnects: 0,
            session_expiries: 0,
            notifications: 0,
            backlog_dropped: 0,
            failure_reasons: BTreeMap::new(),
            ring_turns: 0,
            ring_completions: 0,
        }
    }
}

impl Stats {
    pub fn record_latency(&mut self, kind: OpKind, latency_ns: u64) {
        self.latency_ns[kind.index()].saturating_record(latency_ns.max(1));
    }

    pub fn count_error(&mut self, name: &str) {
        *self.errors.entry(name.to_owned()).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Stats) {
        for (mine, theirs) in self.latency_ns.iter_mut().zip(&other.latency_ns) {
            mine.add(theirs).expect("histograms share bounds");
        }
        for (name, count) in &other.errors {
            *self.errors.entry(name.clone()).or_default() += count;
        }
        for (reason, count) in &other.failure_reasons {
            *self.failure_reasons.entry(reason.clone()).or_default() += count;
        }
        self.connect_ns
            .add(&other.connect_ns)
            .expect("histograms share bounds");
        self.sessions_connected += other.sessions_connected;
        self.sessions_failed += other.sessions_failed;
        self.sessions_closed_cleanly += other.sessions_closed_cleanly;
        self.disconnects += other.disconnects;
        self.reconnects += other.reconnects;
        self.session_expiries += other.session_expiries;
        self.notifications += other.notifications;
        self.backlog_dropped += other.backlog_dropped;
        self.ring_turns += other.ring_turns;
        self.ring_completions += other.ring_completions;
    }

    /// All measured ops (successful or not) merged into one histogram.
    pub fn all_latency_ns(&self) -> Histogram<u64> {
        let mut all = new_histogram();
        for histogram in &self.latency_ns {
            all.add(histogram).expect("histograms share bounds");
        }
        all
    }

    pub fn measured_ops(&self) -> u64 {
        self.latency_ns.iter().map(Histogram::len).sum()
    }

    pub fn error_total(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// One worker's ops over about one second of the load (warmup included),
/// for the progress line and the throughput-over-time plot.
#[derive(Debug)]
pub struct Interval {
    /// The interval's edges, ns since the run's epoch.
    pub start_ns: u64,
    pub end_ns: u64,
    pub ops: u64,
    pub latency_ns: Histogram<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_counts_and_histograms() {
        let mut a = Stats::default();
        let mut b = Stats::default();
        a.record_latency(OpKind::Get, 1_000);
        b.record_latency(OpKind::Get, 3_000);
        b.record_latency(OpKind::Set, 2_000);
        b.count_error("NONODE");
        b.disconnects = 2;
        a.merge(&b);
        assert_eq!(a.measured_ops(), 3);
        assert_eq!(a.latency_ns[OpKind::Get.index()].len(), 2);
        assert_eq!(a.errors["NONODE"], 1);
        assert_eq!(a.disconnects, 2);
        assert_eq!(
            a.all_latency_ns().max(),
            b.latency_ns[OpKind::Get.index()].max()
        );
    }
}
