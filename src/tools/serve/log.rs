//! The decision log: one JSON line per answer of `/v1/evaluate`,
//! `/v1/explain` and `/v1/whatif`, and per evaluated record of
//! `/v1/evaluate/batch`, enough to answer it again (`credo replay`): time,
//! decision id, endpoint, policy hash, date, the decisions asked for, the
//! facts (with configured fields masked), each decision's outcome with its
//! reasons' rule ids, and for an explanation or a what-if, a digest of the
//! whole answer.
//!
//! Requests never wait on the disk: a line goes into a bounded queue that
//! one thread writes, buffered, rotating the file by size. When the queue
//! is full or the file cannot be written, the configured behaviour applies:
//! refuse requests (fail closed), or drop the line and count it.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{
    Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError, sync_channel,
};
use std::time::Duration;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::metrics as m;
use super::problem::ApiError;
use super::set::Served;
use crate::engine::outcome::{AsOfSource, DecisionOutcome, Evaluation};

/// What to do when a line cannot be logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnFailure {
    /// Answer 503: no decision goes unlogged.
    Refuse,
    /// Answer anyway; count the line in `credo_decision_log_dropped_total`.
    Drop,
}

/// How the log is kept.
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// A file, or `-` for stdout.
    pub path: PathBuf,
    /// Fact paths whose values are replaced by a digest, such as `account.id`.
    pub mask: Vec<String>,
    /// Past this size the file is rotated (`.1`, `.2`, …).
    pub max_bytes: u64,
    /// Rotated files kept.
    pub keep: usize,
    pub on_failure: OnFailure,
    /// Lines waiting for the writer at most.
    pub queue: usize,
}

/// Which route gave the logged answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `/v1/evaluate` (and every line written before the field existed).
    #[default]
    Evaluate,
    /// One record of `/v1/evaluate/batch`.
    Batch,
    Explain,
    Whatif,
}

/// Where a batch record was: the batch (its `x-credo-batch-id` header) and
/// the line of the request body, as the record's `line` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchPlace {
    pub id: String,
    pub line: u64,
}

/// What a what-if asked: the decision and the outcome wanted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatifAsk {
    pub decision: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// One line of the log. `credo replay` reads the same type.
#[derive(Debug, Serialize, Deserialize)]
pub struct LogLine {
    /// RFC 3339, UTC.
    pub time: String,
    pub decision_id: String,
    #[serde(default)]
    pub endpoint: Endpoint,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchPlace>,
    pub policy_hash: String,
    pub as_of: String,
    pub as_of_source: String,
    /// The decision ids asked for; empty for all.
    pub requested: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatif: Option<WhatifAsk>,
    pub facts: serde_json::Value,
    /// The fact paths masked in `facts`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub masked: Vec<String>,
    pub decisions: Vec<LoggedDecision>,
    /// For an explanation or a what-if: the SHA-256 of the answer's JSON
    /// (an explanation's `decisions`, a what-if's whole answer), so that a
    /// replay proves the whole answer, not only the outcomes, is the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_sha256: Option<String>,
}

/// What one logged answer was, besides its facts.
pub struct Answered<'a> {
    pub endpoint: Endpoint,
    pub decision_id: &'a str,
    pub batch: Option<BatchPlace>,
    pub requested: &'a [String],
    pub whatif: Option<WhatifAsk>,
    pub as_of: chrono::NaiveDate,
    pub as_of_source: AsOfSource,
    pub decisions: Vec<LoggedDecision>,
    pub answer_sha256: Option<String>,
}

/// The SHA-256 of a value's JSON, in hex.
pub fn digest(value: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedDecision {
    pub id: String,
    pub outcome: String,
    /// The rule ids (or row labels) of its reasons.
    pub reasons: Vec<String>,
}

impl LoggedDecision {
    pub fn of(evaluation: &Evaluation) -> Vec<LoggedDecision> {
        LoggedDecision::all(&evaluation.decisions)
    }

    pub fn all<'a>(
        decisions: impl IntoIterator<Item = &'a DecisionOutcome>,
    ) -> Vec<LoggedDecision> {
        decisions
            .into_iter()
            .map(|d| LoggedDecision {
                id: d.id.clone(),
                outcome: d.outcome.as_text(),
                reasons: d.reasons.iter().map(|r| r.rule.clone()).collect(),
            })
            .collect()
    }
}

pub struct DecisionLog {
    queue: SyncSender<Vec<u8>>,
    writer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The writer's last write failed.
    failing: Arc<AtomicBool>,
    mask: Vec<Vec<String>>,
    on_failure: OnFailure,
}

impl DecisionLog {
    /// Opens the log and starts its writer thread.
    pub fn open(options: &LogOptions) -> io::Result<DecisionLog> {
        let sink = Sink::open(&options.path, options.max_bytes, options.keep)?;
        let (queue, lines) = sync_channel(options.queue.max(1));
        let failing = Arc::new(AtomicBool::new(false));
        let flag = failing.clone();
        let writer = std::thread::Builder::new()
            .name("decision-log".into())
            .spawn(move || write_lines(lines, sink, &flag))?;
        Ok(DecisionLog {
            queue,
            writer: std::sync::Mutex::new(Some(writer)),
            failing,
            mask: options
                .mask
                .iter()
                .map(|p| p.split('.').map(str::to_owned).collect())
                .collect(),
            on_failure: options.on_failure,
        })
    }

    /// Writes every line queued so far and stops the writer (at shutdown).
    pub fn finish(&self) {
        if self.queue.send(Vec::new()).is_ok()
            && let Ok(mut writer) = self.writer.lock()
            && let Some(writer) = writer.take()
        {
            let _ = writer.join();
        }
    }

    /// Refuses before evaluating, when failing closed and the log is failing.
    pub fn ready(&self) -> Result<(), ApiError> {
        if self.on_failure == OnFailure::Refuse && self.failing.load(Ordering::Relaxed) {
            return Err(unavailable("the decision log cannot be written"));
        }
        Ok(())
    }

    /// Queues the line for one `/v1/evaluate` answer; never waits.
    pub fn record(
        &self,
        set: &Served,
        decision_id: &str,
        requested: &[String],
        evaluation: &Evaluation,
        facts: Option<&RawValue>,
    ) -> Result<(), ApiError> {
        self.ready()?;
        let facts: serde_json::Value = facts
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or(serde_json::Value::Null);
        self.record_answer(
            set,
            Answered {
                endpoint: Endpoint::Evaluate,
                decision_id,
                batch: None,
                requested,
                whatif: None,
                as_of: evaluation.as_of,
                as_of_source: evaluation.as_of_source,
                decisions: LoggedDecision::of(evaluation),
                answer_sha256: None,
            },
            facts,
        )
    }

    /// Queues the line for one answer of any endpoint; never waits. An
    /// error (when failing closed) means the answer must not be given.
    pub fn record_answer(
        &self,
        set: &Served,
        answered: Answered<'_>,
        facts: serde_json::Value,
    ) -> Result<(), ApiError> {
        self.ready()?;
        match self.offer(self.line(set, answered, facts)) {
            Ok(()) => Ok(()),
            Err(_) => self.give_up(),
        }
    }

    /// The line for one answer, masked, with its newline.
    pub fn line(
        &self,
        set: &Served,
        answered: Answered<'_>,
        mut facts: serde_json::Value,
    ) -> Vec<u8> {
        let mut masked = Vec::new();
        for path in &self.mask {
            if mask(&mut facts, path) {
                masked.push(path.join("."));
            }
        }
        let line = LogLine {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            decision_id: answered.decision_id.to_owned(),
            endpoint: answered.endpoint,
            batch: answered.batch,
            policy_hash: set.hash.clone(),
            as_of: answered.as_of.format("%Y-%m-%d").to_string(),
            as_of_source: match answered.as_of_source {
                AsOfSource::Option => "option",
                AsOfSource::Facts => "facts",
                AsOfSource::Today => "today",
            }
            .into(),
            requested: answered.requested.to_vec(),
            whatif: answered.whatif,
            facts,
            masked,
            decisions: answered.decisions,
            answer_sha256: answered.answer_sha256,
        };
        let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Queues a line if there is room; else gives it back.
    pub fn offer(&self, line: Vec<u8>) -> Result<(), Vec<u8>> {
        match self.queue.try_send(line) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(line)) | Err(TrySendError::Disconnected(line)) => Err(line),
        }
    }

    /// A line that could not be queued: dropped and counted, and when
    /// failing closed, an error for the answer it was for.
    pub fn give_up(&self) -> Result<(), ApiError> {
        metrics::counter!(m::LOG_DROPPED).increment(1);
        match self.on_failure {
            OnFailure::Drop => Ok(()),
            OnFailure::Refuse => Err(unavailable("the decision log is behind")),
        }
    }
}

fn unavailable(message: &str) -> ApiError {
    ApiError {
        retry_after: Some(1),
        ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "log_unavailable", message)
            .help("the service fails closed (`--log-on-failure refuse`): no decision goes unlogged")
    }
}

/// Replaces the value at `path` by `masked:` and a digest of it, so that
/// equal values stay equal (a comparison of two masked fields still holds)
/// but the value cannot be read. True when there was a value.
fn mask(facts: &mut serde_json::Value, path: &[String]) -> bool {
    let mut at = facts;
    for key in path {
        match at.get_mut(key) {
            Some(next) => at = next,
            None => return false,
        }
    }
    if at.is_null() {
        return false;
    }
    let digest = Sha256::digest(at.to_string().as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    *at = serde_json::Value::String(format!("masked:{hex}"));
    true
}

/// The writer thread: writes lines as they come, and flushes whenever
/// none is waiting, so that a line is on disk within moments.
fn write_lines(lines: Receiver<Vec<u8>>, mut sink: Sink, failing: &AtomicBool) {
    let mut done = false;
    while !done {
        let mut next = match lines.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => Some(line),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut result = Ok(());
        // Lines in this round: written once the flush succeeds, else dropped.
        let mut round = 0u64;
        while let Some(line) = next.take() {
            if line.is_empty() {
                // `finish`: everything before it is written.
                done = true;
                break;
            }
            round += 1;
            result = result.and(sink.write(&line));
            next = match lines.try_recv() {
                Ok(line) => Some(line),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => {
                    done = true;
                    None
                }
            };
        }
        match result.and_then(|()| sink.flush()) {
            Ok(()) => {
                metrics::counter!(m::LOG_WRITTEN).increment(round);
                failing.store(false, Ordering::Relaxed);
            }
            Err(e) => {
                // What is still buffered is given up, not retried for ever.
                sink.discard();
                metrics::counter!(m::LOG_DROPPED).increment(round);
                if !failing.swap(true, Ordering::Relaxed) {
                    tracing::error!("the decision log cannot be written: {e}");
                }
            }
        }
    }
    let _ = sink.flush();
}

/// Where lines go: stdout, or a file rotated by size.
enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File {
        path: PathBuf,
        file: BufWriter<File>,
        written: u64,
        max_bytes: u64,
        keep: usize,
    },
}

impl Sink {
    fn open(path: &Path, max_bytes: u64, keep: usize) -> io::Result<Sink> {
        if path == Path::new("-") {
            return Ok(Sink::Stdout(BufWriter::new(io::stdout())));
        }
        let file = File::options().create(true).append(true).open(path)?;
        let written = file.metadata()?.len();
        Ok(Sink::File {
            path: path.to_owned(),
            file: BufWriter::with_capacity(64 * 1024, file),
            written,
            max_bytes,
            keep,
        })
    }

    fn write(&mut self, line: &[u8]) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.write_all(line),
            Sink::File {
                path,
                file,
                written,
                max_bytes,
                keep,
            } => {
                if *written > 0 && *written + line.len() as u64 > *max_bytes {
                    file.flush()?;
                    rotate(path, *keep)?;
                    *file = BufWriter::with_capacity(
                        64 * 1024,
                        File::options().create(true).append(true).open(&*path)?,
                    );
                    *written = 0;
                }
                file.write_all(line)?;
                *written += line.len() as u64;
                Ok(())
            }
        }
    }

    /// Forgets what is buffered, after a failed write.
    fn discard(&mut self) {
        if let Sink::File { file, .. } = self {
            let fresh = file.get_ref().try_clone();
            if let Ok(fresh) = fresh {
                let old = std::mem::replace(file, BufWriter::with_capacity(64 * 1024, fresh));
                let _ = old.into_parts();
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.flush(),
            Sink::File { file, .. } => file.flush(),
        }
    }
}

/// `log` becomes `log.1`, `log.1` becomes `log.2`, …; past `keep`, the oldest goes.
fn rotate(path: &Path, keep: usize) -> io::Result<()> {
    let numbered = |n: usize| {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    };
    if keep == 0 {
        return std::fs::remove_file(path);
    }
    let _ = std::fs::remove_file(numbered(keep));
    for n in (1..keep).rev() {
        let from = numbered(n);
        if from.exists() {
            std::fs::rename(&from, numbered(n + 1))?;
        }
    }
    std::fs::rename(path, numbered(1))
}
