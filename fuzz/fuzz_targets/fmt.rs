//! Any policy text that parses: formatting keeps its meaning (the same tree,
//! spans aside) and is idempotent (formatting the output changes nothing).
#![no_main]

use credo::base::source::FileId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(before) = credo::lang::syntax::parse(FileId(0), text) else {
        return;
    };
    let formatted = credo::lang::fmt::format(FileId(0), text).expect("a file that parses formats");
    let after = credo::lang::syntax::parse(FileId(0), &formatted).expect("formatted text parses");
    assert_eq!(before, after, "formatting changed the meaning:\n{formatted}");
    let again = credo::lang::fmt::format(FileId(0), &formatted).expect("formatted text formats");
    assert_eq!(formatted, again, "formatting twice changed the text");
});
