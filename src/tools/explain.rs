//! `credo explain`: a [`Tracer`] that records one evaluation as the evaluator
//! runs it, and renders the record. Every rule and table row is shown with
//! whether it matched, each condition as a tree with the facts its
//! comparisons read, and for what did not match, the comparison that failed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::Serialize;

use crate::base::hash::PolicyHash;
use crate::engine::eval::{EvalError, Request, Tracer, Tri};
use crate::engine::outcome::{AsOfSource, DecisionOutcome, Reason};
use crate::engine::program::Program;
use crate::engine::render;
use crate::input::facts::Facts;
use crate::model::ir::{DecisionIr, Node, NodeId, RowIr, RuleIr};

/// Records every event of an evaluation, decision by decision.
#[derive(Debug, Default)]
pub struct Recorder {
    decisions: Vec<Recorded>,
}

#[derive(Debug, Default)]
struct Recorded {
    id: String,
    nodes: BTreeMap<u32, Tri>,
    /// By rule id, which is unique within a decision.
    rules: BTreeMap<String, Option<bool>>,
    /// By row label (`row 2`, `otherwise`).
    rows: BTreeMap<String, Option<bool>>,
    outcome: Option<DecisionOutcome>,
}

impl Tracer for Recorder {
    fn node(&mut self, id: NodeId, result: &Tri) {
        if let Some(d) = self.decisions.last_mut() {
            d.nodes.insert(id.0, result.clone());
        }
    }

    fn decision(&mut self, decision: &DecisionIr) {
        self.decisions.push(Recorded {
            id: decision.id.clone(),
            ..Recorded::default()
        });
    }

    fn rule(&mut self, rule: &RuleIr, holds: Option<bool>) {
        if let Some(d) = self.decisions.last_mut() {
            // By where it is written: versions of a rule share its id.
            d.rules.insert(rule.origin.at.clone(), holds);
        }
    }

    fn row(&mut self, row: &RowIr, holds: Option<bool>) {
        if let Some(d) = self.decisions.last_mut() {
            d.rows.insert(row.origin.at.clone(), holds);
        }
    }

    fn outcome(&mut self, decision: &DecisionIr, outcome: &DecisionOutcome) {
        // Matched by id: an evaluator may report outcomes after later decisions' events.
        if let Some(d) = self
            .decisions
            .iter_mut()
            .find(|d| d.id == decision.id && d.outcome.is_none())
        {
            d.outcome = Some(outcome.clone());
        }
    }
}

/// How a condition, rule or row came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Truth {
    #[serde(rename = "true")]
    True,
    #[serde(rename = "false")]
    False,
    #[serde(rename = "unknown")]
    Unknown,
    /// Short-circuited, or after the answer was settled.
    #[serde(rename = "not_evaluated")]
    NotEvaluated,
}

impl Truth {
    fn of(holds: Option<Option<bool>>) -> Truth {
        match holds {
            Some(Some(true)) => Truth::True,
            Some(Some(false)) => Truth::False,
            Some(None) => Truth::Unknown,
            None => Truth::NotEvaluated,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Truth::True => "true",
            Truth::False => "false",
            Truth::Unknown => "unknown",
            Truth::NotEvaluated => "not evaluated",
        }
    }
}

/// An evaluation with its trace.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    #[serde(serialize_with = "date")]
    pub as_of: NaiveDate,
    #[serde(skip)]
    pub as_of_source: AsOfSource,
    /// The policy set that answered.
    pub policy_hash: PolicyHash,
    pub decisions: Vec<DecisionTrace>,
}

/// One decision: its outcome as `credo eval` gives it, then how it came about.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionTrace {
    #[serde(flatten)]
    pub outcome: DecisionOutcome,
    /// Where the decision is written.
    pub at: String,
    /// An action's `applies when` condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies: Option<ConditionTrace>,
    /// `allow` and `deny` rules in the order they are written.
    pub rules: Vec<RuleTrace>,
    /// Table rows in order.
    pub rows: Vec<RowTrace>,
    /// The decisions whose outcomes this one uses, each traced on its own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<DecisionTrace>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleTrace {
    /// `allow` or `deny`.
    pub effect: &'static str,
    pub id: String,
    pub at: String,
    /// Whether the rule fired (for `unless C`: whether C was false).
    pub matched: Truth,
    /// `when` or `unless`; absent for a rule that always fires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guard: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<ConditionTrace>,
    /// For a rule that did not fire (or is unknown): the comparisons that decided that.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub why_not: Vec<Culprit>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RowTrace {
    /// `row 2` or `otherwise`.
    pub label: String,
    pub at: String,
    pub matched: Truth,
    /// The row whose value is the outcome.
    pub chosen: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<ConditionTrace>,
    pub value: ValueTrace,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub why_not: Vec<Culprit>,
}

/// One node of a condition tree: `and`, `or` and `not` have children; a
/// comparison is a leaf with the facts it read.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionTrace {
    pub text: String,
    pub result: Truth,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<Read>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ConditionTrace>,
}

/// A fact a comparison read; `value` is `None` when the fact is missing.
#[derive(Debug, Clone, Serialize)]
pub struct Read {
    pub fact: String,
    pub value: Option<String>,
    /// `fact` names another decision, whose outcome was read.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub decision: bool,
}

/// A row's value expression and what it came to, when it was computed.
#[derive(Debug, Clone, Serialize)]
pub struct ValueTrace {
    pub text: String,
    /// A literal, whose value says nothing new.
    #[serde(skip)]
    pub literal: bool,
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<Read>,
}

/// A comparison that made a condition fail (or stay unknown).
#[derive(Debug, Clone, Serialize)]
pub struct Culprit {
    pub condition: String,
    pub result: Truth,
    pub reads: Vec<Read>,
}

/// Evaluates the requested decisions, recording how each came out.
pub fn explain(
    program: &Program,
    facts: &Facts,
    request: &Request<'_>,
) -> Result<Explanation, EvalError> {
    let mut recorder = Recorder::default();
    let evaluation = program.evaluate_traced(facts, request, &mut recorder)?;
    let decisions = recorder
        .decisions
        .iter()
        .filter_map(|recorded| {
            let decision = program.decision(&recorded.id)?;
            let outcome = recorded.outcome.clone()?;
            let as_of = evaluation.as_of;
            Some(
                Builder {
                    program,
                    recorded,
                    as_of,
                }
                .decision(decision, outcome),
            )
        })
        .collect::<Vec<_>>();
    let mut decisions = decisions;
    for d in &mut decisions {
        d.uses = used_traces(program, facts, request, &d.outcome.id)?;
    }
    Ok(Explanation {
        as_of: evaluation.as_of,
        as_of_source: evaluation.as_of_source,
        policy_hash: evaluation.policy_hash,
        decisions,
    })
}

/// The traces of the decisions `id` uses, each explained on its own with the
/// same facts and date (so with the same outcome as where it is used).
fn used_traces(
    program: &Program,
    facts: &Facts,
    request: &Request<'_>,
    id: &str,
) -> Result<Vec<DecisionTrace>, EvalError> {
    let Some(d) = program.decision(id) else {
        return Ok(Vec::new());
    };
    let mut traces = Vec::new();
    for index in program.uses(d) {
        let Some(used) = program.decisions.get(index as usize) else {
            continue;
        };
        let ids = [used.id.clone()];
        let alone = Request {
            decisions: &ids,
            ..request.clone()
        };
        traces.extend(explain(program, facts, &alone)?.decisions);
    }
    Ok(traces)
}

struct Builder<'a> {
    program: &'a Program,
    recorded: &'a Recorded,
    /// The evaluation date: only the rules and rows in force on it are shown.
    as_of: NaiveDate,
}

impl Builder<'_> {
    fn decision(&self, d: &DecisionIr, outcome: DecisionOutcome) -> DecisionTrace {
        let mut rules: Vec<(&RuleIr, &'static str)> = d
            .denies
            .iter()
            .map(|r| (r, "deny"))
            .chain(d.allows.iter().map(|r| (r, "allow")))
            .collect();
        rules.sort_by_key(|(r, _)| (r.origin.span.file, r.origin.span.start));
        let decided = outcome.outcome != crate::engine::outcome::Outcome::Undetermined;
        let chosen = match outcome.reasons.as_slice() {
            [Reason { rule, at, .. }] if decided => Some((rule.as_str(), at.as_str())),
            _ => None,
        };
        let in_force =
            |window: &Option<crate::model::ir::Period>| window.is_none_or(|w| w.holds(self.as_of));
        rules.retain(|(r, _)| in_force(&r.window));
        DecisionTrace {
            at: d.origin.at.clone(),
            applies: d.applies.map(|n| self.condition(n)),
            rules: rules
                .into_iter()
                .map(|(r, effect)| self.rule(r, effect))
                .collect(),
            rows: d
                .rows
                .iter()
                .filter(|row| in_force(&row.window))
                .map(|row| {
                    let label = (row.label.as_str(), row.origin.at.as_str());
                    self.row(row, chosen == Some(label))
                })
                .collect(),
            uses: Vec::new(),
            outcome,
        }
    }

    fn rule(&self, rule: &RuleIr, effect: &'static str) -> RuleTrace {
        let matched = Truth::of(self.recorded.rules.get(&rule.origin.at).copied());
        // The tree shows C of `unless C`, as written (without its window's
        // test); the rule fires when C is false.
        let shown = match (rule.unless, rule.written) {
            (true, Some(c)) => match self.program.node(c) {
                Some(Node::Not(inner)) => Some(*inner),
                _ => Some(c),
            },
            (_, c) => c,
        };
        RuleTrace {
            effect,
            id: rule.id.clone(),
            at: rule.origin.at.clone(),
            matched,
            guard: rule
                .written
                .map(|_| if rule.unless { "unless" } else { "when" }),
            condition: shown.map(|c| self.condition(c)),
            why_not: match rule.condition {
                Some(c) if matches!(matched, Truth::False | Truth::Unknown) => {
                    self.why_not(c, matched)
                }
                _ => Vec::new(),
            },
        }
    }

    fn row(&self, row: &RowIr, chosen: bool) -> RowTrace {
        let matched = Truth::of(self.recorded.rows.get(&row.origin.at).copied());
        let value = row.value;
        let computed = self.recorded.nodes.get(&value.0);
        RowTrace {
            label: row.label.clone(),
            at: row.origin.at.clone(),
            matched,
            chosen,
            condition: row.written.map(|c| self.condition(c)),
            value: ValueTrace {
                text: self.program.show(value).to_string(),
                literal: matches!(self.program.node(value), Some(Node::Const(_))),
                value: computed.map(|t| self.value(t)),
                reads: if computed.is_some() {
                    self.reads(value)
                } else {
                    Vec::new()
                },
            },
            why_not: match row.condition {
                Some(c) if matches!(matched, Truth::False | Truth::Unknown) => {
                    self.why_not(c, matched)
                }
                _ => Vec::new(),
            },
        }
    }

    fn truth(&self, node: NodeId) -> Truth {
        Truth::of(self.recorded.nodes.get(&node.0).map(Tri::truth))
    }

    fn value(&self, tri: &Tri) -> String {
        match tri {
            Tri::Known(v) => self.program.show_value(v),
            Tri::Unknown(_) => "unknown".to_owned(),
        }
    }

    fn children(&self, node: NodeId) -> Vec<NodeId> {
        match self.program.node(node) {
            Some(Node::And(args) | Node::Or(args)) => self.program.args(*args).to_vec(),
            Some(Node::Not(inner) | Node::Named { node: inner, .. }) => vec![*inner],
            _ => Vec::new(),
        }
    }

    fn condition(&self, node: NodeId) -> ConditionTrace {
        let result = self.truth(node);
        let children = self.children(node);
        let evaluated = result != Truth::NotEvaluated;
        ConditionTrace {
            text: self.program.show(node).to_string(),
            result,
            reads: if children.is_empty() && evaluated {
                self.reads(node)
            } else {
                Vec::new()
            },
            children: if evaluated {
                children.into_iter().map(|c| self.condition(c)).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// The facts read under a node, in order, each once.
    fn reads(&self, node: NodeId) -> Vec<Read> {
        let mut reads: Vec<Read> = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            match self.program.node(n) {
                Some(Node::Fact(slot)) => {
                    let (Some(field), Some(tri)) = (
                        self.program.schema.field(*slot),
                        self.recorded.nodes.get(&n.0),
                    ) else {
                        continue;
                    };
                    if reads.iter().all(|r| r.fact != field.path) {
                        reads.push(Read {
                            fact: field.path.clone(),
                            value: match tri {
                                Tri::Known(v) => Some(self.program.show_value(v)),
                                Tri::Unknown(_) => None,
                            },
                            decision: false,
                        });
                    }
                }
                // Another decision's outcome reads like a fact: `credit_track = managed`.
                Some(Node::Decision(index)) => {
                    let (Some(d), Some(tri)) = (
                        self.program.decisions.get(*index as usize),
                        self.recorded.nodes.get(&n.0),
                    ) else {
                        continue;
                    };
                    if reads.iter().all(|r| r.fact != d.id) {
                        reads.push(Read {
                            fact: d.id.clone(),
                            value: match tri {
                                Tri::Known(v) => Some(self.program.show_value(v)),
                                Tri::Unknown(_) => None,
                            },
                            decision: true,
                        });
                    }
                }
                Some(node) => {
                    let mut inner = operands(self.program, node);
                    inner.reverse();
                    stack.extend(inner);
                }
                None => {}
            }
        }
        reads
    }

    /// The comparisons that made `node` come out as `result` (false or unknown).
    fn why_not(&self, node: NodeId, result: Truth) -> Vec<Culprit> {
        let mut culprits = Vec::new();
        self.culprits(node, result, &mut culprits);
        culprits
    }

    fn culprits(&self, node: NodeId, result: Truth, out: &mut Vec<Culprit>) {
        let children = || self.children(node).into_iter();
        let with = |want: Truth| children().filter(move |c| self.truth(*c) == want);
        match (self.program.node(node), result) {
            // `not C` came out false because C was true, and the other way round.
            (Some(Node::Not(inner)), Truth::True) => self.culprits(*inner, Truth::False, out),
            (Some(Node::Not(inner)), Truth::False) => self.culprits(*inner, Truth::True, out),
            // One false operand settles an `and`, one true operand an `or`.
            (Some(Node::And(_)), Truth::False) | (Some(Node::Or(_)), Truth::True) => {
                if let Some(c) = with(result).next() {
                    self.culprits(c, result, out);
                }
            }
            // Every operand was needed to make the rest.
            (Some(Node::And(_) | Node::Or(_)), _) => {
                for c in with(result) {
                    self.culprits(c, result, out);
                }
            }
            (Some(Node::Not(inner)), _) => self.culprits(*inner, result, out),
            _ => out.push(Culprit {
                condition: self.program.show(node).to_string(),
                result,
                reads: self.reads(node),
            }),
        }
    }
}

/// The nodes a node reads, in evaluation order.
fn operands(program: &Program, node: &Node) -> Vec<NodeId> {
    program.operands(node)
}

fn date<S: serde::Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&d.format("%Y-%m-%d"))
}

/// The JSON form: the `credo eval` contract for each decision, plus
/// `at`, `applies`, `rules` and `rows`.
pub fn json(explanation: &Explanation) -> String {
    match serde_json::to_string_pretty(explanation) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}

/// The text form: each decision's outcome as `credo eval` prints it, then
/// every rule and row with its condition tree.
pub fn text(explanation: &Explanation) -> String {
    // Values from facts and policies are echoed: shown escaped, never raw.
    crate::base::escape::lines_owned(text_unescaped(explanation))
}

fn text_unescaped(explanation: &Explanation) -> String {
    let mut out = render::as_of_line(explanation.as_of, explanation.as_of_source);
    out.push_str(&render::policies_line(&explanation.policy_hash));
    for d in &explanation.decisions {
        out.push('\n');
        decision_text(&mut out, d);
    }
    out
}

/// One decision's trace; the decisions it uses follow, indented under `uses`.
fn decision_text(out: &mut String, d: &DecisionTrace) {
    out.push_str(&render::decision_text(&d.outcome));
    out.push('\n');
    let _ = writeln!(out, "  decision at {}", d.at);
    if let Some(applies) = &d.applies {
        tree(out, applies, "applies when ", 1);
    }
    let skipped = skip_reason(d);
    for r in &d.rules {
        let matched = match r.matched {
            Truth::NotEvaluated => format!("not evaluated, {skipped}"),
            other => other.as_str().to_owned(),
        };
        let _ = writeln!(out, "  {} {}: {matched}  ({})", r.effect, r.id, r.at);
        if let (Some(guard), Some(condition)) = (r.guard, &r.condition) {
            tree(out, condition, &format!("{guard} "), 2);
        }
        why_not(out, &r.why_not, r.matched);
    }
    for row in &d.rows {
        let matched = match (row.matched, row.chosen) {
            (Truth::NotEvaluated, _) => format!("not evaluated, {skipped}"),
            (m, true) => format!("{}, chosen", m.as_str()),
            (m, false) => m.as_str().to_owned(),
        };
        let _ = writeln!(out, "  {}: {matched}  ({})", row.label, row.at);
        if let Some(condition) = &row.condition {
            tree(out, condition, "when ", 2);
        }
        let v = &row.value;
        let _ = write!(out, "    => {}", v.text);
        match &v.value {
            Some(value) if !v.literal => {
                let _ = write!(out, " = {value}");
                reads(out, &v.reads);
            }
            _ => {}
        }
        out.push('\n');
        why_not(out, &row.why_not, row.matched);
    }
    for used in &d.uses {
        let _ = writeln!(out, "  uses {}:", used.outcome.id);
        let mut inner = String::new();
        decision_text(&mut inner, used);
        for line in inner.lines() {
            if line.is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
}

/// Why rules or rows were not evaluated, as far as the trace shows.
fn skip_reason(d: &DecisionTrace) -> &'static str {
    if d.applies.as_ref().is_some_and(|a| a.result != Truth::True) {
        "the decision did not apply"
    } else if d
        .rules
        .iter()
        .any(|r| r.effect == "deny" && r.matched == Truth::True)
    {
        "a deny already decided"
    } else {
        "an earlier row matched"
    }
}

fn tree(out: &mut String, node: &ConditionTrace, keyword: &str, depth: usize) {
    let _ = write!(
        out,
        "{:width$}{keyword}{}",
        "",
        node.text,
        width = depth * 2
    );
    // A short-circuited operand says so; a rule or row never reached just shows its condition.
    if node.result != Truth::NotEvaluated || keyword.is_empty() {
        let _ = write!(out, ": {}", node.result.as_str());
    }
    reads(out, &node.reads);
    out.push('\n');
    for child in &node.children {
        tree(out, child, "", depth + 1);
    }
}

fn reads(out: &mut String, reads: &[Read]) {
    if reads.is_empty() {
        return;
    }
    let shown: Vec<String> = reads.iter().map(read).collect();
    let _ = write!(out, " ({})", shown.join(", "));
}

/// `account.segment = smb`, or `account.segment is missing`.
fn read(read: &Read) -> String {
    match &read.value {
        Some(v) => format!("{} = {v}", read.fact),
        None if read.decision => format!("{} is undetermined", read.fact),
        None => format!("{} is missing", read.fact),
    }
}

fn why_not(out: &mut String, culprits: &[Culprit], matched: Truth) {
    if culprits.is_empty() {
        return;
    }
    let label = if matched == Truth::Unknown {
        "why unknown"
    } else {
        "why not"
    };
    let shown: Vec<String> = culprits
        .iter()
        .map(|c| {
            let mut s = format!("`{}` was {}", c.condition, c.result.as_str());
            if !c.reads.is_empty() {
                let read: Vec<String> = c.reads.iter().map(read).collect();
                let _ = write!(s, " because {}", read.join(" and "));
            }
            s
        })
        .collect();
    let _ = writeln!(out, "    {label}: {}", shown.join("; "));
}
