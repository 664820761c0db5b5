//! The program the engine runs: a checked [`Model`] together with its
//! compiled hot-path form, built once when a policy set is loaded.

use std::ops::Deref;

use crate::engine::hot::Code;
use crate::model::ir::Model;

/// A checked policy set compiled for evaluation. It reads as its [`Model`]
/// (`program.decisions`, `program.schema`); the compiled form stays inside
/// the engine, so nothing before it depends on how it evaluates.
#[derive(Debug, Clone)]
pub struct Program {
    model: Model,
    pub(crate) hot: Code,
}

impl Program {
    /// Compiles a checked model: decision tables, fact regions and the
    /// rule-by-rule plans of the hot path.
    pub fn compile(model: Model) -> Program {
        let hot = Code::compile(&model);
        Program { model, hot }
    }

    /// The checked model this program was compiled from.
    pub fn model(&self) -> &Model {
        &self.model
    }
}

impl Deref for Program {
    type Target = Model;

    fn deref(&self) -> &Model {
        &self.model
    }
}
