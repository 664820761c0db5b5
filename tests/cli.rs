#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Runs the real `credo` binary: each `tests/cases/cli/NAME.args` holds the
//! arguments on its first line and, after `--- stdin`, what to feed it. The
//! snapshot records the exit code, stdout and stderr as a user sees them.

mod common;

#[test]
fn cli_cases() {
    insta::glob!("cases/cli", "*.args", |path| {
        let spec = std::fs::read_to_string(path).expect("case is readable");
        let (args, stdin) = match spec.split_once("--- stdin\n") {
            Some((args, stdin)) => (args, Some(stdin)),
            None => (spec.as_str(), None),
        };
        let args_list: Vec<&str> = args.split_whitespace().collect();
        let run = common::credo(&args_list, stdin.unwrap_or("").as_bytes());
        let code = run.code;
        let stdout = common::redacted(&run.stdout);
        let stderr = run.stderr;
        // `credo test` reports failing cases (exit 1) on stdout; bad input (exit 2) never.
        if code == 2 || (code != 0 && !args.starts_with("test")) {
            assert!(
                stdout.is_empty()
                    || args.starts_with("check")
                    || args.starts_with("fmt --check")
                    || args.starts_with("verify"),
                "failed runs write nothing to stdout, but for check's, fmt's and verify's results"
            );
        }
        insta::assert_snapshot!(format!(
            "$ credo {}exit code: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}",
            args
        ));
    });
}
