//! The progress store: records survive a reopen; a torn or corrupt tail (cut mid-frame, a
//! flipped payload byte, appended garbage, a damaged frame in the middle) is dropped, never
//! trusted, and the store stays usable; decisions that leave a gap or an overlap in a
//! partition's offsets are refused; a store belongs to one job and has one writer; the
//! derived state and the ledger say what the records add up to; random damage never panics.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use routinely_operators::dataflow::{Decision, PartitionRange, PreCommit};
use routinely_operators::row::RowCounts;
use routinely_pipeline::progress::{
    self, DecisionRecord, EpochStatus, JobIdentity, ProgressError, ProgressStore, Record,
    encode_frame, format_utc_ms,
};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory for one test.
fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!(
        "routinely-progress-{}-{name}-{}",
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

fn identity(job: &str) -> JobIdentity {
    JobIdentity {
        job: job.into(),
        database: "db".into(),
        table: "orders".into(),
        topic: "orders-topic".into(),
    }
}

fn range(partition: i32, start: i64, end: i64) -> PartitionRange {
    PartitionRange {
        partition,
        start,
        end,
        messages: (end - start).max(0) as u64,
        bytes: 10 * (end - start).max(0) as u64,
        max_timestamp_ms: Some(1_700_000_000_000),
        ts_sample: Default::default(),
    }
}

fn counts(loaded: u64, filtered: u64) -> RowCounts {
    RowCounts {
        total: loaded + filtered,
        loaded,
        filtered,
        unselected: 0,
        messages: loaded + filtered,
        bytes: 100 * (loaded + filtered),
    }
}

fn decision(epoch: u64, ranges: Vec<PartitionRange>) -> DecisionRecord {
    let loaded: u64 = ranges.iter().map(|r| r.messages).sum();
    DecisionRecord {
        epoch,
        generation: 1,
        decided_at_ms: 1_700_000_000_000 + epoch as i64 * 1000,
        ranges,
        txns: vec![
            (0, format!("routinely_job_1_{epoch}_0")),
            (1, format!("routinely_job_1_{epoch}_1")),
        ],
        counts: counts(loaded, 0),
    }
}

/// A store with a run, three decided epochs over two partitions, the first two committed.
fn populated(dir: &Path) -> ProgressStore {
    let (mut store, report) = ProgressStore::open(dir, identity("job")).unwrap();
    assert!(report.created);
    assert_eq!(store.begin_run(4, 1).unwrap(), 1);
    store
        .decide(&decision(0, vec![range(0, 0, 10), range(1, 0, 5)]))
        .unwrap();
    store
        .decide(&decision(1, vec![range(0, 10, 20), range(1, 5, 9)]))
        .unwrap();
    store.committed(0, Some(1_700_000_000_500)).unwrap();
    store.committed(1, None).unwrap();
    store
        .decide(&decision(2, vec![range(0, 20, 25), range(1, 9, 9)]))
        .unwrap();
    store
}

fn log_len(dir: &Path) -> u64 {
    fs::metadata(ProgressStore::log_path(dir)).unwrap().len()
}

#[test]
fn records_survive_a_reopen() {
    let dir = temp_dir("roundtrip");
    let before = {
        let store = populated(&dir);
        store.state().clone()
    };
    let (store, report) = ProgressStore::open(&dir, identity("job")).unwrap();
    assert!(!report.created);
    assert_eq!(report.dropped_bytes, 0);
    assert_eq!(report.records, 7); // identity, run, 3 decided, 2 committed
    assert_eq!(store.state(), &before);
    let records: Vec<Record> = store.records().unwrap().map(Result::unwrap).collect();
    assert_eq!(records.len(), 7);
    assert_eq!(records[0], Record::JobIdentity(identity("job")));
    assert!(matches!(
        records[1],
        Record::RunStart {
            generation: 1,
            workers: 4,
            processes: 1,
            ..
        }
    ));
    assert!(matches!(&records[2], Record::Decided(d) if d.epoch == 0 && d.ranges.len() == 2));
    assert!(matches!(
        records[4],
        Record::Committed {
            epoch: 0,
            visible_at_ms: Some(1_700_000_000_500),
            ..
        }
    ));
    // Each record is one frame: header + JSON.
    let frames: u64 = records.iter().map(|r| encode_frame(r).len() as u64).sum();
    assert_eq!(frames, log_len(&dir));
}

#[test]
fn derived_state() {
    let dir = temp_dir("state");
    let mut store = populated(&dir);
    let st = store.state();
    assert_eq!(st.identity, Some(identity("job")));
    assert_eq!(st.generation, 1);
    assert_eq!(st.last_decided, Some(2));
    assert_eq!(st.last_committed, Some(1));
    assert_eq!(st.next_epoch, 3);
    assert_eq!(st.next_offsets.get(&0), Some(&25));
    assert_eq!(st.next_offsets.get(&1), Some(&9));
    assert_eq!(st.committed_epochs, 2);
    assert_eq!(st.decided_epochs, 3);
    assert_eq!(
        st.uncommitted.iter().map(|d| d.epoch).collect::<Vec<_>>(),
        vec![2]
    );
    assert_eq!(st.totals.loaded, 15 + 14 + 5);
    assert!(st.is_committed(1) && !st.is_committed(2) && st.is_decided(2));

    // A second run; a new partition may start anywhere.
    assert_eq!(store.begin_run(8, 2).unwrap(), 2);
    store
        .decide(&decision(3, vec![range(0, 25, 30), range(2, 100, 110)]))
        .unwrap();
    assert_eq!(store.state().generation, 2);
    assert_eq!(store.state().next_offsets.get(&2), Some(&110));
    assert_eq!(
        store
            .state()
            .uncommitted
            .iter()
            .map(|d| d.epoch)
            .collect::<Vec<_>>(),
        vec![2, 3]
    );

    // Abort 2: it leaves the commit list for the reload list.
    store.aborted(2, "transaction expired").unwrap();
    store.aborted(2, "again").unwrap(); // idempotent, nothing written
    let st = store.state();
    assert_eq!(
        st.uncommitted.iter().map(|d| d.epoch).collect::<Vec<_>>(),
        vec![3]
    );
    assert_eq!(st.to_reload.len(), 1);
    assert_eq!(st.to_reload[0].0.epoch, 2);
    assert_eq!(st.to_reload[0].1, "transaction expired");
    // An aborted epoch cannot be committed until it is decided again ...
    assert!(matches!(
        store.committed(2, None),
        Err(ProgressError::Invalid { epoch: 2, .. })
    ));
    // ... with exactly its ranges.
    let err = store
        .decide(&decision(2, vec![range(0, 20, 24), range(1, 9, 9)]))
        .unwrap_err();
    assert!(
        matches!(err, ProgressError::Invalid { epoch: 2, .. }),
        "{err}"
    );
    let mut again = decision(2, vec![range(1, 9, 9), range(0, 20, 25)]);
    again.generation = 2;
    again.txns = vec![(0, "routinely_job_2_2_0".into())];
    store.decide(&again).unwrap();
    store.committed(2, None).unwrap();
    store.committed(3, None).unwrap();
    let st = store.state().clone();
    assert!(st.uncommitted.is_empty() && st.to_reload.is_empty());
    assert_eq!(st.committed_epochs, 4);
    assert_eq!(st.decided_epochs, 4, "a re-decision is not a new epoch");
    assert_eq!(st.totals.loaded, 15 + 14 + 5 + 15);
    assert_eq!(st.aborted_count, 1);
    assert_eq!(st.last_decided, Some(3));

    // Idempotent commit; invalid transitions are refused.
    store.committed(3, None).unwrap();
    assert!(matches!(
        store.committed(9, None),
        Err(ProgressError::Invalid { epoch: 9, .. })
    ));
    assert!(matches!(
        store.aborted(3, "x"),
        Err(ProgressError::Invalid { epoch: 3, .. })
    ));
    drop(store);
    let (store, _) = ProgressStore::open(&dir, identity("job")).unwrap();
    assert_eq!(store.state(), &st);
}

#[test]
fn gaps_and_overlaps_are_refused() {
    let dir = temp_dir("tiling");
    let (mut store, _) = ProgressStore::open(&dir, identity("job")).unwrap();
    store.begin_run(1, 1).unwrap();
    store.decide(&decision(0, vec![range(0, 0, 10)])).unwrap();

    let gap = store
        .decide(&decision(1, vec![range(0, 12, 20)]))
        .unwrap_err();
    assert!(matches!(
        gap,
        ProgressError::Discontinuous {
            partition: 0,
            expected: 10,
            start: 12,
            end: 20,
            ..
        }
    ));
    let text = gap.to_string();
    assert!(text.contains("partition 0") && text.contains("[12, 20)") && text.contains("10"));
    assert!(text.contains("gap of 2"), "{text}");

    let overlap = store
        .decide(&decision(1, vec![range(0, 8, 20)]))
        .unwrap_err();
    assert!(overlap.to_string().contains("overlap of 2"), "{overlap}");

    // Two ranges of one partition in one epoch must follow each other too.
    let inner = store
        .decide(&decision(1, vec![range(0, 10, 15), range(0, 16, 20)]))
        .unwrap_err();
    assert!(matches!(
        inner,
        ProgressError::Discontinuous {
            start: 16,
            expected: 15,
            ..
        }
    ));

    let backwards = store
        .decide(&decision(1, vec![range(0, 10, 9)]))
        .unwrap_err();
    assert!(matches!(backwards, ProgressError::BadRange { .. }));

    // Epochs only move forward.
    let old = store
        .decide(&decision(0, vec![range(0, 10, 20)]))
        .unwrap_err();
    assert!(matches!(
        old,
        ProgressError::EpochNotAfter {
            epoch: 0,
            last_decided: 0
        }
    ));

    // Nothing refused was written.
    assert_eq!(store.state().last_decided, Some(0));
    store
        .decide(&decision(1, vec![range(0, 10, 15), range(0, 15, 20)]))
        .unwrap();
    // Epoch numbers may skip (an epoch with nothing to decide); offsets may not.
    store.decide(&decision(5, vec![range(0, 20, 20)])).unwrap();
    assert_eq!(store.state().next_offsets.get(&0), Some(&20));
    assert_eq!(store.state().next_epoch, 6);
    assert!(progress::ledger(&dir).unwrap().verify_tiling().is_ok());
}

#[test]
fn a_store_belongs_to_one_job() {
    let dir = temp_dir("identity");
    drop(ProgressStore::open(&dir, identity("first")).unwrap());
    let err = ProgressStore::open(&dir, identity("second")).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ProgressError::IdentityMismatch { .. }));
    assert!(
        text.contains("`first`") && text.contains("`second`"),
        "{text}"
    );
    // The store was not touched.
    let (store, _) = ProgressStore::open(&dir, identity("first")).unwrap();
    assert_eq!(store.records().unwrap().count(), 1);
}

#[test]
fn one_writer_at_a_time() {
    let dir = temp_dir("lock");
    let (mut writer, _) = ProgressStore::open(&dir, identity("job")).unwrap();
    writer.begin_run(1, 1).unwrap();
    let err = ProgressStore::open(&dir, identity("job")).unwrap_err();
    assert!(matches!(err, ProgressError::Locked { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("pid {}", std::process::id())),
        "{err}"
    );

    // Readers need no lock and cannot write.
    let mut reader = ProgressStore::open_read_only(&dir).unwrap();
    assert!(reader.is_read_only());
    assert_eq!(reader.state().generation, 1);
    assert!(matches!(
        reader.begin_run(1, 1),
        Err(ProgressError::ReadOnly)
    ));
    assert!(matches!(
        reader.decide(&decision(0, vec![])),
        Err(ProgressError::ReadOnly)
    ));

    // Another thread (another open file description) is refused the same way.
    let d = dir.to_path_buf();
    let refused = std::thread::spawn(move || {
        matches!(
            ProgressStore::open(&d, identity("job")),
            Err(ProgressError::Locked { .. })
        )
    })
    .join()
    .unwrap();
    assert!(refused);

    drop(writer);
    let (store, _) = ProgressStore::open(&dir, identity("job")).unwrap();
    assert_eq!(store.state().generation, 1);

    let missing = temp_dir("missing");
    assert!(matches!(
        ProgressStore::open_read_only(&missing),
        Err(ProgressError::NotFound(_))
    ));
}

/// Damages a populated store's log with `damage`, reopens it, and checks the tail was
/// dropped back to `expect_records` good records and that the store is usable after.
fn damaged(name: &str, damage: impl FnOnce(&Path, &[u64]), expect_records: u64) {
    let dir = temp_dir(name);
    let store = populated(&dir);
    // Frame boundaries.
    let mut ends = vec![0u64];
    for r in store.records().unwrap() {
        let len = encode_frame(&r.unwrap()).len() as u64;
        ends.push(ends.last().unwrap() + len);
    }
    drop(store);
    let before = log_len(&dir);
    damage(&ProgressStore::log_path(&dir), &ends);
    let damaged_len = log_len(&dir);

    // A reader sees the good prefix and leaves the file alone.
    let reader = ProgressStore::open_read_only(&dir).unwrap();
    assert_eq!(reader.report().records, expect_records, "{name}");
    assert!(reader.report().dropped_bytes > 0, "{name}");
    assert_eq!(log_len(&dir), damaged_len);
    drop(reader);

    let (mut store, report) = ProgressStore::open(&dir, identity("job")).unwrap();
    assert_eq!(report.records, expect_records, "{name}");
    assert_eq!(report.valid_bytes, ends[expect_records as usize], "{name}");
    assert_eq!(
        report.dropped_bytes,
        damaged_len - report.valid_bytes,
        "{name}"
    );
    assert!(report.tail_problem.is_some(), "{name}");
    assert_eq!(log_len(&dir), report.valid_bytes, "{name}: truncated");
    assert!(report.valid_bytes <= before);

    // Usable: the next decision continues from the trusted state, and survives a reopen.
    let next = store.state().next_epoch;
    let p0 = *store.state().next_offsets.get(&0).unwrap_or(&0);
    let p1 = *store.state().next_offsets.get(&1).unwrap_or(&0);
    store.begin_run(1, 1).unwrap();
    store
        .decide(&decision(
            next,
            vec![range(0, p0, p0 + 3), range(1, p1, p1 + 1)],
        ))
        .unwrap();
    store.committed(next, None).unwrap();
    drop(store);
    let (store, report) = ProgressStore::open(&dir, identity("job")).unwrap();
    assert_eq!(report.dropped_bytes, 0, "{name}");
    assert_eq!(report.records, expect_records + 3);
    assert_eq!(store.state().last_decided, Some(next));
    assert!(progress::ledger(&dir).unwrap().verify_tiling().is_ok());
}

#[test]
fn a_frame_cut_short_is_dropped() {
    // 7 records; cut the last (decision of epoch 2) in its payload.
    damaged(
        "cut",
        |path, ends| {
            let f = OpenOptions::new().write(true).open(path).unwrap();
            f.set_len(ends[6] + 20).unwrap();
        },
        6,
    );
    // Cut inside the header.
    damaged(
        "cut-header",
        |path, ends| {
            let f = OpenOptions::new().write(true).open(path).unwrap();
            f.set_len(ends[6] + 5).unwrap();
        },
        6,
    );
}

#[test]
fn a_flipped_payload_byte_is_dropped() {
    damaged(
        "flip",
        |path, ends| {
            let mut bytes = fs::read(path).unwrap();
            let at = (ends[6] + 12 + 7) as usize;
            bytes[at] ^= 0x20;
            fs::write(path, bytes).unwrap();
        },
        6,
    );
}

#[test]
fn appended_garbage_is_dropped() {
    damaged(
        "garbage",
        |path, _| {
            let mut f = OpenOptions::new().append(true).open(path).unwrap();
            f.write_all(b"\x00\x01garbage that is not a frame").unwrap();
        },
        7,
    );
    // A well-formed frame whose payload is not a record.
    damaged(
        "bad-json",
        |path, _| {
            let payload = br#"{"type":"no_such_record"}"#;
            let mut frame = Vec::new();
            frame.extend_from_slice(&progress::FRAME_MAGIC.to_le_bytes());
            frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            frame.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
            frame.extend_from_slice(payload);
            let mut f = OpenOptions::new().append(true).open(path).unwrap();
            f.write_all(&frame).unwrap();
        },
        7,
    );
}

#[test]
fn good_frames_after_a_bad_one_are_not_trusted() {
    // Damage the magic of frame 3 (decision of epoch 1): frames 3..7 are all dropped, even
    // though 4..7 are intact.
    damaged(
        "middle",
        |path, ends| {
            let mut bytes = fs::read(path).unwrap();
            bytes[ends[3] as usize] ^= 0xFF;
            fs::write(path, bytes).unwrap();
        },
        3,
    );
}

/// A tiny deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_damage_never_panics() {
    let src = temp_dir("fuzz-src");
    {
        let (mut store, _) = ProgressStore::open(&src, identity("job")).unwrap();
        store.begin_run(2, 1).unwrap();
        let mut next = [0i64; 3];
        for e in 0..40u64 {
            let ranges = (0..3)
                .map(|p| {
                    let r = range(p, next[p as usize], next[p as usize] + (e as i64 % 7));
                    next[p as usize] = r.end;
                    r
                })
                .collect();
            store.decide(&decision(e, ranges)).unwrap();
            if e % 3 != 2 {
                store.committed(e, None).unwrap();
            }
        }
    }
    let original = fs::read(ProgressStore::log_path(&src)).unwrap();
    let full = ProgressStore::open_read_only(&src)
        .unwrap()
        .report()
        .records;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let dir = temp_dir("fuzz");
    for round in 0..300 {
        let mut bytes = original.clone();
        // Truncate at a random point, and sometimes flip a random byte or add junk.
        let cut = (rng.next() % (bytes.len() as u64 + 1)) as usize;
        bytes.truncate(cut);
        if round % 3 == 1 && !bytes.is_empty() {
            let at = (rng.next() % bytes.len() as u64) as usize;
            bytes[at] ^= 1 << (rng.next() % 8);
        }
        if round % 5 == 2 {
            let junk = (rng.next() % 40) as usize;
            bytes.extend((0..junk).map(|_| rng.next() as u8));
        }
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(ProgressStore::log_path(&dir), &bytes).unwrap();

        let ledger = progress::ledger(&dir).unwrap();
        let _ = ledger.to_string();
        match ProgressStore::open(&dir, identity("job")) {
            Ok((store, report)) => {
                assert!(report.records <= full);
                assert_eq!(
                    report.valid_bytes + report.dropped_bytes,
                    bytes.len() as u64
                );
                // The trusted prefix is a prefix of the original log.
                assert_eq!(
                    &original[..report.valid_bytes as usize],
                    &bytes[..report.valid_bytes as usize]
                );
                assert!(store.state().last_decided.is_none_or(|e| e < 40));
                // Every trusted prefix tiles.
                drop(store);
                progress::ledger(&dir).unwrap().verify_tiling().unwrap();
            }
            // A flipped bit inside a payload can yield a valid frame only with a matching
            // CRC, which is vanishingly unlikely; an identity mismatch would need that.
            Err(e) => panic!("round {round}: {e}"),
        }
    }
}

#[test]
fn the_ledger() {
    let dir = temp_dir("ledger");
    let mut store = populated(&dir);
    store.begin_run(4, 2).unwrap();
    store
        .decide(&decision(3, vec![range(0, 25, 40), range(1, 9, 12)]))
        .unwrap();
    store.aborted(3, "label expired in Doris").unwrap();
    drop(store);

    let ledger = progress::ledger(&dir).unwrap();
    assert_eq!(ledger.identity, Some(identity("job")));
    assert_eq!(ledger.runs.len(), 2);
    assert_eq!(ledger.entries.len(), 4);
    assert_eq!(ledger.entries[0].status, EpochStatus::Committed);
    assert_eq!(ledger.entries[2].status, EpochStatus::Pending);
    assert!(matches!(
        ledger.entries[3].status,
        EpochStatus::Aborted { .. }
    ));
    ledger.verify_tiling().unwrap();

    let text = ledger.to_string();
    assert!(
        text.contains("job `job` (db.orders, topic `orders-topic`)"),
        "{text}"
    );
    assert!(text.contains("epoch 0  generation 1  committed"), "{text}");
    assert!(
        text.contains("epoch 2  generation 1  decided, commit pending"),
        "{text}"
    );
    assert!(text.contains("aborted (label expired in Doris)"), "{text}");
    assert!(text.contains("partition 0  [10, 20)"), "{text}");
    assert!(text.contains("partition 1  [5, 9)"), "{text}");
    assert!(text.contains("txn worker 1  routinely_job_1_1_1"), "{text}");
    assert!(
        text.contains("loaded 14  filtered 0  unselected 0  total 14"),
        "{text}"
    );
    assert!(
        text.contains("decided    2023-11-14 22:13:20.000 UTC"),
        "{text}"
    );
    assert!(
        text.contains("(visible 2023-11-14 22:13:20.500 UTC)"),
        "{text}"
    );
    assert!(text.contains("no gap, no overlap"), "{text}");

    let json = ledger.to_json();
    let epochs = json["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 4);
    assert_eq!(epochs[0]["status"], "committed");
    assert_eq!(epochs[2]["status"], "decided");
    assert_eq!(epochs[3]["status"], "aborted");
    assert_eq!(epochs[3]["abort_reason"], "label expired in Doris");
    assert_eq!(epochs[1]["ranges"][0]["start"], 10);
    assert_eq!(epochs[1]["ranges"][0]["end"], 20);
    assert_eq!(epochs[1]["txns"][1]["handle"], "routinely_job_1_1_1");
    assert_eq!(epochs[0]["decided_at"], "2023-11-14 22:13:20.000");
    assert_eq!(epochs[1]["counts"]["loaded"], 14);
    assert_eq!(json["identity"]["job"], "job");
    assert_eq!(json["tiling"], "ok");

    // A log written behind the store's back with a gap and an overlap fails the check.
    let bad = temp_dir("ledger-bad");
    fs::create_dir_all(&bad).unwrap();
    let mut log = Vec::new();
    for r in [
        Record::JobIdentity(identity("job")),
        Record::Decided(decision(0, vec![range(0, 0, 10), range(1, 0, 10)])),
        Record::Decided(decision(1, vec![range(0, 12, 20), range(1, 10, 20)])),
        Record::Decided(decision(2, vec![range(0, 20, 30), range(1, 15, 30)])),
    ] {
        log.extend(encode_frame(&r));
    }
    fs::write(ProgressStore::log_path(&bad), log).unwrap();
    let ledger = progress::ledger(&bad).unwrap();
    let err = ledger.verify_tiling().unwrap_err();
    assert!(
        err.contains("partition 0: gap [10, 12) between epoch 0 and epoch 1"),
        "{err}"
    );
    assert!(
        err.contains("partition 1: overlap [15, 20) between epoch 1 and epoch 2"),
        "{err}"
    );
    assert!(ledger.to_string().contains("RANGES DO NOT TILE"));
}

#[test]
fn utc_times() {
    assert_eq!(format_utc_ms(0), "1970-01-01 00:00:00.000");
    assert_eq!(format_utc_ms(1_700_000_000_123), "2023-11-14 22:13:20.123");
    assert_eq!(format_utc_ms(951_782_400_000), "2000-02-29 00:00:00.000");
    assert_eq!(format_utc_ms(-1), "1969-12-31 23:59:59.999");
    assert_eq!(format_utc_ms(4_102_444_799_999), "2099-12-31 23:59:59.999");
}

#[test]
fn decision_records_and_decisions() {
    let d = Decision {
        epoch: 4,
        precommits: vec![
            PreCommit {
                epoch: 4,
                worker: 0,
                handle: "h0".into(),
                counts: counts(3, 1),
                ranges: vec![range(1, 5, 9)],
            },
            PreCommit {
                epoch: 4,
                worker: 1,
                handle: String::new(),
                counts: counts(0, 0),
                ranges: vec![range(0, 0, 0)],
            },
        ],
    };
    let r = DecisionRecord::from_decision(&d, 3, 42);
    assert_eq!(r.epoch, 4);
    assert_eq!(r.generation, 3);
    assert_eq!(r.txns, vec![(0, "h0".to_string())]);
    assert_eq!(
        r.ranges.iter().map(|r| r.partition).collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert_eq!(r.counts, counts(3, 1));
    let back = r.to_decision();
    assert_eq!(back.epoch, 4);
    assert_eq!(back.precommits.len(), 1);
    assert_eq!(back.precommits[0].handle, "h0");
    assert_eq!(back.counts(), r.counts);
    assert_eq!(back.ranges(), r.ranges);
}

#[test]
fn pause_alter_resume_and_stop_follow_doris_rules() {
    use routinely_pipeline::progress::{JobStatus, StartSpec};
    let dir = temp_dir("states");
    let mut store = populated(&dir.0);
    // ALTER of a running job is refused, as Doris refuses it.
    let err = store
        .altered("ALTER ...", vec![(0, StartSpec::Offset(5))])
        .expect_err("not paused");
    assert!(err.to_string().contains("PAUSED"), "{err}");
    store.pause("Offset out of range").unwrap();
    store.pause("a second reason is ignored").unwrap();
    assert!(matches!(
        &store.state().status,
        JobStatus::Paused { reason, .. } if reason == "Offset out of range"
    ));
    // Partition 0 moves back to 5 (an overlap that only an ALTER may cause).
    store
        .altered(
            "ALTER ROUTINE LOAD FOR job FROM KAFKA(\"kafka_partitions\"=\"0\", \"kafka_offsets\"=\"5\")",
            vec![(0, StartSpec::Offset(5))],
        )
        .unwrap();
    assert_eq!(store.state().next_offsets.get(&0), None);
    assert_eq!(store.state().next_offsets.get(&1), Some(&9));
    assert_eq!(
        store.state().start_overrides.get(&0),
        Some(&StartSpec::Offset(5))
    );
    store.resume().unwrap();
    assert_eq!(store.state().status, JobStatus::Runnable);
    drop(store);

    // Reopened: the same state; the next decision starts partition 0 at 5 and clears the
    // override; partition 1 must still continue at 9.
    let (mut store, _) = ProgressStore::open(&dir.0, identity("job")).unwrap();
    assert_eq!(store.state().alters.len(), 1);
    assert!(
        store
            .decide(&decision(3, vec![range(0, 5, 8), range(1, 10, 12)]))
            .is_err(),
        "partition 1 is not reset: a gap is refused"
    );
    store
        .decide(&decision(3, vec![range(0, 5, 8), range(1, 9, 12)]))
        .unwrap();
    assert!(store.state().start_overrides.is_empty());
    assert_eq!(store.state().next_offsets.get(&0), Some(&8));
    store.stop().unwrap();
    assert!(store.resume().is_err());
    assert!(store.pause("x").is_err());
    drop(store);

    // The ledger shows the events and still tiles: the ALTER starts a new tiling of
    // partition 0.
    let ledger = progress::ledger(&dir.0).unwrap();
    let kinds: Vec<&str> = ledger.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["PAUSED", "ALTERED", "RESUMED", "STOPPED"]);
    assert_eq!(ledger.events[1].after_epoch, Some(2));
    assert_eq!(ledger.events[1].reset_partitions, vec![0]);
    ledger.verify_tiling().unwrap();
    let text = ledger.to_string();
    assert!(
        text.contains("PAUSED") && text.contains("Offset out of range"),
        "{text}"
    );
    assert_eq!(ledger.to_json()["events"][1]["kind"], "ALTERED");
}
