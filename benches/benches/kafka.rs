//! Live Kafka through the whole dataflow against kcat, in one run: a topic of at least 1 GB
//! (256 partitions, the clickstream of `routinely gen`) on librdkafka's mock cluster, consumed by
//! the seed job (rdkafka source → row path → coerced Arrow → null sink, epochs decided and
//! committed through a real progress store, bounded at the high watermarks), then
//! `kcat -C -e -o beginning` of the same topic to /dev/null. Prints both MB/s (message value
//! bytes per second) and the ratio; the target is at least 0.9× kcat.
//!
//!
//! Each figure also comes with the CPU time it took per GB of values (this process's, whose
//! threads include the mock broker, plus kcat's own for kcat): on a shared machine the wall
//! clock moves with other load, the CPU per GB much less.
//!
//! `RUSTFLAGS="-C target-cpu=native" CARGO_TARGET_DIR=target/native cargo bench -p
//! routinely-benches --no-default-features --bench kafka`; `ROUTINELY_BENCH_KAFKA_BYTES` sets the
//! topic's size (default 1G). Needs `kcat` (scripts/deps.sh installs it).

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use rdkafka::mocking::MockCluster;
use routinely_benches::data_dir;
use routinely_pipeline::kafka::Until;
use routinely_pipeline::runtime::{self, Cluster, RunConfig, SourceSpec};
use routinely_pipeline::sink::SinkSpec;
use routinely_pipeline::topic::{ProduceOptions, produce};

/// librdkafka's mock cluster keeps at most 5 MiB (and 100 000 messages) per partition and
/// drops older messages beyond that, as retention would: 256 partitions hold a 1 GB topic.
const PARTITIONS: u32 = 256;

fn main() {
    routinely_pipeline::process::tune_allocator();
    let size = std::env::var("ROUTINELY_BENCH_KAFKA_BYTES").unwrap_or_else(|_| "1G".into());
    let capture_path = routinely_benches::generated_capture(
        &size,
        PARTITIONS,
        &format!("capture_{size}_{PARTITIONS}p.arrow"),
    );

    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster
        .create_topic("events", PARTITIONS as i32, 1)
        .expect("topic");
    let brokers = cluster.bootstrap_servers();
    let t = Instant::now();
    let produced = produce(
        &capture_path,
        &ProduceOptions {
            brokers: brokers.clone(),
            topic: "events".into(),
            properties: Vec::new(),
            flush_timeout: Duration::from_secs(600),
        },
    )
    .expect("produce");
    eprintln!(
        "produced {} messages, {} value bytes in {:.1} s",
        produced.messages,
        produced.value_bytes,
        t.elapsed().as_secs_f64()
    );

    let (table, job) = routinely_benches::sample_statements();
    let mut runs = Vec::new();
    for workers in [1usize, 2] {
        let cpu = cpu_seconds(libc::RUSAGE_SELF);
        let state = data_dir().join(format!("kafka-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state);
        let report = runtime::run(RunConfig {
            table: table.clone(),
            job: job.clone(),
            source: SourceSpec::Kafka {
                brokers: Some(brokers.clone()),
                until: Some(Until::Now),
            },
            sink: SinkSpec::Null { rate: None },
            state: state.clone(),
            cluster: Cluster::local(workers),
            stop: Arc::new(AtomicBool::new(false)),
            hooks: Default::default(),
        })
        .expect("run");
        let _ = std::fs::remove_dir_all(&state);
        assert_eq!(
            report.counts.total, produced.messages,
            "every message loaded once"
        );
        let cpu_per_gb =
            (cpu_seconds(libc::RUSAGE_SELF) - cpu) / (report.counts.bytes as f64 / 1e9);
        let secs = report.elapsed.as_secs_f64();
        let mb_s = report.counts.bytes as f64 / secs / 1e6;
        println!(
            "kafka/{workers}w: {mb_s:.1} MB/s, {:.0} rows/s, {} epochs, {cpu_per_gb:.2} CPU s/GB",
            report.counts.loaded as f64 / secs,
            report.committed.len()
        );
        runs.push((workers, mb_s, secs, report.counts.bytes, cpu_per_gb));
    }

    // kcat: the same topic, from the beginning to the end, values to /dev/null.
    let cpu = cpu_seconds(libc::RUSAGE_SELF) + cpu_seconds(libc::RUSAGE_CHILDREN);
    let t = Instant::now();
    let status = Command::new("kcat")
        .args([
            "-C",
            "-b",
            &brokers,
            "-t",
            "events",
            "-o",
            "beginning",
            "-e",
            "-q",
        ])
        .stdout(Stdio::null())
        .status()
        .expect("kcat (scripts/deps.sh installs it)");
    assert!(status.success(), "kcat failed");
    let kcat_secs = t.elapsed().as_secs_f64();
    let kcat_cpu_per_gb = (cpu_seconds(libc::RUSAGE_SELF) + cpu_seconds(libc::RUSAGE_CHILDREN)
        - cpu)
        / (produced.value_bytes as f64 / 1e9);
    let kcat_mb_s = produced.value_bytes as f64 / kcat_secs / 1e6;
    println!("kcat: {kcat_mb_s:.1} MB/s, {kcat_cpu_per_gb:.2} CPU s/GB");

    let summary = serde_json::json!({
        "topic_value_bytes": produced.value_bytes,
        "messages": produced.messages,
        "partitions": PARTITIONS,
        "kcat_mb_per_s": kcat_mb_s,
        "kcat_seconds": kcat_secs,
        "kcat_cpu_s_per_gb": kcat_cpu_per_gb,
        "runs": runs.iter().map(|(w, mb, s, b, cpu)| serde_json::json!({
            "workers": w, "mb_per_s": mb, "seconds": s, "bytes": b,
            "ratio_to_kcat": mb / kcat_mb_s,
            "cpu_s_per_gb": cpu,
        })).collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&summary).expect("json"));
}

/// User and system CPU seconds of `who` (`RUSAGE_SELF`: this process, all threads;
/// `RUSAGE_CHILDREN`: its waited-for children).
fn cpu_seconds(who: libc::c_int) -> f64 {
    // SAFETY: getrusage writes one `rusage` into the zeroed value it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(who, &mut usage) != 0 {
            return 0.0;
        }
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}
