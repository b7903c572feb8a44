//! Stream Load bodies from the row path's Arrow batches, in the three formats the sink can
//! send (the job's `load_format`): an Arrow IPC stream (`format: arrow`), JSON lines
//! (`format: json`, `read_json_by_line: true`) and CSV (`format: csv`, every string enclosed
//! in `"` with `\` as the escape, `\N` for NULL).
//!
//! Rows are already coerced, so the text forms carry values Doris parses back to exactly the
//! same value: integers and LARGEINT in full, DECIMAL with its scale, FLOAT / DOUBLE in their
//! shortest round-trip form, DATE `YYYY-MM-DD`, DATETIME with six fraction digits, JSON
//! columns as JSON, nested types in Doris's text form. Encoding appends to a reused buffer;
//! the caller drains it ([`Encoder::take`]) into the request body as it grows.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimestampMicrosecondType,
};
use arrow_array::{
    Array, ArrayRef, FixedSizeBinaryArray, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use std::sync::Arc;

use routinely_operators::row::datum::datum_at;
use routinely_schemas::DorisType;
use routinely_schemas::convert::datetime::{write_date, write_datetime};
use routinely_schemas::display::write_decimal;
use routinely_schemas::job::LoadFormat;

use crate::capture::push_json_str;
use crate::sink::SinkError;

/// How one column is written in the text formats.
#[derive(Debug, Clone)]
enum Kind {
    Bool,
    I8,
    I16,
    I32,
    I64,
    /// LARGEINT (Decimal128(38, 0)): written as a string, beyond JSON's number range.
    LargeInt,
    F32,
    F64,
    Decimal(u8),
    Date,
    DateTime,
    /// Text columns.
    Str,
    /// JSON / VARIANT: the text is JSON.
    Json,
    /// The delete sign (Int8).
    Sign,
    /// Everything else (IPs, nested types, HLL ...): through `Datum`'s text form.
    Other(DorisType),
}

/// One column of the body.
#[derive(Debug, Clone)]
struct Col {
    kind: Kind,
    /// `"name":` for JSON lines.
    json_key: Vec<u8>,
}

/// Whether Doris's Arrow reader takes a column of this type (doris-spec.md research: JSON,
/// VARIANT, HLL, BITMAP and QUANTILE_STATE have no Arrow reader; nested types are sent as
/// they are, so they must not hold a type that needs converting).
pub fn arrow_supports(ty: &DorisType) -> bool {
    match ty {
        DorisType::Json
        | DorisType::Variant
        | DorisType::Hll
        | DorisType::Bitmap
        | DorisType::QuantileState => false,
        DorisType::Array(t) => arrow_supports(t) && !needs_wire_change(t),
        DorisType::Map(k, v) => {
            arrow_supports(k) && arrow_supports(v) && !needs_wire_change(k) && !needs_wire_change(v)
        }
        DorisType::Struct(fields) => fields
            .iter()
            .all(|f| arrow_supports(&f.ty) && !needs_wire_change(&f.ty)),
        _ => true,
    }
}

fn needs_wire_change(ty: &DorisType) -> bool {
    matches!(
        ty,
        DorisType::LargeInt | DorisType::Ipv6 | DorisType::DateTime { .. }
    )
}

/// Doris's Arrow reader turns a timestamp into wall-clock time in a fixed +08:00 (BE
/// `ArrowStreamReader`, `TimezoneUtils::default_time_zone`), whatever the field's zone and
/// the load's `timezone` say. Wall-clock DATETIME values are therefore sent as the instant
/// they are in +08:00 (and the field says so).
const ARROW_READER_OFFSET_US: i64 = 8 * 3600 * 1_000_000;

/// How a column changes on its way into the Arrow body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    Same,
    /// LARGEINT: Decimal128(38, 0) → Utf8 decimal text (the form Doris's reader parses).
    LargeIntText,
    /// IPV6: FixedSizeBinary(16) → Utf8 text (the only form Doris's reader takes).
    Ipv6Text,
    /// DATETIME: wall-clock micros → the instant in +08:00.
    DateTimeShift,
}

/// Encodes batches of one schema into a Stream Load body.
pub struct Encoder {
    format: LoadFormat,
    cols: Vec<Col>,
    arrow: Option<StreamWriter<Vec<u8>>>,
    wire: Vec<Wire>,
    wire_schema: SchemaRef,
    schema: SchemaRef,
    /// Text bytes not yet taken.
    buf: Vec<u8>,
    scratch: String,
    rows: u64,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("format", &self.format)
            .field("rows", &self.rows)
            .finish()
    }
}

impl Encoder {
    /// An encoder for batches of `schema`, whose columns have the Doris types `types`
    /// (`None` for the delete sign).
    pub fn new(
        format: LoadFormat,
        schema: SchemaRef,
        types: &[Option<DorisType>],
    ) -> Result<Encoder, SinkError> {
        let cols = schema
            .fields()
            .iter()
            .zip(types)
            .map(|(f, ty)| {
                let kind = match ty {
                    None => Kind::Sign,
                    Some(t) => match t {
                        DorisType::Boolean => Kind::Bool,
                        DorisType::TinyInt => Kind::I8,
                        DorisType::SmallInt => Kind::I16,
                        DorisType::Int => Kind::I32,
                        DorisType::BigInt => Kind::I64,
                        DorisType::LargeInt => Kind::LargeInt,
                        DorisType::Float => Kind::F32,
                        DorisType::Double => Kind::F64,
                        DorisType::Decimal { scale, .. } => Kind::Decimal(*scale),
                        DorisType::Date => Kind::Date,
                        DorisType::DateTime { .. } => Kind::DateTime,
                        DorisType::Char { .. } | DorisType::Varchar { .. } | DorisType::String => {
                            Kind::Str
                        }
                        DorisType::Json | DorisType::Variant => Kind::Json,
                        other => Kind::Other(other.clone()),
                    },
                };
                let mut json_key = Vec::with_capacity(f.name().len() + 3);
                push_json_str(&mut json_key, f.name());
                json_key.push(b':');
                Col { kind, json_key }
            })
            .collect();
        let wire: Vec<Wire> = types
            .iter()
            .map(|t| match t {
                Some(DorisType::LargeInt) => Wire::LargeIntText,
                Some(DorisType::Ipv6) => Wire::Ipv6Text,
                Some(DorisType::DateTime { .. }) => Wire::DateTimeShift,
                _ => Wire::Same,
            })
            .collect();
        let wire_schema = Arc::new(Schema::new_with_metadata(
            schema
                .fields()
                .iter()
                .zip(&wire)
                .map(|(f, w)| {
                    let ty = match w {
                        Wire::Same => f.data_type().clone(),
                        Wire::LargeIntText | Wire::Ipv6Text => DataType::Utf8,
                        Wire::DateTimeShift => {
                            DataType::Timestamp(TimeUnit::Microsecond, Some("+08:00".into()))
                        }
                    };
                    Field::new(f.name(), ty, f.is_nullable()).with_metadata(f.metadata().clone())
                })
                .collect::<Vec<_>>(),
            schema.metadata().clone(),
        ));
        let arrow = match format {
            LoadFormat::Arrow => {
                if let Some(bad) = types.iter().flatten().find(|t| !arrow_supports(t)) {
                    return Err(SinkError(format!(
                        "Doris cannot read a {bad} column from Arrow: use \"load_format\" = \"json\""
                    )));
                }
                Some(
                    StreamWriter::try_new(Vec::with_capacity(1 << 20), &wire_schema)
                        .map_err(|e| SinkError(format!("arrow stream: {e}")))?,
                )
            }
            _ => None,
        };
        Ok(Encoder {
            format,
            cols,
            arrow,
            wire,
            wire_schema,
            schema,
            buf: Vec::with_capacity(1 << 20),
            scratch: String::with_capacity(64),
            rows: 0,
        })
    }

    /// Rows encoded so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Bytes encoded and not yet taken.
    pub fn pending(&self) -> usize {
        match &self.arrow {
            Some(w) => w.get_ref().len(),
            None => self.buf.len(),
        }
    }

    /// Appends a batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        self.rows += batch.num_rows() as u64;
        match self.format {
            LoadFormat::Arrow => {
                let wired;
                let batch = if self.wire.iter().all(|w| *w == Wire::Same) {
                    batch
                } else {
                    wired = self.to_wire(batch)?;
                    &wired
                };
                match &mut self.arrow {
                    Some(w) => w
                        .write(batch)
                        .map_err(|e| SinkError(format!("arrow stream: {e}"))),
                    None => Err(SinkError("arrow stream already finished".into())),
                }
            }
            LoadFormat::Json => {
                for row in 0..batch.num_rows() {
                    self.buf.push(b'{');
                    for (c, col) in self.cols.iter().enumerate() {
                        if c > 0 {
                            self.buf.push(b',');
                        }
                        self.buf.extend_from_slice(&col.json_key);
                        write_json_value(
                            &col.kind,
                            batch.column(c).as_ref(),
                            row,
                            &mut self.buf,
                            &mut self.scratch,
                        );
                    }
                    self.buf.extend_from_slice(b"}\n");
                }
                Ok(())
            }
            LoadFormat::Csv => {
                for row in 0..batch.num_rows() {
                    for (c, col) in self.cols.iter().enumerate() {
                        if c > 0 {
                            self.buf.push(CSV_SEPARATOR);
                        }
                        write_csv_value(
                            &col.kind,
                            batch.column(c).as_ref(),
                            row,
                            &mut self.buf,
                            &mut self.scratch,
                        );
                    }
                    self.buf.push(b'\n');
                }
                Ok(())
            }
        }
    }

    /// A batch in the Arrow body's form (see [`Wire`]).
    fn to_wire(&self, batch: &RecordBatch) -> Result<RecordBatch, SinkError> {
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
        for (c, w) in self.wire.iter().enumerate() {
            let a = batch.column(c);
            cols.push(match w {
                Wire::Same => a.clone(),
                Wire::LargeIntText => {
                    let v = a.as_primitive::<Decimal128Type>();
                    let mut b = itoa::Buffer::new();
                    Arc::new(
                        v.iter()
                            .map(|x| x.map(|x| b.format(x).to_string()))
                            .collect::<StringArray>(),
                    )
                }
                Wire::Ipv6Text => {
                    let v = a
                        .as_any()
                        .downcast_ref::<FixedSizeBinaryArray>()
                        .ok_or_else(|| SinkError("IPV6 column is not FixedSizeBinary(16)".into()))?;
                    Arc::new(
                        (0..v.len())
                            .map(|i| {
                                (!v.is_null(i)).then(|| {
                                    let mut bytes = [0u8; 16];
                                    bytes.copy_from_slice(v.value(i));
                                    routinely_schemas::convert::ip::format_ipv6(u128::from_be_bytes(
                                        bytes,
                                    ))
                                })
                            })
                            .collect::<StringArray>(),
                    )
                }
                Wire::DateTimeShift => {
                    let v = a.as_primitive::<TimestampMicrosecondType>();
                    // Doris's reader casts the instant to unsigned: nothing before the epoch.
                    if let Some(min) = v.iter().flatten().min()
                        && min < ARROW_READER_OFFSET_US
                    {
                        return Err(SinkError(format!(
                            "column {}: DATETIME before 1970-01-01 08:00:00 cannot go to Doris as \
                             Arrow (its reader reads instants as unsigned); use \"load_format\" = \"json\"",
                            self.schema.field(c).name()
                        )));
                    }
                    Arc::new(
                        v.unary::<_, TimestampMicrosecondType>(|x| x - ARROW_READER_OFFSET_US)
                            .with_timezone("+08:00"),
                    ) as Arc<TimestampMicrosecondArray>
                }
            });
        }
        RecordBatch::try_new(self.wire_schema.clone(), cols)
            .map_err(|e| SinkError(format!("arrow body: {e}")))
    }

    /// Ends the body (the Arrow stream's end marker).
    pub fn finish(&mut self) -> Result<(), SinkError> {
        if let Some(w) = &mut self.arrow {
            w.finish()
                .map_err(|e| SinkError(format!("arrow stream: {e}")))?;
        }
        Ok(())
    }

    /// Takes the bytes encoded since the last call into `out` (cleared first).
    pub fn take(&mut self, out: &mut Vec<u8>) {
        out.clear();
        match &mut self.arrow {
            Some(w) => std::mem::swap(w.get_mut(), out),
            None => std::mem::swap(&mut self.buf, out),
        }
    }

    /// The Stream Load headers that describe this body.
    pub fn format_headers(&self) -> Vec<(String, String)> {
        match self.format {
            LoadFormat::Arrow => vec![("format".into(), "arrow".into())],
            LoadFormat::Json => vec![
                ("format".into(), "json".into()),
                ("read_json_by_line".into(), "true".into()),
            ],
            LoadFormat::Csv => vec![
                ("format".into(), "csv".into()),
                ("column_separator".into(), ",".into()),
                ("line_delimiter".into(), "\\n".into()),
                ("enclose".into(), "\"".into()),
                ("escape".into(), "\\".into()),
            ],
        }
    }
}

/// The CSV column separator.
const CSV_SEPARATOR: u8 = b',';

fn csv_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn push_int(v: impl itoa::Integer, out: &mut Vec<u8>) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(v).as_bytes());
}

/// Shortest round-trip text of a float; non-finite values as Doris spells them.
fn push_float(v: f64, single: bool, out: &mut Vec<u8>) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"Infinity" } else { b"-Infinity" });
    } else if single {
        out.extend_from_slice(format!("{}", v as f32).as_bytes());
    } else {
        out.extend_from_slice(format!("{v}").as_bytes());
    }
}

/// Writes the scalar text of a non-null value whose form is the same in JSON (quoted by the
/// caller where needed) and CSV; returns false for kinds handled elsewhere.
fn write_plain(kind: &Kind, a: &dyn Array, row: usize, out: &mut Vec<u8>, s: &mut String) -> bool {
    match kind {
        Kind::I8 | Kind::Sign => push_int(a.as_primitive::<Int8Type>().value(row), out),
        Kind::I16 => push_int(a.as_primitive::<Int16Type>().value(row), out),
        Kind::I32 => push_int(a.as_primitive::<Int32Type>().value(row), out),
        Kind::I64 => push_int(a.as_primitive::<Int64Type>().value(row), out),
        Kind::LargeInt => push_int(a.as_primitive::<Decimal128Type>().value(row), out),
        Kind::F32 => push_float(a.as_primitive::<Float32Type>().value(row) as f64, true, out),
        Kind::F64 => push_float(a.as_primitive::<Float64Type>().value(row), false, out),
        Kind::Decimal(scale) => {
            s.clear();
            write_decimal(a.as_primitive::<Decimal128Type>().value(row), *scale, s);
            out.extend_from_slice(s.as_bytes());
        }
        Kind::Date => {
            s.clear();
            write_date(a.as_primitive::<Date32Type>().value(row), s);
            out.extend_from_slice(s.as_bytes());
        }
        Kind::DateTime => {
            s.clear();
            write_datetime(
                a.as_primitive::<TimestampMicrosecondType>().value(row),
                6,
                s,
            );
            out.extend_from_slice(s.as_bytes());
        }
        _ => return false,
    }
    true
}

fn write_json_value(kind: &Kind, a: &dyn Array, row: usize, out: &mut Vec<u8>, s: &mut String) {
    if a.is_null(row) {
        out.extend_from_slice(b"null");
        return;
    }
    match kind {
        Kind::Bool => out.extend_from_slice(if a.as_boolean().value(row) {
            b"true"
        } else {
            b"false"
        }),
        Kind::I8 | Kind::I16 | Kind::I32 | Kind::I64 | Kind::Sign => {
            write_plain(kind, a, row, out, s);
        }
        Kind::F32 | Kind::F64 => {
            let finite = match kind {
                Kind::F32 => a.as_primitive::<Float32Type>().value(row).is_finite(),
                _ => a.as_primitive::<Float64Type>().value(row).is_finite(),
            };
            // JSON has no NaN / Infinity: those go as strings.
            if !finite {
                out.push(b'"');
            }
            write_plain(kind, a, row, out, s);
            if !finite {
                out.push(b'"');
            }
        }
        Kind::LargeInt | Kind::Decimal(_) | Kind::Date | Kind::DateTime => {
            out.push(b'"');
            write_plain(kind, a, row, out, s);
            out.push(b'"');
        }
        Kind::Str => push_json_str(out, a.as_string::<i32>().value(row)),
        Kind::Json => out.extend_from_slice(a.as_string::<i32>().value(row).as_bytes()),
        Kind::Other(ty) => {
            let text = datum_at(a, row, ty).to_mysql().unwrap_or_default();
            match ty {
                DorisType::Array(_) | DorisType::Map(..) | DorisType::Struct(_) => {
                    out.extend_from_slice(text.as_bytes())
                }
                _ => push_json_str(out, &text),
            }
        }
    }
}

fn write_csv_value(kind: &Kind, a: &dyn Array, row: usize, out: &mut Vec<u8>, s: &mut String) {
    if a.is_null(row) {
        out.extend_from_slice(b"\\N");
        return;
    }
    match kind {
        Kind::Bool => out.push(if a.as_boolean().value(row) {
            b'1'
        } else {
            b'0'
        }),
        Kind::Str | Kind::Json => csv_string(a.as_string::<i32>().value(row).as_bytes(), out),
        Kind::Other(ty) => {
            let text = datum_at(a, row, ty).to_mysql().unwrap_or_default();
            csv_string(text.as_bytes(), out);
        }
        _ => {
            write_plain(kind, a, row, out, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::{
        BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array, StringArray,
        TimestampMicrosecondArray,
    };
    use arrow_schema::{DataType, Field, Schema, TimeUnit};

    fn batch() -> (RecordBatch, Vec<Option<DorisType>>) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int32, false),
            Field::new("s", DataType::Utf8, true),
            Field::new("d", DataType::Decimal128(10, 2), true),
            Field::new("t", DataType::Timestamp(TimeUnit::Microsecond, None), true),
            Field::new("day", DataType::Date32, true),
            Field::new("f", DataType::Float64, true),
            Field::new("b", DataType::Boolean, true),
            Field::new("j", DataType::Utf8, true),
        ]));
        let b = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int32Array::from(vec![1, 2])),
                Arc::new(StringArray::from(vec![Some("a\"b,\\c\n"), None])),
                Arc::new(
                    Decimal128Array::from(vec![Some(12345), None])
                        .with_precision_and_scale(10, 2)
                        .unwrap(),
                ),
                Arc::new(TimestampMicrosecondArray::from(vec![
                    Some(1_700_000_000_123_456),
                    None,
                ])),
                Arc::new(Date32Array::from(vec![Some(19000), None])),
                Arc::new(Float64Array::from(vec![Some(0.1), Some(f64::NAN)])),
                Arc::new(BooleanArray::from(vec![Some(true), None])),
                Arc::new(StringArray::from(vec![Some("{\"x\":[1,2]}"), None])),
            ],
        )
        .unwrap();
        let types = vec![
            Some(DorisType::Int),
            Some(DorisType::String),
            Some(DorisType::Decimal {
                precision: 10,
                scale: 2,
            }),
            Some(DorisType::DateTime { precision: 6 }),
            Some(DorisType::Date),
            Some(DorisType::Double),
            Some(DorisType::Boolean),
            Some(DorisType::Json),
        ];
        (b, types)
    }

    fn encode(format: LoadFormat) -> String {
        let (b, types) = batch();
        let mut e = Encoder::new(format, b.schema(), &types).unwrap();
        e.write(&b).unwrap();
        e.finish().unwrap();
        let mut out = Vec::new();
        e.take(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_lines_round_trip_values() {
        let text = encode(LoadFormat::Json);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["k"], 1);
        assert_eq!(v["s"], "a\"b,\\c\n");
        assert_eq!(v["d"], "123.45");
        assert_eq!(v["t"], "2023-11-14 22:13:20.123456");
        assert_eq!(v["day"], "2022-01-08");
        assert_eq!(v["f"], 0.1);
        assert_eq!(v["b"], true);
        assert_eq!(v["j"]["x"][1], 2);
        let v: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert!(v["s"].is_null() && v["d"].is_null() && v["j"].is_null());
        assert_eq!(v["f"], "NaN");
    }

    #[test]
    fn csv_encloses_strings_and_marks_nulls() {
        let text = encode(LoadFormat::Csv);
        assert_eq!(
            text,
            "1,\"a\\\"b,\\\\c\n\",123.45,2023-11-14 22:13:20.123456,2022-01-08,0.1,1,\"{\\\"x\\\":[1,2]}\"\n\
             2,\\N,\\N,\\N,\\N,NaN,\\N,\\N\n"
        );
    }

    #[test]
    fn arrow_stream_reads_back_in_dorises_reader_form() {
        let (b, mut types) = batch();
        // No Arrow reader for JSON columns: refused, and the text column goes as it is.
        assert!(Encoder::new(LoadFormat::Arrow, b.schema(), &types).is_err());
        types[7] = Some(DorisType::String);
        let mut e = Encoder::new(LoadFormat::Arrow, b.schema(), &types).unwrap();
        e.write(&b).unwrap();
        e.write(&b).unwrap();
        e.finish().unwrap();
        let mut out = Vec::new();
        e.take(&mut out);
        let reader = arrow_ipc::reader::StreamReader::try_new(&out[..], None).unwrap();
        let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
        assert_eq!(batches.len(), 2);
        let got = &batches[1];
        for c in [0, 1, 2, 4, 5, 6, 7] {
            assert_eq!(got.column(c), b.column(c), "column {c}");
        }
        // DATETIME: the wall-clock time as an instant in +08:00, which Doris's reader turns
        // back into the same wall-clock time.
        let t = got.column(3).as_primitive::<TimestampMicrosecondType>();
        assert_eq!(t.value(0), 1_700_000_000_123_456 - 8 * 3600 * 1_000_000);
        assert!(t.is_null(1));
        assert_eq!(
            got.schema().field(3).data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, Some("+08:00".into()))
        );
    }

    #[test]
    fn largeint_and_ipv6_go_as_text_in_arrow() {
        use arrow_array::FixedSizeBinaryArray;
        let schema = Arc::new(Schema::new(vec![
            Field::new("big", DataType::Decimal128(38, 0), true),
            Field::new("ip", DataType::FixedSizeBinary(16), true),
        ]));
        let ip = 1u128.to_be_bytes();
        let b = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(
                    Decimal128Array::from(vec![
                        Some(-170141183460469231731687303715884105728),
                        None,
                    ])
                    .with_precision_and_scale(38, 0)
                    .unwrap(),
                ),
                Arc::new(
                    FixedSizeBinaryArray::try_from_sparse_iter_with_size(
                        vec![Some(ip), None].into_iter(),
                        16,
                    )
                    .unwrap(),
                ),
            ],
        )
        .unwrap();
        let types = vec![Some(DorisType::LargeInt), Some(DorisType::Ipv6)];
        let mut e = Encoder::new(LoadFormat::Arrow, b.schema(), &types).unwrap();
        e.write(&b).unwrap();
        e.finish().unwrap();
        let mut out = Vec::new();
        e.take(&mut out);
        let got = arrow_ipc::reader::StreamReader::try_new(&out[..], None)
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        let big = got.column(0).as_string::<i32>();
        assert_eq!(big.value(0), "-170141183460469231731687303715884105728");
        assert!(big.is_null(1));
        assert_eq!(got.column(1).as_string::<i32>().value(0), "::1");
    }
}
