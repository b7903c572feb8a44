//! Values as the MySQL client shows Doris query results: `Datum`, an owned value of any
//! Doris type, and its text form.
//!
//! Rules (Doris BE `write_column_to_mysql` serdes, `MysqlRowBuffer`): BOOLEAN prints `1` / `0`
//! at the top level and `true` / `false` inside containers; FLOAT / DOUBLE print the shortest
//! with 7 and 16 significant digits (C `%g`), with `NaN`, `Infinity`, `-Infinity`; DECIMAL always with its scale; DATETIME(p) with
//! exactly p fraction digits; JSON compact; ARRAY `[1, 2]`, MAP `{"k":1, "j":2}`, STRUCT
//! `{"a":1, "b":"x"}` with strings, dates and IPs quoted inside containers; NULL inside a
//! container prints `null`.

use crate::convert::datetime::{write_date, write_datetime};
use crate::convert::ip::{format_ipv4, format_ipv6};

/// An owned value of any Doris type.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    /// SQL NULL.
    Null,
    /// BOOLEAN.
    Bool(bool),
    /// Any integer type, LARGEINT included.
    Int(i128),
    /// FLOAT.
    Float(f32),
    /// DOUBLE.
    Double(f64),
    /// DECIMAL: the unscaled integer and the scale.
    Decimal {
        /// value × 10^scale.
        unscaled: i128,
        /// Digits after the point.
        scale: u8,
    },
    /// DATE: days since 1970-01-01.
    Date(i32),
    /// DATETIME(p): wall-clock microseconds since 1970-01-01 00:00:00.
    DateTime {
        /// Microseconds.
        micros: i64,
        /// Fraction digits shown.
        precision: u8,
    },
    /// CHAR / VARCHAR / STRING bytes.
    Str(Vec<u8>),
    /// JSON / VARIANT, as its compact text.
    Json(String),
    /// IPV4.
    Ipv4(u32),
    /// IPV6.
    Ipv6(u128),
    /// ARRAY.
    Array(Vec<Datum>),
    /// MAP, in insertion order.
    Map(Vec<(Datum, Datum)>),
    /// STRUCT: field names and values.
    Struct(Vec<(String, Datum)>),
}

impl Datum {
    /// The text the MySQL client shows; `None` for NULL.
    pub fn to_mysql(&self) -> Option<String> {
        if matches!(self, Datum::Null) {
            return None;
        }
        let mut out = String::new();
        self.write(0, &mut out);
        Some(out)
    }

    fn write(&self, level: usize, out: &mut String) {
        let quoted = level > 0;
        match self {
            Datum::Null => out.push_str(if level > 0 { "null" } else { "NULL" }),
            Datum::Bool(b) => out.push_str(match (b, level > 0) {
                (true, false) => "1",
                (false, false) => "0",
                (true, true) => "true",
                (false, true) => "false",
            }),
            Datum::Int(v) => {
                let mut buf = itoa::Buffer::new();
                out.push_str(buf.format(*v));
            }
            Datum::Float(v) => out.push_str(&format_float(*v as f64, true)),
            Datum::Double(v) => out.push_str(&format_float(*v, false)),
            Datum::Decimal { unscaled, scale } => write_decimal(*unscaled, *scale, out),
            Datum::Date(d) => {
                if quoted {
                    out.push('"');
                }
                write_date(*d, out);
                if quoted {
                    out.push('"');
                }
            }
            Datum::DateTime { micros, precision } => {
                if quoted {
                    out.push('"');
                }
                write_datetime(*micros, *precision, out);
                if quoted {
                    out.push('"');
                }
            }
            Datum::Str(s) => {
                if quoted {
                    out.push('"');
                }
                out.push_str(&String::from_utf8_lossy(s));
                if quoted {
                    out.push('"');
                }
            }
            Datum::Json(j) => out.push_str(j),
            Datum::Ipv4(v) => {
                if quoted {
                    out.push('"');
                }
                out.push_str(&format_ipv4(*v));
                if quoted {
                    out.push('"');
                }
            }
            Datum::Ipv6(v) => {
                if quoted {
                    out.push('"');
                }
                out.push_str(&format_ipv6(*v));
                if quoted {
                    out.push('"');
                }
            }
            Datum::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(level + 1, out);
                }
                out.push(']');
            }
            Datum::Map(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.write(level + 1, out);
                    out.push(':');
                    v.write(level + 1, out);
                }
                out.push('}');
            }
            Datum::Struct(fields) => {
                out.push('{');
                for (i, (name, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push('"');
                    out.push_str(name);
                    out.push_str("\":");
                    v.write(level + 1, out);
                }
                out.push('}');
            }
        }
    }
}

/// Writes a DECIMAL with exactly `scale` fraction digits.
pub fn write_decimal(unscaled: i128, scale: u8, out: &mut String) {
    if unscaled < 0 {
        out.push('-');
    }
    let mag = unscaled.unsigned_abs();
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(mag);
    let scale = scale as usize;
    if scale == 0 {
        out.push_str(digits);
        return;
    }
    if digits.len() <= scale {
        out.push_str("0.");
        for _ in digits.len()..scale {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
}

/// FLOAT / DOUBLE as Doris 4.x prints them: C `%.7g` for FLOAT and `%.16g` for DOUBLE
/// (regression outputs: FLOAT `-25698.552734` shows `-25698.55`, DOUBLE `-686632233.230200`
/// shows `-686632233.2302001`), with `NaN`, `Infinity`, `-Infinity`.
pub fn format_float(v: f64, single: bool) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    crate::convert::json::format_g(v, if single { 7 } else { 16 })
}

#[cfg(test)]
mod tests {
    use super::*;

    // MysqlRowBuffer / fmt "{}" printing of doubles.
    /// Values as Doris reads them from text (the regression data's spelling).
    fn f(s: &str) -> f32 {
        s.parse().unwrap()
    }
    fn d(s: &str) -> f64 {
        s.parse().unwrap()
    }

    #[test]
    fn floats() {
        assert_eq!(format_float(0.1, false), "0.1");
        assert_eq!(format_float(100.0, false), "100");
        assert_eq!(format_float(7.0, false), "7");
        assert_eq!(format_float(1e15, false), "1000000000000000");
        assert_eq!(format_float(1e16, false), "1e+16");
        assert_eq!(format_float(1e-5, false), "1e-05");
        assert_eq!(format_float(0.0001, false), "0.0001");
        assert_eq!(format_float(123456.789, false), "123456.789");
        assert_eq!(format_float(-2.5, false), "-2.5");
        assert_eq!(format_float(0.1f32 as f64, true), "0.1");
        // Regression test_stream_load_cast (4.x era): FLOAT -25698.552734 → -25698.55.
        assert_eq!(format_float(f("-25698.552734") as f64, true), "-25698.55");
        assert_eq!(format_float(f("6614.089355") as f64, true), "6614.089");
        assert_eq!(format_float(-578615669.042831, false), "-578615669.0428309");
        assert_eq!(format_float(f64::INFINITY, false), "Infinity");
        assert_eq!(format_float(f64::NAN, false), "NaN");
        assert_eq!(
            format_float(d("-686632233.230200"), false),
            "-686632233.2302001"
        );
    }

    #[test]
    fn decimals() {
        let d = |u, s| {
            Datum::Decimal {
                unscaled: u,
                scale: s,
            }
            .to_mysql()
            .unwrap()
        };
        assert_eq!(d(150, 2), "1.50");
        assert_eq!(d(-50, 2), "-0.50");
        assert_eq!(d(5, 3), "0.005");
        assert_eq!(d(12, 0), "12");
    }

    #[test]
    fn containers() {
        let a = Datum::Array(vec![Datum::Int(1), Datum::Null, Datum::Int(3)]);
        assert_eq!(a.to_mysql().unwrap(), "[1, null, 3]");
        let s = Datum::Array(vec![Datum::Str(b"a".to_vec()), Datum::Bool(true)]);
        assert_eq!(s.to_mysql().unwrap(), "[\"a\", true]");
        let m = Datum::Map(vec![
            (Datum::Str(b"abc".to_vec()), Datum::Int(123)),
            (Datum::Str(b"def".to_vec()), Datum::Int(456)),
        ]);
        assert_eq!(m.to_mysql().unwrap(), "{\"abc\":123, \"def\":456}");
        let st = Datum::Struct(vec![
            ("col1".into(), Datum::Int(123)),
            ("col2".into(), Datum::Str(b"abc".to_vec())),
        ]);
        assert_eq!(st.to_mysql().unwrap(), "{\"col1\":123, \"col2\":\"abc\"}");
        assert_eq!(Datum::Bool(true).to_mysql().unwrap(), "1");
        assert_eq!(Datum::Null.to_mysql(), None);
    }
}
