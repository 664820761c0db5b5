//! How much work one `credo verify` run may do, across every decision and
//! assertion.
//!
//! The budget is counted in fact documents evaluated, the number the report
//! already gives, so that a run is deterministic: the same policies and the
//! same budget analyse the same checks, on any machine. Each check's size
//! is known before it starts (the product of its facts' domains), so a check
//! is started only when it fits in what is left, and is never cut halfway;
//! a check that does not fit is reported as not analysed, with the reason.
//! Checks are taken in file order, so the budget goes to the first ones.
//!
//! A wall-clock limit is only a backstop, for a machine much slower than
//! expected: no check starts after it, and a decision under way when it
//! passes stops within a few thousand documents and is reported as not
//! analysed (what it saw happen stands; nothing is said never to happen).

use std::time::{Duration, Instant};

use super::domain::Outside;

/// The documents a run may evaluate, by default: two and a half times what
/// the largest single check may take. The shipped policies need about
/// 15,000; a decision with a 330-row table over two money facts (660
/// constants) needs about 1 million, some 15 s on a shared 2-core machine,
/// so the default stops a set of such decisions after about 10 of them.
pub const DEFAULT_DOCUMENTS: u64 = 10_000_000;

/// The wall-clock backstop the CLI uses by default.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(300);

/// A run's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Fact documents the whole run may evaluate.
    pub documents: u64,
    /// How long the run may take, checked between checks.
    pub time_limit: Option<Duration>,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            documents: DEFAULT_DOCUMENTS,
            time_limit: None,
        }
    }
}

/// What is left of a budget during a run.
#[derive(Debug)]
pub struct Meter {
    budget: Budget,
    started: Instant,
    used: u64,
    /// Checks turned away for lack of budget or time.
    pub(super) refused: usize,
}

impl Meter {
    pub fn new(budget: Budget) -> Meter {
        Meter {
            budget,
            started: Instant::now(),
            used: 0,
            refused: 0,
        }
    }

    /// Documents evaluated so far.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Whether a check of `size` combinations may start; if not, why, as a
    /// not-analysed entry for `what` at `at`.
    pub(super) fn admit(&mut self, what: &str, at: &str, size: u128) -> Result<(), Outside> {
        let left = self.budget.documents.saturating_sub(self.used);
        let reason = if let Some(limit) = self
            .budget
            .time_limit
            .filter(|l| self.started.elapsed() >= *l)
        {
            format!(
                "was not started: the run's time limit of {} s was reached",
                limit.as_secs()
            )
        } else if size > u128::from(left) {
            format!(
                "was not started: it needs up to {} fact documents, and {} of the run's budget of {} are left (raise it with `--budget`)",
                super::render::grouped(u64::try_from(size).unwrap_or(u64::MAX)),
                super::render::grouped(left),
                super::render::grouped(self.budget.documents)
            )
        } else {
            return Ok(());
        };
        self.refused += 1;
        Err(Outside {
            what: what.to_owned(),
            at: at.to_owned(),
            expression: String::new(),
            reason: reason.into(),
        })
    }

    /// Whether the time limit has passed.
    pub(super) fn out_of_time(&self) -> bool {
        self.budget
            .time_limit
            .is_some_and(|l| self.started.elapsed() >= l)
    }

    /// A check the time limit stopped halfway, as a not-analysed entry:
    /// what it found happening stands, but nothing is said never to happen.
    pub(super) fn stopped(&mut self, what: &str, at: &str, evaluated: u64) -> Outside {
        self.refused += 1;
        Outside {
            what: what.to_owned(),
            at: at.to_owned(),
            expression: String::new(),
            reason: format!(
                "was stopped after {} fact documents: the run's time limit of {} s was reached",
                super::render::grouped(evaluated),
                self.budget.time_limit.map_or(0, |l| l.as_secs())
            )
            .into(),
        }
    }

    /// Counts what a check evaluated.
    pub(super) fn spend(&mut self, documents: u64) {
        self.used = self.used.saturating_add(documents);
    }
}
