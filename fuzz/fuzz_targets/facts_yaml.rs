//! Any YAML text against the shipped schema: facts or problems, never a panic.
#![no_main]

mod load_facts;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    load_facts::load(text, credo::input::facts::Format::Yaml, "fuzz.yaml");
});
