//! What every phase stands on: policy sources and spans, size limits, exact
//! money, and "did you mean" suggestions.

pub mod dates;
pub mod dir;
pub mod escape;
pub mod limits;
pub mod money;
pub mod source;
pub mod suggest;
