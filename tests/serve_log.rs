#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! The decision log of `credo serve` and `credo replay`: every answer is
//! logged with masked fields and replays the same; a line from another
//! set or a changed answer is reported; the file rotates by size; a log
//! that cannot be written fails closed, or counts its drops.

#[path = "support/server.rs"]
mod server;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use server::{Server, example, policies_copy, write_atomically};

fn replay(log: &Path, policies: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_credo"))
        .arg("replay")
        .arg(log)
        .arg("--policies")
        .arg(policies)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

fn examples() -> Vec<serde_json::Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/examples");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".json"))
        .collect();
    names.sort();
    names.iter().map(|n| example(n)).collect()
}

#[test]
fn every_answer_is_logged_masked_and_replays_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    let mut server = Server::start(
        Path::new("policies"),
        &[
            "--decision-log",
            log.to_str().unwrap(),
            "--log-mask",
            "account.id",
            "--log-mask",
            "business_center.id",
            "--log-mask",
            "account.linked_business_center",
            // R6 compares the request's target with the account's id: a
            // mask keeps equal values equal only when both are masked.
            "--log-mask",
            "request.to_account",
        ],
    );
    let mut ids = Vec::new();
    for (i, facts) in examples().into_iter().enumerate() {
        let mut body = serde_json::json!({"facts": facts});
        if i % 3 == 1 {
            body["decisions"] = serde_json::json!(["credit_allocation", "credit_track"]);
        }
        if i % 5 == 2 {
            body["as_of"] = "2026-12-01".into();
        }
        let answer = server.post_json("/v1/evaluate", &body);
        assert_eq!(answer.status, 200, "{}", answer.text());
        ids.push(answer.json()["decision_id"].as_str().unwrap().to_owned());
    }
    // Refused requests are not decisions: nothing is logged for them.
    assert_eq!(
        server
            .post_json(
                "/v1/evaluate",
                &serde_json::json!({"facts": {"account": 1}})
            )
            .status,
        400
    );
    server.signal("TERM");
    assert_eq!(server.wait(), Some(0));

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), ids.len());
    let mut masked = 0;
    for (line, id) in lines.iter().zip(&ids) {
        assert_eq!(line["decision_id"], id.as_str());
        assert!(line["policy_hash"].as_str().unwrap().starts_with("sha256:"));
        assert!(line["time"].as_str().unwrap().ends_with('Z'));
        for decision in line["decisions"].as_array().unwrap() {
            assert!(decision["outcome"].is_string());
            assert!(
                decision["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|r| r.is_string())
            );
        }
        if let Some(account_id) = line["facts"]["account"]["id"].as_str() {
            assert!(account_id.starts_with("masked:"), "{line}");
            assert!(
                line["masked"]
                    .as_array()
                    .unwrap()
                    .contains(&"account.id".into())
            );
            masked += 1;
        }
    }
    assert!(masked > 10);
    let (code, report) = replay(&log, Path::new("policies"));
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains(&format!(
            "{} logged decisions: {} replayed the same, 0 differ",
            ids.len(),
            ids.len()
        )),
        "{report}"
    );

    // Another set: every line is reported, none replayed.
    let other = policies_copy();
    let track = other.path().join("track.credo");
    let text = std::fs::read_to_string(&track).unwrap();
    write_atomically(
        &track,
        &text.replace("self-serve track", "self-serve track (B)"),
    );
    let (code, report) = replay(&log, other.path());
    assert_eq!(code, Some(1));
    assert_eq!(
        report.matches("not replayed").count(),
        ids.len(),
        "{report}"
    );

    // A logged answer that is not what the set answers: the difference is named.
    let tampered = dir.path().join("tampered.jsonl");
    let mut first = lines[0].clone();
    first["decisions"][0]["outcome"] = "made_up".into();
    let mut text = serde_json::to_string(&first).unwrap();
    text.push('\n');
    text.push_str("not json\n");
    std::fs::write(&tampered, text).unwrap();
    let (code, report) = replay(&tampered, Path::new("policies"));
    assert_eq!(code, Some(1));
    assert!(
        report.contains("line 1: decision") && report.contains("logged made_up"),
        "{report}"
    );
    assert!(
        report.contains("line 2: not a decision log line"),
        "{report}"
    );
    assert!(report.contains("2 logged decisions: 0 replayed the same, 1 differ, 0 made by another policy set, 1 could not be replayed"), "{report}");
}

#[test]
fn the_log_rotates_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    let mut server = Server::start(
        Path::new("policies"),
        &[
            "--decision-log",
            log.to_str().unwrap(),
            "--log-max-bytes",
            "3000",
            "--log-keep",
            "2",
        ],
    );
    let facts = example("partner_agreement_bc_admin_allocation.json");
    for _ in 0..12 {
        let answer = server.post_json(
            "/v1/evaluate",
            &serde_json::json!({"facts": facts, "decisions": ["credit_track"]}),
        );
        assert_eq!(answer.status, 200);
    }
    server.signal("TERM");
    assert_eq!(server.wait(), Some(0));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["decisions.jsonl", "decisions.jsonl.1", "decisions.jsonl.2"]
    );
    for name in &names {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(text.len() <= 3000, "{name}: {} bytes", text.len());
        assert!(
            text.lines()
                .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
        );
    }
}

/// Asks until the answer has `status` (at most 10 s).
fn until(server: &Server, status: u16) -> server::Answer {
    let started = Instant::now();
    loop {
        let answer = server.post_json(
            "/v1/evaluate",
            &serde_json::json!({"facts": {}, "decisions": ["credit_track"]}),
        );
        if answer.status == status || started.elapsed() > Duration::from_secs(10) {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_log_that_cannot_be_written_fails_closed_when_told() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full to fail writes");
        return;
    }
    let server = Server::start(
        Path::new("policies"),
        &["--decision-log", "/dev/full", "--log-on-failure", "refuse"],
    );
    let refused = until(&server, 503);
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert_eq!(refused.json()["errors"][0]["code"], "log_unavailable");
    assert_eq!(refused.header("retry-after"), Some("1"));
}

#[test]
fn a_log_that_cannot_be_written_counts_drops_by_default() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full to fail writes");
        return;
    }
    let server = Server::start(Path::new("policies"), &["--decision-log", "/dev/full"]);
    for _ in 0..5 {
        assert_eq!(until(&server, 200).status, 200);
    }
    let started = Instant::now();
    loop {
        let metrics = server.get("/metrics").text();
        let dropped = metrics
            .lines()
            .find(|l| l.starts_with("credo_decision_log_dropped_total"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<f64>().ok())
            .unwrap_or(0.0);
        if dropped >= 1.0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{metrics}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Counts the file's lines that are not whole JSON values, and says whether it ends in a newline.
fn torn_lines(log: &Path) -> (usize, bool) {
    let bytes = std::fs::read(log).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let bad = text
        .lines()
        .filter(|l| serde_json::from_str::<serde_json::Value>(l).is_err())
        .count();
    (bad, bytes.is_empty() || bytes.ends_with(b"\n"))
}

#[test]
fn failing_closed_no_request_is_answered_while_its_line_cannot_be_written() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full to fail writes");
        return;
    }
    let server = Server::start(
        Path::new("policies"),
        &["--decision-log", "/dev/full", "--log-on-failure", "refuse"],
    );
    // Spaced past the writer's idle tick (200 ms), which used to clear the
    // failure: each of these was answered 200 and its line dropped. The
    // first one, too, used to be answered once its line was queued.
    for i in 0..6 {
        let answer = server.post_json(
            "/v1/evaluate",
            &serde_json::json!({"facts": {}, "decisions": ["credit_track"]}),
        );
        assert_eq!(answer.status, 503, "request {i}: {}", answer.text());
        assert_eq!(answer.json()["errors"][0]["code"], "log_unavailable");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_write_that_fails_part_way_leaves_no_torn_line_and_the_log_recovers() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: Linux only (RLIMIT_FSIZE from sh's ulimit)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    // Whole lines up to near the file size limit (64 blocks of 512 bytes).
    let filler = format!("{{\"filler\":\"{}\"}}\n", "f".repeat(1000));
    let prefill = filler.repeat(31);
    std::fs::write(&log, &prefill).unwrap();
    let server = Server::start_in_shell(
        // Past the limit a write fails (EFBIG) instead of killing the process.
        "trap '' XFSZ; ulimit -f 64",
        Path::new("policies"),
        &[
            "--decision-log",
            log.to_str().unwrap(),
            "--log-on-failure",
            "refuse",
        ],
    );
    // A line of about 6 KB: it does not fit, and is written in part.
    let big =
        serde_json::json!({"facts": {"note": "n".repeat(6000)}, "decisions": ["credit_track"]});
    for i in 0..3 {
        let answer = server.post_json("/v1/evaluate", &big);
        assert_eq!(answer.status, 503, "request {i}: {}", answer.text());
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(
        std::fs::read(&log).unwrap().len(),
        prefill.len(),
        "a failed write is cut back to the last whole line"
    );
    // Room again: the next trial writes, and answers.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(0)
        .unwrap();
    let answered = until(&server, 200);
    assert_eq!(answered.status, 200, "{}", answered.text());
    let id = answered.json()["decision_id"].as_str().unwrap().to_owned();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains(&id), "the answered decision is logged");
    assert_eq!(torn_lines(&log), (0, true), "{text}");
}

#[test]
fn a_log_opened_on_a_torn_line_starts_on_a_line_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    std::fs::write(&log, "{\"whole\":1}\n{\"torn\":\"abc").unwrap();
    let server = Server::start(
        Path::new("policies"),
        &["--decision-log", log.to_str().unwrap()],
    );
    let answered = until(&server, 200);
    let id = answered.json()["decision_id"].as_str().unwrap().to_owned();
    let started = Instant::now();
    while !std::fs::read_to_string(&log).unwrap().contains(&id) {
        assert!(started.elapsed() < Duration::from_secs(10), "not logged");
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[1], "{\"torn\":\"abc");
    assert_eq!(torn_lines(&log), (1, true), "only the fragment is torn");
}

#[test]
fn failing_closed_no_batch_record_is_sent_before_its_line_is_written() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full to fail writes");
        return;
    }
    let server = Server::start(
        Path::new("policies"),
        &["--decision-log", "/dev/full", "--log-on-failure", "refuse"],
    );
    let lines = "{\"account\": {\"segment\": \"smb\"}}\n".repeat(3);
    let answer = server.request(
        "POST",
        "/v1/evaluate/batch",
        &[("Content-Type", "application/x-ndjson")],
        lines.as_bytes(),
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    let text = answer.text();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3, "{text}");
    for record in &records {
        assert!(
            record.get("decisions").is_none(),
            "answered unlogged: {record}"
        );
        assert!(
            record
                .to_string()
                .contains("the decision log cannot be written"),
            "{record}"
        );
    }
}
