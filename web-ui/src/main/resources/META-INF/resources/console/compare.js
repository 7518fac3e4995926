// The compare page: runs side by side (spec diff, stage summaries, evaluation scores, loss curves overlaid).
import {api, badge, el, errorBox, fmtDuration, fmtNumber, nav, runLink} from './console.js';
import {chart} from './chart.js';
import {seriesPoints} from './run-figures.js';

nav('runs');
const ids = new URLSearchParams(location.search).getAll('run');
/** The losses overlaid, one chart each. */
const COMPARED_LOSSES = [
  {stage: 'pretrain', name: 'loss', title: 'pretraining loss', id: 'chart-loss-overlay'},
  {stage: 'align', name: 'sft_loss', title: 'SFT loss', id: 'chart-sft-loss-overlay'},
  {stage: 'align', name: 'dpo_loss', title: 'DPO loss', id: 'chart-dpo-loss-overlay'},
];

async function start() {
  let runs;
  try {
    runs = await api('/api/compare?' + new URLSearchParams(ids.map(id => ['run', id])));
  } catch (e) {
    // Nothing is compared: the error stands alone, no section waits on data that will not come.
    document.getElementById('error').replaceChildren(errorBox(e));
    document.getElementById('loss').replaceChildren();
    return;
  }
  const head = el('tr', {}, el('th', {}), runs.map(r => el('th', {'data-run': r.id}, runLink(r.id))));
  const row = (label, cell) => el('tr', {}, el('th', {}, label), runs.map(r => el('td', {}, cell(r))));
  document.getElementById('compared').replaceChildren(el('thead', {}, head), el('tbody', {},
    row('name', r => r.name), row('status', r => badge(r.status)), row('owner', r => r.owner),
    row('team', r => r.team || '—'), row('duration', r => fmtDuration(r.startedAt, r.endedAt))));
  document.getElementById('scores').replaceChildren(scoresTable(runs));
  document.getElementById('stages').replaceChildren(stagesTable(runs));
  document.getElementById('diffs').replaceChildren(...runs.slice(1).map(r => el('div', {},
    el('h3', {}, runLink(runs[0].id), ' → ', runLink(r.id)), specDiff(runs[0].specSource, r.specSource))));
  const loss = document.getElementById('loss');
  try {
    const curves = await Promise.all(COMPARED_LOSSES.map(c => Promise.all(runs.map(r => seriesPoints(r.id, c.stage, c.name)))));
    // Pretraining's loss always (its chart says when no run recorded it); alignment's where a run has it.
    loss.replaceChildren(...COMPARED_LOSSES.map((c, k) => ({...c, curves: curves[k]}))
      .filter((c, k) => k === 0 || c.curves.some(points => points.length > 0))
      .map(c => chart({title: c.title, id: c.id, logY: true, xLabel: 'step', yLabel: 'loss',
        series: runs.map((r, i) => ({label: `${r.name} (${r.id.slice(-6)})`, points: c.curves[i]}))})));
  } catch (e) {
    loss.replaceChildren(errorBox(e));
  }
}

/** One row per figure that any run has; {@code key} names a row, {@code cells} gives each run's value or null. */
function sideBySide(runs, id, columns, keys, cells) {
  if (keys.length === 0) return el('p', {class: 'muted'}, 'none of these runs has any');
  return el('table', {id},
    el('thead', {}, el('tr', {}, columns.map(c => el('th', {}, c)), runs.map(r => el('th', {class: 'num'}, r.name)))),
    el('tbody', {}, keys.map(k => el('tr', {}, k.label.map(l => el('td', {}, l)),
      cells(k).map(v => el('td', {class: 'num'}, v === null || v === undefined ? '—' : v))))));
}

function scoresTable(runs) {
  const keys = uniqueBy(runs.flatMap(r => r.evaluations.map(e => ({id: `${e.stage}/${e.task}/${e.metric}`, label: [e.stage, e.task, e.metric]}))));
  return sideBySide(runs, 'scores-table', ['stage', 'task', 'metric'], keys, k => runs.map(r => {
    const e = r.evaluations.find(x => `${x.stage}/${x.task}/${x.metric}` === k.id);
    return e ? fmtNumber(e.value) + (e.stderr === null ? '' : ` ± ${fmtNumber(e.stderr)}`) : null;
  }));
}

function stagesTable(runs) {
  const keys = uniqueBy(runs.flatMap(r => r.stages.flatMap(s => [{id: `${s.stage}/`, label: [s.stage, 'status']},
    ...Object.keys(s.summary || {}).map(name => ({id: `${s.stage}/${name}`, label: [s.stage, name]}))])));
  return sideBySide(runs, 'stages-table', ['stage', 'figure'], keys, k => runs.map(r => {
    const [stage, name] = [k.id.slice(0, k.id.indexOf('/')), k.id.slice(k.id.indexOf('/') + 1)];
    const s = r.stages.find(x => x.stage === stage);
    if (!s) return null;
    if (!name) return badge(s.status);
    return s.summary && name in s.summary ? fmtNumber(s.summary[name]) : null;
  }));
}

function uniqueBy(keys) {
  const seen = new Map();
  keys.forEach(k => { if (!seen.has(k.id)) seen.set(k.id, k); });
  return [...seen.values()];
}

/** A line diff (longest common subsequence) of two spec sources: removed lines red, added green. */
function specDiff(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  const lcs = Array.from({length: x.length + 1}, () => new Array(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const lines = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) { lines.push(el('div', {class: 'same'}, '  ' + x[i])); i++; j++; }
    else if (i < x.length && (j === y.length || lcs[i + 1][j] >= lcs[i][j + 1])) lines.push(el('div', {class: 'del'}, '- ' + x[i++]));
    else lines.push(el('div', {class: 'add'}, '+ ' + y[j++]));
  }
  return el('div', {class: 'diff'}, lines);
}

start();
