// credo studio: the page's state and what happens on each edit. Every
// edit, on either side, asks the server about the edited set (debounced,
// the stale request aborted) and redraws from the answer.

import { getJSON, post, debounce, firstError, parseAt, h } from './api.js';
import { Editor, offsetOf } from './editor.js';
import { renderForm, toYaml, fromYaml, setPath, factValue } from './facts.js';
import * as panels from './panels.js';

const $ = (id) => document.getElementById(id);

const state = {
  files: [], current: 0, facts: {}, schema: null, examples: [], corpus: null,
  problems: [], previous: new Map(), open: new Set(), fired: new Map(), coverage: [],
  seq: 0, controller: null, checks: false,
};

/** What the browser tests and the benchmark read: keystroke-to-outcome times. */
const metrics = { latencies: [], analysed: 0, inputAt: null, edits: 0 };
window.studioMetrics = metrics;

/** Notes an edit, so that an analysis can say which edits it has seen. */
function touched() {
  metrics.inputAt = performance.now();
  metrics.edits += 1;
  document.body.dataset.edits = String(metrics.edits);
}

const editor = new Editor({
  onInput: (text) => {
    touched();
    state.files[state.current].text = text;
    renderFiles();
    scheduleAnalyse();
  },
  onComplete: complete,
  onHover: hover,
});

const edited = () => state.files.map(({ name, text }) => ({ name, text }));
const dirty = () => state.files.some((f) => f.text !== f.saved);
const currentName = () => state.files[state.current]?.name;

function renderFiles() {
  const list = $('files');
  list.replaceChildren(...state.files.map((f, i) => {
    const errors = state.problems.filter((p) => p.file === f.name && p.severity === 'error').length;
    const classes = [f.text !== f.saved ? 'dirty' : '', errors ? 'has-errors' : ''].join(' ').trim();
    return h('li', {}, h('button', {
      type: 'button', 'aria-current': String(i === state.current), class: classes || null,
      'aria-label': `${f.name}${f.text !== f.saved ? ', edited' : ''}${errors ? `, ${errors} errors` : ''}`,
      onclick: () => openFile(i),
    }, f.name));
  }));
}

function coverageLines(name) {
  const lines = new Map();
  for (const c of state.coverage) {
    const p = parseAt(c.at);
    if (p && p.file === name) lines.set(p.line, c);
  }
  return lines;
}

function decorateEditor() {
  const name = currentName();
  editor.decorate({
    problems: state.problems.filter((p) => p.file === name),
    fired: state.fired.get(name) || new Set(),
    coverage: coverageLines(name),
  });
}

function openFile(i) {
  state.current = i;
  $('file-title').textContent = state.files[i].name;
  editor.load(state.files[i].text);
  decorateEditor();
  renderFiles();
}

function setStatus() {
  const status = $('check-status');
  const errors = state.problems.filter((p) => p.severity === 'error').length;
  const warnings = state.problems.length - errors;
  status.textContent = state.checks
    ? `The set checks${warnings ? ` (${warnings} warnings)` : ''}${dirty() ? '; unsaved edits' : ''}`
    : `${errors} error${errors === 1 ? '' : 's'}: outcomes are from the last set that checked`;
  status.className = state.checks ? 'good' : 'bad';
}

function renderProblems() {
  const list = $('problems');
  if (!state.problems.length) { list.replaceChildren(h('li', { class: 'muted none' }, 'No problems.')); return; }
  list.replaceChildren(...state.problems.map((p) => h('li', { class: p.severity },
    h('div', {}, h('strong', {}, `${p.severity}[${p.code}]`), ` ${p.file}:${p.range.start.line + 1}:${p.range.start.character + 1}: ${p.message}`),
    p.help ? h('div', { class: 'problem-help' }, `help: ${p.help}`) : null,
    h('div', { class: 'problem-actions' },
      h('button', { type: 'button', onclick: () => goto(`${p.file}:${p.range.start.line + 1}:${p.range.start.character + 1}`) }, 'go to'),
      p.fixes.map((f) => h('button', { type: 'button', class: 'quick-fix', onclick: () => applyFix(f) }, `quick fix: ${f.title}`))))));
}

function applyFix(fix) {
  const byFile = new Map();
  for (const e of fix.edits) {
    if (!byFile.has(e.file)) byFile.set(e.file, []);
    byFile.get(e.file).push(e);
  }
  for (const [name, edits] of byFile) {
    const i = state.files.findIndex((f) => f.name === name);
    if (i < 0) continue;
    if (i !== state.current) openFile(i);
    editor.applyEdits(edits);
  }
  editor.source.focus();
}

function goto(at) {
  const p = parseAt(at);
  if (!p) return;
  const i = state.files.findIndex((f) => f.name === p.file);
  if (i >= 0 && i !== state.current) openFile(i);
  editor.goto(p.line, p.column);
}

async function analyse() {
  const seq = ++state.seq;
  if (state.controller) state.controller.abort();
  state.controller = new AbortController();
  const inputAt = metrics.inputAt;
  // An answer can arrive while the author is still typing: say which edits it
  // has seen, so that nobody (the browser tests included) reads it as current.
  const edits = metrics.edits;
  const res = await post('/v1/studio/analyse', { files: edited(), facts: state.facts }, state.controller.signal);
  if (!res || seq !== state.seq) return;
  if (!res.ok) { $('check-status').textContent = firstError(res.data); return; }
  const data = res.data;
  state.problems = data.problems;
  state.checks = data.checks;
  if (data.explanation) {
    state.fired = panels.firedLines(data.explanation);
    panels.renderOutcomes($('outcomes'), data.explanation, state.previous, state.open, { goto, whatif });
    state.previous = new Map(data.explanation.decisions.map((d) => [d.id, d.outcome]));
  }
  const factProblems = [...(data.fact_problems || []), ...(data.fact_warnings || [])];
  $('fact-problems').replaceChildren(...factProblems.map((p) => h('li', {}, `${p.path}: ${p.message}${p.help ? ` (${p.help})` : ''}`)));
  if (data.eval_error) $('fact-problems').append(h('li', {}, data.eval_error));
  decorateEditor();
  renderProblems();
  renderFiles();
  setStatus();
  if (inputAt !== null && inputAt === metrics.inputAt) {
    metrics.latencies.push(performance.now() - inputAt);
    metrics.inputAt = null;
  }
  metrics.analysed += 1;
  document.body.dataset.analysed = String(metrics.analysed);
  document.body.dataset.analysedEdits = String(edits);
  if (data.checks) scheduleImpact();
}
const scheduleAnalyse = debounce(analyse, 15);

async function complete(pos) {
  const res = await post('/v1/studio/complete', { files: edited(), file: currentName(), ...pos });
  if (res && res.ok) editor.showCompletions(res.data.items);
}

async function hover(pos, at) {
  const res = await post('/v1/studio/hover', { files: edited(), file: currentName(), ...pos });
  if (res && res.ok) editor.showTip(pos, res.data.hover ? res.data.hover.text : '', at);
}

// Facts.

function renderFacts() {
  renderForm($('facts-form'), state.schema, state.facts, (path, value) => {
    setPath(state.facts, path, value);
    $('facts-yaml').value = toYaml(state.facts);
    markCustom();
    touched();
    scheduleAnalyse();
  });
  $('facts-yaml').value = toYaml(state.facts);
}

function markCustom(label = '(edited facts)') {
  const select = $('example');
  let custom = select.querySelector('option[value="__custom"]');
  if (!custom) { custom = h('option', { value: '__custom' }); select.prepend(custom); }
  custom.textContent = label;
  select.value = '__custom';
}

function loadFacts(facts, label) {
  state.facts = structuredClone(facts);
  renderFacts();
  markCustom(label ? `(${label})` : undefined);
  analyse();
  $('facts-title').scrollIntoView({ block: 'start' });
}

async function whatif(decision, box) {
  box.replaceChildren(h('p', { class: 'muted' }, 'Searching…'));
  const res = await post('/v1/studio/whatif', { files: edited(), facts: state.facts, decision });
  if (!res) return;
  if (!res.ok) { box.replaceChildren(h('p', {}, firstError(res.data))); return; }
  panels.renderWhatif(box, res.data, (alt) => {
    for (const c of alt.changes) setPath(state.facts, c.fact, factValue(state.schema, c.fact, c.to));
    renderFacts();
    markCustom();
    touched();
    analyse();
  });
}

// Proofs, tests, impact, save.

async function verify() {
  const box = $('findings');
  box.replaceChildren(h('p', { class: 'muted' }, 'Verifying…'));
  const res = await post('/v1/studio/verify', { files: edited() });
  if (!res) return;
  if (!res.ok) { box.replaceChildren(h('p', {}, `Cannot verify: ${firstError(res.data)}`)); return; }
  panels.renderFindings(box, res.data, loadFacts);
}

async function runTests() {
  const box = $('test-results');
  box.replaceChildren(h('p', { class: 'muted' }, 'Running…'));
  const res = await post('/v1/studio/tests', { files: edited() });
  if (!res) return;
  if (!res.ok) { box.replaceChildren(h('p', {}, `Cannot run the tests: ${firstError(res.data)}`)); return; }
  state.coverage = res.data.coverage;
  panels.renderTests(box, res.data);
  decorateEditor();
}

let impactSeq = 0;
async function impact() {
  const box = $('impact');
  if (!state.corpus) {
    box.replaceChildren(h('p', { class: 'muted' }, 'Start the studio with --corpus FILE.jsonl to see what an edit does to a corpus.'));
    return;
  }
  if (!dirty()) { box.replaceChildren(h('p', { class: 'muted' }, 'No unsaved edit: nothing changes.')); return; }
  const seq = ++impactSeq;
  const res = await post('/v1/studio/impact', { files: edited() });
  if (!res || seq !== impactSeq) return;
  if (!res.ok) { box.replaceChildren(h('p', {}, firstError(res.data))); return; }
  panels.renderImpact(box, res.data);
}
const scheduleImpact = debounce(impact, 250);

async function save() {
  const status = $('save-status');
  status.className = '';
  status.textContent = 'Saving…';
  const res = await post('/v1/studio/save', { files: edited() });
  if (!res) return;
  if (!res.ok) {
    status.className = 'bad';
    status.textContent = `Refused: ${firstError(res.data)}`;
    return;
  }
  for (const f of state.files) f.saved = f.text;
  status.textContent = res.data.saved.length ? `Saved ${res.data.saved.join(', ')}` : 'Nothing to save';
  renderFiles();
  setStatus();
  impact();
}

async function start() {
  const data = await getJSON('/v1/studio/files');
  state.files = data.files.map((f) => ({ ...f, saved: f.text }));
  state.schema = data.schema;
  state.examples = data.examples;
  state.corpus = data.corpus;
  const select = $('example');
  select.replaceChildren(...data.examples.map((e, i) => h('option', { value: String(i), title: e.about }, e.name.replace(/\.yaml$/, ''))));
  const preferred = data.examples.findIndex((e) => e.name === 'bc_admin_allocates_within_balance.yaml');
  const chosen = preferred >= 0 ? preferred : 0;
  select.value = String(chosen);
  state.facts = structuredClone(data.examples[chosen]?.facts || {});
  select.addEventListener('change', () => {
    const example = state.examples[Number(select.value)];
    if (!example) return;
    select.querySelector('option[value="__custom"]')?.remove();
    state.facts = structuredClone(example.facts);
    renderFacts();
    touched();
    analyse();
  });
  for (const radio of document.querySelectorAll('input[name="facts-mode"]')) {
    radio.addEventListener('change', () => {
      const yaml = radio.value === 'yaml' && radio.checked;
      $('facts-yaml').hidden = !yaml;
      $('facts-form').hidden = yaml;
      if (!yaml) renderFacts();
    });
  }
  $('facts-yaml').addEventListener('input', () => {
    try {
      state.facts = fromYaml($('facts-yaml').value);
      $('fact-problems').replaceChildren();
      markCustom();
      touched();
      scheduleAnalyse();
    } catch (e) {
      $('fact-problems').replaceChildren(h('li', {}, `YAML: ${e.message}`));
    }
  });
  $('facts-form').addEventListener('submit', (e) => e.preventDefault());
  $('verify').addEventListener('click', verify);
  $('run-tests').addEventListener('click', runTests);
  $('save').addEventListener('click', save);
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey && (e.key === 's' || e.key === 'S')) { e.preventDefault(); save(); }
  });
  renderFacts();
  openFile(Math.max(0, state.files.findIndex((f) => f.name === 'agency_partner.credo')));
  await analyse();
  impact();
  document.body.dataset.ready = 'true';
}

start().catch((e) => {
  $('check-status').textContent = `The studio could not start: ${e.message}`;
  throw e;
});

export { offsetOf };
