/**
 * Chooses the TensorFlow.js backend at run time: the native `tensorflow` backend (optional dependency
 * `@tensorflow/tfjs-node`) where it installs, else `webgpu` where Dawn finds a GPU adapter (optional
 * dependencies `webgpu` and `@tensorflow/tfjs-backend-webgpu`), else WebAssembly on every core (threaded
 * SIMD build, see wasmThreads.ts; one thread where threads cannot start), else plain JavaScript (`cpu`).
 *
 * tfjs-node is required lazily inside try/catch: it is an optional dependency that fails to install on
 * some machines, and when it loads it registers the `tensorflow` backend on the very same `@tensorflow/tfjs`
 * instance we import (both resolve from node_modules; esbuild keeps `@tensorflow/*` external for that).
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, type BackendName } from '../../shared/protocol';
import { setCurrentBackend, type BackendInfo } from './backendInfo';
import { dataParallelAvailable } from './dataParallel';
import { registerCrossEntropyKernels } from './crossEntropy';
import { registerDropoutKernels } from './dropout';
import { registerStitchGradients } from './gradients';
import { registerWasmTrainingKernels } from './wasmKernels';
import { MAX_WASM_THREADS, startThreadedWasm, useSingleThreadedWasm } from './wasmThreads';
import { loadWebgpu } from './webgpuBackend';

export const BACKEND_ORDER: readonly BackendName[] = BACKEND_NAMES;

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_ORDER as readonly string[]).includes(value);
}

export interface BackendChoice extends BackendInfo {
  /** Data-parallel workers to train on (≥ 2), or 1: this thread trains alone. */
  workers: number;
  /** Why each backend tried before the chosen one was skipped, e.g. `tensorflow: @tensorflow/tfjs-node is not installed`. */
  skipped: string[];
  /** Other things worth a log line, e.g. why wasm runs on one thread although more were asked for. */
  notes: string[];
}

export interface BackendOptions {
  /** Threads for wasm (and cpu with `dataParallel`); default `STITCH_THREADS`, else every core. */
  threads?: number | null;
  /**
   * Train on `threads` data-parallel workers (dataParallel.ts) where the backend is wasm or cpu: this thread
   * then runs the single-threaded build, and `workers` says how many workers train. Otherwise wasm runs
   * XNNPACK's thread pool (at most 8, the build's limit).
   */
  dataParallel?: boolean;
}

/** The thread count set by the environment (`STITCH_THREADS`), or null when unset; throws on a bad value. */
export function threadsFromEnv(env: NodeJS.ProcessEnv = process.env): number | null {
  const value = env.STITCH_THREADS?.trim();
  if (!value) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`STITCH_THREADS="${value}" is not a thread count; use a whole number ≥ 1 or unset it`);
  return n;
}

/** Every core this process may use. */
export function defaultThreads(): number {
  return availableParallelism();
}

/**
 * Starts wasm with `wanted` threads: the threaded build for 2 or more, the package's single-threaded build
 * for 1 or where threads cannot start. Returns the threads XNNPACK uses, and notes for the log.
 */
async function loadWasm(wanted: number, notes: string[]): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  const threads = Math.min(wanted, MAX_WASM_THREADS);
  if (wanted > threads)
    notes.push(`wasm: ${wanted} threads asked for, the wasm build runs at most ${MAX_WASM_THREADS}`);
  if (threads > 1) {
    try {
      return await startThreadedWasm(threads);
    } catch (err) {
      notes.push(`wasm: threads could not start (${(err as Error).message.split('\n')[0]}); training on one thread`);
    }
  }
  useSingleThreadedWasm();
  return 1;
}

/** Loads the package that provides `name` and registers it with tfjs; throws a readable reason if it cannot. */
async function loadBackend(name: BackendName): Promise<void> {
  if (name === 'tensorflow') {
    if (tf.findBackend('tensorflow')) return;
    try {
      // A plain require (not import) so that bundlers leave it alone and a missing package is a catchable error.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-node');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'MODULE_NOT_FOUND'
          ? '@tensorflow/tfjs-node is not installed (optional dependency)'
          : `@tensorflow/tfjs-node failed to load: ${(err as Error).message.split('\n')[0]}`,
      );
    }
    if (!tf.findBackend('tensorflow')) {
      throw new Error(
        '@tensorflow/tfjs-node loaded but registered no "tensorflow" backend (a second copy of @tensorflow/tfjs?)',
      );
    }
    return;
  }
}

/** Data-parallel workers for `name` (1 when this thread trains alone), with a note where they cannot start. */
function workersFor(name: BackendName, wanted: number, options: BackendOptions, notes: string[]): number {
  if (!options.dataParallel || wanted <= 1 || (name !== 'wasm' && name !== 'cpu')) return 1;
  if (!dataParallelAvailable()) {
    notes.push(
      `${name}: data-parallel workers need SharedArrayBuffer and Atomics.waitAsync (Node 16 or later), which this ` +
        'Node lacks; training on one thread',
    );
    return 1;
  }
  return wanted;
}

/** Activates `name`; returns what it runs on (threads, adapter) for the backend line. */
async function activate(
  name: BackendName,
  options: BackendOptions,
  notes: string[],
  forced: boolean,
): Promise<BackendInfo & { workers: number }> {
  // Production mode: skips tfjs's debug checks and its "install tfjs-node" banner on stdout; we already
  // report the backend and why faster ones were skipped.
  tf.env().set('PROD', true);
  // Our gradients: ReLU's in one kernel where the backend has it, Mean's without a tensor of ones (gradients.ts),
  // the loss head's kernels (crossEntropy.ts) and dropout's (dropout.ts).
  registerStitchGradients();
  registerCrossEntropyKernels();
  registerDropoutKernels();
  let threads = 1;
  let detail: string = name;
  const wanted = options.threads ?? threadsFromEnv() ?? defaultThreads();
  const workers = workersFor(name, wanted, options, notes);
  if (name === 'webgpu') detail = `webgpu, ${await loadWebgpu({ allowSoftware: forced })}`;
  else if (name === 'wasm') {
    // Importing the package registers the backend and its kernels; ours fill the gaps it has for training.
    // With workers, this thread only validates and evaluates: one thread (the workers each run one too).
    threads = await loadWasm(workers > 1 ? 1 : wanted, notes);
    detail = `wasm, ${threads} thread${threads === 1 ? '' : 's'}`;
  } else await loadBackend(name);
  if (workers > 1) {
    threads = workers;
    detail = `${name}, ${workers} workers`;
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') failed to initialize`);
  await tf.ready();
  const info = { backend: name, threads, detail };
  setCurrentBackend(info);
  return { ...info, workers };
}

/** The backend forced by the environment (`STITCH_BACKEND`), or null when unset; throws on an unknown name. */
export function backendFromEnv(env: NodeJS.ProcessEnv = process.env): BackendName | null {
  const value = env.STITCH_BACKEND?.trim();
  if (!value) return null;
  if (!isBackendName(value)) {
    throw new Error(`STITCH_BACKEND="${value}" is not a backend; use one of ${BACKEND_ORDER.join(', ')} or unset it`);
  }
  return value;
}

/**
 * Activates a backend and says which. `preferred` (from the run, the setting or a flag) wins over
 * `STITCH_BACKEND`, which wins over the automatic order. A forced backend that cannot start is an error
 * (the user asked for it), an automatic one falls through to the next.
 */
export async function chooseBackend(
  preferred?: BackendName | null,
  options: BackendOptions = {},
): Promise<BackendChoice> {
  const forced = preferred ?? backendFromEnv();
  const notes: string[] = [];
  if (forced) {
    try {
      return { ...(await activate(forced, options, notes, true)), skipped: [], notes };
    } catch (err) {
      throw new Error(
        `the ${forced} backend was requested but cannot start: ${(err as Error).message}; ` +
          `choose another backend (--backend, STITCH_BACKEND or the stitch.server.backend setting) or unset it to choose automatically`,
      );
    }
  }
  const skipped: string[] = [];
  for (const name of BACKEND_ORDER) {
    try {
      return { ...(await activate(name, options, notes, false)), skipped, notes };
    } catch (err) {
      skipped.push(`${name}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start (${skipped.join('; ')})`);
}

/** Activates and returns the backend name (see `chooseBackend` for the order and the reasons). */
export async function selectBackend(
  preferred?: BackendName | null,
  options: BackendOptions = {},
): Promise<BackendName> {
  return (await chooseBackend(preferred, options)).backend;
}
