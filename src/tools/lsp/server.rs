//! The LSP server as a plain state machine: messages in, messages out. The
//! transport (stdio, or memory in tests) only feeds it, so every method can
//! be tested and fuzzed without a process or a thread.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lt;
use serde_json::Value;

use super::analysis::{Analysis, Location, Problem, Target};
use super::store::Store;
use super::text::{Pos, Range};
use super::{complete, edit, hover, lens, navigate, outline, pending, test_files, uri};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Starting,
    Running,
    ShuttingDown,
    Exited(i32),
}

/// A language server for one policy directory.
pub struct Server {
    /// The directory given on the command line; it wins over the client's.
    flag_dir: Option<PathBuf>,
    store: Store,
    analysis: Option<Analysis>,
    dirty: bool,
    published: BTreeMap<String, Vec<lt::Diagnostic>>,
    /// Problems of the whole set with no file to show them on (no
    /// schema, no policy file at all), last shown as a message.
    shown: Vec<String>,
    state: State,
    cancelled: BTreeSet<RequestId>,
    pub(super) lenses: lens::State,
    /// The client registers file watchers when asked (`workspace.didChangeWatchedFiles.dynamicRegistration`).
    watch_files: bool,
}

/// A request that could not be answered: the error response's code and message.
type Failure = (ErrorCode, String);

fn invalid(e: impl std::fmt::Display) -> Failure {
    (ErrorCode::InvalidParams, e.to_string())
}

fn params<P: serde::de::DeserializeOwned>(value: Value) -> Result<P, Failure> {
    serde_json::from_value(value).map_err(invalid)
}

pub(super) fn lsp_pos(p: Pos) -> lt::Position {
    lt::Position {
        line: p.line,
        character: p.character,
    }
}

pub(super) fn lsp_range(r: Range) -> lt::Range {
    lt::Range {
        start: lsp_pos(r.start),
        end: lsp_pos(r.end),
    }
}

fn pos(p: lt::Position) -> Pos {
    Pos {
        line: p.line,
        character: p.character,
    }
}

fn range(r: lt::Range) -> Range {
    Range {
        start: pos(r.start),
        end: pos(r.end),
    }
}

impl Server {
    pub fn new(policies: Option<PathBuf>) -> Server {
        Server {
            flag_dir: policies,
            store: Store::default(),
            analysis: None,
            dirty: true,
            published: BTreeMap::new(),
            shown: Vec::new(),
            state: State::Starting,
            cancelled: BTreeSet::new(),
            lenses: lens::State::default(),
            watch_files: false,
        }
    }

    /// The process exit code once `exit` has been received: 0 after a
    /// `shutdown`, 1 without one.
    pub fn exit_code(&self) -> Option<i32> {
        match self.state {
            State::Exited(code) => Some(code),
            _ => None,
        }
    }

    /// Handles messages that arrived together, then publishes diagnostics
    /// if the set changed. A request about a document that a later message
    /// of the batch changes is answered `ContentModified`: its answer would be stale.
    pub fn handle_batch(&mut self, batch: Vec<Message>) -> Vec<Message> {
        let mut changed_later: Vec<BTreeSet<String>> = vec![BTreeSet::new(); batch.len()];
        let mut seen = BTreeSet::new();
        for (i, m) in batch.iter().enumerate().rev() {
            if let Some(slot) = changed_later.get_mut(i) {
                slot.clone_from(&seen);
            }
            if let Message::Notification(n) = m {
                if n.method == "textDocument/didChange"
                    && let Some(u) = n
                        .params
                        .pointer("/textDocument/uri")
                        .and_then(Value::as_str)
                {
                    seen.insert(u.to_owned());
                }
                if n.method == "$/cancelRequest"
                    && let Ok(p) = serde_json::from_value::<lt::CancelParams>(n.params.clone())
                {
                    self.cancelled.insert(match p.id {
                        lt::NumberOrString::Number(n) => RequestId::from(n),
                        lt::NumberOrString::String(s) => RequestId::from(s),
                    });
                }
            }
        }
        let mut out = Vec::new();
        for (m, later) in batch.into_iter().zip(changed_later) {
            if let Message::Request(r) = &m
                && let Some(u) = r
                    .params
                    .pointer("/textDocument/uri")
                    .and_then(Value::as_str)
                && later.contains(u)
            {
                out.push(Message::Response(Response::new_err(
                    r.id.clone(),
                    ErrorCode::ContentModified as i32,
                    "the document changed before this request was answered".to_owned(),
                )));
                continue;
            }
            out.extend(self.handle(m));
        }
        out.extend(self.idle());
        self.cancelled.clear();
        out
    }

    /// Handles one message.
    pub fn handle(&mut self, message: Message) -> Vec<Message> {
        match message {
            Message::Request(r) => self.request(r),
            Message::Notification(n) => self.notification(n),
            Message::Response(_) => Vec::new(),
        }
    }

    fn request(&mut self, r: Request) -> Vec<Message> {
        let id = r.id.clone();
        let result = if self.cancelled.remove(&id) {
            Err((ErrorCode::RequestCanceled, "cancelled".to_owned()))
        } else {
            match (self.state, r.method.as_str()) {
                (State::Starting, "initialize") => self.initialize(r.params),
                (State::Starting, _) => Err((
                    ErrorCode::ServerNotInitialized,
                    "the server is not initialized".to_owned(),
                )),
                (_, "initialize") => {
                    Err((ErrorCode::InvalidRequest, "initialized already".to_owned()))
                }
                (State::Running, "shutdown") => {
                    self.state = State::ShuttingDown;
                    Ok(Value::Null)
                }
                (State::Running, method) => self.answer(method, r.params),
                _ => Err((
                    ErrorCode::InvalidRequest,
                    "the server is shutting down".to_owned(),
                )),
            }
        };
        let response = match result {
            Ok(value) => Response {
                id,
                response_result: Ok(value),
            },
            Err((code, message)) => Response::new_err(id, code as i32, message),
        };
        let mut out = vec![Message::Response(response)];
        out.extend(self.lenses.take_requests());
        out
    }

    fn initialize(&mut self, value: Value) -> Result<Value, Failure> {
        let p: lt::InitializeParams = params(value)?;
        #[allow(deprecated)]
        let root = p
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .map(|f| f.uri.clone())
            .or(p.root_uri.clone())
            .and_then(|u| uri::to_path(&u));
        let option = p
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("policies"))
            .and_then(Value::as_str)
            .map(PathBuf::from);
        let dir = match (&self.flag_dir, option, &root) {
            (Some(d), _, _) => Some(d.clone()),
            (None, Some(d), Some(root)) if d.is_relative() => Some(root.join(d)),
            (None, Some(d), _) => Some(d),
            (None, None, Some(root)) if root.join("policies").is_dir() => {
                Some(root.join("policies"))
            }
            (None, None, root) => root.clone(),
        };
        let dir = dir.map(|d| std::path::absolute(&d).unwrap_or(d));
        self.watch_files = p
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|w| w.dynamic_registration)
            .unwrap_or(false);
        if let Some(dir) = &dir {
            self.store.load(dir);
        }
        if let Some(example) = p
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("example"))
            .and_then(Value::as_str)
        {
            self.lenses.example = Some(PathBuf::from(example));
        }
        self.state = State::Running;
        self.dirty = true;
        let result = lt::InitializeResult {
            capabilities: capabilities(),
            server_info: Some(lt::ServerInfo {
                name: "credo".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
        };
        serde_json::to_value(result).map_err(invalid)
    }

    fn notification(&mut self, n: Notification) -> Vec<Message> {
        if n.method == "exit" {
            self.state = State::Exited(if self.state == State::ShuttingDown {
                0
            } else {
                1
            });
            return Vec::new();
        }
        if self.state != State::Running {
            return Vec::new();
        }
        match n.method.as_str() {
            "initialized" if self.watch_files => return vec![watch_request()],
            "textDocument/didOpen" => {
                if let Ok(p) = params::<lt::DidOpenTextDocumentParams>(n.params)
                    && let Some(path) = uri::to_path(&p.text_document.uri)
                {
                    if self.store.dir.is_none()
                        && let Some(parent) = path.parent()
                    {
                        self.store.load(parent);
                    }
                    self.dirty |=
                        self.store
                            .open(&path, p.text_document.text, p.text_document.version);
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) = params::<lt::DidChangeTextDocumentParams>(n.params)
                    && let Some(path) = uri::to_path(&p.text_document.uri)
                {
                    let changes = p
                        .content_changes
                        .into_iter()
                        .map(|c| (c.range.map(range), c.text))
                        .collect();
                    self.dirty |= self.store.change(&path, p.text_document.version, changes);
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = params::<lt::DidCloseTextDocumentParams>(n.params)
                    && let Some(path) = uri::to_path(&p.text_document.uri)
                {
                    self.store.close(&path);
                    self.dirty = true;
                }
            }
            "workspace/didChangeWatchedFiles" => {
                if let Ok(p) = params::<lt::DidChangeWatchedFilesParams>(n.params) {
                    for change in p.changes {
                        if let Some(path) = uri::to_path(&change.uri) {
                            self.store.reload(&path);
                        }
                    }
                    if let Some(dir) = self.store.dir.clone() {
                        self.store.load(&dir);
                    }
                    self.dirty = true;
                    // Test results and the example's outcomes may have
                    // changed with no edit the client knows of.
                    self.lenses.refresh_client("workspace/codeLens/refresh");
                    self.lenses.refresh_client("workspace/inlayHint/refresh");
                    return self.lenses.take_requests();
                }
            }
            "workspace/didChangeConfiguration" => {
                if let Ok(p) = params::<lt::DidChangeConfigurationParams>(n.params)
                    && let Some(example) =
                        p.settings.pointer("/credo/example").and_then(Value::as_str)
                {
                    self.lenses.example = Some(PathBuf::from(example));
                    self.dirty = true;
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Checks the set again if it changed, and publishes the diagnostics
    /// that differ from those last published (an empty list clears a file).
    pub fn idle(&mut self) -> Vec<Message> {
        if self.state != State::Running || !self.dirty {
            return Vec::new();
        }
        self.refresh();
        let Some(a) = &self.analysis else {
            return Vec::new();
        };
        let mut now: BTreeMap<String, Vec<lt::Diagnostic>> = BTreeMap::new();
        for file in 0..a.files.len() {
            now.insert(uri::of_path(Path::new(a.name(file))), Vec::new());
        }
        for doc in &a.input.tests {
            now.insert(uri::of_path(Path::new(&doc.name)), Vec::new());
        }
        for p in test_files::problems(a) {
            let Some(doc) = a.input.tests.get(p.file) else {
                continue;
            };
            now.entry(uri::of_path(Path::new(&doc.name)))
                .or_default()
                .push(lt::Diagnostic {
                    range: lsp_range(p.range),
                    severity: Some(lt::DiagnosticSeverity::ERROR),
                    source: Some("credo test".to_owned()),
                    message: p.message,
                    ..Default::default()
                });
        }
        let mut unplaced = Vec::new();
        for problem in a
            .problems()
            .into_iter()
            .chain(lens::findings(&self.lenses, a))
        {
            let diagnostic = diagnostic(a, &problem);
            // A problem of the whole set when it has no file ("no schema"
            // for an empty directory) has no document to be shown on: a
            // `file://` URI with no path is none.
            if a.name(problem.file).is_empty() {
                unplaced.push(diagnostic.message);
                continue;
            }
            now.entry(uri::of_path(Path::new(a.name(problem.file))))
                .or_default()
                .push(diagnostic);
        }
        for (example, note) in pending::notes(&self.store.pending) {
            now.entry(uri::of_path(&example)).or_default().push(note);
        }
        let mut out = Vec::new();
        for (u, diagnostics) in &now {
            if self.published.get(u) == Some(diagnostics) {
                continue;
            }
            out.push(publish(a, u, diagnostics.clone(), &self.store));
        }
        for u in self.published.keys() {
            if !now.contains_key(u) {
                out.push(publish(a, u, Vec::new(), &self.store));
            }
        }
        self.published = now;
        if unplaced != self.shown {
            for message in &unplaced {
                out.push(Message::Notification(Notification::new(
                    "window/showMessage".to_owned(),
                    lt::ShowMessageParams {
                        typ: lt::MessageType::ERROR,
                        message: message.clone(),
                    },
                )));
            }
            self.shown = unplaced;
        }
        out
    }

    /// Analyses the set as it is now.
    fn refresh(&mut self) {
        if self.dirty || self.analysis.is_none() {
            let analysis = Analysis::after(self.store.input(), self.analysis.take());
            self.lenses.refresh(&analysis);
            self.analysis = Some(analysis);
            self.dirty = false;
        }
    }

    fn answer(&mut self, method: &str, value: Value) -> Result<Value, Failure> {
        // Completion reads the live text and the last schema: it need not wait for a check.
        if method == "textDocument/completion" {
            if self.analysis.is_none() {
                self.refresh();
            }
            return self.completion(value);
        }
        if method == "textDocument/formatting" || method == "textDocument/rangeFormatting" {
            return self.formatting(method, value);
        }
        self.refresh();
        let Some(a) = &self.analysis else {
            return Ok(Value::Null);
        };
        let result = match method {
            "textDocument/hover" => {
                let p: lt::HoverParams = params(value)?;
                let (file, at) = policy_at(a, &p.text_document_position_params)?;
                hover::hover(a, file, at)
                    .map(|(r, markdown)| lt::Hover {
                        contents: lt::HoverContents::Markup(lt::MarkupContent {
                            kind: lt::MarkupKind::Markdown,
                            value: markdown,
                        }),
                        range: Some(lsp_range(r)),
                    })
                    .map(to_value)
            }
            "textDocument/definition" => {
                let p: lt::GotoDefinitionParams = params(value)?;
                let (target, at) = target_at(a, &p.text_document_position_params)?;
                navigate::symbol_at(a, target, at)
                    .map(|s| locations(a, &navigate::definition(a, &s)))
                    .map(to_value)
            }
            "textDocument/references" => {
                let p: lt::ReferenceParams = params(value)?;
                let (target, at) = target_at(a, &p.text_document_position)?;
                navigate::symbol_at(a, target, at)
                    .map(|s| {
                        locations(
                            a,
                            &navigate::references(a, &s, p.context.include_declaration),
                        )
                    })
                    .map(to_value)
            }
            "textDocument/prepareRename" => {
                let p: lt::TextDocumentPositionParams = params(value)?;
                let (target, at) = target_at(a, &p)?;
                navigate::rename_range(a, target, at).map(|r| to_value(lsp_range(r)))
            }
            "textDocument/rename" => {
                let p: lt::RenameParams = params(value)?;
                let (target, at) = target_at(a, &p.text_document_position)?;
                let edits = navigate::rename(a, target, at, &p.new_name).map_err(invalid)?;
                Some(to_value(workspace_edit(a, &edits)))
            }
            "textDocument/codeAction" => {
                let p: lt::CodeActionParams = params(value)?;
                let file = policy(a, &p.text_document.uri)?;
                let actions: Vec<lt::CodeActionOrCommand> = edit::fixes(a, file, range(p.range))
                    .into_iter()
                    .map(|fix| {
                        lt::CodeActionOrCommand::CodeAction(lt::CodeAction {
                            title: fix.title,
                            kind: Some(lt::CodeActionKind::QUICKFIX),
                            diagnostics: Some(vec![diagnostic(a, &fix.problem)]),
                            edit: Some(workspace_edit(a, &fix.edits)),
                            is_preferred: Some(true),
                            ..Default::default()
                        })
                    })
                    .collect();
                Some(to_value(actions))
            }
            "textDocument/documentSymbol" => {
                let p: lt::DocumentSymbolParams = params(value)?;
                let file = policy(a, &p.text_document.uri)?;
                let symbols: Vec<lt::DocumentSymbol> = outline::document_symbols(a, file)
                    .into_iter()
                    .map(document_symbol)
                    .collect();
                Some(to_value(symbols))
            }
            "workspace/symbol" => {
                let p: lt::WorkspaceSymbolParams = params(value)?;
                #[allow(deprecated)]
                let symbols: Vec<lt::SymbolInformation> = outline::workspace_symbols(a, &p.query)
                    .into_iter()
                    .filter_map(|(name, kind, at)| {
                        Some(lt::SymbolInformation {
                            name,
                            kind: symbol_kind(kind),
                            tags: None,
                            deprecated: None,
                            location: location(a, &at)?,
                            container_name: None,
                        })
                    })
                    .collect();
                Some(to_value(symbols))
            }
            "textDocument/foldingRange" => {
                let p: lt::FoldingRangeParams = params(value)?;
                let file = policy(a, &p.text_document.uri)?;
                let ranges: Vec<lt::FoldingRange> = outline::folding(a, file)
                    .into_iter()
                    .map(|(start, end, comment)| lt::FoldingRange {
                        start_line: start,
                        end_line: end,
                        kind: Some(if comment {
                            lt::FoldingRangeKind::Comment
                        } else {
                            lt::FoldingRangeKind::Region
                        }),
                        ..Default::default()
                    })
                    .collect();
                Some(to_value(ranges))
            }
            "textDocument/semanticTokens/full" => {
                let p: lt::SemanticTokensParams = params(value)?;
                let file = policy(a, &p.text_document.uri)?;
                Some(to_value(semantic_tokens(outline::semantic_tokens(a, file))))
            }
            "textDocument/codeLens" => {
                let p: lt::CodeLensParams = params(value)?;
                let file = policy(a, &p.text_document.uri)?;
                Some(to_value(lens::code_lenses(&self.lenses, a, file)))
            }
            "textDocument/inlayHint" => {
                let p: lt::InlayHintParams = params(value)?;
                let file = policy(a, &p.text_document.uri)?;
                Some(to_value(lens::inlay_hints(&self.lenses, a, file)))
            }
            "workspace/executeCommand" => {
                let p: lt::ExecuteCommandParams = params(value)?;
                let result = self
                    .lenses
                    .execute(a, &p.command, &p.arguments)
                    .map_err(invalid)?;
                if self.lenses.needs_refresh {
                    self.dirty = true;
                }
                Some(result)
            }
            _ => return Err((ErrorCode::MethodNotFound, format!("no method `{method}`"))),
        };
        Ok(result.unwrap_or(Value::Null))
    }

    fn completion(&mut self, value: Value) -> Result<Value, Failure> {
        let p: lt::CompletionParams = params(value)?;
        let path = uri::to_path(&p.text_document_position.text_document.uri)
            .ok_or_else(|| invalid("not a file URI"))?;
        let (Some(a), Some(doc)) = (&self.analysis, self.store.get(&path)) else {
            return Ok(Value::Null);
        };
        let offset = super::text::offset_of(&doc.text, pos(p.text_document_position.position));
        let items: Vec<lt::CompletionItem> = complete::complete(a, &doc.text, offset)
            .into_iter()
            .map(|item| lt::CompletionItem {
                label: item.label,
                kind: Some(match item.kind {
                    complete::ItemKind::Field => lt::CompletionItemKind::FIELD,
                    complete::ItemKind::Record => lt::CompletionItemKind::MODULE,
                    complete::ItemKind::Member => lt::CompletionItemKind::ENUM_MEMBER,
                    complete::ItemKind::Decision => lt::CompletionItemKind::FUNCTION,
                    complete::ItemKind::Condition => lt::CompletionItemKind::CONSTANT,
                    complete::ItemKind::Keyword => lt::CompletionItemKind::KEYWORD,
                    complete::ItemKind::Currency => lt::CompletionItemKind::UNIT,
                }),
                detail: Some(item.detail),
                ..Default::default()
            })
            .collect();
        Ok(to_value(items))
    }

    fn formatting(&mut self, method: &str, value: Value) -> Result<Value, Failure> {
        let (uri, lines) = if method == "textDocument/formatting" {
            let p: lt::DocumentFormattingParams = params(value)?;
            (p.text_document.uri, None)
        } else {
            let p: lt::DocumentRangeFormattingParams = params(value)?;
            (
                p.text_document.uri,
                Some((p.range.start.line, p.range.end.line)),
            )
        };
        let path = uri::to_path(&uri).ok_or_else(|| invalid("not a file URI"))?;
        let Some(doc) = self.store.get(&path) else {
            return Ok(Value::Null);
        };
        let Some(edits) = edit::format(&doc.text, lines) else {
            // A file that does not parse is left as it is; its diagnostics say why.
            return Ok(Value::Null);
        };
        let edits: Vec<lt::TextEdit> = edits
            .into_iter()
            .map(|(r, new_text)| lt::TextEdit {
                range: lsp_range(r),
                new_text,
            })
            .collect();
        Ok(to_value(edits))
    }
}

/// Asks the client to tell the server of changes on disk to the set's
/// files it has not opened: policies, test files, example facts and
/// snapshots.
fn watch_request() -> Message {
    let watchers: Vec<lt::FileSystemWatcher> = [
        "**/*.credo",
        "**/tests/*.{yaml,yml}",
        "**/examples/*.{yaml,yml,json}",
        // Pending results come and go with `credo snapshot` and its review.
        "**/snapshots/*.{snap,snap.new}",
    ]
    .into_iter()
    .map(|glob| lt::FileSystemWatcher {
        glob_pattern: lt::GlobPattern::String(glob.to_owned()),
        kind: None,
    })
    .collect();
    let options = lt::DidChangeWatchedFilesRegistrationOptions { watchers };
    let params = lt::RegistrationParams {
        registrations: vec![lt::Registration {
            id: "credo-watch".to_owned(),
            method: "workspace/didChangeWatchedFiles".to_owned(),
            register_options: serde_json::to_value(options).ok(),
        }],
    };
    Message::Request(Request::new(
        RequestId::from("credo-watch".to_owned()),
        "client/registerCapability".to_owned(),
        serde_json::to_value(params).unwrap_or(Value::Null),
    ))
}

fn to_value<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn policy(a: &Analysis, u: &lt::Uri) -> Result<usize, Failure> {
    let path = uri::to_path(u).ok_or_else(|| invalid("not a file URI"))?;
    a.file_named(&path.display().to_string()).ok_or_else(|| {
        invalid(format!(
            "`{}` is not a policy file of the set",
            path.display()
        ))
    })
}

fn policy_at(a: &Analysis, p: &lt::TextDocumentPositionParams) -> Result<(usize, Pos), Failure> {
    Ok((policy(a, &p.text_document.uri)?, pos(p.position)))
}

fn target_at(a: &Analysis, p: &lt::TextDocumentPositionParams) -> Result<(Target, Pos), Failure> {
    let path = uri::to_path(&p.text_document.uri).ok_or_else(|| invalid("not a file URI"))?;
    let name = path.display().to_string();
    if let Some(file) = a.file_named(&name) {
        return Ok((Target::Policy(file), pos(p.position)));
    }
    match a.input.tests.iter().position(|d| d.name == name) {
        Some(i) => Ok((Target::Test(i), pos(p.position))),
        None => Err(invalid(format!("`{name}` is not a file of the policy set"))),
    }
}

fn name_of(a: &Analysis, target: Target) -> Option<&str> {
    match target {
        Target::Policy(i) => a.input.policies.get(i).map(|d| d.name.as_str()),
        Target::Test(i) => a.input.tests.get(i).map(|d| d.name.as_str()),
    }
}

pub(super) fn location(a: &Analysis, at: &Location) -> Option<lt::Location> {
    let u = uri::parse(&uri::of_path(Path::new(name_of(a, at.target)?)))?;
    Some(lt::Location {
        uri: u,
        range: lsp_range(at.range),
    })
}

fn locations(a: &Analysis, found: &[Location]) -> Vec<lt::Location> {
    found.iter().filter_map(|l| location(a, l)).collect()
}

fn workspace_edit(a: &Analysis, edits: &[(Location, String)]) -> lt::WorkspaceEdit {
    let mut by_file: BTreeMap<Target, Vec<lt::TextEdit>> = BTreeMap::new();
    for (at, new_text) in edits {
        by_file.entry(at.target).or_default().push(lt::TextEdit {
            range: lsp_range(at.range),
            new_text: new_text.clone(),
        });
    }
    let changes = by_file
        .into_iter()
        .filter_map(|(target, edits)| {
            let u = uri::parse(&uri::of_path(Path::new(name_of(a, target)?)))?;
            Some(lt::TextDocumentEdit {
                text_document: lt::OptionalVersionedTextDocumentIdentifier {
                    uri: u,
                    version: None,
                },
                edits: edits.into_iter().map(lt::OneOf::Left).collect(),
            })
        })
        .collect();
    lt::WorkspaceEdit {
        document_changes: Some(lt::DocumentChanges::Edits(changes)),
        ..Default::default()
    }
}

pub(super) fn diagnostic(a: &Analysis, p: &Problem) -> lt::Diagnostic {
    let related: Vec<lt::DiagnosticRelatedInformation> = p
        .related
        .iter()
        .filter_map(|(at, message)| {
            Some(lt::DiagnosticRelatedInformation {
                location: location(a, at)?,
                message: message.clone(),
            })
        })
        .collect();
    lt::Diagnostic {
        range: lsp_range(p.range),
        severity: Some(if p.error {
            lt::DiagnosticSeverity::ERROR
        } else {
            lt::DiagnosticSeverity::WARNING
        }),
        code: Some(lt::NumberOrString::String(p.code.clone())),
        source: Some("credo".to_owned()),
        message: p.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

fn publish(a: &Analysis, u: &str, diagnostics: Vec<lt::Diagnostic>, store: &Store) -> Message {
    let version = uri::parse(u)
        .and_then(|x| uri::to_path(&x))
        .and_then(|p| store.get(&p).and_then(|d| d.version));
    let _ = a;
    let mut params = serde_json::json!({"uri": u, "diagnostics": diagnostics});
    if let (Some(v), Some(map)) = (version, params.as_object_mut()) {
        map.insert("version".to_owned(), Value::from(v));
    }
    Message::Notification(Notification::new(
        "textDocument/publishDiagnostics".to_owned(),
        params,
    ))
}

fn symbol_kind(kind: outline::SymbolKind) -> lt::SymbolKind {
    match kind {
        outline::SymbolKind::Schema => lt::SymbolKind::STRUCT,
        outline::SymbolKind::Field => lt::SymbolKind::FIELD,
        outline::SymbolKind::Decision => lt::SymbolKind::FUNCTION,
        outline::SymbolKind::Rule => lt::SymbolKind::METHOD,
        outline::SymbolKind::Assertion => lt::SymbolKind::EVENT,
        outline::SymbolKind::Condition => lt::SymbolKind::CONSTANT,
    }
}

#[allow(deprecated)]
fn document_symbol(o: outline::Outline) -> lt::DocumentSymbol {
    lt::DocumentSymbol {
        name: o.name,
        detail: (!o.detail.is_empty()).then_some(o.detail),
        kind: symbol_kind(o.kind),
        tags: None,
        deprecated: None,
        range: lsp_range(o.range),
        selection_range: lsp_range(o.selection),
        children: (!o.children.is_empty())
            .then(|| o.children.into_iter().map(document_symbol).collect()),
    }
}

fn semantic_tokens(mut tokens: Vec<(u32, u32, u32, u32)>) -> lt::SemanticTokens {
    tokens.sort();
    let mut data = Vec::with_capacity(tokens.len());
    let (mut line, mut column) = (0, 0);
    for (l, c, length, kind) in tokens {
        let delta_line = l - line;
        let delta_start = if delta_line == 0 { c - column } else { c };
        data.push(lt::SemanticToken {
            delta_line,
            delta_start,
            length,
            token_type: kind,
            token_modifiers_bitset: 0,
        });
        (line, column) = (l, c);
    }
    lt::SemanticTokens {
        result_id: None,
        data,
    }
}

fn capabilities() -> lt::ServerCapabilities {
    lt::ServerCapabilities {
        text_document_sync: Some(lt::TextDocumentSyncCapability::Options(
            lt::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lt::TextDocumentSyncKind::INCREMENTAL),
                ..Default::default()
            },
        )),
        completion_provider: Some(lt::CompletionOptions {
            trigger_characters: Some(vec![".".to_owned(), " ".to_owned(), "[".to_owned()]),
            ..Default::default()
        }),
        hover_provider: Some(lt::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lt::OneOf::Left(true)),
        references_provider: Some(lt::OneOf::Left(true)),
        rename_provider: Some(lt::OneOf::Right(lt::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        document_formatting_provider: Some(lt::OneOf::Left(true)),
        document_range_formatting_provider: Some(lt::OneOf::Left(true)),
        code_action_provider: Some(lt::CodeActionProviderCapability::Simple(true)),
        document_symbol_provider: Some(lt::OneOf::Left(true)),
        workspace_symbol_provider: Some(lt::OneOf::Left(true)),
        folding_range_provider: Some(lt::FoldingRangeProviderCapability::Simple(true)),
        semantic_tokens_provider: Some(
            lt::SemanticTokensServerCapabilities::SemanticTokensOptions(
                lt::SemanticTokensOptions {
                    legend: lt::SemanticTokensLegend {
                        token_types: outline::TOKEN_TYPES
                            .iter()
                            .map(|t| lt::SemanticTokenType::new(t))
                            .collect(),
                        token_modifiers: Vec::new(),
                    },
                    full: Some(lt::SemanticTokensFullOptions::Bool(true)),
                    ..Default::default()
                },
            ),
        ),
        code_lens_provider: Some(lt::CodeLensOptions {
            resolve_provider: Some(false),
        }),
        inlay_hint_provider: Some(lt::OneOf::Left(true)),
        execute_command_provider: Some(lt::ExecuteCommandOptions {
            commands: lens::COMMANDS.iter().map(|c| (*c).to_owned()).collect(),
            ..Default::default()
        }),
        ..Default::default()
    }
}
