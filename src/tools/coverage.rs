//! Rule and row coverage: a [`Tracer`] that counts, over many evaluations,
//! how often each rule fired and each table row was chosen.
//!
//! A rule fires when its condition holds (for `deny .. unless C`, when C is
//! false); an `allow` without a condition fires when the decision grants. A
//! row fires when the outcome is its value.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::engine::eval::Tracer;
use crate::engine::outcome::{DecisionOutcome, Outcome, Reason};
use crate::engine::program::Program;
use crate::model::ir::{DecisionIr, RuleIr};

/// One rule or row and the number of evaluations that fired it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub decision: String,
    /// `deny not_smb`, `allow self_serve_smb`, `row 2`, `otherwise`.
    pub what: String,
    pub at: String,
    pub count: usize,
}

/// Counts per rule and row of a program, in policy order.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    items: Vec<Item>,
    /// (decision id, rule id or row label, where it is written) to its item:
    /// versions of a rule share its id, and of a decision its row labels.
    index: BTreeMap<(String, String, String), usize>,
    /// By decision, the rules whose condition held (and whether they have
    /// none), until the decision's outcome is known.
    held: BTreeMap<String, Vec<(String, bool, String)>>,
    /// The decision whose rules are being evaluated.
    current: String,
}

impl Coverage {
    /// Every rule and row of the program, none fired yet.
    pub fn new(program: &Program) -> Coverage {
        let mut coverage = Coverage::default();
        for d in &program.decisions {
            let mut rules: Vec<(&RuleIr, &str)> = d
                .denies
                .iter()
                .map(|r| (r, "deny"))
                .chain(d.allows.iter().map(|r| (r, "allow")))
                .collect();
            rules.sort_by_key(|(r, _)| (r.origin.span.file, r.origin.span.start));
            let named = rules
                .into_iter()
                .map(|(r, effect)| (r.id.clone(), format!("{effect} {}", r.id), &r.origin))
                .chain(
                    d.rows
                        .iter()
                        .map(|row| (row.label.clone(), row.label.clone(), &row.origin)),
                );
            for (key, what, origin) in named {
                coverage
                    .index
                    .insert((d.id.clone(), key, origin.at.clone()), coverage.items.len());
                coverage.items.push(Item {
                    decision: d.id.clone(),
                    what,
                    at: origin.at.clone(),
                    count: 0,
                });
            }
        }
        coverage
    }

    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// How many rules and rows fired at least once.
    pub fn reached(&self) -> usize {
        self.items.iter().filter(|i| i.count > 0).count()
    }

    /// The share of rules and rows that fired, in percent (100 when there are none).
    pub fn percent(&self) -> f64 {
        if self.items.is_empty() {
            return 100.0;
        }
        self.reached() as f64 * 100.0 / self.items.len() as f64
    }

    fn count(&mut self, decision: &str, key: &str, at: &str) {
        let key = (decision.to_owned(), key.to_owned(), at.to_owned());
        if let Some(&i) = self.index.get(&key)
            && let Some(item) = self.items.get_mut(i)
        {
            item.count += 1;
        }
    }

    /// Every rule and row with its count, then those that never fired.
    pub fn render(&self) -> String {
        let total = self.items.len();
        let mut out = format!(
            "coverage: {} of {total} rules and rows fired ({:.1}%)\n",
            self.reached(),
            self.percent()
        );
        let width = self.items.iter().map(|i| i.what.len()).max().unwrap_or(0);
        let mut decision = "";
        for item in &self.items {
            if item.decision != decision {
                decision = &item.decision;
                let _ = writeln!(out, "\n{decision}");
            }
            let _ = writeln!(
                out,
                "  {:>5}  {:<width$}  {}",
                item.count, item.what, item.at
            );
        }
        let never: Vec<&Item> = self.items.iter().filter(|i| i.count == 0).collect();
        if never.is_empty() {
            out.push_str("\nevery rule and row fired in at least one case\n");
        } else {
            let _ = writeln!(out, "\nnever fired ({}):", never.len());
            for item in never {
                let _ = writeln!(out, "  {}: {} ({})", item.decision, item.what, item.at);
            }
        }
        out
    }
}

impl Tracer for Coverage {
    fn decision(&mut self, decision: &DecisionIr) {
        self.current.clone_from(&decision.id);
        self.held.insert(decision.id.clone(), Vec::new());
    }

    fn rule(&mut self, rule: &RuleIr, holds: Option<bool>) {
        if holds == Some(true)
            && let Some(held) = self.held.get_mut(&self.current)
        {
            held.push((
                rule.id.clone(),
                rule.written.is_none(),
                rule.origin.at.clone(),
            ));
        }
    }

    fn outcome(&mut self, decision: &DecisionIr, outcome: &DecisionOutcome) {
        let grants = matches!(outcome.outcome, Outcome::Eligible | Outcome::Permit);
        let held = self.held.remove(&decision.id).unwrap_or_default();
        for (id, unconditional, at) in held {
            let allow = decision.allows.iter().any(|r| r.id == id);
            // An allow that always holds fires only when nothing stops it.
            if !(allow && unconditional && !grants) {
                self.count(&decision.id, &id, &at);
            }
        }
        // A row is chosen when the outcome is its value, named as the one reason.
        if outcome.outcome != Outcome::Undetermined
            && let [Reason { rule, at, .. }] = outcome.reasons.as_slice()
            && decision.rows.iter().any(|r| r.label == *rule)
        {
            self.count(&decision.id, rule, at);
        }
    }
}
