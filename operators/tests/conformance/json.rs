//! JSON documents: one Kafka message is one document (doris-spec §5.1;
//! docs/doris/json-reader.md §1-§2, §4, §6-§7).

use crate::{Load, assert_identity, lines};

const T_AB: &str = "CREATE TABLE t (a INT, b VARCHAR(20) DEFAULT '7') DUPLICATE KEY(a) \
                    DISTRIBUTED BY HASH(a) BUCKETS 1";

const T_STR: &str = "CREATE TABLE t (k INT, v STRING) DUPLICATE KEY(k) \
                     DISTRIBUTED BY HASH(k) BUCKETS 1";

fn simple() -> Load {
    Load::json(T_AB)
}

// doris-spec §5.1; BE new_json_reader `_simdjson_handle_simple_json`: a top-level scalar →
// "Not an json object or json array", one filtered row whose src line is the message.
#[test]
fn top_level_scalar_is_filtered() {
    for msg in ["123", "\"x\"", "true", "null", "-1.5"] {
        let out = simple().run(&[msg]);
        assert_eq!(out.counts(), (1, 0, 1, 0), "{msg}");
        assert_eq!(out.reason(), "Not an json object or json array", "{msg}");
        assert_eq!(out.rejected()[0].src_line, msg);
    }
}

// doris-spec §5.1; BE new_json_reader: a top-level array without strip_outer_array.
#[test]
fn array_without_strip_outer_array() {
    let out = simple().run(&[r#"[{"a":1}]"#]);
    assert_eq!(out.counts(), (1, 0, 1, 0));
    assert_eq!(
        out.reason(),
        "JSON data is array-object, `strip_outer_array` must be TRUE."
    );
    assert_eq!(
        out.rejected()[0].error_log_line(),
        "Reason: JSON data is array-object, `strip_outer_array` must be TRUE.. src line [[{\"a\":1}]]; "
    );
}

// doris-spec §5.1; BE new_json_reader: a top-level object with strip_outer_array=true.
#[test]
fn object_with_strip_outer_array() {
    let out = simple()
        .prop("strip_outer_array", "true")
        .run(&[r#"{"a":1}"#]);
    assert_eq!(out.counts(), (1, 0, 1, 0));
    assert_eq!(
        out.reason(),
        "JSON data is not an array-object, `strip_outer_array` must be FALSE."
    );
}

// docs/doris/json-reader.md §2.2 (harness-verified): `[]` in simple mode → "Empty json line" with an
// empty src line; with jsonpaths it is skipped silently (`_judge_empty_row`).
#[test]
fn empty_outer_array() {
    let out = simple().prop("strip_outer_array", "true").run(&["[]"]);
    assert_eq!(out.counts(), (1, 0, 1, 0));
    assert_eq!(out.reason(), "Empty json line");
    assert_eq!(out.rejected()[0].src_line, "");

    let out = simple()
        .prop("strip_outer_array", "true")
        .prop("jsonpaths", r#"["$.a","$.b"]"#)
        .run(&["[]", " [ ] "]);
    assert_eq!(out.counts(), (0, 0, 0, 0));
    assert_eq!(out.batch.counts.messages, 2);
}

// docs/doris/json-reader.md §2.2 (harness, simdjson INCORRECT_TYPE): an array element that is not an
// object discards every row of the message and counts ONE filtered row; 4.x prints code 17
// with the `INCORRECT_TYPE: ` prefix, 2.1/3.0 (simdjson 3.0.1) code 16 without it.
#[test]
fn non_object_element_discards_message() {
    for (version, reason) in [
        (
            "4.0",
            "Parse json data failed. code: 17, error info: INCORRECT_TYPE: The JSON element does not have the requested type.",
        ),
        (
            "2.1",
            "Parse json data failed. code: 16, error info: The JSON element does not have the requested type.",
        ),
    ] {
        for msg in [
            r#"[{"a":1},2,{"a":3}]"#,
            "[1]",
            r#"[{"a":1},null]"#,
            r#"[{"a":1},[]]"#,
        ] {
            let out = simple()
                .version(version)
                .prop("strip_outer_array", "true")
                .run(&[msg, r#"[{"a":9}]"#]);
            assert_eq!(out.counts(), (2, 1, 1, 0), "{version} {msg}");
            assert_eq!(out.tsv(), lines(&["9\t7"]));
            assert_eq!(out.reason(), reason);
            assert_eq!(out.rejected()[0].src_line, msg);
            assert_eq!(out.rejected()[0].offset, 0);
        }
    }
}

// docs/doris/json-reader.md §2.4: element-level errors already counted for a message stay counted when
// a later element discards the message.
#[test]
fn element_errors_before_a_bad_element_stay_counted() {
    let out = simple()
        .prop("strip_outer_array", "true")
        .run(&[r#"[{"x":1},{"a":2},5]"#]);
    assert_eq!(out.counts(), (2, 0, 2, 0));
    assert!(out.reasons()[0].starts_with("There is no column matching jsonpaths"));
    assert!(out.reasons()[1].contains("INCORRECT_TYPE"));
    assert_identity(&out);
}

// docs/doris/json-reader.md §1.1/§2.2: an empty Kafka message is dropped by the consumer (no row, no
// error); a whitespace-only one reaches the reader: simdjson EMPTY (4.x code 13, 2.1 code 12).
#[test]
fn empty_and_whitespace_messages() {
    let out = simple().run(&["", "   ", "\n"]);
    assert_eq!(out.counts(), (2, 0, 2, 0));
    assert_eq!(out.batch.counts.messages, 3);
    assert_eq!(
        out.reasons(),
        vec!["Parse json data for JsonDoc failed. code: 13, error info: EMPTY: no JSON found"; 2]
    );
    assert_eq!(out.rejected()[0].offset, 1);
    let out = simple().version("2.1").run(&["  "]);
    assert_eq!(
        out.reason(),
        "Parse json data for JsonDoc failed. code: 12, error info: Empty: no JSON found"
    );
}

// docs/doris/json-reader.md §1.5 (`_simdjson_parse_json`): a UTF-8 BOM before the document is dropped,
// and also disappears from the src line; regression test_json_load case20 simple_json_bom.
#[test]
fn utf8_bom_is_dropped() {
    let out = simple().run_bytes(&[b"\xEF\xBB\xBF{\"a\":3}", b"\xEF\xBB\xBF7"]);
    assert_eq!(out.tsv(), lines(&["3\t7"]));
    assert_eq!(out.reason(), "Not an json object or json array");
    assert_eq!(out.rejected()[0].src_line, "7");
}

// docs/doris/json-reader.md §1.4 (harness, both simdjson versions): several documents in one message →
// the first is loaded, the rest silently ignored.
#[test]
fn several_documents_in_one_message_load_the_first() {
    for v in ["4.0", "2.1"] {
        let out = simple()
            .version(v)
            .run(&[r#"{"a":1}{"a":2}"#, "{\"a\":3}\n{\"a\":4}"]);
        assert_eq!(out.tsv(), lines(&["1\t7", "3\t7"]), "{v}");
        assert_eq!(out.counts(), (2, 2, 0, 0));
    }
    let out = simple()
        .prop("strip_outer_array", "true")
        .run(&[r#"[{"a":1}][{"a":2}]"#]);
    assert_eq!(out.tsv(), lines(&["1\t7"]));
}

// docs/doris/json-reader.md §1.4: simdjson 3.11.6 (4.x) refuses a message whose last byte does not
// close the first document (code 28); simdjson 3.0.1 (2.1/3.0) loads the first document.
#[test]
fn trailing_junk_after_the_document() {
    let out = simple().run(&[r#"{"a":1} x"#, r#"{"a":1}]"#]);
    assert_eq!(out.counts(), (2, 0, 2, 0));
    assert_eq!(
        out.reasons(),
        vec![
            "Parse json data failed. code: 28, error info: INCOMPLETE_ARRAY_OR_OBJECT: JSON document ended early in the middle of an object or array.";
            2
        ]
    );
    let out = simple()
        .version("2.1")
        .run(&[r#"{"a":1} x"#, r#"{"a":1}]"#]);
    assert_eq!(out.tsv(), lines(&["1\t7", "1\t7"]));
}

// docs/doris/json-reader.md §2.2 table: structure errors found while walking → TAPE_ERROR (code 3);
// truncated documents → INCOMPLETE_ARRAY_OR_OBJECT (28 / 27 in 2.1); a first byte that cannot
// start a value → the JsonDoc form of TAPE_ERROR.
#[test]
fn malformed_documents() {
    let tape = "Parse json data failed. code: 3, error info: TAPE_ERROR: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.";
    let out = simple().run(&[r#"{"a":1,"b":}"#, r#"{"a":1,}"#, "{'a':1}", r#"{"a":+1}"#]);
    assert_eq!(out.reasons(), vec![tape; 4]);
    let out = simple().run(&["{\"a\":1", "["]);
    assert_eq!(
        out.reasons(),
        vec![
            "Parse json data failed. code: 28, error info: INCOMPLETE_ARRAY_OR_OBJECT: JSON document ended early in the middle of an object or array.";
            2
        ]
    );
    let out = simple().version("3.0").run(&["{\"a\":1"]);
    assert_eq!(
        out.reason(),
        "Parse json data failed. code: 27, error info: JSON document ended early in the middle of an object or array."
    );
    let out = simple().run(&["x", "}"]);
    assert_eq!(
        out.reasons(),
        vec![
            "Parse json data for JsonDoc failed. code: 3, error info: TAPE_ERROR: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.";
            2
        ]
    );
}

// docs/doris/json-reader.md §2.2: stage-1 failures (bad UTF-8, raw control characters, unclosed strings)
// are detected for the whole message and reported with the JsonDoc prefix.
#[test]
fn stage_one_errors() {
    let out = simple().run_bytes(&[b"{\"a\":\"\xff\"}", b"{\"b\":\"x\ty\"}", b"{\"b\":\"abc}"]);
    assert_eq!(
        out.reasons(),
        vec![
            "Parse json data for JsonDoc failed. code: 11, error info: UTF8_ERROR: The input is not valid UTF-8",
            "Parse json data for JsonDoc failed. code: 14, error info: UNESCAPED_CHARS: Within strings, some characters must be escaped, we found unescaped characters",
            "Parse json data for JsonDoc failed. code: 15, error info: UNCLOSED_STRING: A string is opened, but never closed.",
        ]
    );
    // The whole message is the src line.
    assert_eq!(out.rejected()[2].src_line, "{\"b\":\"abc}");
}

// docs/doris/json-reader.md §2.2: a bad escape in a string → STRING_ERROR (code 5).
#[test]
fn bad_string_escape() {
    let out = simple().run(&[r#"{"b":"\q"}"#]);
    assert_eq!(
        out.reason(),
        "Parse json data failed. code: 5, error info: STRING_ERROR: Problem while parsing a string"
    );
}

// doris-spec §5.2; docs/doris/json-reader.md §4 (harness table, slots a,b; b DEFAULT '7'): keys match
// slot names exactly and case-sensitively; extra keys are ignored; a missing key takes the
// column DEFAULT; an explicit null is NULL (never the DEFAULT); booleans are 1/0.
#[test]
fn simple_mode_key_matching() {
    let out = simple().run(&[
        r#"{"a":1,"a":2}"#,
        r#"{"A":1,"b":2}"#,
        r#"{"a":5,"x":[1,2],"y":{"z":1}}"#,
        r#"{"a":null}"#,
        r#"{"a":true,"b":false}"#,
        r#"{"b":null}"#,
    ]);
    assert_eq!(
        out.tsv(),
        lines(&["1\t7", "\\N\t2", "5\t7", "\\N\t7", "1\t0", "\\N\t\\N"])
    );
    assert_eq!(out.counts(), (6, 6, 0, 0));
}

// docs/doris/json-reader.md §4 / §8.1, regression test_json_load "test colunms error": an object where
// no key matches any slot is filtered with the "no column matching" text (trailing `, `
// before `]`, nothing after the colon without jsonpaths); its src line is the object.
#[test]
fn no_key_matched() {
    let out = simple().run(&[r#"{"x":1}"#, "{}", r#"{"a":null}"#]);
    assert_eq!(out.counts(), (3, 1, 2, 0));
    assert_eq!(
        out.reasons(),
        vec![
            "There is no column matching jsonpaths in the json file, columns:[a, b, ], please check columns and jsonpaths:";
            2
        ]
    );
    assert_eq!(out.rejected()[0].src_line, r#"{"x":1}"#);
    assert_eq!(out.rejected()[1].src_line, "{}");
    // A key whose value is null counts as matched.
    assert_eq!(out.tsv(), lines(&["\\N\t7"]));
}

// docs/doris/json-reader.md §2.3 (Doris loads values of unused keys without validating them) vs the
// project decision: routinely validates the whole message, so such a message is rejected.
// UNVERIFIED-by-design difference, asserted so a change is deliberate.
#[test]
fn malformed_value_under_unused_key_is_rejected_whole() {
    let out = simple().run(&[r#"{"a":1,"x":tru}"#, r#"{"a":1,"x":[1,,2]}"#]);
    assert_eq!(out.counts(), (2, 0, 2, 0));
    assert!(
        out.reasons()
            .iter()
            .all(|r| r.starts_with("Parse json data"))
    );
}

// docs/doris/json-reader.md §7.1 / doris-spec §5.4: the text handed to the cast: strings unescaped (no
// quotes; `"\\N"` is the 2-char text `\N`, no NULL handling in JSON), numbers as written,
// booleans 1/0, objects and arrays as compact JSON (project decision: whitespace between
// tokens removed, tokens as written).
#[test]
fn json_values_as_text() {
    let out = Load::json(T_STR).run(&[
        r#"{"k":1,"v":"a\"b\u00e9\n"}"#,
        r#"{"k":2,"v":"\\N"}"#,
        r#"{"k":3,"v":""}"#,
        r#"{"k":4,"v":" x "}"#,
        r#"{"k":5,"v":1.50}"#,
        r#"{"k":6,"v":-0.0e+00}"#,
        r#"{"k":7,"v":12345678901234567890123}"#,
        r#"{"k":8,"v":true}"#,
        r#"{"k":9,"v":{ "x" : [1, 2 ], "y":"a b" }}"#,
        r#"{"k":10,"v":[ 1 , "a" ]}"#,
        r#"{"k":11,"v":null}"#,
    ]);
    assert_eq!(
        out.rows.iter().map(|r| r[1].clone()).collect::<Vec<_>>(),
        vec![
            Some("a\"bé\n".to_string()),
            Some("\\N".into()),
            Some("".into()),
            Some(" x ".into()),
            Some("1.50".into()),
            Some("-0.0e+00".into()),
            Some("12345678901234567890123".into()),
            Some("1".into()),
            Some(r#"{"x":[1,2],"y":"a b"}"#.into()),
            Some(r#"[1,"a"]"#.into()),
            None,
        ]
    );
}

// regression load_p0/stream_load/test_json_load "boolean → tinyint,int,string,decimal": JSON
// true/false reach the cast as 1/0.
#[test]
fn json_booleans_into_numbers_and_strings() {
    let out = Load::json(
        "CREATE TABLE t (k TINYINT, i INT, s STRING, d DECIMAL(10,2), b BOOLEAN) \
         DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    )
    .run(&[
        r#"{"k":true,"i":true,"s":true,"d":true,"b":true}"#,
        r#"{"k":false,"i":false,"s":false,"d":false,"b":false}"#,
    ]);
    assert_eq!(out.tsv(), lines(&["1\t1\t1\t1.00\t1", "0\t0\t0\t0.00\t0"]));
}

// docs/doris/json-reader.md §6 and §4: num_as_string and fuzzy_parse are accepted but are no-ops in the
// simdjson reader (numbers always reach the cast as written; keys always match per object).
#[test]
fn num_as_string_and_fuzzy_parse_are_no_ops() {
    let ddl = "CREATE TABLE t (k INT, s STRING, d DECIMAL(38,12), f DOUBLE) DUPLICATE KEY(k) \
               DISTRIBUTED BY HASH(k) BUCKETS 1";
    let msg = r#"[{"k":1,"s":1.50,"d":12345678912345678912345678.123456789876,"f":1e3},
                  {"f":2.5,"d":1,"s":"x","k":2}]"#;
    let base = Load::json(ddl).prop("strip_outer_array", "true");
    let plain = base.run(&[msg]);
    assert_eq!(
        plain.tsv(),
        lines(&[
            "1\t1.50\t12345678912345678912345678.123456789876\t1000",
            "2\tx\t1.000000000000\t2.5",
        ])
    );
    for (k, v) in [("num_as_string", "true"), ("fuzzy_parse", "true")] {
        let out = base.clone().prop(k, v).run(&[msg]);
        assert_eq!(out.tsv(), plain.tsv(), "{k}");
    }
    let both = base
        .prop("num_as_string", "true")
        .prop("fuzzy_parse", "true")
        .run(&[msg]);
    assert_eq!(both.tsv(), plain.tsv());
}

// docs/doris/json-reader.md §1.2/§2.4: messages are separate documents; counts add up across them and
// each rejected row carries its message's partition and offset.
#[test]
fn rejected_rows_carry_partition_and_offset() {
    let out = simple().run_at(&[
        (3, 100, br#"{"a":1}"#),
        (3, 101, b"oops"),
        (7, 5, br#"{"a":"x"}"#),
        (7, 6, b"[1]"),
    ]);
    assert_eq!(out.counts(), (4, 2, 2, 0));
    let r = out.rejected();
    assert_eq!((r[0].partition, r[0].offset), (3, 101));
    assert_eq!((r[1].partition, r[1].offset), (7, 6));
    assert_eq!(
        r[1].reason,
        "JSON data is array-object, `strip_outer_array` must be TRUE."
    );
    assert_eq!(out.tsv(), lines(&["1\t7", "\\N\t7"]));
    assert_eq!(out.batch.counts.messages, 4);
    assert_eq!(out.batch.counts.bytes, 7 + 4 + 9 + 3);
    assert_identity(&out);
}

// doris-spec §5.2 / docs/doris/json-reader.md §4: each element of an outer array is matched on its own
// (different key sets and orders in one message).
#[test]
fn elements_match_independently() {
    let out = simple()
        .prop("strip_outer_array", "true")
        .run(&[r#"[{"b":"x","a":1},{"a":2},{"b":"y"},{"zz":0}]"#]);
    assert_eq!(out.tsv(), lines(&["1\tx", "2\t7", "\\N\ty"]));
    assert_eq!(out.counts(), (4, 3, 1, 0));
    // The src line of an element-level error is that element's text.
    assert_eq!(out.rejected()[0].src_line, r#"{"zz":0}"#);
}

// docs/doris/json-reader.md §4: keys are unescaped before matching (`{"\u0061":1}` matches `a`).
#[test]
fn escaped_keys_match() {
    let out = simple().run(&[r#"{"\u0061":4}"#]);
    assert_eq!(out.tsv(), lines(&["4\t7"]));
}

// docs/doris/conversion.md §3 table: JSON numbers into INT/DOUBLE/BOOLEAN: `1.50` → INT 1, BOOLEAN NULL,
// DOUBLE 1.5; `1e3` → INT NULL, DOUBLE 1000; `"12"` → 12; `-0.5` → 0.
#[test]
fn json_numbers_into_numeric_columns() {
    let out = Load::json(
        "CREATE TABLE t (i INT, d DOUBLE, b BOOLEAN) DUPLICATE KEY(i) \
         DISTRIBUTED BY HASH(i) BUCKETS 1",
    )
    .run(&[
        r#"{"i":1.50,"d":1.50,"b":1.50}"#,
        r#"{"i":1e3,"d":1e3,"b":1e3}"#,
        r#"{"i":"12","d":"12","b":"12"}"#,
        r#"{"i":-0.5,"d":-0.5,"b":0}"#,
    ]);
    assert_eq!(
        out.tsv(),
        lines(&["1\t1.5\t\\N", "\\N\t1000\t\\N", "12\t12\t\\N", "0\t-0.5\t0"])
    );
}

// docs/doris/json-reader.md §1.4 table: `{"a":1}}` and `{"a":1}, {"a":2}` (JS-22's line shape) load the
// first document in both simdjson versions (the last byte closes it); `[{"a":1}] x` with
// strip_outer_array is refused by 4.x only.
#[test]
fn more_trailing_content_cases() {
    for v in ["4.0", "2.1"] {
        let out = simple()
            .version(v)
            .run(&[r#"{"a":1}}"#, r#"{"a":2}, {"a":3}"#]);
        assert_eq!(out.tsv(), lines(&["1\t7", "2\t7"]), "{v}");
    }
    let strip = simple().prop("strip_outer_array", "true");
    let out = strip.run(&[r#"[{"a":1}] x"#]);
    assert_eq!(
        out.reason(),
        "Parse json data failed. code: 28, error info: INCOMPLETE_ARRAY_OR_OBJECT: JSON document ended early in the middle of an object or array."
    );
    let out = strip.version("3.0").run(&[r#"[{"a":1}] x"#]);
    assert_eq!(out.tsv(), lines(&["1\t7"]));
}

// docs/doris/json-reader.md §2.2: stage-1 errors are found anywhere in the message, so a first document
// followed by an unclosed string is refused (regression test_json_load select10, where
// `{"no" : 1, "item" : {"id" : 1921}}"}` does not load).
#[test]
fn stage_one_errors_after_the_first_document() {
    let out = simple().run(&[r#"{"a":1}"}"#, "{\"a\":1}\"\u{1}\""]);
    assert_eq!(out.counts(), (2, 0, 2, 0));
    assert_eq!(
        out.reasons(),
        vec![
            "Parse json data for JsonDoc failed. code: 15, error info: UNCLOSED_STRING: A string is opened, but never closed.",
            "Parse json data for JsonDoc failed. code: 14, error info: UNESCAPED_CHARS: Within strings, some characters must be escaped, we found unescaped characters",
        ]
    );
}

// docs/doris/json-reader.md §6 (simdjson hands the raw token to the cast) and regression
// test_stream_load_cast CA-05 JSON: numbers beyond the double range are valid JSON and reach
// the cast as written (`1.79769e+309` → DOUBLE Infinity in 4.x, NULL in 2.1; STRING keeps it).
#[test]
fn numbers_beyond_double_range() {
    let ddl = "CREATE TABLE t (k INT, d DOUBLE, s STRING, n DECIMAL(10,2)) DUPLICATE KEY(k) \
               DISTRIBUTED BY HASH(k) BUCKETS 1";
    let msg = r#"{"k":1,"d":1.79769e+309,"s":-2e999,"n":1e-400}"#;
    let out = Load::json(ddl).run(&[msg]);
    assert_eq!(out.tsv(), lines(&["1\tInfinity\t-2e999\t0.00"]));
    let out = Load::json(ddl).version("2.1").run(&[msg]);
    assert_eq!(out.tsv(), lines(&["1\t\\N\t-2e999\t0.00"]));
}

// docs/doris/conversion.md §3 / doris-spec §6.1: strict mode over JSON values: `1e3` into INT and `"abc"`
// into a JSON column are failed conversions of non-NULL sources → filtered.
#[test]
fn strict_mode_over_json_values() {
    let ddl = "CREATE TABLE t (k INT, j JSON) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1";
    let out = Load::json(ddl).strict().run(&[
        r#"{"k":1e3,"j":{}}"#,
        r#"{"k":1,"j":"abc"}"#,
        r#"{"k":2,"j":"[1, 2]"}"#,
    ]);
    assert_eq!(out.tsv(), lines(&["2\t[1,2]"]));
    assert_eq!(
        out.reasons(),
        vec![
            "column(k) value is incorrect while strict mode is true, src value is 1e3",
            "column(j) value is incorrect while strict mode is true, src value is abc",
        ]
    );
}

// docs/doris/conversion.md §3 + §5.10-§5.12: JSON arrays and objects reach nested columns as text: ARRAY
// elements converted one by one (a bad one → null), MAP from an object, STRUCT from an object
// whose keys are in schema order (reordered → NULL).
#[test]
fn nested_columns_from_json_values() {
    let out = Load::json(
        "CREATE TABLE t (k INT, a ARRAY<INT>, m MAP<STRING,INT>, s STRUCT<x:INT,y:STRING>) \
         DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    )
    .run(&[
        r#"{"k":1,"a":[1, "x", null],"m":{"a": 1, "b": 2},"s":{"x": 1, "y": "q"}}"#,
        r#"{"k":2,"a":"[3,4]","m":{},"s":{"y": "q", "x": 1}}"#,
    ]);
    assert_eq!(
        out.tsv(),
        lines(&[
            "1\t[1, null, null]\t{\"a\":1, \"b\":2}\t{\"x\":1, \"y\":\"q\"}",
            "2\t[3, 4]\t{}\t\\N",
        ])
    );
}

// docs/doris/json-reader.md §1.5 / §3.5: `$.` gives the message without its BOM.
#[test]
fn dollar_dot_drops_the_bom() {
    let out = Load::json(
        "CREATE TABLE t (k INT, doc STRING) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    )
    .prop("jsonpaths", r#"["$.k","$."]"#)
    .run_bytes(&[b"\xEF\xBB\xBF{\"k\":3}"]);
    assert_eq!(out.tsv(), lines(&["3\t{\"k\":3}"]));
}

// docs/doris/json-reader.md §6 (raw number tokens, harness `12345678901234567890123`) and docs/doris/conversion.md
// §5.1: integers of every size reach the cast as written, so LARGEINT keeps all 39 digits,
// BIGINT takes its minimum, `-0` is 0, and one past a type's range is NULL.
#[test]
fn integer_tokens_of_every_size() {
    let out = Load::json(
        "CREATE TABLE t (k INT, b BIGINT, l LARGEINT, u LARGEINT) DUPLICATE KEY(k) \
         DISTRIBUTED BY HASH(k) BUCKETS 1",
    )
    .run(&[
        r#"{"k":-0,"b":-9223372036854775808,"l":170141183460469231731687303715884105727,"u":18446744073709551615}"#,
        r#"{"k":2147483648,"b":9223372036854775808,"l":170141183460469231731687303715884105728,"u":-170141183460469231731687303715884105728}"#,
    ]);
    assert_eq!(
        out.tsv(),
        lines(&[
            "0\t-9223372036854775808\t170141183460469231731687303715884105727\t18446744073709551615",
            "\\N\t\\N\t\\N\t-170141183460469231731687303715884105728",
        ])
    );
}

// doris-spec §1.1 / docs/doris/json-reader.md §4: a COLUMNS name that is not a table column is a
// temporary slot matched by JSON key like any other; mappings read it as VARCHAR.
#[test]
fn temporary_columns_from_json_keys() {
    let out = Load::json(
        "CREATE TABLE t (k INT, v BIGINT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    )
    .clause("COLUMNS(k, raw_v, v = raw_v * 2)")
    .run(&[r#"{"k":1,"raw_v":"21"}"#, r#"{"k":2,"v":5}"#]);
    assert_eq!(out.tsv(), lines(&["1\t42", "2\t\\N"]));
}
