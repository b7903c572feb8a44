//! A hosted job's live metrics: counters, gauges and latency histograms fed by the run
//! (as a [`RunObserver`]) and by the host (state, lag).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::runtime::{EpochReport, RunObserver};

/// One job's metrics. Shared (`Arc`) between the run that feeds it and the endpoint that
/// reads it.
#[derive(Debug, Default)]
pub struct JobMetrics {
    /// `db.job`.
    pub name: String,
    loaded_rows: AtomicU64,
    filtered_rows: AtomicU64,
    unselected_rows: AtomicU64,
    bytes: AtomicU64,
    epochs_in_flight: AtomicU64,
    state: Mutex<String>,
    lag: Mutex<BTreeMap<i32, i64>>,
}

impl JobMetrics {
    /// Empty metrics for the job `name`.
    pub fn new(name: &str) -> Self {
        JobMetrics {
            name: name.to_string(),
            ..JobMetrics::default()
        }
    }

    /// The job's state changed.
    pub fn set_state(&self, state: &str) {
        if let Ok(mut s) = self.state.lock() {
            *s = state.to_string();
        }
    }

    /// The lag per partition (messages behind; `-1` unknown).
    pub fn set_lag(&self, lag: &BTreeMap<i32, i64>) {
        if let Ok(mut l) = self.lag.lock() {
            l.clone_from(lag);
        }
    }

    /// Rows loaded so far.
    pub fn loaded_rows(&self) -> u64 {
        self.loaded_rows.load(Ordering::Relaxed)
    }
}

impl RunObserver for JobMetrics {
    fn epoch_decided(&self, _epoch: u64, in_flight: usize) {
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
        self.epochs_in_flight.fetch_sub(
            1.min(self.epochs_in_flight.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
    }
}
