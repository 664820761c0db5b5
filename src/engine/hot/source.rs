//! Where the hot path reads an account's facts: a fact source, asked per
//! slot for the hot path's view of the fact. The loaded facts
//! (`[Option<Value>]`) are one source; a row of Arrow columns is another,
//! which lends its text and reads its cells in place, so that a row read
//! from columns need not become `Value`s unless the full evaluator is needed.

use crate::model::ir::Value;

use super::V;

/// An account's facts as the hot path reads them.
pub(crate) trait FactSource {
    /// The fact at `slot`: its value, `Absent`, or `Unknown` when the
    /// account does not give it (or there is no such slot).
    fn fact(&self, slot: u32) -> V<'_>;
}

impl FactSource for [Option<Value>] {
    #[inline(always)]
    fn fact(&self, slot: u32) -> V<'_> {
        match self.get(slot as usize) {
            Some(Some(v)) => V::of(v),
            _ => V::Unknown,
        }
    }
}
