#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Every answer names the policy set that gave it: the hash is the same for
//! the same files wherever they are, changes with any byte of them, and is
//! what `credo eval` prints.

mod common;

use std::path::Path;

use credo::{Limits, PolicyHash, PolicySet};

fn shipped_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/policies"))
}

#[test]
fn a_copy_of_the_set_elsewhere_has_the_same_hash() {
    let set = PolicySet::load(shipped_dir(), &Limits::default()).unwrap();
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(shipped_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "credo") {
            std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let again = PolicySet::load(copy.path(), &Limits::default()).unwrap();
    assert_eq!(set.hash(), again.hash());

    // One more space in a comment is another set.
    let track = copy.path().join("track.credo");
    let mut text = std::fs::read_to_string(&track).unwrap();
    text.push_str("# one more line\n");
    std::fs::write(&track, text).unwrap();
    let edited = PolicySet::load(copy.path(), &Limits::default()).unwrap();
    assert_ne!(set.hash(), edited.hash());
}

#[test]
fn eval_json_names_the_hash_of_the_set_that_answered() {
    let set = PolicySet::load(shipped_dir(), &Limits::default()).unwrap();
    let run = common::credo(
        &[
            "eval",
            "--format",
            "json",
            "policies/examples/bc_admin_allocates_within_balance.yaml",
        ],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let printed: PolicyHash = json["policy_hash"].as_str().unwrap().parse().unwrap();
    assert_eq!(printed, set.hash());
    assert_eq!(json["as_of"], "2026-11-25");
}
