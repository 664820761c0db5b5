//! The finite domains `credo verify` decides over.
//!
//! Every expression a decision evaluates is read once to learn what matters:
//! which facts it reads, the constants each number is compared with, which
//! facts are compared with each other. Numbers become affine forms
//! (`100 * agency.new_client_accounts - 1000`); `min` and `max` keep each
//! argument as a piece and compare the pieces, so that on every cell of the
//! split below each expression is one affine form and each comparison has one
//! truth value. A rounded amount (`round(fact * rate, mode)`) is a term of its
//! own, a step function of one fact: compared with a constant, it is split
//! where it steps past the constant ([`super::rounding`]). A comparison that
//! is not a threshold on one fact (or on one rounded amount), nor a plain
//! comparison of two facts, is outside the fragment and named as such.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::engine::program::Program;
use crate::lang::ast::ArithOp;
use crate::model::ir::{Node, NodeId, Value};
use crate::model::schema::{Slot, Type};

use super::expr::{collect_facts, type_of};
use super::rounding::Rounded;
use super::values::{bounds, grid_digits, grid_unit, number, numeric};

/// Where an expression is written, for reports: `rule \`x\``, `row 2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub what: String,
    pub at: String,
}

/// An expression the analysis cannot decide exactly.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outside {
    /// The rule, row or assertion that holds it, such as ``rule `x` ``.
    pub what: String,
    pub at: String,
    /// The expression, as policy text.
    pub expression: String,
    pub reason: std::borrow::Cow<'static, str>,
}

impl Outside {
    /// A check with more combinations than `credo verify` enumerates.
    pub fn too_many(what: &str, at: &str, combinations: u128) -> Outside {
        Outside {
            what: format!(
                "{what}, with {} fact combinations (verify enumerates up to {}),",
                grouped(combinations),
                grouped(super::enumerate::MAX_COMBINATIONS)
            ),
            at: at.to_owned(),
            expression: String::new(),
            reason: "is too large to enumerate".into(),
        }
    }
}

fn grouped(n: u128) -> String {
    super::render::grouped(u64::try_from(n).unwrap_or(u64::MAX))
}

/// What an affine form is a line in: a fact, or one fact's amount rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Term {
    Fact(Slot),
    Rounded(Rounded),
}

/// A number's value on its own line: money amounts, integers, days since 1 CE.
#[derive(Debug, Clone, PartialEq)]
struct Affine {
    terms: Vec<(Term, Decimal)>,
    constant: Decimal,
}

impl Affine {
    fn constant(c: Decimal) -> Affine {
        Affine {
            terms: Vec::new(),
            constant: c,
        }
    }

    fn fact(slot: Slot) -> Affine {
        Affine::term(Term::Fact(slot))
    }

    fn term(term: Term) -> Affine {
        Affine {
            terms: vec![(term, Decimal::ONE)],
            constant: Decimal::ZERO,
        }
    }

    /// `self + sign * other`.
    fn combine(&self, other: &Affine, sign: Decimal) -> Option<Affine> {
        let mut terms: BTreeMap<Term, Decimal> = self.terms.iter().copied().collect();
        for (slot, c) in &other.terms {
            let entry = terms.entry(*slot).or_insert(Decimal::ZERO);
            *entry = entry.checked_add(c.checked_mul(sign)?)?;
        }
        Some(Affine {
            terms: terms.into_iter().filter(|(_, c)| !c.is_zero()).collect(),
            constant: self
                .constant
                .checked_add(other.constant.checked_mul(sign)?)?,
        })
    }

    fn scale(&self, k: Decimal) -> Option<Affine> {
        let terms = self
            .terms
            .iter()
            .map(|(s, c)| Some((*s, c.checked_mul(k)?)))
            .collect::<Option<Vec<_>>>()?;
        Some(Affine {
            terms: terms.into_iter().filter(|(_, c)| !c.is_zero()).collect(),
            constant: self.constant.checked_mul(k)?,
        })
    }
}

/// More pieces than this in one expression is not analysed.
const MAX_PIECES: usize = 64;

/// What a set of expressions reads and compares.
#[derive(Debug, Clone, Default)]
pub struct Reads {
    pub slots: BTreeSet<Slot>,
    /// Facts under `+ - *`: their extremes are tried, where overflow lives.
    pub(super) arithmetic: BTreeSet<Slot>,
    /// Where a comparison's truth can change, on each number's own grid.
    pub(super) thresholds: BTreeMap<Slot, BTreeSet<Decimal>>,
    pub(super) text_constants: BTreeMap<Slot, BTreeSet<Arc<str>>>,
    /// Facts compared with each other.
    pub(super) links: Vec<(Slot, Slot)>,
    pub outside: Vec<Outside>,
}

impl Reads {
    /// Everything one decision evaluates.
    pub fn of_decision(program: &Program, d: &crate::model::ir::DecisionIr) -> Reads {
        let mut reads = Reads::default();
        let at = |origin: &crate::model::ir::Origin| origin.at.clone();
        if let Some(applies) = d.applies {
            let ctx = Context {
                what: "`applies when`".into(),
                at: at(&d.origin),
            };
            reads.condition(program, applies, &ctx);
        }
        for (word, rules) in [("deny", &d.denies), ("allow", &d.allows)] {
            for rule in rules {
                if let Some(c) = rule.condition {
                    let ctx = Context {
                        what: format!("{word} `{}`", rule.id),
                        at: at(&rule.origin),
                    };
                    reads.condition(program, c, &ctx);
                }
            }
        }
        for row in &d.rows {
            let ctx = Context {
                what: row.label.clone(),
                at: at(&row.origin),
            };
            if let Some(c) = row.condition {
                reads.condition(program, c, &ctx);
            }
            reads.value(program, row.value, &ctx);
        }
        // While a row is unknown, the evaluator still settles the table when
        // every row that could win gives the same value, and an unknown deny
        // lets an amount through when it is zero: those comparisons matter too.
        let amount = matches!(d.kind, crate::model::ir::Kind::Amount(_));
        for (i, row) in d.rows.iter().enumerate() {
            let ctx = Context {
                what: row.label.clone(),
                at: at(&row.origin),
            };
            for later in d.rows.iter().skip(i + 1) {
                reads.equality(program, row.value, later.value, &ctx);
            }
            if amount && !d.denies.is_empty() {
                reads.against_zero(program, row.value, &ctx);
            }
        }
        reads
    }

    /// Adds a condition's reads and comparisons.
    pub fn condition(&mut self, program: &Program, node: NodeId, ctx: &Context) {
        collect_facts(program, node, &mut self.slots);
        self.used(program, node);
        self.walk_condition(program, node, ctx);
    }

    /// Adds the reads of every decision whose outcome `node` uses: what
    /// that decision compares decides the value used. Its amount compared
    /// with a number is outside the fragment (see [`Reads::pieces`]).
    fn used(&mut self, program: &Program, node: NodeId) {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            match program.node(n) {
                Some(Node::Decision(i)) => {
                    if let Some(d) = program.decisions.get(*i as usize) {
                        self.extend(Reads::of_decision(program, d));
                    }
                }
                Some(other) => stack.extend(program.operands(other)),
                None => {}
            }
        }
    }

    /// Adds a value's reads, and the comparisons `min` and `max` make.
    pub fn value(&mut self, program: &Program, node: NodeId, ctx: &Context) {
        collect_facts(program, node, &mut self.slots);
        self.used(program, node);
        if type_of(program, node).is_some_and(numeric)
            && let Err(reason) = self.pieces(program, node)
        {
            self.out(program, node, ctx, reason);
        }
    }

    /// Adds the comparison `a == b` of two values, as an `==` claim makes.
    pub fn equality(&mut self, program: &Program, a: NodeId, b: NodeId, ctx: &Context) {
        collect_facts(program, a, &mut self.slots);
        collect_facts(program, b, &mut self.slots);
        self.compare(program, a, b, ctx);
    }

    /// Adds `value == 0`, the amount a deny gives.
    pub fn against_zero(&mut self, program: &Program, node: NodeId, ctx: &Context) {
        self.against(program, node, Decimal::ZERO, ctx);
    }

    /// Adds `value == constant`, the constant on the value's number line.
    pub fn against(&mut self, program: &Program, node: NodeId, constant: Decimal, ctx: &Context) {
        collect_facts(program, node, &mut self.slots);
        let target = Affine::constant(constant);
        let result = self.pieces(program, node).and_then(|pieces| {
            for p in pieces {
                let d = p.combine(&target, -Decimal::ONE).ok_or(TOO_LARGE)?;
                self.atom(program, &d)?;
            }
            Ok(())
        });
        if let Err(reason) = result {
            self.out(program, node, ctx, reason);
        }
    }

    /// Adds another set's reads.
    pub fn extend(&mut self, other: Reads) {
        self.slots.extend(other.slots);
        self.arithmetic.extend(other.arithmetic);
        for (slot, t) in other.thresholds {
            self.thresholds.entry(slot).or_default().extend(t);
        }
        for (slot, t) in other.text_constants {
            self.text_constants.entry(slot).or_default().extend(t);
        }
        self.links.extend(other.links);
        for o in other.outside {
            if !self.outside.contains(&o) {
                self.outside.push(o);
            }
        }
    }

    fn out(&mut self, program: &Program, node: NodeId, ctx: &Context, reason: &'static str) {
        let outside = Outside {
            what: ctx.what.clone(),
            at: ctx.at.clone(),
            expression: program.show(node).to_string(),
            reason: reason.into(),
        };
        if !self.outside.contains(&outside) {
            self.outside.push(outside);
        }
    }

    fn walk_condition(&mut self, program: &Program, node: NodeId, ctx: &Context) {
        let Some(n) = program.node(node) else {
            return;
        };
        match n {
            Node::Fact(_) | Node::Const(_) => {}
            Node::Not(inner) | Node::Named { node: inner, .. } => {
                self.walk_condition(program, *inner, ctx);
            }
            // Its reads are added by `used`.
            Node::Decision(_) => {}
            Node::And(args) | Node::Or(args) => {
                for a in program.args(*args) {
                    self.walk_condition(program, *a, ctx);
                }
            }
            Node::Compare(_, a, b) => self.compare_at(program, node, *a, *b, ctx),
            Node::In { value, set, .. } => {
                for item in program.args(*set) {
                    self.compare_at(program, node, *value, *item, ctx);
                }
            }
            Node::InRange {
                value, low, high, ..
            } => {
                self.compare_at(program, node, *value, *low, ctx);
                self.compare_at(program, node, *value, *high, ctx);
            }
            Node::Arith(..) | Node::Call(..) | Node::Scaled { .. } | Node::Round { .. } => {
                if let Err(reason) = self.pieces(program, node) {
                    self.out(program, node, ctx, reason);
                }
            }
        }
    }

    /// A comparison inside `whole`, which is named when it is outside the fragment.
    fn compare_at(
        &mut self,
        program: &Program,
        whole: NodeId,
        a: NodeId,
        b: NodeId,
        ctx: &Context,
    ) {
        if let Err(reason) = self.compare_inner(program, a, b) {
            self.out(program, whole, ctx, reason);
        }
    }

    fn compare(&mut self, program: &Program, a: NodeId, b: NodeId, ctx: &Context) {
        if let Err(reason) = self.compare_inner(program, a, b) {
            let text = format!("{} == {}", program.show(a), program.show(b));
            let outside = Outside {
                what: ctx.what.clone(),
                at: ctx.at.clone(),
                expression: text,
                reason: reason.into(),
            };
            if !self.outside.contains(&outside) {
                self.outside.push(outside);
            }
        }
    }

    fn compare_inner(
        &mut self,
        program: &Program,
        a: NodeId,
        b: NodeId,
    ) -> Result<(), &'static str> {
        let ty = type_of(program, a).or_else(|| type_of(program, b));
        match ty {
            Some(Type::Text) => {
                match (program.node(a), program.node(b)) {
                    (Some(Node::Fact(x)), Some(Node::Fact(y))) => self.links.push((*x, *y)),
                    (Some(Node::Fact(x)), Some(Node::Const(Value::Text(t))))
                    | (Some(Node::Const(Value::Text(t))), Some(Node::Fact(x))) => {
                        self.text_constants.entry(*x).or_default().insert(t.clone());
                    }
                    _ => {}
                }
                Ok(())
            }
            Some(t) if numeric(t) => {
                let pa = self.pieces(program, a)?;
                let pb = self.pieces(program, b)?;
                for p in &pa {
                    for q in &pb {
                        let d = p.combine(q, -Decimal::ONE).ok_or(TOO_LARGE)?;
                        self.atom(program, &d)?;
                    }
                }
                Ok(())
            }
            // Enum members and booleans: every value is tried.
            _ => Ok(()),
        }
    }

    /// Records where `d op 0` can change truth, or why it cannot be decided.
    fn atom(&mut self, program: &Program, d: &Affine) -> Result<(), &'static str> {
        match d.terms.as_slice() {
            [] => Ok(()),
            [(Term::Rounded(r), k)] => {
                let c = (-d.constant).checked_div(*k).ok_or(TOO_LARGE)?;
                let Some(field) = program.schema.field(r.slot) else {
                    return Ok(());
                };
                let (low, high) = bounds(field.ty, field.signed);
                let points = r.boundaries(c, low, high, grid_unit(field.ty))?;
                self.thresholds.entry(r.slot).or_default().extend(points);
                Ok(())
            }
            [(Term::Fact(slot), a)] => {
                let t = (-d.constant).checked_div(*a).ok_or(TOO_LARGE)?;
                let Some(ty) = program.schema.field(*slot).map(|f| f.ty) else {
                    return Ok(());
                };
                let digits = grid_digits(ty);
                let set = self.thresholds.entry(*slot).or_default();
                set.insert(t.round_dp_with_strategy(digits, RoundingStrategy::ToNegativeInfinity));
                set.insert(t.round_dp_with_strategy(digits, RoundingStrategy::ToPositiveInfinity));
                Ok(())
            }
            [(Term::Fact(x), a), (Term::Fact(y), b)] if *a == -*b && d.constant.is_zero() => {
                self.links.push((*x, *y));
                Ok(())
            }
            [(Term::Fact(_), _), (Term::Fact(_), _)] => {
                Err("compares two facts through arithmetic")
            }
            [(Term::Rounded(_), _), (Term::Rounded(_), _)] => {
                Err("compares two amounts rounded differently (not a threshold on one fact)")
            }
            [_, _] => Err("compares a rounded amount with a fact (not a threshold on one fact)"),
            _ => Err("arithmetic between facts compared with another fact"),
        }
    }

    /// The affine forms an expression can take; `min` and `max` compare theirs.
    fn pieces(&mut self, program: &Program, node: NodeId) -> Result<Vec<Affine>, &'static str> {
        let Some(n) = program.node(node) else {
            return Err(NOT_A_NUMBER);
        };
        let pieces = match n {
            Node::Fact(slot) => vec![Affine::fact(*slot)],
            Node::Const(v) => vec![Affine::constant(number(v).ok_or(NOT_A_NUMBER)?)],
            Node::Decision(_) => return Err("uses another decision's amount"),
            // Exact: a rate scales each piece.
            Node::Scaled { amount, rate } => {
                collect_facts(program, node, &mut self.arithmetic);
                let factor = rate.factor().ok_or(TOO_LARGE)?;
                let mut out = Vec::new();
                for p in self.pieces(program, *amount)? {
                    out.push(p.scale(factor).ok_or(TOO_LARGE)?);
                }
                out
            }
            // A step function of one fact: a term of its own, split where
            // it is compared (see `atom`).
            Node::Round { value, mode, .. } => {
                let Some(Type::Money(currency)) = type_of(program, *value) else {
                    return Err(NOT_A_NUMBER);
                };
                let mut out = Vec::new();
                for p in self.pieces(program, *value)? {
                    out.push(self.rounded(program, p, *mode, currency.minor_digits())?);
                }
                out
            }
            Node::Arith(op, a, b) => {
                collect_facts(program, node, &mut self.arithmetic);
                let pa = self.pieces(program, *a)?;
                let pb = self.pieces(program, *b)?;
                let mut out = Vec::new();
                for p in &pa {
                    for q in &pb {
                        let r = match op {
                            ArithOp::Add => p.combine(q, Decimal::ONE),
                            ArithOp::Sub => p.combine(q, -Decimal::ONE),
                            ArithOp::Mul if p.terms.is_empty() => q.scale(p.constant),
                            ArithOp::Mul if q.terms.is_empty() => p.scale(q.constant),
                            ArithOp::Mul => return Err("multiplies two facts (not linear)"),
                        };
                        out.push(r.ok_or(TOO_LARGE)?);
                    }
                }
                out
            }
            Node::Call(_, args) => {
                let mut all: Vec<Vec<Affine>> = Vec::new();
                for a in program.args(*args) {
                    all.push(self.pieces(program, *a)?);
                }
                for (i, pi) in all.iter().enumerate() {
                    for pj in all.iter().skip(i + 1) {
                        for p in pi {
                            for q in pj {
                                let d = p.combine(q, -Decimal::ONE).ok_or(TOO_LARGE)?;
                                self.atom(program, &d)?;
                            }
                        }
                    }
                }
                all.into_iter().flatten().collect()
            }
            _ => return Err(NOT_A_NUMBER),
        };
        if pieces.len() > MAX_PIECES {
            return Err("has too many cases to analyse");
        }
        let mut unique: Vec<Affine> = Vec::new();
        for p in pieces {
            if !unique.contains(&p) {
                unique.push(p);
            }
        }
        Ok(unique)
    }
}

impl Reads {
    /// `round(p, mode)` for one piece `p`: a constant is rounded now; a
    /// line in one fact becomes a rounded term, or stays a line where the
    /// rounding changes nothing on the fact's grid.
    fn rounded(
        &self,
        program: &Program,
        p: Affine,
        mode: crate::lang::ast::Rounding,
        digits: u32,
    ) -> Result<Affine, &'static str> {
        match p.terms.as_slice() {
            [] => Ok(Affine::constant(mode.apply(p.constant, digits))),
            [(Term::Fact(slot), factor)] => {
                let r = Rounded::new(*slot, *factor, p.constant, mode, digits);
                let unit = program
                    .schema
                    .field(*slot)
                    .map_or(Decimal::ONE, |f| grid_unit(f.ty));
                Ok(if r.is_identity(unit) {
                    p
                } else {
                    Affine::term(Term::Rounded(r))
                })
            }
            [(Term::Rounded(_), _)] => Err("rounds an amount that is already rounded"),
            _ => Err("rounds an amount computed from more than one fact"),
        }
    }

    /// For `assert D is monotone in FACT`: within a cell of the split, a
    /// value whose every term in the fact moves the same way (a line, a
    /// rounded amount, a sum of rising ones or of falling ones) is monotone
    /// there, so comparing the cell's two ends, which the walk tries (with
    /// the domain's ends, as the fact takes part in arithmetic), finds any
    /// fall. A rounded amount mixed with a term moving the other way can fall
    /// and rise again between the values tried: it is named as not analysed.
    pub fn monotone_in(&mut self, program: &Program, d: &crate::model::ir::DecisionIr, slot: Slot) {
        let ends_tried = self.arithmetic.contains(&slot);
        for row in &d.rows {
            let Ok(pieces) = self.pieces(program, row.value) else {
                // Already named as outside by `value`.
                continue;
            };
            let mixed = pieces.iter().any(|p| {
                let (mut rounded, mut rises, mut falls) = (false, false, false);
                for (term, k) in &p.terms {
                    let falling = match term {
                        Term::Fact(s) if *s == slot => k.is_sign_negative(),
                        Term::Rounded(r) if r.slot == slot => {
                            rounded = true;
                            k.is_sign_negative() != r.factor.is_sign_negative()
                        }
                        _ => continue,
                    };
                    rises |= !falling;
                    falls |= falling;
                }
                rounded && ((rises && falls) || !ends_tried)
            });
            if mixed {
                let ctx = Context {
                    what: row.label.clone(),
                    at: row.origin.at.clone(),
                };
                self.out(
                    program,
                    row.value,
                    &ctx,
                    "adds a rounded amount to terms moving the other way as the fact rises, which may fall and rise again between the values tried",
                );
            }
        }
    }
}

const TOO_LARGE: &str = super::rounding::TOO_LARGE;
const NOT_A_NUMBER: &str = "is not a number the analysis knows";
