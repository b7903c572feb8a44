//! Doris's `jsonpaths` and `json_root`: parsing the property as Doris's BE does, and finding a
//! path's value on a simd-json tape.
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

use simd_json::Node;
#[cfg(test)]
use simd_json::StaticNode;

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

/// Number of tape nodes the value at `i` occupies.
#[inline]
pub(crate) fn node_span(tape: &[Node<'_>], i: usize) -> usize {
    match tape[i] {
        Node::Object { count, .. } | Node::Array { count, .. } => count + 1,
        _ => 1,
    }
}

/// Finds `key` in the object at `obj` (first match wins). Returns the value's node index.
#[inline]
pub(crate) fn find_key(tape: &[Node<'_>], obj: usize, key: &[u8]) -> Option<usize> {
    let Node::Object { len, .. } = tape[obj] else {
        return None;
    };
    let mut i = obj + 1;
    for _ in 0..len {
        let value = i + 1;
        if let Node::String(k) = tape[i]
            && k.as_bytes() == key
        {
            return Some(value);
        }
        i = value + node_span(tape, value);
    }
    None
}

/// The `n`-th element of the array at `arr`.
fn array_element(tape: &[Node<'_>], arr: usize, n: usize) -> Option<usize> {
    let Node::Array { len, .. } = tape[arr] else {
        return None;
    };
    if n >= len {
        return None;
    }
    let mut i = arr + 1;
    for _ in 0..n {
        i += node_span(tape, i);
    }
    Some(i)
}

/// Evaluates `path` against the object at node `start`.
pub(crate) fn evaluate(
    tape: &[Node<'_>],
    start: usize,
    path: &JsonPath,
) -> Result<Found, PathError> {
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
        let Some(v) = find_key(tape, cur, &step.key) else {
            return Ok(Found::Missing);
        };
        cur = v;
        match step.index {
            Index::None => {}
            Index::Wildcard => return Ok(Found::Missing),
            Index::At(n) => match array_element(tape, cur, n) {
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
        let mut doc =
            br#"{"a":{"b":[10,{"c":"x"}]},"k.d":5,"arr":[1,2,3],"n":null,"s":"str"}"#.to_vec();
        let tape = simd_json::to_tape(&mut doc).unwrap();
        let t = &tape.0;
        let get = |p: &str| evaluate(t, 0, &steps(p));
        assert!(
            matches!(get("$.a.b[0]"), Ok(Found::Node(i)) if t[i] == Node::Static(StaticNode::U64(10)))
        );
        assert!(matches!(get("$.a.b[1].c"), Ok(Found::Node(i)) if t[i] == Node::String("x")));
        assert!(matches!(get("$.\"k.d\""), Ok(Found::Node(_))));
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
