// The run page: the stage graph and everything about each stage, kept live by server-sent events.
import {api, artifactLink, badge, documentView, el, errorBox, fmtDuration, fmtNumber, fmtTime, jsonView, may, nav, param, runLink,
  session, shortDigest, temporal, workflowUrl} from './console.js';
import {CHARTED_SERIES, CHART_POINTS, showEvaluations, showFirst, showScalingFit, showTraining} from './run-figures.js';
import {graphView, htmlNode} from './dag.js';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'INTERRUPTED']);
const runId = param('id');
const reusedRows = new Map();   // stage row id → its row (fetched once), to name the run a cache hit came from
let current = null;
let shownReport = null;
/** The attempt logs open on the page, by `stage/attempt`: {text, complete, timer, readsSinceEnd}, kept across redraws. */
const openLogs = new Map();
/** How often an open log of a running attempt is read again; the worker saves it every 3 s. */
const LOG_REFRESH_MS = 3000;
/** A stage's box in the stage graph: room for its name, status, attempts, duration and the row it reused. */
const STAGE_W = 196;
const STAGE_H = 116;

nav('runs');
const me = await session();
const operates = may(me, 'operator');   // a viewer sees the actions disabled; the server refuses them anyway
document.body.dataset.events = '0';   // server-sent views received: the browser test reads it

async function start() {
  if (!runId) {
    document.getElementById('run').replaceChildren(errorBox(new Error('no run id: open this page from the runs list')));
    return;
  }
  try {
    // One call for the first view (the run, its evaluations, its charted series); the event stream after it.
    const query = new URLSearchParams({points: CHART_POINTS});
    CHARTED_SERIES.forEach(s => query.append('series', s));
    const page = await api(`/api/console/runs/${encodeURIComponent(runId)}?${query}`);
    showFirst(page);
    render(page.run);
  } catch (e) {
    document.getElementById('run').replaceChildren(errorBox(e));
    setLive(false, 'not live');
    return;
  }
  document.getElementById('spec').textContent = JSON.stringify(current.spec, null, 2);
  if (!TERMINAL.has(current.status)) listen();
  else setLive(false, 'ended');
}

/** Server-sent events: a new view each time the run changes; the stream ends when the run does. */
let events = null;
function listen() {
  if (events && events.readyState !== EventSource.CLOSED) return;
  events = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`);
  events.onopen = () => setLive(true, 'live');
  events.onmessage = message => {
    document.body.dataset.events = String(Number(document.body.dataset.events) + 1);
    render(JSON.parse(message.data));
    if (TERMINAL.has(current.status)) {
      events.close();
      setLive(false, 'ended');
    }
  };
  // A refused stream (429: this user has too many open, 503: the server has) closes for good; the page says so.
  events.onerror = () => setLive(false, events.readyState === EventSource.CLOSED
    ? 'not live: the server refused the stream (too many open?); close other run pages and reload' : 'reconnecting');
}

function setLive(on, text) {
  const live = document.getElementById('live');
  live.classList.toggle('on', on);
  live.querySelector('.text').textContent = text;
}

function render(run) {
  current = run;
  document.title = `lmforge · ${run.name} · ${run.status}`;
  document.getElementById('title').textContent = run.name;
  document.getElementById('status').replaceChildren(badge(run.status));
  document.getElementById('status').dataset.status = run.status;
  document.getElementById('facts').replaceChildren(
    el('span', {class: 'mono'}, run.id), ' · owner ', run.owner, run.team ? ` · team ${run.team}` : '',
    ' · created ', fmtTime(run.createdAt), run.startedAt ? ` · ran ${fmtDuration(run.startedAt, run.endedAt)}` : '',
    run.resumedFrom ? el('span', {}, ' · resumes ', runLink(run.resumedFrom)) : '',
    ' · workflow ', el('span', {id: 'workflow', class: 'mono'}, run.workflowId || '—'),
    run.stages.some(s => s.status === 'SUCCEEDED' && s.outputs && s.outputs.model) ? el('span', {}, ' · ',
      el('a', {id: 'try-playground', href: `/playground.html?run=${encodeURIComponent(run.id)}`}, 'Try in playground')) : '');
  temporal().then(info => {
    const url = workflowUrl(info, run.workflowId);
    if (url) document.getElementById('workflow').replaceChildren(
      el('a', {href: url, target: '_blank', rel: 'noopener', title: 'in the Temporal Web UI'}, run.workflowId));
  }, () => {});
  document.getElementById('pause').disabled = !operates || run.status !== 'RUNNING';
  document.getElementById('cancel').disabled = !operates || !['RUNNING', 'PAUSED', 'QUEUED'].includes(run.status);
  document.getElementById('resume').disabled = !operates || !['PAUSED', 'INTERRUPTED', 'FAILED', 'CANCELLED'].includes(run.status);
  document.getElementById('role-note').hidden = operates;

  document.getElementById('run').replaceChildren(
    run.error ? el('div', {class: 'error-box'}, el('b', {}, 'run error: '), run.error) : '',
    el('h2', {}, 'Stages'),
    stageGraph(run.stages),
    el('h2', {}, 'Attempts'),
    attemptsTable(run.stages),
    el('h2', {}, 'Stage results'),
    el('div', {class: 'grid2'}, run.stages.filter(s => s.rowId !== null).map(stageCard)),
    el('h2', {}, 'Metrics'),
    metricsTable(run.metrics));
  showReport(run.stages.find(s => s.stage === 'data'));
  showTraining(run);
  showEvaluations(run);
  showScalingFit(run);
  document.dispatchEvent(new CustomEvent('run-view', {detail: run}));   // for run-extend.js
}

/**
 * The stages as the DAG they are: an edge from each stage whose output another took as input (unless it also took
 * an input made from that output), laid out by dagre; a stage that has taken no input yet hangs after the stage
 * before it, as the workflow will run it.
 */
function stageGraph(stages) {
  const producers = new Map();   // artifact digest → the stage that made it
  stages.forEach(s => Object.values(s.outputs || {}).forEach(digest => producers.set(digest, s.stage)));
  const after = new Map(stages.map((s, i) => {
    const from = new Set(Object.values(s.inputs || {}).map(d => producers.get(d)).filter(p => p && p !== s.stage));
    if (from.size === 0 && i > 0) from.add(stages[i - 1].stage);
    return [s.stage, from];
  }));
  // Only the direct dependencies: an edge another path already implies (the corpus every stage reads) is left out.
  const reaches = (from, to, seen = new Set()) => from === to
    || (!seen.has(to) && (seen.add(to), [...after.get(to)].some(p => reaches(from, p, seen))));
  const edges = [...after].flatMap(([stage, from]) => [...from]
    .filter(f => ![...from].some(other => other !== f && reaches(f, other)))
    .map(f => ({from: f, to: stage})));
  const nodes = stages.map(s => ({id: s.stage, width: STAGE_W, height: STAGE_H,
    draw: (x, y) => htmlNode(x, y, STAGE_W, STAGE_H, stageBox(s))}));
  return el('div', {class: 'stage-graph', id: 'stage-graph'}, graphView(nodes, edges, {rankGap: 40}));
}

function stageBox(s) {
  const reused = s.reusedFrom !== null && s.reusedFrom !== undefined;
  return el('div', {class: `stage-box st-${s.status}`, 'data-stage': s.stage, 'data-status': s.status},
    el('div', {class: 'name'}, s.stage),
    badge(s.status),
    el('div', {class: 'line'}, reused ? 'cache hit: not run again'
      : s.waitingForSlot ? 'waiting for a slot of its team' : `attempts: ${s.attempts.length}`),
    el('div', {class: 'line'}, s.startedAt ? fmtDuration(s.startedAt, s.endedAt) : 'not started'),
    reused ? el('div', {class: 'line'}, 'reused row #', s.reusedFrom, ' ', reusedRunLink(s.reusedFrom)) : '');
}

/** The run a reused row belongs to, as a link once known: each row is looked up once, then the page redrawn. */
function reusedRunLink(rowId) {
  const row = reusedRows.get(rowId);
  if (row) return el('span', {}, 'of ', runLink(row.runId));
  if (!reusedRows.has(rowId)) {
    reusedRows.set(rowId, null);
    api(`/api/console/stages/${rowId}`).then(found => { reusedRows.set(rowId, found); render(current); },
      () => reusedRows.delete(rowId));
  }
  return '';
}

function attemptsTable(stages) {
  const rows = stages.flatMap(s => s.attempts.flatMap(a => {
    const key = `${s.stage}/${a.attempt}`;
    const row = el('tr', {},
      el('td', {}, s.stage), el('td', {class: 'num'}, a.attempt), el('td', {class: 'mono'}, a.worker), el('td', {}, badge(a.status)),
      el('td', {class: 'small'}, a.resumedFromCheckpoint ? attemptCheckpoint(a.resumedFromCheckpoint) : ''),
      el('td', {class: 'small'}, fmtTime(a.startedAt)),
      el('td', {class: 'num small'}, fmtDuration(a.startedAt, a.endedAt)),
      el('td', {}, a.error ? attemptError(a.error) : ''),
      el('td', {}, el('button', {type: 'button', class: 'small', 'data-log-toggle': key,
        onclick: () => toggleLog(s.stage, a.attempt)}, openLogs.has(key) ? 'hide log' : 'log')));
    const log = openLogs.get(key);
    return log ? [row, el('tr', {class: 'attempt-log'}, el('td', {colspan: 9},
      el('pre', {class: 'log', 'data-log': key, 'data-complete': String(log.complete)}, log.text)))] : [row];
  }));
  if (rows.length === 0) return el('p', {class: 'muted'}, 'no attempts: no stage has run here (yet)');
  return el('table', {id: 'attempts'},
    el('thead', {}, el('tr', {}, ['stage', 'attempt', 'worker', 'status', 'resumed from checkpoint', 'started', 'duration', 'error', 'log']
      .map(h => el('th', {}, h)))),
    el('tbody', {}, rows));
}

/** Opens or closes the log of one attempt under its row. */
function toggleLog(stage, attempt) {
  const key = `${stage}/${attempt}`;
  const open = openLogs.get(key);
  if (open) {
    clearTimeout(open.timer);
    openLogs.delete(key);
  } else {
    openLogs.set(key, {text: 'loading the log…', complete: false, timer: null});
    readLog(stage, attempt);
  }
  render(current);
}

/**
 * Reads an open attempt log and shows it in place; read again every few seconds until the server says it is
 * complete (the attempt has ended). No log yet is said so, and looked for again while the attempt runs.
 */
async function readLog(stage, attempt) {
  const key = `${stage}/${attempt}`;
  let text;
  let complete = false;
  try {
    const response = await fetch(`/api/runs/${encodeURIComponent(runId)}/stages/${encodeURIComponent(stage)}/attempts/${attempt}/log`,
      {headers: {Accept: 'text/plain, application/problem+json'}});
    if (response.ok) {
      text = await response.text();
      complete = response.headers.get('X-Lmforge-Log-Complete') === 'true';
      if (!text) text = complete ? '(the attempt logged nothing)' : '(nothing logged yet)';
    } else {
      const problem = await response.json().catch(() => null);
      text = response.status === 404 ? 'no log saved for this attempt (yet)'
        : `could not read the log: ${problem && problem.detail ? problem.detail : response.status}`;
    }
  } catch (e) {
    text = `could not read the log: ${e.message}`;
  }
  const log = openLogs.get(key);
  if (!log) return;   // closed meanwhile
  const running = current && current.stages.some(s => s.stage === stage
    && s.attempts.some(a => a.attempt === attempt && a.status === 'RUNNING'));
  // The worker saves the complete log just after it records the attempt's end: a few more reads catch it; a log
  // of a worker that died stays incomplete, and is not read forever.
  log.readsSinceEnd = running ? 0 : (log.readsSinceEnd || 0) + 1;
  Object.assign(log, {text, complete});
  if (!complete && log.readsSinceEnd <= 3) log.timer = setTimeout(() => readLog(stage, attempt), LOG_REFRESH_MS);
  const pre = document.querySelector(`pre[data-log="${CSS.escape(key)}"]`);
  if (pre) {
    pre.textContent = text;
    pre.dataset.complete = String(complete);
  }
}

/** The checkpoint an attempt resumed from (as its heartbeat carried it): a short label, the whole of it folded. */
function attemptCheckpoint(json) {
  let label = 'checkpoint';
  try {
    const c = JSON.parse(json);
    if (typeof c.step === 'number') label = `step ${c.step}`;
    else if (Array.isArray(c.parts)) label = `${c.parts.length} part(s) done`;
  } catch (notJson) {
    // shown as it is
  }
  return el('details', {class: 'stack'}, el('summary', {}, label), el('pre', {}, json));
}

/** An attempt's error: its first line, and the stack trace the worker recorded folded under it. */
function attemptError(error) {
  const [first, ...stack] = error.split('\n');
  return el('div', {class: 'error-box small'}, first,
    stack.length ? el('details', {class: 'stack'}, el('summary', {}, 'stack trace'), el('pre', {}, stack.join('\n'))) : '');
}

function stageCard(s) {
  const artifacts = (title, map) => Object.keys(map).length === 0 ? '' : el('div', {'data-artifacts': title.toLowerCase()},
    el('h3', {}, title),
    el('table', {class: 'kv'}, el('tbody', {}, Object.entries(map).map(([name, digest]) =>
      el('tr', {'data-name': name}, el('th', {}, name), el('td', {}, artifactLink(digest, shortDigest(digest)),
        ' ', el('a', {href: `/api/artifacts/${digest}/content`, class: 'small'}, 'download')))))));
  return el('div', {class: 'card', 'data-stage-card': s.stage},
    el('div', {class: 'toolbar flush'}, el('b', {}, s.stage), badge(s.status),
      el('span', {class: 'muted small'}, `row #${s.rowId} · cache key ${shortDigest(s.cacheKey)}`)),
    s.error ? el('div', {class: 'error-box'}, s.error) : '',
    Object.keys(s.summary || {}).length ? el('div', {}, el('h3', {}, 'Summary'), jsonView(s.summary)) : '',
    artifacts('Outputs', s.outputs || {}),
    artifacts('Inputs', s.inputs || {}));
}

function metricsTable(metrics) {
  if (!metrics || metrics.length === 0) return el('p', {class: 'muted'}, 'no metrics recorded');
  return el('table', {id: 'metrics'},
    el('thead', {}, el('tr', {}, el('th', {}, 'stage'), el('th', {}, 'metric'), el('th', {class: 'num'}, 'points'),
      el('th', {class: 'num'}, 'last step'), el('th', {class: 'num'}, 'last value'))),
    el('tbody', {}, metrics.map(m => el('tr', {}, el('td', {}, m.stage), el('td', {}, m.name),
      el('td', {class: 'num'}, fmtNumber(m.points)), el('td', {class: 'num'}, fmtNumber(m.lastStep)),
      el('td', {class: 'num'}, fmtNumber(m.lastValue))))));
}

/** The data stage's report artifact, read once and shown as tables whatever its shape. */
async function showReport(data) {
  document.getElementById('report-section').hidden = !data;
  const digest = data && data.outputs && data.outputs.report;
  if (!digest || digest === shownReport) return;
  shownReport = digest;
  const slot = document.getElementById('report');
  try {
    const report = await api(`/api/artifacts/${digest}/content`);
    slot.className = 'card report';
    slot.replaceChildren(el('div', {class: 'small muted'}, 'artifact ', artifactLink(digest)), documentView(report));
  } catch (e) {
    shownReport = null;
    slot.replaceChildren(errorBox(e));
  }
}

// ---- actions

async function act(path, what) {
  const slot = document.getElementById('action-error');
  slot.replaceChildren();
  try {
    return await api(path, {method: 'POST'});
  } catch (e) {
    slot.replaceChildren(errorBox(new Error(`${what}: ${e.message}`)));
    return null;
  }
}

document.getElementById('pause').addEventListener('click', () => act(`/api/runs/${runId}/pause`, 'pause'));
document.getElementById('cancel').addEventListener('click', () => {
  if (confirm(`Cancel run ${runId}? Its running stage stops and no later stage runs.`)) act(`/api/runs/${runId}/cancel`, 'cancel');
});

const dialog = document.getElementById('resume-dialog');
document.getElementById('resume').addEventListener('click', async () => {
  const plan = await act(`/api/runs/${runId}/resume?dryRun=true`, 'resume preview');
  if (!plan) return;
  document.getElementById('resume-error').replaceChildren();
  document.getElementById('resume-plan').replaceChildren(
    el('p', {}, plan.resumedFrom ? 'A new run, linked to this one, would start:' : 'This paused run would go on in place:'),
    el('table', {id: 'resume-table'},
      el('thead', {}, el('tr', {}, el('th', {}, 'stage'), el('th', {}, 'would'), el('th', {}, 'why'))),
      el('tbody', {}, plan.stages.map(s => el('tr', {'data-stage': s.stage, 'data-action': s.action},
        el('td', {}, s.stage), el('td', {}, el('span', {class: `badge s-${s.action === 'reuse' ? 'REUSED' : 'RUNNING'}`}, s.action)),
        el('td', {class: 'small'}, s.reason))))));
  dialog.showModal();
});
document.getElementById('resume-close').addEventListener('click', () => dialog.close());
document.getElementById('resume-confirm').addEventListener('click', async () => {
  try {
    const done = await api(`/api/runs/${runId}/resume`, {method: 'POST'});
    dialog.close();
    if (done.runId && done.runId !== runId) location.href = `/run.html?id=${encodeURIComponent(done.runId)}`;
    else listen();
  } catch (e) {
    document.getElementById('resume-error').replaceChildren(errorBox(e));
  }
});

// Durations of what is still going tick between server events.
setInterval(() => { if (current && !TERMINAL.has(current.status) && !document.hidden) render(current); }, 1000);
start();
