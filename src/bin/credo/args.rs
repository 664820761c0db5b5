//! The argument groups commands share, each declared once and flattened
//! into the commands that take it.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::ValueEnum;

use credo::Limits;
use credo::input::facts::Format;

/// `--policies`: the policy directory.
#[derive(clap::Args)]
pub struct PolicyArgs {
    /// The policy directory.
    #[arg(long, env = "CREDO_POLICIES", default_value = "policies")]
    pub policies: PathBuf,
}

/// `--as-of`: the same meaning in every command.
#[derive(clap::Args)]
pub struct AsOfArgs {
    /// The evaluation date (YYYY-MM-DD). It overrides the facts' own
    /// `as_of`; without it, the facts' `as_of`, else today.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
}

/// `--decision`, repeatable; a value given twice is taken once.
#[derive(clap::Args)]
pub struct DecisionArgs {
    /// Only this decision (repeatable).
    #[arg(long = "decision", value_name = "ID")]
    decisions: Vec<String>,
}

impl DecisionArgs {
    /// The ids asked for, in order, each once.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for id in &self.decisions {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }
}

/// One account's facts: where, in which format, how strictly.
#[derive(clap::Args)]
pub struct FactArgs {
    /// A `.yaml`, `.yml` or `.json` fact file, `-` for stdin, or a named pipe.
    #[arg(value_name = "FACTS")]
    pub facts: PathBuf,
    /// The facts' format. Without it: the extension; for stdin and paths
    /// without one, a document starting with `{` is JSON, else YAML.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,
    /// Unknown fact fields and sections are errors, not warnings.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum InputFormat {
    Json,
    Yaml,
}

impl InputFormat {
    pub fn format(self) -> Format {
        match self {
            InputFormat::Json => Format::Json,
            InputFormat::Yaml => Format::Yaml,
        }
    }
}

/// The sizes credo accepts; see `credo::Limits` and the README's "Limits".
#[derive(clap::Args)]
pub struct LimitArgs {
    /// Largest fact document, in bytes.
    #[arg(long, value_name = "BYTES", value_parser = parse_limit, default_value_t = Limits::default().max_fact_bytes)]
    max_fact_bytes: usize,
    /// Largest policy file, in bytes.
    #[arg(long, value_name = "BYTES", value_parser = parse_limit, default_value_t = Limits::default().max_policy_bytes)]
    max_policy_bytes: usize,
    /// Most `.credo` files in the policy directory.
    #[arg(long, value_name = "N", value_parser = parse_limit, default_value_t = Limits::default().max_policy_files)]
    max_policy_files: usize,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            max_fact_bytes: self.max_fact_bytes,
            max_policy_bytes: self.max_policy_bytes,
            max_policy_files: self.max_policy_files,
        }
    }
}

/// `--color`, for every command.
#[derive(clap::Args)]
pub struct ColourArgs {
    /// Colour the output: `auto` on a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = Colour::Auto)]
    pub color: Colour,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Colour {
    Auto,
    Always,
    Never,
}

/// How results are printed: text for people, JSON for programs.
#[derive(Clone, Copy, ValueEnum)]
pub enum DiagnosticFormat {
    Text,
    Json,
}

pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    credo::base::dates::parse(text).map_err(|e| format!("`{text}` {e}"))
}

/// A byte or count limit: at least 1, at most what can be honoured.
pub fn parse_limit(text: &str) -> Result<usize, String> {
    let largest = credo::base::io::LARGEST_LIMIT;
    match text.parse::<u128>() {
        Ok(0) => Err("a limit of 0 would refuse everything; the smallest is 1".to_owned()),
        Ok(n) if n > largest as u128 => Err(format!(
            "`{text}` is more than credo can honour; the largest is {}",
            credo::base::limits::bytes(largest)
        )),
        Ok(n) => usize::try_from(n).map_err(|_| format!("`{text}` is too large")),
        Err(_) => Err(format!("`{text}` is not a whole number")),
    }
}

pub fn parse_percent(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}
