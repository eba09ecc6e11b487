/**
 * The run store survives a restart: a new server on the same runs folder lists the earlier runs with all
 * their metrics, replays their events exactly, serves inference from their models, and marks a run that
 * was active when the server died as failed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InferResponse, ModelSummary, RunDetail, RunSummary } from '../../../src/shared/protocol';
import { readEvents, spiralSchema, startTestServer, submit, waitForState } from '../serverHarness';

test('a restarted server lists earlier runs with their metrics, replays events exactly and serves their models', async () => {
  const first = await startTestServer();
  const { dir } = first;
  let second: Awaited<ReturnType<typeof startTestServer>> | undefined;
  try {
    const done = await submit(first, spiralSchema({ name: 'kept', epochs: 3 }));
    assert.equal(await waitForState(first, done, ['succeeded', 'failed']), 'succeeded');
    const before = (await (await first.api(`/api/runs/${done}`)).json()) as RunDetail;
    const eventsBefore = await readEvents(first, done);
    const inferBefore = (await (
      await first.api('/api/infer', { method: 'POST', json: { run_id: done, inputs: [0.3, -0.2] } })
    ).json()) as InferResponse;
    const saved = await first.api(`/api/models/${done}/save`, { method: 'POST', json: { name: 'my spiral' } });
    assert.equal(saved.status, 200);

    // A run that is active when the server dies: stop the server without letting it record the end.
    const active = await submit(first, spiralSchema({ name: 'interrupted', epochs: 1000, samples: 2000 }));
    await waitForState(first, active, ['running']);
    const files = ['run.json', 'events.jsonl'].map((f) => join(dir, 'runs', active, f));
    const snapshots = files.map((f) => readFileSync(f, 'utf8'));
    await first.stop(true);
    // As if the process had been killed mid-write: the run's files still say running, and the event log
    // ends in a torn line, which must not swallow the final state the next server appends.
    files.forEach((f, i) => writeFileSync(f, snapshots[i]));
    appendFileSync(files[1], '{"id":9999,"event":"ba');

    second = await startTestServer({ dir });
    const list = ((await (await second.api('/api/runs')).json()) as { runs: RunSummary[] }).runs;
    assert.deepEqual(list.map((r) => r.run_id).sort(), [done, active].sort());

    const after = (await (await second.api(`/api/runs/${done}`)).json()) as RunDetail;
    assert.deepEqual(after, before);
    assert.equal(after.metrics.length, 3);
    assert.deepEqual(await readEvents(second, done), eventsBefore);
    assert.deepEqual(await readEvents(second, done, 2), eventsBefore.slice(2));

    const interrupted = (await (await second.api(`/api/runs/${active}`)).json()) as RunDetail;
    assert.equal(interrupted.state, 'failed');
    assert.match(interrupted.error ?? '', /the server stopped while this run was active/);
    const interruptedEvents = await readEvents(second, active);
    assert.deepEqual(
      interruptedEvents.map((e) => e.id),
      interruptedEvents.map((_, i) => i + 1),
    );
    const states = interruptedEvents.flatMap((e) => (e.event === 'state' ? [e.data.state] : []));
    assert.deepEqual(states, ['queued', 'running', 'failed']);

    const inferAfter = await second.api('/api/infer', {
      method: 'POST',
      json: { model_id: done, inputs: [[0.3, -0.2]] },
    });
    assert.equal(inferAfter.status, 200);
    assert.deepEqual(await inferAfter.json(), inferBefore);
    assert.equal(inferBefore.run_id, done);
    const probabilities = inferBefore.probabilities;
    assert.equal(probabilities.length, 2);
    assert.ok(Math.abs(probabilities[0] + probabilities[1] - 1) < 1e-5);
    assert.equal(inferBefore.label, probabilities[0] >= probabilities[1] ? 0 : 1);

    const wrongSize = await second.api('/api/infer', { method: 'POST', json: { run_id: done, inputs: [1, 2, 3] } });
    assert.equal(wrongSize.status, 400);
    assert.match(
      ((await wrongSize.json()) as { error: string }).error,
      /takes 2 numbers \(input shape \[2\]\) but got 3/,
    );
    const noModel = await second.api('/api/infer', { method: 'POST', json: { run_id: active, inputs: [1, 2] } });
    assert.equal(noModel.status, 409);

    const models = (await (await second.api('/api/models?saved=true')).json()) as ModelSummary[];
    assert.deepEqual(
      models.map((m) => [m.run_id, m.name, m.trained, m.params, m.input_shape]),
      [[done, 'my spiral', true, 2 * 12 + 12 + 12 * 2 + 2, [2]]],
    );
    const listing = (await (await second.api(`/api/runs/${done}/model`)).json()) as {
      files: { name: string; url: string }[];
    };
    assert.ok(
      listing.files.some((f) => f.name === 'model.json') && listing.files.some((f) => f.name === 'weights.bin'),
    );
    const modelJson = await second.api(`/api/runs/${done}/model/model.json`);
    assert.equal(modelJson.status, 200);
    assert.equal(((await modelJson.json()) as { format: string }).format, 'layers-model');
    const weights = await second.api(`/api/runs/${done}/model/weights.bin`);
    assert.equal((await weights.arrayBuffer()).byteLength, models[0].params * 4);
  } finally {
    await second?.stop();
  }
});
