//! String functions, LIKE and REGEXP.
//!
//! Sources: BE `vec/functions/function_string.h` (`SubstringUtil`, `TrimUtil`, `Trim1Impl`,
//! `TransferImpl`), Doris 4.x docs `substring.md`, `concat-ws.md`, `trim.md`, `ucase.md`,
//! `pattern-matching-operators.md`. Characters are UTF-8 sequences measured by their lead
//! byte as the BE does (invalid bytes count as one character); lengths of LENGTH are bytes.

use super::eval::{Args, Cx};
use super::value::{Out, Value, View};
use super::{Func, Node, Side};
use crate::version::ExprSemantics;

/// Byte length of the UTF-8 sequence starting with `lead` (BE `UTF8_BYTE_LENGTH`).
#[inline]
pub(crate) fn utf8_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

/// Number of characters.
pub(crate) fn char_count(s: &[u8]) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    let mut i = 0;
    let mut n = 0;
    while i < s.len() {
        i += utf8_len(s[i]);
        n += 1;
    }
    n
}

/// Byte offset of character `k` (clamped to the end).
fn char_offset(s: &[u8], k: usize) -> usize {
    if s.is_ascii() {
        return k.min(s.len());
    }
    let mut i = 0;
    let mut n = 0;
    while i < s.len() && n < k {
        i += utf8_len(s[i]);
        n += 1;
    }
    i.min(s.len())
}

/// `substr(s, pos, len)` over characters (`SubstringUtil`).
pub(crate) fn substr(s: &[u8], pos: i128, len: i128) -> &[u8] {
    if s.is_empty() || pos == 0 || len <= 0 {
        return &s[..0];
    }
    let n = char_count(s) as i128;
    let start = if pos > 0 { pos - 1 } else { n + pos };
    if start < 0 || start >= n {
        return &s[..0];
    }
    let end = start.saturating_add(len).min(n);
    let a = char_offset(s, start as usize);
    let b = char_offset(s, end as usize);
    &s[a..b]
}

fn int_arg(v: View<'_>) -> Option<i128> {
    v.as_int()
}

pub(crate) fn call(f: Func, _node: &Node, args: &Args<'_>, out: &mut Out<'_>, cx: &mut Cx<'_>) {
    match f {
        Func::Concat => {
            for i in 0..args.len() {
                if args.get(i).is_null() {
                    out.null();
                    return;
                }
            }
            let buf = out.str();
            for i in 0..args.len() {
                if let Some(b) = args.get(i).as_bytes() {
                    buf.extend_from_slice(b);
                }
            }
        }
        Func::ConcatWs => {
            let Some(sep) = args.get(0).as_bytes() else {
                out.null();
                return;
            };
            let buf = out.str();
            let mut first = true;
            for i in 1..args.len() {
                if let Some(b) = args.get(i).as_bytes() {
                    if !first {
                        buf.extend_from_slice(sep);
                    }
                    buf.extend_from_slice(b);
                    first = false;
                }
            }
        }
        Func::Substr | Func::Left | Func::Right => {
            let Some(s) = args.get(0).as_bytes() else {
                out.null();
                return;
            };
            let Some(a) = int_arg(args.get(1)) else {
                out.null();
                return;
            };
            let piece = match f {
                Func::Substr => {
                    let len = if args.len() > 2 {
                        match int_arg(args.get(2)) {
                            Some(l) => l,
                            None => {
                                out.null();
                                return;
                            }
                        }
                    } else {
                        i32::MAX as i128
                    };
                    substr(s, a, len)
                }
                Func::Left => substr(s, 1, a),
                _ => {
                    // right(s, len): the last `len` characters.
                    if a <= 0 {
                        &s[..0]
                    } else {
                        let n = char_count(s) as i128;
                        if a >= n { s } else { substr(s, -a, a) }
                    }
                }
            };
            out.str().extend_from_slice(piece);
        }
        Func::Upper | Func::Lower => {
            let Some(s) = args.get(0).as_bytes() else {
                out.null();
                return;
            };
            let upper = f == Func::Upper;
            let unicode = cx.env.rules.expr == ExprSemantics::Nereids;
            let buf = out.str();
            change_case(s, upper, unicode, buf);
        }
        Func::Trim(side) => {
            let Some(s) = args.get(0).as_bytes() else {
                out.null();
                return;
            };
            out.str().extend_from_slice(trim_spaces(s, side));
        }
        Func::TrimStr(side) => {
            let (Some(s), Some(r)) = (args.get(0).as_bytes(), args.get(1).as_bytes()) else {
                out.null();
                return;
            };
            out.str().extend_from_slice(trim_str(s, r, side));
        }
        Func::Length => match args.get(0).as_bytes() {
            Some(s) => out.set(Value::Int(s.len() as i128)),
            None => out.null(),
        },
        Func::CharLength => match args.get(0).as_bytes() {
            Some(s) => out.set(Value::Int(char_count(s) as i128)),
            None => out.null(),
        },
        Func::Replace => {
            let (Some(s), Some(old), Some(new)) = (
                args.get(0).as_bytes(),
                args.get(1).as_bytes(),
                args.get(2).as_bytes(),
            ) else {
                out.null();
                return;
            };
            let buf = out.str();
            if old.is_empty() {
                buf.extend_from_slice(s);
                return;
            }
            let mut i = 0;
            while i < s.len() {
                if s[i..].starts_with(old) {
                    buf.extend_from_slice(new);
                    i += old.len();
                } else {
                    buf.push(s[i]);
                    i += 1;
                }
            }
        }
        Func::Reverse => {
            let Some(s) = args.get(0).as_bytes() else {
                out.null();
                return;
            };
            let buf = out.str();
            // Characters keep their bytes; their order is reversed.
            buf.resize(s.len(), 0);
            let mut end = s.len();
            let mut i = 0;
            while i < s.len() {
                let l = utf8_len(s[i]).min(s.len() - i);
                buf[end - l..end].copy_from_slice(&s[i..i + l]);
                end -= l;
                i += l;
            }
        }
        _ => out.null(),
    }
}

/// Removes the space character (only `' '`) from the given side(s).
pub(crate) fn trim_spaces(s: &[u8], side: Side) -> &[u8] {
    let mut a = 0;
    let mut b = s.len();
    if side != Side::Right {
        while a < b && s[a] == b' ' {
            a += 1;
        }
    }
    if side != Side::Left {
        while b > a && s[b - 1] == b' ' {
            b -= 1;
        }
    }
    &s[a..b]
}

/// Removes the whole string `r` repeatedly from the given side(s); empty `r` removes nothing.
pub(crate) fn trim_str<'a>(s: &'a [u8], r: &[u8], side: Side) -> &'a [u8] {
    if r.is_empty() {
        return s;
    }
    let mut a = 0;
    let mut b = s.len();
    if side != Side::Right {
        while b - a >= r.len() && &s[a..a + r.len()] == r {
            a += r.len();
        }
    }
    if side != Side::Left {
        while b - a >= r.len() && &s[b - r.len()..b] == r {
            b -= r.len();
        }
    }
    &s[a..b]
}

/// UPPER / LOWER: Unicode case mapping over valid UTF-8 (4.x), or ASCII only (2.1 / 3.0);
/// invalid bytes are copied unchanged.
fn change_case(s: &[u8], upper: bool, unicode: bool, buf: &mut Vec<u8>) {
    if !unicode || s.is_ascii() {
        buf.extend(s.iter().map(|b| {
            if upper {
                b.to_ascii_uppercase()
            } else {
                b.to_ascii_lowercase()
            }
        }));
        return;
    }
    let mut tmp = [0u8; 4];
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            if upper {
                for u in c.to_uppercase() {
                    buf.extend_from_slice(u.encode_utf8(&mut tmp).as_bytes());
                }
            } else {
                for u in c.to_lowercase() {
                    buf.extend_from_slice(u.encode_utf8(&mut tmp).as_bytes());
                }
            }
        }
        buf.extend_from_slice(chunk.invalid());
    }
}

/// One pattern element of LIKE.
enum Tok<'a> {
    /// `%`
    Many,
    /// `_`: one character.
    One,
    /// A literal character (its bytes).
    Lit(&'a [u8]),
}

/// The pattern element at `p[i..]` and the index after it.
fn token<'a>(p: &'a [u8], i: usize, esc: &[u8]) -> (Tok<'a>, usize) {
    if !esc.is_empty() && p[i..].starts_with(esc) && i + esc.len() < p.len() {
        let j = i + esc.len();
        let l = utf8_len(p[j]).min(p.len() - j);
        return (Tok::Lit(&p[j..j + l]), j + l);
    }
    match p[i] {
        b'%' => (Tok::Many, i + 1),
        b'_' => (Tok::One, i + 1),
        b => {
            let l = utf8_len(b).min(p.len() - i);
            (Tok::Lit(&p[i..i + l]), i + l)
        }
    }
}

/// `s LIKE p ESCAPE esc`: `%` any sequence, `_` one UTF-8 character, case-sensitive bytes.
pub(crate) fn like(s: &[u8], p: &[u8], esc: &[u8]) -> bool {
    let (mut si, mut pi) = (0usize, 0usize);
    // Where to resume after the last `%`: (pattern index after it, subject index).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            let (tok, next) = token(p, pi, esc);
            match tok {
                Tok::Many => {
                    star = Some((next, si));
                    pi = next;
                    continue;
                }
                Tok::One => {
                    if si < s.len() {
                        si += utf8_len(s[si]).min(s.len() - si);
                        pi = next;
                        continue;
                    }
                }
                Tok::Lit(l) => {
                    if s[si..].starts_with(l) {
                        si += l.len();
                        pi = next;
                        continue;
                    }
                }
            }
        } else if si == s.len() {
            return true;
        }
        match star {
            Some((sp, ss)) if ss < s.len() => {
                let ns = ss + utf8_len(s[ss]).min(s.len() - ss);
                star = Some((sp, ns));
                pi = sp;
                si = ns;
            }
            _ => return false,
        }
    }
}

/// REGEXP with a pattern that is not a constant: compiled on change and cached.
pub(crate) fn regexp_dynamic(s: &[u8], p: &[u8], cx: &mut Cx<'_>) -> Option<bool> {
    let fresh = match &cx.tmp.regex {
        Some((pat, _)) => pat.as_slice() != p,
        None => true,
    };
    if fresh {
        let re = std::str::from_utf8(p)
            .ok()
            .and_then(|t| regex::bytes::Regex::new(t).ok());
        cx.tmp.regex = Some((p.to_vec(), re));
    }
    match &cx.tmp.regex {
        Some((_, Some(re))) => Some(re.is_match(s)),
        _ => {
            let pat = String::from_utf8_lossy(p).into_owned();
            cx.raise(|| format!("Invalid regex expression: {pat}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like(b"abc", b"a%", b"\\"));
        assert!(like(b"abc", b"%c", b"\\"));
        assert!(like(b"abc", b"a_c", b"\\"));
        assert!(!like(b"abc", b"a_", b"\\"));
        assert!(like("中文字".as_bytes(), "中_字".as_bytes(), b"\\"));
        assert!(like(b"%a", b"\\%_", b"\\"));
        assert!(like(b"%a", b"a%_", b"a"));
        assert!(!like(b"xa", b"\\%_", b"\\"));
        assert!(like(b"", b"%", b"\\"));
        assert!(!like(b"", b"_", b"\\"));
        assert!(like(b"aaa", b"%a%a%", b"\\"));
        assert!(!like(b"ABC", b"abc", b"\\"));
    }

    #[test]
    fn substrings() {
        assert_eq!(substr(b"abc1", -2, i32::MAX as i128), b"c1");
        assert_eq!(substr("中文字".as_bytes(), 2, 1), "文".as_bytes());
        assert_eq!(substr(b"abc", -5, 10), b"");
        assert_eq!(substr(b"abc1def", 2, 2), b"bc");
        assert_eq!(substr(b"abc", 0, 2), b"");
        assert_eq!(substr(b"abc", 4, 2), b"");
    }

    #[test]
    fn trims() {
        assert_eq!(trim_str(b"ababccaab", b"ab", Side::Both), b"cca");
        assert_eq!(trim_str(b"abcabcabc", b"abc", Side::Both), b"");
        assert_eq!(trim_spaces(b"  ab d  ", Side::Both), b"ab d");
        assert_eq!(trim_spaces(b"\tx ", Side::Both), b"\tx");
    }
}
