/**
 * One sample through a large model does not hold the event loop (docs/reliability.md): a dense MNIST model of
 * 15 M parameters takes tens of ms per `predict` on the `cpu` backend, and its first predict after loading
 * more, which the server once spent on its event loop. Predictions run in the inference thread
 * (src/server/runs/inference.ts); health, from a separate process beside a bare control server, keeps the
 * route fuzz's bounds while single samples and their activations are asked for one after another.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferResponse } from '../../../src/shared/protocol';
import type { StitchSchema } from '../../../src/shared/schema/types';
import { serveProcess, startHealthProbe, trainedRun } from './cliProcess';
import { cpuPressure, mostCpu, serverStalls } from './stalls';

const HEALTH_BUDGET_MS = 50;
const BUSY_MACHINE = 0.5;

const large: StitchSchema = {
  version: 1,
  name: 'large-dense',
  input: { shape: [28, 28, 1] },
  layers: [
    { id: 'flat', type: 'flatten' },
    { id: 'h1', type: 'dense', units: 4000, activation: 'relu' },
    { id: 'h2', type: 'dense', units: 3000, activation: 'relu' },
    { id: 'out', type: 'dense', units: 10, activation: 'softmax' },
  ],
  training: { dataset: 'mnist', epochs: 1, batchSize: 16, maxSamples: 16, testSamples: 16, seed: 5 },
};

test('single samples through a 15 M-parameter model: health within 50 ms while they are predicted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-large-infer-'));
  const server = await serveProcess(
    ['--runs-dir', join(dir, 'runs'), '--data-dir', join(dir, 'data'), '--workspace', dir, '--backend', 'cpu'],
    dir,
    { STITCH_DEBUG_LOOP: '1' },
  );
  try {
    const runId = await trainedRun(server, large);

    const probe = startHealthProbe(server.url);
    await probe.ready;
    const from = performance.timeOrigin + performance.now();
    // The first request loads the model (60 MB of weights) and runs its first predict; then a few more.
    const took: number[] = [];
    for (let i = 0; i < 6; i++) {
      const started = performance.now();
      const response = await fetch(`${server.url}/api/infer`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          run_id: runId,
          pixels: Array.from({ length: 784 }, (_, k) => (k * (i + 3)) % 256),
          activations: i % 2 === 0 ? ['h1', 'h2'] : [],
        }),
      });
      const answer = (await response.json()) as InferResponse;
      took.push(performance.now() - started);
      assert.equal(response.status, 200, JSON.stringify(answer).slice(0, 300));
      assert.equal(answer.probabilities.length, 10);
      assert.equal(answer.activations?.length ?? 0, i % 2 === 0 ? 2 : 0);
    }
    const to = performance.timeOrigin + performance.now();
    const health = await probe.stop();
    const pressure = cpuPressure();
    const most = mostCpu(server.logLines(), from, to);
    process.stdout.write(
      `large-model infer: requests ${took.map((ms) => ms.toFixed(0)).join(', ')} ms; health p50 ${health.p50.toFixed(1)} ms, max ${health.max.toFixed(1)} ms over ${health.count} calls (control max ${health.control.max.toFixed(1)} ms); CPU pressure ${(pressure * 100).toFixed(0)} %; most CPU in one event-loop turn ${most.toFixed(1)} ms\n`,
    );
    assert.equal(health.failures, 0);
    assert.ok(health.p50 < HEALTH_BUDGET_MS, `health p50 ${health.p50} ms`);
    assert.ok(most < HEALTH_BUDGET_MS, `an event-loop turn held the CPU ${most.toFixed(1)} ms`);
    // Beyond the control's worst, a slow call is the server's unless its loop was waiting for a CPU then.
    if (pressure < BUSY_MACHINE)
      assert.deepEqual(
        serverStalls(health, server.logLines(), HEALTH_BUDGET_MS + health.control.max),
        [],
        `health max ${health.max} ms, control ${health.control.max} ms`,
      );
  } finally {
    server.child.kill('SIGINT');
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
