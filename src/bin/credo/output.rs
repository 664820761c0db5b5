//! Writing results: no panic when stdout fails, and counts in words.

use std::io::Write as _;

/// A failure already reported on stderr, with its exit code.
pub struct Exit(pub u8);

/// Exit code when `--fail-on undetermined` finds an undetermined decision.
pub const UNDETERMINED: u8 = 3;

/// Writes a command's result to stdout. A reader that stopped reading
/// (`credo … | head -1`) ends the run quietly with exit 0, as `rg` and `jq`
/// do; any other failure (a full device) is reported, with exit 2.
pub fn emit(text: &str) -> Result<(), Exit> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) => Err(write_failed(&e)),
    }
}

/// Writes text to stderr as it is; a closed stderr loses it, not the run.
pub fn tell(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// The exit for a failed write to stdout: quiet for a broken pipe.
pub fn write_failed(e: &std::io::Error) -> Exit {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Exit(0);
    }
    say!("error: cannot write the output: {e}");
    Exit(2)
}

/// `1 error`, `2 errors`: a count with its noun.
pub fn counted(n: impl TryInto<u64>, noun: &str) -> String {
    let n: u64 = n.try_into().unwrap_or(u64::MAX);
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
