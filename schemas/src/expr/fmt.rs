//! Text forms written straight into reusable byte buffers: FLOAT / DOUBLE as Doris prints them
//! (C `%.7g` / `%.16g`, the same rule as [`crate::display::format_float`]), DECIMAL, DATE and
//! DATETIME (through the shared writers in [`crate::display`] and
//! [`crate::convert::datetime`]). Nothing here allocates once the buffer has grown.

use std::fmt::Write as _;

use crate::convert::datetime::{MICROS_PER_SEC, civil_from_days, split_micros};
use crate::display::write_decimal;

/// A fixed-size text buffer for `write!` without the heap.
pub(crate) struct StackBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackBuf<N> {
    pub(crate) fn new() -> Self {
        StackBuf {
            buf: [0; N],
            len: 0,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl<const N: usize> std::fmt::Write for StackBuf<N> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let b = s.as_bytes();
        if self.len + b.len() > N {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
        Ok(())
    }
}

/// Runs `f` on a `String` that owns `buf`'s allocation (cleared first), then hands the
/// allocation back: lets the `String` writers of this crate fill a byte buffer.
pub(crate) fn with_string(buf: &mut Vec<u8>, f: impl FnOnce(&mut String)) {
    buf.clear();
    // An empty vector is always valid UTF-8.
    let mut s = String::from_utf8(std::mem::take(buf)).unwrap_or_default();
    f(&mut s);
    *buf = s.into_bytes();
}

/// Appends a DECIMAL with exactly `scale` fraction digits.
pub(crate) fn push_decimal(unscaled: i128, scale: u8, out: &mut Vec<u8>) {
    if out.is_empty() {
        with_string(out, |s| write_decimal(unscaled, scale, s));
        return;
    }
    let mut sb = StackBuf::<64>::new();
    if unscaled < 0 {
        sb.buf[0] = b'-';
        sb.len = 1;
    }
    let mag = unscaled.unsigned_abs();
    let mut ib = itoa::Buffer::new();
    let digits = ib.format(mag).as_bytes();
    let scale = scale as usize;
    out.extend_from_slice(sb.as_bytes());
    if scale == 0 {
        out.extend_from_slice(digits);
    } else if digits.len() <= scale {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', scale - digits.len()));
        out.extend_from_slice(digits);
    } else {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    }
}

/// Appends `YYYY-MM-DD` (the same text as [`crate::convert::datetime::write_date`]).
pub(crate) fn push_date(days: i32, out: &mut Vec<u8>) {
    let (y, m, d) = civil_from_days(clamp_days(days));
    push_padded(out, y.max(0) as u32, 4);
    out.push(b'-');
    push_padded(out, m, 2);
    out.push(b'-');
    push_padded(out, d, 2);
}

/// Days limited to 0000-01-01 .. 9999-12-31, so that calendar arithmetic on a value from
/// outside (a caller's `Value::Date(i32::MAX)`) cannot overflow.
pub(crate) fn clamp_days(days: i32) -> i32 {
    days.clamp(-719_528, 2_932_896)
}

/// Appends `YYYY-MM-DD HH:MM:SS[.f{precision}]` (the same text as [`crate::convert::datetime::write_datetime`]).
pub(crate) fn push_datetime(micros: i64, precision: u8, out: &mut Vec<u8>) {
    let (days, tod) = split_micros(micros);
    push_date(days, out);
    out.push(b' ');
    let secs = (tod / MICROS_PER_SEC) as u32;
    push_padded(out, secs / 3600, 2);
    out.push(b':');
    push_padded(out, (secs / 60) % 60, 2);
    out.push(b':');
    push_padded(out, secs % 60, 2);
    if precision > 0 {
        let p = precision.min(6);
        out.push(b'.');
        let frac = (tod % MICROS_PER_SEC) as u32;
        push_padded(out, frac / 10u32.pow(6 - p as u32), p as usize);
    }
}

/// Appends `v` zero-padded to `width` digits.
pub(crate) fn push_padded(out: &mut Vec<u8>, v: u32, width: usize) {
    let mut b = itoa::Buffer::new();
    let s = b.format(v).as_bytes();
    for _ in s.len()..width {
        out.push(b'0');
    }
    out.extend_from_slice(s);
}

/// Appends an integer.
pub(crate) fn push_int(v: i128, out: &mut Vec<u8>) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(v).as_bytes());
}

/// Appends `v` as C's `printf("%.{precision}g")` with Doris's spellings of the special
/// values (`NaN`, `Infinity`, `-Infinity`): `precision` 7 for FLOAT, 16 for DOUBLE.
pub(crate) fn push_float(v: f64, single: bool, out: &mut Vec<u8>) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 {
            b"Infinity".as_slice()
        } else {
            b"-Infinity".as_slice()
        });
        return;
    }
    push_g(v, if single { 7 } else { 16 }, out);
}

/// Appends `v` (finite) as C's `%.{precision}g`.
pub(crate) fn push_g(v: f64, precision: usize, out: &mut Vec<u8>) {
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    let p = precision.clamp(1, 17);
    let mut sci = StackBuf::<64>::new();
    if write!(sci, "{:.*e}", p - 1, v).is_err() {
        return;
    }
    let text = sci.as_bytes();
    let epos = text.iter().position(|b| *b == b'e').unwrap_or(text.len());
    let (mantissa, exp_text) = text.split_at(epos);
    let exp: i32 = std::str::from_utf8(exp_text.get(1..).unwrap_or(b"0"))
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        out.extend_from_slice(trim_fraction_zeros(mantissa));
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push(b'0');
        }
        let mut ib = itoa::Buffer::new();
        out.extend_from_slice(ib.format(a).as_bytes());
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        let mut fixed = StackBuf::<96>::new();
        if write!(fixed, "{:.*}", decimals, v).is_err() {
            return;
        }
        out.extend_from_slice(trim_fraction_zeros(fixed.as_bytes()));
    }
}

fn trim_fraction_zeros(s: &[u8]) -> &[u8] {
    if !s.contains(&b'.') {
        return s;
    }
    let mut end = s.len();
    while end > 0 && s[end - 1] == b'0' {
        end -= 1;
    }
    if end > 0 && s[end - 1] == b'.' {
        end -= 1;
    }
    &s[..end]
}

/// Appends the shortest text that reads back as `v` (Rust's `{}` for f64), for feeding a
/// double to the DECIMAL text parser.
pub(crate) fn shortest_f64(v: f64) -> StackBuf<400> {
    let mut b = StackBuf::<400>::new();
    let _ = write!(b, "{v:e}");
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::display::format_float;

    #[test]
    #[allow(clippy::excessive_precision)]
    fn g_matches_display() {
        for v in [
            0.1,
            100.0,
            7.0,
            1e15,
            1e16,
            1e-5,
            0.0001,
            123456.789,
            -2.5,
            1.0 / 3.0,
            5.0 / 3.0,
            -686632233.2302001,
            9.999999999999999e22,
            1e300,
            -1e-300,
            6614.089355f32 as f64,
        ] {
            let mut out = Vec::new();
            push_float(v, false, &mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format_float(v, false),
                "{v}"
            );
            let mut out = Vec::new();
            push_float(v, true, &mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format_float(v, true),
                "{v}"
            );
        }
    }

    #[test]
    fn dates_match_shared_writers() {
        use crate::convert::datetime::{write_date, write_datetime};
        for days in [-719_528, -1, 0, 19_815, 2_932_896] {
            let mut a = String::new();
            write_date(days, &mut a);
            let mut b = Vec::new();
            push_date(days, &mut b);
            assert_eq!(a.as_bytes(), b.as_slice());
        }
        for (m, p) in [
            (0i64, 0u8),
            (1_712_077_200_123_456, 3),
            (-1, 6),
            (253_402_300_799_999_999, 6),
        ] {
            let mut a = String::new();
            write_datetime(m, p, &mut a);
            let mut b = Vec::new();
            push_datetime(m, p, &mut b);
            assert_eq!(a.as_bytes(), b.as_slice());
        }
    }

    #[test]
    fn decimals_append() {
        let mut out = b"x".to_vec();
        push_decimal(-5, 3, &mut out);
        assert_eq!(out, b"x-0.005");
        let mut out = Vec::new();
        push_decimal(150, 2, &mut out);
        assert_eq!(out, b"1.50");
    }
}
