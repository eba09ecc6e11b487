/**
 * Fault tests (docs/reliability.md). Each fault ends in a clean state with nothing lost:
 *  - kill -9 of the server process (the real `stitch serve`): its trainer stops, and the next server marks
 *    the run failed with every stored event intact and a final state;
 *  - a trainer over its memory budget fails its run with a message naming the budget;
 *  - a runs folder that cannot be written: as root, permissions do not stop writes, so the test uses what
 *    does: the kernel's /dev/full (every write fails with ENOSPC) in place of a run's files, a runs path
 *    that is a file (ENOTDIR) at startup and while serving.
 * (kill -9 of the trainer: test/server/runs/queue.test.ts; a failed fork: test/server/runs/startFailure.test.ts;
 * damaged files: test/server/runs/damagedStore.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunDetail, TrainingEvent } from '../../../src/shared/protocol';
import { SERVER_STOPPED } from '../../../src/server/runs/manager';
import { readEvents, spiralSchema, startTestServer, submit, waitForState, type TestServer } from '../serverHarness';
import { alive, runCli, serveProcess } from './cliProcess';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads a run's live stream until `enough` says stop (or it ends); returns what came. */
async function readLive(url: string, runId: string, enough: (events: string) => boolean): Promise<string> {
  const response = await fetch(`${url}/api/runs/${runId}/events`);
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!enough(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  return text;
}

test('kill -9 of the server: its trainer stops, and the next server marks the run failed with every stored event and a final state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-kill-'));
  const args = [
    '--runs-dir',
    join(dir, 'runs'),
    '--data-dir',
    join(dir, 'data'),
    '--workspace',
    dir,
    '--backend',
    'cpu',
  ];
  try {
    const first = await serveProcess(args, dir);
    const response = await fetch(`${first.url}/api/train`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ schema: spiralSchema({ epochs: 1000, samples: 2000 }) }),
    });
    const { run_id: runId } = (await response.json()) as { run_id: string };
    const seen = await readLive(first.url, runId, (t) => (t.match(/event: batch/g) ?? []).length >= 3);
    const trainerPid = Number(/run \S+ started \(trainer pid (\d+)\)/.exec(first.stderr())?.[1]);
    assert.ok(trainerPid > 0 && alive(trainerPid));
    first.child.kill('SIGKILL');
    await first.exited;
    // The orphaned trainer notices its parent is gone and stops (no CPU burnt for nobody).
    for (let i = 0; i < 100 && alive(trainerPid); i++) await sleep(100);
    assert.equal(alive(trainerPid), false, 'the trainer outlived the killed server');

    const second = await serveProcess(args, dir);
    try {
      assert.match(second.stderr(), new RegExp(`run ${runId} was running; marked failed: the server stopped`));
      const run = (await (await fetch(`${second.url}/api/runs/${runId}`)).json()) as RunDetail;
      assert.equal(run.state, 'failed');
      assert.equal(run.error, SERVER_STOPPED);
      const replay = await fetch(`${second.url}/api/runs/${runId}/events`);
      const text = await replay.text();
      const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      assert.deepEqual(
        ids,
        ids.map((_, i) => i + 1),
        'ids 1..n, none lost or repeated',
      );
      // Every event a client saw before the kill is in the replay, in the same order.
      const seenIds = [...seen.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      assert.ok(seenIds.every((id) => ids.includes(id)));
      assert.match(text, /event: state\nid: \d+\ndata: \{[^\n]*"state":"failed"[^\n]*\}\n\n$/);
    } finally {
      second.child.kill('SIGINT');
      await second.exited;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a runs path that is a file: stitch serve exits 2 with a message saying what to pass, no stack', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-runsfile-'));
  try {
    writeFileSync(join(dir, 'runs'), 'not a folder');
    const result = await runCli(['serve', '--port', '0', '--runs-dir', join(dir, 'runs'), '--workspace', dir], dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^stitch: the runs folder .*runs (cannot be created|is not a folder).*--runs-dir\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a full disk (ENOSPC from /dev/full) under a running run: it trains on, clients get every event, and the replay loses nothing', async () => {
  const server = await startTestServer();
  try {
    const runId = await submit(server, spiralSchema({ epochs: 4, samples: 400 }));
    await waitForState(server, runId, ['running']);
    const runDir = join(server.dir, 'runs', runId);
    for (const file of ['events.jsonl', 'run.json.tmp']) {
      rmSync(join(runDir, file), { force: true });
      symlinkSync('/dev/full', join(runDir, file));
    }
    const live = await readEvents(server, runId);
    assert.equal(await waitForState(server, runId, ['succeeded', 'failed']), 'succeeded');
    assert.match(server.logs.join('\n'), new RegExp(`run ${runId}: the runs folder cannot be written \\(ENOSPC`));
    const last = live.at(-1) as TrainingEvent;
    assert.equal(last.event === 'state' && last.data.state, 'succeeded');
    assert.equal(live.filter((e) => e.event === 'metric').length, 4);
    assert.deepEqual(await readEvents(server, runId), live, 'the replay is what the live client saw');
    assert.equal((await server.api('/api/health')).status, 200);
  } finally {
    await server.stop();
  }
});

test('a runs folder that disappears (ENOTDIR) while serving: new runs get 503 saying why, nothing is queued, and all works again once it is back', async () => {
  const server: TestServer = await startTestServer();
  try {
    const before = await submit(server, spiralSchema({ epochs: 1, samples: 40 }));
    assert.equal(await waitForState(server, before, ['succeeded', 'failed']), 'succeeded');
    const runs = join(server.dir, 'runs');
    renameSync(runs, `${runs}.away`);
    writeFileSync(runs, '');
    const refused = await server.api('/api/train', { method: 'POST', json: { schema: spiralSchema() } });
    assert.equal(refused.status, 503);
    assert.match(
      ((await refused.json()) as { error: string }).error,
      /the runs folder .* cannot be written \(ENOTDIR.*then train again/,
    );
    const list = (await (await server.api('/api/runs')).json()) as { runs: unknown[] };
    assert.equal(list.runs.length, 1, 'nothing was queued');
    unlinkSync(runs);
    renameSync(`${runs}.away`, runs);
    const after = await submit(server, spiralSchema({ epochs: 1, samples: 40 }));
    assert.equal(await waitForState(server, after, ['succeeded', 'failed']), 'succeeded');
    assert.equal((await readEvents(server, before)).at(-1)?.event, 'state');
  } finally {
    await server.stop();
  }
});

test('a trainer past its memory budget fails its run with a message naming the budget, and the server is unharmed', async () => {
  const server = await startTestServer({ trainerMemoryMb: 280 });
  try {
    const schema = spiralSchema({ epochs: 2 });
    schema.layers = [
      { id: 'wide1', type: 'dense', units: 3000, activation: 'relu' },
      { id: 'wide2', type: 'dense', units: 3000, activation: 'relu' },
      { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
    ];
    const runId = await submit(server, schema);
    assert.equal(await waitForState(server, runId, ['succeeded', 'failed'], 60_000), 'failed');
    const run = (await (await server.api(`/api/runs/${runId}`)).json()) as RunDetail;
    assert.match(
      run.error ?? '',
      /^the trainer ran out of memory: it may use 280 MB \(it used \d+ MB\); .*--trainer-memory-mb$/,
    );
    const small = await submit(server, spiralSchema({ epochs: 1, samples: 40 }));
    assert.equal(await waitForState(server, small, ['succeeded', 'failed']), 'succeeded');
  } finally {
    await server.stop();
  }
});
