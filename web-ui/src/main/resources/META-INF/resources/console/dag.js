// A lineage graph as an SVG DAG: artifacts and stage executions as boxes, one column per depth, edges as curves.
import {fmtBytes, shortDigest} from './console.js';

const NODE_W = 184, NODE_H = 46, COL_GAP = 44, ROW_GAP = 14, PAD = 14;
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, v);
  children.forEach(c => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
  return node;
}

/**
 * Draws {@code graph} (GET /api/artifacts/{d}/lineage): sources on the left, each node one column right of its
 * furthest predecessor, so that upstream lineage ends at {@code root} and downstream lineage starts from it.
 */
export function lineageSvg(graph, root) {
  const nodes = new Map();
  for (const a of graph.artifacts) {
    nodes.set(`a:${a.digest}`, {kind: 'artifact', href: `/artifact.html?d=${a.digest}`, title: a.kind,
      sub: `${shortDigest(a.digest)} · ${fmtBytes(a.sizeBytes)}`, data: {'data-kind': a.kind}, root: a.digest === root, tip: `sha256:${a.digest}`});
  }
  for (const s of graph.stages) {
    const reused = s.reusedFrom !== null && s.reusedFrom !== undefined;
    nodes.set(`s:${s.id}`, {kind: 'stage', href: `/run.html?id=${encodeURIComponent(s.runId)}`, title: `${s.stage} #${s.id}`,
      sub: reused ? `REUSED row #${s.reusedFrom}` : `${s.runId}`, data: {'data-stage': s.stage}, reused, tip: `${s.stage} of ${s.runId}: ${s.status}`});
  }
  const edges = graph.edges.map(e => e.direction === 'consumed'
    ? {from: `a:${e.artifact}`, to: `s:${e.stageId}`, name: e.name, reused: e.reused}
    : {from: `s:${e.stageId}`, to: `a:${e.artifact}`, name: e.name, reused: e.reused})
    .filter(e => nodes.has(e.from) && nodes.has(e.to));

  // Depth = longest path from a source (the graph is acyclic: lineage only points back in time).
  const preds = new Map([...nodes.keys()].map(k => [k, []]));
  edges.forEach(e => preds.get(e.to).push(e.from));
  const depth = new Map();
  const depthOf = (key, seen = new Set()) => {
    if (depth.has(key)) return depth.get(key);
    if (seen.has(key)) return 0;
    seen.add(key);
    const d = preds.get(key).reduce((m, p) => Math.max(m, depthOf(p, seen) + 1), 0);
    depth.set(key, d);
    return d;
  };
  const columns = [];
  for (const key of nodes.keys()) (columns[depthOf(key)] ||= []).push(key);
  columns.forEach((col, x) => col.forEach((key, y) => Object.assign(nodes.get(key), {
    x: PAD + x * (NODE_W + COL_GAP), y: PAD + y * (NODE_H + ROW_GAP)})));
  const width = PAD * 2 + columns.length * NODE_W + (columns.length - 1) * COL_GAP;
  const height = PAD * 2 + Math.max(...columns.map(c => c.length)) * (NODE_H + ROW_GAP) - ROW_GAP;

  const root_ = svg('svg', {width, height, viewBox: `0 0 ${width} ${height}`, role: 'img'});
  for (const e of edges) {
    const a = nodes.get(e.from), b = nodes.get(e.to);
    const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2, mid = (x1 + x2) / 2;
    root_.append(svg('path', {class: `edge${e.reused ? ' reused' : ''}`, d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`},
      svg('title', {}, e.name)));
  }
  for (const [key, n] of nodes) {
    const classes = ['node', n.kind, n.root ? 'root' : '', n.reused ? 'reused' : ''].filter(Boolean).join(' ');
    root_.append(svg('a', {href: n.href, class: classes, 'data-node': key, ...n.data},
      svg('title', {}, n.tip),
      svg('rect', {x: n.x, y: n.y, width: NODE_W, height: NODE_H, rx: n.kind === 'stage' ? 14 : 5}),
      svg('text', {x: n.x + 10, y: n.y + 19, 'font-weight': 600}, clip(n.title, 24)),
      svg('text', {x: n.x + 10, y: n.y + 36, class: 'sub'}, clip(n.sub, 27))));
  }
  return root_;
}

function clip(text, max) {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}
