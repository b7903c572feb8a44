//! The commit operator: exactly-once's decision point. Every worker's [`PreCommit`] goes to
//! worker 0. When this operator's input frontier passes epoch `e`, every worker has
//! pre-committed `e` and reported its offsets; the [`Coordinator`] then writes the epoch's
//! one durable decision record (offset ranges and transaction handles) and commits the
//! transactions. The operator holds `e`'s output capability until the commit is done and
//! stays scheduled while commits are in flight, so the committed frontier (probed by the
//! sources for backpressure) passes `e` only once `e` is committed.

use std::collections::BTreeMap;
use std::time::Instant;

use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::OutputBuilder;
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;

use super::{Committed, Decision, Epoch, Failure, PreCommit};

/// The coordinator side of a two-phase sink (runs on worker 0).
pub trait Coordinator: 'static {
    /// Durably records the decision for an epoch. Once this returns, the epoch is decided:
    /// a restart commits it.
    fn decide(&mut self, decision: &Decision) -> Result<(), String>;
    /// Starts committing a decided epoch's transactions; may finish later.
    fn start_commit(&mut self, decision: &Decision) -> Result<(), String>;
    /// Epochs whose commit has finished since the last call.
    fn poll_committed(&mut self) -> Result<Vec<Epoch>, String>;
}

/// Decides and commits epochs.
pub trait Commit<'scope> {
    /// Sends every pre-commit to worker 0 and commits each epoch once all workers have
    /// passed it. The output has one [`Committed`] per committed epoch.
    fn commit<C: Coordinator>(
        self,
        coordinator: Option<C>,
        failure: Failure,
    ) -> Stream<'scope, Epoch, Vec<Committed>>;
}

struct InFlight {
    cap: Capability<Epoch>,
    decision: Decision,
    started: Instant,
}

impl<'scope> Commit<'scope> for Stream<'scope, Epoch, Vec<PreCommit>> {
    fn commit<C: Coordinator>(
        self,
        mut coordinator: Option<C>,
        failure: Failure,
    ) -> Stream<'scope, Epoch, Vec<Committed>> {
        let mut builder = OperatorBuilder::new("Commit".to_owned(), self.scope());
        let info = builder.operator_info();
        let activator = self.scope().activator_for(info.address);
        let mut input = builder.new_input(self, Exchange::new(|_: &PreCommit| 0u64));
        let (out, stream) = builder.new_output();
        let mut out: OutputBuilder<_, timely::container::CapacityContainerBuilder<Vec<Committed>>> =
            OutputBuilder::from(out);

        builder.build_reschedule(move |_caps| {
            let mut pending: BTreeMap<Epoch, (Capability<Epoch>, Vec<PreCommit>)> = BTreeMap::new();
            let mut inflight: BTreeMap<Epoch, InFlight> = BTreeMap::new();
            let mut failed = false;

            move |frontiers| {
                input.for_each_stamp(|cap, data| {
                    let Some(&epoch) = cap.least() else { return };
                    let entry = pending
                        .entry(epoch)
                        .or_insert_with(|| (cap.delayed(&epoch, 0), Vec::new()));
                    for precommits in data {
                        entry.1.append(precommits);
                    }
                });
                let Some(coord) = coordinator.as_mut() else {
                    // Not the coordinating worker: nothing arrives here.
                    pending.clear();
                    return false;
                };
                if failed {
                    pending.clear();
                    inflight.clear();
                    return false;
                }
                // Decide complete epochs, in order.
                while let Some((&epoch, _)) = pending.iter().next() {
                    if frontiers[0].less_equal(&epoch) {
                        break;
                    }
                    let Some((cap, mut precommits)) = pending.remove(&epoch) else {
                        break;
                    };
                    precommits.sort_by_key(|p| p.worker);
                    let decision = Decision { epoch, precommits };
                    if let Err(e) = coord
                        .decide(&decision)
                        .and_then(|()| coord.start_commit(&decision))
                    {
                        failure.set(format!("epoch {epoch}: {e}"));
                        failed = true;
                        // Drop every capability now: no later activation may come.
                        pending.clear();
                        inflight.clear();
                        return false;
                    }
                    inflight.insert(
                        epoch,
                        InFlight {
                            cap,
                            decision,
                            started: Instant::now(),
                        },
                    );
                }
                match coord.poll_committed() {
                    Ok(done) => {
                        let mut out = out.activate();
                        for epoch in done {
                            if let Some(f) = inflight.remove(&epoch) {
                                let max_ts = f
                                    .decision
                                    .ranges()
                                    .iter()
                                    .filter_map(|r| r.max_timestamp_ms)
                                    .max();
                                out.session(&f.cap).give(Committed {
                                    epoch,
                                    counts: f.decision.counts(),
                                    commit_ms: f.started.elapsed().as_secs_f64() * 1e3,
                                    max_timestamp_ms: max_ts,
                                });
                            }
                        }
                    }
                    Err(e) => {
                        failure.set(format!("commit: {e}"));
                        failed = true;
                        // Drop every capability now: no later activation may come.
                        pending.clear();
                        inflight.clear();
                        return false;
                    }
                }
                // Commits in flight: stay scheduled and poll again shortly.
                if !inflight.is_empty() {
                    activator.activate_after(std::time::Duration::from_millis(1));
                }
                !inflight.is_empty()
            }
        });
        stream
    }
}
