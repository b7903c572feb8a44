//! The control endpoint: a small threaded HTTP/1.1 server over any [`ControlPlane`]
//! (statements, jobs, SLA reports and plots, Prometheus metrics, error logs, the status
//! page), and the blocking client the CLI uses to talk to it ([`call`]).
//!
//! ```text
//!  POST /api/sql                     one statement → {"ok":true,"kind":"rows"|"done",..}
//!  GET  /api/jobs                    the jobs (JSON)
//!  GET  /api/jobs/{name}/sla         ?window=SECONDS → SlaReport (JSON)
//!  GET  /api/jobs/{name}/plot.svg    ?window=SECONDS → latency and lag plot
//!  GET  /api/_load_error_log         ?file=NAME → an error log (text)
//!  GET  /metrics                     Prometheus text format 0.0.4
//!  GET  /                            the status page
//! ```
//!
//! # Security
//!
//! It listens on loopback by default; any other address needs a token, and with a token
//! every request must carry `Authorization: Bearer TOKEN` (or `?token=TOKEN`, for browsers).
//! Without a token, requests must name a loopback `Host` (a web page cannot reach it through
//! DNS rebinding), and a `POST` from a browser must come from the endpoint's own origin (a
//! web page cannot send statements to it).
//!
//! # Connections
//!
//! One thread per connection (at most [`MAX_CONNECTIONS`] at once, the rest answered 503),
//! one request per connection (`Connection: close`), bounded heads and bodies, and read
//! timeouts: a malformed or slow request gets a 4xx or is dropped, never the server.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::control_api::{ControlPlane, JobView, StatementResult};
use crate::metrics::{JobMetrics, render_prometheus};
use crate::progress::now_ms;
use crate::sla::{SlaReport, escape_xml, parse_window, plot_job};

/// Where `routinely serve` listens and the clients connect by default.
pub const DEFAULT_ENDPOINT: &str = "127.0.0.1:8041";
/// The environment variable the clients read the token from when none is given.
pub const TOKEN_ENV: &str = "ROUTINELY_TOKEN";
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 64;
/// The window plots and SLA reports use when a request names none (15 minutes).
pub const DEFAULT_WINDOW_S: u64 = 900;

const MAX_HEAD: usize = 16 * 1024;
const MAX_HEADERS: usize = 64;
const MAX_BODY: usize = 1024 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(10);
const CLIENT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const CLIENT_READ_TIMEOUT: Duration = Duration::from_secs(300);

const STATUS_PAGE: &str = include_str!("status_page.html");

/// Why the endpoint could not start, or a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The address does not resolve.
    #[error("cannot resolve the address `{0}` (expected HOST:PORT)")]
    Address(String),
    /// A non-loopback address without a token.
    #[error(
        "refusing to listen on {0} without a token: only loopback addresses may go without one (give --token or set {TOKEN_ENV})"
    )]
    TokenRequired(SocketAddr),
    /// The listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: io::Error,
    },
    /// The client could not connect.
    #[error(
        "cannot reach the control endpoint at {endpoint} (is `routinely serve` running?): {source}"
    )]
    Connect {
        /// The endpoint.
        endpoint: String,
        /// Why.
        source: io::Error,
    },
    /// The connection failed while talking.
    #[error("control endpoint {endpoint}: {source}")]
    Io {
        /// The endpoint.
        endpoint: String,
        /// Why.
        source: io::Error,
    },
    /// The answer was not HTTP.
    #[error("control endpoint {endpoint} answered something that is not HTTP: {detail}")]
    BadResponse {
        /// The endpoint.
        endpoint: String,
        /// What was wrong.
        detail: String,
    },
}

/// The token to use: the one given, else [`TOKEN_ENV`]'s value; empty means none.
pub fn token_or_env(given: Option<String>) -> Option<String> {
    given
        .or_else(|| std::env::var(TOKEN_ENV).ok())
        .filter(|t| !t.is_empty())
}

/// A running control endpoint; stops when shut down or dropped.
pub struct Endpoint {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

/// What every connection thread shares.
struct Shared {
    plane: Arc<dyn ControlPlane>,
    token: Option<String>,
    active: AtomicUsize,
}

impl Endpoint {
    /// Listens on `addr` (`HOST:PORT`; port 0 picks one) and serves `plane`. A non-loopback
    /// address needs a `token`.
    pub fn start(
        addr: &str,
        token: Option<String>,
        plane: Arc<dyn ControlPlane>,
    ) -> Result<Endpoint, EndpointError> {
        let token = token.filter(|t| !t.is_empty());
        let addrs: Vec<SocketAddr> = addr
            .to_socket_addrs()
            .map_err(|_| EndpointError::Address(addr.to_string()))?
            .collect();
        if addrs.is_empty() {
            return Err(EndpointError::Address(addr.to_string()));
        }
        if token.is_none()
            && let Some(open) = addrs.iter().find(|a| !a.ip().is_loopback())
        {
            return Err(EndpointError::TokenRequired(*open));
        }
        let listener = TcpListener::bind(&addrs[..]).map_err(|source| EndpointError::Bind {
            addr: addr.to_string(),
            source,
        })?;
        let local = listener
            .local_addr()
            .map_err(|source| EndpointError::Bind {
                addr: addr.to_string(),
                source,
            })?;
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            plane,
            token,
            active: AtomicUsize::new(0),
        });
        let accept = {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("routinely-endpoint".into())
                .spawn(move || accept_loop(&listener, &stop, &shared))
                .map_err(|source| EndpointError::Bind {
                    addr: addr.to_string(),
                    source,
                })?
        };
        Ok(Endpoint {
            addr: local,
            stop,
            accept: Some(accept),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections (those being served finish on their own).
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop with a connection of our own.
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        if self.accept.is_some() {
            self.stop_now();
        }
    }
}

fn accept_loop(listener: &TcpListener, stop: &AtomicBool, shared: &Arc<Shared>) {
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut stream) = conn else {
            // Out of descriptors and the like: do not spin.
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        if shared.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            shared.active.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
            let _ = Response::text(503, "too many connections\n").write(&mut stream);
            continue;
        }
        let shared_conn = Arc::clone(shared);
        let spawned = std::thread::Builder::new()
            .name("routinely-endpoint-conn".into())
            .spawn(move || {
                serve_connection(stream, &shared_conn);
                shared_conn.active.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            shared.active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn serve_connection(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    let response = match read_request(&mut stream) {
        Ok(request) => {
            catch_unwind(AssertUnwindSafe(|| handle(&request, shared))).unwrap_or_else(|_| {
                Response::json_error(500, "internal error while serving the request")
            })
        }
        Err(RequestError::Closed) => return,
        Err(RequestError::Bad(status, message)) => Response::text(status, &format!("{message}\n")),
    };
    let _ = response.write(&mut stream);
    let _ = stream.flush();
}

/// A parsed request.
#[derive(Debug)]
struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

enum RequestError {
    /// The peer went away (or sent nothing) before a request: nothing to answer.
    Closed,
    /// Answer with this status and message.
    Bad(u16, String),
}

fn read_request(stream: &mut TcpStream) -> Result<Request, RequestError> {
    let mut reader = BufReader::new(stream.take((MAX_HEAD + MAX_BODY + 1) as u64));
    let mut head_bytes = 0;
    let mut read_line = |reader: &mut BufReader<_>| -> Result<Option<String>, RequestError> {
        let mut line = Vec::new();
        let n = (&mut *reader)
            .take((MAX_HEAD - head_bytes + 1) as u64)
            .read_until(b'\n', &mut line)
            .map_err(|_| RequestError::Closed)?;
        head_bytes += n;
        if n == 0 {
            return Ok(None);
        }
        if head_bytes > MAX_HEAD || !line.ends_with(b"\n") {
            return Err(RequestError::Bad(
                431,
                "request head too large or cut off".into(),
            ));
        }
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        String::from_utf8(line)
            .map(Some)
            .map_err(|_| RequestError::Bad(400, "request head is not UTF-8".into()))
    };
    let Some(request_line) = read_line(&mut reader)? else {
        return Err(RequestError::Closed);
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(RequestError::Bad(400, "malformed request line".into()));
    };
    if !matches!(version, "HTTP/1.0" | "HTTP/1.1") {
        return Err(RequestError::Bad(505, "only HTTP/1.0 and HTTP/1.1".into()));
    }
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(RequestError::Bad(400, "malformed method".into()));
    }
    if !target.starts_with('/') {
        return Err(RequestError::Bad(400, "the target must be a path".into()));
    }
    let mut headers = Vec::new();
    loop {
        let Some(line) = read_line(&mut reader)? else {
            return Err(RequestError::Bad(400, "request head cut off".into()));
        };
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err(RequestError::Bad(431, "too many headers".into()));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(RequestError::Bad(400, "malformed header".into()));
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(RequestError::Bad(400, "malformed header name".into()));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let header = |n: &str| {
        headers
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    if header("transfer-encoding").is_some() {
        return Err(RequestError::Bad(
            501,
            "chunked bodies are not supported; send Content-Length".into(),
        ));
    }
    let length = match header("content-length") {
        None => 0,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| RequestError::Bad(400, "malformed Content-Length".into()))?,
    };
    if length > MAX_BODY {
        return Err(RequestError::Bad(
            413,
            format!("body over {MAX_BODY} bytes"),
        ));
    }
    let mut body = vec![0; length];
    reader
        .read_exact(&mut body)
        .map_err(|_| RequestError::Bad(400, "body shorter than Content-Length".into()))?;
    let (raw_path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let path = percent_decode(raw_path)
        .ok_or_else(|| RequestError::Bad(400, "malformed percent-encoding in the path".into()))?;
    let mut query = Vec::new();
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match (percent_decode_query(k), percent_decode_query(v)) {
            (Some(k), Some(v)) => query.push((k, v)),
            _ => {
                return Err(RequestError::Bad(
                    400,
                    "malformed percent-encoding in the query".into(),
                ));
            }
        }
    }
    Ok(Request {
        method: method.to_string(),
        path,
        query,
        headers,
        body,
    })
}

/// A response to write.
struct Response {
    status: u16,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Response {
    fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    fn text(status: u16, body: &str) -> Response {
        Response::new(status, "text/plain; charset=utf-8", body)
    }

    fn json(status: u16, value: &serde_json::Value) -> Response {
        let mut body = value.to_string();
        body.push('\n');
        Response::new(status, "application/json", body)
    }

    fn json_error(status: u16, message: &str) -> Response {
        Response::json(status, &serde_json::json!({"ok": false, "error": message}))
    }

    fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        out.write_all(head.as_bytes())?;
        out.write_all(&self.body)
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// Compares without an early exit, so timing does not reveal how much of a token matched.
fn same_token(given: &str, token: &str) -> bool {
    let (a, b) = (given.as_bytes(), token.as_bytes());
    let mut diff = u8::from(a.len() != b.len());
    for (i, t) in b.iter().enumerate() {
        diff |= a.get(i).copied().unwrap_or(0) ^ t;
    }
    diff == 0
}

/// Whether a `Host` header names a loopback host.
fn loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks the token (or, without one, that the request comes from this machine's loopback
/// names) and the origin of browser POSTs.
fn authorize(request: &Request, shared: &Shared) -> Result<(), Response> {
    match &shared.token {
        Some(token) => {
            let bearer = request
                .header("authorization")
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            let given = bearer.or_else(|| request.param("token"));
            if !given.is_some_and(|g| same_token(g, token)) {
                return Err(Response::json_error(
                    401,
                    "a token is required: send Authorization: Bearer TOKEN (or ?token=TOKEN)",
                )
                .with_header("WWW-Authenticate", "Bearer realm=\"routinely\""));
            }
        }
        None => {
            if request.header("host").is_some_and(|h| !loopback_host(h)) {
                return Err(Response::json_error(
                    403,
                    "without a token the endpoint answers only requests addressed to a loopback host",
                ));
            }
        }
    }
    if request.method == "POST"
        && let Some(origin) = request.header("origin")
    {
        let own = request
            .header("host")
            .is_some_and(|h| origin == format!("http://{h}") || origin == format!("https://{h}"));
        if !own {
            return Err(Response::json_error(
                403,
                "cross-origin statements are refused",
            ));
        }
    }
    Ok(())
}

fn handle(request: &Request, shared: &Shared) -> Response {
    if let Err(refused) = authorize(request, shared) {
        return refused;
    }
    let plane = shared.plane.as_ref();
    let get = request.method == "GET";
    let wrong_method = |allow: &'static str| {
        Response::json_error(405, &format!("use {allow}")).with_header("Allow", allow)
    };
    let path = request.path.as_str();
    match path {
        "/" | "/index.html" if get => status_page(request, shared),
        "/" | "/index.html" => wrong_method("GET"),
        "/metrics" if get => {
            let jobs = job_metrics(plane);
            Response::new(
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                render_prometheus(&jobs),
            )
        }
        "/metrics" => wrong_method("GET"),
        "/api/sql" if request.method == "POST" => sql(request, plane),
        "/api/sql" => wrong_method("POST"),
        "/api/jobs" if get => Response::json(200, &serde_json::json!(plane.jobs())),
        "/api/jobs" => wrong_method("GET"),
        "/api/_load_error_log" if get => match request.param("file") {
            None | Some("") => Response::json_error(400, "give ?file=NAME"),
            Some(file) => match plane.error_log(file) {
                Some(text) => Response::text(200, &text),
                None => Response::json_error(404, &format!("no error log `{file}`")),
            },
        },
        "/api/_load_error_log" => wrong_method("GET"),
        _ => match path
            .strip_prefix("/api/jobs/")
            .and_then(|p| p.rsplit_once('/'))
        {
            Some((name, action @ ("sla" | "plot.svg"))) if !name.is_empty() => {
                if !get {
                    return wrong_method("GET");
                }
                let window = match request.param("window") {
                    None => DEFAULT_WINDOW_S,
                    Some(w) => match parse_window(w) {
                        Ok(w) => w,
                        Err(e) => return Response::json_error(400, &e.to_string()),
                    },
                };
                let Some(metrics) = plane.metrics(name) else {
                    return Response::json_error(404, &format!("no job `{name}`"));
                };
                if action == "sla" {
                    let report = SlaReport::compute(&metrics, window, now_ms());
                    Response::json(200, &serde_json::json!(report))
                } else {
                    Response::new(200, "image/svg+xml", plot_job(&metrics, window, now_ms()))
                }
            }
            _ => Response::json_error(404, &format!("no route {path}")),
        },
    }
}

/// Every job's metrics, in job order.
fn job_metrics(plane: &dyn ControlPlane) -> Vec<Arc<JobMetrics>> {
    plane
        .jobs()
        .iter()
        .filter_map(|j| plane.metrics(&j.name))
        .collect()
}

fn sql(request: &Request, plane: &dyn ControlPlane) -> Response {
    let Ok(statement) = std::str::from_utf8(&request.body) else {
        return Response::json_error(400, "the statement is not UTF-8");
    };
    let statement = statement.trim();
    if statement.is_empty() {
        return Response::json_error(400, "empty statement: send one statement as the body");
    }
    match plane.execute(statement) {
        Ok(StatementResult::Rows(rows)) => Response::json(
            200,
            &serde_json::json!({"ok": true, "kind": "rows", "columns": rows.columns, "rows": rows.rows}),
        ),
        Ok(StatementResult::Done(message)) => Response::json(
            200,
            &serde_json::json!({"ok": true, "kind": "done", "message": message}),
        ),
        Err(e) => Response::json_error(if e.user_error { 400 } else { 500 }, &e.message),
    }
}

/// Lag per partition as the page shows it: `p0: 12 · p1: ?`.
fn lag_text(job: &JobView) -> String {
    if job.lag.is_empty() {
        return "–".into();
    }
    job.lag
        .iter()
        .map(|(p, l)| {
            if *l < 0 {
                format!("p{p}: ?")
            } else {
                format!("p{p}: {l}")
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn status_page(request: &Request, shared: &Shared) -> Response {
    let plane = shared.plane.as_ref();
    let window = request
        .param("window")
        .and_then(|w| parse_window(w).ok())
        .unwrap_or(DEFAULT_WINDOW_S);
    let jobs = plane.jobs();
    let mut rows = String::new();
    for j in &jobs {
        rows.push_str(&format!(
            "<tr data-source=\"server\"><td>{}</td><td>{}</td><td>{}</td><td class=\"state state-{}\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            j.id,
            escape_xml(&j.name),
            escape_xml(&j.table),
            escape_xml(&j.state),
            escape_xml(&j.state),
            escape_xml(&j.reason),
            j.loaded_rows,
            j.error_rows,
            escape_xml(&lag_text(j)),
        ));
    }
    if jobs.is_empty() {
        rows.push_str("<tr data-source=\"server\"><td colspan=\"8\">no jobs</td></tr>\n");
    }
    let mut charts = String::new();
    let now = now_ms();
    for j in &jobs {
        let svg = plane
            .metrics(&j.name)
            .map(|m| plot_job(&m, window, now))
            .unwrap_or_default();
        charts.push_str(&format!(
            "<section class=\"chart\" data-job=\"{}\"><h2>{}</h2>{svg}</section>\n",
            escape_xml(&j.name),
            escape_xml(&j.name)
        ));
    }
    // The token goes back only to whoever sent it; `</` cannot end the script early.
    let token = match (&shared.token, request.param("token")) {
        (Some(_), Some(t)) => serde_json::Value::String(t.to_string()),
        _ => serde_json::Value::Null,
    };
    let page = STATUS_PAGE
        .replace("{{WINDOW}}", &window.to_string())
        .replace("{{TOKEN}}", &token.to_string().replace("</", "<\\/"))
        .replace("{{JOB_ROWS}}", &rows)
        .replace("{{CHARTS}}", &charts);
    Response::new(200, "text/html; charset=utf-8", page).with_header("X-Frame-Options", "DENY")
}

/// Decodes `%XX` escapes; `None` if malformed or not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn percent_decode_query(text: &str) -> Option<String> {
    percent_decode(&text.replace('+', " "))
}

/// Encodes everything but unreserved characters (`A-Z a-z 0-9 - . _ ~`) as `%XX`, for a
/// path segment or query value.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One blocking HTTP request to a control endpoint (`HOST:PORT`, optionally with
/// `http://`): the status and the body as text.
pub fn call(
    endpoint: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> Result<(u16, String), EndpointError> {
    let host = endpoint
        .trim()
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let io_err = |source| EndpointError::Io {
        endpoint: host.to_string(),
        source,
    };
    let addrs: Vec<SocketAddr> = host
        .to_socket_addrs()
        .map_err(|_| EndpointError::Address(host.to_string()))?
        .collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    let mut stream = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, CLIENT_CONNECT_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = e,
        }
    }
    let Some(mut stream) = stream else {
        return Err(EndpointError::Connect {
            endpoint: host.to_string(),
            source: last,
        });
    };
    stream
        .set_read_timeout(Some(CLIENT_READ_TIMEOUT))
        .map_err(io_err)?;
    let body = body.unwrap_or("");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nUser-Agent: routinely\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        request.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    }
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).map_err(io_err)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(io_err)?;
    let bad = |detail: &str| EndpointError::BadResponse {
        endpoint: host.to_string(),
        detail: detail.to_string(),
    };
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of head"))?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| bad("head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| bad("no status line"))?;
    let mut body = &raw[split + 4..];
    let length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    if let Some(n) = length {
        body = body
            .get(..n)
            .ok_or_else(|| bad("body shorter than Content-Length"))?;
    }
    Ok((status, String::from_utf8_lossy(body).into_owned()))
}

/// The `error` of an endpoint's JSON error body, else the body itself.
pub fn error_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_else(|| body.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_coding_round_trips() {
        assert_eq!(percent_encode("db.job 1/x"), "db.job%201%2Fx");
        assert_eq!(
            percent_decode("db.job%201%2Fx").as_deref(),
            Some("db.job 1/x")
        );
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode_query("a+b").as_deref(), Some("a b"));
    }

    #[test]
    fn hosts_and_tokens() {
        for h in [
            "127.0.0.1:8041",
            "localhost:1",
            "LOCALHOST",
            "[::1]:80",
            "127.9.9.9",
        ] {
            assert!(loopback_host(h), "{h}");
        }
        for h in [
            "evil.example:8041",
            "10.0.0.1",
            "[2001:db8::1]:80",
            "localhost.evil",
        ] {
            assert!(!loopback_host(h), "{h}");
        }
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abd", "abc"));
        assert!(!same_token("ab", "abc"));
        assert!(!same_token("abcd", "abc"));
    }
}
