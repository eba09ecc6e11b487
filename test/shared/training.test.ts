/**
 * Validation of `training`: datasets, their fit to input.shape, loss against the output layer, the
 * optimizer and the plain numbers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSchemaText } from '../../src/shared/schema/index';
import { assertClean, findProblem, schemaObject, text, type Json } from './helpers';

const mnist = (
  training: Json,
  out: Json = { id: 'out', type: 'dense', units: 10, activation: 'softmax' },
  shape = [28, 28, 1],
) => text({ version: 1, input: { shape }, layers: [{ id: 'flat', type: 'flatten' }, out], training });

describe('datasets', () => {
  test('an unknown dataset suggests the closest', () => {
    const { problem, covered } = findProblem(mnist({ dataset: 'mnsit' }), 'unknown-dataset', 'training.dataset');
    assert.equal(covered, '"mnsit"');
    assert.equal(problem.suggestion, 'mnist');
  });

  test('a CSV path given as a name explains the object form', () => {
    const { problem } = findProblem(mnist({ dataset: 'data/iris.csv' }), 'unknown-dataset', 'training.dataset');
    assert.match(problem.message, /\{ "csv": "data\/iris.csv", "label": "<label column>" \}/);
  });

  test('mnist needs [28, 28, 1] or the flat [784]', () => {
    const { problem, covered } = findProblem(
      mnist({ dataset: 'mnist' }, undefined, [28, 28]),
      'dataset-shape',
      'input.shape',
    );
    assert.equal(covered.replace(/\s/g, ''), '[28,28]');
    assert.equal(
      problem.message,
      'mnist gives samples of shape [28, 28, 1]; set input.shape to [28, 28, 1] (or the flat [784])',
    );
    const flat = {
      version: 1,
      input: { shape: [784] },
      layers: [{ id: 'out', type: 'dense', units: 10, activation: 'softmax' }],
      training: { dataset: 'mnist' },
    };
    assertClean(analyzeSchemaText(text(flat)));
  });

  test('synthetic datasets take samples and noise within bounds', () => {
    const src = text(schemaObject({ training: { dataset: { name: 'spiral', samples: 5, noize: 0.1 } } }));
    assert.match(findProblem(src, 'out-of-range', 'training.dataset.samples').problem.message, /≥ 10/);
    assert.equal(findProblem(src, 'unknown-property', 'training.dataset.noize').problem.suggestion, 'noise');
    const image = findProblem(
      mnist({ dataset: { name: 'mnist', samples: 100 } }),
      'unknown-property',
      'training.dataset.samples',
    );
    assert.match(image.problem.message, /maxSamples/);
  });

  test('CSV and IDX datasets: only the form is checked here', () => {
    const csv = findProblem(
      text(schemaObject({ training: { dataset: { csv: 'data/x.csv' } } })),
      'missing-property',
      'training.dataset.label',
    );
    assert.equal(csv.covered, '"dataset"');
    const idx = findProblem(
      text(schemaObject({ training: { dataset: { idx: { images: 'a', labels: '', testImages: 'c' } } } })),
      'invalid-path',
      'training.dataset.idx.labels',
    );
    assert.equal(idx.covered, '""');
    findProblem(
      text(schemaObject({ training: { dataset: { idx: { images: 'a', labels: 'b', testImages: 'c' } } } })),
      'missing-property',
      'training.dataset.idx.testLabels',
    );
    assertClean(
      analyzeSchemaText(text(schemaObject({ training: { dataset: { idx: { images: 'a', labels: 'b' } } } }))),
    );
  });

  test('the server describes file datasets through datasetInfo', () => {
    const src = text({
      version: 1,
      input: { shape: [3] },
      layers: [{ id: 'out', type: 'dense', units: 2, activation: 'softmax' }],
      training: { dataset: { csv: 'data/iris.csv', label: 'species' } },
    });
    const options = { datasetInfo: () => ({ inputShape: [4], classes: 3 }) };
    assert.match(findProblem(src, 'dataset-shape', 'input.shape', options).problem.message, /set input.shape to \[4\]/);
    assert.match(
      findProblem(src, 'loss-mismatch', 'layers[0].units', options).problem.message,
      /has 3 classes; set "units": 3/,
    );
  });
});

describe('loss against the output', () => {
  test('softmax units must equal the classes', () => {
    const src = mnist({ dataset: 'mnist' }, { id: 'out', type: 'dense', units: 8, activation: 'softmax' });
    const { problem, covered } = findProblem(src, 'loss-mismatch', 'layers[1].units');
    assert.equal(covered, '8');
    assert.equal(problem.message, 'the output has 8 units but mnist has 10 classes; set "units": 10');
  });

  test('categoricalCrossentropy needs a softmax output (found through dropout)', () => {
    const src = text({
      version: 1,
      input: { shape: [2] },
      layers: [
        { id: 'out', type: 'dense', units: 2 },
        { id: 'drop', type: 'dropout', rate: 0.1 },
      ],
      training: { dataset: 'xor' },
    });
    const { problem, covered } = findProblem(src, 'output-activation', 'layers[0].activation');
    assert.equal(covered, '"dense"');
    assert.match(problem.message, /set "activation": "softmax" on it \(it is "linear"\)/);
  });

  test('binaryCrossentropy: one sigmoid unit, two classes', () => {
    const ok = text(
      schemaObject({
        layers: [{ id: 'out', type: 'dense', units: 1, activation: 'sigmoid' }],
        training: { dataset: 'circle', loss: 'binaryCrossentropy' },
      }),
    );
    assertClean(analyzeSchemaText(ok));
    const relu = text(
      schemaObject({
        layers: [{ id: 'out', type: 'dense', units: 1, activation: 'relu' }],
        training: { dataset: 'circle', loss: 'binaryCrossentropy' },
      }),
    );
    assert.match(findProblem(relu, 'output-activation', 'layers[0].activation').problem.message, /"sigmoid"/);
    const many = mnist(
      { dataset: 'mnist', loss: 'binaryCrossentropy' },
      { id: 'out', type: 'dense', units: 1, activation: 'sigmoid' },
    );
    const { problem, covered } = findProblem(many, 'loss-mismatch', 'training.loss');
    assert.equal(covered, '"binaryCrossentropy"');
    assert.match(problem.message, /use "categoricalCrossentropy" with 10 softmax units/);
  });

  test('an unknown loss suggests the closest', () => {
    const { problem } = findProblem(
      mnist({ dataset: 'mnist', loss: 'categoricalCrossEntropy' }),
      'unknown-loss',
      'training.loss',
    );
    assert.equal(problem.suggestion, 'categoricalCrossentropy');
  });
});

describe('training numbers and optimizer', () => {
  test('epochs, batchSize, validationSplit', () => {
    const src = text(schemaObject({ training: { dataset: 'spiral', epochs: 0, batchSize: 2.5, validationSplit: 1 } }));
    assert.match(findProblem(src, 'out-of-range', 'training.epochs').problem.message, /integer ≥ 1/);
    assert.match(findProblem(src, 'wrong-type', 'training.batchSize').problem.message, /integer/);
    assert.match(findProblem(src, 'out-of-range', 'training.validationSplit').problem.message, /< 1/);
  });

  test('optimizer type and options', () => {
    const src = text(
      schemaObject({ training: { dataset: 'spiral', optimizer: { type: 'adam', learningRate: 0, beta: 0.9 } } }),
    );
    const lr = findProblem(src, 'out-of-range', 'training.optimizer.learningRate');
    assert.equal(lr.covered, '0');
    assert.match(lr.problem.message, /> 0/);
    assert.equal(findProblem(src, 'unknown-property', 'training.optimizer.beta').problem.suggestion, 'beta1');
    const named = findProblem(
      text(schemaObject({ training: { dataset: 'spiral', optimizer: 'adamw' } })),
      'unknown-optimizer',
      'training.optimizer',
    );
    assert.equal(named.problem.suggestion, 'adam');
    const sgd = text(
      schemaObject({ training: { dataset: 'spiral', optimizer: { type: 'sgd', learningRate: 0.1, momentum: 0.9 } } }),
    );
    assertClean(analyzeSchemaText(sgd));
  });

  test('early stopping on validation metrics needs validation data', () => {
    const src = text(
      schemaObject({
        training: { dataset: 'spiral', validationSplit: 0, earlyStopping: { monitor: 'val_loss', patience: 2 } },
      }),
    );
    const { problem, covered } = findProblem(src, 'early-stopping', 'training.earlyStopping.monitor');
    assert.equal(covered, '"val_loss"');
    assert.match(problem.message, /monitor "loss" or set validationSplit/);
  });

  test('a missing dataset', () => {
    const { problem, covered } = findProblem(
      text(schemaObject({ training: { epochs: 2 } })),
      'missing-property',
      'training.dataset',
    );
    assert.equal(covered, '"training"');
    assert.match(problem.message, /"mnist"/);
  });
});
