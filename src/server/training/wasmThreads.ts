/**
 * Starts tfjs-backend-wasm's threaded SIMD build under Node, so that XNNPACK's products and convolutions use
 * several cores.
 *
 * tfjs 4.22 turns threads off under Node (`WASM_HAS_MULTITHREAD_SUPPORT` is false when `IS_NODE`), and its
 * threaded glue hands the pthread workers Blob URLs (the worker script, and the factory as
 * `mainScriptUrlOrBlob`), which Node's `worker_threads` cannot load. The Emscripten glue itself has Node code
 * paths, so we run it ourselves:
 *
 * 1. The factory's source is cut out of the package's own Node bundle and written to a file, behind the
 *    module-level names it uses there (`require$$0`…`4`, `commonjsGlobal`, tslib's helpers). The pthread
 *    workers load that file by path (`importScripts` is an `eval` of the file in their Node shim).
 * 2. The worker script (`wasmWorkerContents`, a string in the bundle) is written to a file, which
 *    `locateFile` returns instead of a Blob URL.
 * 3. The C side caps the pool at `emscripten_num_logical_cores() / 2` (it assumes two hyper-threads per
 *    core) and at 8 (the build's pre-started workers): we report twice the wanted count so the cap is ours.
 * 4. The module goes to the package's own `BackendWasm`, registered as `wasm`: its kernels (and ours in
 *    wasmKernels.ts) are registered by backend name, so they serve it unchanged.
 *
 * Any step that finds the bundle different from what it expects throws, and the caller falls back to the
 * single-threaded build. The package version is pinned (package.json), and a test starts this path.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** The build starts 8 pthread workers up front; pthreadpool may not use more (tfjs's `max_num_threads`). */
export const MAX_WASM_THREADS = 8;

interface WasmPackage {
  BackendWasm: new (module: unknown) => tf.KernelBackend;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

interface EmscriptenModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  tfjs?: Record<string, unknown>;
  PThread?: { runningWorkers: { unref(): void }[] };
}

type Factory = (config: { locateFile(path: string): string; mainScriptUrlOrBlob: string }) => Promise<EmscriptenModule>;

function cut(source: string, from: string, to: string, what: string): string {
  const start = source.indexOf(from);
  const end = start < 0 ? -1 : source.indexOf(to, start);
  if (start < 0 || end < 0) throw new Error(`the wasm bundle has no ${what} where tfjs 4.22 has it`);
  return source.slice(start, end);
}

/** Writes the factory and worker files (once per bundle content and thread count); returns their paths. */
function writeGlue(bundlePath: string, threads: number): { factoryFile: string; workerFile: string } {
  const source = readFileSync(bundlePath, 'utf8');
  const key = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `stitch-wasm-threads-${key}-${threads}`);
  const factoryFile = join(dir, 'factory.js');
  const workerFile = join(dir, 'worker.js');
  if (existsSync(factoryFile) && existsSync(workerFile)) return { factoryFile, workerFile };

  const helpers = cut(source, 'function __values(o)', '\n/**', "tslib's helpers");
  const cores = 'return require$$4.cpus().length;';
  const factory = cut(
    source,
    '    var WasmBackendModuleThreadedSimd = (function () {',
    '    module.exports = WasmBackendModuleThreadedSimd;',
    'threaded SIMD factory',
  );
  if (!factory.includes(cores)) throw new Error('the threaded wasm factory does not count cores where tfjs 4.22 does');
  const workerMatch = /var wasmWorkerContents = ("(?:[^"\\]|\\.)*");/.exec(source);
  if (!workerMatch) throw new Error('the wasm bundle has no pthread worker script where tfjs 4.22 has it');

  mkdirSync(dir, { recursive: true });
  const prelude =
    "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), " +
    "require$$4 = require('os');\nvar commonjsGlobal = globalThis;\n";
  const body = factory.replace(cores, `return ${2 * threads};`);
  // Written with a unique name and renamed, so two trainers starting at once never read half a file.
  const atomicWrite = (file: string, text: string) => {
    const part = `${file}.${process.pid}.part`;
    writeFileSync(part, text);
    renameSync(part, file);
  };
  atomicWrite(
    factoryFile,
    `${prelude}${helpers}\n${body}\nif (typeof module !== 'undefined') module.exports = WasmBackendModuleThreadedSimd;\n`,
  );
  // Like tfjs, keep the string's "\n" escapes escaped: the script has them inside string literals.
  atomicWrite(workerFile, (JSON.parse(workerMatch[1]) as string).replace(/\n/g, '\\n'));
  return { factoryFile, workerFile };
}

/**
 * Registers the threaded build as the `wasm` backend with `threads` threads (2..8) and activates it; returns
 * the thread count XNNPACK reports. Throws when the build cannot start (the caller then uses one thread).
 */
export async function startThreadedWasm(threads: number): Promise<number> {
  if (typeof SharedArrayBuffer === 'undefined') throw new Error('SharedArrayBuffer is not available');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasmPackage = require('@tensorflow/tfjs-backend-wasm') as WasmPackage;
  // STITCH_WASM_DIST: a bundle that inlines tfjs carries the package's dist folder (bench/gpu-bundle.mjs).
  const bundlePath = process.env.STITCH_WASM_DIST
    ? join(process.env.STITCH_WASM_DIST, 'tf-backend-wasm.node.js')
    : require.resolve('@tensorflow/tfjs-backend-wasm');
  const { factoryFile, workerFile } = writeGlue(bundlePath, threads);
  const binary = join(dirname(bundlePath), 'tfjs-backend-wasm-threaded-simd.wasm');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = require(factoryFile) as Factory;
  const module = await factory({
    locateFile: (path) => (path.endsWith('.worker.js') ? workerFile : binary),
    mainScriptUrlOrBlob: factoryFile,
  });
  // The same bridge tfjs's own init() adds (backend_wasm.ts).
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  wasmPackage.setThreadsCount(threads);
  const registry = (tf.engine() as unknown as { registryFactory: Record<string, Registration | undefined> })
    .registryFactory;
  singleThreaded ??= registry.wasm;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => new wasmPackage.BackendWasm(module), 2);
  if (!(await tf.setBackend('wasm'))) {
    useSingleThreadedWasm();
    throw new Error('the threaded wasm backend failed to initialize');
  }
  // Emscripten refs a worker while it runs a pthread, and XNNPACK's pool threads run (waiting for work) for
  // the life of the process: unref them, or a process that has finished would never exit on its own.
  for (const worker of module.PThread?.runningWorkers ?? []) worker.unref();
  return wasmPackage.getThreadsCount();
}

interface Registration {
  factory: () => tf.KernelBackend | Promise<tf.KernelBackend>;
  priority: number;
}

/** The package's own `wasm` registration (single-threaded SIMD build), kept while ours replaces it. */
let singleThreaded: Registration | undefined;

/** Puts the package's single-threaded `wasm` registration back, if ours replaced it (a later run wants 1 thread). */
export function useSingleThreadedWasm(): void {
  if (!singleThreaded) return;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', singleThreaded.factory, singleThreaded.priority);
  singleThreaded = undefined;
}
