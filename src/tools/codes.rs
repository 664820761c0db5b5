//! `credo codes`: the list of diagnostic codes, and for one code what it
//! means, a policy that triggers it, and what `credo check` says of that
//! policy — run live, so the page always shows today's message.

use std::fmt::Write as _;

use crate::base::source::{Source, Sources};
use crate::base::suggest;
use crate::lang::codes::{BOOK, CodeDoc, lookup};
use crate::lang::diagnostics;

/// Every code with its summary, one a line.
pub fn list() -> String {
    BOOK.iter()
        .map(|d| format!("{}  {}\n", d.code, d.summary))
        .collect()
}

/// A code credo does not have, with the closest one it does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no diagnostic code `{code}`{}", .suggestion.map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
pub struct UnknownCode {
    pub code: String,
    pub suggestion: Option<&'static str>,
}

/// The page for one code.
pub fn describe(code: &str, color: bool) -> Result<String, UnknownCode> {
    let doc = lookup(code).ok_or_else(|| UnknownCode {
        code: code.to_owned(),
        suggestion: suggest::closest(&code.to_ascii_uppercase(), BOOK.iter().map(|d| d.code)),
    })?;
    Ok(page(doc, color))
}

fn page(doc: &CodeDoc, color: bool) -> String {
    let mut out = format!("{}: {}\n\n{}\n", doc.code, doc.summary, doc.explanation());
    if let Some(policy) = doc.policy() {
        let name = format!("{}.credo", doc.code);
        out.push_str("\nFor example:\n\n");
        for line in policy.trim_matches('\n').lines() {
            match line {
                "" => out.push('\n'),
                line => {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
        let mut sources = Sources::default();
        sources.add(Source::new(name, policy));
        let checked = crate::check_sources(sources);
        out.push_str("\n`credo check` says:\n\n");
        out.push_str(&diagnostics::render(
            &checked.sources,
            &checked.diagnostics,
            color,
        ));
    }
    out
}
