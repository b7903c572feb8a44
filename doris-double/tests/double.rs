//! End-to-end tests of the Doris test double over real HTTP: redirects and auth, labels,
//! 2PC with every §7.4 message, get_load_state, precommit expiry, each body format into each
//! key model, filtered rows, every fault kind, fault reproducibility, the test hooks and the
//! binary.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{DataType, Field, Schema};
use common::{Body, auth, get_json, load, load_via_fe, request, two_pc};
use routinely_doris_double::{Config, DorisDouble};
use serde_json::Value;

const TABLES: &[&str] = &[
    "CREATE TABLE db.dup (k INT, v VARCHAR(10)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    "CREATE TABLE db.uniq (k INT NOT NULL, v VARCHAR(20)) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    "CREATE TABLE db.useq (k INT NOT NULL, v VARCHAR(20), s BIGINT) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 PROPERTIES (\"function_column.sequence_col\" = \"s\")",
    "CREATE TABLE db.agg (k INT, total BIGINT SUM, last VARCHAR(10) REPLACE, hi INT MAX) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    "CREATE TABLE db.typed (k INT, d DECIMAL(10,2), dt DATETIME, day DATE DEFAULT \"2024-01-01\") DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
];

fn config() -> Config {
    let mut c = Config::default();
    for t in TABLES {
        c = c.table_sql(t).expect("table");
    }
    c
}

fn start() -> DorisDouble {
    DorisDouble::start(config()).expect("start")
}

fn rows(d: &DorisDouble, table: &str) -> Vec<Vec<Option<String>>> {
    d.rows("db", table).expect("table")
}

fn r(cells: &[&str]) -> Vec<Option<String>> {
    cells
        .iter()
        .map(|c| (*c != "NULL").then(|| c.to_string()))
        .collect()
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
        .to_string()
}

fn csv(label: &str) -> Vec<(&'static str, String)> {
    vec![("column_separator", ",".into()), ("label", label.into())]
}

fn hs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, x)| (*k, x.as_str())).collect()
}

fn state(d: &DorisDouble, label: &str) -> String {
    let v = get_json(
        d.fe_addr(),
        &format!("/api/db/get_load_state?label={label}"),
    );
    assert_eq!(v["code"], 0, "{v}");
    s(&v, "data")
}

#[test]
fn fe_redirects_with_credentials_and_checks_auth_and_expect() {
    let d = start();
    let a = auth("root", "");
    let r1 = request(
        d.fe_addr(),
        "PUT",
        "/api/db/dup/_stream_load",
        &[("Authorization", &a), ("Expect", "100-continue")],
        Body::Sized(b"1,a\n"),
    )
    .unwrap();
    assert_eq!(r1.status, 307);
    assert_eq!(
        r1.header("Location").unwrap(),
        format!("http://root:@{}/api/db/dup/_stream_load?", d.be_addr())
    );
    let r2 = request(
        d.fe_addr(),
        "PUT",
        "/api/db/dup/_stream_load?x=1",
        &[("Authorization", &a), ("Expect", "100-continue")],
        Body::Sized(b"1,a\n"),
    )
    .unwrap();
    assert!(
        r2.header("Location")
            .unwrap()
            .ends_with("/_stream_load?x=1")
    );

    // Wrong password: httpv2's 401 envelope in an HTTP 200.
    let bad = auth("root", "nope");
    let r3 = request(
        d.fe_addr(),
        "PUT",
        "/api/db/dup/_stream_load",
        &[("Authorization", &bad), ("Expect", "100-continue")],
        Body::Sized(b"1,a\n"),
    )
    .unwrap();
    assert_eq!(r3.status, 200);
    let v = r3.json();
    assert_eq!(
        (v["code"].as_i64(), s(&v, "msg")),
        (Some(401), "Unauthorized".into())
    );

    // No Expect.
    let r4 = request(
        d.fe_addr(),
        "PUT",
        "/api/db/dup/_stream_load",
        &[("Authorization", &a)],
        Body::Sized(b"1,a\n"),
    )
    .unwrap();
    assert_eq!(
        r4.json(),
        serde_json::json!({"status":"FAILED","msg":"There is no 100-continue header"})
    );

    // BE without auth, with bad auth.
    let v = request(
        d.be_addr(),
        "PUT",
        "/api/db/dup/_stream_load",
        &[],
        Body::Sized(b"1,a\n"),
    )
    .unwrap()
    .json();
    assert_eq!(s(&v, "Status"), "Fail");
    assert_eq!(
        s(&v, "Message"),
        "[INTERNAL_ERROR]no valid Basic authorization"
    );
    assert_eq!(v["TxnId"], -1);

    // A full load through the FE, with keys in Doris's order.
    let resp = load_via_fe(
        d.fe_addr(),
        "db",
        "dup",
        &[("column_separator", ","), ("label", "fe1")],
        b"1,a\n2,b\n",
    )
    .unwrap();
    let text = resp.text();
    let v = resp.json();
    assert_eq!(s(&v, "Status"), "Success", "{v}");
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "TxnId",
            "Label",
            "Comment",
            "TwoPhaseCommit",
            "Status",
            "Message",
            "NumberTotalRows",
            "NumberLoadedRows",
            "NumberFilteredRows",
            "NumberUnselectedRows",
            "LoadBytes",
            "LoadTimeMs",
            "BeginTxnTimeMs",
            "StreamLoadPutTimeMs",
            "ReadDataTimeMs",
            "WriteDataTimeMs",
            "ReceiveDataTimeMs",
            "CommitAndPublishTimeMs"
        ]
    );
    assert!(text.contains("\n    \"TxnId\": 1000"), "{text}");
    assert_eq!(v["LoadBytes"], 8);
    assert_eq!(rows(&d, "dup"), vec![r(&["1", "a"]), r(&["2", "b"])]);
}

#[test]
fn header_validation() {
    let d = start();
    let v = load(d.be_addr(), "db", "dup", &[("format", "xml")], b"x");
    assert_eq!(
        s(&v, "Message"),
        "[INTERNAL_ERROR]unknown data format, format=xml"
    );
    let v = load(d.be_addr(), "db", "dup", &[("label", "bad label!")], b"x");
    assert!(
        s(&v, "Message")
            .contains("Label format error. regex: ^[-_A-Za-z0-9:]{1,128}$, label: bad label!")
    );
    let v = load(
        d.be_addr(),
        "db",
        "dup",
        &[("strict_mode", "yes"), ("label", "sm")],
        b"x",
    );
    assert_eq!(
        s(&v, "Message"),
        "[INVALID_ARGUMENT]Invalid strict mode format. Must be bool type"
    );
    assert!(v["TxnId"].as_i64().unwrap() >= 1000);
    let v = load(d.be_addr(), "db", "dup", &[("merge_type", "UPSERT")], b"x");
    assert_eq!(
        s(&v, "Message"),
        "[INVALID_ARGUMENT]Invalid merge type UPSERT"
    );
    // Neither Content-Length nor chunked.
    let a = auth("root", "");
    let v = request(
        d.be_addr(),
        "PUT",
        "/api/db/dup/_stream_load",
        &[("Authorization", &a)],
        Body::None,
    )
    .unwrap()
    .json();
    assert!(s(&v, "Message").contains("content_length is empty and transfer-encoding!=chunked"));
    // Chunked works.
    let v = request(
        d.be_addr(),
        "PUT",
        "/api/db/dup/_stream_load",
        &[
            ("Authorization", &a),
            ("column_separator", ","),
            ("Expect", "100-continue"),
        ],
        Body::Chunked(b"7,seven\n8,eight\n"),
    )
    .unwrap()
    .json();
    assert_eq!(s(&v, "Status"), "Success", "{v}");
    assert_eq!(
        rows(&d, "dup"),
        vec![r(&["7", "seven"]), r(&["8", "eight"])]
    );
    // Label regeneration and the aborted txn of the strict-mode failure.
    assert_eq!(state(&d, "sm"), "ABORTED");
}

#[test]
fn labels_and_two_phase_commit_messages() {
    let d = start();
    let two = |label: &str| {
        let mut h = csv(label);
        h.push(("two_phase_commit", "true".into()));
        load(d.be_addr(), "db", "dup", &hs(&h), b"1,a\n")
    };
    let v = two("L1");
    assert_eq!(
        (s(&v, "Status"), s(&v, "TwoPhaseCommit")),
        ("Success".into(), "true".into())
    );
    let id = v["TxnId"].as_i64().unwrap();
    assert_eq!(state(&d, "L1"), "PRECOMMITTED");
    assert!(rows(&d, "dup").is_empty());

    // Label held by a PRECOMMITTED txn.
    let v = two("L1");
    assert_eq!(s(&v, "Status"), "Label Already Exists");
    assert_eq!(s(&v, "ExistingJobStatus"), "PRECOMMITTED");
    assert_eq!(v["TxnId"], -1);
    assert_eq!(
        s(&v, "Message"),
        format!(
            "[LABEL_ALREADY_EXISTS]TStatus: errCode = 2, detailMessage = Label [L1] has already been used, relate to txn [{id}]"
        )
    );

    // Commit by id, then every refusal.
    let ids = id.to_string();
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "commit"), ("txn_id", &ids)],
    );
    assert_eq!(
        c,
        serde_json::json!({"status":"Success","msg":format!("transaction [{id}] commit successfully.")})
    );
    assert_eq!(state(&d, "L1"), "VISIBLE");
    assert_eq!(rows(&d, "dup"), vec![r(&["1", "a"])]);
    let detail = |v: &Value| {
        assert_eq!(s(v, "status"), "ANALYSIS_ERROR", "{v}");
        s(v, "msg")
            .trim_start_matches("TStatus: errCode = 2, detailMessage = ")
            .to_string()
    };
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "commit"), ("txn_id", &ids)],
    );
    assert_eq!(
        detail(&c),
        format!("transaction [{id}] is already visible, not pre-committed.")
    );
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "abort"), ("txn_id", &ids)],
    );
    assert_eq!(
        detail(&c),
        format!("transaction [{id}] is already VISIBLE, could not abort.")
    );
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "commit"), ("label", "L1")],
    );
    assert_eq!(detail(&c), "running transaction not found, label=L1");
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "abort"), ("label", "nope")],
    );
    assert_eq!(detail(&c), "transaction not found, label=nope");
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "commit"), ("txn_id", "999999")],
    );
    assert_eq!(detail(&c), "transaction [999999] not found");
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "commit"), ("txn_id", "abc")],
    );
    assert_eq!(s(&c, "status"), "INTERNAL_ERROR");
    assert!(s(&c, "msg").starts_with("convert txn_id [abc] failed"));
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "COMMIT"), ("txn_id", &ids)],
    );
    assert_eq!(
        s(&c, "msg"),
        "transaction operation should be 'commit' or 'abort'"
    );
    // Label of a FINISHED txn.
    let v = two("L1");
    assert_eq!(s(&v, "ExistingJobStatus"), "FINISHED");

    // Abort by label, then reuse the label with a new txn id.
    let v = two("L2");
    let id2 = v["TxnId"].as_i64().unwrap();
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "abort"), ("label", "L2")],
    );
    assert_eq!(
        c,
        serde_json::json!({"status":"Success","msg":"label [L2] abort successfully."})
    );
    assert_eq!(state(&d, "L2"), "ABORTED");
    let ids2 = id2.to_string();
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "commit"), ("txn_id", &ids2)],
    );
    assert_eq!(
        detail(&c),
        format!("transaction [{id2}] is already aborted. abort reason: User Abort")
    );
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "abort"), ("txn_id", &ids2)],
    );
    assert_eq!(
        detail(&c),
        format!("transaction [{id2}] is already aborted, abort reason: User Abort")
    );
    let v = two("L2");
    let id3 = v["TxnId"].as_i64().unwrap();
    assert!(id3 > id2);
    assert_eq!(state(&d, "L2"), "PRECOMMITTED");
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "commit"), ("label", "L2")],
    );
    assert_eq!(s(&c, "msg"), "label [L2] commit successfully.");
    assert_eq!(rows(&d, "dup"), vec![r(&["1", "a"]), r(&["1", "a"])]);

    // Through the FE: pre-checks, then 307.
    let a = auth("root", "");
    let f = request(
        d.fe_addr(),
        "PUT",
        "/api/db/_stream_load_2pc",
        &[("Authorization", &a), ("txn_id", "1")],
        Body::Sized(b""),
    )
    .unwrap();
    assert_eq!(
        s(&f.json(), "msg"),
        "No transaction operation('commit' or 'abort') selected."
    );
    let f = request(
        d.fe_addr(),
        "PUT",
        "/api/db/_stream_load_2pc",
        &[("Authorization", &a), ("txn_operation", "commit")],
        Body::Sized(b""),
    )
    .unwrap();
    assert_eq!(s(&f.json(), "msg"), "No transaction id or label selected.");
    let f = request(
        d.fe_addr(),
        "PUT",
        "/api/db/dup/_stream_load_2pc",
        &[
            ("Authorization", &a),
            ("txn_operation", "commit"),
            ("txn_id", "1"),
        ],
        Body::Sized(b""),
    )
    .unwrap();
    assert_eq!(f.status, 307);
    assert!(
        f.header("Location")
            .unwrap()
            .ends_with("/api/db/dup/_stream_load_2pc?")
    );
}

#[test]
fn prepare_txns_and_disconnects() {
    use std::io::Write;
    let d = start();
    // A chunked load that stops mid-body: the txn is PREPARE meanwhile.
    let mut sock = std::net::TcpStream::connect(d.be_addr()).unwrap();
    let a = auth("root", "");
    write!(
        sock,
        "PUT /api/db/dup/_stream_load HTTP/1.1\r\nAuthorization: {a}\r\nlabel: P1\r\ncolumn_separator: ,\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n1,a\n\r\n"
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let id = loop {
        if let Some(t) = d.txns().into_iter().find(|t| t.label == "P1") {
            break t.txn_id;
        }
        assert!(Instant::now() < deadline, "load never began");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(state(&d, "P1"), "PREPARE");
    let ids = id.to_string();
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "commit"), ("txn_id", &ids)],
    );
    assert!(s(&c, "msg").ends_with(&format!(
        "transaction [{id}] is prepare, not pre-committed."
    )));
    let v = load(d.be_addr(), "db", "dup", &[("label", "P1")], b"");
    assert_eq!(s(&v, "ExistingJobStatus"), "RUNNING");
    drop(sock);
    let deadline = Instant::now() + Duration::from_secs(5);
    while state(&d, "P1") != "ABORTED" {
        assert!(Instant::now() < deadline, "disconnect did not abort");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Abort of a PREPARE txn by label; the load then fails.
    let mut sock = std::net::TcpStream::connect(d.be_addr()).unwrap();
    write!(
        sock,
        "PUT /api/db/dup/_stream_load HTTP/1.1\r\nAuthorization: {a}\r\nlabel: P2\r\nConnection: close\r\ncolumn_separator: ,\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n1,a\n\r\n"
    )
    .unwrap();
    while state(&d, "P2") != "PREPARE" {
        std::thread::sleep(Duration::from_millis(5));
    }
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "abort"), ("label", "P2")],
    );
    assert_eq!(s(&c, "status"), "Success");
    sock.write_all(b"0\r\n\r\n").unwrap();
    let mut resp = String::new();
    std::io::Read::read_to_string(&mut sock, &mut resp).unwrap();
    assert!(
        resp.contains("is already aborted. abort reason: User Abort"),
        "{resp}"
    );
    assert!(rows(&d, "dup").is_empty());
}

#[test]
fn load_state_expiry_and_label_cleaning() {
    let mut c = config();
    c.precommit_timeout = Duration::from_millis(100);
    c.label_keep = Duration::from_millis(150);
    c.clean_interval = Duration::from_millis(10);
    let d = DorisDouble::start(c).unwrap();
    assert_eq!(state(&d, "none"), "UNKNOWN");
    let v = get_json(d.fe_addr(), "/api/db/get_load_state");
    assert_eq!(
        v,
        serde_json::json!({"msg":"Bad Request","code":403,"data":"No label selected","count":0})
    );
    let v = get_json(d.fe_addr(), "/api/nodb/get_load_state?label=x");
    assert_eq!(v["code"], 1);

    let mut h = csv("E1");
    h.push(("two_phase_commit", "true".into()));
    let v = load(d.be_addr(), "db", "dup", &hs(&h), b"1,a\n");
    let id = v["TxnId"].as_i64().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(130));
    let t = d.txns().into_iter().find(|t| t.label == "E1").unwrap();
    assert_eq!(
        (t.status.as_str(), t.reason.as_str()),
        ("ABORTED", "timeout by txn manager")
    );
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "commit"), ("txn_id", &id)],
    );
    assert!(
        s(&c, "msg").ends_with("is already aborted. abort reason: timeout by txn manager"),
        "{c}"
    );
    // The label expires: the txn is forgotten.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(state(&d, "E1"), "UNKNOWN");
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "abort"), ("txn_id", &id)],
    );
    assert!(s(&c, "msg").ends_with(&format!("transaction [{id}] not found")));

    // expire_precommitted and the label threshold.
    let mut c = config();
    c.label_num_threshold = 2;
    c.clean_interval = Duration::from_millis(10);
    let d = DorisDouble::start(c).unwrap();
    let mut h = csv("X1");
    h.push(("two_phase_commit", "true".into()));
    load(d.be_addr(), "db", "dup", &hs(&h), b"1,a\n");
    assert_eq!(d.expire_precommitted(), 1);
    assert_eq!(state(&d, "X1"), "ABORTED");
    for l in ["X2", "X3", "X4"] {
        load(d.be_addr(), "db", "dup", &hs(&csv(l)), b"1,a\n");
    }
    std::thread::sleep(Duration::from_millis(60));
    let labels: Vec<String> = d.txns().into_iter().map(|t| t.label).collect();
    assert_eq!(labels, ["X3", "X4"]);
}

#[test]
fn csv_into_duplicate_and_aggregate() {
    let d = start();
    let h = vec![
        ("column_separator", "\\x01".to_string()),
        ("enclose", "'".into()),
    ];
    let v = load(
        d.be_addr(),
        "db",
        "dup",
        &hs(&h),
        b"1\x01'x\x01y'\n2\x01\\N\n",
    );
    assert_eq!(s(&v, "Status"), "Success", "{v}");
    load(d.be_addr(), "db", "dup", &hs(&h), b"1\x01'x\x01y'\n");
    assert_eq!(
        rows(&d, "dup"),
        vec![r(&["1", "x\x01y"]), r(&["1", "x\x01y"]), r(&["2", "NULL"])]
    );

    // AGGREGATE: SUM, REPLACE, MAX; `columns` reorders.
    let h = vec![
        ("column_separator", ",".to_string()),
        ("columns", "k,hi,`total`,last".into()),
    ];
    load(
        d.be_addr(),
        "db",
        "agg",
        &hs(&h),
        b"1,5,10,a\n2,1,1,b\n1,3,5,c\n",
    );
    load(d.be_addr(), "db", "agg", &hs(&h), b"1,9,1,d\n");
    assert_eq!(
        rows(&d, "agg"),
        vec![r(&["1", "16", "d", "9"]), r(&["2", "1", "b", "1"])]
    );
}

#[test]
fn json_into_unique_with_delete_sign_and_sequence() {
    let d = start();
    let by_line = [("format", "json"), ("read_json_by_line", "true")];
    let v = load(
        d.be_addr(),
        "db",
        "uniq",
        &by_line,
        b"{\"k\":1,\"v\":\"a\"}\n{\"k\":2,\"v\":\"b\"}\n{\"k\":1,\"v\":{\"x\": [1, 2]}}\n",
    );
    assert_eq!(s(&v, "Status"), "Success", "{v}");
    assert_eq!(
        rows(&d, "uniq"),
        vec![r(&["1", "{\"x\":[1,2]}"]), r(&["2", "b"])]
    );
    // Delete sign through hidden_columns, and merge_type DELETE.
    let h = [
        ("format", "json"),
        ("strip_outer_array", "true"),
        ("hidden_columns", "__DORIS_DELETE_SIGN__"),
    ];
    load(
        d.be_addr(),
        "db",
        "uniq",
        &h,
        b"[{\"k\":2,\"v\":\"b\",\"__DORIS_DELETE_SIGN__\":1},{\"k\":3,\"v\":null}]",
    );
    assert_eq!(
        rows(&d, "uniq"),
        vec![r(&["1", "{\"x\":[1,2]}"]), r(&["3", "NULL"])]
    );
    let h = [("format", "json"), ("merge_type", "DELETE")];
    load(d.be_addr(), "db", "uniq", &h, b"{\"k\":1}\n");
    assert_eq!(rows(&d, "uniq"), vec![r(&["3", "NULL"])]);

    // Sequence column: a smaller sequence never overwrites.
    load(
        d.be_addr(),
        "db",
        "useq",
        &by_line,
        b"{\"k\":1,\"v\":\"new\",\"s\":5}\n{\"k\":1,\"v\":\"old\",\"s\":3}\n",
    );
    load(
        d.be_addr(),
        "db",
        "useq",
        &by_line,
        b"{\"k\":1,\"v\":\"older\",\"s\":1}\n{\"k\":2,\"v\":\"x\",\"s\":1}\n",
    );
    assert_eq!(
        rows(&d, "useq"),
        vec![r(&["1", "new", "5"]), r(&["2", "x", "1"])]
    );
    load(
        d.be_addr(),
        "db",
        "useq",
        &by_line,
        b"{\"k\":1,\"v\":\"newest\",\"s\":5}\n",
    );
    assert_eq!(rows(&d, "useq")[0], r(&["1", "newest", "5"]));

    // CSV with the delete sign named in `columns` (hidden_columns would be ignored there).
    let h = [
        ("column_separator", ","),
        ("columns", "`k`,`v`,__DORIS_DELETE_SIGN__"),
    ];
    load(d.be_addr(), "db", "uniq", &h, b"5,e,0\n6,f,0\n");
    load(d.be_addr(), "db", "uniq", &h, b"5,e,1\n");
    assert_eq!(rows(&d, "uniq"), vec![r(&["3", "NULL"]), r(&["6", "f"])]);
    // A sequence header for a table without one.
    let v = load(
        d.be_addr(),
        "db",
        "uniq",
        &[("function_column.sequence_col", "k")],
        b"",
    );
    assert!(
        s(&v, "Message").ends_with("There is no sequence column in the table uniq"),
        "{v}"
    );

    // A JSON array without strip_outer_array is a filtered row.
    let v = load(
        d.be_addr(),
        "db",
        "uniq",
        &[("format", "json")],
        b"[{\"k\":9}]\n",
    );
    assert_eq!(
        s(&v, "Message"),
        "[DATA_QUALITY_ERROR]too many filtered rows"
    );
}

fn arrow_body(schema: Schema, cols: Vec<ArrayRef>) -> Vec<u8> {
    let batch = RecordBatch::try_new(Arc::new(schema.clone()), cols).unwrap();
    let mut out = Vec::new();
    let mut w = StreamWriter::try_new(&mut out, &schema).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    drop(w);
    out
}

#[test]
fn arrow_into_each_model() {
    let d = start();
    let schema = Schema::new(vec![
        Field::new("k", DataType::Int32, false),
        Field::new("total", DataType::Int64, true),
        Field::new("last", DataType::Utf8, true),
    ]);
    let body = arrow_body(
        schema.clone(),
        vec![
            Arc::new(Int32Array::from(vec![1, 1, 2])),
            Arc::new(Int64Array::from(vec![Some(2), Some(3), None])),
            Arc::new(StringArray::from(vec![Some("a"), Some("b"), Some("c")])),
        ],
    );
    // Two streams back to back in one body.
    let mut twice = body.clone();
    twice.extend_from_slice(&body);
    let v = load(d.be_addr(), "db", "agg", &[("format", "arrow")], &twice);
    assert_eq!(
        (s(&v, "Status"), v["NumberLoadedRows"].as_i64()),
        ("Success".into(), Some(6)),
        "{v}"
    );
    assert_eq!(
        rows(&d, "agg"),
        vec![r(&["1", "10", "b", "NULL"]), r(&["2", "NULL", "c", "NULL"])]
    );

    // DUPLICATE and UNIQUE from arrow.
    let s2 = Schema::new(vec![
        Field::new("k", DataType::Int32, false),
        Field::new("v", DataType::Utf8, true),
    ]);
    let b2 = arrow_body(
        s2.clone(),
        vec![
            Arc::new(Int32Array::from(vec![1, 1])),
            Arc::new(StringArray::from(vec!["x", "y"])),
        ],
    );
    load(d.be_addr(), "db", "dup", &[("format", "arrow")], &b2);
    load(d.be_addr(), "db", "uniq", &[("format", "arrow")], &b2);
    assert_eq!(rows(&d, "dup"), vec![r(&["1", "x"]), r(&["1", "y"])]);
    assert_eq!(rows(&d, "uniq"), vec![r(&["1", "y"])]);

    // An unknown field fails the load; a wrong width fails it too.
    let bad = Schema::new(vec![Field::new("nope", DataType::Int32, false)]);
    let v = load(
        d.be_addr(),
        "db",
        "dup",
        &[("format", "arrow")],
        &arrow_body(bad, vec![Arc::new(Int32Array::from(vec![1]))]),
    );
    assert!(
        s(&v, "Message").contains("Failed to convert from arrow to block"),
        "{v}"
    );
    let wide = Schema::new(vec![Field::new("k", DataType::Int64, false)]);
    let v = load(
        d.be_addr(),
        "db",
        "dup",
        &[("format", "arrow")],
        &arrow_body(wide, vec![Arc::new(Int64Array::from(vec![1]))]),
    );
    assert_eq!(s(&v, "Status"), "Fail");

    // DATETIME from a timestamp is shown at +08:00, as Doris's arrow reader does; DECIMAL
    // takes the unscaled value; absent columns take their DEFAULT.
    use arrow_array::{Decimal128Array, TimestampMicrosecondArray};
    let ts = Schema::new(vec![
        Field::new("k", DataType::Int32, false),
        Field::new("d", DataType::Decimal128(10, 2), true),
        Field::new(
            "dt",
            DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, None),
            true,
        ),
    ]);
    let body = arrow_body(
        ts,
        vec![
            Arc::new(Int32Array::from(vec![1])),
            Arc::new(
                Decimal128Array::from(vec![12345])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
            Arc::new(TimestampMicrosecondArray::from(vec![1_704_067_200_000_000])),
        ],
    );
    let v = load(d.be_addr(), "db", "typed", &[("format", "arrow")], &body);
    assert_eq!(s(&v, "Status"), "Success", "{v}");
    assert_eq!(
        rows(&d, "typed"),
        vec![r(&["1", "123.45", "2024-01-01 08:00:00", "2024-01-01"])]
    );
}

#[test]
fn filtered_rows_fail_the_load_and_serve_an_error_log() {
    let d = start();
    let h = vec![
        ("column_separator", ",".to_string()),
        ("strict_mode", "true".into()),
        ("label", "F1".into()),
    ];
    let v = load(d.be_addr(), "db", "uniq", &hs(&h), b"1,a\nx,b\n3\n");
    assert_eq!(s(&v, "Status"), "Fail");
    assert_eq!(
        s(&v, "Message"),
        "[DATA_QUALITY_ERROR]too many filtered rows"
    );
    assert_eq!(
        (
            v["NumberTotalRows"].as_i64(),
            v["NumberFilteredRows"].as_i64()
        ),
        (Some(3), Some(2))
    );
    assert_eq!(state(&d, "F1"), "ABORTED");
    let url = s(&v, "ErrorURL");
    let target = url.split_once(&d.be_addr().to_string()).unwrap().1;
    let log = request(d.be_addr(), "GET", target, &[], Body::None)
        .unwrap()
        .text();
    assert!(log.contains("Reason: column(k) value is incorrect while strict mode is true, src value is x. src line [x,b];"), "{log}");
    assert!(
        log.contains("actual column number in csv file is less than schema column number"),
        "{log}"
    );
    // NOT NULL without strict mode, under max_filter_ratio.
    let h = vec![
        ("column_separator", ",".to_string()),
        ("max_filter_ratio", "0.5".into()),
    ];
    let v = load(d.be_addr(), "db", "uniq", &hs(&h), b"1,a\n\\N,b\n");
    assert_eq!(
        (s(&v, "Status"), v["NumberLoadedRows"].as_i64()),
        ("Success".into(), Some(1))
    );
    assert!(v.get("ErrorURL").is_some());
    assert_eq!(rows(&d, "uniq"), vec![r(&["1", "a"])]);
}

fn double_with(faults: &str, seed: u64) -> DorisDouble {
    let mut c = config();
    c.seed = seed;
    c.faults = routinely_doris_double::FaultSpec::parse(faults).unwrap();
    DorisDouble::start(c).unwrap()
}

#[test]
fn each_fault_kind() {
    let a = auth("root", "");
    // http5xx: no effect.
    let d = double_with("http5xx=1", 0);
    let r1 = request(
        d.be_addr(),
        "PUT",
        "/api/db/dup/_stream_load",
        &[
            ("Authorization", &a),
            ("label", "H"),
            ("Expect", "100-continue"),
        ],
        Body::Sized(b"1\ta\n"),
    )
    .unwrap();
    assert!(r1.status == 500 || r1.status == 503);
    let g = request(
        d.fe_addr(),
        "GET",
        "/api/db/get_load_state?label=H",
        &[("Authorization", &a)],
        Body::None,
    )
    .unwrap();
    assert!(g.status >= 500);
    d.set_faults("").unwrap();
    assert_eq!(state(&d, "H"), "UNKNOWN");

    // cut: the connection closes without an answer, the txn is aborted.
    let d = double_with("cut=1", 0);
    let r1 = request(
        d.be_addr(),
        "PUT",
        "/api/db/dup/_stream_load",
        &[
            ("Authorization", &a),
            ("label", "C"),
            ("column_separator", ","),
        ],
        Body::Sized(&b"1,a\n".repeat(1000)),
    );
    assert!(r1.is_err(), "{r1:?}");
    assert_eq!(state(&d, "C"), "ABORTED");
    assert!(rows(&d, "dup").is_empty());

    // lost: the load took effect, the answer is lost.
    let d = double_with("lost=1", 0);
    let h = [
        ("Authorization", a.as_str()),
        ("label", "LO"),
        ("column_separator", ","),
        ("two_phase_commit", "true"),
    ];
    assert!(
        request(
            d.be_addr(),
            "PUT",
            "/api/db/dup/_stream_load",
            &h,
            Body::Sized(b"1,a\n")
        )
        .is_err()
    );
    assert_eq!(state(&d, "LO"), "PRECOMMITTED");
    let h = [
        ("Authorization", a.as_str()),
        ("label", "LO"),
        ("txn_operation", "commit"),
    ];
    assert!(
        request(
            d.be_addr(),
            "PUT",
            "/api/db/_stream_load_2pc",
            &h,
            Body::Sized(b"")
        )
        .is_err()
    );
    assert_eq!(state(&d, "LO"), "VISIBLE");

    // slow.
    let d = double_with("slow=1:150", 0);
    let t0 = Instant::now();
    state(&d, "S");
    assert!(t0.elapsed() >= Duration::from_millis(150));

    // publish_delay: Publish Timeout, COMMITTED, then VISIBLE.
    let d = double_with("publish_delay=1:150", 0);
    let v = load(d.be_addr(), "db", "dup", &hs(&csv("PD")), b"1,a\n");
    assert_eq!(s(&v, "Status"), "Publish Timeout");
    assert_eq!(
        s(&v, "Message"),
        "[PUBLISH_TIMEOUT]transaction commit successfully, BUT data will be visible later"
    );
    assert_eq!(state(&d, "PD"), "COMMITTED");
    assert!(rows(&d, "dup").is_empty());
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(state(&d, "PD"), "VISIBLE");
    assert_eq!(rows(&d, "dup").len(), 1);

    // expire: the commit finds the txn aborted by the precommit timeout.
    let d = double_with("expire=1", 0);
    let mut h = csv("EX");
    h.push(("two_phase_commit", "true".into()));
    load(d.be_addr(), "db", "dup", &hs(&h), b"1,a\n");
    let c = two_pc(
        d.be_addr(),
        "db",
        &[("txn_operation", "commit"), ("label", "EX")],
    );
    assert!(
        s(&c, "msg").ends_with("is already aborted. abort reason: timeout by txn manager"),
        "{c}"
    );

    // Counters.
    let st = get_json(d.fe_addr(), "/_double/stats");
    assert_eq!(st["faults"]["expire"], 1);
    assert_eq!(st["requests"]["be_stream_load"], 1);
}

#[test]
fn faults_are_reproducible_for_a_seed() {
    let outcomes = |seed: u64| {
        let d = double_with("http5xx=0.5", seed);
        let a = auth("root", "");
        (0..24)
            .map(|i| {
                let label = format!("R{i}");
                let h = [
                    ("Authorization", a.as_str()),
                    ("label", label.as_str()),
                    ("column_separator", ","),
                ];
                // Each label twice: the attempt number is part of the decision.
                (0..2)
                    .map(|_| {
                        request(
                            d.be_addr(),
                            "PUT",
                            "/api/db/dup/_stream_load",
                            &h,
                            Body::Sized(b"1,a\n"),
                        )
                        .map(|r| r.status)
                        .unwrap_or(0)
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    let a = outcomes(42);
    assert_eq!(a, outcomes(42));
    assert_ne!(a, outcomes(43));
    let hits = a.iter().flatten().filter(|s| **s >= 500).count();
    assert!((8..=40).contains(&hits), "{hits}");
}

#[test]
fn hooks_schema_and_backends() {
    let d = start();
    load(d.be_addr(), "db", "dup", &hs(&csv("HK")), b"2,b\n1,a\n");
    let v = get_json(d.fe_addr(), "/_double/db/dup/rows");
    assert_eq!(
        v,
        serde_json::json!({"columns":["k","v"],"rows":[["1","a"],["2","b"]]})
    );
    let v = get_json(d.fe_addr(), "/_double/txns");
    assert_eq!(
        v,
        serde_json::json!([{"db":"db","txn_id":1000,"label":"HK","status":"VISIBLE","reason":"","rows":2}])
    );
    let f = request(
        d.fe_addr(),
        "POST",
        "/_double/faults",
        &[],
        Body::Sized(b"http5xx=1"),
    )
    .unwrap();
    assert_eq!(f.json()["faults"], "http5xx=1");
    let f = request(
        d.fe_addr(),
        "POST",
        "/_double/faults",
        &[],
        Body::Sized(b"bogus=1"),
    )
    .unwrap();
    assert_eq!(f.status, 400);
    let f = request(
        d.fe_addr(),
        "POST",
        "/_double/faults",
        &[],
        Body::Sized(b""),
    )
    .unwrap();
    assert_eq!(f.status, 200);
    let f = request(
        d.fe_addr(),
        "POST",
        "/_double/expire",
        &[],
        Body::Sized(b""),
    )
    .unwrap();
    assert_eq!(f.json(), serde_json::json!({"expired": 0}));

    let v = get_json(d.fe_addr(), "/api/db/agg/_schema");
    assert_eq!(v["code"], 0);
    assert_eq!(v["data"]["keysType"], "AGG_KEYS");
    assert_eq!(
        v["data"]["properties"][1],
        serde_json::json!({"name":"total","type":"BIGINT","comment":"","aggregation_type":"SUM"})
    );
    let v = get_json(d.fe_addr(), "/api/db/typed/_schema");
    assert_eq!(v["data"]["properties"][1]["precision"], "10");
    let v = get_json(d.fe_addr(), "/api/db/nope/_schema");
    assert_eq!(v["code"], 1);
    let v = get_json(d.fe_addr(), "/api/backends?is_alive=true");
    assert_eq!(
        v,
        serde_json::json!({"msg":"success","code":0,"data":{"backends":[{"ip":"127.0.0.1","http_port":d.be_addr().port(),"is_alive":true}]},"count":0})
    );
}

#[test]
fn keep_alive_serves_several_requests() {
    use std::io::{BufRead, BufReader, Read, Write};
    let d = start();
    let mut sock = std::net::TcpStream::connect(d.be_addr()).unwrap();
    let a = auth("root", "");
    let mut reader = BufReader::new(sock.try_clone().unwrap());
    for i in 0..3 {
        write!(sock, "PUT /api/db/dup/_stream_load HTTP/1.1\r\nAuthorization: {a}\r\ncolumn_separator: ,\r\nContent-Length: 4\r\n\r\n{i},a\n").unwrap();
        let mut len = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        assert!(String::from_utf8_lossy(&body).contains("\"Success\""));
    }
    assert_eq!(rows(&d, "dup").len(), 3);
}

#[test]
fn the_binary_serves_until_stdin_closes() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_routinely-doris-double"))
        .args(["--table", TABLES[0], "--seed", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let (fe, be) = line.trim().split_once(' ').unwrap();
    let fe: std::net::SocketAddr = fe.strip_prefix("fe=").unwrap().parse().unwrap();
    let be: std::net::SocketAddr = be.strip_prefix("be=").unwrap().parse().unwrap();
    let resp = load_via_fe(fe, "db", "dup", &[("column_separator", ",")], b"1,a\n").unwrap();
    assert_eq!(s(&resp.json(), "Status"), "Success");
    assert_eq!(
        get_json(fe, "/_double/db/dup/rows")["rows"],
        serde_json::json!([["1", "a"]])
    );
    assert_ne!(fe, be);
    drop(child.stdin.take());
    let t0 = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success());
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "did not exit");
        std::thread::sleep(Duration::from_millis(10));
    }
}
