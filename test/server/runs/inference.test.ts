/**
 * The inference thread's failure states (src/server/runs/inference.ts): a prediction past its time ends the
 * thread with a 503; a model that cannot load is a 500 with the reason logged; a bad activations request is the
 * client's 400; closing refuses what comes after.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { HttpError } from '../../../src/server/httpError';
import { InferenceThread } from '../../../src/server/runs/inference';
import { saveModel } from '../../../src/server/training/modelIo';

let dir = '';
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stitch-inference-'));
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [2], units: 3, activation: 'relu', name: 'h' }),
      tf.layers.dense({ units: 2, activation: 'softmax', name: 'out' }),
    ],
  });
  await saveModel(model, join(dir, 'model'));
  model.dispose();
});
after(() => rmSync(dir, { recursive: true, force: true }));

const sample = (values: number[], activations: string[] = []) => ({
  type: 'sample' as const,
  runId: 'r1',
  modelDir: join(dir, 'model'),
  inputShape: [2],
  values: Float64Array.from(values),
  source: 'inputs' as const,
  activations,
});

test('answers, times out with 503, fails a missing model with 500, refuses after close', async () => {
  const logs: string[] = [];
  const thread = new InferenceThread({ backend: 'cpu', log: (l) => logs.push(l) });
  try {
    const answer = await thread.predict(sample([0.5, -0.5], ['h']));
    assert.equal(answer.probabilities.length, 1);
    assert.equal(answer.probabilities[0].length, 2);
    assert.ok(Math.abs(answer.probabilities[0][0] + answer.probabilities[0][1] - 1) < 1e-6);
    assert.deepEqual(answer.activations?.[0].shape, [3]);

    const bad = await thread.predict(sample([0, 0], ['nope'])).catch((err: unknown) => err as HttpError);
    assert.equal((bad as HttpError).status, 400);
    assert.match((bad as HttpError).message, /nope/);

    const missing = await thread
      .predict({ ...sample([0, 0]), runId: 'r2', modelDir: join(dir, 'missing') })
      .catch((err: unknown) => err as Error);
    assert.ok(missing instanceof Error);
    assert.equal((missing as Partial<HttpError>).status, undefined, 'a 500, not a client error');
    assert.match(missing.message, /the prediction failed/);
    assert.ok(
      logs.some((l) => l.startsWith('inference failed:')),
      logs.join('\n'),
    );
  } finally {
    await thread.close();
  }

  // A thread that takes longer than its time is ended.
  const slow = new InferenceThread({ backend: 'cpu', timeoutMs: 1, log: () => undefined });
  try {
    const cut = await slow.predict(sample([1, 1])).catch((err: unknown) => err as HttpError);
    assert.equal((cut as HttpError).status, 503);
    assert.match((cut as HttpError).message, /took longer than 0 s and was stopped/);
  } finally {
    await slow.close();
  }
  const refused = await slow.predict(sample([1, 1])).catch((err: unknown) => err as HttpError);
  assert.equal((refused as HttpError).status, 503);
  assert.match((refused as HttpError).message, /shutting down/);
});
