#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo batch` keeps its memory bounded whatever a line's length: a line
//! of 300 MB, generated on the fly into a pipe, becomes an error record,
//! the next line is evaluated, and the process's peak resident memory
//! (`VmHWM`, read while it still waits for more input) stays far below the
//! line's size.

use std::io::Write as _;
use std::process::{Command, Stdio};

const LINE: usize = 300 << 20;
/// Far below the line; the reader keeps at most one chunk per worker slot.
const BOUND_KIB: u64 = 160 << 10;

fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("a VmHWM line");
    line.split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number of kB")
}

fn run(jobs: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_credo"))
        .args([
            "batch",
            "--jobs",
            jobs,
            "--record",
            "compact",
            "--decision",
            "credit_track",
            "--as-of",
            "2026-11-25",
            "-",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("credo runs");
    let mut input = child.stdin.take().expect("stdin");
    let pid = child.id();
    // Written from a thread: the pipe holds 64 KiB, and credo's output must
    // be read meanwhile only once the input is closed.
    let feeder = std::thread::spawn(move || {
        input
            .write_all(br#"{"account":{"id":"long","created_via":""#)
            .unwrap();
        let piece = vec![b'x'; 1 << 20];
        for _ in 0..LINE >> 20 {
            input.write_all(&piece).unwrap();
        }
        input.write_all(b"\"}}\n").unwrap();
        input
            .write_all(br#"{"account":{"id":"short","created_via":"agency"}}"#)
            .unwrap();
        input.write_all(b"\n").unwrap();
        input
    });
    let input = feeder.join().expect("the feeder finishes");
    // Everything but what the pipe holds has been read: the long line has
    // gone through the reader, and credo waits for more.
    let peak = peak_kib(pid);
    drop(input);
    let output = child.wait_with_output().expect("credo finishes");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}\n{stderr}");
    assert!(
        lines[0].starts_with(r#"{"line":1,"policy_hash":"sha256:"#)
            && lines[0].contains(r#","errors":[{"path":"","message":"the line is 314572842 bytes long, more than the limit of 1048576 bytes (1 MiB); it was skipped""#),
        "{}",
        &lines[0][..lines[0].len().min(300)]
    );
    assert!(
        lines[1]
            .starts_with(r#"{"line":2,"id":"short","as_of":"2026-11-25","policy_hash":"sha256:"#)
            && lines[1].contains(r#""decisions":{"credit_track":{"outcome":"managed""#),
        "{}",
        lines[1]
    );
    assert!(
        stderr.contains("2 lines read: 1 evaluated, 1 failed"),
        "{stderr}"
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        peak < BOUND_KIB,
        "--jobs {jobs}: peak memory {peak} KiB for a {} MiB line",
        LINE >> 20
    );
}

#[test]
fn a_300_mb_line_becomes_an_error_record_in_bounded_memory() {
    run("1");
    run("4");
}
