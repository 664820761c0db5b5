//! A forgiving tokenizer for policy text. The parser rejects a file with a
//! slip in it; completion, hover, navigation and highlighting still need
//! to know what is under the cursor, so they read tokens instead.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A name or a dotted path, `account.created_via`.
    Path,
    /// One of the reserved words.
    Keyword,
    /// A number, money amount's number, or date.
    Number,
    String,
    Comment,
    /// An operator or bracket: `==`, `=>`, `{`, `..`.
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        source.get(self.start..self.end).unwrap_or("")
    }
}

/// The language's reserved words (grammar/credo.pest `keyword`), and `is`,
/// `monotone`, `signed`, `condition`, `effective` and `gap`, which read as
/// keywords where they appear. (`from` and `until` follow `effective` only,
/// and are common words for a field: they stay names.)
pub const KEYWORDS: &[&str] = &[
    "schema",
    "decision",
    "decisions",
    "eligibility",
    "action",
    "classification",
    "amount",
    "allow",
    "deny",
    "when",
    "unless",
    "because",
    "applies",
    "note",
    "first",
    "otherwise",
    "and",
    "or",
    "not",
    "in",
    "true",
    "false",
    "min",
    "max",
    "optional",
    "fixed",
    "changeable",
    "default",
    "assert",
    "is",
    "monotone",
    "signed",
    "condition",
    "effective",
    "gap",
    "enum",
    "money",
    "text",
    "bool",
    "int",
    "date",
];

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every token of `text`, in order; whitespace and unknown characters are
/// skipped, so any byte sequence gives some tokens.
pub fn tokens(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        let kind = match b {
            b'#' => {
                while bytes.get(i).is_some_and(|c| *c != b'\n') {
                    i += 1;
                }
                Kind::Comment
            }
            b'"' => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    i += 1;
                    match c {
                        b'\\' => i += 1,
                        b'"' => break,
                        b'\n' => {
                            i -= 1;
                            break;
                        }
                        _ => {}
                    }
                }
                Kind::String
            }
            b'0'..=b'9' => {
                while let Some(&c) = bytes.get(i) {
                    let next_digit = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
                    if c.is_ascii_digit() || c == b'_' || ((c == b'.' || c == b'-') && next_digit) {
                        i += 1;
                    } else {
                        break;
                    }
                }
                Kind::Number
            }
            c if is_word_start(c) => {
                loop {
                    while bytes.get(i).is_some_and(|c| is_word(*c)) {
                        i += 1;
                    }
                    if bytes.get(i) == Some(&b'.')
                        && bytes.get(i + 1).is_some_and(|c| is_word_start(*c))
                    {
                        i += 1;
                    } else {
                        break;
                    }
                }
                let word = text.get(start..i).unwrap_or("");
                if KEYWORDS.contains(&word) {
                    Kind::Keyword
                } else {
                    Kind::Path
                }
            }
            c if c.is_ascii_whitespace() || !c.is_ascii() => {
                i += 1;
                continue;
            }
            _ => {
                let two = bytes.get(i..i + 2).unwrap_or(&[]);
                i += if matches!(two, b"==" | b"!=" | b"<=" | b">=" | b"=>" | b"..") {
                    2
                } else {
                    1
                };
                Kind::Punct
            }
        };
        let end = i.min(text.len());
        out.push(Token { kind, start, end });
        i = end.max(start + 1);
    }
    out
}

/// The index of the token that holds `offset`, or that ends right at it
/// (the word being typed).
pub fn token_at(tokens: &[Token], offset: usize) -> Option<usize> {
    let i = tokens.partition_point(|t| t.end < offset);
    tokens
        .get(i)
        .filter(|t| t.start <= offset && offset <= t.end)
        .map(|_| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_numbers_and_comments() {
        let text = "when account.segment == smb and x in 1..5 # R1\n  \"a\\\"b\"";
        let kinds: Vec<(Kind, &str)> = tokens(text)
            .iter()
            .map(|t| (t.kind, t.text(text)))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (Kind::Keyword, "when"),
                (Kind::Path, "account.segment"),
                (Kind::Punct, "=="),
                (Kind::Path, "smb"),
                (Kind::Keyword, "and"),
                (Kind::Path, "x"),
                (Kind::Keyword, "in"),
                (Kind::Number, "1"),
                (Kind::Punct, ".."),
                (Kind::Number, "5"),
                (Kind::Comment, "# R1"),
                (Kind::String, "\"a\\\"b\""),
            ]
        );
    }

    #[test]
    fn any_bytes_give_tokens_within_the_text() {
        let text = "\"unterminated\n€ 2026-11-01 account. .x";
        for t in tokens(text) {
            assert!(t.start < t.end && t.end <= text.len());
            assert!(text.get(t.start..t.end).is_some());
        }
    }
}
