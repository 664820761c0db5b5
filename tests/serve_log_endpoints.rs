#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! The decision log beyond `/v1/evaluate`: each evaluated record of a batch,
//! each explanation and each what-if answer is logged (masked as evaluate's
//! are) and `credo replay` answers it again the same; a changed explanation
//! or what-if answer is caught by its digest.

#[path = "support/server.rs"]
mod server;

use std::path::Path;
use std::process::Command;

use server::{Server, example};

fn replay(log: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_credo"))
        .arg("replay")
        .arg(log)
        .arg("--policies")
        .arg("policies")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

fn lines(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn batch_explain_and_whatif_answers_are_logged_and_replay_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    let mut server = Server::start(
        Path::new("policies"),
        &[
            "--decision-log",
            log.to_str().unwrap(),
            "--log-mask",
            "account.id",
        ],
    );
    let facts = [
        example("active_account_in_good_standing_keeps_credit.yaml"),
        example("agency_created_account_in_business_center_for_new_business.yaml"),
        example("registered_partner_spend_just_below_second_tier.yaml"),
    ];

    // A batch: three accounts, a blank line (no record) and a bad line (an
    // error record, not a decision: not logged).
    let mut body = Vec::new();
    for (i, f) in facts.iter().enumerate() {
        body.extend_from_slice(serde_json::to_string(f).unwrap().as_bytes());
        body.push(b'\n');
        if i == 0 {
            body.extend_from_slice(b"\n{\"account\": 1}\n");
        }
    }
    let batch = server.request(
        "POST",
        "/v1/evaluate/batch",
        &[("Content-Type", "application/x-ndjson")],
        &body,
    );
    assert_eq!(batch.status, 200, "{}", batch.text());
    let batch_id = batch.header("x-credo-batch-id").unwrap().to_owned();
    let records: Vec<serde_json::Value> = batch
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 4, "{}", batch.text());

    let explain = server.post_json(
        "/v1/explain",
        &serde_json::json!({"facts": facts[1], "decisions": ["credit_track"]}),
    );
    assert_eq!(explain.status, 200, "{}", explain.text());
    let explain_id = explain.json()["decision_id"].as_str().unwrap().to_owned();

    let whatif = server.post_json(
        "/v1/whatif",
        &serde_json::json!({"facts": facts[2], "decision": "spend_milestone_credit"}),
    );
    assert_eq!(whatif.status, 200, "{}", whatif.text());
    let whatif_id = whatif.json()["decision_id"].as_str().unwrap().to_owned();
    server.signal("TERM");
    assert_eq!(server.wait(), Some(0));

    let logged = lines(&log);
    let endpoints: Vec<&str> = logged
        .iter()
        .map(|l| l["endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(
        endpoints,
        ["batch", "batch", "batch", "explain", "whatif"],
        "{logged:#?}"
    );
    // Each batch record: its own decision id, the batch's id, the record's
    // line (the bad line 3 was not logged), its facts masked.
    let places: Vec<(String, u64)> = logged
        .iter()
        .take(3)
        .map(|l| {
            (
                l["batch"]["id"].as_str().unwrap().to_owned(),
                l["batch"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            (batch_id.clone(), 1),
            (batch_id.clone(), 4),
            (batch_id.clone(), 5)
        ]
    );
    for (l, record) in logged
        .iter()
        .take(3)
        .zip(records.iter().filter(|r| r.get("decisions").is_some()))
    {
        assert_eq!(l["as_of"], record["as_of"]);
        let outcomes: Vec<&serde_json::Value> = l["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["outcome"])
            .collect();
        let answered: Vec<&serde_json::Value> = record["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["outcome"])
            .collect();
        assert_eq!(outcomes, answered, "{l}\n{record}");
        if let Some(id) = l["facts"]["account"]["id"].as_str() {
            assert!(id.starts_with("masked:"), "{l}");
        }
    }
    let ids: std::collections::BTreeSet<&str> = logged
        .iter()
        .map(|l| l["decision_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), logged.len(), "every answer has its own id");
    assert_eq!(logged[3]["decision_id"], explain_id.as_str());
    assert_eq!(logged[3]["requested"], serde_json::json!(["credit_track"]));
    assert!(logged[3]["answer_sha256"].is_string());
    assert_eq!(logged[4]["decision_id"], whatif_id.as_str());
    assert_eq!(
        logged[4]["whatif"],
        serde_json::json!({"decision": "spend_milestone_credit"})
    );
    assert!(logged[4]["answer_sha256"].is_string());

    let (code, report) = replay(&log);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("5 logged decisions: 5 replayed the same, 0 differ"),
        "{report}"
    );

    // An explanation and a what-if whose logged answers are not what the
    // set answers (same outcomes, another digest): both differences named.
    let tampered = dir.path().join("tampered.jsonl");
    let mut text = String::new();
    for mut l in [logged[3].clone(), logged[4].clone()] {
        l["answer_sha256"] = "0".repeat(64).into();
        text.push_str(&serde_json::to_string(&l).unwrap());
        text.push('\n');
    }
    std::fs::write(&tampered, text).unwrap();
    let (code, report) = replay(&tampered);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("the explanation answer's digest: logged 0000")
            && report.contains("the what-if answer's digest: logged 0000"),
        "{report}"
    );
    assert!(
        report.contains("2 logged decisions: 0 replayed the same, 2 differ"),
        "{report}"
    );
}

#[test]
fn a_batch_waits_for_room_in_the_log_instead_of_losing_lines() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    // A queue of one line: a batch outruns the writer at once.
    let mut server = Server::start(
        Path::new("policies"),
        &["--decision-log", log.to_str().unwrap(), "--log-queue", "1"],
    );
    let facts = serde_json::to_string(&example(
        "active_account_in_good_standing_keeps_credit.yaml",
    ))
    .unwrap();
    let n = 1000;
    let body = format!("{facts}\n").repeat(n);
    let batch = server.request(
        "POST",
        "/v1/evaluate/batch",
        &[("Content-Type", "application/x-ndjson")],
        body.as_bytes(),
    );
    assert_eq!(batch.status, 200);
    assert_eq!(batch.text().lines().count(), n);
    let metrics = server.get("/metrics").text();
    assert!(
        !metrics
            .lines()
            .any(|l| l.starts_with("credo_decision_log_dropped_total") && !l.ends_with(" 0")),
        "{metrics}"
    );
    server.signal("TERM");
    assert_eq!(server.wait(), Some(0));
    let logged = lines(&log);
    assert_eq!(logged.len(), n);
    let numbers: Vec<u64> = logged
        .iter()
        .map(|l| l["batch"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=n as u64).collect::<Vec<_>>());
}

#[test]
fn a_log_that_fails_closed_refuses_batch_explain_and_whatif_too() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full to fail writes");
        return;
    }
    let server = Server::start(
        Path::new("policies"),
        &["--decision-log", "/dev/full", "--log-on-failure", "refuse"],
    );
    // The first answers are queued; the writer's failure then closes the service.
    let started = std::time::Instant::now();
    loop {
        let answer = server.post_json(
            "/v1/evaluate",
            &serde_json::json!({"facts": {}, "decisions": ["credit_track"]}),
        );
        if answer.status == 503 {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let facts = example("registered_partner_spend_just_below_second_tier.yaml");
    for (path, body) in [
        ("/v1/explain", serde_json::json!({"facts": facts})),
        (
            "/v1/whatif",
            serde_json::json!({"facts": facts, "decision": "spend_milestone_credit"}),
        ),
    ] {
        let answer = server.post_json(path, &body);
        assert_eq!(answer.status, 503, "{path}: {}", answer.text());
        assert_eq!(answer.json()["errors"][0]["code"], "log_unavailable");
    }
    let batch = server.request(
        "POST",
        "/v1/evaluate/batch",
        &[("Content-Type", "application/x-ndjson")],
        format!("{}\n", serde_json::to_string(&facts).unwrap()).as_bytes(),
    );
    assert_eq!(batch.status, 503, "{}", batch.text());
}
