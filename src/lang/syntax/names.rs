//! Human names for grammar rules, so parse errors speak the policy author's
//! language ("a condition") rather than the grammar's (`disjunction`).

use pest::Parser as _;

use super::Rule;

fn name(grammar_rule: &Rule) -> &'static str {
    match grammar_rule {
        Rule::file | Rule::EOI => "the end of the file",
        Rule::schema => "`schema`",
        Rule::decision => "`decision`",
        Rule::keyword => "a keyword",
        Rule::ident => "a name",
        Rule::field_name => "a field name",
        Rule::path => "a field path",
        Rule::record => "a record",
        Rule::attribute => "a field declaration",
        Rule::optional | Rule::optional_type => "`optional`",
        Rule::modifier => "`fixed`, `changeable` or `signed`",
        Rule::scalar_type => "a type (`text`, `bool`, `int`, `date`, `money USD`, `enum { .. }`)",
        Rule::money_type => "`money`",
        Rule::money_default => "`default`",
        Rule::enum_type => "`enum { .. }`",
        Rule::decision_catalog => "`decisions { .. }`",
        Rule::catalog_entry => "a catalog entry (`id: kind`)",
        Rule::kind_name => "a decision kind (`eligibility`, `action`, `classification`, `amount`)",
        Rule::eligibility_kind
        | Rule::action_kind
        | Rule::classification_kind
        | Rule::amount_kind => {
            "a decision kind (`eligibility`, `action`, `classification { .. }`, `amount USD`)"
        }
        Rule::applies => "`applies when`",
        Rule::note => "`note`",
        Rule::rule => "a rule (`allow`/`deny`)",
        Rule::effect => "`allow`/`deny`",
        Rule::guard | Rule::guard_word => "`when`/`unless`",
        Rule::because => "`because \"...\"`",
        Rule::table => "`first { .. }`",
        Rule::row => "a row (`when .. => ..`, `otherwise => ..`)",
        Rule::otherwise => "`otherwise`",
        Rule::expr | Rule::disjunction | Rule::conjunction | Rule::negation => "a condition",
        Rule::not_op => "`not`",
        Rule::comparison => "a comparison",
        Rule::compare_op => "a comparison operator (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
        Rule::in_op => "`in`",
        Rule::range => "a range (`low..high`)",
        Rule::list => "a list (`[a, b]`)",
        Rule::sum | Rule::product => "a value",
        Rule::add_op => "`+`/`-`",
        Rule::call | Rule::call_name => "`min(..)`/`max(..)`",
        Rule::date => "a date (`2026-10-01`)",
        Rule::money => "money (`1500 USD`)",
        Rule::number => "a number",
        Rule::currency => "a currency code (`USD`)",
        Rule::boolean => "`true`/`false`",
        Rule::string | Rule::string_inner => "a string (`\"...\"`)",
        Rule::WHITESPACE | Rule::COMMENT => "a comment",
        Rule::item => "`schema`, `decision`, `condition`, `assert`, `gap`",
        Rule::decision_rest => "a rule, table, `note`, `applies when`",
        Rule::schema_rest => "a field, record or `decisions` block",
        Rule::catalog_rest => "a catalog entry (`id: kind`)",
        Rule::assertion => "`assert`",
        Rule::named_condition => "`condition`",
        Rule::rounding => "`rounding`",
        Rule::window | Rule::window_between | Rule::window_from | Rule::window_until => {
            "an effective window (`effective 2026-10-01..2026-12-31`, `effective from 2027-01-01`)"
        }
        Rule::gap => "`gap`",
        Rule::rounding_mode => {
            "a rounding mode (`half_even`, `half_up`, `half_down`, `up`, `down`, `floor`, `ceiling`)"
        }
        Rule::round_call => "`round(..)`",
        Rule::percent => "a rate (`2.5%`)",
        Rule::claim | Rule::outcome_claim | Rule::monotone_claim | Rule::amount_claim => {
            "a claim (`is OUTCOME`, `is monotone in FIELD`, `== VALUE`)"
        }
        Rule::outcome_word => "an outcome",
        Rule::schema_entry => "a field, record or `decisions` block",
        Rule::fact_type => "a type",
        Rule::decision_kind => "a decision kind",
        Rule::decision_item => "a rule, table, `note` or `applies when`",
        Rule::atom | Rule::literal => "a value",
        Rule::ident_char => "a letter, digit or `_`",
    }
}

/// "a condition, `because` or `}`": each name once, in a stable order.
pub fn expected(rules: &[Rule]) -> String {
    // An effective window may follow many things, and is seldom what was
    // meant: it is named only when nothing else was expected.
    let dated = |r: &&Rule| matches!(r, Rule::window);
    let rules: Vec<Rule> = if rules.iter().all(|r| dated(&r)) {
        rules.to_vec()
    } else {
        rules.iter().filter(|r| !dated(r)).copied().collect()
    };
    let mut names: Vec<&str> = rules.iter().map(name).collect();
    names.sort_unstable();
    names.dedup();
    match names.as_slice() {
        [] => "something else".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A hint for common slips, by the token that was found.
pub fn hint(found: &str, expected: &[Rule]) -> Option<String> {
    let wants_name = expected
        .iter()
        .any(|r| matches!(r, Rule::ident | Rule::field_name | Rule::outcome_word));
    let reserved =
        super::CredoParser::parse(Rule::keyword, found).is_ok_and(|p| p.as_str() == found);
    if wants_name && reserved {
        return Some(format!("`{found}` is a reserved word; choose another name"));
    }
    if found.len() == 3
        && found.chars().all(|c| c.is_ascii_lowercase())
        && expected.contains(&Rule::currency)
    {
        return Some(format!(
            "currency codes are upper case: `{}`",
            found.to_uppercase()
        ));
    }
    match found {
        "\"" => Some("a string is closed with `\"` on the same line".into()),
        "$" | "€" | "£" => {
            Some("write money as an amount and a currency code, such as `500 USD`".into())
        }
        "&&" | "&" => Some("write `and` instead of `&&`".into()),
        "||" | "|" => Some("write `or` instead of `||`".into()),
        "!" => Some("write `not` instead of `!`".into()),
        "=" => Some("compare with `==`".into()),
        "if" => Some("rules are written `deny ID when CONDITION because \"...\"`".into()),
        "else" | "default" => Some("a table's last row is `otherwise => VALUE`".into()),
        _ => None,
    }
}
