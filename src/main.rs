//! The `credo` command: parses arguments, calls the library, prints.
//!
//! Exit codes: 0 evaluated (or checked clean), 1 the policies have errors,
//! 2 bad invocation or bad facts. Errors go to stderr; when anything is
//! wrong, nothing is written to stdout.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use credo::engine::eval::Request;
use credo::engine::outcome::AsOfSource;
use credo::input::facts;
use credo::{Checked, Limits, Program, engine::render, lang::diagnostics, tools::policy_tests};

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
    /// Serve the Language Server Protocol on stdin/stdout, for editors.
    #[cfg(feature = "lsp")]
    Lsp {
        /// The policy directory; else the client's `policies` option, else
        /// the workspace's `policies/`, else the workspace root.
        #[arg(long)]
        policies: Option<PathBuf>,
    },
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
    /// Trace decisions: every rule and row, each condition with the facts it read, and why not.
    Explain {
        #[arg(long, default_value = "policies")]
        policies: PathBuf,
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
        format: DiagnosticFormat,
        /// The evaluation date (YYYY-MM-DD); else the facts' `as_of`; else today.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        /// Explain only this decision (repeatable).
        #[arg(long = "decision", value_name = "ID")]
        decisions: Vec<String>,
        /// A `.yaml`, `.yml` or `.json` fact file, or `-` for stdin.
        facts: PathBuf,
    },
    /// Run the policy tests in `POLICIES/tests/*.yaml`.
    Test {
        #[arg(long, default_value = "policies")]
        policies: PathBuf,
        /// List every rule and row with the number of cases that fired it.
        #[arg(long)]
        coverage: bool,
        /// Exit 1 when fewer than this percentage of rules and rows fired.
        #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
        min_coverage: Option<f64>,
        /// Run only the cases whose name (`FILE::CASE`) contains this.
        filter: Option<String>,
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
    /// Give policy files their canonical layout, keeping every comment.
    Fmt {
        /// Change nothing: print a diff of each file that would change, and exit 1 if any would.
        #[arg(long)]
        check: bool,
        /// The policy directory, when no paths are given.
        #[arg(long, default_value = "policies", conflicts_with = "paths")]
        policies: PathBuf,
        /// Policy files, or directories whose `*.credo` files to format.
        paths: Vec<PathBuf>,
    },
    /// The smallest changes to facts the account can change that give an outcome.
    Whatif {
        #[arg(long, default_value = "policies")]
        policies: PathBuf,
        /// The evaluation date (YYYY-MM-DD); else the facts' `as_of`; else today.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        /// The decision to change.
        #[arg(long, value_name = "ID")]
        decision: String,
        /// The outcome wanted (`eligible`, a member, `1500 USD`); for an amount,
        /// leaving it out asks for the next tier.
        #[arg(long, value_name = "OUTCOME")]
        to: Option<String>,
        /// A `.yaml`, `.yml` or `.json` fact file, or `-` for stdin.
        facts: PathBuf,
    },
    /// Evaluate a corpus of accounts under two policy sets and show what changes.
    Diff {
        /// The policy directory before the change.
        #[arg(long)]
        old: PathBuf,
        /// The policy directory after the change.
        #[arg(long)]
        new: PathBuf,
        /// The date for accounts that give no `as_of` (YYYY-MM-DD); else today.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
        format: DiagnosticFormat,
        /// One JSON fact document per line.
        corpus: PathBuf,
    },
    /// Record every decision of every example, and show what an edit changed.
    Snapshot {
        #[arg(long, default_value = "policies")]
        policies: PathBuf,
        /// Write nothing; exit 1 when a result changed (or, with CI=true, has no snapshot).
        #[arg(long, conflicts_with_all = ["accept", "review"])]
        check: bool,
        /// Accept every result as its snapshot.
        #[arg(long, conflicts_with = "review")]
        accept: bool,
        /// Walk through the changes one at a time: accept, reject, skip or explain.
        #[arg(long)]
        review: bool,
        /// Remove the snapshots of examples that no longer exist.
        #[arg(long)]
        prune: bool,
        /// Example fact files; every one under `POLICIES/examples/` when none are given.
        paths: Vec<PathBuf>,
    },
    /// List the diagnostic codes, or explain one with an example (`credo codes E0101`).
    Codes {
        /// The code to explain, such as `E0101`.
        code: Option<String>,
    },
    /// Decide every decision and assertion over all fact combinations.
    Verify {
        #[arg(long, default_value = "policies")]
        policies: PathBuf,
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
        format: DiagnosticFormat,
    },
    /// Serve decisions over HTTP, reloading the policies when they change.
    #[cfg(feature = "serve")]
    Serve(credo::tools::serve::ServeArgs),
    /// Evaluate every decision in a `credo serve` decision log again and report differences.
    #[cfg(feature = "serve")]
    Replay(credo::tools::serve::replay::ReplayArgs),
    /// Serve a page where policy authors edit rules and watch outcomes change (loopback only).
    #[cfg(feature = "studio")]
    Studio(credo::tools::studio::StudioArgs),
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
    credo::input::facts::parse_date(text)
        .ok_or(())
        .map_err(|_| format!("`{text}` is not a date; write YYYY-MM-DD"))
}

fn parse_percent(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}

/// A failure already reported on stderr, with its exit code.
struct Exit(u8);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        #[cfg(feature = "lsp")]
        Command::Lsp { policies } => match credo::tools::lsp::run(policies) {
            Ok(0) => Ok(()),
            Ok(_) => Err(Exit(1)),
            Err(e) => {
                eprintln!("error: credo lsp: {e}");
                Err(Exit(2))
            }
        },
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
        Command::Batch {
            policies,
            output,
            jobs,
            as_of,
            input,
        } => batch(&policies, output.as_deref(), jobs, as_of, &input),
        Command::Explain {
            policies,
            format,
            as_of,
            decisions,
            facts,
        } => explain(&policies, format, as_of, &decisions, &facts),
        Command::Test {
            policies,
            coverage,
            min_coverage,
            filter,
        } => test(&policies, coverage, min_coverage, filter.as_deref()),
        Command::Check {
            policies,
            format,
            limits,
        } => check(&policies, format, &limits.limits()),
        Command::Verify { policies, format } => verify(&policies, format),
        Command::Codes { code } => codes(code.as_deref()),
        Command::Snapshot {
            policies,
            check,
            accept,
            review,
            prune,
            paths,
        } => snapshot(&policies, check, accept, review, prune, &paths),
        Command::Diff {
            old,
            new,
            as_of,
            format,
            corpus,
        } => diff(&old, &new, as_of, format, &corpus),
        Command::Whatif {
            policies,
            as_of,
            decision,
            to,
            facts,
        } => whatif(&policies, as_of, &decision, to.as_deref(), &facts),
        Command::Fmt {
            check,
            policies,
            mut paths,
        } => {
            if paths.is_empty() {
                paths.push(policies);
            }
            fmt(&paths, check)
        }
        #[cfg(feature = "serve")]
        Command::Serve(args) => match credo::tools::serve::run(args) {
            0 => Ok(()),
            code => Err(Exit(code)),
        },
        #[cfg(feature = "serve")]
        Command::Replay(args) => match credo::tools::serve::replay::run(args) {
            0 => Ok(()),
            code => Err(Exit(code)),
        },
        #[cfg(feature = "studio")]
        Command::Studio(args) => match credo::tools::studio::run(args) {
            0 => Ok(()),
            code => Err(Exit(code)),
        },
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
    load_with(dir, format, &Limits::default())
}

/// [`load`] within explicit limits.
fn load_with(
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
    let (checked, program) = load_with(dir, format, limits)?;
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

/// Formats each policy file; a file that does not parse is reported and left as it is.
fn fmt(paths: &[PathBuf], check_only: bool) -> Result<(), Exit> {
    let files = credo::lang::fmt::policy_files(paths).map_err(|e| {
        eprintln!("error: cannot read {e}");
        Exit(2)
    })?;
    let (mut changed, mut broken) = (0, 0);
    for path in &files {
        let name = path.display().to_string();
        let mut sources = credo::Sources::default();
        let (text, result) = match std::fs::read(path).map(String::from_utf8) {
            Ok(Ok(text)) => {
                let file = sources.add(credo::Source::new(name.clone(), text.clone()));
                let result = credo::lang::fmt::format(file, &text);
                (text, result)
            }
            failure => {
                let reason = match failure {
                    Err(e) => e.to_string(),
                    Ok(_) => "it is not UTF-8 text".to_owned(),
                };
                let file = sources.add(credo::Source::new(name.clone(), ""));
                let problem = credo::Diagnostic::error(
                    diagnostics::codes::UNREADABLE,
                    credo::base::source::Span::new(file, 0, 0),
                    format!("cannot read `{name}`: {reason}"),
                );
                (String::new(), Err(vec![problem]))
            }
        };
        let formatted = match result {
            Ok(formatted) => formatted,
            Err(problems) => {
                eprint!("{}", diagnostics::render(&sources, &problems, color()));
                broken += 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        changed += 1;
        if check_only {
            print!("{}", credo::lang::fmt::diff(&name, &text, &formatted));
        } else if let Err(e) = credo::lang::fmt::write_atomically(path, &formatted) {
            eprintln!("error: cannot write `{name}`: {e}");
            broken += 1;
        }
    }
    let verb = if check_only {
        "would reformat"
    } else {
        "reformatted"
    };
    let noun = if files.len() == 1 { "file" } else { "files" };
    let mut summary = format!("{verb} {changed} of {} {noun}", files.len());
    if broken > 0 {
        summary.push_str(&format!(", {broken} not formatted (errors above)"));
    }
    eprintln!("{summary}");
    if broken > 0 || (check_only && changed > 0) {
        Err(Exit(1))
    } else {
        Ok(())
    }
}

fn snapshot(
    dir: &Path,
    check: bool,
    accept: bool,
    review: bool,
    prune: bool,
    paths: &[PathBuf],
) -> Result<(), Exit> {
    use credo::tools::snapshot::{self, Mode};
    let (checked, program) = load(dir, DiagnosticFormat::Text)?;
    let Some(program) = program.filter(|_| !checked.has_errors()) else {
        eprintln!("error: the policies have errors; no snapshot was taken");
        return Err(Exit(1));
    };
    let io_error = |e: std::io::Error| {
        eprintln!("error: {e}");
        Exit(2)
    };
    let examples = if paths.is_empty() {
        snapshot::examples(&dir.join("examples")).map_err(|e| {
            eprintln!(
                "error: cannot read `{}`: {e}",
                dir.join("examples").display()
            );
            Exit(2)
        })?
    } else {
        paths.to_vec()
    };
    let snapshots = snapshot::directory(dir);
    let today = chrono::Utc::now().date_naive();
    let entries = snapshot::collect(&program, &examples, &snapshots, &Limits::default(), today)
        .map_err(io_error)?;
    if review {
        let explain = |example: &Path| match load_facts(&program, example, None) {
            Ok((facts, as_of)) => {
                let request = Request {
                    as_of,
                    as_of_source: AsOfSource::Facts,
                    decisions: &[],
                };
                credo::tools::explain::explain(&program, &facts, &request)
                    .map(|e| credo::tools::explain::text(&e))
                    .unwrap_or_else(|e| format!("error: {e}\n"))
            }
            Err(_) => "error: the example cannot be loaded\n".to_owned(),
        };
        let mut input = std::io::stdin().lock();
        let mut output = std::io::stdout().lock();
        let accepted =
            snapshot::review(&entries, &mut input, &mut output, &explain).map_err(io_error)?;
        eprintln!("accepted {accepted}");
        return Ok(());
    }
    let mode = if check {
        Mode::Check {
            ci: std::env::var_os("CI").is_some_and(|v| v != "false" && v != "0" && !v.is_empty()),
        }
    } else if accept {
        Mode::Accept
    } else {
        Mode::Record
    };
    let report =
        snapshot::settle(&entries, &snapshots, mode, paths.is_empty(), prune).map_err(io_error)?;
    print!("{}", report.text);
    if report.failing {
        return Err(Exit(1));
    }
    Ok(())
}

fn codes(code: Option<&str>) -> Result<(), Exit> {
    let Some(code) = code else {
        print!("{}", credo::tools::codes::list());
        return Ok(());
    };
    let page = credo::tools::codes::describe(code, std::io::stdout().is_terminal() && color())
        .map_err(|e| {
            eprintln!("error: {e}");
            Exit(2)
        })?;
    print!("{page}");
    Ok(())
}

fn verify(dir: &Path, format: DiagnosticFormat) -> Result<(), Exit> {
    let (checked, program) = load(dir, format)?;
    let Some(program) = program.filter(|_| !checked.has_errors()) else {
        eprintln!("error: the policies have errors; nothing was verified");
        return Err(Exit(1));
    };
    let report = credo::tools::verify::verify(&program).map_err(|e| {
        eprintln!("error: internal: {e}");
        Exit(1)
    })?;
    match format {
        DiagnosticFormat::Text => print!(
            "{}",
            credo::tools::verify::render::text(&report, &dir.display().to_string())
        ),
        DiagnosticFormat::Json => print!("{}", credo::tools::verify::render::json(&report)),
    }
    if report.failed() {
        return Err(Exit(1));
    }
    Ok(())
}

fn diff(
    old_dir: &Path,
    new_dir: &Path,
    as_of: Option<NaiveDate>,
    format: DiagnosticFormat,
    corpus: &Path,
) -> Result<(), Exit> {
    let mut programs = Vec::new();
    for dir in [old_dir, new_dir] {
        let (checked, program) = load(dir, DiagnosticFormat::Text)?;
        let Some(program) = program.filter(|_| !checked.has_errors()) else {
            eprintln!(
                "error: the policies in `{}` have errors; nothing was compared",
                dir.display()
            );
            return Err(Exit(1));
        };
        programs.push(program);
    }
    let [old, new] = <[Program; 2]>::try_from(programs).map_err(|_| Exit(1))?;
    let name = corpus.display().to_string();
    let text = std::fs::read(corpus)
        .map_err(|e| format!("cannot read: {e}"))
        .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8 text".to_owned()))
        .map_err(|message| {
            eprintln!("error: {name}: {message}");
            Exit(2)
        })?;
    let default = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let result =
        credo::tools::diff::diff(&old, &new, &text, &name, default).map_err(|problems| {
            for p in problems {
                eprintln!("{}", p.message);
            }
            Exit(2)
        })?;
    for w in &result.warnings {
        eprintln!("{w}");
    }
    match format {
        DiagnosticFormat::Text => print!(
            "{}",
            credo::tools::diff::render(
                &result,
                &name,
                &old_dir.display().to_string(),
                &new_dir.display().to_string()
            )
        ),
        DiagnosticFormat::Json => print!("{}", credo::tools::diff::json(&result)),
    }
    Ok(())
}

fn whatif(
    dir: &Path,
    as_of: Option<NaiveDate>,
    decision: &str,
    to: Option<&str>,
    path: &Path,
) -> Result<(), Exit> {
    let (checked, program) = load(dir, DiagnosticFormat::Text)?;
    let Some(program) = program.filter(|_| !checked.has_errors()) else {
        eprintln!("error: the policies have errors; nothing was evaluated");
        return Err(Exit(1));
    };
    if program.decision(decision).is_none() {
        let ids: Vec<&str> = program.decisions.iter().map(|d| d.id.as_str()).collect();
        match credo::base::suggest::closest(decision, ids.iter().copied()) {
            Some(near) => {
                eprintln!("error: no decision `{decision}`\n  help: did you mean `{near}`?")
            }
            None => eprintln!(
                "error: no decision `{decision}`; the decisions are {}",
                ids.join(", ")
            ),
        }
        return Err(Exit(2));
    }
    let target = credo::tools::whatif::target(&program, decision, to).map_err(|e| {
        eprintln!("error: {e}");
        Exit(2)
    })?;
    let (facts, as_of) = load_facts(&program, path, as_of)?;
    let answer =
        credo::tools::whatif::whatif(&program, &facts, as_of, decision, target).map_err(|e| {
            eprintln!("error: {e}");
            Exit(2)
        })?;
    print!("{}", credo::tools::whatif::render(&program, &answer));
    Ok(())
}

/// Reads and loads a fact file, printing its problems; with the evaluation date.
fn load_facts(
    program: &Program,
    path: &Path,
    as_of: Option<NaiveDate>,
) -> Result<(facts::Facts, NaiveDate), Exit> {
    let name = if path == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    let (text, format) = facts::read(path, &Limits::default()).map_err(|problem| {
        eprintln!("{}", problem.render(&name));
        Exit(2)
    })?;
    let loaded = facts::load_text(&program.schema, &text, format).map_err(|problems| {
        for p in &problems {
            eprintln!("{}", p.render(&name));
        }
        Exit(2)
    })?;
    for w in &loaded.warnings {
        eprintln!("{}", w.render(&name));
    }
    let as_of = as_of
        .or_else(|| loaded.facts.as_of(&program.schema))
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    Ok((loaded.facts, as_of))
}

fn eval(
    dir: &Path,
    format: OutputFormat,
    as_of: Option<NaiveDate>,
    decisions: &[String],
    path: &Path,
    limits: &Limits,
) -> Result<(), Exit> {
    let (program, input) = prepare(dir, as_of, decisions, path, limits)?;
    let request = input.request(decisions);
    let evaluation = program.evaluate(&input.facts, &request).map_err(|e| {
        eprintln!("error: {}: {e}", input.name);
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

fn explain(
    dir: &Path,
    format: DiagnosticFormat,
    as_of: Option<NaiveDate>,
    decisions: &[String],
    path: &Path,
) -> Result<(), Exit> {
    let (program, input) = prepare(dir, as_of, decisions, path, &Limits::default())?;
    let request = input.request(decisions);
    let explanation =
        credo::tools::explain::explain(&program, &input.facts, &request).map_err(|e| {
            eprintln!("error: {}: {e}", input.name);
            Exit(2)
        })?;
    let out = match format {
        DiagnosticFormat::Text => credo::tools::explain::text(&explanation),
        DiagnosticFormat::Json => credo::tools::explain::json(&explanation),
    };
    print!("{out}");
    Ok(())
}

fn test(
    dir: &Path,
    coverage: bool,
    min_coverage: Option<f64>,
    filter: Option<&str>,
) -> Result<(), Exit> {
    let (checked, program) = load(dir, DiagnosticFormat::Text)?;
    let Some(program) = program.filter(|_| !checked.has_errors()) else {
        eprintln!("error: the policies have errors; no test was run");
        return Err(Exit(1));
    };
    let files = policy_tests::load(&program, dir).map_err(|problems| {
        for p in &problems {
            eprintln!("{}", p.render());
        }
        eprintln!(
            "error: {} problems in the test files; no test was run",
            problems.len()
        );
        Exit(2)
    })?;
    let report = policy_tests::run(&program, &files, filter);
    print!("{}", policy_tests::render(&report, coverage));
    if report.failed() > 0 {
        return Err(Exit(1));
    }
    if let Some(min) = min_coverage
        && report.coverage.percent() < min
    {
        eprintln!(
            "error: the cases fire {:.1}% of the rules and rows, below --min-coverage {min}",
            report.coverage.percent()
        );
        return Err(Exit(1));
    }
    Ok(())
}

/// One account's facts, loaded and dated.
struct Input {
    /// The fact file as named in messages.
    name: String,
    facts: facts::Facts,
    as_of: NaiveDate,
    as_of_source: AsOfSource,
}

impl Input {
    fn request<'a>(&self, decisions: &'a [String]) -> Request<'a> {
        Request {
            as_of: self.as_of,
            as_of_source: self.as_of_source,
            decisions,
        }
    }
}

/// Checks the policies and the requested decision ids, then loads the facts.
fn prepare(
    dir: &Path,
    as_of: Option<NaiveDate>,
    decisions: &[String],
    path: &Path,
    limits: &Limits,
) -> Result<(Program, Input), Exit> {
    let (checked, program) = load_with(dir, DiagnosticFormat::Text, limits)?;
    let Some(program) = program.filter(|_| !checked.has_errors()) else {
        eprintln!("error: the policies have errors; nothing was evaluated");
        return Err(Exit(1));
    };
    for id in decisions {
        if program.decision(id).is_none() {
            let ids: Vec<&str> = program.decisions.iter().map(|d| d.id.as_str()).collect();
            match credo::base::suggest::closest(id, ids.iter().copied()) {
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
    let input = Input {
        name,
        facts: loaded.facts,
        as_of,
        as_of_source,
    };
    Ok((program, input))
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
    let options = credo::tools::batch::Options {
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
    let progress = |s: &credo::tools::batch::Summary| {
        if let Some(bar) = &bar {
            bar.set_position(s.bytes);
            bar.set_message(format!("{} lines", s.read));
        }
    };
    let result = credo::tools::batch::run(&program, reader, &mut sink, options, &progress);
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
