//! Unit tests of the row path; the conformance suite lives in `operators/tests/`.

use std::sync::Arc;

use routinely_schemas::sql::{Statement, parse_create_table, parse_statement};

use super::datum::rows_as_text;
use super::{LoadPlan, Message, RowBatch, RowPath};

pub(crate) fn plan(table: &str, job: &str) -> Arc<LoadPlan> {
    let table = parse_create_table(table).expect("table");
    let Statement::CreateRoutineLoad(job) = parse_statement(job).expect("job") else {
        panic!("not a CREATE ROUTINE LOAD");
    };
    Arc::new(LoadPlan::new(&table, &job).expect("plan"))
}

pub(crate) fn run(plan: &Arc<LoadPlan>, messages: &[&str]) -> (Vec<Vec<Option<String>>>, RowBatch) {
    let mut path = RowPath::new(plan.clone());
    path.begin_batch(1_700_000_000_000_000);
    for (i, m) in messages.iter().enumerate() {
        path.push(Message {
            partition: 0,
            offset: i as i64,
            value: m.as_bytes(),
        });
    }
    let out = path.finish();
    (rows_as_text(&out.batches, plan.table()), out)
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

const SEED_TABLE: &str = "CREATE TABLE rt_events (
  event_time DATETIME, user_id BIGINT, action VARCHAR(32), attr_json JSON
) DUPLICATE KEY(event_time, user_id) DISTRIBUTED BY HASH(user_id) BUCKETS 32;";

const SEED_JOB: &str = r#"CREATE ROUTINE LOAD app.rt_events_rl ON rt_events
PROPERTIES (
  "desired_concurrent_number" = "8", "max_batch_interval" = "10",
  "max_batch_rows" = "500000", "max_batch_size" = "536870912", -- 512MB
  "format" = "json",
  "jsonpaths" = "[\"$.event_time\",\"$.user_id\",\"$.action\",\"$\"]",
  "strict_mode" = "false", -- tolerate minor type drift
  "timezone" = "UTC"
)
FROM KAFKA (
  "kafka_broker_list" = "broker1:9092,broker2:9092", "kafka_topic" = "events",
  "kafka_default_offsets" = "OFFSET_BEGINNING" -- or a timestamp
);"#;

#[test]
fn seed_example_loads() {
    let p = plan(SEED_TABLE, SEED_JOB);
    let (rows, out) = run(
        &p,
        &[
            r#"{"event_time":"2025-11-20 10:00:00","user_id":42,"action":"click","attr":{"page":"/","items":[]}}"#,
            r#"{"event_time":"2025-11-20T10:00:01Z","user_id":"43","action":"view","attr":{"x": 1.50}}"#,
            r#"{"event_time":"yesterday","user_id":"abc","action":7}"#,
            "",
            "not json",
        ],
    );
    assert_eq!(out.counts.total, 4);
    assert_eq!(out.counts.loaded, 3);
    assert_eq!(out.counts.filtered, 1);
    assert_eq!(out.counts.messages, 5);
    assert_eq!(
        rows[0],
        vec![
            s("2025-11-20 10:00:00"),
            s("42"),
            s("click"),
            s(
                r#"{"event_time":"2025-11-20 10:00:00","user_id":42,"action":"click","attr":{"page":"/","items":[]}}"#
            )
        ]
    );
    assert_eq!(rows[1][0], s("2025-11-20 10:00:01"));
    assert_eq!(rows[1][1], s("43"));
    assert!(
        rows[1][3]
            .as_deref()
            .unwrap()
            .ends_with(r#""attr":{"x":1.5}}"#)
    );
    assert_eq!(rows[2][0], None);
    assert_eq!(rows[2][1], None);
    assert_eq!(rows[2][2], s("7"));
    assert_eq!(out.rejected[0].offset, 4);
    // simdjson reads `n` as the start of `null`: Doris rejects the document's type.
    assert_eq!(out.rejected[0].reason, "Not an json object or json array");
}

/// The one-pass matching of one-key jsonpaths gives what per-path evaluation gives (a path
/// with a second step forces the general walk for the same job otherwise).
#[test]
fn one_key_jsonpaths_match_like_the_general_walk() {
    let table = "CREATE TABLE t (a VARCHAR(64), b VARCHAR(64), c VARCHAR(64), d VARCHAR(256)) \
                 DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 1";
    let job = |paths: &str| {
        format!(
            r#"CREATE ROUTINE LOAD j ON t PROPERTIES ("format" = "json", "jsonpaths" = "{paths}")
               FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t")"#
        )
    };
    let messages = [
        r#"{"x":1,"y":2,"x":3}"#,
        r#"{"y":"first","x\u0078":0,"x":"second","y":"third"}"#,
        r#"{"\u0078":"escaped","x":"plain"}"#,
        r#"{"z":{"k":[1,2]},"x":null,"y":true}"#,
        r#"{"q":1}"#,
        r#"{"x":{"y":1} , "y" : [ 1, 2 ]}"#,
    ];
    let shallow = plan(table, &job(r#"[\"$.x\",\"$.y\",\"$.x\",\"$\"]"#));
    let general = plan(table, &job(r#"[\"$.x\",\"$.y\",\"$.x\",\"$.\"]"#));
    let deep = plan(table, &job(r#"[\"$.x\",\"$.y\",\"$.x\",\"$.z.k\"]"#));
    let (rows, out) = run(&shallow, &messages);
    let (want, want_out) = run(&general, &messages);
    assert_eq!(rows, want);
    assert_eq!(out.counts, want_out.counts);
    // Without `$`, a message where no path matches is filtered: leave that one out.
    let matching: Vec<&str> = messages
        .iter()
        .copied()
        .filter(|m| *m != r#"{"q":1}"#)
        .collect();
    let (rows3, _) = run(&deep, &matching);
    let firsts = |r: &[Vec<Option<String>>]| -> Vec<Vec<Option<String>>> {
        r.iter()
            .filter(|row| row[..3].iter().any(Option::is_some))
            .map(|row| row[..3].to_vec())
            .collect()
    };
    assert_eq!(firsts(&rows), firsts(&rows3));
    assert_eq!(rows[0][0], s("1"));
    assert_eq!(rows[1][1], s("first"));
    assert_eq!(rows[2][0], s("escaped"));
}
