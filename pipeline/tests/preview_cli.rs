//! `routinely preview` end to end: the seed example as written, every output form, kcat
//! capture detection, and exit status 2 with a clear message for bad input.

use std::path::PathBuf;
use std::process::Command;

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn routinely(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_routinely"))
        .args(args)
        .output()
        .expect("run routinely");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("routinely-preview-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write temp file");
    path
}

fn seed_args<'a>(table: &'a str, job: &'a str, messages: &'a str) -> Vec<&'a str> {
    vec![
        "preview",
        "--table",
        table,
        "--job",
        job,
        "--messages",
        messages,
    ]
}

// Issue 2: "The seed's example runs through preview as written".
#[test]
fn seed_example_runs_as_written() {
    let s = samples();
    let (table, job, msgs) = (
        s.join("rt_events.table.sql"),
        s.join("rt_events.job.sql"),
        s.join("rt_events.messages.ndjson"),
    );
    let mut args = seed_args(
        table.to_str().unwrap(),
        job.to_str().unwrap(),
        msgs.to_str().unwrap(),
    );
    args.extend(["--format", "json"]);
    let (code, out, err) = routinely(&args);
    assert_eq!(code, 0, "stderr: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    let (total, loaded, filtered, unselected) = (
        v["total"].as_u64().unwrap(),
        v["loaded"].as_u64().unwrap(),
        v["filtered"].as_u64().unwrap(),
        v["unselected"].as_u64().unwrap(),
    );
    assert_eq!(total, loaded + filtered + unselected);
    assert_eq!(loaded, v["rows"].as_array().unwrap().len() as u64);
    assert_eq!(loaded, 13);
    assert_eq!(filtered, 2);
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors[0]["offset"], 13);
    assert_eq!(
        errors[0]["reason"],
        "Parse json data for JsonDoc failed. code: 13, error info: EMPTY: no JSON found"
    );
    assert_eq!(
        errors[1]["reason"],
        "JSON data is array-object, `strip_outer_array` must be TRUE."
    );
    // The overlong action is cut to VARCHAR(32)'s 32 bytes (Doris 4.x, strict mode off).
    let rows = v["rows"].as_array().unwrap();
    let last = rows.last().unwrap();
    assert_eq!(last[1], "12");
    assert_eq!(last[2], "a-very-long-action-name-that-doe");
    // NULL is JSON null; values are MySQL-client strings.
    assert!(rows.iter().any(|r| r[1].is_null()));
    assert_eq!(
        rows[0][0].as_str().unwrap().len(),
        "2025-11-20 10:00:01".len()
    );
}

#[test]
fn table_and_vertical_forms() {
    let table = temp_file(
        "t.sql",
        "CREATE TABLE t (id INT, price DECIMAL(10,2), ok BOOLEAN) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
    );
    let job = temp_file(
        "j.sql",
        r#"CREATE ROUTINE LOAD j ON t COLUMNS TERMINATED BY "," FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t")"#,
    );
    let msgs = temp_file("m.csv", "1,1.5,true\n2,x,0\n");
    let base = seed_args(
        table.to_str().unwrap(),
        job.to_str().unwrap(),
        msgs.to_str().unwrap(),
    );
    let (code, out, _) = routinely(&base);
    assert_eq!(code, 0);
    assert!(out.contains("| id | price | ok |"), "{out}");
    assert!(out.contains("|  1 |  1.50 |  1 |"), "{out}");
    assert!(out.contains("|  2 |  NULL |  0 |"), "{out}");
    assert!(out.contains("2 rows in set"), "{out}");
    assert!(
        out.contains("total rows: 2, loaded: 2, filtered: 0, unselected: 0"),
        "{out}"
    );
    let mut v = base.clone();
    v.extend(["--format", "vertical"]);
    let (code, out, _) = routinely(&v);
    assert_eq!(code, 0);
    assert!(out.contains("*************************** 1. row ***************************\n   id: 1\nprice: 1.50\n   ok: 1\n"), "{out}");
}

// kcat -J envelopes keep partition and offset; filtered rows report them.
#[test]
fn kcat_capture_is_detected() {
    let table = temp_file(
        "kt.sql",
        "CREATE TABLE t (id INT NOT NULL) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
    );
    let job = temp_file(
        "kj.sql",
        r#"CREATE ROUTINE LOAD j ON t PROPERTIES ("format" = "json") FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t")"#,
    );
    let msgs = temp_file(
        "k.json",
        concat!(
            r#"{"topic":"t","partition":3,"offset":41,"tstype":"create","ts":1700000000000,"broker":0,"key":null,"payload":"{\"id\":5}"}"#,
            "\n",
            r#"{"topic":"t","partition":3,"offset":42,"tstype":"create","ts":1700000000001,"broker":0,"key":"k","payload":"{\"id\":null}"}"#,
            "\n"
        ),
    );
    let mut args = seed_args(
        table.to_str().unwrap(),
        job.to_str().unwrap(),
        msgs.to_str().unwrap(),
    );
    args.extend(["--format", "json"]);
    let (code, out, err) = routinely(&args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rows"], serde_json::json!([["5"]]));
    assert_eq!(v["errors"][0]["partition"], 3);
    assert_eq!(v["errors"][0]["offset"], 42);
    assert_eq!(
        v["errors"][0]["reason"],
        "column(id) values is null while columns is not nullable"
    );
    // Forcing the lines format reads the envelopes as messages.
    args.extend(["--messages-format", "lines"]);
    let (_, out, _) = routinely(&args);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["loaded"], 0);
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let table = temp_file(
        "bt.sql",
        "CREATE TABLE t (id INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
    );
    let bad_job = temp_file(
        "bj.sql",
        r#"CREATE ROUTINE LOAD j ON t PROPERTIES ("max_batch_rows" = "10") FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t")"#,
    );
    let msgs = temp_file("bm.txt", "1\n");
    let (code, _, err) = routinely(&seed_args(
        table.to_str().unwrap(),
        bad_job.to_str().unwrap(),
        msgs.to_str().unwrap(),
    ));
    assert_eq!(code, 2);
    assert!(err.contains("max_batch_rows should > 200000"), "{err}");

    let unknown_fn = temp_file(
        "fj.sql",
        r#"CREATE ROUTINE LOAD j ON t COLUMNS(x, id = no_such_fn(x)) FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t")"#,
    );
    let (code, _, err) = routinely(&seed_args(
        table.to_str().unwrap(),
        unknown_fn.to_str().unwrap(),
        msgs.to_str().unwrap(),
    ));
    assert_eq!(code, 2);
    assert!(err.contains("no_such_fn"), "{err}");

    let (code, _, err) = routinely(&seed_args(
        table.to_str().unwrap(),
        "/nonexistent/job.sql",
        msgs.to_str().unwrap(),
    ));
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /nonexistent/job.sql"), "{err}");

    let broken_table = temp_file("bt2.sql", "CREATE TABLE t (id INT");
    let ok_job = temp_file(
        "oj.sql",
        r#"CREATE ROUTINE LOAD j ON t FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t")"#,
    );
    let (code, _, err) = routinely(&seed_args(
        broken_table.to_str().unwrap(),
        ok_job.to_str().unwrap(),
        msgs.to_str().unwrap(),
    ));
    assert_eq!(code, 2);
    assert!(err.starts_with("routinely: table: line 1"), "{err}");
}
