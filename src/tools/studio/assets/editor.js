// The policy editor: a textarea under a highlighted copy of its text.
// The copy shows the tokens, the diagnostics underlined in place, and the
// lines whose rule or row fired; the gutter shows line numbers and the
// tests' coverage of each rule and row.

import { h } from './api.js';

const KEYWORDS = new Set(('schema decision decisions eligibility action classification amount allow deny ' +
  'when unless because applies note first otherwise and or not in true false min max optional fixed ' +
  'changeable default assert is monotone signed condition effective gap enum money text bool int date').split(' '));

/** Tokens of a line of policy text: [start, end, class]. */
export function tokenize(line) {
  const tokens = [];
  let i = 0;
  let afterNumber = false;
  while (i < line.length) {
    const c = line[i];
    if (c === '#') { tokens.push([i, line.length, 'tok-com']); break; }
    if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      j = Math.min(j + 1, line.length);
      tokens.push([i, j, 'tok-str']); i = j; afterNumber = false; continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i;
      while (j < line.length && /[0-9._-]/.test(line[j])) j++;
      tokens.push([i, j, 'tok-num']); i = j; afterNumber = true; continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < line.length && /[A-Za-z0-9_.]/.test(line[j])) j++;
      const word = line.slice(i, j);
      let cls = 'tok-path';
      if (KEYWORDS.has(word)) cls = 'tok-kw';
      else if (afterNumber && /^[A-Z]{3}$/.test(word)) cls = 'tok-cur';
      tokens.push([i, j, cls]); i = j; afterNumber = false; continue;
    }
    if (/[=<>!{}[\]:,()+\-*/]/.test(c)) { tokens.push([i, i + 1, 'tok-op']); }
    if (!/\s/.test(c)) afterNumber = false;
    i++;
  }
  return tokens;
}

/** A zero-based line and UTF-16 column to an offset in `text`. */
export function offsetOf(text, pos) {
  let offset = 0;
  for (let line = 0; line < pos.line; line++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  const end = text.indexOf('\n', offset);
  const lineEnd = end < 0 ? text.length : end;
  return Math.min(offset + pos.character, lineEnd);
}

/** An offset in `text` to a zero-based line and column. */
export function posOf(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

export class Editor {
  constructor({ onInput, onComplete, onHover }) {
    this.source = document.getElementById('source');
    this.highlight = document.getElementById('highlight');
    this.gutter = document.getElementById('gutter');
    this.popup = document.getElementById('completions');
    this.tip = document.getElementById('hover');
    this.onInput = onInput;
    this.onComplete = onComplete;
    this.onHover = onHover;
    this.problems = [];
    this.fired = new Set();
    this.coverage = new Map();
    this.items = [];
    this.selected = 0;
    this.source.addEventListener('input', () => { this.closeTip(); this.render(); this.onInput(this.source.value); });
    this.source.addEventListener('scroll', () => this.syncScroll());
    this.source.addEventListener('keydown', (e) => this.keydown(e));
    this.source.addEventListener('blur', () => setTimeout(() => this.closePopup(), 150));
    let hoverTimer = null;
    this.source.addEventListener('mousemove', (e) => {
      clearTimeout(hoverTimer);
      hoverTimer = setTimeout(() => this.hoverAtMouse(e), 400);
    });
    this.source.addEventListener('mouseleave', () => { clearTimeout(hoverTimer); this.closeTip(); });
  }

  get text() { return this.source.value; }

  /** Shows another file's text. */
  load(text) {
    this.source.value = text;
    this.source.scrollTop = 0;
    this.closePopup();
    this.closeTip();
    this.render();
  }

  /** Sets what is drawn over the text, then draws it. */
  decorate({ problems, fired, coverage }) {
    if (problems) this.problems = problems;
    if (fired) this.fired = fired;
    if (coverage) this.coverage = coverage;
    this.render();
  }

  render() {
    const text = this.source.value;
    const lines = text.split('\n');
    const marks = this.problems.map((p, i) => ({
      start: offsetOf(text, p.range.start), end: offsetOf(text, p.range.end), severity: p.severity, index: i,
    }));
    const fragment = document.createDocumentFragment();
    const gutter = document.createDocumentFragment();
    let lineStart = 0;
    lines.forEach((line, n) => {
      const lineEnd = lineStart + line.length;
      const div = h('div', { class: this.fired.has(n) ? 'ln line-fired' : 'ln' });
      const cuts = new Set([0, line.length]);
      const tokens = tokenize(line);
      for (const [s, e] of tokens) { cuts.add(s); cuts.add(e); }
      const here = marks.filter((m) => m.start <= lineEnd && m.end >= lineStart);
      for (const m of here) {
        cuts.add(Math.max(0, m.start - lineStart));
        cuts.add(Math.min(line.length, m.end - lineStart));
      }
      const points = [...cuts].filter((c) => c >= 0 && c <= line.length).sort((a, b) => a - b);
      for (let k = 0; k + 1 < points.length; k++) {
        const [s, e] = [points[k], points[k + 1]];
        const token = tokens.find(([ts, te]) => ts <= s && e <= te);
        const diag = here.find((m) => m.start - lineStart <= s && e <= m.end - lineStart && m.start !== m.end);
        let cls = token ? token[2] : '';
        if (diag) cls += ` diag ${diag.severity}`;
        div.append(cls ? h('span', { class: cls.trim(), dataset: diag ? { problem: diag.index } : {} }, line.slice(s, e)) : line.slice(s, e));
      }
      // An empty range (a missing token) still shows, as an underlined space.
      for (const m of here) {
        if (m.start === m.end && m.start >= lineStart && m.start <= lineEnd) {
          div.append(h('span', { class: `diag ${m.severity} empty`, dataset: { problem: m.index } }));
        }
      }
      if (!line.length) div.append('\u200b');
      fragment.append(div);
      const cov = this.coverage.get(n);
      const mark = cov
        ? h('span', { class: cov.count > 0 ? 'cov hit' : 'cov miss', title: `${cov.what}: fired in ${cov.count} test case(s)` }, cov.count > 0 ? `✓${cov.count}` : '✗0')
        : '';
      gutter.append(h('div', {}, this.fired.has(n) ? h('span', { class: 'fired-mark', title: 'fired' }, '▶ ') : '', mark, String(n + 1)));
      lineStart = lineEnd + 1;
    });
    this.highlight.replaceChildren(fragment);
    this.gutter.replaceChildren(gutter);
    this.syncScroll();
  }

  syncScroll() {
    this.highlight.scrollTop = this.source.scrollTop;
    this.highlight.scrollLeft = this.source.scrollLeft;
    this.gutter.scrollTop = this.source.scrollTop;
  }

  /** The caret as a zero-based line and column. */
  caret() { return posOf(this.source.value, this.source.selectionStart); }

  /** Puts the caret at a line and column and scrolls there. */
  goto(line, character = 0) {
    const offset = offsetOf(this.source.value, { line, character });
    this.source.focus();
    this.source.setSelectionRange(offset, offset);
    const metrics = this.metrics();
    const top = line * metrics.line;
    if (top < this.source.scrollTop || top > this.source.scrollTop + this.source.clientHeight - metrics.line) {
      this.source.scrollTop = Math.max(0, top - this.source.clientHeight / 3);
    }
    this.syncScroll();
  }

  /** Replaces ranges of the text (sorted from the end, so earlier ones stay put). */
  applyEdits(edits) {
    let text = this.source.value;
    const placed = edits.map((e) => ({ start: offsetOf(text, e.range.start), end: offsetOf(text, e.range.end), text: e.text }))
      .sort((a, b) => b.start - a.start);
    for (const e of placed) text = text.slice(0, e.start) + e.text + text.slice(e.end);
    this.source.value = text;
    this.render();
    this.onInput(text);
  }

  metrics() {
    if (!this._metrics) {
      const probe = h('span', {}, 'M'.repeat(20));
      this.highlight.append(probe);
      const box = probe.getBoundingClientRect();
      probe.remove();
      const style = getComputedStyle(this.source);
      this._metrics = { char: box.width / 20 || 7.8, line: parseFloat(style.lineHeight) || 19, padTop: 6, padLeft: 8 };
    }
    return this._metrics;
  }

  /** Pixel place of a line and column, inside the editor box. */
  place(pos) {
    const m = this.metrics();
    return {
      left: this.gutter.offsetWidth + m.padLeft + pos.character * m.char - this.source.scrollLeft,
      top: m.padTop + (pos.line + 1) * m.line - this.source.scrollTop,
    };
  }

  keydown(e) {
    if (!this.popup.hidden) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        this.select(this.selected + (e.key === 'ArrowDown' ? 1 : -1));
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); this.accept(this.selected); return; }
      if (e.key === 'Escape') { e.preventDefault(); this.closePopup(); return; }
    }
    if (e.key === 'Escape' && !this.tip.hidden) { e.preventDefault(); this.closeTip(); return; }
    if (e.ctrlKey && (e.key === ' ' || e.code === 'Space')) { e.preventDefault(); this.onComplete(this.caret()); return; }
    if (e.ctrlKey && (e.key === 'i' || e.key === 'I')) { e.preventDefault(); this.onHover(this.caret(), null); }
  }

  /** Shows completion items at the caret. */
  showCompletions(items) {
    this.items = items.slice(0, 200);
    if (!this.items.length) { this.closePopup(); return; }
    this.popup.replaceChildren(...this.items.map((item, i) => h('li', {
      role: 'option', id: `completion-${i}`, 'aria-selected': 'false',
      onmousedown: (e) => { e.preventDefault(); this.accept(i); },
    }, h('span', {}, item.label), h('span', { class: 'detail' }, item.detail))));
    const at = this.place(this.caret());
    this.popup.style.left = `${Math.max(0, at.left)}px`;
    this.popup.style.top = `${Math.max(0, at.top + 2)}px`;
    this.popup.hidden = false;
    this.source.setAttribute('aria-expanded', 'true');
    this.select(0);
  }

  select(i) {
    const n = this.items.length;
    this.selected = ((i % n) + n) % n;
    [...this.popup.children].forEach((li, k) => li.setAttribute('aria-selected', String(k === this.selected)));
    const chosen = this.popup.children[this.selected];
    if (chosen) { chosen.scrollIntoView({ block: 'nearest' }); this.source.setAttribute('aria-activedescendant', chosen.id); }
  }

  /** Replaces the word before the caret by the chosen item. */
  accept(i) {
    const item = this.items[i];
    this.closePopup();
    if (!item) return;
    const text = this.source.value;
    const end = this.source.selectionStart;
    let start = end;
    while (start > 0 && /[A-Za-z0-9_.]/.test(text[start - 1])) start--;
    const word = text.slice(start, end);
    if (!item.label.includes('.') && word.includes('.')) start += word.lastIndexOf('.') + 1;
    this.source.value = text.slice(0, start) + item.label + text.slice(end);
    const caret = start + item.label.length;
    this.source.setSelectionRange(caret, caret);
    this.source.focus();
    this.render();
    this.onInput(this.source.value);
  }

  closePopup() {
    this.popup.hidden = true;
    this.source.removeAttribute('aria-activedescendant');
    this.source.setAttribute('aria-expanded', 'false');
  }

  hoverAtMouse(e) {
    const m = this.metrics();
    const rect = this.source.getBoundingClientRect();
    const x = e.clientX - rect.left + this.source.scrollLeft - m.padLeft;
    const y = e.clientY - rect.top + this.source.scrollTop - m.padTop;
    const line = Math.floor(y / m.line);
    const character = Math.max(0, Math.floor(x / m.char));
    const lines = this.source.value.split('\n');
    if (line < 0 || line >= lines.length || character >= lines[line].length) return;
    this.onHover({ line, character }, { x: e.clientX - rect.left + this.gutter.offsetWidth, y: e.clientY - rect.top });
  }

  /** Shows a tooltip: the diagnostics at the place, then `text`. */
  showTip(pos, text, at) {
    const offset = offsetOf(this.source.value, pos);
    const diags = this.problems.filter((p) => offsetOf(this.source.value, p.range.start) <= offset && offset <= offsetOf(this.source.value, p.range.end));
    const parts = diags.map((p) => `${p.severity} ${p.code}: ${p.message}${p.help ? `\nhelp: ${p.help}` : ''}`);
    if (text) parts.push(text);
    if (!parts.length) { this.closeTip(); return; }
    this.tip.textContent = parts.join('\n\n');
    const place = at ? { left: at.x + 8, top: at.y + 14 } : this.place(pos);
    this.tip.style.left = `${Math.max(0, place.left)}px`;
    this.tip.style.top = `${Math.max(0, place.top + 4)}px`;
    this.tip.hidden = false;
  }

  closeTip() { this.tip.hidden = true; }
}
