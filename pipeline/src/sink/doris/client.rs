//! Doris's HTTP API as the sink uses it (doris-spec.md §7): Stream Load requests and the
//! reading of their answers, 2PC commit and abort, `get_load_state`, `_schema`. Every call
//! goes to the FE's HTTP port and follows its 307 to a BE with the credentials kept.
//!
//! Answers are classified, never compared byte for byte: a Stream Load is [`LoadOutcome`]
//! (pre-committed with its txn id, the label already taken, or failed — retryable or not),
//! a 2PC call is [`TxnOutcome`] (done, already done, lost because Doris aborted the
//! transaction, unknown, or failed).

use std::time::Duration;

use serde_json::Value;

use super::http::{BodyWriter, HttpError, Request, Response, Timeouts, Url, basic_auth};

/// Where Doris is and who we are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DorisTarget {
    /// The FE's `host:port` (its HTTP port).
    pub fe: String,
    /// User.
    pub user: String,
    /// Password.
    pub password: String,
}

impl DorisTarget {
    /// Parses `doris://USER[:PASSWORD]@HOST:HTTP_PORT`; without a password in the URL, the
    /// password is `password` (from `ROUTINELY_DORIS_PASSWORD`), else empty.
    pub fn parse(spec: &str, password: Option<String>) -> Result<DorisTarget, String> {
        let bad = || {
            format!(
                "sink `{}`: expected doris://USER[:PASSWORD]@HOST:HTTP_PORT",
                redact(spec)
            )
        };
        let rest = spec.strip_prefix("doris://").ok_or_else(bad)?;
        let rest = rest.trim_end_matches('/');
        let (info, host) = rest.rsplit_once('@').ok_or_else(bad)?;
        let (user, pw) = match info.split_once(':') {
            Some((u, p)) => (u.to_string(), Some(p.to_string())),
            None => (info.to_string(), None),
        };
        let (h, port) = host.rsplit_once(':').ok_or_else(bad)?;
        if user.is_empty() || h.is_empty() || port.parse::<u16>().is_err() {
            return Err(bad());
        }
        Ok(DorisTarget {
            fe: host.to_string(),
            user,
            password: pw.or(password).unwrap_or_default(),
        })
    }
}

/// The sink's text with any password replaced by `***` (for messages and logs).
pub fn redact(spec: &str) -> String {
    if let Some(rest) = spec.strip_prefix("doris://")
        && let Some((info, host)) = rest.rsplit_once('@')
        && let Some((user, _)) = info.split_once(':')
    {
        return format!("doris://{user}:***@{host}");
    }
    spec.to_string()
}

impl std::fmt::Display for DorisTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "doris://{}@{}", self.user, self.fe)
    }
}

/// A Doris API failure that is not an answer (transport) or an answer we cannot use.
#[derive(Debug, thiserror::Error)]
pub enum DorisError {
    /// Could not talk to Doris; the call may or may not have taken effect.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// Doris answered with an HTTP status other than 200 / 307.
    #[error("{url}: HTTP {status}: {body}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The body, shortened.
        body: String,
    },
    /// Doris answered 200 with a body we cannot read.
    #[error("{url}: unreadable answer `{body}`")]
    Body {
        /// The URL.
        url: String,
        /// The body, shortened.
        body: String,
    },
    /// Doris refused the call in a way no retry changes (authentication, a missing table...).
    #[error("{0}")]
    Refused(String),
}

impl DorisError {
    /// Whether trying again may succeed.
    pub fn retryable(&self) -> bool {
        !matches!(self, DorisError::Refused(_))
    }
}

/// The answer to a Stream Load.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadOutcome {
    /// The transaction is PRECOMMITTED (2PC) with this id.
    Precommitted {
        /// `TxnId`.
        txn_id: i64,
        /// `NumberLoadedRows`.
        loaded: u64,
        /// `NumberFilteredRows`.
        filtered: u64,
    },
    /// The label is taken: `ExistingJobStatus` and the txn id from "relate to txn [N]".
    LabelExists {
        /// `RUNNING`, `PRECOMMITTED` or `FINISHED`.
        status: String,
        /// The transaction the label belongs to, when Doris says.
        txn_id: Option<i64>,
    },
    /// Nothing was loaded.
    Failed {
        /// Doris's message.
        message: String,
        /// Whether the same load may succeed later.
        retryable: bool,
    },
}

/// The answer to a 2PC commit or abort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnOutcome {
    /// Done now.
    Done,
    /// Already in the wanted state (committed or visible for a commit, aborted for an abort).
    AlreadyDone,
    /// A commit found the transaction aborted (the precommit timeout, or a failed load).
    Aborted(String),
    /// Doris does not know the transaction (or label).
    NotFound(String),
    /// Any other refusal.
    Failed(String),
}

/// A transaction's state from `get_load_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnState {
    /// Doris does not know the label (never used, or expired).
    Unknown,
    /// Loading.
    Prepare,
    /// Loaded, waiting for 2PC.
    Precommitted,
    /// Committed, not yet visible.
    Committed,
    /// Visible.
    Visible,
    /// Aborted.
    Aborted,
}

/// A column of `_schema`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaColumn {
    /// Name.
    pub name: String,
    /// Doris's type name as `_schema` spells it.
    pub ty: String,
}

/// The sink's connection to one table of one database.
#[derive(Debug, Clone)]
pub struct DorisClient {
    target: DorisTarget,
    auth: String,
    /// Database.
    pub db: String,
    /// Table.
    pub table: String,
    /// Timeouts of every call.
    pub timeouts: Timeouts,
}

/// Messages of a Stream Load failure that no retry changes.
const FATAL_LOAD: &[&str] = &[
    "DATA_QUALITY_ERROR",
    "too many filtered rows",
    "ANALYSIS_ERROR",
    "unknown data format",
    "no valid Basic authorization",
    "Unauthorized",
    "Access denied",
    "Label format error",
    "Invalid",
    "unknown table",
    "Unknown table",
    "does not exist",
    "not supported",
    "unsupported",
];

impl DorisClient {
    /// A client of `db.table` at `target`.
    pub fn new(target: DorisTarget, db: &str, table: &str) -> DorisClient {
        let auth = basic_auth(&target.user, &target.password);
        DorisClient {
            target,
            auth,
            db: db.to_string(),
            table: table.to_string(),
            timeouts: Timeouts::default(),
        }
    }

    /// The target.
    pub fn target(&self) -> &DorisTarget {
        &self.target
    }

    fn url(&self, path: String) -> Url {
        Url {
            authority: self.target.fe.clone(),
            path,
            credentials: None,
        }
    }

    fn request(
        &self,
        method: &'static str,
        path: String,
        headers: Vec<(String, String)>,
    ) -> Request {
        Request {
            method,
            url: self.url(path),
            headers,
            auth: self.auth.clone(),
        }
    }

    /// Opens a Stream Load of this table with `headers` (label, format, ...); the body goes
    /// to the returned writer. `length`: the body's size, or `None` for a chunked body.
    pub fn open_load(
        &self,
        headers: Vec<(String, String)>,
        length: Option<usize>,
    ) -> Result<BodyWriter, DorisError> {
        let path = format!("/api/{}/{}/_stream_load", self.db, self.table);
        Ok(self
            .request("PUT", path, headers)
            .open(length, self.timeouts)?)
    }

    /// Reads a Stream Load's answer.
    pub fn load_outcome(resp: &Response) -> Result<LoadOutcome, DorisError> {
        let v = json_body(resp, "stream load")?;
        if let Some(status) = v.get("Status").and_then(Value::as_str) {
            let message = v
                .get("Message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            return Ok(match status {
                "Success" | "Publish Timeout" => LoadOutcome::Precommitted {
                    txn_id: v.get("TxnId").and_then(Value::as_i64).unwrap_or(-1),
                    loaded: v
                        .get("NumberLoadedRows")
                        .and_then(Value::as_u64)
                        .unwrap_or(0),
                    filtered: v
                        .get("NumberFilteredRows")
                        .and_then(Value::as_u64)
                        .unwrap_or(0),
                },
                "Label Already Exists" => LoadOutcome::LabelExists {
                    status: v
                        .get("ExistingJobStatus")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    txn_id: related_txn(&message),
                },
                _ => {
                    let retryable = !FATAL_LOAD.iter().any(|f| message.contains(f));
                    let message = match v.get("ErrorURL").and_then(Value::as_str) {
                        Some(url) => format!("{message} (error rows: {url})"),
                        None => message,
                    };
                    LoadOutcome::Failed { message, retryable }
                }
            });
        }
        // FE-level answers: {"status":"FAILED","msg":...} or httpv2's {"code":401,...}.
        Ok(LoadOutcome::Failed {
            message: fe_message(&v),
            retryable: fe_retryable(&v),
        })
    }

    /// Commits (`commit = true`) or aborts a transaction by id.
    pub fn txn_by_id(&self, txn_id: i64, commit: bool) -> Result<TxnOutcome, DorisError> {
        self.two_pc(vec![("txn_id".into(), txn_id.to_string())], commit)
    }

    /// Commits or aborts the running transaction of a label.
    pub fn txn_by_label(&self, label: &str, commit: bool) -> Result<TxnOutcome, DorisError> {
        self.two_pc(vec![("label".into(), label.to_string())], commit)
    }

    fn two_pc(
        &self,
        mut headers: Vec<(String, String)>,
        commit: bool,
    ) -> Result<TxnOutcome, DorisError> {
        let op = if commit { "commit" } else { "abort" };
        headers.push(("txn_operation".into(), op.into()));
        let path = format!("/api/{}/_stream_load_2pc", self.db);
        let resp = self
            .request("PUT", path, headers)
            .send(&[], self.timeouts)?;
        let v = json_body(&resp, "2pc")?;
        let status = v
            .get("status")
            .or_else(|| v.get("Status"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let msg = v
            .get("msg")
            .or_else(|| v.get("Message"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if status.eq_ignore_ascii_case("success") {
            return Ok(TxnOutcome::Done);
        }
        if v.get("code").and_then(Value::as_i64) == Some(401) {
            return Err(DorisError::Refused(format!("2pc {op}: {}", fe_message(&v))));
        }
        let lower = msg.to_ascii_lowercase();
        Ok(if commit {
            if lower.contains("is already committed") || lower.contains("is already visible") {
                TxnOutcome::AlreadyDone
            } else if lower.contains("is already aborted") {
                TxnOutcome::Aborted(msg)
            } else if lower.contains("not found") {
                TxnOutcome::NotFound(msg)
            } else {
                TxnOutcome::Failed(msg)
            }
        } else if lower.contains("is already aborted") {
            TxnOutcome::AlreadyDone
        } else if lower.contains("not found") {
            TxnOutcome::NotFound(msg)
        } else {
            TxnOutcome::Failed(msg)
        })
    }

    /// The state of a label's latest transaction.
    pub fn load_state(&self, label: &str) -> Result<TxnState, DorisError> {
        let path = format!("/api/{}/get_load_state?label={label}", self.db);
        let resp = self
            .request("GET", path, Vec::new())
            .send(&[], self.timeouts)?;
        let v = json_body(&resp, "get_load_state")?;
        if v.get("code").and_then(Value::as_i64) != Some(0) {
            let refusal = format!("get_load_state {label}: {}", fe_message(&v));
            return Err(if fe_retryable(&v) {
                DorisError::Body {
                    url: resp_url(&self.target, "get_load_state"),
                    body: refusal,
                }
            } else {
                DorisError::Refused(refusal)
            });
        }
        Ok(match v.get("data").and_then(Value::as_str).unwrap_or("") {
            "PREPARE" => TxnState::Prepare,
            "PRECOMMITTED" => TxnState::Precommitted,
            "COMMITTED" => TxnState::Committed,
            "VISIBLE" => TxnState::Visible,
            "ABORTED" => TxnState::Aborted,
            _ => TxnState::Unknown,
        })
    }

    /// The table's columns from `GET /api/{db}/{table}/_schema`.
    pub fn schema(&self) -> Result<Vec<SchemaColumn>, DorisError> {
        let path = format!("/api/{}/{}/_schema", self.db, self.table);
        let resp = self
            .request("GET", path, Vec::new())
            .send(&[], self.timeouts)?;
        let v = json_body(&resp, "_schema")?;
        if v.get("code").and_then(Value::as_i64) != Some(0) {
            return Err(DorisError::Refused(format!(
                "reading the schema of {}.{}: {}",
                self.db,
                self.table,
                fe_message(&v)
            )));
        }
        let props = v
            .pointer("/data/properties")
            .and_then(Value::as_array)
            .ok_or_else(|| DorisError::Body {
                url: resp_url(&self.target, "_schema"),
                body: shorten(&resp.text()),
            })?;
        Ok(props
            .iter()
            .filter_map(|p| {
                Some(SchemaColumn {
                    name: p.get("name")?.as_str()?.to_string(),
                    ty: p.get("type")?.as_str()?.to_string(),
                })
            })
            .collect())
    }
}

fn resp_url(target: &DorisTarget, what: &str) -> String {
    format!("http://{}/ {what}", target.fe)
}

fn shorten(s: &str) -> String {
    let mut s = s.trim().to_string();
    if s.len() > 400 {
        let mut cut = 400;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// The JSON body of a 200 answer.
fn json_body(resp: &Response, what: &str) -> Result<Value, DorisError> {
    if resp.status != 200 {
        return Err(DorisError::Status {
            url: what.to_string(),
            status: resp.status,
            body: shorten(&resp.text()),
        });
    }
    serde_json::from_slice(&resp.body).map_err(|_| DorisError::Body {
        url: what.to_string(),
        body: shorten(&resp.text()),
    })
}

/// The text of an FE answer (`msg`, and `data` when it says more).
fn fe_message(v: &Value) -> String {
    let msg = v.get("msg").and_then(Value::as_str).unwrap_or("");
    match v.get("data") {
        Some(Value::String(d)) if !d.is_empty() => format!("{msg}: {d}"),
        _ if msg.is_empty() => v.to_string(),
        _ => msg.to_string(),
    }
}

/// Whether an FE-level refusal may pass (not authentication nor a malformed request).
fn fe_retryable(v: &Value) -> bool {
    let code = v.get("code").and_then(Value::as_i64);
    if matches!(code, Some(401) | Some(403) | Some(404)) {
        return false;
    }
    let text = fe_message(v);
    !FATAL_LOAD.iter().any(|f| text.contains(f)) && !text.contains("100-continue")
}

/// The txn id in "... relate to txn [N]".
pub fn related_txn(message: &str) -> Option<i64> {
    let at = message.find("relate to txn [")? + "relate to txn [".len();
    let rest = &message[at..];
    rest[..rest.find(']')?].trim().parse().ok()
}

/// Backoff before attempt `attempt` (1-based): 100 ms doubling to `cap`, with ±50% jitter.
pub fn backoff(attempt: u32, cap: Duration) -> Duration {
    let base = Duration::from_millis(100).saturating_mul(1u32 << attempt.min(16));
    let base = base.min(cap);
    // Jitter spreads retries of many workers; it never decides anything.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut x = (nanos as u64) ^ ((std::process::id() as u64) << 32) ^ attempt as u64;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    let frac = 0.5 + (x % 1000) as f64 / 1000.0;
    base.mul_f64(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(body: &str) -> Response {
        Response {
            status: 200,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn parses_sink_urls() {
        let t = DorisTarget::parse("doris://root@127.0.0.1:8030", Some("pw".into())).unwrap();
        assert_eq!(
            (t.user.as_str(), t.password.as_str(), t.fe.as_str()),
            ("root", "pw", "127.0.0.1:8030")
        );
        let t = DorisTarget::parse("doris://u:secret@fe:8030/", None).unwrap();
        assert_eq!(t.password, "secret");
        let e = DorisTarget::parse("doris://u:secret@fe", None).unwrap_err();
        assert!(
            e.contains("doris://u:***@fe") && !e.contains("secret"),
            "{e}"
        );
        assert_eq!(t.to_string(), "doris://u@fe:8030");
    }

    #[test]
    fn reads_stream_load_answers() {
        let ok = r#"{"TxnId":1003,"Label":"l","Comment":"","TwoPhaseCommit":"true","Status":"Success","Message":"OK","NumberTotalRows":10,"NumberLoadedRows":10,"NumberFilteredRows":0}"#;
        assert_eq!(
            DorisClient::load_outcome(&resp(ok)).unwrap(),
            LoadOutcome::Precommitted {
                txn_id: 1003,
                loaded: 10,
                filtered: 0
            }
        );
        let used = r#"{"TxnId":-1,"Label":"l","Status":"Label Already Exists","ExistingJobStatus":"PRECOMMITTED","Message":"errCode = 2, detailMessage = Label [l] has already been used, relate to txn [77]"}"#;
        assert_eq!(
            DorisClient::load_outcome(&resp(used)).unwrap(),
            LoadOutcome::LabelExists {
                status: "PRECOMMITTED".into(),
                txn_id: Some(77)
            }
        );
        let bad = r#"{"TxnId":5,"Status":"Fail","Message":"[DATA_QUALITY_ERROR]too many filtered rows","ErrorURL":"http://be/api/_load_error_log?file=x"}"#;
        match DorisClient::load_outcome(&resp(bad)).unwrap() {
            LoadOutcome::Failed { message, retryable } => {
                assert!(!retryable);
                assert!(message.contains("error rows: http://be/"));
            }
            other => panic!("{other:?}"),
        }
        let busy = r#"{"TxnId":5,"Status":"Fail","Message":"[INTERNAL_ERROR]cancelled"}"#;
        assert!(matches!(
            DorisClient::load_outcome(&resp(busy)).unwrap(),
            LoadOutcome::Failed {
                retryable: true,
                ..
            }
        ));
        let auth = r#"{"msg":"Unauthorized","code":401,"data":"Access denied","count":0}"#;
        assert!(matches!(
            DorisClient::load_outcome(&resp(auth)).unwrap(),
            LoadOutcome::Failed {
                retryable: false,
                ..
            }
        ));
        assert!(
            DorisClient::load_outcome(&Response {
                status: 503,
                headers: vec![],
                body: vec![]
            })
            .is_err()
        );
    }

    #[test]
    fn finds_the_related_txn() {
        assert_eq!(
            related_txn("Label [x] has already been used, relate to txn [123]"),
            Some(123)
        );
        assert_eq!(related_txn("Label [x] has already been used."), None);
    }

    #[test]
    fn backoff_grows_to_its_cap() {
        let cap = Duration::from_secs(2);
        assert!(backoff(1, cap) <= Duration::from_millis(300));
        assert!(backoff(10, cap) <= Duration::from_secs(3));
        assert!(backoff(10, cap) >= Duration::from_secs(1));
    }
}
