//! Positions in text: byte offsets (what the checker's spans hold) to and
//! from zero-based lines and UTF-16 columns (what LSP and browser editors
//! count in), and incremental edits.

/// A zero-based line and UTF-16 column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
pub struct Pos {
    pub line: u32,
    pub character: u32,
}

/// A range between two [`Pos`]s, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Range {
    pub start: Pos,
    pub end: Pos,
}

/// The byte offset where each line starts, so that a position is found
/// without scanning the text before it.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// The position of a byte offset; an offset inside a character or past
    /// the end is moved back to the nearest character boundary.
    pub fn pos(&self, text: &str, offset: usize) -> Pos {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.starts.get(line).copied().unwrap_or(0);
        let character = text
            .get(start..offset)
            .map_or(0, |s| s.chars().map(char::len_utf16).sum::<usize>());
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            character: u32::try_from(character).unwrap_or(u32::MAX),
        }
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range {
            start: self.pos(text, start),
            end: self.pos(text, end.max(start)),
        }
    }

    /// The byte offset of a position; a line past the end gives the end of
    /// the text, a column past the end of its line gives the line's end.
    pub fn offset(&self, text: &str, pos: Pos) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map_or(text.len(), |e| e.saturating_sub(1));
        let line = text.get(start..end).unwrap_or("");
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            if units >= pos.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + line.len()
    }
}

/// The position of a byte offset, for a one-off look-up.
pub fn pos_of(text: &str, offset: usize) -> Pos {
    LineIndex::new(text).pos(text, offset)
}

/// The byte offset of a position, for a one-off look-up.
pub fn offset_of(text: &str, pos: Pos) -> usize {
    LineIndex::new(text).offset(text, pos)
}

/// Replaces `range` of `text` with `new`: one incremental change.
pub fn apply_edit(text: &mut String, range: Range, new: &str) {
    let index = LineIndex::new(text);
    let start = index.offset(text, range.start);
    let end = index.offset(text, range.end).max(start);
    text.replace_range(start..end, new);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        let text = "a\n€x😀y\n";
        let index = LineIndex::new(text);
        // `€` is one unit, `😀` two.
        let y = text.find('y').unwrap_or(0);
        assert_eq!(
            index.pos(text, y),
            Pos {
                line: 1,
                character: 4
            }
        );
        assert_eq!(
            index.offset(
                text,
                Pos {
                    line: 1,
                    character: 4
                }
            ),
            y
        );
    }

    #[test]
    fn positions_past_the_end_are_clamped() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        assert_eq!(
            index.offset(
                text,
                Pos {
                    line: 0,
                    character: 99
                }
            ),
            2
        );
        assert_eq!(
            index.offset(
                text,
                Pos {
                    line: 9,
                    character: 0
                }
            ),
            5
        );
    }

    #[test]
    fn an_edit_replaces_its_range() {
        let mut text = String::from("when x == a\n");
        apply_edit(
            &mut text,
            Range {
                start: Pos {
                    line: 0,
                    character: 10,
                },
                end: Pos {
                    line: 0,
                    character: 11,
                },
            },
            "smb",
        );
        assert_eq!(text, "when x == smb\n");
    }
}
