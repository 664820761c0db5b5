//! Shared by the targets that need a checked program: the semantics cases'
//! schema alone, checked once.

use std::sync::OnceLock;

use credo::{Program, Source, Sources};

pub fn program() -> &'static Program {
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
        Some(p) => p,
        None => std::process::abort(),
    }
}
