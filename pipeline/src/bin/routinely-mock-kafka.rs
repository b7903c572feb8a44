//! `routinely-mock-kafka`: librdkafka's mock cluster (the real Kafka protocol over TCP on
//! 127.0.0.1) kept serving in its own process, for tests and demos that drive the `routinely`
//! binary or kcat against a broker. It prints `bootstrap=HOST:PORT,...` on stdout (and into
//! `--bootstrap-file`) once it serves, then takes commands on stdin, one per line:
//! `topic NAME PARTITIONS`, `down BROKER_ID`, `up BROKER_ID`, `quit`. End of input quits.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rdkafka::mocking::MockCluster;

#[derive(Parser)]
#[command(
    name = "routinely-mock-kafka",
    about = "A librdkafka mock Kafka cluster on 127.0.0.1"
)]
struct Cli {
    /// Brokers in the cluster (ids 1..=N).
    #[arg(long, default_value_t = 1)]
    brokers: i32,
    /// A topic to create, NAME:PARTITIONS (repeatable).
    #[arg(long = "topic", value_name = "NAME:PARTITIONS")]
    topics: Vec<String>,
    /// Also write the bootstrap servers into this file (written whole, then renamed).
    #[arg(long)]
    bootstrap_file: Option<PathBuf>,
}

fn create_topic<C: rdkafka::ClientContext>(
    cluster: &MockCluster<'_, C>,
    name: &str,
    partitions: &str,
) -> Result<(), String> {
    let n: i32 = partitions
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("partitions `{partitions}` is not a positive number"))?;
    cluster
        .create_topic(name, n, 1)
        .map_err(|e| format!("creating topic `{name}`: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cluster = match MockCluster::new(cli.brokers.max(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("routinely-mock-kafka: starting the cluster: {e}");
            return ExitCode::from(1);
        }
    };
    for t in &cli.topics {
        let result = match t.rsplit_once(':') {
            Some((name, parts)) if !name.is_empty() => create_topic(&cluster, name, parts),
            _ => Err(format!("--topic `{t}`: expected NAME:PARTITIONS")),
        };
        if let Err(e) = result {
            eprintln!("routinely-mock-kafka: {e}");
            return ExitCode::from(2);
        }
    }
    let bootstrap = cluster.bootstrap_servers();
    if let Some(path) = &cli.bootstrap_file {
        let tmp = path.with_extension("partial");
        if let Err(e) = std::fs::write(&tmp, &bootstrap).and_then(|()| std::fs::rename(&tmp, path))
        {
            eprintln!("routinely-mock-kafka: writing {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    println!("bootstrap={bootstrap}");
    let _ = std::io::stdout().flush();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        let result = match words.as_slice() {
            [] => Ok(()),
            ["quit"] => break,
            ["topic", name, parts] => create_topic(&cluster, name, parts),
            ["down", id] | ["up", id] => match id.parse::<i32>() {
                Ok(id) if words[0] == "down" => cluster
                    .broker_down(id)
                    .map_err(|e| format!("down {id}: {e}")),
                Ok(id) => cluster.broker_up(id).map_err(|e| format!("up {id}: {e}")),
                Err(_) => Err(format!("`{id}` is not a broker id")),
            },
            _ => Err(format!(
                "unknown command `{line}`: expected topic NAME PARTITIONS, down ID, up ID or quit"
            )),
        };
        match result {
            Ok(()) => println!("ok"),
            Err(e) => println!("error: {e}"),
        }
        let _ = std::io::stdout().flush();
    }
    ExitCode::SUCCESS
}
