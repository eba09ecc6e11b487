/**
 * Tile on wasm as block copies. Batch normalization's gradient tiles its per-channel terms over the whole input
 * (`[1, 1, 1, 32]` → `[64, 28, 28, 32]`), and the backend's Tile computes every output element's source index
 * apart: 89 ms of a 197 ms training step of examples/fashion-cnn (batch 64). Here each axis, innermost first, is
 * repeated by copying the block it has built so far (`copyWithin`, doubling), so Tile costs what writing its
 * output costs. The same values in the same places; strings go to the backend's kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;

/** Copies `out[at, at + size)` to follow itself until it fills `count` copies, doubling what each copy moves. */
function repeatBlock(out: tf.TypedArray, at: number, size: number, count: number): void {
  let filled = size;
  const total = size * count;
  while (filled < total) {
    const n = Math.min(filled, total - filled);
    out.copyWithin(at + filled, at, at + n);
    filled += n;
  }
}

/**
 * out [s₀·p₀, …] from x [s₀, …] and reps p: first every input row (the last axis) at its place in the output,
 * repeated along that axis; then, axis by axis outward, each block (the axis's s entries, contiguous by then)
 * repeated p times.
 */
export function tileInto(out: tf.TypedArray, x: tf.TypedArray, shape: number[], reps: number[]): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0];
    return;
  }
  const outShape = shape.map((s, i) => s * reps[i]);
  // The output's strides, and the number of input prefixes (index tuples over the axes before k) per axis.
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let k = rank - 2; k >= 0; k--) strides[k] = strides[k + 1] * outShape[k + 1];
  /** The output offset of an input prefix: its number in row-major order over shape[0..k), in output strides. */
  const offsetOf = (prefix: number, k: number) => {
    let offset = 0;
    for (let j = k - 1; j >= 0; j--) {
      offset += (prefix % shape[j]) * strides[j];
      prefix = Math.floor(prefix / shape[j]);
    }
    return offset;
  };
  const last = shape[rank - 1];
  const rows = x.length / Math.max(last, 1);
  for (let r = 0; r < rows; r++) {
    const at = offsetOf(r, rank - 1);
    out.set(x.subarray(r * last, (r + 1) * last), at);
    repeatBlock(out, at, last, reps[rank - 1]);
  }
  let prefixes = rows;
  for (let k = rank - 2; k >= 0; k--) {
    prefixes /= shape[k];
    const block = shape[k] * strides[k];
    for (let q = 0; q < prefixes; q++) repeatBlock(out, offsetOf(q, k), block, reps[k]);
  }
}

export function withBlockTile(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: { inputs: { x: Info }; backend: BackendWasm; attrs: { reps: number[] } }): Info => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    const { reps } = attrs;
    if (x.dtype === 'string' || reps.length !== x.shape.length) return original(args) as Info;
    const out = backend.makeOutput(
      x.shape.map((s, i) => s * reps[i]),
      x.dtype,
    );
    if (tf.util.sizeFromShape(out.shape) === 0) return out;
    // Views only after the allocation: growing the wasm memory detaches earlier ones.
    tileInto(backend.typedArrayFromHeap(out), backend.typedArrayFromHeap(x), x.shape, reps);
    return out;
  }) as unknown as tf.KernelFunc;
}
