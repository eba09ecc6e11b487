/**
 * Every cap, budget and untrainable case of the schema core (src/shared/schema/limits.ts): each is an
 * error at its path with a message that names the figure and what to change.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACTIVATION_BUDGET_BYTES,
  MAX_CHAIN_DEPTH,
  MAX_ID_LENGTH,
  MAX_INPUTS_PER_LAYER,
  MAX_JSON_DEPTH,
  MAX_LAYERS,
  MAX_PROBLEMS,
  MAX_SCHEMA_TEXT_LENGTH,
  PARAM_BUDGET,
  analyzeSchema,
  analyzeSchemaText,
  toValidateResponse,
} from '../../src/shared/schema/index';
import { findProblem, schemaObject, text, type Json } from './helpers';

const chain = (n: number, extra: Json = {}): Json[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `l${i}`,
    type: i === n - 1 ? 'dense' : 'activation',
    ...(i === n - 1 ? { units: 2, activation: 'softmax' } : { activation: 'relu' }),
    ...extra,
  }));

describe('caps on what a schema may hold', () => {
  test('text over the size cap is refused before parsing, with one problem', () => {
    const big = text(schemaObject({ description: 'x'.repeat(MAX_SCHEMA_TEXT_LENGTH) }));
    const analysis = analyzeSchemaText(big);
    assert.deepEqual(
      analysis.problems.map((p) => p.code),
      ['schema-too-large'],
    );
    assert.match(analysis.problems[0].message, /over the limit of 1,048,576 characters/);
    assert.equal(
      analyzeSchema(schemaObject({ description: 'x'.repeat(MAX_SCHEMA_TEXT_LENGTH) })).problems[0].code,
      'schema-too-large',
    );
  });

  test('nesting deeper than the cap is refused in text (with comments too) and in values, without recursion', () => {
    const deep = 100_000;
    for (const source of [
      '['.repeat(deep) + ']'.repeat(deep),
      `// c\n{ "a": ${'['.repeat(deep)}`,
      '{"x": "[[[[", ' + '{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 2),
    ]) {
      const analysis = analyzeSchemaText(source);
      assert.deepEqual(
        analysis.problems.map((p) => p.code),
        ['too-deep'],
      );
      assert.ok(analysis.problems[0].range, 'points at the bracket that goes too deep');
    }
    let value: unknown = 1;
    for (let i = 0; i < deep; i++) value = [value];
    assert.equal(analyzeSchema({ ...schemaObject(), extra: value }).problems[0].code, 'too-deep');
    // Brackets inside strings do not count.
    assert.equal(analyzeSchemaText(text(schemaObject({ description: '['.repeat(1000) }))).valid, true);
  });

  test('more layers than the cap is one error at layers, and nothing else is checked', () => {
    const analysis = analyzeSchema(schemaObject({ layers: chain(MAX_LAYERS + 1) }));
    assert.deepEqual(
      analysis.problems.map((p) => `${p.code} @ ${p.path}`),
      ['too-many-layers @ layers'],
    );
    assert.match(analysis.problems[0].message, /2,001 layers, more than the 2,000/);
  });

  test('an id longer than the cap is an error at its path, and no message repeats it', () => {
    const long = 'a'.repeat(200_000);
    const analysis = analyzeSchema(
      schemaObject({
        layers: [
          { id: long, type: 'dense', units: 4 },
          { id: 'out', type: 'dense', units: 2, activation: 'softmax', inputs: [long] },
        ],
      }),
    );
    const find = (path: string, code: string) => analysis.problems.find((p) => p.path === path && p.code === code);
    const id = find('layers[0].id', 'invalid-id');
    assert.ok(id, 'invalid-id at layers[0].id');
    assert.match(id.message, /at most 128 characters, this one has 200,000; use a short name, e.g. "a{32}"/);
    assert.match(find('layers[1].inputs[0]', 'unknown-input')?.message ?? '', /"a{32}"… \(200,000 characters\)/);
    // The answer stays small: no message or suggestion carries the long name.
    assert.ok(JSON.stringify(toValidateResponse(analysis)).length < 5_000);
    // At the cap an id is accepted.
    const atCap = 'b'.repeat(MAX_ID_LENGTH);
    const ok = analyzeSchema(
      schemaObject({
        layers: [
          { id: atCap, type: 'dense', units: 4 },
          { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
        ],
      }),
    );
    assert.deepEqual(
      ok.problems.filter((p) => p.severity === 'error'),
      [],
    );
  });

  test('more inputs on one layer than the cap', () => {
    const many = Array.from({ length: MAX_INPUTS_PER_LAYER + 1 }, () => 'input');
    const src = text(
      schemaObject({
        layers: [
          { id: 'm', type: 'concatenate', inputs: many },
          { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
        ],
      }),
    );
    assert.match(
      findProblem(src, 'too-many-inputs', 'layers[0].inputs').problem.message,
      /65 inputs, more than the 64/,
    );
  });

  test('shapes of more than 5 dimensions', () => {
    assert.match(
      findProblem(text(schemaObject({ input: { shape: [1, 1, 1, 1, 1, 2] } })), 'invalid-input-shape', 'input.shape')
        .problem.message,
      /at most 5/,
    );
  });

  test('at most MAX_PROBLEMS problems are listed, then one that counts the rest', () => {
    const layers = Array.from({ length: 500 }, (_, i) => ({ id: `l${i}`, type: 'dense', units: -1 }));
    const analysis = analyzeSchema(schemaObject({ layers }));
    assert.equal(analysis.problems.length, MAX_PROBLEMS + 1);
    const last = analysis.problems[MAX_PROBLEMS];
    assert.equal(last.code, 'too-many-problems');
    assert.match(last.message, /^\d[\d,]* errors more are not listed \(the first 100 are\)/);
    assert.equal(analysis.omitted, Number(/^([\d,]+)/.exec(last.message)?.[1].replace(/,/g, '')));
    assert.equal(toValidateResponse(analysis).errors.length, MAX_PROBLEMS + 1);
  });
});

describe('budgets', () => {
  test('a dense layer over the parameter budget names the layer, the figure and the fix', () => {
    const src = text(
      schemaObject({
        input: { shape: [100000] },
        layers: [{ id: 'big', type: 'dense', units: 10000, activation: 'softmax' }],
        training: undefined,
      }),
    );
    const { problem } = findProblem(src, 'over-budget', 'layers[0]');
    assert.equal(
      problem.message,
      'dense of 1,000 M parameters (4 GB of weights) exceeds the 50 M parameter budget; reduce units',
    );
    assert.equal(PARAM_BUDGET, 50_000_000);
  });

  test('a model over the parameter budget in total points at its largest layer', () => {
    const layers = [
      { id: 'a', type: 'dense', units: 4000 },
      { id: 'b', type: 'dense', units: 4000 },
      { id: 'c', type: 'dense', units: 4000 },
      { id: 'd', type: 'dense', units: 4000 },
      { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
    ];
    const { problem } = findProblem(
      text(schemaObject({ input: { shape: [4000] }, layers })),
      'over-budget',
      'layers[0]',
    );
    assert.match(
      problem.message,
      /^the model has 64 M parameters \(256 MB of weights\), over the 50 M parameter budget; this dense holds the most \(16 M\): reduce units$/,
    );
  });

  test('activations over the budget name the widest layer and the batch size', () => {
    const layers = [
      { id: 'wide', type: 'conv2d', filters: 512, kernelSize: 1 },
      { id: 'gap', type: 'globalAveragePooling2d' },
      { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
    ];
    const src = text(
      schemaObject({ input: { shape: [256, 256, 1] }, layers, training: { dataset: 'spiral', batchSize: 32 } }),
    );
    const { problem, analysis } = findProblem(src, 'over-budget', 'layers[0]');
    assert.match(
      problem.message,
      /activations take 4.3 GB for a batch of 32, over the 1.1 GB activation budget; this conv2d outputs the most, \[256, 256, 512\] per sample/,
    );
    assert.ok((analysis.cost?.activationBytes ?? 0) > ACTIVATION_BUDGET_BYTES);
    // The same model with a small batch fits.
    const small = analyzeSchemaText(
      text(schemaObject({ input: { shape: [256, 256, 1] }, layers, training: { dataset: 'spiral', batchSize: 4 } })),
    );
    assert.ok(!small.problems.some((p) => p.code === 'over-budget'));
  });

  test('the cost of an ordinary model is estimated', () => {
    const analysis = analyzeSchemaText(text(schemaObject()));
    assert.equal(analysis.valid, true);
    assert.deepEqual(analysis.cost, {
      params: 42,
      weightBytes: 168,
      activationBytesPerSample: (2 + 8 + 2) * 4,
      batchSize: 32,
      activationBytes: 12 * 4 * 32,
    });
  });
});

describe('what cannot train is an error at its path', () => {
  test('ids tfjs refuses: a leading "_", "__proto__", and Object.prototype names', () => {
    for (const [id, code] of [
      ['_x', 'invalid-id'],
      ['__proto__', 'invalid-id'],
      ['constructor', 'reserved-id'],
      ['toString', 'reserved-id'],
      ['hasOwnProperty', 'reserved-id'],
    ]) {
      const src = `{ "version": 1, "input": { "shape": [2] }, "layers": [{ "id": ${JSON.stringify(id)}, "type": "dense", "units": 2, "activation": "softmax" }] }`;
      findProblem(src, code, 'layers[0].id');
    }
    assert.equal(
      findProblem(
        text(schemaObject({ layers: [{ id: '_out', type: 'dense', units: 2 }] })),
        'invalid-id',
        'layers[0].id',
      ).problem.suggestion,
      'out',
    );
  });

  test('shapes is a map without a prototype: no id can collide with an inherited member', () => {
    const analysis = analyzeSchemaText(text(schemaObject()));
    assert.equal(Object.getPrototypeOf(analysis.shapes), null);
    assert.equal('toString' in analysis.shapes, false);
  });

  test('flatten on a vector', () => {
    const src = text(
      schemaObject({
        layers: [
          { id: 'f', type: 'flatten' },
          { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
        ],
      }),
    );
    assert.match(
      findProblem(src, 'wrong-rank', 'layers[0].type').problem.message,
      /\[2\] is already a vector; remove this layer/,
    );
  });

  test(`a chain deeper than ${MAX_CHAIN_DEPTH} layers`, () => {
    const analysis = analyzeSchema(schemaObject({ layers: chain(MAX_CHAIN_DEPTH + 5) }));
    const problem = analysis.problems.find((p) => p.code === 'chain-too-deep');
    assert.equal(problem?.path, `layers[${MAX_CHAIN_DEPTH}]`);
    assert.match(problem.message, /1001 layers deep, more than the 1000/);
    assert.equal(analyzeSchema(schemaObject({ layers: chain(MAX_CHAIN_DEPTH) })).valid, true);
  });

  test('a validationSplit that leaves no training sample', () => {
    const src = text(schemaObject({ training: { dataset: 'spiral', maxSamples: 1, validationSplit: 0.1 } }));
    assert.match(
      findProblem(src, 'no-training-samples', 'training.validationSplit').problem.message,
      /holds out 1 of the 1 training samples \(maxSamples gives 1\)/,
    );
    const synthetic = text(
      schemaObject({ training: { dataset: { name: 'spiral', samples: 10 }, validationSplit: 0.95 } }),
    );
    findProblem(synthetic, 'no-training-samples', 'training.validationSplit');
    assert.equal(
      analyzeSchemaText(text(schemaObject({ training: { dataset: 'spiral', maxSamples: 2, validationSplit: 0.5 } })))
        .valid,
      true,
    );
  });

  test('a non-vector output and a dilated convolution are errors', () => {
    const image = text({
      version: 1,
      input: { shape: [8, 8, 1] },
      layers: [{ id: 'c', type: 'conv2d', filters: 2, kernelSize: 3 }],
    });
    assert.equal(findProblem(image, 'output-rank', 'layers[0].type').problem.severity, 'error');
    const dilated = text({
      version: 1,
      input: { shape: [8, 8, 1] },
      layers: [
        { id: 'c', type: 'conv2d', filters: 2, kernelSize: 3, dilationRate: 2 },
        { id: 'g', type: 'globalAveragePooling2d' },
      ],
    });
    assert.equal(findProblem(dilated, 'untrainable', 'layers[0].dilationRate').problem.severity, 'error');
  });
});
