//! A job's lifecycle statements applied to its progress store, the job's durable truth:
//! `PAUSE`, `RESUME`, `STOP` and `ALTER ROUTINE LOAD` with Doris's state rules (only a PAUSED
//! job can be altered; STOP is final), and the effective job — its CREATE statement with the
//! recorded ALTERs applied — that every run starts from.

use std::path::Path;

use routinely_schemas::RoutineLoadJob;
use routinely_schemas::sql::{JobName, Statement, parse_statement};

use crate::progress::{JobStatus, ProgressError, ProgressState, ProgressStore, StartSpec};

/// A statement that cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The statement does not parse, or is not one this applies.
    #[error("{0}")]
    Statement(String),
    /// The statement names another job than the store's.
    #[error("the state directory holds job `{stored}`, not `{named}`")]
    OtherJob {
        /// The store's job.
        stored: String,
        /// The statement's job.
        named: String,
    },
    /// The ALTER does not validate against the job.
    #[error("{0}")]
    Alter(String),
    /// The store refused (a state rule, or I/O).
    #[error(transparent)]
    Progress(#[from] ProgressError),
}

/// The job a run starts from: `job` (its CREATE statement) with every ALTER recorded in
/// `state` applied in order.
pub fn effective_job(
    job: &RoutineLoadJob,
    state: &ProgressState,
) -> Result<RoutineLoadJob, ControlError> {
    let mut job = job.clone();
    for text in &state.alters {
        match parse_statement(text) {
            Ok(Statement::AlterRoutineLoad(alter)) => job
                .apply_alter(&alter)
                .map_err(|e| ControlError::Alter(format!("recorded `{text}`: {e}")))?,
            _ => {
                return Err(ControlError::Statement(format!(
                    "recorded ALTER `{text}` no longer parses"
                )));
            }
        }
    }
    Ok(job)
}

/// Why a job in `state` must not run, in Doris's words; `None` when it may.
pub fn not_runnable(state: &ProgressState) -> Option<String> {
    match &state.status {
        JobStatus::Runnable => None,
        JobStatus::Paused { reason, .. } => Some(format!(
            "the job is PAUSED ({reason}); RESUME ROUTINE LOAD to run it"
        )),
        JobStatus::Stopped { .. } => Some("the job is STOPPED and cannot run again".into()),
        JobStatus::Cancelled { reason, .. } => Some(format!(
            "the job is CANCELLED ({reason}) and cannot run again"
        )),
    }
}

fn check_name(named: &JobName, store: &ProgressStore) -> Result<(), ControlError> {
    let Some(id) = &store.state().identity else {
        return Ok(());
    };
    let db_ok = named
        .database
        .as_deref()
        .is_none_or(|d| id.database.is_empty() || d == id.database);
    if named.name != id.job || !db_ok {
        return Err(ControlError::OtherJob {
            stored: id.to_string(),
            named: named.to_string(),
        });
    }
    Ok(())
}

/// Applies `statement` to the job whose progress store is in `state_dir` (which must exist:
/// the job has run at least once). `job` is the job's CREATE statement, needed for ALTER.
/// Returns what happened, in a line.
pub fn execute(
    state_dir: &Path,
    statement: &str,
    job: Option<&RoutineLoadJob>,
) -> Result<String, ControlError> {
    let parsed = parse_statement(statement).map_err(|e| ControlError::Statement(e.to_string()))?;
    let identity = ProgressStore::open_read_only(state_dir)?
        .state()
        .identity
        .clone()
        .ok_or_else(|| {
            ControlError::Statement(format!(
                "{} holds no job yet: run it once first",
                state_dir.display()
            ))
        })?;
    let (mut store, _) = ProgressStore::open(state_dir, identity)?;
    match parsed {
        Statement::PauseRoutineLoad { job: Some(name) } => {
            check_name(&name, &store)?;
            store.pause("PAUSED by user")?;
            Ok(format!("job {name} is PAUSED"))
        }
        Statement::ResumeRoutineLoad { job: Some(name) } => {
            check_name(&name, &store)?;
            store.resume()?;
            Ok(format!("job {name} is runnable (NEED_SCHEDULE)"))
        }
        Statement::StopRoutineLoad { job: name } => {
            check_name(&name, &store)?;
            store.stop()?;
            Ok(format!("job {name} is STOPPED"))
        }
        Statement::AlterRoutineLoad(alter) => {
            check_name(&alter.job, &store)?;
            let Some(job) = job else {
                return Err(ControlError::Statement(
                    "ALTER needs the job's CREATE statement (--job)".into(),
                ));
            };
            if !matches!(store.state().status, JobStatus::Paused { .. }) {
                // Doris: AlterRoutineLoadCommand refuses jobs that are not PAUSED.
                return Err(ControlError::Alter(
                    "Only supports modification of PAUSED jobs".into(),
                ));
            }
            let mut altered = effective_job(job, store.state())?;
            altered
                .apply_alter(&alter)
                .map_err(|e| ControlError::Alter(e.to_string()))?;
            let offsets: Vec<(i32, StartSpec)> = alter
                .kafka_offset_changes(&altered.properties.time_zone)
                .map_err(|e| ControlError::Alter(e.to_string()))?
                .iter()
                .map(|(p, o)| (*p, StartSpec::from(o)))
                .collect();
            let moved = offsets.len();
            store.altered(statement.trim(), offsets)?;
            Ok(format!(
                "job {} altered ({moved} partition start offsets moved)",
                alter.job
            ))
        }
        Statement::PauseRoutineLoad { job: None } | Statement::ResumeRoutineLoad { job: None } => {
            Err(ControlError::Statement(
                "PAUSE / RESUME ALL ROUTINE LOAD needs a running instance; name the job".into(),
            ))
        }
        _ => Err(ControlError::Statement(
            "expected PAUSE, RESUME, STOP or ALTER ROUTINE LOAD".into(),
        )),
    }
}
