//! Doris's `jsonpaths` and `json_root`: parsing the property as Doris's BE does, and finding a
//! path's value on the reader's span tape ([`super::jsontape`]).
//!
//! Parsing (BE `JsonFunctions::parse_json_paths` / `get_parsed_paths`): the property is a JSON
//! array of strings, else the load fails with `[INVALID_JSON_PATH]Invalid json path: <value>`.
//! Each path splits on `.`; `"` groups text (so `$."a.b"` is one key) and `\\`, `\"`, `\n` are
//! the only escapes. The first token should be `$`; it is never checked again (so `x.a` works
//! like `$.a`). Later tokens are `key` or `key[n]` or `key[*]`; anything else is an invalid
//! element. In 4.x a path that is exactly `$` means `$.`, the whole message.
//!
//! Evaluation (BE `extract_from_object`): keys match exactly (bytes, case-sensitive), the first
//! duplicate wins; a missing key, an index out of bounds, `[*]`, or walking into a scalar all
//! mean "not found" (the column takes its DEFAULT or NULL). A path with fewer than two tokens
//! is `empty json path`, an invalid element `invalid json path: `; both reject the row.

use super::jsontape::{ESCAPED, Kind, Node, decode_escape};

#[cfg(test)]
use routinely_schemas::version::DorisVersion;
use routinely_schemas::version::{DollarPath, VersionRules};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathElement {
    /// Object key to look up.
    pub key: Vec<u8>,
    /// Array index after the key: `Some(n)` for `[n]`, `Some(-2)`-like `Wildcard` handled as
    /// not found.
    pub index: Index,
    /// Whether the token matched Doris's element pattern.
    pub valid: bool,
}

/// An array index after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Index {
    /// No index.
    None,
    /// `[n]`.
    At(usize),
    /// `[*]`: Doris's simdjson reader treats it as out of bounds.
    Wildcard,
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JsonPath {
    /// `$.` (and `$` in 4.x): the whole message.
    Root,
    /// Fewer than two tokens (`$` in 2.1 / 3.0, `s`, empty): every row is rejected.
    Empty,
    /// Keys and indexes after `$`.
    Steps(Vec<PathElement>),
}

/// Where a path led.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// A tape node index.
    Node(usize),
    /// The whole message.
    Root,
    /// Nothing there: DEFAULT or NULL.
    Missing,
}

/// A path that cannot be evaluated; the row is rejected with this reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathError {
    /// `[DATA_QUALITY_ERROR]empty json path`.
    Empty,
    /// `[DATA_QUALITY_ERROR]invalid json path: `.
    Invalid,
}

impl PathError {
    /// Doris's reason text.
    pub fn reason(self) -> &'static str {
        match self {
            PathError::Empty => "[DATA_QUALITY_ERROR]empty json path",
            PathError::Invalid => "[DATA_QUALITY_ERROR]invalid json path: ",
        }
    }
}

/// Splits a path into tokens with boost's `escaped_list_separator("\\", ".", "\"")`.
fn tokenize(path: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut tokens = Vec::new();
    if path.is_empty() {
        return Ok(tokens);
    }
    let mut cur = Vec::new();
    let mut quoted = false;
    let mut bytes = path.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'\\' => match bytes.next() {
                Some(b'\\') => cur.push(b'\\'),
                Some(b'"') => cur.push(b'"'),
                Some(b'n') => cur.push(b'\n'),
                Some(other) => {
                    return Err(format!(
                        "meet error unknown escape sequence \\{} in {path}",
                        other as char
                    ));
                }
                None => return Err(format!("meet error cannot end with escape in {path}")),
            },
            b'"' => quoted = !quoted,
            b'.' if !quoted => tokens.push(std::mem::take(&mut cur)),
            _ => cur.push(b),
        }
    }
    tokens.push(cur);
    Ok(tokens)
}

/// `^([^"\[\]]*)(?:\[([0-9]+|\*)\])?$` on one token.
fn parse_element(token: Vec<u8>) -> PathElement {
    let invalid = || PathElement {
        key: Vec::new(),
        index: Index::None,
        valid: false,
    };
    let key_end = token
        .iter()
        .position(|b| matches!(b, b'"' | b'[' | b']'))
        .unwrap_or(token.len());
    let rest = &token[key_end..];
    let index = if rest.is_empty() {
        Index::None
    } else {
        let Some(inner) = rest.strip_prefix(b"[").and_then(|r| r.strip_suffix(b"]")) else {
            return invalid();
        };
        if inner == b"*" {
            Index::Wildcard
        } else if !inner.is_empty() && inner.iter().all(u8::is_ascii_digit) {
            match std::str::from_utf8(inner).ok().and_then(|s| s.parse().ok()) {
                Some(n) => Index::At(n),
                None => return invalid(),
            }
        } else {
            return invalid();
        }
    };
    PathElement {
        key: token[..key_end].to_vec(),
        index,
        valid: true,
    }
}

/// Parses one path string.
pub(crate) fn parse_path(path: &str, rules: &VersionRules) -> Result<JsonPath, String> {
    let path = if rules.dollar_path == DollarPath::WholeDocument && path == "$" {
        "$."
    } else {
        path
    };
    let tokens = tokenize(path)?;
    if tokens.len() <= 1 {
        return Ok(JsonPath::Empty);
    }
    // `$.` is [$, ""]: the root.
    if tokens.len() == 2 && tokens[0] == b"$" && tokens[1].is_empty() {
        return Ok(JsonPath::Root);
    }
    Ok(JsonPath::Steps(
        tokens.into_iter().skip(1).map(parse_element).collect(),
    ))
}

/// Parses the `jsonpaths` property.
pub(crate) fn parse_jsonpaths(
    property: &str,
    rules: &VersionRules,
) -> Result<Vec<JsonPath>, String> {
    let invalid = || format!("[INVALID_JSON_PATH]Invalid json path: {property}");
    let value: serde_json::Value = serde_json::from_str(property).map_err(|_| invalid())?;
    let items = value.as_array().ok_or_else(invalid)?;
    items
        .iter()
        .map(|item| {
            let s = item.as_str().ok_or_else(invalid)?;
            parse_path(s, rules).map_err(|e| format!("[INVALID_JSON_PATH]{e}"))
        })
        .collect()
}

/// A parsed document: its text and its span tape.
#[derive(Clone, Copy)]
pub(crate) struct Doc<'a> {
    /// The document's bytes.
    pub text: &'a [u8],
    /// Its nodes.
    pub nodes: &'a [Node],
}

impl Doc<'_> {
    /// Number of tape nodes the value at `i` occupies.
    #[inline]
    pub fn span(&self, i: usize) -> usize {
        self.nodes[i].span()
    }

    /// Whether the string node `k` holds exactly `key` once unescaped.
    #[inline]
    fn key_is(&self, k: &Node, key: &[u8]) -> bool {
        let tok = &self.text[k.start as usize..k.end as usize];
        if k.flags & ESCAPED == 0 {
            return short_eq(&tok[1..tok.len() - 1], key);
        }
        key_matches_escaped(tok, key)
    }

    /// Whether the key at node `k` is `key`.
    #[inline]
    pub fn key_node_is(&self, k: usize, key: &[u8]) -> bool {
        self.key_is(&self.nodes[k], key)
    }

    /// Finds `key` in the object at `obj` (first match wins). Returns the value's node index.
    #[inline]
    pub fn find_key(&self, obj: usize, key: &[u8]) -> Option<usize> {
        let node = &self.nodes[obj];
        if node.kind != Kind::Object {
            return None;
        }
        let mut i = obj + 1;
        for _ in 0..node.len {
            let value = i + 1;
            if self.key_is(&self.nodes[i], key) {
                return Some(value);
            }
            i = value + self.span(value);
        }
        None
    }

    /// The `n`-th element of the array at `arr`.
    fn array_element(&self, arr: usize, n: usize) -> Option<usize> {
        let node = &self.nodes[arr];
        if node.kind != Kind::Array || n >= node.len as usize {
            return None;
        }
        let mut i = arr + 1;
        for _ in 0..n {
            i += self.span(i);
        }
        Some(i)
    }
}

/// `a == b`, for keys: up to 16 bytes compared as two overlapping words instead of a call to
/// `memcmp` (which showed at 1.5% of the row path matching the seed job's keys).
#[inline(always)]
pub(crate) fn short_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| -> u64 {
        s.get(at..at + 8)
            .and_then(|w| w.try_into().ok())
            .map_or(0, u64::from_le_bytes)
    };
    let half = |s: &[u8], at: usize| -> u32 {
        s.get(at..at + 4)
            .and_then(|w| w.try_into().ok())
            .map_or(0, u32::from_le_bytes)
    };
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a == b,
    }
}

/// Compares an escaped string token with `key` without allocating, escape by escape.
fn key_matches_escaped(tok: &[u8], key: &[u8]) -> bool {
    let body = &tok[1..tok.len() - 1];
    let mut rest = key;
    let mut i = 0;
    while i < body.len() {
        let Some(p) = memchr::memchr(b'\\', &body[i..]) else {
            return rest == &body[i..];
        };
        let Some(r) = rest.strip_prefix(&body[i..i + p]) else {
            return false;
        };
        let (bytes, len, next) = decode_escape(body, i + p);
        let Some(r) = r.strip_prefix(&bytes[..len]) else {
            return false;
        };
        rest = r;
        i = next;
    }
    rest.is_empty()
}

/// Evaluates `path` against the object at node `start`.
pub(crate) fn evaluate(doc: &Doc<'_>, start: usize, path: &JsonPath) -> Result<Found, PathError> {
    let steps = match path {
        JsonPath::Root => return Ok(Found::Root),
        JsonPath::Empty => return Err(PathError::Empty),
        JsonPath::Steps(steps) => steps,
    };
    let mut cur = start;
    for step in steps {
        if !step.valid {
            return Err(PathError::Invalid);
        }
        let Some(v) = doc.find_key(cur, &step.key) else {
            return Ok(Found::Missing);
        };
        cur = v;
        match step.index {
            Index::None => {}
            Index::Wildcard => return Ok(Found::Missing),
            Index::At(n) => match doc.array_element(cur, n) {
                Some(e) => cur = e,
                None => return Ok(Found::Missing),
            },
        }
    }
    Ok(Found::Node(cur))
}

/// The first key of a path (for json_root's not-found message).
pub(crate) fn last_key(path: &JsonPath) -> String {
    match path {
        JsonPath::Steps(steps) => steps
            .last()
            .map(|s| String::from_utf8_lossy(&s.key).into_owned())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_eq_is_slice_equality() {
        let texts: Vec<Vec<u8>> = (0..20)
            .flat_map(|n| {
                let base: Vec<u8> = (0..n).map(|k| b'a' + k as u8).collect();
                let mut out = vec![base.clone()];
                for at in 0..n {
                    let mut t = base.clone();
                    t[at] ^= 0x20;
                    out.push(t);
                }
                out
            })
            .collect();
        for a in &texts {
            for b in &texts {
                assert_eq!(short_eq(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    fn steps(p: &str) -> JsonPath {
        parse_path(p, &DorisVersion::V4_0.rules()).unwrap()
    }

    // BE get_parsed_paths: tokens, quoted keys, indexes.
    #[test]
    fn parses_doris_path_syntax() {
        assert_eq!(steps("$"), JsonPath::Root);
        assert_eq!(steps("$."), JsonPath::Root);
        assert_eq!(
            parse_path("$", &DorisVersion::V2_1.rules()).unwrap(),
            JsonPath::Empty
        );
        assert_eq!(steps(""), JsonPath::Empty);
        assert_eq!(steps("s"), JsonPath::Empty);
        let JsonPath::Steps(s) = steps("$.a.b[2]") else {
            panic!()
        };
        assert_eq!(s[0].key, b"a");
        assert_eq!(s[1].key, b"b");
        assert_eq!(s[1].index, Index::At(2));
        let JsonPath::Steps(s) = steps("$.\"k.d\"") else {
            panic!()
        };
        assert_eq!(s[0].key, b"k.d");
        let JsonPath::Steps(s) = steps("$.arr[-1]") else {
            panic!()
        };
        assert!(!s[0].valid);
        let JsonPath::Steps(s) = steps("$.arr[*]") else {
            panic!()
        };
        assert_eq!(s[0].index, Index::Wildcard);
        let JsonPath::Steps(s) = steps("x.s") else {
            panic!()
        };
        assert_eq!(s[0].key, b"s");
        assert!(parse_path("$.a\\b", &DorisVersion::V4_0.rules()).is_err());
    }

    #[test]
    fn jsonpaths_property() {
        assert_eq!(
            parse_jsonpaths("[\"$.a\",\"$\"]", &DorisVersion::V4_0.rules())
                .unwrap()
                .len(),
            2
        );
        let err = parse_jsonpaths("[\"$.a\",1]", &DorisVersion::V4_0.rules()).unwrap_err();
        assert_eq!(err, "[INVALID_JSON_PATH]Invalid json path: [\"$.a\",1]");
        assert!(parse_jsonpaths("$.a", &DorisVersion::V4_0.rules()).is_err());
    }

    #[test]
    fn evaluates_on_tape() {
        let text =
            br#"{"a":{"b":[10,{"c":"x"}]},"k.d":5,"arr":[1,2,3],"n":null,"s":"str","e\u0301\n":7}"#;
        let mut tape = super::super::jsontape::JsonTape::default();
        tape.parse(text).unwrap();
        let doc = Doc {
            text,
            nodes: tape.nodes(),
        };
        let get = |p: &str| evaluate(&doc, 0, &steps(p));
        let tok = |r: Result<Found, PathError>| match r {
            Ok(Found::Node(i)) => {
                let n = doc.nodes[i];
                std::str::from_utf8(&text[n.start as usize..n.end as usize])
                    .unwrap()
                    .to_string()
            }
            other => format!("{other:?}"),
        };
        assert_eq!(tok(get("$.a.b[0]")), "10");
        assert_eq!(tok(get("$.a.b[1].c")), "\"x\"");
        assert_eq!(tok(get("$.\"k.d\"")), "5");
        assert_eq!(
            doc.find_key(0, "e\u{301}\n".as_bytes()),
            Some(doc.nodes.len() - 1)
        );
        assert_eq!(doc.find_key(0, "e\u{301}".as_bytes()), None);
        assert_eq!(doc.find_key(0, b"e"), None);
        assert_eq!(get("$.arr[5]"), Ok(Found::Missing));
        assert_eq!(get("$.arr[*]"), Ok(Found::Missing));
        assert_eq!(get("$.s.x"), Ok(Found::Missing));
        assert_eq!(get("$.n.x"), Ok(Found::Missing));
        assert_eq!(get("$.S"), Ok(Found::Missing));
        assert_eq!(get("$.arr[-1]"), Err(PathError::Invalid));
        assert_eq!(get("s"), Err(PathError::Empty));
        assert_eq!(get("$."), Ok(Found::Root));
    }
}
