#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo codes`: every code the checker can give has a page, and every
//! page's example gives exactly its code. The pages are snapshotted as a
//! user reads them.

use credo::lang::codes::{BOOK, lookup};
use credo::tools::codes::describe;

/// Every `pub const NAME: &str = "E….";` in the diagnostics' code list.
fn declared_codes() -> Vec<String> {
    let source = include_str!("../src/lang/diagnostics.rs");
    source
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split('"').nth(1))
        .filter(|c| c.len() == 5 && (c.starts_with('E') || c.starts_with('W')))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_declared_code_has_a_page() {
    let declared = declared_codes();
    assert!(declared.len() >= 20, "found only {declared:?}");
    for code in &declared {
        assert!(lookup(code).is_some(), "`credo codes {code}` has no page");
    }
    for doc in BOOK {
        assert!(
            declared.iter().any(|c| c == doc.code),
            "{} is not declared",
            doc.code
        );
    }
}

#[test]
fn every_example_gives_its_code() {
    insta::glob!("../docs/codes", "*.credo", |path| {
        let code = path.file_stem().unwrap().to_str().unwrap();
        let doc = lookup(code).unwrap_or_else(|| panic!("{code} has an example but no page"));
        let policy = doc.policy().unwrap();
        let mut sources = credo::Sources::default();
        sources.add(credo::Source::new(format!("{code}.credo"), policy));
        let checked = credo::check_sources(sources);
        let expected = doc
            .example
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("# expect: "))
            .unwrap();
        let first = checked
            .diagnostics
            .first()
            .unwrap_or_else(|| panic!("{code}: no diagnostic"));
        let severity = if first.is_error() { "error" } else { "warning" };
        assert_eq!(
            format!("{severity}[{}]", first.code),
            expected,
            "{code}: the first diagnostic"
        );
        insta::assert_snapshot!(describe(code, false).unwrap());
    });
}

#[test]
fn an_unknown_code_suggests_the_closest() {
    let error = describe("E0010", false).unwrap_err();
    assert_eq!(
        error.to_string(),
        "no diagnostic code `E0010`; did you mean `E0001`?"
    );
}

#[test]
fn fact_and_test_file_codes_have_pages_too() {
    // `credo codes F0101` said "no diagnostic code" though `credo eval`
    // gives it; so did every `T` code `credo test` gives.
    let list = credo::tools::codes::list();
    for (book, said) in [
        (credo::input::facts::codes::BOOK, "fact document"),
        (credo::tools::policy_tests::codes::BOOK, "policy test file"),
    ] {
        assert!(book.len() >= 7);
        for (code, _) in book {
            let page = describe(code, false).unwrap();
            assert!(page.starts_with(&format!("{code}: ")), "{page}");
            assert!(page.contains(said), "{page}");
            assert!(list.contains(&format!("{code}  ")), "{code} is not listed");
        }
    }
    insta::assert_snapshot!(describe("f0101", false).unwrap());
}
