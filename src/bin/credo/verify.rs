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
    let report = credo::tools::verify::verify(&session.program).map_err(|e| {
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
