//! credo: ad-credit policies written as data, checked against a fact schema,
//! and evaluated against account facts with every answer explained.
//!
//! The phases, each a module: [`syntax`] (text to [`ast`]), [`check`]
//! (against the [`schema`], compiling to the flat [`ir`]), [`facts`]
//! (documents to slot values), [`eval`] (three-valued evaluation) and
//! [`render`] (text, JSON and YAML output). Around them, for authors:
//! [`explain`] records an evaluation through the evaluator's tracer, and
//! [`policy_tests`] runs policy test files, counting [`coverage`].
//!
//! ```
//! use credo::{Sources, Source, check_sources, facts, eval::Request, outcome::AsOfSource};
//!
//! let mut sources = Sources::default();
//! sources.add(Source::new("example.credo", r#"
//!     schema { account { segment: enum { smb, enterprise } } }
//!     decision smb_offer: eligibility {
//!       allow smb when account.segment == smb because "SMB accounts qualify"
//!     }
//! "#));
//! let checked = check_sources(sources);
//! let program = checked.program.expect("the policy checks");
//! let loaded = facts::load_text(&program.schema, "account: {segment: smb}", facts::Format::Yaml)
//!     .expect("the facts load");
//! let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date");
//! let request = Request { as_of: date, as_of_source: AsOfSource::Option, decisions: &[] };
//! let evaluation = program.evaluate(&loaded.facts, &request).expect("it evaluates");
//! assert_eq!(evaluation.decisions[0].outcome.as_text(), "eligible");
//! ```

#![forbid(unsafe_code)]

pub mod ast;
pub mod batch;
pub mod check;
pub mod coverage;
pub mod diagnostics;
pub mod diff;
pub mod doc;
pub mod eval;
pub mod explain;
pub mod facts;
pub mod fmt;
mod hot;
pub mod ir;
pub mod money;
pub mod outcome;
pub mod policy_tests;
pub mod render;
pub mod schema;
pub mod source;
pub mod suggest;
pub mod syntax;
pub mod synth;
pub mod verdict;
pub mod verify;
pub mod whatif;

use std::path::Path;

pub use diagnostics::Diagnostic;
pub use ir::Program;
pub use source::{Source, Sources};

/// A policy set after checking: the program if it has no errors, and every
/// diagnostic with the sources they point into.
#[derive(Debug)]
pub struct Checked {
    pub program: Option<Program>,
    pub sources: Sources,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads every `*.credo` file directly in `dir`, in name order, and checks them.
pub fn load_dir(dir: &Path) -> std::io::Result<Checked> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "credo") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        let mut sources = Sources::default();
        let name = dir.display().to_string();
        let file = sources.add(Source::new(name.clone(), ""));
        let diagnostics = vec![Diagnostic::error(
            diagnostics::codes::UNREADABLE,
            source::Span::new(file, 0, 0),
            format!("`{name}` holds no `.credo` files"),
        )];
        return Ok(Checked {
            program: None,
            sources,
            diagnostics,
        });
    }
    Ok(load_files(&paths))
}

/// Reads and checks the given policy files as one set. A file that cannot
/// be read is reported alone: checking the rest would report decisions it
/// defines as missing.
pub fn load_files(paths: &[std::path::PathBuf]) -> Checked {
    let mut sources = Sources::default();
    let mut unreadable = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        match std::fs::read(path).map(String::from_utf8) {
            Ok(Ok(text)) => {
                sources.add(Source::new(name, text));
            }
            Ok(Err(e)) => {
                let at = e.utf8_error().valid_up_to();
                unreadable.push((
                    name,
                    format!("it is not UTF-8 text (invalid byte at offset {at})"),
                ));
            }
            Err(e) => unreadable.push((name, e.to_string())),
        }
    }
    if unreadable.is_empty() {
        return check_sources(sources);
    }
    let mut diagnostics = Vec::new();
    for (name, reason) in unreadable {
        let file = sources.add(Source::new(name.clone(), ""));
        diagnostics.push(Diagnostic::error(
            diagnostics::codes::UNREADABLE,
            source::Span::new(file, 0, 0),
            format!("cannot read `{name}`: {reason}"),
        ));
    }
    Checked {
        program: None,
        sources,
        diagnostics,
    }
}

/// Parses and checks a set of policy sources.
pub fn check_sources(sources: Sources) -> Checked {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for (id, source) in sources.iter() {
        match syntax::parse(id, &source.text) {
            Ok(file) => files.push(file),
            Err(errors) => diagnostics.extend(errors),
        }
    }
    if !diagnostics.is_empty() {
        return Checked {
            program: None,
            sources,
            diagnostics,
        };
    }
    let (program, diagnostics) = check::check(sources.clone(), &files);
    Checked {
        program,
        sources,
        diagnostics,
    }
}
