//! Names that stand for more than a fact: named conditions
//! (`condition NAME = CONDITION`) and other decisions' outcomes
//! (`credit_track == managed`).
//!
//! A named condition is checked once, where it is first used, and compiled to
//! one [`Node::Named`] that every use shares. Uses form a graph of decisions
//! and conditions: a cycle among conditions is found while checking them (a
//! condition used while it is being checked), a cycle among decisions once
//! every decision is checked.

use std::collections::{BTreeMap, BTreeSet};

use crate::base::limits::MAX_CONDITION_DEPTH;
use crate::base::source::Span;
use crate::lang::ast;
use crate::lang::diagnostics::{Diagnostic, codes};
use crate::model::ir::{ConditionIr, Kind, Node, NodeId};
use crate::model::schema::Type;

use super::Checker;

/// How far checking a named condition got.
pub(super) enum Named<'a> {
    /// Declared; not used so far.
    Unchecked(&'a ast::NamedCondition),
    /// Being checked: a use now is a cycle.
    Checking,
    /// Checked: its shared node, or `None` when it has an error.
    Done(Option<NodeId>),
}

/// Who uses a name: a decision (by its index in source order) or a named condition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum User {
    Decision(u32),
    Condition(String),
}

/// What the checker knows of names before checking any decision.
#[derive(Default)]
pub(super) struct Names<'a> {
    pub named: BTreeMap<String, Named<'a>>,
    /// Named conditions by name, in source order, for their spans.
    pub declared: Vec<&'a ast::NamedCondition>,
    /// The versions after the first of each named condition written with
    /// `effective` windows, by name.
    pub later_versions: BTreeMap<String, Vec<&'a ast::NamedCondition>>,
    /// Decisions that can be used by name: their index in source order and kind
    /// (`None` when the kind has an error of its own).
    pub decisions: BTreeMap<String, (u32, Option<Kind>)>,
    /// Decision ids by their index in source order.
    pub decision_ids: Vec<String>,
    /// Who is being checked, innermost last.
    pub users: Vec<User>,
    /// Every use of a decision or a named condition: by whom, of what, where.
    pub uses: Vec<(User, User, Span)>,
}

impl Checker<'_> {
    /// Whether a bare name is a named condition or a decision, not an enum member.
    pub(super) fn is_named(&self, name: &str) -> bool {
        self.names.named.contains_key(name) || self.names.decisions.contains_key(name)
    }

    /// A bare name that is a named condition or a decision: its node and type.
    /// `None` when the name is neither; `Some(None)` when it is, with an error.
    pub(super) fn named_value(&mut self, name: &ast::Ident) -> Option<Option<(NodeId, Type)>> {
        if self.names.named.contains_key(&name.name) {
            return Some(self.use_condition(name).map(|n| (n, Type::Bool)));
        }
        let (index, kind) = self.names.decisions.get(&name.name)?.clone();
        let ty = match kind {
            None => return Some(None),
            Some(Kind::Classification(id)) => Type::Enum(id),
            Some(Kind::Amount(c)) => Type::Money(c),
            Some(kind @ (Kind::Eligibility | Kind::Action)) => {
                self.error(
                    Diagnostic::error(
                        codes::NOT_A_VALUE,
                        name.span,
                        format!(
                            "`{}` is an {} decision, which has no value to use here",
                            name.name,
                            kind.name().as_str()
                        ),
                    )
                    .label("not a classification or an amount")
                    .help("only a classification's member or an amount can be used in another decision; name the conditions both decisions share with `condition NAME = ..`"),
                );
                return Some(None);
            }
        };
        if let Some(user) = self.names.users.last().cloned() {
            self.names
                .uses
                .push((user, User::Decision(index), name.span));
        }
        Some(Some((self.push(Node::Decision(index)), ty)))
    }

    /// The shared node of a named condition, checking it on its first use.
    fn use_condition(&mut self, name: &ast::Ident) -> Option<NodeId> {
        if let Some(user) = self.names.users.last().cloned() {
            self.names
                .uses
                .push((user, User::Condition(name.name.clone()), name.span));
        }
        match self.names.named.get(&name.name)? {
            Named::Done(node) => *node,
            Named::Checking => {
                self.condition_cycle(name);
                None
            }
            Named::Unchecked(_) if self.names.users.len() > MAX_CONDITION_DEPTH => {
                self.error(
                    Diagnostic::error(
                        codes::TOO_DEEP,
                        name.span,
                        format!(
                            "named conditions used inside each other more than {MAX_CONDITION_DEPTH} deep"
                        ),
                    )
                    .label("this use is one level too many")
                    .help("write some of the conditions out in full, or combine them with `and`/`or` side by side"),
                );
                None
            }
            Named::Unchecked(declared) => {
                let declared = *declared;
                Some(self.check_condition(declared)).flatten()
            }
        }
    }

    /// Checks one named condition; its uses share the node this returns.
    pub(super) fn check_condition(&mut self, declared: &ast::NamedCondition) -> Option<NodeId> {
        let name = declared.name.name.clone();
        self.names.named.insert(name.clone(), Named::Checking);
        self.names.users.push(User::Condition(name.clone()));
        // A named condition belongs to the set, not to the decision that used
        // it first: that decision's `rounding` does not reach into it.
        let outer = std::mem::replace(&mut self.rounding, super::rates::Context::None);
        let later = self
            .names
            .later_versions
            .get(&name)
            .cloned()
            .unwrap_or_default();
        let inner = if later.is_empty() && declared.window.is_none() {
            self.condition(&declared.condition)
        } else {
            self.condition_versions(declared, &later)
        };
        self.rounding = outer;
        self.names.users.pop();
        let node = inner.map(|inner| {
            let index = self.conditions.len() as u32;
            self.conditions.push(ConditionIr {
                name: name.clone(),
                node: inner,
                origin: self.origin(declared.name.span),
            });
            self.push(Node::Named {
                condition: index,
                node: inner,
            })
        });
        self.names.named.insert(name, Named::Done(node));
        node
    }

    /// A named condition written in versions: on each day, the version in
    /// force; on a day none is, false.
    fn condition_versions(
        &mut self,
        first: &ast::NamedCondition,
        later: &[&ast::NamedCondition],
    ) -> Option<NodeId> {
        let mut gated = Vec::new();
        let mut periods = Vec::new();
        for version in std::iter::once(first).chain(later.iter().copied()) {
            let inner = self.condition(&version.condition);
            let window = version.window.as_ref()?;
            let period = self.period(window)?;
            periods.push((period, window.span));
            let test = self.in_force(period, window.span);
            gated.push(self.gated(test, Some(inner?))?);
        }
        self.disjoint(&format!("condition `{}`", first.name.name), periods);
        Some(match gated.as_slice() {
            [one] => *one,
            _ => {
                let args = self.push_args(gated);
                self.push(Node::Or(args))
            }
        })
    }

    /// A named condition used while it is being checked: the chain of uses
    /// from it back to itself.
    fn condition_cycle(&mut self, name: &ast::Ident) {
        let chain: Vec<String> = self
            .names
            .users
            .iter()
            .skip_while(|u| **u != User::Condition(name.name.clone()))
            .filter_map(|u| match u {
                User::Condition(c) => Some(format!("`{c}`")),
                User::Decision(_) => None,
            })
            .collect();
        let mut shown = chain.join(" uses ");
        shown.push_str(&format!(" uses `{}`", name.name));
        let declared = self
            .names
            .declared
            .iter()
            .find(|d| d.name.name == name.name)
            .map(|d| d.name.span);
        let mut diagnostic = Diagnostic::error(
            codes::CONDITION_CYCLE,
            name.span,
            format!("named conditions use each other in a cycle: {shown}"),
        )
        .label("used here, inside its own definition")
        .help("a condition cannot depend on itself; write one of them out in full");
        if let Some(span) = declared {
            diagnostic = diagnostic.also(span, "defined here");
        }
        self.error(diagnostic);
    }

    /// Every named condition that nothing used: checked for its own errors,
    /// and a warning.
    pub(super) fn unused_conditions(&mut self) {
        let mut unused = Vec::new();
        for declared in self.names.declared.clone() {
            if matches!(
                self.names.named.get(&declared.name.name),
                Some(Named::Unchecked(_))
            ) {
                self.check_condition(declared);
                unused.push(declared);
            }
        }
        for declared in unused {
            // One whose use was cut off as too deep is used all the same
            // (and so is every condition it uses, checked above).
            let used = User::Condition(declared.name.name.clone());
            if self.names.uses.iter().any(|(_, to, _)| *to == used) {
                continue;
            }
            self.diagnostics.push(
                Diagnostic::warning(
                    codes::UNUSED_CONDITION,
                    declared.name.span,
                    format!("condition `{}` is never used", declared.name.name),
                )
                .label("defined here")
                .help("use it in a rule, row or assertion, or remove it"),
            );
        }
    }

    /// A cycle of decisions using each other, directly or through named
    /// conditions: reported once, at the use that closes it.
    pub(super) fn decision_cycles(&mut self) {
        let uses = self.names.uses.clone();
        let mut edges: BTreeMap<&User, Vec<(&User, Span)>> = BTreeMap::new();
        for (from, to, span) in &uses {
            edges.entry(from).or_default().push((to, *span));
        }
        let mut done: BTreeSet<&User> = BTreeSet::new();
        let mut found: Vec<(Vec<&User>, Span)> = Vec::new();
        let starts: Vec<&User> = edges.keys().copied().collect();
        for start in starts {
            let mut path: Vec<&User> = Vec::new();
            cycle_from(start, &edges, &mut path, &mut done, &mut found);
        }
        let mut reported: BTreeSet<Vec<String>> = BTreeSet::new();
        for (cycle, span) in found {
            // Only cycles through a decision: a cycle of conditions alone is
            // reported where it is checked.
            if !cycle.iter().any(|u| matches!(u, User::Decision(_))) {
                continue;
            }
            let names: Vec<String> = cycle.iter().map(|u| self.user_name(u)).collect();
            let mut key = names.clone();
            key.sort();
            if !reported.insert(key) {
                continue;
            }
            let mut shown = names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" uses ");
            if let Some(first) = names.first() {
                shown.push_str(&format!(" uses `{first}`"));
            }
            self.error(
                Diagnostic::error(
                    codes::DECISION_CYCLE,
                    span,
                    format!("decisions use each other in a cycle: {shown}"),
                )
                .label("this use closes the cycle")
                .help("a decision can use only decisions that do not use it; decide the shared part in a third decision or a named condition"),
            );
        }
    }

    pub(super) fn user_name(&self, user: &User) -> String {
        match user {
            User::Decision(i) => self
                .names
                .decision_ids
                .get(*i as usize)
                .cloned()
                .unwrap_or_default(),
            User::Condition(c) => c.clone(),
        }
    }
}

/// Depth-first search from `node`: each cycle found, as the users on it in
/// order, with the span of the use that closes it.
fn cycle_from<'u>(
    node: &'u User,
    edges: &BTreeMap<&'u User, Vec<(&'u User, Span)>>,
    path: &mut Vec<&'u User>,
    done: &mut BTreeSet<&'u User>,
    found: &mut Vec<(Vec<&'u User>, Span)>,
) {
    if done.contains(node) {
        return;
    }
    path.push(node);
    for (next, span) in edges.get(node).map(Vec::as_slice).unwrap_or_default() {
        if let Some(at) = path.iter().position(|p| p == next) {
            found.push((path.get(at..).unwrap_or_default().to_vec(), *span));
        } else {
            cycle_from(next, edges, path, done, found);
        }
    }
    path.pop();
    done.insert(node);
}

/// The names a named condition may not take: what a bare name already means.
pub(super) fn clash(
    checker: &Checker<'_>,
    named: &ast::NamedCondition,
    members: &BTreeSet<&str>,
) -> Option<String> {
    let name = named.name.name.as_str();
    if checker.schema.slot(name).is_some() {
        Some(format!("`{name}` is already a fact of the schema"))
    } else if checker.names.decisions.contains_key(name) {
        Some(format!("`{name}` is already a decision"))
    } else if members.contains(name) {
        Some(format!(
            "`{name}` is already an enum or classification member"
        ))
    } else {
        None
    }
}
