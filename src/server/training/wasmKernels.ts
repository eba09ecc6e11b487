/**
 * Training kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks: without them, a conv2d, depthwiseConv2d or
 * separableConv2d layer fails on the first backward pass ("Kernel 'Conv2DBackpropFilter' not registered for
 * backend 'wasm'"). The backend's MaxPoolGrad and AvgPoolGrad exist but compute wrong gradients, so they are
 * replaced (wasmPoolKernels.ts). Every other kernel our layer types need for training (Conv2DBackpropInput,
 * the element-wise and reduction gradients) ships with the backend and is correct.
 *
 * - Convolutions (Conv2D, and so the input gradient, which is computed as one; Conv2DBackpropFilter) run on our
 *   SIMD kernels (wasmSimd.wat, wasmConv.ts), about twice as fast as XNNPACK on a training step's shapes, as do
 *   the 2×2 MaxPool and MaxPoolGrad, the bias gradients' sums, additions and products with a row along the last
 *   axis (biases, batch normalization's factors, and FusedBatchNorm with per-channel statistics: wasmRowsOp.ts),
 *   the fused convolutions and products with their bias and ReLU, and ReLU's gradient (wasmActivation.ts, for
 *   fusedLayers.ts). Without SIMD (or for other shapes),
 *   Conv2DBackpropFilter runs on the backend's own XNNPACK kernels: a matrix product over im2col columns,
 *   or a forward convolution over transposed tensors, whichever suits the shape (wasmConvFilter.ts).
 * - Transposed matrix products are slow in the backend, so they get explicit transposes, and products with
 *   a large right operand swap their operands (wasmMatMul.ts);
 *   sums and means over leading axes (bias gradients, batch normalization) get a faster path (wasmReduce.ts);
 *   Tile is block copies (wasmTile.ts: the backend's took 89 ms of a 197 ms batch-normalized step); Identity and
 *   same-dtype Cast share memory instead of copying it (wasmIdentity.ts).
 * - The depthwise backprops cost C times less than a full convolution (one filter per channel), so plain
 *   loops over the backend's heap memory are fast enough and avoid extra copies.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { RELU_GRAD_KERNEL } from './gradients';
import { wasmReluGrad, withSimdBiasActivation } from './wasmActivation';
import { wasmAdamMoment, wasmAdamStep } from './wasmAdam';
import { withSimdConv2D } from './wasmConv';
import { conv2DBackpropFilter } from './wasmConvFilter';
import { conv2DBackpropInputByCol2im } from './wasmConvInput';
import { sharingCast, sharingIdentity } from './wasmIdentity';
import { withExplicitTranspose } from './wasmMatMul';
import { avgPoolGrad, maxPoolGrad, withSimdMaxPool } from './wasmPoolKernels';
import { withLeadingAxesMean, withLeadingAxesSum } from './wasmReduce';
import { ROWS_ADD, ROWS_MULTIPLY, withSimdBatchNorm, withSimdRows } from './wasmRowsOp';
import { runWinograd, simdKernels, winogradApplies, type SimdKernels } from './wasmSimd';
import { withBlockTile } from './wasmTile';
import { MOMENT_KERNEL, STEP_KERNEL } from './webgpuAdam';
import { release, runWasmKernel } from './wasmRun';

type Backend = BackendWasm;
type Info = tf.TensorInfo;
type Attrs = Record<string, unknown>;
type ConvPad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/**
 * dx[b, ih, iw, ci] = Σ_{kh, kw, co} dy[b, oh, ow, co] · w[kh, kw, ci, co] where ih = oh·s + kh − padTop.
 *
 * The backend ships this kernel but it is ~8× slower than the forward convolution (535 ms against 70 ms
 * for the second layer of the Keras MNIST convnet), so with stride 1 it is recomputed: 3×3 filters with at
 * least 8 output channels (multiples of 4) by the transpose of Winograd F(4×4, 3×3) on our SIMD kernels
 * (conv2DBackpropInputByWinograd), other shapes as a forward convolution of dy, padded by KH − 1 − padTop,
 * with the filter rotated 180° and its channel axes swapped.
 * With strides > 1 that convolution would need s − 1 zeros between dy's pixels and multiply them all, so
 * those (and explicit paddings that would make its padding negative) are a matrix product and col2im
 * instead (wasmConvInput.ts: ~2× faster for 3×3×32 → 64 with stride 2).
 */
function conv2DBackpropInput(original: tf.KernelFunc) {
  return (args: { inputs: { dy: Info; filter: Info }; backend: Backend; attrs: Attrs }): Info => {
    const { inputs, backend, attrs } = args;
    const dataFormat = tf.backend_util.convertConv2DDataFormat(
      (attrs.dataFormat as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC',
    );
    if (dataFormat !== 'channelsLast') return original(args as never) as Info;
    const inputShape = attrs.inputShape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      inputs.filter.shape as [number, number, number, number],
      attrs.strides as [number, number] | number,
      1,
      attrs.pad as ConvPad,
      attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    );
    const {
      inHeight,
      inWidth,
      inChannels: Ci,
      outHeight,
      outWidth,
      outChannels: Co,
      filterHeight: KH,
      filterWidth: KW,
    } = info;
    const top = KH - 1 - info.padInfo.top;
    const left = KW - 1 - info.padInfo.left;
    const bottom = inHeight - outHeight - top + KH - 1;
    const right = inWidth - outWidth - left + KW - 1;
    if (info.strideHeight > 1 || info.strideWidth > 1 || Math.min(top, left, bottom, right) < 0) {
      return conv2DBackpropInputByCol2im(backend, inputs.dy, inputs.filter, info);
    }
    const simd = winogradApplies(info, 'input') ? simdKernels(backend) : null;
    if (simd) return conv2DBackpropInputByWinograd(simd, backend, inputs.dy, inputs.filter, info);

    // The filter rotated by 180° with in/out channels swapped: [KH, KW, Co, Ci] (small, so a JS loop).
    const flipped = backend.makeOutput([KH, KW, Co, Ci], 'float32');
    const w = backend.typedArrayFromHeap(inputs.filter) as Float32Array;
    const wf = backend.typedArrayFromHeap(flipped) as Float32Array;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const src = ((KH - 1 - kh) * KW + (KW - 1 - kw)) * Ci * Co;
        const dst = (kh * KW + kw) * Co * Ci;
        for (let ci = 0; ci < Ci; ci++) for (let co = 0; co < Co; co++) wf[dst + co * Ci + ci] = w[src + ci * Co + co];
      }
    }
    const pad: ConvPad = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    const dx = runWasmKernel(
      'Conv2D',
      backend,
      { x: inputs.dy, filter: flipped },
      { strides: [1, 1], pad, dilations: [1, 1], dataFormat: 'NHWC' },
    );
    release(backend, flipped);
    return dx;
  };
}

/**
 * dx of a 3×3 convolution with stride 1 by the transpose of its Winograd F(4×4, 3×3) (wasmSimd.wat's
 * conv2dBackpropInputWinograd): tiles follow dy, not dx, so the convnet's second layer does 9 tiles per image
 * where the forward convolution of dy padded by 2 does 16.
 */
function conv2DBackpropInputByWinograd(
  simd: SimdKernels,
  backend: Backend,
  dy: Info,
  filter: Info,
  info: tf.backend_util.Conv2DInfo,
): Info {
  const { batchSize, inHeight, inWidth, inChannels: Ci, outChannels: Co } = info;
  // The filter with its channel axes swapped, [3, 3, Co, Ci] (small, so a JS loop).
  const swapped = backend.makeOutput([3, 3, Co, Ci], 'float32');
  const dx = backend.makeOutput([batchSize, inHeight, inWidth, Ci], 'float32');
  // Views only after every allocation: growing the wasm memory detaches earlier ones.
  const w = backend.typedArrayFromHeap(filter) as Float32Array;
  const ws = backend.typedArrayFromHeap(swapped) as Float32Array;
  for (let tap = 0; tap < 9; tap++) {
    const at = tap * Ci * Co;
    for (let ci = 0; ci < Ci; ci++) for (let co = 0; co < Co; co++) ws[at + co * Ci + ci] = w[at + ci * Co + co];
  }
  runWinograd(simd, 'input', backend, dx, dy, swapped, info);
  release(backend, swapped);
  return dx;
}

/** The geometry of a depthwise convolution from the kernel's attributes. */
function depthwiseInfo(xShape: number[], filterShape: number[], attrs: Attrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    (attrs.dilations as [number, number] | number | undefined) ?? 1,
    attrs.pad as ConvPad,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    true,
  );
}

/**
 * Visits every (input pixel, filter tap, output pixel) triple of a depthwise convolution that lies inside
 * the input, with the flat offsets of the input pixel, the filter tap and the output pixel (channel 0).
 */
function forEachTap(
  info: tf.backend_util.Conv2DInfo,
  visit: (xOffset: number, wOffset: number, dyOffset: number) => void,
): void {
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels: C,
    outHeight,
    outWidth,
    outChannels,
    filterHeight,
    filterWidth,
  } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyOffset = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh * dilationHeight - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw * dilationWidth - left;
            if (iw < 0 || iw >= inWidth) continue;
            visit(((b * inHeight + ih) * inWidth + iw) * C, (kh * filterWidth + kw) * outChannels, dyOffset);
          }
        }
      }
    }
  }
}

/** dW[kh, kw, c, q] = Σ_{b, oh, ow} x[b, ih, iw, c] · dy[b, oh, ow, c·M + q]. */
function depthwiseBackpropFilter(args: { inputs: { x: Info; dy: Info }; backend: Backend; attrs: Attrs }): Info {
  const { inputs, backend, attrs } = args;
  const filterShape = attrs.filterShape as number[];
  const info = depthwiseInfo(inputs.x.shape, filterShape, attrs);
  const C = info.inChannels;
  const M = info.outChannels / C;
  // Allocate first: a heap allocation can grow the wasm memory and detach earlier typed-array views.
  const out = backend.makeOutput(filterShape, 'float32');
  const dW = backend.typedArrayFromHeap(out) as Float32Array;
  const x = backend.typedArrayFromHeap(inputs.x) as Float32Array;
  const dy = backend.typedArrayFromHeap(inputs.dy) as Float32Array;
  dW.fill(0);
  forEachTap(info, (xo, wo, dyo) => {
    for (let c = 0; c < C; c++) {
      const xv = x[xo + c];
      const base = c * M;
      for (let q = 0; q < M; q++) dW[wo + base + q] += xv * dy[dyo + base + q];
    }
  });
  return out;
}

/** dx[b, ih, iw, c] = Σ over taps reaching (ih, iw) of Σ_q dy[b, oh, ow, c·M + q] · w[kh, kw, c, q]. */
function depthwiseBackpropInput(args: { inputs: { dy: Info; filter: Info }; backend: Backend; attrs: Attrs }): Info {
  const { inputs, backend, attrs } = args;
  const inputShape = attrs.inputShape as number[];
  const info = depthwiseInfo(inputShape, inputs.filter.shape, attrs);
  const C = info.inChannels;
  const M = info.outChannels / C;
  const out = backend.makeOutput(inputShape, 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const w = backend.typedArrayFromHeap(inputs.filter) as Float32Array;
  const dy = backend.typedArrayFromHeap(inputs.dy) as Float32Array;
  dx.fill(0);
  forEachTap(info, (xo, wo, dyo) => {
    for (let c = 0; c < C; c++) {
      const base = c * M;
      let sum = 0;
      for (let q = 0; q < M; q++) sum += dy[dyo + base + q] * w[wo + base + q];
      dx[xo + c] += sum;
    }
  });
  return out;
}

/** `replace`: the backend ships this kernel but it is wrong, so ours takes its place. */
const KERNELS: { kernelName: string; kernelFunc: (args: never) => Info; replace?: boolean }[] = [
  { kernelName: 'Conv2DBackpropFilter', kernelFunc: conv2DBackpropFilter },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', kernelFunc: depthwiseBackpropFilter },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', kernelFunc: depthwiseBackpropInput },
  { kernelName: 'MaxPoolGrad', kernelFunc: maxPoolGrad, replace: true },
  { kernelName: 'AvgPoolGrad', kernelFunc: avgPoolGrad, replace: true },
  // FusedAdamOptimizer's (webgpuAdam.ts), used on wasm only where the SIMD kernels are.
  { kernelName: MOMENT_KERNEL, kernelFunc: wasmAdamMoment },
  { kernelName: STEP_KERNEL, kernelFunc: wasmAdamStep },
  // ReLU's gradient in one pass (wasmActivation.ts, gradients.ts).
  { kernelName: RELU_GRAD_KERNEL, kernelFunc: wasmReluGrad },
];

let registered = false;

/** The wasm backend's kernel of that name; tfjs types the lookup as always found, but it may be missing. */
function findKernel(kernelName: string): tf.KernelConfig | undefined {
  return tf.getKernel(kernelName, 'wasm');
}

/** Registers the kernels above for the wasm backend, once per process. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  for (const { kernelName, kernelFunc, replace } of KERNELS) {
    if (findKernel(kernelName)) {
      // A missing kernel that a later tfjs ships is kept; a known-broken one is swapped for ours.
      if (!replace) continue;
      tf.unregisterKernel(kernelName, 'wasm');
    }
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  const backpropInput = findKernel('Conv2DBackpropInput');
  if (backpropInput) {
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel({
      ...backpropInput,
      kernelFunc: conv2DBackpropInput(backpropInput.kernelFunc) as unknown as tf.KernelFunc,
    });
  }
  // Matrix products keep the backend's kernel (and its setup, which binds the wasm function) behind a wrapper.
  // _FusedMatMul adds a bias along the output's columns, so only BatchMatMul may swap its operands.
  for (const kernelName of ['BatchMatMul', '_FusedMatMul']) {
    const original = findKernel(kernelName);
    if (!original) continue;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({
      ...original,
      kernelFunc: withExplicitTranspose(original.kernelFunc, { swap: kernelName === 'BatchMatMul' }),
    });
  }
  const wrappers: [string, (original: tf.KernelFunc) => tf.KernelFunc][] = [
    ['Conv2D', withSimdConv2D],
    ['Add', withSimdRows(ROWS_ADD)],
    ['Multiply', withSimdRows(ROWS_MULTIPLY)],
    ['FusedBatchNorm', withSimdBatchNorm],
    ['Sum', withLeadingAxesSum],
    ['Identity', sharingIdentity],
    ['Tile', withBlockTile],
    ['MaxPool', withSimdMaxPool],
    ['Cast', sharingCast],
  ];
  for (const [kernelName, wrap] of wrappers) {
    const original = findKernel(kernelName);
    if (!original) continue;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: wrap(original.kernelFunc) });
  }
  // After the wrappers above, kernels made of them: a fused kernel runs the unfused one, then the bias and ReLU
  // (wasmActivation.ts); Mean over leading axes is that Sum, divided.
  const composed: [string, string, (original: tf.KernelFunc, inner: tf.KernelFunc) => tf.KernelFunc][] = [
    ['FusedConv2D', 'Conv2D', withSimdBiasActivation],
    ['_FusedMatMul', 'BatchMatMul', withSimdBiasActivation],
    ['Mean', 'Sum', withLeadingAxesMean],
  ];
  for (const [kernelName, innerName, compose] of composed) {
    const original = findKernel(kernelName);
    const inner = findKernel(innerName);
    if (!original || !inner) continue;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: compose(original.kernelFunc, inner.kernelFunc) });
  }
}

export const WASM_TRAINING_KERNELS = KERNELS.map((k) => k.kernelName);
