#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Broken policies: each `tests/cases/check/NAME.credo` is a policy set on its
//! own (with errors, or only warnings when its header expects a warning), and its snapshot is the diagnostics exactly as `credo check` renders them.

mod common;

#[test]
fn broken_policies_are_reported() {
    insta::glob!("cases/check", "*.credo", |path| {
        let checked = common::check_files(&[path]);
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        if text.contains("# expect: warning[") {
            // A warning reports a likely slip, and the set still compiles.
            assert!(!checked.has_errors(), "{}: only warnings", path.display());
            assert!(checked.program.is_some(), "a set with warnings compiles");
            assert!(
                !checked.diagnostics.is_empty(),
                "{}: no warning",
                path.display()
            );
        } else {
            assert!(
                checked.has_errors(),
                "{} should have errors",
                path.display()
            );
            assert!(
                checked.program.is_none(),
                "nothing compiles when there are errors"
            );
        }
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
