//! `credo explain`: every rule and row of a decision, and why not.

use crate::args::{AsOfArgs, DecisionArgs, DiagnosticFormat, FactArgs, LimitArgs, PolicyArgs};
use crate::output::{Exit, emit};
use crate::session::Session;

pub const AFTER_HELP: &str = "\
Examples:
  credo explain --decision credit_allocation policies/examples/allocation_to_unlinked_account_denied.yaml
  credo explain --format json facts.yaml

Exit codes: 0 explained; 1 the policies have errors; 2 bad facts or invocation.";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    policies: PolicyArgs,
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    format: DiagnosticFormat,
    #[command(flatten)]
    as_of: AsOfArgs,
    #[command(flatten)]
    decisions: DecisionArgs,
    #[command(flatten)]
    facts: FactArgs,
    #[command(flatten)]
    limits: LimitArgs,
}

pub fn run(args: Args) -> Result<(), Exit> {
    let decisions = args.decisions.ids();
    let (session, input) = Session::account(
        &args.policies,
        &args.limits,
        &decisions,
        &args.facts,
        &args.as_of,
        args.format,
    )?;
    let explanation =
        credo::tools::explain::explain(session.program(), &input.facts, &input.request(&decisions))
            .map_err(|e| {
                say!("error: {}: {e}", input.name);
                Exit(2)
            })?;
    let out = match args.format {
        DiagnosticFormat::Text if crate::colour::stdout() => {
            crate::colour::evaluation(&credo::tools::explain::text(&explanation))
        }
        DiagnosticFormat::Text => credo::tools::explain::text(&explanation),
        DiagnosticFormat::Json => credo::tools::explain::json(&explanation),
    };
    emit(&out)
}
