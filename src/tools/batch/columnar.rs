//! Accounts as rows and records as columns: Arrow record batches in (from
//! Parquet, or from any Arrow stream), CSV and Parquet out.
//!
//! Input columns are named by fact path: a struct column `account` with a
//! field `segment`, or a flat column named `account.segment`. A null is an
//! absent key. A row the direct reading cannot settle is written out as a
//! JSON document and loaded by [`crate::input::facts`], which finds the
//! same facts or names the problem exactly as for a JSON line.
//!
//! Output has a row per account: `line`, `id`, `as_of`, `policy_hash`, then for
//! each decision its outcome (`ID`, the same text as in JSON records), for
//! an amount decision its amount (`ID_amount`, a decimal with the currency's
//! minor digits, the currency in the field's metadata), the deciding rule ids
//! (`ID_rules`) and the missing facts (`ID_missing`) as lists; then
//! `errors` and `warnings` as JSON text, null when there are none.
//!
//! Columns whose values come from a small fixed set are dictionaries
//! (`Dictionary(UInt8, Utf8)`): `policy_hash` (one entry per run) and the
//! outcome of every decision but an amount (the kind's words, in a fixed
//! order). The values are the same; each row stores a one-byte key instead
//! of the text, which was most of the output's bytes. The rule-id and
//! missing-fact lists are lists of dictionary keys likewise (see
//! `id_lists`): a decision's rule ids, and the schema's fact paths.
//! With `Options::dictionaries` off, all of these are built as plain text
//! (`Utf8`, `List<Utf8>`) with the same values, for consumers that take no
//! dictionaries.

mod direct;

pub(crate) use direct::ArrowRow;
mod id_lists;
mod nulls;
mod repeat;
mod scale;
mod unknown;
pub use unknown::unknown_columns;

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray as _, BooleanArray, Date32Array, Decimal128Array, DictionaryArray,
    Int64Array, StringArray, UInt8Array,
};
use arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Field, Int64Type, Schema, SchemaRef, UInt8Type,
};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;

use self::id_lists::{IdLists, IdSet};
use self::nulls::Nulls;
use self::repeat::Repeated;
use super::write::rule_name;
use super::{Chunk, Options, Sink};
use crate::base::money::{Currency, Money};
use crate::engine::program::Program;
use crate::engine::verdict::{Answer, Cause, Verdict, Verdicts};
use crate::input::facts::{self, FactProblem, Format, Loaded};
use crate::input::fast::SlotReader;
use crate::model::ir::{DecisionIr, Kind, Value, words};
use crate::model::schema::Type;

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// Rows per chunk of a columnar input. Larger than a chunk of lines: the
/// rows are in memory already, and each chunk costs a resolution of the
/// fact columns and, on the way out, a record batch of some 47 arrays
/// (which a Python caller imports one by one).
pub(crate) const CHUNK_ROWS: usize = 16_384;

/// One decision's columns.
#[derive(Debug, Clone)]
struct DecisionColumns {
    /// Outcome texts by answer: members for a classification.
    members: Vec<String>,
    /// The outcome column's dictionary, when the outcomes are a fixed set
    /// (not for an amount, nor for more members than a key can count).
    words: Option<Words>,
    /// The currency's minor digits, for an amount decision.
    amount_scale: Option<u32>,
    rules: RuleIds,
}

/// A decision's rule ids, as the dictionary of its `_rules` column: the
/// deny rules', the allow rules', the rows', then the three fixed causes,
/// so that a cause's key is its index plus where its kind starts; last
/// `gap`, for a decision with declared gaps between its versions.
#[derive(Debug, Clone)]
struct RuleIds {
    allows: usize,
    rows: usize,
    fixed: usize,
    /// The declared gaps' periods: on those days the decision does not
    /// apply because of the gap, and its reason is `gap`, as in JSON records.
    gaps: Vec<crate::model::ir::Period>,
    set: IdSet,
}

impl RuleIds {
    fn new(d: &DecisionIr, dictionaries: bool) -> RuleIds {
        let mut ids: Vec<String> = (0..d.denies.len() as u32)
            .map(|i| rule_name(d, Cause::Deny(i)))
            .collect();
        let allows = ids.len();
        ids.extend((0..d.allows.len() as u32).map(|i| rule_name(d, Cause::Allow(i))));
        let rows = ids.len();
        ids.extend((0..d.rows.len() as u32).map(|i| rule_name(d, Cause::Row(i))));
        let fixed = ids.len();
        for cause in [
            Cause::NotApplicable,
            Cause::AppliesUnknown,
            Cause::NoRuleAllowed,
        ] {
            ids.push(rule_name(d, cause));
        }
        let gaps: Vec<_> = d
            .versions
            .iter()
            .filter(|v| v.gap.is_some())
            .map(|v| v.period)
            .collect();
        if !gaps.is_empty() {
            // The rule name `verdict::gap_reason` gives.
            ids.push("gap".to_owned());
        }
        RuleIds {
            allows,
            rows,
            fixed,
            gaps,
            set: IdSet::new(ids, dictionaries),
        }
    }

    fn key(&self, cause: Cause, as_of: NaiveDate) -> usize {
        match cause {
            Cause::Deny(i) => i as usize,
            Cause::Allow(i) => self.allows + i as usize,
            Cause::Row(i) => self.rows + i as usize,
            Cause::NotApplicable if self.gaps.iter().any(|p| p.holds(as_of)) => self.fixed + 3,
            Cause::NotApplicable => self.fixed,
            Cause::AppliesUnknown => self.fixed + 1,
            Cause::NoRuleAllowed => self.fixed + 2,
        }
    }
}

/// The output columns of a run.
#[derive(Debug, Clone)]
pub struct Layout {
    schema: SchemaRef,
    /// `sha256:..`, the set every row names: the one value of its column.
    policy_hash: ArrayRef,
    /// Whether the columns of words are dictionaries (`Options::dictionaries`).
    dictionaries: bool,
    with_id: bool,
    decisions: Vec<DecisionColumns>,
    /// Column of each decision, by index in the program.
    by_decision: Vec<Option<usize>>,
    /// Slots in path order.
    by_path: Vec<u32>,
    /// The paths in that order: the dictionary of the `_missing` columns.
    missing: IdSet,
}

/// A text column stored as one-byte keys into a few values.
fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::UInt8), Box::new(DataType::Utf8))
}

/// The words of a decision's outcome column, and the key of each answer.
#[derive(Debug, Clone)]
struct Words {
    /// The dictionary: a classification's members or the kind's words, then
    /// whichever of `not_applicable` and `undetermined` are not among them.
    values: ArrayRef,
    /// Keys of the answers with a word, by `Answer::fixed_index`; members are
    /// keyed by their index, since they come first.
    fixed: [Option<u8>; words::FIXED.len()],
}

impl Words {
    /// `None` for an amount (its outcome is any amount) or past 256 words.
    fn new(kind: &Kind, outcomes: Vec<String>) -> Option<Words> {
        if matches!(kind, Kind::Amount(_)) {
            return None;
        }
        let mut values = outcomes;
        for word in [words::NOT_APPLICABLE, words::UNDETERMINED] {
            if !values.iter().any(|v| v == word) {
                values.push(word.to_owned());
            }
        }
        if values.len() > usize::from(u8::MAX) + 1 {
            return None;
        }
        let mut fixed = [None; words::FIXED.len()];
        for (place, word) in fixed.iter_mut().zip(words::FIXED) {
            *place = values
                .iter()
                .position(|v| v == word)
                .and_then(|i| u8::try_from(i).ok());
        }
        Some(Words {
            values: Arc::new(StringArray::from(values)),
            fixed,
        })
    }

    fn key(&self, answer: &Answer) -> Option<u8> {
        match answer {
            Answer::Member(i) => u8::try_from(*i).ok(),
            _ => answer
                .fixed_index()
                .and_then(|i| self.fixed.get(i).copied().flatten()),
        }
    }
}

impl Layout {
    pub fn new(program: &Program, options: &Options) -> Layout {
        let chosen: Vec<u32> = if options.decisions.is_empty() {
            (0..program.decisions.len() as u32).collect()
        } else {
            options.decisions.clone()
        };
        let mut fields = vec![Field::new("line", DataType::Int64, false)];
        if options.id.is_some() {
            fields.push(Field::new("id", DataType::Utf8, true));
        }
        fields.push(Field::new("as_of", DataType::Date32, true));
        let words_type = || match options.dictionaries {
            true => dictionary_type(),
            false => DataType::Utf8,
        };
        fields.push(Field::new("policy_hash", words_type(), false));
        let paths: Vec<String> = program
            .schema
            .fields
            .iter()
            .map(|f| f.path.clone())
            .collect();
        let mut by_path: Vec<u32> = (0..paths.len() as u32).collect();
        by_path.sort_by(|a, b| paths.get(*a as usize).cmp(&paths.get(*b as usize)));
        let missing = IdSet::new(
            by_path
                .iter()
                .filter_map(|&slot| paths.get(slot as usize).cloned())
                .collect(),
            options.dictionaries,
        );
        let mut decisions = Vec::new();
        let mut by_decision = vec![None; program.decisions.len()];
        for &i in &chosen {
            let Some(d) = program.decisions.get(i as usize) else {
                continue;
            };
            if let Some(place) = by_decision.get_mut(i as usize) {
                *place = Some(decisions.len());
            }
            // Without dictionaries the keys are gathered into text per chunk.
            let words = Words::new(&d.kind, d.kind.outcome_words(&program.schema));
            let outcome_type = match words {
                Some(_) => words_type(),
                None => DataType::Utf8,
            };
            fields.push(Field::new(&d.id, outcome_type, true));
            let amount_scale = match d.kind {
                Kind::Amount(currency) => {
                    let scale = currency.minor_digits();
                    let metadata =
                        HashMap::from([("currency".to_owned(), currency.code().to_owned())]);
                    fields.push(
                        Field::new(
                            format!("{}_amount", d.id),
                            DataType::Decimal128(38, scale as i8),
                            true,
                        )
                        .with_metadata(metadata),
                    );
                    Some(scale)
                }
                _ => None,
            };
            let rules = RuleIds::new(d, options.dictionaries);
            fields.push(Field::new(
                format!("{}_rules", d.id),
                rules.set.list_type(),
                true,
            ));
            fields.push(Field::new(
                format!("{}_missing", d.id),
                missing.list_type(),
                true,
            ));
            let members = match d.kind {
                Kind::Classification(id) => program
                    .schema
                    .enum_type(id)
                    .map(|e| e.members.clone())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            decisions.push(DecisionColumns {
                members,
                words,
                amount_scale,
                rules,
            });
        }
        fields.push(Field::new("errors", DataType::Utf8, true));
        fields.push(Field::new("warnings", DataType::Utf8, true));
        Layout {
            schema: Arc::new(Schema::new(fields)),
            policy_hash: Arc::new(StringArray::from(vec![program.policy_hash.to_string()])),
            dictionaries: options.dictionaries,
            with_id: options.id.is_some(),
            decisions,
            by_decision,
            by_path,
            missing,
        }
    }

    /// The Arrow schema of the records.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The CSV header line.
    pub fn csv_header(&self) -> String {
        let mut line = String::new();
        for (i, field) in self.schema.fields().iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            csv_cell(field.name(), &mut line);
        }
        line.push('\n');
        line
    }

    /// Builders for one worker.
    pub fn rows(&self, csv: bool) -> Rows<'_> {
        Rows {
            layout: self,
            csv,
            rows: 0,
            line: Vec::new(),
            id: Text::new(),
            no_id: Nulls::default(),
            as_of: Vec::new(),
            failed: Nulls::default(),
            decisions: self
                .decisions
                .iter()
                .map(|d| DecisionBuilders {
                    columns: d,
                    outcome: match &d.words {
                        Some(words) => Outcome::Keys(Vec::new(), words.values.clone()),
                        None => Outcome::Text(Text::new()),
                    },
                    unworded: Nulls::default(),
                    amount: d.amount_scale.map(|scale| Amounts {
                        values: Vec::new(),
                        none: Nulls::default(),
                        scale,
                    }),
                    rules: d.rules.set.lists(),
                    missing: self.missing.lists(),
                    nulls: Nulls::default(),
                    filled: 0,
                })
                .collect(),
            errors: Sparse::default(),
            warnings: Sparse::default(),
            no_problems: Repeated::default(),
            policy_hash: Repeated::default(),
        }
    }

    /// A Parquet writer for the records.
    pub(crate) fn parquet<'w, W: Write + Send>(
        &self,
        output: &'w mut W,
    ) -> io::Result<Box<dyn Sink + Send + 'w>> {
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            // Row groups of this size keep the writer's memory bounded.
            .set_max_row_group_row_count(Some(65_536))
            .build();
        let writer = parquet::arrow::ArrowWriter::try_new(output, self.schema(), Some(properties))
            .map_err(io::Error::other)?;
        Ok(Box::new(ParquetSink(writer)))
    }
}

struct ParquetSink<W: Write + Send>(parquet::arrow::ArrowWriter<W>);

impl<W: Write + Send> Sink for ParquetSink<W> {
    fn chunk(&mut self, chunk: &mut Chunk) -> io::Result<()> {
        match chunk.batch.take() {
            Some(batch) => self.0.write(&batch).map_err(io::Error::other),
            None => Ok(()),
        }
    }

    fn finish(self: Box<Self>) -> io::Result<()> {
        let mut output = self.0.into_inner().map_err(io::Error::other)?;
        output.flush()
    }
}

/// An outcome column being built: keys into the decision's words, or text
/// (an amount's, or past 256 words), written straight into the column's
/// offsets and bytes.
enum Outcome {
    Keys(Vec<u8>, ArrayRef),
    Text(Text),
}

impl Outcome {
    /// A null row's place: its key or text is never read.
    fn null(&mut self) {
        match self {
            Outcome::Keys(keys, _) => keys.push(0),
            Outcome::Text(text) => text.end(),
        }
    }

    /// The chunk's column: the keys' dictionary, or (`dictionaries` off)
    /// the keys' words gathered in one pass.
    fn finish(
        &mut self,
        dictionaries: bool,
        nulls: Option<NullBuffer>,
    ) -> Result<ArrayRef, ArrowError> {
        match self {
            Outcome::Keys(keys, values) => {
                let keys = UInt8Array::new(id_lists::drain(keys).into(), nulls);
                if dictionaries {
                    Ok(Arc::new(DictionaryArray::<UInt8Type>::try_new(
                        keys,
                        values.clone(),
                    )?))
                } else {
                    arrow::compute::take(values, &keys, Some(id_lists::checked()))
                }
            }
            Outcome::Text(text) => text.finish(nulls),
        }
    }
}

/// A text column's offsets and bytes. The bytes are checked as UTF-8 once
/// per chunk, when the column is made, not per value.
struct Text {
    offsets: Vec<i32>,
    bytes: Vec<u8>,
}

impl Text {
    fn new() -> Text {
        Text {
            offsets: vec![0],
            bytes: Vec::new(),
        }
    }

    /// Ends the current value.
    #[inline]
    fn end(&mut self) {
        // A chunk's text is far below 2 GiB; past it `finish` fails.
        self.offsets
            .push(i32::try_from(self.bytes.len()).unwrap_or(-1));
    }

    fn push(&mut self, text: &str) {
        self.bytes.extend_from_slice(text.as_bytes());
        self.end();
    }

    fn finish(&mut self, nulls: Option<NullBuffer>) -> Result<ArrayRef, ArrowError> {
        let offsets = id_lists::drain(&mut self.offsets);
        self.offsets.push(0);
        let bytes = id_lists::drain(&mut self.bytes);
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        Ok(Arc::new(StringArray::try_new(
            offsets,
            bytes.into(),
            nulls,
        )?))
    }
}

/// An amount column: mantissas at the currency's scale, null where the
/// answer is not an amount.
struct Amounts {
    values: Vec<i128>,
    none: Nulls,
    scale: u32,
}

/// One decision's columns being built, with what they are built from.
struct DecisionBuilders<'l> {
    columns: &'l DecisionColumns,
    outcome: Outcome,
    /// Rows whose outcome has no word among the keys: a bug in `Words`,
    /// written as a null rather than a wrong word.
    unworded: Nulls,
    amount: Option<Amounts>,
    rules: IdLists,
    missing: IdLists,
    /// Rows where the decision has no verdict (an account that could not be
    /// evaluated): null in each of its columns.
    nulls: Nulls,
    /// Rows of the chunk written so far.
    filled: usize,
}

impl DecisionBuilders<'_> {
    fn null(&mut self, row: usize) {
        self.nulls.null(row);
        self.outcome.null();
        if let Some(amount) = &mut self.amount {
            amount.values.push(0);
        }
        self.rules.end();
        self.filled = row + 1;
    }

    /// The decision's verdict for row `row`.
    #[inline]
    fn verdict(
        &mut self,
        row: usize,
        v: &Verdict,
        verdicts: &Verdicts,
        as_of: NaiveDate,
        layout: &Layout,
    ) {
        let d = self.columns;
        // An amount column goes with a text outcome (an amount decision's
        // outcomes are no fixed set), so the keyed outcomes, most columns,
        // skip it without a test.
        match (&mut self.outcome, &v.answer) {
            (Outcome::Keys(keys, _), answer) => {
                match d.words.as_ref().and_then(|w| w.key(answer)) {
                    Some(key) => keys.push(key),
                    None => {
                        keys.push(0);
                        self.unworded.null(row);
                    }
                }
            }
            (Outcome::Text(text), Answer::Amount(m)) => {
                let mantissa = amount_text(m, text);
                if let Some(column) = &mut self.amount {
                    column.values.push(mantissa);
                }
            }
            (Outcome::Text(text), answer) => {
                match answer {
                    Answer::Member(i) => {
                        text.push(d.members.get(*i as usize).map_or("?", String::as_str));
                    }
                    _ => text.push(answer.word().unwrap_or_default()),
                }
                if let Some(column) = &mut self.amount {
                    column.values.push(0);
                    column.none.null(row);
                }
            }
        }
        for cause in verdicts.causes(v) {
            self.rules.push(d.rules.key(*cause, as_of));
        }
        self.rules.end();
        let missing = verdicts.missing(v);
        if !missing.is_empty() {
            // Keys in path order, as the JSON records list them.
            for (key, &slot) in layout.by_path.iter().enumerate() {
                if missing.contains(crate::model::schema::Slot(slot)) {
                    self.missing.push(key);
                }
            }
            // Other rows' lists are empty, and cost nothing here.
            self.missing.end_row(row);
        }
        self.filled = row + 1;
    }

    /// The decision's columns for the chunk's `rows` rows, in the layout's
    /// order.
    fn finish(
        &mut self,
        rows: usize,
        dictionaries: bool,
        columns: &mut Vec<ArrayRef>,
    ) -> Result<(), ArrowError> {
        let nulls = self.nulls.rows();
        let outcome = self.outcome.finish(
            dictionaries,
            nulls::validity(rows, &[nulls, self.unworded.rows()]),
        )?;
        columns.push(outcome);
        if let Some(amount) = &mut self.amount {
            let valid = nulls::validity(rows, &[nulls, amount.none.rows()]);
            let values = id_lists::drain(&mut amount.values);
            let array = Decimal128Array::new(values.into(), valid)
                .with_precision_and_scale(38, amount.scale as i8)?;
            columns.push(Arc::new(array));
            amount.none.clear();
        }
        columns.push(self.rules.finish(rows, nulls::validity(rows, &[nulls]))?);
        columns.push(self.missing.finish(rows, nulls::validity(rows, &[nulls]))?);
        self.nulls.clear();
        self.unworded.clear();
        self.filled = 0;
        Ok(())
    }
}

/// Room for an amount's cell: at most 29 digits, a point, a sign, a space
/// and a code of three letters.
const CELL_BYTES: usize = 48;

/// Writes an amount's outcome (`1234.50 USD`: the amount at the currency's
/// `scale`, as `Decimal`'s `Display` writes it) into `text`, and gives its
/// mantissa at that scale, for the amount column.
fn amount_text(m: &Money, text: &mut Text) -> i128 {
    let minor = m.currency.minor_digits();
    let (mantissa, at) = match scale::mantissa_at(&m.amount, minor) {
        Some(mantissa) => (mantissa, minor),
        None => {
            let mut amount = m.amount;
            amount.rescale(minor);
            (amount.mantissa(), amount.scale())
        }
    };
    let negative_zero = mantissa == 0 && m.amount.is_sign_negative();
    // Written in place in the column's bytes (room for the longest cell,
    // the rest cut off), not in a buffer on the stack and copied over: the
    // copy's wide loads of digits just stored a byte at a time waited for
    // those stores (a store-forwarding stall, an eighth of `Rows::record`).
    let start = text.bytes.len();
    // A copy of a constant, which is inlined as a few wide stores
    // (`resize`'s fill loop was left a call, 60 instructions a cell).
    text.bytes.extend_from_slice(&[b' '; CELL_BYTES]);
    let written = text.bytes.get_mut(start..).and_then(|cell| {
        let len = decimal_digits(mantissa, at, cell).filter(|_| !negative_zero)?;
        // The digits, a space, the currency's code.
        cell.get_mut(len + 1..len + 4)?
            .copy_from_slice(&m.currency.code_bytes());
        Some(len + 4)
    });
    match written {
        Some(len) => text.bytes.truncate(start + len),
        None => {
            text.bytes.truncate(start);
            let mut amount = m.amount;
            amount.rescale(minor);
            let _ = write!(text.bytes, "{amount} {}", m.currency);
        }
    }
    text.end();
    mantissa
}

/// Text cells that are nearly always null (`errors`, `warnings`): the few
/// values with their rows, made a column at the end of the chunk.
#[derive(Default)]
struct Sparse {
    values: Vec<(u32, String)>,
}

impl Sparse {
    fn set(&mut self, row: usize, value: String) {
        self.values
            .push((u32::try_from(row).unwrap_or(u32::MAX), value));
    }

    /// The chunk's column; when no row has a value, a slice of `none`, the
    /// worker's column of nulls.
    fn finish(&mut self, rows: usize, none: &mut Repeated) -> ArrayRef {
        if self.values.is_empty() {
            return none.rows(rows, |n| arrow::array::new_null_array(&DataType::Utf8, n));
        }
        let mut values = std::mem::take(&mut self.values).into_iter().peekable();
        let cells = (0..rows).map(|row| {
            let here = values.peek().is_some_and(|(at, _)| *at as usize == row);
            here.then(|| values.next().map(|(_, v)| v)).flatten()
        });
        Arc::new(StringArray::from_iter(cells))
    }
}

/// A `Date32` cell: days since 1970-01-01, without making that date for
/// every row (`epoch()` is a calendar computation).
#[inline]
fn days_since_epoch(date: NaiveDate) -> i32 {
    chrono::Datelike::num_days_from_ce(&date) - EPOCH_FROM_CE
}

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const EPOCH_FROM_CE: i32 = 719_163;

/// A `Date32` cell's date: `epoch() + days`, without making the epoch (a
/// calendar computation) and adding a `Duration` for every cell. `None`
/// past the dates `NaiveDate` holds, as that sum gives.
#[inline]
fn date_of_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(EPOCH_FROM_CE)?)
}

/// One worker's rows of the current chunk.
pub struct Rows<'l> {
    layout: &'l Layout,
    csv: bool,
    /// Rows of the chunk so far.
    rows: usize,
    line: Vec<i64>,
    id: Text,
    /// Rows without an id.
    no_id: Nulls,
    as_of: Vec<i32>,
    /// Rows without an `as_of`: accounts that could not be evaluated.
    failed: Nulls,
    decisions: Vec<DecisionBuilders<'l>>,
    errors: Sparse,
    warnings: Sparse,
    /// `errors` and `warnings` where no row has any.
    no_problems: Repeated,
    policy_hash: Repeated,
}

impl Rows<'_> {
    /// Starts a row; its index in the chunk.
    fn start(&mut self, line: u64, id: Option<&str>) -> usize {
        // Signed, as Spark and Java read it.
        self.line.push(line as i64);
        if self.layout.with_id {
            match id {
                Some(id) => self.id.push(id),
                None => {
                    self.id.end();
                    self.no_id.null(self.rows);
                }
            }
        }
        self.rows += 1;
        self.rows - 1
    }

    /// One evaluated account.
    pub fn record(
        &mut self,
        line: u64,
        id: Option<&str>,
        verdicts: &Verdicts,
        as_of: NaiveDate,
        warnings: &[FactProblem],
    ) {
        let row = self.start(line, id);
        self.as_of.push(days_since_epoch(as_of));
        let layout = self.layout;
        for v in verdicts.iter() {
            let Some(column) = layout
                .by_decision
                .get(v.decision as usize)
                .copied()
                .flatten()
            else {
                continue;
            };
            // A second verdict for the same decision (none is made) would
            // shift the column's rows; the first stands.
            match self.decisions.get_mut(column) {
                Some(builders) if builders.filled == row => {
                    builders.verdict(row, v, verdicts, as_of, layout);
                }
                _ => {}
            }
        }
        for builders in &mut self.decisions {
            if builders.filled == row {
                builders.null(row);
            }
        }
        if !warnings.is_empty() {
            let mut text = Vec::new();
            super::write::problems(warnings, &mut text);
            self.warnings
                .set(row, String::from_utf8_lossy(&text).into_owned());
        }
    }

    /// One account that could not be evaluated.
    pub fn error(&mut self, line: u64, id: Option<&str>, problems: &[FactProblem]) {
        let row = self.start(line, id);
        self.as_of.push(0);
        self.failed.null(row);
        for builders in &mut self.decisions {
            builders.null(row);
        }
        let mut text = Vec::new();
        super::write::problems(problems, &mut text);
        self.errors
            .set(row, String::from_utf8_lossy(&text).into_owned());
    }

    /// The chunk's rows as a batch (emptying the builders).
    pub fn batch(&mut self) -> Result<RecordBatch, ArrowError> {
        let rows = std::mem::take(&mut self.rows);
        let line = Int64Array::new(id_lists::drain(&mut self.line).into(), None);
        let mut columns: Vec<ArrayRef> = vec![Arc::new(line)];
        if self.layout.with_id {
            columns.push(
                self.id
                    .finish(nulls::validity(rows, &[self.no_id.rows()]))?,
            );
            self.no_id.clear();
        }
        let as_of = id_lists::drain(&mut self.as_of);
        let valid = nulls::validity(rows, &[self.failed.rows()]);
        self.failed.clear();
        columns.push(Arc::new(Date32Array::new(as_of.into(), valid)));
        let (hash, dictionaries) = (&self.layout.policy_hash, self.layout.dictionaries);
        columns.push(self.policy_hash.rows(rows, |n| {
            match dictionaries {
                // Keys into a dictionary that is the hash alone cannot be wrong.
                true => DictionaryArray::<UInt8Type>::try_new(
                    UInt8Array::from(vec![0u8; n]),
                    hash.clone(),
                )
                .map_or_else(|_| repeated(n, hash), |a| Arc::new(a) as ArrayRef),
                false => repeated(n, hash),
            }
        }));
        for builders in &mut self.decisions {
            builders.finish(rows, self.layout.dictionaries, &mut columns)?;
        }
        columns.push(self.errors.finish(rows, &mut self.no_problems));
        columns.push(self.warnings.finish(rows, &mut self.no_problems));
        RecordBatch::try_new(self.layout.schema(), columns)
    }

    /// Ends the chunk: its rows as CSV text in `out`, or as a batch.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>, batch: &mut Option<RecordBatch>) {
        let rows = match self.batch() {
            Ok(rows) => rows,
            // The builders follow the layout; a mismatch is a bug, shown in the output.
            Err(e) => {
                let _ = writeln!(out, "error: {e}");
                return;
            }
        };
        if self.csv {
            csv_rows(&rows, out);
        } else {
            *batch = Some(rows);
        }
    }
}

/// The digits of `mantissa` at `scale` as `Decimal`'s `Display` writes them
/// (`-1234.50`: every digit of its scale), at the start of `buffer`; their
/// length, or `None` for a mantissa past a `u64`, left to `Display`. Its
/// bytes are ASCII.
fn decimal_digits(mantissa: i128, scale: u32, buffer: &mut [u8]) -> Option<usize> {
    // Nearly every amount fits a u64, whose division by ten is a multiply;
    // a u128's is a call into the runtime, per digit.
    let n = u64::try_from(mantissa.unsigned_abs()).ok()?;
    // Past 10^19 the point's place is found digit by digit.
    let Some(unit) = 10u64.checked_pow(scale) else {
        return digit_by_digit(mantissa, n, scale, buffer);
    };
    let (whole, part) = (n / unit, n % unit);
    // At least one digit before the point, every digit of the scale after it.
    let whole_digits = whole.checked_ilog10().map_or(1, |l| l + 1) as usize;
    let sign = usize::from(mantissa < 0);
    let point = usize::from(scale > 0);
    let len = sign + whole_digits + point + scale as usize;
    let cell = buffer.get_mut(..len)?;
    let (head, fraction) = cell.split_at_mut(sign + whole_digits);
    if let Some((dot, fraction)) = fraction.split_first_mut() {
        *dot = b'.';
        put_digits(part, fraction)?;
    }
    let (minus, whole_cell) = head.split_at_mut(sign);
    put_digits(whole, whole_cell)?;
    if let Some(minus) = minus.first_mut() {
        *minus = b'-';
    }
    Some(len)
}

/// `00` to `99`: digits written two at a time, one division by 100 for two.
const PAIRS: [u8; 200] = {
    let mut pairs = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        pairs[2 * i] = b'0' + (i / 10) as u8;
        pairs[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    pairs
};

/// The last `cell.len()` digits of `n` into `cell`, zeros before them.
#[inline]
fn put_digits(mut n: u64, cell: &mut [u8]) -> Option<()> {
    let mut end = cell.len();
    while end >= 2 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        cell.get_mut(end - 2..end)?
            .copy_from_slice(PAIRS.get(pair..pair + 2)?);
        end -= 2;
    }
    if end == 1 {
        *cell.first_mut()? = b'0' + (n % 10) as u8;
    }
    Some(())
}

/// [`decimal_digits`] one digit at a time, for a scale past 10^19.
fn digit_by_digit(mantissa: i128, mut n: u64, scale: u32, buffer: &mut [u8]) -> Option<usize> {
    // Every digit of the scale, and one before the point.
    let digits = n.checked_ilog10().map_or(1, |l| l + 1).max(scale + 1);
    let len = usize::from(mantissa < 0) + digits as usize + usize::from(scale > 0);
    // At most 29 digits, a point and a sign: well inside the buffer.
    let mut at = len;
    let mut put = |at: &mut usize, byte: u8| -> Option<()> {
        *at = at.checked_sub(1)?;
        *buffer.get_mut(*at)? = byte;
        Some(())
    };
    for written in 1..=digits {
        put(&mut at, b'0' + (n % 10) as u8)?;
        n /= 10;
        if written == scale {
            put(&mut at, b'.')?;
        }
    }
    if mantissa < 0 {
        put(&mut at, b'-')?;
    }
    Some(len)
}

/// A plain text column of the chunk: the one value of `values` in each of
/// its `rows` rows.
fn repeated(rows: usize, values: &ArrayRef) -> ArrayRef {
    let value = values
        .as_string_opt::<i32>()
        .filter(|v| !v.is_empty())
        .map_or("", |v| v.value(0));
    Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
        value, rows,
    )))
}

/// Quotes a CSV cell when it must be.
fn csv_cell(text: &str, line: &mut String) {
    if text.contains([',', '"', '\n', '\r', ';']) {
        line.push('"');
        line.push_str(&text.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(text);
    }
}

/// Renders record rows as CSV: lists joined by `;`, nulls empty.
fn csv_rows(rows: &RecordBatch, out: &mut Vec<u8>) {
    let mut line = String::new();
    for row in 0..rows.num_rows() {
        line.clear();
        for (i, column) in rows.columns().iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            if column.is_null(row) {
                continue;
            }
            match column.data_type() {
                DataType::Int64 => {
                    let n = column.as_primitive::<Int64Type>().value(row);
                    line.push_str(&n.to_string());
                }
                DataType::Utf8 => csv_cell(column.as_string::<i32>().value(row), &mut line),
                // The word, not the key.
                DataType::Dictionary(..) => {
                    if let Some(words) = column.as_dictionary_opt::<UInt8Type>() {
                        let key = usize::from(words.keys().value(row));
                        if let Some(values) = words.values().as_string_opt::<i32>()
                            && key < values.len()
                        {
                            csv_cell(values.value(key), &mut line);
                        }
                    }
                }
                DataType::Date32 => {
                    let days = column.as_primitive::<Date32Type>().value(row);
                    let date = epoch() + chrono::Duration::days(i64::from(days));
                    line.push_str(&date.format("%Y-%m-%d").to_string());
                }
                DataType::Decimal128(_, scale) => {
                    let n = column.as_primitive::<Decimal128Type>().value(row);
                    let d = rust_decimal::Decimal::try_from_i128_with_scale(n, *scale as u32)
                        .unwrap_or_default();
                    line.push_str(&d.to_string());
                }
                DataType::List(_) => {
                    let list = column.as_list::<i32>().value(row);
                    csv_cell(&id_lists::texts(&list).join(";"), &mut line);
                }
                _ => {}
            }
        }
        line.push('\n');
        out.extend_from_slice(line.as_bytes());
    }
}

/// Record batches in, handed out a chunk's worth of rows at a time.
pub struct RowSource<'r> {
    batches: Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send + 'r>,
    pending: Option<RecordBatch>,
    /// An error of the input, returned once the rows before it are out.
    failed: Option<ArrowError>,
    /// The input's columns that are no fact (see [`unknown_columns`]).
    unknown: Vec<FactProblem>,
}

impl<'r> RowSource<'r> {
    pub fn new(
        batches: impl Iterator<Item = Result<RecordBatch, ArrowError>> + Send + 'r,
    ) -> RowSource<'r> {
        RowSource {
            batches: Box::new(batches),
            pending: None,
            failed: None,
            unknown: Vec::new(),
        }
    }

    /// The rows of a Parquet file.
    pub fn parquet(
        file: std::fs::File,
        schema: &crate::model::schema::Schema,
    ) -> Result<RowSource<'static>, parquet::errors::ParquetError> {
        let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?;
        let unknown = unknown_columns(builder.schema(), schema);
        let reader = builder.with_batch_size(CHUNK_ROWS).build()?;
        Ok(RowSource {
            unknown,
            ..RowSource::new(reader)
        })
    }

    /// The file's columns that are no fact of the schema, as warnings: the
    /// caller says them once, before the rows.
    pub fn unknown_columns(&self) -> &[FactProblem] {
        &self.unknown
    }

    /// The next batches of the input, whole, up to `count` rows together,
    /// into `into`; a batch longer than `count` by itself is cut. False at
    /// the end. Small batches (a JSON reader's, some two thousand rows)
    /// make one chunk together, so their records are one batch: each batch
    /// handed to Python costs the import of its some 47 arrays.
    pub(crate) fn next_rows(
        &mut self,
        count: usize,
        into: &mut Vec<RecordBatch>,
    ) -> io::Result<bool> {
        let mut total = 0;
        loop {
            if let Some(e) = self.failed.take() {
                // The rows before the error are handed out first.
                if total > 0 {
                    self.failed = Some(e);
                    return Ok(true);
                }
                return Err(io::Error::other(e));
            }
            let batch = match self.pending.take() {
                Some(batch) => batch,
                None => match self.batches.next() {
                    Some(Ok(batch)) => batch,
                    Some(Err(e)) => {
                        self.failed = Some(e);
                        continue;
                    }
                    None => return Ok(total > 0),
                },
            };
            let rows = batch.num_rows();
            if rows == 0 {
                continue;
            }
            if total + rows > count {
                if total > 0 {
                    self.pending = Some(batch);
                } else {
                    self.pending = Some(batch.slice(count, rows - count));
                    into.push(batch.slice(0, count));
                }
                return Ok(true);
            }
            into.push(batch);
            total += rows;
            if total == count {
                return Ok(true);
            }
        }
    }
}

/// Where one fact is in the input rows: its column, cast to one of the
/// types read here.
struct Source {
    slot: u32,
    column: ArrayRef,
    /// The optional record the field is in, by index in `records`.
    record: Option<usize>,
    /// Rows where neither the column nor a struct around it is null (`None`:
    /// every row), so a row needs one bit test instead of one per level.
    valid: Option<NullBuffer>,
    /// The column downcast once per chunk, not once per row.
    cells: Cells,
}

/// A fact column as the typed array it is read from.
enum Cells {
    /// Text cells of a text fact: the value is the cell's text.
    Words(StringArray),
    /// Text cells of an enum fact, and the enum's members (a cell that
    /// names none is left to the careful loader, which says why).
    Member(StringArray, Arc<[String]>),
    /// Text cells of a money fact (`1234.50 USD`), and its currency.
    Money(StringArray, Currency),
    /// Text cells of any other fact, read as a JSON string would be.
    Text(StringArray),
    Bool(BooleanArray),
    Int(Int64Array),
    /// Days since 1970-01-01, for a date fact.
    Date(Date32Array),
    /// Decimal cells of a money fact: the scale, and the currency's code.
    Decimals(Decimal128Array, u32, Currency),
    /// Anything else: the row goes to the careful loader.
    Other,
}

impl Cells {
    fn new(column: &ArrayRef, ty: Option<&Type>, schema: &crate::model::schema::Schema) -> Cells {
        match (column.data_type(), ty) {
            (DataType::Utf8, Some(Type::Text)) => Cells::Words(column.as_string::<i32>().clone()),
            (DataType::Utf8, Some(Type::Enum(id))) => Cells::Member(
                column.as_string::<i32>().clone(),
                schema
                    .enum_type(*id)
                    .map(|e| e.members.clone())
                    .unwrap_or_default()
                    .into(),
            ),
            (DataType::Utf8, Some(Type::Money(currency))) => {
                Cells::Money(column.as_string::<i32>().clone(), *currency)
            }
            (DataType::Utf8, _) => Cells::Text(column.as_string::<i32>().clone()),
            (DataType::Boolean, _) => Cells::Bool(column.as_boolean().clone()),
            (DataType::Int64, _) => Cells::Int(column.as_primitive::<Int64Type>().clone()),
            (DataType::Date32, Some(Type::Date)) => {
                Cells::Date(column.as_primitive::<Date32Type>().clone())
            }
            (DataType::Decimal128(_, scale), Some(Type::Money(currency))) if *scale >= 0 => {
                Cells::Decimals(
                    column.as_primitive::<Decimal128Type>().clone(),
                    *scale as u32,
                    *currency,
                )
            }
            _ => Cells::Other,
        }
    }
}

/// The input columns of a chunk, resolved against the schema.
pub struct Columns {
    sources: Vec<Source>,
    /// Each slot's optional record, by index in `records`.
    field_records: Vec<Option<usize>>,
    /// The slots a row may leave absent: optional fields and the fields of
    /// optional records (slot, optional, record).
    may_be_absent: Vec<(u32, bool, Option<usize>)>,
    /// For each optional record: its struct column (or none, for flat columns).
    records: Vec<Option<ArrayRef>>,
    /// Rows in the chunk.
    rows: usize,
    /// The rows being read, a block at a time (`direct`): lent by reference
    /// to `decide_direct`, built into values for `read`.
    direct: RefCell<direct::Direct>,
}

/// What reading one row gave.
pub enum RowRead {
    /// The facts are in the values.
    Fast,
    /// Loaded through the careful loader.
    Loaded(Loaded),
    /// The row's id, and its problems.
    Failed(Option<String>, Vec<FactProblem>),
}

/// A column cast to the type read for it.
fn normal(column: &ArrayRef) -> ArrayRef {
    let target = match column.data_type() {
        DataType::Utf8
        | DataType::Boolean
        | DataType::Int64
        | DataType::Date32
        | DataType::Decimal128(..)
        | DataType::Float64
        | DataType::Struct(_) => return column.clone(),
        DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => DataType::Utf8,
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => DataType::Int64,
        // A date read as a timestamp (as JSON readers infer `2026-11-25`).
        DataType::Date64 | DataType::Timestamp(..) => DataType::Date32,
        DataType::Float16 | DataType::Float32 => DataType::Float64,
        _ => return column.clone(),
    };
    match arrow::compute::cast(column, &target) {
        // A cast that made a null of a value (an integer past i64, a
        // timestamp past the dates chrono holds) would read as "not given":
        // the column stays as it is, and its rows go to the careful loader,
        // which names what is wrong with each value.
        Ok(cast) if cast.logical_null_count() == column.logical_null_count() => cast,
        _ => column.clone(),
    }
}

impl Columns {
    /// Finds each fact's column in `rows`.
    pub fn resolve(program: &Program, rows: &RecordBatch) -> Columns {
        let schema = &program.schema;
        let records: Vec<&String> = schema
            .fields
            .iter()
            .filter_map(|f| f.optional_record.as_ref())
            .fold(Vec::new(), |mut all, r| {
                if !all.contains(&r) {
                    all.push(r);
                }
                all
            });
        let mut record_columns = vec![None; records.len()];
        let mut sources = Vec::new();
        let mut field_records = Vec::new();
        for (slot, field) in schema.fields.iter().enumerate() {
            let record = field
                .optional_record
                .as_ref()
                .and_then(|r| records.iter().position(|x| *x == r));
            field_records.push(record);
            let found = match rows.column_by_name(&field.path) {
                Some(column) => Some((column.clone(), Vec::new())),
                None => nested(rows, &field.path),
            };
            let Some((column, parents)) = found else {
                continue;
            };
            if let (Some(r), Some(record_path)) = (record, field.optional_record.as_ref()) {
                let depth = record_path.split('.').count();
                if let (Some(place), Some(parent)) =
                    (record_columns.get_mut(r), parents.get(depth - 1))
                {
                    *place = Some(parent.clone());
                }
            }
            let column = normal(&column);
            // Without a null row, no bitmap: no bit is tested per row.
            let valid = parents
                .iter()
                .fold(column.nulls().cloned(), |valid, p| {
                    NullBuffer::union(valid.as_ref(), p.nulls())
                })
                .filter(|valid| valid.null_count() > 0);
            sources.push(Source {
                slot: slot as u32,
                cells: Cells::new(&column, Some(&field.ty), schema),
                column,
                record,
                valid,
            });
        }
        let may_be_absent = (0u32..)
            .zip(schema.fields.iter().zip(&field_records))
            .filter(|(_, (field, record))| field.optional || record.is_some())
            .map(|(slot, (field, record))| (slot, field.optional, *record))
            .collect();
        Columns {
            sources,
            may_be_absent,
            field_records,
            records: record_columns,
            rows: rows.num_rows(),
            direct: RefCell::default(),
        }
    }

    /// One row's facts; `None` when the row cannot be read.
    pub fn facts(
        &self,
        program: &Program,
        reader: &SlotReader,
        row: usize,
        values: &mut Vec<Option<Value>>,
    ) -> Option<crate::input::facts::Facts> {
        match self.read(program, reader, row, values) {
            RowRead::Fast => Some(crate::input::facts::Facts {
                values: values.clone(),
            }),
            RowRead::Loaded(loaded) => Some(loaded.facts),
            RowRead::Failed(..) => None,
        }
    }

    /// Reads one row's facts into `values`, as the fast reader does. Rows
    /// read in order are read a block at a time, column by column.
    pub fn read(
        &self,
        program: &Program,
        reader: &SlotReader,
        row: usize,
        values: &mut Vec<Option<Value>>,
    ) -> RowRead {
        if let Ok(mut block) = self.direct.try_borrow_mut() {
            match block.take(self, program, reader, row) {
                direct::Taken::Fast(source) => {
                    source.values_into(&program.schema, values);
                    return RowRead::Fast;
                }
                direct::Taken::Careful => return self.careful(program, row),
            }
        }
        self.read_row(program, reader, row, values)
    }

    /// Reads `row` by reference and hands it to `decide`: `Ok` with what
    /// `decide` gave. `Err` with the row read the existing way (as
    /// [`Columns::read`] reads it) when a cell cannot be read directly, or
    /// when `decide` gives `None`.
    pub(crate) fn decide_direct<T>(
        &self,
        program: &Program,
        reader: &SlotReader,
        row: usize,
        values: &mut Vec<Option<Value>>,
        decide: impl FnOnce(&direct::ArrowRow<'_>) -> Option<T>,
    ) -> Result<T, RowRead> {
        if let Ok(mut block) = self.direct.try_borrow_mut() {
            match block.take(self, program, reader, row) {
                direct::Taken::Fast(source) => {
                    if let Some(decided) = decide(&source) {
                        return Ok(decided);
                    }
                }
                direct::Taken::Careful => return Err(self.careful(program, row)),
            }
        }
        Err(self.read_row(program, reader, row, values))
    }

    /// Reads one row's facts by itself.
    fn read_row(
        &self,
        program: &Program,
        reader: &SlotReader,
        row: usize,
        values: &mut Vec<Option<Value>>,
    ) -> RowRead {
        let schema = &program.schema;
        values.clear();
        values.resize(schema.fields.len(), None);
        // Which optional records the row has; on the stack for the usual few.
        let mut inline = [false; 8];
        let mut spilled;
        let present: &mut [bool] = match inline.get_mut(..self.records.len()) {
            Some(present) => present,
            None => {
                spilled = vec![false; self.records.len()];
                &mut spilled
            }
        };
        for (column, p) in self.records.iter().zip(present.iter_mut()) {
            if let Some(column) = column {
                *p = column.is_valid(row);
            }
        }
        let mut fast = true;
        for source in &self.sources {
            if source.valid.as_ref().is_some_and(|v| v.is_null(row)) {
                continue;
            }
            // A flat column's value makes its record present.
            if let Some(r) = source.record
                && self.records.get(r).is_some_and(Option::is_none)
                && let Some(p) = present.get_mut(r)
            {
                *p = true;
            }
            let read = match &source.cells {
                Cells::Words(cells)
                | Cells::Member(cells, ..)
                | Cells::Money(cells, _)
                | Cells::Text(cells) => reader.read_str(source.slot, cells.value(row)),
                Cells::Bool(cells) => reader.read_bool(source.slot, cells.value(row)),
                Cells::Int(cells) => reader.read_i64(source.slot, cells.value(row)),
                Cells::Date(cells) => epoch()
                    .checked_add_signed(chrono::Duration::days(i64::from(cells.value(row))))
                    .map(Value::Date),
                Cells::Decimals(cells, scale, currency) => {
                    rust_decimal::Decimal::try_from_i128_with_scale(cells.value(row), *scale)
                        .ok()
                        .and_then(|d| {
                            reader.read_str(source.slot, &format!("{d} {}", currency.code()))
                        })
                }
                Cells::Other => None,
            };
            match (read, values.get_mut(source.slot as usize)) {
                (Some(value), Some(place)) => *place = Some(value),
                _ => {
                    fast = false;
                    break;
                }
            }
        }
        if fast {
            for ((value, field), record) in values
                .iter_mut()
                .zip(&schema.fields)
                .zip(&self.field_records)
            {
                let record_absent =
                    record.is_some_and(|r| !present.get(r).copied().unwrap_or(false));
                if value.is_none() && (field.optional || record_absent) {
                    *value = Some(Value::Absent);
                }
            }
            return RowRead::Fast;
        }
        self.careful(program, row)
    }

    /// The row as a JSON document, through the careful loader.
    fn careful(&self, program: &Program, row: usize) -> RowRead {
        let mut document = serde_json::Map::new();
        for source in &self.sources {
            if source.valid.as_ref().is_some_and(|v| v.is_null(row)) {
                continue;
            }
            let Some(field) = program
                .schema
                .field(crate::model::schema::Slot(source.slot))
            else {
                continue;
            };
            let column = &source.column;
            // A column of nulls alone (`pa.nulls`, an all-None column) gives
            // no fact: as a null cell does.
            if column.data_type() == &DataType::Null {
                continue;
            }
            let value = match column.data_type() {
                DataType::Utf8 => serde_json::Value::from(column.as_string::<i32>().value(row)),
                // Kept as it is only when a value is past i64: the loader
                // says it is too large.
                DataType::UInt64 => serde_json::Value::from(
                    column
                        .as_primitive::<arrow::datatypes::UInt64Type>()
                        .value(row),
                ),
                DataType::Boolean => serde_json::Value::from(column.as_boolean().value(row)),
                DataType::Int64 => {
                    serde_json::Value::from(column.as_primitive::<Int64Type>().value(row))
                }
                DataType::Float64 => serde_json::Value::from(
                    column
                        .as_primitive::<arrow::datatypes::Float64Type>()
                        .value(row),
                ),
                DataType::Date32 => {
                    let days = column.as_primitive::<Date32Type>().value(row);
                    let date = epoch() + chrono::Duration::days(i64::from(days));
                    serde_json::Value::from(date.format("%Y-%m-%d").to_string())
                }
                DataType::Decimal128(_, scale) => {
                    let cells = column.as_primitive::<Decimal128Type>();
                    // A cell `Decimal` cannot hold (more than 28 digits, or a
                    // negative scale) is written as Arrow prints it, so that the
                    // loader names what is wrong with it instead of reading 0.
                    let d = u32::try_from(*scale)
                        .ok()
                        .and_then(|s| {
                            rust_decimal::Decimal::try_from_i128_with_scale(cells.value(row), s)
                                .ok()
                        })
                        .map_or_else(|| cells.value_as_string(row), |d| d.to_string());
                    match field.ty {
                        Type::Money(c) => serde_json::Value::from(format!("{d} {}", c.code())),
                        _ => serde_json::Value::from(d),
                    }
                }
                other => {
                    let problem = FactProblem {
                        path: field.path.clone(),
                        message: format!("the column has type {other}, which credo cannot read"),
                        help: Some(
                            "store it as text, a boolean, an integer, a date or a decimal".into(),
                        ),
                        position: None,
                        severity: crate::lang::diagnostics::Severity::Error,
                        code: crate::input::facts::codes::WRONG_TYPE,
                    };
                    return RowRead::Failed(None, vec![problem]);
                }
            };
            insert(&mut document, &field.path, value);
        }
        let text = serde_json::Value::Object(document).to_string();
        match facts::load_text(&program.schema, &text, Format::Json) {
            Ok(loaded) => RowRead::Loaded(loaded),
            Err(problems) => {
                let id = program
                    .schema
                    .slot("account.id")
                    .and_then(|_| super::id_in_json(text.as_bytes(), "account.id"));
                RowRead::Failed(id, problems)
            }
        }
    }
}

/// `account.segment` in a struct column `account`, with the struct columns
/// on the way.
fn nested(rows: &RecordBatch, path: &str) -> Option<(ArrayRef, Vec<ArrayRef>)> {
    let mut parts = path.split('.');
    let mut column = rows.column_by_name(parts.next()?)?.clone();
    let mut parents = Vec::new();
    for part in parts {
        let child = column.as_struct_opt()?.column_by_name(part)?.clone();
        parents.push(column);
        column = child;
    }
    (!parents.is_empty()).then_some((column, parents))
}

/// Puts `value` at a dotted path in a JSON object.
fn insert(
    document: &mut serde_json::Map<String, serde_json::Value>,
    path: &str,
    value: serde_json::Value,
) {
    match path.split_once('.') {
        None => {
            document.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let entry = document
                .entry(head.to_owned())
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if let serde_json::Value::Object(inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    /// The digits written by hand are the digits `Display` writes.
    #[test]
    fn decimal_digits_are_display() {
        let mut checked = 0;
        for mantissa in [
            0i128,
            1,
            -1,
            5,
            -5,
            99,
            100,
            -100,
            123_456,
            -987_654_321,
            9,
            10,
            -999,
            1000,
            10_000_000_000_000_000_000,
            9_999_999_999_999_999_999,
            i128::from(i64::MAX),
            i128::from(u64::MAX),
            -i128::from(u64::MAX),
            79_228_162_514_264_337_593_543_950_335,
        ] {
            for scale in [0, 1, 2, 3, 4, 8, 18, 19, 20, 28] {
                let Ok(amount) = Decimal::try_from_i128_with_scale(mantissa, scale) else {
                    continue;
                };
                let mut buffer = [0u8; 48];
                // Past a u64 the caller writes through `Display`.
                let expected =
                    (mantissa.unsigned_abs() <= u128::from(u64::MAX)).then(|| amount.to_string());
                let digits = super::decimal_digits(mantissa, scale, &mut buffer);
                assert_eq!(
                    digits.map(|len| std::str::from_utf8(&buffer[..len]).unwrap()),
                    expected.as_deref()
                );
                checked += 1;
            }
        }
        assert!(checked > 150);
    }

    /// An amount's outcome text and mantissa are those of the amount
    /// rescaled to its currency's digits, as `Display` writes it: fewer
    /// digits, more, none, negative, a negative zero, past a `u64`.
    #[test]
    fn amount_text_is_rescaled_display() {
        use crate::base::money::{Currency, Money};
        let mut text = super::Text::new();
        let mut expected = Vec::new();
        for (mantissa, scale, code) in [
            (123_450i128, 2, "USD"),
            (12_345, 1, "USD"),
            (123_456, 3, "USD"),
            (-5, 0, "EUR"),
            (1234, 0, "JPY"),
            (1_234_567, 3, "JPY"),
            (0, 2, "USD"),
            (-1, 3, "USD"),
            (79_228_162_514_264_337_593_543_950, 2, "USD"),
        ] {
            let currency = Currency::from_code(code).unwrap();
            let amount = Decimal::try_from_i128_with_scale(mantissa, scale).unwrap();
            let mut rescaled = amount;
            rescaled.rescale(currency.minor_digits());
            let mantissa = super::amount_text(&Money::new(amount, currency), &mut text);
            assert_eq!(mantissa, rescaled.mantissa(), "{amount} {code}");
            expected.push(format!("{rescaled} {code}"));
        }
        let column = text.finish(None).unwrap();
        let column = column
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        let written: Vec<&str> = column.iter().flatten().collect();
        assert_eq!(written, expected);
    }

    /// Days since the epoch are the dates' difference, before it and after.
    #[test]
    fn days_since_epoch_is_the_difference() {
        for (y, m, d) in [
            (1970, 1, 1),
            (1969, 12, 31),
            (2026, 11, 25),
            (1, 1, 1),
            (9999, 12, 31),
        ] {
            let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let days = (date - super::epoch()).num_days();
            assert_eq!(i64::from(super::days_since_epoch(date)), days, "{date}");
        }
    }

    /// Small batches are handed out together up to the count, a long one
    /// is cut, and an error of the input comes after the rows before it.
    #[test]
    fn small_batches_make_one_chunk() {
        use arrow::array::Int64Array;
        use arrow::error::ArrowError;
        use arrow::record_batch::RecordBatch;
        let batch = |rows: i64| {
            let column = Int64Array::from_iter_values(0..rows);
            Ok(RecordBatch::try_from_iter([("n", std::sync::Arc::new(column) as _)]).unwrap())
        };
        let input: Vec<Result<RecordBatch, ArrowError>> = vec![
            batch(3),
            batch(0),
            batch(4),
            batch(2),
            batch(25),
            batch(1),
            Err(ArrowError::ComputeError("broken".into())),
            batch(1),
        ];
        let mut source = super::RowSource::new(input.into_iter());
        let mut chunks = Vec::new();
        loop {
            let mut pieces = Vec::new();
            match source.next_rows(10, &mut pieces) {
                Ok(true) => chunks.push(pieces.iter().map(|b| b.num_rows()).collect::<Vec<_>>()),
                Ok(false) => break,
                Err(e) => {
                    assert!(e.to_string().contains("broken"), "{e}");
                    chunks.push(Vec::new());
                    break;
                }
            }
        }
        assert_eq!(
            chunks,
            [vec![3, 4, 2], vec![10], vec![10], vec![5, 1], Vec::new()]
        );
    }

    /// A `Date32` cell's date is the epoch plus its days, or none past the
    /// dates there are, at both ends.
    #[test]
    fn date_of_days_is_the_epoch_plus_days() {
        for days in [
            0,
            1,
            -1,
            20_782,
            -719_162,
            -719_163,
            2_932_896,
            95_000_000,
            -95_000_000,
            i32::MAX,
            i32::MIN,
        ] {
            let sum = super::epoch().checked_add_signed(chrono::Duration::days(i64::from(days)));
            assert_eq!(super::date_of_days(days), sum, "{days}");
        }
    }

    /// Sparse cells land in their rows, the rest null.
    #[test]
    fn sparse_cells_land_in_their_rows() {
        let mut cells = super::Sparse::default();
        cells.set(1, "one".into());
        cells.set(3, "three".into());
        let mut none = super::Repeated::default();
        let column = cells.finish(5, &mut none);
        let column = column
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        let got: Vec<Option<&str>> = column.iter().collect();
        assert_eq!(got, [None, Some("one"), None, Some("three"), None]);
        assert_eq!(cells.finish(2, &mut none).null_count(), 2);
    }
}
