/**
 * The server's OPENAI_API_KEY goes only to the server's own endpoint: a request that names another base
 * URL must bring its own key (a model server on loopback needs none, and never gets the server's), and
 * what an upstream answers in an error never travels back to the client. Also CORS: loopback pages on any
 * port may call the chat without a token, preflight included, and no other origin gets CORS headers.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { FakeOpenAI } from '../../support/fakeOpenAI';
import { startTestServer, type TestServer } from '../serverHarness';
import { chat, errorOf, sequence, SPIRAL_SCHEMA } from './helpers';

const ENV_KEY = 'sk-env-only-for-home-4d2e';
const OWN_KEY = 'sk-brought-by-request-77b0';

describe("the server's key", () => {
  let home: FakeOpenAI;
  let other: FakeOpenAI;
  let server: TestServer;
  before(async () => {
    home = await FakeOpenAI.start();
    other = await FakeOpenAI.start();
    server = await startTestServer({
      chat: { env: { OPENAI_API_KEY: ENV_KEY, OPENAI_BASE_URL: home.url }, timeoutMs: 5_000 },
    });
  });
  after(async () => {
    await server.stop();
    await home.close();
    await other.close();
  });

  const ask = (extra: Record<string, unknown>, apiKey: string | null = null) =>
    chat(server, { message: 'hi', currentSchema: SPIRAL_SCHEMA, ...extra }, { apiKey });

  test("goes to the server's own endpoint, named or not (however its URL is spelled)", async () => {
    home.script({ kind: 'stream', chunks: ['a'] }, { kind: 'stream', chunks: ['b'] });
    assert.deepEqual(sequence(await ask({})), ['token', 'done']);
    assert.equal(home.requests.at(-1)?.headers.authorization, `Bearer ${ENV_KEY}`);
    assert.deepEqual(sequence(await ask({ baseUrl: `${home.url}/` })), ['token', 'done']);
    assert.equal(home.requests.at(-1)?.headers.authorization, `Bearer ${ENV_KEY}`);
  });

  test('never goes to a base URL the request names: a loopback model server is asked without it', async () => {
    other.script({ kind: 'stream', chunks: ['local'] });
    assert.deepEqual(sequence(await ask({ baseUrl: other.url })), ['token', 'done']);
    const sent = other.requests.at(-1)?.headers.authorization ?? '';
    assert.ok(!sent.includes(ENV_KEY), `the other endpoint got ${sent}`);
  });

  test('a request naming a remote base URL without a key gets a clear error, and nothing is sent', async () => {
    const before = home.requests.length + other.requests.length;
    for (const baseUrl of ['https://models.example.com/v1', 'https://api.openai.com/v1']) {
      const events = await ask({ baseUrl });
      assert.equal(events.length, 1);
      const error = errorOf(events);
      assert.equal(error.code, 'no-key');
      assert.match(
        error.error,
        /names its own base URL \(https:\/\/[a-z.]+\), so it must bring its own key in the X-OpenAI-Key header/,
      );
      assert.match(error.error, /OPENAI_API_KEY is only sent to the server's own endpoint/);
      assert.ok(!error.error.includes(ENV_KEY));
    }
    assert.equal(home.requests.length + other.requests.length, before);
  });

  test('a request that brings its own key uses it, at its own base URL', async () => {
    other.script({ kind: 'stream', chunks: ['mine'] });
    assert.deepEqual(sequence(await ask({ baseUrl: other.url }, OWN_KEY)), ['token', 'done']);
    assert.equal(other.requests.at(-1)?.headers.authorization, `Bearer ${OWN_KEY}`);
  });

  test('a base URL that is not http(s) is a 400 before any stream', async () => {
    for (const baseUrl of ['file:///etc/passwd', 'not a url', 42]) {
      const response = await server.api('/api/chat', {
        method: 'POST',
        json: { message: 'hi', currentSchema: SPIRAL_SCHEMA, baseUrl },
      });
      assert.equal(response.status, 400, String(baseUrl));
      assert.match(((await response.json()) as { error: string }).error, /baseUrl: expected an http\(s\) URL/);
    }
  });

  test('upstream error bodies are not echoed: each failure is our category with our message; the log has the detail', async () => {
    const secret = 'internal detail: db=10.0.0.7 user=admin';
    const cases = [
      { status: 500, code: 'upstream' },
      { status: 400, code: 'upstream' },
      { status: 401, code: 'auth' },
      { status: 403, code: 'auth' },
      { status: 404, code: 'model-not-found' },
      { status: 429, code: 'rate-limit' },
    ] as const;
    for (const { status, code } of cases) {
      home.script({ kind: 'error', status, message: `${secret} (${status})` });
      const error = errorOf(await ask({}));
      assert.equal(error.code, code, String(status));
      assert.ok(!error.error.includes('internal detail'), `${status} echoed: ${error.error}`);
      assert.ok(error.error.includes(`(${status})`), error.error);
    }
    assert.ok(
      server.logs.some((l) => l.includes(`upstream: ${secret} (500)`)),
      'the detail is in the server log',
    );
  });
});

describe('no key anywhere', () => {
  test('the error says how to set one in VS Code and for a server run outside it', async () => {
    const server = await startTestServer({ chat: { env: {}, timeoutMs: 5_000 } });
    try {
      const error = errorOf(
        await chat(server, { message: 'hi', currentSchema: null, requestSchemaChange: false }, { apiKey: null }),
      );
      assert.equal(error.code, 'no-key');
      assert.match(error.error, /Stitch: Set OpenAI API Key/);
      assert.match(error.error, /outside VS Code \(stitch serve\), start it with OPENAI_API_KEY=/);
      assert.match(error.error, /OPENAI_BASE_URL=/);
    } finally {
      await server.stop();
    }
  });
});

/** A raw request, for headers fetch will not let us set (Host, Origin on a preflight). */
function raw(
  url: string,
  method: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume().on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject).end();
  });
}

describe('CORS for the chat', () => {
  test('loopback pages on any port are allowed without a token, preflight included; no other origin gets CORS headers', async () => {
    const server = await startTestServer({ chat: { env: {}, timeoutMs: 5_000 } });
    const remote = await startTestServer({
      token: 'remote-token',
      allowRemote: true,
      chat: { env: {}, timeoutMs: 5_000 },
    });
    try {
      const preflight = { 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' };
      for (const origin of [
        'http://127.0.0.1:5173',
        'http://localhost:3000',
        'http://[::1]:8081',
        'https://localhost',
      ]) {
        const answer = await raw(`${server.url}/api/chat`, 'OPTIONS', { Origin: origin, ...preflight });
        assert.equal(answer.status, 204, origin);
        assert.equal(answer.headers['access-control-allow-origin'], origin);
        assert.match(String(answer.headers['access-control-allow-headers']), /Content-Type/);
        assert.match(String(answer.headers['access-control-allow-headers']), /X-OpenAI-Key/);
        assert.match(String(answer.headers['access-control-allow-methods']), /POST/);
      }
      for (const origin of [
        'https://evil.example',
        'http://127.0.0.1.evil.example:5173',
        'http://localhost.evil.example',
        'null',
      ]) {
        for (const method of ['OPTIONS', 'POST']) {
          const answer = await raw(`${server.url}/api/chat`, method, { Origin: origin, ...preflight });
          assert.equal(answer.status, 403, `${method} ${origin}`);
          assert.equal(answer.headers['access-control-allow-origin'], undefined, `${method} ${origin}`);
          assert.equal(answer.headers['access-control-allow-methods'], undefined, `${method} ${origin}`);
        }
      }
      // A server for remote machines lets its own origin through (same-origin: no CORS needed or given).
      const own = await raw(`${remote.url}/api/health`, 'GET', {
        Host: 'stitch.lan:8080',
        Origin: 'http://stitch.lan:8080',
        Authorization: 'Bearer remote-token',
      });
      assert.equal(own.status, 200);
      assert.equal(own.headers['access-control-allow-origin'], undefined);
    } finally {
      await server.stop();
      await remote.stop();
    }
  });
});
