//! What every phase stands on: policy sources and spans, bounded reading
//! and atomic writing, size limits, exact money, and "did you mean"
//! suggestions.

pub mod dates;
pub mod dir;
pub mod escape;
pub mod hash;
pub mod io;
pub mod limits;
pub mod money;
pub mod source;
pub mod suggest;

/// Stable codes, each written once: a documented constant per code, and
/// `BOOK`, every code with its summary, for `credo codes`.
macro_rules! code_book {
    ($($(#[doc = $summary:literal])+ pub const $name:ident: &str = $code:literal;)*) => {
        $($(#[doc = $summary])+ pub const $name: &str = $code;)*
        /// Every code with its summary, in order.
        pub const BOOK: &[(&str, &str)] = &[$(($code, concat!($($summary),+))),*];
    };
}
pub(crate) use code_book;

/// `1 error`, `2 errors`: a count with its noun, in the right number.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
