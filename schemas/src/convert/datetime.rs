//! Text → DATE and DATETIME(p), with zone suffixes converted into the job's time zone, and
//! the civil-calendar arithmetic both need.
//!
//! Representation: a DATE is days since 1970-01-01 (Arrow `Date32`); a DATETIME is
//! microseconds since 1970-01-01 00:00:00 of the wall clock, no zone (Arrow
//! `Timestamp(Microsecond, None)`). Valid range 0000-01-01 .. 9999-12-31 23:59:59.999999.
//!
//! Sources: 4.x BE `functions/cast/cast_to_datetimev2_impl.hpp` (a strict grammar tried
//! first, then a lenient one) and `cast_to_datev2_impl.hpp`; 2.1 / 3.0 BE
//! `vdatetime_value.cpp` `DateV2Value::from_date_str_base` (MySQL-style lenient parsing).

use chrono::NaiveDate;

use crate::timezone::TimeZone;
#[cfg(test)]
use crate::version::DorisVersion;
use crate::version::{DatetimeParser, VersionRules, ZoneOffsetAt};

/// Microseconds per second.
pub const MICROS_PER_SEC: i64 = 1_000_000;
/// Microseconds per day.
pub const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SEC;

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
#[inline]
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
#[inline]
pub fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Whether `y` is a leap year.
#[inline]
pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `m` of year `y`.
#[inline]
pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Whether a date is within Doris's range and the calendar.
#[inline]
pub fn valid_date(y: i32, m: u32, d: u32) -> bool {
    (0..=9999).contains(&y) && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
}

/// Smallest DATETIME (0000-01-01 00:00:00) in microseconds.
pub const MIN_DATETIME: i64 = -62_167_219_200 * MICROS_PER_SEC;
/// Largest DATETIME (9999-12-31 23:59:59.999999) in microseconds.
pub const MAX_DATETIME: i64 = 253_402_300_800 * MICROS_PER_SEC - 1;

/// The fields of a date/time text before rounding and zone conversion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Parsed {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Fraction digits as microseconds (first 6 digits).
    micros: u32,
    /// Up to 7 fraction digits, kept for rounding: `frac[i]` is digit i+1.
    frac: [u8; 7],
    frac_len: u8,
    zone: Option<TimeZone>,
}

impl Parsed {
    fn valid_time(&self) -> bool {
        self.hour < 24 && self.minute < 60 && self.second < 60
    }
}

/// Two-digit years: < 70 → 20xx, else 19xx (`complete_4digit_year`).
#[inline]
fn complete_year(y: i32, digits: usize) -> i32 {
    if digits <= 2 {
        if y < 70 { 2000 + y } else { 1900 + y }
    } else {
        y
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    fn digits_ahead(&self) -> usize {
        self.s[self.pos..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    }
    /// Reads exactly `n` digits.
    fn take_num(&mut self, n: usize) -> Option<u32> {
        if self.pos + n > self.s.len() {
            return None;
        }
        let mut v = 0u32;
        for &b in &self.s[self.pos..self.pos + n] {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (b - b'0') as u32;
        }
        self.pos += n;
        Some(v)
    }
    /// Reads 1..=max digits.
    fn take_upto(&mut self, max: usize) -> Option<(u32, usize)> {
        let n = self.digits_ahead().min(max);
        if n == 0 {
            return None;
        }
        Some((self.take_num(n)?, n))
    }
    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if crate::convert::number::is_ws(b) {
                self.pos += 1;
            } else {
                break;
            }
        }
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    /// Reads `.digits` into the fraction fields. With `allow_empty` a `.` with no digits is
    /// consumed too (4.x: `skip_any_digit` after the `.` may skip nothing).
    fn fraction(&mut self, p: &mut Parsed, allow_empty: bool) {
        if self.peek() == Some(b'.')
            && (allow_empty || self.s.get(self.pos + 1).is_some_and(|b| b.is_ascii_digit()))
        {
            self.pos += 1;
            let mut i = 0usize;
            while let Some(b) = self.peek() {
                if !b.is_ascii_digit() {
                    break;
                }
                if i < 7 {
                    p.frac[i] = b - b'0';
                }
                i += 1;
                self.pos += 1;
            }
            p.frac_len = i.min(7) as u8;
            let mut micros = 0u32;
            for k in 0..6 {
                micros = micros * 10 + p.frac[k] as u32;
            }
            p.micros = micros;
        }
    }
    /// An optional zone, then trailing whitespace, then the end.
    fn zone_and_end(&mut self, p: &mut Parsed) -> Option<()> {
        self.skip_ws();
        if self.at_end() {
            return Some(());
        }
        let raw = &self.s[self.pos..];
        let rest = crate::convert::number::trim_ws(raw);
        // An offset of hours only (`+8`, `+08`) must end the text: after the hour digits
        // the BE reads an optional `:` and exactly two minute digits whenever anything
        // follows, so `+08 ` fails where `+08:00 ` and `Asia/Shanghai ` pass.
        if rest.len() < raw.len()
            && matches!(rest.first(), Some(b'+' | b'-'))
            && rest.len() <= 3
            && rest[1..].iter().all(u8::is_ascii_digit)
        {
            return None;
        }
        p.zone = Some(TimeZone::parse_suffix(rest)?);
        self.pos = self.s.len();
        Some(())
    }
}

/// 4.x strict grammar (`from_string_strict_mode`).
fn parse_strict_grammar(s: &[u8]) -> Option<Parsed> {
    let mut c = Cursor { s, pos: 0 };
    let mut p = Parsed::default();
    if c.peek().is_none_or(|b| !b.is_ascii_digit()) {
        return None;
    }
    let n = c.digits_ahead();
    if n >= 14 {
        p.year = c.take_num(4)? as i32;
        p.month = c.take_num(2)?;
        p.day = c.take_num(2)?;
        p.hour = c.take_num(2)?;
        p.minute = c.take_num(2)?;
        p.second = c.take_num(2)?;
        // A fraction only right after the 14th digit; further digits are skipped.
        c.fraction(&mut p, true);
        c.pos += c.digits_ahead();
        c.zone_and_end(&mut p)?;
        return Some(p);
    }
    let next = s.get(n).copied();
    if n >= 5 && !matches!(next, Some(b'-' | b'/')) {
        match n {
            8 => {
                p.year = c.take_num(4)? as i32;
            }
            6 => {
                p.year = complete_year(c.take_num(2)? as i32, 2);
            }
            _ => return None,
        }
        p.month = c.take_num(2)?;
        p.day = c.take_num(2)?;
    } else {
        if n != 2 && n != 4 {
            return None;
        }
        p.year = complete_year(c.take_num(n)? as i32, n);
        let sep = c.peek()?;
        if sep != b'-' && sep != b'/' {
            return None;
        }
        c.pos += 1;
        p.month = c.take_upto(2)?.0;
        if !c.eat(sep) {
            return None;
        }
        p.day = c.take_upto(2)?.0;
    }
    if c.at_end() {
        return Some(p);
    }
    // One delimiter before the time: space, 'T' or ':'.
    match c.peek()? {
        b' ' | b'T' | b':' => c.pos += 1,
        _ => {
            // Trailing whitespace only.
            c.skip_ws();
            return c.at_end().then_some(p);
        }
    }
    if c.at_end() {
        return None;
    }
    let m = c.digits_ahead();
    if m == 0 {
        // "2024-04-02 +08:00" style: zone directly after the date is not accepted.
        c.pos -= 1;
        c.skip_ws();
        return c.at_end().then_some(p);
    }
    // Hour: one or two digits. Then `:M[M][:S[S]]`, or compact `MM[SS]`.
    p.hour = c.take_upto(2)?.0;
    let mut has_second = false;
    if c.eat(b':') {
        p.minute = c.take_upto(2)?.0;
        if c.eat(b':') {
            p.second = c.take_upto(2)?.0;
            has_second = true;
        }
    } else if c.digits_ahead() >= 2 {
        p.minute = c.take_num(2)?;
        if c.digits_ahead() >= 2 {
            p.second = c.take_num(2)?;
            has_second = true;
        }
    }
    if has_second {
        c.fraction(&mut p, true);
    }
    // The BE skips any digits left after the last field (`17:00:001`, `17000`).
    c.pos += c.digits_ahead();
    c.zone_and_end(&mut p)?;
    Some(p)
}

#[inline]
fn is_sep(b: u8) -> bool {
    !b.is_ascii_alphanumeric()
}

/// 4.x lenient grammar (`from_string_non_strict_mode_impl`).
fn parse_lenient_grammar(s: &[u8]) -> Option<Parsed> {
    let mut c = Cursor { s, pos: 0 };
    let mut p = Parsed::default();
    c.skip_ws();
    let n = c.digits_ahead();
    if n != 2 && n != 4 {
        return None;
    }
    p.year = complete_year(c.take_num(n)? as i32, n);
    if !c.peek().is_some_and(is_sep) {
        return None;
    }
    c.pos += 1;
    p.month = c.take_upto(2)?.0;
    if !c.peek().is_some_and(is_sep) {
        return None;
    }
    c.pos += 1;
    p.day = c.take_upto(2)?.0;
    let save = c.pos;
    c.skip_ws();
    if c.at_end() {
        return Some(p);
    }
    c.pos = save;
    match c.peek()? {
        b' ' | b'T' | b':' => c.pos += 1,
        _ => return None,
    }
    p.hour = c.take_upto(2)?.0;
    if !c.peek().is_some_and(is_sep) {
        return None;
    }
    c.pos += 1;
    p.minute = c.take_upto(2)?.0;
    if !c.peek().is_some_and(is_sep) {
        return None;
    }
    c.pos += 1;
    p.second = c.take_upto(2)?.0;
    c.fraction(&mut p, true);
    c.zone_and_end(&mut p)?;
    Some(p)
}

/// 2.1 / 3.0 MySQL-style parser (`from_date_str_base`).
fn parse_legacy(s: &[u8]) -> Option<Parsed> {
    let mut c = Cursor { s, pos: 0 };
    c.skip_ws();
    if c.peek().is_none_or(|b| !b.is_ascii_digit()) {
        return None;
    }
    let mut p = Parsed::default();
    let start = c.pos;
    // Length of the leading run of digits (with 'T' allowed inside it).
    let run_end = s[start..]
        .iter()
        .position(|b| !(b.is_ascii_digit() || *b == b'T'))
        .map_or(s.len(), |i| start + i);
    let ends_interval = run_end == s.len()
        || s[run_end] == b'.'
        || s[run_end] == b'+'
        || s[run_end] == b'-' && run_end - start > 4
        || s[run_end].is_ascii_alphabetic();
    let mut fields = [0u32; 6];
    let mut count = 0usize;
    let mut year_digits = 4usize;
    if ends_interval {
        let digits: Vec<u8> = s[start..run_end]
            .iter()
            .copied()
            .filter(u8::is_ascii_digit)
            .collect();
        let nd = digits.len();
        year_digits = if nd == 4 || nd == 8 || nd >= 14 { 4 } else { 2 };
        let mut i = 0usize;
        while i < nd && count < 6 {
            let w = if count == 0 { year_digits } else { 2 };
            let end = (i + w).min(nd);
            let mut v = 0u32;
            for &d in &digits[i..end] {
                v = v * 10 + (d - b'0') as u32;
            }
            fields[count] = v;
            count += 1;
            i = end;
        }
        c.pos = run_end;
    } else {
        while count < 6 {
            let n = c.digits_ahead();
            if n == 0 {
                break;
            }
            let (v, _) = c.take_upto(n.min(9))?;
            if count == 0 {
                year_digits = n;
            }
            fields[count] = v;
            count += 1;
            if count == 6 || c.at_end() {
                break;
            }
            let b = c.peek()?;
            if b == b'.' && count == 6 {
                break;
            }
            if b == b' ' && count != 3 {
                // A space is only a delimiter after the day.
                if count < 3 {
                    return None;
                }
                break;
            }
            if !(b.is_ascii_punctuation() || b == b' ' || b == b'T') {
                break;
            }
            if b == b'.' && count == 6 {
                break;
            }
            // Zone offsets start with '+' / '-' after the seconds.
            if count >= 4 && (b == b'+' || b == b'-') {
                break;
            }
            c.pos += 1;
            while c.peek() == Some(b' ') && count == 3 {
                c.pos += 1;
            }
        }
    }
    if count < 3 {
        return None;
    }
    p.year = complete_year(fields[0] as i32, year_digits);
    p.month = fields[1];
    p.day = fields[2];
    p.hour = fields[3];
    p.minute = fields[4];
    p.second = fields[5];
    if count == 6 {
        c.fraction(&mut p, false);
    }
    c.skip_ws();
    if !c.at_end() {
        let rest = crate::convert::number::trim_ws(&s[c.pos..]);
        p.zone = Some(TimeZone::parse_suffix(rest)?);
    }
    Some(p)
}

/// The microseconds to add for rounding to `precision` fraction digits, truncated value
/// included: first `precision` digits, +1 unit when the next digit is >= 5.
#[inline]
fn rounded_micros(p: &Parsed, precision: u8) -> i64 {
    let precision = precision.min(6) as usize;
    let unit = 10i64.pow(6 - precision as u32);
    let truncated = (p.micros as i64 / unit) * unit;
    let next = p.frac[precision];
    if next >= 5 {
        truncated + unit
    } else {
        truncated
    }
}

/// `YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DD` exactly: the common case, read without the grammar.
#[inline]
fn parse_canonical(t: &[u8]) -> Option<Parsed> {
    #[inline]
    fn d2(a: u8, b: u8) -> Option<u32> {
        let (a, b) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
        (a < 10 && b < 10).then_some(a as u32 * 10 + b as u32)
    }
    if (t.len() != 19 && t.len() != 10) || t[4] != b'-' || t[7] != b'-' {
        return None;
    }
    let mut p = Parsed {
        year: (d2(t[0], t[1])? * 100 + d2(t[2], t[3])?) as i32,
        month: d2(t[5], t[6])?,
        day: d2(t[8], t[9])?,
        ..Parsed::default()
    };
    if t.len() == 19 {
        if !matches!(t[10], b' ' | b'T') || t[13] != b':' || t[16] != b':' {
            return None;
        }
        p.hour = d2(t[11], t[12])?;
        p.minute = d2(t[14], t[15])?;
        p.second = d2(t[17], t[18])?;
    }
    Some(p)
}

/// `YYYY-MM-DD HH:MM:SS` (or with `T`), checked eight bytes at a time: `Some` of what
/// [`parse_datetime`] returns for it (no fraction to round, no zone, any precision), `None`
/// when the text has another shape.
#[inline]
fn canonical_datetime(t: &[u8]) -> Option<Option<i64>> {
    // The high bit of each byte of `w` that is not a digit, among the bytes in `digits`.
    let non_digits = |w: u64, digits: u64| super::number::non_digits(w) & digits;
    if t.len() != 19 {
        return None;
    }
    // "YYYY-MM-", "DD HH:MM", "HH:MM:SS" (the last two overlap).
    let w0 = u64::from_le_bytes(t[0..8].try_into().ok()?);
    let w1 = u64::from_le_bytes(t[8..16].try_into().ok()?);
    let w2 = u64::from_le_bytes(t[11..19].try_into().ok()?);
    let bad = non_digits(w0, 0x0080_8000_8080_8080)
        | non_digits(w1, 0x8080_0080_8000_8080)
        | non_digits(w2, 0x8080_0080_8000_8080)
        | ((w0 & 0xFF00_00FF_0000_0000) ^ 0x2D00_002D_0000_0000)
        | ((w2 & 0x0000_FF00_00FF_0000) ^ 0x0000_3A00_003A_0000);
    if bad != 0 || !matches!(t[10], b' ' | b'T') {
        return None;
    }
    let d = |i: usize| (t[i] - b'0') as u32;
    let (year, month, day) = (
        (d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3)) as i32,
        d(5) * 10 + d(6),
        d(8) * 10 + d(9),
    );
    let (hour, minute, second) = (d(11) * 10 + d(12), d(14) * 10 + d(15), d(17) * 10 + d(18));
    if !valid_date(year, month, day) || hour >= 24 || minute >= 60 || second >= 60 {
        return Some(None);
    }
    let days = days_from_civil(year, month, day) as i64;
    Some(Some(
        (days * 86_400 + (hour * 3600 + minute * 60 + second) as i64) * MICROS_PER_SEC,
    ))
}

fn parse_fields(text: &[u8], rules: &VersionRules) -> Option<Parsed> {
    if let Some(p) = parse_canonical(text) {
        return Some(p);
    }
    match rules.datetime_parser {
        DatetimeParser::StrictThenLenient => {
            parse_strict_grammar(text).or_else(|| parse_lenient_grammar(text))
        }
        DatetimeParser::MysqlLegacy => parse_legacy(text),
    }
}

/// Parses DATETIME(precision) text in the job's zone `tz`; returns wall-clock microseconds.
///
/// Fractions round half up on the digit after `precision`, carrying into seconds and
/// beyond. A zone suffix converts the time from that zone into `tz` (DST-aware in 4.x; at
/// the 1970 offsets in 2.1 / 3.0, as their parser does). `None` for invalid dates and times,
/// `0000-00-00`, and results outside 0000-01-01 .. 9999-12-31.
pub fn parse_datetime(
    text: &[u8],
    precision: u8,
    tz: &TimeZone,
    rules: &VersionRules,
) -> Option<i64> {
    if let Some(result) = canonical_datetime(text) {
        return result;
    }
    parse_datetime_fields(text, precision, tz, rules)
}

/// [`parse_datetime`] through the grammars.
fn parse_datetime_fields(
    text: &[u8],
    precision: u8,
    tz: &TimeZone,
    rules: &VersionRules,
) -> Option<i64> {
    let p = parse_fields(text, rules)?;
    if !valid_date(p.year, p.month, p.day) || !p.valid_time() {
        return None;
    }
    let days = days_from_civil(p.year, p.month, p.day) as i64;
    let secs = days * 86_400 + (p.hour * 3600 + p.minute * 60 + p.second) as i64;
    let mut micros = secs * MICROS_PER_SEC + rounded_micros(&p, precision);
    // A rounding carry past 9999-12-31 23:59:59 fails before any zone conversion
    // (`date_add_interval<SECOND>` in the BE's fraction rounding).
    if micros > MAX_DATETIME {
        return None;
    }
    if let Some(zone) = p.zone {
        // Equal fixed offsets convert to themselves; a named zone still goes through the
        // civil → absolute lookup, which moves a wall time inside a DST gap.
        if !(zone == *tz && matches!(zone, TimeZone::Fixed(_))) {
            micros = convert_zone(micros, &zone, tz, rules)?;
        }
    }
    (MIN_DATETIME..=MAX_DATETIME)
        .contains(&micros)
        .then_some(micros)
}

/// Wall-clock micros in `from` → wall-clock micros in `to`. The seconds are converted and
/// the sub-second part kept, as the BE converts a `cctz::civil_second`.
fn convert_zone(micros: i64, from: &TimeZone, to: &TimeZone, rules: &VersionRules) -> Option<i64> {
    let secs = micros.div_euclid(MICROS_PER_SEC);
    let sub = micros.rem_euclid(MICROS_PER_SEC);
    let local = match rules.zone_offset_at {
        ZoneOffsetAt::Instant => {
            let naive = chrono::DateTime::from_timestamp(secs, 0)?.naive_utc();
            let utc = civil_to_utc(from, naive);
            utc + to.offset_at_utc(utc) as i64
        }
        // cctz::civil_second{} is 1970-01-01: both offsets as of the epoch.
        ZoneOffsetAt::Epoch => secs - from.offset_at_utc(0) as i64 + to.offset_at_utc(0) as i64,
    };
    Some(local * MICROS_PER_SEC + sub)
}

/// `cctz::convert(civil_second, zone)`: the UTC second of a wall-clock time. A repeated
/// wall time (DST fold) takes the pre-transition offset, i.e. the earlier instant; a
/// skipped one (DST gap) maps to the transition instant itself.
fn civil_to_utc(zone: &TimeZone, local: chrono::NaiveDateTime) -> i64 {
    use chrono::{Offset, TimeZone as _};
    let wall = local.and_utc().timestamp();
    match zone {
        TimeZone::Fixed(off) => wall - *off as i64,
        TimeZone::Named(tz) => match tz.offset_from_local_datetime(&local) {
            chrono::LocalResult::Single(o) => wall - o.fix().local_minus_utc() as i64,
            chrono::LocalResult::Ambiguous(a, b) => {
                let (a, b) = (a.fix().local_minus_utc(), b.fix().local_minus_utc());
                wall - a.max(b) as i64
            }
            chrono::LocalResult::None => {
                // The transition is the first instant whose wall time is past `local`.
                // Offsets stay within ±16 hours, so it lies in this window.
                let past = |u: i64| u + zone.offset_at_utc(u) as i64 > wall;
                let (mut lo, mut hi) = (wall - 17 * 3600, wall + 17 * 3600);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if past(mid) {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                hi
            }
        },
    }
}

/// Parses DATE text: the time part is checked and dropped, a zone suffix is checked and not
/// applied (4.x `CastToDateV2`). Returns days since 1970-01-01.
pub fn parse_date(text: &[u8], rules: &VersionRules) -> Option<i32> {
    let p = parse_fields(text, rules)?;
    if !valid_date(p.year, p.month, p.day) || !p.valid_time() {
        return None;
    }
    Some(days_from_civil(p.year, p.month, p.day))
}

/// Splits wall-clock microseconds into (days, micros of day).
#[inline]
pub fn split_micros(micros: i64) -> (i32, i64) {
    (
        micros.div_euclid(MICROS_PER_DAY) as i32,
        micros.rem_euclid(MICROS_PER_DAY),
    )
}

/// Writes `YYYY-MM-DD`.
pub fn write_date(days: i32, out: &mut String) {
    let (y, m, d) = civil_from_days(days);
    push_padded(out, y.max(0) as u32, 4);
    out.push('-');
    push_padded(out, m, 2);
    out.push('-');
    push_padded(out, d, 2);
}

/// Writes `YYYY-MM-DD HH:MM:SS[.f{precision}]`, as the MySQL client shows DATETIME(p).
pub fn write_datetime(micros: i64, precision: u8, out: &mut String) {
    let (days, tod) = split_micros(micros);
    write_date(days, out);
    out.push(' ');
    let secs = (tod / MICROS_PER_SEC) as u32;
    push_padded(out, secs / 3600, 2);
    out.push(':');
    push_padded(out, (secs / 60) % 60, 2);
    out.push(':');
    push_padded(out, secs % 60, 2);
    if precision > 0 {
        out.push('.');
        let frac = (tod % MICROS_PER_SEC) as u32;
        let digits = frac / 10u32.pow(6 - precision.min(6) as u32);
        push_padded(out, digits, precision.min(6) as usize);
    }
}

fn push_padded(out: &mut String, v: u32, width: usize) {
    let mut buf = itoa::Buffer::new();
    let s = buf.format(v);
    for _ in s.len()..width {
        out.push('0');
    }
    out.push_str(s);
}

/// A DATE as a `chrono::NaiveDate` (for expression functions).
pub fn naive_date(days: i32) -> Option<NaiveDate> {
    let (y, m, d) = civil_from_days(days);
    NaiveDate::from_ymd_opt(y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canonical_fast_path_agrees_with_the_grammars() {
        let utc = TimeZone::Fixed(0);
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for base in [
            "2025-11-20 10:00:03",
            "2024-02-29T23:59:59",
            "2023-02-29 00:00:00",
            "0000-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "0000-00-00 00:00:00",
            "2025-13-01 00:00:00",
            "2025-01-01 24:00:00",
            "2025-01-01 23:60:00",
            "2025-01-01 23:00:60",
        ] {
            let b = base.as_bytes().to_vec();
            texts.push(b.clone());
            for at in 0..b.len() {
                for x in [b'0', b'9', b'-', b':', b' ', b'T', b'/', b'a', 0xB0, b'.'] {
                    let mut t = b.clone();
                    t[at] = x;
                    texts.push(t);
                }
            }
        }
        let mut fast = 0;
        for t in &texts {
            if let Some(got) = canonical_datetime(t) {
                fast += 1;
                for (v, p) in [
                    (DorisVersion::V4_0, 0),
                    (DorisVersion::V2_1, 3),
                    (DorisVersion::V4_0, 6),
                ] {
                    assert_eq!(
                        got,
                        parse_datetime_fields(t, p, &utc, &v.rules()),
                        "{:?}",
                        String::from_utf8_lossy(t)
                    );
                }
            }
        }
        assert!(fast > 100, "{fast}");
    }

    fn shanghai() -> TimeZone {
        TimeZone::parse_property("Asia/Shanghai").unwrap().0
    }

    fn dt(s: &str, p: u8) -> Option<String> {
        let rules = DorisVersion::V4_0.rules();
        parse_datetime(s.as_bytes(), p, &shanghai(), &rules).map(|m| {
            let mut out = String::new();
            write_datetime(m, p, &mut out);
            out
        })
    }

    #[test]
    fn civil_roundtrip() {
        for days in [-719_528, -1, 0, 1, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(0, 1, 1), -719_528);
        assert_eq!(civil_from_days(19_815), (2024, 4, 2));
    }

    // Doris 4.x cast_to_datetimev2_impl examples (docs/doris/conversion.md §5.6).
    #[test]
    fn datetime_forms_4x() {
        let c = |s: &str, want: Option<&str>| assert_eq!(dt(s, 3).as_deref(), want, "{s:?}");
        c("2024-04-02 17:00:00", Some("2024-04-02 17:00:00.000"));
        c("2024-04-02T17:00:00.1234", Some("2024-04-02 17:00:00.123"));
        c("2024-04-02 17:00:00.1235", Some("2024-04-02 17:00:00.124"));
        c("2024-04-02 17:00:00.9995", Some("2024-04-02 17:00:01.000"));
        c("2024-04-02", Some("2024-04-02 00:00:00.000"));
        c("20240402", Some("2024-04-02 00:00:00.000"));
        c("240402", Some("2024-04-02 00:00:00.000"));
        c("2024/04/02", Some("2024-04-02 00:00:00.000"));
        c("20240402170000", Some("2024-04-02 17:00:00.000"));
        c("20240402 170000", Some("2024-04-02 17:00:00.000"));
        c("2024-04-02T1700", Some("2024-04-02 17:00:00.000"));
        c("2024-4-2 7:5:3", Some("2024-04-02 07:05:03.000"));
        c("2024.04.02 17.00.00", Some("2024-04-02 17:00:00.000"));
        c("2024-04-02 17:00", Some("2024-04-02 17:00:00.000"));
        c("  2024-04-02 17:00", None);
        c("  2024-04-02 17:00:00  ", Some("2024-04-02 17:00:00.000"));
        c("2024-04-02T09:00:00Z", Some("2024-04-02 17:00:00.000"));
        c(
            "2024-04-02 09:00:00 +00:00",
            Some("2024-04-02 17:00:00.000"),
        );
        c("2024-04-02 09:00:00UTC", Some("2024-04-02 17:00:00.000"));
        c("2024-04-02 17:00:00+08:00", Some("2024-04-02 17:00:00.000"));
        c("2024-04-02 17:00:00+0800", Some("2024-04-02 17:00:00.000"));
        c("2024-04-02 17:00:00+8", Some("2024-04-02 17:00:00.000"));
        c("2024-04-02 17:00:00 CST", Some("2024-04-02 17:00:00.000"));
        c(
            "2024-04-02 12:00:00 America/New_York",
            Some("2024-04-03 00:00:00.000"),
        );
        c("2024-04-02 17:00:00+08:15", None);
        c("2024-04-02 17:00:00+15", None);
        c("2024-04-02 17:00:00 XYZ", None);
        c("2025-02-30", None);
        c("2024-04-02 24:00:00", None);
        c("2024-04-02 12:60:00", None);
        c("2024-04-02 23:59:60", None);
        c("10000-01-01", None);
        c("24012", None);
        c("123.123", None);
        c("12121", None);
        c("9999-12-31 23:59:59.9995", None);
        c("0000-00-00", None);
        c("69-01-01", Some("2069-01-01 00:00:00.000"));
        c("70-01-01", Some("1970-01-01 00:00:00.000"));
        c("", None);
        c("yesterday", None);
        c("20/11/2025 10:00", None);
    }

    #[test]
    fn precision_rounding() {
        assert_eq!(
            dt("2024-04-02 17:00:00.5", 0).as_deref(),
            Some("2024-04-02 17:00:01")
        );
        assert_eq!(
            dt("2024-04-02 17:00:00.4999", 0).as_deref(),
            Some("2024-04-02 17:00:00")
        );
        assert_eq!(
            dt("2024-12-31 23:59:59.9999999", 6).as_deref(),
            Some("2025-01-01 00:00:00.000000")
        );
        assert_eq!(
            dt("2024-04-02 17:00:00.123456", 6).as_deref(),
            Some("2024-04-02 17:00:00.123456")
        );
    }

    // 4.x CastToDateV2: time checked and dropped, zone not applied.
    #[test]
    fn dates_4x() {
        let r = DorisVersion::V4_0.rules();
        let d = |s: &str| {
            parse_date(s.as_bytes(), &r).map(|d| {
                let mut o = String::new();
                write_date(d, &mut o);
                o
            })
        };
        assert_eq!(d("2024-04-02").as_deref(), Some("2024-04-02"));
        assert_eq!(d("24-4-2").as_deref(), Some("2024-04-02"));
        assert_eq!(d("2024-04-02 23:59:59.9999").as_deref(), Some("2024-04-02"));
        assert_eq!(
            d("2024-04-02T23:00:00-05:00").as_deref(),
            Some("2024-04-02")
        );
        assert_eq!(d("2024-04-02 25:00:00"), None);
        assert_eq!(d("2025-02-29"), None);
        assert_eq!(d("2024-02-29").as_deref(), Some("2024-02-29"));
    }

    // 2.1 from_date_str_base: lenient delimiters, interval forms, 1970 zone offsets.
    #[test]
    fn legacy_forms() {
        let r = DorisVersion::V2_1.rules();
        let utc = TimeZone::UTC;
        let f = |s: &str| {
            parse_datetime(s.as_bytes(), 0, &utc, &r).map(|m| {
                let mut o = String::new();
                write_datetime(m, 0, &mut o);
                o
            })
        };
        assert_eq!(
            f("2024-04-02 17:00:00").as_deref(),
            Some("2024-04-02 17:00:00")
        );
        assert_eq!(
            f("  2024-04-02 17:00").as_deref(),
            Some("2024-04-02 17:00:00")
        );
        assert_eq!(f("240402").as_deref(), Some("2024-04-02 00:00:00"));
        assert_eq!(f("20240402T170000").as_deref(), Some("2024-04-02 17:00:00"));
        assert_eq!(f("2404021700").as_deref(), Some("2024-04-02 17:00:00"));
        assert_eq!(f("2024 04 02"), None);
        assert_eq!(
            f("2024-04-02T09:00:00+08:00").as_deref(),
            Some("2024-04-02 01:00:00")
        );
        assert_eq!(f("2024-13-02"), None);
    }
}
