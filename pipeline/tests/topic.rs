//! Topics to captures and back, against librdkafka's mock cluster on 127.0.0.1: `produce`
//! keeps partitions, keys, headers and timestamps; `capture` takes exactly the offset ranges
//! asked for; the command line does both against a broker in another process
//! (`routinely-mock-kafka`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rdkafka::mocking::MockCluster;
use routinely_pipeline::capture::{self, CaptureFormat, CaptureMessage, GenOptions};
use routinely_pipeline::topic::{
    CaptureTopicOptions, Position, ProduceOptions, TopicError, capture_topic, produce,
};

mod common;

use common::{MockBroker, routinely};

fn scratch(name: &str) -> PathBuf {
    common::scratch("topic", name)
}

/// A generated capture of `messages` events over `partitions` partitions (some with headers,
/// one with a null header value).
fn generated(dir: &Path, messages: u64, partitions: u32) -> PathBuf {
    let path = dir.join("source.arrow");
    capture::generate(
        GenOptions {
            messages: Some(messages),
            bytes: None,
            partitions,
            drift: 0.05,
            rate: None,
            seed: 7,
            topic: "events".into(),
        },
        &path,
    )
    .expect("generate");
    path
}

fn capture_opts(brokers: &str, out: PathBuf, from: Position, to: Position) -> CaptureTopicOptions {
    CaptureTopicOptions {
        brokers: brokers.to_string(),
        topic: "events".into(),
        partitions: None,
        from,
        to,
        format: CaptureFormat::from_extension(&out),
        out,
        properties: Vec::new(),
        idle_timeout: Duration::from_secs(20),
    }
}

fn produce_opts(brokers: &str) -> ProduceOptions {
    ProduceOptions {
        brokers: brokers.to_string(),
        topic: "events".into(),
        properties: Vec::new(),
        flush_timeout: Duration::from_secs(30),
    }
}

/// Messages sorted by partition and offset (a capture interleaves partitions in arrival
/// order).
fn sorted(path: &Path) -> Vec<CaptureMessage> {
    let mut all = capture::read_all(path).expect("read capture");
    all.sort_by_key(|m| (m.partition, m.offset));
    all
}

#[test]
fn produce_then_capture_keeps_partitions_offsets_keys_headers_and_timestamps() {
    let dir = scratch("roundtrip");
    let source = generated(&dir, 3000, 4);
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster.create_topic("events", 4, 1).expect("topic");
    let brokers = cluster.bootstrap_servers();

    let stats = produce(&source, &produce_opts(&brokers)).expect("produce");
    assert_eq!(stats.messages, 3000);

    for name in ["copy.arrow", "copy.jsonl"] {
        let out = dir.join(name);
        let result = capture_topic(&capture_opts(
            &brokers,
            out.clone(),
            Position::Beginning,
            Position::End,
        ))
        .expect("capture");
        assert_eq!(result.stats.messages, 3000, "{name}");
        assert_eq!(result.ranges.len(), 4);
        let original = sorted(&source);
        let copy = sorted(&out);
        assert_eq!(copy.len(), original.len());
        assert!(
            original
                .iter()
                .any(|m| m.headers.iter().any(|h| h.1.is_none())),
            "the source has a null header value"
        );
        for (a, b) in original.iter().zip(&copy) {
            assert_eq!(
                (a.partition, a.offset, &a.key, &a.value, &a.headers),
                (b.partition, b.offset, &b.key, &b.value, &b.headers),
                "{name}"
            );
            assert_eq!(a.timestamp_ms, b.timestamp_ms, "{name}");
            assert_eq!(b.timestamp_type.as_deref(), Some("create"), "{name}");
        }
    }
}

#[test]
fn capture_takes_exactly_the_ranges_asked_for() {
    let dir = scratch("ranges");
    let source = generated(&dir, 400, 2);
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster.create_topic("events", 2, 1).expect("topic");
    let brokers = cluster.bootstrap_servers();
    produce(&source, &produce_opts(&brokers)).expect("produce");

    // Partition 0 from 50, partition 1 from the beginning; partition 0 to 120, partition 1 to
    // its end (200 messages each).
    let out = dir.join("part.arrow");
    let from = Position::parse("0:50", &routinely_schemas::TimeZone::UTC).expect("from");
    let to = Position::parse("0:120", &routinely_schemas::TimeZone::UTC).expect("to");
    let result = capture_topic(&capture_opts(&brokers, out.clone(), from, to)).expect("capture");
    let ranges: Vec<(i32, i64, i64)> = result
        .ranges
        .iter()
        .map(|r| (r.partition, r.start, r.end))
        .collect();
    assert_eq!(ranges, vec![(0, 50, 120), (1, 0, 200)]);
    let got: Vec<(i32, i64)> = sorted(&out)
        .iter()
        .map(|m| (m.partition, m.offset))
        .collect();
    let want: Vec<(i32, i64)> = (50..120)
        .map(|o| (0, o))
        .chain((0..200).map(|o| (1, o)))
        .collect();
    assert_eq!(got, want);

    // A range ending where it starts is empty, not an error.
    let out = dir.join("empty.arrow");
    let result = capture_topic(&capture_opts(
        &brokers,
        out.clone(),
        Position::End,
        Position::End,
    ))
    .expect("empty capture");
    assert_eq!(result.stats.messages, 0);
    assert!(capture::read_all(&out).expect("read").is_empty());

    // Past the high watermark: out of range, named.
    let err = capture_topic(&capture_opts(
        &brokers,
        dir.join("bad.arrow"),
        Position::Offset(1000),
        Position::End,
    ))
    .expect_err("offset past the end");
    match err {
        TopicError::OutOfRange {
            partition,
            offset,
            high,
            ..
        } => assert_eq!((partition, offset, high), (0, 1000, 200)),
        other => panic!("{other}"),
    }
    assert!(!dir.join("bad.arrow").exists());
}

#[test]
fn produce_refuses_a_topic_without_the_captures_partitions() {
    let dir = scratch("missing-partition");
    let source = generated(&dir, 100, 4);
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster.create_topic("events", 2, 1).expect("topic");
    let err = produce(&source, &produce_opts(&cluster.bootstrap_servers()))
        .expect_err("partition 2 is missing");
    let text = err.to_string();
    assert!(text.contains("no partition 2"), "{text}");
    // Nothing was sent.
    let out = dir.join("after.arrow");
    let result = capture_topic(&capture_opts(
        &cluster.bootstrap_servers(),
        out,
        Position::Beginning,
        Position::End,
    ))
    .expect("capture");
    assert_eq!(result.stats.messages, 0);
}

#[test]
fn positions_parse_as_documented() {
    let tz = routinely_schemas::TimeZone::UTC;
    assert_eq!(
        Position::parse("beginning", &tz).unwrap(),
        Position::Beginning
    );
    assert_eq!(Position::parse("now", &tz).unwrap(), Position::End);
    assert_eq!(Position::parse("OFFSET_END", &tz).unwrap(), Position::End);
    assert_eq!(Position::parse("42", &tz).unwrap(), Position::Offset(42));
    assert_eq!(
        Position::parse("2025-11-20 10:00:00", &tz).unwrap(),
        Position::Time(1_763_632_800_000)
    );
    let (shanghai, _) = routinely_schemas::TimeZone::parse_property("Asia/Shanghai").unwrap();
    assert_eq!(
        Position::parse("2025-11-20 18:00:00", &shanghai).unwrap(),
        Position::Time(1_763_632_800_000)
    );
    match Position::parse("0:5, 3:9", &tz).unwrap() {
        Position::Offsets(m) => assert_eq!(m.into_iter().collect::<Vec<_>>(), vec![(0, 5), (3, 9)]),
        other => panic!("{other:?}"),
    }
    for bad in ["-1", "0:x", "yesterday", "0:-4"] {
        let err = Position::parse(bad, &tz).expect_err(bad).to_string();
        assert!(
            err.contains("expected") || err.contains("negative"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn the_command_line_produces_and_captures_against_a_broker_process() {
    let dir = scratch("cli");
    let source = generated(&dir, 1200, 3);
    let broker = MockBroker::start(&["events:3"]);
    let src = source.to_str().expect("utf-8 path");
    let (code, err) = routinely(&[
        "produce",
        src,
        "--brokers",
        &broker.bootstrap,
        "--topic",
        "events",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("produced 1200 messages"), "{err}");

    let out = dir.join("copy.jsonl");
    let (code, err) = routinely(&[
        "capture",
        "--brokers",
        &broker.bootstrap,
        "--topic",
        "events",
        "--from",
        "beginning",
        "--to",
        "now",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(capture::detect(&out).expect("detect"), CaptureFormat::Kcat);
    let (a, b) = (sorted(&source), sorted(&out));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (
                x.partition,
                x.offset,
                &x.key,
                &x.value,
                &x.headers,
                x.timestamp_ms
            ),
            (
                y.partition,
                y.offset,
                &y.key,
                &y.value,
                &y.headers,
                y.timestamp_ms
            )
        );
    }

    // Bad options are user errors (exit 2) that say what is wrong.
    let (code, err) = routinely(&[
        "capture",
        "--brokers",
        &broker.bootstrap,
        "--topic",
        "events",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out is required"), "{err}");
    let (code, err) = routinely(&[
        "capture",
        "--brokers",
        &broker.bootstrap,
        "--topic",
        "events",
        "--from",
        "soon",
        "--out",
        "x.arrow",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--from") && err.contains("soon"), "{err}");
    let (code, err) = routinely(&[
        "produce",
        src,
        "--brokers",
        &broker.bootstrap,
        "--topic",
        "nope",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn a_real_kcat_capture_of_the_topic_reads_back_as_the_messages_produced() {
    let dir = scratch("kcat");
    let source = generated(&dir, 600, 2);
    let broker = MockBroker::start(&["events:2"]);
    let src = source.to_str().expect("utf-8 path");
    let (code, err) = routinely(&[
        "produce",
        src,
        "--brokers",
        &broker.bootstrap,
        "--topic",
        "events",
    ]);
    assert_eq!(code, 0, "{err}");
    // kcat is installed by the test command (scripts/deps.sh).
    let out = Command::new("kcat")
        .args([
            "-C",
            "-b",
            &broker.bootstrap,
            "-t",
            "events",
            "-J",
            "-e",
            "-q",
        ])
        .args(["-o", "beginning"])
        .output()
        .expect("kcat (scripts/deps.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = dir.join("kcat.jsonl");
    std::fs::write(&lines, &out.stdout).expect("write");
    assert_eq!(
        capture::detect(&lines).expect("detect"),
        CaptureFormat::Kcat
    );
    let (a, b) = (sorted(&source), sorted(&lines));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (x.partition, x.offset, &x.key, &x.value, x.timestamp_ms),
            (y.partition, y.offset, &y.key, &y.value, y.timestamp_ms)
        );
        // kcat prints header values as strings, a null value as null.
        assert_eq!(x.headers, y.headers);
    }
}
