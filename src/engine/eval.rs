//! Evaluates a compiled [`Program`] against one account's [`Facts`].
//!
//! Logic is three-valued: a fact that is not given is unknown, `and`, `or`
//! and `not` follow Kleene's tables, and a decision that depends on an
//! unknown is `undetermined` with the missing facts named. A missing fact
//! never grants anything: a deny that might fire blocks every allow.

use std::cmp::Ordering;

use chrono::NaiveDate;

use crate::base::money::{Money, MoneyError};
use crate::engine::combine::{self, Rules, Ruling, same_answer};
use crate::engine::hot::Hot;
use crate::engine::hot::source::FactSource;
use crate::engine::outcome::{AsOfSource, DecisionOutcome, Evaluation};
use crate::engine::program::Program;
use crate::engine::verdict::{Answer, Cause, Verdicts, Work};
use crate::input::facts::Facts;
use crate::input::packed::PackedFacts;
use crate::lang::ast::{ArithOp, CompareOp, Function};
use crate::model::ir::{DecisionIr, Kind, Node, NodeId, RowIr, RuleIr, Value};
use crate::model::schema::Slot;

/// The facts an unknown result depends on, as a set of slots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Missing {
    /// Slots below 128, one bit each: no allocation for ordinary schemas.
    low: u128,
    high: Vec<u32>,
}

impl Missing {
    /// No missing fact.
    pub const fn none() -> Missing {
        Missing {
            low: 0,
            high: Vec::new(),
        }
    }

    fn one(slot: Slot) -> Missing {
        let mut m = Missing::default();
        if slot.0 < 128 {
            m.low = 1 << slot.0;
        } else {
            m.high.push(slot.0);
        }
        m
    }

    fn union(&mut self, other: &Missing) {
        self.low |= other.low;
        for s in &other.high {
            if !self.high.contains(s) {
                self.high.push(*s);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.low == 0 && self.high.is_empty()
    }

    pub fn contains(&self, slot: Slot) -> bool {
        if slot.0 < 128 {
            self.low & (1 << slot.0) != 0
        } else {
            self.high.contains(&slot.0)
        }
    }

    pub fn slots(&self) -> impl Iterator<Item = Slot> + '_ {
        (0..128u32)
            .filter(|i| self.low & (1 << i) != 0)
            .chain(self.high.iter().copied())
            .map(Slot)
    }
}

/// A value, or unknown because of the missing facts it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tri {
    Known(Value),
    Unknown(Missing),
}

impl Tri {
    /// A condition's truth: `Absent` (no such optional fact) counts as false.
    pub fn truth(&self) -> Option<bool> {
        match self {
            Tri::Known(Value::Bool(b)) => Some(*b),
            Tri::Known(_) => Some(false),
            Tri::Unknown(_) => None,
        }
    }
}

/// An evaluation that could not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("decision `{decision}`: {source}")]
    Money {
        decision: String,
        source: MoneyError,
    },
    #[error("decision `{decision}`: integer arithmetic overflowed")]
    Overflow { decision: String },
    #[error("decision `{0}` is not defined")]
    UnknownDecision(String),
}

/// Sees every step of an evaluation; explanations and coverage are built
/// from this. Every hook does nothing by default, so [`NoTrace`] compiles away.
pub trait Tracer {
    /// A node was evaluated.
    fn node(&mut self, _id: NodeId, _result: &Tri) {}
    /// A decision is about to be evaluated.
    fn decision(&mut self, _decision: &DecisionIr) {}
    /// A rule's condition came out: `Some(true)` when it fires (always, for a
    /// rule without one), `None` when unknown. Rules not evaluated are not seen.
    fn rule(&mut self, _rule: &RuleIr, _holds: Option<bool>) {}
    /// A table row's condition came out (`otherwise` always holds). Rows
    /// after the one chosen are not seen.
    fn row(&mut self, _row: &RowIr, _holds: Option<bool>) {}
    /// A decision's outcome, once per decision, after its other events.
    fn outcome(&mut self, _decision: &DecisionIr, _outcome: &DecisionOutcome) {}
}

/// The tracer that records nothing.
pub struct NoTrace;

impl Tracer for NoTrace {}

/// Which decisions to evaluate, and on what date.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub as_of: NaiveDate,
    pub as_of_source: AsOfSource,
    /// Decision ids; empty means all, in policy order.
    pub decisions: &'a [String],
}

impl Program {
    /// The outcome of the decision `ids` names (its last id) for one account,
    /// evaluated on `as_of`: what verify and whatif ask of each candidate.
    pub fn decide_one(
        &self,
        ids: &[String],
        facts: &Facts,
        as_of: NaiveDate,
    ) -> Result<DecisionOutcome, EvalError> {
        let request = Request {
            as_of,
            as_of_source: AsOfSource::Facts,
            decisions: ids,
        };
        let mut evaluation = self.evaluate(facts, &request)?;
        evaluation
            .decisions
            .pop()
            .ok_or_else(|| EvalError::UnknownDecision(ids.join(", ")))
    }

    /// Evaluates the requested decisions for one account.
    pub fn evaluate(&self, facts: &Facts, request: &Request<'_>) -> Result<Evaluation, EvalError> {
        let chosen = self.select(request.decisions)?;
        let mut verdicts = Verdicts::default();
        self.decide_into(facts, request.as_of, &chosen, &mut verdicts)?;
        Ok(verdicts.to_evaluation_for(self, request.as_of_source, &facts.values))
    }

    /// Evaluates the requested decisions, showing every step to `tracer`.
    pub fn evaluate_traced<T: Tracer>(
        &self,
        facts: &Facts,
        request: &Request<'_>,
        tracer: &mut T,
    ) -> Result<Evaluation, EvalError> {
        let chosen = self.select(request.decisions)?;
        let mut verdicts = Verdicts::default();
        self.decide_traced_into(facts, request.as_of, &chosen, &mut verdicts, tracer)?;
        let evaluation = verdicts.to_evaluation_for(self, request.as_of_source, &facts.values);
        // Outcomes in words exist only now, after every decision's events.
        for (v, outcome) in verdicts.iter().zip(&evaluation.decisions) {
            if let Some(d) = self.decisions.get(v.decision as usize) {
                tracer.outcome(d, outcome);
            }
        }
        Ok(evaluation)
    }

    /// The indices of decisions named by id, for [`Program::decide_into`].
    pub fn select(&self, ids: &[String]) -> Result<Vec<u32>, EvalError> {
        ids.iter()
            .map(|id| {
                self.decisions
                    .iter()
                    .position(|d| d.id == *id)
                    .map(|i| i as u32)
                    .ok_or_else(|| EvalError::UnknownDecision(id.clone()))
            })
            .collect()
    }

    /// The compiled hot path: evaluates the decisions at `chosen` (all when
    /// empty, in policy order) into reusable verdicts, comparing no strings
    /// and, once `out` has grown to fit, allocating nothing. A decision the
    /// hot path cannot settle (undetermined, or an error) is evaluated again
    /// in full, which names its missing facts.
    pub fn decide_into(
        &self,
        facts: &Facts,
        as_of: NaiveDate,
        chosen: &[u32],
        out: &mut Verdicts,
    ) -> Result<(), EvalError> {
        self.decide_hot(facts.values.as_slice(), as_of, chosen, out, |i, out| {
            self.decide_in_full(facts, as_of, i, out)
        })
    }

    /// [`Program::decide_into`] over [`PackedFacts`], the form for holding
    /// many accounts in memory: the same answers, with fewer cache lines
    /// read an account. A decision the hot path declines is evaluated in
    /// full over the facts unpacked.
    pub fn decide_packed_into(
        &self,
        facts: &PackedFacts,
        as_of: NaiveDate,
        chosen: &[u32],
        out: &mut Verdicts,
    ) -> Result<(), EvalError> {
        self.decide_from(facts, as_of, chosen, out, || facts.unpack())
    }

    /// [`Program::decide_into`] over facts read by reference from `source`
    /// (a row of Arrow columns) instead of loaded `Facts`. The hot path
    /// decides what it can from the source; for a decision it declines
    /// (an unknown test, undetermined, an arithmetic error) the full
    /// evaluator needs the row's `Facts`, which `materialize` builds, once,
    /// and only for such rows. The answers are [`Program::decide_into`]'s
    /// when `materialize` gives the facts the source reads.
    pub(crate) fn decide_from<S: FactSource + ?Sized>(
        &self,
        source: &S,
        as_of: NaiveDate,
        chosen: &[u32],
        out: &mut Verdicts,
        mut materialize: impl FnMut() -> Facts,
    ) -> Result<(), EvalError> {
        let mut facts: Option<Facts> = None;
        self.decide_hot(source, as_of, chosen, out, |i, out| {
            let facts = facts.get_or_insert_with(&mut materialize);
            self.decide_in_full(facts, as_of, i, out)
        })
    }

    /// The hot path over `source`, handing each decision it declines to
    /// `full`: the decisions at `chosen`, or all in policy order.
    #[inline(always)]
    fn decide_hot<S: FactSource + ?Sized>(
        &self,
        source: &S,
        as_of: NaiveDate,
        chosen: &[u32],
        out: &mut Verdicts,
        mut full: impl FnMut(u32, &mut Verdicts) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        out.clear(as_of);
        let mut hot = Hot::new(self, source, as_of);
        if chosen.is_empty() {
            hot.decide_all(out, &mut full)?;
        } else {
            for &i in chosen {
                if !hot.interpret(i, out) {
                    full(i, out)?;
                }
            }
        }
        Ok(())
    }

    /// A decision the hot path left: the full evaluator names its missing
    /// facts or its error.
    #[cold]
    fn decide_in_full(
        &self,
        facts: &Facts,
        as_of: NaiveDate,
        i: u32,
        out: &mut Verdicts,
    ) -> Result<(), EvalError> {
        self.full(facts, as_of, &[i], out, &mut NoTrace)
    }

    /// [`Program::decide_into`] in full, showing every step to `tracer`.
    pub fn decide_traced_into<T: Tracer>(
        &self,
        facts: &Facts,
        as_of: NaiveDate,
        chosen: &[u32],
        out: &mut Verdicts,
        tracer: &mut T,
    ) -> Result<(), EvalError> {
        out.clear(as_of);
        self.full(facts, as_of, chosen, out, tracer)
    }

    /// The full evaluator over the decisions at `chosen` (all when empty).
    fn full<T: Tracer>(
        &self,
        facts: &Facts,
        as_of: NaiveDate,
        chosen: &[u32],
        out: &mut Verdicts,
        tracer: &mut T,
    ) -> Result<(), EvalError> {
        let mut work = std::mem::take(&mut out.work);
        // What this account's decisions came to so far, for decisions that use them.
        let mut referenced = std::mem::take(&mut work.referenced);
        referenced.resize(self.decisions.len(), None);
        for v in out.iter() {
            if let Some(slot @ None) = referenced.get_mut(v.decision as usize) {
                *slot = Some(self.used_value(v.decision, v.answer, out.missing(v)));
            }
        }
        let mut run = Run {
            program: self,
            values: &facts.values,
            as_of_slot: self.as_of.map_or(usize::MAX, |s| s.0 as usize),
            as_of,
            tracer,
            decision: "",
            referenced,
        };
        let mut decide = |i: u32, out: &mut Verdicts| -> Result<(), EvalError> {
            let d = self
                .decisions
                .get(i as usize)
                .ok_or_else(|| EvalError::UnknownDecision(format!("#{i}")))?;
            run.decide(i, d, out, &mut work)?;
            if let Some(v) = out.iter().last() {
                let value = self.used_value(i, v.answer, out.missing(v));
                if let Some(slot) = run.referenced.get_mut(i as usize) {
                    *slot = Some(value);
                }
            }
            Ok(())
        };
        let result = if chosen.is_empty() {
            (0..self.decisions.len() as u32).try_for_each(|i| decide(i, out))
        } else {
            chosen.iter().try_for_each(|&i| decide(i, out))
        };
        work.referenced = std::mem::take(&mut run.referenced);
        out.work = work;
        result
    }
}

impl Program {
    /// Evaluates one node, such as a rule's condition, on `as_of`: `credo verify`
    /// and `credo whatif` ask about conditions a decision did not need to reach.
    pub fn evaluate_node(
        &self,
        node: NodeId,
        facts: &Facts,
        as_of: NaiveDate,
    ) -> Result<Tri, EvalError> {
        let mut run = Run {
            program: self,
            values: &facts.values,
            as_of_slot: self.as_of.map_or(usize::MAX, |s| s.0 as usize),
            as_of,
            tracer: &mut NoTrace,
            decision: "",
            referenced: vec![None; self.decisions.len()],
        };
        run.eval(node)
    }

    /// The value another decision's use of decision `index` sees: a
    /// classification's member or an amount, or unknown with the facts the
    /// decision misses.
    fn used_value(&self, index: u32, answer: Answer, missing: &Missing) -> Tri {
        let kind = self.decisions.get(index as usize).map(|d| &d.kind);
        match (kind, answer) {
            (Some(Kind::Classification(e)), Answer::Member(i)) => Tri::Known(Value::Member(*e, i)),
            (_, Answer::Amount(m)) => Tri::Known(Value::Money(m)),
            _ => Tri::Unknown(missing.clone()),
        }
    }
}

struct Run<'p, 't, T> {
    program: &'p Program,
    values: &'p [Option<Value>],
    /// `as_of` reads the evaluation date, whatever the facts say.
    as_of_slot: usize,
    as_of: NaiveDate,
    tracer: &'t mut T,
    decision: &'p str,
    /// By decision index, the value of each decision evaluated so far for
    /// this account: a decision other decisions use is evaluated once.
    referenced: Vec<Option<Tri>>,
}

impl<'p, T: Tracer> Run<'p, '_, T> {
    fn decide(
        &mut self,
        index: u32,
        d: &'p DecisionIr,
        out: &mut Verdicts,
        work: &mut Work,
    ) -> Result<(), EvalError> {
        self.decision = &d.id;
        self.tracer.decision(d);
        let start = out.mark();
        if let Some(applies) = d.applies {
            match self.eval(applies)? {
                Tri::Known(v) if v != Value::Bool(true) => {
                    out.cause(Cause::NotApplicable);
                    out.push(index, Answer::NotApplicable, start);
                    return Ok(());
                }
                Tri::Known(_) => {}
                Tri::Unknown(missing) => {
                    out.cause(Cause::AppliesUnknown);
                    out.push_missing(index, Answer::Undetermined, missing, start);
                    return Ok(());
                }
            }
        }
        let mut maybe_missing = Missing::default();
        self.rules(
            &d.denies,
            &mut work.fired,
            &mut work.maybe_denies,
            &mut maybe_missing,
        )?;
        if !work.fired.is_empty() {
            out.causes_from(&work.fired, Cause::Deny);
            out.push(index, combine::denied(&d.kind), start);
            return Ok(());
        }
        let denies = Rules {
            held: false,
            unknown: !work.maybe_denies.is_empty(),
        };
        let (answer, missing) = match &d.kind {
            Kind::Eligibility | Kind::Action => {
                let mut allow_missing = Missing::default();
                self.rules(
                    &d.allows,
                    &mut work.granted,
                    &mut work.maybe_allows,
                    &mut allow_missing,
                )?;
                let allows = Rules {
                    held: !work.granted.is_empty(),
                    unknown: !work.maybe_allows.is_empty(),
                };
                let ruling = combine::ruling(denies, allows);
                if ruling == Ruling::Granted {
                    out.causes_from(&work.granted, Cause::Allow);
                    (combine::ruled(&d.kind, ruling), Missing::default())
                } else if ruling == Ruling::NoneAllowed {
                    out.cause(Cause::NoRuleAllowed);
                    (combine::ruled(&d.kind, ruling), Missing::default())
                } else {
                    // Undetermined: an unknown deny could block, or only an unknown allow could grant.
                    let mut missing = maybe_missing;
                    out.causes_from(&work.maybe_denies, Cause::Deny);
                    if work.granted.is_empty() {
                        missing.union(&allow_missing);
                        out.causes_from(&work.maybe_allows, Cause::Allow);
                    }
                    (Answer::Undetermined, missing)
                }
            }
            Kind::Classification(_) | Kind::Amount(_) => {
                match self.table(&d.rows, &mut work.rows)? {
                    Tri::Known(value) => {
                        let zero = same_answer(&value, &Value::Absent);
                        if combine::row_stands(denies.unknown, zero) {
                            out.causes_from(&work.rows, Cause::Row);
                            (answer_of(&d.kind, value), Missing::default())
                        } else {
                            out.causes_from(&work.maybe_denies, Cause::Deny);
                            (Answer::Undetermined, maybe_missing)
                        }
                    }
                    Tri::Unknown(mut missing) => {
                        missing.union(&maybe_missing);
                        out.causes_from(&work.maybe_denies, Cause::Deny);
                        out.causes_from(&work.rows, Cause::Row);
                        (Answer::Undetermined, missing)
                    }
                }
            }
        };
        out.push_missing(index, answer, missing, start);
        Ok(())
    }

    /// Evaluates rules in order: the indices of those that hold go to `yes`,
    /// of those that are unknown to `maybe`, their missing facts to `missing`.
    fn rules(
        &mut self,
        rules: &'p [RuleIr],
        yes: &mut Vec<u32>,
        maybe: &mut Vec<u32>,
        missing: &mut Missing,
    ) -> Result<(), EvalError> {
        yes.clear();
        maybe.clear();
        for (i, rule) in rules.iter().enumerate() {
            let Some(condition) = rule.condition else {
                self.tracer.rule(rule, Some(true));
                yes.push(i as u32);
                continue;
            };
            match self.eval(condition)? {
                Tri::Unknown(m) => {
                    self.tracer.rule(rule, None);
                    missing.union(&m);
                    maybe.push(i as u32);
                }
                known if known.truth() == Some(true) => {
                    self.tracer.rule(rule, Some(true));
                    yes.push(i as u32);
                }
                _ => self.tracer.rule(rule, Some(false)),
            }
        }
        Ok(())
    }

    /// The first row whose condition holds. Rows before it that are unknown
    /// leave the answer unknown, unless every candidate gives the same value.
    /// `reasons` receives the indices of the rows the answer rests on.
    fn table(&mut self, rows: &'p [RowIr], reasons: &mut Vec<u32>) -> Result<Tri, EvalError> {
        reasons.clear();
        let mut missing = Missing::default();
        for (i, row) in rows.iter().enumerate() {
            let holds = match row.condition {
                None => Some(true),
                Some(c) => match self.eval(c)? {
                    Tri::Unknown(m) => {
                        missing.union(&m);
                        None
                    }
                    known => known.truth(),
                },
            };
            self.tracer.row(row, holds);
            match holds {
                Some(false) => continue,
                None => reasons.push(i as u32),
                Some(true) => {
                    let value = self.eval(row.value)?;
                    if reasons.is_empty() {
                        reasons.push(i as u32);
                        return Ok(value);
                    }
                    // Settled anyway when every row that might win gives this value;
                    // otherwise each of their values is a fact that could change it.
                    let mut same = matches!(value, Tri::Known(_));
                    for k in 0..reasons.len() {
                        let Some(p) = reasons.get(k).and_then(|&p| rows.get(p as usize)) else {
                            continue;
                        };
                        match (self.eval(p.value)?, &value) {
                            (Tri::Known(pv), Tri::Known(v)) => same &= same_answer(&pv, v),
                            (Tri::Known(_), Tri::Unknown(_)) => {}
                            (Tri::Unknown(m), _) => {
                                same = false;
                                missing.union(&m);
                            }
                        }
                    }
                    if same {
                        reasons.clear();
                        reasons.push(i as u32);
                        return Ok(value);
                    }
                    if let Tri::Unknown(m) = &value {
                        missing.union(m);
                    }
                    reasons.push(i as u32);
                    return Ok(Tri::Unknown(missing));
                }
            }
        }
        // The checker guarantees an `otherwise` row, so this is reached only by unknowns.
        Ok(Tri::Unknown(missing))
    }

    fn eval(&mut self, id: NodeId) -> Result<Tri, EvalError> {
        let result = self.eval_node(id)?;
        self.tracer.node(id, &result);
        Ok(result)
    }

    fn eval_node(&mut self, id: NodeId) -> Result<Tri, EvalError> {
        let program = self.program;
        let Some(node) = program.node(id) else {
            return Ok(Tri::Unknown(Missing::default()));
        };
        Ok(match node {
            Node::Fact(slot) if slot.0 as usize == self.as_of_slot => {
                Tri::Known(Value::Date(self.as_of))
            }
            Node::Fact(slot) => match self.values.get(slot.0 as usize) {
                Some(Some(v)) => Tri::Known(v.clone()),
                _ => Tri::Unknown(Missing::one(*slot)),
            },
            Node::Const(v) => Tri::Known(v.clone()),
            Node::Named { node, .. } => self.eval(*node)?,
            Node::Decision(index) => self.referenced(*index)?,
            // Exact: the product keeps every decimal until a `Round` rounds it.
            Node::Scaled { amount, rate } => match self.eval(*amount)? {
                Tri::Known(Value::Money(m)) => {
                    let factor = rate
                        .factor()
                        .ok_or_else(|| self.money_error(MoneyError::Overflow))?;
                    Tri::Known(Value::Money(
                        m.scaled(factor).map_err(|e| self.money_error(e))?,
                    ))
                }
                other => other,
            },
            Node::Round { value, mode, .. } => match self.eval(*value)? {
                Tri::Known(Value::Money(m)) => {
                    let digits = m.currency.minor_digits();
                    let rounded = mode.apply(m.amount, digits);
                    Tri::Known(Value::Money(Money::new(rounded, m.currency)))
                }
                other => other,
            },
            Node::Not(inner) => match self.eval(*inner)? {
                Tri::Unknown(m) => Tri::Unknown(m),
                known => Tri::Known(Value::Bool(known.truth() != Some(true))),
            },
            Node::And(args) | Node::Or(args) => {
                // `and` is settled by a false operand, `or` by a true one.
                let settle = matches!(node, Node::Or(_));
                let mut missing: Option<Missing> = None;
                for arg in program.args(*args) {
                    match self.eval(*arg)? {
                        Tri::Unknown(m) => missing.get_or_insert_with(Missing::default).union(&m),
                        known if known.truth() == Some(settle) => {
                            return Ok(Tri::Known(Value::Bool(settle)));
                        }
                        _ => {}
                    }
                }
                match missing {
                    Some(m) => Tri::Unknown(m),
                    None => Tri::Known(Value::Bool(!settle)),
                }
            }
            Node::Compare(op, a, b) => {
                let (a, b) = (self.eval(*a)?, self.eval(*b)?);
                match (a, b) {
                    (Tri::Known(Value::Absent), _) | (_, Tri::Known(Value::Absent)) => {
                        Tri::Known(Value::Bool(*op == CompareOp::Ne))
                    }
                    (Tri::Known(a), Tri::Known(b)) => Tri::Known(Value::Bool(
                        self.compare(&a, &b)?.is_some_and(|o| op.holds(o)),
                    )),
                    (a, b) => unknown_of(&[a, b]),
                }
            }
            Node::In {
                value,
                set,
                negated,
            } => {
                let value = self.eval(*value)?;
                let Tri::Known(v) = value else {
                    return Ok(value);
                };
                if v == Value::Absent {
                    return Ok(Tri::Known(Value::Bool(*negated)));
                }
                let mut missing: Option<Missing> = None;
                for item in program.args(*set) {
                    match self.eval(*item)? {
                        Tri::Known(i) if self.compare(&v, &i)? == Some(Ordering::Equal) => {
                            return Ok(Tri::Known(Value::Bool(!negated)));
                        }
                        Tri::Known(_) => {}
                        Tri::Unknown(m) => missing.get_or_insert_with(Missing::default).union(&m),
                    }
                }
                match missing {
                    Some(m) => Tri::Unknown(m),
                    None => Tri::Known(Value::Bool(*negated)),
                }
            }
            Node::InRange {
                value,
                low,
                high,
                negated,
            } => {
                let parts = [self.eval(*value)?, self.eval(*low)?, self.eval(*high)?];
                // Absent is in no range, whatever the other parts are.
                if parts.contains(&Tri::Known(Value::Absent)) {
                    return Ok(Tri::Known(Value::Bool(*negated)));
                }
                match &parts {
                    [Tri::Known(v), Tri::Known(l), Tri::Known(h)] => {
                        let inside = self.compare(l, v)?.is_some_and(|o| o != Ordering::Greater)
                            && self.compare(v, h)?.is_some_and(|o| o != Ordering::Greater);
                        Tri::Known(Value::Bool(inside != *negated))
                    }
                    _ => unknown_of(&parts),
                }
            }
            Node::Arith(op, a, b) => {
                let (a, b) = (self.eval(*a)?, self.eval(*b)?);
                match (a, b) {
                    // Arithmetic on an absent value stays absent, even with an unknown.
                    (Tri::Known(Value::Absent), _) | (_, Tri::Known(Value::Absent)) => {
                        Tri::Known(Value::Absent)
                    }
                    (Tri::Known(a), Tri::Known(b)) => Tri::Known(self.arith(*op, a, b)?),
                    (a, b) => unknown_of(&[a, b]),
                }
            }
            Node::Call(func, args) => {
                let mut best: Option<Value> = None;
                let mut missing: Option<Missing> = None;
                for arg in program.args(*args) {
                    match self.eval(*arg)? {
                        Tri::Unknown(m) => missing.get_or_insert_with(Missing::default).union(&m),
                        Tri::Known(Value::Absent) => return Ok(Tri::Known(Value::Absent)),
                        Tri::Known(v) => {
                            let better = match &best {
                                None => true,
                                Some(b) => {
                                    let o = self.compare(&v, b)?;
                                    match func {
                                        Function::Min => o == Some(Ordering::Less),
                                        Function::Max => o == Some(Ordering::Greater),
                                    }
                                }
                            };
                            if better {
                                best = Some(v);
                            }
                        }
                    }
                }
                match (missing, best) {
                    (Some(m), _) => Tri::Unknown(m),
                    (None, Some(v)) => Tri::Known(v),
                    (None, None) => Tri::Unknown(Missing::default()),
                }
            }
        })
    }

    /// Another decision's value, evaluated now unless it already was for this
    /// account. Its own steps are not shown to the tracer: explain shows the
    /// used decision's trace on its own.
    fn referenced(&mut self, index: u32) -> Result<Tri, EvalError> {
        if let Some(Some(known)) = self.referenced.get(index as usize) {
            return Ok(known.clone());
        }
        let program = self.program;
        let d = program
            .decisions
            .get(index as usize)
            .ok_or_else(|| EvalError::UnknownDecision(format!("#{index}")))?;
        let mut nested = Run {
            program,
            values: self.values,
            as_of_slot: self.as_of_slot,
            as_of: self.as_of,
            tracer: &mut NoTrace,
            decision: "",
            referenced: std::mem::take(&mut self.referenced),
        };
        let mut verdicts = Verdicts::default();
        let result = nested.decide(index, d, &mut verdicts, &mut Work::default());
        self.referenced = std::mem::take(&mut nested.referenced);
        result?;
        let value = match verdicts.iter().last() {
            Some(v) => program.used_value(index, v.answer, verdicts.missing(v)),
            None => Tri::Unknown(Missing::default()),
        };
        if let Some(slot) = self.referenced.get_mut(index as usize) {
            *slot = Some(value.clone());
        }
        Ok(value)
    }

    /// Orders two known values of one type; `None` for values with no order.
    fn compare(&self, a: &Value, b: &Value) -> Result<Option<Ordering>, EvalError> {
        Ok(match (a, b) {
            (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
            (Value::Money(x), Value::Money(y)) => {
                Some(x.checked_cmp(y).map_err(|e| self.money_error(e))?)
            }
            (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
            (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
            (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
            (Value::Member(e, x), Value::Member(f, y)) if e == f => Some(x.cmp(y)),
            _ => None,
        })
    }

    fn arith(&self, op: ArithOp, a: Value, b: Value) -> Result<Value, EvalError> {
        let overflow = || EvalError::Overflow {
            decision: self.decision.to_owned(),
        };
        Ok(match (op, a, b) {
            (_, Value::Absent, _) | (_, _, Value::Absent) => Value::Absent,
            (ArithOp::Add, Value::Int(x), Value::Int(y)) => {
                Value::Int(x.checked_add(y).ok_or_else(overflow)?)
            }
            (ArithOp::Sub, Value::Int(x), Value::Int(y)) => {
                Value::Int(x.checked_sub(y).ok_or_else(overflow)?)
            }
            (ArithOp::Mul, Value::Int(x), Value::Int(y)) => {
                Value::Int(x.checked_mul(y).ok_or_else(overflow)?)
            }
            (ArithOp::Add, Value::Money(x), Value::Money(y)) => {
                Value::Money(x.checked_add(&y).map_err(|e| self.money_error(e))?)
            }
            (ArithOp::Sub, Value::Money(x), Value::Money(y)) => {
                Value::Money(x.checked_sub(&y).map_err(|e| self.money_error(e))?)
            }
            (ArithOp::Mul, Value::Money(m), Value::Int(n))
            | (ArithOp::Mul, Value::Int(n), Value::Money(m)) => {
                Value::Money(m.checked_mul(n).map_err(|e| self.money_error(e))?)
            }
            // The checker admits no other combination.
            _ => Value::Absent,
        })
    }

    fn money_error(&self, source: MoneyError) -> EvalError {
        EvalError::Money {
            decision: self.decision.to_owned(),
            source,
        }
    }
}

/// The union of the unknowns among some results.
fn unknown_of(parts: &[Tri]) -> Tri {
    let mut missing = Missing::default();
    for part in parts {
        if let Tri::Unknown(m) = part {
            missing.union(m);
        }
    }
    Tri::Unknown(missing)
}

/// The answer a table's value gives.
fn answer_of(kind: &Kind, value: Value) -> Answer {
    match (kind, value) {
        (_, Value::Money(m)) => Answer::Amount(m),
        (Kind::Classification(_), Value::Member(_, i)) => Answer::Member(i),
        (Kind::Amount(c), _) => Answer::Amount(Money::zero(*c)),
        _ => Answer::Undetermined,
    }
}
