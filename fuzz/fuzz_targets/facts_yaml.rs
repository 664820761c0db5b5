//! Any YAML text against the shipped schema: facts or problems, never a panic.
#![no_main]

use std::sync::OnceLock;

use credo::facts::{self, Format};
use credo::{Program, Source, Sources};
use libfuzzer_sys::fuzz_target;

fn schema() -> &'static credo::schema::Schema {
    static PROGRAM: OnceLock<Option<Program>> = OnceLock::new();
    let program = PROGRAM.get_or_init(|| {
        let mut sources = Sources::default();
        sources.add(Source::new(
            "schema.credo",
            include_str!("../../tests/cases/semantics/schema.credo"),
        ));
        credo::check_sources(sources).program
    });
    match program {
        Some(p) => &p.schema,
        None => std::process::abort(),
    }
}

fuzz_target!(|text: &str| {
    match facts::load_text(schema(), text, Format::Yaml) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                let _ = w.render("fuzz.yaml");
            }
        }
        Err(problems) => {
            for p in &problems {
                let _ = p.render("fuzz.yaml");
            }
        }
    }
});
