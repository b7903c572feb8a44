//! The whole dataflow on a replayed capture: Arrow capture → windowed source → row path
//! (coerced Arrow) → null sink, with epochs decided and committed through a real progress
//! store, on 1 and 2 timely workers; then, in the same run, the simdjson floor over the same
//! message values, and the ratios.
//!
//! `RUSTFLAGS="-C target-cpu=native" CARGO_TARGET_DIR=target/native cargo bench -p
//! routinely-benches --no-default-features --bench dataflow` compiles like the floor (built
//! with `-march=native`). `ROUTINELY_BENCH_CAPTURE_BYTES` sets the capture's value bytes
//! (default 1G). The capture is generated once by `routinely gen`'s generator (the shape of
//! `gen_events.py`, 8 partitions) and kept under `target/bench-data/`.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use routinely_benches::{data_dir, floor_mb_per_s, simdjson_floor};
use routinely_pipeline::capture::Pacing;
use routinely_pipeline::runtime::{self, Cluster, RunConfig, SourceSpec};
use routinely_pipeline::sink::SinkSpec;

fn main() {
    // As the binary does: Arrow buffers stay in the heap between batches.
    routinely_pipeline::process::tune_allocator();
    let size = std::env::var("ROUTINELY_BENCH_CAPTURE_BYTES").unwrap_or_else(|_| "1G".into());
    let (capture_path, values) = routinely_benches::bench_capture(&size);
    let (table, job) = routinely_benches::sample_statements();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let mut results = Vec::new();
    for workers in [1usize, 2] {
        let mut best: Option<(f64, runtime::RunReport)> = None;
        for _ in 0..2 {
            let state = data_dir().join(format!("dataflow-state-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&state);
            let report = runtime::run(RunConfig {
                table: table.clone(),
                job: job.clone(),
                source: SourceSpec::Capture {
                    path: capture_path.clone(),
                    pacing: Pacing::AsFastAsPossible,
                },
                sink: SinkSpec::Null { rate: None },
                state: state.clone(),
                cluster: Cluster::local(workers),
                stop: Arc::new(AtomicBool::new(false)),
                hooks: Default::default(),
            })
            .expect("run");
            let _ = std::fs::remove_dir_all(&state);
            let mb_s = report.counts.bytes as f64 / report.elapsed.as_secs_f64() / 1e6;
            if best.as_ref().is_none_or(|(b, _)| mb_s > *b) {
                best = Some((mb_s, report));
            }
        }
        let Some((mb_s, report)) = best else { continue };
        let secs = report.elapsed.as_secs_f64();
        let sum = |f: fn(&runtime::StageTimes) -> std::time::Duration| {
            report
                .stages
                .iter()
                .map(|s| f(s).as_secs_f64())
                .sum::<f64>()
        };
        println!(
            "dataflow/{workers}w: {mb_s:.1} MB/s ({:.1} MB/s per worker), {:.0} rows/s, {} epochs, \
             stages (s, summed over workers): read {:.2} blocked {:.2} row path {:.2} sink {:.2}",
            mb_s / workers as f64,
            report.counts.loaded as f64 / secs,
            report.committed.len(),
            sum(|s| s.read),
            sum(|s| s.blocked),
            sum(|s| s.coerce),
            sum(|s| s.load),
        );
        results.push((
            workers,
            mb_s,
            report.counts.bytes,
            report.counts.loaded,
            secs,
        ));
    }

    let floor = simdjson_floor().and_then(|exe| floor_mb_per_s(&exe, &values));
    let one = results.iter().find(|r| r.0 == 1).map(|r| r.1);
    let two = results.iter().find(|r| r.0 == 2).map(|r| r.1);
    let summary = serde_json::json!({
        "capture": capture_path.file_name().map(|n| n.to_string_lossy().into_owned()),
        "cores": cores,
        "floor_mb_per_s": floor,
        "runs": results.iter().map(|(w, mb, bytes, rows, secs)| serde_json::json!({
            "workers": w,
            "bytes": bytes,
            "rows": rows,
            "seconds": secs,
            "mb_per_s": mb,
            "mb_per_s_per_worker": mb / *w as f64,
            "ratio_to_floor": floor.map(|f| mb / f),
        })).collect::<Vec<_>>(),
        "one_worker_ratio_to_floor": floor.zip(one).map(|(f, o)| o / f),
        "two_workers_over_one": one.zip(two).map(|(o, t)| t / o),
    });
    println!("{summary:#}");
    if floor.is_none() {
        eprintln!(
            "simdjson floor unavailable: install g++ and libsimdjson-dev for the ratio (see ../shared/bench-limit)"
        );
    }
}
