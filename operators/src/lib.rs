//! routinely's operators: the row path (message bytes → Arrow batches with Doris's
//! semantics) as plain functions, and the timely operators that run it in a dataflow.

pub mod dataflow;
pub mod row;
