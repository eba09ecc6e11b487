/**
 * The trainer child process (`dist/trainer.js`, forked by the server per run). It waits for one
 * `StartMessage`, runs it with `runTraining`, forwards every message to the parent, and exits 0 when the run
 * ends (succeeded, failed or cancelled). A `CancelMessage` — or the parent going away — aborts the run.
 */
import { readFile, stat } from 'node:fs/promises';
import type { StitchSchema } from '../../shared/schema/types';
import type { ParentToTrainer, StartMessage, TrainerToParent } from './ipc';
import { runTraining } from './runTraining';

const controller = new AbortController();
let started = false;

function send(msg: TrainerToParent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

/** The run's schema, as the server stored it; a message saying what is wrong when it cannot be read. */
async function readSchema(file: string): Promise<StitchSchema | string> {
  try {
    // A FIFO or a folder put in its place must not hang the trainer or be read as a schema.
    if (!(await stat(file)).isFile()) return `the run's ${file} is not a regular file`;
    const schema: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
      return `the run's ${file} does not hold a schema object`;
    return schema as StitchSchema;
  } catch (err) {
    return `the run's ${file} could not be read (${(err as Error).message})`;
  }
}

async function start(msg: StartMessage): Promise<void> {
  const pending: Promise<void>[] = [];
  const emit = (m: TrainerToParent) => void pending.push(send(m));
  const { schemaFile, ...rest } = msg;
  const schema = await readSchema(schemaFile);
  if (typeof schema === 'string') emit({ type: 'failed', error: `${schema}; train the schema again` });
  else await runTraining({ ...rest, schema }, emit, controller.signal);
  // Let every message reach the parent before exiting.
  await Promise.all(pending);
  process.exit(0);
}

process.on('message', (raw: unknown) => {
  const msg = raw as ParentToTrainer;
  switch (msg?.type) {
    case 'start':
      if (started) return;
      started = true;
      void start(msg);
      return;
    case 'cancel':
      controller.abort();
      return;
    default:
      void send({ type: 'log', message: `trainer: ignored an unknown message ${JSON.stringify(raw).slice(0, 200)}` });
  }
});

// Without a parent there is nobody to report to: stop training instead of running on as an orphan.
process.on('disconnect', () => {
  controller.abort();
  if (!started) process.exit(0);
});
