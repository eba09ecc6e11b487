/**
 * What each named layer outputs for one input, for "see inside" in the panel's test view: feature maps of
 * convolution and pooling layers, dense layers' units. Values are quantized per layer to bytes (0..255
 * between the layer's min and max), which is what a heat map or an image grid shows anyway and keeps a
 * response small. Bounded: at most MAX_ACTIVATION_LAYERS layers and MAX_ACTIVATION_VALUES values in all
 * (docs/server.md, POST /api/infer).
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerActivation } from '../../shared/protocol';

/** The shape moved to the protocol (the panel reads it); re-exported for the server's callers. */
export type { LayerActivation };

export const MAX_ACTIVATION_LAYERS = 16;
/** 28×28×32 (a first MNIST convolution) is 25,088; this admits several such layers. */
export const MAX_ACTIVATION_VALUES = 262_144;

export class ActivationRequestError extends Error {}

/** Checks the request against the model and the bounds before computing anything. */
export function checkActivationRequest(model: tf.LayersModel, ids: readonly string[]): void {
  if (ids.length === 0) return;
  if (ids.length > MAX_ACTIVATION_LAYERS)
    throw new ActivationRequestError(
      `activations: at most ${MAX_ACTIVATION_LAYERS} layers at once (got ${ids.length})`,
    );
  let total = 0;
  for (const id of ids) {
    const layer = model.layers.find((l) => l.name === id && l.getClassName() !== 'InputLayer');
    if (!layer)
      throw new ActivationRequestError(
        `activations: the model has no layer "${id}"; its layers are ${model.layers
          .filter((l) => l.getClassName() !== 'InputLayer')
          .map((l) => l.name)
          .join(', ')}`,
      );
    total += (layer.outputShape as (number | null)[]).slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  }
  if (total > MAX_ACTIVATION_VALUES)
    throw new ActivationRequestError(
      `activations: those layers output ${total.toLocaleString('en-US')} values, more than the ${MAX_ACTIVATION_VALUES.toLocaleString('en-US')} one request may return; ask for fewer layers`,
    );
}

/** Runs `input` ([1, ...inputShape]) through the model and returns the named layers' outputs. */
export async function layerActivations(
  model: tf.LayersModel,
  input: tf.Tensor,
  ids: readonly string[],
): Promise<LayerActivation[]> {
  checkActivationRequest(model, ids);
  if (ids.length === 0) return [];
  const unique = [...new Set(ids)];
  const probe = tf.model({
    inputs: model.inputs,
    outputs: unique.map((id) => model.getLayer(id).output as tf.SymbolicTensor),
  });
  const result = probe.predict(input);
  const tensors = Array.isArray(result) ? result : [result];
  try {
    // Read asynchronously: webgpu has no synchronous read-back under Node (it needs an OffscreenCanvas).
    const values = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
    const byId = new Map(tensors.map((t, i) => [unique[i], quantize(unique[i], t.shape, values[i])]));
    return ids.map((id) => byId.get(id) as LayerActivation);
  } finally {
    for (const t of tensors) t.dispose();
  }
}

function quantize(id: string, shape: number[], values: Float32Array): LayerActivation {
  let min = Infinity,
    max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  // One typed array, no intermediate list: 262,144 values take about a millisecond (the event loop waits).
  const bytes = Buffer.alloc(values.length);
  if (span > 0) for (let i = 0; i < values.length; i++) bytes[i] = Math.round(((values[i] - min) / span) * 255);
  return { id, shape: shape.slice(1), min, max, base64: bytes.toString('base64') };
}
