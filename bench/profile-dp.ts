/**
 * The main thread's share of a data-parallel step (dataParallel.ts): N workers train `mnist-cnn` (or another
 * example) on random batches, and this prints the main thread's CPU time per step (Linux schedstat) beside
 * the wall time and the CPU time of all threads. The main thread's work is serial, so at many workers it bounds
 * the speed-up: compare it with a worker's own step (`bench/profile-wasm.ts --replica --batch=B/N`). The CPU
 * time of all threads is the work a step costs in all: against one thread's step, what the workers cost
 * beyond the arithmetic (each one's fixed costs, the averaging, waiting). On a machine with fewer cores than
 * workers the wall time means little; the CPU time still does. Not part of `npm test` or `npm run bench`; the
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
    for (let i = 0; i < steps; i++) await group.step(set, null, at(i), at(i) + batch);
    const cpuMs = (mainThreadCpuMs() - cpu) / steps;
    const { user, system } = process.cpuUsage(all);
    const allMs = (user + system) / 1000 / steps;
    const wallMs = (performance.now() - wall) / steps;
    console.log(
      `${name}, batch ${batch} on ${workers} worker${workers === 1 ? '' : 's'}: main thread ${cpuMs.toFixed(2)} ms of CPU per step, ` +
        `all threads ${allMs.toFixed(1)} ms; wall ${wallMs.toFixed(1)} ms per step`,
    );
  } finally {
    await group.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
