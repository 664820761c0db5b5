//! The account's tested facts as a typed frame, built once when the facts
//! are loaded, so that deciding reads each tested fact as a plain integer.
//!
//! Deciding from [`crate::input::facts::Facts`] reads each tested fact as a
//! [`Value`] (a match on its type, money as a `Decimal` whose scale is
//! checked and whose mantissa is rebuilt) from a vector of every slot, whose
//! values lie wherever the account's slots do. A frame holds the tested
//! facts alone, packed in the order the fact regions ([`Regions`]) are
//! settled, each as one tagged `i64`: a member's index, a flag, an integer,
//! an amount in integers of minor units, a date as a day number. Placing it
//! in its region is then a count over sorted `i64` bounds. A value the frame
//! cannot hold exactly (an amount at another scale or beyond `i64`, or a
//! fact whose tests' constants are not all integers of minor units) is
//! marked so, and its region is found from the facts as before: the frame
//! is a faster way to the same answers, never an approximation.
//!
//! The frame is built from loaded [`Facts`]; a reader that knows the program
//! could fill it directly instead, writing each tested field's cell as it
//! parses it (the cell's integer is what [`Regions::cell`] computes from
//! the value), as long as it still fills the facts that two-fact tests, row
//! values and the full evaluator read.
//!
//! Measured (BENCHMARKS.md): it saves about 30 of some 2,070 instructions
//! an account and is no faster by time over 100,000 accounts, since those
//! other readers still touch the account's facts.

use std::sync::atomic::{AtomicU64, Ordering};

use super::regions::Regions;
use crate::input::facts::Facts;

/// Each compiled form gets its own layout number, so that a frame built for
/// one program is never read by another.
static LAYOUTS: AtomicU64 = AtomicU64::new(1);

pub(super) fn next_layout() -> u64 {
    LAYOUTS.fetch_add(1, Ordering::Relaxed)
}

/// One tested fact in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cell {
    pub(super) tag: Tag,
    pub(super) value: i64,
}

/// What a cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tag {
    /// Not given: the fact's tests are unknown.
    Unknown,
    /// A value of the fact's type, as an integer (see [`Cell`]).
    Known,
    /// Absent, or in no region: the fact's "other" row.
    Other,
    /// A value the frame does not hold exactly: read it from the facts.
    Facts,
}

/// An account's tested facts, packed; see the module documentation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Frame {
    /// The layout of the compiled form it was built for (0: none).
    pub(super) layout: u64,
    pub(super) cells: Vec<Cell>,
}

impl Frame {
    /// Fills the frame from `facts` for the facts the regions `tested`
    /// place, in their order, reusing its allocation.
    pub(super) fn fill(&mut self, layout: u64, tested: &[Regions], facts: &Facts) {
        self.layout = layout;
        self.cells.clear();
        self.cells.extend(tested.iter().map(|regions| {
            let value = facts
                .values
                .get(regions.slot as usize)
                .and_then(Option::as_ref);
            regions.cell(value)
        }));
    }
}

/// A cell's integer, for the kinds of values a frame holds.
pub(super) fn known(value: i64) -> Cell {
    Cell {
        tag: Tag::Known,
        value,
    }
}

pub(super) const UNKNOWN: Cell = Cell {
    tag: Tag::Unknown,
    value: 0,
};
pub(super) const OTHER: Cell = Cell {
    tag: Tag::Other,
    value: 0,
};
pub(super) const FROM_FACTS: Cell = Cell {
    tag: Tag::Facts,
    value: 0,
};

/// A date as a day number: days since 0001-01-01, in order.
pub(super) fn day(date: chrono::NaiveDate) -> i64 {
    use chrono::Datelike;
    i64::from(date.num_days_from_ce())
}
