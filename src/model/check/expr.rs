//! Typing expressions against the schema while emitting their IR nodes:
//! field paths become slots, bare names become members of the enum their
//! context expects, and every operator is checked for the types it allows.

use crate::base::source::Span;
use crate::base::suggest;
use crate::lang::ast::{self, ArithOp, CompareOp, Expr, ExprKind};
use crate::lang::diagnostics::{Diagnostic, codes};
use crate::model::ir::{Args, Node, NodeId, Value};
use crate::model::schema::Type;

use super::Checker;

impl Checker<'_> {
    /// An expression that must be a condition.
    pub(super) fn condition(&mut self, expr: &Expr) -> Option<NodeId> {
        self.typed(expr, Type::Bool)
    }

    /// An expression that must have type `expected`.
    pub(super) fn typed(&mut self, expr: &Expr, expected: Type) -> Option<NodeId> {
        let (node, ty) = self.expr(expr, Some(expected))?;
        if ty == expected {
            return Some(node);
        }
        self.mismatch(expr, expected, ty);
        None
    }

    pub(super) fn mismatch(&mut self, expr: &Expr, expected: Type, found: Type) {
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

    pub(super) fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        NodeId(self.nodes.len() as u32 - 1)
    }

    /// Warns about a range of two constants whose start is after its end:
    /// `in` it never holds, and `not in` it always does, which is never what
    /// the author meant.
    fn empty_range(&mut self, low: NodeId, high: NodeId, span: Span) {
        let (Some(Node::Const(l)), Some(Node::Const(h))) = (
            self.nodes.get(low.0 as usize),
            self.nodes.get(high.0 as usize),
        ) else {
            return;
        };
        let reversed = match (l, h) {
            (Value::Int(l), Value::Int(h)) => l > h,
            (Value::Date(l), Value::Date(h)) => l > h,
            (Value::Money(l), Value::Money(h)) => l.currency == h.currency && l.amount > h.amount,
            _ => false,
        };
        if reversed {
            let (l, h) = (show(l), show(h));
            self.diagnostics.push(
                Diagnostic::warning(
                    codes::EMPTY_RANGE,
                    span,
                    format!("the range `{l}..{h}` is empty: it starts after it ends"),
                )
                .label("no value is in this range")
                .help(format!("write the lower bound first: `{h}..{l}`")),
            );
        }
    }

    pub(super) fn push_args(&mut self, nodes: Vec<NodeId>) -> Args {
        let start = self.args.len() as u32;
        let len = nodes.len() as u32;
        self.args.extend(nodes);
        Args { start, len }
    }

    /// A bare name that is not a fact: an enum member, typed by its context.
    pub(super) fn bare_member<'e>(&self, expr: &'e Expr) -> Option<&'e ast::Ident> {
        match &expr.kind {
            ExprKind::Path(parts) if parts.len() == 1 => parts
                .first()
                .filter(|p| self.schema.slot(&p.name).is_none() && !self.is_named(&p.name)),
            _ => None,
        }
    }

    /// Types two operands that must agree, typing a bare member by the other side.
    pub(super) fn pair(&mut self, a: &Expr, b: &Expr) -> Option<(NodeId, NodeId, Type)> {
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
    pub(super) fn compare_mismatch(&mut self, a: &Expr, ta: Type, b: &Expr, tb: Type) {
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
        // Two enums written alike are still two types: said so, not "one of
        // low, high with one of low, high".
        if let (Type::Enum(id), Type::Enum(_)) = (ta, tb)
            && da == db
        {
            let member = self
                .schema
                .enum_type(id)
                .and_then(|e| e.members.first().cloned())
                .unwrap_or_default();
            self.error(
                Diagnostic::error(
                    code,
                    b.span,
                    format!("cannot compare `{a}` with `{b}`: each is an enum of its own, though both are {da}"),
                )
                .label("another enum")
                .also(a.span, "one enum")
                .help(format!(
                    "every `enum {{ .. }}` is a type of its own; compare each with a member instead, such as `{a} == {member} and {b} == {member}`"
                )),
            );
            return;
        }
        self.error(
            Diagnostic::error(code, b.span, format!("cannot compare {da} with {db}"))
                .label(format!("this is {db}"))
                .also(a.span, format!("this is {da}"))
                .help_opt(help),
        );
    }

    pub(super) fn expr(&mut self, expr: &Expr, expected: Option<Type>) -> Option<(NodeId, Type)> {
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
                self.empty_range(nl, nh, low.span.to(high.span));
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
            ExprKind::Arith(ArithOp::Mul, a, b)
                if matches!(a.kind, ExprKind::Rate(_)) || matches!(b.kind, ExprKind::Rate(_)) =>
            {
                self.scaled(expr, a, b)
            }
            ExprKind::Arith(op, a, b) => self.arith(expr, *op, a, b, expected),
            ExprKind::Rate(_) => {
                self.misplaced_rate(expr);
                None
            }
            ExprKind::Round(value, mode) => self.round(expr, value, *mode),
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

    pub(super) fn arith(
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

    pub(super) fn path(
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
        }
        if let [single] = parts
            && let Some(named) = self.named_value(single)
        {
            return named;
        }
        if let (Some(Type::Enum(id)), [member]) = (expected, parts) {
            let members = self.schema.enum_type(id)?.members.clone();
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
        // A bare name may also be a named condition or a decision.
        let bare: Vec<&str> = match parts {
            [_] => self
                .names
                .named
                .keys()
                .chain(self.names.decisions.keys())
                .map(String::as_str)
                .collect(),
            _ => Vec::new(),
        };
        let help = match suggest::closest(&path, self.schema.paths().chain(bare)) {
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

/// A constant as the policy writes it.
fn show(value: &Value) -> String {
    match value {
        Value::Int(n) => n.to_string(),
        Value::Money(m) => m.to_string(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        _ => String::new(),
    }
}
