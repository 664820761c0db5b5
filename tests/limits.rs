#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Inputs past every limit, generated here (too large to commit), run
//! through the real `credo` binary: each gives a clear error and an exit
//! code, never a crash, a hang or output on stdout. Snapshots clip each
//! line to 160 characters, since some errors quote a 100,000-character line.

mod common;

use std::path::Path;

use tempfile::TempDir;

const SCHEMA: &str = "schema {\n  as_of: date\n  account {\n    spend: money USD\n    launches: int\n    id: text\n  }\n}\n";

/// Runs credo in `dir` and shows what a user sees, each line clipped.
fn run(dir: &Path, args: &[&str], stdin: &[u8]) -> String {
    let run = common::credo_in(dir, args, stdin);
    let code = run.code;
    let stdout = common::redacted(&run.stdout);
    let stderr = run.stderr;
    if code != 0 {
        assert!(stdout.is_empty(), "a failed run wrote to stdout: {stdout}");
    }
    let clip = |text: &str| -> String {
        text.lines()
            .map(|l| {
                let mut chars = l.chars();
                let shown: String = chars.by_ref().take(160).collect();
                if chars.next().is_some() {
                    format!("{shown}[…]\n")
                } else {
                    format!("{shown}\n")
                }
            })
            .collect()
    };
    format!(
        "$ credo {}\nexit code: {code}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        clip(&stdout),
        clip(&stderr)
    )
}

/// A policy set of the small schema and one decision file.
fn policy_set(decisions: &str) -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    std::fs::create_dir(dir.path().join("policies")).expect("mkdir");
    std::fs::write(dir.path().join("policies/schema.credo"), SCHEMA).expect("write");
    std::fs::write(dir.path().join("policies/decisions.credo"), decisions).expect("write");
    dir
}

fn check(decisions: &str) -> String {
    let dir = policy_set(decisions);
    run(dir.path(), &["check"], b"")
}

fn condition_policy(condition: &str) -> String {
    format!("decision d: eligibility {{\n  allow a when {condition} because \"x\"\n}}\n")
}

#[test]
fn policy_with_100000_nested_parentheses() {
    let condition = format!("{}true{}", "(".repeat(100_000), ")".repeat(100_000));
    insta::assert_snapshot!(check(&condition_policy(&condition)));
}

#[test]
fn policy_with_100000_nots() {
    let condition = format!("{}true", "not ".repeat(100_000));
    insta::assert_snapshot!(check(&condition_policy(&condition)));
}

#[test]
fn policy_with_100000_nots_in_parentheses() {
    let condition = format!("{}true{}", "not (".repeat(100_000), ")".repeat(100_000));
    insta::assert_snapshot!(check(&condition_policy(&condition)));
}

#[test]
fn policy_with_100000_additions() {
    let sum = format!("1 USD{}", " + 1 USD".repeat(100_000));
    let policy = format!("decision d: amount USD {{\n  first {{ otherwise => {sum} }}\n}}\n");
    insta::assert_snapshot!(check(&policy));
}

/// Was a stack overflow: each bracket and each chain was within its limit,
/// but 60 brackets of 250 additions built a tree 15,000 levels deep.
#[test]
fn policy_with_additions_nested_in_60_brackets() {
    let mut sum = "1 USD".to_owned();
    for _ in 0..60 {
        sum = format!("({sum}{})", " + 1 USD".repeat(250));
    }
    let policy = format!("decision d: amount USD {{\n  first {{ otherwise => {sum} }}\n}}\n");
    insta::assert_snapshot!(check(&policy));
}

#[test]
fn policy_with_100000_conditions_joined_by_and_is_fine() {
    let condition = format!("true{}", " and true".repeat(100_000));
    insta::assert_snapshot!(check(&condition_policy(&condition)));
}

#[test]
fn policy_with_a_100_mb_string_literal() {
    let policy = format!(
        "decision d: eligibility {{\n  allow a because \"{}\"\n}}\n",
        "x".repeat(100 << 20)
    );
    insta::assert_snapshot!(check(&policy));
}

#[test]
fn policy_with_a_10000_digit_integer() {
    let condition = format!("account.launches > {}", "9".repeat(10_000));
    insta::assert_snapshot!(check(&condition_policy(&condition)));
}

#[test]
fn policy_with_a_10000_digit_amount() {
    let policy = format!(
        "decision d: amount USD {{\n  first {{ otherwise => {} USD }}\n}}\n",
        "9".repeat(10_000)
    );
    insta::assert_snapshot!(check(&policy));
}

#[test]
fn policy_set_of_10000_files() {
    let dir = policy_set("");
    for i in 0..10_000 {
        std::fs::write(
            dir.path().join(format!("policies/d{i:05}.credo")),
            format!("decision d{i}: eligibility {{ allow a because \"x\" }}\n"),
        )
        .expect("write");
    }
    insta::assert_snapshot!(run(dir.path(), &["check"], b""));
}

#[test]
fn policy_set_of_10000_files_checks_with_a_raised_limit() {
    let dir = policy_set("");
    for i in 0..10_000 {
        std::fs::write(
            dir.path().join(format!("policies/d{i:05}.credo")),
            format!("decision d{i}: eligibility {{ allow a because \"x\" }}\n"),
        )
        .expect("write");
    }
    insta::assert_snapshot!(run(
        dir.path(),
        &["check", "--max-policy-files", "20000"],
        b""
    ));
}

/// Evaluates `facts` (written to `facts.EXT`) against the small schema.
fn eval(decisions: &str, name: &str, facts: &[u8], extra: &[&str]) -> String {
    let dir = policy_set(decisions);
    std::fs::write(dir.path().join(name), facts).expect("write facts");
    let mut args = vec!["eval"];
    args.extend(extra);
    args.push(name);
    run(dir.path(), &args, b"")
}

const SPEND: &str = "decision d: amount USD {\n  first { otherwise => account.spend }\n}\n";

#[test]
fn facts_nested_100000_deep_json() {
    let facts = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    insta::assert_snapshot!(eval(SPEND, "facts.json", facts.as_bytes(), &[]));
}

#[test]
fn facts_mappings_nested_100000_deep_json() {
    let facts = format!("{}1{}", "{\"a\": ".repeat(100_000), "}".repeat(100_000));
    insta::assert_snapshot!(eval(SPEND, "facts.json", facts.as_bytes(), &[]));
}

#[test]
fn facts_nested_100000_deep_yaml_flow() {
    let facts = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    insta::assert_snapshot!(eval(SPEND, "facts.yaml", facts.as_bytes(), &[]));
}

#[test]
fn facts_nested_100000_deep_yaml_flow_in_a_value() {
    // Under a key, serde_yaml's scanner took about a minute over 100 KB of
    // `[` before its own limit applied; the depth is found first now.
    let facts = format!("as_of: 2026-11-25\nnote: {}\n", "[".repeat(100_000));
    insta::assert_snapshot!(eval(SPEND, "facts.yaml", facts.as_bytes(), &[]));
}

#[test]
fn facts_with_brackets_in_quotes_and_comments_are_not_nesting() {
    let quoted = "[".repeat(500);
    let facts = format!("as_of: 2026-11-25 # {quoted}\nnote: \"{quoted}\"\nother: '{quoted}'\n");
    insta::assert_snapshot!(eval(SPEND, "facts.yaml", facts.as_bytes(), &[]));
}

#[test]
fn facts_nested_100000_deep_yaml_block() {
    let facts: String = (0..100_000).map(|_| "- ").collect::<String>() + "1\n";
    insta::assert_snapshot!(eval(SPEND, "facts.yaml", facts.as_bytes(), &[]));
}

#[test]
fn facts_with_a_100_mb_string() {
    let facts = format!("account:\n  id: \"{}\"\n", "x".repeat(100 << 20));
    insta::assert_snapshot!(eval(SPEND, "facts.yaml", facts.as_bytes(), &[]));
}

#[test]
fn facts_with_a_100_mb_string_on_stdin() {
    let dir = policy_set(SPEND);
    let facts = format!("{{\"account\": {{\"id\": \"{}\"}}}}", "x".repeat(100 << 20));
    insta::assert_snapshot!(run(dir.path(), &["eval", "-"], facts.as_bytes()));
}

#[test]
fn facts_with_a_2_mb_string_load_with_a_raised_limit() {
    let facts = format!(
        "as_of: 2026-11-25\naccount:\n  spend: \"5.00 USD\"\n  id: \"{}\"\n",
        "x".repeat(2 << 20)
    );
    let dir = policy_set(SPEND);
    std::fs::write(dir.path().join("facts.yaml"), facts).expect("write");
    insta::assert_snapshot!(run(
        dir.path(),
        &["eval", "--max-fact-bytes", "4194304", "facts.yaml"],
        b""
    ));
}

#[test]
fn facts_yaml_alias_bomb() {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut previous = 'a';
    for name in 'b'..='j' {
        let refs = vec![format!("*{previous}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        previous = name;
    }
    insta::assert_snapshot!(eval(SPEND, "facts.yaml", bomb.as_bytes(), &[]));
}

#[test]
fn facts_with_a_10000_digit_integer_yaml() {
    let facts = format!("account:\n  launches: {}\n", "9".repeat(10_000));
    insta::assert_snapshot!(eval(SPEND, "facts.yaml", facts.as_bytes(), &[]));
}

#[test]
fn facts_with_a_10000_digit_integer_json() {
    let facts = format!("{{\"account\": {{\"launches\": {}}}}}", "9".repeat(10_000));
    insta::assert_snapshot!(eval(SPEND, "facts.json", facts.as_bytes(), &[]));
}

#[test]
fn facts_with_a_10000_digit_amount() {
    let facts = format!("account:\n  spend: \"{} USD\"\n", "9".repeat(10_000));
    insta::assert_snapshot!(eval(SPEND, "facts.yaml", facts.as_bytes(), &[]));
}

/// Was a hang: duplicate keys were looked for by scanning every earlier key.
#[test]
fn facts_with_90000_keys() {
    // As many keys as fit in 1 MiB: one-space indentation, short names.
    let keys: String = (0..90_000).map(|i| format!(" k{i}: 0\n")).collect();
    let facts = format!("as_of: 2026-11-25\naccount:\n  spend: \"1.00 USD\"\nextra:\n{keys}");
    insta::assert_snapshot!(eval(SPEND, "facts.yaml", facts.as_bytes(), &[]));
}

#[test]
fn money_arithmetic_that_overflows() {
    let policy =
        "decision d: amount USD {\n  first { otherwise => account.spend + account.spend }\n}\n";
    let facts = "as_of: 2026-11-25\naccount:\n  spend: \"79228162514264337593543950335 USD\"\n";
    insta::assert_snapshot!(eval(policy, "facts.yaml", facts.as_bytes(), &[]));
}

#[test]
fn money_multiplication_that_overflows() {
    let policy =
        "decision d: amount USD {\n  first { otherwise => account.spend * account.launches }\n}\n";
    let facts = "as_of: 2026-11-25\naccount:\n  spend: \"1000000000000000000000.00 USD\"\n  launches: 9223372036854775807\n";
    insta::assert_snapshot!(eval(policy, "facts.yaml", facts.as_bytes(), &[]));
}

#[test]
fn integer_arithmetic_that_overflows() {
    let policy = condition_policy("account.launches + 1 > 0");
    let facts = "as_of: 2026-11-25\naccount:\n  launches: 9223372036854775807\n";
    insta::assert_snapshot!(eval(&policy, "facts.yaml", facts.as_bytes(), &[]));
}

#[test]
fn money_fact_beyond_the_largest_amount() {
    let facts = "account:\n  spend: \"79228162514264337593543950336 USD\"\n";
    insta::assert_snapshot!(eval(SPEND, "facts.yaml", facts.as_bytes(), &[]));
}

#[test]
fn fact_limit_lowered_below_an_ordinary_document() {
    let facts = "as_of: 2026-11-25\naccount:\n  spend: \"5.00 USD\"\n";
    insta::assert_snapshot!(eval(
        SPEND,
        "facts.yaml",
        facts.as_bytes(),
        &["--max-fact-bytes", "16"]
    ));
}

#[test]
fn policy_limit_lowered_below_a_policy_file() {
    let padding = "# a long comment\n".repeat(20);
    let dir = policy_set(&format!("{padding}{SPEND}"));
    insta::assert_snapshot!(run(
        dir.path(),
        &["check", "--max-policy-bytes", "200"],
        b""
    ));
}

/// Was a denial of service: every error quoted the same 70 KB line, so
/// 5,000 errors printed 700 MB. Now 100 are shown, long lines are not quoted.
#[test]
fn policy_with_5000_errors_on_one_line() {
    let condition = vec!["account.spnd > 0 USD"; 5000].join(" and ");
    let shown = check(&condition_policy(&condition));
    assert!(shown.len() < 50_000, "{} bytes of errors", shown.len());
    insta::assert_snapshot!(shown);
}
