//! Fact regions: every test the tables use on one fact, settled at once.
//!
//! The constants that a fact is tested against split its values into a few
//! regions, and each test gives one truth over a whole region: for
//! `agency.client_spend`, tested against 5,000, 10,000, 20,000, 50,000 and
//! 150,000 USD, there are eleven (below 5,000, exactly 5,000, between 5,000
//! and 10,000, ...). So the bits of all those tests, for every region, are
//! worked out when the policies load, and an account's value only has to be
//! placed in its region: one search over the constants, then one row of bits.

use std::cmp::Ordering;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::source::FactSource;

use super::code::Op;

/// The tests on one fact slot whose bits are in one word, as rows of that
/// word: one row per region, then a row for a value of no region (absent),
/// then the mask of every bit the fact's tests own, which is what becomes
/// unknown when the fact is. A fact whose tests' bits are in several words
/// has regions for each.
#[derive(Debug, Clone)]
pub(super) struct Regions {
    pub(super) slot: u32,
    /// The word of an account's bits that the fact's rows are for.
    pub(super) word: u8,
    kind: Kind,
    /// The first of this fact's rows in [`super::table::Tables::rows`], the
    /// row of a value of no region, and the row of every bit it owns.
    rows: u32,
    other: u32,
    owned: u32,
}

/// How a fact's value finds its region.
#[derive(Debug, Clone)]
enum Kind {
    /// An enum fact: member `m` is region `min(m, members)`; the last region
    /// stands for every member no test names.
    Member {
        members: u32,
    },
    /// A boolean fact: region 1 for true, 0 for anything else.
    Flag,
    /// An ordered fact against sorted, distinct constants `c`: region `2i`
    /// lies strictly between `c[i-1]` and `c[i]`, region `2i+1` is `c[i]`.
    Ints(Bounds<i64>),
    Dates(Bounds<NaiveDate>),
    /// Amounts, also as integers of minor units at `scale`, the scale facts
    /// are written at, so that a fact's amount is placed without `Decimal`'s
    /// general comparison: as `i64`, which every amount of this domain fits
    /// and which compares in one instruction (an amount that does not is
    /// placed among `bounds`).
    Amounts {
        bounds: Vec<Decimal>,
        scale: u32,
        minor: Bounds<i64>,
    },
}

impl Regions {
    /// The regions of a fact from the tests on it, each with the bit it
    /// sets within `word`; `rows` gets this fact's rows. `None` when the
    /// tests are not all of one kind that regions can settle.
    pub(super) fn build(
        slot: u32,
        word: u8,
        tests: &[(&Op, u32)],
        rows: &mut Vec<u64>,
    ) -> Option<Regions> {
        let kind = Kind::of(tests)?;
        let count = kind.regions();
        let first = rows.len() as u32;
        let row = |holds: &dyn Fn(&Op) -> Option<bool>| -> Option<u64> {
            tests.iter().try_fold(0, |row, &(op, bit)| {
                Some(if holds(op)? {
                    row | 1 << (bit % 64)
                } else {
                    row
                })
            })
        };
        for region in 0..count {
            rows.push(row(&|op| kind.truth(op, region))?);
        }
        // An absent fact, or a value of another type, is in no region.
        rows.push(row(&|op| Some(absent_truth(op)))?);
        rows.push(row(&|_| Some(true))?);
        Some(Regions {
            slot,
            word,
            kind,
            rows: first,
            other: first + count,
            owned: first + count + 1,
        })
    }

    /// The row of bits for the fact's value in `values`: `Ok` with the
    /// region's row when the value is known, `Err` with the row of every
    /// bit the fact owns when it is unknown. Each kind asks the source for
    /// its own type only.
    #[inline(always)]
    pub(super) fn row<S: FactSource + ?Sized>(&self, values: &S) -> Result<u32, u32> {
        let slot = self.slot;
        let region = match &self.kind {
            Kind::Member { members } => values.member(slot).map(|m| m.map(|m| m.min(*members))),
            Kind::Flag => values.flag(slot).map(|b| Some(u32::from(b))),
            Kind::Amounts {
                scale,
                minor,
                bounds,
            } => values.amount_at(slot, *scale, |n| minor.region(&n), |m| region(bounds, m)),
            Kind::Ints(bounds) => values.int(slot).map(|n| n.map(|n| bounds.region(&n))),
            Kind::Dates(bounds) => values.date(slot).map(|d| d.map(|d| bounds.region(&d))),
        };
        match region {
            None => Err(self.owned),
            Some(Some(region)) => Ok(self.rows + region),
            Some(None) => Ok(self.other),
        }
    }

    /// An enum fact's member count and rows (first, other, owned), for
    /// [`super::table::Members`]; `None` for a fact of another kind.
    pub(super) fn members(&self) -> Option<(u32, u32, u32, u32)> {
        match self.kind {
            Kind::Member { members } => Some((members, self.rows, self.other, self.owned)),
            _ => None,
        }
    }

    /// A boolean fact's rows (first, owned), for [`super::table::Flag`];
    /// `None` for a fact of another kind.
    pub(super) fn flag(&self) -> Option<(u32, u32)> {
        match self.kind {
            Kind::Flag => Some((self.rows, self.owned)),
            _ => None,
        }
    }

    /// The row of bits for the evaluation date, which `as_of` tests read
    /// whatever the facts say.
    pub(super) fn date_row(&self, date: NaiveDate) -> u32 {
        match &self.kind {
            Kind::Dates(bounds) => self.rows + bounds.region(&date),
            _ => self.other,
        }
    }
}

impl Kind {
    fn of(tests: &[(&Op, u32)]) -> Option<Kind> {
        let (mut ints, mut dates, mut amounts) = (Vec::new(), Vec::new(), Vec::new());
        let (mut members, mut flags) = (None::<u32>, false);
        for &(op, _) in tests {
            match *op {
                Op::Member { set, .. } => {
                    let highest = 64 - set.leading_zeros();
                    members = Some(members.unwrap_or(0).max(highest));
                }
                Op::Flag { .. } => flags = true,
                Op::Money { amount, .. } => amounts.push(amount),
                Op::Int { value, .. } => ints.push(value),
                Op::Dates { low, high, .. } => dates.extend([low, high]),
                _ => return None,
            }
        }
        let kinds = [
            members.is_some(),
            flags,
            !ints.is_empty(),
            !dates.is_empty(),
            !amounts.is_empty(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            return None;
        }
        Some(if let Some(members) = members {
            Kind::Member { members }
        } else if flags {
            Kind::Flag
        } else if !amounts.is_empty() {
            amounts.sort();
            amounts.dedup();
            // Constants are rescaled to the currency's minor digits when
            // compiled; one that could not be keeps every amount on `Decimal`.
            let scale = amounts.first().map_or(0, Decimal::scale);
            let minor = if amounts.iter().all(|a| a.scale() == scale) {
                amounts
                    .iter()
                    .map(|a| i64::try_from(a.mantissa()).ok())
                    .collect::<Option<Vec<i64>>>()
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            let scale = if minor.is_empty() { u32::MAX } else { scale };
            Kind::Amounts {
                bounds: amounts,
                scale,
                minor: Bounds::new(minor, i64::MAX),
            }
        } else if !ints.is_empty() {
            ints.sort_unstable();
            ints.dedup();
            Kind::Ints(Bounds::new(ints, i64::MAX))
        } else {
            dates.sort_unstable();
            dates.dedup();
            Kind::Dates(Bounds::new(dates, NaiveDate::MAX))
        })
    }

    /// How many regions a value of the fact's own type can fall in.
    fn regions(&self) -> u32 {
        let ordered = |n: usize| 2 * n as u32 + 1;
        match self {
            Kind::Member { members } => members + 1,
            Kind::Flag => 2,
            Kind::Ints(bounds) => ordered(bounds.len()),
            Kind::Dates(bounds) => ordered(bounds.len()),
            Kind::Amounts { bounds, .. } => ordered(bounds.len()),
        }
    }

    /// A test's truth for a value in `region`.
    fn truth(&self, op: &Op, region: u32) -> Option<bool> {
        // How the region lies against the region of a constant.
        let against = |at: Result<usize, usize>| Some(region.cmp(&(2 * at.ok()? as u32 + 1)));
        Some(match (op, self) {
            (Op::Member { set, inside, .. }, _) => {
                (set.checked_shr(region).unwrap_or(0) & 1 == 1) == *inside
            }
            (Op::Flag { negated, .. }, _) => (region == 1) != *negated,
            (Op::Money { holds, amount, .. }, Kind::Amounts { bounds, .. }) => {
                holds.of(against(bounds.binary_search(amount))?)
            }
            (Op::Int { holds, value, .. }, Kind::Ints(bounds)) => {
                holds.of(against(bounds.binary_search(value))?)
            }
            (
                Op::Dates {
                    low, high, inside, ..
                },
                Kind::Dates(bounds),
            ) => {
                let from = against(bounds.binary_search(low))?;
                let to = against(bounds.binary_search(high))?;
                (from != Ordering::Less && to != Ordering::Greater) == *inside
            }
            _ => return None,
        })
    }
}

/// A test's truth when its fact holds no value of its type: declared absent.
fn absent_truth(op: &Op) -> bool {
    match *op {
        Op::Member { absent, .. }
        | Op::Money { absent, .. }
        | Op::Int { absent, .. }
        | Op::Dates { absent, .. } => absent,
        // Only `true` makes a flag hold.
        Op::Flag { negated, .. } => negated,
        _ => false,
    }
}

/// Sorted, distinct bounds of an integer or date fact. Up to eight are
/// kept padded to eight with the type's largest value, which no value is
/// below, so that all eight are compared with no test of the count between
/// them: a compare and an add each, none depending on another. (A search
/// takes fewer instructions but chains its loads, and was slower over
/// 100,000 accounts whose facts are not in the cache.)
#[derive(Debug, Clone)]
enum Bounds<T> {
    Few { padded: [T; 8], len: usize },
    Many(Vec<T>),
}

impl<T: Ord + Copy> Bounds<T> {
    fn new(sorted: Vec<T>, largest: T) -> Bounds<T> {
        let mut padded = [largest; 8];
        if sorted.len() > padded.len() {
            return Bounds::Many(sorted);
        }
        for (to, bound) in padded.iter_mut().zip(&sorted) {
            *to = *bound;
        }
        Bounds::Few {
            padded,
            len: sorted.len(),
        }
    }

    /// The region of `value` (see [`Kind::Ints`]).
    #[inline(always)]
    fn region(&self, value: &T) -> u32 {
        match self {
            Bounds::Few { padded, len } => {
                let below = padded.iter().filter(|b| *b < value).count();
                let equal = below < *len && padded.get(below) == Some(value);
                2 * below as u32 + u32::from(equal)
            }
            Bounds::Many(bounds) => region(bounds, value),
        }
    }
}

impl<T> std::ops::Deref for Bounds<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            Bounds::Few { padded, len } => padded.get(..*len).unwrap_or(padded),
            Bounds::Many(bounds) => bounds,
        }
    }
}

/// The region of `value` among sorted, distinct `bounds`: a few are
/// counted straight through, many are searched.
#[inline(always)]
fn region<T: Ord>(bounds: &[T], value: &T) -> u32 {
    let below = if bounds.len() <= 8 {
        bounds.iter().filter(|b| *b < value).count()
    } else {
        bounds.partition_point(|b| b < value)
    };
    let equal = bounds.get(below).is_some_and(|b| b == value);
    2 * below as u32 + u32::from(equal)
}

impl super::table::Placed for Regions {
    #[inline(always)]
    fn word(&self) -> u8 {
        self.word
    }
    #[inline(always)]
    fn row<S: FactSource + ?Sized>(&self, values: &S) -> Result<u32, u32> {
        Regions::row(self, values)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use crate::base::money::{Currency, Money};
    use crate::lang::ast::CompareOp;
    use crate::model::ir::Value;

    use super::super::code::{Holds, Op};
    use super::{Bounds, Regions, region};

    /// Bounds padded to eight place every value as the plain count does,
    /// the type's largest value (the padding) among them.
    #[test]
    fn padded_bounds_place_values_as_counting_does() {
        let values = [i64::MIN, -1, 0, 1, 3, 5, 7, 9, 10, 70, 71, i64::MAX];
        for bounds in [
            vec![],
            vec![5],
            vec![1, 5, 9],
            vec![1, 5, 9, 10, 20, 30, 40, i64::MAX],
            (0..11).map(|n| n * 7).collect(),
        ] {
            let padded = Bounds::new(bounds.clone(), i64::MAX);
            assert_eq!(matches!(padded, Bounds::Few { .. }), bounds.len() <= 8);
            assert_eq!(&*padded, bounds.as_slice());
            for value in values {
                assert_eq!(
                    padded.region(&value),
                    region(&bounds, &value),
                    "{value} among {bounds:?}"
                );
            }
        }
    }

    /// Amounts are placed as `i64` minor units; one too large for them, or
    /// written at another scale, is placed among the `Decimal` bounds, in
    /// the same region.
    #[test]
    fn amounts_too_large_for_minor_units_find_their_region() {
        let test = |cents: i64| Op::Money {
            slot: 0,
            holds: Holds::new(CompareOp::Ge),
            amount: Decimal::new(cents, 2),
            absent: false,
        };
        let ops = [test(100), test(500), test(1_000)];
        let tests: Vec<(&Op, u32)> = ops.iter().zip(0..).collect();
        let mut rows = Vec::new();
        let regions = Regions::build(0, 0, &tests, &mut rows).unwrap();
        let usd = Currency::from_code("USD").unwrap();
        let place = |amount: Decimal| {
            let values = [Some(Value::Money(Money::new(amount, usd)))];
            regions.row(values.as_slice()).map(|row| row - regions.rows)
        };
        let huge = Decimal::from_i128_with_scale(i128::from(i64::MAX) * 4, 2);
        assert_eq!(place(huge), Ok(6));
        assert_eq!(place(-huge), Ok(0));
        assert_eq!(place(Decimal::new(500, 2)), Ok(3));
        assert_eq!(place(Decimal::new(5_000, 3)), Ok(3));
        assert_eq!(place(Decimal::new(7_000, 3)), Ok(4));
        assert_eq!(place(Decimal::new(499, 2)), Ok(2));
    }
}
