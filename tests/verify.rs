#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo verify` on the shipped policies and on faulty ones: each
//! `tests/cases/verify/NAME.credo` (decisions over the shared `schema.credo`)
//! is verified and its report snapshotted. Every counterexample is loaded
//! back through the fact loader and evaluated here, with the public API, to
//! check it shows what the finding says; and random fact documents check
//! that nothing claimed never to happen does happen.

use std::collections::BTreeSet;
use std::path::Path;

mod common;

use credo::Program;
use credo::engine::eval::{Request, Tri};
use credo::engine::outcome::{AsOfSource, Outcome};
use credo::input::facts::{self, Format};
use credo::model::ir::{ClaimIr, Value};
use credo::model::schema::Type;
use credo::tools::verify::domain::Reads;
use credo::tools::verify::{self, FindingKind, Report, Truth, Verdict};

fn case(path: &Path) -> Program {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/verify");
    let checked = common::check_files(&[&dir.join("schema.credo"), path]);
    assert!(
        checked.diagnostics.is_empty(),
        "{}: {:?}",
        path.display(),
        checked.diagnostics
    );
    checked.program.expect("case compiles")
}

/// Loads each example's YAML as `credo eval` does and checks the outcome,
/// the reasons and the conditions the finding names.
fn reproduce_examples(program: &Program, report: &Report) {
    let mut count = 0;
    for (what, example) in report.examples() {
        count += 1;
        let loaded =
            facts::load_text(&program.schema, &example.yaml, Format::Yaml).unwrap_or_else(|p| {
                panic!("{what}: the example does not load: {p:?}\n{}", example.yaml)
            });
        assert!(loaded.warnings.is_empty(), "{what}: {:?}", loaded.warnings);
        let as_of = loaded
            .facts
            .as_of(&program.schema)
            .unwrap_or(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        let ids = [example.expect.decision.clone()];
        let request = Request {
            as_of,
            as_of_source: AsOfSource::Facts,
            decisions: &ids,
        };
        let (outcome, reasons) = match program.evaluate(&loaded.facts, &request) {
            Ok(mut e) => {
                let d = e.decisions.pop().unwrap();
                (
                    d.outcome.as_text(),
                    d.reasons.into_iter().map(|r| r.rule).collect(),
                )
            }
            Err(e) => (format!("error: {e}"), Vec::new()),
        };
        assert_eq!(outcome, example.expect.outcome, "{what}\n{}", example.yaml);
        assert_eq!(reasons, example.expect.reasons, "{what}\n{}", example.yaml);
        for (node, truth) in &example.expect.conditions {
            let found = match program.evaluate_node(*node, &loaded.facts, as_of) {
                Ok(Tri::Known(Value::Bool(true))) => Truth::True,
                Ok(Tri::Known(_)) => Truth::False,
                _ => Truth::Unknown,
            };
            assert_eq!(found, *truth, "{what}\n{}", example.yaml);
        }
    }
    let expected: usize = report
        .decisions
        .iter()
        .map(|d| d.findings.iter().map(|f| f.examples.len()).sum::<usize>())
        .sum::<usize>()
        + report
            .assertions
            .iter()
            .map(|a| a.examples.len())
            .sum::<usize>();
    assert_eq!(count, expected);
}

#[test]
fn verify_cases() {
    insta::glob!("cases/verify", "*.credo", |path| {
        if path.file_name().is_some_and(|n| n == "schema.credo") {
            return;
        }
        let program = case(path);
        let report = verify::verify(&program).expect("every example reproduces");
        reproduce_examples(&program, &report);
        insta::assert_snapshot!(verify::render::text(&report, "tests/cases/verify"));
    });
}

#[test]
fn shipped_policies_are_proved() {
    let program = common::shipped();
    let report = verify::verify(&program).expect("every example reproduces");
    reproduce_examples(&program, &report);
    assert!(
        !report.failed(),
        "{}",
        verify::render::text(&report, "policies")
    );
    assert!(report.assertions.len() >= 5);
    assert!(
        report
            .assertions
            .iter()
            .all(|a| a.verdict == Verdict::Proved && !a.vacuous)
    );
    insta::assert_snapshot!(verify::render::text(&report, "policies"));
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A random fact document as JSON: facts missing or absent at times, values
/// near round thresholds, far from them, and at the extremes.
fn random_document(program: &Program, rng: &mut Rng) -> String {
    let schema = &program.schema;
    let mut doc = serde_json::Map::new();
    let request_present = rng.below(5) != 0;
    for field in &schema.fields {
        if field.optional_record.is_some() && !request_present {
            continue;
        }
        if rng.below(5) == 0 {
            continue;
        }
        let value = match field.ty {
            Type::Bool => serde_json::json!(rng.below(2) == 0),
            Type::Enum(id) => {
                let members = &schema.enum_type(id).unwrap().members;
                serde_json::json!(rng.pick(members))
            }
            Type::Int => {
                let n = match rng.below(4) {
                    0 => *rng.pick(&[i64::MIN, i64::MAX, -1_000_000, 1_000_000]),
                    1 => rng.below(40) as i64 - 5,
                    _ => rng.below(16) as i64,
                };
                // Only a `signed` fact may be negative in a document that loads.
                let n = if field.signed {
                    n
                } else {
                    n.checked_abs().unwrap_or(i64::MAX)
                };
                serde_json::json!(n)
            }
            // The extremes a document can give: the largest amount
            // rust_decimal holds (and its negative, when signed).
            Type::Money(c) if rng.below(12) == 0 => {
                let max = rust_decimal::Decimal::MAX;
                let amount = if field.signed && rng.below(2) == 0 {
                    -max
                } else {
                    max
                };
                serde_json::json!(format!("{amount} {c}"))
            }
            Type::Money(c) => {
                let cents: i128 = match rng.below(5) {
                    0 => rng.below(20_000_000) as i128 - 100_000,
                    1 => {
                        (rng.below(200) as i128 * 1000 + rng.below(3) as i128 - 1) * 100
                            + rng.below(3) as i128
                            - 1
                    }
                    2 => rng.below(2_000) as i128 - 500,
                    3 => (rng.below(400) as i128) * 50_000,
                    _ => *rng.pick(&[0, 1, -1, 100, 500_000, 5_000_000, 15_000_000]),
                };
                let cents = if field.signed { cents } else { cents.abs() };
                let sign = if cents < 0 { "-" } else { "" };
                serde_json::json!(format!(
                    "{sign}{}.{:02} {c}",
                    cents.abs() / 100,
                    cents.abs() % 100
                ))
            }
            Type::Date => {
                // The whole range a document can give, its ends included.
                let day = match rng.below(8) {
                    0 => credo::base::dates::FIRST + chrono::Days::new(rng.below(3)),
                    1 => credo::base::dates::LAST - chrono::Days::new(rng.below(3)),
                    _ => {
                        chrono::NaiveDate::from_ymd_opt(2026, 9, 20).unwrap()
                            + chrono::Days::new(rng.below(120))
                    }
                };
                serde_json::json!(day.format("%Y-%m-%d").to_string())
            }
            Type::Text => serde_json::json!(rng.pick(&["value-1", "value-2", "bc-77"])),
        };
        let mut place = &mut doc;
        let parts: Vec<&str> = field.path.split('.').collect();
        for part in &parts[..parts.len() - 1] {
            place = place
                .entry(part.to_string())
                .or_insert_with(|| serde_json::json!({}))
                .as_object_mut()
                .unwrap();
        }
        place.insert(parts[parts.len() - 1].to_string(), value);
    }
    if request_present && !doc.contains_key("request") && schema.records.contains_key("request") {
        doc.insert("request".into(), serde_json::json!({}));
    }
    serde_json::Value::Object(doc).to_string()
}

/// Nothing the report says never happens happens on random documents, and
/// every proved assertion holds on them.
fn check_against_random_documents(program: &Program, report: &Report, rounds: usize) {
    let mut rng = Rng(0x5EED_CAFE_F00D_1234);
    for _ in 0..rounds {
        let text = random_document(program, &mut rng);
        let loaded = facts::load_text(&program.schema, &text, Format::Json).expect("loads");
        let as_of = loaded
            .facts
            .as_of(&program.schema)
            .unwrap_or(chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        for (d, dr) in program.decisions.iter().zip(&report.decisions) {
            let ids = [d.id.clone()];
            let request = Request {
                as_of,
                as_of_source: AsOfSource::Facts,
                decisions: &ids,
            };
            let result = program.evaluate(&loaded.facts, &request);
            let reads = Reads::of_decision(program, d).slots;
            let all_given = reads
                .iter()
                .all(|s| program.as_of == Some(*s) || loaded.facts.values[s.0 as usize].is_some());
            let claimed = |kind: FindingKind| dr.findings.iter().any(|f| f.kind == kind);
            let Ok(mut evaluation) = result else {
                assert!(
                    claimed(FindingKind::Gap),
                    "{}: an evaluation fails on {text}",
                    d.id
                );
                continue;
            };
            let outcome = evaluation.decisions.pop().unwrap();
            if outcome.outcome == Outcome::Undetermined {
                assert!(
                    !all_given || claimed(FindingKind::Gap),
                    "{}: a gap on {text}",
                    d.id
                );
                continue;
            }
            let applies = outcome.outcome != Outcome::NotApplicable;
            if applies {
                assert!(
                    !claimed(FindingKind::NeverApplies),
                    "{}: applies on {text}",
                    d.id
                );
            }
            for r in &outcome.reasons {
                for f in &dr.findings {
                    if matches!(f.kind, FindingKind::NeverFires | FindingKind::Shadowed) {
                        assert_ne!(f.at, r.at, "{}: {} fires on {text}", d.id, f.part);
                    }
                }
            }
            let denies: BTreeSet<&str> = outcome
                .reasons
                .iter()
                .filter(|r| d.denies.iter().any(|x| x.origin.at == r.at))
                .map(|r| r.at.as_str())
                .collect();
            if denies.is_empty() || !dr.not_analysed.is_empty() {
                continue;
            }
            for allow in &d.allows {
                let Some(c) = allow.condition else { continue };
                let holds = matches!(
                    program.evaluate_node(c, &loaded.facts, as_of),
                    Ok(Tri::Known(Value::Bool(true)))
                );
                if holds {
                    assert!(
                        dr.findings.iter().any(|f| f.at == allow.origin.at),
                        "{}: allow `{}` overlaps a deny on {text}",
                        d.id,
                        allow.id
                    );
                }
            }
        }
        for (a, ar) in program.assertions.iter().zip(&report.assertions) {
            if ar.verdict != Verdict::Proved {
                continue;
            }
            let holds = |facts: &facts::Facts| {
                a.condition.is_none_or(|c| {
                    matches!(
                        program.evaluate_node(c, facts, as_of),
                        Ok(Tri::Known(Value::Bool(true)))
                    )
                })
            };
            if !holds(&loaded.facts) {
                continue;
            }
            let ids = [a.decision.clone()];
            let request = Request {
                as_of,
                as_of_source: AsOfSource::Facts,
                decisions: &ids,
            };
            let outcome = |facts: &facts::Facts| {
                program
                    .evaluate(facts, &request)
                    .ok()
                    .and_then(|mut e| e.decisions.pop())
                    .map(|d| d.outcome)
            };
            let now = outcome(&loaded.facts);
            match &a.claim {
                ClaimIr::Outcome(word) => assert_eq!(
                    now.as_ref().map(Outcome::as_text).as_deref(),
                    Some(word.as_str()),
                    "{} on {text}",
                    ar.assertion
                ),
                ClaimIr::Equals(value) => {
                    let claimed = program.evaluate_node(*value, &loaded.facts, as_of);
                    match (claimed, now) {
                        (Ok(Tri::Known(Value::Money(m))), Some(Outcome::Amount(x))) => {
                            assert_eq!(m, x, "{} on {text}", ar.assertion);
                        }
                        (Ok(Tri::Unknown(_)), Some(Outcome::Undetermined)) => {}
                        other => panic!("{} on {text}: {other:?}", ar.assertion),
                    }
                }
                ClaimIr::Monotone(slot) => {
                    let Some(Outcome::Amount(low)) = now else {
                        continue;
                    };
                    let Some(Some(v)) = loaded.facts.values.get(slot.0 as usize) else {
                        continue;
                    };
                    let mut raised = loaded.facts.clone();
                    let step = rng.below(100_000) as i64 + 1;
                    raised.values[slot.0 as usize] = Some(match v {
                        Value::Int(n) => Value::Int(n.saturating_add(step)),
                        Value::Money(m) => Value::Money(
                            m.checked_add(&credo::base::money::Money::new(step.into(), m.currency))
                                .unwrap_or(*m),
                        ),
                        other => other.clone(),
                    });
                    if !holds(&raised) {
                        continue;
                    }
                    if let Some(Outcome::Amount(high)) = outcome(&raised) {
                        assert!(high.amount >= low.amount, "{} on {text}", ar.assertion);
                    }
                }
            }
        }
    }
}

#[test]
fn claims_hold_on_random_documents() {
    let program = common::shipped();
    let report = verify::verify(&program).unwrap();
    check_against_random_documents(&program, &report, 4000);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/verify");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "credo") && !p.ends_with("schema.credo"))
        .collect();
    paths.sort();
    for path in paths {
        let program = case(&path);
        let report = verify::verify(&program).unwrap();
        check_against_random_documents(&program, &report, 1500);
    }
}
