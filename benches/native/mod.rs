//! The hand-written baseline shared by the benchmarks: one account as a
//! hand-written program would hold it, and the 12 shipped decisions in plain
//! Rust (`benches/eval.rs` from loaded facts, `benches/batch_process.rs`
//! from JSON through serde's derive).
#![allow(dead_code, reason = "each benchmark uses a part")]

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use credo::Program;
use credo::base::money::{Currency, Money};
use credo::engine::verdict::{Answer, Cause};
use credo::input::facts::Facts;
use credo::model::ir::Value;

/// One account as a hand-written program would hold it: typed fields,
/// enum members as numbers, optional facts as `Option`.
pub struct Account {
    pub as_of: NaiveDate,
    pub id: Option<Arc<str>>,
    pub created_via: u32,
    pub segment: u32,
    pub status: u32,
    pub policy_violation: bool,
    pub linked_business_center: Option<Arc<str>>,
    pub unused_credit: Decimal,
    pub bc_id: Arc<str>,
    pub setup_complete: bool,
    pub credit_source: u32,
    pub credit_balance: Decimal,
    pub partner_status: u32,
    pub client_spend: Decimal,
    pub new_client_accounts: i64,
    pub request: Option<Req>,
}

pub struct Req {
    pub action: u32,
    pub actor_role: u32,
    pub amount: Decimal,
    pub to_account: Option<Arc<str>>,
}

// Member numbers, in the schema's declaration order.
pub const ADS_MANAGER: u32 = 0;
pub const BUSINESS_CENTER: u32 = 1;
pub const AGENCY: u32 = 2;
pub const SMB: u32 = 0;
pub const ACTIVE: u32 = 0;
pub const SUSPENDED: u32 = 1;
pub const NONE: u32 = 0;
pub const ONRAMP: u32 = 1;
pub const REGISTERED_PARTNER: u32 = 2;
pub const ALLOCATE_CREDIT: u32 = 0;
pub const TRANSFER_CREDIT: u32 = 1;
pub const REVERSE_ALLOCATION: u32 = 2;
pub const APPLY_NEW_ADVERTISER_CREDIT: u32 = 3;
pub const BC_ADMIN: u32 = 0;
pub const ROLE_AGENCY: u32 = 2;

pub fn account(program: &Program, facts: &Facts) -> Account {
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
pub struct Native {
    pub answer: Answer,
    pub causes: [Cause; 8],
    pub len: u8,
}

impl Native {
    pub fn new(answer: Answer) -> Native {
        Native {
            answer,
            causes: [Cause::NoRuleAllowed; 8],
            len: 0,
        }
    }

    pub fn because(mut self, cause: Cause) -> Native {
        self.causes[self.len as usize] = cause;
        self.len += 1;
        self
    }

    pub fn causes(&self) -> &[Cause] {
        &self.causes[..self.len as usize]
    }
}

/// The constants a hand-written function would write as literals.
pub struct Amounts {
    pub usd: Currency,
    pub zero: Decimal,
    pub tiers: [Decimal; 3],
    pub tier_credit: [Decimal; 3],
    pub per_account: Decimal,
    pub launch_cap: Decimal,
    pub seasonal_threshold: Decimal,
    pub seasonal_credit: Decimal,
    /// The 2027 version's tiers (from 2027-01-01): threshold and credit.
    pub seasonal_2027: [(Decimal, Decimal); 2],
    pub season_2027: (NaiveDate, NaiveDate),
    pub last_2026_day: NaiveDate,
    pub onramp_threshold: Decimal,
    pub onramp_credit: Decimal,
    pub season: (NaiveDate, NaiveDate),
}

impl Amounts {
    pub fn new() -> Amounts {
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
            seasonal_2027: [(d(60_000), d(2000)), (d(25_000), d(1000))],
            season_2027: (
                NaiveDate::from_ymd_opt(2027, 10, 1).unwrap(),
                NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
            ),
            last_2026_day: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            onramp_threshold: d(5000),
            onramp_credit: d(200),
            season: (
                NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            ),
        }
    }

    pub fn usd(&self, amount: Decimal) -> Answer {
        Answer::Amount(Money::new(amount, self.usd))
    }
}

/// The 12 shipped decisions, by hand, in catalog order.
pub fn native(a: &Account, k: &Amounts) -> [Native; 12] {
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

    // Two dated versions: the one in force on `as_of` decides, and its
    // rules and rows are numbered after the earlier version's.
    let seasonal = if a.as_of <= k.last_2026_day {
        seasonal_2026(a, k, registered)
    } else {
        seasonal_2027(a, k, registered)
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

/// The seasonal incentive's 2026 version: rules 0 and 1, rows 0 and 1.
fn seasonal_2026(a: &Account, k: &Amounts, registered: bool) -> Native {
    use Cause::{Deny, Row};
    let zero = k.usd(k.zero);
    let in_season = k.season.0 <= a.as_of && a.as_of <= k.season.1;
    if !registered || !in_season {
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
    }
}

/// The seasonal incentive's 2027 version: rules 2 and 3, rows 2 to 4.
fn seasonal_2027(a: &Account, k: &Amounts, registered: bool) -> Native {
    use Cause::{Deny, Row};
    let zero = k.usd(k.zero);
    let in_season = k.season_2027.0 <= a.as_of && a.as_of <= k.season_2027.1;
    if !registered || !in_season {
        let mut n = Native::new(zero);
        if !registered {
            n = n.because(Deny(2));
        }
        if !in_season {
            n = n.because(Deny(3));
        }
        return n;
    }
    match k
        .seasonal_2027
        .iter()
        .position(|(t, _)| a.client_spend >= *t)
    {
        Some(i) => Native::new(k.usd(k.seasonal_2027[i].1)).because(Row(2 + i as u32)),
        None => Native::new(zero).because(Row(4)),
    }
}
