//! `credo batch` on the command line: its arguments, and a run from files
//! to a file written atomically (a temporary file beside the target, synced
//! and renamed into place only when the run finished).

use std::io::{IsTerminal as _, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::{Options, OutputFormat, Record, Summary};
use crate::engine::program::Program;

/// The arguments of `credo batch`.
#[derive(Debug, clap::Args)]
pub struct BatchArgs {
    /// The policy directory.
    #[arg(long, default_value = "policies")]
    pub policies: PathBuf,
    /// Where to write the results; stdout when not given.
    #[arg(short, long, value_name = "OUTPUT")]
    pub output: Option<PathBuf>,
    /// Worker threads; every core when not given.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// The evaluation date (YYYY-MM-DD); else each line's `as_of`; else today.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Evaluate only this decision (repeatable).
    #[arg(long = "decision", value_name = "ID")]
    pub decisions: Vec<String>,
    /// What each record holds: every reason with its message and place, or
    /// only outcomes, deciding rule ids and missing facts.
    #[arg(long, value_enum, default_value_t = RecordArg::Full)]
    pub record: RecordArg,
    /// The fact copied into every record as its id; `account.id` when the
    /// schema has it.
    #[arg(long, value_name = "FIELD")]
    pub id: Option<String>,
    /// Largest line, in bytes; a longer line gets an error record.
    #[arg(long, value_name = "BYTES", default_value_t = crate::Limits::default().max_fact_bytes as u64,
          value_parser = clap::value_parser!(u64).range(1..=1 << 40))]
    pub max_fact_bytes: u64,
    /// The format of the input.
    #[arg(long, value_enum, default_value_t = InputArg::Jsonl)]
    pub input_format: InputArg,
    /// The format of the records.
    #[arg(long, value_enum, default_value_t = OutputArg::Jsonl)]
    pub output_format: OutputArg,
    /// A JSON Lines file, or `-` for stdin; or a Parquet file.
    pub input: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RecordArg {
    Full,
    Compact,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputArg {
    Jsonl,
    #[cfg(feature = "arrow")]
    Parquet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputArg {
    Jsonl,
    #[cfg(feature = "arrow")]
    Csv,
    #[cfg(feature = "arrow")]
    Parquet,
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    crate::input::facts::parse_date(text)
        .ok_or_else(|| format!("`{text}` is not a date; write YYYY-MM-DD"))
}

/// The exit code of a run that could not finish: 1 when the policies or
/// some lines are wrong, 2 when a file cannot be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit(pub u8);

fn fail(code: u8, message: impl std::fmt::Display) -> Exit {
    eprintln!("error: {message}");
    Exit(code)
}

/// Loads the policies and checks the arguments against them.
fn plan(args: &BatchArgs) -> Result<(Program, Options), Exit> {
    let checked = crate::load_dir(&args.policies).map_err(|e| {
        fail(
            2,
            format!(
                "cannot read the policy directory `{}`: {e}",
                args.policies.display()
            ),
        )
    })?;
    if !checked.diagnostics.is_empty() {
        let color = std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal();
        eprint!(
            "{}",
            crate::lang::diagnostics::render(&checked.sources, &checked.diagnostics, color)
        );
    }
    let has_errors = checked.has_errors();
    let Some(program) = checked.program.filter(|_| !has_errors) else {
        return Err(fail(1, "the policies have errors; nothing was evaluated"));
    };
    let mut decisions = Vec::new();
    for id in &args.decisions {
        let index = program.decisions.iter().position(|d| d.id == *id);
        match index {
            Some(i) if !decisions.contains(&(i as u32)) => decisions.push(i as u32),
            Some(_) => {}
            None => {
                let known = program.decisions.iter().map(|d| d.id.as_str());
                let hint = crate::base::suggest::closest(id, known)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(fail(2, format!("no decision is named `{id}`{hint}")));
            }
        }
    }
    let id = match &args.id {
        Some(path) => match program.schema.slot(path) {
            Some(slot) => Some(slot),
            None => {
                let known = program.schema.fields.iter().map(|f| f.path.as_str());
                let hint = crate::base::suggest::closest(path, known)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(fail(
                    2,
                    format!("`--id {path}`: no fact is named `{path}`{hint}"),
                ));
            }
        },
        None => program.schema.slot("account.id"),
    };
    let options = Options {
        jobs: args.jobs.map_or_else(
            || std::thread::available_parallelism().map_or(1, usize::from),
            usize::from,
        ),
        as_of: args.as_of,
        today: chrono::Utc::now().date_naive(),
        decisions,
        record: match args.record {
            RecordArg::Full => Record::Full,
            RecordArg::Compact => Record::Compact,
        },
        id,
        max_line_bytes: usize::try_from(args.max_fact_bytes).unwrap_or(usize::MAX),
    };
    Ok((program, options))
}

/// Whether two paths name the same file (through links too).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Runs `credo batch`.
pub fn main(args: &BatchArgs) -> Result<(), Exit> {
    let (program, options) = plan(args)?;
    let stdin = args.input == Path::new("-");
    if let Some(output) = &args.output
        && !stdin
        && same_file(&args.input, output)
    {
        return Err(fail(
            2,
            format!(
                "{}: the output is the input; nothing was evaluated",
                output.display()
            ),
        ));
    }
    let format = match args.output_format {
        OutputArg::Jsonl => OutputFormat::Jsonl,
        #[cfg(feature = "arrow")]
        OutputArg::Csv => OutputFormat::Csv,
        #[cfg(feature = "arrow")]
        OutputArg::Parquet => OutputFormat::Parquet,
    };
    let bar = progress_bar(args, stdin);
    let progress = |s: &Summary| {
        if let Some(bar) = &bar {
            bar.set_position(s.bytes);
            bar.set_message(format!("{} lines", s.read));
        }
    };
    let write = |out: &mut (dyn Write + Send)| -> Result<Summary, Exit> {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
        let result = match args.input_format {
            InputArg::Jsonl => {
                let reader: Box<dyn std::io::BufRead> = if stdin {
                    Box::new(std::io::stdin().lock())
                } else {
                    let file = std::fs::File::open(&args.input).map_err(|e| {
                        fail(2, format!("{}: cannot read: {e}", args.input.display()))
                    })?;
                    Box::new(std::io::BufReader::with_capacity(1 << 20, file))
                };
                super::run_as(&program, reader, &mut out, format, &options, &progress)
            }
            #[cfg(feature = "arrow")]
            InputArg::Parquet => {
                if stdin {
                    return Err(fail(2, "a Parquet input must be a file, not stdin"));
                }
                let file = std::fs::File::open(&args.input)
                    .map_err(|e| fail(2, format!("{}: cannot read: {e}", args.input.display())))?;
                let rows = super::columnar::RowSource::parquet(file, &program.schema)
                    .map_err(|e| fail(2, format!("{}: {e}", args.input.display())))?;
                super::run_rows(&program, rows, &mut out, format, &options, &progress)
            }
        };
        let summary = result.map_err(|e| fail(2, e))?;
        out.flush()
            .map_err(|e| fail(2, format!("cannot write the output: {e}")))?;
        Ok(summary)
    };
    let summary = match &args.output {
        None => write(&mut std::io::stdout()),
        Some(path) => atomically(path, write),
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let summary = summary?;
    eprintln!(
        "{} lines read: {} evaluated, {} failed, {} blank",
        summary.read, summary.evaluated, summary.failed, summary.blank
    );
    if summary.failed > 0 {
        return Err(Exit(1));
    }
    Ok(())
}

/// Writes a file through a temporary file beside it, synced and renamed into
/// place only when `write` succeeds; otherwise the old file stays as it was.
fn atomically(
    path: &Path,
    write: impl FnOnce(&mut (dyn Write + Send)) -> Result<Summary, Exit>,
) -> Result<Summary, Exit> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let cannot = |e: std::io::Error| fail(2, format!("{}: cannot write: {e}", path.display()));
    let mut file = tempfile::Builder::new()
        .prefix(".credo-batch-")
        .tempfile_in(dir)
        .map_err(cannot)?;
    let summary = write(file.as_file_mut())?;
    // The file gets the mode of the one it replaces, or the usual one.
    let mode = std::fs::metadata(path).map_or_else(
        |_| std::os::unix::fs::PermissionsExt::from_mode(0o644),
        |m| m.permissions(),
    );
    file.as_file().set_permissions(mode).map_err(cannot)?;
    file.as_file().sync_all().map_err(cannot)?;
    file.persist(path).map_err(|e| cannot(e.error))?;
    Ok(summary)
}

fn progress_bar(args: &BatchArgs, stdin: bool) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let size = (!stdin)
        .then(|| std::fs::metadata(&args.input).ok().map(|m| m.len()))
        .flatten();
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
    Some(bar)
}
