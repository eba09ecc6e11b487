/**
 * Every succeeded run is evaluated on its held-out test set: an `evaluation` event before the final state,
 * the same numbers in GET /api/runs/:id and GET …/evaluation, and each confusion cell's samples with their
 * inputs (MNIST images as 28×28 bytes; features for 2-D data).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Evaluation } from '../../../src/shared/evaluation';
import type { RunDetail } from '../../../src/shared/protocol';
import type { StitchSchema } from '../../../src/shared/schema/types';
import { readEvents, spiralSchema, startTestServer, submit, waitForState, type TestServer } from '../serverHarness';

let server: TestServer;
before(async () => {
  server = await startTestServer({ backend: 'wasm' });
});
after(() => server.stop());

const mnist: StitchSchema = {
  version: 1,
  name: 'mnist-eval',
  input: { shape: [28, 28, 1] },
  layers: [
    { id: 'flat', type: 'flatten' },
    { id: 'h', type: 'dense', units: 32, activation: 'relu' },
    { id: 'out', type: 'dense', units: 10, activation: 'softmax' },
  ],
  training: { dataset: 'mnist', epochs: 1, batchSize: 32, maxSamples: 512, testSamples: 300, seed: 1 },
};

test('an MNIST run streams its evaluation before the final state; the run detail and the samples route agree', async () => {
  const runId = await submit(server, mnist);
  assert.equal(
    await waitForState(server, runId, ['succeeded', 'failed'], 120_000),
    'succeeded',
    server.logs.join('\n'),
  );
  const events = await readEvents(server, runId);
  const at = events.findIndex((e) => e.event === 'evaluation');
  const final = events.at(-1);
  assert.ok(at >= 0, 'an evaluation event');
  assert.equal(final?.event, 'state');
  assert.ok(at < events.length - 1, 'the evaluation comes before the final state');
  const evaluation = events[at].data as Evaluation & { run_id: string };
  const state = final.data;
  assert.equal(evaluation.run_id, runId);
  assert.equal(evaluation.samples, 300);
  assert.equal(
    evaluation.confusion.flat().reduce((a, b) => a + b, 0),
    300,
  );
  assert.ok(
    Math.abs(evaluation.accuracy - (state.test?.accuracy ?? -1)) < 1e-6,
    `${evaluation.accuracy} vs ${state.test?.accuracy}`,
  );
  assert.equal(evaluation.per_class.length, 10);
  assert.equal(
    evaluation.per_class.reduce((a, c) => a + c.support, 0),
    300,
  );
  const wrong = evaluation.examples.filter((e) => e.label !== e.prediction);
  assert.ok(wrong.length > 0, 'a one-epoch model on 512 samples gets some wrong');
  for (let i = 1; i < wrong.length; i++)
    assert.ok(wrong[i - 1].confidence >= wrong[i].confidence, 'most confidently wrong first');
  const image = evaluation.examples[0].image;
  assert.ok(image);
  assert.deepEqual([image.width, image.height, image.channels], [28, 28, 1]);
  assert.equal(Buffer.from(image.base64, 'base64').length, 784);

  const detail = (await (await server.api(`/api/runs/${runId}`)).json()) as RunDetail;
  assert.deepEqual(detail.evaluation?.confusion, evaluation.confusion);
  const direct = (await (await server.api(`/api/runs/${runId}/evaluation`)).json()) as Evaluation;
  assert.equal(direct.accuracy, evaluation.accuracy);

  const [cell] = Object.entries(evaluation.cells).filter(([key]) => key.split(',')[0] !== key.split(',')[1]);
  assert.ok(cell);
  const samples = (await (await server.api(`/api/runs/${runId}/evaluation/samples?cell=${cell[0]}`)).json()) as {
    samples: { index: number; label: number; prediction: number; image?: { base64: string } }[];
  };
  assert.deepEqual(
    samples.samples.map((s) => s.index),
    cell[1],
  );
  assert.ok(
    samples.samples.every(
      (s) =>
        `${s.label},${s.prediction}` === cell[0] && s.image && Buffer.from(s.image.base64, 'base64').length === 784,
    ),
  );
  assert.equal((await server.api(`/api/runs/${runId}/evaluation/samples?cell=x`)).status, 400);
});

test('a 2-D run shows features; a run without evaluation answers 404 and null in its detail', async () => {
  const runId = await submit(server, spiralSchema({ epochs: 1 }));
  assert.equal(await waitForState(server, runId, ['succeeded', 'failed']), 'succeeded');
  const evaluation = (await (await server.api(`/api/runs/${runId}/evaluation`)).json()) as Evaluation;
  assert.equal(evaluation.classes.length, 2);
  assert.equal(evaluation.examples[0].features?.length, 2);
  const cancelled = await submit(server, spiralSchema({ epochs: 200, samples: 2000 }));
  await server.api(`/api/train/${cancelled}/cancel`, { method: 'POST' });
  await waitForState(server, cancelled, ['cancelled']);
  assert.equal((await server.api(`/api/runs/${cancelled}/evaluation`)).status, 404);
  assert.equal(((await (await server.api(`/api/runs/${cancelled}`)).json()) as RunDetail).evaluation, null);
});
