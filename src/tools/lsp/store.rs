//! The documents of the policy set: open ones as the editor holds them,
//! the others as they are on disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::analysis::{Doc, Input};
use super::text::{self, Range};
use crate::tools::snapshot;

/// One document's text, and its version while the editor has it open.
#[derive(Debug, Clone)]
pub struct Document {
    pub text: String,
    pub version: Option<i32>,
}

#[derive(Debug, Default)]
pub struct Store {
    pub dir: Option<PathBuf>,
    policies: BTreeMap<PathBuf, Document>,
    tests: BTreeMap<PathBuf, Document>,
    /// The results waiting for review under `snapshots/`, read with the
    /// rest of the directory rather than at every keystroke.
    pub pending: Vec<snapshot::Pending>,
}

/// The largest file read from disk; a bigger one is left out (the checker
/// reports the limit for open files).
const MAX_READ: u64 = 16 << 20;

fn read(path: &Path) -> Option<String> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_READ)
        .read_to_end(&mut bytes)
        .ok()?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Some(
        text.strip_prefix('\u{feff}')
            .map(str::to_owned)
            .unwrap_or(text),
    )
}

fn files(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.extension()
                        .is_some_and(|e| extensions.iter().any(|x| e == *x))
                        && p.is_file()
                })
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
}

/// Whether a path is a policy file or a test file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Policy,
    Test,
}

pub fn role(path: &Path) -> Option<Role> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("credo") => Some(Role::Policy),
        Some("yaml" | "yml")
            if path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n == "tests") =>
        {
            Some(Role::Test)
        }
        _ => None,
    }
}

impl Store {
    /// Reads the policy directory's `*.credo` and `tests/*.yaml` files,
    /// keeping the open documents as the editor has them, and the pending
    /// snapshots.
    pub fn load(&mut self, dir: &Path) {
        self.dir = Some(dir.to_path_buf());
        let examples = snapshot::examples(&dir.join("examples")).unwrap_or_default();
        // An unreadable snapshots directory shows nothing: `credo snapshot`
        // itself reports it, and the editor has no better place to.
        self.pending = snapshot::pending(&snapshot::directory(dir), &examples).unwrap_or_default();
        self.policies.retain(|_, d| d.version.is_some());
        self.tests.retain(|_, d| d.version.is_some());
        for path in files(dir, &["credo"]) {
            if !self.policies.contains_key(&path)
                && let Some(text) = read(&path)
            {
                self.policies.insert(
                    path,
                    Document {
                        text,
                        version: None,
                    },
                );
            }
        }
        for path in files(&dir.join("tests"), &["yaml", "yml"]) {
            if !self.tests.contains_key(&path)
                && let Some(text) = read(&path)
            {
                self.tests.insert(
                    path,
                    Document {
                        text,
                        version: None,
                    },
                );
            }
        }
    }

    fn map(&mut self, role: Role) -> &mut BTreeMap<PathBuf, Document> {
        match role {
            Role::Policy => &mut self.policies,
            Role::Test => &mut self.tests,
        }
    }

    pub fn get(&self, path: &Path) -> Option<&Document> {
        self.policies.get(path).or_else(|| self.tests.get(path))
    }

    pub fn open(&mut self, path: &Path, text: String, version: i32) -> bool {
        // A `.credo` file elsewhere (another project, a scratch file under
        // `examples/`) is no member of this set: taken in, it would put
        // false errors on the set's own files.
        let Some(role) = role(path).filter(|r| self.member(path, *r)) else {
            return false;
        };
        self.map(role).insert(
            path.to_path_buf(),
            Document {
                text,
                version: Some(version),
            },
        );
        true
    }

    /// Applies the changes in order; `None` replaces the whole text. A
    /// change for a version older than the one held is dropped.
    pub fn change(
        &mut self,
        path: &Path,
        version: i32,
        changes: Vec<(Option<Range>, String)>,
    ) -> bool {
        let Some(doc) = self
            .policies
            .get_mut(path)
            .or_else(|| self.tests.get_mut(path))
        else {
            return false;
        };
        // Only a document the editor opened is the editor's to change: a
        // change to one never opened would edit the disk's copy, which then
        // stopped following the disk.
        if doc.version.is_none_or(|v| version < v) {
            return false;
        }
        for (range, new) in changes {
            match range {
                Some(range) => text::apply_edit(&mut doc.text, range, &new),
                None => doc.text = new,
            }
        }
        doc.version = Some(version);
        true
    }

    /// The editor let go of the document: it is the disk's again (or gone).
    pub fn close(&mut self, path: &Path) {
        let Some(role) = role(path) else {
            return;
        };
        let in_dir = self.dir.is_some() && self.member(path, role);
        match read(path).filter(|_| in_dir) {
            Some(text) => {
                self.map(role).insert(
                    path.to_path_buf(),
                    Document {
                        text,
                        version: None,
                    },
                );
            }
            None => {
                self.map(role).remove(path);
            }
        }
    }

    /// Whether `path` is one of the set's files: a policy directly in its
    /// directory, a test in its `tests/`. Without a directory, any file.
    fn member(&self, path: &Path, role: Role) -> bool {
        let Some(dir) = self.dir.as_deref() else {
            return true;
        };
        match role {
            Role::Policy => path.parent() == Some(dir),
            Role::Test => path.parent().and_then(Path::parent) == Some(dir),
        }
    }

    /// A file changed on disk: read again unless the editor holds it.
    pub fn reload(&mut self, path: &Path) {
        if self.get(path).is_some_and(|d| d.version.is_some()) {
            return;
        }
        self.close(path);
    }

    pub fn policy_paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.policies.keys()
    }

    pub fn test_paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.tests.keys()
    }

    /// The set as the analysis reads it.
    pub fn input(&self) -> Input {
        let doc = |(path, d): (&PathBuf, &Document)| Doc {
            name: path.display().to_string(),
            text: d.text.clone(),
        };
        Input {
            policies: self.policies.iter().map(doc).collect(),
            tests: self.tests.iter().map(doc).collect(),
            dir: self.dir.clone(),
        }
    }
}
