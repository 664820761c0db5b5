#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo whatif` on the shipped policies: each `tests/cases/whatif/NAME.yaml`
//! says on its first line (`# whatif: --decision ID [--to OUTCOME]`) what to
//! ask; the answer is snapshotted, and every change it proposes is applied
//! to the facts and evaluated to check it gives what it says.

use std::path::Path;

use credo::engine::eval::Request;
use credo::engine::outcome::AsOfSource;
use credo::input::facts::{self, Format};
use credo::tools::whatif::{self, Answer};

#[test]
fn whatif_cases() {
    let checked = credo::load_dir(Path::new("policies")).expect("policies/ is readable");
    let program = checked.program.expect("the shipped policies compile");
    insta::glob!("cases/whatif", "*.yaml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let question = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# whatif: "))
            .expect("the first line asks the question");
        let words: Vec<&str> = question.split_whitespace().collect();
        let arg = |name: &str| {
            words
                .iter()
                .position(|w| *w == name)
                .and_then(|i| words.get(i + 1).copied())
        };
        let decision = arg("--decision").expect("a decision");
        let loaded = facts::load_text(&program.schema, &text, Format::Yaml).unwrap();
        let as_of = loaded.facts.as_of(&program.schema).unwrap();
        let target = whatif::target(&program, decision, arg("--to")).unwrap();
        let answer = whatif::whatif(&program, &loaded.facts, as_of, decision, target).unwrap();
        let alternatives = match &answer.answer {
            Answer::Changes(a)
            | Answer::Fixed {
                alternatives: a, ..
            } => a.as_slice(),
            Answer::Already | Answer::Impossible | Answer::TooLarge(_) => &[],
        };
        for alternative in alternatives {
            let mut changed = loaded.facts.clone();
            for c in &alternative.changes {
                changed.values[c.slot.0 as usize] = Some(c.to.clone());
            }
            let ids = [decision.to_owned()];
            let request = Request {
                as_of: changed.as_of(&program.schema).unwrap(),
                as_of_source: AsOfSource::Facts,
                decisions: &ids,
            };
            let got = program.evaluate(&changed, &request).unwrap();
            assert_eq!(got.decisions[0].outcome, alternative.gives, "{question}");
        }
        insta::assert_snapshot!(format!(
            "$ credo whatif {question}\n{}",
            whatif::render(&program, &answer)
        ));
    });
}
