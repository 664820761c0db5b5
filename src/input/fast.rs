//! Reads a JSON fact document straight into the evaluator's slots, without
//! building a tree, for documents that are right. Anything unusual (an
//! unknown field, a wrong value, a duplicate key, broken JSON) makes it give
//! up, and the caller loads that line with [`crate::input::facts`], which finds
//! the same facts or names the problem exactly as `credo eval` does.

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

use crate::base::money::{Currency, Money};
use crate::model::ir::Value;
use crate::model::schema::{Schema, Type};

mod scan;

/// The schema, arranged for reading: one level per record.
#[derive(Debug, Clone)]
pub struct SlotReader {
    /// Level 0 is the document; each record has its own.
    levels: Vec<Vec<Name<Entry>>>,
    fields: Vec<FieldInfo>,
    records: usize,
}

#[derive(Debug, Clone, Copy)]
enum Entry {
    Field(u32),
    /// A record: its level and its index.
    Record(u32, u32),
}

#[derive(Debug, Clone)]
struct FieldInfo {
    ty: Type,
    optional: bool,
    default_currency: bool,
    /// Whether a negative value is allowed; when not, the loader explains why.
    signed: bool,
    /// The record whose absence makes this field absent.
    optional_record: Option<u32>,
    members: Vec<Name<u32>>,
}

/// A name with a cheap fingerprint (length, first and last byte), so that a
/// lookup compares whole strings only when the fingerprints agree.
#[derive(Debug, Clone)]
struct Name<T> {
    print: u32,
    /// Free of `"`, `\` and control characters, so the scanner may compare
    /// it with a key in place (its closing quote ends it).
    plain: bool,
    text: Box<str>,
    what: T,
}

fn fingerprint(s: &str) -> u32 {
    let b = s.as_bytes();
    let (first, last) = (b.first().copied(), b.last().copied());
    (b.len() as u32) << 16 | u32::from(first.unwrap_or(0)) << 8 | u32::from(last.unwrap_or(0))
}

impl<T: Copy> Name<T> {
    fn new(text: &str, what: T) -> Self {
        Name {
            print: fingerprint(text),
            plain: !text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20),
            text: text.into(),
            what,
        }
    }

    fn find(names: &[Name<T>], text: &str) -> Option<T> {
        let print = fingerprint(text);
        names
            .iter()
            .find(|n| n.print == print && same(n.text.as_bytes(), text.as_bytes()))
            .map(|n| n.what)
    }
}

/// `a == b` for the short names of a schema, compared in place: two
/// overlapping words for 8 to 16 bytes, byte by byte below that, instead
/// of a call to `memcmp` for each key of each line.
fn same(a: &[u8], b: &[u8]) -> bool {
    let word = |s: &[u8], at: usize| -> Option<u64> {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(s.get(at..at + 8)?);
        Some(u64::from_le_bytes(eight))
    };
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0..8 => a.iter().zip(b).all(|(x, y)| x == y),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// Scratch for one document: which keys were seen, which records present.
#[derive(Debug, Clone, Default)]
pub struct ReadState {
    seen_fields: Vec<bool>,
    present_records: Vec<bool>,
}

/// Any reason to leave the line to the careful loader.
#[derive(Debug)]
struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to the careful loader")
    }
}

impl std::error::Error for GiveUp {}

impl de::Error for GiveUp {
    fn custom<T: fmt::Display>(_: T) -> Self {
        GiveUp
    }
}

impl SlotReader {
    pub fn new(schema: &Schema) -> SlotReader {
        let mut levels: Vec<Vec<Name<Entry>>> = vec![Vec::new()];
        let mut record_level = std::collections::BTreeMap::new();
        let mut record_index = std::collections::BTreeMap::new();
        // Parents sort before their children (`a` < `a.b`).
        for (i, path) in schema.records.keys().enumerate() {
            let (parent, name) = match path.rsplit_once('.') {
                Some((parent, name)) => (record_level.get(parent).copied().unwrap_or(0), name),
                None => (0, path.as_str()),
            };
            let level = levels.len() as u32;
            levels.push(Vec::new());
            if let Some(entries) = levels.get_mut(parent as usize) {
                entries.push(Name::new(name, Entry::Record(level, i as u32)));
            }
            record_level.insert(path.as_str(), level);
            record_index.insert(path.as_str(), i as u32);
        }
        let mut fields = Vec::new();
        for (slot, field) in schema.fields.iter().enumerate() {
            let (parent, name) = match field.path.rsplit_once('.') {
                Some((parent, name)) => (record_level.get(parent).copied().unwrap_or(0), name),
                None => (0, field.path.as_str()),
            };
            if let Some(entries) = levels.get_mut(parent as usize) {
                entries.push(Name::new(name, Entry::Field(slot as u32)));
            }
            let members = match field.ty {
                Type::Enum(id) => schema
                    .enum_type(id)
                    .map(|e| {
                        (0u32..)
                            .zip(&e.members)
                            .map(|(i, m)| Name::new(m, i))
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            fields.push(FieldInfo {
                ty: field.ty,
                optional: field.optional,
                default_currency: field.default_currency,
                signed: field.signed,
                optional_record: field
                    .optional_record
                    .as_deref()
                    .and_then(|r| record_index.get(r).copied()),
                members,
            });
        }
        // In name order, the order of most documents' keys, which the
        // scanner looks for first.
        for entries in &mut levels {
            entries.sort_by(|a, b| a.text.cmp(&b.text));
        }
        SlotReader {
            levels,
            fields,
            records: schema.records.len(),
        }
    }

    /// Reads `line` into `values` (one per slot). False when the line needs
    /// the careful loader; `values` then holds nothing worth keeping.
    pub fn read(
        &self,
        line: &[u8],
        state: &mut ReadState,
        values: &mut Vec<Option<Value>>,
    ) -> bool {
        values.clear();
        values.resize(self.fields.len(), None);
        state.seen_fields.clear();
        state
            .seen_fields
            .resize(self.fields.len() + self.records, false);
        state.present_records.clear();
        state.present_records.resize(self.records, false);
        // The scanner reads the usual line; serde's path the rest.
        if self.scan(line, state, values).is_none() {
            values.iter_mut().for_each(|v| *v = None);
            state.seen_fields.iter_mut().for_each(|f| *f = false);
            state.present_records.iter_mut().for_each(|p| *p = false);
            // From bytes: only strings are checked to be UTF-8, and the
            // careful loader reports a line that is not.
            let mut de = serde_json::Deserializer::from_slice(line);
            let read = Level {
                reader: self,
                level: 0,
                state: &mut *state,
                values: &mut *values,
            }
            .deserialize(&mut de);
            if read.is_err() || de.end().is_err() {
                return false;
            }
        }
        // What `facts::load` does after reading: declared absence is known.
        for (value, field) in values.iter_mut().zip(&self.fields) {
            let record_absent = field.optional_record.is_some_and(|r| {
                !state
                    .present_records
                    .get(r as usize)
                    .copied()
                    .unwrap_or(false)
            });
            if value.is_none() && (field.optional || record_absent) {
                *value = Some(Value::Absent);
            }
        }
        true
    }
}

impl SlotReader {
    /// The value of a text cell for the fact at `slot`, read exactly as in
    /// a JSON document; `None` when the careful loader must say why not.
    pub fn read_str(&self, slot: u32, text: &str) -> Option<Value> {
        let field = self.fields.get(slot as usize)?;
        Fact(field).visit_str::<GiveUp>(text).ok().flatten()
    }

    /// [`SlotReader::read_str`] for an integer cell.
    pub fn read_i64(&self, slot: u32, n: i64) -> Option<Value> {
        let field = self.fields.get(slot as usize)?;
        Fact(field).visit_i64::<GiveUp>(n).ok().flatten()
    }

    /// [`SlotReader::read_str`] for a boolean cell.
    pub fn read_bool(&self, slot: u32, b: bool) -> Option<Value> {
        let field = self.fields.get(slot as usize)?;
        Fact(field).visit_bool::<GiveUp>(b).ok().flatten()
    }
}

/// A mapping at one level of the schema.
struct Level<'a> {
    reader: &'a SlotReader,
    level: u32,
    state: &'a mut ReadState,
    values: &'a mut Vec<Option<Value>>,
}

impl<'de> DeserializeSeed<'de> for Level<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Level<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping of facts")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let entries = self
            .reader
            .levels
            .get(self.level as usize)
            .ok_or_else(|| de::Error::custom(GiveUp))?;
        while let Some(entry) = map.next_key_seed(Key(entries))? {
            let seen = match entry {
                Entry::Field(slot) => slot as usize,
                Entry::Record(_, record) => self.reader.fields.len() + record as usize,
            };
            match self.state.seen_fields.get_mut(seen) {
                Some(flag) if !*flag => *flag = true,
                _ => return Err(de::Error::custom(GiveUp)),
            }
            match entry {
                Entry::Field(slot) => {
                    let field = self
                        .reader
                        .fields
                        .get(slot as usize)
                        .ok_or_else(|| de::Error::custom(GiveUp))?;
                    let value = map.next_value_seed(Fact(field))?;
                    if let Some(place) = self.values.get_mut(slot as usize) {
                        *place = value;
                    }
                }
                Entry::Record(level, record) => {
                    let present = map.next_value_seed(Record {
                        reader: self.reader,
                        level,
                        state: &mut *self.state,
                        values: &mut *self.values,
                    })?;
                    if present
                        && let Some(flag) = self.state.present_records.get_mut(record as usize)
                    {
                        *flag = true;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A record's value: a mapping (present) or null (absent).
struct Record<'a> {
    reader: &'a SlotReader,
    level: u32,
    state: &'a mut ReadState,
    values: &'a mut Vec<Option<Value>>,
}

impl<'de> DeserializeSeed<'de> for Record<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Record<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record")
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        Level {
            reader: self.reader,
            level: self.level,
            state: self.state,
            values: self.values,
        }
        .visit_map(map)?;
        Ok(true)
    }
}

/// A key, resolved to the schema entry it names.
struct Key<'a>(&'a [Name<Entry>]);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Entry;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Entry, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = Entry;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Entry, E> {
        Name::find(self.0, key).ok_or_else(|| E::custom(GiveUp))
    }
}

/// One fact's value, checked against its field's type exactly as the loader does.
struct Fact<'a>(&'a FieldInfo);

impl<'de> DeserializeSeed<'de> for Fact<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Fact<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a fact")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<Value>, E> {
        Ok(self.0.optional.then_some(Value::Absent))
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Option<Value>, E> {
        match self.0.ty {
            Type::Bool => Ok(Some(Value::Bool(b))),
            _ => Err(E::custom(GiveUp)),
        }
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Option<Value>, E> {
        if n < 0 && !self.0.signed {
            return Err(E::custom(GiveUp));
        }
        match self.0.ty {
            Type::Int => Ok(Some(Value::Int(n))),
            Type::Money(currency) if self.0.default_currency => {
                Money::parse_amount(&n.to_string(), currency)
                    .map(|m| Some(Value::Money(m)))
                    .map_err(|_| E::custom(GiveUp))
            }
            _ => Err(E::custom(GiveUp)),
        }
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Option<Value>, E> {
        let n = i64::try_from(n).map_err(|_| E::custom(GiveUp))?;
        self.visit_i64(n)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Option<Value>, E> {
        let value = match self.0.ty {
            Type::Text => Value::Text(Arc::from(s)),
            Type::Date => Value::Date(date(s).ok_or_else(|| E::custom(GiveUp))?),
            Type::Money(currency) => match plain_money(s, currency) {
                Some(m) => Value::Money(m),
                None => general_money::<E>(s, currency, self.0.signed)?,
            },
            Type::Enum(id) => Value::Member(
                id,
                Name::find(&self.0.members, s).ok_or_else(|| E::custom(GiveUp))?,
            ),
            Type::Bool | Type::Int => return Err(E::custom(GiveUp)),
        };
        Ok(Some(value))
    }
}

/// `1234.50 USD` as nearly every document writes it: at most 18 digits,
/// a fraction of at most the currency's minor digits, one space, the
/// code. Read without building a string, to the same `Decimal` (value and
/// scale) that [`Money::parse_amount`] gives; `None` for any other form,
/// which [`general_money`] reads. Inlined where it is called (a cell of a
/// columnar block is built in place, not returned through a call).
#[inline(always)]
pub(crate) fn plain_money(s: &str, currency: Currency) -> Option<Money> {
    let (mantissa, scale) = plain_amount(s, currency)?;
    Decimal::try_new(mantissa, scale)
        .ok()
        .map(|amount| Money::new(amount, currency))
}

/// [`plain_money`]'s amount as its mantissa and scale (at most the
/// currency's minor digits), for a reader that keeps them as integers.
#[inline(always)]
pub(crate) fn plain_amount(s: &str, currency: Currency) -> Option<(i64, u32)> {
    // The code is the last three bytes, after the one space: no search for
    // the space (`split_once` was a third of this function).
    let bytes = s.as_bytes();
    let split = bytes.len().checked_sub(4)?;
    let (digits, code) = bytes.split_at(split);
    let [a, b, c] = currency.code_bytes();
    if *code != [b' ', a, b, c] || digits.len() > 18 {
        return None;
    }
    let mut mantissa: i64 = 0;
    let mut scale = None;
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => mantissa = mantissa * 10 + i64::from(b - b'0'),
            // A digit on each side of the point.
            b'.' if scale.is_none() && i > 0 && i + 1 < digits.len() => {
                scale = Some((digits.len() - i - 1) as u32);
            }
            _ => return None,
        }
    }
    let scale = scale.unwrap_or(0);
    if digits.is_empty() || scale > currency.minor_digits() {
        return None;
    }
    Some((mantissa, scale))
}

/// `Money::from_str`, knowing which currency must follow.
fn general_money<E: de::Error>(s: &str, currency: Currency, signed: bool) -> Result<Value, E> {
    Ok(match s.trim().split_once(' ') {
        Some((amount, code)) if code.trim() == currency.code() => {
            match Money::parse_amount(amount.trim(), currency) {
                Ok(m) if signed || !m.is_negative() => Value::Money(m),
                _ => return Err(E::custom(GiveUp)),
            }
        }
        _ => return Err(E::custom(GiveUp)),
    })
}

/// `YYYY-MM-DD`, read directly when written so, else as the loader reads it.
fn date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() == 10
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10))
    {
        // The year 0000 is refused by the loader, which names why.
        return NaiveDate::from_ymd_opt(y as i32, m, d)
            .filter(|d| crate::base::dates::accepted(*d));
    }
    crate::input::facts::parse_date(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are compared in place as `==` compares them, at every length
    /// (byte by byte, two words, `memcmp`), with a difference anywhere.
    #[test]
    fn names_compare_as_equal_strings_do() {
        for n in 0..40 {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same(&a, &a.clone()));
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 1;
                assert!(!same(&a, &b), "{n} {at}");
            }
            assert!(!same(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }

    /// Money forms `plain_money` reads, each as the loader reads it.
    pub(super) const PLAIN_MONEY: &[&str] = &[
        "0 USD",
        "12.5 USD",
        "137288.17 USD",
        "7.00 USD",
        "1 USD",
        "0.00 USD",
        "00012.10 USD",
        "999999999999999999 USD",
    ];

    /// Forms `plain_money` leaves to the loader (for USD).
    pub(super) const NOT_PLAIN_MONEY: &[&str] = &[
        "1.234 USD",
        "1 EUR",
        "1  USD",
        " USD",
        "1.USD",
        ".5 USD",
        "1e2 USD",
        "USD",
        "5. USD",
        "1.2.3 USD",
        "-1 USD",
        "+1 USD",
        "9999999999999999999 USD",
        "1,000 USD",
        "",
        "12.5 usd",
        "12.5USD",
    ];

    #[test]
    fn plain_money_reads_what_the_loader_reads() {
        let usd = Currency::from_code("USD").unwrap();
        for text in PLAIN_MONEY {
            let plain = plain_money(text, usd).unwrap();
            let (amount, _) = text.split_once(' ').unwrap();
            let loaded = Money::parse_amount(amount, usd).unwrap();
            assert_eq!(plain, loaded, "{text}");
            assert_eq!(plain.amount.scale(), loaded.amount.scale(), "{text}");
        }
        for text in NOT_PLAIN_MONEY {
            assert_eq!(plain_money(text, usd), None, "{text}");
        }
    }
}
