//! The live Kafka source end to end through the `routinely` binary, against a broker in its
//! own process (`routinely-mock-kafka`, librdkafka's mock cluster) that outlives the runs:
//! `routinely run --source kafka:...` killed with SIGKILL at random moments while a producer
//! fills the topic, restarted each time and finished with `--until now`, loses and repeats
//! nothing (the final table and filtered rows equal a clean run's as multisets, the ledger
//! tiles every partition); and a topic captured by the real kcat (`kcat -C -J`) and replayed
//! with `--source capture:` gives the live run's table, filtered rows and end offsets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use routinely_operators::row::datum::rows_as_text;
use routinely_pipeline::capture::{self, GenOptions};
use routinely_pipeline::progress::{self, Ledger};
use routinely_pipeline::sink::local::LocalTable;
use routinely_schemas::TableSchema;
use routinely_schemas::sql::parse_create_table;

mod common;

use common::{BIN, Lcg, MockBroker, kill_after};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn scratch(name: &str) -> PathBuf {
    common::scratch("kafka-cli", name)
}

/// A generated clickstream capture of `messages` events over `partitions` partitions, with
/// type drift (filtered in strict mode) and headers on some messages.
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

/// `routinely produce FILE` into the broker's `events` topic.
fn produce(file: &Path, brokers: &str) {
    output_ok(
        Command::new(BIN)
            .arg("produce")
            .arg(file)
            .args(["--brokers", brokers, "--topic", "events"])
            .output()
            .expect("routinely produce"),
    );
}

/// The seed's rt_events table and a strict JSON job over the `events` topic from its
/// beginning (the brokers come from `--source kafka:...`). An empty fetch returns after 10 ms
/// instead of librdkafka's 500: the end of a partition is seen soon after its last message,
/// so a run over a live topic closes an epoch whenever it catches up with the producer.
fn job_files(dir: &Path) -> (PathBuf, PathBuf) {
    let table = samples().join("rt_events.table.sql");
    let job = dir.join("job.sql");
    std::fs::write(
        &job,
        r#"CREATE ROUTINE LOAD app.rt_events_rl ON rt_events
PROPERTIES (
  "max_batch_interval" = "1", "format" = "json",
  "jsonpaths" = "[\"$.event_time\",\"$.user_id\",\"$.action\",\"$\"]",
  "strict_mode" = "true", "timezone" = "UTC", "max_error_number" = "100000000"
)
FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "events",
            "property.kafka_default_offsets" = "OFFSET_BEGINNING",
            "property.fetch.wait.max.ms" = "10");"#,
    )
    .expect("job file");
    (table, job)
}

fn table_schema() -> TableSchema {
    let sql = std::fs::read_to_string(samples().join("rt_events.table.sql")).expect("table sql");
    parse_create_table(&sql).expect("table")
}

/// `routinely run` of the job from `source` (`kafka:HOSTS` or `capture:FILE`).
fn run_cmd(table: &Path, job: &Path, source: &str, sink: &Path, state: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("run")
        .arg("--table")
        .arg(table)
        .arg("--job")
        .arg(job)
        .arg("--source")
        .arg(source)
        .arg("--sink")
        .arg(format!("local:{}", sink.display()))
        .arg("--state")
        .arg(state);
    c
}

/// The table's rows as text, sorted (a multiset).
fn rows(sink: &Path) -> Vec<Vec<Option<String>>> {
    let batches = LocalTable::read_table(sink).expect("read table");
    let mut rows = rows_as_text(&batches, &table_schema());
    rows.sort();
    rows
}

/// The filtered rows as (partition, offset, reason), sorted.
fn rejected(sink: &Path) -> Vec<(i32, i64, String)> {
    let mut r: Vec<(i32, i64, String)> = LocalTable::rejected(sink)
        .expect("rejected")
        .into_iter()
        .map(|r| (r.partition, r.offset, r.reason))
        .collect();
    r.sort();
    r
}

/// Every epoch is committed and the ledger tiles each partition from 0 to its end offset in
/// `ends`, with no gap and no overlap; the ledger is returned.
fn assert_ledger_complete(state: &Path, ends: &BTreeMap<i32, i64>) -> Ledger {
    let ledger = progress::ledger(state).expect("ledger");
    ledger.verify_tiling().expect("ranges tile");
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
    let want: BTreeMap<i32, (i64, i64)> = ends.iter().map(|(p, e)| (*p, (0, *e))).collect();
    assert_eq!(covered, want, "ledger coverage per partition");
    ledger
}

/// Loaded plus filtered rows over the ledger's committed epochs.
fn accounted(ledger: &Ledger) -> u64 {
    ledger
        .entries
        .iter()
        .filter(|e| !e.superseded)
        .map(|e| e.decision.counts.loaded + e.decision.counts.filtered)
        .sum()
}

/// Produces the capture's messages in order, each to its partition with its key and
/// timestamp, spread evenly over `over` in bursts every 50 ms (an idempotent producer: offsets
/// in the empty topic equal the capture's). One message per record batch: the mock
/// cluster's fetches then carry few messages, so a run reads at about the pace the messages
/// arrive (measured: a fifth of the speed of reading large batches) and a kill often lands
/// while it reads, stages or commits.
fn produce_paced(source: &Path, brokers: &str, over: Duration) {
    let messages = capture::read_all(source).expect("read capture");
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .set("linger.ms", "0")
        .set("batch.num.messages", "1")
        .create()
        .expect("producer");
    let burst = Duration::from_millis(50);
    let bursts = (over.as_millis() / burst.as_millis()).max(1) as usize;
    let per = messages.len().div_ceil(bursts);
    let started = Instant::now();
    for (i, chunk) in messages.chunks(per).enumerate() {
        if let Some(wait) = (burst * i as u32).checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        for m in chunk {
            let mut record = BaseRecord::<[u8], [u8]>::to("events").partition(m.partition);
            if let Some(k) = m.key.as_deref() {
                record = record.key(k);
            }
            if let Some(v) = m.value.as_deref() {
                record = record.payload(v);
            }
            if let Some(ts) = m.timestamp_ms {
                record = record.timestamp(ts);
            }
            while let Err((e, back)) = producer.send(record) {
                assert!(
                    matches!(
                        e,
                        KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)
                    ),
                    "produce: {e}"
                );
                record = back;
                producer.poll(Duration::from_millis(5));
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

/// kill -9 at random moments of `routinely run --source kafka:...` reading a topic that a
/// producer fills while the runs come and go (as run.rs's kill test replays a capture at its
/// original pace), restarting each time against the same broker process; then a run with
/// `--until now` finishes the topic. Some runs are bounded, some have two workers. The final
/// table equals a clean `--until now` run's as a multiset (every message loaded or filtered
/// exactly once), the ledger tiles every partition with no gap and no overlap, and no staged
/// leftovers stay behind.
#[test]
fn kill_nine_with_kafka_loses_and_repeats_nothing() {
    let dir = scratch("kill9");
    let iterations: u64 = std::env::var("ROUTINELY_KILL_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    const EVENTS: u64 = 24_000;
    let broker = MockBroker::start(&["events:4"]);
    let source = generated(&dir, EVENTS, 4);
    let ends = capture::end_offsets(&source).expect("end offsets");
    assert_eq!(ends.values().sum::<i64>(), EVENTS as i64);
    let (table, job) = job_files(&dir);
    let kafka = format!("kafka:{}", broker.bootstrap);

    // Kill times of 10 ms to 1.5 s: while the process starts and connects (about 0.3 s),
    // recovers, reads, stages, decides and commits its small epochs (a live topic closes an
    // epoch whenever the reader catches up with the producer). The producer spreads the
    // messages over the loop, so every run has new messages to read.
    let mut rng = Lcg(0x5eed);
    let kill_times: Vec<Duration> = (0..iterations)
        .map(|_| Duration::from_millis(10 + rng.next(1500)))
        .collect();
    let planned: Duration = kill_times.iter().sum();
    let producer = {
        let (source, brokers) = (source.clone(), broker.bootstrap.clone());
        std::thread::spawn(move || produce_paced(&source, &brokers, planned.mul_f64(0.8)))
    };

    let sink = dir.join("table");
    let state = dir.join("state");
    let mut kills = 0;
    // Kills that left decided but uncommitted epochs (the next run commits them), and kills
    // that left staged data of undecided epochs (the next run drops it).
    let (mut left_decided, mut left_staged) = (0, 0);
    let loop_started = Instant::now();
    for (i, after) in kill_times.iter().enumerate() {
        // Most runs follow the topic until killed; every fifth is bounded (`--until now`: the
        // high watermarks when it starts) and may finish its backlog before the kill.
        let bounded = i % 5 == 4;
        let mut run = run_cmd(&table, &job, &kafka, &sink, &state);
        if bounded {
            run.args(["--until", "now"]);
        }
        // Every third run has two workers: a restart moves partitions between workers.
        if i % 3 == 1 {
            run.args(["-w", "2"]);
        }
        let child = run
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn run");
        if kill_after(child, *after) {
            kills += 1;
        } else {
            assert!(bounded, "run {i} followed the topic and ended by itself");
        }
        if let Ok(ledger) = progress::ledger(&state)
            && ledger
                .entries
                .iter()
                .any(|e| !e.superseded && e.committed_at_ms.is_none())
        {
            left_decided += 1;
        }
        if std::fs::read_dir(sink.join("_staging")).is_ok_and(|d| d.count() > 0) {
            left_staged += 1;
        }
    }
    let loop_time = loop_started.elapsed();
    producer.join().expect("producer");
    assert!(
        kills * 4 >= iterations * 3,
        "only {kills} of {iterations} runs were killed"
    );
    let before_final = progress::ledger(&state).expect("ledger");
    before_final
        .verify_tiling()
        .expect("ranges tile before the final run");
    let runs_that_committed = before_final
        .entries
        .iter()
        .map(|e| e.decision.generation)
        .collect::<std::collections::BTreeSet<_>>()
        .len();

    // The last run finishes the topic.
    let started = Instant::now();
    output_ok(
        run_cmd(&table, &job, &kafka, &sink, &state)
            .args(["--until", "now"])
            .output()
            .expect("final run"),
    );
    let final_run = started.elapsed();
    let ledger = assert_ledger_complete(&state, &ends);

    // The baseline: one clean run of the whole topic into its own table.
    let clean_sink = dir.join("clean-table");
    let clean_state = dir.join("clean-state");
    output_ok(
        run_cmd(&table, &job, &kafka, &clean_sink, &clean_state)
            .args(["--until", "now"])
            .output()
            .expect("clean run"),
    );
    let clean_ledger = assert_ledger_complete(&clean_state, &ends);
    assert_eq!(accounted(&clean_ledger), EVENTS);
    let clean = rows(&clean_sink);
    let clean_rejected = rejected(&clean_sink);
    assert!(
        !clean_rejected.is_empty(),
        "drift is filtered in strict mode"
    );
    assert_eq!(clean.len() + clean_rejected.len(), EVENTS as usize);

    eprintln!(
        "{kills} of {iterations} runs killed in {loop_time:?}; {} of them committed epochs; \
         {left_decided} kills left decided epochs uncommitted, {left_staged} left staged data; \
         {} epochs before the final run ({:?}); {} epochs over {} runs in all",
        runs_that_committed,
        before_final.entries.len(),
        final_run,
        ledger.entries.len(),
        ledger.runs.len()
    );
    assert_eq!(accounted(&ledger), EVENTS);
    assert_eq!(rows(&sink), clean);
    assert_eq!(rejected(&sink), clean_rejected);
    // The kills landed while the runs were working, not only before they started (loose
    // bounds: a loaded 2-core machine slows every run down).
    assert!(
        runs_that_committed * 5 >= iterations as usize,
        "only {runs_that_committed} of {iterations} killed runs committed an epoch"
    );
    assert!(
        before_final.entries.len() >= iterations as usize,
        "{} epochs",
        before_final.entries.len()
    );
    // No staged leftovers of aborted epochs stay behind.
    let left = std::fs::read_dir(sink.join("_staging"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "staging not cleaned");
}

/// The live run of a job and a replay of the same topic captured by the real kcat
/// (`kcat -C -J -e -o beginning`) give the same table, the same filtered rows (partition,
/// offset, reason) and the same next offsets per partition.
#[test]
fn a_kcat_capture_replays_to_the_same_table_as_the_live_run() {
    let kcat = Command::new("kcat").arg("-V").output();
    assert!(
        kcat.as_ref().is_ok_and(|o| o.status.success()),
        "kcat is not on PATH ({kcat:?}): the README's test command, scripts/test.sh, installs it"
    );
    let dir = scratch("kcat");
    const EVENTS: u64 = 4_000;
    let broker = MockBroker::start(&["events:3"]);
    let source = generated(&dir, EVENTS, 3);
    produce(&source, &broker.bootstrap);
    let (table, job) = job_files(&dir);

    // A: live from the broker.
    let (sink_a, state_a) = (dir.join("table-live"), dir.join("state-live"));
    output_ok(
        run_cmd(
            &table,
            &job,
            &format!("kafka:{}", broker.bootstrap),
            &sink_a,
            &state_a,
        )
        .args(["--until", "now"])
        .output()
        .expect("live run"),
    );

    // The topic through kcat, then B: the kcat capture replayed.
    let topic = dir.join("topic.jsonl");
    let out = Command::new("kcat")
        .args(["-C", "-b", &broker.bootstrap])
        .args(["-t", "events", "-J", "-e", "-q", "-o", "beginning"])
        .stdout(std::fs::File::create(&topic).expect("topic.jsonl"))
        .stderr(Stdio::piped())
        .output()
        .expect("kcat");
    assert!(
        out.status.success(),
        "kcat: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // kcat saw what `routinely produce` wrote: partitions, offsets, keys, values, headers
    // (some with a null value).
    let sorted = |path: &Path| {
        let mut all: Vec<_> = capture::read_all(path)
            .expect("read capture")
            .into_iter()
            .map(|m| (m.partition, m.offset, m.key, m.value, m.headers))
            .collect();
        all.sort();
        all
    };
    let (produced, seen) = (sorted(&source), sorted(&topic));
    assert_eq!(seen.len(), EVENTS as usize, "kcat read the topic");
    assert!(
        produced.iter().any(|m| m.4.iter().any(|h| h.1.is_none())),
        "the generated capture has headers, one with a null value"
    );
    assert!(
        seen == produced,
        "kcat's capture differs from what was produced"
    );
    let (sink_b, state_b) = (dir.join("table-kcat"), dir.join("state-kcat"));
    output_ok(
        run_cmd(
            &table,
            &job,
            &format!("capture:{}", topic.display()),
            &sink_b,
            &state_b,
        )
        .output()
        .expect("capture run"),
    );

    let ends = capture::end_offsets(&source).expect("end offsets");
    assert_eq!(
        capture::end_offsets(&topic).expect("kcat end offsets"),
        ends
    );
    let live = assert_ledger_complete(&state_a, &ends);
    let replay = assert_ledger_complete(&state_b, &ends);
    assert_eq!(accounted(&live), EVENTS);
    assert_eq!(accounted(&replay), EVENTS);
    let next = |state: &Path| {
        progress::ProgressStore::open_read_only(state)
            .expect("store")
            .state()
            .next_offsets
            .clone()
    };
    assert_eq!(next(&state_a), ends);
    assert_eq!(next(&state_b), ends);

    let (rows_a, rows_b) = (rows(&sink_a), rows(&sink_b));
    assert!(rows_a.len() > 3_000, "{} rows", rows_a.len());
    assert_eq!(rows_a, rows_b);
    let (rejected_a, rejected_b) = (rejected(&sink_a), rejected(&sink_b));
    assert!(!rejected_a.is_empty(), "drift is filtered in strict mode");
    assert_eq!(rejected_a, rejected_b);
    assert_eq!(rows_a.len() + rejected_a.len(), EVENTS as usize);
}
