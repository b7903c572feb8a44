//! The `routinely-doris-double` binary: starts the Doris test double with tables from
//! `--table` / `--table-file`, prints `fe=HOST:P be=HOST:Q` on one line once listening, and
//! serves until stdin closes (or the process is signalled).

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use routinely_doris_double::{Config, DorisDouble, FaultSpec};
use routinely_schemas::DorisVersion;

/// A Stream-Load-compatible Doris FE + BE with fault injection, for tests.
#[derive(Debug, Parser)]
#[command(name = "routinely-doris-double", version)]
struct Args {
    /// A `CREATE TABLE db.t (...)` statement (repeatable).
    #[arg(long = "table")]
    tables: Vec<String>,
    /// A file holding one `CREATE TABLE` statement (repeatable).
    #[arg(long = "table-file")]
    table_files: Vec<std::path::PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// FE HTTP port (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    fe_port: u16,
    /// BE webserver port (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    be_port: u16,
    /// Basic-auth user.
    #[arg(long, default_value = "root")]
    user: String,
    /// Basic-auth password.
    #[arg(long, default_value = "")]
    password: String,
    /// Fault seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Fault spec, e.g. `http5xx=0.05,cut=0.03,lost=0.05,slow=0.05:200`.
    #[arg(long, default_value = "")]
    faults: String,
    /// Seconds a PRECOMMITTED txn waits for its commit before it is aborted.
    #[arg(long, default_value_t = 3600)]
    precommit_timeout_s: u64,
    /// Seconds a finished label is kept.
    #[arg(long, default_value_t = 43200)]
    label_keep_s: u64,
    /// Finished labels per database beyond which the oldest are cleaned early.
    #[arg(long, default_value_t = 2000)]
    label_num_threshold: usize,
    /// Milliseconds between label clean-ups.
    #[arg(long, default_value_t = 30000)]
    clean_interval_ms: u64,
    /// Doris release whose conversion rules apply (2.1, 3.0, 4.0).
    #[arg(long, default_value = "4.0")]
    doris_version: String,
    /// Accept Utf8 JSON text for JSON columns in Arrow bodies (Doris does not).
    #[arg(long)]
    arrow_json_text: bool,
}

fn run(args: Args) -> Result<(), String> {
    let faults = FaultSpec::parse(&args.faults).map_err(|e| e.to_string())?;
    let version: DorisVersion = args.doris_version.parse().map_err(|e| format!("{e}"))?;
    let mut cfg = Config {
        host: args.host,
        fe_port: args.fe_port,
        be_port: args.be_port,
        user: args.user,
        password: args.password,
        seed: args.seed,
        faults,
        precommit_timeout: Duration::from_secs(args.precommit_timeout_s),
        label_keep: Duration::from_secs(args.label_keep_s),
        label_num_threshold: args.label_num_threshold,
        clean_interval: Duration::from_millis(args.clean_interval_ms.max(1)),
        version,
        arrow_json_text: args.arrow_json_text,
        ..Config::default()
    };
    for sql in &args.tables {
        cfg = cfg.table_sql(sql).map_err(|e| e.to_string())?;
    }
    for f in &args.table_files {
        let sql = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        cfg = cfg
            .table_sql(&sql)
            .map_err(|e| format!("{}: {e}", f.display()))?;
    }
    if cfg.tables.is_empty() {
        return Err("give at least one --table or --table-file".into());
    }
    let mut double = DorisDouble::start(cfg).map_err(|e| e.to_string())?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "fe={} be={}", double.fe_addr(), double.be_addr())
            .and_then(|_| out.flush())
            .map_err(|e| e.to_string())?;
    }
    // Serve until stdin reaches EOF (the parent dropped its end) or fails.
    let mut sink = [0u8; 1024];
    let mut stdin = std::io::stdin().lock();
    while let Ok(n) = stdin.read(&mut sink) {
        if n == 0 {
            break;
        }
    }
    double.stop();
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("routinely-doris-double: {e}");
            ExitCode::FAILURE
        }
    }
}
