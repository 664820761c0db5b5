#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a benchmark that cannot set up should stop loudly"
)]
//! Per-account evaluation of the 12 shipped decisions: the compiled hot path
//! (`decide_into`), the public `evaluate` that also renders words, the
//! reference evaluator (`credo::testing::reference`), and a
//! hand-written Rust function computing the same 12 answers and reasons,
//! which is the practical limit. Figures are reported as ratios to it.

use std::hint::black_box;
use std::path::Path;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group};

use credo::Program;
use credo::engine::eval::Request;
use credo::engine::outcome::AsOfSource;
use credo::engine::verdict::Verdicts;
use credo::input::facts::Facts;
use credo::input::packed::PackedFacts;
use credo::testing::synth::{self, FactOptions, Rng};

mod common;

/// Accounts per iteration: varied, so no branch is always taken.
const ACCOUNTS: usize = 64;

/// Issue 15's measure: many varied accounts, so that no account's facts sit
/// in the cache from the previous round and no branch is learnt by heart.
const MANY: usize = 100_000;

fn shipped() -> Program {
    let checked = credo::load_dir(Path::new("policies")).unwrap();
    checked.program.unwrap()
}

/// Generated accounts with every required fact known (the native baseline
/// reads no unknowns), loaded once.
fn accounts(program: &Program, count: usize) -> Vec<Facts> {
    loaded(program, count, |facts| facts)
}

/// The same accounts, each packed as soon as it is loaded (as a program
/// that holds many accounts would keep them), with its date.
fn packed_accounts(program: &Program, count: usize) -> Vec<(PackedFacts, NaiveDate)> {
    loaded(program, count, |facts| {
        (PackedFacts::new(&facts), as_of(program, &facts))
    })
}

fn loaded<T>(program: &Program, count: usize, keep: impl Fn(Facts) -> T) -> Vec<T> {
    let mut rng = Rng::new(7);
    let options = FactOptions {
        unknown_permille: 0,
        bad_permille: 0,
    };
    (0..count)
        .map(|_| {
            let line = synth::fact_line(&program.schema, &mut rng, options);
            keep(
                credo::input::facts::load_text(
                    &program.schema,
                    &line,
                    credo::input::facts::Format::Json,
                )
                .unwrap()
                .facts,
            )
        })
        .collect()
}

// ------------------------------------------------------------ the baseline

#[path = "native/mod.rs"]
mod native;

use native::{Account, Amounts, account, native};

// ------------------------------------------------------------ the runs

fn as_of(program: &Program, facts: &Facts) -> NaiveDate {
    facts.as_of(&program.schema).unwrap()
}

/// All decisions, on the date the facts give.
fn request(program: &Program, facts: &Facts) -> Request<'static> {
    Request {
        as_of: as_of(program, facts),
        as_of_source: AsOfSource::Facts,
        decisions: &[],
    }
}

fn compiled(program: &Program, facts: &[(Facts, NaiveDate)], out: &mut Verdicts) -> usize {
    let mut decided = 0;
    for (f, as_of) in facts {
        program.decide_into(black_box(f), *as_of, &[], out).unwrap();
        decided += out.iter().len();
    }
    decided
}

fn packed(program: &Program, facts: &[(PackedFacts, NaiveDate)], out: &mut Verdicts) -> usize {
    let mut decided = 0;
    for (f, as_of) in facts {
        program
            .decide_packed_into(black_box(f), *as_of, &[], out)
            .unwrap();
        decided += out.iter().len();
    }
    decided
}

fn natives(accounts: &[Account], k: &Amounts) -> usize {
    accounts
        .iter()
        .map(|a| black_box(native(black_box(a), k)).len())
        .sum()
}

fn public_evaluate(program: &Program, facts: &[Facts]) -> usize {
    facts
        .iter()
        .map(|f| {
            program
                .evaluate(black_box(f), &request(program, f))
                .unwrap()
                .decisions
                .len()
        })
        .sum()
}

/// The tree-walking reference evaluator, which parses the policy text on
/// every call: the simplest correct evaluator, not a fast one.
fn reference(program: &Program, facts: &[Facts]) -> usize {
    facts
        .iter()
        .map(|f| {
            credo::testing::reference::evaluate(program, black_box(f), &request(program, f))
                .unwrap()
                .decisions
                .len()
        })
        .sum()
}

/// The baseline must compute what the engine computes, or the ratio means nothing.
fn agree(program: &Program, facts: &[Facts], accounts: &[Account], k: &Amounts) {
    let mut out = Verdicts::default();
    for (f, a) in facts.iter().zip(accounts) {
        program
            .decide_into(f, as_of(program, f), &[], &mut out)
            .unwrap();
        for (v, n) in out.iter().zip(native(a, k)) {
            let id = &program.decisions[v.decision as usize].id;
            assert_eq!(v.answer, n.answer, "{id}");
            assert_eq!(out.causes(v), n.causes(), "{id}");
        }
    }
}

fn bench(c: &mut Criterion) {
    let program = shipped();
    let facts = accounts(&program, ACCOUNTS);
    let typed: Vec<Account> = facts.iter().map(|f| account(&program, f)).collect();
    let k = Amounts::new();
    agree(&program, &facts, &typed, &k);
    // The baseline holds its date in a field; give the engine its own too.
    let dated: Vec<(Facts, NaiveDate)> = facts
        .iter()
        .map(|f| (f.clone(), as_of(&program, f)))
        .collect();
    let mut out = Verdicts::default();

    let mut group = c.benchmark_group("evaluate_12_decisions");
    group.throughput(Throughput::Elements(ACCOUNTS as u64));
    group.bench_function("native", |b| b.iter(|| natives(&typed, &k)));
    group.bench_function("compiled", |b| {
        b.iter(|| compiled(&program, &dated, &mut out))
    });
    group.bench_function("evaluate_with_words", |b| {
        b.iter(|| public_evaluate(&program, &facts))
    });
    group.bench_function("reference", |b| b.iter(|| reference(&program, &facts)));
    group.finish();

    // The README's worked example, alone: one loaded account, evaluated again and again.
    let text = std::fs::read_to_string("policies/examples/bc_admin_allocates_within_balance.yaml")
        .unwrap();
    let one =
        credo::input::facts::load_text(&program.schema, &text, credo::input::facts::Format::Yaml)
            .unwrap()
            .facts;
    let one_typed = vec![account(&program, &one)];
    agree(&program, std::slice::from_ref(&one), &one_typed, &k);
    let one = vec![(one.clone(), as_of(&program, &one))];
    common::ratios(
        "one loaded account (the worked example), all 12 decisions",
        "native",
        &mut [
            ("native", &mut || {
                black_box(natives(&one_typed, &k));
            }),
            ("compiled", &mut || {
                compiled(&program, &one, &mut out);
            }),
        ],
    );
    let packed_64 = packed_accounts(&program, ACCOUNTS);
    let mut out_packed = Verdicts::default();
    common::ratios(
        "64 varied accounts, all 12 decisions each",
        "native",
        &mut [
            ("native", &mut || {
                black_box(natives(&typed, &k));
            }),
            ("compiled", &mut || {
                compiled(&program, &dated, &mut out);
            }),
            ("packed", &mut || {
                packed(&program, &packed_64, &mut out_packed);
            }),
            ("evaluate_with_words", &mut || {
                black_box(public_evaluate(&program, &facts));
            }),
            ("reference", &mut || {
                black_box(reference(&program, &facts));
            }),
        ],
    );
}

/// The same comparison over [`MANY`] accounts, each evaluated once a round.
fn many_accounts(program: &Program) {
    let facts = accounts(program, MANY);
    let typed: Vec<Account> = facts.iter().map(|f| account(program, f)).collect();
    let k = Amounts::new();
    agree(program, &facts, &typed, &k);
    let dated: Vec<(Facts, NaiveDate)> = facts
        .into_iter()
        .map(|f| {
            let as_of = as_of(program, &f);
            (f, as_of)
        })
        .collect();
    let packed_many = packed_accounts(program, MANY);
    let mut out_packed = Verdicts::default();
    // The same accounts: `tests/compiled.rs` shows packed facts decide as loaded ones.
    assert!(
        packed_many
            .iter()
            .zip(&dated)
            .all(|((p, a), (f, b))| p.unpack() == *f && a == b)
    );
    let mut out = Verdicts::default();
    common::ratios(
        "100,000 varied accounts, all 12 decisions each",
        "native",
        &mut [
            ("native", &mut || {
                black_box(natives(&typed, &k));
            }),
            ("compiled", &mut || {
                compiled(program, &dated, &mut out);
            }),
            ("packed", &mut || {
                packed(program, &packed_many, &mut out_packed);
            }),
        ],
    );
}

/// `CREDO_EVAL_COUNT=native|compiled|packed|setup [N]`: evaluates N (default
/// [`MANY`]) varied accounts once with one contender and exits, for
/// `valgrind --tool=cachegrind`. Instructions an account are
/// (contender - setup) / N: an instruction count does not move with the
/// neighbours' load, as time on this shared machine does.
fn count_instructions(which: &str) {
    let count = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(MANY);
    let program = shipped();
    let facts = accounts(&program, count);
    let typed: Vec<Account> = facts.iter().map(|f| account(&program, f)).collect();
    let dated: Vec<(Facts, NaiveDate)> = facts
        .iter()
        .map(|f| (f.clone(), as_of(&program, f)))
        .collect();
    let packed_facts = packed_accounts(&program, count);
    let k = Amounts::new();
    let mut out = Verdicts::default();
    let decided = match which {
        "native" => natives(&typed, &k),
        "compiled" => compiled(&program, &dated, &mut out),
        "packed" => packed(&program, &packed_facts, &mut out),
        _ => 0,
    };
    println!("{which}: {decided} verdicts for {count} accounts");
}

criterion_group! {
    name = benches;
    config = common::quick();
    targets = bench
}

fn main() {
    if let Ok(which) = std::env::var("CREDO_EVAL_COUNT") {
        return count_instructions(&which);
    }
    benches();
    if !std::env::args().any(|a| a == "nomany") {
        many_accounts(&shipped());
    }
    Criterion::default().configure_from_args().final_summary();
}
