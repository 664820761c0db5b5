#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Effective dates across evaluators: on every day around every window
//! boundary of the dated semantics cases, with generated accounts, the hot
//! path, the full evaluator and the reference evaluator give the same answer.
//!
//! The hot path neither selects a version nor declines one: the checker
//! compiles each version's rules and rows to conditions that test `as_of`
//! first (see `src/model/check/windows.rs`), and the hot path reads `as_of`
//! as it reads any date test. So the hot path is exercised here, not
//! bypassed, and must agree with the other two on every day.

mod common;

use chrono::NaiveDate;
use credo::engine::eval::{NoTrace, Request};
use credo::engine::outcome::AsOfSource;
use credo::engine::verdict::Verdicts;
use credo::input::facts::{self, Format};
use credo::testing::synth::{self, FactOptions, Rng};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Every date a case's text writes, with the day before and after each.
fn boundary_days(policy: &str) -> Vec<NaiveDate> {
    let mut days = Vec::new();
    for word in policy.split(|c: char| !(c.is_ascii_digit() || c == '-')) {
        if word.len() == 10
            && let Ok(d) = NaiveDate::parse_from_str(word, "%Y-%m-%d")
        {
            days.extend([d.pred_opt().unwrap(), d, d.succ_opt().unwrap()]);
        }
    }
    days.extend([day("0001-01-01"), day("9999-12-31")]);
    days.sort();
    days.dedup();
    days
}

#[test]
fn every_evaluator_agrees_on_every_day_around_every_window() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/semantics");
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.starts_with("dated_") || name.starts_with("declared_gap"))
            || !name.ends_with(".credo")
        {
            continue;
        }
        let checked = common::check_files(&[&dir.join("schema.credo"), &path]);
        let program = checked.program.expect("the case compiles");
        let text = std::fs::read_to_string(&path).unwrap();
        let days = boundary_days(&text);
        assert!(days.len() > 3, "{name}: no dates");
        let mut rng = Rng::new(12);
        let options = FactOptions {
            unknown_permille: 200,
            bad_permille: 0,
        };
        for n in 0..60 {
            let line = synth::fact_line(&program.schema, &mut rng, options);
            let loaded = facts::load_text(&program.schema, &line, Format::Json).unwrap();
            for &as_of in &days {
                let what = format!("{name} on {as_of}, account {n}: {line}");
                let (mut hot, mut full) = (Verdicts::default(), Verdicts::default());
                let hot_result = program.decide_into(&loaded.facts, as_of, &[], &mut hot);
                let full_result =
                    program.decide_traced_into(&loaded.facts, as_of, &[], &mut full, &mut NoTrace);
                assert_eq!(hot_result, full_result, "{what}");
                for (h, f) in hot.iter().zip(full.iter()) {
                    assert_eq!(h.answer, f.answer, "{what}");
                    assert_eq!(hot.causes(h), full.causes(f), "{what}");
                    assert_eq!(hot.missing(h), full.missing(f), "{what}");
                }
                let request = Request {
                    as_of,
                    as_of_source: AsOfSource::Option,
                    decisions: &[],
                };
                let compiled = program.evaluate(&loaded.facts, &request);
                let reference =
                    credo::testing::reference::evaluate(&program, &loaded.facts, &request);
                assert_eq!(compiled, reference, "{what}");
            }
        }
        cases += 1;
    }
    assert!(cases >= 6, "only {cases} dated cases");
}

/// The version an outcome names is the one in force: the shipped seasonal
/// incentive on the last day of the 2026 version and the first of the 2027 one.
#[test]
fn the_shipped_seasonal_incentive_names_its_version() {
    let program = common::shipped();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("policies/examples/no_seasonal_incentive_day_after_season.yaml"),
    )
    .unwrap();
    let loaded = facts::load_text(&program.schema, &text, Format::Yaml).unwrap();
    let ids = ["seasonal_spend_incentive".to_owned()];
    let mut seen = Vec::new();
    for as_of in [day("2026-12-31"), day("2027-01-01")] {
        let request = Request {
            as_of,
            as_of_source: AsOfSource::Option,
            decisions: &ids,
        };
        let evaluation = program.evaluate(&loaded.facts, &request).unwrap();
        let outcome = &evaluation.decisions[0];
        let version = outcome.version.as_ref().expect("a versioned decision");
        seen.push((outcome.outcome.as_text(), version.effective.clone()));
    }
    assert_eq!(
        seen,
        [
            ("750.00 USD".to_owned(), "until 2026-12-31".to_owned()),
            ("0.00 USD".to_owned(), "from 2027-01-01".to_owned()),
        ]
    );
}
