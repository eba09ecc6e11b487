/**
 * Chat failures: every upstream failure ends the stream with an actionable `error` (and the server keeps
 * serving), a client that disconnects aborts the upstream request, and the API key never reaches the
 * server log or the run store.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeOpenAI, tokens } from '../../support/fakeOpenAI';
import { MAX_ANSWER_CHARS } from '../../../src/server/chat/turn';
import {
  API_KEY,
  chat,
  chatBody,
  errorOf,
  sequence,
  SPIRAL_SCHEMA,
  startChatRig,
  textOf,
  type ChatRig,
} from './helpers';

describe('chat failures', () => {
  let rig: ChatRig;
  before(async () => {
    rig = await startChatRig({ chat: { env: {}, timeoutMs: 400 } });
  });
  after(async () => {
    await rig.stop();
  });

  test('no key: says how to set one, and no request goes upstream', async () => {
    const before = rig.fake.requests.length;
    // Without a base URL the server would talk to api.openai.com, which needs a key.
    const events = await chat(rig.server, { message: 'hi', currentSchema: SPIRAL_SCHEMA }, { apiKey: null });
    const error = errorOf(events);
    assert.equal(error.code, 'no-key');
    assert.match(error.error, /Stitch: Set OpenAI API Key/);
    assert.equal(events.length, 1);
    assert.equal(rig.fake.requests.length, before);
  });

  test('401: the key was rejected, with the command to fix it; the echoed key is scrubbed', async () => {
    rig.fake.script({
      kind: 'error',
      status: 401,
      code: 'invalid_api_key',
      message: `Incorrect API key provided: ${API_KEY}.`,
    });
    const error = errorOf(await chat(rig.server, chatBody(rig)));
    assert.equal(error.code, 'auth');
    assert.match(error.error, /API key was rejected/);
    assert.match(error.error, /Stitch: Set OpenAI API Key/);
    assert.ok(!error.error.includes(API_KEY), error.error);
  });

  test('429: rate limited, with the wait from retry-after, and no silent retries', async () => {
    const before = rig.fake.requests.length;
    rig.fake.script({
      kind: 'error',
      status: 429,
      code: 'rate_limit_exceeded',
      message: 'Rate limit reached for gpt-4.1',
      headers: { 'retry-after': '7' },
    });
    const started = performance.now();
    const error = errorOf(await chat(rig.server, chatBody(rig)));
    assert.equal(error.code, 'rate-limit');
    assert.match(error.error, /Try again in 7 s/);
    assert.equal(rig.fake.requests.length, before + 1, 'the SDK does not retry');
    assert.ok(performance.now() - started < 2_000);
  });

  test('404: the model was not found, naming the model and the setting', async () => {
    rig.fake.script({
      kind: 'error',
      status: 404,
      code: 'model_not_found',
      message: 'The model `gpt-9` does not exist',
    });
    const error = errorOf(await chat(rig.server, chatBody(rig, { model: 'gpt-9' })));
    assert.equal(error.code, 'model-not-found');
    assert.match(error.error, /"gpt-9" was not found/);
    assert.match(error.error, /stitch\.chat\.model/);
  });

  test('network down: cannot reach the base URL', async () => {
    const gone = await FakeOpenAI.start();
    const url = gone.url;
    await gone.close();
    const error = errorOf(await chat(rig.server, chatBody(rig, { baseUrl: url })));
    assert.equal(error.code, 'network');
    assert.match(error.error, /Cannot reach the model at http:\/\/127\.0\.0\.1/);
  });

  test('a stream that stalls ends with a timeout after the configured time', async () => {
    rig.fake.script({ kind: 'stall', chunks: ['Thinking'] });
    const started = performance.now();
    const events = await chat(rig.server, chatBody(rig));
    assert.deepEqual(sequence(events), ['token', 'error']);
    assert.equal(errorOf(events).code, 'timeout');
    const took = performance.now() - started;
    assert.ok(took >= 350 && took < 3_000, `timed out after ${took.toFixed(0)} ms (configured 400)`);
  });

  test('a mid-stream failure keeps the tokens sent so far, then an error; the server keeps serving', async () => {
    rig.fake.script(
      { kind: 'break', chunks: tokens('The first layer has', 5) },
      { kind: 'stream', chunks: ['still here'] },
    );
    const events = await chat(rig.server, chatBody(rig));
    assert.deepEqual(sequence(events), ['token', 'error']);
    assert.equal(textOf(events), 'The first layer has');
    assert.equal(errorOf(events).code, 'upstream');
    assert.match(errorOf(events).error, /Try again/);
    assert.deepEqual(sequence(await chat(rig.server, chatBody(rig))), ['token', 'done']);
  });

  test('an answer longer than the cap is stopped there with an error; the upstream request is closed', async () => {
    // 300 KB of text in 4 KB chunks: past MAX_ANSWER_CHARS (256 KB) the server stops reading.
    rig.fake.script({ kind: 'stream', chunks: Array.from({ length: 75 }, () => 'x'.repeat(4096)), delayMs: 2 });
    const events = await chat(rig.server, chatBody(rig));
    assert.equal(sequence(events).at(-1), 'error');
    const streamed = textOf(events).length;
    assert.ok(streamed <= MAX_ANSWER_CHARS && streamed > MAX_ANSWER_CHARS - 8192, `${streamed} characters streamed`);
    assert.equal(errorOf(events).code, 'upstream');
    assert.match(errorOf(events).error, /longer than 256 KB, more than any schema proposal needs/);
    const request = rig.fake.requests.at(-1);
    assert.ok(request);
    const closed = await Promise.race([request.closedEarly.then(() => true), sleep(1_000).then(() => false)]);
    assert.ok(closed, 'the fake server saw the upstream connection close before the end of its answer');
    assert.deepEqual(
      sequence(await chat(rig.server, (rig.fake.script({ kind: 'stream', chunks: ['ok'] }), chatBody(rig)))),
      ['token', 'done'],
    );
  });

  test('a client that disconnects aborts the upstream request at once', async () => {
    rig.fake.script({ kind: 'stream', chunks: tokens('a long answer that keeps going for a while', 4), delayMs: 100 });
    const events = await chat(rig.server, chatBody(rig), { onEvent: (e) => e.event === 'token' });
    assert.equal(events.length, 1);
    const disconnectedAt = performance.now();
    const request = rig.fake.requests.at(-1)!;
    const closed = await Promise.race([request.closedEarly.then(() => true), sleep(1_000).then(() => false)]);
    assert.ok(closed, 'the fake server saw the upstream connection close');
    assert.ok(performance.now() - disconnectedAt < 500, 'within half a second');
    assert.deepEqual(
      sequence(await chat(rig.server, (rig.fake.script({ kind: 'stream', chunks: ['ok'] }), chatBody(rig)))),
      ['token', 'done'],
    );
  });

  test('the API key never appears in the server log or the run store', async () => {
    rig.fake.script({ kind: 'error', status: 500, message: `internal error for key ${API_KEY}` });
    const error = errorOf(await chat(rig.server, chatBody(rig)));
    assert.equal(error.code, 'upstream');
    assert.ok(!error.error.includes(API_KEY));
    assert.ok(
      rig.server.logs.some((line) => line.includes('chat: upstream')),
      'failures are logged',
    );
    const leaks = rig.server.logs.filter((line) => line.includes(API_KEY));
    assert.deepEqual(leaks, []);
    for (const file of filesUnder(rig.server.dir)) {
      assert.ok(!readFileSync(file, 'utf8').includes(API_KEY), `${file} contains the API key`);
    }
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
