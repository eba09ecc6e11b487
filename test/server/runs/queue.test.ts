/**
 * The run queue: runs wait their turn instead of being refused, cancel works while queued and while
 * running (ending `cancelled` within a second), and a trainer killed from outside fails only its run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunDetail } from '../../../src/shared/protocol';
import { readEvents, spiralSchema, startTestServer, submit, waitForState, type TestServer } from '../serverHarness';

async function detail(server: TestServer, runId: string): Promise<RunDetail> {
  return (await (await server.api(`/api/runs/${runId}`)).json()) as RunDetail;
}

/** Waits until the run has reported at least one batch (the trainer is really training). */
async function waitForTraining(server: TestServer, runId: string): Promise<void> {
  const response = await server.api(`/api/runs/${runId}/events`);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!text.includes('event: batch')) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the run ended before training: ${text}`);
    text += value;
  }
  await reader.cancel();
}

describe('run queue (concurrency 1)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ concurrency: 1 });
  });
  after(() => server.stop());

  test('a second run is queued while the first trains, then runs; both succeed', async () => {
    const first = await submit(server, spiralSchema({ name: 'first', epochs: 3 }));
    const second = await submit(server, spiralSchema({ name: 'second', epochs: 2 }));
    assert.equal((await detail(server, first)).state, 'running');
    assert.equal((await detail(server, second)).state, 'queued');
    assert.equal(await waitForState(server, second, ['succeeded', 'failed']), 'succeeded');
    const a = await detail(server, first);
    const b = await detail(server, second);
    assert.equal(a.state, 'succeeded');
    assert.ok(b.started_at! >= a.finished_at!, 'the second run started after the first finished');
    assert.deepEqual(
      b.metrics.map((m) => m.epoch),
      [1, 2],
    );
    assert.equal(b.epochs_done, 2);
    const states = (await readEvents(server, second))
      .filter((e) => e.event === 'state')
      .map((e) => e.event === 'state' && e.data.state);
    assert.deepEqual(states, ['queued', 'running', 'succeeded']);
    const list = (await (await server.api('/api/runs')).json()) as { runs: { run_id: string }[] };
    assert.deepEqual(
      list.runs.map((r) => r.run_id),
      [second, first],
      'newest first',
    );
  });

  test('cancel while running and while queued: both end cancelled within a second; a finished run answers 409', async () => {
    const long = await submit(server, spiralSchema({ name: 'long', epochs: 1000, samples: 2000 }));
    const waiting = await submit(server, spiralSchema({ name: 'waiting' }));
    await waitForTraining(server, long);

    let started = Date.now();
    const cancelQueued = await server.api(`/api/train/${waiting}/cancel`, { method: 'POST' });
    assert.equal(cancelQueued.status, 202);
    assert.equal(await waitForState(server, waiting, ['cancelled'], 1000), 'cancelled');
    assert.ok(Date.now() - started < 1000);

    started = Date.now();
    const cancelRunning = await server.api(`/api/train/${long}/cancel`, { method: 'POST' });
    assert.equal(cancelRunning.status, 202);
    assert.equal(await waitForState(server, long, ['cancelled', 'failed', 'succeeded'], 1000), 'cancelled');
    assert.ok(Date.now() - started < 1000, `cancel took ${Date.now() - started} ms`);
    assert.equal((await detail(server, long)).model_id, null);

    const again = await server.api(`/api/train/${long}/cancel`, { method: 'POST' });
    assert.equal(again.status, 409);
    const last = (await readEvents(server, waiting)).at(-1);
    assert.deepEqual(last?.data, { run_id: waiting, state: 'cancelled' });
  });

  test('kill -9 of the trainer fails the run with a reason; the next run succeeds; delete is 409 while active', async () => {
    const victim = await submit(server, spiralSchema({ name: 'victim', epochs: 1000, samples: 2000 }));
    await waitForTraining(server, victim);
    const deleteActive = await server.api(`/api/runs/${victim}`, { method: 'DELETE' });
    assert.equal(deleteActive.status, 409);
    const pid = server.runs.trainerPid(victim);
    assert.ok(pid, 'the run has a trainer process');
    process.kill(pid, 'SIGKILL');
    assert.equal(await waitForState(server, victim, ['failed', 'succeeded', 'cancelled'], 5000), 'failed');
    const failed = await detail(server, victim);
    assert.match(failed.error ?? '', /the trainer process was killed \(SIGKILL\)/);
    const final = (await readEvents(server, victim)).at(-1);
    assert.equal(final?.event, 'state');
    assert.match(final?.event === 'state' ? (final.data.error ?? '') : '', /SIGKILL/);

    const next = await submit(server, spiralSchema({ name: 'next' }));
    assert.equal(await waitForState(server, next, ['succeeded', 'failed']), 'succeeded');

    const deleted = await server.api(`/api/runs/${victim}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    assert.equal((await server.api(`/api/runs/${victim}`)).status, 404);
  });
});

test('concurrency 2 trains two runs at once', async () => {
  const server = await startTestServer({ concurrency: 2 });
  try {
    const a = await submit(server, spiralSchema({ epochs: 1000, samples: 2000 }));
    const b = await submit(server, spiralSchema({ epochs: 1000, samples: 2000 }));
    assert.equal((await detail(server, a)).state, 'running');
    assert.equal((await detail(server, b)).state, 'running');
  } finally {
    await server.stop(); // closing stops both trainers
  }
});
