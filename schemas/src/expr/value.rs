//! Values an expression produces and reads: [`Value`] (owned, one per register), [`ValueRef`]
//! (what a caller hands in for a slot) and the crate-internal `View` (a borrowed, `Copy` look
//! at either), plus `Out`, the writer that keeps a register's byte buffer alive across
//! NULLs so that a warm evaluation never allocates.

use std::fmt;

use crate::convert::datetime::{write_date, write_datetime};
use crate::display::{format_float, write_decimal};

/// A value of an evaluated expression.
///
/// Which variant a value uses follows from the expression's type: BOOLEAN → `Bool`, every
/// integer type → `Int`, FLOAT and DOUBLE → `Float` (a FLOAT is kept rounded to single
/// precision), DECIMAL → `Decimal` with the type's scale, DATE → `Date`, DATETIME(p) →
/// `DateTime` with `precision = p`, CHAR / VARCHAR / STRING → `Str`, JSON → `Json`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// SQL NULL.
    #[default]
    Null,
    /// BOOLEAN.
    Bool(bool),
    /// TINYINT .. LARGEINT.
    Int(i128),
    /// FLOAT and DOUBLE.
    Float(f64),
    /// DECIMAL(p, s): `unscaled / 10^scale`.
    Decimal {
        /// The value times 10^scale.
        unscaled: i128,
        /// Digits after the point.
        scale: u8,
    },
    /// DATE: days since 1970-01-01.
    Date(i32),
    /// DATETIME(p): wall-clock microseconds since 1970-01-01 00:00:00 (no zone).
    DateTime {
        /// Microseconds.
        micros: i64,
        /// Fraction digits of the type.
        precision: u8,
    },
    /// CHAR / VARCHAR / STRING bytes.
    Str(Vec<u8>),
    /// JSON, as compact canonical JSON text.
    Json(Vec<u8>),
}

impl Value {
    /// Whether this is SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The bytes of a `Str` or `Json` value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(b) | Value::Json(b) => Some(b),
            _ => None,
        }
    }

    pub(crate) fn view(&self) -> View<'_> {
        match self {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Int(v) => View::Int(*v),
            Value::Float(v) => View::Float(*v),
            Value::Decimal { unscaled, scale } => View::Dec(*unscaled, *scale),
            Value::Date(d) => View::Date(*d),
            Value::DateTime { micros, precision } => View::Dt(*micros, *precision),
            Value::Str(b) => View::Str(b),
            Value::Json(b) => View::Json(b),
        }
    }
}

impl fmt::Display for Value {
    /// The text the MySQL client would show (`NULL` for NULL; BOOLEAN as `1` / `0`;
    /// FLOAT and DOUBLE with DOUBLE's 16 significant digits).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Bool(b) => f.write_str(if *b { "1" } else { "0" }),
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => f.write_str(&format_float(*v, false)),
            Value::Decimal { unscaled, scale } => {
                let mut s = String::new();
                write_decimal(*unscaled, *scale, &mut s);
                f.write_str(&s)
            }
            Value::Date(d) => {
                let mut s = String::new();
                write_date(*d, &mut s);
                f.write_str(&s)
            }
            Value::DateTime { micros, precision } => {
                let mut s = String::new();
                write_datetime(*micros, *precision, &mut s);
                f.write_str(&s)
            }
            Value::Str(b) | Value::Json(b) => f.write_str(&String::from_utf8_lossy(b)),
        }
    }
}

/// What a caller hands in for one slot of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// SQL NULL (a missing or `\N` field).
    Null,
    /// Raw source text (a CSV field, a JSON scalar's text); its type is VARCHAR. When the
    /// slot's declared type is not a string type the text is converted with Doris's
    /// non-strict CAST on the way in.
    Text(&'a [u8]),
    /// An already-typed value (for example a 4.x cast-project value of a table column).
    Value(&'a Value),
}

/// A borrowed, copyable look at a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum View<'a> {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Dec(i128, u8),
    Date(i32),
    Dt(i64, u8),
    Str(&'a [u8]),
    Json(&'a [u8]),
}

impl<'a> View<'a> {
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, View::Null)
    }

    /// BOOLEAN of a predicate result: `Some(b)` or `None` for NULL (and anything else).
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            View::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub(crate) fn as_int(&self) -> Option<i128> {
        match self {
            View::Int(v) => Some(*v),
            _ => None,
        }
    }

    pub(crate) fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            View::Str(b) | View::Json(b) => Some(b),
            _ => None,
        }
    }
}

/// Writes one register (or the caller's output value), keeping the byte buffer of a string
/// value in `spare` while the register holds NULL or a scalar, so that it can be reused.
pub(crate) struct Out<'a> {
    pub(crate) v: &'a mut Value,
    pub(crate) spare: &'a mut Vec<u8>,
}

impl<'a> Out<'a> {
    pub(crate) fn new(v: &'a mut Value, spare: &'a mut Vec<u8>) -> Self {
        Out { v, spare }
    }

    /// Replaces the value with a scalar, keeping any byte buffer.
    #[inline]
    pub(crate) fn set(&mut self, value: Value) {
        let old = std::mem::replace(self.v, value);
        if let Value::Str(b) | Value::Json(b) = old
            && b.capacity() >= self.spare.capacity()
        {
            *self.spare = b;
        }
    }

    #[inline]
    pub(crate) fn null(&mut self) {
        self.set(Value::Null);
    }

    /// Makes the value an empty `Str` and returns its buffer.
    #[inline]
    pub(crate) fn str(&mut self) -> &mut Vec<u8> {
        self.bytes(false)
    }

    /// Makes the value an empty `Json` and returns its buffer.
    #[inline]
    pub(crate) fn json(&mut self) -> &mut Vec<u8> {
        self.bytes(true)
    }

    fn bytes(&mut self, json: bool) -> &mut Vec<u8> {
        let buf = match std::mem::replace(self.v, Value::Null) {
            Value::Str(b) | Value::Json(b) => b,
            _ => std::mem::take(self.spare),
        };
        *self.v = if json {
            Value::Json(buf)
        } else {
            Value::Str(buf)
        };
        match self.v {
            Value::Str(b) | Value::Json(b) => {
                b.clear();
                b
            }
            // Just assigned above.
            _ => self.spare,
        }
    }

    /// Copies a view into the value.
    pub(crate) fn copy(&mut self, v: View<'_>) {
        match v {
            View::Null => self.null(),
            View::Bool(b) => self.set(Value::Bool(b)),
            View::Int(i) => self.set(Value::Int(i)),
            View::Float(f) => self.set(Value::Float(f)),
            View::Dec(u, s) => self.set(Value::Decimal {
                unscaled: u,
                scale: s,
            }),
            View::Date(d) => self.set(Value::Date(d)),
            View::Dt(m, p) => self.set(Value::DateTime {
                micros: m,
                precision: p,
            }),
            View::Str(b) => self.str().extend_from_slice(b),
            View::Json(b) => self.json().extend_from_slice(b),
        }
    }
}
