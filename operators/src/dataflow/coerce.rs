//! The row path as a timely operator: message batches in, Arrow batches out, and the rejected
//! rows (partition, offset, Doris's reason) on a second stream. Parse, extract and coerce run
//! fused inside [`crate::row::RowPath`] (one pass over each message, no intermediate
//! collections; splitting them into three operators would materialise every parsed value
//! between operators); this operator maps epochs onto row-path batches:
//! an epoch is one Doris task, so `now()` and `DEFAULT CURRENT_TIMESTAMP` are fixed per
//! epoch and a CSV stream spans the epoch's messages.
//!
//! Finished Arrow batches (8192 rows by default) are forwarded as soon as they are cut; the
//! epoch's counters and the rest follow when the input frontier passes the epoch.

use std::sync::Arc;

use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::OutputBuilder;
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;

use super::{Epoch, MessageBatch, RowChunk};
use crate::row::{LoadPlan, RejectedRow, RowCounts, RowPath};

/// Time an operator spent working, shared with whoever reports it.
pub type StageTime = std::rc::Rc<std::cell::Cell<std::time::Duration>>;

/// Runs the row path over a stream of message batches.
pub trait Coerce<'scope> {
    /// Turns each epoch's messages into Arrow batches with `plan`'s Doris semantics; the
    /// second stream carries the rows filtered for data quality, each with its partition,
    /// offset and reason.
    fn coerce(
        self,
        plan: Arc<LoadPlan>,
    ) -> (
        Stream<'scope, Epoch, Vec<RowChunk>>,
        Stream<'scope, Epoch, Vec<RejectedRow>>,
    )
    where
        Self: Sized,
    {
        self.coerce_timed(plan, StageTime::default())
    }

    /// [`Coerce::coerce`], adding the time spent to `time`.
    fn coerce_timed(
        self,
        plan: Arc<LoadPlan>,
        time: StageTime,
    ) -> (
        Stream<'scope, Epoch, Vec<RowChunk>>,
        Stream<'scope, Epoch, Vec<RejectedRow>>,
    );
}

impl<'scope> Coerce<'scope> for Stream<'scope, Epoch, Vec<MessageBatch>> {
    fn coerce_timed(
        self,
        plan: Arc<LoadPlan>,
        time: StageTime,
    ) -> (
        Stream<'scope, Epoch, Vec<RowChunk>>,
        Stream<'scope, Epoch, Vec<RejectedRow>>,
    ) {
        let mut builder = OperatorBuilder::new("Coerce".to_owned(), self.scope());
        let mut input = builder.new_input(self, Pipeline);
        let (out, stream) = builder.new_output();
        let mut out: OutputBuilder<_, timely::container::CapacityContainerBuilder<Vec<RowChunk>>> =
            OutputBuilder::from(out);
        let (rej, rejected_stream) = builder.new_output();
        let mut rej: OutputBuilder<
            _,
            timely::container::CapacityContainerBuilder<Vec<RejectedRow>>,
        > = OutputBuilder::from(rej);

        builder.build(move |_caps| {
            let mut path = RowPath::new(plan);
            // The open batch's epoch capabilities: rows, rejected rows.
            let mut open: Option<(Capability<Epoch>, Capability<Epoch>)> = None;

            move |frontiers| {
                let started = std::time::Instant::now();
                let mut out = out.activate();
                let mut rej = rej.activate();
                input.for_each_stamp(|cap, data| {
                    let Some(&epoch) = cap.least() else {
                        return;
                    };
                    if open.as_ref().is_some_and(|(c, _)| *c.time() != epoch)
                        && let Some((c, r)) = open.take()
                    {
                        let (chunk, rejected) = finish(&mut path);
                        out.session(&c).give(chunk);
                        if !rejected.is_empty() {
                            rej.session(&r).give_iterator(rejected.into_iter());
                        }
                    }
                    if open.is_none() {
                        let (Some(c), Some(r)) = (cap.retain_least(0), cap.retain_least(1)) else {
                            return;
                        };
                        path.begin_batch(now_micros());
                        open = Some((c, r));
                    }
                    for batch in data.flat_map(|c| c.iter()) {
                        for m in batch.iter() {
                            path.push(m);
                        }
                    }
                    // Forward the Arrow batches cut so far.
                    if let Some((c, r)) = &open {
                        let batches = path.take_chunks();
                        if !batches.is_empty() {
                            out.session(c).give(RowChunk {
                                batches,
                                counts: RowCounts::default(),
                            });
                        }
                        let rejected = path.take_rejected();
                        if !rejected.is_empty() {
                            rej.session(r).give_iterator(rejected.into_iter());
                        }
                    }
                });
                let passed = open
                    .as_ref()
                    .is_some_and(|(c, _)| !frontiers[0].less_equal(c.time()));
                if passed && let Some((c, r)) = open.take() {
                    let (chunk, rejected) = finish(&mut path);
                    out.session(&c).give(chunk);
                    if !rejected.is_empty() {
                        rej.session(&r).give_iterator(rejected.into_iter());
                    }
                }
                time.set(time.get() + started.elapsed());
            }
        });
        (stream, rejected_stream)
    }
}

/// Ends the row path's batch: the remaining Arrow batches with the epoch's counters, and the
/// remaining rejected rows.
fn finish(path: &mut RowPath) -> (RowChunk, Vec<RejectedRow>) {
    let done = path.finish();
    let chunk = RowChunk {
        batches: done
            .batches
            .into_iter()
            .filter(|b| b.num_rows() > 0)
            .collect(),
        counts: done.counts,
    };
    (chunk, done.rejected)
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}
