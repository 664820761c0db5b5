//! Proptest strategies for well-typed policies and fact documents over
//! [`SCHEMA`], a schema with every type, optional facts and an optional record.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use credo::input::doc::Doc;

/// The schema every generated policy is written against.
pub const SCHEMA: &str = r#"
schema {
  as_of: date
  limit: int
  account {
    kind: enum { smb, enterprise, agency }
    verified: bool
    spend: money USD
    budget: money USD default
    launches: int
    opened: date
    region: text
    partner: optional text
    cap: optional money USD
    seats: optional int
    trusted: optional bool
  }
  optional request {
    action: enum { grant, revoke }
    amount: money USD
    count: int
    day: date
  }
}
"#;

fn pick(items: &[&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(items.to_vec())
        .prop_map(str::to_owned)
        .boxed()
}

/// An integer expression.
pub fn int(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        4 => pick(&["limit", "account.launches", "account.seats", "request.count"]),
        3 => pick(&["0", "1", "2", "5", "100", "-3", "9223372036854775807"]),
    ]
    .boxed();
    if depth == 0 {
        return leaf;
    }
    let sub = || int(depth - 1);
    prop_oneof![
        3 => leaf,
        1 => (sub(), pick(&["+", "-", "*"]), sub()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
        1 => (pick(&["min", "max"]), proptest::collection::vec(sub(), 1..4))
            .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
    ]
    .boxed()
}

/// A money expression in USD.
pub fn money(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        4 => pick(&["account.spend", "account.budget", "account.cap", "request.amount"]),
        3 => pick(&[
            "0 USD",
            "5 USD",
            "12.50 USD",
            "100 USD",
            "0.01 USD",
            "79228162514264337593543950335 USD",
        ]),
    ]
    .boxed();
    if depth == 0 {
        return leaf;
    }
    let sub = || money(depth - 1);
    prop_oneof![
        3 => leaf,
        1 => (sub(), pick(&["+", "-"]), sub()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
        1 => (sub(), int(depth - 1)).prop_map(|(m, n)| format!("({m} * {n})")),
        1 => (int(depth - 1), sub()).prop_map(|(n, m)| format!("({n} * {m})")),
        1 => (pick(&["min", "max"]), proptest::collection::vec(sub(), 1..4))
            .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
        1 => (sub(), pick(&["2.5%", "0.5%", "150%", "-10%", "0.333", "1000000%"]), sub(), rounding())
            .prop_map(|(m, r, n, mode)| format!("round({m} * {r} + {n}, {mode})")),
    ]
    .boxed()
}

fn rounding() -> BoxedStrategy<String> {
    pick(&[
        "half_even",
        "half_up",
        "half_down",
        "up",
        "down",
        "floor",
        "ceiling",
    ])
}

fn date() -> BoxedStrategy<String> {
    pick(&[
        "as_of",
        "account.opened",
        "request.day",
        "2026-01-01",
        "2026-11-25",
        "2026-12-31",
    ])
}

fn text() -> BoxedStrategy<String> {
    pick(&[
        "account.region",
        "account.partner",
        "\"eu\"",
        "\"us\"",
        "\"\"",
    ])
}

/// The leaves [`policy_with_names`] adds: its named conditions and uses of
/// its two decisions' outcomes.
const NAMED: &[&str] = &[
    "c1",
    "c2",
    "d0 == mid",
    "d0 != low",
    "mid == d0",
    "d0 in [low, high]",
    "d9 > 10 USD",
    "d9 == 0 USD",
];

/// A condition.
pub fn condition(depth: u32) -> BoxedStrategy<String> {
    condition_with(depth, &[])
}

/// A condition whose leaves may also be the names in `names`.
fn condition_with(depth: u32, names: &'static [&'static str]) -> BoxedStrategy<String> {
    let base = pick(&[
        "account.verified",
        "account.trusted",
        "true",
        "false",
        "account.kind == smb",
        "request.action == grant",
        "account.partner == \"p1\"",
    ]);
    let leaf = if names.is_empty() {
        base
    } else {
        prop_oneof![base, pick(names)].boxed()
    };
    if depth == 0 {
        return leaf;
    }
    let d = depth - 1;
    let order = || pick(&["==", "!=", "<", "<=", ">", ">="]);
    let negated = || pick(&["in", "not in"]);
    prop_oneof![
        2 => leaf,
        2 => (int(d), order(), int(d)).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        2 => (money(d), order(), money(d)).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        1 => (date(), order(), date()).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        1 => (pick(&["account.kind", "smb"]), pick(&["==", "!="]), pick(&["smb", "agency", "account.kind"]))
            .prop_filter("one side is a field", |(a, _, b)| a.contains('.') || b.contains('.'))
            .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        1 => (text(), pick(&["==", "!="]), text()).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        1 => (negated(), proptest::sample::subsequence(vec!["smb", "enterprise", "agency"], 0..4))
            .prop_map(|(op, set)| format!("account.kind {op} [{}]", set.join(", "))),
        1 => (int(d), negated(), proptest::collection::vec(int(0), 0..4))
            .prop_map(|(v, op, set)| format!("{v} {op} [{}]", set.join(", "))),
        1 => (text(), negated(), proptest::collection::vec(text(), 0..3))
            .prop_map(|(v, op, set)| format!("{v} {op} [{}]", set.join(", "))),
        1 => (int(d), negated(), int(d), int(d)).prop_map(|(v, op, l, h)| format!("{v} {op} {l} .. {h}")),
        1 => (money(d), negated(), money(d), money(d)).prop_map(|(v, op, l, h)| format!("{v} {op} {l} .. {h}")),
        1 => (date(), negated(), date(), date()).prop_map(|(v, op, l, h)| format!("{v} {op} {l} .. {h}")),
        2 => condition_with(d, names).prop_map(|c| format!("not ({c})")),
        2 => (pick(&["and", "or"]), proptest::collection::vec(condition_with(d, names), 2..4))
            .prop_map(|(op, cs)| format!("({})", cs.join(&format!(" {op} ")))),
    ]
    .boxed()
}

fn guard(names: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        3 => (pick(&["when", "unless"]), condition_with(2, names)).prop_map(|(w, c)| format!(" {w} {c}")),
        1 => Just(String::new()),
    ]
    .boxed()
}

/// `allow`/`deny` rules with unique ids.
fn rules(
    effects: &'static [&'static str],
    max: usize,
    names: &'static [&'static str],
) -> BoxedStrategy<String> {
    proptest::collection::vec((pick(effects), guard(names)), 0..=max)
        .prop_map(|rules| {
            rules
                .iter()
                .enumerate()
                .map(|(i, (effect, guard))| {
                    // Values in messages: a money, a member, an optional text, a brace.
                    format!("  {effect} r{i}{guard} because \"rule {i} {{account.spend}} {{account.kind}} {{account.partner}} {{{{x}}}}\"\n")
                })
                .collect()
        })
        .boxed()
}

/// A `first { .. }` table whose values come from `value`.
fn table(value: BoxedStrategy<String>, names: &'static [&'static str]) -> BoxedStrategy<String> {
    let because = || prop_oneof![Just(String::new()), Just(" because \"row\"".to_owned())];
    (
        proptest::collection::vec((condition_with(2, names), value.clone(), because()), 0..4),
        value,
        because(),
    )
        .prop_map(|(rows, last, last_because)| {
            let mut out = String::from("  first {\n");
            for (c, v, b) in rows {
                out.push_str(&format!("    when {c} => {v}{b}\n"));
            }
            out.push_str(&format!("    otherwise => {last}{last_because}\n  }}\n"));
            out
        })
        .boxed()
}

/// One decision named `id`, of any kind.
fn decision(id: usize) -> BoxedStrategy<String> {
    decision_with(id, &[])
}

/// One decision named `id`, of any kind, whose conditions may use `names`.
fn decision_with(id: usize, names: &'static [&'static str]) -> BoxedStrategy<String> {
    let notes = || {
        prop_oneof![
            3 => Just(String::new()),
            1 => Just("  note \"a note\"\n".to_owned()),
        ]
    };
    prop_oneof![
        (notes(), rules(&["allow", "deny"], 4, names))
            .prop_map(move |(n, r)| { format!("decision d{id}: eligibility {{\n{n}{r}}}\n") }),
        (
            prop_oneof![
                Just(String::new()),
                condition_with(1, names).prop_map(|c| format!("  applies when {c}\n"))
            ],
            notes(),
            rules(&["allow", "deny"], 4, names)
        )
            .prop_map(move |(a, n, r)| format!("decision d{id}: action {{\n{a}{n}{r}}}\n")),
        table(pick(&["low", "mid", "high"]), names).prop_map(move |t| {
            format!("decision d{id}: classification {{ low, mid, high }} {{\n{t}}}\n")
        }),
        (rules(&["deny"], 2, names), table(money(1), names))
            .prop_map(move |(r, t)| { format!("decision d{id}: amount USD {{\n{r}{t}}}\n") }),
        // The decision's `rounding` rounds each product of a rate.
        (
            rounding(),
            rules(&["deny"], 1, names),
            table(money(0).prop_map(|m| format!("{m} * 12.5%")).boxed(), names)
        )
            .prop_map(move |(mode, r, t)| {
                format!("decision d{id}: amount USD {{\n  rounding {mode}\n{r}{t}}}\n")
            }),
    ]
    .boxed()
}

/// A policy set that uses names: two named conditions (the second using the
/// first), a classification `d0` and an amount `d9`, and one or two decisions
/// whose conditions use any of them.
pub fn policy_with_names() -> BoxedStrategy<String> {
    (
        condition(2),
        condition(1),
        table(pick(&["low", "mid", "high"]), &[]),
        (rules(&["deny"], 2, &[]), table(money(1), &[])),
        decision_with(1, NAMED),
        proptest::option::of(decision_with(2, NAMED)),
    )
        .prop_map(|(c1, c2, t0, (r9, t9), d1, d2)| {
            format!(
                "condition c1 = {c1}\ncondition c2 = {c2} and c1\n\
                 decision d0: classification {{ low, mid, high }} {{\n{t0}}}\n\
                 decision d9: amount USD {{\n{r9}{t9}}}\n{d1}{}",
                d2.unwrap_or_default()
            )
        })
        .boxed()
}

/// A policy file of one to three decisions.
pub fn policy() -> BoxedStrategy<String> {
    (
        decision(1),
        proptest::option::of(decision(2)),
        proptest::option::of(decision(3)),
    )
        .prop_map(|(a, b, c)| [Some(a), b, c].into_iter().flatten().collect::<String>())
        .boxed()
}

fn s(text: &str) -> Doc {
    Doc::String(text.to_owned())
}

/// A field's value: not given, `null`, or one of a few telling values.
fn field(name: &'static str, values: Vec<Doc>) -> BoxedStrategy<Option<(String, Doc)>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some((name.to_owned(), Doc::Null))),
        6 => proptest::sample::select(values).prop_map(move |v| Some((name.to_owned(), v))),
    ]
    .boxed()
}

fn record(fields: Vec<BoxedStrategy<Option<(String, Doc)>>>) -> BoxedStrategy<Doc> {
    fields
        .prop_map(|entries| Doc::Map(entries.into_iter().flatten().collect()))
        .boxed()
}

fn ints() -> Vec<Doc> {
    [0, 1, 2, 5, 100, 9_223_372_036_854_775_807]
        .into_iter()
        .map(Doc::Int)
        .collect()
}

fn moneys() -> Vec<Doc> {
    [
        "0.00 USD",
        "5 USD",
        "12.50 USD",
        "100.00 USD",
        "79228162514264337593543950335 USD",
    ]
    .into_iter()
    .map(s)
    .collect()
}

fn dates() -> Vec<Doc> {
    ["2026-01-01", "2026-11-25", "2026-12-31"]
        .into_iter()
        .map(s)
        .collect()
}

/// A fact document for [`SCHEMA`].
pub fn facts() -> BoxedStrategy<Doc> {
    let account = record(vec![
        field("kind", vec![s("smb"), s("enterprise"), s("agency")]),
        field("verified", vec![Doc::Bool(true), Doc::Bool(false)]),
        field("spend", moneys()),
        field("budget", [moneys(), vec![Doc::Int(7)]].concat()),
        field("launches", ints()),
        field("opened", dates()),
        field("region", vec![s("eu"), s("us"), s("")]),
        field("partner", vec![s("p1"), s("p2")]),
        field("cap", moneys()),
        field("seats", ints()),
        field("trusted", vec![Doc::Bool(true), Doc::Bool(false)]),
    ]);
    let request = record(vec![
        field("action", vec![s("grant"), s("revoke")]),
        field("amount", moneys()),
        field("count", ints()),
        field("day", dates()),
    ]);
    (
        field("limit", ints()),
        proptest::option::of(account),
        prop_oneof![
            2 => Just(None),
            1 => Just(Some(Doc::Null)),
            4 => request.prop_map(Some),
        ],
    )
        .prop_map(|(limit, account, request)| {
            let mut entries: Vec<(String, Doc)> = limit.into_iter().collect();
            if let Some(a) = account {
                entries.push(("account".into(), a));
            }
            if let Some(r) = request {
                entries.push(("request".into(), r));
            }
            Doc::Map(entries)
        })
        .boxed()
}
