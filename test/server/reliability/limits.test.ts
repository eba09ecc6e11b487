/**
 * Connection and request limits (docs/reliability.md): slow uploads are cut with 408, slow headers are cut,
 * connections are capped, a client that abandons its upload is not an internal error, and the request log
 * records the status the client really got.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startTestServer, type TestServer } from '../serverHarness';

/** A raw socket to the server (fetch cannot send slowly or stop halfway). */
function rawSocket(server: TestServer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends until it closes the socket, and how long that took. */
function untilClosed(socket: Socket): Promise<{ text: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('utf8').on('data', (t: string) => (text += t));
    socket.on('error', () => undefined); // a reset is one way of being closed
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('request and connection limits', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ token: 'secret', bodyTimeoutMs: 600, headersTimeoutMs: 1000 });
  });
  after(() => server.stop());

  test('a body that trickles in is cut with a JSON 408 after the body timeout, and its connection closed', async () => {
    const socket = await rawSocket(server);
    const closed = untilClosed(socket);
    socket.write(
      'POST /api/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer secret\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    const trickle = setInterval(() => socket.writable && socket.write(' '), 100);
    const { text, ms } = await closed;
    clearInterval(trickle);
    assert.match(text, /^HTTP\/1\.1 408/);
    assert.match(text, /did not arrive within 0\.6 s/);
    assert.ok(ms < 3000, `closed after ${ms} ms`);
  });

  test('Expect: 100-continue with a body over the limit: 413 at once, no "100 Continue", connection closed', async () => {
    const socket = await rawSocket(server);
    const closed = untilClosed(socket);
    socket.write(
      `POST /api/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer secret\r\nContent-Type: application/json\r\nContent-Length: ${11 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n`,
    );
    const { text, ms } = await closed;
    assert.match(text, /^HTTP\/1\.1 413/);
    assert.doesNotMatch(text, /100 Continue/);
    assert.ok(ms < 3000, `closed after ${ms} ms`);
    // Within the limit the body is asked for, and read.
    const small = await rawSocket(server);
    const answered = untilClosed(small);
    small.write(
      'POST /api/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer secret\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
    );
    await new Promise<void>((resolve) => small.once('data', () => resolve()));
    small.write('{}');
    const { text: reply } = await answered;
    assert.match(reply, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 400/);
  });

  test('headers that trickle in are cut after the headers timeout', async () => {
    const socket = await rawSocket(server);
    const closed = untilClosed(socket);
    socket.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let n = 0;
    const trickle = setInterval(() => socket.writable && socket.write(`X-Slow-${n++}: 1\r\n`), 200);
    const { ms } = await closed;
    clearInterval(trickle);
    assert.ok(ms >= 900 && ms < 4000, `closed after ${ms} ms`);
  });

  test('an upload the client abandons is logged as a 400 from a closed client, not as an internal error', async () => {
    const socket = await rawSocket(server);
    socket.write(
      'POST /api/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer secret\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"schema":',
    );
    await sleep(100);
    socket.destroy();
    await sleep(200);
    assert.ok(
      server.logs.some((l) => /^POST \/api\/validate 400 \d+ms \(client closed the connection\)$/.test(l)),
      server.logs.join('\n'),
    );
    assert.ok(!server.logs.some((l) => l.includes('internal error')), server.logs.join('\n'));
  });

  test('the request log records 401, 403 and 400 as such', async () => {
    await fetch(`${server.url}/api/runs`);
    await fetch(`${server.url}/api/runs`, {
      headers: { Authorization: 'Bearer secret', Origin: 'https://evil.example' },
    });
    await server.api('/api/validate', {
      method: 'POST',
      body: '{ not json',
      headers: { 'Content-Type': 'application/json' },
    });
    const lines = server.logs.join('\n');
    assert.match(lines, /^GET \/api\/runs 401 /m);
    assert.match(lines, /^GET \/api\/runs 403 /m);
    assert.match(lines, /^POST \/api\/validate 400 /m);
    assert.doesNotMatch(lines, / 404 /);
  });

  test('a body parsed in the worker holds at most 50,000 values (it is cloned back whole); infer may hold more', async () => {
    const send = (path: string, body: unknown) =>
      server.api(path, {
        method: 'PATCH',
        json: body,
        headers: { Authorization: 'Bearer secret' },
      });
    const many = await send('/api/models/nope', { name: 'x', extra: Array.from({ length: 60_000 }, () => 1) });
    assert.equal(many.status, 413);
    assert.match(
      ((await many.json()) as { error: string }).error,
      /^the request body holds more than 50,000 values; no request to this route needs that many$/,
    );
    // Under the cap the route itself answers (it takes no such key).
    const fewer = await send('/api/models/nope', { name: 'x', extra: Array.from({ length: 40_000 }, () => 1) });
    assert.equal(fewer.status, 400);
    assert.doesNotMatch(((await fewer.json()) as { error: string }).error, /values/);
    // An infer batch needs its million numbers: checked by the route, not refused by the parser.
    const batch = await server.api('/api/infer', {
      method: 'POST',
      json: { run_id: 'nope', batch: Array.from({ length: 100 }, () => Array.from({ length: 784 }, () => 0.5)) },
      headers: { Authorization: 'Bearer secret' },
    });
    assert.equal(batch.status, 404);
  });
});

test('connections past the cap are refused at once while the open ones keep working', async () => {
  const server = await startTestServer({ maxConnections: 4 });
  const held: { socket: Socket; closed: Promise<boolean> }[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      const socket = await rawSocket(server);
      held.push({ socket, closed: untilClosed(socket).then(() => true) });
    }
    const refused = await Promise.all(held.map((h) => Promise.race([h.closed, sleep(500).then(() => false)])));
    assert.deepEqual(refused, [false, false, false, false, true, true, true, true, true, true]);
    // The connections it kept are served.
    const open = held[0].socket;
    const answer = untilClosed(open);
    open.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.match((await answer).text, /^HTTP\/1\.1 200/);
  } finally {
    held.forEach((h) => h.socket.destroy());
    await server.stop();
  }
});
