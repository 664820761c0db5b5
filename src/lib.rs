//! credo: ad-credit policies written as data, checked against a fact schema,
//! and evaluated against account facts with every answer explained.
//!
//! [`PolicySet`] is the facade: load and check a set (from a directory or
//! from sources in memory), load facts, then evaluate, explain, verify,
//! what-if and diff. Every answer names the set's [`PolicyHash`] and the date
//! it was evaluated at.
//!
//! The phases, in order, each a module that imports only from those before
//! it: [`base`] (sources, limits, money, hashes), [`lang`] (syntax, AST,
//! diagnostics, the formatter), [`model`] (schema, checker, the flat IR),
//! [`input`] (fact documents), [`engine`] (evaluator, compiled hot path,
//! outcomes, rendering) and [`tools`] (explain, coverage, policy tests,
//! verify, whatif, diff, batch). They are public for the tools built on
//! them, but are not a stable interface: use [`PolicySet`].
//!
//! ```
//! use credo::{Format, Limits, Options, PolicySet, Source, Sources};
//!
//! # fn main() -> Result<(), credo::Error> {
//! let mut sources = Sources::default();
//! sources.add(Source::new("example.credo", r#"
//!     schema { account { segment: enum { smb, enterprise } } }
//!     decision smb_offer: eligibility {
//!       allow smb when account.segment == smb because "SMB accounts qualify"
//!     }
//! "#));
//! // Each phase's error converts into `credo::Error`.
//! let set = PolicySet::from_sources(sources, &Limits::default())?;
//! let loaded = set.facts("account: {segment: smb}", Format::Yaml, &Limits::default())?;
//! let options = Options {
//!     as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 25),
//!     decisions: vec![],
//! };
//! let evaluation = set.evaluate(&loaded.facts, &options)?;
//! assert_eq!(evaluation.decisions[0].outcome.as_text(), "eligible");
//! assert_eq!(evaluation.policy_hash, set.hash());
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The phases, public for the tools and tests built on them, but hidden
// from the documentation: they are not a stable interface. The facade and
// the types it returns are re-exported below.
#[doc(hidden)]
pub mod base;
#[doc(hidden)]
pub mod engine;
#[doc(hidden)]
pub mod input;
#[doc(hidden)]
pub mod lang;
#[doc(hidden)]
pub mod model;
#[doc(hidden)]
#[cfg(feature = "testing")]
pub mod testing;
#[doc(hidden)]
pub mod tools;

mod policy_set;

pub use base::hash::PolicyHash;
pub use engine::eval::EvalError;
pub use engine::outcome::{AsOfSource, DecisionOutcome, Evaluation, Outcome, Reason};
pub use input::facts::{FactProblem, Facts, Format};
pub use input::packed::PackedFacts;
pub use input::report::{
    Document as FactDocument, render as render_fact_problems, to_json as fact_problems_json,
};
pub use lang::diagnostics::{
    JsonDiagnostic, Severity, render as render_diagnostics, to_json as diagnostics_json,
};
pub use policy_set::{
    DecisionInfo, Error, FactErrors, LoadError, LoadedFacts, Options, PolicySet, Rejected,
    UnknownDecision, today,
};
pub use tools::diff::{Diff, LineProblem};
pub use tools::explain::Explanation;
pub use tools::verify::{Report as VerifyReport, Unreproducible};
pub use tools::whatif::{Whatif, WhatifError};

use std::path::Path;

pub use base::limits::Limits;
pub use base::source::{Source, Sources};
pub use engine::program::Program;
pub use lang::diagnostics::Diagnostic;

/// A policy set after checking: the program if it has no errors, and every
/// diagnostic with the sources they point into.
#[derive(Debug)]
pub struct Checked {
    /// The compiled program, when the set has no errors.
    pub program: Option<Program>,
    /// The policy files, for rendering the diagnostics.
    pub sources: Sources,
    /// Every error and warning, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether any diagnostic is an error (warnings leave the set usable).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads every `*.credo` file directly in `dir`, in name order, and checks them.
pub fn load_dir(dir: &Path) -> std::io::Result<Checked> {
    load_dir_with(dir, &Limits::default())
}

/// [`load_dir`] within explicit [`Limits`]: a set with too many files, or a
/// file too large, is reported as an error before it is read.
pub fn load_dir_with(dir: &Path, limits: &Limits) -> std::io::Result<Checked> {
    // Every `*.credo` entry that is not a readable file (a directory, a FIFO,
    // a dangling link, a link loop) is an error, like a file that cannot be
    // read: the set without it would lack what it defines. It is reported
    // alone, as checking the rest would report those decisions as missing.
    let listing = base::dir::policy_entries(dir)?;
    if !listing.unusable.is_empty() {
        let mut sources = Sources::default();
        let mut diagnostics = Vec::new();
        for (path, why) in &listing.unusable {
            let name = path.display().to_string();
            let file = sources.add(Source::new(name.clone(), ""));
            diagnostics.push(
                Diagnostic::error(
                    lang::diagnostics::codes::UNREADABLE,
                    base::source::Span::new(file, 0, 0),
                    format!("cannot read `{name}`: {}", why.reason()),
                )
                .help(why.help()),
            );
        }
        return Ok(Checked {
            program: None,
            sources,
            diagnostics,
        });
    }
    let paths = listing.files;
    if paths.len() > limits.max_policy_files {
        let mut checked = Checked {
            program: None,
            sources: Sources::default(),
            diagnostics: Vec::new(),
        };
        let file = checked
            .sources
            .add(Source::new(dir.display().to_string(), ""));
        checked.diagnostics.push(
            Diagnostic::error(
                lang::diagnostics::codes::TOO_LARGE,
                base::source::Span::new(file, 0, 0),
                format!(
                    "the policy set has {} `.credo` files, more than the limit of {}",
                    paths.len(),
                    limits.max_policy_files
                ),
            )
            .help("merge policy files, or raise the limit with `--max-policy-files`"),
        );
        return Ok(checked);
    }
    if paths.is_empty() {
        let name = dir.display().to_string();
        let mut sources = Sources::default();
        let file = sources.add(Source::new(name.clone(), ""));
        return Ok(Checked {
            program: None,
            sources,
            diagnostics: vec![Diagnostic::error(
                lang::diagnostics::codes::UNREADABLE,
                base::source::Span::new(file, 0, 0),
                format!("cannot read `{name}`: it holds no `.credo` files"),
            )],
        });
    }
    Ok(load_files_with(&paths, limits))
}

/// Reads and checks the given policy files as one set.
pub fn load_files(paths: &[std::path::PathBuf]) -> Checked {
    load_files_with(paths, &Limits::default())
}

/// [`load_files`] within explicit [`Limits`]. A file that cannot be read is
/// reported alone: checking the rest would report the decisions it defines
/// as missing.
pub fn load_files_with(paths: &[std::path::PathBuf], limits: &Limits) -> Checked {
    let mut sources = Sources::default();
    let mut unreadable = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        match read_limited(path, limits.max_policy_bytes) {
            Ok(Some(bytes)) => match String::from_utf8(bytes) {
                Ok(text) => {
                    // A byte order mark is an editor's, not part of the policy.
                    let text = match text.strip_prefix('\u{feff}') {
                        Some(rest) => rest.to_owned(),
                        None => text,
                    };
                    sources.add(Source::new(name, text));
                }
                Err(e) => {
                    let (line, column) =
                        base::source::byte_position(e.as_bytes(), e.utf8_error().valid_up_to());
                    let byte = e
                        .as_bytes()
                        .get(e.utf8_error().valid_up_to())
                        .copied()
                        .unwrap_or_default();
                    unreadable.push((
                        name,
                        format!("it is not UTF-8 text: byte 0x{byte:02X} at line {line}, column {column}"),
                        None,
                    ))
                }
            },
            Ok(None) => unreadable.push((
                name,
                format!(
                    "it is larger than the limit of {}",
                    base::limits::bytes(limits.max_policy_bytes)
                ),
                Some("split the file, or raise the limit with `--max-policy-bytes`"),
            )),
            Err(e) => unreadable.push((name, e.to_string(), None)),
        }
    }
    if unreadable.is_empty() {
        return check_sources_with(sources, limits);
    }
    let mut diagnostics = Vec::new();
    for (name, reason, help) in unreadable {
        let file = sources.add(Source::new(name.clone(), ""));
        let code = if help.is_some() {
            lang::diagnostics::codes::TOO_LARGE
        } else {
            lang::diagnostics::codes::UNREADABLE
        };
        diagnostics.push(
            Diagnostic::error(
                code,
                base::source::Span::new(file, 0, 0),
                format!("cannot read `{name}`: {reason}"),
            )
            .help_opt(help.map(str::to_owned)),
        );
    }
    Checked {
        program: None,
        sources,
        diagnostics,
    }
}

/// The file's bytes, or `None` when it holds more than `limit`.
fn read_limited(path: &Path, limit: usize) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() <= limit).then_some(bytes))
}

/// Parses and checks a set of policy sources.
pub fn check_sources(sources: Sources) -> Checked {
    check_sources_with(sources, &Limits::default())
}

/// [`check_sources`] within explicit [`Limits`]: a source larger than
/// `max_policy_bytes` is an error, and is not parsed.
pub fn check_sources_with(sources: Sources, limits: &Limits) -> Checked {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for (id, source) in sources.iter() {
        if source.text.len() > limits.max_policy_bytes {
            diagnostics.push(
                Diagnostic::error(
                    lang::diagnostics::codes::TOO_LARGE,
                    base::source::Span::new(id, 0, 0),
                    format!(
                        "`{}` is larger than the limit of {}",
                        source.name,
                        base::limits::bytes(limits.max_policy_bytes)
                    ),
                )
                .help("split the file, or raise the limit with `--max-policy-bytes`"),
            );
            continue;
        }
        match lang::syntax::parse(id, &source.text) {
            Ok(file) => files.push(file),
            Err(errors) => diagnostics.extend(errors),
        }
    }
    check_parsed(sources, &files, diagnostics)
}

/// Checks the files that parsed, given the problems of those that did not:
/// the program when there is no error at all. One run shows every error,
/// but what the broken files may explain (a decision the catalog requires,
/// or an assertion names, may be defined in them) is left out. The
/// language server calls this with the parses it keeps between keystrokes.
pub fn check_parsed(
    sources: Sources,
    files: &[lang::ast::File],
    mut diagnostics: Vec<Diagnostic>,
) -> Checked {
    if !diagnostics.is_empty() {
        let schema_parsed = files.iter().any(|f| {
            f.items
                .iter()
                .any(|i| matches!(i, lang::ast::Item::Schema(_)))
        });
        if schema_parsed {
            let (_, more) = model::check::check(sources.clone(), files);
            diagnostics.extend(more.into_iter().filter(|d| {
                d.code != lang::diagnostics::codes::MISSING_DECISION
                    && d.code != lang::diagnostics::codes::BAD_ASSERTION
            }));
        }
        return Checked {
            program: None,
            sources,
            diagnostics,
        };
    }
    let (model, diagnostics) = model::check::check(sources.clone(), files);
    Checked {
        program: model.map(Program::compile),
        sources,
        diagnostics,
    }
}
