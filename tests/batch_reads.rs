#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo batch` reads its input in big blocks cut at their last newline
//! and carries the part line into the next chunk; its workers take turns
//! to write. However the input arrives (a byte a read, or odd sizes that
//! cut a line, a `\r\n`, or a line over the limit anywhere), each line gets
//! the record it gets alone, in order, whatever the number of workers. A
//! read or write error ends a run of several workers with that error, and
//! no worker waits forever for its turn.

mod common;

use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc;
use std::time::Duration;

use credo::Program;
use credo::testing::synth::{self, FactOptions, Rng};
use credo::tools::batch::{self, BatchError, Options, Record, Summary};

/// Lines may be this long; the input holds some just under, at and over it.
const MAX: usize = 2000;

/// Hands out at most `step` bytes a read, so blocks end anywhere.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.bytes.len());
        let (head, rest) = self.bytes.split_at(n);
        buf[..n].copy_from_slice(head);
        self.bytes = rest;
        Ok(n)
    }
}

impl BufRead for Trickle<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(&self.bytes[..self.step.min(self.bytes.len())])
    }

    fn consume(&mut self, n: usize) {
        self.bytes = &self.bytes[n..];
    }
}

fn options(jobs: usize) -> Options {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let mut options = Options::new(jobs, Some(today), today);
    options.record = Record::Compact;
    options.max_line_bytes = MAX;
    options
}

/// A line of exactly `length` bytes that is one account's JSON.
fn padded(length: usize) -> String {
    let head = r#"{"account":{"id":""#;
    let tail = r#""}}"#;
    format!(
        "{head}{}{tail}",
        "x".repeat(length - head.len() - tail.len())
    )
}

/// About 1.3 MB of lines: generated accounts (some bad), blank lines, lines
/// at and over the limit, and one line over the limit longer than a block.
fn lines(program: &Program) -> Vec<String> {
    let mut rng = Rng::new(11);
    let facts = FactOptions {
        unknown_permille: 50,
        bad_permille: 30,
    };
    let mut lines = Vec::new();
    for i in 0..1000 {
        lines.push(synth::fact_line(&program.schema, &mut rng, facts));
        match i % 97 {
            3 => lines.push(String::new()),
            5 => lines.push(" \t ".into()),
            7 => lines.push(padded(MAX)),
            11 => lines.push(padded(MAX + 1)),
            13 => lines.push(padded(MAX + 3000)),
            _ => {}
        }
        if i == 600 {
            lines.push(padded(700_000));
        }
    }
    lines
}

fn run(program: &Program, input: impl BufRead + Send, jobs: usize) -> (Summary, Vec<u8>) {
    let mut out = Vec::new();
    let summary = batch::run(program, input, &mut out, &options(jobs), &|_| {}).unwrap();
    (summary, out)
}

/// Each line run alone (so never cut), its record renumbered: what the
/// whole input must give.
fn alone(program: &Program, lines: &[String], end: &str, last_end: bool) -> (Summary, Vec<u8>) {
    let mut total = Summary::default();
    let mut records = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let ends = i + 1 < lines.len() || last_end;
        let text = format!("{line}{}", if ends { end } else { "" });
        let (summary, out) = run(program, text.as_bytes(), 1);
        total.read += summary.read;
        total.evaluated += summary.evaluated;
        total.failed += summary.failed;
        total.blank += summary.blank;
        total.bytes += summary.bytes;
        if let Some(rest) = out.strip_prefix(br#"{"line":1,"#) {
            // Problems name the line too.
            let rest = String::from_utf8(rest.to_vec()).unwrap().replace(
                r#""line":1,"column""#,
                &format!(r#""line":{},"column""#, i + 1),
            );
            records.extend_from_slice(format!(r#"{{"line":{},"#, i + 1).as_bytes());
            records.extend_from_slice(rest.as_bytes());
        } else {
            assert!(
                out.is_empty(),
                "line {}: {}",
                i + 1,
                String::from_utf8_lossy(&out)
            );
        }
    }
    (total, records)
}

/// The same summary and records, or where they first differ.
fn same(got: &(Summary, Vec<u8>), expected: &(Summary, Vec<u8>), what: &str) {
    assert_eq!(got.0, expected.0, "{what}");
    let got_lines = got.1.split(|&b| b == b'\n');
    let expected_lines = expected.1.split(|&b| b == b'\n');
    for (a, b) in got_lines.zip(expected_lines) {
        assert!(
            a == b,
            "{what}:\n{}\ninstead of\n{}",
            String::from_utf8_lossy(a),
            String::from_utf8_lossy(b)
        );
    }
    assert!(got.1 == expected.1, "{what}");
}

#[test]
fn lines_cut_anywhere_get_the_records_they_get_alone() {
    let program = common::shipped();
    let lines = lines(&program);
    for (end, last_end) in [("\n", true), ("\r\n", true), ("\n", false), ("\r\n", false)] {
        let mut text = lines.join(end);
        if last_end {
            text.push_str(end);
        }
        let expected = alone(&program, &lines, end, last_end);
        assert_eq!(expected.0.bytes, text.len() as u64);
        assert_eq!(expected.0.read, lines.len() as u64);
        let bytes = text.as_bytes();
        for jobs in [1, 2, 3] {
            let whole = run(&program, bytes, jobs);
            same(
                &whole,
                &expected,
                &format!("{end:?} {last_end}, jobs {jobs}, read whole"),
            );
            for step in [7, 4093, 65_537, 300_007] {
                let cut = run(&program, Trickle { bytes, step }, jobs);
                let what = format!("{end:?} {last_end}, jobs {jobs}, reads of {step} bytes");
                same(&cut, &expected, &what);
            }
        }
        // A byte a read puts every block end inside a `\r\n` somewhere.
        let cut = run(&program, Trickle { bytes, step: 1 }, 2);
        same(
            &cut,
            &expected,
            &format!("{end:?} {last_end}, reads of one byte"),
        );
    }
}

/// Runs `go` on a thread and waits for it a bounded time.
fn bounded<T: Send + 'static>(go: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(go());
    });
    rx.recv_timeout(Duration::from_secs(120))
        .expect("the run ended (no worker waits forever for its turn)")
}

fn accounts(count: u64) -> Vec<u8> {
    let program = common::shipped();
    let mut text = Vec::new();
    synth::write_fact_lines(&program.schema, count, 3, FactOptions::default(), &mut text).unwrap();
    text
}

/// A sink that takes `room` bytes, then fails every write.
struct Full {
    room: usize,
}

impl Write for Full {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() > self.room {
            return Err(io::Error::other("the disk is full"));
        }
        self.room -= buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_write_error_ends_a_run_of_several_workers_with_that_error() {
    let input = accounts(6000);
    for jobs in [2, 4] {
        let input = input.clone();
        let result = bounded(move || {
            let program = common::shipped();
            let mut sink = Full { room: 200_000 };
            batch::run(&program, &input[..], &mut sink, &options(jobs), &|_| {})
        });
        match result {
            Err(BatchError::Write(e)) => assert_eq!(e.to_string(), "the disk is full"),
            other => panic!("jobs {jobs}: {other:?}"),
        }
    }
}

/// An input that gives `good` bytes, then fails.
struct Broken<'a> {
    good: &'a [u8],
}

impl Read for Broken<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.good.is_empty() {
            return Err(io::Error::other("the network went away"));
        }
        let n = buf.len().min(self.good.len());
        buf[..n].copy_from_slice(&self.good[..n]);
        self.good = &self.good[n..];
        Ok(n)
    }
}

#[test]
fn a_read_error_ends_a_run_of_several_workers_with_that_error_after_the_lines_before_it() {
    let input = accounts(3000);
    let result = bounded(move || {
        let program = common::shipped();
        let mut out = Vec::new();
        let reader = io::BufReader::new(Broken { good: &input[..] });
        let progress = std::sync::Mutex::new(Summary::default());
        let result = batch::run(&program, reader, &mut out, &options(2), &|s| {
            *progress.lock().unwrap() = *s;
        });
        (result.map(|_| ()), *progress.lock().unwrap(), out)
    });
    match result {
        (Err(BatchError::Read(e)), progress, out) => {
            assert_eq!(e.to_string(), "the network went away");
            // Every line read before the error was written, in order.
            assert_eq!(progress.read, 3000);
            let records = out.iter().filter(|&&b| b == b'\n').count();
            assert_eq!(records, 3000);
        }
        other => panic!("{:?}", other.0),
    }
}

/// A sink that panics at its third write.
struct Panics {
    writes: usize,
}

impl Write for Panics {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        assert!(self.writes < 3, "a sink that fails badly");
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_worker_that_panics_leaves_no_other_waiting() {
    let input = accounts(6000);
    let ended = bounded(move || {
        std::panic::catch_unwind(|| {
            let program = common::shipped();
            let mut sink = Panics { writes: 0 };
            batch::run(&program, &input[..], &mut sink, &options(3), &|_| {}).is_ok()
        })
    });
    // The panic reaches the caller, or the run ends with an error.
    assert!(!matches!(ended, Ok(true)));
}
