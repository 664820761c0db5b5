//! Text to syntax tree. The only module that knows about pest: its parse
//! tree is lowered here into the span-carrying [`crate::lang::ast`].

mod lower;
mod names;
mod recover;

use pest::Parser as _;

use crate::base::source::{FileId, Span};
use crate::lang::ast;
use crate::lang::diagnostics::{Diagnostic, codes};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/credo.pest"]
struct CredoParser;

/// How deeply brackets and `not`s may nest. pest recurses once per level, so
/// the text is measured before pest sees it.
pub const MAX_NESTING: usize = 64;

/// Parses one policy file; on failure returns every problem found.
///
/// A file that does not parse is parsed again piece by piece (see
/// `recover`), so one slip does not hide the others.
pub fn parse(file: FileId, text: &str) -> Result<ast::File, Vec<Diagnostic>> {
    check_nesting(file, text)?;
    check_text_direction(file, text)?;
    match CredoParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let root = pairs.next().ok_or_else(|| {
                vec![Diagnostic::error(
                    codes::SYNTAX,
                    Span::new(file, 0, 0),
                    "empty parse",
                )]
            })?;
            lower::file(file, root)
        }
        Err(error) => Err(invisible_character(file, text)
            .map_or_else(|| recover::errors(file, text, error), |d| vec![d])),
    }
}

/// An invisible character (a zero-width space, a bidirectional mark) outside
/// strings and comments, when the text does not parse. The parser stops
/// somewhere before it, often far away, and names what it found there; the
/// character itself is the mistake, and nothing shows it.
fn invisible_character(file: FileId, text: &str) -> Option<Diagnostic> {
    let (mut in_string, mut in_comment, mut escaped) = (false, false, false);
    for (i, c) in text.char_indices() {
        if in_comment {
            in_comment = c != '\n';
        } else if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c == '#' {
            in_comment = true;
        } else if c == '"' {
            in_string = true;
        } else if crate::base::escape::is_unsafe(c) && !c.is_control() {
            return Some(
                Diagnostic::error(
                    codes::SYNTAX,
                    Span::new(file, i, i + c.len_utf8()),
                    format!(
                        "{} is not allowed here",
                        crate::base::suggest::character_name(c)
                    ),
                )
                .label("an invisible character")
                .help("delete it: it often comes with text copied from a web page or a document"),
            );
        }
    }
    None
}

/// Rejects bidirectional controls anywhere, strings and comments included,
/// as rustc does: they make a line read differently from what it holds
/// ("Trojan Source"), so a reviewer could approve a rule that is not the
/// one that runs.
fn check_text_direction(file: FileId, text: &str) -> Result<(), Vec<Diagnostic>> {
    let bidi = |c: char| matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    let found: Vec<Diagnostic> = text
        .char_indices()
        .filter(|(_, c)| bidi(*c))
        .take(crate::base::limits::MAX_DIAGNOSTICS_SHOWN)
        .map(|(i, c)| {
            Diagnostic::error(
                codes::SYNTAX,
                Span::new(file, i, i + c.len_utf8()),
                format!(
                    "the bidirectional control character U+{:04X} is not allowed in policies",
                    u32::from(c)
                ),
            )
            .label("changes how the text around it is displayed")
            .help("delete it: the policy would read differently from what it holds")
        })
        .collect();
    if found.is_empty() { Ok(()) } else { Err(found) }
}

/// Rejects nesting beyond [`MAX_NESTING`] before it can exhaust the stack.
fn check_nesting(file: FileId, text: &str) -> Result<(), Vec<Diagnostic>> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    let mut nots = 0usize;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if in_comment {
            in_comment = b != b'\n';
            continue;
        }
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"' | b'\n') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'#' => in_comment = true,
            b'"' => in_string = true,
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        let word_start = i == 0 || !is_word(bytes[i - 1]);
        if word_start
            && bytes[i..].starts_with(b"not")
            && bytes.get(i + 3).is_none_or(|c| !is_word(*c))
        {
            nots += 1;
        } else if is_word(b) && word_start {
            nots = 0;
        }
        if depth + nots > MAX_NESTING {
            return Err(vec![
                Diagnostic::error(
                    codes::TOO_DEEP,
                    Span::new(file, i, i + 1),
                    format!("nesting deeper than {MAX_NESTING} levels"),
                )
                .label("too deep here")
                .help("split the condition into several rules"),
            ]);
        }
    }
    Ok(())
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Turns pest's error, for text parsed at `offset` of the file, into a
/// diagnostic that names what was expected in words.
fn syntax_error(
    file: FileId,
    text: &str,
    offset: usize,
    error: &pest::error::Error<Rule>,
) -> Diagnostic {
    use pest::error::ErrorVariant;
    let start = offset + error_offset(error);
    let found = found_at(text, start);
    let end = (start + found.len().max(1)).min(text.len());
    let positives: &[Rule] = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    };
    let expected = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => names::expected(positives),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let found_words = if found.is_empty() && start >= text.len() {
        "the end of the file".to_owned()
    } else if found.is_empty() {
        "a space or line break".to_owned()
    } else if let Some(c) = found.chars().next().filter(|c| c.is_control()) {
        format!("the control character U+{:04X}", u32::from(c))
    } else if let Some(c) = found.chars().next().filter(|c| c.is_whitespace()) {
        // A no-break or ideographic space looks like a space but is not one.
        format!("the space character U+{:04X}", u32::from(c))
    } else {
        format!("`{found}`")
    };
    Diagnostic::error(
        codes::SYNTAX,
        Span::new(file, start, end),
        format!("expected {expected}, found {found_words}"),
    )
    .label(format!("expected {expected}"))
    .help_opt(names::hint(&found, positives))
}

/// Where pest stopped, in the text it was given.
fn error_offset(error: &pest::error::Error<Rule>) -> usize {
    match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    }
}

/// The word or symbol at `offset`, for "found ...".
fn found_at(text: &str, offset: usize) -> String {
    let rest = text.get(offset..).unwrap_or("");
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if let Some(op) = ["&&", "||"].iter().find(|op| rest.starts_with(**op)) {
        return (*op).to_owned();
    }
    if word.is_empty() {
        rest.chars()
            .next()
            .filter(|c| !c.is_ascii_whitespace())
            .map(String::from)
            .unwrap_or_default()
    } else {
        word
    }
}
