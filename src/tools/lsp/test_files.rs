//! The policy test files (`tests/*.yaml`) as members of the set: what
//! `credo test` would refuse in them, placed on their lines, so that a
//! test file with a slip (an unknown decision, a rule id that is not one,
//! a fact file that is gone) shows it in the editor, opened or not.

use crate::tools::policy_tests;

use super::analysis::Analysis;
use super::text::{LineIndex, Range};

/// One problem of a test file: where, and what `credo test` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestProblem {
    /// Index in the analysis' test files.
    pub file: usize,
    pub range: Range,
    /// The message, then the help on a line of its own.
    pub message: String,
}

/// The problems of every test file. None while the policies have errors:
/// a test file is read against the checked set.
pub fn problems(a: &Analysis) -> Vec<TestProblem> {
    let Some(program) = &a.program else {
        return Vec::new();
    };
    let dir = a.input.dir.clone().unwrap_or_default();
    let mut out = Vec::new();
    for (file, doc) in a.input.tests.iter().enumerate() {
        let stem = std::path::Path::new(&doc.name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Err(found) = policy_tests::parse(program, &dir, &doc.name, &stem, &doc.text) else {
            continue;
        };
        let index = LineIndex::new(&doc.text);
        for p in found {
            // Where `credo test` underlines it: the field in its case
            // (`crate::input::locate`), or the case, or the file's start.
            let span = p.diagnostic(crate::base::source::FileId(0)).span;
            let (start, end) = (span.start, span.end);
            let mut message = String::new();
            if let Some(case) = &p.case {
                message.push_str(&format!("case {case}: "));
            }
            if !p.field.is_empty() {
                message.push_str(&format!("{}: ", p.field));
            }
            message.push_str(&p.message);
            if let Some(help) = &p.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            out.push(TestProblem {
                file,
                range: index.range(&doc.text, start, end),
                message,
            });
        }
    }
    out
}
