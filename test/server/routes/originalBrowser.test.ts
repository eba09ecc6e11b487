/**
 * The original Stitch's React frontend, replayed: a page served by a dev server on another loopback port,
 * whose `/api` is proxied to our server with `Host` rewritten to the target (as Vite's and webpack's
 * `changeOrigin` do), makes its requests exactly as the frontend does (no token, `fetch` with JSON bodies,
 * `EventSource` on `events_url`) in a real headless Chromium, and every answer has the original's shape.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { startTestServer, type TestServer } from '../serverHarness';
import { DOCUMENTED_BODY } from '../../shared/originalBodies';

/** A dev server: the page at `/`, and `/api/*` proxied to `target` with Host rewritten (changeOrigin). */
function startDevServer(target: URL): Promise<Server & { seenHosts: string[] }> {
  const seenHosts: string[] = [];
  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/api/')) {
      res
        .writeHead(200, { 'Content-Type': 'text/html' })
        .end('<!doctype html><title>Stitch</title><div id="root"></div>');
      return;
    }
    const headers = { ...req.headers, host: target.host };
    seenHosts.push(headers.host);
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(Object.assign(server, { seenHosts }))));
}

/** What the page does, as the original frontend's code does it; everything it saw comes back as JSON. */
const FRONTEND_SCRIPT = (body: unknown) => `(async () => {
  const json = async (method, path, payload) => {
    const response = await fetch(path, { method, headers: payload === undefined ? {} : { 'Content-Type': 'application/json' }, body: payload === undefined ? undefined : JSON.stringify(payload) });
    return { status: response.status, body: await response.json() };
  };
  const train = await json('POST', '/api/train', ${JSON.stringify(body)});
  const events = await new Promise((resolve, reject) => {
    const seen = [];
    const es = new EventSource(train.body.events_url);
    es.addEventListener('metric', (e) => seen.push({ event: 'metric', data: JSON.parse(e.data) }));
    es.addEventListener('state', (e) => {
      const data = JSON.parse(e.data);
      seen.push({ event: 'state', data });
      if (['succeeded', 'failed', 'cancelled'].includes(data.state)) { es.close(); resolve(seen); }
    });
    es.onerror = () => { if (es.readyState === EventSource.CLOSED) reject(new Error('EventSource closed early')); };
    setTimeout(() => reject(new Error('no final state in 90 s')), 90000);
  });
  const runId = train.body.run_id;
  const saved = await json('POST', '/api/models/save', { run_id: runId, name: 'from the page', description: 'saved by the frontend' });
  const models = await json('GET', '/api/models');
  const model = await json('GET', '/api/models/' + saved.body.model_id);
  const pixels = Array.from({ length: 784 }, (_, i) => (i % 28 === 14 ? 255 : 0));
  const infer = await json('POST', '/api/infer', { run_id: runId, pixels });
  const long = await json('POST', '/api/train', { architecture: ${JSON.stringify(DOCUMENTED_BODY.architecture)}, hyperparams: { epochs: 100 } });
  const queued = await json('POST', '/api/train', { architecture: ${JSON.stringify(DOCUMENTED_BODY.architecture)}, hyperparams: { epochs: 100 } });
  const cancelQueued = await json('POST', '/api/train/' + queued.body.run_id + '/cancel', {});
  const cancel = await json('POST', '/api/train/' + long.body.run_id + '/cancel', {});
  return { train, events, saved, models, model, infer, long, queued, cancelQueued, cancel };
})()`;

let server: TestServer;
let dev: Server & { seenHosts: string[] };
let browser: Browser;

before(async () => {
  server = await startTestServer();
  dev = await startDevServer(new URL(server.url));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
});
after(async () => {
  await browser.close();
  dev.close();
  await server.stop();
});

test('the original frontend, served on another loopback port behind a Host-rewriting proxy, works end to end without a token', async () => {
  const tab = await browser.newPage();
  const pageUrl = `http://127.0.0.1:${(dev.address() as AddressInfo).port}/`;
  await tab.goto(pageUrl);
  const body = {
    architecture: DOCUMENTED_BODY.architecture,
    hyperparams: { ...DOCUMENTED_BODY.hyperparams, epochs: 2, max_samples: 256 },
  };
  interface Answer {
    status: number;
    body: Record<string, unknown>;
  }
  const seen = (await tab.evaluate(FRONTEND_SCRIPT(body))) as Record<string, Answer> & {
    events: { event: string; data: Record<string, unknown> }[];
  };

  assert.ok(
    dev.seenHosts.length > 0 && dev.seenHosts.every((h) => h === new URL(server.url).host),
    'the proxy rewrote Host to the target',
  );
  const runId = String(seen.train.body.run_id);
  assert.equal(seen.train.status, 202);
  assert.deepEqual(Object.keys(seen.train.body).sort(), [
    'created_at',
    'epochs_total',
    'events_url',
    'metrics',
    'model_id',
    'run_id',
    'status',
    'test_accuracy',
  ]);
  assert.deepEqual(
    [seen.train.body.status, seen.train.body.epochs_total, seen.train.body.metrics, seen.train.body.test_accuracy],
    ['queued', 2, [], null],
  );

  const metrics = seen.events.filter((e) => e.event === 'metric');
  assert.equal(metrics.length, 2);
  assert.ok(
    metrics.every(
      (m) =>
        m.data.run_id === runId && typeof m.data.train_loss === 'number' && typeof m.data.val_accuracy === 'number',
    ),
  );
  const final = seen.events.at(-1)?.data ?? {};
  assert.equal(final.state, 'succeeded');
  assert.equal(typeof final.test_accuracy, 'number');
  const samples = final.sample_predictions as {
    grid: number[][];
    label: number;
    prediction: number;
    confidence: number;
  }[];
  assert.equal(samples.length, 8);
  assert.ok(samples.every((s) => s.grid.length === 28 && s.grid[0].length === 28 && typeof s.confidence === 'number'));

  assert.equal(seen.saved.status, 201);
  assert.match(String(seen.saved.body.model_id), /^m_[0-9a-f]+$/);
  assert.deepEqual(
    [seen.saved.body.name, seen.saved.body.trained, seen.saved.body.saved_model_exists],
    ['from the page', true, true],
  );
  assert.equal(seen.models.status, 200);
  assert.ok(Array.isArray(seen.models.body));
  assert.equal(seen.model.status, 200);
  assert.deepEqual(
    (seen.model.body.runs as { run_id: string; state: string }[]).map((r) => [r.run_id, r.state]),
    [[runId, 'succeeded']],
  );
  assert.equal(seen.infer.status, 200);
  assert.deepEqual(Object.keys(seen.infer.body).sort(), ['label', 'probabilities', 'run_id']);
  assert.equal((seen.infer.body.probabilities as number[]).length, 10);

  // A second run while one trains: the original answered 409, we queue; the frontend gets a normal 202.
  assert.deepEqual([seen.long.status, seen.queued.status, seen.queued.body.status], [202, 202, 'queued']);
  for (const [answer, started] of [
    [seen.cancelQueued, seen.queued],
    [seen.cancel, seen.long],
  ]) {
    assert.equal(answer.status, 202);
    assert.deepEqual([answer.body.run_id, answer.body.status], [started.body.run_id, 'cancelling']);
  }
  assert.ok(!server.logs.some((l) => l.startsWith('internal error')), server.logs.join('\n'));
});
