//! Go to definition, find references and rename, for fields, decisions,
//! rules and named conditions, across the policy files and the test files.

use super::analysis::{Analysis, Location, Target};
use super::index::{Occurrence, Symbol};
use super::lex::KEYWORDS;
use super::text::{LineIndex, Pos, Range};

/// The symbol at a position of a policy or test file.
pub fn symbol_at(a: &Analysis, target: Target, pos: Pos) -> Option<Symbol> {
    match target {
        Target::Policy(file) => {
            let offset = a.offset(file, pos);
            a.index.at(file, offset).map(|o| o.symbol.clone())
        }
        Target::Test(file) => {
            let text = &a.input.tests.get(file)?.text;
            let offset = LineIndex::new(text).offset(text, pos);
            let word = word_at(text, offset)?;
            if a.index.decision(word).is_some() {
                return Some(Symbol::Decision(word.to_owned()));
            }
            // A rule id is one of the decision the mention sits under
            // (several decisions may have a rule of that id).
            let under = decision_above(a, text, offset);
            a.index
                .decisions
                .iter()
                .filter(|d| under.is_none_or(|u| u == d.id))
                .find_map(|d| {
                    d.rules.iter().find(|r| r.id == word).map(|r| Symbol::Rule {
                        decision: d.id.clone(),
                        id: r.id.clone(),
                    })
                })
        }
    }
}

/// The decision a test file's text at `offset` is an expectation of: the
/// nearest decision id written as a key before it on its line (`credit_track:
/// {outcome: .., by: [..]}`), else on the closest line above that is less
/// indented (`credit_track:` over an indented `by:`).
fn decision_above<'t>(a: &Analysis, text: &'t str, offset: usize) -> Option<&'t str> {
    let start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let is_decision = |key: &str| a.index.decision(key).is_some();
    let keys = |part: &'t str| {
        part.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .filter_map(|w| w.strip_suffix(':'))
            .collect::<Vec<&'t str>>()
    };
    let line = text.get(start..offset)?;
    if let Some(key) = keys(line).into_iter().rev().find(|k| is_decision(k)) {
        return Some(key);
    }
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut within = indent(line);
    for above in text.get(..start)?.lines().rev() {
        let trimmed = above.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || indent(above) >= within {
            continue;
        }
        within = indent(above);
        if let Some(key) = keys(trimmed).into_iter().find(|k| is_decision(k)) {
            return Some(key);
        }
        if within == 0 {
            break;
        }
    }
    None
}

/// The word (letters, digits, `_`) around `offset`.
fn word_at(text: &str, offset: usize) -> Option<&str> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = text
        .get(..offset)?
        .rfind(|c| !is_word(c))
        .map_or(0, |i| i + 1);
    let end = text
        .get(offset..)?
        .find(|c| !is_word(c))
        .map_or(text.len(), |i| offset + i);
    text.get(start..end).filter(|w| !w.is_empty())
}

/// Where the symbol is defined.
pub fn definition(a: &Analysis, symbol: &Symbol) -> Vec<Location> {
    a.index
        .occurrences
        .iter()
        .filter(|o| o.definition && o.symbol == *symbol)
        .map(|o| place(a, o, false))
        .collect()
}

/// Every place the symbol is written: definitions when asked, reads, and
/// the test files' mentions.
pub fn references(a: &Analysis, symbol: &Symbol, with_definition: bool) -> Vec<Location> {
    let mut found: Vec<Location> = a
        .index
        .occurrences
        .iter()
        .filter(|o| o.symbol == *symbol && (with_definition || !o.definition))
        .map(|o| place(a, o, false))
        .collect();
    found.extend(in_tests(a, symbol));
    found
}

fn place(a: &Analysis, o: &Occurrence, name_only: bool) -> Location {
    let start = if name_only { name_start(a, o) } else { o.start };
    Location {
        target: Target::Policy(o.file),
        range: a.range(crate::base::source::Span::new(
            crate::base::source::FileId(o.file as u32),
            start,
            o.end,
        )),
    }
}

/// Where the renamed part of an occurrence starts: a field read
/// `account.segment` renames `segment`.
fn name_start(a: &Analysis, o: &Occurrence) -> usize {
    match &o.symbol {
        Symbol::Field(path) if !o.definition => {
            let last = path.rsplit('.').next().unwrap_or("").len();
            let written = a.text(o.file).get(o.start..o.end).unwrap_or("");
            if written == path {
                o.end - last
            } else {
                o.start
            }
        }
        _ => o.start,
    }
}

/// Whether a match at `start..end` of a line is a mention.
type LineTest = fn(&str, usize, usize) -> bool;

/// Mentions in `tests/*.yaml`: a decision as a key under `expect`, a rule
/// in a `by:` list, a field in a `missing:` list.
fn in_tests(a: &Analysis, symbol: &Symbol) -> Vec<Location> {
    let (word, on_line): (&str, LineTest) = match symbol {
        Symbol::Decision(id) => (id, |line, _, end| {
            line.get(end..)
                .is_some_and(|r| r.trim_start().starts_with(':'))
        }),
        Symbol::Rule { id, .. } => (id, |line, start, _| {
            line.get(..start).is_some_and(|l| l.contains("by:"))
        }),
        Symbol::Field(path) => (path, |line, _, _| {
            line.contains("missing:") || line.trim_start().starts_with('-')
        }),
        // Test files name decisions, rules and fields, never a condition.
        Symbol::Condition(_) => return Vec::new(),
    };
    // A rule's mentions are those under its own decision.
    let owner = match symbol {
        Symbol::Rule { decision, .. } => Some(decision.as_str()),
        _ => None,
    };
    let mut found = Vec::new();
    for (i, doc) in a.input.tests.iter().enumerate() {
        let index = LineIndex::new(&doc.text);
        let mut line_start = 0;
        for line in doc.text.split_inclusive('\n') {
            for (at, _) in line.match_indices(word) {
                let end = at + word.len();
                let bounded = !line
                    .get(..at)
                    .unwrap_or("")
                    .ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                    && !line.get(end..).is_some_and(|r| {
                        r.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    });
                let owned = owner.is_none_or(|d| {
                    decision_above(a, &doc.text, line_start + at).is_none_or(|u| u == d)
                });
                if bounded && owned && on_line(line, at, end) {
                    found.push(Location {
                        target: Target::Test(i),
                        range: index.range(&doc.text, line_start + at, line_start + end),
                    });
                }
            }
            line_start += line.len();
        }
    }
    found
}

/// Why a rename cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenameError {
    #[error("nothing to rename here: put the cursor on a field, decision or rule")]
    Nothing,
    #[error("`{0}` is not a name: use letters, digits and `_`, starting with a letter")]
    BadName(String),
    #[error("`{0}` is a keyword of the language")]
    Keyword(String),
    /// The new name already means something else where the old one is read.
    #[error("`{name}` is already {what}: choose another name")]
    Clash { name: String, what: String },
}

/// The edits that rename the symbol at `pos` to `new_name` everywhere.
pub fn rename(
    a: &Analysis,
    target: Target,
    pos: Pos,
    new_name: &str,
) -> Result<Vec<(Location, String)>, RenameError> {
    let symbol = symbol_at(a, target, pos).ok_or(RenameError::Nothing)?;
    let mut chars = new_name.chars();
    let good = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !good {
        return Err(RenameError::BadName(new_name.to_owned()));
    }
    if KEYWORDS.contains(&new_name) {
        return Err(RenameError::Keyword(new_name.to_owned()));
    }
    if let Some(what) = clash(a, &symbol, new_name) {
        return Err(RenameError::Clash {
            name: new_name.to_owned(),
            what,
        });
    }
    let mut edits: Vec<(Location, String)> = a
        .index
        .occurrences
        .iter()
        .filter(|o| o.symbol == symbol)
        .map(|o| (place(a, o, true), new_name.to_owned()))
        .collect();
    let replacement = match &symbol {
        Symbol::Field(path) => match path.rsplit_once('.') {
            Some((head, _)) => format!("{head}.{new_name}"),
            None => new_name.to_owned(),
        },
        _ => new_name.to_owned(),
    };
    edits.extend(
        in_tests(a, &symbol)
            .into_iter()
            .map(|l| (l, replacement.clone())),
    );
    Ok(edits)
}

/// What `new_name` already means, when renaming `symbol` to it would make
/// one name mean two things (the checker would report a name clash): a bare name is a fact, a decision, a named condition or an
/// enum or classification member, and a rule id is unique in its decision.
fn clash(a: &Analysis, symbol: &Symbol, new_name: &str) -> Option<String> {
    let same = |other: &Symbol| other == symbol;
    match symbol {
        Symbol::Rule { decision, .. } => {
            let d = a.index.decision(decision)?;
            d.rules
                .iter()
                .any(|r| r.id == new_name)
                .then(|| format!("a rule of `{decision}`"))
        }
        Symbol::Field(path) => {
            let renamed = match path.rsplit_once('.') {
                Some((head, _)) => format!("{head}.{new_name}"),
                None => new_name.to_owned(),
            };
            let schema = a.schema.as_ref()?;
            if schema.slot(&renamed).is_some() || schema.records.contains_key(&renamed) {
                return Some(format!("the field `{renamed}`"));
            }
            // A top-level field is read as a bare name.
            (!renamed.contains('.'))
                .then(|| bare_name(a, new_name, &same))
                .flatten()
        }
        Symbol::Decision(_) | Symbol::Condition(_) => {
            let schema = a.schema.as_ref();
            if schema
                .is_some_and(|s| s.slot(new_name).is_some() || s.records.contains_key(new_name))
            {
                return Some("a fact of the schema".to_owned());
            }
            bare_name(a, new_name, &same)
        }
    }
}

/// What a bare name means among decisions, conditions and members.
fn bare_name(a: &Analysis, name: &str, same: &dyn Fn(&Symbol) -> bool) -> Option<String> {
    if a.index.decision(name).is_some() && !same(&Symbol::Decision(name.to_owned())) {
        return Some("a decision".to_owned());
    }
    if a.index.condition(name).is_some() && !same(&Symbol::Condition(name.to_owned())) {
        return Some("a named condition".to_owned());
    }
    let members = a
        .schema
        .iter()
        .flat_map(|s| &s.enums)
        .flat_map(|e| &e.members);
    let classes = a.index.decisions.iter().flat_map(|d| &d.classes);
    members
        .chain(classes)
        .any(|m| m == name)
        .then(|| "an enum or classification member".to_owned())
}

/// The range `prepareRename` offers: the name under the cursor.
pub fn rename_range(a: &Analysis, target: Target, pos: Pos) -> Option<Range> {
    let Target::Policy(file) = target else {
        return None;
    };
    let offset = a.offset(file, pos);
    let o = a.index.at(file, offset)?;
    Some(place(a, o, true).range)
}
