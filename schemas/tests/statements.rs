//! Integration tests for the statement parsers (`routinely_schemas::sql`) and the job rules
//! (`routinely_schemas::job`). Each test names, in a comment, the Doris rule or source it
//! encodes (FE class names are from apache/doris `fe/fe-core`).

use routinely_schemas::job::{
    DataFormat, JobError, JobProperties, KafkaOffset, KafkaSource, MergeType, NewKeyBehavior,
    RoutineLoadJob, UniqueKeyUpdateMode, validate_against_table,
};
use routinely_schemas::live_alterable;
use routinely_schemas::sql::{
    AlterRoutineLoad, JobName, SqlErrorKind, Statement, TableError, parse_create_table,
    parse_statement, parse_statements, parse_type,
};
use routinely_schemas::table::{AggregationType, DefaultValue, KeysType, TableSchema};
use routinely_schemas::timezone::TimeZone;
use routinely_schemas::types::DorisType;
use routinely_schemas::version::DorisVersion;

const SEED: &str = r#"
CREATE TABLE rt_events (
  event_time DATETIME, user_id BIGINT, action VARCHAR(32), attr_json JSON
) DUPLICATE KEY(event_time, user_id) DISTRIBUTED BY HASH(user_id) BUCKETS 32;

CREATE ROUTINE LOAD app.rt_events_rl ON rt_events
PROPERTIES (
  "desired_concurrent_number" = "8", "max_batch_interval" = "10",
  "max_batch_rows" = "500000", "max_batch_size" = "536870912", -- 512MB
  "format" = "json",
  "jsonpaths" = "[\"$.event_time\",\"$.user_id\",\"$.action\",\"$\"]",
  "strict_mode" = "false" -- tolerate minor type drift
)
FROM KAFKA (
  "kafka_broker_list" = "broker1:9092,broker2:9092", "kafka_topic" = "events",
  "kafka_default_offsets" = "OFFSET_BEGINNING" -- or a timestamp
);
"#;

const KAFKA: &str = r#""kafka_broker_list" = "b1:9092", "kafka_topic" = "t""#;

fn create(sql: &str) -> RoutineLoadJob {
    match parse_statement(sql) {
        Ok(Statement::CreateRoutineLoad(j)) => j,
        other => panic!("expected CREATE ROUTINE LOAD, got {other:?}"),
    }
}

/// A job with the given PROPERTIES items (may be empty) and the minimal FROM KAFKA.
fn with_props(props: &str) -> String {
    let p = if props.is_empty() {
        String::new()
    } else {
        format!("PROPERTIES ({props})")
    };
    format!("CREATE ROUTINE LOAD db.j ON t {p} FROM KAFKA ({KAFKA})")
}

/// A job with the given extra FROM KAFKA items.
fn with_kafka(extra: &str) -> String {
    format!("CREATE ROUTINE LOAD db.j ON t FROM KAFKA ({KAFKA}, {extra})")
}

fn err(sql: &str) -> String {
    match parse_statement(sql) {
        Ok(s) => panic!("expected an error, parsed {s:?}"),
        Err(e) => e.message(),
    }
}

fn job_err(sql: &str) -> JobError {
    match parse_statement(sql) {
        Ok(s) => panic!("expected an error, parsed {s:?}"),
        Err(e) => e
            .job_error()
            .cloned()
            .unwrap_or_else(|| panic!("not a job error: {e}")),
    }
}

fn table(sql: &str) -> TableSchema {
    parse_create_table(sql).unwrap_or_else(|e| panic!("{e}"))
}

fn table_err(sql: &str) -> String {
    match parse_create_table(sql) {
        Ok(t) => panic!("expected an error, parsed {t:?}"),
        Err(e) => e.message(),
    }
}

fn alter(sql: &str) -> AlterRoutineLoad {
    match parse_statement(sql) {
        Ok(Statement::AlterRoutineLoad(a)) => a,
        other => panic!("expected ALTER, got {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------
// The seed example
// ------------------------------------------------------------------------------------------

// Doris: the CREATE TABLE + CREATE ROUTINE LOAD pair users write; `--` comments inside
// PROPERTIES and FROM KAFKA, backslash-escaped quotes in a double-quoted value
// (visitStringLiteral + escapeBackSlash).
#[test]
fn seed_example_parses_as_written() {
    let stmts = parse_statements(SEED).unwrap();
    assert_eq!(stmts.len(), 2);
    let Statement::CreateTable(t) = &stmts[0] else {
        panic!("not a table")
    };
    assert_eq!(t.name, "rt_events");
    assert_eq!(t.keys_type, KeysType::Duplicate);
    assert_eq!(t.key_columns, vec!["event_time", "user_id"]);
    assert_eq!(t.columns[0].ty, DorisType::DateTime { precision: 0 });
    assert_eq!(t.columns[2].ty, DorisType::Varchar { len: 32 });
    assert_eq!(t.columns[3].ty, DorisType::Json);
    assert!(t.columns[0].is_key && t.columns[1].is_key && !t.columns[2].is_key);
    let d = t.distributed_by.as_ref().unwrap();
    assert_eq!(d.hash_columns, vec!["user_id"]);
    assert_eq!(d.buckets, Some(32));
    assert!(t.warnings.is_empty());

    let Statement::CreateRoutineLoad(j) = &stmts[1] else {
        panic!("not a job")
    };
    assert_eq!(j.database.as_deref(), Some("app"));
    assert_eq!(j.name, "rt_events_rl");
    assert_eq!(j.table.as_deref(), Some("rt_events"));
    let p = &j.properties;
    assert_eq!(p.desired_concurrent_number, 8);
    assert_eq!(p.max_batch_interval_secs, 10);
    assert_eq!(p.max_batch_rows, 500_000);
    assert_eq!(p.max_batch_size, 536_870_912);
    assert_eq!(p.format, DataFormat::Json);
    assert_eq!(
        p.jsonpaths.as_deref(),
        Some(r#"["$.event_time","$.user_id","$.action","$"]"#)
    );
    assert!(!p.strict_mode);
    assert_eq!(j.kafka.broker_list, vec!["broker1:9092", "broker2:9092"]);
    assert_eq!(j.kafka.topic, "events");
    // routinely decision: the bare key acts like property.kafka_default_offsets.
    assert_eq!(j.kafka.default_offset, Some(KafkaOffset::Beginning));
    assert_eq!(
        j.kafka.other,
        vec![(
            "kafka_default_offsets".to_string(),
            "OFFSET_BEGINNING".to_string()
        )]
    );
    assert!(j.kafka.properties.is_empty());
    // The job fits its table.
    validate_against_table(j, t).unwrap();
}

// routinely: to_sql prints what SHOW CREATE ROUTINE LOAD shows; it parses back equal.
#[test]
fn seed_job_round_trips() {
    let stmts = parse_statements(SEED).unwrap();
    let Statement::CreateRoutineLoad(j) = &stmts[1] else {
        panic!()
    };
    let again = create(&j.to_sql());
    assert_eq!(&again, j, "{}", j.to_sql());
    let Statement::CreateTable(t) = &stmts[0] else {
        panic!()
    };
    assert_eq!(&table(&t.to_sql()), t, "{}", t.to_sql());
}

// ------------------------------------------------------------------------------------------
// Job PROPERTIES: defaults, parse rules, ranges, texts
// ------------------------------------------------------------------------------------------

// Doris: RoutineLoadJob defaults (4.x): 256 / 0 / 1.0 / 60 / 20000000 / 1 GiB / false /
// 2 GiB / 1 / csv; routinely: doris_version 4.0, max_inflight_epochs 2.
#[test]
fn every_property_default() {
    let j = create(&with_props(""));
    let p = &j.properties;
    assert_eq!(p.desired_concurrent_number, 256);
    assert_eq!(p.max_error_number, 0);
    assert_eq!(p.max_filter_ratio, 1.0);
    assert_eq!(p.max_batch_interval_secs, 60);
    assert_eq!(p.max_batch_rows, 20_000_000);
    assert_eq!(p.max_batch_size, 1_073_741_824);
    assert!(!p.strict_mode);
    assert_eq!(
        p.time_zone.offset_at_utc(0),
        TimeZone::system().offset_at_utc(0)
    );
    assert_eq!(p.exec_mem_limit, 2_147_483_648);
    assert_eq!(p.send_batch_parallelism, 1);
    assert!(!p.load_to_single_tablet);
    assert!(!p.partial_columns);
    assert_eq!(p.unique_key_update_mode, UniqueKeyUpdateMode::Upsert);
    assert_eq!(p.partial_update_new_key_behavior, NewKeyBehavior::Append);
    assert_eq!(p.workload_group, None);
    assert_eq!(p.format, DataFormat::Csv);
    assert_eq!(p.jsonpaths, None);
    assert_eq!(p.json_root, None);
    assert!(!p.strip_outer_array && !p.num_as_string && !p.fuzzy_parse);
    assert_eq!(p.enclose, None);
    assert_eq!(p.escape, None);
    assert!(!p.empty_field_as_null);
    assert_eq!(p.doris_version, DorisVersion::V4_0);
    assert_eq!(p.max_inflight_epochs, 2);
    assert_eq!(j.merge_type, MergeType::Append);
    assert_eq!(j.kafka.default_offset, None);
    assert_eq!(j.kafka.effective_default_offset(), KafkaOffset::End);
    assert_eq!(*p, JobProperties::default());
}

// Doris: CreateRoutineLoadInfo range checks and their 4.x texts.
#[test]
fn range_error_texts() {
    let cases = [
        (
            "desired_concurrent_number",
            "0",
            "desired_concurrent_number must be greater than 0",
        ),
        ("max_error_number", "-1", "max_error_number should >= 0"),
        (
            "max_filter_ratio",
            "1.5",
            "max_filter_ratio should between 0 and 1",
        ),
        ("max_batch_interval", "0", "max_batch_interval should >= 1"),
        ("max_batch_rows", "199999", "max_batch_rows should > 200000"),
        (
            "max_batch_size",
            "104857599",
            "max_batch_size should between 100MB and 10GB",
        ),
        (
            "max_batch_size",
            "10737418241",
            "max_batch_size should between 100MB and 10GB",
        ),
        (
            "exec_mem_limit",
            "-1",
            "exec_mem_limit must be greater than 0",
        ),
        (
            "send_batch_parallelism",
            "0",
            "send_batch_parallelism must be greater than 0",
        ),
        (
            "max_inflight_epochs",
            "0",
            "max_inflight_epochs should >= 1",
        ),
    ];
    for (k, v, msg) in cases {
        let e = job_err(&with_props(&format!(r#""{k}" = "{v}""#)));
        assert_eq!(e.to_string(), msg, "{k}={v}");
        assert!(
            matches!(e, JobError::InvalidValue { ref key, ref value, .. } if key == k && value == v)
        );
    }
}

// Doris: the boundaries are inclusive (`>= 200000` though the text says `>`).
#[test]
fn range_boundaries_accepted() {
    let j = create(&with_props(
        r#""max_batch_rows" = "200000", "max_batch_size" = "104857600", "max_batch_interval" = "1",
           "exec_mem_limit" = "0", "max_filter_ratio" = "0", "max_error_number" = "0""#,
    ));
    assert_eq!(j.properties.max_batch_rows, 200_000);
    assert_eq!(j.properties.max_batch_size, 104_857_600);
    assert_eq!(j.properties.exec_mem_limit, 0);
    let j = create(&with_props(r#""max_batch_size" = "10737418240""#));
    assert_eq!(j.properties.max_batch_size, 10_737_418_240);
}

// Doris: Util.getLongPropertyOrDefault uses Long.parseLong (no trim, `+` allowed, no
// exponent) and treats "" as absent.
#[test]
fn long_parse_rule() {
    assert_eq!(
        job_err(&with_props(r#""max_batch_rows" = " 300000""#)).to_string(),
        "max_batch_rows should > 200000"
    );
    assert!(matches!(
        job_err(&with_props(r#""max_batch_rows" = "3e5""#)),
        JobError::InvalidValue { .. }
    ));
    let j = create(&with_props(
        r#""max_batch_rows" = "+300000", "max_error_number" = """#,
    ));
    assert_eq!(j.properties.max_batch_rows, 300_000);
    assert_eq!(j.properties.max_error_number, 0);
}

// Doris: Util.getDoublePropertyOrDefault uses Double.parseDouble (trims, `d`/`f` suffixes;
// NaN parses but fails the range).
#[test]
fn double_parse_rule() {
    let j = create(&with_props(r#""max_filter_ratio" = " 0.5 ""#));
    assert_eq!(j.properties.max_filter_ratio, 0.5);
    let j = create(&with_props(r#""max_filter_ratio" = "2.5e-1d""#));
    assert_eq!(j.properties.max_filter_ratio, 0.25);
    for bad in ["NaN", "abc", "inf", "1.5"] {
        assert_eq!(
            job_err(&with_props(&format!(r#""max_filter_ratio" = "{bad}""#))).to_string(),
            "max_filter_ratio should between 0 and 1"
        );
    }
}

// Doris: Boolean.parseBoolean: only "true" in any case is true; "yes" silently false.
#[test]
fn boolean_rule_never_fails() {
    let j = create(&with_props(
        r#""strict_mode" = "yes", "strip_outer_array" = "TRUE", "num_as_string" = "1",
           "fuzzy_parse" = "True", "load_to_single_tablet" = "tru""#,
    ));
    let p = &j.properties;
    assert!(!p.strict_mode);
    assert!(p.strip_outer_array);
    assert!(!p.num_as_string);
    assert!(p.fuzzy_parse);
    assert!(!p.load_to_single_tablet);
}

// Doris: CreateRoutineLoadInfo.PROPERTIES_SET: unknown keys (incl. line_delimiter,
// trim_double_quotes) → `<key> is invalid property`; keys are case-sensitive.
#[test]
fn unknown_and_case_sensitive_keys() {
    for key in [
        "line_delimiter",
        "trim_double_quotes",
        "column_separator",
        "Max_Batch_Rows",
    ] {
        assert_eq!(
            job_err(&with_props(&format!(r#""{key}" = "x""#))),
            JobError::InvalidProperty {
                key: key.to_string()
            }
        );
    }
    assert_eq!(
        err(&with_props(r#""STRICT_MODE" = "true""#)),
        "STRICT_MODE is invalid property"
    );
}

// Doris: the whitelist is checked before any value, so an unknown key wins over a bad value.
#[test]
fn whitelist_checked_before_values() {
    assert_eq!(
        err(&with_props(r#""max_batch_rows" = "1", "bogus" = "1""#)),
        "bogus is invalid property"
    );
}

// Doris 4.x: unquoted keys and values (propertyItem: identifier | constant), 2.x quoted
// forms, single-quoted strings; a repeated key: the last wins (HashMap.put).
#[test]
fn unquoted_and_single_quoted_properties() {
    let j = create(&with_props(
        "max_batch_rows = 300000, strict_mode = true, format = json, 'max_error_number' = '5', \
         desired_concurrent_number = 3, desired_concurrent_number = 4",
    ));
    assert_eq!(j.properties.max_batch_rows, 300_000);
    assert!(j.properties.strict_mode);
    assert_eq!(j.properties.format, DataFormat::Json);
    assert_eq!(j.properties.max_error_number, 5);
    assert_eq!(j.properties.desired_concurrent_number, 4);
}

// Doris: a dotted key is not one identifier and must be quoted.
#[test]
fn dotted_unquoted_key_is_syntax_error() {
    let e = parse_statement(&format!(
        "CREATE ROUTINE LOAD j ON t FROM KAFKA ({KAFKA}, property.group.id = 'g')"
    ))
    .unwrap_err();
    assert!(matches!(e.kind, SqlErrorKind::Syntax(_)));
    assert!(e.message().contains("quote keys that contain dots"), "{e}");
}

// Doris: TimeUtils.checkTimeZoneValidAndStandardize: offsets standardised, names kept.
#[test]
fn timezone_forms() {
    let tz = |v: &str| create(&with_props(&format!(r#""timezone" = "{v}""#))).properties;
    let p = tz("8:00");
    assert_eq!(p.timezone, "+08:00");
    assert_eq!(p.time_zone, TimeZone::Fixed(8 * 3600));
    assert_eq!(tz("Asia/Shanghai").timezone, "Asia/Shanghai");
    assert_eq!(tz("utc").timezone, "utc");
    assert_eq!(tz("UTC+8:00").timezone, "UTC+08:00");
    assert_eq!(
        err(&with_props(r#""timezone" = "Mars/Base""#)),
        "Unknown or incorrect time zone: 'Mars/Base'"
    );
    assert!(matches!(
        job_err(&with_props(r#""timezone" = "+14:01""#)),
        JobError::TimeZone(_)
    ));
}

// Doris 4.x: FileFormatProperties.createFileFormatProperties + RoutineLoadJob.setOptional;
// 2.x: `Format type is invalid. format=`x``.
#[test]
fn format_rules() {
    assert_eq!(
        create(&with_props(r#""format" = "JSON""#))
            .properties
            .format,
        DataFormat::Json
    );
    assert_eq!(
        create(&with_props(r#""format" = "csv_with_names""#))
            .properties
            .format,
        DataFormat::Csv
    );
    assert_eq!(
        err(&with_props(r#""format" = "parquet""#)),
        "Invalid format type."
    );
    assert_eq!(
        err(&with_props(r#""format" = "xml""#)),
        "format:xml is not supported."
    );
    assert_eq!(
        err(&with_props(r#""format" = "xml", "doris_version" = "2.1""#)),
        "Format type is invalid. format=`xml`"
    );
}

// Doris: CsvFileFormatProperties: enclose at most one char (`(byte) charAt(0)`), escape
// exactly one char (`getBytes()[0]`); 2.x enclose text `enclose must be single-char`.
#[test]
fn enclose_and_escape() {
    let j = create(&with_props(r#""enclose" = "\"", "escape" = "\\""#));
    assert_eq!(j.properties.enclose, Some(b'"'));
    assert_eq!(j.properties.escape, Some(b'\\'));
    assert_eq!(
        err(&with_props(r#""enclose" = "ab""#)),
        "enclose should not be longer than one byte."
    );
    assert_eq!(
        err(&with_props(r#""enclose" = "ab", "doris_version" = "3.0""#)),
        "enclose must be single-char"
    );
    assert_eq!(
        err(&with_props(r#""escape" = "ab""#)),
        "escape must be single-char"
    );
}

// Doris 4.x: unique_key_update_mode overrides partial_columns; value list and its text.
#[test]
fn unique_key_update_mode_rules() {
    let j = create(&with_props(
        r#""partial_columns" = "true", "unique_key_update_mode" = "upsert""#,
    ));
    assert_eq!(
        j.properties.unique_key_update_mode,
        UniqueKeyUpdateMode::Upsert
    );
    assert!(!j.properties.partial_columns);
    let j = create(&with_props(r#""partial_columns" = "TRUE""#));
    assert_eq!(
        j.properties.unique_key_update_mode,
        UniqueKeyUpdateMode::UpdateFixedColumns
    );
    assert_eq!(
        err(&with_props(r#""unique_key_update_mode" = "merge""#)),
        "unique_key_update_mode should be one of {'UPSERT', 'UPDATE_FIXED_COLUMNS', \
         'UPDATE_FLEXIBLE_COLUMNS'}, but found merge"
    );
}

// Doris 4.x: partial_update_new_key_behavior needs a partial update; APPEND / ERROR.
#[test]
fn partial_update_new_key_behavior_rules() {
    assert_eq!(
        err(&with_props(
            r#""partial_update_new_key_behavior" = "error""#
        )),
        "partial_update_new_key_behavior can only be set when partial update is enabled"
    );
    let j = create(&with_props(
        r#""partial_columns" = "true", "partial_update_new_key_behavior" = "error""#,
    ));
    assert_eq!(
        j.properties.partial_update_new_key_behavior,
        NewKeyBehavior::Error
    );
    assert_eq!(
        err(&with_props(
            r#""partial_columns" = "true", "partial_update_new_key_behavior" = "skip""#
        )),
        "partial_update_new_key_behavior should be one of {'APPEND', 'ERROR'}, but found SKIP"
    );
}

// Doris 4.x: CreateRoutineLoadInfo flexible partial update checks.
#[test]
fn flexible_partial_update_rules() {
    let mode = r#""unique_key_update_mode" = "UPDATE_FLEXIBLE_COLUMNS""#;
    assert_eq!(
        err(&with_props(mode)),
        "Flexible partial update only supports JSON format, but found: csv"
    );
    assert_eq!(
        err(&with_props(&format!(
            r#"{mode}, "format" = "json", "fuzzy_parse" = "true""#
        ))),
        "Flexible partial update does not support fuzzy_parse"
    );
    assert_eq!(
        err(&with_props(&format!(
            r#"{mode}, "format" = "json", "jsonpaths" = "[\"$.a\"]""#
        ))),
        "Flexible partial update does not support jsonpaths"
    );
    assert_eq!(
        err(&format!(
            r#"CREATE ROUTINE LOAD j ON t COLUMNS(a, b) PROPERTIES ({mode}, "format" = "json") FROM KAFKA ({KAFKA})"#
        )),
        "Flexible partial update does not support COLUMNS specification"
    );
    let j = create(&with_props(&format!(r#"{mode}, "format" = "json""#)));
    assert_eq!(
        j.properties.unique_key_update_mode,
        UniqueKeyUpdateMode::UpdateFlexibleColumns
    );
}

// routinely: doris_version picks the release (DorisVersion::from_str and its error text);
// keys 2.1 / 3.0 do not know are invalid there; 2.x wording of range errors.
#[test]
fn doris_version_property() {
    let j = create(&with_props(r#""doris_version" = "2.1""#));
    assert_eq!(j.properties.doris_version, DorisVersion::V2_1);
    assert_eq!(
        err(&with_props(r#""doris_version" = "1.2""#)),
        "doris_version should be one of {'2.1', '3.0', '4.0'}, but found 1.2"
    );
    assert_eq!(
        err(&with_props(
            r#""doris_version" = "2.1", "unique_key_update_mode" = "UPSERT""#
        )),
        "unique_key_update_mode is invalid property"
    );
    assert_eq!(
        err(&with_props(
            r#""doris_version" = "2.1", "desired_concurrent_number" = "0""#
        )),
        "desired_concurrent_number should > 0"
    );
}

// Doris: workload_group is stored (its existence is checked by the FE later).
#[test]
fn workload_group_and_json_root() {
    let j = create(&with_props(
        r#""workload_group" = "normal", "json_root" = "$.data""#,
    ));
    assert_eq!(j.properties.workload_group.as_deref(), Some("normal"));
    assert_eq!(j.properties.json_root.as_deref(), Some("$.data"));
}

// routinely API: JobProperties::from_properties gives the same rules without SQL.
#[test]
fn job_properties_api() {
    let props = vec![("max_batch_rows".to_string(), "10".to_string())];
    assert_eq!(
        JobProperties::from_properties(&props)
            .unwrap_err()
            .to_string(),
        "max_batch_rows should > 200000"
    );
    let ok = vec![("timezone".to_string(), "-7:30".to_string())];
    assert_eq!(
        JobProperties::from_properties(&ok).unwrap().timezone,
        "-07:30"
    );
}

// ------------------------------------------------------------------------------------------
// Lexical rules
// ------------------------------------------------------------------------------------------

// Doris lexer: keywords case-insensitive; `--` (no space needed) and nested `/* */`
// comments anywhere.
#[test]
fn comments_and_keyword_case() {
    let sql = format!(
        "create /* a /* nested */ comment */ routine load--x\n db.j on t\n\
         properties (--c\n 'max_batch_rows' = '300000' /* here */)\nfrom kafka ({KAFKA}) -- end"
    );
    let j = create(&sql);
    assert_eq!(j.properties.max_batch_rows, 300_000);
    assert_eq!(j.name, "j");
}

// Doris: BACKQUOTED_IDENTIFIER everywhere; the job name must match
// FeNameFormat.COMMON_NAME_REGEX `^[a-zA-Z][a-zA-Z0-9-_]{0,63}$`.
#[test]
fn job_names() {
    let j = create(&format!(
        "CREATE ROUTINE LOAD `my db`.`my-job` ON `my-tbl` FROM KAFKA ({KAFKA})"
    ));
    assert_eq!(j.database.as_deref(), Some("my db"));
    assert_eq!(j.name, "my-job");
    assert_eq!(j.table.as_deref(), Some("my-tbl"));
    for bad in ["_job", "1job", &"a".repeat(65)] {
        assert_eq!(
            err(&format!(
                "CREATE ROUTINE LOAD `{bad}` ON t FROM KAFKA ({KAFKA})"
            )),
            format!(
                "Incorrect ROUTINE LOAD NAME name '{bad}' Maybe routine load job name is longer \
                 than 64 or contains illegal characters"
            )
        );
    }
    create(&format!(
        "CREATE ROUTINE LOAD `{}` ON t FROM KAFKA ({KAFKA})",
        "a".repeat(64)
    ));
    // Unquoted `my-job` is not an identifier.
    let e = parse_statement(&format!(
        "CREATE ROUTINE LOAD my-job ON t FROM KAFKA ({KAFKA})"
    ))
    .unwrap_err();
    assert!(matches!(e.kind, SqlErrorKind::Syntax(_)), "{e}");
}

// Doris: LogicalPlanBuilder.visitCreateRoutineLoad: 3+ name parts.
#[test]
fn job_name_parts() {
    assert_eq!(
        err(&format!(
            "CREATE ROUTINE LOAD a.b.c ON t FROM KAFKA ({KAFKA})"
        )),
        "labelParts in load should be [db.]label"
    );
    assert_eq!(
        err("PAUSE ROUTINE LOAD FOR a.b.c"),
        "only support [<db>.]<job_name>"
    );
}

// Doris: `ON` takes a single identifier; `ON db.tbl` is a syntax error.
#[test]
fn on_takes_single_identifier() {
    let e = parse_statement(&format!(
        "CREATE ROUTINE LOAD j ON db.t FROM KAFKA ({KAFKA})"
    ))
    .unwrap_err();
    assert!(e.message().contains("ON takes a single table name"), "{e}");
    assert_eq!((e.line, e.column), (1, 28));
}

// Doris: RoutineLoadDataSourcePropertyFactory: type compared with equalsIgnoreCase("KAFKA").
#[test]
fn data_source_type() {
    create(&format!("CREATE ROUTINE LOAD j ON t FROM Kafka ({KAFKA})"));
    assert_eq!(
        err(&format!("CREATE ROUTINE LOAD j ON t FROM pulsar ({KAFKA})")),
        "Unknown routine load data source type: pulsar"
    );
}

// routinely: errors carry the 1-based line and column of the offending token.
#[test]
fn error_positions() {
    let sql = "CREATE ROUTINE LOAD j ON t\nPROPERTIES (\n  \"max_batch_rows\" = \"5\"\n)\nFROM KAFKA (\"kafka_broker_list\" = \"b:1\", \"kafka_topic\" = \"t\")";
    let e = parse_statement(sql).unwrap_err();
    assert_eq!((e.line, e.column), (3, 22));
    assert_eq!(
        e.to_string(),
        "line 3, column 22: max_batch_rows should > 200000"
    );
    let e = parse_statement("CREATE ROUTINE LOAD j ON t\nPROPERTIES ( \"nope\" = \"1\")\nFROM KAFKA (\"kafka_topic\" = \"t\")").unwrap_err();
    assert_eq!((e.line, e.column), (2, 14));
}

// ------------------------------------------------------------------------------------------
// Load clauses
// ------------------------------------------------------------------------------------------

// Doris: COLUMNS TERMINATED BY uses stripQuotes only, then Separator.convertSeparator.
#[test]
fn hex_and_escaped_separators() {
    let sep = |lit: &str| {
        create(&format!(
            "CREATE ROUTINE LOAD j ON t COLUMNS TERMINATED BY {lit} FROM KAFKA ({KAFKA})"
        ))
        .load
        .column_separator
        .unwrap()
    };
    assert_eq!(sep(r#""\x01""#), vec![0x01]);
    assert_eq!(sep(r#""\x0102""#), vec![0x01, 0x02]);
    assert_eq!(sep(r#""\x01\x02""#), vec![0x01, 0x02]);
    assert_eq!(sep(r#"'\X1F'"#), vec![0x1f]);
    assert_eq!(sep(r#""\t""#), vec![b'\t']);
    assert_eq!(sep(r#""||""#), b"||".to_vec());
    assert_eq!(sep(r#"",""#), b",".to_vec());
    let e = |lit: &str| {
        err(&format!(
            "CREATE ROUTINE LOAD j ON t COLUMNS TERMINATED BY {lit} FROM KAFKA ({KAFKA})"
        ))
    };
    assert_eq!(e(r#""\x0""#), "Hex str length error");
    assert_eq!(e(r#""\xg1""#), "Hex str format error");
    assert_eq!(e(r#""\x""#), "Hex str is empty");
    assert_eq!(e(r#""""#), "Column separator is null or empty");
}

// Doris: loadProperty alternatives, in any order, comma-separated (DorisParser.g4).
#[test]
fn every_load_clause() {
    let j = create(&format!(
        "CREATE ROUTINE LOAD db.j ON t WITH MERGE
         ORDER BY seq,
         COLUMNS(k1, k2, (tmp), v1 = tmp + 1, (v2 = upper(k2)), `del`),
         PRECEDING FILTER k1 > 0,
         WHERE v1 IN (1, 2) AND k2 <> 'x',
         TEMPORARY PARTITION(p1, `p 2`),
         DELETE ON del = 1,
         COLUMNS TERMINATED BY ','
         FROM KAFKA ({KAFKA})"
    ));
    assert_eq!(j.merge_type, MergeType::Merge);
    let l = &j.load;
    let cols = l.columns.as_ref().unwrap();
    let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["k1", "k2", "tmp", "v1", "v2", "del"]);
    assert_eq!(cols[3].expr.as_ref().unwrap().text, "tmp + 1");
    assert_eq!(cols[4].expr.as_ref().unwrap().text, "upper(k2)");
    assert_eq!(cols[3].expr.as_ref().unwrap().ast.to_string(), "tmp + 1");
    assert_eq!(l.preceding_filter.as_ref().unwrap().text, "k1 > 0");
    assert_eq!(
        l.where_predicate.as_ref().unwrap().text,
        "v1 IN (1, 2) AND k2 <> 'x'"
    );
    let p = l.partitions.as_ref().unwrap();
    assert!(p.temporary);
    assert_eq!(p.names, vec!["p1", "p 2"]);
    assert_eq!(l.delete_on.as_ref().unwrap().text, "del = 1");
    assert_eq!(l.order_by.as_deref(), Some("seq"));
    assert_eq!(l.column_separator.as_deref(), Some(&b","[..]));
}

// Doris: partitionSpec forms: PARTITION p, PARTITIONS (a, b), PARTITION(*).
#[test]
fn partition_forms() {
    let parts = |clause: &str| {
        create(&format!(
            "CREATE ROUTINE LOAD j ON t {clause} FROM KAFKA ({KAFKA})"
        ))
        .load
        .partitions
        .unwrap()
    };
    assert_eq!(parts("PARTITION p1").names, vec!["p1"]);
    assert_eq!(parts("PARTITIONS (a, b)").names, vec!["a", "b"]);
    assert_eq!(parts("PARTITION(*)").names, vec!["*"]);
    assert!(!parts("PARTITION(*)").temporary);
}

// Doris: expressions go to a real SQL expression parser: functions, CASE, CAST, strings
// with escapes, nested commas inside parentheses; the text is the source slice.
#[test]
fn expressions_are_parsed_by_sqlparser() {
    let j = create(&format!(
        r#"CREATE ROUTINE LOAD j ON t
           COLUMNS(a, b, c = CASE WHEN a > 1 THEN concat(b, ',', "x\"y") ELSE CAST(a AS VARCHAR(10)) END),
           WHERE c IS NOT NULL AND b LIKE 'a\_%'
           FROM KAFKA ({KAFKA})"#
    ));
    let c = j.load.columns.unwrap()[2].expr.clone().unwrap();
    assert_eq!(
        c.text,
        r#"CASE WHEN a > 1 THEN concat(b, ',', "x\"y") ELSE CAST(a AS VARCHAR(10)) END"#
    );
    assert!(matches!(c.ast, sqlparser::ast::Expr::Case { .. }));
    // The value is `x"y` (sqlparser prints it back with the quote doubled).
    assert!(c.ast.to_string().contains(r#""x""y""#), "{}", c.ast);
    let w = j.load.where_predicate.unwrap();
    assert!(w.ast.to_string().contains(r"a\_%"), "{}", w.ast);
}

// routinely: a malformed expression is reported by sqlparser at its position.
#[test]
fn bad_expression_position() {
    let e = parse_statement(&format!(
        "CREATE ROUTINE LOAD j ON t\nWHERE a > > 1\nFROM KAFKA ({KAFKA})"
    ))
    .unwrap_err();
    assert!(e.message().starts_with("invalid WHERE expression"), "{e}");
    assert_eq!(e.line, 2);
}

// Doris 4.x: LogicalPlanBuilder: a repeated clause gives `repeat setting of clause load
// property: <FQCN>`; 2.x: CreateRoutineLoadStmt texts. WHERE and PRECEDING FILTER differ.
#[test]
fn repeated_clause_errors() {
    assert_eq!(
        err(&format!(
            "CREATE ROUTINE LOAD j ON t WHERE a > 1, WHERE b > 1 FROM KAFKA ({KAFKA})"
        )),
        "repeat setting of clause load property: \
         org.apache.doris.nereids.trees.plans.commands.load.LoadWhereClause"
    );
    assert_eq!(
        err(&format!(
            "CREATE ROUTINE LOAD j ON t COLUMNS(a), COLUMNS(b) PROPERTIES ('doris_version' = '2.1') FROM KAFKA ({KAFKA})"
        )),
        "repeat setting of columns info"
    );
    create(&format!(
        "CREATE ROUTINE LOAD j ON t WHERE a > 1, PRECEDING FILTER b > 1 FROM KAFKA ({KAFKA})"
    ));
}

// Doris 2.x legacy grammar accepts a stray leading comma; no comma before PROPERTIES;
// clauses need commas between them.
#[test]
fn clause_separators() {
    let j = create(&format!(
        "CREATE ROUTINE LOAD j ON t , COLUMNS(a, b) FROM KAFKA ({KAFKA})"
    ));
    assert_eq!(j.load.columns.unwrap().len(), 2);
    let e = err(&format!(
        "CREATE ROUTINE LOAD j ON t COLUMNS(a), PROPERTIES ('strict_mode' = 'true') FROM KAFKA ({KAFKA})"
    ));
    assert!(e.contains("no ',' before PROPERTIES"), "{e}");
    let e = err(&format!(
        "CREATE ROUTINE LOAD j ON t COLUMNS(a) WHERE a > 1 FROM KAFKA ({KAFKA})"
    ));
    assert!(e.contains("',' between load properties"), "{e}");
    let e = err(&format!(
        "CREATE ROUTINE LOAD j ON t WHERE a > 1 PARTITION(p) FROM KAFKA ({KAFKA})"
    ));
    assert!(e.contains("'PARTITION'"), "{e}");
}

// Doris: CreateRoutineLoadInfo: MERGE needs DELETE ON ("Excepted", sic); DELETE ON needs
// MERGE; WITH DELETE alone is fine.
#[test]
fn merge_and_delete_on_rules() {
    assert_eq!(
        err(&format!(
            "CREATE ROUTINE LOAD j ON t WITH MERGE FROM KAFKA ({KAFKA})"
        )),
        "Excepted DELETE ON clause when merge type is MERGE."
    );
    assert_eq!(
        err(&format!(
            "CREATE ROUTINE LOAD j ON t DELETE ON a = 1 FROM KAFKA ({KAFKA})"
        )),
        "not support DELETE ON clause when merge type is not MERGE."
    );
    let j = create(&format!(
        "CREATE ROUTINE LOAD j ON t WITH DELETE FROM KAFKA ({KAFKA})"
    ));
    assert_eq!(j.merge_type, MergeType::Delete);
    // Clause order is fixed: WITH before ON is a syntax error.
    assert!(matches!(
        parse_statement(&format!(
            "CREATE ROUTINE LOAD j WITH MERGE ON t FROM KAFKA ({KAFKA})"
        ))
        .unwrap_err()
        .kind,
        SqlErrorKind::Syntax(_)
    ));
}

// Doris: CreateRoutineLoadInfo multi-table (no ON) restrictions.
#[test]
fn multi_table_rules() {
    let j = create(&format!("CREATE ROUTINE LOAD j FROM KAFKA ({KAFKA})"));
    assert_eq!(j.table, None);
    for clause in ["COLUMNS(a)", "WHERE a > 1", "PRECEDING FILTER a > 1"] {
        assert_eq!(
            err(&format!(
                "CREATE ROUTINE LOAD j {clause} FROM KAFKA ({KAFKA})"
            )),
            "Multi-table load does not support setting columns info"
        );
    }
    assert_eq!(
        err(&format!(
            "CREATE ROUTINE LOAD j PROPERTIES ('partial_columns' = 'true') FROM KAFKA ({KAFKA})"
        )),
        "Partial update is not supported in multi-table load."
    );
    assert_eq!(
        err(&format!(
            "CREATE ROUTINE LOAD j FROM KAFKA ({KAFKA}, 'kafka_table_name_format' = 'JSON')"
        )),
        "Multi load olay supported for table name format TEXT"
    );
}

// Doris: commentSpec comes last.
#[test]
fn comment_clause() {
    let j = create(&format!(
        "CREATE ROUTINE LOAD j ON t FROM KAFKA ({KAFKA}) COMMENT 'it''s \\\"ok\\\"'"
    ));
    assert_eq!(j.comment.as_deref(), Some(r#"it's "ok""#));
}

// ------------------------------------------------------------------------------------------
// FROM KAFKA
// ------------------------------------------------------------------------------------------

// Doris: KafkaDataSourceProperties: broker list spaces removed, split, pattern-checked.
#[test]
fn broker_list_rules() {
    let j = create(
        r#"CREATE ROUTINE LOAD j ON t FROM KAFKA ("kafka_broker_list" = " b1:9092 , b2:9093,", "kafka_topic" = " my topic ")"#,
    );
    assert_eq!(j.kafka.broker_list, vec!["b1:9092", "b2:9093"]);
    assert_eq!(j.kafka.topic, "mytopic");
    assert_eq!(
        err(
            r#"CREATE ROUTINE LOAD j ON t FROM KAFKA ("kafka_broker_list" = "a:1,,b:2", "kafka_topic" = "t")"#
        ),
        "KAFKA_BROKER_LIST: not match pattern [-A-Za-z0-9+&@#/%?=~_|!:,.;]+[-A-Za-z0-9+&@#/%=~_|]"
    );
    assert!(matches!(
        job_err(r#"CREATE ROUTINE LOAD j ON t FROM KAFKA ("kafka_broker_list" = "host:90;", "kafka_topic" = "t")"#),
        JobError::BrokerPattern { ref item, .. } if item == "host:90;"
    ));
}

// Doris: required keys on CREATE.
#[test]
fn required_kafka_keys() {
    assert_eq!(
        err(r#"CREATE ROUTINE LOAD j ON t FROM KAFKA ("kafka_topic" = "t")"#),
        "kafka_broker_list is a required property"
    );
    assert_eq!(
        err(
            r#"CREATE ROUTINE LOAD j ON t FROM KAFKA ("kafka_broker_list" = "  ", "kafka_topic" = "t")"#
        ),
        "kafka_broker_list is a required property"
    );
    assert_eq!(
        err(r#"CREATE ROUTINE LOAD j ON t FROM KAFKA ("kafka_broker_list" = "b:1")"#),
        "kafka_topic is a required property"
    );
}

// Doris: KafkaConfiguration whitelist, case-sensitive; property.* / aws.* prefixes.
#[test]
fn kafka_key_whitelist() {
    assert_eq!(
        err(&with_kafka(r#""KAFKA_PARTITIONS" = "0""#)),
        "KAFKA_PARTITIONS is invalid kafka property or can not be set"
    );
    assert_eq!(
        err(&with_kafka(r#""PROPERTY.group.id" = "g""#)),
        "PROPERTY.group.id is invalid kafka property or can not be set"
    );
    assert_eq!(
        err(&with_kafka(r#""property." = "g""#)),
        "kafka property value could not be a empty string"
    );
    let j = create(&with_kafka(
        r#""property.group.id" = "g1", "aws.region" = "us-east-1", "property.client.id" = "c",
           "property.group.id" = "g2", "kafka_table_name_location" = "key""#,
    ));
    assert_eq!(
        j.kafka.properties,
        vec![
            ("group.id".to_string(), "g2".to_string()),
            ("client.id".to_string(), "c".to_string())
        ]
    );
    assert!(
        j.kafka
            .other
            .contains(&("aws.region".to_string(), "us-east-1".to_string()))
    );
    assert!(
        j.kafka
            .other
            .iter()
            .any(|(k, _)| k == "kafka_table_name_location")
    );
}

// Doris: kafka_partitions: spaces removed, split, Integer.parseInt (message is routinely's).
#[test]
fn kafka_partitions_rules() {
    let j = create(&with_kafka(r#""kafka_partitions" = "0, 1 ,2""#));
    assert_eq!(j.kafka.partitions, Some(vec![0, 1, 2]));
    assert_eq!(
        err(&with_kafka(r#""kafka_partitions" = "0,x""#)),
        "kafka_partitions must be a comma-separated list of partition numbers, but found 'x' in '0,x'"
    );
    assert!(matches!(
        job_err(&with_kafka(r#""kafka_partitions" = "0,,1""#)),
        JobError::BadPartition { ref item, .. } if item.is_empty()
    ));
}

// Doris: kafka_offsets: numbers, OFFSET_BEGINNING/OFFSET_END (any case), datetimes in the
// job timezone; count must match; no mixing; texts.
#[test]
fn kafka_offsets_forms() {
    let j = create(&with_kafka(
        r#""kafka_partitions" = "0,1,2", "kafka_offsets" = "5, offset_beginning, OFFSET_END""#,
    ));
    assert_eq!(
        j.kafka.offsets,
        Some(vec![
            KafkaOffset::Offset(5),
            KafkaOffset::Beginning,
            KafkaOffset::End
        ])
    );
    assert_eq!(
        j.kafka.start_positions(),
        vec![
            (0, KafkaOffset::Offset(5)),
            (1, KafkaOffset::Beginning),
            (2, KafkaOffset::End)
        ]
    );
    let j = create(&format!(
        r#"CREATE ROUTINE LOAD j ON t PROPERTIES ("timezone" = "+08:00") FROM KAFKA ({KAFKA},
           "kafka_partitions" = "0,1", "kafka_offsets" = "2024-01-01 08:00:00,2024-01-01 09:00:00")"#
    ));
    assert_eq!(
        j.kafka.offsets.unwrap()[0],
        KafkaOffset::Time {
            text: "2024-01-01 08:00:00".to_string(),
            epoch_ms: 1_704_067_200_000
        }
    );
}

// Doris: KafkaDataSourceProperties offset errors.
#[test]
fn kafka_offsets_errors() {
    assert_eq!(
        err(&with_kafka(
            r#""kafka_partitions" = "0,1", "kafka_offsets" = "1""#
        )),
        "Partitions number should be equals to offsets number"
    );
    assert_eq!(
        err(&with_kafka(r#""kafka_offsets" = "1""#)),
        "Partitions number should be equals to offsets number"
    );
    assert_eq!(
        err(&with_kafka(
            r#""kafka_partitions" = "0,1", "kafka_offsets" = "1,2024-01-01 00:00:00""#
        )),
        "The offset of the partition cannot be specified by the timestamp and the offset at the same time"
    );
    for bad in ["-1", "abc", "2024-1-1 00:00:00"] {
        assert_eq!(
            err(&with_kafka(&format!(
                r#""kafka_partitions" = "0", "kafka_offsets" = "{bad}""#
            ))),
            "kafka_offsets must be an integer or a date time"
        );
    }
}

// Doris: property.kafka_default_offsets: OFFSET_BEGINNING / OFFSET_END / datetime.
#[test]
fn default_offsets() {
    let j = create(&with_kafka(
        r#""property.kafka_default_offsets" = "offset_end""#,
    ));
    assert_eq!(j.kafka.default_offset, Some(KafkaOffset::End));
    assert!(j.kafka.properties.is_empty());
    let j = create(&format!(
        r#"CREATE ROUTINE LOAD j ON t PROPERTIES ("timezone" = "UTC") FROM KAFKA ({KAFKA},
           "property.kafka_default_offsets" = "2024-01-01 00:00:00")"#
    ));
    assert_eq!(
        j.kafka.default_offset,
        Some(KafkaOffset::Time {
            text: "2024-01-01 00:00:00".to_string(),
            epoch_ms: 1_704_067_200_000
        })
    );
    assert_eq!(
        err(&with_kafka(
            r#""property.kafka_default_offsets" = "latest""#
        )),
        "kafka_default_offsets can only be set to OFFSET_BEGINNING, OFFSET_END or date time"
    );
}

// Doris: bare kafka_default_offsets + kafka_offsets → error; property.* + offsets → fine
// (offsets win). routinely: the bare key is validated like property.* and applies.
#[test]
fn bare_default_offsets_decision() {
    assert_eq!(
        err(&with_kafka(
            r#""kafka_partitions" = "0", "kafka_offsets" = "1", "kafka_default_offsets" = "OFFSET_END""#
        )),
        "Only one of kafka_offsets and kafka_default_offsets can be set."
    );
    create(&with_kafka(
        r#""kafka_partitions" = "0", "kafka_offsets" = "1", "property.kafka_default_offsets" = "OFFSET_END""#,
    ));
    assert_eq!(
        err(&with_kafka(r#""kafka_default_offsets" = "garbage""#)),
        "kafka_default_offsets can only be set to OFFSET_BEGINNING, OFFSET_END or date time"
    );
    let j = create(&with_kafka(
        r#""kafka_default_offsets" = "OFFSET_BEGINNING", "property.kafka_default_offsets" = "OFFSET_END""#,
    ));
    assert_eq!(j.kafka.default_offset, Some(KafkaOffset::End));
}

// routinely API: KafkaSource::from_properties applies the same rules.
#[test]
fn kafka_source_api() {
    let props = vec![
        ("kafka_broker_list".to_string(), "b:1".to_string()),
        ("kafka_topic".to_string(), "t".to_string()),
        ("kafka_offsets".to_string(), "1".to_string()),
    ];
    assert_eq!(
        KafkaSource::from_properties(&props, &TimeZone::UTC).unwrap_err(),
        JobError::OffsetCount
    );
}

// ------------------------------------------------------------------------------------------
// ALTER
// ------------------------------------------------------------------------------------------

fn base_job() -> RoutineLoadJob {
    create(&format!(
        "CREATE ROUTINE LOAD db.j ON t COLUMNS(a, b) PROPERTIES ('format' = 'json', 'timezone' = 'UTC')
         FROM KAFKA ({KAFKA}, 'kafka_partitions' = '0,1', 'property.group.id' = 'g')"
    ))
}

// Doris: AlterRoutineLoadCommand.CONFIGURABLE_JOB_PROPERTIES_SET: format, exec_mem_limit,
// send_batch_parallelism, load_to_single_tablet, partial_update_new_key_behavior are not
// alterable (`<key> is invalid property`).
#[test]
fn alter_non_alterable_keys() {
    for key in [
        "format",
        "exec_mem_limit",
        "send_batch_parallelism",
        "load_to_single_tablet",
        "partial_update_new_key_behavior",
        "doris_version",
    ] {
        assert_eq!(
            err(&format!(
                "ALTER ROUTINE LOAD FOR db.j PROPERTIES ('{key}' = 'x')"
            )),
            format!("{key} is invalid property")
        );
    }
}

// Doris: ALTER uses the same predicates, with `desired_concurrent_number should > 0`.
#[test]
fn alter_value_checks() {
    assert_eq!(
        err("ALTER ROUTINE LOAD FOR j PROPERTIES ('desired_concurrent_number' = '0')"),
        "desired_concurrent_number should > 0"
    );
    assert_eq!(
        err("ALTER ROUTINE LOAD FOR j PROPERTIES ('max_batch_rows' = '1')"),
        "max_batch_rows should > 200000"
    );
    assert_eq!(
        err("ALTER ROUTINE LOAD FOR j"),
        "No properties are specified"
    );
    assert_eq!(
        err("ALTER ROUTINE LOAD FOR j FROM KAFKA ()"),
        "No data source properties"
    );
    assert_eq!(
        err("ALTER ROUTINE LOAD FOR j FROM KAFKA ('kafka_partitions' = '0')"),
        "Must set offset or default offset with partition property"
    );
    assert_eq!(
        err("ALTER ROUTINE LOAD FOR j FROM KAFKA ('kafka_topic2' = 'x')"),
        "kafka_topic2 is invalid kafka property or can not be set"
    );
}

// Doris: ALTER then modifyProperties: the alterable values change, others stay.
#[test]
fn apply_alter_properties_and_kafka() {
    let mut j = base_job();
    let a = alter(
        "ALTER ROUTINE LOAD FOR db.j
         WHERE a > 1
         PROPERTIES (desired_concurrent_number = 3, 'timezone' = '+08:00', max_inflight_epochs = 4)
         FROM KAFKA ('kafka_partitions' = '1', 'kafka_offsets' = '2024-01-01 08:00:00',
                     'property.group.id' = 'g2', 'property.client.id' = 'c', 'kafka_topic' = 'new')",
    );
    assert_eq!(
        a.job,
        JobName {
            database: Some("db".into()),
            name: "j".into()
        }
    );
    j.apply_alter(&a).unwrap();
    assert_eq!(j.properties.desired_concurrent_number, 3);
    assert_eq!(j.properties.timezone, "+08:00");
    assert_eq!(j.properties.max_inflight_epochs, 4);
    assert_eq!(j.properties.format, DataFormat::Json);
    assert_eq!(j.kafka.topic, "new");
    assert_eq!(
        j.kafka.properties,
        vec![
            ("group.id".into(), "g2".into()),
            ("client.id".into(), "c".into())
        ]
    );
    // The datetime is read in the (new) job timezone, +08:00.
    assert_eq!(
        j.kafka.offsets,
        Some(vec![
            KafkaOffset::End,
            KafkaOffset::Time {
                text: "2024-01-01 08:00:00".into(),
                epoch_ms: 1_704_067_200_000
            }
        ])
    );
    assert_eq!(j.load.where_predicate.as_ref().unwrap().text, "a > 1");
    assert_eq!(j.load.columns.as_ref().unwrap().len(), 2);
    assert_eq!(
        a.kafka_offset_changes(&TimeZone::Fixed(8 * 3600)).unwrap()[0].0,
        1
    );
}

// Doris: modifyProperties only moves offsets of consumed partitions; a failed ALTER leaves
// the job unchanged.
#[test]
fn apply_alter_errors_leave_job_unchanged() {
    let mut j = base_job();
    let before = j.clone();
    let a = alter(
        "ALTER ROUTINE LOAD FOR j PROPERTIES ('max_error_number' = '9') FROM KAFKA ('kafka_partitions' = '7', 'kafka_offsets' = '1')",
    );
    assert_eq!(
        j.apply_alter(&a).unwrap_err().to_string(),
        "The specified partition 7 is not in the consumed partitions"
    );
    assert_eq!(j, before);
    // DELETE ON on a job that is not WITH MERGE.
    let a = alter("ALTER ROUTINE LOAD FOR j DELETE ON a = 1");
    assert_eq!(
        j.apply_alter(&a).unwrap_err(),
        JobError::DeleteOnWithoutMerge
    );
    // Flexible update on a job with COLUMNS.
    let a = alter(
        "ALTER ROUTINE LOAD FOR j PROPERTIES ('unique_key_update_mode' = 'UPDATE_FLEXIBLE_COLUMNS')",
    );
    assert_eq!(j.apply_alter(&a).unwrap_err(), JobError::FlexibleColumns);
    // 2.1 jobs do not know unique_key_update_mode.
    let mut old = create(&with_props("'doris_version' = '2.1'"));
    let a = alter("ALTER ROUTINE LOAD FOR j PROPERTIES ('unique_key_update_mode' = 'UPSERT')");
    assert_eq!(
        old.apply_alter(&a).unwrap_err().to_string(),
        "unique_key_update_mode is invalid property"
    );
    assert_eq!(
        j.apply_alter(&AlterRoutineLoad {
            job: JobName {
                database: None,
                name: "j".into()
            },
            load: Default::default(),
            properties: vec![],
            kafka: vec![],
        })
        .unwrap_err(),
        JobError::NoProperties
    );
}

// Doris: repeated clause rule and multi-table rule also apply to ALTER load properties.
#[test]
fn alter_load_clauses() {
    assert!(err("ALTER ROUTINE LOAD FOR j WHERE a > 1, WHERE b > 2").starts_with("repeat setting"));
    let a = alter("ALTER ROUTINE LOAD FOR j COLUMNS TERMINATED BY '\\x09', PARTITION(p1)");
    assert_eq!(a.load.column_separator, Some(vec![9]));
    let mut multi = create(&format!("CREATE ROUTINE LOAD j FROM KAFKA ({KAFKA})"));
    let a = alter("ALTER ROUTINE LOAD FOR j COLUMNS(a, b)");
    assert_eq!(
        multi.apply_alter(&a).unwrap_err(),
        JobError::MultiTableColumns
    );
}

// Doris AlterRoutineLoadCommand.checkPartialUpdate: turning on partial update in a
// multi-table job fails with its own message (not CREATE's).
#[test]
fn alter_partial_update_in_multi_table_job() {
    let mut multi = create(&format!("CREATE ROUTINE LOAD j FROM KAFKA ({KAFKA})"));
    let before = multi.clone();
    let a = alter("ALTER ROUTINE LOAD FOR j PROPERTIES ('partial_columns' = 'true')");
    assert_eq!(
        multi.apply_alter(&a).unwrap_err().to_string(),
        "load by PARTIAL_COLUMNS is not supported in multi-table load."
    );
    assert_eq!(multi, before);
}

// Doris AlterRoutineLoadCommand.checkJobProperties records workload_group only when it is
// not empty: an empty value leaves the job's group as it was.
#[test]
fn alter_empty_workload_group_keeps_group() {
    let mut j = create(&with_props("'workload_group' = 'wg1'"));
    j.apply_alter(&alter(
        "ALTER ROUTINE LOAD FOR j PROPERTIES ('workload_group' = '', 'max_error_number' = '3')",
    ))
    .unwrap();
    assert_eq!(j.properties.workload_group.as_deref(), Some("wg1"));
    assert_eq!(j.properties.max_error_number, 3);
    j.apply_alter(&alter(
        "ALTER ROUTINE LOAD FOR j PROPERTIES ('workload_group' = 'wg2')",
    ))
    .unwrap();
    assert_eq!(j.properties.workload_group.as_deref(), Some("wg2"));
}

// Doris AlterRoutineLoadCommand.CONFIGURABLE_JOB_PROPERTIES_SET: format, exec_mem_limit,
// send_batch_parallelism, load_to_single_tablet and partial_update_new_key_behavior are
// not alterable ("<key> is invalid property").
#[test]
fn alter_refuses_create_only_properties() {
    for key in [
        "format",
        "exec_mem_limit",
        "send_batch_parallelism",
        "load_to_single_tablet",
        "partial_update_new_key_behavior",
        "doris_version",
    ] {
        assert_eq!(
            err(&format!(
                "ALTER ROUTINE LOAD FOR j PROPERTIES ('{key}' = '1')"
            )),
            format!("{key} is invalid property"),
            "{key}"
        );
    }
}

// routinely: knob-only ALTERs may be applied to a RUNNING job; anything else needs PAUSED
// (Doris: "Only supports modification of PAUSED jobs").
#[test]
fn live_alterable_knobs_only() {
    for sql in [
        "ALTER ROUTINE LOAD FOR j PROPERTIES ('max_batch_interval' = '5')",
        "ALTER ROUTINE LOAD FOR j PROPERTIES ('max_batch_rows' = '300000', 'max_batch_size' = '209715200')",
        "ALTER ROUTINE LOAD FOR j PROPERTIES ('desired_concurrent_number' = '2', 'max_inflight_epochs' = '3')",
    ] {
        assert!(live_alterable(&alter(sql)), "{sql}");
    }
    for sql in [
        "ALTER ROUTINE LOAD FOR j PROPERTIES ('max_batch_interval' = '5', 'max_error_number' = '1')",
        "ALTER ROUTINE LOAD FOR j PROPERTIES ('strict_mode' = 'true')",
        "ALTER ROUTINE LOAD FOR j PROPERTIES ('max_batch_interval' = '5') FROM KAFKA ('property.client.id' = 'c')",
        "ALTER ROUTINE LOAD FOR j WHERE a > 1",
        "ALTER ROUTINE LOAD FOR j FROM KAFKA ('kafka_topic' = 'x')",
    ] {
        assert!(!live_alterable(&alter(sql)), "{sql}");
    }
}

// Doris #64786: credentials are never printed; routinely's Debug (what logs show) masks
// them in the job and in a parsed ALTER, SHOW CREATE's to_sql input aside.
#[test]
fn debug_never_prints_kafka_secrets() {
    let secret = "Sup3r-s3cret";
    let j = create(&with_kafka(&format!(
        "\"property.sasl.password\" = \"{secret}\", \"property.ssl.key.password\" = \"{secret}\""
    )));
    assert_eq!(
        j.kafka
            .properties
            .iter()
            .filter(|(_, v)| v == secret)
            .count(),
        2,
        "the consumer still gets the real values"
    );
    let shown = format!("{j:?} {j:#?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(shown.contains(routinely_schemas::mask::MASK));
    let stmt = routinely_schemas::sql::parse_statement(&format!(
        "CREATE ROUTINE LOAD j ON t FROM KAFKA ({KAFKA}, 'property.sasl.password' = '{secret}')"
    ))
    .unwrap();
    assert!(!format!("{stmt:?}").contains(secret));
    let a = alter(&format!(
        "ALTER ROUTINE LOAD FOR j FROM KAFKA ('property.sasl.password' = '{secret}')"
    ));
    assert!(!format!("{a:?}").contains(secret));
    assert_eq!(a.kafka[0].1, secret);
}

// ------------------------------------------------------------------------------------------
// PAUSE / RESUME / STOP / SHOW
// ------------------------------------------------------------------------------------------

// Doris: PAUSE/RESUME [ALL] ROUTINE LOAD [FOR job]; STOP ROUTINE LOAD FOR job; FOR is
// mandatory without ALL; no STOP ALL.
#[test]
fn pause_resume_stop() {
    let jn = |db: Option<&str>, n: &str| JobName {
        database: db.map(String::from),
        name: n.into(),
    };
    assert_eq!(
        parse_statement("pause routine load for db.`j-1`").unwrap(),
        Statement::PauseRoutineLoad {
            job: Some(jn(Some("db"), "j-1"))
        }
    );
    assert_eq!(
        parse_statement("PAUSE ALL ROUTINE LOAD;").unwrap(),
        Statement::PauseRoutineLoad { job: None }
    );
    assert_eq!(
        parse_statement("RESUME ROUTINE LOAD FOR j").unwrap(),
        Statement::ResumeRoutineLoad {
            job: Some(jn(None, "j"))
        }
    );
    assert_eq!(
        parse_statement("RESUME ALL ROUTINE LOAD").unwrap(),
        Statement::ResumeRoutineLoad { job: None }
    );
    assert_eq!(
        parse_statement("STOP ROUTINE LOAD FOR j").unwrap(),
        Statement::StopRoutineLoad { job: jn(None, "j") }
    );
    assert!(parse_statement("PAUSE ROUTINE LOAD j").is_err());
    assert!(parse_statement("STOP ALL ROUTINE LOAD").is_err());
    assert!(parse_statement("PAUSE ALL ROUTINE LOAD FOR j").is_err());
}

// Doris 4.x: SHOW [ALL] ROUTINE LOAD [FOR [db.]job | LIKE 'pattern'];
// SHOW [ALL] CREATE ROUTINE LOAD FOR job.
#[test]
fn show_forms() {
    assert_eq!(
        parse_statement("SHOW ROUTINE LOAD").unwrap(),
        Statement::ShowRoutineLoad {
            all: false,
            job: None,
            like: None
        }
    );
    assert_eq!(
        parse_statement("show all routine load for db.j").unwrap(),
        Statement::ShowRoutineLoad {
            all: true,
            job: Some(JobName {
                database: Some("db".into()),
                name: "j".into()
            }),
            like: None
        }
    );
    assert_eq!(
        parse_statement("SHOW ROUTINE LOAD LIKE '%rt%'").unwrap(),
        Statement::ShowRoutineLoad {
            all: false,
            job: None,
            like: Some("%rt%".into())
        }
    );
    assert_eq!(
        parse_statement("SHOW ALL CREATE ROUTINE LOAD FOR j").unwrap(),
        Statement::ShowCreateRoutineLoad {
            all: true,
            job: JobName {
                database: None,
                name: "j".into()
            }
        }
    );
    assert!(parse_statement("SHOW ROUTINE LOAD WHERE a = 1").is_err());
}

// Doris: ShowRoutineLoadTaskCommand: WHERE must be exactly JobName = '<string>' (column
// name case-insensitive), with its two messages.
#[test]
fn show_task_forms() {
    assert_eq!(
        parse_statement(r#"SHOW ROUTINE LOAD TASK FROM db WHERE JobName = "x""#).unwrap(),
        Statement::ShowRoutineLoadTask {
            database: Some("db".into()),
            job_name: "x".into()
        }
    );
    assert_eq!(
        parse_statement("SHOW ROUTINE LOAD TASK IN db WHERE jobname = 'y'").unwrap(),
        Statement::ShowRoutineLoadTask {
            database: Some("db".into()),
            job_name: "y".into()
        }
    );
    assert_eq!(
        parse_statement("SHOW ROUTINE LOAD TASK WHERE JOBNAME='z'").unwrap(),
        Statement::ShowRoutineLoadTask {
            database: None,
            job_name: "z".into()
        }
    );
    let designate = r#"please designate a jobName in where expr such as JobName="ILoveDoris""#;
    assert_eq!(err("SHOW ROUTINE LOAD TASK"), designate);
    assert_eq!(err("SHOW ROUTINE LOAD TASK LIKE 'x'"), designate);
    let only = r#"show routine load job only support one equal expr which is sames like JobName="ILoveDoris""#;
    for w in [
        "JobName = x",
        "JobName LIKE 'x'",
        "JobName = 'x' AND a = 1",
        "State = 'x'",
    ] {
        assert_eq!(
            err(&format!("SHOW ROUTINE LOAD TASK WHERE {w}")),
            only,
            "{w}"
        );
    }
}

// routinely: statements split on top-level `;`; parse_statement takes exactly one.
#[test]
fn statement_lists() {
    let stmts = parse_statements("PAUSE ALL ROUTINE LOAD;; RESUME ALL ROUTINE LOAD ; ").unwrap();
    assert_eq!(stmts.len(), 2);
    let e = parse_statement("PAUSE ALL ROUTINE LOAD; RESUME ALL ROUTINE LOAD").unwrap_err();
    assert!(e.message().contains("single statement"), "{e}");
    assert!(parse_statement("").is_err());
    assert!(parse_statement("-- only a comment").is_err());
    let e = parse_statement("SELECT 1").unwrap_err();
    assert!(e.message().contains("expected a statement"), "{e}");
}

// ------------------------------------------------------------------------------------------
// CREATE TABLE
// ------------------------------------------------------------------------------------------

// Doris: every column type (aliases and defaults from DataType.convertPrimitiveFromStrings).
#[test]
fn table_with_every_type() {
    let t = table(
        "CREATE TABLE IF NOT EXISTS db.all_types (
           k1 TINYINT, k2 SMALLINT, k3 INT(11),
           c4 INTEGER, c5 BIGINT(20), c6 LARGEINT, c7 FLOAT, c8 DOUBLE, c9 BOOLEAN,
           c10 DECIMAL, c11 DECIMAL(10), c12 DECIMALV3(10, 2), c13 DATE, c14 DATEV2,
           c15 DATETIME, c16 DATETIMEV2(6), c17 CHAR, c18 CHAR(10), c19 VARCHAR,
           c20 VARCHAR(100), c21 STRING, c22 TEXT, c23 JSON, c24 JSONB, c25 VARIANT,
           c26 ARRAY<INT>, c27 MAP<STRING, ARRAY<DECIMAL(5,1)>>,
           c28 STRUCT<a:INT COMMENT 'first', b:VARCHAR(10)>, c29 IPV4, c30 IPV6,
           c31 DECIMAL(50, 10)
         ) DUPLICATE KEY(k1, k2, k3) DISTRIBUTED BY HASH(k1) BUCKETS 1",
    );
    let ty = |n: &str| t.column(n).unwrap().ty.clone();
    assert_eq!(ty("k3"), DorisType::Int);
    assert_eq!(ty("c5"), DorisType::BigInt);
    assert_eq!(
        ty("c10"),
        DorisType::Decimal {
            precision: 38,
            scale: 9
        }
    );
    assert_eq!(
        ty("c11"),
        DorisType::Decimal {
            precision: 10,
            scale: 0
        }
    );
    assert_eq!(ty("c14"), DorisType::Date);
    assert_eq!(ty("c15"), DorisType::DateTime { precision: 0 });
    assert_eq!(ty("c16"), DorisType::DateTime { precision: 6 });
    assert_eq!(ty("c17"), DorisType::Char { len: 1 });
    assert_eq!(ty("c19"), DorisType::Varchar { len: 65_533 });
    assert_eq!(ty("c22"), DorisType::String);
    assert_eq!(ty("c24"), DorisType::Json);
    assert_eq!(ty("c25"), DorisType::Variant);
    assert_eq!(ty("c27").to_string(), "MAP<STRING,ARRAY<DECIMAL(5,1)>>");
    assert_eq!(ty("c29"), DorisType::Ipv4);
    assert_eq!(
        ty("c31"),
        DorisType::Decimal {
            precision: 50,
            scale: 10
        }
    );
    assert_eq!(t.database.as_deref(), Some("db"));
    assert!(t.columns.iter().all(|c| c.nullable));
}

// Doris: columnDef attribute order: type KEY agg [NOT] NULL AUTO_INCREMENT DEFAULT
// ON UPDATE COMMENT; column comments lose every backslash.
#[test]
fn column_attributes() {
    let t = table(
        r#"CREATE TABLE t (
             id BIGINT NOT NULL AUTO_INCREMENT(100) COMMENT 'the id',
             a INT DEFAULT "0",
             b INT DEFAULT -1,
             c DOUBLE DEFAULT PI,
             d DOUBLE DEFAULT E,
             e DECIMAL(5,2) DEFAULT 1.5,
             f DATE DEFAULT CURRENT_DATE,
             g DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
             h VARCHAR(10) NULL DEFAULT NULL COMMENT 'a\\b\'c',
             i VARCHAR(10) DEFAULT 'x'
           ) UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2"#,
    );
    let col = |n: &str| t.column(n).unwrap().clone();
    assert!(col("id").auto_increment && !col("id").nullable);
    assert_eq!(col("id").comment.as_deref(), Some("the id"));
    assert_eq!(col("a").default, Some(DefaultValue::Literal("0".into())));
    assert_eq!(col("b").default, Some(DefaultValue::Literal("-1".into())));
    assert_eq!(col("c").default, Some(DefaultValue::Pi));
    assert_eq!(col("d").default, Some(DefaultValue::E));
    assert_eq!(col("e").default, Some(DefaultValue::Literal("1.5".into())));
    assert_eq!(col("f").default, Some(DefaultValue::CurrentDate));
    assert_eq!(
        col("g").default,
        Some(DefaultValue::CurrentTimestamp { precision: 3 })
    );
    assert!(col("g").on_update_current_timestamp);
    assert_eq!(col("h").default, Some(DefaultValue::Null));
    assert_eq!(col("h").comment.as_deref(), Some("ab'c"));
    assert_eq!(col("i").default, Some(DefaultValue::Literal("x".into())));
    assert!(t.merge_on_write());
}

// Doris: the attribute order is fixed: NOT NULL after DEFAULT is a syntax error naming NOT.
#[test]
fn attribute_order_is_fixed() {
    let e =
        parse_create_table("CREATE TABLE t (a INT DEFAULT '1' NOT NULL) DISTRIBUTED BY HASH(a)")
            .unwrap_err();
    assert!(matches!(e.kind, SqlErrorKind::Syntax(_)));
    assert!(e.message().contains("'NOT'"), "{e}");
    assert_eq!((e.line, e.column), (1, 35));
}

// Doris: AGGREGATE KEY with aggregation types; HLL/BITMAP NOT NULL by default; BITMAP gets
// DEFAULT BITMAP_EMPTY; REPLACE_IF_NOT_NULL gets DEFAULT NULL.
#[test]
fn aggregate_table() {
    let t = table(
        "CREATE TABLE t_agg (
           k1 DATE, k2 INT,
           pv BIGINT SUM DEFAULT '0',
           uv BITMAP BITMAP_UNION,
           h HLL HLL_UNION,
           q QUANTILE_STATE QUANTILE_UNION,
           mx DATETIME MAX, mn INT MIN, r STRING REPLACE,
           last_v VARCHAR(20) REPLACE_IF_NOT_NULL
         ) AGGREGATE KEY(k1, k2)
         AUTO PARTITION BY RANGE (date_trunc(k1, 'month')) ()
         DISTRIBUTED BY HASH(k1) BUCKETS 4",
    );
    assert_eq!(t.keys_type, KeysType::Aggregate);
    let col = |n: &str| t.column(n).unwrap().clone();
    assert_eq!(col("pv").aggregation, Some(AggregationType::Sum));
    assert!(!col("uv").nullable && !col("h").nullable && !col("q").nullable);
    assert_eq!(col("uv").default, Some(DefaultValue::BitmapEmpty));
    assert_eq!(col("last_v").default, Some(DefaultValue::Null));
    assert_eq!(
        t.partition_by.as_deref(),
        Some("AUTO PARTITION BY RANGE (date_trunc(k1, 'month')) ()")
    );
}

// Doris: CreateTableInfo default keys: AGGREGATE when agg types are present (keys = columns
// before the first); else DUPLICATE, up to 3 columns / 36 bytes, stopping at FLOAT / DOUBLE
// / STRING / JSON / complex, stopping after the first VARCHAR.
#[test]
fn default_keys() {
    let t = table("CREATE TABLE t (a INT, b DATE, v BIGINT SUM)");
    assert_eq!(
        (t.keys_type, t.key_columns.clone()),
        (KeysType::Aggregate, vec!["a".into(), "b".into()])
    );
    let t = table("CREATE TABLE t (a INT, b BIGINT, c INT, d INT)");
    assert_eq!((t.keys_type, t.key_columns.len()), (KeysType::Duplicate, 3));
    let t = table("CREATE TABLE t (a INT, b VARCHAR(10), c INT)");
    assert_eq!(t.key_columns, vec!["a", "b"]);
    let t = table("CREATE TABLE t (a LARGEINT, b LARGEINT, c LARGEINT)");
    assert_eq!(t.key_columns, vec!["a", "b"]);
    let t = table("CREATE TABLE t (a INT, b DOUBLE, c INT)");
    assert_eq!(t.key_columns, vec!["a"]);
    let t = table("CREATE TABLE t (a CHAR(40), b INT)");
    assert_eq!(t.key_columns, vec!["a"]);
    assert!(t.columns[0].is_key && !t.columns[1].is_key);
    for first in ["DOUBLE", "STRING", "ARRAY<INT>", "JSON"] {
        assert_eq!(
            table_err(&format!("CREATE TABLE t (a {first}, b INT)")),
            "The olap table first column could not be float, double, string or array, struct, \
             map, please use decimal or varchar instead."
        );
    }
    let t = table(
        "CREATE TABLE t (a DOUBLE, b INT) PROPERTIES ('enable_duplicate_without_keys_by_default' = 'true')",
    );
    assert!(t.key_columns.is_empty());
}

// Doris: CreateTableInfo.validateKeyColumns texts.
#[test]
fn key_clause_errors() {
    assert_eq!(
        table_err("CREATE TABLE t (a INT, b INT, c INT) DUPLICATE KEY(a, c)"),
        "Key columns should be a ordered prefix of the schema. KeyColumns[1] (starts from zero) \
         is c, but corresponding column is b in the previous columns declaration."
    );
    assert_eq!(
        table_err("CREATE TABLE t (a INT, b INT) UNIQUE KEY(a, x)"),
        "Key column[x] doesn't exist."
    );
    assert_eq!(
        table_err("CREATE TABLE t (a INT SUM, b INT) AGGREGATE KEY(a)"),
        "Key column[a] should not specify aggregate type."
    );
    assert_eq!(
        table_err("CREATE TABLE t (a INT, b INT) AGGREGATE KEY(a)"),
        "AGG_KEYS table should specify aggregate type for non-key column[b]"
    );
    assert_eq!(
        table_err("CREATE TABLE t (a INT, b INT MAX) DUPLICATE KEY(a)"),
        "DUP_KEYS table should not specify aggregate type for non-key column[b]"
    );
    assert_eq!(
        table_err("CREATE TABLE t (a INT, b INT) UNIQUE KEY(a, b, a)"),
        "The number of key columns should be less than the number of columns."
    );
    assert_eq!(
        table_err("CREATE TABLE t (a DOUBLE, b INT) DUPLICATE KEY(a)"),
        "Float or double can not used as a key, use decimal instead."
    );
    assert_eq!(
        table_err("CREATE TABLE t (a STRING, b INT) UNIQUE KEY(a)"),
        "String Type should not be used in key column[a]"
    );
}

// Doris: ColumnDefinition.validate texts.
#[test]
fn column_rule_errors() {
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v INT REPLACE_IF_NOT_NULL NOT NULL) AGGREGATE KEY(k)"),
        "REPLACE_IF_NOT_NULL column must be nullable, maybe should use REPLACE, column:v"
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v INT NOT NULL DEFAULT NULL)"),
        "Can not set null default value to non nullable column: v"
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v BITMAP BITMAP_UNION NULL) AGGREGATE KEY(k)"),
        "complex type column must be not nullable, column:v"
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v HLL HLL_UNION DEFAULT '') AGGREGATE KEY(k)"),
        "Hll type column can not set default value"
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v VARCHAR(10) SUM) AGGREGATE KEY(k)"),
        "Aggregate type SUM is not compatible with primitive type VARCHAR(10)"
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v JSON DEFAULT '{}')"),
        "Json or Variant type column default value just support null"
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v DATETIME ON UPDATE CURRENT_TIMESTAMP) UNIQUE KEY(k)"),
        "You must set the default value of the column[v] to CURRENT_TIMESTAMP when using 'ON \
         UPDATE CURRENT_TIMESTAMP'."
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, __DORIS_x INT)"),
        "Disable to create table column with name start with __DORIS_: __DORIS_x"
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, K INT)"),
        "Duplicate column name 'K'"
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v INT AUTO_INCREMENT(-1))"),
        "AUTO_INCREMENT start value can not be negative."
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v TIME)"),
        "Time type is not supported for olap table"
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v DECIMALV2(10,2))"),
        "Disable to create table with `DECIMAL` type columns,please use `DECIMALV3`."
    );
}

// Doris: DataType limits inside CREATE TABLE, at the type's position.
#[test]
fn type_limit_errors_in_table() {
    let e = parse_create_table("CREATE TABLE t (k INT,\n  v VARCHAR(65534))").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2, column 5: VARCHAR size must be <= 65533: 65534"
    );
    assert!(matches!(
        e.kind,
        SqlErrorKind::Table(TableError::VarcharTooLong(65_534))
    ));
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v CHAR(0))"),
        "CHAR size must be > 0: 0"
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v DATETIME(9))"),
        "Scale of Datetime/Time must between 0 and 6. Scale was set to: 9"
    );
}

// Doris: partitions kept as written; RANGE / LIST / bare `PARTITION BY (c)` (LIST).
#[test]
fn partitions_kept_raw() {
    let t = table(
        r#"CREATE TABLE t (k DATE, v INT) DUPLICATE KEY(k)
           PARTITION BY RANGE(k) (PARTITION p2024 VALUES LESS THAN ("2025-01-01"), PARTITION pmax VALUES LESS THAN MAXVALUE)
           DISTRIBUTED BY HASH(k) BUCKETS 8"#,
    );
    assert!(
        t.partition_by
            .as_deref()
            .unwrap()
            .starts_with("PARTITION BY RANGE(k) (PARTITION p2024")
    );
    assert!(t.partition_by.as_deref().unwrap().ends_with("MAXVALUE)"));
    let t = table(
        "CREATE TABLE t (k INT, v INT) PARTITION BY LIST(k) (PARTITION p1 VALUES IN ((1), (2)))",
    );
    assert!(t.partition_by.unwrap().contains("VALUES IN"));
    let t = table("CREATE TABLE t (k INT, v INT) PARTITION BY (k) ()");
    assert_eq!(t.partition_by.as_deref(), Some("PARTITION BY (k) ()"));
}

// Doris: DistributionDescriptor.validate: HASH / RANDOM, BUCKETS n | AUTO, texts.
#[test]
fn distribution_rules() {
    let t = table("CREATE TABLE t (k INT, v INT) DISTRIBUTED BY RANDOM BUCKETS AUTO");
    let d = t.distributed_by.unwrap();
    assert!(d.hash_columns.is_empty());
    assert_eq!(d.buckets, None);
    let t = table("CREATE TABLE t (k INT, v INT) DISTRIBUTED BY HASH(k, v)");
    assert_eq!(t.distributed_by.unwrap().hash_columns, vec!["k", "v"]);
    assert_eq!(table("CREATE TABLE t (k INT)").distributed_by, None);
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v INT) DISTRIBUTED BY HASH(x) BUCKETS 1"),
        "Distribution column(x) doesn't exist"
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v INT) UNIQUE KEY(k) DISTRIBUTED BY HASH(v)"),
        "Distribution column[v] is not key column"
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v INT) UNIQUE KEY(k) DISTRIBUTED BY RANDOM"),
        "Create unique keys table should not contain random distribution desc"
    );
    assert_eq!(
        table_err("CREATE TABLE t (k INT, v INT) DISTRIBUTED BY HASH(k) BUCKETS 0"),
        "Number of hash distribution should be greater than zero."
    );
}

// Doris: PROPERTIES quoted or (4.x) unquoted; merge-on-write default and its checks;
// sequence column properties only on UNIQUE tables.
#[test]
fn table_properties() {
    let t = table(
        "CREATE TABLE t (k INT, s INT, v INT) UNIQUE KEY(k)
         PROPERTIES (replication_num = 1, \"function_column.sequence_col\" = \"s\",
                     'enable_unique_key_merge_on_write' = 'false');",
    );
    assert_eq!(t.property("replication_num"), Some("1"));
    assert_eq!(t.sequence_column(), Some("s"));
    assert!(!t.merge_on_write());
    assert_eq!(
        table_err(
            "CREATE TABLE t (k INT, v INT) DUPLICATE KEY(k) PROPERTIES ('enable_unique_key_merge_on_write' = 'true')"
        ),
        "enable_unique_key_merge_on_write property only support unique key table"
    );
    assert_eq!(
        table_err(
            "CREATE TABLE t (k INT, v INT SUM) AGGREGATE KEY(k) PROPERTIES ('function_column.sequence_type' = 'int')"
        ),
        "sequence column only support UNIQUE_KEYS"
    );
    assert_eq!(
        table_err(
            "CREATE TABLE t (k INT, v INT) UNIQUE KEY(k) PROPERTIES ('function_column.sequence_type' = 'varchar')"
        ),
        "sequence type only support integer types and date types"
    );
}

// routinely: recognised but unused clauses are skipped with a warning, never misread.
#[test]
fn skipped_clauses_warn() {
    let t = table(
        "CREATE TABLE IF NOT EXISTS example_db.t_dup (
           k1 INT NOT NULL COMMENT 'id',
           k2 VARCHAR(32),
           INDEX idx_k2 (k2) USING INVERTED PROPERTIES ('parser' = 'english') COMMENT 'inv',
           INDEX IF NOT EXISTS idx2 (k1) USING BITMAP,
         ) ENGINE = olap UNIQUE KEY(k1) CLUSTER BY (k2) COMMENT 'dup table'
         DISTRIBUTED BY HASH(k1) BUCKETS 8
         ROLLUP (r1 (k1, k2), r2 (k2, k1) DUPLICATE KEY(k2))
         PROPERTIES ('replication_num' = '1')
         BROKER PROPERTIES ('x' = 'y')",
    );
    assert_eq!(t.columns.len(), 2);
    assert_eq!(t.comment.as_deref(), Some("dup table"));
    assert_eq!(t.warnings.len(), 5, "{:?}", t.warnings);
    assert!(t.warnings[0].starts_with("INDEX idx_k2 (k2) ignored"));
    assert!(t.warnings.iter().any(|w| w.starts_with("ROLLUP")));
    assert!(t.warnings.iter().any(|w| w.starts_with("CLUSTER BY (k2)")));
}

// routinely: CTAS, LIKE, external / temporary tables and other engines are refused clearly.
#[test]
fn unsupported_create_table_forms() {
    assert_eq!(
        table_err("CREATE TABLE t AS SELECT * FROM s"),
        "CREATE TABLE ... AS SELECT is not supported by routinely"
    );
    assert_eq!(
        table_err("CREATE TABLE t (a, b) AS SELECT 1, 2"),
        "CREATE TABLE ... AS SELECT is not supported by routinely"
    );
    assert_eq!(
        table_err("CREATE TABLE t LIKE s"),
        "CREATE TABLE ... LIKE is not supported by routinely"
    );
    assert_eq!(
        table_err("CREATE EXTERNAL TABLE t (a INT)"),
        "CREATE EXTERNAL TABLE is not supported by routinely"
    );
    assert_eq!(
        table_err("CREATE TABLE t (a INT) ENGINE = mysql"),
        "ENGINE = mysql is not supported by routinely"
    );
    assert_eq!(
        table_err("CREATE TABLE t (a INT, b INT AS (a + 1))"),
        "generated column b is not supported by routinely"
    );
}

// routinely: an unrecognised token is an error naming it and its position.
#[test]
fn unrecognised_tokens() {
    let e =
        parse_create_table("CREATE TABLE t (a INT)\nDISTRIBUTED BY HASH(a) FOOBAR").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2, column 24: expected end of statement, found 'FOOBAR'"
    );
    let e = parse_create_table("CREATE TABLE t (a INT UNSIGNED)").unwrap_err();
    assert!(e.message().contains("'UNSIGNED'"), "{e}");
    assert_eq!(
        table_err("CREATE TABLE t (a BOOL)"),
        "Nereids do not support type: bool"
    );
    assert_eq!(
        table_err("CREATE TABLE `1t` (a INT)"),
        "Incorrect table name '1t'. Table name regex is '^[a-zA-Z][a-zA-Z0-9-_]*$'"
    );
}

// routinely: TableSchema::to_sql parses back to an equal schema.
#[test]
fn table_round_trip() {
    let sql = r#"CREATE TABLE db.`t-x` (
         k1 DATE NOT NULL COMMENT 'a "q"', k2 INT,
         pv BIGINT SUM DEFAULT '0', uv BITMAP BITMAP_UNION,
         s STRUCT<a:INT COMMENT 'f', b:ARRAY<MAP<STRING,INT>>> REPLACE,
         ts DATETIME(3) REPLACE DEFAULT CURRENT_TIMESTAMP(3),
         r VARCHAR(20) REPLACE_IF_NOT_NULL
       ) AGGREGATE KEY(k1, k2) COMMENT 'tab\tle'
       PARTITION BY RANGE(k1) (PARTITION p1 VALUES LESS THAN ("2024-01-01"))
       DISTRIBUTED BY HASH(k1, k2) BUCKETS AUTO
       PROPERTIES ("replication_num" = "1", "x\"y" = "a\\b")"#;
    let t = table(sql);
    let printed = t.to_sql();
    assert_eq!(table(&printed), t, "{printed}");
    let u = table(
        "CREATE TABLE u (id BIGINT NOT NULL AUTO_INCREMENT, ts DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, v DOUBLE DEFAULT PI) UNIQUE KEY(id)",
    );
    assert_eq!(table(&u.to_sql()), u, "{}", u.to_sql());
}

// routinely: parse_type entry point.
#[test]
fn parse_type_entry_point() {
    assert_eq!(
        parse_type("DECIMAL(10,2)").unwrap(),
        DorisType::Decimal {
            precision: 10,
            scale: 2
        }
    );
    assert_eq!(
        parse_type("ARRAY<MAP<STRING,INT>>").unwrap().to_string(),
        "ARRAY<MAP<STRING,INT>>"
    );
    assert_eq!(
        parse_type("varchar").unwrap(),
        DorisType::Varchar { len: 65_533 }
    );
    assert_eq!(
        parse_type("ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<INT>>>>>>>>>>")
            .map(|t| t.to_string())
            .unwrap(),
        "ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<INT>>>>>>>>>>"
    );
    assert_eq!(
        table_err(
            "CREATE TABLE t (k INT, a ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<INT>>>>>>>>>>)"
        ),
        "Type exceeds the maximum nesting depth of 9"
    );
    assert!(parse_type("INT garbage").is_err());
}

// ------------------------------------------------------------------------------------------
// Checks against the table
// ------------------------------------------------------------------------------------------

fn uniq() -> TableSchema {
    table(
        "CREATE TABLE t (k INT, v INT, seq INT, d INT) UNIQUE KEY(k) PROPERTIES ('function_column.sequence_type' = 'int')",
    )
}

// Doris: CreateRoutineLoadInfo.checkDBTable: MERGE / DELETE only into UNIQUE tables;
// partial columns only into merge-on-write UNIQUE tables.
#[test]
fn validate_merge_and_partial() {
    let dup = table("CREATE TABLE t (k INT, v INT)");
    let j = create(&format!(
        "CREATE ROUTINE LOAD j ON t WITH DELETE FROM KAFKA ({KAFKA})"
    ));
    assert_eq!(
        validate_against_table(&j, &dup).unwrap_err().to_string(),
        "load by MERGE or DELETE is only supported in unique tables."
    );
    let j = create(&with_props("'partial_columns' = 'true'"));
    assert_eq!(
        validate_against_table(&j, &dup).unwrap_err().to_string(),
        "load by PARTIAL_COLUMNS is only supported in unique table MoW"
    );
    let mor = table(
        "CREATE TABLE t (k INT, v INT) UNIQUE KEY(k) PROPERTIES ('enable_unique_key_merge_on_write' = 'false')",
    );
    assert_eq!(
        validate_against_table(&j, &mor).unwrap_err(),
        JobError::PartialNotMow
    );
    let mow = table("CREATE TABLE t (k INT, v INT) UNIQUE KEY(k)");
    validate_against_table(&j, &mow).unwrap();
}

// Doris: Load.initColumns: mapping targets must be columns, references must be source
// columns; DELETE ON / ORDER BY references likewise; sequence column rules
// (NereidsStreamLoadPlanner).
#[test]
fn validate_columns_and_sequence() {
    let t = uniq();
    let j = create(&format!(
        "CREATE ROUTINE LOAD j ON t WITH MERGE COLUMNS(k, src, v = src * 2, d), DELETE ON d = 1, ORDER BY src FROM KAFKA ({KAFKA})"
    ));
    validate_against_table(&j, &t).unwrap();
    // A mapping whose target is not a table column is allowed: Doris drops it from the load
    // and later mappings may read it (regression test_json_load: `columns: id = id * 10`).
    let j = create(&format!(
        "CREATE ROUTINE LOAD j ON t COLUMNS(k, x = k + 1, v = x * 2), ORDER BY k FROM KAFKA ({KAFKA})"
    ));
    validate_against_table(&j, &t).unwrap();
    let j = create(&format!(
        "CREATE ROUTINE LOAD j ON t COLUMNS(k, v = nope + 1), ORDER BY k FROM KAFKA ({KAFKA})"
    ));
    assert_eq!(
        validate_against_table(&j, &t).unwrap_err().to_string(),
        "unknown reference column, column=v, reference=nope"
    );
    let j = create(&format!(
        "CREATE ROUTINE LOAD j ON t COLUMNS(k, v), ORDER BY zz FROM KAFKA ({KAFKA})"
    ));
    assert_eq!(
        validate_against_table(&j, &t).unwrap_err().to_string(),
        "unknown reference column in ORDER BY clause:zz"
    );
    let j = create(&format!(
        "CREATE ROUTINE LOAD j ON t WITH MERGE DELETE ON gone = 1, ORDER BY seq FROM KAFKA ({KAFKA})"
    ));
    assert_eq!(
        validate_against_table(&j, &t).unwrap_err().to_string(),
        "unknown reference column in DELETE ON clause:gone"
    );
    let j = create(&format!("CREATE ROUTINE LOAD j ON t FROM KAFKA ({KAFKA})"));
    assert_eq!(
        validate_against_table(&j, &t).unwrap_err().to_string(),
        "Table t has sequence column, need to specify the sequence column"
    );
    let plain = table("CREATE TABLE t (k INT, v INT) UNIQUE KEY(k)");
    let j = create(&format!(
        "CREATE ROUTINE LOAD j ON t ORDER BY v FROM KAFKA ({KAFKA})"
    ));
    assert_eq!(
        validate_against_table(&j, &plain).unwrap_err().to_string(),
        "There is no sequence column in the table t"
    );
    // A sequence_col mapping needs no ORDER BY.
    let mapped = table(
        "CREATE TABLE t (k INT, v INT) UNIQUE KEY(k) PROPERTIES ('function_column.sequence_col' = 'v')",
    );
    validate_against_table(
        &create(&format!("CREATE ROUTINE LOAD j ON t FROM KAFKA ({KAFKA})")),
        &mapped,
    )
    .unwrap();
}

// ------------------------------------------------------------------------------------------
// Round trips and robustness
// ------------------------------------------------------------------------------------------

// routinely: a job using every clause and many properties prints and parses back equal.
#[test]
fn complex_job_round_trip() {
    let j = create(&format!(
        r#"CREATE ROUTINE LOAD `d b`.`j-1` ON `tb`
           WITH MERGE
           COLUMNS TERMINATED BY "\x01",
           COLUMNS(k, `we``ird`, v = CASE WHEN k > 0 THEN 'a\'b' ELSE "c\\d" END, del),
           PRECEDING FILTER k > 0,
           WHERE v IS NOT NULL,
           TEMPORARY PARTITION(p1),
           DELETE ON del = 1,
           ORDER BY k
           PROPERTIES ("max_batch_rows" = "300000", "timezone" = "Asia/Shanghai", "format" = "json",
                       "jsonpaths" = "[\"$.k\"]", "json_root" = "$.data", "enclose" = "'", "escape" = "\\",
                       "partial_columns" = "true", "partial_update_new_key_behavior" = "error",
                       "workload_group" = "g", "strict_mode" = "true", "max_filter_ratio" = "0.25")
           FROM KAFKA ({KAFKA}, "kafka_partitions" = "0,1", "kafka_offsets" = "1,OFFSET_END",
                       "property.kafka_default_offsets" = "2024-01-01 00:00:00",
                       "property.group.id" = "g\"1", "aws.region" = "r")
           COMMENT "multi
line""#
    ));
    let printed = j.to_sql();
    assert_eq!(create(&printed), j, "{printed}");
    let legacy = create(&with_props("'doris_version' = '3.0', 'enclose' = 'x'"));
    assert_eq!(create(&legacy.to_sql()), legacy);
    let multi = create(&format!(
        "CREATE ROUTINE LOAD j COLUMNS TERMINATED BY '|' FROM KAFKA ({KAFKA}, 'kafka_default_offsets' = 'offset_end')"
    ));
    assert_eq!(create(&multi.to_sql()), multi, "{}", multi.to_sql());
}

/// A tiny deterministic generator (no dependency on the test's random state).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

// routinely: no input makes a parser panic: truncations and random edits of real
// statements, and random token soup.
#[test]
fn fuzz_never_panics() {
    let sources = [
        SEED.to_string(),
        with_kafka(r#""kafka_partitions" = "0,1", "kafka_offsets" = "1,2""#),
        "ALTER ROUTINE LOAD FOR j WHERE a > 1 PROPERTIES ('timezone' = 'UTC') FROM KAFKA ('kafka_topic' = 'x')".to_string(),
        "CREATE TABLE t (a ARRAY<MAP<STRING,STRUCT<x:INT>>>, b DECIMAL(10,2) SUM DEFAULT '1') AGGREGATE KEY(a)".to_string(),
        "SHOW ROUTINE LOAD TASK FROM db WHERE JobName = 'x'".to_string(),
    ];
    let pieces = [
        "(",
        ")",
        ",",
        ";",
        "'",
        "\"",
        "`",
        "\\",
        "<",
        ">>",
        "=",
        "--",
        "/*",
        "*/",
        "é",
        "\\x",
        "CREATE",
        "TABLE",
        "ROUTINE",
        "LOAD",
        "PROPERTIES",
        "FROM",
        "KAFKA",
        "WHERE",
        "COLUMNS",
        "ARRAY",
        "STRUCT",
        "DEFAULT",
        "0",
        "-",
        ".",
        "9999999999999999999999",
    ];
    let mut rng = Lcg(42);
    for src in &sources {
        let chars: Vec<char> = src.chars().collect();
        for cut in (0..chars.len()).step_by(3) {
            let s: String = chars[..cut].iter().collect();
            let _ = parse_statements(&s);
            let _ = parse_create_table(&s);
        }
        for _ in 0..300 {
            let mut c = chars.clone();
            for _ in 0..(1 + rng.next() % 4) {
                let pos = (rng.next() as usize) % (c.len() + 1);
                let piece = pieces[(rng.next() as usize) % pieces.len()];
                if rng.next().is_multiple_of(2) && pos < c.len() {
                    c.remove(pos);
                } else {
                    for (i, ch) in piece.chars().enumerate() {
                        c.insert(pos + i, ch);
                    }
                }
            }
            let s: String = c.into_iter().collect();
            let _ = parse_statements(&s);
            let _ = parse_create_table(&s);
            let _ = parse_type(&s);
        }
    }
    for _ in 0..500 {
        let n = 1 + rng.next() % 20;
        let s: Vec<&str> = (0..n)
            .map(|_| pieces[(rng.next() as usize) % pieces.len()])
            .collect();
        let s = s.join(" ");
        let _ = parse_statements(&s);
        let _ = parse_type(&s);
    }
}

proptest::proptest! {
    // routinely: arbitrary text never panics any entry point.
    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,80}") {
        let _ = parse_statements(&s);
        let _ = parse_create_table(&s);
        let _ = parse_type(&s);
    }
}
