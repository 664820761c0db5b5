//! The checked model: the fact schema, the checker, and the flat IR it
//! emits (slots, interned members, nodes).

pub mod check;
pub mod ir;
pub mod schema;
