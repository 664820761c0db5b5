//! How a decision's rule and row truths combine into its answer: the
//! semantics' combining rules, written once. The full evaluator
//! ([`super::eval`]), the hot path's interpreter and its table builder
//! ([`super::hot`]) all call them. The reference evaluator
//! (`crate::testing::reference`) keeps its own copy on purpose: it is the
//! independent oracle these are checked against, so it must not share them.

use crate::base::money::Money;
use crate::engine::verdict::Answer;
use crate::model::ir::{Kind, Value};

/// What a run of rules (a decision's deny rules, or its allow rules) came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Rules {
    /// Some rule holds.
    pub(crate) held: bool,
    /// Some rule's condition is unknown.
    pub(crate) unknown: bool,
}

/// What an eligibility's or action's rules came to, once no deny rule holds
/// (a deny rule that holds settles the decision first: see [`denied`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ruling {
    /// An allow rule holds and no deny rule might.
    Granted,
    /// No allow rule holds, and none might.
    NoneAllowed,
    /// A deny rule might hold and block what an allow rule grants, or only
    /// an allow rule that might hold could grant: a missing fact never
    /// grants, and never refuses what it could have blocked.
    Undetermined,
}

/// Deny overrides allow: when no deny rule holds, the allow rules decide,
/// unless an unknown deny rule could still block them.
#[inline(always)]
pub(crate) fn ruling(denies: Rules, allows: Rules) -> Ruling {
    if allows.held && !denies.unknown {
        Ruling::Granted
    } else if !allows.held && !allows.unknown {
        Ruling::NoneAllowed
    } else {
        Ruling::Undetermined
    }
}

/// A ruling in the words of the decision's kind: eligible or not eligible,
/// permit or deny. Only eligibilities and actions have rulings.
pub(crate) fn ruled(kind: &Kind, ruling: Ruling) -> Answer {
    match (kind, ruling) {
        (Kind::Eligibility, Ruling::Granted) => Answer::Eligible,
        (Kind::Eligibility, Ruling::NoneAllowed) => Answer::NotEligible,
        (Kind::Action, Ruling::Granted) => Answer::Permit,
        (Kind::Action, Ruling::NoneAllowed) => Answer::Deny,
        _ => Answer::Undetermined,
    }
}

/// The answer when a deny rule holds, whatever else holds: the kind's
/// refusal, and for an amount, zero. (A classification has no deny rules.)
pub(crate) fn denied(kind: &Kind) -> Answer {
    match kind {
        Kind::Amount(c) => Answer::Amount(Money::zero(*c)),
        _ => ruled(kind, Ruling::NoneAllowed),
    }
}

/// A table row that holds gives the decision's answer unless a deny rule
/// might hold; then only a zero amount stands (a deny would give zero too).
#[inline(always)]
pub(crate) fn row_stands(maybe_denied: bool, zero: bool) -> bool {
    !maybe_denied || zero
}

/// What a table's rows came to under first match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FirstRow {
    /// The row at this index holds, and every row before it is false.
    Holds(usize),
    /// A row is unknown before any row holds: which row wins is open. (The
    /// full evaluator goes on to settle it when every row that could win
    /// gives the [`same_answer`].)
    Open,
    /// No row holds: only unknowns can get here, since the checker demands
    /// an `otherwise` row.
    None,
}

/// First match: the first row that holds wins; `truths` gives each row's
/// truth in order (`None` when unknown).
#[inline(always)]
pub(crate) fn first_row(truths: impl IntoIterator<Item = Option<bool>>) -> FirstRow {
    for (i, truth) in truths.into_iter().enumerate() {
        match truth {
            Some(true) => return FirstRow::Holds(i),
            None => return FirstRow::Open,
            Some(false) => {}
        }
    }
    FirstRow::None
}

/// Two row values give the same answer: equal, or both nothing (an absent
/// amount and a zero amount are the same answer).
pub(crate) fn same_answer(a: &Value, b: &Value) -> bool {
    let nothing = |v: &Value| match v {
        Value::Absent => true,
        Value::Money(m) => m.amount.is_zero(),
        _ => false,
    };
    a == b || (nothing(a) && nothing(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELD: Rules = Rules {
        held: true,
        unknown: false,
    };
    const UNKNOWN: Rules = Rules {
        held: false,
        unknown: true,
    };
    const NONE: Rules = Rules {
        held: false,
        unknown: false,
    };

    #[test]
    fn an_unknown_deny_blocks_a_known_allow() {
        assert_eq!(ruling(NONE, HELD), Ruling::Granted);
        assert_eq!(ruling(UNKNOWN, HELD), Ruling::Undetermined);
    }

    #[test]
    fn a_missing_fact_never_grants() {
        assert_eq!(ruling(NONE, UNKNOWN), Ruling::Undetermined);
        assert_eq!(ruling(NONE, NONE), Ruling::NoneAllowed);
        // Nothing to block, and nothing could grant: refused.
        assert_eq!(ruling(UNKNOWN, NONE), Ruling::NoneAllowed);
    }

    #[test]
    fn first_match_stops_at_the_first_row_that_holds_or_is_unknown() {
        let rows = |t: &[Option<bool>]| first_row(t.iter().copied());
        assert_eq!(rows(&[Some(false), Some(true), None]), FirstRow::Holds(1));
        assert_eq!(rows(&[Some(false), None, Some(true)]), FirstRow::Open);
        assert_eq!(rows(&[Some(false)]), FirstRow::None);
    }

    #[test]
    fn a_denied_amount_is_zero_and_a_denied_action_is_deny() {
        let usd = crate::base::money::Currency::from_code("USD");
        let zero = usd.map(|c| denied(&Kind::Amount(c)));
        assert_eq!(zero, usd.map(|c| Answer::Amount(Money::zero(c))));
        assert!(usd.is_some());
        assert_eq!(denied(&Kind::Action), Answer::Deny);
        assert_eq!(denied(&Kind::Eligibility), Answer::NotEligible);
    }
}
