//! Money times a rate, rounded: `round(agency.client_spend * 2%, half_even)`.
//!
//! A rounded amount is a step function of its fact, not a line, so
//! [`super::domain`] keeps it as a term of its own. But every rounding mode
//! is monotone (a larger exact amount never rounds to a smaller one), so the
//! rounded amount is monotone in the fact, and its comparison with a
//! constant changes truth at most twice along the fact's line: where it
//! first reaches the constant, and where it first passes it. Those places
//! are found exactly, on the fact's own grid, by evaluating the rounding
//! as the evaluator does (exact decimals, the author's mode, the currency's
//! minor unit), so a threshold on the rounded amount becomes a threshold on
//! the fact.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::lang::ast::Rounding;
use crate::model::schema::Slot;

/// `round(factor * fact + offset, mode)` to `digits` decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rounded {
    /// The one fact the amount is computed from.
    pub slot: Slot,
    /// The rate (and any whole multiple) the fact is scaled by; never zero
    /// in a term, as a zero factor is a constant.
    pub factor: Decimal,
    /// What is added before rounding, in the currency.
    pub offset: Decimal,
    /// The mode, by position in [`Rounding::ALL`] (so that terms can be ordered).
    mode: u8,
    /// The currency's minor digits, the grid rounded to.
    pub digits: u32,
}

/// Why a rounded amount cannot be split exactly.
pub const TOO_LARGE: &str = "has numbers too large to analyse";

impl Rounded {
    pub fn new(
        slot: Slot,
        factor: Decimal,
        offset: Decimal,
        mode: Rounding,
        digits: u32,
    ) -> Rounded {
        let mode = Rounding::ALL
            .iter()
            .position(|m| *m == mode)
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or(0);
        Rounded {
            slot,
            factor,
            offset,
            mode,
            digits,
        }
    }

    pub fn mode(&self) -> Rounding {
        Rounding::ALL
            .get(usize::from(self.mode))
            .copied()
            .unwrap_or(Rounding::HalfEven)
    }

    /// Whether the rounding changes nothing for any value of the fact on
    /// its grid (`round(x * 200%, ..)` of cents): then it is a line.
    pub fn is_identity(&self, unit: Decimal) -> bool {
        let cent = Decimal::new(1, self.digits);
        let on_grid =
            |d: Option<Decimal>| d.is_some_and(|d| d.checked_rem(cent) == Some(Decimal::ZERO));
        on_grid(exact_mul(self.factor, unit)) && on_grid(Some(self.offset))
    }

    /// The rounded amount at `x`, exactly as the evaluator computes it; `None`
    /// when the exact amount does not fit a decimal.
    pub fn at(&self, x: Decimal) -> Option<Decimal> {
        let exact = exact_add(exact_mul(self.factor, x)?, self.offset)?;
        Some(self.mode().apply(exact, self.digits))
    }

    /// The points of the fact's grid, within `low..=high` (`unit` apart),
    /// where `rounded op c` can change truth for any comparison `op`: for
    /// each change, the last point before it and the first after.
    pub fn boundaries(
        &self,
        c: Decimal,
        low: Decimal,
        high: Decimal,
        unit: Decimal,
    ) -> Result<Vec<Decimal>, &'static str> {
        if self.factor.is_zero() {
            return Ok(Vec::new());
        }
        // Rounding moves an amount by less than one minor unit, so away
        // from `c - cent .. c + cent` of the exact amount the comparison is
        // settled: the changes lie in this bracket of the fact.
        let cent = Decimal::new(1, self.digits);
        let end = |sign: Decimal| {
            c.checked_sub(self.offset)?
                .checked_add(cent.checked_mul(sign)?)?
                .checked_div(self.factor)
        };
        let (a, b) = (
            end(-Decimal::ONE).ok_or(TOO_LARGE)?,
            end(Decimal::ONE).ok_or(TOO_LARGE)?,
        );
        let (t_low, t_high) = if a <= b { (a, b) } else { (b, a) };
        let digits = unit.scale();
        let below = t_low
            .round_dp_with_strategy(digits, RoundingStrategy::ToNegativeInfinity)
            .checked_sub(unit);
        let above = t_high
            .round_dp_with_strategy(digits, RoundingStrategy::ToPositiveInfinity)
            .checked_add(unit);
        let from = below.map_or(low, |p| p.max(low));
        let to = above.map_or(high, |p| p.min(high));
        if from > to {
            // The whole bracket is beyond what a document can give.
            return Ok(Vec::new());
        }
        let value = |x: Decimal| self.at(x).ok_or(TOO_LARGE);
        let (at_from, at_to) = (value(from)?, value(to)?);
        // The bracket's ends, where not cut by the domain, are settled: a
        // bracket made wrong by an inexact division is caught here.
        let rising = self.factor.is_sign_positive();
        let settled = |v: Decimal, left: bool| (v < c) == (left == rising) && v != c;
        if (below == Some(from) && !settled(at_from, true))
            || (above == Some(to) && !settled(at_to, false))
        {
            return Err(TOO_LARGE);
        }
        let mut points = Vec::new();
        for reached in [
            (|v: Decimal, c: Decimal| v >= c) as fn(Decimal, Decimal) -> bool,
            |v, c| v > c,
        ] {
            let holds = |x: Decimal| value(x).map(|v| reached(v, c));
            let (left, right) = (reached(at_from, c), reached(at_to, c));
            if left == right {
                continue;
            }
            // The first point where it holds as at `to`: halve the gap.
            let (mut lo, mut hi) = (from, to);
            while hi.checked_sub(lo).ok_or(TOO_LARGE)? > unit {
                let steps = (hi - lo)
                    .checked_div(unit)
                    .ok_or(TOO_LARGE)?
                    .checked_div(Decimal::TWO)
                    .ok_or(TOO_LARGE)?
                    .floor();
                let mid = lo
                    .checked_add(steps.checked_mul(unit).ok_or(TOO_LARGE)?)
                    .ok_or(TOO_LARGE)?;
                if holds(mid)? == right {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            points.push(lo);
            points.push(hi);
        }
        Ok(points)
    }
}

/// `a * b` when it fits a decimal exactly; `None` rather than a rounded product.
pub fn exact_mul(a: Decimal, b: Decimal) -> Option<Decimal> {
    let m = a.mantissa().checked_mul(b.mantissa())?;
    Decimal::try_from_i128_with_scale(m, a.scale().checked_add(b.scale())?).ok()
}

/// `a + b` when it fits a decimal exactly.
pub fn exact_add(a: Decimal, b: Decimal) -> Option<Decimal> {
    let scale = a.scale().max(b.scale());
    let widen = |d: Decimal| {
        10i128
            .checked_pow(scale - d.scale())?
            .checked_mul(d.mantissa())
    };
    let m = widen(a)?.checked_add(widen(b)?)?;
    Decimal::try_from_i128_with_scale(m, scale).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    /// The points found are exactly where the evaluator's rounding crosses.
    #[test]
    fn two_percent_half_even_reaches_ten_dollars_at_499_75() {
        let r = Rounded::new(Slot(0), d("0.02"), Decimal::ZERO, Rounding::HalfEven, 2);
        let points = r
            .boundaries(d("10.00"), Decimal::ZERO, Decimal::MAX, d("0.01"))
            .unwrap_or_default();
        // 499.75 * 2% = 9.995, a tie, to the even 10.00; 499.74 gives 9.99.
        // 500.25 * 2% = 10.005, a tie, to the even 10.00; 500.26 gives 10.01.
        assert_eq!(points, [d("499.74"), d("499.75"), d("500.25"), d("500.26")]);
    }

    #[test]
    fn half_up_and_negative_amounts() {
        let r = Rounded::new(Slot(0), d("0.02"), Decimal::ZERO, Rounding::HalfUp, 2);
        let points = r
            .boundaries(d("-10.00"), Decimal::MIN, Decimal::MAX, d("0.01"))
            .unwrap_or_default();
        // -500.25 * 2% = -10.005, away from zero to -10.01.
        assert_eq!(
            points,
            [d("-500.25"), d("-500.24"), d("-499.75"), d("-499.74")]
        );
    }

    #[test]
    fn a_falling_rate_and_a_currency_without_cents() {
        let r = Rounded::new(Slot(0), d("-0.5"), d("100"), Rounding::Floor, 0);
        let points = r
            .boundaries(d("90"), Decimal::ZERO, Decimal::MAX, Decimal::ONE)
            .unwrap_or_default();
        // floor(100 - x/2) >= 90 up to x = 20, > 90 (91 or more) up to x = 18.
        assert_eq!(points, [d("20"), d("21"), d("18"), d("19")]);
    }
}
