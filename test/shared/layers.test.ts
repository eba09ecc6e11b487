/**
 * Validation of layers: types, parameters, values, ids, and layer rules that need shapes (kernel sizes,
 * ranks, reshape sizes). Each failing case asserts the path, the code, the text the range covers and
 * that the message says how to fix it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSchemaText } from '../../src/shared/schema/index';
import { findProblem, schemaObject, text, type Json } from './helpers';

/** A schema with these layers on an input of `shape` (no training block, so only layer rules apply). */
const withLayers = (layers: Json[], shape: number[] = [28, 28, 1]) => text({ version: 1, input: { shape }, layers });

describe('layer types and parameters', () => {
  test('an unknown layer type suggests the closest one', () => {
    const src = withLayers([
      { id: 'c', type: 'Conv2D', filters: 4, kernelSize: 3 },
      { id: 'f', type: 'flatten' },
    ]);
    const { problem, covered } = findProblem(src, 'unknown-layer-type', 'layers[0].type');
    assert.equal(covered, '"Conv2D"');
    assert.equal(problem.suggestion, 'conv2d');
    assert.match(problem.message, /did you mean "conv2d"/);
  });

  test('common other names of layer types are understood (maxPool2d, batchNorm)', () => {
    const src = withLayers([
      { id: 'p', type: 'maxPool2d' },
      { id: 'b', type: 'batchNorm' },
    ]);
    assert.equal(findProblem(src, 'unknown-layer-type', 'layers[0].type').problem.suggestion, 'maxPooling2d');
    assert.equal(findProblem(src, 'unknown-layer-type', 'layers[1].type').problem.suggestion, 'batchNormalization');
  });

  test('a missing type lists the types', () => {
    const src = withLayers([{ id: 'x', units: 3 }]);
    const { problem, covered } = findProblem(src, 'missing-type', 'layers[0].type');
    assert.match(problem.message, /dense, conv2d/);
    assert.match(covered, /^\{/, 'points at the layer object');
  });

  test('an unknown parameter points at the key and suggests the Keras spelling fix', () => {
    const src = withLayers([{ id: 'c', type: 'conv2d', filters: 4, kernel_size: 3 }]);
    const { problem, covered } = findProblem(src, 'unknown-parameter', 'layers[0].kernel_size');
    assert.equal(covered, '"kernel_size"');
    assert.equal(problem.suggestion, 'kernelSize');
    // The right name is suggested once, not also reported as missing.
    const analysis = analyzeSchemaText(src);
    assert.equal(analysis.problems.filter((p) => p.code === 'missing-parameter').length, 0);
  });

  test('a parameter of another layer type says whose it is', () => {
    const src = withLayers([{ id: 'c', type: 'conv2d', filters: 4, kernelSize: 3, units: 10 }]);
    const { problem } = findProblem(src, 'unknown-parameter', 'layers[0].units');
    assert.match(
      problem.message,
      /not a parameter of conv2d \(it is a parameter of dense\); conv2d takes filters, kernelSize/,
    );
  });

  test('inputShape in a layer says to use input.shape', () => {
    const src = withLayers([{ id: 'd', type: 'dense', units: 3, inputShape: [784] }], [784]);
    assert.match(findProblem(src, 'unknown-parameter', 'layers[0].inputShape').problem.message, /"input": \{ "shape"/);
  });

  test('a missing required parameter gives an example; the range is the layer type', () => {
    const src = withLayers([{ id: 'd', type: 'dense', activation: 'relu' }], [4]);
    const { problem, covered } = findProblem(src, 'missing-parameter', 'layers[0].units');
    assert.equal(covered, '"dense"');
    assert.match(problem.message, /dense needs "units".*e\.g\. "units": 64/);
  });

  test('wrong types and out-of-range values say what is allowed', () => {
    const src = withLayers([
      { id: 'c', type: 'conv2d', filters: '32', kernelSize: 3 },
      { id: 'd', type: 'dropout', rate: 1.5 },
      { id: 'e', type: 'conv2d', filters: 2.5, kernelSize: [3, 3, 3], useBias: 'yes' },
    ]);
    const filters = findProblem(src, 'wrong-type', 'layers[0].filters');
    assert.equal(filters.covered, '"32"');
    assert.match(filters.problem.message, /must be an integer ≥ 1, got the string "32"/);
    const rate = findProblem(src, 'out-of-range', 'layers[1].rate');
    assert.equal(rate.covered, '1.5');
    assert.match(rate.problem.message, /≥ 0 and < 1/);
    assert.match(findProblem(src, 'wrong-type', 'layers[2].filters').problem.message, /use 3|use 2/);
    assert.match(findProblem(src, 'wrong-type', 'layers[2].kernelSize').problem.message, /\[rows, cols\]/);
    assert.match(findProblem(src, 'wrong-type', 'layers[2].useBias').problem.message, /true or false/);
  });

  test('an unknown activation suggests the closest', () => {
    const src = withLayers([{ id: 'd', type: 'dense', units: 3, activation: 'Relu' }], [4]);
    const { problem, covered } = findProblem(src, 'invalid-value', 'layers[0].activation');
    assert.equal(covered, '"Relu"');
    assert.equal(problem.suggestion, 'relu');
    assert.match(problem.message, /"softmax"/);
  });
});

describe('layer ids', () => {
  test('missing, duplicate, reserved and malformed ids', () => {
    const src = withLayers([
      { type: 'flatten' },
      { id: 'd', type: 'dense', units: 4 },
      { id: 'd', type: 'dense', units: 4 },
      { id: 'input', type: 'dense', units: 4 },
      { id: 'my layer', type: 'dense', units: 4 },
    ]);
    const missing = findProblem(src, 'missing-id', 'layers[0].id');
    assert.equal(missing.covered, '"flatten"');
    assert.match(missing.problem.message, /add "id": "flatten1"/);
    const dup = findProblem(src, 'duplicate-id', 'layers[2].id');
    assert.equal(dup.covered, '"d"');
    assert.match(dup.problem.message, /already the id of layers\[1\].*"d_2"/);
    assert.equal(dup.problem.suggestion, 'd_2');
    assert.match(findProblem(src, 'reserved-id', 'layers[3].id').problem.message, /names the model input/);
    assert.equal(findProblem(src, 'invalid-id', 'layers[4].id').problem.suggestion, 'my_layer');
  });
});

describe('rules that need shapes', () => {
  test('a kernel larger than its input (the message docs/schema.md describes)', () => {
    const src = withLayers(
      [
        { id: 'c1', type: 'conv2d', filters: 4, kernelSize: 3 },
        { id: 'p1', type: 'maxPooling2d', poolSize: 2 },
        { id: 'c2', type: 'conv2d', filters: 4, kernelSize: 5 },
        { id: 'p2', type: 'maxPooling2d', poolSize: 3 },
        { id: 'c3', type: 'conv2d', filters: 4, kernelSize: 5 },
      ],
      [12, 12, 1],
    );
    // 12 → 10 → 5 → 1 (kernel 5 fits) → pool 3 does not fit in 1×1.
    const pool = findProblem(src, 'kernel-too-large', 'layers[3].poolSize');
    assert.equal(pool.covered, '3');
    assert.equal(pool.problem.message, '3 is larger than the 1×1 input of this layer; use 1 or add padding "same"');

    const spec = withLayers(
      [
        { id: 'c1', type: 'conv2d', filters: 4, kernelSize: 3 },
        { id: 'c2', type: 'conv2d', filters: 4, kernelSize: 5 },
      ],
      [6, 6, 1],
    );
    const { problem, covered } = findProblem(spec, 'kernel-too-large', 'layers[1].kernelSize');
    assert.equal(covered, '5');
    assert.equal(
      `${problem.path}: ${problem.message}`,
      'layers[1].kernelSize: 5 is larger than the 4×4 input of this layer; use 3 or add padding "same"',
    );
  });

  test('a default pool size that does not fit points at the layer type', () => {
    const src = withLayers([{ id: 'p', type: 'maxPooling2d' }], [1, 1, 3]);
    const { covered } = findProblem(src, 'kernel-too-large', 'layers[0].poolSize');
    assert.equal(covered, '"maxPooling2d"');
  });

  test('padding "same" lets a kernel exceed its input', () => {
    const analysis = analyzeSchemaText(
      withLayers([{ id: 'c', type: 'conv2d', filters: 2, kernelSize: 7, padding: 'same' }], [4, 4, 1]),
    );
    assert.deepEqual(
      analysis.problems.filter((p) => p.code !== 'output-rank'),
      [],
    );
    assert.deepEqual(analysis.shapes.c.outputShape, [4, 4, 2]);
  });

  test('strides and dilation together are refused (tfjs cannot)', () => {
    const src = withLayers([{ id: 'c', type: 'conv2d', filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 }]);
    const { covered, problem } = findProblem(src, 'strides-and-dilation', 'layers[0].dilationRate');
    assert.equal(covered, '2');
    assert.match(problem.message, /set one of them to 1/);
  });

  test('a dilated convolution is an error, since tfjs cannot train it (its shapes still show)', () => {
    const src = withLayers([{ id: 'c', type: 'conv2d', filters: 2, kernelSize: 3, dilationRate: [1, 2] }]);
    const { covered, problem } = findProblem(src, 'untrainable', 'layers[0].dilationRate');
    assert.deepEqual(JSON.parse(covered), [1, 2]);
    assert.equal(problem.severity, 'error');
    assert.match(problem.message, /use dilationRate 1/);
    const analysis = analyzeSchemaText(src);
    assert.equal(analysis.valid, false);
    assert.deepEqual(analysis.shapes.c.outputShape, [26, 24, 2]);
    const plain = analyzeSchemaText(
      withLayers([{ id: 'c', type: 'conv2d', filters: 2, kernelSize: 3, dilationRate: 1 }]),
    );
    assert.ok(!plain.problems.some((p) => p.code === 'untrainable'));
  });

  test('conv on a flat input suggests the reshape', () => {
    const src = withLayers([{ id: 'c', type: 'conv2d', filters: 2, kernelSize: 3 }], [784]);
    const { problem, covered } = findProblem(src, 'wrong-rank', 'layers[0].type');
    assert.equal(covered, '"conv2d"');
    assert.match(problem.message, /gets \[784\]; add a reshape layer with "targetShape": \[28, 28, 1\]/);
    const pool = findProblem(withLayers([{ id: 'p', type: 'maxPooling2d' }], [28, 28]), 'wrong-rank', 'layers[0].type');
    assert.match(pool.problem.message, /\[28, 28, 1\]/);
  });

  test('reshape sizes must match', () => {
    const src = withLayers([{ id: 'r', type: 'reshape', targetShape: [28, 28, 2] }], [784]);
    const { problem, covered } = findProblem(src, 'reshape-size', 'layers[0].targetShape');
    assert.equal(covered.replace(/\s/g, ''), '[28,28,2]');
    assert.match(problem.message, /holds 1568 values but the input \[784\] has 784/);
    const inferred = findProblem(
      withLayers([{ id: 'r', type: 'reshape', targetShape: [5, -1] }], [784]),
      'reshape-size',
      'layers[0].targetShape',
    );
    assert.match(inferred.problem.message, /cannot be split/);
    const twice = findProblem(
      withLayers([{ id: 'r', type: 'reshape', targetShape: [-1, -1] }], [784]),
      'invalid-value',
      'layers[0].targetShape',
    );
    assert.match(twice.problem.message, /-1 only once/);
  });

  test('an axis outside the input', () => {
    const src = withLayers([{ id: 'b', type: 'batchNormalization', axis: 4 }]);
    const { problem, covered } = findProblem(src, 'invalid-value', 'layers[0].axis');
    assert.equal(covered, '4');
    assert.match(problem.message, /use -1/);
  });

  test('dense on an image input infers (last axis), but a non-vector output is an error: it cannot train', () => {
    const analysis = analyzeSchemaText(withLayers([{ id: 'd', type: 'dense', units: 10, activation: 'softmax' }]));
    assert.equal(analysis.valid, false);
    assert.deepEqual(analysis.shapes.d.outputShape, [28, 28, 10]);
    const { problem } = findProblem(
      withLayers([{ id: 'd', type: 'dense', units: 10 }]),
      'output-rank',
      'layers[0].type',
    );
    assert.equal(problem.severity, 'error');
    assert.match(problem.message, /add a flatten or globalAveragePooling2d layer/);
  });

  test('all problems are reported at once', () => {
    const src = text(
      schemaObject({
        layers: [
          { id: 'a', type: 'dense', units: -1 },
          { id: 'a', type: 'dense', unit: 4 },
          { id: 'b', type: 'dens' },
        ],
      }),
    );
    const codes = analyzeSchemaText(src)
      .problems.map((p) => p.code)
      .sort();
    assert.deepEqual(codes, ['duplicate-id', 'out-of-range', 'unknown-layer-type', 'unknown-parameter']);
  });
});
