//! The compact answer of an evaluation: outcomes as numbers, reasons as rule
//! and row indices, missing facts as a slot set. The evaluator writes it into
//! reusable buffers without allocating; it becomes words ([`Evaluation`])
//! only when printed.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::base::money::Money;
use crate::engine::eval::Missing;
use crate::engine::outcome::{AsOfSource, DecisionOutcome, Evaluation, Outcome, Reason, Version};
use crate::engine::program::Program;
use crate::model::ir::{DecisionIr, Kind, MessagePart, Value, VersionIr};

/// A decision's outcome, without strings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    Eligible,
    NotEligible,
    Permit,
    Deny,
    NotApplicable,
    /// A classification's member, by index in its enum.
    Member(u32),
    Amount(Money),
    Undetermined,
}

impl Answer {
    /// The answer's word when it has a fixed one (see
    /// [`crate::model::ir::words`]); a member or an amount is named by its
    /// decision.
    pub fn word(&self) -> Option<&'static str> {
        self.fixed_index()
            .and_then(|i| crate::model::ir::words::FIXED.get(i).copied())
    }

    /// Where the answer's word stands in [`crate::model::ir::words::FIXED`]:
    /// a table of the fixed words (an output's pre-rendered heads, a column's
    /// dictionary keys) is indexed by it.
    pub fn fixed_index(&self) -> Option<usize> {
        Some(match self {
            Answer::Eligible => 0,
            Answer::NotEligible => 1,
            Answer::Permit => 2,
            Answer::Deny => 3,
            Answer::NotApplicable => 4,
            Answer::Undetermined => 5,
            Answer::Member(_) | Answer::Amount(_) => return None,
        })
    }
}

/// One reason, by position in its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The `applies when` condition is false.
    NotApplicable,
    /// The `applies when` condition is unknown.
    AppliesUnknown,
    /// The deny rule at this index in [`DecisionIr::denies`].
    Deny(u32),
    /// The allow rule at this index in [`DecisionIr::allows`].
    Allow(u32),
    /// The table row at this index in [`DecisionIr::rows`].
    Row(u32),
    /// No allow rule holds.
    NoRuleAllowed,
}

/// One decision's compact answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Index in the program's decisions ([`crate::model::ir::Model::decisions`]).
    pub decision: u32,
    pub answer: Answer,
    causes: Causes,
    /// Index in [`Verdicts::missing`]'s table, when the answer is undetermined.
    missing: Option<u32>,
}

impl Verdict {
    /// A decision table's verdict, built when the policies load: recording
    /// it for an account is one copy.
    pub(crate) fn shared(decision: u32, answer: Answer, (start, end): (u32, u32)) -> Verdict {
        Verdict {
            decision,
            answer,
            causes: Causes::Shared(start, end),
            missing: None,
        }
    }
}

/// Where a verdict's causes are, as (start, end).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Causes {
    /// In [`Verdicts::causes`], written for this evaluation.
    Own(u32, u32),
    /// In [`Verdicts::shared`]: a decision table's reasons, pointed to
    /// rather than copied.
    Shared(u32, u32),
}

/// Reusable buffers for evaluations: keep one per thread and evaluate into it
/// again and again; after the first accounts nothing is allocated.
#[derive(Debug, Clone, Default)]
pub struct Verdicts {
    pub as_of: Option<NaiveDate>,
    verdicts: Vec<Verdict>,
    causes: Vec<Cause>,
    /// The reasons of the program's decision tables.
    shared: Arc<[Cause]>,
    missing: Vec<Missing>,
    pub(crate) work: Work,
}

/// Scratch lists for one decision, cleared and refilled for each.
#[derive(Debug, Clone, Default)]
pub(crate) struct Work {
    pub fired: Vec<u32>,
    pub maybe_denies: Vec<u32>,
    pub granted: Vec<u32>,
    pub maybe_allows: Vec<u32>,
    pub rows: Vec<u32>,
    /// By decision index, what each decision came to for this account, for
    /// decisions that use it; cleared for every account.
    pub referenced: Vec<Option<crate::engine::eval::Tri>>,
}

impl Verdicts {
    /// The verdicts of the last evaluation, in the order evaluated.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Verdict> {
        self.verdicts.iter()
    }

    /// Why a verdict came out as it did.
    pub fn causes(&self, verdict: &Verdict) -> &[Cause] {
        let (pool, start, end) = match verdict.causes {
            Causes::Own(start, end) => (&*self.causes, start, end),
            Causes::Shared(start, end) => (&*self.shared, start, end),
        };
        pool.get(start as usize..end as usize).unwrap_or(&[])
    }

    /// The facts whose absence left a verdict undetermined.
    pub fn missing(&self, verdict: &Verdict) -> &Missing {
        static NONE: Missing = Missing::none();
        verdict
            .missing
            .and_then(|i| self.missing.get(i as usize))
            .unwrap_or(&NONE)
    }

    #[inline]
    pub(crate) fn clear(&mut self, as_of: NaiveDate) {
        self.as_of = Some(as_of);
        self.verdicts.clear();
        self.causes.clear();
        self.missing.clear();
        self.work.referenced.clear();
    }

    /// Records a decision's answer with the causes pushed since `start`.
    #[inline]
    pub(crate) fn push(&mut self, decision: u32, answer: Answer, start: u32) {
        self.verdicts.push(Verdict {
            decision,
            answer,
            causes: Causes::Own(start, self.causes.len() as u32),
            missing: None,
        });
    }

    /// Records an undetermined answer and the facts it misses.
    pub(crate) fn push_missing(
        &mut self,
        decision: u32,
        answer: Answer,
        missing: Missing,
        start: u32,
    ) {
        if missing.is_empty() {
            return self.push(decision, answer, start);
        }
        let index = self.missing.len() as u32;
        self.missing.push(missing);
        self.verdicts.push(Verdict {
            decision,
            answer,
            causes: Causes::Own(start, self.causes.len() as u32),
            missing: Some(index),
        });
    }

    /// Where the next decision's causes start.
    #[inline]
    pub(crate) fn mark(&self) -> u32 {
        self.causes.len() as u32
    }

    /// Drops the causes pushed since `mark`.
    pub(crate) fn truncate(&mut self, mark: u32) {
        self.causes.truncate(mark as usize);
    }

    #[inline]
    pub(crate) fn cause(&mut self, cause: Cause) {
        self.causes.push(cause);
    }

    /// Points later verdicts' shared causes at `pool`.
    #[inline]
    pub(crate) fn share(&mut self, pool: &Arc<[Cause]>) {
        if !Arc::ptr_eq(&self.shared, pool) {
            self.shared = Arc::clone(pool);
        }
    }

    /// Records a verdict built beforehand (a decision table's, whose causes
    /// are in the pool given to [`Verdicts::share`]).
    #[inline(always)]
    pub(crate) fn push_verdict(&mut self, verdict: &Verdict) {
        self.verdicts.push(*verdict);
    }

    /// Makes room for `more` verdicts, so that recording them does not grow
    /// the buffer one at a time.
    #[inline]
    pub(crate) fn reserve(&mut self, more: usize) {
        self.verdicts.reserve(more);
    }

    pub(crate) fn causes_from(&mut self, indices: &[u32], cause: fn(u32) -> Cause) {
        self.causes.extend(indices.iter().map(|&i| cause(i)));
    }

    /// The answer in words, as `credo eval` prints it; placeholders in
    /// messages read as `unknown` (see [`Verdicts::to_evaluation_for`]).
    pub fn to_evaluation(&self, program: &Program, as_of_source: AsOfSource) -> Evaluation {
        self.to_evaluation_for(program, as_of_source, &[])
    }

    /// The answer in words, with the values of `facts` (by slot) written
    /// into messages that have `{path}` placeholders.
    pub fn to_evaluation_for(
        &self,
        program: &Program,
        as_of_source: AsOfSource,
        facts: &[Option<Value>],
    ) -> Evaluation {
        Evaluation {
            as_of: self.as_of.unwrap_or_default(),
            as_of_source,
            policy_hash: program.policy_hash,
            decisions: self
                .verdicts
                .iter()
                .filter_map(|v| {
                    let d = program.decisions.get(v.decision as usize)?;
                    Some(DecisionOutcome {
                        id: d.id.clone(),
                        kind: d.kind.name(),
                        outcome: outcome(program, d, v.answer),
                        reasons: self
                            .causes(v)
                            .iter()
                            .map(|c| self.rendered(program, d, *c, facts))
                            .collect(),
                        missing: paths(program, self.missing(v)),
                        notes: if v.answer == Answer::NotApplicable {
                            Vec::new()
                        } else {
                            match self.as_of.and_then(|day| d.version_on(day)) {
                                Some(version) => version.notes.clone(),
                                None => d.notes.clone(),
                            }
                        },
                        version: self.as_of.and_then(|day| d.version_on(day)).map(version_of),
                    })
                })
                .collect(),
        }
    }
}

impl Verdicts {
    /// A cause's reason, its message rendered with the facts' values.
    pub(crate) fn rendered(
        &self,
        program: &Program,
        d: &DecisionIr,
        cause: Cause,
        facts: &[Option<Value>],
    ) -> Reason {
        let mut reason = reason_on(d, cause, self.as_of);
        let parts = match cause {
            Cause::Deny(i) => d.denies.get(i as usize).and_then(|r| r.parts.as_ref()),
            Cause::Allow(i) => d.allows.get(i as usize).and_then(|r| r.parts.as_ref()),
            Cause::Row(i) => d.rows.get(i as usize).and_then(|r| r.parts.as_ref()),
            _ => None,
        };
        if let Some(parts) = parts {
            let mut text = String::new();
            for part in parts {
                match part {
                    MessagePart::Text(t) => text.push_str(t),
                    MessagePart::Fact(slot) if Some(*slot) == program.as_of => match self.as_of {
                        Some(date) => text.push_str(&date.format("%Y-%m-%d").to_string()),
                        None => text.push_str("unknown"),
                    },
                    MessagePart::Fact(slot) => match facts.get(slot.0 as usize) {
                        Some(Some(value)) => text.push_str(&in_words(program, value)),
                        _ => text.push_str("unknown"),
                    },
                }
            }
            reason.template = Some(std::mem::replace(&mut reason.message, text));
        }
        reason
    }
}

/// A value as a message shows it: `62000.00 USD`, `adv-2002`, `managed`.
pub fn in_words(program: &Program, value: &Value) -> String {
    match value {
        Value::Text(t) => t.to_string(),
        other => program.show_value(other),
    }
}

fn outcome(program: &Program, d: &DecisionIr, answer: Answer) -> Outcome {
    match answer {
        Answer::Eligible => Outcome::Eligible,
        Answer::NotEligible => Outcome::NotEligible,
        Answer::Permit => Outcome::Permit,
        Answer::Deny => Outcome::Deny,
        Answer::NotApplicable => Outcome::NotApplicable,
        Answer::Member(i) => match d.kind {
            Kind::Classification(id) => Outcome::Member(program.schema.member_name(id, i).into()),
            _ => Outcome::Undetermined,
        },
        Answer::Amount(m) => Outcome::Amount(m),
        Answer::Undetermined => Outcome::Undetermined,
    }
}

/// The rule, message and place of a cause on `day`: for a decision written
/// in versions, a declared gap is why it does not apply, and only the allows
/// in force were tried, in the version in force.
pub fn reason_on(d: &DecisionIr, cause: Cause, day: Option<NaiveDate>) -> Reason {
    let mut reason = reason(d, cause);
    if cause == Cause::NotApplicable
        && let Some(gap) = day.and_then(|day| d.version_on(day))
        && let Some(message) = &gap.gap
    {
        reason = gap_reason(gap, message);
    }
    // A day no version covers (a decision outside the catalog need declare
    // no gap): that is why, not a request the facts do not hold.
    if cause == Cause::NotApplicable
        && !d.versions.is_empty()
        && day.is_some_and(|day| d.version_on(day).is_none())
    {
        reason.message = NO_VERSION.into();
    }
    if cause == Cause::NoRuleAllowed
        && let Some(day) = day
        && d.allows.iter().any(|r| r.window.is_some())
    {
        reason.message = no_rule_allowed(
            d.allows
                .iter()
                .filter(|r| r.window.is_none_or(|w| w.holds(day)))
                .map(|r| r.id.as_str()),
        );
        // The version in force is where that decision is written.
        if let Some(version) = d.version_on(day) {
            reason.at.clone_from(&version.origin.at);
        }
    }
    reason
}

/// Why a decision written in versions does not apply on a day none covers.
pub const NO_VERSION: &str = "no version of this decision is in force on this day";

/// `no rule allowed it (a, b did not match)`, naming the allows tried.
fn no_rule_allowed<'a>(tried: impl Iterator<Item = &'a str>) -> String {
    let tried: Vec<&str> = tried.collect();
    if tried.is_empty() {
        "no rule allows it".to_owned()
    } else {
        format!("no rule allowed it ({} did not match)", tried.join(", "))
    }
}

/// The version a decision's outcome names.
pub fn version_of(v: &VersionIr) -> Version {
    Version {
        effective: v.period.to_string(),
        at: v.origin.at.clone(),
        gap: v.gap.is_some(),
    }
}

/// Why a decision does not apply on a day of a declared gap.
pub fn gap_reason(gap: &VersionIr, message: &str) -> Reason {
    Reason {
        rule: "gap".to_owned(),
        message: message.to_owned(),
        at: gap.origin.at.clone(),
        template: None,
    }
}

/// The fact paths of a missing set, sorted.
pub fn paths(program: &Program, missing: &Missing) -> Vec<String> {
    let mut paths: Vec<String> = missing
        .slots()
        .filter_map(|s| program.schema.field(s).map(|f| f.path.clone()))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// The rule, message and place of a cause.
pub fn reason(d: &DecisionIr, cause: Cause) -> Reason {
    let (rule, message, at): (&str, String, &str) = match cause {
        Cause::NotApplicable => (
            "applies",
            "the facts hold no request this decision applies to".into(),
            &d.origin.at,
        ),
        Cause::AppliesUnknown => (
            "applies",
            "cannot tell whether the request is one this decision applies to".into(),
            &d.origin.at,
        ),
        Cause::Deny(i) | Cause::Allow(i) => {
            let rules = if matches!(cause, Cause::Deny(_)) {
                &d.denies
            } else {
                &d.allows
            };
            match rules.get(i as usize) {
                Some(r) => (&r.id, r.message.clone(), &r.origin.at),
                None => ("?", String::new(), ""),
            }
        }
        Cause::Row(i) => match d.rows.get(i as usize) {
            Some(r) => (&r.label, r.message.clone(), &r.origin.at),
            None => ("?", String::new(), ""),
        },
        Cause::NoRuleAllowed => {
            let message = no_rule_allowed(d.allows.iter().map(|r| r.id.as_str()));
            ("no_rule_allowed", message, &d.origin.at)
        }
    };
    Reason {
        rule: rule.to_owned(),
        message,
        at: at.to_owned(),
        template: None,
    }
}
