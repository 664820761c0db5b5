//! The facts of a block of rows, read a column at a time.
//!
//! Read row by row, each row touched every fact column once: some twenty
//! columns' offsets and bytes at once, too many streams for the hardware
//! to fetch ahead, and a `match` on each column's type per cell. A block
//! reads each column down its rows in one loop (the type matched once),
//! into the rows' slots; the worker then takes each row's facts in turn.
//! The block is small enough (256 rows) to stay in the core's cache.

use std::sync::Arc;

use arrow::array::Array as _;

use super::{Cells, Columns, Source, epoch};
use crate::engine::program::Program;
use crate::input::fast::{SlotReader, plain_money};
use crate::model::ir::Value;

/// Rows read ahead at a time.
const BLOCK_ROWS: usize = 256;

/// The facts of rows `start..start + len`, row after row.
#[derive(Debug, Default)]
pub(super) struct Block {
    start: usize,
    len: usize,
    /// Slots per row: the schema's fields.
    slots: usize,
    /// Optional records per row.
    records: usize,
    values: Vec<Option<Value>>,
    /// Per row: every cell was read directly (else the careful loader reads it).
    fast: Vec<bool>,
    /// Per row: its facts were handed out (moved, not copied).
    taken: Vec<bool>,
    /// Per row, per optional record: whether the row has it.
    present: Vec<bool>,
}

/// What the block holds for a row.
pub(super) enum Taken {
    /// The facts, moved into the caller's values.
    Fast,
    /// A row the direct reading cannot settle.
    Careful,
    /// Not this block's to give (read already): read the row by itself.
    No,
}

impl Block {
    fn holds(&self, row: usize) -> bool {
        row >= self.start && row - self.start < self.len
    }

    /// Hands out `row`'s facts, reading the block it starts when the row is
    /// not in the current one.
    pub(super) fn take(
        &mut self,
        columns: &Columns,
        program: &Program,
        reader: &SlotReader,
        row: usize,
        values: &mut Vec<Option<Value>>,
    ) -> Taken {
        if !self.holds(row) {
            self.fill(columns, program, reader, row);
        }
        let i = row.wrapping_sub(self.start);
        match (self.fast.get(i), self.taken.get_mut(i)) {
            (Some(true), Some(taken)) if !*taken => {
                *taken = true;
                let Some(cells) = self.values.get_mut(i * self.slots..(i + 1) * self.slots) else {
                    return Taken::No;
                };
                values.clear();
                values.extend(cells.iter_mut().map(Option::take));
                Taken::Fast
            }
            (Some(false), Some(_)) => Taken::Careful,
            _ => Taken::No,
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
        self.values.clear();
        self.values.resize(len * slots, None);
        self.fast.clear();
        self.fast.resize(len, true);
        self.taken.clear();
        self.taken.resize(len, false);
        self.present.clear();
        self.present.resize(len * records, false);
        for (r, column) in columns.records.iter().enumerate() {
            let Some(column) = column else { continue };
            for (i, present) in self.present.iter_mut().skip(r).step_by(records).enumerate() {
                *present = column.is_valid(start + i);
            }
        }
        for source in &columns.sources {
            // A flat column's value makes its record present.
            let flat_record = source
                .record
                .filter(|&r| columns.records.get(r).is_some_and(Option::is_none));
            let slot = source.slot;
            match &source.cells {
                // Built here, as the reader builds them: no call per cell.
                Cells::Words(cells) => self.column(source, flat_record, |row| {
                    Some(Value::Text(Arc::from(cells.value(row))))
                }),
                Cells::Member(cells, id, members) => self.column(source, flat_record, |row| {
                    let text = cells.value(row).as_bytes();
                    (0u32..)
                        .zip(members.iter())
                        .find(|(_, m)| m.as_bytes() == text)
                        .map(|(i, _)| Value::Member(*id, i))
                }),
                Cells::Money(cells, currency) => self.column(source, flat_record, |row| {
                    let text = cells.value(row);
                    match plain_money(text, *currency) {
                        Some(money) => Some(Value::Money(money)),
                        None => reader.read_str(slot, text),
                    }
                }),
                Cells::Text(cells) => self.column(source, flat_record, |row| {
                    reader.read_str(slot, cells.value(row))
                }),
                Cells::Bool(cells) => self.column(source, flat_record, |row| {
                    reader.read_bool(slot, cells.value(row))
                }),
                Cells::Int(cells) => self.column(source, flat_record, |row| {
                    reader.read_i64(slot, cells.value(row))
                }),
                Cells::Date(cells) => self.column(source, flat_record, |row| {
                    epoch()
                        .checked_add_signed(chrono::Duration::days(i64::from(cells.value(row))))
                        .map(Value::Date)
                }),
                Cells::Decimals(cells, scale, currency) => {
                    self.column(source, flat_record, |row| {
                        rust_decimal::Decimal::try_from_i128_with_scale(cells.value(row), *scale)
                            .ok()
                            .and_then(|d| {
                                reader.read_str(slot, &format!("{d} {}", currency.code()))
                            })
                    })
                }
                Cells::Other => self.column(source, flat_record, |_| None),
            }
        }
        // What the row does not give: absent when the field is optional or
        // its record is missing, as the fast reader decides.
        for (i, row) in self.values.chunks_mut(slots.max(1)).enumerate() {
            if !self.fast.get(i).copied().unwrap_or(false) {
                continue;
            }
            for ((value, field), record) in row
                .iter_mut()
                .zip(&schema.fields)
                .zip(&columns.field_records)
            {
                let record_absent = record
                    .is_some_and(|r| !self.present.get(i * records + r).copied().unwrap_or(false));
                if value.is_none() && (field.optional || record_absent) {
                    *value = Some(Value::Absent);
                }
            }
        }
    }

    /// Reads one fact column down the block's rows.
    fn column(
        &mut self,
        source: &Source,
        flat_record: Option<usize>,
        mut read: impl FnMut(usize) -> Option<Value>,
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
            // Written in place: a value returned and then moved cost
            // stalls on its partly stored bytes, several per cell.
            match self.values.get_mut(i * slots + slot) {
                Some(place) => {
                    *place = read(row);
                    *fast = place.is_some();
                }
                None => *fast = false,
            }
        }
    }
}
