//! `credo whatif`: the smallest changes to the facts an account can change
//! that give a decision the outcome it wants.
//!
//! The values tried are the ones `credo verify` splits at: every constant a
//! changeable fact is compared with, one step either side, and the current
//! value's neighbours. The truth of every condition is the same between
//! those points, so the nearest value that gives the outcome is among them:
//! the answer is exact, not found by random search. Fewer changed facts win;
//! among changes of the same facts, the smaller ones.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::base::money::Money;
use crate::engine::eval::EvalError;
use crate::engine::outcome::{DecisionOutcome, Outcome, Reason};
use crate::engine::program::Program;
use crate::input::facts::Facts;
use crate::model::ir::{DecisionIr, Kind, Value, words};
use crate::model::schema::{Slot, Type};
use crate::tools::verify::domain::{Context, Reads};
use crate::tools::verify::expr::collect_facts;
use crate::tools::verify::values::{self, Candidate, Widen};

/// The outcome wanted.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// An outcome by name: `eligible`, `permit`, a classification member.
    Outcome(String),
    /// Exactly this amount.
    Amount(Money),
    /// Any amount above the current one: the next tier.
    Higher,
}

/// Why a whatif question cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhatifError {
    #[error("no decision `{0}`")]
    UnknownDecision(String),
    #[error("`{target}` is not an outcome of `{decision}`; the outcomes are {outcomes}")]
    BadTarget {
        target: String,
        decision: String,
        outcomes: String,
    },
    #[error("`{0}` is a classification: say which member with --to")]
    TargetNeeded(String),
    #[error(transparent)]
    Eval(#[from] EvalError),
    #[error("the search is too large: more than {0} fact documents")]
    TooLarge(u64),
}

/// One fact changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub slot: Slot,
    pub path: String,
    /// `None` when the fact is not given now.
    pub from: Option<Value>,
    pub to: Value,
}

/// Changes that together give the wanted outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Alternative {
    pub changes: Vec<Change>,
    /// The decision's outcome after the changes.
    pub gives: Outcome,
}

/// The answer to a whatif question.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The decision already has the wanted outcome.
    Already,
    /// The smallest changes to changeable facts, any one of them.
    Changes(Vec<Alternative>),
    /// Only facts the account cannot change could do it: these, and the
    /// reasons of the current outcome that read them.
    Fixed {
        alternatives: Vec<Alternative>,
        deciding: Vec<Reason>,
    },
    /// No facts at all give it.
    Impossible,
    /// The search stopped after this many fact documents without finding
    /// a change: an answer of "not known", not that none exists.
    TooLarge(u64),
}

/// A whatif question with its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Whatif {
    pub decision: String,
    pub now: DecisionOutcome,
    pub target: Target,
    pub answer: Answer,
    /// Facts the decision reads that the account can change.
    pub changeable: Vec<String>,
}

/// Fact documents a search may evaluate before giving up.
const LIMIT: u64 = 1_000_000;

/// Reads `--to` for a decision: an outcome name, or an amount.
pub fn target(program: &Program, decision: &str, to: Option<&str>) -> Result<Target, WhatifError> {
    let d = program
        .decision(decision)
        .ok_or_else(|| WhatifError::UnknownDecision(decision.to_owned()))?;
    let outcomes: Vec<String> = match &d.kind {
        Kind::Eligibility | Kind::Action | Kind::Classification(_) => {
            d.kind.outcome_words(&program.schema)
        }
        Kind::Amount(currency) => {
            let Some(text) = to else {
                return Ok(Target::Higher);
            };
            let text = text.trim();
            let parsed = if text.contains(' ') {
                text.parse::<Money>()
            } else {
                Money::parse_amount(text.trim_end_matches(currency.code()).trim(), *currency)
            };
            return match parsed {
                Ok(m) if m.currency == *currency => Ok(Target::Amount(m)),
                _ => Err(WhatifError::BadTarget {
                    target: text.to_owned(),
                    decision: decision.to_owned(),
                    outcomes: format!("amounts in {currency}, such as \"1500 {currency}\""),
                }),
            };
        }
    };
    match to {
        Some(word) if outcomes.iter().any(|o| o == word) => Ok(Target::Outcome(word.to_owned())),
        Some(word) => Err(WhatifError::BadTarget {
            target: word.to_owned(),
            decision: decision.to_owned(),
            outcomes: outcomes.join(", "),
        }),
        // An eligibility or action aims at its yes, the first of its words.
        None => match (&d.kind, outcomes.first()) {
            (Kind::Eligibility | Kind::Action, Some(yes)) => Ok(Target::Outcome(yes.clone())),
            _ => Err(WhatifError::TargetNeeded(decision.to_owned())),
        },
    }
}

/// Answers: what is the smallest change that gives `target`?
pub fn whatif(
    program: &Program,
    facts: &Facts,
    as_of: NaiveDate,
    decision: &str,
    target: Target,
) -> Result<Whatif, WhatifError> {
    let d = program
        .decision(decision)
        .ok_or_else(|| WhatifError::UnknownDecision(decision.to_owned()))?;
    // The evaluation date is the `as_of` fact: a change to it is a change of date.
    let mut dated = facts.clone();
    if let Some(v) = program
        .as_of
        .and_then(|s| dated.values.get_mut(s.0 as usize))
    {
        *v = Some(Value::Date(as_of));
    }
    let facts = &dated;
    let ids = [d.id.clone()];
    let now = program.decide_one(&ids, facts, as_of)?;
    let mut result = Whatif {
        decision: d.id.clone(),
        now: now.clone(),
        target: target.clone(),
        answer: Answer::Already,
        changeable: Vec::new(),
    };
    let meets = |o: &Outcome| match &target {
        Target::Outcome(word) => o.as_text() == *word,
        Target::Amount(m) => matches!(o, Outcome::Amount(x) if x == m),
        // From an undetermined amount, any amount above zero is higher.
        Target::Higher => match (o, &now.outcome) {
            (Outcome::Amount(x), Outcome::Amount(n)) => x.amount > n.amount,
            (Outcome::Amount(x), _) => x.amount > Decimal::ZERO,
            _ => false,
        },
    };
    if target != Target::Higher && meets(&now.outcome) {
        return Ok(result);
    }
    let reads = reads(program, d, &target, &now.outcome);
    let candidates = candidates(program, &reads, facts);
    let changeable_slot = |s: &Slot| program.schema.field(*s).is_some_and(|f| f.changeable);
    let not_given = |s: &Slot| facts.values.get(s.0 as usize).is_none_or(Option::is_none);
    // The account can change these, or give them when it has not.
    let changeable: Vec<usize> = (0..candidates.len())
        .filter(|i| {
            candidates
                .get(*i)
                .is_some_and(|(s, _)| changeable_slot(s) || not_given(s))
        })
        .collect();
    result.changeable = candidates
        .iter()
        .filter(|(s, _)| changeable_slot(s))
        .filter_map(|(s, _)| program.schema.field(*s).map(|f| f.path.clone()))
        .collect();
    let mut budget = LIMIT;
    let search = Search {
        program,
        ids: &ids,
        facts,
        as_of,
        candidates: &candidates,
    };
    // A search past its budget is answered as such, with the outcome now:
    // the question was fair, only too large to settle.
    let gave_up = |e: WhatifError| match e {
        WhatifError::TooLarge(limit) => Ok(Answer::TooLarge(limit)),
        other => Err(other),
    };
    let found = match search.smallest(&changeable, &meets, &mut budget) {
        Ok(found) => found,
        Err(e) => {
            result.answer = gave_up(e)?;
            return Ok(result);
        }
    };
    if !found.is_empty() {
        result.answer = Answer::Changes(found);
        return Ok(result);
    }
    let everything: Vec<usize> = (0..candidates.len()).collect();
    let found = match search.smallest(&everything, &meets, &mut budget) {
        Ok(found) => found,
        Err(e) => {
            result.answer = gave_up(e)?;
            return Ok(result);
        }
    };
    if found.is_empty() {
        result.answer = Answer::Impossible;
        return Ok(result);
    }
    let fixed: BTreeSet<Slot> = found
        .iter()
        .flat_map(|a| &a.changes)
        .map(|c| c.slot)
        .filter(|s| program.schema.field(*s).is_some_and(|f| !f.changeable))
        .collect();
    let deciding = now
        .reasons
        .iter()
        .filter(|r| reads_any(program, d, r, &fixed))
        .cloned()
        .collect();
    result.answer = Answer::Fixed {
        alternatives: found,
        deciding,
    };
    Ok(result)
}

/// The decision's reads, split also where the wanted amount is: the one
/// asked for, or for a higher one, a minor unit above the amount now (an
/// amount computed with a rate rises a cent at a time, not only at the
/// constants it meets: 2% of 100.00 USD is next raised at 100.26, long
/// before the cap's 1,500).
fn reads(program: &Program, d: &DecisionIr, target: &Target, now: &Outcome) -> Reads {
    let mut reads = Reads::of_decision(program, d);
    let wanted = match (target, now) {
        (Target::Amount(m), _) => Some(m.amount),
        (Target::Higher, Outcome::Amount(n)) => {
            let unit = Decimal::new(1, n.currency.minor_digits());
            n.amount.checked_add(unit)
        }
        _ => None,
    };
    if let Some(wanted) = wanted {
        let ctx = Context {
            what: "--to".into(),
            at: String::new(),
        };
        for row in &d.rows {
            reads.against(program, row.value, wanted, &ctx);
        }
    }
    reads
}

/// For each fact the decision reads, the values worth trying instead of its current one.
fn candidates(program: &Program, reads: &Reads, facts: &Facts) -> Vec<(Slot, Vec<Value>)> {
    let current = |s: &Slot| facts.values.get(s.0 as usize).cloned().flatten();
    let mut widen = Widen::default();
    for slot in &reads.slots {
        if let Some(n) = current(slot).as_ref().and_then(values::number) {
            widen.points.insert(*slot, vec![n]);
        }
    }
    let texts: Vec<Value> = reads
        .slots
        .iter()
        .filter_map(current)
        .filter(|v| matches!(v, Value::Text(_)))
        .collect();
    values::domains(program, reads, &widen)
        .into_iter()
        .map(|dm| {
            let now = current(&dm.slot);
            let mut values: Vec<Value> = Vec::new();
            for c in &dm.candidates {
                // A text equal to nothing is no change anyone asks for; one
                // equal to another fact's text is added below.
                let v = match c {
                    Candidate::Given(v) => v.clone(),
                    Candidate::Absent => Value::Absent,
                    Candidate::Fresh(..) | Candidate::Missing => continue,
                };
                if !values.contains(&v) {
                    values.push(v);
                }
            }
            if program
                .schema
                .field(dm.slot)
                .is_some_and(|f| f.ty == Type::Text)
            {
                for t in &texts {
                    if !values.contains(t) {
                        values.push(t.clone());
                    }
                }
            }
            values.retain(|v| Some(v) != now.as_ref());
            (dm.slot, values)
        })
        .collect()
}

struct Search<'a> {
    program: &'a Program,
    ids: &'a [String],
    facts: &'a Facts,
    as_of: NaiveDate,
    candidates: &'a [(Slot, Vec<Value>)],
}

impl Search<'_> {
    /// The alternatives changing the fewest of `among`, each as small as it can be.
    fn smallest(
        &self,
        among: &[usize],
        meets: &dyn Fn(&Outcome) -> bool,
        budget: &mut u64,
    ) -> Result<Vec<Alternative>, WhatifError> {
        for size in 1..=among.len() {
            let mut found: Vec<(Vec<Decimal>, Alternative)> = Vec::new();
            for subset in subsets(among, size) {
                let mut here: Vec<(Vec<Decimal>, Alternative)> = Vec::new();
                self.product(&subset, 0, &mut Vec::new(), meets, budget, &mut here)?;
                // Keep the changes no other change of the same facts beats in every fact.
                let costs: Vec<Vec<Decimal>> = here.iter().map(|(c, _)| c.clone()).collect();
                here.retain(|(cost, _)| {
                    !costs
                        .iter()
                        .any(|other| other != cost && other.iter().zip(cost).all(|(o, c)| o <= c))
                });
                found.extend(here);
            }
            if !found.is_empty() {
                return Ok(found.into_iter().map(|(_, a)| a).collect());
            }
        }
        Ok(Vec::new())
    }

    fn product(
        &self,
        subset: &[usize],
        depth: usize,
        chosen: &mut Vec<Value>,
        meets: &dyn Fn(&Outcome) -> bool,
        budget: &mut u64,
        out: &mut Vec<(Vec<Decimal>, Alternative)>,
    ) -> Result<(), WhatifError> {
        let Some(index) = subset.get(depth) else {
            if *budget == 0 {
                return Err(WhatifError::TooLarge(LIMIT));
            }
            *budget -= 1;
            let mut facts = self.facts.clone();
            let mut changes = Vec::new();
            let mut cost = Vec::new();
            for (i, value) in subset.iter().zip(chosen.iter()) {
                let Some((slot, _)) = self.candidates.get(*i) else {
                    continue;
                };
                let from = facts.values.get(slot.0 as usize).cloned().flatten();
                cost.push(distance(from.as_ref(), value));
                changes.push(Change {
                    slot: *slot,
                    path: self
                        .program
                        .schema
                        .field(*slot)
                        .map_or_else(String::new, |f| f.path.clone()),
                    from,
                    to: value.clone(),
                });
                if let Some(v) = facts.values.get_mut(slot.0 as usize) {
                    *v = Some(value.clone());
                }
            }
            // The evaluation date is a fact too, and the evaluator reads it from the request.
            let as_of = match self
                .program
                .as_of
                .and_then(|s| facts.values.get(s.0 as usize))
            {
                Some(Some(Value::Date(d))) => *d,
                _ => self.as_of,
            };
            // A value that cannot be computed is no way to the outcome.
            if let Ok(o) = self.program.decide_one(self.ids, &facts, as_of)
                && meets(&o.outcome)
            {
                out.push((
                    cost,
                    Alternative {
                        changes,
                        gives: o.outcome,
                    },
                ));
            }
            return Ok(());
        };
        let values = self
            .candidates
            .get(*index)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[]);
        for value in values {
            chosen.push(value.clone());
            self.product(subset, depth + 1, chosen, meets, budget, out)?;
            chosen.pop();
        }
        Ok(())
    }
}

/// How far a change moves a number (a number not given is taken from
/// zero, so the smallest will do); other changes all count the same.
fn distance(from: Option<&Value>, to: &Value) -> Decimal {
    match (from, values::number(to)) {
        (None, Some(b)) => b.abs(),
        (Some(a), Some(b)) => values::number(a).map_or(Decimal::ZERO, |a| (b - a).abs()),
        _ => Decimal::ZERO,
    }
}

/// Every way to pick `size` of `items`, in order.
fn subsets(items: &[usize], size: usize) -> Vec<Vec<usize>> {
    if size == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for (i, first) in items.iter().enumerate() {
        for mut rest in subsets(items.get(i + 1..).unwrap_or(&[]), size - 1) {
            rest.insert(0, *first);
            out.push(rest);
        }
    }
    out
}

/// Whether the rule or row behind a reason reads one of the facts.
fn reads_any(program: &Program, d: &DecisionIr, reason: &Reason, facts: &BTreeSet<Slot>) -> bool {
    let condition = d
        .denies
        .iter()
        .chain(&d.allows)
        .find(|r| r.origin.at == reason.at)
        .map(|r| r.condition)
        .or_else(|| {
            d.rows
                .iter()
                .find(|r| r.origin.at == reason.at)
                .map(|r| r.condition)
        })
        .flatten();
    let mut read = BTreeSet::new();
    if let Some(c) = condition {
        collect_facts(program, c, &mut read);
    }
    !read.is_disjoint(facts)
}

/// A fact's name for people: `client spend` for `agency.client_spend`.
fn name(program: &Program, path: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path);
    let clashes = program
        .schema
        .fields
        .iter()
        .filter(|f| f.path.rsplit('.').next() == Some(last))
        .count();
    if clashes > 1 {
        path.to_owned()
    } else {
        last.replace('_', " ")
    }
}

/// A value for people: `32,000.00 USD`, `registered_partner`, `(not given)`.
fn shown(program: &Program, value: Option<&Value>) -> String {
    match value {
        None => "(not given)".into(),
        Some(Value::Money(m)) => m.display_grouped(),
        Some(Value::Absent) => "(none)".into(),
        Some(Value::Text(t)) => format!("\"{t}\""),
        Some(v) => program.show_value(v),
    }
}

fn outcome_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Amount(m) => m.display_grouped(),
        other => other.as_text(),
    }
}

/// `client spend 32,000.00 USD → 50,000.00 USD (+18,000.00 USD)`
fn change_text(program: &Program, change: &Change) -> String {
    let mut out = format!(
        "{} {} → {}",
        name(program, &change.path),
        shown(program, change.from.as_ref()),
        shown(program, Some(&change.to))
    );
    let delta = match (&change.from, &change.to) {
        (Some(Value::Money(a)), Value::Money(b)) => b.checked_sub(a).ok().map(|d| {
            let sign = if d.is_negative() { "" } else { "+" };
            format!("{sign}{}", d.display_grouped())
        }),
        (Some(Value::Int(a)), Value::Int(b)) => b.checked_sub(*a).map(|d| format!("{d:+}")),
        (Some(Value::Date(a)), Value::Date(b)) => Some(format!("{:+} days", (*b - *a).num_days())),
        _ => None,
    };
    if let Some(delta) = delta {
        let _ = write!(out, " ({delta})");
    }
    out
}

fn alternative_text(program: &Program, decision: &str, a: &Alternative) -> String {
    let changes: Vec<String> = a.changes.iter().map(|c| change_text(program, c)).collect();
    format!(
        "{} gives {decision} {}",
        changes.join(" and "),
        outcome_text(&a.gives)
    )
}

/// The answer for people.
pub fn render(program: &Program, w: &Whatif) -> String {
    // Values from facts and policies are echoed: shown escaped, never raw.
    crate::base::escape::lines_owned(render_unescaped(program, w))
}

fn render_unescaped(program: &Program, w: &Whatif) -> String {
    let mut out = format!("{} is {} now", w.decision, outcome_text(&w.now.outcome));
    match w.now.reasons.first() {
        Some(r) if w.now.outcome != Outcome::Undetermined => {
            let _ = write!(out, " ({}: {})", r.rule, r.message);
        }
        _ if !w.now.missing.is_empty() => {
            let _ = write!(out, " (missing {})", w.now.missing.join(", "));
        }
        _ => {}
    }
    out.push_str(".\n");
    let wanted = match &w.target {
        Target::Outcome(word) => word.clone(),
        Target::Amount(m) => m.display_grouped(),
        Target::Higher => "a higher amount".into(),
    };
    match &w.answer {
        Answer::Already => {
            let _ = writeln!(out, "It is {wanted} already: nothing needs to change.");
        }
        Answer::Changes(alternatives) => {
            let head = match (&w.target, alternatives.len()) {
                (Target::Higher, 1) => "The smallest change that raises it:".to_owned(),
                (Target::Higher, _) => "The smallest changes that raise it, any one of:".to_owned(),
                (_, 1) => format!("The smallest change that gives {wanted}:"),
                _ => format!("The smallest changes that give {wanted}, any one of:"),
            };
            let _ = writeln!(out, "{head}");
            for a in alternatives {
                let _ = writeln!(out, "  {}", alternative_text(program, &w.decision, a));
            }
        }
        Answer::Fixed {
            alternatives,
            deciding,
        } => {
            let can = if w.changeable.is_empty() {
                "it reads no fact the account can change".to_owned()
            } else {
                let mut names: Vec<String> =
                    w.changeable.iter().map(|p| name(program, p)).collect();
                let last = names.pop().unwrap_or_default();
                if names.is_empty() {
                    format!("changing {last} cannot do it")
                } else {
                    format!("changing {} or {last} cannot do it", names.join(", "))
                }
            };
            let _ = writeln!(out, "No change the account can make gives {wanted}: {can}.");
            let fixed: Vec<&Change> = alternatives
                .iter()
                .flat_map(|a| &a.changes)
                .filter(|c| {
                    c.from.is_some() && program.schema.field(c.slot).is_some_and(|f| !f.changeable)
                })
                .collect();
            let mut seen = BTreeSet::new();
            let decided: Vec<String> = fixed
                .iter()
                .filter(|c| seen.insert(c.slot))
                .map(|c| {
                    format!(
                        "{} {} ({})",
                        name(program, &c.path),
                        shown(program, c.from.as_ref()),
                        c.path
                    )
                })
                .collect();
            match decided.as_slice() {
                [] => {}
                [one] => {
                    let _ = writeln!(
                        out,
                        "It is decided by a fact the account cannot change: {one}."
                    );
                }
                many => {
                    let _ = writeln!(out, "It is decided by facts the account cannot change:");
                    for one in many {
                        let _ = writeln!(out, "  {one}");
                    }
                }
            }
            for r in deciding {
                let _ = writeln!(out, "  because {}: {} ({})", r.rule, r.message, r.at);
            }
            let word = match &w.target {
                Target::Outcome(t) if [words::ELIGIBLE, words::PERMIT].contains(&t.as_str()) => {
                    "qualify".to_owned()
                }
                _ => format!("give {wanted}"),
            };
            let only: Vec<String> = alternatives
                .iter()
                .map(|a| {
                    a.changes
                        .iter()
                        .map(|c| {
                            format!("{} {}", name(program, &c.path), shown(program, Some(&c.to)))
                        })
                        .collect::<Vec<_>>()
                        .join(" and ")
                })
                .collect();
            match only.as_slice() {
                [one] => {
                    let _ = writeln!(out, "Only an account with {one} could {word}.");
                }
                many => {
                    let _ = writeln!(out, "Only an account with one of these could {word}:");
                    for one in many {
                        let _ = writeln!(out, "  {one}");
                    }
                }
            }
        }
        Answer::Impossible => {
            let _ = writeln!(out, "No fact combination gives {wanted}.");
        }
        Answer::TooLarge(limit) => {
            let _ = writeln!(
                out,
                "No change giving {wanted} was found among the first {limit} fact documents tried, and the search stopped there: whether one exists is not known. Giving the facts the document leaves out makes the search smaller."
            );
        }
    }
    out
}
