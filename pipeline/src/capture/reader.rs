//! [`CaptureReader`]: one worker's replay of a capture, as a [`PartitionReader`]. It decides
//! each owned partition's start (committed progress, else the job's offset for it, else the
//! default), then reads the file in order, keeping the messages of its partitions at or past
//! their positions, optionally at the pace of their timestamps.
//!
//! An Arrow capture is read batch by batch from the memory-mapped file, decoding only the
//! partition, offset, timestamp and value columns; the current batch and a row cursor are
//! kept across reads, and each kept value is copied once, from the Arrow buffer into the
//! [`MessageBatch`]. Other workers' messages cost a table lookup.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use arrow_ipc::reader::FileDecoder;
use routinely_operators::dataflow::MessageBatch;
use routinely_operators::dataflow::window::{PartitionReader, ReadStatus};

use super::arrow::{ArrowCapture, Bytes, IndexColumns};
use super::kcat::{self, KcatLines};
use super::{CaptureError, CaptureFormat, CaptureMessage};

/// How fast a capture is replayed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// Every message is available at once.
    AsFastAsPossible,
    /// A message with timestamp `t` is released at `run_start + (t - first) / speed`, where
    /// `first` is the timestamp of the first message this reader delivers and `run_start` the
    /// moment it does (`speed` 2.0 replays twice as fast). Messages without a timestamp are
    /// released at once.
    Original {
        /// Replay speed factor (positive).
        speed: f64,
    },
}

/// Where a partition starts when there is no committed progress for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOffset {
    /// The partition's first message in the capture.
    Beginning,
    /// Treated as [`StartOffset::Beginning`]: a replayed capture is the topic's messages
    /// arriving now, so a job starting at `OFFSET_END` sees all of them.
    End,
    /// The first message with an offset at or after this one.
    Offset(i64),
    /// The first message with a timestamp (milliseconds) at or after this one, as Kafka's
    /// `offsetsForTimes`; past the last such message the partition starts at its end.
    Timestamp(i64),
}

/// What one worker reads of a capture, and from where.
pub struct ReaderOptions {
    /// Which partitions this worker reads.
    pub owns: Box<dyn Fn(i32) -> bool + Send>,
    /// The job's `kafka_partitions` (`None`: every partition in the capture).
    pub partitions: Option<Vec<i32>>,
    /// Committed progress: the next offset per partition. Wins over `start`.
    pub resume: BTreeMap<i32, i64>,
    /// The job's `kafka_offsets`, for partitions without progress.
    pub start: BTreeMap<i32, StartOffset>,
    /// The start of every other partition.
    pub default_start: StartOffset,
    /// How fast messages become available.
    pub pacing: Pacing,
}

impl Default for ReaderOptions {
    /// Every partition, from the beginning, as fast as possible.
    fn default() -> Self {
        ReaderOptions {
            owns: Box::new(|_| true),
            partitions: None,
            resume: BTreeMap::new(),
            start: BTreeMap::new(),
            default_start: StartOffset::Beginning,
            pacing: Pacing::AsFastAsPossible,
        }
    }
}

impl fmt::Debug for ReaderOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReaderOptions")
            .field("partitions", &self.partitions)
            .field("resume", &self.resume)
            .field("start", &self.start)
            .field("default_start", &self.default_start)
            .field("pacing", &self.pacing)
            .finish_non_exhaustive()
    }
}

/// A partition's start, resolved against the options.
#[derive(Clone, Copy)]
enum Start {
    /// Exactly this offset (progress, or an explicit offset).
    At(i64),
    /// The partition's first message.
    First,
    /// The first message at or after this timestamp.
    Time(i64),
}

/// What a scan learns of one partition.
struct Scanned {
    first: i64,
    next: i64,
    target: Option<i64>,
    at_time: Option<i64>,
}

/// The slot of each owned partition (dense for the usual small partition numbers).
struct Slots {
    dense: Vec<u32>,
    sparse: BTreeMap<i32, u32>,
}

const NO_SLOT: u32 = u32::MAX;
const DENSE_LIMIT: usize = 1 << 16;

impl Slots {
    fn new(partitions: impl Iterator<Item = i32>) -> Self {
        let mut slots = Slots {
            dense: Vec::new(),
            sparse: BTreeMap::new(),
        };
        for (slot, p) in partitions.enumerate() {
            let slot = u32::try_from(slot).unwrap_or(NO_SLOT);
            match usize::try_from(p) {
                Ok(i) if i < DENSE_LIMIT => {
                    if slots.dense.len() <= i {
                        slots.dense.resize(i + 1, NO_SLOT);
                    }
                    slots.dense[i] = slot;
                }
                _ => {
                    slots.sparse.insert(p, slot);
                }
            }
        }
        slots
    }

    #[inline]
    fn get(&self, partition: i32) -> Option<usize> {
        let slot = match usize::try_from(partition) {
            Ok(i) if i < DENSE_LIMIT => *self.dense.get(i)?,
            _ => *self.sparse.get(&partition)?,
        };
        (slot != NO_SLOT).then_some(slot as usize)
    }
}

/// Release times under [`Pacing::Original`].
struct Pace {
    speed: f64,
    /// The wall time and timestamp of the first message delivered.
    origin: Option<(Instant, i64)>,
}

impl Pace {
    /// When a message with this timestamp is due (`None`: now).
    fn due(&mut self, timestamp_ms: Option<i64>) -> Option<Instant> {
        let ts = timestamp_ms?;
        match self.origin {
            None => {
                self.origin = Some((Instant::now(), ts));
                None
            }
            Some((start, first)) if ts > first => {
                let secs = (ts - first) as f64 / 1000.0 / self.speed;
                Some(start + Duration::from_secs_f64(secs.min(1e9)))
            }
            Some(_) => None,
        }
    }
}

/// Everything a read updates besides the file cursor.
struct State {
    slots: Slots,
    /// Owned partitions by partition, with their next offset.
    parts: Vec<(i32, i64)>,
    pace: Option<Pace>,
    /// When the next message is due, while pacing holds it back.
    waiting: Option<Instant>,
    /// The last message delivered (for error context).
    last: Option<(i32, i64)>,
    now: Option<Instant>,
}

impl State {
    /// Whether the message is due now; when not, remembers when it is.
    #[inline]
    fn due(&mut self, timestamp_ms: Option<i64>) -> bool {
        let Some(pace) = self.pace.as_mut() else {
            return true;
        };
        let Some(due) = pace.due(timestamp_ms) else {
            return true;
        };
        if self.now.is_some_and(|now| due <= now) {
            return true;
        }
        let now = Instant::now();
        self.now = Some(now);
        if due <= now {
            return true;
        }
        self.waiting = Some(due);
        false
    }
}

/// Why a read stopped.
enum Stop {
    /// `max_messages` or `max_bytes` reached.
    Limit,
    /// The next message is not due yet.
    Waiting,
    /// The end of the file.
    End,
}

/// The batch being read.
struct Current {
    rows: usize,
    position: IndexColumns,
    value: Bytes,
}

struct ArrowSource {
    capture: ArrowCapture,
    decoder: FileDecoder,
    has_timestamp: bool,
    next_batch: usize,
    current: Option<Current>,
    row: usize,
}

impl ArrowSource {
    fn new(capture: ArrowCapture) -> Result<Self, CaptureError> {
        let c = capture.columns();
        let mut projection = vec![c.partition, c.offset];
        projection.extend(c.timestamp);
        projection.push(c.value);
        let decoder = capture.decoder(projection)?;
        Ok(ArrowSource {
            has_timestamp: c.timestamp.is_some(),
            capture,
            decoder,
            next_batch: 0,
            current: None,
            row: 0,
        })
    }

    fn exhausted(&self) -> bool {
        self.current.as_ref().is_none_or(|c| self.row >= c.rows)
    }

    fn at_end(&self) -> bool {
        self.exhausted() && self.next_batch >= self.capture.num_batches()
    }

    fn load(&mut self, index: usize) -> Result<(), CaptureError> {
        let batch = self.capture.decode(&self.decoder, index)?;
        let columns = batch.columns();
        let value_col = if self.has_timestamp { 3 } else { 2 };
        let current = IndexColumns::new(
            &columns[0],
            &columns[1],
            self.has_timestamp.then(|| &columns[2]),
        )
        .and_then(|position| {
            Ok(Current {
                rows: batch.num_rows(),
                position,
                value: Bytes::new(&columns[value_col])?,
            })
        })
        .map_err(|why| CaptureError::BadBatch {
            path: self.capture.path().to_string(),
            batch: index,
            byte: self.capture.batch_byte(index),
            why,
        })?;
        self.current = Some(current);
        self.row = 0;
        Ok(())
    }

    fn read(
        &mut self,
        st: &mut State,
        batch: &mut MessageBatch,
        max_messages: usize,
        max_bytes: usize,
    ) -> Result<Stop, CaptureError> {
        let start_bytes = batch.bytes();
        let mut count = 0usize;
        loop {
            if self.exhausted() {
                if self.next_batch >= self.capture.num_batches() {
                    self.current = None;
                    return Ok(Stop::End);
                }
                let index = self.next_batch;
                self.next_batch += 1;
                self.load(index)?;
            }
            let Some(cur) = self.current.as_ref() else {
                continue;
            };
            let partitions = cur.position.partition.as_ref();
            let offsets = cur.position.offset.as_ref();
            while self.row < cur.rows {
                let row = self.row;
                let partition = partitions[row];
                let Some(slot) = st.slots.get(partition) else {
                    self.row += 1;
                    continue;
                };
                let offset = offsets[row];
                if offset < st.parts[slot].1 {
                    self.row += 1;
                    continue;
                }
                let timestamp = cur.position.timestamp(row);
                if !st.due(timestamp) {
                    return Ok(Stop::Waiting);
                }
                // Values stay in the mapped file: the batch points at them.
                let (buffer, range) = cur.value.shared(row);
                if !batch.push_shared(buffer, partition, offset, timestamp.unwrap_or(-1), range) {
                    // The batch holds the previous Arrow batch's values: this one goes in the
                    // next read.
                    return Ok(Stop::Limit);
                }
                st.parts[slot].1 = offset.saturating_add(1);
                st.last = Some((partition, offset));
                self.row += 1;
                count += 1;
                if count >= max_messages || batch.bytes() - start_bytes >= max_bytes {
                    return Ok(Stop::Limit);
                }
            }
        }
    }
}

struct KcatSource {
    lines: KcatLines,
    /// A message read but not yet due.
    pending: Option<CaptureMessage>,
}

impl KcatSource {
    fn read(
        &mut self,
        st: &mut State,
        batch: &mut MessageBatch,
        max_messages: usize,
        max_bytes: usize,
    ) -> Result<Stop, CaptureError> {
        let start_bytes = batch.bytes();
        let mut count = 0usize;
        loop {
            let m = match self.pending.take() {
                Some(m) => m,
                None => match self.lines.next_message()? {
                    Some(m) => m,
                    None => return Ok(Stop::End),
                },
            };
            let Some(slot) = st.slots.get(m.partition) else {
                continue;
            };
            if m.offset < st.parts[slot].1 {
                continue;
            }
            if !st.due(m.timestamp_ms) {
                self.pending = Some(m);
                return Ok(Stop::Waiting);
            }
            batch.push(
                m.partition,
                m.offset,
                m.timestamp_ms.unwrap_or(-1),
                m.value.as_deref().unwrap_or(&[]),
            );
            st.parts[slot].1 = m.offset.saturating_add(1);
            st.last = Some((m.partition, m.offset));
            count += 1;
            if count >= max_messages || batch.bytes() - start_bytes >= max_bytes {
                return Ok(Stop::Limit);
            }
        }
    }

    fn at_end(&mut self) -> Result<bool, CaptureError> {
        Ok(self.pending.is_none() && self.lines.at_end()?)
    }
}

enum Source {
    Arrow(Box<ArrowSource>),
    Kcat(Box<KcatSource>),
}

/// Replays the partitions one worker owns from a capture file (see the module docs of
/// [`crate::capture`]).
pub struct CaptureReader {
    path: String,
    source: Source,
    state: State,
    error: Option<String>,
    finished: bool,
}

impl fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureReader")
            .field("path", &self.path)
            .field("positions", &self.state.parts)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl CaptureReader {
    /// Opens a capture for one worker, resolving each owned partition's start. Needs no scan
    /// for an Arrow capture with footer metadata unless a start is a timestamp; otherwise the
    /// partition, offset and timestamp of every message are scanned once.
    pub fn open(path: &Path, options: ReaderOptions) -> Result<Self, CaptureError> {
        let ReaderOptions {
            owns,
            partitions,
            resume,
            start,
            default_start,
            pacing,
        } = options;
        let pace = match pacing {
            Pacing::AsFastAsPossible => None,
            Pacing::Original { speed } if speed.is_finite() && speed > 0.0 => Some(Pace {
                speed,
                origin: None,
            }),
            Pacing::Original { speed } => {
                return Err(CaptureError::InvalidOption(format!(
                    "pacing speed {speed} is not a positive number"
                )));
            }
        };
        let start_of = |p: i32| -> Start {
            if let Some(o) = resume.get(&p) {
                return Start::At(*o);
            }
            match start.get(&p).copied().unwrap_or(default_start) {
                StartOffset::Beginning | StartOffset::End => Start::First,
                StartOffset::Offset(n) => Start::At(n),
                StartOffset::Timestamp(t) => Start::Time(t),
            }
        };
        let wanted = |p: i32| partitions.as_ref().is_none_or(|list| list.contains(&p)) && owns(p);
        let by_time = matches!(default_start, StartOffset::Timestamp(_))
            || start
                .iter()
                .any(|(p, s)| matches!(s, StartOffset::Timestamp(_)) && !resume.contains_key(p));

        let mut scanned: BTreeMap<i32, Scanned> = BTreeMap::new();
        let mut visit = |p: i32, o: i64, ts: Option<i64>| {
            let e = scanned.entry(p).or_insert_with(|| Scanned {
                first: o,
                next: o.saturating_add(1),
                target: match start_of(p) {
                    Start::Time(t) => Some(t),
                    _ => None,
                },
                at_time: None,
            });
            e.first = e.first.min(o);
            e.next = e.next.max(o.saturating_add(1));
            if let (Some(target), Some(ts)) = (e.target, ts)
                && ts >= target
            {
                e.at_time = Some(e.at_time.map_or(o, |a| a.min(o)));
            }
        };
        let source = match super::detect(path)? {
            CaptureFormat::Arrow => {
                let capture = ArrowCapture::open(path)?;
                match capture.metadata() {
                    Some(meta) if !by_time => {
                        for s in &meta.partitions {
                            scanned.insert(
                                s.partition,
                                Scanned {
                                    first: s.first_offset,
                                    next: s.next_offset,
                                    target: None,
                                    at_time: None,
                                },
                            );
                        }
                    }
                    _ => capture.scan(by_time, &mut visit)?,
                }
                Source::Arrow(Box::new(ArrowSource::new(capture)?))
            }
            CaptureFormat::Kcat => {
                kcat::scan(path, &mut visit)?;
                Source::Kcat(Box::new(KcatSource {
                    lines: KcatLines::open(path)?,
                    pending: None,
                }))
            }
        };
        let parts: Vec<(i32, i64)> = scanned
            .iter()
            .filter(|(p, _)| wanted(**p))
            .map(|(p, s)| {
                let position = match start_of(*p) {
                    Start::At(o) => o,
                    Start::First => s.first,
                    Start::Time(_) => s.at_time.unwrap_or(s.next),
                };
                (*p, position)
            })
            .collect();
        Ok(CaptureReader {
            path: path.display().to_string(),
            source,
            state: State {
                slots: Slots::new(parts.iter().map(|(p, _)| *p)),
                parts,
                pace,
                waiting: None,
                last: None,
                now: None,
            },
            error: None,
            finished: false,
        })
    }

    /// The capture's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the end of the file has been reached.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn fail(&mut self, e: &CaptureError) -> ReadStatus {
        let context = match self.state.last {
            Some((p, o)) => format!(" (after partition {p} offset {o})"),
            None => String::new(),
        };
        let message = format!("{e}{context}");
        self.error = Some(message.clone());
        ReadStatus {
            caught_up: false,
            finished: false,
            error: Some(message),
        }
    }
}

impl PartitionReader for CaptureReader {
    fn read(
        &mut self,
        batch: &mut MessageBatch,
        max_messages: usize,
        max_bytes: usize,
    ) -> ReadStatus {
        if let Some(e) = &self.error {
            return ReadStatus {
                caught_up: false,
                finished: false,
                error: Some(e.clone()),
            };
        }
        if self.finished {
            return ReadStatus {
                caught_up: true,
                finished: true,
                error: None,
            };
        }
        self.state.waiting = None;
        self.state.now = None;
        if max_messages == 0 || max_bytes == 0 {
            return ReadStatus::default();
        }
        let stop = match &mut self.source {
            Source::Arrow(s) => s.read(&mut self.state, batch, max_messages, max_bytes),
            Source::Kcat(s) => s.read(&mut self.state, batch, max_messages, max_bytes),
        };
        let at_end = match (&stop, &mut self.source) {
            (Ok(Stop::End), _) => Ok(true),
            (Ok(Stop::Limit), Source::Arrow(s)) => Ok(s.at_end()),
            (Ok(Stop::Limit), Source::Kcat(s)) => s.at_end(),
            _ => Ok(false),
        };
        match (stop, at_end) {
            (Err(e), _) | (_, Err(e)) => self.fail(&e),
            (Ok(stop), Ok(at_end)) => {
                self.finished = at_end;
                ReadStatus {
                    caught_up: at_end || matches!(stop, Stop::Waiting),
                    finished: at_end,
                    error: None,
                }
            }
        }
    }

    fn positions(&self) -> Vec<(i32, i64)> {
        self.state.parts.clone()
    }

    fn idle_wait(&self) -> Duration {
        match self.state.waiting {
            Some(due) => due
                .saturating_duration_since(Instant::now())
                .clamp(Duration::from_millis(1), Duration::from_millis(100)),
            None => Duration::from_millis(10),
        }
    }
}
