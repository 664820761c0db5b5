#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo serve` reloads safely: a set that does not check is refused and
//! the last good one keeps serving, every answer comes whole from one set,
//! and a broken set at start leaves the service not ready.

#[path = "support/server.rs"]
mod server;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use server::{Server, policies_copy, write_atomically};

const MARK: &str = "the self-serve track";

/// The shipped `track.credo`, and two variants: one that answers with
/// another reason message, one that does not parse.
fn variants(dir: &std::path::Path) -> [String; 3] {
    let good = std::fs::read_to_string(dir.join("track.credo")).unwrap();
    assert!(good.contains(MARK));
    let other = good.replace(MARK, "the self-serve track, as set B says");
    let broken = format!("{good}\ndecision broken: eligibility {{ allow when \n");
    [good, other, broken]
}

fn ask(server: &Server) -> server::Answer {
    server.post_json(
        "/v1/evaluate",
        &serde_json::json!({
            "facts": {"as_of": "2026-11-25", "account": {"created_via": "ads_manager", "segment": "smb"}},
            "decisions": ["credit_track", "new_advertiser_credit"],
        }),
    )
}

#[test]
fn reloads_under_load_serve_only_good_sets_and_each_answer_whole() {
    let dir = policies_copy();
    let track = dir.path().join("track.credo");
    let [good, other, broken] = variants(dir.path());
    let server = Server::start(dir.path(), &["--watch-debounce-ms", "20"]);

    // What each good set answers, by its hash.
    let mut expected: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for text in [&other, &good] {
        write_atomically(&track, text);
        let reload = server.request("POST", "/v1/policies/reload", &[], b"");
        assert_eq!(reload.status, 200, "{}", reload.text());
        let answer = ask(&server).json();
        expected.insert(
            answer["policy_hash"].as_str().unwrap().to_owned(),
            answer["decisions"].clone(),
        );
    }
    assert_eq!(expected.len(), 2, "the two good sets answer differently");

    let done = AtomicBool::new(false);
    let (answers, problems) = std::thread::scope(|scope| {
        let client = scope.spawn(|| {
            let started = Instant::now();
            let (mut answers, mut problems) = (0u32, Vec::new());
            while !done.load(Ordering::Relaxed)
                && answers < 200_000
                && started.elapsed() < Duration::from_secs(120)
            {
                let answer = ask(&server);
                answers += 1;
                if answer.status != 200 {
                    problems.push(format!("status {}: {}", answer.status, answer.text()));
                    continue;
                }
                let body = answer.json();
                let hash = body["policy_hash"].as_str().unwrap_or("");
                match expected.get(hash) {
                    None => problems.push(format!("an answer from an unknown set {hash}")),
                    Some(decisions) if *decisions != body["decisions"] => {
                        problems.push(format!("a mixed answer from {hash}: {body}"))
                    }
                    Some(_) => {}
                }
            }
            (answers, problems)
        });
        for i in 0..100 {
            let (text, good_set) = match i % 4 {
                0 | 2 => (&broken, false),
                1 => (&other, true),
                _ => (&good, true),
            };
            write_atomically(&track, text);
            let reload = server.request("POST", "/v1/policies/reload", &[], b"");
            let status = reload.json();
            if good_set {
                assert_eq!(reload.status, 200, "reload {i}: {status}");
                assert!(expected.contains_key(status["hash"].as_str().unwrap()));
            } else {
                assert_eq!(reload.status, 422, "reload {i}: {status}");
                assert_eq!(status["outcome"], "refused");
                assert!(!status["diagnostics"].as_array().unwrap().is_empty());
                let now = server.get("/v1/policies").json();
                assert!(expected.contains_key(now["policy_hash"].as_str().unwrap()));
            }
        }
        done.store(true, Ordering::Relaxed);
        client.join().unwrap()
    });
    assert!(
        problems.is_empty(),
        "{} of {answers}: {:#?}",
        problems.len(),
        &problems[..problems.len().min(5)]
    );
    assert!(answers >= 100, "only {answers} answers during the reloads");
    let log = server.log();
    assert!(log.contains("policy set refused"), "{log}");
}

#[test]
fn a_broken_set_at_start_is_not_ready_until_fixed() {
    let dir = policies_copy();
    let track = dir.path().join("track.credo");
    let [good, _, broken] = variants(dir.path());
    write_atomically(&track, &broken);
    let server = Server::start(dir.path(), &["--no-watch"]);
    assert_eq!(server.get("/readyz").status, 503);
    assert_eq!(server.get("/healthz").status, 200);
    let refused = ask(&server);
    assert_eq!(refused.status, 503);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.json()["errors"][0]["code"], "not_ready");
    let policies = server.get("/v1/policies").json();
    assert_eq!(policies["ready"], false);
    assert_eq!(policies["last_reload"]["outcome"], "refused");
    let diagnostic = &policies["last_reload"]["diagnostics"][0];
    assert!(
        diagnostic["file"]
            .as_str()
            .unwrap()
            .ends_with("track.credo"),
        "{diagnostic}"
    );
    assert!(diagnostic["code"].as_str().unwrap().starts_with('E'));

    write_atomically(&track, &good);
    assert_eq!(
        server
            .request("POST", "/v1/policies/reload", &[], b"")
            .status,
        200
    );
    assert_eq!(server.get("/readyz").status, 200);
    assert_eq!(ask(&server).status, 200);
}

#[test]
fn require_policies_exits_1_on_a_broken_set() {
    let dir = policies_copy();
    let [_, _, broken] = variants(dir.path());
    write_atomically(&dir.path().join("track.credo"), &broken);
    let exited = match Server::try_start(dir.path(), &["--require-policies"]) {
        Ok(_) => panic!("credo serve started with a broken set"),
        Err(exited) => exited,
    };
    assert_eq!(exited.code, Some(1), "{}", exited.stderr);
    assert!(exited.stderr.contains("track.credo"), "{}", exited.stderr);
}

/// Polls the served hash until it is not `old` (at most 10 s).
fn changed_hash(server: &Server, old: &str) -> String {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        let now = server.get("/v1/policies").json()["policy_hash"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        if now != old {
            return now;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the served set did not change from {old}");
}

#[test]
fn sighup_reloads_the_set() {
    let dir = policies_copy();
    let [_, other, _] = variants(dir.path());
    let server = Server::start(dir.path(), &["--no-watch"]);
    let before = server.get("/v1/policies").json()["policy_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    write_atomically(&dir.path().join("track.credo"), &other);
    server.signal("HUP");
    let after = changed_hash(&server, &before);
    let status = server.get("/v1/policies").json();
    assert_eq!(status["last_reload"]["trigger"], "signal");
    assert_eq!(status["last_reload"]["hash"], after.as_str());
}

#[test]
fn a_change_in_the_directory_is_loaded_after_the_debounce() {
    let dir = policies_copy();
    let [_, other, _] = variants(dir.path());
    let server = Server::start(dir.path(), &["--watch-debounce-ms", "50"]);
    let before = server.get("/v1/policies").json()["policy_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    write_atomically(&dir.path().join("track.credo"), &other);
    changed_hash(&server, &before);
    assert_eq!(
        server.get("/v1/policies").json()["last_reload"]["trigger"],
        "watch"
    );
}

/// The reloads counted so far, by `/metrics`.
fn reloads(server: &Server) -> u64 {
    let text = server.get("/metrics").text();
    text.lines()
        .filter(|l| l.starts_with("credo_policy_reloads_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[test]
fn reading_a_policy_file_reloads_nothing() {
    // Opening a file is an event the watcher sees; counting it made every
    // `cat` start a reload, whose own reading of the set started the next,
    // five or more a second for ever.
    let dir = policies_copy();
    let server = Server::start(dir.path(), &["--watch-debounce-ms", "20"]);
    let before = reloads(&server);
    for _ in 0..3 {
        let _ = std::fs::read_to_string(dir.path().join("track.credo")).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(reloads(&server), before, "a read is no change");
    // A write still is.
    let [_, other, _] = variants(dir.path());
    let hash = server.get("/v1/policies").json()["policy_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    write_atomically(&dir.path().join("track.credo"), &other);
    changed_hash(&server, &hash);
    let settled = reloads(&server);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        reloads(&server),
        settled,
        "the reload's own reading starts no other"
    );
}
