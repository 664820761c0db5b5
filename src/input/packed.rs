//! One account's facts packed for holding many accounts in memory.
//!
//! Loaded [`Facts`] hold a 24-byte `Value` a slot and each text in an
//! allocation of its own. Over 100,000 accounts held at once, reading those
//! scattered cache lines, not the instructions, made evaluation slow
//! (BENCHMARKS.md, "Facts packed for many accounts"). Packed, a fact is a
//! 16-byte cell, and an account's texts share one string beside its cells.
//! Packing keeps every value exactly: [`PackedFacts::unpack`] gives the same
//! `Facts` back.

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::base::money::{Currency, Money};
use crate::input::facts::Facts;
use crate::model::ir::Value;
use crate::model::schema::{EnumId, Schema};

/// One fact. An amount whose mantissa fits in 64 bits is kept as its
/// magnitude, sign and scale (so `-0.00` stays itself); a text is a range of
/// the account's text. A value that fits neither way (an amount of more than
/// 19 digits, texts past 4 GiB) is kept whole beside the cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cell {
    Unknown,
    Absent,
    Bool(bool),
    Int(i64),
    Money {
        scale: u8,
        negative: bool,
        currency: Currency,
        magnitude: u64,
    },
    Date(NaiveDate),
    Text {
        start: u32,
        len: u32,
    },
    Member(EnumId, u32),
    /// The value at this index of the spilled values.
    Spilled(u32),
}

// The point of packing: a cell is two words, not three.
const _: () = assert!(std::mem::size_of::<Cell>() == 16);

/// An account's facts, by slot, in two allocations (three when a value is
/// spilled). Build one with [`PackedFacts::new`]; evaluate it with
/// [`crate::Program::decide_packed_into`].
///
/// ```
/// use credo::engine::verdict::{Answer, Verdicts};
/// use credo::{Format, Limits, PackedFacts, PolicySet, Source, Sources};
///
/// # fn main() -> Result<(), credo::Error> {
/// let mut sources = Sources::default();
/// sources.add(Source::new("offer.credo", r#"
///     schema { account { id: text  segment: enum { smb, enterprise } } }
///     decision smb_offer: eligibility {
///       allow smb when account.segment == smb because "SMB accounts qualify"
///     }
/// "#));
/// let set = PolicySet::from_sources(sources, &Limits::default())?;
/// let program = set.program();
/// // Accounts held in memory are packed as they are loaded.
/// let accounts: Vec<PackedFacts> = ["smb", "enterprise"]
///     .iter()
///     .map(|segment| {
///         let json = format!(r#"{{"account": {{"id": "a-1", "segment": "{segment}"}}}}"#);
///         set.facts(&json, Format::Json, &Limits::default())
///             .map(|loaded| PackedFacts::new(&loaded.facts))
///     })
///     .collect::<Result<_, _>>()?;
/// let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
/// let mut out = Verdicts::default();
/// let mut eligible = 0;
/// for facts in &accounts {
///     program.decide_packed_into(facts, as_of, &[], &mut out)?;
///     eligible += out.iter().filter(|v| v.answer == Answer::Eligible).count();
/// }
/// assert_eq!(eligible, 1);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PackedFacts {
    cells: Box<[Cell]>,
    text: Box<str>,
    spilled: Box<[Value]>,
}

impl PackedFacts {
    /// `facts`, packed. Nothing is lost: see [`PackedFacts::unpack`].
    pub fn new(facts: &Facts) -> PackedFacts {
        let texts: usize = facts
            .values
            .iter()
            .map(|v| match v {
                Some(Value::Text(t)) => t.len(),
                _ => 0,
            })
            .sum();
        let mut text = String::with_capacity(texts);
        let mut spilled = Vec::new();
        let mut spill = |value: &Value| {
            spilled.push(value.clone());
            Cell::Spilled(u32::try_from(spilled.len() - 1).unwrap_or(u32::MAX))
        };
        let cells = facts
            .values
            .iter()
            .map(|value| match value {
                None => Cell::Unknown,
                Some(Value::Absent) => Cell::Absent,
                Some(Value::Bool(b)) => Cell::Bool(*b),
                Some(Value::Int(n)) => Cell::Int(*n),
                Some(Value::Date(d)) => Cell::Date(*d),
                Some(Value::Member(e, m)) => Cell::Member(*e, *m),
                Some(value @ Value::Money(m)) => match (
                    u64::try_from(m.amount.mantissa().unsigned_abs()),
                    u8::try_from(m.amount.scale()),
                ) {
                    (Ok(magnitude), Ok(scale)) => Cell::Money {
                        scale,
                        negative: m.amount.is_sign_negative(),
                        currency: m.currency,
                        magnitude,
                    },
                    _ => spill(value),
                },
                Some(value @ Value::Text(t)) => {
                    match (
                        u32::try_from(text.len()),
                        u32::try_from(text.len() + t.len()),
                    ) {
                        (Ok(start), Ok(end)) => {
                            text.push_str(t);
                            Cell::Text {
                                start,
                                len: end - start,
                            }
                        }
                        _ => spill(value),
                    }
                }
            })
            .collect();
        PackedFacts {
            cells,
            text: text.into_boxed_str(),
            spilled: spilled.into_boxed_slice(),
        }
    }

    /// The facts as they were before packing.
    pub fn unpack(&self) -> Facts {
        let values = (0..self.cells.len())
            .map(|slot| self.value(slot as u32))
            .collect();
        Facts { values }
    }

    /// The fact at `slot` as a [`Value`]; `None` when unknown.
    pub fn value(&self, slot: u32) -> Option<Value> {
        Some(match *self.cell(slot) {
            Cell::Unknown => return None,
            Cell::Absent => Value::Absent,
            Cell::Bool(b) => Value::Bool(b),
            Cell::Int(n) => Value::Int(n),
            Cell::Date(d) => Value::Date(d),
            Cell::Member(e, m) => Value::Member(e, m),
            Cell::Money {
                scale,
                negative,
                currency,
                magnitude,
            } => Value::Money(Money {
                amount: amount(magnitude, negative, scale),
                currency,
            }),
            Cell::Text { start, len } => Value::Text(Arc::from(self.text(start, len))),
            Cell::Spilled(i) => self.spilled(i)?.clone(),
        })
    }

    /// The date the facts were written for (`as_of`), if they say.
    pub fn as_of(&self, schema: &Schema) -> Option<NaiveDate> {
        match *self.cell(schema.slot("as_of")?.0) {
            Cell::Date(d) => Some(d),
            _ => None,
        }
    }

    /// The cell at `slot`; unknown past the last. (Lent, not copied: most
    /// readers test its tag and one field.)
    #[inline(always)]
    pub(crate) fn cell(&self, slot: u32) -> &Cell {
        self.cells.get(slot as usize).unwrap_or(&Cell::Unknown)
    }

    /// The text of a [`Cell::Text`].
    #[inline(always)]
    pub(crate) fn text(&self, start: u32, len: u32) -> &str {
        let start = start as usize;
        self.text.get(start..start + len as usize).unwrap_or("")
    }

    /// The bytes of a [`Cell::Text`], for comparing (no character
    /// boundaries to check).
    #[inline(always)]
    pub(crate) fn bytes(&self, start: u32, len: u32) -> &[u8] {
        let start = start as usize;
        self.text
            .as_bytes()
            .get(start..start + len as usize)
            .unwrap_or(b"")
    }

    /// The value of a [`Cell::Spilled`].
    pub(crate) fn spilled(&self, index: u32) -> Option<&Value> {
        self.spilled.get(index as usize)
    }
}

/// ±`magnitude` × 10^-`scale`, built from its parts (the scale came from a
/// `Decimal`, so `from_parts` finds it in range). The sign is set apart:
/// `from_parts` would make a negative zero positive.
#[inline(always)]
pub(crate) fn amount(magnitude: u64, negative: bool, scale: u8) -> Decimal {
    let mut amount = Decimal::from_parts(
        magnitude as u32,
        (magnitude >> 32) as u32,
        0,
        false,
        u32::from(scale),
    );
    amount.set_sign_negative(negative);
    amount
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap_or_else(|| unreachable!())
    }

    fn money(text: &str) -> Value {
        let amount: Decimal = text.parse().unwrap_or_else(|_| unreachable!());
        Value::Money(Money {
            amount,
            currency: usd(),
        })
    }

    #[test]
    fn every_kind_of_value_comes_back_as_it_was() {
        let values = vec![
            None,
            Some(Value::Absent),
            Some(Value::Bool(true)),
            Some(Value::Int(i64::MIN)),
            Some(Value::Date(NaiveDate::MIN)),
            Some(Value::Member(EnumId(3), 2)),
            Some(Value::Text(Arc::from("acct-1"))),
            Some(Value::Text(Arc::from(""))),
            Some(Value::Text(Arc::from("bc-\u{e9}t\u{e9}"))),
            Some(money("-0.00")),
            Some(money("10.50")),
            Some(money("-9223372036854775808")),
            Some(money("184467440737095516.15")),
            // Past 64 bits: kept whole.
            Some(money("79228162514264337593543950335")),
        ];
        let facts = Facts { values };
        let packed = PackedFacts::new(&facts);
        // Exactly: `Decimal`'s `==` is by number, and would take `10.5`
        // for `10.50` or `0.00` for `-0.00`, which render differently.
        let exact = |facts: &Facts| -> Vec<String> {
            facts
                .values
                .iter()
                .map(|v| match v {
                    Some(Value::Money(m)) => format!("{:?}", m.amount.serialize()),
                    v => format!("{v:?}"),
                })
                .collect()
        };
        assert_eq!(exact(&packed.unpack()), exact(&facts));
        assert_eq!(packed.spilled.len(), 1);
        assert_eq!(packed.value(99), None);
    }
}
