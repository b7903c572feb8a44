//! The CSV reader, as Doris's routine load reads CSV: every message gets a `\n` appended and
//! the messages of a batch form one stream, read line by line.
//!
//! - Lines end at `\n`; a `\r` right before it is dropped; empty lines are skipped. A message
//!   holding several lines gives several rows (Doris counts messages, not rows, for
//!   `max_batch_rows`).
//! - Fields split on the column separator (`COLUMNS TERMINATED BY`, default `\t`, any length,
//!   matched left to right without overlap).
//! - With `enclose`, a field that starts with the enclose byte runs to the matching one:
//!   separators and line ends inside it are data, so an unclosed field continues into the
//!   next message, as in Doris. 4.x strips the enclose bytes from such a field; 2.1 / 3.0
//!   keep `"` (routine load cannot set `trim_double_quotes`).
//! - A field that is exactly `\N` is NULL; with `empty_field_as_null` (4.x) so is an empty
//!   one. With `escape`, the escape byte is dropped and the next byte kept literally; 4.x also
//!   reads a doubled enclose byte as one.
//! - A line whose field count differs from the slot count is filtered
//!   (`Column count mismatch: expected N, but found M (...)`); so is a line that is not UTF-8.

use memchr::memchr;

use routinely_schemas::version::{CsvDoubleQuoteEnclose, MessageTexts};

use super::columns::{Buf, Bufs, Slot, Span};
use super::json::RowSink;
use super::plan::LoadPlan;

/// The CSV reader's reusable state.
pub(crate) struct CsvReader {
    /// Bytes of a line still open (inside an enclosed field) when a message ended.
    pending: Vec<u8>,
    /// Stream buffer used when a line spans messages.
    stream: Vec<u8>,
    /// Unescaped field values.
    arena: Vec<u8>,
    /// Field ranges of the current line (within the stream chunk).
    fields: Vec<(usize, usize)>,
    slots: Vec<Slot>,
    /// Whether the next byte read is the first of the batch (a BOM is dropped there).
    at_stream_start: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Normal,
    InQuote,
    AfterQuote,
}

impl CsvReader {
    pub fn new(plan: &LoadPlan) -> CsvReader {
        CsvReader {
            pending: Vec::new(),
            stream: Vec::new(),
            arena: Vec::new(),
            fields: Vec::with_capacity(plan.slots.len() + 1),
            slots: Vec::with_capacity(plan.slots.len()),
            at_stream_start: true,
        }
    }

    /// Starts a new batch (a new Doris task: a new stream).
    pub fn begin_batch(&mut self) {
        self.pending.clear();
        self.at_stream_start = true;
    }

    /// Reads one non-empty message.
    pub fn read(&mut self, plan: &LoadPlan, value: &[u8], sink: &mut impl RowSink) {
        let mut value = value;
        if self.at_stream_start {
            value = value.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(value);
            self.at_stream_start = false;
        }
        if self.pending.is_empty() {
            let leftover = self.read_chunk(plan, value, false, sink);
            if let Some(start) = leftover {
                self.pending.extend_from_slice(&value[start..]);
                self.pending.push(b'\n');
            }
        } else {
            let mut stream = std::mem::take(&mut self.stream);
            stream.clear();
            stream.extend_from_slice(&self.pending);
            stream.extend_from_slice(value);
            self.pending.clear();
            let leftover = self.read_chunk(plan, &stream, false, sink);
            if let Some(start) = leftover {
                self.pending.extend_from_slice(&stream[start..]);
                self.pending.push(b'\n');
            }
            self.stream = stream;
        }
    }

    /// Ends the batch: a line left open by an unclosed enclose ends with the stream.
    pub fn finish(&mut self, plan: &LoadPlan, sink: &mut impl RowSink) {
        if self.pending.is_empty() {
            return;
        }
        let mut stream = std::mem::take(&mut self.pending);
        // The appended '\n' of the last message closes nothing inside quotes; end of stream
        // ends the line.
        if stream.last() == Some(&b'\n') {
            stream.pop();
        }
        let _ = self.read_chunk(plan, &stream, true, sink);
        stream.clear();
        self.pending = stream;
    }

    /// Reads the lines of `chunk` (a virtual `\n` follows it). Returns where an unfinished
    /// line starts when the chunk ends inside an enclosed field.
    fn read_chunk(
        &mut self,
        plan: &LoadPlan,
        chunk: &[u8],
        end_of_stream: bool,
        sink: &mut impl RowSink,
    ) -> Option<usize> {
        let csv = &plan.csv;
        let sep = csv.separator.as_slice();
        let mut line_start = 0usize;
        if csv.enclose.is_none() {
            // Plain mode: lines at '\n', fields at every separator.
            loop {
                let (line_end, next) = match memchr(b'\n', &chunk[line_start..]) {
                    Some(i) => (line_start + i, line_start + i + 1),
                    None => (chunk.len(), chunk.len() + 1),
                };
                // "\r\n" ends a line too (the appended '\n' follows the message's last byte).
                let mut end = line_end;
                if end > line_start && chunk[end - 1] == b'\r' {
                    end -= 1;
                }
                if end > line_start {
                    self.fields.clear();
                    let line = &chunk[line_start..end];
                    let mut f = 0usize;
                    loop {
                        match find(&line[f..], sep) {
                            Some(i) => {
                                self.fields.push((line_start + f, line_start + f + i));
                                f += i + sep.len();
                            }
                            None => {
                                self.fields.push((line_start + f, end));
                                break;
                            }
                        }
                    }
                    self.emit(plan, chunk, line_start, end, sink);
                }
                if next > chunk.len() {
                    return None;
                }
                line_start = next;
                if line_start == chunk.len() {
                    return None;
                }
            }
        }
        let enclose = csv.enclose.unwrap_or(b'"');
        let escape = csv.escape;
        let quote_escape = plan.rules.csv_doubled_enclose;
        let mut state = State::FieldStart;
        let mut field_start = 0usize;
        self.fields.clear();
        let mut i = 0usize;
        let mut escaped = false;
        // The chunk is followed by a virtual '\n' at index chunk.len().
        while i <= chunk.len() {
            // At the end of the stream a line still inside quotes ends there.
            let b = if i == chunk.len() { b'\n' } else { chunk[i] };
            match state {
                State::InQuote if i < chunk.len() || !end_of_stream => {
                    if i == chunk.len() {
                        // The message ended inside an enclosed field: continue with the next.
                        return Some(line_start);
                    }
                    if escaped {
                        escaped = false;
                    } else if Some(b) == escape {
                        escaped = true;
                    } else if b == enclose {
                        if quote_escape && chunk.get(i + 1) == Some(&enclose) {
                            i += 1;
                        } else {
                            state = State::AfterQuote;
                        }
                    }
                    i += 1;
                    continue;
                }
                _ => {}
            }
            if b == b'\n' {
                let mut end = i;
                if state != State::InQuote && end > line_start && chunk[end - 1] == b'\r' {
                    end -= 1;
                }
                if end > line_start {
                    self.fields.push((field_start, end.max(field_start)));
                    self.emit(plan, chunk, line_start, end, sink);
                }
                self.fields.clear();
                line_start = i + 1;
                field_start = line_start;
                state = State::FieldStart;
                escaped = false;
                i += 1;
                continue;
            }
            if chunk[i..].starts_with(sep) {
                self.fields.push((field_start, i));
                i += sep.len();
                field_start = i;
                state = State::FieldStart;
                continue;
            }
            if state == State::FieldStart {
                state = if b == enclose {
                    State::InQuote
                } else {
                    State::Normal
                };
            }
            i += 1;
        }
        None
    }

    /// Turns the current line's fields into slots and hands them on.
    fn emit(
        &mut self,
        plan: &LoadPlan,
        chunk: &[u8],
        line_start: usize,
        line_end: usize,
        sink: &mut impl RowSink,
    ) {
        let line = &chunk[line_start..line_end];
        let doubled = plan.rules.csv_doubled_enclose;
        if std::str::from_utf8(line).is_err() {
            let reason = if plan.rules.messages == MessageTexts::Current {
                "Invalid file encoding: all CSV files must be UTF-8 encoded"
            } else {
                "Unable to display, only support csv data in utf8 codec, please check the data encoding"
            };
            sink.reject(reason, line);
            return;
        }
        let n = plan.slots.len();
        if self.fields.len() != n {
            let reason = mismatch_message(plan, n, self.fields.len(), chunk, &self.fields);
            sink.reject(&reason, line);
            return;
        }
        let csv = &plan.csv;
        let strip_enclose = match csv.enclose {
            Some(b'"') => plan.rules.csv_double_quote_enclose == CsvDoubleQuoteEnclose::Strip,
            Some(_) => true,
            None => false,
        };
        self.arena.clear();
        self.slots.clear();
        for &(s, e) in &self.fields {
            let mut f = &chunk[s..e];
            let mut start = s;
            if strip_enclose
                && let Some(q) = csv.enclose
                && f.len() > 1
                && f[0] == q
                && f[f.len() - 1] == q
            {
                f = &f[1..f.len() - 1];
                start += 1;
            }
            if (csv.empty_field_as_null && f.is_empty()) || f == b"\\N" {
                self.slots.push(Slot::Null);
                continue;
            }
            match csv.escape {
                Some(esc)
                    if memchr(esc, f).is_some() || (doubled && has_double(f, csv.enclose)) =>
                {
                    let a = self.arena.len();
                    unescape(
                        f,
                        esc,
                        if doubled { csv.enclose } else { None },
                        &mut self.arena,
                    );
                    self.slots
                        .push(Slot::Text(Span::new(Buf::Reader, a, self.arena.len() - a)));
                }
                _ => self
                    .slots
                    .push(Slot::Text(Span::new(Buf::Message, start, f.len()))),
            }
        }
        let bufs = Bufs {
            message: chunk,
            reader: &self.arena,
            row: &[],
            message_is_utf8: false,
        };
        sink.row(plan, &self.slots, &bufs);
    }
}

fn has_double(f: &[u8], enclose: Option<u8>) -> bool {
    match enclose {
        Some(q) => f.windows(2).any(|w| w[0] == q && w[1] == q),
        None => false,
    }
}

/// Doris's `escape_string_for_csv`: the escape byte, or the first of two enclose bytes, is
/// dropped and the next byte kept.
fn unescape(f: &[u8], esc: u8, enclose: Option<u8>, out: &mut Vec<u8>) {
    let mut skip_next = false;
    let mut i = 0;
    while i < f.len() {
        let b = f[i];
        if skip_next {
            out.push(b);
            skip_next = false;
        } else if b == esc || (enclose == Some(b) && f.get(i + 1) == Some(&b)) {
            skip_next = true;
        } else {
            out.push(b);
        }
        i += 1;
    }
}

/// First occurrence of `needle` in `hay`.
#[inline]
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    match needle.len() {
        0 => None,
        1 => memchr(needle[0], hay),
        _ => memchr::memmem::find(hay, needle),
    }
}

fn show(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        match b {
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            _ => s.push(b as char),
        }
    }
    s
}

fn mismatch_message(
    plan: &LoadPlan,
    expected: usize,
    found: usize,
    chunk: &[u8],
    fields: &[(usize, usize)],
) -> String {
    let csv = &plan.csv;
    if plan.rules.messages == MessageTexts::Current {
        let mut m = format!(
            "Column count mismatch: expected {expected}, but found {found} (sep:{} delim:\\n",
            show(&csv.separator)
        );
        if let Some(e) = csv.enclose {
            m.push_str(&format!(" encl:{}", e as char));
        }
        if let Some(e) = csv.escape {
            m.push_str(&format!(" esc:{}", e as char));
        }
        m.push(')');
        m
    } else {
        let cmp = if found > expected {
            "more than"
        } else {
            "less than"
        };
        let mut m = format!(
            "actual column number in csv file is  {cmp}  schema column number.actual number: {found}, schema column number: {expected}; line delimiter: [\n], column separator: [{}], ",
            String::from_utf8_lossy(&csv.separator)
        );
        if let Some(e) = csv.enclose {
            m.push_str(&format!("enclose:[{}] ", e as char));
        }
        if let Some(e) = csv.escape {
            m.push_str(&format!("escape:[{}] ", e as char));
        }
        m.push_str("result values:[");
        for &(s, e) in fields {
            m.push_str(&String::from_utf8_lossy(&chunk[s..e]));
            m.push_str(", ");
        }
        m.push(']');
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_like_doris() {
        let mut out = Vec::new();
        unescape(br"b,\'c", b'\\', None, &mut out);
        assert_eq!(out, b"b,'c");
        out.clear();
        unescape(br"b\\c", b'\\', None, &mut out);
        assert_eq!(out, br"b\c");
        out.clear();
        unescape(br#"a""b"#, b'\\', Some(b'"'), &mut out);
        assert_eq!(out, br#"a"b"#);
        out.clear();
        unescape(br"ab\cd", b'\\', None, &mut out);
        assert_eq!(out, b"abcd");
    }

    #[test]
    fn finds_multichar_separators() {
        assert_eq!(find(b"data1xxxxdata2", b"xx"), Some(5));
        assert_eq!(find(b"a|b", b"|"), Some(1));
    }
}
