#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Deciding from a frame (`Program::framed`, `decide_framed_into`) must give
//! exactly the verdicts of deciding from the facts (`decide_into`, which
//! `tests/compiled.rs` checks against the full evaluator): same answers,
//! reasons and missing facts, with facts unknown, absent, of amounts the
//! frame does not hold as integers, on every day around every effective
//! date, and with a frame built for another program.

mod common;

use chrono::NaiveDate;
use credo::engine::verdict::Verdicts;
use credo::input::facts::{self, Facts, Format};
use credo::testing::synth::{self, FactOptions, Rng};
use credo::{Program, Source, Sources};

fn generated_policies(rules: usize) -> Program {
    let mut sources = Sources::default();
    for (name, text) in synth::policy_set(40, rules, 3) {
        sources.add(Source::new(name, text));
    }
    credo::check_sources(sources)
        .program
        .expect("the generated policies compile")
}

/// Both ways on one account, framed for `framer` (the program itself, or
/// another one whose frame must then be ignored).
fn same_verdicts(program: &Program, framer: &Program, facts: &Facts, as_of: NaiveDate, what: &str) {
    let (mut plain, mut framed) = (Verdicts::default(), Verdicts::default());
    let plain_result = program.decide_into(facts, as_of, &[], &mut plain);
    let frame = framer.framed(facts.clone());
    let framed_result = program.decide_framed_into(&frame, as_of, &[], &mut framed);
    assert_eq!(plain_result, framed_result, "{what}");
    assert_eq!(plain.iter().len(), framed.iter().len(), "{what}");
    for (p, f) in plain.iter().zip(framed.iter()) {
        let id = &program.decisions[p.decision as usize].id;
        assert_eq!(
            (p.decision, p.answer),
            (f.decision, f.answer),
            "{what}: {id}"
        );
        assert_eq!(plain.causes(p), framed.causes(f), "{what}: {id}");
        assert_eq!(plain.missing(p), framed.missing(f), "{what}: {id}");
    }
    assert_eq!(frame.facts(), facts, "{what}");
}

fn generated_accounts(program: &Program, count: usize, seed: u64) -> Vec<(String, Facts)> {
    let mut rng = Rng::new(seed);
    let options = FactOptions {
        unknown_permille: 150,
        bad_permille: 0,
    };
    (0..count)
        .map(|_| {
            let line = synth::fact_line(&program.schema, &mut rng, options);
            let loaded = facts::load_text(&program.schema, &line, Format::Json).unwrap();
            (line, loaded.facts)
        })
        .collect()
}

fn date(program: &Program, facts: &Facts) -> NaiveDate {
    facts
        .as_of(&program.schema)
        .unwrap_or(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap())
}

#[test]
fn framed_verdicts_equal_plain_ones_on_every_shipped_example() {
    let program = common::shipped();
    for (path, loaded) in common::examples(&program) {
        let as_of = date(&program, &loaded.facts);
        same_verdicts(
            &program,
            &program,
            &loaded.facts,
            as_of,
            &path.display().to_string(),
        );
    }
}

#[test]
fn framed_verdicts_equal_plain_ones_on_generated_accounts_and_policies() {
    for program in [
        common::shipped(),
        generated_policies(3),
        generated_policies(8),
    ] {
        for (line, facts) in generated_accounts(&program, 2000, 13) {
            same_verdicts(&program, &program, &facts, date(&program, &facts), &line);
        }
    }
}

/// The seasonal incentive's versions and seasons change on these days; the
/// frame holds no date of them (`as_of` is the request's), so every day
/// around them must agree.
#[test]
fn framed_verdicts_equal_plain_ones_on_every_day_around_the_effective_dates() {
    let program = common::shipped();
    let accounts = generated_accounts(&program, 40, 17);
    let first = NaiveDate::from_ymd_opt(2026, 9, 28).unwrap();
    for day in first.iter_days().take(470) {
        for (line, facts) in &accounts {
            same_verdicts(&program, &program, facts, day, &format!("{day}: {line}"));
        }
    }
}

/// Money written with fewer decimals than its currency has (`12.5 USD`) is
/// not held as an integer of minor units at the constants' scale: its region
/// is found from the facts, with the same verdicts.
#[test]
fn amounts_at_another_scale_are_read_from_the_facts() {
    let program = common::shipped();
    for spend in ["12.5", "19999.9", "20000", "150000.0", "0"] {
        let text = format!(
            "as_of: 2026-11-20\naccount: {{id: a1, created_via: agency, segment: smb, status: active, policy_violation: false, unused_credit: 10.5 USD}}\n\
             business_center: {{id: bc1, setup_complete: true, credit_source: managed_program, credit_balance: 100 USD}}\n\
             agency: {{partner_status: registered_partner, client_spend: {spend} USD, new_client_accounts: 3}}\n"
        );
        let loaded = facts::load_text(&program.schema, &text, Format::Yaml);
        let facts = match loaded {
            Ok(loaded) => loaded.facts,
            Err(problems) => panic!("{spend}: {problems:?}"),
        };
        same_verdicts(&program, &program, &facts, date(&program, &facts), spend);
    }
}

/// A frame built for another program is not read: the facts are.
#[test]
fn a_frame_for_another_program_is_ignored() {
    let shipped = common::shipped();
    let other = common::shipped();
    for (line, facts) in generated_accounts(&shipped, 200, 19) {
        same_verdicts(&shipped, &other, &facts, date(&shipped, &facts), &line);
    }
}
