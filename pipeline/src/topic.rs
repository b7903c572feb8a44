//! Moving topics between Kafka and capture files. [`capture_topic`] takes a consistent snapshot
//! of a live topic — each partition's offset range fixed before the first message is read —
//! into a capture in either format, keys, headers and timestamps included. [`produce`] writes a
//! capture back into a topic, each message to its recorded partition with its key, headers and
//! timestamp, idempotently (no duplicate on a retried send) and in order per partition.
//!
//! Both use manual partition assignment and never commit offsets to a consumer group.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders, Timestamp};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use routinely_schemas::TimeZone;

use crate::capture::{self, CaptureError, CaptureFormat, CaptureStats, CaptureWriter, MessageRef};

/// A failure moving a topic.
#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    /// An option is malformed.
    #[error("{0}")]
    InvalidOption(String),
    /// The broker or the client failed.
    #[error("kafka ({brokers}, topic `{topic}`): {what}: {source}")]
    Kafka {
        /// Bootstrap servers.
        brokers: String,
        /// Topic.
        topic: String,
        /// What was being done.
        what: String,
        /// The client's error.
        source: Box<KafkaError>,
    },
    /// The topic or a partition does not exist.
    #[error("kafka ({brokers}): {what}")]
    Missing {
        /// Bootstrap servers.
        brokers: String,
        /// What is missing.
        what: String,
    },
    /// A requested offset is outside what the broker holds.
    #[error(
        "partition {partition} of `{topic}`: offset {offset} is out of range (the broker holds [{low}, {high}))"
    )]
    OutOfRange {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
        /// The offset asked for.
        offset: i64,
        /// The log start.
        low: i64,
        /// The high watermark.
        high: i64,
    },
    /// No progress for the whole timeout.
    #[error(
        "no message from `{topic}` for {seconds} s while partitions {pending:?} were still short of their end"
    )]
    Stalled {
        /// Topic.
        topic: String,
        /// The timeout.
        seconds: u64,
        /// Partitions not yet at their end: (partition, next offset, end).
        pending: Vec<(i32, i64, i64)>,
    },
    /// Messages were not delivered.
    #[error("{failed} of {sent} messages were not delivered to `{topic}`; first error: {first}")]
    Delivery {
        /// Topic.
        topic: String,
        /// Messages sent.
        sent: u64,
        /// Messages that failed.
        failed: u64,
        /// The first failure.
        first: String,
    },
    /// Metadata, watermarks or offset lookups failed (the job source's errors).
    #[error(transparent)]
    Source(#[from] crate::kafka::KafkaError),
    /// Reading or writing the capture failed.
    #[error(transparent)]
    Capture(#[from] CaptureError),
}

/// One end of a snapshot range, as `--from` / `--to` write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// The log start (`beginning`).
    Beginning,
    /// The high watermark when the snapshot starts (`end`, `now`).
    End,
    /// The same offset in every partition (`1000`).
    Offset(i64),
    /// An offset per partition (`0:100,1:250`); partitions not listed use the other default:
    /// the beginning for `--from`, the end for `--to`.
    Offsets(BTreeMap<i32, i64>),
    /// The first offset whose timestamp is at or after this time, in ms since the epoch
    /// (`2025-11-20 10:00:00` in the given timezone), as Kafka's offsetsForTimes finds it.
    Time(i64),
}

impl Position {
    /// Parses `beginning`, `end`, `now`, `N`, `P:N,P:N` or `yyyy-MM-dd HH:mm:ss` (read in `tz`).
    pub fn parse(text: &str, tz: &TimeZone) -> Result<Position, TopicError> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("beginning") || t.eq_ignore_ascii_case("OFFSET_BEGINNING") {
            return Ok(Position::Beginning);
        }
        if t.eq_ignore_ascii_case("end")
            || t.eq_ignore_ascii_case("now")
            || t.eq_ignore_ascii_case("OFFSET_END")
        {
            return Ok(Position::End);
        }
        if let Some(ms) = routinely_schemas::job::datetime_epoch_ms(t, tz) {
            return Ok(Position::Time(ms));
        }
        if let Ok(n) = t.parse::<i64>() {
            return if n >= 0 {
                Ok(Position::Offset(n))
            } else {
                Err(TopicError::InvalidOption(format!(
                    "offset {n} is negative: expected beginning, end, now, an offset, PARTITION:OFFSET,... or yyyy-MM-dd HH:mm:ss"
                )))
            };
        }
        let map = crate::kafka::partition_offsets(t).map_err(|item| {
            TopicError::InvalidOption(format!(
                "`{text}`: expected beginning, end, now, an offset, PARTITION:OFFSET,... or yyyy-MM-dd HH:mm:ss (`{item}` is none of these)"
            ))
        })?;
        Ok(Position::Offsets(map))
    }
}

/// Where and what to capture.
#[derive(Debug, Clone)]
pub struct CaptureTopicOptions {
    /// Bootstrap servers.
    pub brokers: String,
    /// Topic.
    pub topic: String,
    /// Partitions (all of the topic's when `None`).
    pub partitions: Option<Vec<i32>>,
    /// First offset of each partition (inclusive).
    pub from: Position,
    /// End of each partition (exclusive); never past the high watermark at the start.
    pub to: Position,
    /// Output file.
    pub out: PathBuf,
    /// Output format.
    pub format: CaptureFormat,
    /// librdkafka properties (`security.protocol`, `sasl.*`, `isolation.level`, ...).
    pub properties: Vec<(String, String)>,
    /// Give up after this long without a message while partitions are short of their end.
    pub idle_timeout: Duration,
}

/// Each captured partition's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionRange {
    /// Partition.
    pub partition: i32,
    /// First offset (inclusive).
    pub start: i64,
    /// End (exclusive).
    pub end: i64,
}

/// What [`capture_topic`] wrote.
#[derive(Debug, Clone)]
pub struct TopicCapture {
    /// The ranges, fixed before reading.
    pub ranges: Vec<PartitionRange>,
    /// The capture's statistics.
    pub stats: CaptureStats,
}

fn kafka_err<'a>(
    brokers: &'a str,
    topic: &'a str,
    what: &'a str,
) -> impl FnOnce(KafkaError) -> TopicError + 'a {
    move |source| TopicError::Kafka {
        brokers: brokers.to_string(),
        topic: topic.to_string(),
        what: what.to_string(),
        source: Box::new(source),
    }
}

/// Resolves one end of every partition's range.
fn resolve(
    consumer: &BaseConsumer,
    opts: &CaptureTopicOptions,
    position: &Position,
    watermarks: &BTreeMap<i32, (i64, i64)>,
    unlisted_is_end: bool,
) -> Result<BTreeMap<i32, i64>, TopicError> {
    let topic = opts.topic.as_str();
    let mut out = BTreeMap::new();
    let times = match position {
        Position::Time(ms) => {
            let parts: Vec<i32> = watermarks.keys().copied().collect();
            crate::kafka::offsets_for_time(consumer, topic, &parts, *ms)?
        }
        _ => BTreeMap::new(),
    };
    for (&p, &(low, high)) in watermarks {
        let offset = match position {
            Position::Beginning => low,
            Position::End => high,
            Position::Offset(n) => *n,
            Position::Offsets(map) => match map.get(&p) {
                Some(n) => *n,
                None if unlisted_is_end => high,
                None => low,
            },
            // No message at or after the time: the end.
            Position::Time(_) => times.get(&p).copied().unwrap_or(high),
        };
        if offset < low || offset > high {
            return Err(TopicError::OutOfRange {
                topic: topic.to_string(),
                partition: p,
                offset,
                low,
                high,
            });
        }
        out.insert(p, offset);
    }
    Ok(out)
}

/// Captures the offset ranges `[from, to)` of the topic's partitions into `opts.out`. The
/// ranges are fixed from the watermarks before the first message is read, so the capture is
/// a consistent snapshot however fast the topic grows. Gaps inside a range (transaction
/// markers, aborted messages under `isolation.level=read_committed`, compacted records) are
/// skipped as a consumer skips them.
pub fn capture_topic(opts: &CaptureTopicOptions) -> Result<TopicCapture, TopicError> {
    let (brokers, topic) = (opts.brokers.as_str(), opts.topic.as_str());
    // The job source's consumer: manual assignment, no commits, EOF events, no silent
    // offset reset, the same throughput settings.
    let consumer = crate::kafka::consumer(brokers, &opts.properties)?;
    let all = crate::kafka::topic_partitions(&consumer, topic)?;
    let partitions = match &opts.partitions {
        None => all,
        Some(list) => {
            for p in list {
                if !all.contains(p) {
                    return Err(TopicError::Missing {
                        brokers: brokers.to_string(),
                        what: format!("topic `{topic}` has no partition {p} (it has {all:?})"),
                    });
                }
            }
            list.clone()
        }
    };
    let mut watermarks = BTreeMap::new();
    for &p in &partitions {
        watermarks.insert(p, crate::kafka::watermarks(&consumer, topic, p)?);
    }
    let starts = resolve(&consumer, opts, &opts.from, &watermarks, false)?;
    let ends = resolve(&consumer, opts, &opts.to, &watermarks, true)?;
    let ranges: Vec<PartitionRange> = partitions
        .iter()
        .map(|&p| {
            let start = starts[&p];
            PartitionRange {
                partition: p,
                start,
                end: ends[&p].max(start),
            }
        })
        .collect();

    let mut writer = CaptureWriter::create(&opts.out, opts.format)?;
    let mut next: BTreeMap<i32, i64> = BTreeMap::new();
    let mut tpl = TopicPartitionList::new();
    for r in ranges.iter().filter(|r| r.start < r.end) {
        tpl.add_partition_offset(topic, r.partition, Offset::Offset(r.start))
            .map_err(kafka_err(brokers, topic, "assigning partitions"))?;
        next.insert(r.partition, r.start);
    }
    let end_of: BTreeMap<i32, i64> = ranges.iter().map(|r| (r.partition, r.end)).collect();
    consumer
        .assign(&tpl)
        .map_err(kafka_err(brokers, topic, "assigning partitions"))?;
    let mut headers: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    let mut last_progress = Instant::now();
    while !next.is_empty() {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                let p = m.partition();
                let Some(&end) = end_of.get(&p) else { continue };
                if m.offset() >= end || !next.contains_key(&p) {
                    finish_partition(&consumer, topic, p, &mut next)?;
                    continue;
                }
                headers.clear();
                if let Some(h) = m.headers() {
                    for header in h.iter() {
                        headers.push((header.key.to_string(), header.value.map(<[u8]>::to_vec)));
                    }
                }
                let (timestamp_ms, timestamp_type) = match m.timestamp() {
                    Timestamp::NotAvailable => (None, None),
                    Timestamp::CreateTime(ms) => (Some(ms), Some("create")),
                    Timestamp::LogAppendTime(ms) => (Some(ms), Some("logappend")),
                };
                writer.write_ref(MessageRef {
                    topic,
                    partition: p,
                    offset: m.offset(),
                    timestamp_ms,
                    timestamp_type,
                    key: m.key(),
                    value: m.payload(),
                    headers: &headers,
                })?;
                last_progress = Instant::now();
                next.insert(p, m.offset() + 1);
                if m.offset() + 1 >= end {
                    finish_partition(&consumer, topic, p, &mut next)?;
                }
            }
            Some(Err(e)) if !matches!(e, KafkaError::PartitionEOF(_)) => {
                return Err(TopicError::Kafka {
                    brokers: brokers.to_string(),
                    topic: topic.to_string(),
                    what: "reading".into(),
                    source: Box::new(e),
                });
            }
            // Nothing, or a partition's end.
            _ => {
                // Gaps (transaction markers, aborted or compacted records) can leave the last
                // offsets of a range without a message: the consumer's position says where
                // it is.
                if let Ok(positions) = consumer.position() {
                    for e in positions.elements() {
                        if let (Offset::Offset(pos), Some(&end)) =
                            (e.offset(), end_of.get(&e.partition()))
                            && pos >= end
                            && next.contains_key(&e.partition())
                        {
                            finish_partition(&consumer, topic, e.partition(), &mut next)?;
                        }
                    }
                }
                if !next.is_empty() && last_progress.elapsed() > opts.idle_timeout {
                    return Err(TopicError::Stalled {
                        topic: topic.to_string(),
                        seconds: opts.idle_timeout.as_secs(),
                        pending: next.iter().map(|(&p, &o)| (p, o, end_of[&p])).collect(),
                    });
                }
            }
        }
    }
    let stats = writer.finish()?;
    Ok(TopicCapture { ranges, stats })
}

/// Stops reading a partition that reached its end.
fn finish_partition(
    consumer: &BaseConsumer,
    topic: &str,
    partition: i32,
    next: &mut BTreeMap<i32, i64>,
) -> Result<(), TopicError> {
    if next.remove(&partition).is_some() {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(topic, partition);
        // Pausing only saves fetches; a failure to pause is harmless (later messages of the
        // partition are ignored).
        let _ = consumer.pause(&tpl);
    }
    Ok(())
}

/// Where and how to produce a capture.
#[derive(Debug, Clone)]
pub struct ProduceOptions {
    /// Bootstrap servers.
    pub brokers: String,
    /// Topic (the capture's own topic names are ignored).
    pub topic: String,
    /// librdkafka properties.
    pub properties: Vec<(String, String)>,
    /// How long to wait for the last deliveries.
    pub flush_timeout: Duration,
}

/// What [`produce`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProduceStats {
    /// Messages delivered.
    pub messages: u64,
    /// Value bytes delivered.
    pub value_bytes: u64,
}

/// Counts delivery failures.
#[derive(Default)]
struct Deliveries {
    failed: Mutex<(u64, Option<String>)>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result
            && let Ok(mut f) = self.failed.lock()
        {
            f.0 += 1;
            f.1.get_or_insert_with(|| e.to_string());
        }
    }
}

/// Produces every message of the capture at `path` to `opts.topic`, each to the partition it
/// was captured from, with its key, headers and timestamp. The topic must have every
/// partition the capture uses (checked before anything is sent). Offsets in the topic are the
/// broker's: they equal the capture's only when the topic starts empty and the capture has no
/// gaps.
pub fn produce(path: &Path, opts: &ProduceOptions) -> Result<ProduceStats, TopicError> {
    let (brokers, topic) = (opts.brokers.as_str(), opts.topic.as_str());
    let needed = capture::summarize(path)?;
    {
        let probe = crate::kafka::consumer(brokers, &opts.properties)?;
        let parts = crate::kafka::topic_partitions(&probe, topic)?;
        if let Some(missing) = needed.iter().find(|s| !parts.contains(&s.partition)) {
            return Err(TopicError::Missing {
                brokers: brokers.to_string(),
                what: format!(
                    "topic `{topic}` has no partition {} (it has {parts:?}); the capture uses it",
                    missing.partition
                ),
            });
        }
    }
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", brokers);
    for (k, v) in &opts.properties {
        config.set(k, v);
    }
    config
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("compression.type", "lz4");
    let producer: BaseProducer<Deliveries> = config
        .create_with_context(Deliveries::default())
        .map_err(kafka_err(brokers, topic, "creating the producer"))?;
    let mut stats = ProduceStats::default();
    for message in capture::messages(path)? {
        let message = message?;
        let mut headers = OwnedHeaders::new_with_capacity(message.headers.len());
        for (k, v) in &message.headers {
            headers = headers.insert(Header {
                key: k,
                value: v.as_deref(),
            });
        }
        let mut record: BaseRecord<'_, [u8], [u8]> =
            BaseRecord::to(topic).partition(message.partition);
        if let Some(k) = message.key.as_deref() {
            record = record.key(k);
        }
        if let Some(v) = message.value.as_deref() {
            record = record.payload(v);
        }
        if let Some(ts) = message.timestamp_ms {
            record = record.timestamp(ts);
        }
        if !message.headers.is_empty() {
            record = record.headers(headers);
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(10));
                }
                Err((e, _)) => {
                    return Err(TopicError::Kafka {
                        brokers: brokers.to_string(),
                        topic: topic.to_string(),
                        what: format!(
                            "producing partition {} offset {}",
                            message.partition, message.offset
                        ),
                        source: Box::new(e),
                    });
                }
            }
        }
        stats.messages += 1;
        stats.value_bytes += message.value.as_ref().map_or(0, |v| v.len() as u64);
        producer.poll(Duration::ZERO);
    }
    producer
        .flush(opts.flush_timeout)
        .map_err(kafka_err(brokers, topic, "flushing"))?;
    let (failed, first) = producer
        .context()
        .failed
        .lock()
        .map(|f| (f.0, f.1.clone()))
        .unwrap_or((0, None));
    if failed > 0 {
        return Err(TopicError::Delivery {
            topic: topic.to_string(),
            sent: stats.messages,
            failed,
            first: first.unwrap_or_default(),
        });
    }
    Ok(stats)
}
