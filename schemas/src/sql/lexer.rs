//! Tokens of a statement and Doris's literal rules: the text is split by `sqlparser`'s
//! tokenizer (raw mode, so string contents arrive exactly as written), comments dropped,
//! and every token given its byte range; string literals are then decoded the way Doris's
//! `visitStringLiteral` does, and `COLUMNS TERMINATED BY` the way `Separator` does.

use sqlparser::tokenizer::{Location, Span, Token, Tokenizer};

use super::dialect::DorisDialect;
use super::error::SqlError;
use crate::job::JobError;

/// One token with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tok {
    /// The token (string contents raw, as written between the quotes).
    pub tok: Token,
    /// Line / column span from the tokenizer.
    pub span: Span,
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset after the last character.
    pub end: usize,
}

impl Tok {
    /// 1-based line.
    pub fn line(&self) -> u64 {
        self.span.start.line
    }

    /// 1-based column.
    pub fn column(&self) -> u64 {
        self.span.start.column
    }
}

/// Maps tokenizer line/column positions to byte offsets.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        LineIndex { text, starts }
    }

    fn offset(&self, loc: Location) -> usize {
        let line = (loc.line.max(1) - 1) as usize;
        let Some(&start) = self.starts.get(line) else {
            return self.text.len();
        };
        let col = loc.column.max(1) - 1;
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(col as usize)
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    fn end_location(&self) -> Location {
        let last = self.starts.last().copied().unwrap_or(0);
        let cols = self.text[last..].chars().count() as u64;
        Location::new(self.starts.len() as u64, cols + 1)
    }
}

/// Tokenizes a statement (or several): comments and whitespace dropped, an `EOF` token at
/// the end.
pub(crate) fn tokenize(sql: &str) -> Result<Vec<Tok>, SqlError> {
    let dialect = DorisDialect::default();
    let raw = Tokenizer::new(&dialect, sql)
        .with_unescape(false)
        .tokenize_with_location()
        .map_err(|e| {
            let msg = e.message.clone();
            SqlError::syntax(e.location.line.max(1), e.location.column.max(1), msg)
        })?;
    let index = LineIndex::new(sql);
    let mut out = Vec::with_capacity(raw.len() + 1);
    for t in raw {
        if matches!(t.token, Token::Whitespace(_)) {
            continue;
        }
        let start = index.offset(t.span.start);
        let end = index.offset(t.span.end).max(start);
        out.push(Tok {
            tok: t.token,
            span: t.span,
            start,
            end,
        });
    }
    let end = index.end_location();
    out.push(Tok {
        tok: Token::EOF,
        span: Span::new(end, end),
        start: sql.len(),
        end: sql.len(),
    });
    Ok(out)
}

/// A string literal's value as Doris's `visitStringLiteral` makes it: the doubled quote
/// undone (`''` in single quotes, `""` in double quotes), then `escapeBackSlash`: `\n \t \r
/// \b \0 \Z` translated, `\%` and `\_` kept with their backslash, any other `\c` becomes `c`,
/// a trailing lone backslash kept.
pub(crate) fn doris_string(raw: &str, quote: char) -> String {
    let doubled: String = [quote, quote].iter().collect();
    let undoubled = raw.replace(&doubled, &quote.to_string());
    escape_backslash(&undoubled)
}

/// Doris `escapeBackSlash`.
pub(crate) fn escape_backslash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            None => out.push('\\'),
            Some(n) => match n {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                '0' => out.push('\0'),
                'Z' => out.push('\u{1a}'),
                '_' | '%' => {
                    out.push('\\');
                    out.push(n);
                }
                other => out.push(other),
            },
        }
    }
    out
}

/// A backquoted identifier with ``` `` ``` undone.
pub(crate) fn backquoted(raw: &str) -> String {
    raw.replace("``", "`")
}

/// `COLUMNS TERMINATED BY` as Doris 4.x decodes it (`Separator.convertSeparator` on the
/// literal with only its quotes stripped): a leading `\x` (any case) means hex, with every
/// `\x` removed and the rest read as byte pairs; otherwise `\\ \' \" \r \t \n` are unescaped
/// and any other backslash pair is kept as written.
pub(crate) fn decode_separator(raw: &str) -> Result<Vec<u8>, JobError> {
    if raw.is_empty() {
        return Err(JobError::EmptySeparator);
    }
    let lower = raw.to_ascii_lowercase();
    if lower.starts_with("\\x") {
        let mut hex = String::new();
        let mut rest = raw;
        while !rest.is_empty() {
            if rest.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("\\x")) {
                rest = &rest[2..];
            } else {
                let c = rest.chars().next().unwrap_or(' ');
                hex.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        if hex.is_empty() {
            return Err(JobError::HexEmpty);
        }
        if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(JobError::HexFormat);
        }
        if !hex.len().is_multiple_of(2) {
            return Err(JobError::HexLength);
        }
        let bytes = hex
            .as_bytes()
            .chunks(2)
            .map(|p| {
                let s = std::str::from_utf8(p).unwrap_or("00");
                u8::from_str_radix(s, 16).unwrap_or(0)
            })
            .collect();
        return Ok(bytes);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            None => out.push('\\'),
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Doris: LogicalPlanBuilderAssistant.escapeBackSlash (\x01 becomes x01, \\ becomes \).
    #[test]
    fn string_literal_escapes() {
        assert_eq!(doris_string(r"a\tb", '"'), "a\tb");
        assert_eq!(doris_string(r"\x01", '"'), "x01");
        assert_eq!(doris_string(r"\\", '"'), "\\");
        assert_eq!(doris_string(r"a\%b\_", '\''), r"a\%b\_");
        assert_eq!(doris_string(r#"say ""hi"""#, '"'), r#"say "hi""#);
        assert_eq!(doris_string("it''s", '\''), "it's");
        assert_eq!(doris_string(r"it\'s", '\''), "it's");
        assert_eq!(doris_string("end\\", '\''), "end\\");
    }

    // Doris: Separator.convertSeparator (master: every \x removed; errors in this order).
    #[test]
    fn separators() {
        assert_eq!(decode_separator(",").unwrap(), b",");
        assert_eq!(decode_separator(r"\t").unwrap(), b"\t");
        assert_eq!(decode_separator(r"\x01").unwrap(), vec![1]);
        assert_eq!(decode_separator(r"\X0102").unwrap(), vec![1, 2]);
        assert_eq!(decode_separator(r"\x01\x02").unwrap(), vec![1, 2]);
        assert_eq!(decode_separator("||").unwrap(), b"||");
        assert_eq!(decode_separator(r"\\x01").unwrap(), br"\x01");
        assert_eq!(decode_separator(r"a\qb").unwrap(), br"a\qb");
        assert_eq!(decode_separator(r"\x0"), Err(JobError::HexLength));
        assert_eq!(decode_separator(r"\x"), Err(JobError::HexEmpty));
        assert_eq!(decode_separator(r"\xzz"), Err(JobError::HexFormat));
        assert_eq!(decode_separator(""), Err(JobError::EmptySeparator));
    }

    #[test]
    fn positions_and_comments() {
        let toks = tokenize("a --c\n /* x /* y */ z */ `b``c` 'é' d").unwrap();
        let words: Vec<String> = toks.iter().map(|t| t.tok.to_string()).collect();
        assert_eq!(words.len(), 5, "{words:?}");
        assert_eq!(toks[1].line(), 2);
        let src = "a --c\n /* x /* y */ z */ `b``c` 'é' d";
        assert_eq!(&src[toks[1].start..toks[1].end], "`b``c`");
        assert_eq!(&src[toks[2].start..toks[2].end], "'é'");
        assert_eq!(&src[toks[3].start..toks[3].end], "d");
        assert_eq!(toks[4].tok, Token::EOF);
    }
}
