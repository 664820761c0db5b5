//! List columns of ids from a fixed set: a decision's rule ids, the fact
//! paths. The set is known from the program before any account is read, so
//! each list item is a key into it (`List<Dictionary(UInt8|UInt16, Utf8)>`),
//! pushed straight from the verdict's index; no text is copied per row. The
//! rule-id and missing-fact lists were most of the output's bytes once the
//! outcomes were dictionaries. Without dictionaries (`Options::dictionaries`)
//! the keys are still pushed per row, and gathered into the ids' text once
//! per chunk.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray as _, DictionaryArray, ListArray, PrimitiveArray, StringArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, UInt8Type, UInt16Type, UInt32Type};
use arrow::error::ArrowError;

/// How an item is stored: the narrowest key that counts the set, or the
/// text itself for a set too large for a `u16` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    U8,
    U16,
    Text,
}

/// A fixed set of ids: the dictionary of a list column.
#[derive(Debug, Clone)]
pub(super) struct IdSet {
    values: Arc<StringArray>,
    width: Width,
    /// Items as text (`Options::dictionaries` off): the keys are gathered
    /// into text once per chunk, in one pass, which costs less than
    /// copying each id's text as the rows are written.
    plain: bool,
}

impl IdSet {
    /// `dictionaries: false` gives lists of the ids' text.
    pub(super) fn new(ids: Vec<String>, dictionaries: bool) -> IdSet {
        let width = if ids.len() <= usize::from(u8::MAX) + 1 {
            Width::U8
        } else if ids.len() <= usize::from(u16::MAX) + 1 {
            Width::U16
        } else {
            Width::Text
        };
        IdSet {
            values: Arc::new(StringArray::from(ids)),
            width,
            plain: !dictionaries,
        }
    }

    fn item_type(&self) -> DataType {
        let key = match self.width {
            _ if self.plain => return DataType::Utf8,
            Width::U8 => DataType::UInt8,
            Width::U16 => DataType::UInt16,
            Width::Text => return DataType::Utf8,
        };
        DataType::Dictionary(Box::new(key), Box::new(DataType::Utf8))
    }

    fn item_field(&self) -> Arc<Field> {
        Arc::new(Field::new("item", self.item_type(), true))
    }

    /// The column's type: a list of the set's items.
    pub(super) fn list_type(&self) -> DataType {
        DataType::List(self.item_field())
    }

    /// A builder for one worker's column.
    pub(super) fn lists(&self) -> IdLists {
        IdLists {
            set: self.clone(),
            // Indices are stored as `u32`; a set past that (none is) loses
            // its last ids rather than storing a wrong one.
            count: self.values.len().min(u32::MAX as usize),
            offsets: vec![0],
            keys: Vec::new(),
            ends: Vec::new(),
        }
    }
}

/// A list column being built: the items' indices in the set and the lists'
/// offsets. Its validity is the writer's (a row's list is null only with
/// the whole decision: see `nulls`), given at `finish`.
///
/// The indices are kept as `u32` whatever the column's key type, and
/// narrowed (or, past a `u16`, gathered into text) once per chunk: a push
/// per item is then a bound check and a store, and ending a list is one
/// store of the length, with no choice of width per item (that `match`
/// was a sixth of `Rows::record`'s instructions).
pub(super) struct IdLists {
    set: IdSet,
    /// The set's size: every index pushed is below it, so it fits the key.
    count: usize,
    offsets: Vec<i32>,
    keys: Vec<u32>,
    /// For lists that are nearly always empty (a decision's missing facts),
    /// ended with `end_row`: the rows with items and where their items
    /// end, made offsets once per chunk instead of one per row.
    ends: Vec<(u32, i32)>,
}

impl IdLists {
    /// Adds the id at `index` in the set to the current list. An index
    /// outside the set is a bug in the layout; it is left out here and
    /// cannot reach the output as a wrong id.
    #[inline]
    pub(super) fn push(&mut self, index: usize) {
        if index < self.count {
            // Below the set's size, which `lists` bounds by `u32::MAX`.
            self.keys.push(index as u32);
        }
    }

    /// Ends the current list (the row's; an empty one for a null row).
    #[inline]
    pub(super) fn end(&mut self) {
        // Offsets are i32 in a `List`; a chunk holds far fewer items.
        self.offsets
            .push(i32::try_from(self.keys.len()).unwrap_or(i32::MAX));
    }

    /// Ends row `row`'s list, called only for a row with items: rows left
    /// out have empty lists. A column is built either with `end` for every
    /// row or with this, not both; rows in order.
    #[inline]
    pub(super) fn end_row(&mut self, row: usize) {
        let end = i32::try_from(self.keys.len()).unwrap_or(i32::MAX);
        self.ends
            .push((u32::try_from(row).unwrap_or(u32::MAX), end));
    }

    /// The offsets of `rows` lists ended with `end_row`.
    fn sparse_offsets(&mut self, rows: usize) -> Vec<i32> {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        let mut at = 0;
        for (row, end) in self.ends.drain(..) {
            // A row past the chunk is a bug in the writer: left out.
            let row = (row as usize).min(rows);
            offsets.resize(row + 1, at);
            offsets.truncate(row + 1);
            offsets.push(end);
            at = end;
        }
        offsets.resize(rows + 1, at);
        offsets.truncate(rows + 1);
        offsets
    }

    /// The chunk's column of `rows` lists with validity `nulls`, emptying
    /// the builder.
    pub(super) fn finish(
        &mut self,
        rows: usize,
        nulls: Option<NullBuffer>,
    ) -> Result<ArrayRef, ArrowError> {
        let offsets = match self.offsets.len() {
            1 => self.sparse_offsets(rows),
            _ => drain(&mut self.offsets),
        };
        self.offsets.clear();
        self.offsets.push(0);
        let dictionary = self.set.values.clone() as ArrayRef;
        let plain = self.set.plain;
        // Each index is below the set's size, which the width counts: the
        // narrowing casts are exact.
        let items: ArrayRef = match self.set.width {
            Width::U8 => keyed::<UInt8Type>(&self.keys, |k| k as u8, dictionary, plain)?,
            Width::U16 => keyed::<UInt16Type>(&self.keys, |k| k as u16, dictionary, plain)?,
            Width::Text => {
                let keys = PrimitiveArray::<UInt32Type>::from(drain(&mut self.keys));
                arrow::compute::take(&dictionary, &keys, Some(checked()))?
            }
        };
        self.keys.clear();
        Ok(Arc::new(ListArray::try_new(
            self.set.item_field(),
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            items,
            nulls,
        )?))
    }
}

/// Items as keys into `dictionary`, narrowed to `K` by `narrow`, or
/// (`plain`) the keys' texts gathered.
fn keyed<K: arrow::datatypes::ArrowDictionaryKeyType>(
    keys: &[u32],
    narrow: impl Fn(u32) -> K::Native,
    dictionary: ArrayRef,
    plain: bool,
) -> Result<ArrayRef, ArrowError> {
    let keys = PrimitiveArray::<K>::from_iter_values(keys.iter().map(|&k| narrow(k)));
    Ok(match plain {
        true => arrow::compute::take(&dictionary, &keys, Some(checked()))?,
        false => Arc::new(DictionaryArray::try_new(keys, dictionary)?),
    })
}

/// The chunk's part of a column, copied out in one pass into a buffer of
/// its exact size; `scratch` is emptied and kept for the next chunk. Rows
/// are written into the same scratch memory chunk after chunk, which stays
/// in the cache, instead of into fresh buffers (a cache miss, and for new
/// pages a fault, every few rows in each of some forty columns); the copy
/// is one sequential pass.
pub(super) fn drain<T: Copy>(scratch: &mut Vec<T>) -> Vec<T> {
    let part = scratch.to_vec();
    scratch.clear();
    part
}

/// `take` that answers a key outside the set with an error, as
/// `DictionaryArray::try_new` does, instead of a panic.
pub(super) fn checked() -> arrow::compute::TakeOptions {
    arrow::compute::TakeOptions { check_bounds: true }
}

/// The texts of one list (a row's), whatever its items' type.
pub(super) fn texts(items: &dyn Array) -> Vec<&str> {
    if let Some(text) = items.as_string_opt::<i32>() {
        return text.iter().flatten().collect();
    }
    if let Some(keyed) = items.as_dictionary_opt::<UInt8Type>() {
        return keyed_texts(keyed.keys().values().iter().map(|k| usize::from(*k)), keyed);
    }
    if let Some(keyed) = items.as_dictionary_opt::<UInt16Type>() {
        return keyed_texts(keyed.keys().values().iter().map(|k| usize::from(*k)), keyed);
    }
    Vec::new()
}

fn keyed_texts<K: arrow::datatypes::ArrowDictionaryKeyType>(
    keys: impl Iterator<Item = usize>,
    keyed: &DictionaryArray<K>,
) -> Vec<&str> {
    let Some(values) = keyed.values().as_string_opt::<i32>() else {
        return Vec::new();
    };
    keys.filter(|k| *k < values.len())
        .map(|k| values.value(k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of each list, as text.
    fn lists(column: &ArrayRef) -> Vec<Vec<String>> {
        let Some(lists) = column.as_list_opt::<i32>() else {
            return Vec::new();
        };
        (0..lists.len())
            .map(|row| {
                texts(&lists.value(row))
                    .into_iter()
                    .map(str::to_owned)
                    .collect()
            })
            .collect()
    }

    /// Lists ended only where they have items: the rows between, and after
    /// the last, are empty; a second chunk starts afresh.
    #[test]
    fn sparse_lists_land_in_their_rows() {
        let set = IdSet::new(vec!["a".into(), "b".into(), "c".into()], true);
        let mut builder = set.lists();
        builder.push(2);
        builder.push(0);
        builder.end_row(1);
        builder.push(1);
        builder.end_row(3);
        let Ok(column) = builder.finish(5, None) else {
            unreachable!("the keys are in the set");
        };
        let want: [&[&str]; 5] = [&[], &["c", "a"], &[], &["b"], &[]];
        assert_eq!(lists(&column), want);
        builder.push(1);
        builder.end_row(0);
        let Ok(column) = builder.finish(2, None) else {
            unreachable!("the keys are in the set");
        };
        let want: [&[&str]; 2] = [&["b"], &[]];
        assert_eq!(lists(&column), want);
    }

    /// Lists ended row by row, in text (dictionaries off); an index outside
    /// the set is left out.
    #[test]
    fn dense_lists_keep_every_row() {
        let set = IdSet::new(vec!["a".into(), "b".into()], false);
        let mut builder = set.lists();
        builder.push(1);
        builder.push(7);
        builder.end();
        builder.end();
        builder.push(0);
        builder.end();
        let Ok(column) = builder.finish(3, None) else {
            unreachable!("the keys are in the set");
        };
        let want: [&[&str]; 3] = [&["b"], &[], &["a"]];
        assert_eq!(lists(&column), want);
    }

    /// A set past a `u16` key is stored as text, even with dictionaries.
    #[test]
    fn a_set_past_a_u16_key_is_text() {
        let set = IdSet::new((0..70_000).map(|i| format!("r{i}")).collect(), true);
        assert_eq!(set.item_type(), DataType::Utf8);
        let mut builder = set.lists();
        builder.push(69_999);
        builder.push(3);
        builder.end();
        let Ok(column) = builder.finish(1, None) else {
            unreachable!("the keys are in the set");
        };
        let want: [&[&str]; 1] = [&["r69999", "r3"]];
        assert_eq!(lists(&column), want);
    }
}
