//! Counterexamples: fact documents `credo eval` accepts as they are, with
//! what evaluating them gives, checked again after a round trip through the
//! fact loader.

use chrono::NaiveDate;
use serde::Serialize;

use crate::engine::eval::{EvalError, Tri};
use crate::engine::outcome::DecisionOutcome;
use crate::engine::program::Program;
use crate::input::facts::{self, Facts, Format};
use crate::model::ir::{NodeId, Value};

use super::enumerate::{Cursor, Snapshot};

/// A condition's value in an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    True,
    False,
    Unknown,
}

/// What evaluating an example gives, to check that it reproduces.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expect {
    pub decision: String,
    /// The outcome as `credo eval` writes it, or `error: ..`.
    pub outcome: String,
    /// The rules and rows `credo eval` gives as reasons.
    pub reasons: Vec<String>,
    pub missing: Vec<String>,
    /// Conditions the finding is about, with their value here.
    #[serde(skip)]
    pub conditions: Vec<(NodeId, Truth)>,
}

/// A fact document that `credo eval` accepts as it is.
#[derive(Debug, Clone, Serialize)]
pub struct Example {
    /// `counterexample`, or `before` / `after` for a pair.
    pub label: String,
    #[serde(skip)]
    pub yaml: String,
    /// The same document, as JSON.
    #[serde(rename = "facts")]
    pub json: serde_json::Value,
    #[serde(skip)]
    pub snapshot: Snapshot,
    pub expect: Expect,
    /// The period of the policies' dates its `as_of` lies in (see
    /// [`super::periods`]); none when no policy tests `as_of`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
}

/// The decision's outcome on these facts.
pub(super) fn decide(
    program: &Program,
    ids: &[String],
    facts: &Facts,
    as_of: NaiveDate,
) -> Result<DecisionOutcome, EvalError> {
    program.decide_one(ids, facts, as_of)
}

/// A condition's value, as a finding reports it.
pub(super) fn truth(result: Result<Tri, EvalError>) -> Truth {
    match result {
        Ok(Tri::Known(Value::Bool(true))) => Truth::True,
        Ok(Tri::Known(_)) => Truth::False,
        Ok(Tri::Unknown(_)) | Err(_) => Truth::Unknown,
    }
}

/// Whether a condition holds on the combination.
pub(super) fn holds(program: &Program, node: NodeId, c: &Cursor) -> bool {
    truth(program.evaluate_node(node, &c.facts, c.as_of)) == Truth::True
}

/// What evaluating `decision` on these facts gives.
fn expect_at(
    program: &Program,
    decision: &str,
    facts: &Facts,
    as_of: NaiveDate,
    conditions: &[NodeId],
) -> Expect {
    let ids = [decision.to_owned()];
    let (outcome, reasons, missing) = match decide(program, &ids, facts, as_of) {
        Ok(o) => (
            o.outcome.as_text(),
            o.reasons.into_iter().map(|r| r.rule).collect(),
            o.missing,
        ),
        Err(e) => (format!("error: {e}"), Vec::new(), Vec::new()),
    };
    Expect {
        decision: decision.to_owned(),
        outcome,
        reasons,
        missing,
        conditions: conditions
            .iter()
            .map(|n| (*n, truth(program.evaluate_node(*n, facts, as_of))))
            .collect(),
    }
}

/// The example document of a combination, with what it evaluates to.
pub(super) fn example(
    program: &Program,
    snapshot: Snapshot,
    decision: &str,
    label: &str,
    conditions: &[NodeId],
) -> Example {
    let (yaml, json) = snapshot.document(&program.schema);
    let expect = expect_at(
        program,
        decision,
        &snapshot.facts,
        snapshot.as_of,
        conditions,
    );
    let boundaries = super::periods::boundaries(program);
    let period = (!boundaries.is_empty())
        .then(|| super::periods::period_of(&boundaries, snapshot.as_of).to_string());
    Example {
        label: label.to_owned(),
        yaml,
        json,
        snapshot,
        expect,
        period,
    }
}

/// Loads an example's YAML and JSON documents as `credo eval` would, and
/// checks that they give the facts and the evaluation the finding shows.
pub fn reproduce(program: &Program, example: &Example) -> Result<(), String> {
    let documents = [
        (example.yaml.clone(), Format::Yaml),
        (example.json.to_string(), Format::Json),
    ];
    for (text, format) in documents {
        let loaded = facts::load_text(&program.schema, &text, format).map_err(|problems| {
            let shown: Vec<String> = problems.iter().map(|p| p.render("example")).collect();
            format!("the document does not load: {}", shown.join("; "))
        })?;
        if let Some(w) = loaded.warnings.first() {
            return Err(format!(
                "the document has a warning: {}",
                w.render("example")
            ));
        }
        if loaded.facts != example.snapshot.facts {
            return Err("the document loads as other facts".into());
        }
        let as_of = loaded
            .facts
            .as_of(&program.schema)
            .unwrap_or(example.snapshot.as_of);
        let conditions: Vec<NodeId> = example.expect.conditions.iter().map(|(n, _)| *n).collect();
        let again = expect_at(
            program,
            &example.expect.decision,
            &loaded.facts,
            as_of,
            &conditions,
        );
        if again != example.expect {
            return Err(format!(
                "it evaluates to {} ({}), not {} ({})",
                again.outcome,
                again.reasons.join(", "),
                example.expect.outcome,
                example.expect.reasons.join(", ")
            ));
        }
    }
    Ok(())
}
