//! Doris's non-strict CAST between the types a load expression handles: the implicit casts
//! the planner inserts, explicit `CAST(x AS t)`, slot text converted to a slot's declared
//! type, and the final projection of a mapping into its column. A failed conversion is NULL.
//!
//! Text sources reuse the load conversion rules of [`crate::convert`] (so `CAST('3.7' AS
//! INT)` is 3, `CAST('1e400' AS DOUBLE)` follows the release's overflow rule, DATETIME text
//! with a zone suffix moves into the load time zone). Numbers print as Doris's CAST to
//! STRING prints them (FLOAT `%.7g`, DOUBLE `%.16g`, DECIMAL with its scale). Sources:
//! Doris docs `sql-manual/basic-element/sql-data-types/conversion/*` (4.x).

use super::{EvalEnv, JsonBufs};
use std::fmt::Write as _;

use super::fmt::{
    StackBuf, push_date, push_datetime, push_decimal, push_float, push_g, push_int, shortest_f64,
};
use super::types::{Kind, fits_decimal, kind_of};
use super::value::{Out, Value, View};
use crate::convert::datetime::{
    MAX_DATETIME, MICROS_PER_DAY, MICROS_PER_SEC, civil_from_days, split_micros,
};
use crate::convert::number::POW10;
use crate::convert::{
    parse_bool, parse_date, parse_datetime, parse_decimal, parse_f32, parse_f64, parse_int,
};
use crate::types::DorisType;
use crate::version::DecimalOverflow;

/// Casts `v` (of type `from`) to `to`, writing the result into `out`.
pub(crate) fn cast(
    v: View<'_>,
    from: &DorisType,
    to: &DorisType,
    out: &mut Out<'_>,
    env: &EvalEnv,
    json: &mut JsonBufs,
) {
    if v.is_null() {
        out.null();
        return;
    }
    let Some(kind) = kind_of(to) else {
        out.null();
        return;
    };
    match kind {
        Kind::Null => out.null(),
        Kind::Bool => match to_bool(v, env) {
            Some(b) => out.set(Value::Bool(b)),
            None => out.null(),
        },
        Kind::Int => {
            let (lo, hi) = to.integer_range().unwrap_or((i128::MIN, i128::MAX));
            match to_int(v, lo, hi, env) {
                Some(i) => out.set(Value::Int(i)),
                None => out.null(),
            }
        }
        Kind::Float => {
            let single = *to == DorisType::Float;
            match to_f64(v, single, env) {
                Some(f) => out.set(Value::Float(if single { f as f32 as f64 } else { f })),
                None => out.null(),
            }
        }
        Kind::Dec => {
            let (p, s) = match to {
                DorisType::Decimal { precision, scale } => (*precision, *scale),
                _ => (38, 0),
            };
            match to_dec(v, p, s, env) {
                Some(u) => out.set(Value::Decimal {
                    unscaled: u,
                    scale: s,
                }),
                None => out.null(),
            }
        }
        Kind::Date => match to_date(v, env) {
            Some(d) => out.set(Value::Date(d)),
            None => out.null(),
        },
        Kind::Dt => {
            let p = match to {
                DorisType::DateTime { precision } => (*precision).min(6),
                _ => 0,
            };
            match to_dt(v, p, env) {
                Some(m) => out.set(Value::DateTime {
                    micros: m,
                    precision: p,
                }),
                None => out.null(),
            }
        }
        Kind::Str => {
            if let View::Str(b) = v {
                out.str().extend_from_slice(b);
            } else {
                let single = *from == DorisType::Float;
                write_text(v, single, out.str());
            }
        }
        Kind::Json => {
            if let View::Json(b) = v {
                out.json().extend_from_slice(b);
                return;
            }
            let ok = write_json_value(v, *from == DorisType::Float, out.json(), json);
            if !ok {
                out.null();
            }
        }
    }
}

/// The text of a non-NULL value as CAST(x AS STRING) writes it, appended to `buf`.
pub(crate) fn write_text(v: View<'_>, single: bool, buf: &mut Vec<u8>) {
    match v {
        View::Null => {}
        View::Bool(b) => buf.push(if b { b'1' } else { b'0' }),
        View::Int(i) => push_int(i, buf),
        View::Float(f) => push_float(f, single, buf),
        View::Dec(u, s) => push_decimal(u, s, buf),
        View::Date(d) => push_date(d, buf),
        View::Dt(m, p) => push_datetime(m, p, buf),
        View::Str(b) | View::Json(b) => buf.extend_from_slice(b),
    }
}

/// A non-NULL value as JSON text (JSONB's canonical printing); false when it has none.
fn write_json_value(v: View<'_>, single: bool, buf: &mut Vec<u8>, bufs: &mut JsonBufs) -> bool {
    match v {
        View::Null => false,
        View::Bool(b) => {
            buf.extend_from_slice(if b { b"true" } else { b"false" });
            true
        }
        View::Int(i) => {
            push_int(i, buf);
            true
        }
        View::Float(f) => {
            if !f.is_finite() {
                return false;
            }
            push_g(f, if single { 7 } else { 15 }, buf);
            true
        }
        View::Dec(u, s) => {
            push_decimal(u, s, buf);
            true
        }
        View::Date(d) => {
            buf.push(b'"');
            push_date(d, buf);
            buf.push(b'"');
            true
        }
        View::Dt(m, p) => {
            buf.push(b'"');
            push_datetime(m, p, buf);
            buf.push(b'"');
            true
        }
        View::Str(b) => super::json::canonicalize(b, buf, bufs),
        View::Json(b) => {
            buf.extend_from_slice(b);
            true
        }
    }
}

/// A JSON scalar in canonical text, classified.
enum JsonScalar<'a> {
    Number(&'a [u8]),
    Bool(bool),
    Other,
}

fn json_scalar(b: &[u8]) -> JsonScalar<'_> {
    match b.first() {
        Some(b'-' | b'0'..=b'9') => JsonScalar::Number(b),
        Some(b't') => JsonScalar::Bool(true),
        Some(b'f') => JsonScalar::Bool(false),
        _ => JsonScalar::Other,
    }
}

fn is_integral_token(t: &[u8]) -> bool {
    !t.iter().any(|b| matches!(b, b'.' | b'e' | b'E'))
}

/// YYYYMMDD of a DATE.
fn date_number(days: i32) -> i128 {
    let (y, m, d) = civil_from_days(super::fmt::clamp_days(days));
    y as i128 * 10_000 + m as i128 * 100 + d as i128
}

/// YYYYMMDDhhmmss of a DATETIME.
fn datetime_number(micros: i64) -> i128 {
    let (days, tod) = split_micros(micros);
    let secs = (tod / MICROS_PER_SEC) as i128;
    date_number(days) * 1_000_000 + (secs / 3600) * 10_000 + (secs / 60 % 60) * 100 + secs % 60
}

pub(crate) fn to_bool(v: View<'_>, env: &EvalEnv) -> Option<bool> {
    match v {
        View::Null => None,
        View::Bool(b) => Some(b),
        View::Int(i) => Some(i != 0),
        View::Float(f) => (!f.is_nan()).then_some(f != 0.0),
        View::Dec(u, _) => Some(u != 0),
        View::Date(_) | View::Dt(..) => None,
        View::Str(b) => parse_bool(b, false, &env.rules),
        View::Json(b) => match json_scalar(b) {
            JsonScalar::Bool(x) => Some(x),
            JsonScalar::Number(t) => parse_f64(t, &env.rules).map(|f| f != 0.0),
            JsonScalar::Other => None,
        },
    }
}

pub(crate) fn to_int(v: View<'_>, lo: i128, hi: i128, env: &EvalEnv) -> Option<i128> {
    let i = match v {
        View::Null => return None,
        View::Bool(b) => b as i128,
        View::Int(i) => i,
        View::Float(f) => float_to_int(f)?,
        View::Dec(u, s) => u / POW10[s.min(38) as usize],
        View::Date(d) => date_number(d),
        View::Dt(m, _) => datetime_number(m),
        View::Str(b) => return parse_int(b, lo, hi, false, &env.rules),
        View::Json(b) => match json_scalar(b) {
            JsonScalar::Bool(x) => x as i128,
            JsonScalar::Number(t) if is_integral_token(t) => {
                return parse_int(t, lo, hi, false, &env.rules);
            }
            JsonScalar::Number(t) => float_to_int(parse_f64(t, &env.rules)?)?,
            JsonScalar::Other => return None,
        },
    };
    (lo..=hi).contains(&i).then_some(i)
}

fn float_to_int(f: f64) -> Option<i128> {
    if !f.is_finite() {
        return None;
    }
    let t = f.trunc();
    if !(-1.7e38..=1.7e38).contains(&t) {
        return None;
    }
    Some(t as i128)
}

pub(crate) fn to_f64(v: View<'_>, single: bool, env: &EvalEnv) -> Option<f64> {
    Some(match v {
        View::Null => return None,
        View::Bool(b) => b as u8 as f64,
        View::Int(i) => i as f64,
        View::Float(f) => f,
        View::Dec(u, s) => dec_to_f64(u, s),
        View::Date(d) => date_number(d) as f64,
        View::Dt(m, _) => datetime_number(m) as f64,
        View::Str(b) => {
            return if single {
                parse_f32(b, &env.rules).map(|f| f as f64)
            } else {
                parse_f64(b, &env.rules)
            };
        }
        View::Json(b) => match json_scalar(b) {
            JsonScalar::Bool(x) => x as u8 as f64,
            JsonScalar::Number(t) => parse_f64(t, &env.rules)?,
            JsonScalar::Other => return None,
        },
    })
}

pub(crate) fn dec_to_f64(u: i128, s: u8) -> f64 {
    // Exact operands make the division correctly rounded: the same double as the text.
    if u.unsigned_abs() < (1u128 << 53) && s <= 22 {
        return u as f64 / 10f64.powi(s as i32);
    }
    let mut buf = StackBuf::<64>::new();
    let _ = write!(buf, "{u}e-{s}");
    std::str::from_utf8(buf.as_bytes())
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(u as f64 / 10f64.powi(s as i32))
}

/// Rescales a decimal from scale `from` to scale `to`, rounding half away from zero.
pub(crate) fn rescale(u: i128, from: u8, to: u8) -> Option<i128> {
    if to >= from {
        u.checked_mul(*POW10.get((to - from) as usize)?)
    } else {
        // Dividing by 10^39 or more leaves nothing (|u| < 1.8e38), rounding included.
        let Some(&div) = POW10.get((from - to) as usize) else {
            return Some(0);
        };
        let q = u / div;
        let r = (u % div).unsigned_abs();
        if r * 2 >= div.unsigned_abs() {
            Some(if u < 0 { q - 1 } else { q + 1 })
        } else {
            Some(q)
        }
    }
}

fn dec_overflow(neg: bool, p: u8, env: &EvalEnv) -> Option<i128> {
    match env.rules.decimal_overflow {
        DecimalOverflow::Fail => None,
        DecimalOverflow::Saturate => {
            let max = POW10[p.min(38) as usize] - 1;
            Some(if neg { -max } else { max })
        }
    }
}

pub(crate) fn to_dec(v: View<'_>, p: u8, s: u8, env: &EvalEnv) -> Option<i128> {
    let u = match v {
        View::Null => return None,
        View::Str(b) => return parse_decimal(b, p.min(38), s, &env.rules),
        View::Float(f) => {
            if !f.is_finite() {
                return None;
            }
            return parse_decimal(shortest_f64(f).as_bytes(), p.min(38), s, &env.rules);
        }
        View::Json(b) => match json_scalar(b) {
            JsonScalar::Number(t) => return parse_decimal(t, p.min(38), s, &env.rules),
            JsonScalar::Bool(x) => (x as i128).checked_mul(POW10[s as usize]),
            JsonScalar::Other => return None,
        },
        View::Bool(b) => (b as i128).checked_mul(POW10[s as usize]),
        View::Int(i) => i.checked_mul(POW10[s.min(38) as usize]),
        View::Dec(u, from) => rescale(u, from, s),
        View::Date(d) => date_number(d).checked_mul(POW10[s.min(38) as usize]),
        View::Dt(m, _) => datetime_number(m).checked_mul(POW10[s.min(38) as usize]),
    };
    let neg = match v {
        View::Int(i) => i < 0,
        View::Dec(u, _) => u < 0,
        _ => false,
    };
    match u {
        Some(u) if fits_decimal(u, p) => Some(u),
        _ => dec_overflow(neg, p, env),
    }
}

fn digits_of(i: i128) -> itoa::Buffer {
    let mut b = itoa::Buffer::new();
    b.format(i);
    b
}

pub(crate) fn to_date(v: View<'_>, env: &EvalEnv) -> Option<i32> {
    match v {
        View::Str(b) => parse_date(b, &env.rules),
        View::Date(d) => Some(d),
        View::Dt(m, _) => Some(m.div_euclid(MICROS_PER_DAY) as i32),
        View::Int(i) if i > 0 => {
            let mut b = digits_of(i);
            parse_date(b.format(i).as_bytes(), &env.rules)
        }
        View::Json(b) if b.first() == Some(&b'"') && b.len() >= 2 => {
            parse_date(&b[1..b.len() - 1], &env.rules)
        }
        _ => None,
    }
}

/// Rounds wall-clock microseconds to `p` fraction digits (half up).
pub(crate) fn round_micros(m: i64, p: u8) -> Option<i64> {
    let unit = 10i64.pow(6 - p.min(6) as u32);
    let r = m.rem_euclid(unit);
    let down = m - r;
    let v = if r * 2 >= unit { down + unit } else { down };
    (v <= MAX_DATETIME).then_some(v)
}

pub(crate) fn to_dt(v: View<'_>, p: u8, env: &EvalEnv) -> Option<i64> {
    match v {
        View::Str(b) => parse_datetime(b, p, &env.time_zone, &env.rules),
        View::Date(d) => (d as i64).checked_mul(MICROS_PER_DAY),
        View::Dt(m, q) => {
            if q > p {
                round_micros(m, p)
            } else {
                Some(m)
            }
        }
        View::Int(i) if i > 0 => {
            let mut b = digits_of(i);
            parse_datetime(b.format(i).as_bytes(), p, &env.time_zone, &env.rules)
        }
        View::Json(b) if b.first() == Some(&b'"') && b.len() >= 2 => {
            parse_datetime(&b[1..b.len() - 1], p, &env.time_zone, &env.rules)
        }
        _ => None,
    }
}
