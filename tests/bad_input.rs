#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! The catalog of bad inputs, run through the real `credo` binary so that
//! each snapshot is exactly what a user sees: the exit code, stdout, stderr.
//!
//! - `tests/cases/bad_input/facts/NAME`: `credo eval NAME` with the shipped policies;
//! - `tests/cases/bad_input/policies/NAME/`: `credo check --policies NAME`;
//! - `tests/cases/bad_input/runs/NAME.args`: any invocation, with `--- stdin`.
//!
//! A case whose name says `accepted` must succeed; every other must fail
//! with nothing on stdout: no partial results.

mod common;

use std::path::Path;

fn run(args: &[&str], stdin: &str) -> (i32, String) {
    let run = common::credo(args, stdin.as_bytes());
    let code = run.code;
    let stdout = common::redacted(&run.stdout);
    let stderr = run.stderr;
    let shown = format!(
        "$ credo {}\nexit code: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}",
        args.join(" ")
    );
    if code != 0 {
        assert!(stdout.is_empty(), "a failed run wrote to stdout:\n{shown}");
    }
    (code, shown)
}

fn relative(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string()
}

fn expect_outcome(path: &Path, code: i32, shown: &str) {
    let accepted = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains("accepted"));
    if accepted {
        assert_eq!(code, 0, "an accepted input failed:\n{shown}");
    } else {
        assert_ne!(code, 0, "a bad input succeeded:\n{shown}");
    }
}

#[test]
fn bad_facts() {
    insta::glob!("cases/bad_input/facts", "*", |path| {
        let (code, shown) = run(&["eval", &relative(path)], "");
        expect_outcome(path, code, &shown);
        insta::assert_snapshot!(shown);
    });
}

#[test]
fn bad_policies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/bad_input/policies");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "only {} policy cases", dirs.len());
    for dir in dirs {
        let (code, shown) = run(&["check", "--policies", &relative(&dir)], "");
        expect_outcome(&dir, code, &shown);
        let name = dir
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        insta::assert_snapshot!(format!("policies@{name}"), shown);
    }
}

#[test]
fn bad_runs() {
    insta::glob!("cases/bad_input/runs", "*.args", |path| {
        let spec = std::fs::read_to_string(path).expect("case is readable");
        let (args, stdin) = match spec.split_once("--- stdin\n") {
            Some((args, stdin)) => (args, stdin),
            None => (spec.as_str(), ""),
        };
        let args: Vec<&str> = args.split_whitespace().collect();
        let (code, shown) = run(&args, stdin);
        expect_outcome(path, code, &shown);
        insta::assert_snapshot!(shown);
    });
}
