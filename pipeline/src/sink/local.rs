//! The local table: the embedded default sink. Each committed epoch is a directory of Parquet
//! files, committed with one `rename` once the progress store holds the epoch's decision, so
//! a reader never sees half an epoch. UNIQUE KEY and AGGREGATE KEY tables also get a
//! compacted view, maintained the way Doris applies each key model.
//!
//! # Layout
//!
//! ```text
//!  DIR/_table.json                                   the table definition (written once)
//!  DIR/_staging/epoch=00000000000000000007/          epoch 7 being staged (invisible)
//!        part-w00000.parquet                         worker 0's rows (snappy)
//!        _rejected-w00000.jsonl                      worker 0's filtered rows, one JSON each
//!  DIR/data/epoch=00000000000000000006/              epoch 6, committed
//!        part-w00000.parquet  part-w00001.parquet  _rejected-w00001.jsonl
//!  DIR/view/table.parquet                            UNIQUE / AGGREGATE: the table as Doris
//!                                                    would show it, after the last epoch
//!  DIR/view/_deleted.parquet                         UNIQUE with a sequence column: deleted
//!                                                    keys and their sequence values
//! ```
//!
//! Epoch directories are named with 20 digits so that they sort by epoch; part files with
//! 5-digit worker numbers so that they sort by worker (the load order).
//!
//! # Reading it
//!
//! ```sql
//! -- DUPLICATE KEY: the table is every committed epoch's rows
//! SELECT * FROM read_parquet('DIR/data/*/*.parquet');
//! -- UNIQUE KEY / AGGREGATE KEY: the compacted view
//! SELECT * FROM read_parquet('DIR/view/table.parquet');
//! ```
//!
//! (DuckDB may add an `epoch` column from the `epoch=` directory names through Hive
//! partitioning; pass `hive_partitioning = false` to leave it out.) With pyarrow:
//! `pyarrow.parquet.read_table('DIR/view/table.parquet')`. In Rust: [`LocalTable::read_table`].
//!
//! # Exactly once
//!
//! Workers stage an epoch in `_staging/epoch=E/`, each in its own files (several processes on
//! one machine may stage the same epoch; they share only `create_dir_all`). `precommit`
//! closes the worker's Parquet file (footer written), fsyncs the files and directories and
//! returns the staging directory as the transaction handle. After the coordinator has
//! recorded the decision, [`LocalTable`]'s `commit` renames `_staging/epoch=E` to
//! `data/epoch=E` in one `rename(2)` and fsyncs `data/`: a reader globbing
//! `data/*/*.parquet` sees all of the epoch or none of it. Committing again finds
//! `data/epoch=E` and succeeds. An epoch whose decision has no handles (no worker staged
//! anything) gets no directory. At startup `abort_undecided` removes the staging of epochs
//! after the last decided one.
//!
//! # Key models (doris-spec.md §8)
//!
//! The view is rewritten after each commit (temporary file, fsync, rename) by merging the
//! previous view with the newly committed epochs, in load order: epoch, then worker, then
//! row order.
//!
//! - UNIQUE KEY: a later row replaces the stored row with the same key. With a sequence
//!   column (`function_column.sequence_col`), a row replaces the stored one only if its
//!   sequence value is `>=` the stored one (NULL sorts lowest). A row whose
//!   `__DORIS_DELETE_SIGN__` is 1 deletes its key; with a sequence column the delete is
//!   itself a stored version (kept in `_deleted.parquet`), so a later row with a smaller
//!   sequence value does not bring the key back.
//! - AGGREGATE KEY: value columns merge with their aggregation: SUM (NULLs skipped; all NULL
//!   gives NULL; integers wrap on overflow), MIN / MAX (NULLs skipped), REPLACE (the last
//!   row's value), REPLACE_IF_NOT_NULL (the last non-NULL value). HLL_UNION, BITMAP_UNION,
//!   QUANTILE_UNION and GENERIC are refused when the table is opened.
//!
//! The view holds the table's columns only, sorted by key. It is built in memory: the local
//! table suits tables that fit in memory. Each view file records the last epoch it holds
//! (Parquet key-value metadata `routinely.view.epoch`); a view left behind by a crash
//! between the rename of an epoch and the rewrite of the view is caught up at the next
//! commit or at startup (`abort_undecided`).

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, ArrowNativeTypeOp, ArrowPrimitiveType, PrimitiveArray, RecordBatch,
    RecordBatchOptions, make_array,
};
use arrow_data::ArrayData;
use arrow_data::transform::MutableArrayData;
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use routinely_operators::dataflow::load::{SinkError, TxnSink};
use routinely_operators::dataflow::{Decision, Epoch};
use routinely_operators::row::RejectedRow;
use routinely_schemas::table::AggregationType;
use routinely_schemas::{KeysType, TableSchema};

use super::{CommitOutcome, EpochCommitter};

/// Staging directory (under the table directory).
pub const STAGING_DIR: &str = "_staging";
/// Committed epochs (under the table directory).
pub const DATA_DIR: &str = "data";
/// Compacted view of UNIQUE / AGGREGATE tables (under the table directory).
pub const VIEW_DIR: &str = "view";
/// The table definition file.
pub const TABLE_FILE: &str = "_table.json";
/// The view file (under [`VIEW_DIR`]).
pub const VIEW_FILE: &str = "table.parquet";
/// Deleted keys of a UNIQUE table with a sequence column (under [`VIEW_DIR`]).
pub const DELETED_FILE: &str = "_deleted.parquet";
/// The hidden delete-sign column of MERGE / DELETE loads.
pub const DELETE_SIGN: &str = "__DORIS_DELETE_SIGN__";
/// Parquet key-value metadata of a view file: the last epoch it holds.
pub const VIEW_EPOCH_KEY: &str = "routinely.view.epoch";
const FORMAT: &str = "routinely-local-table/1";

/// Name of an epoch's directory: `epoch=` and the epoch in 20 digits.
pub fn epoch_dir_name(epoch: Epoch) -> String {
    format!("epoch={epoch:020}")
}

/// Name of a worker's Parquet file in an epoch directory.
pub fn part_file_name(worker: usize) -> String {
    format!("part-w{worker:05}.parquet")
}

/// Name of a worker's rejected-rows file in an epoch directory.
pub fn rejected_file_name(worker: usize) -> String {
    format!("_rejected-w{worker:05}.jsonl")
}

fn parse_epoch_dir(name: &str) -> Option<Epoch> {
    name.strip_prefix("epoch=")?.parse().ok()
}

fn parse_worker(name: &str, prefix: &str, suffix: &str) -> Option<usize> {
    name.strip_prefix(prefix)?
        .strip_suffix(suffix)?
        .parse()
        .ok()
}

fn err(what: impl fmt::Display, path: &Path, e: impl fmt::Display) -> SinkError {
    SinkError(format!("local table: {what} {}: {e}", path.display()))
}

fn fsync_dir(dir: &Path) -> Result<(), SinkError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| err("fsync", dir, e))
}

/// Epoch directories under `dir`, sorted by epoch. A missing `dir` has none.
fn list_epochs(dir: &Path) -> Result<Vec<(Epoch, PathBuf)>, SinkError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(err("list", dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| err("list", dir, e))?;
        if let Some(epoch) = entry.file_name().to_str().and_then(parse_epoch_dir) {
            out.push((epoch, entry.path()));
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Worker files `prefix<worker>suffix` in an epoch directory, sorted by worker.
fn list_worker_files(dir: &Path, prefix: &str, suffix: &str) -> Result<Vec<PathBuf>, SinkError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| err("list", dir, e))? {
        let entry = entry.map_err(|e| err("list", dir, e))?;
        if let Some(w) = entry
            .file_name()
            .to_str()
            .and_then(|n| parse_worker(n, prefix, suffix))
        {
            out.push((w, entry.path()));
        }
    }
    out.sort_unstable();
    Ok(out.into_iter().map(|(_, p)| p).collect())
}

/// Row-group limits of the Parquet writers: a writer never buffers more than about one row
/// group, whatever the epoch's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterLimits {
    /// Most rows in a row group.
    pub row_group_rows: usize,
    /// Most (estimated, encoded) bytes in a row group.
    pub row_group_bytes: usize,
}

impl Default for WriterLimits {
    fn default() -> Self {
        WriterLimits {
            row_group_rows: 64 * 1024,
            row_group_bytes: 32 << 20,
        }
    }
}

impl WriterLimits {
    fn properties(&self, metadata: Option<Vec<KeyValue>>) -> WriterProperties {
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(self.row_group_rows.max(1)))
            .set_max_row_group_bytes(Some(self.row_group_bytes.max(1)))
            .set_key_value_metadata(metadata)
            .build()
    }
}

/// What a table column does when rows with the same key meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Merge {
    Key,
    Replace,
    ReplaceIfNotNull,
    Sum,
    Max,
    Min,
}

/// The key model of a table, checked against the row path's schema.
#[derive(Debug, Clone)]
struct KeyModel {
    keys_type: KeysType,
    /// Table columns (the data files may add the delete sign after them).
    ncols: usize,
    keys: Vec<usize>,
    sequence: Option<usize>,
    merges: Vec<Merge>,
    /// The table's columns as Arrow fields (the view's schema).
    view_schema: SchemaRef,
}

/// Whether values of the type can be ordered (keys, sequence, MIN / MAX).
fn comparable(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Boolean
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal128(..)
            | DataType::Date32
            | DataType::Date64
            | DataType::Timestamp(..)
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Binary
            | DataType::FixedSizeBinary(_)
    )
}

fn summable(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal128(..)
    )
}

fn escape_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

/// Appends an order-preserving encoding of one value: comparing the encodings as bytes
/// compares the values (NULL first). The type must be [`comparable`].
fn encode_value(out: &mut Vec<u8>, a: &dyn Array, row: usize) {
    if a.is_null(row) {
        out.push(0);
        return;
    }
    out.push(1);
    let i64_be = |v: i64| ((v as u64) ^ (1 << 63)).to_be_bytes();
    match a.data_type() {
        DataType::Boolean => out.push(u8::from(a.as_boolean().value(row))),
        DataType::Int8 => out.push((a.as_primitive::<Int8Type>().value(row) as u8) ^ 0x80),
        DataType::Int16 => out.extend_from_slice(
            &((a.as_primitive::<Int16Type>().value(row) as u16) ^ 0x8000).to_be_bytes(),
        ),
        DataType::Int32 => out.extend_from_slice(
            &((a.as_primitive::<Int32Type>().value(row) as u32) ^ 0x8000_0000).to_be_bytes(),
        ),
        DataType::Date32 => out.extend_from_slice(
            &((a.as_primitive::<Date32Type>().value(row) as u32) ^ 0x8000_0000).to_be_bytes(),
        ),
        DataType::Int64 => out.extend_from_slice(&i64_be(a.as_primitive::<Int64Type>().value(row))),
        DataType::Date64 => {
            out.extend_from_slice(&i64_be(a.as_primitive::<Date64Type>().value(row)))
        }
        DataType::Timestamp(unit, _) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(row),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(row),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(row),
                TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(row),
            };
            out.extend_from_slice(&i64_be(v));
        }
        DataType::UInt8 => out.push(a.as_primitive::<UInt8Type>().value(row)),
        DataType::UInt16 => {
            out.extend_from_slice(&a.as_primitive::<UInt16Type>().value(row).to_be_bytes())
        }
        DataType::UInt32 => {
            out.extend_from_slice(&a.as_primitive::<UInt32Type>().value(row).to_be_bytes())
        }
        DataType::UInt64 => {
            out.extend_from_slice(&a.as_primitive::<UInt64Type>().value(row).to_be_bytes())
        }
        DataType::Float32 => {
            let b = a.as_primitive::<Float32Type>().value(row).to_bits();
            let b = if b >> 31 == 1 { !b } else { b | (1 << 31) };
            out.extend_from_slice(&b.to_be_bytes());
        }
        DataType::Float64 => {
            let b = a.as_primitive::<Float64Type>().value(row).to_bits();
            let b = if b >> 63 == 1 { !b } else { b | (1 << 63) };
            out.extend_from_slice(&b.to_be_bytes());
        }
        DataType::Decimal128(..) => {
            let v = a.as_primitive::<Decimal128Type>().value(row);
            out.extend_from_slice(&((v as u128) ^ (1 << 127)).to_be_bytes());
        }
        DataType::Utf8 => escape_bytes(out, a.as_string::<i32>().value(row).as_bytes()),
        DataType::LargeUtf8 => escape_bytes(out, a.as_string::<i64>().value(row).as_bytes()),
        DataType::Binary => escape_bytes(out, a.as_binary::<i32>().value(row)),
        DataType::FixedSizeBinary(_) => out.extend_from_slice(a.as_fixed_size_binary().value(row)),
        // Not comparable: refused when the table is opened.
        _ => {}
    }
}

fn same_shape(a: &Field, b: &Field) -> bool {
    a.name().eq_ignore_ascii_case(b.name()) && a.data_type() == b.data_type()
}

impl KeyModel {
    fn new(table: &TableSchema, schema: &Schema) -> Result<KeyModel, SinkError> {
        let fail = |m: String| SinkError(format!("local table `{}`: {m}", table.name));
        let ncols = table.columns.len();
        let fields = schema.fields();
        if fields.len() < ncols {
            return Err(fail(format!(
                "the row path's schema has {} fields for {ncols} table columns",
                fields.len()
            )));
        }
        for (i, c) in table.columns.iter().enumerate() {
            let f = &fields[i];
            let want = routinely_schemas::arrow::arrow_type(&c.ty);
            if !f.name().eq_ignore_ascii_case(&c.name) || *f.data_type() != want {
                return Err(fail(format!(
                    "field {i} of the row path's schema is `{}` {}, the table's column is `{}` {want}",
                    f.name(),
                    f.data_type(),
                    c.name
                )));
            }
        }
        match &fields[ncols..] {
            [] => {}
            [f] if f.name() == DELETE_SIGN && *f.data_type() == DataType::Int8 => {
                if table.keys_type != KeysType::Unique {
                    return Err(fail(format!(
                        "MERGE / DELETE loads need a UNIQUE KEY table, not {}",
                        table.keys_type.as_sql()
                    )));
                }
            }
            extra => {
                return Err(fail(format!(
                    "unexpected fields after the table's columns: {}",
                    extra
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        let view_schema = Arc::new(Schema::new_with_metadata(
            fields[..ncols].to_vec(),
            schema.metadata().clone(),
        ));
        let mut keys = Vec::new();
        for name in &table.key_columns {
            keys.push(
                table
                    .column_index(name)
                    .ok_or_else(|| fail(format!("key column `{name}` is not a column")))?,
            );
        }
        if keys.is_empty() {
            keys = (0..ncols).filter(|&i| table.columns[i].is_key).collect();
        }
        let mut merges = vec![Merge::Replace; ncols];
        let mut sequence = None;
        if table.keys_type != KeysType::Duplicate {
            if keys.is_empty() {
                return Err(fail(format!(
                    "a {} table needs key columns",
                    table.keys_type.as_sql()
                )));
            }
            for &k in &keys {
                merges[k] = Merge::Key;
                let c = &table.columns[k];
                if !comparable(fields[k].data_type()) {
                    return Err(fail(format!(
                        "key column `{}` of type {} cannot be compared by the local sink",
                        c.name, c.ty
                    )));
                }
            }
        }
        if table.keys_type == KeysType::Unique
            && let Some(name) = table.sequence_column()
        {
            let i = table
                .column_index(name)
                .ok_or_else(|| fail(format!("sequence column `{name}` is not a column")))?;
            if !comparable(fields[i].data_type()) {
                return Err(fail(format!(
                    "sequence column `{name}` of type {} cannot be compared",
                    table.columns[i].ty
                )));
            }
            sequence = Some(i);
        }
        if table.keys_type == KeysType::Aggregate {
            for (i, c) in table.columns.iter().enumerate() {
                if merges[i] == Merge::Key {
                    continue;
                }
                let dt = fields[i].data_type();
                let (merge, ok) = match c.aggregation {
                    Some(AggregationType::Sum) => (Merge::Sum, summable(dt)),
                    Some(AggregationType::Max) => (Merge::Max, comparable(dt)),
                    Some(AggregationType::Min) => (Merge::Min, comparable(dt)),
                    Some(AggregationType::Replace) => (Merge::Replace, true),
                    Some(AggregationType::ReplaceIfNotNull) => (Merge::ReplaceIfNotNull, true),
                    Some(other) => {
                        return Err(fail(format!(
                            "column `{}`: aggregation {} is not supported by the local sink",
                            c.name,
                            other.as_sql()
                        )));
                    }
                    None => {
                        return Err(fail(format!(
                            "value column `{}` of an AGGREGATE KEY table has no aggregation",
                            c.name
                        )));
                    }
                };
                if !ok {
                    return Err(fail(format!(
                        "column `{}`: {} of type {} is not supported",
                        c.name,
                        c.aggregation.map_or("", |a| a.as_sql()),
                        c.ty
                    )));
                }
                merges[i] = merge;
            }
        }
        Ok(KeyModel {
            keys_type: table.keys_type,
            ncols,
            keys,
            sequence,
            merges,
            view_schema,
        })
    }

    fn has_view(&self) -> bool {
        self.keys_type != KeysType::Duplicate
    }

    fn keeps_tombstones(&self) -> bool {
        self.keys_type == KeysType::Unique && self.sequence.is_some()
    }
}

/// The table definition kept in `_table.json`.
fn table_json(table: &TableSchema) -> serde_json::Value {
    serde_json::json!({
        "format": FORMAT,
        "database": table.database,
        "name": table.name,
        "keys_type": table.keys_type.as_sql(),
        "key_columns": table.key_columns,
        "sequence_column": table.sequence_column(),
        "columns": table.columns.iter().map(|c| serde_json::json!({
            "name": c.name,
            "type": c.ty.to_string(),
            "nullable": c.nullable,
            "key": c.is_key,
            "aggregation": c.aggregation.map(|a| a.as_sql()),
        })).collect::<Vec<_>>(),
        "properties": table.properties,
    })
}

/// The parts of a definition that must match for a directory to be the same table.
fn table_identity(v: &serde_json::Value) -> serde_json::Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("properties");
        o.remove("format");
    }
    v
}

fn read_table_json(dir: &Path) -> Result<Option<serde_json::Value>, SinkError> {
    let path = dir.join(TABLE_FILE);
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| err("parse", &path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(err("read", &path, e)),
    }
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename, fsync directory).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SinkError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    let mut f = File::create(&tmp).map_err(|e| err("create", &tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| err("write", &tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| err("rename into", path, e))?;
    fsync_dir(dir)
}

/// A Parquet file with its schema and key-value metadata, read whole.
struct ParquetFile {
    schema: SchemaRef,
    metadata: BTreeMap<String, String>,
    batches: Vec<RecordBatch>,
}

fn read_parquet(path: &Path) -> Result<ParquetFile, SinkError> {
    let file = File::open(path).map_err(|e| err("open", path, e))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| err("read", path, e))?;
    let schema = builder.schema().clone();
    let metadata = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kvs| {
            kvs.iter()
                .filter_map(|kv| Some((kv.key.clone(), kv.value.clone()?)))
                .collect()
        })
        .unwrap_or_default();
    let reader = builder
        .with_batch_size(8192)
        .build()
        .map_err(|e| err("read", path, e))?;
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err("read", path, e))?;
    Ok(ParquetFile {
        schema,
        metadata,
        batches,
    })
}

/// The local table of a job. Opened by every process that stages (for
/// [`LocalTable::worker_sink`]) and by the coordinator (as the [`EpochCommitter`]).
#[derive(Debug)]
pub struct LocalTable {
    dir: PathBuf,
    schema: SchemaRef,
    model: KeyModel,
    limits: WriterLimits,
    /// The view as last written by this table: (epoch, live rows, deleted rows).
    cache: Option<(Epoch, Vec<RecordBatch>, Vec<RecordBatch>)>,
}

impl LocalTable {
    /// Opens (creating if needed) the local table in `dir` for `table`, whose rows arrive
    /// with `schema` (the row path's output schema: the table's columns, then
    /// `__DORIS_DELETE_SIGN__` for MERGE / DELETE jobs). Writes `_table.json` the first time;
    /// refuses a directory holding a different table, and key models it cannot apply.
    pub fn open(
        dir: impl AsRef<Path>,
        table: &TableSchema,
        schema: SchemaRef,
    ) -> Result<LocalTable, SinkError> {
        let model = KeyModel::new(table, &schema)?;
        let dir = dir.as_ref();
        for sub in [STAGING_DIR, DATA_DIR, VIEW_DIR] {
            let d = dir.join(sub);
            fs::create_dir_all(&d).map_err(|e| err("create", &d, e))?;
        }
        let dir = dir.canonicalize().map_err(|e| err("resolve", dir, e))?;
        let def = table_json(table);
        match read_table_json(&dir)? {
            Some(existing) => {
                if table_identity(&existing) != table_identity(&def) {
                    let name = |v: &serde_json::Value| {
                        format!(
                            "{}{}",
                            v["database"]
                                .as_str()
                                .map(|d| format!("{d}."))
                                .unwrap_or_default(),
                            v["name"].as_str().unwrap_or("?")
                        )
                    };
                    return Err(SinkError(format!(
                        "local table {} holds table `{}`, which is not `{}` as defined now (name, key model, key columns, sequence column and columns must match)",
                        dir.display(),
                        name(&existing),
                        name(&def)
                    )));
                }
            }
            None => {
                let text = serde_json::to_vec_pretty(&def).unwrap_or_default();
                write_atomic(&dir.join(TABLE_FILE), &text)?;
            }
        }
        Ok(LocalTable {
            dir,
            schema,
            model,
            limits: WriterLimits::default(),
            cache: None,
        })
    }

    /// Sets the row-group limits of the worker sinks made from now on.
    pub fn with_limits(mut self, limits: WriterLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The table directory (canonical).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The staging directory of an epoch.
    pub fn staging_path(&self, epoch: Epoch) -> PathBuf {
        self.dir.join(STAGING_DIR).join(epoch_dir_name(epoch))
    }

    /// The directory of a committed epoch.
    pub fn data_path(&self, epoch: Epoch) -> PathBuf {
        self.dir.join(DATA_DIR).join(epoch_dir_name(epoch))
    }

    /// The worker side: stages `worker`'s share of each epoch.
    pub fn worker_sink(&self, worker: usize) -> LocalTxnSink {
        LocalTxnSink {
            staging: self.dir.join(STAGING_DIR),
            schema: self.schema.clone(),
            worker,
            limits: self.limits,
            open: BTreeMap::new(),
        }
    }

    /// The table as a reader sees it: DUPLICATE KEY, every committed epoch's rows in load
    /// order (epoch, worker, row); UNIQUE / AGGREGATE KEY, the view (nothing before the first
    /// commit).
    pub fn read_table(dir: impl AsRef<Path>) -> Result<Vec<RecordBatch>, SinkError> {
        let dir = dir.as_ref();
        let def = read_table_json(dir)?
            .ok_or_else(|| SinkError(format!("{} is not a local table", dir.display())))?;
        if def["keys_type"].as_str() == Some(KeysType::Duplicate.as_sql()) {
            let mut out = Vec::new();
            for (_, epoch_dir) in list_epochs(&dir.join(DATA_DIR))? {
                for path in list_worker_files(&epoch_dir, "part-w", ".parquet")? {
                    out.extend(read_parquet(&path)?.batches);
                }
            }
            Ok(out)
        } else {
            let path = dir.join(VIEW_DIR).join(VIEW_FILE);
            if !path.exists() {
                return Ok(Vec::new());
            }
            Ok(read_parquet(&path)?.batches)
        }
    }

    /// The filtered rows of every committed epoch, in load order.
    pub fn rejected(dir: impl AsRef<Path>) -> Result<Vec<RejectedRow>, SinkError> {
        let mut out = Vec::new();
        for (_, epoch_dir) in list_epochs(&dir.as_ref().join(DATA_DIR))? {
            for path in list_worker_files(&epoch_dir, "_rejected-w", ".jsonl")? {
                let file = File::open(&path).map_err(|e| err("open", &path, e))?;
                for line in BufReader::new(file).lines() {
                    let line = line.map_err(|e| err("read", &path, e))?;
                    if line.is_empty() {
                        continue;
                    }
                    out.push(serde_json::from_str(&line).map_err(|e| err("parse", &path, e))?);
                }
            }
        }
        Ok(out)
    }

    /// Brings the view up to date with the committed epochs (UNIQUE / AGGREGATE only):
    /// merges every committed epoch after the view's, stopping before an epoch that has a
    /// staged (decided, not yet committed) predecessor so that epochs merge in order.
    /// Returns the epochs merged.
    pub fn refresh_view(&mut self) -> Result<usize, SinkError> {
        if !self.model.has_view() {
            return Ok(0);
        }
        let (view_epoch, mut live, mut dead) = match self.cache.take() {
            Some((e, l, d)) => (Some(e), l, d),
            None => self.load_view()?,
        };
        let first_staged = list_epochs(&self.dir.join(STAGING_DIR))?
            .first()
            .map(|(e, _)| *e);
        let todo: Vec<(Epoch, PathBuf)> = list_epochs(&self.dir.join(DATA_DIR))?
            .into_iter()
            .filter(|(e, _)| view_epoch.is_none_or(|v| *e > v))
            .take_while(|(e, _)| first_staged.is_none_or(|s| *e < s))
            .collect();
        let Some(&(last, _)) = todo.last() else {
            if let Some(e) = view_epoch {
                self.cache = Some((e, live, dead));
            }
            return Ok(0);
        };
        let mut sources: Vec<Source> = Vec::new();
        for b in live.drain(..) {
            sources.push(Source::new(b, Deletes::None));
        }
        for b in dead.drain(..) {
            sources.push(Source::new(b, Deletes::All));
        }
        for (epoch, epoch_dir) in &todo {
            for path in list_worker_files(epoch_dir, "part-w", ".parquet")? {
                let file = read_parquet(&path)?;
                self.check_data_schema(&file.schema, &path, *epoch)?;
                let sign = file.schema.index_of(DELETE_SIGN).ok();
                if let Some(i) = sign
                    && *file.schema.field(i).data_type() != DataType::Int8
                {
                    return Err(SinkError(format!(
                        "local table: epoch {epoch}: {DELETE_SIGN} in {} is not Int8",
                        path.display()
                    )));
                }
                for b in file.batches {
                    let deletes = match sign {
                        Some(i) => Deletes::Column(b.column(i).clone()),
                        None => Deletes::None,
                    };
                    sources.push(Source::new(b, deletes));
                }
            }
        }
        let (live, dead) = merge(&self.model, &sources)?;
        let view_dir = self.dir.join(VIEW_DIR);
        let meta = vec![KeyValue::new(VIEW_EPOCH_KEY.to_string(), last.to_string())];
        if self.model.keeps_tombstones() {
            write_parquet_atomic(
                &view_dir.join(DELETED_FILE),
                &nullable(&self.model.view_schema),
                &dead,
                &self.limits,
                meta.clone(),
            )?;
        }
        write_parquet_atomic(
            &view_dir.join(VIEW_FILE),
            &self.model.view_schema,
            &live,
            &self.limits,
            meta,
        )?;
        fsync_dir(&view_dir)?;
        self.cache = Some((last, live, dead));
        Ok(todo.len())
    }

    fn check_data_schema(
        &self,
        schema: &Schema,
        path: &Path,
        epoch: Epoch,
    ) -> Result<(), SinkError> {
        let ok = schema.fields().len() >= self.model.ncols
            && self
                .model
                .view_schema
                .fields()
                .iter()
                .zip(schema.fields())
                .all(|(a, b)| same_shape(a, b));
        if ok {
            Ok(())
        } else {
            Err(SinkError(format!(
                "local table: epoch {epoch}: {} does not hold the table's columns",
                path.display()
            )))
        }
    }

    /// Reads the view files. Inconsistent files (a crash between the two renames) give no
    /// view: it is rebuilt from every committed epoch.
    fn load_view(&self) -> Result<(Option<Epoch>, Vec<RecordBatch>, Vec<RecordBatch>), SinkError> {
        let view_dir = self.dir.join(VIEW_DIR);
        let read = |name: &str| -> Result<Option<(Option<Epoch>, Vec<RecordBatch>)>, SinkError> {
            let path = view_dir.join(name);
            if !path.exists() {
                return Ok(None);
            }
            let f = read_parquet(&path)?;
            let ok = f.schema.fields().len() == self.model.ncols
                && self
                    .model
                    .view_schema
                    .fields()
                    .iter()
                    .zip(f.schema.fields())
                    .all(|(a, b)| same_shape(a, b));
            if !ok {
                return Err(SinkError(format!(
                    "local table: {} does not hold the table's columns",
                    path.display()
                )));
            }
            let epoch = f.metadata.get(VIEW_EPOCH_KEY).and_then(|e| e.parse().ok());
            Ok(Some((epoch, f.batches)))
        };
        let Some((epoch, live)) = read(VIEW_FILE)? else {
            return Ok((None, Vec::new(), Vec::new()));
        };
        let Some(epoch) = epoch else {
            return Ok((None, Vec::new(), Vec::new()));
        };
        if !self.model.keeps_tombstones() {
            return Ok((Some(epoch), live, Vec::new()));
        }
        match read(DELETED_FILE)? {
            Some((Some(e), dead)) if e == epoch => Ok((Some(epoch), live, dead)),
            _ => Ok((None, Vec::new(), Vec::new())),
        }
    }
}

fn nullable(schema: &SchemaRef) -> SchemaRef {
    Arc::new(Schema::new_with_metadata(
        schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
        schema.metadata().clone(),
    ))
}

fn write_parquet_atomic(
    path: &Path,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    limits: &WriterLimits,
    metadata: Vec<KeyValue>,
) -> Result<(), SinkError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("view"),
        std::process::id()
    ));
    let file = File::create(&tmp).map_err(|e| err("create", &tmp, e))?;
    let mut w = ArrowWriter::try_new(
        file,
        schema.clone(),
        Some(limits.properties(Some(metadata))),
    )
    .map_err(|e| err("write", &tmp, e))?;
    for b in batches {
        let b = RecordBatch::try_new(schema.clone(), b.columns().to_vec())
            .map_err(|e| err("write", &tmp, e))?;
        w.write(&b).map_err(|e| err("write", &tmp, e))?;
    }
    let file = w.into_inner().map_err(|e| err("close", &tmp, e))?;
    file.sync_all().map_err(|e| err("fsync", &tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| err("rename into", path, e))
}

/// Which rows of a source delete their key.
enum Deletes {
    None,
    All,
    Column(ArrayRef),
}

/// A batch of rows entering a merge.
struct Source {
    batch: RecordBatch,
    deletes: Deletes,
}

impl Source {
    fn new(batch: RecordBatch, deletes: Deletes) -> Self {
        Source { batch, deletes }
    }

    fn deleted(&self, row: usize) -> bool {
        match &self.deletes {
            Deletes::None => false,
            Deletes::All => true,
            Deletes::Column(c) => {
                let c = c.as_primitive::<Int8Type>();
                c.is_valid(row) && c.value(row) == 1
            }
        }
    }
}

/// A row of a merge: (source, row).
type RowRef = (u32, u32);

/// Rows per output batch of a merge.
const OUT_ROWS: usize = 64 * 1024;

/// Merges sources (in load order) by key. Returns the live rows and, for UNIQUE tables with
/// a sequence column, the deleted keys' rows; both sorted by key, with the table's columns.
fn merge(
    model: &KeyModel,
    sources: &[Source],
) -> Result<(Vec<RecordBatch>, Vec<RecordBatch>), SinkError> {
    let mut key = Vec::new();
    let encode_key = |s: &Source, row: usize, key: &mut Vec<u8>| {
        key.clear();
        for &k in &model.keys {
            encode_value(key, s.batch.column(k).as_ref(), row);
        }
    };
    match model.keys_type {
        KeysType::Duplicate => Err(SinkError("a DUPLICATE KEY table has no view".into())),
        KeysType::Unique => {
            struct Slot {
                at: RowRef,
                deleted: bool,
                seq: Vec<u8>,
            }
            let mut slots: BTreeMap<Vec<u8>, Slot> = BTreeMap::new();
            let mut seq = Vec::new();
            for (si, s) in sources.iter().enumerate() {
                for row in 0..s.batch.num_rows() {
                    encode_key(s, row, &mut key);
                    seq.clear();
                    if let Some(c) = model.sequence {
                        encode_value(&mut seq, s.batch.column(c).as_ref(), row);
                    }
                    let deleted = s.deleted(row);
                    let at = (si as u32, row as u32);
                    match slots.get_mut(key.as_slice()) {
                        Some(slot) => {
                            if model.sequence.is_some() && seq < slot.seq {
                                continue;
                            }
                            slot.at = at;
                            slot.deleted = deleted;
                            slot.seq.clone_from(&seq);
                        }
                        None => {
                            slots.insert(
                                key.clone(),
                                Slot {
                                    at,
                                    deleted,
                                    seq: seq.clone(),
                                },
                            );
                        }
                    }
                }
            }
            let (mut live, mut dead) = (Vec::new(), Vec::new());
            for slot in slots.values() {
                if !slot.deleted {
                    live.push(slot.at);
                } else if model.keeps_tombstones() {
                    dead.push(slot.at);
                }
            }
            let columns: Vec<Merge> = vec![Merge::Replace; model.ncols];
            let live: Vec<&[RowRef]> = live.iter().map(std::slice::from_ref).collect();
            let dead: Vec<&[RowRef]> = dead.iter().map(std::slice::from_ref).collect();
            Ok((
                assemble(model, &columns, sources, &live, &model.view_schema)?,
                assemble(
                    model,
                    &columns,
                    sources,
                    &dead,
                    &nullable(&model.view_schema),
                )?,
            ))
        }
        KeysType::Aggregate => {
            let mut groups: BTreeMap<Vec<u8>, Vec<RowRef>> = BTreeMap::new();
            for (si, s) in sources.iter().enumerate() {
                for row in 0..s.batch.num_rows() {
                    encode_key(s, row, &mut key);
                    let at = (si as u32, row as u32);
                    match groups.get_mut(key.as_slice()) {
                        Some(g) => g.push(at),
                        None => {
                            groups.insert(key.clone(), vec![at]);
                        }
                    }
                }
            }
            let groups: Vec<&[RowRef]> = groups.values().map(Vec::as_slice).collect();
            Ok((
                assemble(model, &model.merges, sources, &groups, &model.view_schema)?,
                Vec::new(),
            ))
        }
    }
}

/// Builds the output batches: one row per group, each column merged by its [`Merge`].
fn assemble(
    model: &KeyModel,
    merges: &[Merge],
    sources: &[Source],
    groups: &[&[RowRef]],
    schema: &SchemaRef,
) -> Result<Vec<RecordBatch>, SinkError> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let chunks: Vec<&[&[RowRef]]> = groups.chunks(OUT_ROWS).collect();
    let mut columns: Vec<Vec<ArrayRef>> = vec![Vec::with_capacity(model.ncols); chunks.len()];
    for (c, merge) in merges.iter().enumerate().take(model.ncols) {
        let arrays: Vec<&ArrayRef> = sources.iter().map(|s| s.batch.column(c)).collect();
        let data: Vec<ArrayData> = arrays.iter().map(|a| a.to_data()).collect();
        let dt = schema.field(c).data_type();
        for (i, chunk) in chunks.iter().enumerate() {
            let col = match merge {
                Merge::Sum => sum(&arrays, chunk, dt)?,
                _ => {
                    let picks: Vec<RowRef> =
                        chunk.iter().map(|g| pick(*merge, &arrays, g)).collect();
                    take(&data, &picks)?
                }
            };
            columns[i].push(col);
        }
    }
    columns
        .into_iter()
        .map(|cols| {
            let rows = cols.first().map_or(0, |c| c.len());
            RecordBatch::try_new_with_options(
                schema.clone(),
                cols,
                &RecordBatchOptions::new().with_row_count(Some(rows)),
            )
            .map_err(|e| SinkError(format!("local table: building the view: {e}")))
        })
        .collect()
}

/// The row of a group whose value a picking merge keeps.
fn pick(merge: Merge, arrays: &[&ArrayRef], group: &[RowRef]) -> RowRef {
    let valid = |&(s, r): &RowRef| arrays[s as usize].is_valid(r as usize);
    match merge {
        Merge::Key => group[0],
        Merge::Replace | Merge::Sum => group[group.len() - 1],
        Merge::ReplaceIfNotNull => group.iter().rev().copied().find(valid).unwrap_or(group[0]),
        Merge::Max | Merge::Min => {
            let mut best: Option<(RowRef, Vec<u8>)> = None;
            let mut buf = Vec::new();
            for at in group.iter().copied().filter(valid) {
                buf.clear();
                encode_value(&mut buf, arrays[at.0 as usize].as_ref(), at.1 as usize);
                let better = match &best {
                    None => true,
                    Some((_, b)) if merge == Merge::Max => buf > *b,
                    Some((_, b)) => buf < *b,
                };
                if better {
                    best = Some((at, buf.clone()));
                }
            }
            best.map_or(group[0], |(at, _)| at)
        }
    }
}

/// Gathers rows from several arrays of one type.
fn take(data: &[ArrayData], picks: &[RowRef]) -> Result<ArrayRef, SinkError> {
    let refs: Vec<&ArrayData> = data.iter().collect();
    let mut m = MutableArrayData::new(refs, true, picks.len());
    let mut i = 0;
    while i < picks.len() {
        // Runs of consecutive rows of one source are copied at once.
        let (s, start) = picks[i];
        let mut end = start + 1;
        i += 1;
        while i < picks.len() && picks[i] == (s, end) {
            end += 1;
            i += 1;
        }
        m.try_extend(s as usize, start as usize, end as usize)
            .map_err(|e| SinkError(format!("local table: building the view: {e}")))?;
    }
    Ok(make_array(m.freeze()))
}

fn sum_typed<T: ArrowPrimitiveType>(
    arrays: &[&ArrayRef],
    groups: &[&[RowRef]],
    dt: &DataType,
) -> ArrayRef {
    let arrays: Vec<&PrimitiveArray<T>> = arrays.iter().map(|a| a.as_primitive::<T>()).collect();
    let out: PrimitiveArray<T> = groups
        .iter()
        .map(|g| {
            let mut acc: Option<T::Native> = None;
            for &(s, r) in g.iter() {
                let a = arrays[s as usize];
                if a.is_valid(r as usize) {
                    let v = a.value(r as usize);
                    acc = Some(acc.map_or(v, |x| x.add_wrapping(v)));
                }
            }
            acc
        })
        .collect();
    Arc::new(out.with_data_type(dt.clone()))
}

fn sum(arrays: &[&ArrayRef], groups: &[&[RowRef]], dt: &DataType) -> Result<ArrayRef, SinkError> {
    Ok(match dt {
        DataType::Int8 => sum_typed::<Int8Type>(arrays, groups, dt),
        DataType::Int16 => sum_typed::<Int16Type>(arrays, groups, dt),
        DataType::Int32 => sum_typed::<Int32Type>(arrays, groups, dt),
        DataType::Int64 => sum_typed::<Int64Type>(arrays, groups, dt),
        DataType::UInt8 => sum_typed::<UInt8Type>(arrays, groups, dt),
        DataType::UInt16 => sum_typed::<UInt16Type>(arrays, groups, dt),
        DataType::UInt32 => sum_typed::<UInt32Type>(arrays, groups, dt),
        DataType::UInt64 => sum_typed::<UInt64Type>(arrays, groups, dt),
        DataType::Float32 => sum_typed::<Float32Type>(arrays, groups, dt),
        DataType::Float64 => sum_typed::<Float64Type>(arrays, groups, dt),
        DataType::Decimal128(..) => sum_typed::<Decimal128Type>(arrays, groups, dt),
        other => {
            return Err(SinkError(format!(
                "local table: SUM of {other} is not supported"
            )));
        }
    })
}

impl EpochCommitter for LocalTable {
    /// Renames `_staging/epoch=E` to `data/epoch=E` (one `rename`), fsyncs, then brings the
    /// view up to date. Already committed: `Ok`. No handles and nothing staged: nothing to
    /// do (no directory is made for an empty epoch).
    fn commit(&mut self, decision: &Decision) -> Result<CommitOutcome, SinkError> {
        let epoch = decision.epoch;
        let name = epoch_dir_name(epoch);
        let staged = self.staging_path(epoch);
        let target = self.data_path(epoch);
        let handles: Vec<_> = decision
            .precommits
            .iter()
            .filter(|p| !p.handle.is_empty())
            .collect();
        for p in &handles {
            if Path::new(&p.handle).file_name().and_then(|n| n.to_str()) != Some(name.as_str()) {
                return Err(SinkError(format!(
                    "local table: epoch {epoch}: worker {}'s handle `{}` is not a staging of this epoch",
                    p.worker, p.handle
                )));
            }
        }
        if target.exists() {
            // Committed before (a retry or a restart).
        } else if staged.exists() {
            for p in &handles {
                let part = staged.join(part_file_name(p.worker));
                if !part.exists() {
                    return Err(SinkError(format!(
                        "local table: epoch {epoch}: worker {}'s staged file {} is missing",
                        p.worker,
                        part.display()
                    )));
                }
            }
            fs::rename(&staged, &target).map_err(|e| err("commit (rename)", &staged, e))?;
            fsync_dir(&self.dir.join(DATA_DIR))?;
            fsync_dir(&self.dir.join(STAGING_DIR))?;
        } else if !handles.is_empty() {
            return Err(SinkError(format!(
                "local table: epoch {epoch} was decided with {} staged transaction(s), but neither {} nor {} exists",
                handles.len(),
                staged.display(),
                target.display()
            )));
        }
        self.refresh_view()?;
        Ok(CommitOutcome::Committed {
            visible_at_ms: Some(crate::progress::now_ms()),
        })
    }

    /// Removes the staging of every epoch after `last_decided`, and stale staging of epochs
    /// already committed. Refuses a table holding committed epochs after `last_decided` (it
    /// belongs to another job's progress). Then catches the view up.
    fn abort_undecided(&mut self, last_decided: Option<u64>) -> Result<usize, SinkError> {
        if let Some((max, _)) = list_epochs(&self.dir.join(DATA_DIR))?.last()
            && last_decided.is_none_or(|l| *max > l)
        {
            return Err(SinkError(format!(
                "local table {} holds committed epoch {max}, but the progress store's last decided epoch is {}: the table belongs to another job's progress (use a new directory, or the job's own state directory)",
                self.dir.display(),
                last_decided.map_or("none".to_string(), |l| l.to_string())
            )));
        }
        let mut removed = 0;
        for (epoch, path) in list_epochs(&self.dir.join(STAGING_DIR))? {
            let undecided = last_decided.is_none_or(|l| epoch > l);
            if undecided || self.data_path(epoch).exists() {
                fs::remove_dir_all(&path).map_err(|e| err("remove", &path, e))?;
                removed += 1;
            }
        }
        if removed > 0 {
            fsync_dir(&self.dir.join(STAGING_DIR))?;
        }
        // Temporary files of an interrupted view rewrite.
        let view_dir = self.dir.join(VIEW_DIR);
        if let Ok(entries) = fs::read_dir(&view_dir) {
            for entry in entries.flatten() {
                if entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with('.'))
                {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        self.cache = None;
        self.refresh_view()?;
        Ok(removed)
    }
}

/// One epoch being staged by a worker.
struct EpochFiles {
    dir: PathBuf,
    rows: Option<ArrowWriter<File>>,
    rejected: Option<BufWriter<File>>,
}

/// The worker side of a [`LocalTable`]: stages the worker's share of each epoch in
/// `_staging/epoch=E/part-w<worker>.parquet` (streamed: at most about one row group is
/// buffered) and `_rejected-w<worker>.jsonl`. Several epochs may be open at once.
pub struct LocalTxnSink {
    staging: PathBuf,
    schema: SchemaRef,
    worker: usize,
    limits: WriterLimits,
    open: BTreeMap<Epoch, EpochFiles>,
}

impl fmt::Debug for LocalTxnSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalTxnSink")
            .field("staging", &self.staging)
            .field("worker", &self.worker)
            .field("open", &self.open.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl LocalTxnSink {
    /// Bytes buffered by the open Parquet writers (the row groups in progress).
    pub fn buffered_bytes(&self) -> usize {
        self.open
            .values()
            .filter_map(|f| f.rows.as_ref())
            .map(|w| w.memory_size().max(w.in_progress_size()))
            .sum()
    }

    fn files(&mut self, epoch: Epoch) -> Result<&mut EpochFiles, SinkError> {
        self.open
            .get_mut(&epoch)
            .ok_or_else(|| SinkError(format!("local table: epoch {epoch} was not begun")))
    }
}

impl TxnSink for LocalTxnSink {
    fn begin(&mut self, epoch: Epoch) -> Result<(), SinkError> {
        if self.open.contains_key(&epoch) {
            return Ok(());
        }
        let dir = self.staging.join(epoch_dir_name(epoch));
        fs::create_dir_all(&dir).map_err(|e| err("create", &dir, e))?;
        // A stale file from an attempt that was never decided must not survive.
        let rejected = dir.join(rejected_file_name(self.worker));
        match fs::remove_file(&rejected) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err("remove", &rejected, e)),
        }
        let path = dir.join(part_file_name(self.worker));
        let file = File::create(&path).map_err(|e| err("create", &path, e))?;
        let writer = ArrowWriter::try_new(
            file,
            self.schema.clone(),
            Some(self.limits.properties(None)),
        )
        .map_err(|e| err("start", &path, e))?;
        self.open.insert(
            epoch,
            EpochFiles {
                dir,
                rows: Some(writer),
                rejected: None,
            },
        );
        Ok(())
    }

    fn write(&mut self, epoch: Epoch, batch: &RecordBatch) -> Result<(), SinkError> {
        let schema = self.schema.clone();
        let worker = self.worker;
        let files = self.files(epoch)?;
        let path = files.dir.join(part_file_name(worker));
        let writer = files
            .rows
            .as_mut()
            .ok_or_else(|| SinkError(format!("local table: epoch {epoch} is closed")))?;
        if !Arc::ptr_eq(batch.schema_ref(), &schema) && batch.schema_ref() != &schema {
            let fits = batch.num_columns() == schema.fields().len()
                && schema
                    .fields()
                    .iter()
                    .zip(batch.schema_ref().fields())
                    .all(|(a, b)| same_shape(a, b));
            if !fits {
                return Err(SinkError(format!(
                    "local table: epoch {epoch}: a batch with schema {} does not fit the table's {}",
                    batch.schema_ref(),
                    schema
                )));
            }
        }
        writer.write(batch).map_err(|e| err("write", &path, e))
    }

    fn write_rejected(&mut self, epoch: Epoch, rows: &[RejectedRow]) -> Result<(), SinkError> {
        let worker = self.worker;
        let files = self.files(epoch)?;
        let path = files.dir.join(rejected_file_name(worker));
        if files.rejected.is_none() {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| err("create", &path, e))?;
            files.rejected = Some(BufWriter::new(f));
        }
        let Some(w) = files.rejected.as_mut() else {
            return Ok(());
        };
        for row in rows {
            serde_json::to_writer(&mut *w, row).map_err(|e| err("write", &path, e))?;
            w.write_all(b"\n").map_err(|e| err("write", &path, e))?;
        }
        Ok(())
    }

    fn precommit(&mut self, epoch: Epoch) -> Result<String, SinkError> {
        let worker = self.worker;
        let files = self
            .open
            .remove(&epoch)
            .ok_or_else(|| SinkError(format!("local table: epoch {epoch} was not begun")))?;
        if let Some(w) = files.rows {
            let path = files.dir.join(part_file_name(worker));
            let file = w.into_inner().map_err(|e| err("close", &path, e))?;
            file.sync_all().map_err(|e| err("fsync", &path, e))?;
        }
        if let Some(w) = files.rejected {
            let path = files.dir.join(rejected_file_name(worker));
            let file = w.into_inner().map_err(|e| err("flush", &path, e.error()))?;
            file.sync_all().map_err(|e| err("fsync", &path, e))?;
        }
        fsync_dir(&files.dir)?;
        fsync_dir(&self.staging)?;
        Ok(files.dir.to_string_lossy().into_owned())
    }
}
