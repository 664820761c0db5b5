//! Decision tables: a decision whose conditions read only a few fact tests
//! is settled by looking its answer and reasons up in a table built at load
//! time, keyed by the truths of its tests.
//!
//! Each decision's tests own a run of bits (at most [`MAX_TESTS`]) in one
//! account-wide set. The tests are settled for all decisions at once, fact
//! by fact ([`Regions`]), plus the few that read two facts or an expression
//! one by one; a decision's key is then its run of bits. The interpreter in
//! [`super::Hot`] walks a decision rule by rule, branching on every truth
//! and recording every reason as it goes; a table has done that work once
//! per key, when the policies loaded. A key is used only when every test of
//! the decision is known: an unknown test, or arithmetic that fails, leaves
//! the decision to the interpreter, which handles unknowns as it always has.
//! So a table can only give answers the interpreter gives.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::combine::{self, FirstRow, Rules, Ruling};
use crate::engine::verdict::{Answer, Cause, Verdict};

use super::code::{ALWAYS, Code, Holds, NONE, Op, Plan, RowValue, Shape};
use super::regions::Regions;
use super::source::FactSource;
use super::{Bits, WORDS};

/// A table holds at most 2^9 entries: a decision with more tests is left to
/// the interpreter, so that tables stay small and quick to build. (Nine, not
/// eight: `credit_allocation`, with R6's nine tests, is worth a table.)
const MAX_TESTS: usize = 9;

/// The tables of every decision that has one, and how an account's facts
/// settle their tests.
#[derive(Debug, Clone, Default)]
pub(super) struct Tables {
    /// One per decision, in program order; [`Table::NONE`] for a decision
    /// left to the interpreter.
    pub(super) decisions: Vec<Table>,
    /// The enum facts the tables test, placed by member (most facts are).
    pub(super) members: Vec<Members>,
    /// The boolean facts the tables test.
    pub(super) flags: Vec<Flag>,
    /// The other facts the tables test, each with its regions.
    pub(super) facts: Vec<Regions>,
    /// The regions of the evaluation date (`as_of`), which is not read from
    /// the facts.
    pub(super) dates: Vec<Regions>,
    /// Tests of two facts whose bits are in one word, settled one by one.
    pub(super) pairs: Vec<Pair>,
    /// Other tests of two facts or of an expression, settled one by one:
    /// the test, and every bit it sets.
    pub(super) computed: Vec<(Op, Bits)>,
    /// Tests on used decisions' outcomes, in runs per decision: settled
    /// when their decision is reached, after the decisions they use.
    pub(super) outcomes: Vec<Outcome>,
    /// Rows of bits, in runs per fact (see [`Regions`]).
    pub(super) rows: Vec<u64>,
    pub(super) entries: Vec<Entry>,
    /// The reasons of every entry, in runs; verdicts point into them.
    pub(super) causes: Arc<[Cause]>,
}

/// One decision's table.
#[derive(Debug, Clone, Copy)]
pub(super) struct Table {
    /// The word of the account's bits that holds the key, its first bit,
    /// and the mask of its bits once shifted down.
    pub(super) word: u8,
    pub(super) shift: u8,
    /// The key has tests on used decisions' outcomes (a run in
    /// [`Table::outcomes`] that is not empty), kept as one byte in the
    /// padding so that the per-decision loop tests one load, not two.
    uses_outcomes: bool,
    pub(super) mask: u64,
    /// Where the decision's entries start in [`Tables::entries`].
    pub(super) entries: u32,
    /// The decision's index, read only off the common path, so the loop
    /// carries no counter.
    pub(super) decision: u32,
    /// The run of its tests in [`Tables::outcomes`].
    outcomes: (u32, u32),
}

impl Table {
    /// The key has tests on used decisions' outcomes, to settle when the
    /// decision is reached.
    #[inline(always)]
    pub(super) fn uses_outcomes(&self) -> bool {
        self.uses_outcomes
    }
}

/// A test of two facts (`request.to_account != account.id`), with the bits
/// it sets, all in one word.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pair {
    pub(super) a: u32,
    pub(super) b: u32,
    pub(super) holds: Holds,
    pub(super) absent: bool,
    pub(super) word: u8,
    pub(super) bits: u64,
}

/// A fact whose value picks one row of bits in one word of the account's
/// bits: an enum's members, a flag, or the general regions. Settling the
/// tests walks each kind's own list (no dispatch between kinds per fact),
/// with one loop for all of them.
pub(super) trait Placed {
    fn word(&self) -> u8;
    /// `Ok` with the row of the value's bits when the value is known, `Err`
    /// with the row of every bit the fact owns when it is unknown.
    fn row<S: FactSource + ?Sized>(&self, values: &S) -> Result<u32, u32>;
}

/// An enum fact's regions without the general dispatch: member `m` is row
/// `rows + min(m, members)`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Members {
    pub(super) slot: u32,
    pub(super) word: u8,
    members: u32,
    rows: u32,
    other: u32,
    owned: u32,
}

impl Placed for Members {
    #[inline(always)]
    fn word(&self) -> u8 {
        self.word
    }
    #[inline(always)]
    fn row<S: FactSource + ?Sized>(&self, values: &S) -> Result<u32, u32> {
        match values.member(self.slot) {
            None => Err(self.owned),
            Some(Some(m)) => Ok(self.rows + m.min(self.members)),
            Some(None) => Ok(self.other),
        }
    }
}

/// A boolean fact's regions without the general dispatch: `true` is row
/// `rows + 1`, any other value row `rows`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Flag {
    pub(super) slot: u32,
    pub(super) word: u8,
    rows: u32,
    owned: u32,
}

impl Placed for Flag {
    #[inline(always)]
    fn word(&self) -> u8 {
        self.word
    }
    #[inline(always)]
    fn row<S: FactSource + ?Sized>(&self, values: &S) -> Result<u32, u32> {
        match values.flag(self.slot) {
            None => Err(self.owned),
            Some(holds) => Ok(self.rows + u32::from(holds)),
        }
    }
}

/// A test on a used classification's outcome, and its bit in the key's word.
#[derive(Debug, Clone, Copy)]
pub(super) struct Outcome {
    pub(super) decision: u32,
    set: u64,
    inside: bool,
    pub(super) bit: u64,
}

impl Outcome {
    /// The test's truth when the used decision settled on member `m`.
    #[inline(always)]
    pub(super) fn holds(&self, m: u32) -> bool {
        (self.set.checked_shr(m).unwrap_or(0) & 1 == 1) == self.inside
    }
}

impl Table {
    /// No table: its entries are past the end of every table.
    const NONE: Table = Table {
        word: 0,
        shift: 0,
        uses_outcomes: false,
        mask: 0,
        entries: u32::MAX,
        decision: 0,
        outcomes: (0, 0),
    };

    #[cfg(test)]
    pub(super) fn is_some(&self) -> bool {
        self.entries != Table::NONE.entries
    }
}

/// The answer and reasons for one key.
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    /// The whole verdict, its reasons pointing into [`Tables::causes`]: the
    /// answer is the answer when `row` is [`Entry::ANSWER`], so recording it
    /// is one copy; otherwise the row's value replaces it.
    pub(super) verdict: Verdict,
    /// The row at this index in [`Code::rows`] holds and its value is read
    /// from the account; or [`Entry::ANSWER`]; or [`Entry::OPEN`].
    pub(super) row: u32,
}

impl Entry {
    /// The entry's answer is the answer.
    pub(super) const ANSWER: u32 = u32::MAX;
    /// No row holds: the full evaluator reports it.
    pub(super) const OPEN: u32 = u32::MAX - 1;
}

impl Tables {
    /// The tests on used decisions' outcomes in a decision's key.
    #[inline(always)]
    pub(super) fn outcome_tests(&self, table: &Table) -> &[Outcome] {
        let (start, end) = table.outcomes;
        self.outcomes
            .get(start as usize..end as usize)
            .unwrap_or(&[])
    }

    /// Tables for every decision of `code` whose tests fit.
    pub(super) fn build(code: &Code, as_of: Option<u32>) -> Tables {
        let mut tables = Tables::default();
        let mut causes = Vec::new();
        // Each test, by the fact it reads, with the bits it sets; tests of
        // two facts or of an expression, by op.
        let mut by_fact: BTreeMap<(u32, u32), Vec<(u32, u32)>> = BTreeMap::new();
        let mut computed: BTreeMap<u32, Bits> = BTreeMap::new();
        let mut next = 0u32;
        for (decision, plan) in (0..).zip(&code.plans) {
            let leaves = leaves(code, plan);
            let width = leaves.as_ref().map_or(0, Vec::len) as u32;
            // A key never straddles two words.
            if next % 64 + width > 64 {
                next = next.next_multiple_of(64);
            }
            // A declined decision is left to the full evaluator: no table.
            let fits = next + width <= 64 * WORDS as u32 && !plan.declined;
            let (Some(leaves), true) = (leaves, fits) else {
                tables.decisions.push(Table {
                    decision,
                    ..Table::NONE
                });
                continue;
            };
            let first = tables.outcomes.len() as u32;
            for (bit, &leaf) in (next..).zip(&leaves) {
                if let Some(&Op::Outcome {
                    decision,
                    set,
                    inside,
                }) = code.ops.get(leaf as usize)
                {
                    tables.outcomes.push(Outcome {
                        decision,
                        set,
                        inside,
                        bit: 1 << (bit % 64),
                    });
                    continue;
                }
                match code.ops.get(leaf as usize).and_then(fact) {
                    Some(slot) => by_fact
                        .entry((slot, bit / 64))
                        .or_default()
                        .push((leaf, bit)),
                    None => set(computed.entry(leaf).or_default(), bit),
                }
            }
            let outcomes = (first, tables.outcomes.len() as u32);
            let table = Table {
                word: (next / 64) as u8,
                shift: (next % 64) as u8,
                uses_outcomes: outcomes.0 != outcomes.1,
                mask: (1u64 << width) - 1,
                entries: tables.entries.len() as u32,
                decision,
                outcomes,
            };
            for key in 0..1usize << width {
                let truth = |op: u32| holds(code, op, &leaves, key);
                let entry = entry(code, decision, plan, truth, &mut causes);
                tables.entries.push(entry);
            }
            tables.decisions.push(table);
            next += width;
        }
        for ((slot, word), tests) in by_fact {
            let ops: Vec<(&Op, u32)> = tests
                .iter()
                .filter_map(|&(leaf, bit)| Some((code.ops.get(leaf as usize)?, bit)))
                .collect();
            match Regions::build(slot, word as u8, &ops, &mut tables.rows) {
                Some(regions) if Some(slot) == as_of => tables.dates.push(regions),
                Some(regions) => match regions.members() {
                    Some((members, rows, other, owned)) => tables.members.push(Members {
                        slot,
                        word: word as u8,
                        members,
                        rows,
                        other,
                        owned,
                    }),
                    None => match regions.flag() {
                        Some((rows, owned)) => tables.flags.push(Flag {
                            slot,
                            word: word as u8,
                            rows,
                            owned,
                        }),
                        None => tables.facts.push(regions),
                    },
                },
                // Tests that a fact's regions cannot settle are settled one by one.
                None => {
                    for (leaf, bit) in tests {
                        set(computed.entry(leaf).or_default(), bit);
                    }
                }
            }
        }
        for (leaf, bits) in computed {
            let in_one_word = bits.iter().filter(|w| **w != 0).count() == 1;
            match code.ops.get(leaf as usize) {
                Some(&Op::Facts {
                    a,
                    b,
                    holds,
                    absent,
                }) if in_one_word => {
                    let word = bits.iter().position(|w| *w != 0).unwrap_or(0);
                    tables.pairs.push(Pair {
                        a,
                        b,
                        holds,
                        absent,
                        word: word as u8,
                        bits: bits.get(word).copied().unwrap_or(0),
                    });
                }
                Some(op) => tables.computed.push((op.clone(), bits)),
                None => {}
            }
        }
        tables.causes = causes.into();
        tables
    }
}

/// What the interpreter answers when each condition's truth is `truth`.
fn entry(
    code: &Code,
    decision: u32,
    plan: &Plan,
    truth: impl Fn(u32) -> bool,
    causes: &mut Vec<Cause>,
) -> Entry {
    let start = causes.len() as u32;
    let mut record = |run: (u32, u32), cause: fn(u32) -> Cause| {
        let before = causes.len();
        for (i, &condition) in code.conditions(run).iter().enumerate() {
            if truth(condition) {
                causes.push(cause(i as u32));
            }
        }
        causes.len() > before
    };
    let (answer, row) = if plan.applies != NONE && !truth(plan.applies) {
        causes.push(Cause::NotApplicable);
        (Answer::NotApplicable, Entry::ANSWER)
    } else if record(plan.denies, Cause::Deny) {
        (plan.denied, Entry::ANSWER)
    } else if let Shape::Rules { yes, no } = plan.shape {
        // Every test is known in a key: nothing is undetermined.
        let allows = Rules {
            held: record(plan.allows, Cause::Allow),
            unknown: false,
        };
        match combine::ruling(Rules::default(), allows) {
            Ruling::Granted => (yes, Entry::ANSWER),
            Ruling::NoneAllowed | Ruling::Undetermined => {
                causes.push(Cause::NoRuleAllowed);
                (no, Entry::ANSWER)
            }
        }
    } else {
        let rows = code
            .rows
            .get(plan.rows.0 as usize..plan.rows.1 as usize)
            .unwrap_or(&[]);
        let first = combine::first_row(rows.iter().map(|row| Some(truth(row.condition))));
        match first {
            FirstRow::Holds(i) => {
                causes.push(Cause::Row(i as u32));
                match rows.get(i).map(|row| &row.value) {
                    Some(RowValue::Answer(answer)) => (*answer, Entry::ANSWER),
                    _ => (Answer::Undetermined, plan.rows.0 + i as u32),
                }
            }
            FirstRow::Open | FirstRow::None => (Answer::Undetermined, Entry::OPEN),
        }
    };
    Entry {
        verdict: Verdict::shared(decision, answer, (start, causes.len() as u32)),
        row,
    }
}

/// The fact a test reads, when it reads one and nothing else.
fn fact(op: &Op) -> Option<u32> {
    match *op {
        Op::Member { slot, .. }
        | Op::Flag { slot, .. }
        | Op::Money { slot, .. }
        | Op::Int { slot, .. }
        | Op::Dates { slot, .. } => Some(slot),
        _ => None,
    }
}

/// The leaf tests of a decision (its `applies when`, rules and rows), each
/// once, in the order met; `None` when there are more than a table holds.
fn leaves(code: &Code, plan: &Plan) -> Option<Vec<u32>> {
    let rows = code.rows.get(plan.rows.0 as usize..plan.rows.1 as usize)?;
    let conditions = std::iter::once(&plan.applies)
        .chain(code.conditions(plan.denies))
        .chain(code.conditions(plan.allows))
        .chain(rows.iter().map(|r| &r.condition));
    let mut leaves = Vec::new();
    for &op in conditions {
        collect(code, op, &mut leaves)?;
        if leaves.len() > MAX_TESTS {
            return None;
        }
    }
    Some(leaves)
}

/// Adds the leaf tests under a condition, each once, in the order met;
/// `None` for an op that does not exist.
fn collect(code: &Code, op: u32, leaves: &mut Vec<u32>) -> Option<()> {
    if op == ALWAYS || op == NONE {
        return Some(());
    }
    match code.ops.get(op as usize)? {
        Op::Not(inner) => collect(code, *inner, leaves)?,
        Op::All(start, end) | Op::Any(start, end) => {
            for kid in code.kids.get(*start as usize..*end as usize)? {
                collect(code, *kid, leaves)?;
            }
        }
        _ if !leaves.contains(&op) => leaves.push(op),
        _ => {}
    }
    Some(())
}

/// A condition's truth when leaf test `leaves[i]` is bit `i` of `key`.
fn holds(code: &Code, op: u32, leaves: &[u32], key: usize) -> bool {
    if op == ALWAYS {
        return true;
    }
    let kids = |start: u32, end: u32| code.kids.get(start as usize..end as usize).unwrap_or(&[]);
    match code.ops.get(op as usize) {
        Some(Op::Not(inner)) => !holds(code, *inner, leaves, key),
        Some(Op::All(start, end)) => kids(*start, *end)
            .iter()
            .all(|k| holds(code, *k, leaves, key)),
        Some(Op::Any(start, end)) => kids(*start, *end)
            .iter()
            .any(|k| holds(code, *k, leaves, key)),
        _ => leaves
            .iter()
            .position(|&leaf| leaf == op)
            .is_some_and(|bit| key >> bit & 1 == 1),
    }
}

fn set(bits: &mut Bits, bit: u32) {
    if let Some(word) = bits.get_mut(bit as usize / 64) {
        *word |= 1 << (bit % 64);
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "a failed expectation is the point of a test"
    )]
    use super::Op;
    use crate::{Program, Source, Sources};

    fn generated(decisions: usize, rules: usize) -> Program {
        let mut sources = Sources::default();
        for (name, text) in crate::testing::synth::policy_set(decisions, rules, 3) {
            sources.add(Source::new(name, text));
        }
        crate::check_sources(sources).program.unwrap()
    }

    fn tabled(program: &Program) -> (usize, usize) {
        let tables = &program.hot.tables.decisions;
        (tables.iter().filter(|t| t.is_some()).count(), tables.len())
    }

    /// The differential and hot-path tests reach both ways of deciding only
    /// if the policy sets they use have decisions of both kinds.
    #[test]
    fn which_decisions_get_a_table() {
        let shipped = crate::load_dir(std::path::Path::new("policies")).unwrap();
        // Every shipped decision, `credit_allocation`'s nine tests too, and the
        // seasonal incentive: each of its two dated versions tests `as_of`
        // in every rule and row, but as one date range (one bit) a version.
        let shipped = shipped.program.unwrap();
        assert_eq!(tabled(&shipped), (12, 12));
        // No test of the seasonal incentive is computed one by one: `as_of`'s
        // tests are settled by its regions. The three tests of two facts are
        // pairs, and nothing is left to compute by op.
        assert!(shipped.hot.tables.computed.is_empty());
        assert_eq!(shipped.hot.tables.pairs.len(), 3);
        // Seven enum facts are placed by member, two booleans as flags.
        assert_eq!(shipped.hot.tables.members.len(), 7);
        assert_eq!(shipped.hot.tables.flags.len(), 2);
        // `credit_request_channel`'s test on `credit_track`'s outcome is a
        // table test of its own, settled once `credit_track` is decided.
        let tables = &shipped.hot.tables;
        assert_eq!(tables.outcomes.len(), 1);
        let channel = tables.decisions.last().unwrap();
        assert!(channel.is_some() && !tables.outcome_tests(channel).is_empty());
        assert!(
            tables
                .computed
                .iter()
                .all(|(op, _)| !matches!(op, Op::Outcome { .. }))
        );
        // Three rules of two tests each fit a table; eight rules mostly do not.
        let (few, of) = tabled(&generated(40, 3));
        assert_eq!(few, of);
        let (many, of) = tabled(&generated(40, 8));
        assert!(many > 0 && many < of / 2, "{many} of {of}");
        // 256 bits hold the tests of a few dozen small decisions, not 1,000.
        let (some, of) = tabled(&generated(1000, 3));
        assert!(some > 0 && some < of / 2, "{some} of {of}");
    }
}
