//! The token cursor the hand-written statement parsers walk: keyword and punctuation
//! matching (keywords case-insensitive, backquoted words never keywords), identifiers,
//! string literals, `PROPERTIES`-style key/value lists, and embedded expressions, whose end
//! is found by bracket depth and then parsed by `sqlparser`'s expression parser.

use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::dialect::DorisDialect;
use super::error::{SqlError, SqlErrorKind};
use super::lexer::{Tok, backquoted, doris_string};
use crate::job::{JobError, SqlExpr};

/// One `key = value` item of a property list.
#[derive(Debug, Clone)]
pub(crate) struct Prop {
    pub key: String,
    pub value: String,
    pub key_tok: Tok,
    pub value_tok: Tok,
}

/// A position in a token list.
pub(crate) struct Cursor<'a> {
    pub src: &'a str,
    pub toks: Vec<Tok>,
    pub pos: usize,
}

/// Describes a token for an error message.
pub(crate) fn describe(t: &Tok) -> String {
    match &t.tok {
        Token::EOF => "end of input".to_string(),
        Token::Word(w) => match w.quote_style {
            Some(q) => format!("{q}{}{q}", w.value),
            None => format!("'{}'", w.value),
        },
        Token::SingleQuotedString(s) => format!("string '{s}'"),
        Token::DoubleQuotedString(s) => format!("string \"{s}\""),
        Token::Number(n, _) => format!("number {n}"),
        other => format!("'{other}'"),
    }
}

impl<'a> Cursor<'a> {
    /// A cursor over `toks` (which end with EOF), reading `src`.
    pub fn new(src: &'a str, toks: Vec<Tok>) -> Self {
        Cursor { src, toks, pos: 0 }
    }

    pub fn peek(&self) -> &Tok {
        self.peek_nth(0)
    }

    pub fn peek_nth(&self, n: usize) -> &Tok {
        let last = self.toks.len().saturating_sub(1);
        &self.toks[(self.pos + n).min(last)]
    }

    pub fn advance(&mut self) -> Tok {
        let t = self.peek().clone();
        if t.tok != Token::EOF {
            self.pos += 1;
        }
        t
    }

    pub fn at_eof(&self) -> bool {
        self.peek().tok == Token::EOF
    }

    /// Whether the token `n` ahead is the unquoted keyword `kw`.
    pub fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        is_kw(self.peek_nth(n), kw)
    }

    pub fn at_kw(&self, kw: &str) -> bool {
        self.is_kw_at(0, kw)
    }

    pub fn eat_kw(&mut self, kw: &str) -> bool {
        if self.at_kw(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Eats a keyword sequence if all of it is there.
    pub fn eat_kws(&mut self, kws: &[&str]) -> bool {
        if kws.iter().enumerate().all(|(i, k)| self.is_kw_at(i, k)) {
            self.pos += kws.len();
            true
        } else {
            false
        }
    }

    pub fn expect_kw(&mut self, kw: &str) -> Result<Tok, SqlError> {
        if self.at_kw(kw) {
            Ok(self.advance())
        } else {
            Err(self.unexpected(kw))
        }
    }

    pub fn at_tok(&self, t: &Token) -> bool {
        &self.peek().tok == t
    }

    pub fn eat_tok(&mut self, t: &Token) -> bool {
        if self.at_tok(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn expect_tok(&mut self, t: &Token) -> Result<Tok, SqlError> {
        if self.at_tok(t) {
            Ok(self.advance())
        } else {
            Err(self.unexpected(&format!("'{t}'")))
        }
    }

    /// `>`, splitting a `>>` token (as in `ARRAY<ARRAY<INT>>`).
    pub fn expect_gt(&mut self) -> Result<(), SqlError> {
        let idx = self.pos.min(self.toks.len().saturating_sub(1));
        let t = &mut self.toks[idx];
        match t.tok {
            Token::Gt => {
                self.pos += 1;
                Ok(())
            }
            Token::ShiftRight => {
                t.tok = Token::Gt;
                t.span.start.column += 1;
                t.start += 1;
                Ok(())
            }
            Token::GtEq => {
                t.tok = Token::Eq;
                t.span.start.column += 1;
                t.start += 1;
                Ok(())
            }
            _ => Err(self.unexpected("'>'")),
        }
    }

    pub fn err_at(t: &Tok, msg: impl Into<String>) -> SqlError {
        SqlError::syntax(t.line(), t.column(), msg)
    }

    pub fn job_err_at(t: &Tok, e: JobError) -> SqlError {
        SqlError {
            line: t.line(),
            column: t.column(),
            kind: SqlErrorKind::Job(e),
        }
    }

    /// "expected X, found Y" at the current token.
    pub fn unexpected(&self, expected: &str) -> SqlError {
        let t = self.peek();
        Self::err_at(t, format!("expected {expected}, found {}", describe(t)))
    }

    /// An identifier (plain or backquoted).
    pub fn ident(&mut self, what: &str) -> Result<(String, Tok), SqlError> {
        let t = self.peek().clone();
        match &t.tok {
            Token::Word(w) if w.quote_style == Some('`') => {
                self.pos += 1;
                Ok((backquoted(&w.value), t))
            }
            Token::Word(w) if w.quote_style.is_none() => {
                self.pos += 1;
                Ok((w.value.clone(), t))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// `a[.b[.c]]`.
    pub fn multipart(&mut self, what: &str) -> Result<Vec<(String, Tok)>, SqlError> {
        let mut parts = vec![self.ident(what)?];
        while self.eat_tok(&Token::Period) {
            parts.push(self.ident(what)?);
        }
        Ok(parts)
    }

    /// `(a, b, ...)` of identifiers.
    pub fn ident_list(&mut self, what: &str) -> Result<Vec<(String, Tok)>, SqlError> {
        self.expect_tok(&Token::LParen)?;
        let mut out = vec![self.ident(what)?];
        while self.eat_tok(&Token::Comma) {
            out.push(self.ident(what)?);
        }
        self.expect_tok(&Token::RParen)?;
        Ok(out)
    }

    /// A string literal, decoded as Doris decodes constants.
    pub fn string_lit(&mut self, what: &str) -> Result<(String, Tok), SqlError> {
        let t = self.peek().clone();
        match &t.tok {
            Token::SingleQuotedString(s) => {
                self.pos += 1;
                Ok((doris_string(s, '\''), t))
            }
            Token::DoubleQuotedString(s) => {
                self.pos += 1;
                Ok((doris_string(s, '"'), t))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// A string literal with only its quotes removed.
    pub fn raw_string(&mut self, what: &str) -> Result<(String, Tok), SqlError> {
        let t = self.peek().clone();
        match &t.tok {
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => {
                self.pos += 1;
                Ok((s.clone(), t))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// An unsigned integer literal.
    pub fn integer(&mut self, what: &str) -> Result<(u64, Tok), SqlError> {
        let t = self.peek().clone();
        if let Token::Number(n, _) = &t.tok
            && n.bytes().all(|b| b.is_ascii_digit())
        {
            return match n.parse::<u64>() {
                Ok(v) => {
                    self.pos += 1;
                    Ok((v, t))
                }
                Err(_) => Err(Self::err_at(&t, format!("{what} {n} is out of range"))),
            };
        }
        Err(self.unexpected(what))
    }

    /// A property key or value: identifier, string, number (optionally negative), keyword.
    fn prop_atom(&mut self, what: &str) -> Result<(String, Tok), SqlError> {
        let t = self.peek().clone();
        match &t.tok {
            Token::Word(_) => self.ident(what),
            Token::SingleQuotedString(_) | Token::DoubleQuotedString(_) => self.string_lit(what),
            Token::Number(n, _) => {
                self.pos += 1;
                Ok((n.clone(), t))
            }
            Token::Minus => {
                if let Token::Number(n, _) = &self.peek_nth(1).tok {
                    let n = n.clone();
                    self.pos += 2;
                    Ok((format!("-{n}"), t))
                } else {
                    Err(Self::err_at(
                        self.peek_nth(1),
                        format!(
                            "expected a number after '-', found {}",
                            describe(self.peek_nth(1))
                        ),
                    ))
                }
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// `( key = value, ... )`: keys trimmed (FE `parsePropertyKey`), values as written.
    /// Keys and values may be quoted strings (all Doris releases) or, as 4.x allows,
    /// identifiers and numbers.
    pub fn property_list(&mut self, allow_empty: bool) -> Result<Vec<Prop>, SqlError> {
        self.expect_tok(&Token::LParen)?;
        let mut out = Vec::new();
        if allow_empty && self.eat_tok(&Token::RParen) {
            return Ok(out);
        }
        loop {
            let (key, key_tok) = self.prop_atom("a property key")?;
            if self.at_tok(&Token::Period) {
                return Err(self.unexpected("'=' (quote keys that contain dots)"));
            }
            self.expect_tok(&Token::Eq)?;
            let (value, value_tok) = self.prop_atom("a property value")?;
            out.push(Prop {
                key: key.trim().to_string(),
                value,
                key_tok,
                value_tok,
            });
            if self.eat_tok(&Token::Comma) {
                continue;
            }
            if self.eat_tok(&Token::RParen) {
                return Ok(out);
            }
            return Err(self.unexpected("',' or ')'"));
        }
    }

    /// Consumes a balanced `( ... )` and returns the index range of the tokens inside.
    pub fn skip_parens(&mut self) -> Result<(usize, usize), SqlError> {
        let open = self.expect_tok(&Token::LParen)?;
        let start = self.pos;
        let mut depth = 1usize;
        loop {
            let t = self.advance();
            match t.tok {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok((start, self.pos - 1));
                    }
                }
                Token::EOF => {
                    return Err(Self::err_at(&open, "unclosed '(': expected ')'"));
                }
                _ => {}
            }
        }
    }

    /// The source text from token `from` up to (not including) token `to`.
    pub fn text(&self, from: usize, to: usize) -> &'a str {
        if to <= from {
            return "";
        }
        let a = self.toks[from].start;
        let b = self.toks[to - 1].end;
        self.src.get(a..b).unwrap_or("")
    }

    /// An embedded expression (COLUMNS mapping, PRECEDING FILTER, WHERE, DELETE ON). It ends
    /// at the first `,`, `;`, unmatched `)` or end of input outside brackets, or at
    /// `PROPERTIES (` / `FROM <type> (`; the tokens up to there must form exactly one
    /// expression for `sqlparser`.
    pub fn expr(&mut self, clause: &str) -> Result<SqlExpr, SqlError> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut i = self.pos;
        loop {
            let t = &self.toks[i.min(self.toks.len() - 1)];
            match &t.tok {
                Token::EOF | Token::SemiColon => break,
                Token::LParen | Token::LBracket | Token::LBrace => depth += 1,
                Token::RParen | Token::RBracket | Token::RBrace => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                Token::Comma if depth == 0 => break,
                Token::Word(_) if depth == 0 && i > start => {
                    let next = &self.toks[(i + 1).min(self.toks.len() - 1)];
                    let next2 = &self.toks[(i + 2).min(self.toks.len() - 1)];
                    if is_kw(t, "PROPERTIES") && next.tok == Token::LParen {
                        break;
                    }
                    if is_kw(t, "FROM")
                        && matches!(next.tok, Token::Word(_))
                        && next2.tok == Token::LParen
                        && !is_kw(&self.toks[i - 1], "DISTINCT")
                    {
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if i == start {
            return Err(self.unexpected(&format!("an expression after {clause}")));
        }
        let tokens: Vec<TokenWithSpan> = self.toks[start..i]
            .iter()
            .map(|t| {
                let tok = match &t.tok {
                    Token::SingleQuotedString(s) => {
                        Token::SingleQuotedString(doris_string(s, '\''))
                    }
                    Token::DoubleQuotedString(s) => Token::DoubleQuotedString(doris_string(s, '"')),
                    Token::Word(w) if w.quote_style == Some('`') => {
                        let mut w = w.clone();
                        w.value = backquoted(&w.value);
                        Token::Word(w)
                    }
                    other => other.clone(),
                };
                TokenWithSpan::new(tok, t.span)
            })
            .collect();
        let first = self.toks[start].clone();
        let dialect = DorisDialect::default();
        let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
        let ast = parser
            .parse_expr()
            .map_err(|e| parser_error(e, &first, clause))?;
        let consumed = parser.index();
        let rest = start + consumed;
        if rest < i {
            let t = &self.toks[rest];
            return Err(Self::err_at(
                t,
                format!(
                    "unexpected {} after the {clause} expression (load properties are separated \
                     by commas)",
                    describe(t)
                ),
            ));
        }
        let text = self.text(start, i).to_string();
        self.pos = i;
        Ok(SqlExpr { text, ast })
    }
}

/// Whether `t` is the unquoted keyword `kw` (case-insensitive).
pub(crate) fn is_kw(t: &Tok, kw: &str) -> bool {
    matches!(&t.tok, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
}

/// A `sqlparser` error as a [`SqlError`] at the position it names.
fn parser_error(e: ParserError, fallback: &Tok, clause: &str) -> SqlError {
    let msg = match e {
        ParserError::ParserError(m) | ParserError::TokenizerError(m) => m,
        ParserError::RecursionLimitExceeded => "expression nested too deeply".to_string(),
    };
    let (line, column, msg) = match msg.rfind(" at Line: ") {
        Some(idx) => {
            let pos = &msg[idx + " at Line: ".len()..];
            let mut parts = pos.split(", Column: ");
            let line = parts.next().and_then(|l| l.trim().parse::<u64>().ok());
            let col = parts.next().and_then(|c| c.trim().parse::<u64>().ok());
            match (line, col) {
                (Some(l), Some(c)) if l > 0 && c > 0 => (l, c, msg[..idx].to_string()),
                _ => (fallback.line(), fallback.column(), msg.clone()),
            }
        }
        None => (fallback.line(), fallback.column(), msg),
    };
    SqlError::syntax(line, column, format!("invalid {clause} expression: {msg}"))
}
