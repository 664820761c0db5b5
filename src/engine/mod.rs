//! Evaluation: the three-valued evaluator, the compiled hot path, the
//! compact verdicts it fills, the outcomes they become, and their rendering.

pub(crate) mod combine;
pub mod eval;
pub(crate) mod hot;
pub mod outcome;
pub mod program;
pub mod render;
pub mod verdict;
