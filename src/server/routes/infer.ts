/**
 * `POST /api/infer` (docs/server.md): one sample (`pixels` or `inputs`), optionally with the outputs of the
 * layers named in `activations`; or many samples at once (`batch`, for the decision boundary). The model is
 * a run id or a catalog model id. Values are checked here, sizes against the model by the model service.
 */
import { httpError } from '../httpError';
import type { ApiRouter, RouteDeps } from './context';
import { objectBody } from './context';

/** The largest float32: a value above it becomes Infinity in the tensor (1e308 answered label -1 before). */
const FLOAT32_MAX = 3.4028234663852886e38;
/** A 100×100 grid over a plane is 10,000 rows. */
export const MAX_BATCH_ROWS = 10_000;
/** 4 MB of float32 input; about 1,275 MNIST images. */
export const MAX_BATCH_VALUES = 1_000_000;

export function inferRoutes(router: ApiRouter, { models }: Pick<RouteDeps, 'models'>): void {
  router.post('/api/infer', async (ctx) => {
    const body = objectBody(ctx, '{ "run_id": "…", "pixels": [784 numbers] }');
    const id = body.run_id ?? body.model_id;
    if (typeof id !== 'string' || id === '')
      throw httpError(
        400,
        'run_id: missing; send { "run_id": "…", "pixels": [...] } or { "model_id": "…", "inputs": [...] }',
      );
    if (body.batch !== undefined) {
      if (body.pixels !== undefined || body.inputs !== undefined || body.activations !== undefined)
        throw httpError(400, 'batch: send either "batch" (many rows) or "pixels"/"inputs" (one sample), not both');
      ctx.body = await models.inferBatch(id, await batchRows(body.batch));
      return;
    }
    const source = body.pixels !== undefined ? 'pixels' : body.inputs !== undefined ? 'inputs' : undefined;
    if (!source)
      throw httpError(
        400,
        'send the sample as "pixels" (784 numbers for MNIST), "inputs" (numbers shaped like the model input) or "batch" (rows of inputs)',
      );
    const values =
      source === 'pixels'
        ? flattenNumbers(body[source], 0, 255)
        : flattenNumbers(body[source], -FLOAT32_MAX, FLOAT32_MAX);
    if (typeof values === 'string') throw httpError(400, `${source}: ${values}`);
    ctx.body = await models.infer(id, values, source, layerIds(body.activations));
  });
}

/** `activations`: absent, or a list of layer ids (the model service checks them against the model). */
function layerIds(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string' && v !== ''))
    throw httpError(400, 'activations: expected a list of layer ids, e.g. ["conv1", "out"]');
  return value;
}

/** Values checked between two turns of the event loop (a few ms): a maximal batch takes ~150 ms to check. */
const CHECK_SLICE_VALUES = 32_768;

/**
 * `batch`: rows of finite float32 numbers, within the bounds (each row's length is the model's to check).
 * Checked in slices with a turn of the event loop between them, so health waits for no more than a slice.
 */
async function batchRows(value: unknown): Promise<number[][]> {
  if (!Array.isArray(value) || value.length === 0)
    throw httpError(400, 'batch: expected a non-empty list of rows, each a flat list of input numbers');
  if (value.length > MAX_BATCH_ROWS)
    throw httpError(
      400,
      `batch: ${value.length.toLocaleString('en-US')} rows, more than the ${MAX_BATCH_ROWS.toLocaleString('en-US')} one request may send; split it`,
    );
  const total = value.reduce((sum: number, row: unknown) => sum + (Array.isArray(row) ? row.length : 0), 0);
  if (total > MAX_BATCH_VALUES)
    throw httpError(
      400,
      `batch: ${total.toLocaleString('en-US')} values, more than the ${MAX_BATCH_VALUES.toLocaleString('en-US')} one request may send; send fewer rows`,
    );
  const rows: number[][] = [];
  let checked = 0;
  for (const [i, row] of (value as unknown[]).entries()) {
    if (!Array.isArray(row) || row.some(Array.isArray))
      throw httpError(400, `batch[${i}]: expected a flat list of numbers (the input vector)`);
    const values = flattenNumbers(row, -FLOAT32_MAX, FLOAT32_MAX);
    if (typeof values === 'string') throw httpError(400, `batch[${i}]: ${values}`);
    rows.push(values);
    checked += values.length;
    if (checked >= CHECK_SLICE_VALUES) {
      checked = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return rows;
}

/** Nested arrays of numbers within [min, max] → one flat list; or a message saying what is wrong. */
function flattenNumbers(value: unknown, min: number, max: number): number[] | string {
  const out: number[] = [];
  const visit = (v: unknown, depth: number): string | undefined => {
    if (depth > 8) return 'nested too deeply';
    if (Array.isArray(v)) {
      for (const item of v) {
        const problem = visit(item, depth + 1);
        if (problem) return problem;
      }
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isFinite(v))
      return `expected finite numbers, found ${(JSON.stringify(v) as string | undefined)?.slice(0, 40)}`;
    if (v < min || v > max)
      return `${v} is out of range; send values ${max === 255 ? 'from 0 to 255 (or 0 to 1)' : `within ±${max.toExponential(2)} (float32)`}`;
    out.push(v);
    return undefined;
  };
  if (!Array.isArray(value)) return 'expected an array of numbers';
  return visit(value, 0) ?? out;
}
