//! routinely's runtime and command line: captures and message files, `preview`, the progress
//! store, the sinks, and the job runtime that runs a job on timely dataflow (`run`, `bench`).
//! `kafka` is the live source; `topic` moves topics to and from captures (`capture`,
//! `produce`); `control` applies PAUSE / RESUME / STOP / ALTER to a job's store. The
//! `routinely` binary in `main.rs` is a thin shell over this library.

pub mod capture;
pub mod control;
pub mod control_api;
pub mod endpoint;
pub mod failpoint;
pub mod host;
pub mod jobstate;
pub mod kafka;
pub mod messages;
pub mod metrics;
pub mod preview;
pub mod process;
pub mod progress;
pub mod runtime;
pub mod show;
pub mod showjob;
pub mod sink;
pub mod sla;
pub mod summary;
pub mod topic;
