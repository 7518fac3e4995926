// The runs page: one page of runs from the server at a time (never the whole table), filtered and refreshed.
import {api, badge, el, errorBox, fmtDuration, fmtTime, may, nav, runLink, session} from './console.js';

const PAGE = 50;
const REFRESH_MS = 3000;
const state = {status: '', q: '', offset: 0};
const MAX_COMPARED = 8;
const selected = new Set();   // runs ticked for comparison; kept across pages and refreshes

nav('runs');
session().then(me => { document.getElementById('launch').hidden = !may(me, 'operator'); });
const params = new URLSearchParams(location.search);
state.status = params.get('status') || '';
state.q = params.get('q') || '';
state.offset = Number(params.get('offset') || 0);
document.getElementById('status').value = state.status;
document.getElementById('q').value = state.q;

function query() {
  const p = new URLSearchParams({limit: PAGE, offset: state.offset});
  if (state.status) p.set('status', state.status);
  if (state.q) p.set('q', state.q);
  return p;
}

let lastBody = '';
async function load() {
  const errorSlot = document.getElementById('error');
  try {
    const page = await api('/api/runs?' + query());
    errorSlot.replaceChildren();
    const signature = JSON.stringify(page) + Math.floor(Date.now() / 1000);  // durations of running runs tick
    if (signature === lastBody) return;
    lastBody = signature;
    render(page);
  } catch (e) {
    errorSlot.replaceChildren(errorBox(e));
  }
}

function render(page) {
  const body = document.querySelector('#runs tbody');
  body.replaceChildren(...page.items.map(r => el('tr', {'data-run': r.id},
    el('td', {}, el('input', {type: 'checkbox', class: 'pick', 'aria-label': `compare ${r.id}`, checked: selected.has(r.id),
      onchange: e => { if (e.target.checked) selected.add(r.id); else selected.delete(r.id); updateCompare(); }})),
    el('td', {}, runLink(r.id), r.resumedFrom ? el('div', {class: 'small muted'}, 'resumes ', runLink(r.resumedFrom)) : null),
    el('td', {}, r.name),
    el('td', {class: 'status'}, badge(r.status)),
    el('td', {}, el('div', {class: 'chips'}, r.stages.map(s =>
      el('span', {class: `chip s-${s.status}`, title: `${s.stage}: ${s.status}`, 'data-stage': s.stage}, s.stage)))),
    el('td', {}, r.owner),
    el('td', {}, r.team || el('span', {class: 'muted'}, '—')),
    el('td', {class: 'small'}, fmtTime(r.startedAt || r.createdAt)),
    el('td', {class: 'num small'}, fmtDuration(r.startedAt, r.endedAt)))));
  if (page.items.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', {colspan: 9, class: 'muted'},
      state.status || state.q ? 'no run matches these filters' : 'no runs yet: launch one')));
  }
  const first = page.total === 0 ? 0 : page.offset + 1;
  document.getElementById('range').textContent =
    `${first}–${page.offset + page.items.length} of ${page.total.toLocaleString('en')}`;
  document.getElementById('prev').disabled = page.offset === 0;
  document.getElementById('next').disabled = page.offset + page.items.length >= page.total;
}

function updateCompare() {
  const button = document.getElementById('compare');
  button.disabled = selected.size < 2 || selected.size > MAX_COMPARED;
  button.textContent = selected.size ? `Compare selected (${selected.size})` : 'Compare selected';
}

/** Shows the page that {@code state} names, and keeps it in the address so that a reload stays there. */
function show() {
  lastBody = '';
  history.replaceState(null, '', '?' + new URLSearchParams(Object.entries(state).filter(([, v]) => v)));
  load();
}

document.getElementById('status').addEventListener('change', e => { state.status = e.target.value; state.offset = 0; show(); });
let typing;
document.getElementById('q').addEventListener('input', e => {
  clearTimeout(typing);
  typing = setTimeout(() => { state.q = e.target.value.trim(); state.offset = 0; show(); }, 250);
});
document.getElementById('prev').addEventListener('click', () => { state.offset = Math.max(0, state.offset - PAGE); show(); });
document.getElementById('next').addEventListener('click', () => { state.offset += PAGE; show(); });

document.getElementById('compare').addEventListener('click', () => {
  location.href = '/compare.html?' + new URLSearchParams([...selected].map(id => ['run', id]));
});

load();
setInterval(() => { if (document.getElementById('auto').checked && !document.hidden) load(); }, REFRESH_MS);
