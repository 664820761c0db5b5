//! What every phase stands on: policy sources and spans, bounded reading
//! and atomic writing, size limits, exact money, and "did you mean"
//! suggestions.

pub mod io;
pub mod limits;
pub mod money;
pub mod source;
pub mod suggest;
