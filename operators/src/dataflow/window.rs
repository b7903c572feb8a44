//! The windowed source: epochs are micro-batches, and a source decides them. It reads from a
//! [`PartitionReader`] (a capture file, Kafka) and closes its epoch, as a Doris task ends,
//! on the first of: `max_batch_interval` elapsed, `max_batch_rows` messages (Kafka messages,
//! as Doris counts), `max_batch_size` bytes, or every partition caught up (Doris 2.1+). It
//! then emits the offset range each partition advanced by and advances its capability.
//!
//! Backpressure: a source does not put data into epoch `e` before epoch `e - K` has committed
//! (`K` = `max_inflight_epochs`); it stops reading rather than buffering. An idle source
//! (caught up, nothing in its open epoch) keeps its capability at least `K` epochs past the
//! first uncommitted epoch, ahead of any epoch a busy worker can have open, so it never holds
//! the others' commits back.

use std::time::{Duration, Instant};

use timely::dataflow::operators::generic::OutputBuilder;
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;
use timely::dataflow::operators::probe::Handle as ProbeHandle;
use timely::dataflow::{Scope, Stream};

use super::{Epoch, Failure, MessageBatch, PartitionRange, TsSample};

/// What a reader knows after a read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStatus {
    /// Every partition has been read up to what is available now.
    pub caught_up: bool,
    /// There will never be more data (a capture file's end, a bounded run's end).
    pub finished: bool,
    /// A failure that stops the job (offset out of range, unreadable capture).
    pub error: Option<String>,
}

/// A source of Kafka messages for one worker: some partitions, read in order.
pub trait PartitionReader: 'static {
    /// Appends at most `max_messages` messages and about `max_bytes` bytes to `batch`.
    fn read(
        &mut self,
        batch: &mut MessageBatch,
        max_messages: usize,
        max_bytes: usize,
    ) -> ReadStatus;

    /// Each partition's next offset to read (only partitions this reader owns).
    fn positions(&self) -> Vec<(i32, i64)>;

    /// How long to wait before reading again after `caught_up` (a capture's pacing).
    fn idle_wait(&self) -> Duration {
        Duration::from_millis(10)
    }

    /// Told `true` when the source stops reading because `K` epochs are in flight, and
    /// `false` when it reads again: a live reader stops fetching (Kafka: pauses its
    /// partitions) rather than buffering. Does nothing by default.
    fn backpressure(&mut self, _paused: bool) {}
}

/// When an epoch closes (Doris's batch thresholds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochPolicy {
    /// `max_batch_interval`.
    pub max_interval: Duration,
    /// `max_batch_rows` (messages).
    pub max_messages: u64,
    /// `max_batch_size` (bytes).
    pub max_bytes: u64,
    /// `max_inflight_epochs` (K).
    pub max_inflight: u64,
    /// Messages read per activation at most (bounded work).
    pub read_chunk: usize,
}

impl Default for EpochPolicy {
    fn default() -> Self {
        EpochPolicy {
            max_interval: Duration::from_secs(60),
            max_messages: 20_000_000,
            max_bytes: 1 << 30,
            max_inflight: 2,
            read_chunk: 8192,
        }
    }
}

/// An [`EpochPolicy`] that can be changed while the dataflow runs (a live `ALTER` of the
/// batch knobs). Sources read it whenever they open an epoch, so a change applies from the
/// next epoch on and never to an epoch already open.
#[derive(Debug, Clone, Default)]
pub struct LivePolicy(std::sync::Arc<std::sync::Mutex<EpochPolicy>>);

impl LivePolicy {
    /// A live policy starting at `policy`.
    pub fn new(policy: EpochPolicy) -> Self {
        LivePolicy(std::sync::Arc::new(std::sync::Mutex::new(policy)))
    }

    /// The current policy.
    pub fn get(&self) -> EpochPolicy {
        self.0.lock().map(|p| *p).unwrap_or_default()
    }

    /// Replaces the policy; sources take it at their next epoch.
    pub fn set(&self, policy: EpochPolicy) {
        if let Ok(mut p) = self.0.lock() {
            *p = policy;
        }
    }
}

impl From<EpochPolicy> for LivePolicy {
    fn from(policy: EpochPolicy) -> Self {
        LivePolicy::new(policy)
    }
}

/// Statistics a source keeps (for metrics and the bench).
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceStats {
    /// Time spent reading.
    pub read: Duration,
    /// Time spent blocked by backpressure.
    pub blocked: Duration,
    /// Epochs closed.
    pub epochs: u64,
    /// Most epochs in flight seen when data entered an epoch: from the first uncommitted
    /// epoch to the one being filled, inclusive. Never more than `max_inflight`.
    pub max_in_flight: u64,
}

/// Shared view of a source's statistics.
pub type SharedStats = std::rc::Rc<std::cell::Cell<SourceStats>>;

/// The open epoch of a source: what it has read so far.
struct EpochState {
    messages: u64,
    bytes: u64,
    open_since: Option<Instant>,
    /// Each partition's position when the epoch opened.
    start: Vec<(i32, i64)>,
    /// Per partition: largest timestamp, messages, bytes, first offset.
    seen: Vec<(i32, i64, u64, u64, i64)>,
    /// Per partition (same order as `seen`): a sample of the message timestamps.
    samples: Vec<TsSample>,
}

impl EpochState {
    fn new(start: Vec<(i32, i64)>) -> Self {
        EpochState {
            messages: 0,
            bytes: 0,
            open_since: None,
            start,
            seen: Vec::new(),
            samples: Vec::new(),
        }
    }

    fn add(&mut self, batch: &MessageBatch) {
        if self.open_since.is_none() {
            self.open_since = Some(Instant::now());
        }
        self.messages += batch.len() as u64;
        self.bytes += batch.bytes() as u64;
        // Messages come in runs of one partition (a fetch's message set, a capture's batch):
        // one look-up per run, not per message (a scan of 256 partitions per message cost a
        // seventh of a worker's time on a Kafka topic of 256 partitions).
        let n = batch.len();
        let mut i = 0;
        while i < n {
            let p = batch.partitions[i];
            let slot = match self.seen.iter().position(|e| e.0 == p) {
                Some(slot) => slot,
                None => {
                    self.seen.push((p, i64::MIN, 0, 0, batch.offsets[i]));
                    self.samples.push(TsSample::default());
                    self.seen.len() - 1
                }
            };
            let e = &mut self.seen[slot];
            let sample = &mut self.samples[slot];
            while i < n && batch.partitions[i] == p {
                sample.offer(batch.timestamps[i]);
                e.1 = e.1.max(batch.timestamps[i]);
                e.2 += 1;
                e.3 += batch.value_len(i) as u64;
                i += 1;
            }
        }
    }

    /// Each partition's `[start, end)` for the epoch, given the positions at its close. A
    /// partition the reader did not report when the epoch opened starts at its first message.
    fn ranges(&self, end_positions: &[(i32, i64)]) -> Vec<PartitionRange> {
        let mut ranges = Vec::new();
        for &(p, end) in end_positions {
            let slot = self.seen.iter().position(|e| e.0 == p);
            let seen = slot.map(|i| &self.seen[i]);
            let (max_ts, messages, bytes) = seen.map(|e| (e.1, e.2, e.3)).unwrap_or((-1, 0, 0));
            let start = self
                .start
                .iter()
                .find(|(q, _)| *q == p)
                .map(|(_, s)| *s)
                .or(seen.map(|e| e.4))
                .unwrap_or(end);
            if end > start || messages > 0 {
                ranges.push(PartitionRange {
                    partition: p,
                    start,
                    end,
                    messages,
                    bytes,
                    max_timestamp_ms: (max_ts >= 0).then_some(max_ts),
                    ts_sample: slot.map(|i| self.samples[i]).unwrap_or_default(),
                });
            }
        }
        ranges
    }
}

/// Builds a windowed source on `scope` for `reader`, starting at `first_epoch`.
///
/// `committed` must probe the commit operator's output: its frontier is the first epoch not
/// yet committed. `stop` asks the source to close its open epoch and finish. A reader error
/// is reported to `failure` and ends the source.
pub fn windowed_source<'scope, R: PartitionReader>(
    scope: Scope<'scope, Epoch>,
    name: &str,
    mut reader: R,
    policy: impl Into<LivePolicy>,
    first_epoch: Epoch,
    committed: ProbeHandle<Epoch>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    stats: SharedStats,
    failure: Failure,
) -> (
    Stream<'scope, Epoch, Vec<MessageBatch>>,
    Stream<'scope, Epoch, Vec<PartitionRange>>,
) {
    let live = policy.into();
    let mut policy = live.get();
    let mut builder = OperatorBuilder::new(name.to_owned(), scope);
    let info = builder.operator_info();
    let activator = scope.activator_for(info.address);
    let (batches_out, batches) = builder.new_output();
    let (ranges_out, ranges) = builder.new_output();
    let mut batches_out: OutputBuilder<
        _,
        timely::container::CapacityContainerBuilder<Vec<MessageBatch>>,
    > = OutputBuilder::from(batches_out);
    let mut ranges_out: OutputBuilder<
        _,
        timely::container::CapacityContainerBuilder<Vec<PartitionRange>>,
    > = OutputBuilder::from(ranges_out);

    builder.build(move |mut caps| {
        // One capability per output; they move together.
        let mut cap_ranges = caps.pop();
        let mut cap_batches = caps.pop();
        let mut epoch = first_epoch;
        if let (Some(b), Some(r)) = (&mut cap_batches, &mut cap_ranges) {
            b.downgrade(&epoch);
            r.downgrade(&epoch);
        }
        let mut state = EpochState::new(reader.positions());
        // Messages read while the open epoch was not yet allowed (at most one read's worth).
        let mut held: Option<MessageBatch> = None;
        let mut blocked_since: Option<Instant> = None;
        // The last read found every partition caught up and the open epoch empty.
        let mut idle = false;
        let mut last = ReadStatus::default();

        move |_frontiers| {
            if failure.is_set() {
                // The run failed somewhere: nothing more can commit, so the source ends now
                // instead of waiting for commits (the restart resumes from the last decision).
                cap_batches = None;
                cap_ranges = None;
                reader.backpressure(false);
                return;
            }
            let (Some(cap_b), Some(cap_r)) = (cap_batches.as_mut(), cap_ranges.as_mut()) else {
                return;
            };
            if state.messages == 0 && held.is_none() {
                // Between epochs: a changed policy applies from here on.
                policy = live.get();
            }
            let mut st = stats.get();
            let stopping = stop.load(std::sync::atomic::Ordering::Relaxed);
            // First epoch not yet committed (None: everything committed).
            let first_uncommitted = committed.with_frontier(|f| f.first().copied());
            let allowed = |e: Epoch| match first_uncommitted {
                Some(c) => e < c + policy.max_inflight,
                None => true,
            };

            // Idle (caught up, nothing in the open epoch): keep the capability K past the first
            // uncommitted epoch, ahead of any epoch a busy worker can have open, so that their
            // epochs can commit.
            if idle
                && state.messages == 0
                && held.is_none()
                && let Some(c) = first_uncommitted
            {
                let target = c + policy.max_inflight;
                if target > epoch {
                    epoch = target;
                    cap_b.downgrade(&epoch);
                    cap_r.downgrade(&epoch);
                }
            }

            // Data may only enter an allowed epoch; until then a held read waits.
            if !allowed(epoch) && (state.messages > 0 || held.is_some()) {
                if blocked_since.is_none() {
                    blocked_since = Some(Instant::now());
                    reader.backpressure(true);
                }
                activator.activate_after(Duration::from_millis(1));
                stats.set(st);
                return;
            }
            if let Some(b) = blocked_since.take() {
                st.blocked += b.elapsed();
                reader.backpressure(false);
            }
            let in_flight = first_uncommitted.map_or(1, |c| epoch.saturating_sub(c) + 1);
            let mut out = batches_out.activate();
            if let Some(batch) = held.take() {
                state.add(&batch);
                st.max_in_flight = st.max_in_flight.max(in_flight);
                out.session(&*cap_b).give(batch);
            }

            let mut status = last.clone();
            let remaining_msgs = policy.max_messages.saturating_sub(state.messages) as usize;
            let remaining_bytes = policy.max_bytes.saturating_sub(state.bytes) as usize;
            if !stopping
                && !status.finished
                && status.error.is_none()
                && remaining_msgs > 0
                && remaining_bytes > 0
            {
                let started = Instant::now();
                let max = policy.read_chunk.min(remaining_msgs);
                let mut batch = MessageBatch::with_capacity(max, 0);
                status = reader.read(&mut batch, max, remaining_bytes);
                st.read += started.elapsed();
                if !batch.is_empty() {
                    if allowed(epoch) {
                        state.add(&batch);
                        st.max_in_flight = st.max_in_flight.max(in_flight);
                        out.session(&*cap_b).give(batch);
                    } else {
                        held = Some(batch);
                    }
                }
            }
            drop(out);
            if let Some(e) = &status.error {
                failure.set(format!("source: {e}"));
            }
            idle = status.caught_up && state.messages == 0 && held.is_none();

            let ending = stopping || status.finished || status.error.is_some();
            let close = state.messages > 0
                && held.is_none()
                && (state.messages >= policy.max_messages
                    || state.bytes >= policy.max_bytes
                    || state
                        .open_since
                        .is_some_and(|t| t.elapsed() >= policy.max_interval)
                    || status.caught_up
                    || ending);
            if close {
                let end_positions = reader.positions();
                let ranges = state.ranges(&end_positions);
                {
                    let mut out = ranges_out.activate();
                    let mut session = out.session(&*cap_r);
                    for range in ranges {
                        session.give(range);
                    }
                }
                state = EpochState::new(end_positions);
                epoch += 1;
                st.epochs += 1;
                cap_b.downgrade(&epoch);
                cap_r.downgrade(&epoch);
            } else if state.messages == 0 && held.is_none() {
                // Nothing read into this epoch yet: its offsets start where the reader is.
                state.start = reader.positions();
            }
            stats.set(st);
            last = status.clone();

            if ending && state.messages == 0 && held.is_none() {
                cap_batches = None;
                cap_ranges = None;
                return;
            }
            if ending || held.is_some() {
                activator.activate_after(Duration::from_millis(1));
            } else if status.caught_up {
                let wait = match state.open_since {
                    Some(t) => policy.max_interval.saturating_sub(t.elapsed()),
                    None => reader.idle_wait(),
                };
                activator
                    .activate_after(wait.min(reader.idle_wait()).max(Duration::from_millis(1)));
            } else {
                activator.activate();
            }
        }
    });
    (batches, ranges)
}
