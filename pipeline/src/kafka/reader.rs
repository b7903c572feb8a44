//! [`KafkaReader`]: one worker's partitions of a topic, read live with a librdkafka consumer,
//! as a [`PartitionReader`]. It owns the partitions `p` with `owns(p)`, starts each at its
//! committed progress, else the job's offset for it, else the default, assigns them by hand,
//! and reads them in bounded steps: it drains librdkafka's queue a batch at a time
//! (`ConsumerQueue`), waiting briefly only when nothing is queued, up to the batch's limits.
//!
//! Positions are next offsets, the reader's own, never librdkafka's. A partition is caught up
//! at its end-of-partition event; there its position moves to the event's offset, which under
//! `isolation.level=read_committed` has stepped over transaction markers and aborted messages,
//! so progress covers those gaps and a restart does not read them again. A bounded run
//! (`--until`) pauses a partition once it reaches its end offset and finishes when all have.
//!
//! A watcher thread with its own client re-reads the topic's partitions and high watermarks
//! every [`KafkaOptions::refresh`], so reading never waits on metadata: a job without
//! `kafka_partitions` picks up partitions added while it runs, and [`KafkaReader::lag`] is
//! known.
//!
//! A partition added while running starts at the job's default offset, except that
//! `OFFSET_END` (the default default) starts it at its beginning: everything in a partition
//! created after the job started was produced after the job started, and starting at its end
//! when it is discovered would drop what arrived between its creation and its discovery.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError as RdError, RDKafkaErrorCode};
use rdkafka::{Offset, TopicPartitionList};
use routinely_operators::dataflow::MessageBatch;
use routinely_operators::dataflow::window::{PartitionReader, ReadStatus};
use routinely_schemas::job::KafkaOffset;

use super::{KafkaError, consumer, resolve_start, topic_partitions, watermarks};

/// The longest a read waits for a message.
const POLL_WAIT: Duration = Duration::from_millis(10);

/// What one worker reads of a topic, and from where.
pub struct KafkaOptions {
    /// `bootstrap.servers`.
    pub brokers: String,
    /// The topic.
    pub topic: String,
    /// The job's `property.*` keys, passed to librdkafka.
    pub properties: Vec<(String, String)>,
    /// Which partitions this worker reads.
    pub owns: Box<dyn Fn(i32) -> bool + Send>,
    /// The job's `kafka_partitions` (`None`: every partition of the topic, followed).
    pub partitions: Option<Vec<i32>>,
    /// Committed progress: the next offset per partition. Wins over `start`.
    pub resume: BTreeMap<i32, i64>,
    /// The job's `kafka_offsets`, for partitions without progress.
    pub start: BTreeMap<i32, KafkaOffset>,
    /// The start of every other partition (`kafka_default_offsets`).
    pub default_start: KafkaOffset,
    /// A bounded run's end offset (exclusive) per partition; then exactly these partitions
    /// are read and the reader finishes when all reach their end.
    pub until: Option<BTreeMap<i32, i64>>,
    /// How often the watcher re-reads partitions and watermarks.
    pub refresh: Duration,
}

impl fmt::Debug for KafkaOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaOptions")
            .field("brokers", &self.brokers)
            .field("topic", &self.topic)
            .field("partitions", &self.partitions)
            .field("resume", &self.resume)
            .field("start", &self.start)
            .field("default_start", &self.default_start)
            .field("until", &self.until)
            .finish_non_exhaustive()
    }
}

/// One owned partition.
#[derive(Debug, Clone)]
struct Part {
    partition: i32,
    /// Next offset to read.
    next: i64,
    /// Reached the end of the partition since its last message.
    eof: bool,
    /// A bounded run's end offset.
    end: Option<i64>,
    /// Reached `end`: paused, never read again.
    done: bool,
}

/// What the watcher publishes.
#[derive(Debug, Default)]
struct Watched {
    /// The topic's partitions at the last refresh.
    partitions: Option<Vec<i32>>,
    /// High watermark per owned partition.
    high: BTreeMap<i32, i64>,
    /// The partitions whose watermarks the reader wants.
    owned: Vec<i32>,
}

/// The watcher thread.
struct Watcher {
    stop: Arc<AtomicBool>,
    shared: Arc<Mutex<Watched>>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    fn start(consumer: BaseConsumer, topic: String, every: Duration) -> Watcher {
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Mutex::new(Watched::default()));
        let (stop2, shared2) = (stop.clone(), shared.clone());
        let thread = std::thread::Builder::new()
            .name("kafka-watcher".into())
            .spawn(move || {
                while !stop2.load(Ordering::Relaxed) {
                    let partitions = topic_partitions(&consumer, &topic).ok();
                    let owned = shared2.lock().map(|w| w.owned.clone()).unwrap_or_default();
                    let mut high = BTreeMap::new();
                    for p in owned {
                        if stop2.load(Ordering::Relaxed) {
                            return;
                        }
                        if let Ok((_, h)) = watermarks(&consumer, &topic, p) {
                            high.insert(p, h);
                        }
                    }
                    if let Ok(mut w) = shared2.lock() {
                        if partitions.is_some() {
                            w.partitions = partitions;
                        }
                        w.high.extend(high);
                    }
                    let until = Instant::now() + every;
                    while Instant::now() < until && !stop2.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            })
            .ok();
        Watcher {
            stop,
            shared,
            thread,
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A worker's live Kafka reader.
pub struct KafkaReader {
    /// Declared before `consumer`: the queue handle is released before the client.
    queue: ConsumerQueue,
    consumer: BaseConsumer,
    topic: String,
    /// Owned partitions, by partition.
    parts: Vec<Part>,
    owns: Box<dyn Fn(i32) -> bool + Send>,
    /// Partitions follow the topic (no `kafka_partitions`, not bounded).
    follow: bool,
    bounded: bool,
    resume: BTreeMap<i32, i64>,
    default_start: KafkaOffset,
    watcher: Watcher,
    last_check: Instant,
    paused: bool,
    error: Option<String>,
    /// Slots that reached their end in the current batch (kept for its allocation).
    finished: Vec<usize>,
    /// Value bytes the last read took.
    last_bytes: usize,
}

impl fmt::Debug for KafkaReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaReader")
            .field("topic", &self.topic)
            .field("parts", &self.parts)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl KafkaReader {
    /// Connects, resolves every owned partition's start and assigns them.
    pub fn open(opts: KafkaOptions) -> Result<KafkaReader, KafkaError> {
        let consumer = consumer(&opts.brokers, &opts.properties)?;
        let topic = opts.topic.clone();
        let all = topic_partitions(&consumer, &topic)?;
        let listed = match (&opts.until, &opts.partitions) {
            (Some(until), _) => Some(until.keys().copied().collect::<Vec<_>>()),
            (None, Some(p)) => Some(p.clone()),
            (None, None) => None,
        };
        if let Some(listed) = &listed
            && let Some(&p) = listed.iter().find(|p| !all.contains(p))
        {
            return Err(KafkaError::NoSuchPartition {
                partition: p,
                topic,
            });
        }
        let initial = listed.clone().unwrap_or_else(|| all.clone());
        let mut parts = Vec::new();
        for p in initial.into_iter().filter(|p| (opts.owns)(*p)) {
            let start = match opts.resume.get(&p) {
                Some(n) => KafkaOffset::Offset(*n),
                None => opts
                    .start
                    .get(&p)
                    .cloned()
                    .unwrap_or_else(|| opts.default_start.clone()),
            };
            let next = resolve_start(&consumer, &topic, p, &start)?;
            let end = opts.until.as_ref().and_then(|u| u.get(&p).copied());
            parts.push(Part {
                partition: p,
                next,
                eof: false,
                end,
                done: end.is_some_and(|e| next >= e),
            });
        }
        parts.sort_by_key(|p| p.partition);
        let watcher_client = consumer_for_watcher(&opts)?;
        let watcher = Watcher::start(watcher_client, topic.clone(), opts.refresh);
        if let Ok(mut w) = watcher.shared.lock() {
            w.owned = parts.iter().map(|p| p.partition).collect();
        }
        let queue = ConsumerQueue::of(&consumer)?;
        let reader = KafkaReader {
            queue,
            consumer,
            topic,
            parts,
            owns: opts.owns,
            follow: listed.is_none(),
            bounded: opts.until.is_some(),
            resume: opts.resume,
            default_start: opts.default_start,
            watcher,
            last_check: Instant::now(),
            paused: false,
            error: None,
            finished: Vec::new(),
            last_bytes: 0,
        };
        reader.assign()?;
        Ok(reader)
    }

    /// Assigns every partition still to be read at its next offset (a plain `assign`: no
    /// group takes part), and pauses them again if reading is paused.
    fn assign(&self) -> Result<(), KafkaError> {
        let live = || self.parts.iter().filter(|p| !p.done);
        let tpl = self.tpl(live().map(|p| (p.partition, Some(p.next))))?;
        self.consumer
            .assign(&tpl)
            .map_err(|e| KafkaError::Consume(format!("assign: {e}")))?;
        if self.paused {
            let tpl = self.tpl(live().map(|p| (p.partition, None)))?;
            let _ = self.consumer.pause(&tpl);
        }
        Ok(())
    }

    fn tpl(
        &self,
        parts: impl Iterator<Item = (i32, Option<i64>)>,
    ) -> Result<TopicPartitionList, KafkaError> {
        let mut tpl = TopicPartitionList::new();
        for (p, next) in parts {
            match next {
                Some(n) => {
                    tpl.add_partition_offset(&self.topic, p, Offset::Offset(n))
                        .map_err(|e| KafkaError::Consume(e.to_string()))?;
                }
                None => {
                    tpl.add_partition(&self.topic, p);
                }
            }
        }
        Ok(tpl)
    }

    /// Per owned partition, messages not yet read: the last known high watermark − the next
    /// offset (`-1` until the watcher has fetched the watermark).
    pub fn lag(&self) -> Vec<(i32, i64)> {
        let high = self
            .watcher
            .shared
            .lock()
            .map(|w| w.high.clone())
            .unwrap_or_default();
        self.parts
            .iter()
            .map(|p| {
                let lag = high.get(&p.partition).map_or(-1, |h| (h - p.next).max(0));
                (p.partition, lag)
            })
            .collect()
    }

    fn slot(&self, partition: i32) -> Option<usize> {
        self.parts
            .binary_search_by_key(&partition, |p| p.partition)
            .ok()
    }

    /// Stops fetching a partition for good (a bounded run reached its end).
    fn finish_part(&mut self, slot: usize) {
        let p = &mut self.parts[slot];
        if let Some(end) = p.end {
            p.next = p.next.max(end);
        }
        p.done = true;
        let partition = p.partition;
        if let Ok(tpl) = self.tpl(std::iter::once((partition, None))) {
            let _ = self.consumer.pause(&tpl);
        }
    }

    /// Picks up partitions the watcher found that this worker owns and does not read yet.
    fn follow_new_partitions(&mut self) -> Result<(), KafkaError> {
        if !self.follow || self.last_check.elapsed() < Duration::from_millis(200) {
            return Ok(());
        }
        self.last_check = Instant::now();
        let found = self
            .watcher
            .shared
            .lock()
            .ok()
            .and_then(|w| w.partitions.clone())
            .unwrap_or_default();
        let new: Vec<i32> = found
            .into_iter()
            .filter(|p| (self.owns)(*p) && self.slot(*p).is_none())
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        for p in new {
            let start = match self.resume.get(&p) {
                Some(n) => KafkaOffset::Offset(*n),
                None => match &self.default_start {
                    KafkaOffset::End => KafkaOffset::Beginning,
                    other => other.clone(),
                },
            };
            let next = resolve_start(&self.consumer, &self.topic, p, &start)?;
            self.parts.push(Part {
                partition: p,
                next,
                eof: false,
                end: None,
                done: false,
            });
        }
        self.parts.sort_by_key(|p| p.partition);
        if let Ok(mut w) = self.watcher.shared.lock() {
            w.owned = self.parts.iter().map(|p| p.partition).collect();
        }
        self.assign()
    }

    /// Takes one drained message into `batch` if its partition is read and the offset is the
    /// next one; a message at or past a bounded partition's end finishes the partition instead
    /// (`finished` collects the slots, paused after the batch). Whether it was taken.
    #[inline]
    fn accept(
        parts: &mut [Part],
        finished: &mut Vec<usize>,
        batch: &mut MessageBatch,
        m: &QueuedMessage<'_>,
    ) -> bool {
        let Ok(slot) = parts.binary_search_by_key(&m.partition, |p| p.partition) else {
            return false;
        };
        let p = &mut parts[slot];
        if p.done || m.offset < p.next {
            return false;
        }
        if p.end.is_some_and(|end| m.offset >= end) {
            finished.push(slot);
            return false;
        }
        batch.push(m.partition, m.offset, m.timestamp, m.payload);
        p.next = m.offset + 1;
        p.eof = false;
        if p.end.is_some_and(|end| p.next >= end) {
            finished.push(slot);
        }
        true
    }

    /// A partition's end-of-partition event at offset `end`, the offset librdkafka reached
    /// there: past the last message when transaction markers or aborted messages
    /// (read_committed) fill the tail, so the position moves over them. Only the event's own
    /// offset is trusted: the consumer's position counts messages drained behind the event,
    /// and a drained batch even sets it one past an end-of-partition event's offset.
    fn end_of_partition(parts: &mut [Part], finished: &mut Vec<usize>, partition: i32, end: i64) {
        let Ok(slot) = parts.binary_search_by_key(&partition, |p| p.partition) else {
            return;
        };
        let p = &mut parts[slot];
        if p.done {
            return;
        }
        if end > p.next && p.end.is_none_or(|e| end <= e) {
            p.next = end;
        }
        p.eof = true;
        if p.end.is_some_and(|e| p.next >= e) {
            finished.push(slot);
        }
    }

    /// The consumer could not fetch from the job's offset: find the partition whose next
    /// offset Kafka does not hold, and say so as Doris does.
    fn out_of_range(&self, why: &RdError) -> String {
        for p in self.parts.iter().filter(|p| !p.done) {
            if let Ok((low, high)) = watermarks(&self.consumer, &self.topic, p.partition)
                && (p.next < low || p.next > high)
            {
                return KafkaError::OutOfRange {
                    partition: p.partition,
                    offset: p.next,
                    low,
                    high,
                }
                .to_string();
            }
        }
        let positions: Vec<String> = self
            .parts
            .iter()
            .map(|p| format!("{}:{}", p.partition, p.next))
            .collect();
        format!(
            "Offset out of range, positions {}: {why}, the offset used by job does not exist in \
             kafka, please check the offset, using the Alter ROUTINE LOAD command to modify it, \
             and resume the job",
            positions.join(",")
        )
    }

    fn status(&self) -> ReadStatus {
        let finished = self.bounded && self.parts.iter().all(|p| p.done);
        ReadStatus {
            caught_up: self.parts.iter().all(|p| p.done || p.eof),
            finished,
            error: self.error.clone(),
        }
    }
}

fn consumer_for_watcher(opts: &KafkaOptions) -> Result<BaseConsumer, KafkaError> {
    consumer(&opts.brokers, &opts.properties)
}

impl PartitionReader for KafkaReader {
    fn read(
        &mut self,
        batch: &mut MessageBatch,
        max_messages: usize,
        max_bytes: usize,
    ) -> ReadStatus {
        if self.error.is_some() {
            return self.status();
        }
        if let Err(e) = self.follow_new_partitions() {
            self.error = Some(e.to_string());
            return self.status();
        }
        if self.parts.iter().all(|p| p.done) {
            return self.status();
        }
        let start_bytes = batch.bytes();
        // Room for as many value bytes as the last read took, up to the limit: values are
        // copied in without growing the batch step by step.
        batch.reserve_bytes((self.last_bytes + self.last_bytes / 8).min(max_bytes));
        let mut count = 0usize;
        let mut waited = false;
        let mut finished = std::mem::take(&mut self.finished);
        while count < max_messages && batch.bytes() - start_bytes < max_bytes {
            let want = (max_messages - count).min(BATCH);
            // Drain what is queued without waiting; only when nothing is, and this call has
            // read nothing yet, wait (once, up to POLL_WAIT) for the first message or event.
            let mut got = self.queue.fill(Duration::ZERO, want);
            if got == 0 {
                if count > 0 || waited {
                    break;
                }
                waited = true;
                got = self.queue.fill(POLL_WAIT, 1);
                if got == 0 {
                    break;
                }
            }
            for i in 0..got {
                let Some(m) = self.queue.message(i) else {
                    continue;
                };
                match m.err {
                    None => {
                        if Self::accept(&mut self.parts, &mut finished, batch, &m) {
                            count += 1;
                        }
                    }
                    Some(RDKafkaErrorCode::PartitionEOF) => {
                        Self::end_of_partition(
                            &mut self.parts,
                            &mut finished,
                            m.partition,
                            m.offset,
                        );
                    }
                    Some(
                        code @ (RDKafkaErrorCode::AutoOffsetReset
                        | RDKafkaErrorCode::OffsetOutOfRange),
                    ) => {
                        if self.error.is_none() {
                            self.error =
                                Some(self.out_of_range(&RdError::MessageConsumption(code)));
                        }
                    }
                    // Broker and transport errors are retried by librdkafka; reading resumes
                    // where it was when the broker is back.
                    Some(_) => {}
                }
            }
            self.queue.release();
            finished.sort_unstable();
            finished.dedup();
            for slot in finished.drain(..) {
                if !self.parts[slot].done {
                    self.finish_part(slot);
                }
            }
            if self.error.is_some() {
                break;
            }
        }
        self.finished = finished;
        self.last_bytes = batch.bytes() - start_bytes;
        self.status()
    }

    fn positions(&self) -> Vec<(i32, i64)> {
        self.parts.iter().map(|p| (p.partition, p.next)).collect()
    }

    /// Pausing a partition makes librdkafka drop what it prefetched and fetch again, on
    /// resume, from the partition's application position, which a drained end-of-partition
    /// event leaves one past the end (see `ConsumerQueue`): fetching there is out of range
    /// and, with `auto.offset.reset=error`, a spurious error. So each paused partition is then
    /// seeked to the reader's own next offset, which is where the resume fetches from.
    fn backpressure(&mut self, paused: bool) {
        if paused == self.paused {
            return;
        }
        self.paused = paused;
        if self.parts.iter().all(|p| p.done) {
            return;
        }
        let live = || self.parts.iter().filter(|p| !p.done);
        if paused {
            if let Ok(tpl) = self.tpl(live().map(|p| (p.partition, None))) {
                let _ = self.consumer.pause(&tpl);
            }
            // Asynchronous (no timeout): queued behind the pause, before any resume.
            if let Ok(tpl) = self.tpl(live().map(|p| (p.partition, Some(p.next)))) {
                let _ = self.consumer.seek_partitions(tpl, Duration::ZERO);
            }
        } else if let Ok(tpl) = self.tpl(live().map(|p| (p.partition, None))) {
            let _ = self.consumer.resume(&tpl);
        }
    }
}

/// Messages drained from librdkafka per call.
const BATCH: usize = 1024;

/// One message (or consumer event) of a [`ConsumerQueue`] batch, borrowed.
struct QueuedMessage<'a> {
    /// `None` for a message; else the event (end of partition, offset out of range, ...).
    err: Option<RDKafkaErrorCode>,
    partition: i32,
    /// The message's offset; an end-of-partition event's end offset.
    offset: i64,
    /// Milliseconds, `-1` when the message has none.
    timestamp: i64,
    payload: &'a [u8],
}

/// The consumer's message queue, drained a batch at a time with
/// `rd_kafka_consume_batch_queue`: one call, and one set of clock readings, per batch instead
/// of per message (a per-message `poll` spent more time reading clocks than copying values).
///
/// librdkafka sets a partition's application position to one past the offset of every
/// message a batch returns, end-of-partition events included, where `poll` skips events.
/// Past an end event that position is one past the end; the reader never reads it and
/// re-seeks paused partitions to its own positions (see [`KafkaReader::backpressure`]).
struct ConsumerQueue {
    queue: std::ptr::NonNull<rdkafka::bindings::rd_kafka_queue_t>,
    messages: Vec<*mut rdkafka::bindings::rd_kafka_message_t>,
    len: usize,
}

// SAFETY: librdkafka queue handles and messages may be used from any thread; the reader
// owns them and uses them from one thread at a time.
unsafe impl Send for ConsumerQueue {}

impl ConsumerQueue {
    fn of(consumer: &BaseConsumer) -> Result<ConsumerQueue, KafkaError> {
        // SAFETY: the client pointer is valid for the consumer's life; the queue handle
        // returned holds its own reference and is destroyed in `drop`, which runs before
        // the consumer's (field order in `KafkaReader`).
        let queue = unsafe {
            rdkafka::bindings::rd_kafka_queue_get_consumer(consumer.client().native_ptr())
        };
        let queue = std::ptr::NonNull::new(queue)
            .ok_or_else(|| KafkaError::Client("librdkafka has no consumer queue".into()))?;
        Ok(ConsumerQueue {
            queue,
            messages: vec![std::ptr::null_mut(); BATCH],
            len: 0,
        })
    }

    /// Takes up to `want` messages, waiting at most `wait` for them (librdkafka returns early
    /// only when it has `want`); returns how many. Releases the previous batch first.
    fn fill(&mut self, wait: Duration, want: usize) -> usize {
        self.release();
        let want = want.min(self.messages.len());
        let ms = wait.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: `messages` has room for `want` pointers; librdkafka writes at most that
        // many and returns the count (or -1 on error).
        let n = unsafe {
            rdkafka::bindings::rd_kafka_consume_batch_queue(
                self.queue.as_ptr(),
                ms,
                self.messages.as_mut_ptr(),
                want,
            )
        };
        self.len = usize::try_from(n).unwrap_or(0).min(want);
        self.len
    }

    /// Message `i` of the current batch.
    #[inline]
    fn message(&self, i: usize) -> Option<QueuedMessage<'_>> {
        let ptr = *self.messages[..self.len].get(i)?;
        // SAFETY: librdkafka filled the first `len` slots with valid messages, alive until
        // `release`; the payload borrow is tied to `&self`, which `release` needs mutably.
        unsafe {
            let m = ptr.as_ref()?;
            if m.err != NO_ERROR {
                return Some(QueuedMessage {
                    err: Some(RDKafkaErrorCode::from(m.err)),
                    partition: m.partition,
                    offset: m.offset,
                    timestamp: -1,
                    payload: &[],
                });
            }
            let payload = if m.payload.is_null() {
                &[][..]
            } else {
                std::slice::from_raw_parts(m.payload as *const u8, m.len)
            };
            let mut kind =
                rdkafka::bindings::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
            let ts = rdkafka::bindings::rd_kafka_message_timestamp(ptr, &mut kind);
            Some(QueuedMessage {
                err: None,
                partition: m.partition,
                offset: m.offset,
                timestamp: if ts < 0 { -1 } else { ts },
                payload,
            })
        }
    }

    /// Destroys the current batch's messages.
    fn release(&mut self) {
        for &m in &self.messages[..self.len] {
            if !m.is_null() {
                // SAFETY: each message of the batch is destroyed exactly once.
                unsafe { rdkafka::bindings::rd_kafka_message_destroy(m) };
            }
        }
        self.len = 0;
    }
}

impl Drop for ConsumerQueue {
    fn drop(&mut self) {
        self.release();
        // SAFETY: the handle from `rd_kafka_queue_get_consumer`, destroyed once.
        unsafe { rdkafka::bindings::rd_kafka_queue_destroy(self.queue.as_ptr()) };
    }
}

const NO_ERROR: rdkafka::types::RDKafkaRespErr =
    rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR;

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::ClientConfig;
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

    /// librdkafka's mock cluster cannot add partitions to a topic, so the reader is made to
    /// forget two of its four partitions, as if they did not exist when it started: the
    /// watcher's next look at the topic must bring them in, from their start, and every
    /// message of every partition is read exactly once.
    #[test]
    fn partitions_that_appear_while_reading_are_picked_up() {
        let cluster = MockCluster::new(1).expect("mock cluster");
        cluster.create_topic("grow", 4, 1).expect("topic");
        let brokers = cluster.bootstrap_servers();
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", &brokers)
            .create()
            .expect("producer");
        for i in 0..80 {
            producer
                .send(
                    BaseRecord::<(), String>::to("grow")
                        .payload(&format!("{{\"i\":{i}}}"))
                        .partition(i % 4),
                )
                .expect("send");
        }
        producer.flush(Duration::from_secs(10)).expect("flush");
        let mut reader = KafkaReader::open(KafkaOptions {
            brokers,
            topic: "grow".into(),
            properties: Vec::new(),
            owns: Box::new(|_| true),
            partitions: None,
            resume: BTreeMap::new(),
            start: BTreeMap::new(),
            default_start: KafkaOffset::Beginning,
            until: None,
            refresh: Duration::from_millis(50),
        })
        .expect("reader");
        // As if partitions 2 and 3 were added after the start.
        reader.parts.retain(|p| p.partition < 2);
        reader.assign().expect("assign");
        let mut got: Vec<(i32, i64)> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while got.len() < 80 && Instant::now() < deadline {
            let mut batch = MessageBatch::with_capacity(64, 0);
            let status = reader.read(&mut batch, 64, 1 << 20);
            assert_eq!(status.error, None);
            got.extend(batch.iter().map(|m| (m.partition, m.offset)));
        }
        got.sort_unstable();
        let want: Vec<(i32, i64)> = (0..4).flat_map(|p| (0..20).map(move |o| (p, o))).collect();
        assert_eq!(got, want);
        assert_eq!(
            reader.positions(),
            (0..4).map(|p| (p, 20)).collect::<Vec<_>>()
        );
    }
}
