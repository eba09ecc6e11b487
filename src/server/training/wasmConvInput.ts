/**
 * Conv2DBackpropInput on wasm as one matrix product and col2im:
 *
 *   dcols[(b, oh, ow), (kh, kw, ci)] = Σ_co dy[b, oh, ow, co] · w[kh, kw, ci, co]      (dy × wᵀ, XNNPACK)
 *   dx[b, oh·s + kh − padTop, ow·s + kw − padLeft, ci] += dcols[(b, oh, ow), (kh, kw, ci)]   (JS, over the heap)
 *
 * The product's right operand is the small wᵀ, which BatchMatMul packs cheaply, and it computes exactly the
 * needed multiply-adds; the forward convolution over dy padded by KH − 1 (wasmKernels.ts) also multiplies the
 * zeros of the padding. The scatter adds runs of KW·Ci contiguous values (taps kw meet adjacent pixels).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { forEachColumnRun, IM2COL_CHUNK_FLOATS, samplesPerChunk } from './wasmConvFilter';
import { runWasmKernel } from './wasmRun';

type Info = tf.TensorInfo;
type Conv2DInfo = tf.backend_util.Conv2DInfo;

/** Adds the columns of samples [first, first + count) into dx (which holds all samples): col2im. */
function addColumns(dx: Float32Array, cols: Float32Array, info: Conv2DInfo, first: number, count: number): void {
  forEachColumnRun(info, first, count, (to, from, length) => {
    for (let i = 0; i < length; i++) dx[to + i] += cols[from + i];
  });
}

/** dx `[B, H, W, Ci]` for NHWC dy and filter, with column chunks of at most `chunkFloats` floats. */
export function conv2DBackpropInputByCol2im(
  backend: BackendWasm,
  dy: Info,
  filter: Info,
  info: Conv2DInfo,
  chunkFloats = IM2COL_CHUNK_FLOATS,
): Info {
  const { batchSize, outChannels: Co } = info;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const pixels = info.outHeight * info.outWidth;
  const out = backend.makeOutput([batchSize, info.inHeight, info.inWidth, info.inChannels], 'float32');
  (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
  if (batchSize === 0 || pixels === 0) return out;
  const wT = runWasmKernel('Transpose', backend, { x: { ...filter, shape: [K, Co] } }, { perm: [1, 0] });
  const perChunk = samplesPerChunk(info, chunkFloats);
  for (let first = 0; first < batchSize; first += perChunk) {
    const count = Math.min(perChunk, batchSize - first);
    const rows = count * pixels;
    let part = dy;
    if (count < batchSize) {
      part = backend.makeOutput([rows, Co], 'float32');
      const from = first * pixels * Co;
      (backend.typedArrayFromHeap(part) as Float32Array).set(
        (backend.typedArrayFromHeap(dy) as Float32Array).subarray(from, from + rows * Co),
      );
    }
    const cols = runWasmKernel(
      'BatchMatMul',
      backend,
      { a: { ...part, shape: [1, rows, Co] }, b: { ...wT, shape: [1, Co, K] } },
      {
        transposeA: false,
        transposeB: false,
      },
    );
    addColumns(
      backend.typedArrayFromHeap(out) as Float32Array,
      backend.typedArrayFromHeap(cols) as Float32Array,
      info,
      first,
      count,
    );
    backend.disposeData(cols.dataId);
    if (part !== dy) backend.disposeData(part.dataId);
  }
  backend.disposeData(wT.dataId);
  return out;
}
