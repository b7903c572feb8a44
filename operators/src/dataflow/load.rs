//! Staging each worker's share of an epoch in a two-phase sink: Arrow batches and rejected
//! rows go into the epoch's transaction as they arrive; when the input frontiers pass the
//! epoch, the transaction is pre-committed and a [`PreCommit`] (handle, counters, the offset
//! ranges the worker's source read) goes to the coordinator.

use std::collections::BTreeMap;

use arrow_array::RecordBatch;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::OutputBuilder;
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;

use super::coerce::StageTime;
use super::{Epoch, Failure, PartitionRange, PreCommit, RowChunk};
use crate::row::{RejectedRow, RowCounts};

/// Adds the elapsed time to a stage timer when dropped (every exit of an activation).
struct TimerGuard<'a>(&'a StageTime, std::time::Instant);

impl Drop for TimerGuard<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() + self.1.elapsed());
    }
}

/// A sink failure, with what was being done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

/// The worker side of a two-phase sink: one transaction per worker per epoch.
pub trait TxnSink: 'static {
    /// Opens the transaction of `epoch`.
    fn begin(&mut self, epoch: Epoch) -> Result<(), SinkError>;
    /// Adds rows to the open transaction of `epoch`.
    fn write(&mut self, epoch: Epoch, batch: &RecordBatch) -> Result<(), SinkError>;
    /// Records filtered rows with the transaction (the epoch's error log).
    fn write_rejected(&mut self, epoch: Epoch, rows: &[RejectedRow]) -> Result<(), SinkError>;
    /// Pre-commits the transaction: its data is durable but invisible. Returns the handle the
    /// coordinator commits or aborts it by.
    fn precommit(&mut self, epoch: Epoch) -> Result<String, SinkError>;
    /// Called just before [`TxnSink::precommit`] with the offset ranges the worker read in
    /// `epoch`, for a sink whose handle must say what its transaction covers (to load exactly
    /// that again if the transaction is lost). Does nothing by default.
    fn covers(&mut self, _epoch: Epoch, _ranges: &[PartitionRange]) {}
}

/// Stages epochs in a [`TxnSink`].
pub trait Load<'scope> {
    /// Writes each epoch's rows, and its `rejected` rows as the epoch's error log, into
    /// `sink` and pre-commits it when the epoch is complete, reporting `ranges` (the source's
    /// offsets) with it.
    fn load<S: TxnSink>(
        self,
        rejected: Stream<'scope, Epoch, Vec<RejectedRow>>,
        ranges: Stream<'scope, Epoch, Vec<PartitionRange>>,
        sink: S,
        worker: usize,
        failure: Failure,
    ) -> Stream<'scope, Epoch, Vec<PreCommit>>
    where
        Self: Sized,
    {
        self.load_timed(
            rejected,
            ranges,
            sink,
            worker,
            failure,
            StageTime::default(),
        )
    }

    /// [`Load::load`], adding the time spent to `time`.
    fn load_timed<S: TxnSink>(
        self,
        rejected: Stream<'scope, Epoch, Vec<RejectedRow>>,
        ranges: Stream<'scope, Epoch, Vec<PartitionRange>>,
        sink: S,
        worker: usize,
        failure: Failure,
        time: StageTime,
    ) -> Stream<'scope, Epoch, Vec<PreCommit>>;
}

/// An epoch being staged.
struct Staging {
    cap: Capability<Epoch>,
    begun: bool,
    counts: RowCounts,
    ranges: Vec<PartitionRange>,
}

impl Staging {
    /// The staging of `epoch`, opened with a capability derived from `cap` if new.
    fn entry<'a>(
        staging: &'a mut BTreeMap<Epoch, Staging>,
        cap: &timely::dataflow::operators::InputCapability<Epoch>,
        epoch: Epoch,
    ) -> &'a mut Staging {
        staging.entry(epoch).or_insert_with(|| Staging {
            cap: cap.delayed(&epoch, 0),
            begun: false,
            counts: RowCounts::default(),
            ranges: Vec::new(),
        })
    }
}

impl<'scope> Load<'scope> for Stream<'scope, Epoch, Vec<RowChunk>> {
    fn load_timed<S: TxnSink>(
        self,
        rejected: Stream<'scope, Epoch, Vec<RejectedRow>>,
        ranges: Stream<'scope, Epoch, Vec<PartitionRange>>,
        mut sink: S,
        worker: usize,
        failure: Failure,
        time: StageTime,
    ) -> Stream<'scope, Epoch, Vec<PreCommit>> {
        let mut builder = OperatorBuilder::new("Load".to_owned(), self.scope());
        let mut rows_in = builder.new_input(self, Pipeline);
        let mut ranges_in = builder.new_input(ranges, Pipeline);
        let mut rejected_in = builder.new_input(rejected, Pipeline);
        let (out, stream) = builder.new_output();
        let mut out: OutputBuilder<_, timely::container::CapacityContainerBuilder<Vec<PreCommit>>> =
            OutputBuilder::from(out);

        builder.build(move |_caps| {
            let mut staging: BTreeMap<Epoch, Staging> = BTreeMap::new();
            let mut failed = false;

            move |frontiers| {
                let started = std::time::Instant::now();
                let _timer = TimerGuard(&time, started);
                if failed {
                    // Drain inputs so upstream does not stall; nothing more is staged.
                    rows_in.for_each(|_, _| {});
                    ranges_in.for_each(|_, _| {});
                    rejected_in.for_each(|_, _| {});
                    staging.clear();
                    return;
                }
                let fail = |e: SinkError, failed: &mut bool| {
                    failure.set(format!("sink: {e}"));
                    *failed = true;
                };
                rows_in.for_each_stamp(|cap, data| {
                    let Some(&epoch) = cap.least() else { return };
                    let entry = Staging::entry(&mut staging, &cap, epoch);
                    for chunk in data.flat_map(|c| c.iter()) {
                        entry.counts.add(&chunk.counts);
                        for batch in &chunk.batches {
                            if batch.num_rows() == 0 {
                                continue;
                            }
                            if !entry.begun {
                                if let Err(e) = sink.begin(epoch) {
                                    fail(e, &mut failed);
                                    return;
                                }
                                entry.begun = true;
                            }
                            if let Err(e) = sink.write(epoch, batch) {
                                fail(e, &mut failed);
                                return;
                            }
                        }
                    }
                });
                rejected_in.for_each_stamp(|cap, data| {
                    let Some(&epoch) = cap.least() else { return };
                    let entry = Staging::entry(&mut staging, &cap, epoch);
                    for rows in data {
                        if rows.is_empty() {
                            continue;
                        }
                        if !entry.begun {
                            if let Err(e) = sink.begin(epoch) {
                                fail(e, &mut failed);
                                return;
                            }
                            entry.begun = true;
                        }
                        if let Err(e) = sink.write_rejected(epoch, rows) {
                            fail(e, &mut failed);
                            return;
                        }
                    }
                });
                ranges_in.for_each_stamp(|cap, data| {
                    let Some(&epoch) = cap.least() else { return };
                    let entry = Staging::entry(&mut staging, &cap, epoch);
                    for ranges in data {
                        entry.ranges.append(ranges);
                    }
                });
                if failed {
                    // Drop every capability now: no later activation may come.
                    staging.clear();
                    return;
                }
                // Epochs every input has passed are complete.
                let complete: Vec<Epoch> = staging
                    .keys()
                    .copied()
                    .filter(|e| frontiers.iter().all(|f| !f.less_equal(e)))
                    .collect();
                let mut out = out.activate();
                for epoch in complete {
                    let Some(st) = staging.remove(&epoch) else {
                        continue;
                    };
                    let handle = if st.begun {
                        sink.covers(epoch, &st.ranges);
                        match sink.precommit(epoch) {
                            Ok(h) => h,
                            Err(e) => {
                                fail(e, &mut failed);
                                staging.clear();
                                return;
                            }
                        }
                    } else {
                        String::new()
                    };
                    out.session(&st.cap).give(PreCommit {
                        epoch,
                        worker,
                        handle,
                        counts: st.counts,
                        ranges: st.ranges,
                    });
                }
            }
        });
        stream
    }
}
