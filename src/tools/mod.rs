//! The tools built on the engine: explain, coverage and policy tests,
//! verify, whatif, diff and batch; test-file problems as diagnostics.

pub mod batch;
pub mod codes;
pub mod coverage;
pub mod diff;
pub mod explain;
#[cfg(feature = "lsp")]
pub mod lsp;
pub mod policy_tests;
pub mod problems;
#[cfg(feature = "serve")]
pub mod serve;
pub mod snapshot;
#[cfg(feature = "studio")]
pub mod studio;
pub mod verify;
pub mod whatif;
