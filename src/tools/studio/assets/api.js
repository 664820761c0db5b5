// Requests to the studio's routes. Every request sends the edited set
// whole; answers carry no state between requests.

/** GET a JSON document. */
export async function getJSON(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

/** POST JSON; resolves to {ok, status, data}, and to null when aborted. */
export async function post(path, body, signal) {
  try {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, data };
  } catch (error) {
    if (error && error.name === 'AbortError') return null;
    return { ok: false, status: 0, data: { errors: [{ message: String(error) }] } };
  }
}

/** The first problem's message of an error answer. */
export function firstError(data) {
  const errors = (data && data.errors) || [];
  if (!errors.length) return 'the request failed';
  const e = errors[0];
  return e.help ? `${e.message} (${e.help})` : e.message;
}

/** Calls `fn` once `ms` after the last call. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** `file.credo:12:5` as {file, line (zero-based)}. */
export function parseAt(at) {
  const m = /^(.*):(\d+):(\d+)$/.exec(at || '');
  return m ? { file: m[1], line: Number(m[2]) - 1, column: Number(m[3]) - 1 } : null;
}

/** Creates an element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
