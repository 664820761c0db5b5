//! The comments of a policy file, and the few facts about its text the
//! layout needs that the AST does not keep: where a keyword without a node
//! of its own stands, and where the author left blank lines.
//!
//! Every function here expects text that parses, and is given offsets at
//! token boundaries (span starts and ends); on other text it returns
//! something harmless rather than failing.

/// A `#` comment, from `#` to the end of its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the `#`.
    pub offset: usize,
    /// The comment as written, without trailing blanks.
    pub text: String,
    /// Whether code stands before it on its line.
    pub trailing: bool,
}

/// Every comment of `text`, in order: a `#` outside a string, to the end of
/// the line (`\n`, `\r\n` or `\r`, as the grammar counts lines).
pub fn comments(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut code_on_line = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                code_on_line = true;
                i = string_end(bytes, i);
            }
            b'#' => {
                let end = line_end(bytes, i);
                found.push(Comment {
                    offset: i,
                    text: text.get(i..end).unwrap_or("#").trim_end().to_owned(),
                    trailing: code_on_line,
                });
                i = end;
            }
            b'\n' | b'\r' => {
                code_on_line = false;
                i += 1;
            }
            b' ' | b'\t' => i += 1,
            _ => {
                code_on_line = true;
                i += 1;
            }
        }
    }
    found
}

/// Where the code after `at` starts: past blanks, comments and closing
/// parentheses. `at` is the end of a node; the span of a parenthesized
/// expression stops inside its parentheses, and no line of the layout
/// starts with `)`.
pub fn next_code(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = at;
    loop {
        match bytes.get(i) {
            Some(b' ' | b'\t' | b'\n' | b'\r' | b')') => i += 1,
            Some(b'#') => i = line_end(bytes, i),
            _ => return i,
        }
    }
}

/// The offset of the first `symbol` at or after `at` that is code, not in a
/// string or comment; the end of the text if there is none.
pub fn find_code(text: &str, at: usize, symbol: u8) -> usize {
    let bytes = text.as_bytes();
    let mut i = at;
    loop {
        match bytes.get(i) {
            None => return text.len(),
            Some(&b) if b == symbol => return i,
            Some(b'"') => i = string_end(bytes, i),
            Some(b'#') => i = line_end(bytes, i),
            Some(_) => i += 1,
        }
    }
}

/// Whether the author left a blank line just before `at`.
pub fn blank_before(text: &str, at: usize) -> bool {
    let before = text.get(..at).unwrap_or(text);
    let code_end = before.trim_end_matches([' ', '\t', '\n', '\r']).len();
    let space = before.get(code_end..).unwrap_or("");
    let breaks =
        space.matches('\n').count() + space.matches('\r').count() - space.matches("\r\n").count();
    breaks >= 2
}

/// The offset of the end of the line `at` is on.
fn line_end(bytes: &[u8], at: usize) -> usize {
    bytes
        .iter()
        .skip(at)
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(bytes.len(), |n| at + n)
}

/// The offset just past the string literal opening at `at`.
fn string_end(bytes: &[u8], at: usize) -> usize {
    let mut i = at + 1;
    loop {
        match bytes.get(i) {
            None => return bytes.len(),
            Some(b'\\') => i += 2,
            Some(b'"') => return i + 1,
            Some(b'\n' | b'\r') => return i,
            Some(_) => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_in_a_string_is_not_a_comment() {
        let text = "note \"# \\\" #\" # real\r\n  # own line  \n";
        let found = comments(text);
        let texts: Vec<(&str, bool)> = found
            .iter()
            .map(|c| (c.text.as_str(), c.trailing))
            .collect();
        assert_eq!(texts, [("# real", true), ("# own line", false)]);
    }

    #[test]
    fn blank_lines_are_counted_in_any_line_ending() {
        assert!(blank_before("a\n\n  b", 5));
        assert!(blank_before("a\r\n\r\nb", 5));
        assert!(!blank_before("a\r\nb", 3));
        assert!(!blank_before("a # c\nb", 6));
    }
}
