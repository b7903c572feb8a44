//! The Doris sink end to end: the `routinely` binary loads a capture into the project's Doris
//! test double (in this process, on loopback) through Stream Load 2PC, and the table must hold
//! exactly the rows the local table sink holds for the same job — in every body format,
//! after a kill -9 at each step of the protocol, after Doris expired a decided epoch's
//! transactions, and over seeded runs mixing kills with injected faults (HTTP 5xx, cut
//! bodies, lost answers, slow answers, late visibility, PREPARE expiry). A clean stop leaves
//! no PRECOMMITTED transaction behind. From live Kafka, an expired epoch is read again from
//! the topic.
//!
//! `ROUTINELY_DORIS_SEEDS=N` runs N seeded runs instead of the suite's few
//! (`scripts/doris-faults.sh` runs 100).

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use routinely_doris_double::{Config, DorisDouble};
use routinely_operators::row::datum::rows_as_text;
use routinely_pipeline::progress;
use routinely_pipeline::sink::local::LocalTable;
use routinely_schemas::sql::parse_create_table;

mod common;

use common::{BIN, Lcg};

const TABLE: &str = "CREATE TABLE app.orders (
  id BIGINT NOT NULL, ts DATETIME(3), amount DECIMAL(12, 2), name VARCHAR(64), big LARGEINT,
  ok BOOLEAN, day DATE, score DOUBLE, ip IPV6
) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4;";

fn scratch(name: &str) -> PathBuf {
    common::scratch("doris", name)
}

/// A job over `app.orders` with the body format `format`.
fn files(dir: &Path, format: &str) -> (PathBuf, PathBuf) {
    let table = dir.join("table.sql");
    std::fs::write(&table, TABLE.replace("app.orders", "orders")).expect("table file");
    let job = dir.join("job.sql");
    std::fs::write(
        &job,
        format!(
            r#"CREATE ROUTINE LOAD app.orders_rl ON orders
PROPERTIES ("max_batch_interval" = "1", "format" = "json", "strict_mode" = "true",
            "timezone" = "UTC", "load_format" = "{format}", "max_error_number" = "100000000")
FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "orders",
            "property.kafka_default_offsets" = "OFFSET_BEGINNING");"#
        ),
    )
    .expect("job file");
    (table, job)
}

/// A kcat -J capture of `n` orders over `partitions` partitions, one per millisecond of
/// event time, with awkward values (quotes, separators, newlines, NULLs, big numbers) and a
/// few rows strict mode filters.
fn capture(dir: &Path, n: u64, partitions: i32) -> PathBuf {
    let path = dir.join("orders.json");
    let mut out = String::new();
    let mut rng = Lcg(11);
    let mut next = vec![0i64; partitions as usize];
    for i in 0..n {
        let p = (i % partitions as u64) as i32;
        let names = [
            "plain",
            "a,b",
            "quote \" and \\ back",
            "line\nbreak",
            "ünï 😀",
            "",
        ];
        let payload = if i % 97 == 13 {
            // Filtered: strict mode, not a number.
            format!(r#"{{"id": {i}, "amount": "lots"}}"#)
        } else {
            let amount = rng.next(2_000_000) as i64 - 1_000_000;
            let name = names[rng.next(names.len() as u64) as usize];
            let name = if i % 11 == 0 {
                "null".to_string()
            } else {
                serde_json::to_string(name).expect("name")
            };
            format!(
                r#"{{"id": {i}, "ts": "2024-02-29 23:59:{:02}.{:03}", "amount": "{}.{:02}", "name": {name}, "big": "-1701411834604692317316873037158841{:05}", "ok": {}, "day": "1999-12-{:02}", "score": {}, "ip": "2001:db8::{:x}"}}"#,
                i % 60,
                i % 1000,
                amount / 100,
                (amount % 100).abs(),
                i % 100_000,
                i % 2 == 0,
                1 + i % 28,
                (i as f64) / 7.0,
                i
            )
        };
        let line = serde_json::json!({
            "topic": "orders", "partition": p, "offset": next[p as usize],
            "tstype": "create", "ts": 1_700_000_000_000i64 + i as i64,
            "key": null, "payload": payload,
        });
        next[p as usize] += 1;
        out.push_str(&line.to_string());
        out.push('\n');
    }
    std::fs::write(&path, out).expect("capture");
    path
}

fn double(password: &str) -> DorisDouble {
    let mut cfg = Config::default().table_sql(TABLE).expect("table");
    cfg.password = password.to_string();
    DorisDouble::start(cfg).expect("double")
}

struct Job {
    table: PathBuf,
    job: PathBuf,
    capture: PathBuf,
    dir: PathBuf,
}

impl Job {
    fn new(name: &str, format: &str, n: u64) -> Job {
        let dir = scratch(name);
        let (table, job) = files(&dir, format);
        let capture = capture(&dir, n, 4);
        Job {
            table,
            job,
            capture,
            dir,
        }
    }

    /// `routinely run` into `sink` with state `state`, replayed at `speed` (paced replays
    /// make many small epochs).
    fn cmd(&self, sink: &str, state: &str, speed: Option<f64>, workers: usize) -> Command {
        let mut c = Command::new(BIN);
        c.arg("run")
            .arg("--table")
            .arg(&self.table)
            .arg("--job")
            .arg(&self.job)
            .arg("--source")
            .arg(format!("capture:{}", self.capture.display()))
            .arg("--sink")
            .arg(sink)
            .arg("--state")
            .arg(self.dir.join(state))
            .arg("-w")
            .arg(workers.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(s) = speed {
            c.arg("--speed").arg(s.to_string());
        }
        c
    }

    /// What the local table holds after the same job: the expected rows.
    fn expected(&self) -> Vec<Vec<Option<String>>> {
        let sink = self.dir.join("local");
        ok(self
            .cmd(&format!("local:{}", sink.display()), "state-local", None, 2)
            .output()
            .expect("run local"));
        let table = parse_create_table(TABLE).expect("table");
        let mut rows = rows_as_text(&LocalTable::read_table(&sink).expect("read"), &table);
        rows.sort();
        assert!(rows.len() > 100, "the job loads rows");
        rows
    }
}

fn ok(out: Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{stderr}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

fn sink_url(d: &DorisDouble) -> String {
    format!("doris://root@{}", d.fe_addr())
}

fn rows(d: &DorisDouble) -> Vec<Vec<Option<String>>> {
    let mut r = d.rows("app", "orders").expect("table in the double");
    r.sort();
    r
}

/// No transaction is left PREPARE or PRECOMMITTED.
fn assert_nothing_pending(d: &DorisDouble) {
    let pending: Vec<_> = d
        .txns()
        .into_iter()
        .filter(|t| t.status == "PRECOMMITTED" || t.status == "PREPARE")
        .collect();
    assert!(pending.is_empty(), "transactions left behind: {pending:?}");
}

fn assert_same_rows(d: &DorisDouble, expected: &[Vec<Option<String>>], what: &str) {
    let got = rows(d);
    if got != expected {
        let missing = expected.iter().filter(|r| !got.contains(r)).count();
        panic!(
            "{what}: the double holds {} rows, expected {} ({missing} expected rows missing); \
             first got {:?}, first expected {:?}",
            got.len(),
            expected.len(),
            got.first(),
            expected.first()
        );
    }
}

#[test]
fn every_body_format_loads_the_rows_of_the_local_table() {
    for format in ["arrow", "json", "csv"] {
        let job = Job::new(&format!("format-{format}"), format, 2000);
        let expected = job.expected();
        let d = double("");
        ok(job
            .cmd(&sink_url(&d), "state", None, 2)
            .output()
            .expect("run"));
        assert_same_rows(&d, &expected, format);
        assert_nothing_pending(&d);
        let txns = d.txns();
        assert!(!txns.is_empty());
        assert!(
            txns.iter().all(|t| t.status == "VISIBLE"),
            "{format}: {txns:?}"
        );
        // Labels come from the job, the table, the run, the epoch and the worker.
        assert!(
            txns.iter()
                .all(|t| t.label.starts_with("routinely_orders_rl_orders_g1_e")),
            "{txns:?}"
        );
        // A second run over committed state loads nothing more.
        ok(job
            .cmd(&sink_url(&d), "state", None, 2)
            .output()
            .expect("run"));
        assert_same_rows(&d, &expected, format);
    }
}

#[test]
fn kill_at_each_protocol_step_then_restart_loads_every_row_once() {
    let job = Job::new("steps", "arrow", 3000);
    let expected = job.expected();
    for step in [
        "before-precommit",
        "after-precommit",
        "after-decision",
        "after-some-commits",
        "after-commits",
    ] {
        let d = double("");
        let state = format!("state-{step}");
        let out = job
            .cmd(&sink_url(&d), &state, Some(1.0), 2)
            // The first epoch past 0 (some commits: the first epoch with two transactions).
            .env(
                "ROUTINELY_FAILPOINT",
                if step == "after-some-commits" {
                    step.to_string()
                } else {
                    format!("{step}@1")
                },
            )
            .output()
            .expect("run");
        assert_eq!(
            out.status.signal(),
            Some(9),
            "{step}: the run must die at the failpoint; stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ok(job
            .cmd(&sink_url(&d), &state, None, 2)
            .output()
            .expect("restart"));
        assert_same_rows(&d, &expected, step);
        assert_nothing_pending(&d);
        progress::ledger(job.dir.join(&state))
            .expect("ledger")
            .verify_tiling()
            .expect("ranges tile");
    }
}

#[test]
fn an_epoch_doris_expired_after_its_decision_is_loaded_again_once() {
    let job = Job::new("expired", "json", 3000);
    let expected = job.expected();
    let d = double("");
    let out = job
        .cmd(&sink_url(&d), "state", Some(1.0), 2)
        .env("ROUTINELY_FAILPOINT", "after-decision@1")
        .output()
        .expect("run");
    assert_eq!(
        out.status.signal(),
        Some(9),
        "the run must die at the failpoint; stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The PRECOMMITTED transactions of the decided epoch time out in Doris.
    assert!(d.expire_precommitted() > 0);
    let stderr = ok(job
        .cmd(&sink_url(&d), "state", None, 2)
        .output()
        .expect("restart"));
    assert_same_rows(&d, &expected, "after expiry");
    assert_nothing_pending(&d);
    let ledger = progress::ledger(job.dir.join("state")).expect("ledger");
    ledger.verify_tiling().expect("ranges tile");
    assert!(
        ledger
            .entries
            .iter()
            .any(|e| e.decision.epoch == 1 && e.decision.generation == 2),
        "epoch 1 was decided again by the second run; stderr:\n{stderr}"
    );
}

#[test]
fn doris_down_for_a_while_mid_run_loses_and_repeats_nothing() {
    let job = Job::new("outage", "csv", 3000);
    let expected = job.expected();
    let d = double("");
    let child = job
        .cmd(&sink_url(&d), "state", Some(1.0), 2)
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(800));
    // Every call fails for two seconds: loads, commits and state queries are retried.
    d.set_faults("http5xx=1").expect("faults");
    std::thread::sleep(Duration::from_secs(2));
    d.set_faults("").expect("faults");
    ok(child.wait_with_output().expect("wait"));
    // The outage was seen (calls failed and were retried), and nothing shows it.
    assert!(
        d.faults_injected()["http5xx"] > 0,
        "{:?}",
        d.faults_injected()
    );
    assert_same_rows(&d, &expected, "after the outage");
    assert_nothing_pending(&d);
}

/// From live Kafka (librdkafka's mock cluster in its own process): Doris expires the
/// transactions of decided epochs, and the run starts itself again and re-loads exactly the
/// offsets they covered from the topic.
#[test]
fn from_kafka_an_expired_epoch_is_read_again_from_the_topic_once() {
    let job = Job::new("kafka-expired", "arrow", 2000);
    let expected = job.expected();
    let broker = common::MockBroker::start(&["orders:4"]);
    ok(Command::new(BIN)
        .arg("produce")
        .arg(&job.capture)
        .args(["--brokers", &broker.bootstrap, "--topic", "orders"])
        .output()
        .expect("produce"));
    let d = double("");
    // Every commit finds its transaction expired, until the faults are cleared below.
    d.set_faults("expire=1").expect("faults");
    let child = Command::new(BIN)
        .arg("run")
        .arg("--table")
        .arg(&job.table)
        .arg("--job")
        .arg(&job.job)
        .arg("--source")
        .arg(format!("kafka:{}", broker.bootstrap))
        .args(["--until", "now", "-w", "2", "--sink", &sink_url(&d)])
        .arg("--state")
        .arg(job.dir.join("state-kafka"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !d
        .txns()
        .iter()
        .any(|t| t.reason.contains("timeout by txn manager"))
    {
        assert!(Instant::now() < deadline, "no transaction expired");
        std::thread::sleep(Duration::from_millis(5));
    }
    d.set_faults("").expect("faults");
    let stderr = ok(child.wait_with_output().expect("wait"));
    assert!(stderr.contains("starting again to load it"), "{stderr}");
    assert_same_rows(&d, &expected, "kafka after expiry");
    assert_nothing_pending(&d);
    progress::ledger(job.dir.join("state-kafka"))
        .expect("ledger")
        .verify_tiling()
        .expect("ranges tile");
}

#[test]
fn a_clean_stop_leaves_no_precommitted_transaction() {
    let job = Job::new("sigterm", "arrow", 4000);
    let expected = job.expected();
    let d = double("");
    let child = job
        .cmd(&sink_url(&d), "state", Some(0.5), 2)
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(1500));
    // SAFETY: signalling a child we own.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let out = child.wait_with_output().expect("wait");
    ok(out);
    assert_nothing_pending(&d);
    let partial = rows(&d).len();
    assert!(partial < expected.len(), "the stop came before the end");
    ok(job
        .cmd(&sink_url(&d), "state", None, 2)
        .output()
        .expect("restart"));
    assert_same_rows(&d, &expected, "after the stop");
}

#[test]
fn a_table_that_differs_from_the_jobs_is_refused_before_loading() {
    let job = Job::new("schema", "arrow", 200);
    let other = TABLE
        .replace("score DOUBLE,", "score DOUBLE, extra INT,")
        .replace("big LARGEINT,", "big BIGINT,");
    let cfg = Config::default().table_sql(&other).expect("table");
    let d = DorisDouble::start(cfg).expect("double");
    let out = job
        .cmd(&sink_url(&d), "state", None, 1)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`big` is LARGEINT in the job's table but BIGINT in Doris")
            && stderr.contains("`extra` is not in the job's table"),
        "{stderr}"
    );
    assert!(d.txns().is_empty(), "nothing was loaded");
}

#[test]
fn the_password_comes_from_the_environment_and_a_wrong_one_fails_fast() {
    let job = Job::new("auth", "csv", 300);
    let d = double("s3cret");
    let started = Instant::now();
    let out = job
        .cmd(&sink_url(&d), "state-bad", None, 1)
        .env("ROUTINELY_DORIS_PASSWORD", "wrong")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("wrong") && !stderr.contains("s3cret"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "no endless retries"
    );
    ok(job
        .cmd(&sink_url(&d), "state", None, 1)
        .env("ROUTINELY_DORIS_PASSWORD", "s3cret")
        .output()
        .expect("run"));
    assert_eq!(rows(&d).len(), job.expected().len());
}

/// Seeded runs: faults injected by the double, and the pipeline killed at random moments
/// and restarted until the capture is committed; the table must be exact every time.
#[test]
fn seeded_runs_with_kills_and_faults_lose_and_repeat_nothing() {
    let seeds: u64 = std::env::var("ROUTINELY_DORIS_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let job = Job::new("seeded", "arrow", 3000);
    let expected = job.expected();
    let formats = ["arrow", "json", "csv"];
    let mut injected = 0;
    for seed in 0..seeds {
        let format = formats[(seed % 3) as usize];
        let (table, jobfile) = files(&job.dir, format);
        let run = Job {
            table,
            job: jobfile,
            capture: job.capture.clone(),
            dir: job.dir.clone(),
        };
        let mut cfg = Config::default().table_sql(TABLE).expect("table");
        cfg.seed = seed;
        cfg.faults = routinely_doris_double::FaultSpec::parse(
            "http5xx=0.04,cut=0.04,lost=0.04,slow=0.05:30,publish_delay=0.2:40,expire=0.03",
        )
        .expect("faults");
        let d = DorisDouble::start(cfg).expect("double");
        let state = format!("state-seed-{seed}");
        let mut rng = Lcg(seed * 7919 + 1);
        let mut kills = 0;
        let mut attempts = 0;
        let mut last = String::new();
        loop {
            attempts += 1;
            assert!(
                attempts < 40,
                "seed {seed}: no end after {attempts} runs; the last said:\n{last}"
            );
            let child = run
                .cmd(&sink_url(&d), &state, Some(2.0), 2)
                .spawn()
                .expect("spawn");
            let kill = attempts <= 3 && rng.next(3) > 0;
            if kill {
                let after = Duration::from_millis(150 + rng.next(1200));
                if let Some(out) = wait_or_kill(child, after) {
                    if out.status.success() {
                        break;
                    }
                    last = String::from_utf8_lossy(&out.stderr).into_owned();
                } else {
                    kills += 1;
                }
            } else {
                let out = child.wait_with_output().expect("wait");
                if out.status.success() {
                    break;
                }
                last = String::from_utf8_lossy(&out.stderr).into_owned();
                // A run may fail on injected faults; its state is safe: run again.
            }
        }
        injected += d.faults_injected().values().sum::<u64>();
        // Faults off: a last clean run finds nothing to do and sweeps nothing.
        d.set_faults("").expect("no faults");
        ok(run
            .cmd(&sink_url(&d), &state, None, 2)
            .output()
            .expect("final run"));
        assert_same_rows(
            &d,
            &expected,
            &format!("seed {seed} ({format}, {kills} kills)"),
        );
        assert_nothing_pending(&d);
        progress::ledger(job.dir.join(&state))
            .expect("ledger")
            .verify_tiling()
            .expect("ranges tile");
    }
    assert!(injected > 0, "the runs met injected faults");
}

/// Waits for `child` until `after`, then SIGKILLs it; its output if it ended by itself.
fn wait_or_kill(mut child: std::process::Child, after: Duration) -> Option<Output> {
    let deadline = Instant::now() + after;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().ok();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}
