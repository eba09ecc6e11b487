/**
 * Pooling gradients for the wasm backend. tfjs-backend-wasm 4.22 ships MaxPoolGrad and AvgPoolGrad, but
 * both give wrong results (checked against the cpu backend and the definition): MaxPoolGrad drops some
 * windows' gradients (e.g. the last window of a 4×4 input with 2×2 pools), and AvgPoolGrad is wrong for
 * overlapping windows (3×3 pools with stride 1). Pooling costs little next to convolutions, so these are
 * plain loops over the backend's heap memory.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset } from './wasmRun';
import { simdKernels } from './wasmSimd';

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
 *
 * The common 2×2 pool with stride 2 and no padding has its own loop (`maxPoolGrad2x2`). Otherwise channels,
 * the innermost and contiguous axis, are scanned together: a running maximum and its position per channel.
 */
export function maxPoolGrad(args: { inputs: { dy: Info; input: Info }; backend: BackendWasm; attrs: Attrs }): Info {
  const { inputs, backend, attrs } = args;
  const info = poolInfo(inputs.input.shape, attrs);
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth } = info;
  const out = backend.makeOutput(inputs.input.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const x = backend.typedArrayFromHeap(inputs.input) as Float32Array;
  const dy = backend.typedArrayFromHeap(inputs.dy) as Float32Array;
  const plain2x2 = isPlain2x2(info);
  const simd = plain2x2 ? simdKernels(backend) : null;
  if (simd) {
    // The same rules as maxPoolGrad2x2 below, 4 channels at a time (wasmSimd.wat); it clears dx itself.
    simd.maxPoolGrad2x2(
      dx.byteOffset,
      x.byteOffset,
      dy.byteOffset,
      batchSize,
      inHeight,
      inWidth,
      C,
      outHeight,
      outWidth,
    );
    return out;
  }
  dx.fill(0);
  if (plain2x2) {
    maxPoolGrad2x2(dx, x, dy, info);
    return out;
  }
  const best = new Float32Array(C);
  const at = new Int32Array(C);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const [h0, h1] = windowRange(oh, info.strideHeight, info.padInfo.top, info.filterHeight, inHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const [w0, w1] = windowRange(ow, info.strideWidth, info.padInfo.left, info.filterWidth, inWidth);
        if (h0 >= h1 || w0 >= w1) continue;
        // Start from the window's first pixel (a fill() per window would cost more than the scan); like the
        // cpu backend, NaN and −Infinity never count as a maximum.
        const first = ((b * inHeight + h0) * inWidth + w0) * C;
        for (let c = 0; c < C; c++) {
          const v = x[first + c];
          const ok = v > -Infinity;
          best[c] = ok ? v : -Infinity;
          at[c] = ok ? first + c : -1;
        }
        for (let h = h0; h < h1; h++) {
          for (let w = h === h0 ? w0 + 1 : w0; w < w1; w++) {
            const base = ((b * inHeight + h) * inWidth + w) * C;
            for (let c = 0; c < C; c++) {
              const v = x[base + c];
              if (v > best[c]) {
                best[c] = v;
                at[c] = base + c;
              }
            }
          }
        }
        const dyOffset = ((b * outHeight + oh) * outWidth + ow) * C;
        for (let c = 0; c < C; c++) if (at[c] >= 0) dx[at[c]] += dy[dyOffset + c];
      }
    }
  }
  return out;
}

/**
 * MaxPool: 2×2 windows with stride 2 on our SIMD kernel (wasmSimd.wat's `maxPool2x2`: 0.64 → 0.3 ms for the Keras
 * convnet's first pool, 64×26×26×32), the values the cpu backend gives (NaN never counts as a maximum, as in
 * MaxPoolGrad above); other pools, or no SIMD, go to the backend's kernel (XNNPACK).
 */
export function withSimdMaxPool(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: { inputs: { x: Info }; backend: BackendWasm; attrs: Attrs }): Info => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    const info = x.dtype === 'float32' && x.shape.length === 4 ? poolInfo(x.shape, attrs) : null;
    const simd = info && isPlain2x2(info) ? simdKernels(backend) : null;
    if (!info || !simd) return original(args as never) as Info;
    const y = backend.makeOutput(info.outShape, 'float32');
    if (y.shape.some((d) => d === 0)) return y;
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
    simd.maxPool2x2(
      heapOffset(backend, y),
      heapOffset(backend, x),
      batchSize,
      inHeight,
      inWidth,
      inChannels,
      outHeight,
      outWidth,
    );
    return y;
  }) as unknown as tf.KernelFunc;
}

/** 2×2 windows, stride 2, all inside the input: every input pixel is in at most one window. */
function isPlain2x2(info: tf.backend_util.Conv2DInfo): boolean {
  return (
    info.filterHeight === 2 &&
    info.filterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    2 * info.outHeight <= info.inHeight &&
    2 * info.outWidth <= info.inWidth
  );
}

/**
 * The 2×2 case unrolled, per channel: four loads, comparisons written as selects (branch-free, so random
 * data costs no mispredictions) and one store, since windows do not overlap. ~40 % less CPU time than the
 * general loop on the first pool of the Keras MNIST convnet (64×26×26×32). Ties, NaN and −Infinity as the
 * cpu backend: the first maximum in row-major order wins; NaN and −Infinity never count as one.
 */
function maxPoolGrad2x2(dx: Float32Array, x: Float32Array, dy: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, o += C) {
        const p0 = ((b * H + 2 * oh) * W + 2 * ow) * C;
        const p1 = p0 + C;
        const p2 = p0 + W * C;
        const p3 = p2 + C;
        for (let c = 0; c < C; c++) {
          const v0 = x[p0 + c];
          let at = v0 > -Infinity ? p0 + c : -1;
          let best = v0 > -Infinity ? v0 : -Infinity;
          const v1 = x[p1 + c];
          at = v1 > best ? p1 + c : at;
          best = v1 > best ? v1 : best;
          const v2 = x[p2 + c];
          at = v2 > best ? p2 + c : at;
          best = v2 > best ? v2 : best;
          const v3 = x[p3 + c];
          at = v3 > best ? p3 + c : at;
          if (at >= 0) dx[at] = dy[o + c];
        }
      }
    }
  }
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
