#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a benchmark that cannot set up should stop loudly"
)]
//! `credo batch` as a user runs it: the whole process (start, load the
//! policies, read a real file of 100,000 generated accounts, evaluate the 12
//! shipped decisions, write the records to a real file), against parsing the
//! same file into `serde_json::Value` in this process, built with the same
//! profile, in the same run. Times are medians of interleaved runs (wall
//! time); the ratios are throughputs (baseline time / credo's time), so
//! above 1 is faster than the baseline.
//!
//! A second baseline is hand-written code for the same job: serde's derive
//! parses each line into typed structs (strings borrowed where they can
//! be), and the 12 decisions are decided in plain Rust (the native baseline
//! of `benches/eval.rs`, `benches/native/`).
//!
//! `cargo bench --bench batch_process` (CREDO_BENCH_ACCOUNTS changes the count,
//! CREDO_BENCH_ROUNDS the rounds; CREDO_BENCH_BEFORE=PATH also runs another
//! `credo` binary, a copy of one built before a change, in the same rounds).

use std::borrow::Cow;
use std::hint::black_box;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use credo::testing::synth::{self, FactOptions};

const ROUNDS: usize = 5;

#[path = "native/mod.rs"]
mod native;

#[path = "common/mod.rs"]
mod common;

/// One fact document as hand-written code would declare it.
#[derive(serde::Deserialize)]
struct Doc<'a> {
    #[serde(borrow)]
    as_of: Option<Cow<'a, str>>,
    #[serde(borrow)]
    account: Option<AccountDoc<'a>>,
    #[serde(borrow)]
    business_center: Option<CenterDoc<'a>>,
    #[serde(borrow)]
    agency: Option<AgencyDoc<'a>>,
    #[serde(borrow)]
    request: Option<RequestDoc<'a>>,
}

#[derive(serde::Deserialize)]
#[allow(
    dead_code,
    reason = "read as hand-written code would, not all decided on"
)]
struct AccountDoc<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    created_via: Option<Cow<'a, str>>,
    #[serde(borrow)]
    segment: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    policy_violation: Option<bool>,
    #[serde(borrow)]
    linked_business_center: Option<Cow<'a, str>>,
    #[serde(borrow)]
    unused_credit: Option<Cow<'a, str>>,
    #[serde(borrow)]
    business_prior_ad_spend: Option<Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct CenterDoc<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    setup_complete: Option<bool>,
    #[serde(borrow)]
    credit_source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    credit_balance: Option<Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
#[allow(
    dead_code,
    reason = "read as hand-written code would, not all decided on"
)]
struct AgencyDoc<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    partner_status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    client_spend: Option<Cow<'a, str>>,
    new_client_accounts: Option<i64>,
}

#[derive(serde::Deserialize)]
#[allow(
    dead_code,
    reason = "read as hand-written code would, not all decided on"
)]
struct RequestDoc<'a> {
    #[serde(borrow)]
    action: Option<Cow<'a, str>>,
    #[serde(borrow)]
    actor_role: Option<Cow<'a, str>>,
    #[serde(borrow)]
    amount: Option<Cow<'a, str>>,
    #[serde(borrow)]
    from_account: Option<Cow<'a, str>>,
    #[serde(borrow)]
    to_account: Option<Cow<'a, str>>,
}

fn member(text: Option<&Cow<'_, str>>, members: &[&str]) -> u32 {
    text.and_then(|t| members.iter().position(|m| *m == t.as_ref()))
        .unwrap_or(0) as u32
}

fn money(text: Option<&Cow<'_, str>>) -> rust_decimal::Decimal {
    text.and_then(|t| t.split_once(' '))
        .and_then(|(amount, _)| amount.parse().ok())
        .unwrap_or_default()
}

/// A document as the native baseline's account; an unknown fact takes a
/// default, as a hand-written job without three-valued logic would.
fn typed(doc: &Doc<'_>, today: chrono::NaiveDate) -> native::Account {
    let account = doc.account.as_ref();
    let center = doc.business_center.as_ref();
    let agency = doc.agency.as_ref();
    native::Account {
        as_of: doc
            .as_of
            .as_ref()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .unwrap_or(today),
        created_via: member(
            account.and_then(|a| a.created_via.as_ref()),
            &["ads_manager", "business_center", "agency"],
        ),
        segment: member(
            account.and_then(|a| a.segment.as_ref()),
            &["smb", "enterprise"],
        ),
        status: member(
            account.and_then(|a| a.status.as_ref()),
            &["active", "suspended"],
        ),
        id: account
            .and_then(|a| a.id.as_deref())
            .map(std::sync::Arc::from),
        policy_violation: account.and_then(|a| a.policy_violation).unwrap_or(false),
        linked_business_center: account
            .and_then(|a| a.linked_business_center.as_deref())
            .map(std::sync::Arc::from),
        unused_credit: money(account.and_then(|a| a.unused_credit.as_ref())),
        bc_id: center
            .and_then(|c| c.id.as_deref())
            .map_or_else(|| std::sync::Arc::from(""), std::sync::Arc::from),
        setup_complete: center.and_then(|c| c.setup_complete).unwrap_or(false),
        credit_source: member(
            center.and_then(|c| c.credit_source.as_ref()),
            &["none", "managed_program", "partner_agreement"],
        ),
        credit_balance: money(center.and_then(|c| c.credit_balance.as_ref())),
        partner_status: member(
            agency.and_then(|a| a.partner_status.as_ref()),
            &["none", "onramp", "registered_partner"],
        ),
        client_spend: money(agency.and_then(|a| a.client_spend.as_ref())),
        new_client_accounts: agency.and_then(|a| a.new_client_accounts).unwrap_or(0),
        request: doc.request.as_ref().map(|r| native::Req {
            action: member(
                r.action.as_ref(),
                &[
                    "allocate_credit",
                    "transfer_credit",
                    "reverse_allocation",
                    "apply_new_advertiser_credit",
                ],
            ),
            actor_role: member(
                r.actor_role.as_ref(),
                &["bc_admin", "bc_member", "agency", "advertiser"],
            ),
            amount: money(r.amount.as_ref()),
            to_account: r.to_account.as_deref().map(std::sync::Arc::from),
        }),
    }
}

/// The hand-written job: read the file, parse each line into typed
/// structs, decide the 12 decisions.
fn typed_and_native(path: &Path, amounts: &native::Amounts) -> usize {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Doc<'_>>(l).ok())
        .map(|doc| {
            let decided = native::native(&typed(&doc, today), amounts);
            black_box(&decided);
            decided.len()
        })
        .sum()
}

/// credo's reader and hot path on the same job, in this process: each line
/// read into the evaluator's slots (the careful loader for a line the fast
/// reader leaves), then the 12 decisions, as `credo batch` does per line.
fn credo_in_process(
    program: &credo::Program,
    reader: &credo::tools::batch::SlotReader,
    lines: &[&str],
) -> usize {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    let mut state = credo::tools::batch::ReadState::default();
    let mut facts = credo::Facts { values: Vec::new() };
    let mut verdicts = credo::engine::verdict::Verdicts::default();
    let mut decided = 0;
    for line in lines {
        if !reader.read(line.as_bytes(), &mut state, &mut facts.values) {
            facts = credo::input::facts::load_text(&program.schema, line, credo::Format::Json)
                .map(|l| l.facts)
                .unwrap();
        }
        // The line's own date, as the hand-written job takes it.
        let as_of = program
            .as_of
            .and_then(|slot| facts.values.get(slot.0 as usize))
            .and_then(|v| match v {
                Some(credo::model::ir::Value::Date(d)) => Some(*d),
                _ => None,
            })
            .unwrap_or(today);
        program
            .decide_into(&facts, as_of, &[], &mut verdicts)
            .unwrap();
        decided += verdicts.iter().count();
        black_box(&verdicts);
    }
    decided
}

/// [`typed_and_native`] on lines already in memory.
fn typed_and_native_lines(lines: &[&str], amounts: &native::Amounts) -> usize {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Doc<'_>>(l).ok())
        .map(|doc| {
            let decided = native::native(&typed(&doc, today), amounts);
            black_box(&decided);
            decided.len()
        })
        .sum()
}

/// CPU time (user and system) of the children waited for so far, from
/// `/proc/self/stat` (in clock ticks of 10 ms), where there is one.
fn children_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command's closing parenthesis; cutime and cstime
    // are the 16th and 17th fields of the line.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    Some((ticks(13)? + ticks(14)?) / 100.0)
}

fn credo(binary: &str, args: &[&str]) {
    let status = Command::new(binary)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.code() == Some(0), "credo {args:?}: {status}");
}

/// The baseline: read the file and parse each line into a `Value`.
fn parse_only(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|l| usize::from(serde_json::from_str::<serde_json::Value>(l).is_ok()))
        .sum()
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter this
    // bench does not take.
    let accounts: u64 = std::env::var("CREDO_BENCH_ACCOUNTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let program = credo::load_dir(Path::new("policies"))
        .unwrap()
        .program
        .unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("batch_process");
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("accounts.jsonl");
    let mut text = Vec::new();
    synth::write_fact_lines(
        &program.schema,
        accounts,
        1,
        FactOptions {
            unknown_permille: 20,
            bad_permille: 0,
        },
        &mut text,
    )
    .unwrap();
    std::fs::write(&input, &text).unwrap();
    let input = input.to_str().unwrap();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let run_with = |binary: &str, extra: &[&str]| {
        // Each kind of run replaces its own file, round after round, as a
        // nightly job replaces yesterday's: freeing the file it replaces
        // (inside the rename) falls on the run that wrote it, not on
        // whichever run comes next.
        let before = binary != env!("CARGO_BIN_EXE_credo");
        let name: String = std::iter::once(if before { "before" } else { "now" })
            .chain(extra.iter().copied())
            .collect::<Vec<_>>()
            .join("_")
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-");
        let output = dir.join(format!("records-{name}"));
        let base = [
            "batch",
            "--as-of",
            "2026-11-25",
            "-o",
            output.to_str().unwrap(),
        ];
        let args: Vec<&str> = base.iter().chain(extra).chain([&input]).copied().collect();
        credo(binary, &args);
    };
    let run = |extra: &[&str]| run_with(env!("CARGO_BIN_EXE_credo"), extra);
    // Another build of credo (a copy of the binary before a change) to run
    // interleaved with this one, in the same rounds.
    let before = std::env::var("CREDO_BENCH_BEFORE").ok();
    let amounts = native::Amounts::new();
    let rounds: usize = std::env::var("CREDO_BENCH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(ROUNDS);

    // A JSON line to the 12 decisions, in this process, lines in memory.
    let lines: Vec<&str> = std::str::from_utf8(&text).unwrap().lines().collect();
    let reader = credo::tools::batch::SlotReader::new(&program.schema);
    assert_eq!(
        credo_in_process(&program, &reader, &lines),
        typed_and_native_lines(&lines, &amounts),
        "both decide every line"
    );
    let mut hand = || {
        black_box(typed_and_native_lines(&lines, &amounts));
    };
    let mut ours = || {
        black_box(credo_in_process(&program, &reader, &lines));
    };
    common::ratios(
        &format!(
            "A JSON line to the 12 decisions, {accounts} varied accounts in memory, CPU time per pass"
        ),
        "hand-written",
        &mut [
            ("hand-written", &mut hand),
            ("credo reader + hot path", &mut ours),
        ],
    );

    let mut works: Vec<(String, Box<dyn Fn()>)> = vec![
        (
            "serde_json Value, parse only".into(),
            Box::new(|| {
                black_box(parse_only(Path::new(input)));
            }),
        ),
        (
            "hand-written: serde typed structs + 12 decisions in Rust".into(),
            Box::new(|| {
                black_box(typed_and_native(Path::new(input), &amounts));
            }),
        ),
        (
            "credo batch --jobs 1 --record compact".into(),
            Box::new(|| run(&["--jobs", "1", "--record", "compact"])),
        ),
        (
            format!("credo batch --record compact ({cores} cores)"),
            Box::new(|| run(&["--record", "compact"])),
        ),
        (
            "credo batch --jobs 1 --record full".into(),
            Box::new(|| run(&["--jobs", "1", "--record", "full"])),
        ),
        #[cfg(feature = "arrow")]
        (
            "credo batch --jobs 1 --record compact --output-format parquet".into(),
            Box::new(|| {
                run(&[
                    "--jobs",
                    "1",
                    "--record",
                    "compact",
                    "--output-format",
                    "parquet",
                ])
            }),
        ),
    ];
    if let Some(before) = &before {
        println!("before: {before}");
        for (name, extra) in [
            (
                "--jobs 1 --record compact",
                &["--jobs", "1", "--record", "compact"][..],
            ),
            (
                &format!("--record compact ({cores} cores)"),
                &["--record", "compact"][..],
            ),
            (
                "--jobs 1 --record full",
                &["--jobs", "1", "--record", "full"][..],
            ),
        ] {
            let run_with = &run_with;
            works.push((
                format!("before: credo batch {name}"),
                Box::new(move || run_with(before, extra)),
            ));
        }
    }
    // Wall time, and CPU time: the thread's for the baselines, which run
    // here; the child's (user and system) for credo, waited for here.
    let mut times = vec![Vec::new(); works.len()];
    let mut cpu = vec![Vec::new(); works.len()];
    for _ in 0..rounds {
        for (i, (_, work)) in works.iter_mut().enumerate() {
            let (thread, children) = (common::Clock::now(), children_cpu());
            let start = Instant::now();
            work();
            times[i].push(start.elapsed().as_secs_f64());
            let child = children_cpu()
                .zip(children)
                .map_or(0.0, |(after, before)| after - before);
            cpu[i].push((common::Clock::now() - thread).as_secs_f64() + child);
        }
    }
    let median = |t: &mut Vec<f64>| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    let medians: Vec<f64> = times.iter_mut().map(median).collect();
    let cpu_medians: Vec<f64> = cpu.iter_mut().map(median).collect();
    println!(
        "\n{accounts} accounts, {:.1} MB of JSON Lines; median of {rounds} interleaved runs",
        text.len() as f64 / 1e6
    );
    println!(
        "throughput as a ratio to the serde_json Value baseline (higher is faster), by wall time and by CPU time:"
    );
    for (((name, _), time), cpu) in works.iter().zip(&medians).zip(&cpu_medians) {
        println!(
            "  {name:<62} wall {:>5.2}x ({:.3} s, {:.0} accounts/s)   cpu {:>5.2}x ({:.3} s)",
            medians[0] / time,
            time,
            accounts as f64 / time,
            cpu_medians[0] / cpu,
            cpu,
        );
    }
}
