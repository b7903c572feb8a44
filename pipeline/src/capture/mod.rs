//! Captures: recorded Kafka topics that stand in for a live topic. This module owns the two
//! capture formats, recognising them, writing them, converting between them, generating a
//! synthetic one, and [`CaptureReader`], the [`PartitionReader`] that replays a capture into
//! the windowed source.
//!
//! # Formats
//!
//! A capture is recognised from its content, never from its name ([`detect`]):
//!
//! - **kcat lines**: one JSON envelope per line, as `kcat -C -J` prints them (`topic`,
//!   `partition`, `offset`, `tstype`, `ts`, `broker`, `headers`, `key`, `payload`). Keys,
//!   payloads and header values are JSON strings, so they must be UTF-8; writing a message
//!   whose bytes are not UTF-8 is an error (never a lossy conversion).
//! - **Arrow capture**: an Arrow IPC file (magic `ARROW1`) with columns `topic` Utf8,
//!   `partition` Int32, `offset` Int64, `timestamp` Timestamp(ms, UTC), `timestamp_type`
//!   Utf8, `key` Binary, `value` Binary (null = tombstone) and `headers`
//!   List<Struct<key: Utf8, value: Binary>>, in batches of 8192 messages or about 4 MiB.
//!   The footer's custom metadata (key [`METADATA_KEY`]) holds each partition's first
//!   and next offset and message count, so [`end_offsets`] and a reader's start positions
//!   need no scan; a file without it (written by pyarrow, say) is scanned instead. pyarrow
//!   (`pyarrow.ipc.open_file`) and DuckDB (through pyarrow) read it as it is.
//!
//! Messages are kept in file order, which is offset order within a partition; partitions
//! interleave as the recorder received them. Output files are written under a temporary name
//! and renamed on [`CaptureWriter::finish`], so a capture at its final path is complete.
//!
//! # Replay
//!
//! [`CaptureReader`] reads the partitions a worker owns, from each partition's start: the
//! committed progress if any, else the job's `kafka_offsets` for that partition, else the
//! default. `OFFSET_END` (Doris's default) is treated exactly like `OFFSET_BEGINNING`: a
//! replayed capture is the topic's messages arriving now, so a job that starts at the end of
//! the topic sees the whole capture. With [`Pacing::Original`] messages are released at the
//! pace of their timestamps. An Arrow capture is memory-mapped and read column by column
//! (partition, offset, timestamp, value), so replay costs little more than copying the values
//! of the worker's own messages; a capture must not be modified while it is read.

mod arrow;
mod kcat;
pub(crate) use kcat::push_json_str;
mod mmap;
mod reader;
mod synth;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use arrow::{METADATA_KEY, capture_schema};
pub(crate) use kcat::parse_envelope as kcat_envelope;
pub use kcat::{parse_line, write_line};
pub use reader::{CaptureReader, Pacing, ReaderOptions, StartOffset};
pub use synth::{DEFAULT_RATE, GenOptions, generate};

#[cfg(doc)]
use routinely_operators::dataflow::window::PartitionReader;

/// How a capture file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// kcat `-J` envelopes, one per line.
    Kcat,
    /// An Arrow IPC file with the capture columns.
    Arrow,
}

impl CaptureFormat {
    /// The format an output file gets from its extension: `.arrow` (also `.ipc`, `.feather`)
    /// is an Arrow capture, anything else kcat lines.
    pub fn from_extension(path: &Path) -> CaptureFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e)
                if e.eq_ignore_ascii_case("arrow")
                    || e.eq_ignore_ascii_case("ipc")
                    || e.eq_ignore_ascii_case("feather") =>
            {
                CaptureFormat::Arrow
            }
            _ => CaptureFormat::Kcat,
        }
    }
}

impl fmt::Display for CaptureFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CaptureFormat::Kcat => "kcat lines",
            CaptureFormat::Arrow => "Arrow capture",
        })
    }
}

/// One recorded Kafka message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureMessage {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Timestamp in milliseconds since the epoch, when the message has one.
    pub timestamp_ms: Option<i64>,
    /// Timestamp type as kcat names it (`create`, `logappend`), when there is a timestamp.
    pub timestamp_type: Option<String>,
    /// Key (`None`: no key).
    pub key: Option<Vec<u8>>,
    /// Value (`None`: a tombstone).
    pub value: Option<Vec<u8>>,
    /// Headers in order: name and value (`None`: a null header value).
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl CaptureMessage {
    /// A borrowed view of the message, as [`CaptureWriter::write_ref`] takes it.
    pub fn as_ref(&self) -> MessageRef<'_> {
        MessageRef {
            topic: &self.topic,
            partition: self.partition,
            offset: self.offset,
            timestamp_ms: self.timestamp_ms,
            timestamp_type: self.timestamp_type.as_deref(),
            key: self.key.as_deref(),
            value: self.value.as_deref(),
            headers: &self.headers,
        }
    }
}

/// A message to write, borrowed (the generator writes without building a [`CaptureMessage`]).
#[derive(Debug, Clone, Copy)]
pub struct MessageRef<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Timestamp in milliseconds, when there is one.
    pub timestamp_ms: Option<i64>,
    /// Timestamp type (`create`, `logappend`).
    pub timestamp_type: Option<&'a str>,
    /// Key.
    pub key: Option<&'a [u8]>,
    /// Value (`None`: a tombstone).
    pub value: Option<&'a [u8]>,
    /// Headers in order.
    pub headers: &'a [(String, Option<Vec<u8>>)],
}

/// What a capture holds of one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PartitionSummary {
    /// Partition.
    pub partition: i32,
    /// Smallest offset.
    pub first_offset: i64,
    /// Largest offset plus one.
    pub next_offset: i64,
    /// Messages.
    pub messages: u64,
}

impl PartitionSummary {
    fn new(partition: i32, offset: i64) -> Self {
        PartitionSummary {
            partition,
            first_offset: offset,
            next_offset: offset.saturating_add(1),
            messages: 0,
        }
    }

    fn add(&mut self, offset: i64) {
        self.first_offset = self.first_offset.min(offset);
        self.next_offset = self.next_offset.max(offset.saturating_add(1));
        self.messages += 1;
    }
}

/// What a written capture holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureStats {
    /// The file written.
    pub path: PathBuf,
    /// Its format.
    pub format: CaptureFormat,
    /// Messages written.
    pub messages: u64,
    /// Bytes of message values written (tombstones count 0).
    pub value_bytes: u64,
    /// Per partition, by partition.
    pub partitions: BTreeMap<i32, PartitionSummary>,
}

impl fmt::Display for CaptureStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wrote {} messages ({} value bytes) in {} partition{} to {}",
            self.messages,
            self.value_bytes,
            self.partitions.len(),
            if self.partitions.len() == 1 { "" } else { "s" },
            self.path.display()
        )
    }
}

/// A capture that cannot be read or written, naming the file and the position of the fault.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file could not be created or written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The content is neither kcat lines nor an Arrow capture.
    #[error("{path}: not a capture (neither an Arrow IPC file nor kcat -J lines): {why}")]
    Unrecognized {
        /// The file.
        path: String,
        /// What the content looks like.
        why: String,
    },
    /// A kcat line is not a kcat `-J` envelope.
    #[error("{path}:{line}: not a kcat -J envelope: {why}")]
    BadLine {
        /// The file.
        path: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        why: String,
    },
    /// The Arrow file as a whole is unusable (no footer, wrong columns).
    #[error("{path}: {why}")]
    BadArrow {
        /// The file.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// One record batch of an Arrow capture is unusable.
    #[error("{path}: record batch {batch} (byte {byte}): {why}")]
    BadBatch {
        /// The file.
        path: String,
        /// 0-based batch number.
        batch: usize,
        /// Where the batch starts in the file.
        byte: u64,
        /// What is wrong.
        why: String,
    },
    /// A message cannot be written in the output format.
    #[error("{path}: partition {partition} offset {offset}: {why}")]
    Unwritable {
        /// The output file.
        path: String,
        /// The message's partition.
        partition: i32,
        /// The message's offset.
        offset: i64,
        /// Why.
        why: String,
    },
    /// An option is out of range.
    #[error("invalid capture option: {0}")]
    InvalidOption(String),
}

fn read_error(path: &Path) -> impl FnOnce(std::io::Error) -> CaptureError + '_ {
    move |source| CaptureError::Read {
        path: path.display().to_string(),
        source,
    }
}

/// Recognises a capture's format from its content: the Arrow file magic `ARROW1`, or a first
/// non-blank line that is a kcat `-J` envelope.
pub fn detect(path: &Path) -> Result<CaptureFormat, CaptureError> {
    let file = std::fs::File::open(path).map_err(read_error(path))?;
    let mut head = Vec::with_capacity(8);
    file.take(8)
        .read_to_end(&mut head)
        .map_err(read_error(path))?;
    if head.starts_with(arrow::ARROW_MAGIC) {
        return Ok(CaptureFormat::Arrow);
    }
    let unrecognized = |why: String| CaptureError::Unrecognized {
        path: path.display().to_string(),
        why,
    };
    if head.starts_with(&[0xff, 0xff, 0xff, 0xff]) {
        return Err(unrecognized(
            "an Arrow IPC stream, not an IPC file (write it with pyarrow.ipc.new_file)".into(),
        ));
    }
    let mut lines = kcat::KcatLines::open(path)?;
    match lines.next_line()? {
        None => Err(unrecognized("the file is empty".into())),
        Some((line, text)) => match kcat::parse_line(text) {
            Ok(_) => Ok(CaptureFormat::Kcat),
            Err(why) => Err(unrecognized(format!("line {line}: {why}"))),
        },
    }
}

/// A capture read message by message, in file order (see [`messages`]).
pub struct Messages {
    inner: MessagesInner,
}

enum MessagesInner {
    Kcat(kcat::KcatLines),
    Arrow(Box<arrow::ArrowMessages>),
}

impl Iterator for Messages {
    type Item = Result<CaptureMessage, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            MessagesInner::Kcat(lines) => lines.next_message().transpose(),
            MessagesInner::Arrow(batches) => batches.next(),
        }
    }
}

/// Opens a capture of either format to read its messages one by one, streaming.
pub fn messages(path: &Path) -> Result<Messages, CaptureError> {
    let inner = match detect(path)? {
        CaptureFormat::Kcat => MessagesInner::Kcat(kcat::KcatLines::open(path)?),
        CaptureFormat::Arrow => MessagesInner::Arrow(Box::new(arrow::ArrowMessages::new(
            arrow::ArrowCapture::open(path)?,
        )?)),
    };
    Ok(Messages { inner })
}

/// Reads every message of a capture into memory (small files and tests).
pub fn read_all(path: &Path) -> Result<Vec<CaptureMessage>, CaptureError> {
    messages(path)?.collect()
}

/// The next offset after the last message, per partition (Kafka's end offsets). An Arrow
/// capture answers from its footer metadata; one without it, and kcat lines, are scanned.
pub fn end_offsets(path: &Path) -> Result<BTreeMap<i32, i64>, CaptureError> {
    let summaries = match detect(path)? {
        CaptureFormat::Arrow => {
            let capture = arrow::ArrowCapture::open(path)?;
            match capture.metadata() {
                Some(meta) => meta.partitions.clone(),
                None => capture.summarize()?,
            }
        }
        CaptureFormat::Kcat => kcat::summarize(path)?,
    };
    Ok(summaries
        .into_iter()
        .map(|s| (s.partition, s.next_offset))
        .collect())
}

/// Per-partition summaries of a capture (first and next offset, message count), from the
/// footer metadata of an Arrow capture or by a scan.
pub fn summarize(path: &Path) -> Result<Vec<PartitionSummary>, CaptureError> {
    match detect(path)? {
        CaptureFormat::Arrow => {
            let capture = arrow::ArrowCapture::open(path)?;
            match capture.metadata() {
                Some(meta) => Ok(meta.partitions.clone()),
                None => capture.summarize(),
            }
        }
        CaptureFormat::Kcat => kcat::summarize(path),
    }
}

/// Copies a capture into another file, streaming; the output's format comes from its
/// extension ([`CaptureFormat::from_extension`]). Everything is kept: topic, partitions,
/// offsets, timestamps and their types, keys, values, tombstones and headers.
pub fn convert(input: &Path, output: &Path) -> Result<CaptureStats, CaptureError> {
    let messages = messages(input)?;
    let mut writer = CaptureWriter::create(output, CaptureFormat::from_extension(output))?;
    for message in messages {
        writer.write(&message?)?;
    }
    writer.finish()
}

/// Parses a size such as `64M`, `1G`, `512K`, `1.5G`, `64MiB` or `1000` (binary multiples).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let upper = s.to_ascii_uppercase();
    let upper = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (number, multiplier) = match upper.chars().last()? {
        'K' => (&upper[..upper.len() - 1], 1u64 << 10),
        'M' => (&upper[..upper.len() - 1], 1 << 20),
        'G' => (&upper[..upper.len() - 1], 1 << 30),
        'T' => (&upper[..upper.len() - 1], 1 << 40),
        _ => (upper, 1),
    };
    let number = number.trim();
    if let Ok(n) = number.parse::<u64>() {
        return n.checked_mul(multiplier);
    }
    let f: f64 = number.parse().ok()?;
    let bytes = f * multiplier as f64;
    (f.is_finite() && f >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// Writes a capture: messages in order, then [`CaptureWriter::finish`]. The file is written
/// under a temporary name next to `path` and renamed on finish; dropping an unfinished
/// writer removes it.
pub struct CaptureWriter {
    sink: Sink,
    path: PathBuf,
    temp: PathBuf,
    format: CaptureFormat,
    messages: u64,
    value_bytes: u64,
    partitions: BTreeMap<i32, PartitionSummary>,
    finished: bool,
}

enum Sink {
    Kcat(kcat::KcatWriter),
    Arrow(Box<arrow::ArrowWriter>),
}

impl CaptureWriter {
    /// Creates a capture at `path` in `format`.
    pub fn create(path: &Path, format: CaptureFormat) -> Result<Self, CaptureError> {
        let name = path.file_name().ok_or_else(|| {
            CaptureError::InvalidOption(format!("{} is not a file name", path.display()))
        })?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".partial-{}", std::process::id()));
        let temp = path.with_file_name(temp_name);
        let file = std::fs::File::create(&temp).map_err(|source| CaptureError::Write {
            path: temp.display().to_string(),
            source,
        })?;
        let display = path.display().to_string();
        let sink = match format {
            CaptureFormat::Kcat => Sink::Kcat(kcat::KcatWriter::new(file, display)),
            CaptureFormat::Arrow => Sink::Arrow(Box::new(arrow::ArrowWriter::new(file, display)?)),
        };
        Ok(CaptureWriter {
            sink,
            path: path.to_path_buf(),
            temp,
            format,
            messages: 0,
            value_bytes: 0,
            partitions: BTreeMap::new(),
            finished: false,
        })
    }

    /// Appends a message.
    pub fn write(&mut self, message: &CaptureMessage) -> Result<(), CaptureError> {
        self.write_ref(message.as_ref())
    }

    /// Appends a borrowed message.
    pub fn write_ref(&mut self, message: MessageRef<'_>) -> Result<(), CaptureError> {
        match &mut self.sink {
            Sink::Kcat(w) => w.write(&message)?,
            Sink::Arrow(w) => w.write(&message)?,
        }
        self.messages += 1;
        self.value_bytes += message.value.map_or(0, <[u8]>::len) as u64;
        self.partitions
            .entry(message.partition)
            .or_insert_with(|| PartitionSummary::new(message.partition, message.offset))
            .add(message.offset);
        Ok(())
    }

    /// Messages written so far.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Value bytes written so far.
    pub fn value_bytes(&self) -> u64 {
        self.value_bytes
    }

    /// Completes the file (the Arrow footer with its metadata) and moves it into place.
    pub fn finish(mut self) -> Result<CaptureStats, CaptureError> {
        let summaries: Vec<PartitionSummary> = self.partitions.values().copied().collect();
        let sink = std::mem::replace(&mut self.sink, Sink::Kcat(kcat::KcatWriter::closed()));
        match sink {
            Sink::Kcat(w) => w.finish()?,
            Sink::Arrow(w) => w.finish(&arrow::CaptureMeta {
                version: 1,
                messages: self.messages,
                value_bytes: self.value_bytes,
                partitions: summaries,
            })?,
        }
        std::fs::rename(&self.temp, &self.path).map_err(|source| CaptureError::Write {
            path: self.path.display().to_string(),
            source,
        })?;
        self.finished = true;
        Ok(CaptureStats {
            path: self.path.clone(),
            format: self.format,
            messages: self.messages,
            value_bytes: self.value_bytes,
            partitions: std::mem::take(&mut self.partitions),
        })
    }
}

impl Drop for CaptureWriter {
    fn drop(&mut self) {
        if !self.finished {
            // Best effort: an unfinished capture never appears under its final name.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
