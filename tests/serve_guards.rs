#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo serve` guards itself: malformed HTTP, oversized and slow bodies,
//! a limit on requests in flight (503 with Retry-After), and a graceful
//! SIGTERM under which a streamed batch ends on a whole line.

#[path = "support/server.rs"]
mod server;

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

use server::{Server, dechunk, parse_answer, read_answer};

fn shipped(args: &[&str]) -> Server {
    Server::start(Path::new("policies"), args)
}

/// One chunk of a chunked request body.
fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

const BATCH_HEAD: &[u8] = b"POST /v1/evaluate/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n";

fn account_lines(n: usize) -> Vec<u8> {
    let mut lines = Vec::new();
    for i in 0..n {
        lines.extend_from_slice(
            format!("{{\"as_of\": \"2026-11-25\", \"account\": {{\"id\": \"a{i}\", \"created_via\": \"ads_manager\", \"segment\": \"smb\"}}}}\n").as_bytes(),
        );
    }
    lines
}

#[test]
fn malformed_http_gets_400_and_the_server_goes_on() {
    let server = shipped(&[]);
    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"POST /v1/evaluate HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"\x00\x01\x02\x03\r\n\r\n",
    ] {
        let mut stream = server.connect();
        stream.write_all(garbage).unwrap();
        let mut all = Vec::new();
        let _ = stream.read_to_end(&mut all);
        if !all.is_empty() {
            let answer = parse_answer(&all);
            assert!(
                (400..500).contains(&answer.status),
                "{garbage:?}: {}",
                answer.status
            );
        }
    }
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn a_declared_oversized_body_is_413_without_reading_it() {
    let server = shipped(&["--max-fact-bytes", "1000"]);
    let mut stream = server.connect();
    stream
        .write_all(b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1000000000\r\n\r\n{")
        .unwrap();
    let answer = read_answer(&mut stream);
    assert_eq!(answer.status, 413);
    assert_eq!(answer.json()["errors"][0]["code"], "too_large");
}

#[test]
fn an_oversized_chunked_body_is_413() {
    let server = shipped(&["--max-fact-bytes", "1000"]);
    let mut request = b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    request.extend(chunk(&[b' '; 800]));
    request.extend(chunk(&[b' '; 800]));
    request.extend_from_slice(b"0\r\n\r\n");
    let answer = server.raw(&request);
    assert_eq!(answer.status, 413);
}

#[test]
fn a_body_that_stops_coming_is_408() {
    let server = shipped(&["--body-timeout-ms", "300"]);
    let mut stream = server.connect();
    let started = Instant::now();
    stream
        .write_all(b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100\r\n\r\n{\"facts\":")
        .unwrap();
    let answer = read_answer(&mut stream);
    assert_eq!(answer.status, 408, "{}", answer.text());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn past_the_in_flight_limit_the_answer_is_503_with_retry_after() {
    let server = shipped(&["--max-in-flight", "1"]);
    // A batch whose body is still coming holds the one place.
    let mut stream = server.connect();
    stream.write_all(BATCH_HEAD).unwrap();
    stream.write_all(&chunk(&account_lines(1))).unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let refused = server.post_json("/v1/evaluate", &serde_json::json!({"facts": {}}));
    assert_eq!(refused.status, 503);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.json()["errors"][0]["code"], "overloaded");
    // Probes are never limited.
    assert_eq!(server.get("/readyz").status, 200);
    stream.write_all(b"0\r\n\r\n").unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    let started = Instant::now();
    loop {
        let again = server.post_json("/v1/evaluate", &serde_json::json!({"facts": {}}));
        if again.status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the place was not given back"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_during_a_batch_stream_ends_it_on_a_whole_line() {
    let mut server = shipped(&[]);
    let mut stream = server.connect();
    stream.write_all(BATCH_HEAD).unwrap();
    // Enough lines that records are on their way before the signal.
    for _ in 0..20 {
        stream.write_all(&chunk(&account_lines(200))).unwrap();
    }
    let mut seen = Vec::new();
    let started = Instant::now();
    let mut buffer = [0u8; 65536];
    while dechunk_after_head(&seen)
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        < 100
    {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "the stream ended early");
        seen.extend_from_slice(&buffer[..n]);
        assert!(started.elapsed() < Duration::from_secs(30));
    }
    server.signal("TERM");
    // The client goes on sending to the end of its body; the server has
    // ended the stream by itself.
    let _ = stream.write_all(&chunk(&account_lines(200)));
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    seen.extend_from_slice(&rest);
    let answer = parse_answer(&seen);
    assert_eq!(answer.status, 200);
    assert!(
        answer.raw_body.ends_with(b"0\r\n\r\n"),
        "the stream was not ended properly"
    );
    let text = String::from_utf8(answer.body).unwrap();
    assert!(text.ends_with('\n'), "a torn last record");
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a torn record ({e}): {l}")))
        .collect();
    let last = records.last().unwrap();
    assert!(
        last["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("shutting down"),
        "{last}"
    );
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record["line"], i as u64 + 1);
    }
    assert_eq!(server.wait(), Some(0));
}

fn dechunk_after_head(all: &[u8]) -> Vec<u8> {
    match all.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(at) => dechunk(&all[at + 4..]),
        None => Vec::new(),
    }
}

#[test]
fn sigterm_lets_a_request_in_flight_finish() {
    let mut server = shipped(&[]);
    // The request is sent in two parts, the signal between them.
    let mut stream = server.connect();
    let body = serde_json::to_vec(
        &serde_json::json!({"facts": {"as_of": "2026-11-25"}, "decisions": ["credit_track"]}),
    )
    .unwrap();
    stream
        .write_all(format!("POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes())
        .unwrap();
    stream.write_all(&body[..5]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(200));
    stream.write_all(&body[5..]).unwrap();
    let answer = read_answer(&mut stream);
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(server.wait(), Some(0));
}

/// Facts with `n` fields the schema does not know, each a warning.
fn unknown_fields(n: usize) -> serde_json::Value {
    let fields: serde_json::Map<String, serde_json::Value> = (0..n)
        .map(|i| (format!("k{i:06}"), serde_json::Value::from(1)))
        .collect();
    serde_json::Value::Object(fields)
}

#[test]
fn a_slow_evaluation_does_not_hold_up_the_health_probe() {
    // One async worker: work done on it would stall every other request.
    let server = shipped(&["--workers", "1"]);
    let body = serde_json::to_vec(&serde_json::json!({"facts": unknown_fields(80_000)})).unwrap();
    assert!(body.len() < 1 << 20);
    let heavy = std::thread::scope(|scope| {
        let heavy = scope.spawn(|| {
            let started = Instant::now();
            let answer = server.request("POST", "/v1/evaluate", &[], &body);
            (answer, started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        let health = server.get("/healthz");
        let waited = started.elapsed();
        assert_eq!(health.status, 200);
        let (answer, took) = heavy.join().unwrap();
        assert!(
            waited < Duration::from_millis(1000) || took < waited,
            "/healthz waited {waited:?} behind an evaluation of {took:?}"
        );
        answer
    });
    assert_eq!(heavy.status, 200, "{}", heavy.text());
    // The warnings are listed up to a bound, with how many were left out.
    let warnings = heavy.json()["warnings"].as_array().unwrap().clone();
    assert_eq!(warnings.len(), 101);
    assert_eq!(
        warnings[100]["message"],
        "and 79900 more unknown fields, ignored, not listed"
    );
    assert!(heavy.body.len() < 64 * 1024, "{} bytes", heavy.body.len());
}

#[test]
fn a_batch_record_lists_its_warnings_up_to_a_bound() {
    let server = shipped(&[]);
    let mut line = serde_json::to_vec(&unknown_fields(150)).unwrap();
    line.push(b'\n');
    let answer = server.request(
        "POST",
        "/v1/evaluate/batch",
        &[("Content-Type", "application/x-ndjson")],
        &line,
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    let record: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    let warnings = record["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 101, "{record}");
    assert!(
        warnings[100]
            .to_string()
            .contains("and 50 more unknown fields"),
        "{}",
        warnings[100]
    );
}

/// Whether the server closes `stream` within `within` (reading whatever it sends).
fn closed_within(stream: &mut std::net::TcpStream, within: Duration) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    while started.elapsed() < within {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn idle_connections_and_unfinished_heads_are_closed() {
    let server = shipped(&["--header-timeout-ms", "500"]);
    let mut idle = server.connect();
    let mut half_head = server.connect();
    half_head
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut kept_alive = server.connect();
    kept_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    for (name, stream) in [
        ("an idle connection", &mut idle),
        ("an unfinished head", &mut half_head),
        ("a kept-alive connection after its answer", &mut kept_alive),
    ] {
        assert!(
            closed_within(stream, Duration::from_secs(5)),
            "{name} was still open"
        );
    }
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn held_connections_neither_exhaust_descriptors_nor_starve_the_probe() {
    // 64 descriptors, and more connections held open than that.
    let server = Server::start_in_shell(
        "ulimit -n 64",
        Path::new("policies"),
        &[
            "--no-watch",
            "--header-timeout-ms",
            "1000",
            "--max-connections",
            "32",
        ],
    );
    let held: Vec<_> = (0..70)
        .map(|_| {
            let mut stream = server.connect();
            let _ = stream.write_all(b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\n");
            stream
        })
        .collect();
    let started = Instant::now();
    let mut health = server.connect();
    health
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = read_answer(&mut health);
    assert_eq!(answer.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "/healthz took {:?}",
        started.elapsed()
    );
    drop(held);
    let log = server.log();
    assert!(!log.contains("os error 24"), "{log}");
}

#[test]
fn a_batch_trickled_a_byte_at_a_time_gives_back_its_place() {
    let server = shipped(&["--body-deadline-ms", "1000", "--max-in-flight", "1"]);
    let mut stream = server.connect();
    stream.write_all(BATCH_HEAD).unwrap();
    let started = Instant::now();
    // A byte every 200 ms, well within --body-timeout-ms, never a whole line.
    let trickle = b"{\"account\": {\"segment\": \"smb\"}}";
    let mut sent = 0;
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "the batch was still open: {}",
            String::from_utf8_lossy(&answer)
        );
        if sent < trickle.len() {
            let _ = stream.write_all(&chunk(&trickle[sent..=sent]));
            sent += 1;
        }
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
        if answer.ends_with(b"0\r\n\r\n") {
            break;
        }
    }
    let answer = parse_answer(&answer);
    assert_eq!(answer.status, 200);
    let text = answer.text();
    assert!(text.contains("no whole line came within 1000 ms"), "{text}");
    // The one place is free again.
    let started = Instant::now();
    loop {
        let again = server.post_json("/v1/evaluate", &serde_json::json!({"facts": {}}));
        if again.status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{}",
            again.text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends a head announcing 100 bytes, then a byte every 100 ms, until the answer comes (at most 8 s).
fn trickle_evaluate(server: &Server) -> (server::Answer, Duration) {
    let mut stream = server.connect();
    stream
        .write_all(b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100\r\n\r\n")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while started.elapsed() < Duration::from_secs(8) {
        let _ = stream.write_all(b" ");
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    (parse_answer(&answer), started.elapsed())
}

#[test]
fn a_body_trickled_past_its_deadline_is_408_with_a_problem() {
    let server = shipped(&["--body-deadline-ms", "1000"]);
    let (answer, took) = trickle_evaluate(&server);
    assert_eq!(answer.status, 408, "{}", answer.text());
    assert_eq!(answer.json()["errors"][0]["code"], "body_incomplete");
    assert!(took < Duration::from_secs(6), "{took:?}");
}

#[test]
fn timeouts_answer_with_a_problem_never_an_empty_body() {
    // The request timeout comes first: a body still arriving is the client's fault.
    let server = shipped(&["--request-timeout-ms", "1000", "--body-deadline-ms", "5000"]);
    let (answer, _) = trickle_evaluate(&server);
    assert_eq!(answer.status, 408, "{}", answer.text());
    assert_eq!(answer.json()["errors"][0]["code"], "body_incomplete");
    // An answer that is not ready in time is the service's: 503 with Retry-After.
    let server = shipped(&["--request-timeout-ms", "300"]);
    let body = serde_json::to_vec(&serde_json::json!({"facts": unknown_fields(80_000)})).unwrap();
    let answer = server.request("POST", "/v1/evaluate", &[], &body);
    assert_eq!(answer.status, 503, "{}", answer.text());
    assert_eq!(answer.json()["errors"][0]["code"], "timeout");
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert_eq!(answer.header("content-type"), Some("application/json"));
}
