//! One session: the policies loaded and checked once, their diagnostics
//! printed in one place, and one account's facts loaded and dated.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use credo::engine::eval::Request;
use credo::engine::outcome::AsOfSource;
use credo::input::facts::{self, Facts};
use credo::lang::diagnostics::{self, Severity};
use credo::{Checked, Limits, Program};

use crate::args::{DiagnosticFormat, FactArgs};
use crate::output::Exit;

/// A policy set that checked without errors.
pub struct Session {
    pub dir: PathBuf,
    pub program: Program,
    pub limits: Limits,
}

/// Loads and checks the policy set, printing its diagnostics to stderr
/// (warnings too). The program is there when it compiled.
pub fn load(
    dir: &Path,
    limits: &Limits,
    format: DiagnosticFormat,
) -> Result<(Checked, Option<Program>), Exit> {
    let mut checked = credo::load_dir_with(dir, limits).map_err(|e| {
        say!(
            "error: cannot read the policy directory `{}`: {e}",
            dir.display()
        );
        Exit(2)
    })?;
    if !checked.diagnostics.is_empty() {
        match format {
            DiagnosticFormat::Text => crate::output::tell(&diagnostics::render(
                &checked.sources,
                &checked.diagnostics,
                crate::colour::stderr(),
            )),
            DiagnosticFormat::Json => {
                let json = diagnostics::to_json(&checked.sources, &checked.diagnostics);
                say!(
                    "{}",
                    serde_json::to_string_pretty(&json).unwrap_or_default()
                );
            }
        }
    }
    let program = checked.program.take();
    Ok((checked, program))
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
        let (checked, program) = load(dir, limits, format)?;
        match program.filter(|_| !checked.has_errors()) {
            Some(program) => Ok(Session {
                dir: dir.to_path_buf(),
                program,
                limits: *limits,
            }),
            None => {
                say!("error: {refusal}");
                Err(Exit(1))
            }
        }
    }

    /// Every id names a decision, or an error with the nearest name.
    pub fn check_decisions(&self, ids: &[String]) -> Result<(), Exit> {
        for id in ids {
            if self.program.decision(id).is_none() {
                let ids: Vec<&str> = self
                    .program
                    .decisions
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect();
                match credo::base::suggest::closest(id, ids.iter().copied()) {
                    Some(near) => say!("error: no decision `{id}`\n  help: did you mean `{near}`?"),
                    None => say!(
                        "error: no decision `{id}`; the decisions are {}",
                        ids.join(", ")
                    ),
                }
                return Err(Exit(2));
            }
        }
        Ok(())
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
            say!("{}", problem.render(&name));
            Exit(2)
        })?;
        let schema = &self.program.schema;
        let loaded =
            facts::load_text_with(schema, &text, format, &self.limits).map_err(|problems| {
                for p in &problems {
                    say!("{}", p.render(&name));
                }
                Exit(2)
            })?;
        if args.strict && !loaded.warnings.is_empty() {
            for w in &loaded.warnings {
                let mut problem = w.clone();
                problem.severity = Severity::Error;
                if let Some(message) = problem.message.strip_suffix(", ignored") {
                    problem.message = message.to_owned();
                }
                say!("{}", problem.render(&name));
            }
            say!("error: with --strict, a fact the schema does not know is an error");
            return Err(Exit(2));
        }
        for w in &loaded.warnings {
            say!("{}", w.render(&name));
        }
        let (as_of, as_of_source) = match (as_of, loaded.facts.as_of(schema)) {
            (Some(d), _) => (d, AsOfSource::Option),
            (None, Some(d)) => (d, AsOfSource::Facts),
            (None, None) => (chrono::Utc::now().date_naive(), AsOfSource::Today),
        };
        Ok(Input {
            name,
            facts: loaded.facts,
            as_of,
            as_of_source,
        })
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
