//! Showing text from policies and facts safely on a terminal.
//!
//! A fact value or a policy can hold any character, and credo echoes them in
//! messages. Raw control characters would act on the reader's terminal: NUL
//! truncates in some tools, ANSI escape sequences (ESC `[`) recolour or
//! rewrite the screen, and bidirectional controls such as U+202E
//! RIGHT-TO-LEFT OVERRIDE make a line read differently from what it holds
//! ("Trojan Source"). Every text output passes what it echoes through
//! [`shown`] (one value) or [`lines`] (a whole report, keeping its line
//! ends), which writes each such character as a Rust escape: `\u{202e}`.
//! JSON output needs none of this: serde_json escapes control characters,
//! and a JSON reader does not interpret bidirectional ones.

use std::borrow::Cow;

/// Whether a character must not reach a terminal as it is: control
/// characters (C0, DEL, C1), bidirectional marks, embeddings, overrides and
/// isolates, zero-width characters and the line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// One value, every unsafe character (line ends too) written `\u{..}`.
pub fn shown(text: &str) -> Cow<'_, str> {
    escape(text, is_unsafe)
}

/// A report of several lines: as [`shown`], but `\n` stays a line end.
pub fn lines(text: &str) -> Cow<'_, str> {
    escape(text, |c| c != '\n' && is_unsafe(c))
}

/// [`lines`], for a `String` that is usually safe already.
pub fn lines_owned(text: String) -> String {
    match lines(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(escaped) => escaped,
    }
}

fn escape(text: &str, unsafe_here: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&unsafe_here) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_here(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidirectional_characters_are_escaped() {
        assert_eq!(shown("plain text, é, 日本"), "plain text, é, 日本");
        assert!(matches!(shown("plain"), Cow::Borrowed(_)));
        assert_eq!(shown("a\0b"), "a\\u{0}b");
        assert_eq!(shown("\u{202e}gnp.exe"), "\\u{202e}gnp.exe");
        assert_eq!(shown("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(shown("tab\there"), "tab\\u{9}here");
        assert_eq!(shown("one\ntwo"), "one\\u{a}two");
        assert_eq!(lines("one\ntwo\u{7f}\r\n"), "one\ntwo\\u{7f}\\u{d}\n");
        assert_eq!(
            shown("\u{85}\u{2066}\u{200b}\u{feff}"),
            "\\u{85}\\u{2066}\\u{200b}\\u{feff}"
        );
    }
}
