//! Per-column conversion and the Arrow builders: source text → a staged [`Cell`] (using the
//! rules in `routinely_schemas::convert`), and accepted cells → Arrow arrays.
//!
//! Text lives in one of a few buffers while a row is assembled; a [`Span`] names the buffer
//! and the range, so no value is copied until it lands in its builder.

use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, FixedSizeBinaryBuilder,
    Float32Builder, Float64Builder, Int8Builder, Int16Builder, Int32Builder, Int64Builder,
    StringBuilder, TimestampMicrosecondBuilder, UInt32Builder, make_builder,
};
use arrow_array::builder::{ListBuilder, MapBuilder, StructBuilder};
use arrow_schema::{DataType, Field};

use routinely_schemas::arrow::arrow_type;
use routinely_schemas::convert::json::{JsonOutput, JsonScratch, write_json_with};
use routinely_schemas::convert::nested::{Element, split_array, split_map, split_struct};
use routinely_schemas::convert::{self, StringFit, ip};
use routinely_schemas::display::Datum;
use routinely_schemas::{DorisType, TimeZone, VersionRules};

/// Which buffer a [`Span`] points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Buf {
    /// The message value as received (after a BOM was dropped).
    Message,
    /// A constant: `start` indexes [`LITERALS`].
    Lit,
    /// The reader's arena (compacted JSON, unescaped CSV fields, defaults, spilled lines).
    Reader,
    /// The row assembler's arena (conversion outputs).
    Row,
}

/// A byte range in one of the row path's buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub buf: Buf,
    pub start: u32,
    pub len: u32,
}

impl Span {
    pub fn new(buf: Buf, start: usize, len: usize) -> Span {
        Span {
            buf,
            start: start as u32,
            len: len as u32,
        }
    }
}

/// Constant texts a span may name: JSON `false` / `true` reach the cast as `0` / `1`.
pub(crate) const LITERALS: [&[u8]; 2] = [b"0", b"1"];

/// The buffers spans resolve against.
#[derive(Clone, Copy)]
pub(crate) struct Bufs<'a> {
    pub message: &'a [u8],
    pub reader: &'a [u8],
    pub row: &'a [u8],
    /// Whether `message` holds validated UTF-8 (JSON: the parser checked the whole message),
    /// so spans into it can skip re-validation.
    pub message_is_utf8: bool,
}

impl<'a> Bufs<'a> {
    /// The text of a span, as `&str` when it is valid UTF-8.
    #[inline(always)]
    pub fn str(&self, span: Span) -> Result<&'a str, &'a [u8]> {
        let bytes = self.get(span);
        if self.message_is_utf8 && span.buf == Buf::Message {
            // SAFETY: the JSON parser validated the whole message as UTF-8, and spans into it
            // start and end on token boundaries (ASCII structural bytes or string quotes),
            // which are character boundaries.
            return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
        }
        std::str::from_utf8(bytes).map_err(|_| bytes)
    }

    /// The bytes of a span. Always inlined: called out of line, the span went through memory
    /// and its load stalled (2-3% of the row path).
    #[inline(always)]
    pub fn get(&self, span: Span) -> &'a [u8] {
        let range = span.start as usize..(span.start + span.len) as usize;
        match span.buf {
            Buf::Message => &self.message[range],
            Buf::Reader => &self.reader[range],
            Buf::Row => &self.row[range],
            Buf::Lit => LITERALS[span.start as usize],
        }
    }
}

/// How a source value is represented before conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// SQL NULL (CSV `\N`, JSON null, a missing key without DEFAULT).
    Null,
    /// Text handed to the cast.
    Text(Span),
    /// A JSON object or array: compact text, and whether it is already in JSONB's canonical
    /// printing (so a JSON column can copy it).
    Json { span: Span, canonical: bool },
}

/// A converted value waiting for the row to be accepted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cell {
    Null,
    Bool(bool),
    Int(i128),
    F32(f32),
    F64(f64),
    /// Unscaled DECIMAL (and LARGEINT).
    Dec(i128),
    Date(i32),
    DateTime(i64),
    Bytes(Span),
    U32(u32),
    U128(u128),
    /// Index into the row's nested values.
    Nested(usize),
}

/// The conversion of one destination column.
#[derive(Debug, Clone)]
pub(crate) enum Converter {
    Bool,
    Int { min: i128, max: i128 },
    LargeInt,
    Float,
    Double,
    Decimal { precision: u8, scale: u8 },
    Date,
    DateTime { precision: u8 },
    String(DorisType),
    Json,
    Ipv4,
    Ipv6,
    Nested(DorisType),
}

/// Why a conversion gave no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConvFail {
    /// Doris's cast yields NULL.
    Null,
}

/// Context a conversion needs.
pub(crate) struct ConvCtx<'r> {
    pub rules: &'r VersionRules,
    pub tz: &'r TimeZone,
    pub strict: bool,
}

impl Converter {
    pub fn for_type(ty: &DorisType) -> Converter {
        match ty {
            DorisType::Boolean => Converter::Bool,
            DorisType::LargeInt => Converter::LargeInt,
            t if t.is_integer() => {
                let (min, max) = t.integer_range().unwrap_or((i128::MIN, i128::MAX));
                Converter::Int { min, max }
            }
            DorisType::Float => Converter::Float,
            DorisType::Double => Converter::Double,
            DorisType::Decimal { precision, scale } => Converter::Decimal {
                precision: *precision,
                scale: *scale,
            },
            DorisType::Date => Converter::Date,
            DorisType::DateTime { precision } => Converter::DateTime {
                precision: *precision,
            },
            DorisType::Json | DorisType::Variant => Converter::Json,
            DorisType::Ipv4 => Converter::Ipv4,
            DorisType::Ipv6 => Converter::Ipv6,
            t if t.is_nested() => Converter::Nested(t.clone()),
            t => Converter::String(t.clone()),
        }
    }

    /// Converts non-NULL source text into `out`, which is left as it is when Doris's cast
    /// yields NULL. Strings and JSON may write into `row` (the row arena). Writing in place
    /// keeps the 32-byte cell out of a return slot the caller would read back at once: that
    /// copy stalled on store forwarding (measured: the row path 5% slower when the assembler
    /// takes the cell by value, 694-703 against 661-669 MB/s, best of 12, `profile_row_path
    /// 64M 12 row`).
    #[inline]
    pub fn convert_into(
        &self,
        text: &[u8],
        slot: Slot,
        ctx: &ConvCtx<'_>,
        row: &mut Vec<u8>,
        json: &mut JsonScratch,
        nested: &mut Vec<Datum>,
        out: &mut Cell,
    ) {
        let r = ctx.rules;
        let cell = match self {
            Converter::Bool => convert::parse_bool(text, ctx.strict, r).map(Cell::Bool),
            Converter::Int { min, max } => {
                convert::parse_int(text, *min, *max, ctx.strict, r).map(Cell::Int)
            }
            Converter::LargeInt => {
                convert::parse_int(text, i128::MIN, i128::MAX, ctx.strict, r).map(Cell::Dec)
            }
            Converter::Float => convert::parse_f32(text, r).map(Cell::F32),
            Converter::Double => convert::parse_f64(text, r).map(Cell::F64),
            Converter::Decimal { precision, scale } => {
                convert::parse_decimal(text, *precision, *scale, r).map(Cell::Dec)
            }
            Converter::Date => convert::parse_date(text, r).map(Cell::Date),
            Converter::DateTime { precision } => {
                convert::parse_datetime(text, *precision, ctx.tz, r).map(Cell::DateTime)
            }
            // Length rules are applied after WHERE, as Doris's sink does.
            Converter::String(_) => match slot {
                Slot::Text(span) | Slot::Json { span, .. } => Some(Cell::Bytes(span)),
                Slot::Null => None,
            },
            Converter::Json => match slot {
                Slot::Json {
                    span,
                    canonical: true,
                } => Some(Cell::Bytes(span)),
                _ => {
                    let start = row.len();
                    write_json_with(text, JsonOutput::Canonical, row, json)
                        .then(|| Cell::Bytes(Span::new(Buf::Row, start, row.len() - start)))
                }
            },
            Converter::Ipv4 => ip::parse_ipv4(text).map(Cell::U32),
            Converter::Ipv6 => ip::parse_ipv6(text).map(Cell::U128),
            Converter::Nested(ty) => nested_from_text(text, ty, ctx).map(|datum| {
                nested.push(datum);
                Cell::Nested(nested.len() - 1)
            }),
        };
        if let Some(cell) = cell {
            *out = cell;
        }
    }

    /// Converts non-NULL source text: [`Converter::convert_into`], by value.
    #[inline]
    pub fn convert(
        &self,
        text: &[u8],
        slot: Slot,
        ctx: &ConvCtx<'_>,
        row: &mut Vec<u8>,
        json: &mut JsonScratch,
        nested: &mut Vec<Datum>,
    ) -> Result<Cell, ConvFail> {
        let mut out = Cell::Null;
        self.convert_into(text, slot, ctx, row, json, nested, &mut out);
        match out {
            Cell::Null => Err(ConvFail::Null),
            cell => Ok(cell),
        }
    }
}

/// Converts an element's text with its type's rule; a failing element is NULL.
fn element_datum(text: &[u8], ty: &DorisType, ctx: &ConvCtx<'_>) -> Datum {
    let r = ctx.rules;
    let d = match ty {
        DorisType::Boolean => convert::parse_bool(text, false, r).map(Datum::Bool),
        DorisType::Float => convert::parse_f32(text, r).map(Datum::Float),
        DorisType::Double => convert::parse_f64(text, r).map(Datum::Double),
        DorisType::Decimal { precision, scale } => {
            convert::parse_decimal(text, *precision, *scale, r).map(|u| Datum::Decimal {
                unscaled: u,
                scale: *scale,
            })
        }
        DorisType::Date => convert::parse_date(text, r).map(Datum::Date),
        DorisType::DateTime { precision } => convert::parse_datetime(text, *precision, ctx.tz, r)
            .map(|m| Datum::DateTime {
                micros: m,
                precision: *precision,
            }),
        DorisType::Json | DorisType::Variant => {
            let mut out = Vec::new();
            convert::json::write_json(text, JsonOutput::Canonical, &mut out)
                .then(|| Datum::Json(String::from_utf8_lossy(&out).into_owned()))
        }
        DorisType::Ipv4 => ip::parse_ipv4(text).map(Datum::Ipv4),
        DorisType::Ipv6 => ip::parse_ipv6(text).map(Datum::Ipv6),
        t if t.is_integer() => {
            let (min, max) = t.integer_range().unwrap_or((i128::MIN, i128::MAX));
            convert::parse_int(text, min, max, false, r).map(Datum::Int)
        }
        t if t.is_nested() => nested_from_text(text, t, ctx),
        t => match convert::fit_string(text, t, false, r) {
            StringFit::Fits => Some(Datum::Str(text.to_vec())),
            StringFit::Truncate(n) => Some(Datum::Str(text[..n].to_vec())),
            StringFit::TooLong { .. } => None,
        },
    };
    d.unwrap_or(Datum::Null)
}

/// ARRAY / MAP / STRUCT text → a nested value (element failures become NULL elements).
pub(crate) fn nested_from_text(text: &[u8], ty: &DorisType, ctx: &ConvCtx<'_>) -> Option<Datum> {
    let elem = |e: Element<'_>, t: &DorisType| match e {
        Element::Null => Datum::Null,
        Element::Text(s) => element_datum(s, t, ctx),
    };
    match ty {
        DorisType::Array(inner) => {
            let mut parts = Vec::new();
            split_array(text, &mut parts)?;
            Some(Datum::Array(
                parts.into_iter().map(|e| elem(e, inner)).collect(),
            ))
        }
        DorisType::Map(k, v) => {
            let mut parts = Vec::new();
            split_map(text, &mut parts)?;
            Some(Datum::Map(
                parts
                    .into_iter()
                    .map(|(ke, ve)| (elem(ke, k), elem(ve, v)))
                    .collect(),
            ))
        }
        DorisType::Struct(fields) => {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            let mut parts = Vec::new();
            split_struct(text, &names, &mut parts)?;
            Some(Datum::Struct(
                fields
                    .iter()
                    .zip(parts)
                    .map(|(f, e)| (f.name.clone(), elem(e, &f.ty)))
                    .collect(),
            ))
        }
        _ => None,
    }
}

/// The Arrow builder of one column.
pub(crate) enum Builder {
    Bool(BooleanBuilder),
    I8(Int8Builder),
    I16(Int16Builder),
    I32(Int32Builder),
    I64(Int64Builder),
    Dec(Decimal128Builder),
    F32(Float32Builder),
    F64(Float64Builder),
    Date(Date32Builder),
    Ts(TimestampMicrosecondBuilder),
    Str(StringBuilder),
    U32(UInt32Builder),
    Fsb(FixedSizeBinaryBuilder),
    Nested(Box<dyn ArrayBuilder>, DataType),
}

impl Builder {
    /// A builder for `ty` sized for `rows` rows of about `bytes` string bytes.
    pub fn new(ty: &DorisType, rows: usize, bytes: usize) -> Builder {
        match ty {
            DorisType::Boolean => Builder::Bool(BooleanBuilder::with_capacity(rows)),
            DorisType::TinyInt => Builder::I8(Int8Builder::with_capacity(rows)),
            DorisType::SmallInt => Builder::I16(Int16Builder::with_capacity(rows)),
            DorisType::Int => Builder::I32(Int32Builder::with_capacity(rows)),
            DorisType::BigInt => Builder::I64(Int64Builder::with_capacity(rows)),
            DorisType::LargeInt | DorisType::Decimal { .. } => {
                let DataType::Decimal128(p, s) = arrow_type(ty) else {
                    unreachable!("decimal types map to Decimal128")
                };
                Builder::Dec(
                    Decimal128Builder::with_capacity(rows)
                        .with_precision_and_scale(p, s)
                        .unwrap_or_else(|_| Decimal128Builder::with_capacity(rows)),
                )
            }
            DorisType::Float => Builder::F32(Float32Builder::with_capacity(rows)),
            DorisType::Double => Builder::F64(Float64Builder::with_capacity(rows)),
            DorisType::Date => Builder::Date(Date32Builder::with_capacity(rows)),
            DorisType::DateTime { .. } => {
                Builder::Ts(TimestampMicrosecondBuilder::with_capacity(rows))
            }
            DorisType::Ipv4 => Builder::U32(UInt32Builder::with_capacity(rows)),
            DorisType::Ipv6 => Builder::Fsb(FixedSizeBinaryBuilder::with_capacity(rows, 16)),
            t if t.is_nested() => {
                let dt = arrow_type(t);
                Builder::Nested(make_builder(&dt, rows), dt)
            }
            _ => Builder::Str(StringBuilder::with_capacity(rows, bytes)),
        }
    }

    /// Appends a staged cell.
    #[inline]
    pub fn append(&mut self, cell: Cell, bufs: &Bufs<'_>, nested: &[Datum]) {
        match (self, cell) {
            (Builder::Bool(b), Cell::Bool(v)) => b.append_value(v),
            (Builder::I8(b), Cell::Int(v)) => b.append_value(v as i8),
            (Builder::I16(b), Cell::Int(v)) => b.append_value(v as i16),
            (Builder::I32(b), Cell::Int(v)) => b.append_value(v as i32),
            (Builder::I64(b), Cell::Int(v)) => b.append_value(v as i64),
            (Builder::Dec(b), Cell::Dec(v)) => b.append_value(v),
            (Builder::F32(b), Cell::F32(v)) => b.append_value(v),
            (Builder::F64(b), Cell::F64(v)) => b.append_value(v),
            (Builder::Date(b), Cell::Date(v)) => b.append_value(v),
            (Builder::Ts(b), Cell::DateTime(v)) => b.append_value(v),
            (Builder::Str(b), Cell::Bytes(span)) => match bufs.str(span) {
                Ok(s) => b.append_value(s),
                Err(bytes) => b.append_value(String::from_utf8_lossy(bytes)),
            },
            (Builder::U32(b), Cell::U32(v)) => b.append_value(v),
            (Builder::Fsb(b), Cell::U128(v)) => {
                let _ = b.append_value(v.to_be_bytes());
            }
            (Builder::Nested(b, dt), Cell::Nested(i)) => {
                append_datum(b.as_mut(), dt, &nested[i]);
            }
            (b, _) => b.append_null(),
        }
    }

    pub fn append_null(&mut self) {
        match self {
            Builder::Bool(b) => b.append_null(),
            Builder::I8(b) => b.append_null(),
            Builder::I16(b) => b.append_null(),
            Builder::I32(b) => b.append_null(),
            Builder::I64(b) => b.append_null(),
            Builder::Dec(b) => b.append_null(),
            Builder::F32(b) => b.append_null(),
            Builder::F64(b) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            Builder::Ts(b) => b.append_null(),
            Builder::Str(b) => b.append_null(),
            Builder::U32(b) => b.append_null(),
            Builder::Fsb(b) => b.append_null(),
            Builder::Nested(b, dt) => append_datum(b.as_mut(), dt, &Datum::Null),
        }
    }

    /// Bytes of string data appended so far (0 for other types).
    pub fn string_bytes(&self) -> usize {
        match self {
            Builder::Str(b) => b.values_slice().len(),
            _ => 0,
        }
    }

    pub fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::I8(b) => Arc::new(b.finish()),
            Builder::I16(b) => Arc::new(b.finish()),
            Builder::I32(b) => Arc::new(b.finish()),
            Builder::I64(b) => Arc::new(b.finish()),
            Builder::Dec(b) => Arc::new(b.finish()),
            Builder::F32(b) => Arc::new(b.finish()),
            Builder::F64(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Ts(b) => Arc::new(b.finish()),
            Builder::Str(b) => Arc::new(b.finish()),
            Builder::U32(b) => Arc::new(b.finish()),
            Builder::Fsb(b) => Arc::new(b.finish()),
            Builder::Nested(b, _) => b.finish(),
        }
    }
}

/// Appends a nested value to a builder made by `make_builder` for `dt`.
fn append_datum(b: &mut dyn ArrayBuilder, dt: &DataType, d: &Datum) {
    let any = b.as_any_mut();
    match dt {
        DataType::List(field) => {
            let Some(lb) = any.downcast_mut::<ListBuilder<Box<dyn ArrayBuilder>>>() else {
                return;
            };
            match d {
                Datum::Array(items) => {
                    for item in items {
                        append_datum(lb.values().as_mut(), field.data_type(), item);
                    }
                    lb.append(true);
                }
                _ => lb.append(false),
            }
        }
        DataType::Map(entries, _) => {
            let Some(mb) =
                any.downcast_mut::<MapBuilder<Box<dyn ArrayBuilder>, Box<dyn ArrayBuilder>>>()
            else {
                return;
            };
            let DataType::Struct(kv) = entries.data_type() else {
                return;
            };
            let (kt, vt) = (kv[0].data_type().clone(), kv[1].data_type().clone());
            match d {
                Datum::Map(pairs) => {
                    for (k, v) in pairs {
                        // Arrow map keys cannot be NULL: such entries are dropped.
                        if matches!(k, Datum::Null) {
                            continue;
                        }
                        append_datum(mb.keys().as_mut(), &kt, k);
                        append_datum(mb.values().as_mut(), &vt, v);
                    }
                    let _ = mb.append(true);
                }
                _ => {
                    let _ = mb.append(false);
                }
            }
        }
        DataType::Struct(fields) => {
            let Some(sb) = any.downcast_mut::<StructBuilder>() else {
                return;
            };
            let values: Vec<&Datum> = match d {
                Datum::Struct(vals) => vals.iter().map(|(_, v)| v).collect(),
                _ => vec![&Datum::Null; fields.len()],
            };
            for (i, f) in fields.iter().enumerate() {
                append_struct_field(sb, i, f, values.get(i).copied().unwrap_or(&Datum::Null));
            }
            sb.append(matches!(d, Datum::Struct(_)));
        }
        _ => append_scalar(any, dt, d),
    }
}

fn append_struct_field(sb: &mut StructBuilder, i: usize, f: &Field, d: &Datum) {
    // StructBuilder exposes typed field builders; nested struct fields use Box<dyn>.
    macro_rules! field {
        ($t:ty) => {
            if let Some(fb) = sb.field_builder::<$t>(i) {
                append_scalar(fb.as_any_mut(), f.data_type(), d);
                return;
            }
        };
    }
    field!(BooleanBuilder);
    field!(Int8Builder);
    field!(Int16Builder);
    field!(Int32Builder);
    field!(Int64Builder);
    field!(Decimal128Builder);
    field!(Float32Builder);
    field!(Float64Builder);
    field!(Date32Builder);
    field!(TimestampMicrosecondBuilder);
    field!(StringBuilder);
    field!(UInt32Builder);
    field!(FixedSizeBinaryBuilder);
    if let Some(fb) = sb.field_builder::<Box<dyn ArrayBuilder>>(i) {
        append_datum(fb.as_mut(), f.data_type(), d);
    } else if let Some(fb) = sb.field_builder::<ListBuilder<Box<dyn ArrayBuilder>>>(i) {
        append_datum(fb, f.data_type(), d);
    } else if let Some(fb) =
        sb.field_builder::<MapBuilder<Box<dyn ArrayBuilder>, Box<dyn ArrayBuilder>>>(i)
    {
        append_datum(fb, f.data_type(), d);
    } else if let Some(fb) = sb.field_builder::<StructBuilder>(i) {
        append_datum(fb, f.data_type(), d);
    }
}

fn append_scalar(any: &mut dyn std::any::Any, dt: &DataType, d: &Datum) {
    macro_rules! put {
        ($t:ty, $v:expr) => {
            if let Some(b) = any.downcast_mut::<$t>() {
                match $v {
                    Some(v) => b.append_value(v),
                    None => b.append_null(),
                }
                return;
            }
        };
    }
    let int = match d {
        Datum::Int(v) => Some(*v),
        Datum::Bool(b) => Some(*b as i128),
        _ => None,
    };
    match dt {
        DataType::Boolean => put!(
            BooleanBuilder,
            match d {
                Datum::Bool(b) => Some(*b),
                _ => None,
            }
        ),
        DataType::Int8 => put!(Int8Builder, int.map(|v| v as i8)),
        DataType::Int16 => put!(Int16Builder, int.map(|v| v as i16)),
        DataType::Int32 => put!(Int32Builder, int.map(|v| v as i32)),
        DataType::Int64 => put!(Int64Builder, int.map(|v| v as i64)),
        DataType::Decimal128(..) => put!(
            Decimal128Builder,
            match d {
                Datum::Decimal { unscaled, .. } => Some(*unscaled),
                Datum::Int(v) => Some(*v),
                _ => None,
            }
        ),
        DataType::Float32 => put!(
            Float32Builder,
            match d {
                Datum::Float(v) => Some(*v),
                _ => None,
            }
        ),
        DataType::Float64 => put!(
            Float64Builder,
            match d {
                Datum::Double(v) => Some(*v),
                _ => None,
            }
        ),
        DataType::Date32 => put!(
            Date32Builder,
            match d {
                Datum::Date(v) => Some(*v),
                _ => None,
            }
        ),
        DataType::Timestamp(..) => put!(
            TimestampMicrosecondBuilder,
            match d {
                Datum::DateTime { micros, .. } => Some(*micros),
                _ => None,
            }
        ),
        DataType::UInt32 => put!(
            UInt32Builder,
            match d {
                Datum::Ipv4(v) => Some(*v),
                _ => None,
            }
        ),
        DataType::FixedSizeBinary(_) => {
            if let Some(b) = any.downcast_mut::<FixedSizeBinaryBuilder>() {
                match d {
                    Datum::Ipv6(v) => {
                        let _ = b.append_value(v.to_be_bytes());
                    }
                    _ => b.append_null(),
                }
            }
        }
        _ => put!(
            StringBuilder,
            match d {
                Datum::Str(s) => Some(String::from_utf8_lossy(s).into_owned()),
                Datum::Json(j) => Some(j.clone()),
                _ => None,
            }
        ),
    }
}
