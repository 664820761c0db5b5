//! Completion from the text before the cursor and the set's schema, so it
//! works in a file that does not parse (the usual state while typing).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use crate::base::money::Currency;
use crate::model::schema::{Schema, Type};

use super::analysis::Analysis;
use super::lex::{self, KEYWORDS, Kind, Token};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ItemKind {
    Field,
    Record,
    Member,
    Decision,
    Condition,
    Keyword,
    Currency,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Item {
    pub label: String,
    pub kind: ItemKind,
    pub detail: String,
}

/// The completions at byte `offset` of `text`, the live text of a policy
/// file (the analysis may be a keystroke older: only its schema and
/// decisions are read).
pub fn complete(a: &Analysis, text: &str, offset: usize) -> Vec<Item> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text
        .get(..offset)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line = text.get(line_start..offset).unwrap_or("");
    let tokens = lex::tokens(line);
    // Nothing to offer inside a comment or a string.
    if let Some(last) = tokens.last() {
        let open_string = last.kind == Kind::String
            && (last.end - last.start < 2 || !last.text(line).ends_with('"'));
        if last.kind == Kind::Comment || (open_string && last.end == line.len()) {
            return Vec::new();
        }
    }
    let word_len = line
        .bytes()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
        .count();
    let word = line.get(line.len() - word_len..).unwrap_or("");
    let before: Vec<&Token> = tokens
        .iter()
        .filter(|t| t.end <= line.len() - word_len && t.kind != Kind::Comment)
        .collect();
    let schema = a.schema.as_ref();
    if let Some(dot) = word.rfind('.') {
        let (head, partial) = (
            word.get(..dot).unwrap_or(""),
            word.get(dot + 1..).unwrap_or(""),
        );
        return schema.map_or_else(Vec::new, |s| segments(s, head, partial));
    }
    let previous = before.last().map(|t| t.text(line));
    if before.last().is_some_and(|t| t.kind == Kind::Number)
        && word.bytes().all(|b| b.is_ascii_uppercase())
    {
        return currencies()
            .iter()
            .filter(|c| c.starts_with(word))
            .map(|c| Item {
                label: c.clone(),
                kind: ItemKind::Currency,
                detail: "currency".to_owned(),
            })
            .collect();
    }
    if let Some(members) =
        compared_members(schema, line, &before).or_else(|| compared_classes(a, line, &before))
    {
        return members
            .into_iter()
            .filter(|m| m.label.starts_with(word))
            .collect();
    }
    if previous == Some("=>")
        && let Some(members) = classification_members(a, text, line_start)
    {
        return members
            .into_iter()
            .filter(|m| m.label.starts_with(word))
            .collect();
    }
    if previous == Some("assert") {
        return decisions(a, word);
    }
    let mut items = Vec::new();
    if let Some(s) = schema {
        items.extend(segments(s, "", word));
    }
    items.extend(decisions(a, word));
    items.extend(conditions(a, word));
    items.extend(
        KEYWORDS
            .iter()
            .filter(|k| k.starts_with(word))
            .map(|k| Item {
                label: (*k).to_owned(),
                kind: ItemKind::Keyword,
                detail: "keyword".to_owned(),
            }),
    );
    items
}

/// The next segments after `head.` that start with `partial`: a field (with
/// its type) or a record.
fn segments(schema: &Schema, head: &str, partial: &str) -> Vec<Item> {
    let prefix = if head.is_empty() {
        String::new()
    } else {
        format!("{head}.")
    };
    let mut seen = BTreeSet::new();
    let mut items = Vec::new();
    for field in &schema.fields {
        let Some(rest) = field.path.strip_prefix(&prefix) else {
            continue;
        };
        let segment = rest.split('.').next().unwrap_or("");
        if !segment.starts_with(partial) || !seen.insert(segment.to_owned()) {
            continue;
        }
        items.push(if segment == rest {
            Item {
                label: segment.to_owned(),
                kind: ItemKind::Field,
                detail: schema.describe(field.ty),
            }
        } else {
            Item {
                label: segment.to_owned(),
                kind: ItemKind::Record,
                detail: format!("record {prefix}{segment}"),
            }
        });
    }
    items
}

fn decisions(a: &Analysis, word: &str) -> Vec<Item> {
    a.index
        .decisions
        .iter()
        .filter(|d| d.id.starts_with(word))
        .map(|d| Item {
            label: d.id.clone(),
            kind: ItemKind::Decision,
            detail: format!("decision: {}", d.kind),
        })
        .collect()
}

/// Named conditions: usable wherever a condition may go.
fn conditions(a: &Analysis, word: &str) -> Vec<Item> {
    a.index
        .conditions
        .iter()
        .filter(|c| c.name.starts_with(word))
        .map(|c| Item {
            label: c.name.clone(),
            kind: ItemKind::Condition,
            detail: "condition".to_owned(),
        })
        .collect()
}

/// The classes of the classification decision on the left of `==`, `!=`
/// or `in [` (`credit_track == managed`), when the cursor is on the right.
fn compared_classes(a: &Analysis, line: &str, before: &[&Token]) -> Option<Vec<Item>> {
    let i = compared_left(line, before)?;
    let id = before.get(i)?.text(line);
    let d = a.index.decision(id)?;
    if d.classes.is_empty() {
        return None;
    }
    Some(
        d.classes
            .iter()
            .map(|c| Item {
                label: c.clone(),
                kind: ItemKind::Member,
                detail: format!("class of {id}"),
            })
            .collect(),
    )
}

/// The index in `before` of the operand left of the comparison the cursor
/// is the right side of: `X ==`, `X !=`, `X in [`, `X not in [`.
fn compared_left(line: &str, before: &[&Token]) -> Option<usize> {
    let mut i = before.len().checked_sub(1)?;
    let text = |t: &Token| t.text(line).to_owned();
    if let Some(open) = before.iter().rposition(|t| t.text(line) == "[")
        && !before.iter().skip(open).any(|t| t.text(line) == "]")
    {
        i = open.checked_sub(1)?;
        if before.get(i).map(|t| text(t)) != Some("in".to_owned()) {
            return None;
        }
        if i >= 1 && before.get(i - 1).map(|t| text(t)) == Some("not".to_owned()) {
            i -= 1;
        }
    } else if !matches!(before.get(i).map(|t| t.text(line)), Some("==" | "!=")) {
        return None;
    }
    i.checked_sub(1)
}

/// The members of the enum on the left of `==`, `!=` or `in [`, when the
/// cursor is on the right.
fn compared_members(schema: Option<&Schema>, line: &str, before: &[&Token]) -> Option<Vec<Item>> {
    let schema = schema?;
    let field = before.get(compared_left(line, before)?)?;
    let slot = schema.slot(field.text(line))?;
    let Type::Enum(id) = schema.field(slot)?.ty else {
        return None;
    };
    let members = &schema.enum_type(id)?.members;
    let path = field.text(line);
    Some(
        members
            .iter()
            .map(|m| Item {
                label: m.clone(),
                kind: ItemKind::Member,
                detail: format!("member of {path}"),
            })
            .collect(),
    )
}

/// After `=>` in a classification decision: its classes.
fn classification_members(a: &Analysis, text: &str, offset: usize) -> Option<Vec<Item>> {
    let tokens = lex::tokens(text.get(..offset)?);
    let start = tokens.iter().rposition(|t| t.text(text) == "decision")?;
    let rest = tokens.get(start..)?;
    let kind = rest.iter().position(|t| t.text(text) == "classification")?;
    let members = rest
        .get(kind + 2..)?
        .iter()
        .take_while(|t| t.text(text) != "}")
        .filter(|t| t.kind == Kind::Path);
    let id = rest.get(1).map_or("", |t| t.text(text));
    let _ = a;
    Some(
        members
            .map(|t| Item {
                label: t.text(text).to_owned(),
                kind: ItemKind::Member,
                detail: format!("class of {id}"),
            })
            .collect(),
    )
}

/// Every ISO 4217 code the money module accepts. Its table is private, so
/// the codes are found by asking it about every three-letter word (once).
fn currencies() -> &'static [String] {
    static CODES: OnceLock<Vec<String>> = OnceLock::new();
    CODES.get_or_init(|| {
        let letters = b'A'..=b'Z';
        let mut codes = Vec::new();
        for a in letters.clone() {
            for b in letters.clone() {
                for c in letters.clone() {
                    let word: String = [a, b, c].iter().map(|b| char::from(*b)).collect();
                    if Currency::from_code(&word).is_some() {
                        codes.push(word);
                    }
                }
            }
        }
        codes
    })
}
