/**
 * The trainer child process (`dist/trainer.js`, forked by the server per run). It waits for one
 * `StartMessage`, runs it with `runTraining`, forwards every message to the parent, and exits 0 when the run
 * ends (succeeded, failed or cancelled). A `CancelMessage` — or the parent going away — aborts the run.
 */
import type { ParentToTrainer, TrainerToParent } from './ipc';
import { runTraining } from './runTraining';

const controller = new AbortController();
let started = false;

function send(msg: TrainerToParent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

async function start(msg: Extract<ParentToTrainer, { type: 'start' }>): Promise<void> {
  const pending: Promise<void>[] = [];
  await runTraining(msg, (m) => void pending.push(send(m)), controller.signal);
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
