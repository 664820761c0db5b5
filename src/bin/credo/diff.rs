//! `credo diff`: a corpus of accounts under two policy sets, and what changes.

use std::path::PathBuf;

use credo::base::io::{self, ReadError};
use credo::base::limits::bytes;

use crate::args::{AsOfArgs, DiagnosticFormat, LimitArgs, parse_limit};
use crate::output::{Exit, emit};
use crate::session::Session;

pub const AFTER_HELP: &str = "\
Examples:
  credo diff --old policies --new policies-next corpus.jsonl
  credo diff --old a --new b --as-of 2026-12-01 --format json corpus.jsonl

--as-of dates every account, whatever its own as_of says; without it an
account's own as_of is used, else today. The summary names the date used.

Exit codes: 0 compared; 1 a policy set has errors; 2 the corpus cannot be read.";

#[derive(clap::Args)]
pub struct Args {
    /// The policy directory before the change.
    #[arg(long)]
    old: PathBuf,
    /// The policy directory after the change.
    #[arg(long)]
    new: PathBuf,
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
    let mut programs = Vec::new();
    for dir in [&args.old, &args.new] {
        let refusal = format!(
            "the policies in `{}` have errors; nothing was compared",
            dir.display()
        );
        programs.push(Session::open(dir, &limits, DiagnosticFormat::Text, &refusal)?.set);
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
        say!("{}", problem.render(&name));
        Exit(2)
    })?;
    let overrides = args.as_of.as_of.is_some();
    let date = args
        .as_of
        .as_of
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let result =
        credo::tools::diff::diff_dated(old.program(), new.program(), &text, &name, date, overrides)
            .map_err(|problems| {
                for p in problems {
                    say!("{}", p.message);
                }
                Exit(2)
            })?;
    for w in &result.warnings {
        match w.strip_prefix("warning: ") {
            Some(problem) if args.strict => {
                say!(
                    "error: {}",
                    problem.replace(": unknown field, ignored", ": unknown field")
                );
            }
            _ => say!("{w}"),
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
            &args.old.display().to_string(),
            &args.new.display().to_string(),
        ),
        DiagnosticFormat::Json => credo::tools::diff::json(&result),
    };
    emit(&out)
}
