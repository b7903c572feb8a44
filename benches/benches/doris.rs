//! The Doris sink on loopback: an Arrow capture replayed through the seed job into the
//! project's Doris test double (in this process) by Stream Load 2PC, once per body format
//! (Arrow IPC, JSON lines, CSV), on one pipeline worker. Reports MB/s and rows/s of the run,
//! the same per second of pipeline CPU (the timely worker and the commit thread, sampled from
//! /proc, so the double's own work on the other core is not counted), and the epoch commit
//! latency (decision → every transaction committed and confirmed VISIBLE) P50 / P95 / P99.
//!
//! The seed table's JSON column is declared STRING here: Doris's Arrow reader has no JSON
//! column, and the three formats must load the same table.
//!
//! `RUSTFLAGS="-C target-cpu=native" CARGO_TARGET_DIR=target/native cargo bench -p
//! routinely-benches --no-default-features --bench doris`; `ROUTINELY_BENCH_CAPTURE_BYTES`
//! sets the capture's value bytes (default 256M); epochs are 25,000 rows.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use routinely_benches::data_dir;
use routinely_doris_double::{Config, DorisDouble};
use routinely_pipeline::capture::Pacing;
use routinely_pipeline::runtime::{self, Cluster, RunConfig, SourceSpec};
use routinely_pipeline::sink::SinkSpec;
use routinely_pipeline::sink::doris::DorisTarget;
use routinely_schemas::DorisType;
use routinely_schemas::job::LoadFormat;

/// CPU seconds of this process's threads whose name starts with one of `prefixes`, by tid.
fn thread_cpu(prefixes: &[&str], seen: &mut BTreeMap<u64, f64>) {
    // SAFETY: sysconf has no preconditions.
    let tick = match unsafe { libc::sysconf(libc::_SC_CLK_TCK) } {
        t if t > 0 => t as f64,
        _ => 100.0,
    };
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return;
    };
    for t in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        if !prefixes.iter().any(|p| comm.starts_with(p)) {
            continue;
        }
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        // After the comm: state is field 3, utime 14 and stime 15 (1-based, whole line).
        let (Some(u), Some(s)) = (fields.get(11), fields.get(12)) else {
            continue;
        };
        let cpu = (u.parse::<f64>().unwrap_or(0.0) + s.parse::<f64>().unwrap_or(0.0)) / tick;
        let tid = t.file_name().to_string_lossy().parse().unwrap_or(0);
        seen.insert(tid, cpu);
    }
}

fn main() {
    routinely_pipeline::process::tune_allocator();
    let size = std::env::var("ROUTINELY_BENCH_CAPTURE_BYTES").unwrap_or_else(|_| "256M".into());
    let (capture_path, _) = routinely_benches::bench_capture(&size);
    let (mut table, job) = routinely_benches::sample_statements();
    for c in &mut table.columns {
        if c.ty == DorisType::Json {
            c.ty = DorisType::String;
        }
    }
    let mut results = Vec::new();
    for format in [LoadFormat::Arrow, LoadFormat::Json, LoadFormat::Csv] {
        let mut doris_table = table.clone();
        doris_table.database = Some("app".into());
        let double = DorisDouble::start(Config {
            tables: vec![doris_table],
            ..Config::default()
        })
        .expect("double");
        let mut job = job.clone();
        job.properties.load_format = format;
        // Epochs of 25,000 rows (below Doris's 200,000 minimum, set here directly) give the
        // latency percentiles enough epochs.
        job.properties.max_batch_rows = 25_000;
        let state = data_dir().join(format!("doris-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state);

        // Sample the pipeline's threads while it runs.
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let done = done.clone();
            std::thread::spawn(move || {
                let mut seen = BTreeMap::new();
                while !done.load(Ordering::Relaxed) {
                    thread_cpu(&["timely:work", "routinely-commi"], &mut seen);
                    std::thread::sleep(Duration::from_millis(10));
                }
                seen.values().sum::<f64>()
            })
        };
        let report = runtime::run(RunConfig {
            table: table.clone(),
            job,
            source: SourceSpec::Capture {
                path: capture_path.clone(),
                pacing: Pacing::AsFastAsPossible,
            },
            sink: SinkSpec::Doris(DorisTarget {
                fe: double.fe_addr().to_string(),
                user: "root".into(),
                password: String::new(),
            }),
            state: state.clone(),
            cluster: Cluster::local(1),
            stop: Arc::new(AtomicBool::new(false)),
            hooks: Default::default(),
        })
        .expect("run");
        done.store(true, Ordering::Relaxed);
        let pipeline_cpu = sampler.join().unwrap_or(0.0);
        let _ = std::fs::remove_dir_all(&state);
        let rows_in_doris = double
            .rows("app", "rt_events")
            .map_or(0, |r| r.len() as u64);
        assert_eq!(rows_in_doris, report.counts.loaded, "every row once");
        let secs = report.elapsed.as_secs_f64();
        let mb = report.counts.bytes as f64 / 1e6;
        let h = &report.commit_latency_us;
        let q = |p: f64| h.value_at_quantile(p) as f64 / 1000.0;
        println!(
            "doris/{}: {:.1} MB/s, {:.0} rows/s; per pipeline CPU second {:.1} MB, {:.0} rows; \
             {} epochs, commit latency ms P50 {:.1} P95 {:.1} P99 {:.1}",
            format.as_str(),
            mb / secs,
            report.counts.loaded as f64 / secs,
            mb / pipeline_cpu.max(1e-9),
            report.counts.loaded as f64 / pipeline_cpu.max(1e-9),
            report.committed.len(),
            q(0.5),
            q(0.95),
            q(0.99),
        );
        results.push(serde_json::json!({
            "format": format.as_str(),
            "bytes": report.counts.bytes,
            "rows": report.counts.loaded,
            "seconds": secs,
            "mb_per_s": mb / secs,
            "rows_per_s": report.counts.loaded as f64 / secs,
            "pipeline_cpu_seconds": pipeline_cpu,
            "mb_per_pipeline_core_s": mb / pipeline_cpu.max(1e-9),
            "rows_per_pipeline_core_s": report.counts.loaded as f64 / pipeline_cpu.max(1e-9),
            "epochs": report.committed.len(),
            "commit_ms_p50": q(0.5),
            "commit_ms_p95": q(0.95),
            "commit_ms_p99": q(0.99),
        }));
    }
    println!(
        "{:#}",
        serde_json::json!({ "capture": capture_path.file_name().map(|n| n.to_string_lossy().into_owned()), "runs": results })
    );
}
