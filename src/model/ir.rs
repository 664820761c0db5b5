//! The compiled form of a checked policy set: flat, index-based, with field
//! paths resolved to slots and enum members to numbers. The evaluator runs
//! on this and never sees the AST.

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::base::hash::PolicyHash;
use crate::base::money::{Currency, Money};
use crate::base::source::{Sources, Span};
use crate::base::suggest;
use crate::lang::ast::{ArithOp, CompareOp, Function, KindName, Rate, Rounding};
use crate::model::schema::{EnumId, Schema, Slot};

/// A known value. `Absent` is the declared meaning of a missing optional
/// fact (not linked, no request): it equals nothing and orders before nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Money(Money),
    Date(NaiveDate),
    Text(Arc<str>),
    /// A member of an enum, by index.
    Member(EnumId, u32),
    Absent,
}

/// A decision id the set does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no decision `{id}`{}", .suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
pub struct UnknownDecision {
    /// The id as asked for.
    pub id: String,
    /// The closest defined id, when one is close.
    pub suggestion: Option<String>,
}

/// Index of a node in [`Model::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId(pub u32);

/// A run of argument nodes in [`Model::args`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Args {
    pub start: u32,
    pub len: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Fact(Slot),
    Const(Value),
    Not(NodeId),
    And(Args),
    Or(Args),
    Compare(CompareOp, NodeId, NodeId),
    In {
        value: NodeId,
        set: Args,
        negated: bool,
    },
    InRange {
        value: NodeId,
        low: NodeId,
        high: NodeId,
        negated: bool,
    },
    Arith(ArithOp, NodeId, NodeId),
    Call(Function, Args),
    /// A named condition, by index in [`Model::conditions`]: its value is
    /// `node`'s. Every use of the condition shares this one node.
    Named {
        condition: u32,
        node: NodeId,
    },
    /// Another decision's outcome (a classification's member, or an amount),
    /// by index in [`Model::decisions`].
    Decision(u32),
    /// Money times a rate, exact: it may have more decimals than its currency.
    Scaled {
        amount: NodeId,
        rate: Rate,
    },
    /// Money rounded to its currency's minor unit. `implicit` when the
    /// decision's `rounding` put it there, not a `round(..)`.
    Round {
        value: NodeId,
        mode: Rounding,
        implicit: bool,
    },
}

/// The outcome words that are not a classification's member or an amount,
/// as policies, tests, requests and every output write them. Written here
/// once; [`Kind::outcome_words`], `Answer::word` and `Outcome::as_text` use them.
pub mod words {
    /// An eligibility's yes.
    pub const ELIGIBLE: &str = "eligible";
    /// An eligibility's no.
    pub const NOT_ELIGIBLE: &str = "not_eligible";
    /// An action's yes.
    pub const PERMIT: &str = "permit";
    /// An action's no.
    pub const DENY: &str = "deny";
    /// An action whose `applies when` is false.
    pub const NOT_APPLICABLE: &str = "not_applicable";
    /// Any decision whose missing facts leave it open.
    pub const UNDETERMINED: &str = "undetermined";
    /// Every fixed word, in the order of `Answer::fixed_index`.
    pub const FIXED: [&str; 6] = [
        ELIGIBLE,
        NOT_ELIGIBLE,
        PERMIT,
        DENY,
        NOT_APPLICABLE,
        UNDETERMINED,
    ];
}

/// What a decision's outcome can be.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Eligibility,
    Action,
    Classification(EnumId),
    Amount(Currency),
}

impl Kind {
    /// The outcomes a decision of this kind can give, in the words policies,
    /// tests, assertions, `whatif` and the service use: `eligible`,
    /// `not_eligible`; `permit`, `deny`, `not_applicable`; a classification's
    /// members. The first is the kind's yes. An amount has no words (any
    /// amount of its currency), and `undetermined` is every kind's.
    pub fn outcome_words(&self, schema: &Schema) -> Vec<String> {
        match self {
            Kind::Eligibility => vec![words::ELIGIBLE.into(), words::NOT_ELIGIBLE.into()],
            Kind::Action => vec![
                words::PERMIT.into(),
                words::DENY.into(),
                words::NOT_APPLICABLE.into(),
            ],
            Kind::Classification(id) => schema
                .enum_type(*id)
                .map(|e| e.members.clone())
                .unwrap_or_default(),
            Kind::Amount(_) => Vec::new(),
        }
    }

    pub fn name(&self) -> KindName {
        match self {
            Kind::Eligibility => KindName::Eligibility,
            Kind::Action => KindName::Action,
            Kind::Classification(_) => KindName::Classification,
            Kind::Amount(_) => KindName::Amount,
        }
    }
}

/// Where a rule or row is written, already rendered as `file:line:col`.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub span: Span,
    pub at: String,
}

/// A piece of a message with values in it: text, or a fact whose value is
/// written in its place.
#[derive(Debug, Clone, PartialEq)]
pub enum MessagePart {
    Text(String),
    Fact(Slot),
}

/// The days a version is in force, both ends included; `None` is no bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl Period {
    /// Whether `day` lies in the period.
    pub fn holds(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= day) && self.until.is_none_or(|u| day <= u)
    }

    /// The days both periods hold, `None` when there is none.
    pub fn meet(&self, other: &Period) -> Option<Period> {
        let from = self.from.max(other.from);
        let until = match (self.until, other.until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match (from, until) {
            (Some(f), Some(u)) if f > u => None,
            _ => Some(Period { from, until }),
        }
    }
}

impl fmt::Display for Period {
    /// As written after `effective`: `2026-10-01..2026-12-31`, `from 2027-01-01`, `until 2026-12-31`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = |d: NaiveDate| d.format("%Y-%m-%d");
        match (self.from, self.until) {
            (Some(a), Some(b)) => write!(f, "{}..{}", day(a), day(b)),
            (Some(a), None) => write!(f, "from {}", day(a)),
            (None, Some(b)) => write!(f, "until {}", day(b)),
            (None, None) => f.write_str("always"),
        }
    }
}

/// One version of a decision: the days it is in force and where it is
/// written; or a declared gap, with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionIr {
    pub period: Period,
    pub origin: Origin,
    /// The version's notes, shown with its outcomes.
    pub notes: Vec<String>,
    /// `gap .. because "..."`: no version is in force then, on purpose.
    pub gap: Option<String>,
}

/// An `allow` or `deny` rule. `condition` already includes `unless`'s negation;
/// `None` means the rule always fires.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleIr {
    pub id: String,
    pub condition: Option<NodeId>,
    /// Written `unless C`: `condition` is the `Not` of C.
    pub unless: bool,
    /// The days the rule is in force (its own window met with its
    /// decision version's); `condition` then tests `as_of` first.
    pub window: Option<Period>,
    /// The condition as written, without the window's test.
    pub written: Option<NodeId>,
    pub message: String,
    /// `message` with its `{path}` placeholders resolved, when it has any.
    pub parts: Option<Vec<MessagePart>>,
    pub origin: Origin,
}

/// A table row; `condition` is `None` for `otherwise`.
#[derive(Debug, Clone, PartialEq)]
pub struct RowIr {
    /// `row 2` or `otherwise`, for reasons.
    pub label: String,
    pub condition: Option<NodeId>,
    /// The days the row is in force; `condition` then tests `as_of` first.
    pub window: Option<Period>,
    /// The condition as written, without the window's test.
    pub written: Option<NodeId>,
    pub value: NodeId,
    pub message: String,
    /// `message` with its `{path}` placeholders resolved, when it has any.
    pub parts: Option<Vec<MessagePart>>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecisionIr {
    pub id: String,
    pub kind: Kind,
    pub applies: Option<NodeId>,
    pub notes: Vec<String>,
    pub denies: Vec<RuleIr>,
    pub allows: Vec<RuleIr>,
    pub rows: Vec<RowIr>,
    pub origin: Origin,
    /// Versions and declared gaps by date, for a decision written with
    /// `effective` windows; empty for one always in force.
    pub versions: Vec<VersionIr>,
}

impl DecisionIr {
    /// The version or declared gap in force on `day`, for a decision with versions.
    pub fn version_on(&self, day: NaiveDate) -> Option<&VersionIr> {
        self.versions.iter().find(|v| v.period.holds(day))
    }
}

/// An `assert` from the policies, resolved; `credo verify` proves or refutes it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertionIr {
    pub decision: String,
    pub claim: ClaimIr,
    /// Only fact combinations where this holds are considered.
    pub condition: Option<NodeId>,
    /// The assertion as written, for reports.
    pub text: String,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ClaimIr {
    /// The outcome as `credo eval` writes it: `deny`, `not_eligible`, `managed`.
    Outcome(String),
    /// Raising this fact never lowers the amount.
    Monotone(Slot),
    /// The amount equals this value.
    Equals(NodeId),
}

/// `condition NAME = CONDITION`, compiled once and shared by every use.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionIr {
    pub name: String,
    /// The condition itself (the node under its [`Node::Named`]).
    pub node: NodeId,
    pub origin: Origin,
}

/// A checked policy set as pure data: the schema, every decision and
/// assertion as flat nodes, and the hash of the text it came from. The
/// engine compiles it into a [`crate::engine::program::Program`].
#[derive(Debug, Clone)]
pub struct Model {
    pub schema: Schema,
    pub sources: Sources,
    pub decisions: Vec<DecisionIr>,
    pub assertions: Vec<AssertionIr>,
    /// Named conditions, in source order.
    pub conditions: Vec<ConditionIr>,
    pub nodes: Vec<Node>,
    pub args: Vec<NodeId>,
    /// The slot of `as_of`, which the evaluation date fills.
    pub as_of: Option<Slot>,
    /// The content hash of the policy text this model was checked from.
    pub policy_hash: PolicyHash,
}

impl Model {
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.0 as usize)
    }

    pub fn args(&self, args: Args) -> &[NodeId] {
        let start = args.start as usize;
        self.args
            .get(start..start + args.len as usize)
            .unwrap_or(&[])
    }

    pub fn decision(&self, id: &str) -> Option<&DecisionIr> {
        self.decisions.iter().find(|d| d.id == id)
    }

    /// The ids asked for, each once in the order first asked, or the first
    /// one the set does not define, with the closest id it does.
    pub fn decisions_asked(&self, ids: &[String]) -> Result<Vec<String>, UnknownDecision> {
        let mut chosen: Vec<String> = Vec::with_capacity(ids.len());
        for id in ids {
            if self.decision(id).is_none() {
                let known = self.decisions.iter().map(|d| d.id.as_str());
                return Err(UnknownDecision {
                    id: id.clone(),
                    suggestion: suggest::closest(id, known).map(str::to_owned),
                });
            }
            if !chosen.contains(id) {
                chosen.push(id.clone());
            }
        }
        Ok(chosen)
    }

    /// The nodes a node reads, in evaluation order (a named condition reads its condition).
    pub fn operands(&self, node: &Node) -> Vec<NodeId> {
        match node {
            Node::Fact(_) | Node::Const(_) | Node::Decision(_) => Vec::new(),
            Node::Not(inner)
            | Node::Named { node: inner, .. }
            | Node::Scaled { amount: inner, .. }
            | Node::Round { value: inner, .. } => vec![*inner],
            Node::And(args) | Node::Or(args) | Node::Call(_, args) => self.args(*args).to_vec(),
            Node::Compare(_, a, b) | Node::Arith(_, a, b) => vec![*a, *b],
            Node::In { value, set, .. } => {
                let mut all = vec![*value];
                all.extend_from_slice(self.args(*set));
                all
            }
            Node::InRange {
                value, low, high, ..
            } => vec![*value, *low, *high],
        }
    }

    /// The roots of every expression a decision evaluates.
    pub fn roots(d: &DecisionIr) -> impl Iterator<Item = NodeId> + '_ {
        d.applies
            .into_iter()
            .chain(d.denies.iter().chain(&d.allows).filter_map(|r| r.condition))
            .chain(
                d.rows
                    .iter()
                    .flat_map(|r| r.condition.into_iter().chain([r.value])),
            )
    }

    /// The decisions (by index) a decision uses directly, each once, in the
    /// order first used.
    pub fn uses(&self, d: &DecisionIr) -> Vec<u32> {
        let mut used = Vec::new();
        self.visit(d, |node| {
            if let Node::Decision(i) = node
                && !used.contains(i)
            {
                used.push(*i);
            }
        });
        used
    }

    /// Whether any node a decision evaluates is one `wanted` picks.
    pub fn reaches(&self, d: &DecisionIr, wanted: impl Fn(&Node) -> bool) -> bool {
        let mut found = false;
        self.visit(d, |node| found |= wanted(node));
        found
    }

    /// Every node a decision evaluates, in evaluation order (a used
    /// decision's own nodes are not visited).
    fn visit(&self, d: &DecisionIr, mut each: impl FnMut(&Node)) {
        let mut stack: Vec<NodeId> = Model::roots(d).collect();
        stack.reverse();
        while let Some(n) = stack.pop() {
            if let Some(node) = self.node(n) {
                each(node);
                let mut inner = self.operands(node);
                inner.reverse();
                stack.extend(inner);
            }
        }
    }
}

/// A node printed back as policy text, canonically (as [`crate::lang::ast::Expr`]'s
/// `Display` prints it): only the parentheses that are needed.
pub struct Shown<'p> {
    program: &'p Model,
    node: NodeId,
    /// Parenthesise when the node binds looser than this.
    min: u8,
}

impl Model {
    /// Prints a node as the source expression it was compiled from.
    pub fn show(&self, node: NodeId) -> Shown<'_> {
        Shown {
            program: self,
            node,
            min: 0,
        }
    }

    /// A value as policy text: `smb`, `"bc-77"`, `1500.00 USD`, `absent`.
    pub fn show_value(&self, value: &Value) -> String {
        match value {
            Value::Bool(b) => b.to_string(),
            Value::Int(n) => n.to_string(),
            Value::Money(m) => m.to_string(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
            Value::Text(t) => format!("\"{}\"", crate::lang::ast::escape(t)),
            Value::Member(e, i) => self.schema.member_name(*e, *i).to_owned(),
            Value::Absent => "absent".to_owned(),
        }
    }

    /// Binding strength, as in the AST printer.
    fn precedence(&self, node: NodeId) -> u8 {
        match self.node(node) {
            Some(Node::Or(_)) => 1,
            Some(Node::And(_)) => 2,
            Some(Node::Not(_)) => 3,
            Some(Node::Compare(..) | Node::In { .. } | Node::InRange { .. }) => 4,
            Some(Node::Arith(ArithOp::Add | ArithOp::Sub, ..)) => 5,
            Some(Node::Arith(ArithOp::Mul, ..) | Node::Scaled { .. }) => 6,
            Some(Node::Round {
                value,
                implicit: true,
                ..
            }) => self.precedence(*value),
            _ => 7,
        }
    }
}

impl Shown<'_> {
    fn operand(&self, node: NodeId, min: u8) -> Shown<'_> {
        Shown {
            program: self.program,
            node,
            min,
        }
    }

    fn join(&self, f: &mut fmt::Formatter<'_>, args: Args, sep: &str, min: u8) -> fmt::Result {
        for (i, arg) in self.program.args(args).iter().enumerate() {
            if i > 0 {
                f.write_str(sep)?;
            }
            write!(f, "{}", self.operand(*arg, min))?;
        }
        Ok(())
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.program.precedence(self.node) < self.min {
            return write!(f, "({})", self.operand(self.node, 0));
        }
        let not = |negated: bool| if negated { "not " } else { "" };
        match self.program.node(self.node) {
            None => f.write_str("?"),
            Some(Node::Fact(slot)) => match self.program.schema.field(*slot) {
                Some(field) => f.write_str(&field.path),
                None => f.write_str("?"),
            },
            // Literals as written: `150000 USD`, not the rescaled `150000.00 USD`.
            Some(Node::Const(Value::Money(m))) => write!(f, "{} {}", m.amount, m.currency),
            Some(Node::Const(v)) => f.write_str(&self.program.show_value(v)),
            Some(Node::Not(inner)) => write!(f, "not {}", self.operand(*inner, 3)),
            Some(Node::And(args)) => self.join(f, *args, " and ", 3),
            Some(Node::Or(args)) => self.join(f, *args, " or ", 2),
            Some(Node::Compare(op, a, b)) => write!(
                f,
                "{} {} {}",
                self.operand(*a, 5),
                op.as_str(),
                self.operand(*b, 5)
            ),
            Some(Node::In {
                value,
                set,
                negated,
            }) => {
                write!(f, "{} {}in [", self.operand(*value, 5), not(*negated))?;
                self.join(f, *set, ", ", 5)?;
                f.write_str("]")
            }
            Some(Node::InRange {
                value,
                low,
                high,
                negated,
            }) => write!(
                f,
                "{} {}in {}..{}",
                self.operand(*value, 5),
                not(*negated),
                self.operand(*low, 5),
                self.operand(*high, 5)
            ),
            Some(Node::Arith(op, a, b)) => {
                let min = if *op == ArithOp::Mul { 6 } else { 5 };
                write!(
                    f,
                    "{} {} {}",
                    self.operand(*a, min),
                    op.as_str(),
                    self.operand(*b, min + 1)
                )
            }
            Some(Node::Call(func, args)) => {
                write!(f, "{}(", func.as_str())?;
                self.join(f, *args, ", ", 0)?;
                f.write_str(")")
            }
            Some(Node::Named { condition, .. }) => {
                match self.program.conditions.get(*condition as usize) {
                    Some(c) => f.write_str(&c.name),
                    None => f.write_str("?"),
                }
            }
            Some(Node::Decision(index)) => match self.program.decisions.get(*index as usize) {
                Some(d) => f.write_str(&d.id),
                None => f.write_str("?"),
            },
            Some(Node::Scaled { amount, rate }) => {
                write!(f, "{} * {rate}", self.operand(*amount, 6))
            }
            // The decision's `rounding` put it there: the source shows the value alone.
            Some(Node::Round {
                value,
                implicit: true,
                ..
            }) => write!(f, "{}", self.operand(*value, 0)),
            Some(Node::Round { value, mode, .. }) => {
                write!(f, "round({}, {})", self.operand(*value, 0), mode.as_str())
            }
        }
    }
}
