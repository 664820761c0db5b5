//! Proving or refuting the `assert`s written in the policies.
//!
//! An assertion is checked on every combination of the facts its decision
//! and itself read, where its `when` is known to hold. A refutation always
//! comes with its counterexample; a proof is given only inside the
//! decidable fragment, else the assertion is "not analysed".

use std::collections::BTreeSet;

use serde::Serialize;

use crate::base::money::Money;
use crate::engine::eval::Tri;
use crate::engine::outcome::Outcome;
use crate::engine::program::Program;
use crate::model::ir::{AssertionIr, ClaimIr, NodeId, Value};
use crate::model::schema::Slot;

use super::budget::{Budget, Meter};
use super::domain::{Context, Outside, Reads};
use super::enumerate::{Cursor, MAX_COMBINATIONS, Snapshot, Space};
use super::examples::{Example, decide, example, holds};
use super::values::{self, Candidate, Widen};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Proved,
    Refuted,
    NotAnalysed,
}

/// The verdict on one `assert`.
#[derive(Debug, Clone, Serialize)]
pub struct AssertionReport {
    pub decision: String,
    /// The assertion as written.
    pub assertion: String,
    pub at: String,
    pub verdict: Verdict,
    /// Proved only because no fact combination satisfies its `when`.
    pub vacuous: bool,
    pub detail: String,
    pub examples: Vec<Example>,
    pub not_analysed: Vec<Outside>,
    pub evaluated: u64,
}

/// Proves or refutes one assertion over every combination of the facts the
/// decision and the assertion read.
pub fn assertion(program: &Program, a: &AssertionIr) -> AssertionReport {
    assertion_within(program, a, &mut Meter::new(Budget::default()))
}

/// [`assertion`], when it fits in what is left of the run's budget.
pub fn assertion_within(program: &Program, a: &AssertionIr, meter: &mut Meter) -> AssertionReport {
    let mut report = AssertionReport {
        decision: a.decision.clone(),
        assertion: super::render::without_comments(&a.text),
        at: a.origin.at.clone(),
        verdict: Verdict::NotAnalysed,
        vacuous: false,
        detail: String::new(),
        examples: Vec::new(),
        not_analysed: Vec::new(),
        evaluated: 0,
    };
    let Some(d) = program.decision(&a.decision) else {
        report.detail = format!("no decision `{}`", a.decision);
        return report;
    };
    let mut reads = Reads::of_decision(program, d);
    let ctx = Context {
        what: "the assertion".into(),
        at: a.origin.at.clone(),
    };
    if let Some(c) = a.condition {
        reads.condition(program, c, &ctx);
    }
    let mut widen = Widen::default();
    match &a.claim {
        ClaimIr::Outcome(_) => {}
        ClaimIr::Equals(value) => {
            reads.value(program, *value, &ctx);
            for row in &d.rows {
                reads.equality(program, row.value, *value, &ctx);
            }
            reads.against_zero(program, *value, &ctx);
        }
        ClaimIr::Monotone(slot) => {
            reads.slots.insert(*slot);
            widen.neighbours.insert(*slot);
            reads.monotone_in(program, d, *slot);
        }
    }
    let domains = values::domains(program, &reads, &widen);
    let size = Space::new(program, domains.clone(), &BTreeSet::new()).size();
    if size > MAX_COMBINATIONS {
        report.not_analysed = reads.outside;
        report
            .not_analysed
            .push(Outside::too_many("the assertion", &a.origin.at, size));
        report.detail = "not every case was tried".into();
        return report;
    }
    if let Err(refused) = meter.admit("the assertion", &a.origin.at, size) {
        report.not_analysed = reads.outside;
        report.not_analysed.push(refused);
        report.detail = "not analysed: the run's budget is spent".into();
        return report;
    }
    let ids = vec![d.id.clone()];
    let conditions: Vec<NodeId> = a.condition.into_iter().collect();
    let when = |c: &Cursor| a.condition.is_none_or(|n| holds(program, n, c));
    let mut evaluated = 0u64;
    let mut satisfied = 0u64;
    let mut refuted: Option<Snapshot> = None;
    match &a.claim {
        ClaimIr::Outcome(word) => {
            let space = Space::new(program, domains, &BTreeSet::new());
            space.walk(None, &mut |c| {
                evaluated += 1;
                if !when(c) {
                    return;
                }
                satisfied += 1;
                let ok = decide(program, &ids, &c.facts, c.as_of)
                    .is_ok_and(|o| o.outcome.as_text() == *word);
                if !ok {
                    c.keep_best(&mut refuted);
                }
            });
            if let Some(snapshot) = refuted {
                let ex = example(program, snapshot, &d.id, "counterexample", &conditions);
                report.detail = format!("here {} is {}", d.id, ex.expect.outcome);
                report.examples.push(ex);
            }
        }
        ClaimIr::Equals(value) => {
            let space = Space::new(program, domains, &BTreeSet::new());
            space.walk(None, &mut |c| {
                evaluated += 1;
                if !when(c) {
                    return;
                }
                satisfied += 1;
                let claimed = program.evaluate_node(*value, &c.facts, c.as_of);
                let outcome = decide(program, &ids, &c.facts, c.as_of).map(|o| o.outcome);
                let ok = match (claimed, outcome) {
                    (Ok(Tri::Known(Value::Money(m))), Ok(Outcome::Amount(x))) => m == x,
                    (Ok(Tri::Unknown(_)), Ok(Outcome::Undetermined)) => true,
                    _ => false,
                };
                if !ok {
                    c.keep_best(&mut refuted);
                }
            });
            if let Some(snapshot) = refuted {
                let claimed = match program.evaluate_node(*value, &snapshot.facts, snapshot.as_of) {
                    Ok(Tri::Known(v)) => program.show_value(&v),
                    Ok(Tri::Unknown(_)) => "not known".into(),
                    Err(e) => format!("an error ({e})"),
                };
                let ex = example(program, snapshot, &d.id, "counterexample", &conditions);
                report.detail = format!(
                    "here {} is {}, but {} is {claimed}",
                    d.id,
                    ex.expect.outcome,
                    program.show(*value)
                );
                report.examples.push(ex);
            }
        }
        ClaimIr::Monotone(slot) => {
            let (walked, rest): (Vec<_>, Vec<_>) =
                domains.into_iter().partition(|dm| dm.slot == *slot);
            let mut points: Vec<Value> = walked
                .iter()
                .flat_map(|dm| &dm.candidates)
                .filter_map(|c| match c {
                    Candidate::Given(v) => Some(v.clone()),
                    _ => None,
                })
                .collect();
            points.sort_by_key(|v| values::number(v).unwrap_or_default());
            let space = Space::new(program, rest, &BTreeSet::new());
            let mut walk = Walk {
                program,
                ids: &ids,
                slot: *slot,
                points: &points,
                evaluated: 0,
                satisfied: 0,
                pair: None,
            };
            space.walk(None, &mut |c| walk.raise(&when, c));
            evaluated = walk.evaluated;
            satisfied = walk.satisfied;
            if let Some((before, after)) = walk.pair {
                let field = program.schema.field(*slot).map_or("?", |f| f.path.as_str());
                let value_of = |s: &Snapshot| {
                    s.facts
                        .values
                        .get(slot.0 as usize)
                        .cloned()
                        .flatten()
                        .map_or_else(|| "?".into(), |v| program.show_value(&v))
                };
                let (low, high) = (value_of(&before), value_of(&after));
                let b = example(program, before, &d.id, "before", &conditions);
                let h = example(program, after, &d.id, "after", &conditions);
                report.detail = format!(
                    "raising {field} from {low} to {high} lowers {} from {} to {}",
                    d.id, b.expect.outcome, h.expect.outcome
                );
                report.examples.push(b);
                report.examples.push(h);
            }
        }
    }
    report.evaluated = evaluated;
    meter.spend(evaluated);
    report.not_analysed = reads.outside;
    if !report.examples.is_empty() {
        report.verdict = Verdict::Refuted;
    } else if !report.not_analysed.is_empty() {
        report.detail = format!(
            "no counterexample among {} fact documents, but not every case was tried",
            super::render::grouped(evaluated)
        );
    } else {
        report.verdict = Verdict::Proved;
        report.vacuous = satisfied == 0;
        report.detail = if report.vacuous {
            "no fact combination satisfies its condition: it holds vacuously".into()
        } else {
            format!(
                "holds in all {} {} its condition admits",
                super::render::grouped(satisfied),
                if satisfied == 1 { "case" } else { "cases" }
            )
        };
    }
    report
}

/// A monotonicity walk: one fact raised through its points.
struct Walk<'a> {
    program: &'a Program,
    ids: &'a [String],
    slot: Slot,
    points: &'a [Value],
    evaluated: u64,
    satisfied: u64,
    /// The nicest place where the amount goes down: before and after.
    pair: Option<(Snapshot, Snapshot)>,
}

impl Walk<'_> {
    /// Raises the fact through its points with every other fact as `c` has them.
    fn raise(&mut self, when: &dyn Fn(&Cursor) -> bool, c: &mut Cursor) {
        let index = self.slot.0 as usize;
        let base = c.facts.values.get(index).cloned().flatten();
        if base == Some(Value::Absent)
            && self
                .program
                .schema
                .field(self.slot)
                .is_some_and(|f| !f.optional)
        {
            // Its record is absent: there is nothing to raise.
            return;
        }
        let mut top: Option<(Value, Money)> = None;
        for point in self.points {
            if let Some(v) = c.facts.values.get_mut(index) {
                *v = Some(point.clone());
            }
            self.evaluated += 1;
            if !when(c) {
                continue;
            }
            self.satisfied += 1;
            let Ok(Outcome::Amount(amount)) =
                decide(self.program, self.ids, &c.facts, c.as_of).map(|o| o.outcome)
            else {
                continue;
            };
            match &top {
                Some((at, highest)) if amount.amount < highest.amount => {
                    if self.pair.as_ref().is_none_or(|(b, _)| c.score() < b.score) {
                        let after = c.snapshot();
                        let mut before = after.clone();
                        if let Some(v) = before.facts.values.get_mut(index) {
                            *v = Some(at.clone());
                        }
                        self.pair = Some((before, after));
                    }
                }
                Some((_, highest)) if amount.amount <= highest.amount => {}
                _ => top = Some((point.clone(), amount)),
            }
        }
        if let Some(v) = c.facts.values.get_mut(index) {
            *v = base;
        }
    }
}
