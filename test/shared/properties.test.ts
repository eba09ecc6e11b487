/**
 * Property-based tests of the schema core (fast-check): random and mutated schemas never make it throw,
 * its problems are well-formed and bounded, and every analysis stays linear: the hostile shapes that froze
 * the server (shared ids, unknown inputs, cycles, long chains, many keys, deep nesting) are timed at n and
 * at 10·n in the same test, and the ratio must stay far below the 100 of a quadratic check.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  MAX_LAYERS,
  MAX_PROBLEMS,
  analyzeSchema,
  analyzeSchemaText,
  toValidateResponse,
  type Analysis,
} from '../../src/shared/schema/index';

const examplesDir = join(__dirname, '../../examples');
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.stitch.json'))
  .map((f) => readFileSync(join(examplesDir, f), 'utf8'));

/** Problems are well-formed, bounded, consistent with `valid`, and their ranges lie inside the text. */
function assertWellFormed(analysis: Analysis, text?: string): void {
  assert.ok(analysis.problems.length <= MAX_PROBLEMS + 1, `${analysis.problems.length} problems`);
  for (const p of analysis.problems) {
    assert.equal(typeof p.path, 'string');
    assert.ok(Array.isArray(p.segments));
    assert.ok(typeof p.message === 'string' && p.message.length > 0 && p.message.length < 2000, `message of ${p.code}`);
    assert.ok(['error', 'warning'].includes(p.severity), p.severity);
    assert.equal(typeof p.code, 'string');
    if (text !== undefined && p.range)
      assert.ok(p.range.offset >= 0 && p.range.offset + p.range.length <= text.length, `range of ${p.code}`);
  }
  assert.equal(analysis.valid, !analysis.problems.some((p) => p.severity === 'error'));
  assert.equal(analysis.valid, analysis.schema !== null);
  // The wire answer is small whatever the schema.
  assert.ok(JSON.stringify(toValidateResponse(analysis)).length < 1_000_000);
}

const LAYER_TYPE = fc.constantFrom(
  'dense',
  'conv2d',
  'maxPooling2d',
  'flatten',
  'dropout',
  'add',
  'concatenate',
  'reshape',
  'batchNormalization',
  'globalAveragePooling2d',
  'activation',
  'dens',
  42,
  null,
);
const ID = fc.oneof(
  fc.constantFrom('a', 'b', 'c', 'input', '_x', '__proto__', 'constructor', 'toString', ''),
  fc.string({ maxLength: 6 }),
);
const VALUE = fc.oneof(
  fc.integer({ min: -3, max: 40 }),
  fc.double(),
  fc.constantFrom('same', 'valid', 'relu', 'softmax'),
  fc.array(fc.integer({ min: -1, max: 9 }), { maxLength: 4 }),
  fc.constant(null),
  fc.boolean(),
);
const LAYER = fc.record(
  {
    id: ID,
    type: LAYER_TYPE,
    units: VALUE,
    filters: VALUE,
    kernelSize: VALUE,
    strides: VALUE,
    padding: VALUE,
    rate: VALUE,
    activation: VALUE,
    targetShape: VALUE,
    dilationRate: VALUE,
    axis: VALUE,
    inputs: fc.array(ID, { maxLength: 3 }),
  },
  { requiredKeys: ['id', 'type'] },
);
const SCHEMA = fc.record(
  {
    version: fc.constantFrom(1, 2, '1'),
    input: fc.oneof(fc.record({ shape: fc.array(fc.integer({ min: -1, max: 30 }), { maxLength: 4 }) }), fc.anything()),
    layers: fc.oneof(fc.array(LAYER, { maxLength: 12 }), fc.anything()),
    training: fc.oneof(
      fc.record(
        {
          dataset: fc.oneof(
            fc.constantFrom('mnist', 'spiral', 'mnsit'),
            fc.record({ name: fc.constantFrom('spiral', 'xor'), samples: VALUE }),
            fc.record({ csv: fc.string(), label: fc.string() }),
          ),
          batchSize: VALUE,
          epochs: VALUE,
          validationSplit: fc.oneof(VALUE, fc.double({ min: 0, max: 1 })),
          maxSamples: VALUE,
          optimizer: fc.oneof(
            fc.constantFrom('adam', 'sgd', 'nope'),
            fc.record({ type: fc.constantFrom('adam', 'rmsprop'), learningRate: VALUE }),
          ),
          loss: fc.constantFrom('categoricalCrossentropy', 'binaryCrossentropy', 'meanSquaredError', 'hinge'),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);

describe('the schema core under random input (fast-check)', () => {
  test('random schema values never throw and give well-formed, bounded problems', () => {
    fc.assert(
      fc.property(SCHEMA, (schema) => {
        assertWellFormed(analyzeSchema(schema));
        const source = JSON.stringify(schema, null, 2);
        assertWellFormed(analyzeSchemaText(source), source);
      }),
      { numRuns: 100 },
    );
  });

  test('any JSON value, and any text, never throws', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => assertWellFormed(analyzeSchema(value))),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (source) => assertWellFormed(analyzeSchemaText(source), source)),
      { numRuns: 100 },
    );
  });

  test('the examples, mutated in their text, never throw', () => {
    const mutation = fc.record({
      example: fc.integer({ min: 0, max: examples.length - 1 }),
      at: fc.nat(),
      cut: fc.nat({ max: 20 }),
      insert: fc.constantFrom(
        '',
        '{',
        '[',
        ']',
        '}',
        ',',
        '"',
        '"_a"',
        '1e309',
        '-1',
        '// x\n',
        '/*',
        'null',
        '"inputs": ["out"],',
      ),
    });
    fc.assert(
      fc.property(mutation, ({ example, at, cut, insert }) => {
        const base = examples[example];
        const pos = at % base.length;
        const source = base.slice(0, pos) + insert + base.slice(pos + cut);
        assertWellFormed(analyzeSchemaText(source), source);
      }),
      { numRuns: 100 },
    );
  });

  test('the examples, mutated as values (a key removed or replaced), never throw', () => {
    const parsed = examples.map((e) => JSON.parse(e) as Record<string, unknown>);
    const mutation = fc.record({
      example: fc.integer({ min: 0, max: parsed.length - 1 }),
      layer: fc.nat(),
      key: fc.constantFrom('id', 'type', 'inputs', 'units', 'kernelSize', 'filters', 'targetShape', 'poolSize'),
      value: fc.oneof(fc.jsonValue(), fc.constant(undefined)),
    });
    fc.assert(
      fc.property(mutation, ({ example, layer, key, value }) => {
        const schema = structuredClone(parsed[example]);
        const layers = schema.layers as Record<string, unknown>[];
        const target = layers[layer % layers.length];
        if (value === undefined) Reflect.deleteProperty(target, key);
        else target[key] = value;
        assertWellFormed(analyzeSchema(schema));
      }),
      { numRuns: 100 },
    );
  });
});

/** The fastest of a few runs, in ms (the fastest is the least disturbed by other work on the machine). */
function fastest(run: () => void, times = 5): number {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    run();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

const dense = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'dense', units: 2, ...extra });
const schemaOf = (layers: unknown[]) => ({
  version: 1,
  input: { shape: [2] },
  layers,
  training: { dataset: 'spiral' },
});

/** Hostile schemas of n layers (n ≤ MAX_LAYERS / 10 so 10·n stays under the cap and is fully analysed). */
const HOSTILE: Record<string, (n: number) => unknown> = {
  'one id shared by every layer': (n) => schemaOf(Array.from({ length: n }, () => dense('same'))),
  'every layer names an unknown, similar input': (n) =>
    schemaOf(Array.from({ length: n }, (_, i) => dense(`layer${i}`, { inputs: [`layr${i}x`] }))),
  'a cycle through every layer': (n) =>
    schemaOf(Array.from({ length: n }, (_, i) => dense(`l${i}`, { inputs: [`l${(i + 1) % n}`] }))),
  'many small cycles': (n) => schemaOf(Array.from({ length: n }, (_, i) => dense(`l${i}`, { inputs: [`l${i ^ 1}`] }))),
  'a long chain with explicit inputs': (n) =>
    schemaOf(Array.from({ length: n }, (_, i) => dense(`l${i}`, { inputs: [i === 0 ? 'input' : `l${i - 1}`] }))),
  'a chain of unreachable branches': (n) =>
    schemaOf(Array.from({ length: n }, (_, i) => dense(`l${i}`, { inputs: ['input'] }))),
  'wrong parameters on every layer': (n) =>
    schemaOf(Array.from({ length: n }, (_, i) => ({ id: `l${i}`, type: 'dense', unitz: 2, kernelSize: 'x' }))),
  'many unknown keys on one layer': (n) =>
    schemaOf([
      {
        id: 'a',
        type: 'dense',
        units: 2,
        ...Object.fromEntries(Array.from({ length: n * 5 }, (_, i) => [`key${i}`, i])),
      },
    ]),
};

/**
 * Linear work at 10·n takes about 10 times as long; quadratic work 100 times. Garbage collection and caches
 * make the larger run somewhat slower per layer than the smaller one, so the bar sits between the two.
 */
const RATIO = 40;

describe('every analysis is linear (time at n and at 10·n)', () => {
  const n = MAX_LAYERS / 10;
  for (const [name, make] of Object.entries(HOSTILE)) {
    test(name, () => {
      const small = make(n);
      const large = make(10 * n);
      const smallText = JSON.stringify(small);
      const largeText = JSON.stringify(large);
      assertWellFormed(analyzeSchema(large));
      assertWellFormed(analyzeSchemaText(largeText), largeText);
      for (const [form, small1, large1] of [
        ['value', () => analyzeSchema(small), () => analyzeSchema(large)],
        ['text', () => analyzeSchemaText(smallText), () => analyzeSchemaText(largeText)],
      ] as const) {
        // Ten calls per sample at n, so that the timer's resolution does not decide the ratio. Other work on a
        // busy machine can slow one sample down: up to three tries, as a quadratic check fails them all.
        let t1 = 0;
        let t10 = Infinity;
        for (let attempt = 0; attempt < 3 && !(t10 / t1 < RATIO); attempt++) {
          t1 =
            fastest(() => {
              for (let k = 0; k < 10; k++) small1();
            }, 3) / 10;
          t10 = fastest(large1, 3);
        }
        console.log(
          `# ${name} (${form}): ${t1.toFixed(2)} ms at n = ${n}, ${t10.toFixed(2)} ms at 10·n, ratio ${(t10 / t1).toFixed(1)}`,
        );
        assert.ok(
          t10 / t1 < RATIO,
          `${name} (${form}): ${t1.toFixed(1)} ms at n = ${n}, ${t10.toFixed(1)} ms at 10·n (ratio ${(t10 / t1).toFixed(1)}; linear is about 10)`,
        );
        assert.ok(t10 < 1000, `${name} (${form}): ${t10.toFixed(0)} ms at ${10 * n} layers`);
      }
    });
  }

  test('deep nesting in text and in values: one linear scan, no recursion', () => {
    const nest = (d: number) => '['.repeat(d) + ']'.repeat(d);
    const small = `{"a": ${nest(20_000)}}`;
    const large = `{"a": ${nest(200_000)}}`;
    assert.equal(analyzeSchemaText(large).problems[0].code, 'too-deep');
    const t1 = fastest(() => analyzeSchemaText(small), 7);
    const t10 = fastest(() => analyzeSchemaText(large), 7);
    assert.ok(t10 / t1 < RATIO, `deep text: ${t1.toFixed(1)} ms, ${t10.toFixed(1)} ms`);
    let value: unknown = 0;
    for (let i = 0; i < 200_000; i++) value = { a: value };
    assert.equal(analyzeSchema(value).problems[0].code, 'too-deep');
  });
});
