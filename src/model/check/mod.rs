//! Checks parsed policies against the schema and compiles them to the flat
//! [`ir`](crate::model::ir) in the same pass: resolving a path to a slot is how we
//! know it exists, and typing an expression is how we know what to emit.
//! Every problem is collected; nothing is compiled when any is an error.

mod assertion;
mod expr;

use std::collections::BTreeMap;

use crate::base::hash::PolicyHash;
use crate::base::money::Currency;
use crate::base::source::{Sources, Span};
use crate::base::suggest;
use crate::lang::ast::{self, DecisionItem, DecisionKind, Effect};
use crate::lang::diagnostics::{Diagnostic, codes};
use crate::model::ir::{DecisionIr, Kind, Model, Node, NodeId, Origin, RowIr, RuleIr};
use crate::model::schema::{EnumId, EnumType, Schema, Type};

/// Checks and compiles a policy set: the program when there is no error,
/// and every diagnostic (warnings too) either way.
pub fn check(sources: Sources, files: &[ast::File]) -> (Option<Model>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let schemas: Vec<&ast::Schema> = files
        .iter()
        .flat_map(|f| &f.items)
        .filter_map(|i| match i {
            ast::Item::Schema(s) => Some(s),
            ast::Item::Decision(_) | ast::Item::Assertion(_) => None,
        })
        .collect();
    let schema = match schemas.as_slice() {
        [] => {
            // Without a schema every field is unknown: one error says it all.
            let at = files.iter().flat_map(|f| &f.items).find_map(|i| match i {
                ast::Item::Decision(d) => Some(head(&sources, d.span)),
                _ => None,
            });
            diagnostics.push(
                Diagnostic::error(codes::SCHEMA_COUNT, at.unwrap_or_default(), "the policy set has no schema")
                    .label("this decision has no facts to read")
                    .help("declare the facts policies may read in a `schema { .. }` block, usually policies/schema.credo"),
            );
            return (None, diagnostics);
        }
        [first, rest @ ..] => {
            for extra in rest {
                diagnostics.push(
                    Diagnostic::error(
                        codes::SCHEMA_COUNT,
                        head(&sources, extra.span),
                        "a policy set has one schema",
                    )
                    .label("a second schema")
                    .also(head(&sources, first.span), "the first schema"),
                );
            }
            Schema::build(first, &mut diagnostics)
        }
    };
    let mut checker = Checker {
        schema,
        nodes: Vec::new(),
        args: Vec::new(),
        diagnostics,
        sources: &sources,
    };
    let decisions: Vec<&ast::Decision> = files
        .iter()
        .flat_map(|f| &f.items)
        .filter_map(|i| match i {
            ast::Item::Decision(d) => Some(d),
            ast::Item::Schema(_) | ast::Item::Assertion(_) => None,
        })
        .collect();
    checker.catalog(&decisions);
    let mut compiled = Vec::new();
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for decision in decisions {
        if let Some(first) = seen.get(decision.id.name.as_str()) {
            checker.diagnostics.push(
                Diagnostic::error(
                    codes::DUPLICATE_DECISION,
                    decision.id.span,
                    format!("decision `{}` is defined twice", decision.id.name),
                )
                .label("defined again here")
                .also(*first, "first defined here"),
            );
            // Still check its body, so its own mistakes are reported too.
            checker.decision(decision);
            continue;
        }
        seen.insert(&decision.id.name, decision.id.span);
        compiled.extend(checker.decision(decision));
    }
    let by_id: BTreeMap<&str, &DecisionIr> = compiled.iter().map(|d| (d.id.as_str(), d)).collect();
    let assertions = files
        .iter()
        .flat_map(|f| &f.items)
        .filter_map(|i| match i {
            ast::Item::Assertion(a) => checker.assertion(a, &compiled, &by_id, &seen),
            _ => None,
        })
        .collect();
    let Checker {
        schema,
        nodes,
        args,
        diagnostics,
        ..
    } = checker;
    if diagnostics.iter().any(Diagnostic::is_error) {
        return (None, diagnostics);
    }
    // Catalog order first (DOMAIN.md's order), then the rest in source order.
    let mut rank: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, entry) in schema.catalog.iter().enumerate() {
        rank.entry(entry.id.as_str()).or_insert(i);
    }
    compiled.sort_by_cached_key(|d| rank.get(d.id.as_str()).copied().unwrap_or(usize::MAX));
    let as_of = schema
        .slot("as_of")
        .filter(|s| schema.field(*s).is_some_and(|f| f.ty == Type::Date));
    let policy_hash = PolicyHash::of(
        sources
            .iter()
            .map(|(_, s)| (s.name.as_str(), s.text.as_str())),
    );
    let model = Model {
        schema,
        sources,
        decisions: compiled,
        assertions,
        nodes,
        args,
        as_of,
        policy_hash,
    };
    (Some(model), diagnostics)
}

/// The first word of a block (`first`, `schema`, `otherwise`), so a
/// diagnostic does not underline a whole block.
fn head(sources: &Sources, span: Span) -> Span {
    let len = sources
        .get(span.file)
        .and_then(|s| s.text.get(span.start..span.end))
        .map_or(1, |t| {
            t.find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(t.len())
                .max(1)
        });
    Span::new(span.file, span.start, span.start + len)
}

struct Checker<'s> {
    schema: Schema,
    nodes: Vec<Node>,
    args: Vec<NodeId>,
    diagnostics: Vec<Diagnostic>,
    sources: &'s Sources,
}

impl Checker<'_> {
    fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn origin(&self, span: Span) -> Origin {
        Origin {
            span,
            at: self.sources.locate(span).to_string(),
        }
    }

    /// Every decision the schema's catalog lists must exist, with its kind.
    fn catalog(&mut self, decisions: &[&ast::Decision]) {
        // By id, the first definition of each: one lookup per catalog entry.
        let mut by_id: BTreeMap<&str, &ast::Decision> = BTreeMap::new();
        for d in decisions {
            by_id.entry(d.id.name.as_str()).or_insert(d);
        }
        for entry in self.schema.catalog.clone() {
            match by_id.get(entry.id.as_str()) {
                None => {
                    let defined: Vec<&str> = decisions.iter().map(|d| d.id.name.as_str()).collect();
                    let help = suggest::closest(&entry.id, defined)
                        .map(|s| format!("did you mean `{s}`, defined elsewhere?"));
                    self.error(
                        Diagnostic::error(
                            codes::MISSING_DECISION,
                            entry.span,
                            format!(
                                "decision `{}` is required by the schema but no policy defines it",
                                entry.id
                            ),
                        )
                        .label("required here")
                        .help(help.unwrap_or_else(|| {
                            format!(
                                "add `decision {}: {} {{ .. }}` to a policy file",
                                entry.id,
                                entry.kind.as_str()
                            )
                        })),
                    );
                }
                Some(d) if d.kind.name() != entry.kind => self.error(
                    Diagnostic::error(
                        codes::KIND_MISMATCH,
                        d.id.span,
                        format!(
                            "decision `{}` is {} but the schema requires {}",
                            entry.id,
                            d.kind.name().as_str(),
                            entry.kind.as_str()
                        ),
                    )
                    .label("defined with another kind")
                    .also(entry.span, "required here"),
                ),
                Some(_) => {}
            }
        }
    }

    fn decision(&mut self, decision: &ast::Decision) -> Option<DecisionIr> {
        let errors_before = self.diagnostics.iter().filter(|d| d.is_error()).count();
        let kind = match &decision.kind {
            DecisionKind::Eligibility => Kind::Eligibility,
            DecisionKind::Action => Kind::Action,
            DecisionKind::Classification(members) => {
                Kind::Classification(self.classification(members))
            }
            DecisionKind::Amount(code) => match Currency::from_code(&code.name) {
                Some(c) => Kind::Amount(c),
                None => {
                    self.error(crate::lang::diagnostics::unknown_currency(
                        &code.name, code.span,
                    ));
                    return None;
                }
            },
        };
        let mut ir = DecisionIr {
            id: decision.id.name.clone(),
            kind: kind.clone(),
            applies: None,
            notes: Vec::new(),
            denies: Vec::new(),
            allows: Vec::new(),
            rows: Vec::new(),
            origin: self.origin(decision.id.span),
        };
        let mut rule_ids: BTreeMap<&str, Span> = BTreeMap::new();
        let mut tables = 0;
        for item in &decision.items {
            match item {
                DecisionItem::Applies(condition) => {
                    if kind != Kind::Action {
                        self.misplaced(
                            condition.span,
                            "`applies when`",
                            &kind,
                            "only an action applies to some requests and not others",
                        );
                    } else if ir.applies.is_some() {
                        self.misplaced(
                            condition.span,
                            "a second `applies when`",
                            &kind,
                            "combine the conditions with `and`",
                        );
                    } else {
                        ir.applies = self.condition(condition);
                    }
                }
                DecisionItem::Note(text) => ir.notes.push(text.value.clone()),
                DecisionItem::Rule(rule) => {
                    if let Some(first) = rule_ids.get(rule.id.name.as_str()) {
                        self.error(
                            Diagnostic::error(
                                codes::DUPLICATE_RULE,
                                rule.id.span,
                                format!(
                                    "rule `{}` is defined twice in decision `{}`",
                                    rule.id.name, decision.id.name
                                ),
                            )
                            .label("defined again here")
                            .also(*first, "first defined here"),
                        );
                    }
                    rule_ids.insert(&rule.id.name, rule.id.span);
                    self.rule(rule, &kind, &mut ir);
                }
                DecisionItem::Table(table) => {
                    tables += 1;
                    match (&kind, tables) {
                        (Kind::Eligibility | Kind::Action, _) => self.misplaced(
                            head(self.sources, table.span),
                            "a table",
                            &kind,
                            "write `allow` and `deny` rules",
                        ),
                        (_, 1) => self.table(table, &kind, &mut ir),
                        _ => self.misplaced(
                            head(self.sources, table.span),
                            "a second table",
                            &kind,
                            "merge the rows into one table",
                        ),
                    }
                }
            }
        }
        if tables == 0 && matches!(kind, Kind::Classification(_) | Kind::Amount(_)) {
            self.error(
                Diagnostic::error(
                    codes::MISSING_TABLE,
                    decision.id.span,
                    format!(
                        "{} `{}` has no `first {{ .. }}` table",
                        kind.name().as_str(),
                        decision.id.name
                    ),
                )
                .label("gives no answer")
                .help("add `first { when CONDITION => VALUE because \"..\" otherwise => VALUE }`"),
            );
        }
        let errors_after = self.diagnostics.iter().filter(|d| d.is_error()).count();
        (errors_after == errors_before).then_some(ir)
    }

    fn misplaced(&mut self, span: Span, what: &str, kind: &Kind, help: &str) {
        self.error(
            Diagnostic::error(
                codes::MISPLACED_ITEM,
                span,
                format!(
                    "{what} does not belong in an {} decision",
                    kind.name().as_str()
                )
                .replace("an classification", "a classification"),
            )
            .label("not allowed here")
            .help(help),
        );
    }

    /// Registers a classification's members as an enum of their own.
    fn classification(&mut self, members: &[ast::Ident]) -> EnumId {
        let names = crate::model::schema::member_names(members, &mut self.diagnostics);
        self.schema.enums.push(EnumType { members: names });
        EnumId(self.schema.enums.len() as u32 - 1)
    }

    fn rule(&mut self, rule: &ast::Rule, kind: &Kind, ir: &mut DecisionIr) {
        if rule.effect == Effect::Allow && !matches!(kind, Kind::Eligibility | Kind::Action) {
            self.misplaced(
                rule.span,
                "an `allow` rule",
                kind,
                "an amount or classification answers with its table; `deny` rules may gate it",
            );
            return;
        }
        if matches!(kind, Kind::Classification(_)) {
            self.misplaced(
                rule.span,
                "a `deny` rule",
                kind,
                "a classification answers with its table alone",
            );
            return;
        }
        let condition = match &rule.guard {
            None => None,
            Some(guard) => {
                let Some(node) = self.condition(&guard.condition) else {
                    return;
                };
                Some(if guard.unless {
                    self.push(Node::Not(node))
                } else {
                    node
                })
            }
        };
        let compiled = RuleIr {
            id: rule.id.name.clone(),
            condition,
            unless: rule.guard.as_ref().is_some_and(|g| g.unless),
            message: rule.because.value.clone(),
            origin: self.origin(rule.span),
        };
        match rule.effect {
            Effect::Allow => ir.allows.push(compiled),
            Effect::Deny => ir.denies.push(compiled),
        }
    }

    fn table(&mut self, table: &ast::Table, kind: &Kind, ir: &mut DecisionIr) {
        let value_type = match kind {
            Kind::Classification(id) => Type::Enum(*id),
            Kind::Amount(currency) => Type::Money(*currency),
            Kind::Eligibility | Kind::Action => return,
        };
        let mut otherwise: Option<Span> = None;
        for (i, row) in table.rows.iter().enumerate() {
            if let Some(at) = otherwise {
                self.error(
                    Diagnostic::error(
                        codes::UNREACHABLE_ROW,
                        head(self.sources, row.span),
                        "this row comes after `otherwise` and can never be chosen",
                    )
                    .label("unreachable")
                    .also(
                        head(self.sources, at),
                        "`otherwise` already matches everything",
                    ),
                );
                continue;
            }
            let condition = match &row.condition {
                None => {
                    otherwise = Some(row.span);
                    None
                }
                Some(c) => match self.condition(c) {
                    Some(node) => Some(node),
                    None => continue,
                },
            };
            let Some(value) = self.typed(&row.value, value_type) else {
                continue;
            };
            let message = match (&row.because, &row.condition) {
                (Some(text), _) => text.value.clone(),
                (None, Some(c)) => c.to_string(),
                (None, None) => "no earlier row matched".to_owned(),
            };
            ir.rows.push(RowIr {
                label: if row.condition.is_some() {
                    format!("row {}", i + 1)
                } else {
                    "otherwise".to_owned()
                },
                condition,
                value,
                message,
                origin: self.origin(row.span),
            });
        }
        if otherwise.is_none() {
            self.error(
                Diagnostic::error(
                    codes::MISSING_OTHERWISE,
                    head(self.sources, table.span),
                    "table has no `otherwise` row",
                )
                .label("some facts may match no row")
                .help("end the table with `otherwise => VALUE because \"..\"`"),
            );
        }
    }
}
