//! The compiled form of a checked policy set: flat, index-based, with field
//! paths resolved to slots and enum members to numbers. The evaluator runs
//! on this and never sees the AST.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::ast::{ArithOp, CompareOp, Function, KindName};
use crate::money::{Currency, Money};
use crate::schema::{EnumId, Schema, Slot};
use crate::source::{Sources, Span};

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

/// Index of a node in [`Program::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId(pub u32);

/// A run of argument nodes in [`Program::args`].
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

/// An `allow` or `deny` rule. `condition` already includes `unless`'s negation;
/// `None` means the rule always fires.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleIr {
    pub id: String,
    pub condition: Option<NodeId>,
    pub message: String,
    pub origin: Origin,
}

/// A table row; `condition` is `None` for `otherwise`.
#[derive(Debug, Clone, PartialEq)]
pub struct RowIr {
    /// `row 2` or `otherwise`, for reasons.
    pub label: String,
    pub condition: Option<NodeId>,
    pub value: NodeId,
    pub message: String,
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

/// A checked, compiled policy set, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Program {
    pub schema: Schema,
    pub sources: Sources,
    pub decisions: Vec<DecisionIr>,
    pub assertions: Vec<AssertionIr>,
    pub nodes: Vec<Node>,
    pub args: Vec<NodeId>,
    /// The slot of `as_of`, which the evaluation date fills.
    pub as_of: Option<Slot>,
    /// The conditions again, in the hot path's compiled form.
    pub(crate) hot: crate::hot::Code,
}

impl Program {
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
}
