/**
 * A `POST /api/infer` body (docs/server.md), read and checked whole: one sample (`pixels` or `inputs`, with
 * the layers named in `activations`) or many (`batch`). It runs in the validation pool's worker (validation/
 * job.ts, route `infer`), so neither the parse nor the checks of a batch of 1,000,000 numbers hold the event
 * loop, and what comes back is one Float64Array, transferred without a copy: a parsed batch cloned back as
 * arrays cost the loop 120–370 ms (docs/reliability.md). Values stay float64 until the model service makes its
 * float32 tensors, as they were when the route read the arrays itself.
 */
import { isObject } from '../../shared/isObject';
import { httpError } from '../httpError';

/** The largest float32: a value above it becomes Infinity in the tensor (1e308 answered label -1 before). */
const FLOAT32_MAX = 3.4028234663852886e38;
/** A 100×100 grid over a plane is 10,000 rows. */
export const MAX_BATCH_ROWS = 10_000;
/** 4 MB of float32 input; about 1,275 MNIST images. */
export const MAX_BATCH_VALUES = 1_000_000;

export type InferRequest =
  | {
      mode: 'sample';
      /** A run id or a catalog model id. */
      id: string;
      source: 'pixels' | 'inputs';
      values: Float64Array;
      activations: string[];
    }
  | {
      mode: 'batch';
      id: string;
      /** Every row's values, one after the other. */
      values: Float64Array;
      /** Each row's length (the model service checks them against the model's input). */
      lengths: Uint32Array;
    };

/** The buffers of a request that can move to the other thread without a copy. */
export function inferTransferables(request: InferRequest): ArrayBuffer[] {
  const buffers = [request.values.buffer as ArrayBuffer];
  if (request.mode === 'batch') buffers.push(request.lengths.buffer as ArrayBuffer);
  return buffers;
}

/** The request, or a 400 saying what to change. */
export function readInferBody(body: unknown): InferRequest {
  if (!isObject(body))
    throw httpError(400, 'send a JSON object in the request body, e.g. { "run_id": "…", "pixels": [784 numbers] }');
  const id = body.run_id ?? body.model_id;
  if (typeof id !== 'string' || id === '')
    throw httpError(
      400,
      'run_id: missing; send { "run_id": "…", "pixels": [...] } or { "model_id": "…", "inputs": [...] }',
    );
  if (body.batch !== undefined) {
    if (body.pixels !== undefined || body.inputs !== undefined || body.activations !== undefined)
      throw httpError(400, 'batch: send either "batch" (many rows) or "pixels"/"inputs" (one sample), not both');
    return { mode: 'batch', id, ...batchRows(body.batch) };
  }
  const source = body.pixels !== undefined ? 'pixels' : body.inputs !== undefined ? 'inputs' : undefined;
  if (!source)
    throw httpError(
      400,
      'send the sample as "pixels" (784 numbers for MNIST), "inputs" (numbers shaped like the model input) or "batch" (rows of inputs)',
    );
  const values: number[] = [];
  const problem =
    source === 'pixels'
      ? flattenNumbers(body[source], 0, 255, values)
      : flattenNumbers(body[source], -FLOAT32_MAX, FLOAT32_MAX, values);
  if (problem) throw httpError(400, `${source}: ${problem}`);
  return { mode: 'sample', id, source, values: Float64Array.from(values), activations: layerIds(body.activations) };
}

/** `activations`: absent, or a list of layer ids (the model service checks them against the model). */
function layerIds(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string' && v !== ''))
    throw httpError(400, 'activations: expected a list of layer ids, e.g. ["conv1", "out"]');
  return value;
}

/** `batch`: rows of finite float32 numbers, within the bounds (each row's length is the model's to check). */
function batchRows(value: unknown): { values: Float64Array; lengths: Uint32Array } {
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
  const values: number[] = [];
  const lengths = new Uint32Array(value.length);
  for (const [i, row] of (value as unknown[]).entries()) {
    if (!Array.isArray(row) || row.some(Array.isArray))
      throw httpError(400, `batch[${i}]: expected a flat list of numbers (the input vector)`);
    const before = values.length;
    const problem = flattenNumbers(row, -FLOAT32_MAX, FLOAT32_MAX, values);
    if (problem) throw httpError(400, `batch[${i}]: ${problem}`);
    lengths[i] = values.length - before;
  }
  return { values: Float64Array.from(values), lengths };
}

/** Appends nested arrays of numbers within [min, max] to `out`; or returns a message saying what is wrong. */
function flattenNumbers(value: unknown, min: number, max: number, out: number[]): string | undefined {
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
  return visit(value, 0);
}
