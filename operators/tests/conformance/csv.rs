//! CSV in routine load (docs/doris/csv-and-expressions.md Part A; doris-spec §5.5 CSV notes).

use crate::{Load, assert_identity, lines};

/// `(k1 INT, v1 VARCHAR(10), v2 INT)`, the table of docs/doris/csv-and-expressions.md §A.8.
const T: &str = "CREATE TABLE t (k1 INT, v1 VARCHAR(10), v2 INT) DUPLICATE KEY(k1) \
                 DISTRIBUTED BY HASH(k1) BUCKETS 1";

/// The 6-column table of the enclose / escape suites (test_routine_load_property).
const T6: &str = "CREATE TABLE t (k1 INT, k2 STRING, v1 DATE, v2 STRING, v3 DATETIME, \
                  v4 STRING) DUPLICATE KEY(k1) DISTRIBUTED BY HASH(k1) BUCKETS 1";

fn comma() -> Load {
    Load::csv(T).clause("COLUMNS TERMINATED BY \",\"")
}

// docs/doris/csv-and-expressions.md §A.8 worked examples (4.x): basic rows, several lines per message, CR
// before the appended LF removed, `\N`, empty fields, spaces kept in strings and trimmed by
// numeric casts.
#[test]
fn worked_examples() {
    let out = comma().run(&[
        "1,a,2",
        "1,a,2\n3,b,4",
        "1,a,2\r",
        "\n",
        "1,,",
        "1,\\N,\\N",
        "1, a ,2",
        " 1 ,a, 2",
    ]);
    assert_eq!(
        out.tsv(),
        lines(&[
            "1\ta\t2",
            "1\ta\t2",
            "3\tb\t4",
            "1\ta\t2",
            "1\t\t\\N",
            "1\t\\N\t\\N",
            "1\t a \t2",
            "1\ta\t2",
        ])
    );
    assert_eq!(out.counts(), (8, 8, 0, 0));
    assert_eq!(out.batch.counts.messages, 8);
}

// docs/doris/csv-and-expressions.md §A.7 (BE CsvReader::_line_split_to_values, master text): too few or too
// many fields → filtered "Column count mismatch" with the raw line as src line.
#[test]
fn column_count_mismatch_4x() {
    let out = comma().run(&["1,a", "1,a,2,", "1,\"a,b\",2"]);
    assert_eq!(out.counts(), (3, 0, 3, 0));
    assert_eq!(
        out.reasons(),
        vec![
            "Column count mismatch: expected 3, but found 2 (sep:, delim:\\n)",
            "Column count mismatch: expected 3, but found 4 (sep:, delim:\\n)",
            "Column count mismatch: expected 3, but found 4 (sep:, delim:\\n)",
        ]
    );
    assert_eq!(out.rejected()[1].src_line, "1,a,2,");
    // Default separator TAB is shown as `\t`; enclose and escape are listed when set.
    let out = Load::csv(T)
        .prop("enclose", "'")
        .prop("escape", "\\")
        .run(&["1\ta"]);
    assert_eq!(
        out.reason(),
        "Column count mismatch: expected 3, but found 2 (sep:\\t delim:\\n encl:' esc:\\)"
    );
}

// docs/doris/csv-and-expressions.md §A.7 (2.1/3.0-era text, built with "{} {} {}": double spaces, the raw
// delimiter inside the brackets, the split values each followed by ", ").
#[test]
fn column_count_mismatch_21() {
    let out = comma().version("2.1").run(&["a,b"]);
    assert_eq!(
        out.reason(),
        "actual column number in csv file is  less than  schema column number.actual number: 2, schema column number: 3; line delimiter: [\n], column separator: [,], result values:[a, b, ]"
    );
    let out = comma().version("3.0").run(&["1,2,3,4"]);
    assert!(out.reason().starts_with(
        "actual column number in csv file is  more than  schema column number.actual number: 4, schema column number: 3;"
    ));
}

// docs/doris/csv-and-expressions.md §A.2 (Separator.convertSeparator, PlainCsvTextFieldSplitter): multi-char
// separators match left to right without overlap (`data1xxxxdata2` → data1, "", data2).
#[test]
fn multi_char_separator() {
    let out = Load::csv(T)
        .clause("COLUMNS TERMINATED BY \"xx\"")
        .run(&["1xxxxx2", "7xxabxx8"]);
    // "1xxxxx2": "1", "", "x2" → v2 "x2" fails the INT cast.
    assert_eq!(out.tsv(), lines(&["1\t\t\\N", "7\tab\t8"]));
    let out = Load::csv(
        "CREATE TABLE t (a VARCHAR(10), b VARCHAR(10), c VARCHAR(10)) DUPLICATE KEY(a) \
         DISTRIBUTED BY HASH(a) BUCKETS 1",
    )
    .clause("COLUMNS TERMINATED BY \"xx\"")
    .run(&["data1xxxxdata2"]);
    assert_eq!(out.tsv(), lines(&["data1\t\tdata2"]));
}

// docs/doris/csv-and-expressions.md §A.2 (Separator.convertSeparator): the hex form `\x01` (Hive's separator)
// and `\x01\x02` (two bytes). The 4.x parser hands convertSeparator the literal with only its
// quotes stripped (schemas sql/lexer.rs `decode_separator`), so a single backslash is the
// hex form; the manual's doubled `"\\x01"` spelling (legacy lexer) is UNVERIFIED for 4.x.
#[test]
fn hex_separators() {
    let out = Load::csv(T)
        .clause(r#"COLUMNS TERMINATED BY "\x01""#)
        .run(&["1\x01a\x012"]);
    assert_eq!(out.tsv(), lines(&["1\ta\t2"]));
    let out = Load::csv(T)
        .clause(r#"COLUMNS TERMINATED BY "\x01\x02""#)
        .run(&["1\x01\x02a\x01\x022", "1\x01a\x012"]);
    assert_eq!(out.tsv(), lines(&["1\ta\t2"]));
    assert_eq!(out.counts(), (2, 1, 1, 0));
    let out = Load::csv(T)
        .clause(r#"COLUMNS TERMINATED BY "|""#)
        .run(&["1|a|2"]);
    assert_eq!(out.tsv(), lines(&["1\ta\t2"]));
}

// docs/doris/csv-and-expressions.md §A.5: only the exact 2 bytes `\N` are NULL; `\N `, `\n`, `NULL`, `null`
// are text (the INT cast of `NULL` fails → NULL, the VARCHAR keeps it).
#[test]
fn null_marker_is_exact() {
    let out = comma().run(&["\\N,\\N ,\\N", "1,NULL,NULL", "2,\\n,null"]);
    assert_eq!(
        out.tsv(),
        lines(&["\\N\t\\N \t\\N", "1\tNULL\t\\N", "2\t\\n\t\\N"])
    );
}

// docs/doris/csv-and-expressions.md §A.6: an empty field is the empty string, not NULL: kept in strings,
// NULL after a failed cast for other types, filtered under strict mode with `src value is `.
#[test]
fn empty_fields() {
    let out = comma().run(&[",,"]);
    assert_eq!(out.tsv(), lines(&["\\N\t\t\\N"]));
    let out = comma().strict().run(&["1,,", "1,,2"]);
    assert_eq!(out.tsv(), lines(&["1\t\t2"]));
    assert_eq!(
        out.reason(),
        "column(v2) value is incorrect while strict mode is true, src value is "
    );
    assert_eq!(out.rejected()[0].src_line, "1  ");
}

// regression routine_load/test_routine_load_empty_field_as_null (RL-06): with
// "empty_field_as_null" = "true" (4.x) an empty field is NULL for every type, strings too.
#[test]
fn empty_field_as_null() {
    let msgs = [
        "9,\\N,2023-07-15,def,2023-07-20T05:48:31,ghi",
        "10,,2023-07-15,def,2023-07-20T05:48:31,ghi",
    ];
    let base = Load::csv(T6).clause("COLUMNS TERMINATED BY \",\"");
    let out = base.clone().prop("empty_field_as_null", "false").run(&msgs);
    assert_eq!(
        out.tsv(),
        lines(&[
            "9\t\\N\t2023-07-15\tdef\t2023-07-20 05:48:31\tghi",
            "10\t\t2023-07-15\tdef\t2023-07-20 05:48:31\tghi",
        ])
    );
    let out = base.prop("empty_field_as_null", "true").run(&msgs);
    assert_eq!(
        out.tsv(),
        lines(&[
            "9\t\\N\t2023-07-15\tdef\t2023-07-20 05:48:31\tghi",
            "10\t\\N\t2023-07-15\tdef\t2023-07-20 05:48:31\tghi",
        ])
    );
}

// docs/doris/csv-and-expressions.md §A.3 (find_lf_crlf_line_sep): `\r\n` ends a line, a lone `\r` stays in the
// data; empty lines are skipped (counted nowhere).
#[test]
fn carriage_returns_and_empty_lines() {
    let out = comma().run(&["1,a,2\r\n3,b,4\r", "5,c\rd,6", "\n\n7,e,8\n\n"]);
    assert_eq!(
        out.tsv(),
        lines(&["1\ta\t2", "3\tb\t4", "5\tc\rd\t6", "7\te\t8"])
    );
    assert_eq!(out.counts(), (4, 4, 0, 0));
}

// docs/doris/csv-and-expressions.md §A.4 / §A.8 and PR apache/doris#54937: with `enclose` = `"` 4.x strips the
// quotes of an enclosed field; 2.1/3.0 routine load (no trim_double_quotes) keeps them;
// another enclose char is stripped in both.
#[test]
fn double_quote_enclose_by_version() {
    let base = comma().prop("enclose", "\"");
    let out = base.clone().run(&["1,\"a,b\",2"]);
    assert_eq!(out.tsv(), lines(&["1\ta,b\t2"]));
    let out = base.version("2.1").run(&["1,\"a,b\",2", "\"1\",x,2"]);
    // `"1"` into INT fails to cast with its quotes kept.
    assert_eq!(out.tsv(), lines(&["1\t\"a,b\"\t2", "\\N\tx\t2"]));
    let out = comma()
        .prop("enclose", "'")
        .version("2.1")
        .run(&["1,'a,b',2"]);
    assert_eq!(out.tsv(), lines(&["1\ta,b\t2"]));
}

// docs/doris/csv-and-expressions.md §A.4: a field is enclosed only if the enclose char is its first byte;
// text after the closing quote stays in the field; `""` is the empty string; `","` is a
// comma; a leading space means "not enclosed".
#[test]
fn enclose_positions() {
    let t = "CREATE TABLE t (a VARCHAR(20), b STRING) DUPLICATE KEY(a) \
             DISTRIBUTED BY HASH(a) BUCKETS 1";
    let out = Load::csv(t)
        .clause("COLUMNS TERMINATED BY \",\"")
        .prop("enclose", "\"")
        .run(&["a\"b,c\"", "\"ab\"cd,x", "\"\",\",\"", " \"a\",y"]);
    assert_eq!(
        out.tsv(),
        lines(&["a\"b\tc\"", "\"ab\"cd\tx", "\t,", " \"a\"\ty"])
    );
}

// docs/doris/csv-and-expressions.md §A.4 "Unescaping": the escape byte is dropped and the next byte kept
// literally (no C escapes); 4.x also reads a doubled enclose char as one; without `escape`
// nothing is unescaped; outside quotes escape does not protect the separator.
#[test]
fn escape_rules() {
    let t = "CREATE TABLE t (a VARCHAR(20), b STRING, c STRING) DUPLICATE KEY(a) \
             DISTRIBUTED BY HASH(a) BUCKETS 1";
    let esc = Load::csv(t)
        .clause("COLUMNS TERMINATED BY \",\"")
        .prop("enclose", "\"")
        .prop("escape", "\\");
    let out = esc.run(&[
        "1,\"a\"\"b\",2",
        r#"a,"b,\"c\"d",e"#,
        r"a,b\\c,ab\cd",
        r"x,\n\t,y",
    ]);
    assert_eq!(
        out.tsv(),
        lines(&["1\ta\"b\t2", "a\tb,\"c\"d\te", "a\tb\\c\tabcd", "x\tnt\ty"])
    );
    let out = Load::csv(t)
        .clause("COLUMNS TERMINATED BY \",\"")
        .prop("enclose", "\"")
        .run(&["1,\"a\"\"b\",2"]);
    assert_eq!(out.tsv(), lines(&["1\ta\"\"b\t2"]));
    let out = Load::csv(t)
        .clause("COLUMNS TERMINATED BY \",\"")
        .prop("escape", "\\")
        .run(&[r"1,a\,b,2"]);
    assert_eq!(out.counts(), (1, 0, 1, 0));
    assert_eq!(
        out.reason(),
        "Column count mismatch: expected 3, but found 4 (sep:, delim:\\n esc:\\)"
    );
}

// docs/doris/csv-and-expressions.md §A.1 / §A.8 last row (EncloseCsvLineReaderCtx): an unclosed enclosed field
// runs through the appended `\n` into the next message: ONE row spanning both messages.
#[test]
fn unclosed_enclose_spans_messages() {
    let out = comma()
        .prop("enclose", "\"")
        .run(&["1,\"x", "y\",2", "3,z,4"]);
    assert_eq!(out.tsv(), lines(&["1\tx\ny\t2", "3\tz\t4"]));
    assert_eq!(out.counts(), (2, 2, 0, 0));
    assert_eq!(out.batch.counts.messages, 3);
}

// docs/doris/csv-and-expressions.md §A.1 (UNVERIFIED end-of-stream case) and regression
// test_csv_with_enclose_and_escape CE-06: an enclose that never closes swallows the rest of
// the batch into one malformed row, filtered as a column-count mismatch at the end.
#[test]
fn unclosed_enclose_swallows_the_batch() {
    let out = comma().prop("enclose", "\"").run(&["4,\"abc,5", "5,bcd,6"]);
    assert_eq!(out.counts(), (1, 0, 1, 0));
    assert_eq!(
        out.reason(),
        "Column count mismatch: expected 3, but found 2 (sep:, delim:\\n encl:\")"
    );
    assert_identity(&out);
}

// docs/doris/csv-and-expressions.md §A.7: a line that is not UTF-8 is filtered (4.x / 2.1 texts).
#[test]
fn invalid_utf8_line() {
    let out = comma().run_bytes(&[b"1,\xff\xfe,2", b"2,b,3"]);
    assert_eq!(out.tsv(), lines(&["2\tb\t3"]));
    assert_eq!(
        out.reason(),
        "Invalid file encoding: all CSV files must be UTF-8 encoded"
    );
    let out = comma().version("2.1").run_bytes(&[b"1,\xff,2"]);
    assert_eq!(
        out.reason(),
        "Unable to display, only support csv data in utf8 codec, please check the data encoding"
    );
}

// docs/doris/csv-and-expressions.md §A.1 (CsvReader::_remove_bom, once per reader): a BOM is removed only at
// the start of the batch's stream; in a later message it stays in the data.
#[test]
fn bom_only_at_stream_start() {
    let out = comma().run_bytes(&[b"\xEF\xBB\xBF1,a,2", b"\xEF\xBB\xBF3,b,4"]);
    assert_eq!(out.tsv(), lines(&["1\ta\t2", "\\N\tb\t4"]));
}

// doris-spec §1.1 / docs/doris/csv-and-expressions.md §A.7: with COLUMNS, the file slots are the plain names
// (mapping entries add no field); a table column not listed takes its DEFAULT.
#[test]
fn columns_list_defines_the_fields() {
    let out = Load::csv(
        "CREATE TABLE t (k1 INT, v1 VARCHAR(10) DEFAULT 'dflt', v2 INT) DUPLICATE KEY(k1) \
         DISTRIBUTED BY HASH(k1) BUCKETS 1",
    )
    .clause("COLUMNS TERMINATED BY \",\"")
    .clause("COLUMNS(tmp, k1, v2 = tmp + 1)")
    .run(&["5,1", "5,1,9"]);
    assert_eq!(out.tsv(), lines(&["1\tdflt\t6"]));
    assert_eq!(
        out.reason(),
        "Column count mismatch: expected 2, but found 3 (sep:, delim:\\n)"
    );
}

// regression test_stream_load_properties (RL-04): data separated by `|` read with the default
// TAB separator → every row is a column-count mismatch.
#[test]
fn wrong_separator_filters_everything() {
    let out = Load::csv(T).run(&["1|a|2", "3|b|4"]);
    assert_eq!(out.counts(), (2, 0, 2, 0));
    assert!(
        out.reasons()
            .iter()
            .all(|r| *r == "Column count mismatch: expected 3, but found 1 (sep:\\t delim:\\n)")
    );
}

// regression test_csv_with_enclose_and_escape CE-07: with a multi-char separator, separators
// (and line breaks) inside an enclosure are data.
#[test]
fn multi_char_separator_with_enclose() {
    let out = Load::csv(
        "CREATE TABLE t (k1 INT, k2 STRING, v1 DATE, v2 STRING) DUPLICATE KEY(k1) \
         DISTRIBUTED BY HASH(k1) BUCKETS 1",
    )
    .clause("COLUMNS TERMINATED BY \"@@\"")
    .prop("enclose", "\"")
    .run(&["10@@\"ab@@cd@@efg\"@@2023-07-20@@\"ab@@cd\nefg\""]);
    assert_eq!(
        out.tsv(),
        lines(&["10\tab@@cd@@efg\t2023-07-20\tab@@cd\nefg"])
    );
}

// docs/doris/csv-and-expressions.md §A.5: the `\N` test runs after the enclose is stripped, so 4.x reads
// `"\N"` as NULL; 2.1/3.0 keep the quotes with enclose `"` and see a 4-char string.
#[test]
fn quoted_null_marker() {
    let out = comma().prop("enclose", "\"").run(&["1,\"\\N\",\"\\N\""]);
    assert_eq!(out.rows, vec![vec![Some("1".to_string()), None, None]]);
    let out = comma()
        .prop("enclose", "\"")
        .version("2.1")
        .run(&["1,\"\\N\",2"]);
    assert_eq!(out.tsv(), lines(&["1\t\"\\N\"\t2"]));
}

// docs/doris/csv-and-expressions.md §A.2 (PROPERTIES_SET): `empty_field_as_null` exists only in 4.x; a 2.1 job
// with it is refused at CREATE with Doris's "is invalid property".
#[test]
fn empty_field_as_null_unknown_before_4x() {
    let sql = comma()
        .version("2.1")
        .prop("empty_field_as_null", "true")
        .sql();
    let err = routinely_schemas::sql::parse_statement(&sql).err().unwrap();
    assert!(
        err.to_string()
            .ends_with("empty_field_as_null is invalid property"),
        "{err}"
    );
}
