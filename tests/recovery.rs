#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Parse-error recovery: each `tests/cases/check/recovery_*.credo` holds
//! several syntax slips, and a run must report more than the first, in file
//! order. Their rendered diagnostics are snapshot by `tests/check.rs`.

mod common;

#[test]
fn several_syntax_errors_are_reported_in_one_run() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/check");
    let mut cases = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("recovery_") {
            continue;
        }
        cases += 1;
        let checked = common::check_files(&[&path]);
        assert!(
            checked.diagnostics.len() >= 2,
            "{name}: only {} problem reported",
            checked.diagnostics.len()
        );
        let starts: Vec<usize> = checked.diagnostics.iter().map(|d| d.span.start).collect();
        assert!(starts.is_sorted(), "{name}: diagnostics in file order");
    }
    assert!(cases >= 8, "the recovery cases are found");
}
