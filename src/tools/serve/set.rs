//! A policy set as the service holds it: the checked program, the content
//! hash that names it in every answer, and what was precomputed for it.

use std::path::Path;

use crate::Program;
use crate::base::hash::PolicyHash;
use crate::base::limits::Limits;
use crate::input::fast::SlotReader;
use crate::lang::diagnostics::{self, JsonDiagnostic};
use crate::model::ir::Kind;
use crate::tools::batch::RecordWriter;
use crate::{LoadError, PolicySet};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A policy set that checked clean, ready to answer.
pub struct Served {
    pub policy: PolicySet,
    /// `sha256:` and the hex digest of the files' names and contents.
    pub hash: String,
    /// The `.credo` files, by name, in load order.
    pub files: Vec<String>,
    pub loaded_at: DateTime<Utc>,
    /// The batch reader and record writer, made once per set.
    pub reader: SlotReader,
    pub writer: RecordWriter,
    /// Each decision's id and kind, for `/v1/policies`.
    pub catalog: Vec<CatalogEntry>,
    /// `credo_decisions_total` for each decision and outcome, made once:
    /// counting a decision then costs no allocation.
    pub counters: Vec<Vec<metrics::Counter>>,
}

impl Served {
    pub fn program(&self) -> &Program {
        self.policy.program()
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CatalogEntry {
    pub id: String,
    /// `eligibility`, `action`, `classification` or `amount`.
    pub kind: String,
    /// The outcomes it can give; an amount gives any amount in its currency.
    pub outcomes: Vec<String>,
}

/// Why a set was refused: what the checker printed for `credo check --format json`.
#[derive(Debug)]
pub struct Refused {
    /// The hash of what was read, when the files could be read.
    pub hash: Option<String>,
    pub diagnostics: Vec<JsonDiagnostic>,
    pub message: String,
}

/// Reads and checks the set in `dir`. A set with any error is refused whole.
pub fn load(dir: &Path, limits: &Limits) -> Result<Served, Refused> {
    let policy = PolicySet::load(dir, limits).map_err(|e| match e {
        LoadError::Rejected(rejected) => {
            let errors = rejected.diagnostics.iter().filter(|d| d.is_error()).count();
            Refused {
                hash: Some(
                    PolicyHash::of(
                        rejected
                            .sources
                            .iter()
                            .map(|(_, s)| (s.name.as_str(), s.text.as_str())),
                    )
                    .to_string(),
                ),
                diagnostics: diagnostics::to_json(&rejected.sources, &rejected.diagnostics),
                message: format!("the policy set has {errors} errors; it was not loaded"),
            }
        }
        other => Refused {
            hash: None,
            diagnostics: Vec::new(),
            message: other.to_string(),
        },
    })?;
    let files = policy
        .sources()
        .iter()
        .map(|(_, s)| file_name(&s.name))
        .collect();
    let program = policy.program();
    let catalog = catalog(program);
    let counters = catalog
        .iter()
        .map(|entry| {
            entry
                .outcomes
                .iter()
                .map(|outcome| {
                    metrics::counter!(super::metrics::DECISIONS, "decision" => entry.id.clone(), "outcome" => outcome.clone())
                })
                .collect()
        })
        .collect();
    Ok(Served {
        counters,
        hash: policy.hash().to_string(),
        reader: SlotReader::new(&program.schema),
        // The service's records are full and hold every decision, as `credo
        // batch`'s default ones do.
        writer: RecordWriter::new(
            program,
            &crate::tools::batch::Options::new(1, None, Utc::now().date_naive()),
        ),
        catalog,
        files,
        loaded_at: Utc::now(),
        policy,
    })
}

/// The name of a policy file without its directory.
fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned())
}

fn catalog(program: &Program) -> Vec<CatalogEntry> {
    program
        .decisions
        .iter()
        .map(|d| CatalogEntry {
            id: d.id.clone(),
            kind: d.kind.name().as_str().to_owned(),
            outcomes: outcome_classes(program, &d.kind),
        })
        .collect()
}

/// The outcomes a decision of this kind can give, as counted in metrics:
/// an amount counts as `amount`, so that the label's values stay few.
pub fn outcome_classes(program: &Program, kind: &Kind) -> Vec<String> {
    let mut classes: Vec<String> = match kind {
        Kind::Amount(_) => vec!["amount".into()],
        _ => kind.outcome_words(&program.schema),
    };
    classes.push(crate::model::ir::words::UNDETERMINED.into());
    classes
}
