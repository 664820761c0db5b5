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

use std::path::PathBuf;

pub use server::Server;

/// Serves LSP on stdin and stdout until the client says `exit`; the exit
/// code is 0 after a `shutdown` request, 1 without one.
pub fn run(policies: Option<PathBuf>) -> std::io::Result<i32> {
    let (connection, io) = lsp_server::Connection::stdio();
    let mut server = Server::new(policies);
    let mut code = 1;
    // lsp-server's reader hands messages over one at a time (a rendezvous
    // channel), so nothing ever waited to be batched; a thread of our own
    // queues what has been read while a batch is being handled.
    let (queue, waiting) = std::sync::mpsc::channel();
    let incoming = connection.receiver.clone();
    std::thread::Builder::new()
        .name("lsp-queue".to_owned())
        .spawn(move || {
            for message in incoming {
                if queue.send(message).is_err() {
                    break;
                }
            }
        })?;
    // Everything already waiting is handled as one batch, so that a burst
    // of keystrokes is checked once, and requests it made stale are dropped.
    while let Ok(first) = waiting.recv() {
        let mut batch = vec![first];
        while batch.len() < 1024 {
            match waiting.try_recv() {
                Ok(message) => batch.push(message),
                Err(_) => break,
            }
        }
        for message in server.handle_batch(batch) {
            if connection.sender.send(message).is_err() {
                break;
            }
        }
        if let Some(exit) = server.exit_code() {
            code = exit;
            break;
        }
    }
    drop(connection);
    io.join()?;
    Ok(code)
}
