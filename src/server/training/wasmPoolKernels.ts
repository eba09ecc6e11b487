/**
 * Pooling gradients for the wasm backend. tfjs-backend-wasm 4.22 ships MaxPoolGrad and AvgPoolGrad, but
 * both give wrong results (checked against the cpu backend and the definition): MaxPoolGrad drops some
 * windows' gradients (e.g. the last window of a 4×4 input with 2×2 pools), and AvgPoolGrad is wrong for
 * overlapping windows (3×3 pools with stride 1). Pooling costs little next to convolutions, so these are
 * plain loops over the backend's heap memory.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
type Attrs = Record<string, unknown>;

function poolInfo(inputShape: number[], attrs: Attrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    inputShape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as 'valid' | 'same' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
}

/** The input rows (or columns) `[start, end)` that output row `o` pools over, clipped to the input. */
function windowRange(o: number, stride: number, pad: number, size: number, limit: number): [number, number] {
  const start = o * stride - pad;
  return [Math.max(0, start), Math.min(limit, start + size)];
}

/**
 * dx: each window's gradient goes to its maximum (the first one in row-major order on ties, like the cpu
 * backend). Inputs: the pooled `input` and `dy`.
 */
export function maxPoolGrad(args: { inputs: { dy: Info; input: Info }; backend: BackendWasm; attrs: Attrs }): Info {
  const { inputs, backend, attrs } = args;
  const info = poolInfo(inputs.input.shape, attrs);
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth } = info;
  const out = backend.makeOutput(inputs.input.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const x = backend.typedArrayFromHeap(inputs.input) as Float32Array;
  const dy = backend.typedArrayFromHeap(inputs.dy) as Float32Array;
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const [h0, h1] = windowRange(oh, info.strideHeight, info.padInfo.top, info.filterHeight, inHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const [w0, w1] = windowRange(ow, info.strideWidth, info.padInfo.left, info.filterWidth, inWidth);
        const dyOffset = ((b * outHeight + oh) * outWidth + ow) * C;
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const i = ((b * inHeight + h) * inWidth + w) * C + c;
              if (x[i] > best) {
                best = x[i];
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] += dy[dyOffset + c];
        }
      }
    }
  }
  return out;
}

/**
 * dx: each window's gradient spread evenly over the input pixels it averaged. Padding is not counted,
 * matching the forward pass of both the cpu and the wasm backend (the cpu backend's own AvgPoolGrad divides
 * by the full window size even where it overlaps padding, which is not the gradient of its forward pass).
 */
export function avgPoolGrad(args: { inputs: { dy: Info; input: Info }; backend: BackendWasm; attrs: Attrs }): Info {
  const { inputs, backend, attrs } = args;
  const info = poolInfo(inputs.input.shape, attrs);
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth } = info;
  const out = backend.makeOutput(inputs.input.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const dy = backend.typedArrayFromHeap(inputs.dy) as Float32Array;
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const [h0, h1] = windowRange(oh, info.strideHeight, info.padInfo.top, info.filterHeight, inHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const [w0, w1] = windowRange(ow, info.strideWidth, info.padInfo.left, info.filterWidth, inWidth);
        const count = Math.max(1, (h1 - h0) * (w1 - w0));
        const dyOffset = ((b * outHeight + oh) * outWidth + ow) * C;
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) {
            const xOffset = ((b * inHeight + h) * inWidth + w) * C;
            for (let c = 0; c < C; c++) dx[xOffset + c] += dy[dyOffset + c] / count;
          }
        }
      }
    }
  }
  return out;
}
