#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! The hot path allocates nothing: once its buffers have grown, evaluating
//! all 12 shipped decisions for account after account (decided ones and
//! undetermined ones alike) makes not a single heap allocation. Packed
//! facts allocate only to unpack an account for a decision the hot path
//! declines; with every fact known, never.

use std::path::Path;

use credo::engine::verdict::Verdicts;
use credo::input::facts::{self, Facts, Format};
use credo::input::packed::PackedFacts;
use credo::testing::synth::{self, FactOptions, Rng};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

#[test]
fn evaluating_allocates_nothing_once_warm() {
    let profiler = dhat::Profiler::builder()
        .testing()
        .file_name(std::env::temp_dir().join("credo-allocations-dhat.json"))
        .build();
    let program = credo::load_dir(Path::new("policies"))
        .unwrap()
        .program
        .unwrap();
    let accounts = generated(&program, 100);
    let mut verdicts = Verdicts::default();
    let mut undetermined = 0;
    for (facts, as_of) in &accounts {
        program
            .decide_into(facts, *as_of, &[], &mut verdicts)
            .unwrap();
    }
    let before = dhat::HeapStats::get();
    for (facts, as_of) in &accounts {
        program
            .decide_into(facts, *as_of, &[], &mut verdicts)
            .unwrap();
        undetermined += verdicts
            .iter()
            .filter(|v| !verdicts.missing(v).is_empty())
            .count();
    }
    let after = dhat::HeapStats::get();
    assert!(
        undetermined > 50,
        "only {undetermined} undetermined answers"
    );
    dhat::assert_eq!(after.total_blocks, before.total_blocks);

    let packed: Vec<_> = generated(&program, 0)
        .iter()
        .map(|(facts, as_of)| (PackedFacts::new(facts), *as_of))
        .collect();
    let mut decided = 0;
    for (facts, as_of) in &packed {
        program
            .decide_packed_into(facts, *as_of, &[], &mut verdicts)
            .unwrap();
    }
    let before = dhat::HeapStats::get();
    for (facts, as_of) in &packed {
        program
            .decide_packed_into(facts, *as_of, &[], &mut verdicts)
            .unwrap();
        decided += verdicts.iter().len();
    }
    let after = dhat::HeapStats::get();
    assert_eq!(decided, 500 * 12);
    dhat::assert_eq!(after.total_blocks, before.total_blocks);
    drop(profiler);
}

/// 500 generated accounts with `unknown_permille` of their facts left out,
/// loaded, with their dates.
fn generated(program: &credo::Program, unknown_permille: u32) -> Vec<(Facts, chrono::NaiveDate)> {
    let mut rng = Rng::new(3);
    let options = FactOptions {
        unknown_permille,
        bad_permille: 0,
    };
    (0..500)
        .map(|_| {
            let line = synth::fact_line(&program.schema, &mut rng, options);
            let facts = facts::load_text(&program.schema, &line, Format::Json)
                .unwrap()
                .facts;
            let as_of = facts.as_of(&program.schema).unwrap_or_default();
            (facts, as_of)
        })
        .collect()
}
