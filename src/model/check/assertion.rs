//! Assertions (`assert DECISION is OUTCOME | is monotone in FIELD | == VALUE`)
//! checked against the decisions they name and compiled for `credo verify`.

use std::collections::BTreeMap;

use crate::base::source::Span;
use crate::base::suggest;
use crate::lang::ast::{self, ExprKind};
use crate::lang::diagnostics::{Diagnostic, codes};
use crate::model::ir::{AssertionIr, ClaimIr, DecisionIr, Kind};
use crate::model::schema::Type;

use super::Checker;

impl Checker<'_> {
    /// Resolves one assertion against the compiled decisions; one that names a
    /// decision in `defined` that failed to check is skipped, its errors already said.
    pub(super) fn assertion(
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
                    Kind::Eligibility | Kind::Action | Kind::Classification(_) => {
                        kind.outcome_words(&self.schema)
                    }
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
}
