//! The worker side of the Doris sink: one Stream Load per worker per epoch, opened with
//! `two_phase_commit: true` under a deterministic label, its body streamed as the epoch's
//! batches arrive (in chunks of about 1 MiB) and teed into a spool file, so that a load cut
//! short (a lost connection, an HTTP 5xx, a retryable failure) is sent again, from the spool,
//! under the same label. Pre-committing ends the body and reads Doris's answer; the handle
//! handed to the coordinator is `TXN_ID LABEL PARTITIONS`.
//!
//! A label that is already taken is resolved through `ExistingJobStatus`: PRECOMMITTED is an
//! earlier attempt of this very load whose answer was lost (its txn id comes from "relate to
//! txn [N]"); RUNNING waits for that attempt to end; FINISHED cannot happen to an undecided
//! epoch and is an error.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arrow_array::RecordBatch;

use routinely_operators::dataflow::{Epoch, PartitionRange};
use routinely_operators::row::RejectedRow;

use super::client::{DorisClient, LoadOutcome, backoff};
use super::encode::Encoder;
use super::http::BodyWriter;
use super::{Handle, LoadSpec, label};
use crate::sink::{SinkError, TxnSink};

/// Body bytes gathered before they are sent as one chunk.
const CHUNK: usize = 1 << 20;

/// Attempts of one load before the run fails (backoff 0.1 s doubling to 5 s).
pub const LOAD_ATTEMPTS: u32 = 12;

/// The worker side of the Doris sink.
pub struct DorisTxnSink {
    client: Arc<DorisClient>,
    spec: Arc<LoadSpec>,
    worker: usize,
    generation: u64,
    spool_dir: PathBuf,
    /// Open transactions by epoch (up to `max_inflight_epochs` at once).
    open: BTreeMap<Epoch, Open>,
    chunk: Vec<u8>,
}

impl std::fmt::Debug for DorisTxnSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DorisTxnSink")
            .field("worker", &self.worker)
            .field("generation", &self.generation)
            .finish()
    }
}

/// The open transaction of an epoch.
struct Open {
    label: String,
    encoder: Encoder,
    spool: BufWriter<File>,
    spool_path: PathBuf,
    spooled: usize,
    /// The live request, while it is healthy.
    body: Option<BodyWriter>,
    /// Why the live request was given up (it is sent again from the spool).
    broken: Option<String>,
    rejected: Option<BufWriter<File>>,
    /// The partitions the transaction covers (told just before the pre-commit).
    covered: Vec<i32>,
}

impl DorisTxnSink {
    /// Worker `worker`'s sink in run `generation`, spooling under `spool_dir`.
    pub fn new(
        client: Arc<DorisClient>,
        spec: Arc<LoadSpec>,
        worker: usize,
        generation: u64,
        spool_dir: PathBuf,
    ) -> DorisTxnSink {
        DorisTxnSink {
            client,
            spec,
            worker,
            generation,
            spool_dir,
            open: BTreeMap::new(),
            chunk: Vec::with_capacity(CHUNK + (CHUNK >> 2)),
        }
    }

    fn open_mut(&mut self, epoch: Epoch) -> Result<&mut Open, SinkError> {
        match self.open.get_mut(&epoch) {
            Some(o) => Ok(o),
            None => Err(SinkError(format!(
                "doris sink: epoch {epoch} was not begun on worker {}",
                self.worker
            ))),
        }
    }

    /// Moves what the encoder holds into the spool and the live request.
    fn flush(&mut self, epoch: Epoch) -> Result<(), SinkError> {
        let client = self.client.clone();
        let spec = self.spec.clone();
        let mut chunk = std::mem::take(&mut self.chunk);
        let o = self.open_mut(epoch)?;
        o.encoder.take(&mut chunk);
        let result = (|| {
            if chunk.is_empty() {
                return Ok(());
            }
            o.spool
                .write_all(&chunk)
                .map_err(|e| SinkError(format!("spool {}: {e}", o.spool_path.display())))?;
            o.spooled += chunk.len();
            if o.broken.is_none() {
                if o.body.is_none() {
                    match client.open_load(spec.headers(&o.label, &o.encoder), None) {
                        Ok(b) => o.body = Some(b),
                        Err(e) => o.broken = Some(e.to_string()),
                    }
                }
                if let Some(b) = &mut o.body
                    && let Err(e) = b.write_all(&chunk)
                {
                    o.body = None;
                    o.broken = Some(e.to_string());
                }
            }
            Ok(())
        })();
        self.chunk = chunk;
        result
    }

    /// Sends the spooled body again under the same label until Doris pre-commits it.
    fn resend(&self, o: &mut Open, first: LoadOutcomeOrErr) -> Result<i64, SinkError> {
        let mut last = first;
        for attempt in 1..=LOAD_ATTEMPTS {
            match last {
                Ok(LoadOutcome::Precommitted {
                    txn_id, filtered, ..
                }) => {
                    if filtered > 0 {
                        // Rows arrive coerced: Doris filtering any is a mismatch between the
                        // job's table and Doris's. The transaction is not used.
                        let _ = self.client.txn_by_id(txn_id, false);
                        return Err(SinkError(format!(
                            "doris: label {} filtered {filtered} rows that routinely had \
                             already coerced: the table in Doris differs from the job's",
                            o.label
                        )));
                    }
                    return Ok(txn_id);
                }
                Ok(LoadOutcome::LabelExists { ref status, txn_id }) => match status.as_str() {
                    // An earlier attempt whose answer was lost; without its id, the
                    // coordinator commits by label.
                    "PRECOMMITTED" => return Ok(txn_id.unwrap_or(-1)),
                    "FINISHED" => {
                        return Err(SinkError(format!(
                            "doris: label {} is already committed, but its epoch was never \
                             decided",
                            o.label
                        )));
                    }
                    _ => {
                        // An earlier attempt is still running (or its end is not yet known):
                        // wait, then send again; the answer says how it ended.
                        std::thread::sleep(backoff(attempt, Duration::from_secs(5)));
                        last = self.send_spool(o);
                        continue;
                    }
                },
                Ok(LoadOutcome::Failed {
                    ref message,
                    retryable: false,
                }) => {
                    return Err(SinkError(format!(
                        "doris: stream load {} failed: {message}",
                        o.label
                    )));
                }
                Ok(LoadOutcome::Failed { .. }) | Err(_) => {}
            }
            let why = match &last {
                Ok(LoadOutcome::Failed { message, .. }) => message.clone(),
                Err(e) => e.clone(),
                Ok(other) => format!("{other:?}"),
            };
            if attempt == LOAD_ATTEMPTS {
                return Err(SinkError(format!(
                    "doris: stream load {} failed {LOAD_ATTEMPTS} times; last: {why}",
                    o.label
                )));
            }
            std::thread::sleep(backoff(attempt, Duration::from_secs(5)));
            last = self.send_spool(o);
        }
        Err(SinkError(format!("doris: stream load {} gave up", o.label)))
    }

    /// One attempt: the spooled body, with its length.
    fn send_spool(&self, o: &mut Open) -> LoadOutcomeOrErr {
        let mut file = File::open(&o.spool_path).map_err(|e| e.to_string())?;
        let mut w = self
            .client
            .open_load(self.spec.headers(&o.label, &o.encoder), Some(o.spooled))
            .map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; CHUNK];
        if !w.answered() {
            loop {
                let n = file.read(&mut buf).map_err(|e| e.to_string())?;
                if n == 0 {
                    break;
                }
                w.write_all(&buf[..n]).map_err(|e| e.to_string())?;
            }
        }
        let resp = w.finish().map_err(|e| e.to_string())?;
        DorisClient::load_outcome(&resp).map_err(|e| e.to_string())
    }
}

type LoadOutcomeOrErr = Result<LoadOutcome, String>;

impl TxnSink for DorisTxnSink {
    fn begin(&mut self, epoch: Epoch) -> Result<(), SinkError> {
        std::fs::create_dir_all(&self.spool_dir)
            .map_err(|e| SinkError(format!("spool {}: {e}", self.spool_dir.display())))?;
        let spool_path = self
            .spool_dir
            .join(format!("epoch-{epoch}-w{}.body", self.worker));
        let spool = File::create(&spool_path)
            .map_err(|e| SinkError(format!("spool {}: {e}", spool_path.display())))?;
        let encoder = Encoder::new(self.spec.format, self.spec.schema.clone(), &self.spec.types)?;
        self.open.insert(
            epoch,
            Open {
                label: label(&self.spec.label_prefix, self.generation, epoch, self.worker),
                encoder,
                spool: BufWriter::with_capacity(1 << 16, spool),
                spool_path,
                spooled: 0,
                body: None,
                broken: None,
                rejected: None,
                covered: Vec::new(),
            },
        );
        Ok(())
    }

    fn write(&mut self, epoch: Epoch, batch: &RecordBatch) -> Result<(), SinkError> {
        let o = self.open_mut(epoch)?;
        o.encoder.write(batch)?;
        if o.encoder.pending() >= CHUNK {
            self.flush(epoch)?;
        }
        Ok(())
    }

    fn write_rejected(&mut self, epoch: Epoch, rows: &[RejectedRow]) -> Result<(), SinkError> {
        let worker = self.worker;
        let dir = self.spool_dir.clone();
        let o = self.open_mut(epoch)?;
        if o.rejected.is_none() {
            let path = dir.join(format!("epoch-{epoch}-w{worker}.errors"));
            let f = File::create(&path)
                .map_err(|e| SinkError(format!("error log {}: {e}", path.display())))?;
            o.rejected = Some(BufWriter::new(f));
        }
        if let Some(w) = &mut o.rejected {
            for r in rows {
                writeln!(
                    w,
                    "partition {} offset {}: {}",
                    r.partition,
                    r.offset,
                    r.error_log_line()
                )
                .map_err(|e| SinkError(format!("error log: {e}")))?;
            }
        }
        Ok(())
    }

    fn covers(&mut self, epoch: Epoch, ranges: &[PartitionRange]) {
        if let Some(o) = self.open.get_mut(&epoch) {
            o.covered = ranges.iter().map(|r| r.partition).collect();
            o.covered.sort_unstable();
            o.covered.dedup();
        }
    }

    fn precommit(&mut self, epoch: Epoch) -> Result<String, SinkError> {
        {
            let o = self.open_mut(epoch)?;
            o.encoder.finish()?;
        }
        self.flush(epoch)?;
        let Some(mut o) = self.open.remove(&epoch) else {
            return Err(SinkError(format!(
                "doris sink: epoch {epoch} was not begun"
            )));
        };
        if let Some(mut w) = o.rejected.take() {
            w.flush()
                .map_err(|e| SinkError(format!("error log: {e}")))?;
        }
        o.spool
            .flush()
            .map_err(|e| SinkError(format!("spool {}: {e}", o.spool_path.display())))?;
        if o.encoder.rows() == 0 {
            // Only rejected rows: nothing to load, no transaction.
            let _ = std::fs::remove_file(&o.spool_path);
            return Ok(String::new());
        }
        crate::failpoint::hit("before-precommit", epoch);
        let first: LoadOutcomeOrErr = match (o.body.take(), &o.broken) {
            (Some(body), None) => body
                .finish()
                .map_err(|e| e.to_string())
                .and_then(|r| DorisClient::load_outcome(&r).map_err(|e| e.to_string())),
            (_, Some(why)) => Err(why.clone()),
            (None, None) => self.send_spool(&mut o),
        };
        let txn_id = self.resend(&mut o, first)?;
        crate::failpoint::hit("after-precommit", epoch);
        let _ = std::fs::remove_file(&o.spool_path);
        let handle = Handle {
            txn_id,
            label: o.label.clone(),
            partitions: std::mem::take(&mut o.covered),
        };
        Ok(handle.to_string())
    }
}
