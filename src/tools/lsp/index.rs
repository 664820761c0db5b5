//! Where each name of a policy set is defined and read, from the tokens
//! of every file (so a file that does not parse is still indexed).

use super::analysis::Analysis;
use super::lex::{Kind, Token};

/// A named thing of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Symbol {
    /// A field path such as `account.segment`.
    Field(String),
    Decision(String),
    Rule {
        decision: String,
        id: String,
    },
    /// A named condition, `condition NAME = EXPR`.
    Condition(String),
}

/// One place a symbol is written. `start..end` is the whole token; for a
/// field read, `account.segment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub file: usize,
    pub start: usize,
    pub end: usize,
    pub symbol: Symbol,
    pub definition: bool,
}

/// A `decision` item, as written.
#[derive(Debug, Clone)]
pub struct DecisionDef {
    pub id: String,
    pub file: usize,
    /// The `decision` keyword up to the last token of the item.
    pub start: usize,
    pub end: usize,
    pub name_start: usize,
    pub name_end: usize,
    /// `eligibility`, `action`, `classification` or `amount`.
    pub kind: String,
    /// A classification's classes, as listed after the kind.
    pub classes: Vec<String>,
    pub rules: Vec<RuleDef>,
}

/// A `condition NAME = EXPR` item, as written.
#[derive(Debug, Clone)]
pub struct ConditionDef {
    pub name: String,
    pub file: usize,
    /// The `condition` keyword up to the last token of the item.
    pub start: usize,
    pub end: usize,
    pub name_start: usize,
    pub name_end: usize,
    /// The expression after `=` (empty while it is being typed).
    pub expr_start: usize,
}

/// A `deny ID` or `allow ID` rule.
#[derive(Debug, Clone)]
pub struct RuleDef {
    pub id: String,
    pub effect: String,
    /// The effect keyword's start.
    pub start: usize,
    pub name_start: usize,
    pub name_end: usize,
}

/// An `assert` item: its keyword's start and the decision it is about.
#[derive(Debug, Clone)]
pub struct AssertDef {
    pub file: usize,
    pub start: usize,
    pub end: usize,
    pub decision: String,
}

#[derive(Debug, Clone, Default)]
pub struct Index {
    pub occurrences: Vec<Occurrence>,
    pub decisions: Vec<DecisionDef>,
    pub assertions: Vec<AssertDef>,
    pub conditions: Vec<ConditionDef>,
    /// `(file, start, end)` of each `schema { }` block.
    pub schema_blocks: Vec<(usize, usize, usize)>,
}

const ITEM_KEYWORDS: &[&str] = &["decision", "schema", "assert", "condition", "gap"];

impl Index {
    pub fn build(a: &Analysis) -> Index {
        let mut index = Index::default();
        for (file, f) in a.files.iter().enumerate() {
            index.items(file, a.text(file), &f.tokens);
        }
        // Hashed, as every name of every file is looked up.
        let decisions: std::collections::HashSet<&str> =
            index.decisions.iter().map(|d| d.id.as_str()).collect();
        let conditions: std::collections::HashSet<&str> =
            index.conditions.iter().map(|c| c.name.as_str()).collect();
        let fields: std::collections::HashSet<&str> =
            a.schema.iter().flat_map(|s| s.paths()).collect();
        if let Some(schema) = &a.schema {
            for field in &schema.fields {
                let last = field.path.rsplit('.').next().unwrap_or("").len();
                index.occurrences.push(Occurrence {
                    file: field.span.file.0 as usize,
                    start: field.span.start,
                    end: field.span.start + last,
                    symbol: Symbol::Field(field.path.clone()),
                    definition: true,
                });
            }
            for entry in &schema.catalog {
                index.occurrences.push(Occurrence {
                    file: entry.span.file.0 as usize,
                    start: entry.span.start,
                    end: entry.span.start + entry.id.len(),
                    symbol: Symbol::Decision(entry.id.clone()),
                    definition: false,
                });
            }
        }
        for (file, f) in a.files.iter().enumerate() {
            let text = a.text(file);
            let mut previous: Option<&Token> = None;
            for t in &f.tokens {
                let after = previous.map(|p| p.text(text));
                previous = Some(t);
                if t.kind != Kind::Path || index.in_schema(file, t.start) {
                    continue;
                }
                let word = t.text(text);
                let symbol = match after {
                    Some("decision" | "deny" | "allow" | "condition") => continue,
                    Some("assert") => Symbol::Decision(word.to_owned()),
                    _ if fields.contains(word) => Symbol::Field(word.to_owned()),
                    _ if decisions.contains(word) => Symbol::Decision(word.to_owned()),
                    _ if conditions.contains(word) => Symbol::Condition(word.to_owned()),
                    _ => continue,
                };
                index.occurrences.push(Occurrence {
                    file,
                    start: t.start,
                    end: t.end,
                    symbol,
                    definition: false,
                });
            }
        }
        index
            .occurrences
            .sort_by_key(|o| (o.file, o.start, std::cmp::Reverse(o.end)));
        index
    }

    /// Decisions, rules, assertions and schema blocks of one file.
    fn items(&mut self, file: usize, text: &str, tokens: &[Token]) {
        let mut depth = 0usize;
        let mut i = 0;
        while let Some(t) = tokens.get(i) {
            let word = t.text(text);
            match t.kind {
                Kind::Punct if word == "{" => depth += 1,
                Kind::Punct if word == "}" => depth = depth.saturating_sub(1),
                Kind::Keyword if depth == 0 && ITEM_KEYWORDS.contains(&word) => {
                    let end = item_end(text, tokens, i);
                    // Comments before the next item are that item's.
                    let last = tokens
                        .get(i..end)
                        .unwrap_or(&[])
                        .iter()
                        .rev()
                        .find(|t| t.kind != Kind::Comment)
                        .map_or(t.end, |t| t.end);
                    let name = tokens.get(i + 1).filter(|n| n.kind == Kind::Path);
                    match (word, name) {
                        ("schema", _) => self.schema_blocks.push((file, t.start, last)),
                        ("assert", Some(n)) => self.assertions.push(AssertDef {
                            file,
                            start: t.start,
                            end: last,
                            decision: n.text(text).to_owned(),
                        }),
                        ("decision", Some(n)) => {
                            let body = tokens.get(i + 2..end).unwrap_or(&[]);
                            self.add_decision(file, text, t.start, last, n, body);
                        }
                        ("condition", Some(n)) => {
                            let body = tokens.get(i + 2..end).unwrap_or(&[]);
                            self.add_condition(file, text, t.start, last, n, body);
                        }
                        _ => {}
                    }
                    i = end.max(i + 1);
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }

    fn add_decision(
        &mut self,
        file: usize,
        text: &str,
        start: usize,
        end: usize,
        name: &Token,
        body: &[Token],
    ) {
        let id = name.text(text).to_owned();
        let kind = body
            .iter()
            .find(|t| t.kind == Kind::Keyword)
            .map_or(String::new(), |t| t.text(text).to_owned());
        let classes = match body.iter().position(|t| t.text(text) == "classification") {
            Some(at) if body.get(at + 1).is_some_and(|t| t.text(text) == "{") => body
                .iter()
                .skip(at + 2)
                .take_while(|t| t.text(text) != "}")
                .filter(|t| t.kind == Kind::Path)
                .map(|t| t.text(text).to_owned())
                .collect(),
            _ => Vec::new(),
        };
        let mut rules = Vec::new();
        for pair in body.windows(2) {
            if let [effect, rule] = pair {
                let e = effect.text(text);
                if (e == "deny" || e == "allow") && rule.kind == Kind::Path {
                    let rule_id = rule.text(text).to_owned();
                    self.occurrences.push(Occurrence {
                        file,
                        start: rule.start,
                        end: rule.end,
                        symbol: Symbol::Rule {
                            decision: id.clone(),
                            id: rule_id.clone(),
                        },
                        definition: true,
                    });
                    rules.push(RuleDef {
                        id: rule_id,
                        effect: e.to_owned(),
                        start: effect.start,
                        name_start: rule.start,
                        name_end: rule.end,
                    });
                }
            }
        }
        self.occurrences.push(Occurrence {
            file,
            start: name.start,
            end: name.end,
            symbol: Symbol::Decision(id.clone()),
            definition: true,
        });
        self.decisions.push(DecisionDef {
            id,
            file,
            start,
            end,
            name_start: name.start,
            name_end: name.end,
            kind,
            classes,
            rules,
        });
    }

    /// A named condition: its definition, and where its expression starts.
    fn add_condition(
        &mut self,
        file: usize,
        text: &str,
        start: usize,
        end: usize,
        name: &Token,
        body: &[Token],
    ) {
        let expr_start = body
            .iter()
            .find(|t| t.text(text) == "=")
            .map_or(name.end, |t| t.end);
        self.occurrences.push(Occurrence {
            file,
            start: name.start,
            end: name.end,
            symbol: Symbol::Condition(name.text(text).to_owned()),
            definition: true,
        });
        self.conditions.push(ConditionDef {
            name: name.text(text).to_owned(),
            file,
            start,
            end,
            name_start: name.start,
            name_end: name.end,
            expr_start: expr_start.min(end),
        });
    }

    pub fn in_schema(&self, file: usize, offset: usize) -> bool {
        self.schema_blocks
            .iter()
            .any(|(f, s, e)| *f == file && *s <= offset && offset <= *e)
    }

    pub fn decision(&self, id: &str) -> Option<&DecisionDef> {
        self.decisions.iter().find(|d| d.id == id)
    }

    pub fn condition(&self, name: &str) -> Option<&ConditionDef> {
        self.conditions.iter().find(|c| c.name == name)
    }

    /// The named condition whose text holds `offset`.
    pub fn condition_at(&self, file: usize, offset: usize) -> Option<&ConditionDef> {
        self.conditions
            .iter()
            .find(|c| c.file == file && c.start <= offset && offset <= c.end)
    }

    /// The decision whose text holds `offset`.
    pub fn decision_at(&self, file: usize, offset: usize) -> Option<&DecisionDef> {
        self.decisions
            .iter()
            .find(|d| d.file == file && d.start <= offset && offset <= d.end)
    }

    /// The symbol written at `offset`, and the occurrence that names it.
    pub fn at(&self, file: usize, offset: usize) -> Option<&Occurrence> {
        // Sorted by file and start: the candidates start at or before `offset`.
        let end = self
            .occurrences
            .partition_point(|o| (o.file, o.start) <= (file, offset));
        self.occurrences
            .get(..end)?
            .iter()
            .rev()
            .take_while(|o| o.file == file)
            .take(4)
            .find(|o| offset <= o.end)
    }
}

/// The index of the first token after the item starting at `start`: the
/// next item keyword outside braces, or the end.
fn item_end(text: &str, tokens: &[Token], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start + 1;
    while let Some(t) = tokens.get(i) {
        let word = t.text(text);
        match t.kind {
            Kind::Punct if word == "{" => depth += 1,
            Kind::Punct if word == "}" => depth = depth.saturating_sub(1),
            Kind::Keyword if depth == 0 && ITEM_KEYWORDS.contains(&word) => return i,
            _ => {}
        }
        i += 1;
    }
    tokens.len()
}
