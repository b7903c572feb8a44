//! jsonpaths and json_root (doris-spec §5.3; docs/doris/json-reader.md §3, §5).

use crate::{Load, lines};

const T3: &str = "CREATE TABLE t (id INT, city VARCHAR(32) DEFAULT '', code BIGINT DEFAULT '0') \
                  DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1";

const DOC: &str = r#"{"a":{"b":[10,{"c":"x"}]},"k.d":5,"arr":[1,2,3],"n":null,"s":"str"}"#;

const T_V: &str = "CREATE TABLE t (s VARCHAR(64), v VARCHAR(64)) DUPLICATE KEY(s) \
                   DISTRIBUTED BY HASH(s) BUCKETS 1";

/// Column v's value for `path` on [`DOC`] (NULL as `\N`), or the rejection reason. Column s
/// always takes `$.s`, so the row never lacks a matched path.
fn one(path: &str, version: &str) -> Result<String, String> {
    let paths = serde_json::to_string(&vec!["$.s", path]).unwrap();
    let out = Load::json(T_V)
        .version(version)
        .prop("jsonpaths", &paths)
        .run(&[DOC]);
    if out.rows.len() == 1 {
        Ok(out.rows[0][1].clone().unwrap_or_else(|| "\\N".into()))
    } else {
        Err(out.reason().to_string())
    }
}

// docs/doris/json-reader.md §3.3 (harness table on the same document): keys, indexes, quoted keys with
// dots, whole arrays as text, out-of-range index / `[*]` / walking into a scalar or a null /
// wrong case → missing (NULL), a null value → NULL, `x.s` works like `$.s`.
#[test]
fn path_syntax_table() {
    let cases: &[(&str, Result<&str, &str>)] = &[
        ("$.a.b[0]", Ok("10")),
        ("$.a.b[1].c", Ok("x")),
        ("$.\"k.d\"", Ok("5")),
        ("$.arr", Ok("[1,2,3]")),
        ("$.arr[5]", Ok("\\N")),
        ("$.arr[*]", Ok("\\N")),
        ("$.s.x", Ok("\\N")),
        ("$.n.x", Ok("\\N")),
        ("$.n", Ok("\\N")),
        ("$.S", Ok("\\N")),
        ("x.s", Ok("str")),
        ("$.arr[-1]", Err("[DATA_QUALITY_ERROR]invalid json path: ")),
        (
            "$.a.b[0][0]",
            Err("[DATA_QUALITY_ERROR]invalid json path: "),
        ),
        ("$[\"s\"]", Err("[DATA_QUALITY_ERROR]empty json path")),
        ("s", Err("[DATA_QUALITY_ERROR]empty json path")),
        ("", Err("[DATA_QUALITY_ERROR]empty json path")),
    ];
    for (path, want) in cases {
        let got = one(path, "4.0");
        let want = want.map(str::to_string).map_err(str::to_string);
        assert_eq!(got, want, "{path}");
    }
}

// docs/doris/json-reader.md §3.3, §3.5, PR apache/doris#38213 / #56703: `$.` is the whole message; in
// 4.x `$` is rewritten to `$.`; in 2.1/3.0 `$` has one token → "empty json path" (a filtered
// row in nested mode).
#[test]
fn dollar_and_dollar_dot() {
    let compact = r#"{"a":{"b":[10,{"c":"x"}]},"k.d":5,"arr":[1,2,3],"n":null,"s":"str"}"#;
    let t = "CREATE TABLE t (s VARCHAR(10), v STRING) DUPLICATE KEY(s) \
             DISTRIBUTED BY HASH(s) BUCKETS 1";
    for (v, path) in [("4.0", "$."), ("4.0", "$"), ("2.1", "$.")] {
        let out = Load::json(t)
            .version(v)
            .prop("jsonpaths", &format!("[\"$.s\", \"{path}\"]"))
            .run(&[DOC]);
        assert_eq!(
            out.tsv(),
            lines(&[&format!("str\t{compact}")]),
            "{v} {path}"
        );
    }
    let out = Load::json(t)
        .version("2.1")
        .prop("jsonpaths", r#"["$.s", "$"]"#)
        .run(&[DOC]);
    assert_eq!(out.counts(), (1, 0, 1, 0));
    assert_eq!(out.reason(), "[DATA_QUALITY_ERROR]empty json path");
    assert_eq!(out.rejected()[0].src_line, "");
}

// docs/doris/json-reader.md §3.5 (harness; RT json_p0/test_json_root select_jsonpath_dollar_dot): with
// strip_outer_array, `$.` gives every row the WHOLE message, not the element.
#[test]
fn dollar_dot_with_outer_array_is_the_whole_message() {
    let out = Load::json(
        "CREATE TABLE t (id INT, doc STRING) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
    )
    .prop("strip_outer_array", "true")
    .prop("jsonpaths", r#"["$.id","$."]"#)
    .run(&[r#"[{"id":1},{"id":2}]"#]);
    assert_eq!(
        out.tsv(),
        lines(&["1\t[{\"id\":1},{\"id\":2}]", "2\t[{\"id\":1},{\"id\":2}]"])
    );
}

// regression test_json_load select3 (JS-03): path i feeds table column i when COLUMNS is absent.
#[test]
fn paths_map_to_table_columns_by_position() {
    let out = Load::json(T3)
        .prop("jsonpaths", r#"["$.code","$.id"]"#)
        .run(&[r#"{"id": 1, "city": "beijing", "code": 2345671}"#]);
    // id ← $.code, city ← $.id, code ← missing → DEFAULT 0.
    assert_eq!(out.tsv(), lines(&["2345671\t1\t0"]));
}

// docs/doris/json-reader.md §3.4: more paths than slots → the extra paths are ignored; fewer paths →
// the remaining slots are missing (DEFAULT / NULL).
#[test]
fn path_count_differs_from_slot_count() {
    let out = Load::json(T3)
        .prop(
            "jsonpaths",
            r#"["$.id","$.city","$.code","$.extra","$.more"]"#,
        )
        .run(&[r#"{"id":1,"city":"x","code":3,"extra":4}"#]);
    assert_eq!(out.tsv(), lines(&["1\tx\t3"]));
    let out = Load::json(T3)
        .prop("jsonpaths", r#"["$.id"]"#)
        .run(&[r#"{"id":1,"city":"x","code":3}"#]);
    assert_eq!(out.tsv(), lines(&["1\t\t0"]));
}

// regression test_json_load "test jsonpaths error" (JS-21a): nothing matched → the exact
// reason with the jsonpaths property verbatim; src line = the object.
#[test]
fn no_path_matched_reason() {
    let t = "CREATE TABLE t (name VARCHAR(48), age BIGINT, agent_id VARCHAR(256)) \
             DUPLICATE KEY(name) DISTRIBUTED BY HASH(name) BUCKETS 1";
    let out = Load::json(t)
        .prop("jsonpaths", r#"["$.Name", "$.Age", "$.Agent_id"]"#)
        .run(&[r#"{"name":"Name1","age":21,"agent_id":"1"}"#]);
    assert_eq!(
        out.rejected()[0].error_log_line(),
        r#"Reason: There is no column matching jsonpaths in the json file, columns:[name, age, agent_id, ], please check columns and jsonpaths:["$.Name", "$.Age", "$.Agent_id"]. src line [{"name":"Name1","age":21,"agent_id":"1"}]; "#
    );
    // JS-21b: COLUMNS names as written, no jsonpaths.
    let out = Load::json(t)
        .clause("COLUMNS(Name, Age, Agent_id)")
        .run(&[r#"{"name":"Name1","age":21,"agent_id":"1"}"#]);
    assert_eq!(
        out.rejected()[0].error_log_line(),
        r#"Reason: There is no column matching jsonpaths in the json file, columns:[Name, Age, Agent_id, ], please check columns and jsonpaths:. src line [{"name":"Name1","age":21,"agent_id":"1"}]; "#
    );
}

// docs/doris/json-reader.md §3.4: a JSON null at a path counts as a value, so the row is kept.
#[test]
fn null_at_path_is_a_value() {
    let out = Load::json(T3)
        .prop("jsonpaths", r#"["$.id","$.city"]"#)
        .run(&[r#"{"id":null}"#]);
    assert_eq!(out.tsv(), lines(&["\\N\t\t0"]));
}

// regression test_json_load select31 (JS-20): a path through a JSON null → NULL.
#[test]
fn path_through_null() {
    let out = Load::json(
        "CREATE TABLE t (id INT NOT NULL, name VARCHAR(24) NULL, region VARCHAR(30) NULL) \
         DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
    )
    .prop("strip_outer_array", "true")
    .prop("jsonpaths", r#"["$.id", "$.city.name", "$.city.region"]"#)
    .run(&[r#"[
        {"id": 789, "city": {"name": "beijing", "region": "haidian"}},
        {"id": 1111, "city": null}
    ]"#]);
    assert_eq!(
        out.tsv(),
        lines(&["789\tbeijing\thaidian", "1111\t\\N\t\\N"])
    );
}

// regression test_json_load select28 (JS-17): a quoted key containing a dot. The header value
// `["$.tags.\"a.b\"","$.tags.k2"]` is the property text.
#[test]
fn quoted_key_with_dot() {
    let out = Load::json(
        "CREATE TABLE t (k1 VARCHAR(1024), k2 VARCHAR(1024)) DUPLICATE KEY(k1) \
         DISTRIBUTED BY HASH(k1) BUCKETS 1",
    )
    .prop("jsonpaths", r#"["$.tags.\"a.b\"","$.tags.k2"]"#)
    .run(&[r#"{"tags": {"a.b": "test","k2": "k2_value"}}"#]);
    assert_eq!(out.tsv(), lines(&["test\tk2_value"]));
}

// docs/doris/json-reader.md §3.1: the property must be a JSON array of strings, else
// `[INVALID_JSON_PATH]Invalid json path: <property>` (the task fails; here: the plan fails).
// A bad escape inside a path also fails the whole load.
#[test]
fn invalid_jsonpaths_property() {
    for p in ["$.a", r#"["$.a", 1]"#, r#"{"a":"$.a"}"#] {
        let err = Load::json(T3)
            .prop("jsonpaths", p)
            .try_plan()
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            format!("[INVALID_JSON_PATH]Invalid json path: {p}")
        );
    }
    let err = Load::json(T3)
        .prop("jsonpaths", r#"["$.a\\q"]"#)
        .try_plan()
        .err()
        .unwrap();
    assert!(
        err.to_string().starts_with("[INVALID_JSON_PATH]meet error"),
        "{err}"
    );
}

// docs/doris/json-reader.md §3.4: repeated paths reuse a field ("field reuse").
#[test]
fn repeated_paths() {
    let out = Load::json(T3)
        .prop("jsonpaths", r#"["$.code","$.code","$.code"]"#)
        .run(&[r#"{"code":12}"#]);
    assert_eq!(out.tsv(), lines(&["12\t12\t12"]));
}

// docs/doris/json-reader.md §5 table: json_root on a top-level object selects the document; a root that
// is an array with strip_outer_array gives one row per element.
#[test]
fn json_root_selects_the_document() {
    let out = Load::json(T3)
        .prop("json_root", "$.item")
        .run(&[r#"{"no": 1, "item": {"id": 1, "city": "beijing", "code": 2345671}}"#]);
    assert_eq!(out.tsv(), lines(&["1\tbeijing\t2345671"]));
    let out = Load::json(T3)
        .prop("json_root", "$.data")
        .prop("strip_outer_array", "true")
        .run(&[r#"{"data":[{"id":1},{"id":2,"city":"x"}]}"#]);
    assert_eq!(out.tsv(), lines(&["1\t\t0", "2\tx\t0"]));
    // Root → array without strip: the array rule applies to the selected node.
    let out = Load::json(T3)
        .prop("json_root", "$.data")
        .run(&[r#"{"data":[{"id":1}]}"#]);
    assert_eq!(
        out.reason(),
        "JSON data is array-object, `strip_outer_array` must be TRUE."
    );
}

// docs/doris/json-reader.md §5: json_root missing → `[NOT_FOUND]Not found target filed, ...` (the typo is
// Doris's), src line = the message; 2.1/3.0 print simdjson 3.0.1's text without the name.
#[test]
fn json_root_not_found() {
    let msg = r#"{"other":1}"#;
    let out = Load::json(T3).prop("json_root", "$.data").run(&[msg]);
    assert_eq!(
        out.reason(),
        "[NOT_FOUND]Not found target filed, err: NO_SUCH_FIELD: The JSON field referenced does not exist in this object., msg: unable to find field: data"
    );
    assert_eq!(out.rejected()[0].src_line, msg);
    let out = Load::json(T3)
        .version("2.1")
        .prop("json_root", "$.data")
        .run(&[msg]);
    assert_eq!(
        out.reason(),
        "[NOT_FOUND]Not found target filed, err: The JSON field referenced does not exist in this object., msg: unable to find field: data"
    );
}

// docs/doris/json-reader.md §5 quirks: json_root `$.` on a top-level object looks up the key "" and
// fails for every message.
#[test]
fn json_root_dollar_dot_is_not_the_whole_document() {
    let out = Load::json(T3).prop("json_root", "$.").run(&[r#"{"id":1}"#]);
    assert_eq!(
        out.reason(),
        "[NOT_FOUND]Not found target filed, err: NO_SUCH_FIELD: The JSON field referenced does not exist in this object., msg: unable to find field: "
    );
}

// docs/doris/json-reader.md §5 table: json_root selecting a scalar → INCORRECT_TYPE (simple mode) or
// "Not object item" (jsonpaths, nested mode).
#[test]
fn json_root_selects_a_scalar() {
    let out = Load::json(T3)
        .prop("json_root", "$.data")
        .run(&[r#"{"data":5}"#]);
    assert_eq!(
        out.reason(),
        "Parse json data failed. code: 17, error info: INCORRECT_TYPE: The JSON element does not have the requested type."
    );
    let out = Load::json(T3)
        .prop("json_root", "$.data")
        .prop("jsonpaths", r#"["$.id"]"#)
        .run(&[r#"{"data":5}"#]);
    assert_eq!(out.reason(), "Not object item");
}

// docs/doris/json-reader.md §5: with a top-level array in simple mode json_root is ignored entirely
// (the elements are matched as they are).
#[test]
fn json_root_ignored_for_top_level_array_in_simple_mode() {
    let out = Load::json(T3)
        .prop("json_root", "$.data")
        .prop("strip_outer_array", "true")
        .run(&[r#"[{"data":{"id":7}},{"id":8}]"#]);
    assert_eq!(out.tsv(), lines(&["8\t\t0"]));
    assert_eq!(out.counts(), (2, 1, 1, 0));
    assert!(out.reasons()[0].starts_with("There is no column matching jsonpaths"));
}

// regression test_json_load select16 (JS-12) and docs/doris/json-reader.md §5: with jsonpaths and a
// top-level array, json_root applies to each element; an element whose root is missing is
// filtered with the NOT_FOUND text and an empty src line; a root that is not an object →
// "Not object item"; an element root with no matching path → "no column matching".
#[test]
fn json_root_per_element_with_jsonpaths() {
    let msg = r#"[
  {"no": 1, "item": {"id": 1, "city": ["zhejiang","hangzhou","xihu"], "code": 2345671}},
  {"no": 2, "item": {"id": 2, "city": ["zhejiang","hangzhou","xiaoshan"], "code": 2345672}},
  {"no": 3, "item": {"id": 3, "city": ["zhejiang","hangzhou","binjiang"], "code": 2345673}},
  {"no": 4, "item": {"id": 4, "city": ["zhejiang","hangzhou","shangcheng"], "code": 2345674}},
  {"no": 5, "item": {"id": 5, "city": ["zhejiang","hangzhou","tonglu"], "code": 2345675}},
  {"no": 6, "item": {"id": 6, "city": ["zhejiang","hangzhou","fuyang"], "code": 2345676}},
  {"no": 7, "item": {"idx": 2, "cityx": ["zhejiang","hangzhou","xiaoshan"], "codex": 2345672}},
  {"no": 7, "item": {}},
  {"no": 7, "item": []},
  {"no": 7, "itemxxx": {}},
  {"no": 7, "item": "123"},
  {"no": 7, "item": {}},
  {"no": 8, "item": {"id": 7, "city": ["zhejiang","hangzhou","fuyang"], "code": 2345676}}
]"#;
    let out = Load::json(T3)
        .clause("COLUMNS(id, code, city)")
        .prop("strip_outer_array", "true")
        .prop("jsonpaths", r#"["$.id", "$.code", "$.city[2]"]"#)
        .prop("json_root", "$.item")
        .prop("fuzzy_parse", "true")
        .run(&[msg]);
    assert_eq!(
        out.tsv(),
        lines(&[
            "1\txihu\t2345671",
            "2\txiaoshan\t2345672",
            "3\tbinjiang\t2345673",
            "4\tshangcheng\t2345674",
            "5\ttonglu\t2345675",
            "6\tfuyang\t2345676",
            "7\tfuyang\t2345676",
        ])
    );
    assert_eq!(out.counts(), (13, 7, 6, 0));
    let reasons = out.reasons();
    assert!(reasons[0].starts_with("There is no column matching jsonpaths"));
    assert_eq!(reasons[2], "Not object item");
    assert_eq!(
        reasons[3],
        "[NOT_FOUND]Not found target filed, err: NO_SUCH_FIELD: The JSON field referenced does not exist in this object., msg: unable to find field: item"
    );
    assert_eq!(out.rejected()[3].src_line, "");
    assert_eq!(reasons[4], "Not object item");
}

// regression test_json_load select14 (JS-11, load C): objects and arrays into VARCHAR become
// compact JSON text; syntactically broken messages are filtered one by one; a path nested
// elsewhere is missing (DEFAULT 0).
#[test]
fn invalid_nest_json2_one_message_per_line() {
    let input = r#"{"no": 1, "item": {"id": 1, "city": "beijing", "code": 2345671}}
{"no": 2, "item": {"id": 2, "city": "shanghai","code": 2345672}}
{"no": 3, "item": ["id": 3, "city"], "hangzhou","code": 2345673}}
{"no": 3, "xxxxx": ["id": 3, "city"], "hangzhou","code": 2345673}}
{"no": 3, xxxxx": ["id": 3, "city"], "hangzhou","code":2345673}}
{"no": 4, "item": {"id": 4, "city": "shenzhen","code":2345674}}
{"no": 5, "item": {"id": 5, "city": "guangzhou","code":2345675}}
{"no": 5, "item": {"id": 5, "city": ["guangzhou"],"code":2345675}}
{"no": 5, "item": {"id": 5, "city": {"guangzhou":1},"code":2345675}}
{"no": 5, "item": {"id": 5, "city": ["guangzhou","code":2345675]]}
{"no": 5, "item": {"id": 5, "city": ["guangzhou","code":2345675}}
{"no": 5, "item": {"id": 5, "city": {"guangzhou","code":2345675}}
{"no": 5, "item": {"id": 5, "city": {"guangzhou":1,"code":2345675}}}
{"no": 5, "item": {"id": 5, "city": "1}}}
{"no": 5, "item": {"id": 5, "city": "1]}}}
{"no": 5, ["item": {"id": 5, "city": {"guangzhou":1,"code":2345675}]}"#;
    let msgs: Vec<&str> = input.lines().collect();
    let out = Load::json(T3)
        .clause("COLUMNS(id = id * 10)")
        .prop("jsonpaths", r#"["$.id", "$.city", "$.code"]"#)
        .prop("json_root", "$.item")
        .prop("fuzzy_parse", "true")
        .run(&msgs);
    assert_eq!(out.counts().1, 7);
    assert_eq!(
        out.sorted(),
        lines(&[
            "10\tbeijing\t2345671",
            "20\tshanghai\t2345672",
            "40\tshenzhen\t2345674",
            "50\t[\"guangzhou\"]\t2345675",
            "50\tguangzhou\t2345675",
            "50\t{\"guangzhou\":1,\"code\":2345675}\t0",
            "50\t{\"guangzhou\":1}\t2345675",
        ])
    );
}
