//! Deterministic synthetic inputs for benchmarks and tests: fact documents
//! for the accounts of any schema, and policy sets of any size. The same seed
//! gives the same bytes on every machine; nothing here reads a clock.

use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::{Days, NaiveDate};
use serde_json::{Map, Value as Json};

use crate::model::schema::{Field, Schema, Type};

/// A small, fast, seeded generator (SplitMix64); not for anything secret.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True `permille` times in a thousand.
    pub fn chance(&mut self, permille: u32) -> bool {
        self.below(1000) < u64::from(permille)
    }
}

/// How realistic or rough generated facts are.
#[derive(Debug, Clone, Copy)]
pub struct FactOptions {
    /// Chance, per thousand, that a fact that may not be left out is left
    /// out anyway (unknown), which exercises undetermined answers.
    pub unknown_permille: u32,
    /// Chance, per thousand, that a line is spoiled (a bad member, a float
    /// for money, broken JSON), which exercises error records.
    pub bad_permille: u32,
}

impl Default for FactOptions {
    fn default() -> FactOptions {
        FactOptions {
            unknown_permille: 20,
            bad_permille: 0,
        }
    }
}

/// Writes `accounts` fact documents for `schema`, one JSON object a line.
pub fn write_fact_lines(
    schema: &Schema,
    accounts: u64,
    seed: u64,
    options: FactOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut rng = Rng::new(seed);
    for _ in 0..accounts {
        let line = fact_line(schema, &mut rng, options);
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// One account's facts as a JSON line (without the newline).
pub fn fact_line(schema: &Schema, rng: &mut Rng, options: FactOptions) -> String {
    let absent_records: Vec<&str> = schema
        .records
        .iter()
        .filter(|(_, optional)| **optional)
        .filter(|_| rng.chance(300))
        .map(|(path, _)| path.as_str())
        .collect();
    let mut root = Map::new();
    let spoilt = rng
        .chance(options.bad_permille)
        .then(|| rng.below(schema.fields.len() as u64 + 1));
    for (i, field) in schema.fields.iter().enumerate() {
        if field
            .optional_record
            .as_deref()
            .is_some_and(|r| absent_records.contains(&r))
        {
            continue;
        }
        let left_out = if field.optional {
            rng.chance(300)
        } else {
            rng.chance(options.unknown_permille)
        };
        if left_out {
            continue;
        }
        let value = if spoilt == Some(i as u64) {
            // No field takes a float: money written as one is the usual slip.
            Json::from(1.5)
        } else {
            value(schema, field, rng)
        };
        insert(&mut root, &field.path, value);
    }
    let line = Json::Object(root).to_string();
    if spoilt == Some(schema.fields.len() as u64) {
        // A line cut short, as by an interrupted writer.
        return line.get(..line.len() / 2).unwrap_or("").to_owned();
    }
    line
}

fn insert(map: &mut Map<String, Json>, path: &str, value: Json) {
    match path.split_once('.') {
        None => {
            map.insert(path.to_owned(), value);
        }
        Some((record, rest)) => {
            let entry = map
                .entry(record.to_owned())
                .or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

fn value(schema: &Schema, field: &Field, rng: &mut Rng) -> Json {
    match field.ty {
        // A small pool, so that two ids (a link and the linked thing) often agree.
        Type::Text => Json::String(format!("id-{}", rng.below(4))),
        Type::Bool => Json::Bool(rng.chance(500)),
        Type::Int => Json::from(rng.below(16)),
        Type::Date => Json::String(date(rng).format("%Y-%m-%d").to_string()),
        Type::Money(currency) => {
            let digits = currency.minor_digits();
            let magnitude = 2 + rng.below(5) as u32;
            let whole = rng.below(10u64.pow(magnitude));
            let mut text = whole.to_string();
            if digits > 0 {
                let cents = rng.below(10u64.pow(digits));
                let _ = write!(text, ".{cents:0width$}", width = digits as usize);
            }
            Json::String(format!("{text} {currency}"))
        }
        Type::Enum(id) => {
            let members = schema.enum_type(id).map_or(&[][..], |e| &e.members[..]);
            let pick = rng.below(members.len() as u64) as usize;
            Json::String(members.get(pick).cloned().unwrap_or_default())
        }
    }
}

/// A day in 2026 or early 2027.
fn date(rng: &mut Rng) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    start
        .checked_add_days(Days::new(rng.below(400)))
        .unwrap_or(start)
}

/// The files of a synthetic policy set: a schema and `decisions` decisions of
/// every kind, `rules` rules or table rows each, 100 decisions to a file.
pub fn policy_set(decisions: usize, rules: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed);
    let rules = rules.max(3);
    let mut files = vec![("schema.credo".to_owned(), synthetic_schema(decisions))];
    let mut text = String::new();
    for d in 0..decisions {
        decision(&mut text, d, rules, &mut rng);
        if d % 100 == 99 || d + 1 == decisions {
            files.push((format!("p{:05}.credo", d / 100), std::mem::take(&mut text)));
        }
    }
    files
}

const KINDS: [&str; 4] = ["eligibility", "action", "classification", "amount"];

fn synthetic_schema(decisions: usize) -> String {
    let mut s = String::from("schema {\n  as_of: date\n");
    for record in ["a", "b"] {
        let _ = writeln!(s, "  {record} {{");
        s.push_str("    e1: enum { x0, x1, x2, x3, x4, x5, x6, x7 }\n");
        s.push_str("    e2: enum { y0, y1, y2 } changeable\n");
        s.push_str("    m1: money USD\n    m2: money USD changeable\n");
        s.push_str("    n1: int\n    n2: int changeable\n");
        s.push_str("    f1: bool\n    f2: bool\n    d1: date\n");
        s.push_str("    t1: text fixed\n    t2: optional text\n  }\n");
    }
    s.push_str("  optional r {\n    kind: enum { k0, k1, k2, k3 }\n    amount: money USD\n  }\n");
    s.push_str("  decisions {\n");
    for d in 0..decisions {
        let _ = writeln!(s, "    d{d}: {}", KINDS[d % 4]);
    }
    s.push_str("  }\n}\n");
    s
}

fn decision(out: &mut String, d: usize, rules: usize, rng: &mut Rng) {
    match d % 4 {
        0 => {
            let _ = writeln!(out, "decision d{d}: eligibility {{");
            for r in 0..rules {
                let effect = if r % 3 == 2 { "allow" } else { "deny" };
                let guard = if rng.chance(200) { "unless" } else { "when" };
                let _ = writeln!(
                    out,
                    "  {effect} r{r} {guard} {} because \"synthetic rule {r} of d{d}\"",
                    condition(rng, 2)
                );
            }
        }
        1 => {
            let _ = writeln!(
                out,
                "decision d{d}: action {{\n  applies when r.kind == k{}\n  note \"synthetic note\"",
                d % 4
            );
            for r in 0..rules - 1 {
                let _ = writeln!(
                    out,
                    "  deny r{r} when {} because \"synthetic rule {r} of d{d}\"",
                    condition(rng, 2)
                );
            }
            let _ = writeln!(out, "  allow granted because \"synthetic grant of d{d}\"");
        }
        2 => {
            let _ = writeln!(
                out,
                "decision d{d}: classification {{ c0, c1, c2, c3 }} {{\n  first {{"
            );
            for r in 0..rules - 1 {
                let _ = writeln!(
                    out,
                    "    when {} => c{} because \"synthetic row {r} of d{d}\"",
                    condition(rng, 2),
                    rng.below(4)
                );
            }
            let _ = writeln!(
                out,
                "    otherwise => c0 because \"no row of d{d} held\"\n  }}"
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "decision d{d}: amount USD {{\n  deny gate unless {} because \"synthetic gate of d{d}\"\n  first {{",
                condition(rng, 1)
            );
            for r in 0..rules - 2 {
                let amount = 50 * (1 + rng.below(100));
                let value = if rng.chance(300) {
                    format!("min(a.m1, {amount} USD)")
                } else {
                    format!("{amount} USD")
                };
                let _ = writeln!(
                    out,
                    "    when {} => {value} because \"synthetic row {r} of d{d}\"",
                    condition(rng, 2)
                );
            }
            let _ = writeln!(
                out,
                "    otherwise => 0 USD because \"no row of d{d} held\"\n  }}"
            );
        }
    }
    out.push_str("}\n\n");
}

/// A random condition over the synthetic schema, `depth` levels of and/or deep.
fn condition(rng: &mut Rng, depth: u32) -> String {
    if depth > 0 && rng.chance(350) {
        let op = if rng.chance(500) { "and" } else { "or" };
        return format!(
            "({} {op} {})",
            condition(rng, depth - 1),
            condition(rng, depth - 1)
        );
    }
    let record = if rng.chance(500) { "a" } else { "b" };
    match rng.below(9) {
        0 => format!("{record}.e1 == x{}", rng.below(8)),
        1 => format!("{record}.e1 in [x{}, x{}]", rng.below(8), 4 + rng.below(4)),
        2 => format!("{record}.e2 != y{}", rng.below(3)),
        3 => format!("{record}.m1 >= {} USD", 100 * rng.below(2000)),
        4 => format!("{record}.m1 + {record}.m2 > {} USD", 100 * rng.below(2000)),
        5 => format!("{record}.n1 > {}", rng.below(16)),
        6 => format!("not {record}.f{}", 1 + rng.below(2)),
        7 => "as_of in 2026-10-01..2026-12-31".to_owned(),
        _ => format!("{record}.t2 == b.t1"),
    }
}
