//! Any text: the parser returns a tree or diagnostics, never panics or overflows.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = credo::lang::syntax::parse(credo::base::source::FileId(0), text);
});
