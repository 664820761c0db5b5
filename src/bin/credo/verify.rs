//! `credo verify`: every decision and assertion over all fact combinations.

use crate::args::{DiagnosticFormat, LimitArgs, PolicyArgs};
use crate::output::{Exit, emit};
use crate::session::Session;

pub const AFTER_HELP: &str = "\
Examples:
  credo verify
  credo verify --format json --policies other/

Exit codes: 0 nothing found; 1 the policies have errors, or verify found an error;
2 the directory cannot be read.";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    policies: PolicyArgs,
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    format: DiagnosticFormat,
    /// Fact documents the whole run may evaluate; checks that do not fit
    /// are reported as not analysed.
    #[arg(long, value_name = "DOCUMENTS", default_value_t = credo::tools::verify::budget::DEFAULT_DOCUMENTS)]
    budget: u64,
    /// Seconds after which no further check is started (a backstop).
    #[arg(long, value_name = "SECONDS", default_value_t = credo::tools::verify::budget::DEFAULT_TIME_LIMIT.as_secs())]
    time_limit: u64,
    #[command(flatten)]
    limits: LimitArgs,
}

pub fn run(args: Args) -> Result<(), Exit> {
    let session = Session::open(
        &args.policies.policies,
        &args.limits.limits(),
        args.format,
        "the policies have errors; nothing was verified",
    )?;
    let budget = credo::tools::verify::Budget {
        documents: args.budget,
        time_limit: Some(std::time::Duration::from_secs(args.time_limit)),
    };
    let report = credo::tools::verify::verify_within(session.program(), budget).map_err(|e| {
        say!("error: internal: {e}");
        Exit(1)
    })?;
    let out = match args.format {
        DiagnosticFormat::Text => {
            let text =
                credo::tools::verify::render::text(&report, &session.dir.display().to_string());
            if crate::colour::stdout() {
                crate::colour::verify_report(&text)
            } else {
                text
            }
        }
        DiagnosticFormat::Json => credo::tools::verify::render::json(&report),
    };
    emit(&out)?;
    if report.failed() {
        return Err(Exit(1));
    }
    Ok(())
}
