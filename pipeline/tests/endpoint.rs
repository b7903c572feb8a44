//! The control endpoint over a fake control plane (canned jobs, real `JobMetrics` fed with
//! synthetic epochs): every route, the token rules, malformed requests, `routinely sla`
//! through the binary, and the status page loaded in headless Chromium.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use routinely_operators::dataflow::{PartitionRange, TsSample};
use routinely_operators::row::RowCounts;
use routinely_pipeline::control_api::{ControlPlane, JobView, StatementError, StatementResult};
use routinely_pipeline::endpoint::{Endpoint, EndpointError, call};
use routinely_pipeline::metrics::JobMetrics;
use routinely_pipeline::progress::now_ms;
use routinely_pipeline::runtime::{EpochReport, RunObserver};
use routinely_pipeline::show::ResultSet;
use routinely_pipeline::sla::SlaReport;

mod common;

/// Two jobs; the second's reason counts how often the jobs were listed, so a page can show
/// that it asked again.
struct FakePlane {
    clicks: Arc<JobMetrics>,
    orders: Arc<JobMetrics>,
    views: AtomicU64,
}

impl FakePlane {
    fn new() -> FakePlane {
        let clicks = Arc::new(JobMetrics::new("db.clicks"));
        clicks.set_state("RUNNING");
        feed(&clicks, now_ms());
        clicks.set_lag(&BTreeMap::from([(0, 12), (1, 3)]));
        let orders = Arc::new(JobMetrics::new("db.orders"));
        orders.set_state("PAUSED");
        orders.set_lag(&BTreeMap::from([(0, 4242)]));
        FakePlane {
            clicks,
            orders,
            views: AtomicU64::new(0),
        }
    }
}

/// 30 epochs, one every 10 s up to `now`: 10 messages each, 1..=10 s old when visible;
/// epoch i commits in 100 + i ms.
fn feed(m: &JobMetrics, now: i64) {
    for i in 0..30_i64 {
        let t = now - 290_000 + i * 10_000;
        let mut ts_sample = TsSample::default();
        for k in (1..=10).rev() {
            ts_sample.offer(t - 1_000 * k);
        }
        m.epoch_decided(i as u64, 1);
        m.epoch_committed(&EpochReport {
            epoch: i as u64,
            counts: RowCounts {
                total: 10,
                loaded: 9,
                filtered: 1,
                unselected: 0,
                messages: 10,
                bytes: 1000,
            },
            ranges: vec![PartitionRange {
                partition: 0,
                start: i * 10,
                end: i * 10 + 10,
                messages: 10,
                bytes: 1000,
                max_timestamp_ms: Some(t - 1_000),
                ts_sample,
            }],
            decided_at_ms: t - 100 - i,
            visible_at_ms: t,
            commit_ms: 100.0 + i as f64,
        });
    }
}

impl ControlPlane for FakePlane {
    fn execute(&self, statement: &str) -> Result<StatementResult, StatementError> {
        let upper = statement.to_ascii_uppercase();
        if upper.starts_with("SHOW ROUTINE LOAD") {
            Ok(StatementResult::Rows(ResultSet {
                columns: vec!["Name".into(), "State".into(), "OtherMsg".into()],
                rows: vec![vec![Some("clicks".into()), Some("RUNNING".into()), None]],
            }))
        } else if upper.starts_with("PAUSE ROUTINE LOAD") {
            Ok(StatementResult::Done("paused clicks".into()))
        } else if upper == "BOOM" {
            Err(StatementError::internal("the host fell over"))
        } else if upper == "PANIC" {
            panic!("a control plane that panics");
        } else {
            Err(StatementError::user(format!(
                "syntax error near `{statement}`"
            )))
        }
    }

    fn jobs(&self) -> Vec<JobView> {
        let n = self.views.fetch_add(1, Ordering::SeqCst) + 1;
        let view = |id, m: &JobMetrics, table: &str, reason: String| JobView {
            id,
            name: m.name.clone(),
            table: table.into(),
            state: m.state(),
            reason,
            progress: BTreeMap::from([(0, 300)]),
            lag: m.lag(),
            loaded_rows: m.loaded_rows(),
            error_rows: m.filtered_rows(),
            unselected_rows: m.unselected_rows(),
            committed_epochs: m.committed_epochs(),
            error_log_urls: vec![],
        };
        vec![
            view(1, &self.clicks, "clicks_tbl", String::new()),
            view(
                2,
                &self.orders,
                "orders_tbl",
                format!("paused by user (view #{n})"),
            ),
        ]
    }

    fn metrics(&self, job: &str) -> Option<Arc<JobMetrics>> {
        [&self.clicks, &self.orders]
            .into_iter()
            .find(|m| m.name == job || m.name.strip_prefix("db.") == Some(job))
            .cloned()
    }

    fn error_log(&self, file: &str) -> Option<String> {
        (file == "error_log_1").then(|| "Reason: column count mismatch. src line [a,b]\n".into())
    }
}

fn start(token: Option<&str>) -> (Endpoint, Arc<FakePlane>) {
    let plane = Arc::new(FakePlane::new());
    let endpoint = Endpoint::start(
        "127.0.0.1:0",
        token.map(str::to_string),
        Arc::clone(&plane) as Arc<dyn ControlPlane>,
    )
    .expect("start the endpoint");
    (endpoint, plane)
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Sends raw bytes; the whole answer.
fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    s.write_all(bytes).expect("send");
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn every_route_answers() {
    let (endpoint, _plane) = start(None);
    let addr = endpoint.local_addr().to_string();
    let get = |path: &str| call(&addr, "GET", path, None, None).expect("call");
    let sql =
        |statement: &str| call(&addr, "POST", "/api/sql", Some(statement), None).expect("call");

    // Statements: rows, done, user error, internal error, empty, a panicking plane.
    let (status, body) = sql("SHOW ROUTINE LOAD");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(&body),
        serde_json::json!({"ok": true, "kind": "rows", "columns": ["Name", "State", "OtherMsg"],
            "rows": [["clicks", "RUNNING", null]]})
    );
    let (status, body) = sql("PAUSE ROUTINE LOAD FOR clicks");
    assert_eq!(
        (status, json(&body)),
        (
            200,
            serde_json::json!({"ok": true, "kind": "done", "message": "paused clicks"})
        )
    );
    let (status, body) = sql("SELEKT 1");
    assert_eq!(status, 400);
    assert_eq!(json(&body)["ok"], false);
    assert_eq!(json(&body)["error"], "syntax error near `SELEKT 1`");
    assert_eq!(sql("BOOM").0, 500);
    assert_eq!(sql("  ").0, 400);
    assert_eq!(sql("PANIC").0, 500);
    assert_eq!(get("/api/sql").0, 405);

    // Jobs.
    let (status, body) = get("/api/jobs");
    assert_eq!(status, 200);
    let jobs = json(&body);
    assert_eq!(jobs[0]["name"], "db.clicks");
    assert_eq!(jobs[0]["loaded_rows"], 270);
    assert_eq!(jobs[0]["lag"]["0"], 12);
    assert_eq!(jobs[1]["state"], "PAUSED");

    // SLA: the last 5 minutes hold all 30 epochs.
    let (status, body) = get("/api/jobs/db.clicks/sla?window=600");
    assert_eq!(status, 200, "{body}");
    let report: SlaReport = serde_json::from_str(&body).expect("an SlaReport");
    assert_eq!(report.job, "db.clicks");
    assert_eq!(report.window_s, 600);
    assert_eq!(report.commit.count, 30);
    assert_eq!(report.commit.max_ms, 129.0);
    assert_eq!(report.ingest_to_visible.count, 300);
    assert_eq!(report.ingest_to_visible.max_ms, 10_000.0);
    assert_eq!(report.total_lag, Some(15));
    // A short name works too; a window in minutes; the default window.
    assert_eq!(get("/api/jobs/clicks/sla?window=15m").0, 200);
    assert_eq!(get("/api/jobs/db.clicks/sla").0, 200);
    assert_eq!(get("/api/jobs/db.clicks/sla?window=soon").0, 400);
    assert_eq!(get("/api/jobs/db.nope/sla").0, 404);
    assert_eq!(
        call(&addr, "POST", "/api/jobs/db.clicks/sla", Some("x"), None)
            .expect("call")
            .0,
        405
    );

    // Plot.
    let (status, svg) = get("/api/jobs/db.clicks/plot.svg?window=600");
    assert_eq!(status, 200);
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains("db.clicks — latency and lag, last 10m"));
    assert!(svg.contains("<polyline"));

    // Metrics.
    let (status, text) = get("/metrics");
    assert_eq!(status, 200);
    for line in [
        "routinely_rows_loaded_total{job=\"db.clicks\"} 270",
        "routinely_rows_filtered_total{job=\"db.clicks\"} 30",
        "routinely_received_bytes_total{job=\"db.clicks\"} 30000",
        "routinely_committed_epochs_total{job=\"db.clicks\"} 30",
        "routinely_partition_lag{job=\"db.clicks\",partition=\"1\"} 3",
        "routinely_partition_lag{job=\"db.orders\",partition=\"0\"} 4242",
        "routinely_epochs_in_flight{job=\"db.clicks\"} 0",
        "routinely_job_state{job=\"db.orders\",state=\"PAUSED\"} 1",
        "routinely_job_state{job=\"db.orders\",state=\"RUNNING\"} 0",
        "routinely_epoch_commit_latency_seconds_count{job=\"db.clicks\"} 30",
        "routinely_epoch_commit_latency_seconds_bucket{job=\"db.clicks\",le=\"0.25\"} 30",
        "routinely_ingest_to_visible_seconds_count{job=\"db.clicks\"} 300",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
    let head = raw(
        endpoint.local_addr(),
        b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    );
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4"),
        "{head}"
    );

    // Error logs.
    let (status, text) = get("/api/_load_error_log?file=error_log_1");
    assert_eq!(status, 200);
    assert!(text.contains("column count mismatch"));
    assert_eq!(get("/api/_load_error_log?file=nope").0, 404);
    assert_eq!(get("/api/_load_error_log").0, 400);

    // The page, server-rendered.
    let (status, page) = get("/");
    assert_eq!(status, 200);
    for needle in [
        "db.clicks",
        "db.orders",
        "RUNNING",
        "PAUSED",
        "p0: 12 · p1: 3",
        "p0: 4242",
        "<svg",
        "clicks_tbl",
    ] {
        assert!(page.contains(needle), "page lacks {needle}");
    }

    assert_eq!(get("/nope").0, 404);
    assert_eq!(get("/api/jobs/db.clicks/other").0, 404);
    endpoint.shutdown();
}

#[test]
fn a_token_guards_every_route() {
    let (endpoint, _plane) = start(Some("s3cret"));
    let addr = endpoint.local_addr().to_string();
    for path in [
        "/",
        "/api/jobs",
        "/metrics",
        "/api/jobs/db.clicks/sla",
        "/api/jobs/db.clicks/plot.svg",
    ] {
        let (status, body) = call(&addr, "GET", path, None, None).expect("call");
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(
            call(&addr, "GET", path, None, Some("wrong"))
                .expect("call")
                .0,
            401,
            "{path}"
        );
        assert_eq!(
            call(&addr, "GET", path, None, Some("s3cret"))
                .expect("call")
                .0,
            200,
            "{path}"
        );
    }
    assert_eq!(
        call(&addr, "POST", "/api/sql", Some("SHOW ROUTINE LOAD"), None)
            .expect("call")
            .0,
        401
    );
    assert_eq!(
        call(
            &addr,
            "POST",
            "/api/sql",
            Some("SHOW ROUTINE LOAD"),
            Some("s3cret")
        )
        .expect("call")
        .0,
        200
    );
    // Browsers pass it in the query; the page hands it to its own script.
    let (status, page) = call(&addr, "GET", "/?token=s3cret", None, None).expect("call");
    assert_eq!(status, 200);
    assert!(page.contains("const TOKEN = \"s3cret\";"));
    assert_eq!(
        call(&addr, "GET", "/api/jobs?token=s3cre", None, None)
            .expect("call")
            .0,
        401
    );
    let answer = raw(endpoint.local_addr(), b"GET /api/jobs HTTP/1.1\r\n\r\n");
    assert!(answer.contains("WWW-Authenticate: Bearer"), "{answer}");
}

#[test]
fn non_loopback_needs_a_token() {
    let plane: Arc<dyn ControlPlane> = Arc::new(FakePlane::new());
    match Endpoint::start("0.0.0.0:0", None, Arc::clone(&plane)) {
        Err(e @ EndpointError::TokenRequired(_)) => {
            assert!(e.to_string().contains("without a token"), "{e}");
        }
        Err(e) => panic!("expected TokenRequired, got {e}"),
        Ok(_) => panic!("listening on 0.0.0.0 without a token"),
    }
    assert!(matches!(
        Endpoint::start("0.0.0.0:0", Some(String::new()), Arc::clone(&plane)),
        Err(EndpointError::TokenRequired(_))
    ));
    assert!(matches!(
        Endpoint::start("no-such-host.invalid:1", None, Arc::clone(&plane)),
        Err(EndpointError::Address(_))
    ));
    let open = Endpoint::start("0.0.0.0:0", Some("t".into()), plane).expect("with a token");
    let port = open.local_addr().port();
    let (status, _) = call(
        &format!("127.0.0.1:{port}"),
        "GET",
        "/api/jobs",
        None,
        Some("t"),
    )
    .expect("call");
    assert_eq!(status, 200);
    drop(open);
    // Dropped: nothing listens any more.
    assert!(matches!(
        call(&format!("127.0.0.1:{port}"), "GET", "/", None, Some("t")),
        Err(EndpointError::Connect { .. })
    ));
}

#[test]
fn malformed_requests_get_errors_not_a_crash() {
    let (endpoint, _plane) = start(None);
    let addr = endpoint.local_addr();
    let status = |answer: &str| -> u16 {
        answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {answer:?}"))
    };
    let cases: Vec<(Vec<u8>, u16)> = vec![
        (b"hello\r\n\r\n".to_vec(), 400),
        (b"GET / HTTP/2.0\r\n\r\n".to_vec(), 505),
        (b"get / HTTP/1.1\r\n\r\n".to_vec(), 400),
        (b"GET nope HTTP/1.1\r\n\r\n".to_vec(), 400),
        (b"GET /%zz HTTP/1.1\r\n\r\n".to_vec(), 400),
        (b"GET /api/jobs?window=%G1 HTTP/1.1\r\n\r\n".to_vec(), 400),
        (b"GET / HTTP/1.1\r\nno colon\r\n\r\n".to_vec(), 400),
        (b"POST /api/sql HTTP/1.1\r\nContent-Length: ten\r\n\r\n".to_vec(), 400),
        (b"POST /api/sql HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n".to_vec(), 413),
        (b"POST /api/sql HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(), 501),
        (b"POST /api/sql HTTP/1.1\r\nContent-Length: 10\r\n\r\nSHOW".to_vec(), 400),
        (b"POST /api/sql HTTP/1.1\r\nContent-Length: 2\r\n\r\n\xff\xfe".to_vec(), 400),
        ([b"GET / HTTP/1.1\r\nX: ".to_vec(), vec![b'a'; 20_000], b"\r\n\r\n".to_vec()].concat(), 431),
        ([b"GET / HTTP/1.1\r\n".to_vec(), b"X: y\r\n".repeat(100), b"\r\n".to_vec()].concat(), 431),
        // Without a token: only loopback Host names, and no cross-origin statements.
        (b"GET /api/jobs HTTP/1.1\r\nHost: attacker.example\r\n\r\n".to_vec(), 403),
        (b"POST /api/sql HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://attacker.example\r\nContent-Length: 4\r\n\r\nBOOM".to_vec(), 403),
        (b"DELETE /api/jobs HTTP/1.1\r\n\r\n".to_vec(), 405),
    ];
    for (request, expected) in cases {
        let answer = raw(addr, &request);
        assert_eq!(
            status(&answer),
            expected,
            "{:?} → {answer}",
            String::from_utf8_lossy(&request[..request.len().min(80)])
        );
    }
    // Connections that send nothing or half a head, then go away.
    drop(TcpStream::connect(addr).expect("connect"));
    let mut half = TcpStream::connect(addr).expect("connect");
    half.write_all(b"GET / HT").expect("send");
    drop(half);
    // Still serving.
    assert_eq!(
        call(&addr.to_string(), "GET", "/api/jobs", None, None)
            .expect("call")
            .0,
        200
    );
    // A same-origin POST (what the page would send) is fine.
    let own = raw(
        addr,
        format!("POST /api/sql HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nContent-Length: 17\r\n\r\nSHOW ROUTINE LOAD").as_bytes(),
    );
    assert_eq!(status(&own), 200, "{own}");
}

#[test]
fn sla_command_prints_the_report_and_writes_the_plot() {
    let (endpoint, _plane) = start(Some("tok"));
    let addr = endpoint.local_addr().to_string();
    let dir = common::scratch("endpoint", "sla");
    let plot = dir.join("clicks.svg");
    let out = Command::new(common::BIN)
        .args([
            "sla",
            "db.clicks",
            "--endpoint",
            &addr,
            "--window",
            "10m",
            "--plot",
        ])
        .arg(&plot)
        .env("ROUTINELY_TOKEN", "tok")
        .output()
        .expect("run routinely sla");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("SLA of db.clicks (RUNNING) over the last 10m"),
        "{stdout}"
    );
    assert!(stdout.contains("ingest → visible"), "{stdout}");
    assert!(stdout.contains("lag 15 messages (p0 12, p1 3)"), "{stdout}");
    let svg = std::fs::read_to_string(&plot).expect("the plot");
    assert!(svg.starts_with("<svg") && svg.contains("db.clicks"));

    let out = Command::new(common::BIN)
        .args([
            "sla",
            "clicks",
            "--endpoint",
            &addr,
            "--token",
            "tok",
            "--window",
            "900",
            "--json",
        ])
        .env_remove("ROUTINELY_TOKEN")
        .output()
        .expect("run routinely sla");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: SlaReport = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!((report.window_s, report.commit.count), (900, 30));

    // No token, an unknown job, a bad window, no endpoint: clear messages.
    let run = |args: &[&str]| {
        let out = Command::new(common::BIN)
            .args(args)
            .env_remove("ROUTINELY_TOKEN")
            .output()
            .expect("run routinely sla");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["sla", "clicks", "--endpoint", &addr]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("token is required"), "{err}");
    let (code, err) = run(&["sla", "nope", "--endpoint", &addr, "--token", "tok"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no job `nope`"), "{err}");
    let (code, err) = run(&["sla", "clicks", "--window", "soon"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("invalid window"), "{err}");
    drop(endpoint);
    let (code, err) = run(&["sla", "clicks", "--endpoint", &addr, "--token", "tok"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("cannot reach the control endpoint"), "{err}");
}

/// Debian's `chromium` (or `chromium-browser`).
fn chromium() -> String {
    for name in ["chromium", "chromium-browser"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return name.to_string();
        }
    }
    panic!(
        "the status page test needs headless Chromium: install Debian's `chromium` package \
         (sudo apt-get install -y chromium; scripts/deps.sh does it)"
    );
}

#[test]
fn status_page_in_headless_chromium() {
    let browser = chromium();
    let (endpoint, plane) = start(Some("page-token"));
    let url = format!("http://{}/?token=page-token", endpoint.local_addr());
    let profile = common::scratch("endpoint", "chromium-profile");
    let out = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(&url)
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && !dom.is_empty(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Server-rendered and refreshed alike.
    for needle in [
        "db.clicks",
        "db.orders",
        "clicks_tbl",
        "RUNNING",
        "PAUSED",
        "p0: 12 · p1: 3",
        "p0: 4242",
        "<svg",
        "db.clicks — latency and lag",
        "<polyline",
    ] {
        assert!(dom.contains(needle), "the page lacks {needle}:\n{dom}");
    }
    // Only the script's refresh puts these in: rows and charts marked live, the refresh
    // time, and a later listing of the jobs than the one the server rendered (view #1).
    assert!(
        dom.contains("data-source=\"live\""),
        "no refreshed rows:\n{dom}"
    );
    assert!(
        !dom.contains("data-source=\"server\""),
        "rows not replaced:\n{dom}"
    );
    assert!(
        dom.contains("<div id=\"updated\">live: refreshed at"),
        "the refresh did not finish:\n{dom}"
    );
    let views = plane.views.load(Ordering::SeqCst);
    assert!(
        views >= 2,
        "the page never asked for /api/jobs ({views} listings)"
    );
    assert!(
        (2..=views).any(|n| dom.contains(&format!("paused by user (view #{n})"))),
        "the refreshed reason is missing:\n{dom}"
    );
}
