#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Runs the real `credo` binary: each `tests/cases/cli/NAME.args` holds the
//! arguments on its first line (led, as in a shell, by any `NAME=VALUE`
//! environment variables) and, after `--- stdin`, what to feed it. The
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
        let mut words = args.split_whitespace().peekable();
        let mut env = Vec::new();
        while let Some((name, value)) = words.peek().and_then(|w| w.split_once('=')) {
            if !name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                break;
            }
            env.push((name, value));
            words.next();
        }
        let args_list: Vec<&str> = words.collect();
        let command = args_list.join(" ");
        let run = common::credo_with_env(&args_list, &env, stdin.unwrap_or("").as_bytes());
        let code = run.code;
        let stdout = common::redacted(&run.stdout);
        let stderr = run.stderr;
        // `credo test` reports failing cases (exit 1) on stdout, and `eval
        // --fail-on` its evaluation (exit 3); bad input (exit 2) never.
        if code == 2 || (code != 0 && code != 3 && !command.starts_with("test")) {
            assert!(
                stdout.is_empty()
                    || command.starts_with("check")
                    || command.starts_with("fmt --check")
                    || command.starts_with("verify"),
                "failed runs write nothing to stdout, but for check's, fmt's and verify's results"
            );
        }
        insta::assert_snapshot!(format!(
            "$ credo {}exit code: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}",
            args
        ));
    });
}
