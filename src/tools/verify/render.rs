//! `credo verify`'s output: text for people, JSON for programs.

use std::fmt::Write as _;

use super::{Example, Level, Report, Verdict};

/// `12345` as `12,345`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Policy text on one line, without its `#` comments.
pub fn without_comments(text: &str) -> String {
    let mut words = Vec::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut end = line.len();
        for (i, c) in line.char_indices() {
            match c {
                '"' => in_string = !in_string,
                '#' if !in_string => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        words.extend(line.get(..end).unwrap_or(line).split_whitespace());
    }
    words.join(" ")
}

/// ``row 1 `a + b > c` compares .. (at)``, or without an expression.
fn outside_text(o: &super::domain::Outside) -> String {
    if o.expression.is_empty() {
        format!("{} {} ({})", o.what, o.reason, o.at)
    } else {
        format!("{} `{}` {} ({})", o.what, o.expression, o.reason, o.at)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn examples(out: &mut String, examples: &[Example], indent: &str) {
    for e in examples {
        let period = e
            .period
            .as_ref()
            .map(|p| format!(", in the period {p}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{indent}{}{period} (credo eval accepts it as it is):",
            e.label
        );
        for line in e.yaml.lines() {
            let _ = writeln!(out, "{indent}  {line}");
        }
    }
}

/// The text report: a line per decision, then each finding with its
/// counterexample, what was not analysed, and each assertion's verdict.
pub fn text(report: &Report, policies: &str) -> String {
    // Values from facts and policies are echoed: shown escaped, never raw.
    crate::base::escape::lines_owned(text_unescaped(report, policies))
}

fn text_unescaped(report: &Report, policies: &str) -> String {
    let mut out = format!(
        "verify {policies}: {}, {}, {} fact documents evaluated\n",
        plural(report.decisions.len(), "decision", "decisions"),
        plural(report.assertions.len(), "assertion", "assertions"),
        grouped(report.summary.evaluated)
    );
    let width = report
        .decisions
        .iter()
        .map(|d| d.id.len())
        .max()
        .unwrap_or(0);
    out.push('\n');
    for d in &report.decisions {
        let errors = d
            .findings
            .iter()
            .filter(|f| f.level == Level::Error)
            .count();
        let warnings = d.findings.len() - errors;
        let mut state = Vec::new();
        if errors > 0 {
            state.push(plural(errors, "error", "errors"));
        }
        if warnings > 0 {
            state.push(plural(warnings, "warning", "warnings"));
        }
        if d.evaluated == 0 && !d.not_analysed.is_empty() {
            state.push("not analysed".into());
        } else if !d.not_analysed.is_empty() {
            state.push("partly not analysed".into());
        }
        if state.is_empty() {
            state.push("ok".into());
        }
        let _ = writeln!(
            out,
            "  {:<width$}  {:>9} documents  {}",
            d.id,
            grouped(d.evaluated),
            state.join(", ")
        );
    }
    for d in &report.decisions {
        for f in &d.findings {
            let level = match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
            };
            let kind = serde_json::to_value(f.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let _ = writeln!(out, "\n{level}[{kind}]: {}: {}", f.decision, f.message);
            let _ = writeln!(out, "  --> {}", f.at);
            let _ = writeln!(out, "  {}", f.detail);
            examples(&mut out, &f.examples, "  ");
        }
    }
    let outside: Vec<_> = report
        .decisions
        .iter()
        .flat_map(|d| d.not_analysed.iter().map(move |o| (&d.id, o)))
        .collect();
    if !outside.is_empty() {
        out.push_str(
            "\nnot analysed (so no rule is said never to fire and no gap is ruled out):\n",
        );
        for (id, o) in outside {
            let _ = writeln!(out, "  {id}: {}", outside_text(o));
        }
    }
    if !report.assertions.is_empty() {
        out.push_str("\nassertions:\n");
        for a in &report.assertions {
            let verdict = match (a.verdict, a.vacuous) {
                (Verdict::Proved, false) => "proved",
                (Verdict::Proved, true) => "vacuous",
                (Verdict::Refuted, _) => "refuted",
                (Verdict::NotAnalysed, _) => "not analysed",
            };
            let _ = writeln!(out, "  {verdict:<12}  {}", a.assertion);
            let _ = writeln!(out, "  {:<12}  --> {}", "", a.at);
            let _ = writeln!(out, "  {:<12}  {}", "", a.detail);
            for o in &a.not_analysed {
                let _ = writeln!(out, "  {:<12}  not analysed: {}", "", outside_text(o));
            }
            examples(&mut out, &a.examples, "    ");
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n{}, {}; assertions: {} proved, {} refuted, {} not analysed",
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings"),
        s.proved,
        s.refuted,
        s.not_analysed
    );
    if s.over_budget > 0 {
        let _ = writeln!(
            out,
            "{} not analysed in full: the run's budget of {} fact documents or its time limit was spent; see \"not analysed\" above",
            plural(s.over_budget, "check", "checks"),
            grouped(s.budget)
        );
    }
    out
}

/// The JSON report: decisions with their findings, assertions, and the summary.
pub fn json(report: &Report) -> String {
    match serde_json::to_string_pretty(report) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}
