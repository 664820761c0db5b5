//! `credo whatif`: the smallest changes the account can make that give an outcome.

use crate::args::{AsOfArgs, DiagnosticFormat, FactArgs, LimitArgs, PolicyArgs};
use crate::output::{Exit, emit};
use crate::session::Session;

pub const AFTER_HELP: &str = "\
Examples:
  credo whatif --decision spend_milestone_credit facts.yaml
  credo whatif --decision new_advertiser_credit --to eligible facts.yaml

Exit codes: 0 answered; 1 the policies have errors; 2 bad facts, decision or outcome.";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    policies: PolicyArgs,
    #[command(flatten)]
    as_of: AsOfArgs,
    /// The decision to change.
    #[arg(long, value_name = "ID")]
    decision: String,
    /// The outcome wanted (`eligible`, a member, `1500 USD`); for an amount,
    /// leaving it out asks for the next tier.
    #[arg(long, value_name = "OUTCOME")]
    to: Option<String>,
    #[command(flatten)]
    facts: FactArgs,
    #[command(flatten)]
    limits: LimitArgs,
}

pub fn run(args: Args) -> Result<(), Exit> {
    let decision = args.decision.as_str();
    let (session, input) = Session::account(
        &args.policies,
        &args.limits,
        std::slice::from_ref(&args.decision),
        &args.facts,
        &args.as_of,
        DiagnosticFormat::Text,
    )?;
    let program = session.program();
    let target =
        credo::tools::whatif::target(program, decision, args.to.as_deref()).map_err(|e| {
            say!("error: {e}");
            Exit(2)
        })?;
    let answer = credo::tools::whatif::whatif(program, &input.facts, input.as_of, decision, target)
        .map_err(|e| {
            say!("error: {e}");
            Exit(2)
        })?;
    emit(&format!(
        "{}\n{}",
        input.dated(),
        credo::tools::whatif::render(program, &answer)
    ))
}
