#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo whatif` on rounded amounts: each `tests/cases/whatif_rounding/NAME.yaml`
//! asks (`# whatif: --decision ID [--to OUTCOME]`) about the decisions of
//! `rebate.credo` over the verify cases' schema. The answer is snapshotted,
//! and every change it proposes is evaluated, and the value one unit short
//! of it too, to check the change is the smallest that gives the outcome.

use std::path::Path;

mod common;

use credo::engine::eval::Request;
use credo::engine::outcome::AsOfSource;
use credo::input::facts::{self, Format};
use credo::model::ir::Value;
use credo::tools::whatif::{self, Answer};

#[test]
fn whatif_rounding_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let checked = common::check_files(&[
        &root.join("verify/schema.credo"),
        &root.join("whatif_rounding/rebate.credo"),
    ]);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let program = checked.program.unwrap();
    insta::glob!("cases/whatif_rounding", "*.yaml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let question = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# whatif: "))
            .expect("the first line asks the question");
        let decision = question.split_whitespace().nth(1).unwrap();
        let to = question.split_once("--to ").map(|(_, to)| to.trim());
        let loaded = facts::load_text(&program.schema, &text, Format::Yaml).unwrap();
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let target = whatif::target(&program, decision, to).unwrap();
        let answer = whatif::whatif(&program, &loaded.facts, as_of, decision, target).unwrap();
        let Answer::Changes(alternatives) = &answer.answer else {
            panic!("{question}: {:?}", answer.answer);
        };
        assert!(!alternatives.is_empty(), "{question}");
        let ids = [decision.to_owned()];
        let request = Request {
            as_of,
            as_of_source: AsOfSource::Option,
            decisions: &ids,
        };
        for alternative in alternatives {
            let mut changed = loaded.facts.clone();
            for c in &alternative.changes {
                changed.values[c.slot.0 as usize] = Some(c.to.clone());
            }
            let got = program.evaluate(&changed, &request).unwrap();
            assert_eq!(got.decisions[0].outcome, alternative.gives, "{question}");
            // One cent closer to the current spend does not give it.
            let [change] = alternative.changes.as_slice() else {
                continue;
            };
            let (Some(Value::Money(from)), Value::Money(to)) = (&change.from, &change.to) else {
                continue;
            };
            let cent =
                credo::base::money::Money::new(rust_decimal::Decimal::new(1, 2), to.currency);
            let closer = if to.amount > from.amount {
                to.checked_sub(&cent).unwrap()
            } else {
                to.checked_add(&cent).unwrap()
            };
            changed.values[change.slot.0 as usize] = Some(Value::Money(closer));
            let short = program.evaluate(&changed, &request).unwrap();
            assert_ne!(
                short.decisions[0].outcome, alternative.gives,
                "{question}: {closer}"
            );
        }
        insta::assert_snapshot!(format!(
            "$ credo whatif {question}\n{}",
            whatif::render(&program, &answer)
        ));
    });
}
