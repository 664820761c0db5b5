//! Reading and writing files so that nothing is lost and nothing grows
//! without bound.
//!
//! Every input credo reads goes through [`read_bounded`] (or one of its
//! wrappers): it reads at most one byte past the limit, so a stream that
//! never ends (a FIFO, `/dev/zero`, a process substitution) is refused in
//! bounded memory and time, whatever the source.
//!
//! Every file credo writes goes through [`AtomicFile`]: the bytes go to a
//! temporary file beside the target, which is synced and renamed over the
//! target only when everything was written. A run that fails or is stopped
//! leaves the previous file, or no file, never a torn one.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, BufRead as _, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

mod writeback;

/// The largest byte or count limit credo accepts: larger values could not
/// be honoured (a buffer that size cannot be allocated, and `limit + 1`
/// must not wrap).
pub const LARGEST_LIMIT: usize = 1 << 40;

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// More than the limit; nothing past one byte over it was read.
    #[error("it is larger than the limit of {}", crate::base::limits::bytes(*limit))]
    TooLarge { limit: usize },
    /// One line of a line-oriented input is longer than the limit.
    #[error("line {line} is longer than the limit of {}", crate::base::limits::bytes(*limit))]
    LineTooLong { line: usize, limit: usize },
    #[error("cannot read: {0}")]
    Io(#[from] io::Error),
}

/// Opens `path` for reading, or stdin for `-`.
pub fn open(path: &Path) -> io::Result<Box<dyn Read + Send>> {
    if path == Path::new("-") {
        return Ok(Box::new(io::stdin()));
    }
    let file = File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a directory",
        ));
    }
    Ok(Box::new(file))
}

/// All of `input`, or [`ReadError::TooLarge`] after reading at most
/// `limit + 1` bytes.
pub fn read_bounded(input: impl Read, limit: usize) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    input
        .take((limit as u64).saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// [`read_bounded`] of a file, or of stdin for `-`.
pub fn read_path(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
    read_bounded(open(path)?, limit)
}

/// All of a line-oriented input (`-` for stdin): each line at most
/// `line_limit` bytes, the whole at most `total_limit`. A line without an
/// end that runs past `line_limit` is refused as soon as it does.
pub fn read_lines(
    path: &Path,
    line_limit: usize,
    total_limit: usize,
) -> Result<Vec<u8>, ReadError> {
    let mut input = io::BufReader::new(open(path)?);
    let mut bytes = Vec::new();
    let mut line = 0;
    loop {
        line += 1;
        let start = bytes.len();
        let room = (line_limit as u64).saturating_add(2);
        let read = (&mut input).take(room).read_until(b'\n', &mut bytes)?;
        if read == 0 {
            return Ok(bytes);
        }
        let text = bytes.get(start..).unwrap_or(&[]);
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.len() > line_limit {
            return Err(ReadError::LineTooLong {
                line,
                limit: line_limit,
            });
        }
        if bytes.len() > total_limit {
            return Err(ReadError::TooLarge { limit: total_limit });
        }
    }
}

/// Whether two paths name the same file (same device and inode), through
/// any links. A path that does not exist is no file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => identity(&a) == identity(&b),
        _ => false,
    }
}

#[cfg(unix)]
fn identity(m: &Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt as _;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn identity(m: &Metadata) -> (u64, u64) {
    (m.len(), 0)
}

/// Why a file could not be written. The target is as it was.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the output `{0}` is the input; writing it would destroy what is being read")]
    SameAsInput(String),
    #[error("`{0}` is read-only")]
    ReadOnly(String),
    #[error("`{path}` has {links} hard links; replacing it would break them")]
    HardLinked { path: String, links: u64 },
    #[error("`{0}` is not a regular file")]
    NotRegular(String),
    #[error("`{path}`: cannot keep its owner: {error}")]
    Owner { path: String, error: io::Error },
    #[error("`{path}`: {error}")]
    Io { path: String, error: io::Error },
}

impl WriteError {
    /// The I/O error beneath, if any (to tell a broken pipe or a full disk).
    pub fn io(&self) -> Option<&io::Error> {
        match self {
            WriteError::Io { error, .. } | WriteError::Owner { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Temporary files not yet renamed into place, so that a run that is
/// stopped by a signal can remove them.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes every temporary file not yet renamed into place, and says how
/// many. The lock comes back held: keep it until the process exits, so that
/// no file is renamed into place after.
pub fn abandon_pending() -> (MutexGuard<'static, Vec<PathBuf>>, usize) {
    let mut files = pending();
    let count = files.len();
    for path in files.drain(..) {
        let _ = std::fs::remove_file(path);
    }
    (files, count)
}

/// A file being written: a temporary file beside the target, renamed over
/// it by [`AtomicFile::commit`]. Dropped without a commit, it is removed and
/// the target is left as it was.
pub struct AtomicFile {
    temporary: Option<tempfile::NamedTempFile>,
    /// The file replaced: the target with every link followed.
    target: PathBuf,
    shown: String,
    /// The target's metadata, when it exists: its mode and owner are kept.
    existing: Option<Metadata>,
    written: u64,
    fail_after: Option<u64>,
    writeback: writeback::Writeback,
}

impl AtomicFile {
    /// Checks that `target` may be replaced, and opens a temporary file
    /// beside it. A target that is a link is followed: the file it points to
    /// is the one replaced, and the link stays. Refused: a target that is
    /// not a regular file, one its user cannot write or whose owner cannot
    /// write, and one with other hard links (which replacing would break).
    pub fn create(target: &Path) -> Result<AtomicFile, WriteError> {
        let shown = target.display().to_string();
        let io_error = |error: io::Error| WriteError::Io {
            path: shown.clone(),
            error,
        };
        let (resolved, existing) = match std::fs::metadata(target) {
            Ok(metadata) => {
                if !metadata.is_file() {
                    return Err(WriteError::NotRegular(shown));
                }
                let resolved = std::fs::canonicalize(target).map_err(io_error)?;
                check_writable(&resolved, &metadata, &shown)?;
                (resolved, Some(metadata))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if std::fs::symlink_metadata(target).is_ok() {
                    return Err(io_error(io::Error::new(
                        io::ErrorKind::NotFound,
                        "it is a link to a file that does not exist",
                    )));
                }
                (target.to_path_buf(), None)
            }
            Err(e) => return Err(io_error(e)),
        };
        let dir = match resolved.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut files = pending();
        let mut builder = tempfile::Builder::new();
        builder.prefix(".credo-").suffix(".tmp");
        // A new file gets the mode a plain create would give it (0666 less
        // the umask), not a temporary file's 0600; a replaced one gets its
        // old mode at the commit.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temporary = builder.tempfile_in(&dir).map_err(|e| WriteError::Io {
            path: shown.clone(),
            error: io::Error::new(
                e.kind(),
                format!("cannot create a file in `{}`: {e}", dir.display()),
            ),
        })?;
        files.push(temporary.path().to_path_buf());
        drop(files);
        Ok(AtomicFile {
            temporary: Some(temporary),
            target: resolved,
            shown,
            existing,
            written: 0,
            fail_after: None,
            writeback: writeback::Writeback::new(),
        })
    }

    /// A test seam: writing fails as on a full disk once `bytes` are written.
    pub fn fail_after(mut self, bytes: Option<u64>) -> AtomicFile {
        self.fail_after = bytes;
        self
    }

    /// Syncs the new file, gives it the old one's mode and owner, and
    /// renames it over the target.
    pub fn commit(mut self) -> Result<(), WriteError> {
        let Some(mut temporary) = self.temporary.take() else {
            return Ok(());
        };
        let shown = self.shown.clone();
        let io_error = |error: io::Error| WriteError::Io {
            path: shown.clone(),
            error,
        };
        let path = temporary.path().to_path_buf();
        let result = (|| {
            temporary.flush().map_err(io_error)?;
            std::mem::replace(&mut self.writeback, writeback::Writeback::new())
                .finish()
                .map_err(io_error)?;
            if let Some(existing) = &self.existing {
                keep_owner(temporary.as_file(), existing, &shown)?;
                temporary
                    .as_file()
                    .set_permissions(existing.permissions())
                    .map_err(io_error)?;
            }
            temporary.as_file().sync_all().map_err(io_error)?;
            let mut files = pending();
            let persisted = temporary.persist(&self.target);
            files.retain(|p| *p != path);
            drop(files);
            persisted.map_err(|e| io_error(e.error))?;
            // The rename is durable once the directory is synced.
            let dir = match self.target.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir,
                _ => Path::new("."),
            };
            let _ = File::open(dir).and_then(|d| d.sync_all());
            Ok(())
        })();
        if result.is_err() {
            pending().retain(|p| *p != path);
        }
        result
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(temporary) = self.temporary.take() {
            let path = temporary.path().to_path_buf();
            drop(temporary);
            pending().retain(|p| *p != path);
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(temporary) = self.temporary.as_mut() else {
            return Err(io::Error::other("the file was already committed"));
        };
        let mut buf = buf;
        if let Some(limit) = self.fail_after {
            let room = usize::try_from(limit.saturating_sub(self.written)).unwrap_or(usize::MAX);
            if room == 0 && !buf.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::StorageFull,
                    "No space left on device (simulated)",
                ));
            }
            buf = buf.get(..room.min(buf.len())).unwrap_or(buf);
        }
        let n = temporary.write(buf)?;
        self.written += n as u64;
        self.writeback.wrote(temporary.as_file(), self.written);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.temporary.as_mut() {
            Some(temporary) => temporary.flush(),
            None => Ok(()),
        }
    }
}

/// Writes `bytes` to `target` through an [`AtomicFile`].
pub fn write_atomically(
    target: &Path,
    bytes: &[u8],
    fail_after: Option<u64>,
) -> Result<(), WriteError> {
    let mut file = AtomicFile::create(target)?.fail_after(fail_after);
    file.write_all(bytes).map_err(|error| WriteError::Io {
        path: target.display().to_string(),
        error,
    })?;
    file.commit()
}

#[cfg(unix)]
fn check_writable(resolved: &Path, metadata: &Metadata, shown: &str) -> Result<(), WriteError> {
    use std::os::unix::fs::MetadataExt as _;
    // Root may write anything; a file its owner made read-only is still
    // read-only to credo.
    if metadata.mode() & 0o200 == 0 {
        return Err(WriteError::ReadOnly(shown.to_owned()));
    }
    if let Err(e) = OpenOptions::new().write(true).open(resolved) {
        return Err(match e.kind() {
            io::ErrorKind::PermissionDenied => WriteError::ReadOnly(shown.to_owned()),
            _ => WriteError::Io {
                path: shown.to_owned(),
                error: e,
            },
        });
    }
    if metadata.nlink() > 1 {
        return Err(WriteError::HardLinked {
            path: shown.to_owned(),
            links: metadata.nlink(),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_writable(_: &Path, metadata: &Metadata, shown: &str) -> Result<(), WriteError> {
    if metadata.permissions().readonly() {
        return Err(WriteError::ReadOnly(shown.to_owned()));
    }
    Ok(())
}

#[cfg(unix)]
fn keep_owner(file: &File, existing: &Metadata, shown: &str) -> Result<(), WriteError> {
    use std::os::unix::fs::MetadataExt as _;
    let now = file.metadata().map_err(|error| WriteError::Io {
        path: shown.to_owned(),
        error,
    })?;
    if (now.uid(), now.gid()) == (existing.uid(), existing.gid()) {
        return Ok(());
    }
    std::os::unix::fs::fchown(file, Some(existing.uid()), Some(existing.gid())).map_err(|error| {
        WriteError::Owner {
            path: shown.to_owned(),
            error,
        }
    })
}

#[cfg(not(unix))]
fn keep_owner(_: &File, _: &Metadata, _: &str) -> Result<(), WriteError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "a failed expectation is the point of a test"
    )]
    use super::*;

    #[test]
    fn an_endless_stream_is_refused_after_the_limit() {
        let endless = io::repeat(b'x');
        assert!(matches!(
            read_bounded(endless, 1000),
            Err(ReadError::TooLarge { limit: 1000 })
        ));
    }

    #[test]
    fn the_largest_limit_does_not_wrap() {
        assert_eq!(read_bounded(&b"abc"[..], usize::MAX).unwrap(), b"abc");
    }

    #[test]
    fn a_failed_write_leaves_the_target_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        std::fs::write(&target, "before").unwrap();
        let failed = write_atomically(&target, b"after, and longer", Some(5));
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "before");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_atomically(&target, b"after", None).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "after");
    }
}
