//! `--plot FILE.svg`: throughput and latency percentiles per second, and
//! the latency distribution of the whole run. Hand-written SVG: no
//! plotting dependency for three charts.

use crate::report::Second;
use hdrhistogram::Histogram;
use std::fmt::Write;

const WIDTH: f64 = 900.0;
const PANEL_HEIGHT: f64 = 240.0;
const MARGIN_LEFT: f64 = 80.0;
const MARGIN_RIGHT: f64 = 130.0;
const MARGIN_TOP: f64 = 40.0;
const MARGIN_BOTTOM: f64 = 45.0;

struct Series<'a> {
    name: &'a str,
    color: &'a str,
    points: Vec<(f64, f64)>,
}

/// A panel with linear axes (x from the data, or from 0 for time; y
/// from 0). `marker` draws a dashed vertical line with a label.
#[allow(clippy::too_many_arguments)]
fn panel(
    out: &mut String,
    top: f64,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series<'_>],
    x_ticks: &[(f64, String)],
    marker: Option<(f64, &str)>,
) {
    let left = MARGIN_LEFT;
    let right = WIDTH - MARGIN_RIGHT;
    let plot_top = top + MARGIN_TOP;
    let bottom = top + PANEL_HEIGHT - MARGIN_BOTTOM;
    let all = series.iter().flat_map(|s| s.points.iter());
    let (mut x_min, mut x_max, mut y_max) = (f64::MAX, f64::MIN, 0.0f64);
    for &(x, y) in all {
        x_min = x_min.min(x);
        x_max = x_max.max(x);
        y_max = y_max.max(y);
    }
    if x_min > x_max {
        (x_min, x_max) = (0.0, 1.0);
    }
    if x_max - x_min < 1e-9 {
        x_max = x_min + 1.0;
    }
    if let Some((first, _)) = x_ticks.first() {
        x_min = x_min.min(*first);
    }
    let y_max = nice_ceiling(y_max.max(1e-9));
    let y_steps = y_steps(y_max);
    let sx = |x: f64| left + (x - x_min) / (x_max - x_min) * (right - left);
    let sy = |y: f64| bottom - y / y_max * (bottom - plot_top);
    let _ = writeln!(
        out,
        r#"<text x="{left}" y="{}" font-size="15" font-weight="bold">{title}</text>"#,
        top + 24.0
    );
    let _ = writeln!(
        out,
        r##"<rect x="{left}" y="{plot_top}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
        right - left,
        bottom - plot_top
    );
    for step in 0..=y_steps {
        let y = y_max * f64::from(step) / f64::from(y_steps);
        let _ = writeln!(
            out,
            r##"<line x1="{left}" x2="{right}" y1="{0:.1}" y2="{0:.1}" stroke="#eee"/><text x="{1}" y="{2:.1}" font-size="11" text-anchor="end">{3}</text>"##,
            sy(y),
            left - 6.0,
            sy(y) + 4.0,
            short(y)
        );
    }
    if x_ticks.is_empty() {
        for step in 0..=5 {
            let x = x_min + (x_max - x_min) * f64::from(step) / 5.0;
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle">{}</text>"#,
                sx(x),
                bottom + 16.0,
                short(x)
            );
        }
    } else {
        for (x, label) in x_ticks {
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle">{label}</text>"#,
                sx(*x),
                bottom + 16.0
            );
        }
    }
    if let Some((x, label)) = marker.filter(|(x, _)| (x_min..=x_max).contains(x)) {
        let _ = writeln!(
            out,
            r##"<line x1="{0:.1}" x2="{0:.1}" y1="{plot_top}" y2="{bottom}" stroke="#555" stroke-dasharray="5,4"/><text x="{1:.1}" y="{2}" font-size="11">{label}</text>"##,
            sx(x),
            sx(x) + 4.0,
            plot_top + 12.0
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{}" font-size="12" text-anchor="middle">{x_label}</text>"#,
        (left + right) / 2.0,
        bottom + 34.0
    );
    let _ = writeln!(
        out,
        r#"<text x="18" y="{0:.1}" font-size="12" text-anchor="middle" transform="rotate(-90 18 {0:.1})">{y_label}</text>"#,
        (plot_top + bottom) / 2.0
    );
    for (position, line) in series.iter().enumerate() {
        let points: Vec<String> = line
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y.min(y_max))))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
            line.color,
            points.join(" ")
        );
        let legend_y = plot_top + 14.0 + 18.0 * position as f64;
        let _ = writeln!(
            out,
            r#"<line x1="{0}" x2="{1}" y1="{2}" y2="{2}" stroke="{3}" stroke-width="3"/><text x="{4}" y="{5}" font-size="12">{6}</text>"#,
            right + 10.0,
            right + 30.0,
            legend_y,
            line.color,
            right + 36.0,
            legend_y + 4.0,
            line.name
        );
    }
}

/// Grid steps that land on round numbers for a `nice_ceiling` bound:
/// 2.5 and 5 split in fifths, 1 and 2 in quarters.
fn y_steps(y_max: f64) -> u32 {
    let leading = y_max / 10f64.powf(y_max.log10().floor());
    if (leading - 2.5).abs() < 1e-6 || (leading - 5.0).abs() < 1e-6 {
        5
    } else {
        4
    }
}

/// Whole-second ticks from 0 to `end_s`, about six of them.
fn time_ticks(end_s: f64) -> Vec<(f64, String)> {
    let step = [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0]
        .into_iter()
        .find(|step| end_s / step <= 7.0)
        .unwrap_or(1200.0);
    (0..)
        .map(|i| f64::from(i) * step)
        .take_while(|t| *t <= end_s + 1e-9)
        .map(|t| (t, format!("{t:.0}")))
        .collect()
}

fn nice_ceiling(value: f64) -> f64 {
    let magnitude = 10f64.powf(value.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= value {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

fn short(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.1}M", value / 1e6)
    } else if value >= 1e4 {
        format!("{:.0}k", value / 1e3)
    } else if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// Renders the three panels.
pub fn svg(title: &str, seconds: &[Second], latency_ns: &Histogram<u64>, warmup_s: f64) -> String {
    let mut out = String::new();
    let height = PANEL_HEIGHT * 3.0 + 40.0;
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="white"/><text x="{MARGIN_LEFT}" y="22" font-size="13">{}</text>"#,
        escape(title)
    );
    let end_s = seconds.iter().map(|s| s.at_s).fold(1.0, f64::max);
    let time = time_ticks(end_s);
    let measuring = Some((warmup_s, "measuring starts"));
    let throughput = Series {
        name: "ops/s",
        color: "#1f77b4",
        points: seconds.iter().map(|s| (s.at_s, s.ops_per_s)).collect(),
    };
    panel(
        &mut out,
        30.0,
        "Throughput per second",
        "seconds since load start (warmup included)",
        "ops/s",
        &[throughput],
        &time,
        measuring,
    );
    let latency = [
        Series {
            name: "p50",
            color: "#2ca02c",
            points: seconds.iter().map(|s| (s.at_s, s.p50_ms)).collect(),
        },
        Series {
            name: "p99",
            color: "#ff7f0e",
            points: seconds.iter().map(|s| (s.at_s, s.p99_ms)).collect(),
        },
        Series {
            name: "p99.9",
            color: "#d62728",
            points: seconds.iter().map(|s| (s.at_s, s.p999_ms)).collect(),
        },
    ];
    panel(
        &mut out,
        30.0 + PANEL_HEIGHT,
        "Latency per second",
        "seconds since load start (warmup included)",
        "ms",
        &latency,
        &time,
        measuring,
    );
    // The distribution on a "number of nines" axis: x = -log10(1 - q).
    let nines = [0.0, 50.0, 90.0, 99.0, 99.9, 99.99, 99.999];
    let points: Vec<(f64, f64)> = (0..=100)
        .map(|step| {
            let x = f64::from(step) * 5.0 / 100.0;
            let percentile = 100.0 * (1.0 - 10f64.powf(-x));
            (x, latency_ns.value_at_percentile(percentile) as f64 / 1e6)
        })
        .collect();
    let ticks: Vec<(f64, String)> = nines
        .iter()
        .map(|&p| (-(1.0 - p / 100.0f64).log10(), format!("{p}%")))
        .collect();
    let distribution = Series {
        name: "latency",
        color: "#9467bd",
        points,
    };
    panel(
        &mut out,
        30.0 + 2.0 * PANEL_HEIGHT,
        "Latency by percentile (measured window)",
        "percentile",
        "ms",
        &[distribution],
        &ticks,
        None,
    );
    out.push_str("</svg>\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::new_histogram;

    #[test]
    fn svg_has_three_panels_and_every_series() {
        let mut histogram = new_histogram();
        for latency_ns in 1..1000u64 {
            histogram.record(latency_ns * 1000).unwrap();
        }
        let seconds: Vec<Second> = (0..5)
            .map(|i| Second {
                at_s: f64::from(i),
                ops_per_s: 1000.0,
                p50_ms: 0.5,
                p99_ms: 0.9,
                p999_ms: 1.0,
                max_ms: 1.2,
            })
            .collect();
        let svg = svg("run <1>", &seconds, &histogram, 2.0);
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 5);
        assert!(svg.contains("run &lt;1&gt;"));
        assert!(svg.contains("99.9%"));
        assert!(svg.contains("measuring starts"));
    }

    #[test]
    fn nice_ceiling_rounds_up_to_a_readable_bound() {
        assert_eq!(nice_ceiling(7.3), 10.0);
        assert_eq!(nice_ceiling(1200.0), 2000.0);
        assert_eq!(nice_ceiling(0.21), 0.25);
    }

    #[test]
    fn ticks_land_on_round_numbers() {
        assert_eq!(y_steps(25_000.0), 5);
        assert_eq!(y_steps(2_000.0), 4);
        let ticks: Vec<f64> = time_ticks(14.0).into_iter().map(|(t, _)| t).collect();
        assert_eq!(ticks, vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0]);
        assert_eq!(time_ticks(40.0).len(), 5);
    }
}
