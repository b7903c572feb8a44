//! The listeners and every endpoint: a thread per connection, keep-alive, routing, and the
//! handlers of the FE port (307 redirects, `get_load_state`, `_schema`, `/api/backends`, the
//! `/_double/` test hooks) and of the BE port (stream load, `_stream_load_2pc`,
//! `_load_error_log`), with the faults of each call rolled before it runs.

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use routinely_schemas::DorisType;
use routinely_schemas::table::KeysType;
use serde_json::{Map, Value, json};

use crate::Shared;
use crate::faults::{FaultKind, Roll, sleep_ms};
use crate::http::{Action, Exchange, Framing, Request, Response, percent_encode, read_request};
use crate::load::{BodyError, decode, parse_options};
use crate::txn::{BeginError, TIMEOUT_REASON, TwoPcOp, TxnRef};

/// Which port a connection arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The FE HTTP port.
    Fe,
    /// The BE webserver port.
    Be,
}

/// Accepts connections until the double stops.
pub(crate) fn accept_loop(listener: TcpListener, role: Role, s: Arc<Shared>) {
    for conn in listener.incoming() {
        if s.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = conn else { continue };
        let s = Arc::clone(&s);
        let _ = std::thread::Builder::new()
            .name(format!("doris-double-{role:?}-conn"))
            .spawn(move || serve_connection(stream, role, &s));
    }
}

/// Waits for the next request's first byte; false when the peer left or the double stops.
fn wait_for_request(r: &mut BufReader<TcpStream>, s: &Shared) -> bool {
    if r.get_ref()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .is_err()
    {
        return false;
    }
    loop {
        match r.fill_buf() {
            Ok(b) => {
                let more = !b.is_empty();
                let _ = r.get_ref().set_read_timeout(Some(Duration::from_secs(300)));
                return more;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if s.stop.load(Ordering::SeqCst) {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
}

fn serve_connection(stream: TcpStream, role: Role, s: &Shared) {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    loop {
        if !wait_for_request(&mut reader, s) {
            return;
        }
        let req = match read_request(&mut reader) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                let resp = Response::text(400, format!("{e}\n"));
                let _ = write_simple(reader.get_mut(), &resp);
                return;
            }
        };
        let mut ex = match Exchange::new(req, &mut reader) {
            Ok(ex) => ex,
            Err(msg) => {
                let _ = write_simple(reader.get_mut(), &Response::text(400, msg));
                return;
            }
        };
        let action = match role {
            Role::Fe => fe(s, &mut ex),
            Role::Be => be(s, &mut ex),
        };
        match action {
            Action::Respond(resp) => {
                if !ex.respond(resp) {
                    return;
                }
            }
            Action::Close => {
                ex.close();
                return;
            }
        }
    }
}

fn write_simple(s: &mut TcpStream, resp: &Response) -> std::io::Result<()> {
    use std::io::Write;
    let head = format!(
        "HTTP/1.1 {} Bad Request\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        resp.status,
        resp.body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(&resp.body)?;
    crate::http::linger_close(s);
    Ok(())
}

/// Compact JSON answer.
fn compact(v: &Value) -> Action {
    Action::Respond(Response::json(v.to_string()))
}

/// Pretty JSON with 4-space indentation, as rapidjson's PrettyWriter prints it.
fn pretty(v: &Value) -> Vec<u8> {
    use serde::Serialize;
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    if v.serialize(&mut ser).is_err() {
        return v.to_string().into_bytes();
    }
    out
}

/// An httpv2 envelope (`ResponseEntityBuilder`).
fn envelope(msg: &str, code: i64, data: Value) -> Action {
    compact(&json!({"msg": msg, "code": code, "data": data, "count": 0}))
}

fn not_found(path: &str) -> Action {
    Action::Respond(Response::text(404, format!("no handler for {path}\n")))
}

/// Rolls `kinds` for one call; runs `slow` and answers `http5xx` here.
fn roll_faults(s: &Shared, identity: &str, kinds: &[FaultKind]) -> Result<Roll, Action> {
    let roll = s.faults.roll(identity, kinds);
    if let Some(ms) = roll.hit(FaultKind::Slow) {
        s.faults.injected(FaultKind::Slow);
        sleep_ms(ms);
    }
    if roll.hit(FaultKind::Http5xx).is_some() {
        s.faults.injected(FaultKind::Http5xx);
        let status = if roll.attempt().is_multiple_of(2) {
            500
        } else {
            503
        };
        return Err(Action::Respond(Response::text(
            status,
            format!("injected fault: HTTP {status} for {identity}\n"),
        )));
    }
    Ok(roll)
}

/// Checks Basic auth; `Err` is the reason.
fn check_auth(s: &Shared, req: &Request) -> Result<(String, String), String> {
    match req.basic_auth() {
        None => Err("Need auth information.".into()),
        Some((u, p)) if u == s.cfg.user && p == s.cfg.password => Ok((u, p)),
        Some((u, p)) => Err(format!(
            "Access denied for user '{u}@{}' (using password: {})",
            s.cfg.host,
            if p.is_empty() { "NO" } else { "YES" }
        )),
    }
}

fn unauthorized(reason: String) -> Action {
    envelope("Unauthorized", 401, Value::String(reason))
}

fn fe_failed(msg: &str) -> Action {
    compact(&json!({"status": "FAILED", "msg": msg}))
}

// ---------------------------------------------------------------------------------------
// FE

fn fe(s: &Shared, ex: &mut Exchange<'_>) -> Action {
    let seg = ex.req.segments();
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    let method = ex.req.method.clone();
    match (method.as_str(), seg.as_slice()) {
        ("PUT", ["api", db, _table, "_stream_load"]) => {
            s.count("fe_stream_load");
            fe_redirect(s, ex, db, false)
        }
        ("PUT", ["api", db, "_stream_load_2pc"]) | ("PUT", ["api", db, _, "_stream_load_2pc"]) => {
            s.count("fe_stream_load_2pc");
            fe_redirect(s, ex, db, true)
        }
        ("GET", ["api", db, "get_load_state"]) => {
            s.count("get_load_state");
            get_load_state(s, &ex.req, db)
        }
        ("GET", ["api", db, table, "_schema"]) => {
            s.count("schema");
            schema(s, &ex.req, db, table)
        }
        ("GET", ["api", "backends"]) => {
            s.count("backends");
            backends(s, &ex.req)
        }
        ("GET", ["api", "_load_error_log"]) => {
            s.count("load_error_log");
            error_log(s, &ex.req)
        }
        (_, ["_double", rest @ ..]) => {
            s.count("double");
            hooks(s, ex, &method, rest)
        }
        _ => {
            s.count("not_found");
            not_found(&ex.req.path)
        }
    }
}

fn fe_redirect(s: &Shared, ex: &mut Exchange<'_>, db: &str, two_pc: bool) -> Action {
    let who = ex
        .req
        .header("label")
        .or(ex.req.header("txn_id"))
        .unwrap_or("")
        .to_string();
    let kind = if two_pc { "fe_2pc" } else { "fe_load" };
    if let Err(a) = roll_faults(
        s,
        &format!("{kind}:{db}:{who}"),
        &[FaultKind::Slow, FaultKind::Http5xx],
    ) {
        return a;
    }
    let (user, password) = match check_auth(s, &ex.req) {
        Ok(c) => c,
        Err(reason) => return unauthorized(reason),
    };
    if two_pc {
        if ex.req.header("txn_operation").is_none_or(str::is_empty) {
            return fe_failed("No transaction operation('commit' or 'abort') selected.");
        }
        if ex.req.header("txn_id").is_none_or(str::is_empty)
            && ex.req.header("label").is_none_or(str::is_empty)
        {
            return fe_failed("No transaction id or label selected.");
        }
    } else if !ex.req.expects_continue() {
        return fe_failed("There is no 100-continue header");
    }
    let location = format!(
        "http://{}:{}@{}:{}{}?{}",
        percent_encode(&user),
        percent_encode(&password),
        s.be_addr.ip(),
        s.be_addr.port(),
        ex.req.path,
        ex.req.query
    );
    Action::Respond(Response {
        status: 307,
        headers: vec![
            ("Location".into(), location),
            ("Content-Type".into(), "text/html;charset=utf-8".into()),
        ],
        body: Vec::new(),
    })
}

fn get_load_state(s: &Shared, req: &Request, db: &str) -> Action {
    let label = req.query_param("label").unwrap_or_default();
    if let Err(a) = roll_faults(
        s,
        &format!("state:{db}:{label}"),
        &[FaultKind::Slow, FaultKind::Http5xx],
    ) {
        return a;
    }
    if let Err(reason) = check_auth(s, req) {
        return unauthorized(reason);
    }
    if label.is_empty() {
        return envelope("Bad Request", 403, json!("No label selected"));
    }
    s.tick();
    let t = s.txns();
    if !t.has_db(db) {
        return envelope(
            "Error",
            1,
            json!(format!(
                "errCode = 2, detailMessage = Unknown database '{db}'"
            )),
        );
    }
    envelope("success", 0, json!(t.load_state(db, &label)))
}

/// The FE's PrimitiveType name of a column type (`_schema`'s `type`).
fn primitive_name(ty: &DorisType) -> &'static str {
    match ty {
        DorisType::Boolean => "BOOLEAN",
        DorisType::TinyInt => "TINYINT",
        DorisType::SmallInt => "SMALLINT",
        DorisType::Int => "INT",
        DorisType::BigInt => "BIGINT",
        DorisType::LargeInt => "LARGEINT",
        DorisType::Float => "FLOAT",
        DorisType::Double => "DOUBLE",
        DorisType::Decimal { precision, .. } => match precision {
            0..=9 => "DECIMAL32",
            10..=18 => "DECIMAL64",
            19..=38 => "DECIMAL128",
            _ => "DECIMAL256",
        },
        DorisType::Date => "DATEV2",
        DorisType::DateTime { .. } => "DATETIMEV2",
        DorisType::Char { .. } => "CHAR",
        DorisType::Varchar { .. } => "VARCHAR",
        DorisType::String => "STRING",
        DorisType::Json => "JSON",
        DorisType::Variant => "VARIANT",
        DorisType::Array(_) => "ARRAY",
        DorisType::Map(..) => "MAP",
        DorisType::Struct(_) => "STRUCT",
        DorisType::Ipv4 => "IPV4",
        DorisType::Ipv6 => "IPV6",
        DorisType::Hll => "HLL",
        DorisType::Bitmap => "BITMAP",
        DorisType::QuantileState => "QUANTILE_STATE",
    }
}

fn schema(s: &Shared, req: &Request, db: &str, table: &str) -> Action {
    if let Err(a) = roll_faults(
        s,
        &format!("schema:{db}:{table}"),
        &[FaultKind::Slow, FaultKind::Http5xx],
    ) {
        return a;
    }
    if let Err(reason) = check_auth(s, req) {
        return unauthorized(reason);
    }
    let t = s.txns();
    if !t.has_db(db) {
        return envelope(
            "Error",
            1,
            json!(format!(
                "errCode = 2, detailMessage = Unknown database '{db}'"
            )),
        );
    }
    let Some(data) = t.table(db, table) else {
        return envelope(
            "Error",
            1,
            json!(format!(
                "errCode = 7, detailMessage = table not found, tableName={table}"
            )),
        );
    };
    let sc = data.schema();
    let props: Vec<Value> = sc
        .columns
        .iter()
        .map(|c| {
            let mut m = Map::new();
            m.insert("name".into(), json!(c.name));
            m.insert("type".into(), json!(primitive_name(&c.ty)));
            if let DorisType::Decimal { precision, scale } = &c.ty {
                m.insert("precision".into(), json!(precision.to_string()));
                m.insert("scale".into(), json!(scale.to_string()));
            }
            m.insert(
                "comment".into(),
                json!(c.comment.clone().unwrap_or_default()),
            );
            m.insert(
                "aggregation_type".into(),
                json!(c.aggregation.map(|a| a.as_sql()).unwrap_or("")),
            );
            Value::Object(m)
        })
        .collect();
    let keys = match sc.keys_type {
        KeysType::Duplicate => "DUP_KEYS",
        KeysType::Unique => "UNIQUE_KEYS",
        KeysType::Aggregate => "AGG_KEYS",
    };
    envelope(
        "success",
        0,
        json!({"status": 200, "tableType": "OLAP", "keysType": keys, "properties": props}),
    )
}

fn backends(s: &Shared, req: &Request) -> Action {
    if let Err(a) = roll_faults(s, "backends", &[FaultKind::Slow, FaultKind::Http5xx]) {
        return a;
    }
    if let Err(reason) = check_auth(s, req) {
        return unauthorized(reason);
    }
    envelope(
        "success",
        0,
        json!({"backends": [{"ip": s.be_addr.ip().to_string(), "http_port": s.be_addr.port(), "is_alive": true}]}),
    )
}

fn error_log(s: &Shared, req: &Request) -> Action {
    let file = req.query_param("file").unwrap_or_default();
    match s.txns().error_log(&file) {
        Some(text) => Action::Respond(Response::text(200, text)),
        None => Action::Respond(Response::text(
            404,
            format!("error log not found: {file}\n"),
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Test hooks

fn hooks(s: &Shared, ex: &mut Exchange<'_>, method: &str, rest: &[&str]) -> Action {
    match (method, rest) {
        ("GET", [db, table, "rows"]) => {
            s.tick();
            match s.txns().rows(db, table) {
                Some((cols, rows)) => compact(&json!({"columns": cols, "rows": rows})),
                None => Action::Respond(Response {
                    status: 404,
                    ..Response::json(
                        json!({"error": format!("unknown table {db}.{table}")}).to_string(),
                    )
                }),
            }
        }
        ("GET", ["txns"]) => {
            s.tick();
            compact(&json!(s.txns().infos()))
        }
        ("POST", ["faults"]) => {
            let mut body = String::new();
            let read = ex
                .body()
                .and_then(|b| b.take(1 << 16).read_to_string(&mut body));
            if read.is_err() {
                return Action::Close;
            }
            match crate::FaultSpec::parse(body.trim()) {
                Ok(spec) => {
                    let text = spec.to_string();
                    s.faults.set_spec(spec);
                    compact(&json!({"faults": text}))
                }
                Err(e) => Action::Respond(Response {
                    status: 400,
                    ..Response::json(json!({"error": e.to_string()}).to_string())
                }),
            }
        }
        ("POST", ["expire"]) => {
            let n = s.txns().expire_precommitted(None, Instant::now());
            compact(&json!({"expired": n}))
        }
        ("GET", ["stats"]) => {
            let requests = s.stats.lock().unwrap_or_else(|e| e.into_inner()).clone();
            compact(&json!({"requests": requests, "faults": s.faults.counts()}))
        }
        _ => not_found(&ex.req.path),
    }
}

// ---------------------------------------------------------------------------------------
// BE

fn be(s: &Shared, ex: &mut Exchange<'_>) -> Action {
    let seg = ex.req.segments();
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    match (ex.req.method.as_str(), seg.as_slice()) {
        ("PUT", ["api", db, table, "_stream_load"]) => {
            s.count("be_stream_load");
            let (db, table) = (db.to_string(), table.to_string());
            stream_load(s, ex, &db, &table)
        }
        ("PUT", ["api", db, "_stream_load_2pc"]) | ("PUT", ["api", db, _, "_stream_load_2pc"]) => {
            s.count("be_stream_load_2pc");
            let db = db.to_string();
            two_pc(s, ex, &db)
        }
        ("GET", ["api", "_load_error_log"]) => {
            s.count("load_error_log");
            error_log(s, &ex.req)
        }
        _ => {
            s.count("not_found");
            not_found(&ex.req.path)
        }
    }
}

/// The stream load response (`StreamLoadContext::to_json`).
struct LoadResp {
    txn_id: i64,
    label: String,
    comment: String,
    two_phase: bool,
    status: &'static str,
    existing: Option<&'static str>,
    message: String,
    total: u64,
    loaded: u64,
    filtered: u64,
    bytes: u64,
    start: Instant,
    begin_ms: u64,
    read_ms: u64,
    commit_ms: u64,
    error_url: Option<String>,
}

impl LoadResp {
    fn to_action(&self) -> Action {
        let mut m = Map::new();
        m.insert("TxnId".into(), json!(self.txn_id));
        m.insert("Label".into(), json!(self.label));
        m.insert("Comment".into(), json!(self.comment));
        m.insert(
            "TwoPhaseCommit".into(),
            json!(if self.two_phase { "true" } else { "false" }),
        );
        m.insert("Status".into(), json!(self.status));
        if let Some(e) = self.existing {
            m.insert("ExistingJobStatus".into(), json!(e));
        }
        m.insert("Message".into(), json!(self.message));
        m.insert("NumberTotalRows".into(), json!(self.total));
        m.insert("NumberLoadedRows".into(), json!(self.loaded));
        m.insert("NumberFilteredRows".into(), json!(self.filtered));
        m.insert("NumberUnselectedRows".into(), json!(0));
        m.insert("LoadBytes".into(), json!(self.bytes));
        m.insert(
            "LoadTimeMs".into(),
            json!(self.start.elapsed().as_millis() as u64),
        );
        m.insert("BeginTxnTimeMs".into(), json!(self.begin_ms));
        m.insert("StreamLoadPutTimeMs".into(), json!(0));
        m.insert("ReadDataTimeMs".into(), json!(self.read_ms));
        m.insert("WriteDataTimeMs".into(), json!(self.read_ms));
        m.insert("ReceiveDataTimeMs".into(), json!(self.read_ms));
        m.insert("CommitAndPublishTimeMs".into(), json!(self.commit_ms));
        if let Some(u) = &self.error_url {
            m.insert("ErrorURL".into(), json!(u));
        }
        let mut body = pretty(&Value::Object(m));
        body.push(b'\n');
        Action::Respond(Response::json(body))
    }

    fn fail(&mut self, message: impl Into<String>) -> Action {
        self.status = "Fail";
        self.message = message.into();
        self.to_action()
    }
}

fn valid_label(l: &str) -> bool {
    (1..=128).contains(&l.len())
        && l.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':'))
}

fn analysis(detail: &str) -> String {
    format!("[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = {detail}")
}

fn stream_load(s: &Shared, ex: &mut Exchange<'_>, db: &str, table: &str) -> Action {
    let start = Instant::now();
    let label = match ex.req.header("label").filter(|l| !l.is_empty()) {
        Some(l) => l.to_string(),
        None => {
            // Doris generates a UUID; this one is unique per server and reproducible.
            let n = s.label_seq.fetch_add(1, Ordering::SeqCst);
            format!("{:08x}-0000-4000-8000-{:012x}", s.be_addr.port(), n)
        }
    };
    let mut res = LoadResp {
        txn_id: -1,
        label: label.clone(),
        comment: ex.req.header("comment").unwrap_or("").to_string(),
        two_phase: ex.req.header("two_phase_commit") == Some("true"),
        status: "Success",
        existing: None,
        message: "OK".into(),
        total: 0,
        loaded: 0,
        filtered: 0,
        bytes: 0,
        start,
        begin_ms: 0,
        read_ms: 0,
        commit_ms: 0,
        error_url: None,
    };
    let roll = match roll_faults(
        s,
        &format!("load:{db}:{label}"),
        &[
            FaultKind::Slow,
            FaultKind::Http5xx,
            FaultKind::Cut,
            FaultKind::Lost,
            FaultKind::PublishDelay,
        ],
    ) {
        Ok(r) => r,
        Err(a) => return a,
    };
    match check_auth(s, &ex.req) {
        Ok(_) => {}
        Err(_) if ex.req.basic_auth().is_none() => {
            return res.fail("[INTERNAL_ERROR]no valid Basic authorization");
        }
        Err(reason) => return res.fail(analysis(&reason)),
    }
    if let Some(f) = ex.req.header("format")
        && !matches!(
            f.to_ascii_lowercase().as_str(),
            "" | "csv" | "csv_with_names" | "csv_with_names_and_types" | "json" | "arrow"
        )
    {
        return res.fail(format!("[INTERNAL_ERROR]unknown data format, format={f}"));
    }
    if !ex.has_content_length() && ex.framing() != Framing::Chunked {
        return res.fail(
            "[INTERNAL_ERROR]content_length is empty and transfer-encoding!=chunked, please set content_length or transfer-encoding=chunked",
        );
    }
    if ex.both_framings {
        return res
            .fail("[INTERNAL_ERROR]please do not set both content_length and transfer-encoding");
    }
    if !valid_label(&label) {
        return res.fail(analysis(&format!(
            "Label format error. regex: ^[-_A-Za-z0-9:]{{1,128}}$, label: {label}"
        )));
    }
    let begin = Instant::now();
    let (txn_id, schema) = {
        let mut t = s.txns();
        if !t.has_db(db) {
            return res.fail(analysis(&format!("Unknown database '{db}'")));
        }
        match t.begin(db, table, &label) {
            Ok(id) => match t.table(db, table) {
                Some(d) => (id, d.schema().clone()),
                None => return res.fail(analysis(&format!("Unknown table '{table}'"))),
            },
            Err(BeginError::UnknownTable(tb)) => {
                return res.fail(analysis(&format!("Unknown table '{tb}'")));
            }
            Err(BeginError::LabelExists { txn_id, status }) => {
                res.status = "Label Already Exists";
                res.existing = Some(status.existing_job_status());
                res.message = format!(
                    "[LABEL_ALREADY_EXISTS]TStatus: errCode = 2, detailMessage = Label [{label}] has already been used, relate to txn [{txn_id}]"
                );
                return res.to_action();
            }
        }
    };
    res.txn_id = txn_id as i64;
    res.begin_ms = begin.elapsed().as_millis() as u64;
    let abort = |reason: &str| {
        s.txns().abort(txn_id, reason, Instant::now());
    };
    let opts = match parse_options(&ex.req, &schema, s.cfg.arrow_json_text) {
        Ok(o) => o,
        Err(m) => {
            abort(&m);
            return res.fail(m);
        }
    };
    if roll.hit(FaultKind::Cut).is_some() {
        s.faults.injected(FaultKind::Cut);
        let half = match ex.framing() {
            Framing::Length(n) => n / 2,
            _ => 32 * 1024,
        };
        if let Ok(body) = ex.body() {
            let _ = std::io::copy(&mut body.take(half), &mut std::io::sink());
        }
        abort("[CANCELLED]connection closed before the whole body was received");
        return Action::Close;
    }
    let read = Instant::now();
    let decoded = match ex.body() {
        Ok(body) => decode(body, &schema, &opts, s.cfg.version.rules()),
        Err(e) => Err(BodyError::Disconnected(e)),
    };
    res.bytes = ex.body_bytes_read();
    res.read_ms = read.elapsed().as_millis() as u64;
    let decoded = match decoded {
        Ok(d) => d,
        Err(BodyError::Disconnected(_)) => {
            abort("[CANCELLED]the client closed the connection before the whole body was received");
            return Action::Close;
        }
        Err(BodyError::Failed(m)) => {
            abort(&m);
            return res.fail(m);
        }
    };
    res.total = decoded.total;
    res.filtered = decoded.filtered;
    res.loaded = decoded.rows.len() as u64;
    if decoded.filtered > 0 {
        let file = s.txns().add_error_log(txn_id, &decoded.errors);
        res.error_url = Some(format!(
            "http://{}/api/_load_error_log?file={file}",
            s.be_addr
        ));
        if decoded.filtered as f64 > opts.max_filter_ratio * decoded.total as f64 {
            let m = "[DATA_QUALITY_ERROR]too many filtered rows";
            abort(m);
            return res.fail(m);
        }
    }
    let delay = match roll.hit(FaultKind::PublishDelay) {
        Some(ms) if !res.two_phase => {
            s.faults.injected(FaultKind::PublishDelay);
            Duration::from_millis(ms)
        }
        _ => Duration::ZERO,
    };
    let commit = Instant::now();
    let done = s.txns().finish_load(
        txn_id,
        decoded.rows,
        opts.sequence_col,
        res.two_phase,
        delay,
        Instant::now(),
    );
    if !res.two_phase {
        res.commit_ms = commit.elapsed().as_millis() as u64;
    }
    if let Err(detail) = done {
        return res.fail(analysis(&detail));
    }
    if delay > Duration::ZERO {
        res.status = "Publish Timeout";
        res.message =
            "[PUBLISH_TIMEOUT]transaction commit successfully, BUT data will be visible later"
                .into();
    }
    if roll.hit(FaultKind::Lost).is_some() {
        s.faults.injected(FaultKind::Lost);
        return Action::Close;
    }
    res.to_action()
}

fn status_json(status: &str, msg: &str) -> Action {
    let mut m = Map::new();
    m.insert("status".into(), json!(status));
    m.insert("msg".into(), json!(msg));
    Action::Respond(Response::json(pretty(&Value::Object(m))))
}

fn two_pc(s: &Shared, ex: &mut Exchange<'_>, db: &str) -> Action {
    let req = &ex.req;
    let label = req
        .header("label")
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    let txn_text = req
        .header("txn_id")
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    let op_text = req.header("txn_operation").unwrap_or("").to_string();
    let who = txn_text.clone().or(label.clone()).unwrap_or_default();
    let roll = match roll_faults(
        s,
        &format!("2pc:{db}:{op_text}:{who}"),
        &[
            FaultKind::Slow,
            FaultKind::Http5xx,
            FaultKind::Lost,
            FaultKind::Expire,
            FaultKind::PublishDelay,
        ],
    ) {
        Ok(r) => r,
        Err(a) => return a,
    };
    let mut msg = String::new();
    if let Some(l) = &label {
        msg.push_str(&format!("label [{l}] "));
    }
    let mut txn_id = None;
    if let Some(t) = &txn_text {
        msg.push_str(&format!("transaction [{t}] "));
        match t.parse::<u64>() {
            Ok(id) => txn_id = Some(id),
            Err(_) => {
                return status_json("INTERNAL_ERROR", &format!("convert txn_id [{t}] failed"));
            }
        }
    }
    msg.push_str(&format!("{op_text} successfully."));
    let op = match op_text.as_str() {
        "commit" => TwoPcOp::Commit,
        "abort" => TwoPcOp::Abort,
        _ => {
            return status_json(
                "INTERNAL_ERROR",
                "transaction operation should be 'commit' or 'abort'",
            );
        }
    };
    match check_auth(s, req) {
        Ok(_) => {}
        Err(_) if req.basic_auth().is_none() => {
            return status_json("INTERNAL_ERROR", "no valid Basic authorization");
        }
        Err(reason) => {
            return status_json(
                "ANALYSIS_ERROR",
                &format!("TStatus: errCode = 2, detailMessage = {reason}"),
            );
        }
    }
    let target = match (txn_id, label) {
        (Some(id), _) => TxnRef::Id(id),
        (None, Some(l)) => TxnRef::Label(l),
        (None, None) => {
            return status_json(
                "ANALYSIS_ERROR",
                "TStatus: errCode = 2, detailMessage = No transaction id or label selected.",
            );
        }
    };
    let now = Instant::now();
    let result = {
        let mut t = s.txns();
        t.publish_due(now);
        match t.resolve(db, op, &target) {
            Err(detail) => Err(detail),
            Ok(id) => {
                if op == TwoPcOp::Commit
                    && roll.hit(FaultKind::Expire).is_some()
                    && t.get(id)
                        .is_some_and(|x| x.status == crate::TxnStatus::Precommitted)
                {
                    s.faults.injected(FaultKind::Expire);
                    t.abort(id, TIMEOUT_REASON, now);
                }
                let delay = match roll.hit(FaultKind::PublishDelay) {
                    Some(ms)
                        if op == TwoPcOp::Commit
                            && t.get(id)
                                .is_some_and(|x| x.status == crate::TxnStatus::Precommitted) =>
                    {
                        s.faults.injected(FaultKind::PublishDelay);
                        Duration::from_millis(ms)
                    }
                    _ => Duration::ZERO,
                };
                t.two_pc(id, op, delay, now)
            }
        }
    };
    if let Err(detail) = result {
        return status_json(
            "ANALYSIS_ERROR",
            &format!("TStatus: errCode = 2, detailMessage = {detail}"),
        );
    }
    if roll.hit(FaultKind::Lost).is_some() {
        s.faults.injected(FaultKind::Lost);
        return Action::Close;
    }
    status_json("Success", &msg)
}
