//! `credo lsp`: a language server for policy sets, over stdio.
//!
//! The server ([`server`]) is a state machine fed with messages; [`run`]
//! feeds it from stdio. What it knows comes from [`analysis`] and the
//! feature modules beside it, which take plain texts and positions and know
//! nothing of LSP, so a browser editor can use them as they are:
//! [`complete`], [`hover`], [`navigate`] (definition, references, rename),
//! [`edit`] (formatting, quick fixes), [`outline`] (symbols, folding,
//! highlighting) and [`lens`] (tests, verify and example outcomes).

pub mod analysis;
pub mod complete;
pub mod edit;
pub mod hover;
pub mod index;
pub mod lens;
pub mod lex;
pub mod navigate;
pub mod outline;
pub mod pending;
pub mod server;
pub mod store;
pub mod test_files;
pub mod text;
pub mod uri;
pub mod wire;

use std::path::PathBuf;

pub use server::Server;

/// Serves LSP on stdin and stdout until the client says `exit`; the exit
/// code is 0 after a `shutdown` request, 1 without one.
pub fn run(policies: Option<PathBuf>) -> std::io::Result<i32> {
    let mut server = Server::new(policies);
    let mut code = 1;
    // Read by a thread of its own into a queue, so that what arrives while
    // a batch is handled waits there and is handled as the next batch.
    let (queue, waiting) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("lsp-reader".to_owned())
        .spawn(move || wire::read_frames(std::io::stdin().lock(), &queue))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // Everything already waiting is handled as one batch, so that a burst
    // of keystrokes is checked once, and requests it made stale are dropped.
    while let Ok(first) = waiting.recv() {
        let mut batch = Vec::new();
        let mut next = Some(first);
        while let Some(incoming) = next.take() {
            match incoming {
                wire::Incoming::Message(message) => batch.push(message),
                wire::Incoming::Malformed(code, why) => wire::write_error(&mut out, code, &why)?,
            }
            if batch.len() < 1024 {
                next = waiting.try_recv().ok();
            }
        }
        for message in server.handle_batch(batch) {
            wire::write(&mut out, message)?;
        }
        if let Some(exit) = server.exit_code() {
            code = exit;
            break;
        }
    }
    Ok(code)
}
