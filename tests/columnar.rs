#![cfg(feature = "arrow")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! Columnar batches: the shipped examples, written as Parquet with a column
//! per fact (nested struct columns, or flat columns named by path), go
//! through `credo batch --input-format parquet --output-format parquet`,
//! and every outcome, amount, deciding rule and missing fact read back from
//! the output is what `credo eval --format json` says for the example.

mod common;

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray as _, BooleanArray, Date32Array, Int64Array, RecordBatch, StringArray,
    StructArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Decimal128Type, Field, Fields, Schema};

use credo::Program;
use credo::engine::eval::Request;
use credo::engine::outcome::AsOfSource;
use credo::model::ir::Value;
use credo::model::schema::Type;

fn epoch() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
}

/// One fact's column over the accounts: nulls where unknown or absent.
fn leaf(program: &Program, slot: usize, rows: &[Vec<Option<Value>>]) -> ArrayRef {
    let field = &program.schema.fields[slot];
    let values = rows.iter().map(|r| match &r[slot] {
        Some(Value::Absent) | None => None,
        Some(v) => Some(v.clone()),
    });
    match field.ty {
        Type::Bool => Arc::new(BooleanArray::from_iter(values.map(|v| match v {
            Some(Value::Bool(b)) => Some(b),
            _ => None,
        }))),
        Type::Int => Arc::new(Int64Array::from_iter(values.map(|v| match v {
            Some(Value::Int(n)) => Some(n),
            _ => None,
        }))),
        Type::Date => Arc::new(Date32Array::from_iter(values.map(|v| match v {
            Some(Value::Date(d)) => Some((d - epoch()).num_days() as i32),
            _ => None,
        }))),
        _ => Arc::new(StringArray::from_iter(values.map(|v| match v {
            Some(Value::Text(t)) => Some(t.to_string()),
            Some(Value::Money(m)) => Some(m.to_string()),
            Some(Value::Member(e, i)) => {
                Some(program.schema.enum_type(e).unwrap().members[i as usize].clone())
            }
            _ => None,
        }))),
    }
}

/// The columns under `prefix`: facts as leaves, records as struct columns,
/// null where an optional record is absent.
fn columns(program: &Program, prefix: &str, rows: &[Vec<Option<Value>>]) -> Vec<(Field, ArrayRef)> {
    let mut names: Vec<&str> = Vec::new();
    for f in &program.schema.fields {
        if let Some(rest) = f.path.strip_prefix(prefix) {
            let name = rest.split('.').next().unwrap();
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let path = format!("{prefix}{name}");
            let array = match program.schema.slot(&path) {
                Some(slot) => leaf(program, slot.0 as usize, rows),
                None => {
                    let children = columns(program, &format!("{path}."), rows);
                    let optional = program.schema.records.get(&path).copied().unwrap_or(false);
                    let slots: Vec<usize> = program
                        .schema
                        .fields
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| f.path.starts_with(&format!("{path}.")))
                        .map(|(i, _)| i)
                        .collect();
                    let nulls = optional.then(|| {
                        NullBuffer::from_iter(
                            rows.iter()
                                .map(|r| !slots.iter().all(|&s| r[s] == Some(Value::Absent))),
                        )
                    });
                    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) =
                        children.into_iter().unzip();
                    Arc::new(StructArray::new(Fields::from(fields), arrays, nulls)) as ArrayRef
                }
            };
            (Field::new(name, array.data_type().clone(), true), array)
        })
        .collect()
}

fn batch(fields: Vec<(Field, ArrayRef)>) -> RecordBatch {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = fields.into_iter().unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

/// The same facts as flat columns named by path.
fn flat(program: &Program, rows: &[Vec<Option<Value>>]) -> RecordBatch {
    batch(
        (0..program.schema.fields.len())
            .map(|slot| {
                let array = leaf(program, slot, rows);
                let name = program.schema.fields[slot].path.clone();
                (Field::new(name, array.data_type().clone(), true), array)
            })
            .collect(),
    )
}

fn write_parquet(path: &std::path::Path, rows: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, rows.schema(), None).unwrap();
    writer.write(rows).unwrap();
    writer.close().unwrap();
}

fn read_parquet(path: &std::path::Path) -> RecordBatch {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

/// The output's words: `policy_hash` and every outcome column but an
/// amount's are dictionaries (one-byte keys), read back as dictionaries
/// from Parquet; the rest of a test reads them as plain text.
fn words_as_text(program: &Program, decisions: &RecordBatch) -> RecordBatch {
    let words = DataType::Dictionary(Box::new(DataType::UInt8), Box::new(DataType::Utf8));
    let mut dictionaries = vec!["policy_hash".to_owned()];
    for d in &program.decisions {
        if !matches!(d.kind, credo::model::ir::Kind::Amount(_)) {
            dictionaries.push(d.id.clone());
        }
    }
    let schema = decisions.schema();
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (field, column) in schema.fields().iter().zip(decisions.columns()) {
        let expected = if dictionaries.contains(field.name()) {
            &words
        } else if program.decisions.iter().any(|d| &d.id == field.name()) {
            &DataType::Utf8
        } else {
            field.data_type()
        };
        assert_eq!(field.data_type(), expected, "{}", field.name());
        if field.data_type() == &words {
            columns.push(arrow::compute::cast(column, &DataType::Utf8).unwrap());
            fields.push(field.as_ref().clone().with_data_type(DataType::Utf8));
        } else {
            columns.push(column.clone());
            fields.push(field.as_ref().clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
}

/// A row's rule ids or missing facts: the list's items are keys into the
/// decision's rule ids or the schema's paths, read back as their text.
fn strings(column: &dyn Array, row: usize) -> Vec<String> {
    let ids = DataType::Dictionary(Box::new(DataType::UInt8), Box::new(DataType::Utf8));
    let DataType::List(item) = column.data_type() else {
        panic!("a list column, not {}", column.data_type());
    };
    assert_eq!(item.data_type(), &ids);
    let list = column.as_list::<i32>().value(row);
    let list = arrow::compute::cast(&list, &DataType::Utf8).unwrap();
    list.as_string::<i32>()
        .iter()
        .map(|s| s.unwrap().to_owned())
        .collect()
}

#[test]
fn parquet_round_trip_gives_eval_decisions_for_every_example() {
    let program = common::shipped();
    let examples = common::examples(&program);
    let rows: Vec<Vec<Option<Value>>> = examples
        .iter()
        .map(|(_, l)| l.facts.values.clone())
        .collect();
    let today = chrono::Utc::now().date_naive();
    let dir = tempfile::tempdir().unwrap();
    for (name, input) in [
        ("nested", batch(columns(&program, "", &rows))),
        ("flat", flat(&program, &rows)),
    ] {
        let facts = dir.path().join(format!("{name}.parquet"));
        let out = dir.path().join(format!("{name}-decisions.parquet"));
        write_parquet(&facts, &input);
        let run = common::credo(
            &[
                "batch",
                "--input-format",
                "parquet",
                "--output-format",
                "parquet",
                "--record",
                "compact",
                "-o",
                out.to_str().unwrap(),
                facts.to_str().unwrap(),
            ],
            b"",
        );
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let decisions = words_as_text(&program, &read_parquet(&out));
        assert_eq!(decisions.num_rows(), examples.len());
        let hash = decisions.column_by_name("policy_hash").unwrap();
        for row in 0..decisions.num_rows() {
            assert_eq!(
                hash.as_string::<i32>().value(row),
                program.policy_hash.to_string()
            );
        }
        for (row, (path, loaded)) in examples.iter().enumerate() {
            let as_of = loaded.facts.as_of(&program.schema).unwrap_or(today);
            let request = Request {
                as_of,
                as_of_source: AsOfSource::Facts,
                decisions: &[],
            };
            let evaluation = program.evaluate(&loaded.facts, &request).unwrap();
            let at = format!("{name}: {}", path.display());
            let line = decisions.column_by_name("line").unwrap();
            assert_eq!(
                line.as_primitive::<arrow::datatypes::Int64Type>()
                    .value(row),
                row as i64 + 1
            );
            for d in &evaluation.decisions {
                let outcome = decisions.column_by_name(&d.id).unwrap();
                assert_eq!(
                    outcome.as_string::<i32>().value(row),
                    d.outcome.as_text(),
                    "{at}: {}",
                    d.id
                );
                let rules: Vec<String> = d.reasons.iter().map(|r| r.rule.clone()).collect();
                let column = decisions
                    .column_by_name(&format!("{}_rules", d.id))
                    .unwrap();
                assert_eq!(strings(column, row), rules, "{at}: {}", d.id);
                let column = decisions
                    .column_by_name(&format!("{}_missing", d.id))
                    .unwrap();
                assert_eq!(strings(column, row), d.missing, "{at}: {}", d.id);
                if let Some(column) = decisions.column_by_name(&format!("{}_amount", d.id)) {
                    let DataType::Decimal128(_, scale) = column.data_type() else {
                        panic!("{at}: an amount column of {}", column.data_type());
                    };
                    let shown = (!column.is_null(row)).then(|| {
                        let n = column.as_primitive::<Decimal128Type>().value(row);
                        format!(
                            "{} USD",
                            rust_decimal::Decimal::from_i128_with_scale(n, *scale as u32)
                        )
                    });
                    let expected = d.outcome.as_text();
                    let expected = expected.ends_with(" USD").then_some(expected);
                    assert_eq!(shown, expected, "{at}: {}", d.id);
                }
            }
        }
    }
}

#[test]
fn parquet_output_equals_csv_and_jsonl_outcomes_for_generated_accounts() {
    let program = common::shipped();
    let mut input = Vec::new();
    let options = credo::testing::synth::FactOptions {
        unknown_permille: 50,
        bad_permille: 20,
    };
    credo::testing::synth::write_fact_lines(&program.schema, 2000, 3, options, &mut input).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("accounts.jsonl");
    std::fs::write(&source, &input).unwrap();
    let mut outputs = Vec::new();
    for format in ["jsonl", "parquet"] {
        let out = dir.path().join(format!("out.{format}"));
        let run = common::credo(
            &[
                "batch",
                "--record",
                "compact",
                "--output-format",
                format,
                "--as-of",
                "2026-11-25",
                "-o",
                out.to_str().unwrap(),
                source.to_str().unwrap(),
            ],
            b"",
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
        outputs.push(out);
    }
    let jsonl = std::fs::read_to_string(&outputs[0]).unwrap();
    let parquet = words_as_text(&program, &read_parquet(&outputs[1]));
    assert_eq!(parquet.num_rows(), jsonl.lines().count());
    let errors = parquet.column_by_name("errors").unwrap();
    for (row, line) in jsonl.lines().enumerate() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(problems) = record.get("errors") {
            let text = errors.as_string::<i32>().value(row);
            assert_eq!(
                &serde_json::from_str::<serde_json::Value>(text).unwrap(),
                problems
            );
            continue;
        }
        assert!(errors.is_null(row));
        // Compact JSON Lines key the decisions by id.
        for (id, d) in record["decisions"].as_object().unwrap() {
            let id = id.as_str();
            let outcome = parquet.column_by_name(id).unwrap();
            assert_eq!(
                outcome.as_string::<i32>().value(row),
                d["outcome"].as_str().unwrap(),
                "line {}: {id}",
                row + 1
            );
            let rules: Vec<String> = serde_json::from_value(d["rules"].clone()).unwrap();
            let column = parquet.column_by_name(&format!("{id}_rules")).unwrap();
            assert_eq!(strings(column, row), rules);
        }
    }
}

/// `Options::dictionaries` off: every column of words is built as plain
/// text (`Utf8`, `List<Utf8>`), and the values are those of the
/// dictionaries, row for row.
#[test]
fn records_without_dictionaries_hold_the_same_words_as_plain_text() {
    let program = common::shipped();
    let examples = common::examples(&program);
    let rows: Vec<Vec<Option<Value>>> = examples
        .iter()
        .map(|(_, l)| l.facts.values.clone())
        .collect();
    let input = batch(columns(&program, "", &rows));
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let collect = |dictionaries: bool| {
        let mut options = credo::tools::batch::Options::new(1, Some(today), today);
        options.record = credo::tools::batch::Record::Compact;
        options.id = program.schema.slot("account.id");
        options.dictionaries = dictionaries;
        let source =
            credo::tools::batch::columnar::RowSource::new(std::iter::once(Ok(input.clone())));
        let (schema, batches, _) =
            credo::tools::batch::collect_rows(&program, source, &options).unwrap();
        arrow::compute::concat_batches(&schema, &batches).unwrap()
    };
    let keyed = collect(true);
    let plain = collect(false);
    assert_eq!(plain.num_rows(), examples.len());
    let mut plain_lists = 0;
    for (field, (keyed_column, plain_column)) in plain
        .schema()
        .fields()
        .iter()
        .zip(keyed.columns().iter().zip(plain.columns()))
    {
        let expected = match keyed_column.data_type() {
            DataType::Dictionary(_, values) => values.as_ref().clone(),
            DataType::List(item) => match item.data_type() {
                DataType::Dictionary(_, values) => {
                    plain_lists += 1;
                    DataType::List(Arc::new(
                        item.as_ref().clone().with_data_type(*values.clone()),
                    ))
                }
                _ => keyed_column.data_type().clone(),
            },
            other => other.clone(),
        };
        assert_eq!(field.data_type(), &expected, "{}", field.name());
        let decoded = arrow::compute::cast(keyed_column, &expected).unwrap();
        assert_eq!(&decoded, plain_column, "{}", field.name());
    }
    assert!(plain_lists >= 2 * program.decisions.len());
    assert_eq!(
        plain
            .column_by_name("policy_hash")
            .unwrap()
            .as_string::<i32>()
            .value(0),
        program.policy_hash.to_string()
    );
}
