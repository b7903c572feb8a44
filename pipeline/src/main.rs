//! The `routinely` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use routinely_pipeline::messages::{MessagesFormat, read_messages};
use routinely_pipeline::{preview, show};

/// Doris Routine Load, outside Doris.
#[derive(Parser)]
#[command(name = "routinely", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Shows what a job would load from sample messages, and why any row is filtered.
    Preview(PreviewArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// The MySQL client's boxed table.
    Table,
    /// The MySQL client's vertical (\G) form.
    Vertical,
    /// One JSON object: rows, counts and errors.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum InputFormat {
    /// One message per line.
    Lines,
    /// kcat -J envelopes.
    Kcat,
}

#[derive(clap::Args)]
struct PreviewArgs {
    /// File holding the CREATE TABLE statement.
    #[arg(long)]
    table: PathBuf,
    /// File holding the CREATE ROUTINE LOAD statement.
    #[arg(long)]
    job: PathBuf,
    /// Messages: one per line, or a kcat -J capture (detected from the content).
    #[arg(long)]
    messages: PathBuf,
    /// Force the message file's format.
    #[arg(long, value_enum)]
    messages_format: Option<InputFormat>,
    /// How to print the result.
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// How many filtered rows to list in the text forms.
    #[arg(long, default_value_t = 10)]
    max_errors: usize,
}

/// Failures that mean "your input is wrong" (exit 2), as opposed to a crash.
struct UserError(anyhow::Error);

fn run_preview(args: PreviewArgs) -> Result<(), UserError> {
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p)
            .with_context(|| format!("cannot read {}", p.display()))
            .map_err(UserError)
    };
    let table_sql = read(&args.table)?;
    let job_sql = read(&args.job)?;
    let (plan, warnings) = preview::plan(&table_sql, &job_sql).map_err(|e| UserError(e.into()))?;
    let forced = args.messages_format.map(|f| match f {
        InputFormat::Lines => MessagesFormat::Lines,
        InputFormat::Kcat => MessagesFormat::Kcat,
    });
    let (_, messages) = read_messages(&args.messages, forced).map_err(|e| UserError(e.into()))?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let result = preview::preview(plan, warnings, &messages);
    let text = match args.format {
        OutputFormat::Json => format!("{}\n", result.to_json()),
        OutputFormat::Table => format!(
            "{}\n{}",
            show::table(&result.columns, &result.rows),
            result.summary(args.max_errors)
        ),
        OutputFormat::Vertical => format!(
            "{}\n{}",
            show::vertical(&result.columns, &result.rows),
            result.summary(args.max_errors)
        ),
    };
    write_stdout(&text);
    Ok(())
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
fn write_stdout(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Preview(args) => run_preview(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(UserError(e)) => {
            eprintln!("routinely: {e:#}");
            ExitCode::from(2)
        }
    }
}
