//! `SHOW ROUTINE LOAD`, `SHOW ROUTINE LOAD TASK` and `SHOW CREATE ROUTINE LOAD` as Doris
//! prints them (doris-spec.md §3.5, §4): the columns in Doris's order, the JSON cells with
//! Doris's keys, value spellings and key order, times as `yyyy-MM-dd HH:mm:ss`, credentials
//! masked ([`routinely_schemas::mask`]); and SQL `LIKE` matching for `SHOW ... LIKE`.
//!
//! The job host gathers the facts ([`ShowFacts`], [`TaskFacts`]); this module only formats.
//!
//! Verified against Doris master FE sources: `ShowRoutineLoadCommand.TITLE_NAMES`,
//! `RoutineLoadJob.getShowInfo / jobPropertiesToJsonString / setOptional /
//! unprotectGetShowCreateInfo`, `KafkaRoutineLoadJob.dataSourcePropertiesJsonToString /
//! customPropertiesJsonToString`, `KafkaProgress.getReadableProgress / getLag`,
//! `RoutineLoadStatistic.summary`, `RoutineLoadTaskInfo.getTaskShowInfo`,
//! `ShowCreateRoutineLoadCommand` (columns `JobId`, `JobName`, `CreateStmt`),
//! `Separator.toString`, `CaseSensibility.ROUTINE_LOAD` (case-sensitive LIKE).
//!
//! Doris builds each JSON cell from a `java.util.HashMap` serialized by Gson, so the key order
//! is the map's bucket order; [`java_hash_order`] reproduces it (String / Integer / Long
//! hash codes, table growth at load factor 0.75) so the text matches Doris byte for byte.
//! routinely's own job properties (`doris_version`, `max_inflight_epochs`, `load_format`)
//! follow Doris's keys in `JobProperties`.

use std::collections::{BTreeMap, BTreeSet};

use routinely_schemas::RoutineLoadJob;
use routinely_schemas::job::{DataFormat, KafkaOffset, NewKeyBehavior};
use routinely_schemas::mask::mask_property;
use routinely_schemas::timezone::TimeZone;
use routinely_schemas::version::MessageTexts;

use crate::show::ResultSet;

/// `SHOW ROUTINE LOAD` columns, in Doris's order (`ShowRoutineLoadCommand.TITLE_NAMES`;
/// `ComputeGroup` is empty outside Doris's cloud mode).
pub const SHOW_ROUTINE_LOAD_COLUMNS: [&str; 23] = [
    "Id",
    "Name",
    "CreateTime",
    "PauseTime",
    "EndTime",
    "DbName",
    "TableName",
    "IsMultiTable",
    "State",
    "DataSourceType",
    "CurrentTaskNum",
    "JobProperties",
    "DataSourceProperties",
    "CustomProperties",
    "Statistic",
    "Progress",
    "Lag",
    "ReasonOfStateChanged",
    "ErrorLogUrls",
    "OtherMsg",
    "User",
    "Comment",
    "ComputeGroup",
];

/// `SHOW ROUTINE LOAD TASK` columns (`RoutineLoadTaskInfo.getTaskShowInfo`).
pub const SHOW_ROUTINE_LOAD_TASK_COLUMNS: [&str; 9] = [
    "TaskId",
    "TxnId",
    "TxnStatus",
    "JobId",
    "CreateTime",
    "ExecuteStartTime",
    "Timeout",
    "BeId",
    "DataSourceProperties",
];

/// `SHOW CREATE ROUTINE LOAD` columns (`ShowCreateRoutineLoadCommand`).
pub const SHOW_CREATE_ROUTINE_LOAD_COLUMNS: [&str; 3] = ["JobId", "JobName", "CreateStmt"];

/// The most tasks Doris runs for one job (FE `max_routine_load_task_concurrent_num`).
const MAX_TASK_CONCURRENCY: usize = 256;

/// The lifetime counters of a job (`RoutineLoadStatistic`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShowStats {
    /// Rows read: loaded + error + unselected.
    pub total_rows: u64,
    /// Rows written.
    pub loaded_rows: u64,
    /// Rows filtered for quality.
    pub error_rows: u64,
    /// Error rows in the current error window (Doris mirrors its window counter here).
    pub error_rows_after_resumed: u64,
    /// Rows dropped by WHERE / PRECEDING FILTER.
    pub unselected_rows: u64,
    /// Kafka payload bytes consumed.
    pub received_bytes: u64,
    /// Milliseconds since the job was created (Doris divides the rates by it; 0 counts as 1).
    pub task_execute_time_ms: u64,
    /// Committed tasks (epochs).
    pub committed_task_num: u64,
    /// Aborted tasks (epochs).
    pub aborted_task_num: u64,
    /// Transactions in flight.
    pub running_txns: Vec<i64>,
}

/// Everything one `SHOW ROUTINE LOAD` row shows about a job.
#[derive(Debug, Clone)]
pub struct ShowFacts<'a> {
    /// The job id.
    pub id: u64,
    /// The effective job (every ALTER applied).
    pub job: &'a RoutineLoadJob,
    /// Creation time, milliseconds since the epoch.
    pub create_time_ms: i64,
    /// When the job was last paused (`None` or `<= 0`: NULL).
    pub pause_time_ms: Option<i64>,
    /// When the job reached STOPPED / CANCELLED (`None` or `<= 0`: NULL).
    pub end_time_ms: Option<i64>,
    /// `NEED_SCHEDULE`, `RUNNING`, `PAUSED`, `STOPPED` or `CANCELLED`.
    pub state: &'a str,
    /// Tasks the job holds now (`CurrentTaskNum`).
    pub current_task_num: usize,
    /// The Kafka partitions the job reads now.
    pub partitions: Vec<i32>,
    /// Committed progress: the next offset to read per partition. Partitions of
    /// `partitions` missing here show the job's start position (see [`progress_json`]);
    /// Doris's sentinels `-1` (OFFSET_END) and `-2` (OFFSET_BEGINNING) are understood.
    pub next_offsets: BTreeMap<i32, i64>,
    /// Messages behind the partition end, per partition; `-1` when unknown.
    pub lag: BTreeMap<i32, i64>,
    /// Lifetime counters.
    pub stats: ShowStats,
    /// `ReasonOfStateChanged` (`""` when none).
    pub reason: String,
    /// Error log URLs, newest first; the newest three are shown, oldest of them first, as
    /// Doris's three-entry queue prints them, joined by `", "`.
    pub error_log_urls: Vec<String>,
    /// `OtherMsg`: `"<yyyy-MM-dd HH:mm:ss>:<message>"` or `""`.
    pub other_msg: String,
    /// The job's creator (`User`).
    pub user: String,
    /// The broker list shown in `DataSourceProperties` (the one in use, which a command-line
    /// override may have changed).
    pub broker_list: String,
    /// The zone the times are printed in. Doris prints them in the FE session's
    /// `time_zone` (`TimeUtils.getDorisZoneId`), not the job's `timezone`; a host without a
    /// session passes the job's zone or the machine's.
    pub timezone_for_times: &'a TimeZone,
}

/// Everything one `SHOW ROUTINE LOAD TASK` row shows about a task (epoch in flight).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFacts {
    /// Task id, printed like Doris's `DebugUtil.printId` (`hi-lo` hex).
    pub task_id: String,
    /// The transaction id; `-1` before the transaction begins.
    pub txn_id: i64,
    /// `PREPARE`, `COMMITTED`, `VISIBLE`, `ABORTED`; `None` before the transaction begins.
    pub txn_status: Option<String>,
    /// The job id.
    pub job_id: u64,
    /// Creation time, milliseconds since the epoch.
    pub create_time_ms: i64,
    /// When execution started; `None`: NULL.
    pub execute_start_ms: Option<i64>,
    /// The task timeout in seconds.
    pub timeout_s: u64,
    /// The executor id; `-1` when not yet assigned.
    pub be_id: i64,
    /// The next offset the task reads per partition.
    pub next_offsets: BTreeMap<i32, i64>,
    /// The zone times are printed in (see [`ShowFacts::timezone_for_times`]); UTC when
    /// `None`.
    pub timezone_for_times: Option<TimeZone>,
}

// ---------------------------------------------------------------------------------------------
// Java / Gson emulation
// ---------------------------------------------------------------------------------------------

/// `String.hashCode` over UTF-16 code units.
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(u as i32))
}

/// `Long.hashCode`.
fn java_long_hash(v: i64) -> i32 {
    (v ^ ((v as u64) >> 32) as i64) as i32
}

/// The iteration order of a `java.util.HashMap` filled with `items` in order (a repeated
/// key keeps its first position and takes the last value): buckets by
/// `(h ^ h >>> 16) & (n - 1)` for the final table size `n` (16, doubled whenever the size
/// passes three quarters of it), insertion order within a bucket (resizes keep it).
pub fn java_hash_order<T>(items: Vec<(i32, String, T)>) -> Vec<(String, T)> {
    let mut dedup: Vec<(i32, String, T)> = Vec::with_capacity(items.len());
    for (h, k, v) in items {
        match dedup.iter_mut().find(|(_, key, _)| *key == k) {
            Some(slot) => slot.2 = v,
            None => dedup.push((h, k, v)),
        }
    }
    let mut n = 16usize;
    while dedup.len() > n * 3 / 4 {
        n *= 2;
    }
    let mut keyed: Vec<(usize, (String, T))> = dedup
        .into_iter()
        .map(|(h, k, v)| {
            let h = h as u32;
            let spread = h ^ (h >> 16);
            (spread as usize & (n - 1), (k, v))
        })
        .collect();
    keyed.sort_by_key(|(bucket, _)| *bucket);
    keyed.into_iter().map(|(_, kv)| kv).collect()
}

/// A JSON value as these cells hold them.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Str(String),
    Num(i64),
    Nums(Vec<i64>),
}

/// A string as Gson writes it with HTML escaping off.
fn gson_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An object with the keys in the given order.
fn gson_object(pairs: &[(String, Json)]) -> String {
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Json::Str(s) => gson_quote(s),
                Json::Num(n) => n.to_string(),
                Json::Nums(ns) => {
                    let items: Vec<String> = ns.iter().map(i64::to_string).collect();
                    format!("[{}]", items.join(","))
                }
            };
            format!("{}:{}", gson_quote(k), v)
        })
        .collect();
    format!("{{{}}}", body.join(","))
}

/// A `HashMap<String, _>` filled in this order, as Gson prints it.
fn string_map(pairs: Vec<(&str, Json)>) -> String {
    let items = pairs
        .into_iter()
        .map(|(k, v)| (java_string_hash(k), k.to_string(), v))
        .collect();
    gson_object(&java_hash_order(items))
}

/// A map keyed by partition (Java `Integer` keys hash to themselves; `BTreeMap` order is the
/// bucket order whenever every partition is below the table size, i.e. for the usual
/// contiguous partition numbers).
fn partition_map(entries: impl IntoIterator<Item = (i32, Json)>) -> String {
    let items = entries
        .into_iter()
        .map(|(p, v)| (p, p.to_string(), v))
        .collect();
    gson_object(&java_hash_order(items))
}

/// `String.valueOf(double)`: shortest digits, at least one fractional digit, scientific
/// notation (`1.0E-4`) outside `[1e-3, 1e7)`.
pub fn java_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    let abs = d.abs();
    if (1e-3..1e7).contains(&abs) {
        let s = format!("{d}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{d:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exp}")
    }
}

/// `yyyy-MM-dd HH:mm:ss` of an instant in `tz`; `None` (NULL) for `<= 0`, as
/// `TimeUtils.longToTimeString` does.
pub fn format_time(ms: i64, tz: &TimeZone) -> Option<String> {
    if ms <= 0 {
        return None;
    }
    let local = tz.local_from_utc(ms.div_euclid(1000));
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (year, month, day) = crate::progress::civil_from_days(days);
    Some(format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    ))
}

// ---------------------------------------------------------------------------------------------
// The JSON cells
// ---------------------------------------------------------------------------------------------

fn is_v4(job: &RoutineLoadJob) -> bool {
    job.properties.doris_version.rules().messages == MessageTexts::Current
}

/// A separator as `Separator.toString` prints it: the text as written, in single quotes.
/// routinely keeps only the decoded bytes, so control bytes are written back as `\t`, `\n`,
/// `\r` or `\xHH`.
fn separator_text(bytes: &[u8]) -> String {
    let mut s = String::from("'");
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            for c in text.chars() {
                match c {
                    '\t' => s.push_str("\\t"),
                    '\n' => s.push_str("\\n"),
                    '\r' => s.push_str("\\r"),
                    c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                        s.push_str(&format!("\\x{:02X}", c as u32));
                    }
                    c => s.push(c),
                }
            }
        }
        Err(_) => {
            for b in bytes {
                s.push_str(&format!("\\x{b:02X}"));
            }
        }
    }
    s.push('\'');
    s
}

/// Tasks Doris would run now: min(#partitions, desired_concurrent_number, 256).
fn current_concurrency(job: &RoutineLoadJob, partitions: usize) -> usize {
    let desired = usize::try_from(job.properties.desired_concurrent_number).unwrap_or(usize::MAX);
    partitions.min(desired).min(MAX_TASK_CONCURRENCY)
}

/// `JobProperties` (`RoutineLoadJob.jobPropertiesToJsonString`): the load clauses (`*` when
/// absent), the batch knobs, then the stored properties of `setOptional`; for CSV jobs the
/// separators and `enclose` / `escape` as one-byte strings (`"\u0000"` when unset), for
/// JSON jobs the JSON settings (`""` when unset). Expressions are shown as written.
/// routinely's own properties follow.
pub fn job_properties_json(job: &RoutineLoadJob, current_concurrent_number: usize) -> String {
    let p = &job.properties;
    let l = &job.load;
    let v4 = is_v4(job);
    let s = |v: String| Json::Str(v);
    let star = |v: Option<String>| Json::Str(v.unwrap_or_else(|| "*".to_string()));
    let mut m: Vec<(&str, Json)> = vec![
        (
            "partitions",
            star(l.partitions.as_ref().map(|p| p.names.join(","))),
        ),
        (
            "columnToColumnExpr",
            star(l.columns.as_ref().map(|cols| {
                cols.iter()
                    .map(|c| match &c.expr {
                        Some(e) => format!("{}={}", c.name, e.text),
                        None => c.name.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })),
        ),
        (
            "precedingFilter",
            star(l.preceding_filter.as_ref().map(|e| e.text.clone())),
        ),
        (
            "whereExpr",
            star(l.where_predicate.as_ref().map(|e| e.text.clone())),
        ),
    ];
    if p.format == DataFormat::Json {
        m.push(("format", s("json".into())));
    } else {
        m.push((
            "column_separator",
            s(l.column_separator
                .as_deref()
                .map_or_else(|| "\t".to_string(), separator_text)),
        ));
        m.push(("line_delimiter", s("\n".into())));
    }
    m.push(("delete", star(l.delete_on.as_ref().map(|e| e.text.clone()))));
    m.push(("sequence_col", star(l.order_by.clone())));
    let new_key = match p.partial_update_new_key_behavior {
        NewKeyBehavior::Append => "APPEND",
        NewKeyBehavior::Error => "ERROR",
    };
    m.push(("partial_columns", s(p.partial_columns.to_string())));
    if p.partial_columns {
        m.push(("partial_update_new_key_behavior", s(new_key.into())));
    }
    m.push(("max_error_number", s(p.max_error_number.to_string())));
    m.push((
        "max_batch_interval",
        s(p.max_batch_interval_secs.to_string()),
    ));
    m.push(("max_batch_rows", s(p.max_batch_rows.to_string())));
    m.push(("max_batch_size", s(p.max_batch_size.to_string())));
    m.push((
        "current_concurrent_number",
        s(current_concurrent_number.to_string()),
    ));
    m.push((
        "desired_concurrent_number",
        s(p.desired_concurrent_number.to_string()),
    ));
    m.push(("exec_mem_limit", s(p.exec_mem_limit.to_string())));
    m.push(("merge_type", s(job.merge_type.as_str().into())));
    // The stored properties (`RoutineLoadJob.setOptional`), put over the above.
    m.push(("timezone", s(p.timezone.clone())));
    m.push(("strict_mode", s(p.strict_mode.to_string())));
    m.push((
        "send_batch_parallelism",
        s(p.send_batch_parallelism.to_string()),
    ));
    m.push((
        "load_to_single_tablet",
        s(p.load_to_single_tablet.to_string()),
    ));
    if v4 {
        m.push((
            "unique_key_update_mode",
            s(p.unique_key_update_mode_str().into()),
        ));
    }
    m.push(("partial_columns", s(p.partial_columns.to_string())));
    if p.is_partial_update() {
        m.push(("partial_update_new_key_behavior", s(new_key.into())));
    }
    m.push(("max_filter_ratio", s(java_double(p.max_filter_ratio))));
    match p.format {
        DataFormat::Csv => {
            let byte = |b: Option<u8>| s(char::from(b.unwrap_or(0)).to_string());
            m.push(("format", s("csv".into())));
            m.push(("enclose", byte(p.enclose)));
            m.push(("escape", byte(p.escape)));
            if v4 {
                m.push(("empty_field_as_null", s(p.empty_field_as_null.to_string())));
            }
        }
        DataFormat::Json => {
            m.push(("format", s("json".into())));
            m.push(("jsonpaths", s(p.jsonpaths.clone().unwrap_or_default())));
            m.push(("json_root", s(p.json_root.clone().unwrap_or_default())));
            m.push(("strip_outer_array", s(p.strip_outer_array.to_string())));
            m.push(("num_as_string", s(p.num_as_string.to_string())));
            m.push(("fuzzy_parse", s(p.fuzzy_parse.to_string())));
        }
    }
    if let Some(w) = &p.workload_group {
        m.push(("workload_group", s(w.clone())));
    }
    let doris = string_map(m);
    // routinely's own properties, after Doris's.
    let extras = gson_object(&[
        (
            "doris_version".to_string(),
            s(p.doris_version.as_str().into()),
        ),
        (
            "max_inflight_epochs".to_string(),
            s(p.max_inflight_epochs.to_string()),
        ),
        ("load_format".to_string(), s(p.load_format.as_str().into())),
    ]);
    match (doris.strip_suffix('}'), extras.strip_prefix('{')) {
        (Some(head), Some(tail)) if head.len() > 1 => format!("{head},{tail}"),
        _ => doris,
    }
}

/// `DataSourceProperties`: broker list, topic and the current partitions, sorted, joined by
/// commas (`KafkaRoutineLoadJob.dataSourcePropertiesJsonToString`).
pub fn data_source_json(topic: &str, broker_list: &str, partitions: &[i32]) -> String {
    let sorted: BTreeSet<i32> = partitions.iter().copied().collect();
    let list: Vec<String> = sorted.iter().map(i32::to_string).collect();
    string_map(vec![
        ("brokerList", Json::Str(broker_list.to_string())),
        ("topic", Json::Str(topic.to_string())),
        ("currentKafkaPartitions", Json::Str(list.join(","))),
    ])
}

/// `CustomProperties`: every `property.*` with the prefix stripped, sensitive values masked
/// (Doris #64786), `kafka_default_offsets` when `property.kafka_default_offsets` was given,
/// and the `group.id` the consumer uses (routinely's default when the job sets none; Doris
/// would show its generated `<job>_<uuid>`).
pub fn custom_properties_json(job: &RoutineLoadJob) -> String {
    let k = &job.kafka;
    let mut m: Vec<(String, Json)> = k
        .properties
        .iter()
        .map(|(key, v)| (key.clone(), Json::Str(mask_property(key, v))))
        .collect();
    let bare = k
        .other
        .iter()
        .any(|(key, _)| key == "kafka_default_offsets");
    if let Some(d) = &k.default_offset
        && !bare
    {
        m.push((
            "kafka_default_offsets".to_string(),
            Json::Str(d.to_property_text()),
        ));
    }
    if !k.properties.iter().any(|(key, _)| key == "group.id") {
        m.push((
            "group.id".to_string(),
            Json::Str(crate::kafka::DEFAULT_GROUP.to_string()),
        ));
    }
    let items = m
        .into_iter()
        .map(|(key, v)| (java_string_hash(&key), key, v))
        .collect();
    gson_object(&java_hash_order(items))
}

/// Doris's stored form of a start position: the offset, or the sentinels `-1` (END) and
/// `-2` (BEGINNING); `None` for a datetime not yet resolved.
fn stored_offset(off: &KafkaOffset) -> Option<i64> {
    match off {
        KafkaOffset::Beginning => Some(-2),
        KafkaOffset::End => Some(-1),
        KafkaOffset::Offset(n) => Some(*n),
        KafkaOffset::Time { .. } => None,
    }
}

/// One `Progress` value (`KafkaProgress.getReadableProgress`): `OFFSET_ZERO` for next
/// offset 0, `OFFSET_END` for -1, `OFFSET_BEGINNING` for -2, else the last consumed offset
/// (next - 1).
fn readable_progress(next: i64) -> String {
    match next {
        0 => "OFFSET_ZERO".to_string(),
        -1 => "OFFSET_END".to_string(),
        -2 => "OFFSET_BEGINNING".to_string(),
        n => (n - 1).to_string(),
    }
}

/// `Progress`: every partition with committed progress or currently read. A partition not
/// consumed yet shows the job's start position for it (its `kafka_offsets` entry, else the
/// default offset, `OFFSET_END` unless `kafka_default_offsets` says otherwise), as Doris's
/// progress holds it before the first commit. routinely decision: a datetime start not yet
/// resolved to an offset is shown as the datetime text (Doris resolves it at CREATE).
pub fn progress_json(
    job: &RoutineLoadJob,
    partitions: &[i32],
    next_offsets: &BTreeMap<i32, i64>,
) -> String {
    let starts: BTreeMap<i32, KafkaOffset> = job.kafka.start_positions().into_iter().collect();
    let mut all: BTreeSet<i32> = next_offsets.keys().copied().collect();
    all.extend(partitions.iter().copied());
    partition_map(all.into_iter().map(|p| {
        let shown = match next_offsets.get(&p) {
            Some(n) => readable_progress(*n),
            None => {
                let start = starts
                    .get(&p)
                    .cloned()
                    .unwrap_or_else(|| job.kafka.effective_default_offset());
                match stored_offset(&start) {
                    Some(n) => readable_progress(n),
                    None => start.to_property_text(),
                }
            }
        };
        (p, Json::Str(shown))
    }))
}

/// `Lag`: per partition of the progress, messages behind the end; `-1` when unknown.
pub fn lag_json(
    partitions: &[i32],
    next_offsets: &BTreeMap<i32, i64>,
    lag: &BTreeMap<i32, i64>,
) -> String {
    let mut all: BTreeSet<i32> = next_offsets.keys().copied().collect();
    all.extend(partitions.iter().copied());
    all.extend(lag.keys().copied());
    partition_map(
        all.into_iter()
            .map(|p| (p, Json::Num(lag.get(&p).copied().unwrap_or(-1)))),
    )
}

/// `Statistic` (`RoutineLoadStatistic.summary`): the counters, the rates per second over
/// `taskExecuteTimeMs` (at least 1), `runningTxns` as an array.
pub fn statistic_json(st: &ShowStats) -> String {
    let ms = st.task_execute_time_ms.max(1);
    let n = |v: u64| Json::Num(i64::try_from(v).unwrap_or(i64::MAX));
    let rate = |v: u64| n(((u128::from(v) * 1000) / u128::from(ms)) as u64);
    let mut txns: Vec<(i32, String, i64)> = st
        .running_txns
        .iter()
        .map(|t| (java_long_hash(*t), t.to_string(), *t))
        .collect();
    txns.dedup_by_key(|t| t.2);
    let txns: Vec<i64> = java_hash_order(txns).into_iter().map(|(_, t)| t).collect();
    string_map(vec![
        ("totalRows", n(st.total_rows)),
        ("loadedRows", n(st.loaded_rows)),
        ("errorRows", n(st.error_rows)),
        ("errorRowsAfterResumed", n(st.error_rows_after_resumed)),
        ("unselectedRows", n(st.unselected_rows)),
        ("receivedBytes", n(st.received_bytes)),
        ("taskExecuteTimeMs", n(ms)),
        ("receivedBytesRate", rate(st.received_bytes)),
        ("loadRowsRate", rate(st.loaded_rows)),
        ("committedTaskNum", n(st.committed_task_num)),
        ("abortedTaskNum", n(st.aborted_task_num)),
        ("runningTxns", Json::Nums(txns)),
    ])
}

// ---------------------------------------------------------------------------------------------
// The statements
// ---------------------------------------------------------------------------------------------

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|c| c.to_string()).collect()
}

/// One `SHOW ROUTINE LOAD` row, in [`SHOW_ROUTINE_LOAD_COLUMNS`] order.
pub fn show_row(f: &ShowFacts) -> Vec<Option<String>> {
    let job = f.job;
    let tz = f.timezone_for_times;
    let time = |ms: Option<i64>| ms.and_then(|ms| format_time(ms, tz));
    let multi = job.table.is_none();
    let concurrency = current_concurrency(job, f.partitions.len());
    let mut urls: Vec<&str> = f
        .error_log_urls
        .iter()
        .take(3)
        .map(String::as_str)
        .collect();
    urls.reverse();
    vec![
        Some(f.id.to_string()),
        Some(job.name.clone()),
        format_time(f.create_time_ms, tz),
        time(f.pause_time_ms),
        time(f.end_time_ms),
        Some(job.database.clone().unwrap_or_default()),
        Some(job.table.clone().unwrap_or_default()),
        Some(multi.to_string()),
        Some(f.state.to_string()),
        Some("KAFKA".to_string()),
        Some(f.current_task_num.to_string()),
        Some(job_properties_json(job, concurrency)),
        Some(data_source_json(
            &job.kafka.topic,
            &f.broker_list,
            &f.partitions,
        )),
        Some(custom_properties_json(job)),
        Some(statistic_json(&f.stats)),
        Some(progress_json(job, &f.partitions, &f.next_offsets)),
        Some(lag_json(&f.partitions, &f.next_offsets, &f.lag)),
        Some(f.reason.clone()),
        Some(urls.join(", ")),
        Some(f.other_msg.clone()),
        Some(f.user.clone()),
        Some(job.comment.clone().unwrap_or_default()),
        Some(String::new()),
    ]
}

/// `SHOW [ALL] ROUTINE LOAD`: one row per job, Doris's 23 columns, rows ordered by the
/// printed `CreateTime` (a stable sort, as `ShowRoutineLoadCommand` does). Which jobs to
/// pass (ALL, FOR, LIKE via [`like_matches`]) is the caller's choice.
pub fn show_routine_load(rows: &[ShowFacts]) -> ResultSet {
    let mut out: Vec<Vec<Option<String>>> = rows.iter().map(show_row).collect();
    out.sort_by(|a, b| a[2].cmp(&b[2]));
    ResultSet {
        columns: columns(&SHOW_ROUTINE_LOAD_COLUMNS),
        rows: out,
    }
}

/// `SHOW ROUTINE LOAD TASK WHERE JobName = "..."`: one row per task; `DataSourceProperties`
/// maps each partition to the next offset the task reads (numbers).
pub fn show_routine_load_task(rows: &[TaskFacts]) -> ResultSet {
    let out = rows
        .iter()
        .map(|t| {
            let tz = t.timezone_for_times.unwrap_or(TimeZone::UTC);
            vec![
                Some(t.task_id.clone()),
                Some(t.txn_id.to_string()),
                if t.txn_id == -1 {
                    None
                } else {
                    t.txn_status.clone()
                },
                Some(t.job_id.to_string()),
                format_time(t.create_time_ms, &tz),
                t.execute_start_ms.and_then(|ms| format_time(ms, &tz)),
                Some(t.timeout_s.to_string()),
                Some(t.be_id.to_string()),
                Some(partition_map(
                    t.next_offsets.iter().map(|(p, o)| (*p, Json::Num(*o))),
                )),
            ]
        })
        .collect();
    ResultSet {
        columns: columns(&SHOW_ROUTINE_LOAD_TASK_COLUMNS),
        rows: out,
    }
}

/// The statement `SHOW CREATE ROUTINE LOAD` prints: the job as a `CREATE ROUTINE LOAD`
/// ([`RoutineLoadJob::to_sql`], which parses back to the same job) with credentials masked
/// and, as Doris does (`unprotectGetShowCreateInfo`), `kafka_partitions` / `kafka_offsets`
/// set to every partition with progress and its next offset. routinely decision: a next
/// offset of 0 is written `0` (Doris writes `OFFSET_ZERO`, which its own parser refuses),
/// and Doris's sentinels -1 / -2 as `OFFSET_END` / `OFFSET_BEGINNING`.
pub fn show_create_statement(job: &RoutineLoadJob, next_offsets: &BTreeMap<i32, i64>) -> String {
    let mut shown = job.clone();
    shown.kafka.properties = routinely_schemas::mask::mask_pairs(&job.kafka.properties);
    shown.kafka.other = routinely_schemas::mask::mask_pairs(&job.kafka.other);
    if !next_offsets.is_empty() {
        shown.kafka.partitions = Some(next_offsets.keys().copied().collect());
        shown.kafka.offsets = Some(
            next_offsets
                .values()
                .map(|n| match n {
                    -1 => KafkaOffset::End,
                    -2 => KafkaOffset::Beginning,
                    n => KafkaOffset::Offset(*n),
                })
                .collect(),
        );
    }
    shown.to_sql()
}

/// `SHOW CREATE ROUTINE LOAD` for a job whose id is not at hand: `JobId` is NULL. Prefer
/// [`show_create_routine_load_for`].
pub fn show_create_routine_load(
    job: &RoutineLoadJob,
    next_offsets: &BTreeMap<i32, i64>,
) -> ResultSet {
    ResultSet {
        columns: columns(&SHOW_CREATE_ROUTINE_LOAD_COLUMNS),
        rows: vec![vec![
            None,
            Some(job.name.clone()),
            Some(show_create_statement(job, next_offsets)),
        ]],
    }
}

/// `SHOW CREATE ROUTINE LOAD FOR job`: `JobId`, `JobName`, `CreateStmt`.
pub fn show_create_routine_load_for(
    id: u64,
    job: &RoutineLoadJob,
    next_offsets: &BTreeMap<i32, i64>,
) -> ResultSet {
    let mut rs = show_create_routine_load(job, next_offsets);
    if let Some(row) = rs.rows.first_mut() {
        row[0] = Some(id.to_string());
    }
    rs
}

/// SQL `LIKE` as `SHOW ROUTINE LOAD LIKE` applies it (`PatternMatcher.createMysqlPattern`,
/// case-sensitive for routine load names): `%` any run, `_` one character, `\` escapes the
/// next character.
pub fn like_matches(pattern: &str, name: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Any,
        One,
        Lit(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '%' => Tok::Any,
            '_' => Tok::One,
            '\\' => Tok::Lit(chars.next().unwrap_or('\\')),
            c => Tok::Lit(c),
        });
    }
    let text: Vec<char> = name.chars().collect();
    // Classic wildcard matching with backtracking to the last `%`.
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                t += 1;
                p += 1;
            }
            Some(Tok::Lit(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(|tok| *tok == Tok::Any)
}

/// Doris's error for `SHOW ROUTINE LOAD FOR job` when nothing matches.
pub fn no_job_message(name: &str, db: &str, all: bool) -> String {
    format!("There is no job named {name} in db {db}. Include history? {all}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use routinely_schemas::sql::{Statement, parse_statement};

    const SECRET: &str = "s3cr3t-Pa55";

    fn job(sql: &str) -> RoutineLoadJob {
        match parse_statement(sql) {
            Ok(Statement::CreateRoutineLoad(j)) => j,
            other => panic!("{other:?}"),
        }
    }

    fn csv_job() -> RoutineLoadJob {
        job(&format!(
            r#"CREATE ROUTINE LOAD db1.orders_job ON orders
            COLUMNS TERMINATED BY ",",
            COLUMNS(k1, k2, v1 = k1 + 1),
            WHERE k1 > 100
            PROPERTIES ("desired_concurrent_number" = "3", "max_error_number" = "10",
                        "max_filter_ratio" = "0.5", "timezone" = "Asia/Shanghai")
            FROM KAFKA ("kafka_broker_list" = "b1:9092,b2:9092", "kafka_topic" = "orders",
                        "property.group.id" = "g1",
                        "property.security.protocol" = "SASL_PLAINTEXT",
                        "property.sasl.username" = "alice",
                        "property.sasl.password" = "{SECRET}",
                        "property.kafka_default_offsets" = "OFFSET_BEGINNING")
            COMMENT "orders from kafka""#
        ))
    }

    fn facts<'a>(j: &'a RoutineLoadJob, tz: &'a TimeZone) -> ShowFacts<'a> {
        ShowFacts {
            id: 10042,
            job: j,
            create_time_ms: 1_718_000_000_000,
            pause_time_ms: Some(1_718_000_600_000),
            end_time_ms: None,
            state: "PAUSED",
            current_task_num: 0,
            partitions: vec![0, 1, 2],
            next_offsets: BTreeMap::from([(0, 1025), (1, 0)]),
            lag: BTreeMap::from([(0, 10), (1, 5)]),
            stats: ShowStats {
                total_rows: 1100,
                loaded_rows: 1000,
                error_rows: 20,
                error_rows_after_resumed: 20,
                unselected_rows: 80,
                received_bytes: 50_000,
                task_execute_time_ms: 10_000,
                committed_task_num: 7,
                aborted_task_num: 1,
                running_txns: vec![],
            },
            reason: "ErrorReason{code=errCode = 102, msg='current error rows is more than \
                     max_error_number or the max_filter_ratio is more than the value set'}"
                .to_string(),
            error_log_urls: vec!["http://be:8040/e3".into(), "http://be:8040/e2".into()],
            other_msg: String::new(),
            user: "root".to_string(),
            broker_list: "b1:9092,b2:9092".to_string(),
            timezone_for_times: tz,
        }
    }

    // Doris RoutineLoadStatistic.summary is a HashMap: its Gson text has this key order
    // (as every Doris SHOW ROUTINE LOAD sample prints it).
    #[test]
    fn statistic_keys_in_doris_hash_order() {
        let st = ShowStats {
            total_rows: 1100,
            loaded_rows: 1000,
            error_rows: 20,
            unselected_rows: 80,
            received_bytes: 50_000,
            task_execute_time_ms: 10_000,
            committed_task_num: 7,
            aborted_task_num: 1,
            ..ShowStats::default()
        };
        assert_eq!(
            statistic_json(&st),
            "{\"receivedBytes\":50000,\"runningTxns\":[],\"errorRows\":20,\
             \"committedTaskNum\":7,\"loadedRows\":1000,\"loadRowsRate\":100,\
             \"abortedTaskNum\":1,\"errorRowsAfterResumed\":0,\"totalRows\":1100,\
             \"unselectedRows\":80,\"receivedBytesRate\":5000,\"taskExecuteTimeMs\":10000}"
        );
        // taskExecuteTimeMs starts at 1 in Doris (no division by zero).
        assert!(statistic_json(&ShowStats::default()).contains("\"taskExecuteTimeMs\":1}"));
    }

    // Doris KafkaRoutineLoadJob.dataSourcePropertiesJsonToString: HashMap order, sorted
    // partitions joined by commas.
    #[test]
    fn data_source_properties() {
        assert_eq!(
            data_source_json("t", "h:9092", &[2, 0, 1]),
            "{\"topic\":\"t\",\"currentKafkaPartitions\":\"0,1,2\",\"brokerList\":\"h:9092\"}"
        );
    }

    // Java String.valueOf(double).
    #[test]
    fn java_doubles() {
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(0.5), "0.5");
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(0.0001), "1.0E-4");
        assert_eq!(java_double(0.00015), "1.5E-4");
        assert_eq!(java_double(1e7), "1.0E7");
    }

    // Doris KafkaProgress.getReadableProgress: next 0 -> OFFSET_ZERO, else next - 1; a
    // partition not consumed yet shows the start (here kafka_default_offsets).
    #[test]
    fn progress_rules() {
        let j = csv_job();
        let next = BTreeMap::from([(0, 1025), (1, 0)]);
        assert_eq!(
            progress_json(&j, &[0, 1, 2], &next),
            "{\"0\":\"1024\",\"1\":\"OFFSET_ZERO\",\"2\":\"OFFSET_BEGINNING\"}"
        );
        let plain = job(
            r#"CREATE ROUTINE LOAD j ON t FROM KAFKA ("kafka_broker_list" = "b:9092",
            "kafka_topic" = "t", "kafka_partitions" = "0,1", "kafka_offsets" = "5,OFFSET_END")"#,
        );
        assert_eq!(
            progress_json(&plain, &[0, 1], &BTreeMap::new()),
            "{\"0\":\"4\",\"1\":\"OFFSET_END\"}"
        );
        assert_eq!(
            lag_json(&[0, 1, 2], &next, &BTreeMap::from([(0, 3)])),
            "{\"0\":3,\"1\":-1,\"2\":-1}"
        );
    }

    // A representative job in the `\G` form, compared whole.
    #[test]
    fn golden_vertical() {
        let j = csv_job();
        let tz = TimeZone::Fixed(8 * 3600);
        let text = show_routine_load(&[facts(&j, &tz)]).vertical();
        let golden = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/golden/show_routine_load.txt"
        );
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(golden, &text).expect("write golden");
        }
        let expected = include_str!("../tests/golden/show_routine_load.txt");
        assert_eq!(text, expected, "\n{text}");
        assert!(!text.contains(SECRET));
    }

    // The JSON form: one object per row, Doris's column names, NULL as null.
    #[test]
    fn json_form() {
        let j = csv_job();
        let tz = TimeZone::UTC;
        let rs = show_routine_load(&[facts(&j, &tz)]);
        let v = rs.json();
        let row = &v[0];
        assert_eq!(row["Id"], "10042");
        assert_eq!(row["CreateTime"], "2024-06-10 06:13:20");
        assert_eq!(row["PauseTime"], "2024-06-10 06:23:20");
        assert!(row["EndTime"].is_null());
        assert_eq!(row["IsMultiTable"], "false");
        assert_eq!(row["User"], "root");
        assert_eq!(row["Comment"], "orders from kafka");
        assert_eq!(row["ErrorLogUrls"], "http://be:8040/e2, http://be:8040/e3");
        let custom: serde_json::Value =
            serde_json::from_str(row["CustomProperties"].as_str().unwrap_or("")).unwrap();
        assert_eq!(custom["sasl.password"], "******");
        assert_eq!(custom["sasl.username"], "alice");
        assert_eq!(custom["kafka_default_offsets"], "OFFSET_BEGINNING");
        let props: serde_json::Value =
            serde_json::from_str(row["JobProperties"].as_str().unwrap_or("")).unwrap();
        for (k, want) in [
            ("partitions", "*"),
            ("columnToColumnExpr", "k1,k2,v1=k1 + 1"),
            ("whereExpr", "k1 > 100"),
            ("precedingFilter", "*"),
            ("delete", "*"),
            ("sequence_col", "*"),
            ("column_separator", "','"),
            ("line_delimiter", "\n"),
            ("max_filter_ratio", "0.5"),
            ("current_concurrent_number", "3"),
            ("desired_concurrent_number", "3"),
            ("max_error_number", "10"),
            ("merge_type", "APPEND"),
            ("timezone", "Asia/Shanghai"),
            ("format", "csv"),
            ("enclose", "\u{0}"),
            ("unique_key_update_mode", "UPSERT"),
            ("max_inflight_epochs", "2"),
        ] {
            assert_eq!(props[k], want, "{k}");
        }
        assert!(!v.to_string().contains(SECRET));
        assert_eq!(rs.columns.len(), 23);
        assert_eq!(rs.columns[20..], ["User", "Comment", "ComputeGroup"]);
    }

    // Doris: JSON jobs show format/jsonpaths/json_root... and no separators.
    #[test]
    fn json_job_properties() {
        let j = job(r#"CREATE ROUTINE LOAD j ON t PROPERTIES ("format" = "json",
            "jsonpaths" = "[\"$.a\"]", "strip_outer_array" = "true")
            FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t")"#);
        let v: serde_json::Value = serde_json::from_str(&job_properties_json(&j, 0)).unwrap();
        assert_eq!(v["format"], "json");
        assert_eq!(v["jsonpaths"], "[\"$.a\"]");
        assert_eq!(v["json_root"], "");
        assert_eq!(v["strip_outer_array"], "true");
        assert!(v.get("column_separator").is_none());
        assert!(v.get("enclose").is_none());
    }

    // Doris RoutineLoadTaskInfo.getTaskShowInfo: TxnStatus NULL before the txn begins.
    #[test]
    fn task_rows() {
        let rs = show_routine_load_task(&[
            TaskFacts {
                task_id: "8cf47e6a68ed4da3-8f45b431db50e466".into(),
                txn_id: 2001,
                txn_status: Some("PREPARE".into()),
                job_id: 10042,
                create_time_ms: 1_718_000_000_000,
                execute_start_ms: Some(1_718_000_001_000),
                timeout_s: 600,
                be_id: 10001,
                next_offsets: BTreeMap::from([(0, 1024), (1, 99)]),
                timezone_for_times: None,
            },
            TaskFacts {
                task_id: "1-2".into(),
                txn_id: -1,
                txn_status: Some("PREPARE".into()),
                job_id: 10042,
                create_time_ms: 1_718_000_000_000,
                execute_start_ms: None,
                timeout_s: 600,
                be_id: -1,
                next_offsets: BTreeMap::from([(2, 7)]),
                timezone_for_times: Some(TimeZone::Fixed(8 * 3600)),
            },
        ]);
        assert_eq!(rs.columns, SHOW_ROUTINE_LOAD_TASK_COLUMNS);
        assert_eq!(
            rs.table(),
            "+-----------------------------------+-------+-----------+-------+---------------------+---------------------+---------+-------+----------------------+\n\
             | TaskId                            | TxnId | TxnStatus | JobId | CreateTime          | ExecuteStartTime    | Timeout | BeId  | DataSourceProperties |\n\
             +-----------------------------------+-------+-----------+-------+---------------------+---------------------+---------+-------+----------------------+\n\
             | 8cf47e6a68ed4da3-8f45b431db50e466 | 2001  | PREPARE   | 10042 | 2024-06-10 06:13:20 | 2024-06-10 06:13:21 | 600     | 10001 | {\"0\":1024,\"1\":99}    |\n\
             | 1-2                               | -1    | NULL      | 10042 | 2024-06-10 14:13:20 | NULL                | 600     | -1    | {\"2\":7}              |\n\
             +-----------------------------------+-------+-----------+-------+---------------------+---------------------+---------+-------+----------------------+\n\
             2 rows in set\n"
        );
    }

    // SHOW CREATE: Doris's columns, current offsets as kafka_partitions / kafka_offsets,
    // the password masked; the statement parses back.
    #[test]
    fn show_create() {
        let j = csv_job();
        let next = BTreeMap::from([(0, 1025), (1, 0)]);
        let rs = show_create_routine_load_for(10042, &j, &next);
        assert_eq!(rs.columns, SHOW_CREATE_ROUTINE_LOAD_COLUMNS);
        let row = &rs.rows[0];
        assert_eq!(row[0].as_deref(), Some("10042"));
        assert_eq!(row[1].as_deref(), Some("orders_job"));
        let stmt = row[2].clone().unwrap_or_default();
        assert!(!stmt.contains(SECRET), "{stmt}");
        assert!(
            stmt.contains("\"property.sasl.password\" = \"******\""),
            "{stmt}"
        );
        let again = job(&stmt);
        assert_eq!(again.kafka.partitions, Some(vec![0, 1]));
        assert_eq!(
            again.kafka.offsets,
            Some(vec![KafkaOffset::Offset(1025), KafkaOffset::Offset(0)])
        );
        assert_eq!(show_create_routine_load(&j, &next).rows[0][0], None);
    }

    // MySQL LIKE, case-sensitive for routine load names (CaseSensibility.ROUTINE_LOAD).
    #[test]
    fn like() {
        assert!(like_matches("%", ""));
        assert!(like_matches("%test%", "my_test_job"));
        assert!(like_matches("job_", "job1"));
        assert!(!like_matches("job_", "job"));
        assert!(!like_matches("job_", "job12"));
        assert!(like_matches("a%b%c", "aXXbYYc"));
        assert!(!like_matches("a%b%c", "aXXbYY"));
        assert!(!like_matches("JOB%", "job1"));
        assert!(like_matches("job\\_1", "job_1"));
        assert!(!like_matches("job\\_1", "jobx1"));
        assert!(like_matches("%%x", "x"));
    }

    // The end-of-run summary prints the same row, password masked.
    #[test]
    fn summary_masks() {
        let j = csv_job();
        let s = crate::summary::JobSummary {
            job: &j,
            state: "STOPPED",
            reason: String::new(),
            next_offsets: BTreeMap::from([(0, 5)]),
            lag: BTreeMap::new(),
            counts: Default::default(),
            committed_epochs: 1,
            execute_ms: 1000,
            source: "b1:9092".into(),
            other: String::new(),
        };
        let text = s.vertical();
        assert!(!text.contains(SECRET));
        assert!(text.contains("******"));
        assert!(s.columns().iter().all(|(_, v)| !v.contains(SECRET)));
        assert!(!format!("{j:?}").contains(SECRET));
    }
}
