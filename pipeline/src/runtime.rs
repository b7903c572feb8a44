//! Running a job: the timely workers and processes, the dataflow each worker builds, recovery
//! at start, the coordinator that turns a decided epoch into one durable record and a commit,
//! and the figures a run reports.
//!
//! ```text
//!  process 0, worker 0 (before the dataflow):
//!     open the progress store → commit decided-but-uncommitted epochs → drop staged
//!     transactions of undecided epochs → record the run (generation)
//!  every worker, after a barrier:
//!     read the store → source from each owned partition's next offset, epochs from the next
//!     epoch → coerce → load into the sink → commit (worker 0 decides and commits)
//! ```
//!
//! A partition belongs to worker `partition % workers`. A capture run ends by itself once the
//! whole capture is committed, a bounded Kafka run (`SourceSpec::Kafka { until: Some(..) }`)
//! once every partition is committed up to its end offset, resolved once before the workers
//! start; an unbounded Kafka run goes on until stopped. A reader that cannot start (a start
//! offset past the end, an unknown partition) fails its worker's source, which stops the run.
//! A stop request (Ctrl-C, SIGTERM) makes every source close its open epoch, and the run ends
//! once those epochs are committed: nothing is half committed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use timely::dataflow::operators::probe::Handle as ProbeHandle;
use timely::dataflow::operators::{Inspect, Probe};

use routinely_operators::dataflow::MessageBatch;
use routinely_operators::dataflow::coerce::{Coerce, StageTime};
use routinely_operators::dataflow::commit::{Commit, Coordinator};
use routinely_operators::dataflow::load::{Load, SinkError, TxnSink};
use routinely_operators::dataflow::window::{
    EpochPolicy, LivePolicy, PartitionReader, ReadStatus, SourceStats, windowed_source,
};
use routinely_operators::dataflow::{Committed, Decision, Epoch, Failure, PartitionRange};
use routinely_operators::row::{LoadPlan, RowCounts};
use routinely_schemas::job::KafkaOffset;
use routinely_schemas::{RoutineLoadJob, TableSchema};

use crate::jobstate::{ErrorCode, ErrorReason, ErrorWindow, Thresholds};

use crate::capture::{CaptureReader, Pacing, ReaderOptions, StartOffset};
use crate::kafka::{GroupCommitter, KafkaOptions, KafkaReader, Until};
use crate::progress::{DecisionRecord, JobIdentity, ProgressStore, StartSpec, now_ms};
use crate::sink::doris::{DorisClient, DorisCommitter, DorisTxnSink, LoadSpec, job_label_prefix};
use crate::sink::local::LocalTable;
use crate::sink::null::{NullCommitter, NullSink};
use crate::sink::{CommitOutcome, EpochCommitter, SinkSpec};

/// Where a job reads from.
#[derive(Debug, Clone)]
pub enum SourceSpec {
    /// The job's Kafka topic, live.
    Kafka {
        /// `bootstrap.servers` instead of the job's `kafka_broker_list`.
        brokers: Option<String>,
        /// Where a bounded run ends (`None`: run until stopped).
        until: Option<Until>,
    },
    /// A capture file (kcat `-J` lines or the Arrow capture), recognised from its content.
    Capture {
        /// The file.
        path: PathBuf,
        /// Replay speed.
        pacing: Pacing,
    },
}

impl SourceSpec {
    /// Parses `kafka` (the job's brokers), `kafka:HOST:PORT,...` or `capture:FILE`.
    pub fn parse(text: &str, pacing: Pacing) -> Result<SourceSpec, String> {
        if text == "kafka" {
            return Ok(SourceSpec::Kafka {
                brokers: None,
                until: None,
            });
        }
        match text.split_once(':') {
            Some(("kafka", brokers)) if !brokers.is_empty() => Ok(SourceSpec::Kafka {
                brokers: Some(brokers.replace(' ', "")),
                until: None,
            }),
            Some(("capture", path)) if !path.is_empty() => Ok(SourceSpec::Capture {
                path: PathBuf::from(path),
                pacing,
            }),
            _ => Err(format!(
                "unknown source `{text}`: expected kafka, kafka:HOST:PORT,... or capture:FILE"
            )),
        }
    }
}

/// How many timely workers and processes, as timely's own options say it.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Worker threads per process (`-w`).
    pub threads: usize,
    /// Number of processes (`-n`).
    pub processes: usize,
    /// This process's index (`-p`).
    pub process: usize,
    /// Process addresses (`-h` host file lines); defaults to 127.0.0.1:2101 + i.
    pub addresses: Vec<String>,
}

impl Cluster {
    /// One process with `threads` workers.
    pub fn local(threads: usize) -> Cluster {
        Cluster {
            threads,
            processes: 1,
            process: 0,
            addresses: Vec::new(),
        }
    }

    fn timely_config(&self) -> timely::Config {
        let communication = if self.processes > 1 {
            let addresses = if self.addresses.is_empty() {
                (0..self.processes)
                    .map(|i| format!("127.0.0.1:{}", 2101 + i))
                    .collect()
            } else {
                self.addresses.clone()
            };
            timely::CommunicationConfig::Cluster {
                threads: self.threads,
                process: self.process,
                addresses,
                report: false,
                zerocopy: false,
            }
        } else if self.threads > 1 {
            timely::CommunicationConfig::Process(self.threads)
        } else {
            timely::CommunicationConfig::Thread
        };
        timely::Config {
            communication,
            worker: timely::WorkerConfig::default(),
        }
    }
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The table.
    pub table: TableSchema,
    /// The job.
    pub job: RoutineLoadJob,
    /// The source.
    pub source: SourceSpec,
    /// The sink.
    pub sink: SinkSpec,
    /// The job's state directory (progress store).
    pub state: PathBuf,
    /// Workers and processes.
    pub cluster: Cluster,
    /// Set to stop the run gracefully.
    pub stop: Arc<AtomicBool>,
    /// What a host attaches: an observer, a pause request, a live batch policy.
    pub hooks: RunHooks,
}

/// An epoch once committed and visible, as observers see it.
#[derive(Debug, Clone)]
pub struct EpochReport {
    /// The epoch.
    pub epoch: Epoch,
    /// Row counters over all workers.
    pub counts: RowCounts,
    /// The offsets read, by partition, with samples of their message timestamps.
    pub ranges: Vec<PartitionRange>,
    /// When the epoch was decided (milliseconds since the Unix epoch).
    pub decided_at_ms: i64,
    /// When its rows became visible in the sink (or the commit was confirmed).
    pub visible_at_ms: i64,
    /// Milliseconds from the decision to the commit's confirmation.
    pub commit_ms: f64,
}

/// Receives a run's events as they happen. Called on the coordinating worker's thread;
/// must return quickly.
pub trait RunObserver: Send + Sync {
    /// A run (generation) started reading.
    fn run_started(&self, _generation: u64) {}
    /// An epoch was decided; `in_flight` epochs are decided and not yet committed.
    fn epoch_decided(&self, _epoch: Epoch, _in_flight: usize) {}
    /// An epoch was committed.
    fn epoch_committed(&self, _report: &EpochReport) {}
}

/// A request that a running job pause, with Doris's reason: the run decides no further
/// epoch, commits those already decided, and ends; the host records the pause.
#[derive(Debug, Clone, Default)]
pub struct PauseRequest(Arc<Mutex<Option<ErrorReason>>>);

impl PauseRequest {
    /// Requests the pause (the first reason wins).
    pub fn request(&self, reason: ErrorReason) {
        if let Ok(mut r) = self.0.lock()
            && r.is_none()
        {
            *r = Some(reason);
        }
    }

    /// The requested pause, if any.
    pub fn get(&self) -> Option<ErrorReason> {
        self.0.lock().ok().and_then(|r| r.clone())
    }

    /// Withdraws the request.
    pub fn clear(&self) {
        if let Ok(mut r) = self.0.lock() {
            *r = None;
        }
    }
}

/// What a host attaches to a run.
#[derive(Clone, Default)]
pub struct RunHooks {
    /// Told of runs, decisions and commits (metrics, SLAs).
    pub observer: Option<Arc<dyn RunObserver>>,
    /// Set to pause the job: by the host (PAUSE), or by the run itself (quality gates).
    pub pause: PauseRequest,
    /// The batch knobs, changeable while the run goes on (default: the job's).
    pub policy: Option<LivePolicy>,
}

impl std::fmt::Debug for RunHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunHooks")
            .field("observer", &self.observer.is_some())
            .field("pause", &self.pause.get())
            .field("policy", &self.policy.as_ref().map(|p| p.get()))
            .finish()
    }
}

/// A run's failure.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The job cannot run against the table.
    #[error("{0}")]
    Plan(#[from] routinely_operators::row::PlanError),
    /// The progress store cannot be used.
    #[error("progress store: {0}")]
    Progress(String),
    /// The sink cannot be used.
    #[error("sink: {0}")]
    Sink(String),
    /// The source cannot be used.
    #[error("source: {0}")]
    Source(String),
    /// Timely could not start its workers.
    #[error("timely: {0}")]
    Timely(String),
    /// An operator failed during the run.
    #[error("{0}")]
    Failed(String),
    /// The job is PAUSED or STOPPED.
    #[error("{0}")]
    NotRunnable(String),
    /// The job paused during the run (a quality gate, a PAUSE, a failure Doris pauses on);
    /// the pause is recorded in the job's store.
    #[error("the job is PAUSED: {0}")]
    Paused(ErrorReason),
}

/// What a run did (process 0's view: every committed epoch).
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Committed epochs, in order.
    pub committed: Vec<Committed>,
    /// Row counters over the committed epochs.
    pub counts: RowCounts,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Epoch commit latency (decision → commit done), microseconds.
    pub commit_latency_us: Histogram<u64>,
    /// Time per stage, per worker of this process.
    pub stages: Vec<StageTimes>,
    /// Most epochs in flight any source of this process saw (never more than K).
    pub max_epochs_in_flight: u64,
    /// Whether the run ended because a stop was requested.
    pub stopped: bool,
}

/// Where one worker spent its time.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTimes {
    /// The source reading messages.
    pub read: Duration,
    /// The source waiting for commits (backpressure).
    pub blocked: Duration,
    /// Parse, extract and coerce (the row path).
    pub coerce: Duration,
    /// Staging into the sink.
    pub load: Duration,
    /// Most epochs in flight the source saw.
    pub max_in_flight: u64,
}

/// The coordinator of a run: the progress store's decision record is the commit point.
/// Commits run on their own thread, in epoch order, so that worker 0 keeps reading while
/// the sink commits (and, for Doris, waits for visibility); their outcomes are recorded in
/// the store as they come back.
struct EpochCoordinator {
    store: ProgressStore,
    commits: CommitThread,
    generation: u64,
    /// Commits offsets to the job's consumer group (Kafka, `group.id` set), for monitoring.
    group: Option<GroupCommitter>,
    /// The quality gate: the error-row window and its thresholds.
    window: ErrorWindow,
    thresholds: Thresholds,
    hooks: RunHooks,
    stop: Arc<AtomicBool>,
    /// Decision times of epochs in flight.
    decided_at: BTreeMap<Epoch, (i64, Instant)>,
}

/// Marks a run failure that is the job pausing.
const PAUSE_MARK: &str = "the job is pausing";

impl EpochCoordinator {
    /// Records one commit's outcome: the store, the quality gate, the observers.
    fn record(
        &mut self,
        decision: &Decision,
        outcome: Result<CommitOutcome, SinkError>,
    ) -> Result<(), String> {
        let visible_at_ms = match outcome.map_err(|e| e.to_string())? {
            CommitOutcome::Committed { visible_at_ms } => visible_at_ms,
            CommitOutcome::Lost { reason, .. } => {
                // The decision stands; the restart loads the lost transactions' rows again.
                self.store
                    .aborted(decision.epoch, &reason)
                    .map_err(|e| e.to_string())?;
                return Err(format!("{RELOAD_MARK}: {reason}"));
            }
        };
        let counts = decision.counts();
        let gate = self.window.add(&counts, &self.thresholds);
        self.store
            .committed_with_window(decision.epoch, visible_at_ms, self.window)
            .map_err(|e| e.to_string())?;
        if let Some(reason) = gate {
            // Doris: the offending task stays committed; the job pauses after it.
            self.hooks.pause.request(reason);
            self.stop.store(true, Ordering::Relaxed);
        }
        let (decided_at_ms, started) = self
            .decided_at
            .remove(&decision.epoch)
            .unwrap_or((now_ms(), Instant::now()));
        if let Some(observer) = &self.hooks.observer {
            observer.epoch_committed(&EpochReport {
                epoch: decision.epoch,
                counts,
                ranges: decision.ranges(),
                decided_at_ms,
                visible_at_ms: visible_at_ms.unwrap_or_else(now_ms),
                commit_ms: started.elapsed().as_secs_f64() * 1e3,
            });
        }
        Ok(())
    }
}

impl Drop for EpochCoordinator {
    /// A run that ends early (failure, pause) still records the commits already under way:
    /// the commit thread finishes the decided epochs it was given.
    fn drop(&mut self) {
        self.commits.send.take();
        if let Some(t) = self.commits.thread.take() {
            let _ = t.join();
        }
        while let Ok((decision, outcome)) = self.commits.done.try_recv() {
            if let Err(e) = self.record(&decision, outcome) {
                eprintln!("routinely: epoch {}: {e}", decision.epoch);
                break;
            }
        }
    }
}

/// The thread that commits decided epochs with the sink's committer.
struct CommitThread {
    send: Option<std::sync::mpsc::Sender<Decision>>,
    done: std::sync::mpsc::Receiver<(Decision, Result<CommitOutcome, SinkError>)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CommitThread {
    fn start(mut committer: Box<dyn EpochCommitter>) -> Result<CommitThread, RunError> {
        let (send, todo) = std::sync::mpsc::channel::<Decision>();
        let (report, done) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("routinely-commit".into())
            .spawn(move || {
                for decision in todo {
                    let outcome = committer.commit(&decision);
                    let failed = outcome.is_err();
                    if report.send((decision, outcome)).is_err() || failed {
                        break;
                    }
                }
            })
            .map_err(|e| RunError::Sink(format!("commit thread: {e}")))?;
        Ok(CommitThread {
            send: Some(send),
            done,
            thread: Some(thread),
        })
    }
}

impl Drop for CommitThread {
    fn drop(&mut self) {
        self.send.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Coordinator for EpochCoordinator {
    fn decide(&mut self, decision: &Decision) -> Result<(), String> {
        if let Some(reason) = self.hooks.pause.get() {
            // PAUSED: no further epoch is decided; its transactions are aborted.
            return Err(format!("{PAUSE_MARK}: {reason}"));
        }
        let at = now_ms();
        let record = DecisionRecord::from_decision(decision, self.generation, at);
        self.store.decide(&record).map_err(|e| e.to_string())?;
        crate::failpoint::hit("after-decision", decision.epoch);
        self.decided_at.insert(decision.epoch, (at, Instant::now()));
        if let Some(observer) = &self.hooks.observer {
            observer.epoch_decided(decision.epoch, self.decided_at.len());
        }
        Ok(())
    }

    fn start_commit(&mut self, decision: &Decision) -> Result<(), String> {
        self.commits
            .send
            .as_ref()
            .and_then(|s| s.send(decision.clone()).ok())
            .ok_or_else(|| "the commit thread has stopped".to_string())
    }

    fn poll_committed(&mut self) -> Result<Vec<Epoch>, String> {
        let mut done = Vec::new();
        while let Ok((decision, outcome)) = self.commits.done.try_recv() {
            self.record(&decision, outcome)?;
            if let Some(group) = &self.group {
                let mut next: Vec<(i32, i64)> = Vec::new();
                for r in decision.ranges() {
                    match next.last_mut() {
                        Some(last) if last.0 == r.partition => last.1 = last.1.max(r.end),
                        _ => next.push((r.partition, r.end)),
                    }
                }
                group.commit(&next);
            }
            done.push(decision.epoch);
        }
        Ok(done)
    }
}

/// A worker's reader: a capture replay or a live Kafka consumer.
enum WorkerReader {
    Capture(Box<CaptureReader>),
    Kafka(Box<KafkaReader>),
    /// The reader could not start: the source reports this and ends.
    Failed(String),
}

impl PartitionReader for WorkerReader {
    fn read(
        &mut self,
        batch: &mut MessageBatch,
        max_messages: usize,
        max_bytes: usize,
    ) -> ReadStatus {
        match self {
            WorkerReader::Capture(r) => r.read(batch, max_messages, max_bytes),
            WorkerReader::Kafka(r) => r.read(batch, max_messages, max_bytes),
            WorkerReader::Failed(e) => ReadStatus {
                caught_up: true,
                finished: true,
                error: Some(e.clone()),
            },
        }
    }
    fn positions(&self) -> Vec<(i32, i64)> {
        match self {
            WorkerReader::Capture(r) => r.positions(),
            WorkerReader::Kafka(r) => r.positions(),
            WorkerReader::Failed(_) => Vec::new(),
        }
    }
    fn idle_wait(&self) -> Duration {
        match self {
            WorkerReader::Capture(r) => r.idle_wait(),
            WorkerReader::Kafka(r) => r.idle_wait(),
            WorkerReader::Failed(_) => Duration::from_millis(10),
        }
    }
    fn backpressure(&mut self, paused: bool) {
        match self {
            WorkerReader::Capture(r) => r.backpressure(paused),
            WorkerReader::Kafka(r) => r.backpressure(paused),
            WorkerReader::Failed(_) => {}
        }
    }
}

/// A worker's sink: local staging, Doris or nothing.
enum WorkerSink {
    Local(crate::sink::local::LocalTxnSink),
    Null(NullSink),
    Doris(Box<DorisTxnSink>),
}

impl TxnSink for WorkerSink {
    fn begin(&mut self, epoch: Epoch) -> Result<(), SinkError> {
        match self {
            WorkerSink::Local(s) => s.begin(epoch),
            WorkerSink::Null(s) => s.begin(epoch),
            WorkerSink::Doris(s) => s.begin(epoch),
        }
    }
    fn write(&mut self, epoch: Epoch, batch: &arrow_array::RecordBatch) -> Result<(), SinkError> {
        match self {
            WorkerSink::Local(s) => s.write(epoch, batch),
            WorkerSink::Null(s) => s.write(epoch, batch),
            WorkerSink::Doris(s) => s.write(epoch, batch),
        }
    }
    fn write_rejected(
        &mut self,
        epoch: Epoch,
        rows: &[routinely_operators::row::RejectedRow],
    ) -> Result<(), SinkError> {
        match self {
            WorkerSink::Local(s) => s.write_rejected(epoch, rows),
            WorkerSink::Null(s) => s.write_rejected(epoch, rows),
            WorkerSink::Doris(s) => s.write_rejected(epoch, rows),
        }
    }
    fn covers(&mut self, epoch: Epoch, ranges: &[PartitionRange]) {
        if let WorkerSink::Doris(s) = self {
            s.covers(epoch, ranges);
        }
    }
    fn precommit(&mut self, epoch: Epoch) -> Result<String, SinkError> {
        match self {
            WorkerSink::Local(s) => s.precommit(epoch),
            WorkerSink::Null(s) => s.precommit(epoch),
            WorkerSink::Doris(s) => s.precommit(epoch),
        }
    }
}

/// A worker's sink, with the epoch's rejected rows also written to the job's error log
/// (`<state>/error_log/epoch-<E>-w<W>`, one line per row in Doris's error log format), as
/// Doris's BE writes one per task and serves it at the task's `ErrorLogUrl`.
struct LoggedSink {
    sink: WorkerSink,
    dir: PathBuf,
    worker: usize,
    open: BTreeMap<Epoch, std::io::BufWriter<std::fs::File>>,
}

impl LoggedSink {
    fn path(&self, epoch: Epoch) -> PathBuf {
        self.dir.join(format!("epoch-{epoch}-w{}", self.worker))
    }
}

/// Error logs kept per job: those of the latest this many epochs.
const ERROR_LOG_EPOCHS: u64 = 1000;

impl TxnSink for LoggedSink {
    fn begin(&mut self, epoch: Epoch) -> Result<(), SinkError> {
        // An epoch number a crashed run used is used again: its old log goes.
        let _ = std::fs::remove_file(self.path(epoch));
        if epoch.is_multiple_of(100) && epoch >= ERROR_LOG_EPOCHS {
            let _ = std::fs::remove_file(self.path(epoch - ERROR_LOG_EPOCHS));
            if let Ok(entries) = std::fs::read_dir(&self.dir) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().to_string();
                    let old = name
                        .strip_prefix("epoch-")
                        .and_then(|r| r.split('-').next())
                        .and_then(|n| n.parse::<u64>().ok())
                        .is_some_and(|n| n + ERROR_LOG_EPOCHS < epoch);
                    if old {
                        let _ = std::fs::remove_file(e.path());
                    }
                }
            }
        }
        self.sink.begin(epoch)
    }
    fn write(&mut self, epoch: Epoch, batch: &arrow_array::RecordBatch) -> Result<(), SinkError> {
        self.sink.write(epoch, batch)
    }
    fn write_rejected(
        &mut self,
        epoch: Epoch,
        rows: &[routinely_operators::row::RejectedRow],
    ) -> Result<(), SinkError> {
        use std::io::Write;
        if !self.open.contains_key(&epoch) {
            std::fs::create_dir_all(&self.dir)
                .map_err(|e| SinkError(format!("error log {}: {e}", self.dir.display())))?;
            let path = self.path(epoch);
            let f = std::fs::File::create(&path)
                .map_err(|e| SinkError(format!("error log {}: {e}", path.display())))?;
            self.open.insert(epoch, std::io::BufWriter::new(f));
        }
        if let Some(w) = self.open.get_mut(&epoch) {
            for r in rows {
                writeln!(w, "{}", r.error_log_line())
                    .map_err(|e| SinkError(format!("error log: {e}")))?;
            }
        }
        self.sink.write_rejected(epoch, rows)
    }
    fn covers(&mut self, epoch: Epoch, ranges: &[PartitionRange]) {
        self.sink.covers(epoch, ranges)
    }
    fn precommit(&mut self, epoch: Epoch) -> Result<String, SinkError> {
        use std::io::Write;
        if let Some(mut w) = self.open.remove(&epoch) {
            w.flush()
                .map_err(|e| SinkError(format!("error log: {e}")))?;
        }
        self.sink.precommit(epoch)
    }
}

/// The job's identity in its progress store.
pub fn identity(job: &RoutineLoadJob) -> JobIdentity {
    JobIdentity {
        job: job.name.clone(),
        database: job.database.clone().unwrap_or_default(),
        table: job.table.clone().unwrap_or_default(),
        topic: job.kafka.topic.clone(),
    }
}

/// Where a partition without committed progress starts, from the job's Kafka offsets.
fn start_offset(o: &KafkaOffset) -> StartOffset {
    match o {
        KafkaOffset::Beginning => StartOffset::Beginning,
        KafkaOffset::End => StartOffset::End,
        KafkaOffset::Offset(n) => StartOffset::Offset(*n),
        KafkaOffset::Time { epoch_ms, .. } => StartOffset::Timestamp(*epoch_ms),
    }
}

/// The epoch policy of a job (Doris's thresholds, routinely's K).
pub fn epoch_policy(job: &RoutineLoadJob) -> EpochPolicy {
    let p = &job.properties;
    EpochPolicy {
        max_interval: Duration::from_secs(p.max_batch_interval_secs),
        max_messages: p.max_batch_rows,
        max_bytes: p.max_batch_size,
        max_inflight: p.max_inflight_epochs.max(1),
        read_chunk: 8192,
    }
}

/// The quality gate's thresholds of a job.
pub fn thresholds(job: &RoutineLoadJob) -> Thresholds {
    let p = &job.properties;
    Thresholds {
        max_error_number: p.max_error_number,
        max_filter_ratio: p.max_filter_ratio,
        max_batch_rows: p.max_batch_rows,
    }
}

/// Runs a job to the end of its source (or until stopped).
pub fn run(mut config: RunConfig) -> Result<RunReport, RunError> {
    // The job's durable state: a PAUSED or STOPPED job does not run, and the job is its
    // CREATE statement with the ALTERs recorded since.
    let overrides = match ProgressStore::open_read_only(&config.state) {
        Ok(store) => {
            if let Some(why) = crate::control::not_runnable(store.state()) {
                return Err(RunError::NotRunnable(why));
            }
            config.job = crate::control::effective_job(&config.job, store.state())
                .map_err(|e| RunError::Progress(e.to_string()))?;
            store.state().start_overrides.clone()
        }
        Err(crate::progress::ProgressError::NotFound(_)) => BTreeMap::new(),
        Err(e) => return Err(RunError::Progress(e.to_string())),
    };
    let mut result = run_job(config.clone(), overrides.clone());
    // A transaction Doris aborted under a decided epoch: the next start loads it again.
    let mut reruns = 0;
    while let Err(RunError::Failed(why)) = &result
        && why.contains(RELOAD_MARK)
        && config.cluster.processes <= 1
        && reruns < 8
    {
        reruns += 1;
        eprintln!("routinely: {why}; starting again to load it");
        result = run_job(config.clone(), overrides.clone());
    }
    if config.cluster.process == 0
        && let SinkSpec::Doris(target) = &config.sink
    {
        abort_leftovers(&config, target);
    }
    if config.cluster.process == 0
        && let Some(reason) = config.hooks.pause.get()
    {
        // The job paused (a quality gate, or the host's PAUSE / STOP): decided epochs are
        // committed, undecided ones aborted. A pause the run decided on is recorded here; a
        // user's PAUSE or STOP is recorded by whoever asked for it.
        if !matches!(reason.code, ErrorCode::ManualPause | ErrorCode::ManualStop) {
            pause_after_failure(&config, &reason);
        }
        return Err(RunError::Paused(reason));
    }
    if let Err(RunError::Failed(why)) = &result
        && config.cluster.process == 0
        && crate::kafka::pauses_job(why)
    {
        // Doris: offset out of range and the like pause the job with CANNOT_RESUME_ERR.
        let reason = ErrorReason::new(ErrorCode::CannotResume, why.clone());
        pause_after_failure(&config, &reason);
        return Err(RunError::Paused(reason));
    }
    result
}

/// After a run: aborts the Doris transactions of epochs the run pre-committed but never
/// decided (a run that failed, or stopped while a worker was between pre-commit and
/// decision), so that none is left PRECOMMITTED until Doris's timeout.
fn abort_leftovers(config: &RunConfig, target: &crate::sink::doris::DorisTarget) {
    let Ok(store) = ProgressStore::open_read_only(&config.state) else {
        return;
    };
    let state = store.state();
    if state.generation == 0 {
        return;
    }
    let mut committer = DorisCommitter::new(
        Arc::new(doris_client(config, target)),
        job_label_prefix(&config.job, &config.table),
        Some((state.generation, state.last_run_workers)),
        config.job.properties.max_inflight_epochs,
    )
    .with_attempts(3);
    if let Err(e) = committer.abort_undecided(state.last_decided) {
        eprintln!("routinely: could not abort the run's undecided transactions: {e}");
    }
}

/// Records that the job is PAUSED with `reason` (process 0, after its workers ended).
fn pause_after_failure(config: &RunConfig, reason: &ErrorReason) {
    match ProgressStore::open(&config.state, identity(&config.job)) {
        Ok((mut store, _)) => {
            if let Err(e) = store.pause(&reason.to_string()) {
                eprintln!("routinely: could not record the pause: {e}");
            }
        }
        Err(e) => eprintln!("routinely: could not record the pause: {e}"),
    }
}

/// A start offset an ALTER recorded, as the job's offsets are written.
fn override_offset(spec: &StartSpec) -> KafkaOffset {
    match spec {
        StartSpec::Beginning => KafkaOffset::Beginning,
        StartSpec::End => KafkaOffset::End,
        StartSpec::Offset(n) => KafkaOffset::Offset(*n),
        StartSpec::TimeMs(ms) => KafkaOffset::Time {
            text: crate::progress::format_utc_ms(*ms),
            epoch_ms: *ms,
        },
    }
}

fn run_job(config: RunConfig, overrides: BTreeMap<i32, StartSpec>) -> Result<RunReport, RunError> {
    let plan = Arc::new(LoadPlan::new(&config.table, &config.job)?);
    // Where each listed partition starts unless it has progress: the job's kafka_offsets,
    // then what an ALTER set since (which also replaced the partition's progress).
    let mut starts: BTreeMap<i32, KafkaOffset> =
        config.job.kafka.start_positions().into_iter().collect();
    for (p, spec) in &overrides {
        starts.insert(*p, override_offset(spec));
    }
    let starts = Arc::new(starts);
    let started = Instant::now();
    let failure = Failure::default();
    let report = Arc::new(Mutex::new(Vec::<Committed>::new()));
    let source_stats = Arc::new(Mutex::new(Vec::<StageTimes>::new()));
    let setup_error = Arc::new(Mutex::new(None::<String>));

    // A bounded Kafka run's end, resolved once for the whole process.
    let kafka_end = match &config.source {
        SourceSpec::Kafka {
            brokers,
            until: Some(until),
        } => Some(Arc::new(
            crate::kafka::resolve_until(
                &config.job,
                &crate::kafka::brokers(&config.job, brokers.as_deref()),
                until,
            )
            .map_err(|e| RunError::Source(e.to_string()))?,
        )),
        _ => None,
    };
    let timely_config = config.cluster.timely_config();
    let cfg = config.clone();
    let kafka_end2 = kafka_end.clone();
    let (fail2, report2, stats2, setup2) = (
        failure.clone(),
        report.clone(),
        source_stats.clone(),
        setup_error.clone(),
    );
    let guards = timely::execute(timely_config, move |worker| {
        let index = worker.index();
        let peers = worker.peers();
        let cfg = cfg.clone();
        let failure = fail2.clone();
        let kafka_end = kafka_end2.clone();

        // Worker 0: recovery, then the writable store moves into the coordinator.
        let mut coordinator = None;
        if index == 0 {
            match recover(&cfg, &plan) {
                Ok(c) => coordinator = Some(c),
                Err(e) => {
                    failure.set(e.to_string());
                    if let Ok(mut s) = setup2.lock() {
                        s.get_or_insert(e.to_string());
                    }
                }
            }
        }
        timely::synchronization::Barrier::new(worker).wait();
        // Only a failure of the recovery (set before the barrier, so every worker sees it)
        // may keep a worker from building the dataflow: the others' exchanges need every
        // worker's part. A source failing meanwhile ends the dataflow the usual way.
        if setup2.lock().map_or(true, |s| s.is_some()) {
            return;
        }
        let state = match ProgressStore::open_read_only(&cfg.state) {
            Ok(s) => s.state().clone(),
            Err(e) => {
                failure.set(format!("progress store: {e}"));
                return;
            }
        };
        let owns = move |p: i32| p.rem_euclid(peers as i32) as usize == index;
        let reader = match &cfg.source {
            SourceSpec::Kafka { brokers, .. } => KafkaReader::open(KafkaOptions {
                brokers: crate::kafka::brokers(&cfg.job, brokers.as_deref()),
                topic: cfg.job.kafka.topic.clone(),
                properties: cfg.job.kafka.properties.clone(),
                owns: Box::new(owns),
                partitions: cfg.job.kafka.partitions.clone(),
                resume: state.next_offsets.clone(),
                start: (*starts).clone(),
                default_start: cfg.job.kafka.effective_default_offset(),
                until: kafka_end.as_deref().cloned(),
                refresh: Duration::from_secs(2),
            })
            .map(|r| WorkerReader::Kafka(Box::new(r)))
            .map_err(|e| e.to_string()),
            SourceSpec::Capture { path, pacing } => CaptureReader::open(
                path,
                ReaderOptions {
                    owns: Box::new(owns),
                    partitions: cfg.job.kafka.partitions.clone(),
                    resume: state.next_offsets.clone(),
                    start: starts.iter().map(|(p, o)| (*p, start_offset(o))).collect(),
                    default_start: start_offset(&cfg.job.kafka.effective_default_offset()),
                    pacing: *pacing,
                },
            )
            .map(|r| WorkerReader::Capture(Box::new(r)))
            .map_err(|e| e.to_string()),
        };
        // A reader that cannot start fails this worker's source, not the worker: the others
        // are already running the dataflow and need its frontier to end.
        let reader = reader.unwrap_or_else(WorkerReader::Failed);
        let sink = match &cfg.sink {
            SinkSpec::Local(dir) => match LocalTable::open(dir, plan.table(), plan.output_schema())
            {
                Ok(t) => WorkerSink::Local(t.worker_sink(index)),
                Err(e) => {
                    failure.set(format!("sink: {e}"));
                    return;
                }
            },
            SinkSpec::Null { rate } => WorkerSink::Null(NullSink::new(*rate)),
            SinkSpec::Doris(target) => WorkerSink::Doris(Box::new(DorisTxnSink::new(
                Arc::new(doris_client(&cfg, target)),
                Arc::new(LoadSpec::new(&cfg.job, &plan)),
                index,
                state.generation,
                spool_dir(&cfg),
            ))),
        };

        let probe = ProbeHandle::new();
        let stats: routinely_operators::dataflow::window::SharedStats = Default::default();
        let coerce_time = StageTime::default();
        let load_time = StageTime::default();
        let policy = cfg
            .hooks
            .policy
            .clone()
            .unwrap_or_else(|| LivePolicy::new(epoch_policy(&cfg.job)));
        let first_epoch = state.next_epoch;
        worker.dataflow::<Epoch, _, _>(|scope| {
            let (batches, ranges) = windowed_source(
                scope,
                "Source",
                reader,
                policy,
                first_epoch,
                probe.clone(),
                cfg.stop.clone(),
                stats.clone(),
                failure.clone(),
            );
            let report = report2.clone();
            let (rows, rejected) = batches.coerce_timed(plan.clone(), coerce_time.clone());
            rows.load_timed(
                rejected,
                ranges,
                LoggedSink {
                    sink,
                    dir: cfg.state.join("error_log"),
                    worker: index,
                    open: BTreeMap::new(),
                },
                index,
                failure.clone(),
                load_time.clone(),
            )
            .commit(coordinator.take(), failure.clone())
            .inspect(move |c: &Committed| {
                if let Ok(mut r) = report.lock() {
                    r.push(c.clone());
                }
            })
            .probe_with(&probe);
        });

        let mut last_check = Instant::now();
        while !probe.done() {
            worker.step_or_park(Some(Duration::from_millis(5)));
            if last_check.elapsed() > Duration::from_millis(20) {
                last_check = Instant::now();
                if failure.get().is_some() {
                    cfg.stop.store(true, Ordering::Relaxed);
                }
            }
        }
        if let Ok(mut s) = stats2.lock() {
            let src: SourceStats = stats.get();
            s.push(StageTimes {
                read: src.read,
                blocked: src.blocked,
                coerce: coerce_time.get(),
                load: load_time.get(),
                max_in_flight: src.max_in_flight,
            });
        }
    })
    .map_err(RunError::Timely)?;
    for result in guards.join() {
        result.map_err(RunError::Timely)?;
    }
    if let Some(e) = failure.get() {
        return Err(RunError::Failed(e));
    }
    let committed = report.lock().map(|r| r.clone()).unwrap_or_default();
    let stages = source_stats.lock().map(|s| s.clone()).unwrap_or_default();
    let mut counts = RowCounts::default();
    let mut hist = Histogram::<u64>::new(3).map_err(|e| RunError::Failed(e.to_string()))?;
    for c in &committed {
        counts.add(&c.counts);
        let _ = hist.record((c.commit_ms * 1000.0).max(1.0) as u64);
    }
    Ok(RunReport {
        committed,
        counts,
        elapsed: started.elapsed(),
        commit_latency_us: hist,
        max_epochs_in_flight: stages.iter().map(|s| s.max_in_flight).max().unwrap_or(0),
        stages,
        stopped: config.stop.load(Ordering::Relaxed),
    })
}

/// Process 0, worker 0: opens the store, commits decided-but-uncommitted epochs, drops staged
/// transactions of undecided epochs, records the run.
fn recover(cfg: &RunConfig, plan: &Arc<LoadPlan>) -> Result<EpochCoordinator, RunError> {
    let (mut store, _report) = ProgressStore::open(&cfg.state, identity(&cfg.job))
        .map_err(|e| RunError::Progress(e.to_string()))?;
    let state = store.state().clone();
    let mut committer: Box<dyn EpochCommitter> = match &cfg.sink {
        SinkSpec::Local(dir) => Box::new(
            LocalTable::open(dir, plan.table(), plan.output_schema())
                .map_err(|e| RunError::Sink(e.to_string()))?,
        ),
        SinkSpec::Null { .. } => Box::new(NullCommitter),
        SinkSpec::Doris(target) => {
            if cfg.job.properties.partial_columns {
                // The row path fills every column (DEFAULT where the job maps none); sent as
                // a partial update, those defaults would overwrite stored values.
                return Err(RunError::Sink(
                    "\"partial_columns\" = \"true\" is not supported by the Doris sink yet: \
                     its rows carry every column of the table"
                        .into(),
                ));
            }
            let client = Arc::new(doris_client(cfg, target));
            let previous =
                (state.generation > 0).then_some((state.generation, state.last_run_workers));
            let c = DorisCommitter::new(
                client,
                job_label_prefix(&cfg.job, &cfg.table),
                previous,
                cfg.job.properties.max_inflight_epochs,
            );
            c.check_schema(plan.table())
                .map_err(|e| RunError::Sink(e.to_string()))?;
            Box::new(c)
        }
    };
    let thresholds = thresholds(&cfg.job);
    let mut window = state.window;
    // Decided epochs not yet committed, and those whose transactions were lost, in order.
    let mut pending: Vec<DecisionRecord> = state.uncommitted.clone();
    for (d, _) in &state.to_reload {
        if !pending.iter().any(|p| p.epoch == d.epoch) {
            pending.push(d.clone());
        }
    }
    pending.sort_by_key(|d| d.epoch);
    for d in pending {
        // The epoch's latest decision: a re-load replaces the lost transactions in it.
        let mut current = d.clone();
        let mut decision = d.to_decision();
        let mut reloads = 0;
        loop {
            match committer
                .commit(&decision)
                .map_err(|e| RunError::Sink(format!("recommitting epoch {}: {e}", d.epoch)))?
            {
                CommitOutcome::Committed { visible_at_ms } => {
                    let gate = window.add(&d.counts, &thresholds);
                    store
                        .committed_with_window(d.epoch, visible_at_ms, window)
                        .map_err(|e| RunError::Progress(e.to_string()))?;
                    if let Some(reason) = gate {
                        cfg.hooks.pause.request(reason);
                        cfg.stop.store(true, Ordering::Relaxed);
                    }
                    break;
                }
                CommitOutcome::Lost { lost, reason } => {
                    reloads += 1;
                    if reloads > 3 {
                        return Err(RunError::Sink(format!(
                            "epoch {}: Doris keeps aborting its re-loaded transactions: {reason}",
                            d.epoch
                        )));
                    }
                    store
                        .aborted(d.epoch, &reason)
                        .map_err(|e| RunError::Progress(e.to_string()))?;
                    let SinkSpec::Doris(target) = &cfg.sink else {
                        return Err(RunError::Progress(format!(
                            "epoch {} was aborted ({reason}) and must be loaded again from its \
                             recorded ranges, which this sink does not do",
                            d.epoch
                        )));
                    };
                    let record = reload_lost(cfg, plan, target, &store, &current, &lost)?;
                    store
                        .decide(&record)
                        .map_err(|e| RunError::Progress(e.to_string()))?;
                    decision = record.to_decision();
                    current = record;
                }
            }
        }
    }
    committer
        .abort_undecided(state.last_decided)
        .map_err(|e| RunError::Sink(e.to_string()))?;
    let processes = cfg.cluster.processes.max(1);
    let generation = store
        .begin_run(cfg.cluster.threads * processes, processes)
        .map_err(|e| RunError::Progress(e.to_string()))?;
    let group = match &cfg.source {
        SourceSpec::Kafka { brokers, .. } => GroupCommitter::new(
            &cfg.job,
            &crate::kafka::brokers(&cfg.job, brokers.as_deref()),
        )
        .map_err(|e| RunError::Source(e.to_string()))?,
        SourceSpec::Capture { .. } => None,
    };
    if let Some(observer) = &cfg.hooks.observer {
        observer.run_started(generation);
    }
    Ok(EpochCoordinator {
        store,
        commits: CommitThread::start(committer)?,
        generation,
        group,
        window,
        thresholds,
        hooks: cfg.hooks.clone(),
        stop: cfg.stop.clone(),
        decided_at: BTreeMap::new(),
    })
}

/// Marks a run failure whose cure is a restart that loads lost transactions again.
const RELOAD_MARK: &str = "Doris aborted transactions of a decided epoch";

/// The Doris client of the job's table.
fn doris_client(cfg: &RunConfig, target: &crate::sink::doris::DorisTarget) -> DorisClient {
    let db = cfg
        .job
        .database
        .clone()
        .or_else(|| cfg.table.database.clone())
        .unwrap_or_default();
    let table = cfg
        .job
        .table
        .clone()
        .unwrap_or_else(|| cfg.table.name.clone());
    DorisClient::new(target.clone(), &db, &table)
}

/// Where the Doris sink spools request bodies (for retries) and writes error logs.
fn spool_dir(cfg: &RunConfig) -> PathBuf {
    cfg.state.join("spool")
}

/// Loads the lost transactions of a decided epoch again, from exactly the ranges they covered,
/// under fresh labels of the run about to start; the epoch's new decision record (the
/// transactions kept and the new ones).
fn reload_lost(
    cfg: &RunConfig,
    plan: &Arc<LoadPlan>,
    target: &crate::sink::doris::DorisTarget,
    store: &ProgressStore,
    d: &DecisionRecord,
    lost: &[(usize, String)],
) -> Result<DecisionRecord, RunError> {
    use crate::sink::doris::Handle;
    let generation = store.state().generation + 1;
    let client = Arc::new(doris_client(cfg, target));
    let spec = Arc::new(LoadSpec::new(&cfg.job, plan));
    let mut txns: Vec<(usize, String)> = d
        .txns
        .iter()
        .filter(|t| !lost.contains(t))
        .cloned()
        .collect();
    let kept: Vec<i32> = txns
        .iter()
        .filter_map(|(_, h)| Handle::parse(h))
        .flat_map(|h| h.partitions)
        .collect();
    for (worker, handle) in lost {
        let parts: Vec<i32> = match Handle::parse(handle) {
            Some(h) if !h.partitions.is_empty() => h.partitions,
            _ => d
                .ranges
                .iter()
                .map(|r| r.partition)
                .filter(|p| !kept.contains(p))
                .collect(),
        };
        let ranges: Vec<PartitionRange> = d
            .ranges
            .iter()
            .filter(|r| parts.contains(&r.partition))
            .copied()
            .collect();
        let mut sink = DorisTxnSink::new(
            client.clone(),
            spec.clone(),
            *worker,
            generation,
            spool_dir(cfg),
        );
        let handle = load_ranges(cfg, plan, &ranges, &mut sink, d.epoch)?;
        if !handle.is_empty() {
            txns.push((*worker, handle));
        }
    }
    txns.sort();
    Ok(DecisionRecord {
        epoch: d.epoch,
        generation,
        decided_at_ms: now_ms(),
        ranges: d.ranges.clone(),
        txns,
        counts: d.counts,
    })
}

/// Reads exactly `ranges` from the job's source through the row path into one transaction
/// of `sink`; its handle (empty when no row was loaded).
fn load_ranges(
    cfg: &RunConfig,
    plan: &Arc<LoadPlan>,
    ranges: &[PartitionRange],
    sink: &mut impl TxnSink,
    epoch: Epoch,
) -> Result<String, RunError> {
    let mut starts: BTreeMap<i32, i64> = BTreeMap::new();
    let mut ends: BTreeMap<i32, i64> = BTreeMap::new();
    for r in ranges {
        let s = starts.entry(r.partition).or_insert(r.start);
        *s = (*s).min(r.start);
        let e = ends.entry(r.partition).or_insert(r.end);
        *e = (*e).max(r.end);
    }
    let parts: Vec<i32> = ends.keys().copied().collect();
    let sink_err = |e: SinkError| RunError::Sink(format!("re-loading epoch {epoch}: {e}"));
    sink.begin(epoch).map_err(sink_err)?;
    if !parts.is_empty() {
        let owned = parts.clone();
        let owns: Box<dyn Fn(i32) -> bool + Send> = Box::new(move |p| owned.contains(&p));
        let mut reader = match &cfg.source {
            SourceSpec::Kafka { brokers, .. } => KafkaReader::open(KafkaOptions {
                brokers: crate::kafka::brokers(&cfg.job, brokers.as_deref()),
                topic: cfg.job.kafka.topic.clone(),
                properties: cfg.job.kafka.properties.clone(),
                owns,
                partitions: Some(parts.clone()),
                resume: starts.clone(),
                start: BTreeMap::new(),
                default_start: KafkaOffset::Beginning,
                until: Some(ends.clone()),
                refresh: Duration::from_secs(2),
            })
            .map(|r| WorkerReader::Kafka(Box::new(r)))
            .map_err(|e| RunError::Source(e.to_string()))?,
            SourceSpec::Capture { path, .. } => CaptureReader::open(
                path,
                ReaderOptions {
                    owns,
                    partitions: Some(parts.clone()),
                    resume: starts.clone(),
                    start: BTreeMap::new(),
                    default_start: StartOffset::Beginning,
                    pacing: Pacing::AsFastAsPossible,
                },
            )
            .map(|r| WorkerReader::Capture(Box::new(r)))
            .map_err(|e| RunError::Source(e.to_string()))?,
        };
        let mut path = routinely_operators::row::RowPath::new(plan.clone());
        path.begin_batch(now_ms() * 1000);
        let mut batch = MessageBatch::with_capacity(8192, 1 << 20);
        loop {
            batch.clear();
            let status = reader.read(&mut batch, 8192, 8 << 20);
            if let Some(e) = status.error {
                return Err(RunError::Source(format!("re-loading epoch {epoch}: {e}")));
            }
            for m in batch.iter() {
                if ends.get(&m.partition).is_some_and(|end| m.offset < *end) {
                    path.push(m);
                }
            }
            for b in path.take_chunks() {
                sink.write(epoch, &b).map_err(sink_err)?;
            }
            let rejected = path.take_rejected();
            if !rejected.is_empty() {
                sink.write_rejected(epoch, &rejected).map_err(sink_err)?;
            }
            let positions: BTreeMap<i32, i64> = reader.positions().into_iter().collect();
            let done = ends
                .iter()
                .all(|(p, end)| positions.get(p).is_some_and(|at| at >= end));
            if done || status.finished {
                break;
            }
            if status.caught_up && batch.is_empty() {
                std::thread::sleep(reader.idle_wait());
            }
        }
        let rest = path.finish();
        for b in &rest.batches {
            sink.write(epoch, b).map_err(sink_err)?;
        }
        if !rest.rejected.is_empty() {
            sink.write_rejected(epoch, &rest.rejected)
                .map_err(sink_err)?;
        }
    }
    sink.covers(epoch, ranges);
    sink.precommit(epoch).map_err(sink_err)
}
