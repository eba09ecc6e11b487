/**
 * The main thread's share of a data-parallel step (dataParallel.ts): N workers train `mnist-cnn` (or another
 * example) on random batches, and this prints the main thread's CPU time per step (Linux schedstat) beside
 * the wall time. The main thread's work is serial, so at many workers it bounds the speed-up: compare it with
 * a worker's own step (`bench/profile-wasm.ts --replica --batch=B/N`). On a machine with fewer cores than
 * workers the wall time means little; the CPU time still does. Not part of `npm test` or `npm run bench`; the
 * GPU bundle carries it as profile-dp.js (STITCH_BENCH_ROOT points it at the bundle's examples), and
 * bench/gpu-machine.sh runs it there on 1 to 16 workers.
 *
 *   node --import tsx bench/profile-dp.ts [mnist-cnn|…] [--workers=16] [--steps=100] [--batch=64]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StitchSchema } from '../src/shared/schema/types';
import { selectBackend } from '../src/server/training/backend';
import { DataParallelGroup } from '../src/server/training/dataParallel';
import { buildModel } from '../src/server/training/model';
import { createRandom } from '../src/server/random';

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--')) ?? 'mnist-cnn';
const option = (key: string, fallback: number) =>
  Number(args.find((a) => a.startsWith(`--${key}=`))?.split('=')[1] ?? fallback);
const workers = option('workers', 16);
const steps = option('steps', 100);
const batch = option('batch', 64);

/** This thread's time on a CPU in ms (Linux; its thread id is the pid). */
function mainThreadCpu(): number {
  const [run] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
  return run / 1e6;
}

async function main(): Promise<void> {
  await selectBackend('cpu');
  const schema = JSON.parse(
    readFileSync(
      join(process.env.STITCH_BENCH_ROOT ?? join(__dirname, '..'), 'examples', `${name}.stitch.json`),
      'utf8',
    ),
  ) as StitchSchema;
  const inputShape = schema.input.shape;
  const size = inputShape.reduce((a, b) => a * b, 1);
  const count = 4 * batch;
  const rand = createRandom(1);
  const set = {
    x: Float32Array.from({ length: count * size }, () => rand()),
    labels: Int32Array.from({ length: count }, (_, i) => i % 10),
    count,
  };
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
    const cpu = mainThreadCpu();
    const wall = performance.now();
    for (let i = 0; i < steps; i++) await group.step(set, null, at(i), at(i) + batch);
    const cpuMs = (mainThreadCpu() - cpu) / steps;
    const wallMs = (performance.now() - wall) / steps;
    console.log(
      `${name}, batch ${batch} on ${workers} worker${workers === 1 ? '' : 's'}: main thread ${cpuMs.toFixed(2)} ms of CPU per step; ` +
        `wall ${wallMs.toFixed(1)} ms per step`,
    );
  } finally {
    await group.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
