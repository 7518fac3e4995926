// The audit page: who did what and when, newest first, filtered on the server, and the hash chain's check.
import {api, el, errorBox, fmtTime, nav, runLink, session} from './console.js';

const PAGE = 50;
const state = {target: '', actor: '', offset: 0};
nav('audit');
const me = await session();

async function checkChain() {
  const slot = document.getElementById('chain');
  slot.className = 'muted';
  if (me.role !== 'admin') {
    slot.textContent = 'the check of the whole chain is for admins';
    return;
  }
  slot.textContent = 'checking the chain…';
  try {
    const v = await api('/api/audit/verify');
    slot.className = v.intact ? 'ok-box' : 'error-box';
    slot.dataset.intact = String(v.intact);
    const anchored = v.anchoredThrough == null ? 'no anchor yet' : `anchored through event #${v.anchoredThrough}`;
    slot.replaceChildren(v.intact
      ? `✓ chain intact: all ${v.checked.toLocaleString('en')} events in sequence, each keyed hash checked; ${anchored}`
      : el('span', {}, el('b', {}, v.firstBadId == null ? `✗ ${v.reason}` : `✗ ${v.reason} at event #${v.firstBadId}`),
          ` after ${v.checked} good events: ${v.problem}`));
  } catch (e) {
    slot.replaceChildren(errorBox(e));
  }
}

async function load() {
  const p = new URLSearchParams({limit: PAGE, offset: state.offset});
  if (state.target) p.set('target', state.target);
  if (state.actor) p.set('actor', state.actor);
  if (me.role !== 'admin' && !state.target) {
    document.querySelector('#events tbody').replaceChildren(el('tr', {}, el('td', {colspan: 7, class: 'muted'},
      'the whole log is for admins: enter the id of a run of your teams as the target')));
    return;
  }
  try {
    const page = await api('/api/audit?' + p);
    document.getElementById('error').replaceChildren();
    const body = document.querySelector('#events tbody');
    body.replaceChildren(...page.items.map(e => el('tr', {'data-action': e.action},
      el('td', {class: 'num'}, e.id), el('td', {class: 'small'}, fmtTime(e.at)), el('td', {}, e.actor),
      el('td', {}, el('code', {}, e.action)),
      el('td', {}, e.target.startsWith('run-') ? runLink(e.target) : e.target),
      el('td', {class: 'mono small'}, e.details),
      el('td', {class: 'mono small muted', title: `${e.hash}\n← ${e.prevHash}`}, e.hash.slice(0, 10) + '…'))));
    if (page.items.length === 0) body.replaceChildren(el('tr', {}, el('td', {colspan: 7, class: 'muted'}, 'no events match')));
    document.getElementById('range').textContent = page.total === 0 ? '' :
      `${page.offset + 1}–${page.offset + page.items.length} of ${page.total.toLocaleString('en')}`;
    document.getElementById('prev').disabled = page.offset === 0;
    document.getElementById('next').disabled = page.offset + page.items.length >= page.total;
  } catch (e) {
    document.getElementById('error').replaceChildren(errorBox(e));
  }
}

let typing;
for (const field of ['target', 'actor']) {
  document.getElementById(field).addEventListener('input', e => {
    clearTimeout(typing);
    typing = setTimeout(() => { state[field] = e.target.value.trim(); state.offset = 0; load(); }, 250);
  });
}
document.getElementById('prev').addEventListener('click', () => { state.offset = Math.max(0, state.offset - PAGE); load(); });
document.getElementById('next').addEventListener('click', () => { state.offset += PAGE; load(); });
document.getElementById('recheck').addEventListener('click', checkChain);

checkChain();
load();
