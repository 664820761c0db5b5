//! `credo check`: every problem of a policy set.

use crate::args::{DiagnosticFormat, LimitArgs, PolicyArgs};
use crate::output::{Exit, counted};

pub const AFTER_HELP: &str = "\
Examples:
  credo check
  credo check --policies other/ --format json

Exit codes: 0 no errors (warnings allowed); 1 the policies have errors; 2 the directory cannot be read.";

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
    let loaded = crate::session::load(&args.policies.policies, &args.limits.limits(), args.format)?;
    match loaded {
        Ok(set) => {
            say!(
                "checked {}: {}, {}",
                counted(set.sources().iter().count(), "file"),
                counted(set.program().decisions.len(), "decision"),
                counted(set.warnings().len(), "warning")
            );
            Ok(())
        }
        Err(rejected) => {
            let errors = rejected.diagnostics.iter().filter(|d| d.is_error()).count();
            let warnings = rejected.diagnostics.len() - errors;
            say!(
                "error: {}, {}",
                counted(errors, "error"),
                counted(warnings, "warning")
            );
            Err(Exit(1))
        }
    }
}
