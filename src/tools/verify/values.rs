//! The values each fact takes in `credo verify`'s enumeration.
//!
//! From what [`Reads`] learned: every enum member and boolean; for money,
//! integers and dates, every split point, its neighbours one grid step away
//! (as many as the facts compared together, so that every ordering of them
//! occurs), and the extremes a document may give when the fact takes part
//! in arithmetic; for texts, each constant and fresh texts equal to none.
//! A fact may also be missing, or absent when the schema says so.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::base::money::Money;
use crate::engine::program::Program;
use crate::model::ir::Value;
use crate::model::schema::{Slot, Type};

use super::domain::Reads;

/// One value to try for a fact.
#[derive(Debug, Clone, PartialEq)]
pub enum Candidate {
    Given(Value),
    /// A text that equals no constant; the index keeps fresh texts canonical.
    Fresh(usize, Value),
    Absent,
    Missing,
}

/// The values to try for one fact, the nicest first.
#[derive(Debug, Clone)]
pub struct FactDomain {
    pub slot: Slot,
    pub candidates: Vec<Candidate>,
    /// The optional record whose absence makes this fact absent.
    pub record: Option<String>,
    /// Facts compared as text share fresh texts; this names the group.
    pub text_group: Option<usize>,
}

/// How to widen the domains beyond what the policies compare.
#[derive(Debug, Clone, Default)]
pub struct Widen {
    /// Extra split points for a fact, on its own grid (whatif's current values).
    pub points: BTreeMap<Slot, Vec<Decimal>>,
    /// Each point of these facts also gets its neighbours (a monotonicity walk).
    pub neighbours: BTreeSet<Slot>,
}

/// The date a number line without constants is centred on.
fn base_date() -> Decimal {
    NaiveDate::from_ymd_opt(2026, 1, 1)
        .map_or(Decimal::ZERO, |d| Decimal::from(d.num_days_from_ce()))
}

/// The domain of every fact the reads name, in slot order.
pub fn domains(program: &Program, reads: &Reads, widen: &Widen) -> Vec<FactDomain> {
    let schema = &program.schema;
    let mut groups = Groups::default();
    for (a, b) in &reads.links {
        groups.union(*a, *b);
    }
    let mut domains = Vec::new();
    let mut text_groups: BTreeMap<Slot, usize> = BTreeMap::new();
    for slot in &reads.slots {
        let Some(field) = schema.field(*slot) else {
            continue;
        };
        let is_as_of = program.as_of == Some(*slot);
        let members = groups.members(*slot, &reads.slots);
        let mut candidates: Vec<Candidate> = match field.ty {
            Type::Bool => vec![
                Candidate::Given(Value::Bool(true)),
                Candidate::Given(Value::Bool(false)),
            ],
            Type::Enum(id) => {
                let count = schema.enum_type(id).map_or(0, |e| e.members.len());
                (0..count as u32)
                    .map(|i| Candidate::Given(Value::Member(id, i)))
                    .collect()
            }
            Type::Text => {
                let root = groups.find(*slot);
                let next = text_groups.len();
                text_groups.entry(root).or_insert(next);
                let constants: BTreeSet<Arc<str>> = members
                    .iter()
                    .flat_map(|m| reads.text_constants.get(m).into_iter().flatten())
                    .cloned()
                    .collect();
                let mut out: Vec<Candidate> = constants
                    .iter()
                    .map(|t| Candidate::Given(Value::Text(t.clone())))
                    .collect();
                let mut n = 0;
                let mut fresh = 0;
                while fresh < members.len().max(1) {
                    n += 1;
                    let text: Arc<str> = format!("value-{n}").into();
                    if !constants.contains(&text) {
                        out.push(Candidate::Fresh(fresh, Value::Text(text)));
                        fresh += 1;
                    }
                }
                out
            }
            // A fact the schema does not mark `signed` is never negative in a
            // document that loads, so no such point is tried for it.
            ty => numeric_points(ty, &members, reads, widen)
                .into_iter()
                .filter(|n| {
                    field.signed || ty == Type::Date || !n.is_sign_negative() || n.is_zero()
                })
                .filter_map(|n| from_number(ty, n))
                .map(Candidate::Given)
                .collect(),
        };
        if field.optional {
            candidates.push(Candidate::Absent);
        } else if !is_as_of {
            candidates.push(Candidate::Missing);
        }
        let text_group = match field.ty {
            Type::Text => text_groups.get(&groups.find(*slot)).copied(),
            _ => None,
        };
        domains.push(FactDomain {
            slot: *slot,
            candidates,
            record: field.optional_record.clone(),
            text_group,
        });
    }
    domains
}

/// The points of a number line to try, for the facts compared together.
fn numeric_points(ty: Type, members: &[Slot], reads: &Reads, widen: &Widen) -> Vec<Decimal> {
    let unit = grid_unit(ty);
    let (low, high) = extremes(ty);
    let k = i64::try_from(members.len().max(1)).unwrap_or(1);
    let mut splits: BTreeSet<Decimal> = members
        .iter()
        .flat_map(|m| reads.thresholds.get(m).into_iter().flatten())
        .copied()
        .collect();
    for m in members {
        splits.extend(widen.points.get(m).into_iter().flatten().copied());
    }
    if splits.is_empty() {
        splits.insert(match ty {
            Type::Date => base_date(),
            _ => Decimal::ZERO,
        });
    }
    let inside = |d: &Decimal| *d >= low && *d <= high;
    let mut near: BTreeSet<Decimal> = BTreeSet::new();
    for s in &splits {
        for j in -k..=k {
            if let Some(p) = Decimal::from(j)
                .checked_mul(unit)
                .and_then(|o| s.checked_add(o))
            {
                near.insert(p);
            }
        }
    }
    let mut far: BTreeSet<Decimal> = BTreeSet::new();
    if members.iter().any(|m| reads.arithmetic.contains(m)) {
        for j in 0..k {
            let step = Decimal::from(j) * unit;
            far.extend(low.checked_add(step));
            far.extend(high.checked_sub(step));
        }
    }
    if members.iter().any(|m| widen.neighbours.contains(m)) {
        let all: Vec<Decimal> = near.iter().chain(&far).copied().collect();
        for p in all {
            near.extend(p.checked_sub(unit));
            near.extend(p.checked_add(unit));
        }
    }
    let splits: Vec<Decimal> = splits.into_iter().filter(inside).collect();
    let mut ordered: Vec<Decimal> = splits.clone();
    // Nicer examples first: amounts and counts are rarely negative, and a
    // point next to a constant says more than one far from it.
    let distance = |p: &Decimal| {
        splits
            .iter()
            .filter_map(|s| p.checked_sub(*s))
            .map(|d| d.abs())
            .min()
            .unwrap_or(Decimal::MAX)
    };
    let mut near: Vec<Decimal> = near
        .into_iter()
        .filter(|p| inside(p) && !splits.contains(p) && !far.contains(p))
        .collect();
    near.sort_by_key(|p| (p.is_sign_negative() && !p.is_zero(), distance(p), *p));
    ordered.extend(near);
    ordered.extend(far.into_iter().filter(|p| inside(p) && !splits.contains(p)));
    let mut seen = BTreeSet::new();
    ordered.retain(|p| seen.insert(*p));
    ordered
}

/// Union-find over facts compared with each other.
#[derive(Debug, Default)]
struct Groups {
    parent: BTreeMap<Slot, Slot>,
}

impl Groups {
    fn find(&self, mut slot: Slot) -> Slot {
        while let Some(p) = self.parent.get(&slot) {
            if *p == slot {
                break;
            }
            slot = *p;
        }
        slot
    }

    fn union(&mut self, a: Slot, b: Slot) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (keep, join) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent.insert(join, keep);
            self.parent.entry(keep).or_insert(keep);
        }
    }

    fn members(&self, slot: Slot, among: &BTreeSet<Slot>) -> Vec<Slot> {
        let root = self.find(slot);
        among
            .iter()
            .copied()
            .filter(|s| self.find(*s) == root)
            .collect()
    }
}

/// Whether a type has a number line.
pub fn numeric(ty: Type) -> bool {
    matches!(ty, Type::Int | Type::Money(_) | Type::Date)
}

/// Decimal places of a type's grid: a money's minor unit, whole integers and days.
pub fn grid_digits(ty: Type) -> u32 {
    match ty {
        Type::Money(c) => c.minor_digits(),
        _ => 0,
    }
}

/// The smallest step of a type: one minor unit, 1, or one day.
pub fn grid_unit(ty: Type) -> Decimal {
    Decimal::new(1, grid_digits(ty))
}

/// The smallest and largest value a fact document can give.
fn extremes(ty: Type) -> (Decimal, Decimal) {
    match ty {
        Type::Int => (Decimal::from(i64::MIN), Decimal::from(i64::MAX)),
        Type::Date => {
            let day = |y, m, d| {
                NaiveDate::from_ymd_opt(y, m, d)
                    .map_or(Decimal::ZERO, |d| Decimal::from(d.num_days_from_ce()))
            };
            (day(1, 1, 1), day(9999, 12, 31))
        }
        _ => (Decimal::MIN, Decimal::MAX),
    }
}

/// A value on its number line: the amount, the integer, days since 1 CE.
pub fn number(value: &Value) -> Option<Decimal> {
    match value {
        Value::Int(n) => Some(Decimal::from(*n)),
        Value::Money(m) => Some(m.amount),
        Value::Date(d) => Some(Decimal::from(d.num_days_from_ce())),
        _ => None,
    }
}

/// The value of a type at a point of its number line, when the type has one there.
pub fn from_number(ty: Type, n: Decimal) -> Option<Value> {
    match ty {
        Type::Int => {
            if !n.fract().is_zero() {
                return None;
            }
            i64::try_from(n).ok().map(Value::Int)
        }
        Type::Money(c) => {
            let n = n.normalize();
            (n.scale() <= c.minor_digits()).then(|| Value::Money(Money::new(n, c)))
        }
        Type::Date => {
            if !n.fract().is_zero() {
                return None;
            }
            let days = i32::try_from(n).ok()?;
            NaiveDate::from_num_days_from_ce_opt(days).map(Value::Date)
        }
        _ => None,
    }
}
