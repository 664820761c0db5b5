#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Mistakes in policy test files: each `tests/cases/policy_tests/bad/NAME.yaml`
//! is read as a test file of the small policy set in `policy_tests/offers/`,
//! and the problems are snapshotted as `credo test` prints them.
//! Passing, failing and coverage runs are CLI cases (`tests/cases/cli/test_*`).

use std::path::Path;

use credo::tools::policy_tests;

#[test]
fn bad_test_files() {
    let offers = Path::new("tests/cases/policy_tests/offers");
    let checked = credo::load_dir(offers).expect("offers/ is readable");
    let program = checked.program.expect("the offers policy compiles");
    insta::glob!("cases/policy_tests/bad", "*.yaml", |path| {
        let text = std::fs::read_to_string(path).expect("readable");
        let name = format!(
            "bad/{}",
            path.file_name().expect("a file").to_string_lossy()
        );
        let problems = policy_tests::parse(&program, offers, &name, "bad", &text)
            .expect_err("a bad test file is rejected");
        insta::assert_snapshot!(credo::tools::problems::render(&problems, false));
    });
}

/// The shipped test files are good, and every case in them passes.
#[test]
fn shipped_test_files_pass() {
    let checked = credo::load_dir(Path::new("policies")).expect("policies/ is readable");
    let program = checked.program.expect("the shipped policies compile");
    let files =
        policy_tests::load(&program, Path::new("policies")).unwrap_or_else(|p| panic!("{p:#?}"));
    let report = policy_tests::run(&program, &files, None);
    assert_eq!(
        report.failed(),
        0,
        "{}",
        policy_tests::render(&report, false)
    );
    assert_eq!(report.coverage.reached(), report.coverage.items().len());
}
