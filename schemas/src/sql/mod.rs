//! Parsers for the statements routinely understands: `CREATE TABLE` and the routine load
//! family (`CREATE / ALTER / PAUSE / RESUME / STOP / SHOW ROUTINE LOAD`). Statements are
//! tokenized with `sqlparser`'s tokenizer and walked by hand, because Doris's clauses are
//! not standard SQL; every embedded expression is handed to `sqlparser`'s expression parser.
//!
//! Layout: `lexer` (tokens, Doris string and separator decoding), `dialect` (the
//! `sqlparser` dialect), `cursor` (token walking, property lists, expression extraction),
//! `types` ([`parse_type`]), `create_table` ([`parse_create_table`]), `routine_load` (the
//! routine load statements and [`parse_statement`]), `print` (`to_sql` for tables and jobs),
//! `error` ([`SqlError`]). Semantic rules of a job live in [`crate::job`].
//!
//! Entry points: [`parse_statement`] / [`parse_statements`] for any supported statement,
//! [`parse_create_table`] and [`parse_type`] for tables and types. Errors carry the 1-based
//! line and column of the offending token; rule violations carry Doris's message text.

mod create_table;
mod cursor;
mod dialect;
mod error;
mod lexer;
mod print;
mod routine_load;
mod types;

use std::fmt;

pub use create_table::parse_create_table;
pub use dialect::DorisDialect;
pub use error::{SqlError, SqlErrorKind, TableError};
pub use routine_load::{parse_statement, parse_statements};
pub use types::parse_type;

use crate::job::{LoadClauses, RoutineLoadJob};
use crate::table::TableSchema;

/// A routine load job name: `[db.]name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobName {
    /// The database, when the name was qualified.
    pub database: Option<String>,
    /// The job name.
    pub name: String,
}

impl fmt::Display for JobName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.database {
            Some(db) => write!(f, "{db}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A parsed statement.
// The job variants are large, but statements are parsed once per command, not per row.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `CREATE TABLE`.
    CreateTable(TableSchema),
    /// `CREATE ROUTINE LOAD`, validated, with defaults filled in.
    CreateRoutineLoad(RoutineLoadJob),
    /// `ALTER ROUTINE LOAD`, validated as far as possible without the job; apply it with
    /// [`RoutineLoadJob::apply_alter`].
    AlterRoutineLoad(AlterRoutineLoad),
    /// `PAUSE ROUTINE LOAD FOR job` / `PAUSE ALL ROUTINE LOAD` (`job: None`).
    PauseRoutineLoad {
        /// The job; `None` for ALL.
        job: Option<JobName>,
    },
    /// `RESUME ROUTINE LOAD FOR job` / `RESUME ALL ROUTINE LOAD` (`job: None`).
    ResumeRoutineLoad {
        /// The job; `None` for ALL.
        job: Option<JobName>,
    },
    /// `STOP ROUTINE LOAD FOR job`.
    StopRoutineLoad {
        /// The job.
        job: JobName,
    },
    /// `SHOW [ALL] ROUTINE LOAD [FOR job | LIKE 'pattern']`.
    ShowRoutineLoad {
        /// `ALL`: include STOPPED and CANCELLED jobs.
        all: bool,
        /// `FOR job`.
        job: Option<JobName>,
        /// `LIKE 'pattern'` (a SQL LIKE pattern on the job name).
        like: Option<String>,
    },
    /// `SHOW ROUTINE LOAD TASK [FROM | IN db] WHERE JobName = "x"`.
    ShowRoutineLoadTask {
        /// `FROM db` / `IN db`.
        database: Option<String>,
        /// The job name in the WHERE clause.
        job_name: String,
    },
    /// `SHOW [ALL] CREATE ROUTINE LOAD FOR job`.
    ShowCreateRoutineLoad {
        /// `ALL`.
        all: bool,
        /// The job.
        job: JobName,
    },
}

/// `ALTER ROUTINE LOAD FOR job [load clauses] [PROPERTIES (...)] [FROM KAFKA (...)]`.
/// `Debug` masks credentials in the FROM KAFKA list ([`crate::mask`]).
#[derive(Clone, PartialEq)]
pub struct AlterRoutineLoad {
    /// The job.
    pub job: JobName,
    /// Load clauses to replace (4.x); unset clauses stay as they are.
    pub load: LoadClauses,
    /// PROPERTIES as written (keys trimmed), in order.
    pub properties: Vec<(String, String)>,
    /// FROM KAFKA keys as written, in order.
    pub kafka: Vec<(String, String)>,
}

impl fmt::Debug for AlterRoutineLoad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlterRoutineLoad")
            .field("job", &self.job)
            .field("load", &self.load)
            .field("properties", &self.properties)
            .field("kafka", &crate::mask::mask_pairs(&self.kafka))
            .finish()
    }
}
