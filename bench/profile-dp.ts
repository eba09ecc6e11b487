/**
 * The main thread's share of a data-parallel step (dataParallel.ts): N workers train `mnist-cnn` (or another
 * example) on random batches, and this prints the main thread's CPU time per step (Linux schedstat) beside
 * the wall time and the CPU time of all threads. The main thread's work is serial, so at many workers it bounds
 * the speed-up: compare it with a worker's own step (`bench/profile-wasm.ts --replica --batch=B/N`). The CPU
 * time of all threads is the work a step costs in all: against one thread's step, what the workers cost
 * beyond the arithmetic (each one's fixed costs, the averaging, waiting). The workers' own timings say where a
 * step's wall time goes: a worker's work, its wait at the barrier (for the slowest slice of the parameters),
 * the longest any worker spent in the step, and the rest of the wall time, the hand-over through the main
 * thread (the last worker's wake-up of it, the next batch, the workers' wake-up). On a machine with fewer cores
 * than workers the wall time means little; the CPU time still does. Not part of `npm test` or `npm run bench`; the
 * GPU bundle carries it as profile-dp.js (STITCH_BENCH_ROOT points it at the bundle's examples), and
 * bench/gpu-machine.sh runs it there on 1 to 16 workers.
 *
 *   node --import tsx bench/profile-dp.ts [mnist-cnn|…] [--workers=16] [--steps=100] [--batch=64]
 */
import { selectBackend } from '../src/server/training/backend';
import { DataParallelGroup } from '../src/server/training/dataParallel';
import { buildModel } from '../src/server/training/model';
import { createRandom } from '../src/server/random';
import { exampleSchema, mainThreadCpuMs, randomSamples, toolArgs } from './measure';

const { name, option } = toolArgs();
const workers = option('workers', 16);
const steps = option('steps', 100);
const batch = option('batch', 64);

async function main(): Promise<void> {
  await selectBackend('cpu');
  const schema = exampleSchema(name);
  const inputShape = schema.input.shape;
  const set = randomSamples(4 * batch, inputShape, createRandom(1));
  const group = await DataParallelGroup.start({ workers, backend: 'wasm', schema }, buildModel(schema), {
    optimizer: { type: 'adam' },
    loss: 'categoricalCrossentropy',
    encoding: 'onehot',
    inputShape,
    numClasses: 10,
    seed: 1,
  });
  try {
    const at = (i: number) => (i % 4) * batch;
    for (let i = 0; i < 5; i++) await group.step(set, null, at(i), at(i) + batch);
    const cpu = mainThreadCpuMs();
    const all = process.cpuUsage();
    const wall = performance.now();
    // Per step: the longest a worker spent in it (working and at the barrier), the workers' mean working time,
    // and their mean wait at the barrier.
    let slowest = 0;
    let busy = 0;
    let waiting = 0;
    for (let i = 0; i < steps; i++) {
      await group.step(set, null, at(i), at(i) + batch);
      const { busyMs, waitMs } = group.lastStepTimings();
      slowest += Math.max(...busyMs.map((b, k) => b + waitMs[k]));
      busy += busyMs.reduce((a, b) => a + b, 0) / workers;
      waiting += waitMs.reduce((a, b) => a + b, 0) / workers;
    }
    const cpuMs = (mainThreadCpuMs() - cpu) / steps;
    const { user, system } = process.cpuUsage(all);
    const allMs = (user + system) / 1000 / steps;
    const wallMs = (performance.now() - wall) / steps;
    console.log(
      `${name}, batch ${batch} on ${workers} worker${workers === 1 ? '' : 's'}: main thread ${cpuMs.toFixed(2)} ms of CPU per step, ` +
        `all threads ${allMs.toFixed(1)} ms; wall ${wallMs.toFixed(1)} ms per step; a worker works ${(busy / steps).toFixed(2)} ms ` +
        `and waits ${(waiting / steps).toFixed(2)} ms at the barrier (the longest in the step ${(slowest / steps).toFixed(2)}); ` +
        `the hand-over through the main thread ${(wallMs - slowest / steps).toFixed(2)} ms`,
    );
  } finally {
    await group.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
