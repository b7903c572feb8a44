//! The live Kafka source against librdkafka's in-process mock cluster: a bounded run loads
//! exactly what the topic holds, once, and resumes from committed progress; explicit start
//! offsets and `OFFSET_END`; a broker down mid-run loses and repeats nothing; an offset Kafka
//! no longer holds (or never held) stops the run with Doris's reason and loads nothing past it;
//! committed offsets reach the job's consumer group; a read_committed run ends at the high
//! watermark; `routinely run --until now` through the binary shows Progress and Lag; a reader
//! paused and resumed at the end of its partitions reads on without a gap or an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, DefaultProducerContext, Producer};
use routinely_operators::dataflow::MessageBatch;
use routinely_operators::dataflow::window::PartitionReader;
use routinely_operators::row::datum::rows_as_text;
use routinely_pipeline::kafka::{KafkaOptions, KafkaReader, Until};
use routinely_pipeline::runtime::{self, Cluster, RunConfig, RunError, RunReport, SourceSpec};
use routinely_pipeline::sink::SinkSpec;
use routinely_pipeline::sink::local::LocalTable;
use routinely_schemas::job::KafkaOffset;
use routinely_schemas::sql::{Statement, parse_create_table, parse_statement};
use routinely_schemas::{RoutineLoadJob, TableSchema};

const TOPIC: &str = "events";

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("kafka-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn table() -> TableSchema {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/rt_events.table.sql");
    parse_create_table(&std::fs::read_to_string(path).expect("table sql")).expect("table")
}

/// The rt_events job against `brokers`, with extra FROM KAFKA items.
fn job(brokers: &str, kafka: &str) -> RoutineLoadJob {
    let sql = format!(
        r#"CREATE ROUTINE LOAD app.rt_events_rl ON rt_events
PROPERTIES (
  "max_batch_interval" = "1", "format" = "json",
  "jsonpaths" = "[\"$.event_time\",\"$.user_id\",\"$.action\",\"$\"]",
  "strict_mode" = "true", "timezone" = "UTC", "max_error_number" = "100000000"
)
FROM KAFKA ("kafka_broker_list" = "{brokers}", "kafka_topic" = "{TOPIC}" {kafka});"#
    );
    match parse_statement(&sql).expect("job") {
        Statement::CreateRoutineLoad(job) => job,
        _ => panic!("not a routine load"),
    }
}

/// A mock cluster of one broker with a topic of `partitions` partitions.
fn mock(partitions: i32) -> MockCluster<'static, DefaultProducerContext> {
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster
        .create_topic(TOPIC, partitions, 1)
        .expect("create topic");
    cluster
}

fn producer(brokers: &str) -> BaseProducer {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .create()
        .expect("producer")
}

/// Produces events with user ids `ids` to partition `id % partitions`, padded to `pad` bytes.
fn produce(brokers: &str, ids: std::ops::Range<i64>, partitions: i32, pad: usize) {
    let p = producer(brokers);
    let padding = "x".repeat(pad);
    for id in ids {
        let value = format!(
            r#"{{"event_time":"2025-11-20 10:00:01","user_id":{id},"action":"view","pad":"{padding}"}}"#
        );
        let mut record = BaseRecord::<(), String>::to(TOPIC)
            .payload(&value)
            .partition((id % i64::from(partitions)) as i32);
        loop {
            match p.send(record) {
                Ok(()) => break,
                Err((_, r)) => {
                    record = r;
                    p.poll(Duration::from_millis(10));
                }
            }
        }
        p.poll(Duration::ZERO);
    }
    p.flush(Duration::from_secs(30)).expect("flush");
}

fn config(job: RoutineLoadJob, dir: &Path, until: Option<Until>, workers: usize) -> RunConfig {
    RunConfig {
        table: table(),
        job,
        source: SourceSpec::Kafka {
            brokers: None,
            until,
        },
        sink: SinkSpec::Local(dir.join("table")),
        state: dir.join("state"),
        cluster: Cluster::local(workers),
        stop: Arc::new(AtomicBool::new(false)),
        hooks: Default::default(),
    }
}

fn run(job: &RoutineLoadJob, dir: &Path, until: Option<Until>) -> Result<RunReport, RunError> {
    runtime::run(config(job.clone(), dir, until, 2))
}

/// The loaded user ids, sorted (duplicates kept).
fn loaded(dir: &Path) -> Vec<i64> {
    let Ok(batches) = LocalTable::read_table(dir.join("table")) else {
        return Vec::new();
    };
    let mut ids: Vec<i64> = rows_as_text(&batches, &table())
        .into_iter()
        .map(|r| r[1].as_deref().expect("user_id").parse().expect("id"))
        .collect();
    ids.sort_unstable();
    ids
}

fn range(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut v: Vec<i64> = ids.collect();
    v.sort_unstable();
    v
}

/// Waits until `n` rows are loaded (or the deadline passes).
fn wait_rows(dir: &Path, n: usize, within: Duration) -> usize {
    let deadline = Instant::now() + within;
    loop {
        let got = loaded(dir).len();
        if got >= n || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn bounded_runs_load_everything_once_and_resume() {
    let cluster = mock(4);
    let brokers = cluster.bootstrap_servers();
    let dir = scratch("once");
    let job = job(
        &brokers,
        r#", "property.kafka_default_offsets" = "OFFSET_BEGINNING""#,
    );
    produce(&brokers, 0..5000, 4, 0);

    let report = run(&job, &dir, Some(Until::Now)).expect("first run");
    assert!(!report.stopped);
    assert_eq!(loaded(&dir), range(0..5000));

    run(&job, &dir, Some(Until::Now)).expect("second run");
    assert_eq!(loaded(&dir), range(0..5000), "a second run loads nothing");

    produce(&brokers, 5000..6000, 4, 0);
    run(&job, &dir, Some(Until::Now)).expect("third run");
    assert_eq!(loaded(&dir), range(0..6000));

    // Explicit end offsets: partition 0 holds 1500 messages; nothing more to read.
    let until =
        Until::parse("0:1500,1:1500,2:1500,3:1500", &job.properties.time_zone).expect("until");
    run(&job, &dir, Some(until)).expect("fourth run");
    assert_eq!(loaded(&dir), range(0..6000));
}

#[test]
fn explicit_start_offsets() {
    let cluster = mock(4);
    let brokers = cluster.bootstrap_servers();
    let dir = scratch("offsets");
    // Partition p holds ids p, p + 4, ...: id i is at offset i / 4.
    produce(&brokers, 0..400, 4, 0);
    let starts = [10i64, 20, 0, 99];
    let job = job(
        &brokers,
        r#", "kafka_partitions" = "0,1,2,3", "kafka_offsets" = "10,20,OFFSET_BEGINNING,99""#,
    );
    run(&job, &dir, Some(Until::Now)).expect("run");
    let expected = range((0..400).filter(|i| i / 4 >= starts[(i % 4) as usize]));
    assert_eq!(loaded(&dir), expected);

    // Only some partitions, bounded by explicit offsets.
    let dir = scratch("offsets-some");
    let job2 = self::job(
        &brokers,
        r#", "kafka_partitions" = "1,3", "kafka_offsets" = "0,50""#,
    );
    let until = Until::parse("1:60,3:55", &job2.properties.time_zone).expect("until");
    run(&job2, &dir, Some(until)).expect("run");
    let expected = range((0..400).filter(|i| match i % 4 {
        1 => i / 4 < 60,
        3 => (50..55).contains(&(i / 4)),
        _ => false,
    }));
    assert_eq!(loaded(&dir), expected);
}

#[test]
fn offset_end_loads_only_new_messages() {
    let cluster = mock(2);
    let brokers = cluster.bootstrap_servers();
    let dir = scratch("end");
    produce(&brokers, 0..300, 2, 0);
    // No default offset: OFFSET_END.
    let job = job(&brokers, "");
    let cfg = config(job, &dir, None, 2);
    let stop = cfg.stop.clone();
    let handle = std::thread::spawn(move || runtime::run(cfg));
    std::thread::sleep(Duration::from_secs(3));
    produce(&brokers, 1000..1200, 2, 0);
    let got = wait_rows(&dir, 200, Duration::from_secs(60));
    stop.store(true, Ordering::Relaxed);
    let report = handle.join().expect("join").expect("run");
    assert!(report.stopped);
    assert_eq!(got, 200);
    assert_eq!(loaded(&dir), range(1000..1200));
}

#[test]
fn broker_down_mid_run_loses_and_repeats_nothing() {
    let cluster = mock(4);
    let brokers = cluster.bootstrap_servers();
    let dir = scratch("down");
    produce(&brokers, 0..2000, 4, 0);
    let job = job(
        &brokers,
        r#", "property.kafka_default_offsets" = "OFFSET_BEGINNING""#,
    );
    let cfg = config(job, &dir, None, 2);
    let stop = cfg.stop.clone();
    let handle = std::thread::spawn(move || runtime::run(cfg));
    std::thread::sleep(Duration::from_millis(1500));
    cluster.broker_down(1).expect("down");
    std::thread::sleep(Duration::from_secs(3));
    cluster.broker_up(1).expect("up");
    produce(&brokers, 2000..5000, 4, 0);
    let got = wait_rows(&dir, 5000, Duration::from_secs(90));
    // A little longer: anything read twice would show up now.
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::Relaxed);
    handle.join().expect("join").expect("run");
    assert_eq!(got, 5000);
    assert_eq!(loaded(&dir), range(0..5000));
}

#[test]
fn offset_below_log_start_stops_with_dorises_reason() {
    // The mock broker keeps about 5 MiB per partition: 8 MiB of messages push the log start
    // past offset 0, as retention would.
    let cluster = mock(1);
    let brokers = cluster.bootstrap_servers();
    let dir = scratch("range");
    produce(&brokers, 0..8000, 1, 1000);
    let job = job(
        &brokers,
        r#", "kafka_partitions" = "0", "kafka_offsets" = "0""#,
    );
    let err = run(&job, &dir, Some(Until::Now)).expect_err("out of range");
    let text = err.to_string();
    assert!(text.contains("Offset out of range"), "{text}");
    assert!(text.contains("partition: 0, offset: 0"), "{text}");
    assert!(loaded(&dir).is_empty(), "nothing loaded");
}

#[test]
fn offset_past_the_end_stops_with_dorises_reason() {
    let cluster = mock(2);
    let brokers = cluster.bootstrap_servers();
    let dir = scratch("past");
    produce(&brokers, 0..100, 2, 0);
    let job = job(
        &brokers,
        r#", "kafka_partitions" = "0,1", "kafka_offsets" = "0,500""#,
    );
    let err = run(&job, &dir, Some(Until::Now)).expect_err("past the end");
    let text = err.to_string();
    assert!(
        text.contains(
            "offset set in job: 500 is greater than kafka latest offset: 50 partition id: 1"
        ),
        "{text}"
    );
    // Partition 0's worker may have committed its first epoch before the run stopped;
    // nothing of partition 1 (odd ids) is loaded.
    assert!(
        loaded(&dir).iter().all(|id| id % 2 == 0),
        "nothing of partition 1"
    );
}

/// Runs `cfg` on a thread; stops it (and fails) if it has not ended within `within`.
fn run_within(cfg: RunConfig, within: Duration) -> Result<RunReport, RunError> {
    let stop = cfg.stop.clone();
    let handle = std::thread::spawn(move || runtime::run(cfg));
    let deadline = Instant::now() + within;
    while !handle.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let ended = handle.is_finished();
    stop.store(true, Ordering::Relaxed);
    let result = handle.join().expect("join");
    assert!(ended, "the bounded run did not end by itself");
    result
}

fn next_offsets(dir: &Path) -> std::collections::BTreeMap<i32, i64> {
    routinely_pipeline::progress::ProgressStore::open_read_only(dir.join("state"))
        .expect("store")
        .state()
        .next_offsets
        .clone()
}

#[test]
fn read_committed_run_ends_at_the_high_watermark() {
    let cluster = mock(1);
    let brokers = cluster.bootstrap_servers();
    let dir = scratch("txn");
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("transactional.id", "routinely-test")
        .create()
        .expect("producer");
    p.init_transactions(Duration::from_secs(10)).expect("init");
    let send = |ids: std::ops::Range<i64>| {
        for id in ids {
            let value =
                format!(r#"{{"event_time":"2025-11-20 10:00:01","user_id":{id},"action":"view"}}"#);
            p.send(
                BaseRecord::<(), String>::to(TOPIC)
                    .payload(&value)
                    .partition(0),
            )
            .expect("send");
        }
        p.flush(Duration::from_secs(10)).expect("flush");
    };
    p.begin_transaction().expect("begin");
    send(0..10);
    p.abort_transaction(Duration::from_secs(10)).expect("abort");
    p.begin_transaction().expect("begin");
    send(10..20);
    p.commit_transaction(Duration::from_secs(10))
        .expect("commit");

    let job = job(
        &brokers,
        r#", "property.kafka_default_offsets" = "OFFSET_BEGINNING",
            "property.isolation.level" = "read_committed""#,
    );
    let cfg = config(job.clone(), &dir, Some(Until::Now), 1);
    run_within(cfg, Duration::from_secs(60)).expect("run");
    // librdkafka's mock broker (2.12) neither writes transaction markers nor reports aborted
    // transactions, so the aborted messages are delivered here (a real broker filters them
    // and leaves two markers, offsets 10 and 21). What holds on both: progress ends at the
    // high watermark, where the bounded run ends, and nothing is read twice.
    let first = loaded(&dir);
    assert!(first == range(10..20) || first == range(0..20), "{first:?}");
    let high = {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &brokers)
            .create()
            .expect("consumer");
        c.fetch_watermarks(TOPIC, 0, Duration::from_secs(5))
            .expect("watermarks")
            .1
    };
    assert_eq!(next_offsets(&dir).get(&0), Some(&high));
    let cfg = config(job, &dir, Some(Until::Now), 1);
    run_within(cfg, Duration::from_secs(60)).expect("second run");
    assert_eq!(loaded(&dir), first, "a second run reads nothing again");
}

#[test]
fn committed_offsets_reach_the_consumer_group() {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let cluster = mock(2);
    let brokers = cluster.bootstrap_servers();
    let dir = scratch("group");
    produce(&brokers, 0..100, 2, 0);
    let job = job(
        &brokers,
        r#", "property.kafka_default_offsets" = "OFFSET_BEGINNING",
            "property.group.id" = "rt_events_monitor""#,
    );
    run(&job, &dir, Some(Until::Now)).expect("run");
    assert_eq!(loaded(&dir), range(0..100));
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", "rt_events_monitor")
        .create()
        .expect("consumer");
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition(TOPIC, 0);
    tpl.add_partition(TOPIC, 1);
    // The commit is asynchronous and best effort: give it a moment.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = c
            .committed_offsets(tpl.clone(), Duration::from_secs(5))
            .expect("committed");
        let offsets: Vec<_> = got.elements().iter().map(|e| e.offset()).collect();
        if offsets == vec![rdkafka::Offset::Offset(50); 2] || Instant::now() > deadline {
            assert_eq!(offsets, vec![rdkafka::Offset::Offset(50); 2]);
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn cli_run_until_now_shows_progress_and_lag() {
    let cluster = mock(2);
    let brokers = cluster.bootstrap_servers();
    let dir = scratch("cli");
    produce(&brokers, 0..100, 2, 0);
    let sql = format!(
        r#"CREATE ROUTINE LOAD app.rt_events_rl ON rt_events
PROPERTIES ("format" = "json", "max_batch_interval" = "1",
  "jsonpaths" = "[\"$.event_time\",\"$.user_id\",\"$.action\",\"$\"]", "timezone" = "UTC")
FROM KAFKA ("kafka_broker_list" = "{brokers}", "kafka_topic" = "{TOPIC}",
            "property.kafka_default_offsets" = "OFFSET_BEGINNING");"#
    );
    std::fs::write(dir.join("job.sql"), sql).expect("job");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_routinely"))
        .arg("run")
        .arg("--table")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/rt_events.table.sql"))
        .arg("--job")
        .arg(dir.join("job.sql"))
        .args(["--until", "now", "--json", "-w", "2"])
        .arg("--sink")
        .arg(format!("local:{}", dir.join("table").display()))
        .arg("--state")
        .arg(dir.join("state"))
        .output()
        .expect("routinely run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).expect("json");
    assert_eq!(summary["Progress"], r#"{"0":"49","1":"49"}"#);
    assert_eq!(summary["Lag"], r#"{"0":0,"1":0}"#);
    assert_eq!(loaded(&dir), range(0..100));
}

#[test]
fn out_of_range_pauses_the_job_and_alter_then_resume_moves_on() {
    let cluster = mock(2);
    let brokers = cluster.bootstrap_servers();
    let dir = scratch("pause-alter");
    produce(&brokers, 0..100, 2, 0);
    let job = job(
        &brokers,
        r#", "kafka_partitions" = "0,1", "kafka_offsets" = "0,500""#,
    );
    let err = run(&job, &dir, Some(Until::Now)).expect_err("past the end");
    assert!(
        err.to_string().contains("greater than kafka latest offset"),
        "{err}"
    );

    // The job is PAUSED with Doris's reason, and a paused job does not run.
    let state = routinely_pipeline::progress::ProgressStore::open_read_only(dir.join("state"))
        .expect("store")
        .state()
        .clone();
    match &state.status {
        routinely_pipeline::progress::JobStatus::Paused { reason, .. } => {
            assert!(reason.contains("partition id: 1"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let err = run(&job, &dir, Some(Until::Now)).expect_err("paused");
    assert!(matches!(err, RunError::NotRunnable(_)), "{err}");

    // ALTER is refused for a running job and accepted for a paused one; RESUME; run.
    let control =
        |sql: &str| routinely_pipeline::control::execute(&dir.join("state"), sql, Some(&job));
    control(
        r#"ALTER ROUTINE LOAD FOR app.rt_events_rl FROM KAFKA ("kafka_partitions" = "1", "kafka_offsets" = "10")"#,
    )
    .expect("alter while paused");
    control("RESUME ROUTINE LOAD FOR app.rt_events_rl").expect("resume");
    let err = control(
        r#"ALTER ROUTINE LOAD FOR app.rt_events_rl FROM KAFKA ("kafka_partitions" = "1", "kafka_offsets" = "20")"#,
    )
    .expect_err("not paused");
    assert!(err.to_string().contains("PAUSED"), "{err}");
    run(&job, &dir, Some(Until::Now)).expect("resumed run");

    // Partition 0 (even ids) whole, partition 1 (odd ids) from offset 10: ids 21, 23, ...
    let want: Vec<i64> = (0..100).filter(|id| id % 2 == 0 || *id >= 21).collect();
    assert_eq!(loaded(&dir), want);
    let ledger = routinely_pipeline::progress::ledger(dir.join("state")).expect("ledger");
    ledger.verify_tiling().expect("tiling");
    let kinds: Vec<&str> = ledger.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["PAUSED", "ALTERED", "RESUMED"]);
}

/// Reads with `reader` until `want` messages in all (into `got`) and every partition is
/// caught up, or the deadline passes; panics on a reader error.
fn read_until(
    reader: &mut KafkaReader,
    got: &mut Vec<(i32, i64)>,
    want: usize,
    within: Duration,
) -> bool {
    let deadline = Instant::now() + within;
    loop {
        let mut batch = MessageBatch::with_capacity(64, 0);
        let status = reader.read(&mut batch, 64, 1 << 20);
        assert_eq!(
            status.error,
            None,
            "reader error after {} messages",
            got.len()
        );
        got.extend(batch.iter().map(|m| (m.partition, m.offset)));
        if got.len() >= want && status.caught_up {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
    }
}

/// A reader that drained its partitions up to their end events, was paused by backpressure
/// and resumed, reads on from where it was: librdkafka's own position after a drained end
/// event is one past the end, and resuming there would be out of range (a spurious
/// `auto.offset.reset` error, the reason batch draining was once reverted).
#[test]
fn pause_at_the_end_of_partitions_then_resume_reads_on() {
    let cluster = mock(4);
    let brokers = cluster.bootstrap_servers();
    produce(&brokers, 0..200, 4, 10);
    let mut reader = KafkaReader::open(KafkaOptions {
        brokers: brokers.clone(),
        topic: TOPIC.into(),
        properties: Vec::new(),
        owns: Box::new(|_| true),
        partitions: None,
        resume: Default::default(),
        start: Default::default(),
        default_start: KafkaOffset::Beginning,
        until: None,
        refresh: Duration::from_millis(100),
    })
    .expect("reader");
    let mut got = Vec::new();
    for round in 1..=3i64 {
        assert!(
            read_until(
                &mut reader,
                &mut got,
                200 * round as usize,
                Duration::from_secs(20)
            ),
            "round {round}: {} of {} messages",
            got.len(),
            200 * round
        );
        // Several pauses while caught up: each must leave the position where it is.
        for _ in 0..3 {
            reader.backpressure(true);
            std::thread::sleep(Duration::from_millis(50));
            reader.backpressure(false);
            let mut batch = MessageBatch::with_capacity(64, 0);
            let status = reader.read(&mut batch, 64, 1 << 20);
            assert_eq!(status.error, None);
            got.extend(batch.iter().map(|m| (m.partition, m.offset)));
        }
        produce(&brokers, 200 * round..200 * (round + 1), 4, 10);
    }
    assert!(read_until(
        &mut reader,
        &mut got,
        800,
        Duration::from_secs(20)
    ));
    // Every offset of every partition exactly once, in order.
    for p in 0..4 {
        let offsets: Vec<i64> = got.iter().filter(|m| m.0 == p).map(|m| m.1).collect();
        assert_eq!(offsets, (0..200).collect::<Vec<i64>>(), "partition {p}");
    }
    let positions: Vec<(i32, i64)> = (0..4).map(|p| (p, 200)).collect();
    assert_eq!(reader.positions(), positions);
}
