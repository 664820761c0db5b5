// The panels beside the editor: outcomes with their trace and what-ifs,
// verify findings, test results, and the impact of the edit on a corpus.

import { h, parseAt } from './api.js';

const POSITIVE = new Set(['eligible', 'permit']);
const NEGATIVE = new Set(['not_eligible', 'deny']);

export function outcomeClass(d) {
  if (POSITIVE.has(d.outcome)) return 'positive';
  if (NEGATIVE.has(d.outcome)) return 'negative';
  if (d.outcome === 'undetermined') return 'unknown';
  return 'neutral';
}

/** Whether a what-if is offered: every amount and every negative or unknown outcome. */
const offersWhatif = (d) => d.kind === 'amount' || NEGATIVE.has(d.outcome) || d.outcome === 'undetermined';

const shownRead = (r) => (r.value === null || r.value === undefined ? `${r.fact} is not given` : `${r.fact} is ${r.value}`);

/** A plain-language "why not" for a rule or row that did not fire. */
export function whyNot(item) {
  if (!item.why_not || !item.why_not.length) {
    return item.matched === 'not_evaluated' ? 'not reached: the outcome was settled before it' : '';
  }
  return item.why_not.map((c) => {
    const reads = c.reads.map(shownRead).join(', ');
    // For `unless C`, C holding is what stopped the rule.
    const verdict = { unknown: 'cannot be decided', true: 'holds', false: 'does not hold' }[c.result] || c.result;
    const guard = item.guard === 'unless' && c.result === 'true' ? 'unless ' : '';
    return `${guard}${c.condition} ${verdict}${reads ? ` (${reads})` : ''}`;
  }).join('; ');
}

/**
 * Renders the outcomes. `previous` maps decision ids to their last outcome
 * (a change is marked); `actions.goto(at)`, `actions.whatif(decision, box)`.
 */
export function renderOutcomes(list, explanation, previous, open, actions) {
  list.replaceChildren();
  for (const d of explanation.decisions) {
    const changed = previous.has(d.id) && previous.get(d.id) !== d.outcome;
    const traceId = `trace-${d.id}`;
    const expanded = open.has(d.id);
    const toggle = h('button', { type: 'button', 'aria-expanded': String(expanded), 'aria-controls': traceId, class: 'trace-toggle' }, 'trace');
    const whatifBox = h('div', { class: 'whatif', 'aria-live': 'polite' });
    const head = h('div', { class: 'outcome-head' },
      h('span', { class: 'decision-id' }, d.id),
      h('span', { class: `badge ${outcomeClass(d)}${changed ? ' changed' : ''}`, dataset: { outcome: d.outcome } }, d.outcome),
      toggle,
      offersWhatif(d) ? h('button', { type: 'button', class: 'whatif-button', onclick: () => actions.whatif(d.id, whatifBox) }, 'what if?') : null);
    const reasons = d.reasons.map((r) => h('p', { class: 'reason' }, `${r.rule}: ${r.message}`));
    if (d.missing && d.missing.length) reasons.push(h('p', { class: 'reason' }, `missing: ${d.missing.join(', ')}`));
    const trace = h('ul', { class: 'trace', id: traceId, hidden: !expanded },
      ...[...d.rules.map((r) => ({ ...r, label: `${r.effect} ${r.id}`, fired: r.matched === 'true' })),
        ...d.rows.map((r) => ({ ...r, fired: r.chosen, label: `${r.label}${r.value && r.value.text ? ` ⇒ ${r.value.text}` : ''}` }))]
        .map((item) => h('li', { class: item.fired ? 'fired' : '' },
          h('button', { type: 'button', class: 'link', onclick: () => actions.goto(item.at), title: `go to ${item.at}` }, item.at),
          ' ', item.label, item.fired ? ' — fired' : '',
          item.fired ? null : h('span', { class: 'why-not' }, whyNot(item) || `did not fire (${item.matched})`))));
    toggle.addEventListener('click', () => {
      const now = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(now));
      trace.hidden = !now;
      if (now) open.add(d.id); else open.delete(d.id);
    });
    list.append(h('li', { dataset: { decision: d.id } }, head, ...reasons, whatifBox, trace));
  }
}

/** Lines whose rule or row fired, by file. */
export function firedLines(explanation) {
  const lines = new Map();
  const add = (at) => {
    const p = parseAt(at);
    if (!p) return;
    if (!lines.has(p.file)) lines.set(p.file, new Set());
    lines.get(p.file).add(p.line);
  };
  for (const d of explanation.decisions) {
    d.rules.filter((r) => r.matched === 'true').forEach((r) => add(r.at));
    d.rows.filter((r) => r.chosen).forEach((r) => add(r.at));
  }
  return lines;
}

/** A what-if answer, each alternative with a button that applies it. */
export function renderWhatif(box, answer, apply) {
  box.replaceChildren();
  if (answer.answer === 'already') { box.append(h('p', {}, `Already ${answer.target}.`)); return; }
  if (answer.answer === 'impossible') { box.append(h('p', {}, `No facts give ${answer.target}.`)); return; }
  const note = answer.answer === 'fixed' ? ' (only facts the account cannot change)' : '';
  box.append(h('p', {}, `To get ${answer.target}${note}, any one of:`));
  box.append(h('ul', {}, answer.alternatives.map((alt, i) => h('li', {},
    alt.changes.map((c) => `${c.fact}: ${c.from ?? 'not given'} → ${c.to}`).join('; '),
    ` ⇒ ${alt.gives} `,
    h('button', { type: 'button', class: 'apply-whatif', onclick: () => apply(alt), 'aria-label': `Apply change ${i + 1}` }, 'apply')))));
}

/** Verify findings, each counterexample loadable as the facts. */
export function renderFindings(box, report, load) {
  box.replaceChildren();
  const s = report.summary;
  box.append(h('p', { class: 'summary' },
    `${s.errors} errors, ${s.warnings} warnings, ${s.proved} proved, ${s.refuted} refuted, ${s.not_analysed} not analysed`));
  const findings = report.decisions.flatMap((d) => d.findings);
  for (const f of findings) {
    box.append(h('div', { class: `finding ${f.level}` },
      h('strong', {}, `${f.level}: ${f.decision}${f.part ? ` ${f.part}` : ''}`), ` — ${f.message}`,
      f.detail ? h('div', { class: 'muted' }, f.detail) : null,
      f.examples.map((e) => h('button', { type: 'button', class: 'load-example', onclick: () => load(e.facts, `${f.decision}: ${e.label}`) }, `load ${e.label} as facts`))));
  }
  for (const a of report.assertions.filter((x) => x.verdict !== 'proved')) {
    box.append(h('div', { class: 'finding error' }, h('strong', {}, `${a.verdict}: `), a.assertion, ` (${a.at})`,
      a.examples.map((e) => h('button', { type: 'button', class: 'load-example', onclick: () => load(e.facts, `assertion: ${e.label}`) }, `load ${e.label} as facts`))));
  }
  if (!findings.length && report.assertions.every((x) => x.verdict === 'proved')) {
    box.append(h('p', {}, 'Nothing found: every rule can fire and every assertion is proved.'));
  }
}

/** Test results; the coverage goes on the rules, in the editor's gutter. */
export function renderTests(box, report) {
  box.replaceChildren();
  const covered = report.coverage.filter((c) => c.count > 0).length;
  box.append(h('p', { class: 'summary', id: 'tests-summary' },
    `${report.passed} passed, ${report.failed} failed; ${covered} of ${report.coverage.length} rules and rows covered`));
  const failed = report.results.filter((r) => !r.passed);
  if (failed.length) {
    box.append(h('ul', {}, failed.map((r) => h('li', { class: 'test-fail' }, `${r.file}: ${r.name}: `,
      r.error || r.mismatches.map((m) => `${m.decision} ${m.field}: expected ${m.expected}, got ${m.actual}`).join('; ')))));
  }
  const missed = report.coverage.filter((c) => c.count === 0);
  if (missed.length) box.append(h('p', { class: 'muted' }, `never fired: ${missed.map((c) => `${c.decision} ${c.what}`).join(', ')}`));
  if (report.snapshots) renderSnapshots(box, report.snapshots);
}

/** The examples' snapshots against the edited set, and the results waiting for review on disk. */
function renderSnapshots(box, s) {
  if (s.error) { box.append(h('p', { class: 'test-fail' }, s.error)); return; }
  const parts = [`${s.matched} match`];
  if (s.changed.length) parts.push(`${s.changed.length} change with this edit`);
  if (s.new.length) parts.push(`${s.new.length} new (no snapshot yet)`);
  if (s.failed.length) parts.push(`${s.failed.length} cannot be evaluated`);
  box.append(h('p', { class: 'summary', id: 'snapshots-summary' }, `Snapshots of the examples: ${parts.join(', ')}`));
  const change = (name, text) => h('li', { class: 'snapshot-change' }, h('span', {}, name), h('pre', { class: 'small' }, text.trimEnd()));
  // A long list stays folded, so that the panels below stay in view.
  if (s.changed.length) {
    const list = h('details', { id: 'snapshots-changed' },
      h('summary', {}, `the ${s.changed.length === 1 ? 'example' : `${s.changed.length} examples`} and what changes`),
      h('ul', {}, s.changed.map((c) => change(c.name, c.changes))));
    list.open = s.changed.length <= 3;
    box.append(list);
  }
  if (s.failed.length) box.append(h('ul', {}, s.failed.map((f) => h('li', { class: 'test-fail' }, `${f.name}: ${f.error}`))));
  if (s.pending.length) {
    box.append(h('p', { class: 'muted', id: 'snapshots-pending' },
      `${s.pending.length} saved result${s.pending.length === 1 ? '' : 's'} wait for review (credo snapshot --review):`));
    box.append(h('ul', {}, s.pending.map((p) => change(p.name, p.changes ?? 'a new result, no snapshot accepted yet'))));
  }
}

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs, text) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
};

/** The impact: a bar of flips per decision, then the money totals before and after. */
export function renderImpact(box, answer) {
  box.replaceChildren();
  const diff = answer.diff;
  const rows = diff.decisions.filter((d) => d.changed > 0);
  const still = diff.decisions.filter((d) => !d.changed).map((d) => d.id);
  box.append(h('p', {}, `${diff.accounts} accounts of ${answer.corpus}: `,
    rows.length === 1 ? '1 decision changes.' : `${rows.length} decisions change.`));
  if (!rows.length) return;
  const max = Math.max(1, ...rows.map((d) => d.changed));
  const rowHeight = 18;
  const width = 460;
  const labelWidth = 210;
  const chart = svg('svg', { class: 'impact-chart', width, height: rows.length * rowHeight + 6, role: 'img',
    'aria-label': `Accounts whose outcome flips, per decision: ${rows.map((d) => `${d.id} ${d.changed}`).join(', ')}` });
  rows.forEach((d, i) => {
    const y = i * rowHeight + 3;
    chart.append(svg('text', { x: 0, y: y + 12 }, d.id.length > 28 ? `${d.id.slice(0, 27)}…` : d.id));
    const w = Math.round(((width - labelWidth - 40) * d.changed) / max);
    const bar = svg('rect', { class: 'bar', x: labelWidth, y, width: Math.max(d.changed ? 2 : 0, w), height: rowHeight - 5 });
    bar.append(svg('title', {}, d.flips.map((f) => `${f.from} → ${f.to}: ${f.count}`).join('\n') || 'no change'));
    chart.append(bar, svg('text', { x: labelWidth + w + 4, y: y + 12 }, String(d.changed)));
  });
  box.append(chart);
  const money = diff.decisions.filter((d) => d.totals && d.totals.before !== d.totals.after);
  if (money.length) {
    box.append(h('table', { class: 'totals' },
      h('caption', { class: 'muted' }, 'Money decided, before and after the edit'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'decision'), h('th', { scope: 'col' }, 'before'), h('th', { scope: 'col' }, 'after'))),
      h('tbody', {}, money.map((d) => h('tr', {}, h('td', {}, d.id), h('td', {}, d.totals.before ?? '—'), h('td', {}, d.totals.after ?? '—'))))));
  }
  if (still.length) box.append(h('p', { class: 'muted small' }, `No account changes for ${still.join(', ')}.`));
}
