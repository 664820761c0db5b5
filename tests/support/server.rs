//! A real `credo serve` on a free loopback port, and a small HTTP/1.1
//! client that can also send what a proper client would not (malformed
//! requests, slow bodies). Every wait is bounded.
#![allow(dead_code, reason = "each test binary uses a part")]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest wait for the server to start, or for one answer.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct Server {
    pub child: Child,
    pub port: u16,
    /// Everything the server wrote to stderr so far.
    pub log: Arc<Mutex<String>>,
}

/// How `start` ended when the server did not come up.
pub struct Exited {
    pub code: Option<i32>,
    pub stderr: String,
}

impl Server {
    /// Starts `credo serve --policies DIR --addr 127.0.0.1:0 ARGS` and waits
    /// for it to say where it listens.
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        Server::run("serve", dir, args)
    }

    /// Starts `credo COMMAND --policies DIR --addr 127.0.0.1:0 ARGS` (`serve`
    /// or `studio`, which share the server) and waits for it to listen.
    pub fn run(command: &str, dir: &Path, args: &[&str]) -> Server {
        match Server::try_run(command, dir, args) {
            Ok(server) => server,
            Err(exited) => panic!(
                "credo {command} exited ({:?}) before listening:\n{}",
                exited.code, exited.stderr
            ),
        }
    }

    pub fn try_start(dir: &Path, args: &[&str]) -> Result<Server, Exited> {
        Server::try_run("serve", dir, args)
    }

    /// Starts `credo serve` from `sh`, which first runs `setup` (a `ulimit`,
    /// a `trap`) and then execs the server, so that the child is the server.
    pub fn start_in_shell(setup: &str, dir: &Path, args: &[&str]) -> Server {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("{setup}; exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_credo"));
        match Server::spawn(command, "serve", dir, args) {
            Ok(server) => server,
            Err(exited) => panic!(
                "credo serve exited ({:?}) before listening:\n{}",
                exited.code, exited.stderr
            ),
        }
    }

    fn try_run(command: &str, dir: &Path, args: &[&str]) -> Result<Server, Exited> {
        Server::spawn(
            Command::new(env!("CARGO_BIN_EXE_credo")),
            command,
            dir,
            args,
        )
    }

    fn spawn(
        mut program: Command,
        command: &str,
        dir: &Path,
        args: &[&str],
    ) -> Result<Server, Exited> {
        let mut child = program
            .arg(command)
            .arg("--policies")
            .arg(dir)
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .env("NO_COLOR", "1")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("credo runs");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on http://127.0.0.1:").nth(1) {
                    let _ = port_tx.send(rest.trim().parse::<u16>().unwrap_or(0));
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let started = Instant::now();
        loop {
            if let Ok(port) = port_rx.recv_timeout(Duration::from_millis(50)) {
                return Ok(Server { child, port, log });
            }
            if let Ok(Some(status)) = child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                return Err(Exited {
                    code: status.code(),
                    stderr: log.lock().unwrap().clone(),
                });
            }
            assert!(
                started.elapsed() < PATIENCE,
                "credo {command} did not start"
            );
        }
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        let mut head =
            format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        self.raw(&bytes)
    }

    pub fn get(&self, path: &str) -> Answer {
        self.request("GET", path, &[], b"")
    }

    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> Answer {
        let body = serde_json::to_vec(body).unwrap();
        self.request("POST", path, &[("Content-Type", "application/json")], &body)
    }

    /// Sends `bytes` as they are and reads the answer to the end.
    pub fn raw(&self, bytes: &[u8]) -> Answer {
        let mut stream = self.connect();
        stream.write_all(bytes).unwrap();
        read_answer(&mut stream)
    }

    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("the server accepts");
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream.set_write_timeout(Some(PATIENCE)).unwrap();
        stream
    }

    /// Sends a signal by the child's own id.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to end; its exit code.
    pub fn wait(&mut self) -> Option<i32> {
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("credo serve did not stop");
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The bytes as they came, before de-chunking.
    pub raw_body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one answer to the end of the connection.
pub fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut all = Vec::new();
    let _ = stream.read_to_end(&mut all);
    parse_answer(&all)
}

pub fn parse_answer(all: &[u8]) -> Answer {
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(all)));
    let head = String::from_utf8_lossy(&all[..split]).into_owned();
    let raw_body = all[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(&raw_body)
    } else {
        raw_body.clone()
    };
    Answer {
        status,
        headers,
        body,
        raw_body,
    }
}

/// The data of a chunked body, as far as it is whole.
pub fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&raw[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let Some(size) = size else { break };
        if size == 0 || raw.len() < end + 2 + size {
            break;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[(end + 4 + size).min(raw.len())..];
    }
    out
}

/// A copy of the shipped policies in a fresh directory.
pub fn policies_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "credo") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Replaces a file as one step: readers see the old or the new text, never half.
pub fn write_atomically(path: &Path, text: &str) {
    let temporary = path.with_extension("tmp-write");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

/// A shipped example's facts as JSON.
pub fn example(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policies/examples")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    if name.ends_with(".json") {
        serde_json::from_str(&text).unwrap()
    } else {
        serde_yaml::from_str(&text).unwrap()
    }
}
