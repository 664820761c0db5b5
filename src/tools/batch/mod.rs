//! `credo batch`: evaluates one account per line of JSON Lines, on every
//! core, and writes one JSON result per line in input order.
//!
//! Workers take turns (`turns.rs`): each fills a chunk from the input (one
//! worker at a time), evaluates it and hands it in; the worker handing in
//! the chunk whose turn it is writes it, and any handed in early, while the
//! others go on. There is no reader or writer thread, so a chunk's text and
//! records are made on one core, and with as many workers as cores no
//! other busy thread competes for them. A fixed pool of chunks per worker
//! keeps memory the same whatever the input's size, and the output is the
//! same bytes whatever the number of workers.
//!
//! JSON Lines are read a block at a time straight into the chunk (`lines.rs`),
//! cut at the last newline, the part line carried into the next chunk; the
//! worker finds each line's end while it evaluates.
//!
//! A blank line (nothing but spaces) holds no account: it gets no record
//! and is counted as blank. A line that cannot be read or evaluated gets an
//! error record, and the run goes on. A line longer than the limit is not
//! kept: the reader skips to its end, so memory stays bounded whatever the
//! line's length, and the line gets an error record.
//!
//! Records are JSON Lines, full (every reason with its message and place, as
//! `credo eval --format json`) or compact (outcomes, rule ids and missing
//! facts), or, with the `arrow` feature, one row per account in CSV or
//! Parquet ([`columnar`]), which can also be read as input.

#[cfg(feature = "arrow")]
pub mod columnar;
mod digits;
pub mod impact;
mod lines;
mod turns;
mod write;

use std::borrow::Cow;
use std::io::{self, BufRead, Write};

use chrono::NaiveDate;

use crate::engine::program::Program;
use crate::engine::verdict::Verdicts;
use crate::input::facts::{self, FactProblem, Facts, Format};
use crate::input::report;
use crate::model::ir::Value;
use crate::model::schema::Slot;

pub use crate::input::fast::{ReadState, SlotReader};
pub use write::{Record, RecordWriter};

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads; 1 runs everything on the calling thread.
    pub jobs: usize,
    /// The evaluation date for every line (`--as-of`); else each line's own
    /// `as_of`; else `today`.
    pub as_of: Option<NaiveDate>,
    pub today: NaiveDate,
    /// The decisions to evaluate, as indices in the program; all when empty.
    pub decisions: Vec<u32>,
    /// What each record holds.
    pub record: Record,
    /// The fact copied into every record as its `id`.
    pub id: Option<Slot>,
    /// Bytes in one line; a longer line gets an error record.
    pub max_line_bytes: usize,
    /// Arrow and Parquet columns of words from a fixed set as dictionaries
    /// (the default); `false` builds them as plain text, for consumers that
    /// take no dictionaries (Spark's `mapInArrow`).
    pub dictionaries: bool,
}

impl Options {
    /// All decisions, full records, no id, lines up to the fact limit.
    pub fn new(jobs: usize, as_of: Option<NaiveDate>, today: NaiveDate) -> Options {
        Options {
            jobs,
            as_of,
            today,
            decisions: Vec::new(),
            record: Record::Full,
            id: None,
            max_line_bytes: crate::Limits::default().max_fact_bytes,
            dictionaries: true,
        }
    }
}

/// What a run did. `read` is always `evaluated + failed + blank`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub read: u64,
    pub evaluated: u64,
    pub failed: u64,
    pub blank: u64,
    /// Bytes of input read.
    pub bytes: u64,
}

impl Summary {
    fn add(&mut self, other: &Summary) {
        self.read += other.read;
        self.evaluated += other.evaluated;
        self.failed += other.failed;
        self.blank += other.blank;
        self.bytes += other.bytes;
    }
}

/// Why a run stopped before the end of its input.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("cannot read the input: {0}")]
    Read(io::Error),
    #[error("cannot write the output: {0}")]
    Write(io::Error),
    /// Not one worker, or not the writer, could start; nothing was read.
    #[error("cannot start a thread: {0}")]
    Spawn(io::Error),
}

/// A run of input lines (or columnar rows) and, once evaluated, their records.
#[derive(Debug, Default)]
pub(crate) struct Chunk {
    seq: u64,
    first_line: u64,
    /// Whole lines of JSON Lines.
    text: lines::Text,
    /// Lines in `text`, or 1 for a line over the limit.
    lines: usize,
    /// A line over the limit, with its length: its bytes were skipped, not
    /// kept, and it is the chunk's only line.
    long: Option<u64>,
    /// Rows read from a columnar input, instead of lines: consecutive
    /// batches of the input, together up to `columnar::CHUNK_ROWS` rows, whose
    /// records make one batch.
    #[cfg(feature = "arrow")]
    rows: Vec<arrow::record_batch::RecordBatch>,
    /// Records as bytes (JSON Lines, CSV)…
    out: Vec<u8>,
    /// …or as rows for a columnar writer.
    #[cfg(feature = "arrow")]
    batch: Option<arrow::record_batch::RecordBatch>,
    summary: Summary,
}

impl Chunk {
    fn reset(&mut self, seq: u64, first_line: u64) {
        self.seq = seq;
        self.first_line = first_line;
        self.text.clear();
        self.lines = 0;
        self.long = None;
        self.out.clear();
        #[cfg(feature = "arrow")]
        {
            self.rows.clear();
            self.batch = None;
        }
        self.summary = Summary::default();
    }

    /// Fills the chunk from `input`; false at the end of the input.
    fn fill(&mut self, input: &mut Input<'_>, seq: u64, first_line: u64) -> io::Result<bool> {
        self.reset(seq, first_line);
        match input {
            Input::Lines(blocks) => {
                let filled = blocks.fill(&mut self.text);
                self.summary.bytes = blocks.take_consumed();
                match filled? {
                    lines::Filled::End => Ok(false),
                    lines::Filled::Lines(count) => {
                        self.lines = count;
                        Ok(true)
                    }
                    lines::Filled::Long(length) => {
                        self.lines = 1;
                        self.long = Some(length);
                        Ok(true)
                    }
                }
            }
            #[cfg(feature = "arrow")]
            Input::Rows(rows) => {
                let more = rows.next_rows(columnar::CHUNK_ROWS, &mut self.rows)?;
                self.summary.bytes = (self.rows.iter())
                    .map(|batch| batch.get_array_memory_size() as u64)
                    .sum();
                Ok(more)
            }
        }
    }

    /// Lines or rows in the chunk.
    fn count(&self) -> usize {
        #[cfg(feature = "arrow")]
        if !self.rows.is_empty() {
            return self.rows.iter().map(|batch| batch.num_rows()).sum();
        }
        self.lines
    }
}

/// Where the accounts come from.
enum Input<'r> {
    /// JSON Lines.
    Lines(lines::Blocks<'r>),
    /// Rows of a columnar input.
    #[cfg(feature = "arrow")]
    Rows(columnar::RowSource<'r>),
}

/// How records are made, and the state of making them in one worker.
enum Emit<'p> {
    Json(&'p RecordWriter),
    #[cfg(feature = "arrow")]
    Columns(Box<columnar::Rows<'p>>),
}

/// One worker's reusable state.
struct Worker<'p> {
    program: &'p Program,
    options: &'p Options,
    reader: &'p SlotReader,
    emit: Emit<'p>,
    state: ReadState,
    facts: Facts,
    verdicts: Verdicts,
    id_path: Option<&'p str>,
}

/// What the workers share: the reader, the record makers.
struct Shared {
    reader: SlotReader,
    json: RecordWriter,
    #[cfg(feature = "arrow")]
    layout: Option<columnar::Layout>,
}

impl Shared {
    #[cfg_attr(not(feature = "arrow"), allow(unused_variables))]
    fn new(program: &Program, options: &Options, output: &OutputFormat) -> Shared {
        Shared {
            reader: SlotReader::new(&program.schema),
            json: RecordWriter::new(program, options),
            #[cfg(feature = "arrow")]
            layout: match output {
                OutputFormat::Jsonl => None,
                OutputFormat::Csv | OutputFormat::Parquet => {
                    Some(columnar::Layout::new(program, options))
                }
            },
        }
    }

    fn worker<'p>(
        &'p self,
        program: &'p Program,
        options: &'p Options,
        output: &OutputFormat,
    ) -> Worker<'p> {
        let emit = match output {
            OutputFormat::Jsonl => Emit::Json(&self.json),
            #[cfg(feature = "arrow")]
            OutputFormat::Csv | OutputFormat::Parquet => match &self.layout {
                Some(layout) => {
                    Emit::Columns(Box::new(layout.rows(matches!(output, OutputFormat::Csv))))
                }
                None => Emit::Json(&self.json),
            },
        };
        Worker {
            program,
            options,
            reader: &self.reader,
            emit,
            state: ReadState::default(),
            facts: Facts { values: Vec::new() },
            verdicts: Verdicts::default(),
            id_path: options
                .id
                .and_then(|slot| program.schema.field(slot))
                .map(|f| f.path.as_str()),
        }
    }
}

impl<'p> Worker<'p> {
    fn process(&mut self, chunk: &mut Chunk) {
        let mut out = std::mem::take(&mut chunk.out);
        let mut summary = chunk.summary;
        #[cfg(feature = "arrow")]
        if !chunk.rows.is_empty() {
            let mut pieces = std::mem::take(&mut chunk.rows);
            let mut number = chunk.first_line;
            for rows in &pieces {
                let columns = columnar::Columns::resolve(self.program, rows);
                for row in 0..rows.num_rows() {
                    summary.read += 1;
                    if self.row(number, &columns, row, &mut out) {
                        summary.evaluated += 1;
                    } else {
                        summary.failed += 1;
                    }
                    number += 1;
                }
            }
            // The input rows are let go now, as before; the vector is kept.
            pieces.clear();
            chunk.rows = pieces;
            self.finish(chunk, &mut out);
            chunk.out = out;
            chunk.summary = summary;
            return;
        }
        if let Some(length) = chunk.long {
            summary.read += 1;
            summary.failed += 1;
            self.too_long(chunk.first_line, length, &mut out);
        }
        let max = self.options.max_line_bytes;
        for (i, line) in lines::split(chunk.text.bytes()).enumerate() {
            let number = chunk.first_line + i as u64;
            summary.read += 1;
            let body = line.strip_suffix(b"\r").unwrap_or(line);
            if body.len() > max {
                // Over the limit but within the blocks read: kept, not read.
                self.too_long(number, line.len() as u64, &mut out);
                summary.failed += 1;
            } else if body.iter().all(u8::is_ascii_whitespace) {
                summary.blank += 1;
            } else if self.line(number, body, &mut out) {
                summary.evaluated += 1;
            } else {
                summary.failed += 1;
            }
        }
        self.finish(chunk, &mut out);
        chunk.out = out;
        chunk.summary = summary;
    }

    /// The error record of a line over the limit, `length` bytes long.
    fn too_long(&mut self, number: u64, length: u64, out: &mut Vec<u8>) {
        let problem = whole(format!(
            "the line is {length} bytes long, more than the limit of {}; it was skipped",
            crate::base::limits::bytes(self.options.max_line_bytes)
        ));
        self.error(number, None, &[problem], out);
    }

    /// Hands the chunk's rows to the columnar writer, or renders them as text.
    #[cfg_attr(not(feature = "arrow"), allow(unused_variables, clippy::ptr_arg))]
    fn finish(&mut self, chunk: &mut Chunk, out: &mut Vec<u8>) {
        #[cfg(feature = "arrow")]
        if let Emit::Columns(rows) = &mut self.emit {
            rows.finish(out, &mut chunk.batch);
        }
    }

    fn error(
        &mut self,
        number: u64,
        id: Option<&str>,
        problems: &[FactProblem],
        out: &mut Vec<u8>,
    ) {
        match &mut self.emit {
            Emit::Json(writer) => writer.error(number, id, problems, out),
            #[cfg(feature = "arrow")]
            Emit::Columns(rows) => rows.error(number, id, problems),
        }
    }

    /// Evaluates one line into its record; false when it gets an error record.
    fn line(&mut self, number: u64, line: &[u8], out: &mut Vec<u8>) -> bool {
        if self
            .reader
            .read(line, &mut self.state, &mut self.facts.values)
        {
            let facts = std::mem::replace(&mut self.facts, Facts { values: Vec::new() });
            let done = self.evaluate(number, &facts, &[], out);
            self.facts = facts;
            return done;
        }
        let id = self.id_path.and_then(|path| id_in_json(line, path));
        let text = match std::str::from_utf8(line) {
            Ok(text) => text,
            Err(e) => {
                let problem = whole(format!(
                    "not UTF-8 text (invalid byte at offset {})",
                    e.valid_up_to()
                ));
                self.error(number, id.as_deref(), &[problem], out);
                return false;
            }
        };
        match facts::load_text(&self.program.schema, text, Format::Json) {
            Ok(loaded) => self.evaluate(number, &loaded.facts, &loaded.warnings, out),
            Err(problems) => {
                // Only a line with problems is searched for their fields.
                let line = usize::try_from(number).unwrap_or(usize::MAX);
                let problems = report::placed(problems, text, Format::Json, line);
                self.error(number, id.as_deref(), &problems, out);
                false
            }
        }
    }

    /// Evaluates one columnar row into its record.
    #[cfg(feature = "arrow")]
    fn row(
        &mut self,
        number: u64,
        columns: &columnar::Columns,
        row: usize,
        out: &mut Vec<u8>,
    ) -> bool {
        // Records in columns need no `Value`s: the row is read by reference.
        let read = if matches!(self.emit, Emit::Columns(_)) {
            let (program, reader) = (self.program, self.reader);
            let mut values = std::mem::take(&mut self.facts.values);
            let read = columns.decide_direct(program, reader, row, &mut values, |source| {
                self.decide_direct(number, source, out)
            });
            self.facts.values = values;
            match read {
                Ok(done) => return done,
                Err(read) => read,
            }
        } else {
            columns.read(self.program, self.reader, row, &mut self.facts.values)
        };
        match read {
            columnar::RowRead::Fast => {
                let facts = std::mem::replace(&mut self.facts, Facts { values: Vec::new() });
                let done = self.evaluate(number, &facts, &[], out);
                self.facts = facts;
                done
            }
            columnar::RowRead::Loaded(loaded) => {
                self.evaluate(number, &loaded.facts, &loaded.warnings, out)
            }
            columnar::RowRead::Failed(id, problems) => {
                self.error(number, id.as_deref(), &problems, out);
                false
            }
        }
    }

    /// Evaluates a row read by reference into its record; `None` when it
    /// must go the existing way (an id that is not text, a number or a date).
    #[cfg(feature = "arrow")]
    fn decide_direct(
        &mut self,
        number: u64,
        source: &columnar::ArrowRow<'_>,
        out: &mut Vec<u8>,
    ) -> Option<bool> {
        use crate::engine::hot::V;
        use crate::engine::hot::source::FactSource as _;
        let program = self.program;
        let as_of = self
            .options
            .as_of
            .or_else(|| match source.fact(program.as_of?.0) {
                V::Date(d) => Some(d),
                _ => None,
            })
            .unwrap_or(self.options.today);
        let id = match self.options.id.map(|slot| source.fact(slot.0)) {
            None | Some(V::Absent | V::Unknown) => None,
            Some(V::Text(t)) => Some(Cow::Borrowed(t)),
            Some(V::Int(n)) => Some(Cow::Owned(n.to_string())),
            Some(V::Bool(b)) => Some(Cow::Owned(b.to_string())),
            Some(V::Date(d)) => Some(Cow::Owned(d.format("%Y-%m-%d").to_string())),
            Some(V::Money(_) | V::Member(_)) => return None,
        };
        let decided = program.decide_from(
            source,
            as_of,
            &self.options.decisions,
            &mut self.verdicts,
            || source.facts(&program.schema),
        );
        Some(match decided {
            Ok(()) => {
                if let Emit::Columns(rows) = &mut self.emit {
                    rows.record(number, id.as_deref(), &self.verdicts, as_of, &[]);
                }
                true
            }
            Err(e) => {
                self.error(number, id.as_deref(), &[whole(e.to_string())], out);
                false
            }
        })
    }

    fn evaluate(
        &mut self,
        number: u64,
        facts: &Facts,
        warnings: &[FactProblem],
        out: &mut Vec<u8>,
    ) -> bool {
        let as_of = self
            .options
            .as_of
            .or_else(|| {
                let slot = self.program.as_of?;
                match facts.values.get(slot.0 as usize)? {
                    Some(Value::Date(d)) => Some(*d),
                    _ => None,
                }
            })
            .unwrap_or(self.options.today);
        let id = self
            .options
            .id
            .and_then(|slot| facts.values.get(slot.0 as usize))
            .and_then(|v| v.as_ref())
            .and_then(|v| id_text(self.program, v));
        match self
            .program
            .decide_into(facts, as_of, &self.options.decisions, &mut self.verdicts)
        {
            Ok(()) => {
                match &mut self.emit {
                    Emit::Json(writer) => writer.record(
                        self.program,
                        number,
                        id.as_deref(),
                        &self.verdicts,
                        &facts.values,
                        as_of,
                        warnings,
                        out,
                    ),
                    #[cfg(feature = "arrow")]
                    Emit::Columns(rows) => {
                        rows.record(number, id.as_deref(), &self.verdicts, as_of, warnings)
                    }
                }
                true
            }
            Err(e) => {
                self.error(number, id.as_deref(), &[whole(e.to_string())], out);
                false
            }
        }
    }
}

/// The text of an id fact, as a fact document writes it; a text fact's
/// own (the usual id) is borrowed, not copied for each record.
fn id_text<'v>(program: &'v Program, value: &'v Value) -> Option<Cow<'v, str>> {
    match value {
        Value::Text(t) => Some(Cow::Borrowed(t)),
        Value::Int(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        Value::Date(d) => Some(Cow::Owned(d.format("%Y-%m-%d").to_string())),
        Value::Money(m) => Some(Cow::Owned(m.to_string())),
        Value::Member(e, i) => program
            .schema
            .enum_type(*e)
            .and_then(|e| e.members.get(*i as usize))
            .map(|m| Cow::Borrowed(m.as_str())),
        Value::Absent => None,
    }
}

/// The id of a line that cannot be evaluated, when the line is JSON at all.
fn id_in_json(line: &[u8], path: &str) -> Option<String> {
    let document: serde_json::Value = serde_json::from_slice(line).ok()?;
    let value = path
        .split('.')
        .try_fold(&document, |v, key| v.as_object()?.get(key))?;
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A problem with the whole line.
pub(crate) fn whole(message: String) -> FactProblem {
    FactProblem::whole(facts::codes::UNREADABLE, message)
}

/// The format records are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// One JSON object a line.
    #[default]
    Jsonl,
    /// One row a line, with a header; lists joined by `;`.
    #[cfg(feature = "arrow")]
    Csv,
    /// One row per account in a Parquet file.
    #[cfg(feature = "arrow")]
    Parquet,
}

/// Evaluates every line of `input`, writing one JSON record per non-blank
/// line to `output` in input order. `progress` hears the running totals
/// after each chunk is written.
pub fn run(
    program: &Program,
    input: impl BufRead + Send,
    output: &mut (impl Write + Send),
    options: &Options,
    progress: &(dyn Fn(&Summary) + Sync),
) -> Result<Summary, BatchError> {
    run_as(
        program,
        input,
        output,
        OutputFormat::Jsonl,
        options,
        progress,
    )
}

/// [`run`] with records in any [`OutputFormat`].
pub fn run_as(
    program: &Program,
    input: impl BufRead + Send,
    output: &mut (impl Write + Send),
    format: OutputFormat,
    options: &Options,
    progress: &(dyn Fn(&Summary) + Sync),
) -> Result<Summary, BatchError> {
    let lines = lines::Blocks::new(Box::new(input), options.max_line_bytes);
    run_with(
        program,
        Input::Lines(lines),
        output,
        format,
        options,
        progress,
    )
}

/// Evaluates every row of a columnar input (Parquet, Arrow batches).
#[cfg(feature = "arrow")]
pub fn run_rows(
    program: &Program,
    rows: columnar::RowSource<'_>,
    output: &mut (impl Write + Send),
    format: OutputFormat,
    options: &Options,
    progress: &(dyn Fn(&Summary) + Sync),
) -> Result<Summary, BatchError> {
    run_with(
        program,
        Input::Rows(rows),
        output,
        format,
        options,
        progress,
    )
}

/// Where records go, chunk by chunk, in input order.
pub(crate) trait Sink {
    fn chunk(&mut self, chunk: &mut Chunk) -> io::Result<()>;
    fn finish(self: Box<Self>) -> io::Result<()>;
}

struct Bytes<'w, W: Write>(&'w mut W);

impl<W: Write> Sink for Bytes<'_, W> {
    fn chunk(&mut self, chunk: &mut Chunk) -> io::Result<()> {
        self.0.write_all(&chunk.out)
    }

    fn finish(self: Box<Self>) -> io::Result<()> {
        self.0.flush()
    }
}

fn run_with(
    program: &Program,
    input: Input<'_>,
    output: &mut (impl Write + Send),
    format: OutputFormat,
    options: &Options,
    progress: &(dyn Fn(&Summary) + Sync),
) -> Result<Summary, BatchError> {
    let shared = Shared::new(program, options, &format);
    let sink: Box<dyn Sink + Send + '_> = match format {
        OutputFormat::Jsonl => Box::new(Bytes(output)),
        #[cfg(feature = "arrow")]
        OutputFormat::Csv => {
            let layout = shared.layout.as_ref().map(columnar::Layout::csv_header);
            output
                .write_all(layout.unwrap_or_default().as_bytes())
                .map_err(BatchError::Write)?;
            Box::new(Bytes(output))
        }
        #[cfg(feature = "arrow")]
        OutputFormat::Parquet => match &shared.layout {
            Some(layout) => layout.parquet(output).map_err(BatchError::Write)?,
            None => Box::new(Bytes(output)),
        },
    };
    turns::pipeline(program, &shared, input, sink, format, options, progress)
}

/// Evaluates every row of `rows` into record batches of the columns
/// [`columnar::Layout`] describes, on `options.jobs` threads.
#[cfg(feature = "arrow")]
pub fn collect_rows(
    program: &Program,
    rows: columnar::RowSource<'_>,
    options: &Options,
) -> Result<
    (
        arrow::datatypes::SchemaRef,
        Vec<arrow::record_batch::RecordBatch>,
        Summary,
    ),
    BatchError,
> {
    let format = OutputFormat::Parquet;
    let shared = Shared::new(program, options, &format);
    let schema = match &shared.layout {
        Some(layout) => layout.schema(),
        None => columnar::Layout::new(program, options).schema(),
    };
    let mut batches = Vec::new();
    let sink = Box::new(Collect(&mut batches));
    let summary = turns::pipeline(
        program,
        &shared,
        Input::Rows(rows),
        sink,
        format,
        options,
        &|_| {},
    )?;
    Ok((schema, batches, summary))
}

#[cfg(feature = "arrow")]
struct Collect<'b>(&'b mut Vec<arrow::record_batch::RecordBatch>);

#[cfg(feature = "arrow")]
impl Sink for Collect<'_> {
    fn chunk(&mut self, chunk: &mut Chunk) -> io::Result<()> {
        self.0.extend(chunk.batch.take());
        Ok(())
    }

    fn finish(self: Box<Self>) -> io::Result<()> {
        Ok(())
    }
}
