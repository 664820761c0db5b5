//! Checks parsed policies against the schema and compiles them to the flat
//! [`ir`](crate::ir) in the same pass: resolving a path to a slot is how we
//! know it exists, and typing an expression is how we know what to emit.
//! Every problem is collected; nothing is compiled when any is an error.

use std::collections::BTreeMap;

use crate::ast::{self, ArithOp, CompareOp, DecisionItem, DecisionKind, Effect, Expr, ExprKind};
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{
    Args, AssertionIr, ClaimIr, DecisionIr, Kind, Node, NodeId, Origin, Program, RowIr, RuleIr,
    Value,
};
use crate::money::Currency;
use crate::schema::{EnumId, EnumType, Schema, Type};
use crate::source::{Sources, Span};
use crate::suggest;

/// Checks and compiles a policy set: the program when there is no error,
/// and every diagnostic (warnings too) either way.
pub fn check(sources: Sources, files: &[ast::File]) -> (Option<Program>, Vec<Diagnostic>) {
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
    let mut program = Program {
        schema,
        sources,
        decisions: compiled,
        assertions,
        nodes,
        args,
        as_of,
        hot: Default::default(),
    };
    program.hot = crate::hot::Code::compile(&program);
    (Some(program), diagnostics)
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
                    self.error(crate::diagnostics::unknown_currency(&code.name, code.span));
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

    fn assertion(
        &mut self,
        assertion: &ast::Assertion,
        decisions: &[DecisionIr],
        by_id: &BTreeMap<&str, &DecisionIr>,
        defined: &BTreeMap<&str, Span>,
    ) -> Option<AssertionIr> {
        let Some(decision) = by_id.get(assertion.decision.name.as_str()).copied() else {
            if defined.contains_key(assertion.decision.name.as_str()) {
                // Defined but broken: its own errors are already reported.
                return None;
            }
            let ids: Vec<&str> = decisions.iter().map(|d| d.id.as_str()).collect();
            let help = suggest::closest(&assertion.decision.name, ids)
                .map(|s| format!("did you mean `{s}`?"));
            self.error(
                Diagnostic::error(
                    codes::BAD_ASSERTION,
                    assertion.decision.span,
                    format!("no decision `{}` to assert about", assertion.decision.name),
                )
                .label("not defined")
                .help_opt(help),
            );
            return None;
        };
        let kind = decision.kind.clone();
        let claim = match &assertion.claim {
            ast::Claim::Outcome(word) => {
                let mut outcomes: Vec<String> = match &kind {
                    Kind::Eligibility => vec!["eligible".into(), "not_eligible".into()],
                    Kind::Action => vec!["permit".into(), "deny".into(), "not_applicable".into()],
                    Kind::Classification(id) => self
                        .schema
                        .enum_type(*id)
                        .map(|e| e.members.clone())
                        .unwrap_or_default(),
                    Kind::Amount(_) => {
                        self.error(
                            Diagnostic::error(
                                codes::BAD_ASSERTION,
                                word.span,
                                format!("`{}` is an amount", decision.id),
                            )
                            .label("an amount has no named outcome")
                            .help(format!("compare it: `assert {} == 0 USD`", decision.id)),
                        );
                        return None;
                    }
                };
                outcomes.push("undetermined".into());
                if !outcomes.contains(&word.name) {
                    let help = suggest::closest(&word.name, outcomes.iter().map(String::as_str))
                        .map_or_else(
                            || format!("the outcomes are {}", outcomes.join(", ")),
                            |s| format!("did you mean `{s}`?"),
                        );
                    self.error(
                        Diagnostic::error(
                            codes::UNKNOWN_MEMBER,
                            word.span,
                            format!("`{}` is not an outcome of `{}`", word.name, decision.id),
                        )
                        .label("no such outcome")
                        .help(help),
                    );
                    return None;
                }
                ClaimIr::Outcome(word.name.clone())
            }
            ast::Claim::Monotone(path) => {
                let slot = match &path.kind {
                    ExprKind::Path(parts) => self.schema.slot(
                        &parts
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join("."),
                    ),
                    _ => None,
                };
                let numeric = slot
                    .and_then(|s| self.schema.field(s))
                    .is_some_and(|f| matches!(f.ty, Type::Int | Type::Money(_)));
                match (slot, numeric, &kind) {
                    (Some(slot), true, Kind::Amount(_)) => ClaimIr::Monotone(slot),
                    (_, _, Kind::Amount(_)) => {
                        self.error(
                            Diagnostic::error(
                                codes::BAD_ASSERTION,
                                path.span,
                                format!("`{path}` is not an integer or money fact"),
                            )
                            .label("cannot be raised")
                            .help("monotonicity is claimed in an integer or money fact"),
                        );
                        return None;
                    }
                    _ => {
                        self.error(
                            Diagnostic::error(
                                codes::BAD_ASSERTION,
                                assertion.decision.span,
                                format!("`{}` is not an amount", decision.id),
                            )
                            .label("only amounts can be monotone")
                            .help(format!("claim an outcome: `assert {} is ..`", decision.id)),
                        );
                        return None;
                    }
                }
            }
            ast::Claim::Equals(value) => {
                let Kind::Amount(currency) = kind else {
                    self.error(
                        Diagnostic::error(
                            codes::BAD_ASSERTION,
                            value.span,
                            format!("`{}` is not an amount", decision.id),
                        )
                        .label("only an amount equals a value")
                        .help(format!("claim an outcome: `assert {} is ..`", decision.id)),
                    );
                    return None;
                };
                ClaimIr::Equals(self.typed(value, Type::Money(currency))?)
            }
        };
        let condition = match &assertion.condition {
            Some(c) => Some(self.condition(c)?),
            None => None,
        };
        let text = self
            .sources
            .get(assertion.span.file)
            .and_then(|s| s.text.get(assertion.span.start..assertion.span.end))
            .unwrap_or("")
            .to_owned();
        Some(AssertionIr {
            decision: decision.id.clone(),
            claim,
            condition,
            text,
            origin: self.origin(assertion.span),
        })
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
        let names = crate::schema::member_names(members, &mut self.diagnostics);
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

    /// An expression that must be a condition.
    fn condition(&mut self, expr: &Expr) -> Option<NodeId> {
        self.typed(expr, Type::Bool)
    }

    /// An expression that must have type `expected`.
    fn typed(&mut self, expr: &Expr, expected: Type) -> Option<NodeId> {
        let (node, ty) = self.expr(expr, Some(expected))?;
        if ty == expected {
            return Some(node);
        }
        self.mismatch(expr, expected, ty);
        None
    }

    fn mismatch(&mut self, expr: &Expr, expected: Type, found: Type) {
        let (code, help) = match (expected, found, &expr.kind) {
            (Type::Money(a), Type::Money(b), _) => (
                codes::CURRENCY_MISMATCH,
                Some(format!(
                    "write the amount in {a}; credo never converts {b} to {a}"
                )),
            ),
            (Type::Money(c), Type::Int, ExprKind::Int(n)) => (
                codes::TYPE_MISMATCH,
                Some(format!("money needs a currency, such as `{n} {c}`")),
            ),
            (Type::Bool, _, _) => (
                codes::TYPE_MISMATCH,
                Some("a condition compares values, such as `account.status == active`".to_owned()),
            ),
            _ => (codes::TYPE_MISMATCH, None),
        };
        let message = format!(
            "expected {}, found {}",
            self.schema.describe(expected),
            self.schema.describe(found)
        );
        self.error(
            Diagnostic::error(code, expr.span, message)
                .label(format!("this is {}", self.schema.describe(found)))
                .help_opt(help),
        );
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        NodeId(self.nodes.len() as u32 - 1)
    }

    fn push_args(&mut self, nodes: Vec<NodeId>) -> Args {
        let start = self.args.len() as u32;
        let len = nodes.len() as u32;
        self.args.extend(nodes);
        Args { start, len }
    }

    /// A bare name that is not a fact: an enum member, typed by its context.
    fn bare_member<'e>(&self, expr: &'e Expr) -> Option<&'e ast::Ident> {
        match &expr.kind {
            ExprKind::Path(parts) if parts.len() == 1 => parts
                .first()
                .filter(|p| self.schema.slot(&p.name).is_none()),
            _ => None,
        }
    }

    /// Types two operands that must agree, typing a bare member by the other side.
    fn pair(&mut self, a: &Expr, b: &Expr) -> Option<(NodeId, NodeId, Type)> {
        if self.bare_member(a).is_some() && self.bare_member(b).is_none() {
            let (nb, tb) = self.expr(b, None)?;
            let na = self.typed(a, tb)?;
            return Some((na, nb, tb));
        }
        let (na, ta) = self.expr(a, None)?;
        let (nb, tb) = self.expr(b, Some(ta))?;
        if tb != ta {
            self.compare_mismatch(a, ta, b, tb);
            return None;
        }
        Some((na, nb, ta))
    }

    /// Two sides of a comparison that cannot be compared.
    fn compare_mismatch(&mut self, a: &Expr, ta: Type, b: &Expr, tb: Type) {
        let code = match (ta, tb) {
            (Type::Money(_), Type::Money(_)) => codes::CURRENCY_MISMATCH,
            _ => codes::TYPE_MISMATCH,
        };
        let help = match (ta, tb, &b.kind) {
            (Type::Money(c), Type::Int, ExprKind::Int(n)) => {
                Some(format!("money needs a currency, such as `{n} {c}`"))
            }
            (Type::Money(x), Type::Money(y), _) => Some(format!(
                "credo never converts {y} to {x}; write the amount in {x}"
            )),
            (Type::Text, Type::Int, ExprKind::Int(n)) => {
                Some(format!("text is written in quotes: `\"{n}\"`"))
            }
            _ => None,
        };
        let (da, db) = (self.schema.describe(ta), self.schema.describe(tb));
        self.error(
            Diagnostic::error(code, b.span, format!("cannot compare {da} with {db}"))
                .label(format!("this is {db}"))
                .also(a.span, format!("this is {da}"))
                .help_opt(help),
        );
    }

    fn expr(&mut self, expr: &Expr, expected: Option<Type>) -> Option<(NodeId, Type)> {
        match &expr.kind {
            ExprKind::Path(parts) => self.path(expr, parts, expected),
            ExprKind::Int(n) => Some((self.push(Node::Const(Value::Int(*n))), Type::Int)),
            ExprKind::Money(m) => Some((
                self.push(Node::Const(Value::Money(*m))),
                Type::Money(m.currency),
            )),
            ExprKind::Date(d) => Some((self.push(Node::Const(Value::Date(*d))), Type::Date)),
            ExprKind::Bool(b) => Some((self.push(Node::Const(Value::Bool(*b))), Type::Bool)),
            ExprKind::Text(t) => Some((
                self.push(Node::Const(Value::Text(t.as_str().into()))),
                Type::Text,
            )),
            ExprKind::Not(inner) => {
                let node = self.condition(inner)?;
                Some((self.push(Node::Not(node)), Type::Bool))
            }
            ExprKind::And(items) | ExprKind::Or(items) => {
                let nodes: Vec<Option<NodeId>> = items.iter().map(|i| self.condition(i)).collect();
                let nodes: Vec<NodeId> = nodes.into_iter().collect::<Option<_>>()?;
                let args = self.push_args(nodes);
                let node = if matches!(expr.kind, ExprKind::And(_)) {
                    Node::And(args)
                } else {
                    Node::Or(args)
                };
                Some((self.push(node), Type::Bool))
            }
            ExprKind::Compare(op, a, b) => {
                let (na, nb, ty) = self.pair(a, b)?;
                if !matches!(op, CompareOp::Eq | CompareOp::Ne) && !ordered(ty) {
                    self.error(
                        Diagnostic::error(codes::TYPE_MISMATCH, expr.span, format!("`{}` needs ordered values, found {}", op.as_str(), self.schema.describe(ty)))
                            .label("cannot be ordered")
                            .help("only integers, money and dates are ordered; compare others with `==`, `!=` or `in`"),
                    );
                    return None;
                }
                Some((self.push(Node::Compare(*op, na, nb)), Type::Bool))
            }
            ExprKind::In {
                value,
                set,
                negated,
            } => {
                let typed_first = set.iter().find(|e| self.bare_member(e).is_none());
                let (nv, ty) = match (self.bare_member(value), typed_first) {
                    (Some(_), Some(first)) => {
                        let (_, ty) = self.expr(first, None)?;
                        (self.typed(value, ty)?, ty)
                    }
                    _ => self.expr(value, None)?,
                };
                let nodes: Vec<Option<NodeId>> = set.iter().map(|e| self.typed(e, ty)).collect();
                let nodes: Vec<NodeId> = nodes.into_iter().collect::<Option<_>>()?;
                let set = self.push_args(nodes);
                Some((
                    self.push(Node::In {
                        value: nv,
                        set,
                        negated: *negated,
                    }),
                    Type::Bool,
                ))
            }
            ExprKind::InRange {
                value,
                low,
                high,
                negated,
            } => {
                let (nv, ty) = self.expr(value, None)?;
                if !ordered(ty) {
                    self.error(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            value.span,
                            format!(
                                "a range needs ordered values, found {}",
                                self.schema.describe(ty)
                            ),
                        )
                        .label("cannot be ordered")
                        .help("ranges work on integers, money and dates"),
                    );
                    return None;
                }
                let nl = self.typed(low, ty)?;
                let nh = self.typed(high, ty)?;
                Some((
                    self.push(Node::InRange {
                        value: nv,
                        low: nl,
                        high: nh,
                        negated: *negated,
                    }),
                    Type::Bool,
                ))
            }
            ExprKind::Arith(op, a, b) => self.arith(expr, *op, a, b, expected),
            ExprKind::Call(func, args) => {
                let mut nodes = Vec::new();
                let mut ty = expected.filter(|t| matches!(t, Type::Int | Type::Money(_)));
                for arg in args {
                    let node = match ty {
                        Some(t) => self.typed(arg, t)?,
                        None => {
                            let (n, t) = self.expr(arg, None)?;
                            ty = Some(t);
                            n
                        }
                    };
                    nodes.push(node);
                }
                let ty = ty?;
                if !matches!(ty, Type::Int | Type::Money(_)) {
                    self.error(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            expr.span,
                            format!(
                                "`{}` needs integers or money, found {}",
                                func.as_str(),
                                self.schema.describe(ty)
                            ),
                        )
                        .label("not a number"),
                    );
                    return None;
                }
                let args = self.push_args(nodes);
                Some((self.push(Node::Call(*func, args)), ty))
            }
        }
    }

    fn arith(
        &mut self,
        expr: &Expr,
        op: ArithOp,
        a: &Expr,
        b: &Expr,
        expected: Option<Type>,
    ) -> Option<(NodeId, Type)> {
        let (na, ta) = self.expr(a, expected.filter(|_| op != ArithOp::Mul))?;
        let (nb, tb) = self.expr(b, None)?;
        let ty = match (op, ta, tb) {
            (ArithOp::Add | ArithOp::Sub, Type::Int, Type::Int) => Type::Int,
            (ArithOp::Add | ArithOp::Sub, Type::Money(x), Type::Money(y)) if x == y => {
                Type::Money(x)
            }
            (ArithOp::Mul, Type::Int, Type::Int) => Type::Int,
            (ArithOp::Mul, Type::Money(c), Type::Int)
            | (ArithOp::Mul, Type::Int, Type::Money(c)) => Type::Money(c),
            (_, Type::Money(x), Type::Money(y)) if x != y => {
                self.error(
                    Diagnostic::error(
                        codes::CURRENCY_MISMATCH,
                        expr.span,
                        format!("cannot combine {x} with {y}"),
                    )
                    .label("two currencies")
                    .help("credo never converts currencies; write both amounts in one"),
                );
                return None;
            }
            _ => {
                let help = match op {
                    ArithOp::Mul => "money can be multiplied by an integer, not by money",
                    _ => {
                        "add or subtract integers with integers, or money with money of the same currency"
                    }
                };
                self.error(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        expr.span,
                        format!(
                            "cannot apply `{}` to {} and {}",
                            op.as_str(),
                            self.schema.describe(ta),
                            self.schema.describe(tb)
                        ),
                    )
                    .label("unsupported operands")
                    .help(help),
                );
                return None;
            }
        };
        Some((self.push(Node::Arith(op, na, nb)), ty))
    }

    fn path(
        &mut self,
        expr: &Expr,
        parts: &[ast::Ident],
        expected: Option<Type>,
    ) -> Option<(NodeId, Type)> {
        let path = parts
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(".");
        if let Some(slot) = self.schema.slot(&path) {
            let ty = self.schema.field(slot)?.ty;
            return Some((self.push(Node::Fact(slot)), ty));
        }
        if let (Some(Type::Enum(id)), [member]) = (expected, parts) {
            let members = self.schema.enum_type(id)?.members.clone();
            if let Some(index) = members.iter().position(|m| *m == member.name) {
                return Some((
                    self.push(Node::Const(Value::Member(id, index as u32))),
                    Type::Enum(id),
                ));
            }
            let help = match suggest::closest(&member.name, members.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("the members are {}", members.join(", ")),
            };
            self.error(
                Diagnostic::error(
                    codes::UNKNOWN_MEMBER,
                    expr.span,
                    format!("`{}` is not one of {}", member.name, members.join(", ")),
                )
                .label("no such member")
                .help(help),
            );
            return None;
        }
        if self.schema.poisoned.contains(&path) {
            // Declared with an error that is already reported.
            return None;
        }
        let owner = match parts {
            [single] => self.schema.fields.iter().find(|f| {
                matches!(f.ty, Type::Enum(id) if self.schema.enum_type(id).is_some_and(|e| e.members.contains(&single.name)))
            }),
            _ => None,
        };
        if let Some(owner) = owner {
            let (message, help) = match expected {
                Some(ty) => (
                    format!(
                        "expected {}, found `{path}`, a member of `{}`",
                        self.schema.describe(ty),
                        owner.path
                    ),
                    format!("compare the field with it: `{} == {path}`", owner.path),
                ),
                None => (
                    format!("cannot tell what `{path}` is here"),
                    format!(
                        "`{path}` is a member of `{}`; compare a field with it, such as `{} == {path}`",
                        owner.path, owner.path
                    ),
                ),
            };
            self.error(
                Diagnostic::error(codes::TYPE_MISMATCH, expr.span, message)
                    .label("a member needs a field to compare with")
                    .help(help),
            );
            return None;
        }
        let last = parts.last().map_or("", |p| p.name.as_str());
        let same_name: Vec<&str> = self
            .schema
            .paths()
            .filter(|p| p.rsplit('.').next() == Some(last))
            .collect();
        let help = match suggest::closest(&path, self.schema.paths()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if !same_name.is_empty() => {
                format!("did you mean `{}`?", same_name.join("` or `"))
            }
            None => match parts.first().map(|p| p.name.as_str()) {
                Some(record) if self.schema.records.contains_key(record) => {
                    let fields: Vec<&str> = self
                        .schema
                        .paths()
                        .filter(|p| p.starts_with(&format!("{record}.")))
                        .collect();
                    format!("`{record}` has {}", fields.join(", "))
                }
                _ => "facts are declared in the schema".to_owned(),
            },
        };
        self.error(
            Diagnostic::error(
                codes::UNKNOWN_FIELD,
                expr.span,
                format!("unknown field `{path}`"),
            )
            .label("not in the schema")
            .help(help),
        );
        None
    }
}

fn ordered(ty: Type) -> bool {
    matches!(ty, Type::Int | Type::Money(_) | Type::Date)
}
