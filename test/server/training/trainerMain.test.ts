import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StartMessage, TrainerToParent } from '../../../src/server/training/ipc';
import type { StitchSchema } from '../../../src/shared/schema/types';

const entry = join(__dirname, '../../../src/server/training/trainerMain.ts');

function spiralSchema(epochs: number, samples: number): StitchSchema {
  return {
    version: 1,
    name: 'spiral',
    input: { shape: [2] },
    layers: [
      { id: 'h1', type: 'dense', units: 8, activation: 'relu' },
      { id: 'out', type: 'dense', units: 2, activation: 'softmax' },
    ],
    training: { dataset: { name: 'spiral', samples }, epochs, batchSize: 8, seed: 3 },
  };
}

/**
 * Forks the trainer, sends `start`, and collects messages until the child exits. The schema is written to the
 * run's schema.json first, where the trainer reads it (as the server stores it), unless a test put something there.
 */
function runChild(
  schema: StitchSchema,
  dir: string,
  onMessage?: (m: TrainerToParent, send: (x: unknown) => void) => void,
) {
  const child = fork(entry, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const messages: TrainerToParent[] = [];
  const schemaFile = join(dir, 'schema.json');
  if (!existsSync(schemaFile)) writeFileSync(schemaFile, JSON.stringify(schema, null, 2) + '\n');
  const start: StartMessage = {
    type: 'start',
    runId: 'r1',
    schemaFile,
    schemaDir: dir,
    workspaceRoot: dir,
    modelDir: join(dir, 'model'),
    dataCacheDir: join(dir, 'cache'),
    datasetBaseUrl: null,
    backend: 'cpu',
  };
  child.on('message', (m) => {
    messages.push(m as TrainerToParent);
    onMessage?.(m as TrainerToParent, (x) => child.send(x as never));
  });
  child.send(start);
  return new Promise<{ code: number | null; messages: TrainerToParent[] }>((resolve) =>
    child.on('exit', (code) => resolve({ code, messages })),
  );
}

test('the trainer child trains, reports every epoch and saves the model, then exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-trainer-'));
  try {
    const { code, messages } = await runChild(spiralSchema(3, 200), dir);
    assert.equal(code, 0);
    const types = messages.map((m) => m.type);
    assert.deepEqual(
      messages.find((m) => m.type === 'backend'),
      { type: 'backend', backend: 'cpu', threads: 1, detail: 'cpu' },
    );
    assert.ok(types.indexOf('running') < types.indexOf('metric'));
    const metrics = messages.filter((m) => m.type === 'metric');
    assert.deepEqual(
      metrics.map((m) => m.epoch),
      [1, 2, 3],
    );
    const last = messages[messages.length - 1];
    assert.equal(last.type, 'succeeded');
    if (last.type === 'succeeded') {
      assert.equal(last.params, 2 * 8 + 8 + 8 * 2 + 2);
      assert.equal(last.test.samples, 40);
    }
    // Each epoch's last batch is always reported so the progress bar reaches the end.
    const batches = messages.filter((m) => m.type === 'batch');
    assert.ok(batches.some((b) => b.type === 'batch' && b.batch === b.batches && b.epoch === 3));
    assert.ok(existsSync(join(dir, 'model', 'model.json')) && existsSync(join(dir, 'model', 'weights.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cancel message ends a long run as cancelled within a second', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-trainer-'));
  try {
    let cancelledAt = 0;
    const { code, messages } = await runChild(spiralSchema(1000, 2000), dir, (m, send) => {
      if (m.type === 'batch' && cancelledAt === 0) {
        cancelledAt = Date.now();
        send({ type: 'cancel' });
      }
    });
    assert.equal(code, 0);
    assert.equal(messages[messages.length - 1].type, 'cancelled');
    assert.ok(Date.now() - cancelledAt < 1500, 'cancelled promptly');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a schema file that cannot be read fails the run with the reason, and the trainer exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-trainer-'));
  try {
    const cases: [string, (file: string) => void, RegExp][] = [
      ['not JSON', (file) => writeFileSync(file, '{ "version": 1,'), /could not be read \(.*JSON/],
      ['a list', (file) => writeFileSync(file, '[]'), /does not hold a schema object/],
      // A FIFO would block a read forever: the trainer looks at the file's type first.
      ['a FIFO', (file) => execFileSync('mkfifo', [file]), /is not a regular file/],
      ['a folder', (file) => mkdirSync(file), /is not a regular file/],
    ];
    for (const [what, make, reason] of cases) {
      const runDir = join(dir, what.replace(/\W/g, '-'));
      mkdirSync(runDir);
      make(join(runDir, 'schema.json'));
      const { code, messages } = await runChild(spiralSchema(1, 20), runDir);
      assert.equal(code, 0, what);
      const last = messages[messages.length - 1];
      assert.ok(last.type === 'failed', `${what}: ${JSON.stringify(last)}`);
      assert.match(last.error, reason, what);
      assert.match(last.error, /schema\.json.*; train the schema again$/, what);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
