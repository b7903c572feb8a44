//! Doris's data model and rules, with no runtime attached: column types and their Arrow
//! mapping, parsers for `CREATE TABLE` and the routine load statements, the job model with
//! Doris's defaults and validation, expressions, and the conversion rules of every type under
//! strict mode. Nothing here does I/O; the row path in `routinely-operators` applies these
//! rules to messages.

pub mod arrow;
pub mod convert;
pub mod display;
pub mod expr;
pub mod job;
pub mod mask;
pub mod sql;
pub mod table;
pub mod timezone;
pub mod types;
pub mod version;

pub use job::{RoutineLoadJob, live_alterable};
pub use table::{Column, KeysType, TableSchema};
pub use timezone::TimeZone;
pub use types::DorisType;
pub use version::{DorisVersion, VersionRules};
