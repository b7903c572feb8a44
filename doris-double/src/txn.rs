//! Transactions and labels, as the FE's `DatabaseTransactionMgr` keeps them: txn ids from a
//! base, labels unique per database among txns that are not ABORTED, the state machine
//! PREPARE → PRECOMMITTED → COMMITTED → VISIBLE / ABORTED with the §7.4 messages of every
//! refused 2PC operation, publishing (COMMITTED → VISIBLE, applying the rows to the table) in
//! commit order, the precommit timeout, and label expiry (`label_keep` and the
//! `label_num_threshold` rule). Also the table data and the error logs of loads.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use routinely_schemas::TableSchema;

use crate::load::LoadRow;
use crate::store::{TableData, TextRow};

/// Abort reason of the precommit timeout.
pub const TIMEOUT_REASON: &str = "timeout by txn manager";
/// Abort reason of a 2PC abort.
pub const USER_ABORT: &str = "User Abort";

/// A txn's status (FE `TransactionStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnStatus {
    /// Begun; the load is running.
    Prepare,
    /// 2PC: data written, awaiting commit or abort.
    Precommitted,
    /// Committed, not yet visible.
    Committed,
    /// Visible.
    Visible,
    /// Aborted.
    Aborted,
}

impl TxnStatus {
    /// The FE's name.
    pub fn as_str(self) -> &'static str {
        match self {
            TxnStatus::Prepare => "PREPARE",
            TxnStatus::Precommitted => "PRECOMMITTED",
            TxnStatus::Committed => "COMMITTED",
            TxnStatus::Visible => "VISIBLE",
            TxnStatus::Aborted => "ABORTED",
        }
    }

    /// `ExistingJobStatus` of a label held by a txn in this status.
    pub fn existing_job_status(self) -> &'static str {
        match self {
            TxnStatus::Prepare | TxnStatus::Aborted => "RUNNING",
            TxnStatus::Precommitted => "PRECOMMITTED",
            TxnStatus::Committed | TxnStatus::Visible => "FINISHED",
        }
    }
}

/// One txn.
#[derive(Debug)]
pub struct Txn {
    /// Id.
    pub id: u64,
    /// Database.
    pub db: String,
    /// Table.
    pub table: String,
    /// Label.
    pub label: String,
    /// Status.
    pub status: TxnStatus,
    /// Abort reason ("" unless ABORTED).
    pub reason: String,
    rows: Vec<LoadRow>,
    seq: Option<usize>,
    /// Rows the load wrote.
    pub row_count: u64,
    precommitted_at: Option<Instant>,
    visible_at: Option<Instant>,
    finished_at: Option<Instant>,
}

/// A summary of a txn for tests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TxnInfo {
    /// Database.
    pub db: String,
    /// Txn id.
    pub txn_id: u64,
    /// Label.
    pub label: String,
    /// `PREPARE`, `PRECOMMITTED`, `COMMITTED`, `VISIBLE` or `ABORTED`.
    pub status: String,
    /// Abort reason ("" unless ABORTED).
    pub reason: String,
    /// Rows the load wrote.
    pub rows: u64,
}

/// Why a txn could not begin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeginError {
    /// The label is held by a txn that is not ABORTED.
    LabelExists {
        /// That txn.
        txn_id: u64,
        /// Its status.
        status: TxnStatus,
    },
    /// Unknown table.
    UnknownTable(String),
}

/// A 2PC target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnRef {
    /// By `txn_id`.
    Id(u64),
    /// By `label`.
    Label(String),
}

/// A 2PC operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoPcOp {
    /// `commit`.
    Commit,
    /// `abort`.
    Abort,
}

/// All txns, labels and tables of one server.
#[derive(Debug)]
pub struct Txns {
    next_id: u64,
    txns: BTreeMap<u64, Txn>,
    publish: VecDeque<u64>,
    tables: BTreeMap<(String, String), TableData>,
    error_logs: HashMap<String, String>,
}

impl Txns {
    /// Empty state over `tables`, txn ids from `base`.
    pub fn new(tables: Vec<(String, TableSchema)>, base: u64) -> Txns {
        Txns {
            next_id: base,
            txns: BTreeMap::new(),
            publish: VecDeque::new(),
            tables: tables
                .into_iter()
                .map(|(db, t)| ((db, t.name.clone()), TableData::new(t)))
                .collect(),
            error_logs: HashMap::new(),
        }
    }

    /// The table `db.table` (table names compare case-sensitively, databases too).
    pub fn table(&self, db: &str, table: &str) -> Option<&TableData> {
        self.tables.get(&(db.to_string(), table.to_string()))
    }

    /// Whether a database exists.
    pub fn has_db(&self, db: &str) -> bool {
        self.tables.keys().any(|(d, _)| d == db)
    }

    /// Every table.
    pub fn tables(&self) -> impl Iterator<Item = (&(String, String), &TableData)> {
        self.tables.iter()
    }

    fn label_txns<'a>(&'a self, db: &'a str, label: &'a str) -> impl Iterator<Item = &'a Txn> + 'a {
        self.txns
            .values()
            .filter(move |t| t.db == db && t.label == label)
    }

    /// A txn by id.
    pub fn get(&self, id: u64) -> Option<&Txn> {
        self.txns.get(&id)
    }

    /// Begins a txn for a load.
    pub fn begin(&mut self, db: &str, table: &str, label: &str) -> Result<u64, BeginError> {
        if self.table(db, table).is_none() {
            return Err(BeginError::UnknownTable(table.to_string()));
        }
        if let Some(t) = self
            .label_txns(db, label)
            .filter(|t| t.status != TxnStatus::Aborted)
            .last()
        {
            return Err(BeginError::LabelExists {
                txn_id: t.id,
                status: t.status,
            });
        }
        let id = self.next_id;
        self.next_id += 1;
        self.txns.insert(
            id,
            Txn {
                id,
                db: db.to_string(),
                table: table.to_string(),
                label: label.to_string(),
                status: TxnStatus::Prepare,
                reason: String::new(),
                rows: Vec::new(),
                seq: None,
                row_count: 0,
                precommitted_at: None,
                visible_at: None,
                finished_at: None,
            },
        );
        Ok(id)
    }

    /// Aborts a txn that is PREPARE or PRECOMMITTED; returns whether it did.
    pub fn abort(&mut self, id: u64, reason: &str, now: Instant) -> bool {
        match self.txns.get_mut(&id) {
            Some(t) if matches!(t.status, TxnStatus::Prepare | TxnStatus::Precommitted) => {
                t.status = TxnStatus::Aborted;
                t.reason = reason.to_string();
                t.rows = Vec::new();
                t.finished_at = Some(now);
                true
            }
            _ => false,
        }
    }

    /// The load of a PREPARE txn wrote its rows: PRECOMMITTED (2PC) or committed, visible
    /// after `publish_delay`. `Err` is the FE's refusal when the txn is no longer PREPARE.
    pub fn finish_load(
        &mut self,
        id: u64,
        rows: Vec<LoadRow>,
        seq: Option<usize>,
        two_phase: bool,
        publish_delay: Duration,
        now: Instant,
    ) -> Result<(), String> {
        let Some(t) = self.txns.get_mut(&id) else {
            return Err(format!("transaction [{id}] not found"));
        };
        if t.status != TxnStatus::Prepare {
            return Err(match t.status {
                TxnStatus::Aborted => format!(
                    "transaction [{id}] is already aborted. abort reason: {}",
                    t.reason
                ),
                s => format!("transaction [{id}]'s status is {}", s.as_str()),
            });
        }
        t.row_count = rows.len() as u64;
        t.rows = rows;
        t.seq = seq;
        if two_phase {
            t.status = TxnStatus::Precommitted;
            t.precommitted_at = Some(now);
        } else {
            self.commit(id, publish_delay, now);
        }
        Ok(())
    }

    fn commit(&mut self, id: u64, publish_delay: Duration, now: Instant) {
        if let Some(t) = self.txns.get_mut(&id) {
            t.status = TxnStatus::Committed;
            t.visible_at = Some(now + publish_delay);
            self.publish.push_back(id);
        }
        self.publish_due(now);
    }

    /// Makes due COMMITTED txns VISIBLE, in commit order (a txn waits for the ones committed
    /// before it, as versions publish in order).
    pub fn publish_due(&mut self, now: Instant) {
        while let Some(&id) = self.publish.front() {
            let Some(t) = self.txns.get_mut(&id) else {
                self.publish.pop_front();
                continue;
            };
            if t.visible_at.is_some_and(|v| v > now) {
                return;
            }
            self.publish.pop_front();
            t.status = TxnStatus::Visible;
            t.finished_at = Some(now);
            let rows = std::mem::take(&mut t.rows);
            let seq = t.seq;
            let key = (t.db.clone(), t.table.clone());
            if let Some(table) = self.tables.get_mut(&key) {
                table.apply(&rows, seq);
            }
        }
    }

    /// Resolves a 2PC target to a txn id, or the FE's detail message.
    pub fn resolve(&self, db: &str, op: TwoPcOp, target: &TxnRef) -> Result<u64, String> {
        match target {
            TxnRef::Id(id) => match self.txns.get(id) {
                Some(t) if t.db == db => Ok(*id),
                _ => Err(format!("transaction [{id}] not found")),
            },
            TxnRef::Label(label) => {
                let mut any = false;
                let wanted: &[TxnStatus] = match op {
                    TwoPcOp::Commit => &[TxnStatus::Precommitted],
                    TwoPcOp::Abort => &[TxnStatus::Precommitted, TxnStatus::Prepare],
                };
                for st in wanted {
                    for t in self.label_txns(db, label) {
                        any = true;
                        if t.status == *st {
                            return Ok(t.id);
                        }
                    }
                }
                if any || self.label_txns(db, label).next().is_some() {
                    Err(format!("running transaction not found, label={label}"))
                } else {
                    Err(format!("transaction not found, label={label}"))
                }
            }
        }
    }

    /// Commits or aborts a resolved txn; `Err` is the FE's detail message (§7.4).
    pub fn two_pc(
        &mut self,
        id: u64,
        op: TwoPcOp,
        publish_delay: Duration,
        now: Instant,
    ) -> Result<(), String> {
        let Some(t) = self.txns.get(&id) else {
            return Err(format!("transaction [{id}] not found"));
        };
        match (op, t.status) {
            (TwoPcOp::Commit, TxnStatus::Precommitted) => {
                self.commit(id, publish_delay, now);
                Ok(())
            }
            (TwoPcOp::Commit, TxnStatus::Prepare) => {
                Err(format!("transaction [{id}] is prepare, not pre-committed."))
            }
            (TwoPcOp::Commit, TxnStatus::Committed) => Err(format!(
                "transaction [{id}] is already committed, not pre-committed."
            )),
            (TwoPcOp::Commit, TxnStatus::Visible) => Err(format!(
                "transaction [{id}] is already visible, not pre-committed."
            )),
            (TwoPcOp::Commit, TxnStatus::Aborted) => Err(format!(
                "transaction [{id}] is already aborted. abort reason: {}",
                t.reason
            )),
            (TwoPcOp::Abort, TxnStatus::Prepare | TxnStatus::Precommitted) => {
                self.abort(id, USER_ABORT, now);
                Ok(())
            }
            (TwoPcOp::Abort, TxnStatus::Committed) => Err(format!(
                "transaction [{id}] is already COMMITTED, could not abort."
            )),
            (TwoPcOp::Abort, TxnStatus::Visible) => Err(format!(
                "transaction [{id}] is already VISIBLE, could not abort."
            )),
            (TwoPcOp::Abort, TxnStatus::Aborted) => Err(format!(
                "transaction [{id}] is already aborted, abort reason: {}",
                t.reason
            )),
        }
    }

    /// The status of a label's latest txn, `UNKNOWN` when the label is not known.
    pub fn load_state(&self, db: &str, label: &str) -> &'static str {
        self.label_txns(db, label)
            .last()
            .map(|t| t.status.as_str())
            .unwrap_or("UNKNOWN")
    }

    /// Aborts PRECOMMITTED txns precommitted at least `timeout` ago (all when `None`) with
    /// the precommit timeout's reason; returns how many.
    pub fn expire_precommitted(&mut self, timeout: Option<Duration>, now: Instant) -> usize {
        let due: Vec<u64> = self
            .txns
            .values()
            .filter(|t| t.status == TxnStatus::Precommitted)
            .filter(|t| match (timeout, t.precommitted_at) {
                (None, _) => true,
                (Some(d), Some(at)) => now.saturating_duration_since(at) >= d,
                (Some(_), None) => false,
            })
            .map(|t| t.id)
            .collect();
        for id in &due {
            self.abort(*id, TIMEOUT_REASON, now);
        }
        due.len()
    }

    /// Forgets final (VISIBLE / ABORTED) txns finished at least `keep` ago, and the oldest
    /// final txns of a database beyond `threshold` of them.
    pub fn clean_labels(&mut self, keep: Duration, threshold: usize, now: Instant) {
        let mut per_db: BTreeMap<String, Vec<(Instant, u64)>> = BTreeMap::new();
        for t in self.txns.values() {
            if let Some(at) = t.finished_at
                && matches!(t.status, TxnStatus::Visible | TxnStatus::Aborted)
            {
                per_db.entry(t.db.clone()).or_default().push((at, t.id));
            }
        }
        for (_, mut list) in per_db {
            list.sort();
            let mut left = list.len();
            for (at, id) in list {
                if now.saturating_duration_since(at) >= keep || left > threshold {
                    self.txns.remove(&id);
                    left -= 1;
                } else {
                    break;
                }
            }
        }
    }

    /// Every txn, by id.
    pub fn infos(&self) -> Vec<TxnInfo> {
        self.txns
            .values()
            .map(|t| TxnInfo {
                db: t.db.clone(),
                txn_id: t.id,
                label: t.label.clone(),
                status: t.status.as_str().to_string(),
                reason: t.reason.clone(),
                rows: t.row_count,
            })
            .collect()
    }

    /// Visible rows of a table.
    pub fn rows(&self, db: &str, table: &str) -> Option<(Vec<String>, Vec<TextRow>)> {
        let t = self.table(db, table)?;
        Some((
            t.schema().columns.iter().map(|c| c.name.clone()).collect(),
            t.rows(),
        ))
    }

    /// Stores an error log; returns its file name.
    pub fn add_error_log(&mut self, txn_id: u64, lines: &[String]) -> String {
        let name = format!(
            "__shard_0/error_log_insert_stmt_{txn_id}_{}",
            self.error_logs.len()
        );
        let mut text = lines.join("\n");
        if lines.len() >= crate::load::MAX_ERROR_LINES {
            text.push_str("\nTOO MUCH ERROR! already reach 50. show no more next error.");
        }
        text.push('\n');
        self.error_logs.insert(name.clone(), text);
        name
    }

    /// An error log by file name.
    pub fn error_log(&self, name: &str) -> Option<&str> {
        self.error_logs.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use routinely_schemas::sql::parse_create_table;

    fn txns() -> Txns {
        let t = parse_create_table("CREATE TABLE d.t (k INT, v INT) DUPLICATE KEY(k)").unwrap();
        Txns::new(vec![("d".into(), t)], 1000)
    }

    #[test]
    fn labels_and_states() {
        let now = Instant::now();
        let mut x = txns();
        let a = x.begin("d", "t", "l").unwrap();
        assert_eq!(a, 1000);
        assert_eq!(
            x.begin("d", "t", "l"),
            Err(BeginError::LabelExists {
                txn_id: a,
                status: TxnStatus::Prepare
            })
        );
        x.finish_load(a, vec![], None, true, Duration::ZERO, now)
            .unwrap();
        assert_eq!(x.load_state("d", "l"), "PRECOMMITTED");
        assert_eq!(x.two_pc(a, TwoPcOp::Abort, Duration::ZERO, now), Ok(()));
        let b = x.begin("d", "t", "l").unwrap();
        assert_eq!(b, 1001);
        x.finish_load(b, vec![], None, false, Duration::ZERO, now)
            .unwrap();
        assert_eq!(x.load_state("d", "l"), "VISIBLE");
        assert_eq!(
            x.two_pc(b, TwoPcOp::Abort, Duration::ZERO, now),
            Err("transaction [1001] is already VISIBLE, could not abort.".into())
        );
        assert_eq!(
            x.resolve("d", TwoPcOp::Commit, &TxnRef::Label("l".into())),
            Err("running transaction not found, label=l".into())
        );
        assert_eq!(
            x.resolve("d", TwoPcOp::Commit, &TxnRef::Label("zz".into())),
            Err("transaction not found, label=zz".into())
        );
        x.clean_labels(Duration::from_secs(3600), 1, now);
        assert_eq!(x.infos().len(), 1);
        x.clean_labels(Duration::ZERO, 100, now);
        assert!(x.infos().is_empty());
        assert_eq!(x.load_state("d", "l"), "UNKNOWN");
    }
}
