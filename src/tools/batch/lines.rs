//! The input of JSON Lines, read a block at a time straight into a chunk's
//! text and cut at its last newline; the part line after it is carried into
//! the next chunk. The worker that holds the input only reads and counts
//! newlines; finding each line's end is left to the worker that evaluates
//! the chunk, in parallel with the others.
//!
//! A line longer than the limit is never held whole: once the part of a line
//! not yet ended passes the limit, the rest of it is read and dropped, block
//! by block, up to its newline, and the chunk holds only its length. (A line
//! over the limit that fits in the blocks already read is kept, bounded by
//! the block size, and the worker gives it the same error record.)

use std::io::{self, BufRead};

/// Bytes asked of the input at each read: a chunk's text, for a file.
const BLOCK: usize = 256 << 10;

/// A chunk's text: complete lines (the input's last line may lack its
/// newline). The buffer is zeroed once and then only overwritten, so
/// reading into it costs no clearing.
#[derive(Debug, Default)]
pub(crate) struct Text {
    buffer: Vec<u8>,
    filled: usize,
}

impl Text {
    pub(crate) fn bytes(&self) -> &[u8] {
        self.buffer.get(..self.filled).unwrap_or(&[])
    }

    pub(crate) fn clear(&mut self) {
        self.filled = 0;
    }

    /// Room for `more` bytes after the filled ones, as a slice to read into.
    fn room(&mut self, more: usize) -> &mut [u8] {
        let end = self.filled.saturating_add(more);
        if self.buffer.len() < end {
            self.buffer.resize(end, 0);
        }
        self.buffer.get_mut(self.filled..end).unwrap_or(&mut [])
    }

    fn push(&mut self, bytes: &[u8]) {
        let room = self.room(bytes.len());
        room.copy_from_slice(bytes);
        self.filled += bytes.len();
    }
}

/// What one fill found.
pub(crate) enum Filled {
    /// The end of the input: nothing more.
    End,
    /// This many lines in the text.
    Lines(usize),
    /// One line over the limit, skipped to its end: its length (without
    /// its newline). The text is empty.
    Long(u64),
}

/// The input of JSON Lines and the part line carried between fills.
pub(crate) struct Blocks<'r> {
    input: Box<dyn BufRead + Send + 'r>,
    /// The bytes read after the last chunk's last newline.
    carry: Vec<u8>,
    ended: bool,
    /// Bytes read since the last fill.
    consumed: u64,
    max: usize,
}

impl<'r> Blocks<'r> {
    /// Lines of at most `max` bytes (not counting their line end).
    pub(crate) fn new(input: Box<dyn BufRead + Send + 'r>, max: usize) -> Blocks<'r> {
        Blocks {
            input,
            carry: Vec::new(),
            ended: false,
            consumed: 0,
            max,
        }
    }

    /// Bytes read since the last call.
    pub(crate) fn take_consumed(&mut self) -> u64 {
        std::mem::take(&mut self.consumed)
    }

    /// Fills `text` with the next whole lines: those of one read, or of as
    /// many as it takes to end a line. Not waiting for more keeps a slow
    /// input (a pipe, a terminal) flowing: what has come is evaluated.
    pub(crate) fn fill(&mut self, text: &mut Text) -> io::Result<Filled> {
        text.clear();
        text.push(&self.carry);
        self.carry.clear();
        // Where the line not yet ended starts.
        let mut open = memchr::memrchr(b'\n', text.bytes()).map_or(0, |i| i + 1);
        loop {
            let partial = text.filled - open;
            // Past the limit by more than a `\r`: too long whatever follows.
            if partial > self.max.saturating_add(1) {
                if open > 0 {
                    // The lines before it first; the next fill skips it.
                    self.carry_from(text, open);
                    return Ok(Filled::Lines(count(text.bytes())));
                }
                return self.skip(text, partial as u64);
            }
            if self.ended {
                if text.filled == 0 {
                    return Ok(Filled::End);
                }
                return Ok(Filled::Lines(count(text.bytes())));
            }
            if open > 0 {
                self.carry_from(text, open);
                return Ok(Filled::Lines(count(text.bytes())));
            }
            let start = text.filled;
            // Whole lines read before an error were handed out already.
            let read = self.read(text)?;
            if read == 0 {
                self.ended = true;
            } else if let Some(i) = text
                .bytes()
                .get(start..)
                .and_then(|new| memchr::memrchr(b'\n', new))
            {
                open = start + i + 1;
            }
        }
    }

    /// Reads the rest of a line over the limit, `length` bytes of it read
    /// so far, without keeping it; what follows its newline is carried.
    fn skip(&mut self, text: &mut Text, mut length: u64) -> io::Result<Filled> {
        loop {
            text.clear();
            if self.ended {
                return Ok(Filled::Long(length));
            }
            let read = self.read(text)?;
            if read == 0 {
                self.ended = true;
                continue;
            }
            let block = text.bytes();
            if let Some(i) = memchr::memchr(b'\n', block) {
                length += i as u64;
                self.carry
                    .extend_from_slice(block.get(i + 1..).unwrap_or(&[]));
                text.clear();
                return Ok(Filled::Long(length));
            }
            length += read as u64;
        }
    }

    /// Moves the text from `at` on into the carry.
    fn carry_from(&mut self, text: &mut Text, at: usize) {
        self.carry
            .extend_from_slice(text.bytes().get(at..).unwrap_or(&[]));
        text.filled = at;
    }

    /// Reads a block onto the text; 0 at the end of the input.
    fn read(&mut self, text: &mut Text) -> io::Result<usize> {
        loop {
            match self.input.read(text.room(BLOCK)) {
                Ok(n) => {
                    text.filled += n;
                    self.consumed += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Lines in complete-line text: its newlines, and a last line without one.
fn count(text: &[u8]) -> usize {
    // memchr counts with vector compares, many bytes at a time.
    let newlines = memchr::memchr_iter(b'\n', text).count();
    newlines + usize::from(text.last().is_some_and(|&b| b != b'\n'))
}

/// The lines of a chunk's text, each without its `\n` (a `\r` before it is
/// kept: the caller strips it).
pub(crate) fn split(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, after) = match memchr::memchr(b'\n', rest) {
            Some(i) => (rest.get(..i), rest.get(i + 1..)),
            None => (Some(rest), Some(&[][..])),
        };
        rest = after.unwrap_or(&[]);
        line
    })
}
