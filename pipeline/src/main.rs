//! The `routinely` binary.
fn main() {}
