/**
 * buildModel against the schema core: for every example and every layer type with several options, the
 * built tfjs model has the output shapes and parameter counts that analyzeSchema infers; and every layer
 * type trains on wasm with the same gradients as on cpu.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyzeSchema } from '../../../src/shared/schema/index';
import type { LayerSpec, StitchSchema } from '../../../src/shared/schema/types';
import { selectBackend } from '../../../src/server/training/backend';
import { buildModel, isChain, layerOutputShapes } from '../../../src/server/training/model';
import { createRandom } from '../../../src/server/random';

const examplesDir = join(__dirname, '../../../examples');

function schemaOf(inputShape: number[], layers: LayerSpec[], classes = 3): StitchSchema {
  return {
    version: 1,
    name: 'case',
    input: { shape: inputShape },
    layers: [...layers, { id: 'out', type: 'dense', units: classes, activation: 'softmax' }],
    // A CSV dataset, whose shape and classes the schema core cannot know, so that any input and output are accepted.
    training: { dataset: { csv: 'data.csv', label: 'y' }, seed: 5 },
  };
}

/** Layer types with several option sets each; images are 6×6×2 unless the case says otherwise. */
const IMG = [6, 6, 2];
const CASES: { name: string; schema: StitchSchema }[] = [
  { name: 'dense', schema: schemaOf([5], [{ id: 'd', type: 'dense', units: 4, activation: 'relu' }]) },
  {
    name: 'dense without bias, he init',
    schema: schemaOf(
      [5],
      [{ id: 'd', type: 'dense', units: 7, useBias: false, kernelInitializer: 'heNormal', activation: 'tanh' }],
    ),
  },
  {
    name: 'conv2d',
    schema: schemaOf(IMG, [
      { id: 'c', type: 'conv2d', filters: 3, kernelSize: 3, activation: 'relu' },
      { id: 'f', type: 'flatten' },
    ]),
  },
  {
    name: 'conv2d strided same',
    schema: schemaOf(IMG, [
      { id: 'c', type: 'conv2d', filters: 4, kernelSize: [3, 2], strides: 2, padding: 'same' },
      { id: 'f', type: 'flatten' },
    ]),
  },
  {
    name: 'conv2d no bias',
    schema: schemaOf(
      [7, 7, 1],
      [
        { id: 'c', type: 'conv2d', filters: 2, kernelSize: 2, strides: [2, 1], useBias: false },
        { id: 'f', type: 'flatten' },
      ],
    ),
  },
  {
    name: 'depthwiseConv2d',
    schema: schemaOf(IMG, [
      { id: 'dw', type: 'depthwiseConv2d', kernelSize: 3 },
      { id: 'f', type: 'flatten' },
    ]),
  },
  {
    name: 'depthwiseConv2d multiplier 2, strided same',
    schema: schemaOf(IMG, [
      {
        id: 'dw',
        type: 'depthwiseConv2d',
        kernelSize: 3,
        depthMultiplier: 2,
        strides: 2,
        padding: 'same',
        activation: 'relu',
      },
      { id: 'f', type: 'flatten' },
    ]),
  },
  {
    name: 'separableConv2d',
    schema: schemaOf(IMG, [
      { id: 'sc', type: 'separableConv2d', filters: 4, kernelSize: 3 },
      { id: 'f', type: 'flatten' },
    ]),
  },
  {
    name: 'separableConv2d multiplier 2 same',
    schema: schemaOf(IMG, [
      {
        id: 'sc',
        type: 'separableConv2d',
        filters: 3,
        kernelSize: 3,
        depthMultiplier: 2,
        padding: 'same',
        activation: 'relu',
      },
      { id: 'f', type: 'flatten' },
    ]),
  },
  {
    name: 'maxPooling2d',
    schema: schemaOf(IMG, [
      { id: 'p', type: 'maxPooling2d', poolSize: 2 },
      { id: 'f', type: 'flatten' },
    ]),
  },
  {
    name: 'maxPooling2d overlapping same',
    schema: schemaOf(
      [7, 7, 2],
      [
        { id: 'p', type: 'maxPooling2d', poolSize: 3, strides: 1, padding: 'same' },
        { id: 'f', type: 'flatten' },
      ],
    ),
  },
  {
    name: 'averagePooling2d',
    schema: schemaOf(IMG, [
      { id: 'p', type: 'averagePooling2d', poolSize: 2, strides: 1 },
      { id: 'f', type: 'flatten' },
    ]),
  },
  {
    name: 'averagePooling2d same strided',
    schema: schemaOf(
      [7, 7, 2],
      [
        { id: 'p', type: 'averagePooling2d', poolSize: 3, strides: 2, padding: 'same' },
        { id: 'f', type: 'flatten' },
      ],
    ),
  },
  {
    name: 'globalAveragePooling2d',
    schema: schemaOf(IMG, [
      { id: 'c', type: 'conv2d', filters: 4, kernelSize: 3 },
      { id: 'g', type: 'globalAveragePooling2d' },
    ]),
  },
  { name: 'flatten', schema: schemaOf([3, 4], [{ id: 'f', type: 'flatten' }]) },
  { name: 'flatten of an image', schema: schemaOf(IMG, [{ id: 'f', type: 'flatten' }]) },
  {
    name: 'dropout',
    schema: schemaOf(
      [5],
      [
        { id: 'd', type: 'dense', units: 6 },
        { id: 'drop', type: 'dropout', rate: 0.3 },
      ],
    ),
  },
  {
    name: 'batchNormalization dense',
    schema: schemaOf(
      [5],
      [
        { id: 'd', type: 'dense', units: 6 },
        { id: 'bn', type: 'batchNormalization' },
      ],
    ),
  },
  {
    name: 'batchNormalization conv',
    schema: schemaOf(IMG, [
      { id: 'c', type: 'conv2d', filters: 3, kernelSize: 3 },
      { id: 'bn', type: 'batchNormalization', momentum: 0.9, epsilon: 0.01 },
      { id: 'f', type: 'flatten' },
    ]),
  },
  {
    name: 'activation',
    schema: schemaOf(
      [5],
      [
        { id: 'd', type: 'dense', units: 4 },
        { id: 'a', type: 'activation', activation: 'tanh' },
        { id: 'a2', type: 'activation', activation: 'sigmoid' },
      ],
    ),
  },
  {
    name: 'reshape',
    schema: schemaOf(
      [12],
      [
        { id: 'r', type: 'reshape', targetShape: [2, 3, 2] },
        { id: 'c', type: 'conv2d', filters: 2, kernelSize: 2 },
        { id: 'f', type: 'flatten' },
      ],
    ),
  },
  {
    name: 'reshape with -1, then conv',
    schema: schemaOf(
      [12],
      [
        { id: 'r', type: 'reshape', targetShape: [2, -1, 2] },
        { id: 'c', type: 'conv2d', filters: 2, kernelSize: 2 },
        { id: 'f', type: 'flatten' },
      ],
    ),
  },
  {
    name: 'a layer naming a source listed after it',
    schema: schemaOf(
      [5],
      [
        { id: 'h2', type: 'dense', units: 3, inputs: ['h1'] },
        { id: 'h1', type: 'dense', units: 4, inputs: ['input'] },
        { id: 'cat', type: 'concatenate', inputs: ['h1', 'h2'] },
      ],
    ),
  },
  {
    name: 'add (residual)',
    schema: schemaOf(IMG, [
      { id: 'c1', type: 'conv2d', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' },
      { id: 'sum', type: 'add', inputs: ['input', 'c1'] },
      { id: 'f', type: 'flatten' },
    ]),
  },
  {
    name: 'concatenate (branches)',
    schema: schemaOf(IMG, [
      { id: 'a', type: 'conv2d', filters: 2, kernelSize: 1, inputs: ['input'] },
      { id: 'b', type: 'maxPooling2d', poolSize: 3, strides: 1, padding: 'same', inputs: ['input'] },
      { id: 'cat', type: 'concatenate', inputs: ['a', 'b'] },
      { id: 'f', type: 'flatten' },
    ]),
  },
  {
    name: 'concatenate flat branches on axis -1',
    schema: schemaOf(
      [5],
      [
        { id: 'a', type: 'dense', units: 3 },
        { id: 'b', type: 'dense', units: 2, inputs: ['input'] },
        { id: 'cat', type: 'concatenate', inputs: ['a', 'b', 'input'], axis: -1 },
      ],
    ),
  },
];

function assertMatchesSchemaCore(schema: StitchSchema, label: string): tf.LayersModel {
  const analysis = analyzeSchema(schema);
  const errors = analysis.problems.filter((p) => p.severity === 'error');
  assert.deepEqual(
    errors.map((p) => `${p.path}: ${p.message}`),
    [],
    `${label}: the schema core accepts the schema`,
  );
  const model = buildModel(schema);
  const built = layerOutputShapes(model);
  for (const layer of schema.layers) {
    const inferred = analysis.shapes[layer.id];
    assert.ok(inferred, `${label}: the schema core inferred a shape for ${layer.id}`);
    assert.deepEqual(inferred.outputShape, built[layer.id], `${label}: output shape of ${layer.id}`);
    assert.equal(inferred.params, model.getLayer(layer.id).countParams(), `${label}: parameters of ${layer.id}`);
  }
  assert.equal(analysis.params, model.countParams(), `${label}: total parameters`);
  return model;
}

before(async () => {
  await selectBackend('wasm');
});

describe('buildModel matches the schema core', () => {
  const examples = readdirSync(examplesDir)
    .filter((f) => f.endsWith('.stitch.json'))
    .sort();
  test('there are examples to check', () => assert.ok(examples.length >= 3));
  for (const file of examples) {
    test(`example ${file}`, () => {
      const schema = JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) as StitchSchema;
      const model = assertMatchesSchemaCore(schema, file);
      assert.equal(model.getClassName(), isChain(schema) ? 'Sequential' : 'Model');
      model.dispose();
    });
  }
  for (const c of CASES) {
    test(`layer case: ${c.name}`, () => {
      assertMatchesSchemaCore(c.schema, c.name).dispose();
    });
  }
});

describe('buildModel', () => {
  test('chains become Sequential, graphs Functional; layer names are the schema ids', () => {
    const chain = buildModel(CASES[0].schema);
    assert.equal(chain.getClassName(), 'Sequential');
    assert.deepEqual(
      chain.layers.map((l) => l.name),
      ['d', 'out'],
    );
    const graph = buildModel(CASES.find((c) => c.name.startsWith('add'))!.schema);
    assert.equal(graph.getClassName(), 'Model');
    assert.ok(graph.getLayer('sum'));
    tf.dispose([chain, graph] as never);
  });

  test('the same seed gives the same initial weights, another seed other weights', () => {
    const schema = CASES.find((c) => c.name === 'separableConv2d')!.schema;
    const weights = (s: StitchSchema) => {
      const model = buildModel(s);
      const values = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      return values;
    };
    assert.deepEqual(weights(schema), weights(schema));
    assert.notDeepEqual(weights(schema), weights({ ...schema, training: { ...schema.training!, seed: 6 } }));
  });
});

describe('every layer type trains on wasm with the gradients of cpu', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const shape = c.schema.input.shape;
      const size = shape.reduce((a, b) => a * b, 1);
      const rand = createRandom(11);
      const xValues = Float32Array.from({ length: 4 * size }, () => rand() * 2 - 1);
      const target = Float32Array.from({ length: 4 * 3 }, (_, i) => (i % 3 === 0 ? 1 : 0));
      // Dropout draws random masks in training mode; compare it in inference mode, everything else training.
      const training = !c.schema.layers.some((l) => l.type === 'dropout');
      const gradsOn = async (backend: string) => {
        await tf.setBackend(backend);
        const model = buildModel(c.schema);
        const x = tf.tensor(xValues, [4, ...shape]);
        const y = tf.tensor2d(target, [4, 3]);
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training }) as tf.Tensor) as tf.Scalar,
        );
        // Variable names get per-process suffixes (kernel_6), so gradients are listed in weight order.
        const ordered = model.trainableWeights.map(
          (w) => [w.originalName, Array.from(grads[(w.read() as tf.Variable).name]?.dataSync() ?? [])] as const,
        );
        const result = { loss: value.dataSync()[0], grads: ordered };
        tf.dispose([x, y, value, ...Object.values(grads)]);
        model.dispose();
        return result;
      };
      const cpu = await gradsOn('cpu');
      const wasm = await gradsOn('wasm');
      assert.ok(Math.abs(cpu.loss - wasm.loss) < 1e-4, `loss ${wasm.loss} on wasm, ${cpu.loss} on cpu`);
      assert.equal(wasm.grads.length, cpu.grads.length);
      for (const [i, [name, expected]] of cpu.grads.entries()) {
        const actual = wasm.grads[i][1];
        assert.ok(expected.length > 0 && actual.length === expected.length, `gradient for ${name} on both backends`);
        const scale = Math.max(1e-3, ...expected.map(Math.abs));
        expected.forEach((e, i) =>
          assert.ok(Math.abs(actual[i] - e) <= 2e-3 * scale + 1e-5, `${name}[${i}]: ${actual[i]} on wasm, ${e} on cpu`),
        );
      }
    });
  }
});
