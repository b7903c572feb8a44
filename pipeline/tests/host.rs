//! The job host through its control plane (the statements `routinely serve` accepts), on
//! paced captures into the local table sink: Doris's state transitions and STOP's finality,
//! a quality gate pausing the job after the epoch whose rows exceed `max_error_number` and
//! RESUME going on from the last commit, auto-resume with Doris's backoff, and a live ALTER
//! of the batch and concurrency knobs taking effect from the next epoch, each time with
//! every row loaded exactly once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use routinely_operators::row::datum::rows_as_text;
use routinely_pipeline::capture::Pacing;
use routinely_pipeline::control_api::{ControlPlane, StatementResult};
use routinely_pipeline::host::{Host, HostConfig};
use routinely_pipeline::jobstate::JobState;
use routinely_pipeline::progress;
use routinely_pipeline::runtime::SourceSpec;
use routinely_pipeline::sink::SinkSpec;
use routinely_pipeline::sink::local::LocalTable;
use routinely_schemas::sql::parse_create_table;

mod common;

const TABLE: &str = "CREATE TABLE t (id BIGINT NOT NULL, v INT) DUPLICATE KEY(id) \
                     DISTRIBUTED BY HASH(id) BUCKETS 1";

/// A kcat -J capture on partition 0: `bursts` bursts of `per` messages, `gap_ms` apart in
/// event time; the message at each offset in `bad` has a `v` strict mode rejects.
fn capture(path: &Path, bursts: u64, per: u64, gap_ms: i64, bad: &[u64]) {
    let mut out = String::new();
    for b in 0..bursts {
        for i in 0..per {
            let offset = b * per + i;
            let v = if bad.contains(&offset) {
                "\"not a number\"".to_string()
            } else {
                offset.to_string()
            };
            let payload = format!("{{\"id\": {offset}, \"v\": {v}}}");
            let envelope = serde_json::json!({
                "topic": "t", "partition": 0, "offset": offset, "tstype": "create",
                "ts": 1_700_000_000_000i64 + b as i64 * gap_ms, "broker": 0, "key": null,
                "payload": payload,
            });
            out.push_str(&envelope.to_string());
            out.push('\n');
        }
    }
    std::fs::write(path, out).expect("capture");
}

fn job_sql(name: &str, extra: &str) -> String {
    format!(
        r#"CREATE ROUTINE LOAD db1.{name} ON t
PROPERTIES ("format" = "json", "strict_mode" = "true", "max_batch_interval" = "5",
            "max_inflight_epochs" = "1" {extra})
FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t",
            "property.kafka_default_offsets" = "OFFSET_BEGINNING");"#
    )
}

struct Fixture {
    dir: PathBuf,
    host: Host,
    plane: Arc<dyn ControlPlane>,
}

fn fixture(name: &str, capture_path: &Path, speed: Option<f64>, base_ms: u64) -> Fixture {
    let dir = common::scratch("host", name);
    let host = start_host(&dir, capture_path, speed, base_ms);
    let plane = host.plane();
    Fixture { dir, host, plane }
}

fn start_host(dir: &Path, capture_path: &Path, speed: Option<f64>, base_ms: u64) -> Host {
    let mut cfg = HostConfig::new(dir.join("state"), SinkSpec::Local(dir.join("table")));
    cfg.source = Some(SourceSpec::Capture {
        path: capture_path.to_path_buf(),
        pacing: speed.map_or(Pacing::AsFastAsPossible, |speed| Pacing::Original { speed }),
    });
    cfg.max_workers = 4;
    cfg.auto_resume_base = Duration::from_millis(base_ms);
    cfg.lag_interval = Duration::from_millis(200);
    cfg.idle_rerun = Duration::from_millis(200);
    Host::start(cfg).expect("host")
}

fn exec(plane: &Arc<dyn ControlPlane>, sql: &str) -> String {
    match plane.execute(sql) {
        Ok(StatementResult::Done(m)) => m,
        Ok(StatementResult::Rows(r)) => r.vertical(),
        Err(e) => panic!("`{sql}` failed: {e}"),
    }
}

fn exec_err(plane: &Arc<dyn ControlPlane>, sql: &str) -> String {
    match plane.execute(sql) {
        Ok(r) => panic!("`{sql}` should fail, gave {r:?}"),
        Err(e) => e.message,
    }
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn view(plane: &Arc<dyn ControlPlane>, key: &str) -> routinely_pipeline::control_api::JobView {
    plane
        .jobs()
        .into_iter()
        .find(|j| j.name == key)
        .expect("job listed")
}

/// The ids in the table, each checked to appear once.
fn table_ids(dir: &Path) -> BTreeSet<i64> {
    let table = parse_create_table(TABLE).expect("table");
    let sink = dir.join("table").join("t");
    if !sink.exists() {
        return BTreeSet::new();
    }
    let batches = LocalTable::read_table(&sink).expect("read table");
    let mut ids = BTreeSet::new();
    for row in rows_as_text(&batches, &table) {
        let id: i64 = row[0].as_deref().expect("id").parse().expect("number");
        assert!(ids.insert(id), "id {id} loaded twice");
    }
    ids
}

fn next_offset(dir: &Path, key: &str) -> i64 {
    let Ok(store) =
        progress::ProgressStore::open_read_only(dir.join("state").join("jobs").join(key))
    else {
        return 0;
    };
    store.state().next_offsets.get(&0).copied().unwrap_or(0)
}

// doris-spec.md §2.4 (RoutineLoadJob.updateNumOfData): the job pauses after the committed task
// whose error rows exceed max_error_number, with code 102; the offending task stays committed;
// RESUME resets errorRowsAfterResumed and goes on from the next offset.
#[test]
fn a_quality_gate_pauses_after_the_offending_epoch_and_resume_goes_on() {
    let dir = common::scratch("host", "gate-data");
    let cap = dir.join("gate.jsonl");
    // Ten bursts of ten messages 400 ms apart: one epoch per burst. One bad row in each of
    // bursts 0, 1, 2 (the third exceeds max_error_number = 2) and 4, 5, 6.
    let bad = [3, 14, 25, 41, 52, 67];
    capture(&cap, 10, 10, 400, &bad);
    let f = fixture("gate", &cap, Some(1.0), 60_000);
    exec(&f.plane, TABLE);
    exec(&f.plane, &job_sql("gate", r#", "max_error_number" = "2""#));
    let key = "db1.gate";
    wait_for("the gate to pause the job", Duration::from_secs(30), || {
        f.host.state_of(key) == Some(JobState::Paused)
    });
    let v = view(&f.plane, key);
    assert!(
        v.reason.contains("errCode = 102")
            && v.reason
                .contains("current error rows is more than max_error_number"),
        "{}",
        v.reason
    );
    // Paused right after the epoch holding offset 25 (burst 2): offsets 0..30 committed.
    assert_eq!(next_offset(&f.dir, key), 30);
    let expected_first: BTreeSet<i64> = (0..30).filter(|o| !bad.contains(&(*o as u64))).collect();
    assert_eq!(table_ids(&f.dir), expected_first);
    assert_eq!(v.error_rows, 3);
    assert!(
        !v.error_log_urls.is_empty(),
        "an error log URL per epoch with errors"
    );
    let file = v.error_log_urls[0]
        .split("file=")
        .nth(1)
        .expect("file=")
        .to_string();
    let log = f.plane.error_log(&file).expect("error log served");
    assert!(
        log.contains("Reason: ") && log.contains("not a number"),
        "{log}"
    );
    // Code 102 is not auto-resumed.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(f.host.state_of(key), Some(JobState::Paused));

    exec(&f.plane, "RESUME ROUTINE LOAD FOR db1.gate");
    // Bursts 4, 5, 6 bring three more errors: paused again after offset 67's epoch.
    wait_for("the second pause", Duration::from_secs(30), || {
        next_offset(&f.dir, key) >= 70 && f.host.state_of(key) == Some(JobState::Paused)
    });
    assert_eq!(next_offset(&f.dir, key), 70);
    // Raise the limit while paused, resume, and everything else loads.
    exec(
        &f.plane,
        r#"ALTER ROUTINE LOAD FOR db1.gate PROPERTIES ("max_error_number" = "100")"#,
    );
    exec(&f.plane, "RESUME ROUTINE LOAD FOR db1.gate;");
    wait_for("the rest to load", Duration::from_secs(30), || {
        next_offset(&f.dir, key) == 100
    });
    let expected: BTreeSet<i64> = (0..100).filter(|o| !bad.contains(&(*o as u64))).collect();
    assert_eq!(table_ids(&f.dir), expected);
    assert_eq!(f.host.state_of(key), Some(JobState::Running));
    let ledger = progress::ledger(f.dir.join("state").join("jobs").join(key)).expect("ledger");
    ledger.verify_tiling().expect("ranges tile");
}

// doris-spec.md §2.1–2.2: PAUSE, RESUME, STOP and their refusals; STOP is final, also after
// the host restarts.
#[test]
fn every_state_transition_and_stop_is_final() {
    let dir = common::scratch("host", "states-data");
    let cap = dir.join("states.jsonl");
    // 40 bursts of 5 messages 150 ms apart: about 6 s of data at speed 1.
    capture(&cap, 40, 5, 150, &[]);
    let f = fixture("states", &cap, Some(1.0), 60_000);
    exec(&f.plane, TABLE);
    // An unknown job, an unknown table.
    assert!(exec_err(&f.plane, "PAUSE ROUTINE LOAD FOR db1.nope").contains("nope"));
    assert!(
        exec_err(
            &f.plane,
            &job_sql("x", "").replace(" ON t", " ON missing_table")
        )
        .contains("missing_table")
    );
    exec(&f.plane, &job_sql("life", ""));
    let key = "db1.life";
    assert!(exec_err(&f.plane, &job_sql("life", "")).contains("already used"));
    wait_for("RUNNING", Duration::from_secs(10), || {
        f.host.state_of(key) == Some(JobState::Running)
    });
    wait_for("some rows", Duration::from_secs(10), || {
        next_offset(&f.dir, key) > 0
    });
    exec(&f.plane, "PAUSE ROUTINE LOAD FOR db1.life");
    assert_eq!(f.host.state_of(key), Some(JobState::Paused));
    let v = view(&f.plane, key);
    assert!(
        v.reason.contains("errCode = 100") && v.reason.contains("pauses routine load job"),
        "{}",
        v.reason
    );
    let paused_at = next_offset(&f.dir, key);
    assert_eq!(
        exec_err(&f.plane, "PAUSE ROUTINE LOAD FOR db1.life"),
        "Could not transform PAUSED to PAUSED"
    );
    // A user's pause is not auto-resumed; nothing moves while paused.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(next_offset(&f.dir, key), paused_at);
    assert_eq!(f.host.state_of(key), Some(JobState::Paused));
    // ALTER of a property only a PAUSED job takes, then RESUME: NEED_SCHEDULE → RUNNING.
    exec(
        &f.plane,
        r#"ALTER ROUTINE LOAD FOR db1.life PROPERTIES ("max_error_number" = "5")"#,
    );
    exec(&f.plane, "RESUME ROUTINE LOAD FOR life");
    wait_for("RUNNING again", Duration::from_secs(10), || {
        f.host.state_of(key) == Some(JobState::Running)
    });
    wait_for("progress after resume", Duration::from_secs(10), || {
        next_offset(&f.dir, key) > paused_at
    });
    exec(&f.plane, "STOP ROUTINE LOAD FOR db1.life");
    assert_eq!(f.host.state_of(key), Some(JobState::Stopped));
    let stopped_at = next_offset(&f.dir, key);
    for (sql, to) in [
        ("RESUME ROUTINE LOAD FOR db1.life", "NEED_SCHEDULE"),
        ("PAUSE ROUTINE LOAD FOR db1.life", "PAUSED"),
        ("STOP ROUTINE LOAD FOR db1.life", "STOPPED"),
    ] {
        assert_eq!(
            exec_err(&f.plane, sql),
            format!("Could not transform STOPPED to {to}")
        );
    }
    assert!(
        exec_err(
            &f.plane,
            r#"ALTER ROUTINE LOAD FOR db1.life PROPERTIES ("max_error_number" = "7")"#
        )
        .contains("STOPPED")
    );
    // Nothing was lost or repeated up to the stop, and nothing moves after it.
    let ids = table_ids(&f.dir);
    assert_eq!(ids, (0..stopped_at).collect());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(next_offset(&f.dir, key), stopped_at);
    // A restarted host keeps the job STOPPED.
    let Fixture { dir, host, .. } = f;
    drop(host);
    let host = start_host(&dir, &cap, Some(1.0), 60_000);
    wait_for("the job reloaded", Duration::from_secs(10), || {
        host.state_of(key) == Some(JobState::Stopped)
    });
    assert!(
        host.plane()
            .execute("RESUME ROUTINE LOAD FOR db1.life")
            .is_err()
    );
}

// doris-spec.md §2.3 (ScheduleRule): a job paused for a reason other than a user's PAUSE,
// too many error rows or CANNOT_RESUME is resumed automatically after 10 s × 2^k (here the
// base is shortened), and goes on from its progress once the cause is gone.
#[test]
fn auto_resume_backs_off_and_recovers() {
    let dir = common::scratch("host", "auto-data");
    let cap = dir.join("later.jsonl");
    let f = fixture("auto", &cap, None, 300);
    exec(&f.plane, TABLE);
    // The capture does not exist yet: the run fails and the job pauses (TASKS_ABORT).
    exec(&f.plane, &job_sql("auto", ""));
    let key = "db1.auto";
    wait_for("the first pause", Duration::from_secs(20), || {
        f.host.state_of(key) == Some(JobState::Paused)
    });
    let v = view(&f.plane, key);
    assert!(v.reason.contains("errCode = 104"), "{}", v.reason);
    // Two automatic resumes fail again; then the capture appears and the third works.
    let store_dir = f.dir.join("state").join("jobs").join(key);
    wait_for("two auto-resumes", Duration::from_secs(20), || {
        progress::ledger(&store_dir)
            .map(|l| l.events.iter().filter(|e| e.kind == "RESUMED").count() >= 2)
            .unwrap_or(false)
    });
    capture(&cap, 1, 20, 0, &[]);
    wait_for("the rows", Duration::from_secs(20), || {
        next_offset(&f.dir, key) == 20
    });
    assert_eq!(table_ids(&f.dir), (0..20).collect());
    let ledger = progress::ledger(&store_dir).expect("ledger");
    let events: Vec<(String, i64)> = ledger
        .events
        .iter()
        .map(|e| (e.kind.to_string(), e.at_ms))
        .collect();
    // Each automatic resume waited at least base × 2^k after its pause.
    let mut k = 0;
    for pair in events.windows(2) {
        if pair[0].0 == "PAUSED" && pair[1].0 == "RESUMED" {
            let waited = pair[1].1 - pair[0].1;
            assert!(
                waited >= 300 * (1 << k) - 5,
                "resume {k} waited {waited} ms: {events:?}"
            );
            k += 1;
        }
    }
    assert!(k >= 2, "{events:?}");
}

// A live ALTER of the batch knobs applies from the next epoch without a pause; a change of
// concurrency restarts the run at an epoch boundary with the new worker count; nothing is
// lost or repeated.
#[test]
fn a_live_alter_takes_effect_at_the_next_epoch() {
    let dir = common::scratch("host", "live-data");
    let cap = dir.join("live.jsonl");
    // 30 bursts of 200 messages 250 ms apart (7.5 s at speed 1), on one partition.
    capture(&cap, 30, 200, 250, &[]);
    let f = fixture("live", &cap, Some(1.0), 60_000);
    exec(&f.plane, TABLE);
    exec(&f.plane, &job_sql("live", ""));
    let key = "db1.live";
    let store_dir = f.dir.join("state").join("jobs").join(key);
    wait_for("a few epochs", Duration::from_secs(20), || {
        next_offset(&f.dir, key) >= 600
    });
    let before = progress::ledger(&store_dir).expect("ledger").entries.len();
    // Only live knobs: the job keeps running while the ALTER applies.
    exec(
        &f.plane,
        r#"ALTER ROUTINE LOAD FOR db1.live PROPERTIES ("max_inflight_epochs" = "2", "desired_concurrent_number" = "2")"#,
    );
    assert_eq!(f.host.state_of(key).map(|s| s.is_final()), Some(false));
    wait_for("everything", Duration::from_secs(30), || {
        next_offset(&f.dir, key) == 6000
    });
    assert_eq!(table_ids(&f.dir), (0..6000).collect());
    let ledger = progress::ledger(&store_dir).expect("ledger");
    ledger.verify_tiling().expect("ranges tile");
    // The ALTER restarted the run with two workers, never pausing the job.
    let last_run = ledger.runs.last().expect("runs");
    assert_eq!(last_run.workers, 2, "{:?}", ledger.runs);
    assert!(
        !ledger.events.iter().any(|e| e.kind == "PAUSED"),
        "{:?}",
        ledger.events
    );
    assert!(ledger.entries.len() > before);
    assert_eq!(f.host.state_of(key), Some(JobState::Running));
}

// doris-spec.md §2.1: a job whose table does not exist in Doris is CANCELLED (TABLE_ERR),
// a final state: nothing resumes it.
#[test]
fn a_missing_doris_table_cancels_the_job() {
    use routinely_doris_double::{Config, DorisDouble};
    let dir = common::scratch("host", "cancel");
    let cap = dir.join("c.jsonl");
    capture(&cap, 1, 5, 0, &[]);
    let cfg = Config::default()
        .table_sql("CREATE TABLE db1.other (id BIGINT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1")
        .expect("table");
    let double = DorisDouble::start(cfg).expect("double");
    let sink = SinkSpec::parse(&format!("doris://root@{}", double.fe_addr())).expect("sink");
    let mut hc = HostConfig::new(dir.join("state"), sink);
    hc.source = Some(SourceSpec::Capture {
        path: cap.clone(),
        pacing: Pacing::AsFastAsPossible,
    });
    hc.auto_resume_base = Duration::from_millis(100);
    let host = Host::start(hc).expect("host");
    let plane = host.plane();
    exec(&plane, TABLE);
    exec(&plane, &job_sql("gone", ""));
    wait_for("CANCELLED", Duration::from_secs(30), || {
        host.state_of("db1.gone") == Some(JobState::Cancelled)
    });
    let v = view(&plane, "db1.gone");
    assert!(v.reason.contains("errCode = 6"), "{}", v.reason);
    assert_eq!(
        exec_err(&plane, "RESUME ROUTINE LOAD FOR db1.gone"),
        "Could not transform CANCELLED to NEED_SCHEDULE"
    );
}
