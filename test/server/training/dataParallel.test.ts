/**
 * Data-parallel training (src/server/training/dataParallel.ts) with real worker threads and real tfjs on
 * wasm: one step on 2 workers gives the weights of one step on this thread, replicas stay identical, the same
 * seed gives the same run, 2 workers learn as well as 1, and a cancel or a dead worker ends the run promptly
 * with its reason. Each group start loads tfjs in its workers (about a second from source), so the tests
 * share few of them.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../../src/server/data/index';
import type { Dataset } from '../../../src/server/data/types';
import type { LayerSpec, StitchSchema } from '../../../src/shared/schema/types';
import { selectBackend } from '../../../src/server/training/backend';
import { makeBatch } from '../../../src/server/training/batches';
import { DataParallelGroup, wantsDataParallel } from '../../../src/server/training/dataParallel';
import type { TrainerToParent } from '../../../src/server/training/ipc';
import { buildModel } from '../../../src/server/training/model';
import { createOptimizer } from '../../../src/server/training/optimizers';
import { runTraining } from '../../../src/server/training/runTraining';
import { trainStep } from '../../../src/server/training/trainStep';
import { withSeededMathRandom } from '../../../src/server/random';
import { train, TrainingCancelled, type TrainOptions } from '../../../src/server/training/train';

let circle: Dataset;

/** The circle's 2 coordinates as a 1×2 image, so that a convolution (what data parallelism is for) applies. */
const CONV: LayerSpec[] = [
  { id: 'img', type: 'reshape', targetShape: [1, 2, 1] },
  { id: 'conv', type: 'conv2d', filters: 16, kernelSize: 1, activation: 'relu' },
  { id: 'flat', type: 'flatten' },
  { id: 'h', type: 'dense', units: 12, activation: 'relu' },
  { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
];
const WITH_DROPOUT: LayerSpec[] = [...CONV.slice(0, 3), { id: 'drop', type: 'dropout', rate: 0.3 }, ...CONV.slice(3)];

function schema(layers: LayerSpec[], seed = 3): StitchSchema {
  return {
    version: 1,
    input: { shape: [2] },
    layers,
    training: { dataset: { name: 'circle', samples: 400, noise: 0.05 }, seed },
  };
}

before(async () => {
  await selectBackend('wasm', { threads: 1 });
  circle = await loadDataset(
    { name: 'circle', samples: 400, noise: 0.05 },
    { baseDir: '.', workspaceRoot: '.', cacheDir: '.', baseUrl: null, seed: 1, log: () => undefined },
  );
});

const settings = { optimizer: { type: 'sgd' as const, learningRate: 0.5 }, loss: 'categoricalCrossentropy' as const };
const replicaSettings = { ...settings, encoding: 'onehot' as const, inputShape: [2], numClasses: 2, seed: 3 };

describe('data-parallel training', () => {
  /**
   * Each batch `order[start..end)` stepped on `workers` workers gives the loss and weights of the same step on
   * this thread, and every replica holds the same weights after it.
   */
  async function stepsMatchOneThread(workers: number, batches: [number, number][], order: Int32Array | null) {
    const spec = schema(CONV);
    const group = await DataParallelGroup.start(
      { workers, backend: 'wasm', schema: spec },
      buildModel(spec),
      replicaSettings,
    );
    try {
      for (const [start, end] of batches) {
        const reference = buildModel(spec);
        reference.setWeights(
          (await group.replicaWeights(false))[0].map((w, i) => tf.tensor(w, reference.weights[i].read().shape)),
        );
        reference.compile({ optimizer: createOptimizer(settings.optimizer), loss: settings.loss });
        const batch = makeBatch(circle.train, order, start, end, [2], 2, 'onehot');
        const [loss] = await trainStep(reference, batch.xs, batch.ys);
        const [parallelLoss] = await group.step(circle.train, order, start, end);
        assert.ok(Math.abs(parallelLoss - (await loss.data())[0]) < 1e-5, `loss ${parallelLoss}`);
        const [w0, ...others] = await group.replicaWeights(true);
        others.forEach((w, k) => assert.deepEqual(w, w0, `replica ${k + 2} differs from replica 1`));
        reference.getWeights().forEach((w, i) => {
          const expected = w.dataSync();
          expected.forEach((e, j) =>
            assert.ok(Math.abs(w0[i][j] - e) < 1e-5, `weight ${i}[${j}]: ${w0[i][j]} vs ${e}`),
          );
        });
        tf.dispose([loss, batch.xs, batch.ys]);
        reference.dispose();
      }
    } finally {
      await group.close();
    }
  }

  test('one step on 2 workers gives the weights of one step here, and the replicas stay identical', async () => {
    // 33 samples: shards of 16 and 17, so the weighting by shard size matters.
    await stepsMatchOneThread(
      2,
      [
        [0, 33],
        [33, 97],
      ],
      null,
    );
  });

  test('3 workers: a batch smaller than the workers, shuffled samples, a batch larger than the first', async () => {
    // 2 samples leave one worker without any (it still applies the mean); the 454 parameters are averaged in
    // slices of 151, 151 and 152; the shared batch grows from 2 samples to 64.
    const order = Int32Array.from({ length: 80 }, (_, i) => (i * 37) % 80);
    await stepsMatchOneThread(
      3,
      [
        [0, 2],
        [2, 9],
        [9, 73],
      ],
      order,
    );
  });

  test("Adam on 3 workers, each stepping its slice of the parameters: 4 steps give this thread's 4 steps", async () => {
    // The 454 parameters are owned in slices of 151, 151 and 152, which cut the variables mid-way; Adam's
    // state lives in those slices only, so a step here against a fresh optimizer would not match: the
    // reference keeps one optimizer over all 4 steps. (They differ by 3e-8 at most; Adam moves a weight by about
    // the learning rate a step, so a slice stepped twice or skipped is 0.01 off.)
    const spec = schema(CONV);
    const adam = { type: 'adam' as const, learningRate: 0.01 };
    const group = await DataParallelGroup.start({ workers: 3, backend: 'wasm', schema: spec }, buildModel(spec), {
      ...replicaSettings,
      optimizer: adam,
    });
    const reference = buildModel(spec);
    try {
      const [start] = await group.replicaWeights(false);
      reference.setWeights(start.map((w, i) => tf.tensor(w, reference.weights[i].read().shape)));
      reference.compile({ optimizer: createOptimizer(adam), loss: settings.loss });
      for (const [from, to] of [
        [0, 64],
        [64, 100],
        [100, 164],
        [164, 166],
      ]) {
        const batch = makeBatch(circle.train, null, from, to, [2], 2, 'onehot');
        const [loss] = await trainStep(reference, batch.xs, batch.ys);
        const asked = performance.now();
        const [parallelLoss] = await group.step(circle.train, null, from, to);
        const wall = performance.now() - asked;
        assert.ok(Math.abs(parallelLoss - (await loss.data())[0]) < 1e-5, `loss ${parallelLoss}`);
        // Each worker's timings of the step (bench/profile-dp.ts reads them): within the step's wall time.
        const { busyMs, waitMs } = group.lastStepTimings();
        assert.equal(busyMs.length, 3);
        busyMs.forEach((busy, k) =>
          assert.ok(
            busy > 0 && waitMs[k] >= 0 && busy + waitMs[k] <= wall,
            `worker ${k}: ${busy} + ${waitMs[k]} of ${wall} ms`,
          ),
        );
        const [w0, ...others] = await group.replicaWeights(true);
        others.forEach((w, k) => assert.deepEqual(w, w0, `replica ${k + 2} differs from replica 1`));
        reference.getWeights().forEach((w, i) =>
          w.dataSync().forEach((e, j) => {
            assert.ok(Math.abs(w0[i][j] - e) < 1e-5, `step [${from}, ${to}), weight ${i}[${j}]: ${w0[i][j]} vs ${e}`);
          }),
        );
        tf.dispose([loss, batch.xs, batch.ys]);
      }
    } finally {
      reference.dispose();
      await group.close();
    }
  });

  test('on the cpu backend too, weights a sync hands out stay as they were when later steps run', async () => {
    // cpu tensors keep the arrays they are made of: weights taken from shared memory as they are would change
    // under the main thread's model at the workers' next step.
    const spec = schema(CONV);
    const group = await DataParallelGroup.start(
      { workers: 2, backend: 'cpu', schema: spec },
      buildModel(spec),
      replicaSettings,
    );
    try {
      await group.step(circle.train, null, 0, 64);
      const [taken] = await group.replicaWeights(false);
      const copy = taken.map((w) => w.slice());
      await group.step(circle.train, null, 64, 128);
      await group.step(circle.train, null, 128, 192);
      const [later] = await group.replicaWeights(false);
      assert.deepEqual(taken, copy);
      assert.notDeepEqual(later, copy);
    } finally {
      await group.close();
    }
  });

  test('with dropout, the same seed and 2 workers give bit-identical runs, as accurate as one thread', async () => {
    const run = async (workers: number) => {
      const spec = schema(WITH_DROPOUT);
      const model = buildModel(spec);
      const options: TrainOptions = {
        epochs: 3,
        batchSize: 32,
        seed: 3,
        optimizer: { type: 'adam', learningRate: 0.02 },
        parallel: { workers, backend: 'wasm', schema: spec },
      };
      const data = { train: circle.train, test: circle.test, inputShape: [2], numClasses: 2 };
      try {
        return await withSeededMathRandom(3, () => train(model, data, options));
      } finally {
        model.dispose();
      }
    };
    const [a, b, one] = [await run(2), await run(2), await run(1)];
    assert.deepEqual(
      b.epochs.map((e) => [e.train_loss, e.train_accuracy]),
      a.epochs.map((e) => [e.train_loss, e.train_accuracy]),
    );
    assert.equal(b.test?.loss, a.test?.loss);
    const accuracy = a.test?.accuracy ?? 0;
    assert.ok(accuracy > 0.85, `2 workers: test accuracy ${accuracy}`);
    assert.ok(Math.abs(accuracy - (one.test?.accuracy ?? 0)) < 0.08, `1 thread: ${one.test?.accuracy}, 2: ${accuracy}`);
  });

  test('a cancel ends a data-parallel run promptly', async () => {
    const spec = schema(CONV);
    const model = buildModel(spec);
    const controller = new AbortController();
    const data = { train: circle.train, inputShape: [2], numClasses: 2 };
    const started = Date.now();
    let cancelledAt = 0;
    const training = train(model, data, {
      epochs: 50,
      batchSize: 8,
      signal: controller.signal,
      parallel: { workers: 2, backend: 'wasm', schema: spec },
      onBatch: () => {
        if (cancelledAt) return;
        cancelledAt = Date.now();
        controller.abort();
      },
    });
    await assert.rejects(training, (e) => e instanceof TrainingCancelled);
    assert.ok(
      cancelledAt > 0 && Date.now() - cancelledAt < 2000,
      `stopped ${Date.now() - cancelledAt} ms after the cancel`,
    );
    assert.ok(Date.now() - started < 30_000);

    // A cancel while the workers are still loading ends the run as promptly.
    const early = new AbortController();
    const starting = train(model, data, {
      epochs: 1,
      signal: early.signal,
      parallel: { workers: 2, backend: 'wasm', schema: spec },
    });
    setTimeout(() => early.abort(), 50);
    const abortedAt = Date.now();
    await assert.rejects(starting, (e) => e instanceof TrainingCancelled);
    assert.ok(Date.now() - abortedAt < 2000, `stopped ${Date.now() - abortedAt} ms after starting`);
    model.dispose();
  });

  test('a worker that dies fails the step that waits on it, with its reason', async () => {
    const spec = schema(CONV);
    const group = await DataParallelGroup.start(
      { workers: 2, backend: 'wasm', schema: spec },
      buildModel(spec),
      replicaSettings,
    );
    try {
      await group.step(circle.train, null, 0, 32);
      await group.threads[1].terminate();
      await assert.rejects(group.step(circle.train, null, 32, 64), /training worker 2 stopped unexpectedly/);
      // A failed group stays failed: nothing waits forever on it.
      await assert.rejects(group.step(circle.train, null, 64, 96), /training worker 2/);
    } finally {
      await group.close();
    }
  });

  test('runTraining: a convolution model on 2 threads trains on 2 workers (wasm, cpu), a dense one on threads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stitch-dp-'));
    let runs = 0;
    const backendOf = async (layers: LayerSpec[], backend: 'wasm' | 'cpu' = 'wasm') => {
      runs += 1;
      const messages: TrainerToParent[] = [];
      const spec = schema(layers);
      spec.training = { ...spec.training!, epochs: 1 };
      const outcome = await runTraining(
        {
          type: 'start',
          runId: 't',
          schema: spec,
          schemaDir: dir,
          workspaceRoot: dir,
          modelDir: join(dir, `model-${runs}`),
          dataCacheDir: join(dir, 'cache'),
          datasetBaseUrl: null,
          backend,
          threads: 2,
        },
        (m) => messages.push(m),
        new AbortController().signal,
      );
      assert.equal(outcome.state, 'succeeded', JSON.stringify(messages.filter((m) => m.type === 'failed')));
      return messages.find((m) => m.type === 'backend');
    };
    assert.deepEqual(await backendOf(CONV), {
      type: 'backend',
      backend: 'wasm',
      threads: 2,
      detail: 'wasm, 2 workers',
    });
    assert.deepEqual(await backendOf(CONV, 'cpu'), {
      type: 'backend',
      backend: 'cpu',
      threads: 2,
      detail: 'cpu, 2 workers',
    });
    const dense = await backendOf(CONV.slice(3));
    assert.equal(dense?.type === 'backend' && dense.detail, 'wasm, 2 threads');
    await selectBackend('wasm', { threads: 1 });
  });

  test('STITCH_DATA_PARALLEL: on, off or auto, with a message saying what to type', () => {
    const conv = schema(CONV);
    const dense = schema(CONV.slice(3));
    assert.equal(wantsDataParallel(conv, {}), true);
    assert.equal(wantsDataParallel(dense, {}), false);
    assert.equal(wantsDataParallel(dense, { STITCH_DATA_PARALLEL: 'on' }), true);
    assert.equal(wantsDataParallel(conv, { STITCH_DATA_PARALLEL: 'off' }), false);
    assert.throws(() => wantsDataParallel(conv, { STITCH_DATA_PARALLEL: 'yes' }), /use on, off or auto/);
  });
});
