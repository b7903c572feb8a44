//! Date and time functions: NOW / CURDATE, FROM_UNIXTIME, UNIX_TIMESTAMP, STR_TO_DATE,
//! DATE_FORMAT, and the field extractors (YEAR .. SECOND, TO_DATE).
//!
//! Every function works in the load's time zone ([`super::EvalEnv::time_zone`]). Sources:
//! Doris 4.x docs `from-unixtime.md`, `unix-timestamp.md`, `str-to-date.md`,
//! `date-format.md`, `now.md`; BE `function_date_or_datetime_to_string.h`
//! (`FromUnixTimeImpl`, `FromUnixTimeDecimalImpl`), `time_format_type.h` (the fixed
//! formats), `vdatetime_value.cpp` (`to_format_string_conservative`,
//! `from_date_format_str`, MySQL's `calc_week`).

use super::eval::{Args, Cx};
use super::fmt::clamp_days;
use super::value::{Out, Value, View};
use super::{Func, Node};
use crate::convert::datetime::{
    MAX_DATETIME, MICROS_PER_DAY, MICROS_PER_SEC, civil_from_days, days_from_civil, is_leap,
    split_micros, valid_date,
};
use crate::types::DorisType;

/// Field extractors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    ToDate,
}

/// Broken-down wall-clock time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Fields {
    pub(crate) year: i32,
    pub(crate) month: u32,
    pub(crate) day: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
    pub(crate) micro: u32,
}

impl Fields {
    pub(crate) fn from_micros(m: i64) -> Fields {
        let (days, tod) = split_micros(m);
        let (year, month, day) = civil_from_days(clamp_days(days));
        let secs = (tod / MICROS_PER_SEC) as u32;
        Fields {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            micro: (tod % MICROS_PER_SEC) as u32,
        }
    }

    fn from_days(d: i32) -> Fields {
        let (year, month, day) = civil_from_days(clamp_days(d));
        Fields {
            year,
            month,
            day,
            ..Fields::default()
        }
    }

    fn days(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) as i64
    }

    pub(crate) fn micros(&self) -> i64 {
        self.days() * MICROS_PER_DAY
            + (self.hour as i64 * 3600 + self.minute as i64 * 60 + self.second as i64)
                * MICROS_PER_SEC
            + self.micro as i64
    }
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The Java-style formats Doris rewrites (`rewrite_specific_format`).
pub(crate) fn rewrite_format(fmt: &[u8]) -> &[u8] {
    match fmt {
        b"yyyyMMdd" => b"%Y%m%d",
        b"yyyy-MM-dd" => b"%Y-%m-%d",
        b"yyyy-MM-dd HH:mm:ss" => b"%Y-%m-%d %H:%i:%s",
        other => other,
    }
}

/// STR_TO_DATE's result type (FE `StrToDate.computeSignature`): DATETIME(6) when a constant
/// format contains any of `HhIiklrSsTp` (literal letters included), else DATE; a non-constant
/// format gives DATETIME(6).
pub(crate) fn str_to_date_type(fmt: Option<&[u8]>) -> DorisType {
    match fmt {
        Some(f) if !f.iter().any(|c| b"HhIiklrSsTp".contains(c)) => DorisType::Date,
        _ => DorisType::DateTime { precision: 6 },
    }
}

/// Weekday of a day number: 0 = the first day of the week (Sunday when `sunday_first`).
fn weekday(days: i64, sunday_first: bool) -> i64 {
    // 1970-01-01 was a Thursday.
    if sunday_first {
        (days + 4).rem_euclid(7)
    } else {
        (days + 3).rem_euclid(7)
    }
}

fn days_in_year(y: i32) -> i64 {
    if is_leap(y) { 366 } else { 365 }
}

/// MySQL's `calc_week`: mode bits 1 = Monday first, 2 = week of the year (ISO-style years),
/// 4 = week 1 is the first week with the first weekday. Returns (week, year).
pub(crate) fn calc_week(f: &Fields, mode: u32) -> (u32, i32) {
    let monday_first = mode & 1 != 0;
    let mut week_year = mode & 2 != 0;
    let first_weekday = mode & 4 != 0;
    let daynr = f.days();
    let mut first_daynr = days_from_civil(f.year, 1, 1) as i64;
    let mut wd = weekday(first_daynr, !monday_first);
    let mut year = f.year;
    if f.month == 1 && (f.day as i64) <= 7 - wd {
        if !week_year && ((first_weekday && wd != 0) || (!first_weekday && wd >= 4)) {
            return (0, year);
        }
        week_year = true;
        year -= 1;
        let d = days_in_year(year);
        first_daynr -= d;
        wd = (wd + 53 * 7 - d).rem_euclid(7);
    }
    let days = if (first_weekday && wd != 0) || (!first_weekday && wd >= 4) {
        daynr - (first_daynr + (7 - wd))
    } else {
        daynr - (first_daynr - wd)
    };
    if week_year && days >= 52 * 7 {
        wd = (wd + days_in_year(year)).rem_euclid(7);
        if (!first_weekday && wd < 4) || (first_weekday && wd == 0) {
            return (1, year + 1);
        }
    }
    ((days.div_euclid(7) + 1).max(0) as u32, year)
}

fn push_num(buf: &mut Vec<u8>, v: u32, width: usize) {
    super::fmt::push_padded(buf, v, width);
}

/// DATE_FORMAT (`to_format_string_conservative`): appends `f` formatted by `fmt` (already
/// rewritten from the Java-style forms). `nanos` is what `%n` prints. Returns false when the
/// format is longer than 128 bytes or the result longer than 100 (Doris's buffer).
pub(crate) fn format_fields(f: &Fields, fmt: &[u8], nanos: u32, buf: &mut Vec<u8>) -> bool {
    if fmt.len() > 128 {
        return false;
    }
    let start = buf.len();
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        if c != b'%' || i + 1 == fmt.len() {
            buf.push(c);
            i += 1;
            continue;
        }
        let s = fmt[i + 1];
        i += 2;
        match s {
            b'Y' => push_num(buf, f.year.max(0) as u32, 4),
            b'y' => push_num(buf, (f.year.max(0) % 100) as u32, 2),
            b'm' => push_num(buf, f.month, 2),
            b'c' => push_num(buf, f.month, 1),
            b'M' => match MONTH_NAMES.get((f.month as usize).wrapping_sub(1)) {
                Some(n) => buf.extend_from_slice(n.as_bytes()),
                None => return false,
            },
            b'b' => match MONTH_NAMES.get((f.month as usize).wrapping_sub(1)) {
                Some(n) => buf.extend_from_slice(&n.as_bytes()[..3]),
                None => return false,
            },
            b'd' => push_num(buf, f.day, 2),
            b'e' => push_num(buf, f.day, 1),
            b'D' => {
                push_num(buf, f.day, 1);
                let suffix: &[u8] = if (11..=13).contains(&(f.day % 100)) {
                    b"th"
                } else {
                    match f.day % 10 {
                        1 => b"st",
                        2 => b"nd",
                        3 => b"rd",
                        _ => b"th",
                    }
                };
                buf.extend_from_slice(suffix);
            }
            b'j' => {
                let doy = f.days() - days_from_civil(f.year, 1, 1) as i64 + 1;
                push_num(buf, doy as u32, 3);
            }
            b'H' => push_num(buf, f.hour, 2),
            b'k' => push_num(buf, f.hour, 1),
            b'h' | b'I' => push_num(buf, (f.hour % 24 + 11) % 12 + 1, 2),
            b'l' => push_num(buf, (f.hour % 24 + 11) % 12 + 1, 1),
            b'i' => push_num(buf, f.minute, 2),
            b's' | b'S' => push_num(buf, f.second, 2),
            b'f' => push_num(buf, f.micro, 6),
            b'n' => push_num(buf, nanos, 9),
            b'p' => buf.extend_from_slice(if f.hour % 24 >= 12 { b"PM" } else { b"AM" }),
            b'r' => {
                push_num(buf, (f.hour % 24 + 11) % 12 + 1, 2);
                buf.push(b':');
                push_num(buf, f.minute, 2);
                buf.push(b':');
                push_num(buf, f.second, 2);
                buf.extend_from_slice(if f.hour % 24 >= 12 { b" PM" } else { b" AM" });
            }
            b'T' => {
                push_num(buf, f.hour, 2);
                buf.push(b':');
                push_num(buf, f.minute, 2);
                buf.push(b':');
                push_num(buf, f.second, 2);
            }
            b'W' => {
                let wd = weekday(f.days(), false) as usize;
                buf.extend_from_slice(DAY_NAMES[wd].as_bytes());
            }
            b'a' => {
                let wd = weekday(f.days(), false) as usize;
                buf.extend_from_slice(&DAY_NAMES[wd].as_bytes()[..3]);
            }
            b'w' => push_num(buf, weekday(f.days(), true) as u32, 1),
            b'U' => push_num(buf, calc_week(f, 4).0, 2),
            b'u' => push_num(buf, calc_week(f, 1).0, 2),
            b'V' => push_num(buf, calc_week(f, 6).0, 2),
            b'v' => push_num(buf, calc_week(f, 3).0, 2),
            b'X' => push_num(buf, calc_week(f, 6).1.max(0) as u32, 4),
            b'x' => push_num(buf, calc_week(f, 3).1.max(0) as u32, 4),
            other => buf.push(other),
        }
    }
    buf.len() - start <= 100
}

/// Appends the fixed formats quickly; `None` when `fmt` is not one of them.
fn format_fast(f: &Fields, fmt: &[u8], buf: &mut Vec<u8>) -> Option<()> {
    let date = |buf: &mut Vec<u8>, sep: bool| {
        push_num(buf, f.year.max(0) as u32, 4);
        if sep {
            buf.push(b'-');
        }
        push_num(buf, f.month, 2);
        if sep {
            buf.push(b'-');
        }
        push_num(buf, f.day, 2);
    };
    match fmt {
        b"yyyyMMdd" | b"%Y%m%d" => date(buf, false),
        b"yyyy-MM-dd" | b"%Y-%m-%d" => date(buf, true),
        b"yyyy-MM-dd HH:mm:ss" | b"%Y-%m-%d %H:%i:%s" => {
            date(buf, true);
            buf.push(b' ');
            push_num(buf, f.hour, 2);
            buf.push(b':');
            push_num(buf, f.minute, 2);
            buf.push(b':');
            push_num(buf, f.second, 2);
        }
        b"yyyy-MM" => {
            push_num(buf, f.year.max(0) as u32, 4);
            buf.push(b'-');
            push_num(buf, f.month, 2);
        }
        b"yyyyMM" => {
            push_num(buf, f.year.max(0) as u32, 4);
            push_num(buf, f.month, 2);
        }
        b"yyyy" => push_num(buf, f.year.max(0) as u32, 4),
        _ => return None,
    }
    Some(())
}

/// Formats with the fixed fast paths first, then the general specifiers.
pub(crate) fn format_any(f: &Fields, fmt: &[u8], nanos: u32, buf: &mut Vec<u8>) -> bool {
    if format_fast(f, fmt, buf).is_some() {
        return true;
    }
    format_fields(f, fmt, nanos, buf)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Parser state of STR_TO_DATE.
#[derive(Default)]
struct ParseState {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micro: i64,
    day_part: i64,
    twelve: bool,
    weekday: i64,
    yearday: i64,
    week_num: i64,
    strict_week: bool,
    sunday_first: bool,
    strict_year_type: bool,
    strict_year: i64,
}

fn read_int(val: &[u8], vi: &mut usize, max: usize) -> Option<(i64, usize)> {
    let end = (*vi + max).min(val.len());
    let mut v: i64 = 0;
    let mut n = 0;
    while *vi + n < end && val[*vi + n].is_ascii_digit() {
        v = v * 10 + (val[*vi + n] - b'0') as i64;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    *vi += n;
    Some((v, n))
}

/// A name (or a case-insensitive prefix of one, first match wins) at `val[vi..]`.
fn check_word(names: &[&str], val: &[u8], vi: &mut usize, abbrev: bool) -> Option<usize> {
    let n = val[*vi..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    if n == 0 {
        return None;
    }
    let word = &val[*vi..*vi + n];
    for (i, name) in names.iter().enumerate() {
        let name = if abbrev {
            &name.as_bytes()[..3]
        } else {
            name.as_bytes()
        };
        if n <= name.len() && name[..n].eq_ignore_ascii_case(word) {
            *vi += n;
            return Some(i);
        }
    }
    None
}

fn run_format(val: &[u8], vi: &mut usize, fmt: &[u8], st: &mut ParseState) -> Option<()> {
    let mut fi = 0;
    while fi < fmt.len() && *vi < val.len() {
        while *vi < val.len() && is_space(val[*vi]) {
            *vi += 1;
        }
        if *vi >= val.len() {
            break;
        }
        if fmt[fi] == b'%' && fi + 1 < fmt.len() {
            let c = fmt[fi + 1];
            fi += 2;
            match c {
                b'y' => {
                    let (v, _) = read_int(val, vi, 2)?;
                    st.year = if v >= 70 { 1900 + v } else { 2000 + v };
                }
                b'Y' => {
                    let (v, n) = read_int(val, vi, 4)?;
                    st.year = if n <= 2 {
                        if v >= 70 { 1900 + v } else { 2000 + v }
                    } else {
                        v
                    };
                }
                b'm' | b'c' => st.month = read_int(val, vi, 2)?.0,
                b'M' => st.month = check_word(&MONTH_NAMES, val, vi, false)? as i64 + 1,
                b'b' => st.month = check_word(&MONTH_NAMES, val, vi, true)? as i64 + 1,
                b'd' | b'e' => st.day = read_int(val, vi, 2)?.0,
                b'D' => {
                    st.day = read_int(val, vi, 2)?.0;
                    *vi = (*vi + 2).min(val.len());
                }
                b'h' | b'I' | b'l' => {
                    st.hour = read_int(val, vi, 2)?.0;
                    st.twelve = true;
                }
                b'k' | b'H' => st.hour = read_int(val, vi, 2)?.0,
                b'i' => st.minute = read_int(val, vi, 2)?.0,
                b's' | b'S' => st.second = read_int(val, vi, 2)?.0,
                b'f' => {
                    let (v, n) = read_int(val, vi, 6)?;
                    st.micro = v * 10i64.pow(6 - n as u32);
                }
                b'p' => {
                    if val.len() - *vi < 2
                        || !val[*vi + 1].eq_ignore_ascii_case(&b'M')
                        || !st.twelve
                    {
                        return None;
                    }
                    if val[*vi].eq_ignore_ascii_case(&b'P') {
                        st.day_part = 12;
                    }
                    *vi += 2;
                }
                b'W' => st.weekday = check_word(&DAY_NAMES, val, vi, false)? as i64 + 1,
                b'a' => st.weekday = check_word(&DAY_NAMES, val, vi, true)? as i64 + 1,
                b'w' => {
                    let (mut v, _) = read_int(val, vi, 1)?;
                    if v >= 7 {
                        return None;
                    }
                    if v == 0 {
                        v = 7;
                    }
                    st.weekday = v;
                }
                b'j' => st.yearday = read_int(val, vi, 3)?.0,
                b'u' | b'v' | b'U' | b'V' => {
                    st.sunday_first = c == b'U' || c == b'V';
                    st.strict_week = c == b'V' || c == b'v';
                    let (v, _) = read_int(val, vi, 2)?;
                    if (st.strict_week && v == 0) || v > 53 {
                        return None;
                    }
                    st.week_num = v;
                }
                b'x' | b'X' => {
                    st.strict_year_type = c == b'X';
                    st.strict_year = read_int(val, vi, 4)?.0;
                }
                b'r' => run_format(val, vi, b"%I:%i:%S %p", st)?,
                b'T' => run_format(val, vi, b"%H:%i:%S", st)?,
                b'.' => {
                    while *vi < val.len() && val[*vi].is_ascii_punctuation() {
                        *vi += 1;
                    }
                }
                b'@' => {
                    while *vi < val.len() && val[*vi].is_ascii_alphabetic() {
                        *vi += 1;
                    }
                }
                b'#' => {
                    while *vi < val.len() && val[*vi].is_ascii_digit() {
                        *vi += 1;
                    }
                }
                b'%' => {
                    if val[*vi] != b'%' {
                        return None;
                    }
                    *vi += 1;
                }
                _ => return None,
            }
        } else if !is_space(fmt[fi]) {
            if fmt[fi] != val[*vi] {
                return None;
            }
            fi += 1;
            *vi += 1;
        } else {
            fi += 1;
        }
    }
    Some(())
}

/// STR_TO_DATE's parser (MySQL `extract_date_time` as Doris ports it): whitespace in the
/// value is skipped before each element, parsing stops when either string ends, numeric
/// fields read up to their width. `None` when the text does not match or the result is not a
/// valid date and time.
pub(crate) fn parse_with_format(val: &[u8], fmt: &[u8]) -> Option<Fields> {
    let fmt = rewrite_format(fmt);
    if fmt.is_empty() {
        return None;
    }
    let mut st = ParseState {
        weekday: -1,
        yearday: -1,
        week_num: -1,
        strict_year: -1,
        ..ParseState::default()
    };
    let mut vi = 0;
    run_format(val, &mut vi, fmt, &mut st)?;
    if st.twelve {
        if st.hour > 12 || st.hour < 1 {
            return None;
        }
        st.hour = st.hour % 12 + st.day_part;
    }
    let set_days = |st: &mut ParseState, days: i64| {
        // Outside 0000-01-01 .. 9999-12-31 the result is invalid (checked below).
        if !(-719_528..=2_932_896).contains(&days) {
            st.year = -1;
            return;
        }
        let (y, m, d) = civil_from_days(days as i32);
        st.year = y as i64;
        st.month = m as i64;
        st.day = d as i64;
    };
    if st.yearday > 0 {
        let days = days_from_civil(st.year.clamp(0, 9999) as i32, 1, 1) as i64 + st.yearday - 1;
        set_days(&mut st, days);
    }
    if st.week_num >= 0 && st.weekday > 0 {
        if (st.strict_week && (st.strict_year < 0 || st.strict_year_type != st.sunday_first))
            || (!st.strict_week && st.strict_year >= 0)
        {
            return None;
        }
        let y = if st.strict_week {
            st.strict_year
        } else {
            st.year
        };
        let mut days = days_from_civil(y.clamp(0, 9999) as i32, 1, 1) as i64;
        let wb = weekday(days, st.sunday_first);
        if st.sunday_first {
            days += if wb == 0 { 0 } else { 7 } - wb + (st.week_num - 1) * 7 + st.weekday % 7;
        } else {
            days += if wb <= 3 { 0 } else { 7 } - wb + (st.week_num - 1) * 7 + st.weekday - 1;
        }
        set_days(&mut st, days);
    }
    let ok = (0..=9999).contains(&st.year)
        && (1..=12).contains(&st.month)
        && valid_date(st.year as i32, st.month as u32, st.day.clamp(0, 31) as u32)
        && (0..24).contains(&st.hour)
        && (0..60).contains(&st.minute)
        && (0..60).contains(&st.second);
    ok.then_some(Fields {
        year: st.year as i32,
        month: st.month as u32,
        day: st.day as u32,
        hour: st.hour as u32,
        minute: st.minute as u32,
        second: st.second as u32,
        micro: st.micro as u32,
    })
}

/// Fields of a DATE or DATETIME view.
fn fields_of(v: View<'_>) -> Option<Fields> {
    match v {
        View::Date(d) => Some(Fields::from_days(d)),
        View::Dt(m, _) => Some(Fields::from_micros(m)),
        _ => None,
    }
}

/// Wall-clock microseconds in `tz` → UTC microseconds.
fn utc_micros(local: i64, tz: &crate::timezone::TimeZone) -> Option<i64> {
    let secs = local.div_euclid(MICROS_PER_SEC);
    let sub = local.rem_euclid(MICROS_PER_SEC);
    let naive = chrono::DateTime::from_timestamp(secs, 0)?.naive_utc();
    Some(tz.utc_from_local(naive) * MICROS_PER_SEC + sub)
}

/// UTC seconds → wall-clock microseconds in `tz`, `None` past 9999-12-31.
fn local_micros(utc_secs: i64, sub_micros: i64, tz: &crate::timezone::TimeZone) -> Option<i64> {
    let local = utc_secs.checked_add(tz.offset_at_utc(utc_secs) as i64)?;
    let m = local.checked_mul(MICROS_PER_SEC)?.checked_add(sub_micros)?;
    (0..=MAX_DATETIME).contains(&m).then_some(m)
}

const DEFAULT_FMT: &[u8] = b"yyyy-MM-dd HH:mm:ss";

pub(crate) fn call(f: Func, node: &Node, args: &Args<'_>, out: &mut Out<'_>, cx: &mut Cx<'_>) {
    let tz = cx.env.time_zone;
    match f {
        Func::Now => {
            let p = match node.ty {
                DorisType::DateTime { precision } => precision.min(6),
                _ => 0,
            };
            let now = cx.env.now_utc_micros;
            let secs = now.div_euclid(MICROS_PER_SEC);
            let sub = now.rem_euclid(MICROS_PER_SEC);
            let unit = 10i64.pow(6 - p as u32);
            match local_micros(secs, sub - sub % unit, &tz) {
                Some(m) => out.set(Value::DateTime {
                    micros: m,
                    precision: p,
                }),
                None => out.null(),
            }
        }
        Func::CurDate => {
            let now = cx.env.now_utc_micros;
            match local_micros(now.div_euclid(MICROS_PER_SEC), 0, &tz) {
                Some(m) => out.set(Value::Date(m.div_euclid(MICROS_PER_DAY) as i32)),
                None => out.null(),
            }
        }
        Func::UnixTimestampNow => {
            let secs = cx.env.now_utc_micros.div_euclid(MICROS_PER_SEC) as i128;
            out.set(Value::Int(clamp_unix(secs, &node.ty)));
        }
        Func::UnixTimestamp => {
            let v = args.get(0);
            let local = match v {
                View::Date(d) => (d as i64).checked_mul(MICROS_PER_DAY),
                View::Dt(m, _) => Some(m),
                _ => None,
            };
            let Some(local) = local else {
                out.null();
                return;
            };
            let Some(utc) = utc_micros(local, &tz) else {
                out.null();
                return;
            };
            match node.ty {
                DorisType::Decimal { scale, .. } => {
                    // DATETIME(p): seconds with p fraction digits (truncated).
                    let unit = 10i64.pow(6 - scale.min(6) as u32);
                    let u = if utc < 0 { 0 } else { utc / unit };
                    out.set(Value::Decimal {
                        unscaled: u as i128,
                        scale,
                    });
                }
                _ => {
                    let secs = utc.div_euclid(MICROS_PER_SEC) as i128;
                    out.set(Value::Int(clamp_unix(secs, &node.ty)));
                }
            }
        }
        Func::UnixTimestampFmt => {
            let (Some(s), Some(fmt)) = (args.get(0).as_bytes(), args.get(1).as_bytes()) else {
                out.null();
                return;
            };
            let parsed = parse_with_format(s, fmt).and_then(|f| utc_micros(f.micros(), &tz));
            match parsed {
                Some(utc) => out.set(Value::Decimal {
                    unscaled: utc.max(0) as i128,
                    scale: 6,
                }),
                None => {
                    out.null();
                    cx.raise(|| {
                        format!(
                            "[INVALID_ARGUMENT]Operation unix_timestamp of {}, {} is invalid",
                            String::from_utf8_lossy(s),
                            String::from_utf8_lossy(fmt)
                        )
                    });
                }
            }
        }
        Func::StrToDate => {
            let (Some(s), Some(fmt)) = (args.get(0).as_bytes(), args.get(1).as_bytes()) else {
                out.null();
                return;
            };
            match parse_with_format(s, fmt) {
                Some(fl) => match node.ty {
                    DorisType::Date => out.set(Value::Date(fl.days() as i32)),
                    _ => out.set(Value::DateTime {
                        micros: fl.micros(),
                        precision: 6,
                    }),
                },
                None => out.null(),
            }
        }
        Func::DateFormat => {
            let (Some(fl), Some(fmt)) = (fields_of(args.get(0)), args.get(1).as_bytes()) else {
                out.null();
                return;
            };
            let nanos = fl.micro * 1000;
            let ok = format_any(&fl, fmt, nanos, out.str());
            if !ok {
                out.null();
                cx.raise(|| {
                    "[INVALID_ARGUMENT]Operation date_format of invalid or oversized format is invalid"
                        .to_string()
                });
            }
        }
        Func::FromUnixtime => from_unixtime(args, out, cx),
        Func::DatePart(part) => {
            let Some(fl) = fields_of(args.get(0)) else {
                out.null();
                return;
            };
            let v = match part {
                Part::Year => fl.year as i128,
                Part::Month => fl.month as i128,
                Part::Day => fl.day as i128,
                Part::Hour => fl.hour as i128,
                Part::Minute => fl.minute as i128,
                Part::Second => fl.second as i128,
                Part::ToDate => {
                    out.set(Value::Date(fl.days() as i32));
                    return;
                }
            };
            out.set(Value::Int(v));
        }
        _ => out.null(),
    }
}

/// Before 1970 → 0; an INT result (2.1 / 3.0) past 2038-01-19 → 0.
fn clamp_unix(secs: i128, ty: &DorisType) -> i128 {
    if secs < 0 {
        return 0;
    }
    if *ty == DorisType::Int && secs > i32::MAX as i128 {
        return 0;
    }
    secs
}

/// FROM_UNIXTIME(ts[, fmt]) with a BIGINT or (4.x) DECIMAL(18, 6) `ts`.
fn from_unixtime(args: &Args<'_>, out: &mut Out<'_>, cx: &mut Cx<'_>) {
    let ts = args.get(0);
    let fmt: Option<&[u8]> = if args.len() > 1 {
        match args.get(1).as_bytes() {
            Some(f) => Some(f),
            None => {
                out.null();
                return;
            }
        }
    } else {
        None
    };
    let tz = cx.env.time_zone;
    let v4 = cx.v4();
    let (secs, frac_micros, is_dec): (i128, i64, bool) = match ts {
        View::Int(i) => (i, 0, false),
        View::Dec(u, s) => {
            let unit = 10i128.pow(s.min(38) as u32);
            let int = u / unit;
            let frac = u % unit;
            let micros = if s <= 6 {
                frac * 10i128.pow(6 - s as u32)
            } else {
                frac / 10i128.pow(s as u32 - 6)
            };
            // A negative fraction pushes the value below its integer part.
            let adj = if micros < 0 { -1 } else { 0 };
            (
                int + adj,
                (micros + if micros < 0 { 1_000_000 } else { 0 }) as i64,
                true,
            )
        }
        _ => {
            out.null();
            return;
        }
    };
    let fail = |out: &mut Out<'_>, cx: &mut Cx<'_>| {
        out.null();
        let fmt_text = match fmt {
            Some(f) => String::from_utf8_lossy(f).into_owned(),
            None => String::from_utf8_lossy(DEFAULT_FMT).into_owned(),
        };
        let shown = match ts {
            View::Dec(u, s) => {
                let mut b = Vec::new();
                super::fmt::push_decimal(u, s, &mut b);
                String::from_utf8_lossy(&b).into_owned()
            }
            View::Int(i) => i.to_string(),
            _ => String::new(),
        };
        cx.raise(|| {
            format!(
                "[INVALID_ARGUMENT]Operation from_unixtime_new of {shown}, {fmt_text} is invalid"
            )
        });
    };
    if let Some(f) = fmt
        && f.len() > 128
    {
        out.null();
        cx.raise(|| {
            "[INVALID_ARGUMENT]Operation from_unixtime_new of invalid or oversized format is invalid"
                .to_string()
        });
        return;
    }
    let limit = if v4 { i64::MAX as i128 } else { 32_536_771_199 };
    if secs < 0 || secs > limit {
        fail(out, cx);
        return;
    }
    let Some(local) = local_micros(secs as i64, frac_micros, &tz) else {
        fail(out, cx);
        return;
    };
    let fl = Fields::from_micros(local);
    let buf = out.str();
    let ok = match fmt {
        None if is_dec => {
            // yyyy-MM-dd HH:mm:ss.SSSSSS
            format_fields(&fl, b"%Y-%m-%d %H:%i:%s.%f", 0, buf)
        }
        None => format_fast(&fl, DEFAULT_FMT, buf).is_some(),
        Some(f) => {
            let has = |c: u8| f.windows(2).any(|w| w[0] == b'%' && w[1] == c);
            if has(b'f') && has(b'n') {
                false
            } else {
                format_any(&fl, f, fl.micro * 1000, buf)
            }
        }
    };
    if !ok {
        out.null();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt_dt(s: &str, f: &str) -> String {
        let fl = parse_with_format(s.as_bytes(), b"%Y-%m-%d %H:%i:%s.%f").unwrap();
        let mut b = Vec::new();
        assert!(format_any(&fl, f.as_bytes(), fl.micro * 1000, &mut b));
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn date_format_specifiers() {
        assert_eq!(
            fmt_dt("2009-10-04 22:23:00.012345", "%W %M %Y"),
            "Sunday October 2009"
        );
        assert_eq!(
            fmt_dt(
                "1900-10-04 22:23:00.0",
                "Day: %D, Year: %y, Month: %b, DayOfYear: %j"
            ),
            "Day: 4th, Year: 00, Month: Oct, DayOfYear: 277"
        );
        assert_eq!(fmt_dt("1999-01-01 00:00:00.0", "%X-%V"), "1998-52");
        assert_eq!(fmt_dt("2006-06-01 00:00:00.0", "%%%d/%m"), "%01/06");
        assert_eq!(
            fmt_dt(
                "2009-10-04 22:23:00.012345",
                "%H %k %h %I %l %i %s %f %p %r %T %a %w %e %c"
            ),
            "22 22 10 10 10 23 00 012345 PM 10:23:00 PM 22:23:00 Sun 0 4 10"
        );
        assert_eq!(fmt_dt("2009-10-04 22:23:00.0", "%q%"), "q%");
    }

    #[test]
    fn str_to_date_forms() {
        let p = |s: &str, f: &str| parse_with_format(s.as_bytes(), f.as_bytes());
        let f = p("Oct 5 2023 3:45:00 PM", "%b %d %Y %h:%i:%s %p").unwrap();
        assert_eq!(
            (f.year, f.month, f.day, f.hour, f.minute),
            (2023, 10, 5, 15, 45)
        );
        let f = p("200442 Monday", "%X%V %W").unwrap();
        assert_eq!((f.year, f.month, f.day), (2004, 10, 18));
        assert!(p("2023/01/01", "%Y-%m-%d").is_none());
        let f = p("2023-7-5", "%Y-%m-%d").unwrap();
        assert_eq!((f.month, f.day), (7, 5));
        let f = p("2023-01-01 10:00:00 (GMT)", "%Y-%m-%d %H:%i:%s").unwrap();
        assert_eq!(f.hour, 10);
        assert!(p("2023-02-30", "%Y-%m-%d").is_none());
        let f = p("12:34:56.789", "%H:%i:%s.%f");
        assert!(f.is_none());
        let f = p("2024-01-02 12:34:56.789", "%Y-%m-%d %H:%i:%s.%f").unwrap();
        assert_eq!(f.micro, 789_000);
        let f = p("20230713", "yyyyMMdd").unwrap();
        assert_eq!((f.year, f.month, f.day), (2023, 7, 13));
    }
}
