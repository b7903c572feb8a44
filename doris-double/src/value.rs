//! Values: source text → [`Datum`] under a column's type (the conversion rules of
//! `routinely_schemas::convert`), Arrow arrays → [`Datum`]s the way Doris's Arrow reader
//! reads them (BE `ArrowStreamReader` and each serde's `read_column_from_arrow`: same-width
//! buffers copied bitwise, DATETIME as a UTC epoch shown at +08:00, IPV6 as text, ...), and the ordering and aggregation of values
//! that the key models need.

use std::cmp::Ordering;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};
use routinely_schemas::convert::ip::{parse_ipv4, parse_ipv6};
use routinely_schemas::convert::json::{JsonOutput, write_json};
use routinely_schemas::convert::nested::{Element, split_array, split_map, split_struct};
use routinely_schemas::convert::{
    StringFit, fit_string, parse_bool, parse_date, parse_datetime, parse_decimal, parse_f32,
    parse_f64, parse_int,
};
use routinely_schemas::display::Datum;
use routinely_schemas::table::AggregationType;
use routinely_schemas::{DorisType, TimeZone, VersionRules};

/// Why a text value did not convert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvError {
    /// The text is not a value of the type (NULL in non-strict mode, filtered in strict mode).
    Invalid,
    /// A string longer than the column allows (always filtered); the byte limit.
    TooLong(u32),
}

/// The conversion context of one load.
#[derive(Debug, Clone)]
pub struct ConvCtx {
    /// `strict_mode`.
    pub strict: bool,
    /// The load's `timezone` (zone suffixes in DATETIME text convert into it).
    pub tz: TimeZone,
    /// Release-dependent rules.
    pub rules: VersionRules,
}

/// Converts source text to a value of `ty`.
pub fn from_text(text: &[u8], ty: &DorisType, ctx: &ConvCtx) -> Result<Datum, ConvError> {
    let bad = ConvError::Invalid;
    Ok(match ty {
        DorisType::Boolean => Datum::Bool(parse_bool(text, ctx.strict, &ctx.rules).ok_or(bad)?),
        DorisType::TinyInt
        | DorisType::SmallInt
        | DorisType::Int
        | DorisType::BigInt
        | DorisType::LargeInt => {
            let (min, max) = ty.integer_range().ok_or(ConvError::Invalid)?;
            Datum::Int(parse_int(text, min, max, ctx.strict, &ctx.rules).ok_or(bad)?)
        }
        DorisType::Float => Datum::Float(parse_f32(text, &ctx.rules).ok_or(bad)?),
        DorisType::Double => Datum::Double(parse_f64(text, &ctx.rules).ok_or(bad)?),
        DorisType::Decimal { precision, scale } => Datum::Decimal {
            unscaled: parse_decimal(text, (*precision).clamp(1, 38), *scale, &ctx.rules)
                .ok_or(bad)?,
            scale: *scale,
        },
        DorisType::Date => Datum::Date(parse_date(text, &ctx.rules).ok_or(bad)?),
        DorisType::DateTime { precision } => Datum::DateTime {
            micros: parse_datetime(text, *precision, &ctx.tz, &ctx.rules).ok_or(bad)?,
            precision: *precision,
        },
        DorisType::Char { .. } | DorisType::Varchar { .. } | DorisType::String => {
            match fit_string(text, ty, ctx.strict, &ctx.rules) {
                StringFit::Fits => Datum::Str(text.to_vec()),
                StringFit::Truncate(n) => Datum::Str(text[..n].to_vec()),
                StringFit::TooLong { limit } => return Err(ConvError::TooLong(limit)),
            }
        }
        DorisType::Json | DorisType::Variant => {
            let mut out = Vec::new();
            if !write_json(text, JsonOutput::Canonical, &mut out) {
                return Err(bad);
            }
            Datum::Json(String::from_utf8(out).map_err(|_| ConvError::Invalid)?)
        }
        DorisType::Ipv4 => Datum::Ipv4(parse_ipv4(text).ok_or(bad)?),
        DorisType::Ipv6 => Datum::Ipv6(parse_ipv6(text).ok_or(bad)?),
        DorisType::Array(inner) => {
            let mut elems = Vec::new();
            split_array(text, &mut elems).ok_or(ConvError::Invalid)?;
            Datum::Array(elems.iter().map(|e| element(e, inner, ctx)).collect())
        }
        DorisType::Map(k, v) => {
            let mut elems = Vec::new();
            split_map(text, &mut elems).ok_or(ConvError::Invalid)?;
            Datum::Map(
                elems
                    .iter()
                    .map(|(ke, ve)| (element(ke, k, ctx), element(ve, v, ctx)))
                    .collect(),
            )
        }
        DorisType::Struct(fields) => {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            let mut elems = Vec::new();
            split_struct(text, &names, &mut elems).ok_or(ConvError::Invalid)?;
            Datum::Struct(
                fields
                    .iter()
                    .zip(&elems)
                    .map(|(f, e)| (f.name.clone(), element(e, &f.ty, ctx)))
                    .collect(),
            )
        }
        DorisType::Hll | DorisType::Bitmap | DorisType::QuantileState => return Err(bad),
    })
}

/// A container element: a failed element is a NULL element.
fn element(e: &Element<'_>, ty: &DorisType, ctx: &ConvCtx) -> Datum {
    match e {
        Element::Null => Datum::Null,
        Element::Text(t) => from_text(t, ty, ctx).unwrap_or(Datum::Null),
    }
}

/// Seconds east of UTC of the zone Doris's Arrow reader shows timestamps in (`+08:00`,
/// `TimezoneUtils::default_time_zone`), whatever the field's zone or the load's `timezone`.
pub const ARROW_READER_OFFSET_S: i64 = 8 * 3600;

/// Reads the Arrow value at `row` as a value of `ty`, as Doris's Arrow reader would. `Err`
/// carries the reader's message; Doris fails the whole load on it.
pub fn from_arrow(
    array: &ArrayRef,
    row: usize,
    ty: &DorisType,
    json_text: bool,
) -> Result<Datum, String> {
    from_arrow_dyn(array.as_ref(), row, ty, json_text)
}

fn mismatch(dt: &DataType, ty: &DorisType) -> String {
    format!("arrow type {dt} cannot be read into a {ty} column")
}

fn from_arrow_dyn(
    a: &dyn Array,
    row: usize,
    ty: &DorisType,
    json_text: bool,
) -> Result<Datum, String> {
    if a.is_null(row) {
        return Ok(Datum::Null);
    }
    let dt = a.data_type();
    // Same-width integer buffers are copied bitwise by Doris (no type check); other widths
    // would read garbage, so they are refused here.
    let int = |v: i128| Ok(Datum::Int(v));
    match (ty, dt) {
        (DorisType::Boolean, DataType::Boolean) => Ok(Datum::Bool(a.as_boolean().value(row))),
        (DorisType::TinyInt, DataType::Int8) => {
            int(a.as_primitive::<Int8Type>().value(row) as i128)
        }
        (DorisType::TinyInt, DataType::UInt8) => {
            int(a.as_primitive::<UInt8Type>().value(row) as i8 as i128)
        }
        (DorisType::SmallInt, DataType::Int16) => {
            int(a.as_primitive::<Int16Type>().value(row) as i128)
        }
        (DorisType::SmallInt, DataType::UInt16) => {
            int(a.as_primitive::<UInt16Type>().value(row) as i16 as i128)
        }
        (DorisType::Int, DataType::Int32) => int(a.as_primitive::<Int32Type>().value(row) as i128),
        (DorisType::Int, DataType::UInt32) => {
            int(a.as_primitive::<UInt32Type>().value(row) as i32 as i128)
        }
        (DorisType::BigInt, DataType::Int64) => {
            int(a.as_primitive::<Int64Type>().value(row) as i128)
        }
        (DorisType::BigInt, DataType::UInt64) => {
            int(a.as_primitive::<UInt64Type>().value(row) as i64 as i128)
        }
        (DorisType::LargeInt, DataType::Utf8) => {
            let s = a.as_string::<i32>().value(row);
            if s.is_empty() {
                return int(0);
            }
            s.trim()
                .parse::<i128>()
                .map(Datum::Int)
                .map_err(|_| format!("parse number fail, string: '{s}'"))
        }
        (DorisType::LargeInt, DataType::Decimal128(..)) => {
            int(a.as_primitive::<Decimal128Type>().value(row))
        }
        (DorisType::LargeInt, DataType::FixedSizeBinary(16)) => {
            let b = a.as_fixed_size_binary().value(row);
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&b[..16]);
            int(i128::from_le_bytes(bytes))
        }
        (DorisType::Float, DataType::Float32) => {
            Ok(Datum::Float(a.as_primitive::<Float32Type>().value(row)))
        }
        (DorisType::Double, DataType::Float64) => {
            Ok(Datum::Double(a.as_primitive::<Float64Type>().value(row)))
        }
        (DorisType::Decimal { precision, scale }, DataType::Decimal128(..)) => {
            // The unscaled value is taken as is, whatever the Arrow scale; DECIMAL32/64
            // columns keep only the low 4/8 bytes.
            let v = a.as_primitive::<Decimal128Type>().value(row);
            let unscaled = match precision {
                0..=9 => v as i32 as i128,
                10..=18 => v as i64 as i128,
                _ => v,
            };
            Ok(Datum::Decimal {
                unscaled,
                scale: *scale,
            })
        }
        (DorisType::Date, DataType::Date32) => {
            Ok(Datum::Date(a.as_primitive::<Date32Type>().value(row)))
        }
        (DorisType::DateTime { precision }, DataType::Timestamp(unit, _)) => {
            let v = timestamp_value(a, row, unit);
            let divisor: i64 = match unit {
                TimeUnit::Second => 1,
                TimeUnit::Millisecond => 1_000,
                TimeUnit::Microsecond => 1_000_000,
                TimeUnit::Nanosecond => 1_000_000_000,
            };
            let secs = v.div_euclid(divisor);
            let frac = v.rem_euclid(divisor) * 1_000_000 / divisor;
            let keep = 10i64.pow(6 - u32::from((*precision).min(6)));
            let micros = (secs + ARROW_READER_OFFSET_S) * 1_000_000 + frac / keep * keep;
            Ok(Datum::DateTime {
                micros,
                precision: *precision,
            })
        }
        (DorisType::Char { .. } | DorisType::Varchar { .. } | DorisType::String, _) => {
            binary_value(a, row)
                .map(Datum::Str)
                .ok_or_else(|| format!("Unsupported arrow type for string column: {dt}"))
        }
        (DorisType::Json, _) if json_text => {
            let b = binary_value(a, row)
                .ok_or_else(|| format!("Unsupported arrow type for string column: {dt}"))?;
            let mut out = Vec::new();
            if !write_json(&b, JsonOutput::Canonical, &mut out) {
                return Err(format!(
                    "invalid JSON text in arrow column: {}",
                    String::from_utf8_lossy(&b)
                ));
            }
            Ok(Datum::Json(String::from_utf8_lossy(&out).into_owned()))
        }
        (DorisType::Json, _) => Err(
            "arrow input for a JSON column is not parsed by Doris (the Utf8 bytes would be copied \
             verbatim into JSONB); load JSON columns with format json or csv"
                .to_string(),
        ),
        (DorisType::Variant | DorisType::Hll | DorisType::Bitmap | DorisType::QuantileState, _) => {
            Err(format!("read_column_from_arrow with type {ty}"))
        }
        (DorisType::Ipv4, DataType::UInt32) => {
            Ok(Datum::Ipv4(a.as_primitive::<UInt32Type>().value(row)))
        }
        (DorisType::Ipv4, DataType::Int32) => {
            Ok(Datum::Ipv4(a.as_primitive::<Int32Type>().value(row) as u32))
        }
        (DorisType::Ipv6, DataType::Utf8) => {
            let s = a.as_string::<i32>().value(row);
            if s.is_empty() {
                return Ok(Datum::Ipv6(0));
            }
            parse_ipv6(s.as_bytes())
                .map(Datum::Ipv6)
                .ok_or_else(|| format!("parse number fail, string: '{s}'"))
        }
        (DorisType::Ipv6, _) => Err(format!(
            "{} (Doris reads IPV6 from arrow only as Utf8 text such as '::1')",
            mismatch(dt, ty)
        )),
        (DorisType::Array(inner), DataType::List(_)) => {
            let values = a.as_list::<i32>().value(row);
            (0..values.len())
                .map(|i| from_arrow_dyn(values.as_ref(), i, inner, json_text))
                .collect::<Result<Vec<_>, _>>()
                .map(Datum::Array)
        }
        (DorisType::Map(k, v), DataType::Map(..)) => {
            let entries = a.as_map().value(row);
            if entries.num_columns() != 2 {
                return Err(mismatch(dt, ty));
            }
            let (keys, vals) = (entries.column(0), entries.column(1));
            (0..entries.len())
                .map(|i| {
                    Ok((
                        from_arrow_dyn(keys.as_ref(), i, k, json_text)?,
                        from_arrow_dyn(vals.as_ref(), i, v, json_text)?,
                    ))
                })
                .collect::<Result<Vec<_>, String>>()
                .map(Datum::Map)
        }
        (DorisType::Struct(fields), DataType::Struct(_)) => {
            // Children are matched by position, as Doris does.
            let s = a.as_struct();
            if s.num_columns() != fields.len() {
                return Err(format!(
                    "{}: {} arrow children for {} struct fields",
                    mismatch(dt, ty),
                    s.num_columns(),
                    fields.len()
                ));
            }
            fields
                .iter()
                .zip(s.columns())
                .map(|(f, c)| {
                    Ok((
                        f.name.clone(),
                        from_arrow_dyn(c.as_ref(), row, &f.ty, json_text)?,
                    ))
                })
                .collect::<Result<Vec<_>, String>>()
                .map(Datum::Struct)
        }
        _ => Err(mismatch(dt, ty)),
    }
}

fn timestamp_value(a: &dyn Array, row: usize, unit: &TimeUnit) -> i64 {
    use arrow_array::types::{
        TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
        TimestampSecondType,
    };
    match unit {
        TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(row),
        TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(row),
        TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(row),
        TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(row),
    }
}

fn binary_value(a: &dyn Array, row: usize) -> Option<Vec<u8>> {
    Some(match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().value(row).as_bytes().to_vec(),
        DataType::LargeUtf8 => a.as_string::<i64>().value(row).as_bytes().to_vec(),
        DataType::Binary => a.as_binary::<i32>().value(row).to_vec(),
        DataType::LargeBinary => a.as_binary::<i64>().value(row).to_vec(),
        DataType::FixedSizeBinary(_) => a.as_fixed_size_binary().value(row).to_vec(),
        _ => return None,
    })
}

/// Orders two values of one column: NULL first, numbers numerically, strings bytewise; values
/// of different kinds by their text.
pub fn compare(a: &Datum, b: &Datum) -> Ordering {
    use Datum as D;
    match (a, b) {
        (D::Null, D::Null) => Ordering::Equal,
        (D::Null, _) => Ordering::Less,
        (_, D::Null) => Ordering::Greater,
        (D::Bool(x), D::Bool(y)) => x.cmp(y),
        (D::Int(x), D::Int(y)) => x.cmp(y),
        (D::Float(x), D::Float(y)) => x.total_cmp(y),
        (D::Double(x), D::Double(y)) => x.total_cmp(y),
        (
            D::Decimal {
                unscaled: x,
                scale: sx,
            },
            D::Decimal {
                unscaled: y,
                scale: sy,
            },
        ) => {
            let (x, y) = match sx.cmp(sy) {
                Ordering::Equal => (*x, *y),
                Ordering::Less => (x.saturating_mul(10i128.pow((sy - sx) as u32)), *y),
                Ordering::Greater => (*x, y.saturating_mul(10i128.pow((sx - sy) as u32))),
            };
            x.cmp(&y)
        }
        (D::Date(x), D::Date(y)) => x.cmp(y),
        (D::DateTime { micros: x, .. }, D::DateTime { micros: y, .. }) => x.cmp(y),
        (D::Str(x), D::Str(y)) => x.cmp(y),
        (D::Ipv4(x), D::Ipv4(y)) => x.cmp(y),
        (D::Ipv6(x), D::Ipv6(y)) => x.cmp(y),
        _ => a.to_mysql().cmp(&b.to_mysql()),
    }
}

/// Merges an incoming value into a stored one under an AGGREGATE KEY column's function.
/// SUM, MAX and MIN ignore NULLs (NULL only when both are NULL; integer SUM wraps);
/// REPLACE takes the incoming value; REPLACE_IF_NOT_NULL keeps the stored value when the
/// incoming one is NULL. HLL_UNION, BITMAP_UNION, QUANTILE_UNION and GENERIC are not
/// modelled and behave as REPLACE.
pub fn aggregate(agg: AggregationType, stored: &Datum, incoming: Datum) -> Datum {
    use Datum as D;
    match agg {
        AggregationType::Sum => match (stored, incoming) {
            (D::Null, x) => x,
            (x, D::Null) => x.clone(),
            (D::Int(x), D::Int(y)) => D::Int(x.wrapping_add(y)),
            (D::Float(x), D::Float(y)) => D::Float(x + y),
            (D::Double(x), D::Double(y)) => D::Double(x + y),
            (D::Decimal { unscaled: x, scale }, D::Decimal { unscaled: y, .. }) => D::Decimal {
                unscaled: x.wrapping_add(y),
                scale: *scale,
            },
            (_, y) => y,
        },
        AggregationType::Max | AggregationType::Min => {
            if matches!(incoming, D::Null) {
                return stored.clone();
            }
            if matches!(stored, D::Null) {
                return incoming;
            }
            let c = compare(&incoming, stored);
            let take = if agg == AggregationType::Max {
                c == Ordering::Greater
            } else {
                c == Ordering::Less
            };
            if take { incoming } else { stored.clone() }
        }
        AggregationType::ReplaceIfNotNull => {
            if matches!(incoming, D::Null) {
                stored.clone()
            } else {
                incoming
            }
        }
        AggregationType::Replace
        | AggregationType::HllUnion
        | AggregationType::BitmapUnion
        | AggregationType::QuantileUnion
        | AggregationType::Generic => incoming,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Int32Array, StringArray, TimestampMicrosecondArray};

    use super::*;

    fn ctx() -> ConvCtx {
        ConvCtx {
            strict: false,
            tz: TimeZone::UTC,
            rules: VersionRules::default(),
        }
    }

    #[test]
    fn text_conversions() {
        let c = ctx();
        assert_eq!(from_text(b"42", &DorisType::Int, &c), Ok(Datum::Int(42)));
        assert_eq!(
            from_text(b"x", &DorisType::Int, &c),
            Err(ConvError::Invalid)
        );
        assert_eq!(
            from_text(b"abcd", &DorisType::Varchar { len: 2 }, &c),
            Ok(Datum::Str(b"ab".to_vec()))
        );
        let d = from_text(
            b"1.5",
            &DorisType::Decimal {
                precision: 10,
                scale: 2,
            },
            &c,
        )
        .unwrap();
        assert_eq!(d.to_mysql().as_deref(), Some("1.50"));
        let arr = from_text(
            b"[1, x, null]",
            &DorisType::Array(Box::new(DorisType::Int)),
            &c,
        )
        .unwrap();
        assert_eq!(arr.to_mysql().as_deref(), Some("[1, null, null]"));
        let j = from_text(b"{\"a\": 1}", &DorisType::Json, &c).unwrap();
        assert_eq!(j.to_mysql().as_deref(), Some("{\"a\":1}"));
    }

    #[test]
    fn arrow_reads_like_doris() {
        let ts: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![Some(0), None]));
        let d = from_arrow(&ts, 0, &DorisType::DateTime { precision: 0 }, false).unwrap();
        assert_eq!(d.to_mysql().as_deref(), Some("1970-01-01 08:00:00"));
        assert_eq!(
            from_arrow(&ts, 1, &DorisType::DateTime { precision: 0 }, false),
            Ok(Datum::Null)
        );
        let i: ArrayRef = Arc::new(Int32Array::from(vec![7]));
        assert!(from_arrow(&i, 0, &DorisType::BigInt, false).is_err());
        assert_eq!(from_arrow(&i, 0, &DorisType::Int, false), Ok(Datum::Int(7)));
        let s: ArrayRef = Arc::new(StringArray::from(vec!["::1"]));
        assert_eq!(
            from_arrow(&s, 0, &DorisType::Ipv6, false),
            Ok(Datum::Ipv6(1))
        );
        assert!(from_arrow(&s, 0, &DorisType::Json, false).is_err());
    }

    #[test]
    fn aggregation() {
        let s = aggregate(AggregationType::Sum, &Datum::Int(2), Datum::Int(3));
        assert_eq!(s, Datum::Int(5));
        assert_eq!(
            aggregate(AggregationType::Sum, &Datum::Int(2), Datum::Null),
            Datum::Int(2)
        );
        assert_eq!(
            aggregate(AggregationType::Max, &Datum::Int(2), Datum::Int(1)),
            Datum::Int(2)
        );
        assert_eq!(
            aggregate(AggregationType::Min, &Datum::Int(2), Datum::Int(1)),
            Datum::Int(1)
        );
        assert_eq!(
            aggregate(
                AggregationType::ReplaceIfNotNull,
                &Datum::Int(2),
                Datum::Null
            ),
            Datum::Int(2)
        );
        assert_eq!(
            aggregate(AggregationType::Replace, &Datum::Int(2), Datum::Null),
            Datum::Null
        );
    }
}
