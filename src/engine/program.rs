//! The program the engine runs: a checked [`Model`] together with its
//! compiled hot-path form, built once when a policy set is loaded.

use std::ops::Deref;

use crate::engine::hot::{Code, Frame, Hot};
use crate::input::facts::Facts;
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

    /// One account's facts with the typed frame of the facts this program
    /// tests, built once (when the facts are loaded) for
    /// [`Program::decide_framed_into`], which then reads each tested fact as
    /// a packed integer instead of a [`crate::model::ir::Value`].
    pub fn framed(&self, facts: Facts) -> Framed {
        let mut frame = Frame::default();
        Hot::fill_frame(&self.hot, &facts, &mut frame);
        Framed { facts, frame }
    }
}

/// An account's facts and their frame for one program ([`Program::framed`]).
/// It holds both, and hands the facts out only to read, so the frame cannot
/// go stale; a program it was not built for reads the facts instead.
#[derive(Debug, Clone)]
pub struct Framed {
    facts: Facts,
    frame: Frame,
}

impl Framed {
    /// The facts the frame was built from.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// The facts, giving up the frame.
    pub fn into_facts(self) -> Facts {
        self.facts
    }

    pub(crate) fn frame(&self) -> &Frame {
        &self.frame
    }
}

impl Deref for Program {
    type Target = Model;

    fn deref(&self) -> &Model {
        &self.model
    }
}
