//! `credo verify`: decides each decision and each `assert` exactly, over
//! finite domains built from the policies themselves.
//!
//! Each fact a decision reads is tried missing and given; enums and booleans
//! with every value; money, integers and dates at every constant they are
//! compared with and one step either side; texts equal to each constant,
//! to each other, or to nothing. The real evaluator answers every
//! combination, so the analysis and `credo eval` cannot disagree. See
//! [`domain`] for the decidable fragment, [`values`] for the values tried,
//! [`rounding`] for rounded amounts, [`enumerate`] for the walk, [`findings`] and [`assertions`] for what is
//! reported, [`examples`] for the counterexamples and [`render`] for the output.

pub mod assertions;
pub mod budget;
pub mod domain;
pub mod enumerate;
pub mod examples;
pub mod expr;
pub mod findings;
pub mod periods;
pub mod render;
pub mod rounding;
pub mod values;

use serde::Serialize;

use crate::engine::program::Program;

pub use assertions::{AssertionReport, Verdict};
pub use budget::Budget;
pub use examples::{Example, Expect, Truth};
pub use findings::{DecisionReport, Finding, FindingKind, Level};

/// Everything `credo verify` found in a policy set.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub decisions: Vec<DecisionReport>,
    pub assertions: Vec<AssertionReport>,
    pub summary: Summary,
}

/// The counts a report ends with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub proved: usize,
    pub refuted: usize,
    pub not_analysed: usize,
    /// Fact documents evaluated, over every decision and assertion.
    pub evaluated: u64,
    /// The run's budget of fact documents (`--budget`).
    pub budget: u64,
    /// Decisions and assertions not started, or stopped halfway, because the
    /// budget or the time limit was spent: each is listed as not analysed,
    /// with the reason.
    pub over_budget: usize,
}

impl Report {
    /// An error-level finding or a refuted assertion: `credo verify` exits 1.
    pub fn failed(&self) -> bool {
        self.summary.errors > 0 || self.summary.refuted > 0
    }

    /// Every example in the report, with what it is an example of.
    pub fn examples(&self) -> impl Iterator<Item = (String, &Example)> {
        let findings = self.decisions.iter().flat_map(|d| {
            d.findings.iter().flat_map(|f| {
                f.examples
                    .iter()
                    .map(move |e| (format!("{}: {}", f.decision, f.message), e))
            })
        });
        let assertions = self.assertions.iter().flat_map(|a| {
            a.examples
                .iter()
                .map(move |e| (format!("assertion at {}", a.at), e))
        });
        findings.chain(assertions)
    }
}

/// A counterexample that does not give what its finding says: a bug in
/// `credo verify`, reported rather than printed as if it were true.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the example for {what} does not reproduce: {why}")]
pub struct Unreproducible {
    pub what: String,
    pub why: String,
}

/// Checks every decision and assertion of a program, then reloads each
/// counterexample through the fact loader and the evaluator.
pub fn verify(program: &Program) -> Result<Report, Unreproducible> {
    verify_within(program, Budget::default())
}

/// [`verify`] within a budget for the whole run: what does not fit is
/// reported as not analysed, with the reason.
pub fn verify_within(program: &Program, budget: Budget) -> Result<Report, Unreproducible> {
    let mut meter = budget::Meter::new(budget);
    let decisions: Vec<DecisionReport> = program
        .decisions
        .iter()
        .map(|d| findings::decision_within(program, d, &mut meter))
        .collect();
    let assertions: Vec<AssertionReport> = program
        .assertions
        .iter()
        .map(|a| assertions::assertion_within(program, a, &mut meter))
        .collect();
    let mut summary = Summary {
        budget: budget.documents,
        over_budget: meter.refused,
        ..Summary::default()
    };
    for d in &decisions {
        summary.evaluated += d.evaluated;
        for f in &d.findings {
            match f.level {
                Level::Error => summary.errors += 1,
                Level::Warning => summary.warnings += 1,
            }
        }
    }
    for a in &assertions {
        summary.evaluated += a.evaluated;
        match a.verdict {
            // An assertion nothing satisfies is most likely written wrongly.
            Verdict::Proved if a.vacuous => {
                summary.proved += 1;
                summary.warnings += 1;
            }
            Verdict::Proved => summary.proved += 1,
            Verdict::Refuted => summary.refuted += 1,
            Verdict::NotAnalysed => summary.not_analysed += 1,
        }
    }
    let report = Report {
        decisions,
        assertions,
        summary,
    };
    for (what, example) in report.examples() {
        examples::reproduce(program, example).map_err(|why| Unreproducible { what, why })?;
    }
    Ok(report)
}
