//! The hot path's compiled form: each decision becomes a plan of op
//! indices, and the common condition shapes become one step each.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::base::money::{Currency, Money};
use crate::engine::combine::{self, Ruling};
use crate::engine::verdict::Answer;
use crate::lang::ast::CompareOp;
use crate::model::ir::Model;
use crate::model::ir::{Kind, Node, NodeId, RuleIr, Value};

use super::calc::{self, Step};
use super::table::Tables;

/// No compiled form, or no `applies when`.
pub(super) const NONE: u32 = u32::MAX;
/// A rule or row without a condition.
pub(super) const ALWAYS: u32 = u32::MAX - 1;

/// The decisions compiled once more for the hot path. Each decision gets a
/// plan of op indices, and the common condition shapes (`fact == member`,
/// `fact in [..]`, `fact >= 1500 USD`, a boolean fact, two facts compared,
/// a date in a range, and their negations) become one step each instead of
/// a tree of three nodes.
#[derive(Debug, Clone, Default)]
pub struct Code {
    pub(super) ops: Vec<Op>,
    /// Operands of `All` and `Any`, as op indices.
    pub(super) kids: Vec<u32>,
    /// Rule conditions, as op indices (or `ALWAYS`), in runs per decision.
    pub(super) conditions: Vec<u32>,
    pub(super) rows: Vec<RowPlan>,
    /// One per decision, in program order.
    pub(super) plans: Vec<Plan>,
    /// While compiling: each fact test's op, so an identical test is one op.
    pub(super) tests: HashMap<Op, u32>,
    /// The steps of computed amounts, in runs.
    pub(super) steps: Vec<Step>,
    /// The decisions again as tables, for those with few tests.
    pub(super) tables: Tables,
}

/// What a decision evaluates, by index into [`Code`].
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub(super) shape: Shape,
    /// The answer when a deny rule holds.
    pub(super) denied: Answer,
    /// The `applies when` op, or `NONE`.
    pub(super) applies: u32,
    /// Runs in `conditions` and `rows`, as (start, end).
    pub(super) denies: (u32, u32),
    pub(super) allows: (u32, u32),
    pub(super) rows: (u32, u32),
    /// The decisions whose outcomes this one uses (by index): their verdicts,
    /// once in the account's verdicts, are read before the decision is
    /// interpreted (see `Hot::gather`).
    pub(super) uses: Vec<u32>,
    /// The decision multiplies money by a rate, or uses more decisions than
    /// `Hot` holds at once: the hot path declines it and the full evaluator
    /// decides it (a rate's product exactly, with its rounding). Not worth
    /// compiling yet.
    pub(super) declined: bool,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Shape {
    /// Allow and deny rules: eligibility or action.
    Rules {
        yes: Answer,
        no: Answer,
    },
    Classification,
    Amount(Currency),
}

impl Shape {
    /// An amount's currency.
    pub(super) fn currency(self) -> Option<Currency> {
        match self {
            Shape::Amount(c) => Some(c),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct RowPlan {
    /// An op index, or `ALWAYS` for `otherwise`.
    pub(super) condition: u32,
    pub(super) value: RowValue,
    /// The value is a constant zero amount.
    pub(super) zero: bool,
}

#[derive(Debug, Clone)]
pub(super) enum RowValue {
    /// A constant, answered as is.
    Answer(Answer),
    /// A fact, read as is.
    Fact(u32),
    /// An amount computed by the steps at `steps` in [`Code::steps`], at
    /// the currency's minor digits; by the node when they give up.
    Calc {
        steps: (u32, u32),
        node: NodeId,
    },
    Node(NodeId),
}

/// Which orderings satisfy a comparison: bits for less, equal, greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Holds(u8);

impl Holds {
    pub(super) fn new(op: CompareOp) -> Holds {
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

    /// The comparison holds alike for less and greater (`==`, `!=`): two
    /// values need only be tested for equality, not ordered.
    pub(super) fn by_equality(self) -> bool {
        self.0 & 1 == self.0 >> 2 & 1
    }

    pub(super) fn of(self, ordering: Ordering) -> bool {
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
pub(super) enum Op {
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
    /// A used classification's outcome is (`inside`) or is not one of the
    /// members in `set`. Its truth is known once the used decision has
    /// settled on a member; otherwise (undetermined, not applicable) it is
    /// unknown and the full evaluator decides, naming what the used
    /// decision misses.
    Outcome {
        decision: u32,
        set: u64,
        inside: bool,
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
            Op::Outcome {
                decision,
                set,
                inside,
            } => Op::Outcome {
                decision,
                set,
                inside: !inside,
            },
            Op::Not(_) | Op::All(..) | Op::Any(..) | Op::Node(_) => return None,
        })
    }
}

impl Code {
    /// Compiles every decision of the program.
    pub fn compile(program: &Model) -> Code {
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
                    (_, Kind::Amount(c)) => {
                        (code.calc(program, row.value, c.minor_digits()), false)
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
                Kind::Eligibility | Kind::Action => Shape::Rules {
                    yes: combine::ruled(&d.kind, Ruling::Granted),
                    no: combine::ruled(&d.kind, Ruling::NoneAllowed),
                },
                Kind::Classification(_) => Shape::Classification,
                Kind::Amount(c) => Shape::Amount(*c),
            };
            let denied = combine::denied(&d.kind);
            code.plans.push(Plan {
                shape,
                denied,
                applies,
                denies,
                allows,
                rows: (start, code.rows.len() as u32),
                uses: program.uses(d),
                declined: program.uses(d).len() > super::USED
                    || program
                        .reaches(d, |n| matches!(n, Node::Scaled { .. } | Node::Round { .. })),
            });
        }
        code.tests = HashMap::new();
        code.tables = Tables::build(&code, program.as_of.map(|s| s.0));
        code
    }

    /// An amount row's value as steps, or as its node when it has a shape
    /// the steps do not hold.
    fn calc(&mut self, program: &Model, node: NodeId, scale: u32) -> RowValue {
        let start = self.steps.len();
        match calc::compile(program, node, scale, &mut self.steps) {
            Some(()) => RowValue::Calc {
                steps: (start as u32, self.steps.len() as u32),
                node,
            },
            None => {
                self.steps.truncate(start);
                RowValue::Node(node)
            }
        }
    }

    pub(super) fn conditions(&self, (start, end): (u32, u32)) -> &[u32] {
        self.conditions
            .get(start as usize..end as usize)
            .unwrap_or(&[])
    }

    fn rules(&mut self, program: &Model, rules: &[RuleIr]) -> (u32, u32) {
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

    fn condition(&mut self, program: &Model, id: NodeId) -> u32 {
        let op = self.shape(program, id).unwrap_or(Op::Node(id));
        self.push(op)
    }

    /// The compiled shape of a condition node, when it has one.
    fn shape(&mut self, program: &Model, id: NodeId) -> Option<Op> {
        // `as_of` is read from the request, so only `Dates` reads it.
        let fact = |n: NodeId| match program.node(n) {
            Some(Node::Fact(slot)) if Some(*slot) != program.as_of => Some(slot.0),
            _ => None,
        };
        let constant = |n: NodeId| match program.node(n) {
            Some(Node::Const(v)) => Some(v.clone()),
            _ => None,
        };
        // A used classification, whose outcome is settled before its user.
        let used = |n: NodeId| match program.node(n) {
            Some(Node::Decision(index)) => program
                .decisions
                .get(*index as usize)
                .filter(|d| matches!(d.kind, Kind::Classification(_)))
                .map(|_| *index),
            _ => None,
        };
        let members = |set: &[NodeId]| -> Option<u64> {
            set.iter().try_fold(0u64, |acc, n| match constant(*n)? {
                Value::Member(_, m) if m < 64 => Some(acc | 1 << m),
                _ => None,
            })
        };
        Some(match program.node(id)? {
            // A named condition compiles as its condition would, written out.
            Node::Named { node, .. } => return self.shape(program, *node),
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
            } if used(*value).is_some() => Op::Outcome {
                decision: used(*value)?,
                set: members(program.args(*set))?,
                inside: !negated,
            },
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
            Node::Compare(op @ (CompareOp::Eq | CompareOp::Ne), a, b)
                if used(*a).is_some() || used(*b).is_some() =>
            {
                let (decision, other) = match used(*a) {
                    Some(decision) => (decision, *b),
                    None => (used(*b)?, *a),
                };
                Op::Outcome {
                    decision,
                    set: members(&[other])?,
                    inside: *op == CompareOp::Eq,
                }
            }
            Node::Compare(op, a, b) if dated(program, *op, *a, *b).is_some() => {
                dated(program, *op, *a, *b)?
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

/// A date fact compared with a date (`as_of` too, as an effective window's
/// `as_of <= 2026-12-31` tests it) as one date range: so that every rule of
/// a version tests the same op, which the tables then hold as one bit, and
/// `as_of`'s regions settle it once an account. `None` when the range would
/// need a day beyond the calendar (the node evaluator decides then).
fn dated(program: &Model, op: CompareOp, a: NodeId, b: NodeId) -> Option<Op> {
    let (slot, day, op) = match (program.node(a)?, program.node(b)?) {
        (Node::Fact(slot), Node::Const(Value::Date(day))) => (slot.0, *day, op),
        (Node::Const(Value::Date(day)), Node::Fact(slot)) => (slot.0, *day, swapped(op)),
        _ => return None,
    };
    let (low, high, inside) = match op {
        CompareOp::Eq => (day, day, true),
        CompareOp::Ne => (day, day, false),
        CompareOp::Le => (NaiveDate::MIN, day, true),
        CompareOp::Lt => (NaiveDate::MIN, day.pred_opt()?, true),
        CompareOp::Ge => (day, NaiveDate::MAX, true),
        CompareOp::Gt => (day.succ_opt()?, NaiveDate::MAX, true),
    };
    Some(Op::Dates {
        slot,
        low,
        high,
        inside,
        // An absent value makes only `!=` hold, as in the node evaluator.
        absent: op == CompareOp::Ne,
    })
}

/// `a op b` as `b op' a`.
fn swapped(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        same => same,
    }
}

/// The amount written with its currency's minor digits, as facts are, so
/// that [`super::amounts`] compares them as integers; as it is if that would round.
fn minor_units(m: Money) -> Decimal {
    let mut scaled = m.amount;
    scaled.rescale(m.currency.minor_digits());
    if scaled == m.amount { scaled } else { m.amount }
}
