#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo serve` renders `{path}` placeholders in messages, as `credo eval`
//! does: the real binary on loopback, over a policy set whose messages have
//! them (`tests/cases/batch/messages`), for one account and for a stream.

#[path = "support/server.rs"]
mod server;

use server::Server;

const FACTS: &str =
    r#"{"account":{"kind":"smb","verified":true,"spend":"1500.00 USD","partner":"bc-77"}}"#;

/// The reasons of every decision of one record, as (message, template).
fn reasons(record: &serde_json::Value) -> Vec<(String, Option<String>)> {
    record["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["reasons"].as_array().unwrap().clone())
        .map(|r| {
            (
                r["message"].as_str().unwrap().to_owned(),
                r["template"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn served_answers_render_message_values() {
    let server = Server::start(std::path::Path::new("tests/cases/batch/messages"), &[]);
    let body = format!(r#"{{"as_of":"2026-11-25","facts":{FACTS}}}"#);
    let answer = server.request("POST", "/v1/evaluate", &[], body.as_bytes());
    assert_eq!(answer.status, 200, "{}", answer.text());
    let expected = vec![
        (
            "Spend 1500.00 USD on 2026-11-25 reached 1,000 USD; partner bc-77, budget unknown {sic}"
                .to_owned(),
            Some("Spend {account.spend} on {as_of} reached 1,000 USD; partner {account.partner}, budget {account.budget} {{sic}}".to_owned()),
        ),
        (
            "Kind smb qualifies".to_owned(),
            Some("Kind {account.kind} qualifies".to_owned()),
        ),
    ];
    assert_eq!(reasons(&answer.json()), expected);

    let line = format!(r#"{{"as_of":"2026-11-25",{}"#, &FACTS[1..]);
    let stream = format!("{line}\n{line}\n");
    let answer = server.request("POST", "/v1/evaluate/batch", &[], stream.as_bytes());
    assert_eq!(answer.status, 200, "{}", answer.text());
    let records: Vec<serde_json::Value> = answer
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    for record in &records {
        assert_eq!(reasons(record), expected);
    }
}
