/** Command-line parsing for `stitch` (node:util parseArgs), with messages that say what to type. */
import { parseArgs } from 'node:util';
import { BACKEND_NAMES, type BackendName } from '../../shared/protocol';
import { UsageError } from './serve';

export const HELP = `Stitch: design, validate and train neural networks from *.stitch.json schema files.

Usage:
  stitch serve [options]        start the HTTP server (the VS Code extension runs this)
      --port N                  port (default 0: a free one)
      --host H                  address to listen on (default 127.0.0.1)
      --token T                 require "Authorization: Bearer T" (default: env STITCH_TOKEN)
      --runs-dir DIR            where runs and trained models are stored (default ~/.stitch/runs)
      --data-dir DIR            cache of downloaded datasets (default ~/.stitch/data)
      --workspace DIR           dataset files must be inside this folder (default: current folder);
                                repeat it for several folders (a multi-root workspace)
      --concurrency N           runs trained at once, others wait in a queue (default 1)
      --backend B               tensorflow, webgpu, wasm or cpu (default: the fastest that works)
      --threads N               threads a run trains with on wasm (default: env STITCH_THREADS, else all cores)
      --allow-remote            answer requests for any host name (requires a token)
      --trainer-memory-mb N     memory of each trainer process (default: half the RAM, at most 4096)
      --max-connections N       open connections at most, streams included (default 512)
      --body-timeout S          seconds a request body may take to arrive (default 30)
      --exit-with-stdin         stop when standard input closes (a parent process that spawned it died)
  stitch train FILE [options]   train a schema and print progress and test metrics
      --server URL              use a running server (default: start one in this process)
      --token T                 token of that server (default: env STITCH_TOKEN)
      --epochs N                override training.epochs
      --max-samples N           override training.maxSamples
      --min-accuracy X          exit 1 when the test accuracy is below X (0..1)
      --backend B               backend of the in-process server
      --threads N               threads of the in-process server's runs (wasm)
      --runs-dir, --data-dir, --workspace   as for serve
      --verbose                 print the server log
  stitch validate FILE...       print every problem as file:line:col: message; exit 1 on errors
  stitch export RUN [options]   write a trained run as files for another framework (docs/export.md)
      --format F                tfjs, keras or pytorch (model.py, weights, train.py for torchrun)
      --out DIR                 where to write (default ./<name>-<format>); a folder with files in it is refused
      --force                   write into --out even when it has files (same names are replaced)
      --no-data                 pytorch: leave out data/dataset.safetensors (the run's samples)
      --runs-dir, --data-dir, --workspace   as for serve
  stitch --help                 this text

Exit codes: 0 success, 1 failed run / invalid schema / accuracy below --min-accuracy, 2 usage error.`;

const BACKENDS: readonly BackendName[] = BACKEND_NAMES;

export interface ParsedArgs {
  command: 'serve' | 'train' | 'validate' | 'export' | 'help';
  file?: string;
  /** validate: every file named (it takes several). */
  files?: string[];
  values: Record<string, string | string[] | boolean | undefined>;
}

/** The options each command reads (--help goes everywhere): another command's option is a usage error. */
const COMMAND_OPTIONS: Record<Exclude<ParsedArgs['command'], 'help'>, readonly string[]> = {
  serve: [
    'port',
    'host',
    'token',
    'runs-dir',
    'data-dir',
    'workspace',
    'concurrency',
    'backend',
    'threads',
    'allow-remote',
    'trainer-memory-mb',
    'max-connections',
    'body-timeout',
    'exit-with-stdin',
  ],
  train: [
    'server',
    'token',
    'epochs',
    'max-samples',
    'min-accuracy',
    'backend',
    'threads',
    'runs-dir',
    'data-dir',
    'workspace',
    'verbose',
  ],
  validate: [],
  export: ['format', 'out', 'force', 'no-data', 'runs-dir', 'data-dir', 'workspace'],
};

export function parseCommandLine(argv: string[]): ParsedArgs {
  const command = argv.at(0);
  const rest = argv.slice(1);
  if (command === undefined || command === '--help' || command === '-h' || command === 'help')
    return { command: 'help', values: {} };
  if (command !== 'serve' && command !== 'train' && command !== 'validate' && command !== 'export') {
    throw new UsageError(`unknown command "${command}"; use serve, train, validate or export (stitch --help)`);
  }
  const options = {
    port: { type: 'string' },
    host: { type: 'string' },
    token: { type: 'string' },
    'runs-dir': { type: 'string' },
    'data-dir': { type: 'string' },
    workspace: { type: 'string', multiple: true },
    concurrency: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    'allow-remote': { type: 'boolean' },
    'exit-with-stdin': { type: 'boolean' },
    server: { type: 'string' },
    epochs: { type: 'string' },
    'max-samples': { type: 'string' },
    'min-accuracy': { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    'no-data': { type: 'boolean' },
    force: { type: 'boolean' },
    'trainer-memory-mb': { type: 'string' },
    'max-connections': { type: 'string' },
    'body-timeout': { type: 'string' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; args: string[]; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (stitch --help lists the options)`);
  }
  if (parsed.values.help) return { command: 'help', values: {} };
  for (const name of Object.keys(parsed.values)) {
    if (!COMMAND_OPTIONS[command].includes(name))
      throw new UsageError(`--${name} is not an option of stitch ${command} (stitch --help lists its options)`);
  }
  const positionals = parsed.positionals;
  if (command === 'validate') {
    if (positionals.length === 0)
      throw new UsageError('stitch validate takes one or more schema files, e.g. stitch validate model.stitch.json');
    return { command, file: positionals[0], files: positionals, values: parsed.values };
  }
  if (command === 'serve' && positionals.length > 0)
    throw new UsageError(`stitch serve takes no file (got "${positionals[0]}")`);
  if (command === 'export' && positionals.length !== 1)
    throw new UsageError(
      'stitch export takes exactly one run id, e.g. stitch export 20261204-1530-ab12 --format pytorch',
    );
  if (command !== 'serve' && positionals.length !== 1)
    throw new UsageError(`stitch ${command} takes exactly one schema file, e.g. stitch ${command} model.stitch.json`);
  return { command, file: positionals[0], values: parsed.values };
}

/** A whole number flag within [min, max], or undefined when absent. */
export function intFlag(
  values: ParsedArgs['values'],
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name}: expected a whole number from ${min} to ${max}, got "${String(raw)}"`);
  }
  return value;
}

/** A number flag within [min, max], or undefined when absent. */
export function numberFlag(
  values: ParsedArgs['values'],
  name: string,
  min = -Infinity,
  max = Infinity,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    const range = Number.isFinite(min) && Number.isFinite(max) ? ` from ${min} to ${max}` : '';
    throw new UsageError(`--${name}: expected a number${range}, got "${String(raw)}"`);
  }
  return value;
}

/** Every value of a flag that may be repeated (`--workspace a --workspace b`). */
export function listFlag(values: ParsedArgs['values'], name: string): string[] | undefined {
  const raw = values[name];
  const list = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string' && v !== '');
  return list.length > 0 ? list : undefined;
}

export function stringFlag(values: ParsedArgs['values'], name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' && raw !== '' ? raw : undefined;
}

export function backendFlag(values: ParsedArgs['values']): BackendName | undefined {
  const raw = stringFlag(values, 'backend');
  if (raw === undefined) return undefined;
  if (!(BACKENDS as readonly string[]).includes(raw))
    throw new UsageError(`--backend: "${raw}" is not a backend; use ${BACKENDS.join(', ')}`);
  return raw as BackendName;
}

/**
 * `--threads N` becomes `STITCH_THREADS`, which this process's backend choice and the trainer processes it
 * forks (they inherit the environment) read; see docs/training.md.
 */
export function applyThreadsFlag(values: ParsedArgs['values'], env: NodeJS.ProcessEnv = process.env): void {
  const threads = intFlag(values, 'threads', 1, 1024);
  if (threads !== undefined) env.STITCH_THREADS = String(threads);
}

/** `--server`: an http(s) URL, checked before anything starts. */
export function serverFlag(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:')
    throw new UsageError(`--server: expected the server's address, e.g. http://127.0.0.1:8080 (got "${raw}")`);
  return raw;
}
