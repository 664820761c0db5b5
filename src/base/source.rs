//! Source files and byte spans into them.
//!
//! Every AST node carries a [`Span`]; a [`Sources`] table turns spans into
//! `file:line:column` for messages and reasons.

use std::fmt;

/// Index of a file in a [`Sources`] table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
///
/// Spans never take part in equality: two AST nodes are equal when they mean
/// the same, wherever they were written (what `credo fmt` relies on).
#[derive(Clone, Copy, Debug, Default)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl Eq for Span {}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span { file, start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One loaded source file.
#[derive(Debug, Clone)]
pub struct Source {
    /// The name shown to users, e.g. `policies/track.credo`.
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
    /// Characters before every [`MARK`]th byte, so that a column is found
    /// without counting a whole (possibly megabyte-long) line.
    char_marks: Vec<usize>,
    /// The line number of the text's first line: 1, or more for one line
    /// of a larger file (a record of a JSON Lines corpus).
    first_line: usize,
}

/// Bytes between two entries of `char_marks`.
const MARK: usize = 64;

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut char_marks = Vec::with_capacity(text.len() / MARK + 1);
        let mut chars = 0;
        for chunk in text.as_bytes().chunks(MARK) {
            char_marks.push(chars);
            chars += chunk.iter().filter(|b| starts_char(**b)).count();
        }
        Source {
            name: name.into(),
            text,
            line_starts,
            char_marks,
            first_line: 1,
        }
    }

    /// The same text, shown as starting on line `line` of its file: one
    /// line of a corpus is named by its line in the whole corpus.
    pub fn starting_at_line(self, line: usize) -> Self {
        Source {
            first_line: line.max(1),
            ..self
        }
    }

    /// The line number of the text's first line.
    pub fn first_line(&self) -> usize {
        self.first_line
    }

    /// Characters in the text before byte `offset`.
    fn chars_before(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        let mark = offset / MARK;
        let counted = self.char_marks.get(mark).copied().unwrap_or(0);
        let rest = self.text.as_bytes().get(mark * MARK..offset).unwrap_or(&[]);
        counted + rest.iter().filter(|b| starts_char(**b)).count()
    }

    /// Length in bytes of the line holding `offset`.
    pub fn line_len(&self, offset: usize) -> usize {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let end = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        end.saturating_sub(start)
    }

    /// One-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = self
            .chars_before(offset)
            .saturating_sub(self.chars_before(start))
            + 1;
        (line + self.first_line, column)
    }
}

/// Every file of a policy set, indexed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<Source>,
}

impl Sources {
    pub fn add(&mut self, source: Source) -> FileId {
        self.files.push(source);
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }

    pub fn get(&self, id: FileId) -> Option<&Source> {
        self.files.get(id.0 as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &Source)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, s)| (FileId(i as u32), s))
    }

    /// `file:line:column` of a span's start.
    pub fn locate(&self, span: Span) -> Location {
        match self.get(span.file) {
            Some(source) => {
                let (line, column) = source.line_col(span.start);
                Location {
                    file: source.name.clone(),
                    line,
                    column,
                }
            }
            None => Location {
                file: String::from("<unknown>"),
                line: 0,
                column: 0,
            },
        }
    }
}

/// A human-readable position: `policies/track.credo:12:3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One-based line and column (in bytes) of `offset` in text that may not be UTF-8.
pub fn byte_position(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    (line, column)
}

/// Whether a UTF-8 byte starts a character (is not a continuation byte).
fn starts_char(byte: u8) -> bool {
    byte & 0xC0 != 0x80
}
