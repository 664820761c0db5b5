#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo fmt`: each `tests/cases/fmt/NAME.credo` is an untidy but valid
//! policy file, and its snapshot is the formatted text. Every policy file the
//! repository holds is also formatted and checked for the formatter's three
//! promises: the same AST, every comment in order, and a second run that
//! changes nothing.

use std::path::{Path, PathBuf};

use credo::base::source::FileId;
use credo::lang::fmt;

#[path = "support/fmt_promises.rs"]
mod promises;
use promises::assert_formatting_keeps_its_promises;

#[test]
fn untidy_files_get_the_canonical_layout() {
    insta::glob!("cases/fmt", "*.credo", |path| {
        let text = std::fs::read_to_string(path).expect("case is readable");
        let formatted = fmt::format(FileId(0), &text).expect("the case parses");
        assert_ne!(formatted, text, "each case shows a change");
        insta::assert_snapshot!(formatted);
    });
}

#[test]
fn the_shipped_policies_are_formatted() {
    let files = credo_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"));
    assert!(files.len() >= 6, "the shipped policies are found");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let formatted = fmt::format(FileId(0), &text).unwrap();
        assert_eq!(formatted, text, "run `credo fmt` on {}", path.display());
    }
}

/// Every policy file of the repository that parses: the shipped policies and
/// every test case.
#[test]
fn formatting_keeps_the_ast_and_the_comments_and_is_idempotent() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = credo_files(&root.join("policies"));
    files.extend(credo_files(&root.join("tests/cases")));
    let mut checked = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if credo::lang::syntax::parse(FileId(0), &text).is_err() {
            continue;
        }
        assert_formatting_keeps_its_promises(&text, &path.display().to_string());
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} files were checked");
}

fn credo_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(credo_files(&path));
        } else if path.extension().is_some_and(|e| e == "credo") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// A run rewrites only the files that change, each by renaming a finished
/// temporary file over it (so its inode changes), leaves nothing behind, and
/// formats the file a link points to rather than replacing the link.
#[cfg(unix)]
#[test]
fn files_are_replaced_whole_and_only_when_they_change() {
    use std::os::unix::fs::MetadataExt as _;

    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let untidy = dir.path().join("untidy.credo");
    let tidy = dir.path().join("tidy.credo");
    let broken = dir.path().join("broken.credo");
    std::fs::copy(
        root.join("tests/cases/fmt/table_rows_crammed.credo"),
        &untidy,
    )
    .unwrap();
    std::fs::copy(root.join("policies/track.credo"), &tidy).unwrap();
    std::fs::write(&broken, "decision x: action { deny y because }\n").unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("linked.credo");
    std::fs::copy(
        root.join("tests/cases/fmt/rules_written_on_one_line.credo"),
        &target,
    )
    .unwrap();
    let link = dir.path().join("link.credo");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let inode = |path: &Path| std::fs::metadata(path).unwrap().ino();
    let (untidy_before, tidy_before, broken_before) =
        (inode(&untidy), inode(&tidy), inode(&broken));

    let run = std::process::Command::new(env!("CARGO_BIN_EXE_credo"))
        .arg("fmt")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "the broken file fails the run");

    let expected = fmt::format(
        FileId(0),
        &std::fs::read_to_string(root.join("tests/cases/fmt/table_rows_crammed.credo")).unwrap(),
    )
    .unwrap();
    assert_eq!(std::fs::read_to_string(&untidy).unwrap(), expected);
    assert_ne!(inode(&untidy), untidy_before, "replaced by a rename");
    assert_eq!(inode(&tidy), tidy_before, "a formatted file is not written");
    assert_eq!(
        inode(&broken),
        broken_before,
        "a broken file is not written"
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["broken.credo", "link.credo", "tidy.credo", "untidy.credo"],
        "no temporary file is left"
    );
    assert!(
        std::fs::symlink_metadata(&link).unwrap().is_symlink(),
        "a link stays a link"
    );
    let linked = std::fs::read_to_string(&target).unwrap();
    assert_eq!(
        fmt::format(FileId(0), &linked).unwrap(),
        linked,
        "the file it points to is formatted"
    );
}
