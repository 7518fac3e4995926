// The signed-in user's account: who they are, and changing their password (the current one is asked again).
import {api, el, errorBox, nav, session} from './console.js';

nav('account');
const me = await session();
document.querySelector('#me tbody').replaceChildren(
  el('tr', {}, el('th', {}, 'user'), el('td', {'data-user': me.user}, me.user)),
  el('tr', {}, el('th', {}, 'role'), el('td', {}, me.role)),
  el('tr', {}, el('th', {}, 'teams'), el('td', {}, me.teams.join(', ') || el('span', {class: 'muted'}, 'none'))));

const form = document.getElementById('change-password');
form.addEventListener('submit', async event => {
  event.preventDefault();
  const [current, fresh, repeat] = ['current-password', 'new-password', 'repeat-password'].map(id => document.getElementById(id));
  const errorSlot = document.getElementById('password-error');
  const doneSlot = document.getElementById('password-done');
  errorSlot.replaceChildren();
  doneSlot.replaceChildren();
  if (fresh.value !== repeat.value) {
    const error = new Error('the new password was typed differently the second time');
    error.problem = {errors: [{field: 'repeat', message: 'does not match the new password'}]};
    errorSlot.replaceChildren(errorBox(error));
    return;
  }
  try {
    const done = await api('/api/account/password', {method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({currentPassword: current.value, password: fresh.value})});
    form.reset();
    const others = done.closedSessions === 1 ? '1 other session was' : `${done.closedSessions} other sessions were`;
    doneSlot.replaceChildren(el('div', {class: 'ok-box', role: 'status'}, `Password changed; ${others} signed out.`));
  } catch (e) {
    current.value = '';
    errorSlot.replaceChildren(errorBox(e));
  }
});
