//! A deliberately simple second evaluator, kept only to check the real one.
//!
//! It walks the checked syntax tree directly, with no IR, no slots for
//! expressions and no bit sets: values are looked up by field path, enum
//! members by name, missing facts are sets of paths. Each rule of the
//! README's Semantics section is one plain function below. The differential
//! tests and the `eval` fuzz target assert that [`evaluate`] and
//! [`Program::evaluate`] give exactly the same [`Evaluation`].
//!
//! It writes the combining rules (deny overrides allow, how unknowns
//! combine, first match, a denied amount is zero) and the outcome words
//! once more, on purpose, instead of calling `engine::combine` and
//! `Kind::outcome_words` as the evaluator and the hot path do: an oracle
//! that shared their code would share their mistakes.
//!
//! Evaluation order is part of the semantics only through errors (an
//! overflow): operands are evaluated left to right, `and`/`or` stop at the
//! first operand that settles them, `in` stops at the first member that
//! matches, allows are looked at only when no deny holds, and a table looks
//! at no row after the first that holds.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::base::money::{Currency, Money, MoneyError};
use crate::base::source::Span;
use crate::engine::eval::{EvalError, Request};
use crate::engine::outcome::{DecisionOutcome, Evaluation, Outcome, Reason};
use crate::engine::program::Program;
use crate::input::facts::Facts;
use crate::lang::ast::{
    self, ArithOp, CompareOp, DecisionItem, DecisionKind, Effect, Expr, ExprKind, Function,
    Rounding,
};
use crate::model::ir;
use crate::model::schema::Type;

/// A known value. Enum members are plain names.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Bool(bool),
    Int(i64),
    Money(Money),
    Date(NaiveDate),
    Text(String),
    Member(String),
    /// An optional fact that is not given: known, and equal to nothing.
    Absent,
}

/// A value, or unknown because of these missing fact paths.
#[derive(Debug, Clone, PartialEq)]
enum R {
    Known(Val),
    Unknown(BTreeSet<String>),
}

/// Evaluates like [`Program::evaluate`], from the policy text in `program.sources`.
pub fn evaluate(
    program: &Program,
    facts: &Facts,
    request: &Request<'_>,
) -> Result<Evaluation, EvalError> {
    let mut decisions: Vec<ast::Decision> = Vec::new();
    let mut named: BTreeMap<String, Expr> = BTreeMap::new();
    let mut gaps: Vec<ast::Gap> = Vec::new();
    let day = request.as_of;
    let in_force = |w: &Option<ast::Window>| w.as_ref().is_none_or(|w| w.holds(day));
    for (id, source) in program.sources.iter() {
        // A checked program's sources parsed once already; this cannot fail.
        let file = crate::lang::syntax::parse(id, &source.text)
            .map_err(|_| EvalError::UnknownDecision(source.name.clone()))?;
        for item in file.items {
            match item {
                ast::Item::Decision(d) => decisions.push(d),
                // A named condition on a day none of its versions is in force is false.
                ast::Item::Condition(c) if in_force(&c.window) => {
                    named.insert(c.name.name, c.condition);
                }
                ast::Item::Condition(c) => {
                    named.entry(c.name.name).or_insert(Expr {
                        kind: ExprKind::Bool(false),
                        span: c.span,
                    });
                }
                ast::Item::Gap(g) => gaps.push(g),
                _ => {}
            }
        }
    }
    // Of a decision's versions, the one in force stands where the first is
    // written; with none in force, the first stands in, lapsed.
    let mut lapsed: BTreeSet<String> = BTreeSet::new();
    let mut chosen_versions: Vec<ast::Decision> = Vec::new();
    for d in &decisions {
        if chosen_versions.iter().any(|c| c.id.name == d.id.name) {
            continue;
        }
        let versions = decisions.iter().filter(|v| v.id.name == d.id.name);
        match versions.clone().find(|v| in_force(&v.window)) {
            Some(v) => chosen_versions.push(v.clone()),
            None => {
                lapsed.insert(d.id.name.clone());
                chosen_versions.push(d.clone());
            }
        }
    }
    let mut decisions = chosen_versions;
    // The catalog's order first, then source order.
    let catalog: Vec<&str> = program
        .schema
        .catalog
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    let rank = |d: &ast::Decision| {
        catalog
            .iter()
            .position(|id| *id == d.id.name)
            .unwrap_or(usize::MAX)
    };
    decisions.sort_by_key(rank);
    let chosen: Vec<&ast::Decision> = if request.decisions.is_empty() {
        decisions.iter().collect()
    } else {
        let mut chosen = Vec::new();
        for id in request.decisions {
            match decisions.iter().find(|d| d.id.name == *id) {
                Some(d) => chosen.push(d),
                None => return Err(EvalError::UnknownDecision(id.clone())),
            }
        }
        chosen
    };
    let walker = Walker {
        program,
        facts,
        as_of: request.as_of,
        decisions: &decisions,
        named: &named,
        lapsed: &lapsed,
        gaps: &gaps,
    };
    let mut outcomes = Vec::new();
    for d in chosen {
        outcomes.push(walker.decide(d)?);
    }
    Ok(Evaluation {
        as_of: request.as_of,
        as_of_source: request.as_of_source,
        policy_hash: program.policy_hash,
        decisions: outcomes,
    })
}

struct Walker<'a> {
    program: &'a Program,
    facts: &'a Facts,
    as_of: NaiveDate,
    /// Every decision, for decisions that use another's outcome.
    decisions: &'a [ast::Decision],
    /// Named conditions by name.
    named: &'a BTreeMap<String, Expr>,
    /// Decisions written in versions, none of which is in force.
    lapsed: &'a BTreeSet<String>,
    /// Declared gaps in the versions of decisions.
    gaps: &'a [ast::Gap],
}

/// A window as an outcome names its version: `2026-10-01..2026-12-31`, `from 2027-01-01`.
fn effective(w: &ast::Window) -> String {
    let written = w.to_string();
    written
        .strip_prefix("effective ")
        .unwrap_or(&written)
        .to_owned()
}

/// The error context: which decision was being evaluated; and the
/// decision's `rounding`, where no `round(..)` or named condition hides it.
struct Ctx<'d> {
    decision: &'d str,
    rounding: Option<Rounding>,
}

impl Ctx<'_> {
    fn money(&self, source: MoneyError) -> EvalError {
        EvalError::Money {
            decision: self.decision.to_owned(),
            source,
        }
    }

    fn overflow(&self) -> EvalError {
        EvalError::Overflow {
            decision: self.decision.to_owned(),
        }
    }
}

impl Walker<'_> {
    fn at(&self, span: Span) -> String {
        self.program.sources.locate(span).to_string()
    }

    fn reason(&self, rule: &str, message: &str, span: Span) -> Reason {
        Reason {
            rule: rule.to_owned(),
            message: message.to_owned(),
            at: self.at(span),
            template: None,
        }
    }

    /// A reason whose message is an author's `because`: its `{path}`
    /// placeholders get the facts' values, `unknown` for a missing one.
    fn because(&self, rule: &str, message: &str, span: Span) -> Reason {
        let mut reason = self.reason(rule, message, span);
        if !crate::lang::template::is_template(message) {
            return reason;
        }
        let Ok(pieces) = crate::lang::template::parse(message) else {
            return reason;
        };
        let mut text = String::new();
        for piece in pieces {
            match piece {
                crate::lang::template::Piece::Text(t) => text.push_str(&t),
                crate::lang::template::Piece::Path { path, .. } => match self.fact(&path) {
                    Some(R::Known(v)) => text.push_str(&words(&v)),
                    _ => text.push_str("unknown"),
                },
            }
        }
        reason.template = Some(std::mem::replace(&mut reason.message, text));
        reason
    }

    fn in_force(&self, window: &Option<ast::Window>) -> bool {
        window.as_ref().is_none_or(|w| w.holds(self.as_of))
    }

    fn decide(&self, d: &ast::Decision) -> Result<DecisionOutcome, EvalError> {
        if self.lapsed.contains(&d.id.name) {
            let gap = self
                .gaps
                .iter()
                .find(|g| g.decision.name == d.id.name && g.window.holds(self.as_of));
            return Ok(DecisionOutcome {
                id: d.id.name.clone(),
                kind: d.kind.name(),
                outcome: Outcome::NotApplicable,
                reasons: vec![match gap {
                    Some(g) => self.reason("gap", &g.because.value, g.decision.span),
                    None => self.reason("applies", crate::engine::verdict::NO_VERSION, d.id.span),
                }],
                missing: Vec::new(),
                notes: Vec::new(),
                version: gap.map(|g| crate::engine::outcome::Version {
                    effective: effective(&g.window),
                    at: self.at(g.decision.span),
                    gap: true,
                }),
            });
        }
        let ctx = Ctx {
            decision: &d.id.name,
            rounding: d.items.iter().find_map(|i| match i {
                DecisionItem::Rounding(mode, _) => Some(*mode),
                _ => None,
            }),
        };
        let mut out = DecisionOutcome {
            id: d.id.name.clone(),
            kind: d.kind.name(),
            outcome: Outcome::Undetermined,
            reasons: Vec::new(),
            missing: Vec::new(),
            notes: d
                .items
                .iter()
                .filter_map(|i| match i {
                    DecisionItem::Note(t) => Some(t.value.clone()),
                    _ => None,
                })
                .collect(),
            version: d.window.as_ref().map(|w| crate::engine::outcome::Version {
                effective: effective(w),
                at: self.at(d.id.span),
                gap: false,
            }),
        };
        let rules: Vec<&ast::Rule> = d
            .items
            .iter()
            .filter_map(|i| match i {
                DecisionItem::Rule(r) if self.in_force(&r.window) => Some(r),
                _ => None,
            })
            .collect();
        let denies: Vec<&ast::Rule> = rules
            .iter()
            .copied()
            .filter(|r| r.effect == Effect::Deny)
            .collect();
        let allows: Vec<&ast::Rule> = rules
            .iter()
            .copied()
            .filter(|r| r.effect == Effect::Allow)
            .collect();

        // Actions apply to their requests: false (or absent) is not applicable.
        for item in &d.items {
            if let DecisionItem::Applies(condition) = item {
                match self.eval(condition, &ctx)? {
                    R::Known(Val::Bool(true)) => {}
                    R::Known(_) => {
                        out.outcome = Outcome::NotApplicable;
                        out.notes.clear();
                        out.reasons.push(self.reason(
                            "applies",
                            "the facts hold no request this decision applies to",
                            d.id.span,
                        ));
                        return Ok(out);
                    }
                    R::Unknown(missing) => {
                        out.reasons.push(self.reason(
                            "applies",
                            "cannot tell whether the request is one this decision applies to",
                            d.id.span,
                        ));
                        out.missing = missing.into_iter().collect();
                        return Ok(out);
                    }
                }
            }
        }

        // Deny overrides allow: every deny that holds is a reason.
        let mut held = Vec::new();
        let mut unsure = Vec::new();
        let mut unsure_missing = BTreeSet::new();
        for rule in &denies {
            match self.rule_holds(rule, &ctx)? {
                R::Known(Val::Bool(true)) => held.push(*rule),
                R::Known(_) => {}
                R::Unknown(m) => {
                    unsure.push(*rule);
                    unsure_missing.extend(m);
                }
            }
        }
        let rule_reasons = |rules: &[&ast::Rule]| -> Vec<Reason> {
            rules
                .iter()
                .map(|r| self.because(&r.id.name, &r.because.value, r.span))
                .collect()
        };
        if !held.is_empty() {
            out.outcome = match &d.kind {
                DecisionKind::Eligibility | DecisionKind::Classification(_) => Outcome::NotEligible,
                DecisionKind::Action => Outcome::Deny,
                DecisionKind::Amount(code) => Outcome::Amount(Money::zero(currency(code, &ctx)?)),
            };
            out.reasons = rule_reasons(&held);
            return Ok(out);
        }

        match &d.kind {
            DecisionKind::Eligibility | DecisionKind::Action => {
                let (yes, no) = if d.kind == DecisionKind::Action {
                    (Outcome::Permit, Outcome::Deny)
                } else {
                    (Outcome::Eligible, Outcome::NotEligible)
                };
                let mut granted = Vec::new();
                let mut maybe = Vec::new();
                let mut maybe_missing = BTreeSet::new();
                for rule in &allows {
                    match self.rule_holds(rule, &ctx)? {
                        R::Known(Val::Bool(true)) => granted.push(*rule),
                        R::Known(_) => {}
                        R::Unknown(m) => {
                            maybe.push(*rule);
                            maybe_missing.extend(m);
                        }
                    }
                }
                if !granted.is_empty() && unsure.is_empty() {
                    // An allow holds and no deny can fire.
                    out.outcome = yes;
                    out.reasons = rule_reasons(&granted);
                } else if granted.is_empty() && maybe.is_empty() {
                    // Nothing can allow it, whatever the unknown denies say.
                    out.outcome = no;
                    let message = if allows.is_empty() {
                        "no rule allows it".to_owned()
                    } else {
                        let ids: Vec<&str> = allows.iter().map(|r| r.id.name.as_str()).collect();
                        format!("no rule allowed it ({} did not match)", ids.join(", "))
                    };
                    out.reasons
                        .push(self.reason("no_rule_allowed", &message, d.id.span));
                } else {
                    // A missing fact never grants: an unknown deny blocks a
                    // known allow, and an unknown allow grants nothing yet.
                    let mut pending = unsure.clone();
                    let mut missing = unsure_missing;
                    if granted.is_empty() {
                        pending.extend(maybe);
                        missing.extend(maybe_missing);
                    }
                    out.reasons = rule_reasons(&pending);
                    out.missing = missing.into_iter().collect();
                }
            }
            DecisionKind::Classification(_) | DecisionKind::Amount(_) => {
                let Some(table) = d.items.iter().find_map(|i| match i {
                    DecisionItem::Table(t) => Some(t),
                    _ => None,
                }) else {
                    return Ok(out);
                };
                let (answer, reasons) = self.table(table, &d.kind, &ctx)?;
                match answer {
                    Err(mut missing) => {
                        missing.extend(unsure_missing);
                        let mut all = rule_reasons(&unsure);
                        all.extend(reasons);
                        out.reasons = all;
                        out.missing = missing.into_iter().collect();
                    }
                    Ok(outcome) => {
                        // An unknown deny can only make an amount zero.
                        let zero = matches!(&outcome, Outcome::Amount(m) if m.amount.is_zero());
                        if unsure.is_empty() || zero {
                            out.outcome = outcome;
                            out.reasons = reasons;
                        } else {
                            out.reasons = rule_reasons(&unsure);
                            out.missing = unsure_missing.into_iter().collect();
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Whether a rule fires: no guard always does; `unless C` is `not C`.
    fn rule_holds(&self, rule: &ast::Rule, ctx: &Ctx<'_>) -> Result<R, EvalError> {
        let Some(guard) = &rule.guard else {
            return Ok(R::Known(Val::Bool(true)));
        };
        let value = self.eval(&guard.condition, ctx)?;
        Ok(if guard.unless {
            not(value)
        } else {
            truth(value)
        })
    }

    /// First row that holds wins. Unknown rows before it leave the answer
    /// unknown unless every row that could still win gives the same value.
    #[allow(clippy::type_complexity, reason = "a local result shape")]
    fn table(
        &self,
        table: &ast::Table,
        kind: &DecisionKind,
        ctx: &Ctx<'_>,
    ) -> Result<(Result<Outcome, BTreeSet<String>>, Vec<Reason>), EvalError> {
        let mut pending: Vec<(usize, &ast::Row)> = Vec::new();
        let mut missing = BTreeSet::new();
        for (i, row) in table.rows.iter().enumerate() {
            if !self.in_force(&row.window) {
                continue;
            }
            let holds = match &row.condition {
                None => R::Known(Val::Bool(true)),
                Some(c) => truth(self.eval(c, ctx)?),
            };
            match holds {
                R::Known(Val::Bool(true)) => {
                    // The winning row's value first, then those of the unknown rows.
                    let mut candidates = vec![(i, row)];
                    candidates.extend(pending.iter().copied());
                    let mut values = Vec::new();
                    for (_, c) in &candidates {
                        values.push(self.eval(&c.value, ctx)?);
                    }
                    let mut outcomes = Vec::new();
                    for v in &values {
                        outcomes.push(self.outcome_of(kind, v, ctx)?);
                    }
                    let first = outcomes.first().cloned().flatten();
                    let agree = first.is_some() && outcomes.iter().all(|o| *o == first);
                    if let (true, Some(outcome)) = (agree, first) {
                        return Ok((Ok(outcome), vec![self.row_reason(i, row)]));
                    }
                    for v in values {
                        if let R::Unknown(m) = v {
                            missing.extend(m);
                        }
                    }
                    candidates.rotate_left(1);
                    let reasons = candidates
                        .iter()
                        .map(|(j, r)| self.row_reason(*j, r))
                        .collect();
                    return Ok((Err(missing), reasons));
                }
                R::Known(_) => {}
                R::Unknown(m) => {
                    missing.extend(m);
                    pending.push((i, row));
                }
            }
        }
        let reasons = pending
            .iter()
            .map(|(j, r)| self.row_reason(*j, r))
            .collect();
        Ok((Err(missing), reasons))
    }

    fn row_reason(&self, index: usize, row: &ast::Row) -> Reason {
        let label = if row.condition.is_some() {
            format!("row {}", index + 1)
        } else {
            "otherwise".to_owned()
        };
        match (&row.because, &row.condition) {
            (Some(text), _) => self.because(&label, &text.value, row.span),
            (None, Some(c)) => self.reason(&label, &c.to_string(), row.span),
            (None, None) => self.reason(&label, "no earlier row matched", row.span),
        }
    }

    /// A table value as an outcome; an absent amount is zero.
    fn outcome_of(
        &self,
        kind: &DecisionKind,
        value: &R,
        ctx: &Ctx<'_>,
    ) -> Result<Option<Outcome>, EvalError> {
        Ok(match (kind, value) {
            (_, R::Unknown(_)) => None,
            (DecisionKind::Amount(_), R::Known(Val::Money(m))) => Some(Outcome::Amount(*m)),
            (DecisionKind::Amount(code), R::Known(_)) => {
                Some(Outcome::Amount(Money::zero(currency(code, ctx)?)))
            }
            (DecisionKind::Classification(_), R::Known(Val::Member(m))) => {
                Some(Outcome::Member(m.clone()))
            }
            _ => Some(Outcome::Undetermined),
        })
    }

    /// Whether a bare name is a member of some enum or classification.
    fn is_member(&self, name: &str) -> bool {
        self.program
            .schema
            .enums
            .iter()
            .any(|e| e.members.iter().any(|m| m == name))
    }

    /// Another decision's outcome, decided again here: its member or amount,
    /// or unknown with its missing facts. `None` when no decision has this id.
    fn used(&self, id: &str) -> Result<Option<R>, EvalError> {
        let Some(d) = self.decisions.iter().find(|d| d.id.name == id) else {
            return Ok(None);
        };
        let outcome = self.decide(d)?;
        Ok(Some(match outcome.outcome {
            Outcome::Member(m) => R::Known(Val::Member(m)),
            Outcome::Amount(m) => R::Known(Val::Money(m)),
            _ => R::Unknown(outcome.missing.into_iter().collect()),
        }))
    }

    fn fact(&self, path: &str) -> Option<R> {
        let slot = self.program.schema.slot(path)?;
        let field = self.program.schema.field(slot)?;
        if path == "as_of" && field.ty == Type::Date {
            return Some(R::Known(Val::Date(self.as_of)));
        }
        let value = match self.facts.values.get(slot.0 as usize) {
            Some(Some(v)) => v,
            _ => return Some(R::Unknown(BTreeSet::from([path.to_owned()]))),
        };
        Some(R::Known(match value {
            ir::Value::Bool(b) => Val::Bool(*b),
            ir::Value::Int(n) => Val::Int(*n),
            ir::Value::Money(m) => Val::Money(*m),
            ir::Value::Date(d) => Val::Date(*d),
            ir::Value::Text(t) => Val::Text(t.to_string()),
            ir::Value::Member(e, i) => Val::Member(self.program.schema.member_name(*e, *i).into()),
            ir::Value::Absent => Val::Absent,
        }))
    }

    fn eval(&self, expr: &Expr, ctx: &Ctx<'_>) -> Result<R, EvalError> {
        Ok(match &expr.kind {
            ExprKind::Path(parts) => {
                let path: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
                let path = path.join(".");
                match self.fact(&path) {
                    Some(r) => r,
                    // A named condition: its condition, evaluated where it is used.
                    None if self.named.contains_key(&path) => match self.named.get(&path) {
                        Some(condition) => {
                            let inside = Ctx {
                                decision: ctx.decision,
                                rounding: None,
                            };
                            self.eval(condition, &inside)?
                        }
                        None => R::Unknown(BTreeSet::new()),
                    },
                    None if !self.is_member(&path) => match self.used(&path)? {
                        Some(r) => r,
                        None => R::Known(Val::Member(path)),
                    },
                    // Not a fact: the checker made sure it is an enum member.
                    None => R::Known(Val::Member(path)),
                }
            }
            ExprKind::Int(n) => R::Known(Val::Int(*n)),
            ExprKind::Money(m) => R::Known(Val::Money(*m)),
            ExprKind::Date(d) => R::Known(Val::Date(*d)),
            ExprKind::Bool(b) => R::Known(Val::Bool(*b)),
            ExprKind::Text(t) => R::Known(Val::Text(t.clone())),
            ExprKind::Not(inner) => not(self.eval(inner, ctx)?),
            ExprKind::And(items) => self.connective(items, false, ctx)?,
            ExprKind::Or(items) => self.connective(items, true, ctx)?,
            ExprKind::Compare(op, a, b) => {
                let (a, b) = (self.eval(a, ctx)?, self.eval(b, ctx)?);
                match (a, b) {
                    // Absent equals nothing and orders with nothing.
                    (R::Known(Val::Absent), _) | (_, R::Known(Val::Absent)) => {
                        R::Known(Val::Bool(*op == CompareOp::Ne))
                    }
                    (R::Known(a), R::Known(b)) => R::Known(Val::Bool(compare(*op, &a, &b, ctx)?)),
                    (a, b) => unknown(&[a, b]),
                }
            }
            ExprKind::In {
                value,
                set,
                negated,
            } => {
                let value = self.eval(value, ctx)?;
                match value {
                    R::Known(Val::Absent) => R::Known(Val::Bool(*negated)),
                    R::Unknown(m) => R::Unknown(m),
                    R::Known(v) => {
                        let mut missing = BTreeSet::new();
                        let mut found = false;
                        for member in set {
                            match self.eval(member, ctx)? {
                                R::Known(m) if compare(CompareOp::Eq, &v, &m, ctx)? => {
                                    found = true;
                                    break;
                                }
                                R::Known(_) => {}
                                R::Unknown(m) => missing.extend(m),
                            }
                        }
                        if found {
                            R::Known(Val::Bool(!negated))
                        } else if missing.is_empty() {
                            R::Known(Val::Bool(*negated))
                        } else {
                            R::Unknown(missing)
                        }
                    }
                }
            }
            ExprKind::InRange {
                value,
                low,
                high,
                negated,
            } => {
                let parts = [
                    self.eval(value, ctx)?,
                    self.eval(low, ctx)?,
                    self.eval(high, ctx)?,
                ];
                if parts.contains(&R::Known(Val::Absent)) {
                    return Ok(R::Known(Val::Bool(*negated)));
                }
                match &parts {
                    [R::Known(v), R::Known(l), R::Known(h)] => {
                        let inside = compare(CompareOp::Le, l, v, ctx)?
                            && compare(CompareOp::Le, v, h, ctx)?;
                        R::Known(Val::Bool(inside != *negated))
                    }
                    _ => unknown(&parts),
                }
            }
            // Money times a rate: exact, then rounded if the decision says how.
            ExprKind::Arith(ArithOp::Mul, a, b)
                if matches!(a.kind, ExprKind::Rate(_)) || matches!(b.kind, ExprKind::Rate(_)) =>
            {
                let (money, rate) = match (&a.kind, &b.kind) {
                    (ExprKind::Rate(r), _) => (b, r),
                    (_, ExprKind::Rate(r)) => (a, r),
                    _ => return Ok(R::Unknown(BTreeSet::new())),
                };
                match self.eval(money, ctx)? {
                    R::Known(Val::Money(m)) => {
                        let exact = rate
                            .factor()
                            .ok_or(MoneyError::Overflow)
                            .and_then(|f| m.scaled(f))
                            .map_err(|e| ctx.money(e))?;
                        R::Known(Val::Money(match ctx.rounding {
                            Some(mode) => round(exact, mode),
                            None => exact,
                        }))
                    }
                    other => other,
                }
            }
            ExprKind::Round(value, mode) => {
                let inside = Ctx {
                    decision: ctx.decision,
                    rounding: None,
                };
                match self.eval(value, &inside)? {
                    R::Known(Val::Money(m)) => R::Known(Val::Money(round(m, *mode))),
                    other => other,
                }
            }
            // The checker admits a rate only multiplying money.
            ExprKind::Rate(_) => R::Unknown(BTreeSet::new()),
            ExprKind::Arith(op, a, b) => {
                let (a, b) = (self.eval(a, ctx)?, self.eval(b, ctx)?);
                match (a, b) {
                    (R::Known(Val::Absent), _) | (_, R::Known(Val::Absent)) => {
                        R::Known(Val::Absent)
                    }
                    (R::Known(a), R::Known(b)) => R::Known(arith(*op, a, b, ctx)?),
                    (a, b) => unknown(&[a, b]),
                }
            }
            ExprKind::Call(func, args) => {
                let mut values = Vec::new();
                for arg in args {
                    values.push(self.eval(arg, ctx)?);
                }
                if values.contains(&R::Known(Val::Absent)) {
                    return Ok(R::Known(Val::Absent));
                }
                if values.iter().any(|v| matches!(v, R::Unknown(_))) {
                    return Ok(unknown(&values));
                }
                let mut best: Option<Val> = None;
                for value in values {
                    let R::Known(v) = value else { continue };
                    best = Some(match best {
                        None => v,
                        Some(b) => {
                            let better = match func {
                                Function::Min => compare(CompareOp::Lt, &v, &b, ctx)?,
                                Function::Max => compare(CompareOp::Gt, &v, &b, ctx)?,
                            };
                            if better { v } else { b }
                        }
                    });
                }
                match best {
                    Some(v) => R::Known(v),
                    None => R::Unknown(BTreeSet::new()),
                }
            }
        })
    }

    /// Kleene `and` (`settle` false) or `or` (`settle` true): one settling
    /// operand decides; otherwise any unknown operand leaves it unknown.
    fn connective(&self, items: &[Expr], settle: bool, ctx: &Ctx<'_>) -> Result<R, EvalError> {
        let mut missing: Option<BTreeSet<String>> = None;
        for item in items {
            match truth(self.eval(item, ctx)?) {
                R::Known(Val::Bool(b)) if b == settle => return Ok(R::Known(Val::Bool(settle))),
                R::Unknown(m) => missing.get_or_insert_with(BTreeSet::new).extend(m),
                R::Known(_) => {}
            }
        }
        Ok(match missing {
            Some(m) => R::Unknown(m),
            None => R::Known(Val::Bool(!settle)),
        })
    }
}

/// A value as a condition: absent counts as false.
/// A value as a message shows it: `62000.00 USD`, `adv-2002`, `managed`.
fn words(value: &Val) -> String {
    match value {
        Val::Bool(b) => b.to_string(),
        Val::Int(n) => n.to_string(),
        Val::Money(m) => m.to_string(),
        Val::Date(d) => d.format("%Y-%m-%d").to_string(),
        Val::Text(t) | Val::Member(t) => t.clone(),
        Val::Absent => "absent".to_owned(),
    }
}

/// Money rounded to its currency's minor unit.
fn round(m: Money, mode: Rounding) -> Money {
    let digits = m.currency.minor_digits();
    Money::new(mode.apply(m.amount, digits), m.currency)
}

fn truth(value: R) -> R {
    match value {
        R::Known(Val::Bool(b)) => R::Known(Val::Bool(b)),
        R::Known(_) => R::Known(Val::Bool(false)),
        unknown => unknown,
    }
}

/// Kleene `not`: `not unknown` is unknown.
fn not(value: R) -> R {
    match truth(value) {
        R::Known(Val::Bool(b)) => R::Known(Val::Bool(!b)),
        other => other,
    }
}

fn unknown(parts: &[R]) -> R {
    let mut missing = BTreeSet::new();
    for part in parts {
        if let R::Unknown(m) = part {
            missing.extend(m.iter().cloned());
        }
    }
    R::Unknown(missing)
}

/// The currency of an amount decision; the checker vetted the code.
fn currency(code: &ast::Ident, ctx: &Ctx<'_>) -> Result<Currency, EvalError> {
    Currency::from_code(&code.name)
        .ok_or_else(|| ctx.money(MoneyError::UnknownCurrency(code.name.clone())))
}

/// Two known values of one type, compared by `op`.
fn compare(op: CompareOp, a: &Val, b: &Val, ctx: &Ctx<'_>) -> Result<bool, EvalError> {
    let ordering = match (a, b) {
        (Val::Int(x), Val::Int(y)) => x.cmp(y),
        (Val::Money(x), Val::Money(y)) => x.checked_cmp(y).map_err(|e| ctx.money(e))?,
        (Val::Date(x), Val::Date(y)) => x.cmp(y),
        (Val::Text(x), Val::Text(y)) => x.cmp(y),
        (Val::Bool(x), Val::Bool(y)) => x.cmp(y),
        (Val::Member(x), Val::Member(y)) if matches!(op, CompareOp::Eq | CompareOp::Ne) => {
            return Ok((x == y) == (op == CompareOp::Eq));
        }
        _ => return Ok(false),
    };
    Ok(op.holds(ordering))
}

fn arith(op: ArithOp, a: Val, b: Val, ctx: &Ctx<'_>) -> Result<Val, EvalError> {
    Ok(match (op, a, b) {
        (ArithOp::Add, Val::Int(x), Val::Int(y)) => {
            Val::Int(x.checked_add(y).ok_or_else(|| ctx.overflow())?)
        }
        (ArithOp::Sub, Val::Int(x), Val::Int(y)) => {
            Val::Int(x.checked_sub(y).ok_or_else(|| ctx.overflow())?)
        }
        (ArithOp::Mul, Val::Int(x), Val::Int(y)) => {
            Val::Int(x.checked_mul(y).ok_or_else(|| ctx.overflow())?)
        }
        (ArithOp::Add, Val::Money(x), Val::Money(y)) => {
            Val::Money(x.checked_add(&y).map_err(|e| ctx.money(e))?)
        }
        (ArithOp::Sub, Val::Money(x), Val::Money(y)) => {
            Val::Money(x.checked_sub(&y).map_err(|e| ctx.money(e))?)
        }
        (ArithOp::Mul, Val::Money(m), Val::Int(n)) | (ArithOp::Mul, Val::Int(n), Val::Money(m)) => {
            Val::Money(m.checked_mul(n).map_err(|e| ctx.money(e))?)
        }
        _ => Val::Absent,
    })
}
