//! Loading a fact document against the schema.
//!
//! Every value is checked against its field's type. A wrong value is an
//! error naming the field and the value, never a silent default; a field
//! the schema does not know is a warning. A fact that is not given stays
//! unknown, unless the schema declares what its absence means.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;

use crate::base::limits::{self, Limits, clip};
use crate::base::money::{Money, MoneyError};
use crate::base::suggest;
use crate::input::doc::{self, Doc};
use crate::lang::diagnostics::Severity;
use crate::model::ir::Value;
use crate::model::schema::{Field, Schema, Type};

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

/// Reads a fact document: a file by its extension, or `-` (stdin) by its
/// first character. More than `limits.max_fact_bytes`, or bytes that are not
/// UTF-8, are refused before parsing.
pub fn read(path: &Path, limits: &Limits) -> Result<(String, Format), FactProblem> {
    use std::io::Read as _;
    let problem = |message: String, help: Option<&str>| {
        FactProblem::new("", message, help.map(str::to_owned))
    };
    let stdin = path == Path::new("-");
    let format = match Format::of_path(path) {
        _ if stdin => None,
        Some(f) => Some(f),
        None => {
            return Err(problem(
                "facts must be a .yaml, .yml or .json file, or - for stdin".into(),
                None,
            ));
        }
    };
    let reader: Box<dyn std::io::Read> = if stdin {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| problem(format!("cannot read: {e}"), None))?)
    };
    let mut bytes = Vec::new();
    reader
        .take(limits.max_fact_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| problem(format!("cannot read: {e}"), None))?;
    if bytes.len() > limits.max_fact_bytes {
        return Err(problem(
            format!(
                "the fact document is larger than the limit of {}",
                limits::bytes(limits.max_fact_bytes)
            ),
            Some("one document holds one account's facts; raise the limit with `--max-fact-bytes`"),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let (line, column) = crate::base::source::byte_position(e.as_bytes(), valid);
        let byte = e.as_bytes().get(valid).copied().unwrap_or_default();
        FactProblem {
            position: Some((line, column)),
            ..problem(
                format!("not UTF-8 text: byte 0x{byte:02X} is not valid here"),
                Some("save the file as UTF-8"),
            )
        }
    })?;
    let format = format.unwrap_or_else(|| {
        if text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with(['{', '['])
        {
            Format::Json
        } else {
            Format::Yaml
        }
    });
    Ok((text, format))
}

/// Parses and loads a fact document.
pub fn load_text(schema: &Schema, text: &str, format: Format) -> Result<Loaded, Vec<FactProblem>> {
    load_text_with(schema, text, format, &Limits::default())
}

/// [`load_text`] within explicit [`Limits`]. A leading byte order mark is
/// ignored: editors write one, and it is not part of the facts.
pub fn load_text_with(
    schema: &Schema,
    text: &str,
    format: Format,
    limits: &Limits,
) -> Result<Loaded, Vec<FactProblem>> {
    if text.len() > limits.max_fact_bytes {
        return Err(vec![FactProblem::new(
            "",
            format!(
                "the fact document is larger than the limit of {}",
                limits::bytes(limits.max_fact_bytes)
            ),
            None,
        )]);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // An empty JSON file is as empty as an empty YAML one.
    let parsed = match format {
        _ if text.trim().is_empty() => Ok(Doc::Null),
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
            help: parse_help(
                &e.message,
                e.line.and_then(|l| text.lines().nth(l.saturating_sub(1))),
            ),
            position: e.line.zip(e.column),
            severity: Severity::Error,
        }]
    })?;
    load(schema, &doc)
}

/// Loads a JSON value a caller already parsed, with the same checks as text.
pub fn load_json_value(
    schema: &Schema,
    value: &serde_json::Value,
) -> Result<Loaded, Vec<FactProblem>> {
    let doc = doc::from_json_value(value).map_err(|e| {
        vec![FactProblem::new(
            "",
            format!("not a fact document: {}", e.message),
            None,
        )]
    })?;
    load(schema, &doc)
}

/// What to do about a document the parser rejected, when we can tell.
fn parse_help(message: &str, line: Option<&str>) -> Option<String> {
    let indented_by_tab = line.is_some_and(|l| {
        l.chars()
            .take_while(|c| c.is_whitespace())
            .any(|c| c == '\t')
    });
    let help = if indented_by_tab {
        "indent YAML with spaces, not tabs"
    } else if message == "number out of range" {
        "numbers in facts must fit in 64 bits; write money as a string such as \"2500.00 USD\""
    } else if message.starts_with("nested deeper") {
        "fact documents are a few levels deep: records of fields"
    } else if message.contains("duplicate key") {
        "each field may be given once"
    } else {
        return None;
    };
    Some(help.to_owned())
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
                    &clip(&path),
                    "unknown field, ignored".into(),
                    help,
                ));
            }
        }
    }
}

/// A date written in full, `YYYY-MM-DD`, as in policies. chrono alone also
/// reads `2026-1-5`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10)
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
        (Type::Int, Doc::Float(f))
            if f.bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'e' | b'E')) =>
        {
            return Err(FactProblem::new(
                path,
                "the number is too large for an integer".into(),
                Some(format!("integers range from {} to {}", i64::MIN, i64::MAX)),
            ));
        }
        (Type::Int, Doc::Int(n)) => match i64::try_from(*n) {
            Ok(n) if n < 0 && !field.signed => return Err(negative(field, &n.to_string())),
            Ok(n) => Value::Int(n),
            Err(_) => {
                return Err(wrong(Some(format!(
                    "integers range from {} to {}",
                    i64::MIN,
                    i64::MAX
                ))));
            }
        },
        (Type::Int, Doc::String(s)) if s.parse::<i64>().is_ok() => {
            return Err(wrong(Some(format!("write the number without quotes: {s}"))));
        }
        // YAML reads an integer too large for any type as a string.
        (Type::Int, Doc::String(s))
            if !s.is_empty()
                && s.trim_start_matches('-')
                    .bytes()
                    .all(|b| b.is_ascii_digit()) =>
        {
            return Err(FactProblem::new(
                path,
                format!("`{}` is too large for an integer", clip(s)),
                Some(format!("integers range from {} to {}", i64::MIN, i64::MAX)),
            ));
        }
        (Type::Date, Doc::String(s)) => match parse_date(s) {
            Some(d) => Value::Date(d),
            None => {
                return Err(FactProblem::new(
                    path,
                    format!("`{}` is not a calendar date", clip(s)),
                    Some("write dates as YYYY-MM-DD, such as 2026-11-25".into()),
                ));
            }
        },
        (Type::Money(currency), Doc::String(s)) => {
            let money: Money = s.parse().map_err(|e: MoneyError| {
                let help = match &e {
                    // `USD 100`: the currency came first.
                    MoneyError::UnknownCurrency(code) => match s.trim().split_once(' ') {
                        Some((first, rest))
                            if crate::base::money::Currency::from_code(first).is_some() =>
                        {
                            Some(format!(
                                "write the amount first: \"{} {first}\"",
                                clip(rest.trim())
                            ))
                        }
                        _ => crate::base::money::Currency::suggest(code)
                            .map(|c| format!("did you mean `{c}`?")),
                    },
                    MoneyError::Shape => {
                        let amount: String = s
                            .chars()
                            .filter(|c| c.is_ascii_digit() || matches!(c, '.' | '-'))
                            .collect();
                        if amount.is_empty() {
                            Some(format!("write money as \"2500.00 {currency}\""))
                        } else {
                            Some(format!("write it as \"{} {currency}\"", clip(&amount)))
                        }
                    }
                    MoneyError::Amount(a) if a.contains(',') => {
                        Some(format!("write the amount with a decimal point and no separators, such as \"2500.00 {currency}\""))
                    }
                    MoneyError::TooPrecise { digits, .. } => {
                        Some(format!("{currency} has {digits} decimal places; round the amount"))
                    }
                    _ => Some(format!("write money as \"2500.00 {currency}\"")),
                };
                FactProblem::new(path, format!("`{}` is not money: {e}", clip(s)), help)
            })?;
            if money.currency != currency {
                return Err(FactProblem::new(
                    path,
                    format!("expected money in {currency}, found `{}`", clip(s)),
                    Some(format!(
                        "credo never converts currencies; give the amount in {currency}"
                    )),
                ));
            }
            if money.is_negative() && !field.signed {
                return Err(negative(field, s));
            }
            Value::Money(money)
        }
        (Type::Money(_), Doc::Int(n)) if field.default_currency && *n < 0 && !field.signed => {
            return Err(negative(field, &n.to_string()));
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
            let example = if f.parse::<f64>().is_ok_and(f64::is_finite) {
                f.as_str()
            } else {
                "2500.00"
            };
            return Err(wrong(Some(format!(
                "write money as a string, such as \"{example} {currency}\", so that it stays exact"
            ))));
        }
        (Type::Int, Doc::Float(f)) => {
            // JSON reads an integer too large for 64 bits as a float.
            let whole = f
                .parse::<f64>()
                .is_ok_and(|x| x.is_finite() && x.fract() == 0.0);
            let help = if whole {
                format!("integers range from {} to {}", i64::MIN, i64::MAX)
            } else {
                "write a whole number, such as 4".to_owned()
            };
            return Err(wrong(Some(help)));
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
                        format!("`{}` is not one of {}", clip(s), members.members.join(", ")),
                        Some(help),
                    ));
                }
            }
        }
        _ => return Err(wrong(None)),
    };
    Ok(Some(value))
}

/// A negative amount or count in a field that is not `signed`.
fn negative(field: &Field, value: &str) -> FactProblem {
    FactProblem::new(
        &field.path,
        format!("`{}` is negative", clip(value)),
        Some(format!(
            "`{}` cannot be below zero; if it can, mark it `signed` in the schema",
            field.path
        )),
    )
}
