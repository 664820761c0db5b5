//! Reading IR expressions: their types and the facts they read.

use std::collections::BTreeSet;

use crate::engine::program::Program;
use crate::model::ir::{Node, NodeId, Value};
use crate::model::schema::{Slot, Type};

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
