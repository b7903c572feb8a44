//! The end-of-run summary in the form of Doris's `SHOW ROUTINE LOAD FOR job\G`: state,
//! progress and lag per partition, statistics, with Doris's column names and JSON keys
//! (doris-spec.md §4.1–§4.3).

use std::collections::BTreeMap;

use routinely_operators::row::RowCounts;
use routinely_schemas::DorisType;
use routinely_schemas::RoutineLoadJob;

use crate::show;

/// The facts a summary shows.
#[derive(Debug, Clone)]
pub struct JobSummary<'a> {
    /// The job.
    pub job: &'a RoutineLoadJob,
    /// `RUNNING`, `PAUSED`, `STOPPED`, ...
    pub state: &'a str,
    /// Why the state changed (empty when nothing to say).
    pub reason: String,
    /// Next offset to read per partition (committed progress).
    pub next_offsets: BTreeMap<i32, i64>,
    /// Messages left per partition (`-1` when unknown).
    pub lag: BTreeMap<i32, i64>,
    /// Row counters over committed epochs (lifetime of the state directory).
    pub counts: RowCounts,
    /// Committed epochs (Doris's committed tasks).
    pub committed_epochs: u64,
    /// Milliseconds of execution (for the rates).
    pub execute_ms: u64,
    /// Where the data came from, shown as the broker list.
    pub source: String,
    /// A note for `OtherMsg`.
    pub other: String,
}

fn json_map<V: serde::Serialize>(m: impl IntoIterator<Item = (String, V)>) -> String {
    let map: serde_json::Map<String, serde_json::Value> = m
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

impl JobSummary<'_> {
    /// The rows of `SHOW ROUTINE LOAD` for this job, as (column, value).
    pub fn columns(&self) -> Vec<(&'static str, String)> {
        let job = self.job;
        let p = &job.properties;
        let progress = json_map(self.next_offsets.iter().map(|(part, next)| {
            let shown = match next {
                0 => "OFFSET_ZERO".to_string(),
                n => (n - 1).to_string(),
            };
            (part.to_string(), shown)
        }));
        let lag = json_map(self.lag.iter().map(|(p, l)| (p.to_string(), *l)));
        let c = &self.counts;
        let secs = (self.execute_ms.max(1)) as f64 / 1000.0;
        let statistic = serde_json::json!({
            "receivedBytes": c.bytes,
            "runningTxns": [],
            "errorRows": c.filtered,
            "committedTaskNum": self.committed_epochs,
            "loadedRows": c.loaded,
            "loadRowsRate": (c.loaded as f64 / secs) as u64,
            "abortedTaskNum": 0,
            "errorRowsAfterResumed": 0,
            "totalRows": c.total,
            "unselectedRows": c.unselected,
            "receivedBytesRate": (c.bytes as f64 / secs) as u64,
            "taskExecuteTimeMs": self.execute_ms,
        })
        .to_string();
        let job_properties = serde_json::json!({
            "partitions": "*",
            "max_batch_interval": p.max_batch_interval_secs.to_string(),
            "max_batch_rows": p.max_batch_rows.to_string(),
            "max_batch_size": p.max_batch_size.to_string(),
            "max_error_number": p.max_error_number.to_string(),
            "max_filter_ratio": p.max_filter_ratio.to_string(),
            "desired_concurrent_number": p.desired_concurrent_number.to_string(),
            "strict_mode": p.strict_mode.to_string(),
            "timezone": p.timezone,
            "format": p.format.as_str(),
            "jsonpaths": p.jsonpaths.clone().unwrap_or_default(),
            "json_root": p.json_root.clone().unwrap_or_default(),
            "strip_outer_array": p.strip_outer_array.to_string(),
            "num_as_string": p.num_as_string.to_string(),
            "fuzzy_parse": p.fuzzy_parse.to_string(),
            "merge_type": job.merge_type.as_str(),
            "doris_version": p.doris_version.as_str(),
            "max_inflight_epochs": p.max_inflight_epochs.to_string(),
            "load_format": p.load_format.as_str(),
        })
        .to_string();
        let partitions: Vec<String> = self.next_offsets.keys().map(|p| p.to_string()).collect();
        let data_source = serde_json::json!({
            "topic": job.kafka.topic,
            "currentKafkaPartitions": partitions.join(","),
            "brokerList": self.source,
        })
        .to_string();
        let custom = json_map(
            job.kafka
                .properties
                .iter()
                .filter(|(k, _)| !k.contains("password"))
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        vec![
            ("Id", "1".into()),
            ("Name", job.name.clone()),
            ("DbName", job.database.clone().unwrap_or_default()),
            ("TableName", job.table.clone().unwrap_or_default()),
            ("IsMultiTable", "false".into()),
            ("State", self.state.to_string()),
            ("DataSourceType", "KAFKA".into()),
            ("CurrentTaskNum", "0".into()),
            ("JobProperties", job_properties),
            ("DataSourceProperties", data_source),
            ("CustomProperties", custom),
            ("Statistic", statistic),
            ("Progress", progress),
            ("Lag", lag),
            ("ReasonOfStateChanged", self.reason.clone()),
            ("ErrorLogUrls", String::new()),
            ("OtherMsg", self.other.clone()),
            ("Comment", job.comment.clone().unwrap_or_default()),
        ]
    }

    /// The `\G` form.
    pub fn vertical(&self) -> String {
        let cols = self.columns();
        let names: Vec<(String, DorisType)> = cols
            .iter()
            .map(|(n, _)| (n.to_string(), DorisType::String))
            .collect();
        let row: Vec<Option<String>> = cols.into_iter().map(|(_, v)| Some(v)).collect();
        show::vertical(&names, &[row])
    }
}
