//! Where the hot path reads an account's facts: a fact source, asked per
//! slot for the hot path's view of the fact. The loaded facts
//! (`[Option<Value>]`) are one source; a row of Arrow columns is another,
//! which lends its text and reads its cells in place, so that a row read
//! from columns need not become `Value`s unless the full evaluator is needed.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::model::ir::Value;

use super::V;

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

    /// A money fact's amount (`Some(None)` for a value that is not money).
    #[inline(always)]
    fn money(&self, slot: u32) -> Option<Option<Decimal>> {
        match self.fact(slot) {
            V::Unknown => None,
            V::Money(m) => Some(Some(m)),
            _ => Some(None),
        }
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
    fn money(&self, slot: u32) -> Option<Option<Decimal>> {
        match self.get(slot as usize) {
            Some(Some(Value::Money(m))) => Some(Some(m.amount)),
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
}
