/**
 * Stitch's gradients, registered with tfjs in place of (or where there is no) tfjs-core's own
 * (`registerStitchGradients`, global to tfjs, once; backend.ts calls it when a backend starts, the fused layers
 * before their first call). The same values as tfjs's, computed with fewer kernels or less memory traffic:
 *
 * - **Relu**: dy · step(x) in one kernel, `StitchReluGrad`, where the backend has one (wasm: wasmActivation.ts;
 *   webgpu: webgpuReluGrad.ts), else tfjs's Step and Multiply.
 * - **Mean**: tfjs-core builds a tensor of ones the size of the input in JS on every call (`ones(x.shape)`),
 *   multiplies dy by it and divides: 20 ms a step for batch normalization's two means over `[64, 28, 28, 32]`
 *   on wasm (examples/fashion-cnn), and an upload of that size a step on webgpu. Here dy / n is tiled to the
 *   input's shape: the same float32 quotients, with one Tile (block copies on wasm, wasmTile.ts).
 * - **FusedConv2D** and **_FusedMatMul**, which tfjs-core leaves without a registered gradient (its fused ops
 *   record a custom one that computes every input's gradient): tfjs's unfused gradients, each computed only where
 *   the tape needs it, for the fused layers (fusedLayers.ts).
 *
 * The loss head's gradients (the cross-entropy kernel's, and Softmax's in place of tfjs-core's) are registered
 * by crossEntropy.ts.
 */
import * as tf from '@tensorflow/tfjs';

/** Whether the current backend has `kernel` (tfjs types the lookup as always found; it is not). */
export function registeredHere(kernel: string): boolean {
  return (tf.getKernel(kernel, tf.getBackend()) as tf.KernelConfig | undefined) !== undefined;
}

/** ReLU's gradient: dy · step(y), for y ReLU's output (or its input: the same steps). */
export const RELU_GRAD_KERNEL = 'StitchReluGrad';

/**
 * dy · step(y) on the current backend: our one kernel where it is registered (for float32 tensors of one shape,
 * what ReLU's gradient always has), else tfjs's two.
 */
export function reluGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const fits = dy.dtype === 'float32' && y.dtype === 'float32' && tf.util.arraysEqual(dy.shape, y.shape);
  if (fits && registeredHere(RELU_GRAD_KERNEL))
    return tf.engine().runKernel<tf.Tensor>(RELU_GRAD_KERNEL, { dy, y }, {});
  return tf.mul(dy, tf.step(y));
}

/**
 * tfjs-core's gradient of Relu (an activation layer's, or ReLU after batch normalization), as `reluGrad`: the
 * same values (dy · step(x), cast to float32), in one kernel where there is one.
 */
const RELU_GRADIENT: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({ x: () => reluGrad(dy as tf.Tensor, saved[0]) }),
};

/** dz from dy for the fused kernels' activations (what the fused layers run: ReLU or none). */
function dyOfActivation(dy: tf.Tensor, y: tf.Tensor, attrs: tf.NamedAttrMap, kernel: string): tf.Tensor {
  const activation = (attrs.activation as string | undefined) ?? 'linear';
  if (activation === 'relu') return reluGrad(dy, y);
  if (activation === 'linear') return dy;
  throw new Error(`${kernel}: no gradient for the fused activation "${activation}" (only relu and linear)`);
}

/** The sum of dz over every axis but the last: a bias's gradient, in the bias's shape. */
function biasGradient(dz: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const axes = Array.from({ length: dz.rank - 1 }, (_, i) => i);
  return tf.reshape(tf.sum(dz, axes), bias.shape);
}

/**
 * FusedConv2D's gradient (tfjs-core has none: its fused op records a custom gradient around the kernel): the
 * gradients of tfjs's unfused Conv2D, Add and Relu (or linear), NHWC, no dilation, with a bias (what the layers
 * below run: without one, tfjs would fail to save it). Each is computed only where the tape asks for it (a first
 * layer's input needs none).
 */
const FUSED_CONV2D_GRADIENT: tf.GradConfig = {
  kernelName: 'FusedConv2D',
  inputsToSave: ['x', 'filter', 'bias'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, bias, y] = saved;
    const dz = dyOfActivation(dy as tf.Tensor, y, attrs, 'FusedConv2D');
    const { strides, pad, dimRoundingMode } = attrs;
    const common = { strides, pad, dimRoundingMode, dataFormat: 'NHWC' };
    return {
      x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: dz, filter }, { ...common, inputShape: x.shape }),
      filter: () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dz }, { ...common, filterShape: filter.shape }),
      bias: () => biasGradient(dz, bias),
    };
  },
};

/** _FusedMatMul's gradient without transposes (a dense layer's product), as for FusedConv2D above. */
const FUSED_MATMUL_GRADIENT: tf.GradConfig = {
  kernelName: '_FusedMatMul',
  inputsToSave: ['a', 'b', 'bias'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    if (attrs.transposeA || attrs.transposeB) throw new Error('_FusedMatMul: no gradient for transposed operands');
    const [a, b, bias, y] = saved;
    const dz = dyOfActivation(dy as tf.Tensor, y, attrs, '_FusedMatMul');
    return {
      a: () => tf.matMul(dz, b, false, true),
      b: () => tf.matMul(a, dz, true, false),
      bias: () => biasGradient(dz, bias),
    };
  },
};

/** Mean's gradient on webgpu in one program (webgpuReduce.ts): dy (in x's rank) / n broadcast to x's shape. */
export const MEAN_GRAD_KERNEL = 'StitchMeanGrad';

/**
 * tfjs-core's gradient of Mean without its tensor of ones: dy / n tiled to x's shape (n the values averaged), the
 * same quotients as tfjs's (dy · 1) / n; one kernel where the backend has it (webgpu: a division, a scalar upload
 * and a Tile otherwise).
 */
const MEAN_GRADIENT: tf.GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dyOut, saved, attrs) => {
    const [x] = saved;
    const dy = dyOut as tf.Tensor;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const count = axes.reduce((n, axis) => n * x.shape[axis], 1);
    const reps = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    const fused = registeredHere(MEAN_GRAD_KERNEL);
    return {
      x: () =>
        fused && dy.dtype === 'float32'
          ? tf.engine().runKernel(MEAN_GRAD_KERNEL, { dy: tf.reshape(dy, kept) }, { shape: x.shape, count })
          : tf.tile(tf.div(tf.reshape(dy, kept), count), reps),
    };
  },
};

let gradientsRegistered = false;

/** Registers the gradients above with tfjs (global to it; once). */
export function registerStitchGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  for (const config of [RELU_GRADIENT, MEAN_GRADIENT, FUSED_CONV2D_GRADIENT, FUSED_MATMUL_GRADIENT]) {
    tf.registerGradient(config);
  }
}
