#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! The compiled evaluator and the reference evaluator (`credo::testing::reference`)
//! must give exactly the same evaluation: on every shipped example, on
//! every semantics case, and on generated policies and facts.

mod common;
#[path = "common/generate.rs"]
mod generate;

use std::path::Path;

use chrono::NaiveDate;
use credo::engine::eval::{EvalError, Request};
use credo::engine::outcome::{AsOfSource, Evaluation};
use credo::input::facts::{self, Facts, Format};
use credo::{Program, Source, Sources};
use proptest::prelude::*;

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date")
}

fn both(
    program: &Program,
    facts: &Facts,
) -> (Result<Evaluation, EvalError>, Result<Evaluation, EvalError>) {
    let request = Request {
        as_of: facts.as_of(&program.schema).unwrap_or_else(date),
        as_of_source: AsOfSource::Facts,
        decisions: &[],
    };
    (
        program.evaluate(facts, &request),
        credo::testing::reference::evaluate(program, facts, &request),
    )
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn agrees_on_every_shipped_example() {
    let loaded = credo::load_dir(&root().join("policies")).expect("policies readable");
    let program = loaded.program.expect("shipped policies check");
    let mut compared = 0;
    for entry in std::fs::read_dir(root().join("policies/examples")).expect("examples") {
        let path = entry.expect("entry").path();
        let Some(format) = Format::of_path(&path) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("readable");
        let facts = facts::load_text(&program.schema, &text, format)
            .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
            .facts;
        let (compiled, reference) = both(&program, &facts);
        assert_eq!(compiled, reference, "{}", path.display());
        compared += 1;
    }
    assert!(compared >= 50, "only {compared} examples");
}

#[test]
fn agrees_on_every_semantics_case() {
    let dir = root().join("tests/cases/semantics");
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).expect("cases") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let checked =
            common::check_files(&[&dir.join("schema.credo"), &path.with_extension("credo")]);
        let program = checked.program.expect("case compiles");
        let text = std::fs::read_to_string(&path).expect("readable");
        let facts = facts::load_text(&program.schema, &text, Format::Yaml)
            .expect("facts load")
            .facts;
        let (compiled, reference) = both(&program, &facts);
        assert_eq!(compiled, reference, "{}", path.display());
        compared += 1;
    }
    assert!(compared >= 20, "only {compared} cases");
}

/// Checks a generated policy; the generator only writes well-typed ones.
fn compile(policy: &str) -> Program {
    let mut sources = Sources::default();
    sources.add(Source::new("schema.credo", generate::SCHEMA));
    sources.add(Source::new("generated.credo", policy));
    let checked = credo::check_sources(sources);
    match checked.program {
        Some(p) if !checked.has_errors() => p,
        _ => panic!(
            "the generator wrote a policy that does not check:\n{policy}\n{}",
            credo::lang::diagnostics::render(&checked.sources, &checked.diagnostics, false)
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(3000),
        max_shrink_iters: 20_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn agrees_on_generated_policies(policy in generate::policy(), doc in generate::facts()) {
        let program = compile(&policy);
        // Facts the loader rejects are the loader's business, not the evaluators'.
        if let Ok(loaded) = facts::load(&program.schema, &doc) {
            let (compiled, reference) = both(&program, &loaded.facts);
            prop_assert_eq!(compiled, reference, "policy:\n{}\nfacts: {:?}", policy, doc);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1500),
        max_shrink_iters: 20_000,
        ..ProptestConfig::default()
    })]

    /// Named conditions and decisions that use other decisions' outcomes.
    #[test]
    fn agrees_on_generated_policies_with_names(policy in generate::policy_with_names(), doc in generate::facts()) {
        let program = compile(&policy);
        if let Ok(loaded) = facts::load(&program.schema, &doc) {
            let (compiled, reference) = both(&program, &loaded.facts);
            prop_assert_eq!(compiled, reference, "policy:\n{}\nfacts: {:?}", policy, doc);
        }
    }
}

/// Past 128 facts the compiled evaluator keeps missing facts in a list,
/// not a bit set: the two evaluators must still agree.
#[test]
fn agrees_beyond_128_facts() {
    let fields: String = (0..200).map(|i| format!("    f{i}: int\n")).collect();
    let schema = format!("schema {{\n  account {{\n{fields}  }}\n}}\n");
    let all: Vec<String> = (0..200).map(|i| format!("account.f{i} > 0")).collect();
    let policy = format!(
        "decision wide: eligibility {{\n  deny odd when account.f150 == 1 or account.f3 == 2 because \"odd\"\n  allow all when {} because \"all\"\n}}\n",
        all.join(" and ")
    );
    let mut sources = Sources::default();
    sources.add(Source::new("schema.credo", schema));
    sources.add(Source::new("wide.credo", policy));
    let program = credo::check_sources(sources).program.expect("checks");
    for given in [0, 1, 3, 127, 128, 129, 151, 199, 200] {
        let entries: Vec<(String, credo::input::doc::Doc)> = (0..given)
            .map(|i| (format!("f{i}"), credo::input::doc::Doc::Int(1)))
            .collect();
        let doc = credo::input::doc::Doc::Map(vec![(
            "account".into(),
            credo::input::doc::Doc::Map(entries),
        )]);
        let facts = facts::load(&program.schema, &doc).expect("loads").facts;
        let (compiled, reference) = both(&program, &facts);
        assert_eq!(compiled, reference, "{given} facts given");
    }
}
