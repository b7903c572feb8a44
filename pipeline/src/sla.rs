//! A job's service level over a time window: [`SlaReport`] (P50 / P95 / P99 / max of
//! ingest-to-visible and commit latency, and lag), printed as text or JSON; the SVG plot of
//! latency and lag over time (hand-written SVG: two panels sharing a time axis); and the
//! window syntax (`900`, `900s`, `15m`, `1h`, `1d`) the CLI and the endpoint accept.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use crate::metrics::{EpochPoint, JobMetrics, LagPoint, LatencySummary, total_lag};

/// A window that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid window `{0}`: expected seconds (900, 900s) or minutes, hours, days (15m, 1h, 1d)")]
pub struct WindowError(pub String);

/// Reads a window: a positive whole number of seconds, optionally with a unit suffix `s`,
/// `m`, `h` or `d`.
pub fn parse_window(text: &str) -> Result<u64, WindowError> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(WindowError(text.to_string())),
    };
    digits
        .parse::<u64>()
        .ok()
        .filter(|&n| n > 0)
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| WindowError(text.to_string()))
}

/// A window's length in its shortest exact form (`15m`, `1h`, `90s`).
pub fn format_window(seconds: u64) -> String {
    match seconds {
        s if s > 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// A job's service level over a window ending now.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SlaReport {
    /// `db.job`.
    pub job: String,
    /// The job's state (empty if the host never set one).
    pub state: String,
    /// The window's length in seconds.
    pub window_s: u64,
    /// The window's start (ms since the Unix epoch).
    pub from_ms: i64,
    /// The window's end (ms since the Unix epoch).
    pub to_ms: i64,
    /// Kafka message timestamp → the epoch visible in the sink, per message.
    pub ingest_to_visible: LatencySummary,
    /// An epoch's decision → its confirmed commit, per epoch.
    pub commit: LatencySummary,
    /// The latest lag per partition (messages behind; `-1` unknown).
    pub lag: BTreeMap<i32, i64>,
    /// The latest total lag over partitions with a known lag.
    pub total_lag: Option<i64>,
    /// The largest total lag seen in the window.
    pub max_total_lag: Option<i64>,
}

impl SlaReport {
    /// The report over the `window_s` seconds up to `now_ms`.
    pub fn compute(metrics: &JobMetrics, window_s: u64, now_ms: i64) -> SlaReport {
        let from_ms = window_start(window_s, now_ms);
        let (ingest_to_visible, commit) = metrics.latency_between(from_ms, now_ms);
        let lag = metrics.lag();
        SlaReport {
            job: metrics.name.clone(),
            state: metrics.state(),
            window_s,
            from_ms,
            to_ms: now_ms,
            ingest_to_visible,
            commit,
            total_lag: total_lag(&lag),
            lag,
            max_total_lag: metrics
                .lag_points(from_ms, now_ms)
                .iter()
                .map(|p| p.total)
                .max(),
        }
    }
}

fn window_start(window_s: u64, now_ms: i64) -> i64 {
    let window_ms = i64::try_from(window_s.saturating_mul(1000)).unwrap_or(i64::MAX);
    now_ms.saturating_sub(window_ms)
}

/// Milliseconds as a person reads them: `850 µs`, `12.3 ms`, `1.25 s`, `2m05s`.
pub fn format_ms(ms: f64) -> String {
    if ms < 1.0 {
        format!("{:.0} µs", ms * 1000.0)
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        let s = (ms / 1000.0).round() as u64;
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

impl fmt::Display for SlaReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.state.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.state)
        };
        writeln!(
            f,
            "SLA of {}{state} over the last {}, {} – {} UTC",
            self.job,
            format_window(self.window_s),
            clock(self.from_ms),
            clock(self.to_ms)
        )?;
        writeln!(
            f,
            "{:<18} {:>10} {:>10} {:>10} {:>10} {:>10}",
            "latency", "count", "P50", "P95", "P99", "max"
        )?;
        for (name, s) in [
            ("ingest → visible", &self.ingest_to_visible),
            ("commit", &self.commit),
        ] {
            if s.count == 0 {
                writeln!(f, "{name:<18} {:>10} {:>10}", 0, "no data")?;
            } else {
                writeln!(
                    f,
                    "{name:<18} {:>10} {:>10} {:>10} {:>10} {:>10}",
                    s.count,
                    format_ms(s.p50_ms),
                    format_ms(s.p95_ms),
                    format_ms(s.p99_ms),
                    format_ms(s.max_ms)
                )?;
            }
        }
        let per_partition = self
            .lag
            .iter()
            .map(|(p, l)| {
                if *l < 0 {
                    format!("p{p} ?")
                } else {
                    format!("p{p} {l}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        match self.total_lag {
            Some(total) => write!(f, "lag {total} messages ({per_partition})")?,
            None if self.lag.is_empty() => write!(f, "lag unknown")?,
            None => write!(f, "lag unknown ({per_partition})")?,
        }
        match self.max_total_lag {
            Some(max) => writeln!(f, "; at most {max} in the window"),
            None => writeln!(f),
        }
    }
}

/// `HH:MM:SS` (UTC) of a time in ms since the Unix epoch.
fn clock(ms: i64) -> String {
    let s = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Escapes text for XML / HTML content and attribute values.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The plot of a job's latency and lag over the `window_s` seconds up to `now_ms`.
pub fn plot_job(metrics: &JobMetrics, window_s: u64, now_ms: i64) -> String {
    let from_ms = window_start(window_s, now_ms);
    plot_svg(
        &metrics.name,
        window_s,
        (from_ms, now_ms),
        &metrics.epoch_points(from_ms, now_ms),
        &metrics.lag_points(from_ms, now_ms),
    )
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 440.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const INGEST_COLOR: &str = "#1f77b4";
const COMMIT_COLOR: &str = "#ff7f0e";
const LAG_COLOR: &str = "#2ca02c";

/// One plot area: its pixel box and value range.
struct Panel {
    top: f64,
    height: f64,
    from_ms: i64,
    to_ms: i64,
    y_max: f64,
}

impl Panel {
    fn x(&self, t_ms: i64) -> f64 {
        let span = (self.to_ms - self.from_ms).max(1) as f64;
        LEFT + (WIDTH - LEFT - RIGHT) * ((t_ms - self.from_ms) as f64 / span).clamp(0.0, 1.0)
    }

    fn y(&self, v: f64) -> f64 {
        self.top + self.height * (1.0 - (v / self.y_max).clamp(0.0, 1.0))
    }

    /// Frame, y grid with labels, x ticks with clock labels, and the y axis title.
    fn axes(&self, out: &mut String, y_ticks: &[f64], label: impl Fn(f64) -> String, title: &str) {
        let (l, r, t, b) = (LEFT, WIDTH - RIGHT, self.top, self.top + self.height);
        for &v in y_ticks {
            let y = self.y(v);
            let _ = writeln!(
                out,
                r##"<line x1="{l}" y1="{y:.1}" x2="{r}" y2="{y:.1}" stroke="#e5e5e5"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
                l - 6.0,
                y + 4.0,
                escape_xml(&label(v))
            );
        }
        for t_ms in time_ticks(self.from_ms, self.to_ms) {
            let x = self.x(t_ms);
            let _ = writeln!(
                out,
                r##"<line x1="{x:.1}" y1="{b}" x2="{x:.1}" y2="{:.1}" stroke="#333"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" class="tick">{}</text>"##,
                b + 5.0,
                b + 18.0,
                clock(t_ms)
            );
        }
        let _ = writeln!(
            out,
            r##"<rect x="{l}" y="{t}" width="{:.1}" height="{:.1}" fill="none" stroke="#333"/>"##,
            r - l,
            b - t
        );
        let mid = t + self.height / 2.0;
        let _ = writeln!(
            out,
            r#"<text x="16" y="{mid:.1}" transform="rotate(-90 16 {mid:.1})" text-anchor="middle" class="axis">{}</text>"#,
            escape_xml(title)
        );
    }

    /// A line through the points (at most one per pixel column: the largest), or a dot
    /// where there is a single point.
    fn line(&self, out: &mut String, points: &[(i64, f64)], color: &str) {
        let mut columns: Vec<(f64, f64)> = Vec::new();
        for &(t, v) in points {
            let (x, y) = (self.x(t).round(), self.y(v));
            match columns.last_mut() {
                Some(last) if last.0 == x => last.1 = last.1.min(y),
                _ => columns.push((x, y)),
            }
        }
        match columns.as_slice() {
            [] => {}
            [(x, y)] => {
                let _ = writeln!(
                    out,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{color}"/>"#
                );
            }
            many => {
                let path: Vec<String> =
                    many.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                let _ = writeln!(
                    out,
                    r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{}"/>"#,
                    path.join(" ")
                );
            }
        }
    }
}

/// The SVG plot: ingest-to-visible P99 and commit latency per epoch (top) and total lag
/// (bottom) over `[from_ms, to_ms]`, with a title naming the job and window.
pub fn plot_svg(
    job: &str,
    window_s: u64,
    (from_ms, to_ms): (i64, i64),
    epochs: &[EpochPoint],
    lags: &[LagPoint],
) -> String {
    let ingest: Vec<(i64, f64)> = epochs
        .iter()
        .filter_map(|p| p.ingest_p99_ms.map(|v| (p.t_ms, v)))
        .collect();
    let commit: Vec<(i64, f64)> = epochs.iter().map(|p| (p.t_ms, p.commit_ms)).collect();
    let lag: Vec<(i64, f64)> = lags.iter().map(|p| (p.t_ms, p.total as f64)).collect();

    let latency_max = ingest
        .iter()
        .chain(&commit)
        .map(|p| p.1)
        .fold(0.0, f64::max);
    // Headroom above the largest value, so a line at the top is not hidden by the frame.
    let (latency_ticks, latency_top) = nice_ticks(latency_max * 1.08);
    let (lag_ticks, lag_top) = nice_ticks(lag.iter().map(|p| p.1).fold(0.0, f64::max) * 1.08);
    let top = Panel {
        top: 50.0,
        height: 200.0,
        from_ms,
        to_ms,
        y_max: latency_top,
    };
    let bottom = Panel {
        top: 300.0,
        height: 100.0,
        from_ms,
        to_ms,
        y_max: lag_top,
    };

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" class="routinely-plot">"#
    );
    let _ = writeln!(
        out,
        "<style>.tick{{font-size:11px;fill:#333}}.axis{{font-size:12px;fill:#333}}.legend{{font-size:12px}}.title{{font-size:15px;font-weight:bold}}</style>"
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="22" class="title">{} — latency and lag, last {}</text>"#,
        escape_xml(job),
        format_window(window_s)
    );
    let legend = [
        ("ingest → visible P99", INGEST_COLOR, 0.0),
        ("commit", COMMIT_COLOR, 190.0),
        ("total lag (messages)", LAG_COLOR, 290.0),
    ];
    for (name, color, dx) in legend {
        let x = LEFT + dx;
        let _ = writeln!(
            out,
            r#"<rect x="{x}" y="32" width="12" height="4" fill="{color}"/><text x="{:.1}" y="38" class="legend">{}</text>"#,
            x + 16.0,
            escape_xml(name)
        );
    }
    let seconds = latency_top >= 2000.0;
    let latency_label = |v: f64| {
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        if seconds {
            format!("{} s", round(v / 1000.0))
        } else {
            format!("{} ms", round(v))
        }
    };
    top.axes(&mut out, &latency_ticks, latency_label, "latency");
    bottom.axes(&mut out, &lag_ticks, |v| format!("{v}"), "lag");
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="axis">time (UTC)</text>"#,
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        HEIGHT - 6.0
    );
    if ingest.is_empty() && commit.is_empty() {
        no_data(&mut out, &top);
    }
    if lag.is_empty() {
        no_data(&mut out, &bottom);
    }
    top.line(&mut out, &commit, COMMIT_COLOR);
    top.line(&mut out, &ingest, INGEST_COLOR);
    bottom.line(&mut out, &lag, LAG_COLOR);
    out.push_str("</svg>\n");
    out
}

fn no_data(out: &mut String, panel: &Panel) {
    let _ = writeln!(
        out,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="axis" fill="#999">no data in this window</text>"##,
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        panel.top + panel.height / 2.0
    );
}

/// Ticks from 0 at a 1-2-5 step covering `max`, and the top of the axis.
fn nice_ticks(max: f64) -> (Vec<f64>, f64) {
    if max <= 0.0 || !max.is_finite() {
        return (vec![0.0, 1.0], 1.0);
    }
    let rough = max / 4.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= rough)
        .unwrap_or(10.0 * magnitude);
    let n = (max / step).ceil().max(1.0) as usize;
    let ticks = (0..=n).map(|i| i as f64 * step).collect();
    (ticks, n as f64 * step)
}

/// Time ticks on round clock times, about 4–8 across the window.
fn time_ticks(from_ms: i64, to_ms: i64) -> Vec<i64> {
    const STEPS_S: [i64; 14] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
    ];
    let span = (to_ms - from_ms).max(1);
    let step = STEPS_S
        .iter()
        .map(|s| s * 1000)
        .find(|&s| span / s <= 8)
        .unwrap_or_else(|| (span / 6).max(1));
    let first = from_ms + (step - from_ms.rem_euclid(step)) % step;
    (0..)
        .map(|i| first + i * step)
        .take_while(|&t| t <= to_ms)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{EpochReport, RunObserver};
    use routinely_operators::dataflow::{PartitionRange, TsSample};
    use routinely_operators::row::RowCounts;

    fn fed(now: i64) -> JobMetrics {
        let m = JobMetrics::new("db.<clicks>");
        m.set_state("RUNNING");
        // One epoch every 10 s over 20 minutes; messages 1..=10 s old when visible, epoch i
        // committing in i ms.
        for i in 0..120_i64 {
            let t = now - 1_200_000 + i * 10_000;
            let mut ts_sample = TsSample::default();
            for k in 0..10 {
                ts_sample.offer(t - 1_000 * (k + 1));
            }
            let range = PartitionRange {
                partition: 0,
                start: i * 10,
                end: i * 10 + 10,
                messages: 10,
                bytes: 100,
                max_timestamp_ms: Some(t - 1_000),
                ts_sample,
            };
            m.epoch_committed(&EpochReport {
                epoch: i as u64,
                counts: RowCounts {
                    total: 10,
                    loaded: 10,
                    messages: 10,
                    bytes: 100,
                    ..RowCounts::default()
                },
                ranges: vec![range],
                decided_at_ms: t - i,
                visible_at_ms: t,
                commit_ms: i as f64,
            });
            m.set_lag_at(&BTreeMap::from([(0, i), (1, -1)]), t);
        }
        m
    }

    #[test]
    fn windows_parse_with_units() {
        assert_eq!(parse_window("900"), Ok(900));
        assert_eq!(parse_window("900s"), Ok(900));
        assert_eq!(parse_window("15m"), Ok(900));
        assert_eq!(parse_window("1h"), Ok(3600));
        assert_eq!(parse_window("2d"), Ok(172_800));
        for bad in ["", "0", "m", "15x", "-5", "1.5h", "99999999999999999999"] {
            assert!(parse_window(bad).is_err(), "{bad}");
        }
        assert_eq!(format_window(900), "15m");
        assert_eq!(format_window(90), "90s");
    }

    #[test]
    fn report_covers_the_window() {
        let now = 1_700_000_000_000;
        let m = fed(now);
        let r = SlaReport::compute(&m, 300, now);
        // The last 5 minutes hold epochs 90..=119 (t ≥ now − 300 s): 30 epochs × 10 messages.
        assert_eq!(r.commit.count, 30);
        assert_eq!(r.ingest_to_visible.count, 300);
        assert_eq!(r.ingest_to_visible.max_ms, 10_000.0);
        assert!(
            (4_900.0..=5_100.0).contains(&r.ingest_to_visible.p50_ms),
            "{r:?}"
        );
        assert!(r.ingest_to_visible.p99_ms >= 9_900.0);
        assert_eq!(r.commit.max_ms, 119.0);
        assert!((100.0..=106.0).contains(&r.commit.p50_ms), "{r:?}");
        assert_eq!(r.total_lag, Some(119));
        assert_eq!(r.max_total_lag, Some(119));
        let text = r.to_string();
        assert!(
            text.contains("SLA of db.<clicks> (RUNNING) over the last 5m"),
            "{text}"
        );
        assert!(text.contains("ingest → visible"), "{text}");
        assert!(text.contains("10.00 s"), "{text}");
        assert!(text.contains("lag 119 messages (p0 119, p1 ?)"), "{text}");
        let json = serde_json::to_string(&r).unwrap_or_default();
        let back: SlaReport = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
        assert_eq!(back, r);
        // An empty window says so.
        let empty = SlaReport::compute(&JobMetrics::new("x"), 60, now);
        assert!(empty.to_string().contains("no data"));
        assert!(empty.to_string().contains("lag unknown"));
    }

    #[test]
    fn plot_is_well_formed_svg() {
        let now = 1_700_000_000_000;
        let m = fed(now);
        let svg = plot_job(&m, 900, now);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("db.&lt;clicks&gt; — latency and lag, last 15m"));
        assert!(svg.contains("<polyline"));
        assert_eq!(svg.matches("<polyline").count(), 3, "{svg}");
        assert!(svg.contains("time (UTC)"));
        assert!(svg.contains(">10 s<"), "latency tick labels: {svg}");
        check_xml(&svg);
        // Nothing to plot: still valid, says so.
        let empty = plot_job(&JobMetrics::new("e"), 60, now);
        check_xml(&empty);
        assert_eq!(empty.matches("no data in this window").count(), 2);
    }

    /// A minimal well-formedness check: tags nest and close, attributes are quoted, no
    /// stray `&` or `<` in text.
    fn check_xml(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(open) = rest.find('<') {
            let text = &rest[..open];
            assert!(!text.contains('>'), "stray > in {text:?}");
            for (i, _) in text.match_indices('&') {
                let entity = &text[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                        .iter()
                        .any(|e| entity.starts_with(e)),
                    "bad entity at {entity:?}"
                );
            }
            let close = rest[open..]
                .find('>')
                .map(|c| open + c)
                .unwrap_or_else(|| panic!("unclosed tag"));
            let tag = &rest[open + 1..close];
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in <{tag}>"
            );
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap_or("");
                stack.push(name.to_string());
            }
            rest = &rest[close + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(nice_ticks(9.0), (vec![0.0, 5.0, 10.0], 10.0));
        assert_eq!(nice_ticks(0.0).1, 1.0);
        let (t, top) = nice_ticks(1234.0);
        assert!(top >= 1234.0 && t.len() <= 6, "{t:?}");
        let ticks = time_ticks(0, 900_000);
        assert!(
            ticks.iter().all(|t| t % 60_000 == 0) && (4..=9).contains(&ticks.len()),
            "{ticks:?}"
        );
        assert_eq!(clock(3_723_000), "01:02:03");
        assert_eq!(format_ms(0.25), "250 µs");
        assert_eq!(format_ms(12.34), "12.3 ms");
        assert_eq!(format_ms(125_000.0), "2m05s");
    }
}
