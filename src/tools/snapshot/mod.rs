//! `credo snapshot`: every decision of every example, recorded beside the
//! policies, so that an edit shows what it changes — snapshot tests for
//! policy authors, as insta gives them to Rust code.
//!
//! A snapshot records what an author decides on: each decision's outcome
//! (the amount, for an amount), the rules that decided it, the facts it
//! missed, its notes, and the date used. Messages, locations and the policy
//! hash are left out on purpose: rewording a message, moving a rule or
//! editing a comment must not break a snapshot.
//!
//! `NAME.snap` is the accepted snapshot of example `NAME.yaml`; a result
//! that differs waits in `NAME.snap.new` until it is accepted or rejected.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::engine::outcome::{Evaluation, Outcome};

/// The extension of an accepted snapshot, and of one waiting for review.
pub const ACCEPTED: &str = "snap";
pub const PENDING: &str = "snap.new";

/// An evaluation as its snapshot text.
pub fn render(example: &str, evaluation: &Evaluation) -> String {
    let mut out = format!(
        "# credo snapshot of {example}\nas_of: {}\n",
        evaluation.as_of.format("%Y-%m-%d")
    );
    for d in &evaluation.decisions {
        let outcome = match &d.outcome {
            Outcome::Amount(m) => m.to_string(),
            other => other.as_text(),
        };
        let _ = writeln!(out, "\n{}: {outcome}", d.id);
        if !d.reasons.is_empty() {
            let rules: Vec<&str> = d.reasons.iter().map(|r| r.rule.as_str()).collect();
            let label = match d.outcome {
                Outcome::Undetermined => "unsettled",
                _ => "decided by",
            };
            let _ = writeln!(out, "  {label}: {}", rules.join(", "));
        }
        if !d.missing.is_empty() {
            let _ = writeln!(out, "  missing: {}", d.missing.join(", "));
        }
        for note in &d.notes {
            let _ = writeln!(out, "  note: {note}");
        }
    }
    out
}

/// One decision as a snapshot records it: the outcome line, then the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Block<'a> {
    id: &'a str,
    outcome: &'a str,
    details: Vec<&'a str>,
}

/// The decisions of a snapshot text, and its date line.
fn blocks(text: &str) -> (Option<&str>, Vec<Block<'_>>) {
    let mut as_of = None;
    let mut blocks: Vec<Block<'_>> = Vec::new();
    for line in text.lines() {
        if let Some(date) = line.strip_prefix("as_of: ") {
            as_of = Some(date);
        } else if let Some(detail) = line.strip_prefix("  ") {
            if let Some(last) = blocks.last_mut() {
                last.details.push(detail);
            }
        } else if let Some((id, outcome)) = line.split_once(": ").filter(|_| !line.starts_with('#'))
        {
            blocks.push(Block {
                id,
                outcome,
                details: Vec::new(),
            });
        }
    }
    (as_of, blocks)
}

/// What changed between an accepted snapshot and a new result, decision by
/// decision, naming the rules that decide now. Empty when nothing did.
pub fn changes(old: &str, new: &str) -> String {
    let (old_date, old_blocks) = blocks(old);
    let (new_date, new_blocks) = blocks(new);
    let mut out = String::new();
    if old_date != new_date {
        let _ = writeln!(
            out,
            "  as_of: {} -> {}",
            old_date.unwrap_or("?"),
            new_date.unwrap_or("?")
        );
    }
    for new in &new_blocks {
        match old_blocks.iter().find(|b| b.id == new.id) {
            None => {
                let _ = writeln!(out, "  {}: new decision, {}", new.id, new.outcome);
            }
            Some(old) if old == new => {}
            Some(old) => {
                if old.outcome == new.outcome {
                    let _ = writeln!(out, "  {}: {} (unchanged outcome)", new.id, new.outcome);
                } else {
                    let _ = writeln!(out, "  {}: {} -> {}", new.id, old.outcome, new.outcome);
                }
                for line in &old.details {
                    if !new.details.contains(line) {
                        let _ = writeln!(out, "    - {line}");
                    }
                }
                for line in &new.details {
                    if !old.details.contains(line) {
                        let _ = writeln!(out, "    + {line}");
                    }
                }
            }
        }
    }
    for old in &old_blocks {
        if !new_blocks.iter().any(|b| b.id == old.id) {
            let _ = writeln!(out, "  {}: no longer decided (was {})", old.id, old.outcome);
        }
    }
    if out.is_empty() && old != new {
        // Same decisions, other bytes (a hand edit): say so rather than pass.
        out.push_str("  the snapshot's text differs, though no decision did\n");
    }
    out
}

/// Where the snapshots of a policy directory live.
pub fn directory(policies: &Path) -> PathBuf {
    policies.join("snapshots")
}

/// The snapshot path of an example: `snapshots/NAME.snap` for `NAME.yaml`.
pub fn path_for(snapshots: &Path, example: &Path) -> PathBuf {
    let stem = example
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    snapshots.join(format!("{stem}.{ACCEPTED}"))
}

/// The pending path beside an accepted one.
pub fn pending_for(accepted: &Path) -> PathBuf {
    let mut name = accepted.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// The example fact files under `dir`, in name order: `*.yaml`, `*.yml`
/// and `*.json`.
pub fn examples(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| named(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| crate::input::facts::Format::of_path(p).is_some() && p.is_file())
        .collect();
    found.sort();
    Ok(found)
}

/// Accepted and pending snapshots under `snapshots` whose example is not
/// among `stems`: their example was removed or renamed.
pub fn orphans(snapshots: &Path, stems: &[String]) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = listed(snapshots)?
        .into_iter()
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = name
                .strip_suffix(&format!(".{PENDING}"))
                .or_else(|| name.strip_suffix(&format!(".{ACCEPTED}")));
            stem.is_some_and(|s| !stems.iter().any(|k| k == s))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// The entries of the snapshots directory; none when there is none yet.
fn listed(snapshots: &Path) -> std::io::Result<Vec<PathBuf>> {
    match std::fs::read_dir(snapshots) {
        Ok(entries) => Ok(entries.filter_map(Result::ok).map(|e| e.path()).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(named(snapshots, e)),
    }
}

/// An I/O error that names the path it is about (the system's own names
/// none: "Is a directory (os error 21)"), with a plainer word for text that
/// is not UTF-8.
pub(crate) fn named(path: &Path, e: std::io::Error) -> std::io::Error {
    let what = match e.kind() {
        std::io::ErrorKind::InvalidData => "not UTF-8 text".to_owned(),
        _ => e.to_string(),
    };
    std::io::Error::new(e.kind(), format!("{}: {what}", path.display()))
}

/// A result waiting for review: `snapshots/NAME.snap.new`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pending {
    /// The example's file name without its extension.
    pub name: String,
    /// The example it records, when it is still there.
    pub example: Option<PathBuf>,
    /// What it changes against the accepted snapshot, as [`changes`] says
    /// it; `None` when nothing was accepted yet.
    pub changes: Option<String>,
}

/// The results waiting for review under `snapshots`, in name order, with
/// what each changes: what the language server and the studio show until
/// `credo snapshot --review` accepts or rejects them. `examples` are the
/// example files, to name each one's example.
pub fn pending(snapshots: &Path, examples: &[PathBuf]) -> std::io::Result<Vec<Pending>> {
    let mut names: Vec<String> = listed(snapshots)?
        .iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            name.strip_suffix(&format!(".{PENDING}")).map(str::to_owned)
        })
        .collect();
    names.sort();
    let mut found = Vec::with_capacity(names.len());
    for name in names {
        let accepted = snapshots.join(format!("{name}.{ACCEPTED}"));
        let new = match std::fs::read_to_string(pending_for(&accepted)) {
            Ok(text) => text,
            // Accepted or rejected since the directory was listed.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let changes = match std::fs::read_to_string(&accepted) {
            Ok(old) => Some(changes(&old, &new)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let example = examples
            .iter()
            .find(|x| {
                x.file_stem()
                    .is_some_and(|s| s.to_string_lossy() == name.as_str())
            })
            .cloned();
        found.push(Pending {
            name,
            example,
            changes,
        });
    }
    Ok(found)
}

/// Writes `text` to `path` through the one atomic writer, so that a reader
/// sees the old snapshot or the new one, never half of one.
pub fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    crate::base::io::write_atomically(path, text.as_bytes(), None)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// Removes a file that may not be there.
pub fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

mod run;

pub use run::{Entry, Mode, Report, State, as_cases, collect, review, settle};
