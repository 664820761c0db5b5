//! Checks parsed policies against the schema and compiles them to the flat
//! [`ir`](crate::model::ir) in the same pass: resolving a path to a slot is how we
//! know it exists, and typing an expression is how we know what to emit.
//! Every problem is collected; nothing is compiled when any is an error.

mod assertion;
mod expr;
mod names;
mod rates;
mod reach;
mod windows;

use std::collections::BTreeMap;

use crate::base::hash::PolicyHash;
use crate::base::money::Currency;
use crate::base::source::{Sources, Span};
use crate::base::suggest;
use crate::lang::ast::{self, DecisionItem, DecisionKind, Effect};
use crate::lang::diagnostics::{Diagnostic, codes};
use crate::model::ir::{
    ConditionIr, DecisionIr, Kind, Model, Node, NodeId, Origin, Period, RowIr, RuleIr,
};
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
            ast::Item::Decision(_)
            | ast::Item::Assertion(_)
            | ast::Item::Condition(_)
            | ast::Item::Gap(_) => None,
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
        names: names::Names::default(),
        conditions: Vec::new(),
        rounding: rates::Context::None,
    };
    let decisions: Vec<&ast::Decision> = files
        .iter()
        .flat_map(|f| &f.items)
        .filter_map(|i| match i {
            ast::Item::Decision(d) => Some(d),
            _ => None,
        })
        .collect();
    checker.catalog(&decisions);
    // Every decision's kind first, so that any decision can use any other.
    for decision in &decisions {
        if checker.names.decisions.contains_key(&decision.id.name) {
            continue;
        }
        // A bare name reads a fact first: a decision of a fact's name could
        // never be used by name, and every use would silently read the fact.
        if checker.schema.slot(&decision.id.name).is_some() {
            checker.diagnostics.push(
                Diagnostic::error(
                    codes::NAME_CLASH,
                    decision.id.span,
                    format!("`{}` is already a fact of the schema", decision.id.name),
                )
                .label("this name is taken")
                .help("a bare name reads the fact, never the decision: choose another name for the decision"),
            );
        }
        let index = checker.names.decision_ids.len() as u32;
        let kind = checker.kind(decision);
        checker.names.decision_ids.push(decision.id.name.clone());
        checker
            .names
            .decisions
            .insert(decision.id.name.clone(), (index, kind));
    }
    checker.declare_conditions(files, &decisions);
    let mut versions = Vec::new();
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    let mut first_of: BTreeMap<&str, &ast::Decision> = BTreeMap::new();
    for decision in decisions {
        if let Some(first) = first_of.get(decision.id.name.as_str()).copied() {
            // Another version: both dated, of the same kind.
            let dated = first.window.is_some() && decision.window.is_some();
            if !dated || first.kind != decision.kind {
                let message = if dated {
                    format!("versions of decision `{}` differ in kind", decision.id.name)
                } else {
                    format!("decision `{}` is defined twice", decision.id.name)
                };
                let help = if dated {
                    "every version of a decision has the same kind; give the other a name of its own"
                } else {
                    "to write versions in force on different days, give each an `effective` window"
                };
                checker.diagnostics.push(
                    Diagnostic::error(codes::DUPLICATE_DECISION, decision.id.span, message)
                        .label("defined again here")
                        .also(first.id.span, "first defined here")
                        .help(help),
                );
                // Still check its body, so its own mistakes are reported too.
                let kind = checker.kind(decision);
                checker.decision(decision, kind);
                continue;
            }
        } else {
            seen.insert(&decision.id.name, decision.id.span);
            first_of.insert(&decision.id.name, decision);
        }
        let (index, kind) = checker
            .names
            .decisions
            .get(&decision.id.name)
            .cloned()
            .unwrap_or((u32::MAX, None));
        checker.names.users.push(names::User::Decision(index));
        let compiled = checker.decision(decision, kind);
        checker.names.users.pop();
        versions.push(windows::Version { decision, compiled });
    }
    let gaps: Vec<&ast::Gap> = files
        .iter()
        .flat_map(|f| &f.items)
        .filter_map(|i| match i {
            ast::Item::Gap(g) => Some(g),
            _ => None,
        })
        .collect();
    let mut compiled = checker.merge_versions(versions, &gaps);
    let by_id: BTreeMap<&str, &DecisionIr> = compiled.iter().map(|d| (d.id.as_str(), d)).collect();
    let assertions = files
        .iter()
        .flat_map(|f| &f.items)
        .filter_map(|i| match i {
            ast::Item::Assertion(a) => checker.assertion(a, &compiled, &by_id, &seen),
            _ => None,
        })
        .collect();
    checker.unused_conditions();
    checker.decision_cycles();
    checker.decision_depth();
    checker.written_out(&compiled);
    checker.used_without_version(&compiled);
    let decision_ids = std::mem::take(&mut checker.names.decision_ids);
    let Checker {
        schema,
        mut nodes,
        args,
        diagnostics,
        conditions,
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
    // Uses of decisions were written by source order; the program is in catalog order.
    let position: BTreeMap<&str, u32> = (0..)
        .zip(&compiled)
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    for node in &mut nodes {
        if let Node::Decision(index) = node {
            let id = decision_ids.get(*index as usize).map(String::as_str);
            *index = id
                .and_then(|id| position.get(id))
                .copied()
                .unwrap_or(u32::MAX);
        }
    }
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
        conditions,
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
    names: names::Names<'s>,
    conditions: Vec<ConditionIr>,
    /// How money times a rate is rounded where it is being checked.
    rounding: rates::Context,
}

impl<'s> Checker<'s> {
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

    /// A decision's kind, its classification's members registered as an enum;
    /// `None` when the kind has an error, which is reported.
    fn kind(&mut self, decision: &ast::Decision) -> Option<Kind> {
        Some(match &decision.kind {
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
        })
    }

    /// Named conditions: each name once, and none that a bare name already means.
    fn declare_conditions(&mut self, files: &'s [ast::File], decisions: &[&ast::Decision]) {
        let mut members: std::collections::BTreeSet<&str> = self
            .schema
            .enums
            .iter()
            .flat_map(|e| e.members.iter().map(String::as_str))
            .collect();
        for d in decisions {
            if let DecisionKind::Classification(list) = &d.kind {
                members.extend(list.iter().map(|m| m.name.as_str()));
            }
        }
        let mut clashes = Vec::new();
        for named in files.iter().flat_map(|f| &f.items).filter_map(|i| match i {
            ast::Item::Condition(c) => Some(c),
            _ => None,
        }) {
            let first = self
                .names
                .declared
                .iter()
                .find(|d| d.name.name == named.name.name);
            if let Some(first) = first
                && first.window.is_some()
                && named.window.is_some()
            {
                self.names
                    .later_versions
                    .entry(named.name.name.clone())
                    .or_default()
                    .push(named);
                continue;
            }
            if let Some(first) = first {
                clashes.push(
                    Diagnostic::error(
                        codes::NAME_CLASH,
                        named.name.span,
                        format!("condition `{}` is defined twice", named.name.name),
                    )
                    .label("defined again here")
                    .also(first.name.span, "first defined here"),
                );
                continue;
            }
            if let Some(message) = names::clash(self, named, &members) {
                clashes.push(
                    Diagnostic::error(codes::NAME_CLASH, named.name.span, message)
                        .label("this name is taken")
                        .help("choose another name for the condition"),
                );
                continue;
            }
            self.names.declared.push(named);
            self.names
                .named
                .insert(named.name.name.clone(), names::Named::Unchecked(named));
        }
        self.diagnostics.extend(clashes);
    }

    fn decision(&mut self, decision: &ast::Decision, kind: Option<Kind>) -> Option<DecisionIr> {
        let errors_before = self.diagnostics.iter().filter(|d| d.is_error()).count();
        let kind = kind?;
        let mut ir = DecisionIr {
            id: decision.id.name.clone(),
            kind: kind.clone(),
            applies: None,
            notes: Vec::new(),
            denies: Vec::new(),
            allows: Vec::new(),
            rows: Vec::new(),
            origin: self.origin(decision.id.span),
            versions: Vec::new(),
        };
        let mut rule_ids: BTreeMap<&str, &ast::Rule> = BTreeMap::new();
        let mut rule_versions: BTreeMap<&str, Vec<(crate::model::ir::Period, Span)>> =
            BTreeMap::new();
        let mut tables = 0;
        let outer = self.rounding;
        self.rounding = self.decision_rounding(decision, &kind);
        for item in &decision.items {
            match item {
                DecisionItem::Rounding(..) => {}
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
                    let first = rule_ids.get(rule.id.name.as_str()).copied();
                    let versioned = first.is_none_or(|f| {
                        f.window.is_some() && rule.window.is_some() && f.effect == rule.effect
                    });
                    // A versioned rule's window is read here, once: `rule`
                    // is given what it came to.
                    let read = match (&rule.window, versioned) {
                        (Some(window), true) => Some(self.period(window)),
                        _ => None,
                    };
                    if let (Some(window), Some(Some(period))) = (&rule.window, read) {
                        rule_versions
                            .entry(&rule.id.name)
                            .or_default()
                            .push((period, window.span));
                    }
                    if let Some(first) = first.filter(|_| !versioned) {
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
                            .also(first.id.span, "first defined here")
                            .help("to write versions in force on different days, give each an `effective` window"),
                        );
                    }
                    rule_ids.entry(&rule.id.name).or_insert(rule);
                    self.rule(rule, read, &kind, &mut ir);
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
        self.rounding = outer;
        for (id, periods) in rule_versions {
            if periods.len() > 1 {
                self.disjoint(&format!("rule `{id}`"), periods);
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

    /// One rule; `read` is its window's period when the caller read it
    /// already (`None` inside when the window is never in force).
    fn rule(
        &mut self,
        rule: &ast::Rule,
        read: Option<Option<Period>>,
        kind: &Kind,
        ir: &mut DecisionIr,
    ) {
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
        let (window, test) = match &rule.window {
            None => (None, None),
            Some(w) => {
                let Some(period) = read.unwrap_or_else(|| self.period(w)) else {
                    return;
                };
                (Some(period), self.in_force(period, w.span))
            }
        };
        let compiled = RuleIr {
            id: rule.id.name.clone(),
            condition: self.gated(test, condition),
            written: condition,
            window,
            unless: rule.guard.as_ref().is_some_and(|g| g.unless),
            message: rule.because.value.clone(),
            parts: self.message_parts(&rule.because),
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
            let (window, test) = match (&row.window, &row.condition) {
                (None, _) => (None, None),
                (Some(w), None) => {
                    self.error(
                        Diagnostic::error(
                            codes::BAD_WINDOW,
                            w.span,
                            "the `otherwise` row cannot have an effective window",
                        )
                        .label("some day would match no row")
                        .help("date the rows above it, or write a version of the whole decision for each window"),
                    );
                    continue;
                }
                (Some(w), Some(_)) => {
                    let Some(period) = self.period(w) else {
                        continue;
                    };
                    (Some(period), self.in_force(period, w.span))
                }
            };
            let parts = row.because.as_ref().and_then(|b| self.message_parts(b));
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
                condition: self.gated(test, condition),
                written: condition,
                window,
                value,
                message,
                parts,
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
