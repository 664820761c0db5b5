//! Workers that take turns: each fills its own chunk from the input (one
//! at a time), evaluates it, waits for its turn (chunks are written in the
//! order they were read) and writes it, then starts again. There is no
//! reader or writer thread: a chunk's text, its records and their write
//! stay with one worker, and with two workers on two cores no third thread
//! waits to be scheduled. One chunk per worker bounds the memory.
//!
//! A worker that stops early must not leave the others waiting for a turn
//! that will never come. A chunk's turn number is handed out only when the
//! chunk was read whole, so every number below the last one handed out is
//! held by a live worker; a write error, or a worker's panic, stops every
//! turn and wakes every waiter. A read error only stops the reading: the
//! chunks read before it are still written, and the run ends with it.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::{BatchError, Chunk, Input, Options, OutputFormat, Shared, Sink, Summary, Worker};
use crate::engine::program::Program;

/// The input and where it stands.
struct Feed<'r> {
    input: Input<'r>,
    /// The turn of the next chunk read.
    seq: u64,
    next_line: u64,
    ended: bool,
    error: Option<io::Error>,
}

/// The sink and whose turn it is.
struct Turn<'s> {
    next: u64,
    total: Summary,
    sink: Box<dyn Sink + Send + 's>,
    /// Set by a write error or a worker's panic: no more turns.
    stopped: bool,
    error: Option<io::Error>,
}

struct Run<'r, 's> {
    feed: Mutex<Feed<'r>>,
    turn: Mutex<Turn<'s>>,
    /// Signalled whenever `turn` moves on or stops.
    moved: Condvar,
    /// `turn.stopped`, readable without the lock.
    stopped: AtomicBool,
    progress: &'s (dyn Fn(&Summary) + Sync),
}

/// A lock whose holder panicked is still good: the panic stopped the turns.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads chunks, has `options.jobs` workers (this thread one of them)
/// evaluate them, and hands them to `sink` in input order.
pub(super) fn pipeline<'s>(
    program: &Program,
    shared: &Shared,
    input: Input<'_>,
    sink: Box<dyn Sink + Send + 's>,
    format: OutputFormat,
    options: &Options,
    progress: &'s (dyn Fn(&Summary) + Sync),
) -> Result<Summary, BatchError> {
    let run = Run {
        feed: Mutex::new(Feed {
            input,
            seq: 0,
            next_line: 1,
            ended: false,
            error: None,
        }),
        turn: Mutex::new(Turn {
            next: 0,
            total: Summary::default(),
            sink,
            stopped: false,
            error: None,
        }),
        moved: Condvar::new(),
        stopped: AtomicBool::new(false),
        progress,
    };
    let panicked = std::thread::scope(|scope| {
        let run = &run;
        // A thread that cannot start (a pids or memory limit) leaves fewer
        // workers; with none but this one, the run stops before reading
        // anything, so the caller may run it again on one thread, saying so.
        let mut others = Vec::new();
        for _ in 1..options.jobs.max(1) {
            let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                run.work(shared.worker(program, options, &format));
            });
            match spawned {
                Ok(handle) => others.push(handle),
                Err(e) if others.is_empty() => return Err(BatchError::Spawn(e)),
                Err(_) => break,
            }
        }
        run.work(shared.worker(program, options, &format));
        // Every one joined, not only up to the first that panicked.
        let mut panicked = false;
        for handle in others {
            panicked |= handle.join().is_err();
        }
        Ok(panicked)
    })?;
    let Run { feed, turn, .. } = run;
    let feed = feed.into_inner().unwrap_or_else(PoisonError::into_inner);
    let turn = turn.into_inner().unwrap_or_else(PoisonError::into_inner);
    if let Some(e) = feed.error {
        return Err(BatchError::Read(e));
    }
    if let Some(e) = turn.error {
        return Err(BatchError::Write(e));
    }
    if panicked {
        return Err(BatchError::Write(io::Error::other("a worker stopped")));
    }
    turn.sink.finish().map_err(BatchError::Write)?;
    Ok(turn.total)
}

impl Run<'_, '_> {
    /// One worker's loop, until the input ends or the run stops.
    fn work(&self, mut worker: Worker<'_>) {
        let _stop = StopOnPanic(self);
        let mut chunk = Chunk::default();
        while let Some(seq) = self.read(&mut chunk) {
            worker.process(&mut chunk);
            if !self.write(seq, &mut chunk) {
                return;
            }
        }
    }

    /// Fills the chunk; its turn, or none when there is nothing more to do.
    fn read(&self, chunk: &mut Chunk) -> Option<u64> {
        let mut feed = lock(&self.feed);
        if feed.ended || self.stopped.load(Ordering::Relaxed) {
            return None;
        }
        let (seq, first_line) = (feed.seq, feed.next_line);
        match chunk.fill(&mut feed.input, seq, first_line) {
            Ok(true) => {
                feed.seq += 1;
                feed.next_line += chunk.count() as u64;
                Some(seq)
            }
            Ok(false) => {
                feed.ended = true;
                None
            }
            Err(e) => {
                feed.ended = true;
                feed.error = Some(e);
                None
            }
        }
    }

    /// Waits for the chunk's turn and writes it; false when the run stopped.
    fn write(&self, seq: u64, chunk: &mut Chunk) -> bool {
        let mut turn = lock(&self.turn);
        while turn.next != seq && !turn.stopped {
            turn = self
                .moved
                .wait(turn)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if turn.stopped {
            return false;
        }
        let state = &mut *turn;
        let written = match state.sink.chunk(chunk) {
            Ok(()) => {
                state.total.add(&chunk.summary);
                (self.progress)(&state.total);
                state.next += 1;
                true
            }
            Err(e) => {
                state.error = Some(e);
                state.stopped = true;
                self.stopped.store(true, Ordering::Relaxed);
                false
            }
        };
        drop(turn);
        self.moved.notify_all();
        written
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        lock(&self.turn).stopped = true;
        self.moved.notify_all();
    }
}

/// Stops every turn when its worker panics, so no other waits forever.
struct StopOnPanic<'a, 'r, 's>(&'a Run<'r, 's>);

impl Drop for StopOnPanic<'_, '_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}
