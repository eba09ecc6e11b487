/**
 * Two servers on one runs folder, as two VS Code windows start them (presence.ts): neither fails, repairs or
 * overwrites what the other does. A run trained in one is listed and followed live in the other, can only be
 * cancelled where it trains, and is failed by the other only once its server is gone; models saved in both
 * windows are all kept.
 */
import * as assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RunSummary, TrainingEvent } from '../../../src/shared/protocol';
import { SERVER_STOPPED } from '../../../src/server/runs/manager';
import { RunStore } from '../../../src/server/runs/store';
import { DENSE_ONLY } from '../../shared/originalBodies';
import { readEvents, spiralSchema, startTestServer, submit, waitForState, type TestServer } from '../serverHarness';

const servers: TestServer[] = [];
after(async () => {
  // The first server's folder is removed last (the second shares it).
  for (const server of servers.reverse()) await server.stop(server !== servers.at(-1));
});

async function list(server: TestServer): Promise<RunSummary[]> {
  return ((await (await server.api('/api/runs')).json()) as { runs: RunSummary[] }).runs;
}

/** Polls `check` (the list is refreshed from disk at most once a second). */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** A run folder as another server leaves it while the run trains (schema, a log at "running"); run.json is the caller's. */
function runningRunFolder(server: TestServer, runId: string): string {
  const folder = join(server.dir, 'runs', runId);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'schema.json'), JSON.stringify(spiralSchema()));
  writeFileSync(
    join(folder, 'events.jsonl'),
    JSON.stringify({ id: 1, event: 'state', data: { run_id: runId, state: 'running' } }) + '\n',
  );
  return folder;
}

const stateEvents = (events: TrainingEvent[]) =>
  events.flatMap((e) => (e.event === 'state' ? [`${e.id}:${e.data.state}`] : []));

test('a run trained by one server is left alone, listed and followed by another on the same runs folder', async () => {
  const a = await startTestServer();
  servers.push(a);
  const runId = await submit(a, spiralSchema({ name: 'in window A', epochs: 30, samples: 3000 }));
  await waitForState(a, runId, ['running']);

  const b = await startTestServer({ dir: a.dir });
  servers.push(b);
  // B's start-up does not fail A's active run (it did: "the server stopped while this run was active").
  const seen = await eventually('B to list the run', async () => (await list(b)).find((r) => r.run_id === runId));
  assert.ok(['queued', 'running'].includes(seen.state), `B lists the run as ${seen.state}`);
  assert.equal('server_id' in seen, false, 'the public summary carries no server id');

  // Cancel and delete belong to the server that trains it.
  const cancel = await b.api(`/api/train/${runId}/cancel`, { method: 'POST', json: {} });
  assert.equal(cancel.status, 409);
  assert.match(((await cancel.json()) as { error: string }).error, /another Stitch server .* cancel it there/);
  assert.equal((await b.api(`/api/runs/${runId}`, { method: 'DELETE' })).status, 409);

  // B's stream follows the run live from its log, to the same final state A sends.
  const [followed, direct] = await Promise.all([readEvents(b, runId), readEvents(a, runId)]);
  assert.deepEqual(stateEvents(followed), stateEvents(direct));
  assert.equal(stateEvents(direct).at(-1)?.endsWith(':succeeded'), true, stateEvents(direct).join(', '));
  assert.deepEqual(
    followed.map((e) => e.id),
    direct.map((e) => e.id),
    'B replays every event A stored, in order',
  );
  const log = readFileSync(join(a.dir, 'runs', runId, 'events.jsonl'), 'utf8');
  assert.equal(log.includes('"failed"'), false, 'no server wrote a failed state into the run');
  assert.equal(await waitForState(b, runId, ['succeeded', 'failed'], 10_000), 'succeeded');

  // A run deleted in A leaves B's list; one made in A after B started joins it.
  const second = await submit(a, spiralSchema({ name: 'second', epochs: 1 }));
  await waitForState(a, second, ['succeeded']);
  await eventually('B to list the second run', async () =>
    (await list(b)).some((r) => r.run_id === second) ? true : undefined,
  );
  assert.equal((await a.api(`/api/runs/${runId}`, { method: 'DELETE' })).status, 204);
  await eventually('B to drop the deleted run', async () =>
    (await list(b)).some((r) => r.run_id === runId) ? undefined : true,
  );
});

test('a run whose server was killed is failed by the server that finds it, and models saved in both are kept', async () => {
  const [a, b] = servers as (TestServer | undefined)[];
  assert.ok(a && b, 'runs after the first test, on its two servers');
  // A run folder as a killed server leaves it: running, owned by a server whose presence file is gone.
  const runId = '20261205-000000-dead01';
  const folder = runningRunFolder(a, runId);
  writeFileSync(
    join(folder, 'run.json'),
    JSON.stringify({
      run_id: runId,
      name: 'killed',
      state: 'running',
      created_at: '2026-12-05T00:00:00.000Z',
      epochs: 2,
      server_id: '99999-deadbeef',
    }),
  );
  const failed = await eventually('the orphaned run to be failed', async () => {
    const run = (await list(b)).find((r) => r.run_id === runId);
    return run?.state === 'failed' ? run : undefined;
  });
  assert.equal(failed.error, SERVER_STOPPED);
  const replay = await readEvents(b, runId);
  assert.deepEqual(stateEvents(replay), ['1:running', '2:failed']);

  // Models saved in either window, interleaved: none is lost, and each server lists them all.
  const create = async (server: TestServer, name: string) => {
    const response = await server.api('/api/models', {
      method: 'POST',
      json: { name, architecture: DENSE_ONLY, hyperparams: {} },
    });
    assert.equal(response.status, 201);
    return ((await response.json()) as { model_id: string }).model_id;
  };
  const ids = [await create(a, 'A1'), await create(b, 'B1'), await create(a, 'A2'), await create(b, 'B2')];
  await Promise.all([create(a, 'A3'), create(b, 'B3')]);
  const names = (server: TestServer) =>
    server.api('/api/models').then(async (r) => ((await r.json()) as { name: string }[]).map((m) => m.name).sort());
  const expected = ['A1', 'A2', 'A3', 'B1', 'B2', 'B3'];
  assert.deepEqual(await names(a), expected);
  assert.deepEqual(await names(b), expected);
  const file = JSON.parse(readFileSync(join(a.dir, 'runs', 'models.json'), 'utf8')) as { models: { name: string }[] };
  assert.deepEqual(file.models.map((m) => m.name).sort(), expected);
  // A removal in one window is not undone by the other's next write.
  assert.equal((await a.api(`/api/models/${ids[0]}`, { method: 'DELETE' })).status, 204);
  await create(b, 'B4');
  assert.deepEqual(await names(a), ['A2', 'A3', 'B1', 'B2', 'B3', 'B4']);
});

test(
  'a run whose log lacks its final state (its server was killed between two writes) still ends where it is followed; deleted under a request, it is a 404',
  { timeout: 30_000 }, // it hung here: the follower waited for a line that never comes
  async () => {
    const [a, b] = servers as (TestServer | undefined)[];
    assert.ok(a && b, 'runs after the first test, on its two servers');
    // A live server (this process) owns the run: its presence file is fresh, so B only follows.
    const owner = `${process.pid}-0a0e`;
    writeFileSync(join(a.dir, 'runs', '.servers', `${owner}.json`), '{}');
    const runId = '20261205-000000-1a9901';
    const folder = runningRunFolder(a, runId);
    const record = (state: string) =>
      JSON.stringify({
        run_id: runId,
        name: 'cut short',
        state,
        created_at: '2026-12-05T00:00:01.000Z',
        epochs: 2,
        server_id: owner,
      });
    writeFileSync(join(folder, 'run.json'), record('running'));
    await eventually('B to list the run', async () =>
      (await list(b)).some((r) => r.run_id === runId) ? true : undefined,
    );
    const followed = readEvents(b, runId);
    await new Promise((done) => setTimeout(done, 300));
    // The owner wrote its final run.json, and died before the final state's line.
    writeFileSync(join(folder, 'run.json'), record('succeeded'));
    assert.deepEqual(stateEvents(await followed), ['1:running', '2:succeeded'], 'the follower ends with the record');
    assert.deepEqual(stateEvents(await readEvents(b, runId)), ['1:running', '2:succeeded'], 'and so does a replay');
    const log = readFileSync(join(folder, 'events.jsonl'), 'utf8');
    assert.equal(log.split('\n').filter(Boolean).length, 1, "B does not write into another server's log");
    // Deleted (in another window, or by hand) while B still lists it: its details are a 404 that says so,
    // not a 409 calling the run damaged.
    await list(b); // B has just read the folder: the next request within the second does not read it again
    rmSync(folder, { recursive: true });
    const gone = await b.api(`/api/runs/${runId}`);
    assert.equal(gone.status, 404);
    assert.match(((await gone.json()) as { error: string }).error, /was deleted|there is no run/);
  },
);

test("following another server's log reads only what it appended, and a line only once it is whole", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-follow-'));
  try {
    const store = new RunStore(dir);
    const runId = '20261205-000000-f0110w';
    mkdirSync(join(dir, runId));
    const file = join(dir, runId, 'events.jsonl');
    const line = (id: number, state: string) =>
      JSON.stringify({ id, event: 'state', data: { run_id: runId, state } }) + '\n';
    writeFileSync(file, line(1, 'queued'));
    const first = await store.readEventsSince(runId, 0);
    assert.deepEqual(stateEvents(first.events), ['1:queued']);
    const half = line(2, 'running').slice(0, 20);
    appendFileSync(file, half); // being written
    const torn = await store.readEventsSince(runId, first.offset);
    assert.deepEqual(torn, { events: [], offset: first.offset });
    appendFileSync(file, line(2, 'running').slice(20) + line(3, 'succeeded'));
    const rest = await store.readEventsSince(runId, torn.offset);
    assert.deepEqual(stateEvents(rest.events), ['2:running', '3:succeeded']);
    assert.equal(rest.offset, readFileSync(file).length);
    // A log that shrank (repaired by its server) is read from the start.
    writeFileSync(file, line(1, 'queued'));
    assert.deepEqual(stateEvents((await store.readEventsSince(runId, rest.offset)).events), ['1:queued']);
    // A huge line (hostile, or a damaged file) is read in bounded pieces and skipped; what follows it is read.
    writeFileSync(file, 'x'.repeat(5 * 1024 * 1024) + '\n' + line(2, 'running'));
    let offset = 0;
    const found: TrainingEvent[] = [];
    for (let reads = 0; reads < 4 && found.length === 0; reads++) {
      const read = await store.readEventsSince(runId, offset);
      assert.ok(read.offset - offset <= 4 * 1024 * 1024, `read ${read.offset - offset} bytes at once`);
      offset = read.offset;
      found.push(...read.events);
    }
    assert.deepEqual(stateEvents(found), ['2:running']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
