#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Faults thrown at the real `credo` binary, each in bounded time: output
//! that is the input, a full disk (through the `CREDO_TEST_DISK_FULL_AFTER`
//! seam), SIGTERM mid-batch, streams that never end into every input path,
//! a reader that stops reading, and files fmt must not clobber.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Long enough for a debug build on a loaded machine; a hang still fails.
const DEADLINE: Duration = Duration::from_secs(120);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn credo() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_credo"));
    command
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("CREDO_POLICIES")
        .env_remove("CREDO_TEST_DISK_FULL_AFTER");
    command
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs to the end, or fails the test at the deadline (killing the child).
fn finish(mut child: Child) -> Ran {
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(out) = out.as_mut() {
            let _ = out.read_to_string(&mut text);
        }
        text
    });
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(err) = err.as_mut() {
            let _ = err.read_to_string(&mut text);
        }
        text
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("credo did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran {
        code: status.code().expect("an exit code, not a signal"),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn run(command: &mut Command) -> Ran {
    finish(
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

/// One account a line, `n` lines: every line evaluates.
fn accounts(n: usize) -> String {
    let line = r#"{"as_of":"2026-11-25","account":{"created_via":"ads_manager","segment":"smb","status":"active","policy_violation":false,"unused_credit":"0.00 USD"},"business_center":{"credit_source":"none"},"agency":{"partner_status":"none","client_spend":"0.00 USD","new_client_accounts":0}}"#;
    let mut text = String::new();
    for _ in 0..n {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// Files whose names start with `.credo-`: temporary files left behind.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".credo-"))
        })
        .collect()
}

#[test]
fn batch_output_that_is_the_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("accounts.jsonl");
    let text = accounts(3);
    std::fs::write(&input, &text).unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&input, &link).unwrap();
    for output in [&input, &link] {
        let ran = run(credo().arg("batch").arg(&input).arg("-o").arg(output));
        assert_eq!(ran.code, 2, "{}", ran.stderr);
        assert!(ran.stderr.contains("is the input"), "{}", ran.stderr);
        assert_eq!(std::fs::read_to_string(&input).unwrap(), text);
    }
    // `credo batch - -o X < X`: stdin is the output too.
    let ran = finish(
        credo()
            .args(["batch", "-", "-o"])
            .arg(&input)
            .stdin(std::fs::File::open(&input).unwrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert_eq!(std::fs::read_to_string(&input).unwrap(), text);
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn batch_unreadable_input_leaves_the_existing_output() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("results.jsonl");
    std::fs::write(&output, "previous results\n").unwrap();
    let ran = run(credo().arg("batch").arg(dir.path()).arg("-o").arg(&output));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.stderr.contains("cannot read"), "{}", ran.stderr);
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "previous results\n"
    );
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn batch_on_a_full_disk_leaves_the_previous_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("accounts.jsonl");
    std::fs::write(&input, accounts(600)).unwrap();
    let output = dir.path().join("results.jsonl");
    std::fs::write(&output, "previous results\n").unwrap();
    let ran = run(credo()
        .env("CREDO_TEST_DISK_FULL_AFTER", "5000")
        .args(["batch", "--jobs", "2"])
        .arg(&input)
        .arg("-o")
        .arg(&output));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.stderr.contains("No space left"), "{}", ran.stderr);
    assert!(ran.stderr.contains("was left as it was"), "{}", ran.stderr);
    assert!(!ran.stderr.contains("evaluated"), "{}", ran.stderr);
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "previous results\n"
    );
    assert!(leftovers(dir.path()).is_empty());
    // The same run with room writes every record.
    let ran = run(credo().arg("batch").arg(&input).arg("-o").arg(&output));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let written = std::fs::read_to_string(&output).unwrap();
    assert_eq!(written.lines().count(), 600);
}

/// A policy file fmt would change.
const UNFORMATTED: &str = "schema { account { segment: enum { smb, enterprise } } }\n";

#[test]
fn fmt_on_a_full_disk_keeps_the_file_and_counts_nothing_as_reformatted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.credo");
    std::fs::write(&file, UNFORMATTED).unwrap();
    let ran = run(credo()
        .env("CREDO_TEST_DISK_FULL_AFTER", "10")
        .arg("fmt")
        .arg(&file));
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(ran.stderr.contains("No space left"), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("reformatted 0 of 1 file, 1 not formatted"),
        "{}",
        ran.stderr
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), UNFORMATTED);
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn fmt_keeps_mode_and_links_and_refuses_what_it_must_not_replace() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    // The mode is kept.
    let kept = dir.path().join("kept.credo");
    std::fs::write(&kept, UNFORMATTED).unwrap();
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
    let ran = run(credo().arg("fmt").arg(&kept));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_ne!(std::fs::read_to_string(&kept).unwrap(), UNFORMATTED);
    assert_eq!(std::fs::metadata(&kept).unwrap().mode() & 0o777, 0o640);
    // A link stays a link; the file it points to is formatted.
    let target = dir.path().join("target.credo");
    std::fs::write(&target, UNFORMATTED).unwrap();
    let link = dir.path().join("link.credo");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let ran = run(credo().arg("fmt").arg(&link));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_ne!(std::fs::read_to_string(&target).unwrap(), UNFORMATTED);
    // A file read-only for its owner is refused, even for root.
    let read_only = dir.path().join("read_only.credo");
    std::fs::write(&read_only, UNFORMATTED).unwrap();
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o444)).unwrap();
    let ran = run(credo().arg("fmt").arg(&read_only));
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(ran.stderr.contains("is read-only"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("reformatted 0 of 1 file"),
        "{}",
        ran.stderr
    );
    assert_eq!(std::fs::read_to_string(&read_only).unwrap(), UNFORMATTED);
    // A hard link is refused, not silently broken.
    let first = dir.path().join("first.credo");
    let second = dir.path().join("second.credo");
    std::fs::write(&first, UNFORMATTED).unwrap();
    std::fs::hard_link(&first, &second).unwrap();
    let ran = run(credo().arg("fmt").arg(&first));
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(ran.stderr.contains("has 2 hard links"), "{}", ran.stderr);
    assert_eq!(std::fs::read_to_string(&second).unwrap(), UNFORMATTED);
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn fmt_run_as_root_keeps_the_owner() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("owned.credo");
    std::fs::write(&file, UNFORMATTED).unwrap();
    if std::fs::metadata(&file).unwrap().uid() != 0 {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root, so this test must run there"
        );
        eprintln!("skipped: giving a file to another owner needs root");
        return;
    }
    std::os::unix::fs::chown(&file, Some(4242), Some(4243)).unwrap();
    let ran = run(credo().arg("fmt").arg(&file));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let metadata = std::fs::metadata(&file).unwrap();
    assert_ne!(std::fs::read_to_string(&file).unwrap(), UNFORMATTED);
    assert_eq!((metadata.uid(), metadata.gid()), (4242, 4243));
}

/// Sends SIGTERM through the shell's `kill` (the crate forbids `unsafe`).
fn terminate(child: &Child) {
    signal(child, "TERM");
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("sh")
        .args(["-c", &format!("kill -{name} {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits, in bounded time, until `ready` holds.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_mid_batch_leaves_the_previous_output_file() {
    stopped_mid_batch_leaves_the_previous_output_file("TERM", 143);
}

#[test]
fn sighup_mid_batch_leaves_the_previous_output_file_and_no_temporary_file() {
    // A hangup killed the process by default, leaving a temporary file of
    // every record so far (164 MB in the audit) beside the output.
    stopped_mid_batch_leaves_the_previous_output_file("HUP", 129);
}

fn stopped_mid_batch_leaves_the_previous_output_file(name: &str, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("results.jsonl");
    std::fs::write(&output, "previous results\n").unwrap();
    let mut child = credo()
        .args(["batch", "--jobs", "1", "-", "-o"])
        .arg(&output)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Two chunks of records reach the temporary file; the input stays open,
    // so the run is mid-way when the signal comes.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(accounts(600).as_bytes()).unwrap();
    stdin.flush().unwrap();
    wait_for("records in the temporary file", || {
        leftovers(dir.path())
            .iter()
            .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
    });
    signal(&child, name);
    let ran = finish(child);
    drop(stdin);
    assert_eq!(ran.code, code, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&format!("stopped by SIG{name}")),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("the output file was left as it was"),
        "{}",
        ran.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "previous results\n"
    );
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn sigterm_mid_batch_on_stdout_ends_after_whole_records() {
    let mut child = credo()
        .args(["batch", "--jobs", "2", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(accounts(600).as_bytes());
        // Kept open: the run waits for more input.
        std::thread::sleep(Duration::from_secs(2));
        stdin
    });
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    terminate(&child);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let ran = finish(child);
    drop(feeder.join());
    assert_eq!(ran.code, 143, "{}", ran.stderr);
    let all = first + &rest;
    assert!(all.ends_with('\n'));
    // At least the first chunk (what one read of the pipe gave) was written.
    let records = all.lines().count();
    assert!(records >= 1, "no record");
    for line in all.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("a whole record");
    }
    assert!(
        ran.stderr.contains(&format!(
            "{} bytes written, ending with a whole record",
            all.len()
        )),
        "{}",
        ran.stderr
    );
}

#[test]
fn endless_streams_into_every_input_path_end_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let zero = Path::new("/dev/zero");
    let link = |name: &str| {
        let path = dir.path().join(name);
        std::os::unix::fs::symlink(zero, &path).unwrap();
        path
    };
    let yaml = link("endless.yaml");
    let bare = link("endless");
    let corpus = link("endless.jsonl");
    let policy = link("endless.credo");
    // A policy set whose test file names an endless fact file.
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(policies.join("tests")).unwrap();
    std::fs::copy(
        root().join("tests/cases/policy_tests/offers/offers.credo"),
        policies.join("offers.credo"),
    )
    .unwrap();
    std::os::unix::fs::symlink(zero, policies.join("endless.yaml")).unwrap();
    std::fs::write(
        policies.join("tests/endless.yaml"),
        "cases:\n  - name: endless\n    as_of: 2026-11-25\n    facts: endless.yaml\n    expect:\n      smb_offer: eligible\n",
    )
    .unwrap();
    let limit = "--max-fact-bytes=65536";
    let runs: Vec<(Vec<std::ffi::OsString>, bool)> = vec![
        (
            vec!["eval".into(), limit.into(), yaml.clone().into()],
            false,
        ),
        (vec!["eval".into(), limit.into(), bare.into()], false),
        (vec!["eval".into(), limit.into(), "-".into()], true),
        (
            vec!["explain".into(), limit.into(), yaml.clone().into()],
            false,
        ),
        (
            vec![
                "whatif".into(),
                "--decision".into(),
                "spend_milestone_credit".into(),
                limit.into(),
                yaml.into(),
            ],
            false,
        ),
        (
            vec![
                "diff".into(),
                "--old".into(),
                "policies".into(),
                "--new".into(),
                "policies".into(),
                limit.into(),
                corpus.into(),
            ],
            false,
        ),
        (
            vec![
                "diff".into(),
                "--old".into(),
                "policies".into(),
                "--new".into(),
                "policies".into(),
                limit.into(),
                "-".into(),
            ],
            true,
        ),
        (
            vec![
                "test".into(),
                "--policies".into(),
                policies.into(),
                limit.into(),
            ],
            false,
        ),
        (
            vec![
                "fmt".into(),
                "--max-policy-bytes=65536".into(),
                policy.into(),
            ],
            false,
        ),
        (
            vec!["fmt".into(), "--max-policy-bytes=65536".into(), "-".into()],
            true,
        ),
    ];
    for (args, endless_stdin) in runs {
        let stdin = if endless_stdin {
            Stdio::from(std::fs::File::open(zero).unwrap())
        } else {
            Stdio::null()
        };
        let ran = finish(
            credo()
                .args(&args)
                .stdin(stdin)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        assert!(
            ran.code == 1 || ran.code == 2,
            "{args:?}: exit {}: {}",
            ran.code,
            ran.stderr
        );
        assert!(
            ran.stderr
                .contains("larger than the limit of 65536 bytes (64 KiB)"),
            "{args:?}: {}",
            ran.stderr
        );
        assert!(ran.stdout.is_empty(), "{args:?}: {}", ran.stdout);
    }
}

#[test]
fn facts_from_a_named_pipe_are_read_and_their_format_told_by_the_first_character() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("facts");
    let made = Command::new("mkfifo").arg(&pipe).status().unwrap();
    assert!(made.success());
    for document in [
        "{\"as_of\": \"2026-11-25\", \"account\": {\"created_via\": \"ads_manager\"}}\n",
        "as_of: 2026-11-25\naccount: {created_via: ads_manager}\n",
    ] {
        let writer = {
            let pipe = pipe.clone();
            std::thread::spawn(move || {
                let mut file = std::fs::OpenOptions::new().write(true).open(pipe).unwrap();
                file.write_all(document.as_bytes()).unwrap();
            })
        };
        let ran = run(credo()
            .args(["eval", "--decision", "credit_track"])
            .arg(&pipe));
        writer.join().unwrap();
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        assert!(
            ran.stdout.contains("credit_track: self_serve"),
            "{}",
            ran.stdout
        );
    }
}

#[test]
fn a_reader_that_stops_reading_ends_the_run_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("accounts.jsonl");
    std::fs::write(&input, accounts(3000)).unwrap();
    let commands: [Vec<std::ffi::OsString>; 3] = [
        vec!["batch".into(), input.into()],
        vec!["completions".into(), "bash".into()],
        vec!["verify".into()],
    ];
    for args in commands {
        let mut child = credo()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `| head -1`: one line read, then the pipe closed.
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        drop(stdout);
        let ran = finish(child);
        assert_eq!(ran.code, 0, "{args:?}: {}", ran.stderr);
        assert!(!ran.stderr.contains("panicked"), "{args:?}: {}", ran.stderr);
        assert!(
            !ran.stderr.contains("Broken pipe"),
            "{args:?}: {}",
            ran.stderr
        );
    }
}

#[test]
fn a_failed_write_to_stdout_is_reported_without_a_panic() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    let ran = finish(
        credo()
            .args([
                "eval",
                "policies/examples/bc_admin_allocates_within_balance.yaml",
            ])
            .stdout(full)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("error: cannot write the output: No space left on device"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
}

#[test]
fn man_writes_a_page_per_command_and_completions_cover_four_shells() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run(credo().arg("man").arg("--out").arg(dir.path()));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    // A new file gets the mode a plain create gives (0666 less the umask),
    // not a temporary file's 0600.
    let plain = dir.path().join("plain");
    std::fs::write(&plain, "").unwrap();
    let mode = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).unwrap().mode() & 0o777
    };
    for page in ["credo.1", "credo-eval.1", "credo-batch.1", "credo-fmt.1"] {
        let path = dir.path().join(page);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(".TH"), "{page}");
        assert_eq!(mode(&path), mode(&plain), "{page}");
    }
    assert!(leftovers(dir.path()).is_empty());
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let ran = run(credo().args(["completions", shell]));
        assert_eq!(ran.code, 0, "{shell}: {}", ran.stderr);
        assert!(ran.stdout.contains("credo"), "{shell}");
        assert!(ran.stdout.contains("input-format"), "{shell}");
    }
}

#[test]
fn batch_runs_on_one_thread_when_no_worker_thread_can_start() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("accounts.jsonl");
    std::fs::write(&input, accounts(600)).unwrap();
    // A default thread stack of 2^60 bytes cannot be mapped: every thread
    // spawned without an explicit size fails, as under a pids or memory limit.
    let starved = run(credo()
        .env("RUST_MIN_STACK", "1152921504606846976")
        .args(["batch", "--jobs", "4"])
        .arg(&input));
    assert_eq!(starved.code, 0, "{}", starved.stderr);
    assert!(
        starved.stderr.contains("cannot start worker threads")
            && starved.stderr.contains("running on one"),
        "{}",
        starved.stderr
    );
    let normal = run(credo().args(["batch", "--jobs", "1"]).arg(&input));
    assert_eq!(normal.code, 0, "{}", normal.stderr);
    assert_eq!(starved.stdout, normal.stdout);
}
