//! Where a field is written in the text of a YAML or JSON document.
//!
//! The parsed [`crate::input::doc::Doc`] keeps no positions (serde_yaml
//! gives none), so a problem about `account.created_via` or
//! `cases[3].expect` is found again in the text by a light scanner that
//! follows keys and list items: block YAML by indentation, JSON (and YAML
//! written in flow style) by its brackets. It runs only for documents that
//! have a problem, never on the happy path. A field that cannot be found
//! (a missing fact, a key written in a way the scanner does not follow)
//! gives the nearest enclosing place, down to the first line of the text:
//! never nothing.

use crate::input::facts::Format;

/// A byte range of the text, and whether it is the field itself or only
/// the nearest place that encloses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The first byte: the key, the list item's dash, or the line's text.
    pub start: usize,
    /// After the last byte: the end of a value on the key's line, else of the key.
    pub end: usize,
    /// The whole path was found; false when this is a parent or the start.
    pub exact: bool,
    /// Where the value starts, when it is written on the key's line: a
    /// problem with the value is shown under it alone.
    pub value: Option<usize>,
}

/// One step of a path: a key of a mapping or an item of a list (from 0).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step<'p> {
    Key(&'p str),
    Item(usize),
}

/// `cases[3].expect.credit_track` as its steps.
fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while let Some((index, after)) = rest.split_once(']') {
            if let Ok(n) = index.parse() {
                out.push(Step::Item(n));
            }
            rest = after.strip_prefix('[').unwrap_or("");
        }
    }
    out
}

/// Where `path` (dot-separated keys, `[n]` for list items) is written in
/// `text`. A key's place runs from the key to the end of its value when the
/// value is on the same line, else covers the key.
pub fn field(text: &str, format: Format, path: &str) -> Place {
    let steps = steps(path);
    let body = text.trim_start_matches('\u{feff}').trim_start();
    let found = if format == Format::Json || body.starts_with(['{', '[']) {
        json(text, &steps)
    } else {
        yaml(text, &steps)
    };
    found.unwrap_or_else(|| start(text))
}

/// The first line that holds something other than a comment: where a
/// problem with the whole document points (the first line, if all are comments).
pub fn start(text: &str) -> Place {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start_matches(['\u{feff}', ' ', '\t']);
        if !trimmed.is_empty() && !trimmed.starts_with('#') && trimmed != "---" {
            let begin = at + content.len() - trimmed.len();
            return Place {
                start: begin,
                end: begin + trimmed.trim_end().len(),
                exact: false,
                value: None,
            };
        }
        at += line.len();
    }
    let first = text.lines().next().unwrap_or_default();
    Place {
        start: 0,
        end: first.len(),
        exact: false,
        value: None,
    }
}

/// The byte offset of a one-based line and column (in characters), as
/// parsers report them; clamped to the text.
pub fn offset(text: &str, line: usize, column: usize) -> usize {
    let mut at = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let content = l.trim_end_matches(['\n', '\r']);
            return at
                + content
                    .char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(content.len(), |(b, _)| b);
        }
        at += l.len();
    }
    text.len()
}

/// One line of block YAML with something on it.
#[derive(Debug, Clone, Copy)]
struct Line<'t> {
    /// Byte offset of `text` in the document.
    start: usize,
    /// Its column: spaces before it, or before the item's content after `- `.
    indent: usize,
    text: &'t str,
}

fn yaml(text: &str, steps: &[Step<'_>]) -> Option<Place> {
    let mut region: Vec<Line<'_>> = Vec::new();
    let mut at = 0;
    for raw in text.split_inclusive('\n') {
        let content = raw.trim_end_matches(['\n', '\r']);
        let unmarked = content.trim_start_matches('\u{feff}');
        let body = unmarked.trim_start_matches(' ');
        let indent = unmarked.len() - body.len();
        let skip = body.trim().is_empty()
            || body.starts_with('#')
            || body == "---"
            || body.starts_with("--- ")
            || body == "...";
        if !skip {
            region.push(Line {
                start: at + content.len() - body.len(),
                indent,
                text: body.trim_end(),
            });
        }
        at += raw.len();
    }
    let mut found: Option<Place> = None;
    for (depth, step) in steps.iter().enumerate() {
        let step_into = || {
            let indent = region.first()?.indent;
            let mut at_indent = region
                .iter()
                .enumerate()
                .filter(|(_, l)| l.indent == indent);
            match step {
                Step::Key(key) => {
                    let (i, line, value) = at_indent.find_map(|(i, l)| {
                        let value = key_value(l.text, key)?;
                        Some((i, *l, value))
                    })?;
                    let (end, value_at) = if value.is_empty() {
                        (line.start + key_len(line.text), None)
                    } else {
                        let after = line.text.len() - value.len();
                        (line.start + line.text.len(), Some(line.start + after))
                    };
                    let children = if value.is_empty() {
                        block_under(&region, i, line.indent)
                    } else {
                        Vec::new()
                    };
                    Some(((line.start, end, value_at), children))
                }
                Step::Item(n) => {
                    let (i, line) = at_indent.filter(|(_, l)| is_item(l.text)).nth(*n)?;
                    let rest = line.text.get(1..).unwrap_or("");
                    let content = rest.trim_start_matches(' ');
                    let mut children = Vec::new();
                    if !content.is_empty() {
                        let shift = line.text.len() - content.len();
                        children.push(Line {
                            start: line.start + shift,
                            indent: line.indent + shift,
                            text: content,
                        });
                    }
                    children.extend(
                        region
                            .iter()
                            .skip(i + 1)
                            .take_while(|l| l.indent > line.indent),
                    );
                    Some(((line.start, line.start + line.text.len(), None), children))
                }
            }
        };
        let Some((place, children)) = step_into() else {
            break;
        };
        // A flow value (`expect: {a: {by: x}}`) is followed like JSON.
        let rest = steps.get(depth + 1..).unwrap_or_default();
        if let Some(value) = place.2
            && !rest.is_empty()
            && text
                .as_bytes()
                .get(value)
                .is_some_and(|b| matches!(b, b'{' | b'['))
            && let Some(deeper) = json_at(text, value, rest)
        {
            return Some(deeper);
        }
        found = Some(Place {
            start: place.0,
            end: place.1,
            exact: depth + 1 == steps.len(),
            value: place.2,
        });
        if children.is_empty() {
            break;
        }
        region = children;
    }
    found
}

/// The lines of a key's block value: those indented deeper, or a list
/// written at the key's own indentation (`cases:` then `- name: …`).
fn block_under<'t>(region: &[Line<'t>], key: usize, indent: usize) -> Vec<Line<'t>> {
    let rest = region.iter().skip(key + 1);
    let first = region.get(key + 1);
    let list_at_same = first.is_some_and(|l| l.indent == indent && is_item(l.text));
    rest.take_while(|l| {
        l.indent > indent || (list_at_same && l.indent == indent && is_item(l.text))
    })
    .copied()
    .collect()
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// The value after `key:` when the line is that key, else `None`.
fn key_value<'t>(line: &'t str, key: &str) -> Option<&'t str> {
    let written = line.get(..key_len(line))?;
    let name = written.trim_end_matches(':').trim_end();
    let unquoted = match name.as_bytes().first() {
        Some(b'"') | Some(b'\'') => name.get(1..name.len().checked_sub(1)?)?,
        _ => name,
    };
    if unquoted != key {
        return None;
    }
    let value = line.get(written.len()..)?.trim();
    // A comment after the colon is no value.
    Some(if value.starts_with('#') { "" } else { value })
}

/// The length of `key:` at the start of a line (quotes included), or 0.
fn key_len(line: &str) -> usize {
    let bytes = line.as_bytes();
    let mut i = 0;
    if let Some(&quote @ (b'"' | b'\'')) = bytes.first() {
        i = 1;
        while let Some(&b) = bytes.get(i) {
            i += 1;
            if b == b'\\' && quote == b'"' {
                i += 1;
            } else if b == quote {
                break;
            }
        }
    }
    while let Some(&b) = bytes.get(i) {
        if b == b':' && matches!(bytes.get(i + 1), None | Some(b' ' | b'\t')) {
            return i + 1;
        }
        i += 1;
    }
    0
}

/// Follows `steps` through JSON text (or flow YAML close enough to it).
fn json(text: &str, steps: &[Step<'_>]) -> Option<Place> {
    json_at(text, 0, steps)
}

/// Follows `steps` from the value at byte `start`.
fn json_at(text: &str, start: usize, steps: &[Step<'_>]) -> Option<Place> {
    let bytes = text.as_bytes();
    let mut i = skip_space(bytes, start);
    let mut found: Option<Place> = None;
    for (depth, step) in steps.iter().enumerate() {
        let (from, to, value) = match (step, bytes.get(i)) {
            (Step::Key(key), Some(b'{')) => match member(text, i + 1, key) {
                Some(found) => found,
                None => return found,
            },
            (Step::Item(n), Some(b'[')) => {
                let mut at = skip_space(bytes, i + 1);
                for _ in 0..*n {
                    at = skip_space(bytes, skip_value(bytes, at));
                    if bytes.get(at) != Some(&b',') {
                        return found;
                    }
                    at = skip_space(bytes, at + 1);
                }
                if matches!(bytes.get(at), None | Some(b']')) {
                    return found;
                }
                (at, at + 1, at)
            }
            _ => return found,
        };
        let end = match bytes.get(value) {
            Some(b'{' | b'[') => to,
            _ => skip_value(bytes, value),
        };
        let scalar = !matches!(bytes.get(value), Some(b'{' | b'['));
        found = Some(Place {
            start: from,
            end: end.max(from),
            exact: depth + 1 == steps.len(),
            value: (scalar && value > from && end > value).then_some(value),
        });
        i = value;
    }
    found
}

/// In the object whose `{` is before `i`: the member `key`, as the start
/// and end of its key and the start of its value.
fn member(text: &str, mut i: usize, key: &str) -> Option<(usize, usize, usize)> {
    let bytes = text.as_bytes();
    loop {
        i = skip_space(bytes, i);
        let from = i;
        let to = skip_value(bytes, i);
        if to == from {
            return None;
        }
        let written = text.get(from..to)?;
        let name = written.trim_matches(['"', '\'']);
        let same = if name.contains('\\') {
            serde_json::from_str::<String>(written).is_ok_and(|s| s == key)
        } else {
            name == key
        };
        i = skip_space(bytes, to);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        let value = skip_space(bytes, i + 1);
        if same {
            return Some((from, to, value));
        }
        i = skip_space(bytes, skip_value(bytes, value));
        if bytes.get(i) != Some(&b',') {
            return None;
        }
        i += 1;
    }
}

/// `end` moved back over the spaces before it, not before `start`.
fn trim_back(bytes: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && bytes.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
        end -= 1;
    }
    end
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_whitespace() || *b == 0xEF || *b == 0xBB || *b == 0xBF)
    {
        i += 1;
    }
    i
}

/// The end of the value starting at `i`: a string, a bracketed value
/// (counted, strings skipped; no recursion) or a bare word.
fn skip_value(bytes: &[u8], i: usize) -> usize {
    let mut at = i;
    let mut depth = 0usize;
    loop {
        match bytes.get(at) {
            None => return trim_back(bytes, i, at),
            Some(&quote @ (b'"' | b'\'')) => {
                at += 1;
                while let Some(&b) = bytes.get(at) {
                    at += 1;
                    if b == b'\\' && quote == b'"' {
                        at += 1;
                    } else if b == quote {
                        break;
                    }
                }
                if depth == 0 {
                    return at.min(bytes.len());
                }
            }
            Some(b'{' | b'[') => {
                depth += 1;
                at += 1;
            }
            Some(b'}' | b']') if depth > 0 => {
                depth -= 1;
                at += 1;
                if depth == 0 {
                    return at;
                }
            }
            // A bare word (flow YAML allows spaces in one) ends before
            // `,`, a closing bracket, `: ` or the line's end.
            Some(b)
                if depth == 0
                    && (b",}]\n\r".contains(b)
                        || (*b == b':'
                            && bytes.get(at + 1).is_none_or(u8::is_ascii_whitespace))) =>
            {
                return trim_back(bytes, i, at);
            }
            Some(_) => at += 1,
        }
    }
}

#[cfg(test)]
mod tests;
