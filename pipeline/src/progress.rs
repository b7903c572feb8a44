//! The progress store: one per job, in the job's state directory. It is where an epoch
//! becomes decided (the commit point of exactly-once) and the job's ledger.
//!
//! # Layout
//!
//! ```text
//!  STATE_DIR/progress.log    append-only log of frames, one record each
//!  STATE_DIR/progress.lock   flock'd by the one writer; holds its pid (for the error message)
//!
//!  frame = magic u32 LE | payload length u32 LE | CRC-32 of the payload u32 LE | payload
//!  payload = serde_json of a [`Record`]
//! ```
//!
//! Every append is followed by `fsync` (`File::sync_data`) before it returns, and the
//! directory is fsynced when the log is created, so a record that was acknowledged survives
//! a crash or a power cut. [`ProgressStore::decide`] returning `Ok` *is* the decision.
//!
//! # Torn tails
//!
//! A crash during an append leaves a partial frame at the end of the log. On open, frames
//! are read and verified (length, magic, CRC, JSON) from the start; the first frame that
//! fails and everything after it are never trusted: a writer truncates the log back to the
//! last good frame (and fsyncs) and [`OpenReport::dropped_bytes`] says how much went. A
//! dropped record was never acknowledged (its fsync had not returned), so nothing that the
//! job acted upon is lost. A failed append poisons the store: further writes are refused
//! until it is reopened, so a record is never appended after a frame of unknown state.
//!
//! # Records and derived state
//!
//! [`Record::JobIdentity`] (once), [`Record::RunStart`] (one per run: the generation),
//! [`Record::Decided`] (the commit point of an epoch: offset ranges and transaction
//! handles), [`Record::Committed`], [`Record::Aborted`] (a decided epoch whose transactions
//! were lost; it is re-loaded from exactly its recorded ranges and decided again under the
//! same epoch number, so the ranges of every partition keep tiling the topic).
//! [`ProgressState`] is what the records add up to: where to resume, what to commit.
//!
//! # Ledger
//!
//! [`ledger`] reads a store without locking it and lists every epoch with its ranges,
//! labels, counters, times and status; [`Ledger::verify_tiling`] checks that the decided
//! ranges of each partition follow each other with no gap and no overlap.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use routinely_operators::dataflow::{Decision, PartitionRange, PreCommit};
use routinely_operators::row::RowCounts;

use crate::jobstate::{AutoResume, ErrorWindow};
use serde::{Deserialize, Serialize};

/// Name of the log file in the state directory.
pub const LOG_FILE: &str = "progress.log";
/// Name of the lock file in the state directory.
pub const LOCK_FILE: &str = "progress.lock";
/// Frame magic ("RTL1" read as a little-endian `u32`).
pub const FRAME_MAGIC: u32 = u32::from_le_bytes(*b"RTL1");
/// Bytes of a frame header: magic, length, CRC.
pub const FRAME_HEADER: usize = 12;
/// Largest payload accepted; a longer length field is a corrupt frame.
pub const MAX_PAYLOAD: u32 = 64 << 20;

/// Which job a store belongs to. Written once, checked on every open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobIdentity {
    /// Routine load job name.
    pub job: String,
    /// Target database.
    pub database: String,
    /// Target table.
    pub table: String,
    /// Kafka topic.
    pub topic: String,
}

impl fmt::Display for JobIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "job `{}` ({}.{}, topic `{}`)",
            self.job, self.database, self.table, self.topic
        )
    }
}

/// The durable form of an epoch's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// The epoch.
    pub epoch: u64,
    /// Run generation that decided it.
    pub generation: u64,
    /// When it was decided (milliseconds since the Unix epoch).
    pub decided_at_ms: i64,
    /// Offset ranges read in the epoch, by partition then start.
    pub ranges: Vec<PartitionRange>,
    /// `(worker, handle)` of every worker that staged a transaction (empty handles omitted).
    pub txns: Vec<(usize, String)>,
    /// Row counters over all workers.
    pub counts: RowCounts,
}

impl DecisionRecord {
    /// The record of a [`Decision`]: its ranges (sorted), non-empty handles and counters.
    pub fn from_decision(decision: &Decision, generation: u64, decided_at_ms: i64) -> Self {
        DecisionRecord {
            epoch: decision.epoch,
            generation,
            decided_at_ms,
            ranges: decision
                .ranges()
                .into_iter()
                .map(|r| PartitionRange {
                    ts_sample: Default::default(),
                    ..r
                })
                .collect(),
            txns: decision
                .precommits
                .iter()
                .filter(|p| !p.handle.is_empty())
                .map(|p| (p.worker, p.handle.clone()))
                .collect(),
            counts: decision.counts(),
        }
    }

    /// A [`Decision`] carrying this record's transactions, for committing them after a
    /// restart. The per-worker split of counters and ranges is not recorded: they are all
    /// attached to the first pre-commit.
    pub fn to_decision(&self) -> Decision {
        let mut precommits: Vec<PreCommit> = self
            .txns
            .iter()
            .map(|(worker, handle)| PreCommit {
                epoch: self.epoch,
                worker: *worker,
                handle: handle.clone(),
                counts: RowCounts::default(),
                ranges: Vec::new(),
            })
            .collect();
        if precommits.is_empty() {
            precommits.push(PreCommit {
                epoch: self.epoch,
                worker: 0,
                handle: String::new(),
                counts: RowCounts::default(),
                ranges: Vec::new(),
            });
        }
        precommits[0].counts = self.counts;
        precommits[0].ranges = self.ranges.clone();
        Decision {
            epoch: self.epoch,
            precommits,
        }
    }
}

/// One record of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// The job the store belongs to (first record).
    JobIdentity(JobIdentity),
    /// A run of the job started.
    RunStart {
        /// 1 for the first run, then +1 per run.
        generation: u64,
        /// Start time (milliseconds since the Unix epoch).
        started_at_ms: i64,
        /// Timely workers over all processes.
        workers: usize,
        /// Processes.
        processes: usize,
    },
    /// An epoch was decided: the commit point.
    Decided(DecisionRecord),
    /// Every transaction of a decided epoch is committed.
    Committed {
        /// The epoch.
        epoch: u64,
        /// When the commit was confirmed (milliseconds since the Unix epoch).
        committed_at_ms: i64,
        /// When the rows became visible, if the sink says.
        visible_at_ms: Option<i64>,
        /// The error-row window after this epoch's rows were counted (quality gates).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window: Option<ErrorWindow>,
    },
    /// A decided epoch's transactions were lost; it must be re-loaded from its ranges.
    Aborted {
        /// The epoch.
        epoch: u64,
        /// Why.
        reason: String,
    },
    /// The job was paused (by the user, or by itself with Doris's reason).
    Paused {
        /// `ReasonOfStateChanged`.
        reason: String,
        /// When (milliseconds since the Unix epoch).
        at_ms: i64,
    },
    /// The job was resumed.
    Resumed {
        /// When (milliseconds since the Unix epoch).
        at_ms: i64,
        /// Resumed automatically (Doris's auto-resume), not by a user's RESUME.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        auto: bool,
    },
    /// The job was cancelled by the system (its table or database is gone): final.
    Cancelled {
        /// `ReasonOfStateChanged`.
        reason: String,
        /// When (milliseconds since the Unix epoch).
        at_ms: i64,
    },
    /// The job was stopped: final, as in Doris.
    Stopped {
        /// When (milliseconds since the Unix epoch).
        at_ms: i64,
    },
    /// An `ALTER ROUTINE LOAD` was applied while the job was paused. Its statement is
    /// re-applied to the job's CREATE statement at every start; its partitions' start offsets
    /// replace their progress until a decision covers them.
    Altered {
        /// The statement as written.
        statement: String,
        /// The start offsets it sets.
        offsets: Vec<(i32, StartSpec)>,
        /// When (milliseconds since the Unix epoch).
        at_ms: i64,
    },
}

/// Where an altered partition starts: `kafka_offsets` as ALTER gives it, resolved by the
/// source when the job next starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartSpec {
    /// `OFFSET_BEGINNING`.
    Beginning,
    /// `OFFSET_END`.
    End,
    /// An offset.
    Offset(i64),
    /// The first offset at or after this time (milliseconds since the Unix epoch).
    TimeMs(i64),
}

impl From<&routinely_schemas::job::KafkaOffset> for StartSpec {
    fn from(o: &routinely_schemas::job::KafkaOffset) -> StartSpec {
        use routinely_schemas::job::KafkaOffset;
        match o {
            KafkaOffset::Beginning => StartSpec::Beginning,
            KafkaOffset::End => StartSpec::End,
            KafkaOffset::Offset(n) => StartSpec::Offset(*n),
            KafkaOffset::Time { epoch_ms, .. } => StartSpec::TimeMs(*epoch_ms),
        }
    }
}

/// A job's state as its records leave it (Doris's states; a job that is not paused or
/// stopped runs whenever `routinely run` runs it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum JobStatus {
    /// Runnable.
    #[default]
    Runnable,
    /// Paused, with `ReasonOfStateChanged` and when.
    Paused {
        /// Why.
        reason: String,
        /// When (milliseconds since the Unix epoch).
        at_ms: i64,
    },
    /// Stopped for good.
    Stopped {
        /// When (milliseconds since the Unix epoch).
        at_ms: i64,
    },
    /// Cancelled by the system, for good.
    Cancelled {
        /// Why.
        reason: String,
        /// When (milliseconds since the Unix epoch).
        at_ms: i64,
    },
}

impl JobStatus {
    /// Whether the job can never run again (STOPPED or CANCELLED).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            JobStatus::Stopped { .. } | JobStatus::Cancelled { .. }
        )
    }
}

/// A progress store failure.
#[derive(Debug, thiserror::Error)]
pub enum ProgressError {
    /// A file system operation failed.
    #[error("progress store {}: {op}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The error.
        source: io::Error,
    },
    /// The state directory holds no progress log (read-only open).
    #[error("no progress store in {}", .0.display())]
    NotFound(PathBuf),
    /// Another process holds the store open for writing.
    #[error("progress store {} is locked by another writer{}", path.display(), holder.as_ref().map(|h| format!(" (pid {h})")).unwrap_or_default())]
    Locked {
        /// The state directory.
        path: PathBuf,
        /// What the lock file says about its holder.
        holder: Option<String>,
    },
    /// The store belongs to another job.
    #[error("progress store {} belongs to {stored}, not to {requested}", path.display())]
    IdentityMismatch {
        /// The state directory.
        path: PathBuf,
        /// The identity recorded in the store.
        stored: Box<JobIdentity>,
        /// The identity the caller opened it for.
        requested: Box<JobIdentity>,
    },
    /// The store was opened read-only.
    #[error("progress store is open read-only")]
    ReadOnly,
    /// An earlier append failed; the store must be reopened.
    #[error("progress store refused: an earlier write failed ({0}); reopen it")]
    Poisoned(String),
    /// The epoch is not after the last decided one.
    #[error("epoch {epoch} cannot be decided: epoch {last_decided} is already decided")]
    EpochNotAfter {
        /// The epoch being decided.
        epoch: u64,
        /// The last decided epoch.
        last_decided: u64,
    },
    /// A range does not continue its partition's previous end.
    #[error(
        "epoch {epoch}: partition {partition} range [{start}, {end}) does not continue from the partition's previous end {expected} ({})",
        if *start > *expected { format!("gap of {} offsets", start - expected) } else { format!("overlap of {} offsets", expected - start) }
    )]
    Discontinuous {
        /// The epoch being decided.
        epoch: u64,
        /// The partition.
        partition: i32,
        /// Where the partition's previous range ended.
        expected: i64,
        /// Start of the offending range.
        start: i64,
        /// End of the offending range.
        end: i64,
    },
    /// A range ends before it starts.
    #[error("epoch {epoch}: partition {partition} range [{start}, {end}) ends before it starts")]
    BadRange {
        /// The epoch being decided.
        epoch: u64,
        /// The partition.
        partition: i32,
        /// Start.
        start: i64,
        /// End.
        end: i64,
    },
    /// A job state change the job's state does not allow.
    #[error("{0}")]
    State(String),
    /// A transition the epoch's history does not allow.
    #[error("epoch {epoch}: {message}")]
    Invalid {
        /// The epoch.
        epoch: u64,
        /// What is wrong.
        message: String,
    },
}

fn io_err(path: &Path, op: &'static str) -> impl FnOnce(io::Error) -> ProgressError + use<> {
    let path = path.to_path_buf();
    move |source| ProgressError::Io { path, op, source }
}

/// What opening a store found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// The log did not exist and was created.
    pub created: bool,
    /// Good records read.
    pub records: u64,
    /// Bytes of the log that are trusted.
    pub valid_bytes: u64,
    /// Bytes dropped from the tail (a torn or corrupt frame and everything after it). A
    /// writer truncates them; a read-only open ignores them.
    pub dropped_bytes: u64,
    /// Why the tail was dropped, with its byte offset.
    pub tail_problem: Option<String>,
}

/// A set of epochs kept as disjoint, sorted, half-open intervals.
#[derive(Debug, Clone, Default, PartialEq)]
struct EpochSet(Vec<(u64, u64)>);

impl EpochSet {
    fn insert(&mut self, e: u64) {
        match self.0.last_mut() {
            Some(last) if last.1 == e => last.1 = e + 1,
            Some(last) if last.0 <= e && e < last.1 => {}
            Some(last) if last.1 < e => self.0.push((e, e + 1)),
            None => self.0.push((e, e + 1)),
            _ => {
                // Out of order (cannot happen: epochs are decided in increasing order).
                if !self.contains(e) {
                    self.0.push((e, e + 1));
                    self.0.sort_unstable();
                }
            }
        }
    }

    fn contains(&self, e: u64) -> bool {
        let i = self.0.partition_point(|r| r.1 <= e);
        self.0.get(i).is_some_and(|r| r.0 <= e)
    }
}

/// What the records add up to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProgressState {
    /// The job, once recorded.
    pub identity: Option<JobIdentity>,
    /// Number of runs started (the generation of the latest run).
    pub generation: u64,
    /// Timely workers of the latest run (over all processes).
    pub last_run_workers: usize,
    /// The last decided epoch.
    pub last_decided: Option<u64>,
    /// The highest committed epoch.
    pub last_committed: Option<u64>,
    /// The epoch the next decision uses: `last_decided + 1`, or 0.
    pub next_epoch: u64,
    /// Where each partition resumes: the end of its latest decided range.
    pub next_offsets: BTreeMap<i32, i64>,
    /// Epochs decided (re-decisions of aborted epochs count once).
    pub decided_epochs: u64,
    /// Epochs committed.
    pub committed_epochs: u64,
    /// Aborted records.
    pub aborted_count: u64,
    /// Row counters over decided epochs.
    pub totals: RowCounts,
    /// Decided epochs not yet committed (nor aborted), in epoch order: a restart commits
    /// them.
    pub uncommitted: Vec<DecisionRecord>,
    /// Aborted epochs not decided again, in epoch order, with the reason: a restart re-loads
    /// each from exactly its recorded ranges and decides it again under the same epoch.
    pub to_reload: Vec<(DecisionRecord, String)>,
    /// Paused, stopped or runnable.
    pub status: JobStatus,
    /// `ALTER ROUTINE LOAD` statements applied, in order: the job is its CREATE statement
    /// with these applied.
    pub alters: Vec<String>,
    /// Partitions whose start an ALTER set and no decision has covered since: they start
    /// there instead of at their progress.
    pub start_overrides: BTreeMap<i32, StartSpec>,
    /// The error-row window as the latest commit left it (reset by RESUME).
    pub window: ErrorWindow,
    /// Automatic resumes of the current period.
    pub auto_resume: AutoResume,
    /// When the first run started (milliseconds since the Unix epoch).
    pub first_run_at_ms: Option<i64>,
    decided: EpochSet,
}

impl ProgressState {
    fn uncommitted_index(&self, epoch: u64) -> Option<usize> {
        self.uncommitted.iter().position(|d| d.epoch == epoch)
    }

    fn reload_index(&self, epoch: u64) -> Option<usize> {
        self.to_reload.iter().position(|(d, _)| d.epoch == epoch)
    }

    /// Whether the epoch is decided and committed.
    pub fn is_committed(&self, epoch: u64) -> bool {
        self.decided.contains(epoch)
            && self.uncommitted_index(epoch).is_none()
            && self.reload_index(epoch).is_none()
    }

    /// Whether the epoch has been decided (whatever happened since).
    pub fn is_decided(&self, epoch: u64) -> bool {
        self.decided.contains(epoch)
    }

    /// Checks a decision against the state: the epoch comes after the last decided one (or
    /// re-decides an aborted epoch with the same ranges), and each partition's ranges
    /// continue where its previous range ended.
    fn check_decision(&self, d: &DecisionRecord) -> Result<(), ProgressError> {
        let mut ranges = d.ranges.clone();
        ranges.sort_by_key(|r| (r.partition, r.start));
        for r in &ranges {
            if r.start > r.end {
                return Err(ProgressError::BadRange {
                    epoch: d.epoch,
                    partition: r.partition,
                    start: r.start,
                    end: r.end,
                });
            }
        }
        if let Some(i) = self.reload_index(d.epoch) {
            let old = &self.to_reload[i].0;
            let key = |r: &PartitionRange| (r.partition, r.start, r.end);
            let mut before: Vec<_> = old.ranges.iter().map(key).collect();
            before.sort_unstable();
            let now: Vec<_> = ranges.iter().map(key).collect();
            if before != now {
                return Err(ProgressError::Invalid {
                    epoch: d.epoch,
                    message: format!(
                        "re-decision of an aborted epoch must have its recorded ranges {before:?}, not {now:?}"
                    ),
                });
            }
            return Ok(());
        }
        if let Some(last) = self.last_decided
            && d.epoch <= last
        {
            return Err(ProgressError::EpochNotAfter {
                epoch: d.epoch,
                last_decided: last,
            });
        }
        let mut ends = BTreeMap::new();
        for r in &ranges {
            let expected = ends
                .get(&r.partition)
                .or_else(|| self.next_offsets.get(&r.partition))
                .copied();
            if let Some(expected) = expected
                && expected != r.start
            {
                return Err(ProgressError::Discontinuous {
                    epoch: d.epoch,
                    partition: r.partition,
                    expected,
                    start: r.start,
                    end: r.end,
                });
            }
            ends.insert(r.partition, r.end);
        }
        Ok(())
    }

    fn check_committed(&self, epoch: u64) -> Result<bool, ProgressError> {
        if self.uncommitted_index(epoch).is_some() {
            return Ok(true);
        }
        match self.reload_index(epoch) {
            Some(_) => Err(ProgressError::Invalid {
                epoch,
                message: "is aborted and not decided again; it cannot be committed".into(),
            }),
            None if self.decided.contains(epoch) => Ok(false),
            None => Err(ProgressError::Invalid {
                epoch,
                message: "is not decided; it cannot be committed".into(),
            }),
        }
    }

    fn check_aborted(&self, epoch: u64) -> Result<bool, ProgressError> {
        if self.uncommitted_index(epoch).is_some() {
            return Ok(true);
        }
        match self.reload_index(epoch) {
            Some(_) => Ok(false),
            None if self.decided.contains(epoch) => Err(ProgressError::Invalid {
                epoch,
                message: "is committed; it cannot be aborted".into(),
            }),
            None => Err(ProgressError::Invalid {
                epoch,
                message: "is not decided; there is nothing to abort".into(),
            }),
        }
    }

    /// Adds a record. Lenient: records read from disk are applied without checks.
    fn apply(&mut self, record: &Record) {
        match record {
            Record::JobIdentity(id) => {
                if self.identity.is_none() {
                    self.identity = Some(id.clone());
                }
            }
            Record::RunStart {
                workers,
                started_at_ms,
                ..
            } => {
                self.first_run_at_ms.get_or_insert(*started_at_ms);
                self.generation += 1;
                self.last_run_workers = *workers;
            }
            Record::Decided(d) => {
                let at = self.uncommitted.partition_point(|u| u.epoch < d.epoch);
                if self.uncommitted.get(at).is_some_and(|u| u.epoch == d.epoch) {
                    self.uncommitted[at] = d.clone();
                } else {
                    self.uncommitted.insert(at, d.clone());
                }
                if let Some(i) = self.reload_index(d.epoch) {
                    // Re-decision of an aborted epoch: counted when first decided.
                    self.to_reload.remove(i);
                    return;
                }
                self.decided.insert(d.epoch);
                self.decided_epochs += 1;
                self.totals.add(&d.counts);
                if self.last_decided.is_none_or(|l| d.epoch > l) {
                    self.last_decided = Some(d.epoch);
                    self.next_epoch = d.epoch + 1;
                }
                for r in &d.ranges {
                    self.start_overrides.remove(&r.partition);
                    let e = self.next_offsets.entry(r.partition).or_insert(r.end);
                    *e = (*e).max(r.end);
                }
            }
            Record::Committed { epoch, window, .. } => {
                if let Some(w) = window {
                    self.window = *w;
                }
                if let Some(i) = self.uncommitted_index(*epoch) {
                    self.uncommitted.remove(i);
                    self.committed_epochs += 1;
                    if self.last_committed.is_none_or(|l| *epoch > l) {
                        self.last_committed = Some(*epoch);
                    }
                }
            }
            Record::Paused { reason, at_ms } => {
                if !self.status.is_final() {
                    self.status = JobStatus::Paused {
                        reason: reason.clone(),
                        at_ms: *at_ms,
                    };
                }
            }
            Record::Resumed { at_ms, auto } => {
                if let JobStatus::Paused { at_ms: paused, .. } = self.status {
                    self.status = JobStatus::Runnable;
                    if *auto {
                        self.auto_resume.resumed(paused, *at_ms);
                    } else {
                        // Doris: RESUME resets the auto-resume counters and the error rows
                        // counted since the last resume.
                        self.auto_resume.reset();
                        self.window = ErrorWindow::default();
                    }
                }
            }
            Record::Stopped { at_ms } => {
                if !self.status.is_final() {
                    self.status = JobStatus::Stopped { at_ms: *at_ms }
                }
            }
            Record::Cancelled { reason, at_ms } => {
                if !self.status.is_final() {
                    self.status = JobStatus::Cancelled {
                        reason: reason.clone(),
                        at_ms: *at_ms,
                    }
                }
            }
            Record::Altered {
                statement, offsets, ..
            } => {
                self.alters.push(statement.clone());
                for (p, spec) in offsets {
                    self.start_overrides.insert(*p, spec.clone());
                    self.next_offsets.remove(p);
                }
            }
            Record::Aborted { epoch, reason } => {
                self.aborted_count += 1;
                if let Some(i) = self.uncommitted_index(*epoch) {
                    let d = self.uncommitted.remove(i);
                    let at = self.to_reload.partition_point(|(r, _)| r.epoch < *epoch);
                    self.to_reload.insert(at, (d, reason.clone()));
                }
            }
        }
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`): year, month, day.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Formats milliseconds since the Unix epoch as UTC `YYYY-MM-DD HH:MM:SS.mmm`.
pub fn format_utc_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:03}",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Encodes one record as a frame.
pub fn encode_frame(record: &Record) -> Vec<u8> {
    // Serialising plain data to JSON cannot fail.
    let payload = serde_json::to_vec(record).unwrap_or_default();
    let mut frame = Vec::with_capacity(FRAME_HEADER + payload.len());
    frame.extend_from_slice(&FRAME_MAGIC.to_le_bytes());
    frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    frame.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    frame.extend_from_slice(&payload);
    frame
}

/// Reads frames from `reader` (at most `limit` bytes), calling `each` for each good record.
/// Returns the trusted length and, if the data ends in a bad frame, why.
fn scan<R: Read>(
    reader: R,
    limit: u64,
    mut each: impl FnMut(Record),
) -> io::Result<(u64, Option<String>)> {
    let mut reader = reader.take(limit);
    let mut pos = 0u64;
    let mut header = [0u8; FRAME_HEADER];
    let mut payload = Vec::new();
    loop {
        let n = read_full(&mut reader, &mut header)?;
        if n == 0 {
            return Ok((pos, None));
        }
        if n < FRAME_HEADER {
            return Ok((pos, Some(format!("torn frame header at byte {pos}"))));
        }
        let word =
            |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        let (magic, len, crc) = (word(0), word(4), word(8));
        if magic != FRAME_MAGIC {
            return Ok((pos, Some(format!("bad frame magic at byte {pos}"))));
        }
        if len > MAX_PAYLOAD {
            return Ok((
                pos,
                Some(format!("implausible frame length {len} at byte {pos}")),
            ));
        }
        payload.resize(len as usize, 0);
        let n = read_full(&mut reader, &mut payload)?;
        if n < len as usize {
            return Ok((
                pos,
                Some(format!(
                    "torn frame at byte {pos}: {n} of {len} payload bytes"
                )),
            ));
        }
        if crc32fast::hash(&payload) != crc {
            return Ok((
                pos,
                Some(format!("checksum mismatch in frame at byte {pos}")),
            ));
        }
        match serde_json::from_slice::<Record>(&payload) {
            Ok(record) => each(record),
            Err(e) => {
                return Ok((pos, Some(format!("undecodable record at byte {pos}: {e}"))));
            }
        }
        pos += (FRAME_HEADER + len as usize) as u64;
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn fsync_dir(dir: &Path) -> Result<(), ProgressError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir, "fsync directory"))
}

/// A job's progress store. Open it with [`ProgressStore::open`] (the one writer, locked) or
/// [`ProgressStore::open_read_only`].
#[derive(Debug)]
pub struct ProgressStore {
    dir: PathBuf,
    log: File,
    /// Trusted length of the log.
    len: u64,
    state: ProgressState,
    read_only: bool,
    poisoned: Option<String>,
    report: OpenReport,
    /// Held for the store's life: the flock is released when it is closed.
    _lock: Option<File>,
}

impl ProgressStore {
    /// The log file of a state directory.
    pub fn log_path(dir: impl AsRef<Path>) -> PathBuf {
        dir.as_ref().join(LOG_FILE)
    }

    /// Opens (creating if needed) the store in `dir` for writing, for the job `identity`.
    /// Takes the store's lock; truncates a torn or corrupt tail.
    pub fn open(
        dir: impl AsRef<Path>,
        identity: JobIdentity,
    ) -> Result<(ProgressStore, OpenReport), ProgressError> {
        let dir = dir.as_ref();
        fs::create_dir_all(dir).map_err(io_err(dir, "create state directory"))?;
        let lock = Self::lock(dir)?;
        let path = Self::log_path(dir);
        let existed = path.exists();
        let log = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io_err(&path, "open"))?;
        if !existed {
            log.sync_all().map_err(io_err(&path, "fsync"))?;
            fsync_dir(dir)?;
        }
        let (mut store, mut report) = Self::load(dir, log, true)?;
        report.created = !existed;
        store._lock = Some(lock);
        if let Some(stored) = &store.state.identity
            && *stored != identity
        {
            return Err(ProgressError::IdentityMismatch {
                path: dir.to_path_buf(),
                stored: Box::new(stored.clone()),
                requested: Box::new(identity),
            });
        }
        if report.dropped_bytes > 0 {
            store
                .log
                .set_len(store.len)
                .and_then(|()| store.log.sync_all())
                .map_err(io_err(&path, "truncate torn tail"))?;
        }
        if store.state.identity.is_none() {
            store.append(Record::JobIdentity(identity))?;
        }
        store.report = report.clone();
        Ok((store, report))
    }

    /// Opens the store in `dir` to read it, without the lock and without repairing it. A
    /// torn tail (or an append in progress) is ignored ([`ProgressStore::report`] says so).
    /// Writes are refused.
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<ProgressStore, ProgressError> {
        let dir = dir.as_ref();
        let path = Self::log_path(dir);
        let log = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(ProgressError::NotFound(dir.to_path_buf()));
            }
            Err(e) => return Err(io_err(&path, "open")(e)),
        };
        Self::load(dir, log, false).map(|(store, _)| store)
    }

    fn lock(dir: &Path) -> Result<File, ProgressError> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err(&path, "open lock file"))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(ProgressError::Locked {
                    path: dir.to_path_buf(),
                    holder: (!holder.is_empty()).then(|| holder.to_string()),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_err(&path, "lock")(e)),
        }
        // Diagnostics only: the flock is the lock.
        let _ = file
            .set_len(0)
            .and_then(|()| file.write_all(std::process::id().to_string().as_bytes()));
        Ok(file)
    }

    fn load(
        dir: &Path,
        log: File,
        writable: bool,
    ) -> Result<(ProgressStore, OpenReport), ProgressError> {
        let path = Self::log_path(dir);
        let file_len = log.metadata().map_err(io_err(&path, "stat"))?.len();
        let mut state = ProgressState::default();
        let mut records = 0u64;
        let (valid, problem) = scan(BufReader::new(&log), file_len, |r| {
            records += 1;
            state.apply(&r);
        })
        .map_err(io_err(&path, "read"))?;
        let report = OpenReport {
            created: false,
            records,
            valid_bytes: valid,
            dropped_bytes: file_len - valid,
            tail_problem: problem,
        };
        Ok((
            ProgressStore {
                dir: dir.to_path_buf(),
                log,
                len: valid,
                state,
                read_only: !writable,
                poisoned: None,
                report: report.clone(),
                _lock: None,
            },
            report,
        ))
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The derived state.
    pub fn state(&self) -> &ProgressState {
        &self.state
    }

    /// What the open found (for a writer: before repairing the tail).
    pub fn report(&self) -> &OpenReport {
        &self.report
    }

    /// Whether the store was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Bytes of trusted log.
    pub fn len_bytes(&self) -> u64 {
        self.len
    }

    fn append(&mut self, record: Record) -> Result<(), ProgressError> {
        if self.read_only {
            return Err(ProgressError::ReadOnly);
        }
        if let Some(why) = &self.poisoned {
            return Err(ProgressError::Poisoned(why.clone()));
        }
        let frame = encode_frame(&record);
        let path = Self::log_path(&self.dir);
        if let Err(e) = self
            .log
            .write_all(&frame)
            .and_then(|()| self.log.sync_data())
        {
            // The frame may be partly on disk: never append after it. Try to cut it off;
            // the next open drops it anyway.
            let _ = self
                .log
                .set_len(self.len)
                .and_then(|()| self.log.sync_data());
            self.poisoned = Some(e.to_string());
            return Err(io_err(&path, "append")(e));
        }
        self.len += frame.len() as u64;
        self.state.apply(&record);
        Ok(())
    }

    /// Records the start of a run; returns its generation (1 for the first run).
    pub fn begin_run(&mut self, workers: usize, processes: usize) -> Result<u64, ProgressError> {
        let generation = self.state.generation + 1;
        self.append(Record::RunStart {
            generation,
            started_at_ms: now_ms(),
            workers,
            processes,
        })?;
        Ok(generation)
    }

    /// Durably records an epoch's decision: once this returns `Ok`, the epoch is decided.
    /// Refuses an epoch that is not after the last decided one (unless it re-decides an
    /// aborted epoch with exactly its recorded ranges) and ranges that do not continue each
    /// partition's previous end.
    pub fn decide(&mut self, decision: &DecisionRecord) -> Result<(), ProgressError> {
        self.state.check_decision(decision)?;
        let mut d = decision.clone();
        d.ranges.sort_by_key(|r| (r.partition, r.start));
        self.append(Record::Decided(d))
    }

    /// Records that every transaction of a decided epoch is committed. Idempotent: an epoch
    /// already recorded committed is `Ok` and writes nothing.
    pub fn committed(
        &mut self,
        epoch: u64,
        visible_at_ms: Option<i64>,
    ) -> Result<(), ProgressError> {
        self.committed_record(epoch, visible_at_ms, None)
    }

    /// [`ProgressStore::committed`], also recording the error-row window after the epoch's
    /// rows were counted.
    pub fn committed_with_window(
        &mut self,
        epoch: u64,
        visible_at_ms: Option<i64>,
        window: ErrorWindow,
    ) -> Result<(), ProgressError> {
        self.committed_record(epoch, visible_at_ms, Some(window))
    }

    fn committed_record(
        &mut self,
        epoch: u64,
        visible_at_ms: Option<i64>,
        window: Option<ErrorWindow>,
    ) -> Result<(), ProgressError> {
        if !self.state.check_committed(epoch)? {
            return Ok(());
        }
        self.append(Record::Committed {
            epoch,
            committed_at_ms: now_ms(),
            visible_at_ms,
            window,
        })
    }

    /// Pauses the job with `reason` (Doris's `ReasonOfStateChanged`). Pausing a paused job
    /// keeps its first reason; a stopped job cannot be paused.
    pub fn pause(&mut self, reason: &str) -> Result<(), ProgressError> {
        match &self.state.status {
            JobStatus::Paused { .. } => Ok(()),
            JobStatus::Stopped { .. } | JobStatus::Cancelled { .. } => Err(ProgressError::State(
                "the job is STOPPED; a stopped job cannot be paused".into(),
            )),
            JobStatus::Runnable => self.append(Record::Paused {
                reason: reason.to_string(),
                at_ms: now_ms(),
            }),
        }
    }

    /// Resumes a paused job (a runnable job is left as it is).
    pub fn resume(&mut self) -> Result<(), ProgressError> {
        self.resume_as(false)
    }

    /// Resumes a paused job automatically (Doris's auto-resume: the counters go on).
    pub fn auto_resume(&mut self) -> Result<(), ProgressError> {
        self.resume_as(true)
    }

    fn resume_as(&mut self, auto: bool) -> Result<(), ProgressError> {
        match &self.state.status {
            JobStatus::Paused { .. } => self.append(Record::Resumed {
                at_ms: now_ms(),
                auto,
            }),
            JobStatus::Runnable => Ok(()),
            JobStatus::Stopped { .. } | JobStatus::Cancelled { .. } => Err(ProgressError::State(
                "the job is STOPPED; a stopped job cannot be resumed".into(),
            )),
        }
    }

    /// Stops the job for good.
    pub fn stop(&mut self) -> Result<(), ProgressError> {
        if self.state.status.is_final() {
            return Ok(());
        }
        self.append(Record::Stopped { at_ms: now_ms() })
    }

    /// Cancels the job for good (the system's STOP: its table is gone).
    pub fn cancel(&mut self, reason: &str) -> Result<(), ProgressError> {
        if self.state.status.is_final() {
            return Ok(());
        }
        self.append(Record::Cancelled {
            reason: reason.to_string(),
            at_ms: now_ms(),
        })
    }

    /// Records an `ALTER ROUTINE LOAD` (already validated against the job by the caller)
    /// and the start offsets it sets. As in Doris, only a PAUSED job can be altered.
    pub fn altered(
        &mut self,
        statement: &str,
        offsets: Vec<(i32, StartSpec)>,
    ) -> Result<(), ProgressError> {
        match &self.state.status {
            JobStatus::Paused { .. } => self.append(Record::Altered {
                statement: statement.to_string(),
                offsets,
                at_ms: now_ms(),
            }),
            JobStatus::Runnable => Err(ProgressError::State(
                "Only supports modification of PAUSED jobs".into(),
            )),
            JobStatus::Stopped { .. } | JobStatus::Cancelled { .. } => Err(ProgressError::State(
                "the job is STOPPED; a stopped job cannot be altered".into(),
            )),
        }
    }

    /// Records an `ALTER ROUTINE LOAD` that changed only the batch and concurrency knobs of
    /// a job that was not PAUSED (routinely's live ALTER). It sets no start offsets.
    pub fn altered_any_state(&mut self, statement: &str) -> Result<(), ProgressError> {
        if self.state.status.is_final() {
            return Err(ProgressError::State(
                "the job is STOPPED; a stopped job cannot be altered".into(),
            ));
        }
        self.append(Record::Altered {
            statement: statement.to_string(),
            offsets: Vec::new(),
            at_ms: now_ms(),
        })
    }

    /// Records that a decided, uncommitted epoch's transactions were lost: it must be
    /// re-loaded from its ranges and decided again. Aborting an aborted epoch is `Ok`.
    pub fn aborted(&mut self, epoch: u64, reason: &str) -> Result<(), ProgressError> {
        if !self.state.check_aborted(epoch)? {
            return Ok(());
        }
        self.append(Record::Aborted {
            epoch,
            reason: reason.to_string(),
        })
    }

    /// The trusted records, from the start, read from the log.
    pub fn records(&self) -> Result<Records, ProgressError> {
        let path = Self::log_path(&self.dir);
        let file = File::open(&path).map_err(io_err(&path, "open"))?;
        Ok(Records {
            reader: BufReader::new(file).take(self.len),
            path,
            done: false,
        })
    }
}

/// The records of a store, in order (see [`ProgressStore::records`]).
pub struct Records {
    reader: io::Take<BufReader<File>>,
    path: PathBuf,
    done: bool,
}

impl Iterator for Records {
    type Item = Result<Record, ProgressError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut header = [0u8; FRAME_HEADER];
        let fail = |what: String| {
            Some(Err(ProgressError::Io {
                path: self.path.clone(),
                op: "read record",
                source: io::Error::new(io::ErrorKind::InvalidData, what),
            }))
        };
        match read_full(&mut self.reader, &mut header) {
            Ok(0) => {
                self.done = true;
                return None;
            }
            Ok(FRAME_HEADER) => {}
            Ok(_) => {
                self.done = true;
                return fail("torn frame header".into());
            }
            Err(e) => {
                self.done = true;
                return fail(e.to_string());
            }
        }
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let mut payload = vec![0u8; len.min(MAX_PAYLOAD as usize)];
        let ok = matches!(read_full(&mut self.reader, &mut payload), Ok(n) if n == len);
        let crc = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
        if !ok || crc32fast::hash(&payload) != crc {
            self.done = true;
            return fail("frame changed since the store was opened".into());
        }
        match serde_json::from_slice(&payload) {
            Ok(r) => Some(Ok(r)),
            Err(e) => {
                self.done = true;
                fail(e.to_string())
            }
        }
    }
}

/// Status of an epoch (one decision attempt) in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum EpochStatus {
    /// Every transaction committed.
    Committed,
    /// Decided, commit pending.
    Pending,
    /// The transactions were lost; the epoch is (to be) re-loaded.
    Aborted {
        /// Why.
        reason: String,
    },
}

/// One decision in the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    /// The decision.
    pub decision: DecisionRecord,
    /// What became of it.
    pub status: EpochStatus,
    /// When it was recorded committed.
    pub committed_at_ms: Option<i64>,
    /// When the rows became visible, if known.
    pub visible_at_ms: Option<i64>,
    /// A later decision of the same epoch replaced this (aborted) one.
    pub superseded: bool,
}

/// One run in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerRun {
    /// Generation.
    pub generation: u64,
    /// Start time (milliseconds since the Unix epoch).
    pub started_at_ms: i64,
    /// Workers.
    pub workers: usize,
    /// Processes.
    pub processes: usize,
}

/// A change of the job's state in the ledger (pause, resume, stop, alter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEvent {
    /// The last epoch decided before it (`None`: before any).
    pub after_epoch: Option<u64>,
    /// `PAUSED`, `RESUMED`, `STOPPED` or `ALTERED`.
    pub kind: &'static str,
    /// The reason (pause) or the statement (alter).
    pub detail: String,
    /// Partitions whose start offsets it moved (alter).
    pub reset_partitions: Vec<i32>,
    /// When (milliseconds since the Unix epoch).
    pub at_ms: i64,
}

/// Every decision of a job, for `routinely ledger`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ledger {
    /// The job.
    pub identity: Option<JobIdentity>,
    /// Runs, in order.
    pub runs: Vec<LedgerRun>,
    /// State changes, in order.
    pub events: Vec<LedgerEvent>,
    /// Decisions by epoch (an aborted attempt before the decision that replaced it).
    pub entries: Vec<LedgerEntry>,
    /// What the read found at the end of the log.
    pub report: OpenReport,
}

/// Reads the ledger of the store in `dir` (read-only, without the lock).
pub fn ledger(dir: impl AsRef<Path>) -> Result<Ledger, ProgressError> {
    let store = ProgressStore::open_read_only(dir)?;
    let mut ledger = Ledger {
        identity: None,
        runs: Vec::new(),
        events: Vec::new(),
        entries: Vec::new(),
        report: store.report().clone(),
    };
    let mut latest: BTreeMap<u64, usize> = BTreeMap::new();
    let mut last_epoch: Option<u64> = None;
    for record in store.records()? {
        let record = record?;
        if let Record::Decided(d) = &record {
            last_epoch = last_epoch.max(Some(d.epoch));
        }
        let event = |kind, detail: String, reset_partitions, at_ms| LedgerEvent {
            after_epoch: last_epoch,
            kind,
            detail,
            reset_partitions,
            at_ms,
        };
        match record {
            Record::Paused { reason, at_ms } => {
                ledger
                    .events
                    .push(event("PAUSED", reason, Vec::new(), at_ms))
            }
            Record::Resumed { at_ms, auto } => ledger.events.push(event(
                "RESUMED",
                if auto {
                    "auto-resume".into()
                } else {
                    String::new()
                },
                Vec::new(),
                at_ms,
            )),
            Record::Cancelled { reason, at_ms } => {
                ledger
                    .events
                    .push(event("CANCELLED", reason, Vec::new(), at_ms))
            }
            Record::Stopped { at_ms } => {
                ledger
                    .events
                    .push(event("STOPPED", String::new(), Vec::new(), at_ms))
            }
            Record::Altered {
                statement,
                offsets,
                at_ms,
            } => ledger.events.push(event(
                "ALTERED",
                statement,
                offsets.iter().map(|(p, _)| *p).collect(),
                at_ms,
            )),
            Record::JobIdentity(id) => {
                if ledger.identity.is_none() {
                    ledger.identity = Some(id);
                }
            }
            Record::RunStart {
                generation,
                started_at_ms,
                workers,
                processes,
            } => ledger.runs.push(LedgerRun {
                generation,
                started_at_ms,
                workers,
                processes,
            }),
            Record::Decided(d) => {
                if let Some(&i) = latest.get(&d.epoch) {
                    ledger.entries[i].superseded = true;
                }
                latest.insert(d.epoch, ledger.entries.len());
                ledger.entries.push(LedgerEntry {
                    decision: d,
                    status: EpochStatus::Pending,
                    committed_at_ms: None,
                    visible_at_ms: None,
                    superseded: false,
                });
            }
            Record::Committed {
                epoch,
                committed_at_ms,
                visible_at_ms,
                ..
            } => {
                if let Some(&i) = latest.get(&epoch) {
                    let e = &mut ledger.entries[i];
                    e.status = EpochStatus::Committed;
                    e.committed_at_ms = Some(committed_at_ms);
                    e.visible_at_ms = visible_at_ms;
                }
            }
            Record::Aborted { epoch, reason } => {
                if let Some(&i) = latest.get(&epoch) {
                    ledger.entries[i].status = EpochStatus::Aborted { reason };
                }
            }
        }
    }
    // Stable: attempts of one epoch stay in record order.
    ledger.entries.sort_by_key(|e| e.decision.epoch);
    Ok(ledger)
}

impl Ledger {
    /// Checks that the decided ranges of every partition tile its offsets: each epoch's range
    /// starts where the previous one ended, none ends before it starts. Superseded (aborted
    /// then re-decided) attempts are skipped. An ALTER that moved a partition's start begins
    /// a new tiling of that partition.
    pub fn verify_tiling(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let mut ends: BTreeMap<i32, (i64, u64)> = BTreeMap::new();
        let mut resets = self
            .events
            .iter()
            .filter(|e| !e.reset_partitions.is_empty())
            .peekable();
        for entry in self.entries.iter().filter(|e| !e.superseded) {
            let d = &entry.decision;
            while let Some(reset) = resets.next_if(|r| r.after_epoch.is_none_or(|a| a < d.epoch)) {
                for p in &reset.reset_partitions {
                    ends.remove(p);
                }
            }
            let mut ranges = d.ranges.clone();
            ranges.sort_by_key(|r| (r.partition, r.start));
            for r in ranges {
                if r.start > r.end {
                    problems.push(format!(
                        "epoch {}: partition {} range [{}, {}) ends before it starts",
                        d.epoch, r.partition, r.start, r.end
                    ));
                }
                if let Some(&(end, prev)) = ends.get(&r.partition)
                    && end != r.start
                {
                    let what = if r.start > end {
                        format!("gap [{end}, {})", r.start)
                    } else {
                        format!("overlap [{}, {end})", r.start)
                    };
                    problems.push(format!(
                        "partition {}: {what} between epoch {prev} and epoch {}",
                        r.partition, d.epoch
                    ));
                }
                ends.insert(r.partition, (r.end, d.epoch));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    /// The ledger as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let time = |ms: Option<i64>| ms.map(format_utc_ms);
        json!({
            "identity": self.identity,
            "runs": self.runs.iter().map(|r| json!({
                "generation": r.generation,
                "started_at": format_utc_ms(r.started_at_ms),
                "started_at_ms": r.started_at_ms,
                "workers": r.workers,
                "processes": r.processes,
            })).collect::<Vec<_>>(),
            "events": self.events.iter().map(|e| json!({
                "kind": e.kind,
                "after_epoch": e.after_epoch,
                "detail": e.detail,
                "reset_partitions": e.reset_partitions,
                "at": format_utc_ms(e.at_ms),
                "at_ms": e.at_ms,
            })).collect::<Vec<_>>(),
            "epochs": self.entries.iter().map(|e| {
                let d = &e.decision;
                let (status, reason) = match &e.status {
                    EpochStatus::Committed => ("committed", None),
                    EpochStatus::Pending => ("decided", None),
                    EpochStatus::Aborted { reason } => ("aborted", Some(reason.clone())),
                };
                json!({
                    "epoch": d.epoch,
                    "generation": d.generation,
                    "status": status,
                    "abort_reason": reason,
                    "superseded": e.superseded,
                    "decided_at": format_utc_ms(d.decided_at_ms),
                    "decided_at_ms": d.decided_at_ms,
                    "committed_at": time(e.committed_at_ms),
                    "committed_at_ms": e.committed_at_ms,
                    "visible_at": time(e.visible_at_ms),
                    "visible_at_ms": e.visible_at_ms,
                    "ranges": d.ranges,
                    "txns": d.txns.iter().map(|(w, h)| json!({"worker": w, "handle": h})).collect::<Vec<_>>(),
                    "counts": d.counts,
                })
            }).collect::<Vec<_>>(),
            "tiling": match self.verify_tiling() { Ok(()) => json!("ok"), Err(e) => json!(e) },
            "dropped_bytes": self.report.dropped_bytes,
            "tail_problem": self.report.tail_problem,
        })
    }
}

impl fmt::Display for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.identity {
            Some(id) => writeln!(f, "{id}")?,
            None => writeln!(f, "(no job identity recorded)")?,
        }
        for r in &self.runs {
            writeln!(
                f,
                "run {}: started {}, {} workers in {} processes",
                r.generation,
                format_utc_ms(r.started_at_ms),
                r.workers,
                r.processes
            )?;
        }
        for e in &self.events {
            let after = e.after_epoch.map_or_else(
                || "before any epoch".to_string(),
                |a| format!("after epoch {a}"),
            );
            write!(f, "{} {} UTC ({after})", e.kind, format_utc_ms(e.at_ms))?;
            if !e.detail.is_empty() {
                write!(f, ": {}", e.detail)?;
            }
            writeln!(f)?;
        }
        let (mut committed, mut pending, mut aborted) = (0, 0, 0);
        let mut totals = RowCounts::default();
        for e in &self.entries {
            let d = &e.decision;
            let status = match &e.status {
                EpochStatus::Committed => {
                    committed += 1;
                    "committed".to_string()
                }
                EpochStatus::Pending => {
                    pending += 1;
                    "decided, commit pending".to_string()
                }
                EpochStatus::Aborted { reason } => {
                    aborted += 1;
                    if e.superseded {
                        format!("aborted ({reason}), re-loaded below")
                    } else {
                        format!("aborted ({reason}), re-load pending")
                    }
                }
            };
            if !e.superseded {
                totals.add(&d.counts);
            }
            writeln!(
                f,
                "epoch {}  generation {}  {status}",
                d.epoch, d.generation
            )?;
            writeln!(f, "  decided    {} UTC", format_utc_ms(d.decided_at_ms))?;
            if let Some(c) = e.committed_at_ms {
                write!(f, "  committed  {} UTC", format_utc_ms(c))?;
                if let Some(v) = e.visible_at_ms {
                    write!(f, "  (visible {} UTC)", format_utc_ms(v))?;
                }
                writeln!(f)?;
            }
            let c = &d.counts;
            writeln!(
                f,
                "  rows       loaded {}  filtered {}  unselected {}  total {}",
                c.loaded, c.filtered, c.unselected, c.total
            )?;
            for r in &d.ranges {
                writeln!(
                    f,
                    "  partition {}  [{}, {})  {} messages",
                    r.partition, r.start, r.end, r.messages
                )?;
            }
            for (w, h) in &d.txns {
                writeln!(f, "  txn worker {w}  {h}")?;
            }
        }
        writeln!(
            f,
            "{} epochs: {committed} committed, {pending} decided and pending, {aborted} aborted; rows loaded {} filtered {} unselected {} total {}",
            self.entries.len(),
            totals.loaded,
            totals.filtered,
            totals.unselected,
            totals.total
        )?;
        match self.verify_tiling() {
            Ok(()) => writeln!(f, "ranges tile every partition: no gap, no overlap")?,
            Err(e) => writeln!(f, "RANGES DO NOT TILE: {e}")?,
        }
        if self.report.dropped_bytes > 0 {
            writeln!(
                f,
                "{} bytes at the end of the log are not trusted: {}",
                self.report.dropped_bytes,
                self.report.tail_problem.as_deref().unwrap_or("")
            )?;
        }
        Ok(())
    }
}
