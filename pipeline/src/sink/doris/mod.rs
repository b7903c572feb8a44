//! The Doris sink: every epoch lands in the Doris table exactly once through Stream Load
//! two-phase commit (doris-spec.md §7).
//!
//! | piece | owns |
//! |---|---|
//! | [`http`] | HTTP/1.1 with Basic auth kept across the FE's 307, `Expect: 100-continue`, chunked bodies |
//! | [`client`] | Doris's API: Stream Load answers, 2PC by txn id or label, `get_load_state`, `_schema` |
//! | [`encode`] | Arrow IPC, JSON lines and CSV bodies from the row path's batches |
//! | [`load`] | the worker side: one 2PC Stream Load per worker per epoch, spooled for retries |
//! | [`commit`] | the coordinator side: commit by txn id, confirm VISIBLE, recover at start |
//!
//! Labels are `routinely_<job>_<table>_g<generation>_e<epoch>_w<worker>` (characters outside
//! Doris's label alphabet become `_`; a label over 128 characters keeps its tail and a hash of
//! the whole), never from time or randomness: a retried load under its label cannot load
//! twice. A worker's handle is `TXN_ID LABEL PARTITIONS` (the partitions its transaction
//! covers), recorded in the epoch's decision.

pub mod client;
pub mod commit;
pub mod encode;
pub mod http;
pub mod load;

use std::fmt;

use arrow_schema::SchemaRef;

use routinely_operators::row::LoadPlan;
use routinely_schemas::job::LoadFormat;
use routinely_schemas::{DorisType, RoutineLoadJob, TableSchema};

pub use client::{DorisClient, DorisTarget};
pub use commit::DorisCommitter;
pub use load::DorisTxnSink;

/// Doris's hidden delete-sign column, which the row path adds for MERGE / DELETE jobs.
const DELETE_SIGN_COLUMN: &str = "__DORIS_DELETE_SIGN__";

/// What every Stream Load of a job says besides its label.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// The body format.
    pub format: LoadFormat,
    /// The batches' schema (the table's columns, then the delete sign if any).
    pub schema: SchemaRef,
    /// The Doris type of each column (`None`: the delete sign).
    pub types: Vec<Option<DorisType>>,
    /// Labels start with this.
    pub label_prefix: String,
    /// Headers common to every load.
    pub headers: Vec<(String, String)>,
}

impl LoadSpec {
    /// The loads of `job` with `plan`'s batches. A table with a column Doris's Arrow reader
    /// cannot take (JSON, VARIANT, ...) is sent as JSON lines instead of Arrow.
    pub fn new(job: &RoutineLoadJob, plan: &LoadPlan) -> LoadSpec {
        let schema = plan.output_schema();
        let table = plan.table();
        let types: Vec<Option<DorisType>> = schema
            .fields()
            .iter()
            .map(|f| {
                table
                    .columns
                    .iter()
                    .find(|c| &c.name == f.name())
                    .map(|c| c.ty.clone())
            })
            .collect();
        let mut format = job.properties.load_format;
        if format == LoadFormat::Arrow && !types.iter().flatten().all(encode::arrow_supports) {
            format = LoadFormat::Json;
        }
        // Every column by name (backquoted), the delete sign last, as Doris's connectors do.
        let columns: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| {
                if f.name() == DELETE_SIGN_COLUMN {
                    f.name().clone()
                } else {
                    format!("`{}`", f.name().replace('`', "``"))
                }
            })
            .collect();
        let mut headers = vec![
            ("two_phase_commit".to_string(), "true".to_string()),
            ("columns".to_string(), columns.join(",")),
            // Rows arrive coerced: Doris must take every one of them.
            ("max_filter_ratio".to_string(), "0".to_string()),
            ("strict_mode".to_string(), "false".to_string()),
            ("timezone".to_string(), job.properties.timezone.clone()),
        ];
        if let Some(seq) = &job.load.order_by {
            headers.push(("function_column.sequence_col".into(), seq.clone()));
        }
        LoadSpec {
            format,
            schema,
            types,
            label_prefix: job_label_prefix(job, table),
            headers,
        }
    }

    /// The headers of a load under `label` whose body `encoder` writes.
    pub fn headers(&self, label: &str, encoder: &encode::Encoder) -> Vec<(String, String)> {
        let mut h = Vec::with_capacity(self.headers.len() + 6);
        h.push(("label".to_string(), label.to_string()));
        h.extend(self.headers.iter().cloned());
        h.extend(encoder.format_headers());
        h
    }
}

/// The label prefix of `job` loading `table` (the job's target table, else the table's name).
pub fn job_label_prefix(job: &RoutineLoadJob, table: &TableSchema) -> String {
    label_prefix(&job.name, job.table.as_deref().unwrap_or(&table.name))
}

/// `routinely_<job>_<table>`, in Doris's label alphabet.
pub fn label_prefix(job: &str, table: &str) -> String {
    sanitize(&format!("routinely_{job}_{table}"))
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The label of worker `worker`'s transaction of `epoch` in run `generation`.
pub fn label(prefix: &str, generation: u64, epoch: u64, worker: usize) -> String {
    let tail = format!("_g{generation}_e{epoch}_w{worker}");
    let full = format!("{prefix}{tail}");
    if full.len() <= 128 {
        return full;
    }
    // Too long: keep as much of the prefix as fits with a hash of the whole prefix.
    let hash = fnv(prefix.as_bytes());
    let keep = 128 - tail.len() - 17;
    format!("{}_{hash:016x}{tail}", &prefix[..keep.min(prefix.len())])
}

fn fnv(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &x in b {
        h ^= x as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// A worker's pre-committed transaction, as recorded in an epoch's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle {
    /// Doris's txn id (−1 when Doris did not say: commit by label then).
    pub txn_id: i64,
    /// The label.
    pub label: String,
    /// The Kafka partitions its rows came from.
    pub partitions: Vec<i32>,
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.txn_id, self.label)?;
        for (i, p) in self.partitions.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl Handle {
    /// Reads a recorded handle.
    pub fn parse(s: &str) -> Option<Handle> {
        let mut it = s.splitn(3, ' ');
        let txn_id = it.next()?.parse().ok()?;
        let label = it.next()?.to_string();
        let partitions = it
            .next()
            .unwrap_or("")
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().ok())
            .collect::<Option<Vec<i32>>>()?;
        Some(Handle {
            txn_id,
            label,
            partitions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_deterministic_and_valid() {
        let p = label_prefix("db.job-1", "orders");
        assert_eq!(label(&p, 3, 17, 2), "routinely_db_job-1_orders_g3_e17_w2");
        let long = label_prefix(&"j".repeat(200), "t");
        let l = label(&long, 1, 2, 3);
        assert!(l.len() <= 128 && l.ends_with("_g1_e2_w3"), "{l}");
        assert_eq!(l, label(&long, 1, 2, 3));
        assert_ne!(l, label(&label_prefix(&"j".repeat(201), "t"), 1, 2, 3));
        assert!(
            l.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        );
    }

    fn spec(table: &str, props: &str, with: &str) -> LoadSpec {
        use routinely_schemas::sql::{Statement, parse_create_table, parse_statement};
        let table = parse_create_table(table).unwrap();
        let sql = format!(
            "CREATE ROUTINE LOAD db.j ON t {with} PROPERTIES (\"format\" = \"json\" {props}) \
             FROM KAFKA (\"kafka_broker_list\" = \"b:9092\", \"kafka_topic\" = \"x\")"
        );
        let job = match parse_statement(&sql) {
            Ok(Statement::CreateRoutineLoad(job)) => job,
            other => panic!("{sql}: {other:?}"),
        };
        LoadSpec::new(&job, &LoadPlan::new(&table, &job).unwrap())
    }

    fn header<'a>(spec: &'a LoadSpec, name: &str) -> Option<&'a str> {
        spec.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn load_spec_picks_the_format_and_names_every_column() {
        let plain = "CREATE TABLE t (k INT, `v-1` VARCHAR(8)) DUPLICATE KEY(k) \
                     DISTRIBUTED BY HASH(k) BUCKETS 1";
        let s = spec(plain, "", "");
        assert_eq!(s.format, LoadFormat::Arrow);
        assert_eq!(header(&s, "columns"), Some("`k`,`v-1`"));
        assert_eq!(header(&s, "two_phase_commit"), Some("true"));
        assert_eq!(header(&s, "max_filter_ratio"), Some("0"));
        assert_eq!(s.label_prefix, "routinely_j_t");
        let s = spec(plain, r#", "load_format" = "csv""#, "");
        assert_eq!(s.format, LoadFormat::Csv);
        // No Arrow reader for JSON columns in Doris: JSON lines instead.
        let json = "CREATE TABLE t (k INT, j JSON) DUPLICATE KEY(k) \
                    DISTRIBUTED BY HASH(k) BUCKETS 1";
        assert_eq!(spec(json, "", "").format, LoadFormat::Json);
        // MERGE: the delete sign goes last, unquoted, as Doris's hidden column.
        let unique = "CREATE TABLE t (k INT, v INT) UNIQUE KEY(k) \
                      DISTRIBUTED BY HASH(k) BUCKETS 1";
        let s = spec(unique, "", "WITH MERGE DELETE ON v = 0");
        assert_eq!(header(&s, "columns"), Some("`k`,`v`,__DORIS_DELETE_SIGN__"));
        assert_eq!(s.types.last(), Some(&None));
    }

    #[test]
    fn handles_round_trip() {
        let h = Handle {
            txn_id: 1003,
            label: "routinely_j_t_g1_e0_w1".into(),
            partitions: vec![1, 3],
        };
        assert_eq!(Handle::parse(&h.to_string()), Some(h));
        let empty = Handle {
            txn_id: -1,
            label: "l".into(),
            partitions: vec![],
        };
        assert_eq!(Handle::parse(&empty.to_string()), Some(empty));
        assert_eq!(Handle::parse("garbage"), None);
    }
}
