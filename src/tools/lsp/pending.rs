//! Results waiting for review (`snapshots/NAME.snap.new`, written by a plain
//! `credo snapshot`) shown on their example's fact file, so that an author
//! sees in the editor what an edit changed until `credo snapshot --review`
//! accepts or rejects it.

use std::path::PathBuf;

use lsp_types as lt;

use crate::tools::snapshot::{self, Pending};

/// The note for each pending result, with the example file it goes on.
pub fn notes(pending: &[Pending]) -> Vec<(PathBuf, lt::Diagnostic)> {
    pending
        .iter()
        .filter_map(|p| {
            let example = p.example.clone()?;
            let what = match &p.changes {
                Some(changes) => format!(
                    "the result changed since its snapshot was accepted:\n{}",
                    changes.trim_end()
                ),
                None => "a new result: no snapshot of this example is accepted yet".to_owned(),
            };
            let note = lt::Diagnostic {
                range: lt::Range::default(),
                severity: Some(lt::DiagnosticSeverity::INFORMATION),
                code: Some(lt::NumberOrString::String("pending-snapshot".to_owned())),
                source: Some("credo snapshot".to_owned()),
                message: format!(
                    "{what}\n`credo snapshot --review` accepts or rejects it (snapshots/{}.{})",
                    p.name,
                    snapshot::PENDING
                ),
                ..Default::default()
            };
            Some((example, note))
        })
        .collect()
}
