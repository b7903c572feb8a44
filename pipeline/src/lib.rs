//! routinely's runtime and command line: message files and captures, `preview`, and (as
//! they land) sources, sinks, the progress store and the job runtime. The `routinely`
//! binary in `main.rs` is a thin shell over this library.

pub mod messages;
pub mod preview;
pub mod show;
