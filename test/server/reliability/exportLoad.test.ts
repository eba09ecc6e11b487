/**
 * An export keeps the event loop free (docs/reliability.md): a real `stitch serve` trains a small MNIST model,
 * then `POST /api/runs/:id/export` `{ format: "pytorch", include_data: true }` runs while a separate process
 * measures GET /api/health beside a bare control server. Reading the run's samples loads the whole MNIST
 * (47 MB of training images, made float32) before `maxSamples` is applied: on the event loop that held every
 * route for about a second. The files must be those `exportRun` gives when called directly; an unknown run is
 * 404 and a run still training 409, as before. Then, in process on the same runs folder: an export past its
 * time limit is 503 (its worker ended), a run whose weights are damaged is a 500 with the reason logged; and
 * the runner with one place in its queue: two exports answered, a third refused with 503, one cut by close().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExportResponse } from '../../../src/shared/protocol';
import type { StitchSchema } from '../../../src/shared/schema/types';
import { folderRunSource } from '../../../src/server/cli/export';
import { exportRun } from '../../../src/server/export/runExport';
import { ExportRunner } from '../../../src/server/export/exportRunner';
import type { ExportJob } from '../../../src/server/export/exportJob';
import type { HttpError } from '../../../src/server/httpError';
import type { RunRecord } from '../../../src/server/runs/store';
import { startTestServer } from '../serverHarness';
import { serveProcess, startHealthProbe, type HealthStats } from './cliProcess';
import { cpuPressure, describeStalls, loopBlocks, wallClock } from './stalls';

const HEALTH_BUDGET_MS = 50;
/** The route fuzz's: past this CPU pressure the machine, not the server, sets the slowest health call. */
const BUSY_MACHINE = 0.5;

const mlp: StitchSchema = {
  version: 1,
  name: 'export-load',
  input: { shape: [28, 28, 1] },
  layers: [
    { id: 'flat', type: 'flatten' },
    { id: 'out', type: 'dense', units: 10, activation: 'softmax' },
  ],
  training: { dataset: 'mnist', epochs: 1, batchSize: 32, maxSamples: 64, testSamples: 32, seed: 3 },
};
/** The same, long enough to still be training when its export is asked for. */
const longMlp: StitchSchema = {
  ...mlp,
  name: 'still-training',
  training: { dataset: 'mnist', epochs: 5000, maxSamples: 64, testSamples: 32, seed: 3 },
};

function describeHealth(h: HealthStats): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  return `health p50 ${ms(h.p50)}, p99 ${ms(h.p99)}, max ${ms(h.max)} over ${h.count} calls; bare control server max ${ms(h.control.max)}`;
}

async function train(url: string, schema: StitchSchema): Promise<string> {
  const response = await fetch(`${url}/api/train`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ schema }),
  });
  assert.equal(response.status, 202);
  return ((await response.json()) as { run_id: string }).run_id;
}

function exportRequest(url: string, runId: string, body: unknown): Promise<Response> {
  return fetch(`${url}/api/runs/${runId}/export`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

test('an MNIST export with its data: health within 50 ms, the files of exportRun, 404/409/503/500 answers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-export-load-'));
  const runsDir = join(dir, 'runs');
  const server = await serveProcess(
    ['--runs-dir', runsDir, '--data-dir', join(dir, 'data'), '--workspace', dir, '--backend', 'cpu'],
    dir,
    // Its log then has every event-loop block over 10 ms, with the CPU time in it (src/server/debugLoop.ts).
    { STITCH_DEBUG_LOOP: '1' },
  );
  let runId = '';
  try {
    runId = await train(server.url, mlp);
    for (let state = ''; state !== 'succeeded';) {
      await new Promise((r) => setTimeout(r, 200));
      state = ((await (await fetch(`${server.url}/api/runs/${runId}`)).json()) as { state: string }).state;
      assert.notEqual(state, 'failed', server.stderr());
    }
    // The first health call loads TensorFlow.js to name the backend (docs/reliability.md, "Known gaps").
    await (await fetch(`${server.url}/api/health`)).arrayBuffer();

    const probe = startHealthProbe(server.url);
    await probe.ready;
    const from = wallClock();
    const response = await exportRequest(server.url, runId, { format: 'pytorch', include_data: true });
    const text = await response.text();
    const sent = [{ what: `export ${runId} ${response.status}`, start: from, end: wallClock() }];
    await new Promise((r) => setTimeout(r, 100));
    const health = await probe.stop();
    const pressure = cpuPressure();
    assert.equal(response.status, 200, text.slice(0, 300));
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);

    const load = `CPU pressure ${(pressure * 100).toFixed(0)} %`;
    const blocks = loopBlocks(server.logLines()).filter((b) => b.from >= from && b.from <= sent[0].end);
    const mostCpu = Math.max(0, ...blocks.map((b) => b.cpuMs ?? 0));
    process.stdout.write(
      `export of an MNIST run with its data (${text.length} bytes, ${new Date(from).toISOString().slice(11, 23)} + ${(sent[0].end - from).toFixed(0)} ms): ` +
        `${describeHealth(health)}; ${load}; most CPU in one event-loop turn ${mostCpu.toFixed(1)} ms\n`,
    );
    for (const line of describeStalls(health, sent, server.logLines())) process.stdout.write(`  stall: ${line}\n`);

    // The same files, byte for byte, as exportRun called directly on the runs folder.
    const answer = JSON.parse(text) as ExportResponse;
    assert.equal(answer.run_id, runId);
    assert.equal(answer.format, 'pytorch');
    const direct = await exportRun(folderRunSource(runsDir), runId, {
      format: 'pytorch',
      includeData: true,
      dataCacheDir: join(dir, 'data'),
      workspaceRoot: () => dir,
    });
    assert.deepEqual(
      answer.files.map((f) => f.path),
      direct.map((f) => f.path),
    );
    assert.ok(answer.files.some((f) => f.path === 'data/dataset.safetensors'));
    for (const [i, file] of answer.files.entries()) {
      assert.equal(file.bytes, direct[i].data.byteLength, file.path);
      assert.ok(Buffer.from(file.base64, 'base64').equals(direct[i].data), `${file.path} differs`);
    }

    assert.equal(health.failures, 0);
    assert.ok(health.count >= 3, `health was measured ${health.count} times`);
    assert.ok(health.p50 < HEALTH_BUDGET_MS, describeHealth(health));
    assert.ok(mostCpu < HEALTH_BUDGET_MS, `an event-loop turn held the CPU ${mostCpu.toFixed(1)} ms`);
    if (pressure < BUSY_MACHINE) {
      // One call in 17 runs took 69 ms (control 9–14 ms) with no event-loop turn over 10 ms at that moment: the
      // delay was outside the server's loop (the worker allocates ~500 MB on 2 cores). So one call may pass the
      // bound, by no more than another 50 ms; the CPU bound above holds for every turn.
      const bound = HEALTH_BUDGET_MS + health.control.max;
      const over = health.samples.filter(([, ms]) => ms >= bound);
      assert.ok(
        over.length <= 1 && health.max < bound + HEALTH_BUDGET_MS,
        `${over.length} health calls over ${bound.toFixed(0)} ms: ${describeHealth(health)}; ${load}\n${describeStalls(health, sent, server.logLines(), HEALTH_BUDGET_MS).join('\n')}`,
      );
    }

    // Answers as before: an unknown run, a run that has not succeeded.
    const unknown = await exportRequest(server.url, 'nope', { format: 'tfjs' });
    assert.equal(unknown.status, 404);
    const long = await train(server.url, longMlp);
    const early = await exportRequest(server.url, long, { format: 'tfjs' });
    assert.equal(early.status, 409);
    assert.match(((await early.json()) as { error: string }).error, /only a succeeded run/);
    await fetch(`${server.url}/api/train/${long}/cancel`, { method: 'POST' });
  } finally {
    server.child.kill('SIGINT');
    await server.exited;
  }

  // The same runs folder in process: an export past its time limit, then one whose weights are damaged.
  const local = await startTestServer({ dir, exportTimeoutMs: 1 });
  try {
    const slow = await local.api(`/api/runs/${runId}/export`, {
      method: 'POST',
      json: { format: 'pytorch', include_data: true },
    });
    assert.equal(slow.status, 503);
    assert.ok(slow.headers.get('retry-after'));
    assert.match(((await slow.json()) as { error: string }).error, /longer than/);
  } finally {
    await local.stop(true);
  }
  const damaged = await startTestServer({ dir });
  try {
    truncateSync(join(runsDir, runId, 'model', 'weights.bin'), 10);
    const broken = await damaged.api(`/api/runs/${runId}/export`, { method: 'POST', json: { format: 'pytorch' } });
    assert.equal(broken.status, 500);
    const reason = damaged.logs.find((l) => l.includes('export') && l.includes('weights'));
    assert.ok(reason, `the reason is logged: ${damaged.logs.join('\n')}`);
    process.stdout.write(`damaged weights.bin, logged: ${reason.split('\n')[0]}\n`);
    // The server goes on answering.
    assert.equal((await damaged.api('/api/health')).status, 200);
  } finally {
    await damaged.stop(true);
  }

  // The runner itself, with one export waiting at most: one runs, one waits, the third is refused at once;
  // closing ends the running export with a 503 too. (tfjs copies the model files: the damage does not matter.)
  const runner = new ExportRunner({ maxWaiting: 1 });
  const job: ExportJob = {
    record: JSON.parse(readFileSync(join(runsDir, runId, 'run.json'), 'utf8')) as RunRecord,
    runsDir,
    format: 'tfjs',
    includeData: false,
    dataCacheDir: join(dir, 'data'),
    workspaceRoot: dir,
  };
  try {
    const [first, second, third] = await Promise.allSettled([runner.run(job), runner.run(job), runner.run(job)]);
    for (const done of [first, second]) {
      assert.equal(done.status, 'fulfilled');
      assert.equal((JSON.parse(done.value.toString()) as ExportResponse).files.length, 4);
    }
    assert.equal(third.status, 'rejected');
    assert.equal((third.reason as HttpError).status, 503);
    assert.ok((third.reason as HttpError).headers?.['Retry-After']);
    const cut = runner.run(job);
    await runner.close();
    await assert.rejects(cut, (err: HttpError) => err.status === 503 && err.message.includes('shutting down'));
  } finally {
    await runner.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the export route and its runner make no synchronous file calls (the worker does the rest)', () => {
  const root = join(__dirname, '../../..');
  for (const file of ['src/server/routes/export.ts', 'src/server/export/exportRunner.ts']) {
    const text = readFileSync(join(root, file), 'utf8');
    // The runner picks its worker entry once, when the server starts (workerStarter).
    const onRequests = file.endsWith('exportRunner.ts') ? text.slice(text.indexOf('export class ExportRunner')) : text;
    assert.doesNotMatch(onRequests, /\w+Sync\(/, file);
  }
});
