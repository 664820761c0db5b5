//! Exact money: a decimal amount and an ISO 4217 currency.
//!
//! Nothing here touches a float. Arithmetic is checked: an overflow or a
//! mix of currencies is an error, never a wrapped or converted value.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// An ISO 4217 currency code, such as `USD`, with its minor digits at hand
/// (they follow from the code, so they take no part in comparisons' meaning).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency {
    code: [u8; 3],
    digits: u8,
}

/// Active ISO 4217 codes with their number of minor digits, sorted by code.
#[rustfmt::skip]
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("ANG", 2), ("AOA", 2), ("ARS", 2),
    ("AUD", 2), ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BGN", 2),
    ("BHD", 3), ("BIF", 0), ("BMD", 2), ("BND", 2), ("BOB", 2), ("BRL", 2), ("BSD", 2),
    ("BTN", 2), ("BWP", 2), ("BYN", 2), ("BZD", 2), ("CAD", 2), ("CDF", 2), ("CHF", 2),
    ("CLP", 0), ("CNY", 2), ("COP", 2), ("CRC", 2), ("CUP", 2), ("CVE", 2), ("CZK", 2),
    ("DJF", 0), ("DKK", 2), ("DOP", 2), ("DZD", 2), ("EGP", 2), ("ERN", 2), ("ETB", 2),
    ("EUR", 2), ("FJD", 2), ("FKP", 2), ("GBP", 2), ("GEL", 2), ("GHS", 2), ("GIP", 2),
    ("GMD", 2), ("GNF", 0), ("GTQ", 2), ("GYD", 2), ("HKD", 2), ("HNL", 2), ("HTG", 2),
    ("HUF", 2), ("IDR", 2), ("ILS", 2), ("INR", 2), ("IQD", 3), ("IRR", 2), ("ISK", 0),
    ("JMD", 2), ("JOD", 3), ("JPY", 0), ("KES", 2), ("KGS", 2), ("KHR", 2), ("KMF", 0),
    ("KPW", 2), ("KRW", 0), ("KWD", 3), ("KYD", 2), ("KZT", 2), ("LAK", 2), ("LBP", 2),
    ("LKR", 2), ("LRD", 2), ("LSL", 2), ("LYD", 3), ("MAD", 2), ("MDL", 2), ("MGA", 2),
    ("MKD", 2), ("MMK", 2), ("MNT", 2), ("MOP", 2), ("MRU", 2), ("MUR", 2), ("MVR", 2),
    ("MWK", 2), ("MXN", 2), ("MYR", 2), ("MZN", 2), ("NAD", 2), ("NGN", 2), ("NIO", 2),
    ("NOK", 2), ("NPR", 2), ("NZD", 2), ("OMR", 3), ("PAB", 2), ("PEN", 2), ("PGK", 2),
    ("PHP", 2), ("PKR", 2), ("PLN", 2), ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2),
    ("RUB", 2), ("RWF", 0), ("SAR", 2), ("SBD", 2), ("SCR", 2), ("SDG", 2), ("SEK", 2),
    ("SGD", 2), ("SHP", 2), ("SLE", 2), ("SOS", 2), ("SRD", 2), ("SSP", 2), ("STN", 2),
    ("SYP", 2), ("SZL", 2), ("THB", 2), ("TJS", 2), ("TMT", 2), ("TND", 3), ("TOP", 2),
    ("TRY", 2), ("TTD", 2), ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0), ("USD", 2),
    ("UYU", 2), ("UZS", 2), ("VES", 2), ("VND", 0), ("VUV", 0), ("WST", 2), ("XAF", 0),
    ("XCD", 2), ("XOF", 0), ("XPF", 0), ("YER", 2), ("ZAR", 2), ("ZMW", 2), ("ZWG", 2),
];

impl Currency {
    /// The currency for an ISO 4217 code; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Currency> {
        let bytes: [u8; 3] = code.as_bytes().try_into().ok()?;
        let i = CURRENCIES
            .binary_search_by_key(&key(&bytes), |(c, _)| key(c.as_bytes()))
            .ok()?;
        let (_, digits) = CURRENCIES.get(i)?;
        Some(Currency {
            code: bytes,
            digits: u8::try_from(*digits).unwrap_or(2),
        })
    }

    /// The known code closest to a mistyped one, for "did you mean".
    pub fn suggest(code: &str) -> Option<&'static str> {
        crate::base::suggest::closest(code, CURRENCIES.iter().map(|(c, _)| *c))
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// The code's three bytes, for readers that compare them in place.
    pub fn code_bytes(&self) -> [u8; 3] {
        self.code
    }

    /// Digits after the decimal point: 2 for USD, 0 for JPY.
    pub fn minor_digits(&self) -> u32 {
        u32::from(self.digits)
    }
}

/// A code as one number, so that looking it up compares integers.
fn key(code: &[u8]) -> u32 {
    code.iter().fold(0, |k, b| (k << 8) | u32::from(*b))
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An exact amount of one currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

/// Why money could not be read or computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("money needs an amount and a currency, such as `500.00 USD`")]
    Shape,
    #[error("`{0}` is not a decimal amount")]
    Amount(String),
    #[error(
        "`{0}` has more digits than a decimal amount can hold (the largest is 79228162514264337593543950335)"
    )]
    TooManyDigits(String),
    #[error("`{0}` is not an ISO 4217 currency code")]
    UnknownCurrency(String),
    #[error("{currency} has {digits} decimal places, but `{amount}` has more")]
    TooPrecise {
        amount: String,
        currency: Currency,
        digits: u32,
    },
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("money arithmetic overflowed: the exact result needs more than 28 significant digits")]
    Overflow,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Money {
        Money { amount, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money::new(Decimal::ZERO, currency)
    }

    /// Reads an amount (`"2500.00"`, `"-3"`) in a known currency, exactly.
    pub fn parse_amount(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let valid = {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
            !whole.is_empty()
                && !fraction.is_empty()
                && whole
                    .bytes()
                    .chain(fraction.bytes())
                    .all(|b| b.is_ascii_digit())
        };
        if !valid {
            return Err(MoneyError::Amount(crate::base::limits::clip(text)));
        }
        // Every character is a digit here, so a failure means too many of them.
        let amount = Decimal::from_str_exact(text)
            .map_err(|_| MoneyError::TooManyDigits(crate::base::limits::clip(text)))?;
        if amount.scale() > currency.minor_digits()
            && amount.normalize().scale() > currency.minor_digits()
        {
            return Err(MoneyError::TooPrecise {
                amount: crate::base::limits::clip(text),
                currency,
                digits: currency.minor_digits(),
            });
        }
        Ok(Money::new(amount, currency))
    }

    /// True for an amount below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = exact_sum(self.amount, other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = exact_sum(self.amount, -other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    pub fn checked_mul(&self, factor: i64) -> Result<Money, MoneyError> {
        self.scaled(Decimal::from(factor))
    }

    /// The amount times `factor` (a rate's), every decimal kept.
    pub fn scaled(&self, factor: Decimal) -> Result<Money, MoneyError> {
        let amount = exact_product(self.amount, factor).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// Compares two amounts of the same currency.
    pub fn checked_cmp(&self, other: &Money) -> Result<Ordering, MoneyError> {
        self.same_currency(other)?;
        Ok(self.amount.cmp(&other.amount))
    }

    /// The amount rounded to the currency's minor digits, as `1500.00`.
    fn fixed(&self) -> String {
        let mut amount = self.amount;
        amount.rescale(self.currency.minor_digits());
        amount.to_string()
    }

    /// `1,500.00 USD`: for people, with thousands separators.
    pub fn display_grouped(&self) -> String {
        let fixed = self.fixed();
        let (sign, digits) = match fixed.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", fixed.as_str()),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits, None),
        };
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        match fraction {
            Some(f) => format!("{sign}{grouped}.{f} {}", self.currency),
            None => format!("{sign}{grouped} {}", self.currency),
        }
    }
}

/// `a + b` when a `Decimal` holds it exactly. `Decimal`'s own sum, when it
/// outgrows 96 bits at the operands' scale, drops decimals and rounds; money
/// may not lose a cent that way, so that is an overflow here.
pub(crate) fn exact_sum(a: Decimal, b: Decimal) -> Option<Decimal> {
    let sum = a.checked_add(b)?;
    if sum.scale() >= a.scale().max(b.scale()) {
        return Some(sum);
    }
    // Exact only if neither operand had a nonzero digit past the sum's
    // scale: then no digit was rounded away.
    let kept = sum.scale();
    (a.round_dp(kept) == a && b.round_dp(kept) == b).then_some(sum)
}

/// `a × b` when a `Decimal` holds it exactly: at most 28 decimals and 96
/// bits once trailing zeros are dropped. `Decimal`'s own product rounds
/// whatever does not fit, which a rate's product must never do.
pub(crate) fn exact_product(a: Decimal, b: Decimal) -> Option<Decimal> {
    let product = a.checked_mul(b)?;
    // At the full scale, nothing was dropped.
    if product.scale() == a.scale() + b.scale() {
        return Some(product);
    }
    // The whole product, in 64-bit limbs (each mantissa is under 2^96).
    let limbs = |m: i128| {
        let m = m.unsigned_abs();
        [m as u64, (m >> 64) as u64]
    };
    let (x, y) = (limbs(a.mantissa()), limbs(b.mantissa()));
    let mut whole = [0u64; 4];
    for (i, xi) in x.iter().enumerate() {
        let mut carry = 0u128;
        for (j, yj) in y.iter().enumerate() {
            let at = whole.get_mut(i + j)?;
            let t = u128::from(*xi) * u128::from(*yj) + u128::from(*at) + carry;
            *at = t as u64;
            carry = t >> 64;
        }
        *whole.get_mut(i + 2)? = carry as u64;
    }
    // Trailing zeros come off while the product is too long or too fine;
    // any other digit would be lost, and the product is refused.
    let mut scale = a.scale() + b.scale();
    let fits = |w: &[u64; 4]| w[2] == 0 && w[3] == 0 && w[1] >> 32 == 0;
    while scale > 28 || !fits(&whole) {
        if scale == 0 {
            return None;
        }
        let mut rest = 0u128;
        let mut quotient = [0u64; 4];
        for (q, w) in quotient.iter_mut().zip(&whole).rev() {
            let t = (rest << 64) | u128::from(*w);
            *q = (t / 10) as u64;
            rest = t % 10;
        }
        if rest != 0 {
            return None;
        }
        whole = quotient;
        scale -= 1;
    }
    let magnitude = i128::from(whole[0]) | (i128::from(whole[1]) << 64);
    let negative = a.is_sign_negative() != b.is_sign_negative();
    Decimal::try_from_i128_with_scale(if negative { -magnitude } else { magnitude }, scale).ok()
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Reads `"2500.00 USD"`: an amount, one space, a currency code.
    fn from_str(text: &str) -> Result<Money, MoneyError> {
        let (amount, code) = text.trim().split_once(' ').ok_or(MoneyError::Shape)?;
        let code = code.trim();
        let currency = Currency::from_code(code)
            .ok_or_else(|| MoneyError::UnknownCurrency(crate::base::limits::clip(code)))?;
        Money::parse_amount(amount.trim(), currency)
    }
}

/// `1500.00 USD`: the stable form used in JSON output.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.fixed(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(text: &str) -> Money {
        format!("{text} USD")
            .parse()
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn currency_table_is_sorted_for_binary_search() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn parses_exact_amounts() {
        assert_eq!(usd("0.10").checked_add(&usd("0.20")), Ok(usd("0.30")));
        assert_eq!(usd("2500").to_string(), "2500.00 USD");
        assert_eq!(usd("-3.5").to_string(), "-3.50 USD");
        assert_eq!(
            "120 JPY".parse::<Money>().map(|m| m.to_string()),
            Ok("120 JPY".into())
        );
    }

    #[test]
    fn rejects_malformed_money() {
        assert_eq!("2500".parse::<Money>(), Err(MoneyError::Shape));
        assert_eq!(
            "2500 usd".parse::<Money>(),
            Err(MoneyError::UnknownCurrency("usd".into()))
        );
        assert_eq!(
            "2,500 USD".parse::<Money>(),
            Err(MoneyError::Amount("2,500".into()))
        );
        assert_eq!(
            "1e3 USD".parse::<Money>(),
            Err(MoneyError::Amount("1e3".into()))
        );
        assert_eq!(
            ".5 USD".parse::<Money>(),
            Err(MoneyError::Amount(".5".into()))
        );
        assert!(matches!(
            "0.001 USD".parse::<Money>(),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert!(matches!(
            "1.5 JPY".parse::<Money>(),
            Err(MoneyError::TooPrecise { .. })
        ));
        let huge = format!("{} USD", "9".repeat(40));
        assert!(matches!(
            huge.parse::<Money>(),
            Err(MoneyError::TooManyDigits(_))
        ));
    }

    #[test]
    fn trailing_zeros_beyond_minor_digits_are_exact() {
        assert_eq!(usd("1.500").to_string(), "1.50 USD");
    }

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn products_are_exact_or_refused() {
        // Within 28 decimals: Decimal's own product.
        assert_eq!(
            exact_product(dec("1001.00"), dec("0.005")),
            Some(dec("5.00500"))
        );
        assert_eq!(
            exact_product(dec("-0.50"), dec("0.25")),
            Some(dec("-0.1250"))
        );
        // 29 decimals that Decimal would round to 0.50: refused.
        assert_eq!(
            exact_product(dec("0.50"), dec("1.0000000000000000000000000001")),
            None
        );
        // 29 decimals whose last is a zero: exact at 28.
        assert_eq!(
            exact_product(dec("0.5"), dec("0.0000000000000000000000000002")),
            Some(dec("0.0000000000000000000000000001"))
        );
        // Past 96 bits with a nonzero last digit: refused; with zeros to
        // spare: exact.
        let big = dec("400000000000000000000000000.01");
        assert_eq!(exact_product(big, dec("2")), None);
        assert_eq!(exact_product(big, dec("0.02")), None);
        assert_eq!(
            exact_product(dec("400000000000000000000000000.00"), dec("2")),
            Some(dec("800000000000000000000000000"))
        );
        assert_eq!(
            exact_product(dec("39614081257132168796771975.10"), dec("2.0")),
            Some(dec("79228162514264337593543950.2"))
        );
        assert_eq!(exact_product(Decimal::MAX, Decimal::MAX), None);
        assert_eq!(exact_product(Decimal::MAX, dec("-1")), Some(Decimal::MIN));
    }

    #[test]
    fn sums_are_exact_or_refused() {
        assert_eq!(exact_sum(dec("1.50"), dec("-0.25")), Some(dec("1.25")));
        // 28 integer digits and cents: the cents do not fit, and are not dropped.
        let near = dec("700000000000000000000000000.02");
        assert_eq!(exact_sum(near, dec("100000000000000000000000000.01")), None);
        // Whole amounts that outgrow the cents' scale are still exact.
        assert_eq!(
            exact_sum(
                dec("700000000000000000000000000.00"),
                dec("100000000000000000000000000.00")
            ),
            Some(dec("800000000000000000000000000"))
        );
    }

    #[test]
    fn arithmetic_is_checked() {
        let max = Money::new(Decimal::MAX, usd("0").currency);
        assert_eq!(max.checked_add(&usd("1")), Err(MoneyError::Overflow));
        assert_eq!(max.checked_mul(2), Err(MoneyError::Overflow));
        assert_eq!(usd("100").checked_mul(12), Ok(usd("1200")));
        let eur: Money = "1 EUR".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            usd("1").checked_add(&eur),
            Err(MoneyError::CurrencyMismatch(..))
        ));
        assert!(matches!(
            usd("1").checked_cmp(&eur),
            Err(MoneyError::CurrencyMismatch(..))
        ));
    }

    #[test]
    fn groups_thousands_for_people() {
        assert_eq!(usd("150000").display_grouped(), "150,000.00 USD");
        assert_eq!(usd("999.5").display_grouped(), "999.50 USD");
        assert_eq!(usd("-1234567.8").display_grouped(), "-1,234,567.80 USD");
    }
}
