//! The canonical layout: the AST printed line by line, with the comments of
//! the source put back between the lines.
//!
//! Each printed line knows where its code starts in the source. Before a line
//! is written, every comment that comes before that place in the source is
//! written: a comment that followed code on its line trails the line printed
//! last, if that line has no comment yet; any other goes on a line of its
//! own. So comments keep their order and their place relative to the code,
//! and a second run finds each comment where the first one put it.

use super::comments::{Comment, blank_before, comments, find_code, next_code};
use crate::lang::ast::{
    Assertion, Claim, Decision, DecisionItem, DecisionKind, Effect, File, Item, NamedCondition,
    Rule, SchemaEntry, Table, TypeExpr, escape,
};

/// Lines longer than this are broken where the layout allows it: a long
/// classification's members, an assertion's `when`.
const WIDTH: usize = 100;

/// Prints `file`, parsed from `text`, in the canonical layout.
pub fn print(file: &File, text: &str) -> String {
    let mut printer = Printer {
        text,
        comments: comments(text),
        next_comment: 0,
        lines: Vec::new(),
        block_start: true,
        blank_wanted: false,
        comment_since_code: false,
    };
    printer.file(file);
    render(&printer.lines)
}

enum Line {
    Blank,
    Code {
        indent: usize,
        code: String,
        trailing: Option<String>,
    },
    Comment {
        indent: usize,
        text: String,
    },
}

/// What a line is to the lines around it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Starts an item: the author's blank line before it is kept.
    Item,
    /// An item that opens a block: no blank line right after it.
    Open,
    /// Goes on with the item above it (`when`, `because`): no blank line before.
    Continuation,
    /// A closing `}`: comments before it are indented as the block's inside.
    Close,
    /// `} {` between a classification's members and its body.
    Reopen,
}

struct Printer<'a> {
    text: &'a str,
    comments: Vec<Comment>,
    next_comment: usize,
    lines: Vec<Line>,
    /// At the start of the file or of a block, where no blank line goes.
    block_start: bool,
    /// A blank line goes before the next line, whatever the source had.
    blank_wanted: bool,
    /// A comment line was written after the last code line, so a trailing
    /// comment can no longer go up onto that code line.
    comment_since_code: bool,
}

impl Printer<'_> {
    /// Writes a line whose code starts at `at` in the source, after the
    /// comments that come before it.
    fn line(&mut self, at: usize, indent: usize, code: String, kind: Kind) {
        let comment_indent = match kind {
            Kind::Close | Kind::Reopen => indent + 1,
            _ => indent,
        };
        self.comments_before(at, comment_indent);
        let blank = matches!(kind, Kind::Item | Kind::Open)
            && (self.blank_wanted || blank_before(self.text, at));
        self.space(blank);
        self.lines.push(Line::Code {
            indent,
            code,
            trailing: None,
        });
        self.block_start = matches!(kind, Kind::Open | Kind::Reopen);
        self.comment_since_code = false;
    }

    fn comments_before(&mut self, at: usize, indent: usize) {
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.offset >= at {
                break;
            }
            let comment = comment.clone();
            self.next_comment += 1;
            if comment.trailing
                && !self.comment_since_code
                && let Some(Line::Code {
                    trailing: trailing @ None,
                    ..
                }) = self.lines.last_mut()
            {
                *trailing = Some(comment.text);
                continue;
            }
            let blank = self.blank_wanted || blank_before(self.text, comment.offset);
            self.space(blank);
            self.lines.push(Line::Comment {
                indent,
                text: comment.text,
            });
            self.block_start = false;
            self.comment_since_code = true;
        }
    }

    /// Starts a line, after a blank one if wanted and allowed here.
    fn space(&mut self, blank: bool) {
        if blank && !self.block_start && !self.lines.is_empty() {
            self.lines.push(Line::Blank);
        }
        self.blank_wanted = false;
    }

    fn file(&mut self, file: &File) {
        let mut previous: Option<&Item> = None;
        for item in &file.items {
            // Decisions and schemas stand apart; assertions and named conditions may run together.
            let block = |item: &Item| {
                !matches!(item, Item::Assertion(_) | Item::Condition(_) | Item::Gap(_))
            };
            if previous.is_some_and(|p| block(p) || block(item)) {
                self.blank_wanted = true;
            }
            match item {
                Item::Schema(schema) => {
                    self.line(schema.span.start, 0, "schema {".into(), Kind::Open);
                    let body = find_code(self.text, schema.span.start, b'{') + 1;
                    self.schema_entries(&schema.entries, body, 1);
                    self.line(
                        schema.span.end.saturating_sub(1),
                        0,
                        "}".into(),
                        Kind::Close,
                    );
                }
                Item::Decision(decision) => self.decision(decision),
                Item::Assertion(assertion) => self.assertion(assertion),
                Item::Condition(named) => self.named_condition(named),
                Item::Gap(gap) => {
                    let head = format!("gap {} {}", gap.decision.name, gap.window);
                    self.line(gap.span.start, 0, head, Kind::Item);
                    let at = next_code(self.text, gap.window.span.end);
                    let code = format!("because {}", quoted(&gap.because.value));
                    self.line(at, 1, code, Kind::Continuation);
                }
            }
            previous = Some(item);
        }
        self.comments_before(usize::MAX, 0);
    }

    fn schema_entries(&mut self, entries: &[SchemaEntry], body: usize, indent: usize) {
        let mut end = body;
        for entry in entries {
            match entry {
                SchemaEntry::Attribute(attribute) => {
                    let mut code = format!("{}: ", attribute.name.name);
                    if attribute.optional {
                        code.push_str("optional ");
                    }
                    code.push_str(&type_text(&attribute.ty));
                    for modifier in &attribute.modifiers {
                        code.push(' ');
                        code.push_str(&modifier.name);
                    }
                    self.line(attribute.span.start, indent, code, Kind::Item);
                    end = attribute.span.end;
                }
                SchemaEntry::Record(record) => {
                    let optional = if record.optional { "optional " } else { "" };
                    let code = format!("{optional}{} {{", record.name.name);
                    self.line(record.span.start, indent, code, Kind::Open);
                    let body = find_code(self.text, record.name.span.end, b'{') + 1;
                    self.schema_entries(&record.entries, body, indent + 1);
                    let close = record.span.end.saturating_sub(1);
                    self.line(close, indent, "}".into(), Kind::Close);
                    end = record.span.end;
                }
                SchemaEntry::Catalog(catalog) => {
                    let at = next_code(self.text, end);
                    self.line(at, indent, "decisions {".into(), Kind::Open);
                    end = find_code(self.text, at, b'{') + 1;
                    for entry in catalog {
                        let code = format!("{}: {}", entry.id.name, entry.kind.as_str());
                        self.line(entry.span.start, indent + 1, code, Kind::Item);
                        end = entry.span.end;
                    }
                    let close = find_code(self.text, end, b'}');
                    self.line(close, indent, "}".into(), Kind::Close);
                    end = close + 1;
                }
            }
        }
    }

    fn decision(&mut self, decision: &Decision) {
        let id = &decision.id.name;
        let start = decision.span.start;
        // ` effective ..` between the kind and the body, when the decision has a window.
        let window = decision
            .window
            .as_ref()
            .map_or(String::new(), |w| format!(" {w}"));
        let body = match &decision.kind {
            DecisionKind::Eligibility | DecisionKind::Action => {
                let kind = decision.kind.name().as_str();
                self.line(
                    start,
                    0,
                    format!("decision {id}: {kind}{window} {{"),
                    Kind::Open,
                );
                find_code(self.text, decision.id.span.end, b'{')
            }
            DecisionKind::Amount(currency) => {
                let code = format!("decision {id}: amount {}{window} {{", currency.name);
                self.line(start, 0, code, Kind::Open);
                find_code(self.text, currency.span.end, b'{')
            }
            DecisionKind::Classification(members) => {
                let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
                let names = names.join(", ");
                let last = members.last().map_or(decision.id.span.end, |m| m.span.end);
                let close = find_code(self.text, last, b'}');
                let one_line = format!("decision {id}: classification {{ {names} }}{window} {{");
                if one_line.chars().count() <= WIDTH {
                    self.line(start, 0, one_line, Kind::Open);
                } else {
                    let head = format!("decision {id}: classification {{");
                    self.line(start, 0, head, Kind::Item);
                    let first = members.first().map_or(start, |m| m.span.start);
                    self.line(first, 1, names, Kind::Continuation);
                    self.line(close, 0, format!("}}{window} {{"), Kind::Reopen);
                }
                find_code(self.text, close + 1, b'{')
            }
        };
        let mut end = body + 1;
        for item in &decision.items {
            let at = next_code(self.text, end);
            end = match item {
                DecisionItem::Applies(condition) => {
                    self.line(at, 1, format!("applies when {condition}"), Kind::Item);
                    condition.span.end
                }
                DecisionItem::Rounding(mode, span) => {
                    self.line(at, 1, format!("rounding {}", mode.as_str()), Kind::Item);
                    span.end
                }
                DecisionItem::Note(note) => {
                    self.line(at, 1, format!("note {}", quoted(&note.value)), Kind::Item);
                    note.span.end
                }
                DecisionItem::Rule(rule) => {
                    self.rule(rule);
                    rule.span.end
                }
                DecisionItem::Table(table) => {
                    self.table(table);
                    table.span.end
                }
            };
        }
        let close = decision.span.end.saturating_sub(1);
        self.line(close, 0, "}".into(), Kind::Close);
    }

    fn rule(&mut self, rule: &Rule) {
        let effect = match rule.effect {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        };
        let mut code = format!("{effect} {}", rule.id.name);
        let mut end = rule.id.span.end;
        if let Some(window) = &rule.window {
            code = format!("{code} {window}");
            end = window.span.end;
        }
        self.line(rule.span.start, 1, code, Kind::Item);
        if let Some(guard) = &rule.guard {
            let word = if guard.unless { "unless" } else { "when" };
            let code = format!("{word} {}", guard.condition);
            self.line(next_code(self.text, end), 2, code, Kind::Continuation);
            end = guard.condition.span.end;
        }
        let code = format!("because {}", quoted(&rule.because.value));
        self.line(next_code(self.text, end), 2, code, Kind::Continuation);
    }

    fn table(&mut self, table: &Table) {
        self.line(table.span.start, 1, "first {".into(), Kind::Open);
        for row in &table.rows {
            let code = match &row.condition {
                Some(condition) => format!("when {condition} => {}", row.value),
                None => format!("otherwise => {}", row.value),
            };
            self.line(row.span.start, 2, code, Kind::Item);
            let mut end = row.value.span.end;
            if let Some(because) = &row.because {
                let at = next_code(self.text, end);
                let code = format!("because {}", quoted(&because.value));
                self.line(at, 3, code, Kind::Continuation);
                end = because.span.end;
            }
            if let Some(window) = &row.window {
                let at = next_code(self.text, end);
                self.line(at, 3, window.to_string(), Kind::Continuation);
            }
        }
        let close = table.span.end.saturating_sub(1);
        self.line(close, 1, "}".into(), Kind::Close);
    }

    /// `condition NAME = CONDITION`, the condition on a line of its own when long.
    fn named_condition(&mut self, named: &NamedCondition) {
        let head = match &named.window {
            Some(window) => format!("condition {} {window} =", named.name.name),
            None => format!("condition {} =", named.name.name),
        };
        let one_line = format!("{head} {}", named.condition);
        if one_line.chars().count() <= WIDTH {
            self.line(named.span.start, 0, one_line, Kind::Item);
        } else {
            self.line(named.span.start, 0, head, Kind::Item);
            let at = named.condition.span.start;
            self.line(at, 1, named.condition.to_string(), Kind::Continuation);
        }
    }

    fn assertion(&mut self, assertion: &Assertion) {
        let (claim, claim_end) = match &assertion.claim {
            Claim::Outcome(outcome) => (format!("is {}", outcome.name), outcome.span.end),
            Claim::Monotone(field) => (format!("is monotone in {field}"), field.span.end),
            Claim::Equals(value) => (format!("== {value}"), value.span.end),
        };
        let head = format!("assert {} {claim}", assertion.decision.name);
        let start = assertion.span.start;
        match &assertion.condition {
            None => self.line(start, 0, head, Kind::Item),
            Some(condition) => {
                let one_line = format!("{head} when {condition}");
                if one_line.chars().count() <= WIDTH {
                    self.line(start, 0, one_line, Kind::Item);
                } else {
                    self.line(start, 0, head, Kind::Item);
                    let at = next_code(self.text, claim_end);
                    self.line(at, 1, format!("when {condition}"), Kind::Continuation);
                }
            }
        }
    }
}

fn type_text(ty: &TypeExpr) -> String {
    match ty {
        TypeExpr::Text => "text".into(),
        TypeExpr::Bool => "bool".into(),
        TypeExpr::Int => "int".into(),
        TypeExpr::Date => "date".into(),
        TypeExpr::Money { currency, default } => {
            let default = if *default { " default" } else { "" };
            format!("money {}{default}", currency.name)
        }
        TypeExpr::Enum(members) => {
            let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
            format!("enum {{ {} }}", names.join(", "))
        }
    }
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", escape(text))
}

/// Writes the lines out, two spaces per level. The trailing comments of
/// consecutive lines line up, two spaces after the longest of those lines
/// (as gofmt does); a line without one ends the run.
fn render(lines: &[Line]) -> String {
    let width = |line: &Line| match line {
        Line::Code {
            indent,
            code,
            trailing: Some(_),
        } => Some(indent * 2 + code.chars().count()),
        _ => None,
    };
    let mut out = String::new();
    let mut column = 0;
    for (n, line) in lines.iter().enumerate() {
        match line {
            Line::Blank => out.push('\n'),
            Line::Code {
                indent,
                code,
                trailing,
            } => {
                push_indent(&mut out, *indent);
                out.push_str(code);
                if let Some(comment) = trailing {
                    let starts_run = n == 0 || lines.get(n - 1).and_then(width).is_none();
                    if starts_run {
                        column = lines.iter().skip(n).map_while(width).max().unwrap_or(0);
                    }
                    let own = indent * 2 + code.chars().count();
                    out.extend(std::iter::repeat_n(' ', column + 2 - own.min(column)));
                    out.push_str(comment);
                }
                out.push('\n');
            }
            Line::Comment { indent, text } => {
                push_indent(&mut out, *indent);
                out.push_str(text);
                out.push('\n');
            }
        }
    }
    out
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n("  ", indent));
}
