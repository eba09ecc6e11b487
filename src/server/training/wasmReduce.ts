/**
 * A faster Sum over leading axes on wasm. The gradient of every bias (dense and conv) sums dy over all
 * axes but the last, e.g. `[64, 26, 26, 32] → [32]`; the backend transposes the reduced axes to the end
 * before summing, which costs ~3× more than summing rows in place. Other reductions go to the backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
type KernelArgs = { inputs: { x: Info }; backend: BackendWasm; attrs: { axis: number | number[]; keepDims?: boolean } };

export function withLeadingAxesSum(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    const rank = x.shape.length;
    const axes = (Array.isArray(attrs.axis) ? attrs.axis : [attrs.axis]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return original(args as never);
    const rest = x.shape.slice(axes.length);
    const width = rest.reduce((a, b) => a * b, 1);
    const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
    const outShape = attrs.keepDims ? [...axes.map(() => 1), ...rest] : rest;
    const out = backend.makeOutput(outShape, 'float32');
    const sum = backend.typedArrayFromHeap(out) as Float32Array;
    const values = backend.typedArrayFromHeap(x) as Float32Array;
    // Accumulate in float64 for accuracy over many rows, then store.
    const acc = new Float64Array(width);
    for (let r = 0; r < rows; r++) {
      const base = r * width;
      for (let j = 0; j < width; j++) acc[j] += values[base + j];
    }
    sum.set(acc);
    return out;
  }) as unknown as tf.KernelFunc;
}
