//! Differential: one JSON line read by the fast reader and by the careful
//! loader. When the fast reader accepts a line, the careful loader must
//! accept it too and find exactly the same facts; when it gives up, nothing
//! is claimed (the careful loader decides).
#![no_main]

mod schema;

use credo::input::facts::{self, Format};
use credo::input::fast::{ReadState, SlotReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let program = schema::program();
    let reader = SlotReader::new(&program.schema);
    let mut state = ReadState::default();
    let mut values = Vec::new();
    if !reader.read(bytes, &mut state, &mut values) {
        return;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        eprintln!("the fast reader accepted bytes that are not UTF-8");
        std::process::abort();
    };
    match facts::load_text(&program.schema, text, Format::Json) {
        Ok(loaded) if loaded.warnings.is_empty() && loaded.facts.values == values => {}
        Ok(loaded) => {
            eprintln!(
                "fast:    {values:?}\ncareful: {:?}\nwarnings: {:?}",
                loaded.facts.values, loaded.warnings
            );
            std::process::abort();
        }
        Err(problems) => {
            eprintln!("fast:    {values:?}\ncareful refused: {problems:?}");
            std::process::abort();
        }
    }
});
