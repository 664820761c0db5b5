#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo fmt` on generated policies: proptest builds syntax trees (deep
//! expressions of mixed precedence, negative numbers, money, dates, ranges,
//! `not in`, strings with escapes), prints them, then scatters blanks, line
//! breaks and comments between every two tokens. The formatter must keep the
//! tree and every comment, in order, and a second run must change nothing.

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use credo::base::money::{Currency, Money};
use credo::base::source::{FileId, Span};
use credo::lang::ast::*;
use credo::lang::fmt;

#[path = "support/fmt_promises.rs"]
mod promises;

fn ident(name: &str) -> Ident {
    Ident {
        name: name.to_owned(),
        span: Span::default(),
    }
}

fn text(value: String) -> Text {
    Text {
        value,
        span: Span::default(),
    }
}

fn expr(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

/// A name that is not a keyword.
fn name() -> impl Strategy<Value = Ident> {
    prop::sample::select(vec![
        "account",
        "agency",
        "segment",
        "smb",
        "a",
        "b_2",
        "_x",
        "credit_balance",
        "nota",
        "inx",
    ])
    .prop_map(ident)
}

/// A field name after a dot, where keywords are allowed too.
fn field_name() -> impl Strategy<Value = Ident> {
    prop_oneof![
        3 => name(),
        1 => prop::sample::select(vec!["amount", "action", "not", "in", "decision", "when"])
            .prop_map(ident),
    ]
}

fn path() -> impl Strategy<Value = Expr> {
    (name(), prop::collection::vec(field_name(), 0..3)).prop_map(|(first, rest)| {
        let mut parts = vec![first];
        parts.extend(rest);
        expr(ExprKind::Path(parts))
    })
}

fn money() -> impl Strategy<Value = Money> {
    (
        -1_000_000_000_000i64..1_000_000_000_000,
        prop::sample::select(vec!["USD", "EUR", "JPY", "BHD"]),
        0u32..4,
    )
        .prop_map(|(mantissa, code, scale)| {
            let currency = Currency::from_code(code).unwrap();
            let scale = scale.min(currency.minor_digits());
            Money::new(Decimal::new(mantissa, scale), currency)
        })
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        4 => path(),
        2 => any::<i64>().prop_map(|n| expr(ExprKind::Int(n))),
        1 => (-5i64..5).prop_map(|n| expr(ExprKind::Int(n))),
        2 => money().prop_map(|m| expr(ExprKind::Money(m))),
        1 => (0i32..=9999, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| {
            expr(ExprKind::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap()))
        }),
        1 => any::<bool>().prop_map(|b| expr(ExprKind::Bool(b))),
        1 => "[a-z #\"\\\\\n\té✓]{0,12}".prop_map(|s| expr(ExprKind::Text(s))),
        1 => (-99999i64..99999, 0u32..4).prop_map(|(n, scale)| {
            expr(ExprKind::Rate(Rate { written: Decimal::new(n, scale), percent: true }))
        }),
        // A factor is written with a fraction, or it would read as an integer.
        1 => (-99999i64..99999, 1u32..5).prop_map(|(n, scale)| {
            expr(ExprKind::Rate(Rate { written: Decimal::new(n, scale), percent: false }))
        }),
    ]
}

fn rounding() -> impl Strategy<Value = Rounding> {
    prop::sample::select(Rounding::ALL.to_vec())
}

fn compare_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
    ])
}

fn arith_op() -> impl Strategy<Value = ArithOp> {
    prop::sample::select(vec![ArithOp::Add, ArithOp::Sub, ArithOp::Mul])
}

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

/// Expressions of any shape the parser produces: `and`/`or` with two or
/// more operands, operators nested in any order.
fn expression() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| expr(ExprKind::Not(boxed(e)))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| expr(ExprKind::And(v))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| expr(ExprKind::Or(v))),
            (compare_op(), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| expr(ExprKind::Compare(op, boxed(a), boxed(b)))),
            (
                inner.clone(),
                prop::collection::vec(inner.clone(), 0..3),
                any::<bool>()
            )
                .prop_map(|(value, set, negated)| expr(ExprKind::In {
                    value: boxed(value),
                    set,
                    negated
                })),
            (inner.clone(), inner.clone(), inner.clone(), any::<bool>()).prop_map(
                |(value, low, high, negated)| expr(ExprKind::InRange {
                    value: boxed(value),
                    low: boxed(low),
                    high: boxed(high),
                    negated
                })
            ),
            (arith_op(), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| expr(ExprKind::Arith(op, boxed(a), boxed(b)))),
            (
                prop::sample::select(vec![Function::Min, Function::Max]),
                prop::collection::vec(inner.clone(), 1..3)
            )
                .prop_map(|(f, args)| expr(ExprKind::Call(f, args))),
            (inner, rounding()).prop_map(|(e, r)| expr(ExprKind::Round(boxed(e), r))),
        ]
    })
}

fn message() -> impl Strategy<Value = Text> {
    "[A-Za-z ,.#\"\\\\\n()é]{0,20}".prop_map(text)
}

/// `effective A..B`, `effective from A` or `effective until B`, the days
/// anywhere in credo's range (a backwards window parses; the checker refuses it).
fn window() -> impl Strategy<Value = Window> {
    let day = (1i32..=9999, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap());
    (prop::option::of(day.clone()), prop::option::of(day))
        .prop_filter("a window has a bound", |(a, b)| a.is_some() || b.is_some())
        .prop_map(|(from, until)| Window {
            from,
            until,
            span: Span::default(),
        })
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        any::<bool>(),
        name(),
        prop::option::of((any::<bool>(), expression())),
        message(),
        prop::option::of(window()),
    )
        .prop_map(|(allow, id, guard, because, window)| Rule {
            effect: if allow { Effect::Allow } else { Effect::Deny },
            id,
            window,
            guard: guard.map(|(unless, condition)| Guard { unless, condition }),
            because,
            span: Span::default(),
        })
}

fn table() -> impl Strategy<Value = Table> {
    let row = (
        prop::option::of(expression()),
        expression(),
        prop::option::of(message()),
        prop::option::of(window()),
    )
        .prop_map(|(condition, value, because, window)| Row {
            condition,
            value,
            because,
            window,
            span: Span::default(),
        });
    prop::collection::vec(row, 0..4).prop_map(|rows| Table {
        rows,
        span: Span::default(),
    })
}

fn decision() -> impl Strategy<Value = Decision> {
    let kind = prop_oneof![
        Just(DecisionKind::Eligibility),
        Just(DecisionKind::Action),
        prop::collection::vec(name(), 1..12).prop_map(DecisionKind::Classification),
        prop::sample::select(vec!["USD", "EUR"]).prop_map(|c| DecisionKind::Amount(ident(c))),
    ];
    let item = prop_oneof![
        1 => expression().prop_map(DecisionItem::Applies),
        1 => message().prop_map(DecisionItem::Note),
        1 => rounding().prop_map(|r| DecisionItem::Rounding(r, Span::default())),
        3 => rule().prop_map(DecisionItem::Rule),
        2 => table().prop_map(DecisionItem::Table),
    ];
    (
        name(),
        kind,
        prop::option::of(window()),
        prop::collection::vec(item, 0..5),
    )
        .prop_map(|(id, kind, window, items)| Decision {
            id,
            kind,
            window,
            items,
            span: Span::default(),
        })
}

fn type_expr() -> impl Strategy<Value = TypeExpr> {
    prop_oneof![
        Just(TypeExpr::Text),
        Just(TypeExpr::Bool),
        Just(TypeExpr::Int),
        Just(TypeExpr::Date),
        (prop::sample::select(vec!["USD", "JPY"]), any::<bool>()).prop_map(|(c, default)| {
            TypeExpr::Money {
                currency: ident(c),
                default,
            }
        }),
        prop::collection::vec(name(), 1..4).prop_map(TypeExpr::Enum),
    ]
}

/// Schema field names: any name, and keywords where the grammar reads them
/// as names (`fixed`, `default` and `optional` would be read as modifiers).
fn schema_field_name() -> impl Strategy<Value = Ident> {
    prop_oneof![
        3 => name(),
        1 => prop::sample::select(vec!["amount", "note", "when", "decision"]).prop_map(ident),
    ]
}

fn schema_entry() -> impl Strategy<Value = SchemaEntry> {
    let attribute = (
        schema_field_name(),
        type_expr(),
        any::<bool>(),
        prop::collection::vec(prop::sample::select(vec!["fixed", "changeable"]), 0..2),
    )
        .prop_map(|(name, ty, optional, modifiers)| {
            SchemaEntry::Attribute(Attribute {
                name,
                ty,
                optional,
                modifiers: modifiers.into_iter().map(ident).collect(),
                span: Span::default(),
            })
        });
    attribute.prop_recursive(2, 12, 4, |inner| {
        (
            any::<bool>(),
            schema_field_name(),
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(|(optional, name, entries)| {
                SchemaEntry::Record(Record {
                    optional,
                    name,
                    entries,
                    span: Span::default(),
                })
            })
    })
}

fn schema() -> impl Strategy<Value = Schema> {
    let kind = prop::sample::select(vec![
        KindName::Eligibility,
        KindName::Action,
        KindName::Classification,
        KindName::Amount,
    ]);
    let catalog = prop::collection::vec((name(), kind), 0..3).prop_map(|entries| {
        SchemaEntry::Catalog(
            entries
                .into_iter()
                .map(|(id, kind)| CatalogEntry {
                    id,
                    kind,
                    span: Span::default(),
                })
                .collect(),
        )
    });
    let entry = prop_oneof![4 => schema_entry(), 1 => catalog];
    prop::collection::vec(entry, 0..5).prop_map(|entries| Schema {
        entries,
        span: Span::default(),
    })
}

fn assertion() -> impl Strategy<Value = Assertion> {
    let claim = prop_oneof![
        prop::sample::select(vec!["deny", "not_eligible", "managed", "allow"])
            .prop_map(|o| Claim::Outcome(ident(o))),
        path().prop_map(Claim::Monotone),
        expression().prop_map(Claim::Equals),
    ];
    (name(), claim, prop::option::of(expression())).prop_map(|(decision, claim, condition)| {
        Assertion {
            decision,
            claim,
            condition,
            span: Span::default(),
        }
    })
}

fn named_condition() -> impl Strategy<Value = NamedCondition> {
    (name(), prop::option::of(window()), expression()).prop_map(|(name, window, condition)| {
        NamedCondition {
            name,
            window,
            condition,
            span: Span::default(),
        }
    })
}

fn policy_file() -> impl Strategy<Value = File> {
    let item = prop_oneof![
        1 => schema().prop_map(Item::Schema),
        3 => decision().prop_map(Item::Decision),
        1 => assertion().prop_map(Item::Assertion),
        1 => named_condition().prop_map(Item::Condition),
        1 => (name(), window(), message()).prop_map(|(decision, window, because)| Item::Gap(Gap {
            decision,
            window,
            because,
            span: Span::default(),
        })),
    ];
    prop::collection::vec(item, 0..4).prop_map(|items| File { items })
}

/// What may stand between two tokens: blanks, line breaks, comments.
fn separator() -> impl Strategy<Value = String> {
    let comment = "[ a-z\"#\\\\é]{0,10}";
    prop_oneof![
        8 => Just(" ".to_owned()),
        2 => Just("\n".to_owned()),
        1 => Just("\n\n\n\t ".to_owned()),
        1 => Just("\t".to_owned()),
        1 => Just("\r\n".to_owned()),
        2 => comment.prop_map(|c| format!(" #{c}\n")),
        1 => (comment, comment).prop_map(|(c, d)| format!("\n  #{c}\n\n#{d}\r\n  ")),
    ]
}

/// The tokens of canonical policy text: split at blanks, except in strings.
fn tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                current.push(c);
                while let Some(c) = chars.next() {
                    current.push(c);
                    match c {
                        '\\' => current.extend(chars.next()),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            ' ' | '\n' => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// A token that ends with the amount of `1500 USD` (`1500`, `(0.50`, `1..2`).
fn ends_with_amount(token: &str) -> bool {
    token.ends_with(|c: char| c.is_ascii_digit())
}

/// A token that starts with the currency of `1500 USD` (`USD`, `USD)`, `USD..3`).
fn starts_with_currency(token: &str) -> bool {
    let mut chars = token.chars();
    chars
        .by_ref()
        .take(3)
        .filter(char::is_ascii_uppercase)
        .count()
        == 3
        && chars
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
}

/// Canonical text with random separators: between the parts of `1500 USD`,
/// and between a schema entry's name and its `:` or `{`, only blanks fit;
/// between `not` and `in` only blanks and line breaks.
fn untidy(canonical: &str, separators: &[String]) -> String {
    let tokens = tokens(canonical);
    let mut out = separators.last().cloned().unwrap_or_default();
    for (i, token) in tokens.iter().enumerate() {
        out.push_str(token);
        let separator = &separators[i % separators.len()];
        match tokens.get(i + 1) {
            Some(next) if ends_with_amount(token) && starts_with_currency(next) => {
                out.push_str(&" ".repeat(1 + i % 3));
            }
            // After a schema type, a word followed on its line by `:` or `{`
            // starts the next entry; any other word is read as a modifier.
            Some(next)
                if (next.starts_with(':') || next == "{")
                    && token.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') =>
            {
                out.push_str(if separator.starts_with('\t') {
                    "\t"
                } else {
                    " "
                });
            }
            Some(next) if token == "not" && next == "in" => {
                out.push_str(if separator.contains('#') {
                    " "
                } else {
                    separator
                });
            }
            _ => out.push_str(separator),
        }
    }
    out
}

// 256 cases each by default; set PROPTEST_CASES for a longer search.
proptest! {
    #[test]
    fn generated_policies_print_canonically(file in policy_file()) {
        let canonical = fmt::print(&file);
        let parsed = credo::lang::syntax::parse(FileId(0), &canonical)
            .unwrap_or_else(|e| panic!("the printed tree does not parse: {e:?}\n{canonical}"));
        prop_assert_eq!(&parsed, &file, "printing changed the tree\n{}", canonical);
        let formatted = promises::assert_formatting_keeps_its_promises(&canonical, "canonical");
        prop_assert_eq!(formatted, canonical, "canonical text is already formatted");
    }

    #[test]
    fn untidy_generated_policies_keep_their_tree_and_comments(
        file in policy_file(),
        separators in prop::collection::vec(separator(), 1..24),
    ) {
        let canonical = fmt::print(&file);
        let input = untidy(&canonical, &separators);
        let parsed = credo::lang::syntax::parse(FileId(0), &input)
            .unwrap_or_else(|e| panic!("the untidy text does not parse: {e:?}\n{input}"));
        prop_assert_eq!(&parsed, &file, "untidy text means something else\n{}", input);
        promises::assert_formatting_keeps_its_promises(&input, "untidy");
    }
}
