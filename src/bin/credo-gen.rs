//! `credo-gen`: deterministic synthetic inputs for benchmarks and tests.
//!
//! `credo-gen facts` writes fact documents for N accounts of a policy set's
//! schema as JSON Lines; `credo-gen policies` writes a policy set of any size.
//! The same seed always gives the same bytes.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use credo::testing::synth::{self, FactOptions};

#[derive(Parser)]
#[command(
    name = "credo-gen",
    about = "Deterministic synthetic facts and policies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fact documents for N accounts, one JSON object a line.
    Facts {
        /// The policy directory whose schema the facts follow.
        #[arg(long, default_value = "policies")]
        policies: PathBuf,
        #[arg(long, default_value_t = 1000)]
        accounts: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Chance, per thousand, that a required fact is left out (unknown).
        #[arg(long, default_value_t = 20)]
        unknown: u32,
        /// Chance, per thousand, that a line is spoilt (wrong type, cut short).
        #[arg(long, default_value_t = 0)]
        bad: u32,
        /// Where to write; stdout when not given.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// A policy set: a schema and decisions of every kind.
    Policies {
        #[arg(long, default_value_t = 100)]
        decisions: usize,
        /// Rules or table rows per decision.
        #[arg(long, default_value_t = 10)]
        rules: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The directory to write the `.credo` files into.
        #[arg(short, long)]
        output: PathBuf,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Facts {
            policies,
            accounts,
            seed,
            unknown,
            bad,
            output,
        } => facts(&policies, accounts, seed, unknown, bad, output.as_deref()),
        Command::Policies {
            decisions,
            rules,
            seed,
            output,
        } => policies(decisions, rules, seed, &output),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn facts(
    dir: &Path,
    accounts: u64,
    seed: u64,
    unknown: u32,
    bad: u32,
    output: Option<&Path>,
) -> Result<(), String> {
    let checked = credo::load_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let program = checked
        .program
        .ok_or_else(|| format!("the policies in {} have errors", dir.display()))?;
    let options = FactOptions {
        unknown_permille: unknown,
        bad_permille: bad,
    };
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        let mut out = BufWriter::new(out);
        synth::write_fact_lines(&program.schema, accounts, seed, options, &mut out)?;
        out.flush()
    };
    match output {
        // Through the atomic writer: a failed run leaves the old file.
        Some(path) => {
            let mut file = credo::base::io::AtomicFile::create(path)
                .map_err(|e| format!("cannot write {e}"))?;
            write(&mut file).map_err(|e| format!("cannot write the facts: {e}"))?;
            file.commit().map_err(|e| format!("cannot write {e}"))
        }
        None => {
            write(&mut std::io::stdout().lock()).map_err(|e| format!("cannot write the facts: {e}"))
        }
    }
}

fn policies(decisions: usize, rules: usize, seed: u64, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, text) in synth::policy_set(decisions, rules, seed) {
        let path = dir.join(name);
        credo::base::io::write_atomically(&path, text.as_bytes(), None)
            .map_err(|e| format!("cannot write {e}"))?;
    }
    Ok(())
}
