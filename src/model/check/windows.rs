//! Effective dates: `effective A..B`, `effective from A`, `effective until B`
//! on a decision, rule, row or named condition, and `gap` declarations.
//!
//! Versions are compiled away here, so that every evaluator, `verify` and
//! `whatif` see nothing new: each version's rules and rows are compiled as
//! written, then their conditions test `as_of` first (`as_of in A..B and
//! C`). `as_of` is always known, so a rule out of force is false, never
//! unknown, and neither fires nor leaves anything unsettled; `verify`
//! splits time at the windows' dates as at any date constant. The versions
//! of one decision become one decision whose `versions` list says which is
//! in force on which day, for `eval` and `explain` to name it.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::Checker;
use crate::base::dates;
use crate::base::source::Span;
use crate::base::suggest;
use crate::lang::ast::{self, CompareOp};
use crate::lang::diagnostics::{Diagnostic, codes};
use crate::model::ir::{DecisionIr, Node, NodeId, Period, Value, VersionIr};
use crate::model::schema::Type;

/// One version of a decision, compiled on its own.
pub(super) struct Version<'a> {
    pub decision: &'a ast::Decision,
    pub compiled: Option<DecisionIr>,
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl Checker<'_> {
    /// The days of a window, or an error when it has none (its start is after its end).
    pub(super) fn period(&mut self, window: &ast::Window) -> Option<Period> {
        if let (Some(from), Some(until)) = (window.from, window.until)
            && from > until
        {
            self.error(
                Diagnostic::error(
                    codes::BAD_WINDOW,
                    window.span,
                    format!(
                        "this window starts on {} after it ends on {}: it is never in force",
                        day(from),
                        day(until)
                    ),
                )
                .label("no day lies in it")
                .help(format!(
                    "write the earlier day first: `effective {}..{}`",
                    day(until),
                    day(from)
                )),
            );
            return None;
        }
        Some(Period {
            from: window.from,
            until: window.until,
        })
    }

    /// The condition that holds on the days of `period`, read from `as_of`;
    /// `None` for a period with no bound, or when the schema has no `as_of: date`.
    pub(super) fn in_force(&mut self, period: Period, span: Span) -> Option<NodeId> {
        let slot = self
            .schema
            .slot("as_of")
            .filter(|s| self.schema.field(*s).is_some_and(|f| f.ty == Type::Date));
        let Some(slot) = slot else {
            self.error(
                Diagnostic::error(
                    codes::BAD_WINDOW,
                    span,
                    "an effective window needs the evaluation date, but the schema has no `as_of: date`",
                )
                .label("in force on which days?")
                .help("declare `as_of: date` at the top of the schema"),
            );
            return None;
        };
        let as_of = self.push(Node::Fact(slot));
        let date = |checker: &mut Self, d: NaiveDate| checker.push(Node::Const(Value::Date(d)));
        Some(match (period.from, period.until) {
            (Some(a), Some(b)) => {
                let low = date(self, a);
                let high = date(self, b);
                self.push(Node::InRange {
                    value: as_of,
                    low,
                    high,
                    negated: false,
                })
            }
            (Some(a), None) => {
                let low = date(self, a);
                self.push(Node::Compare(CompareOp::Ge, as_of, low))
            }
            (None, Some(b)) => {
                let high = date(self, b);
                self.push(Node::Compare(CompareOp::Le, as_of, high))
            }
            (None, None) => return None,
        })
    }

    /// `test and condition`: the condition, tested only on the days `test` holds.
    pub(super) fn gated(
        &mut self,
        test: Option<NodeId>,
        condition: Option<NodeId>,
    ) -> Option<NodeId> {
        match (test, condition) {
            (Some(t), Some(c)) => {
                let args = self.push_args(vec![t, c]);
                Some(self.push(Node::And(args)))
            }
            (t, c) => t.or(c),
        }
    }

    /// A rule's or row's own window met with its decision version's: an
    /// error when they share no day.
    fn within(
        &mut self,
        what: &str,
        own: Option<Period>,
        version: Period,
        span: Span,
    ) -> Option<Period> {
        let Some(own) = own else {
            return Some(version);
        };
        let met = own.meet(&version);
        if met.is_none() {
            self.error(
                Diagnostic::error(
                    codes::BAD_WINDOW,
                    span,
                    format!(
                        "{what} is in force {own}, but its decision's version is in force {version}"
                    ),
                )
                .label("never in force")
                .help("move it to the version in force on its days, or widen its window"),
            );
        }
        met
    }

    /// Versions of one thing (`what`, such as "decision `x`") must not share a day.
    pub(super) fn disjoint(&mut self, what: &str, mut versions: Vec<(Period, Span)>) {
        versions.sort_by_key(|(p, _)| p.from);
        let mut reach: Option<(Period, Span)> = None;
        for (period, span) in versions {
            if let Some((earlier, at)) = reach
                && let Some(both) = earlier.meet(&period)
            {
                let first = both.from.unwrap_or(dates::FIRST);
                self.error(
                    Diagnostic::error(
                        codes::OVERLAPPING_VERSIONS,
                        span,
                        format!(
                            "two versions of {what} are in force on the same days, from {}",
                            day(first)
                        ),
                    )
                    .label(format!("in force {period}"))
                    .also(at, format!("also in force {earlier}"))
                    .help(match (earlier.until, first.pred_opt()) {
                        (Some(until), _) => format!(
                            "end the earlier version the day before the later starts, or start the later one after {}",
                            day(until)
                        ),
                        (None, Some(before)) => format!(
                            "end the earlier version the day before the later starts: `effective {}`",
                            Period { from: earlier.from, until: Some(before) }
                        ),
                        (None, None) => "give the versions days of their own".to_owned(),
                    }),
                );
            }
            let reaches_further = match &reach {
                None => true,
                Some((earlier, _)) => match (earlier.until, period.until) {
                    (_, None) => true,
                    (None, _) => false,
                    (Some(a), Some(b)) => b > a,
                },
            };
            if reaches_further {
                reach = Some((period, span));
            }
        }
    }

    /// The first day on which none of `periods` holds, if any, and the day after it they resume.
    fn first_uncovered(mut periods: Vec<Period>) -> Option<(NaiveDate, Option<NaiveDate>)> {
        periods.sort_by_key(|p| p.from);
        let mut next = dates::FIRST;
        for p in periods {
            if p.from.is_some_and(|f| f > next) {
                return Some((next, p.from.and_then(|f| f.pred_opt())));
            }
            match p.until {
                None => return None,
                Some(u) if u >= next => match u.succ_opt() {
                    Some(after) if u < dates::LAST => next = after,
                    _ => return None,
                },
                Some(_) => {}
            }
        }
        Some((next, None))
    }

    /// Merges the versions of every decision (by id) into one decision, with
    /// the declared gaps; checks that versions do not overlap and that a
    /// catalog decision has a version, or a gap, on every day.
    pub(super) fn merge_versions(
        &mut self,
        versions: Vec<Version<'_>>,
        gaps: &[&ast::Gap],
    ) -> Vec<DecisionIr> {
        let mut by_id: BTreeMap<String, Vec<Version<'_>>> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for v in versions {
            let id = v.decision.id.name.clone();
            if !by_id.contains_key(&id) {
                order.push(id.clone());
            }
            by_id.entry(id).or_default().push(v);
        }
        let mut gaps_of: BTreeMap<&str, Vec<&ast::Gap>> = BTreeMap::new();
        for gap in gaps {
            let id = gap.decision.name.as_str();
            match by_id.get(id) {
                Some(vs) if vs.iter().all(|v| v.decision.window.is_some()) => {
                    gaps_of.entry(id).or_default().push(gap);
                }
                Some(_) => self.error(
                    Diagnostic::error(
                        codes::BAD_WINDOW,
                        gap.decision.span,
                        format!(
                            "decision `{id}` has no effective windows, so it has no gap to declare"
                        ),
                    )
                    .label("always in force")
                    .help("give each version of the decision an `effective` window"),
                ),
                None => {
                    let help = suggest::closest(id, order.iter().map(String::as_str)).map_or_else(
                        || "a gap names a decision defined in the policy set".to_owned(),
                        |s| format!("did you mean `{s}`?"),
                    );
                    self.error(
                        Diagnostic::error(
                            codes::BAD_WINDOW,
                            gap.decision.span,
                            format!("gap for decision `{id}`, which no policy defines"),
                        )
                        .label("no such decision")
                        .help(help),
                    );
                }
            }
        }
        let catalog: Vec<String> = self.schema.catalog.iter().map(|e| e.id.clone()).collect();
        let mut merged = Vec::new();
        for id in order {
            let Some(vs) = by_id.remove(&id) else {
                continue;
            };
            let gaps = gaps_of.remove(id.as_str()).unwrap_or_default();
            if let [only] = vs.as_slice()
                && only.decision.window.is_none()
            {
                merged.extend(vs.into_iter().filter_map(|v| v.compiled));
                continue;
            }
            merged.extend(self.merge_one(&id, vs, &gaps, catalog.contains(&id)));
        }
        merged
    }

    fn merge_one(
        &mut self,
        id: &str,
        versions: Vec<Version<'_>>,
        gaps: &[&ast::Gap],
        in_catalog: bool,
    ) -> Option<DecisionIr> {
        let mut periods = Vec::new();
        for v in &versions {
            let window = v.decision.window.as_ref()?;
            periods.push((self.period(window)?, window.span));
        }
        let mut gap_periods = Vec::new();
        for gap in gaps {
            gap_periods.push((self.period(&gap.window)?, gap.window.span));
        }
        let all: Vec<(Period, Span)> = periods.iter().chain(&gap_periods).copied().collect();
        self.disjoint(&format!("decision `{id}`"), all.clone());
        let uncovered = Self::first_uncovered(all.iter().map(|(p, _)| *p).collect());
        // Days no version is in force, gaps or not: the decision does not apply then.
        let lapses = Self::first_uncovered(periods.iter().map(|(p, _)| *p).collect()).is_some();
        if in_catalog && let Some((from, until)) = uncovered {
            let span = versions
                .first()
                .map_or(Span::default(), |v| v.decision.id.span);
            let days = match until {
                Some(u) => format!("{}..{}", day(from), day(u)),
                None => format!("from {}", day(from)),
            };
            self.error(
                Diagnostic::error(
                    codes::UNCOVERED_DAYS,
                    span,
                    format!("decision `{id}` is required by the schema, but no version of it is in force on {}", day(from)),
                )
                .label(format!("no version in force {days}"))
                .help(format!(
                    "add a version `effective {days}`, or declare the gap: `gap {id} effective {days} because \"..\"`"
                )),
            );
        }
        let mut compiled = Vec::new();
        for (v, (period, span)) in versions.into_iter().zip(&periods) {
            compiled.push((v.compiled?, *period, *span));
        }
        let needs_applies = lapses || compiled.iter().any(|(d, ..)| d.applies.is_some());
        let (first, ..) = compiled.first()?;
        let mut out = DecisionIr {
            id: first.id.clone(),
            kind: first.kind.clone(),
            applies: None,
            notes: Vec::new(),
            denies: Vec::new(),
            allows: Vec::new(),
            rows: Vec::new(),
            origin: first.origin.clone(),
            versions: Vec::new(),
        };
        let mut applies = Vec::new();
        for (d, period, span) in compiled {
            let test = self.in_force(period, span);
            if needs_applies {
                applies.extend(self.gated(test, d.applies).or(test));
            }
            for (rules, into) in [(d.denies, &mut out.denies), (d.allows, &mut out.allows)] {
                for mut rule in rules {
                    rule.condition = self.gated(test, rule.condition);
                    let what = format!("rule `{}`", rule.id);
                    rule.window = self.within(&what, rule.window, period, rule.origin.span);
                    into.push(rule);
                }
            }
            for mut row in d.rows {
                row.condition = self.gated(test, row.condition);
                let what = format!("`{}`", row.label);
                row.window = self.within(&what, row.window, period, row.origin.span);
                out.rows.push(row);
            }
            out.versions.push(VersionIr {
                period,
                origin: d.origin,
                notes: d.notes,
                gap: None,
            });
        }
        for (gap, (period, _)) in gaps.iter().zip(&gap_periods) {
            out.versions.push(VersionIr {
                period: *period,
                origin: self.origin(gap.decision.span),
                notes: Vec::new(),
                gap: Some(gap.because.value.clone()),
            });
        }
        out.versions.sort_by_key(|v| v.period.from);
        if needs_applies {
            out.applies = match applies.as_slice() {
                [one] => Some(*one),
                _ => {
                    let args = self.push_args(applies);
                    Some(self.push(Node::Or(args)))
                }
            };
        }
        Some(out)
    }
}
