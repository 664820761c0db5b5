//! `credo test`: the policy tests in `POLICIES/tests/*.yaml`, as text,
//! JSON or JUnit XML.

use std::fmt::Write as _;

use clap::ValueEnum;

use credo::tools::policy_tests::{self, Report};

use crate::args::{DiagnosticFormat, LimitArgs, PolicyArgs, parse_percent};
use crate::output::{Exit, counted, emit};
use crate::session::Session;

pub const AFTER_HELP: &str = "\
Examples:
  credo test
  credo test --coverage --min-coverage 100
  credo test new_advertiser::            only the cases of one file
  credo test --format junit > report.xml

Exit codes: 0 every case passed; 1 a case failed, the coverage is below --min-coverage,
the filter matches no case, or the policies have errors; 2 the test files have problems.";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    policies: PolicyArgs,
    /// List every rule and row with the number of cases that fired it.
    #[arg(long)]
    coverage: bool,
    /// Exit 1 when fewer than this percentage of rules and rows fired.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    min_coverage: Option<f64>,
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    format: TestFormat,
    /// Run only the cases whose name (`FILE::CASE`) contains this.
    filter: Option<String>,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum TestFormat {
    Text,
    Json,
    Junit,
}

pub fn run(args: Args) -> Result<(), Exit> {
    let session = Session::open(
        &args.policies.policies,
        &args.limits.limits(),
        DiagnosticFormat::Text,
        "the policies have errors; no test was run",
    )?;
    let files = policy_tests::load_with(session.program(), &session.dir, &session.limits).map_err(
        |problems| {
            match args.format {
                // In the JSON shape of `credo check --format json`.
                TestFormat::Json => say!(
                    "{}",
                    serde_json::to_string_pretty(&credo::tools::problems::to_json(&problems))
                        .unwrap_or_default()
                ),
                TestFormat::Text | TestFormat::Junit => crate::output::tell(
                    &credo::tools::problems::render(&problems, crate::colour::stderr()),
                ),
            }
            say!(
                "error: {} in the test files; no test was run",
                counted(problems.len(), "problem")
            );
            Exit(2)
        },
    )?;
    let mut report = policy_tests::run(session.program(), &files, args.filter.as_deref());
    snapshots(&session, args.filter.as_deref(), &mut report)?;
    if let Some(filter) = &args.filter
        && report.results.is_empty()
    {
        say!(
            "error: no case matches `{filter}` (of {})\n  help: a filter is part of a name `FILE::CASE`, such as `{}`",
            counted(report.filtered_out, "case"),
            files
                .iter()
                .flat_map(|f| f.cases.first())
                .map(|c| c.name.as_str())
                .next()
                .unwrap_or("file::case")
        );
        return Err(Exit(1));
    }
    let out = match args.format {
        TestFormat::Text if crate::colour::stdout() => {
            crate::colour::test_report(&policy_tests::render(&report, args.coverage))
        }
        TestFormat::Text => policy_tests::render(&report, args.coverage),
        TestFormat::Json => json(&report),
        TestFormat::Junit => junit(&report),
    };
    emit(&out)?;
    if report.failed() > 0 {
        return Err(Exit(1));
    }
    if let Some(min) = args.min_coverage
        && report.coverage.percent() < min
    {
        say!(
            "error: the cases fire {:.1}% of the rules and rows, below --min-coverage {min}",
            report.coverage.percent()
        );
        return Err(Exit(1));
    }
    Ok(())
}

/// One object: every case with its mismatches, the totals, the coverage.
fn json(report: &Report) -> String {
    let cases: Vec<serde_json::Value> = report
        .results
        .iter()
        .map(|r| {
            let mismatches: Vec<serde_json::Value> = r
                .mismatches
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "decision": m.decision,
                        "field": m.field,
                        "expected": m.expected,
                        "actual": m.actual,
                    })
                })
                .collect();
            serde_json::json!({
                "name": r.name,
                "file": r.file,
                "passed": r.passed(),
                "error": r.error,
                "mismatches": mismatches,
            })
        })
        .collect();
    let failed = report.failed();
    let value = serde_json::json!({
        "cases": cases,
        "passed": report.results.len() - failed,
        "failed": failed,
        "filtered_out": report.filtered_out,
        "coverage_percent": (report.coverage.percent() * 10.0).round() / 10.0,
    });
    let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
    out.push('\n');
    out
}

/// JUnit XML, as CI servers read it: a suite per test file.
fn junit(report: &Report) -> String {
    let mut files: Vec<&str> = Vec::new();
    for r in &report.results {
        if !files.contains(&r.file.as_str()) {
            files.push(&r.file);
        }
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"credo\" tests=\"{}\" failures=\"{}\">",
        report.results.len(),
        report.failed()
    );
    for file in files {
        let cases: Vec<_> = report.results.iter().filter(|r| r.file == file).collect();
        let failures = cases.iter().filter(|r| !r.passed()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">",
            xml(file),
            cases.len()
        );
        for r in cases {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\"",
                xml(&r.name),
                xml(file)
            );
            if r.passed() {
                out.push_str("/>\n");
                continue;
            }
            let mut detail = String::new();
            if let Some(error) = &r.error {
                let _ = writeln!(detail, "error: {error}");
            }
            for m in &r.mismatches {
                let _ = writeln!(
                    detail,
                    "{}: {}: expected {}, actual {}",
                    m.decision, m.field, m.expected, m.actual
                );
            }
            let message = detail.lines().next().unwrap_or("failed");
            let _ = write!(
                out,
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                xml(message),
                xml(&detail)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Text escaped for XML content and attributes.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no way to write these, not even as references.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The examples' snapshots, when the policy directory keeps any, run as
/// cases `snapshots::NAME` beside the policy tests.
fn snapshots(session: &Session, filter: Option<&str>, report: &mut Report) -> Result<(), Exit> {
    use credo::tools::snapshot;
    let dir = snapshot::directory(&session.dir);
    if !dir.is_dir() {
        return Ok(());
    }
    let examples = snapshot::examples(&session.dir.join("examples")).unwrap_or_default();
    let entries = snapshot::collect(
        session.program(),
        &examples,
        &dir,
        &session.limits,
        credo::today(),
    )
    .map_err(|e| {
        say!(
            "error: cannot read the snapshots in `{}`: {e}",
            dir.display()
        );
        Exit(2)
    })?;
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    for case in snapshot::as_cases(&entries, ci) {
        if filter.is_some_and(|f| !case.name.contains(f)) {
            report.filtered_out += 1;
        } else {
            report.results.push(case);
        }
    }
    Ok(())
}
