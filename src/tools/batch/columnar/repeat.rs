//! Columns whose rows are all alike, chunk after chunk: `policy_hash` (the
//! run's one value) and `errors` and `warnings` in a chunk where no row has
//! any (nearly every chunk). Each is built once per worker, for as many rows
//! as the longest chunk so far (rounded up to a power of two, so that
//! chunks of varying length rarely build it again), and each chunk gets a
//! slice of it, which shares its buffers. Building them per chunk wrote 4
//! bytes of offsets per row into new memory for each of `errors` and
//! `warnings`, and without dictionaries the hash's 71 bytes of text per row.

use arrow::array::{Array as _, ArrayRef};

/// One such column, built on first use.
#[derive(Default)]
pub(super) struct Repeated {
    whole: Option<ArrayRef>,
}

impl Repeated {
    /// The column for a chunk of `rows` rows; `make(n)` builds it for `n`
    /// rows.
    pub(super) fn rows(&mut self, rows: usize, make: impl FnOnce(usize) -> ArrayRef) -> ArrayRef {
        match &self.whole {
            Some(whole) if whole.len() >= rows => whole.slice(0, rows),
            _ => {
                let whole = make(rows.next_power_of_two());
                let part = whole.slice(0, rows);
                self.whole = Some(whole);
                part
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array as _, StringArray};

    use super::*;

    /// A chunk gets its own length, from one column built for the longest.
    #[test]
    fn chunks_share_one_column() {
        let mut built = 0;
        let mut repeated = Repeated::default();
        for rows in [3, 2, 4, 5, 1] {
            let column = repeated.rows(rows, |n| {
                built += 1;
                Arc::new(StringArray::from_iter_values(std::iter::repeat_n("h", n)))
            });
            assert_eq!(column.len(), rows);
            let text = column.as_any().downcast_ref::<StringArray>().unwrap();
            assert!(text.iter().all(|v| v == Some("h")));
        }
        // 3 → 4 rows; 5 → 8 rows.
        assert_eq!(built, 2);
    }
}
