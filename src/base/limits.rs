//! How large and how deep an input credo accepts. Past a limit, credo
//! reports a clear error instead of running out of stack, memory or time.
//!
//! Sizes a user may reasonably need to raise are fields of [`Limits`] (the
//! CLI has a flag for each); depths that only guard the stack are constants.

/// Brackets and `not`s nested in a policy, counted before parsing
/// ([`crate::lang::syntax::MAX_NESTING`]).
pub const MAX_NESTING: usize = crate::lang::syntax::MAX_NESTING;

/// `+`, `-` and `*` in one chain, such as `a + b + c`.
pub const MAX_CHAIN: usize = 256;

/// Height of one expression tree: chains inside brackets inside chains.
pub const MAX_EXPRESSION_DEPTH: usize = 320;

/// Named conditions used inside named conditions: each level is checked,
/// shown and evaluated inside the one that uses it.
pub const MAX_CONDITION_DEPTH: usize = 64;

/// Decisions used inside decisions (through named conditions or not): a
/// used decision is decided inside the decision that uses it, with frames
/// of its own on the stack at each level.
pub const MAX_DECISION_DEPTH: usize = 16;

/// Nodes in one decision written out: each named condition counted at
/// every place it is used, as the tools that trace, verify and compile it
/// see it. Conditions that use each other twice would otherwise double it
/// at each level.
pub const MAX_WRITTEN_OUT: u64 = 1_000_000;

/// Diagnostics rendered as text in one run; the rest are counted. Each may
/// quote a source line, so a thousand errors on one long line would print
/// gigabytes.
pub const MAX_DIAGNOSTICS_SHOWN: usize = 100;

/// Longest source line quoted under a diagnostic; a longer one is named by
/// `file:line:column` alone.
pub const MAX_QUOTED_LINE: usize = 500;

/// Levels of nesting in a fact document (the YAML and JSON readers' own limit).
pub const MAX_FACT_DEPTH: usize = 128;

/// The sizes credo accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes in one policy file.
    pub max_policy_bytes: usize,
    /// `.credo` files in one policy set.
    pub max_policy_files: usize,
    /// Bytes in one fact document.
    pub max_fact_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_policy_bytes: 1 << 20,
            max_policy_files: 1000,
            max_fact_bytes: 1 << 20,
        }
    }
}

/// `1048576 bytes (1 MiB)`: a size for messages.
pub fn bytes(n: usize) -> String {
    const MIB: usize = 1 << 20;
    const KIB: usize = 1 << 10;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{n} bytes ({} MiB)", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{n} bytes ({} KiB)", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// A value shown in a message: at most 60 characters, then `…`.
pub fn clip(text: &str) -> String {
    let mut chars = text.chars();
    let shown: String = chars.by_ref().take(60).collect();
    if chars.next().is_some() {
        format!("{shown}…")
    } else {
        shown
    }
}
