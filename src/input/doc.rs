//! Reading YAML and JSON documents into one plain tree.
//!
//! This is the only module that imports `serde_yaml` (no longer maintained by
//! its author): replacing it touches this file alone. The tree keeps numbers
//! as they were written, so money never passes through a float, and it
//! rejects duplicate keys instead of silently keeping one of them.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A parsed document, before it is checked against a schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    Null,
    Bool(bool),
    /// An integer, as written.
    Int(i128),
    /// A number with a fraction or exponent, kept as text: never used as money.
    Float(String),
    String(String),
    Seq(Vec<Doc>),
    /// Keys in document order.
    Map(Vec<(String, Doc)>),
}

impl Doc {
    /// A short description of the value for messages: `the float 120.5`.
    pub fn describe(&self) -> String {
        match self {
            Doc::Null => "null".into(),
            Doc::Bool(b) => format!("the boolean `{b}`"),
            Doc::Int(n) => format!("the integer `{n}`"),
            Doc::Float(f) => format!("the number `{f}`"),
            Doc::String(s) => {
                let shown: String = s.chars().take(60).collect();
                let more = if shown.len() < s.len() { "…" } else { "" };
                format!("the string \"{shown}{more}\"")
            }
            Doc::Seq(_) => "a list".into(),
            Doc::Map(_) => "a mapping".into(),
        }
    }

    /// The value under `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Doc> {
        self.entries()?
            .iter()
            .find_map(|(k, v)| (k == key).then_some(v))
    }

    /// A mapping's entries, in document order.
    pub fn entries(&self) -> Option<&[(String, Doc)]> {
        match self {
            Doc::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// A list's items.
    pub fn items(&self) -> Option<&[Doc]> {
        match self {
            Doc::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Doc::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DocError {
    pub message: String,
    /// One-based line and column, when the parser knows them.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// What every message about a YAML feature credo does not read says.
pub const UNSUPPORTED: &str = "are not read by credo";

/// Whether a number kept as text is a negative zero (`-0` in YAML, `-0.0`
/// from JSON): zero with a sign that no count may carry.
pub fn is_negative_zero(number: &str) -> bool {
    number.starts_with('-') && number.parse::<f64>().is_ok_and(|x| x == 0.0)
}

/// Reads YAML text.
pub fn from_yaml(text: &str) -> Result<Doc, DocError> {
    if let Some((line, column)) = flow_too_deep(text) {
        return Err(DocError {
            message: strip_location("recursion limit exceeded"),
            line: Some(line),
            column: Some(column),
        });
    }
    match serde_yaml::from_str::<Doc>(text) {
        Ok(doc) => Ok(doc),
        Err(error) => {
            let location = error.location();
            Err(DocError {
                message: strip_location(&error.to_string()),
                line: location.as_ref().map(|l| l.line()),
                column: location.as_ref().map(|l| l.column()),
            })
        }
    }
}

/// Where `[` and `{` first nest deeper than the facts' depth limit, as a
/// line and column, found in one pass before serde_yaml sees the text: its
/// scanner reads the whole document before its own limit applies, in time
/// that grows with the square of the nesting (100 KB of `[` took a minute).
/// Quoted text and comments are skipped; a bracket inside a plain scalar
/// counts, which at worst refuses a document with over a hundred of them.
fn flow_too_deep(text: &str) -> Option<(usize, usize)> {
    let limit = crate::base::limits::MAX_FACT_DEPTH;
    let (mut depth, mut line, mut column) = (0usize, 1usize, 0usize);
    let (mut quote, mut escaped, mut comment, mut prev) = (None, false, false, '\n');
    for c in text.chars() {
        column += 1;
        if c == '\n' {
            (line, column, comment) = (line + 1, 0, false);
        } else if comment {
        } else if let Some(q) = quote {
            match c {
                '\\' if q == '"' && !escaped => escaped = true,
                _ if c == q && !escaped => quote = None,
                _ => escaped = false,
            }
        } else {
            // A quote opens a scalar only where a token may start.
            let token_start = prev.is_whitespace() || matches!(prev, '[' | '{' | ',' | ':');
            match c {
                '#' if prev.is_whitespace() => comment = true,
                '"' | '\'' if token_start => quote = Some(c),
                '[' | '{' => {
                    depth += 1;
                    if depth > limit {
                        return Some((line, column));
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        prev = c;
    }
    None
}

/// Reads JSON text.
pub fn from_json(text: &str) -> Result<Doc, DocError> {
    serde_json::from_str::<Doc>(text).map_err(|error| DocError {
        message: strip_location(&error.to_string()),
        line: Some(error.line()).filter(|l| *l > 0),
        column: Some(error.column()).filter(|c| *c > 0),
    })
}

/// Reads a JSON value already parsed by a caller (a service's body, a
/// Python dict), through the same visitor as text.
pub fn from_json_value(value: &serde_json::Value) -> Result<Doc, DocError> {
    Doc::deserialize(value).map_err(|error| DocError {
        message: strip_location(&error.to_string()),
        line: None,
        column: None,
    })
}

/// Parsers append " at line X column Y"; we report the position separately,
/// and say in words what their limits mean.
fn strip_location(message: &str) -> String {
    let message = match message.find(" at line ") {
        Some(i) => message.get(..i).unwrap_or(message),
        None => message,
    };
    match message {
        "recursion limit exceeded" => format!(
            "nested deeper than {} levels",
            crate::base::limits::MAX_FACT_DEPTH
        ),
        "repetition limit exceeded" => {
            "aliases expand to too many values (an alias bomb?)".to_owned()
        }
        other => other.to_owned(),
    }
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Doc, D::Error> {
        deserializer.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML or JSON value")
    }

    fn visit_unit<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }

    fn visit_none<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Doc, D::Error> {
        Doc::deserialize(d)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Doc, E> {
        Ok(Doc::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Doc, E> {
        // Both parsers give a value of zero or more through `visit_u64`; a
        // zero here was written `-0`. It is kept as written, so that the
        // loader can refuse a sign on a count instead of dropping it.
        if n == 0 {
            return Ok(Doc::Float("-0".into()));
        }
        Ok(Doc::Int(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Doc, E> {
        Ok(Doc::Int(n.into()))
    }

    fn visit_i128<E>(self, n: i128) -> Result<Doc, E> {
        Ok(Doc::Int(n))
    }

    fn visit_u128<E>(self, n: u128) -> Result<Doc, E> {
        // Beyond i128 no field can take it; as text it is still named in the error.
        Ok(i128::try_from(n).map_or_else(|_| Doc::String(n.to_string()), Doc::Int))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Doc, E> {
        // Kept only to be named in an error: no field accepts a float.
        // `{:?}` keeps `4.0` from reading as the integer `4`.
        Ok(Doc::Float(format!("{n:?}")))
    }

    fn visit_str<E>(self, s: &str) -> Result<Doc, E> {
        Ok(Doc::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Doc, E> {
        Ok(Doc::String(s))
    }

    /// A tagged YAML value, such as `!money "10.00 USD"`: refused, as a tag
    /// would otherwise be dropped without a word and its meaning lost.
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Doc, A::Error> {
        let (tag, _) = data.variant::<String>()?;
        Err(de::Error::custom(format!(
            "YAML tags such as `!{}` {UNSUPPORTED}: write the value without the tag",
            crate::base::limits::clip(&tag)
        )))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Doc::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut entries: Vec<(String, Doc)> = Vec::new();
        // A set, not a scan of `entries`: a mapping may have many keys.
        let mut seen = std::collections::BTreeSet::new();
        while let Some(key) = map.next_key::<Key>()? {
            // serde_yaml does not apply merge keys: the fields would be lost.
            if key.0 == "<<" {
                return Err(de::Error::custom(format!(
                    "YAML merge keys (`<<`) {UNSUPPORTED}: write each field out where it belongs"
                )));
            }
            if !seen.insert(key.0.clone()) {
                return Err(de::Error::custom(format!(
                    "duplicate key `{}`",
                    crate::base::limits::clip(&key.0)
                )));
            }
            let value = map.next_value()?;
            entries.push((key.0, value));
        }
        Ok(Doc::Map(entries))
    }
}

/// A mapping key: a string, or a scalar written where a name belongs.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        match Doc::deserialize(deserializer)? {
            Doc::String(s) => Ok(Key(s)),
            Doc::Int(n) => Ok(Key(n.to_string())),
            Doc::Bool(b) => Ok(Key(b.to_string())),
            other => Err(de::Error::custom(format!(
                "a key must be a name, found {}",
                other.describe()
            ))),
        }
    }
}

/// Writes a value as YAML.
pub fn to_yaml<T: serde::Serialize>(value: &T) -> String {
    serde_yaml::to_string(value).unwrap_or_else(|e| format!("error: {e}\n"))
}
