#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! The hot path (`decide_into`) must answer exactly as the full evaluator
//! (`decide_traced_into`): same answers, same reasons, same missing facts, on
//! every shipped example and on thousands of generated accounts, for the
//! shipped policies and for generated policy sets that use every condition
//! shape the hot path compiles. Packed facts (`decide_packed_into`) must
//! answer as the loaded facts do.

mod common;

use credo::engine::eval::NoTrace;
use credo::engine::verdict::Verdicts;
use credo::input::facts::{self, Facts, Format};
use credo::input::packed::PackedFacts;
use credo::testing::synth::{self, FactOptions, Rng};
use credo::{Program, Source, Sources};

/// 40 generated decisions of `rules` rules each: with 3, every decision is
/// settled by a decision table; with 8, most are interpreted rule by rule.
fn generated_policies(rules: usize) -> Program {
    let mut sources = Sources::default();
    for (name, text) in synth::policy_set(40, rules, 3) {
        sources.add(Source::new(name, text));
    }
    let checked = credo::check_sources(sources);
    assert!(
        checked.diagnostics.is_empty(),
        "{}",
        credo::lang::diagnostics::render(&checked.sources, &checked.diagnostics, false)
    );
    checked.program.expect("the generated policies compile")
}

/// Both paths on one account; a readable difference when they disagree.
fn same_answers(program: &Program, facts: &Facts, what: &str) -> usize {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let as_of = facts.as_of(&program.schema).unwrap_or(date);
    let (mut hot, mut full) = (Verdicts::default(), Verdicts::default());
    let hot_result = program.decide_into(facts, as_of, &[], &mut hot);
    let full_result = program.decide_traced_into(facts, as_of, &[], &mut full, &mut NoTrace);
    assert_eq!(hot_result, full_result, "{what}");
    let mut undetermined = 0;
    for (h, f) in hot.iter().zip(full.iter()) {
        let id = &program.decisions[f.decision as usize].id;
        assert_eq!(h.decision, f.decision, "{what}");
        assert_eq!(h.answer, f.answer, "{what}: {id}");
        assert_eq!(hot.causes(h), full.causes(f), "{what}: {id}");
        assert_eq!(hot.missing(h), full.missing(f), "{what}: {id}");
        undetermined += usize::from(f.answer == credo::engine::verdict::Answer::Undetermined);
    }
    assert_eq!(hot.iter().len(), full.iter().len(), "{what}");
    packed_answers_alike(program, facts, as_of, (&hot_result, &hot), what);
    undetermined
}

/// The same facts packed: unpacked exactly as they were, and decided to the
/// same verdicts (answers, reasons, missing facts) as loaded.
fn packed_answers_alike(
    program: &Program,
    facts: &Facts,
    as_of: chrono::NaiveDate,
    (hot_result, hot): (&Result<(), credo::EvalError>, &Verdicts),
    what: &str,
) {
    let packed = PackedFacts::new(facts);
    assert_eq!(packed.unpack(), *facts, "{what}");
    assert_eq!(packed.as_of(&program.schema), facts.as_of(&program.schema));
    let mut out = Verdicts::default();
    let result = program.decide_packed_into(&packed, as_of, &[], &mut out);
    assert_eq!(&result, hot_result, "{what}");
    assert_eq!(out.iter().len(), hot.iter().len(), "{what}");
    for (p, h) in out.iter().zip(hot.iter()) {
        let id = &program.decisions[h.decision as usize].id;
        assert_eq!(
            (p.decision, p.answer),
            (h.decision, h.answer),
            "{what}: {id}"
        );
        assert_eq!(out.causes(p), hot.causes(h), "{what}: {id}");
        assert_eq!(out.missing(p), hot.missing(h), "{what}: {id}");
    }
}

#[test]
fn hot_path_agrees_on_every_shipped_example() {
    let program = common::shipped();
    let mut count = 0;
    for (path, loaded) in common::examples(&program) {
        same_answers(&program, &loaded.facts, &path.display().to_string());
        count += 1;
    }
    assert!(count >= 50, "only {count} examples");
}

fn agrees_on_generated_accounts(program: &Program, schema_of_facts: &Program) {
    let mut rng = Rng::new(11);
    let options = FactOptions {
        unknown_permille: 150,
        bad_permille: 0,
    };
    let mut undetermined = 0;
    for n in 0..3000 {
        let line = synth::fact_line(&schema_of_facts.schema, &mut rng, options);
        let loaded = facts::load_text(&program.schema, &line, Format::Json).unwrap();
        undetermined += same_answers(program, &loaded.facts, &format!("account {n}: {line}"));
    }
    // Unknown facts must have sent a fair share down the full evaluator.
    assert!(
        undetermined > 100,
        "only {undetermined} undetermined answers"
    );
}

#[test]
fn hot_path_agrees_on_generated_accounts() {
    let program = common::shipped();
    agrees_on_generated_accounts(&program, &program);
}

#[test]
fn hot_path_agrees_on_generated_policies() {
    let program = generated_policies(8);
    agrees_on_generated_accounts(&program, &program);
}

#[test]
fn decision_tables_agree_on_generated_policies() {
    let program = generated_policies(3);
    agrees_on_generated_accounts(&program, &program);
}

/// Named conditions compile as their conditions written out. A decision that
/// uses another decision's outcome reads it from the account's verdicts when
/// it is settled there, and is left to the full evaluator otherwise (which
/// evaluates the used decision once per account and names its missing
/// facts). A decision with a rate is declined on purpose (`Plan::declined`).
/// Both paths must give the same verdicts.
#[test]
fn hot_path_agrees_on_named_conditions_uses_of_decisions_and_rates() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/semantics");
    for case in [
        "decision_uses_denied_amount_as_zero.credo",
        "decision_uses_undetermined_outcome.credo",
        "decision_outcome_tested_every_way.credo",
        "named_condition_used_in_rules_and_rows.credo",
        "rate_with_decision_rounding_and_cap.credo",
        "rate_rounding_modes_on_a_tie.credo",
    ] {
        let checked = common::check_files(&[&dir.join("schema.credo"), &dir.join(case)]);
        let program = checked.program.expect("the case compiles");
        let mut rng = Rng::new(5);
        let options = FactOptions {
            unknown_permille: 200,
            bad_permille: 0,
        };
        for n in 0..500 {
            let line = synth::fact_line(&program.schema, &mut rng, options);
            let loaded = facts::load_text(&program.schema, &line, Format::Json).unwrap();
            same_answers(
                &program,
                &loaded.facts,
                &format!("{case}, account {n}: {line}"),
            );
        }
    }
}
