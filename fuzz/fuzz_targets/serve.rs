//! The service's message handlers: any request body to `/v1/evaluate`,
//! `/v1/explain`, `/v1/whatif` or `/v1/evaluate/batch`, through the whole
//! stack in memory (`credo::tools::serve::local`: the same router, routes
//! and limits as `credo serve`, over the shipped policies, with a facts
//! limit of 4 KiB so that long inputs reach it).
//!
//! Input: one byte choosing the endpoint, then the body.
//!
//! Asserts: the answer is 200, 400, 413 or 422 (never a 5xx, never a
//! panic); a JSON endpoint answers one JSON document; a batch answers one
//! whole JSON record per non-blank line (or line over the limit), in order.
#![no_main]

use std::sync::OnceLock;

use credo::tools::serve::local::Local;
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 4096;

fn service() -> &'static Local {
    static SERVICE: OnceLock<Local> = OnceLock::new();
    SERVICE.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
        let limits = credo::Limits {
            max_fact_bytes: LIMIT,
            ..credo::Limits::default()
        };
        Local::new(&dir, limits).expect("the shipped policies load")
    })
}

/// The records `credo batch` gives for a body: one per line that is over
/// the limit or not blank (a line's `\r` before its newline aside).
fn expected_records(body: &[u8]) -> usize {
    let mut pieces: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    // The last piece is a line only when it is not empty.
    if pieces.last().is_some_and(|p| p.is_empty()) {
        pieces.pop();
    }
    pieces
        .iter()
        .filter(|p| {
            let line = p.strip_suffix(b"\r").unwrap_or(p);
            p.len() > LIMIT || !line.iter().all(u8::is_ascii_whitespace)
        })
        .count()
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let path = ["/v1/evaluate", "/v1/explain", "/v1/whatif", "/v1/evaluate/batch"][which as usize % 4];
    let batch = path.ends_with("batch");
    let answer = service().post(
        path,
        if batch { "application/x-ndjson" } else { "application/json" },
        body.to_vec(),
    );
    assert!(
        matches!(answer.status, 200 | 400 | 413 | 422),
        "{path}: {} {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    if batch && answer.status == 200 {
        let text = std::str::from_utf8(&answer.body).expect("records are UTF-8");
        assert!(text.is_empty() || text.ends_with('\n'), "a torn record: {text}");
        let mut last = 0;
        let mut records = 0;
        for line in text.lines() {
            let record: serde_json::Value = serde_json::from_str(line).expect("a record is JSON");
            let number = record["line"].as_u64().expect("a record has its line");
            assert!(number > last, "records out of order: {text}");
            last = number;
            records += 1;
        }
        assert_eq!(records, expected_records(body), "{text}");
    } else {
        serde_json::from_slice::<serde_json::Value>(&answer.body).unwrap_or_else(|e| {
            panic!("{path}: {} not JSON ({e}): {}", answer.status, String::from_utf8_lossy(&answer.body))
        });
    }
});
