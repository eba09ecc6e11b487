/**
 * Output shapes and parameter counts of every layer type against hand-computed values (the same formulas
 * tf.layers uses; test/server/training/model.test.ts checks them against real tfjs models).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSchema, LAYER_TYPES, type LayerType } from '../../src/shared/schema/index';

interface Layer {
  type: LayerType;
  id?: string;
  inputs?: string[];
  [param: string]: unknown;
}

/** Shape and params of the last layer of a chain on `inputShape`. */
function infer(inputShape: number[], ...layers: Layer[]) {
  const schema = { version: 1, input: { shape: inputShape }, layers: layers.map((l, i) => ({ id: `l${i}`, ...l })) };
  const analysis = analyzeSchema(schema);
  // A model that ends in an image, or a dilated convolution, cannot train (an error), but its shapes are inferred.
  const errors = analysis.problems.filter(
    (p) => p.severity === 'error' && p.code !== 'output-rank' && p.code !== 'untrainable',
  );
  assert.deepEqual(errors, [], 'the schema is valid');
  return analysis.shapes[`l${layers.length - 1}`];
}

const tested = new Set<string>();
const cases: [string, number[], Layer[], number[], number][] = [
  // [what, input shape, layers, expected output shape of the last layer, its params]
  ['dense', [784], [{ type: 'dense', units: 10 }], [10], 784 * 10 + 10],
  ['dense without bias', [784], [{ type: 'dense', units: 10, useBias: false }], [10], 7840],
  ['dense on the last axis of a rank-3 input', [5, 4, 3], [{ type: 'dense', units: 7 }], [5, 4, 7], 3 * 7 + 7],
  ['conv2d valid', [28, 28, 1], [{ type: 'conv2d', filters: 32, kernelSize: 3 }], [26, 26, 32], 9 * 32 + 32],
  [
    'conv2d same, strides 2, [3, 5] kernel, no bias',
    [28, 28, 1],
    [{ type: 'conv2d', filters: 4, kernelSize: [3, 5], strides: 2, padding: 'same', useBias: false }],
    [14, 14, 4],
    3 * 5 * 4,
  ],
  [
    'conv2d dilated',
    [10, 10, 2],
    [{ type: 'conv2d', filters: 3, kernelSize: 3, dilationRate: 2 }],
    [6, 6, 3],
    9 * 2 * 3 + 3,
  ],
  [
    'conv2d strides [2, 3]',
    [17, 13, 3],
    [{ type: 'conv2d', filters: 5, kernelSize: 4, strides: [2, 3] }],
    [7, 4, 5],
    16 * 3 * 5 + 5,
  ],
  [
    'depthwiseConv2d depthMultiplier 2',
    [15, 15, 4],
    [{ type: 'depthwiseConv2d', kernelSize: 3, depthMultiplier: 2 }],
    [13, 13, 8],
    9 * 8 + 8,
  ],
  [
    'depthwiseConv2d same strides 2 no bias',
    [13, 13, 8],
    [{ type: 'depthwiseConv2d', kernelSize: 5, strides: 2, padding: 'same', useBias: false }],
    [7, 7, 8],
    25 * 8,
  ],
  [
    'separableConv2d',
    [7, 7, 8],
    [{ type: 'separableConv2d', filters: 6, kernelSize: 3, depthMultiplier: 3 }],
    [5, 5, 6],
    9 * 8 * 3 + 8 * 3 * 6 + 6,
  ],
  [
    'separableConv2d no bias strides 2',
    [5, 5, 6],
    [{ type: 'separableConv2d', filters: 2, kernelSize: 2, strides: 2, useBias: false }],
    [2, 2, 2],
    4 * 6 + 6 * 2,
  ],
  ['maxPooling2d default (2, strides = poolSize)', [26, 26, 32], [{ type: 'maxPooling2d' }], [13, 13, 32], 0],
  ['maxPooling2d floors odd sizes', [9, 11, 5], [{ type: 'maxPooling2d' }], [4, 5, 5], 0],
  ['maxPooling2d strides 1', [5, 5, 1], [{ type: 'maxPooling2d', poolSize: 3, strides: 1 }], [3, 3, 1], 0],
  [
    'averagePooling2d [2, 1] same',
    [5, 2, 5],
    [{ type: 'averagePooling2d', poolSize: [2, 1], padding: 'same' }],
    [3, 2, 5],
    0,
  ],
  ['globalAveragePooling2d', [5, 5, 64], [{ type: 'globalAveragePooling2d' }], [64], 0],
  ['flatten', [5, 5, 64], [{ type: 'flatten' }], [1600], 0],
  ['dropout', [6, 3], [{ type: 'dropout', rate: 0.5 }], [6, 3], 0],
  ['activation', [6, 3], [{ type: 'activation', activation: 'tanh' }], [6, 3], 0],
  ['batchNormalization (4 per channel)', [4, 5, 5], [{ type: 'batchNormalization' }], [4, 5, 5], 20],
  ['batchNormalization center false', [4, 5, 5], [{ type: 'batchNormalization', center: false }], [4, 5, 5], 15],
  [
    'batchNormalization without center and scale',
    [4, 5, 5],
    [{ type: 'batchNormalization', center: false, scale: false }],
    [4, 5, 5],
    10,
  ],
  ['batchNormalization axis 1 (batch is axis 0)', [6, 3], [{ type: 'batchNormalization', axis: 1 }], [6, 3], 24],
  ['reshape with -1', [784], [{ type: 'reshape', targetShape: [28, -1, 1] }], [28, 28, 1], 0],
  ['reshape to flat', [10, 10, 2], [{ type: 'reshape', targetShape: [-1] }], [200], 0],
  [
    'add',
    [12, 12, 3],
    [
      { id: 'a', type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same' },
      { id: 'b', type: 'conv2d', filters: 8, kernelSize: 1, inputs: ['input'] },
      { type: 'add', inputs: ['a', 'b'] },
    ],
    [12, 12, 8],
    0,
  ],
  [
    'concatenate on the last axis',
    [12, 12, 3],
    [
      { id: 'a', type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same' },
      { id: 'b', type: 'conv2d', filters: 4, kernelSize: 1, inputs: ['input'] },
      { type: 'concatenate', inputs: ['a', 'b', 'input'] },
    ],
    [12, 12, 15],
    0,
  ],
  [
    'concatenate axis 1',
    [12, 12, 3],
    [
      { id: 'a', type: 'conv2d', filters: 3, kernelSize: 1 },
      { type: 'concatenate', axis: 1, inputs: ['a', 'input'] },
    ],
    [24, 12, 3],
    0,
  ],
];

describe('shape inference and parameter counts', () => {
  for (const [what, input, layers, shape, params] of cases) {
    test(what, () => {
      const got = infer(input, ...layers);
      assert.deepEqual(got, { outputShape: shape, params });
      tested.add(layers[layers.length - 1].type);
    });
  }

  test('covers every layer type', () => {
    assert.deepEqual([...tested].sort(), [...LAYER_TYPES].sort());
  });

  test('the model total is the sum over the layers (the Keras MNIST convnet: 34,826)', () => {
    const analysis = analyzeSchema({
      version: 1,
      input: { shape: [28, 28, 1] },
      layers: [
        { id: 'c1', type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu' },
        { id: 'p1', type: 'maxPooling2d', poolSize: 2 },
        { id: 'c2', type: 'conv2d', filters: 64, kernelSize: 3, activation: 'relu' },
        { id: 'p2', type: 'maxPooling2d', poolSize: 2 },
        { id: 'f', type: 'flatten' },
        { id: 'd', type: 'dropout', rate: 0.5 },
        { id: 'out', type: 'dense', units: 10, activation: 'softmax' },
      ],
    });
    assert.equal(analysis.params, 320 + 18496 + 16010);
    assert.deepEqual(analysis.shapes.p2.outputShape, [5, 5, 64]);
    assert.deepEqual(analysis.outputShape, [10]);
  });

  test('params is 0 and later layers have no shape when a layer cannot be inferred', () => {
    const analysis = analyzeSchema({
      version: 1,
      input: { shape: [4, 4, 1] },
      layers: [
        { id: 'a', type: 'conv2d', filters: 2, kernelSize: 5 },
        { id: 'b', type: 'flatten' },
      ],
    });
    assert.equal(analysis.params, 0);
    assert.equal(analysis.shapes.b, undefined);
    assert.equal(analysis.outputShape, null);
    // One problem: the cause, not a cascade.
    assert.deepEqual(
      analysis.problems.map((p) => p.code),
      ['kernel-too-large'],
    );
  });
});
