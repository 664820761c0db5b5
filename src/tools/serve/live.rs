//! The parts of the OpenAPI document that depend on the served policy set:
//! the fact document's shape (from the set's schema), the decision ids, and
//! for whatif each decision's outcomes. A client, or a fuzzer, then knows
//! exactly which requests are valid.

use serde_json::{Map, Value, json};

use crate::Program;
use crate::model::ir::Kind;
use crate::model::schema::{Schema, Type};

/// Puts the live schemas into `document` (an OpenAPI document as JSON).
pub fn patch(document: &mut Value, program: &Program) {
    let facts = facts_schema(&program.schema);
    let ids: Vec<Value> = program
        .decisions
        .iter()
        .map(|d| Value::String(d.id.clone()))
        .collect();
    let schemas = &mut document["components"]["schemas"];
    let evaluate = &mut schemas["EvaluateRequest"]["properties"];
    evaluate["facts"] = facts.clone();
    evaluate["decisions"]["items"] = json!({"type": "string", "enum": ids});
    let whatif = &mut schemas["WhatifRequest"];
    let common = whatif["properties"].clone();
    let variants: Vec<Value> = program
        .decisions
        .iter()
        .map(|d| {
            let mut properties = common.clone();
            properties["facts"] = facts.clone();
            properties["decision"] = json!({"type": "string", "const": d.id});
            let (to, required) = target_schema(program, &d.kind);
            properties["to"] = to;
            let mut needed = vec!["facts", "decision"];
            if required {
                needed.push("to");
            }
            json!({
                "type": "object",
                "properties": properties,
                "required": needed,
                "additionalProperties": false,
            })
        })
        .collect();
    let description = whatif["description"].clone();
    *whatif = json!({"description": description, "oneOf": variants});
}

/// The outcomes `to` may name for a decision of this kind, and whether it must.
fn target_schema(program: &Program, kind: &Kind) -> (Value, bool) {
    let names = |words: Vec<String>| json!({"type": ["string", "null"], "enum": words.into_iter().map(Value::String).chain([Value::Null]).collect::<Vec<_>>()});
    match kind {
        Kind::Eligibility | Kind::Action => (names(kind.outcome_words(&program.schema)), false),
        Kind::Classification(_) => {
            let members = kind.outcome_words(&program.schema);
            (json!({"type": "string", "enum": members}), true)
        }
        Kind::Amount(currency) => (
            json!({"type": ["string", "null"], "pattern": money_pattern(currency.minor_digits(), currency.code(), false)}),
            false,
        ),
    }
}

/// Dates that exist in every year: a valid request never fails on 30 February.
const DATE: &str = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$";

fn money_pattern(digits: u32, code: &str, signed: bool) -> String {
    let sign = if signed { "-?" } else { "" };
    let fraction = if digits == 0 {
        String::new()
    } else {
        format!("(\\.[0-9]{{1,{digits}}})?")
    };
    format!("^{sign}[0-9]{{1,12}}{fraction} {code}$")
}

/// The fact document: nested records, each field typed; other fields are
/// allowed (the service ignores them with a warning).
pub fn facts_schema(schema: &Schema) -> Value {
    let mut root = json!({"type": "object", "properties": {}});
    // Parents sort before their children (`a` < `a.b`).
    for record in schema.records.keys() {
        let _ = object_at(&mut root, record);
    }
    for field in &schema.fields {
        let (parent, name) = match field.path.rsplit_once('.') {
            Some((parent, name)) => (Some(parent), name),
            None => (None, field.path.as_str()),
        };
        let holder = match parent {
            Some(parent) => object_at(&mut root, parent),
            None => Some(&mut root),
        };
        let Some(properties) = holder
            .and_then(|h| h.get_mut("properties"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        properties.insert(
            name.to_owned(),
            nullable(field_schema(schema, field.ty, field.signed)),
        );
    }
    root
}

fn field_schema(schema: &Schema, ty: Type, signed: bool) -> Value {
    match ty {
        Type::Text => json!({"type": "string"}),
        Type::Bool => json!({"type": "boolean"}),
        // Facts are 64-bit integers: a larger number is refused with 400, so
        // the contract says where the range ends.
        Type::Int if signed => {
            json!({"type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX})
        }
        Type::Int => {
            json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": i64::MAX})
        }
        Type::Date => json!({"type": "string", "format": "date", "pattern": DATE}),
        Type::Money(currency) => json!({
            "type": "string",
            "pattern": money_pattern(currency.minor_digits(), currency.code(), signed),
        }),
        Type::Enum(id) => json!({
            "type": "string",
            "enum": schema.enum_type(id).map(|e| e.members.clone()).unwrap_or_default(),
        }),
    }
}

/// `null` is a fact not given, as leaving it out is.
fn nullable(mut field: Value) -> Value {
    if let Some(kind) = field.get("type").cloned() {
        field["type"] = json!([kind, "null"]);
    }
    if let Some(members) = field.get_mut("enum").and_then(Value::as_array_mut) {
        members.push(Value::Null);
    }
    field
}

/// The object schema for a record path, made on the way.
fn object_at<'v>(root: &'v mut Value, path: &str) -> Option<&'v mut Value> {
    let mut at = root;
    for key in path.split('.') {
        let properties: &mut Map<String, Value> = at.get_mut("properties")?.as_object_mut()?;
        at = properties
            .entry(key.to_owned())
            .or_insert_with(|| json!({"type": ["object", "null"], "properties": {}}));
    }
    Some(at)
}
