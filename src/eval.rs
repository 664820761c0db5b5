//! Evaluates a compiled [`Program`] against one account's [`Facts`].
//!
//! Logic is three-valued: a fact that is not given is unknown, `and`, `or`
//! and `not` follow Kleene's tables, and a decision that depends on an
//! unknown is `undetermined` with the missing facts named. A missing fact
//! never grants anything: a deny that might fire blocks every allow.

use std::cmp::Ordering;

use chrono::NaiveDate;

use crate::ast::{ArithOp, CompareOp, Function};
use crate::facts::Facts;
use crate::ir::{DecisionIr, Kind, Node, NodeId, Program, RowIr, RuleIr, Value};
use crate::money::{Money, MoneyError};
use crate::outcome::{AsOfSource, DecisionOutcome, Evaluation, Outcome, Reason};
use crate::schema::Slot;

/// The facts an unknown result depends on, as a set of slots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Missing {
    /// Slots below 128, one bit each: no allocation for ordinary schemas.
    low: u128,
    high: Vec<u32>,
}

impl Missing {
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
    fn truth(&self) -> Option<bool> {
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

/// Sees every step of an evaluation; explanations are built from this.
pub trait Tracer {
    /// A node was evaluated.
    fn node(&mut self, _id: NodeId, _result: &Tri) {}
    /// A decision is about to be evaluated.
    fn decision(&mut self, _decision: &DecisionIr) {}
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
    /// Evaluates the requested decisions for one account.
    pub fn evaluate(&self, facts: &Facts, request: &Request<'_>) -> Result<Evaluation, EvalError> {
        self.evaluate_traced(facts, request, &mut NoTrace)
    }

    pub fn evaluate_traced<T: Tracer>(
        &self,
        facts: &Facts,
        request: &Request<'_>,
        tracer: &mut T,
    ) -> Result<Evaluation, EvalError> {
        let mut values = facts.values.clone();
        if let Some(slot) = self.as_of
            && let Some(v) = values.get_mut(slot.0 as usize)
        {
            *v = Some(Value::Date(request.as_of));
        }
        let chosen: Vec<&DecisionIr> = if request.decisions.is_empty() {
            self.decisions.iter().collect()
        } else {
            request
                .decisions
                .iter()
                .map(|id| {
                    self.decision(id)
                        .ok_or_else(|| EvalError::UnknownDecision(id.clone()))
                })
                .collect::<Result<_, _>>()?
        };
        let mut run = Run {
            program: self,
            values: &values,
            tracer,
            decision: "",
        };
        let decisions = chosen
            .into_iter()
            .map(|d| run.decide(d))
            .collect::<Result<_, _>>()?;
        Ok(Evaluation {
            as_of: request.as_of,
            as_of_source: request.as_of_source,
            decisions,
        })
    }
}

struct Run<'p, 't, T> {
    program: &'p Program,
    values: &'p [Option<Value>],
    tracer: &'t mut T,
    decision: &'p str,
}

/// How a rule's condition came out.
enum Fired<'r> {
    Yes(&'r RuleIr),
    Maybe(&'r RuleIr, Missing),
}

impl<'p, T: Tracer> Run<'p, '_, T> {
    fn decide(&mut self, d: &'p DecisionIr) -> Result<DecisionOutcome, EvalError> {
        self.decision = &d.id;
        self.tracer.decision(d);
        let mut result = DecisionOutcome {
            id: d.id.clone(),
            kind: d.kind.name(),
            outcome: Outcome::Undetermined,
            reasons: Vec::new(),
            missing: Vec::new(),
            notes: d.notes.clone(),
        };
        if let Some(applies) = d.applies {
            match self.eval(applies)? {
                Tri::Known(v) if v != Value::Bool(true) => {
                    result.outcome = Outcome::NotApplicable;
                    result.notes.clear();
                    result.reasons.push(Reason {
                        rule: "applies".into(),
                        message: "the facts hold no request this decision applies to".into(),
                        at: d.origin.at.clone(),
                    });
                    return Ok(result);
                }
                Tri::Known(_) => {}
                Tri::Unknown(missing) => {
                    result.reasons.push(Reason {
                        rule: "applies".into(),
                        message: "cannot tell whether the request is one this decision applies to"
                            .into(),
                        at: d.origin.at.clone(),
                    });
                    result.missing = self.paths(&missing);
                    return Ok(result);
                }
            }
        }
        let denies = self.rules(&d.denies)?;
        let fired_denies: Vec<&RuleIr> = denies
            .iter()
            .filter_map(|f| {
                if let Fired::Yes(r) = f {
                    Some(*r)
                } else {
                    None
                }
            })
            .collect();
        let mut maybe_missing = Missing::default();
        let maybe_denies: Vec<&RuleIr> = denies
            .iter()
            .filter_map(|f| match f {
                Fired::Maybe(r, m) => {
                    maybe_missing.union(m);
                    Some(*r)
                }
                Fired::Yes(_) => None,
            })
            .collect();
        let (yes, no) = match &d.kind {
            Kind::Action => (Outcome::Permit, Outcome::Deny),
            _ => (Outcome::Eligible, Outcome::NotEligible),
        };
        if !fired_denies.is_empty() {
            result.outcome = match &d.kind {
                Kind::Amount(c) => Outcome::Amount(Money::zero(*c)),
                _ => no,
            };
            result.reasons = fired_denies
                .iter()
                .map(|r| reason(&r.id, &r.message, &r.origin.at))
                .collect();
            return Ok(result);
        }
        match &d.kind {
            Kind::Eligibility | Kind::Action => {
                let allows = self.rules(&d.allows)?;
                let granted: Vec<&RuleIr> = allows
                    .iter()
                    .filter_map(|f| {
                        if let Fired::Yes(r) = f {
                            Some(*r)
                        } else {
                            None
                        }
                    })
                    .collect();
                let mut allow_missing = Missing::default();
                let maybe_allows: Vec<&RuleIr> = allows
                    .iter()
                    .filter_map(|f| match f {
                        Fired::Maybe(r, m) => {
                            allow_missing.union(m);
                            Some(*r)
                        }
                        Fired::Yes(_) => None,
                    })
                    .collect();
                if !granted.is_empty() && maybe_denies.is_empty() {
                    result.outcome = yes;
                    result.reasons = granted
                        .iter()
                        .map(|r| reason(&r.id, &r.message, &r.origin.at))
                        .collect();
                } else if granted.is_empty() && maybe_allows.is_empty() {
                    result.outcome = no;
                    let tried: Vec<&str> = d.allows.iter().map(|r| r.id.as_str()).collect();
                    let message = if tried.is_empty() {
                        "no rule allows it".to_owned()
                    } else {
                        format!("no rule allowed it ({} did not match)", tried.join(", "))
                    };
                    result
                        .reasons
                        .push(reason("no_rule_allowed", &message, &d.origin.at));
                } else {
                    // Undetermined: an unknown deny could block, or only an unknown allow could grant.
                    let mut missing = maybe_missing;
                    let mut pending: Vec<&RuleIr> = maybe_denies;
                    if granted.is_empty() {
                        missing.union(&allow_missing);
                        pending.extend(maybe_allows);
                    }
                    result.reasons = pending
                        .iter()
                        .map(|r| reason(&r.id, &r.message, &r.origin.at))
                        .collect();
                    result.missing = self.paths(&missing);
                }
            }
            Kind::Classification(_) | Kind::Amount(_) => {
                let (answer, reasons) = self.table(&d.rows)?;
                match answer {
                    Tri::Known(value) => {
                        let settled =
                            maybe_denies.is_empty() || same_answer(&value, &Value::Absent);
                        if settled {
                            result.outcome = self.outcome_of(&d.kind, value);
                            result.reasons = reasons;
                        } else {
                            result.reasons = maybe_denies
                                .iter()
                                .map(|r| reason(&r.id, &r.message, &r.origin.at))
                                .collect();
                            result.missing = self.paths(&maybe_missing);
                        }
                    }
                    Tri::Unknown(mut missing) => {
                        missing.union(&maybe_missing);
                        result.reasons = maybe_denies
                            .iter()
                            .map(|r| reason(&r.id, &r.message, &r.origin.at))
                            .chain(reasons)
                            .collect();
                        result.missing = self.paths(&missing);
                    }
                }
            }
        }
        Ok(result)
    }

    fn outcome_of(&self, kind: &Kind, value: Value) -> Outcome {
        match (kind, value) {
            (_, Value::Money(m)) => Outcome::Amount(m),
            (Kind::Classification(id), Value::Member(_, i)) => {
                Outcome::Member(self.program.schema.member_name(*id, i).to_owned())
            }
            (Kind::Amount(c), _) => Outcome::Amount(Money::zero(*c)),
            _ => Outcome::Undetermined,
        }
    }

    fn rules<'r>(&mut self, rules: &'r [RuleIr]) -> Result<Vec<Fired<'r>>, EvalError> {
        let mut fired = Vec::new();
        for rule in rules {
            let Some(condition) = rule.condition else {
                fired.push(Fired::Yes(rule));
                continue;
            };
            match self.eval(condition)? {
                Tri::Unknown(m) => fired.push(Fired::Maybe(rule, m)),
                known if known.truth() == Some(true) => fired.push(Fired::Yes(rule)),
                _ => {}
            }
        }
        Ok(fired)
    }

    /// The first row whose condition holds. Rows before it that are unknown
    /// leave the answer unknown, unless every candidate gives the same value.
    fn table(&mut self, rows: &'p [RowIr]) -> Result<(Tri, Vec<Reason>), EvalError> {
        let mut pending: Vec<&RowIr> = Vec::new();
        let mut missing = Missing::default();
        for row in rows {
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
            match holds {
                Some(false) => continue,
                None => pending.push(row),
                Some(true) => {
                    let value = self.eval(row.value)?;
                    if pending.is_empty() {
                        let reasons = vec![reason(&row.label, &row.message, &row.origin.at)];
                        return Ok((value, reasons));
                    }
                    // Settled anyway when every row that might win gives this value;
                    // otherwise each of their values is a fact that could change it.
                    let mut same = matches!(value, Tri::Known(_));
                    for p in &pending {
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
                        return Ok((
                            value,
                            vec![reason(&row.label, &row.message, &row.origin.at)],
                        ));
                    }
                    if let Tri::Unknown(m) = &value {
                        missing.union(m);
                    }
                    pending.push(row);
                    let reasons = pending
                        .iter()
                        .map(|r| reason(&r.label, &r.message, &r.origin.at))
                        .collect();
                    return Ok((Tri::Unknown(missing), reasons));
                }
            }
        }
        // The checker guarantees an `otherwise` row, so this is reached only by unknowns.
        let reasons = pending
            .iter()
            .map(|r| reason(&r.label, &r.message, &r.origin.at))
            .collect();
        Ok((Tri::Unknown(missing), reasons))
    }

    fn paths(&self, missing: &Missing) -> Vec<String> {
        let mut paths: Vec<String> = missing
            .slots()
            .filter_map(|s| self.program.schema.field(s).map(|f| f.path.clone()))
            .collect();
        paths.sort();
        paths.dedup();
        paths
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
            Node::Fact(slot) => match self.values.get(slot.0 as usize) {
                Some(Some(v)) => Tri::Known(v.clone()),
                _ => Tri::Unknown(Missing::one(*slot)),
            },
            Node::Const(v) => Tri::Known(v.clone()),
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

/// Two table values that give the same outcome: an absent amount is zero.
fn same_answer(a: &Value, b: &Value) -> bool {
    let nothing = |v: &Value| match v {
        Value::Absent => true,
        Value::Money(m) => m.amount.is_zero(),
        _ => false,
    };
    a == b || (nothing(a) && nothing(b))
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

fn reason(rule: &str, message: &str, at: &str) -> Reason {
    Reason {
        rule: rule.to_owned(),
        message: message.to_owned(),
        at: at.to_owned(),
    }
}
