#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Bad fact documents: each file under `tests/cases/facts/` is loaded against
//! the shipped schema, and its snapshot is every problem as the CLI prints it.

use std::path::Path;

use credo::input::facts::{self, Format};
use credo::input::report::{self, Document};

#[test]
fn bad_facts_are_reported() {
    let checked = credo::load_dir(Path::new("policies")).expect("policies/ readable");
    let program = checked.program.expect("shipped policies compile");
    insta::glob!("cases/facts", "*.{yaml,yml,json}", |path| {
        let text = std::fs::read_to_string(path).expect("case readable");
        let format = Format::of_path(path).expect("YAML or JSON");
        let name = path.file_name().expect("file name").to_string_lossy();
        let document = Document::new(&name, &text, format);
        let shown = match facts::load_text(&program.schema, &text, format) {
            Ok(loaded) => {
                String::from("loaded\n") + &report::render(&document, &loaded.warnings, false)
            }
            Err(problems) => {
                assert!(!problems.is_empty());
                report::render(&document, &problems, false)
            }
        };
        insta::assert_snapshot!(shown);
    });
}
