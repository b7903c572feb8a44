//! `routinely preview`: runs a job's row path over sample messages and shows what Doris
//! would load, what it would filter and why, before anything touches Doris.

use std::sync::Arc;

use routinely_operators::row::datum::rows_as_text;
use routinely_operators::row::{LoadPlan, Message, PlanError, RejectedRow, RowCounts, RowPath};
use routinely_schemas::job::validate_against_table;
use routinely_schemas::sql::{Statement, parse_create_table, parse_statement};
use routinely_schemas::{DorisType, RoutineLoadJob, TableSchema};

use crate::messages::FileMessage;

/// A statement or job that cannot be previewed.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// The table statement does not parse.
    #[error("table: {0}")]
    Table(routinely_schemas::sql::SqlError),
    /// The job statement does not parse or validate.
    #[error("job: {0}")]
    Job(String),
    /// The job cannot run against the table.
    #[error("job: {0}")]
    Plan(#[from] PlanError),
}

/// What a preview found.
#[derive(Debug, Clone)]
pub struct Preview {
    /// Column names and types, in table order.
    pub columns: Vec<(String, DorisType)>,
    /// Loaded rows as the MySQL client prints them (`None` = NULL).
    pub rows: Vec<Vec<Option<String>>>,
    /// Doris's counters.
    pub counts: RowCounts,
    /// Filtered rows with their reasons.
    pub rejected: Vec<RejectedRow>,
    /// Notes about clauses the table statement skipped.
    pub warnings: Vec<String>,
}

/// Parses the table and job statements and plans the job.
pub fn plan(table_sql: &str, job_sql: &str) -> Result<(Arc<LoadPlan>, Vec<String>), PreviewError> {
    let table: TableSchema = parse_create_table(table_sql).map_err(PreviewError::Table)?;
    let job: RoutineLoadJob = match parse_statement(job_sql) {
        Ok(Statement::CreateRoutineLoad(job)) => job,
        Ok(_) => {
            return Err(PreviewError::Job(
                "expected a CREATE ROUTINE LOAD statement".into(),
            ));
        }
        Err(e) => return Err(PreviewError::Job(e.to_string())),
    };
    validate_against_table(&job, &table).map_err(|e| PreviewError::Job(e.to_string()))?;
    let warnings = table.warnings.clone();
    Ok((Arc::new(LoadPlan::new(&table, &job)?), warnings))
}

/// Runs the messages through the job's row path as one batch.
pub fn preview(plan: Arc<LoadPlan>, warnings: Vec<String>, messages: &[FileMessage]) -> Preview {
    let mut path = RowPath::new(plan.clone());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    path.begin_batch(now);
    for m in messages {
        path.push(Message {
            partition: m.partition,
            offset: m.offset,
            value: &m.value,
        });
    }
    let out = path.finish();
    let table = plan.table();
    Preview {
        columns: table
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty.clone()))
            .collect(),
        rows: rows_as_text(&out.batches, table),
        counts: out.counts,
        rejected: out.rejected,
        warnings,
    }
}

impl Preview {
    /// The one-object JSON form: rows, counts and errors.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "rows": self.rows,
            "total": self.counts.total,
            "loaded": self.counts.loaded,
            "filtered": self.counts.filtered,
            "unselected": self.counts.unselected,
            "errors": self.rejected.iter().map(|r| serde_json::json!({
                "partition": r.partition,
                "offset": r.offset,
                "reason": r.reason,
                "src_line": r.src_line,
            })).collect::<Vec<_>>(),
        })
    }

    /// The counts and the first `limit` rejected rows, for the text forms.
    pub fn summary(&self, limit: usize) -> String {
        let c = &self.counts;
        let mut out = format!(
            "messages: {}, total rows: {}, loaded: {}, filtered: {}, unselected: {}\n",
            c.messages, c.total, c.loaded, c.filtered, c.unselected
        );
        if !self.rejected.is_empty() {
            out.push_str(&format!(
                "\nfiltered rows (first {} of {}):\n",
                limit.min(self.rejected.len()),
                self.rejected.len()
            ));
            for r in self.rejected.iter().take(limit) {
                out.push_str(&format!(
                    "  partition {} offset {}: {}\n    src line [{}]\n",
                    r.partition, r.offset, r.reason, r.src_line
                ));
            }
        }
        out
    }
}
