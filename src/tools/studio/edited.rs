//! An edited policy set as the page sends it: every `*.credo` file's name
//! and current text, unsaved. Checked by the language server's analysis
//! (for diagnostics, completion, hover) or the library facade (to decide).

use std::path::Path;

use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::PolicySet;
use crate::base::limits::Limits;
use crate::base::source::{Source, Sources};
use crate::tools::lsp::analysis::{Analysis, Doc, Input};
use crate::tools::serve::problem::{ApiError, Problem};

/// One policy file as edited.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditedFile {
    /// The file's name in the policy directory, such as `track.credo`.
    pub name: String,
    pub text: String,
}

/// Whether `name` is a policy file directly in the directory: no path, no `..`.
pub fn plain_name(name: &str) -> bool {
    name.ends_with(".credo")
        && name.len() > ".credo".len()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Refuses names that are not plain policy file names, and a set too big.
pub fn check_files(files: &[EditedFile], limits: &Limits) -> Result<(), ApiError> {
    if files.len() > limits.max_policy_files {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_files",
            format!("more than {} policy files", limits.max_policy_files),
        ));
    }
    let mut problems = Vec::new();
    for (i, f) in files.iter().enumerate() {
        if !plain_name(&f.name) {
            problems.push(Problem {
                code: "bad_file_name",
                message: format!("`{}` is not a policy file name", f.name),
                path: format!("files[{i}].name"),
                help: Some("name a `*.credo` file directly in the policy directory".into()),
            });
        } else if f.text.len() > limits.max_policy_bytes {
            problems.push(Problem {
                code: "too_large",
                message: format!("`{}` is over {} bytes", f.name, limits.max_policy_bytes),
                path: format!("files[{i}].text"),
                help: None,
            });
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(ApiError {
        status: StatusCode::BAD_REQUEST,
        problems,
        retry_after: None,
    })
}

/// The files in name order, as the directory would load them.
fn sorted(files: &[EditedFile]) -> Vec<&EditedFile> {
    let mut sorted: Vec<&EditedFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    sorted
}

/// The edited set, with the directory's test files, for the analysis.
pub fn analysis(files: &[EditedFile], dir: &Path) -> Analysis {
    let mut tests: Vec<Doc> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("tests")) {
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        paths.sort();
        for path in paths {
            if let Ok(text) = std::fs::read_to_string(&path) {
                tests.push(Doc {
                    name: path.display().to_string(),
                    text,
                });
            }
        }
    }
    Analysis::new(Input {
        policies: sorted(files)
            .into_iter()
            .map(|f| Doc {
                name: f.name.clone(),
                text: f.text.clone(),
            })
            .collect(),
        tests,
        dir: Some(dir.to_path_buf()),
    })
}

/// The edited set checked by the facade, or 422 with its errors.
pub fn policy_set(files: &[EditedFile], limits: &Limits) -> Result<PolicySet, ApiError> {
    let mut sources = Sources::default();
    for f in sorted(files) {
        sources.add(Source::new(f.name.clone(), f.text.clone()));
    }
    PolicySet::from_sources(sources, limits).map_err(|e| match e {
        crate::LoadError::Rejected(rejected) => {
            let problems: Vec<Problem> = rejected
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| {
                    let (file, line, column) = place(&rejected.sources, d.span);
                    Problem {
                        code: "does_not_check",
                        message: format!("{}[{}]: {}", file, d.code, d.message),
                        path: format!("{file}:{line}:{column}"),
                        help: d.help.clone(),
                    }
                })
                .collect();
            ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                problems: if problems.is_empty() {
                    vec![Problem {
                        code: "does_not_check",
                        message: "the edited set does not check".into(),
                        path: "files".into(),
                        help: None,
                    }]
                } else {
                    problems
                },
                retry_after: None,
            }
        }
        other => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "does_not_check",
            other.to_string(),
        ),
    })
}

/// A span's file name, line and column (one-based).
fn place(sources: &Sources, span: crate::base::source::Span) -> (String, usize, usize) {
    match sources.get(span.file) {
        Some(source) => {
            let before = source.text.get(..span.start).unwrap_or("");
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            (source.name.clone(), line, column)
        }
        None => (String::new(), 0, 0),
    }
}
