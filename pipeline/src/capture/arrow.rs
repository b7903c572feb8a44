//! The Arrow capture: its schema, the writer (batches of at most 8192 messages or 4 MiB,
//! per-partition offsets in the footer metadata), and the reader side: opening a
//! memory-mapped file, checking its footer and blocks before Arrow decodes them, decoding
//! one record batch with a projection, and typed views of the decoded columns.
//!
//! A file written by another tool is accepted when it has `partition`, `offset` and `value`
//! columns of a usable type (Int32/Int64, Int64/Int32, Binary/LargeBinary/Utf8/LargeUtf8);
//! the other columns are optional. Arrow's decoder validates every array it builds; the
//! block and buffer bounds it would otherwise assert on are checked here first, so a corrupt
//! file is an error naming the batch and its byte position, not a panic.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{ArrayBuilder, BinaryBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{
    Array, ArrayRef, BinaryArray, Int32Array, Int64Array, LargeBinaryArray, ListArray, RecordBatch,
    StructArray, TimestampMillisecondArray,
};
use arrow_buffer::{Buffer, NullBuffer, NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_ipc::reader::FileDecoder;
use arrow_ipc::writer::FileWriter;
use arrow_ipc::{Block, MetadataVersion};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use serde::{Deserialize, Serialize};

use super::{CaptureError, CaptureMessage, MessageRef, PartitionSummary};

/// The magic bytes an Arrow IPC file starts and ends with.
pub(crate) const ARROW_MAGIC: &[u8; 6] = b"ARROW1";

/// The footer metadata key holding the capture summary (JSON: `version`, `messages`,
/// `value_bytes`, `partitions` with `partition`, `first_offset`, `next_offset`, `messages`).
pub const METADATA_KEY: &str = "routinely.capture";

/// A batch is written once it holds this many messages...
const BATCH_MESSAGES: usize = 8192;
/// ...or this many key and value bytes.
const BATCH_BYTES: usize = 4 << 20;

/// The capture summary kept in the footer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CaptureMeta {
    /// Format version (1).
    pub(crate) version: u32,
    /// Messages in the file.
    pub(crate) messages: u64,
    /// Value bytes in the file.
    pub(crate) value_bytes: u64,
    /// Per partition, by partition.
    pub(crate) partitions: Vec<PartitionSummary>,
}

fn header_fields() -> Fields {
    Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("value", DataType::Binary, true),
    ])
}

fn header_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Struct(header_fields()), false))
}

/// The schema of an Arrow capture.
pub fn capture_schema() -> Schema {
    Schema::new(vec![
        Field::new("topic", DataType::Utf8, false),
        Field::new("partition", DataType::Int32, false),
        Field::new("offset", DataType::Int64, false),
        Field::new(
            "timestamp",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            true,
        ),
        Field::new("timestamp_type", DataType::Utf8, true),
        Field::new("key", DataType::Binary, true),
        Field::new("value", DataType::Binary, true),
        Field::new("headers", DataType::List(header_item()), true),
    ])
}

fn write_error(path: &str, e: impl std::fmt::Display) -> CaptureError {
    CaptureError::Write {
        path: path.to_string(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Writes an Arrow capture, one record batch at a time.
pub(crate) struct ArrowWriter {
    writer: FileWriter<BufWriter<File>>,
    schema: SchemaRef,
    path: String,
    topic: StringBuilder,
    partition: Vec<i32>,
    offset: Vec<i64>,
    timestamp: Vec<i64>,
    timestamp_valid: NullBufferBuilder,
    timestamp_type: StringBuilder,
    key: BinaryBuilder,
    value: BinaryBuilder,
    header_offsets: Vec<i32>,
    header_valid: NullBufferBuilder,
    header_keys: StringBuilder,
    header_values: BinaryBuilder,
    bytes: usize,
}

impl ArrowWriter {
    pub(crate) fn new(file: File, path: String) -> Result<Self, CaptureError> {
        let schema = Arc::new(capture_schema());
        let writer = FileWriter::try_new(BufWriter::with_capacity(1 << 20, file), &schema)
            .map_err(|e| write_error(&path, e))?;
        Ok(ArrowWriter {
            writer,
            schema,
            path,
            topic: StringBuilder::new(),
            partition: Vec::with_capacity(BATCH_MESSAGES),
            offset: Vec::with_capacity(BATCH_MESSAGES),
            timestamp: Vec::with_capacity(BATCH_MESSAGES),
            timestamp_valid: NullBufferBuilder::new(BATCH_MESSAGES),
            timestamp_type: StringBuilder::new(),
            key: BinaryBuilder::new(),
            value: BinaryBuilder::with_capacity(BATCH_MESSAGES, BATCH_BYTES),
            header_offsets: vec![0],
            header_valid: NullBufferBuilder::new(BATCH_MESSAGES),
            header_keys: StringBuilder::new(),
            header_values: BinaryBuilder::new(),
            bytes: 0,
        })
    }

    pub(crate) fn write(&mut self, m: &MessageRef<'_>) -> Result<(), CaptureError> {
        self.topic.append_value(m.topic);
        self.partition.push(m.partition);
        self.offset.push(m.offset);
        match m.timestamp_ms {
            Some(t) => {
                self.timestamp.push(t);
                self.timestamp_valid.append_non_null();
            }
            None => {
                self.timestamp.push(0);
                self.timestamp_valid.append_null();
            }
        }
        self.timestamp_type.append_option(m.timestamp_type);
        self.key.append_option(m.key);
        self.value.append_option(m.value);
        if m.headers.is_empty() {
            self.header_valid.append_null();
        } else {
            for (name, value) in m.headers {
                self.header_keys.append_value(name);
                self.header_values.append_option(value.as_deref());
            }
            self.header_valid.append_non_null();
        }
        let headers = i32::try_from(self.header_keys.len())
            .map_err(|_| write_error(&self.path, "too many headers in one batch"))?;
        self.header_offsets.push(headers);
        self.bytes += m.key.map_or(0, <[u8]>::len) + m.value.map_or(0, <[u8]>::len);
        if self.partition.len() >= BATCH_MESSAGES || self.bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), CaptureError> {
        if self.partition.is_empty() {
            return Ok(());
        }
        let fresh = |v: &mut Vec<i64>| std::mem::replace(v, Vec::with_capacity(BATCH_MESSAGES));
        let timestamps = TimestampMillisecondArray::new(
            ScalarBuffer::from(fresh(&mut self.timestamp)),
            self.timestamp_valid.finish(),
        )
        .with_timezone("UTC");
        let headers = StructArray::try_new(
            header_fields(),
            vec![
                Arc::new(self.header_keys.finish()) as ArrayRef,
                Arc::new(self.header_values.finish()),
            ],
            None,
        )
        .and_then(|items| {
            ListArray::try_new(
                header_item(),
                OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(
                    &mut self.header_offsets,
                    vec![0],
                ))),
                Arc::new(items),
                self.header_valid.finish(),
            )
        })
        .map_err(|e| write_error(&self.path, e))?;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.topic.finish()),
            Arc::new(Int32Array::from(std::mem::replace(
                &mut self.partition,
                Vec::with_capacity(BATCH_MESSAGES),
            ))),
            Arc::new(Int64Array::from(fresh(&mut self.offset))),
            Arc::new(timestamps),
            Arc::new(self.timestamp_type.finish()),
            Arc::new(self.key.finish()),
            Arc::new(self.value.finish()),
            Arc::new(headers),
        ];
        self.bytes = 0;
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), columns)
            .map_err(|e| write_error(&self.path, e))?;
        self.writer
            .write(&batch)
            .map_err(|e| write_error(&self.path, e))
    }

    pub(crate) fn finish(mut self, meta: &CaptureMeta) -> Result<(), CaptureError> {
        self.flush()?;
        let json = serde_json::to_string(meta).map_err(|e| write_error(&self.path, e))?;
        self.writer.write_metadata(METADATA_KEY, json);
        self.writer
            .finish()
            .map_err(|e| write_error(&self.path, e))?;
        self.writer
            .into_inner()
            .map_err(|e| write_error(&self.path, e))?
            .into_inner()
            .map_err(|e| write_error(&self.path, e.into_error()))?;
        Ok(())
    }
}

/// Where each capture column is in a file's schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Columns {
    pub(crate) topic: Option<usize>,
    pub(crate) partition: usize,
    pub(crate) offset: usize,
    pub(crate) timestamp: Option<usize>,
    pub(crate) timestamp_type: Option<usize>,
    pub(crate) key: Option<usize>,
    pub(crate) value: usize,
    pub(crate) headers: Option<usize>,
}

fn is_bytes(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Binary | DataType::LargeBinary | DataType::Utf8 | DataType::LargeUtf8
    )
}

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8)
}

fn is_headers(t: &DataType) -> bool {
    let DataType::List(item) = t else {
        return false;
    };
    let DataType::Struct(fields) = item.data_type() else {
        return false;
    };
    let field = |name: &str| fields.iter().find(|f| f.name() == name);
    field("key").is_some_and(|f| is_text(f.data_type()))
        && field("value").is_some_and(|f| is_bytes(f.data_type()))
}

impl Columns {
    fn find(schema: &Schema) -> Result<Columns, String> {
        let column =
            |name: &str, ok: fn(&DataType) -> bool, wanted: &str| match schema.index_of(name) {
                Err(_) => Ok(None),
                Ok(i) if ok(schema.field(i).data_type()) => Ok(Some(i)),
                Ok(i) => Err(format!(
                    "column `{name}` is {}, not {wanted}",
                    schema.field(i).data_type()
                )),
            };
        let required = |c: Option<usize>, name: &str| {
            c.ok_or_else(|| {
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                format!(
                    "not a capture: no `{name}` column (columns: {})",
                    names.join(", ")
                )
            })
        };
        Ok(Columns {
            topic: column("topic", is_text, "Utf8")?,
            partition: required(
                column(
                    "partition",
                    |t| matches!(t, DataType::Int32 | DataType::Int64),
                    "Int32",
                )?,
                "partition",
            )?,
            offset: required(
                column(
                    "offset",
                    |t| matches!(t, DataType::Int64 | DataType::Int32),
                    "Int64",
                )?,
                "offset",
            )?,
            timestamp: column(
                "timestamp",
                |t| matches!(t, DataType::Timestamp(_, _) | DataType::Int64),
                "Timestamp(ms)",
            )?,
            timestamp_type: column("timestamp_type", is_text, "Utf8")?,
            key: column("key", is_bytes, "Binary")?,
            value: required(column("value", is_bytes, "Binary")?, "value")?,
            headers: column(
                "headers",
                is_headers,
                "List<Struct<key: Utf8, value: Binary>>",
            )?,
        })
    }
}

/// An Arrow capture opened for reading: the mapped file, its schema and blocks.
pub(crate) struct ArrowCapture {
    path: String,
    data: Buffer,
    schema: SchemaRef,
    version: MetadataVersion,
    blocks: Vec<Block>,
    dictionaries: Vec<Block>,
    columns: Columns,
    meta: Option<CaptureMeta>,
}

/// Checks that a block lies inside the data part of the file.
fn block_range(block: &Block, data_end: usize) -> Result<(usize, usize, usize), String> {
    let offset = usize::try_from(block.offset()).ok().filter(|o| *o >= 8);
    let meta = usize::try_from(block.metaDataLength())
        .ok()
        .filter(|m| *m >= 8);
    let body = usize::try_from(block.bodyLength()).ok();
    match (offset, meta, body) {
        (Some(o), Some(m), Some(b))
            if o.checked_add(m)
                .and_then(|e| e.checked_add(b))
                .is_some_and(|e| e <= data_end) =>
        {
            Ok((o, m, b))
        }
        _ => Err(format!(
            "block (offset {}, metadata {} bytes, body {} bytes) lies outside the file's \
             {data_end} data bytes",
            block.offset(),
            block.metaDataLength(),
            block.bodyLength()
        )),
    }
}

/// Checks an encapsulated message's buffers against its body before Arrow slices them.
fn check_message(bytes: &[u8], body: usize) -> Result<(), String> {
    let fb = if bytes.starts_with(&[0xff; 4]) {
        bytes.get(8..)
    } else {
        bytes.get(4..)
    }
    .ok_or("message metadata too short")?;
    let message =
        arrow_ipc::root_as_message(fb).map_err(|e| format!("unreadable message metadata: {e}"))?;
    let (buffers, nodes, length) = if let Some(batch) = message.header_as_record_batch() {
        (batch.buffers(), batch.nodes(), batch.length())
    } else if let Some(dict) = message.header_as_dictionary_batch() {
        let batch = dict.data().ok_or("dictionary batch without data")?;
        (batch.buffers(), batch.nodes(), batch.length())
    } else {
        return Err("not a record batch".to_string());
    };
    if length < 0 {
        return Err(format!("negative row count {length}"));
    }
    for buffer in buffers.iter().flatten() {
        let (o, l) = (buffer.offset(), buffer.length());
        if o < 0 || l < 0 || o.checked_add(l).is_none_or(|e| e as u64 > body as u64) {
            return Err(format!(
                "buffer at {o} of {l} bytes lies outside the {body}-byte body"
            ));
        }
    }
    for node in nodes.iter().flatten() {
        if node.length() < 0 || node.null_count() < 0 || node.null_count() > node.length() {
            return Err(format!(
                "bad field node (length {}, nulls {})",
                node.length(),
                node.null_count()
            ));
        }
    }
    Ok(())
}

impl ArrowCapture {
    /// Opens and checks an Arrow capture.
    pub(crate) fn open(path: &Path) -> Result<Self, CaptureError> {
        let data = super::mmap::map_file(path)?;
        let display = path.display().to_string();
        let bad = |why: String| CaptureError::BadArrow {
            path: display.clone(),
            why,
        };
        let bytes = data.as_slice();
        let len = bytes.len();
        if !bytes.starts_with(ARROW_MAGIC) {
            return Err(bad("not an Arrow IPC file (no ARROW1 magic)".into()));
        }
        if len < 18 || !bytes.ends_with(ARROW_MAGIC) {
            return Err(bad(format!(
                "truncated Arrow capture ({len} bytes): no footer at the end (the writer did \
                 not finish)"
            )));
        }
        let footer_len = i32::from_le_bytes([
            bytes[len - 10],
            bytes[len - 9],
            bytes[len - 8],
            bytes[len - 7],
        ]);
        let footer_start = usize::try_from(footer_len)
            .ok()
            .and_then(|f| (len - 10).checked_sub(f))
            .filter(|s| *s >= 8)
            .ok_or_else(|| {
                bad(format!(
                    "footer length {footer_len} out of range at byte {}",
                    len - 10
                ))
            })?;
        let footer = arrow_ipc::root_as_footer(&bytes[footer_start..len - 10])
            .map_err(|e| bad(format!("unreadable footer at byte {footer_start}: {e}")))?;
        let fb_schema = footer
            .schema()
            .ok_or_else(|| bad("the footer has no schema".into()))?;
        if !fb_schema.endianness().equals_to_target_endianness() {
            return Err(bad("written on a machine of the other endianness".into()));
        }
        let schema = arrow_ipc::convert::try_fb_to_schema(fb_schema)
            .map_err(|e| bad(format!("unreadable schema: {e}")))?;
        let columns = Columns::find(&schema).map_err(bad)?;
        let check = |blocks: Vec<Block>| -> Result<Vec<Block>, CaptureError> {
            for (i, block) in blocks.iter().enumerate() {
                block_range(block, footer_start).map_err(|why| CaptureError::BadBatch {
                    path: display.clone(),
                    batch: i,
                    byte: u64::try_from(block.offset()).unwrap_or(0),
                    why,
                })?;
            }
            Ok(blocks)
        };
        let blocks = check(
            footer
                .recordBatches()
                .map(|v| v.iter().copied().collect())
                .unwrap_or_default(),
        )?;
        let dictionaries = check(
            footer
                .dictionaries()
                .map(|v| v.iter().copied().collect())
                .unwrap_or_default(),
        )?;
        let meta = footer
            .custom_metadata()
            .into_iter()
            .flatten()
            .find(|kv| kv.key() == Some(METADATA_KEY))
            .and_then(|kv| kv.value())
            .and_then(|v| serde_json::from_str::<CaptureMeta>(v).ok())
            .filter(|m| m.version == 1);
        let version = footer.version();
        Ok(ArrowCapture {
            path: display,
            data,
            schema: Arc::new(schema),
            version,
            blocks,
            dictionaries,
            columns,
            meta,
        })
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The footer's capture summary, when the file has a valid one.
    pub(crate) fn metadata(&self) -> Option<&CaptureMeta> {
        self.meta.as_ref()
    }

    pub(crate) fn columns(&self) -> Columns {
        self.columns
    }

    pub(crate) fn num_batches(&self) -> usize {
        self.blocks.len()
    }

    fn bad_batch(&self, batch: usize, block: &Block, why: String) -> CaptureError {
        CaptureError::BadBatch {
            path: self.path.clone(),
            batch,
            byte: u64::try_from(block.offset()).unwrap_or(0),
            why,
        }
    }

    /// The block's bytes, checked.
    fn block_bytes(&self, block: &Block) -> Result<Buffer, String> {
        let (offset, meta, body) = block_range(block, self.data.len())?;
        let bytes = self.data.slice_with_length(offset, meta + body);
        check_message(&bytes.as_slice()[..meta], body)?;
        Ok(bytes)
    }

    /// A decoder for the columns in `projection` (schema positions), dictionaries loaded.
    pub(crate) fn decoder(&self, projection: Vec<usize>) -> Result<FileDecoder, CaptureError> {
        let mut decoder =
            FileDecoder::new(Arc::clone(&self.schema), self.version).with_projection(projection);
        for (i, block) in self.dictionaries.iter().enumerate() {
            let bytes = self
                .block_bytes(block)
                .map_err(|why| self.bad_batch(i, block, format!("dictionary: {why}")))?;
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                decoder.read_dictionary(block, &bytes)
            }));
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(self.bad_batch(i, block, format!("dictionary: {e}"))),
                Err(_) => {
                    return Err(self.bad_batch(i, block, "malformed dictionary".to_string()));
                }
            }
        }
        Ok(decoder)
    }

    /// Decodes record batch `index`.
    pub(crate) fn decode(
        &self,
        decoder: &FileDecoder,
        index: usize,
    ) -> Result<RecordBatch, CaptureError> {
        let Some(block) = self.blocks.get(index) else {
            return Err(CaptureError::BadArrow {
                path: self.path.clone(),
                why: format!("no record batch {index}"),
            });
        };
        let bytes = self
            .block_bytes(block)
            .map_err(|why| self.bad_batch(index, block, why))?;
        // The bounds Arrow asserts on were checked above and Arrow validates the arrays it
        // builds; this guard keeps any assertion we did not foresee an error, not a crash.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            decoder.read_record_batch(block, &bytes)
        }));
        match result {
            Ok(Ok(Some(batch))) => Ok(batch),
            Ok(Ok(None)) => Err(self.bad_batch(index, block, "empty message".to_string())),
            Ok(Err(e)) => Err(self.bad_batch(index, block, e.to_string())),
            Err(_) => Err(self.bad_batch(index, block, "malformed record batch".to_string())),
        }
    }

    /// Decodes the partition, offset and (with `timestamps`) timestamp columns of every
    /// batch in turn.
    pub(crate) fn scan(
        &self,
        timestamps: bool,
        mut f: impl FnMut(i32, i64, Option<i64>),
    ) -> Result<(), CaptureError> {
        let c = self.columns;
        let mut projection = vec![c.partition, c.offset];
        let ts_column = c.timestamp.filter(|_| timestamps);
        projection.extend(ts_column);
        let decoder = self.decoder(projection)?;
        for index in 0..self.blocks.len() {
            let batch = self.decode(&decoder, index)?;
            let cols = IndexColumns::new(
                batch.column(0),
                batch.column(1),
                ts_column.map(|_| batch.column(2)),
            )
            .map_err(|why| self.bad_batch(index, &self.blocks[index], why))?;
            for row in 0..batch.num_rows() {
                f(cols.partition[row], cols.offset[row], cols.timestamp(row));
            }
        }
        Ok(())
    }

    /// Per-partition summaries by a scan of the partition and offset columns.
    pub(crate) fn summarize(&self) -> Result<Vec<PartitionSummary>, CaptureError> {
        let mut parts: BTreeMap<i32, PartitionSummary> = BTreeMap::new();
        self.scan(false, |p, o, _| {
            parts
                .entry(p)
                .or_insert_with(|| PartitionSummary::new(p, o))
                .add(o);
        })?;
        Ok(parts.into_values().collect())
    }

    /// Where record batch `index` starts in the file.
    pub(crate) fn batch_byte(&self, index: usize) -> u64 {
        self.blocks
            .get(index)
            .and_then(|b| u64::try_from(b.offset()).ok())
            .unwrap_or(0)
    }
}

/// Partition, offset and timestamp columns of one decoded batch, in the types the reader
/// uses (partition i32, offset i64, timestamp milliseconds).
pub(crate) struct IndexColumns {
    pub(crate) partition: ScalarBuffer<i32>,
    pub(crate) offset: ScalarBuffer<i64>,
    timestamp: Option<(ScalarBuffer<i64>, Option<NullBuffer>)>,
}

impl IndexColumns {
    pub(crate) fn new(
        partition: &ArrayRef,
        offset: &ArrayRef,
        timestamp: Option<&ArrayRef>,
    ) -> Result<Self, String> {
        if partition.null_count() > 0 {
            return Err("null partition".to_string());
        }
        if offset.null_count() > 0 {
            return Err("null offset".to_string());
        }
        let partition: ScalarBuffer<i32> = match partition.data_type() {
            DataType::Int32 => partition.as_primitive::<Int32Type>().values().clone(),
            _ => partition
                .as_primitive_opt::<Int64Type>()
                .ok_or("partition column is neither Int32 nor Int64")?
                .values()
                .iter()
                .map(|p| i32::try_from(*p).ok())
                .collect::<Option<Vec<i32>>>()
                .ok_or("partition out of range")?
                .into(),
        };
        if let Some(p) = partition.iter().find(|p| **p < 0) {
            return Err(format!("negative partition {p}"));
        }
        let offset: ScalarBuffer<i64> = match offset.data_type() {
            DataType::Int64 => offset.as_primitive::<Int64Type>().values().clone(),
            _ => offset
                .as_primitive_opt::<Int32Type>()
                .ok_or("offset column is neither Int64 nor Int32")?
                .values()
                .iter()
                .map(|o| i64::from(*o))
                .collect::<Vec<i64>>()
                .into(),
        };
        if let Some(o) = offset.iter().find(|o| **o < 0) {
            return Err(format!("negative offset {o}"));
        }
        let timestamp = match timestamp {
            None => None,
            Some(ts) => {
                let millis = |values: &ScalarBuffer<i64>, f: fn(i64) -> i64| -> ScalarBuffer<i64> {
                    values.iter().map(|v| f(*v)).collect::<Vec<i64>>().into()
                };
                let values = match ts.data_type() {
                    DataType::Int64 => ts.as_primitive::<Int64Type>().values().clone(),
                    DataType::Timestamp(TimeUnit::Millisecond, _) => ts
                        .as_primitive::<TimestampMillisecondType>()
                        .values()
                        .clone(),
                    DataType::Timestamp(TimeUnit::Second, _) => {
                        millis(ts.as_primitive::<TimestampSecondType>().values(), |v| {
                            v.saturating_mul(1000)
                        })
                    }
                    DataType::Timestamp(TimeUnit::Microsecond, _) => millis(
                        ts.as_primitive::<TimestampMicrosecondType>().values(),
                        |v| v.div_euclid(1000),
                    ),
                    DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                        millis(ts.as_primitive::<TimestampNanosecondType>().values(), |v| {
                            v.div_euclid(1_000_000)
                        })
                    }
                    t => return Err(format!("timestamp column is {t}")),
                };
                Some((values, ts.logical_nulls()))
            }
        };
        Ok(IndexColumns {
            partition,
            offset,
            timestamp,
        })
    }

    /// Row `row`'s timestamp in milliseconds (`None`: null or negative).
    #[inline]
    pub(crate) fn timestamp(&self, row: usize) -> Option<i64> {
        let (values, nulls) = self.timestamp.as_ref()?;
        if nulls.as_ref().is_some_and(|n| n.is_null(row)) {
            return None;
        }
        values.get(row).copied().filter(|t| *t >= 0)
    }
}

/// A binary or string column viewed as bytes.
pub(crate) enum Bytes {
    /// 32-bit offsets.
    Small(BinaryArray),
    /// 64-bit offsets.
    Large(LargeBinaryArray),
}

impl Bytes {
    pub(crate) fn new(a: &ArrayRef) -> Result<Self, String> {
        Ok(match a.data_type() {
            DataType::Binary => Bytes::Small(a.as_binary::<i32>().clone()),
            DataType::LargeBinary => Bytes::Large(a.as_binary::<i64>().clone()),
            DataType::Utf8 => Bytes::Small(BinaryArray::from(a.as_string::<i32>().clone())),
            DataType::LargeUtf8 => {
                Bytes::Large(LargeBinaryArray::from(a.as_string::<i64>().clone()))
            }
            t => return Err(format!("{t} is not a binary column")),
        })
    }

    /// Row `row`'s bytes (`None`: null).
    #[inline]
    pub(crate) fn get(&self, row: usize) -> Option<&[u8]> {
        match self {
            Bytes::Small(a) => (row < a.len() && a.is_valid(row)).then(|| a.value(row)),
            Bytes::Large(a) => (row < a.len() && a.is_valid(row)).then(|| a.value(row)),
        }
    }

    /// Row `row`'s bytes as a range of the column's value buffer (empty for a null), so a
    /// batch can point at them instead of copying.
    #[inline]
    pub(crate) fn shared(&self, row: usize) -> (&Buffer, std::ops::Range<usize>) {
        match self {
            Bytes::Small(a) => {
                let o = a.value_offsets();
                let (s, e) = (o[row] as usize, o[row + 1] as usize);
                let e = if a.is_valid(row) { e } else { s };
                (a.values(), s..e)
            }
            Bytes::Large(a) => {
                let o = a.value_offsets();
                let (s, e) = (o[row] as usize, o[row + 1] as usize);
                let e = if a.is_valid(row) { e } else { s };
                (a.values(), s..e)
            }
        }
    }
}

/// The headers column of one batch.
struct Headers {
    list: ListArray,
    keys: Bytes,
    values: Bytes,
}

impl Headers {
    fn new(a: &ArrayRef) -> Result<Self, String> {
        let list = a
            .as_list_opt::<i32>()
            .ok_or("headers column is not a list")?
            .clone();
        let items = list
            .values()
            .as_struct_opt()
            .ok_or("header items are not structs")?;
        let child = |name: &str| {
            items
                .column_by_name(name)
                .ok_or_else(|| format!("header items have no `{name}`"))
                .and_then(Bytes::new)
        };
        Ok(Headers {
            keys: child("key")?,
            values: child("value")?,
            list,
        })
    }

    fn get(&self, row: usize) -> Result<Vec<(String, Option<Vec<u8>>)>, String> {
        if self.list.is_null(row) {
            return Ok(Vec::new());
        }
        let offsets = self.list.value_offsets();
        let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
        let mut out = Vec::with_capacity(end - start);
        for i in start..end {
            let name = self.keys.get(i).ok_or("null header name")?;
            out.push((
                String::from_utf8_lossy(name).into_owned(),
                self.values.get(i).map(<[u8]>::to_vec),
            ));
        }
        Ok(out)
    }
}

/// One fully decoded batch.
struct FullBatch {
    index: usize,
    rows: usize,
    topic: Option<Bytes>,
    position: IndexColumns,
    timestamp_type: Option<Bytes>,
    key: Option<Bytes>,
    value: Bytes,
    headers: Option<Headers>,
}

impl FullBatch {
    fn new(index: usize, batch: &RecordBatch, c: Columns) -> Result<Self, String> {
        let col = |i: usize| batch.column(i);
        Ok(FullBatch {
            index,
            rows: batch.num_rows(),
            topic: c.topic.map(|i| Bytes::new(col(i))).transpose()?,
            position: IndexColumns::new(col(c.partition), col(c.offset), c.timestamp.map(col))?,
            timestamp_type: c.timestamp_type.map(|i| Bytes::new(col(i))).transpose()?,
            key: c.key.map(|i| Bytes::new(col(i))).transpose()?,
            value: Bytes::new(col(c.value))?,
            headers: c.headers.map(|i| Headers::new(col(i))).transpose()?,
        })
    }

    fn message(&self, row: usize) -> Result<CaptureMessage, String> {
        let text = |b: &Option<Bytes>| {
            b.as_ref()
                .and_then(|b| b.get(row))
                .map(|t| String::from_utf8_lossy(t).into_owned())
        };
        let timestamp_ms = self.position.timestamp(row);
        Ok(CaptureMessage {
            topic: text(&self.topic).unwrap_or_default(),
            partition: self.position.partition[row],
            offset: self.position.offset[row],
            timestamp_ms,
            timestamp_type: timestamp_ms.and(text(&self.timestamp_type)),
            key: self
                .key
                .as_ref()
                .and_then(|k| k.get(row))
                .map(<[u8]>::to_vec),
            value: self.value.get(row).map(<[u8]>::to_vec),
            headers: match &self.headers {
                Some(h) => h.get(row)?,
                None => Vec::new(),
            },
        })
    }
}

/// An Arrow capture's messages in file order, one batch decoded at a time.
pub(crate) struct ArrowMessages {
    capture: ArrowCapture,
    decoder: FileDecoder,
    next_batch: usize,
    current: Option<FullBatch>,
    row: usize,
    failed: bool,
}

impl ArrowMessages {
    pub(crate) fn new(capture: ArrowCapture) -> Result<Self, CaptureError> {
        let all = (0..capture.schema.fields().len()).collect();
        let decoder = capture.decoder(all)?;
        Ok(ArrowMessages {
            capture,
            decoder,
            next_batch: 0,
            current: None,
            row: 0,
            failed: false,
        })
    }

    fn fail(&mut self, index: usize, why: String) -> Option<Result<CaptureMessage, CaptureError>> {
        self.failed = true;
        Some(Err(CaptureError::BadBatch {
            path: self.capture.path.clone(),
            batch: index,
            byte: self.capture.batch_byte(index),
            why,
        }))
    }
}

impl Iterator for ArrowMessages {
    type Item = Result<CaptureMessage, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.failed {
                return None;
            }
            if let Some(batch) = &self.current {
                if self.row < batch.rows {
                    let row = self.row;
                    self.row += 1;
                    return match batch.message(row) {
                        Ok(m) => Some(Ok(m)),
                        Err(why) => {
                            let index = batch.index;
                            self.fail(index, format!("row {row}: {why}"))
                        }
                    };
                }
                self.current = None;
            }
            if self.next_batch >= self.capture.num_batches() {
                return None;
            }
            let index = self.next_batch;
            self.next_batch += 1;
            self.row = 0;
            let decoded = match self.capture.decode(&self.decoder, index) {
                Ok(b) => b,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            };
            match FullBatch::new(index, &decoded, self.capture.columns) {
                Ok(b) => self.current = Some(b),
                Err(why) => return self.fail(index, why),
            }
        }
    }
}
