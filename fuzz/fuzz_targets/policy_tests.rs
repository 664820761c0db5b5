//! Any text as a policy-test file (`*.test.yaml`) of the small policy set in
//! `tests/cases/policy_tests/offers/`: it parses into cases or problems,
//! every problem renders, and the cases run and render without a panic.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use credo::{Program, Source, Sources};
use libfuzzer_sys::fuzz_target;

const OFFERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/cases/policy_tests/offers");

fn program() -> &'static Program {
    static PROGRAM: OnceLock<Option<Program>> = OnceLock::new();
    let program = PROGRAM.get_or_init(|| {
        let mut sources = Sources::default();
        sources.add(Source::new(
            "offers.credo",
            include_str!("../../tests/cases/policy_tests/offers/offers.credo"),
        ));
        credo::check_sources(sources).program
    });
    match program {
        Some(p) => p,
        None => std::process::abort(),
    }
}

fuzz_target!(|text: &str| {
    let program = program();
    let dir = Path::new(OFFERS);
    match credo::tools::policy_tests::parse(program, dir, "fuzz.test.yaml", "fuzz", text) {
        Ok(file) => {
            let report = credo::tools::policy_tests::run(program, &[file], None);
            let _ = credo::tools::policy_tests::render(&report, true);
        }
        Err(problems) => {
            for p in &problems {
                let _ = p.render();
            }
        }
    }
});
