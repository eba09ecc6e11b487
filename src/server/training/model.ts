/**
 * `buildModel(schema)`: a schema (already validated by the schema core) becomes a tfjs model. Pure: no
 * compile, no data, no global state; the same schema and seed give the same weights.
 *
 * A plain list of layers (each consuming the previous one) becomes a `tf.sequential`; any layer that names
 * other sources in `inputs`, or a merge layer, makes it a functional `tf.model` over the same layers. Layer
 * names are the schema ids, so shapes and weights can be matched back to the schema.
 */
import * as tf from '@tensorflow/tfjs';
import { analyzeSchema } from '../../shared/schema/analyze';
import { schemaGraph } from '../../shared/schema/graph';
import {
  MODEL_INPUT_ID,
  TRAINING_DEFAULTS,
  type LayerSpec,
  type LayerType,
  type StitchSchema,
} from '../../shared/schema/types';
import { stitchConv2d, stitchDense } from './fusedLayers';
import { stitchDropout } from './dropout';

type LayerFactory = (config: Record<string, unknown>) => tf.layers.Layer;

/** The tf.layers factory of each schema layer type. */
const FACTORIES: Record<LayerType, LayerFactory> = {
  // tfjs's Dense and Conv2D, with their bias and ReLU fused while training (fusedLayers.ts).
  dense: (c) => stitchDense(c as never),
  conv2d: (c) => stitchConv2d(c as never),
  depthwiseConv2d: (c) => tf.layers.depthwiseConv2d(c as never),
  separableConv2d: (c) => tf.layers.separableConv2d(c as never),
  maxPooling2d: (c) => tf.layers.maxPooling2d(c),
  averagePooling2d: (c) => tf.layers.averagePooling2d(c),
  globalAveragePooling2d: (c) => tf.layers.globalAveragePooling2d(c),
  flatten: (c) => tf.layers.flatten(c),
  // tfjs's Dropout, its training mask from one kernel on every backend of ours (dropout.ts).
  dropout: (c) => stitchDropout(c as never),
  batchNormalization: (c) => tf.layers.batchNormalization(c),
  activation: (c) => tf.layers.activation(c as never),
  reshape: (c) => tf.layers.reshape(c as never),
  add: (c) => tf.layers.add(c),
  concatenate: (c) => tf.layers.concatenate(c),
};

const MERGE_TYPES: ReadonlySet<LayerType> = new Set(['add', 'concatenate']);

/** Initializer parameters of each layer type that draw random numbers, with their tf.layers default. */
const RANDOM_INITIALIZERS: Partial<Record<LayerType, string[]>> = {
  dense: ['kernelInitializer'],
  conv2d: ['kernelInitializer'],
  depthwiseConv2d: ['depthwiseInitializer'],
  separableConv2d: ['depthwiseInitializer', 'pointwiseInitializer'],
};

/** Initializers that accept a seed, by their tfjs config name. */
const SEEDABLE: Record<string, (seed: number) => ReturnType<typeof tf.initializers.glorotUniform>> = {
  glorotUniform: (seed) => tf.initializers.glorotUniform({ seed }),
  glorotNormal: (seed) => tf.initializers.glorotNormal({ seed }),
  heUniform: (seed) => tf.initializers.heUniform({ seed }),
  heNormal: (seed) => tf.initializers.heNormal({ seed }),
  leCunUniform: (seed) => tf.initializers.leCunUniform({ seed }),
  leCunNormal: (seed) => tf.initializers.leCunNormal({ seed }),
  randomUniform: (seed) => tf.initializers.randomUniform({ seed }),
  randomNormal: (seed) => tf.initializers.randomNormal({ seed }),
  truncatedNormal: (seed) => tf.initializers.truncatedNormal({ seed }),
};

/** The tf.layers config of a schema layer: its parameters, its id as name, and seeded initializers. */
function layerConfig(spec: LayerSpec, layerIndex: number, seed: number): Record<string, unknown> {
  const { id, type, inputs: _inputs, ...params } = spec;
  const config: Record<string, unknown> = { ...params, name: id };
  (RANDOM_INITIALIZERS[type] ?? []).forEach((key, k) => {
    const chosen = config[key] ?? 'glorotUniform';
    if (typeof chosen === 'string' && SEEDABLE[chosen]) {
      // Distinct seeds per layer and per weight, derived from the run's seed, so runs are reproducible.
      config[key] = SEEDABLE[chosen](seed + 1009 * (layerIndex + 1) + k);
    }
  });
  return config;
}

function createLayer(
  spec: LayerSpec,
  layerIndex: number,
  seed: number,
  extra: Record<string, unknown> = {},
): tf.layers.Layer {
  const factory = FACTORIES[spec.type];
  if (!factory) throw new Error(`layers[${layerIndex}].type: unknown layer type "${spec.type}"`);
  try {
    return factory({ ...layerConfig(spec, layerIndex, seed), ...extra });
  } catch (err) {
    throw new Error(
      `layers[${layerIndex}] (${spec.id}): tf.layers.${spec.type} rejected its parameters: ${(err as Error).message}`,
    );
  }
}

/** The ids a layer consumes: its `inputs`, or the previous layer (the model input for the first). */
export function sourcesOf(layers: LayerSpec[], index: number): string[] {
  const spec = layers[index];
  if (spec.inputs && spec.inputs.length > 0) return spec.inputs;
  return [index === 0 ? MODEL_INPUT_ID : layers[index - 1].id];
}

/** True when every layer consumes exactly the one before it: a Sequential model. */
export function isChain(schema: StitchSchema): boolean {
  return schema.layers.every((spec, i) => {
    if (MERGE_TYPES.has(spec.type)) return false;
    const sources = sourcesOf(schema.layers, i);
    return sources.length === 1 && sources[0] === (i === 0 ? MODEL_INPUT_ID : schema.layers[i - 1].id);
  });
}

export function buildModel(schema: StitchSchema): tf.LayersModel {
  if (schema.layers.length === 0)
    throw new Error('layers: the model has no layers; add at least one (e.g. a dense output layer)');
  const seed = schema.training?.seed ?? TRAINING_DEFAULTS.seed;
  const inputShape = schema.input.shape;
  schema = withResolvedReshapes(schema);
  const name = schema.name?.replace(/[^A-Za-z0-9_.-]/g, '_') || 'stitch_model';

  if (isChain(schema)) {
    const layers = schema.layers.map((spec, i) => createLayer(spec, i, seed, i === 0 ? { inputShape } : {}));
    return tf.sequential({ layers, name });
  }

  const outputs = new Map<string, tf.SymbolicTensor>();
  const input = tf.input({ shape: inputShape, name: MODEL_INPUT_ID });
  outputs.set(MODEL_INPUT_ID, input);
  // A layer may name a source listed after it (the schema core allows it as long as there is no cycle), so
  // layers are applied in the graph's topological order rather than in list order.
  const graph = schemaGraph(schema);
  for (const i of graph.order) {
    const spec = schema.layers[i];
    const sources = graph.sources[i].map((id) => {
      const tensor = outputs.get(id);
      if (!tensor) throw new Error(`layers[${i}].inputs: "${id}" is not the input or a layer of this model`);
      return tensor;
    });
    const layer = createLayer(spec, i, seed);
    const output = layer.apply(MERGE_TYPES.has(spec.type) ? sources : sources.length === 1 ? sources[0] : sources);
    outputs.set(spec.id, output as tf.SymbolicTensor);
  }
  const last = schema.layers[schema.layers.length - 1].id;
  return tf.model({ inputs: input, outputs: outputs.get(last)!, name });
}

/**
 * tf.layers keeps a `-1` in a reshape's targetShape symbolic, and a dense or conv layer after it then fails
 * to build; the schema core has already inferred the concrete shape, so use that.
 */
function withResolvedReshapes(schema: StitchSchema): StitchSchema {
  if (!schema.layers.some((l) => l.type === 'reshape' && Array.isArray(l.targetShape) && l.targetShape.includes(-1)))
    return schema;
  const { shapes } = analyzeSchema(schema);
  return {
    ...schema,
    layers: schema.layers.map((l) =>
      l.type === 'reshape' && shapes[l.id] ? { ...l, targetShape: [...shapes[l.id].outputShape] } : l,
    ),
  };
}

/** Output shape of each layer by id, without the batch dimension (to compare with the schema core). */
export function layerOutputShapes(model: tf.LayersModel): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const shape = layer.outputShape as (number | null)[];
    shapes[layer.name] = shape.slice(1).map((d) => d ?? -1);
  }
  return shapes;
}
