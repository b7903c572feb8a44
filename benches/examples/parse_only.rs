//! The row path's JSON parse alone over a generated event file, for profilers and for
//! comparing parser changes by cycle counts (`perf stat`), which a shared machine's wall time
//! is too noisy for: `cargo run --release -p routinely-benches --example parse_only -- [SIZE]
//! [PASSES]`.

use routinely_benches::{events_file, messages, pin_to_core0};

fn main() {
    pin_to_core0();
    let mut args = std::env::args().skip(1);
    let size = args.next().unwrap_or_else(|| "64M".into());
    let passes: usize = args.next().and_then(|p| p.parse().ok()).unwrap_or(5);
    let file = events_file(&size, 0.0).expect("bench data");
    let data = std::fs::read(&file).expect("read");
    let msgs = messages(&data);
    let mut best = f64::MAX;
    for _ in 0..passes {
        best = best.min(routinely_benches::parse_only_pass(&msgs));
    }
    println!(
        "parse alone, best of {passes}: {:.1} MB/s",
        data.len() as f64 / best / 1e6
    );
}
