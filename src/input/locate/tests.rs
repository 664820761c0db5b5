//! The locator's cases: YAML blocks and flow, JSON, and the fallbacks.

use super::*;

fn shown(text: &str, format: Format, path: &str) -> (String, bool) {
    let p = field(text, format, path);
    (text[p.start..p.end].to_owned(), p.exact)
}

const FACTS: &str = "# an account\nas_of: 2026-11-25\naccount:\n  id: adv-1\n  created_via: ads_manger   \n  spend:\n    total: \"10 USD\"\nagency:\n  id: ag-9\n";

#[test]
fn a_yaml_field_is_its_key_and_value() {
    assert_eq!(
        shown(FACTS, Format::Yaml, "account.created_via"),
        ("created_via: ads_manger".into(), true)
    );
    assert_eq!(
        shown(FACTS, Format::Yaml, "as_of"),
        ("as_of: 2026-11-25".into(), true)
    );
    assert_eq!(
        shown(FACTS, Format::Yaml, "account.spend.total"),
        ("total: \"10 USD\"".into(), true)
    );
    assert_eq!(
        shown(FACTS, Format::Yaml, "agency"),
        ("agency:".into(), true)
    );
    let p = field(FACTS, Format::Yaml, "account.created_via");
    assert_eq!(
        p.value.and_then(|v| FACTS.get(v..p.end)),
        Some("ads_manger")
    );
    assert_eq!(field(FACTS, Format::Yaml, "account").value, None);
}

#[test]
fn a_missing_field_points_at_its_section_or_the_start() {
    assert_eq!(
        shown(FACTS, Format::Yaml, "account.segment"),
        ("account:".into(), false)
    );
    assert_eq!(
        shown(FACTS, Format::Yaml, "nothing.here"),
        ("as_of: 2026-11-25".into(), false)
    );
    // Past a scalar there is nothing to follow.
    assert_eq!(
        shown(FACTS, Format::Yaml, "as_of.x"),
        ("as_of: 2026-11-25".into(), false)
    );
    assert_eq!(
        shown(FACTS, Format::Yaml, ""),
        ("as_of: 2026-11-25".into(), false)
    );
    assert_eq!(
        shown("# only\n", Format::Yaml, ""),
        ("# only".into(), false)
    );
}

#[test]
fn yaml_list_items_are_counted_at_their_indentation() {
    let tests = "cases:\n- name: one\n  expect:\n    a: yes\n- name: two\n  facts: x.yaml\n  expect:\n    credit_track: no\n";
    assert_eq!(
        shown(tests, Format::Yaml, "cases[1].expect.credit_track"),
        ("credit_track: no".into(), true)
    );
    assert_eq!(
        shown(tests, Format::Yaml, "cases[1].name"),
        ("name: two".into(), true)
    );
    assert_eq!(
        shown(tests, Format::Yaml, "cases[0].facts"),
        ("- name: one".into(), false)
    );
    let indented = "cases:\n  - name: one\n    facts: a.yaml\n  - \"name\": two\n";
    assert_eq!(
        shown(indented, Format::Yaml, "cases[1].name"),
        ("\"name\": two".into(), true)
    );
    assert_eq!(
        shown(indented, Format::Yaml, "cases[0].facts"),
        ("facts: a.yaml".into(), true)
    );
    assert_eq!(
        shown(indented, Format::Yaml, "cases[5]"),
        ("cases:".into(), false)
    );
}

#[test]
fn a_json_field_is_its_key_and_value() {
    let text = "{\"as_of\": \"2026-11-25\", \"account\": {\"id\": \"a\", \"created_via\": 12, \"tags\": [1, {\"x\": true}]}}";
    assert_eq!(
        shown(text, Format::Json, "account.created_via"),
        ("\"created_via\": 12".into(), true)
    );
    assert_eq!(
        shown(text, Format::Json, "account.tags[1].x"),
        ("\"x\": true".into(), true)
    );
    assert_eq!(
        shown(text, Format::Json, "account"),
        ("\"account\"".into(), true)
    );
    let p = field(text, Format::Json, "account.created_via");
    assert_eq!(p.value.and_then(|v| text.get(v..p.end)), Some("12"));
    assert_eq!(field(text, Format::Json, "account").value, None);
    assert_eq!(
        shown(text, Format::Json, "account.segment"),
        ("\"account\"".into(), false)
    );
    assert_eq!(
        shown(text, Format::Json, "as_of"),
        ("\"as_of\": \"2026-11-25\"".into(), true)
    );
    let escaped = "{\"a\\u0062\": {\"c\": \"d,}\"}, \"e\": 1}";
    assert_eq!(
        shown(escaped, Format::Json, "ab.c"),
        ("\"c\": \"d,}\"".into(), true)
    );
    assert_eq!(shown(escaped, Format::Json, "e"), ("\"e\": 1".into(), true));
}

#[test]
fn a_flow_value_in_block_yaml_is_followed() {
    let text = "cases:\n  - name: a\n    expect:\n      bonus: {outcome: \"50 USD\", by: row 3, missing: [x, y]}\n";
    assert_eq!(
        shown(text, Format::Yaml, "cases[0].expect.bonus.by"),
        ("by: row 3".into(), true)
    );
    assert_eq!(
        shown(text, Format::Yaml, "cases[0].expect.bonus.missing[1]"),
        ("y".into(), true)
    );
    assert_eq!(
        shown(text, Format::Yaml, "cases[0].expect.bonus.outcome"),
        ("outcome: \"50 USD\"".into(), true)
    );
    // Not in the flow mapping: the key that holds it.
    assert_eq!(
        shown(text, Format::Yaml, "cases[0].expect.bonus.nothing"),
        (
            "bonus: {outcome: \"50 USD\", by: row 3, missing: [x, y]}".into(),
            false
        )
    );
}

#[test]
fn flow_yaml_is_followed_like_json() {
    let text = "{account: {created_via: 12}}\n";
    assert_eq!(
        shown(text, Format::Yaml, "account.created_via"),
        ("created_via: 12".into(), true)
    );
}

#[test]
fn line_ends_and_a_byte_order_mark_keep_offsets_true() {
    let crlf = "\u{feff}as_of: x\r\naccount:\r\n  segment: SMB\r\n";
    assert_eq!(
        shown(crlf, Format::Yaml, "account.segment"),
        ("segment: SMB".into(), true)
    );
    assert_eq!(
        shown(crlf, Format::Yaml, "as_of"),
        ("as_of: x".into(), true)
    );
    let json = "\u{feff}{\r\n  \"a\": {\r\n    \"b\": 1\r\n  }\r\n}\r\n";
    assert_eq!(shown(json, Format::Json, "a.b"), ("\"b\": 1".into(), true));
    assert_eq!(offset(crlf, 2, 1), crlf.find("account").unwrap_or_default());
}

#[test]
fn paths_and_offsets() {
    assert_eq!(
        steps("cases[3].expect.x"),
        vec![
            Step::Key("cases"),
            Step::Item(3),
            Step::Key("expect"),
            Step::Key("x")
        ]
    );
    assert_eq!(
        steps("a[1][2]"),
        vec![Step::Key("a"), Step::Item(1), Step::Item(2)]
    );
    assert_eq!(offset("ab\nçd\n", 2, 2), 5);
    assert_eq!(offset("ab\n", 9, 1), 3);
}
