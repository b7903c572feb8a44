//! The live Kafka source on librdkafka (rdkafka): the client configuration a job implies, the
//! start and end positions of a run as Doris resolves them (numbers, `OFFSET_BEGINNING`,
//! `OFFSET_END`, datetimes through `offsetsForTimes`), lag from high watermarks, the best-effort
//! commit of committed offsets to the job's consumer group, and, in [`reader`], the
//! [`KafkaReader`] a worker reads its partitions with.
//!
//! The progress store is the truth: partitions are assigned by hand (`assign`, never
//! `subscribe`), nothing is committed to Kafka automatically, and an offset Kafka no longer
//! holds stops the job with Doris's reason instead of being reset silently
//! (`auto.offset.reset=error`, doris-spec.md §1.3, §2.3).

pub mod reader;

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError as RdError;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use routinely_schemas::TimeZone;
use routinely_schemas::job::{KafkaOffset, RoutineLoadJob};

pub use reader::{KafkaOptions, KafkaReader};

/// How long a metadata, watermark or offsets-for-times request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The `group.id` of a job without one (librdkafka's `assign` needs a group; nothing is ever
/// committed to it).
pub const DEFAULT_GROUP: &str = "routinely";

/// `property.*` keys that are routinely's or Doris's own, never passed to librdkafka.
const NOT_LIBRDKAFKA: &[&str] = &["kafka_default_offsets"];

/// A Kafka source failure.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// librdkafka refused the client configuration (Doris pauses the job with `PAUSE:`).
    #[error("PAUSE: failed to set '{key}': {why}")]
    Config {
        /// The property.
        key: String,
        /// librdkafka's reason.
        why: String,
    },
    /// The client could not be created.
    #[error("failed to create kafka consumer: {0}")]
    Client(String),
    /// Metadata, watermarks or offsets could not be fetched.
    #[error("failed to get {what} of topic {topic}: {why}")]
    Metadata {
        /// What was asked for.
        what: String,
        /// The topic.
        topic: String,
        /// librdkafka's reason.
        why: String,
    },
    /// The topic has no such partition (Doris's wording).
    #[error("there is a custom kafka partition {partition} which is invalid for topic {topic}")]
    NoSuchPartition {
        /// The partition.
        partition: i32,
        /// The topic.
        topic: String,
    },
    /// A start offset past the partition's end (Doris's wording).
    #[error(
        "offset set in job: {offset} is greater than kafka latest offset: {latest} partition id: {partition}"
    )]
    PastEnd {
        /// The job's offset.
        offset: i64,
        /// The partition's high watermark.
        latest: i64,
        /// The partition.
        partition: i32,
    },
    /// The next offset is not in the partition (retention removed it): Doris's
    /// `Offset out of range`, which pauses the job for good (CANNOT_RESUME_ERR).
    #[error(
        "Offset out of range, partition: {partition}, offset: {offset} (kafka holds offsets \
         {low} to {high}), the offset used by job does not exist in kafka, please check the \
         offset, using the Alter ROUTINE LOAD command to modify it, and resume the job"
    )]
    OutOfRange {
        /// The partition.
        partition: i32,
        /// The offset the job needs next.
        offset: i64,
        /// The partition's log start offset.
        low: i64,
        /// The partition's high watermark.
        high: i64,
    },
    /// The consumer failed.
    #[error("kafka consumer error: {0}")]
    Consume(String),
    /// A bad `--until`.
    #[error("{0}")]
    Until(String),
}

/// Consumer settings routinely changes from librdkafka's defaults unless a job property sets
/// them. librdkafka (since 2.1) backs a partition's fetches off for `fetch.queue.backoff.ms`
/// (default 1000 ms) whenever the consumer's prefetch queue is full; a consumer that drains
/// the queue at row-path speed then spends most of its time waiting (measured: 46 MB/s
/// against kcat's 490 MB/s on one broker and 256 partitions). The prefetch queue stays
/// bounded by `queued.max.messages.kbytes` (64 MiB).
pub const THROUGHPUT_DEFAULTS: &[(&str, &str)] = &[("fetch.queue.backoff.ms", "1")];

/// The librdkafka configuration of a job's consumer: every `property.*` of the job (group.id,
/// client.id, security.protocol, sasl.*, ssl.*, isolation.level, ...), then
/// `bootstrap.servers` = `brokers`, then what the source relies on, which a property cannot
/// change: no automatic commit or offset store, partition EOF events, and
/// `auto.offset.reset=error` (Doris's BE settings); `group.id` defaults to [`DEFAULT_GROUP`].
/// A key librdkafka does not know is skipped
/// with a warning, as Doris's BE logs and ignores it; a value it refuses is an error.
pub fn client_config(
    brokers: &str,
    properties: &[(String, String)],
) -> Result<ClientConfig, KafkaError> {
    let mut config = ClientConfig::new();
    config.set_log_level(RDKafkaLogLevel::Error);
    for (key, value) in properties {
        if NOT_LIBRDKAFKA.contains(&key.as_str()) {
            continue;
        }
        let mut one = ClientConfig::new();
        one.set(key, value);
        match one.create_native_config() {
            Ok(_) => {
                config.set(key, value);
            }
            Err(RdError::ClientConfig(
                rdkafka::types::RDKafkaConfRes::RD_KAFKA_CONF_UNKNOWN,
                why,
                _,
                _,
            )) => {
                eprintln!("warning: ignoring unknown kafka property `{key}`: {why}");
            }
            Err(e) => {
                return Err(KafkaError::Config {
                    key: key.clone(),
                    why: e.to_string(),
                });
            }
        }
    }
    if !properties.iter().any(|(k, _)| k == "group.id") {
        // librdkafka assigns partitions only to a consumer with a group; without a job
        // `group.id` this one never joins it or commits to it.
        config.set("group.id", DEFAULT_GROUP);
    }
    for (key, value) in THROUGHPUT_DEFAULTS {
        if !properties.iter().any(|(k, _)| k == key) {
            config.set(*key, *value);
        }
    }
    config
        .set("bootstrap.servers", brokers)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "error");
    Ok(config)
}

/// The brokers of a job: `--source kafka:HOSTS` when given, else `kafka_broker_list`.
pub fn brokers(job: &RoutineLoadJob, over: Option<&str>) -> String {
    match over {
        Some(b) => b.to_string(),
        None => job.kafka.broker_list.join(","),
    }
}

/// A consumer for the job (no group membership: partitions are assigned by hand).
pub fn consumer(
    brokers: &str,
    properties: &[(String, String)],
) -> Result<BaseConsumer, KafkaError> {
    client_config(brokers, properties)?
        .create::<BaseConsumer>()
        .map_err(|e| KafkaError::Client(e.to_string()))
}

/// The topic's partitions, from metadata (sorted).
pub fn topic_partitions(consumer: &BaseConsumer, topic: &str) -> Result<Vec<i32>, KafkaError> {
    let md = consumer
        .fetch_metadata(Some(topic), REQUEST_TIMEOUT)
        .map_err(|e| metadata_error("metadata", topic, e))?;
    let Some(t) = md.topics().iter().find(|t| t.name() == topic) else {
        return Err(KafkaError::Metadata {
            what: "metadata".into(),
            topic: topic.into(),
            why: "topic not in metadata".into(),
        });
    };
    if let Some(e) = t.error() {
        return Err(KafkaError::Metadata {
            what: "metadata".into(),
            topic: topic.into(),
            why: rdkafka::error::RDKafkaErrorCode::from(e).to_string(),
        });
    }
    let mut parts: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
    parts.sort_unstable();
    Ok(parts)
}

fn metadata_error(what: &str, topic: &str, e: RdError) -> KafkaError {
    KafkaError::Metadata {
        what: what.into(),
        topic: topic.into(),
        why: e.to_string(),
    }
}

/// A partition's (log start offset, high watermark).
pub fn watermarks(
    consumer: &BaseConsumer,
    topic: &str,
    partition: i32,
) -> Result<(i64, i64), KafkaError> {
    consumer
        .fetch_watermarks(topic, partition, REQUEST_TIMEOUT)
        .map_err(|e| metadata_error(&format!("watermarks of partition {partition}"), topic, e))
}

/// The first offset of each partition whose message timestamp is at or after `epoch_ms`
/// (Kafka's `offsetsForTimes`); a time past a partition's last message gives its high
/// watermark.
pub fn offsets_for_time(
    consumer: &BaseConsumer,
    topic: &str,
    partitions: &[i32],
    epoch_ms: i64,
) -> Result<BTreeMap<i32, i64>, KafkaError> {
    let mut tpl = TopicPartitionList::new();
    for &p in partitions {
        tpl.add_partition_offset(topic, p, Offset::Offset(epoch_ms))
            .map_err(|e| metadata_error("offsets for times", topic, e))?;
    }
    let found = consumer
        .offsets_for_times(tpl, REQUEST_TIMEOUT)
        .map_err(|e| metadata_error("offsets for times", topic, e))?;
    let mut out = BTreeMap::new();
    for &p in partitions {
        let offset = found
            .find_partition(topic, p)
            .and_then(|e| match e.offset() {
                Offset::Offset(n) if n >= 0 => Some(n),
                _ => None,
            });
        let offset = match offset {
            Some(n) => n,
            None => watermarks(consumer, topic, p)?.1,
        };
        out.insert(p, offset);
    }
    Ok(out)
}

/// Where a bounded run ends (`run --until`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Until {
    /// Each partition's high watermark when the run starts.
    Now,
    /// Explicit end offsets (exclusive: the run reads up to, not including, the offset).
    Offsets(BTreeMap<i32, i64>),
    /// The first offset at or after this time (milliseconds): messages before it are read.
    Time(i64),
}

impl Until {
    /// Parses `now`, `PARTITION:OFFSET,...` or a `yyyy-MM-dd HH:mm:ss` datetime in `tz` (the
    /// job's timezone).
    pub fn parse(text: &str, tz: &TimeZone) -> Result<Until, KafkaError> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("now") {
            return Ok(Until::Now);
        }
        if let Some(ms) = routinely_schemas::job::datetime_epoch_ms(t, tz) {
            return Ok(Until::Time(ms));
        }
        let map = partition_offsets(t).map_err(|_| {
            KafkaError::Until(format!(
                "--until `{text}`: expected now, PARTITION:OFFSET,... or \"yyyy-MM-dd HH:mm:ss\""
            ))
        })?;
        Ok(Until::Offsets(map))
    }
}

/// Resolves a run's end: the end offset (exclusive) of every partition the run reads (the
/// job's `kafka_partitions`, else every partition of the topic now). A bounded run reads no
/// partition added later.
pub fn resolve_until(
    job: &RoutineLoadJob,
    brokers: &str,
    until: &Until,
) -> Result<BTreeMap<i32, i64>, KafkaError> {
    let consumer = consumer(brokers, &job.kafka.properties)?;
    let topic = &job.kafka.topic;
    let partitions = match &job.kafka.partitions {
        Some(p) => p.clone(),
        None => topic_partitions(&consumer, topic)?,
    };
    match until {
        Until::Now => partitions
            .iter()
            .map(|&p| Ok((p, watermarks(&consumer, topic, p)?.1)))
            .collect(),
        Until::Time(ms) => offsets_for_time(&consumer, topic, &partitions, *ms),
        Until::Offsets(map) => partitions
            .iter()
            .map(|p| match map.get(p) {
                Some(o) => Ok((*p, *o)),
                None => Err(KafkaError::Until(format!(
                    "--until gives no offset for partition {p} of topic {topic}"
                ))),
            })
            .collect(),
    }
}

/// Lag as Doris shows it: per partition, high watermark − next offset (`-1` when the
/// watermark cannot be fetched).
pub fn lag(
    job: &RoutineLoadJob,
    brokers: &str,
    next_offsets: &BTreeMap<i32, i64>,
) -> BTreeMap<i32, i64> {
    let Ok(consumer) = consumer(brokers, &job.kafka.properties) else {
        return next_offsets.keys().map(|p| (*p, -1)).collect();
    };
    next_offsets
        .iter()
        .map(|(p, next)| {
            let lag = watermarks(&consumer, &job.kafka.topic, *p)
                .map(|(_, high)| (high - next).max(0))
                .unwrap_or(-1);
            (*p, lag)
        })
        .collect()
}

/// Writes committed offsets to the job's consumer group (`property.group.id`), for monitoring
/// tools only, best effort, as Doris's BE does after a commit: the progress store stays the
/// truth, and a failed group commit is ignored.
pub struct GroupCommitter {
    consumer: BaseConsumer,
    topic: String,
}

impl GroupCommitter {
    /// A committer for the job, or `None` when the job sets no `group.id`.
    pub fn new(job: &RoutineLoadJob, brokers: &str) -> Result<Option<GroupCommitter>, KafkaError> {
        if !job.kafka.properties.iter().any(|(k, _)| k == "group.id") {
            return Ok(None);
        }
        Ok(Some(GroupCommitter {
            consumer: consumer(brokers, &job.kafka.properties)?,
            topic: job.kafka.topic.clone(),
        }))
    }

    /// Commits each partition's next offset asynchronously.
    pub fn commit(&self, next_offsets: &[(i32, i64)]) {
        if next_offsets.is_empty() {
            return;
        }
        let mut tpl = TopicPartitionList::new();
        for &(p, next) in next_offsets {
            if tpl
                .add_partition_offset(&self.topic, p, Offset::Offset(next))
                .is_err()
            {
                return;
            }
        }
        let _ = self.consumer.commit(&tpl, CommitMode::Async);
        // Serve the results of earlier commits so they do not pile up.
        let _ = self.consumer.poll(Duration::ZERO);
    }
}

/// The start of each partition as a concrete offset: `start` resolved against the partition's
/// watermarks. `OFFSET_BEGINNING` is the log start, `OFFSET_END` the high watermark now, a
/// datetime the first offset at or after it (the high watermark when none). An explicit
/// offset past the high watermark is Doris's "offset set in job ... is greater than kafka
/// latest offset" error; one below the log start is left to the consumer, which reports it
/// out of range.
pub(crate) fn resolve_start(
    consumer: &BaseConsumer,
    topic: &str,
    partition: i32,
    start: &KafkaOffset,
) -> Result<i64, KafkaError> {
    let (low, high) = watermarks(consumer, topic, partition)?;
    match start {
        KafkaOffset::Beginning => Ok(low),
        KafkaOffset::End => Ok(high),
        KafkaOffset::Offset(n) if *n > high => Err(KafkaError::PastEnd {
            offset: *n,
            latest: high,
            partition,
        }),
        KafkaOffset::Offset(n) => Ok(*n),
        KafkaOffset::Time { epoch_ms, .. } => {
            Ok(offsets_for_time(consumer, topic, &[partition], *epoch_ms)?
                .get(&partition)
                .copied()
                .unwrap_or(high))
        }
    }
}

/// Whether a run that failed with `message` must leave its job PAUSED, as Doris's FE pauses a
/// routine load job for these source errors (the offsets in the job do not exist in Kafka, or a
/// partition or property is invalid) instead of retrying them.
pub fn pauses_job(message: &str) -> bool {
    [
        "Offset out of range",
        "is greater than kafka latest offset",
        "there is a custom kafka partition",
        "PAUSE: failed to set",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// `PARTITION:OFFSET,...` (both non-negative) as a map; the first item that is not one on
/// error.
pub fn partition_offsets(text: &str) -> Result<BTreeMap<i32, i64>, String> {
    let mut map = BTreeMap::new();
    for item in text.split(',') {
        let parsed = item.split_once(':').and_then(|(p, o)| {
            Some((p.trim().parse::<i32>().ok()?, o.trim().parse::<i64>().ok()?))
        });
        match parsed {
            Some((p, o)) if p >= 0 && o >= 0 => {
                map.insert(p, o);
            }
            _ => return Err(item.to_string()),
        }
    }
    Ok(map)
}
