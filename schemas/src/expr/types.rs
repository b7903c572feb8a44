//! The typing rules of Doris's Nereids planner that load expressions follow: which type an
//! operand is cast to in arithmetic, comparison, IN and CASE, how a string literal next to a
//! typed operand is narrowed, and the types of numeric literals.
//!
//! Sources: FE `nereids/util/TypeCoercionUtils.java` (`processBinaryArithmetic`,
//! `processDivide`, `processIntegralDivide`, `getNumResultType`,
//! `findCommonPrimitiveTypeForComparison`, `findCommonPrimitiveTypeForCaseWhen`,
//! `characterLiteralTypeCoercion`), `Add` / `Multiply` / `Divide` / `Mod`
//! `getDataTypeForDecimalV3`, and `LogicalPlanBuilder` for literals. The NULL type is
//! `None` throughout.

use super::ExprError;
use super::value::Value;
use crate::convert::number::POW10;
use crate::types::{DorisType, MAX_DECIMAL128_PRECISION};

/// How values of a type are held at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Dec,
    Date,
    Dt,
    Str,
    Json,
}

/// A type as the planner sees it: `None` is Doris's NULL type (a bare `NULL`).
pub(crate) type Ty = Option<DorisType>;

/// The run-time kind of a type, or `None` for types load expressions do not handle.
pub(crate) fn kind_of(t: &DorisType) -> Option<Kind> {
    Some(match t {
        DorisType::Boolean => Kind::Bool,
        DorisType::TinyInt
        | DorisType::SmallInt
        | DorisType::Int
        | DorisType::BigInt
        | DorisType::LargeInt => Kind::Int,
        DorisType::Float | DorisType::Double => Kind::Float,
        DorisType::Decimal { precision, .. } if *precision <= MAX_DECIMAL128_PRECISION => Kind::Dec,
        DorisType::Date => Kind::Date,
        DorisType::DateTime { .. } => Kind::Dt,
        DorisType::Char { .. } | DorisType::Varchar { .. } | DorisType::String => Kind::Str,
        DorisType::Json | DorisType::Variant => Kind::Json,
        _ => return None,
    })
}

pub(crate) fn ty_kind(t: &Ty) -> Option<Kind> {
    match t {
        None => Some(Kind::Null),
        Some(t) => kind_of(t),
    }
}

pub(crate) fn is_str(t: &DorisType) -> bool {
    t.is_string()
}

pub(crate) fn is_int(t: &DorisType) -> bool {
    t.is_integer()
}

pub(crate) fn is_float_like(t: &DorisType) -> bool {
    matches!(t, DorisType::Float | DorisType::Double)
}

pub(crate) fn is_dec(t: &DorisType) -> bool {
    matches!(t, DorisType::Decimal { .. })
}

pub(crate) fn is_date_like(t: &DorisType) -> bool {
    matches!(t, DorisType::Date | DorisType::DateTime { .. })
}

pub(crate) fn is_json(t: &DorisType) -> bool {
    matches!(t, DorisType::Json | DorisType::Variant)
}

/// Nereids `isNumericType`: integers, FLOAT, DOUBLE, DECIMAL (not BOOLEAN).
pub(crate) fn is_numeric(t: &DorisType) -> bool {
    is_int(t) || is_float_like(t) || is_dec(t)
}

/// Two types are the same for coercion purposes (all string types are one).
pub(crate) fn same(a: &DorisType, b: &DorisType) -> bool {
    a == b || (is_str(a) && is_str(b)) || (is_json(a) && is_json(b))
}

/// `DataType.promotion()`.
pub(crate) fn promotion(t: &DorisType) -> DorisType {
    match t {
        DorisType::TinyInt => DorisType::SmallInt,
        DorisType::SmallInt => DorisType::Int,
        DorisType::Int => DorisType::BigInt,
        DorisType::BigInt => DorisType::LargeInt,
        DorisType::Float => DorisType::Double,
        other => other.clone(),
    }
}

/// `TypeCoercionUtils.getNumResultType`.
pub(crate) fn num_result(t: &Ty) -> Result<DorisType, ExprError> {
    Ok(match t {
        None | Some(DorisType::Boolean) => DorisType::TinyInt,
        Some(t) if is_numeric(t) => t.clone(),
        Some(t) if is_date_like(t) => DorisType::BigInt,
        Some(t) if is_str(t) || is_json(t) => DorisType::Double,
        Some(t) => {
            return Err(ExprError::Type(format!(
                "Cannot cast from {t} to numeric type."
            )));
        }
    })
}

const PRECEDENCE: [DorisType; 7] = [
    DorisType::Double,
    DorisType::Float,
    DorisType::LargeInt,
    DorisType::BigInt,
    DorisType::Int,
    DorisType::SmallInt,
    DorisType::TinyInt,
];

/// The first of `NUMERIC_PRECEDENCE` that is one of the two types.
pub(crate) fn precedence_max(a: &DorisType, b: &DorisType) -> Option<DorisType> {
    PRECEDENCE.iter().find(|t| *t == a || *t == b).cloned()
}

/// `DecimalV3Type.forType`: (precision, scale) of a type seen as a decimal.
pub(crate) fn decimal_for(t: &DorisType) -> Option<(u8, u8)> {
    Some(match t {
        DorisType::Boolean => (1, 0),
        DorisType::TinyInt => (3, 0),
        DorisType::SmallInt => (5, 0),
        DorisType::Int => (10, 0),
        DorisType::BigInt => (20, 0),
        DorisType::LargeInt => (38, 0),
        DorisType::Decimal { precision, scale } => (*precision, *scale),
        _ => return None,
    })
}

/// A DECIMAL type from an integer-part width and a scale, within 38 digits (the integer
/// part wins when both do not fit).
pub(crate) fn make_decimal(range: u32, scale: u32) -> DorisType {
    let max = MAX_DECIMAL128_PRECISION as u32;
    let range = range.min(max);
    let scale = scale.min(max - range);
    DorisType::Decimal {
        precision: (range + scale).max(1) as u8,
        scale: scale as u8,
    }
}

/// `DecimalV3Type.widerDecimalV3Type`: the larger scale and the larger integer part. With
/// `overflow_to_double` a result beyond 38 digits is DOUBLE.
pub(crate) fn wider_decimal(a: (u8, u8), b: (u8, u8), overflow_to_double: bool) -> DorisType {
    let scale = a.1.max(b.1) as u32;
    let range = a.0.saturating_sub(a.1).max(b.0.saturating_sub(b.1)) as u32;
    if overflow_to_double && range + scale > MAX_DECIMAL128_PRECISION as u32 {
        return DorisType::Double;
    }
    make_decimal(range, scale)
}

/// Binary arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    IntDiv,
    Mod,
}

impl ArithOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::IntDiv => "DIV",
            ArithOp::Mod => "%",
        }
    }
}

/// The types both operands are cast to, and the result type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArithPlan {
    pub(crate) left: DorisType,
    pub(crate) right: DorisType,
    pub(crate) result: DorisType,
}

fn plan(left: DorisType, right: DorisType, result: DorisType) -> ArithPlan {
    ArithPlan {
        left,
        right,
        result,
    }
}

/// Typing of `l op r` (`processBinaryArithmetic`, `processDivide`, `processIntegralDivide`).
pub(crate) fn arith_plan(op: ArithOp, l: &Ty, r: &Ty) -> Result<ArithPlan, ExprError> {
    let t1 = num_result(l)?;
    let t2 = num_result(r)?;
    let dbl = || plan(DorisType::Double, DorisType::Double, DorisType::Double);
    match op {
        ArithOp::Div => {
            if is_float_like(&t1) || is_float_like(&t2) {
                return Ok(dbl());
            }
            if is_dec(&t1) || is_dec(&t2) {
                let (p1, s1) = decimal_for(&t1).unwrap_or((38, 0));
                let (p2, s2) = decimal_for(&t2).unwrap_or((38, 0));
                let lscale = s1 as u32 + s2 as u32 + 4;
                if lscale > MAX_DECIMAL128_PRECISION as u32 {
                    return Err(ExprError::Type(format!(
                        "scale {lscale} larger than precision {} in Divide return type",
                        MAX_DECIMAL128_PRECISION
                    )));
                }
                let lprec = (p1 as u32 + s2 as u32 + 4).min(MAX_DECIMAL128_PRECISION as u32);
                let lprec = lprec.max(lscale);
                let left = DorisType::Decimal {
                    precision: lprec as u8,
                    scale: lscale as u8,
                };
                let right = DorisType::Decimal {
                    precision: p2,
                    scale: s2,
                };
                let result = DorisType::Decimal {
                    precision: lprec as u8,
                    scale: (lscale - s2 as u32) as u8,
                };
                return Ok(plan(left, right, result));
            }
            Ok(dbl())
        }
        ArithOp::IntDiv => {
            let common = if is_int(&t1) && is_int(&t2) {
                precedence_max(&t1, &t2).unwrap_or(DorisType::BigInt)
            } else {
                DorisType::BigInt
            };
            Ok(plan(common.clone(), common.clone(), common))
        }
        ArithOp::Add | ArithOp::Sub | ArithOp::Mul | ArithOp::Mod => {
            let mut common = precedence_max(&t1, &t2).unwrap_or_else(|| t1.clone());
            if is_float_like(&common) && (is_dec(&t1) || is_dec(&t2)) {
                common = DorisType::Double;
            }
            if common == DorisType::Double {
                return Ok(dbl());
            }
            if op == ArithOp::Mod && t1 == DorisType::Float && t2 == DorisType::Float {
                return Ok(plan(DorisType::Float, DorisType::Float, DorisType::Float));
            }
            if is_dec(&t1) || is_dec(&t2) {
                let d1 = decimal_for(&t1).unwrap_or((38, 0));
                let d2 = decimal_for(&t2).unwrap_or((38, 0));
                return Ok(decimal_arith(op, d1, d2));
            }
            let p = promotion(&common);
            Ok(plan(p.clone(), p.clone(), p))
        }
    }
}

fn decimal_arith(op: ArithOp, d1: (u8, u8), d2: (u8, u8)) -> ArithPlan {
    let (p1, s1) = (d1.0 as u32, d1.1 as u32);
    let (p2, s2) = (d2.0 as u32, d2.1 as u32);
    match op {
        ArithOp::Add | ArithOp::Sub => {
            let wider = wider_decimal(d1, d2, false);
            let (p, s) = decimal_for(&wider).unwrap_or((38, 0));
            let ret = make_decimal(p.saturating_sub(s) as u32 + 1, s as u32);
            plan(ret.clone(), ret.clone(), ret)
        }
        ArithOp::Mod => {
            let ret = make_decimal(p1.saturating_sub(s1).max(p2.saturating_sub(s2)), s1.max(s2));
            plan(ret.clone(), ret.clone(), ret)
        }
        _ => {
            // Multiply: precision p1 + p2, scale s1 + s2; beyond 38 digits keep the integer
            // part when it is narrow, else at most 6 fraction digits
            // (`decimal_overflow_scale`).
            let mut p = p1 + p2;
            let mut s = s1 + s2;
            let max = MAX_DECIMAL128_PRECISION as u32;
            if p > max {
                if p.saturating_sub(s) < max - 6 {
                    s = max - p.saturating_sub(s);
                } else {
                    s = s.min(6);
                }
                p = max;
            }
            let s = s.min(p);
            plan(
                DorisType::Decimal {
                    precision: d1.0,
                    scale: d1.1,
                },
                DorisType::Decimal {
                    precision: d2.0,
                    scale: d2.1,
                },
                DorisType::Decimal {
                    precision: p.max(1) as u8,
                    scale: s as u8,
                },
            )
        }
    }
}

/// `canCompareDate`.
fn can_compare_date(a: &DorisType, b: &DorisType) -> bool {
    let (d, o) = if is_date_like(b) { (b, a) } else { (a, b) };
    is_date_like(d) && (is_date_like(o) || is_str(o) || is_int(o))
}

/// `findCommonPrimitiveTypeForComparison` (with `int_string_to_string` for IN).
pub(crate) fn cmp_common(l: &Ty, r: &Ty, int_string_to_string: bool) -> Result<Ty, ExprError> {
    let (l, r) = match (l, r) {
        (None, None) => return Ok(None),
        (None, Some(t)) | (Some(t), None) => return Ok(Some(norm(t))),
        (Some(l), Some(r)) => (l, r),
    };
    if same(l, r) {
        return Ok(Some(norm(l)));
    }
    if is_dec(l) && is_dec(r) {
        return Ok(Some(wider_decimal(
            decimal_for(l).unwrap_or((38, 0)),
            decimal_for(r).unwrap_or((38, 0)),
            true,
        )));
    }
    if can_compare_date(l, r) {
        return Ok(Some(match (l, r) {
            (DorisType::DateTime { precision: a }, DorisType::DateTime { precision: b }) => {
                DorisType::DateTime {
                    precision: *a.max(b),
                }
            }
            (DorisType::DateTime { .. }, o) | (o, DorisType::DateTime { .. })
                if is_int(o) || *o == DorisType::Date =>
            {
                if let DorisType::DateTime { .. } = l {
                    l.clone()
                } else {
                    r.clone()
                }
            }
            (DorisType::DateTime { .. }, _) | (_, DorisType::DateTime { .. }) => {
                DorisType::DateTime { precision: 6 }
            }
            (DorisType::Date, o) | (o, DorisType::Date) if is_int(o) || *o == DorisType::Date => {
                DorisType::Date
            }
            _ => DorisType::DateTime { precision: 0 },
        }));
    }
    let varchar_like = |t: &DorisType| is_str(t) || is_json(t);
    if varchar_like(l) && varchar_like(r) {
        return Ok(Some(DorisType::String));
    }
    if int_string_to_string && ((is_int(l) && is_str(r)) || (is_int(r) && is_str(l))) {
        return Ok(Some(DorisType::String));
    }
    if is_float_like(l) || is_float_like(r) {
        return Ok(Some(DorisType::Double));
    }
    if is_numeric(l) && is_numeric(r) {
        if is_dec(l) || is_dec(r) {
            return Ok(Some(wider_decimal(
                decimal_for(l).unwrap_or((38, 0)),
                decimal_for(r).unwrap_or((38, 0)),
                true,
            )));
        }
        return Ok(precedence_max(l, r).or_else(|| Some(l.clone())));
    }
    Ok(Some(DorisType::Double))
}

/// String types are all STRING inside an expression.
fn norm(t: &DorisType) -> DorisType {
    if is_str(t) {
        DorisType::String
    } else if is_json(t) {
        DorisType::Json
    } else {
        t.clone()
    }
}

/// `findCommonPrimitiveTypeForCaseWhen`: the type of CASE / IF / IFNULL / COALESCE.
pub(crate) fn case_common(a: &Ty, b: &Ty) -> Result<Ty, ExprError> {
    let (t1, t2) = match (a, b) {
        (None, None) => return Ok(None),
        (None, Some(t)) | (Some(t), None) => return Ok(Some(norm(t))),
        (Some(x), Some(y)) => (x, y),
    };
    let fail = || {
        Err(ExprError::Type(format!(
            "Cannot find common type for {t1} and {t2}"
        )))
    };
    if same(t1, t2) {
        return Ok(Some(norm(t1)));
    }
    if is_str(t1) || is_str(t2) {
        return Ok(Some(DorisType::String));
    }
    if is_json(t1) || is_json(t2) {
        return fail();
    }
    if (is_dec(t1) && *t2 == DorisType::Date) || (is_dec(t2) && *t1 == DorisType::Date) {
        return Ok(Some(DorisType::Double));
    }
    if (is_dec(t1) || is_dec(t2)) && (is_float_like(t1) || is_float_like(t2)) {
        return Ok(Some(DorisType::Double));
    }
    if is_dec(t1) || is_dec(t2) {
        return match (decimal_for(t1), decimal_for(t2)) {
            (Some(x), Some(y)) => Ok(Some(wider_decimal(x, y, true))),
            _ => fail(),
        };
    }
    match (t1, t2) {
        (DorisType::DateTime { precision: a }, DorisType::DateTime { precision: b }) => {
            return Ok(Some(DorisType::DateTime {
                precision: *a.max(b),
            }));
        }
        (DorisType::DateTime { .. }, DorisType::Date) => return Ok(Some(t1.clone())),
        (DorisType::Date, DorisType::DateTime { .. }) => return Ok(Some(t2.clone())),
        _ => {}
    }
    if is_date_like(t1) || is_date_like(t2) {
        let (d, o) = if is_date_like(t1) { (t1, t2) } else { (t2, t1) };
        if *d == DorisType::Date
            && matches!(o, DorisType::Int | DorisType::BigInt | DorisType::LargeInt)
        {
            return Ok(Some(o.clone()));
        }
        if matches!(d, DorisType::DateTime { .. })
            && matches!(o, DorisType::LargeInt | DorisType::Double)
        {
            return Ok(Some(o.clone()));
        }
        return fail();
    }
    if (*t1 == DorisType::Float && *t2 == DorisType::LargeInt)
        || (*t1 == DorisType::LargeInt && *t2 == DorisType::Float)
    {
        return Ok(Some(DorisType::Double));
    }
    match precedence_max(t1, t2) {
        Some(t) => Ok(Some(t)),
        None => fail(),
    }
}

/// The smallest integer type holding `v`, from `at_least` up (TINYINT .. LARGEINT).
pub(crate) fn int_type_for(v: i128, at_least: &DorisType) -> DorisType {
    let order = [
        DorisType::TinyInt,
        DorisType::SmallInt,
        DorisType::Int,
        DorisType::BigInt,
        DorisType::LargeInt,
    ];
    let start = order.iter().position(|t| t == at_least).unwrap_or(0);
    for t in &order[start..] {
        if let Some((lo, hi)) = t.integer_range()
            && (lo..=hi).contains(&v)
        {
            return t.clone();
        }
    }
    DorisType::LargeInt
}

/// A numeric literal as Nereids types it: integers → the smallest integer type (beyond
/// LARGEINT → DECIMAL or DOUBLE); `1.5`-style → DECIMALV3 with the literal's digits;
/// exponent forms → DOUBLE.
pub(crate) fn number_literal(text: &str) -> Result<(Value, DorisType), ExprError> {
    let bad = || ExprError::Unsupported(format!("invalid number literal {text}"));
    let t = text.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    if body.is_empty() {
        return Err(bad());
    }
    if body.bytes().any(|b| b == b'e' || b == b'E') {
        let v: f64 = t.parse().map_err(|_| bad())?;
        return Ok((Value::Float(v), DorisType::Double));
    }
    let (v, ty) = if body.bytes().all(|b| b.is_ascii_digit()) {
        match t.parse::<i128>() {
            Ok(v) => return Ok((Value::Int(v), int_type_for(v, &DorisType::TinyInt))),
            Err(_) => decimal_literal(body, "").ok_or_else(bad)?,
        }
    } else {
        let (int, frac) = body.split_once('.').ok_or_else(bad)?;
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        decimal_literal(int, frac).ok_or_else(bad)?
    };
    Ok(match (v, neg) {
        (Value::Decimal { unscaled, scale }, true) => (
            Value::Decimal {
                unscaled: -unscaled,
                scale,
            },
            ty,
        ),
        (Value::Float(f), true) => (Value::Float(-f), ty),
        (v, _) => (v, ty),
    })
}

/// `new BigDecimal(text)` as a DECIMALV3 literal; more than 38 digits → DOUBLE.
fn decimal_literal(int: &str, frac: &str) -> Option<(Value, DorisType)> {
    let int = int.trim_start_matches('0');
    let digits: String = int.chars().chain(frac.chars()).collect();
    let significant = digits.trim_start_matches('0');
    let precision = significant.len().max(frac.len()).max(1);
    if precision > MAX_DECIMAL128_PRECISION as usize {
        let v: f64 = format!("{int}.{frac}0").parse().ok()?;
        return Some((Value::Float(v), DorisType::Double));
    }
    let unscaled: i128 = if significant.is_empty() {
        0
    } else {
        significant.parse().ok()?
    };
    let scale = frac.len() as u8;
    Some((
        Value::Decimal { unscaled, scale },
        DorisType::Decimal {
            precision: precision as u8,
            scale,
        },
    ))
}

/// Whether `unscaled` (at the type's scale) fits DECIMAL(precision, _).
pub(crate) fn fits_decimal(unscaled: i128, precision: u8) -> bool {
    let p = precision.min(MAX_DECIMAL128_PRECISION) as usize;
    unscaled.unsigned_abs() < POW10[p] as u128
}

/// `IntegerChecker.isValidInteger`.
pub(crate) fn is_integer_text(s: &str) -> bool {
    let d = s.strip_prefix(['-', '+']).unwrap_or(s);
    !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
}

/// `FloatChecker.isValidFloat` / `new BigDecimal(s)` acceptance: `[+-]` digits with an
/// optional fraction and exponent.
pub(crate) fn is_float_text(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    let mut i = 0;
    let int = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac;
    }
    if int + frac == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let e = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if e == 0 {
            return false;
        }
        i += e;
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(p: u8, s: u8) -> DorisType {
        DorisType::Decimal {
            precision: p,
            scale: s,
        }
    }

    #[test]
    fn literals() {
        assert_eq!(number_literal("1").unwrap().1, DorisType::TinyInt);
        assert_eq!(number_literal("300").unwrap().1, DorisType::SmallInt);
        assert_eq!(number_literal("3000000000").unwrap().1, DorisType::BigInt);
        assert_eq!(number_literal("1.5").unwrap().1, d(2, 1));
        assert_eq!(number_literal("0.05").unwrap().1, d(2, 2));
        assert_eq!(number_literal("1e3").unwrap().1, DorisType::Double);
        assert_eq!(number_literal(".5").unwrap().1, d(1, 1));
    }

    #[test]
    fn arithmetic_types() {
        let i = Some(DorisType::Int);
        let s = Some(DorisType::String);
        assert_eq!(
            arith_plan(ArithOp::Add, &i, &i).unwrap().result,
            DorisType::BigInt
        );
        assert_eq!(
            arith_plan(ArithOp::Add, &s, &Some(DorisType::TinyInt))
                .unwrap()
                .result,
            DorisType::Double
        );
        assert_eq!(
            arith_plan(ArithOp::Div, &i, &i).unwrap().result,
            DorisType::Double
        );
        assert_eq!(
            arith_plan(ArithOp::IntDiv, &i, &i).unwrap().result,
            DorisType::Int
        );
        assert_eq!(
            arith_plan(ArithOp::Add, &Some(d(5, 2)), &Some(d(4, 3)))
                .unwrap()
                .result,
            d(7, 3)
        );
        assert_eq!(
            arith_plan(ArithOp::Mul, &Some(d(5, 2)), &Some(d(4, 3)))
                .unwrap()
                .result,
            d(9, 5)
        );
        assert_eq!(
            arith_plan(ArithOp::Div, &Some(d(2, 1)), &Some(DorisType::TinyInt))
                .unwrap()
                .result,
            d(6, 5)
        );
    }
}
