/**
 * The model catalog and the run store read and write files asynchronously on every request path
 * (docs/reliability.md): concurrent saves, renames and deletes end consistent in memory, in models.json and
 * after a restart; many runs trained at once keep every event in order in their logs and replays. A cheap
 * guard keeps synchronous file calls out of these request paths: each `…Sync(` call must sit in a function
 * documented as start-up only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StitchClient } from '../../../src/shared/client';
import { readEvents, spiralSchema, startTestServer, submit, waitForState, type TestServer } from '../serverHarness';

describe('the catalog under concurrent requests', () => {
  let server: TestServer;
  let client: StitchClient;
  let runId: string;

  before(async () => {
    server = await startTestServer();
    client = new StitchClient(server.url);
    runId = await submit(server, spiralSchema({ epochs: 1, samples: 64 }));
    assert.equal(await waitForState(server, runId, ['succeeded', 'failed']), 'succeeded');
  });
  after(() => server.stop());

  test('parallel saves, renames and deletes end as the last change left each model, in memory, on disk and after a restart', async () => {
    const saved = await Promise.all(Array.from({ length: 24 }, (_, i) => client.saveModel(runId, `model ${i}`)));
    assert.equal(new Set(saved.map((m) => m.model_id)).size, 24, 'every save made its own model');
    const [kept, dropped] = [saved.slice(0, 12), saved.slice(12)];
    await Promise.all([
      ...kept.map((m, i) => client.updateModel(m.model_id, { name: `renamed ${i}`, description: `d${i}` })),
      ...dropped.map((m) => client.deleteModel(m.model_id)),
    ]);
    const expected = kept.map((m, i) => [m.model_id, `renamed ${i}`, `d${i}`]).sort();
    const names = (list: { model_id: string; name: string; description: string }[]) =>
      list.map((m) => [m.model_id, m.name, m.description]).sort();

    assert.deepEqual(names(await client.models()), expected);
    const file = JSON.parse(readFileSync(join(server.dir, 'runs', 'models.json'), 'utf8')) as {
      models: { model_id: string; name: string; description: string }[];
    };
    assert.deepEqual(names(file.models), expected, 'models.json holds the last change of each model');

    await server.stop(true);
    server = await startTestServer({ dir: server.dir });
    client = new StitchClient(server.url);
    assert.deepEqual(names(await client.models()), expected);
  });
  test("parallel saves of one run by its id keep that run's model once", async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => server.api(`/api/models/${runId}/save`, { method: 'POST' })),
    );
    const ids = await Promise.all(answers.map(async (r) => ((await r.json()) as { model_id: string }).model_id));
    assert.deepEqual(
      answers.map((r) => r.status),
      answers.map(() => 200),
    );
    assert.equal(new Set(ids).size, 1, `one model for the run, got ${ids.join(', ')}`);
    assert.equal((await client.models()).filter((m) => m.run_id === runId && m.model_id === ids[0]).length, 1);
  });
});

describe('event logs of runs trained side by side', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ concurrency: 3 });
  });
  after(() => server.stop());

  test('each run replays every event once and in order, live and from its log after a restart', async () => {
    const ids = await Promise.all(
      [1, 2, 3].map((i) => submit(server, spiralSchema({ epochs: 2, samples: 60, name: `side ${i}` }))),
    );
    const live = await Promise.all(ids.map((id) => readEvents(server, id)));
    const checkLog = (events: { id: number; event: string }[]) => {
      assert.deepEqual(
        events.map((e) => e.id),
        events.map((_, i) => i + 1),
        'ids 1, 2, 3, … with none lost or repeated',
      );
      assert.equal(events.at(-1)?.event, 'state');
    };
    for (const events of live) checkLog(events);
    await server.stop(true);
    server = await startTestServer({ dir: server.dir });
    for (const [i, id] of ids.entries()) {
      const replayed = await readEvents(server, id);
      checkLog(replayed);
      assert.deepEqual(replayed, live[i], 'the log holds what the live stream sent');
    }
  });
});

/** Files on request paths, and the functions in them that may call `…Sync(` (start-up only, documented). */
const GUARDED: Record<string, string[]> = {
  'src/server/runs/models.ts': [],
  'src/server/runs/catalog.ts': ['constructor'],
  'src/server/runs/manager.ts': ['restore'],
  'src/server/runs/presence.ts': ['constructor', 'announce', 'isAliveSync', 'close'],
  'src/server/runs/store.ts': ['constructor', 'repairEvents', 'readEventLog', 'readSchema', 'loadAll', 'isFile'],
  'src/server/routes/infer.ts': [],
  'src/server/routes/models.ts': [],
  'src/server/routes/runs.ts': [],
  'src/server/chat/route.ts': [],
  'src/server/chat/prompt.ts': [],
  'src/server/training/slicedPredict.ts': [],
};

test('no synchronous file call on these request paths, outside documented start-up functions', () => {
  const root = join(__dirname, '../../..');
  const found: string[] = [];
  for (const [file, allowed] of Object.entries(GUARDED)) {
    let owner = '(top level)';
    for (const [n, line] of readFileSync(join(root, file), 'utf8').split('\n').entries()) {
      // A member or function declaration names the code that follows it.
      const declared =
        /^ {2}(?:private |static |readonly )*(?:async )?(\w+)(?:<[^>]*>)?\(/.exec(line) ??
        /^(?:export )?(?:async )?function (\w+)/.exec(line);
      if (declared && !['if', 'for', 'while', 'switch', 'return'].includes(declared[1])) owner = declared[1];
      // tfjs's arraySync/dataSync read tensors, not files.
      const call = /\b(\w+Sync)\(/.exec(line.replace(/\b(arraySync|dataSync)\(/g, ''));
      if (call && !line.trim().startsWith('*') && !allowed.includes(owner))
        found.push(`${file}:${n + 1} ${call[1]} in ${owner}`);
    }
  }
  assert.deepEqual(found, [], 'synchronous file calls on request paths');
});
