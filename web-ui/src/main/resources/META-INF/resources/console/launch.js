// The launch page: a spec editor with templates, validated as you type by the API's own rules, and submitted.
import {api, el, errorBox, fmtBytes, fmtNumber, fmtSeconds, may, nav, session} from './console.js';

const DEBOUNCE_MS = 250;

nav('launch');
const me = await session();
const spec = document.getElementById('spec');
const submit = document.getElementById('submit');
const result = document.getElementById('validation');

let checking = 0;
async function validate() {
  const mine = ++checking;
  submit.disabled = true;
  let outcome;
  try {
    outcome = await api('/api/specs/validate', {method: 'POST', headers: {'Content-Type': 'application/yaml'}, body: spec.value});
  } catch (e) {
    if (mine === checking) result.replaceChildren(errorBox(e));
    return;
  }
  if (mine !== checking) return;  // a newer check is on its way
  result.className = 'validation';
  if (outcome.valid) {
    result.replaceChildren(el('div', {class: 'ok-box', 'data-valid': 'true'}, may(me, 'operator')
      ? '✓ valid: ready to submit' : '✓ valid (submitting needs the operator role)'));
    submit.disabled = !may(me, 'operator');
  } else {
    result.replaceChildren(el('div', {'data-valid': 'false'},
      el('div', {class: 'error-box'}, `${outcome.errors.length} problem${outcome.errors.length === 1 ? '' : 's'}`),
      el('ul', {}, outcome.errors.map(f => el('li', {'data-field': f.field}, el('span', {class: 'field'}, f.field), ': ', f.message)))));
  }
}

let typing;
spec.addEventListener('input', () => {
  submit.disabled = true;
  clearTimeout(typing);
  typing = setTimeout(validate, DEBOUNCE_MS);
});
// Tab indents in the editor (YAML wants spaces) instead of leaving it.
spec.addEventListener('keydown', e => {
  if (e.key === 'Tab' && !e.shiftKey) {
    e.preventDefault();
    spec.setRangeText('  ', spec.selectionStart, spec.selectionEnd, 'end');
    spec.dispatchEvent(new Event('input'));
  }
});
// The templates come from the server: demo is samples/demo.yaml itself, small runs the same stages at a tiny
// budget, budget-only plans a model from a FLOP budget alone.
const templates = Object.fromEntries((await api('/api/specs/templates')).map(t => [t.name, t.yaml]));
document.getElementById('templates').replaceChildren(...Object.keys(templates).map(name => {
  const button = el('button', {'data-template': name}, name);
  button.addEventListener('click', () => {
    spec.value = templates[name];
    validate();
  });
  return button;
}));

submit.addEventListener('click', async () => {
  submit.disabled = true;
  try {
    const run = await api('/api/runs', {method: 'POST', headers: {'Content-Type': 'application/yaml'}, body: spec.value});
    location.href = `/run.html?id=${encodeURIComponent(run.id)}`;
  } catch (e) {
    document.getElementById('error').replaceChildren(errorBox(e));
    submit.disabled = false;
  }
});

// What the plan stage would choose, from a compute worker's planner, before anything is submitted.
const previewButton = document.getElementById('preview');
previewButton.addEventListener('click', async () => {
  const card = document.getElementById('plan-card');
  const target = document.getElementById('plan');
  card.hidden = false;
  previewButton.disabled = true;
  target.replaceChildren(el('span', {class: 'muted'}, 'planning…'));
  try {
    const plan = await api('/api/specs/plan', {method: 'POST', headers: {'Content-Type': 'application/yaml'}, body: spec.value});
    target.replaceChildren(planTable(plan));
  } catch (e) {
    target.replaceChildren(errorBox(e));
  } finally {
    previewButton.disabled = false;
  }
});

function planTable(plan) {
  const s = plan.model.shape;
  const m = plan.memory;
  const rows = [
    ['model', `${s.layers} layers × d_model ${s.dModel}, ${s.heads} heads (${s.kvHeads} KV), seq ${s.seqLen}, vocab ${s.vocab}`],
    ['parameters', `${fmtNumber(plan.model.totalParams)} (${fmtNumber(plan.model.nonEmbeddingParams)} non-embedding)`],
    ['model scale M', `${fmtNumber(plan.model.modelScale)} FLOPs/token (M_opt ${fmtNumber(plan.optimalModelScale)})`],
    ['tokens', `${fmtNumber(plan.tokens)} (D_opt ${fmtNumber(plan.optimalTokens)})`],
    ['batch', `${plan.batchSequences} sequences = ${fmtNumber(plan.batchTokens)} tokens`],
    ['learning rate', `${plan.learningRate.toPrecision(3)} peak, warm-up ${plan.schedule.warmupSteps} steps`],
    ['steps', fmtNumber(plan.steps)],
    ['wall time', plan.wallTime.seconds === undefined ? plan.wallTime.basis
      : `about ${fmtSeconds(plan.wallTime.seconds)} at ${fmtNumber(plan.wallTime.flopsPerSecond)} FLOP/s (${plan.wallTime.basis})`],
    ['memory (fp32)', `${fmtBytes(m.parameterBytes + m.gradientBytes + m.optimizerStateBytes)} state + ${fmtBytes(m.activationBytesPerSequence)} per sequence`],
  ];
  return el('table', {class: 'kv', 'data-plan': 'true'}, rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v))),
    (plan.notes || []).map(n => el('tr', {}, el('th', {}, 'note'), el('td', {class: 'muted'}, n))));
}

spec.value = templates.demo;
validate();
