/**
 * Schema checks at the routes, on a real server: hostile schemas are checked in the worker pool while
 * /api/health keeps answering within 50 ms; caps answer 413/422 (never 500); budgets and untrainable
 * models are errors at their path; a check that hangs (a FIFO as a dataset) is cut with 503 and the pool
 * carries on.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { MAX_LAYERS, MAX_SCHEMA_TEXT_LENGTH } from '../../../src/shared/schema';
import { ValidationPool } from '../../../src/server/validation/pool';
import { startTestServer, type TestServer } from '../serverHarness';

const dense = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'dense', units: 2, ...extra });
const schemaOf = (layers: unknown[], extra: Record<string, unknown> = {}) => ({
  version: 1,
  input: { shape: [2] },
  layers,
  training: { dataset: 'spiral' },
  ...extra,
});
const n = MAX_LAYERS;

/** The shapes that froze the server before the fix, at the largest size the caps let through. */
const HOSTILE: Record<string, unknown> = {
  'shared ids': schemaOf(Array.from({ length: n }, () => dense('same'))),
  'unknown inputs': schemaOf(Array.from({ length: n }, (_, i) => dense(`layer${i}`, { inputs: [`layr${i}x`] }))),
  'one big cycle': schemaOf(Array.from({ length: n }, (_, i) => dense(`l${i}`, { inputs: [`l${(i + 1) % n}`] }))),
  'long chain': schemaOf(
    Array.from({ length: n }, (_, i) => dense(`l${i}`, { inputs: [i === 0 ? 'input' : `l${i - 1}`] })),
  ),
  'wrong keys': schemaOf(
    Array.from({ length: n }, (_, i) => ({
      id: `l${i}`,
      type: 'dense',
      unitz: 2,
      kernelSize: 'x',
      strides: [1, 2, 3],
    })),
  ),
};

describe('schema checks at the routes', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.stop());

  const post = (path: string, body: string) =>
    server.api(path, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });

  test('health answers within 50 ms while hostile schemas are checked', async () => {
    // Bodies are serialized before timing starts: this process is also the server.
    const bodies = Object.values(HOSTILE).flatMap((schema) => [
      JSON.stringify({ schema }),
      JSON.stringify({ schema: JSON.stringify(schema, null, 2) }),
    ]);
    // The workers start on first use (a second or two from source): start both before timing.
    // Health's first answer loads TensorFlow.js to name the backend (seconds, on the event loop): not ours to time.
    await Promise.all([
      post('/api/validate', bodies[0]),
      post('/api/validate', bodies[1]),
      server.api('/api/health').then((r) => r.arrayBuffer()),
    ]);
    const latencies: number[] = [];
    const elu = performance.eventLoopUtilization();
    // An object, not a `let`: the probe's loop reads a flag that narrowing thinks is still false.
    const probing = { done: false };
    const probe = (async () => {
      while (!probing.done) {
        const start = performance.now();
        const health = await server.api('/api/health');
        await health.arrayBuffer();
        latencies.push(performance.now() - start);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const answers = await Promise.all(
      bodies.map(async (body) => {
        const response = await post('/api/validate', body);
        return { status: response.status, text: await response.text() };
      }),
    );
    probing.done = true;
    await probe;
    for (const { status, text } of answers) {
      assert.equal(status, 200, text.slice(0, 300));
      const result = JSON.parse(text) as { valid: boolean; errors: unknown[] };
      assert.equal(result.valid, false);
      assert.ok(
        result.errors.length <= 101 && text.length < 100_000,
        `${result.errors.length} errors, ${text.length} bytes`,
      );
    }
    const busy = performance.eventLoopUtilization(elu).utilization;
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    const load = loadavg()[0] / availableParallelism();
    const summary = `${latencies.length} probes during ${bodies.length} hostile checks: median ${at(0.5).toFixed(1)} ms, 95% ${at(0.95).toFixed(1)} ms, worst ${at(1).toFixed(1)} ms; event loop (server and this client) busy ${(busy * 100).toFixed(0)}%; load ${load.toFixed(1)} per core`;
    console.log(`# health: ${summary}`);
    assert.ok(latencies.length >= 10, 'health was probed while the checks ran');
    // The event loop only reads each body and hands it on, so health answers at once. How late a probe can be also depends on the machine: on one shared with other work (load
    // above 1.5 per core) the scheduler alone delays probes by 100 ms now and then, so the bound on 95% of
    // the probes is checked where the machine is not overloaded (CI).
    assert.ok(at(0.5) < 50, summary);
    if (load < 1.5) assert.ok(at(0.95) < 50, summary);
  });

  test('caps answer 413 (size) and 422 (depth, layers, inputs) at both routes, and deeper bodies 400', async () => {
    const big = { ...schemaOf([dense('out')]), description: 'x'.repeat(MAX_SCHEMA_TEXT_LENGTH) };
    const deep = (d: number) => `{ "version": 1, "x": ${'['.repeat(d)}${']'.repeat(d)} }`;
    const cases: [string, string, number, RegExp][] = [
      [
        'text over the size cap',
        JSON.stringify({ schema: JSON.stringify(big) }),
        413,
        /over the limit of 1,048,576 characters/,
      ],
      ['object over the size cap', JSON.stringify({ schema: big }), 413, /over the limit/],
      ['text nested too deep', JSON.stringify({ schema: deep(40) }), 422, /nested more than 32 deep/],
      ['object nested too deep', `{ "schema": ${deep(40)} }`, 422, /nested more than 32 deep/],
      [
        'too many layers',
        JSON.stringify({ schema: schemaOf(Array.from({ length: n + 1 }, (_, i) => dense(`l${i}`))) }),
        422,
        /2,001 layers/,
      ],
      [
        'too many inputs',
        JSON.stringify({
          schema: schemaOf([{ id: 'c', type: 'concatenate', inputs: Array.from({ length: 65 }, () => 'input') }]),
        }),
        422,
        /65 inputs/,
      ],
      ['a body nested a million deep', `{ "schema": ${deep(1_000_000)} }`, 400, /more than 64 deep/],
    ];
    for (const route of ['/api/validate', '/api/train']) {
      for (const [what, body, status, message] of cases) {
        const response = await post(route, body);
        const answer = (await response.json()) as { error: string };
        assert.equal(response.status, status, `${route}, ${what}: ${answer.error}`);
        assert.match(answer.error, message, `${route}, ${what}`);
      }
    }
    // The original Stitch's body is guarded before it is converted.
    const original = await post('/api/train', `{ "architecture": ${deep(40)}, "hyperparams": {} }`);
    assert.equal(original.status, 422);
  });

  test('budgets and untrainable models are errors with the layer and the figure', async () => {
    const huge = schemaOf([dense('big', { units: 10000 }), dense('out', { activation: 'softmax' })], {
      input: { shape: [100000] },
    });
    const validate = (await (await post('/api/validate', JSON.stringify({ schema: huge }))).json()) as {
      valid: boolean;
      errors: { path: string; message: string }[];
    };
    assert.equal(validate.valid, false);
    assert.deepEqual(
      validate.errors.find((e) => e.path === 'layers[0]'),
      {
        path: 'layers[0]',
        message: 'dense of 1,000 M parameters (4 GB of weights) exceeds the 50 M parameter budget; reduce units',
      },
    );
    const train = await post('/api/train', JSON.stringify({ schema: huge }));
    assert.equal(train.status, 422);
    assert.match(((await train.json()) as { error: string }).error, /layers\[0\]: dense of 1,000 M parameters/);
    const proto = await post(
      '/api/train',
      JSON.stringify({ schema: schemaOf([dense('__proto__'), dense('constructor', { activation: 'softmax' })]) }),
    );
    assert.equal(proto.status, 422);
    assert.match(
      ((await proto.json()) as { error: string }).error,
      /layers\[0\]\.id: .*must start with a letter.*layers\[1\]\.id: "constructor" is the name of a built-in/,
    );
  });
});

describe('the validation pool', () => {
  test(
    'a FIFO named as a dataset is answered at once (its type is checked before it is opened)',
    { skip: process.platform === 'win32' },
    async () => {
      const dir = join(__dirname, `../../../.m9-fifo-${process.pid}`);
      mkdirSync(dir, { recursive: true });
      const fifo = join(dir, 'pipe.csv');
      execFileSync('mkfifo', [fifo]);
      const pool = new ValidationPool({ size: 1, timeoutMs: 5000 });
      try {
        const schema = schemaOf([dense('out', { units: 3, activation: 'softmax' })], {
          input: { shape: [4] },
          training: { dataset: { csv: 'pipe.csv', label: 'y' } },
        });
        const started = Date.now();
        const result = await pool.run({ route: 'validate', body: { schema }, roots: [dir] });
        assert.ok(Date.now() - started < 4000, 'answered well before the check timeout');
        assert.equal(result.kind === 'response' && result.valid, false);
      } finally {
        await pool.close();
        execFileSync('rm', ['-rf', dir]);
      }
    },
  );

  test('a check that runs past its time is cut with 503 (its worker is ended); a pool then checks as before', async () => {
    const pool = new ValidationPool({ size: 1, timeoutMs: 1 });
    try {
      const layers = Array.from({ length: MAX_LAYERS }, (_, i) => dense(`d${i}`, { units: 4 }));
      await assert.rejects(
        pool.run({ route: 'validate', body: { schema: schemaOf(layers) }, roots: [__dirname] }),
        (err: Error & { status?: number }) => {
          assert.equal(err.status, 503);
          return true;
        },
      );
    } finally {
      await pool.close();
    }
    const fresh = new ValidationPool({ size: 1 });
    try {
      const next = await fresh.run({
        route: 'validate',
        bytes: [
          new TextEncoder().encode(JSON.stringify({ schema: schemaOf([dense('out', { activation: 'softmax' })]) })),
        ],
        roots: [__dirname],
      });
      assert.equal(next.kind === 'response' && next.valid, true);
    } finally {
      await fresh.close();
    }
  });

  test('a full queue is refused with 503 rather than grown', async () => {
    const pool = new ValidationPool({ size: 1, maxQueue: 2 });
    try {
      const job = { route: 'validate' as const, body: { schema: HOSTILE['wrong keys'] }, roots: [__dirname] };
      const runs = Array.from({ length: 6 }, () =>
        pool.run(job).then(
          () => 200,
          (err: unknown) => (err as { status?: number }).status ?? 500,
        ),
      );
      const statuses = await Promise.all(runs);
      assert.ok(statuses.includes(503), statuses.join(', '));
      assert.ok(statuses.filter((s) => s === 200).length >= 2, statuses.join(', '));
    } finally {
      await pool.close();
    }
  });
});
