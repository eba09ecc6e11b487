/**
 * The graph the canvas draws, derived from a document snapshot: one node per layer plus the model input,
 * one edge per source, problems attached to the node or edge they are about, and positions from the
 * document's `layout` or, where it has none, from dagre's layered layout. Pure (no DOM), so it is tested
 * in Node and runs in well under a frame for 200 layers.
 */
// dagre ships ESM types only; the root tsconfig (CommonJS, for the Node tests that import this file) flags that,
// while the bundle and tsx load its CommonJS build. The types still apply.
// @ts-ignore TS1479
import dagre from '@dagrejs/dagre';
import type { DocumentSnapshot, LayerView, ProblemView } from '../../src/shared/webviewProtocol';

export const NODE_WIDTH = 212;
export const NODE_HEIGHT = 64;
export const INPUT_NODE_ID = 'input';
const RANK_GAP = 36;
const NODE_GAP = 28;

export interface Point {
  x: number;
  y: number;
}

export interface GraphNode {
  id: string;
  kind: 'input' | 'layer';
  layer: LayerView | null;
  /** Top-left corner in graph coordinates. */
  x: number;
  y: number;
  isOutput: boolean;
  problems: ProblemView[];
  /** Where the position came from: the document's `layout`, or computed. */
  placed: 'layout' | 'auto';
}

export interface GraphEdge {
  from: string;
  to: string;
  problems: ProblemView[];
}

export interface GraphModel {
  nodes: GraphNode[];
  edges: GraphEdge[];
  byId: Map<string, GraphNode>;
  /** True when some layer had no saved position (the first move then saves them all). */
  autoPlaced: boolean;
}

export function buildGraphModel(snapshot: DocumentSnapshot): GraphModel {
  const layout = snapshot.layout ?? {};
  const nodes: GraphNode[] = [
    { id: INPUT_NODE_ID, kind: 'input', layer: null, x: 0, y: 0, isOutput: false, problems: [], placed: 'auto' },
  ];
  const last = snapshot.layers.length - 1;
  for (const layer of snapshot.layers) {
    const saved = layout[layer.id];
    const ok = saved && Number.isFinite(saved.x) && Number.isFinite(saved.y);
    nodes.push({
      id: layer.id,
      kind: 'layer',
      layer,
      x: ok ? saved.x : 0,
      y: ok ? saved.y : 0,
      isOutput: layer.index === last,
      problems: [],
      placed: ok ? 'layout' : 'auto',
    });
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const edges: GraphEdge[] = [];
  const edgeByKey = new Map<string, GraphEdge>();
  for (const layer of snapshot.layers) {
    for (const from of layer.sources) {
      if (!byId.has(from)) continue; // an unknown id: the problem shows on the node
      const edge: GraphEdge = { from, to: layer.id, problems: [] };
      edges.push(edge);
      edgeByKey.set(`${from}\u0000${layer.id}`, edge);
    }
  }
  for (const problem of snapshot.problems) {
    const edge = problem.edge && edgeByKey.get(`${problem.edge.from}\u0000${problem.edge.to}`);
    if (edge) edge.problems.push(problem);
    if (problem.layerId) byId.get(problem.layerId)?.problems.push(problem);
    else if (problem.path.startsWith('input')) byId.get(INPUT_NODE_ID)!.problems.push(problem);
  }
  const autoPlaced = nodes.some((n) => n.kind === 'layer' && n.placed === 'auto');
  placeNodes(nodes, edges, byId, autoPlaced && Object.keys(layout).length === 0);
  return { nodes, edges, byId, autoPlaced };
}

/**
 * Without any saved layout every node goes where dagre puts it. With a partial layout, saved nodes stay and
 * each new one goes below its first placed source (or below everything), so adding a layer never moves others.
 */
function placeNodes(nodes: GraphNode[], edges: GraphEdge[], byId: Map<string, GraphNode>, all: boolean): void {
  if (all) {
    const positions = autoLayout(
      nodes.map((n) => n.id),
      edges,
    );
    for (const n of nodes) {
      const p = positions.get(n.id)!;
      n.x = p.x;
      n.y = p.y;
    }
    return;
  }
  const sourcesOf = new Map<string, string[]>();
  for (const e of edges) sourcesOf.set(e.to, [...(sourcesOf.get(e.to) ?? []), e.from]);
  const occupied = nodes.filter((n) => n.placed === 'layout');
  const bottom = () => occupied.reduce((y, n) => Math.max(y, n.y + NODE_HEIGHT + RANK_GAP), 0);
  for (const n of nodes) {
    if (n.placed === 'layout' || n.kind === 'input') continue;
    const source = (sourcesOf.get(n.id) ?? [])
      .map((id) => byId.get(id))
      .find((s) => s && (s.placed === 'layout' || occupied.includes(s)));
    let x = source ? source.x : (occupied[0]?.x ?? 0);
    const y = source ? source.y + NODE_HEIGHT + RANK_GAP : bottom();
    while (occupied.some((o) => Math.abs(o.x - x) < NODE_WIDTH && Math.abs(o.y - y) < NODE_HEIGHT))
      x += NODE_WIDTH + NODE_GAP;
    n.x = x;
    n.y = y;
    occupied.push(n);
  }
  // The model input sits above its first consumer.
  const input = byId.get(INPUT_NODE_ID)!;
  const consumers = edges.filter((e) => e.from === INPUT_NODE_ID).map((e) => byId.get(e.to)!);
  const top = occupied.reduce((y, n) => Math.min(y, n.y), Infinity);
  input.x = consumers[0]?.x ?? occupied[0]?.x ?? 0;
  input.y = (Number.isFinite(top) ? top : 0) - NODE_HEIGHT - RANK_GAP;
}

/** dagre's top-to-bottom layered layout; returns top-left corners. */
export function autoLayout(ids: readonly string[], edges: readonly { from: string; to: string }[]): Map<string, Point> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', ranksep: RANK_GAP, nodesep: NODE_GAP, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of ids) g.setNode(id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const out = new Map<string, Point>();
  for (const id of ids) {
    const n = g.node(id) as { x: number; y: number };
    out.set(id, { x: Math.round(n.x - NODE_WIDTH / 2), y: Math.round(n.y - NODE_HEIGHT / 2) });
  }
  return out;
}

/** Positions of every layer node, for saving to `layout` (the input node has no entry there). */
export function layerPositions(model: GraphModel): Record<string, Point> {
  const out: Record<string, Point> = {};
  for (const n of model.nodes) if (n.kind === 'layer') out[n.id] = { x: Math.round(n.x), y: Math.round(n.y) };
  return out;
}

export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function graphBounds(nodes: readonly GraphNode[]): Bounds {
  if (nodes.length === 0) return { x: 0, y: 0, width: NODE_WIDTH, height: NODE_HEIGHT };
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (const n of nodes) {
    x0 = Math.min(x0, n.x);
    y0 = Math.min(y0, n.y);
    x1 = Math.max(x1, n.x + NODE_WIDTH);
    y1 = Math.max(y1, n.y + NODE_HEIGHT);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** The edge's path from the bottom port of `from` to the top port of `to` (a vertical cubic curve). */
export function edgePath(from: Point, to: Point): string {
  const x1 = from.x + NODE_WIDTH / 2,
    y1 = from.y + NODE_HEIGHT;
  const x2 = to.x + NODE_WIDTH / 2,
    y2 = to.y;
  const bend = Math.max(24, Math.abs(y2 - y1) / 2);
  return `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`;
}

export { formatShape } from '../../src/shared/schema/shapes';

/** `1,199,882`; `1.2M` above a million when `short`. */
export function formatCount(n: number, short = false): string {
  if (short && n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (short && n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toLocaleString('en-US');
}

/** The one line of key parameters a node shows, e.g. `32 × 3×3 relu`. */
export function keyParams(layer: LayerView): string {
  const c = layer.config;
  const pair = (v: unknown) => (Array.isArray(v) ? v.join('×') : v === undefined ? '' : `${String(v)}×${String(v)}`);
  const act = typeof c.activation === 'string' && c.activation !== 'linear' ? ` ${c.activation}` : '';
  switch (layer.type) {
    case 'dense':
      return `${String(c.units ?? '?')} units${act}`;
    case 'conv2d':
    case 'separableConv2d':
      return `${String(c.filters ?? '?')} × ${pair(c.kernelSize)}${c.strides && c.strides !== 1 ? ` /${String(c.strides)}` : ''}${act}`;
    case 'depthwiseConv2d':
      return `${pair(c.kernelSize)} ×${String(c.depthMultiplier ?? 1)}${act}`;
    case 'maxPooling2d':
    case 'averagePooling2d':
      return `pool ${pair(c.poolSize ?? 2)}`;
    case 'dropout':
      return `rate ${String(c.rate ?? '?')}`;
    case 'activation':
      return String(c.activation ?? '?');
    case 'reshape':
      return `→ ${Array.isArray(c.targetShape) ? `[${c.targetShape.join(', ')}]` : '?'}`;
    case 'concatenate':
      return `axis ${String(c.axis ?? -1)}`;
    default:
      return '';
  }
}
