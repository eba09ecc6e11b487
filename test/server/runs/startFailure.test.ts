/**
 * A trainer that cannot start (docs/reliability.md): the attack exhausted file descriptors so that forking
 * failed, and the run stayed `running` with no process while every later run waited forever. Two real
 * failures stand in for it: a Node executable that does not exist (the child emits 'error', never 'exit')
 * and one whose path Node refuses at once (fork throws synchronously). Each run must end `failed` with the
 * reason, the queue must move on, and the API must not answer 500.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunDetail } from '../../../src/shared/protocol';
import { readEvents, spiralSchema, startTestServer, submit, TRAINER, waitForState } from '../serverHarness';

for (const { what, execPath, reason } of [
  {
    what: 'a missing executable (spawn error event)',
    execPath: '/nonexistent/bin/node',
    reason: /could not be started \(spawn \/nonexistent\/bin\/node ENOENT\)/,
  },
  {
    what: 'an executable path fork refuses (fork throws)',
    execPath: '/usr/bin/no\0de',
    reason: /could not be started \(.*must be a string without null bytes/,
  },
]) {
  test(`a trainer start that fails with ${what} is a failed run with its reason, and the queue moves on`, async () => {
    const server = await startTestServer({ trainer: { ...TRAINER, execPath }, concurrency: 1 });
    try {
      const first = await submit(server, spiralSchema({ name: 'first' }));
      const second = await submit(server, spiralSchema({ name: 'second' }));
      const third = await submit(server, spiralSchema({ name: 'third' }));
      // Cancelling a run whose trainer never started still ends it at once.
      const cancel = await server.api(`/api/train/${third}/cancel`, { method: 'POST' });
      assert.ok(cancel.status === 202 || cancel.status === 409, `cancel answered ${cancel.status}`);
      for (const id of [first, second]) {
        assert.equal(await waitForState(server, id, ['failed', 'succeeded', 'cancelled'], 5000), 'failed');
        const run = (await (await server.api(`/api/runs/${id}`)).json()) as RunDetail;
        assert.match(run.error ?? '', reason);
        const states = (await readEvents(server, id)).flatMap((e) => (e.event === 'state' ? [e.data.state] : []));
        assert.deepEqual(states, ['queued', 'running', 'failed']);
      }
      assert.match(await waitForState(server, third, ['failed', 'cancelled'], 5000), /failed|cancelled/);
      assert.ok(!server.logs.some((l) => l.startsWith('internal error')), server.logs.join('\n'));
      assert.equal((await server.api('/api/health')).status, 200);
    } finally {
      await server.stop();
    }
  });
}
