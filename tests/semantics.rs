#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! The evaluation semantics, one case per behaviour: `tests/cases/semantics/NAME.credo`
//! (decisions over the shared `schema.credo`) evaluated on `NAME.yaml`.

mod common;

use credo::engine::eval::Request;
use credo::engine::outcome::AsOfSource;
use credo::input::facts::{self, Format};

#[test]
fn semantics_cases() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/semantics");
    let schema = dir.join("schema.credo");
    insta::glob!("cases/semantics", "*.yaml", |facts_path| {
        let policy = facts_path.with_extension("credo");
        let checked = common::check_files(&[&schema, &policy]);
        assert!(
            checked.diagnostics.is_empty(),
            "{}: {:?}",
            policy.display(),
            checked.diagnostics
        );
        let program = checked.program.expect("case compiles");
        let text = std::fs::read_to_string(facts_path).expect("facts readable");
        let loaded = facts::load_text(&program.schema, &text, Format::Yaml).expect("facts load");
        let default = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
        let request = Request {
            as_of: loaded.facts.as_of(&program.schema).unwrap_or(default),
            as_of_source: AsOfSource::Facts,
            decisions: &[],
        };
        let shown = match program.evaluate(&loaded.facts, &request) {
            Ok(evaluation) => common::compact(&evaluation),
            Err(error) => format!("error: {error}\n"),
        };
        insta::assert_snapshot!(shown);
    });
}
