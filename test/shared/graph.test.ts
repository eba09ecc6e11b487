/**
 * The layer graph: `inputs`, merge layers, forward references, cycles and unreachable layers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSchemaText, schemaGraph } from '../../src/shared/schema/index';
import { findProblem, text, type Json } from './helpers';

const withLayers = (layers: Json[], shape: number[] = [8, 8, 3]) => text({ version: 1, input: { shape }, layers });

describe('the layer graph', () => {
  test('an unknown id in inputs suggests the closest id', () => {
    const src = withLayers([
      { id: 'conv1', type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same' },
      { id: 'sum', type: 'add', inputs: ['conv1', 'inptu'] },
    ]);
    const { problem, covered } = findProblem(src, 'unknown-input', 'layers[1].inputs[1]');
    assert.equal(covered, '"inptu"');
    assert.equal(problem.suggestion, 'input');
  });

  test('merge layers need two or more inputs; other layers exactly one', () => {
    const src = withLayers([
      { id: 'a', type: 'conv2d', filters: 3, kernelSize: 1 },
      { id: 'sum', type: 'add' },
      { id: 'b', type: 'conv2d', filters: 3, kernelSize: 1, inputs: ['a', 'sum'] },
      { id: 'cat', type: 'concatenate', inputs: [] },
    ]);
    const add = findProblem(src, 'input-count', 'layers[1].inputs');
    assert.equal(add.covered, '"add"', 'a missing key points at the layer type');
    assert.match(add.problem.message, /add combines two or more layers: list them, e\.g\. "inputs": \["a", "input"\]/);
    const conv = findProblem(src, 'input-count', 'layers[2].inputs');
    assert.match(conv.problem.message, /exactly one input but "inputs" names 2; .*add or concatenate/);
    assert.equal(conv.covered.replace(/\s/g, ''), '["a","sum"]');
    findProblem(src, 'input-count', 'layers[3].inputs');
  });

  test('add needs equal shapes and says how to get them', () => {
    const src = withLayers([
      { id: 'a', type: 'conv2d', filters: 4, kernelSize: 3 },
      { id: 'b', type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', inputs: ['input'] },
      { id: 'sum', type: 'add', inputs: ['a', 'b'] },
    ]);
    const { problem, covered } = findProblem(src, 'shape-mismatch', 'layers[2].inputs');
    assert.equal(covered.replace(/\s/g, ''), '["a","b"]');
    assert.match(problem.message, /\[6, 6, 4\] from "a", \[8, 8, 4\] from "b"; give convolutions padding "same"/);
  });

  test('concatenate needs equal sizes off its axis', () => {
    const src = withLayers([
      { id: 'a', type: 'conv2d', filters: 4, kernelSize: 3 },
      { id: 'cat', type: 'concatenate', inputs: ['a', 'input'] },
    ]);
    assert.match(
      findProblem(src, 'shape-mismatch', 'layers[1].inputs').problem.message,
      /along axis -1 needs the other sizes to match/,
    );
    const ranks = withLayers([
      { id: 'f', type: 'flatten' },
      { id: 'cat', type: 'concatenate', inputs: ['f', 'input'] },
    ]);
    assert.match(findProblem(ranks, 'shape-mismatch', 'layers[1].inputs').problem.message, /same rank/);
  });

  test('naming a later layer is fine when there is no cycle', () => {
    const analysis = analyzeSchemaText(
      withLayers([
        { id: 'sum', type: 'add', inputs: ['b', 'a'] },
        { id: 'a', type: 'conv2d', filters: 3, kernelSize: 1, inputs: ['input'] },
        { id: 'b', type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', inputs: ['input'] },
        { id: 'out', type: 'globalAveragePooling2d', inputs: ['sum'] },
      ]),
    );
    assert.deepEqual(analysis.problems, []);
    assert.deepEqual(analysis.outputShape, [3]);
    assert.ok(analysis.schema);
    const { order, sources } = schemaGraph(analysis.schema);
    assert.deepEqual(sources, [['b', 'a'], ['input'], ['input'], ['sum']]);
    assert.ok(order.indexOf(0) > order.indexOf(1) && order.indexOf(0) > order.indexOf(2), 'sources are built first');
  });

  test('a cycle is reported once, at the forward reference, with the chain', () => {
    const src = withLayers([
      { id: 'a', type: 'conv2d', filters: 3, kernelSize: 1 },
      { id: 'b', type: 'add', inputs: ['a', 'c'] },
      { id: 'c', type: 'conv2d', filters: 3, kernelSize: 1 },
      { id: 'out', type: 'flatten', inputs: ['c'] },
    ]);
    const { problem, covered, analysis } = findProblem(src, 'cycle', 'layers[1].inputs[1]');
    assert.equal(covered, '"c"');
    assert.match(problem.message, /"b" ← "c" ← "b"/);
    assert.match(problem.message, /remove "c" from these inputs/);
    assert.equal(analysis.problems.filter((p) => p.code === 'cycle').length, 1);
    assert.equal(analysis.shapes.out, undefined, 'no shapes behind a cycle');
  });

  test('a layer that names itself is a cycle', () => {
    const src = withLayers([{ id: 'a', type: 'add', inputs: ['a', 'input'] }]);
    findProblem(src, 'cycle', 'layers[0].inputs[0]');
  });

  test('a layer that does not feed the output is unreachable', () => {
    const src = withLayers([
      { id: 'a', type: 'conv2d', filters: 3, kernelSize: 1 },
      { id: 'dead', type: 'conv2d', filters: 3, kernelSize: 1, inputs: ['input'] },
      { id: 'out', type: 'flatten', inputs: ['a'] },
    ]);
    const { problem, covered } = findProblem(src, 'unreachable', 'layers[1].id');
    assert.equal(covered, '"dead"');
    assert.match(
      problem.message,
      /does not feed the output layer "out" \(the last layer\); use it in a later layer's "inputs" or remove it/,
    );
  });
});
