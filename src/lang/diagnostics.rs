//! Diagnostics: every problem found in policies, with a stable code, where it
//! is, and what would fix it. One renderer prints them all alike, and the
//! problems of fact documents (`crate::input::report`) and policy test files
//! (`crate::tools::problems`) are turned into diagnostics to be printed by it.

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::{self, SimpleFiles};
use codespan_reporting::term::{self, Config, termcolor};
use serde::Serialize;

use crate::base::escape;
use crate::base::source::{Sources, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a policy set.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// A stable code such as `E0102`; see [`crate::lang::diagnostics::codes`].
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    /// Text under the underline.
    pub label: String,
    /// Other places worth showing, such as the first definition of a duplicate.
    pub secondary: Vec<(Span, String)>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            label: String::new(),
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn help_opt(mut self, help: Option<String>) -> Diagnostic {
        self.help = help;
        self
    }

    pub fn also(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push((span, label.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// An unknown currency code, with the nearest real one.
pub fn unknown_currency(code: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        codes::UNKNOWN_CURRENCY,
        span,
        format!("unknown currency `{code}`"),
    )
    .label("not an ISO 4217 code")
    .help_opt(crate::base::money::Currency::suggest(code).map(|c| format!("did you mean `{c}`?")))
}

/// The stable codes, one per kind of problem.
pub mod codes {
    /// The text does not follow the grammar.
    pub const SYNTAX: &str = "E0001";
    /// Parentheses, lists or `not`s nested deeper than the limit.
    pub const TOO_DEEP: &str = "E0002";
    /// A literal that is not a valid number, money amount or date.
    pub const BAD_LITERAL: &str = "E0003";
    /// A policy file could not be read.
    pub const UNREADABLE: &str = "E0004";
    /// A policy file or set larger than its [`crate::base::limits::Limits`].
    pub const TOO_LARGE: &str = "E0005";
    /// A field path the schema does not declare.
    pub const UNKNOWN_FIELD: &str = "E0101";
    /// An enum or classification member that does not exist.
    pub const UNKNOWN_MEMBER: &str = "E0102";
    /// Operands or values of the wrong type.
    pub const TYPE_MISMATCH: &str = "E0103";
    /// Money of two different currencies.
    pub const CURRENCY_MISMATCH: &str = "E0104";
    /// Two decisions with one id.
    pub const DUPLICATE_DECISION: &str = "E0105";
    /// Two rules with one id in a decision.
    pub const DUPLICATE_RULE: &str = "E0106";
    /// A table without an `otherwise` row.
    pub const MISSING_OTHERWISE: &str = "E0107";
    /// A decision the schema's catalog requires is not defined.
    pub const MISSING_DECISION: &str = "E0108";
    /// A decision of another kind than its catalog entry.
    pub const KIND_MISMATCH: &str = "E0109";
    /// An item that does not belong in this kind of decision.
    pub const MISPLACED_ITEM: &str = "E0110";
    /// No schema, or more than one.
    pub const SCHEMA_COUNT: &str = "E0111";
    /// A field, member or catalog entry declared twice.
    pub const DUPLICATE_DECLARATION: &str = "E0112";
    /// A row after `otherwise`, or `otherwise` twice.
    pub const UNREACHABLE_ROW: &str = "E0113";
    /// A classification or amount without its table.
    pub const MISSING_TABLE: &str = "E0114";
    /// A currency code that is not ISO 4217.
    pub const UNKNOWN_CURRENCY: &str = "E0115";
    /// An unknown modifier on a schema field.
    pub const UNKNOWN_MODIFIER: &str = "E0117";
    /// An assertion about a decision that is not defined, or a claim that does not fit it.
    pub const BAD_ASSERTION: &str = "E0118";
    /// A named condition whose name is taken: by a fact, a decision, an enum
    /// member or another named condition.
    pub const NAME_CLASH: &str = "E0119";
    /// Named conditions that use each other in a cycle.
    pub const CONDITION_CYCLE: &str = "E0120";
    /// Decisions that use each other in a cycle, directly or through named conditions.
    pub const DECISION_CYCLE: &str = "E0121";
    /// An eligibility or action decision used as a value.
    pub const NOT_A_VALUE: &str = "E0122";
    /// A named condition that nothing uses (a warning).
    pub const UNUSED_CONDITION: &str = "W0123";
    /// Money times a rate with no rounding mode: neither `round(..)` nor the
    /// decision's `rounding`.
    pub const IMPLICIT_ROUNDING: &str = "E0124";
    /// A rate anywhere but multiplying money, or `round(..)` of something not money.
    pub const MISPLACED_RATE: &str = "E0125";
    /// A `{placeholder}` in a message that is not a fact of the schema, or is not closed.
    pub const BAD_PLACEHOLDER: &str = "E0126";
    /// Two versions of the same decision, rule or named condition in force on the same day.
    pub const OVERLAPPING_VERSIONS: &str = "E0127";
    /// A day on which a decision of the catalog has no version in force and no declared gap.
    pub const UNCOVERED_DAYS: &str = "E0128";
    /// An effective window that is never in force (backwards, outside its
    /// version's), misplaced, or a `gap` for a decision with no versions.
    pub const BAD_WINDOW: &str = "E0129";
    /// A range of two constants whose start is after its end (a warning).
    pub const EMPTY_RANGE: &str = "W0101";
    /// A decision used as a value where, on some days, it has no version in
    /// force (a declared `gap`, or days no version covers): the user is then
    /// undetermined with no fact missing (a warning).
    pub const USED_WITHOUT_VERSION: &str = "W0130";
}

/// Renders diagnostics as rustc does: code, message, `file:line:col`, the
/// source line with the span underlined, and the help.
pub fn render(sources: &Sources, diagnostics: &[Diagnostic], color: bool) -> String {
    let mut files = Numbered {
        files: SimpleFiles::new(),
        first_lines: sources.iter().map(|(_, s)| s.first_line()).collect(),
    };
    // Each source as shown: its unsafe characters escaped, spans moved to match.
    let shown: Vec<ShownSource> = sources
        .iter()
        .map(|(_, s)| ShownSource::new(&s.text))
        .collect();
    let ids: Vec<usize> = sources
        .iter()
        .zip(&shown)
        .map(|((_, s), t)| {
            files
                .files
                .add(escape::shown(&s.name).into_owned(), t.text.clone())
        })
        .collect();
    let file_of = |span: Span| ids.get(span.file.0 as usize).copied().unwrap_or(0);
    let range = |span: Span| match shown.get(span.file.0 as usize) {
        Some(t) => t.at(span.start)..t.at(span.end),
        None => span.start..span.end,
    };
    let config = Config::default();
    let mut out: Vec<u8> = Vec::new();
    let shown = crate::base::limits::MAX_DIAGNOSTICS_SHOWN;
    for diagnostic in diagnostics.iter().take(shown) {
        let long_line = sources.get(diagnostic.span.file).is_some_and(|s| {
            s.line_len(diagnostic.span.start) > crate::base::limits::MAX_QUOTED_LINE
        });
        if long_line {
            out.extend_from_slice(compact(sources, diagnostic).as_bytes());
            continue;
        }
        // A file that could not be read has no text to quote: an empty code
        // frame would only say "line 1" of nothing.
        let no_text = sources
            .get(diagnostic.span.file)
            .is_some_and(|s| s.text.is_empty());
        if no_text && diagnostic.secondary.is_empty() {
            out.extend_from_slice(textless(sources, diagnostic).as_bytes());
            continue;
        }
        let mut labels = Vec::new();
        if !no_text {
            labels.push(
                Label::primary(file_of(diagnostic.span), range(diagnostic.span))
                    .with_message(escape::shown(&diagnostic.label)),
            );
        }
        for (span, message) in &diagnostic.secondary {
            labels.push(
                Label::secondary(file_of(*span), range(*span)).with_message(escape::shown(message)),
            );
        }
        let report = match diagnostic.severity {
            Severity::Error => Report::error(),
            Severity::Warning => Report::warning(),
        }
        .with_code(diagnostic.code)
        .with_message(escape::shown(&diagnostic.message))
        .with_labels(labels)
        .with_notes(
            diagnostic
                .help
                .iter()
                .map(|h| format!("help: {}", escape::shown(h)))
                .collect(),
        );
        let mut buffer = if color {
            termcolor::Buffer::ansi()
        } else {
            termcolor::Buffer::no_color()
        };
        let result = term::emit_to_write_style(&mut buffer, &config, &files, &report);
        out.extend_from_slice(buffer.as_slice());
        if let Err(error) = result {
            let at = sources.locate(diagnostic.span);
            out.extend_from_slice(
                format!(
                    "{}[{}]: {} at {} ({error})\n",
                    severity_word(diagnostic),
                    diagnostic.code,
                    escape::shown(&diagnostic.message),
                    escape::shown(&at.to_string())
                )
                .as_bytes(),
            );
        }
    }
    if let Some(hidden) = diagnostics.len().checked_sub(shown).filter(|n| *n > 0) {
        out.extend_from_slice(
            format!("… and {hidden} more, not shown: fix these first, or see them all with `--format json`\n\n")
                .as_bytes(),
        );
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The files as codespan numbers their lines: a text that is one line of a
/// larger file (a corpus record) is numbered from its line there.
struct Numbered {
    files: SimpleFiles<String, String>,
    first_lines: Vec<usize>,
}

impl<'a> files::Files<'a> for Numbered {
    type FileId = usize;
    type Name = String;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<String, files::Error> {
        self.files.name(id)
    }

    fn source(&'a self, id: usize) -> Result<&'a str, files::Error> {
        self.files.source(id)
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, files::Error> {
        self.files.line_index(id, byte_index)
    }

    fn line_range(
        &'a self,
        id: usize,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, files::Error> {
        self.files.line_range(id, line_index)
    }

    fn line_number(&'a self, id: usize, line_index: usize) -> Result<usize, files::Error> {
        let first = self.first_lines.get(id).copied().unwrap_or(1);
        Ok(line_index + first)
    }
}

/// A diagnostic about a file with no text to quote (unreadable, or empty):
/// an empty code frame would only say "line 1" of nothing, so the file is
/// named on its own, unless the message already names it.
fn textless(sources: &Sources, diagnostic: &Diagnostic) -> String {
    let mut out = format!(
        "{}[{}]: {}\n",
        severity_word(diagnostic),
        diagnostic.code,
        escape::shown(&diagnostic.message),
    );
    let name = sources
        .get(diagnostic.span.file)
        .map(|s| escape::shown(&s.name).into_owned())
        .unwrap_or_default();
    let named = !name.is_empty() && !diagnostic.message.contains(&name);
    if named {
        out.push_str(&format!("  --> {name}\n"));
    }
    if let Some(help) = &diagnostic.help {
        // Under the arrow when there is one, as codespan aligns it.
        let indent = if named { "  " } else { " " };
        out.push_str(&format!("{indent}= help: {}\n", escape::shown(help)));
    }
    out.push('\n');
    out
}

/// A diagnostic without its source line, for lines too long to quote.
fn compact(sources: &Sources, diagnostic: &Diagnostic) -> String {
    let mut out = format!(
        "{}[{}]: {}\n  --> {} (the line is too long to show)\n",
        severity_word(diagnostic),
        diagnostic.code,
        escape::shown(&diagnostic.message),
        escape::shown(&sources.locate(diagnostic.span).to_string())
    );
    if let Some(help) = &diagnostic.help {
        out.push_str(&format!("  = help: {}\n", escape::shown(help)));
    }
    out.push('\n');
    out
}

/// A policy's text as the renderer shows it: unsafe characters escaped
/// (tabs and line ends kept), with where each escape moved the bytes after it.
struct ShownSource {
    text: String,
    /// For each escaped character: its byte offset in the original text, and
    /// how many bytes longer the text is after it than before.
    shifts: Vec<(usize, usize)>,
}

impl ShownSource {
    fn new(original: &str) -> ShownSource {
        let keep = |c: char, next: Option<char>| {
            c == '\n' || c == '\t' || (c == '\r' && next == Some('\n'))
        };
        let mut chars = original.char_indices().peekable();
        let mut text = String::new();
        let mut shifts = Vec::new();
        let mut extra = 0;
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|(_, n)| *n);
            if escape::is_unsafe(c) && !keep(c, next) {
                let escaped = format!("\\u{{{:x}}}", u32::from(c));
                extra += escaped.len() - c.len_utf8();
                text.push_str(&escaped);
                shifts.push((i, extra));
            } else {
                text.push(c);
            }
        }
        ShownSource { text, shifts }
    }

    /// Where a byte offset of the original text is in the shown text.
    fn at(&self, offset: usize) -> usize {
        let before = self.shifts.partition_point(|(i, _)| *i < offset);
        let extra = before
            .checked_sub(1)
            .and_then(|k| self.shifts.get(k))
            .map_or(0, |(_, e)| *e);
        offset + extra
    }
}

fn severity_word(diagnostic: &Diagnostic) -> &'static str {
    match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The machine-readable form of a diagnostic (`--format json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub help: Option<String>,
}

pub fn to_json(sources: &Sources, diagnostics: &[Diagnostic]) -> Vec<JsonDiagnostic> {
    diagnostics
        .iter()
        .map(|d| {
            let at = sources.locate(d.span);
            JsonDiagnostic {
                code: d.code,
                severity: d.severity,
                message: d.message.clone(),
                file: at.file,
                line: at.line,
                column: at.column,
                help: d.help.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_source_moves_spans_past_each_escape() {
        let shown = ShownSource::new("a\u{202e}b\tc\r\nd\u{0}e");
        assert_eq!(shown.text, "a\\u{202e}b\tc\r\nd\\u{0}e");
        // `a` stays, `b` moves by the escape's extra bytes (8 - 3), `e` by both.
        assert_eq!(shown.at(0), 0);
        assert_eq!(shown.at(1), 1);
        assert_eq!(shown.at(4), 9);
        assert_eq!(shown.at(10), 15);
        assert_eq!(shown.at(11), 20);
    }
}
