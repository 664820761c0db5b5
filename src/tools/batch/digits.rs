//! Numbers and strings written straight into a record's bytes, without
//! `fmt`: a record's line number, its amounts (from their integer minor
//! units, not through `Decimal`'s `Display`, which was a quarter of record
//! writing) and its id. Each writes exactly what the formatting it replaces
//! wrote; the tests below hold them to it.

use rust_decimal::Decimal;

use crate::base::money::Money;

/// The decimal digits of `n`, as `{n}` writes them.
pub(crate) fn write_u64(n: u64, out: &mut Vec<u8>) {
    let mut buffer = [0u8; 20];
    let start = digits_u128(u128::from(n), &mut buffer);
    out.extend_from_slice(buffer.get(start..).unwrap_or(&[]));
}

/// Fills `buffer` from its end with the digits of `n`; where they start.
fn digits_u128(mut n: u128, buffer: &mut [u8]) -> usize {
    let mut at = buffer.len();
    // The u64 loop is the usual case: amounts and line numbers fit.
    while n > u128::from(u64::MAX) && at > 0 {
        at -= 1;
        if let Some(b) = buffer.get_mut(at) {
            *b = b'0' + (n % 10) as u8;
        }
        n /= 10;
    }
    let mut small = n as u64;
    loop {
        if at == 0 {
            break;
        }
        at -= 1;
        if let Some(b) = buffer.get_mut(at) {
            *b = b'0' + (small % 10) as u8;
        }
        small /= 10;
        if small == 0 {
            break;
        }
    }
    at
}

/// A decimal as its `Display` writes it: a `-` when its sign is negative
/// (a negative zero too), the integer digits (at least one), then a point
/// and exactly `scale` digits when the scale is not 0.
pub(crate) fn write_decimal(d: Decimal, out: &mut Vec<u8>) {
    write_scaled(d, 0, out);
}

/// [`write_decimal`] of `d` with `zeros` more digits of scale, as
/// `rescale` to a larger scale gives when the mantissa has room.
fn write_scaled(d: Decimal, zeros: usize, out: &mut Vec<u8>) {
    if d.is_sign_negative() {
        out.push(b'-');
    }
    let scale = d.scale() as usize + zeros;
    // 96 bits of mantissa (at most 29 digits) and a few zeros.
    // The zeros are already at the end; the digits go before them.
    let mut buffer = [b'0'; 48];
    let end = 48 - zeros.min(16);
    let start = digits_u128(
        d.mantissa().unsigned_abs(),
        buffer.get_mut(..end).unwrap_or_default(),
    );
    let digits = buffer.get(start..).unwrap_or(&[]);
    if scale == 0 {
        out.extend_from_slice(digits);
        return;
    }
    if digits.len() > scale {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        out.extend_from_slice(whole);
        out.push(b'.');
        out.extend_from_slice(fraction);
    } else {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + scale - digits.len(), b'0');
        out.extend_from_slice(digits);
    }
}

/// `"1500.00 USD"`, quoted, as `Money`'s `Display` writes it: the amount at
/// its currency's minor digits, a space, the code.
pub(crate) fn write_money(m: &Money, out: &mut Vec<u8>) {
    let mut amount = m.amount;
    let minor = m.currency.minor_digits();
    out.push(b'"');
    // A smaller scale is padded with zeros, as `rescale` would multiply
    // (it was a tenth of record writing); with room to spare, so that the
    // mantissa could take them. A larger one is rounded by `rescale`.
    let scale = amount.scale();
    if scale <= minor && amount.mantissa().unsigned_abs() < 10u128.pow(24) {
        write_scaled(amount, (minor - scale) as usize, out);
    } else {
        amount.rescale(minor);
        write_decimal(amount, out);
    }
    // The code as bytes: `code()` checks them to be UTF-8 each time.
    let [a, b, c] = m.currency.code_bytes();
    out.extend_from_slice(&[b' ', a, b, c, b'"']);
}

/// `s` as a JSON string, as `serde_json` writes it: quoted as it is when
/// nothing in it needs an escape (the usual id), else through serde_json.
pub(crate) fn write_json_str(s: &str, out: &mut Vec<u8>) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::money::Currency;

    fn text(write: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        write(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn integers_are_written_as_display_writes_them() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(text(|o| write_u64(n, o)), n.to_string());
        }
    }

    #[test]
    fn decimals_are_written_as_display_writes_them() {
        let mut cases = vec![
            Decimal::ZERO,
            Decimal::new(5, 2),
            Decimal::new(-5, 2),
            Decimal::new(-0, 2),
            Decimal::new(123_456, 2),
            Decimal::new(-123_456, 3),
            Decimal::new(7, 0),
            Decimal::new(100, 2),
            Decimal::MAX,
            Decimal::MIN,
            Decimal::from_i128_with_scale(1, 28),
            Decimal::from_i128_with_scale(-79_228_162_514_264_337_593_543_950_335, 28),
        ];
        // A spread of mantissas and scales, both signs.
        let mut m: i64 = 1;
        for scale in 0..=6 {
            for _ in 0..40 {
                m = m.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                cases.push(Decimal::new(m >> (scale * 7), scale));
            }
        }
        let mut negative_zero = Decimal::new(0, 2);
        negative_zero.set_sign_negative(true);
        cases.push(negative_zero);
        for d in cases {
            assert_eq!(text(|o| write_decimal(d, o)), d.to_string(), "{d:?}");
        }
    }

    #[test]
    fn money_is_written_as_its_display_quoted() {
        let usd = Currency::from_code("USD").unwrap();
        let jpy = Currency::from_code("JPY").unwrap();
        let bhd = Currency::from_code("BHD").unwrap();
        for (amount, currency) in [
            (Decimal::new(150_000, 2), usd),
            (Decimal::new(15, 0), usd),
            (Decimal::new(-35, 1), usd),
            (Decimal::new(12_345, 4), usd),
            (Decimal::new(12_355, 4), usd),
            (Decimal::new(-12_355, 4), usd),
            (Decimal::new(2500, 0), jpy),
            (Decimal::new(2500, 2), jpy),
            (Decimal::new(1, 0), bhd),
            (Decimal::new(0, 0), usd),
            (Decimal::new(-7, 0), usd),
            (Decimal::new(5, 1), bhd),
            (Decimal::new(-0, 1), usd),
            (Decimal::from_i128_with_scale(10i128.pow(24) - 1, 0), usd),
            (Decimal::from_i128_with_scale(10i128.pow(24), 0), usd),
            (Decimal::from_i128_with_scale(10i128.pow(27), 0), usd),
            (Decimal::MAX, usd),
            (Decimal::MIN, jpy),
        ] {
            let mut negative_zero = amount;
            negative_zero.set_sign_negative(true);
            let m = Money::new(amount, currency);
            let z = Money::new(negative_zero * Decimal::ZERO, currency);
            assert_eq!(text(|o| write_money(&z, o)), format!("\"{z}\""), "{z:?}");
            assert_eq!(text(|o| write_money(&m, o)), format!("\"{m}\""), "{m:?}");
        }
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for s in [
            "",
            "id-1",
            "a\"b",
            "a\\b",
            "tab\there",
            "é ünï",
            "\u{7f}",
            "\u{1f}",
        ] {
            let serde = serde_json::to_string(s).unwrap_or_default();
            assert_eq!(text(|o| write_json_str(s, o)), serde, "{s:?}");
        }
    }
}
