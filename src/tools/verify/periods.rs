//! The periods time falls into for a policy set: the days between which no
//! date test on `as_of` (an effective window, or any comparison of `as_of`
//! with a date) changes its answer. `verify` tries the days around every
//! boundary, so each assertion is checked in every period; a counterexample
//! names the period it lies in.

use chrono::NaiveDate;

use crate::lang::ast::CompareOp;
use crate::model::ir::{Model, Node, Period, Value};

/// `d OP as_of` read as `as_of OP' d`.
fn flipped(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        other => other,
    }
}

/// The first days of the periods after the first: every day on which some
/// `as_of` test may change its answer, sorted, each once.
pub fn boundaries(model: &Model) -> Vec<NaiveDate> {
    let Some(as_of) = model.as_of else {
        return Vec::new();
    };
    let reads_as_of = |n| matches!(model.node(n), Some(Node::Fact(s)) if *s == as_of);
    let date = |n| match model.node(n) {
        Some(Node::Const(Value::Date(d))) => Some(*d),
        _ => None,
    };
    let mut days = Vec::new();
    for node in &model.nodes {
        match node {
            Node::InRange {
                value, low, high, ..
            } if reads_as_of(*value) => {
                days.extend(date(*low));
                days.extend(date(*high).and_then(|d| d.succ_opt()));
            }
            Node::Compare(op, a, b) if reads_as_of(*a) || reads_as_of(*b) => {
                // With `as_of` on the left: `as_of < d` changes on d, `as_of <= d` the day after.
                let (op, d) = if reads_as_of(*a) {
                    (*op, date(*b))
                } else {
                    (flipped(*op), date(*a))
                };
                let Some(d) = d else { continue };
                match op {
                    CompareOp::Lt | CompareOp::Ge => days.push(d),
                    CompareOp::Le | CompareOp::Gt => days.extend(d.succ_opt()),
                    CompareOp::Eq | CompareOp::Ne => {
                        days.push(d);
                        days.extend(d.succ_opt());
                    }
                }
            }
            _ => {}
        }
    }
    days.sort();
    days.dedup();
    days
}

/// The period `day` lies in, between `boundaries`.
pub fn period_of(boundaries: &[NaiveDate], day: NaiveDate) -> Period {
    let after = boundaries.partition_point(|b| *b <= day);
    Period {
        from: after
            .checked_sub(1)
            .and_then(|i| boundaries.get(i))
            .copied(),
        until: boundaries.get(after).and_then(|b| b.pred_opt()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        crate::base::dates::parse(text).unwrap_or_default()
    }

    #[test]
    fn a_day_lies_between_the_boundaries_around_it() {
        let bounds = [day("2026-10-01"), day("2027-01-01")];
        let shown = |d: &str| period_of(&bounds, day(d)).to_string();
        assert_eq!(shown("2026-09-30"), "until 2026-09-30");
        assert_eq!(shown("2026-10-01"), "2026-10-01..2026-12-31");
        assert_eq!(shown("2026-12-31"), "2026-10-01..2026-12-31");
        assert_eq!(shown("2027-01-01"), "from 2027-01-01");
        assert_eq!(period_of(&[], day("2027-01-01")).to_string(), "always");
    }
}
