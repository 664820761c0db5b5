//! One session: the policies loaded and checked once through the facade
//! ([`credo::PolicySet`]), their diagnostics printed in one place, and one
//! account's facts loaded and dated.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use credo::engine::eval::Request;
use credo::engine::outcome::AsOfSource;
use credo::input::facts::{self, FactProblem, Facts, Format};
use credo::input::report::{self, Document};
use credo::lang::diagnostics::{self, Diagnostic, Severity};
use credo::{Limits, LoadError, PolicySet, Program, Sources};

use crate::args::{AsOfArgs, DiagnosticFormat, FactArgs, LimitArgs, PolicyArgs};
use crate::output::Exit;

/// A policy set that checked without errors.
pub struct Session {
    pub dir: PathBuf,
    pub set: PolicySet,
    pub limits: Limits,
    /// How problems are printed: the policies' diagnostics and the facts'
    /// problems alike (`--format json` gives JSON diagnostics on stderr).
    pub format: DiagnosticFormat,
}

/// Loads and checks the policy set, printing its diagnostics to stderr
/// (warnings too): the set when it has no errors, else every diagnostic.
pub fn load(
    dir: &Path,
    limits: &Limits,
    format: DiagnosticFormat,
) -> Result<Result<PolicySet, credo::Rejected>, Exit> {
    let loaded = match PolicySet::load(dir, limits) {
        Ok(set) => Ok(set),
        Err(LoadError::Rejected(rejected)) => Err(rejected),
        Err(e @ LoadError::Directory { .. }) => {
            say!("error: {e}");
            return Err(Exit(2));
        }
    };
    let (sources, diagnostics) = match &loaded {
        Ok(set) => (set.sources(), set.warnings()),
        Err(rejected) => (&rejected.sources, rejected.diagnostics.as_slice()),
    };
    show(sources, diagnostics, format);
    Ok(loaded)
}

fn show(sources: &Sources, diagnostics: &[Diagnostic], format: DiagnosticFormat) {
    if diagnostics.is_empty() {
        return;
    }
    match format {
        DiagnosticFormat::Text => crate::output::tell(&diagnostics::render(
            sources,
            diagnostics,
            crate::colour::stderr(),
        )),
        DiagnosticFormat::Json => {
            let json = diagnostics::to_json(sources, diagnostics);
            say!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
        }
    }
}

impl Session {
    /// The checked policies of `dir`; with errors, `refusal` says what was
    /// not done (exit 1).
    pub fn open(
        dir: &Path,
        limits: &Limits,
        format: DiagnosticFormat,
        refusal: &str,
    ) -> Result<Session, Exit> {
        match load(dir, limits, format)? {
            Ok(set) => Ok(Session {
                dir: dir.to_path_buf(),
                set,
                limits: *limits,
                format,
            }),
            Err(_) => {
                say!("error: {refusal}");
                Err(Exit(1))
            }
        }
    }

    /// What `eval`, `explain` and `whatif` share: the policies checked (none
    /// evaluated when they have errors), the decisions asked for known, and
    /// the account's facts loaded and dated. Problems are printed as
    /// `format` says.
    pub fn account(
        policies: &PolicyArgs,
        limits: &LimitArgs,
        decisions: &[String],
        facts: &FactArgs,
        as_of: &AsOfArgs,
        format: DiagnosticFormat,
    ) -> Result<(Session, Input), Exit> {
        let session = Session::open(
            &policies.policies,
            &limits.limits(),
            format,
            "the policies have errors; nothing was evaluated",
        )?;
        session.check_decisions(decisions)?;
        let input = session.facts(facts, as_of.as_of)?;
        Ok((session, input))
    }

    /// The compiled policies, for the tools built on the engine.
    pub fn program(&self) -> &Program {
        self.set.program()
    }

    /// Every id names a decision, or an error with the nearest name.
    pub fn check_decisions(&self, ids: &[String]) -> Result<(), Exit> {
        let Err(unknown) = self.set.select(ids) else {
            return Ok(());
        };
        let id = &unknown.id;
        match &unknown.suggestion {
            Some(near) => say!("error: no decision `{id}`\n  help: did you mean `{near}`?"),
            None => {
                let ids: Vec<String> = self.set.decisions().into_iter().map(|d| d.id).collect();
                say!(
                    "error: no decision `{id}`; the decisions are {}",
                    ids.join(", ")
                );
            }
        }
        Err(Exit(2))
    }

    /// Reads, loads and dates one account's facts, printing their problems.
    /// `--as-of` overrides the facts' own date; else theirs; else today.
    /// With `--strict`, a field the schema does not know is an error.
    pub fn facts(&self, args: &FactArgs, as_of: Option<NaiveDate>) -> Result<Input, Exit> {
        let path = &args.facts;
        let name = if path == Path::new("-") {
            "<stdin>".to_owned()
        } else {
            path.display().to_string()
        };
        let format = args.input_format.map(|f| f.format());
        let (text, format) = facts::read_as(path, &self.limits, format).map_err(|problem| {
            // Nothing was read: the problem names the file, with no frame.
            let document = Document::new(&name, "", Format::Yaml);
            self.tell(&document, &[problem]);
            Exit(2)
        })?;
        let document = Document::new(&name, &text, format);
        let loaded = self
            .set
            .facts(&text, format, &self.limits)
            .map_err(|errors| {
                self.tell(&document, &errors.problems);
                Exit(2)
            })?;
        if args.strict && !loaded.warnings.is_empty() {
            let strict: Vec<_> = loaded
                .warnings
                .iter()
                .map(|w| {
                    let mut problem = w.clone();
                    problem.severity = Severity::Error;
                    if let Some(message) = problem.message.strip_suffix(", ignored") {
                        problem.message = message.to_owned();
                    }
                    problem
                })
                .collect();
            self.tell(&document, &strict);
            say!("error: with --strict, a fact the schema does not know is an error");
            return Err(Exit(2));
        }
        if !loaded.warnings.is_empty() {
            self.tell(&document, &loaded.warnings);
        }
        let (as_of, as_of_source) = self.set.date(&loaded.facts, as_of, credo::today());
        Ok(Input {
            name,
            facts: loaded.facts,
            as_of,
            as_of_source,
        })
    }

    /// Prints fact problems to stderr, as text or as JSON diagnostics.
    fn tell(&self, document: &Document<'_>, problems: &[FactProblem]) {
        match self.format {
            DiagnosticFormat::Text => {
                crate::output::tell(&report::render(document, problems, crate::colour::stderr()))
            }
            DiagnosticFormat::Json => say!(
                "{}",
                serde_json::to_string_pretty(&report::to_json(document, problems))
                    .unwrap_or_default()
            ),
        }
    }
}

/// One account's facts, loaded and dated.
pub struct Input {
    /// The fact file as named in messages.
    pub name: String,
    pub facts: Facts,
    pub as_of: NaiveDate,
    pub as_of_source: AsOfSource,
}

impl Input {
    pub fn request<'a>(&self, decisions: &'a [String]) -> Request<'a> {
        Request {
            as_of: self.as_of,
            as_of_source: self.as_of_source,
            decisions,
        }
    }

    /// `as of 2026-11-25 (from the facts)`: the date used, and where from.
    pub fn dated(&self) -> String {
        credo::engine::render::as_of_line(self.as_of, self.as_of_source)
    }
}
