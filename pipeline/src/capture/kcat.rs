//! kcat `-J` lines: parsing one envelope into a [`CaptureMessage`], writing one as kcat
//! prints it, and streaming a file line by line (messages, or just partition, offset and
//! timestamp for a scan). Envelopes are parsed into typed structs, not a JSON tree.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use serde::Deserialize;

use super::{CaptureError, CaptureMessage, MessageRef, PartitionSummary};

/// An envelope as kcat prints it (fields kcat adds for Avro, such as `key_error`, are
/// ignored).
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    topic: Option<String>,
    partition: i64,
    offset: i64,
    #[serde(default)]
    tstype: Option<String>,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(default)]
    headers: Option<Vec<Option<String>>>,
    #[serde(default)]
    key: Option<String>,
    /// `None`: absent; `Some(None)`: null.
    #[serde(default, deserialize_with = "present")]
    payload: Option<Option<String>>,
}

/// Just what a scan needs.
#[derive(Deserialize)]
struct IndexEnvelope<'a> {
    partition: i64,
    offset: i64,
    #[serde(borrow, default)]
    tstype: Option<Cow<'a, str>>,
    #[serde(default)]
    ts: Option<i64>,
}

fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// kcat omits `tstype`/`ts` when the message has no timestamp; `none` or a negative `ts`
/// mean the same.
fn timestamp(tstype: Option<&str>, ts: Option<i64>) -> Option<i64> {
    match (tstype, ts) {
        (Some("none"), _) | (_, None) => None,
        (_, Some(t)) if t < 0 => None,
        (_, Some(t)) => Some(t),
    }
}

fn position(partition: i64, offset: i64) -> Result<(i32, i64), String> {
    let partition = i32::try_from(partition)
        .ok()
        .filter(|p| *p >= 0)
        .ok_or_else(|| format!("partition {partition} out of range"))?;
    if offset < 0 {
        return Err(format!("negative offset {offset}"));
    }
    Ok((partition, offset))
}

/// Turns a failed typed parse into a message a person can act on.
#[cold]
fn diagnose(line: &[u8], err: &serde_json::Error) -> String {
    match serde_json::from_slice::<serde_json::Value>(line) {
        Err(e) => e.to_string(),
        Ok(serde_json::Value::Object(map)) => {
            for k in ["partition", "offset"] {
                if map.get(k).is_none_or(|v| v.as_i64().is_none()) {
                    return format!("missing or non-integer \"{k}\"");
                }
            }
            err.to_string()
        }
        Ok(_) => "not a JSON object".to_string(),
    }
}

/// Parses one kcat `-J` line; also says whether the topic was given.
pub(crate) fn parse_envelope(line: &[u8]) -> Result<(bool, CaptureMessage), String> {
    let e: Envelope = serde_json::from_slice(line).map_err(|err| diagnose(line, &err))?;
    let (partition, offset) = position(e.partition, e.offset)?;
    let mut headers = Vec::new();
    if let Some(list) = e.headers {
        if list.len() % 2 != 0 {
            return Err("\"headers\" must alternate names and values".to_string());
        }
        let mut it = list.into_iter();
        while let (Some(name), Some(value)) = (it.next(), it.next()) {
            let name = name.ok_or("a header name is null")?;
            headers.push((name, value.map(String::into_bytes)));
        }
    }
    let timestamp_ms = timestamp(e.tstype.as_deref(), e.ts);
    let has_topic = e.topic.is_some();
    Ok((
        has_topic,
        CaptureMessage {
            topic: e.topic.unwrap_or_default(),
            partition,
            offset,
            timestamp_ms,
            timestamp_type: timestamp_ms.and(e.tstype),
            key: e.key.map(String::into_bytes),
            value: e.payload.flatten().map(String::into_bytes),
            headers,
        },
    ))
}

/// Parses one kcat `-J` line (JSON escapes decoded; a null or absent payload is a tombstone).
pub fn parse_line(line: &[u8]) -> Result<CaptureMessage, String> {
    parse_envelope(line).map(|(_, m)| m)
}

fn parse_index(line: &[u8]) -> Result<(i32, i64, Option<i64>), String> {
    let e: IndexEnvelope<'_> = serde_json::from_slice(line).map_err(|err| diagnose(line, &err))?;
    let (partition, offset) = position(e.partition, e.offset)?;
    Ok((partition, offset, timestamp(e.tstype.as_deref(), e.ts)))
}

/// Appends `s` as a JSON string, escaped as kcat's JSON generator does.
pub(crate) fn push_json_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn push_text(out: &mut Vec<u8>, what: &str, bytes: Option<&[u8]>) -> Result<(), String> {
    match bytes {
        None => out.extend_from_slice(b"null"),
        Some(b) => {
            let s = std::str::from_utf8(b).map_err(|e| {
                format!(
                    "{what} is not UTF-8 (byte {}); kcat lines hold text, write an Arrow \
                     capture (.arrow) instead",
                    e.valid_up_to()
                )
            })?;
            push_json_str(out, s);
        }
    }
    Ok(())
}

/// Appends one message as kcat `-J` prints it (no newline): `topic`, `partition`, `offset`,
/// `tstype` and `ts` (omitted without a timestamp), `broker` (-1: unknown), `headers` (only
/// when there are any, alternating names and values), `key`, `payload`. Fails when a key,
/// value or header value is not UTF-8.
pub fn write_line(m: &MessageRef<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(b"{\"topic\":");
    push_json_str(out, m.topic);
    out.extend_from_slice(b",\"partition\":");
    out.extend_from_slice(num.format(m.partition).as_bytes());
    out.extend_from_slice(b",\"offset\":");
    out.extend_from_slice(num.format(m.offset).as_bytes());
    if let Some(ts) = m.timestamp_ms {
        out.extend_from_slice(b",\"tstype\":");
        push_json_str(out, m.timestamp_type.unwrap_or("create"));
        out.extend_from_slice(b",\"ts\":");
        out.extend_from_slice(num.format(ts).as_bytes());
    }
    out.extend_from_slice(b",\"broker\":-1");
    if !m.headers.is_empty() {
        out.extend_from_slice(b",\"headers\":[");
        for (i, (name, value)) in m.headers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_json_str(out, name);
            out.push(b',');
            push_text(out, &format!("header {name:?}"), value.as_deref())?;
        }
        out.push(b']');
    }
    out.extend_from_slice(b",\"key\":");
    push_text(out, "the key", m.key)?;
    out.extend_from_slice(b",\"payload\":");
    push_text(out, "the value", m.value)?;
    out.push(b'}');
    Ok(())
}

/// Writes kcat lines.
pub(crate) struct KcatWriter {
    out: Option<BufWriter<File>>,
    line: Vec<u8>,
    path: String,
}

impl KcatWriter {
    pub(crate) fn new(file: File, path: String) -> Self {
        KcatWriter {
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            line: Vec::with_capacity(4096),
            path,
        }
    }

    /// A writer that writes nowhere (what a finished [`super::CaptureWriter`] holds).
    pub(crate) fn closed() -> Self {
        KcatWriter {
            out: None,
            line: Vec::new(),
            path: String::new(),
        }
    }

    fn io(&self) -> impl FnOnce(std::io::Error) -> CaptureError + '_ {
        |source| CaptureError::Write {
            path: self.path.clone(),
            source,
        }
    }

    pub(crate) fn write(&mut self, m: &MessageRef<'_>) -> Result<(), CaptureError> {
        self.line.clear();
        write_line(m, &mut self.line).map_err(|why| CaptureError::Unwritable {
            path: self.path.clone(),
            partition: m.partition,
            offset: m.offset,
            why,
        })?;
        self.line.push(b'\n');
        if let Some(out) = self.out.as_mut() {
            let result = out.write_all(&self.line);
            result.map_err(self.io())?;
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<(), CaptureError> {
        if let Some(out) = self.out.take() {
            out.into_inner()
                .map_err(|e| e.into_error())
                .map_err(self.io())?;
        }
        Ok(())
    }
}

/// A kcat file read line by line.
pub(crate) struct KcatLines {
    reader: BufReader<File>,
    buf: Vec<u8>,
    line: u64,
    path: String,
}

impl KcatLines {
    pub(crate) fn open(path: &Path) -> Result<Self, CaptureError> {
        let file = File::open(path).map_err(super::read_error(path))?;
        Ok(KcatLines {
            reader: BufReader::with_capacity(1 << 20, file),
            buf: Vec::with_capacity(4096),
            line: 0,
            path: path.display().to_string(),
        })
    }

    /// The next non-blank line (without its line end) and its 1-based number.
    pub(crate) fn next_line(&mut self) -> Result<Option<(u64, &[u8])>, CaptureError> {
        let end = loop {
            self.buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(|source| CaptureError::Read {
                    path: self.path.clone(),
                    source,
                })?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            let mut end = self.buf.len();
            while end > 0 && matches!(self.buf[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            if !self.buf[..end].iter().all(u8::is_ascii_whitespace) {
                break end;
            }
        };
        Ok(Some((self.line, &self.buf[..end])))
    }

    fn bad_line(&self, line: u64, why: String) -> CaptureError {
        CaptureError::BadLine {
            path: self.path.clone(),
            line,
            why,
        }
    }

    /// The next message, or `None` at the end of the file.
    pub(crate) fn next_message(&mut self) -> Result<Option<CaptureMessage>, CaptureError> {
        let Some((line, text)) = self.next_line()? else {
            return Ok(None);
        };
        let parsed = parse_line(text);
        parsed.map(Some).map_err(|why| self.bad_line(line, why))
    }

    /// The next message's partition, offset and timestamp, or `None` at the end.
    pub(crate) fn next_index(&mut self) -> Result<Option<(i32, i64, Option<i64>)>, CaptureError> {
        let Some((line, text)) = self.next_line()? else {
            return Ok(None);
        };
        let parsed = parse_index(text);
        parsed.map(Some).map_err(|why| self.bad_line(line, why))
    }

    /// Whether nothing but the end of the file is left.
    pub(crate) fn at_end(&mut self) -> Result<bool, CaptureError> {
        let buf = self
            .reader
            .fill_buf()
            .map_err(|source| CaptureError::Read {
                path: self.path.clone(),
                source,
            })?;
        Ok(buf.is_empty())
    }
}

/// Calls `f(partition, offset, timestamp)` for every line of a kcat file.
pub(crate) fn scan(
    path: &Path,
    mut f: impl FnMut(i32, i64, Option<i64>),
) -> Result<(), CaptureError> {
    let mut lines = KcatLines::open(path)?;
    while let Some((p, o, ts)) = lines.next_index()? {
        f(p, o, ts);
    }
    Ok(())
}

/// Per-partition summaries of a kcat file, by a scan.
pub(crate) fn summarize(path: &Path) -> Result<Vec<PartitionSummary>, CaptureError> {
    let mut parts: BTreeMap<i32, PartitionSummary> = BTreeMap::new();
    scan(path, |p, o, _| {
        parts
            .entry(p)
            .or_insert_with(|| PartitionSummary::new(p, o))
            .add(o);
    })?;
    Ok(parts.into_values().collect())
}
