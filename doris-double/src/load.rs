//! One stream load's body → table rows: the load options read from the request headers
//! (format, `columns`, `hidden_columns`, CSV and JSON options, `strict_mode`, `merge_type`,
//! `function_column.sequence_col`, `max_filter_ratio`), the three readers (Arrow IPC stream,
//! JSON, CSV) pulling from the body as a stream, and the per-row step that maps source slots
//! to table columns, converts, applies defaults and NOT NULL, and records filtered rows in
//! Doris's error-log form.

use std::io::{BufRead, BufReader, Read};

use arrow_ipc::reader::StreamReader;
use routinely_schemas::display::Datum;
use routinely_schemas::table::{DefaultValue, KeysType};
use routinely_schemas::{TableSchema, TimeZone, VersionRules};
use serde_json::value::RawValue;

use crate::http::Request;
use crate::value::{ConvCtx, ConvError, from_arrow, from_text};

/// The hidden delete-sign column of UNIQUE KEY tables.
pub const DELETE_SIGN: &str = "__DORIS_DELETE_SIGN__";

/// Error-log lines kept per load (Doris keeps the first 50).
pub const MAX_ERROR_LINES: usize = 50;

/// Body formats the double reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `csv` (`skip` = header lines of `csv_with_names[_and_types]`).
    Csv {
        /// Lines skipped before data.
        skip: usize,
    },
    /// `json`.
    Json,
    /// `arrow` (Arrow IPC stream).
    Arrow,
}

/// `merge_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeType {
    /// Rows are upserts (the default).
    Append,
    /// Every row is a delete.
    Delete,
}

/// Options of one load, from its headers.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Body format.
    pub format: Format,
    /// Source slot names (the `columns` header, else the table's columns, then
    /// `hidden_columns`).
    pub slots: Vec<String>,
    /// CSV field separator.
    pub column_separator: Vec<u8>,
    /// CSV row delimiter.
    pub line_delimiter: Vec<u8>,
    /// CSV enclose byte.
    pub enclose: Option<u8>,
    /// CSV escape byte.
    pub escape: Option<u8>,
    /// CSV `trim_double_quotes`.
    pub trim_double_quotes: bool,
    /// CSV `skip_lines`.
    pub skip_lines: usize,
    /// JSON `strip_outer_array`.
    pub strip_outer_array: bool,
    /// JSON `read_json_by_line` (also the default when neither JSON option is given).
    pub read_json_by_line: bool,
    /// `strict_mode`.
    pub strict: bool,
    /// `max_filter_ratio`.
    pub max_filter_ratio: f64,
    /// `merge_type`.
    pub merge_type: MergeType,
    /// Index of the sequence column in the table, if any.
    pub sequence_col: Option<usize>,
    /// `timezone` (default Asia/Shanghai, as the FE's default).
    pub tz: TimeZone,
    /// Accept Utf8 JSON text for JSON columns in Arrow bodies (not what Doris does).
    pub arrow_json_text: bool,
}

/// Decodes `\xNN` sequences (Doris's hex separators); other text as is.
pub fn decode_separator(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    if b.len() >= 4
        && b.len().is_multiple_of(4)
        && b.chunks(4)
            .all(|c| c[0] == b'\\' && (c[1] == b'x' || c[1] == b'X'))
    {
        let hex: Option<Vec<u8>> = b
            .chunks(4)
            .map(|c| {
                std::str::from_utf8(&c[2..4])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect();
        if let Some(h) = hex {
            return h;
        }
    }
    match s {
        "\\t" => b"\t".to_vec(),
        "\\n" => b"\n".to_vec(),
        _ => b.to_vec(),
    }
}

fn bool_header(req: &Request, name: &str) -> bool {
    req.header(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Splits a `columns` / `hidden_columns` header into names (backquotes removed).
pub fn split_names(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().trim_matches('`').trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Reads the load options of `req` for `table`. `Err` is the response Message.
pub fn parse_options(
    req: &Request,
    table: &TableSchema,
    arrow_json_text: bool,
) -> Result<LoadOptions, String> {
    let format = match req
        .header("format")
        .unwrap_or("csv")
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "csv" => Format::Csv { skip: 0 },
        "csv_with_names" => Format::Csv { skip: 1 },
        "csv_with_names_and_types" => Format::Csv { skip: 2 },
        "json" => Format::Json,
        "arrow" => Format::Arrow,
        _ => {
            return Err(format!(
                "[INTERNAL_ERROR]unknown data format, format={}",
                req.header("format").unwrap_or("")
            ));
        }
    };
    let strict = match req.header("strict_mode") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => {
            return Err("[INVALID_ARGUMENT]Invalid strict mode format. Must be bool type".into());
        }
    };
    let merge_type = match req
        .header("merge_type")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("") | Some("APPEND") => MergeType::Append,
        Some("DELETE") => MergeType::Delete,
        Some("MERGE") => {
            return Err(if req.header("delete").is_none() {
                "[INVALID_ARGUMENT]Excepted DELETE ON clause when merge type is MERGE.".into()
            } else {
                "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = merge_type MERGE with a \
                 delete condition is not supported by the Doris test double"
                    .into()
            });
        }
        Some(_) => {
            return Err(format!(
                "[INVALID_ARGUMENT]Invalid merge type {}",
                req.header("merge_type").unwrap_or("")
            ));
        }
    };
    if merge_type == MergeType::Delete && table.keys_type != KeysType::Unique {
        return Err(
            "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = load by MERGE or DELETE is only supported in unique tables."
                .into(),
        );
    }
    let unsupported = |what: &str| {
        format!(
            "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = {what} is not supported by the Doris test double"
        )
    };
    for h in ["where", "jsonpaths", "json_root", "delete", "compress_type"] {
        if req.header(h).is_some_and(|v| !v.is_empty()) {
            return Err(unsupported(&format!("header `{h}`")));
        }
    }
    if bool_header(req, "partial_columns") {
        return Err(unsupported("partial_columns"));
    }
    // `hidden_columns` only applies without a `columns` header (FE `Load.initColumns`), and
    // only names hidden columns (the delete sign here); others are ignored.
    let slots = match req.header("columns").filter(|v| !v.trim().is_empty()) {
        Some(v) => {
            let names = split_names(v);
            if let Some(expr) = names.iter().find(|n| n.contains('=')) {
                return Err(unsupported(&format!("column mapping `{expr}`")));
            }
            names
        }
        None => {
            let mut names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
            if let Some(h) = req.header("hidden_columns")
                && table.keys_type == KeysType::Unique
            {
                names.extend(
                    split_names(h)
                        .into_iter()
                        .filter(|n| n.eq_ignore_ascii_case(DELETE_SIGN)),
                );
            }
            names
        }
    };
    if slots.iter().any(|s| s.eq_ignore_ascii_case(DELETE_SIGN))
        && table.keys_type != KeysType::Unique
    {
        return Err(format!(
            "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = Unknown column '{DELETE_SIGN}' in '{}'",
            table.name
        ));
    }
    let header_seq = req
        .header("function_column.sequence_col")
        .filter(|v| !v.is_empty())
        .map(|v| v.trim_matches('`').to_string());
    let table_has_seq = table.sequence_column().is_some()
        || table.property("function_column.sequence_type").is_some();
    if header_seq.is_some() && !table_has_seq {
        return Err(format!(
            "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = There is no sequence column in the table {}",
            table.name
        ));
    }
    let seq_name = header_seq.or_else(|| table.sequence_column().map(str::to_string));
    let sequence_col = match seq_name {
        None => None,
        Some(n) => Some(table.column_index(&n).ok_or_else(|| {
            format!(
                "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = Unknown column '{n}' in '{}'",
                table.name
            )
        })?),
    };
    let max_filter_ratio = match req.header("max_filter_ratio") {
        None => 0.0,
        Some(v) => v
            .parse::<f64>()
            .ok()
            .filter(|r| (0.0..=1.0).contains(r))
            .ok_or_else(|| format!("[INVALID_ARGUMENT]Invalid max_filter_ratio: {v}"))?,
    };
    let tz = match req.header("timezone").or(req.header("time_zone")) {
        None => TimeZone::parse_property("Asia/Shanghai")
            .map(|(z, _)| z)
            .unwrap_or(TimeZone::UTC),
        Some(v) => TimeZone::parse_property(v)
            .map(|(z, _)| z)
            .map_err(|e| format!("[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = {e}"))?,
    };
    let strip_outer_array = bool_header(req, "strip_outer_array");
    let read_json_by_line = match req.header("read_json_by_line") {
        Some(v) => v.eq_ignore_ascii_case("true"),
        None => !strip_outer_array,
    };
    let single = |name: &str| -> Result<Option<u8>, String> {
        match req.header(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => {
                let d = decode_separator(v);
                if d.len() == 1 {
                    Ok(Some(d[0]))
                } else {
                    Err(format!(
                        "[INVALID_ARGUMENT]{name} must be a single character: {v}"
                    ))
                }
            }
        }
    };
    Ok(LoadOptions {
        format,
        slots,
        column_separator: req
            .header("column_separator")
            .filter(|v| !v.is_empty())
            .map(decode_separator)
            .unwrap_or_else(|| b"\t".to_vec()),
        line_delimiter: req
            .header("line_delimiter")
            .filter(|v| !v.is_empty())
            .map(decode_separator)
            .unwrap_or_else(|| b"\n".to_vec()),
        enclose: single("enclose")?,
        escape: single("escape")?,
        trim_double_quotes: bool_header(req, "trim_double_quotes"),
        skip_lines: req
            .header("skip_lines")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        strip_outer_array,
        read_json_by_line,
        strict,
        max_filter_ratio,
        merge_type,
        sequence_col,
        tz,
        arrow_json_text,
    })
}

/// A value from the body for one source slot.
#[derive(Debug, Clone)]
enum Src {
    /// Text to convert (CSV fields, JSON scalars, compact JSON of containers).
    Text(Vec<u8>),
    /// A typed value (Arrow).
    Value(Datum),
    /// NULL in the source.
    Null,
}

/// One row ready to store: a value per table column, and whether it deletes its key.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadRow {
    /// Values in table column order.
    pub values: Vec<Datum>,
    /// The delete sign.
    pub delete: bool,
}

/// What a body produced.
#[derive(Debug, Default)]
pub struct Decoded {
    /// Rows that reach the table.
    pub rows: Vec<LoadRow>,
    /// Rows read.
    pub total: u64,
    /// Rows filtered.
    pub filtered: u64,
    /// Error-log lines (the first [`MAX_ERROR_LINES`]).
    pub errors: Vec<String>,
}

/// Why a body could not be loaded at all.
#[derive(Debug)]
pub enum BodyError {
    /// The connection broke before the whole body arrived.
    Disconnected(std::io::Error),
    /// The body is unreadable as the format; the response Message.
    Failed(String),
}

/// Maps source slots to table columns and converts rows.
struct RowBuilder<'a> {
    table: &'a TableSchema,
    opts: &'a LoadOptions,
    ctx: ConvCtx,
    /// For each table column, the slot feeding it.
    col_slot: Vec<Option<usize>>,
    /// The slot of the delete sign.
    delete_slot: Option<usize>,
    out: Decoded,
}

impl<'a> RowBuilder<'a> {
    fn new(table: &'a TableSchema, opts: &'a LoadOptions, rules: VersionRules) -> Self {
        let col_slot = table
            .columns
            .iter()
            .map(|c| {
                opts.slots
                    .iter()
                    .position(|s| s.eq_ignore_ascii_case(&c.name))
            })
            .collect();
        RowBuilder {
            table,
            opts,
            ctx: ConvCtx {
                strict: opts.strict,
                tz: opts.tz,
                rules,
            },
            col_slot,
            delete_slot: opts
                .slots
                .iter()
                .position(|s| s.eq_ignore_ascii_case(DELETE_SIGN)),
            out: Decoded::default(),
        }
    }

    fn filter(&mut self, reason: String, line: &str) {
        self.out.total += 1;
        self.out.filtered += 1;
        if self.out.errors.len() < MAX_ERROR_LINES {
            self.out
                .errors
                .push(format!("Reason: {reason}. src line [{line}]; "));
        }
    }

    /// Converts one source row (a value per slot; `None` = slot absent from the body).
    fn push(&mut self, src: Vec<Option<Src>>, line: &str) {
        let mut values = Vec::with_capacity(self.table.columns.len());
        for (ci, col) in self.table.columns.iter().enumerate() {
            let slot = self.col_slot[ci].and_then(|s| src.get(s).cloned().flatten());
            let v = match slot {
                None => match &col.default {
                    Some(DefaultValue::Literal(t)) => {
                        from_text(t.as_bytes(), &col.ty, &self.ctx).unwrap_or(Datum::Null)
                    }
                    _ => Datum::Null,
                },
                Some(Src::Null) => Datum::Null,
                Some(Src::Value(d)) => match d {
                    Datum::Str(ref b) => match from_text(b, &col.ty, &self.ctx) {
                        Ok(v) => v,
                        Err(ConvError::TooLong(limit)) => {
                            return self.filter(
                                routinely_schemas::convert::string::too_long_message(
                                    &col.name, b, limit,
                                ),
                                line,
                            );
                        }
                        Err(ConvError::Invalid) => Datum::Null,
                    },
                    d => d,
                },
                Some(Src::Text(t)) => match from_text(&t, &col.ty, &self.ctx) {
                    Ok(v) => v,
                    Err(ConvError::TooLong(limit)) => {
                        return self.filter(
                            routinely_schemas::convert::string::too_long_message(
                                &col.name, &t, limit,
                            ),
                            line,
                        );
                    }
                    Err(ConvError::Invalid) if self.opts.strict => {
                        return self.filter(
                            routinely_schemas::convert::strict_message(&col.name, &t),
                            line,
                        );
                    }
                    Err(ConvError::Invalid) => Datum::Null,
                },
            };
            if matches!(v, Datum::Null) && !col.nullable {
                return self.filter(
                    routinely_schemas::convert::not_null_message(&col.name),
                    line,
                );
            }
            values.push(v);
        }
        let delete = self.opts.merge_type == MergeType::Delete
            || match self.delete_slot.and_then(|s| src.get(s).cloned().flatten()) {
                Some(Src::Text(t)) => {
                    routinely_schemas::convert::parse_int(&t, -128, 127, false, &self.ctx.rules)
                        .is_some_and(|v| v != 0)
                }
                Some(Src::Value(Datum::Int(v))) => v != 0,
                Some(Src::Value(Datum::Bool(b))) => b,
                _ => false,
            };
        self.out.total += 1;
        self.out.rows.push(LoadRow { values, delete });
    }
}

/// Reads a whole body of `opts.format` for `table`.
pub fn decode(
    body: impl Read,
    table: &TableSchema,
    opts: &LoadOptions,
    rules: VersionRules,
) -> Result<Decoded, BodyError> {
    let mut b = RowBuilder::new(table, opts, rules);
    let mut r = BufReader::with_capacity(64 * 1024, body);
    match opts.format {
        Format::Arrow => read_arrow(&mut r, &mut b)?,
        Format::Json => read_json(&mut r, &mut b)?,
        Format::Csv { skip } => read_csv(&mut r, &mut b, skip + opts.skip_lines)?,
    }
    Ok(b.out)
}

fn io_err(e: std::io::Error) -> BodyError {
    BodyError::Disconnected(e)
}

/// Arrow IPC streams, one after another until the body ends; fields matched by name to the
/// source slots (2.1 / 3.0 behaviour).
fn read_arrow(r: &mut BufReader<impl Read>, b: &mut RowBuilder<'_>) -> Result<(), BodyError> {
    let fail = |m: String| BodyError::Failed(format!("[INTERNAL_ERROR]{m}"));
    loop {
        if r.fill_buf().map_err(io_err)?.is_empty() {
            return Ok(());
        }
        let reader = StreamReader::try_new(&mut *r, None).map_err(|e| match e {
            arrow_schema::ArrowError::IoError(_, io) => BodyError::Disconnected(io),
            e => fail(format!("failed to open stream reader: {e}")),
        })?;
        let schema = reader.schema();
        // Field → (slot, table column) resolution.
        let mut targets = Vec::with_capacity(schema.fields().len());
        for f in schema.fields() {
            let Some(slot) = b.opts.slots.iter().position(|s| s == f.name()) else {
                return Err(fail(format!(
                    "Failed to convert from arrow to block: Not found column {} in block",
                    f.name()
                )));
            };
            let col = b.table.column_index(f.name());
            targets.push((slot, col));
        }
        for batch in reader {
            let batch = batch.map_err(|e| match e {
                arrow_schema::ArrowError::IoError(_, io) => BodyError::Disconnected(io),
                e => fail(format!("failed to read batch: {e}")),
            })?;
            for row in 0..batch.num_rows() {
                let mut src: Vec<Option<Src>> = vec![None; b.opts.slots.len()];
                for (i, &(slot, col)) in targets.iter().enumerate() {
                    let array = batch.column(i);
                    let v =
                        match col {
                            Some(ci) => {
                                let ty = &b.table.columns[ci].ty;
                                from_arrow(array, row, ty, b.opts.arrow_json_text).map_err(|m| {
                                    fail(format!("Failed to convert from arrow to block: {m}"))
                                })?
                            }
                            // The delete sign and unmapped slots: read as integers or text.
                            None => from_arrow(
                                array,
                                row,
                                &routinely_schemas::DorisType::TinyInt,
                                false,
                            )
                            .or_else(|_| {
                                from_arrow(array, row, &routinely_schemas::DorisType::String, false)
                            })
                            .unwrap_or(Datum::Null),
                        };
                    src[slot] = Some(match v {
                        Datum::Null => Src::Null,
                        Datum::Str(s) => Src::Value(Datum::Str(s)),
                        d => Src::Value(d),
                    });
                }
                let line = arrow_line(&src);
                b.push(src, &line);
            }
        }
    }
}

fn arrow_line(src: &[Option<Src>]) -> String {
    src.iter()
        .map(|s| match s {
            Some(Src::Value(d)) => d.to_mysql().unwrap_or_else(|| "NULL".into()),
            Some(Src::Text(t)) => String::from_utf8_lossy(t).into_owned(),
            _ => "NULL".into(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// JSON value → the text Doris hands the converter (spec §5.4).
fn json_src(raw: &RawValue) -> Src {
    let t = raw.get().trim();
    match t.as_bytes().first() {
        Some(b'"') => match serde_json::from_str::<String>(t) {
            Ok(s) => Src::Text(s.into_bytes()),
            Err(_) => Src::Text(t.as_bytes().to_vec()),
        },
        Some(b'n') => Src::Null,
        Some(b't') => Src::Text(b"1".to_vec()),
        Some(b'f') => Src::Text(b"0".to_vec()),
        Some(b'{') | Some(b'[') => {
            let mut out = Vec::new();
            if routinely_schemas::convert::json::write_json(
                t.as_bytes(),
                routinely_schemas::convert::json::JsonOutput::Compact,
                &mut out,
            ) {
                Src::Text(out)
            } else {
                Src::Text(t.as_bytes().to_vec())
            }
        }
        _ => Src::Text(t.as_bytes().to_vec()),
    }
}

fn json_object(b: &mut RowBuilder<'_>, raw: &RawValue) {
    let text = raw.get();
    // Members in document order; a duplicated key: the first occurrence wins.
    let entries = match serde_json::from_str::<OrderedObject>(text) {
        Ok(o) => o.0,
        Err(_) => return b.filter("Expect json object value".into(), text),
    };
    let mut src: Vec<Option<Src>> = vec![None; b.opts.slots.len()];
    let mut any = false;
    for (k, v) in &entries {
        if let Some(slot) = b.opts.slots.iter().position(|s| s == k)
            && src[slot].is_none()
        {
            src[slot] = Some(json_src(v));
            any = true;
        }
    }
    if !any {
        return b.filter("All fields is null, this is a invalid row.".into(), text);
    }
    b.push(src, text);
}

/// A JSON object's members in document order.
struct OrderedObject(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for OrderedObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OrderedObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<OrderedObject, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Box<RawValue>>()? {
                    out.push((k, v));
                }
                Ok(OrderedObject(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// One JSON document (a line, or the whole body).
fn json_document(b: &mut RowBuilder<'_>, text: &str) {
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return;
    }
    let raw: Box<RawValue> = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            return b.filter(
                format!("Parse json data for JsonDoc failed. code: 1, error info: {e}"),
                text,
            );
        }
    };
    match text.as_bytes()[0] {
        b'[' if b.opts.strip_outer_array => {
            let items: Vec<Box<RawValue>> = match serde_json::from_str(raw.get()) {
                Ok(v) => v,
                Err(e) => {
                    return b.filter(format!("Parse json data for JsonDoc failed. {e}"), text);
                }
            };
            if items.is_empty() {
                return b.filter("Empty json line".into(), text);
            }
            for item in &items {
                if item.get().trim_start().starts_with('{') {
                    json_object(b, item);
                } else {
                    b.filter("Expect json object value".into(), item.get());
                }
            }
        }
        b'[' => b.filter(
            "JSON data is array-object, `strip_outer_array` must be TRUE.".into(),
            text,
        ),
        b'{' if b.opts.strip_outer_array => b.filter(
            "JSON data is not an array-object, `strip_outer_array` must be FALSE.".into(),
            text,
        ),
        b'{' => json_object(b, &raw),
        _ => b.filter("Not an json object or json array".into(), text),
    }
}

fn read_json(r: &mut BufReader<impl Read>, b: &mut RowBuilder<'_>) -> Result<(), BodyError> {
    if b.opts.read_json_by_line {
        let mut line = Vec::new();
        loop {
            line.clear();
            if r.read_until(b'\n', &mut line).map_err(io_err)? == 0 {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&line);
            json_document(b, &text);
        }
    }
    let mut all = Vec::new();
    r.read_to_end(&mut all).map_err(io_err)?;
    json_document(b, &String::from_utf8_lossy(&all));
    Ok(())
}

/// Reads one CSV record: fields split on the separator outside enclosed sections, up to the
/// line delimiter (also outside enclosed sections). `None` at the end of the body.
fn csv_record(
    r: &mut BufReader<impl Read>,
    opts: &LoadOptions,
    raw: &mut Vec<u8>,
) -> Result<Option<Vec<(Vec<u8>, bool)>>, BodyError> {
    raw.clear();
    let delim = &opts.line_delimiter;
    let sep = &opts.column_separator;
    let mut fields: Vec<(Vec<u8>, bool)> = Vec::new();
    let mut cur = Vec::new();
    let mut enclosed = false;
    let mut was_enclosed = false;
    let mut at_field_start = true;
    loop {
        let buf = r.fill_buf().map_err(io_err)?;
        if buf.is_empty() {
            if raw.is_empty() {
                return Ok(None);
            }
            fields.push((cur, was_enclosed));
            return Ok(Some(fields));
        }
        let byte = buf[0];
        r.consume(1);
        raw.push(byte);
        if enclosed {
            if Some(byte) == opts.escape {
                // The next byte is literal.
                let next = r.fill_buf().map_err(io_err)?.first().copied();
                if let Some(n) = next {
                    r.consume(1);
                    raw.push(n);
                    cur.push(n);
                }
                continue;
            }
            if Some(byte) == opts.enclose {
                enclosed = false;
                continue;
            }
            cur.push(byte);
            continue;
        }
        if at_field_start && Some(byte) == opts.enclose {
            enclosed = true;
            was_enclosed = true;
            at_field_start = false;
            continue;
        }
        at_field_start = false;
        cur.push(byte);
        if cur.ends_with(delim) && !delim.is_empty() {
            cur.truncate(cur.len() - delim.len());
            fields.push((std::mem::take(&mut cur), was_enclosed));
            raw.truncate(raw.len() - delim.len());
            return Ok(Some(fields));
        }
        if cur.ends_with(sep) && !sep.is_empty() {
            cur.truncate(cur.len() - sep.len());
            fields.push((std::mem::take(&mut cur), was_enclosed));
            was_enclosed = false;
            at_field_start = true;
        }
    }
}

fn read_csv(
    r: &mut BufReader<impl Read>,
    b: &mut RowBuilder<'_>,
    skip: usize,
) -> Result<(), BodyError> {
    let mut raw = Vec::new();
    let mut skipped = 0;
    let opts = b.opts;
    while let Some(fields) = csv_record(r, opts, &mut raw)? {
        if skipped < skip {
            skipped += 1;
            continue;
        }
        let line = String::from_utf8_lossy(&raw).into_owned();
        // A trailing `\r` before a `\n` delimiter is part of the last field in Doris too; an
        // empty line is skipped.
        if raw.is_empty() {
            continue;
        }
        let n = opts.slots.len();
        if fields.len() != n {
            let which = if fields.len() < n { "less" } else { "more" };
            b.filter(
                format!(
                    "actual column number in csv file is {which} than schema column number.actual number: {}, column separator: [{}], line delimiter: [{}], schema column number: {n}",
                    fields.len(),
                    String::from_utf8_lossy(&opts.column_separator),
                    String::from_utf8_lossy(&opts.line_delimiter)
                ),
                &line,
            );
            continue;
        }
        let src = fields
            .into_iter()
            .map(|(mut f, enclosed)| {
                if !enclosed && f == b"\\N" {
                    return Some(Src::Null);
                }
                if opts.trim_double_quotes && f.len() >= 2 && f[0] == b'"' && f[f.len() - 1] == b'"'
                {
                    f = f[1..f.len() - 1].to_vec();
                }
                Some(Src::Text(f))
            })
            .collect();
        b.push(src, &line);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators() {
        assert_eq!(decode_separator("\\x01"), vec![1]);
        assert_eq!(decode_separator("\\x01\\x02"), vec![1, 2]);
        assert_eq!(decode_separator(","), b",".to_vec());
        assert_eq!(decode_separator("||"), b"||".to_vec());
        assert_eq!(
            split_names(" `a`, b ,`__DORIS_DELETE_SIGN__`"),
            vec!["a", "b", DELETE_SIGN]
        );
    }
}
