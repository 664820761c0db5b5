#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! The README's console examples are real: every ```` ```console ```` block is
//! run, command by command, in a copy of the repository's policies, cases
//! and examples, and what it prints must be what the README shows.
//!
//! A line that is only `…` stands for any number of lines, and a `…` within
//! a line for any text (a policy hash, a time). Blank lines at the end of a
//! command's output are not compared. The line before a block may say how to
//! run it:
//! - `<!-- readme: not run (REASON) -->` for a block that needs what a test
//!   must not do (a server on a fixed port, a download, a clock);
//! - `<!-- readme: before: SHELL -->` for the edit a block shows the result
//!   of, or the files it works on (run first, in the same shell and copy).
//!
//! Commands run through bash with the built `credo` and `credo-gen` first on
//! the PATH, stdout and stderr together as a terminal shows them, colour off.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One ```` ```console ```` block of the README.
struct Block {
    /// The README line of its first command.
    line: usize,
    before: Option<String>,
    not_run: bool,
    steps: Vec<Step>,
}

/// A command, and the lines the README shows it printing.
struct Step {
    command: String,
    shown: Vec<String>,
}

fn blocks(readme: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut lines = readme.lines().enumerate().peekable();
    let mut previous = "";
    while let Some((_, line)) = lines.next() {
        if line.trim_end() != "```console" {
            previous = line;
            continue;
        }
        let note = previous
            .trim()
            .strip_prefix("<!-- readme:")
            .and_then(|n| n.strip_suffix("-->"))
            .map(str::trim);
        let mut block = Block {
            line: 0,
            before: note
                .and_then(|n| n.strip_prefix("before:"))
                .map(|s| s.trim().to_string()),
            not_run: note.is_some_and(|n| n.starts_with("not run")),
            steps: Vec::new(),
        };
        while let Some((number, line)) = lines.next() {
            if line.starts_with("```") {
                break;
            }
            if let Some(command) = line.strip_prefix("$ ") {
                let mut command = command.to_string();
                // A command continued with a backslash goes on to the next line.
                while command.ends_with('\\') {
                    let Some((_, more)) = lines.next() else { break };
                    command.push('\n');
                    command.push_str(more);
                }
                if block.steps.is_empty() {
                    block.line = number + 1;
                }
                block.steps.push(Step {
                    command,
                    shown: Vec::new(),
                });
            } else if let Some(step) = block.steps.last_mut() {
                step.shown.push(line.to_string());
            }
        }
        if !block.steps.is_empty() {
            found.push(block);
        }
        previous = "";
    }
    found
}

/// Whether `actual` is what the README shows, `…` standing for any lines.
fn matches(shown: &[String], actual: &[&str]) -> bool {
    match shown.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "…" => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(line, more)| line_matches(first, line) && matches(rest, more)),
    }
}

/// Whether one printed line is the README's, a `…` in it standing for any text.
fn line_matches(shown: &str, actual: &str) -> bool {
    let (shown, actual) = (shown.trim_end(), actual.trim_end());
    let mut parts = shown.split('…');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = actual.strip_prefix(first) else {
        return false;
    };
    let mut parts: Vec<&str> = parts.collect();
    let Some(last) = parts.pop() else {
        return rest.is_empty();
    };
    for part in parts {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

fn without_trailing_blanks<T: AsRef<str>>(lines: &[T]) -> &[T] {
    let end = lines
        .iter()
        .rposition(|l| !l.as_ref().trim().is_empty())
        .map_or(0, |i| i + 1);
    &lines[..end]
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Runs a block's commands one after another in one shell, so that `$?`
/// and files made by one command are there for the next; returns what each
/// printed.
fn run(block: &Block, dir: &Path) -> Vec<String> {
    const MARK: &str = "@@readme-step@@";
    let mut script = String::from("exec 2>&1\n");
    if let Some(before) = &block.before {
        script.push_str(&format!("{{ {before} ; }} >/dev/null\n"));
    }
    for step in &block.steps {
        // The mark keeps `$?` for the next command, as a terminal would.
        script.push_str(&format!(
            "status=$?; echo {MARK}; (exit $status)\n{}\n",
            step.command
        ));
    }
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_credo"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("timeout")
        .args(["60", "bash", "-c", &script])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env_remove("CREDO_POLICIES")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut printed: Vec<String> = text.split(&format!("{MARK}\n")).map(String::from).collect();
    // What came before the first mark is the `before` edit's complaints, if any.
    let before = printed.remove(0);
    assert!(
        before.is_empty(),
        "README block at line {}: its `before` printed:\n{before}",
        block.line
    );
    printed
}

#[test]
fn readme_console_blocks_print_what_the_readme_shows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = blocks(&readme);
    assert!(
        blocks.len() > 20,
        "only {} console blocks found",
        blocks.len()
    );
    let mut wrong = Vec::new();
    let mut ran = 0;
    for block in blocks.iter().filter(|b| !b.not_run) {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["policies", "tests/cases", "examples", "docs"] {
            copy_tree(&root.join(sub), &dir.path().join(sub));
        }
        let printed = run(block, dir.path());
        ran += 1;
        for (step, actual) in block.steps.iter().zip(&printed) {
            let actual: Vec<&str> = actual.lines().collect();
            let actual = without_trailing_blanks(&actual);
            if !matches(without_trailing_blanks(&step.shown), actual) {
                wrong.push(format!(
                    "README line {}: `$ {}`\n--- the README shows:\n{}\n--- it prints:\n{}\n",
                    block.line,
                    step.command,
                    step.shown.join("\n"),
                    actual.join("\n")
                ));
            }
        }
        if printed.len() != block.steps.len() {
            wrong.push(format!(
                "README line {}: {} commands, {} ran",
                block.line,
                block.steps.len(),
                printed.len()
            ));
        }
    }
    assert!(ran > 20, "only {ran} console blocks were run");
    assert!(
        wrong.is_empty(),
        "{} README examples print something else:\n\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn an_ellipsis_stands_for_any_lines_and_nothing_else_is_loose() {
    let shown = |s: &str| s.lines().map(String::from).collect::<Vec<_>>();
    assert!(matches(&shown("a\n…\nd"), &["a", "b", "c", "d"]));
    assert!(matches(&shown("a\n…\nd"), &["a", "d"]));
    assert!(matches(&shown("a\n…"), &["a"]));
    assert!(!matches(&shown("a\nd"), &["a", "b", "d"]));
    assert!(!matches(&shown("a\n…\nd"), &["a", "b"]));
    assert!(!matches(&shown("a"), &["a", "b"]));
    assert!(!matches(&shown("a b"), &["a  b"]));
    assert!(matches(
        &shown("policies sha256:…"),
        &["policies sha256:0e7b4bc19397"]
    ));
    assert!(matches(
        &shown("real …s (user …)"),
        &["real 0.4s (user 0.3)"]
    ));
    assert!(!matches(&shown("real …s"), &["user 0.4s"]));
    assert!(!matches(&shown("a…b"), &["ab c"]));
}
