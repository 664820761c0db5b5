#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! The hot path allocates nothing: once its buffers have grown, evaluating
//! all 12 shipped decisions for account after account (decided ones and
//! undetermined ones alike) makes not a single heap allocation.

use std::path::Path;

use credo::engine::verdict::Verdicts;
use credo::input::facts::{self, Format};
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
    let mut rng = Rng::new(3);
    let options = FactOptions {
        unknown_permille: 100,
        bad_permille: 0,
    };
    let accounts: Vec<_> = (0..500)
        .map(|_| {
            let line = synth::fact_line(&program.schema, &mut rng, options);
            let facts = facts::load_text(&program.schema, &line, Format::Json)
                .unwrap()
                .facts;
            let as_of = facts.as_of(&program.schema).unwrap_or_default();
            (facts, as_of)
        })
        .collect();
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
    drop(profiler);
}
