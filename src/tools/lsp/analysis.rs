//! A policy set held in memory, checked as `credo check` checks it, with
//! what the editor features read from it. Nothing here knows about LSP:
//! the inputs are plain texts and the positions zero-based lines and UTF-16
//! columns, so a browser editor can reuse it as it is.

use std::cell::OnceCell;
use std::path::PathBuf;

use crate::base::source::{FileId, Source, Sources, Span};
use crate::engine::program::Program;
use crate::lang::ast;
use crate::lang::diagnostics::{Diagnostic, Severity};
use crate::model::schema::Schema;
use crate::tools::policy_tests::{self, TestFile};

use super::index::Index;
use super::lex::{self, Token};
use super::text::{LineIndex, Pos, Range};

/// One file of text: its name (a path) and its contents.
#[derive(Debug, Clone)]
pub struct Doc {
    pub name: String,
    pub text: String,
}

/// What a policy set is made of: its `*.credo` files, in name order, and
/// its `tests/*.yaml` files.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub policies: Vec<Doc>,
    pub tests: Vec<Doc>,
    /// The policy directory, against which test files name their facts.
    pub dir: Option<PathBuf>,
}

/// One checked policy file, with what features read from it.
#[derive(Debug)]
pub struct File {
    pub index: LineIndex,
    pub tokens: Vec<Token>,
    ast: OnceCell<Option<ast::File>>,
}

/// A checked policy set.
#[derive(Debug)]
pub struct Analysis {
    pub input: Input,
    pub sources: Sources,
    pub files: Vec<File>,
    pub diagnostics: Vec<Diagnostic>,
    pub program: Option<Program>,
    /// The program's schema, or when the set has errors, the schema block
    /// built alone (so completion and hover still know the fields).
    pub schema: Option<Schema>,
    pub index: Index,
    tests: OnceCell<Vec<TestFile>>,
}

/// Where a thing is: a policy file of the set or a test file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Target {
    Policy(usize),
    Test(usize),
}

/// A place in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub target: Target,
    pub range: Range,
}

/// A problem, placed in its file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    pub file: usize,
    pub range: Range,
    pub error: bool,
    pub code: String,
    /// The message, then the help on a line of its own, as `credo check` prints them.
    pub message: String,
    pub related: Vec<(Location, String)>,
}

impl Analysis {
    /// Checks the set. Every file is checked even when others have errors.
    pub fn new(input: Input) -> Analysis {
        let mut sources = Sources::default();
        for doc in &input.policies {
            sources.add(Source::new(doc.name.clone(), doc.text.clone()));
        }
        let checked = crate::check_sources(sources);
        let files: Vec<File> = input
            .policies
            .iter()
            .map(|d| File {
                index: LineIndex::new(&d.text),
                tokens: lex::tokens(&d.text),
                ast: OnceCell::new(),
            })
            .collect();
        let mut analysis = Analysis {
            input,
            sources: checked.sources,
            files,
            diagnostics: checked.diagnostics,
            schema: None,
            program: checked.program,
            index: Index::default(),
            tests: OnceCell::new(),
        };
        analysis.schema = match &analysis.program {
            Some(p) => Some(p.schema.clone()),
            None => analysis.schema_alone(),
        };
        analysis.index = Index::build(&analysis);
        analysis
    }

    /// The schema from the first file whose schema block parses.
    fn schema_alone(&self) -> Option<Schema> {
        (0..self.files.len()).find_map(|i| {
            self.ast(i)?.items.iter().find_map(|item| match item {
                ast::Item::Schema(s) => Some(Schema::build(s, &mut Vec::new())),
                _ => None,
            })
        })
    }

    pub fn text(&self, file: usize) -> &str {
        self.input
            .policies
            .get(file)
            .map_or("", |d| d.text.as_str())
    }

    pub fn name(&self, file: usize) -> &str {
        self.input
            .policies
            .get(file)
            .map_or("", |d| d.name.as_str())
    }

    /// The syntax tree of a file, when it parses (parsed on first use).
    pub fn ast(&self, file: usize) -> Option<&ast::File> {
        let f = self.files.get(file)?;
        f.ast
            .get_or_init(|| crate::lang::syntax::parse(FileId(file as u32), self.text(file)).ok())
            .as_ref()
    }

    /// The set's test files, read against the program (none while it has errors).
    pub fn tests(&self) -> &[TestFile] {
        self.tests.get_or_init(|| {
            let Some(program) = &self.program else {
                return Vec::new();
            };
            let dir = self.input.dir.clone().unwrap_or_default();
            self.input
                .tests
                .iter()
                .filter_map(|d| {
                    let stem = std::path::Path::new(&d.name)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    policy_tests::parse(program, &dir, &d.name, &stem, &d.text).ok()
                })
                .collect()
        })
    }

    /// The range of a span of a policy file.
    pub fn range(&self, span: Span) -> Range {
        let file = span.file.0 as usize;
        match self.files.get(file) {
            Some(f) => f.index.range(self.text(file), span.start, span.end),
            None => Range::default(),
        }
    }

    pub fn offset(&self, file: usize, pos: Pos) -> usize {
        match self.files.get(file) {
            Some(f) => f.index.offset(self.text(file), pos),
            None => 0,
        }
    }

    /// Every problem `credo check` reports, by file.
    pub fn problems(&self) -> Vec<Problem> {
        self.diagnostics
            .iter()
            .map(|d| self.problem(d, d.severity == Severity::Error))
            .collect()
    }

    fn problem(&self, d: &Diagnostic, error: bool) -> Problem {
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        Problem {
            file: d.span.file.0 as usize,
            range: self.range(d.span),
            error,
            code: d.code.to_owned(),
            message,
            related: d
                .secondary
                .iter()
                .map(|(span, label)| {
                    (
                        Location {
                            target: Target::Policy(span.file.0 as usize),
                            range: self.range(*span),
                        },
                        label.clone(),
                    )
                })
                .collect(),
        }
    }

    /// The policy file whose name is `name`.
    pub fn file_named(&self, name: &str) -> Option<usize> {
        self.input.policies.iter().position(|d| d.name == name)
    }
}

/// The set checked from texts: a shortcut for tests and the studio.
pub fn analyse(policies: &[(&str, &str)]) -> Analysis {
    Analysis::new(Input {
        policies: policies
            .iter()
            .map(|(n, t)| Doc {
                name: (*n).to_owned(),
                text: (*t).to_owned(),
            })
            .collect(),
        tests: Vec::new(),
        dir: None,
    })
}
