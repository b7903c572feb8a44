//! Doris column types: the closed set a routinely table can declare, how each one is spelled
//! in `CREATE TABLE`, and the facts about it the row path needs (byte limits, precision,
//! nesting). The Arrow side of each type lives in [`crate::arrow`].

use std::fmt;

/// Largest `VARCHAR(n)` Doris accepts (bytes).
pub const MAX_VARCHAR_LEN: u32 = 65_533;
/// Largest `CHAR(n)` Doris accepts (bytes).
pub const MAX_CHAR_LEN: u32 = 255;
/// `STRING` values longer than this are filtered (BE `string_type_length_soft_limit_bytes`).
pub const STRING_SOFT_LIMIT: u32 = 1_048_576;
/// Largest DECIMAL precision that maps onto a 128-bit decimal.
pub const MAX_DECIMAL128_PRECISION: u8 = 38;
/// Largest DECIMAL precision Doris accepts at all (DECIMAL256).
pub const MAX_DECIMAL_PRECISION: u8 = 76;
/// Largest fractional-second precision of DATETIME(p).
pub const MAX_DATETIME_PRECISION: u8 = 6;

/// A Doris column type.
///
/// `DATE` and `DATEV2` are the same type here, as are `DATETIME(p)` / `DATETIMEV2(p)` and
/// `DECIMAL(p,s)` / `DECIMALV3(p,s)`: current Doris stores only the V2/V3 forms, and the
/// old spellings are aliases for them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DorisType {
    /// `BOOLEAN`.
    Boolean,
    /// `TINYINT`, 8-bit signed.
    TinyInt,
    /// `SMALLINT`, 16-bit signed.
    SmallInt,
    /// `INT`, 32-bit signed.
    Int,
    /// `BIGINT`, 64-bit signed.
    BigInt,
    /// `LARGEINT`, 128-bit signed.
    LargeInt,
    /// `FLOAT`, IEEE single.
    Float,
    /// `DOUBLE`, IEEE double.
    Double,
    /// `DECIMAL(p, s)` / `DECIMALV3(p, s)`.
    Decimal {
        /// Total digits, 1..=76.
        precision: u8,
        /// Digits after the point, 0..=precision.
        scale: u8,
    },
    /// `DATE` / `DATEV2`.
    Date,
    /// `DATETIME(p)` / `DATETIMEV2(p)`.
    DateTime {
        /// Fractional-second digits, 0..=6.
        precision: u8,
    },
    /// `CHAR(n)`, n in bytes.
    Char {
        /// Length limit in bytes.
        len: u32,
    },
    /// `VARCHAR(n)`, n in bytes.
    Varchar {
        /// Length limit in bytes.
        len: u32,
    },
    /// `STRING` (also `TEXT`).
    String,
    /// `JSON` / `JSONB`.
    Json,
    /// `VARIANT`.
    Variant,
    /// `ARRAY<T>`.
    Array(Box<DorisType>),
    /// `MAP<K, V>`.
    Map(Box<DorisType>, Box<DorisType>),
    /// `STRUCT<name: T, ...>`.
    Struct(Vec<StructField>),
    /// `IPV4`.
    Ipv4,
    /// `IPV6`.
    Ipv6,
    /// `HLL`: only loadable through a function such as `hll_hash` (not supported by routinely).
    Hll,
    /// `BITMAP`: only loadable through a function such as `to_bitmap` (not supported by routinely).
    Bitmap,
    /// `QUANTILE_STATE` (not supported by routinely).
    QuantileState,
}

/// One field of a `STRUCT` type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StructField {
    /// Field name as written.
    pub name: String,
    /// Field type.
    pub ty: DorisType,
    /// Field comment, if any.
    pub comment: Option<String>,
}

impl DorisType {
    /// True for the integer family (TINYINT .. LARGEINT).
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            DorisType::TinyInt
                | DorisType::SmallInt
                | DorisType::Int
                | DorisType::BigInt
                | DorisType::LargeInt
        )
    }

    /// True for CHAR, VARCHAR and STRING.
    pub fn is_string(&self) -> bool {
        matches!(
            self,
            DorisType::Char { .. } | DorisType::Varchar { .. } | DorisType::String
        )
    }

    /// True for ARRAY, MAP and STRUCT.
    pub fn is_nested(&self) -> bool {
        matches!(
            self,
            DorisType::Array(_) | DorisType::Map(..) | DorisType::Struct(_)
        )
    }

    /// True for types a load can only fill through an aggregate-state function.
    pub fn is_aggregate_state(&self) -> bool {
        matches!(
            self,
            DorisType::Hll | DorisType::Bitmap | DorisType::QuantileState
        )
    }

    /// The byte limit of a string type: `n` for CHAR/VARCHAR, the soft limit for STRING.
    pub fn byte_limit(&self) -> Option<u32> {
        match self {
            DorisType::Char { len } | DorisType::Varchar { len } => Some(*len),
            DorisType::String => Some(STRING_SOFT_LIMIT),
            _ => None,
        }
    }

    /// Range of an integer type as (min, max).
    pub fn integer_range(&self) -> Option<(i128, i128)> {
        Some(match self {
            DorisType::TinyInt => (i8::MIN as i128, i8::MAX as i128),
            DorisType::SmallInt => (i16::MIN as i128, i16::MAX as i128),
            DorisType::Int => (i32::MIN as i128, i32::MAX as i128),
            DorisType::BigInt => (i64::MIN as i128, i64::MAX as i128),
            DorisType::LargeInt => (i128::MIN, i128::MAX),
            _ => return None,
        })
    }
}

impl fmt::Display for DorisType {
    /// Spells the type the way `SHOW CREATE TABLE` does (upper case, canonical names).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DorisType::Boolean => f.write_str("BOOLEAN"),
            DorisType::TinyInt => f.write_str("TINYINT"),
            DorisType::SmallInt => f.write_str("SMALLINT"),
            DorisType::Int => f.write_str("INT"),
            DorisType::BigInt => f.write_str("BIGINT"),
            DorisType::LargeInt => f.write_str("LARGEINT"),
            DorisType::Float => f.write_str("FLOAT"),
            DorisType::Double => f.write_str("DOUBLE"),
            DorisType::Decimal { precision, scale } => write!(f, "DECIMAL({precision},{scale})"),
            DorisType::Date => f.write_str("DATE"),
            DorisType::DateTime { precision: 0 } => f.write_str("DATETIME"),
            DorisType::DateTime { precision } => write!(f, "DATETIME({precision})"),
            DorisType::Char { len } => write!(f, "CHAR({len})"),
            DorisType::Varchar { len } => write!(f, "VARCHAR({len})"),
            DorisType::String => f.write_str("STRING"),
            DorisType::Json => f.write_str("JSON"),
            DorisType::Variant => f.write_str("VARIANT"),
            DorisType::Array(t) => write!(f, "ARRAY<{t}>"),
            DorisType::Map(k, v) => write!(f, "MAP<{k},{v}>"),
            DorisType::Struct(fields) => {
                f.write_str("STRUCT<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{}", field.name, field.ty)?;
                }
                f.write_str(">")
            }
            DorisType::Ipv4 => f.write_str("IPV4"),
            DorisType::Ipv6 => f.write_str("IPV6"),
            DorisType::Hll => f.write_str("HLL"),
            DorisType::Bitmap => f.write_str("BITMAP"),
            DorisType::QuantileState => f.write_str("QUANTILE_STATE"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_canonical() {
        let t = DorisType::Map(
            Box::new(DorisType::Varchar { len: 10 }),
            Box::new(DorisType::Array(Box::new(DorisType::Decimal {
                precision: 10,
                scale: 2,
            }))),
        );
        assert_eq!(t.to_string(), "MAP<VARCHAR(10),ARRAY<DECIMAL(10,2)>>");
        assert_eq!(
            DorisType::DateTime { precision: 3 }.to_string(),
            "DATETIME(3)"
        );
    }

    #[test]
    fn integer_ranges() {
        assert_eq!(DorisType::TinyInt.integer_range(), Some((-128, 127)));
        assert_eq!(DorisType::Double.integer_range(), None);
    }
}
