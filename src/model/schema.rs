//! The fact vocabulary: every field path a policy may read, with its type.
//!
//! Built from the `schema { }` block of a policy set. Each field gets a slot
//! number; policies and facts both resolve paths to slots through it.

use std::collections::BTreeMap;

use crate::base::money::Currency;
use crate::base::source::Span;
use crate::lang::ast::{self, KindName, SchemaEntry, TypeExpr};
use crate::lang::diagnostics::{Diagnostic, codes};

/// Index of a field's value in a fact document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(pub u32);

/// Index of an enum type in [`Schema::enums`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnumId(pub u32);

/// The type of a fact or an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Text,
    Bool,
    Int,
    Date,
    Money(Currency),
    Enum(EnumId),
}

/// One declared fact, such as `account.created_via`.
#[derive(Debug, Clone)]
pub struct Field {
    pub path: String,
    pub ty: Type,
    /// Absence is a known value (no link, no request), not an unknown.
    pub optional: bool,
    /// The record that may be absent as a whole, making this field absent.
    pub optional_record: Option<String>,
    /// Plain integers are read as money in this currency.
    pub default_currency: bool,
    /// The account can change it (spend, client accounts); `fixed` facts cannot.
    pub changeable: bool,
    /// A money or int fact that may be negative; others must be zero or more.
    pub signed: bool,
    pub span: Span,
}

/// An enum's members, in declaration order.
#[derive(Debug, Clone)]
pub struct EnumType {
    pub members: Vec<String>,
}

impl EnumType {
    pub fn index_of(&self, member: &str) -> Option<u32> {
        self.members
            .iter()
            .position(|m| m == member)
            .map(|i| i as u32)
    }
}

/// The decisions a policy set must define, by id and kind.
#[derive(Debug, Clone)]
pub struct CatalogEntry {
    pub id: String,
    pub kind: KindName,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub fields: Vec<Field>,
    pub enums: Vec<EnumType>,
    pub catalog: Vec<CatalogEntry>,
    by_path: BTreeMap<String, Slot>,
    /// Record paths (`account`, `request`), and whether each may be absent.
    pub records: BTreeMap<String, bool>,
    /// Fields whose declaration has an error: uses of them are not reported again.
    pub poisoned: std::collections::BTreeSet<String>,
}

impl Schema {
    pub fn slot(&self, path: &str) -> Option<Slot> {
        self.by_path.get(path).copied()
    }

    pub fn field(&self, slot: Slot) -> Option<&Field> {
        self.fields.get(slot.0 as usize)
    }

    pub fn enum_type(&self, id: EnumId) -> Option<&EnumType> {
        self.enums.get(id.0 as usize)
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.by_path.keys().map(String::as_str)
    }

    /// The member name of an enum value, for output.
    pub fn member_name(&self, id: EnumId, index: u32) -> &str {
        self.enum_type(id)
            .and_then(|e| e.members.get(index as usize))
            .map_or("?", String::as_str)
    }

    /// Words for a type in messages: "money in USD", "one of smb, enterprise".
    pub fn describe(&self, ty: Type) -> String {
        match ty {
            Type::Text => "text".into(),
            Type::Bool => "a boolean".into(),
            Type::Int => "an integer".into(),
            Type::Date => "a date".into(),
            Type::Money(c) => format!("money in {c}"),
            Type::Enum(id) => match self.enum_type(id) {
                Some(e) => format!("one of {}", e.members.join(", ")),
                None => "an enum".into(),
            },
        }
    }

    /// Builds the schema from its declaration, reporting every problem.
    pub fn build(decl: &ast::Schema, diagnostics: &mut Vec<Diagnostic>) -> Schema {
        let mut schema = Schema::default();
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        schema.entries(&decl.entries, "", None, &mut seen, diagnostics);
        schema
    }

    fn entries(
        &mut self,
        entries: &[SchemaEntry],
        prefix: &str,
        optional_record: Option<&str>,
        seen: &mut BTreeMap<String, Span>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        for entry in entries {
            match entry {
                SchemaEntry::Record(record) => {
                    let path = format!("{prefix}{}", record.name.name);
                    if !declare(seen, &format!("`{path}`"), record.name.span, diagnostics) {
                        continue;
                    }
                    self.records.insert(path.clone(), record.optional);
                    let optional = if record.optional {
                        Some(path.as_str())
                    } else {
                        optional_record
                    };
                    self.entries(
                        &record.entries,
                        &format!("{path}."),
                        optional,
                        seen,
                        diagnostics,
                    );
                }
                SchemaEntry::Attribute(attribute) => {
                    let path = format!("{prefix}{}", attribute.name.name);
                    if declare(seen, &format!("`{path}`"), attribute.name.span, diagnostics) {
                        self.attribute(path, attribute, optional_record, diagnostics);
                    }
                }
                SchemaEntry::Catalog(entries) => {
                    for entry in entries {
                        let key = format!("decision `{}` in the catalog", entry.id.name);
                        if declare(seen, &key, entry.id.span, diagnostics) {
                            self.catalog.push(CatalogEntry {
                                id: entry.id.name.clone(),
                                kind: entry.kind,
                                span: entry.span,
                            });
                        }
                    }
                }
            }
        }
    }

    fn attribute(
        &mut self,
        path: String,
        attribute: &ast::Attribute,
        optional_record: Option<&str>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let mut default_currency = false;
        let ty = match &attribute.ty {
            TypeExpr::Text => Type::Text,
            TypeExpr::Bool => Type::Bool,
            TypeExpr::Int => Type::Int,
            TypeExpr::Date => Type::Date,
            TypeExpr::Money { currency, default } => {
                default_currency = *default;
                match Currency::from_code(&currency.name) {
                    Some(c) => Type::Money(c),
                    None => {
                        self.poisoned.insert(path);
                        diagnostics.push(crate::lang::diagnostics::unknown_currency(
                            &currency.name,
                            currency.span,
                        ));
                        return;
                    }
                }
            }
            TypeExpr::Enum(members) => {
                let names = member_names(members, diagnostics);
                self.enums.push(EnumType { members: names });
                Type::Enum(EnumId(self.enums.len() as u32 - 1))
            }
        };
        let mut changeable = false;
        let mut signed = false;
        for modifier in &attribute.modifiers {
            match modifier.name.as_str() {
                "changeable" => changeable = true,
                "fixed" => changeable = false,
                "signed" if matches!(ty, Type::Int | Type::Money(_)) => signed = true,
                "signed" => diagnostics.push(
                    Diagnostic::error(
                        codes::UNKNOWN_MODIFIER,
                        modifier.span,
                        "`signed` applies to money and int fields",
                    )
                    .label("not a number")
                    .help("only numbers can be negative"),
                ),
                other => diagnostics.push(
                    Diagnostic::error(
                        codes::UNKNOWN_MODIFIER,
                        modifier.span,
                        format!("unknown modifier `{other}`"),
                    )
                    .label("not a modifier")
                    .help(
                        match crate::base::suggest::closest(other, ["fixed", "changeable"]) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "a field may be marked `fixed` or `changeable`".to_owned(),
                        },
                    ),
                ),
            }
        }
        let slot = Slot(self.fields.len() as u32);
        self.by_path.insert(path.clone(), slot);
        self.fields.push(Field {
            path,
            ty,
            optional: attribute.optional,
            optional_record: optional_record.map(str::to_owned),
            default_currency,
            changeable,
            signed,
            span: attribute.span,
        });
    }
}

/// Records a declaration; reports and returns false when the name is taken.
fn declare(
    seen: &mut BTreeMap<String, Span>,
    key: &str,
    span: Span,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    if let Some(first) = seen.get(key) {
        diagnostics.push(
            Diagnostic::error(
                codes::DUPLICATE_DECLARATION,
                span,
                format!("{key} is declared twice"),
            )
            .label("declared again here")
            .also(*first, "first declared here"),
        );
        return false;
    }
    seen.insert(key.to_owned(), span);
    true
}

/// The names of an enum's or classification's members, reporting repeats.
pub fn member_names(members: &[ast::Ident], diagnostics: &mut Vec<Diagnostic>) -> Vec<String> {
    let mut names: Vec<&ast::Ident> = Vec::new();
    for member in members {
        match names.iter().find(|m| m.name == member.name) {
            Some(first) => diagnostics.push(
                Diagnostic::error(
                    codes::DUPLICATE_DECLARATION,
                    member.span,
                    format!("member `{}` is listed twice", member.name),
                )
                .label("listed again here")
                .also(first.span, "first listed here"),
            ),
            None => names.push(member),
        }
    }
    names.into_iter().map(|m| m.name.clone()).collect()
}
