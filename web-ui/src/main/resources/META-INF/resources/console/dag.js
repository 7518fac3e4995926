// Graphs laid out by dagre (its WebJar, loaded by the page as the global `dagre`) and drawn as SVG, left to right,
// with arrowheads: an artifact's lineage and a run's stages. The wheel zooms about the pointer, dragging pans, a
// double click shows the whole graph again; at first the whole graph is shown, scaled down to the page's width.
import {fmtBytes, shortDigest} from './console.js';

const SVG = 'http://www.w3.org/2000/svg';
const PAD = 16;
/** How far in the wheel zooms: a tenth of the graph's width across the view. */
const MAX_ZOOM = 10;
let graphs = 0;   // numbers each graph's arrowhead marker: two graphs share a page

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, v);
  children.flat().forEach(c => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
  return node;
}

/**
 * {@code nodes} ([{id, width, height, draw(x, y)}], drawing an SVG element with its top left at x, y) and
 * {@code edges} ([{from, to, label?, className?}]) laid out by dagre left to right and drawn in one SVG that pans
 * and zooms (see panAndZoom for {@code minScale} and {@code focus}, a node's id). Edge labels are placed by dagre
 * too, so no label sits on a node. Returns the SVG in a div, with a line saying how to move it.
 */
export function graphView(nodes, edges, {nodeGap = 18, rankGap = 60, minScale = 0, focus = null} = {}) {
  const g = new dagre.graphlib.Graph({multigraph: true});
  g.setGraph({rankdir: 'LR', nodesep: nodeGap, ranksep: rankGap, edgesep: 12, marginx: PAD, marginy: PAD});
  nodes.forEach(n => g.setNode(n.id, {width: n.width, height: n.height}));
  edges.forEach((e, i) => g.setEdge(e.from, e.to,
    e.label ? {label: e.label, width: e.label.length * 6.4 + 8, height: 14, labelpos: 'c'} : {}, String(i)));
  dagre.layout(g);
  const {width, height} = g.graph();
  const marker = `arrow-${++graphs}`;
  const root = svg('svg', {width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'graph-canvas',
    'data-width': width, 'data-height': height},
    svg('defs', {}, svg('marker', {id: marker, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
      orient: 'auto-start-reverse'}, svg('path', {d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead'}))));
  edges.forEach((e, i) => {
    const laid = g.edge({v: e.from, w: e.to, name: String(i)});
    root.append(svg('g', {class: `edge${e.className ? ' ' + e.className : ''}`, 'data-from': e.from, 'data-to': e.to},
      svg('path', {d: curve(laid.points), 'marker-end': `url(#${marker})`}, e.label ? svg('title', {}, e.label) : null),
      e.label ? svg('text', {x: laid.x, y: laid.y + 4, 'text-anchor': 'middle', class: 'edge-label'}, e.label) : null));
  });
  nodes.forEach(n => {
    const laid = g.node(n.id);
    const drawn = n.draw(laid.x - n.width / 2, laid.y - n.height / 2);
    drawn.dataset.x = String(laid.x - n.width / 2);
    drawn.dataset.y = String(laid.y - n.height / 2);
    drawn.dataset.w = String(n.width);
    drawn.dataset.h = String(n.height);
    root.append(drawn);
  });
  panAndZoom(root, width, height, minScale, focus === null ? width / 2 : g.node(focus).x);
  const hint = document.createElement('div');
  hint.className = 'graph-hint';
  hint.textContent = 'wheel: zoom · drag: pan · double click: back to the first view';
  const view = document.createElement('div');
  view.className = 'graph';
  view.append(root, hint);
  return view;
}

/** An HTML {@code element} as a graph node: {@code width} by {@code height} with its top left at x, y. */
export function htmlNode(x, y, width, height, element) {
  const host = svg('foreignObject', {x, y, width, height, class: 'html-node'});
  host.append(element);
  return host;
}

/** A smooth path through dagre's edge points: straight ends, quadratic bends between the midpoints. */
function curve(points) {
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const mid = {x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2};
    d += ` Q${points[i].x},${points[i].y} ${i === points.length - 2 ? points[i + 1].x : mid.x},${i === points.length - 2 ? points[i + 1].y : mid.y}`;
  }
  if (points.length === 2) d += ` L${points[1].x},${points[1].y}`;
  return d;
}

/**
 * Pans and zooms {@code root} by its viewBox over the graph ({@code width} by {@code height}). At first, and again
 * on a double click, the whole graph fits the page's width, unless that would draw it smaller than
 * {@code minScale}: then it is drawn at that scale around {@code focus} (the node's centre x) and panned to see the
 * rest. A drag that moves more than a few pixels pans and swallows the click that ends it, so links still work.
 */
function panAndZoom(root, width, height, minScale, focus) {
  let shown = {w: 0, h: 0};   // the element's size on the page, in pixels
  let view = null;
  const show = next => {
    const aspect = shown.h / shown.w;
    const w = Math.min(Math.max(width, height / aspect), Math.max(width / MAX_ZOOM, next.w));
    const h = w * aspect;
    const within = (v, size, total) => size >= total ? (total - size) / 2 : Math.min(Math.max(v, 0), total - size);
    view = {w, h, x: within(next.x, w, width), y: within(next.y, h, height)};
    root.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
  };
  const home = () => {
    const scale = Math.max(minScale, Math.min(1, shown.w / width));
    show({w: shown.w / scale, x: focus - shown.w / scale / 2, y: 0});
  };
  const resized = new ResizeObserver(() => {
    if (!root.isConnected) { resized.disconnect(); return; }   // a redrawn page dropped this graph
    const w = root.parentElement.clientWidth;
    if (w === 0 || w === shown.w) return;
    const scale = Math.max(minScale, Math.min(1, w / width));
    shown = {w, h: height * scale};
    root.style.height = `${shown.h}px`;
    home();
  });
  resized.observe(root);
  root.addEventListener('wheel', event => {
    const before = view;
    const box = root.getBoundingClientRect();
    show({w: before.w * Math.exp(event.deltaY * 0.0015), x: before.x, y: before.y});
    if (view.w === before.w) return;   // fully in or out: the page scrolls on
    event.preventDefault();
    // The point under the pointer stays there.
    const fx = (event.clientX - box.left) / box.width;
    const fy = (event.clientY - box.top) / box.height;
    show({w: view.w, x: before.x + fx * (before.w - view.w), y: before.y + fy * (before.h - view.h)});
  }, {passive: false});
  let drag = null;
  root.addEventListener('pointerdown', event => {
    if (event.button === 0) drag = {x: event.clientX, y: event.clientY, view, moved: false};
  });
  root.addEventListener('pointermove', event => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) root.setPointerCapture(event.pointerId);
    drag.moved = true;
    const scale = drag.view.w / shown.w;
    show({w: drag.view.w, x: drag.view.x - dx * scale, y: drag.view.y - dy * scale});
  });
  root.addEventListener('pointerup', () => {
    if (drag && drag.moved) root.addEventListener('click', e => { e.preventDefault(); e.stopPropagation(); }, {capture: true, once: true});
    drag = null;
  });
  root.addEventListener('dblclick', event => { event.preventDefault(); home(); });
}

/** A lineage is never drawn smaller than this at first, so its labels stay readable: it pans instead. */
const LINEAGE_MIN_SCALE = 0.75;
const NODE_W = 208;
const NODE_H = 58;

/**
 * Draws {@code graph} (GET /api/artifacts/{d}/lineage) around {@code root}: artifacts as boxes (their kind, their
 * file or the name their producer gave them, digest and size), stage executions as rounded boxes (stage, run,
 * status), each edge labelled with the name the stage gave that input or output.
 */
export function lineageGraph(graph, root) {
  const names = new Map(graph.edges.filter(e => e.direction === 'produced').map(e => [e.artifact, e.name]));
  const nodes = [
    ...graph.artifacts.map(a => ({id: `a:${a.digest}`, width: NODE_W, height: NODE_H, draw: (x, y) => node(x, y,
      {kind: 'artifact', href: `/artifact.html?d=${a.digest}`, key: `a:${a.digest}`, data: {'data-kind': a.kind},
        classes: a.digest === root ? ['root'] : [], tip: `sha256:${a.digest}`,
        lines: [a.kind, fileName(a) || (names.get(a.digest) !== a.kind && names.get(a.digest)) || '', `${shortDigest(a.digest)} · ${fmtBytes(a.sizeBytes)}`]})})),
    ...graph.stages.map(s => {
      const reused = s.reusedFrom !== null && s.reusedFrom !== undefined;
      return {id: `s:${s.id}`, width: NODE_W, height: NODE_H, draw: (x, y) => node(x, y,
        {kind: 'stage', href: `/run.html?id=${encodeURIComponent(s.runId)}`, key: `s:${s.id}`, data: {'data-stage': s.stage},
          classes: reused ? ['reused'] : [], tip: `${s.stage} of ${s.runId}: ${s.status}`,
          lines: [`${s.stage} #${s.id}`, s.runId, reused ? `REUSED row #${s.reusedFrom}` : s.status]})};
    })];
  const known = new Set(nodes.map(n => n.id));
  const edges = graph.edges.map(e => ({...(e.direction === 'consumed'
    ? {from: `a:${e.artifact}`, to: `s:${e.stageId}`} : {from: `s:${e.stageId}`, to: `a:${e.artifact}`}),
    label: e.name, className: e.reused ? 'reused' : null}))
    .filter(e => known.has(e.from) && known.has(e.to));
  return graphView(nodes, edges, {minScale: LINEAGE_MIN_SCALE, focus: `a:${root}`});
}

/** A raw dump's file name, from the path its metadata records. */
function fileName(artifact) {
  try {
    const path = JSON.parse(artifact.metadata || '{}').path;
    return typeof path === 'string' ? path.slice(path.lastIndexOf('/') + 1) : null;
  } catch (e) {
    return null;
  }
}

function node(x, y, {kind, href, key, data, classes, tip, lines}) {
  return svg('a', {href, class: ['node', kind, ...classes].join(' '), 'data-node': key, ...data},
    svg('title', {}, tip),
    svg('rect', {x, y, width: NODE_W, height: NODE_H, rx: kind === 'stage' ? 14 : 5}),
    lines.map((line, i) => svg('text', {x: x + 10, y: y + 17 + i * 15, class: i === 0 ? 'head' : 'sub'}, clip(line, i === 0 ? 28 : 32))));
}

function clip(text, max) {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}
