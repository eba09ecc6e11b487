/**
 * The catalog routes our extension uses (docs/server.md): save a succeeded run as a model, rename it with
 * `PATCH /api/models/:id`, delete it with `DELETE /api/models/:id` (its run stays), each bad request a 4xx
 * that says what to send, and the catalog as it was after a server restart. Through the shared client.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StitchClient, StitchHttpError } from '../../../src/shared/client';
import { spiralSchema, startTestServer, submit, waitForState, type TestServer } from '../serverHarness';

describe('model catalog: save, rename, delete', () => {
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

  const status = async (p: Promise<unknown>): Promise<[number, string]> => {
    try {
      await p;
      return [200, ''];
    } catch (err) {
      assert.ok(err instanceof StitchHttpError, String(err));
      return [err.status, err.message];
    }
  };

  test('PATCH renames a saved model, keeps it across a restart; DELETE removes it and keeps the run', async () => {
    const saved = await client.saveModel(runId, 'first name');
    assert.equal(saved.run_id, runId);
    const renamed = await client.updateModel(saved.model_id, { name: '  spiral v2 ', description: 'kept' });
    assert.deepEqual([renamed.name, renamed.description, renamed.run_id], ['spiral v2', 'kept', runId]);
    const descriptionOnly = await client.updateModel(saved.model_id, { description: '' });
    assert.deepEqual([descriptionOnly.name, descriptionOnly.description], ['spiral v2', '']);

    await server.stop(true);
    server = await startTestServer({ dir: server.dir });
    client = new StitchClient(server.url);
    const listed = await client.models();
    assert.deepEqual(
      listed.map((m) => [m.model_id, m.name, m.test_accuracy !== null]),
      [[saved.model_id, 'spiral v2', true]],
    );

    await client.deleteModel(saved.model_id);
    assert.deepEqual(await client.models(), []);
    assert.equal((await client.run(runId)).state, 'succeeded', 'the run and its weights stay');
    assert.deepEqual((await status(client.deleteModel(saved.model_id)))[0], 404);
  });

  test('bad renames and deletes answer 400/404 saying what to send', async () => {
    const model = await client.saveModel(runId, 'target');
    const id = model.model_id;
    const cases: [() => Promise<unknown>, number, RegExp][] = [
      [() => client.updateModel(id, { name: ' ' }), 400, /name: expected a non-empty string/],
      [() => client.updateModel(id, { name: 'x'.repeat(201) }), 400, /at most 200 characters/],
      [() => client.updateModel(id, {}), 400, /send "name" and\/or "description"/],
      [
        () => client.updateModel(id, { name: 'n', architecture: {} } as { name: string }),
        400,
        /architecture: not changeable/,
      ],
      [() => client.updateModel('m_nope', { name: 'n' }), 404, /there is no model "m_nope"/],
      [() => client.updateModel(runId, { name: 'n' }), 404, /is a run, not a saved model; POST \/api\/models\/save/],
      [() => client.deleteModel(runId), 404, /is a run, not a saved model/],
    ];
    for (const [request, expected, message] of cases) {
      const [code, text] = await status(request());
      assert.equal(code, expected, text);
      assert.match(text, message);
    }
    const raw = await server.api(`/api/models/${id}`, { method: 'PATCH', json: ['name'] });
    assert.equal(raw.status, 400);
    assert.equal((await client.model(id)).name, 'target', 'a refused change leaves the model as it was');
  });
});
