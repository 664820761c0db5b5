//! A policy set held in memory, checked as `credo check` checks it, with
//! what the editor features read from it. Nothing here knows about LSP:
//! the inputs are plain texts and the positions zero-based lines and UTF-16
//! columns, so a browser editor can reuse it as it is.

use std::cell::OnceCell;
use std::collections::HashMap;
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

/// One parsed policy file, with what features read from it. Kept from
/// one analysis to the next while its text and place in the set stay the
/// same, so that a keystroke parses one file, not the set.
#[derive(Debug)]
pub struct File {
    name: String,
    text: String,
    id: FileId,
    pub index: LineIndex,
    pub tokens: Vec<Token>,
    /// The parse errors, when it does not parse.
    errors: Option<Vec<Diagnostic>>,
}

impl File {
    fn new(id: FileId, doc: &Doc) -> (File, Option<ast::File>) {
        let parsed = crate::lang::syntax::parse(id, &doc.text);
        let (tree, errors) = match parsed {
            Ok(tree) => (Some(tree), None),
            Err(errors) => (None, Some(errors)),
        };
        let file = File {
            name: doc.name.clone(),
            text: doc.text.clone(),
            id,
            index: LineIndex::new(&doc.text),
            tokens: lex::tokens(&doc.text),
            errors,
        };
        (file, tree)
    }
}

/// A checked policy set.
#[derive(Debug)]
pub struct Analysis {
    pub input: Input,
    pub sources: Sources,
    pub files: Vec<File>,
    /// The syntax trees of the files that parse, in file order (as the
    /// checker takes them), and which tree each file has.
    trees: Vec<ast::File>,
    tree_of: Vec<Option<usize>>,
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
        Analysis::after(input, None)
    }

    /// Checks the set, parsing again only the files that changed since
    /// `previous`, whose parses it takes over.
    pub fn after(input: Input, previous: Option<Analysis>) -> Analysis {
        let mut kept: HashMap<String, (File, Option<ast::File>)> = HashMap::new();
        if let Some(previous) = previous {
            let Analysis {
                files,
                mut trees,
                tree_of,
                ..
            } = previous;
            for (file, tree) in files.into_iter().zip(tree_of) {
                let tree = tree.and_then(|t| trees.get_mut(t).map(std::mem::take));
                kept.insert(file.name.clone(), (file, tree));
            }
        }
        let mut sources = Sources::default();
        let mut files = Vec::with_capacity(input.policies.len());
        let mut trees = Vec::with_capacity(input.policies.len());
        let mut tree_of = Vec::with_capacity(input.policies.len());
        for doc in &input.policies {
            let id = sources.add(Source::new(doc.name.clone(), doc.text.clone()));
            let (file, tree) = match kept.remove(&doc.name) {
                Some((f, tree)) if f.id == id && f.text == doc.text => (f, tree),
                _ => File::new(id, doc),
            };
            tree_of.push(tree.map(|t| {
                trees.push(t);
                trees.len() - 1
            }));
            files.push(file);
        }
        let (program, diagnostics) = check(&sources, &files, &trees);
        let mut analysis = Analysis {
            input,
            sources,
            files,
            trees,
            tree_of,
            diagnostics,
            schema: None,
            program,
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

    /// The syntax tree of a file, when it parses.
    pub fn ast(&self, file: usize) -> Option<&ast::File> {
        self.trees.get((*self.tree_of.get(file)?)?)
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

/// What `credo check` reports for the set ([`crate::check_sources`]), from
/// the files' cached parses: the same steps, without parsing again.
fn check(
    sources: &Sources,
    files: &[File],
    trees: &[ast::File],
) -> (Option<Program>, Vec<Diagnostic>) {
    let limits = crate::Limits::default();
    if sources
        .iter()
        .any(|(_, s)| s.text.len() > limits.max_policy_bytes)
    {
        // Rare: let the library word the limit itself.
        let checked = crate::check_sources(sources.clone());
        return (checked.program, checked.diagnostics);
    }
    let diagnostics: Vec<Diagnostic> = files
        .iter()
        .flat_map(|f| f.errors.iter().flatten().cloned())
        .collect();
    let checked = crate::check_parsed(sources.clone(), trees, diagnostics);
    (checked.program, checked.diagnostics)
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
