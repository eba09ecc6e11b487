/**
 * What each data-parallel worker failure ends in (src/server/training/dataParallel.ts), with real worker
 * threads and real tfjs on wasm. The faults are made by the test-only `STITCH_DP_TEST_FAULT` hook
 * (dataParallelLimits.ts): the worker really spins forever, throws or exits. A hung worker fails within its
 * bound and every thread is ended; a cancel during a hung step ends at once; a worker that throws fails the
 * run with its message; workers that cannot start leave the run to train on one thread, and say so.
 */
import { afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { LabeledSamples } from '../../../src/server/data/types';
import type { LayerSpec, StitchSchema } from '../../../src/shared/schema/types';
import { selectBackend } from '../../../src/server/training/backend';
import { DataParallelGroup } from '../../../src/server/training/dataParallel';
import { timeoutsFromEnv } from '../../../src/server/training/dataParallelLimits';
import type { StartMessage, TrainerToParent, TrainingStart } from '../../../src/server/training/ipc';
import { buildModel } from '../../../src/server/training/model';
import { runTraining } from '../../../src/server/training/runTraining';

const CONV: LayerSpec[] = [
  { id: 'img', type: 'reshape', targetShape: [1, 2, 1] },
  { id: 'conv', type: 'conv2d', filters: 4, kernelSize: 1, activation: 'relu' },
  { id: 'flat', type: 'flatten' },
  { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
];
const SCHEMA: StitchSchema = {
  version: 1,
  input: { shape: [2] },
  layers: CONV,
  training: { dataset: { name: 'circle', samples: 200, noise: 0.05 }, epochs: 1, batchSize: 16, seed: 3 },
};
const REPLICA = {
  optimizer: { type: 'sgd' as const, learningRate: 0.1 },
  loss: 'categoricalCrossentropy' as const,
  encoding: 'onehot' as const,
  inputShape: [2],
  numClasses: 2,
  seed: 3,
};
/** 32 samples of 2 values: what a step needs (the numbers do not matter here). */
const SET: LabeledSamples = {
  x: Float32Array.from({ length: 64 }, (_, i) => i / 64),
  labels: Int32Array.from({ length: 32 }, (_, i) => i % 2),
  count: 32,
};

function withFault(fault: string): void {
  process.env.STITCH_DP_TEST_FAULT = fault;
}

/** Two workers on SCHEMA, one of them made to fail as `fault` says, with these bounds. */
async function faultyGroup(fault: string, timeouts: { startMs: number; stepMs: number }): Promise<DataParallelGroup> {
  withFault(fault);
  return DataParallelGroup.start(
    { workers: 2, backend: 'wasm', schema: SCHEMA, timeouts },
    buildModel(SCHEMA),
    REPLICA,
  );
}

/** Resolves once every thread has ended; rejects after `ms`. */
async function allEnded(threads: Worker[], ms: number): Promise<void> {
  const ended = Promise.all(threads.map((t) => (t.threadId === -1 ? Promise.resolve() : once(t, 'exit'))));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a worker thread still ran ${ms} ms later`)), ms);
  });
  try {
    await Promise.race([ended, late]);
  } finally {
    clearTimeout(timer);
  }
}

function startMessage(dir: string, name: string): TrainingStart {
  return {
    type: 'start',
    runId: name,
    schema: SCHEMA,
    schemaDir: dir,
    workspaceRoot: dir,
    modelDir: join(dir, name),
    dataCacheDir: join(dir, 'cache'),
    datasetBaseUrl: null,
    backend: 'wasm',
    threads: 2,
  };
}

before(async () => {
  await selectBackend('wasm', { threads: 1 });
});

afterEach(() => {
  delete process.env.STITCH_DP_TEST_FAULT;
});

describe('data-parallel worker faults', () => {
  test('a worker that hangs in a step fails it within the bound, and every thread is ended', async () => {
    const group = await faultyGroup('hang:2:3', { startMs: 60_000, stepMs: 300 });
    try {
      let slowest = 0;
      for (let i = 0; i < 2; i++) {
        const started = Date.now();
        await group.step(SET, null, 0, 32);
        slowest = Math.max(slowest, Date.now() - started);
      }
      const bound = Math.max(300, 20 * slowest);
      const started = Date.now();
      await assert.rejects(
        group.step(SET, null, 0, 32),
        /^Error: training worker 2 did not answer a step for .*; the workers were stopped\. Set STITCH_DATA_PARALLEL=off to train without workers, or raise STITCH_DP_STEP_TIMEOUT_MS/,
      );
      const waited = Date.now() - started;
      // The group measures its steps itself (a little less than this test sees): 300 ms is its floor.
      assert.ok(waited >= 290 && waited < bound + 2000, `failed after ${waited} ms, bound about ${bound} ms`);
      // The timeout itself ends the threads (the spinning one too), before anyone calls close().
      await allEnded(group.threads, 3000);
      await assert.rejects(group.step(SET, null, 0, 32), /training worker 2 did not answer/);
    } finally {
      await group.close();
    }
  });

  test('the first step, which warms the kernels up, is waited for as long as the start-up', async () => {
    const group = await faultyGroup('hang:2:1', { startMs: 1500, stepMs: 300 });
    try {
      const started = Date.now();
      await assert.rejects(
        group.step(SET, null, 0, 32),
        /^Error: training worker 2 did not answer its first step for /,
      );
      const waited = Date.now() - started;
      assert.ok(waited >= 1450, `failed after ${waited} ms: the first step had the later steps' bound`);
    } finally {
      await group.close();
    }
  });

  test('a cancel during a hung step ends at once, and close() ends the busy thread', async () => {
    const group = await faultyGroup('hang:1:2', { startMs: 60_000, stepMs: 60_000 });
    try {
      await group.step(SET, null, 0, 32);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const started = Date.now();
      await assert.rejects(group.step(SET, null, 0, 32, controller.signal), /training was cancelled/);
      assert.ok(Date.now() - started < 1500, `cancelled after ${Date.now() - started} ms`);
    } finally {
      const closing = Date.now();
      await group.close();
      assert.ok(Date.now() - closing < 2000, `close took ${Date.now() - closing} ms`);
    }
    await allEnded(group.threads, 1000);
  });

  test('runTraining: a worker that throws mid-run fails the run with its message', async () => {
    withFault('throw:2:2');
    const messages: TrainerToParent[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'stitch-dpf-'));
    const outcome = await runTraining(
      startMessage(dir, 'throw'),
      (m) => messages.push(m),
      new AbortController().signal,
    );
    const error = 'training worker 2 failed: test fault: throw at step 2';
    assert.deepEqual(outcome, { state: 'failed', error });
    assert.deepEqual(messages.at(-1), { type: 'failed', error });
  });

  test('runTraining: workers that cannot start leave the run on one thread, with a log and backend line', async () => {
    withFault('start-throw:1');
    const messages: TrainerToParent[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'stitch-dpf-'));
    const outcome = await runTraining(
      startMessage(dir, 'start'),
      (m) => messages.push(m),
      new AbortController().signal,
    );
    assert.equal(outcome.state, 'succeeded', JSON.stringify(messages.filter((m) => m.type === 'failed')));
    assert.deepEqual(
      messages.filter((m) => m.type === 'backend'),
      [
        { type: 'backend', backend: 'wasm', threads: 2, detail: 'wasm, 2 workers' },
        { type: 'backend', backend: 'wasm', threads: 1, detail: 'wasm, 1 thread' },
      ],
    );
    const logs = messages.flatMap((m) => (m.type === 'log' ? [m.message] : []));
    assert.ok(
      logs.includes(
        'training workers could not start (training worker 1 failed: test fault: start-throw at start); training on one thread',
      ),
      logs.join('\n'),
    );
    assert.ok(logs.includes('backend: wasm, 1 thread'), logs.join('\n'));
    await selectBackend('wasm', { threads: 1 });
  });

  test('the trainer process: a hung worker ends the run failed with what to do, and the process exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stitch-dpf-'));
    const entry = join(__dirname, '../../../src/server/training/trainerMain.ts');
    const child = fork(entry, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, STITCH_DP_TEST_FAULT: 'hang:2:3', STITCH_DP_STEP_TIMEOUT_MS: '500' },
    });
    const messages: TrainerToParent[] = [];
    child.on('message', (m: TrainerToParent) => messages.push(m));
    // The trainer reads its schema from the run's schema.json, as the server writes it.
    const { schema, ...start } = startMessage(dir, 'hang');
    writeFileSync(join(dir, 'schema.json'), JSON.stringify(schema));
    child.send({ ...start, schemaFile: join(dir, 'schema.json') } satisfies StartMessage);
    let timer: NodeJS.Timeout | undefined;
    const [code] = (await Promise.race([
      once(child, 'exit'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the trainer did not exit within 60 s')), 60_000);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    })) as [number | null];
    assert.equal(code, 0);
    assert.ok(messages.some((m) => m.type === 'running'));
    const last = messages.at(-1);
    assert.ok(last?.type === 'failed', JSON.stringify(messages.slice(-3)));
    assert.match(
      last.error,
      /^training worker 2 did not answer a step for [\d.]+ m?s \(the slowest step so far took [\d.]+ m?s\); the workers were stopped\. Set STITCH_DATA_PARALLEL=off/,
    );
  });

  test('STITCH_DP_*_TIMEOUT_MS: defaults 120 s and 30 s, and a message saying what to type', () => {
    assert.deepEqual(timeoutsFromEnv({}), { startMs: 120_000, stepMs: 30_000 });
    assert.deepEqual(timeoutsFromEnv({ STITCH_DP_STEP_TIMEOUT_MS: '500', STITCH_DP_START_TIMEOUT_MS: ' 9000 ' }), {
      startMs: 9000,
      stepMs: 500,
    });
    assert.throws(
      () => timeoutsFromEnv({ STITCH_DP_STEP_TIMEOUT_MS: '30s' }),
      /STITCH_DP_STEP_TIMEOUT_MS="30s" is not a time in milliseconds; use a whole number ≥ 1 or unset it/,
    );
  });
});
