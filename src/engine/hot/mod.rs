//! The evaluator's hot path: decides a decision without a tracer, without
//! tracking which facts are missing, without allocating and without
//! comparing a string it does not have to.
//!
//! Values are small `Copy` views into the facts and the program. An unknown
//! carries no set of missing facts: when a decision comes out undetermined,
//! or arithmetic fails, the hot path gives up on that decision and the full
//! evaluator ([`crate::engine::eval`]) decides it again, naming the missing facts or
//! the error. Types need no checking here: the checker proved that every
//! comparison and sum is of one type and one currency, and the fact loader
//! that every fact has its field's type.

mod calc;
mod code;
mod regions;
pub(crate) mod source;
mod table;

use std::cmp::Ordering;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::base::money::{Currency, Money, exact_product, exact_sum};
use crate::engine::combine::{self, FirstRow, Rules, Ruling};
use crate::engine::program::Program;
use crate::engine::verdict::{Answer, Cause, Verdicts};
use crate::lang::ast::{ArithOp, CompareOp, Function};
use crate::model::ir::{Node, NodeId, Value};

use calc::Amount;
pub use code::Code;
use code::{ALWAYS, Holds, NONE, Op, Plan, RowPlan, RowValue, Shape};
use source::{Compared, FactSource};
use table::{Entry, Table, Tables};

/// A value as the hot path sees it: enum members without their enum,
/// money without its currency, text borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum V<'a> {
    Unknown,
    Absent,
    Bool(bool),
    Int(i64),
    Money(Decimal),
    Date(NaiveDate),
    Text(&'a str),
    Member(u32),
}

/// How many used decisions' outcomes a decision may read in the hot path;
/// one that uses more is declined.
const USED: usize = 4;

/// How many 64-bit words of test bits an account has: the tables of a
/// policy set take at most 256 bits; decisions beyond them are interpreted.
const WORDS: usize = 4;

/// One bit per table test, for all of an account's decisions.
type Bits = [u64; WORDS];

#[inline(always)]
fn or(into: &mut Bits, bits: &Bits) {
    *into = std::array::from_fn(|i| into[i] | bits[i]);
}

/// Three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    False,
    True,
    Unknown,
}

impl Truth {
    /// The truth as a boolean, `None` when unknown.
    #[inline(always)]
    fn known(self) -> Option<bool> {
        match self {
            Truth::True => Some(true),
            Truth::False => Some(false),
            Truth::Unknown => None,
        }
    }
}

impl<'a> V<'a> {
    #[inline(always)]
    pub(crate) fn of(value: &'a Value) -> V<'a> {
        match value {
            Value::Bool(b) => V::Bool(*b),
            Value::Int(n) => V::Int(*n),
            Value::Money(m) => V::Money(m.amount),
            Value::Date(d) => V::Date(*d),
            Value::Text(t) => V::Text(t),
            Value::Member(_, i) => V::Member(*i),
            Value::Absent => V::Absent,
        }
    }

    /// A condition's truth: `Absent` (and any value that is not a boolean) is false.
    fn truth(self) -> Truth {
        match self {
            V::Bool(true) => Truth::True,
            V::Unknown => Truth::Unknown,
            _ => Truth::False,
        }
    }

    /// Orders two known values of one type; `None` for values with no order.
    fn compare(self, other: V<'_>) -> Option<Ordering> {
        match (self, other) {
            (V::Int(x), V::Int(y)) => Some(x.cmp(&y)),
            (V::Money(x), V::Money(y)) => Some(amounts(&x, &y)),
            (V::Date(x), V::Date(y)) => Some(x.cmp(&y)),
            (V::Text(x), V::Text(y)) => Some(x.cmp(y)),
            (V::Bool(x), V::Bool(y)) => Some(x.cmp(&y)),
            (V::Member(x), V::Member(y)) => Some(x.cmp(&y)),
            _ => None,
        }
    }
}

impl From<Truth> for V<'_> {
    fn from(truth: Truth) -> Self {
        match truth {
            Truth::True => V::Bool(true),
            Truth::False => V::Bool(false),
            Truth::Unknown => V::Unknown,
        }
    }
}

/// The hot path over one account's facts.
pub(crate) struct Hot<'p, S: FactSource + ?Sized> {
    program: &'p Program,
    code: &'p Code,
    values: &'p S,
    /// `as_of` reads the evaluation date, whatever the facts say.
    as_of_slot: usize,
    as_of: NaiveDate,
    /// Arithmetic overflowed: the full evaluator reports it.
    failed: bool,
    /// The outcomes of the decisions the one being interpreted uses, by
    /// decision index: the first `used_len` entries. (`None` to begin
    /// with, which is one store an entry where `(0, V::Unknown)` was two.)
    used: [Option<(u32, V<'p>)>; USED],
    used_len: usize,
}

impl<'p, S: FactSource + ?Sized> Hot<'p, S> {
    pub(crate) fn new(program: &'p Program, values: &'p S, as_of: NaiveDate) -> Self {
        Hot {
            program,
            code: &program.hot,
            values,
            as_of_slot: program.as_of.map_or(usize::MAX, |s| s.0 as usize),
            as_of,
            failed: false,
            used: [None; USED],
            used_len: 0,
        }
    }

    /// Reads the outcomes `uses` names from the account's verdicts so far;
    /// false when one is not there or not settled (the full evaluator
    /// decides then, evaluating what is missing, once).
    fn gather(&mut self, uses: &[u32], out: &Verdicts) -> bool {
        self.used_len = 0;
        for &index in uses {
            let value = match settled(out, index) {
                Some(Answer::Member(m)) => V::Member(m),
                Some(Answer::Amount(m)) => V::Money(m.amount),
                _ => return false,
            };
            let Some(slot) = self.used.get_mut(self.used_len) else {
                return false;
            };
            *slot = Some((index, value));
            self.used_len += 1;
        }
        true
    }

    /// Decides every decision into `out`, in program order, handing those
    /// it cannot settle (undetermined, or an error) to `full`.
    #[inline(always)]
    pub(crate) fn decide_all<E>(
        &mut self,
        out: &mut Verdicts,
        mut full: impl FnMut(u32, &mut Verdicts) -> Result<(), E>,
    ) -> Result<(), E> {
        out.share(&self.code.tables.causes);
        let (mut known, mut unknown) = (Bits::default(), Bits::default());
        self.settle_tests(&mut known, &mut unknown);
        let tables = &self.code.tables;
        out.reserve(tables.decisions.len());
        for table in &tables.decisions {
            let word = table.word as usize % WORDS;
            let (mut known, mut unknown) = (known[word], unknown[word]);
            // Tests on used decisions' outcomes are settled now that those
            // decisions have been decided (they come first in program order).
            if table.uses_outcomes() {
                outcome_bits(tables, table, out, &mut known, &mut unknown);
            }
            // A decision with an unknown test is left to the interpreter,
            // and so is one without a table (a declined one has none), whose
            // entries are nowhere. The common case, an entry whose answer is
            // the answer, is one copy; the rest is out of line.
            let open = unknown >> table.shift & table.mask;
            let key = known >> table.shift & table.mask;
            match tables.entries.get(table.entries as usize + key as usize) {
                Some(entry) if open == 0 && entry.row == Entry::ANSWER => {
                    out.push_verdict(&entry.verdict);
                }
                entry => {
                    let entry = entry.filter(|_| open == 0);
                    if !self.otherwise(table.decision, entry, out) {
                        full(table.decision, out)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A decision whose table entry reads a row's value from the account,
    /// or that has an unknown test or no table: settled from the entry when
    /// it can be, else interpreted. False when neither could (the full
    /// evaluator decides then).
    #[inline(never)]
    fn otherwise(&mut self, index: u32, entry: Option<&Entry>, out: &mut Verdicts) -> bool {
        if let Some(entry) = entry
            && self.settle(index, entry, out)
        {
            return true;
        }
        self.interpret(index, out)
    }

    /// Decides the decision at `index` into `out` rule by rule: for chosen
    /// decisions, for decisions without a table, and for those whose tests
    /// are not all known. False, with `out` as it was, when it could not:
    /// the answer is undetermined or an error occurred.
    #[inline(never)]
    pub(crate) fn interpret(&mut self, index: u32, out: &mut Verdicts) -> bool {
        self.failed = false;
        let Some(plan) = self.code.plans.get(index as usize).filter(|p| !p.declined) else {
            return false;
        };
        if !plan.uses.is_empty() && !self.gather(&plan.uses, out) {
            self.used_len = 0;
            return false;
        }
        let start = out.mark();
        let answer = self.answer(plan, out);
        self.used_len = 0;
        match answer {
            Some(answer) if !self.failed => {
                out.push(index, answer, start);
                true
            }
            _ => {
                out.truncate(start);
                false
            }
        }
    }

    fn answer(&mut self, plan: &Plan, out: &mut Verdicts) -> Option<Answer> {
        if plan.applies != NONE {
            match self.op(plan.applies) {
                Truth::True => {}
                Truth::False => {
                    out.cause(Cause::NotApplicable);
                    return Some(Answer::NotApplicable);
                }
                Truth::Unknown => return None,
            }
        }
        let denies = self.rules(plan.denies, Cause::Deny, out);
        if denies.held {
            return Some(plan.denied);
        }
        let currency = plan.shape.currency();
        if let Shape::Rules { yes, no } = plan.shape {
            let allows = self.rules(plan.allows, Cause::Allow, out);
            return match combine::ruling(denies, allows) {
                Ruling::Granted => Some(yes),
                Ruling::NoneAllowed => {
                    out.cause(Cause::NoRuleAllowed);
                    Some(no)
                }
                Ruling::Undetermined => None,
            };
        }
        // An unknown row before the winner leaves the full evaluator to tell
        // whether every candidate gives the same value.
        let rows = self
            .code
            .rows
            .get(plan.rows.0 as usize..plan.rows.1 as usize)?;
        let truths = rows.iter().map(|row| self.rule(row.condition).known());
        let FirstRow::Holds(i) = combine::first_row(truths) else {
            return None;
        };
        let (answer, zero) = self.row_value(rows.get(i)?, currency)?;
        if !combine::row_stands(denies.unknown, zero) {
            return None;
        }
        out.cause(Cause::Row(i as u32));
        Some(answer)
    }

    /// A row's value as the decision's answer, and whether it is a zero
    /// amount; `None` when it is unknown. In line in [`Hot::settle`], which
    /// is itself out of the per-decision loop: a row that reads a fact
    /// (`credit_forfeiture`'s unused credit) costs no further call.
    #[inline(always)]
    fn row_value(&mut self, row: &RowPlan, currency: Option<Currency>) -> Option<(Answer, bool)> {
        Some(match row.value {
            RowValue::Answer(answer) => (answer, row.zero),
            RowValue::Fact(slot) => self.values.answer(slot, currency)?,
            RowValue::Calc { steps, node } => {
                let run = match (
                    self.code.steps.get(steps.0 as usize..steps.1 as usize),
                    currency,
                ) {
                    (Some(steps), Some(c)) => {
                        calc::run(steps, self.values, c.minor_digits()).zip(Some(c))
                    }
                    _ => None,
                };
                match run {
                    Some((Amount::Value(m), c)) => (Answer::Amount(Money::new(m, c)), m.is_zero()),
                    Some((Amount::Absent, c)) => (Answer::Amount(Money::zero(c)), false),
                    None => return self.node_value(node, currency),
                }
            }
            RowValue::Node(id) => return self.node_value(id, currency),
        })
    }

    /// A row's value computed from its node.
    fn node_value(&mut self, id: NodeId, currency: Option<Currency>) -> Option<(Answer, bool)> {
        Some(match (self.value(id), currency) {
            (V::Money(m), Some(c)) => (Answer::Amount(Money::new(m, c)), m.is_zero()),
            (V::Absent, Some(c)) => (Answer::Amount(Money::zero(c)), false),
            (V::Member(m), None) => (Answer::Member(m), false),
            _ => return None,
        })
    }

    /// The truths of every table test for this account, fact by fact: the
    /// bits of the tests that hold, and of those that are unknown, ORed into
    /// `known` and `unknown` (empty to begin with). Written in place:
    /// returned, the two were copied twice more, 12 moves an account.
    #[inline(always)]
    fn settle_tests(&mut self, known: &mut Bits, unknown: &mut Bits) {
        let tables = &self.code.tables;
        place_facts(&tables.members, self.values, &tables.rows, known, unknown);
        place_facts(&tables.flags, self.values, &tables.rows, known, unknown);
        place_facts(&tables.facts, self.values, &tables.rows, known, unknown);
        for date in &tables.dates {
            let row = date.date_row(self.as_of) as usize;
            known[date.word as usize % WORDS] |= tables.rows.get(row).copied().unwrap_or(0);
        }
        for pair in &tables.pairs {
            let word = pair.word as usize % WORDS;
            match self.pair(pair.a, pair.b, pair.holds, pair.absent) {
                Truth::True => known[word] |= pair.bits,
                Truth::False => {}
                Truth::Unknown => unknown[word] |= pair.bits,
            }
        }
        for (test, bits) in &tables.computed {
            let truth = match *test {
                Op::Facts {
                    a,
                    b,
                    holds,
                    absent,
                } => self.pair(a, b, holds, absent),
                Op::Node(id) => self.truth(id),
                _ => self.leaf(test),
            };
            // A test whose arithmetic fails is left to the full evaluator.
            let into = match truth {
                _ if self.failed => &mut *unknown,
                Truth::True => &mut *known,
                Truth::False => continue,
                Truth::Unknown => &mut *unknown,
            };
            self.failed = false;
            or(into, bits);
        }
    }

    /// Records a decision's table entry whose answer is a row's value read
    /// from the account. False, with `out` as it was, when the value is
    /// unknown or fails, or no row holds.
    #[inline]
    fn settle(&mut self, index: u32, entry: &Entry, out: &mut Verdicts) -> bool {
        let mut verdict = entry.verdict;
        verdict.answer = match entry.row {
            Entry::ANSWER => entry.verdict.answer,
            Entry::OPEN => return false,
            row => {
                let currency = self
                    .code
                    .plans
                    .get(index as usize)
                    .and_then(|p| p.shape.currency());
                let value = self
                    .code
                    .rows
                    .get(row as usize)
                    .map(|row| self.row_value(row, currency));
                match value {
                    Some(Some((answer, _))) if !self.failed => answer,
                    _ => {
                        self.failed = false;
                        return false;
                    }
                }
            }
        };
        out.push_verdict(&verdict);
        true
    }

    /// Every rule of a run (a decision's deny or allow rules), recording a
    /// cause for each that holds.
    #[inline(always)]
    fn rules(&mut self, run: (u32, u32), cause: fn(u32) -> Cause, out: &mut Verdicts) -> Rules {
        let mut rules = Rules::default();
        for (i, &condition) in self.code.conditions(run).iter().enumerate() {
            match self.rule(condition) {
                Truth::True => {
                    out.cause(cause(i as u32));
                    rules.held = true;
                }
                Truth::Unknown => rules.unknown = true,
                Truth::False => {}
            }
        }
        rules
    }

    /// A rule's or row's condition; `ALWAYS` when it has none. Out of line,
    /// as it was before the hot path was generic over its fact source (once
    /// generic, it was inlined into every caller, and accounts took 10% longer).
    #[inline(never)]
    fn rule(&mut self, condition: u32) -> Truth {
        if condition == ALWAYS {
            Truth::True
        } else {
            self.op(condition)
        }
    }

    /// One condition. Inlined into the rule and row loops, so that a
    /// one-step test costs no call (measured: 5% an account); the recursion
    /// through `and`/`or`/`not` goes through `compound`, which is not inlined.
    #[inline(always)]
    fn op(&mut self, index: u32) -> Truth {
        let Some(op) = self.code.ops.get(index as usize) else {
            return Truth::Unknown;
        };
        match op {
            Op::Not(_) | Op::All(..) | Op::Any(..) | Op::Node(_) => self.compound(op),
            _ => self.leaf(op),
        }
    }

    /// One step that reads a fact or two.
    #[inline(always)]
    fn leaf(&self, op: &Op) -> Truth {
        match *op {
            Op::Member {
                slot,
                set,
                inside,
                absent,
            } => match self.values.member(slot) {
                Some(Some(m)) => known((set.checked_shr(m).unwrap_or(0) & 1 == 1) == inside),
                Some(None) => known(absent),
                None => Truth::Unknown,
            },
            Op::Flag { slot, negated } => match self.values.flag(slot) {
                Some(holds) => known(holds != negated),
                None => Truth::Unknown,
            },
            Op::Money {
                slot,
                holds,
                amount,
                absent,
            } => match self.values.money(slot, |m| holds.of(amounts(m, &amount))) {
                Some(Some(holds)) => known(holds),
                Some(None) => known(absent),
                None => Truth::Unknown,
            },
            Op::Int {
                slot,
                holds,
                value,
                absent,
            } => match self.values.int(slot) {
                Some(Some(n)) => known(holds.of(n.cmp(&value))),
                Some(None) => known(absent),
                None => Truth::Unknown,
            },
            Op::Facts {
                a,
                b,
                holds,
                absent,
            } => self.pair(a, b, holds, absent),
            Op::Dates {
                slot,
                low,
                high,
                inside,
                absent,
            } => {
                let date = if slot as usize == self.as_of_slot {
                    self.as_of
                } else {
                    match self.values.date(slot) {
                        Some(Some(d)) => d,
                        Some(None) => return known(absent),
                        None => return Truth::Unknown,
                    }
                };
                known((low <= date && date <= high) == inside)
            }
            Op::Outcome {
                decision,
                set,
                inside,
            } => match self.used(decision) {
                V::Member(m) => known((set.checked_shr(m).unwrap_or(0) & 1 == 1) == inside),
                _ => Truth::Unknown,
            },
            Op::Not(_) | Op::All(..) | Op::Any(..) | Op::Node(_) => Truth::Unknown,
        }
    }

    /// Two facts compared. Texts tested with `==` or `!=` (ids such as
    /// `request.to_account != account.id`) are only tested for equality,
    /// which a length settles for most, and amounts of one scale compare as
    /// integers.
    #[inline(always)]
    fn pair(&self, a: u32, b: u32, holds: Holds, absent: bool) -> Truth {
        match self.values.compare(a, b, holds.by_equality()) {
            Compared::Absent => known(absent),
            Compared::Unknown => Truth::Unknown,
            Compared::Order(order) => known(order.is_some_and(|o| holds.of(o))),
        }
    }

    /// `not`, `and`, `or`, and the shapes left to the general evaluator.
    #[inline(never)]
    fn compound(&mut self, op: &Op) -> Truth {
        match *op {
            Op::Not(inner) => match self.op(inner) {
                Truth::True => Truth::False,
                Truth::False => Truth::True,
                Truth::Unknown => Truth::Unknown,
            },
            Op::All(start, end) | Op::Any(start, end) => {
                let (settle, otherwise) = match op {
                    Op::Any(..) => (Truth::True, Truth::False),
                    _ => (Truth::False, Truth::True),
                };
                let mut unknown = false;
                for k in start..end {
                    let Some(&kid) = self.code.kids.get(k as usize) else {
                        continue;
                    };
                    match self.op(kid) {
                        t if t == settle => return settle,
                        Truth::Unknown => unknown = true,
                        _ => {}
                    }
                }
                if unknown { Truth::Unknown } else { otherwise }
            }
            Op::Node(id) => self.truth(id),
            _ => self.leaf(op),
        }
    }

    fn fact(&self, slot: usize) -> V<'p> {
        if slot == self.as_of_slot {
            return V::Date(self.as_of);
        }
        u32::try_from(slot).map_or(V::Unknown, |slot| self.values.fact(slot))
    }

    fn node(&self, id: NodeId) -> Option<&'p Node> {
        self.program.nodes.get(id.0 as usize)
    }

    /// A node's value; conditions give booleans.
    fn value(&mut self, id: NodeId) -> V<'p> {
        let Some(node) = self.node(id) else {
            return V::Unknown;
        };
        match node {
            Node::Fact(slot) => self.fact(slot.0 as usize),
            Node::Const(v) => V::of(v),
            Node::Arith(op, a, b) => {
                let (a, b) = (self.value(*a), self.value(*b));
                self.arith(*op, a, b)
            }
            Node::Call(func, args) => self.call(*func, self.program.args(*args)),
            // Gathered before the decision was interpreted; unknown otherwise
            // (as in the decision tables' tests, which are settled first).
            Node::Decision(index) => self.used(*index),
            _ => self.truth(id).into(),
        }
    }

    /// A used decision's outcome, gathered before the decision was
    /// interpreted; unknown otherwise.
    fn used(&self, index: u32) -> V<'p> {
        self.used
            .get(..self.used_len)
            .and_then(|used| used.iter().flatten().find(|(i, _)| *i == index))
            .map_or(V::Unknown, |(_, v)| *v)
    }

    /// A node's truth as a condition.
    fn truth(&mut self, id: NodeId) -> Truth {
        let Some(node) = self.node(id) else {
            return Truth::Unknown;
        };
        match node {
            Node::Not(inner) => match self.truth(*inner) {
                Truth::True => Truth::False,
                Truth::False => Truth::True,
                Truth::Unknown => Truth::Unknown,
            },
            Node::And(args) | Node::Or(args) => {
                // `and` is settled by a false operand, `or` by a true one.
                let (settle, otherwise) = match node {
                    Node::Or(_) => (Truth::True, Truth::False),
                    _ => (Truth::False, Truth::True),
                };
                let mut unknown = false;
                for arg in self.program.args(*args) {
                    match self.truth(*arg) {
                        t if t == settle => return settle,
                        Truth::Unknown => unknown = true,
                        _ => {}
                    }
                }
                if unknown { Truth::Unknown } else { otherwise }
            }
            Node::Compare(op, a, b) => {
                let (a, b) = (self.value(*a), self.value(*b));
                if a == V::Absent || b == V::Absent {
                    return known(*op == CompareOp::Ne);
                }
                if a == V::Unknown || b == V::Unknown {
                    return Truth::Unknown;
                }
                known(a.compare(b).is_some_and(|o| op.holds(o)))
            }
            Node::In {
                value,
                set,
                negated,
            } => {
                let v = self.value(*value);
                match v {
                    V::Unknown => return Truth::Unknown,
                    V::Absent => return known(*negated),
                    _ => {}
                }
                let mut unknown = false;
                for item in self.program.args(*set) {
                    match self.value(*item) {
                        V::Unknown => unknown = true,
                        i if v.compare(i) == Some(Ordering::Equal) => return known(!negated),
                        _ => {}
                    }
                }
                if unknown {
                    Truth::Unknown
                } else {
                    known(*negated)
                }
            }
            Node::InRange {
                value,
                low,
                high,
                negated,
            } => {
                let parts = [self.value(*value), self.value(*low), self.value(*high)];
                // Absent is in no range, whatever the other parts are.
                if parts.contains(&V::Absent) {
                    return known(*negated);
                }
                if parts.contains(&V::Unknown) {
                    return Truth::Unknown;
                }
                let [v, l, h] = parts;
                let inside = l.compare(v).is_some_and(|o| o != Ordering::Greater)
                    && v.compare(h).is_some_and(|o| o != Ordering::Greater);
                known(inside != *negated)
            }
            Node::Named { node, .. } => self.truth(*node),
            Node::Decision(_) => self.value(id).truth(),
            // Only declined decisions have rates (see `Plan::declined`).
            Node::Scaled { .. } | Node::Round { .. } => Truth::Unknown,
            Node::Fact(_) | Node::Const(_) | Node::Arith(..) | Node::Call(..) => {
                self.value(id).truth()
            }
        }
    }

    fn arith(&mut self, op: ArithOp, a: V<'p>, b: V<'p>) -> V<'p> {
        // Absent wins over unknown: arithmetic on no value stays no value.
        if a == V::Absent || b == V::Absent {
            return V::Absent;
        }
        if a == V::Unknown || b == V::Unknown {
            return V::Unknown;
        }
        let result = match (op, a, b) {
            (_, V::Absent, _) | (_, _, V::Absent) => Some(V::Absent),
            (ArithOp::Add, V::Int(x), V::Int(y)) => x.checked_add(y).map(V::Int),
            (ArithOp::Sub, V::Int(x), V::Int(y)) => x.checked_sub(y).map(V::Int),
            (ArithOp::Mul, V::Int(x), V::Int(y)) => x.checked_mul(y).map(V::Int),
            // Exact or declined: the full evaluator then reports the overflow.
            (ArithOp::Add, V::Money(x), V::Money(y)) => exact_sum(x, y).map(V::Money),
            (ArithOp::Sub, V::Money(x), V::Money(y)) => exact_sum(x, -y).map(V::Money),
            (ArithOp::Mul, V::Money(m), V::Int(n)) | (ArithOp::Mul, V::Int(n), V::Money(m)) => {
                exact_product(m, Decimal::from(n)).map(V::Money)
            }
            // The checker admits no other combination.
            _ => Some(V::Absent),
        };
        result.unwrap_or_else(|| {
            self.failed = true;
            V::Unknown
        })
    }

    fn call(&mut self, func: Function, args: &'p [NodeId]) -> V<'p> {
        let mut best: Option<V<'p>> = None;
        let mut unknown = false;
        for arg in args {
            match self.value(*arg) {
                V::Unknown => unknown = true,
                V::Absent => return V::Absent,
                v => {
                    let better = best.is_none_or(|b| {
                        let o = v.compare(b);
                        match func {
                            Function::Min => o == Some(Ordering::Less),
                            Function::Max => o == Some(Ordering::Greater),
                        }
                    });
                    if better {
                        best = Some(v);
                    }
                }
            }
        }
        match best {
            Some(v) if !unknown => v,
            _ => V::Unknown,
        }
    }
}

/// Sets the bits of a decision's tests on used decisions' outcomes, from
/// the verdicts those decisions have come to.
#[inline(always)]
fn outcome_bits(
    tables: &Tables,
    table: &Table,
    out: &Verdicts,
    known: &mut u64,
    unknown: &mut u64,
) {
    for test in tables.outcome_tests(table) {
        match settled(out, test.decision) {
            Some(Answer::Member(m)) if test.holds(m) => *known |= test.bit,
            Some(Answer::Member(_)) => {}
            _ => *unknown |= test.bit,
        }
    }
}

/// The answer a decision has settled on for this account so far, if it has
/// been decided.
#[inline(always)]
fn settled(out: &Verdicts, decision: u32) -> Option<Answer> {
    // When every decision is decided in program order, decision `i`'s
    // verdict is the `i`-th; chosen decisions are searched for.
    match out.iter().nth(decision as usize) {
        Some(v) if v.decision == decision => Some(v.answer),
        _ => out
            .iter()
            .find(|v| v.decision == decision)
            .map(|v| v.answer),
    }
}

fn known(b: bool) -> Truth {
    if b { Truth::True } else { Truth::False }
}

/// A row's answer read from a fact (see [`FactSource::answer`]).
#[inline(always)]
fn answer_of(value: V<'_>, currency: Option<Currency>) -> Option<(Answer, bool)> {
    // The checker proved the fact's currency is the decision's.
    Some(match (value, currency) {
        (V::Money(m), Some(c)) => (Answer::Amount(Money::new(m, c)), m.is_zero()),
        (V::Absent, Some(c)) => (Answer::Amount(Money::zero(c)), false),
        (V::Member(m), None) => (Answer::Member(m), false),
        _ => return None,
    })
}

/// Two facts' values compared, for [`FactSource::compare`]: `equality`
/// when only their equality is asked.
#[inline(always)]
fn compared(x: V<'_>, y: V<'_>, equality: bool) -> Compared {
    match (x, y) {
        (V::Absent, _) | (_, V::Absent) => Compared::Absent,
        (V::Unknown, _) | (_, V::Unknown) => Compared::Unknown,
        (V::Text(x), V::Text(y)) if equality => {
            Compared::Order(Some(text_order(x.as_bytes(), y.as_bytes())))
        }
        (V::Money(x), V::Money(y)) => Compared::Order(Some(amounts(&x, &y))),
        (x, y) => Compared::Order(x.compare(y)),
    }
}

/// Two texts' order for a test of equality only: `Equal` or `Less`.
#[inline(always)]
fn text_order(x: &[u8], y: &[u8]) -> Ordering {
    if same_text(x, y) {
        Ordering::Equal
    } else {
        Ordering::Less
    }
}

/// Two texts' bytes are equal. Short texts (ids) are compared as one or
/// two machine words, their first and last bytes overlapping, instead of
/// through a call to `memcmp`.
#[inline(always)]
fn same_text(x: &[u8], y: &[u8]) -> bool {
    if x.len() != y.len() {
        return false;
    }
    fn words<const N: usize>(s: &[u8]) -> (Option<&[u8; N]>, Option<&[u8; N]>) {
        (s.first_chunk::<N>(), s.last_chunk::<N>())
    }
    match x.len() {
        8..=16 => words::<8>(x) == words::<8>(y),
        4..=7 => words::<4>(x) == words::<4>(y),
        _ => x == y,
    }
}

/// Orders two amounts. Amounts of one scale (facts are written with the
/// currency's minor digits, and compiled constants are rescaled to them)
/// compare as integers of minor units, without `Decimal`'s general rescaling.
#[inline(always)]
fn amounts(x: &Decimal, y: &Decimal) -> Ordering {
    if x.scale() == y.scale() {
        x.mantissa().cmp(&y.mantissa())
    } else {
        x.cmp(y)
    }
}

/// Each fact's row of bits for the account's value of it, ORed into the
/// bits that hold (`known`) or, for a fact not known, into the bits that
/// are unknown.
#[inline(always)]
fn place_facts<P: table::Placed, S: FactSource + ?Sized>(
    facts: &[P],
    values: &S,
    rows: &[u64],
    known: &mut Bits,
    unknown: &mut Bits,
) {
    for fact in facts {
        let word = fact.word() as usize % WORDS;
        match fact.row(values) {
            Ok(row) => known[word] |= rows.get(row as usize).copied().unwrap_or(0),
            Err(row) => unknown[word] |= rows.get(row as usize).copied().unwrap_or(0),
        }
    }
}
