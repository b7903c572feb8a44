//! [`RowPath`]: the row path's driver, and the assembler that turns one row of source slots
//! into destination values in Doris's order:
//!
//! 1. PRECEDING FILTER on the raw slots (not TRUE → unselected);
//! 2. each column: its slot converted with the column's rule, its mapping evaluated and cast,
//!    or its DEFAULT;
//! 3. strict mode and NOT NULL, column by column (`column(x) value is incorrect while strict
//!    mode is true, src value is ...`, `column(x) values is null while columns is not
//!    nullable`);
//! 4. WHERE on the final values (not TRUE → unselected);
//! 5. the sink's checks: string byte lengths (filtered, or truncated in 4.x non-strict);
//! 6. the delete sign for MERGE / DELETE jobs; then the row is appended.

use std::sync::Arc;

use arrow_array::builder::Int8Builder;
use arrow_array::{ArrayRef, RecordBatch};

use routinely_schemas::DorisType;
use routinely_schemas::convert::datetime::{MICROS_PER_SEC, write_date, write_datetime};
use routinely_schemas::convert::json::JsonScratch;
use routinely_schemas::convert::string::too_long_message;
use routinely_schemas::convert::{self, StringFit, fit_string};
use routinely_schemas::display::Datum;
use routinely_schemas::expr::{EvalEnv, EvalScratch, ExprInput, Value, ValueRef};
use routinely_schemas::job::{DataFormat, MergeType};

use super::columns::{Buf, Bufs, Builder, Cell, ConvCtx, Converter, Slot, Span};
use super::csv::CsvReader;
use super::json::{JsonReader, RowSink};
use super::plan::{DestSource, LoadPlan, SlotDefault};
use super::{MAX_SRC_LINE, Message, RejectedRow, RowBatch, RowCounts, truncate_utf8};

/// Rows per output Arrow batch unless set with [`RowPath::set_chunk_rows`] (Arrow readers'
/// usual batch size; it also keeps every builder allocation small enough to be reused).
pub const DEFAULT_CHUNK_ROWS: usize = 8192;

/// Turns messages into Arrow batches for one job, batch after batch, reusing every buffer.
pub struct RowPath {
    plan: Arc<LoadPlan>,
    json: Option<JsonReader>,
    csv: Option<CsvReader>,
    asm: Assembler,
    in_batch: bool,
}

/// Everything the row assembler owns.
struct Assembler {
    env: EvalEnv,
    builders: Vec<Builder>,
    delete_sign: Option<Int8Builder>,
    rejected: Vec<RejectedRow>,
    counts: RowCounts,
    partition: i32,
    offset: i64,
    /// Row arena: conversion outputs.
    row: Vec<u8>,
    cells: Vec<Cell>,
    /// Per destination: whether a Direct source was NULL (strict mode skips it).
    src_null: Vec<bool>,
    nested: Vec<Datum>,
    json: JsonScratch,
    /// Expression inputs past the slots: converted columns, mapping results, final values.
    values: Vec<Value>,
    /// Byte buffers of `values` entries that hold non-string values just now.
    spares: Vec<Vec<u8>>,
    mapping_scratch: Vec<EvalScratch>,
    preceding_scratch: Option<EvalScratch>,
    where_scratch: Option<EvalScratch>,
    delete_scratch: Option<EvalScratch>,
    pred: Value,
    /// A mapping result cast to its column's type.
    cast_out: Value,
    /// DEFAULT texts of this batch (CURRENT_TIMESTAMP is the batch's time).
    default_text: Vec<Option<Vec<u8>>>,
    /// Loaded rows in the builders now.
    chunk_len: usize,
    /// Rows per output Arrow batch.
    chunk_rows: usize,
    /// Finished Arrow batches of the current batch.
    chunks: Vec<RecordBatch>,
    /// String bytes per row per column, learned from finished chunks.
    bytes_per_row: Vec<usize>,
    schema: arrow_schema::SchemaRef,
    types: Vec<DorisType>,
    merge: bool,
    /// Whether some column is filled by a mapping.
    any_mapped: bool,
    /// Columns with a string length rule, with their limits (see [`fit_string`]).
    string_dests: Vec<usize>,
}

impl RowPath {
    /// A row path for `plan`.
    pub fn new(plan: Arc<LoadPlan>) -> RowPath {
        let json = (plan.format == DataFormat::Json).then(|| JsonReader::new(&plan));
        let csv = (plan.format == DataFormat::Csv).then(|| CsvReader::new(&plan));
        let layout = plan.layout();
        let asm = Assembler {
            env: EvalEnv {
                now_utc_micros: 0,
                time_zone: plan.tz,
                rules: plan.rules,
            },
            builders: Vec::new(),
            delete_sign: None,
            rejected: Vec::new(),
            counts: RowCounts::default(),
            partition: 0,
            offset: 0,
            row: Vec::new(),
            cells: Vec::with_capacity(plan.dests.len()),
            src_null: Vec::with_capacity(plan.dests.len()),
            nested: Vec::new(),
            json: JsonScratch::default(),
            values: (0..layout.total() - layout.slots)
                .map(|_| Value::Null)
                .collect(),
            spares: (0..layout.total() - layout.slots)
                .map(|_| Vec::new())
                .collect(),
            mapping_scratch: plan.mappings.iter().map(|m| m.expr.new_scratch()).collect(),
            preceding_scratch: plan.preceding.as_ref().map(|e| e.new_scratch()),
            where_scratch: plan.where_.as_ref().map(|e| e.new_scratch()),
            delete_scratch: plan.delete_on.as_ref().map(|e| e.new_scratch()),
            pred: Value::Null,
            cast_out: Value::Null,
            default_text: Vec::new(),
            chunk_len: 0,
            chunk_rows: DEFAULT_CHUNK_ROWS,
            chunks: Vec::new(),
            bytes_per_row: vec![32; plan.dests.len()],
            schema: plan.output_schema(),
            types: plan.dests.iter().map(|d| d.ty.clone()).collect(),
            merge: plan.merge_type != MergeType::Append,
            any_mapped: plan
                .dests
                .iter()
                .any(|d| matches!(d.source, DestSource::Mapped(_))),
            string_dests: plan
                .dests
                .iter()
                .enumerate()
                .filter(|(_, d)| matches!(d.converter, Converter::String(_)))
                .map(|(i, _)| i)
                .collect(),
        };
        RowPath {
            plan,
            json,
            csv,
            asm,
            in_batch: false,
        }
    }

    /// The plan this path runs.
    pub fn plan(&self) -> &LoadPlan {
        &self.plan
    }

    /// Rows per output Arrow batch.
    pub fn chunk_rows(&self) -> usize {
        self.asm.chunk_rows
    }

    /// Sets the rows per output Arrow batch (at least 1), from the next batch on.
    pub fn set_chunk_rows(&mut self, rows: usize) {
        self.asm.chunk_rows = rows.max(1);
    }

    /// Starts a batch. `now_utc_micros` is the batch's current time: Doris evaluates `now()`
    /// and `DEFAULT CURRENT_TIMESTAMP` once per task.
    pub fn begin_batch(&mut self, now_utc_micros: i64) {
        let plan = &*self.plan;
        let asm = &mut self.asm;
        asm.env.now_utc_micros = now_utc_micros;
        asm.new_builders();
        asm.chunks.clear();
        asm.rejected.clear();
        asm.counts = RowCounts::default();
        asm.default_text = plan
            .dests
            .iter()
            .map(|d| match &d.source {
                DestSource::Default(def) => {
                    let mut out = Vec::new();
                    asm.default_text_into(def, &mut out).then_some(out)
                }
                _ => None,
            })
            .collect();
        if let Some(csv) = &mut self.csv {
            csv.begin_batch();
        }
        self.in_batch = true;
    }

    /// Pushes one message. Empty messages are counted (Doris's consumer counts them toward
    /// nothing but the offset) and produce no row.
    pub fn push(&mut self, msg: Message<'_>) {
        if !self.in_batch {
            self.begin_batch(now_micros());
        }
        self.asm.counts.messages += 1;
        self.asm.counts.bytes += msg.value.len() as u64;
        if msg.value.is_empty() {
            return;
        }
        self.asm.partition = msg.partition;
        self.asm.offset = msg.offset;
        let plan = &*self.plan;
        if let Some(json) = &mut self.json {
            json.read(plan, msg.value, &mut self.asm);
        } else if let Some(csv) = &mut self.csv {
            csv.read(plan, msg.value, &mut self.asm);
        }
    }

    /// The Arrow batches cut so far in the open batch (each holds [`RowPath::chunk_rows`]
    /// rows), so a caller can pass them on before the batch ends.
    pub fn take_chunks(&mut self) -> Vec<RecordBatch> {
        std::mem::take(&mut self.asm.chunks)
    }

    /// The rows filtered so far in the open batch.
    pub fn take_rejected(&mut self) -> Vec<RejectedRow> {
        std::mem::take(&mut self.asm.rejected)
    }

    /// Ends the batch and returns its rows, rejected rows and counts.
    pub fn finish(&mut self) -> RowBatch {
        if !self.in_batch {
            self.begin_batch(now_micros());
        }
        let plan = &*self.plan;
        if let Some(csv) = &mut self.csv {
            csv.finish(plan, &mut self.asm);
        }
        self.in_batch = false;
        let asm = &mut self.asm;
        if asm.chunk_len > 0 || asm.chunks.is_empty() {
            asm.flush_chunk(false);
        }
        RowBatch {
            batches: std::mem::take(&mut asm.chunks),
            rejected: std::mem::take(&mut asm.rejected),
            counts: asm.counts,
        }
    }
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Expression input for one row: slots, then `values`.
struct RowInput<'a> {
    slots: &'a [Slot],
    bufs: &'a Bufs<'a>,
    values: &'a [Value],
}

impl ExprInput for RowInput<'_> {
    fn slot(&self, index: usize) -> ValueRef<'_> {
        if index < self.slots.len() {
            return match self.slots[index] {
                Slot::Null => ValueRef::Null,
                Slot::Text(span) | Slot::Json { span, .. } => ValueRef::Text(self.bufs.get(span)),
            };
        }
        match self.values.get(index - self.slots.len()) {
            Some(v) => ValueRef::Value(v),
            None => ValueRef::Null,
        }
    }
}

/// The text of a slot (empty for NULL). Always inlined: out of line it was 1.6% of the row
/// path, for a match and a slice.
#[inline(always)]
fn slot_text<'a>(slot: Slot, bufs: &Bufs<'a>) -> &'a [u8] {
    match slot {
        Slot::Null => b"",
        Slot::Text(span) | Slot::Json { span, .. } => bufs.get(span),
    }
}

/// Doris's `dump_one_line`: the source values joined by spaces, NULL as `NULL`.
fn dump_line(slots: &[Slot], bufs: &Bufs<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, s) in slots.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        match s {
            Slot::Null => out.extend_from_slice(b"NULL"),
            _ => out.extend_from_slice(slot_text(*s, bufs)),
        }
        if out.len() > MAX_SRC_LINE {
            break;
        }
    }
    out
}

impl Assembler {
    /// Fresh builders sized for a full chunk.
    fn new_builders(&mut self) {
        let rows = self.chunk_rows;
        self.builders = self
            .types
            .iter()
            .zip(&self.bytes_per_row)
            .map(|(ty, &per_row)| Builder::new(ty, rows, per_row * rows))
            .collect();
        self.delete_sign = self.merge.then(|| Int8Builder::with_capacity(rows));
        self.chunk_len = 0;
    }

    /// Finishes the builders into one Arrow batch; `more` prepares builders for more rows.
    fn flush_chunk(&mut self, more: bool) {
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.builders.len() + 1);
        let rows = self.chunk_len.max(1);
        for (i, b) in self.builders.iter_mut().enumerate() {
            if let Some(hint) = self.bytes_per_row.get_mut(i)
                && self.chunk_len >= 1024
            {
                // Learn string bytes per row (a little slack avoids a regrowth).
                *hint = (b.string_bytes() / rows + 8).min(1 << 20);
            }
            columns.push(b.finish());
        }
        if let Some(ds) = &mut self.delete_sign {
            columns.push(Arc::new(ds.finish()));
        }
        match RecordBatch::try_new(self.schema.clone(), columns) {
            Ok(batch) => self.chunks.push(batch),
            Err(e) => self.rejected.push(RejectedRow {
                partition: self.partition,
                offset: self.offset,
                reason: format!("internal error building an Arrow batch: {e}"),
                src_line: String::new(),
            }),
        }
        if more {
            self.new_builders();
        } else {
            self.chunk_len = 0;
        }
    }

    fn default_text_into(&self, def: &SlotDefault, out: &mut Vec<u8>) -> bool {
        match def {
            SlotDefault::Null => false,
            SlotDefault::Text(s) => {
                out.extend_from_slice(s.as_bytes());
                true
            }
            SlotDefault::CurrentTimestamp { precision } => {
                let utc = self.env.now_utc_micros;
                let secs = utc.div_euclid(MICROS_PER_SEC);
                let local = (secs + self.env.time_zone.offset_at_utc(secs) as i64) * MICROS_PER_SEC
                    + utc.rem_euclid(MICROS_PER_SEC);
                let mut s = String::new();
                write_datetime(local, *precision, &mut s);
                out.extend_from_slice(s.as_bytes());
                true
            }
            SlotDefault::CurrentDate => {
                let utc = self.env.now_utc_micros.div_euclid(MICROS_PER_SEC);
                let local = utc + self.env.time_zone.offset_at_utc(utc) as i64;
                let mut s = String::new();
                write_date(local.div_euclid(86_400) as i32, &mut s);
                out.extend_from_slice(s.as_bytes());
                true
            }
        }
    }

    fn reject_row(&mut self, reason: String, src: &[u8]) {
        self.counts.total += 1;
        self.counts.filtered += 1;
        self.rejected.push(RejectedRow {
            partition: self.partition,
            offset: self.offset,
            reason,
            src_line: truncate_utf8(src, MAX_SRC_LINE),
        });
    }

    fn unselect(&mut self) {
        self.counts.total += 1;
        self.counts.unselected += 1;
    }

    /// A converted cell as an expression value. A value's byte buffer is kept in `spare`
    /// while it holds a non-string value, so a warm row allocates nothing.
    fn cell_value(
        cell: Cell,
        ty: &DorisType,
        bufs: &Bufs<'_>,
        nested: &[Datum],
        out: &mut Value,
        spare: &mut Vec<u8>,
    ) {
        use std::io::Write as _;
        // Keep the larger of the value's buffer and the spare in the value...
        if let Value::Str(b) | Value::Json(b) = out
            && spare.capacity() > b.capacity()
        {
            std::mem::swap(b, spare);
        }
        // ...and park it in the spare before a non-string value overwrites it.
        if !matches!(
            cell,
            Cell::Bytes(_) | Cell::U32(_) | Cell::U128(_) | Cell::Nested(_)
        ) && let Value::Str(b) | Value::Json(b) = out
        {
            std::mem::swap(b, spare);
        }
        let mut take_buf = |out: &mut Value| -> Vec<u8> {
            let mut buf = match std::mem::take(out) {
                Value::Str(b) | Value::Json(b) => b,
                _ => std::mem::take(spare),
            };
            buf.clear();
            buf
        };
        let json = matches!(ty, DorisType::Json | DorisType::Variant);
        let wrap = |buf: Vec<u8>| {
            if json {
                Value::Json(buf)
            } else {
                Value::Str(buf)
            }
        };
        match cell {
            Cell::Null => *out = Value::Null,
            Cell::Bool(b) => *out = Value::Bool(b),
            Cell::Int(v) => *out = Value::Int(v),
            Cell::F32(v) => *out = Value::Float(v as f64),
            Cell::F64(v) => *out = Value::Float(v),
            Cell::Dec(v) => {
                *out = match ty {
                    DorisType::Decimal { scale, .. } => Value::Decimal {
                        unscaled: v,
                        scale: *scale,
                    },
                    _ => Value::Int(v),
                }
            }
            Cell::Date(d) => *out = Value::Date(d),
            Cell::DateTime(m) => {
                let precision = match ty {
                    DorisType::DateTime { precision } => *precision,
                    _ => 0,
                };
                *out = Value::DateTime {
                    micros: m,
                    precision,
                }
            }
            Cell::Bytes(span) => {
                let mut buf = take_buf(out);
                buf.extend_from_slice(bufs.get(span));
                *out = wrap(buf);
            }
            Cell::U32(v) => {
                let mut buf = take_buf(out);
                let _ = write!(buf, "{}", std::net::Ipv4Addr::from(v));
                *out = Value::Str(buf);
            }
            Cell::U128(v) => {
                let mut buf = take_buf(out);
                let _ = write!(buf, "{}", std::net::Ipv6Addr::from(v));
                *out = Value::Str(buf);
            }
            Cell::Nested(i) => {
                // Nested values are the slow path: their text is built per row.
                let mut buf = take_buf(out);
                buf.extend_from_slice(nested[i].to_mysql().unwrap_or_default().as_bytes());
                *out = Value::Str(buf);
            }
        }
    }

    /// A mapping result (already cast to the column type) as a cell.
    fn value_cell(
        v: &Value,
        conv: &Converter,
        ctx: &ConvCtx<'_>,
        row: &mut Vec<u8>,
        json: &mut JsonScratch,
        nested: &mut Vec<Datum>,
    ) -> Cell {
        match (v, conv) {
            (Value::Null, _) => Cell::Null,
            (Value::Bool(b), Converter::Bool) => Cell::Bool(*b),
            (Value::Int(i), Converter::Int { .. }) => Cell::Int(*i),
            (Value::Int(i), Converter::LargeInt) => Cell::Dec(*i),
            (Value::Float(f), Converter::Float) => Cell::F32(*f as f32),
            (Value::Float(f), Converter::Double) => Cell::F64(*f),
            (Value::Decimal { unscaled, .. }, Converter::Decimal { .. }) => Cell::Dec(*unscaled),
            (Value::Date(d), Converter::Date) => Cell::Date(*d),
            (Value::DateTime { micros, .. }, Converter::DateTime { .. }) => Cell::DateTime(*micros),
            (Value::Str(b) | Value::Json(b), Converter::String(_) | Converter::Json) => {
                let start = row.len();
                row.extend_from_slice(b);
                Cell::Bytes(Span::new(Buf::Row, start, b.len()))
            }
            (Value::Str(b) | Value::Json(b), _) => {
                // IPV4 / IPV6 / nested columns from text.
                let start = row.len();
                row.extend_from_slice(b);
                let span = Span::new(Buf::Row, start, b.len());
                conv.convert(b, Slot::Text(span), ctx, row, json, nested)
                    .unwrap_or(Cell::Null)
            }
            _ => Cell::Null,
        }
    }
}

impl RowSink for Assembler {
    fn default_text(&self, default: &SlotDefault, out: &mut Vec<u8>) -> bool {
        self.default_text_into(default, out)
    }

    fn reject(&mut self, reason: &str, src: &[u8]) {
        self.reject_row(reason.to_string(), src);
    }

    fn row(&mut self, plan: &LoadPlan, slots: &[Slot], reader_bufs: &Bufs<'_>) {
        let layout = plan.layout();
        // 1. PRECEDING FILTER.
        if let (Some(expr), Some(scratch)) = (&plan.preceding, &mut self.preceding_scratch) {
            let input = RowInput {
                slots,
                bufs: reader_bufs,
                values: &self.values,
            };
            expr.eval_into(&input, scratch, &self.env, &mut self.pred);
            if !matches!(self.pred, Value::Bool(true)) {
                self.unselect();
                return;
            }
        }

        // 2. Convert each column's source. `cells` and `src_null` keep one entry per
        // destination and are overwritten in place (pushing them row by row cost a sixth of
        // this function's samples).
        self.row.clear();
        self.nested.clear();
        let n = plan.dests.len();
        if self.cells.len() != n {
            self.cells.resize(n, Cell::Null);
            self.src_null.resize(n, false);
        }
        let ctx = ConvCtx {
            rules: &plan.rules,
            tz: &plan.tz,
            strict: plan.strict,
        };
        // Whether some cell is NULL so far (then strict mode and NOT NULL are checked).
        let mut any_null = false;
        for (di, ((dest, out), null_out)) in plan
            .dests
            .iter()
            .zip(self.cells.iter_mut())
            .zip(self.src_null.iter_mut())
            .enumerate()
        {
            *out = Cell::Null;
            match &dest.source {
                DestSource::Direct(s) => {
                    let slot = slots[*s];
                    *null_out = matches!(slot, Slot::Null);
                    if !matches!(slot, Slot::Null) {
                        let text = slot_text(slot, reader_bufs);
                        dest.converter.convert_into(
                            text,
                            slot,
                            &ctx,
                            &mut self.row,
                            &mut self.json,
                            &mut self.nested,
                            out,
                        );
                    }
                }
                DestSource::Mapped(_) => *null_out = false,
                DestSource::Default(_) => {
                    *null_out = true;
                    if let Some(text) = &self.default_text[di] {
                        let start = self.row.len();
                        self.row.extend_from_slice(text);
                        let span = Span::new(Buf::Row, start, text.len());
                        dest.converter.convert_into(
                            text,
                            Slot::Text(span),
                            &ctx,
                            &mut self.row,
                            &mut self.json,
                            &mut self.nested,
                            out,
                        );
                    }
                }
            }
            any_null |= matches!(out, Cell::Null);
        }

        // Mappings, in COLUMNS order, then their casts into columns.
        if !plan.mappings.is_empty() || plan.delete_on.is_some() {
            let bufs = Bufs {
                row: &self.row,
                ..*reader_bufs
            };
            for (c, needed) in plan.converted_needed.iter().enumerate() {
                if *needed {
                    Self::cell_value(
                        self.cells[c],
                        &plan.dests[c].ty,
                        &bufs,
                        &self.nested,
                        &mut self.values[c],
                        &mut self.spares[c],
                    );
                }
            }
            for (m, mapping) in plan.mappings.iter().enumerate() {
                let idx = layout.mapping(m) - layout.slots;
                let mut out = std::mem::take(&mut self.values[idx]);
                {
                    let input = RowInput {
                        slots,
                        bufs: &bufs,
                        values: &self.values,
                    };
                    mapping.expr.eval_into(
                        &input,
                        &mut self.mapping_scratch[m],
                        &self.env,
                        &mut out,
                    );
                }
                self.values[idx] = out;
                if let Some(err) = self.mapping_scratch[m].error_str() {
                    let reason = err.to_string();
                    let src = dump_line(slots, &bufs);
                    self.reject_row(reason, &src);
                    return;
                }
            }
        }
        let mapped = if self.any_mapped { plan.dests.len() } else { 0 };
        for (di, dest) in plan.dests.iter().enumerate().take(mapped) {
            if let DestSource::Mapped(m) = dest.source {
                let idx = layout.mapping(m) - layout.slots;
                routinely_schemas::expr::cast_value_from(
                    &self.values[idx],
                    plan.mappings[m].expr.result_type(),
                    &dest.ty,
                    &self.env,
                    &mut self.cast_out,
                );
                self.cells[di] = Self::value_cell(
                    &self.cast_out,
                    &dest.converter,
                    &ctx,
                    &mut self.row,
                    &mut self.json,
                    &mut self.nested,
                );
            }
        }

        // 3. Strict mode and NOT NULL (mapped cells were set after `any_null`).
        let checked = if any_null || self.any_mapped { n } else { 0 };
        for (di, dest) in plan.dests.iter().enumerate().take(checked) {
            if !matches!(self.cells[di], Cell::Null) {
                continue;
            }
            if let DestSource::Direct(s) = dest.source
                && plan.strict
                && !self.src_null[di]
            {
                let reason = convert::strict_message(&dest.name, slot_text(slots[s], reader_bufs));
                let src = dump_line(slots, reader_bufs);
                self.reject_row(reason, &src);
                return;
            }
            if !dest.nullable && !dest.auto_increment {
                let reason = convert::not_null_message(&dest.name);
                let src = dump_line(slots, reader_bufs);
                self.reject_row(reason, &src);
                return;
            }
        }

        // 4. WHERE on the final values.
        if let (Some(expr), Some(scratch)) = (&plan.where_, &mut self.where_scratch) {
            let bufs = Bufs {
                row: &self.row,
                ..*reader_bufs
            };
            for (c, dest) in plan.dests.iter().enumerate() {
                let idx = layout.final_value(c) - layout.slots;
                Self::cell_value(
                    self.cells[c],
                    &dest.ty,
                    &bufs,
                    &self.nested,
                    &mut self.values[idx],
                    &mut self.spares[idx],
                );
            }
            let input = RowInput {
                slots,
                bufs: &bufs,
                values: &self.values,
            };
            expr.eval_into(&input, scratch, &self.env, &mut self.pred);
            if !matches!(self.pred, Value::Bool(true)) {
                self.unselect();
                return;
            }
        }

        // 5. The sink's length checks.
        for &di in &self.string_dests {
            let dest = &plan.dests[di];
            if let (Cell::Bytes(span), Converter::String(ty)) = (self.cells[di], &dest.converter) {
                let bufs = Bufs {
                    row: &self.row,
                    ..*reader_bufs
                };
                let bytes = bufs.get(span);
                match fit_string(bytes, ty, plan.strict, &plan.rules) {
                    StringFit::Fits => {}
                    StringFit::Truncate(n) => {
                        self.cells[di] = Cell::Bytes(Span {
                            len: n as u32,
                            ..span
                        });
                    }
                    StringFit::TooLong { limit } => {
                        let reason = too_long_message(&dest.name, bytes, limit);
                        let src = dump_line(slots, reader_bufs);
                        self.reject_row(reason, &src);
                        return;
                    }
                }
            }
        }

        // 6. Delete sign, then append.
        let bufs = Bufs {
            row: &self.row,
            ..*reader_bufs
        };
        if let Some(ds) = &mut self.delete_sign {
            let sign = match (plan.merge_type, &plan.delete_on, &mut self.delete_scratch) {
                (MergeType::Delete, _, _) => 1,
                (MergeType::Merge, Some(expr), Some(scratch)) => {
                    let input = RowInput {
                        slots,
                        bufs: &bufs,
                        values: &self.values,
                    };
                    expr.eval_into(&input, scratch, &self.env, &mut self.pred);
                    i8::from(matches!(self.pred, Value::Bool(true)))
                }
                _ => 0,
            };
            ds.append_value(sign);
        }
        for (b, cell) in self.builders.iter_mut().zip(&self.cells) {
            b.append(*cell, &bufs, &self.nested);
        }
        self.counts.total += 1;
        self.counts.loaded += 1;
        self.chunk_len += 1;
        if self.chunk_len >= self.chunk_rows {
            self.flush_chunk(true);
        }
    }
}
