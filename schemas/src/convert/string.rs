//! CHAR / VARCHAR / STRING length rules. Lengths count UTF-8 bytes. An overlong value is
//! filtered in 2.1 / 3.0 whatever strict mode says; 4.x truncates it (at a character
//! boundary) when strict mode is off and filters it when strict mode is on. STRING has a soft
//! limit of 1 MiB that always filters.
//!
//! Source: BE `vec/sink/vtablet_block_convertor.cpp` (`string_column_checker`), Doris docs
//! `data-operate/import/handling-messy-data.md` (4.x truncation example).

use crate::types::{DorisType, STRING_SOFT_LIMIT};
use crate::version::{OverlongString, VersionRules};

/// What the length rule does with one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringFit {
    /// The value fits as is.
    Fits,
    /// Keep only the first `n` bytes (a character boundary).
    Truncate(usize),
    /// The row is filtered.
    TooLong {
        /// The column's byte limit.
        limit: u32,
    },
}

/// Applies the length rule of `ty` (a CHAR, VARCHAR or STRING) to `value`.
#[inline]
pub fn fit_string(value: &[u8], ty: &DorisType, strict: bool, rules: &VersionRules) -> StringFit {
    let limit = match ty {
        DorisType::Char { len } | DorisType::Varchar { len } => *len,
        _ => STRING_SOFT_LIMIT,
    };
    if value.len() <= limit as usize {
        return StringFit::Fits;
    }
    if matches!(ty, DorisType::String) {
        return StringFit::TooLong { limit };
    }
    match rules.overlong_string {
        OverlongString::AlwaysFilter => StringFit::TooLong { limit },
        OverlongString::TruncateUnlessStrict if strict => StringFit::TooLong { limit },
        OverlongString::TruncateUnlessStrict => {
            let mut n = limit as usize;
            // Back off to a UTF-8 character boundary.
            while n > 0 && (value[n] & 0xC0) == 0x80 {
                n -= 1;
            }
            StringFit::Truncate(n)
        }
    }
}

/// The message Doris writes for an overlong value (`the length of input is too long than
/// schema. first 32 bytes of input str: [...] schema length: n; actual length: m;`).
pub fn too_long_message(column: &str, value: &[u8], limit: u32) -> String {
    let head = &value[..value.len().min(32)];
    format!(
        "column_name[{column}], the length of input is too long than schema. first 32 bytes of input str: [{}] schema length: {limit}; actual length: {};",
        String::from_utf8_lossy(head),
        value.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::DorisVersion;

    // Doris docs handling-messy-data (4.x): CHAR(10) 'a1234567890' → 'a123456789' non-strict.
    #[test]
    fn truncation_4x() {
        let r = DorisVersion::V4_0.rules();
        let ty = DorisType::Char { len: 10 };
        assert_eq!(
            fit_string(b"a1234567890", &ty, false, &r),
            StringFit::Truncate(10)
        );
        assert_eq!(
            fit_string(b"a1234567890", &ty, true, &r),
            StringFit::TooLong { limit: 10 }
        );
        // Newest master cuts on a UTF-8 boundary: 正常数据 into VARCHAR(10) → 正常数.
        let ty = DorisType::Varchar { len: 10 };
        assert_eq!(
            fit_string("正常数据".as_bytes(), &ty, false, &r),
            StringFit::Truncate(9)
        );
        assert_eq!(fit_string(b"0123456789", &ty, true, &r), StringFit::Fits);
    }

    // 2.1 / 3.0: overlong is filtered even in non-strict mode.
    #[test]
    fn filter_21() {
        let r = DorisVersion::V2_1.rules();
        let ty = DorisType::Varchar { len: 3 };
        assert_eq!(
            fit_string(b"abcd", &ty, false, &r),
            StringFit::TooLong { limit: 3 }
        );
        let msg = too_long_message("action", b"abcd", 3);
        assert!(msg.contains("schema length: 3; actual length: 4;"), "{msg}");
    }
}
