// The artifact page: its metadata and digest, a download link, and its lineage both ways as graphs.
import {api, el, errorBox, fmtBytes, fmtTime, jsonView, nav, param} from './console.js';
import {lineageGraph} from './dag.js';

nav('');
const digest = param('d');

async function start() {
  const meta = document.getElementById('meta');
  let artifact;
  try {
    artifact = await api(`/api/artifacts/${encodeURIComponent(digest || '')}`);
  } catch (e) {
    meta.replaceChildren(errorBox(e));
    document.getElementById('up').replaceChildren();
    document.getElementById('down').replaceChildren();
    return;
  }
  document.title = `lmforge · ${artifact.kind} ${digest.slice(0, 12)}`;
  document.getElementById('title').textContent = `${artifact.kind} artifact`;
  meta.replaceChildren(el('div', {class: 'card'},
    el('table', {class: 'kv'}, el('tbody', {},
      el('tr', {}, el('th', {}, 'digest'), el('td', {class: 'mono', id: 'digest'}, `sha256:${artifact.digest}`)),
      el('tr', {}, el('th', {}, 'kind'), el('td', {}, artifact.kind)),
      el('tr', {}, el('th', {}, 'size'), el('td', {}, `${fmtBytes(artifact.sizeBytes)} (${artifact.sizeBytes.toLocaleString('en')} bytes)`)),
      el('tr', {}, el('th', {}, 'created'), el('td', {}, fmtTime(artifact.createdAt))),
      el('tr', {}, el('th', {}, 'metadata'), el('td', {}, jsonView(JSON.parse(artifact.metadata || '{}')))))),
    el('p', {}, el('a', {href: `/api/artifacts/${artifact.digest}/content`, id: 'download', download: `${artifact.kind}-${artifact.digest.slice(0, 12)}`},
      el('button', {class: 'primary'}, 'Download')), ' ',
      el('span', {class: 'muted small'}, 'streamed; its digest is checked as it goes out'),
      artifact.kind === 'model' ? el('span', {}, ' ',
        el('a', {id: 'try-playground', href: `/playground.html?model=${artifact.digest}`}, 'Try in playground')) : '')));
  for (const direction of ['up', 'down']) showLineage(direction, artifact.digest);
}

async function showLineage(direction, root) {
  const slot = document.getElementById(direction);
  try {
    const graph = await api(`/api/artifacts/${root}/lineage?direction=${direction}`);
    slot.classList.remove('muted');
    if (graph.edges.length === 0) {
      slot.replaceChildren(el('p', {class: 'muted padded'},
        direction === 'up' ? 'nothing: this is a raw input' : 'nothing has used it yet'));
    } else {
      slot.replaceChildren(lineageGraph(graph, root));
    }
  } catch (e) {
    slot.replaceChildren(errorBox(e));
  }
}

start();
