/**
 * Convolution and dense layers with a bias and ReLU (or no activation), fused while they train.
 *
 * tfjs-layers asks tfjs-core for a fused convolution (or matrix product) with its bias and activation, but
 * tfjs-core fuses ReLU only where no gradient is recorded: while training, such a layer ran three kernels forward
 * (Conv2D, Add, Relu) and ReLU's gradient ran two (Step, Multiply). On the Keras MNIST convnet that is three
 * passes over the first layer's 5.5 MB output a step that only move memory on wasm, and six programs more a step
 * on webgpu, where a small model's step is bound by its dispatches. Without an activation (the original Stitch's
 * models put activations in layers of their own) tfjs-core does fuse, but its custom gradient computes every
 * gradient, the first layer's input gradient too, which nothing uses and which costs as much as its filter's.
 *
 * Here such a layer runs tfjs's FusedConv2D or _FusedMatMul kernel with its bias and ReLU or no activation (every
 * backend has them; ours on wasm, wasmActivation.ts; another activation, e.g. sigmoid or softmax, is applied after
 * it, as tfjs-layers does), and their gradients, registered with tfjs (`registerStitchGradients`),
 * are tfjs's unfused ones (gradients.ts), each computed only where the tape needs it: ReLU's gradient from the output, dz = dy ·
 * step(y), then the convolution's (or product's) two gradients and the bias's sum of dz. ReLU's gradient is one
 * kernel, `StitchReluGrad`, on wasm and webgpu (wasmActivation.ts, webgpuReluGrad.ts); elsewhere it is tfjs's
 * Step and Multiply. tfjs's own gradient of Relu (activation layers) uses it too.
 *
 * The layers are tfjs-layers' Conv2D and Dense otherwise (no bias, dilation, channels first, inputs of another
 * rank or dtype than float32, where tfjs-core casts or refuses) and keep their class names, so saved models load anywhere as plain layers.
 */
import * as tf from '@tensorflow/tfjs';
import { registerStitchGradients } from './gradients';

type Padding = 'same' | 'valid';

/** The activations the fused layers take: ReLU, or none. */
export type FusedActivation = 'relu' | 'linear';

/** activation(conv2d(x, filter) + bias): FusedConv2D, NHWC, no dilation, recorded with the gradient above. */
export function conv2dBias(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  strides: [number, number],
  pad: Padding,
  activation: FusedActivation,
): tf.Tensor4D {
  registerStitchGradients();
  return tf
    .engine()
    .runKernel<tf.Tensor4D>(
      'FusedConv2D',
      { x, filter, bias },
      { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation },
    );
}

/** activation(x · kernel + bias) for x [n, k], kernel [k, units], bias [units]: _FusedMatMul, as above. */
export function denseBias(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  activation: FusedActivation,
): tf.Tensor2D {
  registerStitchGradients();
  const [n, k] = x.shape;
  const units = kernel.shape[1];
  // The kernel takes batches of matrices: one here.
  const product = tf
    .engine()
    .runKernel<tf.Tensor3D>(
      '_FusedMatMul',
      { a: tf.reshape(x, [1, n, k]), b: tf.reshape(kernel, [1, k, units]), bias },
      { transposeA: false, transposeB: false, activation },
    );
  return tf.reshape<tf.Rank.R2>(product, [n, units]);
}

/** A tfjs-layers class that the package does not export by name, from its serialization entry. */
function layerClass(className: string): new (args: tf.serialization.ConfigDict) => tf.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className] as unknown as [
    new (args: tf.serialization.ConfigDict) => tf.layers.Layer,
  ];
  return entry[0];
}

/** What the fused path reads from a Conv2D or Dense layer (tfjs-layers' fields). */
interface LayerFields {
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor } | null;
  bias: tf.LayerVariable | null;
  kernel: tf.LayerVariable;
}

interface ConvFields extends LayerFields {
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
}

/** The one input tensor of a call, or null where there is not exactly one. */
function onlyInput(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | null {
  if (!Array.isArray(inputs)) return inputs;
  return inputs.length === 1 ? inputs[0] : null;
}

/**
 * What the fused kernel takes of a layer with a bias: the bias, and its activation where it is ReLU (else
 * linear, the activation then applied after it: `then`). Null without a bias.
 */
function fusedParts(
  layer: LayerFields,
): { bias: tf.LayerVariable; activation: FusedActivation; then: (y: tf.Tensor) => tf.Tensor } | null {
  if (!layer.bias) return null;
  const name = layer.activation?.getClassName() ?? 'linear';
  if (name === 'relu' || name === 'linear' || !layer.activation) {
    return { bias: layer.bias, activation: name === 'relu' ? 'relu' : 'linear', then: (y) => y };
  }
  const { activation } = layer;
  return { bias: layer.bias, activation: 'linear', then: (y) => activation.apply(y) };
}

/** A fused layer's output: `op` with the layer's bias and fused activation, then any other activation. */
function fusedCall(
  parts: NonNullable<ReturnType<typeof fusedParts>>,
  op: (bias: tf.Tensor1D, activation: FusedActivation) => tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => parts.then(op(parts.bias.read() as tf.Tensor1D, parts.activation)));
}

const Conv2D = layerClass('Conv2D');
const Dense = layerClass('Dense');

class StitchConv2D extends Conv2D {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const layer = this as unknown as ConvFields;
    const x = onlyInput(inputs);
    const parts = fusedParts(layer);
    const fusable =
      x?.rank === 4 &&
      x.dtype === 'float32' &&
      layer.dataFormat === 'channelsLast' &&
      (layer.padding === 'same' || layer.padding === 'valid') &&
      [layer.dilationRate].flat().every((d) => d === 1);
    if (!fusable || !parts) return super.call(inputs, kwargs);
    const kernel = layer.kernel.read() as tf.Tensor4D;
    const strides = layer.strides as [number, number];
    return fusedCall(parts, (bias, activation) =>
      conv2dBias(x as tf.Tensor4D, kernel, bias, strides, layer.padding as Padding, activation),
    );
  }
}

class StitchDense extends Dense {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const layer = this as unknown as LayerFields;
    const x = onlyInput(inputs);
    const parts = fusedParts(layer);
    if (x?.rank !== 2 || x.dtype !== 'float32' || !parts) return super.call(inputs, kwargs);
    // As Dense's own call does (a hook set by setCallHook sees every call).
    (this as unknown as { invokeCallHook(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): void }).invokeCallHook(
      inputs,
      kwargs,
    );
    const kernel = layer.kernel.read() as tf.Tensor2D;
    return fusedCall(parts, (bias, activation) => denseBias(x as tf.Tensor2D, kernel, bias, activation));
  }
}

/** tfjs-layers' Conv2D (`tf.layers.conv2d(args)`), fused with its bias and ReLU or no activation (see above). */
export function stitchConv2d(args: tf.serialization.ConfigDict): tf.layers.Layer {
  return new StitchConv2D(args);
}

/** tfjs-layers' Dense (`tf.layers.dense(args)`), fused with its bias and ReLU or no activation (see above). */
export function stitchDense(args: tf.serialization.ConfigDict): tf.layers.Layer {
  return new StitchDense(args);
}
