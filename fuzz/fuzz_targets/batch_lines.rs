//! Bytes as the lines of a `credo batch` input, evaluated by `batch::run`
//! through the fast reader (and the careful loader when it gives up): no
//! panic, one record per non-blank line, and the counts add up.
#![no_main]

mod schema;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let program = schema::program();
    let Some(today) = chrono::NaiveDate::from_ymd_opt(2026, 11, 25) else {
        return;
    };
    let options = credo::tools::batch::Options {
        jobs: 1,
        as_of: None,
        today,
    };
    let mut out: Vec<u8> = Vec::new();
    let Ok(summary) = credo::tools::batch::run(program, bytes, &mut out, options, &|_| {}) else {
        std::process::abort();
    };
    let records = out.iter().filter(|b| **b == b'\n').count() as u64;
    if summary.read != summary.evaluated + summary.failed + summary.blank
        || records != summary.evaluated + summary.failed
    {
        eprintln!("{summary:?}, {records} records");
        std::process::abort();
    }
});
