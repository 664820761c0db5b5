//! Test support: the reference evaluator the compiled one is checked
//! against, and the generator of policy sets and accounts.

pub mod reference;
pub mod synth;
