//! Hover: what a field, decision, rule or diagnostic code under the cursor is.

use std::fmt::Write as _;

use super::analysis::Analysis;
use super::index::{DecisionDef, Symbol};
use super::lex::{self, Kind};
use super::text::{Pos, Range};

/// Markdown about what is at `pos`, and the range it is about.
pub fn hover(a: &Analysis, file: usize, pos: Pos) -> Option<(Range, String)> {
    let offset = a.offset(file, pos);
    let text = a.text(file);
    let f = a.files.get(file)?;
    let mut parts = Vec::new();
    let mut range = None;
    if let Some(t) = lex::token_at(&f.tokens, offset).and_then(|i| f.tokens.get(i)) {
        let r = f.index.range(text, t.start, t.end);
        let about = match a.index.at(file, offset).map(|o| &o.symbol) {
            Some(Symbol::Field(path)) => field(a, path),
            Some(Symbol::Decision(id)) => decision(a, id),
            Some(Symbol::Rule { decision, id }) => rule(a, decision, id),
            None if t.kind == Kind::Path => record(a, t.text(text)),
            None => None,
        };
        if let Some(about) = about {
            parts.push(about);
            range = Some(r);
        }
    }
    // A diagnostic under the cursor: what its code means.
    for d in &a.diagnostics {
        if d.span.file.0 as usize == file
            && d.span.start <= offset
            && offset <= d.span.end.max(d.span.start + 1)
            && let Some(why) = explain(d.code)
        {
            parts.push(format!("**{}**: {why}", d.code));
            range.get_or_insert(a.range(d.span));
        }
    }
    Some((range?, parts.join("\n\n---\n\n")))
}

fn field(a: &Analysis, path: &str) -> Option<String> {
    let schema = a.schema.as_ref()?;
    let field = schema.field(schema.slot(path)?)?;
    let file = field.span.file.0 as usize;
    let text = a.text(file);
    let line_start = text
        .get(..field.span.start)?
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line_end = text
        .get(field.span.start..)?
        .find('\n')
        .map_or(text.len(), |i| field.span.start + i);
    let line = text.get(line_start..line_end)?.trim();
    let words: Vec<&str> = line
        .split('#')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let mut modifiers = Vec::new();
    if words.contains(&"fixed") {
        modifiers.push("fixed");
    }
    if field.changeable {
        modifiers.push("changeable");
    }
    if field.optional {
        modifiers.push("optional");
    }
    if field.optional_record.is_some() {
        modifiers.push("in an optional record");
    }
    let place = a.range(field.span);
    let mut out = format!("**{path}**: {}", schema.describe(field.ty));
    if !modifiers.is_empty() {
        let _ = write!(out, " · {}", modifiers.join(", "));
    }
    let _ = write!(
        out,
        "\n\n```credo\n{line}\n```\n{}:{}",
        a.name(file),
        place.start.line + 1
    );
    Some(out)
}

fn record(a: &Analysis, path: &str) -> Option<String> {
    let schema = a.schema.as_ref()?;
    let optional = schema.records.get(path)?;
    let fields: Vec<&str> = schema
        .paths()
        .filter(|p| p.strip_prefix(path).is_some_and(|r| r.starts_with('.')))
        .collect();
    Some(format!(
        "**{path}**: {}record of {} fields",
        if *optional { "optional " } else { "" },
        fields.len()
    ))
}

fn decision(a: &Analysis, id: &str) -> Option<String> {
    let d: &DecisionDef = a.index.decision(id)?;
    let mut out = format!("**decision {id}**: {}", kind_text(a, d));
    if let Some(p) = a
        .program
        .as_ref()
        .and_then(|p| p.decisions.iter().find(|x| x.id == id))
    {
        let rules = p.denies.iter().map(|r| ("deny", r));
        for (effect, r) in rules.chain(p.allows.iter().map(|r| ("allow", r))) {
            let _ = write!(out, "\n- {effect} `{}`: {}", r.id, r.message);
        }
        for r in &p.rows {
            let _ = write!(out, "\n- {}: {}", r.label, r.message);
        }
    } else {
        for r in &d.rules {
            let _ = write!(out, "\n- {} `{}`", r.effect, r.id);
        }
    }
    let tests: Vec<&str> = a
        .tests()
        .iter()
        .flat_map(|f| &f.cases)
        .filter(|c| c.expect.iter().any(|e| e.decision == id))
        .map(|c| c.name.as_str())
        .collect();
    if a.program.is_none() {
        out.push_str("\n\ntests: not read while the set has errors");
        return Some(out);
    }
    let _ = write!(
        out,
        "\n\n{} test{}",
        tests.len(),
        if tests.len() == 1 { "" } else { "s" }
    );
    for t in tests.iter().take(10) {
        let _ = write!(out, "\n- `{t}`");
    }
    if tests.len() > 10 {
        let _ = write!(out, "\n- and {} more", tests.len() - 10);
    }
    Some(out)
}

/// The kind as written after the decision's name: `classification { a, b }`, `amount USD`.
fn kind_text(a: &Analysis, d: &DecisionDef) -> String {
    let text = a.text(d.file);
    let after = text.get(d.name_end..d.end).unwrap_or("");
    let after = after.trim_start().trim_start_matches(':');
    let cut = match d.kind.as_str() {
        "classification" => after.find('}').map(|i| i + 1),
        _ => after.find('{'),
    };
    let kind = after.get(..cut.unwrap_or(after.len())).unwrap_or("");
    kind.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn rule(a: &Analysis, decision: &str, id: &str) -> Option<String> {
    let d = a.index.decision(decision)?;
    let r = d.rules.iter().find(|r| r.id == id)?;
    let text = a.text(d.file);
    let comments = comments_above(text, r.start);
    let because = a
        .program
        .as_ref()
        .and_then(|p| p.decisions.iter().find(|x| x.id == decision))
        .and_then(|p| p.denies.iter().chain(&p.allows).find(|x| x.id == id))
        .map(|x| x.message.clone());
    let tags = article_tags(&format!(
        "{comments} {}",
        because.clone().unwrap_or_default()
    ));
    let mut out = format!("**{} {id}** in `{decision}`", r.effect);
    if !tags.is_empty() {
        let _ = write!(
            out,
            "\n\narticle rule{}: {}",
            if tags.len() == 1 { "" } else { "s" },
            tags.join(", ")
        );
    }
    if !comments.is_empty() {
        let _ = write!(out, "\n\n{comments}");
    }
    if let Some(b) = because {
        let _ = write!(out, "\n\nbecause \"{b}\"");
    }
    Some(out)
}

/// The comment lines right above the line holding `offset`, joined.
fn comments_above(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or("");
    let mut lines: Vec<&str> = before.lines().collect();
    // The line the rule starts on.
    if !before.ends_with('\n') {
        lines.pop();
    }
    let mut out: Vec<&str> = lines
        .iter()
        .rev()
        .map(|l| l.trim())
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim())
        .collect();
    out.reverse();
    out.join(" ")
}

/// `R3`, `R10`: the article's rule tags in a text.
fn article_tags(text: &str) -> Vec<String> {
    let mut tags = Vec::new();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.len() >= 2
            && word.starts_with('R')
            && word.bytes().skip(1).all(|b| b.is_ascii_digit())
            && !tags.iter().any(|t| t == word)
        {
            tags.push(word.to_owned());
        }
    }
    tags
}

/// What each diagnostic code means, as `credo codes` explains it.
pub fn explain(code: &str) -> Option<&'static str> {
    Some(match code {
        "E0001" => "the text does not follow the grammar.",
        "E0002" => "parentheses, lists or `not`s are nested deeper than the limit.",
        "E0003" => "a literal that is not a valid number, money amount or date.",
        "E0004" => "a policy file could not be read.",
        "E0005" => "a policy file or set is larger than its limit.",
        "E0101" => "a field path the schema does not declare.",
        "E0102" => "an enum or classification member that does not exist.",
        "E0103" => "operands or values of the wrong type.",
        "E0104" => "money of two different currencies: credo never converts.",
        "E0105" => "two decisions with one id.",
        "E0106" => "two rules with one id in a decision.",
        "E0107" => "a table without an `otherwise` row: some facts may match no row.",
        "E0108" => "a decision the schema's catalog requires is not defined.",
        "E0109" => "a decision of another kind than its catalog entry.",
        "E0110" => "an item that does not belong in this kind of decision.",
        "E0111" => "no schema, or more than one.",
        "E0112" => "a field, member or catalog entry declared twice.",
        "E0113" => "a row after `otherwise`, or `otherwise` twice: it can never be reached.",
        "E0114" => "a classification or amount without its table.",
        "E0115" => "a currency code that is not ISO 4217.",
        "E0117" => "an unknown modifier on a schema field.",
        "E0118" => {
            "an assertion about a decision that is not defined, or a claim that does not fit it."
        }
        _ => return None,
    })
}
