/**
 * The one HTTP client (src/shared/client.ts) against a real server on an ephemeral port: a run followed from
 * submit to its final state, refusals that say what to do, and a chat turn streamed as typed events whose
 * loop, when broken, aborts the request and the model call behind it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StitchClient, StitchHttpError } from '../../src/shared/client';
import type { ChatStreamEvent, TrainingEvent } from '../../src/shared/protocol';
import { FakeOpenAI, proposalAnswer, tokens } from '../support/fakeOpenAI';
import { spiralSchema, startTestServer, type TestServer } from '../server/serverHarness';

const TOKEN = 'client-test-token';

describe('StitchClient', () => {
  let server: TestServer;
  let fake: FakeOpenAI;
  let client: StitchClient;

  before(async () => {
    fake = await FakeOpenAI.start();
    server = await startTestServer({ token: TOKEN, chat: { env: {}, timeoutMs: 5_000 } });
    client = new StitchClient(server.url, TOKEN, { unreachable: 'Start it first.', unauthorized: 'set the token' });
  });
  after(async () => {
    await server.stop();
    await fake.close();
  });

  test('trains a run and follows its events from submit to the final state, each once', async () => {
    assert.equal((await client.health()).ok, true);
    const { run_id: runId } = await client.train({
      schema: spiralSchema({ epochs: 1, samples: 64, name: 'client-run' }),
    });
    const events: TrainingEvent[] = [];
    for await (const event of client.events(runId)) events.push(event);
    const ids = events.map((e) => e.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      'in id order',
    );
    assert.equal(new Set(ids).size, ids.length, 'none twice');
    const last = events.at(-1);
    assert.ok(last?.event === 'state' && last.data.state === 'succeeded', JSON.stringify(last));
    assert.ok(
      events.some((e) => e.event === 'metric'),
      'the epoch metric arrived',
    );
    assert.equal((await client.run(runId)).state, 'succeeded');
    assert.ok((await client.runs()).some((r) => r.run_id === runId));
    // Following again after the last id: the server answers 204 and the loop just ends.
    const again: TrainingEvent[] = [];
    for await (const event of client.events(runId, { lastEventId: last.id })) again.push(event);
    assert.deepEqual(again, []);
  });

  test("refusals carry the server's message, the status and the body; the hints say what to do", async () => {
    const invalid = await client.train({ schema: { version: 1, layers: [] } }).catch((err: unknown) => err);
    assert.ok(invalid instanceof StitchHttpError);
    assert.equal(invalid.status, 422);
    assert.match(invalid.message, /^Could not start training: /);
    assert.ok(Array.isArray((invalid.body as { errors?: unknown }).errors), 'the 422 body keeps its errors');

    const stranger = new StitchClient(server.url, 'wrong', { unauthorized: 'set the token' });
    await assert.rejects(
      stranger.runs(),
      (err: unknown) => err instanceof StitchHttpError && err.status === 401 && err.message.endsWith('(set the token)'),
    );
    await assert.rejects(
      client.run('no-such-run'),
      (err: unknown) => err instanceof StitchHttpError && err.status === 404,
    );
    // A 404 cannot heal by reconnecting: the event loop throws at once.
    await assert.rejects(
      async () => {
        for await (const _event of client.events('no-such-run')) {
          // Reading is what fails: the events themselves do not matter.
        }
      },
      (err: unknown) => err instanceof StitchHttpError && err.status === 404,
    );

    const gone = new StitchClient('http://127.0.0.1:9', TOKEN, { unreachable: 'Start it first.' });
    await assert.rejects(
      gone.health(),
      (err: unknown) =>
        err instanceof StitchHttpError &&
        err.status === 0 &&
        /^Cannot reach the Stitch server at http:\/\/127\.0\.0\.1:9 \(.+\)\. Start it first\.$/.test(err.message),
    );
  });

  test('chat() streams typed events; done carries the answer to keep and the proposal', async () => {
    const schema = spiralSchema({ name: 'wider' });
    fake.script({ kind: 'stream', chunks: tokens(proposalAnswer(schema), 20) });
    const events: ChatStreamEvent[] = [];
    for await (const event of client.chat(
      { message: 'Wider?', currentSchema: schema, baseUrl: fake.url },
      { apiKey: 'sk-test' },
    )) {
      events.push(event);
    }
    assert.deepEqual([...new Set(events.map((e) => e.type))], ['token', 'schema', 'done']);
    const done = events.at(-1);
    assert.ok(done?.type === 'done');
    assert.equal(done.answer, events.map((e) => (e.type === 'token' ? e.content : '')).join(''));
    assert.deepEqual(done.proposal, { proposedSchema: schema, valid: true, errors: [] });
    assert.equal(fake.requests.at(-1)?.headers.authorization, 'Bearer sk-test', 'the key went in the header');
  });

  test('breaking out of chat() aborts the request and the model call behind it', async () => {
    fake.script({ kind: 'stream', chunks: tokens('word '.repeat(200), 5), delayMs: 20 });
    let seen = 0;
    for await (const event of client.chat(
      { message: 'Talk', currentSchema: {}, baseUrl: fake.url },
      { apiKey: 'sk-test' },
    )) {
      if (event.type === 'token' && ++seen === 3) break;
    }
    const request = fake.requests.at(-1);
    assert.ok(request);
    await Promise.race([
      request.closedEarly,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the model call went on')), 3000)),
    ]);
  });

  test('a refused chat request throws before the stream starts', async () => {
    await assert.rejects(
      async () => {
        for await (const _event of client.chat({ message: '', currentSchema: {} })) {
          // Reading is what fails: the events themselves do not matter.
        }
      },
      (err: unknown) =>
        err instanceof StitchHttpError &&
        err.status === 400 &&
        err.message.startsWith('Could not start the chat: message'),
    );
  });
});
