//! Error recovery: a file that does not parse is parsed again in pieces, so a
//! run reports every slip it can find rather than only the first.
//!
//! The file is cut into chunks at lines that start a top-level item
//! (`decision ID`, `schema {`, `assert ID`, or a misspelling of one) and each
//! chunk is parsed alone. In a decision or schema that does not parse,
//! parsing resumes at the first line after the error that starts a rule
//! (`allow`, `deny`, `note`, `applies`, `first`) or a schema entry (`name:`,
//! `name {`), and the rest of the chunk is parsed with `decision_rest`,
//! `schema_rest` or `catalog_rest`. Pieces that do parse are lowered too, for
//! the problems lowering finds (a bad date). A line inside a table is never a
//! place to resume, so an error in a row hides the rest of its table.

use pest::Parser as _;

use super::{CredoParser, Rule, lower, syntax_error};
use crate::base::source::{FileId, Span};
use crate::lang::diagnostics::{Diagnostic, codes};

/// Every problem in a file that failed to parse with `first`, in file order.
pub fn errors(file: FileId, text: &str, first: pest::error::Error<Rule>) -> Vec<Diagnostic> {
    let lines = line_words(text);
    let mut bounds: Vec<usize> = lines
        .iter()
        .copied()
        .filter(|&at| item_kind(rest(text, at)).is_some())
        .collect();
    if bounds.first() != Some(&0) {
        bounds.insert(0, 0);
    }
    bounds.push(text.len());
    let mut errors = Vec::new();
    for chunk in bounds.windows(2) {
        let &[start, end] = chunk else { continue };
        let Some(piece) = text.get(start..end) else {
            continue;
        };
        let Err(error) = parse_piece(file, Rule::file, piece, start, &mut errors) else {
            continue;
        };
        errors.push(diagnose(file, text, start, piece, &error));
        let resume: fn(&str) -> Option<Rule> = match item_kind(piece.trim_start()) {
            Some(Item::Decision) => decision_item_rest,
            Some(Item::Schema) => schema_entry_rest,
            _ => continue,
        };
        let mut failed_at = start + super::error_offset(&error);
        let mut segment = start;
        loop {
            let from = lines.partition_point(|&at| at < failed_at.max(segment + 1));
            let Some((next, rest_rule)) = lines
                .get(from..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&at| at < end)
                .find_map(|&at| Some((at, resume(rest(text, at))?)))
            else {
                break;
            };
            segment = next;
            let Some(piece) = text.get(next..end) else {
                break;
            };
            match parse_piece(file, rest_rule, piece, next, &mut errors) {
                Ok(()) => break,
                Err(error) => {
                    errors.push(syntax_error(file, text, next, &error));
                    failed_at = next + super::error_offset(&error);
                }
            }
        }
    }
    if errors.is_empty() {
        errors.push(syntax_error(file, text, 0, &first));
    }
    errors.sort_by_key(|d| d.span.start);
    errors
}

/// The syntax error for a chunk, said better where the slip is a common
/// one: a decision head without its `:`, or a `{` that is never closed
/// (pest sees only where the text ran out, not where the block began).
fn diagnose(
    file: FileId,
    text: &str,
    start: usize,
    piece: &str,
    error: &pest::error::Error<Rule>,
) -> Diagnostic {
    let at = super::error_offset(error);
    if let Some((colon, id)) = missing_colon(piece).filter(|&(c, _)| at <= c) {
        let found = super::found_at(piece, colon);
        let span = Span::new(file, start + colon, start + colon + found.len().max(1));
        return Diagnostic::error(
            codes::SYNTAX,
            span,
            format!("expected `:` after the decision id, found `{found}`"),
        )
        .label("expected `:` here")
        .help(format!("write `decision {id}: {found}`"));
    }
    let diagnostic = syntax_error(file, text, start, error);
    let ran_out = at >= piece.trim_end().len();
    match unclosed_brace(piece).filter(|_| ran_out) {
        Some(open) => {
            let line = crate::base::source::byte_position(text.as_bytes(), start + open).0;
            Diagnostic {
                message: format!("this block is never closed: the `{{` on line {line} has no `}}`"),
                label: "expected `}` before this".to_owned(),
                help: Some("close the block with `}` before the next item".to_owned()),
                ..diagnostic
            }
            .also(
                Span::new(file, start + open, start + open + 1),
                "the block opens here",
            )
        }
        None => diagnostic,
    }
}

/// Where the `:` belongs in `decision ID: kind`, when the chunk is a
/// decision head with something else there.
fn missing_colon(piece: &str) -> Option<(usize, &str)> {
    let head = piece.trim_start();
    let (keyword, after) = word(head);
    if keyword != "decision" || !blanks_then_name(after) {
        return None;
    }
    let (id, after) = word(after_blanks(after));
    let rest = after_blanks(after);
    if id.is_empty() || rest.starts_with(':') || rest.is_empty() {
        return None;
    }
    Some((piece.len() - rest.len(), id))
}

/// The outermost `{` that the piece never closes, outside strings and comments.
fn unclosed_brace(piece: &str) -> Option<usize> {
    let mut open: Vec<usize> = Vec::new();
    let (mut in_string, mut in_comment, mut escaped) = (false, false, false);
    for (i, b) in piece.bytes().enumerate() {
        if in_comment {
            in_comment = b != b'\n';
        } else if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"' | b'\n') => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'#' => in_comment = true,
                b'"' => in_string = true,
                b'{' => open.push(i),
                b'}' => {
                    open.pop();
                }
                _ => {}
            }
        }
    }
    open.first().copied()
}

/// Parses `piece` (at `offset` of the file) with `rule`; when it parses, adds
/// the problems found lowering it to `errors`.
fn parse_piece(
    file: FileId,
    start_rule: Rule,
    piece: &str,
    offset: usize,
    errors: &mut Vec<Diagnostic>,
) -> Result<(), pest::error::Error<Rule>> {
    match CredoParser::parse(start_rule, piece) {
        Ok(mut pairs) => {
            if let Some(root) = pairs.next() {
                errors.extend(lower::piece(file, offset, root).1);
            }
            Ok(())
        }
        Err(error) => Err(error),
    }
}

enum Item {
    Decision,
    Schema,
    Assertion,
    Condition,
    Gap,
}

/// The offset of each line's first non-blank character.
fn line_words(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .map(|start| {
            start
                + text.get(start..).map_or(0, |line| {
                    line.len() - line.trim_start_matches([' ', '\t']).len()
                })
        })
        .collect()
}

fn rest(text: &str, at: usize) -> &str {
    text.get(at..).unwrap_or("")
}

/// Splits off the leading word (letters, digits, `_`).
fn word(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    text.split_at(end)
}

fn after_blanks(text: &str) -> &str {
    text.trim_start_matches([' ', '\t'])
}

/// Whether `text` starts with blanks and then a name.
fn blanks_then_name(text: &str) -> bool {
    let after = after_blanks(text);
    after.len() < text.len() && after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

/// The item a line starts, if it starts one: `decision ID`, `assert ID` or
/// `schema {`, or a misspelling of one (`decison ID`), which also starts a
/// chunk so that the slip is reported where it is.
fn item_kind(line: &str) -> Option<Item> {
    let (first, after) = word(line);
    let keyword = match first {
        "decision" | "assert" | "schema" | "condition" | "gap" => first,
        _ => crate::base::suggest::closest(first, ["decision", "assert", "schema", "condition"])?,
    };
    match keyword {
        "decision" if blanks_then_name(after) => Some(Item::Decision),
        "condition" if blanks_then_name(after) => Some(Item::Condition),
        "assert" if blanks_then_name(after) => Some(Item::Assertion),
        "gap" if blanks_then_name(after) => Some(Item::Gap),
        "schema" if after_blanks(after).starts_with('{') => Some(Item::Schema),
        _ => None,
    }
}

/// `decision_rest` for a line that starts a rule: `allow ID`, `deny ID`,
/// `note "`, `applies when` or `first {`.
fn decision_item_rest(line: &str) -> Option<Rule> {
    let starts = match word(line) {
        ("allow" | "deny", after) => blanks_then_name(after),
        ("note", after) => after_blanks(after).starts_with('"'),
        ("rounding", after) => blanks_then_name(after),
        ("applies", after) => blanks_then_name(after) && word(after_blanks(after)).0 == "when",
        ("first", after) => after_blanks(after).starts_with('{'),
        _ => false,
    };
    starts.then_some(Rule::decision_rest)
}

/// `catalog_rest` for a line that looks like a catalog entry (`id: amount`),
/// `schema_rest` for one that starts another schema entry: `name:`, `name {`
/// or `optional name {`.
fn schema_entry_rest(line: &str) -> Option<Rule> {
    let line = match word(line) {
        ("optional", after) if blanks_then_name(after) => after_blanks(after),
        _ => line,
    };
    let (name, after) = word(line);
    if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return None;
    }
    let after = after_blanks(after);
    if let Some(ty) = after.strip_prefix(':') {
        let kind = word(ty.trim_start_matches([' ', '\t'])).0;
        let catalog = matches!(kind, "eligibility" | "action" | "classification" | "amount");
        Some(if catalog {
            Rule::catalog_rest
        } else {
            Rule::schema_rest
        })
    } else {
        after.starts_with('{').then_some(Rule::schema_rest)
    }
}
