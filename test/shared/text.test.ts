/**
 * Text handling: JSON syntax errors with their ranges, comments, top-level keys, the `toValidateResponse`
 * body, and offset ↔ position conversion.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSchema, analyzeSchemaText, toValidateResponse } from '../../src/shared/schema/index';
import { LineIndex, offsetToPosition, positionToOffset } from '../../src/shared/text';
import { findProblem, schemaObject, text } from './helpers';

describe('parsing text', () => {
  test('a syntax error has a range and says what is expected', () => {
    const src = '{\n  "version": 1\n  "input": { "shape": [2] }\n}';
    const analysis = analyzeSchemaText(src);
    assert.equal(analysis.valid, false);
    assert.equal(analysis.schema, null);
    const [problem] = analysis.problems;
    assert.equal(problem.code, 'json-syntax');
    assert.match(problem.message, /expected "," between items/);
    assert.deepEqual(offsetToPosition(src, problem.range!.offset), { line: 2, character: 2 });
  });

  test('an empty file', () => {
    const analysis = analyzeSchemaText('');
    assert.equal(analysis.problems[0].code, 'json-syntax');
  });

  test('comments are allowed (docs/schema.md accepts them) and ranges still point right', () => {
    const src =
      '{\n  // the model\n  "version": 1,\n  "input": { "shape": [2] }, /* one sample */\n  "layers": [{ "id": "out", "type": "dense", "units": 0 }]\n}';
    const { covered } = findProblem(src, 'out-of-range', 'layers[0].units');
    assert.equal(covered, '0');
  });

  test('analyzeSchema works on values, without ranges', () => {
    const analysis = analyzeSchema(schemaObject({ version: 2 }));
    const problem = analysis.problems.find((p) => p.code === 'unsupported-version');
    assert.ok(problem);
    assert.equal(problem.range, null);
    assert.deepEqual(problem.segments, ['version']);
  });

  test('the root must be an object', () => {
    const analysis = analyzeSchemaText('[1, 2]');
    assert.equal(analysis.problems[0].code, 'not-an-object');
  });

  test('top level: missing input, bad shape, unknown keys, version', () => {
    const noInput = findProblem(text({ version: 1, layers: [{ id: 'a', type: 'flatten' }] }), 'missing-input', 'input');
    assert.match(noInput.problem.message, /add "input": \{ "shape"/);
    const shape = findProblem(text(schemaObject({ input: { shape: [28, 0] } })), 'invalid-input-shape', 'input.shape');
    assert.match(shape.problem.message, /positive integers/);
    const typo = findProblem(text(schemaObject({ trainig: {} })), 'unknown-property', 'trainig');
    assert.equal(typo.covered, '"trainig"');
    assert.equal(typo.problem.suggestion, 'training');
    assert.equal(typo.problem.severity, 'warning');
    const { version: _drop, ...rest } = schemaObject();
    const missing = findProblem(text(rest), 'missing-version', 'version');
    assert.equal(missing.problem.severity, 'warning');
    assert.match(missing.problem.message, /"version": 1/);
    const noLayers = findProblem(text(schemaObject({ layers: [] })), 'missing-layers', 'layers');
    assert.equal(noLayers.covered, '[]');
  });

  test('toValidateResponse keeps errors only, with path and message', () => {
    const analysis = analyzeSchemaText(
      text(schemaObject({ extra: 1, layers: [{ id: 'out', type: 'dense', units: 'two' }] })),
    );
    const body = toValidateResponse(analysis);
    assert.equal(body.valid, false);
    assert.deepEqual(body.errors, [
      { path: 'layers[0].units', message: 'must be an integer ≥ 1, got the string "two"' },
    ]);
    const good = toValidateResponse(analyzeSchemaText(text(schemaObject())));
    assert.deepEqual(good, {
      valid: true,
      errors: [],
      shapes: { h1: { outputShape: [8], params: 24 }, out: { outputShape: [2], params: 18 } },
      params: 42,
    });
  });
});

describe('offsets and positions', () => {
  const src = 'ab\ncd\r\nef\rg';
  test('offsetToPosition handles \\n, \\r\\n and \\r', () => {
    assert.deepEqual(offsetToPosition(src, 0), { line: 0, character: 0 });
    assert.deepEqual(offsetToPosition(src, 4), { line: 1, character: 1 });
    assert.deepEqual(offsetToPosition(src, 7), { line: 2, character: 0 });
    assert.deepEqual(offsetToPosition(src, 10), { line: 3, character: 0 });
    assert.deepEqual(offsetToPosition(src, 999), { line: 3, character: 1 }, 'clamped to the end');
  });

  test('positionToOffset inverts it', () => {
    const index = new LineIndex(src);
    for (let offset = 0; offset <= src.length; offset++) {
      const pos = index.positionAt(offset);
      if (src[offset - 1] === '\r' && src[offset] === '\n') continue; // between \r and \n is not a position
      assert.equal(positionToOffset(src, pos), offset);
    }
  });
});
