//! The seed job's row path over generated event files, timed by the thread's CPU time rather
//! than the wall clock, so that other processes sharing the core skew the figure less (they
//! still share its caches): `cargo run --profile bench -p routinely-benches --example
//! cpu_row_path -- [SIZE] [PASSES]`. Prints the best pass of each case (clean, 5% drift) in
//! MB/s, for A/B comparisons of two builds run alternately.

use routinely_benches::{events_file, messages, pin_to_core0, rt_events_plan, run_row_path};
use routinely_operators::row::RowPath;

/// CPU seconds this thread has run.
fn thread_cpu_seconds() -> f64 {
    // SAFETY: clock_gettime writes only the local timespec.
    unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
        ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
    }
}

fn main() {
    routinely_pipeline::process::tune_allocator();
    pin_to_core0();
    let mut args = std::env::args().skip(1);
    let size = args.next().unwrap_or_else(|| "64M".into());
    let passes: usize = args.next().and_then(|p| p.parse().ok()).unwrap_or(5);
    for (name, drift) in [("clean", 0.0), ("drift5", 0.05)] {
        let file = events_file(&size, drift).expect("bench data");
        let data = std::fs::read(&file).expect("read");
        let msgs = messages(&data);
        let mut path = RowPath::new(rt_events_plan());
        let mut best = f64::MAX;
        for _ in 0..passes {
            let t = thread_cpu_seconds();
            std::hint::black_box(run_row_path(&mut path, &msgs, 100_000));
            best = best.min(thread_cpu_seconds() - t);
        }
        println!("{name} {:.1} MB/s", data.len() as f64 / best / 1e6);
    }
}
