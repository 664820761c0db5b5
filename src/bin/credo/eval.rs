//! `credo eval`: one account's facts against the policies.

use clap::ValueEnum;

use crate::args::{AsOfArgs, DecisionArgs, DiagnosticFormat, FactArgs, LimitArgs, PolicyArgs};
use crate::output::{Exit, counted, emit};
use crate::session::Session;

pub const AFTER_HELP: &str = "\
Examples:
  credo eval policies/examples/bc_admin_allocates_within_balance.yaml
  credo eval --format json --decision credit_allocation facts.yaml
  credo eval --input-format yaml <(cat facts.yaml)
  credo eval --fail-on undetermined --strict facts.json

Exit codes: 0 evaluated; 1 the policies have errors; 2 bad facts or invocation;
3 with --fail-on undetermined, a decision came out undetermined.";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    policies: PolicyArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    #[command(flatten)]
    as_of: AsOfArgs,
    #[command(flatten)]
    decisions: DecisionArgs,
    #[command(flatten)]
    facts: FactArgs,
    /// Exit 3 when any decision comes out this way (for scripts).
    #[arg(long, value_enum, value_name = "OUTCOME")]
    fail_on: Option<FailOn>,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Yaml,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FailOn {
    Undetermined,
}

pub fn run(args: Args) -> Result<(), Exit> {
    let decisions = args.decisions.ids();
    let (session, input) = Session::account(
        &args.policies,
        &args.limits,
        &decisions,
        &args.facts,
        &args.as_of,
        match args.format {
            OutputFormat::Json => DiagnosticFormat::Json,
            OutputFormat::Text | OutputFormat::Yaml => DiagnosticFormat::Text,
        },
    )?;
    let evaluation = session
        .program()
        .evaluate(&input.facts, &input.request(&decisions))
        .map_err(|e| {
            say!("error: {}: {e}", input.name);
            Exit(2)
        })?;
    let out = match args.format {
        OutputFormat::Text if crate::colour::stdout() => {
            crate::colour::evaluation(&credo::engine::render::text(&evaluation))
        }
        OutputFormat::Text => credo::engine::render::text(&evaluation),
        OutputFormat::Json => credo::engine::render::json(&evaluation),
        OutputFormat::Yaml => credo::engine::render::yaml(&evaluation),
    };
    emit(&out)?;
    if let Some(FailOn::Undetermined) = args.fail_on {
        let undetermined: Vec<&str> = evaluation
            .decisions
            .iter()
            .filter(|d| d.outcome.as_text() == credo::model::ir::words::UNDETERMINED)
            .map(|d| d.id.as_str())
            .collect();
        if !undetermined.is_empty() {
            say!(
                "error: {} undetermined (--fail-on undetermined): {}",
                counted(undetermined.len(), "decision"),
                undetermined.join(", ")
            );
            return Err(Exit(crate::output::UNDETERMINED));
        }
    }
    Ok(())
}
