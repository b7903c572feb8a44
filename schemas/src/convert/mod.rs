//! The conversion rules of every Doris type under a load: source text (a CSV field, or the
//! text the JSON reader hands over for a JSON value) → a value of the destination type, or
//! `None` where Doris's load CAST yields NULL.
//!
//! What a `None` means is decided by the caller with Doris's strict-mode rule (doris-spec.md
//! §6.1): a non-NULL source whose conversion fails filters the row when strict mode is on and
//! the column maps directly from a source field; otherwise the value is NULL, and a NULL in a
//! NOT NULL column filters the row. Rules that changed between releases read
//! [`crate::version::VersionRules`].

pub mod datetime;
pub mod ip;
pub mod json;
pub mod nested;
pub mod number;
pub mod string;

pub use datetime::{parse_date, parse_datetime};
pub use number::{parse_bool, parse_decimal, parse_f32, parse_f64, parse_int, trim_ws};
pub use string::{StringFit, fit_string};

/// The strict-mode filter message (`FileScanner::_convert_to_output_block`).
pub fn strict_message(column: &str, src: &[u8]) -> String {
    format!(
        "column({column}) value is incorrect while strict mode is true, src value is {}",
        String::from_utf8_lossy(src)
    )
}

/// The NOT NULL filter message (`FileScanner::_convert_to_output_block`).
pub fn not_null_message(column: &str) -> String {
    format!("column({column}) values is null while columns is not nullable")
}
