#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Fail-closed, checked over every shipped example: removing any single fact
//! (any field, or any whole record) never turns `not_eligible` or `deny`
//! into `eligible` or `permit`, and never raises a decided amount to a
//! larger decided amount. It may make a decision undetermined.
//!
//! The snapshot counts, per example, the facts removed and every change of
//! outcome they caused, so that a change in what missing facts do is seen.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use credo::engine::eval::Request;
use credo::engine::outcome::{AsOfSource, Outcome};
use credo::input::doc::{self, Doc};
use credo::input::facts::{self, Format};

/// Every way to remove one fact: each field and each record, by path.
fn removals(doc: &Doc, prefix: &str, out: &mut Vec<Vec<String>>) {
    if let Doc::Map(entries) = doc {
        for (key, value) in entries {
            let mut path: Vec<String> = prefix
                .split('.')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            path.push(key.clone());
            out.push(path.clone());
            removals(value, &path.join("."), out);
        }
    }
}

fn without(doc: &Doc, path: &[String]) -> Doc {
    match (doc, path) {
        (Doc::Map(entries), [first, rest @ ..]) => Doc::Map(
            entries
                .iter()
                .filter(|(k, _)| !(rest.is_empty() && k == first))
                .map(|(k, v)| {
                    if k == first {
                        (k.clone(), without(v, rest))
                    } else {
                        (k.clone(), v.clone())
                    }
                })
                .collect(),
        ),
        _ => doc.clone(),
    }
}

/// The outcome class a transition is reported in.
fn class(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Amount(m) if m.amount.is_zero() => "zero".into(),
        Outcome::Amount(_) => "amount".into(),
        other => other.as_text(),
    }
}

#[test]
fn removing_a_fact_never_grants() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let program = credo::load_dir(&root.join("policies"))
        .expect("policies readable")
        .program
        .expect("shipped policies check");
    let mut paths: Vec<_> = std::fs::read_dir(root.join("policies/examples"))
        .expect("examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| Format::of_path(p).is_some())
        .collect();
    paths.sort();
    let mut report = String::new();
    let mut checked = 0;
    for path in &paths {
        let text = std::fs::read_to_string(path).expect("readable");
        let document = match Format::of_path(path).expect("a fact file") {
            Format::Yaml => doc::from_yaml(&text),
            Format::Json => doc::from_json(&text),
        }
        .expect("example parses");
        let original_facts = facts::load(&program.schema, &document)
            .expect("example loads")
            .facts;
        let request = Request {
            as_of: original_facts
                .as_of(&program.schema)
                .expect("examples say their date"),
            as_of_source: AsOfSource::Facts,
            decisions: &[],
        };
        let original = program
            .evaluate(&original_facts, &request)
            .expect("example evaluates");
        let mut all = Vec::new();
        removals(&document, "", &mut all);
        let mut changes: BTreeMap<String, usize> = BTreeMap::new();
        for removed in &all {
            let reduced = facts::load(&program.schema, &without(&document, removed))
                .expect("removing a fact leaves valid facts")
                .facts;
            let after = program
                .evaluate(&reduced, &request)
                .expect("reduced facts evaluate");
            for (before, now) in original.decisions.iter().zip(&after.decisions) {
                let at = format!(
                    "{}: without {}, {} went from {} to {}",
                    path.display(),
                    removed.join("."),
                    before.id,
                    before.outcome.as_text(),
                    now.outcome.as_text()
                );
                match (&before.outcome, &now.outcome) {
                    (Outcome::NotEligible, Outcome::Eligible)
                    | (Outcome::Deny, Outcome::Permit) => {
                        panic!("a missing fact granted: {at}")
                    }
                    (Outcome::Amount(a), Outcome::Amount(b)) => assert!(
                        b.amount <= a.amount,
                        "a missing fact raised an amount: {at}"
                    ),
                    _ => {}
                }
                if before.outcome != now.outcome {
                    *changes
                        .entry(format!(
                            "{}: {} -> {}",
                            before.id,
                            class(&before.outcome),
                            class(&now.outcome)
                        ))
                        .or_default() += 1;
                }
                checked += 1;
            }
        }
        let name = path.file_name().expect("a name").to_string_lossy();
        let _ = writeln!(report, "{name}: {} facts removed one at a time", all.len());
        for (change, count) in changes {
            let _ = writeln!(report, "  {change} ({count})");
        }
    }
    assert!(checked > 1000, "only {checked} decision outcomes compared");
    insta::assert_snapshot!(report);
}
