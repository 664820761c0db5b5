//! Input columns that are no fact of the schema.
//!
//! A JSON record's unknown field is a warning in that record. Columns are
//! shared by every row, so a column the schema does not know (a typo such
//! as `account.segmnt`, or a column of something else) is said once for
//! the run, with the closest fact path, rather than in every row. Without
//! it the facts the column meant are silently unknown.

use arrow::datatypes::{DataType, Fields, Schema as ArrowSchema};

use crate::base::suggest;
use crate::input::facts::{FactProblem, codes};
use crate::lang::diagnostics::Severity;
use crate::model::schema::Schema;

/// The columns of `columns` (struct fields by their dotted path) that name
/// no fact of `schema` and no record holding one: each a warning.
pub fn unknown_columns(columns: &ArrowSchema, schema: &Schema) -> Vec<FactProblem> {
    let mut unknown = Vec::new();
    walk(columns.fields(), "", schema, &mut unknown);
    let paths = || schema.fields.iter().map(|f| f.path.as_str());
    unknown
        .into_iter()
        .map(|path| FactProblem {
            code: codes::UNKNOWN_FIELD,
            help: suggest::closest(&path, paths()).map(|p| format!("did you mean `{p}`?")),
            message: "unknown column, ignored (no fact has this path)".to_owned(),
            path,
            position: None,
            severity: Severity::Warning,
        })
        .collect()
}

fn walk(fields: &Fields, prefix: &str, schema: &Schema, unknown: &mut Vec<String>) {
    for field in fields {
        let path = match prefix {
            "" => field.name().clone(),
            _ => format!("{prefix}.{}", field.name()),
        };
        if schema.slot(&path).is_some() {
            continue;
        }
        let holds_facts = schema.fields.iter().any(|f| {
            f.path
                .strip_prefix(path.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
        });
        match field.data_type() {
            DataType::Struct(children) if holds_facts => walk(children, &path, schema, unknown),
            _ => unknown.push(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::Field;

    use super::*;

    fn shipped() -> Schema {
        let checked = crate::load_dir(std::path::Path::new("policies"));
        let program = checked.ok().and_then(|c| c.program);
        program
            .map(|p| p.schema.clone())
            .unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn typos_and_strangers_are_named_with_the_closest_fact() {
        let account = Fields::from(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new("segmnt", DataType::Utf8, true),
        ]);
        let columns = ArrowSchema::new(vec![
            Field::new("account", DataType::Struct(account), true),
            Field::new("agncy.partner_status", DataType::Utf8, true),
            Field::new("agency.client_spend", DataType::Utf8, true),
            Field::new("as_of", DataType::Date32, true),
            Field::new("region", DataType::Utf8, true),
        ]);
        let found: Vec<(String, Option<String>)> = unknown_columns(&columns, &shipped())
            .into_iter()
            .map(|p| (p.path, p.help))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "account.segmnt".to_owned(),
                    Some("did you mean `account.segment`?".to_owned())
                ),
                (
                    "agncy.partner_status".to_owned(),
                    Some("did you mean `agency.partner_status`?".to_owned())
                ),
                ("region".to_owned(), None),
            ]
        );
    }

    #[test]
    fn a_record_that_is_not_a_struct_is_unknown_as_a_whole() {
        let columns = ArrowSchema::new(vec![Field::new("account", DataType::Utf8, true)]);
        let found = unknown_columns(&columns, &shipped());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "account");
    }
}
