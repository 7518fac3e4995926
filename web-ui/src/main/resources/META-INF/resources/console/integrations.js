// The Admin page's lineage and tracking: a team's OpenLineage and MLflow endpoints (admins only), which override
// the process-wide LMFORGE_OPENLINEAGE_URL and LMFORGE_MLFLOW_TRACKING_URI for its runs.
import {api, el, errorBox, session} from './console.js';

const me = await session();
const form = document.getElementById('team-integrations');
const fields = ['openLineageUrl', 'openLineageNamespace', 'mlflowTrackingUri', 'mlflowExperimentBy'];
// Write-only: never filled in from the server, which only says whether one is set (********).
const secrets = ['openLineageApiKey', 'mlflowToken'];

async function loadTeams() {
  const teams = await api('/api/teams');
  const select = document.getElementById('integrations-team');
  select.replaceChildren(...teams.map(t => el('option', {value: t}, t)));
  await loadTeam();
}

function show(settings) {
  for (const f of fields) document.getElementById(`int-${f}`).value = settings[f] || '';
  for (const f of secrets) {
    const input = document.getElementById(`int-${f}`);
    input.value = '';
    input.placeholder = settings[f] ? `${settings[f]} (set)` : input.getAttribute('aria-label');
    document.getElementById(`int-clear-${f}`).checked = false;
  }
  document.getElementById('int-disabled').checked = settings.disabled;
  const e = settings.effective;
  document.getElementById('integrations-effective').textContent = 'In effect: OpenLineage '
    + (e.openLineageUrl ? `${e.openLineageUrl} (namespace ${e.openLineageNamespace}, API key `
      + `${e.openLineageApiKey ? e.openLineageApiKey : 'none'})` : 'off') + '; MLflow '
    + (e.mlflowTrackingUri ? `${e.mlflowTrackingUri} (an experiment per ${e.mlflowExperimentBy}, token `
      + `${e.mlflowToken ? e.mlflowToken : 'none'})` : 'off') + '.';
  form.dataset.loads = String(Number(form.dataset.loads || 0) + 1);  // tests wait for a load before editing
}

async function loadTeam() {
  const team = document.getElementById('integrations-team').value;
  if (team) show(await api(`/api/teams/${encodeURIComponent(team)}/integrations`));
}

function fail(e) {
  document.getElementById('integrations-error').replaceChildren(errorBox(e));
}

if (me.role === 'admin') {
  document.getElementById('integrations-team').addEventListener('change', () => loadTeam().catch(fail));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    document.getElementById('integrations-error').replaceChildren();
    const team = document.getElementById('integrations-team').value;
    const body = {disabled: document.getElementById('int-disabled').checked};
    for (const f of fields) body[f] = document.getElementById(`int-${f}`).value.trim() || null;
    for (const f of secrets) {
      // Absent keeps the stored secret, an empty string clears it.
      if (document.getElementById(`int-clear-${f}`).checked) body[f] = '';
      else if (document.getElementById(`int-${f}`).value.trim()) body[f] = document.getElementById(`int-${f}`).value.trim();
    }
    try {
      show(await api(`/api/teams/${encodeURIComponent(team)}/integrations`, {method: 'PUT',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)}));
    } catch (e) {
      fail(e);
    }
  });
  loadTeams().catch(fail);
}
