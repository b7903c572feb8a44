//! The local table sink: workers stage epochs as Parquet, the coordinator commits each with
//! one rename (idempotently), undecided staging is dropped at startup, a reader never sees
//! half an epoch, and UNIQUE / AGGREGATE KEY tables are applied the way Doris applies them
//! (doris-spec.md §8): replace in load order, sequence column, delete sign, SUM / MAX / MIN /
//! REPLACE / REPLACE_IF_NOT_NULL.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, Int8Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use routinely_operators::dataflow::{Decision, PreCommit};
use routinely_operators::row::{RejectedRow, RowCounts};
use routinely_pipeline::sink::local::{
    self, DELETE_SIGN, LocalTable, LocalTxnSink, WriterLimits, epoch_dir_name,
};
use routinely_pipeline::sink::null::{NullCommitter, NullSink};
use routinely_pipeline::sink::{EpochCommitter, SinkSpec, TxnSink};
use routinely_schemas::arrow::{DORIS_TYPE_KEY, arrow_schema};
use routinely_schemas::table::AggregationType;
use routinely_schemas::{Column, DorisType, KeysType, TableSchema};

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!(
        "routinely-local-{}-{name}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    TempDir(dir)
}

/// A directory removed when the test is done with it.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn column(name: &str, ty: DorisType, key: bool, agg: Option<AggregationType>) -> Column {
    let mut c = Column::new(name, ty);
    c.is_key = key;
    c.aggregation = agg;
    c
}

fn table(keys_type: KeysType, columns: Vec<Column>, properties: Vec<(&str, &str)>) -> TableSchema {
    TableSchema {
        database: Some("db".into()),
        name: "t".into(),
        key_columns: columns
            .iter()
            .filter(|c| c.is_key)
            .map(|c| c.name.clone())
            .collect(),
        columns,
        keys_type,
        partition_by: None,
        distributed_by: None,
        properties: properties
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        comment: None,
        warnings: vec![],
    }
}

/// `k INT, v VARCHAR` with the given model.
fn kv_table(keys_type: KeysType) -> TableSchema {
    table(
        keys_type,
        vec![
            column("k", DorisType::Int, true, None),
            column("v", DorisType::Varchar { len: 32 }, false, None),
        ],
        vec![],
    )
}

fn schema_of(t: &TableSchema, delete_sign: bool) -> SchemaRef {
    let mut fields: Vec<Field> = arrow_schema(t)
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    if delete_sign {
        fields.push(Field::new(DELETE_SIGN, DataType::Int8, false));
    }
    Arc::new(Schema::new(fields))
}

fn kv_batch(schema: &SchemaRef, rows: &[(i32, Option<&str>)]) -> RecordBatch {
    RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.0))) as ArrayRef,
            Arc::new(StringArray::from_iter(rows.iter().map(|r| r.1))),
        ],
    )
    .unwrap()
}

/// Rows of `k INT, v VARCHAR` batches.
fn kv_rows(batches: &[RecordBatch]) -> Vec<(i32, Option<String>)> {
    let mut out = Vec::new();
    for b in batches {
        let k = b.column(0).as_primitive::<Int32Type>();
        let v = b.column(1).as_string::<i32>();
        for i in 0..b.num_rows() {
            out.push((k.value(i), v.is_valid(i).then(|| v.value(i).to_string())));
        }
    }
    out
}

fn owned(rows: &[(i32, &str)]) -> Vec<(i32, Option<String>)> {
    rows.iter()
        .map(|(k, v)| (*k, Some(v.to_string())))
        .collect()
}

fn precommit(epoch: u64, worker: usize, handle: String) -> PreCommit {
    PreCommit {
        epoch,
        worker,
        handle,
        counts: RowCounts::default(),
        ranges: vec![],
    }
}

/// Stages `batches` of each worker for `epoch` and returns the decision.
fn stage(sinks: &mut [LocalTxnSink], epoch: u64, batches: &[Vec<RecordBatch>]) -> Decision {
    let mut precommits = Vec::new();
    for (w, (sink, batches)) in sinks.iter_mut().zip(batches).enumerate() {
        if batches.is_empty() {
            precommits.push(precommit(epoch, w, String::new()));
            continue;
        }
        sink.begin(epoch).unwrap();
        for b in batches {
            sink.write(epoch, b).unwrap();
        }
        precommits.push(precommit(epoch, w, sink.precommit(epoch).unwrap()));
    }
    Decision { epoch, precommits }
}

/// Rows visible through the glob `data/*/*.parquet`.
fn glob_rows(dir: &Path) -> usize {
    let mut rows = 0;
    let Ok(epochs) = fs::read_dir(dir.join("data")) else {
        return 0;
    };
    for e in epochs.flatten() {
        let Ok(files) = fs::read_dir(e.path()) else {
            continue; // renamed away under us: not possible for data/, but harmless
        };
        for f in files.flatten() {
            if f.path().extension().and_then(|x| x.to_str()) == Some("parquet") {
                let file = File::open(f.path()).unwrap();
                let r = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
                rows += r.metadata().file_metadata().num_rows() as usize;
            }
        }
    }
    rows
}

#[test]
fn duplicate_two_workers_stage_commit_read() {
    let dir = temp_dir("dup");
    let t = kv_table(KeysType::Duplicate);
    let schema = schema_of(&t, false);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    let mut sinks = [table.worker_sink(0), table.worker_sink(1)];

    let d0 = stage(
        &mut sinks,
        0,
        &[
            vec![
                kv_batch(&schema, &[(1, Some("a")), (2, None)]),
                kv_batch(&schema, &[(3, Some("c"))]),
            ],
            vec![kv_batch(&schema, &[(1, Some("x"))])],
        ],
    );
    let staged = table.staging_path(0);
    assert_eq!(d0.precommits[0].handle, staged.to_string_lossy());
    assert!(staged.join("part-w00000.parquet").exists());
    assert!(staged.join("part-w00001.parquet").exists());
    // Staged, decided or not: invisible.
    assert_eq!(glob_rows(&dir), 0);
    assert!(LocalTable::read_table(&dir).unwrap().is_empty());

    table.commit(&d0).unwrap();
    assert!(!staged.exists());
    assert!(dir.join("data").join(epoch_dir_name(0)).is_dir());
    assert_eq!(glob_rows(&dir), 4);

    // Epoch 1: only worker 1 has rows.
    let d1 = stage(
        &mut sinks,
        1,
        &[vec![], vec![kv_batch(&schema, &[(9, Some("z"))])]],
    );
    table.commit(&d1).unwrap();
    // Epoch 2: nobody staged anything: no directory.
    let d2 = stage(&mut sinks, 2, &[vec![], vec![]]);
    table.commit(&d2).unwrap();
    assert!(!dir.join("data").join(epoch_dir_name(2)).exists());

    let rows = kv_rows(&LocalTable::read_table(&dir).unwrap());
    assert_eq!(
        rows,
        vec![
            (1, Some("a".into())),
            (2, None),
            (3, Some("c".into())),
            (1, Some("x".into())),
            (9, Some("z".into())),
        ]
    );
    let def: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("_table.json")).unwrap()).unwrap();
    assert_eq!(def["keys_type"], "DUPLICATE KEY");
    assert_eq!(def["columns"][1]["type"], "VARCHAR(32)");
}

#[test]
fn commit_is_idempotent() {
    let dir = temp_dir("idem");
    let t = kv_table(KeysType::Duplicate);
    let schema = schema_of(&t, false);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    let mut sinks = [table.worker_sink(0)];
    let d = stage(&mut sinks, 0, &[vec![kv_batch(&schema, &[(1, Some("a"))])]]);
    table.commit(&d).unwrap();
    table.commit(&d).unwrap();
    // Another instance (a restart) commits the decision again.
    let mut again = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    again.commit(&d).unwrap();
    assert_eq!(
        kv_rows(&LocalTable::read_table(&dir).unwrap()),
        owned(&[(1, "a")])
    );

    // A handle that is not this epoch's staging is refused.
    let mut wrong = d.clone();
    wrong.epoch = 1;
    let e = again.commit(&wrong).unwrap_err();
    assert!(e.0.contains("not a staging of this epoch"), "{e}");
    // A decided epoch whose staging vanished is an error, not a silent success.
    let mut lost = d.clone();
    lost.epoch = 5;
    lost.precommits[0].handle = again.staging_path(5).to_string_lossy().into_owned();
    let e = again.commit(&lost).unwrap_err();
    assert!(e.0.contains("neither"), "{e}");
}

#[test]
fn abort_undecided_drops_staging_after_the_last_decision() {
    let dir = temp_dir("abort");
    let t = kv_table(KeysType::Duplicate);
    let schema = schema_of(&t, false);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    let mut sinks = [table.worker_sink(0)];
    let batch = kv_batch(&schema, &[(1, Some("a"))]);
    let d0 = stage(&mut sinks, 0, &[vec![batch.clone()]]);
    let d1 = stage(&mut sinks, 1, &[vec![batch.clone()]]);
    let _d2 = stage(&mut sinks, 2, &[vec![batch.clone()]]);
    // Epoch 3 begun, never pre-committed (a crash mid-epoch).
    sinks[0].begin(3).unwrap();
    sinks[0].write(3, &batch).unwrap();
    drop(sinks);
    table.commit(&d0).unwrap();
    // A stale staging of the committed epoch 0 (cannot normally happen).
    fs::create_dir_all(table.staging_path(0)).unwrap();

    // Restart: epochs 0 and 1 are decided (1 not committed); 2 and 3 were not.
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    assert_eq!(table.abort_undecided(Some(1)).unwrap(), 3);
    assert!(!table.staging_path(0).exists());
    assert!(table.staging_path(1).exists());
    assert!(!table.staging_path(2).exists());
    assert!(!table.staging_path(3).exists());
    table.commit(&d1).unwrap();
    assert_eq!(LocalTable::read_table(&dir).unwrap().len(), 2);

    // A progress store that knows fewer epochs than the table: another job's table.
    let e = table.abort_undecided(Some(0)).unwrap_err();
    assert!(e.0.contains("belongs to another job"), "{e}");
    let e = table.abort_undecided(None).unwrap_err();
    assert!(e.0.contains("holds committed epoch 1"), "{e}");
}

#[test]
fn a_reader_sees_all_of_an_epoch_or_none() {
    let dir = temp_dir("atomic");
    let t = kv_table(KeysType::Duplicate);
    let schema = schema_of(&t, false);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    let mut sinks = [
        table.worker_sink(0),
        table.worker_sink(1),
        table.worker_sink(2),
    ];
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let dir = dir.to_path_buf();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut seen = BTreeSet::new();
            while !done.load(Ordering::Relaxed) {
                seen.insert(glob_rows(&dir));
            }
            seen.insert(glob_rows(&dir));
            seen
        })
    };
    // Epoch e holds 3 workers × (e + 1) batches of 10 rows.
    let mut totals = BTreeSet::from([0usize]);
    let mut total = 0;
    for e in 0..30u64 {
        let per_worker: Vec<Vec<RecordBatch>> = (0..3)
            .map(|w| {
                (0..=e)
                    .map(|_| {
                        kv_batch(
                            &schema,
                            &(0..10)
                                .map(|i| (w * 100 + i, Some("r")))
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect()
            })
            .collect();
        let d = stage(&mut sinks, e, &per_worker);
        table.commit(&d).unwrap();
        total += 3 * 10 * (e as usize + 1);
        totals.insert(total);
    }
    done.store(true, Ordering::Relaxed);
    let seen = reader.join().unwrap();
    assert!(seen.contains(&total));
    for s in &seen {
        assert!(
            totals.contains(s),
            "a reader saw {s} rows: part of an epoch"
        );
    }
}

#[test]
fn unique_replaces_in_load_order() {
    let dir = temp_dir("unique");
    let t = kv_table(KeysType::Unique);
    let schema = schema_of(&t, false);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    let mut sinks = [table.worker_sink(0), table.worker_sink(1)];
    let d = stage(
        &mut sinks,
        0,
        &[
            vec![kv_batch(
                &schema,
                &[(2, Some("b")), (1, Some("a")), (1, Some("c"))],
            )],
            vec![],
        ],
    );
    table.commit(&d).unwrap();
    assert_eq!(
        kv_rows(&LocalTable::read_table(&dir).unwrap()),
        owned(&[(1, "c"), (2, "b")])
    );
    // Same key from two workers in one epoch: worker order decides.
    let d = stage(
        &mut sinks,
        1,
        &[
            vec![kv_batch(&schema, &[(2, Some("x")), (3, None)])],
            vec![kv_batch(&schema, &[(2, Some("y"))])],
        ],
    );
    table.commit(&d).unwrap();
    assert_eq!(
        kv_rows(&LocalTable::read_table(&dir).unwrap()),
        vec![(1, Some("c".into())), (2, Some("y".into())), (3, None)]
    );
    // The data directory keeps every loaded row; the view is the table.
    assert_eq!(glob_rows(&dir), 6);
    let view = dir.join("view").join("table.parquet");
    let r = ParquetRecordBatchReaderBuilder::try_new(File::open(&view).unwrap()).unwrap();
    assert_eq!(r.schema().fields().len(), 2);
    let meta = r.metadata().file_metadata().key_value_metadata().unwrap();
    assert!(
        meta.iter()
            .any(|kv| kv.key == local::VIEW_EPOCH_KEY && kv.value.as_deref() == Some("1"))
    );
}

/// `k INT, seq BIGINT, v VARCHAR` UNIQUE KEY with `seq` as the sequence column, loaded with
/// a delete sign.
fn seq_table() -> TableSchema {
    table(
        KeysType::Unique,
        vec![
            column("k", DorisType::Int, true, None),
            column("seq", DorisType::BigInt, false, None),
            column("v", DorisType::Varchar { len: 32 }, false, None),
        ],
        vec![("function_column.sequence_col", "seq")],
    )
}

fn seq_batch(schema: &SchemaRef, rows: &[(i32, i64, &str, i8)]) -> RecordBatch {
    RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.0))) as ArrayRef,
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
            Arc::new(Int8Array::from_iter_values(rows.iter().map(|r| r.3))),
        ],
    )
    .unwrap()
}

fn seq_rows(batches: &[RecordBatch]) -> Vec<(i32, i64, String)> {
    let mut out = Vec::new();
    for b in batches {
        assert_eq!(b.num_columns(), 3, "the view has the table's columns only");
        let k = b.column(0).as_primitive::<Int32Type>();
        let s = b.column(1).as_primitive::<Int64Type>();
        let v = b.column(2).as_string::<i32>();
        for i in 0..b.num_rows() {
            out.push((k.value(i), s.value(i), v.value(i).to_string()));
        }
    }
    out
}

#[test]
fn unique_sequence_column_and_delete_sign() {
    let dir = temp_dir("seq");
    let t = seq_table();
    let schema = schema_of(&t, true);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    let mut sinks = [table.worker_sink(0)];
    let epoch = std::cell::Cell::new(0u64);
    let mut load = |table: &mut LocalTable, rows: &[(i32, i64, &str, i8)]| {
        let d = stage(&mut sinks, epoch.get(), &[vec![seq_batch(&schema, rows)]]);
        table.commit(&d).unwrap();
        epoch.set(epoch.get() + 1);
        seq_rows(&LocalTable::read_table(&dir).unwrap())
    };
    let s = |k: i32, q: i64, v: &str| (k, q, v.to_string());

    assert_eq!(
        load(
            &mut table,
            &[(1, 5, "a", 0), (2, 5, "b", 0), (3, 1, "c", 0)]
        ),
        vec![s(1, 5, "a"), s(2, 5, "b"), s(3, 1, "c")]
    );
    // A smaller sequence value never overwrites; an equal one does (later load wins).
    assert_eq!(
        load(&mut table, &[(1, 3, "old", 0), (2, 5, "b2", 0)]),
        vec![s(1, 5, "a"), s(2, 5, "b2"), s(3, 1, "c")]
    );
    // Within one load too: the largest sequence wins whatever the order.
    assert_eq!(
        load(&mut table, &[(3, 9, "c9", 0), (3, 7, "c7", 0)]),
        vec![s(1, 5, "a"), s(2, 5, "b2"), s(3, 9, "c9")]
    );
    // Deletes: with a smaller sequence a delete does nothing; with >= it deletes.
    assert_eq!(
        load(&mut table, &[(1, 4, "", 1), (2, 10, "", 1)]),
        vec![s(1, 5, "a"), s(3, 9, "c9")]
    );
    // The delete is a stored version: an older row does not bring the key back ...
    assert_eq!(
        load(&mut table, &[(2, 8, "late", 0)]),
        vec![s(1, 5, "a"), s(3, 9, "c9")]
    );
    // ... a newer one does.
    assert_eq!(
        load(&mut table, &[(2, 11, "back", 0)]),
        vec![s(1, 5, "a"), s(2, 11, "back"), s(3, 9, "c9")]
    );
    // The view survives a restart (read back from its files, not the in-memory copy),
    // tombstones included.
    drop(table);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    table.abort_undecided(Some(epoch.get() - 1)).unwrap();
    assert_eq!(
        load(&mut table, &[(3, 12, "", 1), (3, 11, "zombie", 0)]),
        vec![s(1, 5, "a"), s(2, 11, "back")]
    );
    drop(table);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    table.abort_undecided(Some(epoch.get() - 1)).unwrap();
    assert_eq!(
        load(&mut table, &[(3, 11, "still deleted", 0)]),
        vec![s(1, 5, "a"), s(2, 11, "back")]
    );
}

#[test]
fn unique_delete_sign_without_sequence() {
    let dir = temp_dir("delete");
    let t = kv_table(KeysType::Unique);
    let schema = schema_of(&t, true);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    let mut sinks = [table.worker_sink(0)];
    let batch = |rows: &[(i32, &str, i8)]| {
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.0))) as ArrayRef,
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(Int8Array::from_iter_values(rows.iter().map(|r| r.2))),
            ],
        )
        .unwrap()
    };
    let d = stage(
        &mut sinks,
        0,
        &[vec![batch(&[(1, "a", 0), (2, "b", 0), (3, "c", 0)])]],
    );
    table.commit(&d).unwrap();
    let d = stage(
        &mut sinks,
        1,
        &[vec![batch(&[(1, "", 1), (3, "", 1), (3, "c2", 0)])]],
    );
    table.commit(&d).unwrap();
    assert_eq!(
        kv_rows(&LocalTable::read_table(&dir).unwrap()),
        owned(&[(2, "b"), (3, "c2")])
    );
    // Without a sequence column a deleted key comes back with any later row.
    let d = stage(&mut sinks, 2, &[vec![batch(&[(1, "again", 0)])]]);
    table.commit(&d).unwrap();
    assert_eq!(
        kv_rows(&LocalTable::read_table(&dir).unwrap()),
        owned(&[(1, "again"), (2, "b"), (3, "c2")])
    );
    assert!(!dir.join("view").join(local::DELETED_FILE).exists());

    // The delete sign belongs to UNIQUE tables only.
    let dup = kv_table(KeysType::Duplicate);
    let e = LocalTable::open(temp_dir("delete-dup"), &dup, schema_of(&dup, true)).unwrap_err();
    assert!(e.0.contains("UNIQUE KEY"), "{e}");
}

#[test]
fn aggregate_merges_each_value_column() {
    let dir = temp_dir("agg");
    let t = table(
        KeysType::Aggregate,
        vec![
            column("k", DorisType::Int, true, None),
            column(
                "total",
                DorisType::BigInt,
                false,
                Some(AggregationType::Sum),
            ),
            column("hi", DorisType::Int, false, Some(AggregationType::Max)),
            column("lo", DorisType::Int, false, Some(AggregationType::Min)),
            column(
                "last",
                DorisType::Varchar { len: 10 },
                false,
                Some(AggregationType::Replace),
            ),
            column(
                "known",
                DorisType::Varchar { len: 10 },
                false,
                Some(AggregationType::ReplaceIfNotNull),
            ),
        ],
        vec![],
    );
    let schema = schema_of(&t, false);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    let mut sinks = [table.worker_sink(0), table.worker_sink(1)];
    type Row<'a> = (
        i32,
        Option<i64>,
        Option<i32>,
        Option<i32>,
        Option<&'a str>,
        Option<&'a str>,
    );
    let batch = |rows: &[Row]| {
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.0))) as ArrayRef,
                Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.1))),
                Arc::new(Int32Array::from_iter(rows.iter().map(|r| r.2))),
                Arc::new(Int32Array::from_iter(rows.iter().map(|r| r.3))),
                Arc::new(StringArray::from_iter(rows.iter().map(|r| r.4))),
                Arc::new(StringArray::from_iter(rows.iter().map(|r| r.5))),
            ],
        )
        .unwrap()
    };
    let d = stage(
        &mut sinks,
        0,
        &[
            vec![batch(&[
                (1, Some(10), Some(5), Some(5), Some("a"), Some("x")),
                (2, None, None, None, None, None),
                (1, Some(5), Some(7), Some(3), Some("b"), None),
            ])],
            vec![batch(&[(1, None, Some(6), Some(-1), None, Some("y"))])],
        ],
    );
    table.commit(&d).unwrap();
    let d = stage(
        &mut sinks,
        1,
        &[
            vec![batch(&[
                (2, Some(1), Some(1), Some(1), Some("c"), Some("z")),
                (1, Some(100), Some(2), Some(9), Some("d"), None),
            ])],
            vec![],
        ],
    );
    table.commit(&d).unwrap();

    let batches = LocalTable::read_table(&dir).unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
    let b = &batches[0];
    let total = b.column(1).as_primitive::<Int64Type>();
    let hi = b.column(2).as_primitive::<Int32Type>();
    let lo = b.column(3).as_primitive::<Int32Type>();
    let last = b.column(4).as_string::<i32>();
    let known = b.column(5).as_string::<i32>();
    // Key 1: SUM 10+5+100 (NULL skipped), MAX 7, MIN -1, REPLACE the last row's "d",
    // REPLACE_IF_NOT_NULL the last non-NULL "y".
    assert_eq!(b.column(0).as_primitive::<Int32Type>().value(0), 1);
    assert_eq!(total.value(0), 115);
    assert_eq!(hi.value(0), 7);
    assert_eq!(lo.value(0), -1);
    assert_eq!(last.value(0), "d");
    assert_eq!(known.value(0), "y");
    // Key 2: all NULL then one row of values.
    assert_eq!(total.value(1), 1);
    assert_eq!(hi.value(1), 1);
    assert_eq!(lo.value(1), 1);
    assert_eq!(last.value(1), "c");
    assert_eq!(known.value(1), "z");

    // SUM stays NULL while every value is NULL; REPLACE takes a NULL.
    let d = stage(
        &mut sinks,
        2,
        &[
            vec![batch(&[
                (3, None, None, None, Some("e"), None),
                (3, None, None, None, None, None),
            ])],
            vec![],
        ],
    );
    table.commit(&d).unwrap();
    let batches = LocalTable::read_table(&dir).unwrap();
    let b = &batches[0];
    assert_eq!(b.num_rows(), 3);
    assert!(b.column(1).is_null(2) && b.column(2).is_null(2) && b.column(4).is_null(2));
}

#[test]
fn unsupported_key_models_are_refused_at_open() {
    let hll = table(
        KeysType::Aggregate,
        vec![
            column("k", DorisType::Int, true, None),
            column("h", DorisType::Hll, false, Some(AggregationType::HllUnion)),
        ],
        vec![],
    );
    let e = LocalTable::open(temp_dir("hll"), &hll, schema_of(&hll, false)).unwrap_err();
    assert!(e.0.contains("HLL_UNION"), "{e}");
    let bare = table(
        KeysType::Aggregate,
        vec![
            column("k", DorisType::Int, true, None),
            column("v", DorisType::Int, false, None),
        ],
        vec![],
    );
    let e = LocalTable::open(temp_dir("bare"), &bare, schema_of(&bare, false)).unwrap_err();
    assert!(e.0.contains("no aggregation"), "{e}");
    let sum_text = table(
        KeysType::Aggregate,
        vec![
            column("k", DorisType::Int, true, None),
            column("v", DorisType::String, false, Some(AggregationType::Sum)),
        ],
        vec![],
    );
    assert!(LocalTable::open(temp_dir("sumtext"), &sum_text, schema_of(&sum_text, false)).is_err());
    let no_seq = table(
        KeysType::Unique,
        vec![column("k", DorisType::Int, true, None)],
        vec![("function_column.sequence_col", "nope")],
    );
    let e = LocalTable::open(temp_dir("noseq"), &no_seq, schema_of(&no_seq, false)).unwrap_err();
    assert!(e.0.contains("sequence column `nope`"), "{e}");
    // A schema that is not the table's.
    let t = kv_table(KeysType::Duplicate);
    let wrong = Arc::new(Schema::new(vec![
        Field::new("k", DataType::Int64, true),
        Field::new("v", DataType::Utf8, true),
    ]));
    assert!(LocalTable::open(temp_dir("wrong"), &t, wrong).is_err());
}

#[test]
fn a_directory_holds_one_table() {
    let dir = temp_dir("one-table");
    let t = kv_table(KeysType::Duplicate);
    LocalTable::open(&dir, &t, schema_of(&t, false)).unwrap();
    LocalTable::open(&dir, &t, schema_of(&t, false)).unwrap();
    let mut other = kv_table(KeysType::Duplicate);
    other.name = "other".into();
    let e = LocalTable::open(&dir, &other, schema_of(&other, false)).unwrap_err();
    assert!(e.0.contains("`db.t`") && e.0.contains("`db.other`"), "{e}");
    let unique = kv_table(KeysType::Unique);
    assert!(LocalTable::open(&dir, &unique, schema_of(&unique, false)).is_err());
}

#[test]
fn rejected_rows_round_trip() {
    let dir = temp_dir("rejected");
    let t = kv_table(KeysType::Duplicate);
    let schema = schema_of(&t, false);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    let mut w0 = table.worker_sink(0);
    let mut w1 = table.worker_sink(1);
    let row = |p: i32, o: i64, reason: &str| RejectedRow {
        partition: p,
        offset: o,
        reason: reason.into(),
        src_line: format!("{{\"k\": \"bad {o}\"}}\nsecond line \u{e9}"),
    };
    w0.begin(0).unwrap();
    w0.write(0, &kv_batch(&schema, &[(1, Some("a"))])).unwrap();
    w0.write_rejected(0, &[row(0, 3, "column k: not an INT")])
        .unwrap();
    w0.write_rejected(0, &[row(0, 7, "too long")]).unwrap();
    // A worker with only rejected rows.
    w1.begin(0).unwrap();
    w1.write_rejected(0, &[row(1, 1, "null in NOT NULL column")])
        .unwrap();
    let d = Decision {
        epoch: 0,
        precommits: vec![
            precommit(0, 0, w0.precommit(0).unwrap()),
            precommit(0, 1, w1.precommit(0).unwrap()),
        ],
    };
    // Not visible before the commit.
    assert!(LocalTable::rejected(&dir).unwrap().is_empty());
    table.commit(&d).unwrap();
    assert_eq!(
        LocalTable::rejected(&dir).unwrap(),
        vec![
            row(0, 3, "column k: not an INT"),
            row(0, 7, "too long"),
            row(1, 1, "null in NOT NULL column")
        ]
    );
    assert_eq!(
        LocalTable::read_table(&dir)
            .unwrap()
            .iter()
            .map(|b| b.num_rows())
            .sum::<usize>(),
        1
    );
}

#[test]
fn parquet_files_read_back_with_the_arrow_reader() {
    let dir = temp_dir("parquet");
    let t = table(
        KeysType::Duplicate,
        vec![
            column("k", DorisType::Int, true, None),
            column("v", DorisType::Varchar { len: 32 }, false, None),
            column(
                "d",
                DorisType::Decimal {
                    precision: 10,
                    scale: 2,
                },
                false,
                None,
            ),
            column("ts", DorisType::DateTime { precision: 6 }, false, None),
        ],
        vec![],
    );
    let schema = schema_of(&t, false);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    let mut sinks = [table.worker_sink(0)];
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef,
            Arc::new(StringArray::from(vec![Some("a"), None])),
            Arc::new(
                arrow_array::Decimal128Array::from(vec![12345, -1])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
            Arc::new(arrow_array::TimestampMicrosecondArray::from(vec![
                1_700_000_000_000_000,
                0,
            ])),
        ],
    )
    .unwrap();
    let d = stage(&mut sinks, 0, &[vec![batch.clone()]]);
    table.commit(&d).unwrap();
    let path = dir
        .join("data")
        .join(epoch_dir_name(0))
        .join("part-w00000.parquet");
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
    let compression = builder.metadata().row_group(0).column(0).compression();
    assert_eq!(compression, parquet::basic::Compression::SNAPPY);
    let read_schema = builder.schema().clone();
    assert_eq!(
        read_schema
            .field(2)
            .metadata()
            .get(DORIS_TYPE_KEY)
            .map(String::as_str),
        Some("DECIMAL(10,2)")
    );
    let batches: Vec<RecordBatch> = builder.build().unwrap().map(Result::unwrap).collect();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].columns(), batch.columns());
    assert_eq!(batches[0].schema().fields(), batch.schema().fields());
}

#[test]
fn writing_many_batches_keeps_memory_bounded() {
    let dir = temp_dir("memory");
    let t = kv_table(KeysType::Duplicate);
    let schema = schema_of(&t, false);
    let limits = WriterLimits {
        row_group_rows: 10_000,
        row_group_bytes: 256 * 1024,
    };
    let mut table = LocalTable::open(&dir, &t, schema.clone())
        .unwrap()
        .with_limits(limits);
    let mut sink = table.worker_sink(0);
    sink.begin(0).unwrap();
    let text = "x".repeat(100);
    let rows: Vec<(i32, Option<&str>)> = (0..1000).map(|i| (i, Some(text.as_str()))).collect();
    let batch = kv_batch(&schema, &rows);
    let mut peak = 0;
    for _ in 0..300 {
        sink.write(0, &batch).unwrap();
        peak = peak.max(sink.buffered_bytes());
    }
    // 300k rows of ~100 bytes (30 MB raw) never buffer more than about one row group.
    assert!(peak < 4 << 20, "buffered {peak} bytes");
    let handle = sink.precommit(0).unwrap();
    table
        .commit(&Decision {
            epoch: 0,
            precommits: vec![precommit(0, 0, handle)],
        })
        .unwrap();
    let path = dir
        .join("data")
        .join(epoch_dir_name(0))
        .join("part-w00000.parquet");
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
    assert_eq!(builder.metadata().file_metadata().num_rows(), 300_000);
    assert!(builder.metadata().num_row_groups() >= 30);
}

#[test]
fn epochs_merge_into_the_view_in_order() {
    // Epoch 1 committed before epoch 0 (a restart committing out of order): the view waits
    // for 0, then applies 0 before 1.
    let dir = temp_dir("order");
    let t = kv_table(KeysType::Unique);
    let schema = schema_of(&t, false);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    let mut sinks = [table.worker_sink(0)];
    let d0 = stage(
        &mut sinks,
        0,
        &[vec![kv_batch(&schema, &[(1, Some("first"))])]],
    );
    let d1 = stage(
        &mut sinks,
        1,
        &[vec![kv_batch(&schema, &[(1, Some("second"))])]],
    );
    table.commit(&d1).unwrap();
    assert!(LocalTable::read_table(&dir).unwrap().is_empty());
    table.commit(&d0).unwrap();
    assert_eq!(
        kv_rows(&LocalTable::read_table(&dir).unwrap()),
        owned(&[(1, "second")])
    );
}

#[test]
fn a_stale_view_is_caught_up() {
    let dir = temp_dir("stale");
    let t = kv_table(KeysType::Unique);
    let schema = schema_of(&t, false);
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    let mut sinks = [table.worker_sink(0)];
    let d0 = stage(
        &mut sinks,
        0,
        &[vec![kv_batch(&schema, &[(1, Some("a")), (2, Some("b"))])]],
    );
    table.commit(&d0).unwrap();
    let view = dir.join("view").join("table.parquet");
    let saved = fs::read(&view).unwrap();
    let d1 = stage(
        &mut sinks,
        1,
        &[vec![kv_batch(&schema, &[(2, Some("B")), (3, Some("c"))])]],
    );
    table.commit(&d1).unwrap();
    drop(table);
    // A crash after epoch 1's rename, before its view was written.
    fs::write(&view, saved).unwrap();
    assert_eq!(
        kv_rows(&LocalTable::read_table(&dir).unwrap()),
        owned(&[(1, "a"), (2, "b")])
    );
    let mut table = LocalTable::open(&dir, &t, schema.clone()).unwrap();
    table.abort_undecided(Some(1)).unwrap();
    assert_eq!(
        kv_rows(&LocalTable::read_table(&dir).unwrap()),
        owned(&[(1, "a"), (2, "B"), (3, "c")])
    );
    // No view at all: rebuilt from every epoch.
    fs::remove_file(&view).unwrap();
    let mut table = LocalTable::open(&dir, &t, schema).unwrap();
    table.abort_undecided(Some(1)).unwrap();
    assert_eq!(
        kv_rows(&LocalTable::read_table(&dir).unwrap()),
        owned(&[(1, "a"), (2, "B"), (3, "c")])
    );
}

#[test]
fn null_sink_and_specs() {
    let mut sink = NullSink::new(Some(2000.0));
    let schema = schema_of(&kv_table(KeysType::Duplicate), false);
    let rows: Vec<(i32, Option<&str>)> = (0..100).map(|i| (i, None)).collect();
    let batch = kv_batch(&schema, &rows);
    let start = std::time::Instant::now();
    sink.begin(0).unwrap();
    for _ in 0..4 {
        sink.write(0, &batch).unwrap();
    }
    // 400 rows at 2000 rows/s.
    assert!(start.elapsed() >= std::time::Duration::from_millis(190));
    assert_eq!(sink.precommit(0).unwrap(), "");
    let mut fast = NullSink::default();
    fast.write(0, &batch).unwrap();
    assert_eq!(
        NullCommitter
            .commit(&Decision {
                epoch: 0,
                precommits: vec![]
            })
            .map(|_| NullCommitter.abort_undecided(None).unwrap()),
        Ok(0)
    );

    assert_eq!(
        SinkSpec::parse("local:/tmp/t").unwrap(),
        SinkSpec::Local(PathBuf::from("/tmp/t"))
    );
    assert_eq!(
        SinkSpec::parse("null").unwrap(),
        SinkSpec::Null { rate: None }
    );
    assert_eq!(
        SinkSpec::parse("null:5000").unwrap(),
        SinkSpec::Null { rate: Some(5000.0) }
    );
    assert!(SinkSpec::parse("null:-1").is_err());
    assert!(SinkSpec::parse("local:").is_err());
    assert!(
        SinkSpec::parse("doris://x")
            .unwrap_err()
            .contains("doris://USER[:PASSWORD]@HOST:HTTP_PORT")
    );
    assert!(SinkSpec::parse("s3://x").unwrap_err().contains("local:DIR"));
    match SinkSpec::parse("doris://root:pw@127.0.0.1:8030").unwrap() {
        SinkSpec::Doris(t) => {
            assert_eq!((t.user.as_str(), t.password.as_str()), ("root", "pw"));
            // The password never shows.
            assert_eq!(
                SinkSpec::Doris(t).to_string(),
                "doris://root@127.0.0.1:8030"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        SinkSpec::parse("local:/a/b").unwrap().to_string(),
        "local:/a/b"
    );
}
