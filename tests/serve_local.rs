#![cfg(feature = "serve")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! The service in memory (`credo::tools::serve::local`), which the `serve`
//! fuzz target drives: the same routes and limits as over the network.

use std::path::Path;

use credo::tools::serve::local::Local;

fn service(limit: usize) -> Local {
    let limits = credo::Limits {
        max_fact_bytes: limit,
        ..credo::Limits::default()
    };
    Local::new(Path::new("policies"), limits).unwrap()
}

#[test]
fn the_service_in_memory_answers_as_over_the_network() {
    let local = service(4096);
    let facts =
        r#"{"account": {"created_via": "ads_manager", "segment": "smb"}, "as_of": "2026-11-25"}"#;
    let answer = local.post(
        "/v1/evaluate",
        "application/json",
        format!(r#"{{"facts": {facts}, "decisions": ["credit_track"]}}"#).into_bytes(),
    );
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(json["decisions"][0]["outcome"], "self_serve");

    // The configured facts limit applies: 413, with the problems JSON.
    let big = format!(r#"{{"facts": {{"pad": "{}"}}}}"#, "x".repeat(5000));
    let answer = local.post("/v1/evaluate", "application/json", big.into_bytes());
    assert_eq!(answer.status, 413);
    assert!(serde_json::from_slice::<serde_json::Value>(&answer.body).is_ok());

    // A batch: a record for each non-blank line, one for the line over the limit.
    let body = format!("{facts}\n\n{{\"pad\": \"{}\"}}\n{facts}", "x".repeat(5000));
    let answer = local.post(
        "/v1/evaluate/batch",
        "application/x-ndjson",
        body.into_bytes(),
    );
    assert_eq!(answer.status, 200);
    let text = String::from_utf8(answer.body).unwrap();
    let lines: Vec<u64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["line"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(lines, [1, 3, 4], "{text}");
    assert!(text.contains("larger than the limit"), "{text}");
}
