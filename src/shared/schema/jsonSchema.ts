/**
 * The JSON Schema (draft-07) of `*.stitch.json`, generated from the layer registry, the dataset catalog and
 * the training definitions. esbuild.mjs writes it to dist/stitch.schema.json; VS Code uses it for
 * completion and hover. Per-layer parameter sets are `if type = … then {…}` branches with
 * `additionalProperties: false`, so completion inside a layer offers exactly that layer's parameters.
 */
import { SCHEMA_VERSION } from './types';
import { DATASETS, DATASET_NAMES } from './datasets';
import { LAYERS, LAYER_TYPES } from './layers';
import type { ParamDef } from './params';
import { EARLY_STOPPING_PARAMS, LOSSES, LOSS_NAMES, OPTIMIZERS, OPTIMIZER_TYPES, TRAINING_PARAMS } from './training';

type JsonSchema = Record<string, unknown>;

function bounds(def: ParamDef, schema: JsonSchema): JsonSchema {
  if (def.min !== undefined) schema[def.exclusiveMin ? 'exclusiveMinimum' : 'minimum'] = def.min;
  if (def.max !== undefined) schema[def.exclusiveMax ? 'exclusiveMaximum' : 'maximum'] = def.max;
  return schema;
}

/** The JSON Schema of one parameter. */
export function paramSchema(def: ParamDef): JsonSchema {
  let schema: JsonSchema;
  switch (def.kind) {
    case 'int':
      schema = bounds(def, { type: 'integer' });
      break;
    case 'number':
      schema = bounds(def, { type: 'number' });
      break;
    case 'bool':
      schema = { type: 'boolean' };
      break;
    case 'enum':
      schema = { type: 'string', enum: [...(def.values ?? [])] };
      break;
    case 'intOrPair': {
      const item = { type: 'integer', minimum: def.min ?? 1 };
      schema = { anyOf: [item, { type: 'array', items: item, minItems: 2, maxItems: 2 }] };
      break;
    }
    case 'shape': {
      const item = def.allowInfer
        ? { anyOf: [{ type: 'integer', minimum: 1 }, { const: -1 }] }
        : { type: 'integer', minimum: 1 };
      schema = { type: 'array', items: item, minItems: 1 };
      break;
    }
    default: {
      const never: never = def.kind;
      throw new Error(`unknown parameter kind ${String(never)}`);
    }
  }
  const defaultText = def.defaultNote ? ` Default: ${def.defaultNote}.` : '';
  schema.description = def.description + defaultText;
  if (def.default !== undefined) schema.default = def.default;
  return schema;
}

function paramsObject(defs: readonly ParamDef[]): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const def of defs) out[def.name] = paramSchema(def);
  return out;
}

const required = (defs: readonly ParamDef[]): string[] => defs.filter((d) => d.required).map((d) => d.name);

function layerSchema(): JsonSchema {
  const common = {
    id: {
      type: 'string',
      pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$',
      not: { const: 'input' },
      description: 'Unique id of the layer; other layers name it in "inputs".',
    },
    // The known types are offered for completion (the enum branch), but any string validates: an unknown type
    // gets one diagnostic, Stitch's own (with its "did you mean" quick fix), not also the JSON enum warning.
    type: {
      type: 'string',
      description: 'The tf.layers layer type.',
      anyOf: [
        { enum: LAYER_TYPES, enumDescriptions: LAYER_TYPES.map((t) => LAYERS[t].description) },
        { type: 'string' },
      ],
    },
    inputs: {
      type: 'array',
      items: { type: 'string' },
      minItems: 1,
      description:
        'Source layer ids ("input" is the model input). Default: the previous layer. Merge layers (add, concatenate) need two or more.',
    },
  };
  return {
    type: 'object',
    required: ['id', 'type'],
    properties: common,
    allOf: LAYER_TYPES.map((t) => {
      const def = LAYERS[t];
      return {
        if: { properties: { type: { const: t } }, required: ['type'] },
        then: {
          description: def.description,
          properties: {
            id: {},
            type: {},
            inputs: def.merge ? { minItems: 2 } : { maxItems: 1 },
            ...paramsObject(def.params),
          },
          required: def.merge ? ['inputs', ...required(def.params)] : required(def.params),
          additionalProperties: false,
        },
      };
    }),
    defaultSnippets: LAYER_TYPES.map((t) => ({
      label: t,
      description: LAYERS[t].description,
      body: { id: `\${1:${t}1}`, type: t, ...(LAYERS[t].merge ? { inputs: ['$2', '$3'] } : {}), ...LAYERS[t].example },
    })),
  };
}

function datasetSchema(): JsonSchema {
  const path = { type: 'string', minLength: 1, description: 'Path relative to the schema file, inside the workspace.' };
  return {
    description: 'The data to train on: a built-in dataset or a CSV/IDX file in the workspace.',
    anyOf: [
      { type: 'string', enum: DATASET_NAMES, enumDescriptions: DATASET_NAMES.map((n) => DATASETS[n].description) },
      {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: { name: { type: 'string', enum: DATASET_NAMES }, ...paramsObject(DATASETS.spiral.options) },
        description: 'A built-in dataset with options (synthetic sets: samples, noise).',
      },
      {
        type: 'object',
        required: ['csv', 'label'],
        additionalProperties: false,
        properties: {
          csv: path,
          label: { type: 'string', minLength: 1, description: 'The column that holds the class.' },
        },
        description: 'A CSV file with a header row; every other column is a numeric feature.',
      },
      {
        type: 'object',
        required: ['idx'],
        additionalProperties: false,
        properties: {
          idx: {
            type: 'object',
            required: ['images', 'labels'],
            additionalProperties: false,
            properties: { images: path, labels: path, testImages: path, testLabels: path },
          },
        },
        description: 'Images and labels in the IDX format of MNIST.',
      },
    ],
  };
}

function optimizerSchema(): JsonSchema {
  return {
    description: 'The optimizer: a name, or an object with its options.',
    anyOf: [
      {
        type: 'string',
        enum: OPTIMIZER_TYPES,
        enumDescriptions: OPTIMIZER_TYPES.map((t) => OPTIMIZERS[t].description),
      },
      {
        type: 'object',
        required: ['type'],
        properties: { type: { type: 'string', enum: OPTIMIZER_TYPES } },
        allOf: OPTIMIZER_TYPES.map((t) => ({
          if: { properties: { type: { const: t } }, required: ['type'] },
          then: { properties: { type: {}, ...paramsObject(OPTIMIZERS[t].params) }, additionalProperties: false },
        })),
      },
    ],
  };
}

function trainingSchema(): JsonSchema {
  return {
    type: 'object',
    required: ['dataset'],
    additionalProperties: false,
    description: 'How to train: dataset, epochs, batch size, optimizer, loss.',
    properties: {
      dataset: datasetSchema(),
      ...paramsObject(TRAINING_PARAMS),
      optimizer: optimizerSchema(),
      loss: {
        type: 'string',
        enum: LOSS_NAMES,
        default: 'categoricalCrossentropy',
        description: 'The loss function.',
        enumDescriptions: LOSS_NAMES.map((l) => LOSSES[l]),
      },
      earlyStopping: {
        type: 'object',
        additionalProperties: false,
        description: 'Stop when the monitored metric stops improving.',
        properties: paramsObject(EARLY_STOPPING_PARAMS),
      },
    },
  };
}

export function buildJsonSchema(): object {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Stitch neural network schema',
    description: 'A neural network (tf.layers names and defaults), its training and its layout in the visual editor.',
    type: 'object',
    required: ['version', 'input', 'layers'],
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      version: { const: SCHEMA_VERSION, default: SCHEMA_VERSION, description: 'Format version.' },
      name: { type: 'string', description: 'Name of the model.' },
      description: { type: 'string', description: 'What the model is for.' },
      input: {
        type: 'object',
        required: ['shape'],
        additionalProperties: false,
        description: 'The model input.',
        properties: {
          shape: {
            type: 'array',
            items: { type: 'integer', minimum: 1 },
            minItems: 1,
            description: 'Shape of one sample without the batch dimension, e.g. [28, 28, 1].',
          },
        },
      },
      layers: {
        type: 'array',
        minItems: 1,
        items: { $ref: '#/definitions/layer' },
        description:
          'The layers; each consumes the previous one unless it names "inputs". The last layer is the output.',
      },
      training: { $ref: '#/definitions/training' },
      layout: {
        type: 'object',
        description: 'Node positions in the visual editor, by layer id (written by the editor).',
        additionalProperties: {
          type: 'object',
          properties: { x: { type: 'number' }, y: { type: 'number' } },
          required: ['x', 'y'],
        },
      },
    },
    definitions: { layer: layerSchema(), training: trainingSchema() },
  };
}
