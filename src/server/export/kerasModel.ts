/**
 * Writes the Keras `model.py`: a functional `keras.Model` with the schema's layers under their schema ids
 * (Keras and tfjs share layer semantics, channels-last images and weight layouts), and `load_model(dir)`,
 * which sets each layer's trained weights from weights.safetensors (`<layer id>/<weight>`, tfjs order).
 */
import { schemaGraph } from '../../shared/schema/graph';
import { toPair } from '../../shared/schema/params';
import { MODEL_INPUT_ID, type LayerSpec, type StitchSchema } from '../../shared/schema/types';
import { pyName, type ExportShapes } from './pytorchModel';

const ACTIVATION_NAMES: Record<string, string> = { hardSigmoid: 'hard_sigmoid', linear: 'linear' };

function pyValue(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  if (Array.isArray(value)) return `(${value.map(pyValue).join(', ')}${value.length === 1 ? ',' : ''})`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function args(entries: Record<string, unknown>): string {
  return Object.entries(entries)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${pyValue(v)}`)
    .join(', ');
}

const pairOf = (v: unknown): [number, number] | undefined => (v === undefined ? undefined : toPair(v));
const activation = (v: unknown): string | undefined => (typeof v === 'string' ? (ACTIVATION_NAMES[v] ?? v) : undefined);

function layerCall(layer: LayerSpec, outputShape: number[]): string {
  const name = layer.id;
  const conv = {
    kernel_size: pairOf(layer.kernelSize),
    strides: pairOf(layer.strides),
    padding: layer.padding,
    dilation_rate: pairOf(layer.dilationRate),
    activation: activation(layer.activation),
    use_bias: layer.useBias,
  };
  switch (layer.type) {
    case 'dense':
      return `layers.Dense(${args({ units: layer.units, activation: activation(layer.activation), use_bias: layer.useBias, name })})`;
    case 'conv2d':
      return `layers.Conv2D(${args({ filters: layer.filters, ...conv, name })})`;
    case 'depthwiseConv2d':
      return `layers.DepthwiseConv2D(${args({ ...conv, depth_multiplier: layer.depthMultiplier, name })})`;
    case 'separableConv2d':
      return `layers.SeparableConv2D(${args({ filters: layer.filters, ...conv, depth_multiplier: layer.depthMultiplier, name })})`;
    case 'maxPooling2d':
      return `layers.MaxPooling2D(${args({ pool_size: pairOf(layer.poolSize ?? 2), strides: pairOf(layer.strides), padding: layer.padding, name })})`;
    case 'averagePooling2d':
      return `layers.AveragePooling2D(${args({ pool_size: pairOf(layer.poolSize ?? 2), strides: pairOf(layer.strides), padding: layer.padding, name })})`;
    case 'globalAveragePooling2d':
      return `layers.GlobalAveragePooling2D(${args({ name })})`;
    case 'flatten':
      return `layers.Flatten(${args({ name })})`;
    case 'dropout':
      return `layers.Dropout(${args({ rate: layer.rate ?? 0.5, name })})`;
    case 'batchNormalization':
      return `layers.BatchNormalization(${args({ axis: layer.axis, momentum: layer.momentum, epsilon: layer.epsilon ?? 0.001, center: layer.center, scale: layer.scale, name })})`;
    case 'activation':
      return `layers.Activation(${args({ activation: activation(layer.activation) ?? 'linear', name })})`;
    case 'reshape':
      return `layers.Reshape(${args({ target_shape: outputShape, name })})`;
    case 'add':
      return `layers.Add(${args({ name })})`;
    case 'concatenate':
      return `layers.Concatenate(${args({ axis: layer.axis, name })})`;
    default:
      throw new Error(`layers: "${layer.id}" has type ${String(layer.type)}, which cannot be exported to Keras`);
  }
}

export function kerasModelSource(
  schema: StitchSchema,
  shapes: ExportShapes,
  meta: { classNames: string[] | null; numClasses: number },
): string {
  const graph = schemaGraph(schema);
  const lines = graph.order.map((i) => {
    const layer = schema.layers[i];
    const sources = graph.sources[i].map((s) => (s === MODEL_INPUT_ID ? 'inputs' : pyName(s)));
    const arg = layer.type === 'add' || layer.type === 'concatenate' ? `[${sources.join(', ')}]` : sources[0];
    return `    ${pyName(layer.id)} = ${layerCall(layer, shapes[layer.id])}(${arg})`;
  });
  const last = pyName(schema.layers[schema.layers.length - 1].id);
  return `"""${schema.name ?? 'stitch model'}: exported from Stitch as a Keras model (TensorFlow 2 / Keras 3).

    from model import load_model
    model = load_model()                       # trained weights from weights.safetensors
    probabilities = model.predict(x)           # x: float32 ${JSON.stringify(['N', ...schema.input.shape])} (channels last), scaled as in training
"""
import json
import os
import struct

import numpy as np

try:
    import keras
    from keras import layers
except ImportError:  # TensorFlow's bundled Keras 2
    from tensorflow import keras
    from tensorflow.keras import layers

INPUT_SHAPE = ${pyValue(schema.input.shape)}
NUM_CLASSES = ${meta.numClasses}
CLASS_NAMES = ${meta.classNames ? JSON.stringify(meta.classNames) : 'None'}


def build_model():
    inputs = keras.Input(shape=INPUT_SHAPE, name="input")
${lines.join('\n')}
    return keras.Model(inputs=inputs, outputs=${last}, name=${JSON.stringify((schema.name ?? 'stitch_model').replace(/[^A-Za-z0-9_.-]/g, '_'))})


def _read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        out[name] = np.frombuffer(raw[8 + size + start:8 + size + end], dtype={"F32": np.float32, "I32": np.int32, "U8": np.uint8}[entry["dtype"]]).reshape(entry["shape"])
    return out, header


def load_model(directory=None):
    """The model with its trained weights, each layer's weights in the order tfjs (and Keras) keep them."""
    directory = directory or os.path.dirname(os.path.abspath(__file__))
    model = build_model()
    weights, header = _read_safetensors(os.path.join(directory, "weights.safetensors"))
    names = [n for n in header if n != "__metadata__"]
    for layer in model.layers:
        own = [weights[n] for n in names if n.split("/")[0] == layer.name]
        if own:
            layer.set_weights(own)
    return model


if __name__ == "__main__":
    m = load_model()
    m.summary()
`;
}
