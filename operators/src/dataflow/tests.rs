//! The operators end to end on timely with in-memory readers, sinks and coordinators: every
//! message committed exactly once on 1 and 2 workers, offset ranges that tile each partition,
//! at most K epochs in flight behind a slow coordinator (the reader told to pause and resume),
//! an idle worker that does not hold the others' commits back, and rejected rows that reach
//! the sink with partition, offset and reason.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use timely::dataflow::operators::Probe;
use timely::dataflow::operators::probe::Handle as ProbeHandle;

use super::coerce::Coerce;
use super::commit::{Commit, Coordinator};
use super::load::{Load, SinkError, TxnSink};
use super::window::{EpochPolicy, LivePolicy, PartitionReader, ReadStatus, windowed_source};
use super::{Decision, Epoch, Failure, MessageBatch};
use crate::row::datum::rows_as_text;
use crate::row::{LoadPlan, RejectedRow};

/// Messages of some partitions, read in order; optionally "live" (caught up, not finished)
/// until `finish_after` has passed.
struct VecReader {
    parts: Vec<(i32, Vec<Vec<u8>>, usize)>,
    finish_at: Option<Instant>,
    /// Where backpressure calls are recorded.
    store: Arc<Mutex<Store>>,
}

impl PartitionReader for VecReader {
    fn read(
        &mut self,
        batch: &mut MessageBatch,
        max_messages: usize,
        max_bytes: usize,
    ) -> ReadStatus {
        let mut n = 0;
        let mut bytes = 0;
        'outer: for (p, msgs, next) in &mut self.parts {
            while *next < msgs.len() {
                if n >= max_messages || bytes >= max_bytes {
                    break 'outer;
                }
                batch.push(*p, *next as i64, 1_700_000_000_000, &msgs[*next]);
                bytes += msgs[*next].len();
                *next += 1;
                n += 1;
            }
        }
        let drained = self.parts.iter().all(|(_, m, next)| *next == m.len());
        let finished = drained && self.finish_at.is_none_or(|t| Instant::now() >= t);
        ReadStatus {
            caught_up: drained,
            finished,
            error: None,
        }
    }

    fn positions(&self) -> Vec<(i32, i64)> {
        self.parts
            .iter()
            .map(|(p, _, next)| (*p, *next as i64))
            .collect()
    }

    fn idle_wait(&self) -> Duration {
        Duration::from_millis(2)
    }

    fn backpressure(&mut self, paused: bool) {
        self.store.lock().unwrap().backpressure.push(paused);
    }
}

#[derive(Default)]
struct Store {
    staged: BTreeMap<(Epoch, usize), Vec<RecordBatch>>,
    committed: Vec<(Epoch, RecordBatch)>,
    staged_rejected: BTreeMap<(Epoch, usize), Vec<RejectedRow>>,
    committed_rejected: Vec<RejectedRow>,
    decisions: Vec<Decision>,
    /// Largest number of decided-but-uncommitted epochs seen.
    max_inflight: usize,
    inflight: Vec<Epoch>,
    /// The source's backpressure calls, in order.
    backpressure: Vec<bool>,
}

struct MemSink {
    worker: usize,
    store: Arc<Mutex<Store>>,
    open: BTreeMap<Epoch, Vec<RecordBatch>>,
}

impl TxnSink for MemSink {
    fn begin(&mut self, epoch: Epoch) -> Result<(), SinkError> {
        self.open.insert(epoch, Vec::new());
        Ok(())
    }
    fn write(&mut self, epoch: Epoch, batch: &RecordBatch) -> Result<(), SinkError> {
        self.open.entry(epoch).or_default().push(batch.clone());
        Ok(())
    }
    fn write_rejected(&mut self, epoch: Epoch, rows: &[RejectedRow]) -> Result<(), SinkError> {
        self.store
            .lock()
            .unwrap()
            .staged_rejected
            .entry((epoch, self.worker))
            .or_default()
            .extend_from_slice(rows);
        Ok(())
    }
    fn precommit(&mut self, epoch: Epoch) -> Result<String, SinkError> {
        let batches = self.open.remove(&epoch).unwrap_or_default();
        self.store
            .lock()
            .unwrap()
            .staged
            .insert((epoch, self.worker), batches);
        Ok(format!("e{epoch}-w{}", self.worker))
    }
}

struct MemCoordinator {
    store: Arc<Mutex<Store>>,
    /// Each commit takes this long.
    delay: Duration,
    pending: Vec<(Epoch, Instant, Vec<usize>)>,
}

impl Coordinator for MemCoordinator {
    fn decide(&mut self, decision: &Decision) -> Result<(), String> {
        let mut s = self.store.lock().unwrap();
        s.decisions.push(decision.clone());
        s.inflight.push(decision.epoch);
        s.max_inflight = s.max_inflight.max(s.inflight.len());
        Ok(())
    }
    fn start_commit(&mut self, decision: &Decision) -> Result<(), String> {
        let workers = decision
            .precommits
            .iter()
            .filter(|p| !p.handle.is_empty())
            .map(|p| p.worker)
            .collect();
        self.pending
            .push((decision.epoch, Instant::now() + self.delay, workers));
        Ok(())
    }
    fn poll_committed(&mut self) -> Result<Vec<Epoch>, String> {
        let now = Instant::now();
        let mut done = Vec::new();
        let mut s = self.store.lock().unwrap();
        self.pending.retain(|(e, at, workers)| {
            if *at > now {
                return true;
            }
            for w in workers {
                if let Some(batches) = s.staged.remove(&(*e, *w)) {
                    for b in batches {
                        s.committed.push((*e, b));
                    }
                }
                if let Some(rows) = s.staged_rejected.remove(&(*e, *w)) {
                    s.committed_rejected.extend(rows);
                }
            }
            s.inflight.retain(|x| x != e);
            done.push(*e);
            false
        });
        Ok(done)
    }
}

fn plan() -> Arc<LoadPlan> {
    crate::row::tests::plan(
        "CREATE TABLE t (p INT, n INT, s VARCHAR(8)) DUPLICATE KEY(p) DISTRIBUTED BY HASH(p) BUCKETS 1",
        r#"CREATE ROUTINE LOAD j ON t PROPERTIES ("format" = "json", "timezone" = "UTC")
           FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t")"#,
    )
}

/// `per_partition[p]` messages in partition p; returns every committed row and the store.
fn run(
    workers: usize,
    per_partition: Vec<usize>,
    policy: impl Into<LivePolicy>,
    delay: Duration,
    live_for: Option<Duration>,
    bad_every: Option<usize>,
) -> (Vec<Vec<Option<String>>>, Arc<Mutex<Store>>) {
    let store = Arc::new(Mutex::new(Store::default()));
    let plan = plan();
    let failure = Failure::default();
    let store2 = store.clone();
    let plan2 = plan.clone();
    let fail2 = failure.clone();
    let started = Instant::now();
    let policy: LivePolicy = policy.into();
    timely::execute(timely::Config::process(workers), move |worker| {
        let index = worker.index();
        let peers = worker.peers();
        let parts: Vec<(i32, Vec<Vec<u8>>, usize)> = per_partition
            .iter()
            .enumerate()
            .filter(|(p, _)| p % peers == index)
            .map(|(p, &n)| {
                let msgs = (0..n)
                    .map(|i| match bad_every {
                        Some(k) if i % k == k - 1 => format!(r#"{{"p":{p},"n":{i},"#).into_bytes(),
                        _ => format!(r#"{{"p":{p},"n":{i},"s":"m{i}"}}"#).into_bytes(),
                    })
                    .collect();
                (p as i32, msgs, 0)
            })
            .collect();
        let reader = VecReader {
            parts,
            finish_at: live_for.map(|d| started + d),
            store: store2.clone(),
        };
        let probe = ProbeHandle::new();
        let store = store2.clone();
        let plan = plan2.clone();
        let failure = fail2.clone();
        worker.dataflow::<Epoch, _, _>(|scope| {
            let (batches, ranges) = windowed_source(
                scope,
                "Source",
                reader,
                policy.clone(),
                0,
                probe.clone(),
                Arc::new(AtomicBool::new(false)),
                Default::default(),
                failure.clone(),
            );
            let sink = MemSink {
                worker: index,
                store: store.clone(),
                open: BTreeMap::new(),
            };
            let coordinator = (index == 0).then(|| MemCoordinator {
                store: store.clone(),
                delay,
                pending: Vec::new(),
            });
            let (rows, rejected) = batches.coerce(plan);
            rows.load(rejected, ranges, sink, index, failure.clone())
                .commit(coordinator, failure.clone())
                .probe_with(&probe);
        });
        while !probe.done() {
            worker.step_or_park(Some(Duration::from_millis(1)));
        }
    })
    .expect("timely")
    .join()
    .into_iter()
    .for_each(|r| r.expect("worker"));
    assert_eq!(failure.get(), None);
    let s = store.lock().unwrap();
    let batches: Vec<RecordBatch> = s.committed.iter().map(|(_, b)| b.clone()).collect();
    let mut rows = rows_as_text(&batches, plan.table());
    rows.sort();
    drop(s);
    (rows, store)
}

fn expected(per_partition: &[usize]) -> Vec<Vec<Option<String>>> {
    let mut rows: Vec<Vec<Option<String>>> = per_partition
        .iter()
        .enumerate()
        .flat_map(|(p, &n)| {
            (0..n).map(move |i| {
                vec![
                    Some(p.to_string()),
                    Some(i.to_string()),
                    Some(format!("m{i}")),
                ]
            })
        })
        .collect();
    rows.sort();
    rows
}

/// The decisions' ranges tile [0, n) of every partition with no gap and no overlap.
fn assert_ranges_tile(store: &Store, per_partition: &[usize]) {
    let mut by_part: BTreeMap<i32, Vec<(i64, i64)>> = BTreeMap::new();
    for d in &store.decisions {
        for r in d.ranges() {
            by_part
                .entry(r.partition)
                .or_default()
                .push((r.start, r.end));
        }
    }
    for (p, &n) in per_partition.iter().enumerate() {
        let mut ranges = by_part.remove(&(p as i32)).unwrap_or_default();
        ranges.sort();
        let mut next = 0;
        for (s, e) in ranges {
            assert_eq!(s, next, "partition {p}: gap or overlap at {s}");
            assert!(e > s);
            next = e;
        }
        assert_eq!(next, n as i64, "partition {p} not fully covered");
    }
}

fn small_policy() -> EpochPolicy {
    EpochPolicy {
        max_interval: Duration::from_secs(60),
        max_messages: 50,
        max_bytes: 1 << 30,
        max_inflight: 2,
        read_chunk: 16,
    }
}

#[test]
fn one_worker_commits_every_message_once() {
    let parts = vec![120, 80, 0, 33];
    let (rows, store) = run(1, parts.clone(), small_policy(), Duration::ZERO, None, None);
    assert_eq!(rows, expected(&parts));
    let s = store.lock().unwrap();
    assert!(s.decisions.len() >= 5, "{} epochs", s.decisions.len());
    assert_ranges_tile(&s, &parts);
}

#[test]
fn two_workers_give_the_same_table() {
    let parts = vec![120, 80, 0, 33, 7];
    let (rows1, _) = run(1, parts.clone(), small_policy(), Duration::ZERO, None, None);
    let (rows2, store) = run(2, parts.clone(), small_policy(), Duration::ZERO, None, None);
    assert_eq!(rows1, rows2);
    assert_ranges_tile(&store.lock().unwrap(), &parts);
}

// A coordinator far slower than the source: never more than K epochs decided and waiting.
#[test]
fn slow_commits_bound_epochs_in_flight() {
    let parts = vec![400];
    let policy = EpochPolicy {
        max_messages: 20,
        ..small_policy()
    };
    let (rows, store) = run(
        1,
        parts.clone(),
        policy,
        Duration::from_millis(20),
        None,
        None,
    );
    assert_eq!(rows, expected(&parts));
    let s = store.lock().unwrap();
    assert!(s.decisions.len() >= 20);
    assert!(s.max_inflight <= 2, "{} epochs in flight", s.max_inflight);
    // The source told its reader when it stopped reading and when it read again.
    let bp = &s.backpressure;
    assert!(!bp.is_empty(), "the reader was never paused");
    assert!(
        bp.iter()
            .enumerate()
            .all(|(i, &paused)| paused == (i % 2 == 0)),
        "pause and resume alternate: {bp:?}"
    );
}

// Worker 1's partition has nothing to read but its source stays live: worker 0's epochs
// still commit while it idles.
#[test]
fn an_idle_worker_does_not_hold_commits_back() {
    let parts = vec![300, 0];
    let policy = EpochPolicy {
        max_messages: 10,
        ..small_policy()
    };
    let (rows, store) = run(
        2,
        parts.clone(),
        policy,
        Duration::ZERO,
        Some(Duration::from_millis(300)),
        None,
    );
    assert_eq!(rows, expected(&parts));
    let s = store.lock().unwrap();
    let sizes: Vec<u64> = s
        .decisions
        .iter()
        .map(|d| d.ranges().iter().map(|r| r.messages).sum())
        .collect();
    assert!(s.decisions.len() >= 30, "{sizes:?}");
}

// Malformed messages become rejected rows that reach the sink's error log with the epoch they
// belong to, each naming its partition, offset and Doris's reason.
#[test]
fn rejected_rows_carry_partition_offset_and_reason() {
    let parts = vec![60, 45];
    let (rows, store) = run(
        2,
        parts.clone(),
        small_policy(),
        Duration::ZERO,
        None,
        Some(7),
    );
    let mut want = expected(&parts);
    want.retain(|r| {
        let n: usize = r[1].as_deref().unwrap().parse().unwrap();
        n % 7 != 6
    });
    assert_eq!(rows, want);
    let s = store.lock().unwrap();
    let mut got: Vec<(i32, i64)> = s
        .committed_rejected
        .iter()
        .map(|r| (r.partition, r.offset))
        .collect();
    got.sort();
    let mut bad: Vec<(i32, i64)> = Vec::new();
    for (p, &n) in parts.iter().enumerate() {
        bad.extend((0..n as i64).filter(|i| i % 7 == 6).map(|i| (p as i32, i)));
    }
    assert_eq!(got, bad);
    for r in &s.committed_rejected {
        assert!(r.reason.contains("JSON"), "reason: {}", r.reason);
        assert!(
            r.src_line.contains(&format!("\"n\":{}", r.offset)),
            "{}",
            r.src_line
        );
    }
    let filtered: u64 = s.decisions.iter().map(|d| d.counts().filtered).sum();
    assert_eq!(filtered, bad.len() as u64);
    assert_ranges_tile(&s, &parts);
}

// Values copied, values pointing into a shared buffer, and a batch that mixes them (the
// shared values are copied then) all read back the same.
#[test]
fn message_batches_copy_or_share_values() {
    let shared = arrow_buffer::Buffer::from_vec(b"alphabetagamma".to_vec());
    let mut b = MessageBatch::default();
    assert!(b.push_shared(&shared, 0, 10, -1, 0..5));
    assert!(b.push_shared(&shared, 1, 20, 7, 5..9));
    let other = arrow_buffer::Buffer::from_vec(b"x".to_vec());
    assert!(!b.push_shared(&other, 0, 11, -1, 0..1));
    assert!(!b.push_shared(&shared, 0, 11, -1, 9..99));
    assert_eq!((b.len(), b.bytes(), b.value_len(1)), (2, 9, 4));
    b.push(2, 30, -1, b"delta");
    let got: Vec<(i32, i64, Vec<u8>)> = b
        .iter()
        .map(|m| (m.partition, m.offset, m.value.to_vec()))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, 10, b"alpha".to_vec()),
            (1, 20, b"beta".to_vec()),
            (2, 30, b"delta".to_vec())
        ]
    );
    assert_eq!(b.bytes(), 14);
    // Once values are copied, shared ones cannot join.
    assert!(!b.push_shared(&shared, 0, 12, -1, 9..14));
    b.clear();
    assert!(b.push_shared(&other, 0, 1, -1, 0..1));
}

// The timestamp sample covers a range of any length evenly, keeps its first message, and
// its weights add up to the messages sampled.
#[test]
fn timestamp_samples_cover_the_range_evenly() {
    use super::TsSample;
    for n in [0u64, 1, 5, 32, 33, 100, 1000, 123_457] {
        let mut s = TsSample::default();
        s.offer(-1);
        for i in 0..n {
            s.offer(1_000 + i as i64);
        }
        assert_eq!(s.messages(), n);
        let v = s.values();
        assert!(v.len() <= TsSample::CAPACITY);
        if n == 0 {
            assert!(s.is_empty());
            continue;
        }
        assert_eq!(v[0], 1_000, "the first message is kept");
        assert!(v.len() >= (TsSample::CAPACITY / 2).min(n as usize));
        // Evenly spaced: every gap equals the stride.
        let gaps: std::collections::BTreeSet<i64> = v.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.len() <= 1, "n={n}: {v:?}");
        let last = *v.last().unwrap_or(&0);
        assert!(
            1_000 + n as i64 - 1 - last < (n as i64 / v.len() as i64).max(1) * 2,
            "n={n}: the sample reaches the end of the range"
        );
        assert!((s.weight() * v.len() as f64 - n as f64).abs() < 1e-6);
    }
}

// A live change of the batch knobs applies from the next epoch on: epochs closed before it
// keep the old size, every epoch after the first new-sized one has the new size, and every
// message is still committed once.
#[test]
fn a_live_policy_change_applies_from_the_next_epoch() {
    let parts = vec![2000];
    let live = LivePolicy::new(EpochPolicy {
        max_messages: 50,
        max_inflight: 1,
        ..small_policy()
    });
    let flip = live.clone();
    let flipper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        flip.set(EpochPolicy {
            max_messages: 10,
            ..flip.get()
        });
    });
    let (rows, store) = run(
        1,
        parts.clone(),
        live,
        Duration::from_millis(20),
        None,
        None,
    );
    flipper.join().unwrap();
    assert_eq!(rows, expected(&parts));
    let s = store.lock().unwrap();
    assert_ranges_tile(&s, &parts);
    let sizes: Vec<u64> = s
        .decisions
        .iter()
        .map(|d| d.ranges().iter().map(|r| r.messages).sum())
        .collect();
    let old = sizes.iter().take_while(|n| **n == 50).count();
    assert!(old >= 1, "{sizes:?}");
    assert!(
        old < sizes.len(),
        "the change came after the last epoch: {sizes:?}"
    );
    assert!(sizes[old..].iter().all(|n| *n == 10), "{sizes:?}");
}
