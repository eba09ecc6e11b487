/**
 * Where a training step spends its time on the wasm backend: every wasm kernel is wrapped with a timer
 * (the backend is synchronous, so wall time per call is the kernel's time), then an example model trains
 * on random batches. Not part of `npm test` or `npm run bench`.
 *
 *   node --import tsx bench/profile-wasm.ts [mnist-cnn|mnist-mlp|…] [--batches=30] [--batch=64] [--shapes]
 *
 * `--shapes` lists each kernel once per input shapes; times are self times (nested kernel calls excluded).
 * `--cpu` times kernels by this process's CPU time instead of wall time: on a loaded machine, wall time
 * counts the moments another process held the core (use it with STITCH_THREADS=1; with more threads the
 * workers' time is counted too).
 * `--replica` times a data-parallel worker's step instead of `trainOnBatch` (dataParallelReplica.ts: apply
 * the averaged gradients to its slice, then the shard's gradients into shared memory), with `--batch` as the
 * shard: e.g. `--batch=4` is one of 16 workers' share of a batch of 64. `--tfjs-loss` trains with tfjs-layers' own loss and
 * accuracy instead of the loss head's kernels (crossEntropy.ts; softmax's gradient stays ours: it is global).
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/server/training/backend';
import { accuracyMetric } from '../src/server/training/batches';
import { useFusedLossHead } from '../src/server/training/crossEntropy';
import { buildModel } from '../src/server/training/model';
import { createOptimizer } from '../src/server/training/optimizers';
import { applyPending, createReplica, shardGradients } from '../src/server/training/dataParallelReplica';
import { createRandom } from '../src/server/random';
import { exampleSchema, toolArgs } from './measure';

const { name, option, flag } = toolArgs();
const batches = option('batches', 30);
const batchSize = option('batch', 64);
const byShape = flag('shapes');
const asReplica = flag('replica');
const clock = flag('cpu')
  ? () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    }
  : () => performance.now();

function shapesOf(args: { inputs: Record<string, tf.TensorInfo> }): string {
  return Object.values(args.inputs)
    .filter(Boolean)
    .map((t) => t.shape.join('×'))
    .join(' ');
}

const totals = new Map<string, { ms: number; calls: number }>();
let recording = false;
/** Time spent in kernels called from inside the running kernel (subtracted so that totals are self time). */
const nested: number[] = [];

/** Re-registers every wasm kernel behind a timer that adds to `totals` while `recording`. */
function instrumentKernels(): void {
  for (const config of tf.getKernelsForBackend('wasm')) {
    const original = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, 'wasm');
    const kernelFunc = ((args: never) => {
      if (!recording) return original(args);
      const start = clock();
      nested.push(0);
      const out = original(args);
      const elapsed = clock() - start;
      const inner = nested.pop()!;
      if (nested.length > 0) nested[nested.length - 1] += elapsed;
      const key = byShape ? `${config.kernelName} ${shapesOf(args)}` : config.kernelName;
      const entry = totals.get(key) ?? { ms: 0, calls: 0 };
      entry.ms += elapsed - inner;
      entry.calls += 1;
      totals.set(key, entry);
      return out;
    }) as tf.KernelFunc;
    tf.registerKernel({ ...config, kernelFunc });
  }
}

async function main(): Promise<void> {
  await selectBackend('wasm');
  instrumentKernels();
  const schema = exampleSchema(name);
  const model = buildModel(schema);
  // As a training run compiles it (train.ts): the loss head's kernels, unless --tfjs-loss.
  model.compile({
    optimizer: createOptimizer('adam'),
    loss: 'categoricalCrossentropy',
    metrics: [accuracyMetric('onehot')],
  });
  if (!flag('tfjs-loss')) useFusedLossHead(model);
  const inputShape = schema.input.shape;
  const rand = createRandom(1);
  const x = tf.tensor(
    Float32Array.from({ length: batchSize * inputShape.reduce((a, b) => a * b, 1) }, () => rand()),
    [batchSize, ...inputShape],
  );
  const y = tf
    .oneHot(
      tf.tensor1d(
        Array.from({ length: batchSize }, (_, i) => i % 10),
        'int32',
      ),
      10,
    )
    .toFloat();
  let step = async () => {
    await model.trainOnBatch(x, y);
  };
  if (asReplica) {
    const params = model.trainableWeights.reduce((n, w) => n + w.read().size, 0);
    const replica = createReplica({
      index: 0,
      backend: 'wasm',
      schema,
      weights: model.getWeights().map((w) => w.dataSync() as Float32Array),
      optimizer: { type: 'adam' },
      loss: 'categoricalCrossentropy',
      encoding: 'onehot',
      inputShape,
      numClasses: 10,
      randomSeed: 1,
      params,
      gradients: new SharedArrayBuffer(params * 4),
      updated: new SharedArrayBuffer(params * 4),
      workers: 1,
      control: new SharedArrayBuffer(64),
      results: new SharedArrayBuffer(32),
      testFault: null,
    });
    const pixels = x.dataSync() as Float32Array;
    const labels = Int32Array.from({ length: batchSize }, (_, i) => i % 10);
    step = () => {
      // The last step's gradients applied (one worker: its slot is the mean), so the weights move as they would.
      applyPending(replica, batchSize);
      shardGradients(replica, pixels, labels, batchSize);
      return Promise.resolve();
    };
  }
  for (let i = 0; i < 5; i++) await step();
  recording = true;
  const times: number[] = [];
  // CPU time is steadier than wall time when other jobs share the machine.
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < batches; i++) {
    const start = performance.now();
    await step();
    times.push(performance.now() - start);
  }
  recording = false;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  times.sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  console.log(
    `${name} on wasm, ${asReplica ? "a replica's step on a shard of" : 'batch'} ${batchSize}: median ${times[times.length >> 1].toFixed(1)} ms/batch, ` +
      `${((batchSize * batches * 1000) / total).toFixed(0)} samples/s; CPU ${(cpuMs / batches).toFixed(1)} ms/batch, ` +
      `${((batchSize * batches * 1000) / cpuMs).toFixed(0)} samples/s of CPU time`,
  );
  const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.reduce((sum, [, e]) => sum + e.ms, 0);
  for (const [kernel, e] of rows.slice(0, 25)) {
    console.log(
      `  ${kernel.padEnd(byShape ? 60 : 28)} ${(e.ms / batches).toFixed(2).padStart(8)} ms/batch  ${(e.calls / batches).toFixed(0).padStart(4)} calls`,
    );
  }
  console.log(
    `  ${'(all kernels)'.padEnd(byShape ? 60 : 28)} ${(kernelMs / batches).toFixed(2).padStart(8)} ms/batch; outside kernels ${((total - kernelMs) / batches).toFixed(2)} ms`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
