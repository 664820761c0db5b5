// The fact document: a plain object, edited as a form generated from the
// set's fact schema (enum members as choices, money with its currency,
// dates) or as YAML. A field left empty is not given: unknown, not false.

import { h } from './api.js';

const typeOf = (schema) => {
  const types = [].concat(schema.type || []);
  if (types.includes('object')) return 'record';
  if (schema.enum) return 'enum';
  if (types.includes('boolean')) return 'bool';
  if (types.includes('integer')) return 'int';
  if (schema.format === 'date') return 'date';
  if (schema.pattern && /\[A-Z\]|[A-Z]{3}\$$/.test(schema.pattern)) return 'money';
  return 'text';
};

const currencyOf = (schema) => (/ ([A-Z]{3})\$$/.exec(schema.pattern || '') || [])[1] || '';

export function getPath(facts, path) {
  return path.split('.').reduce((v, k) => (v && typeof v === 'object' ? v[k] : undefined), facts);
}

/** Sets a fact (or removes it, for `undefined`), making records on the way. */
export function setPath(facts, path, value) {
  const keys = path.split('.');
  let at = facts;
  for (const k of keys.slice(0, -1)) {
    if (!at[k] || typeof at[k] !== 'object') at[k] = {};
    at = at[k];
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete at[last]; else at[last] = value;
}

/** The field's schema at a path, when the schema has it. */
export function fieldSchema(schema, path) {
  let at = schema;
  for (const k of path.split('.')) {
    at = at && at.properties && at.properties[k];
  }
  return at;
}

/** A value as shown by the engine (`true`, `12`, `500.00 USD`) to the fact document's. */
export function factValue(schema, path, shown) {
  const field = fieldSchema(schema, path);
  const kind = field ? typeOf(field) : 'text';
  if (kind === 'bool') return shown === 'true';
  if (kind === 'int') return Number(shown);
  return shown;
}

/** Builds the form for `schema`; `onChange(path, value)` on every edit. */
export function renderForm(form, schema, facts, onChange) {
  form.replaceChildren();
  if (!schema) { form.append(h('p', { class: 'muted' }, 'The set does not check: no fact schema yet.')); return; }
  const top = h('fieldset', {}, h('legend', {}, 'document'));
  let topUsed = false;
  const walk = (props, prefix, holder) => {
    for (const [name, field] of Object.entries(props || {})) {
      const path = prefix ? `${prefix}.${name}` : name;
      const kind = typeOf(field);
      if (kind === 'record') {
        const set = h('fieldset', {}, h('legend', {}, path));
        walk(field.properties, path, set);
        form.append(set);
        continue;
      }
      const id = `fact-${path.replace(/\./g, '-')}`;
      const value = getPath(facts, path);
      let input;
      const changed = (v) => onChange(path, v);
      if (kind === 'enum' || kind === 'bool') {
        const options = kind === 'bool' ? ['true', 'false'] : field.enum.filter((m) => m !== null);
        input = h('select', { id, name: path },
          h('option', { value: '' }, '— not given —'),
          options.map((o) => h('option', { value: o, selected: String(value) === o }, o)));
        input.addEventListener('change', () => {
          const v = input.value;
          changed(v === '' ? undefined : kind === 'bool' ? v === 'true' : v);
        });
      } else if (kind === 'int') {
        input = h('input', { id, name: path, type: 'number', step: '1', value: value ?? '' });
        input.addEventListener('input', () => changed(input.value === '' || Number.isNaN(Number(input.value)) ? undefined : Number(input.value)));
      } else if (kind === 'date') {
        input = h('input', { id, name: path, type: 'date', value: value ?? '' });
        input.addEventListener('input', () => changed(input.value || undefined));
      } else if (kind === 'money') {
        const currency = currencyOf(field);
        const amount = typeof value === 'string' ? value.replace(/\s*[A-Z]{3}$/, '') : value ?? '';
        const box = h('input', { id, name: path, type: 'text', inputmode: 'decimal', value: amount, 'aria-describedby': `${id}-cur` });
        box.addEventListener('input', () => changed(box.value.trim() === '' ? undefined : `${box.value.trim()} ${currency}`));
        input = h('span', { class: 'money' }, box, h('span', { id: `${id}-cur` }, currency));
      } else {
        input = h('input', { id, name: path, type: 'text', value: value ?? '' });
        input.addEventListener('input', () => changed(input.value === '' ? undefined : input.value));
      }
      const label = h('label', { for: id, title: path }, name);
      if (holder) holder.append(label, input);
      else { top.append(label, input); topUsed = true; }
    }
  };
  walk(schema.properties, '', null);
  if (topUsed) form.prepend(top);
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_-]*$|^\d{4}-\d{2}-\d{2}$/;
const RESERVED = /^(true|false|null|yes|no|on|off|~)$/i;

function scalar(v) {
  if (v === null) return 'null';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  const s = String(v);
  return PLAIN.test(s) && !RESERVED.test(s) ? s : JSON.stringify(s);
}

/** The document as YAML (nested mappings of scalars). */
export function toYaml(value, indent = '') {
  let out = '';
  for (const [k, v] of Object.entries(value || {})) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      out += `${indent}${k}:\n${toYaml(v, `${indent}  `)}`;
    } else if (Array.isArray(v)) {
      out += `${indent}${k}: ${JSON.stringify(v)}\n`;
    } else {
      out += `${indent}${k}: ${scalar(v)}\n`;
    }
  }
  return out;
}

function parseScalar(text) {
  const t = text.trim();
  if (t === '' || t === '~' || t === 'null') return null;
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (/^-?\d+$/.test(t)) return Number(t);
  if (t.startsWith('"')) return JSON.parse(t);
  if (t.startsWith("'") && t.endsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
  if (t.startsWith('[') || t.startsWith('{')) return JSON.parse(t);
  return t;
}

/** Reads the YAML the form writes: nested mappings of scalars, comments. Throws with the line. */
export function fromYaml(text) {
  const root = {};
  const stack = [{ indent: -1, value: root }];
  const lines = text.split('\n');
  lines.forEach((raw, n) => {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    if (!line.trim()) return;
    const indent = line.length - line.trimStart().length;
    const m = /^([A-Za-z_][A-Za-z0-9_-]*):(?:\s+(.*))?$/.exec(line.trim());
    if (!m) throw new Error(`line ${n + 1}: expected \`name: value\``);
    while (stack.length > 1 && stack[stack.length - 1].indent >= indent) stack.pop();
    const parent = stack[stack.length - 1].value;
    if (m[2] === undefined || m[2] === '') {
      parent[m[1]] = {};
      stack.push({ indent, value: parent[m[1]] });
    } else {
      try { parent[m[1]] = parseScalar(m[2]); } catch (e) { throw new Error(`line ${n + 1}: ${e.message}`); }
    }
  });
  return root;
}
