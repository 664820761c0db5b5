//! The facade: one checked policy set, and everything a caller does with it.
//!
//! The command line, the language server, the decision service and the
//! Python package all go through [`PolicySet`]; none of them reaches into the
//! phases. The evaluation date is settled here, once, for every caller: the
//! caller's date, else the facts' own `as_of`, else today (UTC).

use std::path::Path;

use chrono::NaiveDate;

use crate::base::hash::PolicyHash;
use crate::base::limits::Limits;
use crate::base::source::Sources;
use crate::engine::eval::{EvalError, Request};
use crate::engine::outcome::{AsOfSource, Evaluation};
use crate::engine::program::Program;
use crate::input::facts::{self, FactProblem, Facts, Format};
use crate::lang::ast::KindName;
use crate::lang::diagnostics::Diagnostic;
use crate::tools::{diff, explain, verify, whatif};

/// Anything the facade can fail with: each phase's error, joined.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The policy set could not be read or did not check.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The facts could not be loaded against the schema.
    #[error(transparent)]
    Facts(#[from] FactErrors),
    /// A decision id the set does not define.
    #[error(transparent)]
    UnknownDecision(#[from] UnknownDecision),
    /// An evaluation could not finish (an amount overflowed).
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// What-if could not search.
    #[error(transparent)]
    Whatif(#[from] whatif::WhatifError),
    /// Verify found a counterexample the evaluator does not reproduce.
    #[error(transparent)]
    Verify(#[from] verify::Unreproducible),
}

/// A policy set that checked without errors, compiled and ready.
#[derive(Debug, Clone)]
pub struct PolicySet {
    program: Program,
    sources: Sources,
    warnings: Vec<Diagnostic>,
}

/// Why a policy set could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The directory itself could not be listed.
    #[error("cannot read the policy directory `{dir}`: {source}")]
    Directory {
        /// The directory as the caller named it.
        dir: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The set has errors; every diagnostic, with the sources they point into.
    #[error("{}", Rejected::summary(.0))]
    Rejected(Rejected),
}

/// A policy set refused by the checker, with everything needed to show why.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// The policy files the diagnostics point into.
    pub sources: Sources,
    /// Every error and warning.
    pub diagnostics: Vec<Diagnostic>,
}

impl Rejected {
    fn summary(&self) -> String {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        format!("the policies have {}", crate::base::plural(errors, "error"))
    }
}

pub use crate::model::ir::UnknownDecision;

/// Facts that could not be loaded: every problem, each with its field path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the facts have {}", crate::base::plural(.problems.len(), "problem"))]
pub struct FactErrors {
    /// Every problem, in document order.
    pub problems: Vec<FactProblem>,
}

/// One account's facts, loaded against the set's schema.
#[derive(Debug, Clone)]
pub struct LoadedFacts {
    /// The facts, slot by slot; what was not given is unknown.
    pub facts: Facts,
    /// Fields the schema does not know: the facts are usable, but say so.
    pub warnings: Vec<FactProblem>,
}

/// What to evaluate, and on which date.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Overrides the facts' own `as_of`.
    pub as_of: Option<NaiveDate>,
    /// Decision ids to evaluate, each once; empty means all, in policy order.
    pub decisions: Vec<String>,
}

/// A decision of the catalog, as listed to callers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DecisionInfo {
    /// The decision's id, as policies and requests name it.
    pub id: String,
    /// Eligibility, action, classification or amount.
    #[serde(serialize_with = "kind_name")]
    pub kind: KindName,
}

fn kind_name<S: serde::Serializer>(kind: &KindName, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

impl PolicySet {
    /// Reads every `*.credo` file directly in `dir`, in name order, and checks them.
    pub fn load(dir: &Path, limits: &Limits) -> Result<PolicySet, LoadError> {
        let checked = crate::load_dir_with(dir, limits).map_err(|source| LoadError::Directory {
            dir: dir.display().to_string(),
            source,
        })?;
        PolicySet::from_checked(checked)
    }

    /// Checks policy sources held in memory (an editor's buffers, a request).
    pub fn from_sources(sources: Sources, limits: &Limits) -> Result<PolicySet, LoadError> {
        PolicySet::from_checked(crate::check_sources_with(sources, limits))
    }

    fn from_checked(checked: crate::Checked) -> Result<PolicySet, LoadError> {
        let has_errors = checked.has_errors();
        match checked.program {
            Some(program) if !has_errors => Ok(PolicySet {
                program,
                sources: checked.sources,
                warnings: checked.diagnostics,
            }),
            _ => Err(LoadError::Rejected(Rejected {
                sources: checked.sources,
                diagnostics: checked.diagnostics,
            })),
        }
    }

    /// The content hash that names this set in every answer.
    pub fn hash(&self) -> PolicyHash {
        self.program.policy_hash
    }

    /// The compiled program, for the tools built on the engine.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The policy files, for rendering diagnostics and locations.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// The checker's warnings: the set is usable, but they deserve a look.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Every decision, catalog order first.
    pub fn decisions(&self) -> Vec<DecisionInfo> {
        self.program
            .decisions
            .iter()
            .map(|d| DecisionInfo {
                id: d.id.clone(),
                kind: d.kind.name(),
            })
            .collect()
    }

    /// The ids asked for, each once in the order first asked, or the first
    /// one the set does not define, with the closest id it does.
    pub fn select(&self, ids: &[String]) -> Result<Vec<String>, UnknownDecision> {
        self.program.decisions_asked(ids)
    }

    /// Loads a JSON or YAML fact document against the schema.
    pub fn facts(
        &self,
        text: &str,
        format: Format,
        limits: &Limits,
    ) -> Result<LoadedFacts, FactErrors> {
        facts::load_text_with(&self.program.schema, text, format, limits)
            .map(LoadedFacts::from)
            .map_err(|problems| FactErrors { problems })
    }

    /// Loads facts that are already parsed (a service's JSON body, a dict
    /// from Python), with the same checks as text.
    pub fn facts_from_json(&self, value: &serde_json::Value) -> Result<LoadedFacts, FactErrors> {
        facts::load_json_value(&self.program.schema, value)
            .map(LoadedFacts::from)
            .map_err(|problems| FactErrors { problems })
    }

    /// The evaluation date and where it came from: the caller's, else the
    /// facts' `as_of`, else `today`.
    pub fn date(
        &self,
        facts: &Facts,
        asked: Option<NaiveDate>,
        today: NaiveDate,
    ) -> (NaiveDate, AsOfSource) {
        match (asked, facts.as_of(&self.program.schema)) {
            (Some(date), _) => (date, AsOfSource::Option),
            (None, Some(date)) => (date, AsOfSource::Facts),
            (None, None) => (today, AsOfSource::Today),
        }
    }

    /// Evaluates the chosen decisions (all when none are chosen).
    pub fn evaluate(&self, facts: &Facts, options: &Options) -> Result<Evaluation, EvalError> {
        let (decisions, request) = self.request(facts, options)?;
        self.program.evaluate(facts, &request.with(&decisions))
    }

    /// Evaluates and records how each decision came about.
    pub fn explain(
        &self,
        facts: &Facts,
        options: &Options,
    ) -> Result<explain::Explanation, EvalError> {
        let (decisions, request) = self.request(facts, options)?;
        explain::explain(&self.program, facts, &request.with(&decisions))
    }

    /// Decides every decision and assertion over all fact combinations.
    pub fn verify(&self) -> Result<verify::Report, verify::Unreproducible> {
        verify::verify(&self.program)
    }

    /// The smallest changes to the facts that would give `decision` the
    /// outcome `to` (for an amount, the next tier when `to` is `None`).
    pub fn whatif(
        &self,
        facts: &Facts,
        as_of: Option<NaiveDate>,
        decision: &str,
        to: Option<&str>,
    ) -> Result<whatif::Whatif, whatif::WhatifError> {
        let target = whatif::target(&self.program, decision, to)?;
        let (as_of, _) = self.date(facts, as_of, today());
        whatif::whatif(&self.program, facts, as_of, decision, target)
    }

    /// Evaluates a JSON Lines corpus under `old` and `new` and counts what
    /// changes. Lines without `as_of` use `default_as_of`.
    pub fn diff(
        old: &PolicySet,
        new: &PolicySet,
        corpus: &str,
        name: &str,
        default_as_of: NaiveDate,
    ) -> Result<diff::Diff, Vec<diff::LineProblem>> {
        diff::diff(&old.program, &new.program, corpus, name, default_as_of)
    }

    fn request(&self, facts: &Facts, options: &Options) -> Result<(Vec<String>, Dated), EvalError> {
        let decisions = self
            .select(&options.decisions)
            .map_err(|e| EvalError::UnknownDecision(e.id))?;
        let (as_of, as_of_source) = self.date(facts, options.as_of, today());
        Ok((
            decisions,
            Dated {
                as_of,
                as_of_source,
            },
        ))
    }
}

/// A request's date, before the decisions are borrowed into it.
struct Dated {
    as_of: NaiveDate,
    as_of_source: AsOfSource,
}

impl Dated {
    fn with<'a>(&self, decisions: &'a [String]) -> Request<'a> {
        Request {
            as_of: self.as_of,
            as_of_source: self.as_of_source,
            decisions,
        }
    }
}

impl From<facts::Loaded> for LoadedFacts {
    fn from(loaded: facts::Loaded) -> LoadedFacts {
        LoadedFacts {
            facts: loaded.facts,
            warnings: loaded.warnings,
        }
    }
}

/// Today's date in UTC: the date of an evaluation that names none.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}
