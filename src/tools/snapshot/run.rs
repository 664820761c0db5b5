//! Running snapshots: evaluate each example, compare with its accepted
//! snapshot, and check, record, accept, review or prune.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::{changes, orphans, path_for, pending_for, remove, render, write};
use crate::base::limits::Limits;
use crate::engine::eval::Request;
use crate::engine::outcome::AsOfSource;
use crate::engine::program::Program;
use crate::input::facts::{self, Format};
use crate::input::report;

/// One example and its snapshots.
#[derive(Debug, Clone)]
pub struct Entry {
    pub example: PathBuf,
    /// The example's file name without its extension.
    pub name: String,
    pub accepted: PathBuf,
    /// The snapshot of today's result, or why the example gave none.
    pub current: Result<String, String>,
    /// The accepted snapshot, when there is one.
    pub stored: Option<String>,
}

/// How an example's result compares with its accepted snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Same,
    /// No accepted snapshot yet.
    New,
    /// The decisions that changed, as [`changes`] says them.
    Changed(String),
    /// The example could not be read or evaluated.
    Failed(String),
}

impl Entry {
    pub fn state(&self) -> State {
        match (&self.current, &self.stored) {
            (Err(why), _) => State::Failed(why.clone()),
            (Ok(_), None) => State::New,
            (Ok(now), Some(then)) if now == then => State::Same,
            (Ok(now), Some(then)) => State::Changed(changes(then, now)),
        }
    }
}

/// Evaluates every example and reads its accepted snapshot. Examples
/// without an `as_of` are evaluated on `today`, and their snapshot says so
/// by its date.
pub fn collect(
    program: &Program,
    examples: &[PathBuf],
    snapshots: &Path,
    limits: &Limits,
    today: NaiveDate,
) -> std::io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for example in examples {
        let accepted = path_for(snapshots, example);
        let stored = match std::fs::read_to_string(&accepted) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(super::named(&accepted, e)),
        };
        let name = example
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        entries.push(Entry {
            current: evaluate(program, example, limits, today),
            example: example.clone(),
            name,
            accepted,
            stored,
        });
    }
    Ok(entries)
}

fn evaluate(
    program: &Program,
    example: &Path,
    limits: &Limits,
    today: NaiveDate,
) -> Result<String, String> {
    let shown = example.display().to_string();
    let (text, format) = facts::read(example, limits).map_err(|p| {
        let document = report::Document::new(&shown, "", Format::Yaml);
        report::render(&document, &[p], false).trim_end().to_owned()
    })?;
    let loaded = facts::load_text_with(&program.schema, &text, format, limits).map_err(|ps| {
        let document = report::Document::new(&shown, &text, format);
        report::render(&document, &ps, false).trim_end().to_owned()
    })?;
    let (as_of, as_of_source) = match loaded.facts.as_of(&program.schema) {
        Some(date) => (date, AsOfSource::Facts),
        None => (today, AsOfSource::Today),
    };
    let request = Request {
        as_of,
        as_of_source,
        decisions: &[],
    };
    let evaluation = program
        .evaluate(&loaded.facts, &request)
        .map_err(|e| format!("{shown}: {e}"))?;
    let example_name = example
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(render(&example_name, &evaluation))
}

/// What `credo snapshot` does with the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write each new or changed result as a pending `NAME.snap.new`.
    Record,
    /// Write nothing; fail on a change (and on a missing snapshot in CI).
    Check { ci: bool },
    /// Accept every result as the snapshot.
    Accept,
}

/// What a run found and did.
#[derive(Debug, Default)]
pub struct Report {
    pub text: String,
    pub unchanged: usize,
    pub changed: usize,
    pub new: usize,
    pub failed: usize,
    pub accepted: usize,
    /// Snapshots whose example is gone.
    pub obsolete: Vec<PathBuf>,
    pub pruned: usize,
    /// Whether the run should exit non-zero.
    pub failing: bool,
}

/// Compares, reports and writes as `mode` says. When `entries` are every
/// example (`whole`), snapshots without one are reported, and removed when
/// `prune` says so; a run over chosen examples cannot tell.
pub fn settle(
    entries: &[Entry],
    snapshots: &Path,
    mode: Mode,
    whole: bool,
    prune: bool,
) -> std::io::Result<Report> {
    use std::fmt::Write as _;
    let mut report = Report::default();
    for entry in entries {
        let pending = pending_for(&entry.accepted);
        let state = entry.state();
        match &state {
            State::Same => report.unchanged += 1,
            State::New => {
                report.new += 1;
                let _ = writeln!(report.text, "new: {} has no snapshot yet", entry.name);
            }
            State::Changed(what) => {
                report.changed += 1;
                let _ = write!(report.text, "changed: {}\n{what}", entry.name);
            }
            State::Failed(why) => {
                report.failed += 1;
                let _ = writeln!(report.text, "failed: {}\n  {why}", entry.name);
            }
        }
        let (State::New | State::Changed(_), Ok(current)) = (&state, &entry.current) else {
            if state == State::Same && !matches!(mode, Mode::Check { .. }) {
                // An old pending result is settled once the result matches again.
                remove(&pending)?;
            }
            continue;
        };
        match mode {
            Mode::Record => write(&pending, current)?,
            Mode::Accept => {
                write(&entry.accepted, current)?;
                remove(&pending)?;
                report.accepted += 1;
            }
            Mode::Check { .. } => {}
        }
    }
    let stems: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    if whole {
        report.obsolete = orphans(snapshots, &stems)?;
    }
    for orphan in &report.obsolete {
        if prune {
            remove(orphan)?;
            report.pruned += 1;
            let _ = writeln!(report.text, "pruned: {}", orphan.display());
        } else {
            let _ = writeln!(
                report.text,
                "obsolete: {} (its example is gone; `--prune` removes it)",
                orphan.display()
            );
        }
    }
    report.failing = report.failed > 0
        || match mode {
            Mode::Record => report.changed + report.new > 0,
            Mode::Check { ci } => report.changed > 0 || (ci && report.new > 0),
            Mode::Accept => false,
        };
    let _ = writeln!(report.text, "{}", summary(&report, entries.len(), mode));
    Ok(report)
}

fn summary(report: &Report, total: usize, mode: Mode) -> String {
    let mut parts = vec![format!("{} unchanged", report.unchanged)];
    for (n, word) in [
        (report.changed, "changed"),
        (report.new, "new"),
        (report.failed, "failed"),
        (report.obsolete.len() - report.pruned, "obsolete"),
        (report.pruned, "pruned"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let mut line = format!(
        "{}: {}",
        crate::base::plural(total, "snapshot"),
        parts.join(", ")
    );
    match mode {
        Mode::Record if report.changed + report.new > 0 => line.push_str(
            "\nthe new results wait in `.snap.new` files: `credo snapshot --review` or `--accept`",
        ),
        Mode::Accept if report.accepted > 0 => {
            line.push_str(&format!("\naccepted {}", report.accepted));
        }
        _ => {}
    }
    line
}

/// Walks through every new or changed result, one at a time, as
/// `cargo insta review` does: `a` accepts it, `r` rejects it (the accepted
/// snapshot stays), `s` skips it (it stays pending), `e` shows the explain
/// trace of the new result, `v` the whole new snapshot, `q` stops. Returns
/// how many were accepted.
pub fn review(
    entries: &[Entry],
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    explain: &dyn Fn(&Path) -> String,
) -> std::io::Result<usize> {
    let waiting: Vec<(&Entry, &String, State)> = entries
        .iter()
        .filter_map(|e| Some((e, e.current.as_ref().ok()?, e.state())))
        .filter(|(_, _, s)| matches!(s, State::New | State::Changed(_)))
        .collect();
    let mut accepted = 0;
    for (i, (entry, current, state)) in waiting.iter().enumerate() {
        let pending = pending_for(&entry.accepted);
        writeln!(
            output,
            "\n[{}/{}] {}",
            i + 1,
            waiting.len(),
            entry.example.display()
        )?;
        match state {
            State::Changed(what) => write!(output, "{what}")?,
            _ => write!(output, "new snapshot:\n{current}")?,
        }
        loop {
            write!(
                output,
                "a accept, r reject, s skip, e explain, v view, q quit > "
            )?;
            output.flush()?;
            let mut answer = String::new();
            if input.read_line(&mut answer)? == 0 {
                writeln!(output)?;
                return Ok(accepted);
            }
            match answer.trim() {
                "a" => {
                    write(&entry.accepted, current)?;
                    remove(&pending)?;
                    accepted += 1;
                    writeln!(output, "accepted {}", entry.accepted.display())?;
                }
                "r" => {
                    remove(&pending)?;
                    writeln!(output, "rejected: {} stays", entry.accepted.display())?;
                }
                "s" => {
                    write(&pending, current)?;
                    writeln!(output, "skipped: waiting in {}", pending.display())?;
                }
                "e" => {
                    write!(output, "{}", explain(&entry.example))?;
                    continue;
                }
                "v" => {
                    write!(output, "{current}")?;
                    continue;
                }
                "q" => return Ok(accepted),
                other => {
                    writeln!(output, "`{other}`: answer a, r, s, e, v or q")?;
                    continue;
                }
            }
            break;
        }
    }
    Ok(accepted)
}

/// Each example's snapshot as a case of `credo test`, named
/// `snapshots::NAME`: it passes when the result matches; a change fails
/// with its per-decision diff, and a missing snapshot fails in CI (`ci`).
pub fn as_cases(entries: &[Entry], ci: bool) -> Vec<crate::tools::policy_tests::CaseResult> {
    entries
        .iter()
        .map(|entry| {
            let error = match entry.state() {
                State::Same => None,
                State::New if !ci => None,
                State::New => {
                    Some("no snapshot yet: `credo snapshot --review` or `--accept`".to_owned())
                }
                State::Changed(what) => Some(format!(
                    "the result changed (`credo snapshot --review` to accept):\n{}",
                    what.trim_end()
                )),
                State::Failed(why) => Some(why),
            };
            crate::tools::policy_tests::CaseResult {
                name: format!("snapshots::{}", entry.name),
                file: entry.accepted.display().to_string(),
                mismatches: Vec::new(),
                actual: Vec::new(),
                error,
            }
        })
        .collect()
}
