#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo snapshot`: each `tests/cases/snapshot/NAME.yaml` edits a copy of the
//! shipped policies, examples and snapshots, runs `credo snapshot` there and
//! snapshots what the author sees, with the pending files left behind. The
//! review loop is driven through a pseudo-terminal, as an author would.

use std::path::Path;
use std::process::{Command, Stdio};

use credo::input::doc::{self, Doc};

fn field<'a>(doc: &'a Doc, key: &str) -> Option<&'a Doc> {
    match doc {
        Doc::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn text<'a>(doc: &'a Doc, key: &str) -> Option<&'a str> {
    match field(doc, key)? {
        Doc::String(s) => Some(s),
        _ => None,
    }
}

fn words(doc: &Doc, key: &str) -> Vec<String> {
    match field(doc, key) {
        Some(Doc::Seq(items)) => items
            .iter()
            .map(|i| match i {
                Doc::String(s) => s.clone(),
                other => panic!("not a word: {other:?}"),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A copy of `policies/` (policy files, examples, snapshots, tests) to edit.
fn copy_of_policies() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let dir = tempfile::tempdir().unwrap();
    for sub in ["", "examples", "snapshots", "tests"] {
        let to = dir.path().join("policies").join(sub);
        std::fs::create_dir_all(&to).unwrap();
        for entry in std::fs::read_dir(root.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    dir
}

fn run(dir: &Path, subcommand: &str, args: &[String], ci: bool) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_credo"));
    command
        .arg(subcommand)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .stdin(Stdio::null());
    if ci {
        command.env("CI", "true");
    }
    let output = command.output().unwrap();
    format!(
        "$ {}credo {subcommand} {}\nexit code: {}\n--- stdout\n{}--- stderr\n{}",
        if ci { "CI=true " } else { "" },
        args.join(" "),
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The pending results left in `policies/snapshots/`.
fn pending(dir: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("policies/snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".snap.new"))
        .collect();
    names.sort();
    format!("--- pending\n{}\n", names.join("\n"))
}

#[test]
fn snapshot_cases() {
    insta::glob!("cases/snapshot", "*.yaml", |path| {
        let case = doc::from_yaml(&std::fs::read_to_string(path).unwrap()).unwrap();
        let copy = copy_of_policies();
        let policies = copy.path().join("policies");
        if let Some(edit) = field(&case, "edit") {
            let file = policies.join(text(edit, "file").unwrap());
            let before = std::fs::read_to_string(&file).unwrap();
            let (from, to) = (text(edit, "replace").unwrap(), text(edit, "with").unwrap());
            assert!(
                before.contains(from),
                "{}: `{from}` is not in {}",
                path.display(),
                file.display()
            );
            std::fs::write(&file, before.replacen(from, to, 1)).unwrap();
        }
        if let Some(name) = text(&case, "remove_example") {
            std::fs::remove_file(policies.join("examples").join(name)).unwrap();
        }
        if let Some(add) = field(&case, "add_example") {
            let name = text(add, "name").unwrap();
            std::fs::write(
                policies.join("examples").join(name),
                text(add, "text").unwrap(),
            )
            .unwrap();
        }
        let ci = matches!(field(&case, "ci"), Some(Doc::Bool(true)));
        // `credo snapshot` by default; `command: test` runs `credo test`,
        // which runs the snapshots as cases too.
        let subcommand = text(&case, "command").unwrap_or("snapshot");
        let mut shown = run(copy.path(), subcommand, &words(&case, "args"), ci);
        if field(&case, "then").is_some() {
            shown.push_str(&run(copy.path(), subcommand, &words(&case, "then"), ci));
        }
        shown.push_str(&pending(copy.path()));
        insta::assert_snapshot!(shown);
    });
}

/// Runs `credo snapshot --review` on a pseudo-terminal (util-linux's
/// `script`), typing `keys` one line at a time.
fn review_on_a_terminal(dir: &Path, keys: &str) -> Option<String> {
    let script = Command::new("script").arg("--version").output();
    if script.is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "`script` (util-linux) is needed in CI"
        );
        eprintln!("skipped: `script` from util-linux is not installed");
        return None;
    }
    let command = format!("{} snapshot --review", env!("CARGO_BIN_EXE_credo"));
    let mut child = Command::new("timeout")
        .args(["20", "script", "-q", "-e", "-c", &command, "/dev/null"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut input = child.stdin.take().unwrap();
        for key in keys.lines() {
            // One answer at a time, as typed: the terminal delivers each line
            // only when the prompt reads it.
            std::thread::sleep(std::time::Duration::from_millis(200));
            writeln!(input, "{key}").unwrap();
        }
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    Some(String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n"))
}

#[test]
fn review_accepts_rejects_skips_and_explains_on_a_terminal() {
    let copy = copy_of_policies();
    let policies = copy.path().join("policies");
    let file = policies.join("agency_partner.credo");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen(">= 50000 USD => 1500 USD", ">= 60000 USD => 1500 USD", 1),
    )
    .unwrap();
    let snapshots = policies.join("snapshots");
    let first = snapshots.join("allocation_denied_account_linked_to_other_business_center.snap");
    let second = snapshots.join("allocation_denied_business_center_setup_incomplete.snap");
    let third = snapshots.join("allocation_denied_for_several_reasons.snap");
    let before = std::fs::read_to_string(&second).unwrap();
    // A stray key, then view and explain the first and accept it; reject the
    // second; skip the third; quit.
    let Some(screen) = review_on_a_terminal(copy.path(), "x\nv\ne\na\nr\ns\nq\n") else {
        return;
    };
    assert!(screen.contains("[1/8]"), "{screen}");
    assert!(
        screen.contains("spend_milestone_credit: 1500.00 USD -> 250.00 USD"),
        "{screen}"
    );
    assert!(
        screen.contains("why not"),
        "the explain trace was shown:\n{screen}"
    );
    assert!(
        screen.contains("`x`: answer a, r, s, e, v or q"),
        "a stray key is answered:\n{screen}"
    );
    assert!(
        screen.contains(
            "# credo snapshot of allocation_denied_account_linked_to_other_business_center.yaml\nas_of:"
        ),
        "the whole new snapshot was shown:\n{screen}"
    );
    assert!(
        std::fs::read_to_string(&first)
            .unwrap()
            .contains("spend_milestone_credit: 250.00 USD")
    );
    assert_eq!(
        std::fs::read_to_string(&second).unwrap(),
        before,
        "rejected: unchanged"
    );
    assert!(
        !second.with_extension("snap.new").exists(),
        "rejected: nothing pending"
    );
    assert!(
        third.with_extension("snap.new").exists(),
        "skipped: still pending"
    );
    assert!(!screen.contains("[5/8]"), "quit after the fourth");
}

#[test]
fn an_unreadable_snapshot_is_named() {
    // The system's own words named no file ("stream did not contain valid
    // UTF-8", "Is a directory (os error 21)").
    let copy = copy_of_policies();
    let snapshots = copy.path().join("policies/snapshots");
    let snap = snapshots.join("bc_admin_allocates_within_balance.snap");
    std::fs::write(&snap, b"\xff\xfe not text").unwrap();
    let shown = run(copy.path(), "snapshot", &["--check".to_owned()], false);
    assert!(shown.contains("exit code: 2"), "{shown}");
    assert!(
        shown.contains("policies/snapshots/bc_admin_allocates_within_balance.snap: not UTF-8 text"),
        "{shown}"
    );
    std::fs::remove_file(&snap).unwrap();
    std::fs::create_dir(&snap).unwrap();
    let shown = run(copy.path(), "snapshot", &["--check".to_owned()], false);
    assert!(
        shown.contains("policies/snapshots/bc_admin_allocates_within_balance.snap: Is a directory"),
        "{shown}"
    );
}
