//! Support for routinely's benchmarks: the bench data (generated with
//! `../shared/bench-limit/gen_events.py`), the simdjson floor (built from
//! `../shared/bench-limit/simdjson_extract.cpp`), pinning to one core, and the seed job.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use routinely_operators::row::{LoadPlan, Message, RowPath};
use routinely_schemas::sql::{Statement, parse_create_table, parse_statement};

/// The seed example's table.
pub const RT_EVENTS_TABLE: &str = "CREATE TABLE rt_events (
  event_time DATETIME, user_id BIGINT, action VARCHAR(32), attr_json JSON
) DUPLICATE KEY(event_time, user_id) DISTRIBUTED BY HASH(user_id) BUCKETS 32;";

/// The seed example's job (with an explicit UTC time zone so results do not depend on the
/// machine).
pub const RT_EVENTS_JOB: &str = r#"CREATE ROUTINE LOAD app.rt_events_rl ON rt_events
PROPERTIES (
  "desired_concurrent_number" = "8", "max_batch_interval" = "10",
  "max_batch_rows" = "500000", "max_batch_size" = "536870912",
  "format" = "json",
  "jsonpaths" = "[\"$.event_time\",\"$.user_id\",\"$.action\",\"$\"]",
  "strict_mode" = "false", "timezone" = "UTC"
)
FROM KAFKA ("kafka_broker_list" = "broker1:9092", "kafka_topic" = "events",
            "property.kafka_default_offsets" = "OFFSET_BEGINNING");"#;

/// The seed job's plan.
pub fn rt_events_plan() -> Arc<LoadPlan> {
    let table = parse_create_table(RT_EVENTS_TABLE).expect("seed table parses");
    let Ok(Statement::CreateRoutineLoad(job)) = parse_statement(RT_EVENTS_JOB) else {
        panic!("seed job parses");
    };
    Arc::new(LoadPlan::new(&table, &job).expect("seed job plans"))
}

/// The seed job's statements as shipped with the binary (`pipeline/samples/`).
pub fn sample_statements() -> (
    routinely_schemas::TableSchema,
    routinely_schemas::RoutineLoadJob,
) {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pipeline/samples");
    let table = parse_create_table(
        &std::fs::read_to_string(samples.join("rt_events.table.sql")).expect("table sql"),
    )
    .expect("table");
    let job = match parse_statement(
        &std::fs::read_to_string(samples.join("rt_events.job.sql")).expect("job sql"),
    ) {
        Ok(Statement::CreateRoutineLoad(job)) => job,
        other => panic!("seed job: {other:?}"),
    };
    (table, job)
}

/// The workspace's `shared/` directory (beside the repository).
pub fn shared_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::var_os("ROUTINELY_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../shared"))
}

/// Where generated bench data goes.
pub fn data_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The Arrow capture `name` under [`data_dir`] of about `size` value bytes over
/// `partitions` partitions (`routinely gen`'s generator, seed 42), generated once.
pub fn generated_capture(size: &str, partitions: u32, name: &str) -> PathBuf {
    use routinely_pipeline::capture::{self, GenOptions};
    let bytes = capture::parse_size(size).expect("capture size");
    let path = data_dir().join(name);
    if !path.exists() {
        let tmp = path.with_extension("tmp.arrow");
        let stats = capture::generate(
            GenOptions {
                messages: None,
                bytes: Some(bytes),
                partitions,
                drift: 0.0,
                rate: None,
                seed: 42,
                topic: "events".into(),
            },
            &tmp,
        )
        .expect("generate capture");
        std::fs::rename(&tmp, &path).expect("rename capture");
        eprintln!("{stats}");
    }
    path
}

/// The 8-partition Arrow capture of about `size` value bytes ([`generated_capture`]) and an
/// NDJSON file of its values for the floor.
pub fn bench_capture(size: &str) -> (PathBuf, PathBuf) {
    use std::io::Write as _;
    let capture_path = generated_capture(size, 8, &format!("capture_{size}.arrow"));
    let values = data_dir().join(format!("capture_{size}.values.ndjson"));
    if !values.exists() {
        let tmp = values.with_extension("tmp");
        let mut out = std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(&tmp).expect("values"),
        );
        for m in routinely_pipeline::capture::messages(&capture_path).expect("read capture") {
            let m = m.expect("capture message");
            out.write_all(m.value.as_deref().unwrap_or_default())
                .and_then(|()| out.write_all(b"\n"))
                .expect("write values");
        }
        out.flush().expect("flush values");
        drop(out);
        std::fs::rename(&tmp, &values).expect("rename values");
    }
    (capture_path, values)
}

/// Generates (once) an NDJSON event file of about `bytes` bytes with `drift` type drift.
pub fn events_file(bytes: &str, drift: f64) -> std::io::Result<PathBuf> {
    let path = data_dir().join(format!("events_{bytes}_drift{drift}.ndjson"));
    if path.exists() {
        return Ok(path);
    }
    let script = shared_dir().join("bench-limit/gen_events.py");
    let status = Command::new("python3")
        .arg(&script)
        .args([
            "--bytes",
            bytes,
            "--seed",
            "42",
            "--drift",
            &drift.to_string(),
            "--out",
        ])
        .arg(&path)
        .status()?;
    if !status.success() {
        return Err(std::io::Error::other(format!(
            "{} failed",
            script.display()
        )));
    }
    Ok(path)
}

/// Builds (once) the simdjson floor program; `None` when g++ or libsimdjson is missing.
pub fn simdjson_floor() -> Option<PathBuf> {
    let exe = data_dir().join("simdjson_extract");
    if exe.exists() {
        return Some(exe);
    }
    let src = shared_dir().join("bench-limit/simdjson_extract.cpp");
    let status = Command::new("g++")
        .args(["-std=c++17", "-O3", "-march=native", "-DNDEBUG"])
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .arg("-lsimdjson")
        .status()
        .ok()?;
    status.success().then_some(exe)
}

/// Runs the simdjson floor on `file` (pinned to CPU 0) and returns its best MB/s.
pub fn floor_mb_per_s(exe: &Path, file: &Path) -> Option<f64> {
    let out = Command::new("taskset")
        .args(["-c", "0"])
        .arg(exe)
        .arg(file)
        .args(["--repeat", "3"])
        .output()
        .or_else(|_| Command::new(exe).arg(file).args(["--repeat", "3"]).output())
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter_map(|l| l.split("MB/s=").nth(1))
        .filter_map(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .reduce(f64::max)
}

/// Pins the calling thread to CPU 0, so figures are per core.
pub fn pin_to_core0() {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET and sched_setaffinity only read
    // and write that local set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// The lines of an NDJSON file, each one message.
pub fn messages(data: &[u8]) -> Vec<&[u8]> {
    data.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

/// Runs every message through the row path in batches of `batch` messages; returns the
/// number of loaded rows.
pub fn run_row_path(path: &mut RowPath, msgs: &[&[u8]], batch: usize) -> u64 {
    let mut loaded = 0;
    for (n, chunk) in msgs.chunks(batch).enumerate() {
        path.begin_batch(1_700_000_000_000_000 + n as i64);
        for (i, m) in chunk.iter().enumerate() {
            path.push(Message {
                partition: 0,
                offset: (n * batch + i) as i64,
                value: m,
            });
        }
        loaded += path.finish().counts.loaded;
    }
    loaded
}

/// simd-json alone: every message copied into a padded buffer and parsed onto a tape, as
/// the row path's parse step does, with nothing extracted. The ceiling any simd-json-based
/// row path can reach on this data. Returns seconds for one pass.
pub fn simd_json_tape_pass(msgs: &[&[u8]]) -> f64 {
    let mut buffers = simd_json::Buffers::default();
    let mut scratch: Vec<u8> = Vec::new();
    let mut tape = simd_json::Tape(Vec::new());
    let mut nodes = 0usize;
    let t = std::time::Instant::now();
    for m in msgs {
        scratch.clear();
        scratch.extend_from_slice(m);
        scratch.resize(m.len() + simd_json::INPUT_PADDING, 0);
        let mut tp = tape.reset();
        if simd_json::fill_tape_padded(&mut scratch, m.len(), &mut buffers, &mut tp).is_ok() {
            nodes += tp.0.len();
        }
        tape = tp.reset();
    }
    let secs = t.elapsed().as_secs_f64();
    std::hint::black_box(nodes);
    secs
}

/// The row path's own JSON parser alone (full validation and the span tape, nothing
/// extracted). Returns seconds for one pass.
pub fn parse_only_pass(msgs: &[&[u8]]) -> f64 {
    let t = std::time::Instant::now();
    let ok = routinely_operators::row::parse_json_only(msgs);
    let secs = t.elapsed().as_secs_f64();
    std::hint::black_box(ok);
    secs
}
