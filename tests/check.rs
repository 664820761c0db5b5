#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Broken policies: each `tests/cases/check/NAME.credo` is a policy set on its
//! own, and its snapshot is the diagnostics exactly as `credo check` renders them.

mod common;

#[test]
fn broken_policies_are_reported() {
    insta::glob!("cases/check", "*.credo", |path| {
        let checked = common::check_files(&[path]);
        assert!(
            checked.has_errors(),
            "{} should have errors",
            path.display()
        );
        assert!(
            checked.program.is_none(),
            "nothing compiles when there are errors"
        );
        for d in &checked.diagnostics {
            let source = checked
                .sources
                .get(d.span.file)
                .expect("diagnostic points into a source");
            assert!(
                d.span.start <= d.span.end && d.span.end <= source.text.len(),
                "span inside its file: {d:?}"
            );
        }
        insta::assert_snapshot!(credo::lang::diagnostics::render(
            &checked.sources,
            &checked.diagnostics,
            false
        ));
    });
}
