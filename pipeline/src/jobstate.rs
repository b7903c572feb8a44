//! Doris's routine load job states and the rules around them, as pure functions: the five
//! states and which transitions Doris allows, `InternalErrorCode` and the `ErrorReason` text
//! shown as `ReasonOfStateChanged`, the auto-resume schedule (`ScheduleRule`), and the
//! error-row window behind `max_error_number` / `max_filter_ratio` (doris-spec.md §2).

use std::fmt;

use routinely_operators::row::RowCounts;
use serde::{Deserialize, Serialize};

/// A job's state, as `SHOW ROUTINE LOAD` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    /// Created or resumed, waiting to be scheduled.
    NeedSchedule,
    /// Tasks (here: a run) are executing.
    Running,
    /// Not running; progress kept; RESUME or ALTER possible.
    Paused,
    /// Stopped by the user; final.
    Stopped,
    /// Stopped by the system on an unrecoverable error; final.
    Cancelled,
}

impl JobState {
    /// Doris's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            JobState::NeedSchedule => "NEED_SCHEDULE",
            JobState::Running => "RUNNING",
            JobState::Paused => "PAUSED",
            JobState::Stopped => "STOPPED",
            JobState::Cancelled => "CANCELLED",
        }
    }

    /// STOPPED and CANCELLED never change again.
    pub fn is_final(&self) -> bool {
        matches!(self, JobState::Stopped | JobState::Cancelled)
    }

    /// Whether Doris allows `self → to` (`RoutineLoadJob.unprotectUpdateState`): nothing
    /// leaves a final state, PAUSED → PAUSED is refused, and RUNNING is entered only from
    /// NEED_SCHEDULE. The error is Doris's message.
    pub fn check_transition(self, to: JobState) -> Result<(), String> {
        let ok = match (self, to) {
            (from, _) if from.is_final() => false,
            (JobState::Paused, JobState::Paused) => false,
            (JobState::Paused, JobState::Running) => false,
            (_, _) => true,
        };
        if ok {
            Ok(())
        } else {
            Err(format!("Could not transform {self} to {to}"))
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Doris's `InternalErrorCode` values a routine load job records with a state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// 1: a bug.
    ImpossibleError,
    /// 2: anything else.
    InternalError,
    /// 3: not enough alive replicas.
    ReplicaFew,
    /// 4: Kafka metadata could not be fetched.
    Partitions,
    /// 5: the database is gone.
    Db,
    /// 6: the table is gone.
    Table,
    /// 7: metadata is missing.
    MetaNotFound,
    /// 100: PAUSE by the user.
    ManualPause,
    /// 101: STOP by the user.
    ManualStop,
    /// 102: the error-row thresholds were exceeded.
    TooManyFailureRows,
    /// 103: tasks cannot be created.
    CreateTasks,
    /// 104: tasks abort (sink errors).
    TasksAbort,
    /// 105: a failure no retry cures (offset out of range, bad jsonpaths, bad properties).
    CannotResume,
    /// 106: tasks time out again and again.
    TimeoutTooMuch,
}

impl ErrorCode {
    /// The numeric code.
    pub fn code(&self) -> u32 {
        match self {
            ErrorCode::ImpossibleError => 1,
            ErrorCode::InternalError => 2,
            ErrorCode::ReplicaFew => 3,
            ErrorCode::Partitions => 4,
            ErrorCode::Db => 5,
            ErrorCode::Table => 6,
            ErrorCode::MetaNotFound => 7,
            ErrorCode::ManualPause => 100,
            ErrorCode::ManualStop => 101,
            ErrorCode::TooManyFailureRows => 102,
            ErrorCode::CreateTasks => 103,
            ErrorCode::TasksAbort => 104,
            ErrorCode::CannotResume => 105,
            ErrorCode::TimeoutTooMuch => 106,
        }
    }

    /// The code with this number.
    pub fn from_code(code: u32) -> Option<ErrorCode> {
        Some(match code {
            1 => ErrorCode::ImpossibleError,
            2 => ErrorCode::InternalError,
            3 => ErrorCode::ReplicaFew,
            4 => ErrorCode::Partitions,
            5 => ErrorCode::Db,
            6 => ErrorCode::Table,
            7 => ErrorCode::MetaNotFound,
            100 => ErrorCode::ManualPause,
            101 => ErrorCode::ManualStop,
            102 => ErrorCode::TooManyFailureRows,
            103 => ErrorCode::CreateTasks,
            104 => ErrorCode::TasksAbort,
            105 => ErrorCode::CannotResume,
            106 => ErrorCode::TimeoutTooMuch,
            _ => return None,
        })
    }

    /// Whether a job PAUSED with this code is resumed automatically (`ScheduleRule`): every
    /// code except a user's PAUSE, too many error rows and CANNOT_RESUME.
    pub fn auto_resumes(&self) -> bool {
        !matches!(
            self,
            ErrorCode::ManualPause
                | ErrorCode::TooManyFailureRows
                | ErrorCode::CannotResume
                | ErrorCode::ManualStop
                | ErrorCode::Db
                | ErrorCode::Table
                | ErrorCode::MetaNotFound
        )
    }
}

/// Why a job's state changed: Doris's `ErrorReason`, shown as `ReasonOfStateChanged`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReason {
    /// The code.
    pub code: ErrorCode,
    /// The message.
    pub msg: String,
}

/// Doris's message when the error-row thresholds pause a job.
pub const TOO_MANY_FAILURE_ROWS_MSG: &str = "current error rows is more than max_error_number or the max_filter_ratio is more than the value set";

impl ErrorReason {
    /// A reason.
    pub fn new(code: ErrorCode, msg: impl Into<String>) -> Self {
        ErrorReason {
            code,
            msg: msg.into(),
        }
    }

    /// A user's PAUSE (`MANUAL_PAUSE_ERR`).
    pub fn manual_pause(user: &str) -> Self {
        ErrorReason::new(
            ErrorCode::ManualPause,
            format!("User {user} pauses routine load job"),
        )
    }

    /// A user's STOP (`MANUAL_STOP_ERR`, with Doris's two spaces).
    pub fn manual_stop(user: &str) -> Self {
        ErrorReason::new(
            ErrorCode::ManualStop,
            format!("User  {user} stop routine load job"),
        )
    }

    /// The error-row thresholds (`TOO_MANY_FAILURE_ROWS_ERR`).
    pub fn too_many_failure_rows() -> Self {
        ErrorReason::new(ErrorCode::TooManyFailureRows, TOO_MANY_FAILURE_ROWS_MSG)
    }

    /// Parses the text [`fmt::Display`] writes (`ErrorReason{code=errCode = N, msg='...'}`);
    /// any other text is an INTERNAL_ERR with that message.
    pub fn parse(text: &str) -> Self {
        let parsed = text
            .strip_prefix("ErrorReason{code=errCode = ")
            .and_then(|rest| rest.split_once(", msg='"))
            .and_then(|(code, rest)| {
                let code = ErrorCode::from_code(code.trim().parse().ok()?)?;
                let msg = rest.strip_suffix("'}")?;
                Some(ErrorReason::new(code, msg))
            });
        parsed.unwrap_or_else(|| ErrorReason::new(ErrorCode::InternalError, text))
    }
}

impl fmt::Display for ErrorReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ErrorReason{{code=errCode = {}, msg='{}'}}",
            self.code.code(),
            self.msg
        )
    }
}

/// Auto-resume (`ScheduleRule.isNeedAutoSchedule`, Doris 2.1.1+): a job PAUSED for a reason
/// that [`ErrorCode::auto_resumes`] is resumed after `min(2^k × 10 s, 300 s)`, `k` counting
/// the automatic resumes of the current period (from 0); the count starts again once a
/// period passes without a pause. No attempt limit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AutoResume {
    /// Automatic resumes in the current period.
    pub count: u32,
    /// When the latest automatic resume happened (ms since the Unix epoch).
    pub last_resume_ms: Option<i64>,
}

/// Doris's first auto-resume backoff step.
pub const AUTO_RESUME_BASE_MS: i64 = 10_000;
/// Doris's longest auto-resume backoff.
pub const AUTO_RESUME_MAX_MS: i64 = 300_000;
/// `period_of_auto_resume_min` (Doris's documented default, 5 minutes).
pub const AUTO_RESUME_PERIOD_MS: i64 = 5 * 60_000;

impl AutoResume {
    /// The backoff before the next automatic resume.
    pub fn backoff_ms(&self, base_ms: i64) -> i64 {
        let shift = self.count.min(20);
        base_ms
            .saturating_mul(1i64 << shift)
            .min(AUTO_RESUME_MAX_MS.max(base_ms))
    }

    /// When a job paused at `paused_at_ms` for `reason` is resumed automatically, or `None`
    /// when it never is. `now_ms` ends the period: with no pause for a whole period, the
    /// counter starts again (applied by [`AutoResume::resumed`]).
    pub fn due_at(&self, reason: &ErrorReason, paused_at_ms: i64, base_ms: i64) -> Option<i64> {
        if !reason.code.auto_resumes() {
            return None;
        }
        Some(paused_at_ms + self.backoff_ms(base_ms))
    }

    /// Records an automatic resume at `now_ms` of a job paused at `paused_at_ms`.
    pub fn resumed(&mut self, paused_at_ms: i64, now_ms: i64) {
        if let Some(last) = self.last_resume_ms
            && paused_at_ms - last > AUTO_RESUME_PERIOD_MS
        {
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.last_resume_ms = Some(now_ms);
    }

    /// A user's RESUME resets the counter.
    pub fn reset(&mut self) {
        *self = AutoResume::default();
    }
}

/// The error-row window (`RoutineLoadJob.updateNumOfData`): rows of committed tasks count
/// towards a window of `max_batch_rows × 10` rows; the job pauses when the window's error
/// rows exceed `max_error_number` or their share exceeds `max_filter_ratio` (unselected rows
/// count in the denominator). A window that is full is checked and starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ErrorWindow {
    /// Rows in the current window (loaded + filtered + unselected).
    pub total: u64,
    /// Error (filtered) rows in the current window: `errorRowsAfterResumed`.
    pub error: u64,
}

/// The thresholds the window is checked against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// `max_error_number`.
    pub max_error_number: u64,
    /// `max_filter_ratio`.
    pub max_filter_ratio: f64,
    /// `max_batch_rows` (the window is ten times it).
    pub max_batch_rows: u64,
}

impl ErrorWindow {
    /// Adds one committed task's (epoch's) counts; `Some` when the job must pause.
    pub fn add(&mut self, counts: &RowCounts, t: &Thresholds) -> Option<ErrorReason> {
        let task_total = counts.loaded + counts.filtered + counts.unselected;
        self.total += task_total;
        self.error += counts.filtered;
        let window = t.max_batch_rows.saturating_mul(10);
        let exceeded = |w: &ErrorWindow| {
            w.error > t.max_error_number
                || (w.total > 0 && (w.error as f64 / w.total as f64) > t.max_filter_ratio)
        };
        let pause = exceeded(self);
        if self.total > window || pause {
            *self = ErrorWindow::default();
        }
        pause.then(ErrorReason::too_many_failure_rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(loaded: u64, filtered: u64, unselected: u64) -> RowCounts {
        RowCounts {
            total: loaded + filtered + unselected,
            loaded,
            filtered,
            unselected,
            ..RowCounts::default()
        }
    }

    // doris-spec.md §2.1: transitions Doris refuses.
    #[test]
    fn final_states_and_paused_to_paused_are_refused() {
        assert_eq!(
            JobState::Paused.check_transition(JobState::Paused),
            Err("Could not transform PAUSED to PAUSED".into())
        );
        assert!(
            JobState::Stopped
                .check_transition(JobState::NeedSchedule)
                .is_err()
        );
        assert!(
            JobState::Cancelled
                .check_transition(JobState::Stopped)
                .is_err()
        );
        assert!(JobState::Running.check_transition(JobState::Paused).is_ok());
        assert!(
            JobState::Paused
                .check_transition(JobState::NeedSchedule)
                .is_ok()
        );
        assert!(JobState::Paused.check_transition(JobState::Stopped).is_ok());
    }

    // doris-spec.md §2.3, verified regression output.
    #[test]
    fn error_reason_prints_and_parses_like_doris() {
        let r = ErrorReason::too_many_failure_rows();
        let text = r.to_string();
        assert_eq!(
            text,
            "ErrorReason{code=errCode = 102, msg='current error rows is more than max_error_number or the max_filter_ratio is more than the value set'}"
        );
        assert_eq!(ErrorReason::parse(&text), r);
        assert_eq!(
            ErrorReason::parse("disk full").code,
            ErrorCode::InternalError
        );
        assert_eq!(
            ErrorReason::manual_stop("root").msg,
            "User  root stop routine load job"
        );
    }

    // doris-spec.md §2.3: which pauses auto-resume, and the backoff 10 s, 20 s, 40 s … 300 s.
    #[test]
    fn auto_resume_follows_schedule_rule() {
        let manual = ErrorReason::manual_pause("root");
        let mut a = AutoResume::default();
        assert_eq!(a.due_at(&manual, 0, AUTO_RESUME_BASE_MS), None);
        assert_eq!(
            a.due_at(
                &ErrorReason::too_many_failure_rows(),
                0,
                AUTO_RESUME_BASE_MS
            ),
            None
        );
        assert_eq!(
            a.due_at(
                &ErrorReason::new(ErrorCode::CannotResume, "x"),
                0,
                AUTO_RESUME_BASE_MS
            ),
            None
        );
        let tasks = ErrorReason::new(ErrorCode::TasksAbort, "sink down");
        let mut waits = Vec::new();
        let mut t = 0;
        for _ in 0..7 {
            let due = a.due_at(&tasks, t, AUTO_RESUME_BASE_MS).unwrap();
            waits.push((due - t) / 1000);
            a.resumed(t, due);
            t = due + 1000;
        }
        assert_eq!(waits, vec![10, 20, 40, 80, 160, 300, 300]);
        // A pause a whole period after the last resume starts the count again.
        let last = a.last_resume_ms.unwrap();
        let later = last + AUTO_RESUME_PERIOD_MS + 1;
        a.resumed(later, later + 10_000);
        assert_eq!(a.count, 1);
        a.reset();
        assert_eq!(a.backoff_ms(AUTO_RESUME_BASE_MS), 10_000);
    }

    // doris-spec.md §2.4: max_error_number is checked after every task; the default 0
    // pauses at the first error row; the window resets on rollover and on pause.
    #[test]
    fn error_window_follows_update_num_of_data() {
        let t = Thresholds {
            max_error_number: 3,
            max_filter_ratio: 1.0,
            max_batch_rows: 100,
        };
        let mut w = ErrorWindow::default();
        assert_eq!(w.add(&counts(50, 2, 0), &t), None);
        assert_eq!(w.add(&counts(50, 1, 0), &t), None);
        assert_eq!(w.error, 3);
        assert!(w.add(&counts(10, 1, 0), &t).is_some());
        assert_eq!(w, ErrorWindow::default());
        // Rollover: a full window that is within the limits starts again.
        let mut w = ErrorWindow::default();
        assert_eq!(w.add(&counts(998, 3, 0), &t), None);
        assert_eq!(w, ErrorWindow::default());
        assert_eq!(w.add(&counts(10, 3, 0), &t), None);
        // The ratio counts unselected rows in the denominator.
        let r = Thresholds {
            max_error_number: 1000,
            max_filter_ratio: 0.1,
            max_batch_rows: 1000,
        };
        let mut w = ErrorWindow::default();
        assert_eq!(w.add(&counts(80, 10, 10), &r), None);
        assert!(w.add(&counts(0, 1, 0), &r).is_some());
        // Default max_error_number 0: the first error row pauses.
        let d = Thresholds {
            max_error_number: 0,
            max_filter_ratio: 1.0,
            max_batch_rows: 20_000_000,
        };
        let mut w = ErrorWindow::default();
        assert_eq!(w.add(&counts(1000, 0, 5), &d), None);
        assert!(w.add(&counts(1000, 1, 0), &d).is_some());
    }
}
