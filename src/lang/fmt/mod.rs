//! `credo fmt`: one canonical layout for policy files.
//!
//! The layout is printed from the AST (`layout`); comments, which the AST
//! does not hold, are read from the source (`comments`) and put back where
//! they were relative to the code. Formatting keeps the meaning (the
//! formatted text parses to the same AST) and is idempotent.

mod comments;
mod layout;

use std::path::{Path, PathBuf};

pub use comments::{Comment, comments};

use crate::base::source::FileId;
use crate::lang::diagnostics::Diagnostic;

/// The canonical layout of one policy file, or its parse errors.
pub fn format(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let ast = crate::lang::syntax::parse(file, text)?;
    Ok(layout::print(&ast, text))
}

/// The canonical layout of a syntax tree that has no source text (one built
/// by a program rather than parsed), so no comments.
pub fn print(file: &crate::lang::ast::File) -> String {
    layout::print(file, "")
}

/// A unified diff from `before` to `after`, with `name` in its header.
pub fn diff(name: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(name, &format!("{name} (formatted)"))
        .to_string()
}

/// The policy files to format: each directory's `*.credo` files, in name
/// order, and each other path as given. An error names the path.
pub fn policy_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let named =
            |e: std::io::Error| std::io::Error::new(e.kind(), format!("`{}`: {e}", path.display()));
        if std::fs::metadata(path).map_err(named)?.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(named)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "credo") && p.is_file())
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Replaces the file at `path` with `text` so that a reader, or a run that
/// is interrupted, sees either the old file or the new one, never a part
/// (through [`crate::base::io::AtomicFile`], which keeps the file's owner and
/// mode). A symbolic link stays a link: the file it points to is replaced.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    crate::base::io::write_atomically(path, text.as_bytes(), None)
        .map_err(|e| std::io::Error::other(e.to_string()))
}
