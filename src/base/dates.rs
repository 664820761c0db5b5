//! The one definition of a date in credo, for policies, fact documents,
//! test files, `--as-of` and `credo verify` alike.
//!
//! A date is written in full, `YYYY-MM-DD`, and lies between 0001-01-01 and
//! 9999-12-31. Four digits also spell the year 0000, and chrono would take
//! it (as 1 BCE), but no account was opened or asked for credit then: in
//! fact data `0000-01-01` is a placeholder for "no date" (as MySQL's zero
//! dates are), and reading it as a real, very early date would make age and
//! deadline rules fire on a value that means "unknown". So it is refused
//! with a message that says to leave the fact out instead, and `verify`'s
//! date domain is exactly this range.

use chrono::{Datelike, NaiveDate};

/// The first date credo accepts: 0001-01-01.
pub const FIRST: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The last date credo accepts: 9999-12-31.
pub const LAST: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// Why a text is not a date credo accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not `YYYY-MM-DD` with every digit written.
    #[error("is not written YYYY-MM-DD")]
    Shape,
    /// Written so, but no such day (`2026-02-30`).
    #[error("is not a calendar date")]
    NoSuchDay,
    /// The year 0000.
    #[error("is before 0001-01-01, the first date credo accepts")]
    BeforeFirst,
}

/// Reads `YYYY-MM-DD`, every digit written (chrono alone also reads `2026-1-5`).
pub fn parse(text: &str) -> Result<NaiveDate, DateError> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return Err(DateError::Shape);
    }
    let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return Err(DateError::Shape);
    };
    let year = i32::try_from(y).map_err(|_| DateError::Shape)?;
    if year == 0 && (1..=12).contains(&m) && (1..=31).contains(&d) {
        return Err(DateError::BeforeFirst);
    }
    NaiveDate::from_ymd_opt(year, m, d).ok_or(DateError::NoSuchDay)
}

/// Whether a date lies in the range credo accepts.
pub fn accepted(date: NaiveDate) -> bool {
    (FIRST..=LAST).contains(&date)
}

/// A date as days since 0001-01-01 plus one (chrono's days from the common era).
pub fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_first_to_last_inclusive() {
        assert_eq!(parse("0001-01-01"), Ok(FIRST));
        assert_eq!(parse("9999-12-31"), Ok(LAST));
        assert_eq!(parse("0000-12-31"), Err(DateError::BeforeFirst));
        assert_eq!(parse("0000-01-01"), Err(DateError::BeforeFirst));
        assert_eq!(parse("2026-1-05"), Err(DateError::Shape));
        assert_eq!(parse("+026-01-05"), Err(DateError::Shape));
        assert_eq!(parse("2026-02-30"), Err(DateError::NoSuchDay));
        assert_eq!(parse("0000-13-01"), Err(DateError::NoSuchDay));
        assert!(accepted(FIRST) && accepted(LAST));
        assert!(NaiveDate::from_ymd_opt(0, 12, 31).is_some_and(|d| !accepted(d)));
        assert!(NaiveDate::from_ymd_opt(10000, 1, 1).is_some_and(|d| !accepted(d)));
    }
}
