//! The row path (parse → extract → coerce → Arrow) on the seed `rt_events` job over events
//! from `gen_events.py`, clean and with 5% drift, on one core; then, in the same run, the same
//! file through the simdjson floor, and the ratio.
//!
//! `RUSTFLAGS="-C target-cpu=native" cargo bench -p routinely-benches --no-default-features
//! --bench row_path` compiles like the floor (built with `-march=native`); plain
//! `cargo bench -p routinely-benches --bench row_path` measures the portable build.
//! `ROUTINELY_BENCH_BYTES` sets the file size (default 256M). Besides the row path it reports
//! its own JSON parse alone and simd-json's tape parse alone on the same messages: how much of
//! the row path is parsing, and the ceiling a row path built on simd-json would have.

use std::time::Instant;

use criterion::{Criterion, Throughput};
use routinely_benches::{
    events_file, floor_mb_per_s, messages, pin_to_core0, rt_events_plan, run_row_path,
    simd_json_tape_pass, simdjson_floor,
};
use routinely_operators::row::RowPath;

const BATCH: usize = 100_000;

fn main() {
    // As the binary does: Arrow buffers stay in the heap between batches.
    routinely_pipeline::process::tune_allocator();
    pin_to_core0();
    let size = std::env::var("ROUTINELY_BENCH_BYTES").unwrap_or_else(|_| "256M".into());
    let plan = rt_events_plan();
    let mut criterion = Criterion::default().sample_size(10).configure_from_args();
    let mut summary = Vec::new();
    for (name, drift) in [("clean", 0.0), ("drift5", 0.05)] {
        let file = events_file(&size, drift).expect("bench data (needs python3)");
        let data = std::fs::read(&file).expect("read bench data");
        let msgs = messages(&data);
        let mut path = RowPath::new(plan.clone());
        {
            let mut group = criterion.benchmark_group("row_path");
            group.throughput(Throughput::Bytes(data.len() as u64));
            group.bench_function(name, |b| b.iter(|| run_row_path(&mut path, &msgs, BATCH)));
            group.finish();
        }
        // Direct figures: best of three full passes.
        let mut best = f64::MAX;
        let mut rows = 0;
        for _ in 0..3 {
            let t = Instant::now();
            rows = run_row_path(&mut path, &msgs, BATCH);
            best = best.min(t.elapsed().as_secs_f64());
        }
        let mb_s = data.len() as f64 / best / 1e6;
        let tape_best = (0..3)
            .map(|_| simd_json_tape_pass(&msgs))
            .fold(f64::MAX, f64::min);
        let tape_mb_s = data.len() as f64 / tape_best / 1e6;
        let parse_best = (0..3)
            .map(|_| routinely_benches::parse_only_pass(&msgs))
            .fold(f64::MAX, f64::min);
        let parse_mb_s = data.len() as f64 / parse_best / 1e6;
        let floor = simdjson_floor().and_then(|exe| floor_mb_per_s(&exe, &file));
        summary.push(serde_json::json!({
            "case": name,
            "bytes": data.len(),
            "messages": msgs.len(),
            "rows_loaded": rows,
            "seconds": best,
            "mb_per_s": mb_s,
            "rows_per_s": msgs.len() as f64 / best,
            "parse_only_mb_per_s": parse_mb_s,
            "simd_json_tape_only_mb_per_s": tape_mb_s,
            "simdjson_floor_mb_per_s": floor,
            "ratio_to_floor": floor.map(|f| mb_s / f),
            "parse_only_ratio_to_floor": floor.map(|f| parse_mb_s / f),
            "tape_only_ratio_to_floor": floor.map(|f| tape_mb_s / f),
        }));
    }
    for s in &summary {
        println!("{s}");
    }
    criterion.final_summary();
}
