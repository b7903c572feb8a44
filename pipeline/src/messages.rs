//! Message files for `preview` (and, later, capture replay): one message per line, or a kcat
//! `-J` capture (one JSON envelope per line with topic, partition, offset, tstype, ts,
//! broker, key and payload). The format is recognised from the content, or forced.

use std::path::Path;

/// One message read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMessage {
    /// Topic, when the file says.
    pub topic: Option<String>,
    /// Partition (0 for plain lines).
    pub partition: i32,
    /// Offset (the line number, from 0, for plain lines).
    pub offset: i64,
    /// Timestamp in milliseconds, when the file says.
    pub timestamp_ms: Option<i64>,
    /// Key, when present.
    pub key: Option<Vec<u8>>,
    /// Value bytes (empty for a kcat tombstone).
    pub value: Vec<u8>,
    /// Headers (kcat envelopes only), name and value.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// How a message file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessagesFormat {
    /// One message per line.
    Lines,
    /// kcat `-J` envelopes.
    Kcat,
}

/// A message file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum MessagesError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A kcat envelope line is not what kcat writes.
    #[error("{path}:{line}: not a kcat -J envelope: {why}")]
    BadEnvelope {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: String,
    },
}

/// Whether `line` looks like a kcat `-J` envelope.
fn is_envelope(line: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(map)) => {
            map.contains_key("payload")
                && map.contains_key("partition")
                && map.contains_key("offset")
        }
        _ => false,
    }
}

/// Recognises the format from the first non-empty line.
pub fn detect(data: &[u8]) -> MessagesFormat {
    let first = data
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .find(|l| !l.iter().all(u8::is_ascii_whitespace));
    match first {
        Some(line) if is_envelope(line) => MessagesFormat::Kcat,
        _ => MessagesFormat::Lines,
    }
}

/// Reads a message file.
pub fn read_messages(
    path: &Path,
    format: Option<MessagesFormat>,
) -> Result<(MessagesFormat, Vec<FileMessage>), MessagesError> {
    let data = std::fs::read(path).map_err(|source| MessagesError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let format = format.unwrap_or_else(|| detect(&data));
    let msgs = parse_messages(&data, format, &path.display().to_string())?;
    Ok((format, msgs))
}

/// Parses message file content.
pub fn parse_messages(
    data: &[u8],
    format: MessagesFormat,
    path: &str,
) -> Result<Vec<FileMessage>, MessagesError> {
    let mut lines: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    match format {
        MessagesFormat::Lines => Ok(lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| FileMessage {
                topic: None,
                partition: 0,
                offset: i as i64,
                timestamp_ms: None,
                key: None,
                value: l.strip_suffix(b"\r").unwrap_or(l).to_vec(),
                headers: Vec::new(),
            })
            .collect()),
        MessagesFormat::Kcat => {
            let mut out = Vec::with_capacity(lines.len());
            for (i, l) in lines.into_iter().enumerate() {
                if l.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                out.push(parse_envelope(l).map_err(|why| MessagesError::BadEnvelope {
                    path: path.to_string(),
                    line: i + 1,
                    why,
                })?);
            }
            Ok(out)
        }
    }
}

/// Parses one kcat `-J` line (the capture module's parser; a null payload is empty).
pub fn parse_envelope(line: &[u8]) -> Result<FileMessage, String> {
    let (has_topic, m) = crate::capture::kcat_envelope(line)?;
    Ok(FileMessage {
        topic: has_topic.then_some(m.topic),
        partition: m.partition,
        offset: m.offset,
        timestamp_ms: m.timestamp_ms,
        key: m.key,
        value: m.value.unwrap_or_default(),
        headers: m.headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_kcat_envelopes() {
        let kcat = br#"{"topic":"events","partition":2,"offset":7,"tstype":"create","ts":1700000000000,"broker":1,"key":null,"payload":"{\"a\":1}"}
"#;
        assert_eq!(detect(kcat), MessagesFormat::Kcat);
        let msgs = parse_messages(kcat, MessagesFormat::Kcat, "x").unwrap();
        assert_eq!(msgs[0].partition, 2);
        assert_eq!(msgs[0].offset, 7);
        assert_eq!(msgs[0].value, br#"{"a":1}"#);
        assert_eq!(msgs[0].timestamp_ms, Some(1_700_000_000_000));
        assert_eq!(detect(b"{\"a\":1}\n"), MessagesFormat::Lines);
        assert_eq!(detect(b"1,2,3\n"), MessagesFormat::Lines);
    }

    #[test]
    fn lines_keep_empty_messages() {
        let msgs = parse_messages(b"a\n\nb\r\n", MessagesFormat::Lines, "x").unwrap();
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[1].value, b"");
        assert_eq!(msgs[2].value, b"b");
        assert_eq!(msgs[2].offset, 2);
    }

    #[test]
    fn bad_envelope_names_the_line() {
        let err = parse_messages(
            b"{\"partition\":0,\"offset\":\"x\",\"payload\":\"\"}\n",
            MessagesFormat::Kcat,
            "f.json",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.json:1: not a kcat -J envelope: missing or non-integer \"offset\""
        );
    }
}
