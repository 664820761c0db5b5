//! `credo lsp`: the language server, on stdin and stdout.

use std::path::PathBuf;

use crate::output::Exit;

pub const AFTER_HELP: &str = "\
Editors start it; see the README's \"In the editor\" for Neovim, Helix and VS Code.

Exit codes: 0 the client asked the server to shut down and exit; 1 it exited without
shutdown; 2 the connection failed.";

#[derive(clap::Args)]
pub struct Args {
    /// The policy directory; else the client's `policies` option, else the
    /// workspace's `policies/`, else the workspace root.
    #[arg(long)]
    policies: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<(), Exit> {
    match credo::tools::lsp::run(args.policies) {
        Ok(0) => Ok(()),
        Ok(_) => Err(Exit(1)),
        Err(e) => {
            say!("error: credo lsp: {e}");
            Err(Exit(2))
        }
    }
}
