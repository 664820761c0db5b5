#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Parse-error recovery: each `tests/cases/recovery/NAME.credo` holds several
//! syntax slips, and its snapshot is every diagnostic exactly as `credo check`
//! renders them, so a run that stopped at the first slip would fail.

mod common;

#[test]
fn every_syntax_error_is_reported() {
    insta::glob!("cases/recovery", "*.credo", |path| {
        let checked = common::check_files(&[path]);
        assert!(
            checked.diagnostics.len() >= 2,
            "{} should report several problems",
            path.display()
        );
        assert!(checked.program.is_none(), "nothing compiles with errors");
        let text = &checked
            .sources
            .get(credo::source::FileId(0))
            .expect("source")
            .text;
        let mut previous = 0;
        for d in &checked.diagnostics {
            assert!(
                d.span.start <= d.span.end && d.span.end <= text.len(),
                "span inside its file: {d:?}"
            );
            assert!(d.span.start >= previous, "diagnostics in file order");
            previous = d.span.start;
        }
        insta::assert_snapshot!(credo::diagnostics::render(
            &checked.sources,
            &checked.diagnostics,
            false
        ));
    });
}
