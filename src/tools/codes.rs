//! `credo codes`: the list of diagnostic codes, and for one code what it
//! means, a policy that triggers it, and what `credo check` says of that
//! policy — run live, so the page always shows today's message.

use std::fmt::Write as _;

use crate::base::source::{Source, Sources};
use crate::base::suggest;
use crate::lang::codes::{BOOK, CodeDoc, lookup};
use crate::lang::diagnostics;

/// The codes of problems outside policy files, with where they are said.
const OTHER_BOOKS: &[(&[(&str, &str)], &str)] = &[
    (
        crate::input::facts::codes::BOOK,
        "A problem with a fact document, said with the field's path (and the line and column \
         where the document has them) by `credo eval`, `explain` and `whatif`, in a batch \
         record's `errors` or `warnings`, by `credo serve` and by the Python package. An `F01..` \
         code is about one field; `F0101` is a warning and the field is ignored, the others are \
         errors and nothing is evaluated.",
    ),
    (
        crate::tools::policy_tests::codes::BOOK,
        "A problem with a policy test file (`POLICIES/tests/*.yaml`), said by `credo test` with \
         the file, the case and the field; no test runs until it is mended.",
    ),
];

/// Every code with its summary, one a line: policy codes, then fact and
/// test-file codes.
pub fn list() -> String {
    let policy = BOOK.iter().map(|d| (d.code, d.summary));
    let other = OTHER_BOOKS
        .iter()
        .flat_map(|(book, _)| book.iter().map(|(code, summary)| (*code, *summary)));
    policy
        .chain(other)
        .map(|(code, summary)| format!("{code}  {}\n", as_summary(summary)))
        .collect()
}

/// A doc comment as the book's summaries read: `a field ...`, no full stop.
fn as_summary(doc: &str) -> String {
    let doc = doc.trim().trim_end_matches('.');
    let mut chars = doc.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

/// Every code credo has, for "did you mean".
fn every_code() -> impl Iterator<Item = &'static str> {
    BOOK.iter().map(|d| d.code).chain(
        OTHER_BOOKS
            .iter()
            .flat_map(|(book, _)| book.iter().map(|(c, _)| *c)),
    )
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
    if let Some(doc) = lookup(code) {
        return Ok(page(doc, color));
    }
    for (book, said) in OTHER_BOOKS {
        if let Some((found, summary)) = book
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(code.trim()))
        {
            return Ok(format!("{found}: {}\n\n{said}\n", as_summary(summary)));
        }
    }
    Err(UnknownCode {
        code: code.to_owned(),
        suggestion: suggest::closest(&code.to_ascii_uppercase(), every_code()),
    })
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
