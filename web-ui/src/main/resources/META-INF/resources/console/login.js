// The log-in page: user and password for a session cookie, then back to the page that sent the browser here.
// After too many failed sign-ins the server refuses for a while (429): the page says until when and waits.
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
  const retryAfter = Number(response.headers.get('Retry-After'));
  if (response.status === 429 && retryAfter > 0) {
    const submit = document.getElementById('submit');
    submit.disabled = true;
    setTimeout(() => { submit.disabled = false; }, retryAfter * 1000);
  }
});
