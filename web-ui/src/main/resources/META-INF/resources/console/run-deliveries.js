// The run page's deliveries: how the run's events for OpenLineage and MLflow are getting on (GET
// /api/runs/{id}/deliveries), per endpoint, with the newest error; polled while anything is pending.
import {api, el, errorBox, fmtTime, param} from './console.js';

const runId = param('id');
const section = document.getElementById('deliveries-section');

function row(d) {
  const state = d.failed > 0 ? 'FAILED' : d.pending > 0 ? 'PENDING' : 'SUCCEEDED';
  const label = d.failed > 0 ? 'failed' : d.pending > 0 ? 'pending' : 'delivered';
  return el('tr', {'data-sink': d.sink},
    el('td', {}, d.sink === 'openlineage' ? 'OpenLineage' : 'MLflow'),
    el('td', {class: 'mono small'}, d.endpoint),
    el('td', {}, el('span', {class: `badge s-${state}`}, label)),
    el('td', {class: 'num'}, String(d.delivered)), el('td', {class: 'num'}, String(d.pending)),
    el('td', {class: 'num'}, String(d.failed)),
    el('td', {class: 'small'}, d.lastError ? `${d.lastError} (${fmtTime(d.lastErrorAt)})` : ''));
}

async function load() {
  const deliveries = await api(`/api/runs/${encodeURIComponent(runId)}/deliveries`);
  section.hidden = deliveries.length === 0;
  document.getElementById('deliveries').replaceChildren(el('table', {},
    el('thead', {}, el('tr', {}, ...['sink', 'endpoint', 'state', 'delivered', 'pending', 'failed', 'newest error']
      .map(h => el('th', {}, h)))),
    el('tbody', {}, ...deliveries.map(row))));
  section.dataset.loads = String(Number(section.dataset.loads || 0) + 1);  // the browser test waits for a load
  if (deliveries.some(d => d.pending > 0)) setTimeout(poll, 3000);
}

function poll() {
  load().catch(e => document.getElementById('deliveries').replaceChildren(errorBox(e)));
}

if (runId) poll();
