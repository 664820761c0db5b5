//! Writes one JSON line per account from compact verdicts. Every string a
//! record can hold (ids, messages, places, notes, member names, paths) is
//! escaped once, when the writer is made; a record is then a concatenation.
//! Full records hold the decision objects `credo eval --format json` prints;
//! compact ones the outcome, the deciding rules' ids and the missing facts,
//! since the messages and places can be looked up from the ids. A compact
//! record's `decisions` is an object keyed by decision id
//! (`{"credit_track":{"outcome":"managed","rules":["otherwise"]},..}`), and
//! `missing` is written only for an undetermined answer, the one kind that
//! can miss facts: a sixth fewer bytes than a list of `{"id":..}` objects
//! each with `"missing":[]`, which is most of the cost of writing them to a
//! file.
//! A message with `{path}` placeholders is the one string rendered per
//! record, from the account's facts, and only in full records (as `eval`
//! does, with the template kept beside the rendered text).

use std::io::Write as _;

use chrono::NaiveDate;

use super::digits;
use crate::engine::program::Program;
use crate::engine::verdict::{self, Answer, Cause, Verdicts};
use crate::input::facts::FactProblem;
use crate::input::report;
use crate::lang::diagnostics::Severity;
use crate::model::ir::{Kind, Value, words};

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Record {
    /// Every reason with its message and place, and the notes.
    #[default]
    Full,
    /// The outcome, the deciding rules' ids and the missing facts.
    Compact,
}

/// Pre-escaped pieces of every record.
#[derive(Debug, Clone)]
pub struct RecordWriter {
    record: Record,
    decisions: Vec<DecisionParts>,
    /// `"account.segment"` for each slot.
    paths: Vec<String>,
    /// Slots in the order of their paths, as missing facts are listed.
    by_path: Vec<u32>,
    /// `"sha256:.."`, the set every record names.
    policy_hash: String,
    /// With one date for every line (`--as-of`): that date and the bytes
    /// after a record's start, up to its first decision, written once here
    /// instead of once per record.
    fixed: Option<(NaiveDate, Vec<u8>)>,
}

#[derive(Debug, Clone)]
struct DecisionParts {
    /// A decision written in versions: what its records say depends on the
    /// date (the version, its notes, a gap's reason), so it is kept here.
    dated: Option<Box<crate::model::ir::DecisionIr>>,
    /// `{"id":"..","kind":"..","outcome":` (full) or `{"id":"..","outcome":`.
    head: String,
    /// The rule id of each reason, by cause, for compact records…
    rule_ids: Causes,
    /// …and the same followed by `]}`, which ends the decision when it is
    /// the only one and no facts are missing (most decisions).
    rule_ids_closed: Causes,
    /// Each reason object, by cause.
    denies: Vec<String>,
    allows: Vec<String>,
    rows: Vec<String>,
    not_applicable: String,
    applies_unknown: String,
    no_rule_allowed: String,
    /// The head, an answer and the opening of the list after it, for each
    /// answer but an amount (see [`opened_at`]): one copy per decision
    /// instead of three.
    opened: Vec<String>,
    /// The notes array.
    notes: String,
}

fn json(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

fn reason(d: &crate::model::ir::DecisionIr, cause: Cause) -> String {
    serde_json::to_string(&verdict::reason(d, cause)).unwrap_or_default()
}

fn rule_id(d: &crate::model::ir::DecisionIr, cause: Cause) -> String {
    json(&verdict::reason(d, cause).rule)
}

/// One string for each cause a decision can give.
#[derive(Debug, Clone, Default)]
pub(crate) struct Causes {
    denies: Vec<String>,
    allows: Vec<String>,
    rows: Vec<String>,
    not_applicable: String,
    applies_unknown: String,
    no_rule_allowed: String,
}

impl Causes {
    pub(crate) fn new(
        d: &crate::model::ir::DecisionIr,
        text: impl Fn(&crate::model::ir::DecisionIr, Cause) -> String,
    ) -> Causes {
        Causes {
            denies: (0..d.denies.len() as u32)
                .map(|i| text(d, Cause::Deny(i)))
                .collect(),
            allows: (0..d.allows.len() as u32)
                .map(|i| text(d, Cause::Allow(i)))
                .collect(),
            rows: (0..d.rows.len() as u32)
                .map(|i| text(d, Cause::Row(i)))
                .collect(),
            not_applicable: text(d, Cause::NotApplicable),
            applies_unknown: text(d, Cause::AppliesUnknown),
            no_rule_allowed: text(d, Cause::NoRuleAllowed),
        }
    }

    pub(crate) fn get(&self, cause: Cause) -> &str {
        let text = match cause {
            Cause::Deny(i) => self.denies.get(i as usize),
            Cause::Allow(i) => self.allows.get(i as usize),
            Cause::Row(i) => self.rows.get(i as usize),
            Cause::NotApplicable => Some(&self.not_applicable),
            Cause::AppliesUnknown => Some(&self.applies_unknown),
            Cause::NoRuleAllowed => Some(&self.no_rule_allowed),
        };
        text.map_or("", String::as_str)
    }
}

/// The rule id of a cause, unquoted: `row 1`, `applies`, a rule's id.
#[cfg_attr(not(feature = "arrow"), allow(dead_code))]
pub(crate) fn rule_name(d: &crate::model::ir::DecisionIr, cause: Cause) -> String {
    verdict::reason(d, cause).rule
}

impl RecordWriter {
    pub fn new(program: &Program, options: &super::Options) -> RecordWriter {
        let record = options.record;
        let decisions = program
            .decisions
            .iter()
            .map(|d| {
                let members: Vec<String> = match d.kind {
                    Kind::Classification(id) => program
                        .schema
                        .enum_type(id)
                        .map(|e| e.members.iter().map(|m| json(m)).collect())
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                let head = match record {
                    Record::Full => format!(
                        "{{\"id\":{},\"kind\":{},\"outcome\":",
                        json(&d.id),
                        json(d.kind.name().as_str())
                    ),
                    // Keyed by its id in the record's `decisions` object.
                    Record::Compact => format!("{}:{{\"outcome\":", json(&d.id)),
                };
                let opened = words::FIXED
                    .iter()
                    .map(|word| format!("\"{word}\""))
                    .chain(members)
                    .map(|answer| format!("{head}{answer}{}", list_key(record)))
                    .collect();
                DecisionParts {
                    dated: (!d.versions.is_empty()).then(|| Box::new(d.clone())),
                    head,
                    opened,
                    rule_ids: match record {
                        Record::Full => Causes::default(),
                        Record::Compact => Causes::new(d, rule_id),
                    },
                    rule_ids_closed: match record {
                        Record::Full => Causes::default(),
                        Record::Compact => Causes::new(d, |d, cause| rule_id(d, cause) + "]}"),
                    },
                    denies: (0..d.denies.len() as u32)
                        .map(|i| reason(d, Cause::Deny(i)))
                        .collect(),
                    allows: (0..d.allows.len() as u32)
                        .map(|i| reason(d, Cause::Allow(i)))
                        .collect(),
                    rows: (0..d.rows.len() as u32)
                        .map(|i| reason(d, Cause::Row(i)))
                        .collect(),
                    not_applicable: reason(d, Cause::NotApplicable),
                    applies_unknown: reason(d, Cause::AppliesUnknown),
                    no_rule_allowed: reason(d, Cause::NoRuleAllowed),
                    notes: serde_json::to_string(&d.notes).unwrap_or_default(),
                }
            })
            .collect();
        let paths: Vec<String> = program
            .schema
            .fields
            .iter()
            .map(|f| json(&f.path))
            .collect();
        let mut by_path: Vec<u32> = (0..paths.len() as u32).collect();
        by_path.sort_by(|a, b| {
            let path = |s: &u32| {
                program
                    .schema
                    .fields
                    .get(*s as usize)
                    .map(|f| f.path.as_str())
            };
            path(a).cmp(&path(b))
        });
        let policy_hash = json(&program.policy_hash.to_string());
        let fixed = options.as_of.map(|day| {
            let mut middle = Vec::new();
            middle_part(record, day, &policy_hash, &mut middle);
            (day, middle)
        });
        RecordWriter {
            record,
            decisions,
            paths,
            by_path,
            policy_hash,
            fixed,
        }
    }

    /// `{"line":N,` then the id when there is one.
    fn start(&self, line: u64, id: Option<&str>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"line\":");
        digits::write_u64(line, out);
        if let Some(id) = id {
            out.extend_from_slice(b",\"id\":");
            digits::write_json_str(id, out);
        }
    }

    /// `{"line":N,"id":..,"as_of":..,"policy_hash":..,"decisions":[..]}` and
    /// a newline; `warnings` follow the decisions when the facts had any.
    /// `facts` (by slot) fill the placeholders of messages; `program` is the
    /// one the writer was made for.
    #[allow(
        clippy::too_many_arguments,
        reason = "one record's parts, each passed as the hot loop holds it"
    )]
    pub fn record(
        &self,
        program: &Program,
        line: u64,
        id: Option<&str>,
        verdicts: &Verdicts,
        facts: &[Option<Value>],
        as_of: NaiveDate,
        warnings: &[FactProblem],
        out: &mut Vec<u8>,
    ) {
        self.start(line, id, out);
        match &self.fixed {
            Some((day, middle)) if *day == as_of => out.extend_from_slice(middle),
            _ => middle_part(self.record, as_of, &self.policy_hash, out),
        }
        for (k, v) in verdicts.iter().enumerate() {
            let Some(parts) = self.decisions.get(v.decision as usize) else {
                continue;
            };
            if k > 0 {
                out.push(b',');
            }
            if self.record == Record::Compact {
                self.compact(parts, verdicts, v, out);
                continue;
            }
            open(parts, v.answer, self.record, out);
            for (j, cause) in verdicts.causes(v).iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                if let Some(d) = program.decisions.get(v.decision as usize)
                    && templated(d, *cause)
                {
                    let reason = verdicts.rendered(program, d, *cause, facts);
                    let _ = serde_json::to_writer(&mut *out, &reason);
                    continue;
                }
                if let Some(d) = &parts.dated
                    && matches!(cause, Cause::NotApplicable | Cause::NoRuleAllowed)
                {
                    let reason = verdict::reason_on(d, *cause, verdicts.as_of);
                    let _ = serde_json::to_writer(&mut *out, &reason);
                    continue;
                }
                let text = match *cause {
                    Cause::Deny(i) => parts.denies.get(i as usize),
                    Cause::Allow(i) => parts.allows.get(i as usize),
                    Cause::Row(i) => parts.rows.get(i as usize),
                    Cause::NotApplicable => Some(&parts.not_applicable),
                    Cause::AppliesUnknown => Some(&parts.applies_unknown),
                    Cause::NoRuleAllowed => Some(&parts.no_rule_allowed),
                };
                out.extend_from_slice(text.map_or("{}", String::as_str).as_bytes());
            }
            out.extend_from_slice(b"],\"missing\":[");
            self.missing(verdicts.missing(v), out);
            out.extend_from_slice(b"],\"notes\":");
            let version = parts
                .dated
                .as_ref()
                .and_then(|d| verdicts.as_of.and_then(|day| d.version_on(day)));
            if v.answer == Answer::NotApplicable {
                out.extend_from_slice(b"[]");
            } else if let Some(version) = version {
                let _ = serde_json::to_writer(&mut *out, &version.notes);
            } else {
                out.extend_from_slice(parts.notes.as_bytes());
            }
            if let Some(version) = version {
                out.extend_from_slice(b",\"version\":");
                let _ = serde_json::to_writer(&mut *out, &verdict::version_of(version));
            }
            out.push(b'}');
        }
        out.push(match self.record {
            Record::Compact => b'}',
            Record::Full => b']',
        });
        if !warnings.is_empty() {
            out.extend_from_slice(b",\"warnings\":");
            problems(warnings, out);
        }
        out.extend_from_slice(b"}\n");
    }

    /// One decision of a compact record, keyed by its id: `"id":{"outcome":
    /// ..,"rules":[..]}`, with `"missing":[..]` before the `}` when the
    /// answer is undetermined: only it misses facts (the evaluator keeps
    /// none for a decided one), or should a decided one ever have some.
    fn compact(
        &self,
        parts: &DecisionParts,
        verdicts: &Verdicts,
        v: &verdict::Verdict,
        out: &mut Vec<u8>,
    ) {
        open(parts, v.answer, Record::Compact, out);
        let causes = verdicts.causes(v);
        let missing = verdicts.missing(v);
        let missing_facts = matches!(v.answer, Answer::Undetermined) || !missing.is_empty();
        if let [cause] = causes
            && parts.dated.is_none()
            && !missing_facts
        {
            out.extend_from_slice(parts.rule_ids_closed.get(*cause).as_bytes());
            return;
        }
        for (j, cause) in causes.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            match &parts.dated {
                // A gap between versions is its own reason, `gap`, as in
                // full records.
                Some(d) if *cause == Cause::NotApplicable => {
                    let reason = verdict::reason_on(d, *cause, verdicts.as_of);
                    digits::write_json_str(&reason.rule, out);
                }
                _ => out.extend_from_slice(parts.rule_ids.get(*cause).as_bytes()),
            }
        }
        if missing_facts {
            out.extend_from_slice(b"],\"missing\":[");
            self.missing(missing, out);
        }
        out.extend_from_slice(b"]}");
    }

    /// The paths of missing facts, sorted, separated by commas.
    fn missing(&self, missing: &crate::engine::eval::Missing, out: &mut Vec<u8>) {
        if missing.is_empty() {
            return;
        }
        let mut first = true;
        for &slot in &self.by_path {
            if missing.contains(crate::model::schema::Slot(slot))
                && let Some(path) = self.paths.get(slot as usize)
            {
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(path.as_bytes());
            }
        }
    }

    /// `{"line":N,"id":..,"policy_hash":..,"errors":[{"path":..,"message":..,"help":..}]}`
    /// and a newline.
    pub fn error(
        &self,
        line: u64,
        id: Option<&str>,
        problems_found: &[FactProblem],
        out: &mut Vec<u8>,
    ) {
        self.start(line, id, out);
        let _ = write!(out, ",\"policy_hash\":{},\"errors\":", self.policy_hash);
        problems(problems_found, out);
        out.extend_from_slice(b"}\n");
    }
}

/// A decision's record up to its list of reasons: the pre-rendered
/// opening for a fixed outcome, else the head, the amount and the list's key.
fn open(parts: &DecisionParts, answer: Answer, record: Record, out: &mut Vec<u8>) {
    match opened_at(answer).and_then(|i| parts.opened.get(i)) {
        Some(opened) => out.extend_from_slice(opened.as_bytes()),
        None => {
            out.extend_from_slice(parts.head.as_bytes());
            match answer {
                Answer::Amount(m) => digits::write_money(&m, out),
                _ => out.extend_from_slice(b"\"?\""),
            }
            out.extend_from_slice(list_key(record).as_bytes());
        }
    }
}

/// Where an answer's opened head is in `DecisionParts::opened`: a fixed
/// word's place in [`words::FIXED`], a member's after them; none for an
/// amount.
fn opened_at(answer: Answer) -> Option<usize> {
    match answer {
        Answer::Member(i) => Some(words::FIXED.len() + i as usize),
        _ => answer.fixed_index(),
    }
}

/// What follows the outcome: the rule ids (compact) or the reasons.
fn list_key(record: Record) -> &'static str {
    match record {
        Record::Compact => ",\"rules\":[",
        Record::Full => ",\"reasons\":[",
    }
}

/// `,"as_of":"..","policy_hash":"..","decisions":[`: what follows a
/// record's start; `{` instead of `[` in a compact record, whose decisions
/// are an object keyed by their ids.
fn middle_part(record: Record, as_of: NaiveDate, policy_hash: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"as_of\":\"");
    date(as_of, out);
    out.extend_from_slice(b"\",\"policy_hash\":");
    out.extend_from_slice(policy_hash.as_bytes());
    out.extend_from_slice(match record {
        Record::Compact => b",\"decisions\":{",
        Record::Full => b",\"decisions\":[",
    });
}

/// Whether a cause's message has placeholders, rendered for each record.
fn templated(d: &crate::model::ir::DecisionIr, cause: Cause) -> bool {
    let rule = match cause {
        Cause::Deny(i) => d.denies.get(i as usize).map(|r| r.parts.is_some()),
        Cause::Allow(i) => d.allows.get(i as usize).map(|r| r.parts.is_some()),
        Cause::Row(i) => d.rows.get(i as usize).map(|r| r.parts.is_some()),
        _ => None,
    };
    rule.unwrap_or(false)
}

/// `YYYY-MM-DD`, as `%Y-%m-%d` writes it, digit by digit: chrono's
/// formatting was a twentieth of a compact record's cost.
fn date(d: NaiveDate, out: &mut Vec<u8>) {
    use chrono::Datelike as _;
    let year = d.year();
    if !(0..=9999).contains(&year) {
        let _ = write!(out, "{}", d.format("%Y-%m-%d"));
        return;
    }
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let y = year as u32;
    out.extend_from_slice(&[
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        digit(d.month() / 10),
        digit(d.month()),
        b'-',
        digit(d.day() / 10),
        digit(d.day()),
    ]);
}

/// One problem in a record: the fields of a diagnostic (`credo check
/// --format json`) a record can name, after the first three, which stay
/// first for readers that match on them.
#[derive(serde::Serialize)]
struct Problem<'a> {
    path: &'a str,
    message: String,
    help: Option<&'a str>,
    code: &'static str,
    severity: Severity,
    /// The input line and the column (in characters) of the field, when
    /// the line was read as text ([`crate::input::report::placed`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

/// A JSON list of problems: path, message (with the column for broken
/// JSON), help, code, severity, and the line and column when known.
pub(crate) fn problems(found: &[FactProblem], out: &mut Vec<u8>) {
    let list: Vec<Problem<'_>> = found
        .iter()
        .map(|p| Problem {
            path: &p.path,
            message: match p.position {
                Some((_, column)) if report::from_parser(p) => {
                    format!("{} (column {column})", p.message)
                }
                _ => p.message.clone(),
            },
            help: p.help.as_deref(),
            code: p.code,
            severity: p.severity,
            line: p.position.map(|(line, _)| line),
            column: p.position.map(|(_, column)| column),
        })
        .collect();
    let _ = serde_json::to_writer(&mut *out, &list);
}
