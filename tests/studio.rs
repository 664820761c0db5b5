#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo studio`, the real binary on loopback: the route cases under
//! `tests/cases/studio/`, each against a fresh copy of the shipped policies
//! (a request built from the shipped files with an edit, then a snapshot of
//! the status and the parts of the body the case names, and of the files on
//! disk after it); and `credo serve` without the studio's routes.

#[path = "support/server.rs"]
mod server;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use server::Server;

/// One case: how the studio starts, and one request.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// Start with `--corpus` (the diff cases' corpus); on unless told.
    #[serde(default = "yes")]
    corpus: bool,
    method: String,
    path: String,
    /// Send the shipped policy files as `files`, after the edits.
    #[serde(default)]
    files: bool,
    #[serde(default)]
    edits: Vec<Edit>,
    /// More fields of the JSON body.
    #[serde(default)]
    json: Option<Value>,
    /// A shipped example's facts as `facts`.
    #[serde(default)]
    facts_from: Option<String>,
    /// JSON pointers into the answer to show; the whole answer when empty.
    /// `failing results` shows the test results that did not pass.
    #[serde(default)]
    show: Vec<String>,
    /// Policy files whose first line on disk is shown after the request.
    #[serde(default)]
    disk: Vec<String>,
}

fn yes() -> bool {
    true
}

/// Text replaced in a shipped file before it is sent.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    file: String,
    find: String,
    replace: String,
}

/// A copy of policies/ (files, examples, tests, snapshots) in a fresh directory.
fn policies_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    for sub in ["", "examples", "tests", "snapshots"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(shipped.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, dir.path().join(sub).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    dir
}

/// Starts `credo studio` on a free loopback port.
fn studio(dir: &Path, corpus: bool) -> Server {
    let mut args = vec!["--no-watch"];
    if corpus {
        args.extend(["--corpus", "tests/cases/diff/corpus.jsonl"]);
    }
    Server::run("studio", dir, &args)
}

/// The shipped policy files, name and text, with the edits made.
fn shipped_files(edits: &[Edit]) -> Vec<Value> {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut paths: Vec<_> = std::fs::read_dir(&shipped)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "credo"))
        .collect();
    paths.sort();
    let mut files: Vec<(String, String)> = paths
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect();
    for edit in edits {
        let file = files
            .iter_mut()
            .find(|(n, _)| *n == edit.file)
            .unwrap_or_else(|| panic!("no file {}", edit.file));
        assert!(
            file.1.contains(&edit.find),
            "`{}` is not in {}",
            edit.find,
            edit.file
        );
        file.1 = file.1.replacen(&edit.find, &edit.replace, 1);
    }
    files
        .into_iter()
        .map(|(name, text)| json!({"name": name, "text": text}))
        .collect()
}

/// Hashes change with every edit of the shipped policies.
fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "policy_hash" && v.is_string() {
                    *v = Value::String("[policy_hash]".into());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// A part of an answer: a JSON pointer, or `failing results`.
fn pick(whole: &Value, what: &str) -> Value {
    if what == "failing results" {
        let results = whole["results"].as_array().cloned().unwrap_or_default();
        return results
            .into_iter()
            .filter(|r| r["passed"] == false)
            .collect();
    }
    whole.pointer(what).cloned().unwrap_or(Value::Null)
}

#[test]
fn route_cases() {
    insta::glob!("cases/studio/*.yaml", |path| {
        let case: Case = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let dir = policies_copy();
        let server = studio(dir.path(), case.corpus);
        let mut body = case.json.clone().unwrap_or_else(|| json!({}));
        if case.files {
            body["files"] = Value::Array(shipped_files(&case.edits));
        }
        if let Some(name) = &case.facts_from {
            body["facts"] = server::example(name);
        }
        let bytes = if case.method == "GET" {
            Vec::new()
        } else {
            serde_json::to_vec(&body).unwrap()
        };
        let answer = server.request(&case.method, &case.path, &[], &bytes);
        let content_type = answer.header("content-type").unwrap_or("").to_owned();
        let mut shown = json!({"status": answer.status, "content_type": content_type});
        if content_type.starts_with("application/json") {
            let mut whole = answer.json();
            redact(&mut whole);
            shown["body"] = if case.show.is_empty() {
                whole
            } else {
                let picked: serde_json::Map<String, Value> = case
                    .show
                    .iter()
                    .map(|p| (p.clone(), pick(&whole, p)))
                    .collect();
                Value::Object(picked)
            };
        } else {
            let text = answer.text();
            shown["body_starts"] = text.lines().take(3).collect::<Vec<_>>().join("\n").into();
        }
        if !case.disk.is_empty() {
            let mut names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".credo") || n.ends_with(".tmp"))
                .collect();
            names.sort();
            shown["disk_files"] = json!(names);
            for name in &case.disk {
                let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
                shown[format!("first line of {name} on disk")] =
                    text.lines().next().unwrap_or("").into();
            }
        }
        insta::assert_snapshot!(serde_json::to_string_pretty(&shown).unwrap());
    });
}

/// The studio's routes are never on in `credo serve`: not served, not in its contract.
#[test]
fn serve_alone_has_no_studio_routes() {
    let dir = policies_copy();
    let server = Server::start(dir.path(), &["--no-watch"]);
    assert_eq!(server.get("/studio/").status, 404);
    let answer = server.post_json("/v1/studio/analyse", &json!({"files": []}));
    assert_eq!(answer.status, 404);
    let document = server.get("/openapi.json").json();
    let paths: Vec<&String> = document["paths"].as_object().unwrap().keys().collect();
    assert!(
        paths.iter().all(|p| !p.contains("studio")),
        "serve's contract lists a studio route: {paths:?}"
    );
    assert!(paths.iter().any(|p| *p == "/v1/evaluate"));
}

/// `credo studio` refuses an address off loopback: it writes policy files.
/// The address is a documentation one (TEST-NET-1): were the check ever
/// lost, the bind would fail rather than listen beyond loopback.
#[test]
fn studio_listens_on_loopback_only() {
    let output = Command::new(env!("CARGO_BIN_EXE_credo"))
        .args(["studio", "--policies", "policies", "--addr", "192.0.2.1:0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("loopback only"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
