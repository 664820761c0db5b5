//! What `credo verify` finds about each decision: rules and rows that never
//! fire, gaps and overlaps.
//!
//! Every outcome is the real evaluator's, on a real fact document. A report
//! that something happens carries the document where it happens; a report
//! that something never happens (a rule that never fires, a proof) is made
//! only when every expression involved is inside the decidable fragment.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::engine::outcome::{DecisionOutcome, Outcome};
use crate::engine::program::Program;
use crate::model::ir::{DecisionIr, Kind, NodeId};

use super::domain::{Outside, Reads};
use super::enumerate::{Cursor, MAX_COMBINATIONS, Snapshot, Space};
use super::examples::{Example, Expect, Truth, decide, example, holds};
use super::expr::collect_facts;
use super::values::{self, Widen};

/// How serious a finding is: errors make `credo verify` fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Error,
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// An action whose `applies when` never holds.
    NeverApplies,
    /// A rule or row whose condition never holds.
    NeverFires,
    /// A rule or row whose condition holds, but never where it would decide.
    Shadowed,
    /// Every fact given, and still no answer.
    Gap,
    /// An allow and a deny that hold together: the deny wins.
    Overlap,
}

/// One thing `credo verify` found about a decision.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub level: Level,
    pub kind: FindingKind,
    pub decision: String,
    /// The rule or row, such as ``deny `x` `` or `row 2`; empty for the decision.
    pub part: String,
    pub at: String,
    pub message: String,
    /// What the example shows.
    pub detail: String,
    pub examples: Vec<Example>,
}

/// Everything found about one decision.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionReport {
    pub id: String,
    /// Fact documents evaluated.
    pub evaluated: u64,
    pub findings: Vec<Finding>,
    /// Expressions outside the decidable fragment: nothing is claimed to never happen.
    pub not_analysed: Vec<Outside>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Deny,
    Allow,
    Row,
    Otherwise,
}

/// A rule or row of a decision, by the name reports give it.
struct Part {
    role: Role,
    name: String,
    at: String,
    condition: Option<NodeId>,
}

fn parts(d: &DecisionIr) -> Vec<Part> {
    let rules = |role, word: &str, rules: &[crate::model::ir::RuleIr]| -> Vec<Part> {
        rules
            .iter()
            .map(|r| Part {
                role,
                name: format!("{word} `{}`", r.id),
                at: r.origin.at.clone(),
                condition: r.condition,
            })
            .collect()
    };
    let mut parts = rules(Role::Deny, "deny", &d.denies);
    parts.extend(rules(Role::Allow, "allow", &d.allows));
    parts.extend(d.rows.iter().map(|r| Part {
        role: if r.condition.is_some() {
            Role::Row
        } else {
            Role::Otherwise
        },
        name: r.label.clone(),
        at: r.origin.at.clone(),
        condition: r.condition,
    }));
    parts
}

/// Whether an action applied: it answered with more than its `applies when`.
fn applies(outcome: &DecisionOutcome) -> bool {
    outcome.outcome != Outcome::NotApplicable
        && outcome.reasons.first().is_none_or(|r| r.rule != "applies")
}

/// What a decision answered, in words: `row 1 answers 5000.00 USD`.
fn answer(parts: &[Part], expect: &Expect) -> String {
    if expect.outcome == "undetermined" {
        return if expect.missing.is_empty() {
            "the decision is undetermined".into()
        } else {
            format!(
                "the decision is undetermined (missing {})",
                expect.missing.join(", ")
            )
        };
    }
    if expect.outcome.starts_with("error:") {
        return format!("the evaluation fails ({})", expect.outcome);
    }
    let names: Vec<String> = expect
        .reasons
        .iter()
        .map(|r| {
            parts
                .iter()
                .find(|p| {
                    p.name == *r
                        || p.name == format!("deny `{r}`")
                        || p.name == format!("allow `{r}`")
                })
                .map_or_else(|| r.clone(), |p| p.name.clone())
        })
        .collect();
    let verb = if names.len() == 1 {
        "answers"
    } else {
        "answer"
    };
    format!("{} {verb} {}", names.join(", "), expect.outcome)
}

#[derive(Default)]
struct Seen {
    evaluated: u64,
    fired: Vec<bool>,
    /// The nicest combination where the decision applies.
    applicable: Option<Snapshot>,
    any: Option<Snapshot>,
    undetermined: Option<Snapshot>,
    failed: Option<Snapshot>,
    overlaps: BTreeMap<(usize, usize), Snapshot>,
}

/// Checks one decision over every combination of the facts it reads.
pub fn decision(program: &Program, d: &DecisionIr) -> DecisionReport {
    let reads = Reads::of_decision(program, d);
    let domains = values::domains(program, &reads, &Widen::default());
    let mut first = BTreeSet::new();
    if let Some(applies) = d.applies {
        collect_facts(program, applies, &mut first);
    }
    let space = Space::new(program, domains, &first);
    if space.size() > MAX_COMBINATIONS {
        let mut not_analysed = reads.outside;
        not_analysed.push(Outside::too_many(
            "the decision",
            &d.origin.at,
            space.size(),
        ));
        return DecisionReport {
            id: d.id.clone(),
            evaluated: 0,
            findings: Vec::new(),
            not_analysed,
        };
    }
    let ids = vec![d.id.clone()];
    let parts = parts(d);
    let by_at: BTreeMap<&str, usize> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| (p.at.as_str(), i))
        .collect();
    let rules_decide = matches!(d.kind, Kind::Eligibility | Kind::Action);
    let mut seen = Seen {
        fired: vec![false; parts.len()],
        ..Seen::default()
    };
    // The evaluator answers from `applies` alone when it does not hold.
    let mut prune = |c: &Cursor| d.applies.is_some_and(|a| !holds(program, a, c));
    let mut visit = |c: &mut Cursor| {
        seen.evaluated += 1;
        c.keep_best(&mut seen.any);
        let outcome = match decide(program, &ids, &c.facts, c.as_of) {
            Ok(o) => o,
            Err(_) => {
                c.keep_best(&mut seen.failed);
                return;
            }
        };
        if outcome.outcome == Outcome::Undetermined && c.all_given() && !c.pruned {
            c.keep_best(&mut seen.undetermined);
        }
        if !applies(&outcome) {
            return;
        }
        c.keep_best(&mut seen.applicable);
        if outcome.outcome == Outcome::Undetermined {
            return;
        }
        let mut denies = Vec::new();
        for r in &outcome.reasons {
            if let Some(i) = by_at.get(r.at.as_str()) {
                if let Some(f) = seen.fired.get_mut(*i) {
                    *f = true;
                }
                if parts.get(*i).is_some_and(|p| p.role == Role::Deny) {
                    denies.push(*i);
                }
            }
        }
        if rules_decide && !denies.is_empty() {
            for (a, part) in parts.iter().enumerate() {
                let Some(condition) = part.condition.filter(|_| part.role == Role::Allow) else {
                    continue;
                };
                if holds(program, condition, c) {
                    for deny in &denies {
                        let mut best = seen.overlaps.remove(&(a, *deny));
                        c.keep_best(&mut best);
                        if let Some(best) = best {
                            seen.overlaps.insert((a, *deny), best);
                        }
                    }
                }
            }
        }
    };
    space.walk(
        d.applies
            .is_some()
            .then_some(&mut prune as &mut dyn FnMut(&Cursor) -> bool),
        &mut visit,
    );
    let mut findings = Vec::new();
    let analysed = reads.outside.is_empty();
    if d.applies.is_some() && seen.applicable.is_none() {
        if let (Some(snapshot), true) = (seen.any.clone(), analysed) {
            let ex = example(
                program,
                snapshot,
                &d.id,
                "counterexample",
                &d.applies.into_iter().collect::<Vec<_>>(),
            );
            findings.push(Finding {
                level: Level::Error,
                kind: FindingKind::NeverApplies,
                decision: d.id.clone(),
                part: "`applies when`".into(),
                at: d.origin.at.clone(),
                message: "the action never applies: its `applies when` condition never holds"
                    .into(),
                detail: "here it does not hold".into(),
                examples: vec![ex],
            });
        }
    } else if analysed {
        findings.extend(never_fired(program, d, &space, &parts, &seen));
    }
    if let Some(snapshot) = seen.failed.take() {
        let ex = example(program, snapshot, &d.id, "counterexample", &[]);
        findings.push(Finding {
            level: Level::Error,
            kind: FindingKind::Gap,
            decision: d.id.clone(),
            part: String::new(),
            at: d.origin.at.clone(),
            message: "no answer for some accounts: the evaluation fails".into(),
            detail: format!(
                "here `credo eval` fails: {}",
                ex.expect.outcome.trim_start_matches("error: ")
            ),
            examples: vec![ex],
        });
    }
    if let Some(snapshot) = seen.undetermined.take() {
        let ex = example(program, snapshot, &d.id, "counterexample", &[]);
        findings.push(Finding {
            level: Level::Error,
            kind: FindingKind::Gap,
            decision: d.id.clone(),
            part: String::new(),
            at: d.origin.at.clone(),
            message:
                "no answer for some accounts: every fact it reads is given, yet it is undetermined"
                    .into(),
            detail: "here it is undetermined".into(),
            examples: vec![ex],
        });
    }
    for ((a, deny), snapshot) in std::mem::take(&mut seen.overlaps) {
        let (Some(allow), Some(deny)) = (parts.get(a), parts.get(deny)) else {
            continue;
        };
        // An allow that never grants is an error already; its overlaps say no more.
        if findings
            .iter()
            .any(|f| f.part == allow.name && f.kind != FindingKind::Overlap)
        {
            continue;
        }
        let ex = example(
            program,
            snapshot,
            &d.id,
            "counterexample",
            &allow.condition.into_iter().collect::<Vec<_>>(),
        );
        findings.push(Finding {
            level: Level::Warning,
            kind: FindingKind::Overlap,
            decision: d.id.clone(),
            part: allow.name.clone(),
            at: allow.at.clone(),
            message: format!(
                "{} and {} overlap: both hold for some accounts, and the deny wins",
                allow.name, deny.name
            ),
            detail: format!("here both hold: {}", answer(&parts, &ex.expect)),
            examples: vec![ex],
        });
    }
    DecisionReport {
        id: d.id.clone(),
        evaluated: seen.evaluated,
        findings,
        not_analysed: reads.outside,
    }
}

/// Rules and rows that never fired: their condition never holds where the
/// decision applies, or it holds but something else always decides first.
fn never_fired(
    program: &Program,
    d: &DecisionIr,
    space: &Space,
    parts: &[Part],
    seen: &Seen,
) -> Vec<Finding> {
    let unfired: Vec<usize> = (0..parts.len())
        .filter(|i| {
            !seen.fired.get(*i).copied().unwrap_or(true)
                && parts.get(*i).is_some_and(|p| p.role != Role::Otherwise)
        })
        .collect();
    if unfired.is_empty() {
        return Vec::new();
    }
    // The nicest place where the condition holds; for a row, preferably one
    // where another row answers rather than a deny.
    let mut witness: Vec<Option<(bool, Snapshot)>> = vec![None; parts.len()];
    let ids = vec![d.id.clone()];
    let mut prune = |c: &Cursor| d.applies.is_some_and(|a| !holds(program, a, c));
    let mut visit = |c: &mut Cursor| {
        if c.pruned || d.applies.is_some_and(|a| !holds(program, a, c)) {
            return;
        }
        let mut denied: Option<bool> = None;
        for i in &unfired {
            let Some(part) = parts.get(*i) else { continue };
            if !part.condition.is_none_or(|n| holds(program, n, c)) {
                continue;
            }
            let denied = *denied.get_or_insert_with(|| {
                decide(program, &ids, &c.facts, c.as_of).is_ok_and(|o| {
                    o.reasons
                        .iter()
                        .any(|r| d.denies.iter().any(|x| x.origin.at == r.at))
                })
            });
            if let Some(w) = witness.get_mut(*i)
                && w.as_ref()
                    .is_none_or(|(bd, b)| (denied, c.score()) < (*bd, b.score))
            {
                *w = Some((denied, c.snapshot()));
            }
        }
    };
    space.walk(
        d.applies
            .is_some()
            .then_some(&mut prune as &mut dyn FnMut(&Cursor) -> bool),
        &mut visit,
    );
    let mut findings = Vec::new();
    for i in unfired {
        let Some(part) = parts.get(i) else { continue };
        let conditions: Vec<NodeId> = part.condition.into_iter().collect();
        let where_ = if d.applies.is_some() {
            " where the action applies"
        } else {
            ""
        };
        let (kind, message, snapshot) = match witness.get(i).cloned().flatten() {
            Some((_, snapshot)) => {
                let message = match part.role {
                    Role::Row => format!(
                        "{} is never chosen: whenever its condition holds, an earlier row or a deny answers first",
                        part.name
                    ),
                    Role::Allow => format!(
                        "{} never grants: whenever its condition holds, a deny fires or might",
                        part.name
                    ),
                    Role::Deny | Role::Otherwise => {
                        format!("{} never fires, although its condition holds", part.name)
                    }
                };
                (FindingKind::Shadowed, message, snapshot)
            }
            None => {
                let Some(snapshot) = seen.applicable.clone() else {
                    continue;
                };
                let message = match part.role {
                    Role::Row => format!(
                        "{} can never be chosen: its condition never holds{where_}",
                        part.name
                    ),
                    _ => format!(
                        "{} can never fire: its condition never holds{where_}",
                        part.name
                    ),
                };
                (FindingKind::NeverFires, message, snapshot)
            }
        };
        let ex = example(program, snapshot, &d.id, "counterexample", &conditions);
        let detail = match kind {
            FindingKind::Shadowed => {
                format!(
                    "here its condition holds, and {}",
                    answer(parts, &ex.expect)
                )
            }
            _ => match ex.expect.conditions.first().map(|(_, t)| *t) {
                Some(Truth::Unknown) => "here its condition is unknown".into(),
                _ => "here its condition is false".into(),
            },
        };
        findings.push(Finding {
            level: Level::Error,
            kind,
            decision: d.id.clone(),
            part: part.name.clone(),
            at: part.at.clone(),
            message,
            detail,
            examples: vec![ex],
        });
    }
    findings
}
