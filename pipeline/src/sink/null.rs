//! The null sink: rows are discarded and there is nothing to commit. For benchmarks of the
//! source and the row path (the progress store still records every epoch). Optionally it
//! accepts rows no faster than a given rate, to stand in for a slow sink (backpressure).

use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use routinely_operators::dataflow::load::{SinkError, TxnSink};
use routinely_operators::dataflow::{Decision, Epoch};
use routinely_operators::row::RejectedRow;

use super::{CommitOutcome, EpochCommitter};

/// A [`TxnSink`] that discards everything; its handle is `""`.
#[derive(Debug, Clone, Default)]
pub struct NullSink {
    /// Rows per second this sink accepts, if limited.
    rate: Option<f64>,
    /// When the rows accepted so far are "written" at `rate`.
    busy_until: Option<Instant>,
}

impl NullSink {
    /// A null sink; with `rate`, `write` blocks so that this sink (one worker's) takes at
    /// most `rate` rows per second, with no credit for idle time.
    pub fn new(rate: Option<f64>) -> Self {
        NullSink {
            rate: rate.filter(|r| r.is_finite() && *r > 0.0),
            busy_until: None,
        }
    }

    /// The rate limit, rows per second.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }
}

impl TxnSink for NullSink {
    fn begin(&mut self, _epoch: Epoch) -> Result<(), SinkError> {
        Ok(())
    }

    fn write(&mut self, _epoch: Epoch, batch: &RecordBatch) -> Result<(), SinkError> {
        if let Some(rate) = self.rate {
            let now = Instant::now();
            let start = self.busy_until.filter(|b| *b > now).unwrap_or(now);
            let until = start + Duration::from_secs_f64(batch.num_rows() as f64 / rate);
            self.busy_until = Some(until);
            if until > now {
                std::thread::sleep(until - now);
            }
        }
        Ok(())
    }

    fn write_rejected(&mut self, _epoch: Epoch, _rows: &[RejectedRow]) -> Result<(), SinkError> {
        Ok(())
    }

    fn precommit(&mut self, _epoch: Epoch) -> Result<String, SinkError> {
        Ok(String::new())
    }
}

/// An [`EpochCommitter`] with nothing to commit.
#[derive(Debug, Clone, Copy, Default)]
pub struct NullCommitter;

impl EpochCommitter for NullCommitter {
    fn commit(&mut self, _decision: &Decision) -> Result<CommitOutcome, SinkError> {
        Ok(CommitOutcome::Committed {
            visible_at_ms: Some(crate::progress::now_ms()),
        })
    }

    fn abort_undecided(&mut self, _last_decided: Option<u64>) -> Result<usize, SinkError> {
        Ok(0)
    }
}
