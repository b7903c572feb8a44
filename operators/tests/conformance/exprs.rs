//! COLUMNS mappings, WHERE, PRECEDING FILTER, DELETE ON / WITH DELETE
//! (docs/doris/csv-and-expressions.md Part B; doris-spec §1.1, §6.2, §8).

use crate::{Load, assert_identity, lines};

const T3: &str = "CREATE TABLE t (k1 INT, k2 BIGINT, k3 BIGINT) DUPLICATE KEY(k1) \
                  DISTRIBUTED BY HASH(k1) BUCKETS 1";

const U: &str = "CREATE TABLE u (k1 INT, v VARCHAR(10)) UNIQUE KEY(k1) \
                 DISTRIBUTED BY HASH(k1) BUCKETS 1";

fn csv(ddl: &str) -> Load {
    Load::csv(ddl).clause("COLUMNS TERMINATED BY \",\"")
}

// docs/doris/csv-and-expressions.md §B.1 / §B.5 (4.x Nereids cast project vs 2.1 Load.initColumns): a plain
// table column used inside another mapping is seen CAST to its type in 4.x (`"7.9"` → 7, so
// k3 = 14) and as raw VARCHAR text in 2.1/3.0 (7.9 * 2 = 15.8 → BIGINT 15).
#[test]
fn mapping_sees_cast_value_in_4x_raw_text_in_21() {
    let load = csv(T3).clause("COLUMNS(k1, tmp, k2 = tmp + 1, k3 = k1 * 2)");
    let out = load.run(&["7.9,5"]);
    assert_eq!(out.tsv(), lines(&["7\t6\t14"]));
    let out = load.clone().version("2.1").run(&["7.9,5"]);
    assert_eq!(out.tsv(), lines(&["7\t6\t15"]));
    // A raw value the cast rejects: 4.x sees NULL, 2.1 computes on the text ("abc" → NULL).
    let out = load.run(&["abc,5"]);
    assert_eq!(out.tsv(), lines(&["\\N\t6\t\\N"]));
}

// docs/doris/csv-and-expressions.md §B.1 item 3: chained mappings are inlined in order; a mapping can use an
// earlier one.
#[test]
fn chained_mappings() {
    let out = csv(T3)
        .clause("COLUMNS(k1, tmp, tmpk3 = k1 + tmp, k2 = tmp * 10, k3 = tmpk3)")
        .run(&["1,2"]);
    assert_eq!(out.tsv(), lines(&["1\t20\t3"]));
}

// regression test_json_load select2 (JS-02): `id = id * 10` over JSON; a COLUMNS list with only
// mappings still reads every table column by key name.
#[test]
fn mapping_only_columns_list_reads_table_columns() {
    let ddl = "CREATE TABLE t (id INT DEFAULT '10', city VARCHAR(32) DEFAULT '', \
               code BIGINT DEFAULT '0') DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1";
    let out = Load::json(ddl)
        .clause("COLUMNS(id = id * 10)")
        .prop("strip_outer_array", "true")
        .run(&[r#"[{"id": 1, "city": "beijing", "code": 2345671},
                   {"id": 2, "city": "shanghai", "code": 2345672}]"#]);
    assert_eq!(
        out.tsv(),
        lines(&["10\tbeijing\t2345671", "20\tshanghai\t2345672"])
    );
    // The same in CSV: the fields are the table's columns.
    let out = csv(T3).clause("COLUMNS(k3 = k1 + k2)").run(&["1,2,99"]);
    assert_eq!(out.tsv(), lines(&["1\t2\t3"]));
}

// regression test_json_load select4 (JS-04): jsonpaths shorter than the table plus a derived
// column: `code = id * 10 + 200`.
#[test]
fn jsonpaths_with_derived_column() {
    let ddl = "CREATE TABLE t (id INT DEFAULT '10', code BIGINT DEFAULT '0') DUPLICATE KEY(id) \
               DISTRIBUTED BY HASH(id) BUCKETS 1";
    let out = Load::json(ddl)
        .clause("COLUMNS(id, code = id * 10 + 200)")
        .prop("strip_outer_array", "true")
        .prop("jsonpaths", r#"["$.id"]"#)
        .run(&[r#"[{"id": 1, "city": "beijing", "code": 2345671},
                   {"id": 10, "city": "hefei", "code": 23456710}]"#]);
    assert_eq!(out.tsv(), lines(&["1\t210", "10\t300"]));
}

// regression test_json_load select7 (JS-06): WHERE sees the mapped value (source id 6 → 60 >
// 50); rows failing WHERE are unselected, not filtered.
#[test]
fn where_after_mapping() {
    let ddl = "CREATE TABLE t (id INT DEFAULT '10', code BIGINT DEFAULT '0') DUPLICATE KEY(id) \
               DISTRIBUTED BY HASH(id) BUCKETS 1";
    let msg = r#"[{"id": 1, "city": "beijing", "code": 1454547},{"id": 2, "city": "shanghai", "code": 1244264}, {"id": 3, "city": "guangzhou", "code": 528369},{"id": 4, "city": "shenzhen", "code": 594201},{"id": 5, "city": "hangzhou", "code": 594201}]"#;
    let msg2 = r#"[{"id": 6, "city": "nanjing", "code": 2345672},{"id": 7, "city": "wuhan", "code": 2345673}, {"id": 8, "city": "chengdu", "code": 2345674},{"id": 9, "city": "xian", "code": 2345675},{"id": 10, "city": "hefei", "code": 2345676}]"#;
    for fuzzy in ["false", "true"] {
        let out = Load::json(ddl)
            .clause("COLUMNS(id = id * 10)")
            .clause("WHERE id > 50")
            .prop("strip_outer_array", "true")
            .prop("jsonpaths", r#"["$.id", "$.code"]"#)
            .prop("fuzzy_parse", fuzzy)
            .run(&[msg, msg2]);
        assert_eq!(
            out.tsv(),
            lines(&[
                "60\t2345672",
                "70\t2345673",
                "80\t2345674",
                "90\t2345675",
                "100\t2345676",
            ])
        );
        assert_eq!(out.counts(), (10, 5, 0, 5));
        assert!(out.rejected().is_empty());
    }
}

// docs/doris/csv-and-expressions.md §B.5 table: PRECEDING FILTER sees raw text (`"7.9" > 7` compares as
// DOUBLE → TRUE) while WHERE sees the final INT 7 (→ FALSE, unselected).
#[test]
fn preceding_filter_raw_vs_where_final() {
    let out = csv(T3)
        .clause("COLUMNS(k1, k2, k3)")
        .clause("PRECEDING FILTER k1 > 7")
        .run(&["7.9,1,1", "6,1,1"]);
    assert_eq!(out.tsv(), lines(&["7\t1\t1"]));
    assert_eq!(out.counts(), (2, 1, 0, 1));
    let out = csv(T3).clause("WHERE k1 > 7").run(&["7.9,1,1", "8,1,1"]);
    assert_eq!(out.tsv(), lines(&["8\t1\t1"]));
    assert_eq!(out.counts(), (2, 1, 0, 1));
}

// docs/doris/csv-and-expressions.md §B.2: a predicate that is NULL drops the row as unselected (`'abc' > 9` is
// CAST('abc' AS DOUBLE) > 9 = NULL); three-valued logic (NULL OR TRUE = TRUE).
#[test]
fn null_predicates_unselect() {
    let out = csv(T3)
        .clause("PRECEDING FILTER k1 > 9")
        .run(&["abc,1,1", "10,1,1", "\\N,1,1"]);
    assert_eq!(out.tsv(), lines(&["10\t1\t1"]));
    assert_eq!(out.counts(), (3, 1, 0, 2));
    let out = csv(T3)
        .clause("WHERE k2 > 1 OR k3 = 1")
        .run(&["1,\\N,1", "2,\\N,2"]);
    assert_eq!(out.tsv(), lines(&["1\t\\N\t1"]));
    assert_eq!(out.counts(), (2, 1, 0, 1));
}

// docs/doris/csv-and-expressions.md §B.2 (Nereids TypeCoercionUtils): numeric vs string compares as DOUBLE
// (`'10' > 9`), IN with int vs string compares as STRING (`'01' IN (1)` is FALSE).
#[test]
fn implicit_coercions_in_filters() {
    let out = csv(T3)
        .clause("COLUMNS(tmp, k1, k2, k3)")
        .clause("PRECEDING FILTER tmp IN (1, 2)")
        .run(&["01,1,1,1", "1,2,2,2", "2,3,3,3"]);
    assert_eq!(out.tsv(), lines(&["2\t2\t2", "3\t3\t3"]));
}

// regression test_routine_load PRECEDING FILTER / WHERE sections (RL-09): only the matching
// row is loaded; the others are unselected, not errors.
#[test]
fn preceding_filter_and_where_keep_one_row() {
    let ddl = "CREATE TABLE t (k00 INT NOT NULL, k01 DATE NOT NULL, k02 VARCHAR(10)) \
               DUPLICATE KEY(k00) DISTRIBUTED BY HASH(k00) BUCKETS 1";
    let msgs = ["8|2023-08-14|a", "57|2023-08-19|b", "49|2023-08-08|c"];
    for clause in ["PRECEDING FILTER k00 = 8", "WHERE k00 = 8"] {
        let out = Load::csv(ddl)
            .clause("COLUMNS(k00, k01, k02)")
            .clause("COLUMNS TERMINATED BY \"|\"")
            .clause(clause)
            .run(&msgs);
        assert_eq!(out.tsv(), lines(&["8\t2023-08-14\ta"]), "{clause}");
        assert_eq!(out.counts(), (3, 1, 0, 2));
        assert_identity(&out);
    }
}

// doris-spec §8 / docs/doris/csv-and-expressions.md §B.2: WITH DELETE marks every row with the delete sign;
// WITH MERGE + DELETE ON marks the rows whose predicate is TRUE (NULL → not a delete); the
// hidden column follows the table's columns in the output.
#[test]
fn delete_sign() {
    let out = csv(U).with("DELETE").run(&["1,a", "2,b"]);
    assert_eq!(out.delete_signs(), vec![1, 1]);
    assert_eq!(out.tsv(), lines(&["1\ta", "2\tb"]));
    let out = csv(U)
        .with("MERGE")
        .clause("DELETE ON v = 'del'")
        .run(&["1,a", "2,del", "3,\\N"]);
    assert_eq!(out.delete_signs(), vec![0, 1, 0]);
    let schema = out.batch.batches[0].schema();
    assert_eq!(schema.field(2).name(), "__DORIS_DELETE_SIGN__");
    let out = csv(U).run(&["1,a"]);
    assert_eq!(out.batch.batches[0].num_columns(), 2);
}

// docs/doris/csv-and-expressions.md §B.5: DELETE ON binds like a mapping: 4.x sees k1 cast to INT (`"7.9"` → 7
// = 7 → delete), 2.1/3.0 see the raw text (7.9 = 7 → FALSE).
#[test]
fn delete_on_binding_by_version() {
    let load = csv(U).with("MERGE").clause("DELETE ON k1 = 7");
    assert_eq!(load.run(&["7.9,a"]).delete_signs(), vec![1]);
    assert_eq!(load.version("2.1").run(&["7.9,a"]).delete_signs(), vec![0]);
}

// docs/doris/csv-and-expressions.md §B.3.2 (FROM_UNIXTIME): seconds → text in the load timezone; regression
// test_json_load select22 (JS-15): `dt = from_unixtime(substr(datatimestamp,1,10),'%Y%m%d')`
// with the data object into a STRING column as compact JSON.
#[test]
fn from_unixtime_mapping_js15() {
    let ddl = "CREATE TABLE t (productid BIGINT NOT NULL, deviceid BIGINT NOT NULL, \
               datatimestamp STRING NULL, dt INT NULL, data STRING) \
               DUPLICATE KEY(productid, deviceid) DISTRIBUTED BY HASH(productid) BUCKETS 1";
    let msg = r#"{"data":{"base_mac_value_null":24,"base_1_value_respiratoryrate":11,"tsltype":"properties","datatimestamp":1678834024274,"command":"0105","macaddress":"405EE1805029"},"deviceid":1321313082437,"productid":11324}"#;
    let load = Load::json(ddl)
        .clause(
            "COLUMNS(productid, deviceid, data, datatimestamp, \
             dt = from_unixtime(substr(datatimestamp,1,10),'%Y%m%d'))",
        )
        .prop(
            "jsonpaths",
            r#"["$.productid","$.deviceid","$.data","$.data.datatimestamp"]"#,
        );
    let out = load.run(&[msg]);
    assert_eq!(
        out.tsv(),
        lines(&[
            "11324\t1321313082437\t1678834024274\t20230315\t{\"base_mac_value_null\":24,\"base_1_value_respiratoryrate\":11,\"tsltype\":\"properties\",\"datatimestamp\":1678834024274,\"command\":\"0105\",\"macaddress\":\"405EE1805029\"}",
        ])
    );
    // The instant is 2023-03-14 22:47 UTC: TZ-sensitive.
    let out = load.prop("timezone", "UTC").run(&[msg]);
    assert_eq!(out.rows[0][3].as_deref(), Some("20230314"));
}

// regression test_stream_load_properties "timezone" (RL-02): a constant mapping
// `k00 = unix_timestamp('2007-11-30 10:30:19')` evaluated in the load zone; docs/doris/csv-and-expressions.md
// §B.3.3 gives 1196389819 at +08:00 and 1196418619 at UTC+0 (Africa/Abidjan).
#[test]
fn unix_timestamp_constant_by_zone() {
    let ddl = "CREATE TABLE t (k00 BIGINT, k01 DATE) DUPLICATE KEY(k00) \
               DISTRIBUTED BY HASH(k00) BUCKETS 1";
    let load = Load::csv(ddl)
        .clause("COLUMNS TERMINATED BY \"|\"")
        .clause("COLUMNS(k00 = unix_timestamp('2007-11-30 10:30:19'), k01)");
    assert_eq!(
        load.run(&["2023-08-19"]).tsv(),
        lines(&["1196389819\t2023-08-19"])
    );
    assert_eq!(
        load.prop("timezone", "Africa/Abidjan")
            .run(&["2023-08-19"])
            .tsv(),
        lines(&["1196418619\t2023-08-19"])
    );
}

// docs/doris/csv-and-expressions.md §B.3.1: now() / current_timestamp is the task's start time, the same for
// every row, in the load timezone.
#[test]
fn now_is_the_batch_time() {
    let ddl = "CREATE TABLE t (k INT, ts DATETIME) DUPLICATE KEY(k) \
               DISTRIBUTED BY HASH(k) BUCKETS 1";
    let out = csv(ddl).clause("COLUMNS(k, ts = now())").run(&["1", "2"]);
    assert_eq!(
        out.tsv(),
        lines(&["1\t2023-11-15 06:13:20", "2\t2023-11-15 06:13:20"])
    );
}

// docs/doris/csv-and-expressions.md §B.4 + project decision: a 4.x expression that raises an error
// (`from_unixtime` of a negative value) rejects the row (Doris fails the task); 2.1 returns
// NULL for the same input.
#[test]
fn expression_runtime_errors() {
    let ddl = "CREATE TABLE t (k INT, s VARCHAR(32)) DUPLICATE KEY(k) \
               DISTRIBUTED BY HASH(k) BUCKETS 1";
    let load = csv(ddl).clause("COLUMNS(k, tmp, s = from_unixtime(tmp))");
    let out = load.run(&["1,-1", "2,0"]);
    assert_eq!(out.tsv(), lines(&["2\t1970-01-01 08:00:00"]));
    assert_eq!(out.counts(), (2, 1, 1, 0));
    assert!(out.reason().contains("from_unixtime"), "{}", out.reason());
    let out = load.version("2.1").run(&["1,-1", "2,32536771200"]);
    assert_eq!(out.tsv(), lines(&["1\t\\N", "2\t\\N"]));
}

// docs/doris/csv-and-expressions.md §B.3.7 (string functions): CONCAT with NULL → NULL; CONCAT_WS skips NULLs;
// SUBSTR counts UTF-8 characters; LENGTH counts bytes, CHAR_LENGTH characters; TRIM removes
// spaces only.
#[test]
fn string_functions() {
    let ddl = "CREATE TABLE t (k INT, a VARCHAR(32), b VARCHAR(32), c VARCHAR(32), n1 INT, \
               n2 INT, d VARCHAR(32)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1";
    let out = csv(ddl)
        .clause(
            "COLUMNS(k, x, y, a = concat(x, y), b = concat_ws('|', x, y, 'z'), \
             c = substr(x, 2, 1), n1 = length(x), n2 = char_length(x), d = trim(y))",
        )
        .run(&["1,中文字,\\N", "2,abc,  q\t "]);
    assert_eq!(
        out.tsv(),
        lines(&[
            "1\t\\N\t中文字|z\t文\t9\t3\t\\N",
            "2\tabc  q\t \tabc|  q\t |z\tb\t3\t3\tq\t",
        ])
    );
}

// docs/doris/csv-and-expressions.md §B.3.4 (STR_TO_DATE) and §B.3.5 (DATE_FORMAT): MySQL-style formats; a
// mismatch → NULL; trailing input ignored.
#[test]
fn date_functions() {
    let ddl = "CREATE TABLE t (k INT, d DATE, dt DATETIME, s VARCHAR(64)) DUPLICATE KEY(k) \
               DISTRIBUTED BY HASH(k) BUCKETS 1";
    let out = csv(ddl)
        .clause(
            "COLUMNS(k, x, y, d = str_to_date(x, '%Y-%m-%d'), \
             dt = str_to_date(y, '%Y-%m-%d %H:%i:%s'), s = date_format(y, '%W %M %Y'))",
        )
        .run(&[
            "1,2023-7-5,2009-10-04 22:23:00",
            "2,2023/01/01,2023-01-01 10:00:00 (GMT)",
        ]);
    assert_eq!(
        out.tsv(),
        lines(&[
            "1\t2023-07-05\t2009-10-04 22:23:00\tSunday October 2009",
            "2\t\\N\t2023-01-01 10:00:00\t\\N",
        ])
    );
}

// docs/doris/csv-and-expressions.md §B.3.8 (IF / IFNULL / COALESCE / CASE): only TRUE takes the THEN branch; a
// string branch makes the result a string, cast to the column afterwards.
#[test]
fn conditional_functions() {
    let ddl = "CREATE TABLE t (k INT, a INT, b VARCHAR(10), c INT) DUPLICATE KEY(k) \
               DISTRIBUTED BY HASH(k) BUCKETS 1";
    let out = csv(ddl)
        .clause(
            "COLUMNS(k, x, a = if(x > 1, 1, 'x'), b = ifnull(x, 'none'), \
             c = CASE WHEN x = 1 THEN 10 WHEN x = 2 THEN 20 END)",
        )
        .run(&["1,1", "2,2", "3,\\N"]);
    assert_eq!(
        out.tsv(),
        lines(&["1\t\\N\t1\t10", "2\t1\t2\t20", "3\t\\N\tnone\t\\N"])
    );
}

// docs/doris/csv-and-expressions.md §B.3.6 (4.x GET_JSON_STRING = JSON_EXTRACT_STRING): unquoted strings,
// compact objects, JSON null → the string "null" in 4.x but SQL NULL in 2.1 (rapidjson).
#[test]
fn get_json_string_by_version() {
    let ddl = "CREATE TABLE t (k INT, s VARCHAR(64)) DUPLICATE KEY(k) \
               DISTRIBUTED BY HASH(k) BUCKETS 1";
    let load = Load::csv(ddl)
        .clause("COLUMNS TERMINATED BY \"|\"")
        .clause("COLUMNS(k, j, s = get_json_string(j, '$.a'))");
    let msgs = [
        r#"1|{"a":"v1"}"#,
        r#"2|{"a":{"b": 1}}"#,
        r#"3|{"a":null}"#,
        r#"4|{"b":1}"#,
        "5|not json",
    ];
    assert_eq!(
        load.run(&msgs).tsv(),
        lines(&["1\tv1", "2\t{\"b\":1}", "3\tnull", "4\t\\N", "5\t\\N"])
    );
    assert_eq!(
        load.version("2.1").run(&msgs).tsv(),
        lines(&["1\tv1", "2\t{\"b\":1}", "3\t\\N", "4\t\\N", "5\t\\N"])
    );
}

// docs/doris/csv-and-expressions.md §B.2: division of integers is DOUBLE; division by zero is NULL.
#[test]
fn arithmetic_types() {
    let ddl = "CREATE TABLE t (k INT, d DOUBLE, z INT, m INT) DUPLICATE KEY(k) \
               DISTRIBUTED BY HASH(k) BUCKETS 1";
    let out = csv(ddl)
        .clause("COLUMNS(k, d = k / 3, z = k / 0, m = k % 3)")
        .run(&["5"]);
    assert_eq!(out.tsv(), lines(&["5\t1.666666666666667\t\\N\t2"]));
}
