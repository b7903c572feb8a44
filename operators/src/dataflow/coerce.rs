//! The row path as a timely operator: message batches in, Arrow batches and rejected rows
//! out. Parse, extract and coerce run fused inside [`crate::row::RowPath`] (one pass over each
//! message, no intermediate collections); this operator maps epochs onto row-path batches:
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
use crate::row::{LoadPlan, RowCounts, RowPath};

/// Runs the row path over a stream of message batches.
pub trait Coerce<'scope> {
    /// Turns each epoch's messages into Arrow batches with `plan`'s Doris semantics.
    fn coerce(self, plan: Arc<LoadPlan>) -> Stream<'scope, Epoch, Vec<RowChunk>>;
}

impl<'scope> Coerce<'scope> for Stream<'scope, Epoch, Vec<MessageBatch>> {
    fn coerce(self, plan: Arc<LoadPlan>) -> Stream<'scope, Epoch, Vec<RowChunk>> {
        let mut builder = OperatorBuilder::new("Coerce".to_owned(), self.scope());
        let mut input = builder.new_input(self, Pipeline);
        let (out, stream) = builder.new_output();
        let mut out: OutputBuilder<_, timely::container::CapacityContainerBuilder<Vec<RowChunk>>> =
            OutputBuilder::from(out);

        builder.build(move |_caps| {
            let mut path = RowPath::new(plan);
            // The open batch's epoch capability.
            let mut open: Option<Capability<Epoch>> = None;

            move |frontiers| {
                let mut out = out.activate();
                input.for_each_stamp(|cap, data| {
                    let Some(&epoch) = cap.least() else {
                        return;
                    };
                    if open.as_ref().is_some_and(|c| *c.time() != epoch)
                        && let Some(c) = open.take()
                    {
                        out.session(&c).give(finish(&mut path));
                    }
                    if open.is_none() {
                        let Some(c) = cap.retain_least(0) else {
                            return;
                        };
                        path.begin_batch(now_micros());
                        open = Some(c);
                    }
                    for batch in data.flat_map(|c| c.iter()) {
                        for m in batch.iter() {
                            path.push(m);
                        }
                    }
                    // Forward the Arrow batches cut so far.
                    if let Some(c) = &open {
                        let batches = path.take_chunks();
                        let rejected = path.take_rejected();
                        if !batches.is_empty() || !rejected.is_empty() {
                            out.session(c).give(RowChunk {
                                batches,
                                rejected,
                                counts: RowCounts::default(),
                            });
                        }
                    }
                });
                let passed = open
                    .as_ref()
                    .is_some_and(|c| !frontiers[0].less_equal(c.time()));
                if passed && let Some(c) = open.take() {
                    out.session(&c).give(finish(&mut path));
                }
            }
        });
        stream
    }
}

/// Ends the row path's batch: the remaining Arrow batches, rejected rows and the counters.
fn finish(path: &mut RowPath) -> RowChunk {
    let out = path.finish();
    RowChunk {
        batches: out
            .batches
            .into_iter()
            .filter(|b| b.num_rows() > 0)
            .collect(),
        rejected: out.rejected,
        counts: out.counts,
    }
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}
