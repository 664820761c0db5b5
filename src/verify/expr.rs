//! Reading IR expressions: their types, the facts they read, and their text.

use std::collections::BTreeSet;

use crate::ast::ArithOp;
use crate::ir::{Node, NodeId, Program, Value};
use crate::schema::{Slot, Type};

/// The type of an expression, from its facts and constants.
pub fn type_of(program: &Program, node: NodeId) -> Option<Type> {
    match program.node(node)? {
        Node::Fact(slot) => program.schema.field(*slot).map(|f| f.ty),
        Node::Const(v) => match v {
            Value::Bool(_) => Some(Type::Bool),
            Value::Int(_) => Some(Type::Int),
            Value::Money(m) => Some(Type::Money(m.currency)),
            Value::Date(_) => Some(Type::Date),
            Value::Text(_) => Some(Type::Text),
            Value::Member(id, _) => Some(Type::Enum(*id)),
            Value::Absent => None,
        },
        Node::Not(_)
        | Node::And(_)
        | Node::Or(_)
        | Node::Compare(..)
        | Node::In { .. }
        | Node::InRange { .. } => Some(Type::Bool),
        Node::Arith(_, a, b) => {
            let (ta, tb) = (type_of(program, *a), type_of(program, *b));
            match (ta, tb) {
                (Some(Type::Money(c)), _) | (_, Some(Type::Money(c))) => Some(Type::Money(c)),
                _ => ta.or(tb),
            }
        }
        Node::Call(_, args) => program
            .args(*args)
            .iter()
            .find_map(|a| type_of(program, *a)),
    }
}

/// Every fact an expression reads.
pub fn collect_facts(program: &Program, node: NodeId, into: &mut BTreeSet<Slot>) {
    let Some(n) = program.node(node) else {
        return;
    };
    match n {
        Node::Fact(slot) => {
            into.insert(*slot);
        }
        Node::Const(_) => {}
        Node::Not(a) => collect_facts(program, *a, into),
        Node::And(args) | Node::Or(args) | Node::Call(_, args) => {
            for a in program.args(*args) {
                collect_facts(program, *a, into);
            }
        }
        Node::Compare(_, a, b) | Node::Arith(_, a, b) => {
            collect_facts(program, *a, into);
            collect_facts(program, *b, into);
        }
        Node::In { value, set, .. } => {
            collect_facts(program, *value, into);
            for a in program.args(*set) {
                collect_facts(program, *a, into);
            }
        }
        Node::InRange {
            value, low, high, ..
        } => {
            for a in [value, low, high] {
                collect_facts(program, *a, into);
            }
        }
    }
}

/// How tightly an expression binds, as the grammar reads it.
fn precedence(node: Option<&Node>) -> u8 {
    match node {
        Some(Node::Or(_)) => 1,
        Some(Node::And(_)) => 2,
        Some(Node::Not(_)) => 3,
        Some(Node::Compare(..) | Node::In { .. } | Node::InRange { .. }) => 4,
        Some(Node::Arith(ArithOp::Add | ArithOp::Sub, ..)) => 5,
        Some(Node::Arith(ArithOp::Mul, ..)) => 6,
        _ => 7,
    }
}

/// An expression as policy text, for reports.
pub fn show(program: &Program, node: NodeId) -> String {
    let Some(n) = program.node(node) else {
        return "?".into();
    };
    // An operand, in parentheses when it binds looser than `min`.
    let operand = |id: NodeId, min: u8| {
        let text = show(program, id);
        if precedence(program.node(id)) < min {
            format!("({text})")
        } else {
            text
        }
    };
    let list = |args: crate::ir::Args| {
        program
            .args(args)
            .iter()
            .map(|a| show(program, *a))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match n {
        Node::Fact(slot) => program
            .schema
            .field(*slot)
            .map_or_else(|| "?".into(), |f| f.path.clone()),
        Node::Const(v) => show_value(program, v),
        Node::Not(a) => format!("not {}", operand(*a, 3)),
        Node::And(args) | Node::Or(args) => {
            let (word, min) = if matches!(n, Node::And(_)) {
                (" and ", 3)
            } else {
                (" or ", 2)
            };
            program
                .args(*args)
                .iter()
                .map(|a| operand(*a, min))
                .collect::<Vec<_>>()
                .join(word)
        }
        Node::Compare(op, a, b) => {
            format!("{} {} {}", operand(*a, 5), op.as_str(), operand(*b, 5))
        }
        Node::In {
            value,
            set,
            negated,
        } => format!(
            "{} {}in [{}]",
            operand(*value, 5),
            if *negated { "not " } else { "" },
            list(*set)
        ),
        Node::InRange {
            value,
            low,
            high,
            negated,
        } => format!(
            "{} {}in {}..{}",
            operand(*value, 5),
            if *negated { "not " } else { "" },
            operand(*low, 5),
            operand(*high, 5)
        ),
        Node::Arith(op, a, b) => {
            let min = if *op == ArithOp::Mul { 6 } else { 5 };
            format!(
                "{} {} {}",
                operand(*a, min),
                op.as_str(),
                operand(*b, min + 1)
            )
        }
        Node::Call(f, args) => format!("{}({})", f.as_str(), list(*args)),
    }
}

/// A value as policy text: `1500.00 USD`, `ads_manager`, `2026-10-01`.
pub fn show_value(program: &Program, value: &Value) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Money(m) => m.to_string(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        Value::Text(t) => format!("\"{}\"", crate::ast::escape(t)),
        Value::Member(id, i) => program.schema.member_name(*id, *i).to_owned(),
        Value::Absent => "absent".into(),
    }
}
