//! `credo fmt`: the canonical layout of policy files, written atomically;
//! `credo fmt -` formats stdin to stdout, for editors.

use std::path::{Path, PathBuf};

use credo::base::io::{self, ReadError};
use credo::lang::diagnostics;

use crate::args::{LimitArgs, PolicyArgs};
use crate::output::{Exit, counted, emit};

pub const AFTER_HELP: &str = "\
Examples:
  credo fmt                       every policy file in ./policies
  credo fmt --check               print what would change, exit 1 if anything would
  credo fmt - < a.credo           format stdin to stdout

A file is replaced atomically (a temporary file beside it, renamed over it),
keeping its owner and mode; a read-only file, or one with other hard links, is
refused and left as it is.

Exit codes: 0 formatted; 1 a file does not parse or cannot be written, or with
--check would change; 2 a path cannot be read.";

#[derive(clap::Args)]
pub struct Args {
    /// Change nothing: print a diff of each file that would change, and exit 1 if any would.
    #[arg(long)]
    check: bool,
    /// The policy directory, when no paths are given.
    #[command(flatten)]
    policies: PolicyArgs,
    /// Policy files, or directories whose `*.credo` files to format; `-` for stdin.
    paths: Vec<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Formats each policy file; a file that does not parse is reported and
/// left as it is. `policies_given`: `--policies` was on the command line.
pub fn run(args: Args, policies_given: bool) -> Result<(), Exit> {
    if policies_given && !args.paths.is_empty() {
        say!(
            "error: the argument '--policies <POLICIES>' cannot be used with '[PATHS]...'\n  help: name the policy directory, or the files"
        );
        return Err(Exit(2));
    }
    let limit = args.limits.limits().max_policy_bytes;
    if args.paths.iter().any(|p| p == Path::new("-")) {
        if args.paths.len() > 1 {
            say!("error: `-` (stdin) is formatted alone");
            return Err(Exit(2));
        }
        return stdin(limit, args.check);
    }
    let paths = if args.paths.is_empty() {
        vec![args.policies.policies]
    } else {
        args.paths
    };
    let files = credo::lang::fmt::policy_files(&paths).map_err(|e| {
        say!("error: cannot read {e}");
        Exit(2)
    })?;
    crate::signals::stop_on_signals();
    let (mut changed, mut broken) = (0, 0);
    for path in &files {
        let name = path.display().to_string();
        let text = match read(path, limit) {
            Ok(text) => text,
            Err(reason) => {
                report(&name, &reason);
                broken += 1;
                continue;
            }
        };
        let Some(formatted) = format(&name, &text) else {
            broken += 1;
            continue;
        };
        if formatted == text {
            continue;
        }
        if args.check {
            changed += 1;
            emit(&credo::lang::fmt::diff(&name, &text, &formatted))?;
            continue;
        }
        let written = io::write_atomically(
            path,
            formatted.as_bytes(),
            crate::signals::disk_full_after(),
        );
        match written {
            // Only a file written counts as reformatted.
            Ok(()) => changed += 1,
            Err(e) => {
                say!("error: cannot write {e}");
                broken += 1;
            }
        }
    }
    let verb = if args.check {
        "would reformat"
    } else {
        "reformatted"
    };
    let noun = if files.len() == 1 { "file" } else { "files" };
    let mut summary = format!("{verb} {changed} of {} {noun}", files.len());
    if broken > 0 {
        summary.push_str(&format!(", {broken} not formatted (errors above)"));
    }
    say!("{summary}");
    if broken > 0 || (args.check && changed > 0) {
        Err(Exit(1))
    } else {
        Ok(())
    }
}

/// `credo fmt -`: stdin formatted to stdout (with `--check`, the diff).
fn stdin(limit: usize, check: bool) -> Result<(), Exit> {
    let name = "<stdin>";
    let text = read(Path::new("-"), limit).map_err(|reason| {
        report(name, &reason);
        Exit(1)
    })?;
    let formatted = format(name, &text).ok_or(Exit(1))?;
    if !check {
        return emit(&formatted);
    }
    if formatted != text {
        emit(&credo::lang::fmt::diff(name, &text, &formatted))?;
        say!("would reformat {}", counted(1u64, "file"));
        return Err(Exit(1));
    }
    Ok(())
}

/// A policy file's text through the bounded reader, or why not.
fn read(path: &Path, limit: usize) -> Result<String, String> {
    let bytes = io::read_path(path, limit).map_err(|e| match e {
        ReadError::Io(e) => e.to_string(),
        other => other.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_owned())
}

/// The formatted text, or `None` after printing why it does not parse.
fn format(name: &str, text: &str) -> Option<String> {
    let mut sources = credo::Sources::default();
    let file = sources.add(credo::Source::new(name, text));
    match credo::lang::fmt::format(file, text) {
        Ok(formatted) => Some(formatted),
        Err(problems) => {
            crate::output::tell(&diagnostics::render(
                &sources,
                &problems,
                crate::colour::stderr(),
            ));
            None
        }
    }
}

/// An unreadable file, as a diagnostic.
fn report(name: &str, reason: &str) {
    let mut sources = credo::Sources::default();
    let file = sources.add(credo::Source::new(name, ""));
    let problem = credo::Diagnostic::error(
        diagnostics::codes::UNREADABLE,
        credo::base::source::Span::new(file, 0, 0),
        format!("cannot read `{name}`: {reason}"),
    );
    crate::output::tell(&diagnostics::render(
        &sources,
        &[problem],
        crate::colour::stderr(),
    ));
}
