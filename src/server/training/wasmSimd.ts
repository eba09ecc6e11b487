/**
 * Stitch's own SIMD kernels (wasmSimd.wat) for the training steps where the backend's are slow: the 2×2
 * MaxPoolGrad, the column sums of bias gradients, and convolutions: forward (and so the input gradient,
 * computed as one) and the filter gradient. The module imports tfjs-backend-wasm's own memory, so the kernels read and write tensors where
 * they lie, as the JS kernels do through typed arrays; pointers are byte offsets into that memory.
 *
 * The kernels are a speed-up, never a requirement: where the module cannot be instantiated (an engine without
 * wasm SIMD) or is turned off (`STITCH_WASM_SIMD=off`, `useWasmSimd(false)`: tests and `bench/profile-wasm.ts`
 * compare both ways), `simdKernels` returns null and callers keep their JS loops or XNNPACK paths.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset } from './wasmRun';
import { WASM_SIMD_SHARED, WASM_SIMD_SINGLE } from './wasmSimdBinary';

/**
 * The Winograd kernels' arguments: the output, two inputs and scratch (byte offsets into the backend's memory),
 * then the convolution: batch, x's h × width × Ci, the output's oh × ow × Co, the padding before x (top, left),
 * and the images transformed together (`winogradGroup`).
 */
export type WinogradKernel = (
  out: number,
  a: number,
  b: number,
  scratch: number,
  batch: number,
  h: number,
  width: number,
  ci: number,
  oh: number,
  ow: number,
  co: number,
  top: number,
  left: number,
  group: number,
) => void;

export interface SimdKernels {
  /** y = the maximum of each 2×2 window, stride 2, no padding (NHWC; every window inside x); NaN never wins. */
  maxPool2x2(y: number, x: number, batch: number, h: number, w: number, c: number, oh: number, ow: number): void;
  /** dx for 2×2 windows, stride 2, no padding (NHWC; every window inside the input). */
  maxPoolGrad2x2(
    dx: number,
    x: number,
    dy: number,
    batch: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
  ): void;
  /**
   * One filter tap's dW [Ci×Co] (+)= Σ over a rectangle of output pixels of x's pixelᵀ ⊗ dy's pixel; pointers and
   * byte steps as wasmSimd.wat's `convFilterGradTap` says. Co must be a multiple of 4.
   */
  convFilterGradTap(
    c: number,
    a: number,
    d: number,
    batch: number,
    aImage: number,
    dImage: number,
    aRow: number,
    aCol: number,
    dRow: number,
    hCount: number,
    wCount: number,
    ci: number,
    co: number,
    accumulate: 0 | 1,
  ): void;
  /**
   * y = x ⊛ w over a zero-bordered x (the caller pads it; its real pixels are rows [top, top + validH) and
   * columns [left, left + validW)), NHWC, filter [KH, KW, Ci, Co], Co a multiple of 4.
   */
  conv2d(
    y: number,
    x: number,
    w: number,
    batch: number,
    h: number,
    width: number,
    ci: number,
    oh: number,
    ow: number,
    co: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    dh: number,
    dw: number,
    top: number,
    left: number,
    validH: number,
    validW: number,
  ): void;
  /**
   * A 3×3 convolution with stride 1 and no dilation by Winograd's F(4×4, 3×3): y [batch, oh, ow, Co] from an
   * unpadded x [batch, h, width, Ci] read with `top` and `left` rows and columns of zeros before it, w [3, 3,
   * Ci, Co], `group` images transformed together (`winogradGroup`). Ci and Co multiples of 4; `scratch` holds
   * `winogradScratchFloats` floats (as for the two below).
   */
  conv2dWinograd: WinogradKernel;
  /**
   * The same convolution's filter gradient by F(3×3, 4×4): dW [3, 3, Ci, Co] from x as above and dy [batch,
   * oh, ow, Co]; the same conditions, grouping and scratch.
   */
  convFilterGradWinograd: WinogradKernel;
  /**
   * The input gradient of conv2dWinograd's convolution, by its transpose: dx [batch, h, width, Ci] from dy
   * [batch, oh, ow, Co] and wT, the filter with its channel axes swapped ([3, 3, Co, Ci]); the same padding
   * grouping and scratch.
   */
  conv2dBackpropInputWinograd: WinogradKernel;
  /** Adam's moment: out = m·decay + g·rest (g·g for the second moment, squared = 1); n values. */
  adamMoment(out: number, m: number, g: number, n: number, decay: number, rest: number, squared: 0 | 1): void;
  /** Adam's new value: out = w + ((m / c1) / (√(v / c2) + ε))·negLr; n values. */
  adamStep(
    out: number,
    w: number,
    m: number,
    v: number,
    n: number,
    c1: number,
    c2: number,
    epsilon: number,
    negLr: number,
  ): void;
  /**
   * A one-input-channel convolution's dW [KH·KW × Co] over a zero-bordered x [batch, h, w, 1] (every tap's
   * window inside it), dy [batch, oh, ow, Co], Co a multiple of 4: 4 taps × 8 channels at a time.
   */
  convFilterGradTaps(
    dW: number,
    x: number,
    dy: number,
    batch: number,
    h: number,
    w: number,
    oh: number,
    ow: number,
    co: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    dh: number,
    dw: number,
  ): void;
  /**
   * out [R×N] = x [R×N] ∘ b [N] on every row (out may be x): ∘ is + (op 0), + then max(·, 0) (1), or × (2);
   * wasmRowsOp.ts names them.
   */
  rowsOp(out: number, x: number, b: number, rows: number, n: number, op: number): void;
  /** out [R×N] = (x − mean) · factor + offset on every row, each of those [N]. */
  batchNormRows(out: number, x: number, mean: number, factor: number, offset: number, rows: number, n: number): void;
  /** out [N] = dy [N] · step(y [N]): ReLU's gradient (tfjs's Step then Multiply, in one pass). */
  reluGrad(out: number, dy: number, y: number, n: number): void;
  /** out [N] = the column sums of x [R×N], blocks of float32 sums added in float64. */
  columnSums(out: number, x: number, rows: number, n: number): void;
}

/** A `WebAssembly.Memory`, as far as we use it (the Node typings in use here do not declare the API). */
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** The emscripten module's memory: `wasmMemory` in the threaded build, `asm.memory` in the single-threaded one. */
interface EmscriptenMemory {
  wasmMemory?: WasmMemory;
  asm?: { memory?: WasmMemory };
}

/** The part of the global `WebAssembly` this file uses. */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

let enabled = process.env.STITCH_WASM_SIMD !== 'off';
let winograd = process.env.STITCH_WINOGRAD !== 'off';

/**
 * The most scratch the Winograd kernels may take (16 MiB): they transform a group of images at a time (at least
 * one), so a larger image (or very wide layers) goes to the direct kernels instead.
 */
const WINOGRAD_SCRATCH_LIMIT = 1 << 22;

/**
 * Images the Winograd kernels transform together: enough for their products to have 32 rows or more (an 11×11
 * output has only 9 tiles of 4×4).
 */
function winogradGroup(batch: number, oh: number, ow: number): number {
  const tiles = Math.ceil(oh / 4) * Math.ceil(ow / 4);
  return Math.max(1, Math.min(batch, Math.ceil(32 / tiles)));
}

/**
 * Floats of scratch a Winograd kernel needs: the transformed filter (or the filter gradient's sums), `group`
 * images' transformed inputs and outputs, one image of x (or dx) and one of dy with the zero border their tiles
 * need, and 36 vectors for the transforms (the convolution itself uses all but the dy image).
 */
function winogradScratchFloats(ci: number, co: number, oh: number, ow: number, group: number): number {
  const th = Math.ceil(oh / 4);
  const tw = Math.ceil(ow / 4);
  const bordered = (4 * th + 2) * (4 * tw + 2) * ci + 16 * th * tw * co;
  return 36 * ci * co + 36 * (group * th * tw * (ci + co) + 32) + bordered + 144;
}

/** Turns the Winograd kernels on or off for this process (tests and benchmarks compare with the direct ones). */
export function useWinograd(on: boolean): void {
  winograd = on;
}

/**
 * Whether a convolution (its filter gradient, or with `gradient` 'input' its input gradient) goes to the
 * Winograd kernels: 3×3, stride 1, no dilation, channels in multiples of 4 with at least 8 summed over (the
 * input channels; the output channels for the input gradient: a first layer on 1 or 3 channels is cheap
 * directly), and scratch within the limit.
 */
export function winogradApplies(info: tf.backend_util.Conv2DInfo, gradient: 'input' | null = null): boolean {
  const { inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow } = info;
  const group = winogradGroup(info.batchSize, oh, ow);
  return (
    winograd &&
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    ci % 4 === 0 &&
    co % 4 === 0 &&
    (gradient === 'input' ? co : ci) >= 8 &&
    oh > 0 &&
    ow > 0 &&
    info.inHeight > 0 &&
    info.inWidth > 0 &&
    winogradScratchFloats(ci, co, oh, ow, group) <= WINOGRAD_SCRATCH_LIMIT
  );
}

/**
 * Runs a Winograd kernel for the convolution `info`: 'forward' makes y from x and the filter, 'filter' dW from x
 * and dy, 'input' dx from dy and the filter with its channel axes swapped ([3, 3, Co, Ci]). Its scratch is
 * allocated and freed around the call.
 */
export function runWinograd(
  simd: SimdKernels,
  kind: 'forward' | 'filter' | 'input',
  backend: BackendWasm,
  out: tf.TensorInfo,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): void {
  const { batchSize, inHeight, inWidth, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const kernel = {
    forward: simd.conv2dWinograd,
    filter: simd.convFilterGradWinograd,
    input: simd.conv2dBackpropInputWinograd,
  }[kind];
  const group = winogradGroup(batchSize, oh, ow);
  const scratch = backend.makeOutput([winogradScratchFloats(ci, co, oh, ow, group)], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  const { top, left } = info.padInfo;
  kernel(at(out), at(a), at(b), at(scratch), batchSize, inHeight, inWidth, ci, oh, ow, co, top, left, group);
  backend.disposeData(scratch.dataId);
}

const instances = new WeakMap<WasmMemory, SimdKernels | null>();

/** Turns the SIMD kernels on or off for this process (tests and benchmarks compare both ways). */
export function useWasmSimd(on: boolean): void {
  enabled = on;
}

/** The SIMD kernels bound to `backend`'s memory, or null where they are off or cannot run here. */
export function simdKernels(backend: Pick<BackendWasm, 'wasm'>): SimdKernels | null {
  if (!enabled) return null;
  const module = backend.wasm as unknown as EmscriptenMemory;
  const memory = module.wasmMemory ?? module.asm?.memory;
  if (!memory) return null;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    kernels = instantiate(memory);
    instances.set(memory, kernels);
  }
  return kernels;
}

function instantiate(memory: WasmMemory): SimdKernels | null {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  try {
    const bytes = Buffer.from(shared ? WASM_SIMD_SHARED : WASM_SIMD_SINGLE, 'base64');
    const { Instance, Module } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    return new Instance(new Module(bytes), { env: { memory } }).exports as SimdKernels;
  } catch {
    // No wasm SIMD in this engine: the callers' other paths give the same results.
    return null;
  }
}
