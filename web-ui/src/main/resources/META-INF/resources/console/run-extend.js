// The run page's "Extend budget": continual training from a finished pretraining's checkpoint at the multi-step
// schedule's first drop (POST /api/runs/{id}/extend). The server's dry run previews the new plan before anything
// starts; Launch starts the new run and opens it. A run made so says which run it extends.
import {api, el, errorBox, fmtNumber, may, param, runLink, session} from './console.js';

const runId = param('id');
const button = document.getElementById('extend');
const dialog = document.getElementById('extend-dialog');
const budget = document.getElementById('extend-budget');
const planSlot = document.getElementById('extend-plan');
const errorSlot = document.getElementById('extend-error');
const launch = document.getElementById('extend-launch');
const me = session();   // not awaited here, so that the listener below is in place before run.js renders
let view = null;
let extendsShown = false;

// run.js announces each view of the run it renders.
document.addEventListener('run-view', async e => {
  view = e.detail;
  const operates = may(await me, 'operator');
  const pretrain = view.stages.find(s => s.stage === 'pretrain');
  button.disabled = !operates || !pretrain || !['SUCCEEDED', 'REUSED'].includes(pretrain.status)
    || !pretrain.outputs['boundary-checkpoint'];
  showExtends(view.spec.training && view.spec.training.extendFrom);
});

/** "extends run X": the run whose pretraining wrote the checkpoint this run's training.extendFrom names. */
async function showExtends(checkpoint) {
  if (!checkpoint || extendsShown) return;
  extendsShown = true;
  const slot = document.getElementById('extends');
  try {
    const lineage = await api(`/api/artifacts/${checkpoint}/lineage?direction=up`);
    const producer = lineage.stages.find(s => s.stage === 'pretrain' && s.runId !== runId);
    slot.replaceChildren('extends ', producer ? runLink(producer.runId) : 'a run you cannot see',
      ' from its checkpoint at the multi-step boundary');
  } catch (e) {
    slot.replaceChildren(errorBox(e));
  }
}

async function preview() {
  errorSlot.replaceChildren();
  launch.disabled = true;
  try {
    const plan = await extend(true);
    planSlot.replaceChildren(planTable(plan));
    launch.disabled = false;
  } catch (e) {
    planSlot.replaceChildren();
    errorSlot.replaceChildren(errorBox(e));
  }
}

function extend(dryRun) {
  return api(`/api/runs/${encodeURIComponent(runId)}/extend?dryRun=${dryRun}`, {method: 'POST',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify({budget: Number(budget.value)})});
}

function planTable(p) {
  const s = p.shape;
  const rows = [
    ['model', `${s.layers} layers · d_model ${s.dModel} · ${s.heads} heads · seq ${s.seqLen} · vocab ${s.vocab} (kept)`],
    ['batch', `${fmtNumber(p.batchSequences)} sequences · ${fmtNumber(p.batchTokens)} tokens per step (kept)`],
    ['budget', `${fmtNumber(p.currentBudget)} → ${fmtNumber(p.budget)} FLOPs`],
    ['steps', `${fmtNumber(p.previousSteps)} → ${fmtNumber(p.steps)}`],
    ['reused', `steps 1–${fmtNumber(p.reusedSteps)} from the checkpoint at the multi-step boundary (peak learning rate)`],
    ['new', `steps ${fmtNumber(p.reusedSteps + 1)}–${fmtNumber(p.steps)}: ${fmtNumber(p.newSteps)} steps, `
      + 'the last 20 % at the schedule\'s two drops'],
    ['tokens', fmtNumber(p.tokens)],
    ['compute', `${fmtNumber(p.compute)} FLOPs in all (M · tokens); ${fmtNumber(p.newCompute)} of them new`],
  ];
  return el('table', {'data-extend-plan': '', 'data-steps': p.steps, 'data-reused': p.reusedSteps},
    el('tbody', {}, rows.map(([k, v]) => el('tr', {'data-row': k}, el('th', {}, k), el('td', {}, v)))));
}

button.addEventListener('click', () => {
  const current = view && view.spec.compute ? view.spec.compute.budget : 0;
  budget.value = String(current * 2);
  planSlot.replaceChildren();
  dialog.showModal();
  preview();
});
document.getElementById('extend-preview').addEventListener('click', preview);
document.getElementById('extend-close').addEventListener('click', () => dialog.close());
launch.addEventListener('click', async () => {
  launch.disabled = true;
  try {
    const done = await extend(false);
    location.href = `/run.html?id=${encodeURIComponent(done.runId)}`;
  } catch (e) {
    errorSlot.replaceChildren(errorBox(e));
  }
});
