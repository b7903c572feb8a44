//! The job host behind `routinely serve` and `routinely run --endpoint`: it owns a set of
//! jobs, each with its own state directory, and runs each on a supervisor thread through
//! Doris's states (NEED_SCHEDULE → RUNNING → PAUSED → … → STOPPED / CANCELLED), with
//! auto-resume, quality gates (the run pauses itself), live ALTER of the batch knobs, lag
//! polling, error logs and the statements of [`ControlPlane`].
//!
//! ```text
//!  state root/
//!    tables/<name>.sql            CREATE TABLE statements the host knows
//!    jobs/<db>.<job>/job.json     id, CREATE statements, creation time, user
//!    jobs/<db>.<job>/             the job's progress store (the durable truth of its state)
//!    jobs/<db>.<job>/live_alters  ALTERs applied to a running job, not yet in the store
//!    jobs/<db>.<job>/error_log/   rejected rows per epoch and worker (ErrorLogUrls)
//! ```
//!
//! Only a job's supervisor writes its store: statements post commands to it and wait for the
//! answer, and a running job is asked to pause or stop through its run's hooks.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use routinely_operators::dataflow::window::LivePolicy;
use routinely_operators::row::LoadPlan;
use routinely_schemas::sql::{AlterRoutineLoad, JobName, Statement, parse_statement};
use routinely_schemas::{RoutineLoadJob, TableSchema};
use serde::{Deserialize, Serialize};

use crate::control_api::{ControlPlane, JobView, StatementError, StatementResult};
use crate::jobstate::{ErrorCode, ErrorReason, JobState};
use crate::metrics::JobMetrics;
use crate::progress::{JobStatus, ProgressState, ProgressStore, StartSpec, now_ms};
use crate::runtime::{self, Cluster, RunConfig, RunError, RunHooks, SourceSpec};
use crate::sink::SinkSpec;

/// How a host runs its jobs.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Where the host keeps tables, jobs and their progress.
    pub state_root: PathBuf,
    /// Where jobs load (`doris://…`, `local:DIR` — one directory per table under it —, `null`).
    pub sink: SinkSpec,
    /// Read every job from here instead of its Kafka brokers (`routinely run`'s `--source`).
    pub source: Option<SourceSpec>,
    /// Most timely workers per job (a job runs `min(desired_concurrent_number, this)`).
    pub max_workers: usize,
    /// The user statements run as (SHOW's `User`, Doris's pause messages).
    pub user: String,
    /// First auto-resume backoff step (Doris: 10 s).
    pub auto_resume_base: Duration,
    /// How often lag is fetched.
    pub lag_interval: Duration,
    /// How a job whose source ended (a capture replayed to its end) waits before looking
    /// for more.
    pub idle_rerun: Duration,
}

impl HostConfig {
    /// Defaults for `state_root` and `sink`.
    pub fn new(state_root: PathBuf, sink: SinkSpec) -> Self {
        HostConfig {
            state_root,
            sink,
            source: None,
            max_workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            user: "root".into(),
            auto_resume_base: Duration::from_millis(crate::jobstate::AUTO_RESUME_BASE_MS as u64),
            lag_interval: Duration::from_secs(5),
            idle_rerun: Duration::from_secs(2),
        }
    }
}

/// A host failure (start-up, catalog I/O).
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A file of the state root cannot be read or written.
    #[error("{}: {op}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// A stored job or table no longer parses.
    #[error("{}: {message}", path.display())]
    Catalog {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn io_err(path: &Path, op: &'static str) -> impl FnOnce(std::io::Error) -> HostError + use<> {
    let path = path.to_path_buf();
    move |source| HostError::Io { path, op, source }
}

/// What a host records about a job besides its progress store.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct JobMeta {
    id: u64,
    create_sql: String,
    table_sql: String,
    created_ms: i64,
    user: String,
}

/// A command for a job's supervisor.
#[derive(Debug, Clone)]
enum Command {
    Pause(ErrorReason),
    Resume,
    Stop(ErrorReason),
    Alter(String),
}

impl Command {
    /// The state the command moves a job to, as Doris's refusal names it.
    fn target(&self) -> &'static str {
        match self {
            Command::Pause(_) => "PAUSED",
            Command::Resume => "NEED_SCHEDULE",
            Command::Stop(_) => "STOPPED",
            Command::Alter(_) => "ALTERED",
        }
    }
}

/// A running run's handles.
struct RunHandle {
    stop: Arc<AtomicBool>,
    hooks: RunHooks,
    started_ms: i64,
    workers: usize,
}

/// What a job's supervisor shares with statements.
#[derive(Default)]
struct Ctl {
    state: Option<JobState>,
    reason: String,
    other_msg: String,
    run: Option<RunHandle>,
    /// Commands waiting for the supervisor, with their ticket.
    commands: Vec<(u64, Command)>,
    /// Answers by ticket.
    answers: BTreeMap<u64, Result<String, StatementError>>,
    next_ticket: u64,
    /// Lag per partition (-1 unknown), fetched by the lag thread.
    lag: BTreeMap<i32, i64>,
    /// The store as last read (for SHOW).
    progress: ProgressState,
    /// Set when the supervisor thread has ended (the job is final or the host shuts down).
    ended: bool,
    /// The latest run ended because its source did (a capture read to its end) and nothing
    /// new has appeared since.
    caught_up: bool,
}

/// One hosted job.
struct HostedJob {
    id: u64,
    key: String,
    dir: PathBuf,
    meta: JobMeta,
    create: RoutineLoadJob,
    table: TableSchema,
    metrics: Arc<JobMetrics>,
    ctl: Mutex<Ctl>,
    cond: Condvar,
}

/// The host: jobs and their supervisors.
pub struct Host {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: HostConfig,
    jobs: Mutex<BTreeMap<u64, Arc<HostedJob>>>,
    tables: Mutex<BTreeMap<String, (String, TableSchema)>>,
    next_id: AtomicU64,
    shutdown: Arc<AtomicBool>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// `http://host:port` of the control endpoint, for error log URLs.
    base_url: Mutex<String>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn user_err(m: impl Into<String>) -> StatementError {
    StatementError::user(m)
}

/// The key a job is known by: `db.job` (`job` alone when it names no database).
fn job_key(job: &RoutineLoadJob) -> String {
    match &job.database {
        Some(db) => format!("{db}.{}", job.name),
        None => job.name.clone(),
    }
}

impl Host {
    /// Opens the host at `cfg.state_root`, reloading every job recorded there, and starts
    /// their supervisors and the lag poller.
    pub fn start(cfg: HostConfig) -> Result<Host, HostError> {
        let root = cfg.state_root.clone();
        for d in ["tables", "jobs"] {
            fs::create_dir_all(root.join(d)).map_err(io_err(&root.join(d), "create"))?;
        }
        let inner = Arc::new(Inner {
            cfg,
            jobs: Mutex::new(BTreeMap::new()),
            tables: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
            shutdown: Arc::new(AtomicBool::new(false)),
            threads: Mutex::new(Vec::new()),
            base_url: Mutex::new(String::new()),
        });
        // Tables.
        let tables_dir = root.join("tables");
        for entry in fs::read_dir(&tables_dir).map_err(io_err(&tables_dir, "read"))? {
            let path = entry.map_err(io_err(&tables_dir, "read"))?.path();
            if path.extension().is_some_and(|e| e == "sql") {
                let sql = fs::read_to_string(&path).map_err(io_err(&path, "read"))?;
                let table = routinely_schemas::sql::parse_create_table(&sql).map_err(|e| {
                    HostError::Catalog {
                        path: path.clone(),
                        message: e.to_string(),
                    }
                })?;
                lock(&inner.tables).insert(table.name.clone(), (sql, table));
            }
        }
        // Jobs.
        let jobs_dir = root.join("jobs");
        let mut metas = Vec::new();
        for entry in fs::read_dir(&jobs_dir).map_err(io_err(&jobs_dir, "read"))? {
            let dir = entry.map_err(io_err(&jobs_dir, "read"))?.path();
            let meta_path = dir.join("job.json");
            if !meta_path.exists() {
                continue;
            }
            let text = fs::read_to_string(&meta_path).map_err(io_err(&meta_path, "read"))?;
            let meta: JobMeta = serde_json::from_str(&text).map_err(|e| HostError::Catalog {
                path: meta_path.clone(),
                message: e.to_string(),
            })?;
            metas.push((dir, meta));
        }
        metas.sort_by_key(|(_, m)| m.id);
        let host = Host { inner };
        for (dir, meta) in metas {
            let job = host
                .inner
                .hosted(dir.clone(), meta)
                .map_err(|message| HostError::Catalog { path: dir, message })?;
            host.inner.next_id.fetch_max(job.id + 1, Ordering::Relaxed);
            lock(&host.inner.jobs).insert(job.id, job.clone());
            Inner::spawn_supervisor(&host.inner, job);
        }
        let inner = host.inner.clone();
        let lag = std::thread::Builder::new()
            .name("routinely-lag".into())
            .spawn(move || inner.poll_lag())
            .map_err(io_err(&root, "start the lag thread"))?;
        lock(&host.inner.threads).push(lag);
        Ok(host)
    }

    /// Tells the host where its control endpoint listens (`http://host:port`), for the
    /// error log URLs it shows.
    pub fn set_base_url(&self, url: &str) {
        *lock(&self.inner.base_url) = url.trim_end_matches('/').to_string();
    }

    /// The host as a [`ControlPlane`] for an endpoint.
    pub fn plane(&self) -> Arc<dyn ControlPlane> {
        Arc::new(Plane(self.inner.clone()))
    }

    /// Registers a table and a job from their statements unless a job of that name exists
    /// (`routinely run --endpoint`: the job of the command line).
    pub fn ensure_job(&self, table_sql: &str, job_sql: &str) -> Result<String, StatementError> {
        let table = routinely_schemas::sql::parse_create_table(table_sql)
            .map_err(|e| user_err(e.to_string()))?;
        let job = match parse_statement(job_sql).map_err(|e| user_err(e.to_string()))? {
            Statement::CreateRoutineLoad(job) => job,
            _ => return Err(user_err("expected CREATE ROUTINE LOAD")),
        };
        let key = job_key(&job);
        if self.inner.find(&key).is_some() {
            return Ok(key);
        }
        self.inner.create_table(table_sql, table)?;
        self.inner.create_job(job_sql, job)?;
        Ok(key)
    }

    /// Whether every job has ended for good (STOPPED or CANCELLED) or, for a job whose
    /// source ends, read everything (`routinely run --endpoint` exits then).
    pub fn all_final(&self) -> bool {
        lock(&self.inner.jobs)
            .values()
            .all(|j| lock(&j.ctl).state.is_some_and(|s| s.is_final()))
    }

    /// Whether a job's source has ended and everything it held is committed (a capture
    /// replayed to its end), so that `routinely run --endpoint` may exit.
    pub fn caught_up(&self, job: &str) -> bool {
        self.inner.find(job).is_some_and(|j| lock(&j.ctl).caught_up)
    }

    /// The state of a job (`db.job` or `job`).
    pub fn state_of(&self, job: &str) -> Option<JobState> {
        self.inner.find(job).and_then(|j| lock(&j.ctl).state)
    }

    /// Stops every run gracefully (decided epochs are committed, undecided ones aborted)
    /// and waits for the supervisors; job states stay as they are (a restart goes on).
    pub fn shutdown(&self) {
        self.inner.shutdown.store(true, Ordering::Relaxed);
        for job in lock(&self.inner.jobs).values() {
            let ctl = lock(&job.ctl);
            if let Some(run) = &ctl.run {
                run.stop.store(true, Ordering::Relaxed);
            }
            job.cond.notify_all();
        }
        let threads: Vec<_> = lock(&self.inner.threads).drain(..).collect();
        for t in threads {
            let _ = t.join();
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Inner {
    fn find(&self, name: &str) -> Option<Arc<HostedJob>> {
        let jobs = lock(&self.jobs);
        // `db.job` or `job` (unique).
        if let Some(j) = jobs.values().find(|j| j.key == name) {
            return Some(j.clone());
        }
        let mut by_name = jobs.values().filter(|j| j.create.name == name);
        let first = by_name.next()?;
        if by_name.next().is_some() {
            return None;
        }
        Some(first.clone())
    }

    fn find_named(&self, name: &JobName) -> Result<Arc<HostedJob>, StatementError> {
        self.find(&name.to_string()).ok_or_else(|| {
            user_err(format!(
                "There is not operable routine load job with name {}",
                name.name
            ))
        })
    }

    fn hosted(&self, dir: PathBuf, meta: JobMeta) -> Result<Arc<HostedJob>, String> {
        let table = routinely_schemas::sql::parse_create_table(&meta.table_sql)
            .map_err(|e| format!("table: {e}"))?;
        let create = match parse_statement(&meta.create_sql).map_err(|e| e.to_string())? {
            Statement::CreateRoutineLoad(job) => job,
            _ => return Err("job.json holds no CREATE ROUTINE LOAD".into()),
        };
        let key = job_key(&create);
        let metrics = Arc::new(JobMetrics::new(&key));
        Ok(Arc::new(HostedJob {
            id: meta.id,
            key,
            dir,
            meta,
            create,
            table,
            metrics,
            ctl: Mutex::new(Ctl::default()),
            cond: Condvar::new(),
        }))
    }

    fn create_table(&self, sql: &str, table: TableSchema) -> Result<String, StatementError> {
        let path = self
            .cfg
            .state_root
            .join("tables")
            .join(format!("{}.sql", table.name));
        write_atomic(&path, sql.as_bytes()).map_err(|e| StatementError::internal(e.to_string()))?;
        let name = table.name.clone();
        lock(&self.tables).insert(name.clone(), (sql.to_string(), table));
        Ok(format!("table {name} created"))
    }

    fn create_job(
        self: &Arc<Self>,
        sql: &str,
        job: RoutineLoadJob,
    ) -> Result<String, StatementError> {
        let key = job_key(&job);
        if lock(&self.jobs).values().any(|j| j.key == key) {
            return Err(user_err(format!(
                "Name [{}] already used in database [{}]",
                job.name,
                job.database.clone().unwrap_or_default()
            )));
        }
        let table_name = job.table.clone().unwrap_or_default();
        let Some((table_sql, table)) = lock(&self.tables).get(&table_name).cloned() else {
            return Err(user_err(format!(
                "Unknown table '{table_name}': send its CREATE TABLE first"
            )));
        };
        LoadPlan::new(&table, &job).map_err(|e| user_err(e.to_string()))?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let dir = self.cfg.state_root.join("jobs").join(&key);
        fs::create_dir_all(&dir).map_err(|e| StatementError::internal(e.to_string()))?;
        let meta = JobMeta {
            id,
            create_sql: sql.trim().to_string(),
            table_sql,
            created_ms: now_ms(),
            user: self.cfg.user.clone(),
        };
        let text = serde_json::to_string_pretty(&meta)
            .map_err(|e| StatementError::internal(e.to_string()))?;
        write_atomic(&dir.join("job.json"), text.as_bytes())
            .map_err(|e| StatementError::internal(e.to_string()))?;
        let hosted = self.hosted(dir, meta).map_err(StatementError::internal)?;
        lock(&self.jobs).insert(id, hosted.clone());
        Inner::spawn_supervisor(self, hosted);
        Ok(format!("routine load job {key} created (id {id})"))
    }

    fn spawn_supervisor(inner: &Arc<Inner>, job: Arc<HostedJob>) {
        let me = inner.clone();
        let name = format!("routinely-job-{}", job.id);
        match std::thread::Builder::new()
            .name(name)
            .spawn(move || me.supervise(&job))
        {
            Ok(t) => lock(&inner.threads).push(t),
            Err(e) => eprintln!("routinely: cannot start a job's supervisor: {e}"),
        }
    }

    /// Posts a command to a job's supervisor and waits for its answer.
    fn command(&self, job: &HostedJob, cmd: Command) -> Result<String, StatementError> {
        let mut ctl = lock(&job.ctl);
        if ctl.ended {
            let state = ctl.state.unwrap_or(JobState::Stopped);
            return Err(user_err(format!(
                "Could not transform {state} to {}",
                cmd.target()
            )));
        }
        let ticket = ctl.next_ticket;
        ctl.next_ticket += 1;
        // A running job is asked to end its run first.
        if let Some(run) = &ctl.run {
            match &cmd {
                Command::Pause(r) | Command::Stop(r) => {
                    run.hooks.pause.request(r.clone());
                    run.stop.store(true, Ordering::Relaxed);
                }
                Command::Resume | Command::Alter(_) => {}
            }
        }
        ctl.commands.push((ticket, cmd));
        job.cond.notify_all();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(answer) = ctl.answers.remove(&ticket) {
                return answer;
            }
            if ctl.ended && !ctl.commands.iter().any(|(t, _)| *t == ticket) {
                return Err(StatementError::internal("the job's supervisor ended"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(StatementError::internal(
                    "timed out waiting for the job to take the statement",
                ));
            }
            ctl = job
                .cond
                .wait_timeout(ctl, left.min(Duration::from_millis(200)))
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    fn answer(job: &HostedJob, ticket: u64, result: Result<String, StatementError>) {
        lock(&job.ctl).answers.insert(ticket, result);
        job.cond.notify_all();
    }

    /// The job's supervisor: runs it while it is runnable, applies commands between runs,
    /// resumes it automatically when Doris would.
    fn supervise(&self, job: &HostedJob) {
        let mut store_err_logged = false;
        loop {
            // Commands first (the run has ended or never started: the store is ours).
            let commands: Vec<(u64, Command)> = std::mem::take(&mut lock(&job.ctl).commands);
            for (ticket, cmd) in commands {
                let result = self.apply(job, cmd);
                // The state the statement left is what the next SHOW sees.
                if let Ok(st) = read_state(&job.dir) {
                    publish(job, st);
                }
                Inner::answer(job, ticket, result);
            }
            let state = match read_state(&job.dir) {
                Ok(s) => s,
                Err(e) => {
                    if !store_err_logged {
                        eprintln!("routinely: job {}: {e}", job.key);
                        store_err_logged = true;
                    }
                    ProgressState::default()
                }
            };
            let (job_state, reason) = shown_state(&state.status);
            publish(job, state.clone());
            if job_state.is_final() {
                let mut ctl = lock(&job.ctl);
                // Answer what arrived meanwhile, then end.
                for (ticket, cmd) in std::mem::take(&mut ctl.commands) {
                    ctl.answers.insert(
                        ticket,
                        Err(user_err(format!(
                            "Could not transform {job_state} to {}",
                            cmd.target()
                        ))),
                    );
                }
                ctl.ended = true;
                job.cond.notify_all();
                return;
            }
            if self.shutdown.load(Ordering::Relaxed) {
                let mut ctl = lock(&job.ctl);
                ctl.ended = true;
                job.cond.notify_all();
                return;
            }
            if job_state == JobState::Paused {
                // Wait for a command, or for the auto-resume time.
                let paused_at = match state.status {
                    JobStatus::Paused { at_ms, .. } => at_ms,
                    _ => now_ms(),
                };
                let parsed = parse_reason(&reason);
                let due = state.auto_resume.due_at(
                    &parsed,
                    paused_at,
                    self.cfg.auto_resume_base.as_millis() as i64,
                );
                let mut ctl = lock(&job.ctl);
                while ctl.commands.is_empty() && !self.shutdown.load(Ordering::Relaxed) {
                    let wait = match due {
                        Some(at) if at <= now_ms() => break,
                        Some(at) => Duration::from_millis((at - now_ms()).max(1) as u64),
                        None => Duration::from_millis(500),
                    };
                    ctl = job
                        .cond
                        .wait_timeout(ctl, wait.min(Duration::from_millis(500)))
                        .map(|(g, _)| g)
                        .unwrap_or_else(|e| e.into_inner().0);
                }
                let resume_now = ctl.commands.is_empty()
                    && !self.shutdown.load(Ordering::Relaxed)
                    && due.is_some_and(|at| at <= now_ms());
                drop(ctl);
                if resume_now {
                    match open_store(job) {
                        Ok(mut store) => {
                            if let Err(e) = store.auto_resume() {
                                eprintln!("routinely: job {}: auto-resume: {e}", job.key);
                            } else {
                                lock(&job.ctl).other_msg = format!(
                                    "{}:auto-resumed after {}",
                                    crate::progress::format_utc_ms(now_ms()),
                                    reason
                                );
                            }
                        }
                        Err(e) => eprintln!("routinely: job {}: {e}", job.key),
                    }
                }
                continue;
            }
            // Runnable: NEED_SCHEDULE → RUNNING.
            if !lock(&job.ctl).commands.is_empty() {
                continue;
            }
            self.run_once(job);
        }
    }

    /// Applies a command with no run in progress.
    fn apply(&self, job: &HostedJob, cmd: Command) -> Result<String, StatementError> {
        let mut store = open_store(job).map_err(|e| StatementError::internal(e.to_string()))?;
        let (state, _) = shown_state(&store.state().status);
        match cmd {
            Command::Pause(reason) => {
                state.check_transition(JobState::Paused).map_err(user_err)?;
                store
                    .pause(&reason.to_string())
                    .map_err(|e| user_err(e.to_string()))?;
                Ok(format!("job {} is PAUSED", job.key))
            }
            Command::Resume => {
                if state != JobState::Paused {
                    state
                        .check_transition(JobState::NeedSchedule)
                        .map_err(user_err)?;
                    return Ok(format!("job {} is {state}", job.key));
                }
                store.resume().map_err(|e| user_err(e.to_string()))?;
                Ok(format!("job {} is NEED_SCHEDULE", job.key))
            }
            Command::Stop(_) => {
                state
                    .check_transition(JobState::Stopped)
                    .map_err(user_err)?;
                store.stop().map_err(|e| user_err(e.to_string()))?;
                Ok(format!("job {} is STOPPED", job.key))
            }
            Command::Alter(text) => {
                let alter = match parse_statement(&text).map_err(|e| user_err(e.to_string()))? {
                    Statement::AlterRoutineLoad(a) => a,
                    _ => return Err(user_err("expected ALTER ROUTINE LOAD")),
                };
                if state != JobState::Paused {
                    return Err(user_err("Only supports modification of PAUSED jobs"));
                }
                fold_live_alters(job, &mut store)?;
                let mut altered = crate::control::effective_job(&job.create, store.state())
                    .map_err(|e| user_err(e.to_string()))?;
                altered
                    .apply_alter(&alter)
                    .map_err(|e| user_err(e.to_string()))?;
                LoadPlan::new(&job.table, &altered).map_err(|e| user_err(e.to_string()))?;
                let offsets: Vec<(i32, StartSpec)> = alter
                    .kafka_offset_changes(&altered.properties.time_zone)
                    .map_err(|e| user_err(e.to_string()))?
                    .iter()
                    .map(|(p, o)| (*p, StartSpec::from(o)))
                    .collect();
                store
                    .altered(text.trim(), offsets)
                    .map_err(|e| user_err(e.to_string()))?;
                Ok(format!("job {} altered", job.key))
            }
        }
    }

    /// One run of a runnable job, until it ends, pauses, is stopped or must restart.
    fn run_once(&self, job: &HostedJob) {
        // ALTERs a previous run took live go into the store now that it is ours.
        if let Ok(mut store) = open_store(job)
            && let Err(e) = fold_live_alters(job, &mut store)
        {
            eprintln!("routinely: job {}: {e}", job.key);
        }
        let effective = match read_state(&job.dir)
            .map_err(|e| e.to_string())
            .and_then(|st| {
                crate::control::effective_job(&job.create, &st).map_err(|e| e.to_string())
            }) {
            Ok(j) => j,
            Err(e) => {
                self.pause_job(job, ErrorReason::new(ErrorCode::CannotResume, e));
                return;
            }
        };
        let workers = self.workers_for(&effective);
        let stop = Arc::new(AtomicBool::new(false));
        let hooks = RunHooks {
            observer: Some(job.metrics.clone()),
            pause: Default::default(),
            policy: Some(LivePolicy::new(runtime::epoch_policy(&effective))),
        };
        {
            let mut ctl = lock(&job.ctl);
            if !ctl.commands.is_empty() {
                return;
            }
            ctl.state = Some(JobState::Running);
            ctl.run = Some(RunHandle {
                stop: stop.clone(),
                hooks: hooks.clone(),
                started_ms: now_ms(),
                workers,
            });
            // `shutdown` sets its flag before it stops the registered runs: either it sees
            // this run, or this sees the flag.
            if self.shutdown.load(Ordering::Relaxed) {
                stop.store(true, Ordering::Relaxed);
            }
        }
        job.metrics.set_state(JobState::Running.as_str());
        job.cond.notify_all();
        let config = RunConfig {
            table: job.table.clone(),
            job: job.create.clone(),
            source: self.source_for(&effective),
            sink: self.sink_for(job),
            state: job.dir.clone(),
            cluster: Cluster::local(workers),
            stop: stop.clone(),
            hooks: hooks.clone(),
        };
        let result = runtime::run(config);
        {
            let mut ctl = lock(&job.ctl);
            ctl.run = None;
            ctl.state = Some(JobState::NeedSchedule);
        }
        match result {
            Ok(report) => {
                if !report.stopped && !self.shutdown.load(Ordering::Relaxed) {
                    // The source ended (a capture read to its end): the job stays RUNNING,
                    // as a Doris job with no new data does, until there is more to read.
                    {
                        let mut ctl = lock(&job.ctl);
                        ctl.state = Some(JobState::Running);
                        ctl.caught_up = true;
                    }
                    job.metrics.set_state(JobState::Running.as_str());
                    job.cond.notify_all();
                    loop {
                        self.idle(job, self.cfg.idle_rerun);
                        if !lock(&job.ctl).commands.is_empty()
                            || self.shutdown.load(Ordering::Relaxed)
                        {
                            break;
                        }
                        let more = read_state(&job.dir)
                            .is_ok_and(|st| self.lag_of(&effective, &st).values().any(|l| *l > 0));
                        if more {
                            break;
                        }
                    }
                    lock(&job.ctl).caught_up = false;
                }
            }
            Err(RunError::Paused(reason)) => {
                // A user's PAUSE / STOP is recorded by the supervisor from its command; a
                // pause the run decided on is already in the store.
                lock(&job.ctl).other_msg = format!(
                    "{}:{}",
                    crate::progress::format_utc_ms(now_ms()),
                    reason.msg
                );
            }
            Err(RunError::NotRunnable(_)) => {}
            Err(e) => {
                // Doris pauses a job whose tasks fail, with a reason it may resume from.
                let code = match &e {
                    RunError::Sink(_) | RunError::Failed(_) => ErrorCode::TasksAbort,
                    RunError::Source(_) => ErrorCode::Partitions,
                    RunError::Plan(_) => ErrorCode::CannotResume,
                    _ => ErrorCode::InternalError,
                };
                let message = e.to_string();
                let lower = message.to_ascii_lowercase();
                let gone = [
                    "unknown table",
                    "table not found",
                    "unknown database",
                    "database not found",
                ];
                if gone.iter().any(|g| lower.contains(g)) {
                    // Doris cancels a job whose table or database is gone (TABLE_ERR).
                    self.cancel_job(job, ErrorReason::new(ErrorCode::Table, message));
                } else {
                    self.pause_job(job, ErrorReason::new(code, message));
                }
            }
        }
    }

    /// Waits up to `d` unless a command arrives or the host shuts down.
    fn idle(&self, job: &HostedJob, d: Duration) {
        let deadline = Instant::now() + d;
        let mut ctl = lock(&job.ctl);
        while ctl.commands.is_empty() && !self.shutdown.load(Ordering::Relaxed) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            ctl = job
                .cond
                .wait_timeout(ctl, left.min(Duration::from_millis(200)))
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    fn pause_job(&self, job: &HostedJob, reason: ErrorReason) {
        self.record_state(job, JobState::Paused, &reason);
        lock(&job.ctl).other_msg = format!(
            "{}:{}",
            crate::progress::format_utc_ms(now_ms()),
            reason.msg
        );
    }

    fn cancel_job(&self, job: &HostedJob, reason: ErrorReason) {
        self.record_state(job, JobState::Cancelled, &reason);
    }

    /// Records a pause or a cancellation the job decided on itself.
    fn record_state(&self, job: &HostedJob, to: JobState, reason: &ErrorReason) {
        eprintln!("routinely: job {} {to}: {reason}", job.key);
        let recorded = open_store(job).and_then(|mut store| match to {
            JobState::Cancelled => store.cancel(&reason.to_string()),
            _ => store.pause(&reason.to_string()),
        });
        if let Err(e) = recorded {
            eprintln!("routinely: job {}: {e}", job.key);
        }
    }

    /// Timely workers for a job: its `desired_concurrent_number`, at most the host's cap.
    fn workers_for(&self, job: &RoutineLoadJob) -> usize {
        (job.properties.desired_concurrent_number as usize).clamp(1, self.cfg.max_workers.max(1))
    }

    fn source_for(&self, _job: &RoutineLoadJob) -> SourceSpec {
        self.cfg.source.clone().unwrap_or(SourceSpec::Kafka {
            brokers: None,
            until: None,
        })
    }

    fn sink_for(&self, job: &HostedJob) -> SinkSpec {
        match &self.cfg.sink {
            SinkSpec::Local(dir) => SinkSpec::Local(dir.join(&job.table.name)),
            other => other.clone(),
        }
    }

    /// Fetches every job's lag now and then.
    fn poll_lag(&self) {
        let mut last = Instant::now() - self.cfg.lag_interval;
        while !self.shutdown.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            if last.elapsed() < self.cfg.lag_interval {
                continue;
            }
            last = Instant::now();
            let jobs: Vec<Arc<HostedJob>> = lock(&self.jobs).values().cloned().collect();
            for job in jobs {
                if lock(&job.ctl).state.is_some_and(|s| s.is_final()) {
                    continue;
                }
                let Ok(state) = read_state(&job.dir) else {
                    continue;
                };
                let Ok(effective) = crate::control::effective_job(&job.create, &state) else {
                    continue;
                };
                let lag = self.lag_of(&effective, &state);
                job.metrics.set_lag(&lag);
                let mut ctl = lock(&job.ctl);
                ctl.lag = lag;
                ctl.progress = state;
            }
        }
    }

    fn lag_of(&self, job: &RoutineLoadJob, state: &ProgressState) -> BTreeMap<i32, i64> {
        match self.source_for(job) {
            SourceSpec::Capture { path, .. } => {
                let ends = crate::capture::end_offsets(&path).unwrap_or_default();
                ends.iter()
                    .map(|(p, end)| {
                        let next = state.next_offsets.get(p).copied().unwrap_or(0);
                        (*p, (end - next).max(0))
                    })
                    .collect()
            }
            SourceSpec::Kafka { brokers, .. } => {
                let brokers = crate::kafka::brokers(job, brokers.as_deref());
                crate::kafka::lag(job, &brokers, &state.next_offsets)
            }
        }
    }

    /// Error log URLs of the job's latest epochs with rejected rows (newest first, ≤ 3).
    fn error_log_urls(&self, job: &HostedJob) -> Vec<String> {
        let base = lock(&self.base_url).clone();
        let dir = job.dir.join("error_log");
        let Ok(entries) = fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut files: Vec<(u64, String)> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.metadata().is_ok_and(|m| m.len() > 0))
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                let epoch = name
                    .strip_prefix("epoch-")?
                    .split('-')
                    .next()?
                    .parse::<u64>()
                    .ok()?;
                Some((epoch, name))
            })
            .collect();
        files.sort_by(|a, b| b.cmp(a));
        files
            .into_iter()
            .take(3)
            .map(|(_, name)| format!("{base}/api/_load_error_log?file={}/{name}", job.key))
            .collect()
    }

    /// The live ALTER of a running job: only the batch and concurrency knobs, from the
    /// next epoch on (a change of concurrency restarts the run at an epoch boundary).
    fn alter_live(
        &self,
        job: &HostedJob,
        text: &str,
        alter: &AlterRoutineLoad,
    ) -> Result<String, StatementError> {
        let state = read_state(&job.dir).map_err(|e| StatementError::internal(e.to_string()))?;
        let mut current = crate::control::effective_job(&job.create, &state)
            .map_err(|e| user_err(e.to_string()))?;
        apply_live_file(job, &mut current);
        current
            .apply_alter(alter)
            .map_err(|e| user_err(e.to_string()))?;
        // Durable before it takes effect: a restart applies it again.
        let path = job.dir.join("live_alters");
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| StatementError::internal(format!("{}: {e}", path.display())))?;
        let line = serde_json::to_string(text.trim())
            .map_err(|e| StatementError::internal(e.to_string()))?;
        writeln!(f, "{line}")
            .and_then(|()| f.sync_all())
            .map_err(|e| StatementError::internal(format!("{}: {e}", path.display())))?;
        let workers = self.workers_for(&current);
        let ctl = lock(&job.ctl);
        if let Some(run) = &ctl.run {
            if let Some(policy) = &run.hooks.policy {
                policy.set(runtime::epoch_policy(&current));
            }
            if run.workers != workers {
                // New concurrency: end this run at an epoch boundary; the supervisor
                // starts the next one with the new worker count.
                run.stop.store(true, Ordering::Relaxed);
            }
        }
        Ok(format!(
            "job {} altered while running: effective from the next epoch",
            job.key
        ))
    }
}

/// Shows `state` (the store as just read) as the job's state, progress and reason.
fn publish(job: &HostedJob, state: ProgressState) {
    let (shown, reason) = shown_state(&state.status);
    {
        let mut ctl = lock(&job.ctl);
        ctl.state = Some(shown);
        ctl.reason = reason;
        ctl.progress = state;
    }
    job.metrics.set_state(shown.as_str());
    job.cond.notify_all();
}

/// Applies the ALTERs of `live_alters` to `job` (in memory).
fn apply_live_file(job: &HostedJob, into: &mut RoutineLoadJob) {
    for text in read_live_alters(&job.dir) {
        if let Ok(Statement::AlterRoutineLoad(a)) = parse_statement(&text) {
            let _ = into.apply_alter(&a);
        }
    }
}

fn read_live_alters(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join("live_alters"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<String>(l).ok())
        .collect()
}

/// Moves the live ALTERs into the store (records them as ALTERs, in order) and empties the
/// file. The store must be the supervisor's (no run in progress).
fn fold_live_alters(job: &HostedJob, store: &mut ProgressStore) -> Result<(), StatementError> {
    let alters = read_live_alters(&job.dir);
    if alters.is_empty() {
        return Ok(());
    }
    for text in &alters {
        store
            .altered_any_state(text)
            .map_err(|e| StatementError::internal(e.to_string()))?;
    }
    let path = job.dir.join("live_alters");
    fs::remove_file(&path).map_err(|e| StatementError::internal(format!("{}: {e}", path.display())))
}

fn open_store(job: &HostedJob) -> Result<ProgressStore, crate::progress::ProgressError> {
    ProgressStore::open(&job.dir, runtime::identity(&job.create)).map(|(s, _)| s)
}

fn read_state(dir: &Path) -> Result<ProgressState, crate::progress::ProgressError> {
    match ProgressStore::open_read_only(dir) {
        Ok(s) => Ok(s.state().clone()),
        Err(crate::progress::ProgressError::NotFound(_)) => Ok(ProgressState::default()),
        Err(e) => Err(e),
    }
}

/// A stored pause reason; texts from before reasons carried codes read as a user's pause.
fn parse_reason(text: &str) -> ErrorReason {
    if text.starts_with("ErrorReason{") {
        ErrorReason::parse(text)
    } else {
        ErrorReason::new(ErrorCode::ManualPause, text)
    }
}

/// The state and reason a store's status shows between runs (a runnable job waits to be
/// scheduled: NEED_SCHEDULE).
fn shown_state(status: &JobStatus) -> (JobState, String) {
    match status {
        JobStatus::Runnable => (JobState::NeedSchedule, String::new()),
        JobStatus::Paused { reason, .. } => (JobState::Paused, reason.clone()),
        JobStatus::Stopped { .. } => (JobState::Stopped, String::new()),
        JobStatus::Cancelled { reason, .. } => (JobState::Cancelled, reason.clone()),
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

/// The statement text without a trailing `;` or `\G`; whether `\G` asked for the vertical
/// form.
pub fn strip_terminator(statement: &str) -> (&str, bool) {
    let mut s = statement.trim();
    let mut vertical = false;
    loop {
        if let Some(rest) = s.strip_suffix("\\G").or_else(|| s.strip_suffix("\\g")) {
            vertical = true;
            s = rest.trim_end();
        } else if let Some(rest) = s.strip_suffix(';') {
            s = rest.trim_end();
        } else {
            return (s, vertical);
        }
    }
}

/// The host as a control plane.
struct Plane(Arc<Inner>);

impl Plane {
    fn each_job(
        &self,
        all: bool,
        f: impl Fn(&HostedJob) -> Result<String, StatementError>,
    ) -> Result<String, StatementError> {
        let jobs: Vec<Arc<HostedJob>> = lock(&self.0.jobs).values().cloned().collect();
        let mut done = Vec::new();
        for j in jobs {
            let final_ = lock(&j.ctl).state.is_some_and(|s| s.is_final());
            if final_ && !all {
                continue;
            }
            match f(&j) {
                Ok(m) => done.push(m),
                Err(e) if e.user_error => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done.join("; "))
    }
}

impl Plane {
    /// The job's current effective statement (ALTERs applied, live ones included).
    fn effective(job: &HostedJob, progress: &ProgressState) -> RoutineLoadJob {
        let mut effective =
            crate::control::effective_job(&job.create, progress).unwrap_or(job.create.clone());
        apply_live_file(job, &mut effective);
        effective
    }

    /// SHOW statements.
    fn show(&self, statement: Statement) -> Result<StatementResult, StatementError> {
        let inner = &self.0;
        let jobs: Vec<Arc<HostedJob>> = lock(&inner.jobs).values().cloned().collect();
        match statement {
            Statement::ShowRoutineLoad { all, job, like } => {
                let selected: Vec<&Arc<HostedJob>> = jobs
                    .iter()
                    .filter(|j| {
                        let final_ = lock(&j.ctl).state.is_some_and(|s| s.is_final());
                        (all || !final_)
                            && job.as_ref().is_none_or(|n| {
                                n.name == j.create.name
                                    && n.database
                                        .as_ref()
                                        .is_none_or(|d| Some(d) == j.create.database.as_ref())
                            })
                            && like
                                .as_deref()
                                .is_none_or(|p| crate::showjob::like_matches(p, &j.create.name))
                    })
                    .collect();
                if let Some(name) = &job
                    && selected.is_empty()
                {
                    return Err(user_err(crate::showjob::no_job_message(
                        &name.name,
                        name.database.as_deref().unwrap_or(""),
                        all,
                    )));
                }
                let snapshots: Vec<_> = selected.iter().map(|j| self.snapshot(j)).collect();
                let facts: Vec<crate::showjob::ShowFacts<'_>> =
                    snapshots.iter().map(|s| s.facts()).collect();
                Ok(StatementResult::Rows(crate::showjob::show_routine_load(
                    &facts,
                )))
            }
            Statement::ShowRoutineLoadTask { database, job_name } => {
                let Some(j) = jobs.iter().find(|j| {
                    j.create.name == job_name
                        && database
                            .as_ref()
                            .is_none_or(|d| Some(d) == j.create.database.as_ref())
                }) else {
                    return Err(user_err(format!(
                        "The job named {job_name} does not exists or job state is stopped or cancelled"
                    )));
                };
                Ok(StatementResult::Rows(
                    crate::showjob::show_routine_load_task(&self.tasks(j)),
                ))
            }
            Statement::ShowCreateRoutineLoad { job, .. } => {
                let j = inner.find_named(&job)?;
                let progress = lock(&j.ctl).progress.clone();
                let effective = Plane::effective(&j, &progress);
                Ok(StatementResult::Rows(
                    crate::showjob::show_create_routine_load_for(
                        j.id,
                        &effective,
                        &progress.next_offsets,
                    ),
                ))
            }
            _ => Err(user_err(
                "routinely accepts CREATE TABLE, CREATE / ALTER / PAUSE / RESUME / STOP / SHOW \
                 [CREATE] ROUTINE LOAD and SHOW ROUTINE LOAD TASK",
            )),
        }
    }

    /// What SHOW needs of a job, taken under its lock.
    fn snapshot(&self, j: &HostedJob) -> Snapshot {
        let urls = self.0.error_log_urls(j);
        let ctl = lock(&j.ctl);
        let progress = ctl.progress.clone();
        let effective = Plane::effective(j, &progress);
        let state = ctl.state.unwrap_or(JobState::NeedSchedule);
        let (pause_ms, end_ms) = match &progress.status {
            JobStatus::Paused { at_ms, .. } => (Some(*at_ms), None),
            JobStatus::Stopped { at_ms } | JobStatus::Cancelled { at_ms, .. } => {
                (None, Some(*at_ms))
            }
            JobStatus::Runnable => (None, None),
        };
        let running_txns = progress
            .uncommitted
            .iter()
            .flat_map(|d| d.txns.iter())
            .filter_map(|(_, h)| crate::sink::doris::Handle::parse(h).map(|h| h.txn_id))
            .collect();
        let t = progress.totals;
        let mut partitions: Vec<i32> = progress.next_offsets.keys().copied().collect();
        for p in ctl.lag.keys() {
            if !partitions.contains(p) {
                partitions.push(*p);
            }
        }
        partitions.sort_unstable();
        Snapshot {
            id: j.id,
            created_ms: j.meta.created_ms,
            user: j.meta.user.clone(),
            state,
            workers: ctl
                .run
                .as_ref()
                .map_or_else(|| self.0.workers_for(&effective), |r| r.workers),
            reason: ctl.reason.clone(),
            other_msg: ctl.other_msg.clone(),
            lag: ctl.lag.clone(),
            error_log_urls: urls,
            broker_list: match &self.0.cfg.source {
                Some(SourceSpec::Capture { path, .. }) => format!("capture:{}", path.display()),
                Some(SourceSpec::Kafka {
                    brokers: Some(b), ..
                }) => b.clone(),
                _ => effective.kafka.broker_list.join(","),
            },
            stats: crate::showjob::ShowStats {
                total_rows: t.loaded + t.filtered + t.unselected,
                loaded_rows: t.loaded,
                error_rows: t.filtered,
                error_rows_after_resumed: progress.window.error,
                unselected_rows: t.unselected,
                received_bytes: t.bytes,
                task_execute_time_ms: (now_ms() - j.meta.created_ms).max(0) as u64,
                committed_task_num: progress.committed_epochs,
                aborted_task_num: progress.aborted_count,
                running_txns,
            },
            partitions,
            pause_ms,
            end_ms,
            progress,
            effective,
        }
    }

    /// Doris's tasks of a job: one per worker of the running run (reading from its
    /// partitions' next offsets), and the decided epochs whose commit is under way.
    fn tasks(&self, j: &HostedJob) -> Vec<crate::showjob::TaskFacts> {
        let ctl = lock(&j.ctl);
        let progress = &ctl.progress;
        let effective = Plane::effective(j, progress);
        let tz = Some(effective.properties.time_zone);
        let timeout_s = (effective.properties.max_batch_interval_secs * 10).max(60);
        let mut tasks = Vec::new();
        for d in &progress.uncommitted {
            for (worker, handle) in &d.txns {
                let txn = crate::sink::doris::Handle::parse(handle).map_or(-1, |h| h.txn_id);
                tasks.push(crate::showjob::TaskFacts {
                    task_id: task_id(j.id, d.generation, d.epoch, *worker),
                    txn_id: txn,
                    txn_status: Some("COMMITTED".into()),
                    job_id: j.id,
                    create_time_ms: d.decided_at_ms,
                    execute_start_ms: Some(d.decided_at_ms),
                    timeout_s,
                    be_id: -1,
                    next_offsets: d.ranges.iter().map(|r| (r.partition, r.end)).collect(),
                    timezone_for_times: tz,
                });
            }
        }
        // A RUNNING job has its tasks whether or not a run is reading right now (one that
        // read its source to the end waits for more, as a Doris task finds no new data).
        let running = ctl.state == Some(JobState::Running);
        let run_workers = ctl
            .run
            .as_ref()
            .map(|r| (r.workers, r.started_ms))
            .or_else(|| {
                running.then(|| {
                    (
                        self.0.workers_for(&effective),
                        progress.first_run_at_ms.unwrap_or(j.meta.created_ms),
                    )
                })
            });
        if let Some((workers, started_ms)) = run_workers {
            let workers = workers.max(1) as i32;
            for w in 0..workers {
                let next: BTreeMap<i32, i64> = progress
                    .next_offsets
                    .iter()
                    .filter(|(p, _)| p.rem_euclid(workers) == w)
                    .map(|(p, o)| (*p, *o))
                    .collect();
                tasks.push(crate::showjob::TaskFacts {
                    task_id: task_id(j.id, progress.generation, progress.next_epoch, w as usize),
                    txn_id: -1,
                    txn_status: None,
                    job_id: j.id,
                    create_time_ms: started_ms,
                    execute_start_ms: Some(started_ms),
                    timeout_s,
                    be_id: -1,
                    next_offsets: next,
                    timezone_for_times: tz,
                });
            }
        }
        tasks
    }
}

/// A task id in Doris's `hi-lo` hex form, derived from the job, run, epoch and worker.
fn task_id(job: u64, generation: u64, epoch: u64, worker: usize) -> String {
    format!(
        "{:016x}-{:016x}",
        (job << 32) ^ generation,
        (epoch << 16) ^ worker as u64
    )
}

/// A job as SHOW shows it.
struct Snapshot {
    id: u64,
    created_ms: i64,
    user: String,
    state: JobState,
    workers: usize,
    reason: String,
    other_msg: String,
    lag: BTreeMap<i32, i64>,
    error_log_urls: Vec<String>,
    broker_list: String,
    stats: crate::showjob::ShowStats,
    partitions: Vec<i32>,
    pause_ms: Option<i64>,
    end_ms: Option<i64>,
    progress: ProgressState,
    effective: RoutineLoadJob,
}

impl Snapshot {
    fn facts(&self) -> crate::showjob::ShowFacts<'_> {
        crate::showjob::ShowFacts {
            id: self.id,
            job: &self.effective,
            create_time_ms: self.created_ms,
            pause_time_ms: self.pause_ms,
            end_time_ms: self.end_ms,
            state: self.state.as_str(),
            current_task_num: if self.state == JobState::Running {
                self.workers
            } else {
                0
            },
            partitions: self.partitions.clone(),
            next_offsets: self.progress.next_offsets.clone(),
            lag: self.lag.clone(),
            stats: self.stats.clone(),
            reason: self.reason.clone(),
            error_log_urls: self.error_log_urls.clone(),
            other_msg: self.other_msg.clone(),
            user: self.user.clone(),
            broker_list: self.broker_list.clone(),
            timezone_for_times: &self.effective.properties.time_zone,
        }
    }
}

impl ControlPlane for Plane {
    fn execute(&self, statement: &str) -> Result<StatementResult, StatementError> {
        let (text, _vertical) = strip_terminator(statement);
        let parsed = parse_statement(text).map_err(|e| user_err(e.to_string()))?;
        let inner = &self.0;
        let user = inner.cfg.user.clone();
        let done = |r: Result<String, StatementError>| r.map(StatementResult::Done);
        match parsed {
            Statement::CreateTable(table) => done(inner.create_table(text, table)),
            Statement::CreateRoutineLoad(job) => done(inner.create_job(text, job)),
            Statement::PauseRoutineLoad { job: Some(name) } => {
                let job = inner.find_named(&name)?;
                done(inner.command(&job, Command::Pause(ErrorReason::manual_pause(&user))))
            }
            Statement::PauseRoutineLoad { job: None } => done(self.each_job(false, |j| {
                inner.command(j, Command::Pause(ErrorReason::manual_pause(&user)))
            })),
            Statement::ResumeRoutineLoad { job: Some(name) } => {
                let job = inner.find_named(&name)?;
                done(inner.command(&job, Command::Resume))
            }
            Statement::ResumeRoutineLoad { job: None } => {
                done(self.each_job(false, |j| inner.command(j, Command::Resume)))
            }
            Statement::StopRoutineLoad { job: name } => {
                let job = inner.find_named(&name)?;
                done(inner.command(&job, Command::Stop(ErrorReason::manual_stop(&user))))
            }
            Statement::AlterRoutineLoad(alter) => {
                let job = inner.find_named(&alter.job)?;
                let state = lock(&job.ctl).state;
                let running = matches!(state, Some(JobState::Running | JobState::NeedSchedule));
                if running && routinely_schemas::live_alterable(&alter) {
                    done(inner.alter_live(&job, text, &alter))
                } else {
                    done(inner.command(&job, Command::Alter(text.to_string())))
                }
            }
            other => self.show(other),
        }
    }

    fn jobs(&self) -> Vec<JobView> {
        let jobs: Vec<Arc<HostedJob>> = lock(&self.0.jobs).values().cloned().collect();
        jobs.iter()
            .map(|j| {
                let urls = self.0.error_log_urls(j);
                let ctl = lock(&j.ctl);
                let t = &ctl.progress.totals;
                JobView {
                    id: j.id,
                    name: j.key.clone(),
                    table: j.table.name.clone(),
                    state: ctl.state.unwrap_or(JobState::NeedSchedule).to_string(),
                    reason: ctl.reason.clone(),
                    progress: ctl.progress.next_offsets.clone(),
                    lag: ctl.lag.clone(),
                    loaded_rows: t.loaded,
                    error_rows: t.filtered,
                    unselected_rows: t.unselected,
                    committed_epochs: ctl.progress.committed_epochs,
                    error_log_urls: urls,
                }
            })
            .collect()
    }

    fn metrics(&self, job: &str) -> Option<Arc<JobMetrics>> {
        self.0.find(job).map(|j| j.metrics.clone())
    }

    fn error_log(&self, file: &str) -> Option<String> {
        let (key, name) = file.split_once('/')?;
        if name.contains('/') || name.contains("..") || !name.starts_with("epoch-") {
            return None;
        }
        let job = self.0.find(key)?;
        fs::read_to_string(job.dir.join("error_log").join(name)).ok()
    }
}
