//! How fast captures are generated and replayed: generates a synthetic Arrow capture (unless
//! the file exists), then replays it with `W` readers on `W` threads, each owning the
//! partitions `p % W == w`, feeding `MessageBatch`es as the windowed source does, and prints
//! MB/s of message values per reader and in total.
//!
//! ```text
//! cargo run --release -p routinely-pipeline --example capture_bench -- FILE.arrow [SIZE] [WORKERS] [PARTITIONS]
//! ```

use std::path::PathBuf;
use std::time::Instant;

use routinely_operators::dataflow::MessageBatch;
use routinely_operators::dataflow::window::PartitionReader;
use routinely_pipeline::capture::{self, CaptureReader, GenOptions, ReaderOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = PathBuf::from(
        args.first()
            .ok_or("usage: capture_bench FILE.arrow [SIZE] [WORKERS] [PARTITIONS]")?,
    );
    let size = capture::parse_size(args.get(1).map_or("1G", String::as_str)).ok_or("bad SIZE")?;
    let workers: i32 = args.get(2).map_or(Ok(1), |w| w.parse())?;
    let partitions: u32 = args.get(3).map_or(Ok(8), |p| p.parse())?;

    if !path.exists() {
        let started = Instant::now();
        let stats = capture::generate(
            GenOptions {
                messages: None,
                bytes: Some(size),
                partitions,
                drift: 0.05,
                rate: None,
                seed: 42,
                topic: "events".into(),
            },
            &path,
        )?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "generate: {stats} in {secs:.2} s ({:.0} MB/s of values)",
            stats.value_bytes as f64 / secs / 1e6
        );
    }

    let started = Instant::now();
    let results: Vec<(u64, u64, f64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let path = path.clone();
                s.spawn(move || -> Result<(u64, u64, f64), String> {
                    let t = Instant::now();
                    let mut reader = CaptureReader::open(
                        &path,
                        ReaderOptions {
                            owns: Box::new(move |p| p % workers == w),
                            ..ReaderOptions::default()
                        },
                    )
                    .map_err(|e| e.to_string())?;
                    let (mut messages, mut bytes) = (0u64, 0u64);
                    loop {
                        let mut batch = MessageBatch::with_capacity(8192, 0);
                        let status = reader.read(&mut batch, 8192, 1 << 30);
                        messages += batch.len() as u64;
                        bytes += batch.bytes() as u64;
                        if let Some(e) = status.error {
                            return Err(e);
                        }
                        if status.finished {
                            break;
                        }
                    }
                    Ok((messages, bytes, t.elapsed().as_secs_f64()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| "reader thread panicked".to_string())?)
            .collect::<Result<Vec<_>, String>>()
    })?;
    let wall = started.elapsed().as_secs_f64();
    let mut total = 0;
    for (w, (messages, bytes, secs)) in results.iter().enumerate() {
        total += bytes;
        println!(
            "reader {w}: {messages} messages, {bytes} value bytes in {secs:.3} s = {:.0} MB/s",
            *bytes as f64 / secs / 1e6
        );
    }
    println!(
        "all {workers} readers: {total} value bytes in {wall:.3} s = {:.0} MB/s",
        total as f64 / wall / 1e6
    );
    Ok(())
}
