/**
 * What a schema may hold and what a model may cost. Every analysis of the core is linear (or n·log n) in
 * the schema's size, and these caps bound that size, so that checking any schema, hostile or not, takes
 * milliseconds and its answer stays small. The budgets refuse models the trainer could not hold in memory.
 * docs/schema.md ("Limits and budgets") lists them; docs/reliability.md measures them.
 */

/** Schema text (or the JSON of a schema object) longer than this is refused before it is parsed (413). */
export const MAX_SCHEMA_TEXT_LENGTH = 1024 * 1024;

/** Most layers in one schema. The 1,000-layer benchmark schema fits with room to spare. */
export const MAX_LAYERS = 2000;

/** Deepest nesting of objects and arrays (a schema needs 5: layers → layer → inputs → …). */
export const MAX_JSON_DEPTH = 32;

/** Most dimensions of a shape without the batch (`input.shape`, `targetShape`): tfjs ops go to rank 6 with it. */
export const MAX_SHAPE_RANK = 5;

/**
 * Longest layer id. Keras' generated names are under 40 characters; an id is repeated in `inputs`, `shapes`,
 * messages and the trainer's model, so a 1 MB id made every answer and the run's submission 1 MB larger.
 */
export const MAX_ID_LENGTH = 128;

/** Most ids one layer may name in `inputs`. */
export const MAX_INPUTS_PER_LAYER = 64;

/**
 * Longest path from the input to the output, in layers. Measured (docs/reliability.md): with Node's
 * default stack, tfjs 4 builds and fits a functional chain of 4,000 dense layers and overflows its stack
 * at 6,000; this keeps a margin of four for layers whose calls nest deeper.
 */
export const MAX_CHAIN_DEPTH = 1000;

/** Problems reported in full; the rest are counted (`Analysis.omitted`) and summed up in one last problem. */
export const MAX_PROBLEMS = 100;

/** Most trainable and non-trainable parameters (weights) of one model: 50 M float32 = 200 MB of weights. */
export const PARAM_BUDGET = 50_000_000;

/**
 * Most bytes of layer outputs (float32) held for one training batch: the forward activations that
 * backpropagation keeps. 1 GiB, so weights, optimizer state and gradients still fit in the trainer's heap.
 */
export const ACTIVATION_BUDGET_BYTES = 1024 * 1024 * 1024;

/** Bytes per number: tfjs trains in float32. */
export const BYTES_PER_VALUE = 4;

/** `1234567` → `1.2 M`, `50000000` → `50 M`, `1e9` → `1,000 M`: figures for budget messages. */
export function formatCount(n: number): string {
  if (n >= 1e5) {
    const m = n / 1e6;
    return `${m >= 100 ? Math.round(m).toLocaleString('en-US') : m >= 10 ? Math.round(m) : m.toFixed(1).replace(/\.0$/, '')} M`;
  }
  return Math.round(n).toLocaleString('en-US');
}

/** `4e9` → `4 GB`, `2.5e8` → `250 MB` (decimal units, as a person reads them). */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [
    [1e12, 'TB'],
    [1e9, 'GB'],
    [1e6, 'MB'],
    [1e3, 'KB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) {
      const v = bytes / size;
      return `${v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, '')} ${unit}`;
    }
  }
  return `${Math.round(bytes)} bytes`;
}
