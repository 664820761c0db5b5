//! The `credo` command: parses arguments, runs one command, exits with its code.
//!
//! Each command is one file here with its `Args` and its `run`; the argument
//! groups every command shares are in [`args`], and [`session::Session`]
//! loads the policies (and facts) once for all of them. Adding a command is
//! one variant in [`Command`] and one file.
//!
//! Errors go to stderr, through `say!`, which never panics; results go to
//! stdout through [`output::emit`], where a reader that stopped (`| head`)
//! ends the run quietly with exit 0.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// `eprintln!` that never panics: a closed stderr loses the message, not the run.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod args;
mod batch;
mod check;
mod codes;
mod colour;
mod diff;
mod docs;
mod eval;
mod explain;
mod fmt;
#[cfg(feature = "lsp")]
mod lsp;
mod output;
mod session;
mod signals;
mod snapshot;
mod test;
mod verify;
mod whatif;

const AFTER_HELP: &str = "\
Examples:
  credo check                                  check the policies in ./policies
  credo eval policies/examples/bc_admin_allocates_within_balance.yaml
  credo eval --input-format json - < facts     facts on stdin
  credo batch accounts.jsonl -o results.jsonl  many accounts, one result a line
  credo test --coverage                        run the policy tests
  credo fmt --check                            show what fmt would change
  credo snapshot --check                       what a policy edit changed, example by example
  credo codes E0101                            what a diagnostic code means

Exit codes:
  0    done: evaluated, checked clean, every test passed
  1    the policies have errors, a test failed, a batch line failed, or fmt --check would change a file
  2    bad invocation or bad input (facts, test files, a file that cannot be read or written)
  3    with --fail-on undetermined: a decision came out undetermined
  130  stopped by SIGINT; 143 stopped by SIGTERM (an output file is left as it was)

The policy directory is --policies, else $CREDO_POLICIES, else ./policies.
Colour: --color auto|always|never; auto honours NO_COLOR.";

#[derive(Parser)]
#[command(
    name = "credo",
    version,
    about = "Ad-credit policies as data: check them, evaluate them, explain every answer",
    after_help = AFTER_HELP
)]
struct Cli {
    #[command(flatten)]
    colour: args::ColourArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate the policies against one account's facts.
    #[command(after_help = eval::AFTER_HELP)]
    Eval(eval::Args),
    /// Evaluate many accounts: JSON Lines in (one fact document a line), one
    /// JSON result a line out, in input order, on every core.
    #[command(after_help = batch::AFTER_HELP)]
    Batch(batch::Args),
    /// Trace decisions: every rule and row, each condition with the facts it read, and why not.
    #[command(after_help = explain::AFTER_HELP)]
    Explain(explain::Args),
    /// Run the policy tests in `POLICIES/tests/*.yaml`.
    #[command(after_help = test::AFTER_HELP)]
    Test(test::Args),
    /// Check a policy set and report every problem.
    #[command(after_help = check::AFTER_HELP)]
    Check(check::Args),
    /// Give policy files their canonical layout, keeping every comment.
    #[command(after_help = fmt::AFTER_HELP)]
    Fmt(fmt::Args),
    /// The smallest changes to facts the account can change that give an outcome.
    #[command(after_help = whatif::AFTER_HELP)]
    Whatif(whatif::Args),
    /// Evaluate a corpus of accounts under two policy sets and show what changes.
    #[command(after_help = diff::AFTER_HELP)]
    Diff(diff::Args),
    /// Decide every decision and assertion over all fact combinations.
    #[command(after_help = verify::AFTER_HELP)]
    Verify(verify::Args),
    /// Record every decision of every example, and show what an edit changed.
    #[command(after_help = snapshot::AFTER_HELP)]
    Snapshot(snapshot::Args),
    /// List the diagnostic codes, or explain one with an example (`credo codes E0101`).
    #[command(after_help = codes::AFTER_HELP)]
    Codes(codes::Args),
    /// Serve the Language Server Protocol on stdin/stdout, for editors.
    #[cfg(feature = "lsp")]
    #[command(after_help = lsp::AFTER_HELP)]
    Lsp(lsp::Args),
    /// Serve decisions over HTTP, reloading the policies when they change.
    #[cfg(feature = "serve")]
    Serve(credo::tools::serve::ServeArgs),
    /// Evaluate every decision in a `credo serve` decision log again and report differences.
    #[cfg(feature = "serve")]
    Replay(credo::tools::serve::replay::ReplayArgs),
    /// Serve a page where policy authors edit rules and watch outcomes change.
    #[cfg(feature = "studio")]
    Studio(credo::tools::studio::StudioArgs),
    /// Print a shell completion script: bash, zsh, fish or powershell.
    #[command(after_help = docs::COMPLETIONS_HELP)]
    Completions(docs::CompletionArgs),
    /// Print the man page, or write one per command into a directory.
    #[command(after_help = docs::MAN_HELP)]
    Man(docs::ManArgs),
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    colour::choose(cli.colour.color);
    let given = |name: &str, id: &str| {
        matches
            .subcommand_matches(name)
            .and_then(|m| m.value_source(id))
            == Some(clap::parser::ValueSource::CommandLine)
    };
    let result = match cli.command {
        Command::Eval(a) => eval::run(a),
        Command::Batch(a) => batch::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Test(a) => test::run(a),
        Command::Check(a) => check::run(a),
        Command::Fmt(a) => fmt::run(a, given("fmt", "policies")),
        Command::Whatif(a) => whatif::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Snapshot(a) => snapshot::run(a),
        Command::Codes(a) => codes::run(a),
        #[cfg(feature = "lsp")]
        Command::Lsp(a) => lsp::run(a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => exit_code(credo::tools::serve::run(a)),
        #[cfg(feature = "serve")]
        Command::Replay(a) => exit_code(credo::tools::serve::replay::run(a)),
        #[cfg(feature = "studio")]
        Command::Studio(a) => exit_code(credo::tools::studio::run(a)),
        Command::Completions(a) => docs::completions(a, Cli::command()),
        Command::Man(a) => docs::man(a, Cli::command()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(output::Exit(code)) => ExitCode::from(code),
    }
}

/// A command that reports its own errors and gives its exit code.
#[cfg(any(feature = "serve", feature = "studio"))]
fn exit_code(code: u8) -> Result<(), output::Exit> {
    match code {
        0 => Ok(()),
        code => Err(output::Exit(code)),
    }
}
