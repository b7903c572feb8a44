//! The `routinely` command line: a thin shell over the library. Errors in what the user
//! gave (statements, files, options) exit with status 2 and a message naming the problem.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use routinely_pipeline::capture::{self, GenOptions, Pacing};
use routinely_pipeline::messages::{MessagesFormat, read_messages};
use routinely_pipeline::runtime::{self, Cluster, RunConfig, RunReport, SourceSpec};
use routinely_pipeline::sink::SinkSpec;
use routinely_pipeline::summary::JobSummary;
use routinely_pipeline::{control, preview, process, progress, show, topic};
use routinely_pipeline::{endpoint, host, sla};
use routinely_schemas::sql::{Statement, parse_create_table, parse_statement};
use routinely_schemas::{RoutineLoadJob, TableSchema};

/// Doris Routine Load, outside Doris.
#[derive(Parser)]
#[command(name = "routinely", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Shows what a job would load from sample messages, and why any row is filtered.
    Preview(PreviewArgs),
    /// Runs a job: source → row path → sink, exactly once, resumable.
    Run(RunArgs),
    /// Runs a job from a capture with fresh state and reports throughput and latency.
    Bench(BenchArgs),
    /// Writes a synthetic clickstream capture.
    Gen(GenArgs),
    /// Captures offset ranges of a live topic into a capture file, or converts a capture
    /// between the kcat -J and Arrow formats (`capture convert IN OUT`).
    Capture(CaptureArgs),
    /// Writes a capture into a topic, keeping partitions, keys, headers and timestamps.
    Produce(ProduceArgs),
    /// Hosts jobs and accepts statements on a control endpoint (with metrics, SLAs and a
    /// status page).
    Serve(ServeArgs),
    /// Sends a statement to a running `serve` (or `run --endpoint`), or applies PAUSE /
    /// RESUME / STOP / ALTER to a job's state directory with --state.
    Sql(SqlArgs),
    /// Lists a job's decided epochs: offset ranges, labels, row counts, commit times.
    Ledger(LedgerArgs),
    /// Prints a hosted job's latency SLA (P50 / P95 / P99 / max) and lag over a window, and
    /// writes a plot of latency and lag over time.
    Sla(SlaArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// The MySQL client's boxed table.
    Table,
    /// The MySQL client's vertical (\G) form.
    Vertical,
    /// One JSON object: rows, counts and errors.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum InputFormat {
    /// One message per line.
    Lines,
    /// kcat -J envelopes.
    Kcat,
}

#[derive(Args)]
struct PreviewArgs {
    /// File holding the CREATE TABLE statement.
    #[arg(long)]
    table: PathBuf,
    /// File holding the CREATE ROUTINE LOAD statement.
    #[arg(long)]
    job: PathBuf,
    /// Messages: one per line, or a kcat -J capture (detected from the content).
    #[arg(long)]
    messages: PathBuf,
    /// Force the message file's format.
    #[arg(long, value_enum)]
    messages_format: Option<InputFormat>,
    /// How to print the result.
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// How many filtered rows to list in the text forms.
    #[arg(long, default_value_t = 10)]
    max_errors: usize,
}

#[derive(Args, Clone)]
struct JobArgs {
    /// File holding the CREATE TABLE statement.
    #[arg(long)]
    table: PathBuf,
    /// File holding the CREATE ROUTINE LOAD statement.
    #[arg(long)]
    job: PathBuf,
    /// Where to read: kafka (the job's kafka_broker_list), kafka:HOST:PORT,... (other
    /// brokers) or capture:FILE (kcat -J lines or an Arrow capture).
    #[arg(long, default_value = "kafka")]
    source: String,
    /// Replay a capture at its original timestamps times this speed (default: as fast as
    /// possible).
    #[arg(long)]
    speed: Option<f64>,
    /// Timely worker threads per process.
    #[arg(short = 'w', long = "workers", default_value_t = 1)]
    workers: usize,
    /// Number of processes.
    #[arg(short = 'n', long = "processes", default_value_t = 1)]
    processes: usize,
    /// This process's index.
    #[arg(short = 'p', long = "process", default_value_t = 0)]
    process: usize,
    /// File whose lines are the processes' addresses (default 127.0.0.1:2101 + index).
    #[arg(long)]
    hostfile: Option<PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    job: JobArgs,
    /// Where to write: local:DIR (Parquet per committed epoch) or null.
    #[arg(long, default_value = "local:table")]
    sink: String,
    /// The job's state directory (progress store). Default: state/<job name>.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Kafka: end the run by itself once every partition is committed up to `now` (each
    /// partition's high watermark when the run starts), PARTITION:OFFSET,... (exclusive end
    /// offsets) or "yyyy-MM-dd HH:mm:ss" (the job's timezone: messages before it).
    #[arg(long)]
    until: Option<String>,
    /// Print the summary as JSON instead of the SHOW ROUTINE LOAD form.
    #[arg(long)]
    json: bool,
    /// Host the job as `routinely serve` does, with a control endpoint here (HOST:PORT):
    /// statements, metrics, SLAs, the status page. --state is then the host's state root.
    #[arg(long)]
    endpoint: Option<String>,
    /// The endpoint's token (default: the ROUTINELY_TOKEN environment variable).
    #[arg(long)]
    token: Option<String>,
}

#[derive(Args)]
struct BenchArgs {
    #[command(flatten)]
    job: JobArgs,
    /// Where to write: null (default) or local:DIR.
    #[arg(long, default_value = "null")]
    sink: String,
    /// Keep state here (default: a fresh temporary directory, removed afterwards).
    #[arg(long)]
    state: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct GenArgs {
    /// Output capture: `.arrow` for the Arrow capture, anything else kcat -J lines.
    #[arg(long)]
    out: PathBuf,
    /// Number of events.
    #[arg(long, conflicts_with = "bytes")]
    messages: Option<u64>,
    /// Approximate payload bytes (e.g. 64M, 1G).
    #[arg(long)]
    bytes: Option<String>,
    /// Partitions.
    #[arg(long, default_value_t = 4)]
    partitions: u32,
    /// Fraction of events with type drift (0..1).
    #[arg(long, default_value_t = 0.0)]
    drift: f64,
    /// Events per second of event time (spaces the timestamps).
    #[arg(long)]
    rate: Option<f64>,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Topic name recorded in the capture.
    #[arg(long, default_value = "events")]
    topic: String,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
struct CaptureArgs {
    #[command(subcommand)]
    command: Option<CaptureCommand>,
    #[command(flatten)]
    live: LiveCaptureArgs,
}

/// `routinely capture --brokers B --topic T ... --out FILE`.
#[derive(Args)]
struct LiveCaptureArgs {
    /// Bootstrap servers (host:port,...).
    #[arg(long)]
    brokers: Option<String>,
    /// Topic to capture.
    #[arg(long)]
    topic: Option<String>,
    /// Partitions to capture, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    partitions: Option<Vec<i32>>,
    /// Start of each partition's range: beginning (default), end, an offset,
    /// PARTITION:OFFSET,... or "yyyy-MM-dd HH:mm:ss".
    #[arg(long, default_value = "beginning")]
    from: String,
    /// End of each range (exclusive): now (default: the high watermark when the capture
    /// starts), an offset, PARTITION:OFFSET,... or "yyyy-MM-dd HH:mm:ss".
    #[arg(long, default_value = "now")]
    to: String,
    /// Timezone of datetimes in --from / --to.
    #[arg(long, default_value = "UTC")]
    timezone: String,
    /// Output capture: `.arrow` for the Arrow capture, anything else kcat -J lines.
    #[arg(long)]
    out: Option<PathBuf>,
    /// librdkafka property, KEY=VALUE (repeatable): security.protocol, sasl.*, ssl.*, ...
    #[arg(short = 'X', long = "property", value_name = "KEY=VALUE")]
    properties: Vec<String>,
    /// Give up after this many seconds without a message while ranges are unfinished.
    #[arg(long, default_value_t = 60)]
    idle_timeout: u64,
}

#[derive(Args)]
struct SqlArgs {
    /// The statement, e.g. "SHOW ROUTINE LOAD FOR db.job\G" or "PAUSE ROUTINE LOAD FOR
    /// db.job".
    statement: String,
    /// The control endpoint (HOST:PORT) of `routinely serve` or `routinely run --endpoint`.
    #[arg(long, default_value = endpoint::DEFAULT_ENDPOINT)]
    endpoint: String,
    /// The endpoint's token (default: the ROUTINELY_TOKEN environment variable).
    #[arg(long)]
    token: Option<String>,
    /// How to print a result set (default: the boxed table, or the vertical form when the
    /// statement ends with \G).
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// Offline: apply PAUSE / RESUME / STOP / ALTER to this job state directory of
    /// `routinely run` instead of sending the statement to an endpoint.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Offline: file holding the job's CREATE ROUTINE LOAD statement (needed for ALTER).
    #[arg(long)]
    job: Option<PathBuf>,
}

#[derive(Args)]
struct ServeArgs {
    /// Where the host keeps tables, jobs and their progress.
    #[arg(long, default_value = "state")]
    state: PathBuf,
    /// Where jobs load: doris://USER[:PASSWORD]@FE_HOST:HTTP_PORT, local:DIR (a directory
    /// per table under it) or null.
    #[arg(long, default_value = "local:table")]
    sink: String,
    /// Address of the control endpoint. Anything but loopback needs --token.
    #[arg(long, default_value = endpoint::DEFAULT_ENDPOINT)]
    listen: String,
    /// Token every request must carry (default: the ROUTINELY_TOKEN environment variable).
    #[arg(long)]
    token: Option<String>,
    /// CREATE TABLE files to know from the start (repeatable).
    #[arg(long)]
    table: Vec<PathBuf>,
    /// CREATE ROUTINE LOAD files to create unless their job exists (repeatable).
    #[arg(long)]
    job: Vec<PathBuf>,
    /// Read every job from here instead of its Kafka brokers: kafka:HOST:PORT,... or
    /// capture:FILE.
    #[arg(long)]
    source: Option<String>,
    /// Replay a capture at its original timestamps times this speed.
    #[arg(long)]
    speed: Option<f64>,
    /// Most timely workers per job (a job runs min(desired_concurrent_number, this)).
    #[arg(short = 'w', long = "workers")]
    workers: Option<usize>,
}

#[derive(Args)]
struct ProduceArgs {
    /// The capture to produce (either format).
    file: PathBuf,
    /// Bootstrap servers (host:port,...).
    #[arg(long)]
    brokers: String,
    /// Topic to write to; it must have every partition the capture uses.
    #[arg(long)]
    topic: String,
    /// librdkafka property, KEY=VALUE (repeatable).
    #[arg(short = 'X', long = "property", value_name = "KEY=VALUE")]
    properties: Vec<String>,
}

#[derive(Subcommand)]
enum CaptureCommand {
    /// Converts a capture between kcat -J lines and the Arrow capture (by OUT's extension).
    Convert {
        /// Input capture (format recognised from its content).
        input: PathBuf,
        /// Output capture: `.arrow` for Arrow, anything else kcat -J lines.
        output: PathBuf,
    },
}

#[derive(Args)]
struct LedgerArgs {
    /// The job's state directory.
    #[arg(long)]
    state: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Why a command failed: what the user gave is wrong (exit 2), or the run itself failed
/// (a sink or source error during the run: exit 1).
enum CliError {
    User(anyhow::Error),
    Runtime(anyhow::Error),
}

use CliError as UserError;

impl<E: Into<anyhow::Error>> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError::User(e.into())
    }
}

fn run_failure(e: runtime::RunError) -> CliError {
    match e {
        runtime::RunError::Plan(p) => CliError::User(p.into()),
        runtime::RunError::NotRunnable(why) => CliError::User(anyhow::anyhow!("{why}")),
        other => CliError::Runtime(anyhow::anyhow!("{other}")),
    }
}

fn read(p: &Path) -> Result<String, UserError> {
    Ok(std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?)
}

fn run_preview(args: PreviewArgs) -> Result<(), UserError> {
    let table_sql = read(&args.table)?;
    let job_sql = read(&args.job)?;
    let (plan, warnings) = preview::plan(&table_sql, &job_sql)?;
    let forced = args.messages_format.map(|f| match f {
        InputFormat::Lines => MessagesFormat::Lines,
        InputFormat::Kcat => MessagesFormat::Kcat,
    });
    let (_, messages) = read_messages(&args.messages, forced)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let result = preview::preview(plan, warnings, &messages);
    let text = match args.format {
        OutputFormat::Json => format!("{}\n", result.to_json()),
        OutputFormat::Table => format!(
            "{}\n{}",
            show::table(&result.columns, &result.rows),
            result.summary(args.max_errors)
        ),
        OutputFormat::Vertical => format!(
            "{}\n{}",
            show::vertical(&result.columns, &result.rows),
            result.summary(args.max_errors)
        ),
    };
    write_stdout(&text);
    Ok(())
}

/// Parses the table and job statement files.
fn statements(args: &JobArgs) -> Result<(TableSchema, RoutineLoadJob), UserError> {
    let table = parse_create_table(&read(&args.table)?)
        .map_err(|e| anyhow::anyhow!("table {}: {e}", args.table.display()))?;
    let job = match parse_statement(&read(&args.job)?) {
        Ok(Statement::CreateRoutineLoad(job)) => job,
        Ok(_) => {
            return Err(anyhow::anyhow!(
                "job {}: expected a CREATE ROUTINE LOAD statement",
                args.job.display()
            )
            .into());
        }
        Err(e) => return Err(anyhow::anyhow!("job {}: {e}", args.job.display()).into()),
    };
    routinely_schemas::job::validate_against_table(&job, &table)
        .map_err(|e| anyhow::anyhow!("job {}: {e}", args.job.display()))?;
    for w in &table.warnings {
        eprintln!("warning: {w}");
    }
    Ok((table, job))
}

fn cluster(args: &JobArgs) -> Result<Cluster, UserError> {
    let addresses = match &args.hostfile {
        Some(f) => read(f)?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        None => Vec::new(),
    };
    if args.process >= args.processes.max(1) {
        return Err(anyhow::anyhow!(
            "--process {} must be below --processes {}",
            args.process,
            args.processes
        )
        .into());
    }
    if !addresses.is_empty() && addresses.len() < args.processes {
        return Err(anyhow::anyhow!(
            "--hostfile lists {} addresses for {} processes",
            addresses.len(),
            args.processes
        )
        .into());
    }
    Ok(Cluster {
        threads: args.workers.max(1),
        processes: args.processes.max(1),
        process: args.process,
        addresses,
    })
}

fn pacing(args: &JobArgs) -> Result<Pacing, UserError> {
    match args.speed {
        None => Ok(Pacing::AsFastAsPossible),
        Some(speed) if speed > 0.0 && speed.is_finite() => Ok(Pacing::Original { speed }),
        Some(speed) => Err(anyhow::anyhow!("--speed {speed}: expected a positive factor").into()),
    }
}

fn run_job(args: RunArgs) -> Result<(), UserError> {
    if args.endpoint.is_some() {
        return run_hosted(args);
    }
    let (table, job) = statements(&args.job)?;
    let mut source =
        SourceSpec::parse(&args.job.source, pacing(&args.job)?).map_err(anyhow::Error::msg)?;
    if let Some(text) = &args.until {
        let SourceSpec::Kafka { until, .. } = &mut source else {
            return Err(anyhow::anyhow!("--until applies to the kafka source only").into());
        };
        *until = Some(
            routinely_pipeline::kafka::Until::parse(text, &job.properties.time_zone)
                .map_err(anyhow::Error::msg)?,
        );
    }
    let sink = SinkSpec::parse(&args.sink).map_err(anyhow::Error::msg)?;
    let state = args
        .state
        .unwrap_or_else(|| PathBuf::from("state").join(&job.name));
    let stop = process::install();
    let cluster = cluster(&args.job)?;
    let process = cluster.process;
    let config = RunConfig {
        table,
        job: job.clone(),
        source: source.clone(),
        sink,
        state: state.clone(),
        cluster,
        stop,
        hooks: Default::default(),
    };
    let report = runtime::run(config).map_err(run_failure)?;
    if process == 0 {
        let summary = summarize(&job, &source, &state, &report)?;
        let text = if args.json {
            let map: serde_json::Map<String, serde_json::Value> = summary
                .columns()
                .into_iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
                .collect();
            format!("{}\n", serde_json::Value::Object(map))
        } else {
            summary.vertical()
        };
        write_stdout(&text);
    }
    Ok(())
}

/// `routinely run --endpoint`: the job of the command line hosted as `serve` hosts jobs;
/// ends once its source has ended and everything is committed, when the job is STOPPED or
/// CANCELLED, or on Ctrl-C / SIGTERM.
fn run_hosted(args: RunArgs) -> Result<(), UserError> {
    let source =
        SourceSpec::parse(&args.job.source, pacing(&args.job)?).map_err(anyhow::Error::msg)?;
    if args.until.is_some() {
        return Err(anyhow::anyhow!("--until does not apply with --endpoint").into());
    }
    let sink = SinkSpec::parse(&args.sink).map_err(anyhow::Error::msg)?;
    let state = args.state.clone().unwrap_or_else(|| PathBuf::from("state"));
    let mut cfg = host::HostConfig::new(state, sink);
    cfg.source = Some(source);
    cfg.max_workers = args.job.workers.max(1);
    let table_sql = read(&args.job.table)?;
    let job_sql = read(&args.job.job)?;
    let stop = process::install();
    let host = host::Host::start(cfg).map_err(|e| CliError::Runtime(e.into()))?;
    let key = host
        .ensure_job(&table_sql, &job_sql)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let listen = args.endpoint.clone().unwrap_or_default();
    let ep = endpoint::Endpoint::start(&listen, endpoint::token_or_env(args.token), host.plane())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    host.set_base_url(&format!("http://{}", ep.local_addr()));
    eprintln!(
        "routinely: job {key}; control endpoint http://{}",
        ep.local_addr()
    );
    while !stop.load(std::sync::atomic::Ordering::Relaxed)
        && !host.caught_up(&key)
        && !host.state_of(&key).is_some_and(|s| s.is_final())
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let shown = host
        .plane()
        .execute(&format!("SHOW ALL ROUTINE LOAD FOR {key}"));
    host.shutdown();
    ep.shutdown();
    if let Ok(routinely_pipeline::control_api::StatementResult::Rows(rows)) = shown {
        write_stdout(&if args.json {
            format!("{}\n", rows.json())
        } else {
            rows.vertical()
        });
    }
    Ok(())
}

/// `routinely serve`: hosts jobs until Ctrl-C / SIGTERM.
fn run_serve(args: ServeArgs) -> Result<(), UserError> {
    let sink = SinkSpec::parse(&args.sink).map_err(anyhow::Error::msg)?;
    let mut cfg = host::HostConfig::new(args.state.clone(), sink);
    if let Some(text) = &args.source {
        let pacing = match args.speed {
            Some(speed) if speed > 0.0 => Pacing::Original { speed },
            Some(_) => return Err(anyhow::anyhow!("--speed must be positive").into()),
            None => Pacing::AsFastAsPossible,
        };
        cfg.source = Some(SourceSpec::parse(text, pacing).map_err(anyhow::Error::msg)?);
    }
    if let Some(w) = args.workers {
        cfg.max_workers = w.max(1);
    }
    // Statements given as files are read before anything starts.
    let tables: Vec<String> = args
        .table
        .iter()
        .map(|p| read(p))
        .collect::<Result<_, _>>()?;
    let jobs: Vec<String> = args.job.iter().map(|p| read(p)).collect::<Result<_, _>>()?;
    let stop = process::install();
    let host = host::Host::start(cfg).map_err(|e| CliError::Runtime(e.into()))?;
    let plane = host.plane();
    for sql in &tables {
        plane.execute(sql).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    for sql in &jobs {
        match plane.execute(sql) {
            Ok(_) => {}
            Err(e) if e.message.contains("already used") => {}
            Err(e) => return Err(anyhow::anyhow!("{e}").into()),
        }
    }
    let ep = endpoint::Endpoint::start(&args.listen, endpoint::token_or_env(args.token), plane)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    host.set_base_url(&format!("http://{}", ep.local_addr()));
    // The address on stdout, for scripts (and a port 0 chosen by the system).
    write_stdout(&format!(
        "routinely serving on http://{}\n",
        ep.local_addr()
    ));
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("routinely: stopping; decided epochs are committed, the rest aborted");
    host.shutdown();
    ep.shutdown();
    Ok(())
}

fn summarize<'a>(
    job: &'a RoutineLoadJob,
    source: &SourceSpec,
    state: &Path,
    report: &RunReport,
) -> Result<JobSummary<'a>, UserError> {
    let store = progress::ProgressStore::open_read_only(state)
        .map_err(|e| anyhow::anyhow!("progress store: {e}"))?;
    let st = store.state().clone();
    let (lag, shown_source) = match source {
        SourceSpec::Capture { path, .. } => {
            let ends = capture::end_offsets(path).unwrap_or_default();
            let lag = st
                .next_offsets
                .iter()
                .map(|(p, next)| (*p, ends.get(p).map_or(-1, |end| (end - next).max(0))))
                .collect();
            (lag, format!("capture:{}", path.display()))
        }
        SourceSpec::Kafka { brokers, .. } => {
            let brokers = routinely_pipeline::kafka::brokers(job, brokers.as_deref());
            (
                routinely_pipeline::kafka::lag(job, &brokers, &st.next_offsets),
                brokers,
            )
        }
    };
    let (state_name, reason) = if report.stopped {
        (
            "PAUSED",
            "stopped by a signal; run again with the same --state to resume".to_string(),
        )
    } else {
        ("STOPPED", String::new())
    };
    Ok(JobSummary {
        job,
        state: state_name,
        reason,
        next_offsets: st.next_offsets.clone(),
        lag,
        counts: st.totals,
        committed_epochs: st.committed_epochs,
        execute_ms: report.elapsed.as_millis() as u64,
        source: shown_source,
        other: format!(
            "this run: {} epochs committed, {} rows loaded in {:.1}s",
            report.committed.len(),
            report.counts.loaded,
            report.elapsed.as_secs_f64()
        ),
    })
}

fn run_bench(args: BenchArgs) -> Result<(), UserError> {
    let (table, job) = statements(&args.job)?;
    let mut source =
        SourceSpec::parse(&args.job.source, pacing(&args.job)?).map_err(anyhow::Error::msg)?;
    // A Kafka bench reads what the topic holds when it starts.
    if let SourceSpec::Kafka { until, .. } = &mut source {
        *until = Some(routinely_pipeline::kafka::Until::Now);
    }
    let sink = SinkSpec::parse(&args.sink).map_err(anyhow::Error::msg)?;
    let fresh = args.state.is_none();
    let state = args.state.unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "routinely-bench-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ))
    });
    let cluster = cluster(&args.job)?;
    let workers = cluster.threads * cluster.processes;
    let config = RunConfig {
        table,
        job,
        source,
        sink,
        state: state.clone(),
        cluster,
        stop: process::install(),
        hooks: Default::default(),
    };
    let report = runtime::run(config).map_err(run_failure);
    if fresh {
        let _ = std::fs::remove_dir_all(&state);
    }
    let report = report?;
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    let c = report.counts;
    let h = &report.commit_latency_us;
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let stage = |f: fn(&runtime::StageTimes) -> std::time::Duration| {
        report
            .stages
            .iter()
            .map(|s| f(s).as_secs_f64())
            .sum::<f64>()
    };
    let value = serde_json::json!({
        "bytes": c.bytes,
        "messages": c.messages,
        "rows": c.loaded,
        "rows_total": c.total,
        "rows_filtered": c.filtered,
        "rows_unselected": c.unselected,
        "seconds": secs,
        "mb_per_s": c.bytes as f64 / secs / 1e6,
        "rows_per_s": c.loaded as f64 / secs,
        "workers": workers,
        "epochs": report.committed.len(),
        "commit_p50_ms": ms(0.50),
        "commit_p95_ms": ms(0.95),
        "commit_p99_ms": ms(0.99),
        "commit_max_ms": h.max() as f64 / 1000.0,
        "max_epochs_in_flight": report.max_epochs_in_flight,
        "stage_seconds": {
            "source_read": stage(|s| s.read),
            "source_blocked": stage(|s| s.blocked),
            "row_path": stage(|s| s.coerce),
            "sink_stage": stage(|s| s.load),
        },
        "peak_rss_bytes": process::peak_rss_bytes(),
    });
    let text = if args.json {
        format!("{value}\n")
    } else {
        let mut t = String::new();
        t.push_str(&format!(
            "{} bytes, {} messages, {} rows in {:.3} s on {} worker(s)\n",
            c.bytes, c.messages, c.loaded, secs, workers
        ));
        t.push_str(&format!(
            "throughput: {:.1} MB/s, {:.0} rows/s\n",
            c.bytes as f64 / secs / 1e6,
            c.loaded as f64 / secs
        ));
        t.push_str(&format!(
            "time per stage (summed over workers): source read {:.3} s, blocked {:.3} s, row path {:.3} s, sink staging {:.3} s\n",
            stage(|s| s.read),
            stage(|s| s.blocked),
            stage(|s| s.coerce),
            stage(|s| s.load)
        ));
        t.push_str(&format!(
            "epoch commit latency: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms over {} epochs (max {} in flight)\n",
            ms(0.5),
            ms(0.95),
            ms(0.99),
            report.committed.len(),
            report.max_epochs_in_flight
        ));
        if let Some(rss) = process::peak_rss_bytes() {
            t.push_str(&format!(
                "peak RSS: {:.1} MiB\n",
                rss as f64 / (1 << 20) as f64
            ));
        }
        t
    };
    write_stdout(&text);
    Ok(())
}

fn run_gen(args: GenArgs) -> Result<(), UserError> {
    let bytes = match &args.bytes {
        Some(b) => Some(
            capture::parse_size(b)
                .ok_or_else(|| anyhow::anyhow!("--bytes {b}: expected a size like 64M or 1G"))?,
        ),
        None => None,
    };
    if args.messages.is_none() && bytes.is_none() {
        return Err(anyhow::anyhow!("give --messages N or --bytes SIZE").into());
    }
    if !(0.0..=1.0).contains(&args.drift) {
        return Err(anyhow::anyhow!("--drift must be between 0 and 1").into());
    }
    if args.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        return Err(
            anyhow::anyhow!("--rate must be a positive number of events per second").into(),
        );
    }
    let stats = capture::generate(
        GenOptions {
            messages: args.messages,
            bytes,
            partitions: args.partitions.max(1),
            drift: args.drift,
            rate: args.rate,
            seed: args.seed,
            topic: args.topic,
        },
        &args.out,
    )?;
    eprintln!("{stats}");
    Ok(())
}

fn run_capture(args: CaptureArgs) -> Result<(), UserError> {
    match args.command {
        Some(CaptureCommand::Convert { input, output }) => {
            let stats = capture::convert(&input, &output)?;
            eprintln!("{stats}");
        }
        None => {
            let live = args.live;
            let missing = |what: &str| {
                anyhow::anyhow!("capture: {what} is required (or use `capture convert IN OUT`)")
            };
            let brokers = live.brokers.ok_or_else(|| missing("--brokers"))?;
            let topic = live.topic.ok_or_else(|| missing("--topic"))?;
            let out = live.out.ok_or_else(|| missing("--out"))?;
            let (tz, _) = routinely_schemas::TimeZone::parse_property(&live.timezone)
                .map_err(|e| anyhow::anyhow!("--timezone: {e}"))?;
            let opts = topic::CaptureTopicOptions {
                brokers,
                topic,
                partitions: live.partitions,
                from: topic::Position::parse(&live.from, &tz)
                    .map_err(|e| anyhow::anyhow!("--from: {e}"))?,
                to: topic::Position::parse(&live.to, &tz)
                    .map_err(|e| anyhow::anyhow!("--to: {e}"))?,
                format: capture::CaptureFormat::from_extension(&out),
                out,
                properties: key_values(&live.properties)?,
                idle_timeout: Duration::from_secs(live.idle_timeout.max(1)),
            };
            let result = topic::capture_topic(&opts).map_err(|e| CliError::Runtime(e.into()))?;
            for r in &result.ranges {
                eprintln!("partition {}  [{}, {})", r.partition, r.start, r.end);
            }
            eprintln!("{}", result.stats);
        }
    }
    Ok(())
}

fn run_sql(args: SqlArgs) -> Result<(), UserError> {
    let Some(state) = &args.state else {
        return run_sql_remote(args);
    };
    let job = match &args.job {
        None => None,
        Some(path) => match parse_statement(&read(path)?) {
            Ok(Statement::CreateRoutineLoad(job)) => Some(job),
            Ok(_) => {
                return Err(anyhow::anyhow!(
                    "job {}: expected a CREATE ROUTINE LOAD statement",
                    path.display()
                )
                .into());
            }
            Err(e) => return Err(anyhow::anyhow!("job {}: {e}", path.display()).into()),
        },
    };
    let done = control::execute(state, &args.statement, job.as_ref())?;
    eprintln!("{done}");
    Ok(())
}

/// `routinely sql` against an endpoint: prints a result set as the MySQL client does (or
/// JSON), a statement's outcome as a line.
fn run_sql_remote(args: SqlArgs) -> Result<(), UserError> {
    let (_, vertical) = host::strip_terminator(&args.statement);
    let token = endpoint::token_or_env(args.token);
    let (status, body) = endpoint::call(
        &args.endpoint,
        "POST",
        "/api/sql",
        Some(&args.statement),
        token.as_deref(),
    )
    .map_err(|e| CliError::Runtime(e.into()))?;
    match status {
        200 => {}
        400..=499 => return Err(anyhow::anyhow!("{}", endpoint::error_message(&body)).into()),
        _ => {
            return Err(CliError::Runtime(anyhow::anyhow!(
                "{}",
                endpoint::error_message(&body)
            )));
        }
    }
    let v: serde_json::Value = serde_json::from_str(&body)
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("unexpected answer: {e}")))?;
    if v["kind"] == "rows" {
        let rows: show::ResultSet = serde_json::from_value(serde_json::json!({
            "columns": v["columns"], "rows": v["rows"]
        }))
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("unexpected answer: {e}")))?;
        let text = match args.format {
            Some(OutputFormat::Json) => format!("{}\n", rows.json()),
            Some(OutputFormat::Vertical) => rows.vertical(),
            Some(OutputFormat::Table) => rows.table(),
            None if vertical => rows.vertical(),
            None => rows.table(),
        };
        write_stdout(&text);
    } else {
        let message = v["message"].as_str().unwrap_or_default();
        match args.format {
            Some(OutputFormat::Json) => write_stdout(&format!("{v}\n")),
            _ => write_stdout(&format!("{message}\n")),
        }
    }
    Ok(())
}

fn run_produce(args: ProduceArgs) -> Result<(), UserError> {
    let opts = topic::ProduceOptions {
        brokers: args.brokers,
        topic: args.topic,
        properties: key_values(&args.properties)?,
        flush_timeout: Duration::from_secs(60),
    };
    let stats = topic::produce(&args.file, &opts).map_err(|e| match e {
        topic::TopicError::Capture(_) | topic::TopicError::Missing { .. } => {
            CliError::User(e.into())
        }
        other => CliError::Runtime(other.into()),
    })?;
    eprintln!(
        "produced {} messages ({} value bytes) to `{}`",
        stats.messages, stats.value_bytes, opts.topic
    );
    Ok(())
}

/// `KEY=VALUE` options.
fn key_values(items: &[String]) -> Result<Vec<(String, String)>, UserError> {
    items
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| anyhow::anyhow!("-X {kv}: expected KEY=VALUE").into())
        })
        .collect()
}

fn run_ledger(args: LedgerArgs) -> Result<(), UserError> {
    let ledger = progress::ledger(&args.state)?;
    if args.json {
        write_stdout(&format!("{}\n", ledger.to_json()));
    } else {
        write_stdout(&ledger.to_string());
    }
    Ok(())
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
#[derive(Args)]
struct SlaArgs {
    /// The job (`name` or `db.name`).
    job: String,
    /// The control endpoint of `routinely serve` (HOST:PORT).
    #[arg(long, default_value = endpoint::DEFAULT_ENDPOINT)]
    endpoint: String,
    /// The endpoint's token (default: the ROUTINELY_TOKEN environment variable).
    #[arg(long)]
    token: Option<String>,
    /// The window, ending now: seconds (900, 900s), minutes, hours or days (15m, 1h, 1d).
    #[arg(long, default_value = "15m")]
    window: String,
    /// Also write the plot of latency and lag over the window to this SVG file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// `routinely sla`: the report from the endpoint's `/api/jobs/{job}/sla`, and the plot from
/// its `plot.svg`.
fn run_sla(args: SlaArgs) -> Result<(), UserError> {
    let window = sla::parse_window(&args.window)?;
    let token = endpoint::token_or_env(args.token);
    let get = |what: &str| -> Result<String, CliError> {
        let path = format!(
            "/api/jobs/{}/{what}?window={window}",
            endpoint::percent_encode(&args.job)
        );
        let (status, body) = endpoint::call(&args.endpoint, "GET", &path, None, token.as_deref())
            .map_err(|e| CliError::Runtime(e.into()))?;
        match status {
            200 => Ok(body),
            400..=499 => Err(anyhow::anyhow!("{}", endpoint::error_message(&body)).into()),
            _ => Err(CliError::Runtime(anyhow::anyhow!(
                "control endpoint: {}",
                endpoint::error_message(&body)
            ))),
        }
    };
    let body = get("sla")?;
    let report: sla::SlaReport = serde_json::from_str(&body)
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("unexpected SLA report: {e}")))?;
    if args.json {
        write_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?));
    } else {
        write_stdout(&report.to_string());
    }
    if let Some(path) = &args.plot {
        let svg = get("plot.svg")?;
        std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote the plot to {}", path.display());
    }
    Ok(())
}

fn write_stdout(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn main() -> ExitCode {
    process::tune_allocator();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Preview(args) => run_preview(args),
        Command::Run(args) => run_job(args),
        Command::Bench(args) => run_bench(args),
        Command::Gen(args) => run_gen(args),
        Command::Capture(args) => run_capture(args),
        Command::Produce(args) => run_produce(args),
        Command::Sql(args) => run_sql(args),
        Command::Ledger(args) => run_ledger(args),
        Command::Sla(args) => run_sla(args),
        Command::Serve(args) => run_serve(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::User(e)) => {
            eprintln!("routinely: {e:#}");
            ExitCode::from(2)
        }
        Err(CliError::Runtime(e)) => {
            eprintln!("routinely: {e:#}");
            ExitCode::from(1)
        }
    }
}
