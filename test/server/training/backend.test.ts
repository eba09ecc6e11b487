/**
 * Backend choice: the automatic order skips webgpu cleanly where there is no GPU (CI never has one), wasm
 * trains on several threads with the same results for the same seed, and the thread count is set and
 * reported. Each test file runs in its own process, so swapping the wasm build here touches no other test.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { applyThreadsFlag } from '../../../src/server/cli/args';
import { UsageError } from '../../../src/server/cli/serve';
import type { LabeledSamples } from '../../../src/server/data/types';
import { chooseBackend, threadsFromEnv } from '../../../src/server/training/backend';
import { simdKernels } from '../../../src/server/training/wasmSimd';
import { currentBackend } from '../../../src/server/training/backendInfo';
import { buildModel } from '../../../src/server/training/model';
import { createRandom, withSeededMathRandom } from '../../../src/server/random';
import { train } from '../../../src/server/training/train';
import { adapterName } from '../../../src/server/training/webgpuBackend';
import type { StitchSchema } from '../../../src/shared/schema/types';

/** 10×10 one-channel images whose class is the brighter half (left or right), with seeded noise. */
function halves(count: number, seed: number): LabeledSamples {
  const random = createRandom(seed);
  const x = new Float32Array(count * 100);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 100; p++) x[i * 100 + p] = random() * 0.5 + (p % 10 < 5 === (labels[i] === 0) ? 0.5 : 0);
  }
  return { x, labels, count };
}

const CONVNET: StitchSchema = {
  version: 1,
  input: { shape: [10, 10, 1] },
  layers: [
    { id: 'c1', type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
    { id: 'p1', type: 'maxPooling2d', poolSize: 2 },
    { id: 'c2', type: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu' },
    { id: 'f', type: 'flatten' },
    { id: 'd', type: 'dropout', rate: 0.2 },
    { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
  ],
  training: { dataset: 'mnist', seed: 5 },
};

async function trainLosses(): Promise<number[]> {
  const model = buildModel(CONVNET);
  try {
    const data = { train: halves(192, 1), test: halves(64, 2), inputShape: [10, 10, 1], numClasses: 2 };
    const result = await withSeededMathRandom(5, () => train(model, data, { epochs: 2, batchSize: 32, seed: 5 }));
    return [...result.epochs.map((e) => e.train_loss), result.test?.loss ?? NaN];
  } finally {
    model.dispose();
  }
}

describe('backend choice', () => {
  test('the automatic order skips webgpu with its reason where no GPU adapter is found, and falls back', async () => {
    const choice = await chooseBackend(null, { threads: 1 });
    if (choice.backend === 'tensorflow') return; // tfjs-node installed: it comes first and webgpu is never tried
    if (choice.backend === 'webgpu') {
      assert.match(choice.detail, /^webgpu, .+/); // a machine with a GPU: the adapter is named
      return;
    }
    assert.equal(choice.backend, 'wasm');
    const webgpu = choice.skipped.find((s) => s.startsWith('webgpu: '));
    assert.ok(webgpu, `webgpu was not tried: ${choice.skipped.join('; ')}`);
    assert.match(webgpu, /not installed|failed to load|no Vulkan loader|no GPU adapter|software adapter/);
    assert.equal(choice.detail, 'wasm, 1 thread');
  });

  test('wasm on 2 threads reports them, and the same seed gives the same losses on 1 and 2 threads', async () => {
    const two = await chooseBackend('wasm', { threads: 2 });
    assert.equal(two.threads, 2, two.notes.join('; '));
    assert.equal(two.detail, 'wasm, 2 threads');
    assert.deepEqual(currentBackend(), { backend: 'wasm', threads: 2, detail: 'wasm, 2 threads' });
    // The threaded build's memory is shared: the SIMD kernels' shared-memory variant must instantiate on it.
    const backend = tf.backend();
    assert.ok(backend instanceof BackendWasm && simdKernels(backend), 'no SIMD kernels on the threaded wasm build');
    const first = await trainLosses();
    const again = await trainLosses();
    assert.deepEqual(again, first);
    assert.ok(first.every(Number.isFinite) && first[1] < first[0], `losses ${first.join(', ')}`);

    const one = await chooseBackend('wasm', { threads: 1 });
    assert.equal(one.threads, 1);
    assert.equal(tf.getBackend(), 'wasm');
    const single = await trainLosses();
    // XNNPACK splits work by output tiles, and our SIMD kernels run on one thread, so the sums are the same on
    // any thread count; allow rounding anyway.
    for (let i = 0; i < first.length; i++)
      assert.ok(Math.abs(single[i] - first[i]) < 1e-4, `${single[i]} vs ${first[i]}`);
  });

  test('more threads than the wasm build has are capped, with a note', async () => {
    const choice = await chooseBackend('wasm', { threads: 64 });
    assert.ok(choice.threads <= 8);
    assert.ok(
      choice.notes.some((n) => n.includes('64 threads asked for')),
      choice.notes.join('; '),
    );
    await chooseBackend('wasm', { threads: 1 });
  });

  test('--threads and STITCH_THREADS: whole numbers ≥ 1, with a message saying what to type', () => {
    const env: NodeJS.ProcessEnv = {};
    applyThreadsFlag({ threads: '3' }, env);
    assert.equal(env.STITCH_THREADS, '3');
    assert.equal(threadsFromEnv(env), 3);
    assert.throws(
      () => applyThreadsFlag({ threads: '0' }, env),
      (e: Error) => e instanceof UsageError && e.message.includes('--threads: expected a whole number from 1'),
    );
    assert.throws(() => threadsFromEnv({ STITCH_THREADS: 'all' }), /STITCH_THREADS="all" is not a thread count/);
    assert.equal(threadsFromEnv({}), null);
  });

  test('a GPU adapter is named by vendor and architecture, with its description', () => {
    assert.equal(
      adapterName({ info: { description: 'NVIDIA: 580.159.04', vendor: 'nvidia', architecture: 'hopper' } }),
      'nvidia hopper (NVIDIA: 580.159.04)',
    );
    assert.equal(adapterName({ info: { description: 'NVIDIA H200' } }), 'NVIDIA H200');
    assert.equal(adapterName({ info: { vendor: 'nvidia', architecture: 'hopper' } }), 'nvidia hopper');
    assert.equal(adapterName({}), 'unnamed adapter');
  });
});
