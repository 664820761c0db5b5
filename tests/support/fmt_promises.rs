//! The formatter's three promises, checked on one policy text that parses.

use credo::base::source::FileId;
use credo::lang::fmt;

/// Formatting `text` keeps its AST and its comments, in order, and a second
/// run changes nothing. Returns the formatted text.
pub fn assert_formatting_keeps_its_promises(text: &str, name: &str) -> String {
    let before = credo::lang::syntax::parse(FileId(0), text).expect("the input parses");
    let formatted = fmt::format(FileId(0), text).expect("text that parses formats");
    let after = credo::lang::syntax::parse(FileId(0), &formatted).unwrap_or_else(|e| {
        panic!("{name}: the formatted text does not parse: {e:?}\n{formatted}")
    });
    assert_eq!(
        before, after,
        "{name}: formatting changed the AST\n{formatted}"
    );
    let comments =
        |text: &str| -> Vec<String> { fmt::comments(text).into_iter().map(|c| c.text).collect() };
    assert_eq!(
        comments(text),
        comments(&formatted),
        "{name}: comments lost, changed or moved out of order\n{formatted}"
    );
    let again = fmt::format(FileId(0), &formatted).expect("formatted text formats");
    assert_eq!(formatted, again, "{name}: a second run changed the text");
    formatted
}
