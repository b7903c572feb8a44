//! The row path on timely dataflow. The timestamp is the epoch: one micro-batch, Doris's
//! task. Each operator is an extension trait in its own file and can be used on its own in
//! someone else's dataflow:
//!
//! ```text
//!  window::windowed_source ──MessageBatch──> coerce::Coerce ──RowChunk──> load::Load ──PreCommit──┐
//!        │  (closes epochs on interval /        (row path:      (stages each       exchange to  │
//!        │   rows / bytes / caught up;           Arrow + rejected  worker's epoch   worker 0     │
//!        │   at most K epochs in flight)         rows)             as a transaction)             │
//!        └──PartitionRange────────────────────────────────────────────┘                           │
//!                                                                                                 v
//!                  committed probe <── commit::Commit (frontier passes e: decide, then commit) ──┘
//! ```
//!
//! The frontier decides: when the commit operator's input frontier passes epoch `e`, every
//! worker has pre-committed `e` and reported the offsets it read; the coordinator then writes
//! the one durable decision record and commits the transactions. Sources watch the committed
//! frontier and do not open epoch `e + K` before `e` has committed.

pub mod coerce;
pub mod commit;
pub mod load;
pub mod window;

use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use serde::{Deserialize, Serialize};

use crate::row::{Message, RowCounts};

/// The timely timestamp: an epoch (micro-batch) number.
pub type Epoch = u64;

/// Messages read by one worker during an epoch. Their values are copied into one buffer
/// ([`MessageBatch::push`]), or point into one buffer shared with the source
/// ([`MessageBatch::push_shared`]: a memory-mapped capture's Arrow value buffer), so replaying
/// a capture copies no message.
#[derive(Debug, Clone, Default)]
pub struct MessageBatch {
    /// Partition of each message.
    pub partitions: Vec<i32>,
    /// Offset of each message.
    pub offsets: Vec<i64>,
    /// Timestamp of each message in milliseconds (`-1` when unknown).
    pub timestamps: Vec<i64>,
    /// Start and end of each message's value in `data` (or `shared`).
    spans: Vec<(u32, u32)>,
    /// Copied values, back to back.
    data: Vec<u8>,
    /// The shared buffer the values point into, if any (then `data` is empty).
    shared: Option<Buffer>,
    /// Value bytes.
    bytes: usize,
}

impl MessageBatch {
    /// An empty batch with room for `messages` messages of `bytes` bytes.
    pub fn with_capacity(messages: usize, bytes: usize) -> Self {
        MessageBatch {
            partitions: Vec::with_capacity(messages),
            offsets: Vec::with_capacity(messages),
            timestamps: Vec::with_capacity(messages),
            spans: Vec::with_capacity(messages),
            data: Vec::with_capacity(bytes),
            shared: None,
            bytes: 0,
        }
    }

    /// Makes room for `bytes` more copied value bytes (a reader that copies values in, and
    /// knows about how many it will, grows the batch once instead of step by step).
    pub fn reserve_bytes(&mut self, bytes: usize) {
        if self.shared.is_none() {
            self.data.reserve(bytes);
        }
    }

    /// Appends one message, copying its value. Values longer than 4 GiB are cut (Kafka's
    /// own limit is far lower).
    #[inline]
    pub fn push(&mut self, partition: i32, offset: i64, timestamp_ms: i64, value: &[u8]) {
        if let Some(shared) = self.shared.take() {
            // Mixing: copy the shared values first so every span points into `data`.
            self.data.reserve(self.bytes + value.len());
            for span in &mut self.spans {
                let (s, e) = (span.0 as usize, span.1 as usize);
                let start = self.data.len() as u32;
                self.data.extend_from_slice(&shared[s..e]);
                *span = (start, self.data.len() as u32);
            }
        }
        let start = self.data.len() as u32;
        let len = value.len().min(u32::MAX as usize - start as usize);
        self.data.extend_from_slice(&value[..len]);
        self.partitions.push(partition);
        self.offsets.push(offset);
        self.timestamps.push(timestamp_ms);
        self.spans.push((start, start + len as u32));
        self.bytes += len;
    }

    /// Appends one message whose value is `buffer[range]`, without copying. Returns false
    /// (and appends nothing) when the batch already holds values of another buffer or copied
    /// values: the caller then starts a new batch.
    #[inline]
    pub fn push_shared(
        &mut self,
        buffer: &Buffer,
        partition: i32,
        offset: i64,
        timestamp_ms: i64,
        range: std::ops::Range<usize>,
    ) -> bool {
        match &self.shared {
            Some(b) if b.as_ptr() == buffer.as_ptr() && b.len() == buffer.len() => {}
            Some(_) => return false,
            None if self.spans.is_empty() => self.shared = Some(buffer.clone()),
            None => return false,
        }
        let (Ok(s), Ok(e)) = (u32::try_from(range.start), u32::try_from(range.end)) else {
            return false;
        };
        if range.start > range.end || range.end > buffer.len() {
            return false;
        }
        self.partitions.push(partition);
        self.offsets.push(offset);
        self.timestamps.push(timestamp_ms);
        self.spans.push((s, e));
        self.bytes += range.end - range.start;
        true
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no messages.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Bytes of message values.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Length of message `i`'s value.
    #[inline]
    pub fn value_len(&self, i: usize) -> usize {
        let (s, e) = self.spans[i];
        (e - s) as usize
    }

    /// Removes every message, keeping the buffers.
    pub fn clear(&mut self) {
        self.partitions.clear();
        self.offsets.clear();
        self.timestamps.clear();
        self.spans.clear();
        self.data.clear();
        self.shared = None;
        self.bytes = 0;
    }

    /// The messages in order.
    pub fn iter(&self) -> impl Iterator<Item = Message<'_>> + '_ {
        let values: &[u8] = match &self.shared {
            Some(b) => b.as_slice(),
            None => &self.data,
        };
        self.spans
            .iter()
            .enumerate()
            .map(move |(i, &(s, e))| Message {
                partition: self.partitions[i],
                offset: self.offsets[i],
                value: &values[s as usize..e as usize],
            })
    }
}

/// The offsets one worker consumed from one partition during an epoch: `[start, end)`,
/// `end` being the next offset to read (gaps such as transaction markers included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionRange {
    /// Kafka partition.
    pub partition: i32,
    /// First offset of the epoch.
    pub start: i64,
    /// Next offset after the epoch.
    pub end: i64,
    /// Messages read.
    pub messages: u64,
    /// Message value bytes read.
    pub bytes: u64,
    /// Largest message timestamp (milliseconds), if any message had one.
    pub max_timestamp_ms: Option<i64>,
    /// An even sample of the range's message timestamps, for ingest-to-visible latency
    /// (not recorded with decisions).
    #[serde(default, skip_serializing_if = "TsSample::is_empty")]
    pub ts_sample: TsSample,
}

/// Up to [`TsSample::CAPACITY`] message timestamps taken evenly from a run of messages: every
/// `stride`-th message, the stride doubling (and every other sample dropped) whenever the
/// sample is full, so that a range of any length is covered end to end. The first message is
/// always kept. Each kept timestamp stands for `weight()` messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TsSample {
    /// Kept timestamps (milliseconds); only the first `len` are used.
    values: [i64; TsSample::CAPACITY],
    /// How many are kept.
    len: u8,
    /// Every `stride`-th message is kept.
    stride: u32,
    /// Messages seen (with a timestamp).
    seen: u64,
}

impl Default for TsSample {
    fn default() -> Self {
        TsSample {
            values: [0; TsSample::CAPACITY],
            len: 0,
            stride: 1,
            seen: 0,
        }
    }
}

impl TsSample {
    /// Most timestamps kept.
    pub const CAPACITY: usize = 32;

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Offers one message's timestamp (milliseconds; negative: unknown, ignored).
    #[inline]
    pub fn offer(&mut self, ts_ms: i64) {
        if ts_ms < 0 {
            return;
        }
        let keep = self.seen.is_multiple_of(u64::from(self.stride));
        self.seen += 1;
        if !keep {
            return;
        }
        if usize::from(self.len) == Self::CAPACITY {
            // Keep every other sample (those at multiples of the doubled stride).
            let mut j = 0;
            for i in (0..Self::CAPACITY).step_by(2) {
                self.values[j] = self.values[i];
                j += 1;
            }
            self.len = j as u8;
            self.stride = self.stride.saturating_mul(2);
            if !(self.seen - 1).is_multiple_of(u64::from(self.stride)) {
                return;
            }
        }
        self.values[usize::from(self.len)] = ts_ms;
        self.len += 1;
    }

    /// The kept timestamps.
    pub fn values(&self) -> &[i64] {
        &self.values[..usize::from(self.len)]
    }

    /// Messages with a timestamp that the sample stands for.
    pub fn messages(&self) -> u64 {
        self.seen
    }

    /// How many messages each kept timestamp stands for (the last one may stand for fewer).
    pub fn weight(&self) -> f64 {
        if self.len == 0 {
            0.0
        } else {
            self.seen as f64 / f64::from(self.len)
        }
    }
}

/// Arrow batches and counters coming out of the row path for part of an epoch (the rows it
/// filtered travel on their own stream, as [`crate::row::RejectedRow`]s).
#[derive(Debug, Clone, Default)]
pub struct RowChunk {
    /// Loaded rows.
    pub batches: Vec<RecordBatch>,
    /// Row counters of this part (the last part of an epoch carries the epoch's counters).
    pub counts: RowCounts,
}

/// A worker's pre-committed transaction for an epoch, sent to the coordinator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreCommit {
    /// The epoch.
    pub epoch: Epoch,
    /// The worker (timely worker index).
    pub worker: usize,
    /// The sink's transaction handle (a label, a transaction id, a staging path).
    pub handle: String,
    /// Row counters of this worker's part of the epoch.
    pub counts: RowCounts,
    /// The offsets this worker consumed in the epoch.
    pub ranges: Vec<PartitionRange>,
}

/// An epoch's decision: every worker's pre-commit. Writing it durably is the commit point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The epoch.
    pub epoch: Epoch,
    /// Every worker's pre-commit for the epoch, by worker.
    pub precommits: Vec<PreCommit>,
}

impl Decision {
    /// The epoch's row counters over all workers.
    pub fn counts(&self) -> RowCounts {
        let mut c = RowCounts::default();
        for p in &self.precommits {
            c.add(&p.counts);
        }
        c
    }

    /// The epoch's partition ranges over all workers, by partition.
    pub fn ranges(&self) -> Vec<PartitionRange> {
        let mut r: Vec<PartitionRange> = self
            .precommits
            .iter()
            .flat_map(|p| p.ranges.iter().copied())
            .collect();
        r.sort_by_key(|r| (r.partition, r.start));
        r
    }
}

/// A committed epoch, as the commit operator reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Committed {
    /// The epoch.
    pub epoch: Epoch,
    /// Row counters over all workers.
    pub counts: RowCounts,
    /// Milliseconds from the decision to the last transaction's commit.
    pub commit_ms: f64,
    /// Largest message timestamp of the epoch (milliseconds), for ingest-to-visible latency.
    pub max_timestamp_ms: Option<i64>,
}

/// Where operators report a failure that must stop the job (a sink that cannot write, a
/// coordinator that cannot record a decision). Shared by every worker of a process.
#[derive(Debug, Clone, Default)]
pub struct Failure(std::sync::Arc<std::sync::Mutex<Option<String>>>);

impl Failure {
    /// Records the first failure.
    pub fn set(&self, message: impl Into<String>) {
        if let Ok(mut slot) = self.0.lock()
            && slot.is_none()
        {
            *slot = Some(message.into());
        }
    }

    /// Whether a failure was recorded.
    pub fn is_set(&self) -> bool {
        self.0.lock().map(|s| s.is_some()).unwrap_or(true)
    }

    /// The first failure, if any.
    pub fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|s| s.clone())
    }
}

#[cfg(test)]
mod tests;
