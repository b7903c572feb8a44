//! Every file of JSONTestSuite's `test_parsing` (../shared/testdata/JSONTestSuite) as one
//! Kafka message through the JSON row path: `y_` files parse (if they are rejected, it is for
//! Doris's structural rules, never a parse error), `n_` files become exactly one filtered row,
//! `i_` files either; nothing panics or hangs (the 100000-deep nesting file included), and a
//! rejected row keeps a bounded copy of its source.
//!
//! Two Doris rules shape the expectations: Doris's consumer drops a zero-length message before
//! it reaches the reader (no row, no error), and Doris's reader loads the first of several
//! documents in one message when the message's last byte closes that first document
//! (docs/doris/json-reader.md §1.4), which some `n_` files are.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use routinely_operators::row::{LoadPlan, MAX_SRC_LINE, Message, RowPath};
use routinely_schemas::sql::{Statement, parse_create_table, parse_statement};

fn suite_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("ROUTINELY_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let dir = shared.join("testdata/JSONTestSuite/test_parsing");
    dir.is_dir().then_some(dir)
}

fn plan(strip: bool) -> Arc<LoadPlan> {
    let table = parse_create_table(
        "CREATE TABLE t (id INT, doc JSON) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
    )
    .expect("table");
    let job = format!(
        r#"CREATE ROUTINE LOAD j ON t PROPERTIES ("format" = "json",
            "jsonpaths" = "[\"$.id\",\"$\"]", "strip_outer_array" = "{strip}", "timezone" = "UTC")
            FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t")"#
    );
    let Ok(Statement::CreateRoutineLoad(job)) = parse_statement(&job) else {
        panic!("job");
    };
    Arc::new(LoadPlan::new(&table, &job).expect("plan"))
}

/// `n_` files Doris loads: a complete first document, then more, the message ending with
/// that document's closing bracket (its reader ignores the rest).
const LOADED_BY_DORIS: &[&str] = &[
    "n_array_extra_close.json",                           // ["x"]]
    "n_structure_array_with_extra_array_close.json",      // [1]]
    "n_structure_double_array.json",                      // [][]
    "n_structure_object_followed_by_closing_object.json", // {}}
    "n_structure_trailing_#.json",                        // {"a":"b"}#{}
];

/// A reason that says the text is not JSON (as opposed to Doris's structural rules, such as
/// an array element that is not an object, reported as INCORRECT_TYPE).
fn is_parse_error(reason: &str) -> bool {
    reason.starts_with("Parse json data") && !reason.contains("INCORRECT_TYPE")
}

#[test]
fn every_test_parsing_file() {
    let Some(dir) = suite_dir() else {
        panic!("JSONTestSuite not found: set ROUTINELY_SHARED to the shared directory");
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read suite")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() > 300,
        "only {} files in {}",
        files.len(),
        dir.display()
    );

    let started = Instant::now();
    let mut counts = std::collections::BTreeMap::<String, [u64; 3]>::new();
    for strip in [false, true] {
        let mut path = RowPath::new(plan(strip));
        for file in &files {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let bytes = std::fs::read(file).expect("read file");
            path.begin_batch(1_700_000_000_000_000);
            path.push(Message {
                partition: 0,
                offset: 0,
                value: &bytes,
            });
            let out = path.finish();
            let c = out.counts;
            let ctx = format!(
                "{name} (strip_outer_array={strip}): {:?} {:?}",
                c, out.rejected
            );
            assert_eq!(c.total, c.loaded + c.filtered + c.unselected, "{ctx}");
            for r in &out.rejected {
                assert!(r.src_line.len() <= MAX_SRC_LINE + 3, "{ctx}");
                assert_eq!(r.partition, 0);
                assert_eq!(r.offset, 0);
            }
            if bytes.is_empty() {
                // Doris's consumer drops zero-length messages.
                assert_eq!(c.total, 0, "{ctx}");
                continue;
            }
            let kind = &name[..1];
            let tally = counts.entry(format!("{kind} strip={strip}")).or_default();
            tally[0] += 1;
            tally[1] += c.loaded;
            tally[2] += c.filtered;
            match kind {
                "y" => {
                    // Parsed: loaded, or rejected for Doris's structural rules (a scalar or an
                    // array without strip_outer_array, a non-object element), or skipped (an
                    // empty array with jsonpaths).
                    for r in &out.rejected {
                        assert!(!is_parse_error(&r.reason), "{ctx}");
                    }
                    assert!(c.filtered <= 1, "{ctx}");
                }
                "n" if LOADED_BY_DORIS.contains(&name.as_str()) => {
                    // Read like the first document alone: loaded, rejected for a structural
                    // rule, or (an empty `[]` with jsonpaths) nothing at all.
                    assert!(c.filtered <= 1, "{ctx}");
                    for r in &out.rejected {
                        assert!(!is_parse_error(&r.reason), "{ctx}");
                    }
                }
                "n" => {
                    assert_eq!((c.total, c.filtered, c.loaded), (1, 1, 0), "{ctx}");
                }
                _ => assert!(c.total >= 1, "{ctx}"),
            }
        }
    }
    for (k, [files, loaded, filtered]) in &counts {
        eprintln!("{k}: {files} files, {loaded} rows loaded, {filtered} filtered");
    }
    assert!(
        started.elapsed().as_secs() < 30,
        "took {:?}",
        started.elapsed()
    );
}

// The deepest file: 100000 opening brackets is one filtered row, quickly.
#[test]
fn deep_nesting_is_one_error_row() {
    let mut path = RowPath::new(plan(false));
    let deep = "[".repeat(100_000);
    let t = Instant::now();
    path.push(Message {
        partition: 1,
        offset: 9,
        value: deep.as_bytes(),
    });
    let out = path.finish();
    assert_eq!((out.counts.total, out.counts.filtered), (1, 1));
    assert!(
        out.rejected[0].reason.starts_with("Parse json data"),
        "{:?}",
        out.rejected
    );
    assert!(out.rejected[0].src_line.len() <= MAX_SRC_LINE + 3);
    assert!(t.elapsed().as_secs() < 5);
}
