//! `credo completions SHELL` and `credo man`: clap's own generators.

use std::path::PathBuf;

use clap_complete::Shell;

use crate::output::{Exit, emit};

pub const COMPLETIONS_HELP: &str = "\
Examples:
  credo completions bash > ~/.local/share/bash-completion/completions/credo
  credo completions zsh > \"${fpath[1]}/_credo\"
  credo completions fish > ~/.config/fish/completions/credo.fish
  credo completions powershell >> $PROFILE";

pub const MAN_HELP: &str = "\
Examples:
  credo man | man -l -
  credo man --out /usr/local/share/man/man1     credo.1 and credo-eval.1, credo-batch.1, ...

Each page is written atomically.";

#[derive(clap::Args)]
pub struct CompletionArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(clap::Args)]
pub struct ManArgs {
    /// Write `credo.1` and a page per command (`credo-eval.1`, ...) into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn completions(args: CompletionArgs, mut command: clap::Command) -> Result<(), Exit> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "credo", &mut script);
    emit(&String::from_utf8_lossy(&script))
}

pub fn man(args: ManArgs, command: clap::Command) -> Result<(), Exit> {
    let mut command = command;
    command.build();
    let Some(dir) = args.out else {
        return emit(&page(&command)?);
    };
    if !dir.is_dir() {
        say!("error: `{}` is not a directory", dir.display());
        return Err(Exit(2));
    }
    crate::signals::stop_on_signals();
    let mut pages = vec![("credo.1".to_owned(), page(&command)?)];
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("credo-{}", sub.get_name());
        let renamed = sub
            .clone()
            .display_name(name.clone())
            .bin_name(name.clone());
        pages.push((format!("{name}.1"), page(&renamed)?));
    }
    for (file, text) in &pages {
        let path = dir.join(file);
        credo::base::io::write_atomically(
            &path,
            text.as_bytes(),
            crate::signals::disk_full_after(),
        )
        .map_err(|e| {
            say!("error: cannot write {e}");
            Exit(2)
        })?;
    }
    say!(
        "wrote {} into {}",
        crate::output::counted(pages.len(), "man page"),
        dir.display()
    );
    Ok(())
}

fn page(command: &clap::Command) -> Result<String, Exit> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut out)
        .map_err(|e| {
            say!("error: cannot render the man page: {e}");
            Exit(2)
        })?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
