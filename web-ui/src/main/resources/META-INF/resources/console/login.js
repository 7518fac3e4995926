// The log-in page: user and password for a session cookie, then back to the page that sent the browser here.
import {el, errorBox} from './console.js';

const form = document.getElementById('login');

/** Only a path of this site: never send a signed-in browser to another one. */
function next() {
  const target = new URLSearchParams(location.search).get('next') || '/';
  return target.startsWith('/') && !target.startsWith('//') ? target : '/';
}

form.addEventListener('submit', async event => {
  event.preventDefault();
  const error = document.getElementById('error');
  error.replaceChildren();
  const response = await fetch('/api/session/login', {
    method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({user: form.user.value, password: form.password.value})});
  if (response.ok) {
    location.href = next();
    return;
  }
  const problem = await response.json().catch(() => null);
  form.password.value = '';
  error.replaceChildren(errorBox(new Error(problem && problem.detail ? problem.detail : `${response.status} ${response.statusText}`)));
});
