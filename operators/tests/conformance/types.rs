//! Text → each Doris type under a load (doris-spec §5.5; docs/doris/conversion.md §5, §7, §8).

use crate::{Load, lines};

/// How one input ended: the stored value as the MySQL client prints it (`\N` for NULL), or
/// `filtered: <reason>`.
fn conv_with(ty: &str, inputs: &[&str], version: &str, strict: bool, tz: &str) -> Vec<String> {
    let ddl =
        format!("CREATE TABLE t (k INT, v {ty}) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1");
    let mut load = Load::csv(&ddl)
        .clause("COLUMNS TERMINATED BY \"|\"")
        .version(version)
        .prop("timezone", tz);
    if strict {
        load = load.strict();
    }
    let msgs: Vec<String> = inputs
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{i}|{v}"))
        .collect();
    let refs: Vec<&str> = msgs.iter().map(String::as_str).collect();
    let out = load.run(&refs);
    let mut result = vec![String::new(); inputs.len()];
    for row in &out.rows {
        let k: usize = row[0].as_deref().unwrap().parse().unwrap();
        result[k] = row[1].clone().unwrap_or_else(|| "\\N".into());
    }
    for r in out.rejected() {
        result[r.offset as usize] = format!("filtered: {}", r.reason);
    }
    result
}

fn conv(ty: &str, inputs: &[&str], version: &str) -> Vec<String> {
    conv_with(ty, inputs, version, false, "Asia/Shanghai")
}

fn check(ty: &str, version: &str, cases: &[(&str, &str)]) {
    let inputs: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let got = conv(ty, &inputs, version);
    for ((input, want), got) in cases.iter().zip(&got) {
        assert_eq!(got, want, "{ty} {version} input {input:?}");
    }
}

// docs/doris/conversion.md §5.2 (4.x StringParser::string_to_bool): trimmed, case-insensitive
// 1 0 t f true false yes no on off; anything else NULL. Printed 1 / 0.
#[test]
fn boolean_4x() {
    check(
        "BOOLEAN",
        "4.0",
        &[
            ("1", "1"),
            ("t", "1"),
            ("T", "1"),
            ("TRUE", "1"),
            (" yes ", "1"),
            ("On", "1"),
            ("0", "0"),
            ("f", "0"),
            ("false", "0"),
            ("no", "0"),
            ("OFF", "0"),
            ("2", "\\N"),
            ("-1", "\\N"),
            ("1.0", "\\N"),
            ("1.1", "\\N"),
            ("y", "\\N"),
            ("", "\\N"),
            ("truee", "\\N"),
        ],
    );
}

// docs/doris/conversion.md §5.2 VERSION 2.1/3.0 (SP2 string_to_bool + try_read_bool_text): true/false
// case-insensitive, integers 0/1; `1.1` → true in non-strict mode; yes/no/on/off/t/f NULL.
#[test]
fn boolean_21() {
    check(
        "BOOLEAN",
        "2.1",
        &[
            ("TRUE", "1"),
            ("False", "0"),
            ("1", "1"),
            ("0", "0"),
            ("1.1", "1"),
            ("2", "\\N"),
            ("yes", "\\N"),
            ("on", "\\N"),
            ("t", "\\N"),
        ],
    );
}

// docs/doris/conversion.md §5.1 table (4.x string_to_int<T,false>): sign, whitespace, leading zeros, a
// dropped fraction (truncation toward zero); no exponent / hex / separators; overflow NULL.
#[test]
fn int_4x() {
    check(
        "INT",
        "4.0",
        &[
            ("123", "123"),
            ("+123", "123"),
            ("  123  ", "123"),
            ("\t123\x0b", "123"),
            ("-0", "0"),
            ("007", "7"),
            ("3.12", "3"),
            ("3.", "3"),
            ("3.99", "3"),
            ("-3.99", "-3"),
            (".5", "\\N"),
            ("+", "\\N"),
            ("-", "\\N"),
            ("   ", "\\N"),
            ("1e3", "\\N"),
            ("0x1F", "\\N"),
            ("1,000", "\\N"),
            ("12 34", "\\N"),
            ("3.1.2", "\\N"),
            ("3.5abc", "\\N"),
            ("true", "\\N"),
            ("2147483647", "2147483647"),
            ("-2147483648", "-2147483648"),
            ("2147483648", "\\N"),
        ],
    );
}

// docs/doris/conversion.md §5.1: range checks per integer width; LARGEINT takes 39 digits.
#[test]
fn integer_widths() {
    check(
        "TINYINT",
        "4.0",
        &[
            ("127", "127"),
            ("128", "\\N"),
            ("128.0", "\\N"),
            ("127.9", "127"),
            ("-128", "-128"),
        ],
    );
    check("SMALLINT", "4.0", &[("32767", "32767"), ("32768", "\\N")]);
    check(
        "BIGINT",
        "4.0",
        &[
            ("9223372036854775807", "9223372036854775807"),
            ("9223372036854775808", "\\N"),
        ],
    );
    check(
        "LARGEINT",
        "4.0",
        &[
            (
                "170141183460469231731687303715884105727",
                "170141183460469231731687303715884105727",
            ),
            (
                "-170141183460469231731687303715884105728",
                "-170141183460469231731687303715884105728",
            ),
            ("170141183460469231731687303715884105728", "\\N"),
            ("2e+128", "\\N"),
        ],
    );
}

// docs/doris/conversion.md §5.3 (4.x string_to_float + fast_float): decimal / exponent / inf / nan
// forms, one leading `+`; overflow ±Infinity (4.x) vs NULL (2.1/3.0); FLOAT narrows a double
// (`1e39` → Infinity). Printing: FLOAT 7, DOUBLE 16 significant digits (docs/doris/conversion.md §8).
#[test]
fn float_and_double() {
    check(
        "DOUBLE",
        "4.0",
        &[
            ("123", "123"),
            ("-1.5", "-1.5"),
            ("1.", "1"),
            (".5", "0.5"),
            ("1e3", "1000"),
            ("1E-3", "0.001"),
            ("+1.234e+5", "123400"),
            ("1e400", "Infinity"),
            ("-1e400", "-Infinity"),
            ("1e-400", "0"),
            ("-Infinity", "-Infinity"),
            ("nan", "NaN"),
            ("++1", "\\N"),
            ("1,5", "\\N"),
            ("abc", "\\N"),
            ("1e", "\\N"),
            ("0x10", "\\N"),
        ],
    );
    check(
        "FLOAT",
        "4.0",
        &[
            ("1e39", "Infinity"),
            ("0.1", "0.1"),
            ("3.40282e+39", "Infinity"),
        ],
    );
    check(
        "DOUBLE",
        "2.1",
        &[("1e400", "\\N"), ("inf", "Infinity"), ("1.5", "1.5")],
    );
    check("FLOAT", "2.1", &[("1e39", "\\N")]);
}

// docs/doris/conversion.md §5.4 (4.x string_to_decimal): rounding half away from zero on the first
// dropped digit, exponents, whitespace; integer overflow (also by rounding) → NULL in 4.x.
#[test]
fn decimal_4x() {
    check(
        "DECIMAL(5,2)",
        "4.0",
        &[
            ("1.5", "1.50"),
            ("1.005", "1.01"),
            ("1.0049", "1.00"),
            ("-1.005", "-1.01"),
            ("999.994", "999.99"),
            ("999.995", "\\N"),
            ("1000", "\\N"),
            ("1.2e2", "120.00"),
            ("0.00012e4", "1.20"),
            (" +12.3 ", "12.30"),
            ("12.3.4", "\\N"),
            ("1,5", "\\N"),
            ("abc", "\\N"),
            ("", "\\N"),
            (".", "\\N"),
        ],
    );
    check(
        "DECIMAL(1,0)",
        "4.0",
        &[("0.5", "1"), ("1.5", "2"), ("10", "\\N")],
    );
}

// docs/doris/conversion.md §5.4 VERSION 2.1/3.0 (PR apache/doris#23602, FC2 treats PARSE_OVERFLOW as
// parsed): integer-part overflow saturates to the type's extreme and loads, even strictly.
#[test]
fn decimal_21_saturates() {
    check(
        "DECIMAL(5,2)",
        "2.1",
        &[("1000", "999.99"), ("-1000", "-999.99"), ("1.005", "1.01")],
    );
    let got = conv_with("DECIMAL(1,0)", &["10"], "2.1", true, "UTC");
    assert_eq!(got, vec!["9"]);
}

// docs/doris/conversion.md §5.5 (4.x CastToDateV2): compact and 2-digit-year forms, any separator, the
// time part validated then dropped, a zone suffix NOT applied, 2-digit year pivot 70, invalid
// calendar dates NULL.
#[test]
fn date_4x() {
    check(
        "DATE",
        "4.0",
        &[
            ("2024-04-02", "2024-04-02"),
            ("20240402", "2024-04-02"),
            ("240402", "2024-04-02"),
            ("24-4-2", "2024-04-02"),
            ("2024/04/02", "2024-04-02"),
            ("2024-4-2", "2024-04-02"),
            ("2024-04-02 23:59:59.9999", "2024-04-02"),
            ("2024-04-02T23:00:00-05:00", "2024-04-02"),
            ("2020-12-12 13:12:12-03:00", "2020-12-12"),
            ("69-01-01", "2069-01-01"),
            ("70-01-01", "1970-01-01"),
            ("2025-02-30", "\\N"),
            ("2024-14-2", "\\N"),
            ("2024-4-222", "\\N"),
            ("0000-00-00", "\\N"),
            ("abc", "\\N"),
        ],
    );
}

// docs/doris/conversion.md §5.6 examples (4.x CastToDatetimeV2, load timezone Asia/Shanghai,
// DATETIME(3)): strict grammar then non-strict grammar, rounding on the next digit with carry,
// zone suffixes converted into the load zone (CST = +08:00), invalid zones / times NULL,
// leading whitespace NULL when the time is incomplete.
#[test]
fn datetime_4x() {
    check(
        "DATETIME(3)",
        "4.0",
        &[
            ("2024-04-02 17:00:00", "2024-04-02 17:00:00.000"),
            ("2024-04-02T17:00:00.1234", "2024-04-02 17:00:00.123"),
            ("2024-04-02 17:00:00.1235", "2024-04-02 17:00:00.124"),
            ("2024-04-02 17:00:00.9995", "2024-04-02 17:00:01.000"),
            ("2024-04-02", "2024-04-02 00:00:00.000"),
            ("20240402", "2024-04-02 00:00:00.000"),
            ("240402", "2024-04-02 00:00:00.000"),
            ("2024/04/02", "2024-04-02 00:00:00.000"),
            ("20240402170000", "2024-04-02 17:00:00.000"),
            ("20240402 170000", "2024-04-02 17:00:00.000"),
            ("2024-04-02T1700", "2024-04-02 17:00:00.000"),
            ("2024-4-2 7:5:3", "2024-04-02 07:05:03.000"),
            ("2024.04.02 17.00.00", "2024-04-02 17:00:00.000"),
            ("2024-04-02 17:00", "2024-04-02 17:00:00.000"),
            ("  2024-04-02 17:00", "\\N"),
            ("2024-04-02T09:00:00Z", "2024-04-02 17:00:00.000"),
            ("2024-04-02 09:00:00 +00:00", "2024-04-02 17:00:00.000"),
            ("2024-04-02 09:00:00UTC", "2024-04-02 17:00:00.000"),
            ("2024-04-02 17:00:00+08:00", "2024-04-02 17:00:00.000"),
            ("2024-04-02 17:00:00+0800", "2024-04-02 17:00:00.000"),
            ("2024-04-02 17:00:00+08", "2024-04-02 17:00:00.000"),
            ("2024-04-02 17:00:00+8", "2024-04-02 17:00:00.000"),
            ("2024-04-02 17:00:00 CST", "2024-04-02 17:00:00.000"),
            (
                "2024-04-02 12:00:00 America/New_York",
                "2024-04-03 00:00:00.000",
            ),
            ("2024-04-02 17:00:00+08:15", "\\N"),
            ("2024-04-02 17:00:00+15", "\\N"),
            ("2024-04-02 17:00:00 XYZ", "\\N"),
            ("2025-02-30", "\\N"),
            ("2024-04-02 24:00:00", "\\N"),
            ("2024-04-02 12:60:00", "\\N"),
            ("2024-04-02 23:59:60", "\\N"),
            ("10000-01-01", "\\N"),
            ("12121", "\\N"),
            ("9999-12-31 23:59:59.9999", "\\N"),
        ],
    );
}

// docs/doris/conversion.md §5.6: DATETIME(0) drops the fraction with rounding; the job's timezone is the
// target of zone conversion (doris-spec §1.2 `timezone`).
#[test]
fn datetime_zone_follows_the_job_timezone() {
    let inputs = [
        "2024-04-02T09:00:00Z",
        "2024-04-02 09:00:00",
        "2024-04-02 09:00:00.5",
    ];
    assert_eq!(
        conv_with("DATETIME", &inputs, "4.0", false, "UTC"),
        lines(&[
            "2024-04-02 09:00:00",
            "2024-04-02 09:00:00",
            "2024-04-02 09:00:01"
        ])
    );
    assert_eq!(
        conv_with("DATETIME", &inputs, "4.0", false, "America/New_York"),
        lines(&[
            "2024-04-02 05:00:00",
            "2024-04-02 09:00:00",
            "2024-04-02 09:00:01"
        ])
    );
    assert_eq!(
        conv_with(
            "DATETIME(6)",
            &["2024-04-02 09:00:00.1234567"],
            "4.0",
            false,
            "UTC"
        ),
        lines(&["2024-04-02 09:00:00.123457"])
    );
}

// docs/doris/conversion.md §5.6 VERSION 2.1/3.0 (DateV2Value::from_date_str_base): MySQL-lenient; the
// zone offset is taken at 1970-01-01 (cctz::civil_second{}), so Europe/London is +01:00 all
// year (SURPRISE), while 4.x is DST-correct.
#[test]
fn datetime_21_zone_offsets_from_1970() {
    let input = ["2024-01-15 12:00:00 Europe/London"];
    assert_eq!(
        conv_with("DATETIME", &input, "2.1", false, "UTC"),
        lines(&["2024-01-15 11:00:00"])
    );
    assert_eq!(
        conv_with("DATETIME", &input, "4.0", false, "UTC"),
        lines(&["2024-01-15 12:00:00"])
    );
    check(
        "DATETIME",
        "2.1",
        &[
            ("20240402T170000", "2024-04-02 17:00:00"),
            ("2404021700", "2024-04-02 17:00:00"),
            ("2024-04-02 17:00:00+08:00", "2024-04-02 17:00:00"),
            ("2025-02-30", "\\N"),
        ],
    );
}

// docs/doris/conversion.md §5.7 and regression test_stream_load_strict_mode_and_filter_ratio SM-06 /
// test_utf8_varchar_truncation SM-07: lengths are bytes; 4.x non-strict truncates on a UTF-8
// boundary; 4.x strict and 2.1/3.0 always filter, with the sink's message.
#[test]
fn char_and_varchar_lengths() {
    assert_eq!(
        conv("CHAR(10)", &["a1234567890", "a123456789"], "4.0"),
        lines(&["a123456789", "a123456789"])
    );
    assert_eq!(
        conv("VARCHAR(10)", &["正常数据", "中1234567890"], "4.0"),
        lines(&["正常数", "中1234567"])
    );
    let strict = conv_with("VARCHAR(3)", &["abcd", "abc", "中"], "4.0", true, "UTC");
    assert_eq!(
        strict,
        lines(&[
            "filtered: column_name[v], the length of input is too long than schema. first 32 bytes of input str: [abcd] schema length: 3; actual length: 4;",
            "abc",
            "中",
        ])
    );
    let v21 = conv("VARCHAR(3)", &["abcd", "中文"], "2.1");
    assert_eq!(
        v21,
        lines(&[
            "filtered: column_name[v], the length of input is too long than schema. first 32 bytes of input str: [abcd] schema length: 3; actual length: 4;",
            "filtered: column_name[v], the length of input is too long than schema. first 32 bytes of input str: [中文] schema length: 3; actual length: 6;",
        ])
    );
}

// docs/doris/conversion.md §5.7: STRING's soft limit (string_type_length_soft_limit_bytes = 1 MiB)
// filters in every mode and version.
#[test]
fn string_soft_limit() {
    let big = "x".repeat(1_048_577);
    let ok = "y".repeat(1_048_576);
    let got = conv("STRING", &[&big, &ok], "4.0");
    assert!(got[0].starts_with("filtered: "), "{}", &got[0][..60]);
    assert!(got[0].contains("actual length: 1048577"));
    assert_eq!(got[1].len(), 1_048_576);
}

// regression load_p0/stream_load/load_jsonb.out (JS-27) and docs/doris/conversion.md §5.8: text into a
// JSON column is parsed as JSON; scalars are documents (`null` is the JSON null, distinct from
// SQL NULL); printing is JSONB's compact form; invalid text → NULL.
#[test]
fn json_column_from_text() {
    check(
        "JSON",
        "4.0",
        &[
            ("\\N", "\\N"),
            ("null", "null"),
            ("true", "true"),
            ("false", "false"),
            ("100", "100"),
            ("10000", "10000"),
            ("1000000000", "1000000000"),
            ("1152921504606846976", "1152921504606846976"),
            ("6.18", "6.18"),
            ("\"abcd\"", "\"abcd\""),
            ("{}", "{}"),
            (
                "{\"k1\":\"v31\", \"k2\": 300}",
                "{\"k1\":\"v31\",\"k2\":300}",
            ),
            ("[]", "[]"),
            ("[123, 456]", "[123,456]"),
            ("[\"abc\", \"def\"]", "[\"abc\",\"def\"]"),
            (
                "[null, true, false, 100, 6.18, \"abc\"]",
                "[null,true,false,100,6.18,\"abc\"]",
            ),
            (
                "[{\"k1\":\"v41\", \"k2\": 400}, 1, \"a\", 3.14]",
                "[{\"k1\":\"v41\",\"k2\":400},1,\"a\",3.14]",
            ),
            ("abc", "\\N"),
            ("", "\\N"),
            ("{\"a\":", "\\N"),
        ],
    );
}

// docs/doris/conversion.md §3 table / docs/doris/json-reader.md §7.2 (JsonbParseErrorToNull over the reader's
// text): from a JSON message, a JSON string holding JSON text is parsed; `"abc"` → NULL;
// `true` → the number 1; objects print compact (regression test_json_load with_jsonb JS-14).
#[test]
fn json_column_from_json_messages() {
    let out = Load::json(
        "CREATE TABLE t (name VARCHAR(29) NOT NULL, age INT, city VARCHAR(29), contact JSON) \
         DUPLICATE KEY(name) DISTRIBUTED BY HASH(name) BUCKETS 1",
    )
    .run(&[
        r#"{ "name": "John", "age": 30, "city": "New York", "contact": "{ \"email\": \"john@example.com\", \"phone\": \"+1-123-456-7890\" }" }"#,
        r#"{"name":"a","contact":"abc"}"#,
        r#"{"name":"b","contact":true}"#,
        r#"{"name":"c","contact":{"x": [1, 2], "y": null}}"#,
        r#"{"name":"d","contact":null}"#,
        r#"{"name":"e","contact":"12"}"#,
    ]);
    assert_eq!(
        out.tsv(),
        lines(&[
            "John\t30\tNew York\t{\"email\":\"john@example.com\",\"phone\":\"+1-123-456-7890\"}",
            "a\t\\N\t\\N\t\\N",
            "b\t\\N\t\\N\t1",
            "c\t\\N\t\\N\t{\"x\":[1,2],\"y\":null}",
            "d\t\\N\t\\N\t\\N",
            "e\t\\N\t\\N\t12",
        ])
    );
}

// docs/doris/conversion.md §5.10 (4.x array-conversion non-strict): `[`...`]` exactly, elements trimmed
// and unquoted, `null` → NULL element, element failures → NULL elements (container kept), a
// malformed container → NULL; `[,,]` → three NULLs (4.0). Printing `[1, 2]`, strings quoted.
#[test]
fn arrays() {
    check(
        "ARRAY<INT>",
        "4.0",
        &[
            ("[1, 2]", "[1, 2]"),
            ("[]", "[]"),
            ("[\"x\", 1]", "[null, 1]"),
            ("[1, null, 3]", "[1, null, 3]"),
            ("[,,]", "[null, null, null]"),
            ("  []", "\\N"),
            ("1, 2", "\\N"),
            ("[1, 2", "\\N"),
        ],
    );
    check(
        "ARRAY<STRING>",
        "4.0",
        &[
            ("['G', 'G']", "[\"G\", \"G\"]"),
            ("[\"a\",\"b\"]", "[\"a\", \"b\"]"),
        ],
    );
    check(
        "ARRAY<ARRAY<INT>>",
        "4.0",
        &[("[[1],[2, 3]]", "[[1], [2, 3]]")],
    );
    check(
        "ARRAY<BOOLEAN>",
        "4.0",
        &[("[1, 0, true]", "[true, false, true]")],
    );
}

// docs/doris/conversion.md §2 SURPRISE: only the top-level value is strict-checked, so an element
// failure never filters a row even with strict_mode=true; a malformed container does.
#[test]
fn container_elements_are_not_strict_checked() {
    let got = conv_with(
        "ARRAY<INT>",
        &["[\"x\", 1]", "not an array"],
        "4.0",
        true,
        "UTC",
    );
    assert_eq!(got[0], "[null, 1]");
    assert_eq!(
        got[1],
        "filtered: column(v) value is incorrect while strict mode is true, src value is not an array"
    );
}

// docs/doris/conversion.md §5.11 (map-conversion): `{k:v, ...}` with quoted or bare keys/values; printed
// `{"a":1, "b":2}`; malformed → NULL; a bad value → NULL value.
#[test]
fn maps() {
    check(
        "MAP<STRING,INT>",
        "4.0",
        &[
            ("{\"a\": 1, \"b\": 2}", "{\"a\":1, \"b\":2}"),
            ("{}", "{}"),
            ("{\"a\": \"x\"}", "{\"a\":null}"),
            ("{\"a\" 1}", "\\N"),
        ],
    );
}

// docs/doris/conversion.md §5.12 (struct-conversion): names must match the fields in count AND order
// (SURPRISE: not matched by name); bare values allowed; a bad field value → NULL field.
#[test]
fn structs() {
    check(
        "STRUCT<a:INT,b:DOUBLE>",
        "4.0",
        &[
            ("{\"a\":1,\"b\":3.14}", "{\"a\":1, \"b\":3.14}"),
            ("{1,3.14}", "{\"a\":1, \"b\":3.14}"),
            ("{\"b\":1,\"a\":1}", "\\N"),
            ("{\"a\":1}", "\\N"),
            ("{\"a\":\"x\",\"b\":1}", "{\"a\":null, \"b\":1}"),
        ],
    );
}

// docs/doris/conversion.md §5.13 (ip-conversion): IPv4 dotted quads with 1-3 digit octets (leading zeros
// allowed), whitespace trimmed; IPv6 standard / compressed / IPv4-mapped, printed RFC 5952
// style; 4.0 rejects `1:1:::1`.
#[test]
fn ip_addresses() {
    check(
        "IPV4",
        "4.0",
        &[
            ("192.168.1.1", "192.168.1.1"),
            ("192.168.01.1", "192.168.1.1"),
            (" 10.0.0.1 ", "10.0.0.1"),
            ("1.2.3", "\\N"),
            ("256.0.0.1", "\\N"),
            ("1.2.+3.4", "\\N"),
        ],
    );
    check(
        "IPV6",
        "4.0",
        &[
            ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::", "::"),
            ("1:0:0:1:0:0:0:1", "1:0:0:1::1"),
            ("1:1:::1", "\\N"),
            ("1.2.3.4", "\\N"),
        ],
    );
}

// docs/doris/conversion.md §5.9 / regression test_json_load select30 (JS-19): a VARIANT column takes JSON
// text and prints it compactly; a JSON string `"33333"` arrives as the text 33333.
#[test]
fn variant_column() {
    let out = Load::json(
        "CREATE TABLE t (k1 VARCHAR(1024), k2 VARIANT, k3 VARIANT) DUPLICATE KEY(k1) \
         DISTRIBUTED BY HASH(k1) BUCKETS 1",
    )
    .prop("jsonpaths", r#"["$.k1","$.","$.k3"]"#)
    .run(&[
        r#"{"k1" : 12345, "k2" : "11111", "k3" : 111111, "k4" : [11111]}"#,
        r#"{"k1" : 12347, "k3" : "33333", "k4" : [22222]}"#,
    ]);
    assert_eq!(
        out.tsv(),
        lines(&[
            "12345\t{\"k1\":12345,\"k2\":\"11111\",\"k3\":111111,\"k4\":[11111]}\t111111",
            "12347\t{\"k1\":12347,\"k3\":\"33333\",\"k4\":[22222]}\t33333",
        ])
    );
}
