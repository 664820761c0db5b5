#![cfg(feature = "lsp")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo lsp` as an editor runs it: the real binary over stdio, a whole
//! session from `initialize` to `exit`, each read bounded in time.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn send(stdin: &mut impl Write, message: &Value) {
    let body = message.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    stdin.flush().unwrap();
}

/// Reads framed messages on a thread, so that the test can wait with a deadline.
fn reader(stdout: impl Read + Send + 'static) -> mpsc::Receiver<Value> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        loop {
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim();
                if line.is_empty() {
                    break;
                }
                if let Some(n) = line.strip_prefix("Content-Length: ") {
                    length = n.parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            if stdout.read_exact(&mut body).is_err() {
                return;
            }
            if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                return;
            }
        }
    });
    rx
}

/// The first message that satisfies `want`, within ten seconds.
fn wait_for(rx: &mpsc::Receiver<Value>, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(message) if want(&message) => return message,
            Ok(_) => {}
            Err(e) => panic!("no such message within the time: {e}"),
        }
    }
}

/// A copy of the shipped policy files (the `.credo` ones) in a directory of
/// its own: the directory, kept alive by the caller, and the files' place.
fn shipped_policy_files() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "credo") {
            std::fs::copy(&path, policies.join(path.file_name().unwrap())).unwrap();
        }
    }
    (dir, policies)
}

/// `credo lsp` on `policies`: the process, its stdin, and what it says.
fn lsp(
    policies: &std::path::Path,
) -> (
    std::process::Child,
    std::process::ChildStdin,
    mpsc::Receiver<Value>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_credo"))
        .args(["lsp", "--policies"])
        .arg(policies)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let rx = reader(child.stdout.take().unwrap());
    (child, stdin, rx)
}

#[test]
fn a_whole_session_over_stdio() {
    let (_dir, policies) = shipped_policy_files();
    let file = policies.join("new_advertiser.credo");
    let text = std::fs::read_to_string(&file).unwrap();
    let uri = format!("file://{}", file.display());

    let (mut child, mut stdin, rx) = lsp(&policies);

    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    let init = wait_for(&rx, |m| m["id"] == 1);
    assert_eq!(
        init["result"]["capabilities"]["textDocumentSync"]["change"], 2,
        "incremental sync"
    );
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "credo", "version": 1, "text": text}}}),
    );
    // Misspell `segment` (line 10, `    when account.segment != smb`).
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [{"range": {"start": {"line": 9, "character": 17}, "end": {"line": 9, "character": 24}}, "text": "segmnt"}]}}),
    );
    let published = wait_for(&rx, |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["version"] == 2
    });
    let diagnostic = &published["params"]["diagnostics"][0];
    assert_eq!(diagnostic["code"], "E0101");
    assert!(
        diagnostic["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `account.segment`?"),
        "{diagnostic}"
    );
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/completion", "params": {
        "textDocument": {"uri": uri}, "position": {"line": 9, "character": 17}}}),
    );
    let completion = wait_for(&rx, |m| m["id"] == 2);
    let labels: Vec<&str> = completion["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"segment") && labels.contains(&"created_via"),
        "{labels:?}"
    );
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}),
    );
    let shutdown = wait_for(&rx, |m| m["id"] == 3);
    assert_eq!(shutdown["result"], Value::Null);
    send(&mut stdin, &json!({"jsonrpc": "2.0", "method": "exit"}));
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("credo lsp did not exit after `exit`");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit after shutdown is code 0: {status}");
}

#[test]
fn a_burst_of_changes_written_at_once_is_checked_as_one() {
    // lsp-server's reader hands over one message at a time: 200 changes in
    // one write were checked 200 times (a 200 KB set took 18 s to answer
    // the next request).
    let (_dir, policies) = shipped_policy_files();
    let file = policies.join("new_advertiser.credo");
    let text = std::fs::read_to_string(&file).unwrap();
    let uri = format!("file://{}", file.display());
    let (mut child, mut stdin, rx) = lsp(&policies);
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    wait_for(&rx, |m| m["id"] == 1);
    // The open and 200 changes in one write, then a request.
    let mut burst = Vec::new();
    let mut frame = |message: Value| {
        let body = message.to_string();
        burst.extend(format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes());
    };
    frame(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    frame(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "credo", "version": 1, "text": text}}}),
    );
    // Each change breaks the file or mends it, so that every check has
    // diagnostics of its own to publish.
    for version in 2..202 {
        let (end, text) = if version % 2 == 0 { (0, "@") } else { (1, "") };
        frame(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": end}}, "text": text}]}}),
        );
    }
    frame(
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/documentSymbol", "params": {
        "textDocument": {"uri": uri}}}),
    );
    stdin.write_all(&burst).unwrap();
    stdin.flush().unwrap();
    let mut published = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = rx.recv_timeout(left).expect("an answer to the request");
        if message["method"] == "textDocument/publishDiagnostics"
            && message["params"]["uri"] == uri.as_str()
        {
            published += 1;
        }
        if message["id"] == 2 {
            break;
        }
    }
    // A handful of batches at most, however the pipe split the write.
    assert!(published < 20, "{published} checks for one burst");
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_frame_that_is_no_message_is_answered_and_the_session_goes_on() {
    // lsp-server's reader ended the session (exit 2) on bad JSON, a JSON
    // array or a frame without a Content-Length.
    let (mut child, mut stdin, rx) =
        lsp(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"));
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    wait_for(&rx, |m| m["id"] == 1);
    for (body, code) in [("{not json", -32700), ("[1, 2]", -32600)] {
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
        let error = wait_for(&rx, |m| m["error"].is_object() && m["id"].is_null());
        assert_eq!(error["error"]["code"], code, "{body}: {error}");
    }
    write!(stdin, "X-Nothing: 1\r\n\r\n").unwrap();
    let error = wait_for(&rx, |m| m["error"].is_object() && m["id"].is_null());
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Content-Length"),
        "{error}"
    );
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}),
    );
    let answer = wait_for(&rx, |m| m["id"] == 2);
    assert!(answer["error"].is_null(), "{answer}");
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
    );
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}
