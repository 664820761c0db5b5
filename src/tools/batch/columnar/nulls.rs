//! Validity where nulls are rare, built once per chunk. A record row's
//! columns are null only for an account that could not be evaluated, or a
//! decision without a verdict; so instead of a validity bit appended per
//! row and column, the writer notes the rows that are null, and the bitmap
//! is made at the end of the chunk, only when there is one.

use arrow::array::BooleanBufferBuilder;
use arrow::buffer::NullBuffer;

/// The null rows of a column in the current chunk, in the order written.
#[derive(Debug, Default)]
pub(super) struct Nulls {
    rows: Vec<u32>,
}

impl Nulls {
    /// Row `row` of the chunk is null. A chunk has far fewer rows than a
    /// `u32` counts (`CHUNK_ROWS`).
    #[inline]
    pub(super) fn null(&mut self, row: usize) {
        self.rows.push(u32::try_from(row).unwrap_or(u32::MAX));
    }

    /// The rows noted so far.
    pub(super) fn rows(&self) -> &[u32] {
        &self.rows
    }

    /// Forgets the chunk's rows (after its columns are built).
    pub(super) fn clear(&mut self) {
        self.rows.clear();
    }
}

/// The validity of a column of `len` rows that is null in each of the
/// `lists`' rows; `None` (no bitmap) when no row is. A row past `len` is a
/// bug in the writer; it is left out rather than panicking.
pub(super) fn validity(len: usize, lists: &[&[u32]]) -> Option<NullBuffer> {
    if lists.iter().all(|rows| rows.is_empty()) {
        return None;
    }
    let mut bits = BooleanBufferBuilder::new(len);
    bits.append_n(len, true);
    for &row in lists.iter().flat_map(|rows| rows.iter()) {
        let row = row as usize;
        if row < len {
            bits.set_bit(row, false);
        }
    }
    Some(NullBuffer::new(bits.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without a null row there is no bitmap, as a builder that was never
    /// given a null makes none.
    #[test]
    fn no_null_row_gives_no_bitmap() {
        let nulls = Nulls::default();
        assert_eq!(validity(5, &[nulls.rows(), &[]]), None);
        assert_eq!(validity(0, &[]), None);
    }

    /// The rows of every list are null, the rest valid, whatever the order
    /// or repeats; a row past the end is left out.
    #[test]
    fn rows_of_every_list_are_null() {
        let mut a = Nulls::default();
        a.null(4);
        a.null(0);
        a.null(4);
        let Some(buffer) = validity(6, &[a.rows(), &[2, 9]]) else {
            unreachable!("rows were noted");
        };
        let valid: Vec<bool> = (0..6).map(|i| buffer.is_valid(i)).collect();
        assert_eq!(valid, [false, true, false, true, false, true]);
        assert_eq!(buffer.null_count(), 3);
        assert_eq!(buffer.len(), 6);
        a.clear();
        assert!(a.rows().is_empty());
    }
}
