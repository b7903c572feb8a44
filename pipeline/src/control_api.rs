//! The control plane's interface between the job host (which owns jobs and executes
//! statements) and the control endpoint (HTTP: statements, status page, metrics, error
//! logs). The endpoint depends only on this trait, so it can be served and tested with any
//! implementation.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::metrics::JobMetrics;
use crate::show::ResultSet;

/// What a statement returned.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementResult {
    /// A result set (SHOW).
    Rows(ResultSet),
    /// A statement that changes something: what it did, in a line.
    Done(String),
}

/// A statement that failed, with Doris's message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct StatementError {
    /// The message (as Doris words it where Doris has one).
    pub message: String,
    /// Whether the statement itself was wrong (syntax, unknown job, state rule) rather than
    /// the host failing.
    pub user_error: bool,
}

impl StatementError {
    /// A user's mistake.
    pub fn user(message: impl Into<String>) -> Self {
        StatementError {
            message: message.into(),
            user_error: true,
        }
    }

    /// The host failed.
    pub fn internal(message: impl Into<String>) -> Self {
        StatementError {
            message: message.into(),
            user_error: false,
        }
    }
}

/// One hosted job as the status page and `/api/jobs` show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JobView {
    /// Job id.
    pub id: u64,
    /// `db.job`.
    pub name: String,
    /// The target table.
    pub table: String,
    /// NEED_SCHEDULE, RUNNING, PAUSED, STOPPED or CANCELLED.
    pub state: String,
    /// `ReasonOfStateChanged` (empty when none).
    pub reason: String,
    /// Next offset to read per partition (committed progress).
    pub progress: BTreeMap<i32, i64>,
    /// Messages behind per partition (`-1`: unknown).
    pub lag: BTreeMap<i32, i64>,
    /// Loaded rows (lifetime).
    pub loaded_rows: u64,
    /// Error (filtered) rows (lifetime).
    pub error_rows: u64,
    /// Unselected rows (lifetime).
    pub unselected_rows: u64,
    /// Committed epochs (Doris's committed tasks).
    pub committed_epochs: u64,
    /// Error log URLs of the latest epochs with rejected rows (at most 3, newest first).
    pub error_log_urls: Vec<String>,
}

/// The control plane a control endpoint serves.
pub trait ControlPlane: Send + Sync + 'static {
    /// Executes one statement (`CREATE / ALTER / PAUSE / RESUME / STOP / SHOW ROUTINE
    /// LOAD`, `CREATE TABLE`).
    fn execute(&self, statement: &str) -> Result<StatementResult, StatementError>;
    /// The hosted jobs, in id order (final jobs included).
    fn jobs(&self) -> Vec<JobView>;
    /// A job's metrics, by `name` or `db.name`.
    fn metrics(&self, job: &str) -> Option<Arc<JobMetrics>>;
    /// The content of an error log named in an `ErrorLogUrls` entry (`file=` value).
    fn error_log(&self, file: &str) -> Option<String>;
}
