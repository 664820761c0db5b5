//! The shape of a file: symbols, folding ranges and semantic tokens, read
//! from tokens so that a file with a slip still has them.

use super::analysis::{Analysis, Location, Target};
use super::index::Symbol;
use super::lex::Kind;
use super::text::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SymbolKind {
    Schema,
    Field,
    Decision,
    Rule,
    Assertion,
    Condition,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Outline {
    pub name: String,
    pub kind: SymbolKind,
    pub detail: String,
    /// The whole item.
    pub range: Range,
    /// Its name.
    pub selection: Range,
    pub children: Vec<Outline>,
}

/// The schema, decisions (with their rules), named conditions and
/// assertions of a file.
pub fn document_symbols(a: &Analysis, file: usize) -> Vec<Outline> {
    let Some(f) = a.files.get(file) else {
        return Vec::new();
    };
    let text = a.text(file);
    let range = |s: usize, e: usize| f.index.range(text, s, e);
    let mut out: Vec<(usize, Outline)> = Vec::new();
    for (_, start, end) in a.index.schema_blocks.iter().filter(|b| b.0 == file) {
        let children = a
            .schema
            .iter()
            .flat_map(|s| &s.fields)
            .filter(|x| {
                x.span.file.0 as usize == file && *start <= x.span.start && x.span.start <= *end
            })
            .map(|x| {
                let r = range(x.span.start, x.span.end);
                Outline {
                    name: x.path.clone(),
                    kind: SymbolKind::Field,
                    detail: a
                        .schema
                        .as_ref()
                        .map_or(String::new(), |s| s.describe(x.ty)),
                    range: r,
                    selection: r,
                    children: Vec::new(),
                }
            })
            .collect();
        let r = range(*start, *end);
        let selection = range(*start, start + "schema".len());
        out.push((
            *start,
            Outline {
                name: "schema".to_owned(),
                kind: SymbolKind::Schema,
                detail: String::new(),
                range: r,
                selection,
                children,
            },
        ));
    }
    for d in a.index.decisions.iter().filter(|d| d.file == file) {
        let children = d
            .rules
            .iter()
            .map(|r| Outline {
                name: r.id.clone(),
                kind: SymbolKind::Rule,
                detail: r.effect.clone(),
                range: range(r.start, r.name_end),
                selection: range(r.name_start, r.name_end),
                children: Vec::new(),
            })
            .collect();
        out.push((
            d.start,
            Outline {
                name: d.id.clone(),
                kind: SymbolKind::Decision,
                detail: d.kind.clone(),
                range: range(d.start, d.end),
                selection: range(d.name_start, d.name_end),
                children,
            },
        ));
    }
    for c in a.index.conditions.iter().filter(|c| c.file == file) {
        out.push((
            c.start,
            Outline {
                name: c.name.clone(),
                kind: SymbolKind::Condition,
                detail: "condition".to_owned(),
                range: range(c.start, c.end),
                selection: range(c.name_start, c.name_end),
                children: Vec::new(),
            },
        ));
    }
    for s in a.index.assertions.iter().filter(|s| s.file == file) {
        out.push((
            s.start,
            Outline {
                name: format!("assert {}", s.decision),
                kind: SymbolKind::Assertion,
                detail: String::new(),
                range: range(s.start, s.end),
                selection: range(s.start, s.start + "assert".len()),
                children: Vec::new(),
            },
        ));
    }
    out.sort_by_key(|(start, _)| *start);
    out.into_iter().map(|(_, o)| o).collect()
}

/// Decisions, rules, named conditions and fields whose name holds `query` (any case).
pub fn workspace_symbols(a: &Analysis, query: &str) -> Vec<(String, SymbolKind, Location)> {
    let query = query.to_lowercase();
    a.index
        .occurrences
        .iter()
        .filter(|o| o.definition)
        .filter_map(|o| {
            let (name, kind) = match &o.symbol {
                Symbol::Field(p) => (p.clone(), SymbolKind::Field),
                Symbol::Decision(id) => (id.clone(), SymbolKind::Decision),
                Symbol::Rule { decision, id } => (format!("{decision}.{id}"), SymbolKind::Rule),
                Symbol::Condition(name) => (name.clone(), SymbolKind::Condition),
            };
            name.to_lowercase().contains(&query).then(|| {
                let f = a.files.get(o.file)?;
                let text = a.text(o.file);
                Some((
                    name,
                    kind,
                    Location {
                        target: Target::Policy(o.file),
                        range: f.index.range(text, o.start, o.end),
                    },
                ))
            })?
        })
        .collect()
}

/// Lines to fold: each bracket pair over several lines, and each run of
/// comment lines. `(first, last, is_comment)`, zero-based.
pub fn folding(a: &Analysis, file: usize) -> Vec<(u32, u32, bool)> {
    let Some(f) = a.files.get(file) else {
        return Vec::new();
    };
    let text = a.text(file);
    let line = |offset: usize| f.index.pos(text, offset).line;
    let mut out = Vec::new();
    let mut open = Vec::new();
    let mut comments: Option<(u32, u32)> = None;
    for t in &f.tokens {
        let own_line = text
            .get(..t.start)
            .map(|b| b.rsplit('\n').next().unwrap_or("").trim().is_empty())
            .unwrap_or(false);
        if t.kind == Kind::Comment && own_line {
            let l = line(t.start);
            comments = match comments {
                Some((first, last)) if last + 1 == l => Some((first, l)),
                Some((first, last)) => {
                    if last > first {
                        out.push((first, last, true));
                    }
                    Some((l, l))
                }
                None => Some((l, l)),
            };
            continue;
        }
        if t.kind == Kind::Comment {
            continue;
        }
        match t.text(text) {
            "{" | "[" | "(" => open.push(line(t.start)),
            "}" | "]" | ")" => {
                if let Some(first) = open.pop() {
                    let last = line(t.start);
                    if last > first {
                        out.push((first, last.saturating_sub(1).max(first), false));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some((first, last)) = comments
        && last > first
    {
        out.push((first, last, true));
    }
    out.sort();
    out
}

/// The token types semantic highlighting uses, in the legend's order.
pub const TOKEN_TYPES: &[&str] = &[
    "keyword",
    "property",
    "enumMember",
    "function",
    "method",
    "string",
    "number",
    "comment",
    "operator",
    "variable",
];

/// Each token of a file: `(line, column, length, type)` in UTF-16 units,
/// types indexing [`TOKEN_TYPES`].
pub fn semantic_tokens(a: &Analysis, file: usize) -> Vec<(u32, u32, u32, u32)> {
    let Some(f) = a.files.get(file) else {
        return Vec::new();
    };
    let text = a.text(file);
    let mut out = Vec::with_capacity(f.tokens.len());
    let mut previous = "";
    for t in &f.tokens {
        let word = t.text(text);
        let kind = match t.kind {
            Kind::Keyword => 0,
            Kind::String => 5,
            Kind::Number => 6,
            Kind::Comment => 7,
            Kind::Punct => 8,
            Kind::Path => match a.index.at(file, t.start).map(|o| &o.symbol) {
                Some(Symbol::Field(_)) => 1,
                Some(Symbol::Decision(_)) => 3,
                Some(Symbol::Rule { .. }) => 4,
                Some(Symbol::Condition(_)) => 9,
                None if a.index.in_schema(file, t.start) => 1,
                None if matches!(previous, "deny" | "allow") => 4,
                None => 2,
            },
        };
        previous = word;
        let start = f.index.pos(text, t.start);
        let length: usize = word.chars().map(char::len_utf16).sum();
        out.push((start.line, start.character, length as u32, kind));
    }
    out
}
