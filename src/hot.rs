//! The evaluator's hot path: decides a decision without a tracer, without
//! tracking which facts are missing, without allocating and without
//! comparing a string it does not have to.
//!
//! Values are small `Copy` views into the facts and the program. An unknown
//! carries no set of missing facts: when a decision comes out undetermined,
//! or arithmetic fails, the hot path gives up on that decision and the full
//! evaluator ([`crate::eval`]) decides it again, naming the missing facts or
//! the error. Types need no checking here: the checker proved that every
//! comparison and sum is of one type and one currency, and the fact loader
//! that every fact has its field's type.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::ast::{ArithOp, CompareOp, Function};
use crate::ir::{Kind, Node, NodeId, Program, RuleIr, Value};
use crate::money::{Currency, Money};
use crate::verdict::{Answer, Cause, Verdicts};

/// A value as the hot path sees it: enum members without their enum,
/// money without its currency, text borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum V<'a> {
    Unknown,
    Absent,
    Bool(bool),
    Int(i64),
    Money(Decimal),
    Date(NaiveDate),
    Text(&'a str),
    Member(u32),
}

/// Three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    False,
    True,
    Unknown,
}

impl<'a> V<'a> {
    fn of(value: &'a Value) -> V<'a> {
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
            (V::Money(x), V::Money(y)) => Some(amounts(x, y)),
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
pub(crate) struct Hot<'p> {
    program: &'p Program,
    code: &'p Code,
    values: &'p [Option<Value>],
    /// `as_of` reads the evaluation date, whatever the facts say.
    as_of_slot: usize,
    as_of: NaiveDate,
    /// Arithmetic overflowed: the full evaluator reports it.
    failed: bool,
}

impl<'p> Hot<'p> {
    pub(crate) fn new(program: &'p Program, values: &'p [Option<Value>], as_of: NaiveDate) -> Self {
        Hot {
            program,
            code: &program.hot,
            values,
            as_of_slot: program.as_of.map_or(usize::MAX, |s| s.0 as usize),
            as_of,
            failed: false,
        }
    }

    /// Decides the decision at `index` into `out`. False, with `out` as it
    /// was, when it could not: the answer is undetermined or an error occurred.
    pub(crate) fn decide(&mut self, index: u32, out: &mut Verdicts) -> bool {
        let Some(plan) = self.code.plans.get(index as usize) else {
            return false;
        };
        self.failed = false;
        let start = out.mark();
        match self.answer(plan, out) {
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
        let (fired, maybe_denied) = self.rules(plan.denies, Cause::Deny, out);
        if fired {
            return Some(plan.denied);
        }
        let currency = match plan.shape {
            Shape::Amount(c) => Some(c),
            _ => None,
        };
        if let Shape::Rules { yes, no } = plan.shape {
            let (granted, maybe_granted) = self.rules(plan.allows, Cause::Allow, out);
            return if granted && !maybe_denied {
                Some(yes)
            } else if !granted && !maybe_granted {
                out.cause(Cause::NoRuleAllowed);
                Some(no)
            } else {
                None
            };
        }
        // An unknown row before the winner leaves the full evaluator to tell
        // whether every candidate gives the same value.
        let rows = self
            .code
            .rows
            .get(plan.rows.0 as usize..plan.rows.1 as usize)?;
        let (i, row) =
            rows.iter()
                .enumerate()
                .find_map(|(i, row)| match self.rule(row.condition) {
                    Truth::True => Some(Some((i, row))),
                    Truth::Unknown => Some(None),
                    Truth::False => None,
                })??;
        let (answer, zero) = match row.value {
            RowValue::Answer(answer) => (answer, row.zero),
            RowValue::Fact(slot) => match (self.values.get(slot as usize), currency) {
                (Some(Some(Value::Money(m))), Some(_)) => (Answer::Amount(*m), m.amount.is_zero()),
                (Some(Some(Value::Absent)), Some(c)) => (Answer::Amount(Money::zero(c)), false),
                (Some(Some(Value::Member(_, m))), None) => (Answer::Member(*m), false),
                _ => return None,
            },
            RowValue::Node(id) => match (self.value(id), currency) {
                (V::Money(m), Some(c)) => (Answer::Amount(Money::new(m, c)), m.is_zero()),
                (V::Absent, Some(c)) => (Answer::Amount(Money::zero(c)), false),
                (V::Member(m), None) => (Answer::Member(m), false),
                _ => return None,
            },
        };
        if maybe_denied && !zero {
            return None;
        }
        out.cause(Cause::Row(i as u32));
        Some(answer)
    }

    /// Every rule of a run (a decision's deny or allow rules), recording a
    /// cause for each that holds. Gives whether any held, and whether any
    /// is unknown.
    #[inline(always)]
    fn rules(
        &mut self,
        run: (u32, u32),
        cause: fn(u32) -> Cause,
        out: &mut Verdicts,
    ) -> (bool, bool) {
        let (mut held, mut unknown) = (false, false);
        for (i, &condition) in self.code.conditions(run).iter().enumerate() {
            match self.rule(condition) {
                Truth::True => {
                    out.cause(cause(i as u32));
                    held = true;
                }
                Truth::Unknown => unknown = true,
                Truth::False => {}
            }
        }
        (held, unknown)
    }

    /// A rule's or row's condition; `ALWAYS` when it has none.
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
            } => match self.values.get(slot as usize) {
                Some(Some(Value::Member(_, m))) => {
                    known((set.checked_shr(*m).unwrap_or(0) & 1 == 1) == inside)
                }
                Some(Some(_)) => known(absent),
                _ => Truth::Unknown,
            },
            Op::Flag { slot, negated } => match self.values.get(slot as usize) {
                Some(Some(v)) => known((*v == Value::Bool(true)) != negated),
                _ => Truth::Unknown,
            },
            Op::Money {
                slot,
                holds,
                amount,
                absent,
            } => match self.values.get(slot as usize) {
                Some(Some(Value::Money(m))) => known(holds.of(amounts(m.amount, amount))),
                Some(Some(_)) => known(absent),
                _ => Truth::Unknown,
            },
            Op::Int {
                slot,
                holds,
                value,
                absent,
            } => match self.values.get(slot as usize) {
                Some(Some(Value::Int(n))) => known(holds.of(n.cmp(&value))),
                Some(Some(_)) => known(absent),
                _ => Truth::Unknown,
            },
            Op::Facts {
                a,
                b,
                holds,
                absent,
            } => match (self.values.get(a as usize), self.values.get(b as usize)) {
                (Some(Some(Value::Absent)), _) | (_, Some(Some(Value::Absent))) => known(absent),
                (Some(Some(x)), Some(Some(y))) => known(order(x, y).is_some_and(|o| holds.of(o))),
                _ => Truth::Unknown,
            },
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
                    match self.values.get(slot as usize) {
                        Some(Some(Value::Date(d))) => *d,
                        Some(Some(_)) => return known(absent),
                        _ => return Truth::Unknown,
                    }
                };
                known((low <= date && date <= high) == inside)
            }
            Op::Not(_) | Op::All(..) | Op::Any(..) | Op::Node(_) => Truth::Unknown,
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
        match self.values.get(slot) {
            Some(Some(v)) => V::of(v),
            _ => V::Unknown,
        }
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
            _ => self.truth(id).into(),
        }
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
            (ArithOp::Add, V::Money(x), V::Money(y)) => x.checked_add(y).map(V::Money),
            (ArithOp::Sub, V::Money(x), V::Money(y)) => x.checked_sub(y).map(V::Money),
            (ArithOp::Mul, V::Money(m), V::Int(n)) | (ArithOp::Mul, V::Int(n), V::Money(m)) => {
                m.checked_mul(Decimal::from(n)).map(V::Money)
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

fn known(b: bool) -> Truth {
    if b { Truth::True } else { Truth::False }
}

/// No compiled form, or no `applies when`.
const NONE: u32 = u32::MAX;
/// A rule or row without a condition.
const ALWAYS: u32 = u32::MAX - 1;

/// The decisions compiled once more for the hot path. Each decision gets a
/// plan of op indices, and the common condition shapes (`fact == member`,
/// `fact in [..]`, `fact >= 1500 USD`, a boolean fact, two facts compared,
/// a date in a range, and their negations) become one step each instead of
/// a tree of three nodes.
#[derive(Debug, Clone, Default)]
pub struct Code {
    ops: Vec<Op>,
    /// Operands of `All` and `Any`, as op indices.
    kids: Vec<u32>,
    /// Rule conditions, as op indices (or `ALWAYS`), in runs per decision.
    conditions: Vec<u32>,
    rows: Vec<RowPlan>,
    /// One per decision, in program order.
    plans: Vec<Plan>,
    /// While compiling: each fact test's op, so an identical test is one op.
    tests: HashMap<Op, u32>,
}

/// What a decision evaluates, by index into [`Code`].
#[derive(Debug, Clone)]
struct Plan {
    shape: Shape,
    /// The answer when a deny rule holds.
    denied: Answer,
    /// The `applies when` op, or `NONE`.
    applies: u32,
    /// Runs in `conditions` and `rows`, as (start, end).
    denies: (u32, u32),
    allows: (u32, u32),
    rows: (u32, u32),
}

#[derive(Debug, Clone, Copy)]
enum Shape {
    /// Allow and deny rules: eligibility or action.
    Rules {
        yes: Answer,
        no: Answer,
    },
    Classification,
    Amount(Currency),
}

#[derive(Debug, Clone)]
struct RowPlan {
    /// An op index, or `ALWAYS` for `otherwise`.
    condition: u32,
    value: RowValue,
    /// The value is a constant zero amount.
    zero: bool,
}

#[derive(Debug, Clone)]
enum RowValue {
    /// A constant, answered as is.
    Answer(Answer),
    /// A fact, read as is.
    Fact(u32),
    Node(NodeId),
}

/// Which orderings satisfy a comparison: bits for less, equal, greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Holds(u8);

impl Holds {
    fn new(op: CompareOp) -> Holds {
        Holds(match op {
            CompareOp::Eq => 0b010,
            CompareOp::Ne => 0b101,
            CompareOp::Lt => 0b001,
            CompareOp::Le => 0b011,
            CompareOp::Gt => 0b100,
            CompareOp::Ge => 0b110,
        })
    }

    /// The same test with its operands swapped.
    fn swapped(self) -> Holds {
        Holds((self.0 & 0b010) | ((self.0 & 1) << 2) | ((self.0 >> 2) & 1))
    }

    fn negated(self) -> Holds {
        Holds(!self.0 & 0b111)
    }

    fn of(self, ordering: Ordering) -> bool {
        let bit = match ordering {
            Ordering::Less => 0b001,
            Ordering::Equal => 0b010,
            Ordering::Greater => 0b100,
        };
        self.0 & bit != 0
    }
}

/// One compiled condition. `absent` is its truth when a fact it reads is
/// declared absent, which the checker's types make the only other case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Op {
    /// An enum fact is (`inside`) or is not one of the members in `set`.
    Member {
        slot: u32,
        set: u64,
        inside: bool,
        absent: bool,
    },
    /// A boolean fact, or its negation.
    Flag {
        slot: u32,
        negated: bool,
    },
    /// A money fact compared with an amount of its currency.
    Money {
        slot: u32,
        holds: Holds,
        amount: Decimal,
        absent: bool,
    },
    /// An integer fact compared with a number.
    Int {
        slot: u32,
        holds: Holds,
        value: i64,
        absent: bool,
    },
    /// Two facts of one type compared.
    Facts {
        a: u32,
        b: u32,
        holds: Holds,
        absent: bool,
    },
    /// A date fact (`as_of` too) is (`inside`) or is not in `low..high`.
    Dates {
        slot: u32,
        low: NaiveDate,
        high: NaiveDate,
        inside: bool,
        absent: bool,
    },
    Not(u32),
    /// `and` over `kids[start..end]`.
    All(u32, u32),
    /// `or` over `kids[start..end]`.
    Any(u32, u32),
    /// Any other shape, by the general hot evaluator.
    Node(NodeId),
}

impl Op {
    /// The condition's negation, when it is one step too.
    fn negated(&self) -> Option<Op> {
        Some(match self.clone() {
            Op::Member {
                slot,
                set,
                inside,
                absent,
            } => Op::Member {
                slot,
                set,
                inside: !inside,
                absent: !absent,
            },
            Op::Flag { slot, negated } => Op::Flag {
                slot,
                negated: !negated,
            },
            Op::Money {
                slot,
                holds,
                amount,
                absent,
            } => Op::Money {
                slot,
                holds: holds.negated(),
                amount,
                absent: !absent,
            },
            Op::Int {
                slot,
                holds,
                value,
                absent,
            } => Op::Int {
                slot,
                holds: holds.negated(),
                value,
                absent: !absent,
            },
            Op::Facts {
                a,
                b,
                holds,
                absent,
            } => Op::Facts {
                a,
                b,
                holds: holds.negated(),
                absent: !absent,
            },
            Op::Dates {
                slot,
                low,
                high,
                inside,
                absent,
            } => Op::Dates {
                slot,
                low,
                high,
                inside: !inside,
                absent: !absent,
            },
            Op::Not(_) | Op::All(..) | Op::Any(..) | Op::Node(_) => return None,
        })
    }
}

impl Code {
    /// Compiles every decision of the program.
    pub fn compile(program: &Program) -> Code {
        let mut code = Code::default();
        for d in &program.decisions {
            let applies = d.applies.map_or(NONE, |a| code.condition(program, a));
            let denies = code.rules(program, &d.denies);
            let allows = code.rules(program, &d.allows);
            let start = code.rows.len() as u32;
            for row in &d.rows {
                let condition = row.condition.map_or(ALWAYS, |c| code.condition(program, c));
                let (value, zero) = match (program.node(row.value), &d.kind) {
                    (Some(Node::Const(Value::Money(m))), _) => {
                        (RowValue::Answer(Answer::Amount(*m)), m.amount.is_zero())
                    }
                    (Some(Node::Const(Value::Member(_, i))), Kind::Classification(_)) => {
                        (RowValue::Answer(Answer::Member(*i)), false)
                    }
                    (Some(Node::Fact(slot)), _) if Some(*slot) != program.as_of => {
                        (RowValue::Fact(slot.0), false)
                    }
                    _ => (RowValue::Node(row.value), false),
                };
                code.rows.push(RowPlan {
                    condition,
                    value,
                    zero,
                });
            }
            let shape = match &d.kind {
                Kind::Eligibility => Shape::Rules {
                    yes: Answer::Eligible,
                    no: Answer::NotEligible,
                },
                Kind::Action => Shape::Rules {
                    yes: Answer::Permit,
                    no: Answer::Deny,
                },
                Kind::Classification(_) => Shape::Classification,
                Kind::Amount(c) => Shape::Amount(*c),
            };
            let denied = match shape {
                Shape::Rules { no, .. } => no,
                Shape::Amount(c) => Answer::Amount(Money::zero(c)),
                Shape::Classification => Answer::Undetermined,
            };
            code.plans.push(Plan {
                shape,
                denied,
                applies,
                denies,
                allows,
                rows: (start, code.rows.len() as u32),
            });
        }
        code.tests = HashMap::new();
        code
    }

    fn conditions(&self, (start, end): (u32, u32)) -> &[u32] {
        self.conditions
            .get(start as usize..end as usize)
            .unwrap_or(&[])
    }

    fn rules(&mut self, program: &Program, rules: &[RuleIr]) -> (u32, u32) {
        let ops: Vec<u32> = rules
            .iter()
            .map(|r| r.condition.map_or(ALWAYS, |c| self.condition(program, c)))
            .collect();
        let start = self.conditions.len() as u32;
        self.conditions.extend(ops);
        (start, self.conditions.len() as u32)
    }

    fn push(&mut self, op: Op) -> u32 {
        let leaf = !matches!(op, Op::Not(_) | Op::All(..) | Op::Any(..) | Op::Node(_));
        if leaf {
            if let Some(&index) = self.tests.get(&op) {
                return index;
            }
            self.tests.insert(op.clone(), self.ops.len() as u32);
        }
        self.ops.push(op);
        self.ops.len() as u32 - 1
    }

    fn condition(&mut self, program: &Program, id: NodeId) -> u32 {
        let op = self.shape(program, id).unwrap_or(Op::Node(id));
        self.push(op)
    }

    /// The compiled shape of a condition node, when it has one.
    fn shape(&mut self, program: &Program, id: NodeId) -> Option<Op> {
        // `as_of` is read from the request, so only `Dates` reads it.
        let fact = |n: NodeId| match program.node(n) {
            Some(Node::Fact(slot)) if Some(*slot) != program.as_of => Some(slot.0),
            _ => None,
        };
        let constant = |n: NodeId| match program.node(n) {
            Some(Node::Const(v)) => Some(v.clone()),
            _ => None,
        };
        let members = |set: &[NodeId]| -> Option<u64> {
            set.iter().try_fold(0u64, |acc, n| match constant(*n)? {
                Value::Member(_, m) if m < 64 => Some(acc | 1 << m),
                _ => None,
            })
        };
        Some(match program.node(id)? {
            Node::Fact(_) => Op::Flag {
                slot: fact(id)?,
                negated: false,
            },
            Node::Not(inner) => match self.shape(program, *inner) {
                Some(op) => match op.negated() {
                    Some(negation) => negation,
                    None => Op::Not(self.push(op)),
                },
                None => Op::Not(self.push(Op::Node(*inner))),
            },
            Node::And(args) | Node::Or(args) => {
                let kids: Vec<u32> = program
                    .args(*args)
                    .iter()
                    .map(|a| self.condition(program, *a))
                    .collect();
                let start = self.kids.len() as u32;
                self.kids.extend(kids);
                let end = self.kids.len() as u32;
                match program.node(id)? {
                    Node::Or(_) => Op::Any(start, end),
                    _ => Op::All(start, end),
                }
            }
            Node::In {
                value,
                set,
                negated,
            } => Op::Member {
                slot: fact(*value)?,
                set: members(program.args(*set))?,
                inside: !negated,
                absent: *negated,
            },
            Node::InRange {
                value,
                low,
                high,
                negated,
            } => {
                let slot = match program.node(*value)? {
                    Node::Fact(slot) => slot.0,
                    _ => return None,
                };
                match (constant(*low)?, constant(*high)?) {
                    (Value::Date(low), Value::Date(high)) => Op::Dates {
                        slot,
                        low,
                        high,
                        inside: !negated,
                        absent: *negated,
                    },
                    _ => return None,
                }
            }
            Node::Compare(op, a, b) => {
                let absent = *op == CompareOp::Ne;
                if let (Some(a), Some(b)) = (fact(*a), fact(*b)) {
                    return Some(Op::Facts {
                        a,
                        b,
                        holds: Holds::new(*op),
                        absent,
                    });
                }
                let (slot, other, holds) = match (fact(*a), fact(*b)) {
                    (Some(slot), None) => (slot, *b, Holds::new(*op)),
                    (None, Some(slot)) => (slot, *a, Holds::new(*op).swapped()),
                    _ => return None,
                };
                match constant(other)? {
                    Value::Member(_, m)
                        if m < 64 && matches!(op, CompareOp::Eq | CompareOp::Ne) =>
                    {
                        Op::Member {
                            slot,
                            set: 1 << m,
                            inside: *op == CompareOp::Eq,
                            absent,
                        }
                    }
                    Value::Money(m) => Op::Money {
                        slot,
                        holds,
                        amount: minor_units(m),
                        absent,
                    },
                    Value::Int(value) => Op::Int {
                        slot,
                        holds,
                        value,
                        absent,
                    },
                    _ => return None,
                }
            }
            _ => return None,
        })
    }
}

/// The amount written with its currency's minor digits, as facts are, so
/// that [`amounts`] compares them as integers; as it is if that would round.
fn minor_units(m: Money) -> Decimal {
    let mut scaled = m.amount;
    scaled.rescale(m.currency.minor_digits());
    if scaled == m.amount { scaled } else { m.amount }
}

/// Orders two facts of one type; `None` for values with no order.
fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Money(x), Value::Money(y)) => Some(amounts(x.amount, y.amount)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Member(_, x), Value::Member(_, y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Orders two amounts. Amounts of one scale (facts are written with the
/// currency's minor digits, and compiled constants are rescaled to them)
/// compare as integers of minor units, without `Decimal`'s general rescaling.
#[inline(always)]
fn amounts(x: Decimal, y: Decimal) -> Ordering {
    if x.scale() == y.scale() {
        x.mantissa().cmp(&y.mantissa())
    } else {
        x.cmp(&y)
    }
}
