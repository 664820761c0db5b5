//! The language: text to a span-carrying AST (`syntax`, the only pest user),
//! the diagnostics every phase reports through, and the formatter that
//! prints the AST back.

pub mod ast;
pub mod codes;
pub mod diagnostics;
pub mod fmt;
pub mod syntax;
