//! LSP's framing on stdin and stdout (`Content-Length` headers, JSON-RPC
//! bodies), read by a thread of credo's own. A frame that is not a message
//! (bad JSON, a JSON array, a request whose id is an object) is answered
//! with a JSON-RPC error and skipped: lsp-server's reader ended the whole
//! session on it, and the editor lost its server.

use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc::Sender;

use lsp_server::Message;

/// Largest body read; a longer one is skipped unread and answered as an
/// error (a 5 MB policy file fits many times over).
const MAX_BODY: usize = 256 << 20;

/// What one frame held.
pub enum Incoming {
    Message(Message),
    /// Not a message: the JSON-RPC error code, and what was wrong.
    Malformed(i32, String),
}

/// JSON-RPC's "not JSON" and "not a request".
const PARSE_ERROR: i32 = -32700;
const INVALID_REQUEST: i32 = -32600;

/// Reads frames until the input ends or the client says `exit`.
pub fn read_frames(mut input: impl BufRead, queue: &Sender<Incoming>) -> io::Result<()> {
    loop {
        let Some(length) = headers(&mut input)? else {
            return Ok(());
        };
        let incoming = match length {
            Ok(n) if n <= MAX_BODY => {
                let mut body = vec![0; n];
                input.read_exact(&mut body)?;
                parse(&body)
            }
            Ok(n) => {
                io::copy(&mut (&mut input).take(n as u64), &mut io::sink())?;
                Incoming::Malformed(
                    INVALID_REQUEST,
                    format!("a body of {n} bytes is past the limit of {MAX_BODY}"),
                )
            }
            Err(why) => Incoming::Malformed(PARSE_ERROR, why),
        };
        let exit =
            matches!(&incoming, Incoming::Message(Message::Notification(n)) if n.method == "exit");
        if queue.send(incoming).is_err() || exit {
            return Ok(());
        }
    }
}

/// A frame's headers, up to the blank line: its body's length, or why there
/// is none; `None` at the end of the input.
fn headers(input: &mut impl BufRead) -> io::Result<Option<Result<usize, String>>> {
    let mut length = None;
    let mut read_any = false;
    loop {
        let mut line = Vec::new();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            // Blank lines between frames are no frame.
            if !read_any {
                continue;
            }
            return Ok(Some(length.unwrap_or_else(|| {
                Err("a frame without a Content-Length header".to_owned())
            })));
        }
        read_any = true;
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = Some(
                value
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| format!("`{}` is not a Content-Length", value.trim())),
            );
        }
    }
}

fn parse(body: &[u8]) -> Incoming {
    match serde_json::from_slice::<Message>(body) {
        Ok(message) => Incoming::Message(message),
        Err(e) => match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(_) => Incoming::Malformed(INVALID_REQUEST, format!("not a JSON-RPC message: {e}")),
            Err(e) => Incoming::Malformed(PARSE_ERROR, format!("not JSON: {e}")),
        },
    }
}

/// Writes one message, framed.
pub fn write(out: &mut impl Write, message: Message) -> io::Result<()> {
    message.write(out)
}

/// Answers a frame that was no message: an error response without an id
/// (JSON-RPC's answer when the request's id cannot be known).
pub fn write_error(out: &mut impl Write, code: i32, why: &str) -> io::Result<()> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": code, "message": why},
    })
    .to_string();
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}
