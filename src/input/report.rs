//! Fact problems as diagnostics, rendered by the one renderer
//! ([`crate::lang::diagnostics::render`]) like policy problems: the code,
//! `file:line:column`, the line of the document with the field underlined,
//! and the help. The field is found in the text by [`crate::input::locate`],
//! only when there is a problem to show.

use crate::base::source::{FileId, Source, Sources, Span};
use crate::input::facts::{FactProblem, Format};
use crate::input::locate;
use crate::lang::diagnostics::{self, Diagnostic, JsonDiagnostic};

/// A fact document as its problems name it.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    /// The name shown: `facts.yaml`, `<stdin>`, `corpus.jsonl`.
    pub name: &'a str,
    /// Its text; empty when it could not be read.
    pub text: &'a str,
    pub format: Format,
    /// The line of its file the text starts on: 1, or a corpus record's line.
    pub first_line: usize,
}

impl<'a> Document<'a> {
    /// A whole file's text.
    pub fn new(name: &'a str, text: &'a str, format: Format) -> Document<'a> {
        Document {
            name,
            text,
            format,
            first_line: 1,
        }
    }

    /// One line of a JSON Lines corpus, numbered as in the corpus.
    pub fn line(name: &'a str, text: &'a str, line: usize) -> Document<'a> {
        Document {
            first_line: line,
            ..Document::new(name, text, Format::Json)
        }
    }

    /// The document as the renderer's one source. Blank text is shown as
    /// none: a frame of blank lines would say nothing.
    pub fn sources(&self) -> Sources {
        let text = if self.text.trim().is_empty() {
            ""
        } else {
            self.text
        };
        let mut sources = Sources::default();
        sources.add(Source::new(self.name, text).starting_at_line(self.first_line));
        sources
    }
}

impl FactProblem {
    /// The problem as a diagnostic about the document `text` (file `file`):
    /// at the position its parser gave, else at its field, else at the
    /// nearest place that encloses the field (its section, or the start).
    pub fn diagnostic(&self, file: FileId, text: &str, format: Format) -> Diagnostic {
        let (start, end) = match self.position {
            Some((line, column)) => {
                let at = locate::offset(text, line, column);
                // One character, so that the underline has something under it.
                let next = text.get(at..).and_then(|t| t.chars().next());
                (at, at + next.map_or(0, char::len_utf8))
            }
            None if self.path.is_empty() => {
                let place = locate::start(text);
                (place.start, place.end)
            }
            None => {
                let place = locate::field(text, format, &self.path);
                match place.value {
                    // A wrong value is shown under the value; an unknown
                    // field or a wrong record under the whole entry.
                    Some(value) if place.exact && is_about_the_value(self.code) => {
                        (value, place.end)
                    }
                    _ => (place.start, place.end),
                }
            }
        };
        let message = if self.path.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.path, self.message)
        };
        Diagnostic {
            severity: self.severity,
            help: self.help.clone(),
            ..Diagnostic::error(self.code, Span::new(file, start, end), message)
        }
    }
}

/// Whether a problem's code is about a field's value (a wrong type, an
/// unknown member, a bad date, number or money), not the field itself.
fn is_about_the_value(code: &str) -> bool {
    use crate::input::facts::codes;
    [
        codes::WRONG_TYPE,
        codes::UNKNOWN_MEMBER,
        codes::BAD_DATE,
        codes::DATE_OUT_OF_RANGE,
        codes::INT_OUT_OF_RANGE,
        codes::NEGATIVE,
        codes::BAD_MONEY,
        codes::MONEY_TOO_MANY_DIGITS,
        codes::MONEY_UNUSUAL_CHARACTER,
        codes::WRONG_CURRENCY,
        codes::MONEY_TOO_PRECISE,
    ]
    .contains(&code)
}

/// The problems as diagnostics about `document`, with its sources. A
/// document with no text (not read, or not UTF-8) has nothing to quote: a
/// position its reader found is then named with the file, `facts.yaml:3:31`.
pub fn diagnostics(
    document: &Document<'_>,
    problems: &[FactProblem],
) -> (Sources, Vec<Diagnostic>) {
    let mut sources = document.sources();
    let found = problems
        .iter()
        .map(|p| match p.position {
            Some((line, column)) if document.text.is_empty() => {
                let line = line + document.first_line.saturating_sub(1);
                let named = format!("{}:{line}:{column}", document.name);
                let file = sources.add(Source::new(named, ""));
                p.diagnostic(file, "", document.format)
            }
            _ => p.diagnostic(FileId(0), document.text, document.format),
        })
        .collect();
    (sources, found)
}

/// The problems with their positions in `text` (which starts on line
/// `first_line` of its file): where their parser put them, else where
/// their field is, as a diagnostic would show them. For records that name
/// a problem's line and column (`credo batch`), without a code frame.
pub fn placed(
    problems: Vec<FactProblem>,
    text: &str,
    format: Format,
    first_line: usize,
) -> Vec<FactProblem> {
    let source = Source::new("", text).starting_at_line(first_line);
    problems
        .into_iter()
        .map(|p| {
            let span = p.diagnostic(FileId(0), text, format).span;
            FactProblem {
                position: Some(source.line_col(span.start)),
                ..p
            }
        })
        .collect()
}

/// Whether a problem's position was given by the parser of a document
/// that could not be read (its message then names the column).
pub fn from_parser(problem: &FactProblem) -> bool {
    use crate::input::facts::codes;
    [codes::SYNTAX, codes::UNSUPPORTED_YAML, codes::UNREADABLE].contains(&problem.code)
}

/// The problems as text, as the CLI prints them.
pub fn render(document: &Document<'_>, problems: &[FactProblem], color: bool) -> String {
    let (sources, found) = diagnostics(document, problems);
    diagnostics::render(&sources, &found, color)
}

/// The problems in the JSON shape of policy diagnostics (`--format json`).
pub fn to_json(document: &Document<'_>, problems: &[FactProblem]) -> Vec<JsonDiagnostic> {
    let (sources, found) = diagnostics(document, problems);
    let mut json = diagnostics::to_json(&sources, &found);
    if document.text.is_empty() {
        // The position was named with the file: give it its own fields.
        for (j, p) in json.iter_mut().zip(problems) {
            if let Some((line, column)) = p.position {
                j.file = document.name.to_owned();
                j.line = line + document.first_line.saturating_sub(1);
                j.column = column;
            }
        }
    }
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(path: &str, position: Option<(usize, usize)>) -> FactProblem {
        FactProblem {
            path: path.to_owned(),
            position,
            ..FactProblem::whole("F0102", "expected a boolean".to_owned())
        }
    }

    #[test]
    fn a_field_problem_points_at_its_line() {
        let text = "account:\n  policy_violation: \"no\"\n";
        let document = Document::new("facts.yaml", text, Format::Yaml);
        let json = to_json(&document, &[problem("account.policy_violation", None)]);
        let first = json.first().map(|j| (j.line, j.column, j.message.as_str()));
        assert_eq!(
            first,
            Some((2, 21, "account.policy_violation: expected a boolean"))
        );
    }

    #[test]
    fn a_corpus_line_is_numbered_as_in_the_corpus() {
        let text = "{\"account\": {\"policy_violation\": \"no\"}}";
        let document = Document::line("corpus.jsonl", text, 7);
        let json = to_json(
            &document,
            &[
                problem("account.policy_violation", None),
                problem("", Some((1, 5))),
            ],
        );
        let at: Vec<_> = json.iter().map(|j| (j.line, j.column)).collect();
        assert_eq!(at, vec![(7, 34), (7, 5)]);
        let shown = render(
            &document,
            &[problem("account.policy_violation", None)],
            false,
        );
        assert!(shown.contains("corpus.jsonl:7:34"), "{shown}");
    }

    #[test]
    fn a_document_without_text_is_named_without_a_frame() {
        let document = Document::new("gone.yaml", "", Format::Yaml);
        let shown = render(&document, &[problem("", None)], false);
        assert_eq!(
            shown,
            "error[F0102]: expected a boolean\n  --> gone.yaml\n\n"
        );
        let shown = render(&document, &[problem("", Some((3, 31)))], false);
        assert_eq!(
            shown,
            "error[F0102]: expected a boolean\n  --> gone.yaml:3:31\n\n"
        );
    }
}
