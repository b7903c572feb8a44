//! A hosted job's live metrics: counters and gauges, latency distributions kept over time,
//! and a bounded time series for plots, all fed by the run (as a [`RunObserver`]) and by the
//! host (state, lag); and the Prometheus text exposition of every job's metrics.
//!
//! Two latencies are kept per job, each as HdrHistograms in time buckets:
//!
//! - **ingest to visible**: `visible_at_ms − message timestamp`, for every sampled message
//!   timestamp of an epoch, each counted for as many messages as it stands for;
//! - **commit**: the epoch's `commit_ms` (decision to confirmed commit).
//!
//! Buckets are 10 s wide for the last hour and 5 min wide for the 12 hours before (older
//! 10 s buckets are merged into 5 min ones), so an SLA over any window is the merge of the
//! buckets it covers, with memory bounded by [`MAX_BUCKETS`] (measured: about 6.5 MB for a
//! day of epochs every 2 s with latencies up to a minute). Values are recorded with two
//! significant digits (quantiles are exact to within 1 %); maxima are kept exactly.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use hdrhistogram::Histogram;

use routinely_operators::dataflow::{Epoch, PartitionRange};

use crate::runtime::{EpochReport, RunObserver};

/// Doris's job states, in the order `routinely_job_state` lists them.
pub const JOB_STATES: [&str; 5] = ["NEED_SCHEDULE", "RUNNING", "PAUSED", "STOPPED", "CANCELLED"];

/// Width of a recent latency bucket.
pub const FINE_BUCKET_MS: i64 = 10_000;
/// How long recent buckets are kept before being merged into coarse ones.
pub const FINE_SPAN_MS: i64 = 3_600_000;
/// Width of an older latency bucket.
pub const COARSE_BUCKET_MS: i64 = 300_000;
/// How long coarse buckets are kept (beyond the fine span).
pub const COARSE_SPAN_MS: i64 = 12 * 3_600_000;
/// Most latency buckets a job keeps (fine plus coarse).
pub const MAX_BUCKETS: usize =
    (FINE_SPAN_MS / FINE_BUCKET_MS + COARSE_SPAN_MS / COARSE_BUCKET_MS) as usize + 2;
/// Most points kept in each time series; when full, the older half is thinned by merging
/// neighbours, so the series always covers the whole run with recent points at full detail.
pub const MAX_POINTS: usize = 4096;

/// Lag points closer than this to the previous one replace it.
const LAG_POINT_MIN_GAP_MS: i64 = 1_000;
/// Significant digits of the latency histograms.
const SIGFIG: u8 = 2;

/// Upper bounds (seconds) of the Prometheus commit latency histogram.
const COMMIT_BOUNDS_S: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// Upper bounds (seconds) of the Prometheus ingest-to-visible histogram.
const INGEST_BOUNDS_S: [f64; 15] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];

/// A summary of one latency distribution (milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct LatencySummary {
    /// Values recorded (messages for ingest latency, epochs for commit latency).
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest value (exact).
    pub max_ms: f64,
}

/// One committed epoch in the latency time series.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EpochPoint {
    /// When the epoch became visible (ms since the Unix epoch).
    pub t_ms: i64,
    /// The epoch's ingest-to-visible P99 (ms), if it had message timestamps.
    pub ingest_p99_ms: Option<f64>,
    /// The epoch's largest ingest-to-visible latency (ms).
    pub ingest_max_ms: Option<f64>,
    /// The epoch's commit latency (ms).
    pub commit_ms: f64,
}

/// Total lag at one time.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LagPoint {
    /// When (ms since the Unix epoch).
    pub t_ms: i64,
    /// Messages behind over all partitions with a known lag.
    pub total: i64,
}

/// One job's metrics. Shared (`Arc`) between the run that feeds it and the endpoint that
/// reads it; every method takes `&self`.
#[derive(Debug)]
pub struct JobMetrics {
    /// `db.job`.
    pub name: String,
    loaded_rows: AtomicU64,
    filtered_rows: AtomicU64,
    unselected_rows: AtomicU64,
    bytes: AtomicU64,
    messages: AtomicU64,
    committed_epochs: AtomicU64,
    epochs_in_flight: AtomicU64,
    inner: Mutex<Inner>,
}

/// What needs a lock.
#[derive(Debug)]
struct Inner {
    state: String,
    lag: BTreeMap<i32, i64>,
    buckets: Buckets,
    commit_prom: PromHistogram,
    ingest_prom: PromHistogram,
    epochs: Series<EpochPoint>,
    lags: Series<LagPoint>,
}

impl JobMetrics {
    /// Empty metrics for the job `name`.
    pub fn new(name: &str) -> Self {
        JobMetrics {
            name: name.to_string(),
            loaded_rows: AtomicU64::new(0),
            filtered_rows: AtomicU64::new(0),
            unselected_rows: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            messages: AtomicU64::new(0),
            committed_epochs: AtomicU64::new(0),
            epochs_in_flight: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                state: String::new(),
                lag: BTreeMap::new(),
                buckets: Buckets::default(),
                commit_prom: PromHistogram::new(&COMMIT_BOUNDS_S),
                ingest_prom: PromHistogram::new(&INGEST_BOUNDS_S),
                epochs: Series::default(),
                lags: Series::default(),
            }),
        }
    }

    /// Locks the inner state; a panic elsewhere while it was held leaves it usable.
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The job's state changed.
    pub fn set_state(&self, state: &str) {
        self.inner().state = state.to_string();
    }

    /// The job's current state (empty until set).
    pub fn state(&self) -> String {
        self.inner().state.clone()
    }

    /// The lag per partition (messages behind; `-1` unknown), now; also a lag point.
    pub fn set_lag(&self, lag: &BTreeMap<i32, i64>) {
        self.set_lag_at(lag, crate::progress::now_ms());
    }

    /// [`JobMetrics::set_lag`] at a given time (ms since the Unix epoch).
    pub fn set_lag_at(&self, lag: &BTreeMap<i32, i64>, t_ms: i64) {
        let mut inner = self.inner();
        inner.lag.clone_from(lag);
        if let Some(total) = total_lag(lag) {
            let point = LagPoint { t_ms, total };
            match inner.lags.points.back_mut() {
                Some(last) if (t_ms - last.t_ms).abs() < LAG_POINT_MIN_GAP_MS => *last = point,
                _ => inner.lags.push(point),
            }
        }
    }

    /// The latest lag per partition.
    pub fn lag(&self) -> BTreeMap<i32, i64> {
        self.inner().lag.clone()
    }

    /// Rows loaded so far.
    pub fn loaded_rows(&self) -> u64 {
        self.loaded_rows.load(Ordering::Relaxed)
    }

    /// Rows filtered (error rows) so far.
    pub fn filtered_rows(&self) -> u64 {
        self.filtered_rows.load(Ordering::Relaxed)
    }

    /// Rows unselected (WHERE / PRECEDING FILTER) so far.
    pub fn unselected_rows(&self) -> u64 {
        self.unselected_rows.load(Ordering::Relaxed)
    }

    /// Message bytes received so far.
    pub fn received_bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Messages received so far.
    pub fn messages(&self) -> u64 {
        self.messages.load(Ordering::Relaxed)
    }

    /// Epochs committed so far.
    pub fn committed_epochs(&self) -> u64 {
        self.committed_epochs.load(Ordering::Relaxed)
    }

    /// Epochs decided and not yet committed.
    pub fn epochs_in_flight(&self) -> u64 {
        self.epochs_in_flight.load(Ordering::Relaxed)
    }

    /// Ingest-to-visible and commit latency over `[from_ms, to_ms]` (bucket granularity:
    /// 10 s within the last hour of data, 5 min before).
    pub fn latency_between(&self, from_ms: i64, to_ms: i64) -> (LatencySummary, LatencySummary) {
        self.inner().buckets.summarize(from_ms, to_ms)
    }

    /// The epoch points with `from_ms <= t_ms <= to_ms`.
    pub fn epoch_points(&self, from_ms: i64, to_ms: i64) -> Vec<EpochPoint> {
        self.inner().epochs.between(from_ms, to_ms, |p| p.t_ms)
    }

    /// The lag points with `from_ms <= t_ms <= to_ms`.
    pub fn lag_points(&self, from_ms: i64, to_ms: i64) -> Vec<LagPoint> {
        self.inner().lags.between(from_ms, to_ms, |p| p.t_ms)
    }

    /// Latency buckets held now (bounded by [`MAX_BUCKETS`]).
    pub fn bucket_count(&self) -> usize {
        let inner = self.inner();
        inner.buckets.fine.len() + inner.buckets.coarse.len()
    }

    /// Bytes held by the latency histograms' counters (for sizing).
    pub fn histogram_bytes(&self) -> usize {
        let inner = self.inner();
        inner
            .buckets
            .fine
            .iter()
            .chain(inner.buckets.coarse.iter())
            .map(|b| (b.ingest.distinct_values() + b.commit.distinct_values()) * 4)
            .sum()
    }

    /// Records one committed epoch's latencies (the counters are left alone).
    fn record_latencies(&self, r: &EpochReport) {
        let ingest = ingest_latencies(&r.ranges, r.visible_at_ms);
        let commit_us = (r.commit_ms.max(0.0) * 1000.0).round() as u64;
        let mut inner = self.inner();
        let t = r.visible_at_ms;
        let bucket = inner.buckets.bucket_at(t);
        for &(ms, n) in &ingest {
            record(&mut bucket.ingest, ms, n);
            bucket.ingest_max = bucket.ingest_max.max(ms);
        }
        record(&mut bucket.commit, commit_us, 1);
        bucket.commit_max_us = bucket.commit_max_us.max(commit_us);
        inner.buckets.evict(t);
        for &(ms, n) in &ingest {
            inner.ingest_prom.observe_n(ms as f64 / 1000.0, n);
        }
        inner
            .commit_prom
            .observe_n(r.commit_ms.max(0.0) / 1000.0, 1);
        inner.epochs.push(EpochPoint {
            t_ms: t,
            ingest_p99_ms: weighted_quantile(&ingest, 0.99).map(|v| v as f64),
            ingest_max_ms: ingest.iter().map(|&(v, _)| v).max().map(|v| v as f64),
            commit_ms: r.commit_ms.max(0.0),
        });
    }
}

impl RunObserver for JobMetrics {
    fn run_started(&self, _generation: u64) {
        self.epochs_in_flight.store(0, Ordering::Relaxed);
    }

    fn epoch_decided(&self, _epoch: Epoch, in_flight: usize) {
        self.epochs_in_flight
            .store(in_flight as u64, Ordering::Relaxed);
    }

    fn epoch_committed(&self, r: &EpochReport) {
        self.loaded_rows
            .fetch_add(r.counts.loaded, Ordering::Relaxed);
        self.filtered_rows
            .fetch_add(r.counts.filtered, Ordering::Relaxed);
        self.unselected_rows
            .fetch_add(r.counts.unselected, Ordering::Relaxed);
        self.bytes.fetch_add(r.counts.bytes, Ordering::Relaxed);
        self.messages
            .fetch_add(r.counts.messages, Ordering::Relaxed);
        self.committed_epochs.fetch_add(1, Ordering::Relaxed);
        // Saturating decrement: a commit without a decision seen (a recovered epoch) must
        // not wrap.
        let _ = self
            .epochs_in_flight
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(1))
            });
        self.record_latencies(r);
    }
}

/// Sum of the known (non-negative) lags; `None` when no partition's lag is known.
pub fn total_lag(lag: &BTreeMap<i32, i64>) -> Option<i64> {
    let known: Vec<i64> = lag.values().copied().filter(|&l| l >= 0).collect();
    (!known.is_empty()).then(|| known.iter().sum())
}

/// An epoch's ingest-to-visible latencies (ms, clamped at 0) with how many messages each
/// stands for. A range's sampled timestamps share its messages as evenly as whole numbers
/// allow (the counts add up to exactly the messages sampled); a range without a sample
/// falls back to its largest timestamp for all its messages; a range with neither is
/// skipped.
pub fn ingest_latencies(ranges: &[PartitionRange], visible_at_ms: i64) -> Vec<(u64, u64)> {
    let latency = |ts: i64| visible_at_ms.saturating_sub(ts).max(0) as u64;
    let mut out = Vec::new();
    for range in ranges {
        let sample = &range.ts_sample;
        let values = sample.values();
        if values.is_empty() {
            if let Some(ts) = range.max_timestamp_ms.filter(|&ts| ts >= 0) {
                out.push((latency(ts), range.messages.max(1)));
            }
            continue;
        }
        let seen = u128::from(sample.messages().max(values.len() as u64));
        let len = values.len() as u128;
        // Message i of the sample covers [round(i·seen/len), round((i+1)·seen/len)).
        let edge = |i: u128| ((i * seen * 2 + len) / (len * 2)) as u64;
        for (i, &ts) in values.iter().enumerate() {
            let n = edge(i as u128 + 1) - edge(i as u128);
            if n > 0 {
                out.push((latency(ts), n));
            }
        }
    }
    out
}

/// The `q` quantile of weighted values (the smallest value with at least `q` of the weight
/// at or below it).
fn weighted_quantile(values: &[(u64, u64)], q: f64) -> Option<u64> {
    let total: u64 = values.iter().map(|&(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
    let mut seen = 0;
    for (v, n) in sorted {
        seen += n;
        if seen >= rank {
            return Some(v);
        }
    }
    None
}

/// One time bucket of both latency distributions.
#[derive(Debug, Clone)]
struct Bucket {
    start_ms: i64,
    /// Ingest-to-visible latency, ms.
    ingest: Histogram<u32>,
    ingest_max: u64,
    /// Commit latency, µs.
    commit: Histogram<u32>,
    commit_max_us: u64,
}

impl Bucket {
    fn new(start_ms: i64) -> Bucket {
        Bucket {
            start_ms,
            ingest: new_histogram(),
            ingest_max: 0,
            commit: new_histogram(),
            commit_max_us: 0,
        }
    }

    fn merge(&mut self, other: &Bucket) {
        // Auto-resizing histograms of the same precision always add.
        let _ = self.ingest.add(&other.ingest);
        let _ = self.commit.add(&other.commit);
        self.ingest_max = self.ingest_max.max(other.ingest_max);
        self.commit_max_us = self.commit_max_us.max(other.commit_max_us);
    }
}

/// Records `n` values, growing the histogram as needed (`saturating_record` would clamp to
/// its current top instead of growing).
fn record(h: &mut Histogram<u32>, value: u64, n: u64) {
    let n = u32::try_from(n).unwrap_or(u32::MAX);
    if h.record_n(value, n).is_err() {
        // Only past i64::MAX / 2: clamp.
        h.saturating_record_n(value, n);
    }
}

fn new_histogram() -> Histogram<u32> {
    match Histogram::new(SIGFIG) {
        Ok(h) => h,
        // SIGFIG is in hdrhistogram's accepted range (0..=5).
        Err(_) => unreachable!("valid histogram precision"),
    }
}

/// The ring of latency buckets: fine ones (recent), coarse ones (older), both in time order.
#[derive(Debug, Clone, Default)]
struct Buckets {
    fine: VecDeque<Bucket>,
    coarse: VecDeque<Bucket>,
}

impl Buckets {
    /// The bucket for time `t`, created if needed.
    fn bucket_at(&mut self, t: i64) -> &mut Bucket {
        let fine_start = t - t.rem_euclid(FINE_BUCKET_MS);
        let newest = self.fine.back().map_or(i64::MIN, |b| b.start_ms);
        if fine_start > newest {
            self.fine.push_back(Bucket::new(fine_start));
            let last = self.fine.len() - 1;
            return &mut self.fine[last];
        }
        let oldest_fine = self.fine.front().map_or(i64::MAX, |b| b.start_ms);
        if fine_start >= oldest_fine {
            // Late but within the fine ring: find or insert in order.
            let at = self.fine.partition_point(|b| b.start_ms < fine_start);
            if self.fine.get(at).is_none_or(|b| b.start_ms != fine_start) {
                self.fine.insert(at, Bucket::new(fine_start));
            }
            return &mut self.fine[at];
        }
        let coarse_start = t - t.rem_euclid(COARSE_BUCKET_MS);
        let at = self.coarse.partition_point(|b| b.start_ms < coarse_start);
        if self
            .coarse
            .get(at)
            .is_none_or(|b| b.start_ms != coarse_start)
        {
            self.coarse.insert(at, Bucket::new(coarse_start));
        }
        &mut self.coarse[at]
    }

    /// Moves fine buckets older than the fine span (relative to `t`, the newest data) into
    /// coarse ones and drops coarse buckets older than the coarse span.
    fn evict(&mut self, t: i64) {
        let newest = self.fine.back().map_or(t, |b| b.start_ms.max(t));
        while self
            .fine
            .front()
            .is_some_and(|b| b.start_ms + FINE_SPAN_MS <= newest)
        {
            let Some(old) = self.fine.pop_front() else {
                break;
            };
            let coarse_start = old.start_ms - old.start_ms.rem_euclid(COARSE_BUCKET_MS);
            match self.coarse.back_mut() {
                Some(c) if c.start_ms == coarse_start => c.merge(&old),
                _ => {
                    let mut c = Bucket::new(coarse_start);
                    c.merge(&old);
                    self.coarse.push_back(c);
                }
            }
        }
        while self
            .coarse
            .front()
            .is_some_and(|b| b.start_ms + COARSE_SPAN_MS + FINE_SPAN_MS <= newest)
        {
            self.coarse.pop_front();
        }
    }

    /// Both distributions over the buckets overlapping `[from_ms, to_ms]`.
    fn summarize(&self, from_ms: i64, to_ms: i64) -> (LatencySummary, LatencySummary) {
        let mut total = Bucket::new(0);
        let overlapping =
            |b: &&Bucket, width: i64| b.start_ms + width > from_ms && b.start_ms <= to_ms;
        for b in self
            .coarse
            .iter()
            .filter(|b| overlapping(b, COARSE_BUCKET_MS))
        {
            total.merge(b);
        }
        for b in self.fine.iter().filter(|b| overlapping(b, FINE_BUCKET_MS)) {
            total.merge(b);
        }
        (
            summary(&total.ingest, total.ingest_max as f64, 1.0),
            summary(&total.commit, total.commit_max_us as f64 / 1000.0, 1000.0),
        )
    }
}

/// A histogram's summary in ms; `per_ms` is the recorded units per millisecond.
fn summary(h: &Histogram<u32>, max_ms: f64, per_ms: f64) -> LatencySummary {
    if h.is_empty() {
        return LatencySummary::default();
    }
    // hdrhistogram answers a quantile with the highest value equivalent to the one found;
    // the exact maximum caps it.
    let q = |q: f64| (h.value_at_quantile(q) as f64 / per_ms).min(max_ms);
    LatencySummary {
        count: h.len(),
        p50_ms: q(0.50),
        p95_ms: q(0.95),
        p99_ms: q(0.99),
        max_ms,
    }
}

/// A bounded time series: when full, the older half is thinned by merging neighbours.
#[derive(Debug, Clone)]
struct Series<P> {
    points: VecDeque<P>,
}

impl<P> Default for Series<P> {
    fn default() -> Self {
        Series {
            points: VecDeque::new(),
        }
    }
}

/// Merging two neighbouring points into one (the earlier time, the worse values), so the
/// series keeps its start.
trait Mergeable: Copy {
    fn merge(self, later: Self) -> Self;
}

impl Mergeable for EpochPoint {
    fn merge(self, later: Self) -> Self {
        let max = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        EpochPoint {
            t_ms: self.t_ms,
            ingest_p99_ms: max(self.ingest_p99_ms, later.ingest_p99_ms),
            ingest_max_ms: max(self.ingest_max_ms, later.ingest_max_ms),
            commit_ms: self.commit_ms.max(later.commit_ms),
        }
    }
}

impl Mergeable for LagPoint {
    fn merge(self, later: Self) -> Self {
        LagPoint {
            t_ms: self.t_ms,
            total: self.total.max(later.total),
        }
    }
}

impl<P: Mergeable> Series<P> {
    fn push(&mut self, point: P) {
        if self.points.len() >= MAX_POINTS {
            let half = self.points.len() / 2;
            let older: Vec<P> = self.points.drain(..half).collect();
            let thinned: Vec<P> = older
                .chunks(2)
                .map(|pair| match pair {
                    [a, b] => a.merge(*b),
                    [a] => *a,
                    _ => unreachable!("chunks of two"),
                })
                .collect();
            for p in thinned.into_iter().rev() {
                self.points.push_front(p);
            }
        }
        self.points.push_back(point);
    }

    fn between(&self, from_ms: i64, to_ms: i64, t: impl Fn(&P) -> i64) -> Vec<P> {
        self.points
            .iter()
            .filter(|p| (from_ms..=to_ms).contains(&t(p)))
            .copied()
            .collect()
    }
}

/// A cumulative Prometheus histogram with fixed upper bounds (seconds).
#[derive(Debug, Clone)]
struct PromHistogram {
    bounds: &'static [f64],
    /// Per bound, observations `<= bound` (not cumulative; summed when rendered).
    counts: Vec<u64>,
    count: u64,
    sum: f64,
}

impl PromHistogram {
    fn new(bounds: &'static [f64]) -> Self {
        PromHistogram {
            bounds,
            counts: vec![0; bounds.len()],
            count: 0,
            sum: 0.0,
        }
    }

    fn observe_n(&mut self, seconds: f64, n: u64) {
        let at = self.bounds.partition_point(|&b| b < seconds);
        if let Some(c) = self.counts.get_mut(at) {
            *c += n;
        }
        self.count += n;
        self.sum += seconds * n as f64;
    }
}

/// What the exposition reads under the lock, copied so the lock is held briefly.
struct Snapshot {
    state: String,
    lag: BTreeMap<i32, i64>,
    commit_prom: PromHistogram,
    ingest_prom: PromHistogram,
}

/// Escapes a Prometheus label value (`\`, `"`, newline).
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Prometheus's float form: `+Inf`, `-Inf`, `NaN`, else Rust's shortest round-trip form.
fn prom_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

/// Every job's metrics in the Prometheus text exposition format (version 0.0.4): each
/// family once, with its `# HELP` and `# TYPE`, then one sample per job (and label set).
pub fn render_prometheus(jobs: &[Arc<JobMetrics>]) -> String {
    let mut out = String::new();
    let snapshots: Vec<(String, &JobMetrics, Snapshot)> = jobs
        .iter()
        .map(|j| {
            let inner = j.inner();
            let copy = Snapshot {
                state: inner.state.clone(),
                lag: inner.lag.clone(),
                commit_prom: inner.commit_prom.clone(),
                ingest_prom: inner.ingest_prom.clone(),
            };
            (escape_label(&j.name), j.as_ref(), copy)
        })
        .collect();
    let header = |out: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
    };
    let counters: [(&str, &str, fn(&JobMetrics) -> u64); 6] = [
        (
            "routinely_rows_loaded_total",
            "Rows loaded into the table.",
            JobMetrics::loaded_rows,
        ),
        (
            "routinely_rows_filtered_total",
            "Rows rejected for data quality (error rows).",
            JobMetrics::filtered_rows,
        ),
        (
            "routinely_rows_unselected_total",
            "Rows removed by PRECEDING FILTER or WHERE.",
            JobMetrics::unselected_rows,
        ),
        (
            "routinely_received_bytes_total",
            "Kafka message value bytes received.",
            JobMetrics::received_bytes,
        ),
        (
            "routinely_received_messages_total",
            "Kafka messages received.",
            JobMetrics::messages,
        ),
        (
            "routinely_committed_epochs_total",
            "Epochs committed to the sink.",
            JobMetrics::committed_epochs,
        ),
    ];
    for (name, help, get) in counters {
        header(&mut out, name, "counter", help);
        for (job, m, _) in &snapshots {
            let _ = writeln!(out, "{name}{{job=\"{job}\"}} {}", get(m));
        }
    }
    header(
        &mut out,
        "routinely_partition_lag",
        "gauge",
        "Messages behind the partition's end (-1: unknown).",
    );
    for (job, _, inner) in &snapshots {
        for (p, lag) in &inner.lag {
            let _ = writeln!(
                out,
                "routinely_partition_lag{{job=\"{job}\",partition=\"{p}\"}} {lag}"
            );
        }
    }
    header(
        &mut out,
        "routinely_epochs_in_flight",
        "gauge",
        "Epochs decided and not yet committed.",
    );
    for (job, m, _) in &snapshots {
        let _ = writeln!(
            out,
            "routinely_epochs_in_flight{{job=\"{job}\"}} {}",
            m.epochs_in_flight()
        );
    }
    header(
        &mut out,
        "routinely_job_state",
        "gauge",
        "1 for the job's current state, 0 for the others.",
    );
    for (job, _, inner) in &snapshots {
        for state in JOB_STATES {
            let _ = writeln!(
                out,
                "routinely_job_state{{job=\"{job}\",state=\"{state}\"}} {}",
                u8::from(inner.state == state)
            );
        }
    }
    let histograms: [(&str, &str, fn(&Snapshot) -> &PromHistogram); 2] = [
        (
            "routinely_epoch_commit_latency_seconds",
            "Time from an epoch's decision to its confirmed commit.",
            |i| &i.commit_prom,
        ),
        (
            "routinely_ingest_to_visible_seconds",
            "Time from a message's Kafka timestamp to its epoch being visible in the sink.",
            |i| &i.ingest_prom,
        ),
    ];
    for (name, help, get) in histograms {
        header(&mut out, name, "histogram", help);
        for (job, _, inner) in &snapshots {
            let h = get(inner);
            let mut cumulative = 0;
            for (bound, n) in h.bounds.iter().zip(&h.counts) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "{name}_bucket{{job=\"{job}\",le=\"{}\"}} {cumulative}",
                    prom_float(*bound)
                );
            }
            let _ = writeln!(
                out,
                "{name}_bucket{{job=\"{job}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "{name}_sum{{job=\"{job}\"}} {}", prom_float(h.sum));
            let _ = writeln!(out, "{name}_count{{job=\"{job}\"}} {}", h.count);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use routinely_operators::dataflow::TsSample;
    use routinely_operators::row::RowCounts;

    fn range(partition: i32, timestamps: &[i64]) -> PartitionRange {
        let mut ts_sample = TsSample::default();
        for &t in timestamps {
            ts_sample.offer(t);
        }
        PartitionRange {
            partition,
            start: 0,
            end: timestamps.len() as i64,
            messages: timestamps.len() as u64,
            bytes: 10 * timestamps.len() as u64,
            max_timestamp_ms: timestamps.iter().copied().max(),
            ts_sample,
        }
    }

    fn report(
        epoch: u64,
        visible_at_ms: i64,
        commit_ms: f64,
        ranges: Vec<PartitionRange>,
    ) -> EpochReport {
        let messages: u64 = ranges.iter().map(|r| r.messages).sum();
        EpochReport {
            epoch,
            counts: RowCounts {
                total: messages,
                loaded: messages.saturating_sub(1),
                filtered: 1,
                unselected: 0,
                messages,
                bytes: 10 * messages,
            },
            ranges,
            decided_at_ms: visible_at_ms - commit_ms as i64,
            visible_at_ms,
            commit_ms,
        }
    }

    #[test]
    fn sampled_timestamps_count_for_every_message() {
        // 1000 messages, 1 ms apart: the sample keeps ≤ 32, each standing for ~31 messages.
        let ts: Vec<i64> = (0..1000).collect();
        let r = range(0, &ts);
        assert!(r.ts_sample.values().len() <= TsSample::CAPACITY);
        let lat = ingest_latencies(&[r], 2000);
        assert_eq!(lat.iter().map(|&(_, n)| n).sum::<u64>(), 1000);
        // The first message is always kept: the largest latency is 2000 ms.
        assert_eq!(lat.iter().map(|&(v, _)| v).max(), Some(2000));
        // The weighted median is close to the true median (1500 ms).
        let median = weighted_quantile(&lat, 0.5).unwrap_or(0);
        assert!((1450..=1550).contains(&median), "median {median}");
    }

    #[test]
    fn ranges_without_samples_fall_back_or_are_skipped() {
        let mut no_sample = range(1, &[]);
        no_sample.messages = 5;
        no_sample.max_timestamp_ms = Some(900);
        let empty = range(2, &[]);
        let lat = ingest_latencies(&[no_sample, empty], 1000);
        assert_eq!(lat, vec![(100, 5)]);
        // A message stamped after it became visible (clock skew) counts as 0.
        assert_eq!(ingest_latencies(&[range(0, &[1500])], 1000), vec![(0, 1)]);
    }

    #[test]
    fn observer_feeds_counters_and_histograms() {
        let m = JobMetrics::new("db.job");
        m.epoch_decided(1, 2);
        assert_eq!(m.epochs_in_flight(), 2);
        // 100 messages stamped 100..=1 ms before the epoch is visible at t = 1_000_000.
        let ts: Vec<i64> = (0..100).map(|i| 1_000_000 - 100 + i).collect();
        m.epoch_committed(&report(1, 1_000_000, 250.0, vec![range(0, &ts)]));
        assert_eq!(m.epochs_in_flight(), 1);
        assert_eq!(m.loaded_rows(), 99);
        assert_eq!(m.filtered_rows(), 1);
        assert_eq!(m.received_bytes(), 1000);
        assert_eq!(m.committed_epochs(), 1);
        let (ingest, commit) = m.latency_between(990_000, 1_000_000);
        assert_eq!(ingest.count, 100);
        assert_eq!(ingest.max_ms, 100.0);
        assert!((45.0..=56.0).contains(&ingest.p50_ms), "{ingest:?}");
        assert!((95.0..=100.0).contains(&ingest.p99_ms), "{ingest:?}");
        assert_eq!(commit.count, 1);
        assert!((commit.p50_ms - 250.0).abs() <= 2.5, "{commit:?}");
        assert_eq!(commit.max_ms, 250.0);
        // Commits past zero in flight do not wrap.
        m.epoch_committed(&report(2, 1_000_100, 1.0, vec![]));
        m.epoch_committed(&report(3, 1_000_200, 1.0, vec![]));
        assert_eq!(m.epochs_in_flight(), 0);
    }

    #[test]
    fn windows_merge_the_buckets_they_cover() {
        let m = JobMetrics::new("j");
        let t0 = 10_000_000;
        // One epoch per minute for two hours: commit latency = minute index (ms).
        for i in 0..120_i64 {
            let t = t0 + i * 60_000;
            m.epoch_committed(&report(
                i as u64,
                t,
                i as f64 + 1.0,
                vec![range(0, &[t - 10])],
            ));
        }
        let end = t0 + 119 * 60_000;
        // The last 10 minutes: epochs 110..=119 (window edges fall on bucket edges here).
        let (ingest, commit) = m.latency_between(end - 9 * 60_000, end);
        assert_eq!(commit.count, 10);
        assert_eq!(commit.max_ms, 120.0);
        assert!(commit.p50_ms >= 110.0, "{commit:?}");
        assert_eq!(ingest.count, 10);
        assert_eq!(ingest.max_ms, 10.0);
        // Everything, fine and coarse buckets together.
        let (_, all) = m.latency_between(0, end);
        assert_eq!(all.count, 120);
        assert_eq!(all.max_ms, 120.0);
        // The first hour was merged into coarse buckets, but stays queryable.
        let (_, first) = m.latency_between(t0, t0 + 30 * 60_000 - 1);
        assert!(first.count >= 30 && first.count <= 35, "{first:?}");
        assert!(m.bucket_count() <= 360 + 12 + 2, "{}", m.bucket_count());
        // Nothing in an empty window.
        assert_eq!(m.latency_between(0, t0 - COARSE_BUCKET_MS).1.count, 0);
    }

    #[test]
    fn memory_stays_bounded_over_a_long_run() {
        let m = JobMetrics::new("j");
        // One epoch every 2 s for 24 hours, latencies up to ~60 s.
        let t0 = 1_700_000_000_000;
        for i in 0..43_200_i64 {
            let t = t0 + i * 2_000;
            let ts = [t - 100 - (i % 60_000), t - 50];
            m.epoch_committed(&report(i as u64, t, (i % 5000) as f64, vec![range(0, &ts)]));
        }
        assert!(m.bucket_count() <= MAX_BUCKETS, "{}", m.bucket_count());
        let inner = m.inner();
        assert!(inner.epochs.points.len() <= MAX_POINTS);
        // The series still reaches back to the oldest kept time and ends at the newest.
        assert_eq!(
            inner.epochs.points.back().map(|p| p.t_ms),
            Some(t0 + 43_199 * 2_000)
        );
        assert_eq!(
            inner
                .epochs
                .points
                .front()
                .map(|p| p.t_ms)
                .map(|t| t < t0 + 3_600_000),
            Some(true)
        );
        drop(inner);
        let bytes = m.histogram_bytes();
        assert!(bytes < 8 << 20, "{bytes} bytes of histogram counters");
    }

    #[test]
    fn lag_points_are_kept_and_deduplicated() {
        let m = JobMetrics::new("j");
        m.set_lag_at(&BTreeMap::from([(0, 5), (1, -1)]), 1_000);
        m.set_lag_at(&BTreeMap::from([(0, 7), (1, 3)]), 1_500);
        m.set_lag_at(&BTreeMap::from([(0, 1), (1, 1)]), 5_000);
        m.set_lag_at(&BTreeMap::from([(0, -1)]), 9_000);
        assert_eq!(
            m.lag_points(0, 10_000),
            vec![
                LagPoint {
                    t_ms: 1_500,
                    total: 10
                },
                LagPoint {
                    t_ms: 5_000,
                    total: 2
                }
            ]
        );
        assert_eq!(m.lag(), BTreeMap::from([(0, -1)]));
    }

    #[test]
    fn prometheus_text_is_well_formed() {
        let m = Arc::new(JobMetrics::new("db.\"job\"\\x"));
        m.set_state("RUNNING");
        m.set_lag_at(&BTreeMap::from([(0, 12), (3, -1)]), 1);
        m.epoch_decided(1, 1);
        m.epoch_committed(&report(1, 100_000, 20.0, vec![range(0, &[99_000, 99_500])]));
        let other = Arc::new(JobMetrics::new("db.other"));
        let text = render_prometheus(&[Arc::clone(&m), other]);
        let job = r#"job="db.\"job\"\\x""#;
        for line in [
            format!("routinely_rows_loaded_total{{{job}}} 1"),
            format!("routinely_rows_filtered_total{{{job}}} 1"),
            format!("routinely_received_bytes_total{{{job}}} 20"),
            format!("routinely_committed_epochs_total{{{job}}} 1"),
            format!("routinely_partition_lag{{{job},partition=\"0\"}} 12"),
            format!("routinely_partition_lag{{{job},partition=\"3\"}} -1"),
            format!("routinely_epochs_in_flight{{{job}}} 0"),
            format!("routinely_job_state{{{job},state=\"RUNNING\"}} 1"),
            format!("routinely_job_state{{{job},state=\"PAUSED\"}} 0"),
            "routinely_job_state{job=\"db.other\",state=\"RUNNING\"} 0".to_string(),
            format!("routinely_epoch_commit_latency_seconds_bucket{{{job},le=\"0.01\"}} 0"),
            format!("routinely_epoch_commit_latency_seconds_bucket{{{job},le=\"0.025\"}} 1"),
            format!("routinely_epoch_commit_latency_seconds_bucket{{{job},le=\"+Inf\"}} 1"),
            format!("routinely_epoch_commit_latency_seconds_sum{{{job}}} 0.02"),
            format!("routinely_epoch_commit_latency_seconds_count{{{job}}} 1"),
            format!("routinely_ingest_to_visible_seconds_bucket{{{job},le=\"0.5\"}} 1"),
            format!("routinely_ingest_to_visible_seconds_bucket{{{job},le=\"1\"}} 2"),
            format!("routinely_ingest_to_visible_seconds_count{{{job}}} 2"),
            "# TYPE routinely_epoch_commit_latency_seconds histogram".to_string(),
            "# TYPE routinely_rows_loaded_total counter".to_string(),
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in\n{text}"
            );
        }
        // Every family is declared once, before its samples, and every sample line parses
        // as `name{labels} value`.
        let mut declared = Vec::new();
        for l in text.lines() {
            if let Some(rest) = l.strip_prefix("# TYPE ") {
                let name = rest.split(' ').next().unwrap_or("");
                assert!(
                    !declared.contains(&name.to_string()),
                    "{name} declared twice"
                );
                declared.push(name.to_string());
            } else if !l.starts_with("# HELP ") {
                let (series, value) = l.rsplit_once(' ').unwrap_or(("", ""));
                assert!(value.parse::<f64>().is_ok() || value == "+Inf", "{l}");
                let name = series.split('{').next().unwrap_or("");
                assert!(
                    declared.iter().any(|d| name == d
                        || name
                            .strip_prefix(d.as_str())
                            .is_some_and(|s| matches!(s, "_bucket" | "_sum" | "_count"))),
                    "{name} sampled before its TYPE"
                );
                assert!(series.ends_with('}'), "{l}");
            }
        }
    }
}
