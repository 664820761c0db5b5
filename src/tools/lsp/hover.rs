//! Hover: what a field, decision, rule, named condition or diagnostic code
//! under the cursor is.

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
            Some(Symbol::Condition(name)) => condition(a, name),
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
    let used = used_by(a, &Symbol::Decision(id.to_owned()));
    // Only another decision's or condition's read is news; assertions are
    // about the decision, not uses of its outcome.
    if used.contains("decision `") || used.contains("condition `") {
        out.push_str(&used);
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

/// A named condition: its expression as written, its type, and who uses it.
fn condition(a: &Analysis, name: &str) -> Option<String> {
    let c = a.index.condition(name)?;
    let text = a.text(c.file);
    let written: Vec<&str> = text
        .get(c.expr_start..c.end)
        .unwrap_or("")
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    // A condition is true, false or unknown (when a fact it reads is missing).
    let mut out = format!(
        "**condition {name}**: condition (true, false or unknown)\n\n```credo\n{}\n```",
        written.join("\n    ")
    );
    out.push_str(&used_by(a, &Symbol::Condition(name.to_owned())));
    let _ = write!(
        out,
        "\n\n{}:{}",
        a.name(c.file),
        line_of(a, c.file, c.start)
    );
    Some(out)
}

/// Which decisions, conditions and assertions read a symbol in their
/// expressions, as a Markdown paragraph.
fn used_by(a: &Analysis, symbol: &Symbol) -> String {
    let mut users: Vec<String> = Vec::new();
    for o in &a.index.occurrences {
        if o.definition || o.symbol != *symbol {
            continue;
        }
        let user = if let Some(d) = a.index.decision_at(o.file, o.start) {
            format!("decision `{}`", d.id)
        } else if let Some(other) = a.index.condition_at(o.file, o.start) {
            format!("condition `{}`", other.name)
        } else if a
            .index
            .assertions
            .iter()
            .any(|s| s.file == o.file && s.start <= o.start && o.start <= s.end)
        {
            format!(
                "an assertion, {}:{}",
                a.name(o.file),
                line_of(a, o.file, o.start)
            )
        } else {
            continue;
        };
        if !users.contains(&user) {
            users.push(user);
        }
    }
    if users.is_empty() {
        return "\n\nnot used".to_owned();
    }
    let mut out = format!("\n\nused by {}:", users.len());
    for u in &users {
        let _ = write!(out, "\n- {u}");
    }
    out
}

/// The one-based line of a byte offset of a policy file.
fn line_of(a: &Analysis, file: usize, offset: usize) -> u32 {
    a.files
        .get(file)
        .map_or(0, |f| f.index.pos(a.text(file), offset).line + 1)
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

/// What a diagnostic code means: the summary and explanation of its
/// `credo codes` page, so the editor and the command never disagree.
pub fn explain(code: &str) -> Option<String> {
    let doc = crate::lang::codes::lookup(code)?;
    Some(format!(
        "{}.\n\n{}\n\n`credo codes {}` shows an example.",
        doc.summary,
        doc.explanation(),
        doc.code
    ))
}
