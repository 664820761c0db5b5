#![cfg(feature = "lsp")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! The language server, one golden case per method: each
//! `tests/cases/lsp/NAME.json` is a session (requests and notifications in,
//! Regal-style) run through the real server in memory against a copy of
//! `policies/`; its snapshot is every message the server sent back.
//!
//! A case: `{"about": "..", "initialize": true, "files": {"policies/x.credo": ".."},
//! "messages": [MESSAGE or {"batch": [MESSAGE, ..]}]}`. A message with an `id`
//! is a request. In strings, `ROOT` is the copy's URI and `@policies/x.credo`
//! the whole text of that file. Unless `"initialize": false`, the session
//! starts with `initialize` and `initialized`, whose answers are left out
//! unless the case gives `"client_capabilities"` (sent in `initialize`): then
//! what the server sends on `initialized` is kept.
//! `{"write": "policies/x", "replace": [FROM, TO]}` among the messages changes
//! a file on disk (its first FROM), as an editor's other tools would; with
//! `"from": "policies/y"` it writes x as y so changed, and `{"remove":
//! "policies/x"}` removes a file.

use std::path::Path;

use credo::tools::lsp::Server;
use credo::tools::lsp::analysis::{Analysis, Doc, Input};
use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{Value, json};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `ROOT` to the root's URI, `@FILE` to the file's text, everywhere in `value`.
fn expand(value: &mut Value, root: &Path, root_uri: &str) {
    match value {
        Value::String(s) => {
            if let Some(file) = s.strip_prefix('@') {
                *s = std::fs::read_to_string(root.join(file)).unwrap();
            } else {
                *s = s.replace("ROOT", root_uri);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| expand(v, root, root_uri)),
        Value::Object(map) => map.values_mut().for_each(|v| expand(v, root, root_uri)),
        _ => {}
    }
}

fn message(value: &Value) -> Message {
    let method = value["method"].as_str().expect("a method").to_owned();
    let params = value.get("params").cloned().unwrap_or(Value::Null);
    match value.get("id") {
        Some(Value::Number(n)) => Message::Request(Request::new(
            RequestId::from(n.as_i64().unwrap() as i32),
            method,
            params,
        )),
        Some(Value::String(s)) => {
            Message::Request(Request::new(RequestId::from(s.clone()), method, params))
        }
        _ => Message::Notification(Notification::new(method, params)),
    }
}

/// Runs one case; the server's messages, with the root written `ROOT`.
pub fn session(case: &Value) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"),
        &root.join("policies"),
    );
    let root_uri = format!("file://{}", root.display());
    if let Some(files) = case.get("files").and_then(Value::as_object) {
        for (name, text) in files {
            std::fs::write(root.join(name), text.as_str().unwrap()).unwrap();
        }
    }
    let mut server = Server::new(None);
    let mut out = Vec::new();
    if case.get("initialize") != Some(&Value::Bool(false)) {
        let capabilities = case.get("client_capabilities");
        let init = json!([
            {"id": "init", "method": "initialize", "params": {"capabilities": capabilities.cloned().unwrap_or(json!({})), "rootUri": root_uri}},
            {"method": "initialized", "params": {}}
        ]);
        for (i, m) in init.as_array().unwrap().iter().enumerate() {
            let replies = server.handle_batch(vec![message(m)]);
            if i == 1 && capabilities.is_some() {
                out.extend(replies.iter().map(|r| serde_json::to_value(r).unwrap()));
            }
        }
    }
    let mut messages = case["messages"].clone();
    expand(&mut messages, &root, &root_uri);
    for item in messages.as_array().unwrap() {
        if let Some(file) = item.get("remove").and_then(Value::as_str) {
            std::fs::remove_file(root.join(file)).unwrap();
            continue;
        }
        if let Some(file) = item.get("write").and_then(Value::as_str) {
            let path = root.join(file);
            let from_file = item.get("from").and_then(Value::as_str).unwrap_or(file);
            let text = std::fs::read_to_string(root.join(from_file)).unwrap();
            let [from, to] = [0, 1].map(|i| item["replace"][i].as_str().unwrap());
            assert!(text.contains(from), "{file} has no `{from}`");
            std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
            continue;
        }
        let batch: Vec<Message> = match item.get("batch") {
            Some(Value::Array(items)) => items.iter().map(message).collect(),
            _ => vec![message(item)],
        };
        for reply in server.handle_batch(batch) {
            out.push(serde_json::to_value(&reply).unwrap());
        }
    }
    let text = serde_json::to_string(&out)
        .unwrap()
        .replace(&root_uri, "ROOT")
        .replace(&root.display().to_string(), "ROOT_PATH");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn lsp_methods_answer_as_recorded() {
    insta::glob!("cases/lsp", "*.json", |path| {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        insta::assert_json_snapshot!(session(&case));
    });
}

/// The server's check (parses kept between keystrokes) and `credo check`
/// must report the same, word for word.
fn same_as_credo_check(docs: &[(String, String)], previous: Option<Analysis>) -> Analysis {
    let input = Input {
        policies: docs
            .iter()
            .map(|(name, text)| Doc {
                name: name.clone(),
                text: text.clone(),
            })
            .collect(),
        tests: Vec::new(),
        dir: None,
    };
    let analysis = Analysis::after(input, previous);
    let mut sources = credo::Sources::default();
    for (name, text) in docs {
        sources.add(credo::Source::new(name.clone(), text.clone()));
    }
    let checked = credo::check_sources(sources);
    let render = credo::lang::diagnostics::render;
    assert_eq!(
        render(&analysis.sources, &analysis.diagnostics, false),
        render(&checked.sources, &checked.diagnostics, false),
        "{:?}",
        docs.iter().map(|d| &d.0).collect::<Vec<_>>()
    );
    assert_eq!(analysis.program.is_some(), checked.program.is_some());
    analysis
}

#[test]
fn the_server_reports_what_credo_check_reports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cases = 0;
    for entry in std::fs::read_dir(root.join("tests/cases/check")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "credo") {
            // Files that are not UTF-8 test the loader, not the checker.
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            same_as_credo_check(&[(path.display().to_string(), text)], None);
            cases += 1;
        }
    }
    assert!(cases > 10, "the check cases were found");
    let mut shipped: Vec<(String, String)> = std::fs::read_dir(root.join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "credo"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    shipped.sort();
    let clean = same_as_credo_check(&shipped, None);
    assert!(clean.program.is_some() && clean.ast(0).is_some());
    // One file that no longer parses and one with a misspelt field, each
    // checked after the last (the parses of the others kept).
    let mut broken = shipped.clone();
    broken[0].1 = broken[0].1.replacen("when", "whenn", 1);
    let one = same_as_credo_check(&broken, Some(clean));
    broken[3].1 = broken[3].1.replacen("account.", "acount.", 1);
    let two = same_as_credo_check(&broken, Some(one));
    same_as_credo_check(&shipped, Some(two));
}
