//! Helpers shared by the snapshot tests.
#![allow(dead_code, reason = "each test binary uses a part")]

use std::fmt::Write as _;
use std::path::Path;

use credo::outcome::Evaluation;
use credo::{Checked, Source, Sources};

/// Checks the given policy files as one set.
pub fn check_files(paths: &[&Path]) -> Checked {
    let mut sources = Sources::default();
    for path in paths {
        let text = std::fs::read_to_string(path).expect("policy file is readable");
        let name = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(path);
        sources.add(Source::new(name.display().to_string(), text));
    }
    credo::check_sources(sources)
}

/// A compact listing of an evaluation: outcome, then missing facts and reasons.
pub fn compact(evaluation: &Evaluation) -> String {
    let mut out = format!("as_of {}\n", evaluation.as_of);
    for d in &evaluation.decisions {
        let _ = writeln!(out, "{} = {}", d.id, d.outcome.as_text());
        if !d.missing.is_empty() {
            let _ = writeln!(out, "  missing {}", d.missing.join(", "));
        }
        for r in &d.reasons {
            let _ = writeln!(out, "  {} @ {}: {}", r.rule, r.at, r.message);
        }
        for n in &d.notes {
            let _ = writeln!(out, "  note: {n}");
        }
    }
    out
}
