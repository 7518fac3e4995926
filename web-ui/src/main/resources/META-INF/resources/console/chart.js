// Line and scatter charts drawn by uPlot (its WebJar): drag a box to zoom in, double-click to zoom out, hover for the
// nearest point's values in the legend, linear or logarithmic on either axis.
import uPlot from '/webjars/uplot/dist/uPlot.esm.js';
import {fmtNumber} from './console.js';

const WIDTH = 560;
const HEIGHT = 260;
/** Scatter plots keep this fraction of each axis free at both ends, so no dot sits on the frame. */
const DOT_MARGIN = 0.06;
/** Series colours, in order; a series may name its own. */
export const PALETTE = ['#2f5fd0', '#c0362c', '#1a7f37', '#9a6700', '#7a43b6', '#0f7c8c', '#b3407a', '#5a6472'];
/** A tick label: short, as 5e-4 or 8.5e+10 at the ends of the scale; uPlot passes null for a tick it leaves bare. */
const tick = v => {
  if (v === null) return '';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e7) ? (+v.toPrecision(3)).toExponential() : fmtNumber(+v.toPrecision(6));
};
/**
 * Which ticks of a log axis carry a label: 1, 2 and 5 times each power of ten over up to three decades (uPlot would
 * label only the powers, leaving a narrower axis with one label or none), the powers alone over more.
 */
const logLabels = (u, splits, axisIdx) => {
  const scale = u.scales[u.axes[axisIdx].scale];
  const decades = Math.log10(scale.max / scale.min);
  return splits.map(v => {
    const lead = Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
    return (decades > 3 ? lead === 1 : [1, 2, 5].includes(lead)) ? v : null;
  });
};
/** The plot of each chart on the page, so that a chart replaced by a newer one is destroyed with its listeners. */
const plots = new WeakMap();
const dots = uPlot.paths.points();
/** Every point of a mode-2 series as a dot: uPlot hands points() the index range of mode 1, which has no x series. */
const allDots = (u, si, from, to, filtered) => dots(u, si, 0, u.data[si][0].length - 1, filtered);

/**
 * A chart of {@code series}: [{label, points: [[x, y], ...], color?, dots?, dashed?}]; {@code logX}/{@code logY}
 * put that axis on a log scale (points not above zero are then left out). Returns a figure holding the plot.
 * Each series is its own [xs, ys] (uPlot's mode 2), so series need not share x values and a scatter may have
 * several points at one x.
 */
export function chart({title, series, xLabel = '', yLabel = '', logX = false, logY = false, id = null}) {
  const kept = series.map((s, i) => ({...s, color: s.color || PALETTE[i % PALETTE.length],
    points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!logX || x > 0) && (!logY || y > 0))}));
  const figure = document.createElement('figure');
  figure.className = 'chart';
  if (id) figure.id = id;
  figure.dataset.points = String(kept.reduce((n, s) => n + s.points.length, 0));
  const heading = title + (logY ? ' (log scale)' : '');
  if (figure.dataset.points === '0') {
    figure.append(Object.assign(document.createElement('div'), {className: 'u-title', textContent: heading}),
      Object.assign(document.createElement('div'), {className: 'empty muted', textContent: 'no points recorded'}));
    return figure;
  }
  const margin = kept.some(s => s.dots) ? DOT_MARGIN : 0;
  const fmt = v => v === null || v === undefined ? '—' : fmtNumber(+v.toPrecision(6));
  const axis = (label, size, scale, log) => ({scale, label, labelSize: 18, size, stroke: '#5a6472', grid: {stroke: '#eef0f3'},
    ticks: {stroke: '#d0d5dc'}, values: (u, splits) => splits.map(tick), filter: log ? logLabels : undefined});
  const opts = {
    title: heading, width: WIDTH, height: HEIGHT, mode: 2,
    scales: {x: {time: false, distr: logX ? 3 : 1, range: range(logX, margin)}, y: {distr: logY ? 3 : 1, range: range(logY, margin)}},
    axes: [axis(xLabel, 40, 'x', logX), axis(yLabel, 60, 'y', logY)],
    cursor: {dataIdx: (u, si) => nearestPoint(u, si, si > 0 && kept[si - 1].dots), drag: {x: true, y: true, uni: 20}, points: {size: 8}},
    legend: {live: true},
    series: [{}, ...kept.map(s => ({
      label: s.label || yLabel || title, stroke: s.color, width: 1.6, dash: s.dashed ? [5, 4] : undefined,
      facets: [{scale: 'x', auto: true}, {scale: 'y', auto: true}],
      paths: s.dots ? () => null : undefined,
      points: s.dots ? {show: true, size: 7, width: 1, fill: s.color, stroke: s.color, paths: allDots} : {show: false},
      // The hovered point as x → y: a line chart's step and value, a scatter's two coordinates.
      value: (u, v, si, idx) => idx === null || idx === undefined ? '—' : `${fmt(u.data[si][0][idx])} → ${fmt(u.data[si][1][idx])}`,
    }))],
  };
  const data = [null, ...kept.map(s => {
    const sorted = [...s.points].sort((a, b) => a[0] - b[0]);
    return [sorted.map(p => p[0]), sorted.map(p => p[1])];
  })];
  plots.set(figure, new uPlot(opts, data, figure));
  return figure;
}

/** Puts {@code nodes} in {@code slot} in place of what it held, destroying the plots of the charts taken out. */
export function replaceCharts(slot, ...nodes) {
  slot.querySelectorAll('figure.chart').forEach(f => { plots.get(f)?.destroy(); plots.delete(f); });
  slot.replaceChildren(...nodes);
}

/**
 * An axis range: the data's own, widened by {@code margin} of it at both ends (in log space on a log axis), and a
 * log axis out to round values so that its ends carry labels.
 */
function range(log, margin) {
  return (u, lo, hi) => {
    if (lo === null || hi === null) return [lo, hi];
    if (lo === hi) return log ? [lo / 2, hi * 2] : [lo - Math.abs(lo || 1) * 0.5, hi + Math.abs(hi || 1) * 0.5];
    if (!log) return [lo - (hi - lo) * margin, hi + (hi - lo) * margin];
    const extra = (hi / lo) ** margin;
    return [roundLog(lo / extra, Math.floor), roundLog(hi * extra, Math.ceil)];
  };
}

/** {@code v} rounded down or up ({@code round}) to 1, 2 or 5 times a power of ten. */
function roundLog(v, round) {
  const power = 10 ** Math.floor(Math.log10(v));
  const steps = [1, 2, 5, 10].map(m => m * power);
  return round === Math.floor ? steps.filter(s => s <= v * (1 + 1e-9)).pop() : steps.find(s => s >= v * (1 - 1e-9));
}

/**
 * The hover: each series' point nearest the cursor, along x for a line (so a line always shows its value under the
 * cursor) and on the screen for a scatter's dots, if one lies within 40 pixels.
 */
function nearestPoint(u, si, dots) {
  if (si === 0 || !u.series[si].show) return null;
  const [xs, ys] = u.data[si];
  let best = null;
  let bestDistance = 40 * 40;
  for (let i = 0; i < xs.length; i++) {
    const dx = u.valToPos(xs[i], 'x') - u.cursor.left;
    const dy = dots ? u.valToPos(ys[i], 'y') - u.cursor.top : 0;
    if (dx * dx + dy * dy < bestDistance) { bestDistance = dx * dx + dy * dy; best = i; }
  }
  return best;
}
