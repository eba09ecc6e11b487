/**
 * The layer graph: which layers feed which (a layer without `inputs` consumes the previous layer, the
 * first one the model input), a topological order, the cycles, and which layers feed the output (the last
 * layer), and each layer's depth. Everything is linear in layers + edges, so 1,000-layer schemas stay fast.
 */
import { MODEL_INPUT_ID, type StitchSchema } from './types';

/** The model input in `sources`. */
export const INPUT_INDEX = -1;

export interface GraphLayer {
  id: string | undefined;
  /** The ids named in `inputs`, or undefined when the layer consumes the previous one. */
  inputs: readonly string[] | undefined;
}

export interface Graph {
  /** Per layer, the indices of its sources (INPUT_INDEX for the model input); unknown ids are left out. */
  sources: number[][];
  /** Layers in an order where every source comes first; layers in or behind a cycle are left out. */
  order: number[];
  /** Each cycle as layer indices, each layer consuming the next and the last consuming the first. */
  cycles: number[][];
  /** Whether the layer's output reaches the model output (the last layer). */
  feedsOutput: boolean[];
  /** Layer index by id (the first layer with that id). */
  indexById: Map<string, number>;
  /** Per layer, the layers on the longest path from the input to it, itself included (0 if not placed). */
  depth: number[];
}

export function buildGraph(layers: readonly GraphLayer[]): Graph {
  const n = layers.length;
  const indexById = new Map<string, number>();
  layers.forEach((l, i) => {
    if (l.id !== undefined && !indexById.has(l.id)) indexById.set(l.id, i);
  });
  const sources = layers.map((l, i) => {
    if (l.inputs === undefined) return [i === 0 ? INPUT_INDEX : i - 1];
    const out: number[] = [];
    for (const id of l.inputs) {
      if (id === MODEL_INPUT_ID) out.push(INPUT_INDEX);
      else {
        const source = indexById.get(id);
        if (source !== undefined) out.push(source);
      }
    }
    return out;
  });

  // Kahn's algorithm: consumers per layer, then peel off layers whose sources are all placed.
  const consumers: number[][] = Array.from({ length: n }, () => []);
  const pending = new Array<number>(n).fill(0);
  sources.forEach((srcs, i) => {
    for (const s of srcs) {
      if (s === INPUT_INDEX) continue;
      consumers[s].push(i);
      pending[i]++;
    }
  });
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (pending[i] === 0) order.push(i);
  // The iterator reads `order`'s length at every step, so it visits the layers pushed during the loop.
  for (const placed of order) {
    for (const c of consumers[placed]) if (--pending[c] === 0) order.push(c);
  }

  const cycles = order.length < n ? findCycles(sources, pending) : [];

  const depth = new Array<number>(n).fill(0);
  for (const i of order) {
    let d = 0;
    for (const s of sources[i]) if (s !== INPUT_INDEX && depth[s] > d) d = depth[s];
    depth[i] = d + 1;
  }

  const feedsOutput = new Array<boolean>(n).fill(false);
  if (n > 0) {
    const stack = [n - 1];
    feedsOutput[n - 1] = true;
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      for (const s of sources[top]) {
        if (s !== INPUT_INDEX && !feedsOutput[s]) {
          feedsOutput[s] = true;
          stack.push(s);
        }
      }
    }
  }
  return { sources, order, cycles, feedsOutput, indexById, depth };
}

/** Cycles reported in full; more are not looked for (each costs its length to copy and to describe). */
export const MAX_CYCLES = 20;

/**
 * Cycles among the layers Kahn's algorithm could not place (`pending > 0`), by depth-first search: one per
 * back edge, at most MAX_CYCLES (each layer is visited once, so the search stays linear).
 */
function findCycles(sources: readonly number[][], pending: readonly number[]): number[][] {
  const WHITE = 0,
    GREY = 1,
    BLACK = 2;
  const color = new Array<number>(sources.length).fill(WHITE);
  const cycles: number[][] = [];
  // Where each grey layer sits on `path`, so a cycle is cut out without searching the path.
  const position = new Array<number>(sources.length).fill(-1);
  for (let start = 0; start < sources.length && cycles.length < MAX_CYCLES; start++) {
    if (pending[start] === 0 || color[start] !== WHITE) continue;
    // Explicit stack of [node, next source position] so deep graphs cannot overflow the call stack.
    const path: number[] = [start];
    const next: number[] = [0];
    color[start] = GREY;
    position[start] = 0;
    while (path.length > 0) {
      const node = path[path.length - 1];
      const srcs = sources[node];
      const k = next[next.length - 1]++;
      if (k >= srcs.length) {
        color[node] = BLACK;
        position[node] = -1;
        path.pop();
        next.pop();
        continue;
      }
      const s = srcs[k];
      if (s === INPUT_INDEX || pending[s] === 0) continue;
      if (color[s] === GREY) {
        if (cycles.length < MAX_CYCLES) cycles.push(path.slice(position[s]));
      } else if (color[s] === WHITE) {
        color[s] = GREY;
        position[s] = path.length;
        path.push(s);
        next.push(0);
      }
    }
  }
  return cycles;
}

/**
 * The source ids of every layer of a valid schema (`"input"` for the model input) and the order to build
 * them in: what a Functional-model builder needs.
 */
export function schemaGraph(schema: StitchSchema): { sources: string[][]; order: number[] } {
  const graph = buildGraph(schema.layers.map((l) => ({ id: l.id, inputs: l.inputs })));
  const sources = graph.sources.map((srcs) =>
    srcs.map((s) => (s === INPUT_INDEX ? MODEL_INPUT_ID : schema.layers[s].id)),
  );
  return { sources, order: graph.order };
}
