//! Text → ARRAY / MAP / STRUCT elements, as Doris 4.x's non-strict CAST from string splits
//! them. Each element is then converted with its own type's rule by the caller; an element
//! that fails becomes a NULL element (the container stays non-NULL, so strict mode never
//! filters a row for it). A malformed container is a conversion failure.
//!
//! Source: Doris docs `sql-data-types/conversion/{array,map,struct}-conversion.md` (4.0):
//! - ARRAY: exactly `[` ... `]` (no surrounding whitespace), elements split on `,` at depth 0
//!   outside quotes, each trimmed; matching `'...'` / `"..."` quotes removed; an unquoted
//!   `null` is a NULL element; `[]` is empty; `[,,]` is three NULL elements.
//! - MAP: `{k:v, ...}` with the same element rules for keys and values.
//! - STRUCT: `{...}` holding either only `name:value` pairs or only values; names must match
//!   the fields in count and order, else the whole value is NULL.

use crate::convert::number::trim_ws;

/// One element of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element<'a> {
    /// An unquoted `null`.
    Null,
    /// The element text, trimmed, quotes removed.
    Text(&'a [u8]),
}

/// Splits `s` on `sep` at depth 0, outside quotes.
fn split_top<'a>(s: &'a [u8], sep: u8, out: &mut Vec<&'a [u8]>) -> Option<()> {
    let mut depth = 0i32;
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == q {
                quote = None;
            }
            continue;
        }
        match b {
            b'"' | b'\'' => quote = Some(b),
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            _ if b == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quote.is_some() || depth != 0 {
        return None;
    }
    out.push(&s[start..]);
    Some(())
}

fn element(raw: &[u8]) -> Element<'_> {
    let t = trim_ws(raw);
    if t.len() >= 2 {
        let (f, l) = (t[0], t[t.len() - 1]);
        if (f == b'"' || f == b'\'') && f == l {
            return Element::Text(&t[1..t.len() - 1]);
        }
    }
    if t.eq_ignore_ascii_case(b"null") {
        return Element::Null;
    }
    Element::Text(t)
}

/// Splits ARRAY text into elements.
pub fn split_array<'a>(text: &'a [u8], out: &mut Vec<Element<'a>>) -> Option<()> {
    out.clear();
    let inner = text.strip_prefix(b"[")?.strip_suffix(b"]")?;
    if inner.is_empty() {
        return Some(());
    }
    let mut parts = Vec::new();
    split_top(inner, b',', &mut parts)?;
    out.extend(parts.into_iter().map(element));
    Some(())
}

/// Splits MAP text into key / value elements.
pub fn split_map<'a>(text: &'a [u8], out: &mut Vec<(Element<'a>, Element<'a>)>) -> Option<()> {
    out.clear();
    let inner = text.strip_prefix(b"{")?.strip_suffix(b"}")?;
    if trim_ws(inner).is_empty() {
        return Some(());
    }
    let mut entries = Vec::new();
    split_top(inner, b',', &mut entries)?;
    let mut kv = Vec::with_capacity(2);
    for entry in entries {
        kv.clear();
        split_top(entry, b':', &mut kv)?;
        if kv.len() != 2 {
            return None;
        }
        out.push((element(kv[0]), element(kv[1])));
    }
    Some(())
}

/// Splits STRUCT text into one element per field (`field_names` in declaration order).
pub fn split_struct<'a>(
    text: &'a [u8],
    field_names: &[&str],
    out: &mut Vec<Element<'a>>,
) -> Option<()> {
    out.clear();
    let inner = text.strip_prefix(b"{")?.strip_suffix(b"}")?;
    let mut entries = Vec::new();
    if !trim_ws(inner).is_empty() {
        split_top(inner, b',', &mut entries)?;
    }
    if entries.len() != field_names.len() {
        return None;
    }
    let mut kv = Vec::with_capacity(2);
    let mut named: Option<bool> = None;
    for (entry, name) in entries.into_iter().zip(field_names) {
        kv.clear();
        split_top(entry, b':', &mut kv)?;
        let is_named = kv.len() == 2;
        if kv.len() > 2 || named.is_some_and(|n| n != is_named) {
            return None;
        }
        named = Some(is_named);
        if is_named {
            let key = match element(kv[0]) {
                Element::Text(k) => k,
                Element::Null => return None,
            };
            if !key.eq_ignore_ascii_case(name.as_bytes()) {
                return None;
            }
            out.push(element(kv[1]));
        } else {
            out.push(element(kv[0]));
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(s: &str) -> Option<Vec<Option<String>>> {
        let mut out = Vec::new();
        split_array(s.as_bytes(), &mut out)?;
        Some(
            out.into_iter()
                .map(|e| match e {
                    Element::Null => None,
                    Element::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                })
                .collect(),
        )
    }

    // Doris docs array-conversion (4.0).
    #[test]
    fn arrays() {
        assert_eq!(arr("[]"), Some(vec![]));
        assert_eq!(
            arr("[1, 2,3]"),
            Some(vec![Some("1".into()), Some("2".into()), Some("3".into())])
        );
        assert_eq!(arr("[,,]"), Some(vec![Some("".into()); 3]));
        assert_eq!(
            arr("[\"a,b\", null, 'c']"),
            Some(vec![Some("a,b".into()), None, Some("c".into())])
        );
        assert_eq!(
            arr("[[1,2],[3]]"),
            Some(vec![Some("[1,2]".into()), Some("[3]".into())])
        );
        assert_eq!(arr("  []"), None);
        assert_eq!(arr("[1,2"), None);
        assert_eq!(arr("[\"a]"), None);
    }

    #[test]
    fn maps() {
        let mut out = Vec::new();
        assert!(split_map(b"{\"a\": 1, \"b\":2}", &mut out).is_some());
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], (Element::Text(b"a"), Element::Text(b"1")));
        assert!(split_map(b"{1:2 ,34, 5:6}", &mut out).is_none());
        assert!(split_map(b"{}", &mut out).is_some() && out.is_empty());
    }

    // STRUCT names must match in count and order.
    #[test]
    fn structs() {
        let mut out = Vec::new();
        let f = ["a", "b"];
        assert!(split_struct(b"{\"a\":1,\"b\":3.14}", &f, &mut out).is_some());
        assert_eq!(out, vec![Element::Text(b"1"), Element::Text(b"3.14")]);
        assert!(split_struct(b"{1, 3.14}", &f, &mut out).is_some());
        assert!(split_struct(b"{\"b\":1,\"a\":1}", &f, &mut out).is_none());
        assert!(split_struct(b"{\"a\":1}", &f, &mut out).is_none());
        assert!(split_struct(b"{\"a\":1, 2}", &f, &mut out).is_none());
    }
}
