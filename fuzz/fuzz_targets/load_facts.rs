//! Shared by the `facts_json` and `facts_yaml` targets: load any text as facts
//! against the semantics cases' schema and render whatever comes back.

use std::sync::OnceLock;

use credo::input::facts::{self, Format};
use credo::{Program, Source, Sources};

fn schema() -> &'static credo::model::schema::Schema {
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

/// Facts or problems, never a panic; every warning and problem renders.
pub fn load(text: &str, format: Format, name: &str) {
    match facts::load_text(schema(), text, format) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                let _ = w.render(name);
            }
        }
        Err(problems) => {
            for p in &problems {
                let _ = p.render(name);
            }
        }
    }
}
