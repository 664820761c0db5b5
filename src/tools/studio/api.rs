//! The studio's routes. Each takes the edited set whole (the page holds
//! every file's text) and answers from it alone: nothing is cached between
//! requests, so an answer is never from a stale edit.

use std::path::Path;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::edited::{self, EditedFile};
use crate::tools::lsp::analysis::{Analysis, Target};
use crate::tools::lsp::text::{Pos, Range};
use crate::tools::lsp::{complete as lsp_complete, edit, hover as lsp_hover};
use crate::tools::serve::problem::{ApiError, Problem};
use crate::tools::serve::routes::json_response;
use crate::tools::serve::state::AppState;

type Shared = State<Arc<AppState>>;

static SAVING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The edited set.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRequest {
    /// Every policy file, as edited.
    pub files: Vec<EditedFile>,
}

/// The edited set and, to decide, a fact document.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyseRequest {
    pub files: Vec<EditedFile>,
    /// A fact document, as `credo eval` reads it from a `.json` file.
    #[schema(value_type = Object)]
    #[serde(default)]
    pub facts: Option<Value>,
}

/// A place in one file of the edited set.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceRequest {
    pub files: Vec<EditedFile>,
    /// The file's name.
    pub file: String,
    /// Zero-based line.
    pub line: u32,
    /// Zero-based UTF-16 column.
    pub character: u32,
}

/// A whatif question against the edited set.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatifRequest {
    pub files: Vec<EditedFile>,
    #[schema(value_type = Object)]
    pub facts: Value,
    pub decision: String,
    /// The outcome wanted; for an amount, the next tier when absent.
    #[serde(default)]
    pub to: Option<String>,
}

fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!("the request is not the JSON expected: {e}"))
            .help("send {\"files\": [{\"name\": \"x.credo\", \"text\": \"...\"}], ...}")
    })
}

/// Runs heavy work off the request threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

fn ok(value: &impl Serialize) -> Response {
    json_response(StatusCode::OK, value)
}

/// A text file of the directory, bounded.
fn read_text(path: &Path, limit: usize) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > limit as u64 {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The files with `extension` directly in `dir`, in name order.
fn listed(dir: &Path, extension: &str) -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == extension))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The policy files on disk, the shipped examples, the fact schema and the corpus.
#[utoipa::path(get, path = "/v1/studio/files", tag = "studio",
    responses((status = 200, description = "The policy files and their text, the examples as fact documents, the fact schema, the corpus name", body = Object)))]
pub async fn files(State(state): Shared) -> Result<Response, ApiError> {
    let dir = state.dir.clone();
    let limits = state.limits;
    let answer = blocking(move || {
        let files: Vec<Value> = listed(&dir, "credo")
            .iter()
            .take(limits.max_policy_files)
            .filter_map(|p| {
                let text = read_text(p, limits.max_policy_bytes)?;
                Some(json!({"name": file_name(p), "text": text}))
            })
            .collect();
        let examples: Vec<Value> = listed(&dir.join("examples"), "yaml")
            .iter()
            .filter_map(|p| {
                let text = read_text(p, limits.max_fact_bytes)?;
                let facts: Value = serde_yaml::from_str(&text).ok()?;
                let about = text
                    .lines()
                    .next()
                    .and_then(|l| l.strip_prefix('#'))
                    .map(str::trim)
                    .unwrap_or("");
                Some(json!({"name": file_name(p), "about": about, "facts": facts}))
            })
            .collect();
        let edited: Vec<EditedFile> = files
            .iter()
            .filter_map(|f| serde_json::from_value(f.clone()).ok())
            .collect();
        let analysis = edited::analysis(&edited, &dir);
        let schema = analysis
            .schema
            .as_ref()
            .map(crate::tools::serve::live::facts_schema);
        let decisions: Vec<Value> = analysis
            .program
            .as_ref()
            .map(|p| {
                p.decisions
                    .iter()
                    .map(|d| json!({"id": d.id, "kind": d.kind.name().as_str()}))
                    .collect()
            })
            .unwrap_or_default();
        Ok(json!({
            "dir": dir.display().to_string(),
            "files": files,
            "examples": examples,
            "schema": schema,
            "decisions": decisions,
            "corpus": super::corpus().map(|(name, _)| name.clone()),
        }))
    })
    .await?;
    Ok(ok(&answer))
}

/// A problem with its file named, and its quick fixes.
fn problems(a: &Analysis) -> Vec<Value> {
    a.problems()
        .into_iter()
        .map(|p| {
            let fixes: Vec<Value> = edit::fixes(a, p.file, p.range)
                .into_iter()
                .filter(|f| f.problem == p)
                .map(|f| {
                    let edits: Vec<Value> = f
                        .edits
                        .iter()
                        .filter_map(|(at, text)| match at.target {
                            Target::Policy(i) => Some(json!({
                                "file": a.name(i),
                                "range": at.range,
                                "text": text,
                            })),
                            Target::Test(_) => None,
                        })
                        .collect();
                    json!({"title": f.title, "edits": edits})
                })
                .collect();
            let (message, help) = match p.message.split_once("\nhelp: ") {
                Some((m, h)) => (m.to_owned(), Some(h.to_owned())),
                None => (p.message.clone(), None),
            };
            json!({
                "file": a.name(p.file),
                "range": p.range,
                "severity": if p.error { "error" } else { "warning" },
                "code": p.code,
                "message": message,
                "help": help,
                "fixes": fixes,
            })
        })
        .collect()
}

fn fact_problems(found: &[crate::input::facts::FactProblem]) -> Vec<Value> {
    found
        .iter()
        .map(|p| {
            json!({"path": p.path, "message": p.message, "help": p.help, "code": p.code, "severity": p.severity})
        })
        .collect()
}

/// Diagnostics with quick fixes, and when facts are sent, every decision's outcome with its trace.
#[utoipa::path(post, path = "/v1/studio/analyse", tag = "studio",
    request_body = AnalyseRequest,
    responses(
        (status = 200, description = "`problems` (the checker's diagnostics, each with help and quick fixes); `checks`; with facts, `explanation` (as `credo explain --format json`) or `fact_problems`", body = Object),
        (status = 400, description = "The request is not valid", body = crate::tools::serve::problem::Problems),
    ))]
pub async fn analyse(State(state): Shared, body: Bytes) -> Result<Response, ApiError> {
    let request: AnalyseRequest = parse(&body)?;
    edited::check_files(&request.files, &state.limits)?;
    let dir = state.dir.clone();
    let limits = state.limits;
    let answer = blocking(move || {
        let analysis = edited::analysis(&request.files, &dir);
        let found = problems(&analysis);
        let set = edited::policy_set(&request.files, &limits);
        let checks = set.is_ok();
        let mut answer = json!({"checks": checks, "problems": found});
        if let (Ok(set), Some(facts)) = (set, &request.facts) {
            answer["policy_hash"] = json!(set.hash().to_string());
            match set.facts_from_json(facts) {
                Ok(loaded) => {
                    answer["fact_warnings"] = json!(fact_problems(&loaded.warnings));
                    match set.explain(&loaded.facts, &crate::Options::default()) {
                        Ok(explanation) => answer["explanation"] = json!(explanation),
                        Err(e) => answer["eval_error"] = json!(e.to_string()),
                    }
                }
                Err(e) => answer["fact_problems"] = json!(fact_problems(&e.problems)),
            }
        }
        Ok(answer)
    })
    .await?;
    Ok(ok(&answer))
}

fn place_in(request: &PlaceRequest, dir: &Path) -> Result<(Analysis, usize, Pos), ApiError> {
    let analysis = edited::analysis(&request.files, dir);
    let file = analysis.file_named(&request.file).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_file",
            format!("no file `{}` in the set sent", request.file),
        )
        .at("file")
    })?;
    let pos = Pos {
        line: request.line,
        character: request.character,
    };
    Ok((analysis, file, pos))
}

/// Completions at a place: field paths, enum members, decision ids, keywords, currencies.
#[utoipa::path(post, path = "/v1/studio/complete", tag = "studio",
    request_body = PlaceRequest,
    responses(
        (status = 200, description = "`items`: label, kind, detail", body = Object),
        (status = 422, description = "No such file in the set", body = crate::tools::serve::problem::Problems),
    ))]
pub async fn complete(State(state): Shared, body: Bytes) -> Result<Response, ApiError> {
    let request: PlaceRequest = parse(&body)?;
    edited::check_files(&request.files, &state.limits)?;
    let dir = state.dir.clone();
    let answer = blocking(move || {
        let (analysis, file, pos) = place_in(&request, &dir)?;
        let offset = analysis.offset(file, pos);
        let items = lsp_complete::complete(&analysis, analysis.text(file), offset);
        Ok(json!({"items": items}))
    })
    .await?;
    Ok(ok(&answer))
}

/// What the thing at a place is: a field's type, a decision's rules and tests, a code's text.
#[utoipa::path(post, path = "/v1/studio/hover", tag = "studio",
    request_body = PlaceRequest,
    responses(
        (status = 200, description = "`hover`: the range and the Markdown text, or null", body = Object),
        (status = 422, description = "No such file in the set", body = crate::tools::serve::problem::Problems),
    ))]
pub async fn hover(State(state): Shared, body: Bytes) -> Result<Response, ApiError> {
    let request: PlaceRequest = parse(&body)?;
    edited::check_files(&request.files, &state.limits)?;
    let dir = state.dir.clone();
    let answer = blocking(move || {
        let (analysis, file, pos) = place_in(&request, &dir)?;
        let found: Option<(Range, String)> = lsp_hover::hover(&analysis, file, pos);
        Ok(json!({"hover": found.map(|(range, text)| json!({"range": range, "text": text}))}))
    })
    .await?;
    Ok(ok(&answer))
}

/// The smallest changes to the facts that give a decision of the edited set another outcome.
#[utoipa::path(post, path = "/v1/studio/whatif", tag = "studio",
    request_body = WhatifRequest,
    responses(
        (status = 200, description = "`answer` (already, changes, fixed, impossible) and `alternatives`, each a list of fact changes", body = Object),
        (status = 400, description = "The facts are not valid", body = crate::tools::serve::problem::Problems),
        (status = 422, description = "The edited set does not check, or the decision or outcome is unknown", body = crate::tools::serve::problem::Problems),
    ))]
pub async fn whatif(State(state): Shared, body: Bytes) -> Result<Response, ApiError> {
    let request: WhatifRequest = parse(&body)?;
    edited::check_files(&request.files, &state.limits)?;
    let limits = state.limits;
    let answer = blocking(move || {
        let set = edited::policy_set(&request.files, &limits)?;
        let loaded = set
            .facts_from_json(&request.facts)
            .map_err(|e| ApiError::bad_facts(&e.problems))?;
        let w = set
            .whatif(
                &loaded.facts,
                None,
                &request.decision,
                request.to.as_deref(),
            )
            .map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unanswerable",
                    e.to_string(),
                )
            })?;
        Ok(whatif_json(set.program(), &w))
    })
    .await?;
    Ok(ok(&answer))
}

fn whatif_json(program: &crate::Program, w: &crate::tools::whatif::Whatif) -> Value {
    use crate::tools::whatif::{Alternative, Answer, Target as Wanted};
    let alternative = |a: &Alternative| {
        json!({
            "changes": a.changes.iter().map(|c| json!({
                "fact": c.path,
                "from": c.from.as_ref().map(|v| program.show_value(v)),
                "to": program.show_value(&c.to),
            })).collect::<Vec<_>>(),
            "gives": a.gives.as_text(),
        })
    };
    let (answer, alternatives): (&str, Vec<Value>) = match &w.answer {
        Answer::Already => ("already", Vec::new()),
        Answer::Changes(a) => ("changes", a.iter().map(alternative).collect()),
        Answer::Fixed { alternatives, .. } => {
            ("fixed", alternatives.iter().map(alternative).collect())
        }
        Answer::Impossible => ("impossible", Vec::new()),
        Answer::TooLarge(_) => ("too_large", Vec::new()),
    };
    json!({
        "decision": w.decision,
        "now": w.now.outcome.as_text(),
        "target": match &w.target {
            Wanted::Outcome(word) => word.clone(),
            Wanted::Amount(m) => m.to_string(),
            Wanted::Higher => "higher".into(),
        },
        "answer": answer,
        "alternatives": alternatives,
        "changeable": w.changeable,
        "text": crate::tools::whatif::render(program, w),
    })
}

/// `credo verify` over the edited set: findings and assertions, each counterexample a fact document.
#[utoipa::path(post, path = "/v1/studio/verify", tag = "studio",
    request_body = SetRequest,
    responses(
        (status = 200, description = "`credo verify --format json`: decisions with findings, assertions, summary", body = Object),
        (status = 422, description = "The edited set does not check", body = crate::tools::serve::problem::Problems),
    ))]
pub async fn verify(State(state): Shared, body: Bytes) -> Result<Response, ApiError> {
    let request: SetRequest = parse(&body)?;
    edited::check_files(&request.files, &state.limits)?;
    let limits = state.limits;
    let answer = blocking(move || {
        let set = edited::policy_set(&request.files, &limits)?;
        let report = set.verify().map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "unreproducible",
                e.to_string(),
            )
        })?;
        Ok(json!(report))
    })
    .await?;
    Ok(ok(&answer))
}

/// The policy tests (`tests/*.yaml` on disk) and the examples' snapshots
/// against the edited set, with rule coverage.
#[utoipa::path(post, path = "/v1/studio/tests", tag = "studio",
    request_body = SetRequest,
    responses(
        (status = 200, description = "`results` per case (passed, mismatches), `coverage` per rule and row (`at`, `count`), and `snapshots`: the examples' snapshots against the edited set (`matched`, `changed` with their `changes`, `new`, `failed`) and the results waiting for review on disk (`pending`)", body = Object),
        (status = 422, description = "The edited set does not check", body = crate::tools::serve::problem::Problems),
    ))]
pub async fn tests(State(state): Shared, body: Bytes) -> Result<Response, ApiError> {
    let request: SetRequest = parse(&body)?;
    edited::check_files(&request.files, &state.limits)?;
    let dir = state.dir.clone();
    let limits = state.limits;
    let answer = blocking(move || {
        edited::policy_set(&request.files, &limits)?;
        let analysis = edited::analysis(&request.files, &dir);
        let Some(program) = &analysis.program else {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "does_not_check",
                "the edited set does not check",
            ));
        };
        let report = crate::tools::policy_tests::run(program, analysis.tests(), None);
        let results: Vec<Value> = report
            .results
            .iter()
            .map(|r| {
                json!({
                    "name": r.name,
                    "file": file_name(Path::new(&r.file)),
                    "passed": r.passed(),
                    "error": r.error,
                    "mismatches": r.mismatches.iter().map(|m| json!({
                        "decision": m.decision,
                        "field": m.field,
                        "expected": m.expected,
                        "actual": m.actual,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let coverage: Vec<Value> = report
            .coverage
            .items()
            .iter()
            .map(|i| json!({"decision": i.decision, "what": i.what, "at": i.at, "count": i.count}))
            .collect();
        Ok(json!({
            "passed": report.results.len() - report.failed(),
            "failed": report.failed(),
            "results": results,
            "coverage": coverage,
            "percent": report.coverage.percent(),
            "snapshots": snapshots(program, &dir, &limits),
        }))
    })
    .await?;
    Ok(ok(&answer))
}

/// The examples' snapshots against the edited set, as `credo test` runs
/// them: which still match, which the edit would change (and how), and the
/// results already waiting for review on disk (`snapshots/NAME.snap.new`).
fn snapshots(program: &crate::Program, dir: &Path, limits: &crate::Limits) -> Value {
    use crate::tools::snapshot::{self, State};
    let folder = snapshot::directory(dir);
    if !folder.is_dir() {
        return Value::Null;
    }
    let examples = snapshot::examples(&dir.join("examples")).unwrap_or_default();
    let entries = match snapshot::collect(program, &examples, &folder, limits, crate::today()) {
        Ok(entries) => entries,
        Err(e) => return json!({"error": format!("cannot read the snapshots: {e}")}),
    };
    let (mut matched, mut changed, mut new, mut failed) = (0, Vec::new(), Vec::new(), Vec::new());
    for entry in &entries {
        match entry.state() {
            State::Same => matched += 1,
            State::New => new.push(entry.name.clone()),
            State::Changed(what) => changed.push(json!({"name": entry.name, "changes": what})),
            State::Failed(why) => failed.push(json!({"name": entry.name, "error": why})),
        }
    }
    let pending = snapshot::pending(&folder, &examples).unwrap_or_default();
    json!({
        "matched": matched,
        "changed": changed,
        "new": new,
        "failed": failed,
        "pending": pending.iter().map(|p| json!({"name": p.name, "changes": p.changes})).collect::<Vec<_>>(),
    })
}

/// `credo diff` of the saved set against the edited one over the corpus named at start.
#[utoipa::path(post, path = "/v1/studio/impact", tag = "studio",
    request_body = SetRequest,
    responses(
        (status = 200, description = "`credo diff --format json`: flips per decision, money totals before and after", body = Object),
        (status = 409, description = "No corpus was named at start, or the saved set does not check", body = crate::tools::serve::problem::Problems),
        (status = 422, description = "The edited set does not check", body = crate::tools::serve::problem::Problems),
    ))]
pub async fn impact(State(state): Shared, body: Bytes) -> Result<Response, ApiError> {
    let request: SetRequest = parse(&body)?;
    edited::check_files(&request.files, &state.limits)?;
    let Some((name, corpus)) = super::corpus() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_corpus",
            "no corpus was named when the studio started",
        )
        .help("start it with `credo studio --corpus FILE.jsonl`"));
    };
    let dir = state.dir.clone();
    let limits = state.limits;
    let answer = blocking(move || {
        let new = edited::policy_set(&request.files, &limits)?;
        let old = crate::PolicySet::load(&dir, &limits).map_err(|e| {
            ApiError::new(
                StatusCode::CONFLICT,
                "saved_set_does_not_check",
                e.to_string(),
            )
        })?;
        let diff =
            crate::PolicySet::diff(&old, &new, corpus, name, crate::today()).map_err(|lines| {
                ApiError {
                    status: StatusCode::CONFLICT,
                    problems: lines
                        .iter()
                        .take(20)
                        .map(|l| Problem {
                            code: "bad_corpus_line",
                            message: l.message.clone(),
                            path: format!("{name}:{}", l.line),
                            help: None,
                        })
                        .collect(),
                    retry_after: None,
                }
            })?;
        Ok(json!({"corpus": name, "diff": diff}))
    })
    .await?;
    Ok(ok(&answer))
}

/// Writes the edited set, when it checks: each changed file atomically; then the service reloads.
#[utoipa::path(post, path = "/v1/studio/save", tag = "studio",
    request_body = SetRequest,
    responses(
        (status = 200, description = "`saved`: the files written; `policy_hash`: the set now served", body = Object),
        (status = 422, description = "The edited set does not check: nothing was written", body = crate::tools::serve::problem::Problems),
        (status = 500, description = "A file could not be written", body = crate::tools::serve::problem::Problems),
    ))]
pub async fn save(State(state): Shared, body: Bytes) -> Result<Response, ApiError> {
    let request: SetRequest = parse(&body)?;
    edited::check_files(&request.files, &state.limits)?;
    let dir = state.dir.clone();
    let limits = state.limits;
    let saved = blocking(move || {
        // One save at a time: two tabs saving at once must not share a temporary file.
        let _saving = SAVING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let set = edited::policy_set(&request.files, &limits)?;
        let mut saved = Vec::new();
        for f in &request.files {
            let path = dir.join(&f.name);
            if std::fs::read_to_string(&path).is_ok_and(|old| old == f.text) {
                continue;
            }
            write_atomic(&path, f.text.as_bytes()).map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "cannot_write",
                    format!("{}: {e}", path.display()),
                )
            })?;
            saved.push(f.name.clone());
        }
        Ok((saved, set.hash().to_string()))
    })
    .await?;
    let status = crate::tools::serve::reload::reload(&state, "request").await;
    Ok(ok(&json!({
        "saved": saved.0,
        "policy_hash": saved.1,
        "reload": status.outcome,
    })))
}

/// Writes beside the file, flushes it to disk, then renames it over the
/// file: a reader (or a crash) sees the old text or the new, never half.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}
