//! What running the policies shows in the editor: test and verify code
//! lenses, verify findings as warnings, and inlay hints with each
//! decision's outcome for one example fact file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lsp_server::{Message, Request, RequestId};
use lsp_types as lt;
use serde_json::{Value, json};

use crate::engine::eval::Request as EvalRequest;
use crate::engine::outcome::AsOfSource;
use crate::input::facts::{self, Format};
use crate::tools::{policy_tests, verify};

use super::analysis::{Analysis, Location, Problem, Target};
use super::server::lsp_pos;

/// The commands the server carries out.
pub const COMMANDS: &[&str] = &["credo.runTests", "credo.verify", "credo.setExample"];

/// Results kept between changes.
#[derive(Default)]
pub struct State {
    /// The example fact file for inlay hints; the first of `examples/` when unset.
    pub example: Option<PathBuf>,
    /// Each decision's outcome for the example, as `credo eval` writes it.
    outcomes: BTreeMap<String, String>,
    /// Per decision: cases passed and failed in the last run.
    tests: Option<BTreeMap<String, (usize, usize)>>,
    /// The last verify report; run again on every change once asked for.
    verify: Option<verify::Report>,
    verify_on_change: bool,
    /// Set by a command whose result changes the diagnostics.
    pub needs_refresh: bool,
    requests: Vec<Message>,
    next_id: i32,
}

impl State {
    /// Recomputes what follows from the policies after a change.
    pub fn refresh(&mut self, a: &Analysis) {
        self.needs_refresh = false;
        self.outcomes = self.evaluate_example(a).unwrap_or_default();
        if self.verify_on_change {
            self.verify = a.program.as_ref().and_then(|p| verify::verify(p).ok());
        }
        if self.tests.is_some() {
            self.tests = Some(run_tests(a));
        }
    }

    fn example_path(&self, a: &Analysis) -> Option<PathBuf> {
        if let Some(e) = &self.example {
            return Some(match (e.is_relative(), &a.input.dir) {
                (true, Some(dir)) => dir.join(e),
                _ => e.clone(),
            });
        }
        let dir = a.input.dir.as_ref()?.join("examples");
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| Format::of_path(p).is_some())
            .collect();
        found.sort();
        found.into_iter().next()
    }

    fn evaluate_example(&self, a: &Analysis) -> Option<BTreeMap<String, String>> {
        let program = a.program.as_ref()?;
        let path = self.example_path(a)?;
        let text = std::fs::read_to_string(&path).ok()?;
        let loaded = facts::load_text(&program.schema, &text, Format::of_path(&path)?).ok()?;
        let as_of = loaded
            .facts
            .as_of(&program.schema)
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        let request = EvalRequest {
            as_of,
            as_of_source: AsOfSource::Facts,
            decisions: &[],
        };
        let evaluation = program.evaluate(&loaded.facts, &request).ok()?;
        Some(
            evaluation
                .decisions
                .into_iter()
                .map(|d| (d.id.clone(), d.outcome.as_text()))
                .collect(),
        )
    }

    /// Carries out a command; its result is the command's answer.
    pub fn execute(
        &mut self,
        a: &Analysis,
        command: &str,
        arguments: &[Value],
    ) -> Result<Value, String> {
        match command {
            "credo.runTests" => {
                let results = run_tests(a);
                let (passed, failed) = results
                    .values()
                    .fold((0, 0), |(p, f), (a, b)| (p + a, f + b));
                self.tests = Some(results);
                self.refresh_client("workspace/codeLens/refresh");
                Ok(json!({"passed": passed, "failed": failed}))
            }
            "credo.verify" => {
                let program = a
                    .program
                    .as_ref()
                    .ok_or("the policies have errors: fix them before verifying")?;
                let report = verify::verify(program).map_err(|e| e.to_string())?;
                let summary = serde_json::to_value(&report.summary).unwrap_or(Value::Null);
                self.verify = Some(report);
                self.verify_on_change = true;
                self.needs_refresh = true;
                self.refresh_client("workspace/codeLens/refresh");
                Ok(summary)
            }
            "credo.setExample" => {
                let path = arguments
                    .first()
                    .and_then(Value::as_str)
                    .ok_or("give the example fact file's path")?;
                self.example = Some(PathBuf::from(path));
                self.needs_refresh = true;
                self.refresh_client("workspace/inlayHint/refresh");
                Ok(Value::Null)
            }
            _ => Err(format!("no command `{command}`")),
        }
    }

    /// Asks the client to fetch lenses or hints again.
    pub(super) fn refresh_client(&mut self, method: &str) {
        self.next_id += 1;
        self.requests.push(Message::Request(Request::new(
            RequestId::from(format!("credo-{}", self.next_id)),
            method.to_owned(),
            Value::Null,
        )));
    }

    pub fn take_requests(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.requests)
    }
}

/// Cases passed and failed, per decision a case expects.
fn run_tests(a: &Analysis) -> BTreeMap<String, (usize, usize)> {
    let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let Some(program) = &a.program else {
        return out;
    };
    let files = a.tests();
    let report = policy_tests::run(program, files, None);
    let cases = files.iter().flat_map(|f| &f.cases);
    for (case, result) in cases.zip(&report.results) {
        for e in &case.expect {
            let entry = out.entry(e.decision.clone()).or_default();
            if result.mismatches.iter().any(|m| m.decision == e.decision) || result.error.is_some()
            {
                entry.1 += 1;
            } else {
                entry.0 += 1;
            }
        }
    }
    out
}

fn command(title: String, name: &str, arguments: Vec<Value>) -> lt::Command {
    lt::Command {
        title,
        command: name.to_owned(),
        arguments: Some(arguments),
    }
}

/// Lenses on each decision (tests, verify) and each assertion (its verdict).
pub fn code_lenses(state: &State, a: &Analysis, file: usize) -> Vec<lt::CodeLens> {
    let Some(f) = a.files.get(file) else {
        return Vec::new();
    };
    let text = a.text(file);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for case in a.tests().iter().flat_map(|t| &t.cases) {
        for e in &case.expect {
            *counts.entry(e.decision.as_str()).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for d in a.index.decisions.iter().filter(|d| d.file == file) {
        let at = f.index.pos(text, d.start);
        let range = lt::Range {
            start: lsp_pos(at),
            end: lsp_pos(at),
        };
        let n = counts.get(d.id.as_str()).copied().unwrap_or(0);
        let title = match state.tests.as_ref().and_then(|t| t.get(&d.id)) {
            Some((passed, 0)) => format!("✓ {passed} tests passed"),
            Some((passed, failed)) => format!("✗ {failed} of {} tests failed", passed + failed),
            None => format!("▶ run {n} test{}", if n == 1 { "" } else { "s" }),
        };
        out.push(lt::CodeLens {
            range,
            command: Some(command(title, "credo.runTests", vec![json!(d.id)])),
            data: None,
        });
        let findings = state
            .verify
            .as_ref()
            .and_then(|r| r.decisions.iter().find(|x| x.id == d.id))
            .map(|x| x.findings.len());
        let title = match findings {
            Some(0) => "verified: no findings".to_owned(),
            Some(n) => format!("verify: {n} finding{}", if n == 1 { "" } else { "s" }),
            None => "verify".to_owned(),
        };
        out.push(lt::CodeLens {
            range,
            command: Some(command(title, "credo.verify", vec![json!(d.id)])),
            data: None,
        });
    }
    for s in a.index.assertions.iter().filter(|s| s.file == file) {
        let at = f.index.pos(text, s.start);
        let line = at.line as usize + 1;
        let verdict = state.verify.as_ref().and_then(|r| {
            r.assertions.iter().find(|x| {
                place(a, &x.at).is_some_and(|(f, p)| f == file && p.line as usize + 1 == line)
            })
        });
        let title = match verdict.map(|v| v.verdict) {
            Some(verify::Verdict::Proved) => "proved",
            Some(verify::Verdict::Refuted) => "refuted",
            Some(verify::Verdict::NotAnalysed) => "not analysed",
            None => "verify",
        };
        out.push(lt::CodeLens {
            range: lt::Range {
                start: lsp_pos(at),
                end: lsp_pos(at),
            },
            command: Some(command(title.to_owned(), "credo.verify", Vec::new())),
            data: None,
        });
    }
    out
}

/// `file:line:column` as verify reports it, to a file and position.
fn place(a: &Analysis, at: &str) -> Option<(usize, super::text::Pos)> {
    let mut parts = at.rsplitn(3, ':');
    let column: u32 = parts.next()?.parse().ok()?;
    let line: u32 = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    let file = a.file_named(name).or_else(|| {
        a.input
            .policies
            .iter()
            .position(|d| Path::new(&d.name).ends_with(name))
    })?;
    Some((
        file,
        super::text::Pos {
            line: line.saturating_sub(1),
            character: column.saturating_sub(1),
        },
    ))
}

/// Verify's findings and refuted assertions, as warnings with the
/// counterexample as related information.
pub fn findings(state: &State, a: &Analysis) -> Vec<Problem> {
    let Some(report) = &state.verify else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut add = |at: &str, code: String, message: String, examples: &[verify::Example]| {
        let Some((file, pos)) = place(a, at) else {
            return;
        };
        let line_end = a.files.get(file).map_or(pos, |f| {
            let text = a.text(file);
            let start = f.index.offset(text, pos);
            let end = text
                .get(start..)
                .and_then(|t| t.find('\n'))
                .map_or(text.len(), |i| start + i);
            f.index.pos(text, end)
        });
        let range = super::text::Range {
            start: pos,
            end: line_end,
        };
        let related = examples
            .iter()
            .map(|e| {
                (
                    Location {
                        target: Target::Policy(file),
                        range,
                    },
                    format!(
                        "{}, which gives {}:\n{}",
                        e.label,
                        e.expect.outcome,
                        e.yaml.trim_end()
                    ),
                )
            })
            .collect();
        out.push(Problem {
            file,
            range,
            error: false,
            code,
            message,
            related,
        });
    };
    for d in &report.decisions {
        for f in &d.findings {
            let kind = serde_json::to_value(f.kind)
                .ok()
                .and_then(|k| k.as_str().map(str::to_owned))
                .unwrap_or_default();
            let mut message = format!("{}: {}", f.decision, f.message);
            if !f.detail.is_empty() {
                message = format!("{message}\n{}", f.detail);
            }
            add(&f.at, format!("verify: {kind}"), message, &f.examples);
        }
    }
    for x in &report.assertions {
        if x.verdict == verify::Verdict::Refuted {
            add(
                &x.at,
                "verify: refuted".to_owned(),
                format!("assertion refuted: {}\n{}", x.assertion, x.detail),
                &x.examples,
            );
        }
    }
    out
}

/// Each decision's outcome for the example, after its name.
pub fn inlay_hints(state: &State, a: &Analysis, file: usize) -> Vec<lt::InlayHint> {
    let Some(f) = a.files.get(file) else {
        return Vec::new();
    };
    let text = a.text(file);
    a.index
        .decisions
        .iter()
        .filter(|d| d.file == file)
        .filter_map(|d| {
            let outcome = state.outcomes.get(&d.id)?;
            Some(lt::InlayHint {
                position: lsp_pos(f.index.pos(text, d.name_end)),
                label: lt::InlayHintLabel::String(format!("→ {outcome}")),
                kind: None,
                text_edits: None,
                tooltip: Some(lt::InlayHintTooltip::String(
                    "the outcome for the example facts (credo.setExample chooses them)".to_owned(),
                )),
                padding_left: Some(true),
                padding_right: None,
                data: None,
            })
        })
        .collect()
}
