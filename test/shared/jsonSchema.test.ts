/**
 * The generated JSON Schema: valid JSON without undefined, every layer type and parameter of the
 * registry present with its default and enum, per-layer parameter sets closed for completion.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildJsonSchema,
  DATASET_NAMES,
  LAYERS,
  LAYER_TYPES,
  LOSS_NAMES,
  OPTIMIZERS,
  OPTIMIZER_TYPES,
} from '../../src/shared/schema/index';

type Node = Record<string, any>;

/** Paths of every `undefined`, NaN or function in a value. */
function badValues(value: unknown, path = '$'): string[] {
  if (value === undefined || typeof value === 'function' || (typeof value === 'number' && !Number.isFinite(value)))
    return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => badValues(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => badValues(v, `${path}.${k}`));
  return [];
}

describe('JSON Schema', () => {
  const schema = buildJsonSchema() as Node;

  test('is draft-07 and survives a JSON round trip unchanged (no undefined, NaN or functions)', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.deepEqual(badValues(schema), []);
    assert.deepEqual(JSON.parse(JSON.stringify(schema)), schema);
  });

  test('has a branch for every layer type with exactly its parameters', () => {
    const layer = schema.definitions.layer as Node;
    assert.deepEqual(layer.properties.type.anyOf[0].enum, LAYER_TYPES);
    assert.deepEqual(
      layer.properties.type.anyOf[1],
      { type: 'string' },
      "an unknown type is left to Stitch's own diagnostic",
    );
    assert.equal(layer.allOf.length, LAYER_TYPES.length);
    for (const type of LAYER_TYPES) {
      const branch = layer.allOf.find((b: Node) => b.if.properties.type.const === type);
      assert.ok(branch, type);
      assert.equal(branch.then.additionalProperties, false);
      const keys = Object.keys(branch.then.properties).sort();
      assert.deepEqual(keys, ['id', 'type', 'inputs', ...LAYERS[type].params.map((p) => p.name)].sort(), type);
      for (const param of LAYERS[type].params) {
        const prop = branch.then.properties[param.name];
        assert.ok(prop.description.length > 0, `${type}.${param.name} has a description`);
        if (param.default !== undefined) assert.deepEqual(prop.default, param.default, `${type}.${param.name} default`);
        if (param.values) assert.deepEqual(prop.enum, param.values);
        if (param.required) assert.ok(branch.then.required.includes(param.name), `${type}.${param.name} required`);
      }
    }
  });

  test('tf.layers defaults appear where the editor shows them', () => {
    const props = (type: string) =>
      (schema.definitions.layer.allOf as Node[]).find((b) => b.if.properties.type.const === type)!.then.properties;
    assert.equal(props('conv2d').padding.default, 'valid');
    assert.equal(props('conv2d').strides.default, 1);
    assert.equal(props('dense').activation.default, 'linear');
    assert.equal(props('batchNormalization').momentum.default, 0.99);
    assert.equal(props('batchNormalization').epsilon.default, 0.001);
    assert.equal(props('maxPooling2d').poolSize.default, 2);
    assert.match(props('maxPooling2d').strides.description, /poolSize/);
  });

  test('describes training: datasets, optimizers with their options, losses', () => {
    const training = schema.definitions.training as Node;
    assert.deepEqual(training.properties.dataset.anyOf[0].enum, DATASET_NAMES);
    assert.deepEqual(training.properties.loss.enum, LOSS_NAMES);
    const branches = training.properties.optimizer.anyOf[1].allOf as Node[];
    for (const type of OPTIMIZER_TYPES) {
      const branch = branches.find((b) => b.if.properties.type.const === type)!;
      for (const p of OPTIMIZERS[type].params) assert.ok(branch.then.properties[p.name], `${type}.${p.name}`);
    }
    assert.ok(schema.properties.layout.description);
    assert.equal(schema.properties.layers.items.$ref, '#/definitions/layer');
  });

  test('offers a completion snippet per layer type', () => {
    const snippets = schema.definitions.layer.defaultSnippets as Node[];
    assert.deepEqual(
      snippets.map((s) => s.label),
      LAYER_TYPES,
    );
    assert.deepEqual(snippets.find((s) => s.label === 'conv2d')!.body, {
      id: '${1:conv2d1}',
      type: 'conv2d',
      filters: 32,
      kernelSize: 3,
      activation: 'relu',
    });
  });
});

/** ajv arrives with the dev tools (not a direct dependency); when present, check real instances against the schema. */
function loadAjv():
  | (new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } })
  | undefined {
  try {
    return require('ajv');
  } catch {
    return undefined;
  }
}

describe('JSON Schema against real files', () => {
  const Ajv = loadAjv();
  test('the examples conform and typos do not', { skip: Ajv ? false : 'ajv is not installed' }, () => {
    const validate = new Ajv!({ strict: false, allErrors: true }).compile(buildJsonSchema());
    const dir = join(__dirname, '../../examples');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.stitch.json'))) {
      assert.equal(
        validate(JSON.parse(readFileSync(join(dir, file), 'utf8'))),
        true,
        `${file}: ${JSON.stringify(validate.errors)}`,
      );
    }
    const base = { version: 1, input: { shape: [2] } };
    assert.equal(
      validate({ ...base, layers: [{ id: 'a', type: 'dense', units: 3, kernel_size: 3 }] }),
      false,
      'unknown parameter',
    );
    assert.equal(validate({ ...base, layers: [{ id: 'a', type: 'add' }] }), false, 'merge without inputs');
    assert.equal(validate({ ...base, layers: [{ id: 'a', type: 'conv2d', filters: 2 }] }), false, 'missing kernelSize');
    assert.equal(
      validate({
        ...base,
        layers: [{ id: 'a', type: 'dense', units: 3 }],
        training: { dataset: 'spiral', optimizer: { type: 'adam', momentum: 0.9 } },
      }),
      false,
      'sgd option on adam',
    );
  });
});
