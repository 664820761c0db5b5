//! The `credo` command: parses arguments, calls the library, prints.
//!
//! Exit codes: 0 evaluated (or checked clean), 1 the policies have errors,
//! 2 bad invocation or bad facts. Errors go to stderr; when anything is
//! wrong, nothing is written to stdout.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use credo::eval::Request;
use credo::facts::{self, Format};
use credo::outcome::AsOfSource;
use credo::{Checked, Program, diagnostics, render};

#[derive(Parser)]
#[command(
    name = "credo",
    version,
    about = "Ad-credit policies as data: check them, evaluate them, explain every answer"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate the policies against one account's facts.
    Eval {
        /// The policy directory.
        #[arg(long, default_value = "policies")]
        policies: PathBuf,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// The evaluation date (YYYY-MM-DD); else the facts' `as_of`; else today.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        /// Evaluate only this decision (repeatable).
        #[arg(long = "decision", value_name = "ID")]
        decisions: Vec<String>,
        /// A `.yaml`, `.yml` or `.json` fact file, or `-` for stdin.
        facts: PathBuf,
    },
    /// Evaluate many accounts: JSON Lines in (one fact document a line), one
    /// JSON result a line out, in input order, on every core.
    Batch {
        /// The policy directory.
        #[arg(long, default_value = "policies")]
        policies: PathBuf,
        /// Where to write the results; stdout when not given.
        #[arg(short, long, value_name = "OUTPUT")]
        output: Option<PathBuf>,
        /// Worker threads; every core when not given.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: Option<u16>,
        /// The evaluation date (YYYY-MM-DD); else each line's `as_of`; else today.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        /// A JSON Lines file, or `-` for stdin.
        input: PathBuf,
    },
    /// Check a policy set and report every problem.
    Check {
        #[arg(long, default_value = "policies")]
        policies: PathBuf,
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
        format: DiagnosticFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Yaml,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiagnosticFormat {
    Text,
    Json,
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date; write YYYY-MM-DD"))
}

/// A failure already reported on stderr, with its exit code.
struct Exit(u8);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Eval {
            policies,
            format,
            as_of,
            decisions,
            facts,
        } => eval(&policies, format, as_of, &decisions, &facts),
        Command::Batch {
            policies,
            output,
            jobs,
            as_of,
            input,
        } => batch(&policies, output.as_deref(), jobs, as_of, &input),
        Command::Check { policies, format } => check(&policies, format),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Exit(code)) => ExitCode::from(code),
    }
}

fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// Loads and checks the policy set, printing its diagnostics to stderr.
fn load(dir: &Path, format: DiagnosticFormat) -> Result<(Checked, Option<Program>), Exit> {
    let mut checked = credo::load_dir(dir).map_err(|e| {
        eprintln!(
            "error: cannot read the policy directory `{}`: {e}",
            dir.display()
        );
        Exit(2)
    })?;
    if !checked.diagnostics.is_empty() {
        match format {
            DiagnosticFormat::Text => eprint!(
                "{}",
                diagnostics::render(&checked.sources, &checked.diagnostics, color())
            ),
            DiagnosticFormat::Json => {
                let json = diagnostics::to_json(&checked.sources, &checked.diagnostics);
                eprintln!(
                    "{}",
                    serde_json::to_string_pretty(&json).unwrap_or_default()
                );
            }
        }
    }
    let program = checked.program.take();
    Ok((checked, program))
}

fn check(dir: &Path, format: DiagnosticFormat) -> Result<(), Exit> {
    let (checked, program) = load(dir, format)?;
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = checked.diagnostics.len() - errors;
    match program {
        Some(program) if errors == 0 => {
            eprintln!(
                "checked {} files: {} decisions, {} warnings",
                checked.sources.iter().count(),
                program.decisions.len(),
                warnings
            );
            Ok(())
        }
        _ => {
            eprintln!("error: {errors} errors, {warnings} warnings");
            Err(Exit(1))
        }
    }
}

fn eval(
    dir: &Path,
    format: OutputFormat,
    as_of: Option<NaiveDate>,
    decisions: &[String],
    path: &Path,
) -> Result<(), Exit> {
    let (checked, program) = load(dir, DiagnosticFormat::Text)?;
    let Some(program) = program.filter(|_| !checked.has_errors()) else {
        eprintln!("error: the policies have errors; nothing was evaluated");
        return Err(Exit(1));
    };
    for id in decisions {
        if program.decision(id).is_none() {
            let ids: Vec<&str> = program.decisions.iter().map(|d| d.id.as_str()).collect();
            match credo::suggest::closest(id, ids.iter().copied()) {
                Some(near) => {
                    eprintln!("error: no decision `{id}`\n  help: did you mean `{near}`?")
                }
                None => eprintln!(
                    "error: no decision `{id}`; the decisions are {}",
                    ids.join(", ")
                ),
            }
            return Err(Exit(2));
        }
    }
    let name = if path == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    let (text, format_of_facts) = read_facts(path).map_err(|message| {
        eprintln!("error: {name}: {message}");
        Exit(2)
    })?;
    let loaded = facts::load_text(&program.schema, &text, format_of_facts).map_err(|problems| {
        for p in &problems {
            eprintln!("{}", p.render(&name));
        }
        Exit(2)
    })?;
    for w in &loaded.warnings {
        eprintln!("{}", w.render(&name));
    }
    let (as_of, as_of_source) = match (as_of, loaded.facts.as_of(&program.schema)) {
        (Some(d), _) => (d, AsOfSource::Option),
        (None, Some(d)) => (d, AsOfSource::Facts),
        (None, None) => (chrono::Utc::now().date_naive(), AsOfSource::Today),
    };
    let request = Request {
        as_of,
        as_of_source,
        decisions,
    };
    let evaluation = program.evaluate(&loaded.facts, &request).map_err(|e| {
        eprintln!("error: {name}: {e}");
        Exit(2)
    })?;
    let out = match format {
        OutputFormat::Text => render::text(&evaluation),
        OutputFormat::Json => render::json(&evaluation),
        OutputFormat::Yaml => render::yaml(&evaluation),
    };
    print!("{out}");
    Ok(())
}

fn batch(
    dir: &Path,
    output: Option<&Path>,
    jobs: Option<u16>,
    as_of: Option<NaiveDate>,
    input: &Path,
) -> Result<(), Exit> {
    let (checked, program) = load(dir, DiagnosticFormat::Text)?;
    let Some(program) = program.filter(|_| !checked.has_errors()) else {
        eprintln!("error: the policies have errors; nothing was evaluated");
        return Err(Exit(1));
    };
    let stdin = input == Path::new("-");
    let (reader, size): (Box<dyn std::io::BufRead>, Option<u64>) = if stdin {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let file = std::fs::File::open(input).map_err(|e| {
            eprintln!("error: {}: cannot read: {e}", input.display());
            Exit(2)
        })?;
        let size = file.metadata().ok().map(|m| m.len());
        (
            Box::new(std::io::BufReader::with_capacity(1 << 20, file)),
            size,
        )
    };
    let sink: Box<dyn Write + Send> = match output {
        Some(path) => Box::new(std::fs::File::create(path).map_err(|e| {
            eprintln!("error: {}: cannot write: {e}", path.display());
            Exit(2)
        })?),
        None => Box::new(std::io::stdout()),
    };
    let mut sink = std::io::BufWriter::with_capacity(1 << 20, sink);
    let options = credo::batch::Options {
        jobs: jobs.map_or_else(
            || std::thread::available_parallelism().map_or(1, usize::from),
            usize::from,
        ),
        as_of,
        today: chrono::Utc::now().date_naive(),
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = match size {
            Some(bytes) => indicatif::ProgressBar::new(bytes).with_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {percent:>3}% {msg} ({elapsed}, {eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            ),
            None => indicatif::ProgressBar::new_spinner(),
        };
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(10));
        bar
    });
    let progress = |s: &credo::batch::Summary| {
        if let Some(bar) = &bar {
            bar.set_position(s.bytes);
            bar.set_message(format!("{} lines", s.read));
        }
    };
    let result = credo::batch::run(&program, reader, &mut sink, options, &progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let summary = result.map_err(|e| {
        eprintln!("error: {e}");
        Exit(2)
    })?;
    eprintln!(
        "{} lines read: {} evaluated, {} failed, {} blank",
        summary.read, summary.evaluated, summary.failed, summary.blank
    );
    if summary.failed > 0 {
        return Err(Exit(1));
    }
    Ok(())
}

/// The fact text and its format: by extension, or by content for stdin.
fn read_facts(path: &Path) -> Result<(String, Format), String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        let format = if text.trim_start().starts_with(['{', '[']) {
            Format::Json
        } else {
            Format::Yaml
        };
        return Ok((text, format));
    }
    let format =
        Format::of_path(path).ok_or("facts must be a .yaml, .yml or .json file, or - for stdin")?;
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok((text, format))
}
