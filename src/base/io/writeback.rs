//! The disk's work started while a large file is still being written.
//!
//! An [`super::AtomicFile`] is synced before it is renamed into place. The
//! kernel keeps written pages in memory until then, so a run that writes
//! 128 MB of records used to make them, then wait for the disk to take all
//! 128 MB at the end. Here, every [`EVERY`] bytes a second thread syncs what
//! has been written so far, so the disk works while the records are made
//! and the final sync finds little left. The final sync stays: this only
//! moves the disk's work earlier, it promises nothing by itself.
//!
//! On Linux, what an early sync has put on the disk is then dropped from
//! the page cache (`posix_fadvise(DONTNEED)`): a nightly output is not read
//! back by the run that writes it, and cached pages of a file are freed when
//! it is replaced, inside the `rename` of the next run over it (30-34 ms
//! for 107 MB of records, against 16-18 ms when they are not cached).
//! Dropping them here does that work on this thread, while records are
//! still being made.

use std::fs::File;
use std::io;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

/// How much is written between two early syncs: small files never start one.
const EVERY: u64 = 8 << 20;

/// The early syncs of one file.
pub(super) struct Writeback {
    next: u64,
    started: Option<Started>,
    /// Set once starting failed (no file handle or no thread to spare): the
    /// file is written as before, synced only at the end.
    off: bool,
}

struct Started {
    requests: SyncSender<()>,
    worker: JoinHandle<io::Result<()>>,
}

impl Writeback {
    pub(super) fn new() -> Writeback {
        Writeback {
            next: EVERY,
            started: None,
            off: false,
        }
    }

    /// `written` bytes are in `file` so far.
    pub(super) fn wrote(&mut self, file: &File, written: u64) {
        if self.off || written < self.next {
            return;
        }
        self.next = written.saturating_add(EVERY);
        if self.started.is_none() {
            self.started = start(file);
            self.off = self.started.is_none();
        }
        if let Some(started) = &self.started {
            // Full: a sync is already asked for, and it will cover these
            // bytes too. Disconnected: the worker stopped on an error, which
            // `finish` reports.
            let _ = started.requests.try_send(());
        }
    }

    /// Waits for the early syncs; an error of theirs is the file's error
    /// (the kernel reports a failed write-back once, perhaps to them alone).
    pub(super) fn finish(self) -> io::Result<()> {
        let Some(Started { requests, worker }) = self.started else {
            return Ok(());
        };
        drop(requests);
        worker
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the write-back thread failed")))
    }
}

fn start(file: &File) -> Option<Started> {
    let file = file.try_clone().ok()?;
    let (requests, asked) = sync_channel::<()>(1);
    let worker = std::thread::Builder::new()
        .name("credo-writeback".to_owned())
        .spawn(move || {
            let mut dropped = 0;
            for () in asked {
                let written = file.metadata()?.len();
                file.sync_data()?;
                dropped = drop_cached(&file, dropped, written);
            }
            Ok(())
        })
        .ok()?;
    Some(Started { requests, worker })
}

/// Drops the pages of `file` from `from` to `to` (rounded down to whole
/// pages: the last one may be written again) from the page cache, once
/// they are on the disk; where that ended.
#[cfg(target_os = "linux")]
fn drop_cached(file: &File, from: u64, to: u64) -> u64 {
    const PAGE: u64 = 4096;
    let to = to - to % PAGE;
    let Some(length) = std::num::NonZeroU64::new(to.saturating_sub(from)) else {
        return from;
    };
    // Advice only: when it cannot be taken the pages stay cached, as they
    // would have without it.
    let _ = rustix::fs::fadvise(file, from, Some(length), rustix::fs::Advice::DontNeed);
    to
}

#[cfg(not(target_os = "linux"))]
fn drop_cached(_: &File, from: u64, _: u64) -> u64 {
    from
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "a failed expectation is the point of a test"
    )]
    use super::*;
    use std::io::Write as _;

    #[test]
    fn a_small_file_starts_no_early_sync() {
        let file = tempfile::tempfile().unwrap();
        let mut writeback = Writeback::new();
        writeback.wrote(&file, EVERY - 1);
        assert!(writeback.started.is_none());
        assert!(writeback.finish().is_ok());
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn only_whole_pages_already_written_are_dropped() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&[b'x'; 10_000]).unwrap();
        file.sync_data().unwrap();
        // The page holding byte 10,000 may be written again: it is kept.
        assert_eq!(drop_cached(&file, 0, 10_000), 8192);
        assert_eq!(drop_cached(&file, 8192, 10_000), 8192);
        assert_eq!(drop_cached(&file, 8192, 12_288), 12_288);
    }

    #[test]
    fn a_large_file_is_synced_while_it_is_written() {
        let mut file = tempfile::tempfile().unwrap();
        let chunk = vec![b'x'; 1 << 20];
        let mut writeback = Writeback::new();
        let mut written = 0;
        while written < 3 * EVERY {
            file.write_all(&chunk).unwrap();
            written += chunk.len() as u64;
            writeback.wrote(&file, written);
        }
        assert!(writeback.started.is_some());
        assert_eq!(writeback.next, 3 * EVERY + EVERY);
        assert!(writeback.finish().is_ok());
    }
}
