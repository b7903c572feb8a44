//! The routine load job model: what a `CREATE ROUTINE LOAD` says once parsed and validated,
//! with Doris's defaults filled in. Built by [`crate::sql::parse_statement`]; changed by
//! [`RoutineLoadJob::apply_alter`].

use crate::timezone::TimeZone;
use crate::version::DorisVersion;

/// `WITH APPEND | MERGE | DELETE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MergeType {
    /// Rows are inserted / upserted (the default).
    #[default]
    Append,
    /// Rows matching `DELETE ON` delete, others upsert (UNIQUE KEY tables only).
    Merge,
    /// Every row deletes its key (UNIQUE KEY tables only).
    Delete,
}

impl MergeType {
    /// The keyword Doris shows in `merge_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            MergeType::Append => "APPEND",
            MergeType::Merge => "MERGE",
            MergeType::Delete => "DELETE",
        }
    }
}

/// An expression as written in the statement, with its parsed form.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlExpr {
    /// The source text of the expression, as written.
    pub text: String,
    /// The expression parsed by `sqlparser`.
    pub ast: sqlparser::ast::Expr,
}

/// One entry of `COLUMNS(...)`: a source column, or `name = expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMapping {
    /// The name (a table column, or a temporary source column).
    pub name: String,
    /// The mapping expression, for `name = expr`.
    pub expr: Option<SqlExpr>,
}

/// `[TEMPORARY] PARTITION(p1, p2)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionNames {
    /// Whether these are temporary partitions.
    pub temporary: bool,
    /// Partition names; `["*"]` for `PARTITION(*)`.
    pub names: Vec<String>,
}

/// The load clauses between the table name and `PROPERTIES`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadClauses {
    /// `COLUMNS TERMINATED BY "..."`, decoded to bytes (hex and escape forms resolved).
    pub column_separator: Option<Vec<u8>>,
    /// `COLUMNS(...)`.
    pub columns: Option<Vec<ColumnMapping>>,
    /// `PRECEDING FILTER expr`.
    pub preceding_filter: Option<SqlExpr>,
    /// `WHERE expr`.
    pub where_predicate: Option<SqlExpr>,
    /// `PARTITION(...)`.
    pub partitions: Option<PartitionNames>,
    /// `DELETE ON expr`.
    pub delete_on: Option<SqlExpr>,
    /// `ORDER BY column` (the sequence column source).
    pub order_by: Option<String>,
}

/// `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataFormat {
    /// CSV (the default).
    #[default]
    Csv,
    /// JSON.
    Json,
}

impl DataFormat {
    /// The property value spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DataFormat::Csv => "csv",
            DataFormat::Json => "json",
        }
    }
}

/// `unique_key_update_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UniqueKeyUpdateMode {
    /// Whole-row upsert (the default).
    #[default]
    Upsert,
    /// Partial update of the listed columns (= `partial_columns = true`).
    UpdateFixedColumns,
    /// Each JSON row updates the keys it contains.
    UpdateFlexibleColumns,
}

/// `partial_update_new_key_behavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NewKeyBehavior {
    /// New keys are inserted (the default).
    #[default]
    Append,
    /// New keys fail the load.
    Error,
}

/// Job PROPERTIES with Doris's defaults (doris-spec.md §1.2, current code values).
#[derive(Debug, Clone, PartialEq)]
pub struct JobProperties {
    /// `desired_concurrent_number`, default 256.
    pub desired_concurrent_number: u64,
    /// `max_batch_interval` in seconds, default 60.
    pub max_batch_interval_secs: u64,
    /// `max_batch_rows` (counts messages), default 20,000,000.
    pub max_batch_rows: u64,
    /// `max_batch_size` in bytes, default 1 GiB.
    pub max_batch_size: u64,
    /// `max_error_number`, default 0.
    pub max_error_number: u64,
    /// `max_filter_ratio`, default 1.0.
    pub max_filter_ratio: f64,
    /// `strict_mode`, default false.
    pub strict_mode: bool,
    /// `timezone` as Doris stores it.
    pub timezone: String,
    /// The zone `timezone` names.
    pub time_zone: TimeZone,
    /// `format`, default csv.
    pub format: DataFormat,
    /// `jsonpaths` as written (a JSON array of path strings), if set.
    pub jsonpaths: Option<String>,
    /// `json_root`, if set.
    pub json_root: Option<String>,
    /// `strip_outer_array`, default false.
    pub strip_outer_array: bool,
    /// `num_as_string`, default false.
    pub num_as_string: bool,
    /// `fuzzy_parse`, default false.
    pub fuzzy_parse: bool,
    /// `exec_mem_limit`, default 2 GiB.
    pub exec_mem_limit: u64,
    /// `send_batch_parallelism`, default 1.
    pub send_batch_parallelism: u64,
    /// `load_to_single_tablet`, default false.
    pub load_to_single_tablet: bool,
    /// `partial_columns`, default false.
    pub partial_columns: bool,
    /// `unique_key_update_mode`, default UPSERT.
    pub unique_key_update_mode: UniqueKeyUpdateMode,
    /// `partial_update_new_key_behavior`, default APPEND.
    pub partial_update_new_key_behavior: NewKeyBehavior,
    /// `workload_group`, if set.
    pub workload_group: Option<String>,
    /// `enclose` (CSV), if set.
    pub enclose: Option<u8>,
    /// `escape` (CSV), if set.
    pub escape: Option<u8>,
    /// `empty_field_as_null` (CSV, 4.x), default false.
    pub empty_field_as_null: bool,
    /// routinely: the Doris release whose rules the job follows (`doris_version`), default 4.0.
    pub doris_version: DorisVersion,
    /// routinely: most epochs in flight before sources stop reading (`max_inflight_epochs`),
    /// default 2.
    pub max_inflight_epochs: u64,
}

impl Default for JobProperties {
    fn default() -> Self {
        let time_zone = TimeZone::system();
        JobProperties {
            desired_concurrent_number: 256,
            max_batch_interval_secs: 60,
            max_batch_rows: 20_000_000,
            max_batch_size: 1_073_741_824,
            max_error_number: 0,
            max_filter_ratio: 1.0,
            strict_mode: false,
            timezone: time_zone.to_string(),
            time_zone,
            format: DataFormat::Csv,
            jsonpaths: None,
            json_root: None,
            strip_outer_array: false,
            num_as_string: false,
            fuzzy_parse: false,
            exec_mem_limit: 2_147_483_648,
            send_batch_parallelism: 1,
            load_to_single_tablet: false,
            partial_columns: false,
            unique_key_update_mode: UniqueKeyUpdateMode::Upsert,
            partial_update_new_key_behavior: NewKeyBehavior::Append,
            workload_group: None,
            enclose: None,
            escape: None,
            empty_field_as_null: false,
            doris_version: DorisVersion::V4_0,
            max_inflight_epochs: 2,
        }
    }
}

/// A starting position in a Kafka partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KafkaOffset {
    /// `OFFSET_BEGINNING`.
    Beginning,
    /// `OFFSET_END`.
    End,
    /// An explicit offset.
    Offset(i64),
    /// `"yyyy-MM-dd HH:mm:ss"` in the job's timezone, resolved through offsetsForTimes.
    Time {
        /// The text as written.
        text: String,
        /// Milliseconds since the epoch.
        epoch_ms: i64,
    },
}

/// FROM KAFKA (...).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KafkaSource {
    /// `kafka_broker_list`, spaces removed, split on commas.
    pub broker_list: Vec<String>,
    /// `kafka_topic`.
    pub topic: String,
    /// `kafka_partitions`, if fixed.
    pub partitions: Option<Vec<i32>>,
    /// `kafka_offsets`, one per listed partition.
    pub offsets: Option<Vec<KafkaOffset>>,
    /// `property.kafka_default_offsets` (default `OFFSET_END`).
    pub default_offset: Option<KafkaOffset>,
    /// Every `property.*` key with the prefix stripped, in order (passed to librdkafka).
    pub properties: Vec<(String, String)>,
    /// Every other accepted key as written (bare `kafka_default_offsets`, `aws.*`, multi-table
    /// settings), kept for SHOW.
    pub other: Vec<(String, String)>,
}

/// A validated `CREATE ROUTINE LOAD`.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutineLoadJob {
    /// Database from `db.job`, if given.
    pub database: Option<String>,
    /// Job name.
    pub name: String,
    /// Target table; `None` in multi-table mode.
    pub table: Option<String>,
    /// `WITH ...`.
    pub merge_type: MergeType,
    /// Load clauses.
    pub load: LoadClauses,
    /// PROPERTIES with defaults.
    pub properties: JobProperties,
    /// FROM KAFKA.
    pub kafka: KafkaSource,
    /// COMMENT.
    pub comment: Option<String>,
}
