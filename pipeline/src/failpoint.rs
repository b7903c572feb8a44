//! Crash points for tests of exactly-once: `ROUTINELY_FAILPOINT=STEP[@EPOCH]` kills the
//! process with SIGKILL (as `kill -9` would) when the Doris sink reaches STEP, at any epoch
//! or only at EPOCH. Steps, in protocol order:
//!
//! | step | where |
//! |---|---|
//! | `before-precommit` | a worker has sent its epoch's rows, before ending the Stream Load |
//! | `after-precommit` | Doris answered the pre-commit, before the handle reaches the coordinator |
//! | `after-decision` | the decision record is durable, before any commit |
//! | `after-some-commits` | the first of several transactions is committed |
//! | `after-commits` | every transaction is committed, before the progress store says so |
//!
//! Unset (the normal case), a check is one relaxed load of a cached value.

use std::sync::OnceLock;

static SPEC: OnceLock<Option<(String, Option<u64>)>> = OnceLock::new();

fn spec() -> &'static Option<(String, Option<u64>)> {
    SPEC.get_or_init(|| {
        let text = std::env::var("ROUTINELY_FAILPOINT").ok()?;
        let (step, epoch) = match text.split_once('@') {
            Some((s, e)) => (s.to_string(), e.parse().ok()),
            None => (text, None),
        };
        Some((step, epoch))
    })
}

/// Kills the process if `ROUTINELY_FAILPOINT` names `step` (and `epoch`, if it gives one).
pub fn hit(step: &str, epoch: u64) {
    if let Some((s, e)) = spec()
        && s == step
        && e.is_none_or(|e| e == epoch)
    {
        eprintln!("routinely: failpoint {step} at epoch {epoch}: killing the process");
        // SAFETY: raising SIGKILL on our own pid has no memory-safety preconditions.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}
