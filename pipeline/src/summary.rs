//! The end-of-run summary in the form of Doris's `SHOW ROUTINE LOAD FOR job\G`: state,
//! progress and lag per partition, statistics, with Doris's column names and JSON keys
//! (doris-spec.md §4.1–§4.3). The row itself is built by [`crate::showjob`], so the
//! summary and `SHOW ROUTINE LOAD` print the same cells (credentials masked the same way).

use std::collections::BTreeMap;

use routinely_operators::row::RowCounts;
use routinely_schemas::RoutineLoadJob;

use crate::show::ResultSet;
use crate::showjob::{self, SHOW_ROUTINE_LOAD_COLUMNS, ShowFacts, ShowStats};

/// The facts a summary shows.
#[derive(Debug, Clone)]
pub struct JobSummary<'a> {
    /// The job.
    pub job: &'a RoutineLoadJob,
    /// `RUNNING`, `PAUSED`, `STOPPED`, ...
    pub state: &'a str,
    /// Why the state changed (empty when nothing to say).
    pub reason: String,
    /// Next offset to read per partition (committed progress).
    pub next_offsets: BTreeMap<i32, i64>,
    /// Messages left per partition (`-1` when unknown).
    pub lag: BTreeMap<i32, i64>,
    /// Row counters over committed epochs (lifetime of the state directory).
    pub counts: RowCounts,
    /// Committed epochs (Doris's committed tasks).
    pub committed_epochs: u64,
    /// Milliseconds of execution (for the rates).
    pub execute_ms: u64,
    /// Where the data came from, shown as the broker list.
    pub source: String,
    /// A note for `OtherMsg`.
    pub other: String,
}

impl JobSummary<'_> {
    /// The summary as the facts of one `SHOW ROUTINE LOAD` row (job id 1, no creation
    /// time known, times in the job's zone).
    fn facts(&self) -> ShowFacts<'_> {
        let c = &self.counts;
        ShowFacts {
            id: 1,
            job: self.job,
            create_time_ms: 0,
            pause_time_ms: None,
            end_time_ms: None,
            state: self.state,
            current_task_num: 0,
            partitions: self.next_offsets.keys().copied().collect(),
            next_offsets: self.next_offsets.clone(),
            lag: self.lag.clone(),
            stats: ShowStats {
                total_rows: c.total,
                loaded_rows: c.loaded,
                error_rows: c.filtered,
                error_rows_after_resumed: 0,
                unselected_rows: c.unselected,
                received_bytes: c.bytes,
                task_execute_time_ms: self.execute_ms,
                committed_task_num: self.committed_epochs,
                aborted_task_num: 0,
                running_txns: Vec::new(),
            },
            reason: self.reason.clone(),
            error_log_urls: Vec::new(),
            other_msg: self.other.clone(),
            user: String::new(),
            broker_list: self.source.clone(),
            timezone_for_times: &self.job.properties.time_zone,
        }
    }

    /// The summary as a one-row `SHOW ROUTINE LOAD` result.
    pub fn result_set(&self) -> ResultSet {
        showjob::show_routine_load(&[self.facts()])
    }

    /// The rows of `SHOW ROUTINE LOAD` for this job, as (column, value); NULL is `NULL`.
    pub fn columns(&self) -> Vec<(&'static str, String)> {
        let row = showjob::show_row(&self.facts());
        SHOW_ROUTINE_LOAD_COLUMNS
            .iter()
            .zip(row)
            .map(|(name, v)| (*name, v.unwrap_or_else(|| "NULL".to_string())))
            .collect()
    }

    /// The `\G` form.
    pub fn vertical(&self) -> String {
        self.result_set().vertical()
    }
}
