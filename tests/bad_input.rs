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

/// A case name, and how to make its `extra.credo` entry in a policy directory.
#[cfg(unix)]
type Entry<'a> = (&'a str, &'a dyn Fn(&Path));

/// `*.credo` entries in a policy directory that are not files: each is an
/// error with a code, never skipped without a word. Made here, as git keeps
/// neither FIFOs nor directories without files; run from inside the
/// directory so that the snapshots do not hold a temporary path.
#[cfg(unix)]
#[test]
fn unusable_policy_entries() {
    let schema = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/cases/bad_input/policies/null_byte_in_policy/schema.credo"),
    )
    .unwrap();
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("unusable_policy_entries");
    let _ = std::fs::remove_dir_all(&root);
    let make: [Entry; 5] = [
        ("directory_named_like_a_policy", &|d| {
            std::fs::create_dir(d.join("extra.credo")).unwrap();
        }),
        ("fifo_named_like_a_policy", &|d| {
            let status = std::process::Command::new("mkfifo")
                .arg(d.join("extra.credo"))
                .status()
                .expect("mkfifo runs");
            assert!(status.success());
        }),
        ("dangling_link", &|d| {
            std::os::unix::fs::symlink("nowhere.credo", d.join("extra.credo")).unwrap();
        }),
        ("link_loop", &|d| {
            std::os::unix::fs::symlink("extra.credo", d.join("extra.credo")).unwrap();
        }),
        ("link_to_a_policy_file_is_accepted", &|d| {
            std::fs::write(d.join("real.txt"), "# a policy kept under another name\n").unwrap();
            std::os::unix::fs::symlink("real.txt", d.join("extra.credo")).unwrap();
        }),
    ];
    for (name, make) in make {
        let dir = root.join(name).join("policies");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("schema.credo"), &schema).unwrap();
        std::fs::write(
            dir.join("offer.credo"),
            "decision offer: eligibility {\n  allow smb when account.segment == smb because \"SMB\"\n}\n",
        )
        .unwrap();
        make(&dir);
        let run = common::credo_in(&root.join(name), &["check", "--policies", "policies"], b"");
        let shown = format!(
            "$ credo check --policies policies\nexit code: {}\n--- stdout\n{}--- stderr\n{}",
            run.code,
            String::from_utf8_lossy(&run.stdout),
            run.stderr
        );
        if name.contains("accepted") {
            assert_eq!(run.code, 0, "{shown}");
        } else {
            assert_ne!(run.code, 0, "{shown}");
        }
        insta::assert_snapshot!(format!("entries@{name}"), shown);
    }
}
