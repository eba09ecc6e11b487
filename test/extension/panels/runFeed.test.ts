// RunFeed (src/extension/panels/runFeed.ts) while the server is unreachable: it owns reconnecting (asking
// for a client again each time, as a restarted server has a new port and token), leaves no abort listeners
// behind, and a disposed feed reports nothing more; against a real run it relays every event once.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { StitchClient } from '../../../src/shared/client';
import { RunFeed, sleep } from '../../../src/extension/panels/runFeed';
import { spiralSchema, startTestServer } from '../../server/serverHarness';

/** A port nothing listens on (bound, then closed): connecting is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('sleep removes its abort listener when the timer fires', async () => {
  const abort = new AbortController();
  for (let i = 0; i < 12; i++) await sleep(1, abort.signal);
  assert.equal(getEventListeners(abort.signal, 'abort').length, 0);
  const started = Date.now();
  abort.abort();
  await sleep(10_000, abort.signal);
  assert.ok(Date.now() - started < 1000, 'an aborted signal ends the pause at once');
});

test('during an outage the feed reconnects itself with a fresh client; once disposed it is silent', async () => {
  const port = await closedPort();
  let clients = 0;
  const statuses: string[] = [];
  const feed = new RunFeed('run-1', {
    client: async () => {
      clients++;
      return new StitchClient(`http://127.0.0.1:${port}`, 'token');
    },
    onEvents: () => assert.fail('no events from a server that is down'),
    onStatus: (status) => statuses.push(status),
    retryMs: 5,
    maxRetryMs: 10,
  });
  await delay(400);
  // The client's own 10-retry loop (0.4 s, 0.8 s, …) would still hold the first client here.
  if (clients < 3) feed.dispose(); // so that a failure does not leave the feed running
  assert.ok(clients >= 3, `asked for a client ${clients} times`);
  assert.ok(!statuses.includes('live'), statuses.join(', '));
  assert.equal(statuses[0], 'connecting');
  assert.ok(statuses.includes('reconnecting'));
  const reported = statuses.length;
  feed.dispose();
  await feed.done;
  assert.equal(statuses.length, reported, `after dispose: ${statuses.slice(reported).join(', ')}`);
});

test('against a real run the feed relays every event once, in batches, then ends', async () => {
  const server = await startTestServer({ token: 'feed-token' });
  try {
    const client = new StitchClient(server.url, 'feed-token');
    const { run_id: runId } = await client.train({
      schema: spiralSchema({ epochs: 1, samples: 64, name: 'feed-run' }),
    });
    const batches: number[][] = [];
    const statuses: string[] = [];
    const feed = new RunFeed(runId, {
      client: async () => client,
      onEvents: (events) => batches.push(events.map((e) => e.id)),
      onStatus: (status) => statuses.push(status),
      flushMs: 50,
    });
    await feed.done;
    const ids = batches.flat();
    assert.deepEqual(
      ids,
      [...new Set(ids)].sort((a, b) => a - b),
      'each event once, in order',
    );
    assert.equal(feed.lastEventId, ids.at(-1));
    assert.equal((await client.run(runId)).state, 'succeeded');
    assert.deepEqual([statuses[0], statuses.at(-1)], ['connecting', 'ended']);
    assert.ok(statuses.includes('live'));

    // A run that is gone (deleted; a selection restored after a reload can name one): the feed ends, saying
    // so, instead of asking the server for it every few seconds while the panel is open.
    const gone: [string, string | undefined][] = [];
    const missing = new RunFeed('20261205-000000-90e000', {
      client: async () => client,
      onEvents: () => assert.fail('no events from a deleted run'),
      onStatus: (status, message) => gone.push([status, message]),
      retryMs: 5,
    });
    const ended = await Promise.race([missing.done.then(() => true), delay(3000).then(() => false)]);
    missing.dispose();
    assert.ok(ended, `the feed of a deleted run is still retrying: ${gone.map(([s]) => s).join(', ')}`);
    assert.deepEqual(gone.at(-1), ['ended', 'run 20261205-000000-90e000 was deleted']);
  } finally {
    await server.stop();
  }
});
