/**
 * Chooses the TensorFlow.js backend at run time: the native `tensorflow` backend (optional dependency
 * `@tensorflow/tfjs-node`) where it installs, else WebAssembly, else plain JavaScript (`cpu`).
 *
 * tfjs-node is required lazily inside try/catch: it is an optional dependency that fails to install on
 * some machines, and when it loads it registers the `tensorflow` backend on the very same `@tensorflow/tfjs`
 * instance we import (both resolve from node_modules; esbuild keeps `@tensorflow/*` external for that).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../../shared/protocol';
import { registerWasmTrainingKernels } from './wasmKernels';

export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_ORDER as readonly string[]).includes(value);
}

export interface BackendChoice {
  backend: BackendName;
  /** Why each backend tried before the chosen one was skipped, e.g. `tensorflow: @tensorflow/tfjs-node is not installed`. */
  skipped: string[];
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
      throw new Error('@tensorflow/tfjs-node loaded but registered no "tensorflow" backend (a second copy of @tensorflow/tfjs?)');
    }
    return;
  }
  if (name === 'wasm') {
    // Importing the package registers the backend and its kernels; ours fill the gaps it has for training.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-backend-wasm');
    registerWasmTrainingKernels();
  }
}

async function activate(name: BackendName): Promise<void> {
  // Production mode: skips tfjs's debug checks and its "install tfjs-node" banner on stdout; we already
  // report the backend and why faster ones were skipped.
  tf.env().set('PROD', true);
  await loadBackend(name);
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') failed to initialize`);
  await tf.ready();
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
export async function chooseBackend(preferred?: BackendName | null): Promise<BackendChoice> {
  const forced = preferred ?? backendFromEnv();
  if (forced) {
    try {
      await activate(forced);
    } catch (err) {
      throw new Error(
        `the ${forced} backend was requested but cannot start: ${(err as Error).message}; ` +
          `choose another backend (--backend, STITCH_BACKEND or the stitch.server.backend setting) or unset it to choose automatically`,
      );
    }
    return { backend: forced, skipped: [] };
  }
  const skipped: string[] = [];
  for (const name of BACKEND_ORDER) {
    try {
      await activate(name);
      return { backend: name, skipped };
    } catch (err) {
      skipped.push(`${name}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start (${skipped.join('; ')})`);
}

/** Activates and returns the backend name (see `chooseBackend` for the order and the reasons). */
export async function selectBackend(preferred?: BackendName | null): Promise<BackendName> {
  return (await chooseBackend(preferred)).backend;
}
