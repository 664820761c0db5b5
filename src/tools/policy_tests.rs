//! `credo test`: policy test files beside the policies (`tests/*.yaml`), each
//! a list of cases that name their facts and the outcomes they expect.
//!
//! ```yaml
//! cases:
//!   - name: agency_created_account_excluded
//!     facts: examples/agency_setup_account_excluded_from_new_advertiser_credit.yaml
//!     expect:
//!       new_advertiser_credit: not_eligible
//!   - name: missing_segment_undetermined
//!     as_of: 2026-11-25
//!     facts: {account: {created_via: ads_manager}}
//!     expect:
//!       new_advertiser_credit: {outcome: undetermined, by: [not_smb, self_serve_smb], missing: [account.segment]}
//! ```
//!
//! Every file is read and checked against the program before any case runs,
//! so a mistake in a test file is reported as such, never as a failing case.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::base::money::Money;
use crate::base::suggest;
use crate::engine::eval::Request;
use crate::engine::outcome::{AsOfSource, DecisionOutcome, Evaluation};
use crate::engine::program::Program;
use crate::engine::render;
use crate::input::doc::{self, Doc};
use crate::input::facts::{self, Facts, Format};
use crate::model::ir::{DecisionIr, Kind, words};
use crate::tools::coverage::Coverage;

/// One test file, checked.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// As named in messages: `policies/tests/new_advertiser.yaml`.
    pub name: String,
    pub cases: Vec<Case>,
    /// Its text, to show a problem found after it was read (a duplicate name).
    pub text: Option<Arc<str>>,
}

#[derive(Debug, Clone)]
pub struct Case {
    /// `FILE_STEM::CASE`, such as `new_advertiser::agency_created_excluded`.
    pub name: String,
    pub facts: Facts,
    pub as_of: NaiveDate,
    pub expect: Vec<Expectation>,
}

/// What one decision must come out as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub decision: String,
    /// As `credo eval` writes it; money in its fixed form, `1500.00 USD`.
    pub outcome: String,
    /// The rules or rows that must be the reasons, sorted.
    pub by: Option<Vec<String>>,
    /// The fact paths that must be reported missing, sorted.
    pub missing: Option<Vec<String>>,
}

/// A mistake in a test file: where it is, what was expected there. It is
/// rendered as a diagnostic by [`crate::tools::problems`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A stable code from [`codes`], such as `T0006`.
    pub code: &'static str,
    pub file: String,
    /// The case's name, or `#3` when it has none.
    pub case: Option<String>,
    /// The case's place in the file's `cases` list, from 0.
    pub index: Option<usize>,
    /// The field, such as `expect.credit_allocation.by`.
    pub field: String,
    pub message: String,
    pub help: Option<String>,
    /// Line and column in the file, for a file that could not be parsed.
    pub position: Option<(usize, usize)>,
    /// The file's text, to show the field in; none when it could not be read.
    pub text: Option<Arc<str>>,
}

/// The stable codes of test-file problems, one per kind (policy problems
/// have `E` codes, fact problems `F` codes).
pub mod codes {
    crate::base::code_book! {
        /// The test directory or a test file cannot be read, or holds no tests.
        pub const UNREADABLE: &str = "T0001";
        /// A test file that is not valid YAML.
        pub const SYNTAX: &str = "T0002";
        /// Not the shape of a test file: no `cases` list, an unknown field, a bad name.
        pub const SHAPE: &str = "T0003";
        /// A case's facts that cannot be read or loaded.
        pub const BAD_FACTS: &str = "T0004";
        /// A case's evaluation date that is missing or not a date.
        pub const BAD_DATE: &str = "T0005";
        /// An expectation that does not fit a decision: its id, outcome, rules or facts.
        pub const BAD_EXPECTATION: &str = "T0006";
        /// Two cases with one name.
        pub const DUPLICATE_CASE: &str = "T0007";
    }
}

/// The code of a problem found in a case's `field`.
fn code_of(field: &str, message: &str) -> &'static str {
    let first = field.split(['.', ' ']).next().unwrap_or_default();
    match first {
        _ if message == "unknown field" => codes::SHAPE,
        "facts" => codes::BAD_FACTS,
        "as_of" => codes::BAD_DATE,
        "expect" => codes::BAD_EXPECTATION,
        _ => codes::SHAPE,
    }
}

/// Reads and checks every `*.yaml`/`*.yml` file in `POLICY_DIR/tests`, in name order.
pub fn load(program: &Program, policy_dir: &Path) -> Result<Vec<TestFile>, Vec<Problem>> {
    load_with(program, policy_dir, &crate::Limits::default())
}

/// [`load`] within explicit limits: a test file holds at most
/// `max_policy_bytes`, a fact file it names at most `max_fact_bytes`. Two
/// cases with one name are an error: a report could not tell them apart.
pub fn load_with(
    program: &Program,
    policy_dir: &Path,
    limits: &crate::Limits,
) -> Result<Vec<TestFile>, Vec<Problem>> {
    let dir = policy_dir.join("tests");
    let problem = |message: String, help: &str| {
        vec![Problem {
            code: codes::UNREADABLE,
            file: dir.display().to_string(),
            case: None,
            index: None,
            field: String::new(),
            message,
            help: Some(help.to_owned()),
            position: None,
            text: None,
        }]
    };
    let help = "policy tests live in `tests/*.yaml` beside the policies";
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| problem(format!("cannot read the test directory: {e}"), help))?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| Format::of_path(p) == Some(Format::Yaml) && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(problem("holds no `.yaml` test files".to_owned(), help));
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let text = match read_text(&path, limits.max_policy_bytes) {
            Ok(text) => text,
            Err(reason) => {
                problems.push(Problem {
                    code: codes::UNREADABLE,
                    file: name,
                    case: None,
                    index: None,
                    field: String::new(),
                    message: format!("cannot read: {reason}"),
                    help: None,
                    position: None,
                    text: None,
                });
                continue;
            }
        };
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match parse_in(program, policy_dir, &name, &stem, &text, limits) {
            Ok(file) => files.push(file),
            Err(mut found) => problems.append(&mut found),
        }
    }
    let mut seen = std::collections::BTreeMap::new();
    for file in &files {
        for (index, case) in file.cases.iter().enumerate() {
            if let Some(first) = seen.insert(case.name.as_str(), file.name.as_str()) {
                problems.push(Problem {
                    code: codes::DUPLICATE_CASE,
                    file: file.name.clone(),
                    case: Some(format!("`{}`", case.name)),
                    index: Some(index),
                    field: "name".to_owned(),
                    message: format!("a case named `{}` is already in {first}", case.name),
                    help: Some("give every case its own name".to_owned()),
                    position: None,
                    text: file.text.clone(),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}

/// A file's text through the bounded reader, or why not, as a message.
fn read_text(path: &Path, limit: usize) -> Result<String, String> {
    let bytes = crate::base::io::read_path(path, limit).map_err(|e| match e {
        crate::base::io::ReadError::Io(e) => e.to_string(),
        other => other.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_owned())
}

/// Reads one test file's text; `stem` prefixes its case names.
pub fn parse(
    program: &Program,
    policy_dir: &Path,
    name: &str,
    stem: &str,
    text: &str,
) -> Result<TestFile, Vec<Problem>> {
    parse_in(
        program,
        policy_dir,
        name,
        stem,
        text,
        &crate::Limits::default(),
    )
}

fn parse_in(
    program: &Program,
    policy_dir: &Path,
    name: &str,
    stem: &str,
    text: &str,
    limits: &crate::Limits,
) -> Result<TestFile, Vec<Problem>> {
    let mut reader = Reader {
        program,
        policy_dir,
        fact_limit: limits.max_fact_bytes,
        file: name,
        case: None,
        index: None,
        problems: Vec::new(),
    };
    let cases = match doc::from_yaml(text) {
        Ok(document) => reader.document(stem, &document),
        Err(e) => {
            let at = match (e.line, e.column) {
                (Some(l), Some(c)) => format!(" at line {l} column {c}"),
                _ => String::new(),
            };
            reader.problem("", format!("not valid YAML{at}: {}", e.message), None);
            if let Some(p) = reader.problems.last_mut() {
                p.code = codes::SYNTAX;
                p.position = e.line.zip(e.column);
            }
            Vec::new()
        }
    };
    let text: Arc<str> = Arc::from(text);
    if reader.problems.is_empty() {
        Ok(TestFile {
            name: name.to_owned(),
            cases,
            text: Some(text),
        })
    } else {
        let mut problems = reader.problems;
        for p in &mut problems {
            p.text = Some(Arc::clone(&text));
        }
        Err(problems)
    }
}

struct Reader<'a> {
    program: &'a Program,
    policy_dir: &'a Path,
    fact_limit: usize,
    file: &'a str,
    case: Option<String>,
    index: Option<usize>,
    problems: Vec<Problem>,
}

const CASE_FIELDS: [&str; 4] = ["name", "facts", "as_of", "expect"];
const EXPECT_FIELDS: [&str; 3] = ["outcome", "by", "missing"];

impl Reader<'_> {
    fn problem(&mut self, field: &str, message: String, help: Option<String>) {
        self.problems.push(Problem {
            code: code_of(field, &message),
            file: self.file.to_owned(),
            case: self.case.clone(),
            index: self.index,
            field: field.to_owned(),
            message,
            help,
            position: None,
            text: None,
        });
    }

    fn document(&mut self, stem: &str, document: &Doc) -> Vec<Case> {
        let example =
            "write `cases:` followed by a list of cases, each with `name`, `facts` and `expect`";
        let Some(entries) = document.entries() else {
            self.problem(
                "",
                format!(
                    "expected a mapping with `cases`, found {}",
                    document.describe()
                ),
                Some(example.to_owned()),
            );
            return Vec::new();
        };
        for (key, _) in entries {
            if key != "cases" {
                self.unknown_key("", key, &["cases"]);
            }
        }
        let Some(list) = document.get("cases").and_then(Doc::items) else {
            self.problem(
                "cases",
                "expected a list of cases".to_owned(),
                Some(example.to_owned()),
            );
            return Vec::new();
        };
        let mut cases: Vec<Case> = Vec::new();
        for (i, case) in list.iter().enumerate() {
            self.case = Some(format!("#{}", i + 1));
            self.index = Some(i);
            if let Some(c) = self.case_of(stem, case) {
                if cases.iter().any(|other| other.name == c.name) {
                    self.problem(
                        "name",
                        "another case in this file has this name".to_owned(),
                        Some("give each case its own name".to_owned()),
                    );
                } else {
                    cases.push(c);
                }
            }
        }
        self.case = None;
        self.index = None;
        cases
    }

    fn unknown_key(&mut self, field: &str, key: &str, known: &[&str]) {
        let help = match suggest::closest(key, known.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("the fields are {}", known.join(", ")),
        };
        let at = if field.is_empty() {
            key.to_owned()
        } else {
            format!("{field}.{key}")
        };
        self.problem(&at, "unknown field".to_owned(), Some(help));
    }

    fn case_of(&mut self, stem: &str, case: &Doc) -> Option<Case> {
        let Some(entries) = case.entries() else {
            self.problem(
                "",
                format!("expected a mapping, found {}", case.describe()),
                Some("a case has `name`, `facts`, `expect` and may have `as_of`".to_owned()),
            );
            return None;
        };
        let name = match case.get("name") {
            Some(Doc::String(n))
                if !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                self.case = Some(format!("`{n}`"));
                Some(n.clone())
            }
            other => {
                let found = other.map_or("nothing".to_owned(), Doc::describe);
                self.problem(
                    "name",
                    format!("expected a name of letters, digits and `_`, found {found}"),
                    Some("name a case for the behaviour it shows, such as `agency_created_account_excluded`".to_owned()),
                );
                None
            }
        };
        for (key, _) in entries {
            if !CASE_FIELDS.contains(&key.as_str()) {
                self.unknown_key("", key, &CASE_FIELDS);
            }
        }
        let facts = self.facts(case.get("facts"));
        let date_help = || Some("write dates as YYYY-MM-DD, such as 2026-11-25".to_owned());
        // `Err` when `as_of` is written wrong: reported, and the case is dropped.
        let as_of = match case.get("as_of") {
            None => Ok(facts.as_ref().and_then(|f| f.as_of(&self.program.schema))),
            Some(Doc::String(s)) => crate::base::dates::parse(s).map(Some).map_err(|e| match e {
                crate::base::dates::DateError::BeforeFirst => format!("`{s}` {e}"),
                _ => format!("`{s}` is not a calendar date"),
            }),
            Some(other) => Err(format!("expected a date, found {}", other.describe())),
        };
        let as_of = as_of.unwrap_or_else(|message| {
            self.problem("as_of", message, date_help());
            None
        });
        let expect = self.expectations(case.get("expect"));
        let written_as_of = case.get("as_of").is_some();
        let (name, facts, expect) = (name?, facts?, expect?);
        let Some(as_of) = as_of else {
            if written_as_of {
                return None;
            }
            self.problem(
                "as_of",
                "the case has no evaluation date".to_owned(),
                Some("add `as_of: 2026-11-25` to the case or to its facts, so that it gives the same answer every day".to_owned()),
            );
            return None;
        };
        Some(Case {
            name: format!("{stem}::{name}"),
            facts,
            as_of,
            expect,
        })
    }

    fn facts(&mut self, facts: Option<&Doc>) -> Option<Facts> {
        let (document, shown) = match facts {
            Some(Doc::String(path)) => {
                let full = self.policy_dir.join(path);
                let Some(format) = Format::of_path(&full) else {
                    self.problem(
                        "facts",
                        format!("`{path}` is not a .yaml, .yml or .json file"),
                        None,
                    );
                    return None;
                };
                let text = match read_text(&full, self.fact_limit) {
                    Ok(text) => text,
                    Err(e) => {
                        self.problem(
                            "facts",
                            format!("cannot read `{}`: {e}", full.display()),
                            Some("a path is relative to the policy directory, such as `examples/NAME.yaml`".to_owned()),
                        );
                        return None;
                    }
                };
                let parsed = match format {
                    Format::Yaml => doc::from_yaml(&text),
                    Format::Json => doc::from_json(&text),
                };
                match parsed {
                    Ok(d) => (d, format!("facts ({path})")),
                    Err(e) => {
                        self.problem(
                            "facts",
                            format!("`{}` is not valid: {}", full.display(), e.message),
                            None,
                        );
                        return None;
                    }
                }
            }
            Some(d @ Doc::Map(_)) => (d.clone(), "facts".to_owned()),
            other => {
                let found = other.map_or("nothing".to_owned(), Doc::describe);
                self.problem(
                    "facts",
                    format!("expected a mapping of facts or a path to a fact file, found {found}"),
                    Some(
                        "write `facts: examples/NAME.yaml`, or the facts themselves under `facts:`"
                            .to_owned(),
                    ),
                );
                return None;
            }
        };
        match facts::load(&self.program.schema, &document) {
            Ok(loaded) if loaded.warnings.is_empty() => Some(loaded.facts),
            Ok(loaded) => {
                // A misspelt fact would silently be unknown: in a test, that is a mistake.
                for w in loaded.warnings {
                    let field = format!("{shown}.{}", w.path);
                    self.problem(&field, "not a fact of the schema".to_owned(), w.help);
                }
                None
            }
            Err(problems) => {
                for p in problems {
                    let field = if p.path.is_empty() {
                        shown.clone()
                    } else {
                        format!("{shown}.{}", p.path)
                    };
                    self.problem(&field, p.message, p.help);
                }
                None
            }
        }
    }

    fn expectations(&mut self, expect: Option<&Doc>) -> Option<Vec<Expectation>> {
        let entries = match expect.and_then(Doc::entries) {
            Some(entries) if !entries.is_empty() => entries,
            _ => {
                let example = self.program.decisions.first().map(|d| {
                    let outcome = outcomes(self.program, d)
                        .into_iter()
                        .next()
                        .unwrap_or_default();
                    format!("such as `expect: {{{}: {outcome}}}`", d.id)
                });
                self.problem(
                    "expect",
                    "expected a mapping from decision ids to outcomes".to_owned(),
                    example,
                );
                return None;
            }
        };
        let mut all = Some(Vec::new());
        for (id, expected) in entries {
            let one = self.expectation(id, expected);
            match (&mut all, one) {
                (Some(list), Some(e)) => list.push(e),
                _ => all = None,
            }
        }
        all
    }

    fn expectation(&mut self, id: &str, expected: &Doc) -> Option<Expectation> {
        let field = format!("expect.{id}");
        let Some(decision) = self.program.decision(id) else {
            let ids = self.program.decisions.iter().map(|d| d.id.as_str());
            let help = suggest::closest(id, ids).map(|s| format!("did you mean `{s}`?"));
            self.problem(&field, format!("no decision `{id}`"), help);
            return None;
        };
        let (outcome, by, missing) = match expected {
            Doc::String(_) => (Some(expected), None, None),
            Doc::Map(entries) => {
                for (key, _) in entries {
                    if !EXPECT_FIELDS.contains(&key.as_str()) {
                        self.unknown_key(&field, key, &EXPECT_FIELDS);
                    }
                }
                (
                    expected.get("outcome"),
                    expected.get("by"),
                    expected.get("missing"),
                )
            }
            other => {
                self.problem(
                    &field,
                    format!(
                        "expected an outcome or a mapping with `outcome`, found {}",
                        other.describe()
                    ),
                    Some(format!(
                        "such as `{id}: {}`",
                        outcomes(self.program, decision).join(" | ")
                    )),
                );
                return None;
            }
        };
        let outcome = self.outcome(&format!("{field}.outcome"), decision, outcome);
        let by = by.map(|b| self.by(&format!("{field}.by"), decision, b));
        let missing = missing.map(|m| self.missing(&format!("{field}.missing"), m));
        Some(Expectation {
            decision: id.to_owned(),
            outcome: outcome?,
            by: by.map_or(Some(None), |b| b.map(Some))?,
            missing: missing.map_or(Some(None), |m| m.map(Some))?,
        })
    }

    fn outcome(
        &mut self,
        field: &str,
        decision: &DecisionIr,
        outcome: Option<&Doc>,
    ) -> Option<String> {
        let known = outcomes(self.program, decision);
        let Some(Doc::String(text)) = outcome else {
            let found = outcome.map_or("nothing".to_owned(), Doc::describe);
            self.problem(
                field,
                format!("expected the outcome of `{}`, found {found}", decision.id),
                Some(format!("the outcomes are {}", known.join(", "))),
            );
            return None;
        };
        if let Kind::Amount(currency) = decision.kind
            && !(text == words::UNDETERMINED
                || text == words::NOT_APPLICABLE && known.contains(text))
        {
            return match text.parse::<Money>() {
                Ok(m) if m.currency == currency => Some(m.to_string()),
                Ok(_) | Err(_) => {
                    self.problem(
                        field,
                        format!("`{text}` is not an amount in {currency}"),
                        Some(format!(
                            "write an amount such as \"1500.00 {currency}\", or {}",
                            known
                                .iter()
                                .skip(1)
                                .map(|w| format!("`{w}`"))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        )),
                    );
                    None
                }
            };
        }
        if known.iter().any(|k| k == text) {
            return Some(text.clone());
        }
        let help = match suggest::closest(text, known.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("the outcomes are {}", known.join(", ")),
        };
        self.problem(
            field,
            format!("`{text}` is not an outcome of `{}`", decision.id),
            Some(help),
        );
        None
    }

    fn by(&mut self, field: &str, decision: &DecisionIr, by: &Doc) -> Option<Vec<String>> {
        let names = self.names(field, by, "a rule id or row label")?;
        let mut known: Vec<&str> = decision
            .denies
            .iter()
            .chain(&decision.allows)
            .map(|r| r.id.as_str())
            .chain(decision.rows.iter().map(|r| r.label.as_str()))
            .collect();
        known.extend(["applies", "no_rule_allowed"]);
        let mut ok = true;
        for name in &names {
            if !known.contains(&name.as_str()) {
                let help = match suggest::closest(name, known.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the rules and rows are {}", known.join(", ")),
                };
                self.problem(
                    field,
                    format!("`{name}` is not a rule or row of `{}`", decision.id),
                    Some(help),
                );
                ok = false;
            }
        }
        ok.then_some(names)
    }

    fn missing(&mut self, field: &str, missing: &Doc) -> Option<Vec<String>> {
        let names = self.names(field, missing, "a fact path")?;
        let mut ok = true;
        for name in &names {
            if self.program.schema.slot(name).is_none() {
                let help = suggest::closest(name, self.program.schema.paths())
                    .map(|s| format!("did you mean `{s}`?"));
                self.problem(field, format!("`{name}` is not a fact of the schema"), help);
                ok = false;
            }
        }
        ok.then_some(names)
    }

    /// One name or a list of names, sorted.
    fn names(&mut self, field: &str, doc: &Doc, what: &str) -> Option<Vec<String>> {
        let mut names: Vec<String> = match doc {
            Doc::String(s) => vec![s.clone()],
            Doc::Seq(items) => {
                let texts: Option<Vec<String>> = items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect();
                let Some(texts) = texts else {
                    self.problem(
                        field,
                        format!("expected a list of names, each {what}"),
                        None,
                    );
                    return None;
                };
                texts
            }
            other => {
                self.problem(
                    field,
                    format!(
                        "expected {what} or a list of them, found {}",
                        other.describe()
                    ),
                    None,
                );
                return None;
            }
        };
        names.sort();
        Some(names)
    }
}

/// The outcomes a decision can have, as a test writes them.
fn outcomes(program: &Program, decision: &DecisionIr) -> Vec<String> {
    let mut known: Vec<String> = match &decision.kind {
        Kind::Amount(c) => vec![format!("\"1500.00 {c}\"")],
        kind => kind.outcome_words(&program.schema),
    };
    // A decision written in versions is `not_applicable` on the days none
    // is in force (a `gap`): a case may expect that too.
    if !decision.versions.is_empty() && !known.iter().any(|k| k == words::NOT_APPLICABLE) {
        known.push(words::NOT_APPLICABLE.into());
    }
    known.push(words::UNDETERMINED.into());
    known
}

/// How one case came out.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub name: String,
    pub file: String,
    /// Empty when the case passed.
    pub mismatches: Vec<Mismatch>,
    /// The decisions the case expects, as they came out (for the report).
    pub actual: Vec<DecisionOutcome>,
    /// An evaluation that could not finish.
    pub error: Option<String>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty() && self.error.is_none()
    }
}

/// One expected field that came out otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub decision: String,
    /// `outcome`, `by` or `missing`.
    pub field: &'static str,
    pub expected: String,
    pub actual: String,
}

/// The results of a run, in file and case order, and the coverage they reached.
#[derive(Debug, Clone)]
pub struct Report {
    pub results: Vec<CaseResult>,
    /// Cases left out by the filter.
    pub filtered_out: usize,
    pub coverage: Coverage,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| !r.passed()).count()
    }
}

/// Runs every case whose name contains `filter`.
pub fn run(program: &Program, files: &[TestFile], filter: Option<&str>) -> Report {
    let mut coverage = Coverage::new(program);
    let mut results = Vec::new();
    let mut filtered_out = 0;
    for file in files {
        for case in &file.cases {
            if filter.is_some_and(|f| !case.name.contains(f)) {
                filtered_out += 1;
                continue;
            }
            results.push(run_case(program, &file.name, case, &mut coverage));
        }
    }
    Report {
        results,
        filtered_out,
        coverage,
    }
}

fn run_case(program: &Program, file: &str, case: &Case, coverage: &mut Coverage) -> CaseResult {
    let decisions: Vec<String> = case.expect.iter().map(|e| e.decision.clone()).collect();
    let request = Request {
        as_of: case.as_of,
        as_of_source: AsOfSource::Facts,
        decisions: &decisions,
    };
    let mut result = CaseResult {
        name: case.name.clone(),
        file: file.to_owned(),
        mismatches: Vec::new(),
        actual: Vec::new(),
        error: None,
    };
    let evaluation: Evaluation = match program.evaluate_traced(&case.facts, &request, coverage) {
        Ok(evaluation) => evaluation,
        Err(e) => {
            result.error = Some(e.to_string());
            return result;
        }
    };
    for (expected, actual) in case.expect.iter().zip(&evaluation.decisions) {
        let mut differ = |field: &'static str, e: String, a: String| {
            if e != a {
                result.mismatches.push(Mismatch {
                    decision: expected.decision.clone(),
                    field,
                    expected: e,
                    actual: a,
                });
            }
        };
        differ(
            "outcome",
            expected.outcome.clone(),
            actual.outcome.as_text(),
        );
        if let Some(by) = &expected.by {
            let mut reasons: Vec<&str> = actual.reasons.iter().map(|r| r.rule.as_str()).collect();
            reasons.sort();
            differ("by", listed(by), format!("[{}]", reasons.join(", ")));
        }
        if let Some(missing) = &expected.missing {
            differ("missing", listed(missing), listed(&actual.missing));
        }
    }
    result.actual = evaluation.decisions;
    result
}

/// `[a, b]`, as a test file writes a list.
fn listed(names: &[String]) -> String {
    format!("[{}]", names.join(", "))
}

/// The cargo-test-like report: a line per case, the failures with an
/// expected-versus-actual diff, the coverage when asked, and
/// `N passed, M failed` last.
pub fn render(report: &Report, coverage: bool) -> String {
    // Values from facts and policies are echoed: shown escaped, never raw.
    crate::base::escape::lines_owned(render_unescaped(report, coverage))
}

fn render_unescaped(report: &Report, coverage: bool) -> String {
    let mut out = format!(
        "running {} case{}",
        report.results.len(),
        if report.results.len() == 1 { "" } else { "s" }
    );
    if report.filtered_out > 0 {
        let _ = write!(out, " ({} filtered out)", report.filtered_out);
    }
    out.push('\n');
    for r in &report.results {
        let status = if r.passed() { "ok" } else { "FAILED" };
        let _ = writeln!(out, "test {} ... {status}", r.name);
    }
    let failed: Vec<&CaseResult> = report.results.iter().filter(|r| !r.passed()).collect();
    if !failed.is_empty() {
        out.push_str("\nfailures:\n");
        for r in &failed {
            let _ = writeln!(out, "\n---- {} ({}) ----", r.name, r.file);
            if let Some(error) = &r.error {
                let _ = writeln!(out, "error: {error}");
                continue;
            }
            out.push_str("(- expected, + actual)\n");
            let mut decision = "";
            for m in &r.mismatches {
                if m.decision != decision {
                    decision = &m.decision;
                    let _ = writeln!(out, "{decision}:");
                }
                let _ = writeln!(out, "-   {}: {}", m.field, m.expected);
                let _ = writeln!(out, "+   {}: {}", m.field, m.actual);
            }
            out.push_str("actual:\n");
            for d in &r.actual {
                if r.mismatches.iter().any(|m| m.decision == d.id) {
                    for line in render::decision_text(d).lines() {
                        let _ = writeln!(out, "    {line}");
                    }
                }
            }
        }
        out.push_str("\nfailures:\n");
        for r in &failed {
            let _ = writeln!(out, "    {}", r.name);
        }
    }
    if coverage {
        out.push('\n');
        out.push_str(&report.coverage.render());
    }
    let _ = writeln!(
        out,
        "\n{} passed, {} failed",
        report.results.len() - failed.len(),
        failed.len()
    );
    out
}
