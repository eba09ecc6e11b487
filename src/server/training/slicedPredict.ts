/**
 * Prediction a slice of rows at a time: `POST /api/infer` batches may hold 10,000 rows (about a second of a CNN
 * in one `predict`, and all its activations in memory at once). The inference thread (src/server/runs/
 * inference.ts) runs it; the rows go through the model in slices sized to take a few milliseconds each, with a
 * turn of the thread's event loop between slices, so a single sample asked for meanwhile waits for one slice,
 * not the whole batch. Each row's outputs depend only on that row, so the numbers are those of one predict
 * (test/server/reliability/inferLoad.test.ts compares them).
 */
import type { LayersModel, Tensor } from '@tensorflow/tfjs';

/** The longest a slice should take, in ms. */
export const SLICE_MS = 5;
/** Rows per slice at most: predict's own batch size, so a fast model needs no more slices than before. */
const MAX_SLICE_ROWS = 512;

/** Rows made into a tensor one slice at a time: `slice(offset, n)` is rows offset..offset+n-1. */
export interface SlicedInput {
  rows: number;
  slice(offset: number, n: number): Tensor;
}

/** The outputs of `model` for each row of `input` ([n, ...input shape]), flattened per row. */
export async function slicedPredict(
  tf: typeof import('@tensorflow/tfjs'),
  model: LayersModel,
  input: Tensor | SlicedInput,
): Promise<number[][]> {
  const source: SlicedInput =
    'slice' in input && 'rows' in input && typeof input.rows === 'number'
      ? input
      : { rows: (input as Tensor).shape[0] ?? 0, slice: (offset, n) => (input as Tensor).slice(offset, n) };
  const out: number[][] = [];
  // The first slice is one row: it measures the model, so the next slices fit SLICE_MS.
  let size = 1;
  for (let offset = 0; offset < source.rows;) {
    const n = Math.min(size, source.rows - offset);
    const started = performance.now();
    const flat = tf.tidy(() => {
      const prediction = model.predict(source.slice(offset, n));
      const tensor = Array.isArray(prediction) ? prediction[0] : prediction;
      return tensor.reshape([n, -1]);
    });
    // Read asynchronously: webgpu has no synchronous read-back under Node (it needs an OffscreenCanvas).
    const part = (await flat.array()) as number[][];
    flat.dispose();
    for (const row of part) out.push(row);
    offset += n;
    const perRow = Math.max(performance.now() - started, 0.01) / n;
    size = Math.max(1, Math.min(MAX_SLICE_ROWS, Math.floor(SLICE_MS / perRow)));
    if (offset < source.rows) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}
