//! Sinks: where epochs land. The worker side of a sink is a [`TxnSink`] (one transaction per
//! worker per epoch, staged and pre-committed by the `Load` operator); the coordinator side
//! is an [`EpochCommitter`], which commits a decided epoch's transactions once the progress
//! store holds the decision, and drops what undecided epochs staged when a job restarts.
//!
//! | sink | worker side | coordinator side |
//! |---|---|---|
//! | `local:DIR` | [`local::LocalTxnSink`]: Parquet files staged per epoch | [`local::LocalTable`]: one rename per epoch, key models applied |
//! | `null[:RATE]` | [`null::NullSink`]: discards rows (at most RATE rows/s per worker) | [`null::NullCommitter`]: nothing to commit |
//! | `doris://USER@HOST:PORT` | [`doris::DorisTxnSink`]: a 2PC Stream Load per epoch | [`doris::DorisCommitter`]: 2PC commit by txn id, VISIBLE confirmed |

pub mod doris;
pub mod local;
pub mod null;

use std::fmt;
use std::path::PathBuf;

use routinely_operators::dataflow::Decision;
pub use routinely_operators::dataflow::load::{SinkError, TxnSink};

/// The coordinator side of a two-phase sink. Runs on worker 0 of process 0, after the
/// progress store has recorded the decision.
pub trait EpochCommitter: Send {
    /// Commits every transaction of a decided epoch. Idempotent: committing an epoch that is
    /// already committed is `Ok`, so a restart can commit every decided-but-uncommitted epoch
    /// again. A transaction the sink has lost (Doris aborted it) is reported in
    /// [`CommitOutcome::Lost`]: its rows must be loaded again.
    fn commit(&mut self, decision: &Decision) -> Result<CommitOutcome, SinkError>;

    /// Removes the staged transactions of epochs that were never decided (every epoch after
    /// `last_decided`, or every epoch when nothing was decided). Called at startup, before
    /// any worker stages; returns how many staged epochs (or transactions) were removed.
    fn abort_undecided(&mut self, last_decided: Option<u64>) -> Result<usize, SinkError>;
}

/// What committing a decided epoch came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    /// Every transaction is committed.
    Committed {
        /// When the rows were confirmed visible (milliseconds since the Unix epoch), if the
        /// sink confirms it.
        visible_at_ms: Option<i64>,
    },
    /// Some transactions are gone (the others are committed): `(worker, handle)` of each.
    Lost {
        /// The lost transactions.
        lost: Vec<(usize, String)>,
        /// Why, as the sink said it.
        reason: String,
    },
}

impl<C: EpochCommitter + ?Sized> EpochCommitter for Box<C> {
    fn commit(&mut self, decision: &Decision) -> Result<CommitOutcome, SinkError> {
        (**self).commit(decision)
    }

    fn abort_undecided(&mut self, last_decided: Option<u64>) -> Result<usize, SinkError> {
        (**self).abort_undecided(last_decided)
    }
}

/// Which sink a job writes to, as given on the command line.
#[derive(Debug, Clone, PartialEq)]
pub enum SinkSpec {
    /// `local:DIR`: a local table of Parquet files (see [`local`]).
    Local(PathBuf),
    /// `null` or `null:ROWS_PER_SEC`: rows are discarded (benchmarks of the row path); with
    /// a rate, each worker's sink takes at most that many rows per second (a slow sink).
    Null {
        /// Rows per second per worker, if limited.
        rate: Option<f64>,
    },
    /// `doris://USER[:PASSWORD]@HOST:HTTP_PORT`: Doris's FE, through Stream Load 2PC.
    Doris(doris::DorisTarget),
}

impl SinkSpec {
    /// Parses `local:DIR`, `null`, `null:ROWS_PER_SEC` or `doris://USER[:PASSWORD]@HOST:PORT`
    /// (the password from `ROUTINELY_DORIS_PASSWORD` when the URL has none).
    pub fn parse(spec: &str) -> Result<SinkSpec, String> {
        if spec == "null" {
            return Ok(SinkSpec::Null { rate: None });
        }
        if let Some(rate) = spec.strip_prefix("null:") {
            return match rate.parse::<f64>() {
                Ok(r) if r.is_finite() && r > 0.0 => Ok(SinkSpec::Null { rate: Some(r) }),
                _ => Err(format!(
                    "sink `{spec}`: the rate of a null sink is a positive number of rows per second"
                )),
            };
        }
        if spec.starts_with("doris://") {
            let password = std::env::var("ROUTINELY_DORIS_PASSWORD").ok();
            return doris::DorisTarget::parse(spec, password).map(SinkSpec::Doris);
        }
        if let Some(dir) = spec.strip_prefix("local:") {
            if dir.is_empty() {
                return Err("sink `local:` needs a directory: local:DIR".into());
            }
            return Ok(SinkSpec::Local(PathBuf::from(dir)));
        }
        Err(format!(
            "unknown sink `{spec}`: expected `local:DIR`, `null`, `null:ROWS_PER_SEC` or \
             `doris://USER@HOST:HTTP_PORT`"
        ))
    }
}

impl std::str::FromStr for SinkSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SinkSpec::parse(s)
    }
}

impl fmt::Display for SinkSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SinkSpec::Local(dir) => write!(f, "local:{}", dir.display()),
            SinkSpec::Null { rate: None } => f.write_str("null"),
            SinkSpec::Null { rate: Some(r) } => write!(f, "null:{r}"),
            SinkSpec::Doris(t) => write!(f, "{t}"),
        }
    }
}
