#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo explain` on the shipped policies: each `tests/cases/explain/NAME.args`
//! names an example fact file and the decisions to trace (`--decision ID`),
//! and the text and JSON explanations are snapshotted.

mod common;

use std::path::Path;

use credo::engine::eval::Request;
use credo::engine::outcome::AsOfSource;
use credo::input::facts::{self, Format};
use credo::tools::explain;

#[test]
fn explain_cases() {
    let checked = credo::load_dir(Path::new("policies")).expect("policies/ is readable");
    let program = checked.program.expect("the shipped policies compile");
    insta::glob!("cases/explain", "*.args", |path| {
        let spec = std::fs::read_to_string(path).expect("case is readable");
        let mut words = spec.split_whitespace();
        let facts_path = Path::new(words.next().expect("a fact file"));
        let decisions: Vec<String> = words
            .filter(|w| *w != "--decision")
            .map(str::to_owned)
            .collect();
        let text = std::fs::read_to_string(facts_path).expect("facts readable");
        let format = Format::of_path(facts_path).expect("YAML or JSON");
        let loaded = facts::load_text(&program.schema, &text, format).expect("facts load");
        let request = Request {
            as_of: loaded
                .facts
                .as_of(&program.schema)
                .expect("examples set as_of"),
            as_of_source: AsOfSource::Facts,
            decisions: &decisions,
        };
        let explanation =
            explain::explain(&program, &loaded.facts, &request).expect("it evaluates");
        let evaluation = program
            .evaluate(&loaded.facts, &request)
            .expect("it evaluates");
        let traced: Vec<_> = explanation.decisions.iter().map(|d| &d.outcome).collect();
        let plain: Vec<_> = evaluation.decisions.iter().collect();
        assert_eq!(traced, plain, "tracing changed an outcome");
        insta::assert_snapshot!(
            "text",
            common::redacted(explain::text(&explanation).as_bytes())
        );
        insta::assert_snapshot!(
            "json",
            common::redacted(explain::json(&explanation).as_bytes())
        );
    });
}

/// The IR printer that explanations use prints every shipped condition and
/// row value exactly as the AST's canonical printer does.
#[test]
fn conditions_print_as_the_ast_prints_them() {
    let checked = credo::load_dir(Path::new("policies")).expect("policies/ is readable");
    let program = checked.program.expect("the shipped policies compile");
    let mut compared = 0;
    for (id, source) in checked.sources.iter() {
        let file = credo::lang::syntax::parse(id, &source.text).expect("shipped policies parse");
        for item in &file.items {
            let credo::lang::ast::Item::Decision(decision) = item else {
                continue;
            };
            let ir = program.decision(&decision.id.name).expect("compiled");
            for item in &decision.items {
                match item {
                    credo::lang::ast::DecisionItem::Rule(rule) => {
                        let Some(guard) = &rule.guard else { continue };
                        let compiled = ir
                            .denies
                            .iter()
                            .chain(&ir.allows)
                            .find(|r| r.origin.at == checked.sources.locate(rule.span).to_string())
                            .expect("rule compiled");
                        // As written: a rule in a version of its decision also tests the date.
                        let mut node = compiled.written.expect("a condition");
                        if guard.unless {
                            let Some(credo::model::ir::Node::Not(inner)) = program.node(node)
                            else {
                                panic!("`unless` compiles to `not`");
                            };
                            node = *inner;
                        }
                        assert_eq!(program.show(node).to_string(), guard.condition.to_string());
                        compared += 1;
                    }
                    credo::lang::ast::DecisionItem::Table(table) => {
                        for row in &table.rows {
                            let at = checked.sources.locate(row.span).to_string();
                            let compiled = ir
                                .rows
                                .iter()
                                .find(|r| r.origin.at == at)
                                .expect("row compiled");
                            if let (Some(c), Some(n)) = (&row.condition, compiled.written) {
                                assert_eq!(program.show(n).to_string(), c.to_string());
                                compared += 1;
                            }
                            assert_eq!(
                                program.show(compiled.value).to_string(),
                                row.value.to_string()
                            );
                            compared += 1;
                        }
                    }
                    credo::lang::ast::DecisionItem::Applies(c) => {
                        let n = ir.applies.expect("compiled");
                        assert_eq!(program.show(n).to_string(), c.to_string());
                        compared += 1;
                    }
                    credo::lang::ast::DecisionItem::Note(_)
                    | credo::lang::ast::DecisionItem::Rounding(..) => {}
                }
            }
        }
    }
    assert!(compared > 40, "only {compared} compared");
}
