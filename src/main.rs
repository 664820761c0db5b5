//! The `credo` command: parses arguments, calls the library, prints.
//!
//! Exit codes: 0 evaluated (or checked clean), 1 the policies have errors,
//! 2 bad invocation or bad facts. Errors go to stderr; when anything is
//! wrong, nothing is written to stdout.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use credo::eval::Request;
use credo::facts;
use credo::outcome::AsOfSource;
use credo::{Checked, Limits, Program, diagnostics, render};

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
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Check a policy set and report every problem.
    Check {
        #[arg(long, default_value = "policies")]
        policies: PathBuf,
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
        format: DiagnosticFormat,
        #[command(flatten)]
        limits: LimitArgs,
    },
}

/// The sizes credo accepts; see `credo::Limits` and the README's "Limits".
#[derive(clap::Args)]
struct LimitArgs {
    /// Largest fact document, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_fact_bytes)]
    max_fact_bytes: usize,
    /// Largest policy file, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_policy_bytes)]
    max_policy_bytes: usize,
    /// Most `.credo` files in the policy directory.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_policy_files)]
    max_policy_files: usize,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_fact_bytes: self.max_fact_bytes,
            max_policy_bytes: self.max_policy_bytes,
            max_policy_files: self.max_policy_files,
        }
    }
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
            limits,
        } => eval(
            &policies,
            format,
            as_of,
            &decisions,
            &facts,
            &limits.limits(),
        ),
        Command::Check {
            policies,
            format,
            limits,
        } => check(&policies, format, &limits.limits()),
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
fn load(
    dir: &Path,
    format: DiagnosticFormat,
    limits: &Limits,
) -> Result<(Checked, Option<Program>), Exit> {
    let mut checked = credo::load_dir_with(dir, limits).map_err(|e| {
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

fn check(dir: &Path, format: DiagnosticFormat, limits: &Limits) -> Result<(), Exit> {
    let (checked, program) = load(dir, format, limits)?;
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
    limits: &Limits,
) -> Result<(), Exit> {
    let (checked, program) = load(dir, DiagnosticFormat::Text, limits)?;
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
    let (text, format_of_facts) = facts::read(path, limits).map_err(|problem| {
        eprintln!("{}", problem.render(&name));
        Exit(2)
    })?;
    let loaded = facts::load_text_with(&program.schema, &text, format_of_facts, limits).map_err(
        |problems| {
            for p in &problems {
                eprintln!("{}", p.render(&name));
            }
            Exit(2)
        },
    )?;
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
