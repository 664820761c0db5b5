//! Values in messages: `because "Client spend {agency.client_spend} reached
//! the 50,000 USD milestone"`. A `{path}` names a fact whose value is written
//! in its place; `{{` and `}}` write a brace.

/// One piece of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// A `{path}` placeholder, with its byte offset in the message.
    Path {
        path: String,
        offset: usize,
    },
}

/// A placeholder that cannot be read, with its byte offset in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub offset: usize,
    pub message: &'static str,
}

/// The pieces of a message; a message without placeholders is one text piece.
pub fn parse(text: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek().is_some_and(|(_, n)| *n == '}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut path = String::new();
                let mut closed = false;
                for (_, p) in chars.by_ref() {
                    if p == '}' {
                        closed = true;
                        break;
                    }
                    path.push(p);
                }
                let path = path.trim().to_owned();
                if !closed {
                    return Err(TemplateError {
                        offset: at,
                        message: "a `{` that is never closed",
                    });
                }
                if path.is_empty()
                    || !path
                        .chars()
                        .all(|p| p.is_ascii_alphanumeric() || p == '_' || p == '.')
                {
                    return Err(TemplateError {
                        offset: at,
                        message: "a placeholder holds a field path, such as `{agency.client_spend}`",
                    });
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Path { path, offset: at });
            }
            other => literal.push(other),
        }
    }
    if !literal.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    Ok(pieces)
}

/// Whether a message has placeholders (or escaped braces) to render.
pub fn is_template(text: &str) -> bool {
    text.contains(['{', '}'])
}
