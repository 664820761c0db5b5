#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo verify --budget`: one budget of fact documents for the whole run.
//! On a generated set of heavy decisions, the checks that fit are analysed,
//! and every one that does not is listed as not analysed with the reason;
//! nothing is dropped, and the same budget gives the same report.

use std::fmt::Write as _;

use credo::tools::verify::{self, Budget, Verdict};
use credo::{Program, Source, Sources};

const SCHEMA: &str = include_str!("cases/verify/schema.credo");

/// `count` decisions, each a table over two money facts with `constants`
/// thresholds on each, and an assertion about the last one.
fn heavy_set(count: usize, constants: usize) -> Program {
    let mut text = String::new();
    for d in 0..count {
        let _ = writeln!(text, "decision heavy_{d}: amount USD {{\n  first {{");
        for i in 0..constants {
            let _ = writeln!(
                text,
                "    when account.unused_credit >= {}.00 USD and business_center.credit_balance < {}.00 USD => {}.00 USD because \"row {i}\"",
                100 * (i + 1) + d,
                50 * (i + 1),
                i + 1
            );
        }
        let _ = writeln!(text, "    otherwise => 0 USD because \"none\"\n  }}\n}}");
    }
    let _ = writeln!(
        text,
        "assert heavy_{} is monotone in account.unused_credit",
        count - 1
    );
    let mut sources = Sources::default();
    sources.add(Source::new("schema.credo", SCHEMA));
    sources.add(Source::new("heavy.credo", &text));
    let checked = credo::check_sources(sources);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    checked.program.unwrap()
}

#[test]
fn what_the_budget_does_not_cover_is_reported_not_analysed() {
    let program = heavy_set(4, 12);
    let full = verify::verify(&program).unwrap();
    let per_decision = full.decisions[0].evaluated;
    assert!(per_decision > 1000, "{per_decision}");
    assert_eq!(full.summary.over_budget, 0);
    // Enough for two decisions and a half: the third and fourth are not
    // started, nor the assertion.
    let budget = Budget {
        documents: per_decision * 5 / 2,
        time_limit: None,
    };
    let report = verify::verify_within(&program, budget).unwrap();
    assert!(report.summary.evaluated <= budget.documents);
    let analysed: Vec<bool> = report.decisions.iter().map(|d| d.evaluated > 0).collect();
    assert_eq!(analysed, [true, true, false, false]);
    for d in &report.decisions[2..] {
        assert_eq!(d.not_analysed.len(), 1, "{:?}", d.not_analysed);
        assert!(
            d.not_analysed[0].reason.contains("budget"),
            "{:?}",
            d.not_analysed
        );
        assert!(d.findings.is_empty());
    }
    assert_eq!(report.assertions[0].verdict, Verdict::NotAnalysed);
    assert_eq!(report.summary.over_budget, 3);
    assert_eq!(report.summary.not_analysed, 1);
    let text = verify::render::text(&report, "heavy");
    assert!(
        text.contains("heavy_2: the decision was not started"),
        "{text}"
    );
    assert!(
        text.contains("heavy_3: the decision was not started"),
        "{text}"
    );
    assert!(text.contains("3 checks not analysed in full"), "{text}");
    // A work budget, not a clock: the same budget, the same report.
    let again = verify::verify_within(&program, budget).unwrap();
    assert_eq!(verify::render::json(&report), verify::render::json(&again));
}

#[test]
fn a_spent_time_limit_starts_nothing_more() {
    let program = heavy_set(2, 4);
    let budget = Budget {
        documents: u64::MAX,
        time_limit: Some(std::time::Duration::ZERO),
    };
    let report = verify::verify_within(&program, budget).unwrap();
    assert_eq!(report.summary.evaluated, 0);
    assert_eq!(report.summary.over_budget, 3);
    for d in &report.decisions {
        assert!(d.not_analysed[0].reason.contains("time limit"));
    }
}
