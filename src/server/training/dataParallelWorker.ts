/**
 * One data-parallel training worker (a `worker_threads` thread; dataParallel.ts starts N of them). It holds
 * its own copy of the model on the single-threaded backend (dataParallelReplica.ts) and per step applies the
 * averaged gradients of the previous step, then computes its shard's gradients into its slot of shared memory
 * and writes the shard's loss and accuracy beside them (`stepLoop` below).
 *
 * Randomness (dropout masks) comes from `Math.random`, seeded per worker from the run's seed and the
 * worker's index, so the same seed and worker count give the same run.
 */
import { parentPort } from 'node:worker_threads';
import { createRandom } from '../random';
import { chooseBackend } from './backend';
import { applyPending, createReplica, shardGradients, type Replica } from './dataParallelReplica';
import type { TestFault } from './dataParallelLimits';
import {
  Control,
  Result,
  shardOf,
  type WorkerReply,
  type WorkerRequest,
  type WorkerInit,
} from './dataParallelProtocol';

let replica: Replica | null = null;
/** The shared batch the main thread writes each step into. */
let inputs: { x: Float32Array; labels: Int32Array } | null = null;
/** Steps this worker has been sent (for the test-only fault). */
let steps = 0;

function reply(message: WorkerReply): void {
  parentPort?.postMessage(message);
}

async function start(init: WorkerInit): Promise<Replica> {
  await chooseBackend(init.backend, { threads: 1, dataParallel: false });
  Math.random = createRandom(init.randomSeed);
  return createReplica(init);
}

/** TEST ONLY (`STITCH_DP_TEST_FAULT`, dataParallelLimits.ts): fails on purpose where the fault says. */
function simulateFault(fault: TestFault | null, at: 'start' | number): void {
  if (!fault) return;
  const now = at === 'start' ? fault.kind.startsWith('start-') : !fault.kind.startsWith('start-') && at === fault.step;
  if (!now) return;
  if (fault.kind === 'exit') process.exit(3);
  if (fault.kind.endsWith('throw')) {
    // Throws 200 ms late, after the other workers have finished: an error that is the last thing awaited
    // once left the start-up or the step waiting forever (dataParallel.ts).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    throw new Error(`test fault: ${fault.kind} at ${at === 'start' ? at : `step ${at}`}`);
  }
  // A hang that keeps the thread busy, the hardest kind to stop: only terminate() ends it.
  for (;;);
}

/**
 * Runs each step the main thread starts by bumping `Control.GENERATION` (dataParallelProtocol.ts): applies the
 * pending gradients, computes this shard's into the worker's slot, writes its loss, accuracy and timings into
 * `results` and counts itself done (the last one wakes the main thread). Waiting is asynchronous, so 'sync' messages
 * are still answered between steps. A step that throws is reported, and no later step runs here.
 */
async function stepLoop(r: Replica): Promise<void> {
  const { control } = r;
  let seen = Atomics.load(control, Control.GENERATION);
  for (;;) {
    const wait = Atomics.waitAsync(control, Control.GENERATION, seen);
    if (wait.async) await wait.value;
    const generation = Atomics.load(control, Control.GENERATION);
    if (generation === seen) continue;
    seen = generation;
    step(r, generation);
  }
}

function step(r: Replica, generation: number): void {
  const { control, results } = r;
  const { index, workers } = r.init;
  const started = performance.now();
  const pending = Atomics.load(control, Control.PENDING);
  const waited = pending > 0 ? applyPending(r, pending) : 0;
  steps += 1;
  simulateFault(r.init.testFault, steps);
  if (!inputs) throw new Error('the worker got a step before its inputs');
  const [from, to] = shardOf(index, workers, Atomics.load(control, Control.BATCH));
  const size = r.init.inputShape.reduce((a, b) => a * b, 1);
  const [loss, accuracy] =
    to > from
      ? shardGradients(r, inputs.x.subarray(from * size, to * size), inputs.labels.subarray(from, to), to - from)
      : [0, 0];
  const at = index * Result.SIZE;
  results[at + Result.LOSS] = loss;
  results[at + Result.ACCURACY] = accuracy;
  results[at + Result.BUSY_MS] = performance.now() - started - waited;
  results[at + Result.WAIT_MS] = waited;
  Atomics.store(control, Control.FINISHED + index, generation);
  if (Atomics.add(control, Control.DONE, 1) === workers - 1) Atomics.notify(control, Control.DONE);
}

async function handle(message: WorkerRequest): Promise<void> {
  if (message.type === 'init') {
    simulateFault(message.init.testFault, 'start');
    replica = await start(message.init);
    reply({ type: 'ready' });
    stepLoop(replica).catch(fail);
    return;
  }
  if (message.type === 'inputs') {
    inputs = { x: new Float32Array(message.x), labels: new Int32Array(message.labels) };
    reply({ type: 'ready' });
    return;
  }
  if (!replica) throw new Error('the worker got a sync before it was set up');
  if (message.pending > 0) applyPending(replica, message.pending);
  // The weights, read back only where asked (worker 0), for the main thread's model.
  const weights = message.wantWeights ? replica.model.getWeights().map((w) => w.dataSync() as Float32Array) : null;
  reply({ type: 'synced', weights });
}

function fail(err: unknown): void {
  reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}

parentPort?.on('message', (message: WorkerRequest) => {
  handle(message).catch(fail);
});
