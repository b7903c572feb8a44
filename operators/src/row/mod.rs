//! The row path as plain functions, usable without timely: Kafka message bytes → parse →
//! extract → map / filter → coerce → an Arrow `RecordBatch`, plus the rejected rows, with
//! Doris's row accounting (total = loaded + filtered + unselected).
//!
//! ```text
//!  message ──> json::JsonReader / csv::CsvReader ──> source slots (text or NULL)
//!                                                        │
//!       PRECEDING FILTER ── COLUMNS mappings ── convert (strict mode) ── WHERE ── sink checks
//!                                                        │
//!                                         columns::Columns (Arrow builders) ──> RowBatch
//! ```
//!
//! [`RowPath`] owns every buffer it needs and reuses them: once warm (after the first batch
//! has sized the builders), pushing a message allocates nothing.

mod assemble;
mod columns;
mod csv;
pub mod datum;
mod json;
mod jsonpath;
mod jsontape;
mod plan;

use std::fmt;

use arrow_array::RecordBatch;

pub use assemble::RowPath;
pub use plan::{LoadPlan, PlanError};

/// Parses each message with the row path's JSON parser and nothing else (no extraction, no
/// conversion); returns how many parsed. For benchmarks: the parse step's share of the row
/// path.
#[doc(hidden)]
pub fn parse_json_only(messages: &[&[u8]]) -> usize {
    let mut tape = jsontape::JsonTape::default();
    messages.iter().filter(|m| tape.parse(m).is_ok()).count()
}

/// One Kafka message as the row path sees it.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// Kafka partition.
    pub partition: i32,
    /// Offset within the partition.
    pub offset: i64,
    /// Message value (the key, headers and timestamp are not used by Doris).
    pub value: &'a [u8],
}

/// Doris's row counters for a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowCounts {
    /// Rows seen: loaded + filtered + unselected.
    pub total: u64,
    /// Rows that reach the table.
    pub loaded: u64,
    /// Rows rejected for data quality (Doris's "error rows").
    pub filtered: u64,
    /// Rows removed by PRECEDING FILTER or WHERE.
    pub unselected: u64,
    /// Messages pushed, empty ones included (Doris counts messages for `max_batch_rows`).
    pub messages: u64,
    /// Message value bytes pushed (Doris's `receivedBytes`).
    pub bytes: u64,
}

impl RowCounts {
    /// Adds another batch's counts.
    pub fn add(&mut self, other: &RowCounts) {
        self.total += other.total;
        self.loaded += other.loaded;
        self.filtered += other.filtered;
        self.unselected += other.unselected;
        self.messages += other.messages;
        self.bytes += other.bytes;
    }
}

/// A row Doris would filter, with where it came from and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RejectedRow {
    /// Kafka partition of the message.
    pub partition: i32,
    /// Offset of the message.
    pub offset: i64,
    /// Doris's reason text (names the column, the value and the rule).
    pub reason: String,
    /// The source line as Doris's error log shows it (truncated to [`MAX_SRC_LINE`] bytes).
    pub src_line: String,
}

/// Longest source line kept with a rejected row.
pub const MAX_SRC_LINE: usize = 4096;

impl RejectedRow {
    /// The row as a line of Doris's error log: `Reason: <reason>. src line [<line>]; `.
    pub fn error_log_line(&self) -> String {
        format!("Reason: {}. src line [{}]; ", self.reason, self.src_line)
    }
}

impl fmt::Display for RejectedRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "partition {} offset {}: {}",
            self.partition, self.offset, self.reason
        )
    }
}

/// What a batch produced.
#[derive(Debug, Clone)]
pub struct RowBatch {
    /// The loaded rows in Arrow batches of at most [`RowPath::chunk_rows`] rows, one column
    /// per table column (plus hidden columns, see [`LoadPlan::output_schema`]).
    pub batches: Vec<RecordBatch>,
    /// Rows filtered for data quality.
    pub rejected: Vec<RejectedRow>,
    /// Row counters.
    pub counts: RowCounts,
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub(crate) fn truncate_utf8(s: &[u8], max: usize) -> String {
    if s.len() <= max {
        return String::from_utf8_lossy(s).into_owned();
    }
    let mut n = max;
    while n > 0 && (s[n] & 0xC0) == 0x80 {
        n -= 1;
    }
    let mut out = String::from_utf8_lossy(&s[..n]).into_owned();
    out.push_str("...");
    out
}

impl RowBatch {
    /// Number of loaded rows.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

#[cfg(test)]
pub(crate) mod tests;
