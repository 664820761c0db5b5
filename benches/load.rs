#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a benchmark that cannot set up should stop loudly"
)]
//! Policy loading (parse, check, compile) of generated policy sets of 1k,
//! 10k and 100k rules (10 rules or rows a decision), from text in memory.
//! Time per rule at each size, as a ratio to the smallest, shows whether
//! loading grows linearly.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group};

use credo::{Source, Sources};

mod common;

const SIZES: [(usize, &str); 3] = [
    (100, "1k rules"),
    (1000, "10k rules"),
    (10_000, "100k rules"),
];

fn sources(decisions: usize) -> Sources {
    let mut sources = Sources::default();
    for (name, text) in credo::testing::synth::policy_set(decisions, 10, 1) {
        sources.add(Source::new(name, text));
    }
    sources
}

fn load(sources: &Sources) -> usize {
    let checked = credo::check_sources(sources.clone());
    assert!(!checked.has_errors());
    checked.program.map_or(0, |p| p.decisions.len())
}

fn parse_only(sources: &Sources) -> usize {
    sources
        .iter()
        .map(|(id, s)| credo::lang::syntax::parse(id, &s.text).map_or(0, |f| f.items.len()))
        .sum()
}

fn bench(c: &mut Criterion) {
    let sets: Vec<(usize, &str, Sources)> = SIZES
        .iter()
        .map(|(d, name)| (*d, *name, sources(*d)))
        .collect();
    let mut group = c.benchmark_group("load");
    for (decisions, name, sources) in sets.iter().take(2) {
        group.throughput(Throughput::Elements(*decisions as u64 * 10));
        group.bench_function(*name, |b| b.iter(|| load(black_box(sources))));
    }
    group.finish();

    let mut works: Vec<(String, Box<dyn FnMut() + '_>)> = Vec::new();
    for (_, name, sources) in &sets {
        works.push((
            format!("{name}: parse, check, compile"),
            Box::new(move || {
                black_box(load(sources));
            }),
        ));
        works.push((
            format!("{name}: parse only"),
            Box::new(move || {
                black_box(parse_only(sources));
            }),
        ));
    }
    let mut refs: Vec<common::Work<'_>> = works
        .iter_mut()
        .map(|(n, w)| (n.as_str(), &mut **w as &mut dyn FnMut()))
        .collect();
    let medians = common::medians(&mut refs, 3, Duration::from_millis(300));
    let per_rule = |i: usize| medians[i] / (sets[i / 2].0 as f64 * 10.0);
    println!(
        "\npolicy loading: median of 3 interleaved rounds; time per rule as a ratio to 1k rules"
    );
    for (i, (name, _)) in refs.iter().enumerate() {
        println!(
            "  {name:<36} {:>10}   per rule {:>9}   {:>5.2}x",
            common::human(medians[i]),
            common::human(per_rule(i)),
            per_rule(i) / per_rule(i % 2)
        );
    }
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
