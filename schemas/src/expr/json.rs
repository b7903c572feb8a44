//! JSON functions: JSON_EXTRACT and the JSON_EXTRACT_STRING / _INT / _BIGINT / _DOUBLE family
//! (4.x, JSONB-based: the extracted value then CAST), GET_JSON_STRING / _INT / _BIGINT /
//! _DOUBLE in their 2.1 / 3.0 rapidjson form, and JSON_UNQUOTE.
//!
//! A document is first normalised into compact text in a reused buffer (canonical JSONB
//! printing for 4.x, tokens as written for the rapidjson flavour); the path is parsed into
//! reused legs; matches are byte ranges of that text. Nothing allocates once warm.
//!
//! Paths: `$`, `.key`, `."quoted.key"`, `.*`, `[n]`, `[*]`, `[last]`, `[last-n]`. In 4.x a
//! `.key` leg does not descend into arrays, an invalid path raises an error, and several
//! paths (or a wildcard) give a JSON array of the matches; the rapidjson flavour maps a
//! `.key` leg over an array's elements and treats an invalid path as NULL.
//! Sources: Doris docs `json-extract.md`, `json-extract-string.md`, `json-extract-int.md`,
//! 2.1 `get-json-string.md`; BE `function_json.cpp` (2.1) and `function_jsonb.cpp` (4.x).

use super::JsonBufs;
use super::cast;
use super::eval::{Args, Cx};
use super::fmt::{push_g, push_int};
use super::value::{Out, Value, View};
use super::{Func, Node};
use crate::convert::json::{JsonOutput, escape_into, unescape, write_json_with};

/// One step of a JSON path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leg {
    /// `.key` / `."key"`: a byte range of the path text.
    Key(usize, usize),
    /// `.*`
    AnyKey,
    /// `[n]`
    Index(u64),
    /// `[last-n]`
    FromLast(u64),
    /// `[*]`
    AnyIndex,
}

/// Parses a path into `legs`; false when it is not a valid path.
pub(crate) fn parse_path(p: &[u8], legs: &mut Vec<Leg>) -> bool {
    legs.clear();
    let p_len = p.len();
    let mut i = 0;
    while i < p_len && p[i] == b' ' {
        i += 1;
    }
    if p.get(i) != Some(&b'$') {
        return false;
    }
    i += 1;
    while i < p_len {
        match p[i] {
            b' ' => i += 1,
            b'.' => {
                i += 1;
                match p.get(i) {
                    Some(b'*') => {
                        legs.push(Leg::AnyKey);
                        i += 1;
                    }
                    Some(b'"') => {
                        let start = i + 1;
                        let Some(len) = p[start..].iter().position(|b| *b == b'"') else {
                            return false;
                        };
                        legs.push(Leg::Key(start, start + len));
                        i = start + len + 1;
                    }
                    Some(_) => {
                        let start = i;
                        while i < p_len && !matches!(p[i], b'.' | b'[' | b'"' | b' ') {
                            i += 1;
                        }
                        if i == start || p[start..i].contains(&b']') {
                            return false;
                        }
                        legs.push(Leg::Key(start, i));
                    }
                    None => return false,
                }
            }
            b'[' => {
                let Some(len) = p[i + 1..].iter().position(|b| *b == b']') else {
                    return false;
                };
                let inner = trim_spaces(&p[i + 1..i + 1 + len]);
                i = i + 2 + len;
                if inner == b"*" {
                    legs.push(Leg::AnyIndex);
                } else if let Some(rest) = inner.strip_prefix(b"last") {
                    let rest = trim_spaces(rest);
                    if rest.is_empty() {
                        legs.push(Leg::FromLast(0));
                    } else if let Some(n) = rest.strip_prefix(b"-") {
                        match parse_u64(trim_spaces(n)) {
                            Some(n) => legs.push(Leg::FromLast(n)),
                            None => return false,
                        }
                    } else {
                        return false;
                    }
                } else {
                    match parse_u64(inner) {
                        Some(n) => legs.push(Leg::Index(n)),
                        None => return false,
                    }
                }
            }
            _ => return false,
        }
    }
    true
}

fn trim_spaces(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' '] = s {
        s = rest;
    }
    s
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) || s.len() > 18 {
        return None;
    }
    let mut v = 0u64;
    for &d in s {
        v = v * 10 + (d - b'0') as u64;
    }
    Some(v)
}

/// Whether any leg is a wildcard.
fn has_wildcard(legs: &[Leg]) -> bool {
    legs.iter()
        .any(|l| matches!(l, Leg::AnyKey | Leg::AnyIndex))
}

/// Index after the string starting at `t[i] == '"'`.
fn skip_string(t: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < t.len() {
        match t[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    t.len()
}

/// Index after the value starting at `t[i]` (compact, valid text).
fn skip_value(t: &[u8], i: usize) -> usize {
    match t.get(i) {
        Some(b'"') => skip_string(t, i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < t.len() {
                match t[j] {
                    b'"' => {
                        j = skip_string(t, j);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            t.len()
        }
        Some(_) => {
            let mut j = i;
            while j < t.len() && !matches!(t[j], b',' | b']' | b'}') {
                j += 1;
            }
            j
        }
        None => i,
    }
}

/// Whether the raw (escaped) key body equals `want`.
fn key_eq(raw: &[u8], want: &[u8], tmp: &mut Vec<u8>) -> bool {
    if !raw.contains(&b'\\') {
        return raw == want;
    }
    tmp.clear();
    unescape(raw, tmp).is_some() && tmp.as_slice() == want
}

struct Walk<'a> {
    t: &'a [u8],
    path: &'a [u8],
    broadcast: bool,
    broadcasted: bool,
}

impl Walk<'_> {
    fn walk(&mut self, i: usize, legs: &[Leg], out: &mut Vec<(usize, usize)>, key: &mut Vec<u8>) {
        let t = self.t;
        if i >= t.len() {
            return;
        }
        let Some((leg, rest)) = legs.split_first() else {
            out.push((i, skip_value(t, i)));
            return;
        };
        match *leg {
            Leg::Key(a, b) if t.get(i) == Some(&b'{') => {
                let path = self.path;
                let want = &path[a..b];
                self.members(
                    i,
                    |w, k, v, out, key| {
                        if key_eq(k, want, key) {
                            w.walk(v, rest, out, key);
                        }
                    },
                    out,
                    key,
                );
            }
            Leg::AnyKey if t.get(i) == Some(&b'{') => {
                self.members(i, |w, _, v, out, key| w.walk(v, rest, out, key), out, key);
            }
            Leg::Key(..) | Leg::AnyKey if self.broadcast && t.get(i) == Some(&b'[') => {
                self.broadcasted = true;
                let mut j = i + 1;
                while j < t.len() && t[j] != b']' {
                    let end = skip_value(t, j);
                    if t[j] == b'{' {
                        self.walk(j, legs, out, key);
                    }
                    j = end;
                    if t.get(j) == Some(&b',') {
                        j += 1;
                    }
                }
            }
            Leg::Index(_) | Leg::FromLast(_) | Leg::AnyIndex if t.get(i) == Some(&b'[') => {
                let count = self.count_elements(i);
                let want = match *leg {
                    Leg::Index(n) => Some(n),
                    Leg::FromLast(n) => (count as u64).checked_sub(1 + n),
                    _ => None,
                };
                if !matches!(leg, Leg::AnyIndex) && want.is_none_or(|w| w >= count as u64) {
                    return;
                }
                let mut j = i + 1;
                let mut k = 0u64;
                while j < t.len() && t[j] != b']' {
                    let end = skip_value(t, j);
                    if want.is_none() || want == Some(k) {
                        self.walk(j, rest, out, key);
                        if want.is_some() {
                            return;
                        }
                    }
                    k += 1;
                    j = end;
                    if t.get(j) == Some(&b',') {
                        j += 1;
                    }
                }
            }
            _ => {}
        }
    }

    fn count_elements(&self, i: usize) -> usize {
        let t = self.t;
        let mut j = i + 1;
        let mut n = 0;
        while j < t.len() && t[j] != b']' {
            j = skip_value(t, j);
            n += 1;
            if t.get(j) == Some(&b',') {
                j += 1;
            }
        }
        n
    }

    fn members(
        &mut self,
        i: usize,
        mut f: impl FnMut(&mut Self, &[u8], usize, &mut Vec<(usize, usize)>, &mut Vec<u8>),
        out: &mut Vec<(usize, usize)>,
        key: &mut Vec<u8>,
    ) {
        let t = self.t;
        let mut j = i + 1;
        while j < t.len() && t[j] == b'"' {
            let kend = skip_string(t, j);
            let raw = &t[j + 1..kend.saturating_sub(1).max(j + 1)];
            // ':' follows the key in compact text.
            let v = kend + 1;
            let vend = skip_value(t, v);
            f(self, raw, v, out, key);
            j = vend;
            if t.get(j) == Some(&b',') {
                j += 1;
            }
        }
    }
}

/// Writes the matches: one value as itself, several (or any from a wildcard) as an array.
fn write_matches(t: &[u8], matches: &[(usize, usize)], as_array: bool, buf: &mut Vec<u8>) {
    if matches.len() == 1 && !as_array {
        let (a, b) = matches[0];
        buf.extend_from_slice(&t[a..b]);
        return;
    }
    buf.push(b'[');
    for (k, &(a, b)) in matches.iter().enumerate() {
        if k > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(&t[a..b]);
    }
    buf.push(b']');
}

/// Parses `text` as one JSON document and appends it in JSONB's canonical printing (the same
/// text as `write_json(.., JsonOutput::Canonical, ..)`: strings re-escaped, integers as
/// integers, other numbers `%.15g`), without allocating once the buffers are warm. False
/// (with `out` unchanged) when the text is not JSON.
pub(crate) fn canonicalize(text: &[u8], out: &mut Vec<u8>, bufs: &mut JsonBufs) -> bool {
    bufs.compact.clear();
    if !write_json_with(
        text,
        JsonOutput::Compact,
        &mut bufs.compact,
        &mut bufs.scratch,
    ) {
        return false;
    }
    let c = &bufs.compact;
    let mark = out.len();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            b'"' => {
                let end = skip_string(c, i);
                let body = &c[i + 1..end.saturating_sub(1).max(i + 1)];
                if body.contains(&b'\\') {
                    bufs.unescaped.clear();
                    if unescape(body, &mut bufs.unescaped).is_none() {
                        out.truncate(mark);
                        return false;
                    }
                    out.push(b'"');
                    escape_into(&bufs.unescaped, out);
                    out.push(b'"');
                } else {
                    out.extend_from_slice(&c[i..end]);
                }
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                let mut end = i;
                while end < c.len() && !matches!(c[end], b',' | b']' | b'}') {
                    end += 1;
                }
                canonical_number(&c[i..end], out);
                i = end;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    true
}

/// JSONB number printing: integers that fit 128 bits as integers, others as `%.15g`.
fn canonical_number(tok: &[u8], out: &mut Vec<u8>) {
    let s = std::str::from_utf8(tok).unwrap_or("0");
    let integral = !tok.iter().any(|b| matches!(b, b'.' | b'e' | b'E'));
    if integral && let Ok(v) = s.parse::<i128>() {
        push_int(v, out);
        return;
    }
    let v: f64 = s.parse().unwrap_or(0.0);
    if v.is_finite() {
        push_g(v, 15, out);
    } else {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
    }
}

/// Validates a constant path for the compiler.
pub(crate) fn valid_path(p: &[u8]) -> bool {
    let mut legs = Vec::new();
    parse_path(p, &mut legs)
}

fn path_error(p: &[u8]) -> String {
    format!(
        "[INVALID_ARGUMENT]Json path error: Invalid Json Path for value: {}",
        String::from_utf8_lossy(p)
    )
}

pub(crate) fn call(f: Func, node: &Node, args: &Args<'_>, out: &mut Out<'_>, cx: &mut Cx<'_>) {
    if f == Func::JsonUnquote {
        let Some(s) = args.get(0).as_bytes() else {
            out.null();
            return;
        };
        let buf = out.str();
        if s.len() >= 2 && s[0] == b'"' && s[s.len() - 1] == b'"' {
            let mark = buf.len();
            if unescape(&s[1..s.len() - 1], buf).is_some() {
                return;
            }
            buf.truncate(mark);
        }
        buf.extend_from_slice(s);
        return;
    }
    let rapid = matches!(
        f,
        Func::GetJsonString | Func::GetJsonInt | Func::GetJsonDouble
    );
    let v0 = args.get(0);
    if v0.is_null() {
        out.null();
        return;
    }
    for i in 1..args.len() {
        if args.get(i).is_null() {
            out.null();
            return;
        }
    }
    let tmp = &mut *cx.tmp;
    // rapidjson's `$` alone returns the input unchanged, not even parsed.
    if rapid && f == Func::GetJsonString {
        let p = args.get(1).as_bytes().unwrap_or(b"");
        if trim_spaces(p) == b"$" {
            if let Some(b) = v0.as_bytes() {
                out.str().extend_from_slice(b);
            } else {
                out.null();
            }
            return;
        }
    }
    let doc: &[u8] = match v0 {
        View::Json(b) => b,
        View::Str(b) => {
            tmp.doc.clear();
            let mode = if rapid {
                JsonOutput::Compact
            } else {
                JsonOutput::Canonical
            };
            let ok = match mode {
                JsonOutput::Canonical => canonicalize(b, &mut tmp.doc, &mut tmp.json),
                JsonOutput::Compact => {
                    write_json_with(b, mode, &mut tmp.doc, &mut tmp.json.scratch)
                }
            };
            if !ok {
                out.null();
                return;
            }
            &tmp.doc
        }
        _ => {
            out.null();
            return;
        }
    };
    tmp.matches.clear();
    let mut as_array = args.len() > 2;
    let mut broadcasted = false;
    for i in 1..args.len() {
        let p = args.get(i).as_bytes().unwrap_or(b"");
        if !parse_path(p, &mut tmp.legs) {
            out.null();
            if !rapid {
                cx.raise(|| path_error(p));
            }
            return;
        }
        if has_wildcard(&tmp.legs) {
            as_array = true;
        }
        let mut w = Walk {
            t: doc,
            path: p,
            broadcast: rapid,
            broadcasted: false,
        };
        w.walk(0, &tmp.legs, &mut tmp.matches, &mut tmp.key);
        broadcasted |= w.broadcasted;
    }
    if tmp.matches.is_empty() {
        out.null();
        return;
    }
    let as_array = as_array || (broadcasted && rapid);
    let single = (tmp.matches.len() == 1 && !as_array).then(|| {
        let (a, b) = tmp.matches[0];
        &doc[a..b]
    });
    match f {
        Func::JsonExtract => write_matches(doc, &tmp.matches, as_array, out.json()),
        Func::JsonExtractString | Func::GetJsonString => match single {
            Some(v) if v.first() == Some(&b'"') && v.len() >= 2 => {
                let buf = out.str();
                if unescape(&v[1..v.len() - 1], buf).is_none() {
                    buf.clear();
                    buf.extend_from_slice(v);
                }
            }
            // JSON null: the text `null` in 4.x, SQL NULL with rapidjson.
            Some(b"null") if rapid => out.null(),
            _ => write_matches(doc, &tmp.matches, as_array, out.str()),
        },
        Func::JsonExtractInt | Func::JsonExtractDouble => {
            let Some(v) = single else {
                out.null();
                return;
            };
            let view = View::Json(v);
            match f {
                Func::JsonExtractDouble => match cast::to_f64(view, false, cx.env) {
                    Some(d) => out.set(Value::Float(d)),
                    None => out.null(),
                },
                _ => {
                    let (lo, hi) = node
                        .ty
                        .integer_range()
                        .unwrap_or((i32::MIN as i128, i32::MAX as i128));
                    match cast::to_int(view, lo, hi, cx.env) {
                        Some(i) => out.set(Value::Int(i)),
                        None => out.null(),
                    }
                }
            }
        }
        Func::GetJsonInt => {
            // rapidjson IsInt() (int32) / IsInt64() (BIGINT): integer tokens only.
            let r = single.filter(|v| is_int_token(v)).and_then(|v| {
                let (lo, hi) = node
                    .ty
                    .integer_range()
                    .unwrap_or((i32::MIN as i128, i32::MAX as i128));
                std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.parse::<i128>().ok())
                    .filter(|i| (lo..=hi).contains(i))
            });
            match r {
                Some(i) => out.set(Value::Int(i)),
                None => out.null(),
            }
        }
        Func::GetJsonDouble => {
            // IsInt() → as double; IsDouble() (a fraction, an exponent, or an integer beyond
            // 64 bits) → the value; other integers (IsInt64 only) and non-numbers → NULL.
            let r = single.and_then(|v| {
                let s = std::str::from_utf8(v).ok()?;
                if !matches!(v.first(), Some(b'-' | b'0'..=b'9')) {
                    return None;
                }
                if is_int_token(v) {
                    return match s.parse::<i128>() {
                        Ok(i) if (i32::MIN as i128..=i32::MAX as i128).contains(&i) => {
                            Some(i as f64)
                        }
                        Ok(i) if (i64::MIN as i128..=u64::MAX as i128).contains(&i) => None,
                        _ => s.parse::<f64>().ok(),
                    };
                }
                s.parse::<f64>().ok()
            });
            match r {
                Some(d) => out.set(Value::Float(d)),
                None => out.null(),
            }
        }
        _ => out.null(),
    }
}

fn is_int_token(v: &[u8]) -> bool {
    let d = v.strip_prefix(b"-").unwrap_or(v);
    !d.is_empty() && d.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(doc: &str, path: &str, rapid: bool) -> Option<String> {
        let mut legs = Vec::new();
        if !parse_path(path.as_bytes(), &mut legs) {
            return None;
        }
        let mut out = Vec::new();
        let mut key = Vec::new();
        let mut w = Walk {
            t: doc.as_bytes(),
            path: path.as_bytes(),
            broadcast: rapid,
            broadcasted: false,
        };
        w.walk(0, &legs, &mut out, &mut key);
        if out.is_empty() {
            return None;
        }
        let mut buf = Vec::new();
        write_matches(
            doc.as_bytes(),
            &out,
            has_wildcard(&legs) || w.broadcasted,
            &mut buf,
        );
        Some(String::from_utf8(buf).unwrap())
    }

    #[test]
    fn canonical_matches_shared_writer() {
        use crate::convert::json::write_json;
        for doc in [
            r#"{ "a" : [1.50, 2E3, -0.0, 1e400, 12345678901234567890123], "b\n": "x\u00e9\/y" }"#,
            "null",
            " true ",
            r#""\\""#,
            "[]",
            "3.141592653589793",
            "{\"a\":}",
        ] {
            let mut a = Vec::new();
            let ok_a = write_json(doc.as_bytes(), JsonOutput::Canonical, &mut a);
            let mut b = Vec::new();
            let ok_b = canonicalize(doc.as_bytes(), &mut b, &mut JsonBufs::default());
            assert_eq!(ok_a, ok_b, "{doc}");
            assert_eq!(
                String::from_utf8(a).unwrap(),
                String::from_utf8(b).unwrap(),
                "{doc}"
            );
        }
    }

    #[test]
    fn paths() {
        let d = r#"{"k1":"v31","k2":300,"a":{"b":[1,2,{"c":"x"}]},"my.key":[1,2,3]}"#;
        assert_eq!(find(d, "$.k1", false).as_deref(), Some("\"v31\""));
        assert_eq!(find(d, "$.k2", false).as_deref(), Some("300"));
        assert_eq!(find(d, "$.a.b[2].c", false).as_deref(), Some("\"x\""));
        assert_eq!(
            find(d, "$.a.b[last]", false).as_deref(),
            Some("{\"c\":\"x\"}")
        );
        assert_eq!(find(d, "$.a.b[last-2]", false).as_deref(), Some("1"));
        assert_eq!(find(d, "$.\"my.key\"[1]", false).as_deref(), Some("2"));
        assert_eq!(
            find(d, "$.a.b[*]", false).as_deref(),
            Some("[1,2,{\"c\":\"x\"}]")
        );
        assert_eq!(find(d, "$.nope", false), None);
        assert_eq!(find(d, "$", false).as_deref(), Some(d));
        assert_eq!(find(r#"[{"k":1},{"k":2},3]"#, "$.k", false), None);
        assert_eq!(
            find(r#"[{"k":1},{"k":2},3]"#, "$.k", true).as_deref(),
            Some("[1,2]")
        );
        assert!(!valid_path(b"a.b"));
        assert!(!valid_path(b"$.a["));
        assert!(!valid_path(b"$.a[x]"));
        assert!(valid_path(b"$"));
    }
}
