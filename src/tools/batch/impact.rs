//! The impact of a policy change over accounts seen in parts: flips per
//! decision and money totals before and after, tallied as `credo diff` does,
//! in a summary that adds up exactly. Summaries of the partitions of a
//! corpus, merged in any order, equal the summary of the whole corpus.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::base::money::Money;
use crate::engine::program::Program;
use crate::engine::verdict::{Answer, Verdicts};
use crate::input::facts::Facts;
use crate::model::ir::{Kind, Value, words};

/// What changes for one decision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionImpact {
    /// Accounts whose outcome changed.
    pub changed: u64,
    /// `from -> to`: how many accounts went so.
    pub flips: BTreeMap<String, u64>,
    /// For an amount: the sum of the amounts decided under each set, and
    /// the accounts it is undetermined for.
    pub before: Option<String>,
    pub after: Option<String>,
    pub undetermined_before: u64,
    pub undetermined_after: u64,
    /// The total before (after) outgrew an exact decimal: it is `None`
    /// from then on, through every merge, never restarted from a later
    /// amount.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overflowed_before: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overflowed_after: bool,
}

/// The impact of a change over some accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Impact {
    pub accounts: u64,
    /// Accounts without `as_of`, evaluated on the default date.
    pub undated: u64,
    /// Accounts that could not be read, and so are in no tally.
    pub failed: u64,
    pub decisions: BTreeMap<String, DecisionImpact>,
}

/// An outcome: its text and, for an amount, the amount.
fn outcome(program: &Program, verdicts: &Verdicts, index: u32) -> (String, Option<Money>) {
    let Some(v) = verdicts.iter().find(|v| v.decision == index) else {
        return ("error".into(), None);
    };
    let text = match v.answer {
        Answer::Eligible
        | Answer::NotEligible
        | Answer::Permit
        | Answer::Deny
        | Answer::NotApplicable
        | Answer::Undetermined => v.answer.word().unwrap_or_default().into(),
        Answer::Member(i) => program
            .decisions
            .get(index as usize)
            .and_then(|d| match d.kind {
                Kind::Classification(e) => program.schema.enum_type(e),
                _ => None,
            })
            .and_then(|e| e.members.get(i as usize))
            .cloned()
            .unwrap_or_else(|| "?".into()),
        Answer::Amount(m) => {
            let mut amount = m.amount;
            amount.rescale(m.currency.minor_digits());
            return (format!("{amount} {}", m.currency), Some(m));
        }
    };
    (text, None)
}

/// Adds money to a total given as text (`None`: none yet). `None` when the
/// sum is no exact decimal: the caller marks the total overflowed.
fn add(total: &Option<String>, amount: Money) -> Option<String> {
    let sum = match total {
        None => amount,
        Some(t) => t.parse::<Money>().ok()?.checked_add(&amount).ok()?,
    };
    let mut shown = sum;
    shown.amount.rescale(sum.currency.minor_digits());
    Some(shown.to_string())
}

/// Adds `amount` to a running total unless it has overflowed, and marks it
/// overflowed when this sum does.
fn tally(total: &mut Option<String>, overflowed: &mut bool, amount: Option<Money>) {
    if *overflowed {
        return;
    }
    if let Some(m) = amount {
        *total = add(total, m);
        *overflowed = total.is_none();
    }
}

impl Impact {
    /// An empty summary naming the decisions of both sets, so that a
    /// partition where nothing flipped still lists them.
    pub fn new(old: &Program, new: &Program) -> Impact {
        let mut decisions = BTreeMap::new();
        for d in new.decisions.iter().chain(&old.decisions) {
            let entry: &mut DecisionImpact = decisions.entry(d.id.clone()).or_default();
            let zero = |p: &Program| match p.decision(&d.id).map(|x| &x.kind) {
                Some(Kind::Amount(c)) => {
                    let mut m = Money::zero(*c);
                    m.amount.rescale(c.minor_digits());
                    Some(m.to_string())
                }
                _ => None,
            };
            entry.before = zero(old);
            entry.after = zero(new);
        }
        Impact {
            decisions,
            ..Impact::default()
        }
    }

    /// One account, read under each set's schema, evaluated under both:
    /// on `as_of` when one is given (it overrides the account's own date,
    /// as `credo diff --as-of` does), else on the account's `as_of`, else
    /// on `today`.
    pub fn add(
        &mut self,
        old: (&Program, &Facts),
        new: (&Program, &Facts),
        as_of: Option<NaiveDate>,
        today: NaiveDate,
        scratch: &mut Verdicts,
    ) {
        self.accounts += 1;
        let date = |p: &Program, f: &Facts| match p.as_of.and_then(|s| f.values.get(s.0 as usize)) {
            Some(Some(Value::Date(d))) => Some(*d),
            _ => None,
        };
        let own = date(old.0, old.1).or_else(|| date(new.0, new.1));
        if own.is_none() {
            self.undated += 1;
        }
        let as_of = as_of.or(own).unwrap_or(today);
        let mut outcomes = |(program, facts): (&Program, &Facts)| {
            let mut all = BTreeMap::new();
            let whole = program.decide_into(facts, as_of, &[], scratch).is_ok();
            for (i, d) in program.decisions.iter().enumerate() {
                let i = i as u32;
                let result = if whole {
                    outcome(program, scratch, i)
                } else {
                    // One decision's error must not hide the others'.
                    let mut one = Verdicts::default();
                    match program.decide_into(facts, as_of, &[i], &mut one) {
                        Ok(()) => outcome(program, &one, i),
                        Err(_) => ("error".into(), None),
                    }
                };
                all.insert(d.id.clone(), result);
            }
            all
        };
        let before = outcomes(old);
        let after = outcomes(new);
        for (id, tally) in &mut self.decisions {
            let was = before.get(id);
            let now = after.get(id);
            for (side, total, overflowed, undetermined) in [
                (
                    was,
                    &mut tally.before,
                    &mut tally.overflowed_before,
                    &mut tally.undetermined_before,
                ),
                (
                    now,
                    &mut tally.after,
                    &mut tally.overflowed_after,
                    &mut tally.undetermined_after,
                ),
            ] {
                match side {
                    Some((_, Some(m))) => self::tally(total, overflowed, Some(*m)),
                    Some((text, None)) if text == words::UNDETERMINED || text == "error" => {
                        *undetermined += 1
                    }
                    _ => {}
                }
            }
            let text = |o: Option<&(String, Option<Money>)>| {
                o.map_or_else(|| "(not defined)".to_owned(), |(t, _)| t.clone())
            };
            let (from, to) = (text(was), text(now));
            if from != to {
                tally.changed += 1;
                *tally.flips.entry(format!("{from} -> {to}")).or_default() += 1;
            }
        }
    }

    /// Adds another summary into this one.
    pub fn merge(&mut self, other: &Impact) {
        self.accounts += other.accounts;
        self.undated += other.undated;
        self.failed += other.failed;
        for (id, theirs) in &other.decisions {
            let ours = self.decisions.entry(id.clone()).or_default();
            ours.changed += theirs.changed;
            for (flip, count) in &theirs.flips {
                *ours.flips.entry(flip.clone()).or_default() += count;
            }
            for (total, overflowed, add_in, theirs_overflowed) in [
                (
                    &mut ours.before,
                    &mut ours.overflowed_before,
                    &theirs.before,
                    theirs.overflowed_before,
                ),
                (
                    &mut ours.after,
                    &mut ours.overflowed_after,
                    &theirs.after,
                    theirs.overflowed_after,
                ),
            ] {
                if theirs_overflowed {
                    *overflowed = true;
                    *total = None;
                    continue;
                }
                match add_in.as_deref().map(str::parse::<Money>) {
                    None => {}
                    Some(Ok(m)) => tally(total, overflowed, Some(m)),
                    // A summary's total that is no money cannot be added.
                    Some(Err(_)) => {
                        *overflowed = true;
                        *total = None;
                    }
                }
            }
            ours.undetermined_before += theirs.undetermined_before;
            ours.undetermined_after += theirs.undetermined_after;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(text: &str) -> Money {
        format!("{text} USD")
            .parse()
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn an_overflowed_total_stays_overflowed() {
        let (mut total, mut overflowed) = (Some("0.00 USD".to_owned()), false);
        for _ in 0..2 {
            tally(
                &mut total,
                &mut overflowed,
                Some(usd("70000000000000000000000000000")),
            );
        }
        assert_eq!((total.as_deref(), overflowed), (None, true));
        // A later amount does not start the total again.
        tally(&mut total, &mut overflowed, Some(usd("1.00")));
        assert_eq!((total.as_deref(), overflowed), (None, true));
    }

    #[test]
    fn cents_past_28_digits_overflow_rather_than_round() {
        let (mut total, mut overflowed) = (
            Some("700000000000000000000000000.02".to_owned() + " USD"),
            false,
        );
        tally(
            &mut total,
            &mut overflowed,
            Some(usd("100000000000000000000000000.01")),
        );
        assert!(overflowed && total.is_none());
    }

    #[test]
    fn merging_keeps_an_overflow_in_either_order() {
        let tallied = |before: Option<&str>, overflowed_before: bool| {
            let decision = DecisionImpact {
                before: before.map(str::to_owned),
                overflowed_before,
                ..DecisionImpact::default()
            };
            Impact {
                decisions: BTreeMap::from([("rebate".to_owned(), decision)]),
                ..Impact::default()
            }
        };
        let (fine, overflowed) = (tallied(Some("1.00 USD"), false), tallied(None, true));
        for (first, second) in [(&fine, &overflowed), (&overflowed, &fine)] {
            let mut merged = Impact::default();
            merged.merge(first);
            merged.merge(second);
            let rebate = &merged.decisions["rebate"];
            assert_eq!(
                (rebate.before.as_deref(), rebate.overflowed_before),
                (None, true)
            );
        }
        let mut two = Impact::default();
        two.merge(&fine);
        two.merge(&fine);
        assert_eq!(two.decisions["rebate"].before.as_deref(), Some("2.00 USD"));
    }
}
