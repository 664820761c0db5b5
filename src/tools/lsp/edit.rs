//! Edits the server proposes: formatting through `credo fmt`'s printer,
//! and quick fixes for diagnostics.

use crate::base::source::FileId;
use crate::lang::ast::{DecisionItem, Item};
use crate::lang::diagnostics::codes;

use super::analysis::{Analysis, Location, Problem, Target};
use super::text::{LineIndex, Pos, Range};

/// The edits that give `text` its canonical layout, as changed line runs;
/// with `lines`, only the runs that touch those lines (zero-based, inclusive).
/// `None` when the text does not parse.
pub fn format(text: &str, lines: Option<(u32, u32)>) -> Option<Vec<(Range, String)>> {
    let formatted = crate::lang::fmt::format(FileId(0), text).ok()?;
    let diff = similar::TextDiff::from_lines(text, &formatted);
    let old: Vec<&str> = text.split_inclusive('\n').collect();
    let new: Vec<&str> = formatted.split_inclusive('\n').collect();
    let index = LineIndex::new(text);
    let line_offset = |line: usize| -> usize { old.iter().take(line).map(|l| l.len()).sum() };
    let mut edits = Vec::new();
    for op in diff.ops() {
        if matches!(op, similar::DiffOp::Equal { .. }) {
            continue;
        }
        let (old_range, new_range) = (op.old_range(), op.new_range());
        if let Some((first, last)) = lines {
            let touched_end = old_range.end.max(old_range.start + 1);
            if touched_end as u32 <= first || old_range.start as u32 > last {
                continue;
            }
        }
        let start = line_offset(old_range.start);
        let end = line_offset(old_range.end);
        let replacement: String = new.get(new_range).unwrap_or(&[]).iter().copied().collect();
        edits.push((index.range(text, start, end), replacement));
    }
    Some(edits)
}

/// A fix for a diagnostic.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fix {
    pub title: String,
    pub problem: Problem,
    pub edits: Vec<(Location, String)>,
}

/// The fixes for the diagnostics of `file` that touch `range`.
pub fn fixes(a: &Analysis, file: usize, range: Range) -> Vec<Fix> {
    let mut out = Vec::new();
    for (d, problem) in a.diagnostics.iter().zip(a.problems()) {
        if problem.file != file
            || problem.range.end < range.start
            || range.end < problem.range.start
        {
            continue;
        }
        if let Some(word) = d.help.as_deref().and_then(did_you_mean) {
            out.push(Fix {
                title: format!("replace with `{word}`"),
                edits: vec![(
                    Location {
                        target: Target::Policy(file),
                        range: problem.range,
                    },
                    word.to_owned(),
                )],
                problem,
            });
        } else if d.code == codes::MISSING_OTHERWISE
            && let Some(edit) = add_otherwise(a, file, d.span.start)
        {
            out.push(Fix {
                title: "add the missing `otherwise`".to_owned(),
                edits: vec![edit],
                problem,
            });
        }
    }
    out
}

/// `X` in a help that reads "did you mean `X`?".
fn did_you_mean(help: &str) -> Option<&str> {
    let rest = help.split("did you mean `").nth(1)?;
    rest.split('`').next().filter(|w| !w.is_empty())
}

/// An `otherwise` row before the closing brace of the table at `start`,
/// giving the last row's value, to be edited.
fn add_otherwise(a: &Analysis, file: usize, start: usize) -> Option<(Location, String)> {
    let ast = a.ast(file)?;
    let text = a.text(file);
    let table = ast.items.iter().find_map(|item| match item {
        Item::Decision(d) => d.items.iter().find_map(|i| match i {
            DecisionItem::Table(t) if t.span.start == start => Some(t),
            _ => None,
        }),
        _ => None,
    })?;
    let last = table.rows.last()?;
    let value = text.get(last.value.span.start..last.value.span.end)?;
    let row_line = text
        .get(..last.span.start)?
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent: String = text
        .get(row_line..last.span.start)?
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let close = text.get(..table.span.end)?.rfind('}')?;
    let close_line = text.get(..close)?.rfind('\n').map_or(0, |i| i + 1);
    let at = if text.get(close_line..close)?.trim().is_empty() {
        close_line
    } else {
        close
    };
    let insert =
        format!("{indent}otherwise => {value}\n{indent}  because \"no row above matched\"\n");
    let pos: Pos = a.files.get(file)?.index.pos(text, at);
    Some((
        Location {
            target: Target::Policy(file),
            range: Range {
                start: pos,
                end: pos,
            },
        },
        insert,
    ))
}
