//! The single-document endpoints: evaluate, explain, whatif, the policy
//! set's status and reload, health and readiness.

use std::sync::Arc;

use std::borrow::Cow;

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::app::InFlight;
use super::log::{self, Answered, Endpoint, LoggedDecision, WhatifAsk};
use super::metrics as m;
use super::openapi as doc;
use super::problem::{ApiError, Problem};
use super::set::Served;
use super::state::AppState;
use crate::engine::eval::Request;
use crate::engine::outcome::AsOfSource;
use crate::engine::verdict::Verdicts;
use crate::input::facts::{self, FactProblem, Facts, Format};
use crate::input::fast::ReadState;

type Shared = State<Arc<AppState>>;

/// A JSON answer with its newline.
pub fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    let mut body = serde_json::to_vec(value).unwrap_or_default();
    body.push(b'\n');
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Reads a whole body of at most `limit` bytes: 413 past it (without
/// reading further), 408 when the client stops sending.
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    let mut bytes = Vec::with_capacity(declared.map_or(1024, |n| n as usize));
    let mut stream = body.into_data_stream();
    while let Some(frame) = stream.next().await {
        let frame = frame.map_err(|e| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_incomplete",
                format!("the request body did not arrive whole: {e}"),
            )
        })?;
        if bytes.len() + frame.len() > limit {
            return Err(ApiError::too_large(limit));
        }
        bytes.extend_from_slice(&frame);
    }
    Ok(bytes)
}

/// `{"facts": {...}, "decisions": [...], "as_of": "YYYY-MM-DD"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvaluateBody<'a> {
    #[serde(borrow)]
    facts: &'a RawValue,
    #[serde(default)]
    decisions: Option<Vec<String>>,
    #[serde(default)]
    as_of: Option<String>,
}

/// `{"facts": {...}, "decision": "...", "to": "...", "as_of": "YYYY-MM-DD"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WhatifBody<'a> {
    #[serde(borrow)]
    facts: &'a RawValue,
    decision: String,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    as_of: Option<String>,
}

fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    // serde would also take a struct as an array of its fields.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(ApiError::bad_request("the request must be a JSON object")
            .help("send {\"facts\": {...}}, with optional \"decisions\" and \"as_of\""));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!("the request is not the JSON expected: {e}"))
            .help("send {\"facts\": {...}}, with optional \"decisions\" and \"as_of\"")
    })
}

/// Every unknown decision id, each with the nearest known one.
fn check_decisions(set: &Served, ids: &[String]) -> Result<(), ApiError> {
    let known = || set.program().decisions.iter().map(|d| d.id.as_str());
    let problems: Vec<Problem> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| set.program().decision(id).is_none())
        .map(|(i, id)| Problem {
            code: "unknown_decision",
            message: format!("no decision `{id}`"),
            path: format!("decisions[{i}]"),
            help: Some(match crate::base::suggest::closest(id, known()) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!(
                    "the decisions are {}",
                    known().collect::<Vec<_>>().join(", ")
                ),
            }),
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        problems,
        retry_after: None,
    })
}

/// Loads the facts through the batch's fast reader, or the careful loader
/// for anything it does not take (which also names every problem).
pub fn load_facts(
    set: &Served,
    raw: &RawValue,
    limits: &crate::Limits,
) -> Result<(Facts, Vec<FactProblem>), ApiError> {
    let text = raw.get();
    if !text.starts_with('{') {
        return Err(ApiError::bad_request("the facts must be a JSON object")
            .at("facts")
            .help("send the fact document as `credo eval` reads it from a .json file"));
    }
    let mut state = ReadState::default();
    let mut values = Vec::new();
    if set.reader.read(text.as_bytes(), &mut state, &mut values) {
        return Ok((Facts { values }, Vec::new()));
    }
    let loaded = facts::load_text_with(&set.program().schema, text, Format::Json, limits)
        .map_err(|p| ApiError::bad_facts(&p))?;
    Ok((loaded.facts, loaded.warnings))
}

/// The date asked for, else the facts', else today.
fn dated(
    set: &Served,
    asked: Option<&str>,
    facts: &Facts,
) -> Result<(NaiveDate, AsOfSource), ApiError> {
    if let Some(text) = asked {
        let date = facts::parse_date(text).ok_or_else(|| {
            ApiError::bad_request(format!("`{text}` is not a date"))
                .at("as_of")
                .help("write YYYY-MM-DD")
        })?;
        return Ok((date, AsOfSource::Option));
    }
    Ok(match facts.as_of(&set.program().schema) {
        Some(d) => (d, AsOfSource::Facts),
        None => (chrono::Utc::now().date_naive(), AsOfSource::Today),
    })
}

/// Warnings listed in one answer at most: a document of 80,000 unknown
/// fields was answered with 7.5 MB of them.
pub const LISTED_WARNINGS: usize = 100;

/// The first [`LISTED_WARNINGS`] warnings, and past them one more saying
/// how many were left out.
pub fn listed(found: &[FactProblem]) -> Cow<'_, [FactProblem]> {
    let Some(left_out) = found.len().checked_sub(LISTED_WARNINGS).filter(|n| *n > 0) else {
        return Cow::Borrowed(found);
    };
    let mut shown = found.get(..LISTED_WARNINGS).unwrap_or(found).to_vec();
    shown.push(FactProblem {
        code: facts::codes::UNKNOWN_FIELD,
        path: String::new(),
        message: format!("and {left_out} more unknown fields, ignored, not listed"),
        help: Some(format!(
            "only the first {LISTED_WARNINGS} warnings are listed"
        )),
        position: None,
        severity: crate::lang::diagnostics::Severity::Warning,
    });
    Cow::Owned(shown)
}

fn warnings(found: &[FactProblem]) -> Vec<Problem> {
    listed(found)
        .iter()
        .map(|p| Problem {
            code: "unknown_fact",
            message: p.message.clone(),
            path: if p.path.is_empty() {
                "facts".to_owned()
            } else {
                format!("facts.{}", p.path)
            },
            help: p.help.clone(),
        })
        .collect()
}

/// Runs a request's CPU-bound part (loading the facts, evaluating,
/// explaining, searching) on the blocking pool, so that it never holds an
/// async worker (a document of many unknown fields took seconds, and
/// `/healthz` waited behind it). The request's in-flight place is held
/// until the work ends, even if the answer was given up on by then.
async fn off_the_reactor<T: Send + 'static>(
    in_flight: Option<Extension<InFlight>>,
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || {
        let _held = in_flight;
        work()
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

fn eval_failed(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "cannot_evaluate", e.to_string())
}

fn date<S: serde::Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&d.format("%Y-%m-%d"))
}

/// What every route that evaluates asks first: a set that checked, a
/// decision log that can take the answer (failing closed before any work),
/// and the body, within the facts size limit.
async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Arc<Served>, Vec<u8>), ApiError> {
    let set = state.served()?;
    if let Some(log) = &state.log {
        log.ready()?;
    }
    let bytes = read_body(headers, body, state.limits.max_fact_bytes).await?;
    Ok((set, bytes))
}

/// One account of an evaluate or explain body, read and checked.
struct Account<'a> {
    /// The facts as sent, for the decision log.
    raw: &'a RawValue,
    /// The decisions asked for (none: all of them).
    ids: Vec<String>,
    facts: Facts,
    found: Vec<FactProblem>,
    as_of: NaiveDate,
    as_of_source: AsOfSource,
}

fn account<'a>(
    set: &Served,
    bytes: &'a [u8],
    limits: &crate::Limits,
) -> Result<Account<'a>, ApiError> {
    let body: EvaluateBody = parse(bytes)?;
    let ids = body.decisions.unwrap_or_default();
    check_decisions(set, &ids)?;
    let (facts, found) = load_facts(set, body.facts, limits)?;
    let (as_of, as_of_source) = dated(set, body.as_of.as_deref(), &facts)?;
    Ok(Account {
        raw: body.facts,
        ids,
        facts,
        found,
        as_of,
        as_of_source,
    })
}

/// Evaluate one account.
#[utoipa::path(post, path = "/v1/evaluate", tag = "decisions",
    request_body = doc::EvaluateRequest,
    responses(
        (status = 200, description = "The `credo eval --format json` contract, with the decision id, the policy hash and the date used", body = doc::EvaluateAnswer),
        (status = 400, description = "The request or its facts are not valid; nothing was evaluated", body = doc::Problems),
        (status = 401, description = "A bearer token is required", body = doc::Problems),
        (status = 413, description = "The body is larger than the facts size limit", body = doc::Problems),
        (status = 422, description = "An unknown decision, with the nearest known one", body = doc::Problems),
        (status = 408, description = "The body did not arrive whole in time (`--body-deadline-ms`, or the request timeout while it was still arriving)", body = doc::Problems),
        (status = 503, description = "Not ready, too many requests in flight, or the answer not ready within the request timeout; with `Retry-After`", body = doc::Problems),
    ))]
pub async fn evaluate(
    State(state): Shared,
    in_flight: Option<Extension<InFlight>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (set, bytes) = admit(&state, &headers, body).await?;
    let app = state.clone();
    let served = set.clone();
    let (answer, line, verdicts) = off_the_reactor(in_flight, move || {
        let set = served;
        let Account {
            raw,
            ids,
            facts,
            found,
            as_of,
            as_of_source,
        } = account(&set, &bytes, &app.limits)?;
        let chosen = set.program().select(&ids).map_err(eval_failed)?;
        let mut verdicts = Verdicts::default();
        set.program()
            .decide_into(&facts, as_of, &chosen, &mut verdicts)
            .map_err(eval_failed)?;
        let decision_id = uuid::Uuid::now_v7().to_string();
        let line = app.log.as_ref().map(|log| {
            let evaluation = verdicts.to_evaluation_for(set.program(), as_of_source, &facts.values);
            log.evaluate_line(&set, &decision_id, &ids, &evaluation, Some(raw))
        });
        let answer = evaluate_answer(
            &set,
            &decision_id,
            &verdicts,
            &facts.values,
            as_of,
            as_of_source,
            &found,
        );
        Ok((answer, line, verdicts))
    })
    .await?;
    if let (Some(log), Some(line)) = (&state.log, line) {
        log.submit(line).await?;
    }
    m::decisions(&set, &verdicts);
    Ok(answer)
}

/// The answer, its decisions written by the batch's record writer (the
/// decision objects of `credo eval --format json`, pre-escaped once per
/// set): the record's head (`line`, `as_of`, `policy_hash`, fixed fields)
/// gives way to the service's own.
fn evaluate_answer(
    set: &Served,
    decision_id: &str,
    verdicts: &Verdicts,
    facts: &[Option<crate::model::ir::Value>],
    as_of: NaiveDate,
    as_of_source: AsOfSource,
    found: &[FactProblem],
) -> Response {
    let mut record = Vec::with_capacity(8 * 1024);
    set.writer.record(
        set.program(),
        0,
        None,
        verdicts,
        facts,
        as_of,
        &[],
        &mut record,
    );
    let tail = record
        .windows(DECISIONS.len())
        .position(|w| w == DECISIONS)
        .and_then(|at| record.get(at..))
        .unwrap_or(b"\"decisions\":[]}\n");
    let tail = tail.strip_suffix(b"}\n").unwrap_or(tail);
    let mut body = Vec::with_capacity(tail.len() + 256);
    let head = serde_json::json!({
        "decision_id": decision_id,
        "policy_hash": set.hash,
        "as_of": as_of.format("%Y-%m-%d").to_string(),
        "as_of_source": as_of_source,
    })
    .to_string();
    body.extend_from_slice(head.strip_suffix('}').unwrap_or(&head).as_bytes());
    body.push(b',');
    body.extend_from_slice(tail);
    let found = warnings(found);
    if !found.is_empty() {
        body.extend_from_slice(b",\"warnings\":");
        let _ = serde_json::to_writer(&mut body, &found);
    }
    body.extend_from_slice(b"}\n");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

const DECISIONS: &[u8] = b"\"decisions\":[";

/// Explain one account's decisions: every rule and row, each condition with the facts it read.
#[utoipa::path(post, path = "/v1/explain", tag = "decisions",
    request_body = doc::EvaluateRequest,
    responses(
        (status = 200, description = "`credo explain --format json`, with the policy hash", body = doc::ExplainAnswer),
        (status = 400, description = "The request or its facts are not valid", body = doc::Problems),
        (status = 401, description = "A bearer token is required", body = doc::Problems),
        (status = 413, description = "The body is larger than the facts size limit", body = doc::Problems),
        (status = 422, description = "An unknown decision", body = doc::Problems),
        (status = 408, description = "The body did not arrive whole in time (`--body-deadline-ms`, or the request timeout while it was still arriving)", body = doc::Problems),
        (status = 503, description = "Not ready, too many requests in flight, or the answer not ready within the request timeout; with `Retry-After`", body = doc::Problems),
    ))]
pub async fn explain(
    State(state): Shared,
    in_flight: Option<Extension<InFlight>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (set, bytes) = admit(&state, &headers, body).await?;
    let app = state.clone();
    let (answer, line) = off_the_reactor(in_flight, move || {
        let Account {
            raw,
            ids,
            facts,
            found,
            as_of,
            as_of_source,
        } = account(&set, &bytes, &app.limits)?;
        let request = Request {
            as_of,
            as_of_source,
            decisions: &ids,
        };
        let explanation =
            crate::tools::explain::explain(set.program(), &facts, &request).map_err(eval_failed)?;
        let decision_id = uuid::Uuid::now_v7().to_string();
        let line = app.log.as_ref().map(|log| {
            log.line(
                &set,
                Answered {
                    endpoint: Endpoint::Explain,
                    decision_id: &decision_id,
                    batch: None,
                    requested: &ids,
                    whatif: None,
                    as_of,
                    as_of_source,
                    decisions: LoggedDecision::all(
                        explanation.decisions.iter().map(|d| &d.outcome),
                    ),
                    answer_sha256: Some(log::digest(&explanation.decisions)),
                },
                logged_facts(raw),
            )
        });
        #[derive(Serialize)]
        struct Answer<'a> {
            decision_id: &'a str,
            policy_hash: &'a str,
            #[serde(serialize_with = "date")]
            as_of: NaiveDate,
            as_of_source: AsOfSource,
            decisions: &'a [crate::tools::explain::DecisionTrace],
            #[serde(skip_serializing_if = "Vec::is_empty")]
            warnings: Vec<Problem>,
        }
        let answer = json_response(
            StatusCode::OK,
            &Answer {
                decision_id: &decision_id,
                policy_hash: &set.hash,
                as_of,
                as_of_source,
                decisions: &explanation.decisions,
                warnings: warnings(&found),
            },
        );
        Ok((answer, line))
    })
    .await?;
    if let (Some(log), Some(line)) = (&state.log, line) {
        log.submit(line).await?;
    }
    Ok(answer)
}

/// The smallest changes to the facts that give a decision an outcome.
#[utoipa::path(post, path = "/v1/whatif", tag = "decisions",
    request_body = doc::WhatifRequest,
    responses(
        (status = 200, description = "The smallest changes, any one of which gives the outcome", body = doc::WhatifAnswer),
        (status = 400, description = "The request or its facts are not valid", body = doc::Problems),
        (status = 401, description = "A bearer token is required", body = doc::Problems),
        (status = 413, description = "The body is larger than the facts size limit", body = doc::Problems),
        (status = 422, description = "An unknown decision or an outcome it cannot have", body = doc::Problems),
        (status = 408, description = "The body did not arrive whole in time (`--body-deadline-ms`, or the request timeout while it was still arriving)", body = doc::Problems),
        (status = 503, description = "Not ready, too many requests in flight, or the answer not ready within the request timeout; with `Retry-After`", body = doc::Problems),
    ))]
pub async fn whatif(
    State(state): Shared,
    in_flight: Option<Extension<InFlight>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (set, bytes) = admit(&state, &headers, body).await?;
    let app = state.clone();
    // The search may evaluate many documents.
    let (reply, line) = off_the_reactor(in_flight, move || {
        let body: WhatifBody = parse(&bytes)?;
        check_decisions(&set, std::slice::from_ref(&body.decision)).map_err(|mut e| {
            for p in &mut e.problems {
                p.path = "decision".into();
            }
            e
        })?;
        let target =
            crate::tools::whatif::target(set.program(), &body.decision, body.to.as_deref())
                .map_err(|e| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "bad_target",
                        e.to_string(),
                    )
                    .at("to")
                })?;
        let (facts, _) = load_facts(&set, body.facts, &app.limits)?;
        let (as_of, as_of_source) = dated(&set, body.as_of.as_deref(), &facts)?;
        let answer =
            crate::tools::whatif::whatif(set.program(), &facts, as_of, &body.decision, target)
                .map_err(|e| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "unanswerable",
                        e.to_string(),
                    )
                })?;
        let mut reply = doc::WhatifAnswer::new(&set, as_of, &answer);
        let decision_id = uuid::Uuid::now_v7().to_string();
        let line = app.log.as_ref().map(|log| {
            log.line(
                &set,
                Answered {
                    endpoint: Endpoint::Whatif,
                    decision_id: &decision_id,
                    batch: None,
                    requested: std::slice::from_ref(&body.decision),
                    whatif: Some(WhatifAsk {
                        decision: body.decision.clone(),
                        to: body.to.clone(),
                    }),
                    as_of,
                    as_of_source,
                    decisions: LoggedDecision::all([&answer.now]),
                    // The answer before its id is added: what a replay gives again.
                    answer_sha256: Some(log::digest(&reply)),
                },
                logged_facts(body.facts),
            )
        });
        reply.decision_id = Some(decision_id);
        Ok((json_response(StatusCode::OK, &reply), line))
    })
    .await?;
    if let (Some(log), Some(line)) = (&state.log, line) {
        log.submit(line).await?;
    }
    Ok(reply)
}

/// The request's facts as the log keeps them (before masking).
fn logged_facts(raw: &RawValue) -> serde_json::Value {
    serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null)
}

/// The served policy set: its hash, files, decisions, and the last reload.
#[utoipa::path(get, path = "/v1/policies", tag = "policies",
    responses(
        (status = 200, description = "The served set and the last load's status", body = doc::PoliciesAnswer),
        (status = 401, description = "A bearer token is required", body = doc::Problems),
    ))]
pub async fn policies(State(state): Shared) -> Response {
    json_response(StatusCode::OK, &doc::PoliciesAnswer::new(&state))
}

/// Load the policy directory again; a set that does not check is refused.
#[utoipa::path(post, path = "/v1/policies/reload", tag = "policies",
    responses(
        (status = 200, description = "Loaded, or unchanged", body = doc::ReloadStatusDoc),
        (status = 401, description = "A bearer token is required", body = doc::Problems),
        (status = 422, description = "The set did not check; the last good set keeps serving", body = doc::ReloadStatusDoc),
        (status = 503, description = "Too many requests in flight, or not reloaded within the request timeout; with `Retry-After`", body = doc::Problems),
    ))]
pub async fn reload(State(state): Shared) -> Response {
    let status = super::reload::reload(&state, "request").await;
    let code = if status.outcome == "refused" {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    json_response(code, &*status)
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "Alive", body = doc::Health)))]
pub async fn healthz() -> Response {
    json_response(StatusCode::OK, &serde_json::json!({"status": "ok"}))
}

/// Ready once a policy set has checked clean.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "A policy set is served", body = doc::Ready),
        (status = 503, description = "No policy set has checked clean yet", body = doc::Ready),
    ))]
pub async fn readyz(State(state): Shared) -> Response {
    let served = state.current.load();
    let hash = served.as_ref().map(|s| s.hash.clone());
    let status = if hash.is_some() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(
        status,
        &doc::Ready {
            ready: hash.is_some(),
            policy_hash: hash,
        },
    )
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "The Prometheus text exposition", body = String, content_type = "text/plain"),
        (status = 401, description = "A bearer token is required", body = doc::Problems),
    ))]
pub async fn metrics(State(state): Shared) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        m::render(&state),
    )
        .into_response()
}

/// This document; the fact document's shape and the decision ids are the served set's.
#[utoipa::path(get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
pub async fn openapi(State(state): Shared) -> Response {
    let mut document = serde_json::to_value(doc::document()).unwrap_or_default();
    if let Some(set) = state.current.load_full() {
        super::live::patch(&mut document, set.program());
    }
    json_response(StatusCode::OK, &document)
}
