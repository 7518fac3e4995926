// Tokens and users: everyone makes, lists and revokes their own API tokens; an admin also manages users and teams,
// resets passwords, disables or enables users, and sets the source roots of a team.
import {api, el, errorBox, fmtTime, nav, session} from './console.js';

nav('admin');
const me = await session();
const json = body => ({method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});

/** Runs an action; its error goes in the slot, a success reloads the lists. */
async function attempt(slotId, action) {
  const slot = document.getElementById(slotId);
  slot.replaceChildren();
  try {
    const result = await action();
    await load();
    return result;
  } catch (e) {
    slot.replaceChildren(errorBox(e));
    return null;
  }
}

async function loadTokens() {
  const tokens = await api('/api/tokens');
  document.querySelector('#tokens tbody').replaceChildren(...(tokens.length ? tokens.map(t => el('tr', {'data-token': t.id},
    el('td', {class: 'num'}, t.id), el('td', {}, t.name), el('td', {class: 'small'}, fmtTime(t.createdAt)),
    el('td', {class: 'small'}, t.lastUsedAt ? fmtTime(t.lastUsedAt) : 'never'),
    el('td', {}, t.revokedAt ? el('span', {class: 'badge s-CANCELLED'}, 'revoked') : el('span', {class: 'badge s-SUCCEEDED'}, 'live')),
    el('td', {}, t.revokedAt ? '' : el('button', {class: 'danger', onclick: () => revoke(t)}, 'Revoke'))))
    : [el('tr', {}, el('td', {colspan: 6, class: 'muted'}, 'no tokens yet'))]));
}

async function revoke(token) {
  if (confirm(`Revoke token "${token.name}"? Whatever uses it is refused from now on.`)) {
    await attempt('token-error', () => api(`/api/tokens/${token.id}`, {method: 'DELETE'}));
  }
}

async function loadAdmin() {
  const [users, teams] = await Promise.all([api('/api/users'), api('/api/teams')]);
  document.querySelector('#users tbody').replaceChildren(...users.map(u => el('tr', {'data-user': u.name,
    class: u.disabledAt ? 'disabled' : null},
    el('td', {}, u.name), el('td', {}, u.role), el('td', {}, u.teams.join(', ') || el('span', {class: 'muted'}, 'none')),
    el('td', {class: 'small'}, fmtTime(u.createdAt)),
    el('td', {}, u.disabledAt
      ? el('span', {class: 'badge s-CANCELLED', title: `since ${fmtTime(u.disabledAt)}`}, 'disabled')
      : el('span', {class: 'badge s-SUCCEEDED'}, 'enabled')),
    el('td', {}, u.name === me.user ? '' : u.disabledAt
      ? el('button', {class: 'enable', onclick: () => setEnabled(u, true)}, 'Enable')
      : el('button', {class: 'danger disable', onclick: () => setEnabled(u, false)}, 'Disable')))));
  const options = names => names.map(n => el('option', {value: n}, n));
  document.getElementById('user-team').replaceChildren(el('option', {value: ''}, 'no team'), ...options(teams));
  document.getElementById('member-team').replaceChildren(...options(teams));
  document.getElementById('member-user').replaceChildren(...options(users.map(u => u.name)));
  document.getElementById('reset-user').replaceChildren(...options(users.map(u => u.name).filter(n => n !== me.user)));
  const rootsTeam = document.getElementById('roots-team');
  const chosen = rootsTeam.value;
  rootsTeam.replaceChildren(...options(teams));
  if (teams.includes(chosen)) rootsTeam.value = chosen;
  await loadRoots();
}

async function loadRoots() {
  const team = document.getElementById('roots-team').value;
  if (!team) return;
  const roots = await api(`/api/teams/${encodeURIComponent(team)}/source-roots`);
  document.getElementById('shared-roots').textContent = roots.shared.join(', ') || 'none';
  document.getElementById('roots-value').value = roots.roots.join('\n');
  const form = document.getElementById('team-roots');
  form.dataset.loads = String(Number(form.dataset.loads || 0) + 1);  // tests wait for a load before editing
}

async function setEnabled(user, enabled) {
  if (enabled || confirm(`Disable "${user.name}"? They are signed out, and their API tokens are refused until enabled.`)) {
    await attempt('admin-error', () => api(`/api/users/${encodeURIComponent(user.name)}/${enabled ? 'enable' : 'disable'}`,
      {method: 'POST'}));
  }
}

async function load() {
  await loadTokens();
  if (me.role === 'admin') await loadAdmin();
}

document.getElementById('new-token').addEventListener('submit', async event => {
  event.preventDefault();
  const made = await attempt('token-error', () => api('/api/tokens', json({name: document.getElementById('token-name').value})));
  if (made) {
    document.getElementById('token-name').value = '';
    document.getElementById('token-made').replaceChildren(el('div', {class: 'card'},
      el('p', {}, `Token "${made.token.name}" made. Copy it now: it is not shown again.`),
      el('div', {class: 'secret', id: 'secret'}, made.secret)));
  }
});
document.getElementById('new-user').addEventListener('submit', async event => {
  event.preventDefault();
  const team = document.getElementById('user-team').value;
  const done = await attempt('admin-error', () => api('/api/users', json({
    name: document.getElementById('user-name').value, password: document.getElementById('user-password').value,
    role: document.getElementById('user-role').value, teams: team ? [team] : []})));
  if (done) event.target.reset();
});
document.getElementById('new-team').addEventListener('submit', async event => {
  event.preventDefault();
  if (await attempt('admin-error', () => api('/api/teams', json({name: document.getElementById('team-name').value})))) event.target.reset();
});
document.getElementById('reset-password').addEventListener('submit', async event => {
  event.preventDefault();
  const user = document.getElementById('reset-user').value;
  const done = await attempt('admin-error', () => api(`/api/users/${encodeURIComponent(user)}/password`,
    json({password: document.getElementById('reset-password-value').value})));
  document.getElementById('reset-done').replaceChildren(done ? el('div', {class: 'ok-box', role: 'status'},
    `Password of "${user}" reset; ${done.closedSessions} session(s) closed.`) : '');
  if (done) event.target.reset();
});
document.getElementById('add-member').addEventListener('submit', async event => {
  event.preventDefault();
  const user = document.getElementById('member-user').value;
  await attempt('admin-error', () => api(`/api/users/${encodeURIComponent(user)}/teams`,
    json({name: document.getElementById('member-team').value})));
});

document.getElementById('roots-team').addEventListener('change', () =>
  loadRoots().catch(e => document.getElementById('admin-error').replaceChildren(errorBox(e))));
document.getElementById('team-roots').addEventListener('submit', async event => {
  event.preventDefault();
  const team = document.getElementById('roots-team').value;
  const roots = document.getElementById('roots-value').value.split('\n').map(r => r.trim()).filter(r => r);
  await attempt('admin-error', () => api(`/api/teams/${encodeURIComponent(team)}/source-roots`, {method: 'PUT',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify({roots})}));
});

document.getElementById('admin').hidden = me.role !== 'admin';
load().catch(e => document.getElementById('token-error').replaceChildren(errorBox(e)));
