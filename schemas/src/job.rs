//! The routine load job model: what a `CREATE ROUTINE LOAD` says once parsed and validated,
//! with Doris's defaults filled in. Built by [`crate::sql::parse_statement`]; changed by
//! [`RoutineLoadJob::apply_alter`].
//!
//! This file also owns the job's semantic rules, written after Doris FE
//! (`CreateRoutineLoadInfo`, `AlterRoutineLoadCommand`, `KafkaDataSourceProperties`,
//! `Util.get*PropertyOrDefault`): the property whitelists, how each value is parsed (Java
//! `Long.parseLong` / `Double.parseDouble` / `Boolean.parseBoolean` rules), the range checks
//! and their exact error texts ([`JobError`]), the FROM KAFKA keys, and the checks that need
//! the target table ([`validate_against_table`]).

use chrono::NaiveDateTime;

use crate::sql::AlterRoutineLoad;
use crate::table::{KeysType, TableSchema};
use crate::timezone::{TimeZone, UnknownTimeZone};
use crate::version::{DorisVersion, MessageTexts, UnknownVersion};

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
    /// routinely: the body format of the Stream Loads into Doris (`load_format`), default
    /// Arrow IPC.
    pub load_format: LoadFormat,
}

/// The body format routinely's Doris sink sends (`"load_format" = "arrow" | "json" | "csv"`).
/// Rows are already coerced, so every format carries the same values; Arrow is the cheapest
/// for Doris to read and needs Doris 2.1 or later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadFormat {
    /// `format: arrow`, an Arrow IPC stream (Doris >= 2.1).
    #[default]
    Arrow,
    /// `format: json` with `read_json_by_line: true`: one object per row.
    Json,
    /// `format: csv`, fields enclosed in double quotes.
    Csv,
}

impl LoadFormat {
    /// The property's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LoadFormat::Arrow => "arrow",
            LoadFormat::Json => "json",
            LoadFormat::Csv => "csv",
        }
    }
}

/// The zone of a job without `timezone`: this machine's (Doris uses the creating session's
/// `time_zone`), spelled so that the `timezone` property parser reads the text back to the
/// same zone (so `to_sql` round-trips).
fn default_time_zone() -> (TimeZone, String) {
    let zone = TimeZone::system();
    let text = zone.to_string();
    TimeZone::parse_property(&text).unwrap_or((zone, text))
}

impl Default for JobProperties {
    fn default() -> Self {
        let (time_zone, timezone) = default_time_zone();
        JobProperties {
            desired_concurrent_number: 256,
            max_batch_interval_secs: 60,
            max_batch_rows: 20_000_000,
            max_batch_size: 1_073_741_824,
            max_error_number: 0,
            max_filter_ratio: 1.0,
            strict_mode: false,
            timezone,
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
            load_format: LoadFormat::Arrow,
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

/// FROM KAFKA (...). `Debug` masks credentials ([`crate::mask`]), so a job can be logged.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct KafkaSource {
    /// `kafka_broker_list`, spaces removed, split on commas.
    pub broker_list: Vec<String>,
    /// `kafka_topic`.
    pub topic: String,
    /// `kafka_partitions`, if fixed.
    pub partitions: Option<Vec<i32>>,
    /// `kafka_offsets`, one per listed partition.
    pub offsets: Option<Vec<KafkaOffset>>,
    /// `property.kafka_default_offsets`; `None` means `OFFSET_END`
    /// ([`KafkaSource::effective_default_offset`]).
    ///
    /// routinely decision: the bare `kafka_default_offsets` key also sets this. Doris's FE
    /// accepts the bare key but never applies it (only `property.kafka_default_offsets`
    /// moves the start there); users who write it clearly mean it, so routinely validates it
    /// like `property.kafka_default_offsets` and applies it. `property.kafka_default_offsets`
    /// wins when both are given, and Doris's check that the bare key is not combined with
    /// `kafka_offsets` (`Only one of kafka_offsets and kafka_default_offsets can be set.`) is
    /// kept.
    pub default_offset: Option<KafkaOffset>,
    /// Every `property.*` key with the prefix stripped, in order (passed to librdkafka).
    pub properties: Vec<(String, String)>,
    /// Every other accepted key as written (bare `kafka_default_offsets`, `aws.*`, multi-table
    /// settings), kept for SHOW.
    pub other: Vec<(String, String)>,
}

impl std::fmt::Debug for KafkaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSource")
            .field("broker_list", &self.broker_list)
            .field("topic", &self.topic)
            .field("partitions", &self.partitions)
            .field("offsets", &self.offsets)
            .field("default_offset", &self.default_offset)
            .field("properties", &crate::mask::mask_pairs(&self.properties))
            .field("other", &crate::mask::mask_pairs(&self.other))
            .finish()
    }
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

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// The kinds of load clause (`COLUMNS TERMINATED BY`, `COLUMNS(...)`, ...), named for the
/// "repeated clause" error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoadClauseKind {
    /// `COLUMNS TERMINATED BY`.
    Separator,
    /// `COLUMNS(...)`.
    Columns,
    /// `PRECEDING FILTER`.
    PrecedingFilter,
    /// `WHERE`.
    Where,
    /// `[TEMPORARY] PARTITION(...)`.
    Partitions,
    /// `DELETE ON`.
    DeleteOn,
    /// `ORDER BY`.
    OrderBy,
}

impl LoadClauseKind {
    /// Doris's message for a clause given twice. 4.x names the Nereids class
    /// (`LogicalPlanBuilder.visitCreateRoutineLoad`); 2.1 / 3.0 use the legacy texts of
    /// `CreateRoutineLoadStmt.checkLoadProperties`.
    pub fn repeat_message(self, version: DorisVersion) -> String {
        match version.rules().messages {
            MessageTexts::Current => {
                let class = match self {
                    LoadClauseKind::Separator => "LoadSeparator",
                    LoadClauseKind::Columns => "LoadColumnClause",
                    LoadClauseKind::PrecedingFilter => "LoadPrecedingFilterClause",
                    LoadClauseKind::Where => "LoadWhereClause",
                    LoadClauseKind::Partitions => "LoadPartitionNames",
                    LoadClauseKind::DeleteOn => "LoadDeleteOnClause",
                    LoadClauseKind::OrderBy => "LoadSequenceClause",
                };
                format!(
                    "repeat setting of clause load property: \
                     org.apache.doris.nereids.trees.plans.commands.load.{class}"
                )
            }
            MessageTexts::Legacy => {
                let what = match self {
                    LoadClauseKind::Separator => "column separator",
                    LoadClauseKind::Columns => "columns info",
                    LoadClauseKind::PrecedingFilter => "preceding where predicate",
                    LoadClauseKind::Where => "where predicate",
                    LoadClauseKind::Partitions => "partition names",
                    LoadClauseKind::DeleteOn => "delete predicate",
                    LoadClauseKind::OrderBy => "sequence column",
                };
                format!("repeat setting of {what}")
            }
        }
    }
}

/// The pattern every `kafka_broker_list` item must match (`KafkaConfiguration.KAFKA_BROKER_LIST`).
pub const BROKER_PATTERN: &str = "[-A-Za-z0-9+&@#/%?=~_|!:,.;]+[-A-Za-z0-9+&@#/%=~_|]";

/// A routine load job that Doris would refuse. `Display` is Doris's own message text (what
/// the MySQL client shows after `detailMessage = `), except where noted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JobError {
    /// A PROPERTIES key outside the whitelist (keys are case-sensitive).
    #[error("{key} is invalid property")]
    InvalidProperty {
        /// The key as written.
        key: String,
    },
    /// A FROM KAFKA key outside the whitelist.
    #[error("{key} is invalid kafka property or can not be set")]
    InvalidKafkaProperty {
        /// The key as written.
        key: String,
    },
    /// A property value that fails its parse rule or range check.
    #[error("{message}")]
    InvalidValue {
        /// The property.
        key: String,
        /// The value as written.
        value: String,
        /// Doris's message.
        message: String,
    },
    /// `timezone` is not a zone Doris knows.
    #[error(transparent)]
    TimeZone(#[from] UnknownTimeZone),
    /// `doris_version` (routinely) is not a supported release.
    #[error(transparent)]
    Version(#[from] UnknownVersion),
    /// `kafka_broker_list` / `kafka_topic` missing or blank on CREATE.
    #[error("{key} is a required property")]
    MissingKafkaProperty {
        /// The missing key.
        key: &'static str,
    },
    /// `FROM <type>` other than KAFKA.
    #[error("Unknown routine load data source type: {0}")]
    UnknownDataSource(String),
    /// The job name fails `^[a-zA-Z][a-zA-Z0-9-_]{{0,63}}$`.
    #[error(
        "Incorrect ROUTINE LOAD NAME name '{0}' Maybe routine load job name is longer than 64 \
         or contains illegal characters"
    )]
    JobName(String),
    /// `CREATE ROUTINE LOAD a.b.c`.
    #[error("labelParts in load should be [db.]label")]
    LabelParts,
    /// `PAUSE / RESUME / STOP / SHOW ... FOR a.b.c`.
    #[error("only support [<db>.]<job_name>")]
    JobNameParts,
    /// A load clause given twice.
    #[error("{}", clause.repeat_message(*version))]
    RepeatedClause {
        /// The clause.
        clause: LoadClauseKind,
        /// The release whose wording is used.
        version: DorisVersion,
    },
    /// `COLUMNS TERMINATED BY ""`.
    #[error("Column separator is null or empty")]
    EmptySeparator,
    /// `COLUMNS TERMINATED BY "\x"`.
    #[error("Hex str is empty")]
    HexEmpty,
    /// A non-hex digit after `\x`.
    #[error("Hex str format error")]
    HexFormat,
    /// An odd number of hex digits after `\x`.
    #[error("Hex str length error")]
    HexLength,
    /// `WITH MERGE` without `DELETE ON`.
    #[error("Excepted DELETE ON clause when merge type is MERGE.")]
    MergeWithoutDeleteOn,
    /// `DELETE ON` without `WITH MERGE`.
    #[error("not support DELETE ON clause when merge type is not MERGE.")]
    DeleteOnWithoutMerge,
    /// COLUMNS / WHERE / PRECEDING FILTER in a job without `ON table`.
    #[error("Multi-table load does not support setting columns info")]
    MultiTableColumns,
    /// Partial update in a job without `ON table`.
    #[error("Partial update is not supported in multi-table load.")]
    MultiTablePartialUpdate,
    /// ALTER turning on partial update in a job without `ON table`
    /// (`AlterRoutineLoadCommand.checkPartialUpdate`).
    #[error("load by PARTIAL_COLUMNS is not supported in multi-table load.")]
    AlterMultiTablePartialUpdate,
    /// `kafka_table_name_format` other than TEXT in a job without `ON table` (sic).
    #[error("Multi load olay supported for table name format TEXT")]
    MultiTableNameFormat,
    /// `UPDATE_FLEXIBLE_COLUMNS` with a non-JSON format.
    #[error("Flexible partial update only supports JSON format, but found: {0}")]
    FlexibleFormat(String),
    /// `UPDATE_FLEXIBLE_COLUMNS` with `fuzzy_parse`.
    #[error("Flexible partial update does not support fuzzy_parse")]
    FlexibleFuzzyParse,
    /// `UPDATE_FLEXIBLE_COLUMNS` with `jsonpaths`.
    #[error("Flexible partial update does not support jsonpaths")]
    FlexibleJsonpaths,
    /// `UPDATE_FLEXIBLE_COLUMNS` with a COLUMNS clause.
    #[error("Flexible partial update does not support COLUMNS specification")]
    FlexibleColumns,
    /// ALTER with nothing to change.
    #[error("No properties are specified")]
    NoProperties,
    /// ALTER with `FROM KAFKA ()`.
    #[error("No data source properties")]
    NoDataSourceProperties,
    /// ALTER with `kafka_partitions` but neither `kafka_offsets` nor `kafka_default_offsets`.
    #[error("Must set offset or default offset with partition property")]
    PartitionWithoutOffset,
    /// ALTER of the offset of a partition the job does not consume.
    #[error("The specified partition {0} is not in the consumed partitions")]
    PartitionNotConsumed(i32),
    /// `kafka_offsets` count differs from `kafka_partitions` count.
    #[error("Partitions number should be equals to offsets number")]
    OffsetCount,
    /// `kafka_offsets` mixes datetimes and offsets.
    #[error(
        "The offset of the partition cannot be specified by the timestamp and the offset at the \
         same time"
    )]
    MixedOffsets,
    /// A `kafka_offsets` item that is no offset, keyword or datetime.
    #[error("kafka_offsets must be an integer or a date time")]
    BadOffset {
        /// The item as written.
        value: String,
    },
    /// A `kafka_default_offsets` value that is no keyword or datetime.
    #[error("kafka_default_offsets can only be set to OFFSET_BEGINNING, OFFSET_END or date time")]
    BadDefaultOffset {
        /// The value as written.
        value: String,
    },
    /// `kafka_offsets` together with the bare `kafka_default_offsets`.
    #[error("Only one of kafka_offsets and kafka_default_offsets can be set.")]
    OffsetsAndDefault,
    /// A `property.` key with nothing after the dot.
    #[error("kafka property value could not be a empty string")]
    EmptyKafkaPropertyKey,
    /// A broker list item that fails [`BROKER_PATTERN`].
    #[error("KAFKA_BROKER_LIST:{item} not match pattern {pattern}")]
    BrokerPattern {
        /// The item.
        item: String,
        /// [`BROKER_PATTERN`].
        pattern: &'static str,
    },
    /// A `kafka_partitions` item that is not a Java int. (Doris surfaces a bare
    /// NumberFormatException here; this text is routinely's.)
    #[error(
        "kafka_partitions must be a comma-separated list of partition numbers, but found \
         '{item}' in '{value}'"
    )]
    BadPartition {
        /// The offending item.
        item: String,
        /// The whole value.
        value: String,
    },
    /// WITH MERGE / DELETE into a table that is not UNIQUE KEY.
    #[error("load by MERGE or DELETE is only supported in unique tables.")]
    MergeNotUnique,
    /// Partial update into a table that is not UNIQUE KEY merge-on-write.
    #[error("load by PARTIAL_COLUMNS is only supported in unique table MoW")]
    PartialNotMow,
    /// A `name = expr` mapping whose target is not a table column.
    #[error("can not find column {column} in table {table}")]
    UnknownColumn {
        /// The mapping target.
        column: String,
        /// The table.
        table: String,
    },
    /// `ORDER BY` names no source column.
    #[error("unknown reference column in ORDER BY clause:{0}")]
    UnknownOrderBy(String),
    /// `DELETE ON` references no source column.
    #[error("unknown reference column in DELETE ON clause:{0}")]
    UnknownDeleteOnReference(String),
    /// A mapping expression references no source column.
    #[error("unknown reference column, column={column}, reference={reference}")]
    UnknownReference {
        /// The mapping target.
        column: String,
        /// The unknown name.
        reference: String,
    },
    /// The table has a hidden sequence column and the job has no `ORDER BY`.
    #[error("Table {0} has sequence column, need to specify the sequence column")]
    SequenceRequired(String),
    /// `ORDER BY` into a table without a sequence column.
    #[error("There is no sequence column in the table {0}")]
    NoSequenceColumn(String),
}

impl JobError {
    fn value(key: &str, value: &str, message: impl Into<String>) -> JobError {
        JobError::InvalidValue {
            key: key.to_string(),
            value: value.to_string(),
            message: message.into(),
        }
    }
}

/// A [`JobError`] with the index of the property item it is about (for error positions).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ItemError {
    /// The error.
    pub error: JobError,
    /// Index into the property list, when one item is to blame.
    pub item: Option<usize>,
}

impl From<JobError> for ItemError {
    fn from(error: JobError) -> Self {
        ItemError { error, item: None }
    }
}

fn at(item: usize) -> impl FnOnce(JobError) -> ItemError {
    move |error| ItemError {
        error,
        item: Some(item),
    }
}

// ---------------------------------------------------------------------------------------------
// Java value rules (FE `Util.get*PropertyOrDefault`)
// ---------------------------------------------------------------------------------------------

/// `Long.parseLong`: an optional sign and ASCII digits, no spaces, no exponent.
pub(crate) fn java_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `Integer.parseInt`.
pub(crate) fn java_int(s: &str) -> Option<i32> {
    java_long(s).and_then(|v| i32::try_from(v).ok())
}

/// `Double.parseDouble`: surrounding whitespace (chars <= U+0020) ignored, an optional
/// `f`/`F`/`d`/`D` suffix, `NaN` and `Infinity` spelled exactly.
pub(crate) fn java_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let body = t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t);
    let unsigned = body.strip_prefix(['+', '-']).unwrap_or(body);
    if unsigned == "NaN" {
        return Some(f64::NAN);
    }
    if unsigned == "Infinity" {
        return Some(if body.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    // Rust also accepts "inf" / "nan" words; Java does not.
    if !unsigned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    body.parse().ok()
}

/// `Boolean.parseBoolean`: true iff the text is `true` in any case; anything else is false,
/// never an error.
pub(crate) fn java_bool(s: &str) -> bool {
    s.eq_ignore_ascii_case("true")
}

/// `String.split(",")`: trailing empty strings are dropped, but `""` gives `[""]`.
pub(crate) fn java_split(s: &str, sep: char) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(sep).collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].is_empty() && !s.is_empty() {
        parts.clear();
    }
    parts
}

/// `TimeUtils.timeStringToLong`: exactly `yyyy-MM-dd HH:mm:ss`.
pub(crate) fn parse_offset_datetime(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() != 19 {
        return None;
    }
    for (i, c) in b.iter().enumerate() {
        let ok = match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        };
        if !ok {
            return None;
        }
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok()
}

fn long_prop(
    key: &str,
    value: &str,
    default: i64,
    ok: impl Fn(i64) -> bool,
    message: &str,
) -> Result<i64, JobError> {
    if value.is_empty() {
        return Ok(default);
    }
    match java_long(value) {
        Some(v) if ok(v) => Ok(v),
        _ => Err(JobError::value(key, value, message)),
    }
}

fn bool_prop(value: &str, default: bool) -> bool {
    if value.is_empty() {
        default
    } else {
        java_bool(value)
    }
}

// ---------------------------------------------------------------------------------------------
// Job PROPERTIES
// ---------------------------------------------------------------------------------------------

/// The keys `CREATE ROUTINE LOAD ... PROPERTIES` accepts (4.x `CreateRoutineLoadInfo.PROPERTIES_SET`
/// plus routinely's `doris_version`, `max_inflight_epochs` and `load_format`), in the order they are checked.
pub const JOB_PROPERTY_KEYS: &[&str] = &[
    "desired_concurrent_number",
    "max_error_number",
    "max_filter_ratio",
    "max_batch_interval",
    "max_batch_rows",
    "max_batch_size",
    "strict_mode",
    "timezone",
    "exec_mem_limit",
    "send_batch_parallelism",
    "load_to_single_tablet",
    "partial_columns",
    "unique_key_update_mode",
    "partial_update_new_key_behavior",
    "workload_group",
    "format",
    "jsonpaths",
    "strip_outer_array",
    "num_as_string",
    "fuzzy_parse",
    "json_root",
    "enclose",
    "escape",
    "empty_field_as_null",
    "doris_version",
    "max_inflight_epochs",
    "load_format",
];

/// Keys 2.1 / 3.0 do not know (they are `... is invalid property` there).
const KEYS_SINCE_4_0: &[&str] = &[
    "unique_key_update_mode",
    "partial_update_new_key_behavior",
    "empty_field_as_null",
];

/// The keys `ALTER ROUTINE LOAD ... PROPERTIES` accepts (4.x
/// `AlterRoutineLoadCommand.CONFIGURABLE_JOB_PROPERTIES_SET`, plus routinely's
/// `max_inflight_epochs`; `doris_version` cannot change under a running job).
pub const ALTERABLE_JOB_PROPERTY_KEYS: &[&str] = &[
    "desired_concurrent_number",
    "max_error_number",
    "max_filter_ratio",
    "max_batch_interval",
    "max_batch_rows",
    "max_batch_size",
    "partial_columns",
    "unique_key_update_mode",
    "strict_mode",
    "timezone",
    "workload_group",
    "jsonpaths",
    "strip_outer_array",
    "num_as_string",
    "fuzzy_parse",
    "json_root",
    "enclose",
    "escape",
    "empty_field_as_null",
    "max_inflight_epochs",
    "load_format",
];

/// Formats `FileFormatProperties.createFileFormatProperties` knows besides csv and json.
const OTHER_KNOWN_FORMATS: &[&str] = &[
    "parquet",
    "orc",
    "avro",
    "arrow",
    "wal",
    "hive_text",
    "native",
    "text",
];

/// Whether a property list comes from CREATE or ALTER (different whitelists and wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PropContext {
    /// `CREATE ROUTINE LOAD`.
    Create,
    /// `ALTER ROUTINE LOAD`.
    Alter,
}

fn is_legacy(version: DorisVersion) -> bool {
    version.rules().messages == MessageTexts::Legacy
}

/// The last occurrence of `key` (duplicate keys: the last one wins, as `HashMap.put` does).
fn last<'a>(props: &'a [(String, String)], key: &str) -> Option<(usize, &'a str)> {
    props
        .iter()
        .enumerate()
        .rev()
        .find(|(_, (k, _))| k == key)
        .map(|(i, (_, v))| (i, v.as_str()))
}

impl JobProperties {
    /// Builds the PROPERTIES of a `CREATE ROUTINE LOAD`: Doris's defaults, overridden by
    /// `props` (keys case-sensitive; a repeated key: the last wins), each value parsed and
    /// range-checked as FE does, with FE's messages. An absent `timezone` means this
    /// machine's zone (Doris uses the creating session's `time_zone`).
    pub fn from_properties(props: &[(String, String)]) -> Result<JobProperties, JobError> {
        parse_create_properties(props).map_err(|e| e.error)
    }

    /// Whether a partial update is requested (`partial_columns` or a non-UPSERT
    /// `unique_key_update_mode`).
    pub fn is_partial_update(&self) -> bool {
        self.unique_key_update_mode != UniqueKeyUpdateMode::Upsert
    }

    /// The text Doris stores for `unique_key_update_mode`.
    pub fn unique_key_update_mode_str(&self) -> &'static str {
        match self.unique_key_update_mode {
            UniqueKeyUpdateMode::Upsert => "UPSERT",
            UniqueKeyUpdateMode::UpdateFixedColumns => "UPDATE_FIXED_COLUMNS",
            UniqueKeyUpdateMode::UpdateFlexibleColumns => "UPDATE_FLEXIBLE_COLUMNS",
        }
    }
}

/// CREATE: whitelist first (as FE does, before any value), then the values in the order of
/// [`JOB_PROPERTY_KEYS`], then the cross-property checks.
pub(crate) fn parse_create_properties(
    props: &[(String, String)],
) -> Result<JobProperties, ItemError> {
    for (i, (k, _)) in props.iter().enumerate() {
        if !JOB_PROPERTY_KEYS.contains(&k.as_str()) {
            return Err(at(i)(JobError::InvalidProperty { key: k.clone() }));
        }
    }
    let version = match last(props, "doris_version") {
        Some((i, v)) => v.parse::<DorisVersion>().map_err(|e| at(i)(e.into()))?,
        None => DorisVersion::default(),
    };
    if is_legacy(version) {
        for (i, (k, _)) in props.iter().enumerate() {
            if KEYS_SINCE_4_0.contains(&k.as_str()) {
                return Err(at(i)(JobError::InvalidProperty { key: k.clone() }));
            }
        }
    }
    let mut p = JobProperties {
        doris_version: version,
        ..JobProperties::default()
    };
    apply_job_values(&mut p, props, PropContext::Create)?;
    check_job_properties(&p)?;
    Ok(p)
}

/// Applies the values in `props` (already whitelisted) to `p`.
pub(crate) fn apply_job_values(
    p: &mut JobProperties,
    props: &[(String, String)],
    ctx: PropContext,
) -> Result<(), ItemError> {
    for key in JOB_PROPERTY_KEYS {
        if let Some((i, v)) = last(props, key) {
            set_job_value(p, key, v, ctx).map_err(at(i))?;
        }
    }
    Ok(())
}

fn set_job_value(
    p: &mut JobProperties,
    key: &str,
    v: &str,
    ctx: PropContext,
) -> Result<(), JobError> {
    let legacy = is_legacy(p.doris_version);
    match key {
        "desired_concurrent_number" => {
            let msg = if ctx == PropContext::Alter || legacy {
                "desired_concurrent_number should > 0"
            } else {
                "desired_concurrent_number must be greater than 0"
            };
            let d = p.desired_concurrent_number as i64;
            p.desired_concurrent_number = long_prop(key, v, d, |n| n > 0, msg)? as u64;
        }
        "max_error_number" => {
            let d = p.max_error_number as i64;
            p.max_error_number =
                long_prop(key, v, d, |n| n >= 0, "max_error_number should >= 0")? as u64;
        }
        "max_filter_ratio" => {
            if !v.is_empty() {
                match java_double(v) {
                    Some(r) if (0.0..=1.0).contains(&r) => p.max_filter_ratio = r,
                    _ => {
                        return Err(JobError::value(
                            key,
                            v,
                            "max_filter_ratio should between 0 and 1",
                        ));
                    }
                }
            }
        }
        "max_batch_interval" => {
            let d = p.max_batch_interval_secs as i64;
            p.max_batch_interval_secs =
                long_prop(key, v, d, |n| n >= 1, "max_batch_interval should >= 1")? as u64;
        }
        "max_batch_rows" => {
            let d = p.max_batch_rows as i64;
            p.max_batch_rows = long_prop(
                key,
                v,
                d,
                |n| n >= 200_000,
                "max_batch_rows should > 200000",
            )? as u64;
        }
        "max_batch_size" => {
            let d = p.max_batch_size as i64;
            p.max_batch_size = long_prop(
                key,
                v,
                d,
                |n| (104_857_600..=10_737_418_240).contains(&n),
                "max_batch_size should between 100MB and 10GB",
            )? as u64;
        }
        "strict_mode" => p.strict_mode = bool_prop(v, p.strict_mode),
        "timezone" => {
            let (zone, text) = TimeZone::parse_property(v)?;
            p.time_zone = zone;
            p.timezone = text;
        }
        "exec_mem_limit" => {
            let d = p.exec_mem_limit as i64;
            p.exec_mem_limit = if legacy {
                long_prop(key, v, d, |n| n > 0, "exec_mem_limitshould > 0")?
            } else {
                long_prop(
                    key,
                    v,
                    d,
                    |n| n >= 0,
                    "exec_mem_limit must be greater than 0",
                )?
            } as u64;
        }
        "send_batch_parallelism" => {
            let msg = if legacy {
                "send_batch_parallelism should > 0"
            } else {
                "send_batch_parallelism must be greater than 0"
            };
            let d = p.send_batch_parallelism as i64;
            p.send_batch_parallelism = long_prop(key, v, d, |n| n > 0, msg)? as u64;
        }
        "load_to_single_tablet" => p.load_to_single_tablet = bool_prop(v, p.load_to_single_tablet),
        "partial_columns" => {
            p.partial_columns = java_bool(v);
            p.unique_key_update_mode = if p.partial_columns {
                UniqueKeyUpdateMode::UpdateFixedColumns
            } else if p.unique_key_update_mode == UniqueKeyUpdateMode::UpdateFixedColumns {
                UniqueKeyUpdateMode::Upsert
            } else {
                p.unique_key_update_mode
            };
        }
        "unique_key_update_mode" => {
            let mode = match v.to_ascii_uppercase().as_str() {
                "UPSERT" => UniqueKeyUpdateMode::Upsert,
                "UPDATE_FIXED_COLUMNS" => UniqueKeyUpdateMode::UpdateFixedColumns,
                "UPDATE_FLEXIBLE_COLUMNS" => UniqueKeyUpdateMode::UpdateFlexibleColumns,
                _ => {
                    return Err(JobError::value(
                        key,
                        v,
                        format!(
                            "unique_key_update_mode should be one of {{'UPSERT', \
                             'UPDATE_FIXED_COLUMNS', 'UPDATE_FLEXIBLE_COLUMNS'}}, but found {v}"
                        ),
                    ));
                }
            };
            // The mode overrides partial_columns.
            p.unique_key_update_mode = mode;
            p.partial_columns = mode == UniqueKeyUpdateMode::UpdateFixedColumns;
        }
        "partial_update_new_key_behavior" => {
            if !p.is_partial_update() {
                return Err(JobError::value(
                    key,
                    v,
                    "partial_update_new_key_behavior can only be set when partial update is \
                     enabled",
                ));
            }
            let upper = v.to_ascii_uppercase();
            p.partial_update_new_key_behavior = match upper.as_str() {
                "APPEND" => NewKeyBehavior::Append,
                "ERROR" => NewKeyBehavior::Error,
                _ => {
                    return Err(JobError::value(
                        key,
                        v,
                        format!(
                            "partial_update_new_key_behavior should be one of {{'APPEND', \
                             'ERROR'}}, but found {upper}"
                        ),
                    ));
                }
            };
        }
        "workload_group" => {
            // ALTER ignores an empty group (`AlterRoutineLoadCommand.checkJobProperties`
            // only records a non-empty one); CREATE treats it as unset.
            if !(v.is_empty() && ctx == PropContext::Alter) {
                p.workload_group = (!v.is_empty()).then(|| v.to_string());
            }
        }
        "format" => p.format = parse_format(v, legacy)?,
        "jsonpaths" => p.jsonpaths = (!v.is_empty()).then(|| v.to_string()),
        "json_root" => p.json_root = (!v.is_empty()).then(|| v.to_string()),
        "strip_outer_array" => p.strip_outer_array = bool_prop(v, p.strip_outer_array),
        "num_as_string" => p.num_as_string = bool_prop(v, p.num_as_string),
        "fuzzy_parse" => p.fuzzy_parse = bool_prop(v, p.fuzzy_parse),
        "enclose" => {
            // CsvFileFormatProperties: at most one Java char, stored as `(byte) charAt(0)`.
            let units: Vec<u16> = v.encode_utf16().collect();
            if units.len() > 1 {
                let msg = if legacy {
                    "enclose must be single-char"
                } else {
                    "enclose should not be longer than one byte."
                };
                return Err(JobError::value(key, v, msg));
            }
            p.enclose = units.first().map(|u| *u as u8);
        }
        "escape" => {
            // Exactly one Java char, stored as `getBytes()[0]` (the first UTF-8 byte).
            if !v.is_empty() {
                if v.encode_utf16().count() != 1 {
                    return Err(JobError::value(key, v, "escape must be single-char"));
                }
                p.escape = v.as_bytes().first().copied();
            }
        }
        "empty_field_as_null" => p.empty_field_as_null = bool_prop(v, p.empty_field_as_null),
        "doris_version" => p.doris_version = v.parse()?,
        "max_inflight_epochs" => {
            let d = p.max_inflight_epochs as i64;
            p.max_inflight_epochs =
                long_prop(key, v, d, |n| n >= 1, "max_inflight_epochs should >= 1")? as u64;
        }
        "load_format" => {
            p.load_format = match v.to_ascii_lowercase().as_str() {
                "arrow" => LoadFormat::Arrow,
                "json" => LoadFormat::Json,
                "csv" => LoadFormat::Csv,
                _ => {
                    return Err(JobError::value(
                        key,
                        v,
                        "load_format should be one of arrow, json, csv",
                    ));
                }
            }
        }
        _ => {
            return Err(JobError::InvalidProperty {
                key: key.to_string(),
            });
        }
    }
    Ok(())
}

/// `format`: 4.x `FileFormatProperties.createFileFormatProperties` then
/// `RoutineLoadJob.setOptional`; 2.x `CreateRoutineLoadStmt.checkJobProperties`.
fn parse_format(v: &str, legacy: bool) -> Result<DataFormat, JobError> {
    let lower = v.to_ascii_lowercase();
    match lower.as_str() {
        "csv" => return Ok(DataFormat::Csv),
        "json" => return Ok(DataFormat::Json),
        _ => {}
    }
    if legacy {
        return Err(JobError::value(
            "format",
            v,
            format!("Format type is invalid. format=`{v}`"),
        ));
    }
    if lower == "csv_with_names" || lower == "csv_with_names_and_types" {
        // Built as a CSV format object, so accepted and stored as csv.
        return Ok(DataFormat::Csv);
    }
    if OTHER_KNOWN_FORMATS.contains(&lower.as_str()) {
        return Err(JobError::value("format", v, "Invalid format type."));
    }
    Err(JobError::value(
        "format",
        v,
        format!("format:{v} is not supported."),
    ))
}

/// Cross-property checks (`CreateRoutineLoadInfo.checkJobProperties`, flexible partial update).
pub(crate) fn check_job_properties(p: &JobProperties) -> Result<(), JobError> {
    if p.unique_key_update_mode == UniqueKeyUpdateMode::UpdateFlexibleColumns {
        if p.format != DataFormat::Json {
            return Err(JobError::FlexibleFormat(p.format.as_str().to_string()));
        }
        if p.fuzzy_parse {
            return Err(JobError::FlexibleFuzzyParse);
        }
        if p.jsonpaths.is_some() {
            return Err(JobError::FlexibleJsonpaths);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// FROM KAFKA
// ---------------------------------------------------------------------------------------------

/// The fixed FROM KAFKA keys (`KafkaConfiguration`); `property.*` and `aws.*` are also allowed.
pub const KAFKA_PROPERTY_KEYS: &[&str] = &[
    "kafka_broker_list",
    "kafka_topic",
    "kafka_partitions",
    "kafka_offsets",
    "kafka_default_offsets",
    "kafka_table_name_location",
    "kafka_table_name_format",
    "kafka_text_table_name_field_delimiter",
    "kafka_text_table_name_field_index",
];

/// What one FROM KAFKA list says, before it is merged into a [`KafkaSource`].
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct KafkaSettings {
    pub broker_list: Option<Vec<String>>,
    pub topic: Option<String>,
    pub partitions: Option<Vec<i32>>,
    pub offsets: Option<Vec<KafkaOffset>>,
    /// Effective default: `property.kafka_default_offsets`, else the bare key.
    pub default_offset: Option<KafkaOffset>,
    /// Whether the bare `kafka_default_offsets` was given.
    pub bare_default: bool,
    pub properties: Vec<(String, String)>,
    pub other: Vec<(String, String)>,
}

fn upsert(list: &mut Vec<(String, String)>, key: &str, value: &str) {
    match list.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value.to_string(),
        None => list.push((key.to_string(), value.to_string())),
    }
}

fn broker_item_ok(item: &str) -> bool {
    let first = |c: char| c.is_ascii_alphanumeric() || "-+&@#/%?=~_|!:,.;".contains(c);
    let last = |c: char| c.is_ascii_alphanumeric() || "-+&@#/%=~_|".contains(c);
    let chars: Vec<char> = item.chars().collect();
    match chars.split_last() {
        Some((l, rest)) => !rest.is_empty() && rest.iter().all(|c| first(*c)) && last(*l),
        None => false,
    }
}

/// A Kafka offset datetime as Doris's `kafka_offsets` / `kafka_default_offsets` write it
/// (`yyyy-MM-dd HH:mm:ss`), read in `tz`, as milliseconds since the epoch; `None` when the
/// text is not in that form.
pub fn datetime_epoch_ms(text: &str, tz: &TimeZone) -> Option<i64> {
    parse_offset_datetime(text).map(|dt| tz.utc_from_local(dt) * 1000)
}

/// `OFFSET_BEGINNING` / `OFFSET_END` (any case) or a datetime, for the default offset.
fn parse_default_offset(v: &str, tz: &TimeZone) -> Result<KafkaOffset, JobError> {
    if let Some(dt) = parse_offset_datetime(v) {
        return Ok(KafkaOffset::Time {
            text: v.to_string(),
            epoch_ms: tz.utc_from_local(dt) * 1000,
        });
    }
    if v.eq_ignore_ascii_case("OFFSET_BEGINNING") {
        Ok(KafkaOffset::Beginning)
    } else if v.eq_ignore_ascii_case("OFFSET_END") {
        Ok(KafkaOffset::End)
    } else {
        Err(JobError::BadDefaultOffset {
            value: v.to_string(),
        })
    }
}

/// Parses one FROM KAFKA list (`KafkaDataSourceProperties.convertAndCheckDataSourceProperties`).
///
/// routinely decision: the bare `kafka_default_offsets` key, which Doris's FE accepts but
/// never applies (only `property.kafka_default_offsets` sets the default there), is treated
/// as a synonym of `property.kafka_default_offsets`: validated the same way and setting the
/// default offset, since users who write it mean it. `property.kafka_default_offsets` wins
/// when both are given. Doris's mutual-exclusion check (`kafka_offsets` + bare key) is kept.
pub(crate) fn parse_kafka_settings(
    props: &[(String, String)],
    tz: &TimeZone,
    ctx: PropContext,
) -> Result<KafkaSettings, ItemError> {
    for (i, (k, _)) in props.iter().enumerate() {
        let ok = KAFKA_PROPERTY_KEYS.contains(&k.as_str())
            || k.starts_with("property.")
            || k.starts_with("aws.");
        if !ok {
            return Err(at(i)(JobError::InvalidKafkaProperty { key: k.clone() }));
        }
    }
    let mut s = KafkaSettings::default();

    match last(props, "kafka_broker_list") {
        Some((i, v)) => {
            let cleaned: String = v.chars().filter(|c| *c != ' ').collect();
            if ctx == PropContext::Create && cleaned.trim().is_empty() {
                return Err(at(i)(JobError::MissingKafkaProperty {
                    key: "kafka_broker_list",
                }));
            }
            let mut brokers = Vec::new();
            for item in java_split(&cleaned, ',') {
                if !broker_item_ok(item) {
                    return Err(at(i)(JobError::BrokerPattern {
                        item: item.to_string(),
                        pattern: BROKER_PATTERN,
                    }));
                }
                brokers.push(item.to_string());
            }
            if brokers.is_empty() {
                return Err(at(i)(JobError::BrokerPattern {
                    item: String::new(),
                    pattern: BROKER_PATTERN,
                }));
            }
            s.broker_list = Some(brokers);
        }
        None if ctx == PropContext::Create => {
            return Err(JobError::MissingKafkaProperty {
                key: "kafka_broker_list",
            }
            .into());
        }
        None => {}
    }

    match last(props, "kafka_topic") {
        Some((i, v)) => {
            let cleaned: String = v.chars().filter(|c| *c != ' ').collect();
            if cleaned.trim().is_empty() {
                return Err(at(i)(JobError::MissingKafkaProperty { key: "kafka_topic" }));
            }
            s.topic = Some(cleaned);
        }
        None if ctx == PropContext::Create => {
            return Err(JobError::MissingKafkaProperty { key: "kafka_topic" }.into());
        }
        None => {}
    }

    if let Some((i, v)) = last(props, "kafka_partitions") {
        let cleaned: String = v.chars().filter(|c| *c != ' ').collect();
        if !cleaned.is_empty() {
            let mut parts = Vec::new();
            for item in java_split(&cleaned, ',') {
                match java_int(item) {
                    Some(n) => parts.push(n),
                    None => {
                        return Err(at(i)(JobError::BadPartition {
                            item: item.to_string(),
                            value: v.to_string(),
                        }));
                    }
                }
            }
            s.partitions = Some(parts);
        }
    }

    let bare = last(props, "kafka_default_offsets");
    if let Some((i, v)) = last(props, "kafka_offsets") {
        if bare.is_some() {
            return Err(at(i)(JobError::OffsetsAndDefault));
        }
        let items: Vec<&str> = java_split(v, ',').into_iter().map(str::trim).collect();
        let count = s.partitions.as_ref().map_or(0, Vec::len);
        if items.len() != count {
            return Err(at(i)(JobError::OffsetCount));
        }
        let times: Vec<Option<NaiveDateTime>> =
            items.iter().map(|t| parse_offset_datetime(t)).collect();
        let n_times = times.iter().filter(|t| t.is_some()).count();
        if n_times > 0 && n_times < items.len() {
            return Err(at(i)(JobError::MixedOffsets));
        }
        let mut offsets = Vec::with_capacity(items.len());
        for (item, time) in items.iter().zip(times) {
            let off = if let Some(dt) = time {
                KafkaOffset::Time {
                    text: item.to_string(),
                    epoch_ms: tz.utc_from_local(dt) * 1000,
                }
            } else if item.eq_ignore_ascii_case("OFFSET_BEGINNING") {
                KafkaOffset::Beginning
            } else if item.eq_ignore_ascii_case("OFFSET_END") {
                KafkaOffset::End
            } else if !item.is_empty() && item.bytes().all(|b| b.is_ascii_digit()) {
                match item.parse::<i64>() {
                    Ok(n) => KafkaOffset::Offset(n),
                    Err(_) => {
                        return Err(at(i)(JobError::BadOffset {
                            value: item.to_string(),
                        }));
                    }
                }
            } else {
                return Err(at(i)(JobError::BadOffset {
                    value: item.to_string(),
                }));
            };
            offsets.push(off);
        }
        s.offsets = Some(offsets);
    }

    for (i, (k, v)) in props.iter().enumerate() {
        if let Some(name) = k.strip_prefix("property.") {
            if name.is_empty() {
                return Err(at(i)(JobError::EmptyKafkaPropertyKey));
            }
            if name != "kafka_default_offsets" {
                upsert(&mut s.properties, name, v);
            }
        } else if k.starts_with("aws.")
            || k.starts_with("kafka_table_name_")
            || k.starts_with("kafka_text_table_name_")
            || k == "kafka_default_offsets"
        {
            upsert(&mut s.other, k, v);
        }
    }

    if let Some((i, v)) = bare {
        s.bare_default = true;
        s.default_offset = Some(parse_default_offset(v, tz).map_err(at(i))?);
    }
    if let Some((i, v)) = last(props, "property.kafka_default_offsets") {
        s.default_offset = Some(parse_default_offset(v, tz).map_err(at(i))?);
    }
    Ok(s)
}

impl KafkaSource {
    /// Builds the FROM KAFKA source of a `CREATE ROUTINE LOAD`; `time_zone` (the job's) reads
    /// datetime offsets.
    pub fn from_properties(
        props: &[(String, String)],
        time_zone: &TimeZone,
    ) -> Result<KafkaSource, JobError> {
        parse_kafka_settings(props, time_zone, PropContext::Create)
            .map(KafkaSource::from_settings)
            .map_err(|e| e.error)
    }

    pub(crate) fn from_settings(s: KafkaSettings) -> KafkaSource {
        KafkaSource {
            broker_list: s.broker_list.unwrap_or_default(),
            topic: s.topic.unwrap_or_default(),
            partitions: s.partitions,
            offsets: s.offsets,
            default_offset: s.default_offset,
            properties: s.properties,
            other: s.other,
        }
    }

    /// The offset a partition without an explicit offset starts from (`OFFSET_END` unless
    /// `kafka_default_offsets` says otherwise).
    pub fn effective_default_offset(&self) -> KafkaOffset {
        self.default_offset.clone().unwrap_or(KafkaOffset::End)
    }

    /// The explicit start position of each fixed partition, pairing `partitions` with
    /// `offsets` (or the default offset when no offsets are listed). Empty when the job
    /// follows all partitions of the topic.
    pub fn start_positions(&self) -> Vec<(i32, KafkaOffset)> {
        let Some(parts) = &self.partitions else {
            return Vec::new();
        };
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let off = self
                    .offsets
                    .as_ref()
                    .and_then(|o| o.get(i).cloned())
                    .unwrap_or_else(|| self.effective_default_offset());
                (*p, off)
            })
            .collect()
    }
}

impl KafkaOffset {
    /// The text this offset is written as in `kafka_offsets` / `kafka_default_offsets`.
    pub fn to_property_text(&self) -> String {
        match self {
            KafkaOffset::Beginning => "OFFSET_BEGINNING".to_string(),
            KafkaOffset::End => "OFFSET_END".to_string(),
            KafkaOffset::Offset(n) => n.to_string(),
            KafkaOffset::Time { text, .. } => text.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Load clauses
// ---------------------------------------------------------------------------------------------

impl LoadClauses {
    /// True when no clause is set.
    pub fn is_empty(&self) -> bool {
        self.column_separator.is_none()
            && self.columns.is_none()
            && self.preceding_filter.is_none()
            && self.where_predicate.is_none()
            && self.partitions.is_none()
            && self.delete_on.is_none()
            && self.order_by.is_none()
    }

    /// The source columns a load reads: the plain names of `COLUMNS(...)`, or `None` when the
    /// clause is absent or lists only mappings (Doris then reads the table's columns).
    pub fn source_columns(&self) -> Option<Vec<&str>> {
        let cols = self.columns.as_ref()?;
        let plain: Vec<&str> = cols
            .iter()
            .filter(|c| c.expr.is_none())
            .map(|c| c.name.as_str())
            .collect();
        (!plain.is_empty()).then_some(plain)
    }
}

/// Load-clause rules that need only the job (`CreateRoutineLoadInfo.checkLoadProperties`,
/// merge-type checks): multi-table restrictions and MERGE / DELETE ON pairing.
pub(crate) fn check_load_clauses(
    load: &LoadClauses,
    merge_type: MergeType,
    multi_table: bool,
) -> Result<(), JobError> {
    if multi_table
        && (load.columns.is_some()
            || load.where_predicate.is_some()
            || load.preceding_filter.is_some())
    {
        return Err(JobError::MultiTableColumns);
    }
    if merge_type == MergeType::Merge && load.delete_on.is_none() {
        return Err(JobError::MergeWithoutDeleteOn);
    }
    if merge_type != MergeType::Merge && load.delete_on.is_some() {
        return Err(JobError::DeleteOnWithoutMerge);
    }
    Ok(())
}

/// Checks between the job's clauses and its properties.
pub(crate) fn check_job_combination(job: &RoutineLoadJob) -> Result<(), JobError> {
    if job.table.is_none() && job.properties.is_partial_update() {
        return Err(JobError::MultiTablePartialUpdate);
    }
    if job.properties.unique_key_update_mode == UniqueKeyUpdateMode::UpdateFlexibleColumns
        && job.load.columns.is_some()
    {
        return Err(JobError::FlexibleColumns);
    }
    if job.table.is_none()
        && let Some((_, v)) = job
            .kafka
            .other
            .iter()
            .find(|(k, _)| k == "kafka_table_name_format")
        && !v.eq_ignore_ascii_case("TEXT")
    {
        return Err(JobError::MultiTableNameFormat);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ALTER
// ---------------------------------------------------------------------------------------------

/// ALTER: the alterable whitelist of the job's release.
pub(crate) fn check_alter_keys(
    props: &[(String, String)],
    version: DorisVersion,
) -> Result<(), ItemError> {
    for (i, (k, _)) in props.iter().enumerate() {
        let alterable = ALTERABLE_JOB_PROPERTY_KEYS.contains(&k.as_str())
            && !(is_legacy(version) && KEYS_SINCE_4_0.contains(&k.as_str()));
        if !alterable {
            return Err(at(i)(JobError::InvalidProperty { key: k.clone() }));
        }
    }
    Ok(())
}

impl RoutineLoadJob {
    /// Applies an `ALTER ROUTINE LOAD` as Doris's `AlterRoutineLoadCommand` and
    /// `KafkaRoutineLoadJob.modifyProperties` do: only the alterable keys
    /// ([`ALTERABLE_JOB_PROPERTY_KEYS`]), the same parse rules and messages as CREATE
    /// (`desired_concurrent_number should > 0`), FROM KAFKA keys without the required-key
    /// checks, and `No properties are specified` when nothing is given. Nothing changes
    /// unless everything validates. The PAUSED-state rule is the caller's.
    ///
    /// `kafka_partitions` + `kafka_offsets` move the start offsets of partitions: for a job
    /// with a fixed partition list, the listed partitions must be in it (`The specified
    /// partition N is not in the consumed partitions`) and their offsets are replaced here;
    /// for a job that follows every partition, the runtime applies
    /// [`AlterRoutineLoad::kafka_offset_changes`] to its progress. As in Doris,
    /// `kafka_partitions` needs `kafka_offsets` or the bare `kafka_default_offsets`
    /// (`property.kafka_default_offsets` does not count there).
    pub fn apply_alter(&mut self, alter: &AlterRoutineLoad) -> Result<(), JobError> {
        self.apply_alter_located(alter)
            .map_err(AlterError::into_job_error)
    }

    pub(crate) fn apply_alter_located(
        &mut self,
        alter: &AlterRoutineLoad,
    ) -> Result<(), AlterError> {
        if alter.load.is_empty() && alter.properties.is_empty() && alter.kafka.is_empty() {
            return Err(AlterError::Job(JobError::NoProperties));
        }
        let mut job = self.clone();

        check_alter_load(&alter.load, job.merge_type, job.table.is_none())
            .map_err(AlterError::Job)?;
        let l = &alter.load;
        if l.column_separator.is_some() {
            job.load.column_separator = l.column_separator.clone();
        }
        if l.columns.is_some() {
            job.load.columns = l.columns.clone();
        }
        if l.preceding_filter.is_some() {
            job.load.preceding_filter = l.preceding_filter.clone();
        }
        if l.where_predicate.is_some() {
            job.load.where_predicate = l.where_predicate.clone();
        }
        if l.partitions.is_some() {
            job.load.partitions = l.partitions.clone();
        }
        if l.delete_on.is_some() {
            job.load.delete_on = l.delete_on.clone();
        }
        if l.order_by.is_some() {
            job.load.order_by = l.order_by.clone();
        }

        let version = job.properties.doris_version;
        check_alter_keys(&alter.properties, version).map_err(AlterError::Property)?;
        apply_job_values(&mut job.properties, &alter.properties, PropContext::Alter)
            .map_err(AlterError::Property)?;
        check_job_properties(&job.properties).map_err(AlterError::Job)?;
        if job.table.is_none() && job.properties.is_partial_update() {
            return Err(AlterError::Job(JobError::AlterMultiTablePartialUpdate));
        }
        check_job_combination(&job).map_err(AlterError::Job)?;

        if !alter.kafka.is_empty() {
            let s =
                parse_kafka_settings(&alter.kafka, &job.properties.time_zone, PropContext::Alter)
                    .map_err(AlterError::Kafka)?;
            merge_kafka(&mut job.kafka, s).map_err(AlterError::Job)?;
        }
        *self = job;
        Ok(())
    }
}

/// The PROPERTIES an ALTER may change on a RUNNING job without pausing it: the batch
/// close conditions, the concurrency, and routinely's `max_inflight_epochs`.
pub const LIVE_ALTERABLE_KEYS: &[&str] = &[
    "max_batch_interval",
    "max_batch_rows",
    "max_batch_size",
    "desired_concurrent_number",
    "max_inflight_epochs",
];

/// Whether `alter` only changes batch and concurrency knobs ([`LIVE_ALTERABLE_KEYS`]): no
/// load clause, no FROM KAFKA, at least one property and every property in that list. Such
/// an ALTER can be applied to a RUNNING job at the next batch boundary (routinely
/// extension; Doris itself accepts ALTER only on PAUSED jobs: `Only supports modification
/// of PAUSED jobs`). The values are still validated by [`RoutineLoadJob::apply_alter`].
pub fn live_alterable(alter: &AlterRoutineLoad) -> bool {
    alter.load.is_empty()
        && alter.kafka.is_empty()
        && !alter.properties.is_empty()
        && alter
            .properties
            .iter()
            .all(|(k, _)| LIVE_ALTERABLE_KEYS.contains(&k.as_str()))
}

/// An ALTER error and which list it came from (for positions).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AlterError {
    Job(JobError),
    Property(ItemError),
    Kafka(ItemError),
}

impl AlterError {
    pub(crate) fn into_job_error(self) -> JobError {
        match self {
            AlterError::Job(e) => e,
            AlterError::Property(e) | AlterError::Kafka(e) => e.error,
        }
    }
}

/// Load clauses in ALTER: the same job-only rules as CREATE, against the job's merge type.
pub(crate) fn check_alter_load(
    load: &LoadClauses,
    merge_type: MergeType,
    multi_table: bool,
) -> Result<(), JobError> {
    if multi_table
        && (load.columns.is_some()
            || load.where_predicate.is_some()
            || load.preceding_filter.is_some())
    {
        return Err(JobError::MultiTableColumns);
    }
    if merge_type != MergeType::Merge && load.delete_on.is_some() {
        return Err(JobError::DeleteOnWithoutMerge);
    }
    Ok(())
}

fn merge_kafka(k: &mut KafkaSource, s: KafkaSettings) -> Result<(), JobError> {
    if s.partitions.is_some() && s.offsets.is_none() && !s.bare_default {
        return Err(JobError::PartitionWithoutOffset);
    }
    if let Some(b) = s.broker_list {
        k.broker_list = b;
    }
    if let Some(t) = s.topic {
        k.topic = t;
    }
    for (key, v) in &s.properties {
        upsert(&mut k.properties, key, v);
    }
    for (key, v) in &s.other {
        upsert(&mut k.other, key, v);
    }
    if let Some(d) = s.default_offset {
        k.default_offset = Some(d);
    }
    if let (Some(parts), Some(fixed)) = (&s.partitions, &k.partitions) {
        let default = k.effective_default_offset();
        let mut offsets = k
            .offsets
            .clone()
            .unwrap_or_else(|| vec![default.clone(); fixed.len()]);
        for (i, p) in parts.iter().enumerate() {
            let Some(pos) = fixed.iter().position(|f| f == p) else {
                return Err(JobError::PartitionNotConsumed(*p));
            };
            let off = s
                .offsets
                .as_ref()
                .and_then(|o| o.get(i).cloned())
                .unwrap_or_else(|| default.clone());
            if let Some(slot) = offsets.get_mut(pos) {
                *slot = off;
            }
        }
        k.offsets = Some(offsets);
    }
    Ok(())
}

impl AlterRoutineLoad {
    /// The start offsets this ALTER sets, per partition (`kafka_partitions` paired with
    /// `kafka_offsets`, or with the default offset when only `kafka_default_offsets` is
    /// given), with datetimes read in `time_zone` (the job's, after this ALTER). Empty when
    /// the ALTER names no partitions.
    pub fn kafka_offset_changes(
        &self,
        time_zone: &TimeZone,
    ) -> Result<Vec<(i32, KafkaOffset)>, JobError> {
        if self.kafka.is_empty() {
            return Ok(Vec::new());
        }
        let s = parse_kafka_settings(&self.kafka, time_zone, PropContext::Alter)
            .map_err(|e| e.error)?;
        let Some(parts) = s.partitions else {
            return Ok(Vec::new());
        };
        let default = s.default_offset.clone().unwrap_or(KafkaOffset::End);
        Ok(parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let off = s
                    .offsets
                    .as_ref()
                    .and_then(|o| o.get(i).cloned())
                    .unwrap_or_else(|| default.clone());
                (*p, off)
            })
            .collect())
    }
}

// ---------------------------------------------------------------------------------------------
// Checks against the target table
// ---------------------------------------------------------------------------------------------

/// Collects the column names an expression references (identifiers that are not function
/// names). Expression kinds it does not know are skipped, so it can miss names but never
/// invents one.
pub fn expr_column_refs(expr: &sqlparser::ast::Expr) -> Vec<String> {
    let mut out = Vec::new();
    collect_refs(expr, &mut out, 0);
    out
}

fn collect_refs(expr: &sqlparser::ast::Expr, out: &mut Vec<String>, depth: usize) {
    use sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, FunctionArguments, InTarget};
    if depth > 256 {
        return;
    }
    let mut go = |e: &Expr| collect_refs(e, out, depth + 1);
    match expr {
        Expr::Identifier(id) => out.push(id.value.clone()),
        Expr::CompoundIdentifier(ids) => {
            if let Some(id) = ids.last() {
                out.push(id.value.clone());
            }
        }
        Expr::IsFalse(e)
        | Expr::IsNotFalse(e)
        | Expr::IsTrue(e)
        | Expr::IsNotTrue(e)
        | Expr::IsNull(e)
        | Expr::IsNotNull(e)
        | Expr::IsUnknown(e)
        | Expr::IsNotUnknown(e)
        | Expr::Nested(e) => go(e),
        Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
            go(a);
            go(b);
        }
        Expr::In { expr, target, .. } => {
            go(expr);
            if let InTarget::List(list) = target {
                list.iter().for_each(&mut go);
            }
        }
        Expr::Between {
            expr, low, high, ..
        } => {
            go(expr);
            go(low);
            go(high);
        }
        Expr::BinaryOp { left, right, .. } => {
            go(left);
            go(right);
        }
        Expr::Like { expr, pattern, .. }
        | Expr::ILike { expr, pattern, .. }
        | Expr::RLike { expr, pattern, .. } => {
            go(expr);
            go(pattern);
        }
        Expr::UnaryOp { expr, .. }
        | Expr::Cast { expr, .. }
        | Expr::Extract { expr, .. }
        | Expr::Ceil { expr, .. }
        | Expr::Floor { expr, .. }
        | Expr::Collate { expr, .. } => go(expr),
        Expr::AtTimeZone {
            timestamp,
            time_zone,
        } => {
            go(timestamp);
            go(time_zone);
        }
        Expr::Substring {
            expr,
            substring_from,
            substring_for,
            ..
        } => {
            go(expr);
            if let Some(e) = substring_from {
                go(e);
            }
            if let Some(e) = substring_for {
                go(e);
            }
        }
        Expr::Trim {
            expr, trim_what, ..
        } => {
            go(expr);
            if let Some(e) = trim_what {
                go(e);
            }
        }
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            if let Some(e) = operand {
                go(e);
            }
            for c in conditions {
                go(&c.condition);
                go(&c.result);
            }
            if let Some(e) = else_result {
                go(e);
            }
        }
        Expr::Tuple(list) => list.iter().for_each(&mut go),
        Expr::Function(f) => {
            if let FunctionArguments::List(list) = &f.args {
                for arg in &list.args {
                    let e = match arg {
                        FunctionArg::Named { arg, .. }
                        | FunctionArg::ExprNamed { arg, .. }
                        | FunctionArg::Unnamed(arg) => arg,
                    };
                    if let FunctionArgExpr::Expr(e) = e {
                        go(e);
                    }
                }
            }
        }
        _ => {}
    }
}

fn has_sequence(table: &TableSchema) -> bool {
    table.property("function_column.sequence_type").is_some()
        || table.property("function_column.sequence_col").is_some()
}

/// The checks of a job that need its target table, with Doris's messages: MERGE / DELETE only
/// into UNIQUE KEY tables; partial update only into merge-on-write UNIQUE tables; COLUMNS
/// mapping targets must be table columns; mapping, `DELETE ON` and `ORDER BY` references
/// must be source columns (the plain COLUMNS names, or the table's columns when there are
/// none: `Load.initColumns`); ORDER BY needs a sequence column and a hidden sequence column
/// needs ORDER BY (`NereidsStreamLoadPlanner`).
pub fn validate_against_table(job: &RoutineLoadJob, table: &TableSchema) -> Result<(), JobError> {
    if job.merge_type != MergeType::Append && table.keys_type != KeysType::Unique {
        return Err(JobError::MergeNotUnique);
    }
    if job.properties.is_partial_update() && !table.merge_on_write() {
        return Err(JobError::PartialNotMow);
    }
    // The source columns are COLUMNS' plain names; a COLUMNS list of mappings only (or no
    // COLUMNS at all) reads the table's columns, as Doris's load planner does.
    let explicit_sources = job.load.source_columns().filter(|src| !src.is_empty());
    let is_source = |name: &str| match &explicit_sources {
        Some(src) => src.iter().any(|s| s.eq_ignore_ascii_case(name)),
        None => table.column(name).is_some(),
    };
    // A mapping may read earlier mappings by name (Doris inlines them); a mapping whose target
    // is not a table column is dropped from the load but stays usable by later ones
    // (regression test_json_load: `columns: id = id * 10` on a table without `id`).
    let mut earlier: Vec<&str> = Vec::new();
    if let Some(cols) = &job.load.columns {
        for c in cols {
            let Some(expr) = &c.expr else { continue };
            for r in expr_column_refs(&expr.ast) {
                if !is_source(&r) && !earlier.iter().any(|e| e.eq_ignore_ascii_case(&r)) {
                    return Err(JobError::UnknownReference {
                        column: c.name.clone(),
                        reference: r,
                    });
                }
            }
            earlier.push(&c.name);
        }
    }
    if let Some(d) = &job.load.delete_on {
        for r in expr_column_refs(&d.ast) {
            if !is_source(&r) && !earlier.iter().any(|e| e.eq_ignore_ascii_case(&r)) {
                return Err(JobError::UnknownDeleteOnReference(r));
            }
        }
    }
    match &job.load.order_by {
        Some(col) => {
            if !has_sequence(table) {
                return Err(JobError::NoSequenceColumn(table.name.clone()));
            }
            if !is_source(col) {
                return Err(JobError::UnknownOrderBy(col.clone()));
            }
        }
        None => {
            if has_sequence(table)
                && table.sequence_column().is_none()
                && job.properties.unique_key_update_mode
                    != UniqueKeyUpdateMode::UpdateFlexibleColumns
            {
                return Err(JobError::SequenceRequired(table.name.clone()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Doris: Long.parseLong (sign allowed, no spaces, no exponent).
    #[test]
    fn java_long_rules() {
        assert_eq!(java_long("+5"), Some(5));
        assert_eq!(java_long("-5"), Some(-5));
        assert_eq!(java_long(" 5"), None);
        assert_eq!(java_long("5e3"), None);
        assert_eq!(java_long("+"), None);
        assert_eq!(java_long("99999999999999999999"), None);
        assert_eq!(java_int("2147483648"), None);
    }

    // Doris: Double.parseDouble (trim, f/d suffix, NaN / Infinity spelled exactly).
    #[test]
    fn java_double_rules() {
        assert_eq!(java_double(" 0.5 "), Some(0.5));
        assert_eq!(java_double("1e-1"), Some(0.1));
        assert_eq!(java_double("0.5f"), Some(0.5));
        assert!(java_double("NaN").is_some_and(f64::is_nan));
        assert_eq!(java_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(java_double("inf"), None);
        assert_eq!(java_double("nan"), None);
        assert_eq!(java_double(""), None);
    }

    // Doris: String.split drops trailing empty strings.
    #[test]
    fn java_split_rules() {
        assert_eq!(java_split("a,b,", ','), vec!["a", "b"]);
        assert_eq!(java_split("a,,b", ','), vec!["a", "", "b"]);
        assert_eq!(java_split("", ','), vec![""]);
        assert!(java_split(",", ',').is_empty());
    }

    // Doris: KafkaConfiguration.KAFKA_BROKER_LIST pattern.
    #[test]
    fn broker_pattern() {
        assert!(broker_item_ok("broker1:9092"));
        assert!(broker_item_ok("10.0.0.1:9092"));
        assert!(!broker_item_ok("b:9092;"));
        assert!(!broker_item_ok("b"));
        assert!(!broker_item_ok(""));
        assert!(!broker_item_ok("b 1:9092"));
    }

    // Doris: TimeUtils.timeStringToLong accepts exactly yyyy-MM-dd HH:mm:ss.
    #[test]
    fn offset_datetimes() {
        assert!(parse_offset_datetime("2024-02-29 23:59:59").is_some());
        assert!(parse_offset_datetime("2024-2-29 23:59:59").is_none());
        assert!(parse_offset_datetime("2024-02-30 00:00:00").is_none());
        assert!(parse_offset_datetime("2024-02-01T00:00:00").is_none());
    }

    // Doris 4.x / 2.x repeated-clause texts.
    #[test]
    fn repeat_messages() {
        assert_eq!(
            LoadClauseKind::OrderBy.repeat_message(DorisVersion::V4_0),
            "repeat setting of clause load property: \
             org.apache.doris.nereids.trees.plans.commands.load.LoadSequenceClause"
        );
        assert_eq!(
            LoadClauseKind::PrecedingFilter.repeat_message(DorisVersion::V2_1),
            "repeat setting of preceding where predicate"
        );
    }

    // routinely: the default zone text reads back to the same zone.
    #[test]
    fn default_zone_round_trips() {
        let p = JobProperties::default();
        if let Ok((zone, text)) = TimeZone::parse_property(&p.timezone) {
            assert_eq!((zone, text), (p.time_zone, p.timezone.clone()));
        }
    }
}
