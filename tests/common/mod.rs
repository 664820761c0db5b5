//! Helpers shared by the snapshot tests.
#![allow(dead_code, reason = "each test binary uses a part")]

use std::fmt::Write as _;
use std::path::Path;

use credo::Checked;
use credo::outcome::Evaluation;

/// Checks the given policy files as one set, named relative to the crate root.
pub fn check_files(paths: &[&Path]) -> Checked {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let relative: Vec<_> = paths
        .iter()
        .map(|p| p.strip_prefix(root).unwrap_or(p).to_path_buf())
        .collect();
    credo::load_files(&relative)
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
