//! The coordinator side of the Doris sink: commits a decided epoch's transactions by txn id
//! ("already committed / visible" is success), confirms each label VISIBLE with
//! `get_load_state` before the epoch counts as visible, reports transactions Doris has
//! aborted (the precommit timeout) so that their rows are loaded again, and at start aborts
//! the transactions of undecided epochs by label.
//!
//! A label Doris no longer knows (stream-load labels are kept about 12 hours) is never
//! guessed at: the commit fails, saying which epoch is in doubt, and the job stops there.

use std::sync::Arc;
use std::time::{Duration, Instant};

use routinely_operators::dataflow::Decision;

use super::client::{DorisClient, DorisError, SchemaColumn, TxnOutcome, TxnState, backoff};
use super::{Handle, label};
use crate::progress::now_ms;
use crate::sink::{CommitOutcome, EpochCommitter, SinkError};
use routinely_schemas::{DorisType, TableSchema};

/// Attempts of one 2PC call or state query before the commit fails (about a minute).
pub const COMMIT_ATTEMPTS: u32 = 16;

/// How long a committed epoch may take to become VISIBLE before it is reported without a
/// visibility time (it is committed either way).
pub const VISIBLE_WAIT: Duration = Duration::from_secs(30);

/// The coordinator side of the Doris sink.
#[derive(Debug)]
pub struct DorisCommitter {
    client: Arc<DorisClient>,
    label_prefix: String,
    /// The previous run's generation and workers: its undecided transactions are aborted.
    previous: Option<(u64, usize)>,
    /// Epochs a run may have pre-committed past its last decision.
    inflight: u64,
    /// Attempts of each call before giving up.
    attempts: u32,
}

/// One transaction's commit.
enum One {
    Committed,
    Lost(String),
}

impl DorisCommitter {
    /// The committer of labels under `label_prefix`; `previous` is the last run's
    /// generation and worker count, `inflight` the job's `max_inflight_epochs`.
    pub fn new(
        client: Arc<DorisClient>,
        label_prefix: String,
        previous: Option<(u64, usize)>,
        inflight: u64,
    ) -> DorisCommitter {
        DorisCommitter {
            client,
            label_prefix,
            previous,
            inflight,
            attempts: COMMIT_ATTEMPTS,
        }
    }

    /// The same committer giving up on a call after `attempts` attempts (a sweep at exit
    /// must not hold the process for a minute when Doris is down).
    pub fn with_attempts(mut self, attempts: u32) -> DorisCommitter {
        self.attempts = attempts.max(1);
        self
    }

    /// Retries `f` on transport failures.
    fn retry<T>(
        &self,
        what: &str,
        mut f: impl FnMut() -> Result<T, DorisError>,
    ) -> Result<T, SinkError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match f() {
                Ok(v) => return Ok(v),
                Err(e) if e.retryable() && attempt < self.attempts => {
                    std::thread::sleep(backoff(attempt, Duration::from_secs(5)));
                }
                Err(e) => return Err(SinkError(format!("doris: {what}: {e}"))),
            }
        }
    }

    fn commit_one(&self, epoch: u64, h: &Handle) -> Result<One, SinkError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = if h.txn_id >= 0 {
                self.retry(
                    &format!("committing txn {} ({})", h.txn_id, h.label),
                    || self.client.txn_by_id(h.txn_id, true),
                )?
            } else {
                self.retry(&format!("committing label {}", h.label), || {
                    self.client.txn_by_label(&h.label, true)
                })?
            };
            match outcome {
                TxnOutcome::Done | TxnOutcome::AlreadyDone => return Ok(One::Committed),
                TxnOutcome::Aborted(msg) => return Ok(One::Lost(msg)),
                TxnOutcome::NotFound(msg) | TxnOutcome::Failed(msg) => {
                    // Ask what became of the label.
                    let state = self.retry(&format!("get_load_state {}", h.label), || {
                        self.client.load_state(&h.label)
                    })?;
                    match state {
                        TxnState::Committed | TxnState::Visible => return Ok(One::Committed),
                        TxnState::Aborted => return Ok(One::Lost(msg)),
                        TxnState::Unknown => {
                            return Err(SinkError(format!(
                                "doris: epoch {epoch} is in doubt: Doris no longer knows label \
                                 {} (txn {}): {msg}. Its rows may or may not be in the table; \
                                 check the table, then ALTER the job's offsets past the epoch \
                                 or load it again",
                                h.label, h.txn_id
                            )));
                        }
                        TxnState::Prepare | TxnState::Precommitted => {
                            if attempt >= COMMIT_ATTEMPTS {
                                return Err(SinkError(format!(
                                    "doris: committing {} (txn {}) failed: {msg}",
                                    h.label, h.txn_id
                                )));
                            }
                            std::thread::sleep(backoff(attempt, Duration::from_secs(5)));
                        }
                    }
                }
            }
        }
    }

    /// Waits until every label is VISIBLE; when they all are, the time.
    fn await_visible(&self, labels: &[String]) -> Option<i64> {
        let deadline = Instant::now() + VISIBLE_WAIT;
        let mut wait = Duration::from_millis(2);
        for l in labels {
            loop {
                match self.client.load_state(l) {
                    Ok(TxnState::Visible) => break,
                    Ok(TxnState::Committed) | Err(_) if Instant::now() < deadline => {
                        std::thread::sleep(wait);
                        wait = (wait * 2).min(Duration::from_millis(200));
                    }
                    _ => return None,
                }
            }
        }
        Some(now_ms())
    }

    /// Checks Doris's table against the job's: the same columns, of compatible types.
    pub fn check_schema(&self, table: &TableSchema) -> Result<(), SinkError> {
        let cols = self.retry("reading the table schema", || self.client.schema())?;
        let problems = schema_mismatches(table, &cols);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SinkError(format!(
                "doris table {}.{} does not match the job's table: {}",
                self.client.db,
                self.client.table,
                problems.join("; ")
            )))
        }
    }
}

/// What differs between the job's table and the columns `_schema` lists.
pub fn schema_mismatches(table: &TableSchema, doris: &[SchemaColumn]) -> Vec<String> {
    let mut out = Vec::new();
    let hidden = |n: &str| n.starts_with("__DORIS_");
    for c in &table.columns {
        match doris.iter().find(|d| d.name.eq_ignore_ascii_case(&c.name)) {
            None => out.push(format!("column `{}` is not in Doris's table", c.name)),
            Some(d) if !type_matches(&c.ty, &d.ty) => out.push(format!(
                "column `{}` is {} in the job's table but {} in Doris",
                c.name, c.ty, d.ty
            )),
            Some(_) => {}
        }
    }
    for d in doris {
        if !hidden(&d.name)
            && !table
                .columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(&d.name))
        {
            out.push(format!(
                "Doris's column `{}` is not in the job's table",
                d.name
            ));
        }
    }
    out
}

/// Whether `_schema`'s type name is a spelling of `ty`.
fn type_matches(ty: &DorisType, doris: &str) -> bool {
    let d = doris.to_ascii_uppercase();
    let d = d.split('(').next().unwrap_or("").trim();
    match ty {
        DorisType::Boolean => d == "BOOLEAN",
        DorisType::TinyInt => d == "TINYINT",
        DorisType::SmallInt => d == "SMALLINT",
        DorisType::Int => d == "INT",
        DorisType::BigInt => d == "BIGINT",
        DorisType::LargeInt => d == "LARGEINT",
        DorisType::Float => d == "FLOAT",
        DorisType::Double => d == "DOUBLE",
        DorisType::Decimal { .. } => d.starts_with("DECIMAL"),
        DorisType::Date => d == "DATE" || d == "DATEV2",
        DorisType::DateTime { .. } => d == "DATETIME" || d == "DATETIMEV2",
        DorisType::Char { .. } | DorisType::Varchar { .. } | DorisType::String => {
            matches!(d, "CHAR" | "VARCHAR" | "STRING")
        }
        DorisType::Json => d == "JSON" || d == "JSONB",
        DorisType::Variant => d == "VARIANT",
        DorisType::Array(_) => d == "ARRAY",
        DorisType::Map(..) => d == "MAP",
        DorisType::Struct(_) => d == "STRUCT",
        DorisType::Ipv4 => d == "IPV4",
        DorisType::Ipv6 => d == "IPV6",
        DorisType::Hll => d == "HLL",
        DorisType::Bitmap => d == "BITMAP",
        DorisType::QuantileState => d == "QUANTILE_STATE",
    }
}

impl EpochCommitter for DorisCommitter {
    fn commit(&mut self, decision: &Decision) -> Result<CommitOutcome, SinkError> {
        let mut lost = Vec::new();
        let mut labels = Vec::new();
        let mut reasons = Vec::new();
        for p in &decision.precommits {
            if p.handle.is_empty() {
                continue;
            }
            let h = Handle::parse(&p.handle).ok_or_else(|| {
                SinkError(format!(
                    "epoch {}: worker {}'s handle `{}` is not a Doris transaction",
                    decision.epoch, p.worker, p.handle
                ))
            })?;
            match self.commit_one(decision.epoch, &h)? {
                One::Committed => {
                    labels.push(h.label);
                    if labels.len() == 1 && decision.precommits.len() > 1 {
                        crate::failpoint::hit("after-some-commits", decision.epoch);
                    }
                }
                One::Lost(why) => {
                    reasons.push(format!("{}: {why}", h.label));
                    lost.push((p.worker, p.handle.clone()));
                }
            }
        }
        crate::failpoint::hit("after-commits", decision.epoch);
        if !lost.is_empty() {
            return Ok(CommitOutcome::Lost {
                lost,
                reason: reasons.join("; "),
            });
        }
        let visible_at_ms = if labels.is_empty() {
            Some(now_ms())
        } else {
            self.await_visible(&labels)
        };
        Ok(CommitOutcome::Committed { visible_at_ms })
    }

    fn abort_undecided(&mut self, last_decided: Option<u64>) -> Result<usize, SinkError> {
        let Some((generation, workers)) = self.previous else {
            return Ok(0);
        };
        let first = last_decided.map_or(0, |e| e + 1);
        let last = first + self.inflight.max(4) + 1;
        let mut aborted = 0;
        for epoch in first..=last {
            for worker in 0..workers.max(1) {
                let l = label(&self.label_prefix, generation, epoch, worker);
                match self.retry(&format!("aborting {l}"), || {
                    self.client.txn_by_label(&l, false)
                })? {
                    TxnOutcome::Done => aborted += 1,
                    TxnOutcome::AlreadyDone | TxnOutcome::NotFound(_) => {}
                    TxnOutcome::Aborted(_) => {}
                    TxnOutcome::Failed(msg) => {
                        return Err(SinkError(format!("doris: aborting {l}: {msg}")));
                    }
                }
            }
        }
        Ok(aborted)
    }
}
