//! The Arrow rows read by reference give what the `Value` path gives: each
//! fact as the hot path sees it, the facts the full evaluator gets, and the
//! decisions; a row the direct reading cannot take goes the existing way.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, DictionaryArray, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::Int32Type;

use super::super::{Columns, RowRead};
use crate::engine::hot::source::FactSource;
use crate::engine::outcome::AsOfSource;
use crate::engine::program::Program;
use crate::engine::verdict::Verdicts;
use crate::input::facts::Facts;
use crate::input::fast::SlotReader;

fn shipped() -> Program {
    crate::load_dir(Path::new("policies"))
        .expect("policies/ is readable")
        .program
        .expect("the shipped policies compile")
}

fn text(cells: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(cells.to_vec()))
}

/// Six accounts, flat columns named by path:
/// 0. every fact given, money written plainly;
/// 1. no request (the optional record absent), no linked business center
///    (an optional field), `policy_violation` null (a required field:
///    unknown, so some decisions are left to the full evaluator);
/// 2. a request without `to_account` (optional) and without `amount`
///    (required: unknown);
/// 3. money not written plainly (`12.00  USD`), which the slot reader reads;
/// 4. a segment that is no member (`platinum`): the careful loader says why;
/// 5. a transfer to another account.
///
/// `account.created_via` is a dictionary column.
fn accounts() -> RecordBatch {
    let six = |cells: [Option<&str>; 6]| text(&cells);
    let created_via: DictionaryArray<Int32Type> = vec![
        "business_center",
        "ads_manager",
        "agency",
        "business_center",
        "ads_manager",
        "business_center",
    ]
    .into_iter()
    .collect();
    let day = 20_782; // 2026-11-25
    RecordBatch::try_from_iter([
        (
            "as_of",
            Arc::new(Date32Array::from(vec![day; 6])) as ArrayRef,
        ),
        (
            "account.id",
            six([
                Some("a1"),
                Some("a2"),
                Some("a3"),
                Some("a4"),
                Some("a5"),
                Some("a6"),
            ]),
        ),
        ("account.created_via", Arc::new(created_via) as ArrayRef),
        (
            "account.segment",
            six([
                Some("smb"),
                Some("enterprise"),
                Some("smb"),
                Some("smb"),
                Some("platinum"),
                Some("smb"),
            ]),
        ),
        ("account.status", six([Some("active"); 6])),
        (
            "account.policy_violation",
            Arc::new(BooleanArray::from(vec![
                Some(false),
                None,
                Some(false),
                Some(true),
                Some(false),
                Some(false),
            ])) as ArrayRef,
        ),
        (
            "account.linked_business_center",
            six([
                Some("bc1"),
                None,
                Some("bc1"),
                Some("bc2"),
                None,
                Some("bc1"),
            ]),
        ),
        (
            "account.unused_credit",
            six([
                Some("120.00 USD"),
                Some("0.00 USD"),
                Some("5 USD"),
                Some("12.00  USD"),
                Some("1.00 USD"),
                Some("40.50 USD"),
            ]),
        ),
        ("business_center.id", six([Some("bc1"); 6])),
        ("business_center.setup_complete", {
            Arc::new(BooleanArray::from(vec![Some(true); 6])) as ArrayRef
        }),
        (
            "business_center.credit_source",
            six([Some("managed_program"); 6]),
        ),
        (
            "business_center.credit_balance",
            six([Some("900.00 USD"); 6]),
        ),
        (
            "agency.new_client_accounts",
            Arc::new(Int64Array::from(vec![
                Some(3),
                None,
                Some(12),
                Some(0),
                Some(1),
                Some(2),
            ])) as ArrayRef,
        ),
        (
            "request.action",
            six([
                Some("allocate_credit"),
                None,
                Some("allocate_credit"),
                Some("allocate_credit"),
                None,
                Some("transfer_credit"),
            ]),
        ),
        (
            "request.actor_role",
            six([
                Some("bc_admin"),
                None,
                Some("bc_admin"),
                Some("bc_member"),
                None,
                Some("bc_admin"),
            ]),
        ),
        (
            "request.amount",
            six([
                Some("100.00 USD"),
                None,
                None,
                Some("1.00 USD"),
                None,
                Some("10.00 USD"),
            ]),
        ),
        (
            "request.to_account",
            six([Some("a1"), None, None, Some("a4"), None, Some("a9")]),
        ),
        (
            "request.from_account",
            six([None, None, None, None, None, Some("a6")]),
        ),
    ])
    .expect("the columns make a batch")
}

/// What each row gave, by way of the `Value`s and by reference.
#[test]
fn arrow_rows_read_by_reference_give_what_values_give() {
    let program = shipped();
    let reader = SlotReader::new(&program.schema);
    let rows = accounts();
    let by_value = Columns::resolve(&program, &rows);
    let by_reference = Columns::resolve(&program, &rows);
    let slots = program.schema.fields.len() as u32;
    let (mut fast, mut declined, mut careful) = (0, 0, 0);
    for row in 0..rows.num_rows() {
        let mut values = Vec::new();
        // Row by row, the reader that shares nothing with the block's.
        let read = by_value.read_row(&program, &reader, row, &mut values);
        let mut scratch = Vec::new();
        let direct = by_reference.decide_direct(&program, &reader, row, &mut scratch, |source| {
            let mut facts = 0;
            for slot in 0..slots {
                assert_eq!(
                    source.fact(slot),
                    values.as_slice().fact(slot),
                    "row {row}, slot {slot} ({:?})",
                    program.schema.fields.get(slot as usize).map(|f| &f.path)
                );
                facts += 1;
            }
            assert_eq!(source.facts(&program.schema).values, values, "row {row}");
            let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 25)?;
            let (mut by_value, mut by_reference) = (Verdicts::default(), Verdicts::default());
            program
                .decide_into(
                    &Facts {
                        values: values.clone(),
                    },
                    as_of,
                    &[],
                    &mut by_value,
                )
                .unwrap();
            let mut materialized = 0;
            program
                .decide_from(source, as_of, &[], &mut by_reference, || {
                    materialized += 1;
                    source.facts(&program.schema)
                })
                .unwrap();
            assert!(materialized <= 1, "the facts are built once a row at most");
            assert_eq!(
                by_reference.to_evaluation_for(&program, AsOfSource::Facts, &values),
                by_value.to_evaluation_for(&program, AsOfSource::Facts, &values),
                "row {row}"
            );
            Some((facts, materialized))
        });
        match (read, direct) {
            (RowRead::Fast, Ok((facts, materialized))) => {
                assert_eq!(facts, slots);
                fast += 1;
                declined += materialized;
            }
            (RowRead::Failed(a, x), Err(RowRead::Failed(b, y))) => {
                assert_eq!(a, b);
                assert_eq!(format!("{x:?}"), format!("{y:?}"));
                careful += 1;
            }
            (RowRead::Loaded(a), Err(RowRead::Loaded(b))) => {
                assert_eq!(a.facts.values, b.facts.values);
                careful += 1;
            }
            _ => panic!("row {row}: the two readings disagree on how the row is read"),
        }
    }
    // The rows above cover each case: read by reference, some decisions
    // left to the full evaluator, and a row sent to the careful loader.
    assert_eq!((fast, careful), (5, 1));
    assert!(
        declined >= 1,
        "row 1's unknown policy_violation is declined"
    );
}

/// An enum cell's member, by length and words, then bytes past 16.
#[test]
fn members_are_found_by_length_and_words() {
    let members: Vec<String> = [
        "none",
        "onramp",
        "registered_partner",
        "registered_partnes",
        "managed_program",
        "a",
    ]
    .map(String::from)
    .to_vec();
    let names = super::Names::new(&members);
    for (i, m) in members.iter().enumerate() {
        assert_eq!(names.find(m), Some(i as u32), "{m}");
    }
    // Same length and the same first and last eight bytes, not the same text.
    assert_eq!(names.find("registerXY_partner"), None);
    assert_eq!(names.find("managed_xrogram"), None);
    assert_eq!(names.find("onramP"), None);
    assert_eq!(names.find(""), None);
    assert_eq!(names.find("a\0"), None);
}

/// A decimal money cell past what an amount holds (38 digits where credo
/// holds 28) is an error that names the fact, never an amount of 0.
#[test]
fn a_decimal_cell_too_large_for_an_amount_is_an_error_not_zero() {
    use arrow::array::Decimal128Array;
    let program = shipped();
    let reader = SlotReader::new(&program.schema);
    let huge = Decimal128Array::from(vec![Some(10_i128.pow(36)), Some(123_450)])
        .with_precision_and_scale(38, 2)
        .unwrap();
    let rows = RecordBatch::try_from_iter([
        ("account.unused_credit", Arc::new(huge) as ArrayRef),
        ("account.id", text(&[Some("a-1"), Some("a-2")])),
    ])
    .unwrap();
    let columns = Columns::resolve(&program, &rows);
    let mut values = Vec::new();
    match columns.read(&program, &reader, 0, &mut values) {
        RowRead::Failed(_, problems) => assert!(
            problems.iter().any(|p| p.path == "account.unused_credit"),
            "{problems:?}"
        ),
        _ => panic!("row 0 must fail: its amount has 37 digits"),
    }
    // The row beside it, a plain amount, is read.
    assert!(!matches!(
        columns.read(&program, &reader, 1, &mut values),
        RowRead::Failed(..)
    ));
}
