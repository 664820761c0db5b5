//! Renders evaluations for people (text) and programs (JSON, YAML).

use std::fmt::Write as _;

use chrono::NaiveDate;

use crate::base::hash::PolicyHash;
use crate::engine::outcome::{AsOfSource, DecisionOutcome, Evaluation, Outcome};

/// The text form: each decision's outcome, then its reasons with `file:line:col`.
pub fn text(evaluation: &Evaluation) -> String {
    // Values from facts and policies are echoed: shown escaped, never raw.
    crate::base::escape::lines_owned(text_unescaped(evaluation))
}

fn text_unescaped(evaluation: &Evaluation) -> String {
    let mut out = as_of_line(evaluation.as_of, evaluation.as_of_source);
    out.push_str(&policies_line(&evaluation.policy_hash));
    for d in &evaluation.decisions {
        out.push('\n');
        out.push_str(&decision_text(d));
    }
    out
}

/// `as of 2026-11-25 (from the facts)`, with its newline.
pub fn as_of_line(as_of: NaiveDate, source: AsOfSource) -> String {
    let source = match source {
        AsOfSource::Option => "from --as-of",
        AsOfSource::Facts => "from the facts",
        AsOfSource::Today => "today, as nothing else said",
    };
    format!("as of {} ({source})\n", as_of.format("%Y-%m-%d"))
}

/// `policies sha256:0123456789ab`, with its newline: the set that answered.
pub fn policies_line(hash: &PolicyHash) -> String {
    format!("policies {}\n", hash.short())
}

/// One decision's outcome line, then its missing facts, reasons and notes.
pub fn decision_text(d: &DecisionOutcome) -> String {
    // Values from facts and policies are echoed: shown escaped, never raw.
    crate::base::escape::lines_owned(decision_text_unescaped(d))
}

fn decision_text_unescaped(d: &DecisionOutcome) -> String {
    let shown = match &d.outcome {
        Outcome::Amount(m) => m.display_grouped(),
        other => other.as_text(),
    };
    let mut out = format!("{}: {shown}\n", d.id);
    let label = match d.outcome {
        Outcome::Undetermined => "unsettled",
        _ => "because",
    };
    if let Some(v) = &d.version {
        let gap = if v.gap { "gap " } else { "" };
        let _ = writeln!(
            out,
            "  version    {gap}effective {} ({})",
            v.effective, v.at
        );
    }
    if !d.missing.is_empty() {
        let _ = writeln!(out, "  missing    {}", d.missing.join(", "));
    }
    for r in &d.reasons {
        let _ = writeln!(out, "  {label:<9}  {}: {} ({})", r.rule, r.message, r.at);
    }
    for note in &d.notes {
        let _ = writeln!(out, "  note       {note}");
    }
    out
}

/// The JSON contract: `{"as_of": .., "decisions": [..]}`.
pub fn json(evaluation: &Evaluation) -> String {
    match serde_json::to_string_pretty(evaluation) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}

/// The same document as [`json`], in YAML.
pub fn yaml(evaluation: &Evaluation) -> String {
    crate::input::doc::to_yaml(evaluation)
}
