#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]

//! Evaluates the shipped policies on every example fact file under
//! `policies/examples/`, checks each outcome against the expectations written
//! in the file's header (`# expect:` lines, or `NAME.expect.txt` beside a JSON
//! file), and compares each result with its snapshot in `policies/snapshots/`,
//! the same files `credo snapshot` keeps.

use std::path::Path;

mod common;

use credo::engine::eval::Request;
use credo::engine::outcome::{AsOfSource, Evaluation};
use credo::input::facts::{self, Format};
use credo::tools::snapshot;

fn evaluate(program: &credo::Program, path: &Path) -> Evaluation {
    let text = std::fs::read_to_string(path).expect("example is readable");
    let format = Format::of_path(path).expect("example is YAML or JSON");
    let loaded = facts::load_text(&program.schema, &text, format)
        .unwrap_or_else(|p| panic!("{}: facts do not load: {p:?}", path.display()));
    assert!(
        loaded.warnings.is_empty(),
        "{}: {:?}",
        path.display(),
        loaded.warnings
    );
    let as_of = loaded
        .facts
        .as_of(&program.schema)
        .expect("every example sets as_of");
    let request = Request {
        as_of,
        as_of_source: AsOfSource::Facts,
        decisions: &[],
    };
    program
        .evaluate(&loaded.facts, &request)
        .expect("example evaluates")
}

/// `id: outcome` pairs from the `# expect:` header, or the `.expect.txt` file.
fn expectations(path: &Path) -> Vec<(String, String)> {
    let sidecar = path.with_extension("expect.txt");
    let text =
        std::fs::read_to_string(if sidecar.exists() { &sidecar } else { path }).expect("readable");
    text.lines()
        .skip_while(|l| !l.starts_with("# expect:"))
        .skip(1)
        .map_while(|l| l.strip_prefix("#   "))
        .filter_map(|l| {
            let (id, rest) = l.split_once(": ")?;
            let outcome = rest.split(" (").next()?.trim().to_owned();
            Some((id.to_owned(), outcome))
        })
        .collect()
}

#[test]
fn examples_match_their_expectations_and_snapshots() {
    let program = common::shipped();
    let mut mismatches = Vec::new();
    let mut count = 0;
    insta::glob!("../policies/examples", "*.{yaml,json}", |path| {
        count += 1;
        let evaluation = evaluate(&program, path);
        let expected = expectations(path);
        assert_eq!(
            expected.len(),
            12,
            "{}: expects all 12 decisions",
            path.display()
        );
        for (id, outcome) in expected {
            let actual = evaluation
                .decisions
                .iter()
                .find(|d| d.id == id)
                .map(|d| d.outcome.as_text());
            if actual.as_deref() != Some(outcome.as_str()) {
                mismatches.push(format!(
                    "{}: {id}: expected {outcome}, got {actual:?}",
                    path.display()
                ));
            }
        }
        // The examples' snapshots are the ones authors keep with `credo
        // snapshot`: one format, one place, no second copy in insta's folder.
        let name = path.file_name().unwrap().to_string_lossy();
        let now = snapshot::render(&name, &evaluation);
        let accepted = snapshot::path_for(&snapshot::directory(Path::new("policies")), path);
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        match std::fs::read_to_string(root.join(&accepted)) {
            Ok(then) if then == now => {}
            Ok(then) => mismatches.push(format!(
                "{}: its snapshot changed (`credo snapshot --review` to accept):\n{}",
                path.display(),
                snapshot::changes(&then, &now)
            )),
            Err(e) => mismatches.push(format!("{}: {e}", accepted.display())),
        }
    });
    assert!(count >= 25, "only {count} examples");
    assert!(
        mismatches.is_empty(),
        "outcomes differ from the examples' expectations or snapshots:\n{}",
        mismatches.join("\n")
    );
}
