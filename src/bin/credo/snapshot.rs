//! `credo snapshot`: every decision of every example, recorded beside the
//! policies; check, accept or review what an edit changed.

use std::path::{Path, PathBuf};

use credo::engine::eval::Request;
use credo::input::report::{self, Document};
use credo::tools::snapshot::{self, Mode};

use crate::args::{DiagnosticFormat, LimitArgs, PolicyArgs};
use crate::output::{Exit, emit, write_failed};
use crate::session::Session;

pub const AFTER_HELP: &str = "\
Examples:
  credo snapshot --check      what an edit changed; exit 1 if anything did
  credo snapshot              record new results as pending NAME.snap.new files
  credo snapshot --review     accept, reject or skip each change, with its explain trace
  credo snapshot --accept     accept every result
  credo snapshot --prune      remove the snapshots of examples that are gone

Exit codes: 0 every snapshot matches (or was accepted); 1 a result changed or is new
(with --check, a new one fails only when CI=true), or the policies have errors; 2 an
example or snapshot cannot be read or written.";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    policies: PolicyArgs,
    /// Write nothing; exit 1 when a result changed (or, with CI=true, has no snapshot).
    #[arg(long, conflicts_with_all = ["accept", "review"])]
    check: bool,
    /// Accept every result as its snapshot.
    #[arg(long, conflicts_with = "review")]
    accept: bool,
    /// Walk through the changes one at a time: accept, reject, skip or explain.
    #[arg(long)]
    review: bool,
    /// Remove the snapshots of examples that no longer exist.
    #[arg(long)]
    prune: bool,
    /// Example fact files; every one under `POLICIES/examples/` when none are given.
    paths: Vec<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
}

pub fn run(args: Args) -> Result<(), Exit> {
    let session = Session::open(
        &args.policies.policies,
        &args.limits.limits(),
        DiagnosticFormat::Text,
        "the policies have errors; no snapshot was taken",
    )?;
    let io_error = |e: std::io::Error| {
        say!("error: {e}");
        Exit(2)
    };
    let examples = if args.paths.is_empty() {
        let dir = session.dir.join("examples");
        snapshot::examples(&dir).map_err(|e| {
            say!("error: cannot read `{}`: {e}", dir.display());
            Exit(2)
        })?
    } else {
        args.paths.clone()
    };
    let snapshots = snapshot::directory(&session.dir);
    let entries = snapshot::collect(
        session.program(),
        &examples,
        &snapshots,
        &session.limits,
        credo::today(),
    )
    .map_err(io_error)?;
    if args.review {
        let explain = |example: &Path| explain(&session, example);
        let mut input = std::io::stdin().lock();
        let mut output = std::io::stdout().lock();
        let accepted = snapshot::review(&entries, &mut input, &mut output, &explain)
            .map_err(|e| write_failed(&e))?;
        say!("accepted {accepted}");
        return Ok(());
    }
    let mode = if args.check {
        Mode::Check { ci: in_ci() }
    } else if args.accept {
        Mode::Accept
    } else {
        Mode::Record
    };
    let report = snapshot::settle(
        &entries,
        &snapshots,
        mode,
        args.paths.is_empty(),
        args.prune,
    )
    .map_err(io_error)?;
    emit(&report.text)?;
    if report.failing {
        return Err(Exit(1));
    }
    Ok(())
}

/// `CI` set to anything but `false` or `0`, as insta reads it.
fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The explain trace of an example's new result, for the review's `e`.
fn explain(session: &Session, example: &Path) -> String {
    let shown = example.display().to_string();
    let loaded = credo::input::facts::read(example, &session.limits)
        .map_err(|p| {
            let document = Document::new(&shown, "", credo::Format::Yaml);
            report::render(&document, &[p], false).trim_end().to_owned()
        })
        .and_then(|(text, format)| {
            credo::input::facts::load_text_with(
                &session.program().schema,
                &text,
                format,
                &session.limits,
            )
            .map_err(|ps| {
                let document = Document::new(&shown, &text, format);
                report::render(&document, &ps, false).trim_end().to_owned()
            })
        });
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(why) => return format!("{why}\n"),
    };
    let (as_of, as_of_source) = match loaded.facts.as_of(&session.program().schema) {
        Some(date) => (date, credo::AsOfSource::Facts),
        None => (credo::today(), credo::AsOfSource::Today),
    };
    let request = Request {
        as_of,
        as_of_source,
        decisions: &[],
    };
    match credo::tools::explain::explain(session.program(), &loaded.facts, &request) {
        Ok(explanation) => credo::tools::explain::text(&explanation),
        Err(e) => format!("error: {e}\n"),
    }
}
