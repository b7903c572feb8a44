//! `CREATE TABLE` as Doris users write it (4.x Nereids grammar and `CreateTableInfo` /
//! `ColumnDefinition` / `DistributionDescriptor` validation): columns with their attributes
//! in Doris's fixed order, the key model (explicit or Doris's default), partitioning and
//! distribution, PROPERTIES. Clauses routinely has no use for (INDEX, ROLLUP, CLUSTER BY,
//! BROKER PROPERTIES) are skipped with a warning; CTAS, LIKE, external and temporary tables
//! are refused.

use sqlparser::tokenizer::Token;

use super::cursor::{Cursor, describe};
use super::error::{SqlError, TableError};
use super::lexer::{Tok, tokenize};
use super::types::{data_type, table_err};
use crate::table::{AggregationType, Column, DefaultValue, Distribution, KeysType, TableSchema};
use crate::types::DorisType;

/// Parses one `CREATE TABLE` statement (an optional trailing `;` allowed). Clauses routinely
/// ignores are listed in [`TableSchema::warnings`].
pub fn parse_create_table(sql: &str) -> Result<TableSchema, SqlError> {
    let toks = tokenize(sql)?;
    let mut c = Cursor::new(sql, toks);
    c.expect_kw("CREATE")?;
    let t = parse_after_create(&mut c)?;
    while c.eat_tok(&Token::SemiColon) {}
    if !c.at_eof() {
        return Err(c.unexpected("end of statement"));
    }
    Ok(t)
}

/// A column as declared, before the table-level rules run.
struct ColumnDef {
    col: Column,
    name_tok: Tok,
    /// `ON UPDATE CURRENT_TIMESTAMP(p)`.
    on_update: Option<u8>,
}

/// `<model> KEY (cols)` as written: the model, the names, the clause's first token.
type KeyClause = (KeysType, Vec<(String, Tok)>, Tok);

/// The distribution clause as written.
struct DistDef {
    hash: bool,
    columns: Vec<(String, Tok)>,
    buckets: Option<u64>,
    tok: Tok,
}

/// Parses what follows `CREATE` in `CREATE [EXTERNAL | TEMPORARY] TABLE ...`.
pub(crate) fn parse_after_create(c: &mut Cursor) -> Result<TableSchema, SqlError> {
    for kw in ["EXTERNAL", "TEMPORARY"] {
        if c.at_kw(kw) {
            let t = c.advance();
            return Err(table_err(
                &t,
                TableError::Unsupported(format!("CREATE {kw} TABLE")),
            ));
        }
    }
    c.expect_kw("TABLE")?;
    c.eat_kws(&["IF", "NOT", "EXISTS"]);
    let name_parts = c.multipart("a table name")?;
    let mut warnings = Vec::new();
    if name_parts.len() > 3 {
        return Err(table_err(&name_parts[0].1, TableError::NameParts));
    }
    let (name, name_tok) = name_parts[name_parts.len() - 1].clone();
    let database = (name_parts.len() >= 2).then(|| name_parts[name_parts.len() - 2].0.clone());
    if name_parts.len() == 3 && !name_parts[0].0.eq_ignore_ascii_case("internal") {
        warnings.push(format!("catalog {} ignored", name_parts[0].0));
    }
    if c.at_kw("LIKE") {
        let t = c.advance();
        return Err(table_err(
            &t,
            TableError::Unsupported("CREATE TABLE ... LIKE".into()),
        ));
    }
    if c.at_kw("AS") {
        let t = c.advance();
        return Err(table_err(
            &t,
            TableError::Unsupported("CREATE TABLE ... AS SELECT".into()),
        ));
    }
    // `(a, b) AS SELECT` (CTAS column names) versus `(a INT, ...)`.
    if c.at_tok(&Token::LParen)
        && matches!(c.peek_nth(1).tok, Token::Word(_))
        && matches!(c.peek_nth(2).tok, Token::Comma | Token::RParen)
    {
        let t = c.peek().clone();
        return Err(table_err(
            &t,
            TableError::Unsupported("CREATE TABLE ... AS SELECT".into()),
        ));
    }
    c.expect_tok(&Token::LParen)?;
    let mut cols: Vec<ColumnDef> = Vec::new();
    loop {
        if c.at_kw("INDEX") {
            warnings.push(skip_index(c)?);
        } else {
            cols.push(column_def(c)?);
        }
        if c.eat_tok(&Token::Comma) {
            if c.eat_tok(&Token::RParen) {
                break;
            }
            continue;
        }
        if c.eat_tok(&Token::RParen) {
            break;
        }
        let last = cols
            .last()
            .map_or("the index", |d| d.col.name.as_str())
            .to_string();
        return Err(c.unexpected(&format!("',' or ')' after {last}")));
    }
    if cols.is_empty() {
        return Err(c.unexpected("at least one column definition"));
    }

    if c.eat_kw("ENGINE") {
        c.expect_tok(&Token::Eq)?;
        let (engine, t) = c.ident("an engine name")?;
        if !engine.eq_ignore_ascii_case("olap") {
            return Err(table_err(
                &t,
                TableError::Unsupported(format!("ENGINE = {engine}")),
            ));
        }
    }

    let mut keys: Option<KeyClause> = None;
    let mut cluster: Option<(Vec<(String, Tok)>, Tok)> = None;
    let keys_type = if c.at_kw("AGGREGATE") {
        Some(KeysType::Aggregate)
    } else if c.at_kw("UNIQUE") {
        Some(KeysType::Unique)
    } else if c.at_kw("DUPLICATE") {
        Some(KeysType::Duplicate)
    } else {
        None
    };
    if let Some(kt) = keys_type {
        let t = c.advance();
        c.expect_kw("KEY")?;
        let list = c.ident_list("a key column")?;
        keys = Some((kt, list, t));
        if c.at_kw("CLUSTER") {
            let t = c.advance();
            c.expect_kw("BY")?;
            let list = c.ident_list("a cluster key column")?;
            cluster = Some((list, t));
        }
    }

    let comment = if c.eat_kw("COMMENT") {
        Some(c.string_lit("a table comment")?.0)
    } else {
        None
    };

    let mut partition_by = None;
    if c.at_kw("PARTITION") || (c.at_kw("AUTO") && c.is_kw_at(1, "PARTITION")) {
        let start = c.pos;
        c.eat_kw("AUTO");
        c.expect_kw("PARTITION")?;
        c.expect_kw("BY")?;
        if !c.eat_kw("RANGE") {
            c.eat_kw("LIST");
        }
        c.skip_parens()?;
        c.skip_parens()?;
        partition_by = Some(c.text(start, c.pos).to_string());
    }

    let mut dist: Option<DistDef> = None;
    if c.at_kw("DISTRIBUTED") {
        let tok = c.advance();
        c.expect_kw("BY")?;
        let (hash, columns) = if c.eat_kw("HASH") {
            (true, c.ident_list("a distribution column")?)
        } else if c.eat_kw("RANDOM") {
            (false, Vec::new())
        } else {
            return Err(c.unexpected("HASH or RANDOM"));
        };
        let mut buckets = None;
        if c.eat_kw("BUCKETS") && !c.eat_kw("AUTO") {
            buckets = Some(c.integer("a bucket count or AUTO")?.0);
        }
        dist = Some(DistDef {
            hash,
            columns,
            buckets,
            tok,
        });
    }

    if c.at_kw("ROLLUP") {
        c.advance();
        let (a, b) = c.skip_parens()?;
        warnings.push(format!(
            "ROLLUP ({}) ignored: routinely loads the base table",
            c.text(a, b)
        ));
    }

    let mut properties: Vec<(String, String)> = Vec::new();
    if c.eat_kw("PROPERTIES") {
        for p in c.property_list(false)? {
            match properties.iter_mut().find(|(k, _)| *k == p.key) {
                Some(e) => e.1 = p.value,
                None => properties.push((p.key, p.value)),
            }
        }
    }
    if c.at_kw("BROKER") && c.is_kw_at(1, "PROPERTIES") {
        c.advance();
        c.advance();
        c.property_list(false)?;
        warnings.push("BROKER PROPERTIES ignored".to_string());
    }
    if c.at_kw("AS") {
        let t = c.advance();
        return Err(table_err(
            &t,
            TableError::Unsupported("CREATE TABLE ... AS SELECT".into()),
        ));
    }
    if let Some((list, _)) = &cluster {
        let names: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
        warnings.push(format!("CLUSTER BY ({}) ignored", names.join(", ")));
    }

    let table = build(BuildInput {
        database,
        name,
        name_tok,
        cols,
        keys,
        cluster,
        comment,
        partition_by,
        dist,
        properties,
        warnings,
    })?;
    Ok(table)
}

/// `INDEX [IF NOT EXISTS] name (cols) [USING type] [PROPERTIES (...)] [COMMENT '...']`,
/// skipped; returns the warning.
fn skip_index(c: &mut Cursor) -> Result<String, SqlError> {
    c.expect_kw("INDEX")?;
    c.eat_kws(&["IF", "NOT", "EXISTS"]);
    let (name, _) = c.ident("an index name")?;
    let cols = c.ident_list("an index column")?;
    if c.eat_kw("USING") {
        c.ident("an index type")?;
    }
    if c.eat_kw("PROPERTIES") {
        c.property_list(false)?;
    }
    if c.eat_kw("COMMENT") {
        c.string_lit("an index comment")?;
    }
    let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
    Ok(format!(
        "INDEX {name} ({}) ignored: routinely does not use table indexes",
        names.join(", ")
    ))
}

/// `[(n)]` after CURRENT_TIMESTAMP.
fn timestamp_precision(c: &mut Cursor) -> Result<u8, SqlError> {
    if !c.eat_tok(&Token::LParen) {
        return Ok(0);
    }
    let (p, t) = c.integer("a precision")?;
    c.expect_tok(&Token::RParen)?;
    if p > 6 {
        return Err(table_err(&t, TableError::DatetimeScale(p)));
    }
    Ok(p as u8)
}

fn column_def(c: &mut Cursor) -> Result<ColumnDef, SqlError> {
    let (name, name_tok) = c.ident("a column name or INDEX")?;
    let ty = data_type(c, 0)?;
    let key_attr = c.eat_kw("KEY");
    let mut aggregation = None;
    if let Token::Word(w) = &c.peek().tok
        && w.quote_style.is_none()
        && let Some(a) = AggregationType::from_keyword(&w.value)
    {
        aggregation = Some(a);
        c.advance();
    }
    if c.at_kw("GENERATED") || c.at_kw("AS") {
        let t = c.peek().clone();
        return Err(table_err(
            &t,
            TableError::Unsupported(format!("generated column {name}")),
        ));
    }
    let mut nullable = None;
    if c.eat_kws(&["NOT", "NULL"]) {
        nullable = Some(false);
    } else if c.eat_kw("NULL") {
        nullable = Some(true);
    }
    let mut auto_increment = false;
    if c.eat_kw("AUTO_INCREMENT") {
        auto_increment = true;
        if c.eat_tok(&Token::LParen) {
            let t = c.peek().clone();
            if c.eat_tok(&Token::Minus) {
                c.integer("a start value")?;
                return Err(table_err(&t, TableError::AutoIncrementNegative));
            }
            c.integer("a start value")?;
            c.expect_tok(&Token::RParen)?;
        }
    }
    let mut default = None;
    if c.eat_kw("DEFAULT") {
        default = Some(default_value(c)?);
    }
    let mut on_update = None;
    if c.eat_kws(&["ON", "UPDATE"]) {
        c.expect_kw("CURRENT_TIMESTAMP")?;
        on_update = Some(timestamp_precision(c)?);
    }
    let comment = if c.eat_kw("COMMENT") {
        // ColumnDefinition: quotes stripped, then every backslash removed.
        let (raw, _) = c.raw_string("a column comment")?;
        Some(raw.replace('\\', ""))
    } else {
        None
    };
    let default_nullable = !ty.is_aggregate_state();
    let col = Column {
        name,
        ty,
        nullable: nullable.unwrap_or(default_nullable),
        default,
        comment,
        is_key: key_attr,
        aggregation,
        auto_increment,
        on_update_current_timestamp: on_update.is_some(),
    };
    Ok(ColumnDef {
        col,
        name_tok,
        on_update,
    })
}

fn default_value(c: &mut Cursor) -> Result<DefaultValue, SqlError> {
    let t = c.peek().clone();
    let number = |n: &str| n.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    match &t.tok {
        Token::Word(w) if w.quote_style.is_none() => {
            let v = match w.value.to_ascii_uppercase().as_str() {
                "NULL" => DefaultValue::Null,
                "PI" => DefaultValue::Pi,
                "E" => DefaultValue::E,
                "BITMAP_EMPTY" => DefaultValue::BitmapEmpty,
                "CURRENT_DATE" => DefaultValue::CurrentDate,
                "CURRENT_TIMESTAMP" => {
                    c.advance();
                    let precision = timestamp_precision(c)?;
                    return Ok(DefaultValue::CurrentTimestamp { precision });
                }
                _ => return Err(c.unexpected("a DEFAULT value")),
            };
            c.advance();
            Ok(v)
        }
        Token::SingleQuotedString(_) | Token::DoubleQuotedString(_) => {
            Ok(DefaultValue::Literal(c.string_lit("a DEFAULT value")?.0))
        }
        Token::Number(n, _) if number(n) => {
            let n = n.clone();
            c.advance();
            Ok(DefaultValue::Literal(n))
        }
        Token::Minus => match &c.peek_nth(1).tok {
            Token::Number(n, _) if number(n) => {
                let n = format!("-{n}");
                c.advance();
                c.advance();
                Ok(DefaultValue::Literal(n))
            }
            _ => Err(Cursor::err_at(
                c.peek_nth(1),
                format!(
                    "expected a number after '-', found {}",
                    describe(c.peek_nth(1))
                ),
            )),
        },
        _ => Err(c.unexpected("a DEFAULT value")),
    }
}

struct BuildInput {
    database: Option<String>,
    name: String,
    name_tok: Tok,
    cols: Vec<ColumnDef>,
    keys: Option<KeyClause>,
    cluster: Option<(Vec<(String, Tok)>, Tok)>,
    comment: Option<String>,
    partition_by: Option<String>,
    dist: Option<DistDef>,
    properties: Vec<(String, String)>,
    warnings: Vec<String>,
}

fn prop<'a>(props: &'a [(String, String)], key: &str) -> Option<&'a str> {
    props
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// `Type.getIndexSize` (short-key bytes) of a column type.
fn index_size(ty: &DorisType) -> u64 {
    match ty {
        DorisType::Boolean | DorisType::TinyInt => 1,
        DorisType::SmallInt => 2,
        DorisType::Int | DorisType::Float | DorisType::Date | DorisType::Ipv4 => 4,
        DorisType::BigInt | DorisType::Double | DorisType::DateTime { .. } => 8,
        DorisType::LargeInt | DorisType::Ipv6 => 16,
        DorisType::Decimal { precision, .. } => match precision {
            0..=9 => 4,
            10..=18 => 8,
            19..=38 => 16,
            _ => 32,
        },
        DorisType::Char { len } => *len as u64,
        DorisType::Varchar { .. } | DorisType::String => 20,
        _ => 16,
    }
}

/// Aggregate type compatibility (`AggregateType.checkCompatibility`).
fn agg_compatible(a: AggregationType, ty: &DorisType) -> bool {
    let numeric = ty.is_integer()
        || matches!(
            ty,
            DorisType::Float | DorisType::Double | DorisType::Decimal { .. }
        );
    match a {
        AggregationType::Sum => numeric,
        AggregationType::Max | AggregationType::Min => {
            numeric
                || ty.is_string()
                || matches!(
                    ty,
                    DorisType::Boolean
                        | DorisType::Date
                        | DorisType::DateTime { .. }
                        | DorisType::Ipv4
                        | DorisType::Ipv6
                )
        }
        AggregationType::Replace | AggregationType::ReplaceIfNotNull => !ty.is_aggregate_state(),
        AggregationType::HllUnion => *ty == DorisType::Hll,
        AggregationType::BitmapUnion => *ty == DorisType::Bitmap,
        AggregationType::QuantileUnion => *ty == DorisType::QuantileState,
        AggregationType::Generic => false,
    }
}

fn array_depth(ty: &DorisType) -> usize {
    match ty {
        DorisType::Array(inner) => 1 + array_depth(inner),
        _ => 0,
    }
}

/// `ColumnDefinition.checkKeyColumnType`.
fn check_key_type(col: &Column) -> Result<(), TableError> {
    let name = col.name.clone();
    match &col.ty {
        DorisType::Float | DorisType::Double => Err(TableError::FloatKey),
        DorisType::String => Err(TableError::StringKey(name)),
        DorisType::Array(_) => Err(TableError::ArrayKey),
        DorisType::Hll | DorisType::Bitmap | DorisType::QuantileState => {
            Err(TableError::ComplexKey(name))
        }
        DorisType::Json => Err(TableError::JsonKey(name)),
        DorisType::Variant => Err(TableError::VariantKey(name)),
        DorisType::Map(..) => Err(TableError::MapKey),
        DorisType::Struct(_) => Err(TableError::StructKey),
        _ => Ok(()),
    }
}

/// The table-level rules, in `CreateTableInfo.validate`'s order.
fn build(input: BuildInput) -> Result<TableSchema, SqlError> {
    let BuildInput {
        database,
        name,
        name_tok,
        mut cols,
        keys,
        cluster,
        comment,
        partition_by,
        dist,
        properties,
        warnings,
    } = input;

    // FeNameFormat.checkTableName.
    let name_ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !name_ok {
        return Err(table_err(&name_tok, TableError::TableName(name)));
    }
    for (i, d) in cols.iter().enumerate() {
        if cols[..i]
            .iter()
            .any(|p| p.col.name.eq_ignore_ascii_case(&d.col.name))
        {
            return Err(table_err(
                &d.name_tok,
                TableError::DuplicateColumn(d.col.name.clone()),
            ));
        }
    }

    let without_keys = prop(&properties, "enable_duplicate_without_keys_by_default")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let (keys_type, key_names, keys_tok) = match keys {
        Some((kt, list, tok)) => {
            if without_keys {
                return Err(table_err(&tok, TableError::DuplicateWithoutKeys));
            }
            (
                kt,
                list.into_iter().map(|(n, _)| n).collect::<Vec<_>>(),
                tok,
            )
        }
        None => {
            let first_tok = cols[0].name_tok.clone();
            let has_agg = cols.iter().any(|d| d.col.aggregation.is_some());
            let mut names = Vec::new();
            let kt = if has_agg {
                for d in &cols {
                    if d.col.aggregation.is_some() {
                        break;
                    }
                    names.push(d.col.name.clone());
                }
                KeysType::Aggregate
            } else {
                if !without_keys {
                    let mut len = 0;
                    for d in &cols {
                        let ty = &d.col.ty;
                        len += index_size(ty);
                        if names.len() >= 3 || len > 36 {
                            if names.is_empty() && ty.is_string() {
                                names.push(d.col.name.clone());
                            }
                            break;
                        }
                        if matches!(
                            ty,
                            DorisType::Float
                                | DorisType::Double
                                | DorisType::String
                                | DorisType::Json
                                | DorisType::Variant
                        ) || ty.is_nested()
                        {
                            break;
                        }
                        names.push(d.col.name.clone());
                        if matches!(ty, DorisType::Varchar { .. }) {
                            break;
                        }
                    }
                }
                KeysType::Duplicate
            };
            if names.is_empty() && (kt != KeysType::Duplicate || !without_keys) {
                return Err(table_err(&first_tok, TableError::NoKeyColumn));
            }
            (kt, names, first_tok)
        }
    };

    if prop(&properties, "enable_unique_key_merge_on_write").is_some()
        && keys_type != KeysType::Unique
    {
        return Err(table_err(&keys_tok, TableError::MowNotUnique));
    }
    let mow = keys_type == KeysType::Unique
        && prop(&properties, "enable_unique_key_merge_on_write")
            .map(|v| !v.eq_ignore_ascii_case("false"))
            .unwrap_or(true);

    // validateKeyColumns.
    if key_names.len() > cols.len() {
        return Err(table_err(&keys_tok, TableError::TooManyKeys));
    }
    if let Some((list, tok)) = &cluster {
        if keys_type != KeysType::Unique {
            return Err(table_err(tok, TableError::ClusterNotUnique));
        }
        for (i, (n, t)) in list.iter().enumerate() {
            if list[..i].iter().any(|(p, _)| p.eq_ignore_ascii_case(n)) {
                return Err(table_err(t, TableError::DuplicateClusterKey(n.clone())));
            }
            if !cols.iter().any(|d| d.col.name.eq_ignore_ascii_case(n)) {
                return Err(table_err(t, TableError::ClusterKeyMissing(n.clone())));
            }
        }
        let same = key_names
            .iter()
            .zip(list.iter())
            .all(|(k, (c, _))| k.eq_ignore_ascii_case(c));
        if same {
            return Err(table_err(tok, TableError::ClusterSameAsKeys));
        }
    }
    for (i, key) in key_names.iter().enumerate() {
        let col = &cols[i].col;
        if !key.eq_ignore_ascii_case(&col.name) {
            if !cols.iter().any(|d| d.col.name.eq_ignore_ascii_case(key)) {
                return Err(table_err(&keys_tok, TableError::KeyMissing(key.clone())));
            }
            return Err(table_err(
                &keys_tok,
                TableError::KeyPrefix {
                    index: i,
                    key: key.clone(),
                    column: col.name.clone(),
                },
            ));
        }
        if col.aggregation.is_some() {
            return Err(table_err(
                &cols[i].name_tok,
                TableError::KeyAggregation(col.name.clone()),
            ));
        }
    }
    for d in &cols[key_names.len()..] {
        if keys_type == KeysType::Aggregate {
            if d.col.aggregation.is_none() {
                return Err(table_err(
                    &d.name_tok,
                    TableError::MissingAggregation(d.col.name.clone()),
                ));
            }
        } else if d.col.aggregation.is_some() {
            return Err(table_err(
                &d.name_tok,
                TableError::UnexpectedAggregation {
                    keys_type,
                    column: d.col.name.clone(),
                },
            ));
        }
    }
    if let Some((_, tok)) = &cluster
        && !mow
    {
        return Err(table_err(tok, TableError::ClusterNeedsMow));
    }
    for (i, d) in cols.iter_mut().enumerate() {
        if i < key_names.len() {
            d.col.is_key = true;
        }
    }

    // DistributionDescriptor.validate.
    let distributed_by = match dist {
        None => None,
        Some(d) => {
            if d.buckets == Some(0) {
                return Err(table_err(&d.tok, TableError::Buckets { hash: d.hash }));
            }
            if d.hash {
                for (i, (n, t)) in d.columns.iter().enumerate() {
                    if d.columns[..i].iter().any(|(p, _)| p == n) {
                        return Err(table_err(t, TableError::DuplicateDistribution));
                    }
                }
                for (n, t) in &d.columns {
                    match cols.iter().find(|c| c.col.name.eq_ignore_ascii_case(n)) {
                        None => {
                            return Err(table_err(t, TableError::DistributionMissing(n.clone())));
                        }
                        Some(c) => {
                            if !c.col.is_key && keys_type != KeysType::Duplicate {
                                return Err(table_err(
                                    t,
                                    TableError::DistributionNotKey(n.clone()),
                                ));
                            }
                        }
                    }
                }
            } else if keys_type == KeysType::Unique {
                return Err(table_err(&d.tok, TableError::RandomUnique));
            } else if keys_type == KeysType::Aggregate
                && cols.iter().any(|c| {
                    matches!(
                        c.col.aggregation,
                        Some(AggregationType::Replace | AggregationType::ReplaceIfNotNull)
                    )
                })
            {
                return Err(table_err(&d.tok, TableError::RandomReplace));
            }
            Some(Distribution {
                hash_columns: d.columns.into_iter().map(|(n, _)| n).collect(),
                buckets: d.buckets.map(|b| b.min(u32::MAX as u64) as u32),
            })
        }
    };

    // ColumnDefinition.validate, per column.
    for d in cols.iter_mut() {
        let t = d.name_tok.clone();
        let col = &mut d.col;
        let err = |e| Err(table_err(&t, e));
        if col
            .name
            .get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("__DORIS_"))
        {
            return err(TableError::HiddenColumnName(col.name.clone()));
        }
        if array_depth(&col.ty) > 9 {
            return err(TableError::NestingDepth);
        }
        if col.ty.is_aggregate_state() {
            if col.is_key {
                return err(TableError::ComplexKey(col.name.clone()));
            }
            if col.nullable {
                return err(TableError::ComplexNullable(col.name.clone()));
            }
        }
        if col.is_key
            && let Err(e) = check_key_type(col)
        {
            return err(e);
        }
        if let Some(a) = col.aggregation {
            if col.is_key {
                return err(TableError::KeyAggregation(col.name.clone()));
            }
            if a == AggregationType::Generic {
                return err(TableError::Unsupported("GENERIC aggregation".into()));
            }
            if !agg_compatible(a, &col.ty) {
                return err(TableError::AggregationType {
                    aggregation: a,
                    ty: col.ty.to_string(),
                });
            }
        }
        if col.aggregation == Some(AggregationType::ReplaceIfNotNull) {
            if !col.nullable {
                return err(TableError::ReplaceIfNotNullNotNull(col.name.clone()));
            }
            if col.default.is_none() {
                col.default = Some(DefaultValue::Null);
            }
        }
        let non_null_default = col
            .default
            .as_ref()
            .is_some_and(|v| *v != DefaultValue::Null);
        match &col.ty {
            DorisType::Hll if col.default.is_some() => return err(TableError::HllDefault),
            DorisType::Bitmap => {
                if non_null_default && col.default != Some(DefaultValue::BitmapEmpty) {
                    return err(TableError::BitmapDefault);
                }
                col.default = Some(DefaultValue::BitmapEmpty);
            }
            DorisType::Array(_)
                if non_null_default && col.default != Some(DefaultValue::Literal("[]".into())) =>
            {
                return err(TableError::ArrayDefault);
            }
            DorisType::Map(..) if non_null_default => return err(TableError::MapDefault),
            DorisType::Struct(_) if non_null_default => return err(TableError::StructDefault),
            DorisType::Json | DorisType::Variant if non_null_default => {
                return err(TableError::JsonDefault);
            }
            _ => {}
        }
        if !col.nullable && col.default == Some(DefaultValue::Null) {
            return err(TableError::NullDefaultNotNull(col.name.clone()));
        }
        if let Some(p) = d.on_update {
            match col.default {
                Some(DefaultValue::CurrentTimestamp { precision }) => {
                    if precision != p {
                        return err(TableError::OnUpdatePrecision(col.name.clone()));
                    }
                }
                _ => return err(TableError::OnUpdateNeedsDefault(col.name.clone())),
            }
        }
    }

    // PropertyAnalyzer.analyzeSequenceType / analyzeSequenceMapCol.
    if let Some(v) = prop(&properties, "function_column.sequence_type") {
        if keys_type != KeysType::Unique {
            return Err(table_err(&keys_tok, TableError::SequenceNotUnique));
        }
        let ok = matches!(
            v.to_ascii_uppercase().as_str(),
            "TINYINT"
                | "SMALLINT"
                | "INT"
                | "BIGINT"
                | "LARGEINT"
                | "DATE"
                | "DATETIME"
                | "DATEV2"
                | "DATETIMEV2"
        );
        if !ok {
            return Err(table_err(&keys_tok, TableError::SequenceType));
        }
    }
    if prop(&properties, "function_column.sequence_col").is_some() && keys_type != KeysType::Unique
    {
        return Err(table_err(&keys_tok, TableError::SequenceNotUnique));
    }

    Ok(TableSchema {
        database,
        name,
        columns: cols.into_iter().map(|d| d.col).collect(),
        keys_type,
        key_columns: key_names,
        partition_by,
        distributed_by,
        properties,
        comment,
        warnings,
    })
}
