//! `credo codes`: the diagnostic codes, or one explained with an example.

use crate::output::{Exit, emit};

pub const AFTER_HELP: &str = "\
Examples:
  credo codes           every code with its meaning
  credo codes E0101     what E0101 means, a policy that triggers it, and what check says of it

Exit codes: 0 shown; 2 no such code.";

#[derive(clap::Args)]
pub struct Args {
    /// The code to explain, such as `E0101`.
    code: Option<String>,
}

pub fn run(args: Args) -> Result<(), Exit> {
    let Some(code) = args.code else {
        return emit(&credo::tools::codes::list());
    };
    let page = credo::tools::codes::describe(&code, crate::colour::stdout()).map_err(|e| {
        say!("error: {e}");
        Exit(2)
    })?;
    emit(&page)
}
