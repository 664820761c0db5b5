//! Policy test-file problems as diagnostics, rendered by the one renderer
//! ([`crate::lang::diagnostics::render`]) like policy and fact problems:
//! the code, `file:line:column`, the line of the test file with the field
//! underlined (found by [`crate::input::locate`]), and the help.

use std::collections::BTreeMap;

use crate::base::source::{FileId, Source, Sources, Span};
use crate::input::facts::Format;
use crate::input::locate;
use crate::lang::diagnostics::{self, Diagnostic, JsonDiagnostic};
use crate::tools::policy_tests::Problem;

impl Problem {
    /// The problem as a diagnostic about its file (`file` in the sources):
    /// at the parser's position, else at its field in its case, else at
    /// the nearest place that encloses it.
    pub fn diagnostic(&self, file: FileId) -> Diagnostic {
        let text = self.text.as_deref().unwrap_or_default();
        let (start, end) = match self.position {
            Some((line, column)) => {
                let at = locate::offset(text, line, column);
                let next = text.get(at..).and_then(|t| t.chars().next());
                (at, at + next.map_or(0, char::len_utf8))
            }
            None => {
                let place = locate::field(text, Format::Yaml, &self.path());
                (place.start, place.end)
            }
        };
        let mut message = String::new();
        if let Some(case) = &self.case {
            message.push_str(&format!("case {case}: "));
        }
        if !self.field.is_empty() {
            message.push_str(&format!("{}: ", self.field));
        }
        message.push_str(&self.message);
        Diagnostic::error(self.code, Span::new(file, start, end), message)
            .help_opt(self.help.clone())
    }

    /// Where the problem is in the file: `cases[2].expect.credit_track`.
    /// A problem in a case's fact file (`facts (examples/a.yaml).account`)
    /// is shown at the case's `facts`.
    fn path(&self) -> String {
        let field = if self.field.starts_with("facts (") {
            "facts"
        } else {
            self.field.as_str()
        };
        match (self.index, field) {
            (Some(i), "") => format!("cases[{i}]"),
            (Some(i), field) => format!("cases[{i}].{field}"),
            (None, field) => field.to_owned(),
        }
    }
}

/// The problems as diagnostics, with one source per file they are in.
pub fn diagnostics(problems: &[Problem]) -> (Sources, Vec<Diagnostic>) {
    let mut sources = Sources::default();
    let mut files: BTreeMap<&str, FileId> = BTreeMap::new();
    let found = problems
        .iter()
        .map(|p| {
            let file = *files.entry(p.file.as_str()).or_insert_with(|| {
                let text = p.text.as_deref().unwrap_or_default();
                sources.add(Source::new(p.file.as_str(), text))
            });
            p.diagnostic(file)
        })
        .collect();
    (sources, found)
}

/// The problems as text, as `credo test` prints them.
pub fn render(problems: &[Problem], color: bool) -> String {
    let (sources, found) = diagnostics(problems);
    diagnostics::render(&sources, &found, color)
}

/// The problems in the JSON shape of policy diagnostics.
pub fn to_json(problems: &[Problem]) -> Vec<JsonDiagnostic> {
    let (sources, found) = diagnostics(problems);
    diagnostics::to_json(&sources, &found)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::tools::policy_tests::codes;

    fn problem(index: Option<usize>, field: &str, text: &str) -> Problem {
        Problem {
            code: codes::BAD_EXPECTATION,
            file: "tests/a.yaml".to_owned(),
            case: index.map(|i| format!("#{}", i + 1)),
            index,
            field: field.to_owned(),
            message: "no decision `x`".to_owned(),
            help: None,
            position: None,
            text: Some(Arc::from(text)),
        }
    }

    const FILE: &str = "cases:\n  - name: one\n    facts: a.yaml\n  - name: two\n    facts: b.yaml\n    expect:\n      x: eligible\n";

    #[test]
    fn a_test_problem_points_at_its_cases_field() {
        let json = to_json(&[
            problem(Some(1), "expect.x", FILE),
            problem(Some(0), "facts (a.yaml).account.segment", FILE),
            problem(Some(1), "as_of", FILE),
        ]);
        let at: Vec<_> = json.iter().map(|j| (j.line, j.column)).collect();
        // The field; the case's `facts` for a fact file; the case for what is not written.
        assert_eq!(at, vec![(7, 7), (3, 5), (4, 3)]);
        assert_eq!(
            json.first().map(|j| j.message.as_str()),
            Some("case #2: expect.x: no decision `x`")
        );
    }
}
