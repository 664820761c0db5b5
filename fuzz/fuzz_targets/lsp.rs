//! The language server's message handler: any text opened as a policy
//! file of the shipped set, then any sequence of edits and requests at any
//! positions, each answered without a panic.
//!
//! Input: the file's text, a zero byte, then four bytes per operation:
//! which method, line, column, and a byte to insert (for an edit).
#![no_main]

use credo::tools::lsp::Server;
use libfuzzer_sys::fuzz_target;
use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::json;

const METHODS: &[&str] = &[
    "textDocument/didChange",
    "textDocument/completion",
    "textDocument/hover",
    "textDocument/definition",
    "textDocument/references",
    "textDocument/rename",
    "textDocument/prepareRename",
    "textDocument/formatting",
    "textDocument/rangeFormatting",
    "textDocument/codeAction",
    "textDocument/documentSymbol",
    "textDocument/foldingRange",
    "textDocument/semanticTokens/full",
    "textDocument/codeLens",
    "textDocument/inlayHint",
    "workspace/symbol",
];

fuzz_target!(|data: &[u8]| {
    let (text, ops) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let dir = dir.canonicalize().unwrap_or(dir);
    let uri = format!("file://{}/fuzz.credo", dir.display());
    let mut server = Server::new(Some(dir));
    let request = |id: i32, method: &str, params: serde_json::Value| {
        Message::Request(Request::new(RequestId::from(id), method.to_owned(), params))
    };
    let notification = |method: &str, params: serde_json::Value| {
        Message::Notification(Notification::new(method.to_owned(), params))
    };
    server.handle_batch(vec![
        request(0, "initialize", json!({"capabilities": {}})),
        notification("initialized", json!({})),
        notification(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "credo", "version": 1,
                "text": String::from_utf8_lossy(text)}}),
        ),
    ]);
    for (i, op) in ops.chunks(4).take(64).enumerate() {
        let [m, line, column, byte] = [0, 1, 2, 3].map(|k| op.get(k).copied().unwrap_or(0));
        let method = METHODS[m as usize % METHODS.len()];
        let pos = json!({"line": line % 64, "character": column});
        let range = json!({"start": pos, "end": {"line": (line % 64) + (byte % 3) as u8, "character": 0}});
        let doc = json!({"uri": uri});
        let id = i as i32 + 1;
        let message = match method {
            "textDocument/didChange" => notification(
                method,
                json!({"textDocument": {"uri": uri, "version": id + 1},
                    "contentChanges": [{"range": range, "text": String::from_utf8_lossy(&[byte])}]}),
            ),
            "textDocument/references" => request(
                id,
                method,
                json!({"textDocument": doc, "position": pos, "context": {"includeDeclaration": true}}),
            ),
            "textDocument/rename" => request(
                id,
                method,
                json!({"textDocument": doc, "position": pos, "newName": "renamed"}),
            ),
            "textDocument/formatting" => request(
                id,
                method,
                json!({"textDocument": doc, "options": {"tabSize": 2, "insertSpaces": true}}),
            ),
            "textDocument/rangeFormatting" => request(
                id,
                method,
                json!({"textDocument": doc, "range": range, "options": {"tabSize": 2, "insertSpaces": true}}),
            ),
            "textDocument/codeAction" => request(
                id,
                method,
                json!({"textDocument": doc, "range": range, "context": {"diagnostics": []}}),
            ),
            "textDocument/inlayHint" => request(id, method, json!({"textDocument": doc, "range": range})),
            "workspace/symbol" => request(id, method, json!({"query": String::from_utf8_lossy(&[byte])})),
            "textDocument/documentSymbol"
            | "textDocument/foldingRange"
            | "textDocument/semanticTokens/full"
            | "textDocument/codeLens" => request(id, method, json!({"textDocument": doc})),
            _ => request(id, method, json!({"textDocument": doc, "position": pos})),
        };
        server.handle_batch(vec![message]);
    }
});
