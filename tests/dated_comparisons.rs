#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! The hot path compiles a date fact compared with a date (`as_of <=
//! 2026-12-31`, as effective windows write it, and every other comparison,
//! with the date on either side) to one date-range test. Each comparison
//! must then answer as the full evaluator does, on every day around the
//! date, and with the fact absent or unknown.

use chrono::NaiveDate;
use credo::engine::eval::NoTrace;
use credo::engine::verdict::Verdicts;
use credo::input::facts::{self, Format};
use credo::{Source, Sources};

const SCHEMA: &str =
    "schema {\n  as_of: date\n  account {\n    opened: optional date\n    due: date\n  }\n}\n";

/// One decision per comparison and operand, each with a single test.
fn policies() -> String {
    let mut text = String::new();
    let operands = ["as_of", "account.opened", "account.due"];
    let ops = [
        ("lt", "<"),
        ("le", "<="),
        ("gt", ">"),
        ("ge", ">="),
        ("eq", "=="),
        ("ne", "!="),
    ];
    for (o, operand) in operands.iter().enumerate() {
        for (name, op) in ops {
            for (side, condition) in [
                ("left", format!("{operand} {op} 2026-11-20")),
                ("right", format!("2026-11-20 {op} {operand}")),
            ] {
                text.push_str(&format!(
                    "decision d{o}_{name}_{side}: eligibility {{\n  allow holds when {condition} because \"it holds\"\n}}\n"
                ));
            }
        }
    }
    text
}

#[test]
fn date_comparisons_answer_as_the_full_evaluator_on_every_day_around_the_date() {
    let mut sources = Sources::default();
    sources.add(Source::new("schema.credo", SCHEMA));
    sources.add(Source::new("dates.credo", policies()));
    let checked = credo::check_sources(sources);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let program = checked.program.expect("the policies compile");
    let first = NaiveDate::from_ymd_opt(2026, 11, 17).unwrap();
    let days: Vec<NaiveDate> = first.iter_days().take(7).collect();
    let (mut hot, mut full) = (Verdicts::default(), Verdicts::default());
    let mut compared = 0;
    for as_of in &days {
        // Each fact on each day, absent (`opened` is optional) or unknown (`due` is not).
        let mut accounts = vec!["{}".to_owned()];
        for day in &days {
            accounts.push(format!("{{opened: {day}, due: {day}}}"));
        }
        for account in accounts {
            let text = format!("as_of: {as_of}\naccount: {account}\n");
            let loaded = facts::load_text(&program.schema, &text, Format::Yaml).unwrap();
            program
                .decide_into(&loaded.facts, *as_of, &[], &mut hot)
                .unwrap();
            program
                .decide_traced_into(&loaded.facts, *as_of, &[], &mut full, &mut NoTrace)
                .unwrap();
            assert_eq!(hot.iter().len(), full.iter().len(), "{text}");
            for (h, f) in hot.iter().zip(full.iter()) {
                let id = &program.decisions[f.decision as usize].id;
                assert_eq!((h.decision, h.answer), (f.decision, f.answer), "{text}{id}");
                assert_eq!(hot.causes(h), full.causes(f), "{text}{id}");
                assert_eq!(hot.missing(h), full.missing(f), "{text}{id}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 7 * 8 * 36);
}
