/**
 * The original Stitch's own body, `{ architecture: { input_size, layers }, hyperparams }` with PyTorch-style
 * layers, converts to a valid schema of ours with every hyperparameter kept, and what cannot be converted is
 * reported at its path in the original body.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertOriginalBody } from '../../src/shared/original';
import { analyzeSchema } from '../../src/shared/schema';
import { DOCUMENTED_BODY, FRONTEND_CNN } from './originalBodies';

function valid(architecture: unknown, hyperparams: unknown = {}) {
  const converted = convertOriginalBody(architecture, hyperparams);
  assert.deepEqual(converted.errors, []);
  const analysis = analyzeSchema(converted.schema);
  assert.deepEqual(
    analysis.problems.filter((p) => p.severity === 'error'),
    [],
  );
  return converted.schema;
}

test('the documented body converts with every hyperparameter kept, and its logits get a softmax', () => {
  const schema = valid(DOCUMENTED_BODY.architecture, DOCUMENTED_BODY.hyperparams);
  assert.deepEqual(schema.input, { shape: [28, 28, 1] });
  assert.deepEqual(
    schema.layers.map((l) => [l.type, l.units ?? l.activation ?? null]),
    [
      ['flatten', null],
      ['dense', 128],
      ['activation', 'relu'],
      ['dense', 10],
      ['activation', 'softmax'],
    ],
  );
  assert.deepEqual(schema.training, {
    dataset: 'mnist',
    epochs: 5,
    batchSize: 64,
    maxSamples: 4096,
    validationSplit: 0.1,
    shuffle: true,
    loss: 'categoricalCrossentropy',
    optimizer: { type: 'sgd', learningRate: 0.1 },
  });
});

test('the frontend CNN converts: integer padding becomes same/valid, pools and channels follow', () => {
  const schema = valid(FRONTEND_CNN, {
    epochs: 1,
    optimizer: { type: 'adam', lr: 0.002 },
    train_split: 0.75,
    shuffle: false,
    seed: 3,
  });
  assert.deepEqual(
    schema.layers.map((l) => l.type),
    [
      'conv2d',
      'activation',
      'maxPooling2d',
      'conv2d',
      'activation',
      'maxPooling2d',
      'flatten',
      'dense',
      'activation',
      'dropout',
      'dense',
      'activation',
    ],
  );
  assert.deepEqual([schema.layers[0].padding, schema.layers[0].filters, schema.layers[0].kernelSize], ['same', 8, 3]);
  assert.deepEqual([schema.layers[2].poolSize, schema.layers[2].strides, schema.layers[2].padding], [2, 2, 'valid']);
  assert.equal(schema.layers[4].activation, 'gelu');
  assert.equal(schema.layers[9].rate, 0.25);
  assert.deepEqual(schema.training, {
    dataset: 'mnist',
    epochs: 1,
    batchSize: 64,
    maxSamples: 4096,
    validationSplit: 0.25,
    shuffle: false,
    seed: 3,
    optimizer: { type: 'adam', learningRate: 0.002 },
  });
  assert.equal(analyzeSchema(schema).params, 8 * 9 + 8 + (8 * 9 * 8 + 8) + (392 * 32 + 32) + (32 * 10 + 10));
});

test('input shapes: input_shape [C, H, W], a non-square input_size, a conv after a vector', () => {
  assert.deepEqual(
    valid({ input_shape: [1, 28, 28], layers: [{ type: 'flatten' }, { out: 10 }] }).input.shape,
    [28, 28, 1],
  );
  const vector = valid([{ type: 'linear', in: 2, out: 8 }, { type: 'sigmoid' }, { type: 'linear', in: 8, out: 2 }], {
    dataset: 'xor',
  });
  assert.deepEqual(vector.input.shape, [2], 'without input_size, the first linear layer\'s "in" gives it');
  assert.deepEqual(
    valid({ layers: [{ type: 'flatten' }, { out: 10 }] }).input.shape,
    [28, 28, 1],
    'else 784, as the original had it',
  );
  const noSquare = valid({ input_size: 2, layers: [{ type: 'linear', in: 2, out: 2 }] }, { dataset: 'xor' });
  assert.deepEqual(noSquare.input.shape, [2]);
  assert.deepEqual(
    noSquare.layers.map((l) => l.type),
    ['dense', 'activation'],
    'a flatten of a vector is left out',
  );
  const conv = valid({
    input_size: 784,
    layers: [
      { type: 'linear', in: 784, out: 784 },
      { type: 'conv2d', in_channels: 1, out_channels: 2, kernel_size: 5 },
      { type: 'flatten' },
      { out: 10 },
    ],
  });
  assert.deepEqual(conv.layers.map((l) => l.type).slice(0, 4), ['flatten', 'dense', 'reshape', 'conv2d']);
  assert.deepEqual(conv.layers[2], { id: 'reshape1', type: 'reshape', targetShape: [28, 28, 1] });
});

test('a network that already ends in softmax (or log_softmax) gets no second one; every palette activation maps', () => {
  const ends = valid({ layers: [{ type: 'linear', in: 784, out: 10 }, { type: 'log_softmax' }] });
  assert.deepEqual(
    ends.layers.map((l) => l.activation ?? l.type),
    ['flatten', 'dense', 'softmax'],
  );
  for (const [name, ours] of [
    ['ReLU', 'relu'],
    ['relu6', 'relu6'],
    ['elu', 'elu'],
    ['selu', 'selu'],
    ['silu', 'swish'],
    ['mish', 'mish'],
    ['softplus', 'softplus'],
    ['softsign', 'softsign'],
    ['hardsigmoid', 'hardSigmoid'],
    ['sigmoid', 'sigmoid'],
  ]) {
    const schema = valid({
      layers: [{ type: 'linear', in: 784, out: 16 }, { type: name }, { type: 'linear', in: 16, out: 10 }],
    });
    assert.equal(schema.layers[2].activation, ours, name);
  }
});

test('what cannot be converted is reported at its path in the original body', () => {
  const paths = (architecture: unknown, hyperparams: unknown = {}) =>
    convertOriginalBody(architecture, hyperparams).errors.map((e) => e.path);
  assert.deepEqual(
    paths({
      input_size: 784,
      layers: [
        { type: 'linear', in: 100, out: 10 },
        { type: 'linear', in: 10, out: 2 },
      ],
    }),
    ['architecture.layers[0].in'],
  );
  assert.match(
    convertOriginalBody({ input_size: 784, layers: [{ type: 'linear', in: 100, out: 10 }] }, {}).errors[0].message,
    /set "in": 784/,
  );
  assert.deepEqual(paths({ layers: [{ type: 'conv2d', out_channels: 4, kernel_size: 4, padding: 1 }] }), [
    'architecture.layers[0].padding',
  ]);
  assert.deepEqual(paths({ layers: [{ type: 'linear', out: 0 }] }), ['architecture.layers[0].out']);
  assert.deepEqual(paths({ input_size: 2, layers: [{ type: 'maxpool2d' }] }), ['architecture.layers[0]']);
  assert.deepEqual(paths({ layers: [{ type: 'dropout', p: 1.5 }] }), ['architecture.layers[0].p']);
  assert.deepEqual(paths(DOCUMENTED_BODY.architecture, { train_split: 1.5 }), ['hyperparams.train_split']);
  const loss = convertOriginalBody(DOCUMENTED_BODY.architecture, { loss: 'hinge' }).errors;
  assert.deepEqual(loss, [
    {
      path: 'hyperparams.loss',
      message: 'unknown loss "hinge"; use "cross_entropy" (or mse, mae, binary_cross_entropy)',
    },
  ]);
});

test('sgd keeps its learning rate and momentum; a missing optimizer stays our default', () => {
  const training = (hyperparams: unknown) =>
    convertOriginalBody(DOCUMENTED_BODY.architecture, hyperparams).schema.training;
  assert.deepEqual(training({ optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9 } })?.optimizer, {
    type: 'sgd',
    learningRate: 0.05,
    momentum: 0.9,
  });
  assert.deepEqual(training({ optimizer: 'sgd', lr: '0.2' })?.optimizer, { type: 'sgd', learningRate: 0.2 });
  assert.equal(training({})?.optimizer, undefined);
  assert.equal(training({ train_split: 1 })?.validationSplit, 0);
});
