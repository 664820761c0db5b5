//! The decision log: one JSON line per answer of `/v1/evaluate`,
//! `/v1/explain` and `/v1/whatif`, and per evaluated record of
//! `/v1/evaluate/batch`, enough to answer it again (`credo replay`): time,
//! decision id, endpoint, policy hash, date, the decisions asked for, the
//! facts (with configured fields masked), each decision's outcome with its
//! reasons' rule ids, and for an explanation or a what-if, a digest of the
//! whole answer.
//!
//! A line goes into a bounded queue that one thread writes, buffered,
//! rotating the file by size. When the queue is full or the file cannot be
//! written, the configured behaviour applies: refuse requests (fail
//! closed), or drop the line and count it. Failing closed, an answer (and
//! a batch record) waits until its line is written and flushed, so nothing
//! is answered whose line is not in the file; failing open, nothing waits
//! on the disk.
//!
//! A failed write never leaves a torn line for the next one to be glued to:
//! the file is cut back to its length after the last good flush, and a file
//! opened without a final newline gets one first.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::time::{Duration, Instant};

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

/// While the log is failing, how long requests are refused before any
/// work after a failed write; past it they go on, and their own lines test
/// whether the disk has room again (each still waits for its line).
const REFUSE_FOR: Duration = Duration::from_secs(1);

/// How the writer is doing, shared with the requests.
struct Health {
    /// The last round failed, and no round has written since.
    failing: AtomicBool,
    /// When the last round failed, in milliseconds after `opened`.
    failed_at: AtomicU64,
    opened: Instant,
}

impl Health {
    fn now(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// Told true once a line is written and flushed, false when it was not.
pub type Written = tokio::sync::oneshot::Receiver<bool>;

/// One line for the writer, and who waits to hear it is on disk.
struct Entry {
    line: Vec<u8>,
    /// Told true once the line is written and flushed, false when it was
    /// not (the waiting answer is then refused, and the line not retried).
    written: Option<tokio::sync::oneshot::Sender<bool>>,
}

pub struct DecisionLog {
    queue: SyncSender<Entry>,
    writer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    health: Arc<Health>,
    mask: Vec<Vec<String>>,
    on_failure: OnFailure,
}

impl DecisionLog {
    /// Opens the log and starts its writer thread.
    pub fn open(options: &LogOptions) -> io::Result<DecisionLog> {
        let sink = Sink::open(&options.path, options.max_bytes, options.keep)?;
        let (queue, lines) = sync_channel(options.queue.max(1));
        let health = Arc::new(Health {
            failing: AtomicBool::new(false),
            failed_at: AtomicU64::new(0),
            opened: Instant::now(),
        });
        let writer_health = health.clone();
        let writer = std::thread::Builder::new()
            .name("decision-log".into())
            .spawn(move || write_lines(lines, sink, &writer_health))?;
        Ok(DecisionLog {
            queue,
            writer: std::sync::Mutex::new(Some(writer)),
            health,
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
        let end = Entry {
            line: Vec::new(),
            written: None,
        };
        if self.queue.send(end).is_ok()
            && let Ok(mut writer) = self.writer.lock()
            && let Some(writer) = writer.take()
        {
            let _ = writer.join();
        }
    }

    /// Refuses before evaluating, when failing closed and a write failed
    /// less than [`REFUSE_FOR`] ago: only a write can tell that the disk
    /// has room again, so past that, requests go on (and wait for their
    /// own lines).
    pub fn ready(&self) -> Result<(), ApiError> {
        let health = &self.health;
        if self.on_failure == OnFailure::Refuse
            && health.failing.load(Ordering::Relaxed)
            && health
                .now()
                .saturating_sub(health.failed_at.load(Ordering::Relaxed))
                < REFUSE_FOR.as_millis() as u64
        {
            return Err(unavailable("the decision log cannot be written"));
        }
        Ok(())
    }

    /// The line for one `/v1/evaluate` answer.
    pub fn evaluate_line(
        &self,
        set: &Served,
        decision_id: &str,
        requested: &[String],
        evaluation: &Evaluation,
        facts: Option<&RawValue>,
    ) -> Vec<u8> {
        let facts: serde_json::Value = facts
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or(serde_json::Value::Null);
        self.line(
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

    /// Logs the line for one answer of any endpoint (made by
    /// [`line`](Self::line)). Failing open, it is queued and nothing waits;
    /// failing closed, this waits until the line is written and flushed, and
    /// an error means the answer must not be given (the line is then not in
    /// the file either).
    pub async fn submit(&self, line: Vec<u8>) -> Result<(), ApiError> {
        match self.offer(line) {
            Ok(None) => Ok(()),
            Ok(Some(written)) => Self::written(written).await,
            Err(_) => self.give_up(),
        }
    }

    /// Waits for a line [`offer`](Self::offer) queued to be written: an
    /// error means its answer must not be given.
    pub async fn written(written: Written) -> Result<(), ApiError> {
        match written.await {
            Ok(true) => Ok(()),
            _ => Err(unavailable("the decision log cannot be written")),
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

    /// Queues a line if there is room, else gives it back. Failing
    /// closed, what to wait on before answering: the line's write.
    pub fn offer(&self, line: Vec<u8>) -> Result<Option<Written>, Vec<u8>> {
        let (told, written) = match self.on_failure {
            OnFailure::Refuse => {
                let (told, written) = tokio::sync::oneshot::channel();
                (Some(told), Some(written))
            }
            OnFailure::Drop => (None, None),
        };
        let entry = Entry {
            line,
            written: told,
        };
        match self.queue.try_send(entry) {
            Ok(()) => Ok(written),
            Err(TrySendError::Full(e)) | Err(TrySendError::Disconnected(e)) => Err(e.line),
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
/// none is waiting, so that a line is on disk within moments. Only a round
/// that wrote and flushed lines ends a failure: an idle round proves
/// nothing about the disk (an empty flush used to clear the failure after
/// 200 ms without a request, and the next request was answered, its line
/// dropped).
fn write_lines(lines: Receiver<Entry>, mut sink: Sink, health: &Health) {
    let mut done = false;
    while !done {
        let mut round = Vec::new();
        match lines.recv() {
            Ok(entry) => round.push(entry),
            Err(_) => break,
        }
        loop {
            if round.last().is_some_and(|e| e.line.is_empty()) {
                // `finish`: everything before it is written.
                round.pop();
                done = true;
                break;
            }
            match lines.try_recv() {
                Ok(entry) => round.push(entry),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    done = true;
                    break;
                }
            }
        }
        if round.is_empty() {
            continue;
        }
        let result = write_round(&mut sink, &round);
        let ok = result.is_ok();
        match result {
            Ok(()) => {
                metrics::counter!(m::LOG_WRITTEN).increment(round.len() as u64);
                health.failing.store(false, Ordering::Relaxed);
            }
            Err(e) => {
                // Given up, not retried: a line whose answer was refused
                // must not turn up later.
                metrics::counter!(m::LOG_DROPPED).increment(round.len() as u64);
                health.failed_at.store(health.now(), Ordering::Relaxed);
                if !health.failing.swap(true, Ordering::Relaxed) {
                    tracing::error!("the decision log cannot be written: {e}");
                }
            }
        }
        for entry in round {
            if let Some(told) = entry.written {
                let _ = told.send(ok);
            }
        }
    }
    let _ = sink.flush();
}

/// Writes and flushes a round's lines; on failure, the file is cut back to
/// where the round began, so no torn line is left behind.
fn write_round(sink: &mut Sink, round: &[Entry]) -> io::Result<()> {
    let bytes = round.iter().map(|e| e.line.len() as u64).sum();
    let mut result = sink.make_room(bytes);
    for entry in round {
        if result.is_err() {
            break;
        }
        result = sink.write(&entry.line);
    }
    match result.and_then(|()| sink.flush()) {
        Ok(()) => {
            sink.mark_good();
            Ok(())
        }
        Err(e) => {
            sink.discard();
            Err(e)
        }
    }
}

/// Where lines go: stdout, or a file rotated by size.
enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File {
        path: PathBuf,
        file: BufWriter<File>,
        /// Bytes in the file, as far as this writer knows.
        written: u64,
        /// The file's length after the last good flush: a failed write is
        /// cut back to it.
        good: u64,
        max_bytes: u64,
        keep: usize,
    },
}

impl Sink {
    fn open(path: &Path, max_bytes: u64, keep: usize) -> io::Result<Sink> {
        if path == Path::new("-") {
            return Ok(Sink::Stdout(BufWriter::new(io::stdout())));
        }
        let mut file = File::options().create(true).append(true).open(path)?;
        let mut written = file.metadata()?.len();
        if written > 0 && !ends_with_newline(path, written)? {
            // A line torn by an earlier failure or crash: ended, so that the
            // next line stays a line of its own (replay reports the fragment).
            file.write_all(b"\n")?;
            written += 1;
        }
        Ok(Sink::File {
            path: path.to_owned(),
            file: BufWriter::with_capacity(64 * 1024, file),
            written,
            good: written,
            max_bytes,
            keep,
        })
    }

    /// Rotates the file first if `bytes` more would take it past its
    /// size; a round is never split between two files, so that a round
    /// that fails leaves none of its lines in either.
    fn make_room(&mut self, bytes: u64) -> io::Result<()> {
        if let Sink::File {
            path,
            file,
            written,
            good,
            max_bytes,
            keep,
        } = self
            && *written > 0
            && *written + bytes > *max_bytes
        {
            file.flush()?;
            rotate(path, *keep)?;
            *file = BufWriter::with_capacity(
                64 * 1024,
                File::options().create(true).append(true).open(&*path)?,
            );
            *written = 0;
            *good = 0;
        }
        Ok(())
    }

    fn write(&mut self, line: &[u8]) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.write_all(line),
            Sink::File { file, written, .. } => {
                file.write_all(line)?;
                *written += line.len() as u64;
                Ok(())
            }
        }
    }

    /// After a good flush: what is in the file stays.
    fn mark_good(&mut self) {
        if let Sink::File { written, good, .. } = self {
            *good = *written;
        }
    }

    /// Forgets what is buffered after a failed write, and cuts the file
    /// back to its last good length: a write that failed part-way must not
    /// leave a fragment for the next line to be appended to.
    fn discard(&mut self) {
        if let Sink::File {
            file,
            written,
            good,
            ..
        } = self
        {
            let fresh = file.get_ref().try_clone();
            if let Ok(fresh) = fresh {
                let old = std::mem::replace(file, BufWriter::with_capacity(64 * 1024, fresh));
                let _ = old.into_parts();
            }
            let handle = file.get_ref();
            match handle.metadata() {
                // Shorter than known: cut by someone else; appends go on from there.
                Ok(meta) if meta.len() <= *good => *good = meta.len(),
                Ok(_) => {
                    if let Err(e) = handle.set_len(*good) {
                        tracing::error!(
                            "the decision log cannot be cut back to its last line: {e}"
                        );
                    }
                }
                Err(_) => {}
            }
            *written = *good;
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.flush(),
            Sink::File { file, .. } => file.flush(),
        }
    }
}

/// Whether the file's last byte (of `len`) is a newline.
fn ends_with_newline(path: &Path, len: u64) -> io::Result<bool> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(len.saturating_sub(1)))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last == *b"\n")
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
