//! Runs the seed job's row path over a generated event file in a loop, for profilers:
//! `cargo run --release -p routinely-benches --example profile_row_path -- [SIZE] [PASSES] [row]`.

use std::time::Instant;

use routinely_benches::{events_file, messages, pin_to_core0, rt_events_plan, run_row_path};
use routinely_operators::row::RowPath;

fn main() {
    routinely_pipeline::process::tune_allocator();
    pin_to_core0();
    let mut args = std::env::args().skip(1);
    let size = args.next().unwrap_or_else(|| "64M".into());
    let passes: usize = args.next().and_then(|p| p.parse().ok()).unwrap_or(5);
    // `row` as the third argument skips the parse-only comparisons (a cleaner profile).
    let row_only = args.next().as_deref() == Some("row");
    let file = events_file(&size, 0.0).expect("bench data");
    let data = std::fs::read(&file).expect("read");
    let msgs = messages(&data);
    let mut path = RowPath::new(rt_events_plan());
    for _ in 0..passes {
        let t = Instant::now();
        let rows = run_row_path(&mut path, &msgs, 100_000);
        let s = t.elapsed().as_secs_f64();
        if row_only {
            println!("{rows} rows, {:.1} MB/s", data.len() as f64 / s / 1e6);
            continue;
        }
        let p = routinely_benches::parse_only_pass(&msgs);
        let j = routinely_benches::simd_json_tape_pass(&msgs);
        println!(
            "{rows} rows, {:.1} MB/s; parse alone {:.1} MB/s; simd-json tape alone {:.1} MB/s",
            data.len() as f64 / s / 1e6,
            data.len() as f64 / p / 1e6,
            data.len() as f64 / j / 1e6
        );
    }
}
