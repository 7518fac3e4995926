// Shared pieces of the lmforge console: the JSON API, building DOM, formatting, and the generic JSON renderer.

let sessionRequest = null;

/**
 * Who is signed in: {user, role, teams, csrfToken}, asked once per page. Without a session the browser goes to
 * the log-in page, which comes back here after.
 */
export function session() {
  if (!sessionRequest) {
    sessionRequest = fetch('/api/session').then(async response => {
      if (response.status === 401) return toLogin();
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      return response.json();
    });
  }
  return sessionRequest;
}

/** Goes to the log-in page, which comes back to this page after. */
export function toLogin() {
  location.href = '/login.html?next=' + encodeURIComponent(location.pathname + location.search);
  return new Promise(() => {});  // the page is going away: nothing waiting on it should go on
}

const ROLE_RANK = {viewer: 0, operator: 1, admin: 2};

/** Whether the signed-in user's role is at least {@code role}; the server checks again whatever the page shows. */
export function may(me, role) {
  return ROLE_RANK[me.role] >= ROLE_RANK[role];
}

/**
 * Calls the API; a non-2xx answer throws an Error carrying the problem body's detail and field errors. A
 * mutating call carries the session's CSRF token; an expired session goes to the log-in page.
 */
export async function api(path, options = {}) {
  const method = (options.method || 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    const me = await session();
    options = {...options, headers: {...(options.headers || {}), 'X-CSRF-Token': me.csrfToken}};
  }
  const response = await fetch(path, options);
  if (response.status === 401) return toLogin();
  if (!response.ok) throw await problemError(response);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** The Error of a non-2xx answer: the problem body's detail, and the body itself as {@code error.problem}. */
export async function problemError(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (e) {
    // not a problem body (a proxy's page): the status says what happened
  }
  const error = new Error(body && body.detail ? body.detail : `${response.status} ${response.statusText}`);
  error.problem = body;
  return error;
}

/** el('a', {href: '/x', class: 'y'}, 'text', child...): attributes starting with "on" become listeners. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let temporalRequest = null;

/** Which Temporal runs the workflows: {mode, namespace, webUi}, asked once per page ({@code webUi} null: none). */
export function temporal() {
  if (!temporalRequest) temporalRequest = api('/api/temporal');
  return temporalRequest;
}

/** The Temporal Web UI's page of one workflow, or null where there is no Web UI. */
export function workflowUrl(info, workflowId) {
  return info.webUi && workflowId
    ? `${info.webUi}/workflows?query=${encodeURIComponent(`WorkflowId="${workflowId}"`)}` : null;
}

/** The page header with its links and who is signed in; {@code active} names the current page. */
export function nav(active) {
  const link = (href, label, key) => el('a', {href, class: key === active ? 'active' : null}, label);
  const who = el('span', {id: 'who', class: 'who'});
  const admin = link('/admin.html', 'Tokens', 'admin');
  const account = link('/account.html', 'Account', 'account');
  const temporalLink = el('span', {id: 'temporal'});
  document.body.prepend(el('header', {class: 'nav'},
    el('a', {href: '/', class: 'brand'}, 'lmforge'),
    link('/', 'Runs', 'runs'), link('/launch.html', 'Launch', 'launch'), link('/audit.html', 'Audit', 'audit'),
    link('/workers.html', 'Workers', 'workers'), link('/playground.html', 'Playground', 'playground'), admin, account,
    el('span', {class: 'spacer'}),
    el('a', {href: '/q/openapi'}, 'API'), el('a', {href: '/q/health'}, 'health'), temporalLink, who));
  // The Temporal Web UI where there is one; the fallback test server is said plainly, since it keeps nothing.
  temporal().then(info => temporalLink.replaceChildren(info.webUi
    ? el('a', {id: 'temporal-ui', href: info.webUi, target: '_blank', rel: 'noopener'}, 'Temporal')
    : info.mode === 'fallback'
      ? el('span', {id: 'temporal-fallback', class: 'warn', title: 'Temporal\'s in-process test server: a restart loses every workflow'}, 'Temporal: test server')
      : ''), () => {});
  session().then(me => {
    if (me.role === 'admin') admin.textContent = 'Admin';
    document.body.dataset.role = me.role;
    who.replaceChildren(el('span', {'data-user': me.user}, me.user), el('span', {class: 'role'}, me.role),
      el('button', {id: 'sign-out', class: 'link', onclick: signOut}, 'Sign out'));
  });
}

async function signOut() {
  await api('/api/session/logout', {method: 'POST'});
  location.href = '/login.html';
}

export function badge(status) {
  return el('span', {class: `badge s-${status}`}, status);
}

export function param(name) {
  return new URLSearchParams(location.search).get(name);
}

export function runLink(id) {
  return el('a', {href: `/run.html?id=${encodeURIComponent(id)}`, class: 'mono'}, id);
}

export function artifactLink(digest, label) {
  return el('a', {href: `/artifact.html?d=${digest}`, class: 'mono', title: `sha256:${digest}`}, label || shortDigest(digest));
}

export function shortDigest(digest) {
  return digest ? digest.slice(0, 12) + '…' : '';
}

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = n => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** From start to end, or to now while it goes on; blank before it started. */
export function fmtDuration(startIso, endIso) {
  if (!startIso) return '';
  return fmtSeconds(((endIso ? new Date(endIso) : new Date()) - new Date(startIso)) / 1000);
}

/** A length of time, in the largest units that keep it readable. */
export function fmtSeconds(seconds) {
  const ms = Math.max(0, seconds * 1000);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(seconds);
  if (s < 60) return `${seconds.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 2 * 86400) return `${Math.floor(s / 3600)} h ${Math.floor(s % 3600 / 60)} min`;
  return `${Math.round(s / 86400).toLocaleString('en')} days`;
}

export function fmtBytes(n) {
  if (n === null || n === undefined) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function fmtNumber(v) {
  if (typeof v !== 'number') return String(v);
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e12) return v.toLocaleString('en');
  return a !== 0 && (a < 1e-3 || a >= 1e7) ? v.toExponential(3) : String(+v.toFixed(4));
}

/** An error (from {@link api}) as a red box, with the problem's field errors when it has them. */
export function errorBox(error) {
  const fields = error.problem && error.problem.errors;
  return el('div', {class: 'error-box', role: 'alert'}, error.message,
    fields ? el('ul', {}, fields.map(f => el('li', {}, el('b', {}, f.field), ': ', f.message))) : null);
}

const MAX_ROWS = 25;
const MAX_TEXT = 160;
const OPEN_SECTION_ROWS = 16;

/**
 * Any JSON value, readable: an object as a key/value table, an array of objects as a table with a column per
 * key, other arrays inline; nested values the same way. Long arrays show their first rows and a count.
 */
export function jsonView(value) {
  if (value === null || value === undefined) return el('span', {class: 'muted'}, '—');
  if (typeof value === 'number') return el('span', {class: 'num'}, fmtNumber(value));
  if (typeof value !== 'object') {
    const text = String(value);
    return text.length <= MAX_TEXT ? document.createTextNode(text) : el('span', {title: text}, text.slice(0, MAX_TEXT) + '…');
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return el('span', {class: 'muted'}, '[]');
    const shown = value.slice(0, MAX_ROWS);
    const more = value.length > MAX_ROWS ? el('div', {class: 'muted small'}, `… ${value.length - MAX_ROWS} more`) : null;
    if (shown.every(v => v && typeof v === 'object' && !Array.isArray(v))) {
      const columns = [...new Set(shown.flatMap(Object.keys))];
      return el('div', {}, el('table', {class: 'json-table'},
        el('thead', {}, el('tr', {}, columns.map(c => el('th', {}, c)))),
        el('tbody', {}, shown.map(row => el('tr', {}, columns.map(c =>
          el('td', {class: typeof row[c] === 'number' ? 'num' : null}, jsonView(row[c]))))))), more);
    }
    if (shown.every(v => v === null || typeof v !== 'object')) {
      return el('span', {}, shown.map(v => typeof v === 'number' ? fmtNumber(v) : String(v)).join(', '), more ? ' …' : '');
    }
    return el('div', {}, shown.map(v => jsonView(v)), more);
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return el('span', {class: 'muted'}, '{}');
  return el('table', {class: 'kv'}, el('tbody', {}, entries.map(([k, v]) =>
    el('tr', {}, el('th', {}, k), el('td', {class: typeof v === 'number' ? 'num' : null}, jsonView(v))))));
}

/**
 * A JSON document of many parts (a stage's report): its plain fields in one table, then each nested part as a
 * section of its own. Parts of the document itself are open, their own nested parts fold when they are long,
 * so that the figures show and long lists (samples, clusters) wait for a click.
 */
export function documentView(doc, depth = 0) {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return jsonView(doc);
  const entries = Object.entries(doc);
  // Empty parts ({} or []) sit with the plain fields: a section of their own would say nothing.
  const isPart = v => v !== null && typeof v === 'object' && Object.keys(v).length > 0;
  const plain = entries.filter(([, v]) => !isPart(v));
  const nested = entries.filter(([, v]) => isPart(v));
  const isObject = v => !Array.isArray(v);
  return el('div', {class: 'document'},
    plain.length ? jsonView(Object.fromEntries(plain)) : '',
    nested.map(([key, value]) => el('details', {
      class: 'section', 'data-key': key,
      open: (depth === 0 && isObject(value)) || rowsOf(value) <= OPEN_SECTION_ROWS},
      el('summary', {}, key, Array.isArray(value) ? el('span', {class: 'muted small'}, ` (${value.length})`) : ''),
      isObject(value) && depth < 2 ? documentView(value, depth + 1) : jsonView(value))));
}

/** About how many table rows {@link jsonView} draws for a value: a table row per object of a list, a row per field. */
function rowsOf(value) {
  if (value === null || typeof value !== 'object') return 1;
  if (Array.isArray(value)) return value.some(v => v && typeof v === 'object') ? value.length : 1;
  return Object.values(value).reduce((n, v) => n + rowsOf(v), 0);
}
