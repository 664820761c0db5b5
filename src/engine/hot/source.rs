//! Where the hot path reads an account's facts: a fact source, asked per
//! slot for the hot path's view of the fact. The loaded facts
//! (`[Option<Value>]`) are one source; packed facts (16-byte cells) are
//! another; a row of Arrow columns is a third, which lends its text and
//! reads its cells in place, so that a row read from columns need not
//! become `Value`s unless the full evaluator is needed.

use std::cmp::Ordering;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::input::packed::{self, Cell, PackedFacts};
use crate::model::ir::Value;

use crate::base::money::{Currency, Money};
use crate::engine::verdict::Answer;

use super::{V, amounts, answer_of, compared, text_order};

/// Two facts compared: either unknown, either absent, or their order
/// (`None` for values with no order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compared {
    Unknown,
    Absent,
    Order(Option<Ordering>),
}

/// An account's facts as the hot path reads them.
pub(crate) trait FactSource {
    /// The fact at `slot`: its value, `Absent`, or `Unknown` when the
    /// account does not give it (or there is no such slot).
    fn fact(&self, slot: u32) -> V<'_>;

    /// An enum fact: `Some(Some(member))`, `Some(None)` for a value that is
    /// not a member (absent), `None` when unknown. The hot path's tables
    /// place most facts by member: a source may answer without building a
    /// whole [`V`].
    #[inline(always)]
    fn member(&self, slot: u32) -> Option<Option<u32>> {
        match self.fact(slot) {
            V::Unknown => None,
            V::Member(m) => Some(Some(m)),
            _ => Some(None),
        }
    }

    /// A boolean fact: whether it is `true`, `None` when unknown.
    #[inline(always)]
    fn flag(&self, slot: u32) -> Option<bool> {
        match self.fact(slot) {
            V::Unknown => None,
            v => Some(matches!(v, V::Bool(true))),
        }
    }

    /// `read` of a money fact's amount (`Some(None)` for a value that is
    /// not money). The amount is lent, not returned: a source that holds
    /// it need not copy its 16 bytes out through the stack.
    #[inline(always)]
    fn money<R>(&self, slot: u32, read: impl FnOnce(&Decimal) -> R) -> Option<Option<R>> {
        match self.fact(slot) {
            V::Unknown => None,
            V::Money(m) => Some(Some(read(&m))),
            _ => Some(None),
        }
    }

    /// A money fact's amount for placing among bounds: `at_scale` of it as
    /// an integer when it is written at `scale` and fits an `i64`, `other`
    /// of it otherwise (`Some(None)` for a value that is not money).
    #[inline(always)]
    fn amount_at<R>(
        &self,
        slot: u32,
        scale: u32,
        at_scale: impl FnOnce(i64) -> R,
        other: impl FnOnce(&Decimal) -> R,
    ) -> Option<Option<R>> {
        self.money(slot, |m| match i64::try_from(m.mantissa()) {
            Ok(n) if m.scale() == scale => at_scale(n),
            _ => other(m),
        })
    }

    /// An integer fact (`Some(None)` for a value that is not an integer).
    #[inline(always)]
    fn int(&self, slot: u32) -> Option<Option<i64>> {
        match self.fact(slot) {
            V::Unknown => None,
            V::Int(n) => Some(Some(n)),
            _ => Some(None),
        }
    }

    /// A date fact (`Some(None)` for a value that is not a date).
    #[inline(always)]
    fn date(&self, slot: u32) -> Option<Option<NaiveDate>> {
        match self.fact(slot) {
            V::Unknown => None,
            V::Date(d) => Some(Some(d)),
            _ => Some(None),
        }
    }

    /// The fact at `slot` as a decision's answer, and whether it is zero:
    /// an amount in `currency` (absent is zero), or a member when there is
    /// no currency; `None` for anything else.
    #[inline(always)]
    fn answer(&self, slot: u32, currency: Option<Currency>) -> Option<(Answer, bool)> {
        answer_of(self.fact(slot), currency)
    }

    /// The facts at `a` and `b` compared. With `equality` (a test with
    /// `==` or `!=`) two texts are only tested for equality: `Equal` or
    /// `Less`. Amounts of one scale compare as integers.
    #[inline(always)]
    fn compare(&self, a: u32, b: u32, equality: bool) -> Compared {
        compared(self.fact(a), self.fact(b), equality)
    }
}

impl FactSource for [Option<Value>] {
    #[inline(always)]
    fn fact(&self, slot: u32) -> V<'_> {
        match self.get(slot as usize) {
            Some(Some(v)) => V::of(v),
            _ => V::Unknown,
        }
    }

    // Read through the reference, as the hot path read the values before
    // there were sources: one tag test, no `V` built.
    #[inline(always)]
    fn member(&self, slot: u32) -> Option<Option<u32>> {
        match self.get(slot as usize) {
            Some(Some(Value::Member(_, m))) => Some(Some(*m)),
            Some(Some(_)) => Some(None),
            _ => None,
        }
    }

    #[inline(always)]
    fn flag(&self, slot: u32) -> Option<bool> {
        match self.get(slot as usize) {
            Some(Some(v)) => Some(matches!(v, Value::Bool(true))),
            _ => None,
        }
    }

    #[inline(always)]
    fn money<R>(&self, slot: u32, read: impl FnOnce(&Decimal) -> R) -> Option<Option<R>> {
        match self.get(slot as usize) {
            Some(Some(Value::Money(m))) => Some(Some(read(&m.amount))),
            Some(Some(_)) => Some(None),
            _ => None,
        }
    }

    #[inline(always)]
    fn int(&self, slot: u32) -> Option<Option<i64>> {
        match self.get(slot as usize) {
            Some(Some(Value::Int(n))) => Some(Some(*n)),
            Some(Some(_)) => Some(None),
            _ => None,
        }
    }

    #[inline(always)]
    fn date(&self, slot: u32) -> Option<Option<NaiveDate>> {
        match self.get(slot as usize) {
            Some(Some(Value::Date(d))) => Some(Some(*d)),
            Some(Some(_)) => Some(None),
            _ => None,
        }
    }

    // The fact's own money is copied whole (its currency is the
    // decision's), not rebuilt from a `V`'s amount.
    #[inline(always)]
    fn answer(&self, slot: u32, currency: Option<Currency>) -> Option<(Answer, bool)> {
        Some(match (self.get(slot as usize), currency) {
            (Some(Some(Value::Money(m))), Some(_)) => (Answer::Amount(*m), m.amount.is_zero()),
            (Some(Some(Value::Absent)), Some(c)) => (Answer::Amount(Money::zero(c)), false),
            (Some(Some(Value::Member(_, m))), None) => (Answer::Member(*m), false),
            _ => return None,
        })
    }

    // Matched through the references: building two `V`s (each copying its
    // amount or text) and matching them again cost the Value path about 30
    // instructions an account.
    #[inline(always)]
    fn compare(&self, a: u32, b: u32, equality: bool) -> Compared {
        match (self.get(a as usize), self.get(b as usize)) {
            (Some(Some(Value::Absent)), _) | (_, Some(Some(Value::Absent))) => Compared::Absent,
            (Some(Some(Value::Text(x))), Some(Some(Value::Text(y)))) if equality => {
                Compared::Order(Some(text_order(x.as_bytes(), y.as_bytes())))
            }
            (Some(Some(Value::Money(x))), Some(Some(Value::Money(y)))) => {
                Compared::Order(Some(amounts(&x.amount, &y.amount)))
            }
            (Some(Some(x)), Some(Some(y))) => Compared::Order(order(x, y)),
            _ => Compared::Unknown,
        }
    }
}

// The cells are matched by reference; a spilled value (an amount past 64
// bits, a text past 4 GiB) goes through its `Value`.
impl FactSource for PackedFacts {
    #[inline(always)]
    fn fact(&self, slot: u32) -> V<'_> {
        match *self.cell(slot) {
            Cell::Unknown => V::Unknown,
            Cell::Absent => V::Absent,
            Cell::Bool(b) => V::Bool(b),
            Cell::Int(n) => V::Int(n),
            Cell::Money {
                scale,
                negative,
                magnitude,
                ..
            } => V::Money(packed::amount(magnitude, negative, scale)),
            Cell::Date(d) => V::Date(d),
            Cell::Text { start, len } => V::Text(self.text(start, len)),
            Cell::Member(_, m) => V::Member(m),
            Cell::Spilled(i) => self.spilled(i).map_or(V::Unknown, V::of),
        }
    }

    #[inline(always)]
    fn member(&self, slot: u32) -> Option<Option<u32>> {
        match *self.cell(slot) {
            Cell::Member(_, m) => Some(Some(m)),
            Cell::Unknown => None,
            _ => Some(None),
        }
    }

    #[inline(always)]
    fn flag(&self, slot: u32) -> Option<bool> {
        match *self.cell(slot) {
            Cell::Bool(b) => Some(b),
            Cell::Unknown => None,
            _ => Some(false),
        }
    }

    #[inline(always)]
    fn money<R>(&self, slot: u32, read: impl FnOnce(&Decimal) -> R) -> Option<Option<R>> {
        match *self.cell(slot) {
            Cell::Money {
                scale,
                negative,
                magnitude,
                ..
            } => Some(Some(read(&packed::amount(magnitude, negative, scale)))),
            Cell::Unknown => None,
            Cell::Spilled(i) => match self.spilled(i) {
                Some(Value::Money(m)) => Some(Some(read(&m.amount))),
                _ => Some(None),
            },
            _ => Some(None),
        }
    }

    // The cell's magnitude is the integer: no `Decimal` built to take it apart.
    #[inline(always)]
    fn amount_at<R>(
        &self,
        slot: u32,
        scale: u32,
        at_scale: impl FnOnce(i64) -> R,
        other: impl FnOnce(&Decimal) -> R,
    ) -> Option<Option<R>> {
        match *self.cell(slot) {
            Cell::Money {
                scale: s,
                negative,
                magnitude,
                ..
            } if u32::from(s) == scale => Some(Some(match i64::try_from(magnitude) {
                Ok(n) if negative => at_scale(-n),
                Ok(n) => at_scale(n),
                Err(_) => other(&packed::amount(magnitude, negative, s)),
            })),
            _ => self.money(slot, other),
        }
    }

    #[inline(always)]
    fn int(&self, slot: u32) -> Option<Option<i64>> {
        match *self.cell(slot) {
            Cell::Int(n) => Some(Some(n)),
            Cell::Unknown => None,
            _ => Some(None),
        }
    }

    #[inline(always)]
    fn date(&self, slot: u32) -> Option<Option<NaiveDate>> {
        match *self.cell(slot) {
            Cell::Date(d) => Some(Some(d)),
            Cell::Unknown => None,
            _ => Some(None),
        }
    }

    // The fact's own money, as the loaded facts answer.
    #[inline(always)]
    fn answer(&self, slot: u32, currency: Option<Currency>) -> Option<(Answer, bool)> {
        match (self.cell(slot), currency) {
            (
                &Cell::Money {
                    scale,
                    negative,
                    currency,
                    magnitude,
                },
                Some(_),
            ) => Some((
                Answer::Amount(Money {
                    amount: packed::amount(magnitude, negative, scale),
                    currency,
                }),
                magnitude == 0,
            )),
            _ => answer_of(self.fact(slot), currency),
        }
    }

    // Two texts by their bytes, two amounts of one scale by their signed
    // magnitudes (as `amounts` orders them), in place; the rest through `V`s.
    #[inline(always)]
    fn compare(&self, a: u32, b: u32, equality: bool) -> Compared {
        let signed = |negative: bool, magnitude: u64| {
            let magnitude = i128::from(magnitude);
            if negative { -magnitude } else { magnitude }
        };
        match (self.cell(a), self.cell(b)) {
            (Cell::Absent, _) | (_, Cell::Absent) => Compared::Absent,
            (Cell::Unknown, _) | (_, Cell::Unknown) => Compared::Unknown,
            (&Cell::Text { start, len }, &Cell::Text { start: s, len: l }) if equality => {
                Compared::Order(Some(text_order(self.bytes(start, len), self.bytes(s, l))))
            }
            (
                &Cell::Money {
                    scale,
                    negative,
                    magnitude,
                    ..
                },
                &Cell::Money {
                    scale: s,
                    negative: n,
                    magnitude: m,
                    ..
                },
            ) if scale == s => {
                Compared::Order(Some(signed(negative, magnitude).cmp(&signed(n, m))))
            }
            _ => compared(self.fact(a), self.fact(b), equality),
        }
    }
}

/// Orders two facts of one type; `None` for values with no order.
fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Money(x), Value::Money(y)) => Some(amounts(&x.amount, &y.amount)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Member(_, x), Value::Member(_, y)) => Some(x.cmp(y)),
        _ => None,
    }
}
