//! `credo batch`: many accounts, one result a line, through the atomic
//! writer (`-o`) or whole records on stdout.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use credo::base::io::{AtomicFile, WriteError};
use credo::engine::program::Program;
use credo::model::schema::Slot;
use credo::tools::batch::{BatchError, Options, OutputFormat, Record, Summary};

use crate::args::{AsOfArgs, DiagnosticFormat, PolicyArgs};
use crate::output::{Exit, counted};
use crate::session::Session;
use crate::signals::WholeRecords;

pub const AFTER_HELP: &str = "\
Examples:
  credo batch accounts.jsonl -o results.jsonl
  credo-gen accounts 1000 | credo batch - | head

With -o, the results go to a temporary file beside OUTPUT, renamed over it
only when every line was evaluated: a failed or interrupted run leaves OUTPUT
as it was. An OUTPUT that is the input (or a link to it) is refused.
On stdout, only whole records are written; a signal ends the run after them.

Exit codes: 0 every line evaluated; 1 a line failed, or the policies have errors;
2 the input cannot be read or the output written; 129/130/143 stopped by a signal (SIGHUP, SIGINT, SIGTERM).";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    policies: PolicyArgs,
    /// Where to write the results; stdout when not given.
    #[arg(short, long, value_name = "OUTPUT")]
    output: Option<PathBuf>,
    /// Worker threads; every core when not given.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    #[command(flatten)]
    as_of: AsOfArgs,
    /// Evaluate only this decision (repeatable; each taken once).
    #[arg(long = "decision", value_name = "ID")]
    decisions: Vec<String>,
    /// What each record holds: every reason with its message and place, or
    /// only outcomes, amounts, deciding rule ids and missing facts. `full`
    /// for JSON Lines when not given; CSV and Parquet records are compact.
    #[arg(long, value_enum)]
    record: Option<RecordArg>,
    /// The fact copied into every record as its id; `account.id` when the
    /// schema has it.
    #[arg(long, value_name = "FIELD")]
    id: Option<String>,
    /// Largest line, in bytes; a longer line gets an error record, and is
    /// skipped without being kept in memory.
    #[arg(long, value_name = "BYTES", default_value_t = credo::Limits::default().max_fact_bytes,
          value_parser = crate::args::parse_limit)]
    max_fact_bytes: usize,
    /// The format of the input.
    #[arg(long, value_enum, default_value_t = InputArg::Jsonl)]
    input_format: InputArg,
    /// The format of the records.
    #[arg(long, value_enum, default_value_t = OutputArg::Jsonl)]
    output_format: OutputArg,
    /// A JSON Lines file, or `-` for stdin; or a Parquet file.
    input: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RecordArg {
    Full,
    Compact,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum InputArg {
    Jsonl,
    #[cfg(feature = "arrow")]
    Parquet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutputArg {
    Jsonl,
    #[cfg(feature = "arrow")]
    Csv,
    #[cfg(feature = "arrow")]
    Parquet,
}

/// The decisions asked for, as indices, each once; and the id fact.
fn choose(session: &Session, args: &Args) -> Result<(Vec<u32>, Option<Slot>), Exit> {
    session.check_decisions(&args.decisions)?;
    let program = session.program();
    let mut decisions = Vec::new();
    for id in &args.decisions {
        if let Some(i) = program.decisions.iter().position(|d| d.id == *id)
            && !decisions.contains(&(i as u32))
        {
            decisions.push(i as u32);
        }
    }
    let id = match &args.id {
        Some(path) => Some(program.schema.slot(path).ok_or_else(|| {
            let known = program.schema.fields.iter().map(|f| f.path.as_str());
            let hint = credo::base::suggest::closest(path, known)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            say!("error: `--id {path}`: no fact is named `{path}`{hint}");
            Exit(2)
        })?),
        None => program.schema.slot("account.id"),
    };
    Ok((decisions, id))
}

/// The record the output format holds: CSV and Parquet carry rule ids,
/// never messages, so a full record is refused there rather than written
/// as a compact one.
fn record(args: &Args) -> Result<Record, Exit> {
    match (args.record, args.output_format) {
        (Some(RecordArg::Compact), _) => Ok(Record::Compact),
        (Some(RecordArg::Full) | None, OutputArg::Jsonl) => Ok(Record::Full),
        #[cfg(feature = "arrow")]
        (None, OutputArg::Csv | OutputArg::Parquet) => Ok(Record::Compact),
        #[cfg(feature = "arrow")]
        (Some(RecordArg::Full), OutputArg::Csv | OutputArg::Parquet) => {
            say!(
                "error: `--record full` is written as JSON Lines only: CSV and Parquet records \
                 carry rule ids, never messages (the compact record)\n  \
                 help: leave out `--record full`, or write `--output-format jsonl`"
            );
            Err(Exit(2))
        }
    }
}

pub fn run(args: Args) -> Result<(), Exit> {
    let record = record(&args)?;
    let session = Session::open(
        &args.policies.policies,
        &credo::Limits::default(),
        DiagnosticFormat::Text,
        "the policies have errors; nothing was evaluated",
    )?;
    let input = args.input.as_path();
    let output = args.output.as_deref();
    let stdin = input == Path::new("-");
    if let Some(output) = output {
        // Before anything is opened for writing: `-o X` with X the input (or
        // a link to it) would truncate what is about to be read.
        let source = if stdin {
            Path::new("/dev/stdin")
        } else {
            input
        };
        if !is_stream(output) && credo::base::io::same_file(source, output) {
            say!(
                "error: {}",
                WriteError::SameAsInput(output.display().to_string())
            );
            return Err(Exit(2));
        }
    }
    // Sent to whichever worker reads next (`Stdin`, unlike its lock, is).
    let (mut reader, size): (Box<dyn BufRead + Send>, Option<u64>) = if stdin {
        (Box::new(std::io::BufReader::new(std::io::stdin())), None)
    } else {
        let file = credo::base::io::open(input).map_err(|e| {
            say!("error: {}: cannot read: {e}", input.display());
            Exit(2)
        })?;
        let size = std::fs::metadata(input).ok().map(|m| m.len());
        // A small buffer: batch reads blocks bigger than it, which then go
        // from the file straight into a chunk, not through this buffer.
        (Box::new(std::io::BufReader::new(file)), size)
    };
    // Read as JSON Lines, a Parquet file would give an error record for
    // every "line" of its binary: it is named for what it is instead.
    if args.input_format == InputArg::Jsonl
        && reader
            .fill_buf()
            .is_ok_and(|b| b.starts_with(PARQUET_MAGIC))
    {
        let name = if stdin {
            "stdin".into()
        } else {
            input.display().to_string()
        };
        say!("error: {name} is a Parquet file, not JSON Lines\n  help: {PARQUET_HELP}");
        return Err(Exit(2));
    }
    // Nothing reaches an output file until the run is done. A FIFO or a
    // device (`-o /dev/null`) cannot be replaced: it gets whole records as
    // they come, as stdout does.
    let (mut file, mut stream) = (None, None);
    match output {
        Some(path) if is_stream(path) => {
            let opened = std::fs::OpenOptions::new().write(true).open(path);
            stream = Some(opened.map_err(|e| {
                say!("error: cannot write `{}`: {e}", path.display());
                Exit(2)
            })?);
        }
        Some(path) => {
            let created = AtomicFile::create(path).map_err(|e| {
                say!("error: cannot write {e}");
                Exit(2)
            })?;
            file = Some(created.fail_after(crate::signals::disk_full_after()));
        }
        None => {}
    }
    crate::signals::stop_on_signals();
    let (decisions, id) = choose(&session, &args)?;
    let mut options = Options {
        jobs: args.jobs.map_or_else(
            || std::thread::available_parallelism().map_or(1, usize::from),
            usize::from,
        ),
        as_of: args.as_of.as_of,
        today: chrono::Utc::now().date_naive(),
        decisions,
        record,
        id,
        max_line_bytes: args.max_fact_bytes,
        // Parquet keeps the dictionaries; pyarrow and Spark read them back.
        dictionaries: true,
    };
    let format = match args.output_format {
        OutputArg::Jsonl => OutputFormat::Jsonl,
        #[cfg(feature = "arrow")]
        OutputArg::Csv => OutputFormat::Csv,
        #[cfg(feature = "arrow")]
        OutputArg::Parquet => OutputFormat::Parquet,
    };
    #[cfg(feature = "arrow")]
    if args.input_format == InputArg::Parquet && stdin {
        say!("error: a Parquet input must be a file, not stdin");
        return Err(Exit(2));
    }
    let bar = progress_bar(size);
    let progress = |s: &Summary| {
        if let Some(bar) = &bar {
            bar.set_position(s.bytes);
            bar.set_message(format!("{} lines", s.read));
        }
    };
    let parquet = cfg!(feature = "arrow") && args.input_format != InputArg::Jsonl;
    let mut go = |options: &Options| {
        let program = session.program();
        let mut sink: Box<dyn std::io::Write + Send + '_> = match (file.as_mut(), stream.as_mut()) {
            (Some(file), _) => Box::new(WholeRecords(file)),
            (None, Some(stream)) => Box::new(WholeRecords(stream)),
            (None, None) => Box::new(WholeRecords(std::io::stdout())),
        };
        if parquet {
            return parquet_rows(program, input, &mut sink, format, options, &progress);
        }
        credo::tools::batch::run_as(program, &mut reader, &mut sink, format, options, &progress)
    };
    let mut result = go(&options);
    if let Err(BatchError::Spawn(e)) = &result {
        // Nothing was read yet: the same run on this thread alone.
        say!("warning: cannot start worker threads ({e}); running on one");
        options.jobs = 1;
        result = go(&options);
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let summary = result.map_err(|e| {
        if let BatchError::Write(w) = &e
            && file.is_none()
        {
            return crate::output::write_failed(w);
        }
        say!("error: {e}");
        if let Some(output) = output.filter(|_| file.is_some()) {
            say!("  `{}` was left as it was", output.display());
        }
        Exit(2)
    })?;
    if let Some(file) = file {
        file.commit().map_err(|e| {
            say!("error: cannot write {e}");
            Exit(2)
        })?;
    }
    say!(
        "{} read: {} evaluated, {} failed, {} blank",
        counted(summary.read, "line"),
        summary.evaluated,
        summary.failed,
        summary.blank
    );
    if summary.failed > 0 {
        return Err(Exit(1));
    }
    Ok(())
}

/// Whether `path` is something other than a file or a directory (a FIFO,
/// a device), which can be written but not replaced.
fn is_stream(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

fn progress_bar(size: Option<u64>) -> Option<indicatif::ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
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
    })
}

/// The first bytes of every Parquet file.
const PARQUET_MAGIC: &[u8] = b"PAR1";

#[cfg(feature = "arrow")]
const PARQUET_HELP: &str = "read it with `--input-format parquet` (from a file, not stdin)";
#[cfg(not(feature = "arrow"))]
const PARQUET_HELP: &str = "this build of credo reads no Parquet (it was built without `arrow`)";

/// Whether `path` starts, after any whitespace, with `{`: JSON Lines given
/// as Parquet.
#[cfg(feature = "arrow")]
fn reads_as_json(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 64];
    let read = std::fs::File::open(path).and_then(|mut f| f.read(&mut head));
    let head = read.map_or(&[][..], |n| head.get(..n).unwrap_or_default());
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Rows of a Parquet file, evaluated as the lines of JSON Lines are.
#[cfg(feature = "arrow")]
fn parquet_rows(
    program: &Program,
    input: &Path,
    sink: &mut (dyn std::io::Write + Send),
    format: OutputFormat,
    options: &Options,
    progress: &(dyn Fn(&Summary) + Sync),
) -> Result<Summary, BatchError> {
    let file = std::fs::File::open(input).map_err(BatchError::Read)?;
    let rows =
        credo::tools::batch::columnar::RowSource::parquet(file, &program.schema).map_err(|e| {
            let help = match reads_as_json(input) {
                true => "\n  help: it reads as JSON Lines: leave out `--input-format parquet`",
                false => "",
            };
            BatchError::Read(std::io::Error::other(format!(
                "{}: {e}{help}",
                input.display()
            )))
        })?;
    for warning in rows.unknown_columns() {
        say!("{}", warning.render(&input.display().to_string()));
    }
    credo::tools::batch::run_rows(program, rows, &mut &mut *sink, format, options, progress)
}

#[cfg(not(feature = "arrow"))]
fn parquet_rows(
    _: &Program,
    _: &Path,
    _: &mut (dyn std::io::Write + Send),
    _: OutputFormat,
    _: &Options,
    _: &(dyn Fn(&Summary) + Sync),
) -> Result<Summary, BatchError> {
    Err(BatchError::Read(std::io::Error::other(
        "Parquet needs the `arrow` feature",
    )))
}
