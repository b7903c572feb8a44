//! A Doris test double: an FE port and a BE port speaking Stream Load over HTTP/1.1
//! (doris-spec.md §7), with two-phase commit, labels, `get_load_state`, `_schema`,
//! `/api/backends`, in-memory tables under their key models (§8), and seedable,
//! reproducible fault injection, so the product's Doris sink can be tested end to end
//! without a Doris cluster.
//!
//! Layout: `http` (hand-written HTTP/1.1 server side), `server` (listeners, routing, the FE,
//! BE and `/_double/` handlers), `txn` (txns, labels, publish, expiry), `load` (headers →
//! options, bodies → rows), `value` (text / Arrow → values, ordering, aggregation), `store`
//! (a table's rows under its key model), `faults` (spec and decisions).
//!
//! Use it in-process with [`DorisDouble::start`], or as the `routinely-doris-double` binary.
//!
//! Test hooks (FE port, no auth): `GET /_double/{db}/{table}/rows` →
//! `{"columns":[..],"rows":[[text-or-null,..],..]}` (visible data, MySQL text, sorted);
//! `GET /_double/txns` → `[{"db","txn_id","label","status","reason","rows"},..]`;
//! `POST /_double/faults` (body: a fault spec) → `{"faults":"<spec>"}` or 400
//! `{"error":..}`; `POST /_double/expire` → `{"expired":n}`; `GET /_double/stats` →
//! `{"requests":{endpoint:n,..},"faults":{kind:n,..}}`.

pub mod faults;
pub mod http;
pub mod load;
mod server;
pub mod store;
pub mod txn;
pub mod value;

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use routinely_schemas::sql::parse_create_table;
use routinely_schemas::{DorisVersion, TableSchema};

pub use faults::{FaultKind, FaultSpec, FaultSpecError};
pub use store::TextRow;
pub use txn::{TxnInfo, TxnStatus};

/// Errors starting the double.
#[derive(Debug, thiserror::Error)]
pub enum DoubleError {
    /// A `CREATE TABLE` did not parse.
    #[error("bad CREATE TABLE: {0}")]
    Table(String),
    /// A table name has no database.
    #[error("table `{0}` needs a database: write CREATE TABLE db.{0} (...)")]
    NoDatabase(String),
    /// The same table twice.
    #[error("table `{0}` declared twice")]
    Duplicate(String),
    /// A bad fault spec.
    #[error(transparent)]
    Faults(#[from] FaultSpecError),
    /// Binding a port failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A thread could not start.
    #[error("cannot start a thread: {0}")]
    Thread(std::io::Error),
}

/// How to run the double.
#[derive(Debug, Clone)]
pub struct Config {
    /// Tables, each with its database (`CREATE TABLE db.t`).
    pub tables: Vec<TableSchema>,
    /// Host to listen on and to name in redirects and URLs.
    pub host: String,
    /// FE port (0 = ephemeral).
    pub fe_port: u16,
    /// BE port (0 = ephemeral).
    pub be_port: u16,
    /// Basic-auth user.
    pub user: String,
    /// Basic-auth password.
    pub password: String,
    /// Fault seed.
    pub seed: u64,
    /// Initial faults.
    pub faults: FaultSpec,
    /// `stream_load_default_precommit_timeout_second`.
    pub precommit_timeout: Duration,
    /// `streaming_label_keep_max_second`.
    pub label_keep: Duration,
    /// `label_num_threshold`.
    pub label_num_threshold: usize,
    /// `transaction_clean_interval_second`.
    pub clean_interval: Duration,
    /// First txn id.
    pub txn_id_base: u64,
    /// The Doris release whose conversion rules apply.
    pub version: DorisVersion,
    /// Accept Utf8 JSON text for JSON columns in Arrow bodies. Doris does not parse it
    /// (the JSONB serde has no `read_column_from_arrow` of its own), so by default such a load
    /// fails.
    pub arrow_json_text: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tables: Vec::new(),
            host: "127.0.0.1".into(),
            fe_port: 0,
            be_port: 0,
            user: "root".into(),
            password: String::new(),
            seed: 0,
            faults: FaultSpec::default(),
            precommit_timeout: Duration::from_secs(3600),
            label_keep: Duration::from_secs(43200),
            label_num_threshold: 2000,
            clean_interval: Duration::from_secs(30),
            txn_id_base: 1000,
            version: DorisVersion::default(),
            arrow_json_text: false,
        }
    }
}

impl Config {
    /// Adds a table from its `CREATE TABLE` statement.
    pub fn table_sql(mut self, sql: &str) -> Result<Config, DoubleError> {
        let t = parse_create_table(sql).map_err(|e| DoubleError::Table(e.to_string()))?;
        self.tables.push(t);
        Ok(self)
    }
}

/// State shared by every thread of one double.
pub(crate) struct Shared {
    pub cfg: Config,
    pub txns: Mutex<txn::Txns>,
    pub faults: faults::Faults,
    pub stats: Mutex<std::collections::BTreeMap<String, u64>>,
    pub stop: AtomicBool,
    pub wake: Condvar,
    pub wake_lock: Mutex<()>,
    pub fe_addr: SocketAddr,
    pub be_addr: SocketAddr,
    pub label_seq: std::sync::atomic::AtomicU64,
}

impl Shared {
    pub fn txns(&self) -> std::sync::MutexGuard<'_, txn::Txns> {
        self.txns.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn count(&self, endpoint: &str) {
        let mut s = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        *s.entry(endpoint.to_string()).or_insert(0) += 1;
    }

    /// Publishes due txns and runs the precommit timeout.
    pub fn tick(&self) {
        let now = Instant::now();
        let mut t = self.txns();
        t.expire_precommitted(Some(self.cfg.precommit_timeout), now);
        t.publish_due(now);
    }
}

/// A running double. Dropping it stops it.
pub struct DorisDouble {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl DorisDouble {
    /// Binds both ports and starts serving.
    pub fn start(cfg: Config) -> Result<DorisDouble, DoubleError> {
        let mut tables = Vec::new();
        for t in &cfg.tables {
            let db = t
                .database
                .clone()
                .ok_or_else(|| DoubleError::NoDatabase(t.name.clone()))?;
            if tables
                .iter()
                .any(|(d, x): &(String, TableSchema)| *d == db && x.name == t.name)
            {
                return Err(DoubleError::Duplicate(format!("{db}.{}", t.name)));
            }
            tables.push((db, t.clone()));
        }
        let bind = |port: u16| {
            let addr = format!("{}:{port}", cfg.host);
            TcpListener::bind(&addr).map_err(|source| DoubleError::Bind { addr, source })
        };
        let fe = bind(cfg.fe_port)?;
        let be = bind(cfg.be_port)?;
        let local = |l: &TcpListener, port| {
            l.local_addr().map_err(|source| DoubleError::Bind {
                addr: format!("{}:{port}", cfg.host),
                source,
            })
        };
        let fe_addr = local(&fe, cfg.fe_port)?;
        let be_addr = local(&be, cfg.be_port)?;
        let shared = Arc::new(Shared {
            txns: Mutex::new(txn::Txns::new(tables, cfg.txn_id_base)),
            faults: faults::Faults::new(cfg.seed, cfg.faults.clone()),
            cfg,
            stats: Mutex::new(Default::default()),
            stop: AtomicBool::new(false),
            wake: Condvar::new(),
            wake_lock: Mutex::new(()),
            fe_addr,
            be_addr,
            label_seq: std::sync::atomic::AtomicU64::new(0),
        });
        let mut threads = Vec::new();
        for (listener, role) in [(fe, server::Role::Fe), (be, server::Role::Be)] {
            let s = Arc::clone(&shared);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("doris-double-{role:?}"))
                    .spawn(move || server::accept_loop(listener, role, s))
                    .map_err(DoubleError::Thread)?,
            );
        }
        let s = Arc::clone(&shared);
        threads.push(
            std::thread::Builder::new()
                .name("doris-double-ticker".into())
                .spawn(move || ticker(s))
                .map_err(DoubleError::Thread)?,
        );
        Ok(DorisDouble { shared, threads })
    }

    /// The FE address.
    pub fn fe_addr(&self) -> SocketAddr {
        self.shared.fe_addr
    }

    /// The BE address.
    pub fn be_addr(&self) -> SocketAddr {
        self.shared.be_addr
    }

    /// The visible rows of `db.table` as MySQL text, sorted; `None` for an unknown table.
    pub fn rows(&self, db: &str, table: &str) -> Option<Vec<TextRow>> {
        self.shared.tick();
        self.shared.txns().rows(db, table).map(|(_, r)| r)
    }

    /// Every txn the double remembers, by id.
    pub fn txns(&self) -> Vec<TxnInfo> {
        self.shared.tick();
        self.shared.txns().infos()
    }

    /// Replaces the fault spec.
    pub fn set_faults(&self, spec: &str) -> Result<(), FaultSpecError> {
        self.shared.faults.set_spec(FaultSpec::parse(spec)?);
        Ok(())
    }

    /// Faults injected so far, per kind (the `faults` of `GET /_double/stats`).
    pub fn faults_injected(&self) -> std::collections::BTreeMap<&'static str, u64> {
        self.shared.faults.counts()
    }

    /// Aborts every PRECOMMITTED txn as the precommit timeout would; returns how many.
    pub fn expire_precommitted(&self) -> usize {
        self.shared.txns().expire_precommitted(None, Instant::now())
    }

    /// Stops serving and joins the server threads.
    pub fn stop(&mut self) {
        if self.shared.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        self.shared.wake.notify_all();
        // Wake the accept loops.
        let _ = std::net::TcpStream::connect(self.shared.fe_addr);
        let _ = std::net::TcpStream::connect(self.shared.be_addr);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for DorisDouble {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Publishes and expires every few milliseconds; cleans labels every `clean_interval`.
fn ticker(s: Arc<Shared>) {
    let mut last_clean = Instant::now();
    let step = Duration::from_millis(5).min(s.cfg.clean_interval.max(Duration::from_millis(1)));
    while !s.stop.load(Ordering::SeqCst) {
        s.tick();
        if last_clean.elapsed() >= s.cfg.clean_interval {
            last_clean = Instant::now();
            s.txns()
                .clean_labels(s.cfg.label_keep, s.cfg.label_num_threshold, Instant::now());
        }
        let g = s.wake_lock.lock().unwrap_or_else(|e| e.into_inner());
        let _ = s.wake.wait_timeout(g, step);
    }
}
