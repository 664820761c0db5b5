//! `credo diff`: a corpus of accounts under two policy sets, and what changes.

use std::path::PathBuf;

use credo::base::io::{self, ReadError};
use credo::base::limits::bytes;
use credo::input::facts::Format;
use credo::input::report::{self, Document};

use crate::args::{AsOfArgs, DiagnosticFormat, LimitArgs, parse_limit};
use crate::output::{Exit, emit};
use crate::session::Session;

pub const AFTER_HELP: &str = "\
Examples:
  credo diff --old policies --new policies-next corpus.jsonl
  credo diff --old a --new b --as-of 2026-12-01 --format json corpus.jsonl
  credo diff --at 2026-12-31 --at 2027-01-01 corpus.jsonl

--at D1 --at D2 compares one policy set (--policies) with itself on two
dates: what changes between them, as the versions in force change.

--as-of dates every account, whatever its own as_of says; without it an
account's own as_of is used, else today. The summary names the date used.

Exit codes: 0 compared; 1 a policy set has errors; 2 the corpus cannot be read.";

#[derive(clap::Args)]
pub struct Args {
    /// The policy directory before the change.
    #[arg(long, required_unless_present = "at")]
    old: Option<PathBuf>,
    /// The policy directory after the change.
    #[arg(long, required_unless_present = "at")]
    new: Option<PathBuf>,
    /// Two dates (`--at D1 --at D2`): one policy set on each, instead of two sets.
    #[arg(long, value_parser = crate::args::parse_date, num_args = 1, action = clap::ArgAction::Append,
          conflicts_with_all = ["old", "new", "as_of"])]
    at: Vec<chrono::NaiveDate>,
    /// The policy directory, with `--at`.
    #[arg(long, env = "CREDO_POLICIES", default_value = "policies")]
    policies: PathBuf,
    #[command(flatten)]
    as_of: AsOfArgs,
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    format: DiagnosticFormat,
    /// Unknown fact fields and sections are errors, not warnings.
    #[arg(long)]
    strict: bool,
    /// One JSON fact document per line; `-` for stdin.
    corpus: PathBuf,
    /// Largest corpus, in bytes (each line is one fact document, at most --max-fact-bytes).
    #[arg(long, value_name = "BYTES", value_parser = parse_limit, default_value_t = 256 << 20)]
    max_corpus_bytes: usize,
    #[command(flatten)]
    limits: LimitArgs,
}

pub fn run(args: Args) -> Result<(), Exit> {
    let limits = args.limits.limits();
    let dates = match args.at.as_slice() {
        [] => None,
        [before, after] => Some((*before, *after)),
        _ => {
            say!(
                "error: `--at` is given twice, once for each date: `--at 2026-12-31 --at 2027-01-01`"
            );
            return Err(Exit(2));
        }
    };
    let dirs = match (&args.old, &args.new, dates) {
        (_, _, Some(_)) => [args.policies.clone(), args.policies.clone()],
        (Some(old), Some(new), None) => [old.clone(), new.clone()],
        _ => {
            say!(
                "error: compare two policy sets (`--old A --new B`) or two dates (`--at D1 --at D2`)"
            );
            return Err(Exit(2));
        }
    };
    let mut programs = Vec::new();
    let sets = if dates.is_some() {
        &dirs[..1]
    } else {
        &dirs[..]
    };
    for dir in sets {
        let refusal = format!(
            "the policies in `{}` have errors; nothing was compared",
            dir.display()
        );
        programs.push(Session::open(dir, &limits, DiagnosticFormat::Text, &refusal)?.set);
    }
    if programs.len() == 1 {
        programs.extend(programs.first().cloned());
    }
    let [old, new] = <[_; 2]>::try_from(programs).map_err(|_| Exit(1))?;
    let name = if args.corpus.as_os_str() == "-" {
        "<stdin>".to_owned()
    } else {
        args.corpus.display().to_string()
    };
    let read = io::read_lines(&args.corpus, limits.max_fact_bytes, args.max_corpus_bytes);
    let corpus = read.map_err(|e| {
        match e {
            ReadError::TooLarge { limit } => say!(
                "error: {name}: the corpus is larger than the limit of {}\n  help: raise it with `--max-corpus-bytes`",
                bytes(limit)
            ),
            ReadError::LineTooLong { line, limit } => say!(
                "error: {name}:{line}: the fact document is larger than the limit of {}\n  help: one line holds one account's facts; raise the limit with `--max-fact-bytes`",
                bytes(limit)
            ),
            ReadError::Io(e) => say!("error: {name}: cannot read: {e}"),
        }
        Exit(2)
    })?;
    let text = credo::tools::diff::corpus_text(corpus).map_err(|problem| {
        // Not text: nothing to quote; the problem names the line and column.
        let document = Document::new(&name, "", Format::Json);
        crate::output::tell(&report::render(
            &document,
            &[problem],
            crate::colour::stderr(),
        ));
        Exit(2)
    })?;
    let overrides = args.as_of.as_of.is_some();
    let date = args
        .as_of
        .as_of
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let result = match dates {
        Some((before, after)) => {
            credo::tools::diff::diff_at(old.program(), &text, &name, before, after)
        }
        None => credo::tools::diff::diff_dated(
            old.program(),
            new.program(),
            &text,
            &name,
            date,
            overrides,
        ),
    };
    let result = result.map_err(|problems| {
        match args.format {
            DiagnosticFormat::Text => {
                for p in &problems {
                    crate::output::tell(&p.message);
                }
            }
            DiagnosticFormat::Json => {
                let json: Vec<_> = problems.iter().map(|p| &p.diagnostic).collect();
                say!(
                    "{}",
                    serde_json::to_string_pretty(&json).unwrap_or_default()
                );
            }
        }
        Exit(2)
    })?;
    for w in &result.warnings {
        match w.strip_prefix("warning[") {
            Some(problem) if args.strict => crate::output::tell(&format!(
                "error[{}",
                problem.replacen(": unknown field, ignored", ": unknown field", 1)
            )),
            _ => crate::output::tell(w),
        }
    }
    if args.strict && !result.warnings.is_empty() {
        say!("error: with --strict, a fact the schema does not know is an error");
        return Err(Exit(2));
    }
    let out = match args.format {
        DiagnosticFormat::Text => credo::tools::diff::render(
            &result,
            &name,
            &dirs[0].display().to_string(),
            &dirs[1].display().to_string(),
        ),
        DiagnosticFormat::Json => credo::tools::diff::json(&result),
    };
    emit(&out)
}
