//! Lowers pest pairs into the typed AST, checking literals on the way and
//! collecting every problem rather than stopping at the first.

use pest::iterators::Pair;

use super::Rule;
use crate::base::money::{Currency, Money};
use crate::base::source::{FileId, Span};
use crate::lang::ast::*;
use crate::lang::diagnostics::{Diagnostic, codes};

use crate::base::limits::{MAX_CHAIN, MAX_EXPRESSION_DEPTH};

struct Lower {
    file: FileId,
    /// Where the parsed text starts in the file: error recovery parses pieces of it.
    offset: usize,
    errors: Vec<Diagnostic>,
}

/// Lowers a whole parsed file.
pub fn file(file: FileId, root: Pair<'_, Rule>) -> Result<File, Vec<Diagnostic>> {
    let (file, errors) = piece(file, 0, root);
    if errors.is_empty() {
        Ok(file)
    } else {
        Err(errors)
    }
}

/// Lowers a piece parsed at `offset` of the file (a whole file, or the rest
/// of a decision or schema after a syntax error): the top-level items it
/// holds, and every problem found in it. Rules and schema entries outside
/// any item are lowered only for their problems.
pub fn piece(file: FileId, offset: usize, root: Pair<'_, Rule>) -> (File, Vec<Diagnostic>) {
    let mut lower = Lower {
        file,
        offset,
        errors: Vec::new(),
    };
    let mut items = Vec::new();
    for pair in root.into_inner() {
        match pair.as_rule() {
            Rule::schema => items.push(Item::Schema(lower.schema(pair))),
            Rule::decision => items.extend(lower.decision(pair).map(Item::Decision)),
            Rule::assertion => items.extend(lower.assertion(pair).map(Item::Assertion)),
            Rule::named_condition => {
                items.extend(lower.named_condition(pair).map(Item::Condition));
            }
            Rule::gap => items.extend(lower.gap(pair).map(Item::Gap)),
            Rule::applies | Rule::note | Rule::rule | Rule::table => {
                lower.decision_item(pair);
            }
            Rule::record | Rule::attribute | Rule::decision_catalog => {
                lower.schema_entry(pair);
            }
            Rule::catalog_entry => {
                lower.catalog_entry(pair);
            }
            _ => {}
        }
    }
    (File { items }, lower.errors)
}

impl Lower {
    /// The pair's span without the whitespace and comments pest lets a
    /// non-atomic rule swallow at its end, so underlines stop at the code.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let start = self.offset + s.start();
        Span::new(self.file, start, start + code_len(s.as_str()))
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_owned(),
            span: self.span(pair),
        }
    }

    /// Records a parse tree that does not have the shape the grammar promises.
    fn malformed(&mut self, span: Span) {
        self.errors.push(Diagnostic::error(
            codes::SYNTAX,
            span,
            "malformed syntax tree (a bug in credo)",
        ));
    }

    fn schema(&mut self, pair: Pair<'_, Rule>) -> Schema {
        let span = self.span(&pair);
        let entries = self.schema_entries(pair);
        Schema { entries, span }
    }

    fn schema_entries(&mut self, pair: Pair<'_, Rule>) -> Vec<SchemaEntry> {
        pair.into_inner()
            .filter_map(|inner| self.schema_entry(inner))
            .collect()
    }

    fn schema_entry(&mut self, pair: Pair<'_, Rule>) -> Option<SchemaEntry> {
        match pair.as_rule() {
            Rule::record => Some(SchemaEntry::Record(self.record(pair))),
            Rule::attribute => self.attribute(pair).map(SchemaEntry::Attribute),
            Rule::decision_catalog => Some(SchemaEntry::Catalog(
                pair.into_inner()
                    .filter_map(|e| self.catalog_entry(e))
                    .collect(),
            )),
            _ => None,
        }
    }

    fn record(&mut self, pair: Pair<'_, Rule>) -> Record {
        let span = self.span(&pair);
        let mut optional = false;
        let mut name = None;
        let mut entries = Vec::new();
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::optional => optional = true,
                Rule::field_name => name = Some(self.ident(&inner)),
                Rule::record => entries.push(SchemaEntry::Record(self.record(inner))),
                Rule::attribute => {
                    if let Some(a) = self.attribute(inner) {
                        entries.push(SchemaEntry::Attribute(a));
                    }
                }
                _ => {}
            }
        }
        let name = name.unwrap_or(Ident {
            name: String::new(),
            span,
        });
        Record {
            optional,
            name,
            entries,
            span,
        }
    }

    fn attribute(&mut self, pair: Pair<'_, Rule>) -> Option<Attribute> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(&inner.next()?);
        let mut ty_pair = inner.next()?;
        let mut optional = false;
        if ty_pair.as_rule() == Rule::optional_type {
            optional = true;
            ty_pair = ty_pair.into_inner().nth(1)?;
        }
        let ty = self.type_expr(ty_pair)?;
        let modifiers = inner.map(|m| self.ident(&m)).collect();
        Some(Attribute {
            name,
            ty,
            optional,
            modifiers,
            span,
        })
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
        Some(match pair.as_rule() {
            Rule::scalar_type => match pair.as_str() {
                "text" => TypeExpr::Text,
                "bool" => TypeExpr::Bool,
                "int" => TypeExpr::Int,
                _ => TypeExpr::Date,
            },
            Rule::money_type => {
                let mut inner = pair.into_inner();
                let currency = self.ident(&inner.next()?);
                TypeExpr::Money {
                    currency,
                    default: inner.next().is_some(),
                }
            }
            Rule::enum_type => TypeExpr::Enum(pair.into_inner().map(|m| self.ident(&m)).collect()),
            _ => {
                let span = self.span(&pair);
                self.malformed(span);
                return None;
            }
        })
    }

    fn catalog_entry(&mut self, pair: Pair<'_, Rule>) -> Option<CatalogEntry> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let id = self.ident(&inner.next()?);
        let kind = match inner.next()?.as_str() {
            "eligibility" => KindName::Eligibility,
            "action" => KindName::Action,
            "classification" => KindName::Classification,
            _ => KindName::Amount,
        };
        Some(CatalogEntry { id, kind, span })
    }

    fn decision(&mut self, pair: Pair<'_, Rule>) -> Option<Decision> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let id = self.ident(&inner.next()?);
        let kind_pair = inner.next()?;
        let kind = match kind_pair.as_rule() {
            Rule::eligibility_kind => DecisionKind::Eligibility,
            Rule::action_kind => DecisionKind::Action,
            Rule::classification_kind => DecisionKind::Classification(
                kind_pair.into_inner().map(|m| self.ident(&m)).collect(),
            ),
            _ => DecisionKind::Amount(self.ident(&kind_pair.into_inner().next()?)),
        };
        let mut window = None;
        let mut items = Vec::new();
        for item in inner {
            if item.as_rule() == Rule::window {
                window = self.window(item);
            } else {
                items.extend(self.decision_item(item));
            }
        }
        Some(Decision {
            id,
            kind,
            window,
            items,
            span,
        })
    }

    fn decision_item(&mut self, item: Pair<'_, Rule>) -> Option<DecisionItem> {
        match item.as_rule() {
            Rule::applies => item
                .into_inner()
                .next()
                .and_then(|e| self.expr(e))
                .map(DecisionItem::Applies),
            Rule::note => item
                .into_inner()
                .next()
                .map(|s| DecisionItem::Note(self.text(s))),
            Rule::rounding => {
                let span = self.span(&item);
                let word = item.into_inner().next()?;
                Rounding::from_word(word.as_str()).map(|r| DecisionItem::Rounding(r, span))
            }
            Rule::rule => self.rule(item).map(DecisionItem::Rule),
            Rule::table => self.table(item).map(DecisionItem::Table),
            _ => None,
        }
    }

    fn assertion(&mut self, pair: Pair<'_, Rule>) -> Option<Assertion> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let decision = self.ident(&inner.next()?);
        let claim_pair = inner.next()?;
        let claim = match claim_pair.as_rule() {
            Rule::outcome_claim => Claim::Outcome(self.ident(&claim_pair.into_inner().next()?)),
            Rule::monotone_claim => Claim::Monotone(self.expr(claim_pair.into_inner().next()?)?),
            _ => Claim::Equals(self.expr(claim_pair.into_inner().next()?)?),
        };
        let condition = match inner.next() {
            Some(c) => Some(self.expr(c)?),
            None => None,
        };
        Some(Assertion {
            decision,
            claim,
            condition,
            span,
        })
    }

    fn named_condition(&mut self, pair: Pair<'_, Rule>) -> Option<NamedCondition> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(&inner.next()?);
        let mut next = inner.next()?;
        let mut window = None;
        if next.as_rule() == Rule::window {
            window = self.window(next);
            next = inner.next()?;
        }
        let condition = self.expr(next)?;
        Some(NamedCondition {
            name,
            window,
            condition,
            span,
        })
    }

    /// `effective A..B`, `effective from A` or `effective until B`.
    fn window(&mut self, pair: Pair<'_, Rule>) -> Option<Window> {
        let span = self.span(&pair);
        let form = pair.into_inner().next()?;
        let kind = form.as_rule();
        let mut days = Vec::new();
        for date in form.into_inner() {
            let at = self.span(&date);
            let ExprKind::Date(day) = self.date(date.as_str(), at)?.kind else {
                return None;
            };
            days.push(day);
        }
        let (from, until) = match (kind, days.as_slice()) {
            (Rule::window_from, [a]) => (Some(*a), None),
            (Rule::window_until, [b]) => (None, Some(*b)),
            (_, [a, b]) => (Some(*a), Some(*b)),
            _ => return None,
        };
        Some(Window { from, until, span })
    }

    /// `gap DECISION effective WINDOW because "..."`
    fn gap(&mut self, pair: Pair<'_, Rule>) -> Option<Gap> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let decision = self.ident(&inner.next()?);
        let window = self.window(inner.next()?)?;
        let because = self.text(inner.next()?.into_inner().next()?);
        Some(Gap {
            decision,
            window,
            because,
            span,
        })
    }

    fn text(&mut self, pair: Pair<'_, Rule>) -> Text {
        let span = self.span(&pair);
        let raw = pair.into_inner().next().map_or("", |p| p.as_str());
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => {}
                }
            } else {
                value.push(c);
            }
        }
        Text { value, span }
    }

    fn rule(&mut self, pair: Pair<'_, Rule>) -> Option<crate::lang::ast::Rule> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let effect = match inner.next()?.as_str() {
            "allow" => Effect::Allow,
            _ => Effect::Deny,
        };
        let id = self.ident(&inner.next()?);
        let mut guard = None;
        let mut because = None;
        let mut window = None;
        for part in inner {
            match part.as_rule() {
                Rule::window => window = self.window(part),
                Rule::guard => {
                    let mut g = part.into_inner();
                    let unless = g.next()?.as_str() == "unless";
                    let condition = self.expr(g.next()?)?;
                    guard = Some(Guard { unless, condition });
                }
                Rule::because => because = Some(self.text(part.into_inner().next()?)),
                _ => {}
            }
        }
        Some(crate::lang::ast::Rule {
            effect,
            id,
            window,
            guard,
            because: because?,
            span,
        })
    }

    fn table(&mut self, pair: Pair<'_, Rule>) -> Option<Table> {
        let span = self.span(&pair);
        let mut rows = Vec::new();
        for row in pair.into_inner() {
            let row_span = self.span(&row);
            let mut inner = row.into_inner();
            let head = inner.next()?;
            let condition = match head.as_rule() {
                Rule::otherwise => None,
                _ => Some(self.expr(head)?),
            };
            let value = self.expr(inner.next()?)?;
            let mut because = None;
            let mut window = None;
            for part in inner {
                if part.as_rule() == Rule::window {
                    window = self.window(part);
                } else if let Some(s) = part.into_inner().next() {
                    because = Some(self.text(s));
                }
            }
            rows.push(Row {
                condition,
                value,
                because,
                window,
                span: row_span,
            });
        }
        Some(Table { rows, span })
    }

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr => self.expr(pair.into_inner().next()?),
            Rule::disjunction | Rule::conjunction => {
                let is_or = pair.as_rule() == Rule::disjunction;
                let mut parts = self.all(pair.into_inner())?;
                if parts.len() == 1 {
                    return parts.pop();
                }
                let kind = if is_or {
                    ExprKind::Or(parts)
                } else {
                    ExprKind::And(parts)
                };
                Some(Expr { kind, span })
            }
            Rule::negation => {
                let mut inner: Vec<Pair<'_, Rule>> = pair.into_inner().collect();
                let mut expr = self.expr(inner.pop()?)?;
                for not in inner.iter().rev() {
                    let start = self.span(not);
                    expr = Expr {
                        span: start.to(expr.span),
                        kind: ExprKind::Not(Box::new(expr)),
                    };
                }
                Some(expr)
            }
            Rule::comparison => self.comparison(pair, span),
            Rule::sum | Rule::product => self.chain(pair),
            Rule::call => {
                let mut inner = pair.into_inner();
                let func = match inner.next()?.as_str() {
                    "min" => Function::Min,
                    _ => Function::Max,
                };
                let args = self.all(inner)?;
                Some(Expr {
                    kind: ExprKind::Call(func, args),
                    span,
                })
            }
            Rule::path => {
                let parts = pair.into_inner().map(|p| self.ident(&p)).collect();
                Some(Expr {
                    kind: ExprKind::Path(parts),
                    span,
                })
            }
            Rule::boolean => Some(Expr {
                kind: ExprKind::Bool(pair.as_str() == "true"),
                span,
            }),
            Rule::string => {
                let text = self.text(pair);
                Some(Expr {
                    kind: ExprKind::Text(text.value),
                    span,
                })
            }
            Rule::date => self.date(pair.as_str(), span),
            Rule::number => self.number(pair.as_str(), span),
            Rule::percent => {
                let text = pair.into_inner().next()?.as_str();
                self.rate(text, true, span)
            }
            Rule::round_call => {
                let mut inner = pair.into_inner();
                let value = self.expr(inner.next()?)?;
                let mode = Rounding::from_word(inner.next()?.as_str())?;
                Some(Expr {
                    kind: ExprKind::Round(Box::new(value), mode),
                    span,
                })
            }
            Rule::money => self.money(pair, span),
            _ => {
                self.malformed(span);
                None
            }
        }
    }

    /// Lowers every operand, so each reports its errors; `None` if any failed,
    /// rather than a shorter list that would mean something else.
    fn all<'i>(&mut self, pairs: impl Iterator<Item = Pair<'i, Rule>>) -> Option<Vec<Expr>> {
        let lowered: Vec<Option<Expr>> = pairs.map(|p| self.expr(p)).collect();
        lowered.into_iter().collect()
    }

    fn comparison(&mut self, pair: Pair<'_, Rule>, span: Span) -> Option<Expr> {
        let mut inner = pair.into_inner();
        let left = self.expr(inner.next()?)?;
        let Some(op) = inner.next() else {
            return Some(left);
        };
        let right = inner.next()?;
        let kind = match op.as_rule() {
            Rule::compare_op => {
                let op = match op.as_str() {
                    "==" => CompareOp::Eq,
                    "!=" => CompareOp::Ne,
                    "<" => CompareOp::Lt,
                    "<=" => CompareOp::Le,
                    ">" => CompareOp::Gt,
                    _ => CompareOp::Ge,
                };
                ExprKind::Compare(op, Box::new(left), Box::new(self.expr(right)?))
            }
            _ => {
                let negated = op.as_str().starts_with("not");
                if right.as_rule() == Rule::range {
                    let mut bounds = right.into_inner();
                    let low = self.expr(bounds.next()?)?;
                    let high = self.expr(bounds.next()?)?;
                    ExprKind::InRange {
                        value: Box::new(left),
                        low: Box::new(low),
                        high: Box::new(high),
                        negated,
                    }
                } else {
                    let set = self.all(right.into_inner())?;
                    ExprKind::In {
                        value: Box::new(left),
                        set,
                        negated,
                    }
                }
            }
        };
        Some(Expr { kind, span })
    }

    /// `a + b - c` and `a * b`, left-associative.
    fn chain(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let mut inner = pair.into_inner();
        let mut expr = self.expr(inner.next()?)?;
        let mut links = 0;
        let mut op = ArithOp::Mul;
        for part in inner {
            match part.as_rule() {
                Rule::add_op => {
                    op = if part.as_str() == "+" {
                        ArithOp::Add
                    } else {
                        ArithOp::Sub
                    };
                    continue;
                }
                _ => {
                    links += 1;
                    if links > MAX_CHAIN {
                        self.errors.push(
                            Diagnostic::error(
                                codes::TOO_DEEP,
                                self.span(&part),
                                format!("more than {MAX_CHAIN} operations in a row"),
                            )
                            .label("one operation too many")
                            .help("split the computation"),
                        );
                        return None;
                    }
                    let right = self.expr(part)?;
                    expr = Expr {
                        span: expr.span.to(right.span),
                        kind: ExprKind::Arith(op, Box::new(expr), Box::new(right)),
                    };
                    op = ArithOp::Mul;
                }
            }
        }
        // Chains inside brackets inside chains: each bracket is within the
        // nesting limit and each chain within its own, but together they can
        // build a tree deep enough to overflow the stack of every later pass.
        if height(&expr) > MAX_EXPRESSION_DEPTH {
            self.errors.push(
                Diagnostic::error(
                    codes::TOO_DEEP,
                    expr.span,
                    format!("expression nested deeper than {MAX_EXPRESSION_DEPTH} levels"),
                )
                .label("this expression")
                .help("split the computation into several decisions or rules"),
            );
            dismantle(expr);
            return None;
        }
        Some(expr)
    }

    fn date(&mut self, text: &str, span: Span) -> Option<Expr> {
        match crate::base::dates::parse(text) {
            Ok(date) => Some(Expr {
                kind: ExprKind::Date(date),
                span,
            }),
            Err(crate::base::dates::DateError::BeforeFirst) => {
                self.errors.push(
                    Diagnostic::error(
                        codes::BAD_LITERAL,
                        span,
                        format!("`{text}` is before 0001-01-01, the first date credo accepts"),
                    )
                    .label("year 0000")
                    .help("fact documents cannot give a date before 0001-01-01 either"),
                );
                None
            }
            Err(e) => {
                // Written right but no such day (`2026-02-30`): the help
                // says so, not how dates are written.
                let help = match e {
                    crate::base::dates::DateError::NoSuchDay => {
                        "the month has fewer days, or there is no such month: months run 01 to 12"
                    }
                    _ => "dates are written YYYY-MM-DD, such as `2026-10-01`",
                };
                self.errors.push(
                    Diagnostic::error(
                        codes::BAD_LITERAL,
                        span,
                        format!("`{text}` is not a calendar date"),
                    )
                    .label("no such date")
                    .help(help),
                );
                None
            }
        }
    }

    /// `2.5%` (`percent`) or `0.025`: a rate, exact.
    fn rate(&mut self, text: &str, percent: bool, span: Span) -> Option<Expr> {
        let rate = rust_decimal::Decimal::from_str_exact(text)
            .ok()
            .map(|written| Rate { written, percent });
        match rate {
            // A percentage's factor has two decimals more than it is written with.
            Some(rate) if rate.factor().is_some() => Some(Expr {
                kind: ExprKind::Rate(rate),
                span,
            }),
            _ => {
                self.errors.push(
                    Diagnostic::error(
                        codes::BAD_LITERAL,
                        span,
                        format!(
                            "`{text}{}` is not a rate credo can hold exactly",
                            if percent { "%" } else { "" }
                        ),
                    )
                    .label("too many digits")
                    .help("a rate has at most 28 significant digits and 28 decimals (26 in a percentage)"),
                );
                None
            }
        }
    }

    fn number(&mut self, text: &str, span: Span) -> Option<Expr> {
        // A number with a fraction and no currency is a rate: `0.025` is `2.5%`.
        if text.contains('.') {
            return self.rate(text, false, span);
        }
        match text.parse::<i64>() {
            Ok(n) => Some(Expr {
                kind: ExprKind::Int(n),
                span,
            }),
            Err(_) => {
                self.errors.push(
                    Diagnostic::error(codes::BAD_LITERAL, span, "integer out of range")
                        .label("too large")
                        .help(format!("integers range from {} to {}", i64::MIN, i64::MAX)),
                );
                None
            }
        }
    }

    fn money(&mut self, pair: Pair<'_, Rule>, span: Span) -> Option<Expr> {
        let mut inner = pair.into_inner();
        let amount = inner.next()?.as_str().to_owned();
        let code_pair = inner.next()?;
        let code = code_pair.as_str();
        let Some(currency) = Currency::from_code(code) else {
            let span = self.span(&code_pair);
            self.errors
                .push(crate::lang::diagnostics::unknown_currency(code, span));
            return None;
        };
        match Money::parse_amount(&amount, currency) {
            Ok(money) => Some(Expr {
                kind: ExprKind::Money(money),
                span,
            }),
            Err(error) => {
                self.errors.push(
                    Diagnostic::error(codes::BAD_LITERAL, span, error.to_string())
                        .label("invalid money"),
                );
                None
            }
        }
    }
}

/// Length of `text` once trailing whitespace and trailing comments are cut.
fn code_len(text: &str) -> usize {
    let mut end = text.trim_end().len();
    loop {
        let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
        match comment_start(&text[line_start..end]) {
            Some(at) => end = text[..line_start + at].trim_end().len(),
            None => return end,
        }
    }
}

/// Where a `#` comment starts in one line, outside string literals.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, '#') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The height of an expression tree, measured without recursion.
fn height(expr: &Expr) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(expr, 1)];
    while let Some((e, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        let below = depth + 1;
        match &e.kind {
            ExprKind::Not(x) | ExprKind::Round(x, _) => stack.push((x, below)),
            ExprKind::And(items) | ExprKind::Or(items) | ExprKind::Call(_, items) => {
                stack.extend(items.iter().map(|x| (x, below)));
            }
            ExprKind::Compare(_, a, b) | ExprKind::Arith(_, a, b) => {
                stack.extend([(&**a, below), (&**b, below)]);
            }
            ExprKind::In { value, set, .. } => {
                stack.push((value, below));
                stack.extend(set.iter().map(|x| (x, below)));
            }
            ExprKind::InRange {
                value, low, high, ..
            } => stack.extend([(&**value, below), (&**low, below), (&**high, below)]),
            ExprKind::Path(_)
            | ExprKind::Int(_)
            | ExprKind::Money(_)
            | ExprKind::Date(_)
            | ExprKind::Bool(_)
            | ExprKind::Rate(_)
            | ExprKind::Text(_) => {}
        }
    }
    deepest
}

/// Drops a tree too deep for the recursive `Drop` of its boxes.
fn dismantle(expr: Expr) {
    let placeholder = || Expr {
        kind: ExprKind::Bool(false),
        span: Span::default(),
    };
    let mut stack = vec![expr];
    while let Some(mut e) = stack.pop() {
        match &mut e.kind {
            ExprKind::Not(x) => stack.push(std::mem::replace(&mut **x, placeholder())),
            ExprKind::And(items) | ExprKind::Or(items) | ExprKind::Call(_, items) => {
                stack.append(items);
            }
            ExprKind::Compare(_, a, b) | ExprKind::Arith(_, a, b) => {
                stack.push(std::mem::replace(&mut **a, placeholder()));
                stack.push(std::mem::replace(&mut **b, placeholder()));
            }
            ExprKind::In { value, set, .. } => {
                stack.push(std::mem::replace(&mut **value, placeholder()));
                stack.append(set);
            }
            ExprKind::InRange {
                value, low, high, ..
            } => {
                for part in [value, low, high] {
                    stack.push(std::mem::replace(&mut **part, placeholder()));
                }
            }
            _ => {}
        }
    }
}
