//! strict_mode, NOT NULL, DEFAULTs and row accounting (doris-spec §6;
//! docs/doris/conversion.md §2, §4; FileScanner::_convert_to_output_block).

use crate::{Load, assert_identity, lines};

const T: &str = "CREATE TABLE t (k INT, amount INT, name VARCHAR(10)) DUPLICATE KEY(k) \
                 DISTRIBUTED BY HASH(k) BUCKETS 1";

fn csv(ddl: &str) -> Load {
    Load::csv(ddl).clause("COLUMNS TERMINATED BY \",\"")
}

// doris-spec §6.1 table: a non-NULL source whose conversion fails is NULL with strict mode off
// and filtered with it on, with the exact FileScanner text naming the raw source value.
#[test]
fn failed_conversion_by_strict_mode() {
    let msgs = ["1,NOT_A_NUMBER,a", "2,5,b"];
    let out = csv(T).run(&msgs);
    assert_eq!(out.tsv(), lines(&["1\t\\N\ta", "2\t5\tb"]));
    assert_eq!(out.counts(), (2, 2, 0, 0));
    let out = csv(T).strict().run(&msgs);
    assert_eq!(out.tsv(), lines(&["2\t5\tb"]));
    assert_eq!(out.counts(), (2, 1, 1, 0));
    assert_eq!(
        out.reason(),
        "column(amount) value is incorrect while strict mode is true, src value is NOT_A_NUMBER"
    );
    // The src line is Block::dump_one_line: source values joined by spaces.
    assert_eq!(out.rejected()[0].src_line, "1 NOT_A_NUMBER a");
}

// doris-spec §6.1: a NULL source (`\N`, JSON null, a missing key) is never a strict failure;
// only the NOT NULL check applies.
#[test]
fn null_sources_are_not_strict_failures() {
    let out = csv(T).strict().run(&["1,\\N,\\N"]);
    assert_eq!(out.tsv(), lines(&["1\t\\N\t\\N"]));
    let out = Load::json(T)
        .strict()
        .run(&[r#"{"k":1,"amount":null}"#, r#"{"k":2}"#]);
    assert_eq!(out.tsv(), lines(&["1\t\\N\t\\N", "2\t\\N\t\\N"]));
}

// doris-spec §6.1 / regression SM-04: NULL into a NOT NULL column is filtered in both modes
// ("column(x) values is null while columns is not nullable"), including a failed
// conversion with strict mode off.
#[test]
fn not_null_columns() {
    let ddl = "CREATE TABLE t (k INT NOT NULL, v INT NOT NULL) DUPLICATE KEY(k) \
               DISTRIBUTED BY HASH(k) BUCKETS 1";
    let out = csv(ddl).run(&["1,\\N", "2,x", "3,4"]);
    assert_eq!(out.tsv(), lines(&["3\t4"]));
    assert_eq!(
        out.reasons(),
        vec!["column(v) values is null while columns is not nullable"; 2]
    );
    // Under strict mode the failed conversion reports the strict message first.
    let out = csv(ddl).strict().run(&["1,\\N", "2,x"]);
    assert_eq!(
        out.reasons(),
        vec![
            "column(v) values is null while columns is not nullable",
            "column(v) value is incorrect while strict mode is true, src value is x",
        ]
    );
}

// doris-spec §6.1 exemption (docs/doris/conversion.md §2): a column computed by a COLUMNS expression is
// not strict-checked, even `k = cast(tmp as int)`; a NULL result only fails NOT NULL.
#[test]
fn expression_columns_are_exempt() {
    let out = csv(T)
        .strict()
        .clause("COLUMNS(k, tmp, name, amount = cast(tmp as int))")
        .run(&["1,abc,x", "2,7,y"]);
    assert_eq!(out.tsv(), lines(&["1\t\\N\tx", "2\t7\ty"]));
    assert_eq!(out.counts(), (2, 2, 0, 0));
    let out = csv(
        "CREATE TABLE t (k INT, amount INT NOT NULL, name VARCHAR(10)) DUPLICATE KEY(k) \
         DISTRIBUTED BY HASH(k) BUCKETS 1",
    )
    .strict()
    .clause("COLUMNS(k, tmp, name, amount = cast(tmp as int))")
    .run(&["1,abc,x"]);
    assert_eq!(
        out.reason(),
        "column(amount) values is null while columns is not nullable"
    );
}

// regression test_stream_load_strict_mode_and_filter_ratio SM-01 (TINYINT overflow): non-strict
// loads NULLs; strict filters the three out-of-range rows.
#[test]
fn tinyint_overflow_sm01() {
    let msgs = ["1", "2", "3", "4", "5", "6", "7", "128", "129", "-129"];
    let ddl = "CREATE TABLE t (k00 TINYINT) DUPLICATE KEY(k00) DISTRIBUTED BY HASH(k00) BUCKETS 1";
    let out = Load::csv(ddl)
        .clause("COLUMNS TERMINATED BY \"|\"")
        .run(&msgs);
    assert_eq!(out.counts(), (10, 10, 0, 0));
    assert_eq!(
        out.sorted(),
        lines(&["1", "2", "3", "4", "5", "6", "7", "\\N", "\\N", "\\N"])
    );
    let out = Load::csv(ddl)
        .clause("COLUMNS TERMINATED BY \"|\"")
        .strict()
        .run(&msgs);
    assert_eq!(out.counts(), (10, 7, 3, 0));
    assert_eq!(out.tsv(), lines(&["1", "2", "3", "4", "5", "6", "7"]));
    assert_eq!(
        out.reasons(),
        vec![
            "column(k00) value is incorrect while strict mode is true, src value is 128",
            "column(k00) value is incorrect while strict mode is true, src value is 129",
            "column(k00) value is incorrect while strict mode is true, src value is -129",
        ]
    );
    let offsets: Vec<i64> = out.rejected().iter().map(|r| r.offset).collect();
    assert_eq!(offsets, vec![7, 8, 9]);
}

// regression SM-02 (DECIMALV3(10,0) overflow, recent suite): 11-digit integers → NULL
// non-strict (no saturation), filtered strictly.
#[test]
fn decimal_overflow_sm02() {
    let msgs = [
        "1234567890",
        "1234567891",
        "1234567892",
        "1234567893",
        "1234567894",
        "1234567895",
        "1234567896",
        "12345678971",
        "12345678902",
        "12345678903",
    ];
    let ddl = "CREATE TABLE t (k00 DECIMALV3(10,0)) DUPLICATE KEY(k00) \
               DISTRIBUTED BY HASH(k00) BUCKETS 1";
    let out = Load::csv(ddl).run(&msgs);
    assert_eq!(
        out.sorted(),
        lines(&[
            "1234567890",
            "1234567891",
            "1234567892",
            "1234567893",
            "1234567894",
            "1234567895",
            "1234567896",
            "\\N",
            "\\N",
            "\\N",
        ])
    );
    let out = Load::csv(ddl).strict().run(&msgs);
    assert_eq!(out.counts(), (10, 7, 3, 0));
}

// regression RL-03 (INFERRED ERA-OLD) / docs/doris/conversion.md §5.4: in 2.1/3.0 a DECIMAL integer-part
// overflow saturates and is NOT a strict failure; in 4.x it is.
#[test]
fn decimal_overflow_strict_by_version() {
    let ddl = "CREATE TABLE t (k INT, d DECIMALV3(9,1)) DUPLICATE KEY(k) \
               DISTRIBUTED BY HASH(k) BUCKETS 1";
    let out = csv(ddl)
        .strict()
        .version("2.1")
        .run(&["20,571112646.00000"]);
    assert_eq!(out.tsv(), lines(&["20\t99999999.9"]));
    let out = csv(ddl).strict().run(&["20,571112646.00000"]);
    assert_eq!(out.counts(), (1, 0, 1, 0));
    assert_eq!(
        out.reason(),
        "column(d) value is incorrect while strict mode is true, src value is 571112646.00000"
    );
}

// doris-spec §5.5 and regression test_stream_load_cast CA-01 (`3.12` into INT): the fraction is
// dropped with strict mode off; 2.1/3.0 refuse it with strict mode on. 4.x with strict mode on
// is CONTESTED and not asserted here: version.rs follows docs/doris/conversion.md §1.1 (the load CAST is
// non-strict, so `3.12` → 3 passes), while doris-spec §5.5 and both stored versions of
// test_stream_load_cast.groovy (3f34dba6, 90a3fcae) expect the row to be filtered.
#[test]
fn integer_fraction_under_strict_mode() {
    let ddl = "CREATE TABLE t (k0 INT, k1 TINYINT) DUPLICATE KEY(k0) \
               DISTRIBUTED BY HASH(k0) BUCKETS 1";
    let out = csv(ddl).run(&["3.12,3.12"]);
    assert_eq!(out.tsv(), lines(&["3\t3"]));
    let out = csv(ddl).strict().version("2.1").run(&["3.12,3.12"]);
    assert_eq!(out.counts(), (1, 0, 1, 0));
    assert_eq!(
        out.reason(),
        "column(k0) value is incorrect while strict mode is true, src value is 3.12"
    );
    let out = csv(ddl).version("2.1").run(&["3.12,3.12"]);
    assert_eq!(out.tsv(), lines(&["3\t3"]));
}

// docs/doris/conversion.md §5.7 / §6: the sink's length check is independent of strict mode in 2.1 and
// applies after the strict check; in 4.x strict mode filters an overlong value.
#[test]
fn overlong_strings_and_strict_mode() {
    let out = csv(T).strict().run(&["1,2,abcdefghijk"]);
    assert_eq!(
        out.reason(),
        "column_name[name], the length of input is too long than schema. first 32 bytes of input str: [abcdefghijk] schema length: 10; actual length: 11;"
    );
    let out = csv(T).run(&["1,2,abcdefghijk"]);
    assert_eq!(out.tsv(), lines(&["1\t2\tabcdefghij"]));
    let out = csv(T).version("3.0").run(&["1,2,abcdefghijk"]);
    assert_eq!(out.counts(), (1, 0, 1, 0));
}

// doris-spec §5.2 / §5.3 and PR apache/doris#20624: a missing JSON key takes the column
// DEFAULT; a nullable column without DEFAULT is NULL; a NOT NULL column without DEFAULT is
// filtered (regression test_json_load select13 JS-10).
#[test]
fn missing_keys_and_not_null() {
    let ddl = "CREATE TABLE t (id INT DEFAULT '10', city VARCHAR(32) NOT NULL, \
               code BIGINT DEFAULT '0') DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1";
    let out = Load::json(ddl).prop("strip_outer_array", "true").run(&[
        r#"[{"code": 1, "id": 1}, {"code": 2, "id": 2, "city": "shanghai"}, {"city": "x"}]"#,
    ]);
    assert_eq!(out.tsv(), lines(&["2\tshanghai\t2", "10\tx\t0"]));
    assert_eq!(out.counts(), (3, 2, 1, 0));
    assert_eq!(
        out.reason(),
        "column(city) values is null while columns is not nullable"
    );
    // The src line of a scanner-level error is the source values, NULL spelled out.
    assert_eq!(out.rejected()[0].src_line, "1 NULL 1");
}

// doris-spec §1.1 / BindSink: a NOT NULL column with no DEFAULT that the load never fills is
// a planning error, not a row error.
#[test]
fn unfilled_not_null_column_is_a_plan_error() {
    let ddl = "CREATE TABLE t (k INT, v INT NOT NULL) DUPLICATE KEY(k) \
               DISTRIBUTED BY HASH(k) BUCKETS 1";
    let err = csv(ddl).clause("COLUMNS(k)").try_plan().err().unwrap();
    assert_eq!(err.to_string(), "Column has no default value, column=v");
}

// doris-spec §6.2: total = loaded + filtered + unselected over a mixed batch; unselected rows
// (WHERE / PRECEDING FILTER) are not errors and leave no rejected row.
#[test]
fn row_accounting_identity() {
    let out = csv(T)
        .strict()
        .clause("PRECEDING FILTER k != 9")
        .clause("WHERE amount > 0")
        .run(&[
            "1,5,a",
            "2,x,b",
            "3,-1,c",
            "9,1,d",
            "4,1",
            "",
            "5,\\N,e",
            "6,7,f\n7,8,g",
        ]);
    assert_eq!(out.tsv(), lines(&["1\t5\ta", "6\t7\tf", "7\t8\tg"]));
    // 2 (strict) and 4,1 (column count) are filtered; 3 (WHERE false), 9 (PRECEDING FILTER)
    // and 5 (WHERE on NULL) are unselected; the empty message counts nowhere.
    assert_eq!(out.counts(), (8, 3, 2, 3));
    assert_eq!(out.batch.counts.messages, 8);
    assert_identity(&out);
}

// docs/doris/json-reader.md §3.4 / docs/doris/conversion.md §4: DEFAULT CURRENT_TIMESTAMP is evaluated once
// per task (the batch's time, in the job's zone) for missing keys (regression
// test_json_load_default_number_value JS-25: every row got the load time).
#[test]
fn default_current_timestamp_for_missing_keys() {
    let ddl = "CREATE TABLE t (id INT, date_time DATETIME DEFAULT CURRENT_TIMESTAMP, \
               d3 DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3), flag CHAR, descript STRING) \
               DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1";
    let out = Load::json(ddl).run(&[
        r#"{"id":1}"#,
        r#"{"id":2,"date_time":"2020-01-01 00:00:00"}"#,
        r#"{"id":3,"date_time":null}"#,
    ]);
    assert_eq!(
        out.tsv(),
        lines(&[
            "1\t2023-11-15 06:13:20\t2023-11-15 06:13:20.000\t\\N\t\\N",
            "2\t2020-01-01 00:00:00\t2023-11-15 06:13:20.000\t\\N\t\\N",
            "3\t\\N\t2023-11-15 06:13:20.000\t\\N\t\\N",
        ])
    );
    let out = Load::json(ddl)
        .prop("timezone", "UTC")
        .run(&[r#"{"id":1}"#]);
    assert_eq!(out.rows[0][1].as_deref(), Some("2023-11-14 22:13:20"));
}

// docs/doris/conversion.md §4: a column not named in COLUMNS at all is filled with its DEFAULT (CSV too),
// CURRENT_TIMESTAMP included.
#[test]
fn unlisted_columns_take_defaults() {
    let ddl = "CREATE TABLE t (k INT, v VARCHAR(10) DEFAULT 'd', ts DATETIME DEFAULT \
               CURRENT_TIMESTAMP, n INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1";
    let out = csv(ddl).clause("COLUMNS(k)").run(&["1"]);
    assert_eq!(out.tsv(), lines(&["1\td\t2023-11-15 06:13:20\t\\N"]));
}

// docs/doris/json-reader.md §3.4 (`_get_column_default_value` runs once per reader) and docs/doris/csv-and-expressions.md
// §A.1 (one stream per task): each batch is a task — DEFAULT CURRENT_TIMESTAMP takes the new
// batch's time, counts restart, and an enclose left open does not leak into the next batch.
#[test]
fn each_batch_is_a_task() {
    use routinely_operators::row::datum::rows_as_text;
    use routinely_operators::row::{Message, RowPath};
    let ddl = "CREATE TABLE t (k INT, v VARCHAR(10), ts DATETIME DEFAULT CURRENT_TIMESTAMP) \
               DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1";
    let plan = csv(ddl)
        .clause("COLUMNS(k, v)")
        .prop("enclose", "\"")
        .prop("timezone", "UTC")
        .plan();
    let mut path = RowPath::new(plan.clone());
    let msg = |offset, value: &'static str| Message {
        partition: 0,
        offset,
        value: value.as_bytes(),
    };
    path.begin_batch(0);
    path.push(msg(0, "1,a"));
    path.push(msg(1, "2,\"open"));
    let first = path.finish();
    // The enclose never closes: the line ends with the batch's stream (end-of-stream
    // handling UNVERIFIED in Doris) and keeps its opening quote.
    assert_eq!(
        rows_as_text(&first.batches, plan.table()),
        vec![
            vec![
                Some("1".to_string()),
                Some("a".to_string()),
                Some("1970-01-01 00:00:00".to_string())
            ],
            vec![
                Some("2".to_string()),
                Some("\"open".to_string()),
                Some("1970-01-01 00:00:00".to_string())
            ],
        ]
    );
    assert_eq!(first.counts.total, 2);
    path.begin_batch(86_400_000_000);
    path.push(msg(2, "3,b"));
    let second = path.finish();
    assert_eq!(
        rows_as_text(&second.batches, plan.table()),
        vec![vec![
            Some("3".to_string()),
            Some("b".to_string()),
            Some("1970-01-02 00:00:00".to_string())
        ]]
    );
    assert_eq!((second.counts.total, second.counts.messages), (1, 1));
}

// doris-spec §6.2 over large batches: rows split across several Arrow chunks keep their order
// and the counts stay exact.
#[test]
fn accounting_across_arrow_chunks() {
    let msgs: Vec<String> = (0..20_000)
        .map(|i| {
            if i % 1000 == 999 {
                format!("{i},bad,x")
            } else {
                format!("{i},{},x", i % 7)
            }
        })
        .collect();
    let refs: Vec<&str> = msgs.iter().map(String::as_str).collect();
    let out = csv(T).strict().clause("WHERE amount != 3").run(&refs);
    let unselected = (0..20_000u64)
        .filter(|i| i % 1000 != 999 && i % 7 == 3)
        .count() as u64;
    assert_eq!(
        out.counts(),
        (20_000, 20_000 - 20 - unselected, 20, unselected)
    );
    assert!(out.batch.batches.len() >= 2);
    assert_eq!(out.rows[0][0].as_deref(), Some("0"));
    assert_eq!(out.rows.last().unwrap()[0].as_deref(), Some("19998"));
    assert_identity(&out);
}
