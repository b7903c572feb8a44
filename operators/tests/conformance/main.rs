//! Conformance suite: the row path against Doris's documented, coded and regression-tested
//! behaviour. Each test names the rule it encodes: a section of `doris-spec.md`, a Doris
//! source function, or a regression suite under `regression-test/` of apache/doris.
//!
//! Expected rows are written the way the regression framework's `.out` files lay them out
//! (values joined by TAB, `\N` for NULL) but with values printed as the MySQL client prints
//! them: BOOLEAN `1` / `0`, DATETIME `YYYY-MM-DD HH:MM:SS[.f]`, FLOAT / DOUBLE with 7 / 16
//! significant digits.
//!
//! Every job runs with an explicit `timezone` (Asia/Shanghai unless a test says otherwise,
//! the zone of Doris's regression CI) and a fixed batch time, so results never depend on the
//! machine.

mod csv;
mod exprs;
mod json;
mod jsonpaths;
mod regression;
mod strict;
mod types;

use std::sync::Arc;

use routinely_operators::row::datum::rows_as_text;
use routinely_operators::row::{LoadPlan, Message, PlanError, RejectedRow, RowBatch, RowPath};
use routinely_schemas::sql::{Statement, parse_create_table, parse_statement};
use routinely_schemas::table::TableSchema;

/// The batch time every test uses: 2023-11-14 22:13:20 UTC (2023-11-15 06:13:20 in
/// Asia/Shanghai).
pub const NOW_MICROS: i64 = 1_700_000_000_000_000;

/// A routine-load job over one table, built clause by clause.
#[derive(Clone)]
pub struct Load {
    table: TableSchema,
    with: Option<&'static str>,
    clauses: Vec<String>,
    props: Vec<(String, String)>,
}

/// A SQL string literal whose value, after Doris's `escapeBackSlash`, is `v`.
fn sql_literal(v: &str) -> String {
    let mut s = String::from("'");
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\'' => s.push_str("\\'"),
            c => s.push(c),
        }
    }
    s.push('\'');
    s
}

impl Load {
    /// A job on the table `ddl` creates, with `format` = csv.
    pub fn csv(ddl: &str) -> Load {
        Load::new(ddl, "csv")
    }

    /// A job on the table `ddl` creates, with `format` = json.
    pub fn json(ddl: &str) -> Load {
        Load::new(ddl, "json")
    }

    fn new(ddl: &str, format: &str) -> Load {
        let table = parse_create_table(ddl).expect("CREATE TABLE parses");
        Load {
            table,
            with: None,
            clauses: Vec::new(),
            props: vec![
                ("format".into(), format.into()),
                ("timezone".into(), "Asia/Shanghai".into()),
            ],
        }
    }

    /// Adds a load clause (`COLUMNS(...)`, `WHERE ...`, `COLUMNS TERMINATED BY ","`, ...).
    pub fn clause(mut self, c: &str) -> Load {
        self.clauses.push(c.to_string());
        self
    }

    /// Sets a job property (replacing an earlier value).
    pub fn prop(mut self, k: &str, v: &str) -> Load {
        self.props.retain(|(key, _)| key != k);
        self.props.push((k.to_string(), v.to_string()));
        self
    }

    /// `"strict_mode" = "true"`.
    pub fn strict(self) -> Load {
        self.prop("strict_mode", "true")
    }

    /// `"doris_version" = v`.
    pub fn version(self, v: &str) -> Load {
        self.prop("doris_version", v)
    }

    /// `WITH MERGE` / `WITH DELETE` / `WITH APPEND`.
    pub fn with(mut self, merge_type: &'static str) -> Load {
        self.with = Some(merge_type);
        self
    }

    /// The CREATE ROUTINE LOAD statement.
    pub fn sql(&self) -> String {
        let mut sql = format!("CREATE ROUTINE LOAD db.job1 ON {}", self.table.name);
        if let Some(w) = self.with {
            sql.push_str(&format!(" WITH {w}"));
        }
        if !self.clauses.is_empty() {
            sql.push(' ');
            sql.push_str(&self.clauses.join(", "));
        }
        sql.push_str(" PROPERTIES (");
        let props: Vec<String> = self
            .props
            .iter()
            .map(|(k, v)| format!("\"{k}\" = {}", sql_literal(v)))
            .collect();
        sql.push_str(&props.join(", "));
        sql.push_str(") FROM KAFKA (\"kafka_broker_list\" = \"b1:9092\", \"kafka_topic\" = \"t\")");
        sql
    }

    /// Plans the job, or the planning error.
    pub fn try_plan(&self) -> Result<Arc<LoadPlan>, PlanError> {
        let sql = self.sql();
        let stmt = parse_statement(&sql).unwrap_or_else(|e| panic!("{sql}\n{e}"));
        let Statement::CreateRoutineLoad(job) = stmt else {
            panic!("not a CREATE ROUTINE LOAD: {sql}");
        };
        LoadPlan::new(&self.table, &job).map(Arc::new)
    }

    /// Plans the job.
    pub fn plan(&self) -> Arc<LoadPlan> {
        self.try_plan().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs one batch of messages (partition 0, offsets 0, 1, 2, ...).
    pub fn run(&self, messages: &[&str]) -> Out {
        let bytes: Vec<&[u8]> = messages.iter().map(|m| m.as_bytes()).collect();
        self.run_bytes(&bytes)
    }

    /// Runs one batch of raw messages (partition 0, offsets 0, 1, 2, ...).
    pub fn run_bytes(&self, messages: &[&[u8]]) -> Out {
        let at: Vec<(i32, i64, &[u8])> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| (0, i as i64, *m))
            .collect();
        self.run_at(&at)
    }

    /// Runs one batch of messages at the given partitions and offsets.
    pub fn run_at(&self, messages: &[(i32, i64, &[u8])]) -> Out {
        let plan = self.plan();
        let mut path = RowPath::new(plan.clone());
        path.begin_batch(NOW_MICROS);
        for &(partition, offset, value) in messages {
            path.push(Message {
                partition,
                offset,
                value,
            });
        }
        let batch = path.finish();
        let rows = rows_as_text(&batch.batches, plan.table());
        Out { rows, batch }
    }
}

/// What a batch produced.
pub struct Out {
    /// Loaded rows as MySQL-client text (`None` = NULL).
    pub rows: Vec<Vec<Option<String>>>,
    /// The batch: Arrow chunks, rejected rows, counts.
    pub batch: RowBatch,
}

impl Out {
    /// Loaded rows as `.out`-style lines: values joined by TAB, `\N` for NULL.
    pub fn tsv(&self) -> Vec<String> {
        self.rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| v.as_deref().unwrap_or("\\N"))
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect()
    }

    /// The loaded rows, sorted (for suites whose `.out` is `order by`).
    pub fn sorted(&self) -> Vec<String> {
        let mut v = self.tsv();
        v.sort();
        v
    }

    /// `(total, loaded, filtered, unselected)`.
    pub fn counts(&self) -> (u64, u64, u64, u64) {
        let c = &self.batch.counts;
        (c.total, c.loaded, c.filtered, c.unselected)
    }

    /// The rejected rows.
    pub fn rejected(&self) -> &[RejectedRow] {
        &self.batch.rejected
    }

    /// The reasons of the rejected rows, in order.
    pub fn reasons(&self) -> Vec<&str> {
        self.batch
            .rejected
            .iter()
            .map(|r| r.reason.as_str())
            .collect()
    }

    /// The only rejected row's reason.
    pub fn reason(&self) -> &str {
        assert_eq!(self.batch.rejected.len(), 1, "{:?}", self.batch.rejected);
        &self.batch.rejected[0].reason
    }

    /// The delete-sign column of a MERGE / DELETE job.
    pub fn delete_signs(&self) -> Vec<i8> {
        use arrow_array::cast::AsArray;
        use arrow_array::types::Int8Type;
        self.batch
            .batches
            .iter()
            .flat_map(|b| {
                let col = b.column(b.num_columns() - 1);
                let a = col.as_primitive::<Int8Type>();
                (0..a.len()).map(|i| a.value(i)).collect::<Vec<_>>()
            })
            .collect()
    }
}

/// Asserts the accounting identity every batch keeps (doris-spec §6.2).
pub fn assert_identity(out: &Out) {
    let (total, loaded, filtered, unselected) = out.counts();
    assert_eq!(
        total,
        loaded + filtered + unselected,
        "{:?}",
        out.batch.counts
    );
    assert_eq!(loaded as usize, out.rows.len());
    assert_eq!(filtered as usize, out.batch.rejected.len());
}

/// `["a\tb", ...]` from string literals.
pub fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}
