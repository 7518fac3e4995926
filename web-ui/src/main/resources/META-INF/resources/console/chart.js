// Line and scatter charts drawn as SVG: axes with ticks, linear or logarithmic on either axis, and a legend.
import {fmtNumber} from './console.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 560;
const HEIGHT = 260;
const PAD = {left: 62, right: 14, top: 12, bottom: 38};
const LEGEND_ROW = 14;
const LEGEND_COLUMNS = 3;
/** Scatter plots keep this fraction of each axis free at both ends, so no dot sits on the frame. */
const DOT_MARGIN = 0.06;
/** Series colours, in order; a series may name its own. */
export const PALETTE = ['#2f5fd0', '#c0362c', '#1a7f37', '#9a6700', '#7a43b6', '#0f7c8c', '#b3407a', '#5a6472'];

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

/**
 * An axis: maps data values to pixels, linear or base-10 logarithmic, with readable tick values; {@code margin}
 * widens the range by that fraction at both ends.
 */
function axis(values, log, from, to, margin) {
  const usable = log ? values.filter(v => v > 0) : values;
  let lo = Math.min(...usable);
  let hi = Math.max(...usable);
  if (lo === hi) { lo = log ? lo / 2 : lo - Math.abs(lo || 1) * 0.5; hi = log ? hi * 2 : hi + Math.abs(hi || 1) * 0.5; }
  const t = v => log ? Math.log10(v) : v;
  const inverse = u => log ? 10 ** u : u;
  const extra = (t(hi) - t(lo)) * margin;
  [lo, hi] = [inverse(t(lo) - extra), inverse(t(hi) + extra)];
  const [a, b] = [t(lo), t(hi)];
  const pos = v => from + (t(v) - a) / (b - a) * (to - from);
  let ticks;
  if (log && Math.floor(b) - Math.ceil(a) >= 1) {
    ticks = [];
    for (let k = Math.ceil(a); k <= Math.floor(b); k++) ticks.push(10 ** k);
  } else {
    ticks = niceTicks(lo, hi);
  }
  return {pos, ticks, lo, hi};
}

/** About five round values between lo and hi (steps of 1, 2 or 5 times a power of ten). */
function niceTicks(lo, hi) {
  const raw = (hi - lo) / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map(m => m * power).find(s => s >= raw);
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

/**
 * A chart of {@code series}: [{label, points: [[x, y], ...], color?, dots?, dashed?}]; {@code logX}/{@code logY}
 * put that axis on a log scale (points not above zero are then left out). Returns an SVG element in a figure.
 */
export function chart({title, series, xLabel = '', yLabel = '', logX = false, logY = false, id = null}) {
  const kept = series.map((s, i) => ({...s, color: s.color || PALETTE[i % PALETTE.length],
    points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!logX || x > 0) && (!logY || y > 0))}));
  const all = kept.flatMap(s => s.points);
  const figure = document.createElement('figure');
  figure.className = 'chart';
  if (id) figure.id = id;
  figure.dataset.points = String(all.length);
  if (all.length === 0) {
    figure.append(svg('svg', {viewBox: `0 0 ${WIDTH} 60`, width: WIDTH, height: 60},
      svg('text', {x: 8, y: 18, class: 'title'}, title), svg('text', {x: 8, y: 44, class: 'empty'}, 'no points recorded')));
    return figure;
  }
  // The legend sits between the title and the plot, so it never hides a point.
  const legendRows = kept.length < 2 && !kept[0].label ? 0 : Math.ceil(kept.length / LEGEND_COLUMNS);
  const top = 24 + legendRows * LEGEND_ROW + PAD.top;
  const margin = kept.some(s => s.dots) ? DOT_MARGIN : 0;
  const x = axis(all.map(p => p[0]), logX, PAD.left, WIDTH - PAD.right, margin);
  const y = axis(all.map(p => p[1]), logY, HEIGHT - PAD.bottom, top, margin);
  const grid = [
    ...y.ticks.map(v => svg('g', {class: 'tick'},
      svg('line', {x1: PAD.left, x2: WIDTH - PAD.right, y1: y.pos(v), y2: y.pos(v)}),
      svg('text', {x: PAD.left - 6, y: y.pos(v) + 4, 'text-anchor': 'end'}, fmtNumber(v)))),
    ...x.ticks.map(v => svg('g', {class: 'tick'},
      svg('line', {x1: x.pos(v), x2: x.pos(v), y1: top, y2: HEIGHT - PAD.bottom}),
      svg('text', {x: x.pos(v), y: HEIGHT - PAD.bottom + 15, 'text-anchor': 'middle'}, fmtNumber(v))))];
  const drawn = kept.map(s => {
    const xy = s.points.map(([px, py]) => [x.pos(px), y.pos(py)]);
    const mark = s.dots
      ? svg('g', {class: 'dots', fill: s.color}, xy.map(([cx, cy]) => svg('circle', {cx: cx.toFixed(1), cy: cy.toFixed(1), r: 3.2})))
      : svg('polyline', {class: 'line', stroke: s.color, 'stroke-dasharray': s.dashed ? '5 4' : null,
        points: xy.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')});
    return svg('g', {class: 'series', 'data-series': s.label, 'data-points': s.points.length}, mark);
  });
  const legend = legendRows === 0 ? [] : kept.map((s, i) =>
    svg('g', {class: 'legend', transform: `translate(${PAD.left + (i % LEGEND_COLUMNS) * 160}, ${22 + Math.floor(i / LEGEND_COLUMNS) * LEGEND_ROW})`},
      svg('rect', {width: 10, height: 3, y: 4, fill: s.color}), svg('text', {x: 14, y: 9}, s.label)));
  figure.append(svg('svg', {viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, role: 'img', 'aria-label': title},
    svg('text', {x: PAD.left, y: 16, class: 'title'}, title, logY ? ' (log scale)' : ''),
    grid,
    svg('rect', {class: 'frame', x: PAD.left, y: top, width: WIDTH - PAD.left - PAD.right, height: HEIGHT - top - PAD.bottom}),
    drawn, legend,
    svg('text', {x: (PAD.left + WIDTH - PAD.right) / 2, y: HEIGHT - 6, 'text-anchor': 'middle', class: 'axis-label'}, xLabel),
    svg('text', {x: 12, y: (top + HEIGHT - PAD.bottom) / 2, 'text-anchor': 'middle', class: 'axis-label',
      transform: `rotate(-90 12 ${(top + HEIGHT - PAD.bottom) / 2})`}, yLabel)));
  return figure;
}
