//! An amount's mantissa at its currency's scale, as `Decimal::rescale`
//! gives it, without the call: an amount computed by a rate has more digits
//! than its currency's, a constant often fewer, and `rescale` (a division
//! or multiplication of 96 bits, through memory) was a fifth of writing a
//! record.

use rust_decimal::Decimal;

/// Powers of ten that fit a `u64`.
const TENS: [u64; 20] = {
    let mut tens = [1u64; 20];
    let mut i = 1;
    while i < tens.len() {
        tens[i] = tens[i - 1] * 10;
        i += 1;
    }
    tens
};

/// `amount`'s mantissa once rescaled to `scale` (rounding half away from
/// zero, on the first dropped digit, as `rescale` does); `None` when the
/// mantissa is past a `u64`, the result would be, or the scales are more
/// than 19 digits apart: left to `rescale`.
#[inline]
pub(super) fn mantissa_at(amount: &Decimal, scale: u32) -> Option<i128> {
    let mantissa = amount.mantissa();
    let from = amount.scale();
    let magnitude = u64::try_from(mantissa.unsigned_abs()).ok()?;
    let magnitude = if from == scale {
        magnitude
    } else if from < scale {
        let ten = *TENS.get((scale - from) as usize)?;
        magnitude.checked_mul(ten)?
    } else {
        // Every dropped digit but the first is discarded; the first rounds.
        let ten = *TENS.get((from - scale - 1) as usize)?;
        let kept = magnitude / ten;
        kept / 10 + u64::from(kept % 10 >= 5)
    };
    let magnitude = i128::from(magnitude);
    Some(if mantissa < 0 { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every result given is `rescale`'s, up, down (rounding at halves,
    /// below them, negative, many digits dropped), to the same scale; what
    /// is not given is past a `u64`.
    #[test]
    fn mantissa_at_is_rescale() {
        let mut given = 0;
        for mantissa in [
            0i128,
            1,
            -1,
            4,
            5,
            -5,
            14,
            15,
            -15,
            25,
            449,
            450,
            -450,
            4_999_999,
            5_000_000,
            123_456_789,
            -987_654_321_987,
            i128::from(u64::MAX),
            -i128::from(u64::MAX),
            i128::from(u64::MAX) + 1,
            79_228_162_514_264_337_593_543_950_335,
        ] {
            for from in [0u32, 1, 2, 3, 4, 7, 10, 19, 20, 28] {
                for to in [0u32, 2, 3, 8, 19] {
                    let Ok(amount) = Decimal::try_from_i128_with_scale(mantissa, from) else {
                        continue;
                    };
                    let mut rescaled = amount;
                    rescaled.rescale(to);
                    match mantissa_at(&amount, to) {
                        Some(m) => {
                            assert_eq!(rescaled.scale(), to, "{amount} to {to}");
                            assert_eq!(m, rescaled.mantissa(), "{amount} to {to}");
                            given += 1;
                        }
                        None => assert!(
                            mantissa.unsigned_abs() > u128::from(u64::MAX)
                                || rescaled.mantissa().unsigned_abs() > u128::from(u64::MAX)
                                || rescaled.scale() != to
                                || from.abs_diff(to) > 19,
                            "{amount} to {to} left to rescale"
                        ),
                    }
                }
            }
        }
        assert!(given > 600, "{given}");
    }
}
