#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a benchmark that cannot set up should stop loudly"
)]
//! Per-account evaluation of the 12 shipped decisions: the compiled hot path
//! (`decide_into`), the public `evaluate` that also renders words, the
//! reference evaluator (`credo::testing::reference`), and a
//! hand-written Rust function computing the same 12 answers and reasons,
//! which is the practical limit. Figures are reported as ratios to it.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group};
use rust_decimal::Decimal;

use credo::Program;
use credo::base::money::{Currency, Money};
use credo::engine::eval::Request;
use credo::engine::outcome::AsOfSource;
use credo::engine::verdict::{Answer, Cause, Verdicts};
use credo::input::facts::Facts;
use credo::model::ir::Value;
use credo::testing::synth::{self, FactOptions, Rng};

mod common;

/// Accounts per iteration: varied, so no branch is always taken.
const ACCOUNTS: usize = 64;

fn shipped() -> Program {
    let checked = credo::load_dir(Path::new("policies")).unwrap();
    checked.program.unwrap()
}

/// Generated accounts with every required fact known (the native baseline
/// reads no unknowns), loaded once.
fn accounts(program: &Program) -> Vec<Facts> {
    let mut rng = Rng::new(7);
    let options = FactOptions {
        unknown_permille: 0,
        bad_permille: 0,
    };
    (0..ACCOUNTS)
        .map(|_| {
            let line = synth::fact_line(&program.schema, &mut rng, options);
            credo::input::facts::load_text(
                &program.schema,
                &line,
                credo::input::facts::Format::Json,
            )
            .unwrap()
            .facts
        })
        .collect()
}

// ------------------------------------------------------------ the baseline

/// One account as a hand-written program would hold it: typed fields,
/// enum members as numbers, optional facts as `Option`.
struct Account {
    as_of: NaiveDate,
    id: Option<Arc<str>>,
    created_via: u32,
    segment: u32,
    status: u32,
    policy_violation: bool,
    linked_business_center: Option<Arc<str>>,
    unused_credit: Decimal,
    bc_id: Arc<str>,
    setup_complete: bool,
    credit_source: u32,
    credit_balance: Decimal,
    partner_status: u32,
    client_spend: Decimal,
    new_client_accounts: i64,
    request: Option<Req>,
}

struct Req {
    action: u32,
    actor_role: u32,
    amount: Decimal,
    to_account: Option<Arc<str>>,
}

// Member numbers, in the schema's declaration order.
const ADS_MANAGER: u32 = 0;
const BUSINESS_CENTER: u32 = 1;
const AGENCY: u32 = 2;
const SMB: u32 = 0;
const ACTIVE: u32 = 0;
const SUSPENDED: u32 = 1;
const NONE: u32 = 0;
const ONRAMP: u32 = 1;
const REGISTERED_PARTNER: u32 = 2;
const ALLOCATE_CREDIT: u32 = 0;
const TRANSFER_CREDIT: u32 = 1;
const REVERSE_ALLOCATION: u32 = 2;
const APPLY_NEW_ADVERTISER_CREDIT: u32 = 3;
const BC_ADMIN: u32 = 0;
const ROLE_AGENCY: u32 = 2;

fn account(program: &Program, facts: &Facts) -> Account {
    let get = |path: &str| -> Option<Value> {
        let slot = program.schema.slot(path).unwrap();
        facts.values[slot.0 as usize].clone()
    };
    let member = |path: &str| match get(path) {
        Some(Value::Member(_, i)) => i,
        other => panic!("{path}: {other:?}"),
    };
    let money = |path: &str| match get(path) {
        Some(Value::Money(m)) => m.amount,
        other => panic!("{path}: {other:?}"),
    };
    let boolean = |path: &str| get(path) == Some(Value::Bool(true));
    let text = |path: &str| match get(path) {
        Some(Value::Text(t)) => Some(t),
        _ => None,
    };
    let request = match get("request.action") {
        Some(Value::Member(_, action)) => Some(Req {
            action,
            actor_role: member("request.actor_role"),
            amount: money("request.amount"),
            to_account: text("request.to_account"),
        }),
        _ => None,
    };
    Account {
        as_of: match get("as_of") {
            Some(Value::Date(d)) => d,
            other => panic!("as_of: {other:?}"),
        },
        id: text("account.id"),
        created_via: member("account.created_via"),
        segment: member("account.segment"),
        status: member("account.status"),
        policy_violation: boolean("account.policy_violation"),
        linked_business_center: text("account.linked_business_center"),
        unused_credit: money("account.unused_credit"),
        bc_id: text("business_center.id").unwrap(),
        setup_complete: boolean("business_center.setup_complete"),
        credit_source: member("business_center.credit_source"),
        credit_balance: money("business_center.credit_balance"),
        partner_status: member("agency.partner_status"),
        client_spend: money("agency.client_spend"),
        new_client_accounts: match get("agency.new_client_accounts") {
            Some(Value::Int(n)) => n,
            other => panic!("{other:?}"),
        },
        request,
    }
}

/// One decision's answer and up to 8 causes, on the stack.
#[derive(Clone, Copy, PartialEq, Debug)]
struct Native {
    answer: Answer,
    causes: [Cause; 8],
    len: u8,
}

impl Native {
    fn new(answer: Answer) -> Native {
        Native {
            answer,
            causes: [Cause::NoRuleAllowed; 8],
            len: 0,
        }
    }

    fn because(mut self, cause: Cause) -> Native {
        self.causes[self.len as usize] = cause;
        self.len += 1;
        self
    }

    fn causes(&self) -> &[Cause] {
        &self.causes[..self.len as usize]
    }
}

/// The constants a hand-written function would write as literals.
struct Amounts {
    usd: Currency,
    zero: Decimal,
    tiers: [Decimal; 3],
    tier_credit: [Decimal; 3],
    per_account: Decimal,
    launch_cap: Decimal,
    seasonal_threshold: Decimal,
    seasonal_credit: Decimal,
    onramp_threshold: Decimal,
    onramp_credit: Decimal,
    season: (NaiveDate, NaiveDate),
}

impl Amounts {
    fn new() -> Amounts {
        let d = |n: i64| Decimal::new(n, 0);
        Amounts {
            usd: Currency::from_code("USD").unwrap(),
            zero: Decimal::ZERO,
            tiers: [d(150_000), d(50_000), d(10_000)],
            tier_credit: [d(5000), d(1500), d(250)],
            per_account: d(100),
            launch_cap: d(1000),
            seasonal_threshold: d(20_000),
            seasonal_credit: d(750),
            onramp_threshold: d(5000),
            onramp_credit: d(200),
            season: (
                NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            ),
        }
    }

    fn usd(&self, amount: Decimal) -> Answer {
        Answer::Amount(Money::new(amount, self.usd))
    }
}

/// The 12 shipped decisions, by hand, in catalog order.
fn native(a: &Account, k: &Amounts) -> [Native; 12] {
    use Answer::{Eligible, Member, NotApplicable, NotEligible, Permit};
    use Cause::{Allow, Deny, Row};
    let registered = a.partner_status == REGISTERED_PARTNER;
    let not_applicable = || Native::new(NotApplicable).because(Cause::NotApplicable);

    let credit_track = if a.created_via == ADS_MANAGER {
        Native::new(Member(0)).because(Row(0))
    } else {
        Native::new(Member(1)).because(Row(1))
    };

    let outside = a.created_via == BUSINESS_CENTER || a.created_via == AGENCY;
    let not_smb = a.segment != SMB;
    let new_advertiser_credit = if outside || not_smb {
        let mut n = Native::new(NotEligible);
        if outside {
            n = n.because(Deny(0));
        }
        if not_smb {
            n = n.because(Deny(1));
        }
        n
    } else if a.created_via == ADS_MANAGER && a.segment == SMB {
        Native::new(Eligible).because(Allow(0))
    } else {
        Native::new(NotEligible).because(Cause::NoRuleAllowed)
    };

    let agency_application = match &a.request {
        Some(r) if r.action == APPLY_NEW_ADVERTISER_CREDIT && r.actor_role == ROLE_AGENCY => {
            Native::new(Answer::Deny).because(Deny(0))
        }
        _ => not_applicable(),
    };

    let receipt = if a.credit_source == NONE {
        Native::new(NotEligible).because(Deny(0))
    } else {
        Native::new(Eligible).because(Allow(0))
    };

    let allocation = match &a.request {
        Some(r) if r.action == ALLOCATE_CREDIT => {
            let mut n = Native::new(Answer::Deny);
            if r.actor_role != BC_ADMIN {
                n = n.because(Deny(0));
            }
            if !a.setup_complete {
                n = n.because(Deny(1));
            }
            if a.credit_source == NONE {
                n = n.because(Deny(2));
            }
            if a.linked_business_center.as_deref() != Some(&*a.bc_id) {
                n = n.because(Deny(3));
            }
            if a.status != ACTIVE {
                n = n.because(Deny(4));
            }
            if r.amount <= k.zero {
                n = n.because(Deny(5));
            }
            if r.amount > a.credit_balance {
                n = n.because(Deny(6));
            }
            // R6: an absent target is not the account either.
            if r.to_account.is_none() || r.to_account != a.id {
                n = n.because(Deny(7));
            }
            if n.len == 0 {
                Native::new(Permit).because(Allow(0))
            } else {
                n
            }
        }
        _ => not_applicable(),
    };

    let transfer = match &a.request {
        Some(r) if r.action == TRANSFER_CREDIT || r.action == REVERSE_ALLOCATION => {
            Native::new(Answer::Deny).because(Deny(0))
        }
        _ => not_applicable(),
    };

    let zero = k.usd(k.zero);
    let milestone = if !registered {
        Native::new(zero).because(Deny(0))
    } else {
        match k.tiers.iter().position(|t| a.client_spend >= *t) {
            Some(i) => Native::new(k.usd(k.tier_credit[i])).because(Row(i as u32)),
            None => Native::new(zero).because(Row(3)),
        }
    };

    let launch = if !registered {
        Native::new(zero).because(Deny(0))
    } else {
        let earned = k
            .per_account
            .checked_mul(Decimal::from(a.new_client_accounts))
            .unwrap();
        Native::new(k.usd(earned.min(k.launch_cap))).because(Row(0))
    };

    let in_season = k.season.0 <= a.as_of && a.as_of <= k.season.1;
    let seasonal = if !registered || !in_season {
        let mut n = Native::new(zero);
        if !registered {
            n = n.because(Deny(0));
        }
        if !in_season {
            n = n.because(Deny(1));
        }
        n
    } else if a.client_spend >= k.seasonal_threshold {
        Native::new(k.usd(k.seasonal_credit)).because(Row(0))
    } else {
        Native::new(zero).because(Row(1))
    };

    let onramp = if a.partner_status != ONRAMP {
        Native::new(zero).because(Deny(0))
    } else if a.client_spend >= k.onramp_threshold {
        Native::new(k.usd(k.onramp_credit)).because(Row(0))
    } else {
        Native::new(zero).because(Row(1))
    };

    let forfeiture = if a.status == SUSPENDED || a.policy_violation {
        Native::new(k.usd(a.unused_credit)).because(Row(0))
    } else {
        Native::new(zero).because(Row(1))
    };

    let channel = if a.created_via == ADS_MANAGER {
        Native::new(Member(0)).because(Row(0))
    } else if registered {
        Native::new(Member(1)).because(Row(1))
    } else if a.partner_status == ONRAMP {
        Native::new(Member(3)).because(Row(2))
    } else if a.created_via == AGENCY {
        Native::new(Member(3)).because(Row(3))
    } else {
        Native::new(Member(2)).because(Row(4))
    };

    [
        credit_track,
        new_advertiser_credit,
        agency_application,
        receipt,
        allocation,
        transfer,
        milestone,
        launch,
        seasonal,
        onramp,
        forfeiture,
        channel,
    ]
}

// ------------------------------------------------------------ the runs

fn as_of(program: &Program, facts: &Facts) -> NaiveDate {
    facts.as_of(&program.schema).unwrap()
}

/// All decisions, on the date the facts give.
fn request(program: &Program, facts: &Facts) -> Request<'static> {
    Request {
        as_of: as_of(program, facts),
        as_of_source: AsOfSource::Facts,
        decisions: &[],
    }
}

fn compiled(program: &Program, facts: &[(Facts, NaiveDate)], out: &mut Verdicts) -> usize {
    let mut decided = 0;
    for (f, as_of) in facts {
        program.decide_into(black_box(f), *as_of, &[], out).unwrap();
        decided += out.iter().len();
    }
    decided
}

fn natives(accounts: &[Account], k: &Amounts) -> usize {
    accounts
        .iter()
        .map(|a| black_box(native(black_box(a), k)).len())
        .sum()
}

fn public_evaluate(program: &Program, facts: &[Facts]) -> usize {
    facts
        .iter()
        .map(|f| {
            program
                .evaluate(black_box(f), &request(program, f))
                .unwrap()
                .decisions
                .len()
        })
        .sum()
}

/// The tree-walking reference evaluator, which parses the policy text on
/// every call: the simplest correct evaluator, not a fast one.
fn reference(program: &Program, facts: &[Facts]) -> usize {
    facts
        .iter()
        .map(|f| {
            credo::testing::reference::evaluate(program, black_box(f), &request(program, f))
                .unwrap()
                .decisions
                .len()
        })
        .sum()
}

/// The baseline must compute what the engine computes, or the ratio means nothing.
fn agree(program: &Program, facts: &[Facts], accounts: &[Account], k: &Amounts) {
    let mut out = Verdicts::default();
    for (f, a) in facts.iter().zip(accounts) {
        program
            .decide_into(f, as_of(program, f), &[], &mut out)
            .unwrap();
        for (v, n) in out.iter().zip(native(a, k)) {
            let id = &program.decisions[v.decision as usize].id;
            assert_eq!(v.answer, n.answer, "{id}");
            assert_eq!(out.causes(v), n.causes(), "{id}");
        }
    }
}

fn bench(c: &mut Criterion) {
    let program = shipped();
    let facts = accounts(&program);
    let typed: Vec<Account> = facts.iter().map(|f| account(&program, f)).collect();
    let k = Amounts::new();
    agree(&program, &facts, &typed, &k);
    // The baseline holds its date in a field; give the engine its own too.
    let dated: Vec<(Facts, NaiveDate)> = facts
        .iter()
        .map(|f| (f.clone(), as_of(&program, f)))
        .collect();
    let mut out = Verdicts::default();

    let mut group = c.benchmark_group("evaluate_12_decisions");
    group.throughput(Throughput::Elements(ACCOUNTS as u64));
    group.bench_function("native", |b| b.iter(|| natives(&typed, &k)));
    group.bench_function("compiled", |b| {
        b.iter(|| compiled(&program, &dated, &mut out))
    });
    group.bench_function("evaluate_with_words", |b| {
        b.iter(|| public_evaluate(&program, &facts))
    });
    group.bench_function("reference", |b| b.iter(|| reference(&program, &facts)));
    group.finish();

    // The README's worked example, alone: one loaded account, evaluated again and again.
    let text = std::fs::read_to_string("policies/examples/bc_admin_allocates_within_balance.yaml")
        .unwrap();
    let one =
        credo::input::facts::load_text(&program.schema, &text, credo::input::facts::Format::Yaml)
            .unwrap()
            .facts;
    let one_typed = vec![account(&program, &one)];
    agree(&program, std::slice::from_ref(&one), &one_typed, &k);
    let one = vec![(one.clone(), as_of(&program, &one))];
    common::ratios(
        "one loaded account (the worked example), all 12 decisions",
        "native",
        &mut [
            ("native", &mut || {
                black_box(natives(&one_typed, &k));
            }),
            ("compiled", &mut || {
                compiled(&program, &one, &mut out);
            }),
        ],
    );
    common::ratios(
        "64 varied accounts, all 12 decisions each",
        "native",
        &mut [
            ("native", &mut || {
                black_box(natives(&typed, &k));
            }),
            ("compiled", &mut || {
                compiled(&program, &dated, &mut out);
            }),
            ("evaluate_with_words", &mut || {
                black_box(public_evaluate(&program, &facts));
            }),
            ("reference", &mut || {
                black_box(reference(&program, &facts));
            }),
        ],
    );
}

criterion_group! {
    name = benches;
    config = common::quick();
    targets = bench
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
