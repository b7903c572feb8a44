//! Column types as `CREATE TABLE` spells them (4.x Nereids `visitPrimitiveDataType` /
//! `DataType.convertPrimitiveFromStrings`, with the default session settings): aliases
//! (`INTEGER`, `TEXT`, `JSONB`, `DATEV2`, `DATETIMEV2`, `DECIMALV3`), defaults (`DECIMAL` =
//! `DECIMAL(38,9)`, `VARCHAR` = `VARCHAR(65533)`, `CHAR` = `CHAR(1)`, `DATETIME` =
//! `DATETIME(0)`), ignored widths (`INT(11)`), nested `ARRAY` / `MAP` / `STRUCT`, and
//! Doris's limit errors.

use sqlparser::tokenizer::Token;

use super::cursor::Cursor;
use super::error::{SqlError, SqlErrorKind, TableError};
use super::lexer::{Tok, tokenize};
use crate::types::{DorisType, MAX_CHAR_LEN, MAX_DATETIME_PRECISION, MAX_VARCHAR_LEN, StructField};

/// Deepest type nesting the parser follows (Doris itself stops arrays at 9).
const MAX_NESTING: usize = 32;

/// Parses a column type such as `DECIMAL(10,2)`, `ARRAY<MAP<STRING,INT>>` or `varchar`.
pub fn parse_type(text: &str) -> Result<DorisType, SqlError> {
    let toks = tokenize(text)?;
    let mut c = Cursor::new(text, toks);
    let ty = data_type(&mut c, 0)?;
    if !c.at_eof() {
        return Err(c.unexpected("end of type"));
    }
    Ok(ty)
}

pub(crate) fn table_err(t: &Tok, e: TableError) -> SqlError {
    SqlError {
        line: t.line(),
        column: t.column(),
        kind: SqlErrorKind::Table(e),
    }
}

/// One parameter of a primitive type: a number or `*`.
enum Param {
    Num(u64),
    Star,
}

fn params(c: &mut Cursor) -> Result<Vec<Param>, SqlError> {
    let mut out = Vec::new();
    if !c.eat_tok(&Token::LParen) {
        return Ok(out);
    }
    loop {
        if c.eat_tok(&Token::Mul) {
            out.push(Param::Star);
        } else {
            let (n, _) = c.integer("a type parameter")?;
            out.push(Param::Num(n));
        }
        if c.eat_tok(&Token::Comma) {
            continue;
        }
        c.expect_tok(&Token::RParen)?;
        return Ok(out);
    }
}

fn num(p: &Param, name_tok: &Tok) -> Result<u64, SqlError> {
    match p {
        Param::Num(n) => Ok(*n),
        Param::Star => Err(Cursor::err_at(
            name_tok,
            "'*' is only allowed in CHAR(*) and VARCHAR(*)",
        )),
    }
}

/// Parses one type at the cursor.
pub(crate) fn data_type(c: &mut Cursor, depth: usize) -> Result<DorisType, SqlError> {
    let name_tok = c.peek().clone();
    if depth > MAX_NESTING {
        return Err(table_err(&name_tok, TableError::NestingDepth));
    }
    let name = match &name_tok.tok {
        Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_lowercase(),
        _ => return Err(c.unexpected("a type name")),
    };
    c.advance();
    let ty = match name.as_str() {
        "array" => {
            c.expect_tok(&Token::Lt)?;
            let inner = data_type(c, depth + 1)?;
            c.expect_gt()?;
            DorisType::Array(Box::new(inner))
        }
        "map" => {
            c.expect_tok(&Token::Lt)?;
            let k = data_type(c, depth + 1)?;
            c.expect_tok(&Token::Comma)?;
            let v = data_type(c, depth + 1)?;
            c.expect_gt()?;
            DorisType::Map(Box::new(k), Box::new(v))
        }
        "struct" => {
            c.expect_tok(&Token::Lt)?;
            let mut fields: Vec<StructField> = Vec::new();
            let mut dup: Option<(String, Tok)> = None;
            loop {
                let (fname, ftok) = c.ident("a struct field name")?;
                c.expect_tok(&Token::Colon)?;
                let fty = data_type(c, depth + 1)?;
                let comment = if c.eat_kw("COMMENT") {
                    Some(c.string_lit("a field comment")?.0)
                } else {
                    None
                };
                if dup.is_none() && fields.iter().any(|f| f.name.eq_ignore_ascii_case(&fname)) {
                    dup = Some((fname.clone(), ftok));
                }
                fields.push(StructField {
                    name: fname,
                    ty: fty,
                    comment,
                });
                if c.eat_tok(&Token::Comma) {
                    continue;
                }
                c.expect_gt()?;
                break;
            }
            let ty = DorisType::Struct(fields);
            if let Some((field, tok)) = dup {
                return Err(table_err(
                    &tok,
                    TableError::DuplicateStructField {
                        field,
                        sql: ty.to_string(),
                    },
                ));
            }
            ty
        }
        "variant" => {
            // Predefined sub-columns (`VARIANT<'a': INT, ...>`) do not change how a value
            // loads; they are skipped.
            if c.eat_tok(&Token::Lt) {
                let mut level = 1usize;
                while level > 0 {
                    match c.peek().tok {
                        Token::Lt => {
                            level += 1;
                            c.advance();
                        }
                        Token::Gt | Token::ShiftRight => {
                            c.expect_gt()?;
                            level -= 1;
                        }
                        Token::EOF => return Err(c.unexpected("'>'")),
                        _ => {
                            c.advance();
                        }
                    }
                }
            }
            DorisType::Variant
        }
        "agg_state" => {
            return Err(table_err(
                &name_tok,
                TableError::Unsupported("AGG_STATE".to_string()),
            ));
        }
        _ => {
            let ps = params(c)?;
            primitive(&name, &ps, &name_tok)?
        }
    };
    Ok(ty)
}

fn primitive(name: &str, ps: &[Param], tok: &Tok) -> Result<DorisType, SqlError> {
    let err = |e| Err(table_err(tok, e));
    Ok(match name {
        "tinyint" => DorisType::TinyInt,
        "smallint" => DorisType::SmallInt,
        "int" | "integer" => DorisType::Int,
        "bigint" => DorisType::BigInt,
        "largeint" => DorisType::LargeInt,
        "float" => DorisType::Float,
        "double" => DorisType::Double,
        "boolean" => DorisType::Boolean,
        "decimal" | "decimalv3" => {
            let (p, s) = match ps {
                [] => (38, 9),
                [p] => (num(p, tok)?, 0),
                [p, s, ..] => (num(p, tok)?, num(s, tok)?),
            };
            if p == 0 || p > crate::types::MAX_DECIMAL_PRECISION as u64 {
                return err(TableError::DecimalPrecision(p));
            }
            if s > p {
                return err(TableError::DecimalScale {
                    precision: p,
                    scale: s,
                });
            }
            DorisType::Decimal {
                precision: p as u8,
                scale: s as u8,
            }
        }
        "decimalv2" => return err(TableError::DecimalV2Disabled),
        "date" | "datev2" => DorisType::Date,
        "datev1" => return err(TableError::DateV1Disabled),
        "datetime" | "datetimev2" => {
            let p = match ps.first() {
                Some(p) => num(p, tok)?,
                None => 0,
            };
            if p > MAX_DATETIME_PRECISION as u64 {
                return err(TableError::DatetimeScale(p));
            }
            DorisType::DateTime { precision: p as u8 }
        }
        "datetimev1" => {
            if !ps.is_empty() {
                return err(TableError::DatetimeV1Precision);
            }
            DorisType::DateTime { precision: 0 }
        }
        "time" | "timev2" => {
            if let Some(p) = ps.first() {
                let p = num(p, tok)?;
                if p > MAX_DATETIME_PRECISION as u64 {
                    return err(TableError::DatetimeScale(p));
                }
            }
            return err(TableError::TimeColumn);
        }
        "char" => {
            let len = match ps.first() {
                None | Some(Param::Star) => 1,
                Some(Param::Num(n)) => *n,
            };
            if len == 0 {
                return err(TableError::CharTooShort(len));
            }
            if len > MAX_CHAR_LEN as u64 {
                return err(TableError::CharTooLong(len));
            }
            DorisType::Char { len: len as u32 }
        }
        "varchar" => {
            let len = match ps.first() {
                None | Some(Param::Star) => MAX_VARCHAR_LEN as u64,
                Some(Param::Num(n)) => *n,
            };
            if len == 0 {
                return err(TableError::VarcharTooShort(len));
            }
            if len > MAX_VARCHAR_LEN as u64 {
                return err(TableError::VarcharTooLong(len));
            }
            DorisType::Varchar { len: len as u32 }
        }
        "string" | "text" => DorisType::String,
        "json" | "jsonb" => DorisType::Json,
        "ipv4" => DorisType::Ipv4,
        "ipv6" => DorisType::Ipv6,
        "hll" => DorisType::Hll,
        "bitmap" => DorisType::Bitmap,
        "quantile_state" => DorisType::QuantileState,
        "all" => return err(TableError::AllType),
        other => return err(TableError::UnknownType(other.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Doris: DataType.convertPrimitiveFromStrings defaults and aliases.
    #[test]
    fn defaults_and_aliases() {
        assert_eq!(
            parse_type("DECIMAL").unwrap(),
            DorisType::Decimal {
                precision: 38,
                scale: 9
            }
        );
        assert_eq!(
            parse_type("decimalv3(12)").unwrap(),
            DorisType::Decimal {
                precision: 12,
                scale: 0
            }
        );
        assert_eq!(
            parse_type("varchar").unwrap(),
            DorisType::Varchar { len: 65_533 }
        );
        assert_eq!(
            parse_type("VARCHAR(*)").unwrap(),
            DorisType::Varchar { len: 65_533 }
        );
        assert_eq!(parse_type("char").unwrap(), DorisType::Char { len: 1 });
        assert_eq!(parse_type("INT(11)").unwrap(), DorisType::Int);
        assert_eq!(parse_type("text").unwrap(), DorisType::String);
        assert_eq!(parse_type("JSONB").unwrap(), DorisType::Json);
        assert_eq!(
            parse_type("DATETIMEV2(3)").unwrap(),
            DorisType::DateTime { precision: 3 }
        );
        assert_eq!(parse_type("datev2").unwrap(), DorisType::Date);
    }

    // Doris: nested types; `>>` closes two levels.
    #[test]
    fn nested() {
        let t = parse_type("ARRAY<MAP<STRING,ARRAY<INT>>>").unwrap();
        assert_eq!(t.to_string(), "ARRAY<MAP<STRING,ARRAY<INT>>>");
        let s = parse_type("STRUCT<a:INT COMMENT 'x', `b c`:VARCHAR(3)>").unwrap();
        let DorisType::Struct(fields) = s else {
            panic!("not a struct")
        };
        assert_eq!(fields[0].comment.as_deref(), Some("x"));
        assert_eq!(fields[1].name, "b c");
        assert_eq!(
            parse_type("VARIANT<'a.b': INT, 'c': ARRAY<STRING>>").unwrap(),
            DorisType::Variant
        );
    }

    // Doris: DataType.validateScalarType / DecimalV3Type / DateTimeV2Type limit texts.
    #[test]
    fn limits() {
        let msg = |t: &str| parse_type(t).unwrap_err().message();
        assert_eq!(
            msg("VARCHAR(65534)"),
            "VARCHAR size must be <= 65533: 65534"
        );
        assert_eq!(msg("VARCHAR(0)"), "VARCHAR size must be > 0: 0");
        assert_eq!(msg("CHAR(256)"), "CHAR size must be <= 255: 256");
        assert_eq!(
            msg("DATETIME(7)"),
            "Scale of Datetime/Time must between 0 and 6. Scale was set to: 7"
        );
        assert_eq!(
            msg("DECIMAL(77,2)"),
            "precision should in (0, 76], but real precision is 77"
        );
        assert_eq!(
            msg("DECIMAL(5,7)"),
            "Scale of decimal must be smaller than precision. Scale is 7 and precision is 5"
        );
        assert_eq!(msg("BOOL"), "Nereids do not support type: bool");
        assert_eq!(
            msg("STRUCT<a:INT, A:INT>"),
            "Duplicate field name A in struct STRUCT<a:INT,A:INT>"
        );
    }
}
