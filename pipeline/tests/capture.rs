//! Captures end to end: detection by content, kcat ↔ Arrow round trips, the generator, end
//! offsets with and without footer metadata, the replay reader (ownership, partitions,
//! resume and every start, read limits, positions, pacing), corrupt input without panics,
//! and pyarrow/DuckDB reading what we write (and us reading what pyarrow writes).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use routinely_operators::dataflow::MessageBatch;
use routinely_operators::dataflow::window::{PartitionReader, ReadStatus};
use routinely_pipeline::capture::{
    self, CaptureError, CaptureFormat, CaptureMessage, CaptureReader, CaptureWriter, GenOptions,
    Pacing, ReaderOptions, StartOffset,
};

fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("routinely-capture-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn msg(partition: i32, offset: i64, ts: Option<i64>, value: Option<&str>) -> CaptureMessage {
    CaptureMessage {
        topic: "events".into(),
        partition,
        offset,
        timestamp_ms: ts,
        timestamp_type: ts.map(|_| "create".to_string()),
        key: None,
        value: value.map(|v| v.as_bytes().to_vec()),
        headers: Vec::new(),
    }
}

/// Every feature a message can have, in three partitions with an offset gap.
fn sample() -> Vec<CaptureMessage> {
    let mut m = vec![
        msg(0, 0, Some(1_700_000_000_000), Some(r#"{"a":1}"#)),
        msg(1, 10, Some(1_700_000_000_001), Some("plain")),
        msg(0, 1, None, None),
        msg(
            2,
            5,
            Some(1_700_000_000_002),
            Some("quote\" backslash\\ newline\n tab\t ctrl\u{1} \u{7f} é 中文 😀 / end"),
        ),
        msg(1, 12, Some(1_700_000_000_003), Some("")),
        msg(0, 2, Some(1_700_000_000_004), Some(r#"{"b":[1,2]}"#)),
    ];
    m[1].key = Some(b"user-1".to_vec());
    m[1].headers = vec![
        ("trace_id".into(), Some(b"abc".to_vec())),
        ("empty".into(), Some(Vec::new())),
        ("null".into(), None),
    ];
    m[3].timestamp_type = Some("logappend".into());
    m[3].key = Some("ключ".as_bytes().to_vec());
    m[4].key = Some(Vec::new());
    m
}

fn write(path: &Path, format: CaptureFormat, messages: &[CaptureMessage]) {
    let mut w = CaptureWriter::create(path, format).unwrap();
    for m in messages {
        w.write(m).unwrap();
    }
    let stats = w.finish().unwrap();
    assert_eq!(stats.messages, messages.len() as u64);
}

#[test]
fn detects_format_by_content_not_name() {
    let d = dir("detect");
    let kcat_named_arrow = d.join("x.arrow");
    write(&kcat_named_arrow, CaptureFormat::Kcat, &sample());
    assert_eq!(
        capture::detect(&kcat_named_arrow).unwrap(),
        CaptureFormat::Kcat
    );
    let arrow_named_json = d.join("x.json");
    write(&arrow_named_json, CaptureFormat::Arrow, &sample());
    assert_eq!(
        capture::detect(&arrow_named_json).unwrap(),
        CaptureFormat::Arrow
    );
    assert_eq!(capture::read_all(&kcat_named_arrow).unwrap(), sample());
    assert_eq!(capture::read_all(&arrow_named_json).unwrap(), sample());

    let text = d.join("plain.arrow");
    std::fs::write(&text, "just some text\n").unwrap();
    let err = capture::detect(&text).unwrap_err().to_string();
    assert!(
        err.contains("not a capture") && err.contains("plain.arrow"),
        "{err}"
    );
    let json = d.join("obj.json");
    std::fs::write(&json, "\n{\"a\":1}\n").unwrap();
    let err = capture::detect(&json).unwrap_err().to_string();
    assert!(err.contains("line 2"), "{err}");
    let empty = d.join("empty.json");
    std::fs::write(&empty, "").unwrap();
    assert!(
        capture::detect(&empty)
            .unwrap_err()
            .to_string()
            .contains("empty")
    );
    let stream = d.join("stream.arrows");
    std::fs::write(&stream, [0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0]).unwrap();
    let err = capture::detect(&stream).unwrap_err().to_string();
    assert!(err.contains("IPC stream"), "{err}");
    let missing = capture::detect(&d.join("missing")).unwrap_err();
    assert!(matches!(missing, CaptureError::Read { .. }), "{missing}");
}

#[test]
fn kcat_to_arrow_to_kcat_round_trip() {
    let d = dir("roundtrip");
    let a = d.join("a.jsonl");
    write(&a, CaptureFormat::Kcat, &sample());
    let stats = capture::convert(&a, &d.join("b.arrow")).unwrap();
    assert_eq!(stats.format, CaptureFormat::Arrow);
    assert_eq!(stats.messages, 6);
    assert_eq!(stats.partitions.len(), 3);
    assert_eq!(
        stats.to_string(),
        format!(
            "wrote 6 messages ({} value bytes) in 3 partitions to {}",
            stats.value_bytes,
            d.join("b.arrow").display()
        )
    );
    capture::convert(&d.join("b.arrow"), &d.join("c.kcat")).unwrap();
    let back = capture::read_all(&d.join("c.kcat")).unwrap();
    assert_eq!(back.len(), sample().len());
    for (got, want) in back.iter().zip(sample()) {
        assert_eq!(*got, want);
    }
    // The kcat writer is deterministic: the same lines come back.
    assert_eq!(
        std::fs::read(&a).unwrap(),
        std::fs::read(d.join("c.kcat")).unwrap()
    );
    // No temporary files are left behind.
    let names: BTreeSet<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["a.jsonl", "b.arrow", "c.kcat"]
            .map(String::from)
            .into_iter()
            .collect()
    );
}

#[test]
fn kcat_lines_as_kcat_prints_them() {
    let line = br#"{"topic":"t","partition":3,"offset":41,"tstype":"logappend","ts":1700000000000,"broker":1,"headers":["h1","v1","h2",null],"key":"caf\u00e9","payload":"a\/b \"q\" \ud83d\ude00","key_schema_id":7}"#;
    let m = capture::parse_line(line).unwrap();
    assert_eq!(m.topic, "t");
    assert_eq!((m.partition, m.offset), (3, 41));
    assert_eq!(m.timestamp_ms, Some(1_700_000_000_000));
    assert_eq!(m.timestamp_type.as_deref(), Some("logappend"));
    assert_eq!(m.key.as_deref(), Some("café".as_bytes()));
    assert_eq!(m.value.as_deref(), Some("a/b \"q\" 😀".as_bytes()));
    assert_eq!(
        m.headers,
        vec![("h1".into(), Some(b"v1".to_vec())), ("h2".into(), None)]
    );
    // No timestamp: kcat omits tstype/ts; "none" and -1 mean the same.
    for l in [
        r#"{"topic":"t","partition":0,"offset":1,"broker":-1,"key":null,"payload":null}"#,
        r#"{"topic":"t","partition":0,"offset":1,"tstype":"none","ts":0,"key":null,"payload":null}"#,
        r#"{"topic":"t","partition":0,"offset":1,"tstype":"create","ts":-1,"key":null,"payload":null}"#,
    ] {
        let m = capture::parse_line(l.as_bytes()).unwrap();
        assert_eq!(
            (m.timestamp_ms, m.timestamp_type, m.value),
            (None, None, None),
            "{l}"
        );
    }
    let mut out = Vec::new();
    capture::write_line(&sample()[1].as_ref(), &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"topic":"events","partition":1,"offset":10,"tstype":"create","ts":1700000000001,"broker":-1,"headers":["trace_id","abc","empty","","null",null],"key":"user-1","payload":"plain"}"#
    );
    let mut out = Vec::new();
    capture::write_line(&sample()[2].as_ref(), &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"topic":"events","partition":0,"offset":1,"broker":-1,"key":null,"payload":null}"#
    );
    for bad in [
        &br#"{"partition":0,"offset":"x","payload":""}"#[..],
        br#"{"partition":-1,"offset":0,"payload":""}"#,
        br#"{"partition":0,"offset":0,"headers":["a"],"payload":""}"#,
        br#"[1,2]"#,
        br#"{"partition":0,"#,
    ] {
        assert!(
            capture::parse_line(bad).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn kcat_writer_refuses_non_utf8_and_arrow_keeps_it() {
    let d = dir("utf8");
    let mut m = msg(4, 77, None, None);
    m.value = Some(vec![b'{', 0xff, b'}']);
    let mut w = CaptureWriter::create(&d.join("x.json"), CaptureFormat::Kcat).unwrap();
    let err = w.write(&m).unwrap_err();
    let text = err.to_string();
    assert!(matches!(
        err,
        CaptureError::Unwritable {
            partition: 4,
            offset: 77,
            ..
        }
    ));
    assert!(
        text.contains("partition 4 offset 77") && text.contains("not UTF-8"),
        "{text}"
    );
    drop(w);
    assert!(
        !d.join("x.json").exists(),
        "an unfinished capture is not left behind"
    );
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);

    m.key = Some(vec![0, 0xfe]);
    m.headers = vec![("bin".into(), Some(vec![0xc3]))];
    write(
        &d.join("x.arrow"),
        CaptureFormat::Arrow,
        std::slice::from_ref(&m),
    );
    assert_eq!(capture::read_all(&d.join("x.arrow")).unwrap(), vec![m]);
    let err = capture::convert(&d.join("x.arrow"), &d.join("y.json")).unwrap_err();
    assert!(err.to_string().contains("partition 4 offset 77"), "{err}");
}

/// Whether a generated event is clean: `event_time`, `user_id`, `action`, `attr`, in that
/// order and with their clean types.
fn is_clean(value: &[u8]) -> bool {
    let v: serde_json::Value = serde_json::from_slice(value).expect("generated JSON parses");
    let obj = v.as_object().expect("an object");
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys == ["event_time", "user_id", "action", "attr"]
        && obj["event_time"]
            .as_str()
            .is_some_and(|t| t.len() == 19 && t.starts_with("2025-11-") && &t[10..11] == " ")
        && obj["user_id"].is_u64()
        && obj["action"].is_string()
        && obj["attr"].is_object()
}

fn clicks(
    messages: Option<u64>,
    bytes: Option<u64>,
    partitions: u32,
    drift: f64,
    seed: u64,
) -> GenOptions {
    GenOptions {
        messages,
        bytes,
        partitions,
        drift,
        rate: None,
        seed,
        topic: "clicks".into(),
    }
}

#[test]
fn generate_is_deterministic_and_respects_its_options() {
    let d = dir("generate");
    let opts = clicks(Some(2000), None, 4, 0.3, 7);
    let s1 = capture::generate(opts.clone(), &d.join("a.arrow")).unwrap();
    let s2 = capture::generate(opts.clone(), &d.join("b.arrow")).unwrap();
    let s3 = capture::generate(opts.clone(), &d.join("c.jsonl")).unwrap();
    assert_eq!(
        (s1.format, s3.format),
        (CaptureFormat::Arrow, CaptureFormat::Kcat)
    );
    assert_eq!(s1.messages, 2000);
    assert_eq!(s1.value_bytes, s3.value_bytes);
    assert_eq!(
        std::fs::read(d.join("a.arrow")).unwrap(),
        std::fs::read(d.join("b.arrow")).unwrap()
    );
    let a = capture::read_all(&d.join("a.arrow")).unwrap();
    assert_eq!(a, capture::read_all(&d.join("c.jsonl")).unwrap());
    let other = capture::generate(clicks(Some(2000), None, 4, 0.3, 8), &d.join("d.arrow")).unwrap();
    assert_ne!(a, capture::read_all(&other.path).unwrap());
    assert_eq!((s2.messages, s2.value_bytes), (s1.messages, s1.value_bytes));
    assert_eq!(s2.partitions, s1.partitions);

    // Partitions round robin, offsets from 0, keys are the user ids, timestamps at the rate.
    let mut next = BTreeMap::new();
    for (i, m) in a.iter().enumerate() {
        assert_eq!(m.topic, "clicks");
        assert_eq!(m.partition, (i % 4) as i32);
        let o = next.entry(m.partition).or_insert(0i64);
        assert_eq!(m.offset, *o);
        *o += 1;
        assert_eq!(m.timestamp_ms, Some(1_763_632_800_000 + i as i64 / 10));
        assert_eq!(m.timestamp_type.as_deref(), Some("create"));
        let key = String::from_utf8(m.key.clone().unwrap()).unwrap();
        assert!(
            key.parse::<u64>()
                .is_ok_and(|k| (1..=2_000_000_000).contains(&k))
        );
    }
    assert_eq!(next, (0..4).map(|p| (p, 500)).collect());
    let with_headers = a.iter().filter(|m| !m.headers.is_empty()).count();
    assert!((150..=350).contains(&with_headers), "{with_headers}");
    assert!(a.iter().any(|m| {
        m.headers
            .iter()
            .any(|(k, v)| k == "replayed" && v.is_none())
    }));
    let dirty = a
        .iter()
        .filter(|m| !is_clean(m.value.as_ref().unwrap()))
        .count();
    assert!(
        (480..=720).contains(&dirty),
        "drift 0.3 gave {dirty} drifted events of 2000"
    );

    let clean =
        capture::generate(clicks(Some(500), None, 1, 0.0, 1), &d.join("clean.arrow")).unwrap();
    let clean = capture::read_all(&clean.path).unwrap();
    assert!(clean.iter().all(|m| is_clean(m.value.as_ref().unwrap())));
    assert!(clean.iter().all(|m| m.partition == 0));
    let all = capture::generate(clicks(Some(500), None, 1, 1.0, 1), &d.join("all.arrow")).unwrap();
    let all = capture::read_all(&all.path).unwrap();
    assert!(all.iter().all(|m| !is_clean(m.value.as_ref().unwrap())));
    // Every drift kind shows up.
    let text: String = all
        .iter()
        .map(|m| String::from_utf8_lossy(m.value.as_ref().unwrap()).into_owned())
        .collect();
    for needle in [
        "\"schema_v\":2",
        "\"attr\":\"{",
        "\"user_id\":null",
        "Z\",\"user_id",
        ".5,\"action",
    ] {
        assert!(text.contains(needle), "no {needle}");
    }

    // A byte budget: stop once it is reached.
    let by_bytes = capture::generate(
        clicks(None, Some(100_000), 3, 0.0, 3),
        &d.join("bytes.jsonl"),
    )
    .unwrap();
    let msgs = capture::read_all(&by_bytes.path).unwrap();
    let last = msgs.last().unwrap().value.as_ref().unwrap().len() as u64;
    assert!(by_bytes.value_bytes >= 100_000 && by_bytes.value_bytes - last < 100_000);
    assert_eq!(by_bytes.partitions.len(), 3);
    let both = capture::generate(
        clicks(Some(10), Some(1 << 30), 1, 0.0, 3),
        &d.join("n.arrow"),
    )
    .unwrap();
    assert_eq!(both.messages, 10);

    for bad in [
        clicks(None, None, 1, 0.0, 1),
        clicks(Some(1), None, 0, 0.0, 1),
        clicks(Some(1), None, 1, 1.5, 1),
        GenOptions {
            rate: Some(0.0),
            ..clicks(Some(1), None, 1, 0.0, 1)
        },
    ] {
        let err = capture::generate(bad, &d.join("bad.arrow")).unwrap_err();
        assert!(matches!(err, CaptureError::InvalidOption(_)), "{err}");
    }
}

#[test]
fn parse_size_reads_units() {
    assert_eq!(capture::parse_size("1000"), Some(1000));
    assert_eq!(capture::parse_size("512K"), Some(512 << 10));
    assert_eq!(capture::parse_size("64M"), Some(64 << 20));
    assert_eq!(capture::parse_size("64mb"), Some(64 << 20));
    assert_eq!(capture::parse_size("1G"), Some(1 << 30));
    assert_eq!(capture::parse_size("1GiB"), Some(1 << 30));
    assert_eq!(capture::parse_size("1.5G"), Some(3 << 29));
    for bad in ["", "G", "-1", "abc", "1X", "nanM"] {
        assert_eq!(capture::parse_size(bad), None, "{bad}");
    }
}

/// An Arrow capture written with arrow-ipc directly, with optional footer metadata.
fn write_plain_arrow(path: &Path, rows: &[(i32, i64)], metadata: Option<&str>) {
    use arrow_array::{ArrayRef, BinaryArray, Int32Array, Int64Array, RecordBatch};
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("partition", arrow_schema::DataType::Int32, false),
        arrow_schema::Field::new("offset", arrow_schema::DataType::Int64, false),
        arrow_schema::Field::new("value", arrow_schema::DataType::Binary, true),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.0))) as ArrayRef,
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(BinaryArray::from_iter_values(rows.iter().map(|_| b"v"))),
        ],
    )
    .unwrap();
    let mut w =
        arrow_ipc::writer::FileWriter::try_new(std::fs::File::create(path).unwrap(), &schema)
            .unwrap();
    w.write(&batch).unwrap();
    if let Some(m) = metadata {
        w.write_metadata(capture::METADATA_KEY, m);
    }
    w.finish().unwrap();
}

#[test]
fn end_offsets_from_metadata_or_a_scan() {
    let d = dir("ends");
    let want: BTreeMap<i32, i64> = [(0, 3), (1, 13), (2, 6)].into();
    write(&d.join("s.arrow"), CaptureFormat::Arrow, &sample());
    write(&d.join("s.json"), CaptureFormat::Kcat, &sample());
    assert_eq!(capture::end_offsets(&d.join("s.arrow")).unwrap(), want);
    assert_eq!(capture::end_offsets(&d.join("s.json")).unwrap(), want);
    let summaries = capture::summarize(&d.join("s.arrow")).unwrap();
    assert_eq!(summaries[1].first_offset, 10);
    assert_eq!(summaries[1].messages, 2);

    // Without metadata: a scan of the partition and offset columns.
    let rows = [(0, 5), (1, 0), (0, 6), (1, 1), (0, 9)];
    write_plain_arrow(&d.join("plain.arrow"), &rows, None);
    assert_eq!(
        capture::end_offsets(&d.join("plain.arrow")).unwrap(),
        [(0, 10), (1, 2)].into()
    );
    // With metadata the footer answers, no scan (this footer deliberately disagrees).
    let meta = r#"{"version":1,"messages":5,"value_bytes":5,"partitions":[{"partition":0,"first_offset":5,"next_offset":999,"messages":3},{"partition":1,"first_offset":0,"next_offset":2,"messages":2}]}"#;
    write_plain_arrow(&d.join("meta.arrow"), &rows, Some(meta));
    assert_eq!(
        capture::end_offsets(&d.join("meta.arrow")).unwrap(),
        [(0, 999), (1, 2)].into()
    );
    // Unusable metadata falls back to the scan.
    write_plain_arrow(&d.join("badmeta.arrow"), &rows, Some("{not json"));
    assert_eq!(
        capture::end_offsets(&d.join("badmeta.arrow")).unwrap(),
        [(0, 10), (1, 2)].into()
    );
    // A file with only these three columns reads as messages too.
    let m = capture::read_all(&d.join("plain.arrow")).unwrap();
    assert_eq!(m.len(), 5);
    assert_eq!(
        (m[4].partition, m[4].offset, m[4].topic.as_str()),
        (0, 9, "")
    );
    assert_eq!(m[4].value.as_deref(), Some(&b"v"[..]));
}

/// Reads until finished (or `limit` reads), returning every message as (partition, offset,
/// value) and the statuses.
fn drain(
    reader: &mut CaptureReader,
    max_messages: usize,
    max_bytes: usize,
) -> (Vec<(i32, i64, Vec<u8>)>, ReadStatus) {
    let mut out = Vec::new();
    for _ in 0..100_000 {
        let mut batch = MessageBatch::default();
        let status = reader.read(&mut batch, max_messages, max_bytes);
        assert!(batch.len() <= max_messages);
        out.extend(
            batch
                .iter()
                .map(|m| (m.partition, m.offset, m.value.to_vec())),
        );
        if status.finished || status.error.is_some() {
            return (out, status);
        }
    }
    panic!("reader never finished");
}

fn owner(workers: i32, me: i32) -> Box<dyn Fn(i32) -> bool + Send> {
    Box::new(move |p| p % workers == me)
}

#[test]
fn workers_read_every_message_exactly_once() {
    let d = dir("workers");
    for name in ["g.arrow", "g.jsonl"] {
        let path = d.join(name);
        capture::generate(clicks(Some(30_000), None, 5, 0.1, 11), &path).unwrap();
        let all = capture::read_all(&path).unwrap();
        let mut seen = BTreeMap::new();
        for w in 0..3 {
            let mut r = CaptureReader::open(
                &path,
                ReaderOptions {
                    owns: owner(3, w),
                    ..ReaderOptions::default()
                },
            )
            .unwrap();
            let before = r.positions();
            let mine: Vec<i32> = (0..5).filter(|p| p % 3 == w).collect();
            assert_eq!(before, mine.iter().map(|p| (*p, 0)).collect::<Vec<_>>());
            let (msgs, status) = drain(&mut r, 1000, 1 << 20);
            assert!(status.caught_up && status.finished && status.error.is_none());
            let mut last: BTreeMap<i32, i64> = BTreeMap::new();
            for (p, o, v) in msgs {
                assert_eq!(p % 3, w);
                if let Some(prev) = last.insert(p, o) {
                    assert!(o > prev, "offsets in order within a partition");
                }
                assert!(seen.insert((p, o), v).is_none(), "{p}/{o} read twice");
            }
            assert_eq!(
                r.positions(),
                mine.iter().map(|p| (*p, 6000)).collect::<Vec<_>>()
            );
            // Reading past the end stays finished.
            let mut batch = MessageBatch::default();
            assert!(r.read(&mut batch, 10, 100).finished && batch.is_empty());
        }
        assert_eq!(seen.len(), all.len());
        for m in &all {
            assert_eq!(
                seen[&(m.partition, m.offset)],
                m.value.clone().unwrap(),
                "{name}"
            );
        }
    }
}

/// Partitions 0..4, offsets 100.. with a gap at 103, timestamps 1000 * offset.
fn start_capture(d: &Path, format: CaptureFormat) -> PathBuf {
    let path = d.join(match format {
        CaptureFormat::Arrow => "starts.arrow",
        CaptureFormat::Kcat => "starts.json",
    });
    let mut msgs = Vec::new();
    for o in (100..110).filter(|o| *o != 103) {
        for p in 0..4 {
            msgs.push(msg(p, o, Some(o * 1000), Some(&format!("p{p}o{o}"))));
        }
    }
    write(&path, format, &msgs);
    path
}

#[test]
fn reader_resolves_resume_and_every_start() {
    let d = dir("starts");
    for format in [CaptureFormat::Arrow, CaptureFormat::Kcat] {
        let path = start_capture(&d, format);
        let opts = ReaderOptions {
            owns: Box::new(|p| p != 4),
            partitions: Some(vec![0, 1, 2, 3, 7]),
            resume: [(0, 105), (3, 108)].into(),
            start: [
                (0, StartOffset::Offset(101)),
                (1, StartOffset::Offset(103)),
                (2, StartOffset::Timestamp(103_500)),
                (3, StartOffset::Timestamp(0)),
            ]
            .into(),
            default_start: StartOffset::End,
            pacing: Pacing::AsFastAsPossible,
        };
        let mut r = CaptureReader::open(&path, opts).unwrap();
        // Progress wins; an offset in a gap stays as given; a timestamp finds its message.
        assert_eq!(r.positions(), vec![(0, 105), (1, 103), (2, 104), (3, 108)]);
        let (msgs, _) = drain(&mut r, 1000, 1 << 20);
        let firsts: BTreeMap<i32, i64> = msgs.iter().rev().map(|m| (m.0, m.1)).collect();
        assert_eq!(firsts, [(0, 105), (1, 104), (2, 104), (3, 108)].into());
        assert_eq!(msgs.len(), 5 + 6 + 6 + 2);
        assert_eq!(r.positions(), vec![(0, 110), (1, 110), (2, 110), (3, 110)]);

        // Beginning and End are the same for a capture; a late timestamp is the end.
        for (start, want) in [
            (StartOffset::Beginning, 100),
            (StartOffset::End, 100),
            (StartOffset::Offset(0), 0),
            (StartOffset::Timestamp(i64::MAX), 110),
            (StartOffset::Timestamp(101_000), 101),
        ] {
            let mut r = CaptureReader::open(
                &path,
                ReaderOptions {
                    owns: owner(2, 1),
                    default_start: start,
                    ..ReaderOptions::default()
                },
            )
            .unwrap();
            assert_eq!(r.positions(), vec![(1, want), (3, want)], "{start:?}");
            let (msgs, status) = drain(&mut r, 1000, 1 << 20);
            assert!(status.finished);
            let expected = (100..110).filter(|o| *o != 103 && *o >= want).count() * 2;
            assert_eq!(msgs.len(), expected, "{start:?}");
            assert_eq!(r.positions(), vec![(1, 110), (3, 110)], "{start:?}");
        }
    }
}

#[test]
fn reader_honours_read_limits_and_tombstones() {
    let d = dir("limits");
    let mut msgs: Vec<CaptureMessage> = (0..20)
        .map(|o| msg(0, o, Some(o), Some("0123456789")))
        .collect();
    msgs[3].value = None;
    let path = d.join("l.arrow");
    write(&path, CaptureFormat::Arrow, &msgs);
    let mut r = CaptureReader::open(&path, ReaderOptions::default()).unwrap();
    let mut batch = MessageBatch::default();
    let status = r.read(&mut batch, 7, 1 << 20);
    assert_eq!(batch.len(), 7);
    assert!(!status.caught_up && !status.finished);
    assert_eq!(r.positions(), vec![(0, 7)]);
    let values: Vec<Vec<u8>> = batch.iter().map(|m| m.value.to_vec()).collect();
    assert_eq!(values[3], b"", "a tombstone is an empty value");
    assert_eq!(batch.timestamps[..3], [0, 1, 2]);
    // Bytes: stop once reached (three 10-byte values reach 25).
    let mut batch = MessageBatch::default();
    r.read(&mut batch, 100, 25);
    assert_eq!(batch.len(), 3);
    assert_eq!(batch.offsets, vec![7, 8, 9]);
    // Nothing read with a zero budget.
    let mut batch = MessageBatch::default();
    assert_eq!(r.read(&mut batch, 0, 100), ReadStatus::default());
    assert!(batch.is_empty());
    // The last messages: finished reported with them.
    let mut batch = MessageBatch::default();
    let status = r.read(&mut batch, 10, 1 << 20);
    assert_eq!(batch.len(), 10);
    assert!(status.caught_up && status.finished);
    assert_eq!(r.positions(), vec![(0, 20)]);
}

#[test]
fn original_pacing_follows_the_timestamps() {
    let d = dir("pacing");
    let msgs = vec![
        msg(0, 0, Some(0), Some("a")),
        msg(1, 0, None, Some("untimed")),
        msg(0, 1, Some(200), Some("b")),
        msg(0, 2, Some(400), Some("c")),
    ];
    for format in [CaptureFormat::Arrow, CaptureFormat::Kcat] {
        let path = d.join(format!(
            "p.{}",
            if format == CaptureFormat::Arrow {
                "arrow"
            } else {
                "json"
            }
        ));
        write(&path, format, &msgs);

        let mut fast = CaptureReader::open(&path, ReaderOptions::default()).unwrap();
        let mut batch = MessageBatch::default();
        assert!(fast.read(&mut batch, 100, 1 << 20).finished);
        assert_eq!(batch.len(), 4);

        let opts = || ReaderOptions {
            pacing: Pacing::Original { speed: 2.0 },
            ..ReaderOptions::default()
        };
        let started = Instant::now();
        let mut r = CaptureReader::open(&path, opts()).unwrap();
        let mut batch = MessageBatch::default();
        let status = r.read(&mut batch, 100, 1 << 20);
        // The first message and the untimed one are due at once; "b" is 100 ms away.
        assert_eq!(batch.len(), 2);
        assert!(status.caught_up && !status.finished && status.error.is_none());
        let wait = r.idle_wait();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        assert_eq!(r.positions(), vec![(0, 1), (1, 1)]);
        let mut order = vec![];
        order.extend(batch.iter().map(|m| m.value.to_vec()));
        loop {
            std::thread::sleep(r.idle_wait());
            let mut batch = MessageBatch::default();
            let status = r.read(&mut batch, 100, 1 << 20);
            order.extend(batch.iter().map(|m| m.value.to_vec()));
            if status.finished {
                break;
            }
            assert!(status.caught_up);
        }
        assert_eq!(order, [&b"a"[..], b"untimed", b"b", b"c"]);
        // 400 ms of timestamps at speed 2: at least 200 ms, give or take the clock.
        assert!(
            started.elapsed() >= Duration::from_millis(190),
            "{:?}",
            started.elapsed()
        );

        let bad = ReaderOptions {
            pacing: Pacing::Original { speed: 0.0 },
            ..ReaderOptions::default()
        };
        assert!(matches!(
            CaptureReader::open(&path, bad).unwrap_err(),
            CaptureError::InvalidOption(_)
        ));
    }
}

#[test]
fn truncated_and_corrupt_arrow_files_are_errors_not_panics() {
    let d = dir("corrupt");
    let good = d.join("good.arrow");
    capture::generate(clicks(Some(20_000), None, 3, 0.1, 5), &good).unwrap();
    let bytes = std::fs::read(&good).unwrap();

    let truncated = d.join("truncated.arrow");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_eq!(capture::detect(&truncated).unwrap(), CaptureFormat::Arrow);
    let err = capture::read_all(&truncated).unwrap_err().to_string();
    assert!(
        err.contains("truncated.arrow") && err.contains("truncated"),
        "{err}"
    );
    assert!(capture::end_offsets(&truncated).is_err());
    assert!(CaptureReader::open(&truncated, ReaderOptions::default()).is_err());

    // Garbage over the second record batch: reading stops there with its position.
    let second = find_batch_start(&bytes, 1);
    let mut corrupt = bytes.clone();
    for b in &mut corrupt[second..second + 64] {
        *b = 0xee;
    }
    let path = d.join("corrupt.arrow");
    std::fs::write(&path, &corrupt).unwrap();
    let err = capture::read_all(&path).unwrap_err().to_string();
    assert!(
        err.contains(&format!("record batch 1 (byte {second})")),
        "{err}"
    );
    let mut r = CaptureReader::open(&path, ReaderOptions::default()).unwrap();
    let (msgs, status) = drain(&mut r, 1000, 1 << 30);
    assert_eq!(msgs.len(), 8192, "the first batch reads");
    let error = status.error.expect("an error");
    assert!(
        error.contains("corrupt.arrow")
            && error.contains("record batch 1")
            && error.contains("after partition"),
        "{error}"
    );
    // The error sticks.
    let mut batch = MessageBatch::default();
    assert!(r.read(&mut batch, 10, 100).error.is_some());

    // Random damage, anywhere or in the metadata Arrow trusts most (the footer and the
    // message headers): never a panic.
    let len = bytes.len();
    let footer_len = i32::from_le_bytes(bytes[len - 10..len - 6].try_into().unwrap()) as usize;
    let mut hot: Vec<std::ops::Range<usize>> = (0..3)
        .map(|n| find_batch_start(&bytes, n))
        .map(|at| at..at + 600)
        .collect();
    hot.push(len - 10 - footer_len..len);
    let rounds: usize = std::env::var("CAPTURE_FUZZ_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let mut seed = 0x1234_5678_u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for round in 0..rounds {
        let mut damaged = bytes.clone();
        for _ in 0..1 + round % 8 {
            let at = if round % 2 == 0 {
                next() % len
            } else {
                let r = &hot[next() % hot.len()];
                r.start + next() % r.len()
            };
            damaged[at] = next() as u8;
        }
        let path = d.join(format!("damaged{round}.arrow"));
        std::fs::write(&path, &damaged).unwrap();
        let _ = capture::read_all(&path);
        let _ = capture::end_offsets(&path);
        if let Ok(mut r) = CaptureReader::open(&path, ReaderOptions::default()) {
            let _ = drain(&mut r, 5000, 1 << 30);
        }
        std::fs::remove_file(&path).unwrap();
    }
}

/// Where record batch `n` starts, from the file's footer.
fn find_batch_start(bytes: &[u8], n: usize) -> usize {
    let len = bytes.len();
    let footer_len = i32::from_le_bytes(bytes[len - 10..len - 6].try_into().unwrap()) as usize;
    let footer = arrow_ipc::root_as_footer(&bytes[len - 10 - footer_len..len - 10]).unwrap();
    footer.recordBatches().unwrap().get(n).offset() as usize
}

#[test]
fn bad_kcat_lines_name_their_line() {
    let d = dir("badkcat");
    let path = d.join("bad.json");
    std::fs::write(
        &path,
        concat!(
            r#"{"topic":"t","partition":0,"offset":0,"payload":"ok"}"#,
            "\n\n",
            r#"{"topic":"t","partition":0,"offset":1,"payload":"cut"#,
            "\n"
        ),
    )
    .unwrap();
    let err = capture::read_all(&path).unwrap_err();
    assert!(
        matches!(err, CaptureError::BadLine { line: 3, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("{}:3: not a kcat -J envelope", path.display()))
    );
    assert!(capture::end_offsets(&path).is_err());
    assert!(CaptureReader::open(&path, ReaderOptions::default()).is_err());

    // A line a scan accepts but a full parse does not: the read reports it.
    std::fs::write(
        &path,
        concat!(
            r#"{"topic":"t","partition":0,"offset":0,"payload":"ok"}"#,
            "\n",
            r#"{"topic":"t","partition":0,"offset":1,"headers":["odd"],"payload":"x"}"#,
            "\n"
        ),
    )
    .unwrap();
    let mut r = CaptureReader::open(&path, ReaderOptions::default()).unwrap();
    let (msgs, status) = drain(&mut r, 100, 1 << 20);
    assert_eq!(msgs.len(), 1);
    let error = status.error.unwrap();
    assert!(
        error.contains("bad.json:2:") && error.contains("after partition 0 offset 0"),
        "{error}"
    );
}

fn python(script: &str, args: &[&Path]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs (pip install pyarrow duckdb)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("ModuleNotFoundError") {
        panic!("python3 lacks pyarrow or duckdb: pip install pyarrow duckdb\n{stderr}");
    }
    assert!(out.status.success(), "python failed:\n{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn pyarrow_and_duckdb_read_our_capture_and_we_read_theirs() {
    let d = dir("pyarrow");
    let ours = d.join("ours.arrow");
    let stats = capture::generate(clicks(Some(20_000), None, 4, 0.05, 9), &ours).unwrap();
    let script = r#"
import json, sys
import pyarrow.ipc as ipc
import duckdb
reader = ipc.open_file(sys.argv[1])
t = reader.read_all()
meta = json.loads(reader.metadata[b"routinely.capture"])
con = duckdb.connect()
rows, parts, hdrs = con.execute(
    "select count(*), count(distinct partition), count(headers) from t").fetchone()
tz = str(t.schema.field("timestamp").type)
print(json.dumps({"rows": t.num_rows, "columns": t.column_names, "duck_rows": rows,
                  "duck_partitions": parts, "with_headers": hdrs, "meta": meta["messages"],
                  "ts": tz}))
"#;
    let v: serde_json::Value = serde_json::from_str(&python(script, &[&ours])).unwrap();
    assert_eq!(v["rows"], 20_000);
    assert_eq!(v["duck_rows"], 20_000);
    assert_eq!(v["duck_partitions"], 4);
    assert_eq!(v["meta"], stats.messages);
    assert_eq!(v["ts"], "timestamp[ms, tz=UTC]");
    let with_headers = capture::read_all(&ours)
        .unwrap()
        .iter()
        .filter(|m| !m.headers.is_empty())
        .count();
    assert_eq!(v["with_headers"], with_headers);
    assert_eq!(
        v["columns"],
        serde_json::json!([
            "topic",
            "partition",
            "offset",
            "timestamp",
            "timestamp_type",
            "key",
            "value",
            "headers"
        ])
    );

    // pyarrow's own capture: int64 partitions, microsecond timestamps, no footer metadata.
    let theirs = d.join("theirs.arrow");
    let script = r#"
import sys, datetime
import pyarrow as pa, pyarrow.ipc as ipc
ts = [datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(milliseconds=i) for i in range(6)]
t = pa.table({
    "topic": ["t"] * 6,
    "partition": [0, 1, 0, 1, 0, 1],
    "offset": [0, 0, 1, 1, 2, 2],
    "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")),
    "key": pa.array([b"k", None, None, None, None, None], pa.binary()),
    "value": pa.array([b"a", b"b", None, b"d", b"e", b"f"], pa.binary()),
    "headers": pa.array([[{"key": "h", "value": b"v"}], None, [], None, None, None],
                        pa.list_(pa.struct([("key", pa.string()), ("value", pa.binary())]))),
})
with ipc.new_file(sys.argv[1], t.schema) as w:
    w.write_table(t, max_chunksize=4)
"#;
    python(script, &[&theirs]);
    assert_eq!(capture::detect(&theirs).unwrap(), CaptureFormat::Arrow);
    assert_eq!(
        capture::end_offsets(&theirs).unwrap(),
        [(0, 3), (1, 3)].into()
    );
    let m = capture::read_all(&theirs).unwrap();
    assert_eq!(m.len(), 6);
    assert_eq!(m[0].timestamp_ms, Some(1_735_689_600_000));
    assert_eq!(m[5].timestamp_ms, Some(1_735_689_600_005));
    assert_eq!(m[0].headers, vec![("h".to_string(), Some(b"v".to_vec()))]);
    assert_eq!(m[0].key.as_deref(), Some(&b"k"[..]));
    assert_eq!(m[2].value, None);
    let mut r = CaptureReader::open(
        &theirs,
        ReaderOptions {
            owns: owner(2, 1),
            default_start: StartOffset::Timestamp(1_735_689_600_002),
            ..ReaderOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.positions(), vec![(1, 1)]);
    let (msgs, status) = drain(&mut r, 100, 1 << 20);
    assert!(status.finished);
    assert_eq!(msgs, vec![(1, 1, b"d".to_vec()), (1, 2, b"f".to_vec())]);
}

#[test]
fn readers_and_options_can_move_to_worker_threads() {
    fn send<T: Send + 'static>() {}
    send::<CaptureReader>();
    send::<ReaderOptions>();
    send::<CaptureWriter>();
}
