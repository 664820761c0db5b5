//! credo: ad-credit policies written as data, checked against a fact schema,
//! and evaluated against account facts with every answer explained.
//!
//! The phases, each a module: [`syntax`] (text to [`ast`]), [`check`]
//! (against the [`schema`], compiling to the flat [`ir`]), [`facts`]
//! (documents to slot values), [`eval`] (three-valued evaluation) and
//! [`render`] (text, JSON and YAML output).
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
pub mod check;
pub mod diagnostics;
pub mod doc;
pub mod eval;
pub mod facts;
pub mod ir;
pub mod money;
pub mod outcome;
pub mod reference;
pub mod render;
pub mod schema;
pub mod source;
pub mod suggest;
pub mod syntax;

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
    let mut sources = Sources::default();
    let mut unreadable = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        match std::fs::read(&path).map(String::from_utf8) {
            Ok(Ok(text)) => {
                sources.add(Source::new(name, text));
            }
            Ok(Err(_)) => unreadable.push((name, "it is not UTF-8 text".to_owned())),
            Err(e) => unreadable.push((name, e.to_string())),
        }
    }
    if sources.iter().next().is_none() && unreadable.is_empty() {
        unreadable.push((
            dir.display().to_string(),
            "it holds no `.credo` files".to_owned(),
        ));
    }
    let mut checked = check_sources(sources);
    for (name, reason) in unreadable {
        let file = checked.sources.add(Source::new(name.clone(), ""));
        checked.diagnostics.push(Diagnostic::error(
            diagnostics::codes::UNREADABLE,
            source::Span::new(file, 0, 0),
            format!("cannot read `{name}`: {reason}"),
        ));
        checked.program = None;
    }
    Ok(checked)
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
