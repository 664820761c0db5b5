#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! The fuzz targets' properties as proptest properties, so that `cargo test`
//! (and CI, which has no cargo-fuzz) checks them too: any text made of the
//! language's tokens checks into a program or diagnostics that render, and
//! any text loads as facts or as problems. A panic fails the test.

use credo::input::facts::{self, Format};
use credo::{Source, Sources};
use proptest::prelude::*;

const SCHEMA: &str = include_str!("cases/semantics/schema.credo");

/// Text assembled from policy tokens, so that it gets past the first character.
fn policy_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        proptest::sample::select(vec![
            "schema",
            "decision",
            "d",
            "eligibility",
            "action",
            "amount USD",
            "classification",
            "{",
            "}",
            "(",
            ")",
            "[",
            "]",
            ",",
            ":",
            "=>",
            "==",
            "!=",
            "<",
            ">=",
            "..",
            "+",
            "-",
            "*",
            "allow",
            "deny",
            "r",
            "when",
            "unless",
            "because",
            "\"m\"",
            "first",
            "otherwise",
            "and",
            "or",
            "not",
            "in",
            "applies",
            "note",
            "min",
            "max",
            "true",
            "account.spend",
            "account.kind",
            "smb",
            "request.amount",
            "account.partner",
            "1",
            "0",
            "-1",
            "5 USD",
            "0.50 USD",
            "9223372036854775807",
            "2026-02-30",
            "2026-10-01",
            "assert",
            "is",
            "monotone",
            "#",
            "\n",
            "\"",
            "\\",
            "é",
            "\u{a0}",
        ])
        .prop_map(str::to_owned),
        "[ -~]{1,3}",
    ];
    proptest::collection::vec(token, 0..60).prop_map(|tokens| tokens.join(" "))
}

fn facts_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        proptest::sample::select(vec![
            "account",
            "request",
            "kind",
            "spend",
            "launches",
            "partner",
            ":",
            " ",
            "\n",
            "  ",
            "{",
            "}",
            "[",
            "]",
            ",",
            "-",
            "\"",
            "'",
            "&a",
            "*a",
            "!!str",
            "null",
            "~",
            "true",
            "1",
            "-3",
            "1.5",
            "\"5 USD\"",
            "\"2026-02-30\"",
            "smb",
            "#",
            "---",
            "\t",
            "\u{feff}",
        ])
        .prop_map(str::to_owned),
        "[ -~]{1,3}",
    ];
    proptest::collection::vec(token, 0..60).prop_map(|tokens| tokens.concat())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_policy_text_checks_or_reports(text in policy_soup()) {
        let mut sources = Sources::default();
        sources.add(Source::new("schema.credo", SCHEMA));
        sources.add(Source::new("soup.credo", text.as_str()));
        let checked = credo::check_sources(sources);
        prop_assert!(checked.program.is_some() != checked.has_errors());
        let _ = credo::lang::diagnostics::render(&checked.sources, &checked.diagnostics, false);
        let _ = credo::lang::diagnostics::to_json(&checked.sources, &checked.diagnostics);
    }

    #[test]
    fn any_fact_text_loads_or_reports(text in facts_soup()) {
        let mut sources = Sources::default();
        sources.add(Source::new("schema.credo", SCHEMA));
        let program = credo::check_sources(sources).program.expect("schema checks");
        for format in [Format::Yaml, Format::Json] {
            match facts::load_text(&program.schema, &text, format) {
                Ok(loaded) => loaded.warnings.iter().for_each(|w| { let _ = w.render("f"); }),
                Err(problems) => {
                    prop_assert!(!problems.is_empty());
                    problems.iter().for_each(|p| { let _ = p.render("f"); });
                }
            }
        }
    }
}
