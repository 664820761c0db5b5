//! Any policy file beside the semantics schema: checked into a program or diagnostics,
//! and every diagnostic renders.
#![no_main]

use credo::{Source, Sources};
use libfuzzer_sys::fuzz_target;

const SCHEMA: &str = include_str!("../../tests/cases/semantics/schema.credo");

fuzz_target!(|text: &str| {
    let mut sources = Sources::default();
    sources.add(Source::new("schema.credo", SCHEMA));
    sources.add(Source::new("fuzz.credo", text));
    let checked = credo::check_sources(sources);
    let _ = credo::lang::diagnostics::render(&checked.sources, &checked.diagnostics, false);
    let _ = credo::lang::diagnostics::to_json(&checked.sources, &checked.diagnostics);
});
