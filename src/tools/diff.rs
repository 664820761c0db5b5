//! `credo diff`: what a policy change does to a corpus of accounts.
//!
//! Every account (one JSON fact document per line) is evaluated under the
//! old and the new policy set. For each decision: how many outcomes change,
//! from what to what, the money totals of amounts before and after, and the
//! first accounts that changed, by line number. The output depends only on
//! the inputs: counts are sorted, examples are the earliest lines.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::Serialize;

use crate::base::money::Money;
use crate::engine::eval::Request;
use crate::engine::outcome::{AsOfSource, Outcome};
use crate::engine::program::Program;
use crate::input::facts::{self, Facts, Format};
use crate::input::report::{self, Document};
use crate::lang::diagnostics::JsonDiagnostic;
use crate::model::ir::{Kind, Value};

/// Flipped accounts shown per decision.
const EXAMPLES: usize = 3;

/// A line of the corpus that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub line: usize,
    /// The problem as the diagnostics renderer shows it (without colour):
    /// code, `corpus.jsonl:LINE:COLUMN`, the line with the field underlined, help.
    pub message: String,
    /// The same problem in the JSON shape of policy diagnostics.
    pub diagnostic: JsonDiagnostic,
}

/// What changes for one decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionDiff {
    pub id: String,
    /// `both`, `old` or `new`: the policy sets that define it.
    pub defined_in: &'static str,
    pub changed: usize,
    pub flips: Vec<Flip>,
    /// For an amount: the totals of the amounts decided, before and after.
    pub totals: Option<Totals>,
    pub examples: Vec<Flipped>,
}

/// Accounts whose outcome went from one value to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flip {
    pub from: String,
    pub to: String,
    pub count: usize,
}

/// The sum of the amounts decided, under each policy set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    #[serde(serialize_with = "money_option")]
    pub before: Option<Money>,
    #[serde(serialize_with = "money_option")]
    pub after: Option<Money>,
    /// Accounts the amount is undetermined for, and so not in the total.
    pub undetermined_before: usize,
    pub undetermined_after: usize,
}

/// One account that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flipped {
    pub line: usize,
    /// The account's first `id` fact, when it gives one.
    pub account: Option<String>,
    pub from: String,
    pub to: String,
}

/// The impact of a policy change over a corpus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub accounts: usize,
    /// Accounts without `as_of`, evaluated on the default date.
    pub undated: usize,
    /// The date used for accounts without `as_of`, or for every account
    /// when `as_of_overrides`; none when every account had its own.
    #[serde(serialize_with = "date")]
    pub as_of: Option<NaiveDate>,
    /// Whether `as_of` was given (`--as-of`) and so overrides the accounts' own.
    pub as_of_overrides: bool,
    /// One policy set on two dates (`--at D1 --at D2`): every account
    /// evaluated on the first ("old") and on the second ("new").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<[String; 2]>,
    pub decisions: Vec<DecisionDiff>,
    /// Unknown fields, as warnings naming the corpus line.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

fn date<S: serde::Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

fn money_option<S: serde::Serializer>(m: &Option<Money>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => s.collect_str(m),
        None => s.serialize_none(),
    }
}

#[derive(Default)]
struct Tally {
    changed: usize,
    flips: BTreeMap<(String, String), usize>,
    before: Sum,
    after: Sum,
    undetermined_before: usize,
    undetermined_after: usize,
    examples: Vec<Flipped>,
}

/// A corpus's bytes as text; when they are not UTF-8, a problem that names
/// where the first bad byte is (`corpus.jsonl:3:31`), as one bad line would
/// otherwise hide in a large corpus.
pub fn corpus_text(bytes: Vec<u8>) -> Result<String, facts::FactProblem> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let (line, column) = crate::base::source::byte_position(e.as_bytes(), valid);
        let byte = e.as_bytes().get(valid).copied().unwrap_or_default();
        facts::FactProblem {
            position: Some((line, column)),
            help: Some("save the corpus as UTF-8".into()),
            ..facts::FactProblem::whole(
                facts::codes::UNREADABLE,
                format!("not UTF-8 text: byte 0x{byte:02X} is not valid here"),
            )
        }
    })
}

/// Evaluates every account of `corpus` under both policy sets. Lines that
/// cannot be read are all reported, and nothing else.
pub fn diff(
    old: &Program,
    new: &Program,
    corpus: &str,
    name: &str,
    default_as_of: NaiveDate,
) -> Result<Diff, Vec<LineProblem>> {
    diff_dated(old, new, corpus, name, default_as_of, false)
}

/// [`diff`], where `overrides` makes `as_of` the date of every account,
/// whatever its own `as_of` says (as `--as-of` does in every command).
pub fn diff_dated(
    old: &Program,
    new: &Program,
    corpus: &str,
    name: &str,
    default_as_of: NaiveDate,
    overrides: bool,
) -> Result<Diff, Vec<LineProblem>> {
    compare(old, new, corpus, name, default_as_of, overrides, None)
}

/// One policy set on two dates: what changes for each account between the
/// day `before` and the day `after` (`credo diff --at D1 --at D2`), whatever
/// the accounts' own `as_of` say. Versions in force on each day decide.
pub fn diff_at(
    program: &Program,
    corpus: &str,
    name: &str,
    before: NaiveDate,
    after: NaiveDate,
) -> Result<Diff, Vec<LineProblem>> {
    compare(
        program,
        program,
        corpus,
        name,
        before,
        true,
        Some([before, after]),
    )
}

/// The comparison behind [`diff_dated`] and [`diff_at`]: `at` gives each
/// side its own date.
fn compare(
    old: &Program,
    new: &Program,
    corpus: &str,
    name: &str,
    default_as_of: NaiveDate,
    overrides: bool,
    dates: Option<[NaiveDate; 2]>,
) -> Result<Diff, Vec<LineProblem>> {
    let ids = decision_ids(old, new);
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut accounts = 0;
    let mut undated = 0;
    for (index, text) in corpus.lines().enumerate() {
        let line = index + 1;
        if text.trim().is_empty() {
            continue;
        }
        // Problems name the corpus line and column (`corpus.jsonl:3:31`),
        // and show the line; located only for lines that have problems.
        let document = Document::line(name, text, line);
        let at = |p: &facts::FactProblem| report::render(&document, std::slice::from_ref(p), false);
        let loaded =
            [old, new].map(|program| facts::load_text(&program.schema, text, Format::Json));
        let [before, after] = match loaded {
            [Ok(a), Ok(b)] => [a, b],
            [a, b] => {
                let mut seen: Vec<facts::FactProblem> = Vec::new();
                for problem in a.err().into_iter().chain(b.err()).flatten() {
                    if !seen.contains(&problem) {
                        seen.push(problem);
                    }
                }
                let json = report::to_json(&document, &seen);
                problems.extend(seen.iter().zip(json).map(|(p, diagnostic)| LineProblem {
                    line,
                    message: at(p),
                    diagnostic,
                }));
                continue;
            }
        };
        for w in before.warnings.iter().chain(&after.warnings) {
            let message = at(w);
            if !warnings.contains(&message) {
                warnings.push(message);
            }
        }
        accounts += 1;
        let as_of = before
            .facts
            .as_of(&old.schema)
            .or_else(|| after.facts.as_of(&new.schema));
        if as_of.is_none() {
            undated += 1;
        }
        let as_of = match as_of {
            Some(own) if !overrides => own,
            _ => default_as_of,
        };
        let account = account_id(old, &before.facts);
        let [old_as_of, new_as_of] = dates.unwrap_or([as_of, as_of]);
        for id in &ids {
            let was = outcome(old, id, &before.facts, old_as_of);
            let now = outcome(new, id, &after.facts, new_as_of);
            let tally = tallies.entry(id.as_str()).or_default();
            tally
                .before
                .add(&mut tally.undetermined_before, was.as_ref());
            tally.after.add(&mut tally.undetermined_after, now.as_ref());
            let (from, to) = (text_of(was.as_ref()), text_of(now.as_ref()));
            if from != to {
                tally.changed += 1;
                if tally.examples.len() < EXAMPLES {
                    tally.examples.push(Flipped {
                        line,
                        account: account.clone(),
                        from: from.clone(),
                        to: to.clone(),
                    });
                }
                *tally.flips.entry((from, to)).or_default() += 1;
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let decisions = ids
        .iter()
        .map(|id| {
            let tally = tallies.remove(id.as_str()).unwrap_or_default();
            let mut flips: Vec<Flip> = tally
                .flips
                .into_iter()
                .map(|((from, to), count)| Flip { from, to, count })
                .collect();
            flips.sort_by(|a, b| {
                b.count
                    .cmp(&a.count)
                    .then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to)))
            });
            let amount =
                |p: &Program| matches!(p.decision(id).map(|d| &d.kind), Some(Kind::Amount(_)));
            let totals = (amount(old) || amount(new)).then(|| Totals {
                before: tally.before.total(old, id),
                after: tally.after.total(new, id),
                undetermined_before: tally.undetermined_before,
                undetermined_after: tally.undetermined_after,
            });
            DecisionDiff {
                id: id.clone(),
                defined_in: match (old.decision(id).is_some(), new.decision(id).is_some()) {
                    (true, true) => "both",
                    (true, false) => "old",
                    _ => "new",
                },
                changed: tally.changed,
                flips,
                totals,
                examples: tally.examples,
            }
        })
        .collect();
    Ok(Diff {
        accounts,
        undated,
        as_of: (overrides || undated > 0).then_some(default_as_of),
        as_of_overrides: overrides,
        at: dates.map(|both| both.map(|d| d.format("%Y-%m-%d").to_string())),
        decisions,
        warnings,
    })
}

/// The new set's decisions in its order, then those only the old set has.
fn decision_ids(old: &Program, new: &Program) -> Vec<String> {
    let mut ids: Vec<String> = new.decisions.iter().map(|d| d.id.clone()).collect();
    for d in &old.decisions {
        if !ids.contains(&d.id) {
            ids.push(d.id.clone());
        }
    }
    ids
}

/// The outcome, `None` where the set does not define the decision, or an
/// error text where the evaluation fails.
fn outcome(
    program: &Program,
    id: &str,
    facts: &Facts,
    as_of: NaiveDate,
) -> Option<Result<Outcome, String>> {
    program.decision(id)?;
    let ids = [id.to_owned()];
    let request = Request {
        as_of,
        as_of_source: AsOfSource::Facts,
        decisions: &ids,
    };
    Some(
        program
            .evaluate(facts, &request)
            .map_err(|e| e.to_string())
            .and_then(|mut e| e.decisions.pop().map(|d| d.outcome).ok_or_else(String::new)),
    )
}

fn text_of(outcome: Option<&Result<Outcome, String>>) -> String {
    match outcome {
        None => "(not defined)".into(),
        Some(Ok(o)) => o.as_text(),
        Some(Err(_)) => "error".into(),
    }
}

/// A running total of amounts; one that overflows is no total at all.
#[derive(Default)]
struct Sum {
    total: Option<Money>,
    overflowed: bool,
}

impl Sum {
    fn add(&mut self, undetermined: &mut usize, outcome: Option<&Result<Outcome, String>>) {
        match outcome {
            Some(Ok(Outcome::Amount(m))) => {
                self.total = match self.total {
                    None => Some(*m),
                    Some(t) => match t.checked_add(m) {
                        Ok(sum) => Some(sum),
                        Err(_) => {
                            self.overflowed = true;
                            Some(t)
                        }
                    },
                };
            }
            Some(Ok(Outcome::Undetermined) | Err(_)) => *undetermined += 1,
            _ => {}
        }
    }

    /// The total, zero when nothing was decided, `None` when it overflowed
    /// or the set does not define the amount.
    fn total(&self, program: &Program, id: &str) -> Option<Money> {
        if self.overflowed {
            return None;
        }
        match (self.total, program.decision(id).map(|d| &d.kind)) {
            (Some(t), _) => Some(t),
            (None, Some(Kind::Amount(c))) => Some(Money::zero(*c)),
            _ => None,
        }
    }
}

/// The first `id` fact the schema declares, as this account gives it.
fn account_id(program: &Program, facts: &Facts) -> Option<String> {
    let slot = program
        .schema
        .fields
        .iter()
        .position(|f| f.path.rsplit('.').next() == Some("id"))?;
    match facts.values.get(slot)? {
        Some(Value::Text(t)) => Some(t.to_string()),
        _ => None,
    }
}

/// An outcome for people: amounts with thousands separators.
fn shown(text: &str) -> String {
    match text.parse::<Money>() {
        Ok(m) => m.display_grouped(),
        Err(_) => text.to_owned(),
    }
}

fn signed(before: &Money, after: &Money) -> Option<String> {
    let d = after.checked_sub(before).ok()?;
    let sign = if d.is_negative() { "" } else { "+" };
    Some(format!("{sign}{}", d.display_grouped()))
}

/// The text report.
pub fn render(diff: &Diff, corpus: &str, old: &str, new: &str) -> String {
    // Values from facts and policies are echoed: shown escaped, never raw.
    crate::base::escape::lines_owned(render_unescaped(diff, corpus, old, new))
}

fn render_unescaped(diff: &Diff, corpus: &str, old: &str, new: &str) -> String {
    let sets = if diff.at.is_some() {
        format!("  policies: {old}\n")
    } else {
        format!("  old policies: {old}\n  new policies: {new}\n")
    };
    let mut out = format!(
        "diff over {} {} in {corpus}\n{sets}",
        diff.accounts,
        if diff.accounts == 1 {
            "account"
        } else {
            "accounts"
        }
    );
    if let Some([before, after]) = &diff.at {
        let _ = writeln!(
            out,
            "  every account evaluated on {before} (old) and on {after} (new) (--at), whatever its own as_of"
        );
    } else if let (true, Some(date)) = (diff.as_of_overrides, diff.as_of) {
        let _ = writeln!(
            out,
            "  every account evaluated on {date} (--as-of), whatever its own as_of"
        );
    } else if let Some(date) = diff.as_of {
        let _ = writeln!(
            out,
            "  {} {} no as_of and {} evaluated on {}; the others on their own as_of",
            diff.undated,
            if diff.undated == 1 {
                "account has"
            } else {
                "accounts have"
            },
            if diff.undated == 1 { "was" } else { "were" },
            date
        );
    } else {
        out.push_str("  each account evaluated on its own as_of\n");
    }
    let mut unchanged = Vec::new();
    for d in &diff.decisions {
        if d.changed == 0 {
            unchanged.push(d.id.as_str());
            continue;
        }
        let defined = match d.defined_in {
            "old" => " (only in the old policies)",
            "new" => " (only in the new policies)",
            _ => "",
        };
        let _ = writeln!(
            out,
            "\n{}{defined}: {} of {} accounts change",
            d.id, d.changed, diff.accounts
        );
        let rows: Vec<(String, usize)> = d
            .flips
            .iter()
            .map(|f| (format!("{} → {}", shown(&f.from), shown(&f.to)), f.count))
            .collect();
        let width = rows
            .iter()
            .map(|(t, _)| t.chars().count())
            .max()
            .unwrap_or(0);
        for (text, count) in rows {
            let pad = width - text.chars().count();
            let _ = writeln!(out, "  {text}{}  {count:>5}", " ".repeat(pad));
        }
        if !d.examples.is_empty() {
            out.push_str("  for example:\n");
            for e in &d.examples {
                let who = e
                    .account
                    .as_ref()
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "    line {}{who}: {} → {}",
                    e.line,
                    shown(&e.from),
                    shown(&e.to)
                );
            }
        }
    }
    if !unchanged.is_empty() {
        let _ = writeln!(out, "\nunchanged: {}", unchanged.join(", "));
    }
    let totals: Vec<(&str, &Totals)> = diff
        .decisions
        .iter()
        .filter_map(|d| d.totals.as_ref().map(|t| (d.id.as_str(), t)))
        .collect();
    if !totals.is_empty() {
        out.push_str("\namount totals over the accounts each amount is decided for:\n");
        let width = totals.iter().map(|(id, _)| id.len()).max().unwrap_or(0);
        for (id, t) in totals {
            let money = |m: &Option<Money>| {
                m.as_ref()
                    .map_or_else(|| "-".into(), Money::display_grouped)
            };
            let delta = match (&t.before, &t.after) {
                (Some(b), Some(a)) if a != b => {
                    signed(b, a).map(|d| format!("  ({d})")).unwrap_or_default()
                }
                (Some(_), Some(_)) => "  (no change)".into(),
                _ => String::new(),
            };
            let mut line = format!(
                "  {id:<width$}  {} → {}{delta}",
                money(&t.before),
                money(&t.after)
            );
            if t.undetermined_before + t.undetermined_after > 0 {
                let _ = write!(
                    line,
                    "; undetermined for {} before, {} after",
                    t.undetermined_before, t.undetermined_after
                );
            }
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// The JSON report.
pub fn json(diff: &Diff) -> String {
    match serde_json::to_string_pretty(diff) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}
