//! Amounts computed as integers of minor units: a row's value such as
//! `min(100 USD * agency.new_client_accounts, 1000 USD)`, compiled to a few
//! steps over `i128` instead of a walk over nodes in `Decimal`.
//!
//! Every amount in a step is at the currency's minor digits (facts are
//! loaded at them and constants rescaled to them), so sums, differences,
//! products by an integer, minimums and maximums are exact integer
//! operations. The steps only answer what `Decimal` arithmetic would answer
//! without rounding: a result beyond `Decimal`'s 96 bits, an integer beyond
//! `i64`, an amount of another scale, or an unknown fact gives up, and the
//! node evaluator decides the row as it always has.

use rust_decimal::Decimal;

use crate::lang::ast::{ArithOp, Function};
use crate::model::ir::Model;
use crate::model::ir::{Node, NodeId, Value};

use super::V;
use super::source::FactSource;
use crate::model::schema::Type;

/// The largest magnitude a `Decimal` holds: 2^96 - 1.
const DECIMAL_MAX: i128 = (1 << 96) - 1;

/// Deeper expressions are left to the node evaluator.
const DEPTH: usize = 8;

/// One step of an amount's computation, on a stack of integers.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Step {
    /// A constant: an amount in minor units, or an integer.
    Const(i128),
    /// A money fact, in minor units at `scale`.
    Money {
        slot: u32,
        scale: u32,
    },
    Int {
        slot: u32,
    },
    /// The two values on top of the stack, combined; `money` when the
    /// result is an amount, so the bound it must keep to is `Decimal`'s.
    Arith {
        op: ArithOp,
        money: bool,
    },
    /// The lowest or highest of the `count` values on top of the stack.
    Pick {
        max: bool,
        count: u32,
    },
}

/// Compiles an amount expression at `scale` (the currency's minor digits),
/// appending its steps; `None` when a node is not of a shape the steps hold.
pub(super) fn compile(
    program: &Model,
    id: NodeId,
    scale: u32,
    steps: &mut Vec<Step>,
) -> Option<()> {
    let mut depth = 0;
    let money = node(program, id, scale, steps, &mut depth, 0)?;
    money.then_some(())
}

/// Adds a node's steps; gives whether its value is an amount.
fn node(
    program: &Model,
    id: NodeId,
    scale: u32,
    steps: &mut Vec<Step>,
    deepest: &mut usize,
    depth: usize,
) -> Option<bool> {
    *deepest = (*deepest).max(depth + 1);
    if *deepest > DEPTH {
        return None;
    }
    Some(match program.node(id)? {
        Node::Const(Value::Int(n)) => {
            steps.push(Step::Const(i128::from(*n)));
            false
        }
        Node::Const(Value::Money(m)) => {
            // `rescale` keeps a scale it cannot reach without overflow.
            let mut amount = m.amount;
            amount.rescale(scale);
            if amount.scale() != scale || amount != m.amount {
                return None;
            }
            steps.push(Step::Const(amount.mantissa()));
            true
        }
        Node::Fact(slot) if Some(*slot) != program.as_of => match program.schema.field(*slot)?.ty {
            Type::Money(_) => {
                steps.push(Step::Money {
                    slot: slot.0,
                    scale,
                });
                true
            }
            Type::Int => {
                steps.push(Step::Int { slot: slot.0 });
                false
            }
            _ => return None,
        },
        Node::Arith(op, a, b) => {
            let a = node(program, *a, scale, steps, deepest, depth + 1)?;
            let b = node(program, *b, scale, steps, deepest, depth + 1)?;
            let money = match (op, a, b) {
                (ArithOp::Add | ArithOp::Sub, a, b) if a == b => a,
                (ArithOp::Mul, a, b) if !(a && b) => a || b,
                _ => return None,
            };
            steps.push(Step::Arith { op: *op, money });
            money
        }
        Node::Call(function, args) => {
            let args = program.args(*args);
            let mut money = None;
            for arg in args {
                let m = node(program, *arg, scale, steps, deepest, depth + 1)?;
                if money.is_some_and(|money| money != m) {
                    return None;
                }
                money = Some(m);
            }
            steps.push(Step::Pick {
                max: *function == Function::Max,
                count: args.len() as u32,
            });
            money?
        }
        _ => return None,
    })
}

/// What the steps came to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Amount {
    Value(Decimal),
    /// A fact it reads is declared absent: arithmetic on no value is no value.
    Absent,
}

/// Runs the steps over an account's facts; `None` when they give up.
///
/// First in `i64`, which holds the amounts and counts of real accounts at a
/// fraction of `i128`'s cost; anything beyond it (a constant, a fact or a
/// result) runs again in `i128`. Whatever `i64` answers, `i128` answers
/// alike: the same operations on the same values, none of which
/// overflowed, and every `i64` is within `Decimal`'s 96 bits.
#[inline(never)]
pub(super) fn run<S: FactSource + ?Sized>(
    steps: &[Step],
    values: &S,
    scale: u32,
) -> Option<Amount> {
    narrow(steps, values, scale).or_else(|| wide(steps, values, scale))
}

/// The steps in `i64`; `None` when they give up or a value does not fit.
#[inline(always)]
fn narrow<S: FactSource + ?Sized>(steps: &[Step], values: &S, scale: u32) -> Option<Amount> {
    let mut stack = [0i64; DEPTH];
    let mut top = 0usize;
    let mut absent = false;
    for step in steps {
        let value = match *step {
            Step::Const(n) => i64::try_from(n).ok()?,
            Step::Money { slot, scale } => match values.fact(slot) {
                V::Money(m) if m.scale() == scale => i64::try_from(m.mantissa()).ok()?,
                V::Absent => {
                    absent = true;
                    0
                }
                _ => return None,
            },
            Step::Int { slot } => match values.fact(slot) {
                V::Int(n) => n,
                V::Absent => {
                    absent = true;
                    0
                }
                _ => return None,
            },
            Step::Arith { op, .. } => {
                top = top.checked_sub(2)?;
                let (a, b) = (*stack.get(top)?, *stack.get(top + 1)?);
                match op {
                    ArithOp::Add => a.checked_add(b)?,
                    ArithOp::Sub => a.checked_sub(b)?,
                    ArithOp::Mul => a.checked_mul(b)?,
                }
            }
            Step::Pick { max, count } => {
                top = top.checked_sub(count as usize)?;
                let picked = stack.get(top..top + count as usize)?.iter().copied();
                if max { picked.max()? } else { picked.min()? }
            }
        };
        *stack.get_mut(top)? = value;
        top += 1;
    }
    if absent {
        return Some(Amount::Absent);
    }
    let n = *stack.first()?;
    Decimal::try_from_i128_with_scale(i128::from(n), scale)
        .ok()
        .map(Amount::Value)
}

/// The steps in `i128`, bounded by `Decimal`'s 96 bits for amounts and by
/// `i64` for integers.
fn wide<S: FactSource + ?Sized>(steps: &[Step], values: &S, scale: u32) -> Option<Amount> {
    let mut stack = [0i128; DEPTH];
    let mut top = 0usize;
    let mut absent = false;
    for step in steps {
        let value = match *step {
            Step::Const(n) => n,
            Step::Money { slot, scale } => match values.fact(slot) {
                V::Money(m) if m.scale() == scale => m.mantissa(),
                V::Absent => {
                    absent = true;
                    0
                }
                _ => return None,
            },
            Step::Int { slot } => match values.fact(slot) {
                V::Int(n) => i128::from(n),
                V::Absent => {
                    absent = true;
                    0
                }
                _ => return None,
            },
            Step::Arith { op, money } => {
                top = top.checked_sub(2)?;
                let (a, b) = (*stack.get(top)?, *stack.get(top + 1)?);
                let n = match op {
                    ArithOp::Add => a.checked_add(b)?,
                    ArithOp::Sub => a.checked_sub(b)?,
                    ArithOp::Mul => a.checked_mul(b)?,
                };
                let fits = if money {
                    n.abs() <= DECIMAL_MAX
                } else {
                    i64::try_from(n).is_ok()
                };
                if !fits {
                    return None;
                }
                n
            }
            Step::Pick { max, count } => {
                top = top.checked_sub(count as usize)?;
                let picked = stack.get(top..top + count as usize)?.iter().copied();
                if max { picked.max()? } else { picked.min()? }
            }
        };
        *stack.get_mut(top)? = value;
        top += 1;
    }
    if absent {
        return Some(Amount::Absent);
    }
    let n = *stack.first()?;
    Decimal::try_from_i128_with_scale(n, scale)
        .ok()
        .map(Amount::Value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Step = Step::Pick {
        max: false,
        count: 2,
    };
    const MUL: Step = Step::Arith {
        op: ArithOp::Mul,
        money: true,
    };

    /// `min(100 USD * agency.new_client_accounts, 1000 USD)` at cents, with
    /// the count in slot 0.
    fn launch(count: i64, cap: i128) -> (Vec<Step>, Vec<Option<Value>>) {
        let steps = vec![
            Step::Const(10_000),
            Step::Int { slot: 0 },
            MUL,
            Step::Const(cap),
            MIN,
        ];
        (steps, vec![Some(Value::Int(count))])
    }

    /// Whatever `i64` answers, `i128` answers alike; where `i64` gives up
    /// (a product or a constant beyond it), `i128` still answers.
    #[test]
    fn narrow_answers_as_wide_does_or_gives_up() {
        let cases = [
            (7, 100_000, Some(70_000)),
            (12, 100_000, Some(100_000)),
            (-3, 100_000, Some(-30_000)),
            // 10,000 * 2^60 overflows i64 but not i128 or Decimal.
            (1 << 60, i128::MAX >> 40, None),
            // A cap beyond i64: the constant does not fit.
            (5, 1 << 70, None),
        ];
        for (count, cap, narrowed) in cases {
            let (steps, values) = launch(count, cap);
            let small = narrow(&steps, values.as_slice(), 2);
            let large = wide(&steps, values.as_slice(), 2);
            let expect = narrowed.map(|n: i128| {
                Amount::Value(Decimal::try_from_i128_with_scale(n, 2).unwrap_or_default())
            });
            assert_eq!(small, expect, "{count} {cap}");
            if small.is_some() {
                assert_eq!(small, large);
            } else {
                assert!(large.is_some(), "{count} {cap}");
            }
            assert_eq!(run(&steps, values.as_slice(), 2), large);
        }
        let absent = vec![Some(Value::Absent)];
        let (steps, _) = launch(0, 100_000);
        assert_eq!(narrow(&steps, absent.as_slice(), 2), Some(Amount::Absent));
        assert_eq!(
            run(&steps, absent.as_slice(), 2),
            wide(&steps, absent.as_slice(), 2)
        );
    }
}
