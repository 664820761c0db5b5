//! Rates (`2.5%`, `0.025`) and rounding: money times a rate is exact, and is
//! rounded to the currency's minor unit only where the author says how, with
//! `round(VALUE, MODE)` or a decision's `rounding MODE`.

use crate::lang::ast::{self, DecisionItem, Expr, ExprKind, Rounding};
use crate::lang::diagnostics::{Diagnostic, codes};
use crate::model::ir::{Kind, Node, NodeId};
use crate::model::schema::Type;

use super::Checker;

/// How money times a rate is rounded where the checker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    /// Nowhere said: money times a rate is an error.
    None,
    /// The decision's `rounding MODE` rounds each product.
    Decision(Rounding),
    /// Inside `round(..)`: products stay exact until it rounds the whole.
    Inside,
}

impl Checker<'_> {
    /// The decision's `rounding MODE`, if it says one (once).
    pub(super) fn decision_rounding(&mut self, decision: &ast::Decision, kind: &Kind) -> Context {
        let mut found: Option<Rounding> = None;
        for item in &decision.items {
            let DecisionItem::Rounding(mode, span) = item else {
                continue;
            };
            if found.is_some() {
                self.misplaced(
                    *span,
                    "a second `rounding`",
                    kind,
                    "a decision rounds one way",
                );
            }
            found.get_or_insert(*mode);
        }
        found.map_or(Context::None, Context::Decision)
    }

    /// `MONEY * RATE` (or `RATE * MONEY`): exact, then rounded as the context says.
    pub(super) fn scaled(&mut self, expr: &Expr, a: &Expr, b: &Expr) -> Option<(NodeId, Type)> {
        let (money, rate) = match (&a.kind, &b.kind) {
            (ExprKind::Rate(_), ExprKind::Rate(_)) => {
                self.misplaced_rate(b);
                return None;
            }
            (ExprKind::Rate(r), _) => (b, *r),
            (_, ExprKind::Rate(r)) => (a, *r),
            _ => return None,
        };
        let (amount, ty) = self.expr(money, None)?;
        let Type::Money(currency) = ty else {
            self.error(
                Diagnostic::error(
                    codes::MISPLACED_RATE,
                    money.span,
                    format!("a rate multiplies money, not {}", self.schema.describe(ty)),
                )
                .label(format!("this is {}", self.schema.describe(ty)))
                .help("write the rate as a whole number, or multiply an amount of money by it"),
            );
            return None;
        };
        if rate.factor().is_none() {
            self.misplaced_rate(expr);
            return None;
        }
        let scaled = self.push(Node::Scaled { amount, rate });
        let node = match self.rounding {
            Context::Inside => scaled,
            Context::Decision(mode) => self.push(Node::Round {
                value: scaled,
                mode,
                implicit: true,
            }),
            Context::None => {
                self.error(
                    Diagnostic::error(
                        codes::IMPLICIT_ROUNDING,
                        expr.span,
                        format!("`{expr}` may have more decimals than {currency} has"),
                    )
                    .label("money times a rate needs a rounding mode")
                    .help(format!(
                        "say how to round to the cent: `round({expr}, half_even)`, or `rounding half_even` in the decision; the modes are {}",
                        Rounding::ALL.map(Rounding::as_str).join(", ")
                    )),
                );
                return None;
            }
        };
        Some((node, Type::Money(currency)))
    }

    /// `round(VALUE, MODE)`: money, rounded to its currency's minor unit.
    pub(super) fn round(
        &mut self,
        expr: &Expr,
        value: &Expr,
        mode: Rounding,
    ) -> Option<(NodeId, Type)> {
        let outer = std::mem::replace(&mut self.rounding, Context::Inside);
        let inner = self.expr(value, None);
        self.rounding = outer;
        let (node, ty) = inner?;
        if !matches!(ty, Type::Money(_)) {
            self.error(
                Diagnostic::error(
                    codes::MISPLACED_RATE,
                    expr.span,
                    format!("`round` rounds money, not {}", self.schema.describe(ty)),
                )
                .label(format!("this is {}", self.schema.describe(ty))),
            );
            return None;
        }
        let node = self.push(Node::Round {
            value: node,
            mode,
            implicit: false,
        });
        Some((node, ty))
    }

    /// A rate where only money times a rate may have one.
    pub(super) fn misplaced_rate(&mut self, expr: &Expr) {
        self.error(
            Diagnostic::error(
                codes::MISPLACED_RATE,
                expr.span,
                format!("`{expr}` is a rate, which only multiplies money"),
            )
            .label("a rate here")
            .help("money needs a currency, such as `0.50 USD`; a rate is written `money * 2.5%` inside `round(.., half_even)`"),
        );
    }
}

impl Checker<'_> {
    /// A `because` message's `{path}` placeholders, each resolved to a fact;
    /// `None` for a message without any. Every problem is reported.
    pub(super) fn message_parts(
        &mut self,
        because: &ast::Text,
    ) -> Option<Vec<crate::model::ir::MessagePart>> {
        use crate::lang::template::{self, Piece};
        use crate::model::ir::MessagePart;
        if !template::is_template(&because.value) {
            return None;
        }
        let pieces = match template::parse(&because.value) {
            Ok(pieces) => pieces,
            Err(e) => {
                self.error(
                    Diagnostic::error(codes::BAD_PLACEHOLDER, because.span, e.message)
                        .label("in this message")
                        .help("write `{{` or `}}` for a brace itself"),
                );
                return None;
            }
        };
        let mut parts = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Text(t) => parts.push(MessagePart::Text(t)),
                Piece::Path { path, offset } => match self.schema.slot(&path) {
                    Some(slot) => parts.push(MessagePart::Fact(slot)),
                    None => {
                        let help = crate::base::suggest::closest(&path, self.schema.paths())
                            .map(|s| format!("did you mean `{{{s}}}`?"))
                            .unwrap_or_else(|| {
                                "a placeholder names a fact of the schema".to_owned()
                            });
                        let span = self.placeholder_span(because, offset, &path);
                        self.error(
                            Diagnostic::error(
                                codes::BAD_PLACEHOLDER,
                                span,
                                format!("`{{{path}}}` is not a fact of the schema"),
                            )
                            .label("not in the schema")
                            .help(help),
                        );
                    }
                },
            }
        }
        Some(parts)
    }
}

impl Checker<'_> {
    /// The placeholder `{path}` at `offset` of the message's value, in the
    /// source; the whole string when escapes make the two differ.
    fn placeholder_span(
        &self,
        because: &ast::Text,
        offset: usize,
        path: &str,
    ) -> crate::base::source::Span {
        let start = because.span.start + 1 + offset;
        let end = start + path.len() + 2;
        let written = self
            .sources
            .get(because.span.file)
            .and_then(|s| s.text.get(start..end));
        if written == Some(format!("{{{path}}}").as_str()) {
            crate::base::source::Span::new(because.span.file, start, end)
        } else {
            because.span
        }
    }
}
