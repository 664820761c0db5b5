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
            let (start, end) = place(&doc.text, p.case.as_deref(), &p.field);
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

/// The byte range of the line a problem is about: the last key of its
/// field (`by` of `expect.credit_allocation.by`) at or after its case's
/// `name:` line, else that line, else the file's first line.
fn place(text: &str, case: Option<&str>, field: &str) -> (usize, usize) {
    let mut lines = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        lines.push((at, line.trim_end_matches(['\n', '\r'])));
        at += line.len();
    }
    let key_of = |l: &str| {
        let l = l.trim_start().trim_start_matches("- ");
        l.split_once(':')
            .map(|(k, _)| k.trim().trim_matches('"').to_owned())
    };
    let from = case
        .and_then(|c| {
            lines.iter().position(|(_, l)| {
                key_of(l).as_deref() == Some("name")
                    && l.split_once(':')
                        .is_some_and(|(_, v)| v.trim().trim_matches(['"', '\'']) == c)
            })
        })
        .unwrap_or(0);
    let keys: Vec<&str> = field
        .split('.')
        .map(|k| k.split('[').next().unwrap_or(k))
        .filter(|k| !k.is_empty())
        .collect();
    // The deepest key of the field that is written below the case's start.
    let indent_of = |l: &str| l.len() - l.trim_start().len();
    let case_indent = lines.get(from).map_or(0, |(_, l)| indent_of(l));
    let found = keys.iter().rev().find_map(|key| {
        lines
            .iter()
            .skip(from)
            .enumerate()
            // Up to the next case.
            .take_while(|(i, (_, l))| {
                *i == 0 || !(l.trim_start().starts_with("- ") && indent_of(l) <= case_indent)
            })
            .map(|(_, line)| line)
            .find(|(_, l)| key_of(l).as_deref() == Some(*key))
    });
    let (start, line) = found
        .or_else(|| lines.get(from))
        .copied()
        .unwrap_or((0, ""));
    let indent = line.len() - line.trim_start().len();
    (start + indent, start + line.len())
}

#[cfg(test)]
mod tests {
    use super::place;

    const FILE: &str = "cases:\n  - name: first\n    expect:\n      a: yes\n  - name: second\n    facts: x.yaml\n    expect:\n      credit: no\n";

    #[test]
    fn a_problem_is_placed_on_its_cases_key() {
        let (s, e) = place(FILE, Some("second"), "expect.credit");
        assert_eq!(&FILE[s..e], "credit: no");
        let (s, e) = place(FILE, Some("second"), "facts");
        assert_eq!(&FILE[s..e], "facts: x.yaml");
    }

    #[test]
    fn a_problem_without_a_key_is_placed_on_its_case_or_the_first_line() {
        let (s, e) = place(FILE, Some("first"), "missing.thing");
        assert_eq!(&FILE[s..e], "- name: first");
        let (s, e) = place(FILE, None, "");
        assert_eq!(&FILE[s..e], "cases:");
    }
}
