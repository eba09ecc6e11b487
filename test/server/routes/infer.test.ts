/**
 * POST /api/infer beyond one prediction (docs/server.md): the activations of named layers for a trained CNN
 * on MNIST and a dense net on spiral, their bounds, and batch inference (the decision boundary), which must
 * answer what one-at-a-time inference answers, with its caps. A real server trains both models; requests go
 * through the shared client where it has a method, raw fetch for malformed bodies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StitchClient, StitchHttpError } from '../../../src/shared/client';
import type { LayerActivation } from '../../../src/shared/protocol';
import type { StitchSchema } from '../../../src/shared/schema/types';
import { spiralSchema, startTestServer, submit, waitForState, type TestServer } from '../serverHarness';

const cnn: StitchSchema = {
  version: 1,
  name: 'infer-cnn',
  input: { shape: [28, 28, 1] },
  layers: [
    { id: 'conv1', type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' },
    { id: 'pool', type: 'maxPooling2d', poolSize: 2 },
    { id: 'flat', type: 'flatten' },
    { id: 'hid', type: 'dense', units: 16, activation: 'relu' },
    { id: 'out', type: 'dense', units: 10, activation: 'softmax' },
  ],
  training: { dataset: 'mnist', epochs: 1, batchSize: 32, maxSamples: 128, testSamples: 100, seed: 4 },
};

let server: TestServer;
let client: StitchClient;
const run = { cnn: '', dense: '' };

before(async () => {
  server = await startTestServer({ backend: 'wasm' });
  client = new StitchClient(server.url);
  run.cnn = await submit(server, cnn);
  run.dense = await submit(server, spiralSchema({ samples: 120 }));
  for (const id of [run.cnn, run.dense])
    assert.equal(await waitForState(server, id, ['succeeded', 'failed'], 120_000), 'succeeded', server.logs.join('\n'));
});
after(() => server.stop());

/** The status and error text of a request the client refuses. */
async function refusal(request: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await request;
  } catch (error) {
    if (error instanceof StitchHttpError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected the server to refuse the request');
}

function bytes(activation: LayerActivation): Buffer {
  return Buffer.from(activation.base64, 'base64');
}

describe('activations', () => {
  test('a CNN returns its feature maps and units in the order asked, quantized between min and max', async () => {
    const pixels = Array.from({ length: 784 }, (_, i) => ((i * 37) % 256) * (i % 3 === 0 ? 1 : 0));
    const plain = await client.infer({ run_id: run.cnn, pixels });
    assert.equal(plain.activations, undefined);
    const answer = await client.infer({ run_id: run.cnn, pixels, activations: ['out', 'conv1', 'pool', 'hid'] });
    assert.deepEqual(answer.probabilities, plain.probabilities);
    assert.deepEqual(
      answer.activations?.map((a) => [a.id, a.shape]),
      [
        ['out', [10]],
        ['conv1', [28, 28, 32]],
        ['pool', [14, 14, 32]],
        ['hid', [16]],
      ],
    );
    for (const a of answer.activations ?? []) {
      assert.equal(
        bytes(a).length,
        a.shape.reduce((x, y) => x * y, 1),
        a.id,
      );
      assert.ok(a.min <= a.max, a.id);
    }
    const out = answer.activations.find((a) => a.id === 'out');
    assert.ok(out);
    assert.ok(Math.abs(out.max - Math.max(...answer.probabilities)) < 1e-6);
    assert.equal(bytes(out)[answer.label], 255);
  });

  test('a dense net returns its units; the input layer is not one of the layers', async () => {
    const answer = await client.infer({ run_id: run.dense, inputs: [0.4, -0.2], activations: ['h1', 'out'] });
    assert.deepEqual(
      answer.activations?.map((a) => a.shape),
      [[12], [2]],
    );
    const refused = await refusal(client.infer({ run_id: run.dense, inputs: [0.4, -0.2], activations: ['input'] }));
    assert.equal(refused.status, 400);
    assert.match(refused.message, /no layer "input"; its layers are h1, out/);
  });

  test('unknown layers, too many layers, too many values and malformed lists are 400s saying what to change', async () => {
    const pixels = Array.from({ length: 784 }, () => 0);
    const ask = (activations: unknown) =>
      server.api('/api/infer', { method: 'POST', json: { run_id: run.cnn, pixels, activations } });
    const cases: [unknown, RegExp][] = [
      [['conv2'], /no layer "conv2"; its layers are conv1, pool, flat, hid, out/],
      [new Array(17).fill('out'), /at most 16 layers at once \(got 17\)/],
      // conv1 outputs 28×28×32 = 25,088 values; eleven of them pass the 262,144 bound.
      [new Array(11).fill('conv1'), /275,968 values, more than the 262,144 one request may return/],
      ['conv1', /activations: expected a list of layer ids/],
      [['conv1', 3], /activations: expected a list of layer ids/],
    ];
    for (const [activations, message] of cases) {
      const response = await ask(activations);
      assert.equal(response.status, 400, JSON.stringify(activations));
      assert.match(((await response.json()) as { error: string }).error, message);
    }
  });
});

describe('batch', () => {
  test('a batch answers what one-at-a-time inference answers, row by row', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => [Math.cos(i) * (i / 20), Math.sin(i * 1.7) * 0.9]);
    const batch = await client.inferBatch({ run_id: run.dense, batch: rows });
    assert.equal(batch.run_id, run.dense);
    assert.equal(batch.labels.length, rows.length);
    for (const [i, row] of rows.entries()) {
      const one = await client.infer({ run_id: run.dense, inputs: row });
      assert.equal(batch.labels[i], one.label, `row ${i}`);
      batch.probabilities[i].forEach((p, k) => assert.ok(Math.abs(p - one.probabilities[k]) < 1e-6, `row ${i}`));
    }
    // Images work too: a batch of flat 784-pixel rows (0..1, as the model was trained).
    const images = [Array.from({ length: 784 }, () => 0), Array.from({ length: 784 }, (_, i) => (i % 29) / 28)];
    const cnnBatch = await client.inferBatch({ model_id: run.cnn, batch: images });
    for (const [i, inputs] of images.entries())
      assert.equal(cnnBatch.labels[i], (await client.infer({ run_id: run.cnn, inputs })).label);
  });

  test('the caps and bad rows are 400s with the figures', async () => {
    const cases: [unknown, RegExp][] = [
      [Array.from({ length: 10_001 }, () => [0, 0]), /10,001 rows, more than the 10,000/],
      [
        Array.from({ length: 1001 }, () => Array.from({ length: 1000 }, () => 0)),
        /1,001,000 values, more than the 1,000,000/,
      ],
      [[], /batch: expected a non-empty list of rows/],
      [
        [
          [0, 0],
          [1, 2, 3],
        ],
        /batch\[1\]: this model takes 2 numbers \(input shape \[2\]\) but got 3/,
      ],
      [
        [
          [0, 0],
          [0, 'x'],
        ],
        /batch\[1\]: expected finite numbers/,
      ],
      [[[1e39, 0]], /batch\[0\]: .*out of range.*float32/],
      [[[[0, 0]]], /batch\[0\]: expected a flat list of numbers/],
    ];
    for (const [batch, message] of cases) {
      const refused = await refusal(client.inferBatch({ run_id: run.dense, batch: batch as number[][] }));
      assert.equal(refused.status, 400, String(message));
      assert.match(refused.message, message);
    }
    const both = await server.api('/api/infer', {
      method: 'POST',
      json: { run_id: run.dense, inputs: [0, 0], batch: [[0, 0]] },
    });
    assert.equal(both.status, 400);
    assert.match(((await both.json()) as { error: string }).error, /either "batch" .* or "pixels"\/"inputs"/);
  });
});
