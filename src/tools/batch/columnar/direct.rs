//! Rows of Arrow columns as a fact source for the hot path: the facts are
//! read by reference, not built into `Value`s.
//!
//! Building a row's `Value`s cost an `Arc<str>` per text fact, and the
//! hot path then read them back. Here a block of rows is read column by
//! column (each column's type matched once, not per cell, and one column's
//! offsets and bytes fetched ahead at a time) into small `Copy` cells: a
//! text cell is only a pointer to its column, lent to the hot path as
//! `&str`; an enum cell its member's index; plain money its amount, read in
//! place by the slot reader's own function. A row becomes `Value`s
//! ([`ArrowRow::values_into`]) only for the full evaluator, when the hot
//! path declines one of its decisions, and for callers that need values
//! (JSON records, the impact of a change: [`Columns::read`]).
//!
//! A row is read this way only when every cell is: a cell the direct
//! reading cannot take (not plain money, an unknown member, an odd type)
//! marks the row, which then goes the existing way, so errors and warnings
//! are unchanged.

use std::sync::Arc;

use arrow::array::Array as _;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Cells, Columns, Source, date_of_days};
use crate::base::money::Money;
use crate::engine::hot::V;
use crate::engine::hot::source::FactSource;
use crate::engine::program::Program;
use crate::input::facts::Facts;
use crate::input::fast::{SlotReader, plain_amount};
use crate::model::ir::Value;
use crate::model::schema::{Schema, Type};

/// Rows read ahead at a time: few enough for their cells to stay in the
/// core's cache.
const BLOCK_ROWS: usize = 256;

/// `Decimal`'s largest scale.
const MAX_SCALE: u32 = 28;

/// One fact of one row, as read from its column.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) enum Cell {
    /// Not given: unknown.
    #[default]
    Missing,
    Absent,
    Bool(bool),
    Int(i64),
    /// An amount in the field's currency.
    Money(Decimal),
    /// An amount written plainly (`1234.50 USD`): its mantissa and scale
    /// (at most the currency's minor digits), kept as integers so that the
    /// cell is stored whole, not as a `Decimal`'s four parts reloaded as two.
    Plain(i64, u32),
    Date(NaiveDate),
    Member(u32),
    /// The text of the row's cell in the source at this index in
    /// [`Columns::sources`] (a text column), lent when asked.
    Text(u32),
}

impl Cell {
    /// A value the slot reader gave, as a cell; `None` for text, which is
    /// only lent from a text column.
    fn of(value: Value) -> Option<Cell> {
        Some(match value {
            Value::Bool(b) => Cell::Bool(b),
            Value::Int(n) => Cell::Int(n),
            Value::Money(m) => Cell::Money(m.amount),
            Value::Date(d) => Cell::Date(d),
            Value::Member(_, i) => Cell::Member(i),
            Value::Absent => Cell::Absent,
            Value::Text(_) => return None,
        })
    }
}

/// The cells of rows `start..start + len`, row after row.
#[derive(Debug, Default)]
pub(super) struct Direct {
    start: usize,
    len: usize,
    /// Slots per row: the schema's fields.
    slots: usize,
    /// Optional records per row.
    records: usize,
    cells: Vec<Cell>,
    /// Per row: every cell was read directly (else the careful loader reads it).
    fast: Vec<bool>,
    /// Per row, per optional record: whether the row has it.
    present: Vec<bool>,
}

/// One row of a block, read by reference.
pub(crate) struct ArrowRow<'a> {
    cells: &'a [Cell],
    sources: &'a [Source],
    row: usize,
}

impl FactSource for ArrowRow<'_> {
    #[inline(always)]
    fn fact(&self, slot: u32) -> V<'_> {
        match self.cells.get(slot as usize) {
            Some(Cell::Missing) | None => V::Unknown,
            Some(Cell::Absent) => V::Absent,
            Some(Cell::Bool(b)) => V::Bool(*b),
            Some(Cell::Int(n)) => V::Int(*n),
            Some(Cell::Money(m)) => V::Money(*m),
            // The scale is a currency's minor digits, within `Decimal`'s; if
            // it were not, the fact is unknown here and the full evaluator,
            // on the row's values, decides.
            Some(Cell::Plain(m, scale)) => {
                Decimal::try_new(*m, *scale).map_or(V::Unknown, V::Money)
            }
            Some(Cell::Date(d)) => V::Date(*d),
            Some(Cell::Member(m)) => V::Member(*m),
            Some(Cell::Text(source)) => {
                match self.sources.get(*source as usize).map(|s| &s.cells) {
                    Some(Cells::Words(cells)) => V::Text(cells.value(self.row)),
                    _ => V::Unknown,
                }
            }
        }
    }
}

impl ArrowRow<'_> {
    /// The row's facts as the loader gives them, for the full evaluator.
    pub(crate) fn facts(&self, schema: &Schema) -> Facts {
        let mut values = Vec::new();
        self.values_into(schema, &mut values);
        Facts { values }
    }

    /// The row's facts into `values` (emptied first), as the loader gives
    /// them: for a caller that needs `Value`s, the full evaluator among them.
    pub(super) fn values_into(&self, schema: &Schema, values: &mut Vec<Option<Value>>) {
        values.clear();
        values.extend(
            self.cells
                .iter()
                .zip(&schema.fields)
                .map(|(cell, field)| self.value(cell, &field.ty)),
        );
    }

    fn value(&self, cell: &Cell, ty: &Type) -> Option<Value> {
        Some(match (*cell, ty) {
            (Cell::Missing, _) => return None,
            (Cell::Absent, _) => Value::Absent,
            (Cell::Bool(b), _) => Value::Bool(b),
            (Cell::Int(n), _) => Value::Int(n),
            (Cell::Money(m), Type::Money(c)) => Value::Money(Money::new(m, *c)),
            (Cell::Plain(m, scale), Type::Money(c)) => {
                Value::Money(Money::new(Decimal::try_new(m, scale).ok()?, *c))
            }
            (Cell::Date(d), _) => Value::Date(d),
            (Cell::Member(m), Type::Enum(id)) => Value::Member(*id, m),
            (Cell::Text(_), _) => Value::Text(Arc::from(self.fact_text(cell)?)),
            // Cells are only made of the field's own type.
            (Cell::Money(_) | Cell::Plain(..) | Cell::Member(_), _) => return None,
        })
    }

    fn fact_text(&self, cell: &Cell) -> Option<&str> {
        match cell {
            Cell::Text(source) => match self.sources.get(*source as usize).map(|s| &s.cells) {
                Some(Cells::Words(cells)) => Some(cells.value(self.row)),
                _ => None,
            },
            _ => None,
        }
    }
}

/// What the block holds for a row.
pub(super) enum Taken<'a> {
    /// Every cell was read directly.
    Fast(ArrowRow<'a>),
    /// A row the direct reading cannot settle: the careful loader reads it.
    Careful,
}

impl Direct {
    fn holds(&self, row: usize) -> bool {
        row >= self.start && row - self.start < self.len
    }

    /// `row`'s cells, reading the block it starts when the row is not in
    /// the current one.
    pub(super) fn take<'a>(
        &'a mut self,
        columns: &'a Columns,
        program: &Program,
        reader: &SlotReader,
        row: usize,
    ) -> Taken<'a> {
        if !self.holds(row) {
            self.fill(columns, program, reader, row);
        }
        let i = row.wrapping_sub(self.start);
        let cells = self.cells.get(i * self.slots..(i + 1) * self.slots);
        match (self.fast.get(i), cells) {
            (Some(true), Some(cells)) => Taken::Fast(ArrowRow {
                cells,
                sources: &columns.sources,
                row,
            }),
            _ => Taken::Careful,
        }
    }

    /// Reads rows `start..` (a block's worth, or to the end) column by column.
    fn fill(&mut self, columns: &Columns, program: &Program, reader: &SlotReader, start: usize) {
        let schema = &program.schema;
        let slots = schema.fields.len();
        let records = columns.records.len();
        let len = BLOCK_ROWS.min(columns.rows.saturating_sub(start));
        self.start = start;
        self.len = len;
        self.slots = slots;
        self.records = records;
        self.cells.clear();
        self.cells.resize(len * slots, Cell::Missing);
        self.fast.clear();
        self.fast.resize(len, true);
        self.present.clear();
        self.present.resize(len * records, false);
        for (r, column) in columns.records.iter().enumerate() {
            let Some(column) = column else { continue };
            for (i, present) in self.present.iter_mut().skip(r).step_by(records).enumerate() {
                *present = column.is_valid(start + i);
            }
        }
        for (index, source) in (0u32..).zip(&columns.sources) {
            // A flat column's value makes its record present.
            let flat_record = source
                .record
                .filter(|&r| columns.records.get(r).is_some_and(Option::is_none));
            let slot = source.slot;
            let read = |value: Option<Value>| value.and_then(Cell::of);
            match &source.cells {
                Cells::Words(_) => self.column(source, flat_record, |_| Some(Cell::Text(index))),
                Cells::Member(cells, members) => {
                    let names = Names::new(members);
                    self.column(source, flat_record, |row| {
                        names.find(cells.value(row)).map(Cell::Member)
                    })
                }
                // What `plain_money` reads (it fails only past `Decimal`'s
                // scale), else what the slot reader reads.
                Cells::Money(cells, currency) => self.column(source, flat_record, |row| {
                    let text = cells.value(row);
                    match plain_amount(text, *currency) {
                        Some((m, scale)) if scale <= MAX_SCALE => Some(Cell::Plain(m, scale)),
                        _ => read(reader.read_str(slot, text)),
                    }
                }),
                Cells::Text(cells) => self.column(source, flat_record, |row| {
                    read(reader.read_str(slot, cells.value(row)))
                }),
                Cells::Bool(cells) => self.column(source, flat_record, |row| {
                    read(reader.read_bool(slot, cells.value(row)))
                }),
                Cells::Int(cells) => self.column(source, flat_record, |row| {
                    read(reader.read_i64(slot, cells.value(row)))
                }),
                Cells::Date(cells) => self.column(source, flat_record, |row| {
                    date_of_days(cells.value(row)).map(Cell::Date)
                }),
                Cells::Decimals(cells, scale, currency) => {
                    self.column(source, flat_record, |row| {
                        let amount =
                            Decimal::try_from_i128_with_scale(cells.value(row), *scale).ok()?;
                        read(reader.read_str(slot, &format!("{amount} {}", currency.code())))
                    })
                }
                Cells::Other => self.column(source, flat_record, |_| None),
            }
        }
        // What the row does not give: absent when the field is optional or
        // its record is missing, as the fast reader decides.
        for (i, row) in self.cells.chunks_mut(slots.max(1)).enumerate() {
            if !self.fast.get(i).copied().unwrap_or(false) {
                continue;
            }
            // Only optional fields and fields of optional records can be
            // absent: a few of the row's slots.
            for &(slot, optional, record) in &columns.may_be_absent {
                let Some(cell) = row.get_mut(slot as usize) else {
                    continue;
                };
                let record_absent = record
                    .is_some_and(|r| !self.present.get(i * records + r).copied().unwrap_or(false));
                if *cell == Cell::Missing && (optional || record_absent) {
                    *cell = Cell::Absent;
                }
            }
        }
    }

    /// Reads one fact column down the block's rows.
    fn column(
        &mut self,
        source: &Source,
        flat_record: Option<usize>,
        mut read: impl FnMut(usize) -> Option<Cell>,
    ) {
        let (slots, records) = (self.slots, self.records);
        let slot = source.slot as usize;
        for (i, fast) in self.fast.iter_mut().enumerate() {
            let row = self.start + i;
            if !*fast || source.valid.as_ref().is_some_and(|v| v.is_null(row)) {
                continue;
            }
            if let Some(present) = flat_record.and_then(|r| self.present.get_mut(i * records + r)) {
                *present = true;
            }
            match (read(row), self.cells.get_mut(i * slots + slot)) {
                (Some(cell), Some(place)) => *place = cell,
                _ => *fast = false,
            }
        }
    }
}

/// An enum's members by length and their first and last eight bytes,
/// which settle a member of up to 16 bytes without reading its text (a
/// pointer away) or calling `memcmp`.
struct Names<'m> {
    members: &'m [String],
    keys: Vec<(usize, [u64; 2])>,
}

impl<'m> Names<'m> {
    fn new(members: &'m [String]) -> Names<'m> {
        let keys = members
            .iter()
            .map(|m| (m.len(), words(m.as_bytes())))
            .collect();
        Names { members, keys }
    }

    /// The index of the member named `text`.
    #[inline(always)]
    fn find(&self, text: &str) -> Option<u32> {
        let text = text.as_bytes();
        let key = (text.len(), words(text));
        let i = self.keys.iter().position(|k| *k == key)?;
        let found = text.len() <= 16 || self.members.get(i).is_some_and(|m| m.as_bytes() == text);
        found.then_some(i as u32)
    }
}

/// A text's first and last eight bytes (for a shorter text, its first and
/// last four, or its bytes): with its length, the whole text when it is at
/// most 16 bytes long. Loaded as words, not copied into a buffer and read
/// back (which stalled on the partly stored bytes).
#[inline(always)]
fn words(text: &[u8]) -> [u64; 2] {
    if let (Some(first), Some(last)) = (text.first_chunk::<8>(), text.last_chunk::<8>()) {
        return [u64::from_le_bytes(*first), u64::from_le_bytes(*last)];
    }
    if let (Some(first), Some(last)) = (text.first_chunk::<4>(), text.last_chunk::<4>()) {
        let word = |w: &[u8; 4]| u64::from(u32::from_le_bytes(*w));
        return [word(first) | word(last) << 32, 0];
    }
    [text.iter().fold(0u64, |w, &b| w << 8 | u64::from(b)), 0]
}

#[cfg(test)]
#[path = "direct_tests.rs"]
mod tests;
