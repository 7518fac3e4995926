// The run page's figures: training charts (pretraining, alignment), evaluation tables and the scaling-sweep fits,
// each fetched only when what the server pushed says it changed.
import {api, artifactLink, el, errorBox, fmtNumber, jsonView} from './console.js';
import {PALETTE, chart, replaceCharts} from './chart.js';

/**
 * The charted stages and their series (names as the trainers record them): each in its own section of the page.
 * Alignment records its held-out reward margin and preference accuracy twice, before and after DPO: dots.
 */
const CHART_GROUPS = [
  {stage: 'pretrain', section: 'charts-section', slot: 'charts', series: [
    {name: 'loss', title: 'training loss', logY: true},
    {name: 'learning_rate', title: 'learning rate', logY: false},
    {name: 'gradient_norm', title: 'gradient norm', logY: true},
    {name: 'tokens_per_second', title: 'throughput (tokens/s)', logY: false}]},
  {stage: 'align', section: 'align-charts-section', slot: 'align-charts', series: [
    {name: 'sft_loss', title: 'SFT loss', logY: true},
    {name: 'dpo_loss', title: 'DPO loss', logY: false},
    {name: 'reward_margin', title: 'held-out reward margin', logY: false, dots: true},
    {name: 'preference_accuracy', title: 'held-out preference accuracy', logY: false, dots: true}]},
].map(g => ({...g, shown: '', fetched: 0, timer: null}));
const CHART_POINTS = 500;
const REFRESH_MS = 3000;
const SCALING_FIT = 'scaling-fit';

/** One series of a run, downsampled by the server, as [[step, value], ...]; none when it was never recorded (404). */
export async function seriesPoints(runId, stage, name, points = CHART_POINTS) {
  try {
    const rows = await api(`/api/runs/${encodeURIComponent(runId)}/metrics/${encodeURIComponent(stage)}/${encodeURIComponent(name)}?points=${points}`);
    return rows.map(p => [p.step, p.value]);
  } catch (e) {
    if (e.problem && e.problem.status === 404) return [];
    throw e;
  }
}

function section(id, show) {
  const node = document.getElementById(id);
  node.hidden = !show;
  return node;
}

// ---- training charts

/** The series the run page charts, as the page call names them (STAGE/NAME). */
export const CHARTED_SERIES = CHART_GROUPS.flatMap(g => g.series.map(s => `${g.stage}/${s.name}`));
export {CHART_POINTS};

function drawGroup(group, all) {
  replaceCharts(document.getElementById(group.slot), ...group.series.map((s, i) =>
    chart({title: s.title, id: `chart-${s.name}`, logY: s.logY, xLabel: 'step', yLabel: s.title,
      series: [{label: s.title, dots: s.dots, points: all[i]}]})));
}

function groupSignature(group, run) {
  const summaries = (run.metrics || []).filter(m => m.stage === group.stage && group.series.some(s => s.name === m.name));
  return {summaries, signature: summaries.map(m => `${m.name}:${m.points}:${m.lastStep}`).join(' ')};
}

/**
 * The page's first view, from its one call: the run's charted series and evaluation rows as they were read with
 * the run itself, so nothing more is fetched until the run changes.
 */
export function showFirst(page) {
  const byName = new Map(page.series.map(s => [`${s.stage}/${s.name}`, s.points.map(p => [p.step, p.value])]));
  for (const group of CHART_GROUPS) {
    const {summaries, signature} = groupSignature(group, page.run);
    section(group.section, summaries.length > 0);
    if (summaries.length > 0) {
      drawGroup(group, group.series.map(s => byName.get(`${group.stage}/${s.name}`) || []));
      group.shown = signature;
      group.fetched = Date.now();
    }
  }
  evaluationsShown = page.run.stages.map(s => s.status).join(' ');
  section('evaluations-section', page.evaluations.length > 0).querySelector('#evaluations')
    .replaceChildren(evaluationTables(page.evaluations));
}

/** Redraws a stage's training charts when the run's metric summaries say a charted series grew (at most every 3 s). */
export function showTraining(run) {
  CHART_GROUPS.forEach(group => showGroup(group, run));
}

function showGroup(group, run) {
  const {summaries, signature} = groupSignature(group, run);
  section(group.section, summaries.length > 0);
  if (summaries.length === 0 || signature === group.shown) return;
  const wait = group.fetched + REFRESH_MS - Date.now();
  if (wait > 0) {
    clearTimeout(group.timer);
    group.timer = setTimeout(() => showGroup(group, run), wait);
    return;
  }
  group.shown = signature;
  group.fetched = Date.now();
  Promise.all(group.series.map(s => seriesPoints(run.id, group.stage, s.name)))
    .then(all => drawGroup(group, all))
    .catch(e => { group.shown = ''; replaceCharts(document.getElementById(group.slot), errorBox(e)); });
}

// ---- evaluation tables

let evaluationsShown = null;

/** The run's evaluation figures, one table per stage; read again whenever a stage's status changes. */
export function showEvaluations(run) {
  const signature = run.stages.map(s => s.status).join(' ');
  if (signature === evaluationsShown) return;
  evaluationsShown = signature;
  api(`/api/runs/${encodeURIComponent(run.id)}/evaluations`).then(rows => {
    section('evaluations-section', rows.length > 0).querySelector('#evaluations').replaceChildren(evaluationTables(rows));
  }, e => { evaluationsShown = null; document.getElementById('evaluations').replaceChildren(errorBox(e)); });
}

/** Evaluation rows ({stage, model, task, metric, value, n, stderr}) as one table per stage. */
export function evaluationTables(rows) {
  const stages = [...new Set(rows.map(r => r.stage))];
  return el('div', {}, stages.map(stage => {
    const own = rows.filter(r => r.stage === stage);
    return el('div', {class: 'card', 'data-evaluation-stage': stage},
      el('h3', {class: 'flush-top'}, stage, el('span', {class: 'muted small'}, ' · model ',
        [...new Set(own.map(r => r.model))].map(m => artifactLink(m)))),
      el('table', {class: 'evaluation'},
        el('thead', {}, el('tr', {}, el('th', {}, 'task'), el('th', {}, 'metric'), el('th', {class: 'num'}, 'value'),
          el('th', {class: 'num'}, '± stderr'), el('th', {class: 'num'}, 'n'))),
        el('tbody', {}, own.map(r => el('tr', {'data-task': r.task, 'data-metric': r.metric},
          el('td', {}, r.task), el('td', {}, r.metric), el('td', {class: 'num'}, fmtNumber(r.value)),
          el('td', {class: 'num'}, r.stderr === null ? '' : fmtNumber(r.stderr)), el('td', {class: 'num'}, fmtNumber(r.n)))))));
  }));
}

// ---- scaling fits

let fitShown = null;

/** The plan stage's scaling-fit artifact (an input when a sweep ran first, or an output), plotted once per digest. */
export async function showScalingFit(run) {
  const digest = run.stages.map(s => (s.outputs || {})[SCALING_FIT] || (s.inputs || {})[SCALING_FIT]).find(Boolean);
  section('fit-section', Boolean(digest));
  if (!digest || digest === fitShown) return;
  fitShown = digest;
  const slot = document.getElementById('fits');
  try {
    replaceCharts(slot, scalingFitView(digest, await api(`/api/artifacts/${digest}/content`)));
  } catch (e) {
    fitShown = null;
    replaceCharts(slot, errorBox(e));
  }
}

function scalingFitView(digest, fit) {
  const charts = [];
  if (fit.isoFlop) {
    charts.push(isoFlopChart(fit.isoFlop.budgets));
    charts.push(lawChart('optimal model scale M_opt(C)', fit.isoFlop.modelScaleLaw, 'M (FLOPs/token)', 'M'));
    charts.push(lawChart('optimal tokens D_opt(C)', fit.isoFlop.dataTokensLaw, 'D (tokens)', 'D'));
    if (fit.isoFlop.lossCurve) charts.push(lawChart('loss against compute', fit.isoFlop.lossCurve.law, 'loss', 'L'));
  }
  if (fit.hyperparameters) {
    charts.push(lawChart('optimal learning rate η_opt(C)', fit.hyperparameters.learningRateLaw, 'learning rate', 'η'));
    charts.push(lawChart('optimal batch B_opt(C)', fit.hyperparameters.batchTokensLaw, 'batch (tokens)', 'B'));
    fit.hyperparameters.budgets.forEach(b => charts.push(hyperparameterChart(b)));
  }
  return el('div', {},
    el('div', {class: 'small muted'}, 'artifact ', artifactLink(digest), ` · ${fit.probes.length} probe run(s)`),
    el('div', {class: 'charts'}, charts),
    el('h3', {}, 'Laws the plan used'), jsonView(fit.laws),
    fit.prediction ? el('div', {}, el('h3', {}, 'Predicted loss at the target budget'), jsonView(fit.prediction)) : '',
    fit.notes.length ? el('div', {}, el('h3', {}, 'Notes'), el('ul', {}, fit.notes.map(n => el('li', {}, n)))) : '');
}

/** A power-law fit ({points: [{x, y}], coefficient, exponent, ...stdErrs, rSquared}): its points and its line. */
function lawChart(title, fit, yLabel, symbol) {
  const xs = fit.points.map(p => p.x);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const line = Array.from({length: 40}, (_, i) => lo * (hi / lo) ** (i / 39)).map(x => [x, fit.coefficient * x ** fit.exponent]);
  const figure = chart({title, logX: true, logY: true, xLabel: 'compute C (FLOPs)', yLabel,
    series: [{label: 'per budget', dots: true, points: fit.points.map(p => [p.x, p.y])}, {label: 'fit', points: line}]});
  const err = v => v === null || v === undefined ? '' : ` ± ${fmtNumber(v)}`;
  figure.append(el('figcaption', {class: 'law', 'data-law': symbol},
    `${symbol} = ${fmtNumber(fit.coefficient)}${err(fit.coefficientStdErr)} · C^${fmtNumber(fit.exponent)}${err(fit.exponentStdErr)}`,
    el('span', {class: 'muted'}, ` · R² ${fmtNumber(fit.rSquared)}`)));
  return figure;
}

/** Every IsoFLOP budget: its probes' losses against M, and the fitted parabola in ln M. */
function isoFlopChart(budgets) {
  const series = budgets.flatMap((b, i) => {
    const us = b.points.map(p => Math.log(p.modelScale));
    const lo = Math.min(...us);
    const hi = Math.max(...us);
    const c = b.curve;
    const curve = Array.from({length: 30}, (_, k) => lo + (hi - lo) * k / 29)
      .map(u => [Math.exp(u), c.c0 + c.c1 * (u - c.center) + c.c2 * (u - c.center) ** 2]);
    const color = PALETTE[i % PALETTE.length];
    return [{label: `C = ${fmtNumber(b.compute)}`, color, dots: true, points: b.points.map(p => [p.modelScale, p.loss])},
      {label: `optimum M ${fmtNumber(b.optimalModelScale)}`, color, dashed: true, points: curve}];
  });
  return chart({title: 'IsoFLOP curves', id: 'chart-isoflop', logX: true, xLabel: 'model scale M (FLOPs/token)', yLabel: 'loss', series});
}

/** One hyperparameter budget: every probe's batch and learning rate, the near-optimal ones and the best. */
function hyperparameterChart(b) {
  const xy = p => [p.batchTokens, p.learningRate];
  return chart({title: `hyperparameters at C = ${fmtNumber(b.compute)}`, logX: true, logY: true,
    xLabel: 'batch (tokens)', yLabel: 'learning rate', series: [
      {label: 'probe', color: '#9aa3ae', dots: true, points: b.points.map(xy)},
      {label: 'near-optimal', color: '#1a7f37', dots: true, points: b.nearOptimal.map(xy)},
      {label: 'best', color: '#c0362c', dots: true, points: [xy(b.best)]}]});
}
