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
//! starts with `initialize` and `initialized`, whose answers are left out.

use std::path::Path;

use credo::tools::lsp::Server;
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
    if case.get("initialize") != Some(&Value::Bool(false)) {
        let init = json!([
            {"id": "init", "method": "initialize", "params": {"capabilities": {}, "rootUri": root_uri}},
            {"method": "initialized", "params": {}}
        ]);
        for m in init.as_array().unwrap() {
            server.handle_batch(vec![message(m)]);
        }
    }
    let mut messages = case["messages"].clone();
    expand(&mut messages, &root, &root_uri);
    let mut out = Vec::new();
    for item in messages.as_array().unwrap() {
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
