//! Text → BOOLEAN, integers, FLOAT / DOUBLE and DECIMAL, as Doris's load CAST reads them.
//!
//! Sources: BE `util/string_parser.hpp` (`string_to_int`, `string_to_bool`,
//! `string_to_float`) and `string_parser.cpp` (`string_to_decimal`) for 4.x; the 2.1-era
//! `string_parser.hpp` and `function_cast.h` for the older rules selected by
//! [`VersionRules`]. Every function takes the raw source text (CSV field, JSON scalar text)
//! and returns `None` when Doris's cast would produce NULL.

use crate::version::{BooleanWords, DecimalOverflow, FloatOverflow, IntegerFraction, VersionRules};

/// ASCII whitespace as the BE's parsers skip it (`' ' \t \n \v \f \r`).
#[inline]
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Trims ASCII whitespace from both ends.
#[inline]
pub fn trim_ws(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_ws(*first) {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_ws(*last) {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Parses an integer column value and checks it against `[min, max]`.
///
/// Doris 4.x (`string_to_int<T, false>`): optional surrounding whitespace, one optional sign,
/// at least one digit, then optionally `.` followed only by digits (the fraction is dropped,
/// truncating toward zero). No exponent, no hex, no thousands separators. Out of range →
/// `None` (never saturated). With [`IntegerFraction::TruncateUnlessStrict`] (2.1 / 3.0) a
/// fraction is refused in strict mode.
#[inline]
pub fn parse_int(
    text: &[u8],
    min: i128,
    max: i128,
    strict: bool,
    rules: &VersionRules,
) -> Option<i128> {
    // The common case (a JSON integer, a clean CSV field): digits and nothing else.
    if let Some(v) = plain_digits(text) {
        let v = v as i128;
        return (min..=max).contains(&v).then_some(v);
    }
    let s = trim_ws(text);
    let (neg, digits) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    // Leading digits.
    let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let rest = &digits[n..];
    if !rest.is_empty() {
        // Only `.digits*` may follow.
        if rest[0] != b'.' || !rest[1..].iter().all(u8::is_ascii_digit) {
            return None;
        }
        if strict && rules.integer_fraction == IntegerFraction::TruncateUnlessStrict {
            return None;
        }
    }
    let magnitude = parse_digits_u128(&digits[..n])?;
    let value = if neg {
        if magnitude > i128::MAX as u128 + 1 {
            return None;
        }
        (magnitude as i128).wrapping_neg()
    } else {
        if magnitude > i128::MAX as u128 {
            return None;
        }
        magnitude as i128
    };
    (min..=max).contains(&value).then_some(value)
}

/// `text` as a number when it is 1 to 16 ASCII digits and nothing else, read eight digits at
/// a time (SWAR) for 8 to 16 digits instead of one multiply-add per digit.
#[inline]
fn plain_digits(text: &[u8]) -> Option<u64> {
    let n = text.len();
    if n < 8 {
        if n == 0 {
            return None;
        }
        let mut v = 0u64;
        for &b in text {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            v = v * 10 + d as u64;
        }
        return Some(v);
    }
    if n > 16 {
        return None;
    }
    let first = u64::from_le_bytes(text[..8].try_into().ok()?);
    let lo = u64::from_le_bytes(text[n - 8..].try_into().ok()?);
    // The first n - 8 digits, right-aligned behind '0's (byte 0 is the most significant).
    let k = (n - 8) as u32;
    let hi = first.checked_shl(8 * (8 - k)).unwrap_or(0)
        | 0x3030_3030_3030_3030u64.checked_shr(8 * k).unwrap_or(0);
    if non_digits(hi) | non_digits(lo) != 0 {
        return None;
    }
    Some(eight_digits(hi) * 100_000_000 + eight_digits(lo))
}

/// The high bit of every byte of `w` (little endian) that is not an ASCII digit: eight bytes
/// checked at once, for the SWAR number and date parsers here and the JSON tape's scanner.
#[inline(always)]
pub fn non_digits(w: u64) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Digits become 0..=9; adding 0x76 to the low seven bits sets bit 7 from 10 up, without
    // carrying into the next byte.
    let a = w ^ 0x3030_3030_3030_3030;
    (a | ((a & LOW7) + 0x7676_7676_7676_7676)) & HIGH
}

/// Eight ASCII digits (the first in the lowest byte) as a number.
#[inline(always)]
fn eight_digits(w: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let v = w - 0x3030_3030_3030_3030;
    let v = v * 10 + (v >> 8);
    ((v & MASK).wrapping_mul(MUL1) + ((v >> 16) & MASK).wrapping_mul(MUL2)) >> 32
}

/// Digits → u128, `None` on overflow.
#[inline]
fn parse_digits_u128(digits: &[u8]) -> Option<u128> {
    // Fast path: up to 19 digits always fit a u64.
    if digits.len() <= 19 {
        let mut v: u64 = 0;
        for &d in digits {
            v = v * 10 + (d - b'0') as u64;
        }
        return Some(v as u128);
    }
    let mut v: u128 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add((d - b'0') as u128)?;
    }
    Some(v)
}

/// Parses a BOOLEAN.
///
/// 4.x (`string_to_bool`): surrounding whitespace trimmed, then one of `1 0 t f true false yes
/// no on off`, case-insensitively. 2.1 / 3.0: `true` / `false` (case-insensitive) or an
/// integer 0 / 1; other numeric text is true when non-zero in non-strict mode (`1.1` → true).
#[inline]
pub fn parse_bool(text: &[u8], strict: bool, rules: &VersionRules) -> Option<bool> {
    let s = trim_ws(text);
    match rules.boolean_words {
        BooleanWords::Extended => {
            let word = |w: &[u8]| s.eq_ignore_ascii_case(w);
            if word(b"1") || word(b"t") || word(b"true") || word(b"yes") || word(b"on") {
                Some(true)
            } else if word(b"0") || word(b"f") || word(b"false") || word(b"no") || word(b"off") {
                Some(false)
            } else {
                None
            }
        }
        BooleanWords::TrueFalse => {
            if s.eq_ignore_ascii_case(b"true") {
                return Some(true);
            }
            if s.eq_ignore_ascii_case(b"false") {
                return Some(false);
            }
            let rules_int = VersionRules {
                integer_fraction: IntegerFraction::TruncateUnlessStrict,
                ..*rules
            };
            if s.iter()
                .all(|b| b.is_ascii_digit() || *b == b'-' || *b == b'+')
            {
                return match parse_int(s, i128::MIN, i128::MAX, true, &rules_int)? {
                    0 => Some(false),
                    1 => Some(true),
                    _ => None,
                };
            }
            if strict {
                return None;
            }
            parse_f64(s, rules).map(|v| v != 0.0)
        }
    }
}

/// Parses a DOUBLE.
///
/// Surrounding whitespace trimmed, one optional leading `+` skipped (a second sign is an
/// error), then a complete decimal or exponent number, or `inf` / `infinity` / `nan` in any
/// case. Overflow (`1e400`) is ±Infinity in 4.x and a failure in 2.1 / 3.0.
#[inline]
pub fn parse_f64(text: &[u8], rules: &VersionRules) -> Option<f64> {
    let s = trim_ws(text);
    let s = match s {
        [b'+', b'+' | b'-', ..] => return None,
        [b'+', rest @ ..] => rest,
        _ => s,
    };
    if s.is_empty() {
        return None;
    }
    // Rust's parser would accept a second '+' ("+1" after the skipped '+' was handled above)
    // and "_"-free decimal / exponent / inf / nan forms: the same set fast_float accepts.
    let text = std::str::from_utf8(s).ok()?;
    let v: f64 = text.parse().ok()?;
    if v.is_infinite() && rules.float_overflow == FloatOverflow::Fail && !has_inf_word(s) {
        return None;
    }
    Some(v)
}

/// Parses a FLOAT: read as a double, then narrowed (`1e39` overflows to Infinity in 4.x).
#[inline]
pub fn parse_f32(text: &[u8], rules: &VersionRules) -> Option<f32> {
    let v = parse_f64(text, rules)?;
    let f = v as f32;
    if f.is_infinite() && !v.is_infinite() && rules.float_overflow == FloatOverflow::Fail {
        return None;
    }
    Some(f)
}

fn has_inf_word(s: &[u8]) -> bool {
    s.iter().any(|b| *b == b'i' || *b == b'I')
}

/// `10^n` for n in 0..=38.
pub const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Parses DECIMAL(precision, scale) text into its unscaled integer (value × 10^scale).
///
/// 4.x (`string_to_decimal`): whitespace trimmed, optional sign, digits with at most one
/// `.`, optional `e|E[+-]digits`; anything else fails. The value is rounded half away from
/// zero on the first dropped digit; an integer part wider than `precision - scale` digits
/// (also after rounding) overflows: NULL in 4.x, saturation to the type's extreme in
/// 2.1 / 3.0 ([`DecimalOverflow`]). `precision` must be 1..=38.
pub fn parse_decimal(text: &[u8], precision: u8, scale: u8, rules: &VersionRules) -> Option<i128> {
    let s = trim_ws(text);
    let (neg, body) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    // Split mantissa and exponent.
    let (mantissa, exp) = match body.iter().position(|b| *b == b'e' || *b == b'E') {
        Some(i) => {
            let e = &body[i + 1..];
            let (eneg, edigits) = match e.first()? {
                b'-' => (true, &e[1..]),
                b'+' => (false, &e[1..]),
                _ => (false, e),
            };
            if edigits.is_empty() || !edigits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let mut ev: i64 = 0;
            for &d in edigits {
                ev = (ev * 10 + (d - b'0') as i64).min(1_000_000);
            }
            (&body[..i], if eneg { -ev } else { ev })
        }
        None => (body, 0),
    };
    let (int_digits, frac_digits) = match mantissa.iter().position(|b| *b == b'.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, &mantissa[mantissa.len()..]),
    };
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    if !int_digits.iter().all(u8::is_ascii_digit) || !frac_digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Significant digits, as one sequence with the decimal point after `point` digits.
    let lead = int_digits.iter().take_while(|b| **b == b'0').count();
    let int_digits = &int_digits[lead..];
    let digit_at = |i: i64| -> u8 {
        if i < 0 {
            return 0;
        }
        let i = i as usize;
        if i < int_digits.len() {
            int_digits[i] - b'0'
        } else if i - int_digits.len() < frac_digits.len() {
            frac_digits[i - int_digits.len()] - b'0'
        } else {
            0
        }
    };
    let total = (int_digits.len() + frac_digits.len()) as i64;
    let point = int_digits.len() as i64 + exp;
    let int_width = precision as i64 - scale as i64;
    // Integer digits of the value: positions [0, point). Leading zeros may appear when the
    // integer part came from fraction digits shifted by an exponent.
    let first_nonzero = (0..total).find(|&i| digit_at(i) != 0);
    let overflow = || -> Option<i128> {
        match rules.decimal_overflow {
            DecimalOverflow::Fail => None,
            DecimalOverflow::Saturate => {
                let max = POW10[precision as usize] - 1;
                Some(if neg { -max } else { max })
            }
        }
    };
    if let Some(fz) = first_nonzero
        && fz < point
        && point - fz > int_width
    {
        return overflow();
    }
    let mut unscaled: i128 = 0;
    let start = point - int_width.max(0);
    for i in start.max(0).min(point.max(0))..point.max(0) {
        unscaled = unscaled * 10 + digit_at(i) as i128;
    }
    for i in point..point + scale as i64 {
        unscaled = unscaled * 10 + digit_at(i) as i128;
    }
    if digit_at(point + scale as i64) >= 5 && point + (scale as i64) < total {
        unscaled += 1;
    }
    if unscaled >= POW10[precision as usize] {
        return overflow();
    }
    Some(if neg { -unscaled } else { unscaled })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_digits_match_the_digit_loop() {
        let loop_value = |t: &[u8]| -> Option<u64> {
            if t.is_empty() || t.len() > 16 || !t.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(t.iter().fold(0, |v, d| v * 10 + (d - b'0') as u64))
        };
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for len in 0..=18 {
            let digits: Vec<u8> = (0..len).map(|k| b"9876543210"[k % 10]).collect();
            texts.push(digits.clone());
            texts.push(vec![b'9'; len]);
            texts.push(vec![b'0'; len]);
            for at in 0..len {
                for bad in [b'/', b':', b' ', b'-', b'.', 0x80, b'0' + 0x80, b'a'] {
                    let mut t = digits.clone();
                    t[at] = bad;
                    texts.push(t);
                }
            }
        }
        for t in &texts {
            assert_eq!(
                plain_digits(t),
                loop_value(t),
                "{:?}",
                String::from_utf8_lossy(t)
            );
        }
    }
    use crate::version::DorisVersion;

    fn v4() -> VersionRules {
        DorisVersion::V4_0.rules()
    }
    fn v21() -> VersionRules {
        DorisVersion::V2_1.rules()
    }
    fn int(s: &str) -> Option<i128> {
        parse_int(
            s.as_bytes(),
            i32::MIN as i128,
            i32::MAX as i128,
            false,
            &v4(),
        )
    }

    // Doris 4.x string_to_int: ws, sign, digits, optional `.digits` truncated; no exponent.
    #[test]
    fn ints_4x() {
        assert_eq!(int("123"), Some(123));
        assert_eq!(int(" +123\t"), Some(123));
        assert_eq!(int("-0"), Some(0));
        assert_eq!(int("007"), Some(7));
        assert_eq!(int("3.12"), Some(3));
        assert_eq!(int("3."), Some(3));
        assert_eq!(int("-3.99"), Some(-3));
        assert_eq!(int("3.12 "), Some(3));
        for bad in [
            ".5", "+", "-", "", "   ", "1e3", "0x1F", "1,000", "12 34", "3.1.2", "3.5abc", "true",
        ] {
            assert_eq!(int(bad), None, "{bad:?}");
        }
        assert_eq!(int("2147483648"), None);
        assert_eq!(int("-2147483648"), Some(-2147483648));
        let tiny = |s: &str| parse_int(s.as_bytes(), -128, 127, false, &v4());
        assert_eq!(tiny("127.9"), Some(127));
        assert_eq!(tiny("128"), None);
        let large = |s: &str| parse_int(s.as_bytes(), i128::MIN, i128::MAX, false, &v4());
        assert_eq!(
            large("170141183460469231731687303715884105727"),
            Some(i128::MAX)
        );
        assert_eq!(large("170141183460469231731687303715884105728"), None);
        assert_eq!(
            large("-170141183460469231731687303715884105728"),
            Some(i128::MIN)
        );
    }

    // Regression test_stream_load_cast CA-01: `3.12` into INT is 3 with strict mode off and a
    // failure (filtered) with it on, in every release.
    #[test]
    fn int_fraction_fails_only_in_strict_mode() {
        for r in [v4(), v21()] {
            assert_eq!(parse_int(b"3.12", -10, 10, true, &r), None);
            assert_eq!(parse_int(b"3.12", -10, 10, false, &r), Some(3));
        }
    }

    // Doris 4.x string_to_bool; 2.1 try_read_bool_text.
    #[test]
    fn bools() {
        for t in ["1", "t", "T", "true", "TRUE", " yes ", "On"] {
            assert_eq!(parse_bool(t.as_bytes(), false, &v4()), Some(true), "{t}");
        }
        for f in ["0", "f", "false", "no", "OFF"] {
            assert_eq!(parse_bool(f.as_bytes(), false, &v4()), Some(false), "{f}");
        }
        for bad in ["2", "-1", "1.0", "1.1", "+0", "y", "n", "", "truee"] {
            assert_eq!(parse_bool(bad.as_bytes(), false, &v4()), None, "{bad}");
        }
        assert_eq!(parse_bool(b"yes", false, &v21()), None);
        assert_eq!(parse_bool(b"True ", false, &v21()), Some(true));
        assert_eq!(parse_bool(b"1", false, &v21()), Some(true));
        assert_eq!(parse_bool(b"2", false, &v21()), None);
        assert_eq!(parse_bool(b"1.1", false, &v21()), Some(true));
        assert_eq!(parse_bool(b"1.1", true, &v21()), None);
    }

    // string_to_float: one '+', fast_float forms, inf/nan; overflow by version.
    #[test]
    fn floats() {
        assert_eq!(parse_f64(b" 1.5 ", &v4()), Some(1.5));
        assert_eq!(parse_f64(b"+1.234e+5", &v4()), Some(123400.0));
        assert_eq!(parse_f64(b"1.", &v4()), Some(1.0));
        assert_eq!(parse_f64(b".5", &v4()), Some(0.5));
        assert_eq!(parse_f64(b"-Infinity", &v4()), Some(f64::NEG_INFINITY));
        assert!(parse_f64(b"NaN", &v4()).is_some_and(f64::is_nan));
        assert_eq!(parse_f64(b"1e400", &v4()), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"1e400", &v21()), None);
        assert_eq!(parse_f64(b"inf", &v21()), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"1e-400", &v4()), Some(0.0));
        for bad in ["", "++1", "+-1", "1,5", "1.2.3", "abc", "1e", "e3", "0x10"] {
            assert_eq!(parse_f64(bad.as_bytes(), &v4()), None, "{bad}");
        }
        assert_eq!(parse_f32(b"1e39", &v4()), Some(f32::INFINITY));
        assert_eq!(parse_f32(b"1e39", &v21()), None);
    }

    fn dec(s: &str, p: u8, sc: u8) -> Option<i128> {
        parse_decimal(s.as_bytes(), p, sc, &v4())
    }

    // string_to_decimal: half away from zero on the first dropped digit; overflow NULL (4.x).
    #[test]
    fn decimals_4x() {
        assert_eq!(dec("1.5", 5, 2), Some(150));
        assert_eq!(dec("1.005", 5, 2), Some(101));
        assert_eq!(dec("1.0049", 5, 2), Some(100));
        assert_eq!(dec("-1.005", 5, 2), Some(-101));
        assert_eq!(dec("999.994", 5, 2), Some(99999));
        assert_eq!(dec("999.995", 5, 2), None);
        assert_eq!(dec("1000", 5, 2), None);
        assert_eq!(dec("1.2e2", 5, 2), Some(12000));
        assert_eq!(dec("0.00012e4", 5, 2), Some(120));
        assert_eq!(dec(" +12.3 ", 5, 2), Some(1230));
        assert_eq!(dec("0001.5", 5, 2), Some(150));
        assert_eq!(dec(".5", 5, 2), Some(50));
        assert_eq!(dec("5.", 5, 2), Some(500));
        for bad in ["12.3.4", "1,5", "abc", "", ".", "+", "1e", "1e+", "- 1"] {
            assert_eq!(dec(bad, 5, 2), None, "{bad}");
        }
        assert_eq!(dec("0.5", 1, 0), Some(1));
        assert_eq!(dec("1.5", 1, 0), Some(2));
        assert_eq!(dec("10", 1, 0), None);
        assert_eq!(
            dec("12345678901234567890.5", 38, 0),
            Some(12345678901234567891)
        );
        assert_eq!(dec("1e-10", 10, 2), Some(0));
        assert_eq!(dec("123.123456789", 38, 6), Some(123123457));
    }

    // 2.1 / 3.0: integer-part overflow saturates instead of NULL.
    #[test]
    fn decimal_overflow_saturates_in_21() {
        assert_eq!(parse_decimal(b"1000", 5, 2, &v21()), Some(99999));
        assert_eq!(parse_decimal(b"-1000", 5, 2, &v21()), Some(-99999));
        assert_eq!(parse_decimal(b"759730669.0", 9, 1, &v21()), Some(999999999));
    }
}
