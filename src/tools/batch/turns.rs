//! Workers that take turns: each takes a free chunk, fills it from the
//! input (one worker at a time), evaluates it and hands it in. Chunks are
//! written in the order they were read: a worker handing in the chunk whose
//! turn it is writes it, and then any handed in early by the others, while
//! the others go on (the lock is not held while writing). There is no
//! reader or writer thread: a chunk's text and records are made on one
//! core and, unless it was early, written from there too, and with two
//! workers on two cores no third thread waits to be scheduled. A worker
//! whose chunk waits for an earlier one (its worker off its core) takes
//! another; a fixed pool of chunks per worker bounds the memory.
//!
//! A worker that stops early must not leave the others waiting. A chunk's
//! turn is handed out only when the chunk was read whole, so every turn
//! before the last one handed out is held by a live worker or written; a
//! write error, or a worker's panic, stops the run and wakes every waiter.
//! A read error only stops the reading: the chunks read before it are
//! still written, and the run ends with it.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::{BatchError, Chunk, Input, Options, OutputFormat, Shared, Sink, Summary, Worker};
use crate::engine::program::Program;

/// Chunks per worker: a worker whose chunk waits for a turn (the worker
/// before it is off its core) goes on with another, up to this many.
const CHUNKS_PER_WORKER: usize = 4;

/// The input and where it stands.
struct Feed<'r> {
    input: Input<'r>,
    /// The turn of the next chunk read.
    seq: u64,
    next_line: u64,
    ended: bool,
    error: Option<io::Error>,
}

/// The sink, the chunks evaluated but not yet written, and the free ones.
struct Turn<'s> {
    /// The turn of the next chunk to write.
    next: u64,
    total: Summary,
    /// Taken by the worker writing, so that the others can go on
    /// handing in chunks meanwhile; `None` while someone writes.
    sink: Option<Box<dyn Sink + Send + 's>>,
    /// Evaluated chunks waiting for their turn, by turn.
    waiting: BTreeMap<u64, Chunk>,
    free: Vec<Chunk>,
    /// Chunks made so far, at most `pool`.
    made: usize,
    pool: usize,
    /// Set by a write error or a worker's panic: no more turns.
    stopped: bool,
    error: Option<io::Error>,
}

struct Run<'r, 's> {
    feed: Mutex<Feed<'r>>,
    turn: Mutex<Turn<'s>>,
    /// Signalled whenever a chunk is freed or the run stops.
    freed: Condvar,
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
            sink: Some(sink),
            waiting: BTreeMap::new(),
            free: Vec::new(),
            made: 0,
            pool: options.jobs.max(1).saturating_mul(CHUNKS_PER_WORKER),
            stopped: false,
            error: None,
        }),
        freed: Condvar::new(),
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
    match turn.sink {
        Some(sink) if !panicked => {
            sink.finish().map_err(BatchError::Write)?;
            Ok(turn.total)
        }
        _ => Err(BatchError::Write(io::Error::other("a worker stopped"))),
    }
}

impl Run<'_, '_> {
    /// One worker's loop, until the input ends or the run stops.
    fn work(&self, mut worker: Worker<'_>) {
        let _stop = StopOnPanic(self);
        while let Some(mut chunk) = self.take_free() {
            let Some(seq) = self.read(&mut chunk) else {
                return;
            };
            worker.process(&mut chunk);
            if !self.hand_in(seq, chunk) {
                return;
            }
        }
    }

    /// A free chunk, waiting for one while all are taken; none once the
    /// run has stopped.
    fn take_free(&self) -> Option<Chunk> {
        let mut turn = lock(&self.turn);
        loop {
            if turn.stopped {
                return None;
            }
            if let Some(chunk) = turn.free.pop() {
                return Some(chunk);
            }
            if turn.made < turn.pool {
                turn.made += 1;
                return Some(Chunk::default());
            }
            turn = self
                .freed
                .wait(turn)
                .unwrap_or_else(PoisonError::into_inner);
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

    /// Hands in an evaluated chunk. When no one is writing, this worker
    /// writes every chunk whose turn has come, its own and those handed in
    /// early by others, without holding the lock while it writes; false
    /// when the run stopped.
    fn hand_in(&self, seq: u64, chunk: Chunk) -> bool {
        let mut turn = lock(&self.turn);
        if turn.stopped {
            return false;
        }
        turn.waiting.insert(seq, chunk);
        let Some(mut sink) = turn.sink.take() else {
            // The worker writing takes it on its next look.
            return true;
        };
        loop {
            let next = turn.next;
            let Some(mut chunk) = turn.waiting.remove(&next) else {
                // Checked and given back under one lock: a chunk handed in
                // after this finds the sink here.
                turn.sink = Some(sink);
                return true;
            };
            drop(turn);
            let written = sink.chunk(&mut chunk);
            turn = lock(&self.turn);
            match written {
                Ok(()) => {
                    turn.total.add(&chunk.summary);
                    (self.progress)(&turn.total);
                    turn.next += 1;
                    turn.free.push(chunk);
                    self.freed.notify_one();
                }
                Err(e) => {
                    turn.error = Some(e);
                    turn.sink = Some(sink);
                    turn.stopped = true;
                    self.stopped.store(true, Ordering::Relaxed);
                    drop(turn);
                    self.freed.notify_all();
                    return false;
                }
            }
        }
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        lock(&self.turn).stopped = true;
        self.freed.notify_all();
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
