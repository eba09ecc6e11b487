/**
 * Conv2DBackpropFilter for the wasm backend (tfjs-backend-wasm 4.22 has none):
 *
 *   dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·s + kh − padTop, ow·s + kw − padLeft, ci] · dy[b, oh, ow, co]
 *
 * With the SIMD kernels (wasmSimd.ts), a 3×3 filter with stride 1 and at least 8 input channels goes to the
 * Winograd kernel (byWinograd: 36 products per 4×4 block of dy where taps do 144), one input channel 4 taps at a
 * time (byTapBlocks); otherwise, with a multiple of 4 output channels, tap by tap (byTaps): each tap's
 * [Ci × Co] block summed over the output pixels where they lie, about twice as fast as either way below
 * (docs/benchmarks.md). Otherwise two ways on the backend's XNNPACK kernels, chosen by shape:
 *
 * - im2col: dW = colsᵀ × dy, where cols[(b, oh, ow), (kh, kw, ci)] holds the input values each output
 *   pixel's taps meet: one BatchMatMul (computed as (dyᵀ × cols)ᵀ, see byIm2col), columns copied over the
 *   heap. It wins when KH·KW·Ci is small next to Co, e.g. a first layer on 1-channel images (Keras MNIST
 *   convnet, 3×3×1 → 32: about half the CPU time per batch of 64), where XNNPACK's convolution with one
 *   input channel is slow.
 * - transposed convolution: read with ci as the batch, b as the channels and dy as the filter, the sum is a
 *   forward convolution of xᵀ [Ci, H, W, B] by dyᵀ [OH, OW, B, Co] dilated by the stride. For wide inputs
 *   (3×3×32 → 64) it costs what im2col's matrix product alone costs, without building and transposing the
 *   columns (which, at KH·KW·Ci = 288 values per output pixel, take as long as the product).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { zeroBordered } from './wasmConv';
import { runWinograd, simdKernels, winogradApplies, type SimdKernels } from './wasmSimd';
import { heapOffset, release, runWasmKernel } from './wasmRun';

type Info = tf.TensorInfo;
type Attrs = Record<string, unknown>;
type ConvPad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
type Conv2DInfo = tf.backend_util.Conv2DInfo;

/**
 * At most this many floats (16 MiB) of im2col columns at once; larger batches are done in chunks of samples.
 * The functions that build columns take the limit as a parameter with this default.
 */
export const IM2COL_CHUNK_FLOATS = 1 << 22;

/** Samples per im2col chunk: as many as fit in `chunkFloats`, at least one. */
export function samplesPerChunk(info: Conv2DInfo, chunkFloats: number): number {
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const pixels = info.outHeight * info.outWidth;
  return Math.max(1, Math.min(info.batchSize, Math.floor(chunkFloats / (K * pixels))));
}

/** The kernel: dW `[KH, KW, Ci, Co]` for NHWC x and dy, with im2col columns of at most `chunkFloats` floats. */
export function conv2DBackpropFilter(
  args: { inputs: { x: Info; dy: Info }; backend: BackendWasm; attrs: Attrs },
  chunkFloats = IM2COL_CHUNK_FLOATS,
): Info {
  const { inputs, backend, attrs } = args;
  const dataFormat = tf.backend_util.convertConv2DDataFormat(
    (attrs.dataFormat as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC',
  );
  if (dataFormat !== 'channelsLast')
    throw new Error('wasm Conv2DBackpropFilter supports only dataFormat NHWC (channelsLast)');
  const filterShape = attrs.filterShape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    inputs.x.shape as [number, number, number, number],
    filterShape,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as ConvPad,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  if (info.batchSize === 0 || info.outHeight * info.outWidth === 0) {
    const zeros = backend.makeOutput([...filterShape], 'float32');
    (backend.typedArrayFromHeap(zeros) as Float32Array).fill(0);
    return zeros;
  }
  const simd = info.outChannels % 4 === 0 ? simdKernels(backend) : null;
  if (simd && winogradApplies(info)) return byWinograd(simd, backend, inputs.x, inputs.dy, info);
  if (simd && info.inChannels === 1) {
    const dW = byTapBlocks(simd, backend, inputs.x, inputs.dy, info);
    if (dW) return dW;
  }
  if (simd) return byTaps(simd, backend, inputs.x, inputs.dy, info);
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const out =
    K <= info.outChannels
      ? byIm2col(backend, inputs.x, inputs.dy, info, chunkFloats)
      : byTransposedConv(backend, inputs.x, inputs.dy, info);
  return { ...out, shape: [...filterShape] };
}

/** The output pixels [lo, hi) along one axis whose input pixel o·stride + tap − pad lies in [0, size). */
function tapRange(tap: number, stride: number, pad: number, size: number, outSize: number): [number, number] {
  const offset = tap - pad;
  const lo = offset >= 0 ? 0 : Math.ceil(-offset / stride);
  const hi = Math.min(outSize, Math.floor((size - 1 - offset) / stride) + 1);
  return [Math.min(lo, outSize), Math.max(lo, hi)];
}

/**
 * dW tap by tap on the SIMD kernel (wasmSimd.wat's convFilterGradTap): each tap's [Ci × Co] block is a sum of
 * products of x's and dy's pixels over the output pixels whose input pixel is inside the image, read where
 * they lie: no columns, no transposes, any stride and padding. Co must be a multiple of 4.
 */
function byTaps(simd: SimdKernels, backend: BackendWasm, x: Info, dy: Info, info: Conv2DInfo): Info {
  const { batchSize, inHeight: H, inWidth: W, inChannels: Ci, outHeight: OH, outWidth: OW, outChannels: Co } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
  const dW = backend.makeOutput([KH, KW, Ci, Co], 'float32');
  const out = heapOffset(backend, dW);
  const xAt = heapOffset(backend, x);
  const dyAt = heapOffset(backend, dy);
  for (let kh = 0; kh < KH; kh++) {
    const [oh0, oh1] = tapRange(kh, sh, info.padInfo.top, H, OH);
    for (let kw = 0; kw < KW; kw++) {
      const [ow0, ow1] = tapRange(kw, sw, info.padInfo.left, W, OW);
      const ih = oh0 * sh + kh - info.padInfo.top;
      const iw = ow0 * sw + kw - info.padInfo.left;
      simd.convFilterGradTap(
        out + (kh * KW + kw) * Ci * Co * 4,
        xAt + (ih * W + iw) * Ci * 4,
        dyAt + (oh0 * OW + ow0) * Co * 4,
        batchSize,
        H * W * Ci * 4,
        OH * OW * Co * 4,
        sh * W * Ci * 4,
        sw * Ci * 4,
        OW * Co * 4,
        oh1 - oh0,
        ow1 - ow0,
        Ci,
        Co,
        0,
      );
    }
  }
  return dW;
}

/** dW of a 3×3 convolution with stride 1 by Winograd's F(3×3, 4×4) (wasmSimd.wat's convFilterGradWinograd). */
function byWinograd(simd: SimdKernels, backend: BackendWasm, x: Info, dy: Info, info: Conv2DInfo): Info {
  const dW = backend.makeOutput([3, 3, info.inChannels, info.outChannels], 'float32');
  runWinograd(simd, 'filter', backend, dW, x, dy, info);
  return dW;
}

/**
 * dW for one input channel on the SIMD kernel that takes 4 taps at a time (wasmSimd.wat's convFilterGradTaps),
 * over x with a zero border where the convolution pads; null where a rounding mode makes output pixels whose
 * window reaches past that border (byTaps handles those).
 */
function byTapBlocks(simd: SimdKernels, backend: BackendWasm, x: Info, dy: Info, info: Conv2DInfo): Info | null {
  const { batchSize, inHeight, inWidth, outHeight: OH, outWidth: OW, outChannels: Co } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
  const height = inHeight + info.padInfo.top + info.padInfo.bottom;
  const width = inWidth + info.padInfo.left + info.padInfo.right;
  if ((OH - 1) * sh + KH > height || (OW - 1) * sw + KW > width) return null;
  const dW = backend.makeOutput([KH, KW, 1, Co], 'float32');
  const input = zeroBordered(backend, x, info);
  simd.convFilterGradTaps(
    heapOffset(backend, dW),
    heapOffset(backend, input),
    heapOffset(backend, dy),
    batchSize,
    height,
    width,
    OH,
    OW,
    Co,
    KH,
    KW,
    sh,
    sw,
    1,
    1,
  );
  if (input !== x) release(backend, input);
  return dW;
}

/**
 * Walks the im2col layout of samples [first, first + count): one row of KH·KW·Ci values per output pixel,
 * the input values its filter taps meet. For one tap row kh, the taps kw meet adjacent input pixels, so a
 * row is KH runs of up to KW·Ci contiguous values; `visit` gets each run that lies inside the image (the
 * padding's runs are skipped) as offsets into the NHWC image and into the column matrix, and its length.
 * im2col (here) copies the runs out of the image; col2im (wasmConvInput.ts) adds them back.
 */
export function forEachColumnRun(
  info: Conv2DInfo,
  first: number,
  count: number,
  visit: (imageOffset: number, columnOffset: number, length: number) => void,
): void {
  const {
    inHeight: H,
    inWidth: W,
    inChannels: Ci,
    outHeight: OH,
    outWidth: OW,
    filterHeight: KH,
    filterWidth: KW,
  } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const run = KW * Ci;
  let r = 0;
  for (let b = first; b < first + count; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * sw - left;
        // Taps kw whose input column iw0 + kw lies inside the image.
        const kwStart = Math.max(0, -iw0);
        const kwEnd = Math.min(KW, W - iw0);
        const length = (kwEnd - kwStart) * Ci;
        for (let kh = 0; kh < KH; kh++, r += run) {
          const ih = oh * sh + kh - top;
          if (ih < 0 || ih >= H || length <= 0) continue;
          visit(((b * H + ih) * W + iw0 + kwStart) * Ci, r + kwStart * Ci, length);
        }
      }
    }
  }
}

/** Writes the im2col matrix of samples [first, first + count) into `cols` (0 in the padding). */
function fillColumns(cols: Float32Array, x: Float32Array, info: Conv2DInfo, first: number, count: number): void {
  cols.fill(0);
  forEachColumnRun(info, first, count, (from, to, length) => {
    // A typed-array copy has a fixed cost that only pays off for longer runs.
    if (length >= 32) cols.set(x.subarray(from, from + length), to);
    else for (let i = 0; i < length; i++) cols[to + i] = x[from + i];
  });
}

/** dW as [K, Co] = (dyᵀ × cols)ᵀ, over chunks of samples whose columns fit in `chunkFloats`. */
function byIm2col(backend: BackendWasm, x: Info, dy: Info, info: Conv2DInfo, chunkFloats: number): Info {
  const { batchSize, outChannels: Co } = info;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const pixels = info.outHeight * info.outWidth;
  const perChunk = samplesPerChunk(info, chunkFloats);
  let total: Info | null = null;
  for (let first = 0; first < batchSize; first += perChunk) {
    const count = Math.min(perChunk, batchSize - first);
    const rows = count * pixels;
    const whole = count === batchSize;
    // Allocate before taking views: growing the wasm memory detaches earlier typed arrays.
    const cols = backend.makeOutput([rows, K], 'float32');
    const dyPart: Info = whole ? dy : backend.makeOutput([rows, Co], 'float32');
    fillColumns(
      backend.typedArrayFromHeap(cols) as Float32Array,
      backend.typedArrayFromHeap(x) as Float32Array,
      info,
      first,
      count,
    );
    if (!whole) {
      const from = first * pixels * Co;
      (backend.typedArrayFromHeap(dyPart) as Float32Array).set(
        (backend.typedArrayFromHeap(dy) as Float32Array).subarray(from, from + rows * Co),
      );
    }
    // dWᵀ = dyᵀ × cols, then transposed back (K × Co values, little). The backend's BatchMatMul packs its
    // right operand on every call (slower than transposing), so the smaller matrix, cols, goes there, and
    // dy is transposed explicitly (the kernel is fast only without transpose flags).
    const dyT = runWasmKernel('Transpose', backend, { x: { ...dyPart, shape: [rows, Co] } }, { perm: [1, 0] });
    const productT = runWasmKernel(
      'BatchMatMul',
      backend,
      { a: { ...dyT, shape: [1, Co, rows] }, b: { ...cols, shape: [1, rows, K] } },
      {
        transposeA: false,
        transposeB: false,
      },
    );
    const product = runWasmKernel('Transpose', backend, { x: { ...productT, shape: [Co, K] } }, { perm: [1, 0] });
    release(backend, cols, dyT, productT);
    if (!whole) release(backend, dyPart);
    if (total === null) {
      total = product;
    } else {
      const sum = backend.typedArrayFromHeap(total) as Float32Array;
      const part = backend.typedArrayFromHeap(product) as Float32Array;
      for (let i = 0; i < sum.length; i++) sum[i] += part[i];
      release(backend, product);
    }
  }
  return total!;
}

/**
 * dW as [KH, KW, Ci, Co] by a forward Conv2D of xᵀ [Ci, H, W, B] with the filter dyᵀ [OH, OW, B, Co], dilated
 * by the stride, stride 1, output [Ci, KH, KW, Co] transposed back. Padding is explicit so that the output is
 * exactly KH × KW; where the forward pass ignored trailing rows or columns (`valid` with a stride), x is sliced
 * to the part that was used.
 */
function byTransposedConv(backend: BackendWasm, x: Info, dy: Info, info: Conv2DInfo): Info {
  const { batchSize, inChannels, filterHeight, filterWidth, outHeight, outWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Rows (columns) of the padded input the forward pass read: KH + (OH − 1)·s, of which `top` are padding.
  const usedHeight = filterHeight + (outHeight - 1) * strideHeight - top;
  const usedWidth = filterWidth + (outWidth - 1) * strideWidth - left;
  const height = Math.min(info.inHeight, usedHeight);
  const width = Math.min(info.inWidth, usedWidth);

  const temporaries: Info[] = [];
  let input = x;
  if (height < info.inHeight || width < info.inWidth) {
    input = runWasmKernel(
      'Slice',
      backend,
      { x },
      { begin: [0, 0, 0, 0], size: [batchSize, height, width, inChannels] },
    );
    temporaries.push(input);
  }
  const xT = runWasmKernel('Transpose', backend, { x: input }, { perm: [3, 1, 2, 0] });
  const dyT = runWasmKernel('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] });
  temporaries.push(xT, dyT);
  const pad: ConvPad = [
    [0, 0],
    [top, usedHeight - height],
    [left, usedWidth - width],
    [0, 0],
  ];
  const grad = runWasmKernel(
    'Conv2D',
    backend,
    { x: xT, filter: dyT },
    { strides: [1, 1], pad, dilations: [strideHeight, strideWidth], dataFormat: 'NHWC' },
  );
  temporaries.push(grad);
  const result = runWasmKernel('Transpose', backend, { x: grad }, { perm: [1, 2, 0, 3] });
  release(backend, ...temporaries);
  return result;
}
