//! The routine load statements: `CREATE ROUTINE LOAD` (4.x grammar, plus the 2.1 / 3.0 forms:
//! quoted-only properties and a stray comma before the first load clause), `ALTER`,
//! `PAUSE`, `RESUME`, `STOP`, `SHOW [ALL] ROUTINE LOAD`, `SHOW ROUTINE LOAD TASK` and
//! `SHOW [ALL] CREATE ROUTINE LOAD`, and the statement dispatcher. A statement is first read
//! whole (clause structure, with every token's position), then validated in the order
//! Doris's FE validates it, so the first error reported is the one Doris would report.

use sqlparser::ast::{BinaryOperator, Expr, Value};
use sqlparser::tokenizer::Token;

use super::cursor::{Cursor, Prop};
use super::error::SqlError;
use super::lexer::{Tok, decode_separator, tokenize};
use super::{AlterRoutineLoad, JobName, Statement, create_table};
use crate::job::{
    ColumnMapping, ItemError, JobError, JobProperties, KafkaSource, LoadClauseKind, LoadClauses,
    MergeType, PartitionNames, PropContext, RoutineLoadJob, apply_job_values, check_alter_keys,
    check_job_combination, check_load_clauses, parse_create_properties, parse_kafka_settings,
};
use crate::timezone::TimeZone;
use crate::version::DorisVersion;

/// Parses every statement in `sql`, split on top-level `;`; empty statements are skipped.
pub fn parse_statements(sql: &str) -> Result<Vec<Statement>, SqlError> {
    let toks = tokenize(sql)?;
    let mut out = Vec::new();
    let mut group: Vec<Tok> = Vec::new();
    for t in toks {
        match t.tok {
            Token::SemiColon | Token::EOF => {
                if !group.is_empty() {
                    let mut g = std::mem::take(&mut group);
                    g.push(Tok {
                        tok: Token::EOF,
                        ..t.clone()
                    });
                    let mut c = Cursor::new(sql, g);
                    let stmt = parse_one(&mut c)?;
                    if !c.at_eof() {
                        return Err(c.unexpected("end of statement"));
                    }
                    out.push(stmt);
                }
            }
            _ => group.push(t),
        }
    }
    Ok(out)
}

/// Parses exactly one statement (trailing `;` allowed).
pub fn parse_statement(sql: &str) -> Result<Statement, SqlError> {
    let toks = tokenize(sql)?;
    let first_second = {
        // Position of the first token after the first `;` that is not another `;`.
        let mut seen_semi = false;
        let mut second = None;
        for t in &toks {
            match t.tok {
                Token::SemiColon => seen_semi = true,
                Token::EOF => break,
                _ if seen_semi => {
                    second = Some(t.clone());
                    break;
                }
                _ => {}
            }
        }
        second
    };
    let mut stmts = parse_statements(sql)?;
    if let Some(t) = first_second {
        return Err(Cursor::err_at(
            &t,
            "expected a single statement (use parse_statements for several)",
        ));
    }
    match stmts.pop() {
        Some(s) => Ok(s),
        None => {
            let end = toks.last().cloned();
            match end {
                Some(t) => Err(Cursor::err_at(
                    &t,
                    "expected a statement, found end of input",
                )),
                None => Err(SqlError::syntax(
                    1,
                    1,
                    "expected a statement, found end of input",
                )),
            }
        }
    }
}

const SUPPORTED: &str = "CREATE TABLE, CREATE / ALTER / PAUSE / RESUME / STOP / SHOW ROUTINE LOAD";

fn parse_one(c: &mut Cursor) -> Result<Statement, SqlError> {
    if c.eat_kw("CREATE") {
        if c.at_kw("ROUTINE") {
            c.advance();
            c.expect_kw("LOAD")?;
            return create_routine_load(c).map(Statement::CreateRoutineLoad);
        }
        return create_table::parse_after_create(c).map(Statement::CreateTable);
    }
    if c.eat_kw("ALTER") {
        c.expect_kw("ROUTINE")?;
        c.expect_kw("LOAD")?;
        return alter_routine_load(c).map(Statement::AlterRoutineLoad);
    }
    for verb in ["PAUSE", "RESUME"] {
        if c.eat_kw(verb) {
            let job = if c.eat_kw("ALL") {
                c.expect_kw("ROUTINE")?;
                c.expect_kw("LOAD")?;
                None
            } else {
                c.expect_kw("ROUTINE")?;
                c.expect_kw("LOAD")?;
                c.expect_kw("FOR")?;
                Some(job_name(c, false)?)
            };
            return Ok(if verb == "PAUSE" {
                Statement::PauseRoutineLoad { job }
            } else {
                Statement::ResumeRoutineLoad { job }
            });
        }
    }
    if c.eat_kw("STOP") {
        c.expect_kw("ROUTINE")?;
        c.expect_kw("LOAD")?;
        c.expect_kw("FOR")?;
        let job = job_name(c, false)?;
        return Ok(Statement::StopRoutineLoad { job });
    }
    if c.eat_kw("SHOW") {
        return show(c);
    }
    Err(c.unexpected(&format!("a statement ({SUPPORTED})")))
}

/// `[db.]name` as a job name. CREATE: `labelParts in load should be [db.]label`; others:
/// `only support [<db>.]<job_name>`.
fn job_name(c: &mut Cursor, create: bool) -> Result<JobName, SqlError> {
    let parts = c.multipart("a routine load job name")?;
    if parts.len() > 2 {
        let e = if create {
            JobError::LabelParts
        } else {
            JobError::JobNameParts
        };
        return Err(Cursor::job_err_at(&parts[0].1, e));
    }
    let name = parts[parts.len() - 1].0.clone();
    let database = (parts.len() == 2).then(|| parts[0].0.clone());
    Ok(JobName { database, name })
}

/// `FeNameFormat.COMMON_NAME_REGEX`: `^[a-zA-Z][a-zA-Z0-9-_]{0,63}$`.
fn job_name_ok(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
}

fn show(c: &mut Cursor) -> Result<Statement, SqlError> {
    let all = c.eat_kw("ALL");
    if c.eat_kw("CREATE") {
        c.expect_kw("ROUTINE")?;
        c.expect_kw("LOAD")?;
        c.expect_kw("FOR")?;
        let job = job_name(c, false)?;
        return Ok(Statement::ShowCreateRoutineLoad { all, job });
    }
    c.expect_kw("ROUTINE")?;
    c.expect_kw("LOAD")?;
    if !all && c.at_kw("TASK") {
        let task_tok = c.advance();
        let database = if c.eat_kw("FROM") || c.eat_kw("IN") {
            Some(c.ident("a database name")?.0)
        } else {
            None
        };
        const DESIGNATE: &str =
            "please designate a jobName in where expr such as JobName=\"ILoveDoris\"";
        const ONLY_EQUAL: &str = "show routine load job only support one equal expr which is sames like JobName=\"ILoveDoris\"";
        if c.at_kw("LIKE") {
            let t = c.advance();
            c.string_lit("a pattern")?;
            return Err(Cursor::err_at(&t, DESIGNATE));
        }
        if !c.at_kw("WHERE") {
            if c.at_eof() {
                return Err(Cursor::err_at(&task_tok, DESIGNATE));
            }
            return Err(c.unexpected("FROM, IN or WHERE"));
        }
        let where_tok = c.advance();
        let e = c.expr("WHERE")?;
        let job_name = match &e.ast {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            } => match (left.as_ref(), right.as_ref()) {
                (Expr::Identifier(id), Expr::Value(v))
                    if id.value.eq_ignore_ascii_case("jobname") =>
                {
                    match &v.value {
                        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => {
                            Some(s.clone())
                        }
                        _ => None,
                    }
                }
                _ => None,
            },
            _ => None,
        };
        return match job_name {
            Some(job_name) => Ok(Statement::ShowRoutineLoadTask { database, job_name }),
            None => Err(Cursor::err_at(&where_tok, ONLY_EQUAL)),
        };
    }
    let mut job = None;
    let mut like = None;
    if c.eat_kw("FOR") {
        job = Some(job_name(c, false)?);
    } else if c.eat_kw("LIKE") {
        like = Some(c.string_lit("a pattern")?.0);
    }
    Ok(Statement::ShowRoutineLoad { all, job, like })
}

/// Load clauses as read, before validation.
#[derive(Default)]
struct RawClauses {
    load: LoadClauses,
    /// The raw `COLUMNS TERMINATED BY` literal.
    separator: Option<(String, Tok)>,
    /// The first repeated clause.
    repeat: Option<(LoadClauseKind, Tok)>,
}

fn at_load_clause(c: &Cursor) -> bool {
    load_clause_at(c, 0)
}

fn load_clause_at(c: &Cursor, n: usize) -> bool {
    [
        "COLUMNS",
        "PRECEDING",
        "WHERE",
        "DELETE",
        "ORDER",
        "TEMPORARY",
        "PARTITION",
        "PARTITIONS",
    ]
    .iter()
    .any(|k| c.is_kw_at(n, k))
}

fn load_clauses(c: &mut Cursor, allow_leading_comma: bool) -> Result<RawClauses, SqlError> {
    let mut raw = RawClauses::default();
    // 2.x `opt_load_property_list` accepts `, COLUMNS(...)` right after the table.
    if allow_leading_comma && c.at_tok(&Token::Comma) && load_clause_at(c, 1) {
        c.advance();
    }
    if !at_load_clause(c) {
        return Ok(raw);
    }
    loop {
        load_clause(c, &mut raw)?;
        if c.at_tok(&Token::Comma) {
            c.advance();
            if !at_load_clause(c) {
                return Err(c.unexpected(
                    "a load property after ',' (COLUMNS, COLUMNS TERMINATED BY, PRECEDING \
                     FILTER, WHERE, PARTITION, DELETE ON or ORDER BY; no ',' before PROPERTIES)",
                ));
            }
            continue;
        }
        return Ok(raw);
    }
}

fn note_repeat(raw: &mut RawClauses, kind: LoadClauseKind, tok: &Tok, present: bool) {
    if present && raw.repeat.is_none() {
        raw.repeat = Some((kind, tok.clone()));
    }
}

fn load_clause(c: &mut Cursor, raw: &mut RawClauses) -> Result<(), SqlError> {
    let tok = c.peek().clone();
    if c.at_kw("COLUMNS") && c.is_kw_at(1, "TERMINATED") {
        c.advance();
        c.advance();
        c.expect_kw("BY")?;
        let (s, t) = c.raw_string("a separator string")?;
        note_repeat(
            raw,
            LoadClauseKind::Separator,
            &tok,
            raw.separator.is_some(),
        );
        raw.separator = Some((s, t));
        return Ok(());
    }
    if c.eat_kw("COLUMNS") {
        c.expect_tok(&Token::LParen)?;
        let mut cols = Vec::new();
        loop {
            let paren = c.eat_tok(&Token::LParen);
            let (name, _) = c.ident("a column name")?;
            let expr = if c.eat_tok(&Token::Eq) {
                Some(c.expr("COLUMNS mapping")?)
            } else {
                None
            };
            if paren {
                c.expect_tok(&Token::RParen)?;
            }
            cols.push(ColumnMapping { name, expr });
            if c.eat_tok(&Token::Comma) {
                continue;
            }
            if c.eat_tok(&Token::RParen) {
                break;
            }
            return Err(c.unexpected("',' or ')' in COLUMNS"));
        }
        note_repeat(
            raw,
            LoadClauseKind::Columns,
            &tok,
            raw.load.columns.is_some(),
        );
        raw.load.columns = Some(cols);
        return Ok(());
    }
    if c.eat_kw("PRECEDING") {
        c.expect_kw("FILTER")?;
        let e = c.expr("PRECEDING FILTER")?;
        note_repeat(
            raw,
            LoadClauseKind::PrecedingFilter,
            &tok,
            raw.load.preceding_filter.is_some(),
        );
        raw.load.preceding_filter = Some(e);
        return Ok(());
    }
    if c.eat_kw("WHERE") {
        let e = c.expr("WHERE")?;
        note_repeat(
            raw,
            LoadClauseKind::Where,
            &tok,
            raw.load.where_predicate.is_some(),
        );
        raw.load.where_predicate = Some(e);
        return Ok(());
    }
    if c.eat_kw("DELETE") {
        c.expect_kw("ON")?;
        let e = c.expr("DELETE ON")?;
        note_repeat(
            raw,
            LoadClauseKind::DeleteOn,
            &tok,
            raw.load.delete_on.is_some(),
        );
        raw.load.delete_on = Some(e);
        return Ok(());
    }
    if c.eat_kw("ORDER") {
        c.expect_kw("BY")?;
        let (col, _) = c.ident("a sequence column name")?;
        note_repeat(
            raw,
            LoadClauseKind::OrderBy,
            &tok,
            raw.load.order_by.is_some(),
        );
        raw.load.order_by = Some(col);
        return Ok(());
    }
    let temporary = c.eat_kw("TEMPORARY");
    let plural = if c.eat_kw("PARTITIONS") {
        true
    } else {
        c.expect_kw("PARTITION")?;
        false
    };
    let names = if c.at_tok(&Token::LParen) {
        if c.peek_nth(1).tok == Token::Mul && !temporary {
            c.advance();
            c.advance();
            c.expect_tok(&Token::RParen)?;
            vec!["*".to_string()]
        } else {
            c.ident_list("a partition name")?
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        }
    } else if plural {
        return Err(c.unexpected("'(' after PARTITIONS"));
    } else {
        vec![c.ident("a partition name")?.0]
    };
    note_repeat(
        raw,
        LoadClauseKind::Partitions,
        &tok,
        raw.load.partitions.is_some(),
    );
    raw.load.partitions = Some(PartitionNames { temporary, names });
    Ok(())
}

/// Maps a property-list error to the position of the item (value for value errors).
fn prop_err(props: &[Prop], e: ItemError, fallback: &Tok) -> SqlError {
    let tok = match (e.item.and_then(|i| props.get(i)), &e.error) {
        (Some(p), JobError::InvalidProperty { .. } | JobError::InvalidKafkaProperty { .. }) => {
            &p.key_tok
        }
        (Some(p), _) => &p.value_tok,
        (None, _) => fallback,
    };
    Cursor::job_err_at(tok, e.error)
}

fn pairs(props: &[Prop]) -> Vec<(String, String)> {
    props
        .iter()
        .map(|p| (p.key.clone(), p.value.clone()))
        .collect()
}

/// Validates the clause structure shared by CREATE and ALTER: repeated clauses (worded for
/// `version`) and the separator.
fn finish_clauses(raw: RawClauses, version: DorisVersion) -> Result<LoadClauses, SqlError> {
    if let Some((clause, tok)) = raw.repeat {
        return Err(Cursor::job_err_at(
            &tok,
            JobError::RepeatedClause { clause, version },
        ));
    }
    let mut load = raw.load;
    if let Some((s, t)) = raw.separator {
        load.column_separator = Some(decode_separator(&s).map_err(|e| Cursor::job_err_at(&t, e))?);
    }
    Ok(load)
}

/// The release named by a `doris_version` property, if it names a valid one.
fn declared_version(props: &[Prop]) -> DorisVersion {
    props
        .iter()
        .rev()
        .find(|p| p.key == "doris_version")
        .and_then(|p| p.value.parse().ok())
        .unwrap_or_default()
}

fn create_routine_load(c: &mut Cursor) -> Result<RoutineLoadJob, SqlError> {
    let start = c.peek().clone();
    let name = job_name(c, true)?;
    let name_tok = c.toks[c.pos - 1].clone();
    let mut table = None;
    if c.eat_kw("ON") {
        table = Some(c.ident("a table name")?.0);
        if c.at_tok(&Token::Period) {
            return Err(c.unexpected(
                "WITH, a load property, PROPERTIES or FROM (ON takes a single table name; put \
                 the database in the job name)",
            ));
        }
    }
    let mut merge_type = MergeType::Append;
    if c.eat_kw("WITH") {
        merge_type = if c.eat_kw("APPEND") {
            MergeType::Append
        } else if c.eat_kw("MERGE") {
            MergeType::Merge
        } else if c.eat_kw("DELETE") {
            MergeType::Delete
        } else {
            return Err(c.unexpected("APPEND, MERGE or DELETE"));
        };
    }
    let clauses_tok = c.peek().clone();
    let raw = load_clauses(c, true)?;
    let mut props = Vec::new();
    let mut props_tok = start.clone();
    if c.at_kw("PROPERTIES") {
        props_tok = c.advance();
        props = c.property_list(false)?;
    }
    if !c.at_kw("FROM") {
        if at_load_clause(c) {
            return Err(c.unexpected("',' between load properties"));
        }
        return Err(c.unexpected("PROPERTIES or FROM KAFKA"));
    }
    let from_tok = c.advance();
    let (source_type, type_tok) = c.ident("a data source type")?;
    let kafka = c.property_list(false)?;
    let comment = if c.eat_kw("COMMENT") {
        Some(c.string_lit("a comment")?.0)
    } else {
        None
    };

    // Validation, in CreateRoutineLoadInfo's order.
    let version = declared_version(&props);
    let load = finish_clauses(raw, version)?;
    if !job_name_ok(&name.name) {
        return Err(Cursor::job_err_at(
            &name_tok,
            JobError::JobName(name.name.clone()),
        ));
    }
    check_load_clauses(&load, merge_type, table.is_none())
        .map_err(|e| Cursor::job_err_at(&clauses_tok, e))?;
    let properties =
        parse_create_properties(&pairs(&props)).map_err(|e| prop_err(&props, e, &props_tok))?;
    if !source_type.eq_ignore_ascii_case("KAFKA") {
        return Err(Cursor::job_err_at(
            &type_tok,
            JobError::UnknownDataSource(source_type),
        ));
    }
    let settings = parse_kafka_settings(&pairs(&kafka), &properties.time_zone, PropContext::Create)
        .map_err(|e| prop_err(&kafka, e, &from_tok))?;
    let job = RoutineLoadJob {
        database: name.database,
        name: name.name,
        table,
        merge_type,
        load,
        properties,
        kafka: KafkaSource::from_settings(settings),
        comment,
    };
    check_job_combination(&job).map_err(|e| Cursor::job_err_at(&props_tok, e))?;
    Ok(job)
}

fn alter_routine_load(c: &mut Cursor) -> Result<AlterRoutineLoad, SqlError> {
    let for_tok = c.expect_kw("FOR")?;
    let job = job_name(c, false)?;
    let raw = load_clauses(c, false)?;
    let mut props = Vec::new();
    let mut props_tok = for_tok.clone();
    if c.at_kw("PROPERTIES") {
        props_tok = c.advance();
        props = c.property_list(false)?;
    }
    let mut kafka = Vec::new();
    let mut from = None;
    if c.at_kw("FROM") {
        let from_tok = c.advance();
        let (source_type, type_tok) = c.ident("a data source type")?;
        kafka = c.property_list(true)?;
        from = Some((from_tok, source_type, type_tok));
    }
    if !c.at_eof() && at_load_clause(c) {
        return Err(c.unexpected("',' between load properties"));
    }

    let version = declared_version(&props);
    let load = finish_clauses(raw, version)?;
    // AlterRoutineLoadCommand.checkJobProperties: alterable keys and their values.
    let pairs_props = pairs(&props);
    check_alter_keys(&pairs_props, DorisVersion::default())
        .map_err(|e| prop_err(&props, e, &props_tok))?;
    let mut scratch = JobProperties::default();
    apply_job_values(&mut scratch, &pairs_props, PropContext::Alter)
        .map_err(|e| prop_err(&props, e, &props_tok))?;
    if let Some((from_tok, source_type, type_tok)) = &from {
        if !source_type.eq_ignore_ascii_case("KAFKA") {
            return Err(Cursor::job_err_at(
                type_tok,
                JobError::UnknownDataSource(source_type.clone()),
            ));
        }
        if kafka.is_empty() {
            return Err(Cursor::job_err_at(
                from_tok,
                JobError::NoDataSourceProperties,
            ));
        }
        let s = parse_kafka_settings(&pairs(&kafka), &TimeZone::UTC, PropContext::Alter)
            .map_err(|e| prop_err(&kafka, e, from_tok))?;
        if s.partitions.is_some() && s.offsets.is_none() && !s.bare_default {
            return Err(Cursor::job_err_at(
                from_tok,
                JobError::PartitionWithoutOffset,
            ));
        }
    }
    if load.is_empty() && props.is_empty() && kafka.is_empty() {
        return Err(Cursor::job_err_at(&for_tok, JobError::NoProperties));
    }
    Ok(AlterRoutineLoad {
        job,
        load,
        properties: pairs_props,
        kafka: pairs(&kafka),
    })
}
