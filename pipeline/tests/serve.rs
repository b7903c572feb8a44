//! `routinely serve` and `routinely sql` end to end through the binary: every statement
//! against a running instance (CREATE TABLE, CREATE / ALTER / PAUSE / RESUME / STOP ROUTINE
//! LOAD, SHOW [ALL] ROUTINE LOAD in the table, `\G` and JSON forms, SHOW ROUTINE LOAD TASK,
//! SHOW CREATE ROUTINE LOAD), an error log URL served as Doris serves ErrorLogUrls, metrics,
//! `routinely sla`, the token rule, and a restart that keeps the jobs and their states.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::BIN;

const TABLE: &str = "CREATE TABLE t (id BIGINT NOT NULL, v INT, s VARCHAR(8)) \
                     DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1";

/// 200 messages on two partitions; offsets 7 and 9 of partition 1 are rejected.
fn capture(path: &Path) {
    let mut out = String::new();
    for p in 0..2 {
        for o in 0..100i64 {
            let id = p * 1000 + o;
            let v = if p == 1 && (o == 7 || o == 9) {
                "\"x\"".to_string()
            } else {
                o.to_string()
            };
            let payload = format!("{{\"id\": {id}, \"v\": {v}, \"s\": \"a\"}}");
            let e = serde_json::json!({"topic": "t", "partition": p, "offset": o,
                "tstype": "create", "ts": 1_700_000_000_000i64 + o * 10, "broker": 0,
                "key": null, "payload": payload});
            out.push_str(&e.to_string());
            out.push('\n');
        }
    }
    std::fs::write(path, out).expect("capture");
}

const JOB: &str = r#"CREATE ROUTINE LOAD db1.ev ON t
PROPERTIES ("format" = "json", "strict_mode" = "true", "max_error_number" = "10",
            "max_batch_interval" = "1")
FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t",
            "property.kafka_default_offsets" = "OFFSET_BEGINNING",
            "property.sasl.password" = "hunter2")"#;

struct Serve {
    child: Child,
    addr: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        // SIGTERM: a graceful stop.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, cap: &Path, extra: &[&str]) -> Serve {
    let table_file = dir.join("t.sql");
    std::fs::write(&table_file, TABLE).expect("table");
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg("--state")
        .arg(dir.join("state"))
        .arg("--sink")
        .arg(format!("local:{}", dir.join("table").display()))
        .arg("--source")
        .arg(format!("capture:{}", cap.display()))
        .arg("--table")
        .arg(&table_file)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("address line");
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .expect("address")
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");
    Serve { child, addr }
}

fn sql(s: &Serve, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .arg("sql")
        .args(["--endpoint", &s.addr])
        .args(args)
        .output()
        .expect("sql");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(s: &Serve, args: &[&str]) -> String {
    let (code, out, err) = sql(s, args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn show_json(s: &Serve) -> serde_json::Value {
    let out = ok(s, &["--format", "json", "SHOW ALL ROUTINE LOAD FOR db1.ev"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    v[0].clone()
}

#[test]
fn every_statement_against_a_running_instance() {
    let dir = common::scratch("serve", "statements");
    let cap = dir.join("t.jsonl");
    capture(&cap);
    let s = serve(&dir, &cap, &[]);
    assert!(ok(&s, &[JOB]).contains("created"));
    // Everything loads, two rows rejected (under max_error_number): still RUNNING.
    wait_for("all offsets", || {
        let v = show_json(&s);
        v["State"] == "RUNNING" && v["Progress"].as_str() == Some(r#"{"0":"99","1":"99"}"#)
    });
    let v = show_json(&s);
    let stat: serde_json::Value =
        serde_json::from_str(v["Statistic"].as_str().expect("Statistic")).expect("json");
    assert_eq!(stat["loadedRows"], 198);
    assert_eq!(stat["errorRows"], 2);
    assert_eq!(v["Lag"].as_str(), Some(r#"{"0":0,"1":0}"#));
    assert_eq!(v["Name"], "ev");
    assert_eq!(v["DbName"], "db1");
    // Credentials never shown.
    let all = ok(&s, &["SHOW ALL ROUTINE LOAD\\G"]);
    assert!(!all.contains("hunter2"), "{all}");
    assert!(all.contains("******"), "{all}");
    assert!(all.contains("*************************** 1. row"), "{all}");
    assert!(all.contains("State: RUNNING"), "{all}");
    let create = ok(&s, &["SHOW CREATE ROUTINE LOAD FOR db1.ev"]);
    assert!(create.contains("CREATE ROUTINE LOAD") && !create.contains("hunter2"));
    // The boxed table form.
    let table = ok(&s, &["SHOW ROUTINE LOAD"]);
    assert!(table.starts_with("+--") && table.contains("| ev ") && table.contains("1 row in set"));
    // The error log URL serves the rejected rows in Doris's format.
    let urls = v["ErrorLogUrls"].as_str().expect("urls").to_string();
    let url = urls.split(", ").next().expect("one url");
    let path = url.split_once(&s.addr).expect("our endpoint").1;
    let (status, log) =
        routinely_pipeline::endpoint::call(&s.addr, "GET", path, None, None).expect("get");
    assert_eq!(status, 200, "{url}");
    assert!(
        log.contains("Reason: ") && log.contains("src line ["),
        "{log}"
    );
    // Tasks of the running job.
    let tasks = ok(&s, &["SHOW ROUTINE LOAD TASK WHERE JobName = \"ev\"\\G"]);
    assert!(tasks.contains("TaskId:") && tasks.contains("DataSourceProperties:"));

    // PAUSE, its refusal, ALTER while paused, RESUME.
    assert!(ok(&s, &["PAUSE ROUTINE LOAD FOR db1.ev"]).contains("PAUSED"));
    let (code, _, err) = sql(&s, &["PAUSE ROUTINE LOAD FOR db1.ev"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("Could not transform PAUSED to PAUSED"),
        "{err}"
    );
    let v = show_json(&s);
    assert_eq!(v["State"], "PAUSED");
    assert!(
        v["ReasonOfStateChanged"]
            .as_str()
            .is_some_and(|r| r.contains("errCode = 100"))
    );
    assert_ne!(v["PauseTime"], serde_json::Value::Null);
    ok(
        &s,
        &[r#"ALTER ROUTINE LOAD FOR db1.ev PROPERTIES ("max_error_number" = "50")"#],
    );
    let props: serde_json::Value =
        serde_json::from_str(show_json(&s)["JobProperties"].as_str().expect("props"))
            .expect("json");
    assert_eq!(props["max_error_number"], "50");
    ok(&s, &["RESUME ROUTINE LOAD FOR db1.ev"]);
    wait_for("RUNNING", || show_json(&s)["State"] == "RUNNING");
    // A live ALTER of a batch knob while RUNNING.
    let out = ok(
        &s,
        &[r#"ALTER ROUTINE LOAD FOR db1.ev PROPERTIES ("max_batch_interval" = "2")"#],
    );
    assert!(out.contains("next epoch"), "{out}");
    let props: serde_json::Value =
        serde_json::from_str(show_json(&s)["JobProperties"].as_str().expect("props"))
            .expect("json");
    assert_eq!(props["max_batch_interval"], "2");
    // A bad statement is a clear error, exit 2.
    let (code, _, err) = sql(&s, &["SHOW ROUTINE LOAD FOR db1.nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope"), "{err}");
    // Metrics.
    let (status, metrics) =
        routinely_pipeline::endpoint::call(&s.addr, "GET", "/metrics", None, None).expect("get");
    assert_eq!(status, 200);
    assert!(
        metrics.contains("routinely_rows_loaded_total{job=\"db1.ev\"} 198"),
        "{metrics}"
    );
    assert!(metrics.contains("routinely_rows_filtered_total{job=\"db1.ev\"} 2"));
    assert!(metrics.contains("routinely_partition_lag{job=\"db1.ev\",partition=\"1\"} 0"));
    // The SLA report.
    let out = Command::new(BIN)
        .args([
            "sla",
            "db1.ev",
            "--endpoint",
            &s.addr,
            "--window",
            "1h",
            "--json",
        ])
        .output()
        .expect("sla");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sla: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sla json");
    // Every message's timestamp is counted once (sampled, weighted), each epoch's commit once.
    assert_eq!(sla["ingest_to_visible"]["count"], 200, "{sla}");
    assert!(
        sla["commit"]["count"].as_u64().is_some_and(|n| n >= 1),
        "{sla}"
    );
    let (p50, p99) = (
        sla["ingest_to_visible"]["p50_ms"].as_f64().unwrap_or(0.0),
        sla["ingest_to_visible"]["p99_ms"].as_f64().unwrap_or(0.0),
    );
    // The capture's timestamps are from 2023: the latency is that old.
    assert!(p50 > 3.0e10 && p99 >= p50, "{sla}");

    // STOP is final: refused transitions, SHOW without ALL no longer lists it.
    ok(&s, &["STOP ROUTINE LOAD FOR db1.ev"]);
    let (code, _, err) = sql(&s, &["RESUME ROUTINE LOAD FOR db1.ev"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("Could not transform STOPPED to NEED_SCHEDULE"),
        "{err}"
    );
    assert_eq!(show_json(&s)["State"], "STOPPED");
    assert_ne!(show_json(&s)["EndTime"], serde_json::Value::Null);
    assert_eq!(ok(&s, &["SHOW ROUTINE LOAD"]), "Empty set\n");
    // A restarted instance keeps the job, STOPPED, with its progress.
    drop(s);
    let s = serve(&dir, &cap, &[]);
    let v = show_json(&s);
    assert_eq!(v["State"], "STOPPED");
    assert_eq!(v["Progress"].as_str(), Some(r#"{"0":"99","1":"99"}"#));
}

#[test]
fn anything_but_loopback_needs_a_token() {
    let dir = common::scratch("serve", "token");
    let cap = dir.join("t.jsonl");
    capture(&cap);
    let out = Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0", "--state"])
        .arg(dir.join("state"))
        .env_remove("ROUTINELY_TOKEN")
        .output()
        .expect("serve");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("token"));
    // With a token, a statement without it is refused and one with it runs.
    let s = serve(&dir, &cap, &["--token", "s3cret"]);
    let (code, _, err) = sql(&s, &["SHOW ALL ROUTINE LOAD"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("401") || err.to_lowercase().contains("token"),
        "{err}"
    );
    let out = ok(&s, &["--token", "s3cret", "SHOW ALL ROUTINE LOAD"]);
    assert_eq!(out, "Empty set\n");
}
