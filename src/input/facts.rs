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

/// The stable codes of fact problems, one per kind (policy problems have
/// `E` codes, in [`crate::lang::diagnostics::codes`]).
pub mod codes {
    crate::base::code_book! {
        /// The document cannot be read: missing, too large, or not UTF-8.
        pub const UNREADABLE: &str = "F0001";
        /// Not valid YAML or JSON.
        pub const SYNTAX: &str = "F0002";
        /// A YAML feature credo does not read: tags (`!money`) and merge keys (`<<`).
        pub const UNSUPPORTED_YAML: &str = "F0003";
        /// Empty, or not a mapping of records and fields.
        pub const SHAPE: &str = "F0004";
        /// A field the schema does not declare (a warning).
        pub const UNKNOWN_FIELD: &str = "F0101";
        /// A value of the wrong type.
        pub const WRONG_TYPE: &str = "F0102";
        /// An enum value that is not one of its members.
        pub const UNKNOWN_MEMBER: &str = "F0103";
        /// A date not written YYYY-MM-DD, or no such day.
        pub const BAD_DATE: &str = "F0104";
        /// A date before 0001-01-01.
        pub const DATE_OUT_OF_RANGE: &str = "F0105";
        /// An integer beyond 64 bits.
        pub const INT_OUT_OF_RANGE: &str = "F0106";
        /// A negative value (or a negative zero) in a field that is not `signed`.
        pub const NEGATIVE: &str = "F0107";
        /// Money that cannot be read.
        pub const BAD_MONEY: &str = "F0108";
        /// Money with more digits than a decimal amount can hold.
        pub const MONEY_TOO_MANY_DIGITS: &str = "F0109";
        /// Money holding a look-alike space or an invisible character.
        pub const MONEY_UNUSUAL_CHARACTER: &str = "F0110";
        /// Money in another currency than the field's.
        pub const WRONG_CURRENCY: &str = "F0111";
        /// Money with more decimals than its currency has.
        pub const MONEY_TOO_PRECISE: &str = "F0112";
    }
}

/// A problem with one fact: where it is, what is wrong, what would fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactProblem {
    /// A stable code from [`codes`], such as `F0104`.
    pub code: &'static str,
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
            code: codes::WRONG_TYPE,
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
            code: codes::UNKNOWN_FIELD,
            ..FactProblem::new(path, message, help)
        }
    }

    /// The same problem under another code.
    fn code(self, code: &'static str) -> FactProblem {
        FactProblem { code, ..self }
    }

    /// A problem with the whole document, such as a line that cannot be read.
    pub fn whole(code: &'static str, message: String) -> FactProblem {
        FactProblem::new("", message, None).code(code)
    }

    /// `facts.yaml: account.segment: ... (help: ...)`, one line, for a
    /// problem quoted inside another message. What a user reads is the
    /// diagnostic, with its place in the text: [`crate::input::report::render`].
    pub fn render(&self, file: &str) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut at = file.to_owned();
        if let Some((line, column)) = self.position {
            at.push_str(&format!(":{line}:{column}"));
        }
        let mut out = format!("{severity}[{}]: {at}: ", self.code);
        if !self.path.is_empty() {
            out.push_str(&format!("{}: ", self.path));
        }
        out.push_str(&self.message);
        if let Some(help) = &self.help {
            out.push_str(&format!("\n  help: {help}"));
        }
        // Values from the document are echoed: shown escaped, never raw.
        crate::base::escape::lines_owned(out)
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
    read_as(path, limits, None)
}

/// [`read`] in a given format (`--input-format`), else by the extension; a
/// path without one (stdin, a named pipe, `<(cat f.yaml)`) is told by its
/// first character: `{` or `[` is JSON, anything else YAML. Every source is
/// read through the bounded reader, so a stream that never ends is refused
/// at the limit.
pub fn read_as(
    path: &Path,
    limits: &Limits,
    format: Option<Format>,
) -> Result<(String, Format), FactProblem> {
    let problem = |message: String, help: Option<&str>| {
        FactProblem::new("", message, help.map(str::to_owned)).code(codes::UNREADABLE)
    };
    let format = match (format, Format::of_path(path)) {
        (Some(f), _) | (None, Some(f)) => Some(f),
        (None, None) if path == Path::new("-") || path.extension().is_none() => None,
        (None, None) => {
            return Err(problem(
                "facts must be a .yaml, .yml or .json file, or - for stdin".into(),
                Some("name the format with `--input-format json` or `--input-format yaml`"),
            ));
        }
    };
    let bytes = crate::base::io::read_path(path, limits.max_fact_bytes).map_err(|e| match e {
        crate::base::io::ReadError::TooLarge { .. } => problem(
            format!(
                "the fact document is larger than the limit of {}",
                limits::bytes(limits.max_fact_bytes)
            ),
            Some("one document holds one account's facts; raise the limit with `--max-fact-bytes`"),
        ),
        other => problem(other.to_string(), None),
    })?;
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
        return Err(vec![
            FactProblem::new(
                "",
                format!(
                    "the fact document is larger than the limit of {}",
                    limits::bytes(limits.max_fact_bytes)
                ),
                None,
            )
            .code(codes::UNREADABLE),
        ]);
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
            code: if e.message.contains(doc::UNSUPPORTED) {
                codes::UNSUPPORTED_YAML
            } else {
                codes::SYNTAX
            },
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
    } else if message.contains("could not find expected ':'")
        && line.is_some_and(|l| l.len() > 1024)
    {
        // libyaml reads a key written without `?` only up to 1024 characters.
        "YAML keys are at most 1024 characters long: is this key longer?"
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
        Doc::Null => loader.errors.push(
            FactProblem::new(
                "",
                "the fact document is empty".into(),
                Some(
                    "write the facts as a mapping, such as `account: {created_via: ads_manager}`"
                        .into(),
                ),
            )
            .code(codes::SHAPE),
        ),
        other => loader.errors.push(
            FactProblem::new(
                "",
                format!(
                    "the fact document must be a mapping, found {}",
                    other.describe()
                ),
                None,
            )
            .code(codes::SHAPE),
        ),
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
                    other => self.errors.push(
                        FactProblem::new(
                            &path,
                            format!("expected a mapping of fields, found {}", other.describe()),
                            None,
                        )
                        .code(codes::SHAPE),
                    ),
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
                // An empty key would leave nothing to name in the message.
                let shown = if key.is_empty() {
                    format!("{prefix}\"\"")
                } else {
                    clip(&path)
                };
                self.warnings.push(FactProblem::warning(
                    &shown,
                    "unknown field, ignored".into(),
                    help,
                ));
            }
        }
    }
}

/// A date written in full, `YYYY-MM-DD`, as in policies, within the range
/// of [`crate::base::dates`].
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    crate::base::dates::parse(text).ok()
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
        // A negative zero: YAML and JSON keep its sign apart (see `doc`).
        (Type::Int, Doc::Float(f)) if doc::is_negative_zero(f) => {
            return Err(FactProblem::new(
                path,
                "`-0` is a negative zero".into(),
                Some(if field.signed {
                    "write 0".to_owned()
                } else {
                    format!("`{}` cannot be below zero; write 0", field.path)
                }),
            )
            .code(codes::NEGATIVE));
        }
        // An integer too large for any integer type arrives as a float
        // (`1.2345678901234567e42`): a whole number beyond 64 bits.
        (Type::Int, Doc::Float(f))
            if f.bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'e' | b'E'))
                || f.parse::<f64>().is_ok_and(|x| {
                    x.is_finite() && x.fract() == 0.0 && x.abs() >= 9_223_372_036_854_775_808.0
                }) =>
        {
            return Err(FactProblem::new(
                path,
                "the number is too large for an integer".into(),
                Some(format!("integers range from {} to {}", i64::MIN, i64::MAX)),
            )
            .code(codes::INT_OUT_OF_RANGE));
        }
        (Type::Int, Doc::Int(n)) => match i64::try_from(*n) {
            Ok(n) if n < 0 && !field.signed => return Err(negative(field, &n.to_string())),
            Ok(n) => Value::Int(n),
            Err(_) => {
                return Err(FactProblem::new(
                    path,
                    format!("`{n}` is too large for an integer"),
                    Some(format!("integers range from {} to {}", i64::MIN, i64::MAX)),
                )
                .code(codes::INT_OUT_OF_RANGE));
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
            )
            .code(codes::INT_OUT_OF_RANGE));
        }
        (Type::Date, Doc::String(s)) => match crate::base::dates::parse(s) {
            Ok(d) => Value::Date(d),
            Err(crate::base::dates::DateError::BeforeFirst) => {
                return Err(FactProblem::new(
                    path,
                    format!(
                        "`{}` is before 0001-01-01, the first date credo accepts",
                        clip(s)
                    ),
                    Some("the year 0000 is a placeholder for \"no date\": leave the fact out so that it is unknown".into()),
                )
                .code(codes::DATE_OUT_OF_RANGE));
            }
            Err(_) => {
                return Err(FactProblem::new(
                    path,
                    format!("`{}` is not a calendar date", clip(s)),
                    Some("write dates as YYYY-MM-DD, such as 2026-11-25".into()),
                )
                .code(codes::BAD_DATE));
            }
        },
        (Type::Money(currency), Doc::String(s)) => {
            // A no-break space looks like a space, and a zero-width one like
            // nothing: name it, as "not money" alone would puzzle.
            if let Some(c) = s
                .chars()
                .find(|c| (c.is_whitespace() && *c != ' ') || crate::base::escape::is_unsafe(*c))
            {
                return Err(FactProblem::new(
                    path,
                    format!(
                        "`{}` is not money: it holds {}",
                        clip(s),
                        crate::base::suggest::character_name(c)
                    ),
                    Some(format!(
                        "write the amount, one plain space and the currency, such as \"2500.00 {currency}\""
                    )),
                )
                .code(codes::MONEY_UNUSUAL_CHARACTER));
            }
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
                    MoneyError::TooManyDigits(_) => Some(
                        "an amount holds at most 29 digits, its decimals included".to_owned(),
                    ),
                    MoneyError::TooPrecise { digits, .. } => {
                        Some(format!("{currency} has {digits} decimal places; round the amount"))
                    }
                    _ => Some(format!("write money as \"2500.00 {currency}\"")),
                };
                let code = match &e {
                    MoneyError::TooManyDigits(_) => codes::MONEY_TOO_MANY_DIGITS,
                    MoneyError::TooPrecise { .. } => codes::MONEY_TOO_PRECISE,
                    _ => codes::BAD_MONEY,
                };
                FactProblem::new(path, format!("`{}` is not money: {e}", clip(s)), help).code(code)
            })?;
            if money.currency != currency {
                return Err(FactProblem::new(
                    path,
                    format!("expected money in {currency}, found `{}`", clip(s)),
                    Some(format!(
                        "credo never converts currencies; give the amount in {currency}"
                    )),
                )
                .code(codes::WRONG_CURRENCY));
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
                .map_err(|e| FactProblem::new(path, e.to_string(), None).code(codes::BAD_MONEY))?,
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
                    )
                    .code(codes::UNKNOWN_MEMBER));
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
    .code(codes::NEGATIVE)
}
