//! SIGINT and SIGTERM while writing: the run ends between whole records,
//! and a file being written is removed, so the target keeps its old content.
//! Also the test seam for a full disk.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Held while a run of whole records is written, and by a signal that stops
/// the run: so a signal lands between records, never inside one.
static WRITING: Mutex<()> = Mutex::new(());

/// Bytes of whole records written so far, for the message on a signal
/// (bytes, not records: counting line ends would read every byte again).
static BYTES_WRITTEN: AtomicU64 = AtomicU64::new(0);

/// The test seam for a full disk: `CREDO_TEST_DISK_FULL_AFTER=N` makes every
/// file credo writes fail, as on a full disk, after N bytes.
pub fn disk_full_after() -> Option<u64> {
    std::env::var("CREDO_TEST_DISK_FULL_AFTER")
        .ok()?
        .parse()
        .ok()
}

/// An output that takes each write (batch writes runs of whole records)
/// whole, under [`WRITING`], and passes it on at once.
pub struct WholeRecords<W>(pub W);

impl<W: Write> Write for WholeRecords<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let _writing = WRITING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.0.write_all(buf)?;
        self.0.flush()?;
        BYTES_WRITTEN.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// On SIGINT, SIGTERM or SIGHUP: wait for the records being written, remove every
/// temporary file not yet renamed into place (so an output file is left as
/// it was), and exit 130, 143 or 129. The handlers are registered by the thread
/// that serves them, so that when no thread can start the signals keep
/// their default action rather than being caught and never served.
pub fn stop_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let (ready, registered) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("signals".to_owned())
        .stack_size(256 << 10)
        .spawn(move || {
            // A hangup (the terminal closed) ends the run as the others do:
            // by default it killed the process and left the temporary file.
            let signals = signal_hook::iterator::Signals::new([SIGHUP, SIGINT, SIGTERM]);
            let _ = ready.send(());
            let Ok(mut signals) = signals else {
                return;
            };
            if let Some(signal) = signals.forever().next() {
                stop(signal);
            }
        });
    if spawned.is_ok() {
        let _ = registered.recv();
    }
}

fn stop(signal: i32) -> ! {
    let _writing = WRITING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (abandoned, files) = credo::base::io::abandon_pending();
    let name = match signal {
        signal_hook::consts::SIGINT => "SIGINT",
        signal_hook::consts::SIGHUP => "SIGHUP",
        _ => "SIGTERM",
    };
    let written = BYTES_WRITTEN.load(Ordering::Relaxed);
    let what = if files > 0 {
        "the output file was left as it was".to_owned()
    } else if written == 0 {
        "nothing was written".to_owned()
    } else {
        format!(
            "{} written, ending with a whole record",
            crate::output::counted(written, "byte")
        )
    };
    say!("error: stopped by {name}; {what}");
    drop(abandoned);
    std::process::exit(128 + signal);
}
