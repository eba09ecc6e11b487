/**
 * Conv2D on wasm by our SIMD kernel (wasmSimd.wat's `conv2d`) where it applies: NHWC, a multiple of 4 output
 * channels. It is about twice as fast as the backend's XNNPACK convolution on the shapes of a training step
 * (docs/benchmarks.md), which repacks the filter on every call, and it also runs the input gradients that
 * wasmKernels.ts computes as a forward convolution (those its transposed Winograd kernel does not take). Padding is a zero-bordered copy of x; the kernel
 * itself reads no padding. 3×3 convolutions with stride 1 and at least 8 input channels go to the Winograd
 * kernel instead (`conv2dWinograd`: 36 products per 4×4 output pixels where the direct kernel does 144; it
 * reads the padding as zeros itself). Everything else, or no SIMD, goes to the backend's kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset } from './wasmRun';
import { runWinograd, simdKernels, winogradApplies, type SimdKernels } from './wasmSimd';

type Info = tf.TensorInfo;
type ConvPad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

interface Conv2DArgs {
  inputs: { x: Info; filter: Info };
  backend: BackendWasm;
  attrs: {
    strides: number | [number, number];
    pad: ConvPad;
    dataFormat?: 'NHWC' | 'NCHW';
    dilations?: number | [number, number];
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
}

export function withSimdConv2D(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: Conv2DArgs): Info => {
    const { inputs, backend, attrs } = args;
    const { x, filter } = inputs;
    const nhwc = (attrs.dataFormat ?? 'NHWC') === 'NHWC';
    const float = x.dtype === 'float32' && filter.dtype === 'float32';
    const simd = nhwc && float && filter.shape[3] % 4 === 0 ? simdKernels(backend) : null;
    if (!simd) return original(args) as Info;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations ?? 1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    return simdConv2D(simd, backend, x, filter, info) ?? (original(args) as Info);
  }) as unknown as tf.KernelFunc;
}

/** y by the SIMD kernel, or null where its output would reach past x's padding. */
function simdConv2D(
  simd: SimdKernels,
  backend: BackendWasm,
  x: Info,
  filter: Info,
  info: tf.backend_util.Conv2DInfo,
): Info | null {
  const { batchSize, inHeight, inWidth, inChannels: Ci, outHeight, outWidth, outChannels: Co } = info;
  const { top, bottom, left, right } = info.padInfo;
  const height = inHeight + top + bottom;
  const width = inWidth + left + right;
  // The kernel reads every output pixel's window from the bordered x: a rounding mode that makes more output
  // rows or columns than the padding covers (dimRoundingMode 'ceil') goes to the backend's kernel.
  const reach = (out: number, stride: number, size: number, dilation: number) =>
    (out - 1) * stride + (size - 1) * dilation + 1;
  if (
    reach(outHeight, info.strideHeight, info.filterHeight, info.dilationHeight) > height ||
    reach(outWidth, info.strideWidth, info.filterWidth, info.dilationWidth) > width
  ) {
    return null;
  }
  const y = backend.makeOutput(info.outShape, 'float32');
  if (y.shape.some((d) => d === 0)) return y;
  if (winogradApplies(info)) {
    runWinograd(simd, 'forward', backend, y, x, filter, info);
    return y;
  }
  const input = zeroBordered(backend, x, info);
  simd.conv2d(
    heapOffset(backend, y),
    heapOffset(backend, input),
    heapOffset(backend, filter),
    batchSize,
    height,
    width,
    Ci,
    outHeight,
    outWidth,
    Co,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    top,
    left,
    inHeight,
    inWidth,
  );
  if (input !== x) backend.disposeData(input.dataId);
  return y;
}

/**
 * x [B, H, W, C] with the convolution's padding as a border of zeros ([B, H + top + bottom, W + left + right,
 * C]), or x itself where it has none (the caller disposes a copy).
 */
export function zeroBordered(backend: BackendWasm, x: Info, info: tf.backend_util.Conv2DInfo): Info {
  const { top, bottom, left, right } = info.padInfo;
  if (top + bottom + left + right === 0) return x;
  const [batch, inHeight, inWidth, channels] = x.shape;
  const height = inHeight + top + bottom;
  const width = inWidth + left + right;
  const bordered = backend.makeOutput([batch, height, width, channels], 'float32');
  // Views only after the allocation: growing the wasm memory detaches earlier ones.
  const from = backend.typedArrayFromHeap(x) as Float32Array;
  const to = backend.typedArrayFromHeap(bordered) as Float32Array;
  to.fill(0);
  const rowLength = inWidth * channels;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < inHeight; h++) {
      const source = (b * inHeight + h) * rowLength;
      to.set(from.subarray(source, source + rowLength), ((b * height + h + top) * width + left) * channels);
    }
  }
  return bordered;
}
