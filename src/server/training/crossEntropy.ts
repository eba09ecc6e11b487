/**
 * A classifier's loss head in a few kernels: categorical cross-entropy over a softmax output, its gradient, the
 * accuracy, and softmax's gradient, each one kernel per batch instead of tfjs's chains of small ones.
 *
 * Why: tfjs-layers computes `categoricalCrossentropy` as Sum, Div, ClipByValue, Log, Mul, Sum and Neg, its
 * gradient through every one of them (the clip's alone is GreaterEqual, LessEqual, LogicalAnd, ZerosLike and
 * Select), the accuracy as two ArgMax, Equal and Cast, and softmax's gradient as Mul, Sum, Mul and Sub. On webgpu,
 * where a small model's step is bound by the programs it dispatches, that was about 30 of the Keras convnet's 81
 * a step; on wasm, a dozen kernels around a [64, 10] tensor.
 *
 * The arithmetic is tfjs-layers' own: the output is divided by its row sums, clipped to [ε, 1 − ε] (ε the
 * backend's epsilon, 1e-7), and the loss is −Σ target · log(clipped) per row; the gradient is zero where the clip
 * applies, as tfjs's. Values agree with tfjs's within float32 rounding (test/server/training/crossEntropy.test.ts):
 * the kernels keep intermediate values in registers instead of rounding each op's result to float32 (so where a
 * row's sum squared overflows float32, which no softmax output does, ours stay finite and tfjs's do not).
 *
 * `useFusedLossHead` puts the loss and the accuracy into a compiled model (its saved training config still names
 * tfjs's `categoricalCrossentropy`); the accuracy where it was compiled as `tf.metrics.categoricalAccuracy`, what
 * train.ts passes (`metrics: ['accuracy']` compiles tfjs-layers' internal function, left as it is). They run
 * where the backend has the kernels (cpu and wasm here, webgpu in webgpuCrossEntropy.ts, rows of at most
 * WEBGPU_MAX_CLASSES there), and tfjs's own functions run everywhere else (the native `tensorflow` backend).
 */
import * as tf from '@tensorflow/tfjs';
import { registeredHere } from './gradients';
import { hostFloat32, hostFloats, type HostBackend } from './hostKernels';

/** Per row: −Σ target · log(clip(output / Σ output, ε, 1 − ε)). Inputs `target`, `output` [rows, classes]. */
export const CROSS_ENTROPY_KERNEL = 'StitchCrossEntropy';
/** The loss's gradient with respect to `output`, for `dy` [rows] (the loss's upstream gradient). */
export const CROSS_ENTROPY_GRAD_KERNEL = 'StitchCrossEntropyGrad';
/** Per row: 1 where the output's first largest value is at the target's, else 0 (tfjs's categoricalAccuracy). */
export const ACCURACY_KERNEL = 'StitchCategoricalAccuracy';
/** Softmax's gradient along the last axis: dy · y − y · Σ(dy · y), for y softmax's output. */
export const SOFTMAX_GRAD_KERNEL = 'StitchSoftmaxGrad';

type LossOrMetric = (target: tf.Tensor, output: tf.Tensor) => tf.Tensor;

/** The clip's bounds as float32, as tfjs's gradient compares them (its forward pass gives the same for float32 q). */
export function clipBounds(epsilon: number): [number, number] {
  return [Math.fround(epsilon), Math.fround(1 - epsilon)];
}

// The row arithmetic on the CPU backends (cpu, wasm); webgpuCrossEntropy.ts has it in WGSL.

function crossEntropyRows(target: Float32Array, output: Float32Array, cols: number, epsilon: number): Float32Array {
  const rows = cols === 0 ? 0 : output.length / cols;
  const [low, high] = clipBounds(epsilon);
  const loss = new Float32Array(rows);
  for (let r = 0, at = 0; r < rows; r++, at += cols) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += output[at + j];
    sum = Math.fround(sum);
    let value = 0;
    for (let j = 0; j < cols; j++) {
      const q = Math.fround(output[at + j] / sum);
      // NaN stays NaN, as tfjs's clip leaves it on cpu and webgpu (wasm's makes it a bound): a NaN loss, which
      // the training loop reports as such.
      const clipped = q < low ? low : q > high ? high : q;
      value -= target[at + j] * Math.fround(Math.log(clipped));
    }
    loss[r] = value;
  }
  return loss;
}

function crossEntropyGradRows(
  dy: Float32Array,
  target: Float32Array,
  output: Float32Array,
  cols: number,
  epsilon: number,
): Float32Array {
  const [low, high] = clipBounds(epsilon);
  const grad = new Float32Array(output.length);
  const dq = new Float64Array(cols);
  for (let r = 0, at = 0; r < dy.length; r++, at += cols) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += output[at + j];
    sum = Math.fround(sum);
    // dq: the gradient at the normalized output, zero where the clip applies; through the division, each value
    // gets dq / sum, and all of them −Σ dq · output / sum² (the sum's share).
    let shared = 0;
    for (let j = 0; j < cols; j++) {
      const q = Math.fround(output[at + j] / sum);
      dq[j] = q >= low && q <= high ? (-dy[r] * target[at + j]) / q : 0;
      shared -= (dq[j] * output[at + j]) / (sum * sum);
    }
    for (let j = 0; j < cols; j++) grad[at + j] = dq[j] / sum + shared;
  }
  return grad;
}

/** The index of the first largest value of a row, as tfjs's ArgMax on the CPU backends (NaN never replaces one). */
function argMax(values: Float32Array, at: number, cols: number): number {
  let best = 0;
  for (let j = 1; j < cols; j++) if (values[at + j] > values[at + best]) best = j;
  return best;
}

function accuracyRows(target: Float32Array, output: Float32Array, cols: number): Float32Array {
  const rows = cols === 0 ? 0 : output.length / cols;
  const hits = new Float32Array(rows);
  for (let r = 0, at = 0; r < rows; r++, at += cols) {
    hits[r] = argMax(target, at, cols) === argMax(output, at, cols) ? 1 : 0;
  }
  return hits;
}

function softmaxGradRows(dy: Float32Array, y: Float32Array, cols: number): Float32Array {
  const grad = new Float32Array(y.length);
  for (let at = 0; at < y.length; at += cols) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.fround(dy[at + j] * y[at + j]);
    sum = Math.fround(sum);
    for (let j = 0; j < cols; j++) grad[at + j] = Math.fround(dy[at + j] * y[at + j]) - sum * y[at + j];
  }
  return grad;
}

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs: tf.NamedAttrMap;
}

const cols = (info: tf.TensorInfo) => info.shape[info.shape.length - 1];
const rowsShape = (info: tf.TensorInfo) => info.shape.slice(0, -1);

const HOST_KERNELS: Record<string, (args: KernelArgs) => tf.TensorInfo> = {
  [CROSS_ENTROPY_KERNEL]: ({ inputs, backend, attrs }) => {
    const host = backend as HostBackend;
    const { target, output } = inputs as Record<string, tf.TensorInfo>;
    const loss = crossEntropyRows(
      hostFloats(host, target),
      hostFloats(host, output),
      cols(output),
      attrs.epsilon as number,
    );
    return hostFloat32(host, rowsShape(output), loss);
  },
  [CROSS_ENTROPY_GRAD_KERNEL]: ({ inputs, backend, attrs }) => {
    const host = backend as HostBackend;
    const { dy, target, output } = inputs as Record<string, tf.TensorInfo>;
    const grad = crossEntropyGradRows(
      hostFloats(host, dy),
      hostFloats(host, target),
      hostFloats(host, output),
      cols(output),
      attrs.epsilon as number,
    );
    return hostFloat32(host, output.shape, grad);
  },
  [ACCURACY_KERNEL]: ({ inputs, backend }) => {
    const host = backend as HostBackend;
    const { target, output } = inputs as Record<string, tf.TensorInfo>;
    const hits = accuracyRows(hostFloats(host, target), hostFloats(host, output), cols(output));
    return hostFloat32(host, rowsShape(output), hits);
  },
  [SOFTMAX_GRAD_KERNEL]: ({ inputs, backend }) => {
    const host = backend as HostBackend;
    const { dy, y } = inputs as Record<string, tf.TensorInfo>;
    return hostFloat32(host, y.shape, softmaxGradRows(hostFloats(host, dy), hostFloats(host, y), cols(y)));
  },
};

/**
 * On webgpu every value's invocation reads its whole row (webgpuCrossEntropy.ts), rows × classes² reads: wider rows
 * than this take tfjs's kernels there (a 10-class head is 6× faster fused on SwiftShader, a 2,048-class one 130×
 * slower).
 */
export const WEBGPU_MAX_CLASSES = 256;

function narrowEnough(classes: number): boolean {
  return classes <= WEBGPU_MAX_CLASSES || tf.getBackend() !== 'webgpu';
}

/** What the fused kernels take: float32 [rows, classes] of one shape, on a backend that has them. */
function fits(target: tf.Tensor, output: tf.Tensor, kernel: string): boolean {
  return (
    output.rank === 2 &&
    output.shape[1] !== 0 &&
    narrowEnough(output.shape[1] ?? 0) &&
    target.dtype === 'float32' &&
    output.dtype === 'float32' &&
    tf.util.arraysEqual(target.shape, output.shape) &&
    registeredHere(kernel)
  );
}

/** tfjs-layers' categoricalCrossentropy (per row), in one kernel where the backend has it, else `fallback`. */
export function fusedCrossEntropy(fallback: LossOrMetric): LossOrMetric {
  return (target, output) =>
    fits(target, output, CROSS_ENTROPY_KERNEL)
      ? tf.engine().runKernel<tf.Tensor>(CROSS_ENTROPY_KERNEL, { target, output }, { epsilon: tf.backend().epsilon() })
      : fallback(target, output);
}

/** tfjs's categoricalAccuracy (per row), in one kernel where the backend has it. */
const fusedCategoricalAccuracy: LossOrMetric = (target, output) =>
  fits(target, output, ACCURACY_KERNEL)
    ? tf.engine().runKernel<tf.Tensor>(ACCURACY_KERNEL, { target, output }, {})
    : tf.metrics.categoricalAccuracy(target, output);

/** The fused version of a metric where there is one (tfjs's categoricalAccuracy), else the metric itself. */
export function fusedMetric(metric: LossOrMetric): LossOrMetric {
  return metric === tf.metrics.categoricalAccuracy ? fusedCategoricalAccuracy : metric;
}

/** The parts of a compiled tf.LayersModel this replaces (tfjs-layers keeps them protected). */
interface CompiledModel {
  loss: unknown;
  lossFunctions: LossOrMetric[];
  metricsTensors: [LossOrMetric, number][];
}

/**
 * Makes a compiled model's categorical cross-entropy and categorical accuracy the fused ones (train steps and
 * evaluation both read them from the model). Other losses and metrics stay tfjs's. Returns whether it did.
 */
export function useFusedLossHead(model: tf.LayersModel): boolean {
  // A Sequential compiles the LayersModel it wraps.
  const compiled = (model instanceof tf.Sequential
    ? (model as unknown as { model: tf.LayersModel }).model
    : model) as unknown as CompiledModel;
  if (compiled.loss !== 'categoricalCrossentropy' || compiled.lossFunctions.length !== 1) return false;
  compiled.lossFunctions[0] = fusedCrossEntropy(compiled.lossFunctions[0]);
  for (const entry of compiled.metricsTensors) entry[0] = fusedMetric(entry[0]);
  return true;
}

/** softmax's gradient along the last axis in one kernel where the backend has it, else tfjs's four. */
export function softmaxGrad(dy: tf.Tensor, y: tf.Tensor, dim: number): tf.Tensor {
  const last = dim === -1 || dim === y.rank - 1;
  const kernel =
    last &&
    y.dtype === 'float32' &&
    dy.dtype === 'float32' &&
    narrowEnough(y.shape[y.rank - 1]) &&
    registeredHere(SOFTMAX_GRAD_KERNEL);
  if (kernel && tf.util.arraysEqual(dy.shape, y.shape) && y.size > 0)
    return tf.engine().runKernel<tf.Tensor>(SOFTMAX_GRAD_KERNEL, { dy, y }, {});
  const dyTimesY = tf.mul(dy, y);
  return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
}

/** The cross-entropy kernel's gradient: ours for the output, −dy · log(clipped) for the target. */
const CROSS_ENTROPY_GRADIENT: tf.GradConfig = {
  kernelName: CROSS_ENTROPY_KERNEL,
  inputsToSave: ['target', 'output'],
  gradFunc: (dy, saved, attrs) => {
    const [target, output] = saved;
    const epsilon = attrs.epsilon as number;
    return {
      output: () =>
        tf
          .engine()
          .runKernel<tf.Tensor>(CROSS_ENTROPY_GRAD_KERNEL, { dy: dy as tf.Tensor, target, output }, { epsilon }),
      target: () => {
        const normalized = tf.div(output, tf.sum(output, -1, true));
        const clipped = tf.clipByValue(normalized, epsilon, 1 - epsilon);
        return tf.mul(tf.neg(tf.log(clipped)), tf.expandDims(dy as tf.Tensor, -1));
      },
    };
  },
};

/** tfjs-core's gradient of Softmax, as `softmaxGrad` (one kernel where the backend has it). */
const SOFTMAX_GRADIENT: tf.GradConfig = {
  kernelName: 'Softmax',
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => ({ logits: () => softmaxGrad(dy as tf.Tensor, saved[0], attrs.dim as number) }),
};

let registered = false;

/**
 * Registers the kernels for the cpu and wasm backends and the two gradients (global to tfjs; once). backend.ts
 * calls it when a backend starts; webgpuCrossEntropy.ts registers the webgpu kernels.
 */
export function registerCrossEntropyKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of ['cpu', 'wasm']) {
    for (const [kernelName, kernelFunc] of Object.entries(HOST_KERNELS)) {
      tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
    }
  }
  tf.registerGradient(CROSS_ENTROPY_GRADIENT);
  tf.registerGradient(SOFTMAX_GRADIENT);
}
