//! `routinely run` and `routinely bench` end to end through the binary: a generated capture
//! replayed into the local table sink exactly once, whatever happens to the process (kill -9
//! at random moments, SIGTERM), on 1, 2 and 4 workers and on 2 processes; a sink far slower
//! than the source keeps at most K epochs in flight; a second run over committed state does
//! nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use routinely_operators::row::datum::rows_as_text;
use routinely_pipeline::capture;
use routinely_pipeline::progress::{self, Ledger};
use routinely_pipeline::sink::local::LocalTable;
use routinely_schemas::TableSchema;
use routinely_schemas::sql::parse_create_table;

mod common;

use common::{BIN, Lcg, kill_after};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn scratch(name: &str) -> PathBuf {
    common::scratch("run", name)
}

/// The seed's rt_events table and a job over it (epochs of at most one second).
fn job_files(dir: &Path, extra: &str) -> (PathBuf, PathBuf) {
    let table = samples().join("rt_events.table.sql");
    let job = dir.join("job.sql");
    std::fs::write(
        &job,
        format!(
            r#"CREATE ROUTINE LOAD app.rt_events_rl ON rt_events
PROPERTIES (
  "max_batch_interval" = "1", "format" = "json",
  "jsonpaths" = "[\"$.event_time\",\"$.user_id\",\"$.action\",\"$\"]",
  "strict_mode" = "true", "timezone" = "UTC", "max_error_number" = "100000000" {extra}
)
FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "events",
            "property.kafka_default_offsets" = "OFFSET_BEGINNING");"#
        ),
    )
    .expect("job file");
    (table, job)
}

fn table_schema() -> TableSchema {
    let sql = std::fs::read_to_string(samples().join("rt_events.table.sql")).expect("table sql");
    parse_create_table(&sql).expect("table")
}

/// Generates a capture with the binary.
fn generate(out: &Path, messages: u64, partitions: u32, rate: u64, drift: f64) {
    let status = Command::new(BIN)
        .args(["gen", "--out"])
        .arg(out)
        .args([
            "--messages",
            &messages.to_string(),
            "--partitions",
            &partitions.to_string(),
            "--rate",
            &rate.to_string(),
            "--drift",
            &drift.to_string(),
            "--seed",
            "7",
        ])
        .status()
        .expect("gen");
    assert!(status.success());
}

fn run_cmd(table: &Path, job: &Path, capture: &Path, sink: &Path, state: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("run")
        .arg("--table")
        .arg(table)
        .arg("--job")
        .arg(job)
        .arg("--source")
        .arg(format!("capture:{}", capture.display()))
        .arg("--sink")
        .arg(format!("local:{}", sink.display()))
        .arg("--state")
        .arg(state);
    c
}

fn output_ok(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "status {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The table's rows as text, sorted (a multiset).
fn rows(sink: &Path) -> Vec<Vec<Option<String>>> {
    let batches = LocalTable::read_table(sink).expect("read table");
    let mut rows = rows_as_text(&batches, &table_schema());
    rows.sort();
    rows
}

/// The ledger tiles every partition from its first offset to the capture's end.
fn assert_ledger_complete(state: &Path, capture: &Path) -> Ledger {
    let ledger = progress::ledger(state).expect("ledger");
    ledger.verify_tiling().expect("ranges tile");
    let ends = capture::end_offsets(capture).expect("end offsets");
    let mut covered: BTreeMap<i32, (i64, i64)> = BTreeMap::new();
    for e in &ledger.entries {
        assert!(
            e.committed_at_ms.is_some(),
            "epoch {} not committed",
            e.decision.epoch
        );
        for r in &e.decision.ranges {
            let c = covered.entry(r.partition).or_insert((r.start, r.end));
            c.0 = c.0.min(r.start);
            c.1 = c.1.max(r.end);
        }
    }
    for (p, end) in &ends {
        assert_eq!(covered.get(p), Some(&(0, *end)), "partition {p}");
    }
    ledger
}

/// The baseline: one clean run into its own table.
fn clean_run(dir: &Path, capture: &Path, table: &Path, job: &Path) -> Vec<Vec<Option<String>>> {
    let sink = dir.join("clean-table");
    let state = dir.join("clean-state");
    output_ok(
        run_cmd(table, job, capture, &sink, &state)
            .output()
            .expect("clean run"),
    );
    assert_ledger_complete(&state, capture);
    rows(&sink)
}

/// kill -9 at random moments, restarting each time: the final table equals a clean run's, as a
/// multiset, and the ledger tiles every partition with no gap and no overlap.
#[test]
fn kill_nine_at_random_moments_loses_and_repeats_nothing() {
    let dir = scratch("kill9");
    let iterations: u64 = std::env::var("ROUTINELY_KILL_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let capture = dir.join("events.arrow");
    // 12 000 events spread over about 0.4 s of event time per iteration, replayed at their
    // original pace: the kills (every 30 to 430 ms) land while reading, staging, deciding
    // and committing the many small epochs, and the capture outlasts the loop.
    let rate = (12_000 * 1000 / (iterations * 400)).max(50);
    generate(&capture, 12_000, 4, rate, 0.05);
    let (table, job) = job_files(&dir, "");
    let clean = clean_run(&dir, &capture, &table, &job);
    assert!(clean.len() > 10_000);

    let sink = dir.join("table");
    let state = dir.join("state");
    let mut rng = Lcg(0x5eed);
    let mut kills = 0;
    for _ in 0..iterations {
        let child = run_cmd(&table, &job, &capture, &sink, &state)
            .arg("--speed")
            .arg("1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn run");
        if kill_after(child, Duration::from_millis(30 + rng.next(400))) {
            kills += 1;
        }
    }
    assert!(
        kills * 4 >= iterations * 3,
        "only {kills} of {iterations} runs were killed"
    );
    // The last run finishes the capture.
    output_ok(
        run_cmd(&table, &job, &capture, &sink, &state)
            .output()
            .expect("final run"),
    );
    let ledger = assert_ledger_complete(&state, &capture);
    eprintln!(
        "{kills} of {iterations} runs killed; {} epochs over {} runs",
        ledger.entries.len(),
        ledger.runs.len()
    );
    assert!(ledger.entries.len() > 5, "{} epochs", ledger.entries.len());
    assert_eq!(rows(&sink), clean);
    // No staged leftovers of aborted epochs stay behind.
    let staging = sink.join("_staging");
    let left = std::fs::read_dir(&staging).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "staging not cleaned");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The same capture through 1, 2 and 4 workers and through 2 processes: identical tables,
/// identical filtered rows.
#[test]
fn workers_and_processes_give_identical_tables() {
    let dir = scratch("workers");
    let capture = dir.join("events.json");
    generate(&capture, 6_000, 5, 1_000_000, 0.1);
    let (table, job) = job_files(&dir, "");
    let clean = clean_run(&dir, &capture, &table, &job);
    let clean_rejected = {
        let mut r: Vec<(i32, i64, String)> = LocalTable::rejected(dir.join("clean-table"))
            .expect("rejected")
            .into_iter()
            .map(|r| (r.partition, r.offset, r.reason))
            .collect();
        r.sort();
        r
    };
    assert!(
        !clean_rejected.is_empty(),
        "drift should filter rows in strict mode"
    );
    let check = |sink: &Path, state: &Path| {
        assert_ledger_complete(state, &capture);
        assert_eq!(rows(sink), clean);
        let mut r: Vec<(i32, i64, String)> = LocalTable::rejected(sink)
            .expect("rejected")
            .into_iter()
            .map(|r| (r.partition, r.offset, r.reason))
            .collect();
        r.sort();
        assert_eq!(r, clean_rejected);
    };
    for workers in [2, 4] {
        let sink = dir.join(format!("table-w{workers}"));
        let state = dir.join(format!("state-w{workers}"));
        output_ok(
            run_cmd(&table, &job, &capture, &sink, &state)
                .args(["-w", &workers.to_string()])
                .output()
                .expect("run"),
        );
        check(&sink, &state);
    }

    // Two processes of two workers each on 127.0.0.1.
    let hosts = dir.join("hosts");
    std::fs::write(
        &hosts,
        format!("127.0.0.1:{}\n127.0.0.1:{}\n", free_port(), free_port()),
    )
    .expect("hostfile");
    let sink = dir.join("table-n2");
    let state = dir.join("state-n2");
    let spawn = |process: usize| {
        run_cmd(&table, &job, &capture, &sink, &state)
            .args(["-w", "2", "-n", "2", "-p", &process.to_string()])
            .arg("--hostfile")
            .arg(&hosts)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn process")
    };
    let p1 = spawn(1);
    let p0 = spawn(0);
    let out0 = p0.wait_with_output().expect("process 0");
    let out1 = p1.wait_with_output().expect("process 1");
    let summary = output_ok(out0);
    output_ok(out1);
    assert!(summary.contains("State: STOPPED"), "{summary}");
    check(&sink, &state);
}

/// A run over fully committed state resumes and does nothing more.
#[test]
fn a_second_run_resumes_and_does_nothing() {
    let dir = scratch("resume");
    let capture = dir.join("events.arrow");
    generate(&capture, 3_000, 3, 1_000_000, 0.0);
    let (table, job) = job_files(&dir, "");
    let sink = dir.join("table");
    let state = dir.join("state");
    let first = output_ok(
        run_cmd(&table, &job, &capture, &sink, &state)
            .output()
            .expect("first run"),
    );
    assert!(first.contains("\"loadedRows\":3000"), "{first}");
    let before = progress::ledger(&state).expect("ledger").entries.len();
    let table_before = rows(&sink);
    let second = output_ok(
        run_cmd(&table, &job, &capture, &sink, &state)
            .output()
            .expect("second run"),
    );
    assert!(second.contains("this run: 0 epochs committed"), "{second}");
    assert!(second.contains("\"loadedRows\":3000"), "{second}");
    assert_eq!(
        progress::ledger(&state).expect("ledger").entries.len(),
        before
    );
    assert_eq!(rows(&sink), table_before);

    // `routinely ledger` shows the same epochs.
    let out = output_ok(
        Command::new(BIN)
            .args(["ledger", "--json", "--state"])
            .arg(&state)
            .output()
            .expect("ledger"),
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("ledger json");
    let entries = v
        .get("epochs")
        .or_else(|| v.get("entries"))
        .and_then(|e| e.as_array())
        .map_or(0, Vec::len);
    assert_eq!(entries, before, "{out}");
}

/// SIGTERM: the open epochs are finished, nothing is half committed, and the job resumes.
#[test]
fn sigterm_stops_cleanly_and_the_job_resumes() {
    let dir = scratch("sigterm");
    let capture = dir.join("events.arrow");
    // 4 seconds of event time at the original pace.
    generate(&capture, 8_000, 2, 2_000, 0.0);
    let (table, job) = job_files(&dir, "");
    let sink = dir.join("table");
    let state = dir.join("state");
    let child = run_cmd(&table, &job, &capture, &sink, &state)
        .arg("--speed")
        .arg("1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(1200));
    // SAFETY: sending a signal to our own child.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let started = Instant::now();
    let out = child.wait_with_output().expect("wait");
    assert!(started.elapsed() < Duration::from_secs(3), "slow to stop");
    let summary = output_ok(out);
    assert!(summary.contains("State: PAUSED"), "{summary}");
    let ledger = progress::ledger(&state).expect("ledger");
    ledger.verify_tiling().expect("tiling");
    assert!(
        ledger.entries.iter().all(|e| e.committed_at_ms.is_some()),
        "an epoch was left decided but uncommitted"
    );
    let loaded: u64 = ledger
        .entries
        .iter()
        .map(|e| e.decision.counts.loaded)
        .sum();
    assert!(loaded > 0 && loaded < 8_000, "stopped part-way: {loaded}");
    assert_eq!(rows(&sink).len() as u64, loaded);
    assert_eq!(
        std::fs::read_dir(sink.join("_staging"))
            .map(|d| d.count())
            .unwrap_or(0),
        0
    );
    output_ok(
        run_cmd(&table, &job, &capture, &sink, &state)
            .output()
            .expect("resume"),
    );
    assert_ledger_complete(&state, &capture);
    assert_eq!(rows(&sink).len(), 8_000);
}

/// A sink ten times slower than the source: in-flight epochs never exceed K, every row still
/// arrives, and the bench reports peak RSS.
#[test]
fn a_slow_sink_keeps_epochs_in_flight_bounded() {
    let dir = scratch("slow");
    let capture = dir.join("events.arrow");
    generate(&capture, 20_000, 4, 20_000, 0.0);
    let (table, job) = job_files(&dir, r#", "max_inflight_epochs" = "2""#);
    let bench = |sink: &str, extra: &[&str]| -> serde_json::Value {
        let out = output_ok(
            Command::new(BIN)
                .arg("bench")
                .arg("--table")
                .arg(&table)
                .arg("--job")
                .arg(&job)
                .arg("--source")
                .arg(format!("capture:{}", capture.display()))
                .args(["--sink", sink, "--json"])
                .args(extra)
                .output()
                .expect("bench"),
        );
        serde_json::from_str(out.trim()).expect("bench json")
    };
    let fast = bench("null", &["--speed", "4"]);
    let f = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"));
    // The source replays 20 000 events over 1 s of event time at 4x. The sink below takes
    // rows at a tenth of the pace the fast run reached.
    let per_s = f(&fast, "rows") / f(&fast, "seconds");
    let slow = bench(
        &format!("null:{}", (per_s / 10.0).max(1.0)),
        &["--speed", "4"],
    );
    assert_eq!(f(&slow, "rows"), 20_000.0);
    assert!(
        f(&slow, "seconds") > 5.0 * f(&fast, "seconds"),
        "{slow} vs {fast}"
    );
    assert!(f(&slow, "max_epochs_in_flight") <= 2.0, "{slow}");
    assert!(f(&slow, "max_epochs_in_flight") >= 1.0, "{slow}");
    let rss = f(&slow, "peak_rss_bytes");
    assert!(rss > 0.0);
    // Bounded: no more than the fast run's peak plus a little slack.
    assert!(
        rss < f(&fast, "peak_rss_bytes") * 1.5 + 64e6,
        "{slow} vs {fast}"
    );
}
