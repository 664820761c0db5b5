#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a benchmark that cannot set up should stop loudly"
)]
//! Batch throughput: `credo batch` end to end (read lines, load facts,
//! evaluate the 12 shipped decisions, write records) next to just parsing
//! the same lines with serde_json, into `serde_json::Value` and into
//! `IgnoredAny`, all in this run. Records go to `io::sink()`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group};
use serde::de::IgnoredAny;

use credo::testing::synth::{self, FactOptions};
use credo::tools::batch::{self, Options};

mod common;

const ACCOUNTS: u64 = 5000;

fn bench(c: &mut Criterion) {
    let program = credo::load_dir(Path::new("policies"))
        .unwrap()
        .program
        .unwrap();
    let mut input = Vec::new();
    synth::write_fact_lines(
        &program.schema,
        ACCOUNTS,
        1,
        FactOptions::default(),
        &mut input,
    )
    .unwrap();
    let text = std::str::from_utf8(&input).unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let run = |jobs: usize| {
        let options = Options::new(jobs, None, today);
        let summary = batch::run(
            &program,
            &input[..],
            &mut std::io::sink(),
            &options,
            &|_| {},
        )
        .unwrap();
        assert_eq!(summary.evaluated, ACCOUNTS);
        summary.evaluated
    };
    let value = || {
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).map_or(0, |_| 1))
            .sum::<u64>()
    };
    let ignored = || {
        text.lines()
            .map(|l| serde_json::from_str::<IgnoredAny>(l).map_or(0, |_| 1))
            .sum::<u64>()
    };

    let mut group = c.benchmark_group("batch");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("serde_json_value", |b| b.iter(|| black_box(value())));
    group.bench_function("serde_json_ignored_any", |b| {
        b.iter(|| black_box(ignored()))
    });
    group.bench_function("batch_jobs_1", |b| b.iter(|| black_box(run(1))));
    group.bench_function("batch_all_cores", |b| b.iter(|| black_box(run(cores))));
    group.finish();

    println!(
        "\n{ACCOUNTS} accounts, {:.1} MB of JSON Lines; throughput is the inverse of these times",
        input.len() as f64 / 1e6
    );
    common::wall_ratios(
        "batch end to end vs parse only (wall time)",
        "serde_json Value, parse only",
        &mut [
            ("serde_json Value, parse only", &mut || {
                black_box(value());
            }),
            ("serde_json IgnoredAny", &mut || {
                black_box(ignored());
            }),
            ("credo batch --jobs 1", &mut || {
                black_box(run(1));
            }),
            ("credo batch (all cores)", &mut || {
                black_box(run(cores));
            }),
        ],
    );
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
