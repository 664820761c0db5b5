#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo serve`, the real binary on loopback: the endpoint cases under
//! `tests/cases/serve/` (a request, then a snapshot of the status and the
//! body with its volatile fields redacted), and the stack's guards.

#[path = "support/server.rs"]
mod server;

use std::collections::BTreeMap;

use server::Server;

/// One case: the server's extra arguments, and one request.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    #[serde(default)]
    server: Vec<String>,
    /// Written to a file passed as `--token-file`.
    #[serde(default)]
    token: Option<String>,
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// A JSON body; `facts_from` puts a shipped example's facts in it.
    #[serde(default)]
    json: Option<serde_json::Value>,
    #[serde(default)]
    facts_from: Option<String>,
    /// A body sent as it is.
    #[serde(default)]
    body: Option<String>,
}

/// Fields that differ on every run, or with every change to the shipped policies.
fn redact(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let volatile = matches!(
                    key.as_str(),
                    "decision_id" | "policy_hash" | "hash" | "loaded_at"
                ) || (key == "at"
                    && v.as_str().is_some_and(|s| s.starts_with("20")));
                if volatile && !v.is_null() {
                    *v = serde_json::Value::String(format!("[{key}]"));
                } else {
                    redact(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[test]
fn endpoint_cases() {
    let mut servers: BTreeMap<String, (Server, Option<tempfile::TempDir>)> = BTreeMap::new();
    insta::glob!("cases/serve/*.yaml", |path| {
        let case: Case = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let key = format!("{:?} {:?}", case.server, case.token);
        let (server, _) = servers.entry(key).or_insert_with(|| {
            let mut args = case.server.clone();
            let token_dir = case.token.as_ref().map(|token| {
                let dir = tempfile::tempdir().unwrap();
                let file = dir.path().join("token");
                std::fs::write(&file, token).unwrap();
                args.push("--token-file".into());
                args.push(file.display().to_string());
                dir
            });
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            (
                Server::start(std::path::Path::new("policies"), &args),
                token_dir,
            )
        });
        let mut json = case.json.clone();
        if let Some(name) = &case.facts_from {
            let body = json.get_or_insert_with(|| serde_json::json!({}));
            body["facts"] = server::example(name);
        }
        let body = match (&json, &case.body) {
            (Some(json), _) => serde_json::to_vec(json).unwrap(),
            (None, Some(text)) => text.clone().into_bytes(),
            (None, None) => Vec::new(),
        };
        let headers: Vec<(&str, &str)> = case
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let answer = server.request(&case.method, &case.path, &headers, &body);
        let content_type = answer.header("content-type").unwrap_or("").to_owned();
        let mut shown = serde_json::json!({
            "status": answer.status,
            "content_type": content_type,
        });
        if let Some(seconds) = answer.header("retry-after") {
            shown["retry_after"] = seconds.into();
        }
        if let Some(challenge) = answer.header("www-authenticate") {
            shown["www_authenticate"] = challenge.into();
        }
        if content_type.starts_with("application/x-ndjson") {
            let lines: Vec<serde_json::Value> = answer
                .text()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            shown["body"] = lines.into();
        } else if content_type.starts_with("application/json") {
            shown["body"] = answer.json();
        } else {
            shown["body"] = answer.text().into();
        }
        redact(&mut shown);
        insta::assert_snapshot!(serde_json::to_string_pretty(&shown).unwrap());
    });
}
