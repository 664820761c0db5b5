#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo verify` decides over exactly the values the fact loader accepts.
//!
//! For each type, the ends of verify's domain load, and one step beyond
//! each end does not. Then random decisions, with constants at those ends,
//! are verified, and every "can never fire", "never applies" and "proved"
//! is checked against the evaluator on documents drawn from the loader's
//! whole domain, its ends included.

use std::fmt::Write as _;

use credo::base::dates;
use credo::engine::eval::{Request, Tri};
use credo::engine::outcome::{AsOfSource, Outcome};
use credo::input::facts::{self, Format};
use credo::model::ir::{ClaimIr, Value};
use credo::model::schema::Type;
use credo::tools::verify::{self, FindingKind, Verdict};
use credo::{Program, Source, Sources};
use proptest::prelude::*;
use rust_decimal::Decimal;

const SCHEMA: &str = "schema {
  as_of: date
  account {
    count: int
    delta: int signed
    balance: money USD
    debt: money USD signed
    yen: money JPY
    opened: date
    tier: enum { gold, silver }
    flagged: bool
  }
}
";

fn program(policy: &str) -> Option<Program> {
    let mut sources = Sources::default();
    sources.add(Source::new("schema.credo", SCHEMA));
    sources.add(Source::new("case.credo", policy));
    credo::check_sources(sources).program
}

fn load(doc: &str) -> Result<facts::Loaded, Vec<facts::FactProblem>> {
    let schema = program("").expect("the schema checks").schema.clone();
    facts::load_text(&schema, doc, Format::Yaml)
}

/// How a point of a type's number line is written in a document.
fn written(ty: Type, n: Decimal) -> String {
    match ty {
        Type::Date => {
            let days = i32::try_from(n).unwrap();
            match chrono::NaiveDate::from_num_days_from_ce_opt(days) {
                Some(d) => d.format("%Y-%m-%d").to_string(),
                // Beyond chrono: a year of five digits.
                None => "10000-01-01".into(),
            }
        }
        Type::Money(c) => format!("\"{n} {c}\""),
        _ => n.to_string(),
    }
}

#[test]
fn verify_domains_are_exactly_what_the_loader_accepts() {
    let schema = program("").unwrap().schema.clone();
    let mut checked = 0;
    for field in &schema.fields {
        if !matches!(field.ty, Type::Int | Type::Money(_) | Type::Date) {
            continue;
        }
        let (low, high) = verify::values::bounds(field.ty, field.signed);
        let unit = verify::values::grid_unit(field.ty);
        let (record, name) = field.path.split_once('.').unwrap_or(("", &field.path));
        let doc = |value: &str| {
            if record.is_empty() {
                format!("{name}: {value}\n")
            } else {
                format!("{record}:\n  {name}: {value}\n")
            }
        };
        for end in [low, high] {
            let text = doc(&written(field.ty, end));
            let loaded = load(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            let slot = schema.slot(&field.path).unwrap();
            let value = loaded.facts.values[slot.0 as usize].clone().unwrap();
            assert_eq!(verify::values::number(&value), Some(end), "{text}");
            assert_eq!(verify::values::from_number(field.ty, end), Some(value));
        }
        // One step beyond each end: below zero for a fact not `signed`; an
        // integer past 64 bits; a year 0000 or 10000; money past what a
        // decimal holds.
        // rust_decimal rounds a sum it cannot hold, so money beyond its ends
        // is spelt out.
        let (below, above) = match field.ty {
            Type::Money(c) if field.signed => (
                format!("\"-79228162514264337593543950336 {c}\""),
                format!("\"79228162514264337593543950336 {c}\""),
            ),
            Type::Money(c) => (
                format!("\"-{unit} {c}\""),
                format!("\"79228162514264337593543950336 {c}\""),
            ),
            Type::Date => ("0000-12-31".to_owned(), "10000-01-01".to_owned()),
            ty => (written(ty, low - unit), written(ty, high + unit)),
        };
        for beyond in [below, above] {
            let text = doc(&beyond);
            assert!(
                load(&text).is_err(),
                "loads, beyond verify's domain: {text}"
            );
        }
        // Money precision: one minor unit loads, a tenth of one does not.
        if let Type::Money(c) = field.ty {
            assert!(load(&doc(&format!("\"{unit} {c}\""))).is_ok());
            let tenth = unit / Decimal::from(10);
            assert!(load(&doc(&format!("\"{tenth} {c}\""))).is_err());
            assert_eq!(verify::values::from_number(field.ty, tenth), None);
        }
        checked += 1;
    }
    assert_eq!(
        checked, 7,
        "as_of, count, delta, balance, debt, yen, opened"
    );
}

/// The facts a condition can test, with constants from each end of their domain.
const NUMBERS: &[(&str, &[&str])] = &[
    (
        "as_of",
        &[
            "0001-01-01",
            "0001-01-02",
            "2026-01-01",
            "9999-12-30",
            "9999-12-31",
        ],
    ),
    (
        "account.opened",
        &["0001-01-01", "2025-12-31", "9999-12-31"],
    ),
    (
        "account.count",
        &["0", "1", "7", "9223372036854775806", "9223372036854775807"],
    ),
    (
        "account.delta",
        &["-9223372036854775807", "-1", "0", "9223372036854775807"],
    ),
    (
        "account.balance",
        &[
            "0 USD",
            "0.01 USD",
            "250.00 USD",
            "79228162514264337593543950335 USD",
        ],
    ),
    (
        "account.debt",
        &[
            "-79228162514264337593543950335 USD",
            "-0.01 USD",
            "0 USD",
            "79228162514264337593543950334 USD",
        ],
    ),
    (
        "account.yen",
        &["0 JPY", "1 JPY", "79228162514264337593543950335 JPY"],
    ),
];
const OPS: &[&str] = &["<", "<=", ">", ">=", "==", "!="];

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0..NUMBERS.len(), 0..OPS.len(), 0usize..8, 0usize..4).prop_map(|(f, op, c, arith)| {
            let (fact, constants) = NUMBERS[f];
            let constant = constants[c % constants.len()];
            // Arithmetic on a fact reaches its ends: overflow lives there.
            let left = match (arith, fact) {
                (0, "account.count" | "account.delta") => format!("{fact} + 1"),
                (0, "account.balance" | "account.debt") => format!("{fact} - 1 USD"),
                _ => fact.to_owned(),
            };
            format!("{left} {} {constant}", OPS[op])
        }),
        1 => Just("account.tier == gold".to_owned()),
        1 => Just("account.flagged".to_owned()),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => atom(),
        1 => (atom(), atom(), any::<bool>())
            .prop_map(|(a, b, and)| format!("{a} {} {b}", if and { "and" } else { "or" })),
    ]
}

fn policy() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(condition(), 1..4),
        condition(),
        condition(),
        proptest::option::of(condition()),
    )
        .prop_map(|(denies, allow, claim, applies)| {
            let mut out = String::new();
            match applies {
                Some(a) => {
                    let _ = writeln!(out, "decision d: action {{\n  applies when {a}");
                    for (i, c) in denies.iter().enumerate() {
                        let _ = writeln!(out, "  deny r{i} when {c} because \"r{i}\"");
                    }
                    let _ = writeln!(out, "  allow ok when {allow} because \"ok\"\n}}");
                    let _ = writeln!(out, "assert d is deny when {claim}");
                }
                None => {
                    let _ = writeln!(out, "decision d: eligibility {{");
                    for (i, c) in denies.iter().enumerate() {
                        let _ = writeln!(out, "  deny r{i} when {c} because \"r{i}\"");
                    }
                    let _ = writeln!(out, "  allow ok when {allow} because \"ok\"\n}}");
                    let _ = writeln!(out, "assert d is not_eligible when {claim}");
                }
            }
            out
        })
}

/// A value for each fact from the loader's whole domain: the ends, a step
/// inside them, the policy's constants and a step either side, or left out.
fn document(program: &Program, policy: &str, choices: &[u16]) -> String {
    let schema = &program.schema;
    let mut account = String::new();
    let mut top = String::new();
    for (i, field) in schema.fields.iter().enumerate() {
        let pick = usize::from(choices.get(i).copied().unwrap_or(0));
        let value = match field.ty {
            Type::Bool => ["true", "false", ""][pick % 3].to_owned(),
            Type::Enum(_) => ["gold", "silver", ""][pick % 3].to_owned(),
            ty => {
                let (low, high) = verify::values::bounds(ty, field.signed);
                let unit = verify::values::grid_unit(ty);
                let mut points = vec![low, high, low + unit, high - unit];
                for (fact, constants) in NUMBERS {
                    if *fact != field.path {
                        continue;
                    }
                    for c in *constants {
                        if !policy.contains(c) {
                            continue;
                        }
                        let n = match ty {
                            Type::Date => {
                                let d = dates::parse(c).unwrap();
                                Decimal::from(dates::day_number(d))
                            }
                            _ => c.split(' ').next().unwrap().parse().unwrap(),
                        };
                        for p in [n.checked_sub(unit), Some(n), n.checked_add(unit)] {
                            points.extend(p.filter(|p| *p >= low && *p <= high));
                        }
                    }
                }
                let missing = field.path != "as_of" && pick % 7 == 6;
                if missing {
                    String::new()
                } else {
                    written(ty, points[pick % points.len()])
                }
            }
        };
        if value.is_empty() {
            continue;
        }
        match field.path.split_once('.') {
            Some((_, name)) => {
                let _ = writeln!(account, "  {name}: {value}");
            }
            None => {
                let _ = writeln!(top, "{}: {value}", field.path);
            }
        }
    }
    format!("{top}account:\n{account}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn claims_hold_across_the_loaders_whole_domain(
        text in policy(),
        documents in prop::collection::vec(prop::collection::vec(any::<u16>(), 9), 400),
    ) {
        let Some(program) = program(&text) else {
            return Err(TestCaseError::reject("does not check"));
        };
        let report = verify::verify(&program).expect("every example reproduces");
        let d = &program.decisions[0];
        let dr = &report.decisions[0];
        let never: Vec<&verify::Finding> = dr
            .findings
            .iter()
            .filter(|f| matches!(f.kind, FindingKind::NeverFires | FindingKind::Shadowed))
            .collect();
        let never_applies = dr.findings.iter().any(|f| f.kind == FindingKind::NeverApplies);
        let a = &program.assertions[0];
        let proved = report.assertions[0].verdict == Verdict::Proved;
        for choices in &documents {
            let doc = document(&program, &text, choices);
            let loaded = facts::load_text(&program.schema, &doc, Format::Yaml)
                .unwrap_or_else(|e| panic!("{doc}: {e:?}"));
            let as_of = loaded.facts.as_of(&program.schema).unwrap();
            let ids = [d.id.clone()];
            let request = Request { as_of, as_of_source: AsOfSource::Facts, decisions: &ids };
            let Ok(mut evaluation) = program.evaluate(&loaded.facts, &request) else {
                continue;
            };
            let outcome = evaluation.decisions.pop().unwrap();
            if never_applies {
                prop_assert!(
                    outcome.outcome == Outcome::NotApplicable || outcome.outcome == Outcome::Undetermined,
                    "never applies, yet {:?} on\n{doc}\n{text}", outcome.outcome
                );
            }
            // An undetermined outcome names the rules still unknown.
            let determined = outcome.outcome != Outcome::Undetermined;
            for r in outcome.reasons.iter().filter(|_| determined) {
                for f in &never {
                    prop_assert_ne!(&f.at, &r.at, "{} fires on\n{}\n{}", f.part, doc, text);
                }
            }
            if proved {
                let holds = a.condition.is_none_or(|c| matches!(
                    program.evaluate_node(c, &loaded.facts, as_of),
                    Ok(Tri::Known(Value::Bool(true)))
                ));
                if let (true, ClaimIr::Outcome(word)) = (holds, &a.claim) {
                    prop_assert_eq!(
                        outcome.outcome.as_text(), word.clone(),
                        "proved, but not on\n{}\n{}", doc, text
                    );
                }
            }
        }
    }
}

/// An amount decision: a table over the same conditions, a deny, and a
/// claim that it equals a constant under a condition.
fn amount_policy() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((condition(), 0u32..4), 1..4),
        proptest::option::of(condition()),
        condition(),
        0u32..4,
        any::<bool>(),
    )
        .prop_map(|(rows, deny, claim, claimed, likely)| {
            // Half the claims are about the first row, without a deny: those
            // are often true, so that "proved" is tested, not just "refuted".
            let (deny, claim, claimed) = match rows.first() {
                Some((c, v)) if likely => (None, c.clone(), *v),
                _ => (deny, claim, claimed),
            };
            let mut out = String::from("decision d: amount USD {\n");
            if let Some(c) = deny {
                let _ = writeln!(out, "  deny r when {c} because \"r\"");
            }
            out.push_str("  first {\n");
            for (c, v) in &rows {
                let _ = writeln!(out, "    when {c} => {}.00 USD because \"row\"", v * 100);
            }
            out.push_str("    otherwise => 0 USD because \"none\"\n  }\n}\n");
            let _ = writeln!(out, "assert d == {}.00 USD when {claim}", claimed * 100);
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn proved_amounts_hold_across_the_loaders_whole_domain(
        text in amount_policy(),
        documents in prop::collection::vec(prop::collection::vec(any::<u16>(), 9), 300),
    ) {
        let Some(program) = program(&text) else {
            return Err(TestCaseError::reject("does not check"));
        };
        let report = verify::verify(&program).expect("every example reproduces");
        let a = &program.assertions[0];
        if report.assertions[0].verdict != Verdict::Proved {
            return Ok(());
        }
        let ClaimIr::Equals(value) = &a.claim else {
            return Err(TestCaseError::fail("an `==` claim"));
        };
        for choices in &documents {
            let doc = document(&program, &text, choices);
            let loaded = facts::load_text(&program.schema, &doc, Format::Yaml)
                .unwrap_or_else(|e| panic!("{doc}: {e:?}"));
            let as_of = loaded.facts.as_of(&program.schema).unwrap();
            let holds = a.condition.is_none_or(|c| matches!(
                program.evaluate_node(c, &loaded.facts, as_of),
                Ok(Tri::Known(Value::Bool(true)))
            ));
            if !holds {
                continue;
            }
            let ids = [a.decision.clone()];
            let request = Request { as_of, as_of_source: AsOfSource::Facts, decisions: &ids };
            let outcome = program
                .evaluate(&loaded.facts, &request)
                .ok()
                .and_then(|mut e| e.decisions.pop())
                .map(|d| d.outcome);
            let claimed = program.evaluate_node(*value, &loaded.facts, as_of);
            match (claimed, outcome) {
                (Ok(Tri::Known(Value::Money(m))), Some(Outcome::Amount(x))) => {
                    prop_assert_eq!(m, x, "proved, but not on\n{}\n{}", doc, text);
                }
                other => prop_assert!(false, "proved, but {:?} on\n{}\n{}", other, doc, text),
            }
        }
    }
}
