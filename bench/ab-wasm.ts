/**
 * Compares the wasm training kernels and layers of another checkout (`--base=DIR`, e.g. `git archive HEAD~3 | tar
 * -x -C /tmp/base` with node_modules linked) with this one's, in one process: each checkout's model (its own
 * buildModel, the same seeded weights) trains on the same random batch, the two kernel sets swapped in every few
 * batches. On a shared 2-core machine, timings of separate runs vary 2× with the load; alternating in one process
 * cancels most of that. tfjs's registry of gradients is global: a gradient either checkout registers
 * (gradients.ts) serves both models, so changes to gradients are not compared here (run bench/profile-wasm.ts in
 * each checkout instead). Not run by npm test.
 *
 *   node --import tsx bench/ab-wasm.ts --base=/tmp/base [mnist-cnn|mnist-mlp|…] [--rounds=12] [--per=4]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { StitchSchema } from '../src/shared/schema/types';

const args = process.argv.slice(2);
const option = (key: string) => args.find((a) => a.startsWith(`--${key}=`))?.split('=')[1];
const base = option('base');
const name = args.find((a) => !a.startsWith('--')) ?? 'mnist-cnn';
const rounds = Number(option('rounds') ?? 12);
const per = Number(option('per') ?? 4);

type KernelSet = Map<string, tf.KernelConfig | undefined>;

/** The wasm kernels either checkout may register or wrap. */
function snapshot(): KernelSet {
  return new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k] as [string, tf.KernelConfig]));
}

function install(set: KernelSet, names: Iterable<string>): void {
  for (const name of names) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    const config = set.get(name);
    if (config) tf.registerKernel(config);
  }
}

/** Registers a checkout's kernels on top of the backend's own and returns the resulting set. */
function kernelsOf(dir: string, original: KernelSet): KernelSet {
  install(original, new Set([...snapshot().keys(), ...original.keys()]));

  (
    require(join(dir, 'src/server/training/wasmKernels')) as { registerWasmTrainingKernels(): void }
  ).registerWasmTrainingKernels();
  return snapshot();
}

async function main(): Promise<void> {
  if (!base)
    throw new Error(
      'pass --base=DIR, a checkout of the revision to compare with (its node_modules may be a link to ours)',
    );
  tf.env().set('PROD', true);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  const original = snapshot();
  const sets: [string, KernelSet][] = [
    ['base', kernelsOf(resolve(base), original)],
    ['this', kernelsOf(resolve(__dirname, '..'), original)],
  ];
  const names = new Set(sets.flatMap(([, set]) => [...set.keys()]));

  const schema = JSON.parse(
    readFileSync(join(__dirname, '..', 'examples', `${name}.stitch.json`), 'utf8'),
  ) as StitchSchema;
  /** A checkout's model of the schema, compiled with its Adam. */
  const modelOf = (dir: string) => {
    const { buildModel } = require(
      join(dir, 'src/server/training/model'),
    ) as typeof import('../src/server/training/model');
    const { createOptimizer } = require(
      join(dir, 'src/server/training/optimizers'),
    ) as typeof import('../src/server/training/optimizers');
    const model = buildModel(schema);
    model.compile({ optimizer: createOptimizer('adam'), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    return model;
  };
  const models = new Map([
    ['base', modelOf(resolve(base))],
    ['this', modelOf(resolve(__dirname, '..'))],
  ]);
  const batch = 64;
  const x = tf.randomUniform([batch, ...schema.input.shape]);
  const y = tf
    .oneHot(
      tf.tensor1d(
        Array.from({ length: batch }, (_, i) => i % 10),
        'int32',
      ),
      10,
    )
    .toFloat();
  for (const [label, set] of [...sets, ...sets]) {
    install(set, names);
    await models.get(label)!.trainOnBatch(x, y);
  }
  const times = new Map(sets.map(([label]) => [label, { wall: [] as number[], cpu: [] as number[] }]));
  for (let r = 0; r < rounds; r++) {
    for (const [label, set] of sets) {
      install(set, names);
      for (let i = 0; i < per; i++) {
        const cpu = process.cpuUsage();
        const start = performance.now();
        await models.get(label)!.trainOnBatch(x, y);
        times.get(label)!.wall.push(performance.now() - start);
        const used = process.cpuUsage(cpu);
        times.get(label)!.cpu.push((used.user + used.system) / 1000);
      }
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
  for (const [label, t] of times) {
    const wall = median(t.wall);
    console.log(
      `${name} ${label.padEnd(4)}: ${wall.toFixed(1)} ms/batch wall (${((batch * 1000) / wall).toFixed(0)} samples/s), ` +
        `fastest ${Math.min(...t.wall).toFixed(1)} ms; ${median(t.cpu).toFixed(1)} ms CPU per batch`,
    );
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
