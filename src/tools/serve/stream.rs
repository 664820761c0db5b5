//! `POST /v1/evaluate/batch`: JSON Lines in, the `credo batch` records out,
//! streamed. Memory stays bounded whatever the body's size: one line at a
//! time (a line over the facts limit gets an error record, unread), and a
//! small queue of finished records to the client, which the reading waits on.
//!
//! With a decision log, each evaluated record is logged as its own line
//! (endpoint `batch`, the batch's id and the record's line number), masked
//! as `/v1/evaluate`'s are; the batch's id is the `x-credo-batch-id`
//! header. Failing closed, records are sent only once their lines are
//! written (waited for in groups, as records are sent), and a record whose
//! line the log cannot take becomes an error record: no decision goes
//! unlogged.
//!
//! Records are sent as whole lines only. When the service shuts down, the
//! stream ends after the line in hand with one error record saying where it
//! stopped, so a client never sees a torn record.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use futures_util::StreamExt as _;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::app::InFlight;
use super::deadline::BodyDeadline;
use super::log::{Answered, BatchPlace, DecisionLog, Endpoint, LoggedDecision, Written};
use super::openapi as doc;
use super::problem::ApiError;
use super::routes::listed;
use super::set::Served;
use super::state::AppState;
use crate::engine::outcome::AsOfSource;
use crate::engine::verdict::Verdicts;
use crate::input::facts::{self, FactProblem, Facts, Format};
use crate::input::fast::ReadState;
use crate::input::report;

/// Bytes of records gathered before they are sent.
const SEND_AT: usize = 64 * 1024;
/// Sends waiting for the client; past them, reading the body waits.
const QUEUE: usize = 4;
/// How long a record waits for room in the decision log's queue before the
/// log's failure behaviour applies: a batch outruns the log writer, and
/// waiting (the stream is paced by its client anyway) loses no line.
const LOG_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a batch may go without a whole line, unless the stack says.
const LINE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);
/// After a shutdown, how long the rest of a body is read and dropped.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    /// The evaluation date for every line (YYYY-MM-DD); else each line's `as_of`; else today.
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$")]
    as_of: Option<String>,
}

/// Evaluate many accounts: one fact document a line.
#[utoipa::path(post, path = "/v1/evaluate/batch", tag = "decisions",
    params(BatchQuery),
    request_body(content = String, content_type = "application/x-ndjson",
        description = "One JSON fact document a line; blank lines are skipped"),
    responses(
        (status = 200, description = "One `credo batch` record a line, in input order: `{line, as_of, decisions}` or `{line, errors}`. The `x-credo-policy-hash` header names the set; `x-credo-batch-id` names the batch in the decision log.",
            body = String, content_type = "application/x-ndjson"),
        (status = 400, description = "A bad `as_of`", body = doc::Problems),
        (status = 401, description = "A bearer token is required", body = doc::Problems),
        (status = 503, description = "Not ready, or too many requests in flight", body = doc::Problems),
    ))]
pub async fn evaluate_batch(
    State(state): State<Arc<AppState>>,
    query: Result<Query<BatchQuery>, axum::extract::rejection::QueryRejection>,
    in_flight: Option<Extension<InFlight>>,
    deadline: Option<Extension<BodyDeadline>>,
    body: Body,
) -> Result<Response, ApiError> {
    let set = state.served()?;
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let as_of = match query.as_of.as_deref() {
        Some(text) => Some(facts::parse_date(text).ok_or_else(|| {
            ApiError::bad_request(format!("`{text}` is not a date"))
                .at("as_of")
                .help("write YYYY-MM-DD")
        })?),
        None => None,
    };
    if let Some(log) = &state.log {
        log.ready()?;
    }
    let (tx, rx) = mpsc::channel::<Bytes>(QUEUE);
    let hash = HeaderValue::from_str(&set.hash).ok();
    let batch_id = uuid::Uuid::now_v7().to_string();
    let batch_header = HeaderValue::from_str(&batch_id).ok();
    let pump = Pump {
        app: state.clone(),
        batch_id,
        set,
        as_of,
        today: chrono::Utc::now().date_naive(),
        limit: state.limits.max_fact_bytes,
        state: ReadState::default(),
        facts: Facts { values: Vec::new() },
        verdicts: Verdicts::default(),
        out: Vec::with_capacity(SEND_AT * 2),
        partial: Vec::new(),
        oversized: false,
        unlogged: None,
        awaiting: Vec::new(),
        line: 0,
        line_deadline: deadline.map_or(LINE_DEADLINE, |Extension(BodyDeadline(d))| d),
        line_due: tokio::time::Instant::now(),
        tx,
    };
    let shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        // The request counts as in flight until its last record is sent.
        let _in_flight = in_flight;
        pump.run(body, shutdown).await;
    });
    let records = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    let mut response = (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(records),
    )
        .into_response();
    if let Some(hash) = hash {
        response.headers_mut().insert("x-credo-policy-hash", hash);
    }
    if let Some(id) = batch_header {
        response.headers_mut().insert("x-credo-batch-id", id);
    }
    Ok(response)
}

struct Pump {
    /// For the decision log.
    app: Arc<AppState>,
    batch_id: String,
    set: Arc<Served>,
    as_of: Option<NaiveDate>,
    today: NaiveDate,
    limit: usize,
    state: ReadState,
    facts: Facts,
    verdicts: Verdicts,
    out: Vec<u8>,
    /// The line being read, until its newline.
    partial: Vec<u8>,
    /// The line being read is over the limit: skipped to its newline.
    oversized: bool,
    /// The record just written to `out` (from this offset on), its line
    /// number and its decision log line, until the log has taken it.
    unlogged: Option<(usize, u64, Vec<u8>)>,
    /// Failing closed, the records in `out` whose lines are queued but not
    /// known to be written: where each is in `out`, its line number, and
    /// what to wait on.
    awaiting: Vec<(std::ops::Range<usize>, u64, Written)>,
    /// Lines finished so far.
    line: u64,
    /// How long the body may go without a whole line, and until when the
    /// next one is due: a body trickled a byte at a time, or stalled, would
    /// otherwise hold its place among those in flight for ever.
    line_deadline: std::time::Duration,
    line_due: tokio::time::Instant,
    tx: mpsc::Sender<Bytes>,
}

impl Pump {
    async fn run(mut self, body: Body, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut input = body.into_data_stream();
        let mut stopped = false;
        self.line_due = tokio::time::Instant::now() + self.line_deadline;
        loop {
            if *shutdown.borrow() {
                stopped = true;
                break;
            }
            let frame = tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        stopped = true;
                        break;
                    }
                    continue;
                }
                frame = input.next() => frame,
                () = tokio::time::sleep_until(self.line_due) => {
                    self.stop(&format!(
                        "the request body stopped: no whole line came within {} ms (`--body-deadline-ms`)",
                        self.line_deadline.as_millis()
                    ));
                    break;
                }
            };
            match frame {
                None => {
                    if !self.partial.is_empty() || self.oversized {
                        self.finish_line();
                        self.settle_log().await;
                    }
                    break;
                }
                Some(Err(e)) => {
                    self.stop(&format!("the request body stopped: {e}"));
                    break;
                }
                Some(Ok(bytes)) => {
                    if !self.take(&bytes).await {
                        return;
                    }
                }
            }
        }
        if stopped {
            self.stop("the service is shutting down");
        }
        self.confirm().await;
        let out = std::mem::take(&mut self.out);
        if !out.is_empty() {
            let _ = self.tx.send(Bytes::from(out)).await;
        }
        drop(self.tx);
        if stopped {
            // The rest of the body is read and dropped, for a short while:
            // closing with unread bytes would reset the connection, and the
            // client could lose records it was sent but has not read yet.
            let _ = tokio::time::timeout(DRAIN, async {
                while let Some(Ok(_)) = input.next().await {}
            })
            .await;
        }
    }

    /// Evaluates the lines a frame completes; false when the client is gone.
    async fn take(&mut self, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            let (piece, ends_line) = match bytes.iter().position(|b| *b == b'\n') {
                Some(i) => (bytes.get(..i).unwrap_or(&[]), true),
                None => (bytes, false),
            };
            bytes = bytes
                .get(piece.len() + usize::from(ends_line)..)
                .unwrap_or(&[]);
            if !self.oversized {
                if self.partial.len() + piece.len() > self.limit {
                    self.oversized = true;
                    self.partial = Vec::new();
                } else {
                    self.partial.extend_from_slice(piece);
                }
            }
            if ends_line {
                self.finish_line();
                self.settle_log().await;
                if self.out.len() >= SEND_AT {
                    self.confirm().await;
                    let out = std::mem::replace(&mut self.out, Vec::with_capacity(SEND_AT * 2));
                    if self.tx.send(Bytes::from(out)).await.is_err() {
                        return false;
                    }
                    // The time spent waiting for the client to read is
                    // not the client's to send in.
                    self.line_due = tokio::time::Instant::now() + self.line_deadline;
                }
            }
        }
        true
    }

    fn finish_line(&mut self) {
        self.line += 1;
        let number = self.line;
        let line = std::mem::take(&mut self.partial);
        if std::mem::take(&mut self.oversized) {
            let problem = whole(
                format!(
                    "the line is larger than the limit of {}",
                    crate::base::limits::bytes(self.limit)
                ),
                Some("one line holds one account's facts; the limit is `--max-fact-bytes`"),
            );
            self.set
                .writer
                .error(number, None, &[problem], &mut self.out);
            self.line_due = tokio::time::Instant::now() + self.line_deadline;
        } else {
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            if !line.iter().all(u8::is_ascii_whitespace) {
                self.evaluate(number, line);
                self.line_due = tokio::time::Instant::now() + self.line_deadline;
            }
        }
        // The buffer is reused unless one long line made it large.
        let mut line = line;
        if line.capacity() <= 64 * 1024 {
            line.clear();
            self.partial = line;
        }
    }

    /// One record, as `credo batch` writes it.
    fn evaluate(&mut self, number: u64, line: &[u8]) {
        let set = &*self.set;
        let loaded;
        let (facts, warnings): (&Facts, &[FactProblem]) =
            if set
                .reader
                .read(line, &mut self.state, &mut self.facts.values)
            {
                (&self.facts, &[])
            } else {
                let Ok(text) = std::str::from_utf8(line) else {
                    let problem = whole("not UTF-8 text".into(), None);
                    set.writer.error(number, None, &[problem], &mut self.out);
                    return;
                };
                // The careful loader names every problem, which can take
                // seconds for a line of many unknown fields.
                match heavy(|| facts::load_text(&set.program().schema, text, Format::Json)) {
                    Ok(l) => {
                        loaded = l;
                        (&loaded.facts, &loaded.warnings)
                    }
                    Err(problems) => {
                        // As `credo batch`: each problem with its line and column.
                        let at = usize::try_from(number).unwrap_or(usize::MAX);
                        let problems = report::placed(problems, text, Format::Json, at);
                        set.writer.error(number, None, &problems, &mut self.out);
                        return;
                    }
                }
            };
        let (as_of, as_of_source) = match (self.as_of, facts.as_of(&set.program().schema)) {
            (Some(asked), _) => (asked, AsOfSource::Option),
            (None, Some(given)) => (given, AsOfSource::Facts),
            (None, None) => (self.today, AsOfSource::Today),
        };
        match set
            .program()
            .decide_into(facts, as_of, &[], &mut self.verdicts)
        {
            Ok(()) => {
                let mark = self.out.len();
                set.writer.record(
                    set.program(),
                    number,
                    None,
                    &self.verdicts,
                    &facts.values,
                    as_of,
                    &listed(warnings),
                    &mut self.out,
                );
                if let Some(log_line) = self.log_line(number, line, as_of, as_of_source) {
                    self.unlogged = Some((mark, number, log_line));
                }
            }
            Err(e) => set
                .writer
                .error(number, None, &[whole(e.to_string(), None)], &mut self.out),
        }
    }

    /// The decision log's line for the record just decided, when the
    /// service keeps a log.
    fn log_line(
        &self,
        number: u64,
        line: &[u8],
        as_of: NaiveDate,
        as_of_source: AsOfSource,
    ) -> Option<Vec<u8>> {
        let log = self.app.log.as_ref()?;
        let evaluation = self
            .verdicts
            .to_evaluation(self.set.program(), as_of_source);
        Some(log.line(
            &self.set,
            Answered {
                endpoint: Endpoint::Batch,
                decision_id: &uuid::Uuid::now_v7().to_string(),
                batch: Some(BatchPlace {
                    id: self.batch_id.clone(),
                    line: number,
                }),
                requested: &[],
                whatif: None,
                as_of,
                as_of_source,
                decisions: LoggedDecision::of(&evaluation),
                answer_sha256: None,
            },
            serde_json::from_slice(line).unwrap_or(serde_json::Value::Null),
        ))
    }

    /// Hands the last record's line to the decision log, waiting up to
    /// [`LOG_WAIT`] for room; when the log cannot take it and the service
    /// fails closed, the record is replaced by an error record.
    async fn settle_log(&mut self) {
        let Some((mark, number, mut line)) = self.unlogged.take() else {
            return;
        };
        let Some(log) = &self.app.log else {
            return;
        };
        let mut result = log.ready();
        if result.is_ok() {
            let started = std::time::Instant::now();
            result = loop {
                match log.offer(line) {
                    Ok(None) => break Ok(()),
                    Ok(Some(written)) => {
                        self.awaiting.push((mark..self.out.len(), number, written));
                        break Ok(());
                    }
                    Err(back) if started.elapsed() < LOG_WAIT => {
                        line = back;
                        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    }
                    Err(_) => break log.give_up(),
                }
            };
        }
        if let Err(refused) = result {
            self.out.truncate(mark);
            refuse(&self.set, number, &refused, &mut self.out);
        }
    }

    /// Waits until the lines of the records in `out` are written; a record
    /// whose line was not becomes an error record.
    async fn confirm(&mut self) {
        let awaiting = std::mem::take(&mut self.awaiting);
        let mut failed = Vec::new();
        for (place, number, written) in awaiting {
            if let Err(refused) = DecisionLog::written(written).await {
                failed.push((place, number, refused));
            }
        }
        if failed.is_empty() {
            return;
        }
        let sent = std::mem::replace(&mut self.out, Vec::with_capacity(SEND_AT * 2));
        let mut at = 0;
        for (place, number, refused) in failed {
            self.out
                .extend_from_slice(sent.get(at..place.start).unwrap_or(&[]));
            refuse(&self.set, number, &refused, &mut self.out);
            at = place.end;
        }
        self.out.extend_from_slice(sent.get(at..).unwrap_or(&[]));
    }

    /// Ends the stream with a record for the next line, saying why.
    fn stop(&mut self, why: &str) {
        let problem = whole(
            format!("{why}: lines from {} on were not evaluated", self.line + 1),
            Some("send those lines again"),
        );
        self.set
            .writer
            .error(self.line + 1, None, &[problem], &mut self.out);
    }
}

/// The error record of a line whose decision the log could not take.
fn refuse(set: &Served, number: u64, refused: &ApiError, out: &mut Vec<u8>) {
    let why = refused
        .problems
        .first()
        .map_or("the decision log cannot be written", |p| p.message.as_str());
    let problem = whole(
        format!("{why}: this line was not answered"),
        Some("the service fails closed (`--log-on-failure refuse`): send the line again later"),
    );
    set.writer.error(number, None, &[problem], out);
}

/// Runs slow work in a stream's task, the worker handing its other tasks
/// to another thread first (on the multi-thread runtime the service uses),
/// so that `/healthz` and the other requests do not wait behind it.
fn heavy<T>(work: impl FnOnce() -> T) -> T {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread {
        tokio::task::block_in_place(work)
    } else {
        work()
    }
}

/// A line that could not be read at all (too long, not UTF-8, cut off).
fn whole(message: String, help: Option<&str>) -> FactProblem {
    FactProblem {
        help: help.map(str::to_owned),
        ..FactProblem::whole(crate::input::facts::codes::UNREADABLE, message)
    }
}
