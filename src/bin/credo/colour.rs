//! `--color`: whether stdout and stderr are coloured, and the colouring of
//! `eval`, `test` and `verify` text. The library renders plain text; colour
//! is laid on here, line by line, so that it never reaches a file or a pipe
//! unless asked for with `--color always`.

use std::io::IsTerminal;
use std::sync::OnceLock;

use credo::model::ir::words;

use crate::args::Colour;

static CHOICE: OnceLock<Colour> = OnceLock::new();

pub fn choose(choice: Colour) {
    let _ = CHOICE.set(choice);
}

fn on(terminal: bool) -> bool {
    match CHOICE.get().copied().unwrap_or(Colour::Auto) {
        Colour::Always => true,
        Colour::Never => false,
        // https://no-color.org: present and not empty.
        Colour::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && terminal,
    }
}

/// Whether to colour stdout.
pub fn stdout() -> bool {
    on(std::io::stdout().is_terminal())
}

/// Whether to colour stderr (diagnostics).
pub fn stderr() -> bool {
    on(std::io::stderr().is_terminal())
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BLUE: &str = "\x1b[34m";
const DIM: &str = "\x1b[2m";

fn paint(style: &str, text: &str) -> String {
    format!("{style}{text}{RESET}")
}

/// The colour of an outcome: granted green, refused red, unknown yellow.
fn outcome_style(outcome: &str) -> Option<&'static str> {
    match outcome {
        words::ELIGIBLE | words::PERMIT => Some(GREEN),
        words::NOT_ELIGIBLE | words::DENY => Some(RED),
        words::UNDETERMINED => Some(YELLOW),
        words::NOT_APPLICABLE => Some(DIM),
        _ if outcome.ends_with(|c: char| c.is_ascii_uppercase()) => Some(GREEN),
        _ => Some(BOLD),
    }
}

/// `eval` and `explain` text: each `decision: outcome` line coloured.
pub fn evaluation(text: &str) -> String {
    each_line(text, |line| {
        if line.starts_with(' ') || line.starts_with("as of ") {
            return None;
        }
        let (id, outcome) = line.split_once(": ")?;
        let style = outcome_style(outcome)?;
        Some(format!("{}: {}", paint(BOLD, id), paint(style, outcome)))
    })
}

/// `test` text: ok green, FAILED red, expected and actual lines in red and green.
pub fn test_report(text: &str) -> String {
    each_line(text, |line| {
        if let Some(name) = line.strip_suffix(" ... ok") {
            Some(format!("{name} ... {}", paint(GREEN, "ok")))
        } else if let Some(name) = line.strip_suffix(" ... FAILED") {
            Some(format!("{name} ... {}", paint(RED, "FAILED")))
        } else if line.starts_with("-   ") {
            Some(paint(RED, line))
        } else if line.starts_with("+   ") {
            Some(paint(GREEN, line))
        } else if line.ends_with(" failed") && line.contains(" passed, ") {
            let failed = !line.ends_with(", 0 failed");
            Some(paint(if failed { RED } else { GREEN }, line))
        } else {
            None
        }
    })
}

/// `verify` text: errors red, warnings yellow, locations blue.
pub fn verify_report(text: &str) -> String {
    each_line(text, |line| {
        if line.starts_with("error") {
            Some(paint(RED, line))
        } else if line.starts_with("warning") {
            Some(paint(YELLOW, line))
        } else if line.trim_start().starts_with("--> ") {
            Some(paint(BLUE, line))
        } else {
            None
        }
    })
}

fn each_line(text: &str, mut style: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        match style(body) {
            Some(painted) => out.push_str(&painted),
            None => out.push_str(body),
        }
        out.push_str(end);
    }
    out
}
