//! A JSON scanner for the shape fact documents nearly always have: objects
//! whose keys are the schema's names, strings without escapes, small
//! non-negative integers, `true`, `false` and `null`. Keys are compared as
//! bytes against the known names of their level, strings are borrowed from
//! the line, and values go through the same checks as serde's path
//! ([`Fact`]), so an accepted line gives exactly the facts serde's path
//! gives. Anything else (an escape, a fraction, a negative number, an array,
//! an unknown key, a duplicate key, broken JSON) stops the scan, and the
//! line is read again by serde's path, which reads it or gives up.
//!
//! Every document this scanner accepts is valid JSON: it accepts a subset
//! of the grammar (RFC 8259), on a line checked to be UTF-8, with strings
//! free of control characters.

use serde::de::Visitor as _;

use rust_decimal::Decimal;

use super::{Entry, Fact, FieldInfo, GiveUp, Name, ReadState, SlotReader};
use crate::base::money::{Currency, Money};
use crate::model::ir::Value;
use crate::model::schema::Type;

/// Where the scan is in the line. The line is not checked to be UTF-8 as a
/// whole: every byte the scan accepts is either ASCII, a byte of a schema
/// name matched in place, or inside a string that [`Scan::string`] checks.
struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Skips JSON's whitespace.
    fn space(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// The next byte after whitespace, taken.
    fn next(&mut self) -> Option<u8> {
        self.space();
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    /// A string's text, the opening quote already taken; `None` for one
    /// with an escape or a control character, which serde's path reads.
    #[inline]
    fn string(&mut self) -> Option<&'a str> {
        let start = self.at;
        let rest = self.bytes.get(start..)?;
        let length = string_end(rest)?;
        if rest.get(length) != Some(&b'"') {
            return None;
        }
        self.at = start + length + 1;
        std::str::from_utf8(rest.get(..length)?).ok()
    }

    /// Whether `name` and then a closing quote come next; taken if so. A
    /// name free of `"`, `\` and control characters is the whole string.
    #[inline]
    fn name(&mut self, name: &[u8]) -> bool {
        let end = self.at + name.len();
        match self.bytes.get(self.at..=end) {
            Some(here) if here.last() == Some(&b'"') => {
                let hit = here.get(..name.len()).is_some_and(|h| super::same(h, name));
                if hit {
                    self.at = end + 1;
                }
                hit
            }
            _ => false,
        }
    }

    /// The rest of a literal whose first byte was taken.
    fn literal(&mut self, rest: &[u8]) -> Option<()> {
        let end = self.at + rest.len();
        (self.bytes.get(self.at..end)? == rest).then(|| self.at = end)
    }

    /// A non-negative integer without a leading zero, its first digit
    /// taken; a fraction or exponent after it ends the object wrongly and
    /// so stops the scan.
    fn integer(&mut self, first: u8) -> Option<u64> {
        let mut n = u64::from(first - b'0');
        let mut digits = 1;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            // `0` alone, never `01`; at most 18 digits, so no overflow.
            if n == 0 || digits == 18 {
                return None;
            }
            n = n * 10 + u64::from(b - b'0');
            digits += 1;
            self.at += 1;
        }
        Some(n)
    }
}

/// Where the first `"`, `\` or control character of `bytes` is.
///
/// Eight bytes at a time (a byte-by-byte search was a fifth of a batch
/// run): in a word `x`, `(x - 0x01..) & !x & 0x80..` marks the bytes that
/// are zero, and a borrow can mark a byte wrongly only above a truly
/// marked one, so the lowest mark of each test is exact. A byte below
/// 0x20 is marked the same way from `x - 0x20..`, and a byte of 0x80 or
/// more (inside a UTF-8 sequence, never a quote) is masked out by `!x`.
fn string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().ok()?);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let marks = (quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash
            | x.wrapping_sub(ONES * 0x20) & !x)
            & HIGH;
        if marks != 0 {
            return Some(at + (marks.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| at + i)
}

impl SlotReader {
    /// Reads `line` with the scanner; `None` when it stopped, and `values`
    /// and `state` must be reset before serde's path reads the line.
    pub(super) fn scan(
        &self,
        line: &[u8],
        state: &mut ReadState,
        values: &mut [Option<Value>],
    ) -> Option<()> {
        let mut scan = Scan { bytes: line, at: 0 };
        if scan.next()? != b'{' {
            return None;
        }
        self.object(&mut scan, 0, state, values)?;
        scan.space();
        (scan.at == line.len()).then_some(())
    }

    /// The members of an object at `level`, its `{` taken, to its `}`.
    fn object(
        &self,
        scan: &mut Scan<'_>,
        level: u32,
        state: &mut ReadState,
        values: &mut [Option<Value>],
    ) -> Option<()> {
        let entries = self.levels.get(level as usize)?;
        let mut first = true;
        // Names are sorted, and so are the keys of most documents: the
        // next key is first looked for just after the last one found.
        let mut hint = 0;
        loop {
            match scan.next()? {
                b'}' if first => return Some(()),
                b'"' => {}
                _ => return None,
            }
            first = false;
            let (found, entry) = match key_in_place(scan, entries, hint) {
                Some(found) => found,
                None => (hint, Name::find(entries, scan.string()?)?),
            };
            hint = found + 1;
            let seen = match entry {
                Entry::Field(slot) => slot as usize,
                Entry::Record(_, record) => self.fields.len() + record as usize,
            };
            match state.seen_fields.get_mut(seen) {
                Some(flag) if !*flag => *flag = true,
                _ => return None,
            }
            if scan.next()? != b':' {
                return None;
            }
            match entry {
                Entry::Field(slot) => {
                    let field = self.fields.get(slot as usize)?;
                    let value = value(scan, field)?;
                    *values.get_mut(slot as usize)? = value;
                }
                Entry::Record(inner, record) => match scan.next()? {
                    b'{' => {
                        self.object(scan, inner, state, values)?;
                        *state.present_records.get_mut(record as usize)? = true;
                    }
                    b'n' => scan.literal(b"ull")?,
                    _ => return None,
                },
            }
            match scan.next()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }
}

/// The entry whose name comes next in the line (its opening quote taken),
/// compared in place from `hint` on, wrapping around, and its position;
/// `None` leaves the key to [`Scan::string`] (an escape, an unknown key).
#[inline]
fn key_in_place<T: Copy>(
    scan: &mut Scan<'_>,
    names: &[Name<T>],
    hint: usize,
) -> Option<(usize, T)> {
    // Plain loops: an iterator chain here was not inlined.
    let start = hint.min(names.len());
    let (wrapped, from_hint) = names.split_at(start);
    for (i, n) in from_hint.iter().enumerate() {
        if n.plain && scan.name(n.text.as_bytes()) {
            return Some((start + i, n.what));
        }
    }
    for (i, n) in wrapped.iter().enumerate() {
        if n.plain && scan.name(n.text.as_bytes()) {
            return Some((i, n.what));
        }
    }
    None
}

/// One fact's value, read in place for the usual forms of its type (money
/// as `"1234.50 USD"`, a date as `"2026-01-31"`, an enum member by name);
/// any other form is checked by the same [`Fact`] visitor as serde's path.
fn value(scan: &mut Scan<'_>, field: &FieldInfo) -> Option<Option<Value>> {
    let fact = Fact(field);
    let read = match scan.next()? {
        b'"' => {
            let start = scan.at;
            let usual = match field.ty {
                Type::Money(currency) => money_in_place(scan, currency).map(Value::Money),
                Type::Date => date_in_place(scan),
                Type::Enum(id) => {
                    key_in_place(scan, &field.members, 0).map(|(_, m)| Value::Member(id, m))
                }
                _ => None,
            };
            if let Some(value) = usual {
                return Some(Some(value));
            }
            scan.at = start;
            fact.visit_str::<GiveUp>(scan.string()?)
        }
        b't' => {
            scan.literal(b"rue")?;
            fact.visit_bool::<GiveUp>(true)
        }
        b'f' => {
            scan.literal(b"alse")?;
            fact.visit_bool::<GiveUp>(false)
        }
        b'n' => {
            scan.literal(b"ull")?;
            fact.visit_unit::<GiveUp>()
        }
        first @ b'0'..=b'9' => fact.visit_u64::<GiveUp>(scan.integer(first)?),
        _ => return None,
    };
    read.ok()
}

/// [`super::plain_money`] read straight from the line, its opening quote
/// taken, through its closing quote: the same forms, the same `Money`;
/// `None` (nothing taken) for any other form.
#[inline]
fn money_in_place(scan: &mut Scan<'_>, currency: Currency) -> Option<Money> {
    let bytes = scan.bytes.get(scan.at..)?;
    let mut mantissa: i64 = 0;
    let mut point = None;
    let mut length = 0;
    for &b in bytes.iter().take(18) {
        match b {
            b'0'..=b'9' => mantissa = mantissa * 10 + i64::from(b - b'0'),
            // A digit on each side of the point.
            b'.' if point.is_none() && length > 0 => point = Some(length),
            _ => break,
        }
        length += 1;
    }
    // At most 18 bytes of digits and point, as `plain_money` takes (a
    // 19th is not the space checked below), so no overflow.
    if length == 0 {
        return None;
    }
    let scale = match point {
        Some(p) if p + 1 == length => return None,
        Some(p) => (length - p - 1) as u32,
        None => 0,
    };
    let [a, b, c] = currency.code_bytes();
    if bytes.get(length..length + 5)? != [b' ', a, b, c, b'"'] || scale > currency.minor_digits() {
        return None;
    }
    let amount = Decimal::try_new(mantissa, scale).ok()?;
    scan.at += length + 5;
    Some(Money::new(amount, currency))
}

/// A date written `YYYY-MM-DD` and its closing quote, read as
/// [`super::date`] reads it; `None` (nothing taken) for any other form.
#[inline]
fn date_in_place(scan: &mut Scan<'_>) -> Option<Value> {
    let here = scan.bytes.get(scan.at..scan.at + 11)?;
    if here.last() != Some(&b'"')
        || !here
            .iter()
            .take(10)
            .all(|&b| b.is_ascii_digit() || b == b'-')
    {
        return None;
    }
    let text = std::str::from_utf8(here.get(..10)?).ok()?;
    let date = super::date(text)?;
    scan.at += 11;
    Some(Value::Date(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader() -> (crate::Program, SlotReader) {
        let program = crate::load_dir(std::path::Path::new("policies"))
            .unwrap()
            .program
            .unwrap();
        let reader = SlotReader::new(&program.schema);
        (program, reader)
    }

    fn scanned(reader: &SlotReader, line: &str) -> Option<Vec<Option<Value>>> {
        let mut state = ReadState::default();
        let mut values = Vec::new();
        // `read` sizes the scratch; the scan itself is then run alone.
        let _ = reader.read(line.as_bytes(), &mut state, &mut values);
        values.iter_mut().for_each(|v| *v = None);
        state.seen_fields.iter_mut().for_each(|f| *f = false);
        state.present_records.iter_mut().for_each(|p| *p = false);
        reader.scan(line.as_bytes(), &mut state, &mut values)?;
        Some(values)
    }

    /// The batch's speed rests on the scanner taking the usual line.
    #[test]
    fn a_usual_line_is_scanned_not_left_to_serde() {
        let (_, reader) = reader();
        let line = r#"{"account":{"business_prior_ad_spend":"49.62 USD","created_via":"agency","id":"id-1","policy_violation":false,"segment":"enterprise","status":"suspended","unused_credit":"356.98 USD"},"agency":{"client_spend":"137288.17 USD","id":"id-1","new_client_accounts":1,"partner_status":"none"},"as_of":"2027-01-18","business_center":{"credit_balance":"84.45 USD","credit_source":"partner_agreement","id":"id-0","setup_complete":true},"request":null}"#;
        let mut state = ReadState::default();
        let mut values = Vec::new();
        assert!(reader.read(line.as_bytes(), &mut state, &mut values));
        let scanned = scanned(&reader, line).expect("the scanner reads it");
        // `read` then marks the facts of absent records as absent.
        for (scan, read) in scanned.iter().zip(&values) {
            assert!(scan == read || (scan.is_none() && *read == Some(Value::Absent)));
        }
    }

    /// The word-at-a-time search finds what a byte-by-byte one finds, at
    /// every offset in and after a word, for every byte that stops it.
    #[test]
    fn a_string_ends_where_a_byte_by_byte_search_says() {
        let plain = |b: u8| b != b'"' && b != b'\\' && b >= 0x20;
        for length in 0..24 {
            for stop in 0..=255u8 {
                for at in 0..=length {
                    let mut bytes: Vec<u8> = (0..length).map(|i| b'a' + (i % 26) as u8).collect();
                    // A multi-byte character before the stop, as in `é`.
                    if at >= 2 {
                        bytes[0] = 0xc3;
                        bytes[1] = 0xa9;
                    }
                    if at < length {
                        bytes[at] = stop;
                    }
                    let expected = bytes.iter().position(|&b| !plain(b));
                    assert_eq!(string_end(&bytes), expected, "{bytes:?}");
                }
            }
        }
    }

    /// Money read in place is what `plain_money` reads from the string,
    /// and a form it refuses leaves the scan where it was.
    #[test]
    fn money_in_place_reads_what_plain_money_reads() {
        let usd = crate::base::money::Currency::from_code("USD").unwrap();
        // Every form of `plain_money`'s own test, and two of a 19th byte
        // and a trailing space.
        let forms = super::super::tests::PLAIN_MONEY
            .iter()
            .chain(super::super::tests::NOT_PLAIN_MONEY);
        for text in forms.chain(&["99999999999999999.9 USD", "1 USD "]) {
            let line = format!("{text}\"");
            let mut scan = Scan {
                bytes: line.as_bytes(),
                at: 0,
            };
            let read = money_in_place(&mut scan, usd);
            assert_eq!(read, super::super::plain_money(text, usd), "{text}");
            let scale = read.map(|m| m.amount.scale());
            assert_eq!(
                scale,
                super::super::plain_money(text, usd).map(|m| m.amount.scale())
            );
            let at = if read.is_some() { line.len() } else { 0 };
            assert_eq!(scan.at, at, "{text}");
        }
    }

    /// A key is found in place only when the whole string is the name.
    #[test]
    fn a_key_is_found_in_place_only_whole() {
        let names = [
            Name::new("id", 0u32),
            Name::new("id_x", 1),
            Name::new("a", 2),
        ];
        for (line, hint, found) in [
            ("id\"", 0, Some((0, 0))),
            ("id_x\"", 0, Some((1, 1))),
            ("id_x\"", 2, Some((1, 1))),
            ("a\"", 1, Some((2, 2))),
            ("idx\"", 0, None),
            ("i\\u0064\"", 0, None),
            ("id", 0, None),
        ] {
            let mut scan = Scan {
                bytes: line.as_bytes(),
                at: 0,
            };
            assert_eq!(key_in_place(&mut scan, &names, hint), found, "{line}");
        }
    }

    #[test]
    fn an_escape_or_a_fraction_is_left_to_serde() {
        let (_, reader) = reader();
        for line in [
            r#"{"account":{"id":"a\"b"}}"#,
            r#"{"agency":{"new_client_accounts":3.0}}"#,
            r#"{"agency":{"new_client_accounts":-3}}"#,
        ] {
            assert_eq!(scanned(&reader, line), None, "{line}");
        }
    }
}
