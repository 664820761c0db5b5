//! A policy file and a fact document, split at the first line `---facts`:
//! when both are valid, evaluation finishes without a panic and the compiled
//! evaluator agrees exactly with the reference evaluator.
#![no_main]

use credo::engine::eval::Request;
use credo::input::facts::{self, Format};
use credo::engine::outcome::AsOfSource;
use credo::{Source, Sources};
use libfuzzer_sys::fuzz_target;

const SCHEMA: &str = include_str!("../../tests/cases/semantics/schema.credo");

fuzz_target!(|text: &str| {
    let (policy, facts_text) = text.split_once("\n---facts\n").unwrap_or((text, ""));
    let mut sources = Sources::default();
    sources.add(Source::new("schema.credo", SCHEMA));
    sources.add(Source::new("fuzz.credo", policy));
    let Some(program) = credo::check_sources(sources).program else {
        return;
    };
    let Ok(loaded) = facts::load_text(&program.schema, facts_text, Format::Yaml) else {
        return;
    };
    let Some(date) = chrono::NaiveDate::from_ymd_opt(2026, 11, 25) else {
        return;
    };
    let request = Request {
        as_of: loaded.facts.as_of(&program.schema).unwrap_or(date),
        as_of_source: AsOfSource::Facts,
        decisions: &[],
    };
    let compiled = program.evaluate(&loaded.facts, &request);
    let reference = credo::testing::reference::evaluate(&program, &loaded.facts, &request);
    if compiled != reference {
        eprintln!("compiled:  {compiled:?}\nreference: {reference:?}");
        std::process::abort();
    }
});
