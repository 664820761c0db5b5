//! What every phase stands on: policy sources and spans, size limits, exact
//! money, and "did you mean" suggestions.

pub mod hash;
pub mod limits;
pub mod money;
pub mod source;
pub mod suggest;

/// `1 error`, `2 errors`: a count with its noun, in the right number.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
