//! What an evaluation answers: one outcome per decision, with its reasons,
//! the facts it missed and its notes. The JSON form is a stable contract.

use chrono::NaiveDate;
use serde::Serialize;

use crate::base::hash::PolicyHash;
use crate::base::money::Money;
use crate::lang::ast::KindName;
use crate::model::ir::words;

/// Where the evaluation date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AsOfSource {
    /// `--as-of` on the command line.
    Option,
    /// The facts' `as_of`.
    Facts,
    /// Nothing said: today's date (UTC).
    Today,
}

/// The result of evaluating every requested decision for one account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    #[serde(serialize_with = "date")]
    pub as_of: NaiveDate,
    #[serde(skip)]
    pub as_of_source: AsOfSource,
    /// The policy set that answered: with `as_of`, enough to replay it.
    pub policy_hash: PolicyHash,
    pub decisions: Vec<DecisionOutcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionOutcome {
    pub id: String,
    #[serde(serialize_with = "kind")]
    pub kind: KindName,
    #[serde(serialize_with = "outcome")]
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    /// Fact paths whose absence left the decision undetermined, sorted.
    pub missing: Vec<String>,
    pub notes: Vec<String>,
    /// For a decision written in versions with effective windows: the one
    /// in force on the evaluation date, which decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
}

/// The version of a decision that decided: its window, as written after
/// `effective`, and where it is written; or the declared gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    /// `2026-10-01..2026-12-31`, `from 2027-01-01` or `until 2026-12-31`.
    pub effective: String,
    pub at: String,
    /// No version is in force on these days, as the policies declare.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub gap: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Eligible,
    NotEligible,
    Permit,
    Deny,
    NotApplicable,
    Member(String),
    Amount(Money),
    Undetermined,
}

impl Outcome {
    /// The outcome as DOMAIN.md writes it: `not_eligible`, `managed`, `1500.00 USD`.
    pub fn as_text(&self) -> String {
        match self {
            Outcome::Eligible => words::ELIGIBLE.into(),
            Outcome::NotEligible => words::NOT_ELIGIBLE.into(),
            Outcome::Permit => words::PERMIT.into(),
            Outcome::Deny => words::DENY.into(),
            Outcome::NotApplicable => words::NOT_APPLICABLE.into(),
            Outcome::Member(m) => m.clone(),
            Outcome::Amount(m) => m.to_string(),
            Outcome::Undetermined => words::UNDETERMINED.into(),
        }
    }
}

/// Why a decision came out as it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The rule id, a row label such as `row 2` or `otherwise`, or `no_rule_allowed`.
    pub rule: String,
    /// The message, with the values of its `{path}` placeholders written in.
    pub message: String,
    /// `policies/new_advertiser.credo:12:3`
    pub at: String,
    /// The message as written, when it has placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

fn date<S: serde::Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&d.format("%Y-%m-%d"))
}

fn kind<S: serde::Serializer>(k: &KindName, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.as_str())
}

fn outcome<S: serde::Serializer>(o: &Outcome, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&o.as_text())
}
