// The workers page: each compute worker as it reports itself (host, queues, slots, what it runs) and when
// Temporal last saw it poll, refreshed every few seconds.
import {api, el, errorBox, fmtTime, nav, runLink} from './console.js';

nav('workers');

function polled(w) {
  if (w.lastPolled == null) return el('span', {class: 'muted'}, 'Temporal did not answer');
  const queues = Object.entries(w.lastPolled);
  if (queues.length === 0) return el('span', {class: 'warn', title: 'it reports to the ledger, but Temporal does not see it poll'}, 'not polling');
  return el('span', {}, ...queues.map(([queue, at]) => el('div', {class: 'small'}, `${queue}: ${fmtTime(at)}`)));
}

async function load() {
  const body = document.querySelector('#workers tbody');
  try {
    const answer = await api('/api/workers');
    document.getElementById('window').textContent =
      `workers that reported themselves in the last ${answer.seenWithinSeconds} s` +
      (answer.temporalProblem ? ` · ${answer.temporalProblem}` : '');
    document.getElementById('error').replaceChildren();
    body.replaceChildren(...(answer.workers.length === 0
      ? [el('tr', {}, el('td', {colspan: 8, class: 'muted'}, 'no worker has reported lately'))]
      : answer.workers.map(w => el('tr', {'data-worker': w.worker.identity},
          el('td', {class: 'mono'}, w.worker.identity),
          el('td', {}, w.worker.host),
          el('td', {}, w.worker.queues.join(', ')),
          el('td', {class: 'num'}, `${w.worker.running.length} / ${w.worker.slots}`),
          el('td', {}, ...w.worker.running.map(a => el('div', {class: 'small'},
            runLink(a.runId), ` ${a.stage} #${a.attempt} since ${fmtTime(a.since)}`))),
          el('td', {}, fmtTime(w.worker.startedAt)),
          el('td', {}, fmtTime(w.worker.lastSeen)),
          el('td', {}, polled(w))))));
  } catch (e) {
    document.getElementById('error').replaceChildren(errorBox(e));
  }
}

await load();
setInterval(load, 5000);
