//! `credo replay LOG --policies DIR`: evaluates every logged decision again
//! under the set in DIR and reports each difference. Each line is answered
//! again as its endpoint answered it: `/v1/evaluate` and each batch record
//! by evaluating, `/v1/explain` by explaining and `/v1/whatif` by asking
//! again; for the last two the whole answer's digest must match too. A line made by another
//! set (another hash) is reported, never silently skipped; so is a line
//! that cannot be evaluated again (for example because a masked fact no
//! longer loads).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use super::log::{self, Endpoint, LogLine, LoggedDecision};
use super::set;
use crate::base::limits::Limits;
use crate::engine::eval::Request;
use crate::engine::outcome::AsOfSource;
use crate::input::facts::{self, Format};
use crate::tools::serve::openapi::WhatifAnswer;
use crate::tools::whatif;

#[derive(Debug, Clone, clap::Args)]
pub struct ReplayArgs {
    /// The policy directory the decisions should have been made by.
    #[arg(long, env = "CREDO_POLICIES", default_value = "policies")]
    pub policies: PathBuf,
    /// A decision log written by `credo serve --decision-log`, or `-` for stdin.
    pub log: PathBuf,
}

/// What a replay found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub same: u64,
    pub differ: u64,
    pub other_set: u64,
    pub unreplayable: u64,
}

/// Replays the log; 0 when every line was replayed with the same answer.
pub fn run(args: ReplayArgs) -> u8 {
    let served = match set::load(&args.policies, &Limits::default()) {
        Ok(served) => served,
        Err(refused) => {
            eprintln!("error: {}", refused.message);
            for d in &refused.diagnostics {
                eprintln!(
                    "  {}:{}:{}: {} [{}]",
                    d.file, d.line, d.column, d.message, d.code
                );
            }
            return 1;
        }
    };
    let input: Box<dyn BufRead> = if args.log == std::path::Path::new("-") {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        match std::fs::File::open(&args.log) {
            Ok(file) => Box::new(BufReader::new(file)),
            Err(e) => {
                eprintln!("error: {}: cannot read: {e}", args.log.display());
                return 2;
            }
        }
    };
    let mut tally = Tally::default();
    for (index, line) in input.lines().enumerate() {
        let number = index + 1;
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                println!("line {number}: cannot be read: {e}");
                tally.unreplayable += 1;
                break;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match replay_line(&served, &line) {
            Replayed::Same => tally.same += 1,
            Replayed::Differ(report) => {
                tally.differ += 1;
                println!("line {number}: {report}");
            }
            Replayed::OtherSet(report) => {
                tally.other_set += 1;
                println!("line {number}: {report}");
            }
            Replayed::Not(report) => {
                tally.unreplayable += 1;
                println!("line {number}: {report}");
            }
        }
    }
    let total = tally.same + tally.differ + tally.other_set + tally.unreplayable;
    println!(
        "{total} logged decisions: {} replayed the same, {} differ, {} made by another policy set, {} could not be replayed (policy set {})",
        tally.same, tally.differ, tally.other_set, tally.unreplayable, served.hash
    );
    if tally
        == (Tally {
            same: total,
            ..Tally::default()
        })
    {
        0
    } else {
        1
    }
}

enum Replayed {
    Same,
    Differ(String),
    OtherSet(String),
    Not(String),
}

fn replay_line(served: &set::Served, text: &str) -> Replayed {
    let logged: LogLine = match serde_json::from_str(text) {
        Ok(line) => line,
        Err(e) => return Replayed::Not(format!("not a decision log line: {e}")),
    };
    let id = &logged.decision_id;
    if logged.policy_hash != served.hash {
        return Replayed::OtherSet(format!(
            "decision {id} was made by policy set {}, not this one: not replayed",
            logged.policy_hash
        ));
    }
    let masked = if logged.masked.is_empty() {
        String::new()
    } else {
        format!(" (masked in the log: {})", logged.masked.join(", "))
    };
    let facts_text = logged.facts.to_string();
    let loaded = match facts::load_text(&served.program().schema, &facts_text, Format::Json) {
        Ok(loaded) => loaded,
        Err(problems) => {
            let first = problems
                .first()
                .map_or(String::new(), |p| format!(": {}: {}", p.path, p.message));
            return Replayed::Not(format!(
                "decision {id}: its facts do not load{first}{masked}"
            ));
        }
    };
    let Some(as_of) = facts::parse_date(&logged.as_of) else {
        return Replayed::Not(format!("decision {id}: `{}` is not a date", logged.as_of));
    };
    let request = Request {
        as_of,
        as_of_source: AsOfSource::Option,
        decisions: &logged.requested,
    };
    let program = served.program();
    let again: Result<(Vec<LoggedDecision>, Option<String>), String> = match logged.endpoint {
        Endpoint::Evaluate | Endpoint::Batch => program
            .evaluate(&loaded.facts, &request)
            .map(|e| (LoggedDecision::of(&e), None))
            .map_err(|e| e.to_string()),
        Endpoint::Explain => crate::tools::explain::explain(program, &loaded.facts, &request)
            .map(|x| {
                (
                    LoggedDecision::all(x.decisions.iter().map(|d| &d.outcome)),
                    Some(log::digest(&x.decisions)),
                )
            })
            .map_err(|e| e.to_string()),
        Endpoint::Whatif => match &logged.whatif {
            None => Err("a what-if line without its question (`whatif`)".to_owned()),
            Some(ask) => whatif::target(program, &ask.decision, ask.to.as_deref())
                .map_err(|e| e.to_string())
                .and_then(|target| {
                    whatif::whatif(program, &loaded.facts, as_of, &ask.decision, target)
                        .map_err(|e| e.to_string())
                })
                .map(|w| {
                    let answer = WhatifAnswer::new(served, as_of, &w);
                    (LoggedDecision::all([&w.now]), Some(log::digest(&answer)))
                }),
        },
    };
    let (now, digest) = match again {
        Ok(again) => again,
        Err(e) => return Replayed::Not(format!("decision {id}: {e}")),
    };
    let same_answer = logged.answer_sha256.is_none() || digest == logged.answer_sha256;
    if now == logged.decisions && same_answer {
        return Replayed::Same;
    }
    let mut report = format!("decision {id} differs{masked}:");
    if !same_answer {
        report.push_str(&format!(
            "\n  the {} answer's digest: logged {}, now {}",
            match logged.endpoint {
                Endpoint::Whatif => "what-if",
                _ => "explanation",
            },
            logged.answer_sha256.as_deref().unwrap_or("none"),
            digest.as_deref().unwrap_or("none")
        ));
    }
    let shown = |d: Option<&LoggedDecision>| {
        d.map_or("absent".to_owned(), |d| {
            format!("{} ({})", d.outcome, d.reasons.join(", "))
        })
    };
    let ids: std::collections::BTreeSet<&str> = logged
        .decisions
        .iter()
        .chain(&now)
        .map(|d| d.id.as_str())
        .collect();
    for decision in ids {
        let was = logged.decisions.iter().find(|d| d.id == decision);
        let is = now.iter().find(|d| d.id == decision);
        if was != is {
            report.push_str(&format!(
                "\n  {decision}: logged {}, now {}",
                shown(was),
                shown(is)
            ));
        }
    }
    Replayed::Differ(report)
}
