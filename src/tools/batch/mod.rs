//! `credo batch`: evaluates one account per line of JSON Lines, on every
//! core, and writes one JSON result per line in input order.
//!
//! Lines travel in chunks through a fixed pool: the reader fills a free
//! chunk, a worker evaluates it, the writer puts chunks back in order,
//! writes them and returns them to the pool. With the pool full the reader
//! waits, so memory stays the same whatever the input's size, and the
//! output is the same bytes whatever the number of workers.
//!
//! A blank line (nothing but spaces) holds no account: it gets no record
//! and is counted as blank. A line that cannot be read or evaluated gets an
//! error record, and the run goes on.

mod write;

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use chrono::NaiveDate;

use crate::engine::program::Program;
use crate::engine::verdict::Verdicts;
use crate::input::facts::{self, FactProblem, Facts, Format};
use crate::model::ir::Value;

pub use crate::input::fast::{ReadState, SlotReader};
pub use write::RecordWriter;

/// How to run a batch.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Worker threads; 1 runs everything on the calling thread.
    pub jobs: usize,
    /// The evaluation date for every line (`--as-of`); else each line's own
    /// `as_of`; else `today`.
    pub as_of: Option<NaiveDate>,
    pub today: NaiveDate,
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
}

/// Lines per chunk, and bytes at which a chunk is full anyway.
const CHUNK_LINES: usize = 256;
const CHUNK_BYTES: usize = 1 << 20;

/// A run of input lines and, once evaluated, their records.
#[derive(Debug, Default)]
struct Chunk {
    seq: u64,
    first_line: u64,
    text: Vec<u8>,
    /// Where each line ends in `text`.
    ends: Vec<usize>,
    out: Vec<u8>,
    summary: Summary,
}

impl Chunk {
    /// Fills the chunk from `input`; false at the end of the input.
    fn fill(&mut self, input: &mut impl BufRead, seq: u64, first_line: u64) -> io::Result<bool> {
        self.seq = seq;
        self.first_line = first_line;
        self.text.clear();
        self.ends.clear();
        self.out.clear();
        self.summary = Summary::default();
        while self.ends.len() < CHUNK_LINES && self.text.len() < CHUNK_BYTES {
            if input.read_until(b'\n', &mut self.text)? == 0 {
                break;
            }
            self.ends.push(self.text.len());
        }
        self.summary.bytes = self.text.len() as u64;
        Ok(!self.ends.is_empty())
    }

    fn lines(&self) -> impl Iterator<Item = (u64, &[u8])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .enumerate()
            .map(|(i, (start, end))| {
                let line = self.text.get(start..end).unwrap_or(&[]);
                let line = line.strip_suffix(b"\n").unwrap_or(line);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                (self.first_line + i as u64, line)
            })
    }
}

/// One worker's reusable state.
struct Worker<'p> {
    program: &'p Program,
    options: Options,
    reader: &'p SlotReader,
    writer: &'p RecordWriter,
    state: ReadState,
    facts: Facts,
    verdicts: Verdicts,
}

impl<'p> Worker<'p> {
    fn new(
        program: &'p Program,
        options: Options,
        reader: &'p SlotReader,
        writer: &'p RecordWriter,
    ) -> Self {
        Worker {
            program,
            options,
            reader,
            writer,
            state: ReadState::default(),
            facts: Facts { values: Vec::new() },
            verdicts: Verdicts::default(),
        }
    }

    fn process(&mut self, chunk: &mut Chunk) {
        let mut out = std::mem::take(&mut chunk.out);
        let mut summary = chunk.summary;
        for (number, line) in chunk.lines() {
            summary.read += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                summary.blank += 1;
            } else if self.line(number, line, &mut out) {
                summary.evaluated += 1;
            } else {
                summary.failed += 1;
            }
        }
        chunk.out = out;
        chunk.summary = summary;
    }

    /// Evaluates one line into its record; false when it gets an error record.
    fn line(&mut self, number: u64, line: &[u8], out: &mut Vec<u8>) -> bool {
        let loaded;
        let (facts, warnings): (&Facts, &[FactProblem]) =
            if self
                .reader
                .read(line, &mut self.state, &mut self.facts.values)
            {
                (&self.facts, &[])
            } else {
                let text = match std::str::from_utf8(line) {
                    Ok(text) => text,
                    Err(e) => {
                        let problem = whole(format!(
                            "not UTF-8 text (invalid byte at offset {})",
                            e.valid_up_to()
                        ));
                        self.writer.error(number, &[problem], out);
                        return false;
                    }
                };
                match facts::load_text(&self.program.schema, text, Format::Json) {
                    Ok(l) => {
                        loaded = l;
                        (&loaded.facts, &loaded.warnings)
                    }
                    Err(problems) => {
                        self.writer.error(number, &problems, out);
                        return false;
                    }
                }
            };
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
        match self
            .program
            .decide_into(facts, as_of, &[], &mut self.verdicts)
        {
            Ok(()) => {
                self.writer
                    .record(number, &self.verdicts, as_of, warnings, out);
                true
            }
            Err(e) => {
                self.writer.error(number, &[whole(e.to_string())], out);
                false
            }
        }
    }
}

/// A problem with the whole line.
fn whole(message: String) -> FactProblem {
    FactProblem {
        path: String::new(),
        message,
        help: None,
        position: None,
        severity: crate::lang::diagnostics::Severity::Error,
    }
}

/// Evaluates every line of `input`, writing one record per non-blank line
/// to `output` in input order. `progress` hears the running totals after
/// each chunk is written.
pub fn run(
    program: &Program,
    mut input: impl BufRead,
    output: &mut (impl Write + Send),
    options: Options,
    progress: &(dyn Fn(&Summary) + Sync),
) -> Result<Summary, BatchError> {
    let reader = SlotReader::new(&program.schema);
    let writer = RecordWriter::new(program);
    if options.jobs <= 1 {
        let mut worker = Worker::new(program, options, &reader, &writer);
        let mut chunk = Chunk::default();
        let mut total = Summary::default();
        let mut seq = 0;
        while chunk
            .fill(&mut input, seq, total.read + 1)
            .map_err(BatchError::Read)?
        {
            worker.process(&mut chunk);
            output.write_all(&chunk.out).map_err(BatchError::Write)?;
            total.add(&chunk.summary);
            progress(&total);
            seq += 1;
        }
        output.flush().map_err(BatchError::Write)?;
        return Ok(total);
    }
    let pool = options.jobs * 4;
    let (free_tx, free_rx) = sync_channel::<Chunk>(pool);
    for _ in 0..pool {
        let _ = free_tx.send(Chunk::default());
    }
    let (work_tx, work_rx) = sync_channel::<Chunk>(pool);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = sync_channel::<Chunk>(pool);
    std::thread::scope(|scope| {
        for _ in 0..options.jobs {
            let done_tx = done_tx.clone();
            let (work_rx, reader, writer) = (&work_rx, &reader, &writer);
            scope.spawn(move || {
                let mut worker = Worker::new(program, options, reader, writer);
                // When the writer has stopped, chunks are drained unread so
                // that the reader never waits on a full queue.
                let mut writer_gone = false;
                loop {
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok(mut chunk) = next else { break };
                    if !writer_gone {
                        worker.process(&mut chunk);
                        writer_gone = done_tx.send(chunk).is_err();
                    }
                }
            });
        }
        drop(done_tx);
        let writing = scope.spawn(move || in_order(done_rx, free_tx, output, progress));
        let mut read = Ok(());
        let mut seq = 0;
        let mut next_line = 1;
        while let Ok(mut chunk) = free_rx.recv() {
            match chunk.fill(&mut input, seq, next_line) {
                Ok(true) => {
                    next_line += chunk.ends.len() as u64;
                    seq += 1;
                    if work_tx.send(chunk).is_err() {
                        break;
                    }
                }
                Ok(false) => break,
                Err(e) => {
                    read = Err(BatchError::Read(e));
                    break;
                }
            }
        }
        drop(work_tx);
        drop(free_rx);
        let written = writing
            .join()
            .unwrap_or_else(|_| Err(BatchError::Write(io::Error::other("the writer stopped"))));
        read.and(written)
    })
}

/// The writer: puts chunks back in input order, writes them, and returns
/// them to the pool.
fn in_order(
    done: Receiver<Chunk>,
    free: SyncSender<Chunk>,
    output: &mut impl Write,
    progress: &(dyn Fn(&Summary) + Sync),
) -> Result<Summary, BatchError> {
    let mut waiting: BTreeMap<u64, Chunk> = BTreeMap::new();
    let mut next = 0;
    let mut total = Summary::default();
    for chunk in done {
        waiting.insert(chunk.seq, chunk);
        while let Some(chunk) = waiting.remove(&next) {
            output.write_all(&chunk.out).map_err(BatchError::Write)?;
            total.add(&chunk.summary);
            progress(&total);
            next += 1;
            // The reader may have stopped; then the chunk is simply dropped.
            let _ = free.send(chunk);
        }
    }
    output.flush().map_err(BatchError::Write)?;
    Ok(total)
}
