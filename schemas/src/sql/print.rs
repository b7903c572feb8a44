//! Printing tables and jobs back as statements: [`TableSchema::to_sql`] (like `SHOW CREATE
//! TABLE`) and [`RoutineLoadJob::to_sql`] (like `SHOW CREATE ROUTINE LOAD`: every property
//! with its effective value). The output parses back to an equal value.

use std::fmt::Write as _;

use crate::job::{DataFormat, MergeType, NewKeyBehavior, RoutineLoadJob};
use crate::table::{Column, DefaultValue, TableSchema};
use crate::types::DorisType;
use crate::version::MessageTexts;

/// `` `name` `` with backquotes doubled.
fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A double-quoted literal that Doris's string decoding turns back into `s`.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{8}' => out.push_str("\\b"),
            '\u{1a}' => out.push_str("\\Z"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A column comment: Doris strips quotes and removes every backslash, so a `"` inside is
/// written `\"`.
fn quote_comment(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\\\""))
}

/// A separator literal: plain when that round-trips, else hex (`\x..`).
fn separator(bytes: &[u8]) -> String {
    let plain = !bytes.is_empty()
        && bytes
            .iter()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'\\' | b'"' | b'\'') || *b == b' ');
    if plain {
        format!("\"{}\"", String::from_utf8_lossy(bytes))
    } else {
        let mut s = String::from("\"\\x");
        for b in bytes {
            let _ = write!(s, "{b:02X}");
        }
        s.push('"');
        s
    }
}

/// A type with struct field comments (the `Display` of [`DorisType`] omits them).
fn type_sql(ty: &DorisType) -> String {
    match ty {
        DorisType::Array(t) => format!("ARRAY<{}>", type_sql(t)),
        DorisType::Map(k, v) => format!("MAP<{},{}>", type_sql(k), type_sql(v)),
        DorisType::Struct(fields) => {
            let parts: Vec<String> = fields
                .iter()
                .map(|f| {
                    let mut s = format!("{}:{}", ident(&f.name), type_sql(&f.ty));
                    if let Some(c) = &f.comment {
                        let _ = write!(s, " COMMENT {}", quote(c));
                    }
                    s
                })
                .collect();
            format!("STRUCT<{}>", parts.join(","))
        }
        other => other.to_string(),
    }
}

fn column_sql(c: &Column, in_key_clause: bool) -> String {
    let mut s = format!("{} {}", ident(&c.name), type_sql(&c.ty));
    if c.is_key && !in_key_clause {
        s.push_str(" KEY");
    }
    if let Some(a) = c.aggregation {
        let _ = write!(s, " {}", a.as_sql());
    }
    s.push_str(if c.nullable { " NULL" } else { " NOT NULL" });
    if c.auto_increment {
        s.push_str(" AUTO_INCREMENT");
    }
    if let Some(d) = &c.default {
        s.push_str(" DEFAULT ");
        match d {
            DefaultValue::Null => s.push_str("NULL"),
            DefaultValue::Literal(v) => s.push_str(&quote(v)),
            DefaultValue::CurrentTimestamp { precision: 0 } => s.push_str("CURRENT_TIMESTAMP"),
            DefaultValue::CurrentTimestamp { precision } => {
                let _ = write!(s, "CURRENT_TIMESTAMP({precision})");
            }
            DefaultValue::CurrentDate => s.push_str("CURRENT_DATE"),
            DefaultValue::Pi => s.push_str("PI"),
            DefaultValue::E => s.push('E'),
            DefaultValue::BitmapEmpty => s.push_str("BITMAP_EMPTY"),
        }
    }
    if c.on_update_current_timestamp {
        match c.default {
            Some(DefaultValue::CurrentTimestamp { precision }) if precision > 0 => {
                let _ = write!(s, " ON UPDATE CURRENT_TIMESTAMP({precision})");
            }
            _ => s.push_str(" ON UPDATE CURRENT_TIMESTAMP"),
        }
    }
    if let Some(comment) = &c.comment {
        let _ = write!(s, " COMMENT {}", quote_comment(comment));
    }
    s
}

impl TableSchema {
    /// The table as a `CREATE TABLE` statement (explicit key clause, every column attribute),
    /// which [`crate::sql::parse_create_table`] reads back to an equal schema (warnings
    /// aside: ignored clauses are not printed).
    pub fn to_sql(&self) -> String {
        let mut s = String::from("CREATE TABLE ");
        if let Some(db) = &self.database {
            let _ = write!(s, "{}.", ident(db));
        }
        s.push_str(&ident(&self.name));
        s.push_str(" (\n");
        let cols: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                let in_key = self
                    .key_columns
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&c.name));
                format!("  {}", column_sql(c, in_key))
            })
            .collect();
        s.push_str(&cols.join(",\n"));
        s.push_str("\n) ENGINE=OLAP\n");
        let keys: Vec<String> = self.key_columns.iter().map(|k| ident(k)).collect();
        let _ = writeln!(s, "{}({})", self.keys_type.as_sql(), keys.join(", "));
        if let Some(c) = &self.comment {
            let _ = writeln!(s, "COMMENT {}", quote(c));
        }
        if let Some(p) = &self.partition_by {
            let _ = writeln!(s, "{p}");
        }
        if let Some(d) = &self.distributed_by {
            if d.hash_columns.is_empty() {
                s.push_str("DISTRIBUTED BY RANDOM");
            } else {
                let cols: Vec<String> = d.hash_columns.iter().map(|c| ident(c)).collect();
                let _ = write!(s, "DISTRIBUTED BY HASH({})", cols.join(", "));
            }
            match d.buckets {
                Some(n) => {
                    let _ = writeln!(s, " BUCKETS {n}");
                }
                None => s.push_str(" BUCKETS AUTO\n"),
            }
        }
        if !self.properties.is_empty() {
            let props: Vec<String> = self
                .properties
                .iter()
                .map(|(k, v)| format!("{} = {}", quote(k), quote(v)))
                .collect();
            let _ = writeln!(s, "PROPERTIES ({})", props.join(", "));
        }
        s.truncate(s.trim_end().len());
        s.push(';');
        s
    }
}

impl RoutineLoadJob {
    /// The job as a `CREATE ROUTINE LOAD` statement, like `SHOW CREATE ROUTINE LOAD`: every
    /// job property with its effective value, then FROM KAFKA. [`crate::sql::parse_statement`]
    /// reads it back to an equal job.
    pub fn to_sql(&self) -> String {
        let mut s = String::from("CREATE ROUTINE LOAD ");
        if let Some(db) = &self.database {
            let _ = write!(s, "{}.", ident(db));
        }
        s.push_str(&ident(&self.name));
        if let Some(t) = &self.table {
            let _ = write!(s, " ON {}", ident(t));
        }
        s.push('\n');
        if self.merge_type != MergeType::Append {
            let _ = writeln!(s, "WITH {}", self.merge_type.as_str());
        }
        let mut clauses = Vec::new();
        let l = &self.load;
        if let Some(sep) = &l.column_separator {
            clauses.push(format!("COLUMNS TERMINATED BY {}", separator(sep)));
        }
        if let Some(cols) = &l.columns {
            let items: Vec<String> = cols
                .iter()
                .map(|c| match &c.expr {
                    Some(e) => format!("{} = {}", ident(&c.name), e.text),
                    None => ident(&c.name),
                })
                .collect();
            clauses.push(format!("COLUMNS({})", items.join(", ")));
        }
        if let Some(e) = &l.preceding_filter {
            clauses.push(format!("PRECEDING FILTER {}", e.text));
        }
        if let Some(e) = &l.where_predicate {
            clauses.push(format!("WHERE {}", e.text));
        }
        if let Some(p) = &l.partitions {
            let list = if p.names.len() == 1 && p.names[0] == "*" && !p.temporary {
                "*".to_string()
            } else {
                p.names
                    .iter()
                    .map(|n| ident(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let temp = if p.temporary { "TEMPORARY " } else { "" };
            clauses.push(format!("{temp}PARTITION({list})"));
        }
        if let Some(e) = &l.delete_on {
            clauses.push(format!("DELETE ON {}", e.text));
        }
        if let Some(c) = &l.order_by {
            clauses.push(format!("ORDER BY {}", ident(c)));
        }
        if !clauses.is_empty() {
            s.push_str(&clauses.join(",\n"));
            s.push('\n');
        }

        let p = &self.properties;
        let v4 = p.doris_version.rules().messages == MessageTexts::Current;
        let mut props: Vec<(&str, String)> = vec![
            (
                "desired_concurrent_number",
                p.desired_concurrent_number.to_string(),
            ),
            ("max_error_number", p.max_error_number.to_string()),
            ("max_filter_ratio", p.max_filter_ratio.to_string()),
            ("max_batch_interval", p.max_batch_interval_secs.to_string()),
            ("max_batch_rows", p.max_batch_rows.to_string()),
            ("max_batch_size", p.max_batch_size.to_string()),
            ("strict_mode", p.strict_mode.to_string()),
            ("timezone", p.timezone.clone()),
            ("exec_mem_limit", p.exec_mem_limit.to_string()),
            (
                "send_batch_parallelism",
                p.send_batch_parallelism.to_string(),
            ),
            ("load_to_single_tablet", p.load_to_single_tablet.to_string()),
            ("partial_columns", p.partial_columns.to_string()),
        ];
        if v4 {
            props.push((
                "unique_key_update_mode",
                p.unique_key_update_mode_str().to_string(),
            ));
            if p.is_partial_update() {
                let b = match p.partial_update_new_key_behavior {
                    NewKeyBehavior::Append => "APPEND",
                    NewKeyBehavior::Error => "ERROR",
                };
                props.push(("partial_update_new_key_behavior", b.to_string()));
            }
        }
        if let Some(w) = &p.workload_group {
            props.push(("workload_group", w.clone()));
        }
        props.push((
            "format",
            match p.format {
                DataFormat::Csv => "csv",
                DataFormat::Json => "json",
            }
            .to_string(),
        ));
        if let Some(j) = &p.jsonpaths {
            props.push(("jsonpaths", j.clone()));
        }
        if let Some(j) = &p.json_root {
            props.push(("json_root", j.clone()));
        }
        props.push(("strip_outer_array", p.strip_outer_array.to_string()));
        props.push(("num_as_string", p.num_as_string.to_string()));
        props.push(("fuzzy_parse", p.fuzzy_parse.to_string()));
        if let Some(b) = p.enclose {
            props.push(("enclose", char::from(b).to_string()));
        }
        if let Some(b) = p.escape {
            props.push(("escape", char::from(b).to_string()));
        }
        if v4 {
            props.push(("empty_field_as_null", p.empty_field_as_null.to_string()));
        }
        props.push(("doris_version", p.doris_version.as_str().to_string()));
        props.push(("max_inflight_epochs", p.max_inflight_epochs.to_string()));
        props.push(("load_format", p.load_format.as_str().to_string()));
        s.push_str("PROPERTIES\n(\n");
        let lines: Vec<String> = props
            .iter()
            .map(|(k, v)| format!("  {} = {}", quote(k), quote(v)))
            .collect();
        s.push_str(&lines.join(",\n"));
        s.push_str("\n)\n");

        let k = &self.kafka;
        let mut kp: Vec<(String, String)> = vec![
            ("kafka_broker_list".into(), k.broker_list.join(",")),
            ("kafka_topic".into(), k.topic.clone()),
        ];
        if let Some(parts) = &k.partitions {
            let list: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
            kp.push(("kafka_partitions".into(), list.join(",")));
        }
        if let Some(offs) = &k.offsets {
            let list: Vec<String> = offs.iter().map(|o| o.to_property_text()).collect();
            kp.push(("kafka_offsets".into(), list.join(",")));
        }
        let bare = k
            .other
            .iter()
            .find(|(key, _)| key == "kafka_default_offsets");
        if let Some(d) = &k.default_offset {
            let from_bare = bare.is_some_and(|(_, v)| {
                crate::job::KafkaOffset::to_property_text(d).eq_ignore_ascii_case(v)
            });
            if !from_bare {
                kp.push((
                    "property.kafka_default_offsets".into(),
                    d.to_property_text(),
                ));
            }
        }
        for (key, v) in &k.properties {
            kp.push((format!("property.{key}"), v.clone()));
        }
        for (key, v) in &k.other {
            kp.push((key.clone(), v.clone()));
        }
        s.push_str("FROM KAFKA\n(\n");
        let lines: Vec<String> = kp
            .iter()
            .map(|(k, v)| format!("  {} = {}", quote(k), quote(v)))
            .collect();
        s.push_str(&lines.join(",\n"));
        s.push_str("\n)");
        if let Some(c) = &self.comment {
            let _ = write!(s, "\nCOMMENT {}", quote(c));
        }
        s.push(';');
        s
    }
}
