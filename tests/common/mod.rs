//! Helpers shared by the snapshot tests.
#![allow(dead_code, reason = "each test binary uses a part")]

use std::fmt::Write as _;
use std::path::Path;

use credo::Checked;
use credo::engine::outcome::Evaluation;

/// Checks the given policy files as one set, named relative to the crate root.
pub fn check_files(paths: &[&Path]) -> Checked {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let relative: Vec<_> = paths
        .iter()
        .map(|p| p.strip_prefix(root).unwrap_or(p).to_path_buf())
        .collect();
    credo::load_files(&relative)
}

/// A compact listing of an evaluation: outcome, then missing facts and reasons.
pub fn compact(evaluation: &Evaluation) -> String {
    let mut out = format!("as_of {}\n", evaluation.as_of);
    for d in &evaluation.decisions {
        let _ = writeln!(out, "{} = {}", d.id, d.outcome.as_text());
        if let Some(v) = &d.version {
            let gap = if v.gap { "gap " } else { "" };
            let _ = writeln!(out, "  version {gap}{} @ {}", v.effective, v.at);
        }
        if !d.missing.is_empty() {
            let _ = writeln!(out, "  missing {}", d.missing.join(", "));
        }
        for r in &d.reasons {
            let _ = writeln!(out, "  {} @ {}: {}", r.rule, r.at, r.message);
        }
        for n in &d.notes {
            let _ = writeln!(out, "  note: {n}");
        }
    }
    out
}

/// What a run of the real binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs the real `credo` binary in `dir`, without colour, feeding `stdin`
/// from a thread so that a large input cannot deadlock against a full
/// output pipe. A broken pipe is fine: credo may stop reading at a limit.
pub fn credo_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    credo_in_with_env(dir, args, &[], stdin)
}

/// [`credo`] with these environment variables set.
pub fn credo_with_env(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    credo_in_with_env(Path::new(env!("CARGO_MANIFEST_DIR")), args, env, stdin)
}

/// [`credo_in`] with these environment variables set. `CREDO_POLICIES`
/// is cleared unless given, so that a developer's own does not leak in.
pub fn credo_in_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_credo"))
        .args(args)
        .current_dir(dir)
        .env_remove("CREDO_POLICIES")
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("credo runs");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("credo finishes");
    feeder.join().expect("the stdin feeder finishes");
    Run {
        code: output.status.code().expect("an exit code, not a signal"),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// [`credo_in`] at the crate root.
pub fn credo(args: &[&str], stdin: &[u8]) -> Run {
    credo_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, stdin)
}

/// The shipped policy set, which must check without a single diagnostic.
pub fn shipped() -> credo::Program {
    let checked = credo::load_dir(Path::new("policies")).expect("policies/ is readable");
    assert!(
        checked.diagnostics.is_empty(),
        "the shipped policies have diagnostics:\n{}",
        credo::lang::diagnostics::render(&checked.sources, &checked.diagnostics, false)
    );
    checked.program.expect("the shipped policies compile")
}

/// Every example fact file under `policies/examples/`, loaded against `program`.
pub fn examples(
    program: &credo::Program,
) -> Vec<(std::path::PathBuf, credo::input::facts::Loaded)> {
    let mut paths: Vec<_> = std::fs::read_dir("policies/examples")
        .expect("policies/examples is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| credo::input::facts::Format::of_path(p).is_some())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("example is readable");
            let format = credo::input::facts::Format::of_path(&path).expect("YAML or JSON");
            let loaded = credo::input::facts::load_text(&program.schema, &text, format)
                .unwrap_or_else(|p| panic!("{}: facts do not load: {p:?}", path.display()));
            (path, loaded)
        })
        .collect()
}

/// Output as text with every policy hash shown as `sha256:[hash]`: the
/// hash changes with every edit of the policies, which these snapshots are
/// not about. `tests/policy_hash.rs` checks the hash itself.
pub fn redacted(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut rest = &*text;
    while let Some(at) = rest.find("sha256:") {
        let (before, after) = rest.split_at(at + "sha256:".len());
        out.push_str(before);
        let digits = after.len()
            - after
                .trim_start_matches(|c: char| c.is_ascii_hexdigit())
                .len();
        if digits >= 12 {
            out.push_str("[hash]");
        } else {
            out.push_str(&after[..digits]);
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}
