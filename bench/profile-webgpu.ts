/**
 * What a training step costs the CPU on the webgpu backend, where a small model is dispatch-bound: the real
 * training loop (`train`, train.ts) runs an example schema on random data, and tfjs-backend-webgpu's own
 * methods are counted: programs dispatched (by program), uploads from the CPU (and their bytes), read-backs and
 * queue submits, per step. Not part of `npm test` or `npm run bench`.
 *
 *   node --import tsx bench/profile-webgpu.ts [mnist-cnn|mnist-mlp|…] [--batches=40] [--batch=64] [--programs]
 *
 * Runs on any WebGPU adapter Dawn finds, a software one included (webgpu asked for by name), so the counts can
 * be taken on a machine without a GPU: SwiftShader from Debian's Chromium,
 *
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_DRIVER_FILES=/usr/lib/chromium/vk_swiftshader_icd.json node …
 *
 * Counts do not depend on the adapter; times do (on SwiftShader the "GPU" shares the CPU, and runs on the main
 * thread too), so the times it prints mean something only on a real GPU. There the main thread's CPU time per
 * step is the host's share: tfjs's bookkeeping and Dawn's encoding, what bounds a dispatch-bound step. The GPU bundle carries it as profile-webgpu.js (bench/gpu-bundle.mjs;
 * STITCH_BENCH_ROOT points it at the bundle's examples), and bench/gpu-machine.sh runs it there.
 */
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../src/server/training/backend';
import { buildModel } from '../src/server/training/model';
import { train } from '../src/server/training/train';
import { createRandom } from '../src/server/random';
import { exampleSchema, mainThreadCpuMs, randomSamples, toolArgs } from './measure';

const { name, option, flag } = toolArgs();
const batches = option('batches', 40);
const batchSize = option('batch', 64);

interface Counts {
  programs: Map<string, number>;
  /** Uploads by size in bytes. */
  uploads: Map<number, number>;
  readbacks: number;
  submits: number;
}

const fresh = (): Counts => ({ programs: new Map(), uploads: new Map(), readbacks: 0, submits: 0 });
let counts = fresh();
let counting = false;

/** The webgpu backend's methods this counts (tfjs-backend-webgpu 4.22's names). */
interface WebgpuBackendMethods {
  tensorMap: { get(dataId: unknown): { values: ArrayLike<number> | null; resource: unknown } | undefined };
  runWebGPUProgram(program: object, ...rest: unknown[]): unknown;
  uploadToGPU(dataId: unknown): void;
  getBufferData(buffer: unknown): Promise<unknown>;
  submitQueue(): void;
}

function instrument(backend: WebgpuBackendMethods): void {
  const run = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (program, ...rest) => {
    if (counting) {
      const key = program.constructor.name;
      counts.programs.set(key, (counts.programs.get(key) ?? 0) + 1);
    }
    return run(program, ...rest);
  };
  const upload = backend.uploadToGPU.bind(backend);
  backend.uploadToGPU = (dataId) => {
    const data = backend.tensorMap.get(dataId);
    if (counting && data && data.resource == null && data.values) {
      const bytes = data.values.length * 4;
      counts.uploads.set(bytes, (counts.uploads.get(bytes) ?? 0) + 1);
    }
    upload(dataId);
  };
  const read = backend.getBufferData.bind(backend);
  backend.getBufferData = (buffer) => {
    if (counting) counts.readbacks += 1;
    return read(buffer);
  };
  const submit = backend.submitQueue.bind(backend);
  backend.submitQueue = () => {
    if (counting) counts.submits += 1;
    submit();
  };
}

async function main(): Promise<void> {
  const choice = await chooseBackend('webgpu');
  console.log(`backend: ${choice.detail}`);
  instrument(tf.backend() as unknown as WebgpuBackendMethods);
  const schema = exampleSchema(name);
  const inputShape = schema.input.shape;
  const rand = createRandom(1);
  const run = async (n: number, epochs = 1) => {
    const model = buildModel(schema);
    const started = performance.now();
    const cpu = process.cpuUsage();
    const main = mainThreadCpuMs();
    await train(
      model,
      { train: randomSamples(n * batchSize, inputShape, rand), inputShape, numClasses: 10 },
      { epochs, batchSize, optimizer: schema.training?.optimizer, loss: schema.training?.loss, seed: 1 },
    );
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const mainMs = mainThreadCpuMs() - main;
    model.optimizer.dispose();
    model.dispose();
    return { wall, cpu: (used.user + used.system) / 1000, main: mainMs };
  };
  await run(3); // warm-up: compiles every pipeline
  // Per step: what 2 epochs of N steps cost more than 1 epoch of the same N steps, so that what a run does once
  // (uploading the training set, the test evaluation, set-up) cancels out.
  const measure = async (epochs: number) => {
    counts = fresh();
    counting = true;
    const time = await run(batches, epochs);
    counting = false;
    return { counts, ...time };
  };
  const short = await measure(1);
  const long = await measure(2);
  const step = (a: number, b: number) => ((b - a) / batches).toFixed(1);
  const total = (m: Map<unknown, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const bytes = (m: Map<number, number>) => [...m].reduce((a, [size, n]) => a + size * n, 0);
  console.log(
    `${name}, batch ${batchSize}, training loop, per step (1 and 2 epochs of ${batches} steps, subtracted): ` +
      `${step(total(short.counts.programs), total(long.counts.programs))} dispatches, ` +
      `${step(total(short.counts.uploads), total(long.counts.uploads))} uploads ` +
      `(${((bytes(long.counts.uploads) - bytes(short.counts.uploads)) / batches / 1024).toFixed(0)} KiB), ` +
      `${step(short.counts.readbacks, long.counts.readbacks)} read-backs, ${step(short.counts.submits, long.counts.submits)} submits; ` +
      `${step(short.wall, long.wall)} ms wall, ${step(short.cpu, long.cpu)} ms CPU (all threads), ` +
      (Number.isNaN(short.main)
        ? 'main thread not measured (no schedstat)'
        : `${step(short.main, long.main)} ms CPU on the main thread (tfjs and Dawn's encoding on a GPU, what ` +
          'bounds a dispatch-bound step; a software adapter runs the shaders there too)'),
  );
  if (flag('programs')) {
    for (const [program, n] of [...long.counts.programs].sort((a, b) => b[1] - a[1])) {
      console.log(`  ${program.padEnd(32)} ${step(short.counts.programs.get(program) ?? 0, n).padStart(6)} per step`);
    }
    for (const [size, n] of [...long.counts.uploads].sort((a, b) => b[0] - a[0])) {
      const per = step(short.counts.uploads.get(size) ?? 0, n);
      if (per !== '0.0') console.log(`  upload of ${String(size).padStart(9)} bytes ${per.padStart(6)} per step`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
