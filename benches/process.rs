#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a benchmark that cannot set up should stop loudly"
)]
//! The whole-process time of `credo eval` on the worked example (start,
//! load and check the shipped policies, read the facts, evaluate, print),
//! next to starting a process that does nothing (`credo --version`).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};

mod common;

fn credo(args: &[&str]) {
    let status = Command::new(env!("CARGO_BIN_EXE_credo"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

const EVAL: [&str; 3] = ["eval", "--format", "json"];

fn bench(c: &mut Criterion) {
    let example = "policies/examples/bc_admin_allocates_within_balance.yaml";
    let eval: Vec<&str> = EVAL.iter().copied().chain([example]).collect();
    let mut group = c.benchmark_group("process");
    group.bench_function("credo_version", |b| b.iter(|| credo(&["--version"])));
    group.bench_function("credo_eval_example", |b| b.iter(|| credo(&eval)));
    group.finish();

    // A child's time is wall time: CPU time of this thread would miss it.
    let mut times = [Vec::new(), Vec::new()];
    for _ in 0..15 {
        for (i, args) in [&["--version"][..], &eval[..]].iter().enumerate() {
            let start = Instant::now();
            credo(args);
            times[i].push(start.elapsed());
        }
    }
    let median = |t: &mut Vec<Duration>| {
        t.sort();
        t[t.len() / 2].as_secs_f64()
    };
    let (version, eval_time) = (median(&mut times[0]), median(&mut times[1]));
    println!(
        "\nwhole process, median of 15 interleaved runs (wall time), as a ratio to `credo --version`"
    );
    println!(
        "  {:<28} {:>8.2}x   ({})",
        "credo --version",
        1.0,
        common::human(version)
    );
    println!(
        "  {:<28} {:>8.2}x   ({})",
        "credo eval (worked example)",
        eval_time / version,
        common::human(eval_time)
    );
    println!();
}

criterion_group! {
    name = benches;
    config = common::quick();
    targets = bench
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
