//! Every combination of the domains, depth first, as real fact documents.
//!
//! A combination is held as the slot values the fact loader would produce
//! from its document (`None` for a fact not given, `Absent` for an optional
//! one or one of an absent optional record), so the evaluator sees exactly
//! what `credo eval` would. Each combination can be written back as that
//! YAML or JSON document.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::engine::program::Program;
use crate::input::facts::Facts;
use crate::model::ir::Value;
use crate::model::schema::{Schema, Slot};

use super::values::{Candidate, FactDomain};

/// The evaluation date when no decision reads `as_of`.
pub fn default_as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or(NaiveDate::MIN)
}

#[derive(Debug, Clone)]
enum Dim {
    /// An optional record, present or absent.
    /// Its fields, each with whether it is optional itself.
    Record {
        name: String,
        fields: Vec<(Slot, bool)>,
    },
    Fact {
        domain: FactDomain,
        /// The dimension of the record whose absence makes it absent.
        record: Option<usize>,
    },
}

/// The combinations of some facts' domains.
#[derive(Debug, Clone)]
pub struct Space {
    dims: Vec<Dim>,
    base: Vec<Option<Value>>,
    as_of: Option<Slot>,
    /// Combinations are complete after this many dimensions when pruning.
    pivot: usize,
}

/// One combination being visited.
#[derive(Debug, Clone)]
pub struct Cursor {
    pub facts: Facts,
    pub as_of: NaiveDate,
    /// The remaining dimensions were left at "not given": see [`Space::walk`].
    pub pruned: bool,
    present: BTreeSet<String>,
    fresh_used: BTreeMap<usize, usize>,
    missing: usize,
    rank: usize,
}

/// A combination kept as an example.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub facts: Facts,
    pub as_of: NaiveDate,
    pub records: BTreeSet<String>,
    /// Fewer missing facts, then nicer values, sort first.
    pub score: (usize, usize),
}

impl Cursor {
    /// Whether every fact of the combination is given.
    pub fn all_given(&self) -> bool {
        self.missing == 0
    }

    pub fn score(&self) -> (usize, usize) {
        (self.missing, self.rank)
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            facts: self.facts.clone(),
            as_of: self.as_of,
            records: self.present.clone(),
            score: self.score(),
        }
    }

    /// Keeps this combination in `best` when it is nicer than what is there.
    pub fn keep_best(&self, best: &mut Option<Snapshot>) {
        if best.as_ref().is_none_or(|b| self.score() < b.score) {
            *best = Some(self.snapshot());
        }
    }
}

/// More combinations than this are not enumerated: that check is not analysed.
pub const MAX_COMBINATIONS: u128 = 4_000_000;

impl Space {
    /// At most how many combinations [`Space::walk`] visits.
    pub fn size(&self) -> u128 {
        self.dims.iter().fold(1, |n: u128, d| {
            let choices = match d {
                Dim::Record { .. } => 2,
                Dim::Fact { domain, .. } => domain.candidates.len().max(1) as u128,
            };
            n.saturating_mul(choices)
        })
    }

    /// The space of the given domains; facts in `first` are enumerated first,
    /// so that [`Space::walk`] can stop after them.
    pub fn new(program: &Program, domains: Vec<FactDomain>, first: &BTreeSet<Slot>) -> Space {
        let schema = &program.schema;
        let (early, late): (Vec<FactDomain>, Vec<FactDomain>) =
            domains.into_iter().partition(|d| first.contains(&d.slot));
        let mut dims: Vec<Dim> = Vec::new();
        let mut record_dims: BTreeMap<String, usize> = BTreeMap::new();
        let mut pivot = 0;
        for (i, group) in [early, late].into_iter().enumerate() {
            for domain in group {
                // A record's dimension comes just before its first field's.
                let record = domain.record.as_ref().map(|name| {
                    *record_dims.entry(name.clone()).or_insert_with(|| {
                        let fields = schema
                            .fields
                            .iter()
                            .enumerate()
                            .filter(|(_, f)| f.optional_record.as_deref() == Some(name))
                            .map(|(i, f)| (Slot(i as u32), f.optional))
                            .collect();
                        dims.push(Dim::Record {
                            name: name.clone(),
                            fields,
                        });
                        dims.len() - 1
                    })
                });
                dims.push(Dim::Fact { domain, record });
            }
            if i == 0 {
                pivot = dims.len();
            }
        }
        Space {
            dims,
            base: base_values(schema, &BTreeSet::new()),
            as_of: program.as_of,
            pivot,
        }
    }

    /// Visits every combination. With `prune`, after the first facts are set
    /// (the rest not given) `prune` may say the rest cannot matter: that
    /// combination is visited once, marked `pruned`, and its rest skipped.
    pub fn walk(
        &self,
        prune: Option<&mut dyn FnMut(&Cursor) -> bool>,
        visit: &mut dyn FnMut(&mut Cursor),
    ) {
        let mut cursor = Cursor {
            facts: Facts {
                values: self.base.clone(),
            },
            as_of: default_as_of(),
            pruned: false,
            present: BTreeSet::new(),
            fresh_used: BTreeMap::new(),
            missing: 0,
            rank: 0,
        };
        let mut hooks = Hooks { prune, visit };
        self.go(0, &mut cursor, &mut hooks);
    }

    fn go(&self, depth: usize, cursor: &mut Cursor, hooks: &mut Hooks<'_, '_>) {
        if depth == self.pivot
            && depth < self.dims.len()
            && let Some(prune) = hooks.prune.as_mut()
            && prune(cursor)
        {
            cursor.pruned = true;
            (hooks.visit)(cursor);
            cursor.pruned = false;
            return;
        }
        let Some(dim) = self.dims.get(depth) else {
            (hooks.visit)(cursor);
            return;
        };
        match dim {
            Dim::Record { name, fields } => {
                let saved: Vec<Option<Value>> = fields
                    .iter()
                    .map(|(s, _)| cursor.facts.values.get(s.0 as usize).cloned().flatten())
                    .collect();
                for present in [true, false] {
                    for (slot, optional) in fields {
                        if let Some(v) = cursor.facts.values.get_mut(slot.0 as usize) {
                            *v = if present && !optional {
                                None
                            } else {
                                Some(Value::Absent)
                            };
                        }
                    }
                    if present {
                        cursor.present.insert(name.clone());
                    } else {
                        cursor.present.remove(name);
                        cursor.rank += 1;
                    }
                    self.go(depth + 1, cursor, hooks);
                    if !present {
                        cursor.rank -= 1;
                    }
                }
                cursor.present.remove(name);
                for ((slot, _), value) in fields.iter().zip(saved) {
                    if let Some(v) = cursor.facts.values.get_mut(slot.0 as usize) {
                        *v = value;
                    }
                }
            }
            Dim::Fact { domain, record } => {
                let record_absent = record
                    .and_then(|r| match self.dims.get(r) {
                        Some(Dim::Record { name, .. }) => Some(!cursor.present.contains(name)),
                        _ => None,
                    })
                    .unwrap_or(false);
                if record_absent {
                    self.go(depth + 1, cursor, hooks);
                    return;
                }
                let index = domain.slot.0 as usize;
                let saved = cursor.facts.values.get(index).cloned().flatten();
                let saved_as_of = cursor.as_of;
                for (rank, candidate) in domain.candidates.iter().enumerate() {
                    let group = domain.text_group.unwrap_or(usize::MAX);
                    let used = cursor.fresh_used.get(&group).copied().unwrap_or(0);
                    let value = match candidate {
                        Candidate::Given(v) => Some(v.clone()),
                        Candidate::Fresh(j, v) => {
                            // Fresh texts are interchangeable: take them in order.
                            if *j > used {
                                continue;
                            }
                            Some(v.clone())
                        }
                        Candidate::Absent => Some(Value::Absent),
                        Candidate::Missing => None,
                    };
                    if let (Some(Value::Date(d)), true) = (&value, self.as_of == Some(domain.slot))
                    {
                        cursor.as_of = *d;
                    }
                    let is_missing = value.is_none();
                    if let Some(v) = cursor.facts.values.get_mut(index) {
                        *v = value;
                    }
                    let grew = matches!(candidate, Candidate::Fresh(j, _) if *j == used);
                    if grew {
                        cursor.fresh_used.insert(group, used + 1);
                    }
                    cursor.missing += usize::from(is_missing);
                    cursor.rank += rank;
                    self.go(depth + 1, cursor, hooks);
                    cursor.rank -= rank;
                    cursor.missing -= usize::from(is_missing);
                    if grew {
                        cursor.fresh_used.insert(group, used);
                    }
                }
                if let Some(v) = cursor.facts.values.get_mut(index) {
                    *v = saved;
                }
                cursor.as_of = saved_as_of;
            }
        }
    }
}

struct Hooks<'a, 'b> {
    prune: Option<&'a mut dyn FnMut(&Cursor) -> bool>,
    visit: &'b mut dyn FnMut(&mut Cursor),
}

/// The values the loader gives a document that states nothing, except for
/// the optional records named present.
pub fn base_values(schema: &Schema, present: &BTreeSet<String>) -> Vec<Option<Value>> {
    schema
        .fields
        .iter()
        .map(|f| {
            let record_absent = f
                .optional_record
                .as_ref()
                .is_some_and(|r| !present.contains(r));
            (f.optional || record_absent).then_some(Value::Absent)
        })
        .collect()
}

/// A fact document being written: fields in schema order, records as maps.
#[derive(Debug, Default)]
struct Tree {
    entries: Vec<(String, Entry)>,
}

#[derive(Debug)]
enum Entry {
    Scalar {
        yaml: String,
        json: serde_json::Value,
    },
    Map(Tree),
}

impl Tree {
    /// The map at `path`, made where missing; `None` where a scalar is in the way.
    fn map(&mut self, path: &[&str]) -> Option<&mut Tree> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        let index = match self.entries.iter().position(|(k, _)| k == first) {
            Some(i) => i,
            None => {
                self.entries
                    .push(((*first).to_owned(), Entry::Map(Tree::default())));
                self.entries.len() - 1
            }
        };
        match self.entries.get_mut(index) {
            Some((_, Entry::Map(tree))) => tree.map(rest),
            _ => None,
        }
    }

    fn yaml(&self, indent: usize, out: &mut String) {
        for (key, entry) in &self.entries {
            let pad = " ".repeat(indent);
            match entry {
                Entry::Scalar { yaml, .. } => out.push_str(&format!("{pad}{key}: {yaml}\n")),
                Entry::Map(tree) if tree.entries.is_empty() => {
                    out.push_str(&format!("{pad}{key}: {{}}\n"));
                }
                Entry::Map(tree) => {
                    out.push_str(&format!("{pad}{key}:\n"));
                    tree.yaml(indent + 2, out);
                }
            }
        }
    }

    fn json(&self) -> serde_json::Value {
        let map = self
            .entries
            .iter()
            .map(|(key, entry)| {
                let value = match entry {
                    Entry::Scalar { json, .. } => json.clone(),
                    Entry::Map(tree) => tree.json(),
                };
                (key.clone(), value)
            })
            .collect();
        serde_json::Value::Object(map)
    }
}

impl Snapshot {
    /// The fact document of this combination, as YAML and as JSON.
    pub fn document(&self, schema: &Schema) -> (String, serde_json::Value) {
        let mut tree = Tree::default();
        for (field, value) in schema.fields.iter().zip(&self.facts.values) {
            // A present record is written even when none of its fields is given.
            if let Some(record) = &field.optional_record
                && self.records.contains(record)
            {
                let path: Vec<&str> = record.split('.').collect();
                let _ = tree.map(&path);
            }
            let Some(value) = value else { continue };
            let Some(scalar) = scalar(schema, value) else {
                continue;
            };
            let path: Vec<&str> = field.path.split('.').collect();
            if let Some((last, parents)) = path.split_last()
                && let Some(map) = tree.map(parents)
            {
                map.entries.push(((*last).to_owned(), scalar));
            }
        }
        let mut yaml = String::new();
        tree.yaml(0, &mut yaml);
        if yaml.is_empty() {
            yaml.push_str("{}\n");
        }
        (yaml, tree.json())
    }
}

/// A value as the loader reads it back; `None` for an absent one, which is
/// written by leaving it out.
fn scalar(schema: &Schema, value: &Value) -> Option<Entry> {
    let (yaml, json) = match value {
        Value::Absent => return None,
        Value::Bool(b) => (b.to_string(), serde_json::Value::Bool(*b)),
        Value::Int(n) => (n.to_string(), serde_json::Value::from(*n)),
        Value::Money(m) => {
            let text = format!("{} {}", money_amount(m), m.currency);
            (quoted(&text), serde_json::Value::String(text))
        }
        Value::Date(d) => {
            let text = d.format("%Y-%m-%d").to_string();
            (text.clone(), serde_json::Value::String(text))
        }
        Value::Text(t) => (quoted(t), serde_json::Value::String(t.to_string())),
        Value::Member(id, i) => {
            let name = schema.member_name(*id, *i).to_owned();
            let yaml = if plain(&name) {
                name.clone()
            } else {
                quoted(&name)
            };
            (yaml, serde_json::Value::String(name))
        }
    };
    Some(Entry::Scalar { yaml, json })
}

/// An amount with the currency's decimals when that keeps it exact.
pub fn money_amount(m: &crate::base::money::Money) -> String {
    let mut amount = m.amount;
    amount.rescale(m.currency.minor_digits());
    if amount == m.amount {
        amount.to_string()
    } else {
        m.amount.normalize().to_string()
    }
}

/// A double-quoted YAML scalar: JSON's string syntax is valid YAML.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}

/// Whether a name can be written without quotes and still read as text.
fn plain(name: &str) -> bool {
    let special = ["null", "true", "false", "yes", "no", "on", "off", "y", "n"];
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !special.contains(&name.to_ascii_lowercase().as_str())
}
