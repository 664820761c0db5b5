//! The OpenAPI document (`GET /openapi.json`) and the answer types it
//! describes that the engine's own types do not carry.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::set::{CatalogEntry, Served};
use super::state::AppState;
use crate::tools::whatif::{self, Target, Whatif};

pub use super::problem::{Problem, Problems};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "credo decision service",
        description = "Ad-credit decisions from a checked policy set. Every answer names the policy set (`policy_hash`) and the date (`as_of`) that produced it."
    ),
    paths(
        super::routes::evaluate,
        super::stream::evaluate_batch,
        super::routes::explain,
        super::routes::whatif,
        super::routes::policies,
        super::routes::reload,
        super::routes::healthz,
        super::routes::readyz,
        super::routes::metrics,
        super::routes::openapi,
    ),
    components(schemas(Problems, Problem, CatalogEntry)),
    modifiers(&Bearer),
    security((), ("bearer" = []))
)]
struct Document;

struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = Document::openapi();
    document.info.license = None;
    #[cfg(feature = "studio")]
    crate::tools::studio::contract::extend(&mut document);
    document
}

/// One account's facts and what to decide.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct EvaluateRequest {
    /// The fact document, as `credo eval` reads from a `.json` file.
    #[schema(value_type = Object)]
    facts: serde_json::Value,
    /// Decision ids; all, in policy order, when absent or empty.
    decisions: Option<Vec<String>>,
    /// The evaluation date (YYYY-MM-DD); else the facts' `as_of`; else today (UTC).
    #[schema(format = Date, pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$")]
    as_of: Option<String>,
}

/// A whatif question.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct WhatifRequest {
    #[schema(value_type = Object)]
    facts: serde_json::Value,
    /// The decision to change.
    decision: String,
    /// The outcome wanted (`eligible`, a member, `1500 USD`); for an amount,
    /// absent asks for the next tier.
    to: Option<String>,
    #[schema(format = Date, pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$")]
    as_of: Option<String>,
}

/// Why a decision came out as it did.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReasonDoc {
    /// The rule id, a row label such as `row 2` or `otherwise`, or `no_rule_allowed`.
    rule: String,
    message: String,
    /// `policies/new_advertiser.credo:12:3`
    at: String,
}

/// One decision's outcome, as `credo eval --format json` prints it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DecisionDoc {
    id: String,
    /// `eligibility`, `action`, `classification` or `amount`.
    kind: String,
    /// `eligible`, `deny`, a member, `1500.00 USD`, or `undetermined`.
    outcome: String,
    reasons: Vec<ReasonDoc>,
    /// Facts whose absence left the decision undetermined.
    missing: Vec<String>,
    notes: Vec<String>,
}

/// The `credo eval --format json` contract, plus the decision id and policy hash.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EvaluateAnswer {
    /// A UUIDv7, also in the decision log.
    decision_id: String,
    /// The content hash of the policy set that answered.
    policy_hash: String,
    #[schema(format = Date)]
    as_of: String,
    /// `option` (the request's `as_of`), `facts` or `today`.
    as_of_source: String,
    decisions: Vec<DecisionDoc>,
    /// Facts the schema does not know (ignored).
    warnings: Option<Vec<Problem>>,
}

/// `credo explain --format json`, plus the policy hash.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ExplainAnswer {
    /// A UUIDv7, also in the decision log.
    decision_id: String,
    policy_hash: String,
    #[schema(format = Date)]
    as_of: String,
    as_of_source: String,
    /// Each decision's outcome, then `at`, `applies`, `rules` and `rows`.
    decisions: Vec<Object>,
    warnings: Option<Vec<Problem>>,
}

/// Any JSON object.
#[derive(ToSchema)]
pub struct Object;

/// One fact changed.
#[derive(Serialize, ToSchema)]
pub struct ChangeDoc {
    fact: String,
    /// Absent when the fact is not given now.
    from: Option<String>,
    to: String,
}

/// Changes that together give the outcome.
#[derive(Serialize, ToSchema)]
pub struct AlternativeDoc {
    changes: Vec<ChangeDoc>,
    gives: String,
}

/// The answer to a whatif question.
#[derive(Serialize, ToSchema)]
pub struct WhatifAnswer {
    policy_hash: String,
    #[schema(format = Date)]
    as_of: String,
    decision: String,
    /// The outcome now.
    now: String,
    /// The outcome wanted, or `higher` for the next tier.
    target: String,
    /// `already`, `changes` (of facts the account can change), `fixed`
    /// (only facts it cannot change would do it), `impossible`, or
    /// `too_large` (the search stopped at its limit: not known).
    answer: String,
    alternatives: Vec<AlternativeDoc>,
    /// Facts the decision reads that the account can change.
    changeable: Vec<String>,
    /// The answer as `credo whatif` prints it.
    text: String,
    /// A UUIDv7, also in the decision log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_id: Option<String>,
}

impl WhatifAnswer {
    pub fn new(set: &Served, as_of: NaiveDate, w: &Whatif) -> WhatifAnswer {
        let program = set.program();
        let alternative = |a: &whatif::Alternative| AlternativeDoc {
            changes: a
                .changes
                .iter()
                .map(|c| ChangeDoc {
                    fact: c.path.clone(),
                    from: c.from.as_ref().map(|v| program.show_value(v)),
                    to: program.show_value(&c.to),
                })
                .collect(),
            gives: a.gives.as_text(),
        };
        let (answer, alternatives) = match &w.answer {
            whatif::Answer::Already => ("already", Vec::new()),
            whatif::Answer::Changes(a) => ("changes", a.iter().map(alternative).collect()),
            whatif::Answer::Fixed { alternatives, .. } => {
                ("fixed", alternatives.iter().map(alternative).collect())
            }
            whatif::Answer::Impossible => ("impossible", Vec::new()),
            whatif::Answer::TooLarge(_) => ("too_large", Vec::new()),
        };
        WhatifAnswer {
            policy_hash: set.hash.clone(),
            as_of: as_of.format("%Y-%m-%d").to_string(),
            decision: w.decision.clone(),
            now: w.now.outcome.as_text(),
            target: match &w.target {
                Target::Outcome(word) => word.clone(),
                Target::Amount(m) => m.to_string(),
                Target::Higher => "higher".into(),
            },
            answer: answer.into(),
            alternatives,
            changeable: w.changeable.clone(),
            text: whatif::render(program, w),
            decision_id: None,
        }
    }
}

/// How the last load went.
#[derive(ToSchema)]
#[schema(as = ReloadStatus)]
#[allow(dead_code)]
pub struct ReloadStatusDoc {
    /// `loaded`, `unchanged` or `refused`.
    outcome: String,
    #[schema(format = DateTime)]
    at: String,
    /// `start`, `watch`, `signal` or `request`.
    trigger: String,
    hash: Option<String>,
    message: String,
    /// The checker's diagnostics, as `credo check --format json` prints them.
    diagnostics: Vec<DiagnosticDoc>,
}

/// A diagnostic, as `credo check --format json` prints it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DiagnosticDoc {
    code: String,
    /// `error` or `warning`.
    severity: String,
    message: String,
    file: String,
    line: u64,
    column: u64,
    help: Option<String>,
}

/// The served policy set.
#[derive(Serialize, ToSchema)]
pub struct PoliciesAnswer {
    ready: bool,
    directory: String,
    /// Absent until a set has checked clean.
    policy_hash: Option<String>,
    files: Vec<String>,
    #[schema(format = DateTime)]
    loaded_at: Option<String>,
    decisions: Vec<CatalogEntry>,
    #[schema(value_type = ReloadStatusDoc)]
    #[serde(serialize_with = "status")]
    last_reload: std::sync::Arc<super::state::ReloadStatus>,
}

impl PoliciesAnswer {
    pub fn new(state: &AppState) -> PoliciesAnswer {
        let served = state.current.load_full();
        let last_reload = state.status.load_full();
        PoliciesAnswer {
            ready: served.is_some(),
            directory: state.dir.display().to_string(),
            policy_hash: served.as_ref().map(|s| s.hash.clone()),
            files: served.as_ref().map(|s| s.files.clone()).unwrap_or_default(),
            loaded_at: served.as_ref().map(|s| s.loaded_at.to_rfc3339()),
            decisions: served
                .as_ref()
                .map(|s| s.catalog.clone())
                .unwrap_or_default(),
            last_reload,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    status: String,
}

#[derive(Serialize, ToSchema)]
pub struct Ready {
    pub ready: bool,
    pub policy_hash: Option<String>,
}

fn status<S: serde::Serializer>(
    status: &std::sync::Arc<super::state::ReloadStatus>,
    s: S,
) -> Result<S::Ok, S::Error> {
    status.as_ref().serialize(s)
}
