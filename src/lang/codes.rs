//! The book of diagnostic codes behind `credo codes`: what each code means
//! and a policy that triggers it. Each example is also a test case
//! (`tests/codes.rs` checks that it gives its code), so the book cannot
//! drift from the checker.

use crate::lang::diagnostics::codes;

/// One code: its summary, and an example where a policy text can show it.
#[derive(Debug, Clone, Copy)]
pub struct CodeDoc {
    pub code: &'static str,
    /// What the code means, in one line.
    pub summary: &'static str,
    /// A policy set in one file that gives this code. Its first comment
    /// lines explain it; `None` where no text can (an unreadable file).
    pub example: Option<&'static str>,
    /// How to meet the code when there is no example.
    pub note: Option<&'static str>,
}

macro_rules! doc {
    ($code:path, $summary:literal, $file:literal) => {
        CodeDoc {
            code: $code,
            summary: $summary,
            example: Some(include_str!(concat!("../../docs/codes/", $file, ".credo"))),
            note: None,
        }
    };
}

/// Every code, in order.
pub const BOOK: &[CodeDoc] = &[
    doc!(
        codes::SYNTAX,
        "the text does not follow the grammar",
        "E0001"
    ),
    doc!(codes::TOO_DEEP, "nesting deeper than the limit", "E0002"),
    doc!(
        codes::BAD_LITERAL,
        "a number, money amount or date that is not valid",
        "E0003"
    ),
    CodeDoc {
        code: codes::UNREADABLE,
        summary: "a policy file or directory that cannot be read",
        example: None,
        note: Some(
            "A policy file that is not UTF-8 text, cannot be opened, or a policy directory \
             that holds no `.credo` files. Save the file as UTF-8, or point `--policies` at \
             the directory that holds the set.",
        ),
    },
    CodeDoc {
        code: codes::TOO_LARGE,
        summary: "a policy file or set larger than its limit",
        example: None,
        note: Some(
            "A policy file larger than `--max-policy-bytes` (1 MiB by default), or more \
             `.credo` files than `--max-policy-files`. Split the file, or raise the limit.",
        ),
    },
    doc!(
        codes::UNKNOWN_FIELD,
        "a field path the schema does not declare",
        "E0101"
    ),
    doc!(
        codes::UNKNOWN_MEMBER,
        "an enum or classification member that does not exist",
        "E0102"
    ),
    doc!(
        codes::TYPE_MISMATCH,
        "operands or values of the wrong type",
        "E0103"
    ),
    doc!(
        codes::CURRENCY_MISMATCH,
        "money of two different currencies",
        "E0104"
    ),
    doc!(
        codes::DUPLICATE_DECISION,
        "two decisions with one id",
        "E0105"
    ),
    doc!(
        codes::DUPLICATE_RULE,
        "two rules with one id in a decision",
        "E0106"
    ),
    doc!(
        codes::MISSING_OTHERWISE,
        "a table without an `otherwise` row",
        "E0107"
    ),
    doc!(
        codes::MISSING_DECISION,
        "a decision the catalog requires is not defined",
        "E0108"
    ),
    doc!(
        codes::KIND_MISMATCH,
        "a decision of another kind than its catalog entry",
        "E0109"
    ),
    doc!(
        codes::MISPLACED_ITEM,
        "an item that does not belong in this kind of decision",
        "E0110"
    ),
    doc!(codes::SCHEMA_COUNT, "no schema, or more than one", "E0111"),
    doc!(
        codes::DUPLICATE_DECLARATION,
        "a field, member or catalog entry declared twice",
        "E0112"
    ),
    doc!(
        codes::UNREACHABLE_ROW,
        "a row after `otherwise`, or `otherwise` twice",
        "E0113"
    ),
    doc!(
        codes::MISSING_TABLE,
        "a classification or amount without its table",
        "E0114"
    ),
    doc!(
        codes::UNKNOWN_CURRENCY,
        "a currency code that is not ISO 4217",
        "E0115"
    ),
    doc!(
        codes::UNKNOWN_MODIFIER,
        "an unknown modifier on a schema field",
        "E0117"
    ),
    doc!(
        codes::BAD_ASSERTION,
        "an assertion that names no decision or does not fit it",
        "E0118"
    ),
    doc!(
        codes::EMPTY_RANGE,
        "a range that starts after it ends (a warning)",
        "W0101"
    ),
    doc!(
        codes::NAME_CLASH,
        "a named condition whose name is taken",
        "E0119"
    ),
    doc!(
        codes::CONDITION_CYCLE,
        "named conditions that use each other in a cycle",
        "E0120"
    ),
    doc!(
        codes::DECISION_CYCLE,
        "decisions that use each other in a cycle",
        "E0121"
    ),
    doc!(
        codes::NOT_A_VALUE,
        "an eligibility or action decision used as a value",
        "E0122"
    ),
    doc!(
        codes::UNUSED_CONDITION,
        "a named condition that nothing uses (a warning)",
        "W0123"
    ),
    doc!(
        codes::USED_WITHOUT_VERSION,
        "a decision used on days it has no version in force (a warning)",
        "W0130"
    ),
    doc!(
        codes::IMPLICIT_ROUNDING,
        "money times a rate with no rounding mode",
        "E0124"
    ),
    doc!(
        codes::MISPLACED_RATE,
        "a rate anywhere but multiplying money",
        "E0125"
    ),
    doc!(
        codes::BAD_PLACEHOLDER,
        "a message placeholder that is not a fact of the schema",
        "E0126"
    ),
    doc!(
        codes::OVERLAPPING_VERSIONS,
        "two versions of a decision, rule or condition in force on the same day",
        "E0127"
    ),
    doc!(
        codes::UNCOVERED_DAYS,
        "a day on which a catalog decision has no version in force",
        "E0128"
    ),
    doc!(
        codes::BAD_WINDOW,
        "an effective window that is never in force, or misplaced",
        "E0129"
    ),
];

/// The entry for `code` (`E0101` or `e0101`).
pub fn lookup(code: &str) -> Option<&'static CodeDoc> {
    BOOK.iter()
        .find(|d| d.code.eq_ignore_ascii_case(code.trim()))
}

impl CodeDoc {
    /// The example's explanation: its leading comment lines, without `#`
    /// and without the `expect:` line the tests read.
    pub fn explanation(&self) -> String {
        let Some(example) = self.example else {
            return self.note.unwrap_or_default().to_owned();
        };
        example
            .lines()
            .map_while(|l| l.strip_prefix('#'))
            .map(str::trim)
            .filter(|l| !l.starts_with("expect:"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The example's policy text, without its leading comments.
    pub fn policy(&self) -> Option<&'static str> {
        let example = self.example?;
        let start = example
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| l.len() + 1)
            .sum::<usize>();
        example.get(start..)
    }
}
