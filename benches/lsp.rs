#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a benchmark that cannot set up should stop loudly"
)]
//! `credo lsp` on a generated policy set of about 5,000 lines in 20 files:
//! the time from a change notification to the published diagnostics, and
//! from a completion request to its answer, as p50/p95 over many edits;
//! the baseline, measured in the same run, is one `credo check` of the set
//! from text in memory (what the server must at least do per keystroke).
//! Also the process's resident memory. `cargo bench --bench lsp`.

use std::time::{Duration, Instant};

use credo::tools::lsp::Server;
use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::json;

/// Decisions of 10 rules or rows: about 5,000 lines with the schema.
const DECISIONS: usize = 300;
const FILES: usize = 20;
const EDITS: usize = 300;

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    let i = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Resident and peak resident memory of this process, from /proc.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The generated set, its decisions spread over 19 files beside the schema.
fn write_set(dir: &std::path::Path) -> (usize, Vec<(String, String)>) {
    let generated = credo::testing::synth::policy_set(DECISIONS, 10, 1);
    let mut decisions = Vec::new();
    let mut files = Vec::new();
    for (name, text) in generated {
        if name == "schema.credo" {
            files.push((name, text));
            continue;
        }
        let mut current = String::new();
        for line in text.split_inclusive('\n') {
            if line.starts_with("decision ") && !current.trim().is_empty() {
                decisions.push(std::mem::take(&mut current));
            }
            current.push_str(line);
        }
        if !current.trim().is_empty() {
            decisions.push(current);
        }
    }
    let per_file = decisions.len().div_ceil(FILES - 1);
    for (i, chunk) in decisions.chunks(per_file).enumerate() {
        files.push((format!("p{i:02}.credo"), chunk.concat()));
    }
    let mut lines = 0;
    for (name, text) in &files {
        lines += text.lines().count();
        std::fs::write(dir.join(name), text).unwrap();
    }
    (lines, files)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, files) = write_set(dir.path());
    let (file_name, text) = files.iter().find(|(n, _)| n == "p05.credo").unwrap();
    let uri = format!(
        "file://{}/{file_name}",
        dir.path().canonicalize().unwrap().display()
    );
    // A field read to misspell and put back, and the place after its `a.`.
    let at = text.find(" a.e1 ").expect("the file reads a.e1") + 1;
    let before = &text[..at];
    let line = before.matches('\n').count() as u32;
    let column = (at - before.rfind('\n').map_or(0, |i| i + 1)) as u32;

    // Baseline: checking the set once, from text in memory.
    let mut baseline = Vec::new();
    for _ in 0..30 {
        let mut sources = credo::Sources::default();
        for (name, text) in &files {
            sources.add(credo::Source::new(name.clone(), text.clone()));
        }
        let start = Instant::now();
        let checked = credo::check_sources(sources);
        baseline.push(start.elapsed());
        assert!(!checked.has_errors(), "the generated set checks");
    }
    // The floor under a keystroke: parsing the one changed file, and
    // checking the set from parsed trees (what cannot be kept between edits).
    let mut parse_one = Vec::new();
    let mut check_parsed = Vec::new();
    let mut sources = credo::Sources::default();
    let mut trees = Vec::new();
    for (name, text) in &files {
        let id = sources.add(credo::Source::new(name.clone(), text.clone()));
        trees.push(credo::lang::syntax::parse(id, text).unwrap());
    }
    for _ in 0..30 {
        let start = Instant::now();
        let tree = credo::lang::syntax::parse(credo::base::source::FileId(6), text);
        parse_one.push(start.elapsed());
        assert!(tree.is_ok());
        let start = Instant::now();
        let (program, _) = credo::model::check::check(sources.clone(), &trees);
        check_parsed.push(start.elapsed());
        assert!(program.is_some());
    }
    let (rss_before, _) = memory();

    let mut server = Server::new(Some(dir.path().canonicalize().unwrap()));
    let request = |id: i32, method: &str, params: serde_json::Value| {
        Message::Request(Request::new(RequestId::from(id), method.to_owned(), params))
    };
    let notification = |method: &str, params: serde_json::Value| {
        Message::Notification(Notification::new(method.to_owned(), params))
    };
    server.handle_batch(vec![
        request(0, "initialize", json!({"capabilities": {}})),
        notification("initialized", json!({})),
        notification(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "credo", "version": 1, "text": text}}),
        ),
    ]);

    // Keystrokes: `e1` becomes `e9` (unknown field) and back, so that every
    // change publishes a different set of diagnostics.
    let mut diagnostics = Vec::new();
    for i in 0..EDITS {
        let new = if i % 2 == 0 { "9" } else { "1" };
        let change = notification(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": i + 2},
                "contentChanges": [{"range": {"start": {"line": line, "character": column + 3},
                    "end": {"line": line, "character": column + 4}}, "text": new}]}),
        );
        let start = Instant::now();
        let out = server.handle_batch(vec![change]);
        diagnostics.push(start.elapsed());
        assert!(
            out.iter().any(|m| matches!(m, Message::Notification(n) if n.method == "textDocument/publishDiagnostics")),
            "each change publishes"
        );
    }
    // Completion after `a.`, on the set as it is.
    let mut completions = Vec::new();
    for i in 0..EDITS {
        let ask = request(
            i as i32 + 1000,
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": column + 2}}),
        );
        let start = Instant::now();
        let out = server.handle_batch(vec![ask]);
        completions.push(start.elapsed());
        assert!(
            matches!(&out[0], Message::Response(r) if r.response_result.as_ref().is_ok_and(|v| v.as_array().is_some_and(|a| !a.is_empty())))
        );
    }
    let (rss_after, peak) = memory();

    let ratio = |d: Duration, b: Duration| d.as_secs_f64() / b.as_secs_f64();
    let base = percentile(&mut baseline, 0.5);
    let d50 = percentile(&mut diagnostics, 0.5);
    let d95 = percentile(&mut diagnostics, 0.95);
    let c50 = percentile(&mut completions, 0.5);
    let c95 = percentile(&mut completions, 0.95);
    println!(
        "lsp: {} files, {lines} lines, {EDITS} edits and {EDITS} completions",
        files.len()
    );
    println!("baseline: one check of the set (p50): {}", ms(base));
    let p1 = percentile(&mut parse_one, 0.5);
    let cp = percentile(&mut check_parsed, 0.5);
    println!(
        "floor: parsing the changed file {} ({:.2}x the check), checking parsed trees {} ({:.2}x the check)",
        ms(p1),
        ratio(p1, base),
        ms(cp),
        ratio(cp, base)
    );
    println!(
        "change -> diagnostics: p50 {} ({:.2}x the check), p95 {} ({:.2}x the check; {:.2} of the 50 ms target)",
        ms(d50),
        ratio(d50, base),
        ms(d95),
        ratio(d95, base),
        d95.as_secs_f64() / 0.050
    );
    println!(
        "completion: p50 {}, p95 {} ({:.3}x the check; {:.3} of the 10 ms target)",
        ms(c50),
        ms(c95),
        ratio(c95, base),
        c95.as_secs_f64() / 0.010
    );
    println!(
        "memory: resident {} MiB before the server, {} MiB after the run (+{} MiB), peak {} MiB",
        rss_before / 1024,
        rss_after / 1024,
        rss_after.saturating_sub(rss_before) / 1024,
        peak / 1024
    );
}
