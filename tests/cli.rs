#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Runs the real `credo` binary: each `tests/cases/cli/NAME.args` holds the
//! arguments on its first line and, after `--- stdin`, what to feed it. The
//! snapshot records the exit code, stdout and stderr as a user sees them.

use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn cli_cases() {
    insta::glob!("cases/cli", "*.args", |path| {
        let spec = std::fs::read_to_string(path).expect("case is readable");
        let (args, stdin) = match spec.split_once("--- stdin\n") {
            Some((args, stdin)) => (args, Some(stdin)),
            None => (spec.as_str(), None),
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_credo"))
            .args(args.split_whitespace())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("credo runs");
        let mut input = child.stdin.take().expect("stdin");
        input
            .write_all(stdin.unwrap_or("").as_bytes())
            .expect("stdin written");
        drop(input);
        let output = child.wait_with_output().expect("credo finishes");
        let code = output.status.code().expect("exit code");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
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
