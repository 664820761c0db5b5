//! Listing a policy directory: every `*.credo` entry is either a file to
//! read or a reason it cannot be, never skipped without a word.
//!
//! An entry named `*.credo` was put there to be a policy. One that is a
//! directory, a FIFO or a device, a dangling link or a link loop cannot be
//! read as one, and the set without it would lack whatever it defines: so
//! each is reported (as an error, see `load_dir_with`), and nothing is opened
//! to find out. A FIFO in particular is never opened, as reading one blocks
//! until someone writes to it.

use std::io;
use std::path::{Path, PathBuf};

/// Why an entry named `*.credo` is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    Directory,
    /// A FIFO (named pipe).
    Fifo,
    /// A socket or a device.
    Special,
    /// A symbolic link whose target does not exist.
    DanglingLink,
    /// A symbolic link that leads back to itself.
    LinkLoop,
    /// Its metadata cannot be read (permissions, I/O).
    Unreadable(String),
}

impl Unusable {
    /// Why, in words: `it is a directory`.
    pub fn reason(&self) -> String {
        match self {
            Unusable::Directory => "it is a directory, not a file".into(),
            Unusable::Fifo => "it is a FIFO (named pipe), not a file".into(),
            Unusable::Special => "it is a socket or a device, not a file".into(),
            Unusable::DanglingLink => "it is a symbolic link to nothing".into(),
            Unusable::LinkLoop => "it is a symbolic link that loops".into(),
            Unusable::Unreadable(e) => e.clone(),
        }
    }

    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            Unusable::DanglingLink | Unusable::LinkLoop => {
                "point the link at a policy file, or remove it"
            }
            _ => "only policy files may be named `*.credo`: rename it or move it elsewhere",
        }
    }
}

/// The `*.credo` entries of a directory, sorted by path.
#[derive(Debug, Default)]
pub struct Listing {
    pub files: Vec<PathBuf>,
    pub unusable: Vec<(PathBuf, Unusable)>,
}

/// Lists `dir`'s `*.credo` entries; an error only when `dir` itself cannot be read.
pub fn policy_entries(dir: &Path) -> io::Result<Listing> {
    let mut listing = Listing::default();
    for entry in std::fs::read_dir(dir)? {
        let path = match entry {
            Ok(e) => e.path(),
            Err(e) => {
                listing
                    .unusable
                    .push((dir.to_path_buf(), Unusable::Unreadable(e.to_string())));
                continue;
            }
        };
        if path.extension().is_none_or(|e| e != "credo") {
            continue;
        }
        match classify(&path) {
            None => listing.files.push(path),
            Some(why) => listing.unusable.push((path, why)),
        }
    }
    listing.files.sort();
    listing.unusable.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(listing)
}

/// `None` for a regular file (or a link to one).
fn classify(path: &Path) -> Option<Unusable> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(m) if m.is_dir() => Some(Unusable::Directory),
        Ok(m) => Some(if is_fifo(&m) {
            Unusable::Fifo
        } else {
            Unusable::Special
        }),
        Err(e) => {
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
            Some(if is_link && is_loop(&e) {
                Unusable::LinkLoop
            } else if is_link && e.kind() == io::ErrorKind::NotFound {
                Unusable::DanglingLink
            } else {
                Unusable::Unreadable(e.to_string())
            })
        }
    }
}

#[cfg(unix)]
fn is_fifo(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt as _;
    m.file_type().is_fifo()
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::Metadata) -> bool {
    false
}

/// "Too many levels of symbolic links" (ELOOP).
fn is_loop(e: &io::Error) -> bool {
    // ELOOP is 40 on Linux and 62 on the BSDs and macOS.
    matches!(e.raw_os_error(), Some(40) if cfg!(target_os = "linux"))
        || matches!(e.raw_os_error(), Some(62) if cfg!(target_vendor = "apple"))
}
