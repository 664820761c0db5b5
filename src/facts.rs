//! Loading a fact document against the schema.
//!
//! Every value is checked against its field's type. A wrong value is an
//! error naming the field and the value, never a silent default; a field
//! the schema does not know is a warning. A fact that is not given stays
//! unknown, unless the schema declares what its absence means.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;

use crate::diagnostics::Severity;
use crate::doc::{self, Doc};
use crate::ir::Value;
use crate::money::{Money, MoneyError};
use crate::schema::{Field, Schema, Type};
use crate::suggest;

/// One account's facts, by slot. `None` is unknown.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub values: Vec<Option<Value>>,
}

impl Facts {
    /// The date the facts were written for (`as_of`), if they say.
    pub fn as_of(&self, schema: &Schema) -> Option<NaiveDate> {
        let slot = schema.slot("as_of")?;
        match self.values.get(slot.0 as usize)? {
            Some(Value::Date(d)) => Some(*d),
            _ => None,
        }
    }
}

/// A problem with one fact: where it is, what is wrong, what would fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactProblem {
    /// The field path, such as `account.created_via`; empty for the whole document.
    pub path: String,
    pub message: String,
    pub help: Option<String>,
    /// Line and column in the file, for documents that could not be parsed.
    pub position: Option<(usize, usize)>,
    /// A warning leaves the facts usable; an error rejects them.
    pub severity: Severity,
}

impl FactProblem {
    fn new(path: &str, message: String, help: Option<String>) -> FactProblem {
        FactProblem {
            path: path.to_owned(),
            message,
            help,
            position: None,
            severity: Severity::Error,
        }
    }

    fn warning(path: &str, message: String, help: Option<String>) -> FactProblem {
        FactProblem {
            severity: Severity::Warning,
            ..FactProblem::new(path, message, help)
        }
    }

    /// `facts.yaml: account.segment: ... (help: ...)`, one line.
    pub fn render(&self, file: &str) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut at = file.to_owned();
        if let Some((line, column)) = self.position {
            at.push_str(&format!(":{line}:{column}"));
        }
        let mut out = format!("{severity}: {at}: ");
        if !self.path.is_empty() {
            out.push_str(&format!("{}: ", self.path));
        }
        out.push_str(&self.message);
        if let Some(help) = &self.help {
            out.push_str(&format!("\n  help: {help}"));
        }
        out
    }
}

/// Loaded facts, with warnings about fields the schema does not know.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub facts: Facts,
    pub warnings: Vec<FactProblem>,
}

/// The format of a fact document, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    /// `.yaml`/`.yml` or `.json`; anything else is not a fact file.
    pub fn of_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Parses and loads a fact document.
pub fn load_text(schema: &Schema, text: &str, format: Format) -> Result<Loaded, Vec<FactProblem>> {
    if text.trim().is_empty() {
        return Err(vec![FactProblem::new(
            "",
            "the fact document is empty".into(),
            Some(
                "write the facts as a mapping, such as `account: {created_via: ads_manager}`"
                    .into(),
            ),
        )]);
    }
    let parsed = match format {
        Format::Yaml => doc::from_yaml(text),
        Format::Json => doc::from_json(text),
    };
    let doc = parsed.map_err(|e| {
        vec![FactProblem {
            path: String::new(),
            message: format!(
                "not valid {}: {}",
                if format == Format::Yaml {
                    "YAML"
                } else {
                    "JSON"
                },
                e.message
            ),
            help: None,
            position: e.line.zip(e.column),
            severity: Severity::Error,
        }]
    })?;
    load(schema, &doc)
}

/// Checks a parsed document against the schema.
pub fn load(schema: &Schema, doc: &Doc) -> Result<Loaded, Vec<FactProblem>> {
    let mut loader = Loader {
        schema,
        values: vec![None; schema.fields.len()],
        present_records: BTreeSet::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    match doc {
        Doc::Map(entries) => loader.record("", entries),
        Doc::Null => loader.errors.push(FactProblem::new(
            "",
            "the fact document is empty".into(),
            Some(
                "write the facts as a mapping, such as `account: {created_via: ads_manager}`"
                    .into(),
            ),
        )),
        other => loader.errors.push(FactProblem::new(
            "",
            format!(
                "the fact document must be a mapping, found {}",
                other.describe()
            ),
            None,
        )),
    }
    if !loader.errors.is_empty() {
        // Warnings still matter when the facts are rejected: a misspelt
        // field often explains a missing one.
        let mut problems = loader.errors;
        problems.extend(loader.warnings);
        return Err(problems);
    }
    let Loader {
        mut values,
        present_records,
        warnings,
        ..
    } = loader;
    for (value, field) in values.iter_mut().zip(&schema.fields) {
        let record_absent = field
            .optional_record
            .as_ref()
            .is_some_and(|r| !present_records.contains(r));
        if value.is_none() && (field.optional || record_absent) {
            *value = Some(Value::Absent);
        }
    }
    Ok(Loaded {
        facts: Facts { values },
        warnings,
    })
}

struct Loader<'s> {
    schema: &'s Schema,
    values: Vec<Option<Value>>,
    present_records: BTreeSet<String>,
    errors: Vec<FactProblem>,
    warnings: Vec<FactProblem>,
}

impl Loader<'_> {
    fn record(&mut self, prefix: &str, entries: &[(String, Doc)]) {
        for (key, value) in entries {
            let path = format!("{prefix}{key}");
            if let Some(slot) = self.schema.slot(&path) {
                let Some(field) = self.schema.field(slot) else {
                    continue;
                };
                match convert(self.schema, field, value) {
                    Ok(v) => {
                        if let Some(place) = self.values.get_mut(slot.0 as usize) {
                            *place = v;
                        }
                    }
                    Err(problem) => self.errors.push(problem),
                }
            } else if self.schema.records.contains_key(&path) {
                match value {
                    Doc::Map(inner) => {
                        self.present_records.insert(path.clone());
                        self.record(&format!("{path}."), inner);
                    }
                    // `request:` with nothing under it: the record is absent.
                    Doc::Null => {}
                    other => self.errors.push(FactProblem::new(
                        &path,
                        format!("expected a mapping of fields, found {}", other.describe()),
                        None,
                    )),
                }
            } else {
                let siblings = self
                    .schema
                    .paths()
                    .chain(self.schema.records.keys().map(String::as_str))
                    .filter_map(|p| p.strip_prefix(prefix))
                    .filter(|p| !p.contains('.'));
                let help =
                    suggest::closest(key, siblings).map(|s| format!("did you mean `{prefix}{s}`?"));
                self.warnings.push(FactProblem::warning(
                    &path,
                    "unknown field, ignored".into(),
                    help,
                ));
            }
        }
    }
}

/// Converts one document value to the field's type.
fn convert(schema: &Schema, field: &Field, doc: &Doc) -> Result<Option<Value>, FactProblem> {
    let path = field.path.as_str();
    let wrong = |help: Option<String>| {
        FactProblem::new(
            path,
            format!(
                "expected {}, found {}",
                schema.describe(field.ty),
                doc.describe()
            ),
            help,
        )
    };
    if *doc == Doc::Null {
        return Ok(field.optional.then_some(Value::Absent));
    }
    let value = match (field.ty, doc) {
        (Type::Text, Doc::String(s)) => Value::Text(s.as_str().into()),
        (Type::Text, Doc::Int(n)) => {
            return Err(wrong(Some(format!("quote it to make it text: \"{n}\""))));
        }
        (Type::Bool, Doc::Bool(b)) => Value::Bool(*b),
        (Type::Bool, Doc::String(s)) if matches!(s.as_str(), "true" | "false" | "yes" | "no") => {
            return Err(wrong(Some(format!(
                "write `true` or `false` unquoted; \"{s}\" is text (YAML 1.2 reads `yes` and `no` as text too)"
            ))));
        }
        (Type::Int, Doc::String(s)) if s.trim().parse::<i64>().is_ok() => {
            return Err(wrong(Some(format!(
                "write the number without quotes: {}",
                s.trim()
            ))));
        }
        (Type::Int, Doc::Float(f)) if f.bytes().all(|b| b.is_ascii_digit() || b == b'-') => {
            return Err(FactProblem::new(
                path,
                "the number is too large for an integer".into(),
                Some(format!("integers range from {} to {}", i64::MIN, i64::MAX)),
            ));
        }
        (Type::Int, Doc::Int(n)) => match i64::try_from(*n) {
            Ok(n) => Value::Int(n),
            Err(_) => {
                return Err(wrong(Some(format!(
                    "integers range from {} to {}",
                    i64::MIN,
                    i64::MAX
                ))));
            }
        },
        (Type::Date, Doc::String(s)) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => Value::Date(d),
            Err(_) => {
                return Err(FactProblem::new(
                    path,
                    format!("`{s}` is not a calendar date"),
                    Some("write dates as YYYY-MM-DD, such as 2026-11-25".into()),
                ));
            }
        },
        (Type::Money(currency), Doc::String(s)) => {
            let money: Money = s.parse().map_err(|e: MoneyError| {
                let help = match &e {
                    MoneyError::UnknownCurrency(_) | MoneyError::Amount(_)
                        if s.trim().starts_with(currency.code()) =>
                    {
                        let amount = s.trim().trim_start_matches(currency.code()).trim();
                        Some(format!("the amount comes first: \"{amount} {currency}\""))
                    }
                    MoneyError::UnknownCurrency(code) => crate::money::Currency::suggest(code)
                        .map(|c| format!("did you mean `{c}`?")),
                    MoneyError::Shape => Some(format!("write it as \"{} {currency}\"", s.trim())),
                    MoneyError::Amount(a) if a.contains(',') => {
                        Some(format!("write the amount with a decimal point and no separators, such as \"2500.00 {currency}\""))
                    }
                    MoneyError::TooPrecise { digits, .. } => {
                        Some(format!("{currency} has {digits} decimal places; round the amount"))
                    }
                    _ => Some(format!("write money as \"2500.00 {currency}\"")),
                };
                FactProblem::new(path, format!("`{s}` is not money: {e}"), help)
            })?;
            if money.currency != currency {
                return Err(FactProblem::new(
                    path,
                    format!("expected money in {currency}, found `{s}`"),
                    Some(format!(
                        "credo never converts currencies; give the amount in {currency}"
                    )),
                ));
            }
            Value::Money(money)
        }
        (Type::Money(currency), Doc::Int(n)) if field.default_currency => Value::Money(
            Money::parse_amount(&n.to_string(), currency)
                .map_err(|e| FactProblem::new(path, e.to_string(), None))?,
        ),
        (Type::Money(currency), Doc::Int(n)) => {
            return Err(wrong(Some(format!(
                "money needs a currency: write \"{n}.00 {currency}\""
            ))));
        }
        (Type::Money(currency), Doc::Float(f)) => {
            return Err(wrong(Some(format!(
                "write money as a string, such as \"{f} {currency}\", so that it stays exact"
            ))));
        }
        (Type::Enum(id), Doc::String(s)) => {
            let Some(members) = schema.enum_type(id) else {
                return Err(wrong(None));
            };
            match members.index_of(s) {
                Some(index) => Value::Member(id, index),
                None => {
                    let help = match suggest::closest(s, members.members.iter().map(String::as_str))
                    {
                        Some(m) => format!("did you mean `{m}`?"),
                        None => format!("the members are {}", members.members.join(", ")),
                    };
                    return Err(FactProblem::new(
                        path,
                        format!("`{s}` is not one of {}", members.members.join(", ")),
                        Some(help),
                    ));
                }
            }
        }
        _ => return Err(wrong(None)),
    };
    Ok(Some(value))
}
