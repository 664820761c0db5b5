//! How far names reach, checked once every decision is: decisions used
//! inside decisions, named conditions written out where they are used, and
//! decisions used on days they have no version. Past a limit, the tools
//! that walk a decision written out (the evaluator, explain, verify, the
//! compiled program) would overflow the stack or run for minutes.

use std::collections::{BTreeMap, BTreeSet};

use crate::base::limits::{MAX_DECISION_DEPTH, MAX_WRITTEN_OUT};
use crate::base::source::Span;
use crate::lang::diagnostics::{Diagnostic, codes};
use crate::model::ir::{Args, DecisionIr, Node, NodeId};

use super::Checker;
use super::names::User;

impl Checker<'_> {
    /// Decisions used through decisions at most [`MAX_DECISION_DEPTH`] deep.
    /// Runs after the cycles are found: uses in a cycle are not followed
    /// twice. Walked with a stack of its own, so a long chain cannot
    /// overflow the checker's.
    pub(super) fn decision_depth(&mut self) {
        let uses = std::mem::take(&mut self.names.uses);
        let mut edges: BTreeMap<&User, Vec<(&User, Span)>> = BTreeMap::new();
        for (from, to, span) in &uses {
            edges.entry(from).or_default().push((to, *span));
        }
        // Decisions along the deepest chain a user starts, itself included.
        let mut depth: BTreeMap<&User, usize> = BTreeMap::new();
        for start in edges.keys().copied() {
            let mut path: Vec<(&User, usize)> = vec![(start, 0)];
            let mut on_path: BTreeSet<&User> = BTreeSet::from([start]);
            while let Some((user, next)) = path.last_mut() {
                let used = edges.get(*user).map_or(&[][..], Vec::as_slice);
                if let Some((child, _)) = used.get(*next) {
                    *next += 1;
                    if !depth.contains_key(child) && on_path.insert(child) {
                        path.push((child, 0));
                    }
                    continue;
                }
                let own = usize::from(matches!(user, User::Decision(_)));
                let below = used.iter().filter_map(|(c, _)| depth.get(c)).max();
                depth.insert(*user, own + below.copied().unwrap_or(0));
                on_path.remove(*user);
                path.pop();
            }
        }
        // Each use that takes a chain past the limit, once: where a decision
        // uses one already at the limit.
        let over: Vec<(String, String, Span)> = uses
            .iter()
            .filter(|(from, to, _)| {
                matches!(from, User::Decision(_))
                    && depth.get(to) == Some(&MAX_DECISION_DEPTH)
                    && depth.get(from).is_some_and(|d| *d > MAX_DECISION_DEPTH)
            })
            .map(|(from, to, span)| (self.user_name(from), self.user_name(to), *span))
            .collect();
        self.names.uses = uses;
        for (user, used, span) in over {
            self.error(
                Diagnostic::error(
                    codes::TOO_DEEP,
                    span,
                    format!(
                        "`{user}` uses `{used}`, which uses decisions {MAX_DECISION_DEPTH} deep: more than {MAX_DECISION_DEPTH} decisions would be decided inside each other"
                    ),
                )
                .label("this use is one level too many")
                .help("use the facts the deeper decisions read, or name the shared condition with `condition NAME = ..`"),
            );
        }
    }

    /// Each decision at most [`MAX_WRITTEN_OUT`] nodes written out, every
    /// named condition counted where it is used. The arena holds a node's
    /// operands before it (a named condition is checked before its first
    /// use), so one pass in order counts every node.
    pub(super) fn written_out(&mut self, decisions: &[DecisionIr]) {
        let mut size: Vec<u64> = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let operand = |id: &NodeId| size.get(id.0 as usize).copied().unwrap_or(1);
            let args = |a: &Args| {
                let start = a.start as usize;
                self.args
                    .get(start..start + a.len as usize)
                    .unwrap_or(&[])
                    .iter()
                    .fold(0u64, |sum, id| sum.saturating_add(operand(id)))
            };
            let below = match node {
                Node::Fact(_) | Node::Const(_) | Node::Decision(_) => 0,
                Node::Not(a) | Node::Named { node: a, .. } => operand(a),
                Node::Scaled { amount: a, .. } | Node::Round { value: a, .. } => operand(a),
                Node::And(list) | Node::Or(list) | Node::Call(_, list) => args(list),
                Node::Compare(_, a, b) | Node::Arith(_, a, b) => {
                    operand(a).saturating_add(operand(b))
                }
                Node::In { value, set, .. } => operand(value).saturating_add(args(set)),
                Node::InRange {
                    value, low, high, ..
                } => operand(value)
                    .saturating_add(operand(low))
                    .saturating_add(operand(high)),
            };
            size.push(below.saturating_add(1));
        }
        for d in decisions {
            let total = crate::model::ir::Model::roots(d).fold(0u64, |sum, id| {
                sum.saturating_add(size.get(id.0 as usize).copied().unwrap_or(1))
            });
            if total > MAX_WRITTEN_OUT {
                self.error(
                    Diagnostic::error(
                        codes::TOO_DEEP,
                        d.origin.span,
                        format!(
                            "decision `{}` has more than {MAX_WRITTEN_OUT} operations once each named condition is written out where it is used",
                            d.id
                        ),
                    )
                    .label("this decision")
                    .help("each use of a named condition counts its whole condition; name fewer layers, or use a condition once and combine the results with `and`/`or`"),
                );
            }
        }
    }

    /// A decision used as a value that has days with no version in force:
    /// on those days it is `not_applicable`, has no value, and its user is
    /// undetermined though no fact is missing. Said once per use, where the
    /// use is written.
    pub(super) fn used_without_version(&mut self, decisions: &[DecisionIr]) {
        let mut said = Vec::new();
        for (_, used, span) in &self.names.uses {
            let User::Decision(index) = used else {
                continue;
            };
            let Some(d) = self
                .names
                .decision_ids
                .get(*index as usize)
                .and_then(|id| decisions.iter().find(|d| d.id == *id))
            else {
                continue;
            };
            if let Some(days) = first_days_without_version(d) {
                said.push((d.id.clone(), days, *span));
            }
        }
        for (id, (first, last), span) in said {
            let days = match last {
                Some(last) => format!(
                    "from {} to {}",
                    first.format("%Y-%m-%d"),
                    last.format("%Y-%m-%d")
                ),
                None => format!("from {}", first.format("%Y-%m-%d")),
            };
            self.diagnostics.push(
                Diagnostic::warning(
                    codes::USED_WITHOUT_VERSION,
                    span,
                    format!(
                        "`{id}` has no version in force {days}: on such days it has no value, and what uses it is undetermined"
                    ),
                )
                .label("used here")
                .help(format!(
                    "give `{id}` a version for those days, or use it only in a decision whose versions end before them"
                )),
            );
        }
    }
}

/// The first days a decision with versions has none in force (a declared
/// gap, or days between or around its versions), as a first day and the
/// last when it has one; `None` for a decision in force every day.
fn first_days_without_version(
    d: &DecisionIr,
) -> Option<(chrono::NaiveDate, Option<chrono::NaiveDate>)> {
    if d.versions.is_empty() {
        return None;
    }
    let mut in_force: Vec<&crate::model::ir::Period> = d
        .versions
        .iter()
        .filter(|v| v.gap.is_none())
        .map(|v| &v.period)
        .collect();
    in_force.sort_by_key(|p| p.from);
    // The first day not yet covered, walking the versions in order.
    let mut next = Some(crate::base::dates::FIRST);
    for p in in_force {
        let day = next?;
        if let Some(from) = p.from.filter(|f| *f > day) {
            return Some((day, from.pred_opt()));
        }
        next = match p.until {
            Some(u) if u >= day => u.succ_opt(),
            Some(_) => Some(day),
            None => None,
        };
    }
    next.map(|day| (day, None))
}
