#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo verify` on money times a rate, rounded: random decisions compare
//! rounded amounts (`round(fact * rate + offset, mode)`, or a decision's
//! `rounding mode`) with constants, in every rounding mode, for facts that
//! may be negative and for a currency without cents. Each is verified (every
//! counterexample is replayed through the evaluator by `verify` itself),
//! must be analysed exactly (no "not analysed"), and every "can never fire",
//! "proved" and "monotone" is checked against the evaluator on documents at
//! and around every place where a rounded amount can cross a constant: the
//! ties of each mode, a cent either side, and the ends of the domain.

use std::fmt::Write as _;

use credo::engine::eval::{Request, Tri};
use credo::engine::outcome::{AsOfSource, Outcome};
use credo::input::facts::{self, Format};
use credo::model::ir::{ClaimIr, Value};
use credo::tools::verify::{self, FindingKind, Verdict};
use credo::{Program, Source, Sources};
use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};

const SCHEMA: &str = "schema {
  as_of: date
  account {
    balance: money USD
    debt: money USD signed
    yen: money JPY
    flagged: bool
  }
}
";

/// A money fact: its path, currency, minor digits, whether it may be negative.
struct Money {
    path: &'static str,
    currency: &'static str,
    digits: u32,
    signed: bool,
}

const FACTS: &[Money] = &[
    Money {
        path: "account.balance",
        currency: "USD",
        digits: 2,
        signed: false,
    },
    Money {
        path: "account.debt",
        currency: "USD",
        digits: 2,
        signed: true,
    },
    Money {
        path: "account.yen",
        currency: "JPY",
        digits: 0,
        signed: false,
    },
];

const RATES: &[(&str, &str)] = &[
    ("2%", "0.02"),
    ("2.5%", "0.025"),
    ("0.5%", "0.005"),
    ("0.125", "0.125"),
    ("1.5%", "0.015"),
    ("150%", "1.5"),
    ("0.333", "0.333"),
];
const MODES: &[&str] = &[
    "half_even",
    "half_up",
    "half_down",
    "up",
    "down",
    "floor",
    "ceiling",
];
const OPS: &[&str] = &["<", "<=", ">", ">=", "==", "!="];

/// Constants (in the currency's units) and offsets a rounded amount meets.
fn constants(digits: u32) -> &'static [&'static str] {
    if digits == 2 {
        &["0", "10", "3000", "-10", "0.01", "-2.5"]
    } else {
        &["0", "7", "1000", "-3"]
    }
}
fn offsets(digits: u32) -> &'static [&'static str] {
    if digits == 2 {
        &["1.25", "-0.5"]
    } else {
        &["3", "-1"]
    }
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// `round(FACT * RATE [+ OFFSET], MODE)`, or without `round` when the decision rounds.
fn rounded(f: &Money, rate: usize, offset: Option<usize>, mode: Option<usize>) -> String {
    let mut inner = format!("{} * {}", f.path, RATES[rate].0);
    if let Some(o) = offset {
        let o = offsets(f.digits)[o % offsets(f.digits).len()];
        let (sign, o) = o.strip_prefix('-').map_or(("+", o), |o| ("-", o));
        let _ = write!(inner, " {sign} {o} {}", f.currency);
    }
    match mode {
        Some(m) => format!("round({inner}, {})", MODES[m]),
        None => inner,
    }
}

/// A comparison of a rounded amount with a constant, or a plain atom.
fn atom(explicit: bool, currency: Option<&'static str>) -> impl Strategy<Value = String> {
    let facts: Vec<usize> = (0..FACTS.len())
        .filter(|i| currency.is_none_or(|c| FACTS[*i].currency == c))
        .collect();
    prop_oneof![
        5 => (
            proptest::sample::select(facts),
            0..RATES.len(),
            proptest::option::of(0usize..2),
            0..MODES.len(),
            0..OPS.len(),
            0usize..6,
        )
            .prop_map(move |(f, rate, offset, mode, op, c)| {
                let f = &FACTS[f];
                let c = constants(f.digits)[c % constants(f.digits).len()];
                let value = rounded(f, rate, offset, explicit.then_some(mode));
                format!("{value} {} {c} {}", OPS[op], f.currency)
            }),
        1 => Just("account.flagged".to_owned()),
    ]
}

fn eligibility_policy() -> impl Strategy<Value = String> {
    any::<Option<u8>>().prop_flat_map(|decision_mode| {
        let explicit = decision_mode.is_none();
        (
            prop::collection::vec(atom(explicit, None), 1..3),
            atom(explicit, None),
            atom(explicit, None),
        )
            .prop_map(move |(denies, allow, claim)| {
                let mut out = String::from("decision d: eligibility {\n");
                if let Some(m) = decision_mode {
                    let _ = writeln!(out, "  rounding {}", MODES[usize::from(m) % MODES.len()]);
                }
                for (i, c) in denies.iter().enumerate() {
                    let _ = writeln!(out, "  deny r{i} when {c} because \"r{i}\"");
                }
                let _ = writeln!(out, "  allow ok when {allow} because \"ok\"\n}}");
                let _ = writeln!(out, "assert d is not_eligible when {claim}");
                out
            })
    })
}

/// An amount in one currency: a rounded amount in a row, a capped one
/// otherwise; claimed monotone, or equal to a constant under a condition.
/// Half are a capped rebate (`R >= CAP => CAP; otherwise => R`, rounded by
/// `round(..)` or by the decision), whose claims mostly hold, so that
/// "proved" is tested, not just "refuted"; or `CAP - R` otherwise, which falls.
fn amount_policy() -> impl Strategy<Value = String> {
    prop_oneof![rebate_policy(), mixed_amount_policy()]
}

fn rebate_policy() -> impl Strategy<Value = String> {
    (
        0..FACTS.len(),
        0..RATES.len(),
        0..MODES.len(),
        0usize..6,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(f, rate, mode, cap, by_decision, monotone, falling)| {
            let fact = &FACTS[f];
            let currency = fact.currency;
            let cap = constants(fact.digits)[cap % constants(fact.digits).len()];
            let rebate = rounded(fact, rate, None, (!by_decision).then_some(mode));
            let mut out = format!("decision d: amount {currency} {{\n");
            if by_decision {
                let _ = writeln!(out, "  rounding {}", MODES[mode]);
            }
            let _ = writeln!(
                out,
                "  first {{\n    when {rebate} >= {cap} {currency} => {cap} {currency} because \"cap\""
            );
            // A falling step function, whose monotonicity is refuted exactly.
            let otherwise = if falling {
                format!("{cap} {currency} - {rebate}")
            } else {
                rebate.clone()
            };
            let _ = writeln!(out, "    otherwise => {otherwise} because \"rebate\"\n  }}\n}}");
            if monotone {
                let _ = writeln!(out, "assert d is monotone in {}", fact.path);
            } else {
                let claim = rounded(fact, rate, None, Some(mode));
                let _ = writeln!(out, "assert d == {cap} {currency} when {claim} >= {cap} {currency}");
            }
            out
        })
}

fn mixed_amount_policy() -> impl Strategy<Value = String> {
    (0..FACTS.len()).prop_flat_map(|f| {
        let fact = &FACTS[f];
        let currency = fact.currency;
        (
            atom(true, Some(currency)),
            0..RATES.len(),
            0..RATES.len(),
            0..MODES.len(),
            0..MODES.len(),
            0usize..6,
            any::<bool>(),
            atom(true, Some(currency)),
        )
            .prop_map(move |(when, r1, r2, m1, m2, cap, monotone, claim)| {
                let fact = &FACTS[f];
                let cap = constants(fact.digits)[cap % constants(fact.digits).len()];
                let mut out = format!("decision d: amount {currency} {{\n  first {{\n");
                let _ = writeln!(
                    out,
                    "    when {when} => {} because \"row\"",
                    rounded(fact, r1, None, Some(m1))
                );
                let _ = writeln!(
                    out,
                    "    otherwise => min({}, {cap} {currency}) because \"capped\"\n  }}\n}}",
                    rounded(fact, r2, None, Some(m2))
                );
                if monotone {
                    let _ = writeln!(out, "assert d is monotone in {}", fact.path);
                } else {
                    let _ = writeln!(out, "assert d == {cap} {currency} when {claim}");
                }
                out
            })
    })
}

fn program(policy: &str) -> Option<Program> {
    let mut sources = Sources::default();
    sources.add(Source::new("schema.credo", SCHEMA));
    sources.add(Source::new("case.credo", policy));
    credo::check_sources(sources).program
}

/// Every value of a fact worth trying: around each place a rounded amount
/// can cross a constant (its ties, a unit either side), and the ends.
fn points(f: &Money) -> Vec<Decimal> {
    let unit = Decimal::new(1, f.digits);
    let (low, high) = (
        if f.signed {
            Decimal::MIN
        } else {
            Decimal::ZERO
        },
        Decimal::MAX,
    );
    let mut out = vec![low, high, low + unit, high - unit, Decimal::ZERO, unit];
    for c in constants(f.digits) {
        for (_, rate) in RATES {
            for o in std::iter::once(&"0").chain(offsets(f.digits)) {
                for half in -2..=2 {
                    let target = d(c) - d(o) + unit * Decimal::from(half) / Decimal::TWO;
                    let t = (target / d(rate))
                        .round_dp_with_strategy(f.digits, RoundingStrategy::ToNegativeInfinity);
                    for k in -1..=1 {
                        let x = t + unit * Decimal::from(k);
                        if x >= low && x <= high {
                            out.push(x);
                        }
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A document from one choice per fact (a value, or left out).
fn document(choices: &[u16], flagged: u16) -> (String, Vec<Option<Decimal>>) {
    let mut text = String::from("as_of: 2026-11-25\naccount:\n");
    let mut values = Vec::new();
    static POINTS: std::sync::LazyLock<Vec<Vec<Decimal>>> =
        std::sync::LazyLock::new(|| FACTS.iter().map(points).collect());
    for ((f, choice), points) in FACTS.iter().zip(choices).zip(POINTS.iter()) {
        let pick = usize::from(*choice);
        if pick % 11 == 10 {
            values.push(None);
            continue;
        }
        let x = points[pick % points.len()];
        let name = f.path.split_once('.').unwrap().1;
        let _ = writeln!(text, "  {name}: \"{x} {}\"", f.currency);
        values.push(Some(x));
    }
    if flagged % 3 != 2 {
        let _ = writeln!(text, "  flagged: {}", flagged.is_multiple_of(3));
    }
    (text, values)
}

fn outcome(
    program: &Program,
    text: &str,
) -> (
    facts::Loaded,
    Option<credo::engine::outcome::DecisionOutcome>,
) {
    let loaded = facts::load_text(&program.schema, text, Format::Yaml)
        .unwrap_or_else(|e| panic!("{text}: {e:?}"));
    let as_of = loaded.facts.as_of(&program.schema).unwrap();
    let ids = ["d".to_owned()];
    let request = Request {
        as_of,
        as_of_source: AsOfSource::Facts,
        decisions: &ids,
    };
    let outcome = program
        .evaluate(&loaded.facts, &request)
        .ok()
        .and_then(|mut e| e.decisions.pop());
    (loaded, outcome)
}

fn condition_holds(program: &Program, loaded: &facts::Loaded) -> bool {
    let as_of = loaded.facts.as_of(&program.schema).unwrap();
    program.assertions[0].condition.is_none_or(|c| {
        matches!(
            program.evaluate_node(c, &loaded.facts, as_of),
            Ok(Tri::Known(Value::Bool(true)))
        )
    })
}

/// Every counterexample, loaded from its YAML as `credo eval` would, gives
/// the outcome and reasons the report says, through the public evaluator.
fn counterexamples_reproduce(
    program: &Program,
    report: &verify::Report,
) -> Result<(), TestCaseError> {
    for (what, example) in report.examples() {
        let loaded =
            facts::load_text(&program.schema, &example.yaml, Format::Yaml).unwrap_or_else(|e| {
                panic!("{what}: the example does not load: {e:?}\n{}", example.yaml)
            });
        let as_of = loaded
            .facts
            .as_of(&program.schema)
            .unwrap_or(verify::enumerate::default_as_of());
        let ids = [example.expect.decision.clone()];
        let request = Request {
            as_of,
            as_of_source: AsOfSource::Facts,
            decisions: &ids,
        };
        let (got, reasons) = match program.evaluate(&loaded.facts, &request) {
            Ok(mut e) => {
                let d = e.decisions.pop().unwrap();
                (
                    d.outcome.as_text(),
                    d.reasons.into_iter().map(|r| r.rule).collect(),
                )
            }
            Err(e) => (format!("error: {e}"), Vec::new()),
        };
        prop_assert_eq!(&got, &example.expect.outcome, "{}\n{}", what, example.yaml);
        prop_assert_eq!(
            &reasons,
            &example.expect.reasons,
            "{}\n{}",
            what,
            example.yaml
        );
    }
    Ok(())
}

/// Every rounded shape here is inside the fragment, but for one: two
/// amounts rounded differently compared with each other (as the rows of an
/// amount table are, for accounts with facts missing) is not a threshold on
/// the fact, and is named as not analysed.
fn analysed_exactly(report: &verify::Report, text: &str) -> Result<(), TestCaseError> {
    let outside: Vec<_> = report.decisions[0]
        .not_analysed
        .iter()
        .chain(&report.assertions[0].not_analysed)
        .filter(|o| {
            !o.reason
                .starts_with("compares two amounts rounded differently")
        })
        .collect();
    prop_assert!(outside.is_empty(), "not analysed: {:?}\n{}", outside, text);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn rounded_comparisons_are_decided_exactly(
        text in eligibility_policy(),
        documents in prop::collection::vec((prop::collection::vec(any::<u16>(), 3), any::<u16>()), 300),
    ) {
        let Some(program) = program(&text) else {
            return Err(TestCaseError::reject("does not check"));
        };
        let report = verify::verify(&program).expect("every example reproduces");
        analysed_exactly(&report, &text)?;
        counterexamples_reproduce(&program, &report)?;
        let never: Vec<&verify::Finding> = report.decisions[0]
            .findings
            .iter()
            .filter(|f| matches!(f.kind, FindingKind::NeverFires | FindingKind::Shadowed))
            .collect();
        let proved = report.assertions[0].verdict == Verdict::Proved;
        for (choices, flagged) in &documents {
            let (doc, _) = document(choices, *flagged);
            let (loaded, outcome) = outcome(&program, &doc);
            let Some(outcome) = outcome else { continue };
            if outcome.outcome != Outcome::Undetermined {
                for r in &outcome.reasons {
                    for f in &never {
                        prop_assert_ne!(&f.at, &r.at, "{} fires on\n{}\n{}", f.part, doc, text);
                    }
                }
            }
            if proved && condition_holds(&program, &loaded) {
                prop_assert_eq!(
                    outcome.outcome.as_text(), "not_eligible",
                    "proved, but not on\n{}\n{}", doc, text
                );
            }
        }
    }

    #[test]
    fn rounded_amounts_are_proved_only_where_they_hold(
        text in amount_policy(),
        documents in prop::collection::vec((prop::collection::vec(any::<u16>(), 3), any::<u16>(), 1u16..40), 300),
    ) {
        let Some(program) = program(&text) else {
            return Err(TestCaseError::reject("does not check"));
        };
        let report = verify::verify(&program).expect("every example reproduces");
        analysed_exactly(&report, &text)?;
        counterexamples_reproduce(&program, &report)?;
        if report.assertions[0].verdict != Verdict::Proved {
            return Ok(());
        }
        let a = &program.assertions[0];
        for (choices, flagged, raise) in &documents {
            let (doc, values) = document(choices, *flagged);
            let (loaded, now) = outcome(&program, &doc);
            if !condition_holds(&program, &loaded) {
                continue;
            }
            match &a.claim {
                ClaimIr::Equals(value) => {
                    let as_of = loaded.facts.as_of(&program.schema).unwrap();
                    let claimed = program.evaluate_node(*value, &loaded.facts, as_of);
                    match (claimed, now.map(|o| o.outcome)) {
                        (Ok(Tri::Known(Value::Money(m))), Some(Outcome::Amount(x))) => {
                            prop_assert_eq!(m, x, "proved, but not on\n{}\n{}", doc, text);
                        }
                        (Ok(Tri::Unknown(_)), Some(Outcome::Undetermined)) => {}
                        other => prop_assert!(false, "proved, but {:?} on\n{}\n{}", other, doc, text),
                    }
                }
                ClaimIr::Monotone(slot) => {
                    // The same document with the fact raised by a few units.
                    let Some(Outcome::Amount(low)) = now.map(|o| o.outcome) else { continue };
                    let path = &program.schema.fields[slot.0 as usize].path;
                    let Some(f) = FACTS.iter().position(|f| f.path == path) else { continue };
                    let Some(x) = values[f] else { continue };
                    let fact = &FACTS[f];
                    let Some(raised) = x.checked_add(Decimal::new(i64::from(*raise), fact.digits)) else {
                        continue;
                    };
                    let name = fact.path.split_once('.').unwrap().1;
                    let from = format!("  {name}: \"{x} {}\"", fact.currency);
                    let to = format!("  {name}: \"{raised} {}\"", fact.currency);
                    let higher_doc = doc.replace(&from, &to);
                    let (_, higher) = outcome(&program, &higher_doc);
                    if let Some(Outcome::Amount(high)) = higher.map(|o| o.outcome) {
                        prop_assert!(
                            high.amount >= low.amount,
                            "proved monotone, but {} gives {} and {} gives {}\n{}",
                            x, low, raised, high, text
                        );
                    }
                }
                ClaimIr::Outcome(_) => prop_assert!(false, "an amount claim"),
            }
        }
    }
}
