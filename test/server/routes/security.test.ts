/**
 * The guards a user relies on when the server runs on their machine: the token, the Host/Origin checks,
 * the body limit, and that bad requests get a 4xx with a message (never a 500 or a crash).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { spiralSchema, startTestServer, type TestServer } from '../serverHarness';

/** A raw request, for headers fetch will not let us set (Host). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (c: string) => (body += c))
        .on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

describe('security', () => {
  const token = 'test-token-1234';
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ token, bodyLimit: 1024 * 1024 });
  });
  after(() => server.stop());

  test('no token → 401 with a message; wrong token → 401; right token → 200', async () => {
    const none = await fetch(`${server.url}/api/runs`);
    assert.equal(none.status, 401);
    assert.match(((await none.json()) as { error: string }).error, /Authorization: Bearer/);
    const wrong = await fetch(`${server.url}/api/runs`, { headers: { Authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    assert.match(((await wrong.json()) as { error: string }).error, /token is wrong/);
    const right = await server.api('/api/runs');
    assert.equal(right.status, 200);
    assert.deepEqual(await right.json(), { runs: [] });
  });

  test('another spelling of a route (/API/runs, /api/runs/) does not get past the token', async () => {
    for (const path of ['/API/runs', '/Api/train', '/api/runs/', '//api/runs']) {
      const none = await fetch(`${server.url}${path}`);
      assert.equal(none.status, 401, path);
    }
    // With the token they are simply not routes: the router is case-sensitive and strict.
    const upper = await server.api('/API/runs');
    assert.equal(upper.status, 404);
  });

  test('a foreign Host header → 403 (DNS rebinding), loopback names with any port pass', async () => {
    const evil = await rawGet(`${server.url}/api/runs`, { Host: 'evil.example', Authorization: `Bearer ${token}` });
    assert.equal(evil.status, 403);
    assert.match(JSON.parse(evil.body).error, /evil\.example/);
    for (const host of ['localhost:1234', '127.0.0.1', '[::1]:80']) {
      const ok = await rawGet(`${server.url}/api/runs`, { Host: host, Authorization: `Bearer ${token}` });
      assert.equal(ok.status, 200, host);
    }
  });

  test('a foreign Origin → 403; a loopback origin gets CORS headers, and its preflight passes without a token', async () => {
    const evil = await server.api('/api/runs', { headers: { Origin: 'https://evil.example' } });
    assert.equal(evil.status, 403);
    const local = await server.api('/api/runs', { headers: { Origin: 'http://127.0.0.1:5173' } });
    assert.equal(local.status, 200);
    assert.equal(local.headers.get('access-control-allow-origin'), 'http://127.0.0.1:5173');
    const preflight = await fetch(`${server.url}/api/train`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:3000',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization',
      },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  });

  test('a body over the limit → 413, with or without Content-Length', async () => {
    const big = 'x'.repeat(20 * 1024 * 1024);
    const declared = await server.api('/api/train', {
      method: 'POST',
      body: JSON.stringify({ schema: big }),
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(declared.status, 413);
    assert.match(((await declared.json()) as { error: string }).error, /larger than the limit of 1 MB/);
    // A streamed body has no Content-Length: the limit is enforced on the bytes as they arrive.
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 20 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await server.api('/api/validate', { method: 'POST', body: stream, duplex: 'half' });
    assert.equal(streamed.status, 413);
  });

  test('malformed requests → 400 with a message', async () => {
    const notJson = await server.api('/api/train', {
      method: 'POST',
      body: '{ nope',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { error: string }).error, /not valid JSON/);
    const empty = await server.api('/api/train', { method: 'POST', json: {} });
    assert.equal(empty.status, 400);
    const array = await server.api('/api/validate', { method: 'POST', json: [1, 2] });
    assert.equal(array.status, 400);
    const outside = await server.api('/api/train', {
      method: 'POST',
      json: { schema: spiralSchema(), schemaPath: '/etc/passwd.stitch.json' },
    });
    assert.equal(outside.status, 400);
    assert.match(((await outside.json()) as { error: string }).error, /outside the workspace/);
    const infer = await server.api('/api/infer', { method: 'POST', json: { pixels: [1] } });
    assert.equal(infer.status, 400);
  });

  test('each invalid schema → 422 naming the path of every error', async () => {
    const base = spiralSchema();
    const cases: { schema: unknown; paths: string[] }[] = [
      {
        schema: { ...base, layers: [{ id: 'h1', type: 'dense', units: -1 }, base.layers[1]] },
        paths: ['layers[0].units'],
      },
      {
        schema: { ...base, layers: [{ id: 'h1', type: 'denze', units: 4 }, base.layers[1]] },
        paths: ['layers[0].type'],
      },
      { schema: { ...base, input: { shape: 'big' } }, paths: ['input.shape'] },
      { schema: { ...base, layers: [base.layers[0], { ...base.layers[1], id: 'h1' }] }, paths: ['layers[1].id'] },
      {
        schema: { ...base, layers: [base.layers[0], { ...base.layers[1], inputs: ['ghost'] }] },
        paths: ['layers[1].inputs[0]'],
      },
      {
        schema: {
          ...base,
          layers: [
            { id: 'h1', type: 'dense', units: 0 },
            { ...base.layers[1], activation: 'sofmax' },
          ],
        },
        paths: ['layers[0].units', 'layers[1].activation'],
      },
      { schema: 'not json {', paths: [''] },
      { schema: 42, paths: [''] },
    ];
    for (const { schema, paths } of cases) {
      const response = await server.api('/api/train', { method: 'POST', json: { schema } });
      const body = (await response.json()) as { error: string; errors: { path: string; message: string }[] };
      assert.equal(response.status, 422, JSON.stringify(schema).slice(0, 80));
      for (const path of paths) {
        assert.ok(
          body.errors.some((e) => e.path === path),
          `expected an error at "${path}", got ${JSON.stringify(body.errors)}`,
        );
        if (path) assert.ok(body.error.includes(path), `the message names ${path}: ${body.error}`);
      }
    }
    // Validation reports the same problems with 200 (invalid is an answer there, not a failure).
    const validate = await server.api('/api/validate', { method: 'POST', json: { schema: cases[0].schema } });
    assert.equal(validate.status, 200);
    const result = (await validate.json()) as { valid: boolean; errors: { path: string }[] };
    assert.equal(result.valid, false);
    assert.equal(result.errors[0].path, 'layers[0].units');
  });

  test('a method a route lacks → 405 with Allow; a method the server does not know → 501; neither is logged as a bug', async () => {
    const patch = await server.api('/api/health', { method: 'PATCH' });
    assert.equal(patch.status, 405);
    assert.match(patch.headers.get('allow') ?? '', /GET/);
    assert.match(((await patch.json()) as { error: string }).error, /PATCH is not allowed on \/api\/health; use .*GET/);
    const put = await server.api('/api/train', { method: 'PUT', json: {} });
    assert.equal(put.status, 405);
    assert.match(((await put.json()) as { error: string }).error, /use POST/);
    for (const method of ['PROPFIND', 'MKCOL']) {
      const response = await server.api('/api/runs', { method });
      assert.equal(response.status, 501, method);
      assert.match(
        ((await response.json()) as { error: string }).error,
        new RegExp(`does not support the ${method} method`),
      );
    }
    assert.ok(
      !server.logs.some((l) => l.startsWith('internal error')),
      server.logs.filter((l) => l.startsWith('internal')).join('\n'),
    );
  });

  test('unknown runs, models and routes → 404; none of the above crashed the server', async () => {
    for (const [method, path] of [
      ['GET', '/api/runs/nope'],
      ['GET', '/api/runs/nope/events'],
      ['DELETE', '/api/runs/nope'],
      ['POST', '/api/train/nope/cancel'],
      ['GET', '/api/models/nope'],
      ['POST', '/api/models/nope/save'],
      ['GET', '/api/runs/..%2F..%2Fetc/model/passwd'],
      ['GET', '/api/nothing-here'],
    ] as const) {
      const response = await server.api(path, { method });
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.equal(typeof ((await response.json()) as { error: string }).error, 'string');
    }
    const infer = await server.api('/api/infer', { method: 'POST', json: { run_id: 'nope', inputs: [1, 2] } });
    assert.equal(infer.status, 404);
    assert.ok(
      !server.logs.some((l) => l.startsWith('internal error')),
      server.logs.filter((l) => l.startsWith('internal')).join('\n'),
    );
    assert.equal((await server.api('/api/runs')).status, 200);
  });
});
