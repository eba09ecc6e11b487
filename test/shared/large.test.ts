/**
 * The 1,000-layer schema used by the bench analyzes correctly (the timing itself is the bench's job).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSchemaText, makeLargeSchema, makeLargeSchemaText } from '../../src/shared/schema/index';

test('makeLargeSchema(1000) has 1,000 layers and analyzes cleanly with the right parameter count', () => {
  const schema = makeLargeSchema(1000);
  assert.equal(schema.layers.length, 1000);
  const analysis = analyzeSchemaText(makeLargeSchemaText(1000));
  assert.deepEqual(analysis.problems, []);
  assert.equal(Object.keys(analysis.shapes).length, 1000);
  // stem dense 2→16, every residual dense 16→16, BN 4·16 each, output 16→2.
  const count = (type: string) => schema.layers.filter((l) => l.type === type).length;
  const denses = count('dense') - 2;
  const expected = 2 * 16 + 16 + denses * (16 * 16 + 16) + count('batchNormalization') * 64 + (16 * 2 + 2);
  assert.equal(analysis.params, expected);
  assert.deepEqual(analysis.outputShape, [2]);
});

test('a problem deep in a large schema is found with its range', () => {
  const source = makeLargeSchemaText(1000).replace(
    '"id": "b300_drop",\n      "type": "dropout",\n      "rate": 0.1',
    '"id": "b300_drop",\n      "type": "dropout",\n      "rate": 2',
  );
  const analysis = analyzeSchemaText(source);
  assert.equal(analysis.problems.length, 1);
  const [problem] = analysis.problems;
  assert.equal(problem.path, `layers[${1 + 300 * 3 + 1}].rate`);
  assert.equal(source.slice(problem.range!.offset, problem.range!.offset + problem.range!.length), '2');
});
