//! JSON text → the text a JSON column stores, and objects / arrays → compact text for string
//! columns.
//!
//! A JSON (JSONB) column parses its input as one JSON document (any value, scalars included)
//! and prints it back compactly: no whitespace, strings re-escaped (`\"`, `\\`, `\b \f \n \r
//! \t`, other control characters as `\u00xx`, everything else raw UTF-8), integers as
//! integers, other numbers as doubles printed with 15 significant digits (BE
//! `jsonb_stream.h`). Invalid text is a conversion failure. An object or array headed for a
//! CHAR / VARCHAR / STRING column keeps its tokens as written, with the whitespace between
//! them removed.
//!
//! The parser is iterative (an explicit stack), so nesting depth costs no native stack; it
//! stops at [`MAX_DEPTH`] levels like simdjson's default parser.

/// Deepest nesting accepted (simdjson's default maximum depth).
pub const MAX_DEPTH: usize = 1024;

/// How tokens are written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonOutput {
    /// Tokens as written, insignificant whitespace removed.
    Compact,
    /// JSONB's canonical printing (strings re-escaped, numbers normalised).
    Canonical,
}

/// Reusable scratch space for [`write_json_with`], so a warm caller allocates nothing.
#[derive(Debug, Default)]
pub struct JsonScratch {
    stack: Vec<Frame>,
    buf: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Inside an object, expecting a key (or `}` if `first`).
    ObjectKey { first: bool },
    /// Inside an object, after a value: expecting `,` or `}`.
    ObjectNext,
    /// Inside an array, expecting a value (or `]` if `first`).
    ArrayValue { first: bool },
    /// Inside an array, after a value: expecting `,` or `]`.
    ArrayNext,
}

#[inline]
fn is_json_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Parses `text` as one JSON document and appends its output form to `out`. Returns false
/// (leaving `out` truncated to its original length) when the text is not valid JSON.
pub fn write_json(text: &[u8], mode: JsonOutput, out: &mut Vec<u8>) -> bool {
    write_json_with(text, mode, out, &mut JsonScratch::default())
}

/// [`write_json`] with caller-owned scratch space.
pub fn write_json_with(
    text: &[u8],
    mode: JsonOutput,
    out: &mut Vec<u8>,
    scratch: &mut JsonScratch,
) -> bool {
    let mark = out.len();
    let ok = write_document(text, mode, out, scratch);
    if !ok {
        out.truncate(mark);
    }
    ok
}

fn write_document(
    text: &[u8],
    mode: JsonOutput,
    out: &mut Vec<u8>,
    scratch: &mut JsonScratch,
) -> bool {
    let JsonScratch { stack, buf } = scratch;
    stack.clear();
    let mut i = skip_ws(text, 0);
    // A document is one value.
    loop {
        // Expect a value (or a closing bracket when a container is empty).
        if i >= text.len() {
            return false;
        }
        match text[i] {
            b'{' => {
                if stack.len() >= MAX_DEPTH {
                    return false;
                }
                out.push(b'{');
                stack.push(Frame::ObjectKey { first: true });
                i += 1;
            }
            b'[' => {
                if stack.len() >= MAX_DEPTH {
                    return false;
                }
                out.push(b'[');
                stack.push(Frame::ArrayValue { first: true });
                i += 1;
            }
            b'"' => match write_string(text, i, mode, out, buf) {
                Some(end) => {
                    i = end;
                    after_value(stack);
                }
                None => return false,
            },
            b't' | b'f' | b'n' => {
                let word: &[u8] = match text[i] {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !text[i..].starts_with(word) {
                    return false;
                }
                out.extend_from_slice(word);
                i += word.len();
                after_value(stack);
            }
            b'-' | b'0'..=b'9' => match write_number(text, i, mode, out) {
                Some(end) => {
                    i = end;
                    after_value(stack);
                }
                None => return false,
            },
            _ => return false,
        }
        // Now drive closers, separators and keys until the next value is due.
        loop {
            i = skip_ws(text, i);
            let Some(top) = stack.last().copied() else {
                // Document complete: only whitespace may follow.
                return i == text.len();
            };
            let Some(&b) = text.get(i) else {
                return false;
            };
            match top {
                Frame::ObjectKey { first } => {
                    if b == b'}' && first {
                        out.push(b'}');
                        stack.pop();
                        i += 1;
                        after_value(stack);
                        continue;
                    }
                    if b != b'"' {
                        return false;
                    }
                    match write_string(text, i, mode, out, buf) {
                        Some(end) => i = skip_ws(text, end),
                        None => return false,
                    }
                    if text.get(i) != Some(&b':') {
                        return false;
                    }
                    out.push(b':');
                    i = skip_ws(text, i + 1);
                    if let Some(f) = stack.last_mut() {
                        *f = Frame::ObjectNext;
                    }
                    break;
                }
                Frame::ObjectNext => match b {
                    b',' => {
                        out.push(b',');
                        i += 1;
                        if let Some(f) = stack.last_mut() {
                            *f = Frame::ObjectKey { first: false };
                        }
                    }
                    b'}' => {
                        out.push(b'}');
                        stack.pop();
                        i += 1;
                        after_value(stack);
                    }
                    _ => return false,
                },
                Frame::ArrayValue { first } => {
                    if b == b']' && first {
                        out.push(b']');
                        stack.pop();
                        i += 1;
                        after_value(stack);
                        continue;
                    }
                    if let Some(f) = stack.last_mut() {
                        *f = Frame::ArrayNext;
                    }
                    break;
                }
                Frame::ArrayNext => match b {
                    b',' => {
                        out.push(b',');
                        i = skip_ws(text, i + 1);
                        break;
                    }
                    b']' => {
                        out.push(b']');
                        stack.pop();
                        i += 1;
                        after_value(stack);
                    }
                    _ => return false,
                },
            }
        }
    }
}

/// After a complete value: an object waiting for a value moves on; arrays already are.
#[inline]
fn after_value(stack: &mut [Frame]) {
    if let Some(top) = stack.last_mut() {
        match *top {
            Frame::ObjectNext | Frame::ArrayNext => {}
            Frame::ObjectKey { .. } => *top = Frame::ObjectNext,
            Frame::ArrayValue { .. } => *top = Frame::ArrayNext,
        }
    }
}

#[inline]
fn skip_ws(text: &[u8], mut i: usize) -> usize {
    while i < text.len() && is_json_ws(text[i]) {
        i += 1;
    }
    i
}

/// Validates the string starting at `text[start] == '"'`; writes it; returns the index
/// after the closing quote.
fn write_string(
    text: &[u8],
    start: usize,
    mode: JsonOutput,
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
) -> Option<usize> {
    let mut i = start + 1;
    let body_start = i;
    let mut has_escape = false;
    loop {
        let b = *text.get(i)?;
        match b {
            b'"' => break,
            b'\\' => {
                has_escape = true;
                i += 2;
            }
            0x00..=0x1f => return None,
            _ => i += 1,
        }
    }
    if i > text.len() {
        return None;
    }
    let body = &text[body_start..i];
    if std::str::from_utf8(body).is_err() && !has_escape {
        return None;
    }
    match (mode, has_escape) {
        (JsonOutput::Compact, _) => {
            // Escapes must still be valid.
            if has_escape {
                scratch.clear();
                unescape(body, scratch)?;
                std::str::from_utf8(scratch).ok()?;
            }
            out.push(b'"');
            out.extend_from_slice(body);
            out.push(b'"');
        }
        (JsonOutput::Canonical, false) => {
            out.push(b'"');
            escape_into(body, out);
            out.push(b'"');
        }
        (JsonOutput::Canonical, true) => {
            scratch.clear();
            unescape(body, scratch)?;
            std::str::from_utf8(scratch).ok()?;
            out.push(b'"');
            escape_into(scratch, out);
            out.push(b'"');
        }
    }
    Some(i + 1)
}

/// Decodes JSON string escapes (the quotes excluded). `None` for a bad escape or a lone
/// surrogate.
pub fn unescape(body: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let e = *body.get(i + 1)?;
        i += 2;
        let c = match e {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let hi = hex4(body.get(i..i + 4)?)?;
                i += 4;
                let cp = if (0xD800..0xDC00).contains(&hi) {
                    if body.get(i) != Some(&b'\\') || body.get(i + 1) != Some(&b'u') {
                        return None;
                    }
                    let lo = hex4(body.get(i + 2..i + 6)?)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else if (0xDC00..0xE000).contains(&hi) {
                    return None;
                } else {
                    hi
                };
                let ch = char::from_u32(cp)?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            _ => return None,
        };
        out.push(c);
    }
    Some(())
}

fn hex4(h: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in h {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

/// Escapes a decoded string as JSONB prints it. Runs of bytes that need no escape are
/// copied whole: pushing byte by byte made the canonical rewrite of a JSON column (1% of the
/// bench's rows, whose floats end in 0) cost a few percent of the whole row path.
pub fn escape_into(s: &[u8], out: &mut Vec<u8>) {
    let mut run = 0;
    for (i, &b) in s.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&s[run..i]);
        run = i + 1;
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 15) as usize]);
            }
        }
    }
    out.extend_from_slice(&s[run..]);
}

/// Validates the number at `text[start]`; writes it; returns the index after it.
fn write_number(text: &[u8], start: usize, mode: JsonOutput, out: &mut Vec<u8>) -> Option<usize> {
    let mut i = start;
    if text[i] == b'-' {
        i += 1;
    }
    match text.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => {
            while text.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return None,
    }
    let mut integral = true;
    if text.get(i) == Some(&b'.') {
        integral = false;
        i += 1;
        let s = i;
        while text.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == s {
            return None;
        }
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        integral = false;
        i += 1;
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let s = i;
        while text.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == s {
            return None;
        }
    }
    // A number must be followed by a delimiter.
    if let Some(&b) = text.get(i)
        && !(is_json_ws(b) || matches!(b, b',' | b'}' | b']'))
    {
        return None;
    }
    let tok = &text[start..i];
    match mode {
        JsonOutput::Compact => out.extend_from_slice(tok),
        JsonOutput::Canonical => write_canonical_number(tok, integral, out),
    }
    Some(i)
}

/// JSONB number printing: integers that fit 128 bits as integers, anything else as a double
/// with `%.15g`.
pub fn write_canonical_number(tok: &[u8], integral: bool, out: &mut Vec<u8>) {
    // The token is ASCII by construction.
    let s = std::str::from_utf8(tok).unwrap_or("0");
    if integral && let Ok(v) = s.parse::<i128>() {
        let mut buf = itoa::Buffer::new();
        out.extend_from_slice(buf.format(v).as_bytes());
        return;
    }
    let v: f64 = s.parse().unwrap_or(0.0);
    write_g(v, 15, out);
}

/// C's `printf("%.15g", v)`.
pub fn format_g15(v: f64) -> String {
    format_g(v, 15)
}

/// C's `printf("%.{precision}g", v)` (`inf` / `nan` spelled as C does).
pub fn format_g(v: f64, precision: usize) -> String {
    let mut out = Vec::with_capacity(24);
    write_g(v, precision, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// A `fmt::Write` over a stack buffer, so float formatting needs no heap.
struct StackBuf {
    buf: [u8; 64],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Appends C's `printf("%.{precision}g", v)` to `out` without allocating (beyond `out`'s own
/// growth).
pub fn write_g(v: f64, precision: usize, out: &mut Vec<u8>) {
    use std::fmt::Write as _;
    if v.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    let p = precision.clamp(1, 40);
    // Digits rounded to `p` significant digits, in scientific form: "-d.ddde±x".
    let mut sci = StackBuf {
        buf: [0; 64],
        len: 0,
    };
    if write!(sci, "{:.*e}", p - 1, v).is_err() {
        return;
    }
    let sci = &sci.buf[..sci.len];
    let e_at = sci.iter().position(|b| *b == b'e').unwrap_or(sci.len());
    let (mantissa, exp_text) = (&sci[..e_at], &sci[(e_at + 1).min(sci.len())..]);
    let exp: i32 = std::str::from_utf8(exp_text)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let neg = mantissa.first() == Some(&b'-');
    let mut digits = [0u8; 48];
    let mut nd = 0;
    for &b in mantissa {
        if b.is_ascii_digit() && nd < digits.len() {
            digits[nd] = b;
            nd += 1;
        }
    }
    // %g drops trailing zeros.
    while nd > 1 && digits[nd - 1] == b'0' {
        nd -= 1;
    }
    let digits = &digits[..nd];
    if neg {
        out.push(b'-');
    }
    if exp < -4 || exp >= p as i32 {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        let mut buf = itoa::Buffer::new();
        out.extend_from_slice(buf.format(e).as_bytes());
    } else if exp < 0 {
        out.extend_from_slice(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0');
        }
        out.extend_from_slice(digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.extend_from_slice(digits);
            for _ in digits.len()..int_len {
                out.push(b'0');
            }
        } else {
            out.extend_from_slice(&digits[..int_len]);
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> Option<String> {
        let mut out = Vec::new();
        write_json(s.as_bytes(), JsonOutput::Canonical, &mut out)
            .then(|| String::from_utf8(out).unwrap())
    }
    fn compact(s: &str) -> Option<String> {
        let mut out = Vec::new();
        write_json(s.as_bytes(), JsonOutput::Compact, &mut out)
            .then(|| String::from_utf8(out).unwrap())
    }

    // Doris regression load_jsonb.out: scalars are documents; compact printing.
    #[test]
    fn canonical_forms() {
        assert_eq!(canon("null").as_deref(), Some("null"));
        assert_eq!(canon(" true ").as_deref(), Some("true"));
        assert_eq!(canon("100").as_deref(), Some("100"));
        assert_eq!(canon("6.18").as_deref(), Some("6.18"));
        assert_eq!(canon("\"abcd\"").as_deref(), Some("\"abcd\""));
        assert_eq!(canon("{}").as_deref(), Some("{}"));
        assert_eq!(
            canon(r#"{"k1":"v31", "k2": 300}"#).as_deref(),
            Some(r#"{"k1":"v31","k2":300}"#)
        );
        assert_eq!(
            canon(r#"[null, true,false,100,6.18,"abc"]"#).as_deref(),
            Some(r#"[null,true,false,100,6.18,"abc"]"#)
        );
        assert_eq!(canon("1.0").as_deref(), Some("1"));
        assert_eq!(canon("1e20").as_deref(), Some("1e+20"));
        assert_eq!(canon("0.1").as_deref(), Some("0.1"));
        assert_eq!(
            canon("3.141592653589793").as_deref(),
            Some("3.14159265358979")
        );
        assert_eq!(canon(r#""a\/b\u00e9""#).as_deref(), Some("\"a/bé\""));
        assert_eq!(canon(r#""\u0001""#).as_deref(), Some(r#""\u0001""#));
        assert_eq!(
            canon("1152921504606846976").as_deref(),
            Some("1152921504606846976")
        );
    }

    #[test]
    fn invalid_json() {
        for bad in [
            "",
            "abc",
            "{",
            "[1,]",
            "{\"a\"}",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "+1",
            "\"\\x\"",
            "[1] x",
            "\"\\ud800\"",
            "\"a\nb\"",
            "{'a':1}",
            "tru",
            "nul",
            "[",
            "]",
            "1 2",
        ] {
            assert_eq!(canon(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn compact_keeps_tokens() {
        assert_eq!(
            compact("{ \"a\" : [1.50, 2E3 ], \"b\\n\": \"x y\" }").as_deref(),
            Some("{\"a\":[1.50,2E3],\"b\\n\":\"x y\"}")
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = "[".repeat(100_000);
        assert_eq!(canon(&deep), None);
        let ok = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        assert!(canon(&ok).is_some());
        let too_deep = format!("{}{}", "[".repeat(1025), "]".repeat(1025));
        assert_eq!(canon(&too_deep), None);
    }

    #[test]
    fn g_format() {
        assert_eq!(format_g(1e15, 15), "1e+15");
        assert_eq!(format_g(123456789012345.0, 15), "123456789012345");
        assert_eq!(format_g(0.0001, 15), "0.0001");
        assert_eq!(format_g(0.00001, 15), "1e-05");
        assert_eq!(format_g(-2.5, 15), "-2.5");
        assert_eq!(format_g(0.1 + 0.2, 15), "0.3");
    }
}
