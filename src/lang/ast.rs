//! The typed syntax tree of policy files.
//!
//! Every node carries a [`Span`]; spans are left out of equality, so two
//! trees are equal when they say the same thing. `Display` prints the
//! canonical source form, used in messages and snapshots.

use std::fmt;

use chrono::NaiveDate;

use crate::base::money::Money;
use crate::base::source::Span;

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

/// One policy file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Schema(Schema),
    Decision(Decision),
    Assertion(Assertion),
    Condition(NamedCondition),
    Gap(Gap),
}

/// `effective A..B`, `effective from A`, `effective until B`: the days, both
/// ends included, on which what carries it is in force. `None` is no bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub span: Span,
}

impl Window {
    /// Whether `day` lies in the window.
    pub fn holds(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= day) && self.until.is_none_or(|u| day <= u)
    }
}

impl fmt::Display for Window {
    /// The canonical form, as `fmt` prints it: `effective 2026-10-01..2026-12-31`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = |d: NaiveDate| d.format("%Y-%m-%d");
        match (self.from, self.until) {
            (Some(a), Some(b)) => write!(f, "effective {}..{}", day(a), day(b)),
            (Some(a), None) => write!(f, "effective from {}", day(a)),
            (None, Some(b)) => write!(f, "effective until {}", day(b)),
            // Not written by the parser; reads back as the whole of time.
            (None, None) => write!(f, "effective from 0001-01-01"),
        }
    }
}

/// `gap DECISION effective WINDOW because "..."`: days on which, on purpose,
/// no version of the decision is in force.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub decision: Ident,
    pub window: Window,
    pub because: Text,
    pub span: Span,
}

/// `condition NAME = CONDITION`: a condition with a name, usable wherever a
/// condition is, across the whole policy set.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedCondition {
    pub name: Ident,
    /// The days this version of the condition is in force; `None`: always.
    pub window: Option<Window>,
    pub condition: Expr,
    pub span: Span,
}

/// `assert DECISION CLAIM [when CONDITION]`: a property `credo verify` checks
/// for every fact combination that satisfies the condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    pub decision: Ident,
    pub claim: Claim,
    pub condition: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// `is deny`: the outcome, as `credo eval` writes it.
    Outcome(Ident),
    /// `is monotone in agency.client_spend`: raising the fact never lowers the amount.
    Monotone(Expr),
    /// `== account.unused_credit`: the amount equals this value.
    Equals(Expr),
}

/// `schema { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub entries: Vec<SchemaEntry>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SchemaEntry {
    Record(Record),
    Attribute(Attribute),
    Catalog(Vec<CatalogEntry>),
}

/// `account { ... }`; an optional record may be absent as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub optional: bool,
    pub name: Ident,
    pub entries: Vec<SchemaEntry>,
    pub span: Span,
}

/// `created_via: enum { ads_manager, business_center, agency } fixed`
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: Ident,
    pub ty: TypeExpr,
    /// Absence is a known value ("not linked"), not an unknown.
    pub optional: bool,
    pub modifiers: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    Text,
    Bool,
    Int,
    Date,
    /// `money USD`; `default` accepts plain integers in that currency.
    Money {
        currency: Ident,
        default: bool,
    },
    Enum(Vec<Ident>),
}

/// `credit_track: classification` in a `decisions { }` block.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntry {
    pub id: Ident,
    pub kind: KindName,
    pub span: Span,
}

/// The four kinds of decision, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KindName {
    Eligibility,
    Action,
    Classification,
    Amount,
}

impl KindName {
    pub fn as_str(self) -> &'static str {
        match self {
            KindName::Eligibility => "eligibility",
            KindName::Action => "action",
            KindName::Classification => "classification",
            KindName::Amount => "amount",
        }
    }
}

/// `decision ID: KIND { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub id: Ident,
    pub kind: DecisionKind,
    /// The days this version of the decision is in force; `None`: always.
    pub window: Option<Window>,
    pub items: Vec<DecisionItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DecisionKind {
    Eligibility,
    Action,
    Classification(Vec<Ident>),
    /// The currency every amount of the decision is in.
    Amount(Ident),
}

impl DecisionKind {
    pub fn name(&self) -> KindName {
        match self {
            DecisionKind::Eligibility => KindName::Eligibility,
            DecisionKind::Action => KindName::Action,
            DecisionKind::Classification(_) => KindName::Classification,
            DecisionKind::Amount(_) => KindName::Amount,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum DecisionItem {
    /// `applies when COND`: otherwise the decision is not applicable.
    Applies(Expr),
    /// `rounding half_up`: rounds every money × rate of the decision not in a `round(..)`.
    Rounding(Rounding, Span),
    Note(Text),
    Rule(Rule),
    Table(Table),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `deny ID when COND because "..."`; an `allow` may have no guard.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub effect: Effect,
    pub id: Ident,
    /// The days this version of the rule is in force; `None`: always.
    pub window: Option<Window>,
    pub guard: Option<Guard>,
    pub because: Text,
    pub span: Span,
}

/// `when COND`, or `unless COND` (the rule fires when COND is false).
#[derive(Debug, Clone, PartialEq)]
pub struct Guard {
    pub unless: bool,
    pub condition: Expr,
}

/// `first { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub rows: Vec<Row>,
    pub span: Span,
}

/// `when COND => VALUE because "..."`; `condition` is `None` for `otherwise`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub condition: Option<Expr>,
    pub value: Expr,
    pub because: Option<Text>,
    /// The days the row is in force; `None`: always.
    pub window: Option<Window>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `account.created_via`, or a bare name: a top-level fact or an enum member.
    Path(Vec<Ident>),
    Int(i64),
    Money(Money),
    Date(NaiveDate),
    Bool(bool),
    Text(String),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Compare(CompareOp, Box<Expr>, Box<Expr>),
    /// `x in [a, b]` or `x not in [a, b]`.
    In {
        value: Box<Expr>,
        set: Vec<Expr>,
        negated: bool,
    },
    /// `x in low..high`, both ends included.
    InRange {
        value: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Call(Function, Vec<Expr>),
    /// `2.5%` or `0.025`: a rate, which only multiplies money.
    Rate(Rate),
    /// `round(VALUE, half_even)`: money rounded to its currency's minor unit.
    Round(Box<Expr>, Rounding),
}

/// A rate as written: `2.5%` (`percent`) or the factor `0.025`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub written: rust_decimal::Decimal,
    pub percent: bool,
}

impl Rate {
    /// The factor money is multiplied by: `2.5%` is 0.025. `None` for a
    /// percentage whose factor needs more than 28 decimals (a division by
    /// 100 would round it).
    pub fn factor(&self) -> Option<rust_decimal::Decimal> {
        if !self.percent {
            return Some(self.written);
        }
        let written = self.written.normalize();
        rust_decimal::Decimal::try_from_i128_with_scale(written.mantissa(), written.scale() + 2)
            .ok()
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.written, if self.percent { "%" } else { "" })
    }
}

/// How an exact amount is rounded to its currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// To the nearest; a tie to the even digit (banker's rounding).
    HalfEven,
    /// To the nearest; a tie away from zero.
    HalfUp,
    /// To the nearest; a tie toward zero.
    HalfDown,
    /// Away from zero.
    Up,
    /// Toward zero.
    Down,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceiling,
}

impl Rounding {
    pub const ALL: [Rounding; 7] = [
        Rounding::HalfEven,
        Rounding::HalfUp,
        Rounding::HalfDown,
        Rounding::Up,
        Rounding::Down,
        Rounding::Floor,
        Rounding::Ceiling,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::HalfEven => "half_even",
            Rounding::HalfUp => "half_up",
            Rounding::HalfDown => "half_down",
            Rounding::Up => "up",
            Rounding::Down => "down",
            Rounding::Floor => "floor",
            Rounding::Ceiling => "ceiling",
        }
    }

    pub fn from_word(word: &str) -> Option<Rounding> {
        Rounding::ALL.into_iter().find(|r| r.as_str() == word)
    }

    /// `amount` rounded to `digits` decimals, and written with exactly that
    /// many when it fits (`5.00`, not `5`).
    pub fn apply(self, amount: rust_decimal::Decimal, digits: u32) -> rust_decimal::Decimal {
        let rounded = amount.round_dp_with_strategy(digits, self.strategy());
        let mut written = rounded;
        written.rescale(digits);
        if written == rounded { written } else { rounded }
    }

    pub fn strategy(self) -> rust_decimal::RoundingStrategy {
        use rust_decimal::RoundingStrategy as S;
        match self {
            Rounding::HalfEven => S::MidpointNearestEven,
            Rounding::HalfUp => S::MidpointAwayFromZero,
            Rounding::HalfDown => S::MidpointTowardZero,
            Rounding::Up => S::AwayFromZero,
            Rounding::Down => S::ToZero,
            Rounding::Floor => S::ToNegativeInfinity,
            Rounding::Ceiling => S::ToPositiveInfinity,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }

    /// Whether two values ordered as `ordering` satisfy the operator.
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CompareOp::Eq => ordering == Equal,
            CompareOp::Ne => ordering != Equal,
            CompareOp::Lt => ordering == Less,
            CompareOp::Le => ordering != Greater,
            CompareOp::Gt => ordering == Greater,
            CompareOp::Ge => ordering != Less,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
}

impl ArithOp {
    pub fn as_str(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Min,
    Max,
}

impl Function {
    pub fn as_str(self) -> &'static str {
        match self {
            Function::Min => "min",
            Function::Max => "max",
        }
    }
}

impl Expr {
    /// Binding strength, for printing only the parentheses that are needed.
    fn precedence(&self) -> u8 {
        match &self.kind {
            ExprKind::Or(_) => 1,
            ExprKind::And(_) => 2,
            ExprKind::Not(_) => 3,
            ExprKind::Compare(..) | ExprKind::In { .. } | ExprKind::InRange { .. } => 4,
            ExprKind::Arith(ArithOp::Add | ArithOp::Sub, ..) => 5,
            ExprKind::Arith(ArithOp::Mul, ..) => 6,
            // A negative rate prints with its sign, as a negative number does.
            _ => 7,
        }
    }
}

/// Prints `expr`, parenthesised when it binds looser than `min`.
struct Operand<'a>(&'a Expr, u8);

impl fmt::Display for Operand<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.precedence() < self.1 {
            write!(f, "({})", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

fn join(f: &mut fmt::Formatter<'_>, items: &[Expr], sep: &str, min: u8) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{}", Operand(item, min))?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Path(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(&part.name)?;
                }
                Ok(())
            }
            ExprKind::Int(n) => write!(f, "{n}"),
            ExprKind::Money(m) => write!(f, "{} {}", m.amount, m.currency),
            ExprKind::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Text(t) => write!(f, "\"{}\"", escape(t)),
            ExprKind::Not(inner) => write!(f, "not {}", Operand(inner, 3)),
            ExprKind::And(items) => join(f, items, " and ", 3),
            ExprKind::Or(items) => join(f, items, " or ", 2),
            ExprKind::Compare(op, a, b) => {
                write!(f, "{} {} {}", Operand(a, 5), op.as_str(), Operand(b, 5))
            }
            ExprKind::In {
                value,
                set,
                negated,
            } => {
                write!(
                    f,
                    "{} {}in [",
                    Operand(value, 5),
                    if *negated { "not " } else { "" }
                )?;
                join(f, set, ", ", 5)?;
                f.write_str("]")
            }
            ExprKind::InRange {
                value,
                low,
                high,
                negated,
            } => write!(
                f,
                "{} {}in {}..{}",
                Operand(value, 5),
                if *negated { "not " } else { "" },
                Operand(low, 5),
                Operand(high, 5)
            ),
            ExprKind::Arith(op, a, b) => {
                let min = if *op == ArithOp::Mul { 6 } else { 5 };
                // Left-associative: the right operand needs parentheses at equal strength.
                write!(
                    f,
                    "{} {} {}",
                    Operand(a, min),
                    op.as_str(),
                    Operand(b, min + 1)
                )
            }
            ExprKind::Call(func, args) => {
                write!(f, "{}(", func.as_str())?;
                join(f, args, ", ", 0)?;
                f.write_str(")")
            }
            ExprKind::Rate(rate) => write!(f, "{rate}"),
            ExprKind::Round(value, mode) => write!(f, "round({value}, {})", mode.as_str()),
        }
    }
}

/// Escapes a string for a `"..."` literal.
pub fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
