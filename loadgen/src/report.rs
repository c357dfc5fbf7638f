//! The final report: text for people, one JSON line for tools.

use crate::stats::Stats;
use crate::workload::OpKind;
use crate::LoadConfig;
use hdrhistogram::Histogram;
use serde_json::{json, Map, Value};
use std::fmt::Write;

/// One second of the run (warmup included), for the plot and `--json`.
#[derive(Debug, Clone, Copy)]
pub struct Second {
    /// Seconds since load started (warmup included).
    pub at_s: f64,
    pub ops_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

/// Everything the run measured besides the per-worker stats.
#[derive(Debug, Clone)]
pub struct RunFacts {
    /// The measured window's real length, seconds.
    pub measured_s: f64,
    /// loadgen's own CPU (user + system) over the measured window, seconds.
    pub cpu_s: f64,
    /// The measured window's edges, seconds since the Unix epoch, so other
    /// tools can sample a server over exactly the same window.
    pub measure_start_unix_s: f64,
    pub measure_end_unix_s: f64,
    pub seconds: Vec<Second>,
}

const PERCENTILES: [(&str, f64); 4] = [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p999", 99.9)];

fn quantiles_us(histogram: &Histogram<u64>) -> Map<String, Value> {
    let mut map = Map::new();
    for (name, percentile) in PERCENTILES {
        map.insert(
            name.into(),
            json!(histogram.value_at_percentile(percentile) as f64 / 1e3),
        );
    }
    map.insert("max".into(), json!(histogram.max() as f64 / 1e3));
    map.insert("count".into(), json!(histogram.len()));
    map
}

pub fn throughput_ops_s(stats: &Stats, facts: &RunFacts) -> f64 {
    stats.measured_ops() as f64 / facts.measured_s.max(1e-9)
}

pub fn cpu_us_per_op(stats: &Stats, facts: &RunFacts) -> f64 {
    facts.cpu_s * 1e6 / (stats.measured_ops().max(1) as f64)
}

pub fn json_line(config: &LoadConfig, stats: &Stats, facts: &RunFacts) -> String {
    let mut latency = Map::new();
    latency.insert(
        "all".into(),
        Value::Object(quantiles_us(&stats.all_latency_ns())),
    );
    for kind in OpKind::ALL {
        let histogram = &stats.latency_ns[kind.index()];
        if !histogram.is_empty() {
            latency.insert(kind.name().into(), Value::Object(quantiles_us(histogram)));
        }
    }
    let connect = &stats.connect_ns;
    let value = json!({
        "servers": config.servers_text,
        "clients": config.clients,
        "write_ratio": config.mix.write_fraction(),
        "mix": config.mix.describe(),
        "outstanding": config.outstanding,
        "keys": config.keys,
        "value_size": config.value_size,
        "rate": config.rate_ops_per_s,
        "threads": config.threads,
        "warmup_s": config.warmup.as_secs_f64(),
        "duration_s": facts.measured_s,
        "measure_start_unix": facts.measure_start_unix_s,
        "measure_end_unix": facts.measure_end_unix_s,
        "ops": stats.measured_ops(),
        "throughput_ops_s": throughput_ops_s(stats, facts),
        "latency_us": latency,
        "errors": stats.errors,
        "error_total": stats.error_total(),
        "sessions_connected": stats.sessions_connected,
        "sessions_failed": stats.sessions_failed,
        "sessions_closed_cleanly": stats.sessions_closed_cleanly,
        "failure_reasons": stats.failure_reasons,
        "disconnects": stats.disconnects,
        "reconnects": stats.reconnects,
        "session_expiries": stats.session_expiries,
        "notifications": stats.notifications,
        "open_loop_backlog_dropped": stats.backlog_dropped,
        "connect_ms": {
            "p50": connect.value_at_percentile(50.0) as f64 / 1e6,
            "p99": connect.value_at_percentile(99.0) as f64 / 1e6,
            "max": connect.max() as f64 / 1e6,
        },
        "cpu_s": facts.cpu_s,
        "ring_turns": stats.ring_turns,
        "completions_per_turn": stats.ring_completions as f64 / stats.ring_turns.max(1) as f64,
        "cpu_us_per_op": cpu_us_per_op(stats, facts),
        "seconds": facts.seconds.iter().map(|s| json!({
            "at_s": s.at_s,
            "ops_per_s": s.ops_per_s,
            "p50_ms": s.p50_ms,
            "p99_ms": s.p99_ms,
            "p999_ms": s.p999_ms,
            "max_ms": s.max_ms,
        })).collect::<Vec<_>>(),
    });
    value.to_string()
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

pub fn text(config: &LoadConfig, stats: &Stats, facts: &RunFacts) -> String {
    let mut out = String::new();
    let mode = match config.rate_ops_per_s {
        Some(rate) => format!("open loop at {rate} ops/s"),
        None => "closed loop".into(),
    };
    let _ = writeln!(
        out,
        "loadgen: {} sessions on {}, mix {}, {} outstanding per session, {}, {} thread(s)",
        config.clients,
        config.servers_text,
        config.mix.describe(),
        config.outstanding,
        mode,
        config.threads
    );
    let _ = writeln!(
        out,
        "sessions    connected {}/{}, closed cleanly {}, failed {}, disconnects {}, reconnects {}, expiries {}",
        stats.sessions_connected,
        config.clients,
        stats.sessions_closed_cleanly,
        stats.sessions_failed,
        stats.disconnects,
        stats.reconnects,
        stats.session_expiries
    );
    for (reason, count) in &stats.failure_reasons {
        let _ = writeln!(out, "            {count} failed: {reason}");
    }
    let connect = &stats.connect_ns;
    let _ = writeln!(
        out,
        "connect     p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(connect.value_at_percentile(50.0)),
        ms(connect.value_at_percentile(99.0)),
        ms(connect.max())
    );
    let _ = writeln!(
        out,
        "throughput  {:.0} ops/s over {:.1} s ({} ops, {} errors)",
        throughput_ops_s(stats, facts),
        facts.measured_s,
        stats.measured_ops(),
        stats.error_total()
    );
    let _ = writeln!(
        out,
        "latency ms  {:>10} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "count", "p50", "p90", "p99", "p99.9", "max"
    );
    let mut rows = vec![("all".to_owned(), stats.all_latency_ns())];
    for kind in OpKind::ALL {
        let histogram = &stats.latency_ns[kind.index()];
        if !histogram.is_empty() {
            rows.push((kind.name().to_owned(), histogram.clone()));
        }
    }
    for (name, histogram) in rows {
        let _ = write!(out, "  {name:<9} {:>10}", histogram.len());
        for (_, percentile) in PERCENTILES {
            let _ = write!(
                out,
                " {:>9.3}",
                ms(histogram.value_at_percentile(percentile))
            );
        }
        let _ = writeln!(out, " {:>9.3}", ms(histogram.max()));
    }
    if stats.errors.is_empty() {
        let _ = writeln!(out, "errors      none");
    } else {
        let listed: Vec<_> = stats
            .errors
            .iter()
            .map(|(name, count)| format!("{name} {count}"))
            .collect();
        let _ = writeln!(out, "errors      {}", listed.join(", "));
    }
    if stats.backlog_dropped > 0 {
        let _ = writeln!(
            out,
            "open loop   {} ops dropped: backlog full",
            stats.backlog_dropped
        );
    }
    let _ = writeln!(
        out,
        "loadgen cpu {:.2} us/op ({:.2} s user+sys over the measured window; {:.1} completions per ring turn)",
        cpu_us_per_op(stats, facts),
        facts.cpu_s,
        stats.ring_completions as f64 / stats.ring_turns.max(1) as f64
    );
    out
}
