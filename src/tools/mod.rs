//! The tools built on the engine: explain, coverage and policy tests,
//! verify, whatif, diff and batch.

pub mod batch;
pub mod codes;
pub mod coverage;
pub mod diff;
pub mod explain;
#[cfg(feature = "lsp")]
pub mod lsp;
pub mod policy_tests;
#[cfg(feature = "serve")]
pub mod serve;
pub mod snapshot;
#[cfg(feature = "studio")]
pub mod studio;
pub mod verify;
pub mod whatif;
